// SPDX-License-Identifier: GPL-2.0
/*
 * TX: plaintext from sendmsg (and so from sendfile and splice) is sealed into
 * one record buffer and handed to MPTCP's own sendmsg as kernel memory.
 * MPTCP copies it into its send queue and spreads it over subflows: that copy
 * is the floor, since MPTCP's sendmsg takes no pages (it masks
 * MSG_SPLICE_PAGES away).  Above it there is no copy for bulk data: the AEAD
 * reads the plaintext from where the caller has it and writes the record
 * into the buffer.  The open record is a list of pieces (frags):
 *   - pages handed over by splice/sendfile (MSG_SPLICE_PAGES on 6.12, our
 *     sendpage on 6.1): referenced, and held while the record stays open,
 *     as TCP holds them;
 *   - a user's buffer, when the record is sealed within the call (full, or
 *     the end of a send without MSG_MORE): its pages are referenced for the
 *     seal and let go right after;
 *   - anything else (small or MSG_MORE sends, kernel memory, running out of
 *     pieces) is copied into the buffer at its place in the record.
 *
 * State, all under tx.lock:
 *   open_len     plaintext of a record still open (MSG_MORE), not sealed;
 *   frags        its pieces, with the page references they hold;
 *   pending_*    a sealed record MPTCP has not fully taken yet (send space
 *                ran out, or a signal interrupted the sender).  It goes
 *                before anything else.
 * One buffer serves both: a record is sealed in place and must be fully
 * pushed before the next one is opened.  It comes with the first send and
 * goes back when the connection is quiet (idle.c).
 *
 * Who waits for whom.  A sender sleeps inside MPTCP's sendmsg, waiting for
 * send space, with tx.lock held.  Nobody else may wait behind it:
 *   - senders take the lock interruptibly; a non-blocking one that finds it
 *     held gets EAGAIN (tx_lock());
 *   - the push work only tries the lock: a sender asleep in MPTCP hands
 *     pending bytes back to it when it lets go (mptls_tx_unlock()); any other
 *     holder lets go soon, and the work looks again 10 ms later;
 *   - shutdown never waits for a blocked sender: it shuts MPTCP down under
 *     it, and the sender wakes with EPIPE, as on TCP (mptls_tx_shutdown());
 *   - poll reads pending_len and never takes the lock.
 * Progress comes from MPTCP's wait queue: it wakes it with EPOLLOUT when send
 * space frees, and our entry there (tx.wake) queues the push work while a
 * sealed record waits.  A stalled peer costs nothing.  The entry is there
 * only while the push work waits (tx_wake_arm()).
 */
#include <linux/highmem.h>
#include <linux/uio.h>
#include <linux/sched/signal.h>

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

static void tx_push_work(struct work_struct *work);
static int tx_wake(struct wait_queue_entry *wait, unsigned int mode, int sync, void *key);

/* The push work's next look when the lock was briefly held (net/tls: 10 ms). */
#define MPTLS_PUSH_RETRY	msecs_to_jiffies(10)

static void tx_schedule_push(struct mptls_tx *tx, unsigned long delay)
{
	queue_delayed_work(system_wq, &tx->push_work, delay);
}

/* At attach: the parts that must exist before TLS_TX is set. */
void mptls_tx_setup(struct mptls_ctx *ctx)
{
	mutex_init(&ctx->tx.lock);
	INIT_DELAYED_WORK(&ctx->tx.push_work, tx_push_work);
	init_waitqueue_func_entry(&ctx->tx.wake, tx_wake);
}

/*
 * Our entry on the socket's wait queue is there only while sealed bytes wait
 * for send space.  Every wake-up MPTCP sends (data in, space freed, ACKs)
 * takes the queue's lock and calls each entry on it, where an empty queue
 * costs MPTCP a lockless look (skwq_has_sleeper()): a permanent entry put a
 * lock round trip on every segment, both ways, and cost small records most.
 * The push work arms it before it pushes, so that no wake-up is lost between
 * a push that found no space and the arming; whoever sees nothing left to
 * push lets it go.  All under tx.lock.
 */
