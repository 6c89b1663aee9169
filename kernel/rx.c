// SPDX-License-Identifier: GPL-2.0
/*
 * RX: the byte stream MPTCP has already put back in order, whatever subflow
 * each byte came on, is pulled with MPTCP's own recvmsg into a record buffer
 * and cut at record boundaries (record.h).  That copy is the floor: MPTCP
 * has no read_sock, so its skbs cannot be decrypted from.  A record of
 * application data that fits the reader's buffer whole is then opened
 * straight into the reader's pages (rx_open_direct()); any other (a peek, a
 * short read, a control record, a kernel buffer) is opened in place and
 * queued, and recvmsg copies plaintext out of the queue.  Either way with
 * net/tls semantics: one record type per call, the type in a
 * TLS_GET_RECORD_TYPE cmsg, MSG_PEEK across records, and
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
 *   nr_queued                 records in ready and asm_rec: bounded by
 *                             sk_rcvbuf, so a reader that only peeks stops
 *                             pulling and MPTCP's window closes.
 * Plaintext of a record that fails to authenticate is wiped, never queued.
 *
 * Who waits for whom.  A reader sleeps inside MPTCP's recvmsg with rx.lock
 * held.  Other readers take the lock interruptibly, and a non-blocking one
 * that finds it held gets EAGAIN, as net/tls's tls_rx_reader_acquire();
 * the idle work only tries it; poll tries it and, when it is held, says
 * "not readable" and leaves a note (poll_contended) so that the reader
 * wakes pollers as it lets go (rx_unlock()).  Poll never pulls a byte,
 * never decrypts and never clears sk_err: it peeks at MPTCP's queue.
 */
#include <linux/gfp.h>
#include <linux/uio.h>

#include "mptls.h"

/* The largest buffer a record takes (rx_rec_get()). */
static size_t rx_rec_size(const struct mptls_rx *rx)
{
	return sizeof(struct mptls_rx_rec) + mptls_record_max_len(&rx->cs.limits) +
	       MPTLS_HEADER_SIZE;
}

static void rx_spare_free(struct mptls_rx *rx)
{
	/* wiped when it was put */
	mptls_buf_free(rx->spare, 0);
	rx->spare = NULL;
}

/*
 * A buffer for a record of @len bytes, with room for the next record's
 * header read along with it (rx_fill_record()): the spare when it is large
 * enough, else one of just that size.  A reader that waits for each record
 * gives the spare back first (rx_read_record()), so small records must not
 * cost a 20 KiB allocation each, zeroed page by page where the kernel
 * initialises what it allocates (init_on_alloc, Debian's default).
 */
static struct mptls_rx_rec *rx_rec_get(struct mptls_rx *rx, unsigned int len)
{
	unsigned int cap = len + MPTLS_HEADER_SIZE;
	struct mptls_rx_rec *rec = rx->spare;

	if (rec && rec->cap >= cap) {
		rx->spare = NULL;
	} else {
		rx_spare_free(rx);
		rec = mptls_buf_alloc(sizeof(*rec) + cap);
		if (!rec)
			return NULL;
		rec->cap = cap;
	}
	rx->nr_queued++;
	return rec;
}

static void rx_rec_put(struct mptls_rx *rx, struct mptls_rx_rec *rec)
{
	/* Only plaintext and ciphertext of this record: wipe the used part. */
	memzero_explicit(rec->buf, rec->data + rec->len);
	rx->nr_queued--;
	if (!rx->spare) {
		rx->spare = rec;
		return;
	}
	mptls_buf_free(rec, 0);
}

/* A peeking reader holds records back: stop pulling at sk_rcvbuf. */
static bool rx_queue_full(const struct sock *sk, const struct mptls_rx *rx)
{
	return !list_empty(&rx->ready) &&
	       (size_t)rx->nr_queued * rx_rec_size(rx) >= READ_ONCE(sk->sk_rcvbuf);
}

int mptls_rx_lock(struct sock *sk, struct mptls_ctx *ctx, bool nonblock)
{
	struct mptls_rx *rx = &ctx->rx;

	if (nonblock)
		return mutex_trylock(&rx->lock) ? 0 : -EAGAIN;
	if (mutex_lock_interruptible(&rx->lock))
		return sock_intr_errno(READ_ONCE(sk->sk_rcvtimeo));
	return 0;
}

