// SPDX-License-Identifier: GPL-2.0
/*
 * RX: the byte stream MPTCP has already put back in order, whatever subflow
 * each byte came on, is pulled with MPTCP's own recvmsg into a record buffer,
 * cut at record boundaries (record.h), opened in place and queued.  recvmsg
 * then copies plaintext out with net/tls semantics: one record type per call,
 * the type in a TLS_GET_RECORD_TYPE cmsg, MSG_PEEK across records, and
 * SO_RCVLOWAT/MSG_WAITALL targets.
 *
 * State, all under rx.lock:
 *   hdr                       the next record's header: a buffer is taken
 *                             only once it is in, so a reader waiting for
 *                             data holds none;
 *   asm_rec/asm_have/asm_len  the record being reassembled;
 *   ready                     opened records, plaintext not yet read;
 *   err                       sticky: a record failed to open, the stream is
 *                             dead and every read says so (EBADMSG).
 * Plaintext of a record that fails to authenticate is wiped, never queued.
 */
#include <linux/gfp.h>
#include <linux/uio.h>

#include "mptls.h"

static size_t rx_rec_size(const struct mptls_rx *rx)
{
	return sizeof(struct mptls_rx_rec) + mptls_record_max_len(&rx->cs.limits);
}

static struct mptls_rx_rec *rx_rec_get(struct mptls_rx *rx)
{
	struct mptls_rx_rec *rec = rx->spare;

	if (rec) {
		rx->spare = NULL;
		return rec;
	}
	/* alloc_pages_exact: linear for the sg list, 20 KiB rather than 32. */
	return alloc_pages_exact(rx_rec_size(rx), GFP_KERNEL);
}

static void rx_rec_put(struct mptls_rx *rx, struct mptls_rx_rec *rec)
{
	/* Only plaintext and ciphertext of this record: wipe the used part. */
	memzero_explicit(rec->buf, rec->data + rec->len);
	if (!rx->spare) {
		rx->spare = rec;
		return;
	}
	free_pages_exact(rec, rx_rec_size(rx));
}

/* idle.c: the spare goes back once records stop coming. */
void mptls_rx_release_idle(struct mptls_ctx *ctx)
{
	struct mptls_rx *rx = &ctx->rx;

	mutex_lock(&rx->lock);
	if (rx->spare) {
		free_pages_exact(rx->spare, rx_rec_size(rx));	/* wiped when put */
		rx->spare = NULL;
		mptls_stat_inc(ctx->sk, MPTLS_STAT_IDLE_BUF_FREE);
	}
	mutex_unlock(&rx->lock);
}

int mptls_rx_init(struct mptls_ctx *ctx)
{
	mutex_init(&ctx->rx.lock);
	INIT_LIST_HEAD(&ctx->rx.ready);
	return 0;
}

void mptls_rx_free(struct mptls_ctx *ctx)
{
	struct mptls_rx *rx = &ctx->rx;
	struct mptls_rx_rec *rec, *tmp;
	size_t size = rx_rec_size(rx);

	list_for_each_entry_safe(rec, tmp, &rx->ready, list) {
		list_del(&rec->list);
		memzero_explicit(rec, size);
		free_pages_exact(rec, size);
	}
	if (rx->asm_rec) {
		memzero_explicit(rx->asm_rec, size);
		free_pages_exact(rx->asm_rec, size);
	}
	if (rx->spare)
		free_pages_exact(rx->spare, size);	/* wiped when it was put */
	rx->asm_rec = NULL;
	rx->spare = NULL;
	mptls_cipher_free(&rx->cs);
}

/*
 * One read from MPTCP into kernel memory.
 *
 * When the last subflow finishes an orderly close before MPTCP's worker has
 * taken the DATA_FIN in, __mptcp_close_ssk() moves the msk to TCP_CLOSE
 * without RCV_SHUTDOWN, and mptcp_recvmsg() then says ENOTCONN where TCP
 * (and so net/tls) says EOF.  Seen on fallback connections once both sides
 * had shut down.  The socket was established when TLS was set up and
 * disconnect is refused, so TCP_CLOSE with no sk_err is the end of the stream.
 */
static int rx_pull(struct sock *sk, struct mptls_ctx *ctx, u8 *to, size_t len,
		   int flags)
{
	struct kvec iov = { .iov_base = to, .iov_len = len };
	struct msghdr kmsg = {};
	int addr_len = 0;
	int n;

	iov_iter_kvec(&kmsg.msg_iter, ITER_DEST, &iov, 1, len);
	n = ctx->sk_proto->recvmsg(sk, &kmsg, len, flags, &addr_len);
	if (n == -ENOTCONN && inet_sk_state_load(sk) == TCP_CLOSE &&
	    !READ_ONCE(sk->sk_err))
		return 0;
	return n;
}