static void tx_wake_arm(struct sock *sk, struct mptls_tx *tx)
{
	if (tx->wake_armed || tx->wake_stopped)
		return;
	add_wait_queue(sk_sleep(sk), &tx->wake);
	tx->wake_armed = true;
}

static void tx_wake_disarm(struct sock *sk, struct mptls_tx *tx)
{
	if (!tx->wake_armed)
		return;
	remove_wait_queue(sk_sleep(sk), &tx->wake);
	tx->wake_armed = false;
}

/* Close, before the works stop: no wake-up reaches the context after this. */
void mptls_tx_wake_stop(struct sock *sk, struct mptls_ctx *ctx)
{
	struct mptls_tx *tx = &ctx->tx;

	mutex_lock(&tx->lock);
	tx->wake_stopped = true;
	tx_wake_disarm(sk, tx);
	mutex_unlock(&tx->lock);
}

/*
 * The record buffer, then the open record's pieces and the seal's source
 * list.  The record alone is an order-3 allocation, whose slack holds the
 * rest.
 */
static size_t tx_frags_off(const struct mptls_tx *tx)
{
	return ALIGN(tx_buf_size(tx), sizeof(long));
}

static size_t tx_alloc_size(const struct mptls_tx *tx)
{
	return tx_frags_off(tx) + MPTLS_TX_FRAGS * sizeof(struct mptls_tx_frag) +
	       (MPTLS_TX_FRAGS + 2) * sizeof(struct scatterlist);
}

/* Allocated on first use (buf.c). */
static int tx_get_buf(struct mptls_tx *tx)
{
	if (tx->buf)
		return 0;
	tx->buf = mptls_buf_alloc(tx_alloc_size(tx));
	if (!tx->buf)
		return -ENOMEM;
	tx->frags = (struct mptls_tx_frag *)(tx->buf + tx_frags_off(tx));
	tx->plain_sg = (struct scatterlist *)(tx->frags + MPTLS_TX_FRAGS);
	return 0;
}

/* The open record is gone (sealed or dropped): let go of its pages. */
static void tx_drop_frags(struct mptls_tx *tx)
{
	unsigned int i;

	for (i = 0; i < tx->nr_frags; i++)
		if (tx->frags[i].page)
			put_page(tx->frags[i].page);
	tx->nr_frags = 0;
	tx->open_len = 0;
}

/* Wiped whole: it may hold plaintext of an open or a short last record. */
static void tx_put_buf(struct mptls_tx *tx)
{
	if (!tx->buf)
		return;
	tx_drop_frags(tx);
	mptls_buf_free(tx->buf, tx_alloc_size(tx));
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

	if (!mutex_trylock(&tx->lock))
		return;		/* a sender is at work: not idle */
	if (tx->buf && !tx->open_len && !tx->pending_len) {
		tx_put_buf(tx);
		mptls_stat_inc(ctx->sk, MPTLS_STAT_IDLE_BUF_FREE);
	}
	mutex_unlock(&tx->lock);
}

int mptls_tx_lock(struct sock *sk, struct mptls_ctx *ctx, bool nonblock)
{
	struct mptls_tx *tx = &ctx->tx;

	if (nonblock)
		return mutex_trylock(&tx->lock) ? 0 : -EAGAIN;
	if (mutex_lock_interruptible(&tx->lock))
		return sock_intr_errno(READ_ONCE(sk->sk_sndtimeo));
	return 0;
}

/* Is there work for tx_push_work()?  Caller holds tx.lock. */
static bool tx_work_left(const struct mptls_tx *tx)
{
	return tx->pending_len || (tx->fin_deferred && !tx->err);
}

/*
 * Every holder but the push work lets go here: what it leaves pending (send
 * space ran out, a signal, a push work that missed the lock meanwhile) goes
 * to the work, which tries once and then waits for MPTCP's wake-up.
 */
void mptls_tx_unlock(struct mptls_ctx *ctx)
{
	struct mptls_tx *tx = &ctx->tx;
	bool handoff = tx_work_left(tx);

	if (!handoff)
		tx_wake_disarm(ctx->sk, tx);
	mutex_unlock(&tx->lock);
	if (handoff)
		tx_schedule_push(tx, 0);
}

