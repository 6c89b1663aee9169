// SPDX-License-Identifier: MIT
/*
 * One bulk kTLS transfer over MPTCP between two processes (two network
 * namespaces in tests/vm/kernel_multipath.sh):
 *
 *   tool_bulk server ADDR PORT VARIANT BYTES
 *       listens (MPTCP), accepts one connection, TLS both ways, receives
 *       BYTES of stream 1 checking every byte, then EOF, and answers with
 *       the byte count in one record.  Prints "listening" once it listens.
 *   tool_bulk client ADDR PORT VARIANT BYTES [HOOK]
 *       connects, sends BYTES of stream 1 and shuts down for writing, then
 *       reads the server's count.  With HOOK, runs "HOOK 1", "HOOK 2",
 *       "HOOK 3" after 1/4, 1/2 and 3/4 of the data (the subflow changes).
 *
 * Exits 0 only when every byte arrived intact; prints the timing.
 * KT_BULK_NOTLS=1 on both ends skips TLS: the plain MPTCP baseline;
 * KT_BULK_TCP=1 uses TCP sockets (stock kTLS): the reference for speed.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ktls.h"

#define SEED 1

static int proto(void)
{
	return getenv("KT_BULK_TCP") ? KT_TCP : KT_MPTCP;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run_hook(const char *hook, int phase)
{
	char cmd[512];
	int rc;

	snprintf(cmd, sizeof(cmd), "%s %d", hook, phase);
	rc = system(cmd);
	if (rc)
		kt_fail("hook '%s' failed (%d)", cmd, rc);
}

static int client(const char *addr, uint16_t port, const struct kt_variant *v,
		  uint64_t size, const char *hook)
{
	size_t bufsz = 3 * 16384 + 1000;
	char *buf = malloc(bufsz);
	uint64_t off = 0, rnd = 42, count;
	int fd = kt_connect(AF_INET, proto(), addr, port), phase = 1;
	double start = now_s();

	if (!getenv("KT_BULK_NOTLS")) {
		kt_set_ulp(fd);
		kt_set_tls(fd, TLS_TX, v, KT_KEY_C2S);
		kt_set_tls(fd, TLS_RX, v, KT_KEY_S2C);
	}
	start = now_s();
	while (off < size) {
		uint64_t r = kt_rand(&rnd);
		size_t n = 1 + r % bufsz;

		if (hook && phase <= 3 && off >= size / 4 * phase)
			run_hook(hook, phase++);
		if (n > size - off)
			n = size - off;
		kt_stream_fill(SEED, off, buf, n);
		kt_send_all(fd, buf, n);
		off += n;
	}
	ASSERT_OK(shutdown(fd, SHUT_WR));
	kt_recv_exact(fd, &count, sizeof(count));
	if (count != size)
		kt_fail("the server counted %llu bytes, sent %llu",
			(unsigned long long)count, (unsigned long long)size);
	printf("client: %llu bytes in %.2fs (%.1f MB/s)\n", (unsigned long long)size,
	       now_s() - start, size / 1e6 / (now_s() - start));
	close(fd);
	free(buf);
	return 0;
}

static int server(const char *addr, uint16_t port, const struct kt_variant *v,
		  uint64_t size)
{
	int lfd = kt_listen(AF_INET, proto(), addr, &port), fd;
	double start;

	printf("listening\n");
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	ASSERT_OK(fd);
	/* lfd stays open: MPTCP's joins reach the connection through it */
	start = now_s();	/* includes the key setup: the peer's clock too */
	if (!getenv("KT_BULK_NOTLS")) {
		kt_set_ulp(fd);
		kt_set_tls(fd, TLS_RX, v, KT_KEY_C2S);
		kt_set_tls(fd, TLS_TX, v, KT_KEY_S2C);
	}
	kt_recv_stream(fd, size, SEED);
	kt_send_all(fd, &size, sizeof(size));
	printf("server: %llu bytes verified in %.2fs\n", (unsigned long long)size,
	       now_s() - start);
	close(fd);
	close(lfd);
	return 0;
}

int main(int argc, char **argv)
{
	const struct kt_variant *v;
	uint64_t size;
	uint16_t port;

	if (argc < 6) {
		fprintf(stderr, "usage: %s server|client ADDR PORT VARIANT BYTES [HOOK]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	port = atoi(argv[3]);
	v = kt_variant_by_name(argv[4]);
	setenv("KT_BULK_BYTES", argv[5], 1);
	size = kt_env_size("KT_BULK_BYTES", 0);
	if (!strcmp(argv[1], "server"))
		return server(argv[2], port, v, size);
	return client(argv[2], port, v, size, argc > 6 ? argv[6] : NULL);
}