/*
 * The stream is dead.  As in net/tls, a record that fails to open stays in
 * the way, so every later read fails with the same error (@sticky), while a
 * framing error stops the parser: it is reported once and the stream then
 * simply has no more records (rx_after_stop).
 */
static int rx_fail(struct sock *sk, struct mptls_rx *rx, int err,
		   enum mptls_stat stat, bool sticky)
{
	if (sticky)
		rx->err = err;
	else
		rx->stopped = err;
	mptls_stat_inc(sk, stat);
	mptls_report_error(sk, err);
	return err;
}

/*
 * The error a read returns.  A fatal error was also put in sk_err for poll;
 * consume it here, as net/tls does through sock_error().
 */
static int rx_error_result(struct sock *sk, int err)
{
	if (err < 0 && err != -EAGAIN && err != -ERESTARTSYS && err != -EINTR)
		sock_error(sk);
	return err;
}

/*
 * After a framing error, as net/tls after it stops its parser: the error is
 * reported once (sk_err, which poll shows), then the stream has no more
 * records.  Whatever the peer still sends is dropped unread until it closes:
 * a blocking reader waits for that EOF, a non-blocking one gets EAGAIN.
 */
static int rx_after_stop(struct sock *sk, struct mptls_ctx *ctx, bool nonblock)
{
	u8 sink[256];
	int err, n;

	err = sock_error(sk);
	if (err)
		return err;
	do {
		n = rx_pull(sk, ctx, sink, sizeof(sink), nonblock ? MSG_DONTWAIT : 0);
	} while (n > 0);
	if (!n)
		ctx->rx.eof = true;
	return n;
}

/*
 * Pulls the record being reassembled into @to (the header buffer or the
 * record's) until asm_have reaches @want.  1 once it has, 0 at the end of the
 * stream, or -errno; what arrived so far is kept for the next call.
 */
static int rx_fill(struct sock *sk, struct mptls_ctx *ctx, u8 *to,
		   unsigned int want, int flags)
{
	struct mptls_rx *rx = &ctx->rx;
	int n;

	while (rx->asm_have < want) {
		n = rx_pull(sk, ctx, to + rx->asm_have, want - rx->asm_have, flags);
		if (n < 0)
			return n;
		if (!n) {
			rx->eof = true;
			return 0;
		}
		rx->asm_have += n;
	}
	return 1;
}

/*
 * Pulls bytes until one whole record is in, then opens and queues it.
 * Returns 1 when a record was queued, 0 at the end of the stream, or -errno
 * (-EAGAIN when @nonblock and the record is not complete yet; what arrived so
 * far stays in asm_rec for the next call).
 */
static int rx_read_record(struct sock *sk, struct mptls_ctx *ctx, bool nonblock)
{
	/* Blocking: ask for the rest of the header, then of the record, in one call. */
	int pull_flags = nonblock ? MSG_DONTWAIT : MSG_WAITALL;
	struct mptls_rx *rx = &ctx->rx;
	struct mptls_rx_rec *rec;
	unsigned int len;
	int n, err;

	lockdep_assert_held(&rx->lock);
	if (rx->err)
		return rx->err;
	if (rx->stopped)
		return rx_after_stop(sk, ctx, nonblock);

	n = rx_fill(sk, ctx, rx->hdr, MPTLS_HEADER_SIZE, pull_flags);
	if (n <= 0)
		return n;
	if (!rx->asm_len) {
		err = mptls_record_parse_header(rx->hdr, &rx->cs.limits, &len);
		if (err)
			return rx_fail(sk, rx, err, MPTLS_STAT_RX_BAD_RECORD, false);
		rx->asm_len = len;
	}
	if (!rx->asm_rec) {
		/* on failure the header stays in hdr for the next try */
		rx->asm_rec = rx_rec_get(rx);
		if (!rx->asm_rec)
			return -ENOMEM;
		memcpy(rx->asm_rec->buf, rx->hdr, MPTLS_HEADER_SIZE);
	}
	rec = rx->asm_rec;

	n = rx_fill(sk, ctx, rec->buf, rx->asm_len, pull_flags);
	if (n <= 0)
		return n;

	err = mptls_open(&rx->cs, rec->buf, rx->asm_len, &rec->type,
			 &rec->data, &rec->len);
	if (err) {
		memzero_explicit(rec->buf, rx->asm_len);
		return rx_fail(sk, rx, err, MPTLS_STAT_DECRYPT_ERROR, true);
	}
	rec->off = 0;
	list_add_tail(&rec->list, &rx->ready);
	rx->asm_rec = NULL;
	rx->asm_have = 0;
	rx->asm_len = 0;
	return 1;
}

