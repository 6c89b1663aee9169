// SPDX-License-Identifier: MIT
/*
 * Where the copies go (kernel/tx.c, kernel/rx.c): above MPTCP's own copy,
 * bulk data is not copied.  /proc/net/mptls_stat says which path each
 * record took, and every test checks the bytes too:
 *   MptlsTxSealByRef    records sealed straight from the sender's pages
 *                       (a large send, sendfile/splice);
 *   MptlsRxOpenDirect   records opened straight into the reader's buffer;
 *   MptlsRxDirectRetry  records that turned out not to qualify once opened
 *                       (TLS 1.3: a control record) and took the queue.
 * Small sends, MSG_MORE, peeks and short reads take the copying paths, which
 * must give the same bytes.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "ktls.h"

#define RECORD		16384
#define BULK		(1 << 20)	/* 64 full records */
#define SEED		21

struct reader {
	int fd;
	size_t size, bufsz;
};

/* Reads @size bytes of stream SEED in reads of @bufsz, checking each. */
static void *read_stream(void *arg)
{
	struct reader *r = arg;
	char *buf = malloc(r->bufsz);
	size_t got = 0;
	ssize_t n;

	ASSERT_TRUE(buf);
	while (got < r->size) {
		n = recv(r->fd, buf, r->bufsz, 0);
		if (n <= 0)
			kt_fail("recv after %zu bytes: %zd %s", got, n, strerror(errno));
		if (kt_stream_check(SEED, got, buf, n) >= 0)
			kt_fail("bytes %zu..%zu differ", got, got + n);
		got += n;
	}
	free(buf);
	return NULL;
}

struct counts {
	long by_ref, direct, retry;
};

static void counts_now(struct counts *c)
{
	c->by_ref = kt_mptls_stat("MptlsTxSealByRef");
	c->direct = kt_mptls_stat("MptlsRxOpenDirect");
	c->retry = kt_mptls_stat("MptlsRxDirectRetry");
}

static void counts_since(struct counts *c)
{
	struct counts now;

	counts_now(&now);
	c->by_ref = now.by_ref - c->by_ref;
	c->direct = now.direct - c->direct;
	c->retry = now.retry - c->retry;
	kt_note("records sealed by reference %ld, opened into the reader %ld, retried %ld",
		c->by_ref, c->direct, c->retry);
}

/* Sends BULK bytes of stream SEED with @send_fn while a reader reads. */
static void transfer(const struct kt_variant *v, size_t read_size,
		     void (*send_fn)(int fd), struct counts *c)
{
	struct reader r = { .size = BULK, .bufsz = read_size };
	struct kt_pair p;
	pthread_t t;

	kt_pair_open(&p, AF_INET, KT_MPTCP, KT_MPTCP);
	kt_tls_both(p.client, p.server, v);
	r.fd = p.server;
	counts_now(c);
	pthread_create(&t, NULL, read_stream, &r);
	send_fn(p.client);
	pthread_join(t, NULL);
	counts_since(c);
	kt_pair_close(&p);
}

static void send_in_one_call(int fd)
{
	char *buf = malloc(BULK);

	ASSERT_TRUE(buf);
	kt_stream_fill(SEED, 0, buf, BULK);
	kt_send_all(fd, buf, BULK);
	free(buf);
}

/* 1000-byte sends with MSG_MORE, the last without. */
static void send_small_more(int fd)
{
	char buf[1000];
	size_t off, n;

	for (off = 0; off < BULK; off += n) {
		n = BULK - off < sizeof(buf) ? BULK - off : sizeof(buf);
		kt_stream_fill(SEED, off, buf, n);
		ASSERT_EQ(send(fd, buf, n, off + n < BULK ? MSG_MORE : 0), n);
	}
}

/* sendfile from an unlinked tmpfs file, in odd-sized calls. */
static void send_file(int fd)
{
	char path[] = "/tmp/kt-copies.XXXXXX";
	char *buf = malloc(BULK);
	int file = mkstemp(path);
	off_t off = 0;

	ASSERT_TRUE(buf);
	ASSERT_TRUE(file >= 0);
	unlink(path);
	kt_stream_fill(SEED, 0, buf, BULK);
	ASSERT_EQ(pwrite(file, buf, BULK, 0), BULK);
	while (off < BULK)
		if (sendfile(fd, file, &off, 100003) <= 0)
			kt_fail("sendfile at %lld: %s", (long long)off, strerror(errno));
	close(file);
	free(buf);
}

