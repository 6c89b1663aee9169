// SPDX-License-Identifier: MIT
/*
 * What a reader that only peeks lets in: the peer sends non-blocking as fast
 * as it can while the reader calls recv(MSG_PEEK) and never consumes.  The
 * connection's memory is the socket buffers, so the sender must stall (EAGAIN
 * for 2 s) after a few times SO_RCVBUF + SO_SNDBUF bytes at most:
 *
 *   peek_dontwait_reader_stalls_sender  recv(MSG_PEEK | MSG_DONTWAIT, 64 KiB)
 *                                       in a loop
 *   peek_waitall_reader_stalls_sender   one recv(MSG_PEEK | MSG_WAITALL) for
 *                                       more than will ever be sent
 *
 * The bound is 4 x (the receiver's SO_RCVBUF + the sender's SO_SNDBUF, as
 * getsockopt reports them after setting 256 KiB each); the sender gives up at
 * 32 MiB (clearly unbounded).  Afterwards the peek is interrupted and the
 * reader takes everything: byte-exact.  Each runs on TCP with stock tls.ko
 * (name_tcp, the reference) and on MPTCP with mptls (name_mptcp).
 *
 * Stock tls.ko (6.1) has no bound for the MSG_WAITALL peek: it decrypts all
 * it waits for into its rx_list, and the sender never stalls.  That TCP run
 * only reports; the bound is asserted on MPTCP all the same.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ktls.h"

#define SET_BUF (256 * 1024)
#define CAP (32ull << 20)
#define STALL_S 2.0

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
	(void)sig;
}

struct peeker {
	int fd;
	bool waitall;
	atomic_bool stop, done;
	size_t max_peeked;
	ssize_t last;
	int err;
	unsigned long calls;
};

static void *peek_loop(void *arg)
{
	struct peeker *pk = arg;
	size_t len = pk->waitall ? CAP + (1 << 20) : 64 * 1024;
	char *buf = malloc(len);
	ssize_t n;

	if (!buf)
		kt_fail("malloc");
	while (!atomic_load(&pk->stop)) {
		n = recv(pk->fd, buf, len, MSG_PEEK | (pk->waitall ? MSG_WAITALL : MSG_DONTWAIT));
		pk->calls++;
		pk->last = n;
		if (n > 0 && (size_t)n > pk->max_peeked)
			pk->max_peeked = n;
		if (n < 0 && errno == EAGAIN) {
			usleep(1000);
			continue;
		}
		if (n < 0 && errno == EINTR)
			break;	/* interrupted: the test is done with peeking */
		if (n <= 0) {
			pk->err = n < 0 ? errno : 0;
			break;
		}
		if (pk->waitall)
			break;	/* a full peek: everything (CAP + 1 MiB) was in */
	}
	free(buf);
	atomic_store(&pk->done, true);
	return NULL;
}

static int get_int(int fd, int opt)
{
	int val = 0;
	socklen_t len = sizeof(val);

	if (getsockopt(fd, SOL_SOCKET, opt, &val, &len))
		kt_fail("getsockopt: %s", strerror(errno));
	return val;
}