/*
 * MPTCP woke its wait queue (under the queue's lock, in softirq or the
 * waker's context): send space moves the pending bytes on.  Queue only.
 */
static int tx_wake(struct wait_queue_entry *wait, unsigned int mode, int sync, void *key)
{
	struct mptls_tx *tx = container_of(wait, struct mptls_tx, wake);
	__poll_t events = key_to_poll(key);

	if ((!events || (events & EPOLLOUT)) && READ_ONCE(tx->pending_len))
		tx_schedule_push(tx, 0);
	return 0;
}

/*
 * The stream cannot carry our records any more (MPTCP refused them for good:
 * shut down, reset).  What was sealed is dropped; later sends fail with @err.
 */
static void tx_abort(struct mptls_ctx *ctx, int err)
{
	struct mptls_tx *tx = &ctx->tx;

	tx->err = err;
	tx->pending_off = 0;
	WRITE_ONCE(tx->pending_len, 0);
	tx_drop_frags(tx);
}

/* A poller saw the socket not writable because of pending; tell it. */
static void tx_pending_done(struct sock *sk, struct mptls_tx *tx)
{
	/* pairs with the barrier in mptls_tx_writable() */
	smp_mb();
	if (READ_ONCE(tx->poll_waiting)) {
		WRITE_ONCE(tx->poll_waiting, false);
		mptls_wake_pollers(sk, EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
	}
}

/*
 * Hands the sealed bytes to MPTCP.  0 once all are taken, else -errno:
 * -EAGAIN (no send space; MPTCP wakes us when there is), -EINTR/-ERESTARTSYS
 * (a signal; the bytes stay pending), anything else aborts the stream.
 *
 * A blocking sender marks itself as sleeping in MPTCP (sender_blocked), so
 * that shutdown knows not to wait for it, and stops blocking once shutdown
 * was asked for (fin_deferred).  The barriers pair with mptls_tx_shutdown().
 */
static int tx_push(struct sock *sk, struct mptls_ctx *ctx, int flags)
{
	struct mptls_tx *tx = &ctx->tx;
	int sent = 0;

	lockdep_assert_held(&tx->lock);
	while (tx->pending_len) {
		struct kvec iov = {
			.iov_base = tx->buf + tx->pending_off,
			.iov_len = tx->pending_len,
		};
		struct msghdr kmsg = {
			.msg_flags = flags & (MSG_DONTWAIT | MSG_NOSIGNAL),
		};
		bool may_block = !(kmsg.msg_flags & MSG_DONTWAIT);

		if (may_block) {
			WRITE_ONCE(tx->sender_blocked, true);
			smp_mb();
			if (READ_ONCE(tx->fin_deferred))
				kmsg.msg_flags |= MSG_DONTWAIT;
		}
		iov_iter_kvec(&kmsg.msg_iter, ITER_SOURCE, &iov, 1, iov.iov_len);
		sent = ctx->sk_proto->sendmsg(sk, &kmsg, iov.iov_len);
		if (may_block)
			WRITE_ONCE(tx->sender_blocked, false);
		if (sent <= 0)
			break;
		tx->pending_off += sent;
		WRITE_ONCE(tx->pending_len, tx->pending_len - sent);
	}
	if (!tx->pending_len) {
		tx->pending_off = 0;
		tx_pending_done(sk, tx);
		return 0;
	}
	if (!sent)
		sent = -EAGAIN;
	if (sent != -EAGAIN && sent != -EINTR && sent != -ERESTARTSYS) {
		tx_abort(ctx, sent);
		tx_pending_done(sk, tx);
	}
	return sent;
}

/*
 * The seal's source: NULL when the whole plaintext sits in the buffer (it is
 * sealed in place), else the pieces in plain_sg from entry 1 (cipher.c fills
 * the AAD and TLS 1.3's type around them).
 */
static struct scatterlist *tx_plain_sg(struct mptls_tx *tx, unsigned int prepend)
{
	struct scatterlist *sg = tx->plain_sg;
	unsigned int i;

	if (tx->nr_frags <= 1 && (!tx->nr_frags || !tx->frags[0].page))
		return NULL;
	sg_init_table(sg, tx->nr_frags + 2);
	for (i = 0; i < tx->nr_frags; i++) {
		const struct mptls_tx_frag *f = &tx->frags[i];

		if (f->page)
			sg_set_page(&sg[i + 1], f->page, f->len, f->off);
		else
			sg_set_buf(&sg[i + 1], tx->buf + prepend + f->off, f->len);
	}
	return sg;
}

/* Seals the open record and pushes it. */
static int tx_close_record(struct sock *sk, struct mptls_ctx *ctx, int flags)
{
	struct mptls_tx *tx = &ctx->tx;
	unsigned int prepend = mptls_cipher_prepend(&tx->cs);
	struct scatterlist *plain;
	unsigned int rec_len;
	int err;

	lockdep_assert_held(&tx->lock);
	if (tx->err) {
		tx_drop_frags(tx);	/* the stream is dead: never sent */
		return tx->err;
	}
	plain = tx_plain_sg(tx, prepend);
	err = mptls_seal(&tx->cs, tx->buf, tx->open_type, plain, tx->nr_frags,
			 tx->open_len, &rec_len);
	tx_drop_frags(tx);
	if (plain && !err)
		mptls_stat_inc(sk, MPTLS_STAT_TX_SEAL_BY_REF);
	if (err) {
		/* out of sequence numbers or a crypto failure: the stream is dead */
		tx->err = err;
		mptls_report_error(sk, err);
		return err;
	}
	tx->pending_off = 0;
	WRITE_ONCE(tx->pending_len, rec_len);
	return tx_push(sk, ctx, flags);
}

/* Seals whatever is open and pushes everything, without blocking. */
static int tx_flush_nonblock(struct sock *sk, struct mptls_ctx *ctx)
{
	struct mptls_tx *tx = &ctx->tx;
	int err;

	err = tx->err ?: tx_push(sk, ctx, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (!err && tx->open_len)
		err = tx_close_record(sk, ctx, MSG_DONTWAIT | MSG_NOSIGNAL);
	return err;
}

/*
 * Pushes what waits, and finishes a shutdown(SHUT_WR) that had to wait for
 * it: MPTCP's DATA_FIN goes after our last record, never before it.
 */
static void tx_push_work(struct work_struct *work)
{
	struct mptls_tx *tx = container_of(to_delayed_work(work), struct mptls_tx,
					   push_work);
	struct mptls_ctx *ctx = container_of(tx, struct mptls_ctx, tx);
	struct sock *sk = ctx->sk;

	if (!mutex_trylock(&tx->lock)) {
		/*
		 * A sender asleep in MPTCP calls us again from mptls_tx_unlock();
		 * anyone else (a sockopt, the idle work, a sender still
		 * copying) lets go soon.  Never poll behind a sleeping sender.
		 */
		if (!READ_ONCE(tx->sender_blocked) &&
		    (READ_ONCE(tx->pending_len) || READ_ONCE(tx->fin_deferred)))
			tx_schedule_push(tx, MPTLS_PUSH_RETRY);
		return;
	}
	tx_wake_arm(sk, tx);
	if (tx->fin_deferred) {
		if (!tx_flush_nonblock(sk, ctx) || tx->err) {
			tx->fin_deferred = false;
			/* close cancels this work before the socket goes */
			ctx->sk_ops->shutdown(sk->sk_socket, SHUT_WR);
		}
	} else {
		tx_push(sk, ctx, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	/* not mptls_tx_unlock(): what is left waits for MPTCP's wake-up */
	if (!tx_work_left(tx))
		tx_wake_disarm(sk, tx);
	mutex_unlock(&tx->lock);
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

/*
 * Can this stream take a new record?  Checked before anything is sealed, so
 * that a send after a reset or shutdown spends no sequence number.  sk_err
 * is left for the read that reports it and for poll, as net/tls does.
 */
static int tx_stream_error(struct sock *sk, struct mptls_tx *tx, int flags)
{
	int err = READ_ONCE(sk->sk_err);

	if (err)
		return -err;
	if (tx->err && tx->err != -EPIPE)
		return tx->err;
	if (tx->err || tx->fin_deferred || (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)) {
		if (!(flags & MSG_NOSIGNAL))
			send_sig(SIGPIPE, current, 0);
		return -EPIPE;
	}
	return 0;
}

/* Below this a copy costs less than taking a user's pages. */
#define MPTLS_TX_REF_MIN	2048

/*
 * May @len bytes of @from go into the open record by reference?  Pages that
 * splice or sendfile hand over (@spliced) may be held while the record stays
 * open, as TCP holds them.  A user's buffer is lent only for the call: only
 * when the record is sealed before we return (@seals).  A vmalloc'ed buffer
 * (buf.c's fallback) is only ever sealed in place.
 */
static bool tx_by_ref(const struct mptls_tx *tx, const struct iov_iter *from,
		      size_t len, bool spliced, bool seals)
{
	if (is_vmalloc_addr(tx->buf))
		return false;
	if (spliced)
		return iov_iter_is_bvec(from);
	return user_backed_iter(from) && seals && len >= MPTLS_TX_REF_MIN;
}

/*
 * Takes up to @len bytes of @from by reference into the open record, one
 * piece per page, keeping the last piece free for a copy.  Returns what it
 * took: less when out of pieces or when @from cannot give pages (the rest is
 * then copied, and a bad address fails there).
 */
static size_t tx_take_pages(struct mptls_tx *tx, struct iov_iter *from, size_t len)
{
	struct page *pages[MPTLS_TX_FRAGS];
	size_t taken = 0;

	while (taken < len && tx->nr_frags < MPTLS_TX_FRAGS - 1) {
		unsigned int i = 0;
		size_t start;
		ssize_t got;

		got = iov_iter_get_pages2(from, pages, len - taken,
					  MPTLS_TX_FRAGS - 1 - tx->nr_frags, &start);
		if (got <= 0)
			break;
		taken += got;
		while (got > 0) {
			size_t piece = min_t(size_t, got, PAGE_SIZE - start);

			tx->frags[tx->nr_frags++] = (struct mptls_tx_frag) {
				.page = pages[i++], .off = start, .len = piece,
			};
			got -= piece;
			start = 0;
		}
	}
	tx->open_len += taken;
	return taken;
}

/* Copies @len bytes of @from into the buffer, at their place in the record. */
static int tx_copy(struct mptls_tx *tx, struct iov_iter *from, size_t len,
		   unsigned int prepend)
{
	struct mptls_tx_frag *last = tx->nr_frags ? &tx->frags[tx->nr_frags - 1] : NULL;

	if (copy_from_iter(tx->buf + prepend + tx->open_len, len, from) != len)
		return -EFAULT;
	if (last && !last->page)
		last->len += len;
	else
		tx->frags[tx->nr_frags++] = (struct mptls_tx_frag) {
			.off = tx->open_len, .len = len,
		};
	tx->open_len += len;
	return 0;
}

/* Adds @len bytes of @from to the open record: all of them, or none. */
static int tx_append(struct mptls_tx *tx, struct iov_iter *from, size_t len,
		     unsigned int prepend, bool by_ref)
{
	unsigned int nr_frags = tx->nr_frags, open_len = tx->open_len;
	int err;

	if (by_ref)
		len -= tx_take_pages(tx, from, len);
	err = len ? tx_copy(tx, from, len, prepend) : 0;
	if (err) {
		while (tx->nr_frags > nr_frags)
			put_page(tx->frags[--tx->nr_frags].page);
		tx->open_len = open_len;
	}
	return err;
}

/* sendmsg, and 6.1's sendpage: @spliced when the pages may be held. */
static int tx_sendmsg(struct sock *sk, struct msghdr *msg, bool spliced)
{
	struct mptls_ctx *ctx = mptls_get_ctx(sk);
	struct mptls_tx *tx = &ctx->tx;
	int flags = msg->msg_flags;
	unsigned int prepend;
	size_t copied = 0;
	bool eor;
	u8 type;
	int err;

	if (flags & ~MPTLS_TX_FLAGS)
		return -EOPNOTSUPP;

	err = mptls_tx_lock(sk, ctx, flags & MSG_DONTWAIT);
	if (err)
		return err;
	if (msg->msg_controllen)
		err = tx_record_type(msg, &type);
	else
		type = MPTLS_TYPE_APP_DATA;
	if (err)
		goto out;

	/* A record never mixes types, and control records are never left open. */
	eor = !(flags & (MSG_MORE | MSG_SENDPAGE_NOTLAST)) || (flags & MSG_EOR) ||
	      type != MPTLS_TYPE_APP_DATA;

	err = tx_stream_error(sk, tx, flags) ?: tx_get_buf(tx) ?: tx_push(sk, ctx, flags);
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
			bool seals = chunk == room ||
				     (eor && chunk == msg_data_left(msg));

			err = tx_append(tx, &msg->msg_iter, chunk, prepend,
					tx_by_ref(tx, &msg->msg_iter, chunk,
						  spliced, seals));
			if (err)
				goto out;
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
		/* Shut down or reset meanwhile: seal nothing more. */
		err = tx_stream_error(sk, tx, flags | MSG_NOSIGNAL);
		if (err)
			break;
	}
out:
	if (tx->buf)
		mptls_idle_touch(ctx);
	mptls_tx_unlock(ctx);
	return copied ? copied : err;
}

int mptls_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct mptls_ctx *ctx = mptls_get_ctx(sk);

	if (!READ_ONCE(ctx->tx_ready))
		return ctx->sk_proto->sendmsg(sk, msg, size);
	return tx_sendmsg(sk, msg, msg->msg_flags & MSG_SPLICE_PAGES);
}

#ifdef MPTLS_HAVE_PROTO_SENDPAGE
/*
 * 6.1's sendfile and splice come here one page at a time (inet_sendpage):
 * the page is referenced, as MSG_SPLICE_PAGES brings it on 6.12.
 */
int mptls_sendpage(struct sock *sk, struct page *page, int offset, size_t size,
		   int flags)
{
	struct mptls_ctx *ctx = mptls_get_ctx(sk);
	struct bio_vec bvec = {
		.bv_page = page, .bv_offset = offset, .bv_len = size,
	};
	struct msghdr msg = { .msg_flags = flags };

	if (!READ_ONCE(ctx->tx_ready))
		return sock_no_sendpage(sk->sk_socket, page, offset, size, flags);
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bvec, 1, size);
	return tx_sendmsg(sk, &msg, sendpage_ok(page));
}
#endif

/* The end of a sendfile/splice: seal a record that MSG_MORE left open. */
void mptls_tx_flush(struct sock *sk, struct mptls_ctx *ctx)
{
	if (!READ_ONCE(ctx->tx_ready) || mptls_tx_lock(sk, ctx, false))
		return;
	tx_flush_nonblock(sk, ctx);
	mptls_tx_unlock(ctx);
}

/*
 * shutdown(SHUT_WR).  Returns true when MPTCP may send its DATA_FIN now.
 * Never waits for send space, and never for a sender that waits for it:
 *  - lock free: seal what is open, push without blocking; if MPTCP cannot
 *    take it all yet, the DATA_FIN is deferred to the push work, which
 *    sends it behind our last record (as TCP queues its FIN behind data);
 *  - a sender sleeps in MPTCP's sendmsg: shut MPTCP down now; the sender
 *    wakes with EPIPE, as on TCP.  The record it was pushing is cut short,
 *    as TCP + tls.ko cuts it;
 *  - someone else holds the lock briefly (a sender still copying, the
 *    works, a sockopt): defer to the push work, which waits its turn.
 * The barriers pair with tx_push(): either the sender sees fin_deferred
 * and does not block, or we see it blocked.
 */
bool mptls_tx_shutdown(struct sock *sk, struct mptls_ctx *ctx)
{
	struct mptls_tx *tx = &ctx->tx;
	bool now;

	if (!READ_ONCE(ctx->tx_ready))
		return true;
	if (!mutex_trylock(&tx->lock)) {
		WRITE_ONCE(tx->fin_deferred, true);
		smp_mb();
		if (READ_ONCE(tx->sender_blocked))
			return true;
		if (!mutex_trylock(&tx->lock)) {
			tx_schedule_push(tx, 0);
			return false;
		}
	}
	tx_flush_nonblock(sk, ctx);
	now = !tx->pending_len;
	WRITE_ONCE(tx->fin_deferred, !now);
	mptls_tx_unlock(ctx);
	return now;
}

/*
 * close(): no sender is left (close runs after the last file reference), so
 * only the works could race; they are stopped first.  Close never waits:
 *  - SO_LINGER {1, 0} asks for an abortive close: nothing is flushed;
 *  - otherwise what is open is sealed and everything goes to MPTCP, which
 *    sends it in the background as TCP does after close.  If MPTCP's send
 *    queue is full, it is given room for exactly our last record: waiting
 *    here would make process exit pay for every stalled peer in turn, and
 *    dropping it would cut a stream that send() reported as sent.
 */
void mptls_tx_close(struct sock *sk, struct mptls_ctx *ctx)
{
	struct mptls_tx *tx = &ctx->tx;
	int boost, sndbuf, err;

	if (!READ_ONCE(ctx->tx_ready))
		return;
	/* the socket's wake-ups no longer reach us (mptls_tx_wake_stop()) */
	cancel_delayed_work_sync(&tx->push_work);

	mutex_lock(&tx->lock);
	if (sock_flag(sk, SOCK_LINGER) && !READ_ONCE(sk->sk_lingertime))
		goto out;
	err = tx_flush_nonblock(sk, ctx);
	if (err != -EAGAIN)
		goto out;

	boost = tx->pending_len + (tx->open_len ? tx_buf_size(tx) : 0) + PAGE_SIZE;
	lock_sock(sk);
	sndbuf = READ_ONCE(sk->sk_sndbuf) + boost;
	WRITE_ONCE(sk->sk_sndbuf, sndbuf);
	release_sock(sk);
	err = tx_flush_nonblock(sk, ctx);
	lock_sock(sk);
	/* unless MPTCP set its own size meanwhile (subflow send buffers) */
	if (READ_ONCE(sk->sk_sndbuf) == sndbuf)
		WRITE_ONCE(sk->sk_sndbuf, sndbuf - boost);
	release_sock(sk);
	if (err)
		mptls_stat_inc(sk, MPTLS_STAT_TX_CLOSE_DROP);
out:
	mutex_unlock(&tx->lock);
}

/*
 * For poll: not writable while a sealed record waits for MPTCP.  Never
 * pushes and never takes the lock; the barrier pairs with tx_pending_done(),
 * so a poller that saw pending bytes is woken once they are gone.
 */
bool mptls_tx_writable(struct sock *sk, struct mptls_ctx *ctx)
{
	struct mptls_tx *tx = &ctx->tx;

	if (!READ_ONCE(ctx->tx_ready) || !READ_ONCE(tx->pending_len))
		return true;
	WRITE_ONCE(tx->poll_waiting, true);
	smp_mb();
	return !READ_ONCE(tx->pending_len);
}

/* getsockopt(TLS_TX): interruptible, as senders are. */
int mptls_tx_getsockopt(struct sock *sk, struct mptls_ctx *ctx,
			char __user *optval, int __user *optlen)
{
	struct mptls_tx *tx = &ctx->tx;
	int err;

	err = mptls_tx_lock(sk, ctx, false);
	if (err)
		return err;
	err = mptls_cipher_getsockopt(&tx->cs, optval, optlen);
	mptls_tx_unlock(ctx);
	return err;
}

/*
 * A second TLS_TX: a TLS 1.3 key update.  What a sender left open (MSG_MORE)
 * was written before the update, so it is sealed under the old key first;
 * sealed bytes MPTCP has not taken yet go out as they are.  A refused update
 * changes nothing.  Caller holds tx.lock and not the msk lock: sealing pushes.
 */
int mptls_tx_rekey(struct sock *sk, struct mptls_ctx *ctx, sockptr_t optval,
		   unsigned int optlen)
{
	struct mptls_tx *tx = &ctx->tx;
	struct mptls_cipher_state *next;

	lockdep_assert_held(&tx->lock);
	next = mptls_cipher_next(&tx->cs, optval, optlen);
	if (IS_ERR(next))
		return PTR_ERR(next);
	if (tx->open_len)
		tx_flush_nonblock(sk, ctx);	/* a dead stream keeps its error */
	mptls_cipher_swap(&tx->cs, next);
	return 0;
}
