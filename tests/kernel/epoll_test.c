// SPDX-License-Identifier: MIT
/*
 * Non-blocking kTLS sockets driven by edge-triggered epoll, both directions
 * at once in one thread: each end writes until EAGAIN and reads until
 * EAGAIN whenever epoll says so, then shuts down for writing once all is
 * written.  Fails on:
 *   a lost wakeup     no event for 10 s while bytes are still in flight
 *                     (the usual symptom: a hang, turned into a failure);
 *   spurious EPOLLIN  EPOLLIN reported but the first recv says EAGAIN;
 *   any byte wrong, short or extra, or a missing EOF.
 * Stock kTLS on TCP runs the same loop first as the reference.
 * Small socket buffers make many EAGAIN/wakeup rounds.  KT_EPOLL_BYTES sets
 * the size per direction (default 4M).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "ktls.h"

struct end {
	int fd;
	const char *name;
	uint64_t sent, received;
	uint64_t tx_seed, rx_seed;
	bool shut, eof;
	uint64_t rnd;
	unsigned long in_events, spurious_in, out_events;
};

/*
 * Stock kTLS on TCP (the reference run) can lose the tail of the stream here:
 * a record that TCP took only partly on a non-blocking socket is pushed by
 * net/tls's tx work later, after shutdown(SHUT_WR) has queued the FIN, and is
 * dropped (seen in the VM: EOF after 4180891 of 4194304 bytes); the failed
 * push also aborts the sender's socket, whose reads then say EPIPE and whose
 * epoll reports EPOLLERR (both seen in CI, 2026-12-03).  mptls defers the
 * DATA_FIN until the record is out, so the MPTCP run stays strict.
 */
static bool tolerate_tail_loss;

/* The reference end is done: net/tls aborted it (see tolerate_tail_loss). */
static void reference_aborted(struct end *e, const char *how)
{
	kt_note("%s: stock kTLS failed its own tail push at shutdown and reports %s "
		"after %llu bytes received (not checked here)", e->name, how,
		(unsigned long long)e->received);
	e->eof = true;
}

static void set_nonblock(int fd)
{
	ASSERT_OK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK));
}

static void drain(struct end *e, uint64_t size, char *buf, size_t bufsz)
{
	bool first = true;

	for (;;) {
		size_t want = 1 + kt_rand(&e->rnd) % bufsz;
		ssize_t n = recv(e->fd, buf, want, 0);

		if (n < 0 && errno == EAGAIN) {
			if (first)
				e->spurious_in++;
			return;
		}
		first = false;
		if (n < 0 && errno == EPIPE && tolerate_tail_loss) {
			/* the same loss seen by the sender: its tx work failed */
			reference_aborted(e, "EPIPE");
			return;
		}
		if (n < 0)
			kt_fail("%s: recv after %llu bytes: %s", e->name,
				(unsigned long long)e->received, strerror(errno));
		if (n == 0) {
			if (e->received != size && tolerate_tail_loss) {
				kt_note("%s: stock kTLS lost the last %llu bytes at shutdown "
					"(a known net/tls behaviour, not checked here)", e->name,
					(unsigned long long)(size - e->received));
				e->eof = true;
				return;
			}
			if (e->received != size)
				kt_fail("%s: EOF after %llu of %llu bytes", e->name,
					(unsigned long long)e->received,
					(unsigned long long)size);
			e->eof = true;
			return;
		}
		if (e->received + n > size)
			kt_fail("%s: more bytes than sent", e->name);
		int64_t bad = kt_stream_check(e->rx_seed, e->received, buf, n);
		if (bad >= 0)
			kt_fail("%s: byte %lld differs", e->name, (long long)bad);
		e->received += n;
	}
}

static void fill(struct end *e, uint64_t size, char *buf, size_t bufsz)
{
	while (e->sent < size) {
		size_t n = 1 + kt_rand(&e->rnd) % bufsz;
		ssize_t w;

		if (n > size - e->sent)
			n = size - e->sent;
		kt_stream_fill(e->tx_seed, e->sent, buf, n);
		w = send(e->fd, buf, n, 0);
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0)
			kt_fail("%s: send after %llu bytes: %s", e->name,
				(unsigned long long)e->sent, strerror(errno));
		e->sent += w;
	}
	if (!e->shut) {
		/* everything is written: the peer must still get it all, then EOF */
		ASSERT_OK(shutdown(e->fd, SHUT_WR));
		e->shut = true;
	}
}

static void epoll_duplex(int proto, const struct kt_variant *v)
{
	uint64_t size = kt_env_size("KT_EPOLL_BYTES", 4 << 20);
	int small = 64 * 1024;
	size_t bufsz = 40000;
	char *buf = malloc(bufsz);
	struct end ends[2] = {
		{ .name = "client", .tx_seed = 21, .rx_seed = 22, .rnd = 1 },
		{ .name = "server", .tx_seed = 22, .rx_seed = 21, .rnd = 2 },
	};
	struct epoll_event ev, events[4];
	struct kt_pair p;
	int ep, i, n;

	ASSERT_TRUE(buf);
	kt_pair_open(&p, AF_INET, proto, proto);
	kt_tls_both(p.client, p.server, v);
	ends[0].fd = p.client;
	ends[1].fd = p.server;
	ep = epoll_create1(0);
	ASSERT_OK(ep);
	for (i = 0; i < 2; i++) {
		set_nonblock(ends[i].fd);
		ASSERT_OK(setsockopt(ends[i].fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)));
		ASSERT_OK(setsockopt(ends[i].fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
		ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
		ev.data.ptr = &ends[i];
		ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, ends[i].fd, &ev));
	}

	while (!ends[0].eof || !ends[1].eof) {
		n = epoll_wait(ep, events, 4, 10000);
		if (n < 0 && errno == EINTR)
			continue;
		ASSERT_OK(n);
		if (!n)
			kt_fail("no event for 10 s: client sent %llu received %llu, server sent %llu received %llu",
				(unsigned long long)ends[0].sent, (unsigned long long)ends[0].received,
				(unsigned long long)ends[1].sent, (unsigned long long)ends[1].received);
		for (i = 0; i < n; i++) {
			struct end *e = events[i].data.ptr;

			if (events[i].events & EPOLLIN) {
				e->in_events++;
				if (!e->eof)
					drain(e, size, buf, bufsz);
			}
			if (events[i].events & EPOLLOUT) {
				e->out_events++;
				fill(e, size, buf, bufsz);
			}
			if ((events[i].events & EPOLLERR) && tolerate_tail_loss && e->shut)
				reference_aborted(e, "EPOLLERR");
			else if (events[i].events & EPOLLERR)
				kt_fail("%s: EPOLLERR", e->name);
		}
	}
	for (i = 0; i < 2; i++) {
		kt_note("%s: %lu EPOLLIN (%lu spurious), %lu EPOLLOUT", ends[i].name,
			ends[i].in_events, ends[i].spurious_in, ends[i].out_events);
		ASSERT_EQ(ends[i].spurious_in, 0);
	}
	close(ep);
	kt_pair_close(&p);
	free(buf);
}

KT_TEST_V(epoll_edge_triggered_duplex, 120)
{
	kt_note("on tcp (stock kTLS reference)");
	tolerate_tail_loss = true;
	epoll_duplex(KT_TCP, variant);
	kt_note("on mptcp (mptls)");
	tolerate_tail_loss = false;
	epoll_duplex(KT_MPTCP, variant);
}