static void peek_flood(int proto, const struct kt_variant *v, bool waitall, bool strict)
{
	static char chunk[16384];
	struct sigaction sa = { .sa_handler = on_signal };
	struct peeker pk = { .waitall = waitall };
	uint64_t sent = 0, bound, got = 0;
	double t0 = now_s(), progress = t0;
	int val = SET_BUF, rcvbuf, sndbuf;
	char *rbuf = malloc(1 << 16);
	struct pollfd pfd;
	struct kt_pair p;
	pthread_t th;
	ssize_t n;
	int64_t bad;

	ASSERT_TRUE(rbuf);
	sigemptyset(&sa.sa_mask);
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	kt_pair_open(&p, AF_INET, proto, proto);
	ASSERT_OK(setsockopt(p.server, SOL_SOCKET, SO_RCVBUF, &val, sizeof(val)));
	ASSERT_OK(setsockopt(p.client, SOL_SOCKET, SO_SNDBUF, &val, sizeof(val)));
	kt_tls_both(p.client, p.server, v);
	rcvbuf = get_int(p.server, SO_RCVBUF);
	sndbuf = get_int(p.client, SO_SNDBUF);
	bound = 4ull * (rcvbuf + sndbuf);
	ASSERT_OK(fcntl(p.client, F_SETFL, O_NONBLOCK));

	pk.fd = p.server;
	ASSERT_EQ(pthread_create(&th, NULL, peek_loop, &pk), 0);
	for (;;) {
		kt_stream_fill(71, sent, chunk, sizeof(chunk));
		n = send(p.client, chunk, sizeof(chunk), MSG_NOSIGNAL);
		if (n > 0) {
			sent += n;
			progress = now_s();
			if (sent > CAP)
				break;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			kt_fail("send after %llu bytes: %s", (unsigned long long)sent,
				strerror(errno));
		if (now_s() - progress > STALL_S)
			break;
		pfd = (struct pollfd){ .fd = p.client, .events = POLLOUT };
		poll(&pfd, 1, 100);
	}
	kt_note("%s, reader peeking (%s): sender %s after %llu bytes in %.1f s; "
		"SO_RCVBUF %d, SO_SNDBUF %d, bound 4 x (%d + %d) = %llu; "
		"%lu peeks, largest %zu bytes", proto == KT_MPTCP ? "mptcp" : "tcp",
		waitall ? "MSG_WAITALL" : "MSG_DONTWAIT",
		sent > CAP ? "never stalled" : "stalled", (unsigned long long)sent,
		now_s() - t0, rcvbuf, sndbuf, rcvbuf, sndbuf, (unsigned long long)bound,
		pk.calls, pk.max_peeked);
	if (pk.err)
		kt_fail("a peek failed: %s", strerror(pk.err));
	if (!strict) {
		kt_note("reference only: the bound is not asserted here");
		close(p.server);
		close(p.client);
		free(rbuf);
		return;
	}
	if (sent > bound)
		kt_fail("the sender got %llu bytes in before stalling, bound %llu",
			(unsigned long long)sent, (unsigned long long)bound);

	/* done peeking; the reader takes it all, byte-exact */
	atomic_store(&pk.stop, true);
	while (!atomic_load(&pk.done)) {
		pthread_kill(th, SIGUSR1);
		usleep(20000);
		if (now_s() - progress > STALL_S + 10)
			kt_fail("the peeking reader does not return on a signal");
	}
	pthread_join(th, NULL);
	/*
	 * Reads exactly what send() took; no shutdown: stock kTLS drops a record
	 * still pending on a non-blocking socket at shutdown (see epoll_test.c).
	 */
	{
		struct timeval tv = { .tv_sec = 10 };

		ASSERT_OK(setsockopt(p.server, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	}
	while (got < sent) {
		n = recv(p.server, rbuf, 1 << 16, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			kt_fail("read after %llu of %llu bytes: %zd %s", (unsigned long long)got,
				(unsigned long long)sent, n, n < 0 ? strerror(errno) : "EOF");
		bad = kt_stream_check(71, got, rbuf, n);
		if (bad >= 0)
			kt_fail("byte %lld differs", (long long)bad);
		got += n;
	}
	pfd = (struct pollfd){ .fd = p.server, .events = POLLIN };
	ASSERT_EQ(poll(&pfd, 1, 200), 0);
	ASSERT_EQ(got, sent);
	kt_pair_close(&p);
	free(rbuf);
}

KT_TEST_V(peek_dontwait_reader_stalls_sender_tcp, 60)
{
	kt_note("on tcp (stock kTLS reference)");
	peek_flood(KT_TCP, variant, false, true);
}

KT_TEST_V(peek_dontwait_reader_stalls_sender_mptcp, 60)
{
	kt_note("on mptcp (mptls)");
	peek_flood(KT_MPTCP, variant, false, true);
}

KT_TEST_V(peek_waitall_reader_stalls_sender_tcp, 60)
{
	kt_note("on tcp (stock kTLS reference)");
	peek_flood(KT_TCP, variant, true, false);
}

KT_TEST_V(peek_waitall_reader_stalls_sender_mptcp, 60)
{
	kt_note("on mptcp (mptls)");
	peek_flood(KT_MPTCP, variant, true, true);
}
