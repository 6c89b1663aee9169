// SPDX-License-Identifier: GPL-2.0
/*
 * TX: plaintext from sendmsg (and so from sendfile and splice) is gathered
 * into one record buffer, sealed, and handed to MPTCP's own sendmsg as kernel
 * memory.  MPTCP copies it into its send queue and spreads it over subflows.
 *
 * State, all under tx.lock:
 *   open_len     plaintext of a record still open (MSG_MORE), not sealed;
 *   pending_*    a sealed record MPTCP has not fully taken yet (non-blocking
 *                back-pressure).  It is pushed before anything else, by the
 *                next send, by poll, by shutdown and by close.
 * One buffer serves both: a record is sealed in place and must be fully
 * pushed before the next one is opened.  It comes with the first send and
 * goes back when the connection is quiet (idle.c).
 */
#include <linux/highmem.h>
#include <linux/uio.h>
#include <linux/gfp.h>

#include "mptls.h"

#ifndef MSG_SPLICE_PAGES
#define MSG_SPLICE_PAGES 0
#endif
#ifndef MSG_SENDPAGE_NOTLAST
#define MSG_SENDPAGE_NOTLAST 0
#endif

#define MPTLS_TX_FLAGS (MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL | MSG_CMSG_COMPAT | \
			MSG_EOR | MSG_SPLICE_PAGES | MSG_SENDPAGE_NOTLAST)

static unsigned int tx_buf_size(const struct mptls_tx *tx)
{
	return mptls_record_max_len(&tx->cs.limits);
}

#define MPTLS_PUSH_RETRY_MIN	1		/* jiffies */
#define MPTLS_PUSH_RETRY_MAX	(HZ / 5)
/* close() waits this long at most for MPTCP to take what was sent. */
#define MPTLS_CLOSE_FLUSH_TIMEO	(10 * HZ)

static void tx_push_work(struct work_struct *work);

/* At attach: the parts that must exist before TLS_TX is set. */
void mptls_tx_setup(struct mptls_ctx *ctx)
{
	mutex_init(&ctx->tx.lock);
	INIT_DELAYED_WORK(&ctx->tx.push_work, tx_push_work);
}

int mptls_tx_init(struct mptls_ctx *ctx)
{
	return 0;	/* the record buffer comes with the first send */
}

/*
 * The record buffer, allocated on first use so that a connection that has
 * keys but sends nothing holds only its context.  alloc_pages_exact: linear
 * memory for the sg list, 20 KiB rather than kmalloc's 32.
 */
static int tx_get_buf(struct mptls_tx *tx)
{
	if (!tx->buf)
		tx->buf = alloc_pages_exact(tx_buf_size(tx), GFP_KERNEL);
	return tx->buf ? 0 : -ENOMEM;
}

/* Wiped whole: it may hold plaintext of an open or a short last record. */
static void tx_put_buf(struct mptls_tx *tx)
{
	if (!tx->buf)
		return;
	memzero_explicit(tx->buf, tx_buf_size(tx));
	free_pages_exact(tx->buf, tx_buf_size(tx));
	tx->buf = NULL;
}

void mptls_tx_free(struct mptls_ctx *ctx)
{
	tx_put_buf(&ctx->tx);
	mptls_cipher_free(&ctx->tx.cs);
}

/* idle.c: the buffer goes back once nothing is open or waiting in it. */
void mptls_tx_release_idle(struct mptls_ctx *ctx)
{
	struct mptls_tx *tx = &ctx->tx;

	mutex_lock(&tx->lock);
	if (tx->buf && !tx->open_len && !tx->pending_len) {
		tx_put_buf(tx);
		mptls_stat_inc(ctx->sk, MPTLS_STAT_IDLE_BUF_FREE);
	}
	mutex_unlock(&tx->lock);
}

static void tx_schedule_push(struct mptls_ctx *ctx)
{
	struct mptls_tx *tx = &ctx->tx;

	tx->push_backoff = clamp(tx->push_backoff * 2, MPTLS_PUSH_RETRY_MIN,
				 MPTLS_PUSH_RETRY_MAX);
	mod_delayed_work(system_wq, &tx->push_work, tx->push_backoff);
}

/* Hands the sealed bytes to MPTCP.  0 once all are taken, else -errno. */
static int tx_push_pending(struct sock *sk, struct mptls_ctx *ctx, int flags)
{
	struct mptls_tx *tx = &ctx->tx;

	lockdep_assert_held(&tx->lock);
	while (tx->pending_len) {
		struct kvec iov = {
			.iov_base = tx->buf + tx->pending_off,
			.iov_len = tx->pending_len,
		};
		struct msghdr kmsg = {
			.msg_flags = flags & (MSG_DONTWAIT | MSG_NOSIGNAL),
		};
		int sent;

		iov_iter_kvec(&kmsg.msg_iter, ITER_SOURCE, &iov, 1, iov.iov_len);
		sent = ctx->sk_proto->sendmsg(sk, &kmsg, iov.iov_len);
		if (sent == -EAGAIN || !sent) {
			tx_schedule_push(ctx);
			return -EAGAIN;
		}
		if (sent < 0)
			return sent;
		tx->pending_off += sent;
		tx->pending_len -= sent;
	}
	tx->pending_off = 0;
	tx->push_backoff = 0;
	return 0;
}