/*
 * Every holder of rx.lock lets go here: a poller that found it held (and
 * said "not readable") is woken to look again.
 */
void mptls_rx_unlock(struct sock *sk, struct mptls_ctx *ctx)
{
	struct mptls_rx *rx = &ctx->rx;

	mutex_unlock(&rx->lock);
	/* pairs with the barrier in mptls_rx_readable() */
	smp_mb();
	if (READ_ONCE(rx->poll_contended)) {
		WRITE_ONCE(rx->poll_contended, false);
		mptls_wake_pollers(sk, EPOLLIN | EPOLLRDNORM);
	}
}

/* idle.c: the spare goes back once records stop coming. */
void mptls_rx_release_idle(struct mptls_ctx *ctx)
{
	struct mptls_rx *rx = &ctx->rx;

	if (!mutex_trylock(&rx->lock))
		return;		/* a reader is at work: not idle */
	if (rx->spare) {
		rx_spare_free(rx);
		mptls_stat_inc(ctx->sk, MPTLS_STAT_IDLE_BUF_FREE);
	}
	mptls_rx_unlock(ctx->sk, ctx);
}

int mptls_rx_init(struct mptls_ctx *ctx)
{
	mutex_init(&ctx->rx.lock);
	INIT_LIST_HEAD(&ctx->rx.ready);
	return 0;
}

/*
 * Poll must know how many bytes of the stream MPTCP holds, and MPTCP's peek
 * shows only its reader's queue: once a peek has left bytes there, later
 * arrivals wait in its socket queue, out of the peek's sight, until a read
 * consumes them.  Its TCP_INQ count (a cmsg on each recvmsg) covers both
 * queues, so it is turned on with TLS_RX: the user's reads never reach
 * MPTCP's recvmsg any more, and getsockopt/setsockopt(TCP_INQ) answer with
 * the user's own setting from then on (ctx->rx.user_inq, off until set, as
 * tls.ko's reads on TCP carry no TCP_CM_INQ either).  set_crypto() turns
 * it on before TLS_RX is ready, and off again if TLS_RX is refused.  Caller
 * holds rx.lock.
 */
int mptls_rx_set_inq(struct sock *sk, struct mptls_ctx *ctx, bool on)
{
	int val = on;

	return mptls_orig_setsockopt(sk, SOL_TCP, TCP_INQ, KERNEL_SOCKPTR(&val),
				     sizeof(val));
}

/* setsockopt(TCP_INQ) once TLS_RX is on: checked as do_tcp_setsockopt(). */
int mptls_rx_set_user_inq(struct sock *sk, struct mptls_ctx *ctx,
			  sockptr_t optval, unsigned int optlen)
{
	int val, err;

	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (val < 0 || val > 1)
		return -EINVAL;
	err = mptls_rx_lock(sk, ctx, false);
	if (err)
		return err;
	ctx->rx.user_inq = val;
	mptls_rx_unlock(sk, ctx);
	return 0;
}