KT_TEST_V(large_send_and_read_copy_nothing_above_mptcp, 120)
{
	struct counts c;

	transfer(variant, 4 * RECORD, send_in_one_call, &c);
	/* every full record; a few may still find the reader's room short */
	ASSERT_GE(c.by_ref, BULK / RECORD - 1);
	ASSERT_GE(c.direct, BULK / RECORD / 2);
	ASSERT_EQ(c.retry, 0);
}

KT_TEST_V(sendfile_is_sealed_from_the_page_cache, 120)
{
	struct counts c;

	transfer(variant, 4 * RECORD, send_file, &c);
	ASSERT_GE(c.by_ref, BULK / RECORD - 2);
}

KT_TEST_V(small_sends_and_short_reads_take_the_copying_paths, 120)
{
	struct counts c;

	/* reads of 1000 bytes: a record never fits, so none goes direct */
	transfer(variant, 1000, send_small_more, &c);
	ASSERT_EQ(c.by_ref, 0);
	ASSERT_EQ(c.direct, 0);
}

KT_TEST_V(peeks_take_the_queue, 60)
{
	char *buf = malloc(2 * RECORD), peeked[100];
	struct counts c;
	struct kt_pair p;

	ASSERT_TRUE(buf);
	kt_pair_open(&p, AF_INET, KT_MPTCP, KT_MPTCP);
	kt_tls_both(p.client, p.server, variant);
	kt_stream_fill(SEED, 0, buf, 2 * RECORD);
	kt_send_all(p.client, buf, 2 * RECORD);
	counts_now(&c);
	ASSERT_EQ(recv(p.server, peeked, sizeof(peeked), MSG_PEEK | MSG_WAITALL),
		  sizeof(peeked));
	ASSERT_EQ(kt_stream_check(SEED, 0, peeked, sizeof(peeked)), -1);
	memset(buf, 0, 2 * RECORD);
	kt_recv_exact(p.server, buf, 2 * RECORD);
	ASSERT_EQ(kt_stream_check(SEED, 0, buf, 2 * RECORD), -1);
	counts_since(&c);
	/* the peeked record was queued; the second may go direct */
	ASSERT_TRUE(c.direct <= 1);
	kt_pair_close(&p);
	free(buf);
}

/*
 * A control record behind data, read with a large buffer: the data comes
 * alone, the control record comes next with its type, and the reader's
 * buffer past the data never holds the control record's plaintext (TLS 1.3
 * learns the type only by opening it, into the reader's pages, then wipes
 * them and opens it again in the queue).
 */
KT_TEST_V(control_record_behind_data_in_a_large_read, 60)
{
	char data[1000], control_msg[300], *buf = malloc(4 * RECORD);
	char cbuf[CMSG_SPACE(1)];
	struct iovec iov = { .iov_base = buf, .iov_len = 4 * RECORD };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	struct counts c;
	struct kt_pair p;
	size_t i;

	ASSERT_TRUE(buf);
	kt_pair_open(&p, AF_INET, KT_MPTCP, KT_MPTCP);
	kt_tls_both(p.client, p.server, variant);
	kt_stream_fill(SEED, 0, data, sizeof(data));
	memset(control_msg, 0x5c, sizeof(control_msg));
	kt_send_all(p.client, data, sizeof(data));
	kt_send_record_type(p.client, 22 /* handshake */, control_msg, sizeof(control_msg));
	usleep(100000);	/* both records in before the read */
	counts_now(&c);

	memset(buf, 0xaa, 4 * RECORD);
	ASSERT_EQ(recvmsg(p.server, &msg, 0), sizeof(data));
	ASSERT_EQ(memcmp(buf, data, sizeof(data)), 0);
	for (i = sizeof(data); i < 4 * RECORD; i++)
		if (buf[i] == 0x5c)
			kt_fail("the control record's plaintext is in the reader's buffer at %zu", i);

	msg.msg_controllen = sizeof(cbuf);
	ASSERT_EQ(recvmsg(p.server, &msg, 0), sizeof(control_msg));
	cmsg = CMSG_FIRSTHDR(&msg);
	ASSERT_TRUE(cmsg && cmsg->cmsg_level == SOL_TLS &&
		    cmsg->cmsg_type == TLS_GET_RECORD_TYPE);
	ASSERT_EQ(*CMSG_DATA(cmsg), 22);
	ASSERT_EQ(memcmp(buf, control_msg, sizeof(control_msg)), 0);
	counts_since(&c);
	ASSERT_EQ(c.direct, 1);
	ASSERT_EQ(c.retry, variant->version == TLS_1_3_VERSION ? 1 : 0);
	kt_pair_close(&p);
	free(buf);
}
