// SPDX-License-Identifier: MIT
/*
 * A quiet kTLS MPTCP connection gives its record buffers back
 * (kernel/idle.c) and carries on afterwards: /proc/net/mptls_stat's
 * MptlsIdleBufFree moves, and no byte is lost or reordered across a release,
 * including a record left open with MSG_MORE and a non-blocking reader that
 * got EAGAIN before the connection went quiet.
 */
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "ktls.h"

/* Past idle.c's 200 ms, with room for a guest under load. */
#define QUIET_US 700000

static long buffers_released(void)
{
	long n = kt_stat("/proc/net/mptls_stat", "MptlsIdleBufFree");

	if (n < 0)
		kt_fail("no MptlsIdleBufFree in /proc/net/mptls_stat");
	return n;
}

static void exchange(struct kt_pair *p, const char *a, const char *b)
{
	char buf[64];
	size_t la = strlen(a), lb = strlen(b);

	kt_send_all(p->client, a, la);
	kt_recv_exact(p->server, buf, la);
	ASSERT_EQ(memcmp(buf, a, la), 0);
	kt_send_all(p->server, b, lb);
	kt_recv_exact(p->client, buf, lb);
	ASSERT_EQ(memcmp(buf, b, lb), 0);
}

/* TLS both ways, one record each way done: each socket holds its buffers. */
static void open_used_pair(struct kt_pair *p, const struct kt_variant *v)
{
	kt_pair_open(p, AF_INET, KT_MPTCP, KT_MPTCP);
	kt_tls_both(p->client, p->server, v);
	exchange(p, "ping", "pong");
}

KT_TEST_V(quiet_connection_releases_its_buffers_and_resumes, 60)
{
	struct kt_pair p;
	long before;

	open_used_pair(&p, variant);
	before = buffers_released();
	usleep(QUIET_US);
	ASSERT_GE(buffers_released() - before, 4);
	/* both directions work again, and then a stream of many records */
	exchange(&p, "ping again", "pong again");
	kt_transfer(p.client, p.server, 1 << 20, 5, true);
	kt_pair_close(&p);
}

KT_TEST_V(open_record_survives_a_quiet_spell, 60)
{
	struct kt_pair p;
	char buf[16];
	long before;

	open_used_pair(&p, variant);
	ASSERT_EQ(send(p.client, "abc", 3, MSG_MORE), 3);
	before = buffers_released();
	usleep(QUIET_US);
	/* only the server's buffers and the client's RX spare could go */
	ASSERT_GE(buffers_released() - before, 3);
	ASSERT_EQ(send(p.client, "def", 3, 0), 3);
	/* one record: the plaintext kept over the quiet spell comes first */
	ASSERT_EQ(recv(p.server, buf, sizeof(buf), 0), 6);
	ASSERT_EQ(memcmp(buf, "abcdef", 6), 0);
	kt_pair_close(&p);
}

KT_TEST_V(nonblocking_reader_waits_without_a_buffer, 60)
{
	struct pollfd pfd;
	struct kt_pair p;
	char buf[16];
	long before;

	open_used_pair(&p, variant);
	ASSERT_OK(fcntl(p.server, F_SETFL, O_NONBLOCK));
	ASSERT_ERRNO(recv(p.server, buf, sizeof(buf), 0), EAGAIN);
	before = buffers_released();
	usleep(QUIET_US);
	ASSERT_GE(buffers_released() - before, 4);
	kt_send_all(p.client, "late", 4);
	pfd = (struct pollfd){ .fd = p.server, .events = POLLIN };
	ASSERT_EQ(poll(&pfd, 1, 10000), 1);
	ASSERT_EQ(recv(p.server, buf, sizeof(buf), 0), 4);
	ASSERT_EQ(memcmp(buf, "late", 4), 0);
	kt_pair_close(&p);
}
