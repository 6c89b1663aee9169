// SPDX-License-Identifier: MIT
/*
 * sendfile(2) from a tmpfs file into a kTLS MPTCP socket: the receiver (TLS
 * RX) checks every byte.  The file starts at an odd offset and has an odd
 * size so that pages and records do not line up.  Size: KT_SENDFILE_BYTES,
 * default 64M for tls13_aes128gcm and 2M for the other variants.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/time.h>
#include <unistd.h>

#include "ktls.h"

#define FILE_SEED 9

/* A file of @size bytes of stream FILE_SEED in /tmp, unlinked already. */
static int make_file(uint64_t size)
{
	char path[] = "/tmp/kt-sendfile.XXXXXX";
	size_t chunk = 1 << 20;
	char *buf = malloc(chunk);
	uint64_t off;
	int fd = mkstemp(path);

	ASSERT_OK(fd);
	ASSERT_TRUE(buf);
	unlink(path);
	for (off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;

		kt_stream_fill(FILE_SEED, off, buf, n);
		ASSERT_EQ(pwrite(fd, buf, n, off), n);
	}
	free(buf);
	return fd;
}

struct reader {
	int fd;
	uint64_t from, size, got;
};

static void *read_and_check(void *arg)
{
	struct reader *r = arg;
	size_t bufsz = 1 << 16;
	char *buf = malloc(bufsz);
	int64_t bad;
	ssize_t n;

	while ((n = recv(r->fd, buf, bufsz, 0)) > 0) {
		if (r->got + n > r->size)
			kt_fail("more bytes than the file");
		bad = kt_stream_check(FILE_SEED, r->from + r->got, buf, n);
		if (bad >= 0)
			kt_fail("file byte %lld differs", (long long)bad);
		r->got += n;
	}
	if (n < 0 && r->got < r->size)
		kt_fail("recv after %llu bytes: %s", (unsigned long long)r->got, strerror(errno));
	free(buf);
	return NULL;
}

KT_TEST_V(sendfile_large_file, 300)
{
	uint64_t def = strcmp(variant->name, "tls13_aes128gcm") ? 2 << 20 : 64 << 20;
	uint64_t size = kt_env_size("KT_SENDFILE_BYTES", def) + 123;
	off_t off = 7;
	struct reader r = { .from = 7, .size = size - 7 };
	struct kt_pair p;
	pthread_t t;
	int file = make_file(size);

	kt_pair_open(&p, AF_INET, KT_MPTCP, KT_MPTCP);
	kt_tls_both(p.client, p.server, variant);
	r.fd = p.server;
	pthread_create(&t, NULL, read_and_check, &r);
	while ((uint64_t)off < size) {
		/* odd counts: a call ends mid-page and mid-record */
		ssize_t n = sendfile(p.client, file, &off, 1000003);

		if (n <= 0)
			kt_fail("sendfile at %lld: %zd %s", (long long)off, n, strerror(errno));
	}
	ASSERT_OK(shutdown(p.client, SHUT_WR));
	pthread_join(t, NULL);
	ASSERT_EQ(r.got, r.size);
	kt_pair_close(&p);
	close(file);
}

/*
 * sendfile asked for more than the file holds: the last record must still
 * leave without a later send or close (6.5+ has splice_eof for this; on 6.1
 * stock kTLS keeps it open too, then the test is skipped for it).
 */
static bool tail_arrives(int proto, const struct kt_variant *v)
{
	uint64_t size = 100000;
	int file = make_file(size);
	struct timeval tv = { .tv_sec = 3 };
	char *buf = malloc(size);
	uint64_t got = 0;
	struct kt_pair p;
	off_t off = 0;
	ssize_t n;

	kt_pair_open(&p, AF_INET, proto, proto);
	kt_tls_both(p.client, p.server, v);
	ASSERT_EQ(sendfile(p.client, file, &off, 1 << 20), size);
	ASSERT_OK(setsockopt(p.server, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	while (got < size && (n = recv(p.server, buf + got, size - got, 0)) > 0)
		got += n;
	if (got == size)
		ASSERT_EQ(kt_stream_check(FILE_SEED, 0, buf, size), -1);
	kt_pair_close(&p);
	close(file);
	free(buf);
	return got == size;
}

KT_TEST_V(sendfile_past_eof_flushes_the_last_record, 60)
{
	if (!tail_arrives(KT_TCP, variant))
		kt_skip("stock kTLS on TCP holds the last record too on this kernel");
	if (!tail_arrives(KT_MPTCP, variant))
		kt_fail("the last record of a sendfile that hit EOF never arrived (stock kTLS on TCP sends it)");
}