/* getsockopt(TCP_INQ) once TLS_RX is on: an int, as do_tcp_getsockopt(). */
int mptls_rx_get_user_inq(struct sock *sk, struct mptls_ctx *ctx,
			  char __user *optval, int __user *optlen)
{
	int val = READ_ONCE(ctx->rx.user_inq), len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

void mptls_rx_free(struct mptls_ctx *ctx)
{
	struct mptls_rx *rx = &ctx->rx;
	struct mptls_rx_rec *rec, *tmp;

	list_for_each_entry_safe(rec, tmp, &rx->ready, list) {
		list_del(&rec->list);
		mptls_buf_free(rec, sizeof(*rec) + rec->cap);
	}
	if (rx->asm_rec)
		mptls_buf_free(rx->asm_rec, sizeof(*rx->asm_rec) + rx->asm_rec->cap);
	rx->asm_rec = NULL;
	rx_spare_free(rx);
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
 * The error a read returns.  A fatal error was also put in sk_err, for poll;
 * the read that reports it consumes it, as net/tls does through
 * sock_error().  Any other error (EFAULT, ENOMEM, EAGAIN, a signal) leaves
 * sk_err alone, so that a reset is never later read as a clean EOF.
 */
static int rx_error_result(struct sock *sk, int err)
{
	if (err < 0 && READ_ONCE(sk->sk_err) == -err)
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
 * Pulls the rest of the record being reassembled into @buf (its buffer) and,
 * when MPTCP already holds them, up to a header's worth of bytes past it: the
 * next record's header, which rx_next_header() keeps.  Records that arrive
 * back to back (small writes) then cost one MPTCP recvmsg each, not two (one
 * for the header, one for the rest), as net/tls's parser takes them from TCP's
 * queue in one pass.  Only bytes MPTCP already holds are read ahead
 * (MSG_DONTWAIT); the rest of this record is then waited for exactly, so a
 * reader never waits for a record the peer has not sent.  Returns as
 * rx_fill().
 */
static int rx_fill_record(struct sock *sk, struct mptls_ctx *ctx, u8 *buf, int flags)
{
	struct mptls_rx *rx = &ctx->rx;
	int n;

	if (rx->asm_have < rx->asm_len) {
		n = rx_pull(sk, ctx, buf + rx->asm_have,
			    rx->asm_len + MPTLS_HEADER_SIZE - rx->asm_have, MSG_DONTWAIT);
		if (!n) {
			rx->eof = true;
			return 0;
		}
		if (n < 0 && n != -EAGAIN)
			return n;
		if (n > 0)
			rx->asm_have += n;
	}
	return rx_fill(sk, ctx, buf, rx->asm_len, flags);
}

/* The record in @buf is complete: what was read past it starts the next one. */
static void rx_next_header(struct mptls_rx *rx, const u8 *buf)
{
	unsigned int ahead = rx->asm_have - rx->asm_len;

	memcpy(rx->hdr, buf + rx->asm_len, ahead);
	rx->asm_have = ahead;
	rx->asm_len = 0;
}

/* A reader's buffer that the next record may be opened into (recvmsg). */
struct rx_direct {
	struct iov_iter *to;
	size_t room;		/* bytes the reader still wants */
	size_t delivered;	/* plaintext put there by rx_read_record() */
};

/* Pages of a reader's buffer per record: 16 KiB spans 5; iovecs bring more. */
#define MPTLS_RX_DIRECT_PAGES	16

/* Lets go of the reader's pages: written to, so dirty for the page cache. */
static void rx_put_pages(struct scatterlist *sg, unsigned int nr)
{
	unsigned int i;

	for (i = 1; i <= nr; i++) {
		set_page_dirty_lock(sg_page(&sg[i]));
		put_page(sg_page(&sg[i]));
	}
}

/*
 * Opens the whole record @rec (@rec_len bytes) straight into the reader's
 * pages.  Only application data that fits the reader's room whole: the
 * plaintext length is known before decrypting (TLS 1.3's inner type byte
 * goes to a byte of ours), and what does not qualify after all (TLS 1.3
 * padding or a control record, seen only once opened; too many pieces of
 * buffer) is wiped from the reader's buffer and left sealed for the queued
 * path, the sequence number unmoved.  Returns the plaintext bytes delivered,
 * 0 for "take the queued path", or -errno.
 */
static int rx_open_direct(struct sock *sk, struct mptls_rx *rx,
			  struct mptls_rx_rec *rec, unsigned int rec_len,
			  struct rx_direct *direct)
{
	struct mptls_cipher_state *cs = &rx->cs;
	struct scatterlist out[MPTLS_RX_DIRECT_PAGES + 2];
	struct page *pages[MPTLS_RX_DIRECT_PAGES];
	unsigned int overhead = mptls_cipher_prepend(cs) + cs->desc->tag_size;
	unsigned int plain_len, nr = 0;
	size_t mapped = 0;
	int err = 0;

	if (rec_len < overhead + cs->limits.tail)
		return 0;	/* malformed: the queued path reports it */
	plain_len = rec_len - overhead - cs->limits.tail;
	if (!plain_len || plain_len > direct->room ||
	    (!cs->limits.tail && rec->buf[0] != MPTLS_TYPE_APP_DATA))
		return 0;

	sg_init_table(out, MPTLS_RX_DIRECT_PAGES + 2);
	while (mapped < plain_len && nr < MPTLS_RX_DIRECT_PAGES) {
		unsigned int i = 0;
		size_t start;
		ssize_t got;

		got = iov_iter_get_pages2(direct->to, pages, plain_len - mapped,
					  MPTLS_RX_DIRECT_PAGES - nr, &start);
		if (got <= 0)
			break;
		mapped += got;
		while (got > 0) {
			size_t piece = min_t(size_t, got, PAGE_SIZE - start);

			sg_set_page(&out[++nr], pages[i++], piece, start);
			got -= piece;
			start = 0;
		}
	}
	if (mapped < plain_len)
		goto fallback;
	if (cs->limits.tail)
		sg_set_buf(&out[++nr], &cs->inner_type, 1);
	sg_mark_end(&out[nr]);
	if (cs->limits.tail)
		nr--;	/* the type byte is ours, not a page to put */

	err = mptls_open_into(cs, rec->buf, rec_len, out);
	if (!err && cs->limits.tail && cs->inner_type != MPTLS_TYPE_APP_DATA)
		goto wipe;	/* padding (type byte 0) or a control record */
	if (err)
		goto wipe;	/* never leave unauthenticated plaintext there */
	rx_put_pages(out, nr);
	direct->delivered = plain_len;
	mptls_stat_inc(sk, MPTLS_STAT_RX_OPEN_DIRECT);
	return mptls_open_accept(cs) ?: plain_len;

wipe:
	sg_zero_buffer(&out[1], nr, plain_len, 0);
	if (!err)
		mptls_stat_inc(sk, MPTLS_STAT_RX_DIRECT_RETRY);
fallback:
	rx_put_pages(out, nr);
	iov_iter_revert(direct->to, mapped);
	return err;
}

/*
 * Pulls bytes until one whole record is in, then opens it: into the
 * reader's buffer when @direct allows (returns 2, direct->delivered says
 * how much), else in place onto the queue (returns 1).  0 at the end of the
 * stream, or -errno (-EAGAIN when @nonblock and the record is not complete
 * yet; what arrived so far stays in asm_rec for the next call).
 */
static int rx_read_record(struct sock *sk, struct mptls_ctx *ctx, bool nonblock,
			  struct rx_direct *direct)
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
	if (rx->key_update_pending)
		return -EKEYEXPIRED;	/* as net/tls until TLS_RX has the next key */
	if (rx->stopped)
		return rx_after_stop(sk, ctx, nonblock);

	if (!rx->asm_rec && rx_queue_full(sk, rx))
		return -ENOBUFS;

	if (!rx->asm_have && !nonblock) {
		/*
		 * About to wait for the next record: a reader that waits on a
		 * quiet connection holds no buffer, whatever the idle work can
		 * do meanwhile.
		 */
		n = rx_fill(sk, ctx, rx->hdr, MPTLS_HEADER_SIZE, MSG_DONTWAIT);
		if (n == -EAGAIN) {
			rx_spare_free(rx);
			n = rx_fill(sk, ctx, rx->hdr, MPTLS_HEADER_SIZE, pull_flags);
		}
	} else {
		n = rx_fill(sk, ctx, rx->hdr, MPTLS_HEADER_SIZE, pull_flags);
	}
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
		rx->asm_rec = rx_rec_get(rx, rx->asm_len);
		if (!rx->asm_rec)
			return -ENOMEM;
		memcpy(rx->asm_rec->buf, rx->hdr, MPTLS_HEADER_SIZE);
	}
	rec = rx->asm_rec;

	n = rx_fill_record(sk, ctx, rec->buf, pull_flags);
	if (n <= 0)
		return n;

	err = direct ? rx_open_direct(sk, rx, rec, rx->asm_len, direct) : 0;
	if (err > 0) {
		/* ciphertext only in the buffer: nothing to wipe */
		rec->data = 0;
		rec->len = 0;
		rx_next_header(rx, rec->buf);
		rx_rec_put(rx, rec);
		rx->asm_rec = NULL;
		return 2;
	}
	if (!err)
		err = mptls_open(&rx->cs, rec->buf, rx->asm_len, &rec->type,
				 &rec->data, &rec->len);
	if (err) {
		memzero_explicit(rec->buf, rx->asm_len);
		return rx_fail(sk, rx, err, MPTLS_STAT_DECRYPT_ERROR, true);
	}
	if (!rec->type) {
		/* TLS 1.2 has no content type 0; net/tls answers EBADMSG */
		memzero_explicit(rec->buf, rx->asm_len);
		return rx_fail(sk, rx, -EBADMSG, MPTLS_STAT_RX_BAD_RECORD, true);
	}
	/* TLS 1.3: the records after a KeyUpdate are under the next key */
	if (rec->type == MPTLS_TYPE_HANDSHAKE && rx->cs.version == TLS_1_3_VERSION &&
	    mptls_hs_scan_key_update(&rx->hs_scan, rec->buf + rec->data, rec->len)) {
		WRITE_ONCE(rx->key_update_pending, true);
		mptls_stat_inc(sk, MPTLS_STAT_RX_REKEY_RECEIVED);
	}
	rec->off = 0;
	list_add_tail(&rec->list, &rx->ready);
	rx_next_header(rx, rec->buf);
	rx->asm_rec = NULL;
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
	err = mptls_rx_lock(sk, ctx, nonblock);
	if (err)
		return err;

	while (copied < len) {
		size_t chunk;

		if (peek && last_peeked)
			rec = list_is_last(&last_peeked->list, &rx->ready) ? NULL :
			      list_next_entry(last_peeked, list);
		else
			rec = list_first_entry_or_null(&rx->ready,
						       struct mptls_rx_rec, list);

		if (!rec) {
			struct rx_direct direct = {
				.to = &msg->msg_iter, .room = len - copied,
			};
			bool may_direct = !peek && user_backed_iter(&msg->msg_iter) &&
					  (!control || control == MPTLS_TYPE_APP_DATA);

			/* Wait for a record only while below the target. */
			err = rx_read_record(sk, ctx, nonblock || copied >= target,
					     may_direct ? &direct : NULL);
			if (err == 2) {
				if (!control) {
					control = MPTLS_TYPE_APP_DATA;
					put_cmsg(msg, SOL_TLS, TLS_GET_RECORD_TYPE,
						 sizeof(control), &control);
				}
				copied += direct.delivered;
				err = 0;
				continue;
			}
			if (err > 0)
				continue;
			if (err == -ENOBUFS)	/* a peek filled sk_rcvbuf */
				err = copied ? 0 : -EAGAIN;
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
	mptls_rx_unlock(sk, ctx);
	if (copied)
		return copied;
	return rx_error_result(sk, err);
}

/*
 * MPTCP's queue, looked at without taking anything from it: copies up to
 * @len bytes to @to (at least one byte is looked at), and stores in @inq
 * how many bytes MPTCP holds in all its queues (TCP_INQ, turned on with
 * TLS_RX; 0 when it has none).  Returns the bytes copied or -errno.
 */
static int rx_peek(struct sock *sk, struct mptls_ctx *ctx, u8 *to, size_t len,
		   int *inq)
{
	u8 byte, cbuf[CMSG_SPACE(sizeof(int))] __aligned(sizeof(long));
	struct kvec iov = { .iov_base = to ?: &byte, .iov_len = to ? len : 1 };
	struct msghdr kmsg = {
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = (struct cmsghdr *)cbuf;
	int addr_len = 0;
	int n;

	*inq = 0;
	iov_iter_kvec(&kmsg.msg_iter, ITER_DEST, &iov, 1, iov.iov_len);
	n = ctx->sk_proto->recvmsg(sk, &kmsg, iov.iov_len, MSG_PEEK | MSG_DONTWAIT,
				   &addr_len);
	/* put_cmsg() moved msg_control on past what it wrote */
	if (kmsg.msg_controllen < sizeof(cbuf) && cmsg->cmsg_level == SOL_TCP &&
	    cmsg->cmsg_type == TCP_CM_INQ && cmsg->cmsg_len >= CMSG_LEN(sizeof(int)))
		memcpy(inq, CMSG_DATA(cmsg), sizeof(int));
	return n;
}

/*
 * Under rx.lock: is the rest of the record being reassembled in MPTCP?
 * The next header is peeked at (it is at the front of MPTCP's reader's
 * queue, or the peek moves it there), and MPTCP's TCP_INQ count says
 * whether the rest of the record is in, in whichever of its queues: exact,
 * as tls.ko's parser is on TCP.  Only a header split so that part of it
 * is out of the peek's sight (mptls_rx_set_inq()) makes the answer
 * "readable" early: a read then finds out.
 */
static bool rx_record_waiting(struct sock *sk, struct mptls_ctx *ctx)
{
	struct mptls_rx *rx = &ctx->rx;
	unsigned int have = rx->asm_have, len = rx->asm_len;
	u8 hdr[MPTLS_HEADER_SIZE];
	int n, inq;

	lockdep_assert_held(&rx->lock);
	/* a whole header read ahead with the last record (rx_next_header()) */
	if (!len && have == MPTLS_HEADER_SIZE &&
	    mptls_record_parse_header(rx->hdr, &rx->cs.limits, &len))
		return true;			/* a read reports it */
	if (len) {
		/* one byte at least: the peek moves MPTCP's data where INQ counts it */
		n = rx_peek(sk, ctx, NULL, 1, &inq);
	} else {
		memcpy(hdr, rx->hdr, have);
		n = rx_peek(sk, ctx, hdr + have, MPTLS_HEADER_SIZE - have, &inq);
		if (n == MPTLS_HEADER_SIZE - have &&
		    mptls_record_parse_header(hdr, &rx->cs.limits, &len))
			return true;		/* a read reports it */
	}
	if (n < 0 && n != -EAGAIN)
		return true;			/* ditto */
	return inq >= (len ?: MPTLS_HEADER_SIZE) - have;
}

/*
 * For poll: readable means a read would return now: a queued record, a
 * whole record waiting in MPTCP, the end of the stream, or a dead stream.
 * @mptcp_mask is what MPTCP's own poll said.
 */
bool mptls_rx_readable(struct sock *sk, struct mptls_ctx *ctx, __poll_t mptcp_mask)
{
	struct mptls_rx *rx = &ctx->rx;
	bool readable;

	if (!list_empty_careful(&rx->ready) || READ_ONCE(rx->err) || READ_ONCE(rx->eof))
		return true;
	if (READ_ONCE(rx->key_update_pending))
		return false;	/* a read says EKEYEXPIRED until the next key */
	if (READ_ONCE(rx->stopped))
		return READ_ONCE(sk->sk_err) || (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN);
	if (!(mptcp_mask & EPOLLIN))
		return false;
	if (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)
		return true;	/* EOF, or a record cut short: a read says which */

	if (!mutex_trylock(&rx->lock)) {
		/* a reader is at work; it wakes us as it lets go */
		WRITE_ONCE(rx->poll_contended, true);
		smp_mb();
		if (!mutex_trylock(&rx->lock))
			return false;
	}
	readable = !list_empty(&rx->ready) || rx_record_waiting(sk, ctx);
	mptls_rx_unlock(sk, ctx);
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

	ret = mptls_rx_lock(sk, ctx, nonblock);
	if (ret)
		return ret;
	ret = 1;
	while (list_empty(&rx->ready) && ret > 0)
		ret = rx_read_record(sk, ctx, nonblock, NULL);
	if (ret > 0) {
		rec = list_first_entry(&rx->ready, struct mptls_rx_rec, list);
		ret = rec->type;
	}
	mptls_rx_unlock(sk, ctx);
	return ret > 0 ? ret : rx_error_result(sk, ret);
}

/* getsockopt(TLS_RX): interruptible, as readers are. */
int mptls_rx_getsockopt(struct sock *sk, struct mptls_ctx *ctx,
			char __user *optval, int __user *optlen)
{
	struct mptls_rx *rx = &ctx->rx;
	int err;

	err = mptls_rx_lock(sk, ctx, false);
	if (err)
		return err;
	err = mptls_cipher_getsockopt(&rx->cs, optval, optlen);
	mptls_rx_unlock(sk, ctx);
	return err;
}

/*
 * A second TLS_RX: a TLS 1.3 key update, normally after a KeyUpdate from the
 * peer stopped the opening of records (rx_read_record()).  Records that
 * waited for the key may be in already: pollers look again.
 */
int mptls_rx_rekey(struct sock *sk, struct mptls_ctx *ctx, sockptr_t optval,
		   unsigned int optlen)
{
	struct mptls_rx *rx = &ctx->rx;
	struct mptls_cipher_state *next;

	lockdep_assert_held(&rx->lock);
	next = mptls_cipher_next(&rx->cs, optval, optlen);
	if (IS_ERR(next))
		return PTR_ERR(next);
	mptls_cipher_swap(&rx->cs, next);
	memset(&rx->hs_scan, 0, sizeof(rx->hs_scan));
	WRITE_ONCE(rx->key_update_pending, false);
	mptls_wake_pollers(sk, EPOLLIN | EPOLLRDNORM);
	return 0;
}