static void tx_push_work(struct work_struct *work)
{
	struct mptls_tx *tx = container_of(to_delayed_work(work), struct mptls_tx,
					   push_work);
	struct mptls_ctx *ctx = container_of(tx, struct mptls_ctx, tx);

	mutex_lock(&tx->lock);
	if (tx->pending_len)
		tx_push_pending(ctx->sk, ctx, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (!tx->pending_len && tx->fin_deferred && ctx->sk->sk_socket) {
		/* the shutdown(SHUT_WR) the application asked for */
		tx->fin_deferred = false;
		ctx->sk_ops->shutdown(ctx->sk->sk_socket, SHUT_WR);
	}
	mutex_unlock(&tx->lock);
}

/* Seals the open record and pushes it. */
static int tx_close_record(struct sock *sk, struct mptls_ctx *ctx, int flags)
{
	struct mptls_tx *tx = &ctx->tx;
	unsigned int rec_len;
	int err;

	lockdep_assert_held(&tx->lock);
	if (tx->err)
		return tx->err;
	err = mptls_seal(&tx->cs, tx->buf, tx->open_type, tx->open_len, &rec_len);
	tx->open_len = 0;
	if (err) {
		/* out of sequence numbers or a crypto failure: the stream is dead */
		tx->err = err;
		mptls_report_error(sk, err);
		return err;
	}
	tx->pending_off = 0;
	tx->pending_len = rec_len;
	return tx_push_pending(sk, ctx, flags);
}

/* Reads a TLS_SET_RECORD_TYPE cmsg, as net/tls tls_process_cmsg() does. */
static int tx_record_type(struct msghdr *msg, u8 *type)
{
	struct cmsghdr *cmsg;

	*type = MPTLS_TYPE_APP_DATA;
	for_each_cmsghdr(cmsg, msg) {
		if (!CMSG_OK(msg, cmsg))
			return -EINVAL;
		if (cmsg->cmsg_level != SOL_TLS)
			continue;
		if (cmsg->cmsg_type != TLS_SET_RECORD_TYPE)
			return -EINVAL;
		if (cmsg->cmsg_len < CMSG_LEN(sizeof(*type)))
			return -EINVAL;
		if (msg->msg_flags & MSG_MORE)
			return -EINVAL;
		*type = *(u8 *)CMSG_DATA(cmsg);
	}
	return 0;
}

int mptls_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct mptls_ctx *ctx = mptls_get_ctx(sk);
	struct mptls_tx *tx = &ctx->tx;
	int flags = msg->msg_flags;
	unsigned int prepend;
	size_t copied = 0;
	bool eor;
	u8 type;
	int err;

	if (!READ_ONCE(ctx->tx_ready))
		return ctx->sk_proto->sendmsg(sk, msg, size);
	if (flags & ~MPTLS_TX_FLAGS)
		return -EOPNOTSUPP;

	mutex_lock(&tx->lock);
	err = 0;
	if (msg->msg_controllen)
		err = tx_record_type(msg, &type);
	else
		type = MPTLS_TYPE_APP_DATA;
	if (err)
		goto out;

	/* A record never mixes types, and control records are never left open. */
	eor = !(flags & (MSG_MORE | MSG_SENDPAGE_NOTLAST)) || (flags & MSG_EOR) ||
	      type != MPTLS_TYPE_APP_DATA;

	if (tx->fin_deferred) {
		/* as MPTCP after shutdown(SHUT_WR) */
		err = -EPIPE;
		if (!(flags & MSG_NOSIGNAL))
			send_sig(SIGPIPE, current, 0);
		goto out;
	}
	err = tx->err ?: tx_get_buf(tx) ?: tx_push_pending(sk, ctx, flags);
	if (err)
		goto out;
	if (tx->open_len && tx->open_type != type) {
		err = tx_close_record(sk, ctx, flags);
		if (err)
			goto out;
	}

	prepend = mptls_cipher_prepend(&tx->cs);
	for (;;) {
		size_t room = MPTLS_MAX_PLAINTEXT - tx->open_len;
		size_t chunk = min_t(size_t, room, msg_data_left(msg));
		bool full, last;

		if (chunk) {
			if (copy_from_iter(tx->buf + prepend + tx->open_len, chunk,
					   &msg->msg_iter) != chunk) {
				err = -EFAULT;
				goto out;
			}
			tx->open_len += chunk;
			copied += chunk;
		}
		tx->open_type = type;
		full = tx->open_len == MPTLS_MAX_PLAINTEXT;
		last = !msg_data_left(msg);
		if (!full && !eor)
			break;		/* MSG_MORE: keep the record open */
		if (!tx->open_len && type == MPTLS_TYPE_APP_DATA)
			break;		/* an empty send flushes, it sends nothing */
		/* A sealed record counts as sent even if MPTCP takes it later. */
		err = tx_close_record(sk, ctx, flags);
		if (err || last)
			break;
	}
out:
	if (tx->buf)
		mptls_idle_touch(ctx);
	mutex_unlock(&tx->lock);
	return copied ? copied : err;
}