int mptls_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		  int flags, int *addr_len)
{
	struct mptls_ctx *ctx = mptls_get_ctx(sk);
	struct mptls_rx *rx = &ctx->rx;
	bool nonblock = flags & MSG_DONTWAIT;
	bool peek = flags & MSG_PEEK;
	struct mptls_rx_rec *rec, *last_peeked = NULL;
	size_t copied = 0, target;
	u8 control = 0;
	int err = 0;

	if (!READ_ONCE(ctx->rx_ready) || (flags & MSG_ERRQUEUE))
		return ctx->sk_proto->recvmsg(sk, msg, len, flags, addr_len);
	if (flags & MSG_OOB)
		return -EINVAL;

	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	if (mutex_lock_interruptible(&rx->lock))
		return -ERESTARTSYS;

	while (copied < len) {
		size_t chunk;

		if (peek && last_peeked)
			rec = list_is_last(&last_peeked->list, &rx->ready) ? NULL :
			      list_next_entry(last_peeked, list);
		else
			rec = list_first_entry_or_null(&rx->ready,
						       struct mptls_rx_rec, list);

		if (!rec) {
			/* Wait for a record only while below the target. */
			err = rx_read_record(sk, ctx, nonblock || copied >= target);
			if (err > 0)
				continue;
			break;
		}

		if (!control) {
			control = rec->type;
			err = put_cmsg(msg, SOL_TLS, TLS_GET_RECORD_TYPE,
				       sizeof(control), &control);
			if (control != MPTLS_TYPE_APP_DATA &&
			    (err || msg->msg_flags & MSG_CTRUNC)) {
				err = -EIO;
				break;
			}
			err = 0;
		} else if (control != rec->type) {
			break;
		}

		chunk = min_t(size_t, rec->len - rec->off, len - copied);
		if (copy_to_iter(rec->buf + rec->data + rec->off, chunk,
				 &msg->msg_iter) != chunk) {
			err = -EFAULT;
			break;
		}
		copied += chunk;
		if (peek) {
			last_peeked = rec;
		} else {
			rec->off += chunk;
			if (rec->off == rec->len) {
				list_del(&rec->list);
				rx_rec_put(rx, rec);
			}
		}
		/* Control records are read one at a time. */
		if (control != MPTLS_TYPE_APP_DATA)
			break;
	}

	if (rx->spare)
		mptls_idle_touch(ctx);
	mutex_unlock(&rx->lock);
	if (copied)
		return copied;
	return rx_error_result(sk, err);
}

/*
 * For poll: readable means a read would return now: a queued record, a
 * complete record waiting in MPTCP (pulled and opened here, so poll and recv
 * agree), the end of the stream, or a dead stream.
 */
bool mptls_rx_readable(struct sock *sk, struct mptls_ctx *ctx)
{
	struct mptls_rx *rx = &ctx->rx;
	bool readable;

	if (!mutex_trylock(&rx->lock))
		return true;	/* a reader is at work: let it find out */
	if (list_empty(&rx->ready) && !rx->err && !rx->eof)
		rx_read_record(sk, ctx, true);
	readable = !list_empty(&rx->ready) || rx->err || rx->eof ||
		   (rx->stopped && (READ_ONCE(sk->sk_err) ||
				    (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)));
	mutex_unlock(&rx->lock);
	return readable;
}

/*
 * For splice: the type of the next record, waiting for one unless @nonblock.
 * Returns the type, or -errno (0 at the end of the stream).
 */
int mptls_rx_peek_type(struct sock *sk, struct mptls_ctx *ctx, bool nonblock)
{
	struct mptls_rx *rx = &ctx->rx;
	struct mptls_rx_rec *rec;
	int ret;

	if (mutex_lock_interruptible(&rx->lock))
		return -ERESTARTSYS;
	ret = 1;
	while (list_empty(&rx->ready) && ret > 0)
		ret = rx_read_record(sk, ctx, nonblock);
	if (ret > 0) {
		rec = list_first_entry(&rx->ready, struct mptls_rx_rec, list);
		ret = rec->type;
	}
	mutex_unlock(&rx->lock);
	return ret > 0 ? ret : rx_error_result(sk, ret);
}