/*
 * Seals whatever is open and pushes everything: shutdown, close, splice_eof.
 * Blocks per the socket's send timeout unless @flags has MSG_DONTWAIT.
 */
int mptls_tx_flush(struct sock *sk, struct mptls_ctx *ctx, int flags)
{
	struct mptls_tx *tx = &ctx->tx;
	int err;

	if (!READ_ONCE(ctx->tx_ready))
		return 0;
	mutex_lock(&tx->lock);
	err = tx_push_pending(sk, ctx, flags | MSG_NOSIGNAL);
	if (!err && tx->open_len)
		err = tx_close_record(sk, ctx, flags | MSG_NOSIGNAL);
	mutex_unlock(&tx->lock);
	return err;
}

/*
 * Gives MPTCP everything sealed or open, blocking even on a non-blocking
 * socket, for at most the socket's send timeout and never more than
 * MPTLS_CLOSE_FLUSH_TIMEO.  Used before MPTCP sends its DATA_FIN (shutdown)
 * or tears the connection down (close): after that, bytes still here would
 * be lost, and the peer would see a stream cut short.  (An application that
 * closes does not expect to hang on a peer that stopped reading; TCP's close
 * does not either, hence the bound.)
 */
static void tx_flush_before_fin(struct sock *sk, struct mptls_ctx *ctx)
{
	long saved_timeo = sk->sk_sndtimeo;

	WRITE_ONCE(sk->sk_sndtimeo, min_t(long, saved_timeo, MPTLS_CLOSE_FLUSH_TIMEO));
	mptls_tx_flush(sk, ctx, 0);
	WRITE_ONCE(sk->sk_sndtimeo, saved_timeo);
}

/*
 * shutdown(SHUT_WR).  Returns true when MPTCP may send its DATA_FIN now.  A
 * blocking socket waits for the flush (bounded, as close).  A non-blocking
 * one must not block, so when MPTCP cannot take the last record yet the
 * DATA_FIN is deferred: the retry work pushes the record, then shuts MPTCP's
 * side down, the way TCP queues a FIN behind its data.
 */
bool mptls_tx_shutdown(struct sock *sk, struct mptls_ctx *ctx, bool nonblock)
{
	struct mptls_tx *tx = &ctx->tx;
	bool now;

	if (!READ_ONCE(ctx->tx_ready))
		return true;
	if (!nonblock) {
		tx_flush_before_fin(sk, ctx);
		return true;
	}
	mutex_lock(&tx->lock);
	if (!tx_push_pending(sk, ctx, MSG_DONTWAIT | MSG_NOSIGNAL) && tx->open_len)
		tx_close_record(sk, ctx, MSG_DONTWAIT | MSG_NOSIGNAL);
	now = !tx->pending_len;
	if (!now) {
		tx->fin_deferred = true;
		tx_schedule_push(ctx);
	}
	mutex_unlock(&tx->lock);
	return now;
}

/* Close: stop the retry work, then flush as for shutdown. */
void mptls_tx_close(struct sock *sk, struct mptls_ctx *ctx)
{
	if (!READ_ONCE(ctx->tx_ready))
		return;
	cancel_delayed_work_sync(&ctx->tx.push_work);
	tx_flush_before_fin(sk, ctx);
	/* the flush may have armed the retry again; the socket is going away */
	cancel_delayed_work_sync(&ctx->tx.push_work);
}

/*
 * For poll: tries once more to push a sealed record without blocking, and
 * says whether one is still stuck (then the socket is not writable for us).
 */
bool mptls_tx_blocked(struct sock *sk, struct mptls_ctx *ctx)
{
	struct mptls_tx *tx = &ctx->tx;
	bool blocked;

	if (!READ_ONCE(ctx->tx_ready))
		return false;
	if (!mutex_trylock(&tx->lock))
		return true;	/* a sender is at work; it will wake us */
	if (tx->pending_len)
		tx_push_pending(sk, ctx, MSG_DONTWAIT | MSG_NOSIGNAL);
	blocked = tx->pending_len || tx->err;
	mutex_unlock(&tx->lock);
	return blocked;
}
