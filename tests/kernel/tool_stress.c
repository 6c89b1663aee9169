// SPDX-License-Identifier: MIT
/*
 * Concurrency stress for kTLS over MPTCP (tests/vm/kernel_stress.sh): in
 * rounds of a few seconds, worker threads share a handful of TLS-over-MPTCP
 * socket pairs (kTLS both directions, a random variant per round) and race,
 * in random orders: send/recv (blocking, MSG_DONTWAIT, MSG_PEEK, MSG_MORE,
 * MSG_WAITALL), shutdown, close, peer resets (SO_LINGER {1,0}), poll and
 * epoll (level and edge), SOL_TLS and SOL_SOCKET options (invalid ones too),
 * splice both ways, sendfile, O_NONBLOCK flips, while the main thread sends
 * them signals (a no-op handler without SA_RESTART).  One more pair per
 * round carries a checked stream (kt_stream_fill): every byte received must
 * be where the stream has it, and when the round ends it orderly (no error
 * on either side) every byte sent must arrive before EOF.
 *
 * Every call is bounded, and a watchdog thread checks the bound:
 *   a call with a timeout (SO_SNDTIMEO/SO_RCVTIMEO, the largest one set on
 *       the socket this round) must return within it, plus the margin;
 *   a call without one (timeout 0 = forever, on purpose some of the time)
 *       must return within FLUSH + margin of a shutdown of its direction on
 *       its socket (SHUT_RD for reads, SHUT_WR for writes; a read also of
 *       the peer's SHUT_WR): TCP's and stock kTLS's way to unblock a thread;
 *       every round ends with shutdown(SHUT_RDWR) on every socket;
 *   a send or read may queue behind an earlier one of the same direction on
 *       the same socket (stock kTLS serialises senders too), so its bound
 *       starts again when that one ends;
 *   shutdown and the last close flush for at most min(SO_SNDTIMEO, FLUSH)
 *       (the module's bound), plus SO_LINGER for close;
 *   everything else (options, non-blocking calls, epoll_ctl) only the
 *       margin; poll and epoll_wait their own timeout plus the margin.
 * A call past its bound is named with its thread's kernel stack and the
 * program exits 3; the seed, printed first, replays the same choices.
 *
 * tool_stress [-s SEED] [-d SECONDS] [-t THREADS] [-p PAIRS] [-m MARGIN_S]
 *             [-c NETNS_CLIENT -S NETNS_SERVER -a SERVER_ADDR]
 * Environment: MPTLS_STRESS_SEED, MPTLS_STRESS_SECONDS.  With -c/-S/-a the
 * listener lives in the server namespace and clients connect from the
 * client one (two_paths.sh); without them everything is on loopback.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ktls.h"

#ifndef TLS_RX_EXPECT_NO_PAD
#define TLS_RX_EXPECT_NO_PAD 4
#endif

#define INF 1e18
#define FLUSH_S 10.0		/* the module's close/shutdown flush bound */
#define MAX_SOCKS 16
#define MAX_THREADS 16
#define MAX_CALLS (MAX_THREADS + 4)
#define IOBUF 65536
#define FILE_SIZE (1 << 20)

static double margin_s = 12.0;
static uint64_t seed;
static const char *ns_client, *ns_server, *server_addr;
static int listen_fd;
static uint16_t listen_port;
static int file_fd;
static int round_no;
static const struct kt_variant *round_variant;
static atomic_int stop;
static atomic_long n_wrong, n_ops, n_eintr, n_eagain, n_err, n_calls;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void say(const char *fmt, ...)
{
	va_list ap;

	flockfile(stdout);
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	funlockfile(stdout);
}

/* ---- sockets of the round ---- */

struct sock {
	pthread_mutex_t lk;
	int fd;			/* -1 once closed */
	int peer;		/* index of the other end */
	bool guarded;		/* the checked stream's pair: no destructive ops */
	bool client;
	/* bounds: the largest timeout set this round, INF once 0 was set */
	double snd_max, rcv_max, linger_max;
	/* when a shutdown covering each direction started (0: none yet) */
	double shut_wr_at, shut_rd_at;
	double last_end[2];	/* when a send [0] / read [1] last ended */
	int read_pct;		/* how often a read here is done: some ends stall */
};

static struct sock socks[MAX_SOCKS];
static int nsocks;
static int epfd = -1;
static pthread_mutex_t table_lk = PTHREAD_MUTEX_INITIALIZER;

/* ---- the calls in flight, one per thread ---- */

enum dir { D_NONE = -1, D_SND = 0, D_RCV = 1 };
enum bound_kind {
	B_FIXED,	/* own_s only */
	B_SND,		/* the socket's send timeout */
	B_RCV,		/* the socket's receive timeout */
	B_FLUSH,	/* shutdown: min(send timeout, FLUSH) */
	B_CLOSE,	/* last close: flush + linger */
};

struct call {
	bool active;
	pid_t tid;
	pthread_t thread;
	char what[128];
	int sock;		/* -1: none */
	int fd;			/* the descriptor the call uses */
	enum dir dir;
	enum bound_kind kind;
	double own_s;		/* the fixed part: a poll timeout, a margin... */
	double start;
	unsigned long seq;
};

static struct call calls[MAX_CALLS];
static int ncalls;

static __thread int my_call = -1;

static int call_register(void)
{
	int i;

	pthread_mutex_lock(&table_lk);
	i = ncalls++;
	calls[i].tid = (pid_t)syscall(SYS_gettid);
	calls[i].thread = pthread_self();
	pthread_mutex_unlock(&table_lk);
	my_call = i;
	return i;
}

static double sock_timeo(const struct sock *s, enum bound_kind k)
{
	switch (k) {
	case B_SND: return s->snd_max;
	case B_RCV: return s->rcv_max;
	case B_FLUSH: return s->snd_max < FLUSH_S ? s->snd_max : FLUSH_S;
	case B_CLOSE: return (s->snd_max < FLUSH_S ? s->snd_max : FLUSH_S) + s->linger_max;
	default: return 0;
	}
}

/* Table lock held.  The time by which call @i must have returned. */
static double deadline(int i, int depth)
{
	const struct call *c = &calls[i];
	const struct sock *s = c->sock >= 0 ? &socks[c->sock] : NULL;
	double own = c->own_s + (s ? sock_timeo(s, c->kind) : 0);
	double d = c->start + own + margin_s;
	int j;

	if (!s)
		return d;
	if (own >= INF / 2) {
		/* no timeout: a shutdown of this direction must end it */
		double shut = c->dir == D_SND ? s->shut_wr_at : s->shut_rd_at;

		if (c->dir == D_RCV && socks[s->peer].shut_wr_at &&
		    (!shut || socks[s->peer].shut_wr_at < shut))
			shut = socks[s->peer].shut_wr_at;
		if (shut)
			d = (shut > c->start ? shut : c->start) + FLUSH_S + margin_s;
	}
	if (c->dir == D_NONE || depth > 8)
		return d;
	/* queued behind an earlier call of the same direction: its bound, then ours */
	if (s->last_end[c->dir] > c->start) {
		double again = s->last_end[c->dir] + (own < INF / 2 ? own : 0) + margin_s;

		if (own >= INF / 2 && d >= INF / 2)
			again = INF;
		if (again > d)
			d = again;
	}
	for (j = 0; j < ncalls; j++) {
		const struct call *o = &calls[j];

		if (j == i || !o->active || o->sock != c->sock || o->dir != c->dir ||
		    o->start > c->start || (o->start == c->start && j > i))
			continue;
		double od = deadline(j, depth + 1);
		double after = od >= INF / 2 ? INF : od + (own < INF / 2 ? own : FLUSH_S) + margin_s;

		if (after > d)
			d = after;
	}
	return d;
}

static void call_begin(int sock, int fd, enum dir dir, enum bound_kind kind,
		       double own_s, const char *fmt, ...)
{
	struct call *c = &calls[my_call];
	va_list ap;

	pthread_mutex_lock(&table_lk);
	va_start(ap, fmt);
	vsnprintf(c->what, sizeof(c->what), fmt, ap);
	va_end(ap);
	c->sock = sock;
	c->fd = fd;
	c->dir = dir;
	c->kind = kind;
	c->own_s = own_s;
	c->start = now_s();
	c->seq++;
	c->active = true;
	pthread_mutex_unlock(&table_lk);
	atomic_fetch_add(&n_calls, 1);
}

static long call_end(long ret)
{
	struct call *c = &calls[my_call];
	int err = errno;

	pthread_mutex_lock(&table_lk);
	c->active = false;
	if (c->sock >= 0 && c->dir != D_NONE)
		socks[c->sock].last_end[c->dir] = now_s();
	pthread_mutex_unlock(&table_lk);
	if (ret < 0) {
		if (err == EINTR)
			atomic_fetch_add(&n_eintr, 1);
		else if (err == EAGAIN)
			atomic_fetch_add(&n_eagain, 1);
		else
			atomic_fetch_add(&n_err, 1);
	}
	errno = err;
	return ret;
}

/* ---- the watchdog ---- */

static void dump_file(const char *path, const char *prefix)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("#     %s%s", prefix, line);
	fclose(f);
}

static void dump_calls(double t)
{
	char path[96];
	int i;

	for (i = 0; i < ncalls; i++) {
		const struct call *c = &calls[i];

		if (!c->active)
			continue;
		double d = deadline(i, 0);

		printf("#   thread %d (tid %d): %s for %.1f s, bound %s%.1f s\n", i, c->tid,
		       c->what, t - c->start, d >= INF / 2 ? "none yet, " : "",
		       d >= INF / 2 ? 0 : d - c->start);
		snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", c->tid);
		dump_file(path, "wchan ");
		printf("\n");
		snprintf(path, sizeof(path), "/proc/self/task/%d/stack", c->tid);
		dump_file(path, "");
	}
}

static void *watchdog(void *arg)
{
	for (;;) {
		double t = now_s();
		int i, worst = -1;

		usleep(250000);
		pthread_mutex_lock(&table_lk);
		for (i = 0; i < ncalls; i++)
			if (calls[i].active && t > deadline(i, 0) &&
			    (worst < 0 || calls[i].start < calls[worst].start))
				worst = i;
		if (worst >= 0) {
			flockfile(stdout);
			/* every call past its bound, oldest first: the blocker and who waits */
			for (;;) {
				const struct call *c = &calls[worst];

				printf("# HUNG: seed %llu round %d (%s): thread %d (tid %d) %s: "
				       "%.1f s, past its bound by %.1f s (margin %.0f s)\n",
				       (unsigned long long)seed, round_no,
				       round_variant ? round_variant->name : "-", worst, c->tid,
				       c->what, t - c->start, t - deadline(worst, 0), margin_s);
				int next = -1;

				for (i = 0; i < ncalls; i++)
					if (calls[i].active && t > deadline(i, 0) &&
					    (calls[i].start > c->start ||
					     (calls[i].start == c->start && i > worst)) &&
					    (next < 0 || calls[i].start < calls[next].start))
						next = i;
				if (next < 0)
					break;
				worst = next;
			}
			printf("# calls in flight:\n");
			dump_calls(t);
			fflush(stdout);
			_exit(3);
		}
		pthread_mutex_unlock(&table_lk);
	}
	return NULL;
}

/* ---- helpers ---- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r) { return kt_rand(&r->s); }
static unsigned int pick(struct rng *r, unsigned int n) { return n ? rnd(r) % n : 0; }

static void ns_enter(const char *path)
{
	int fd;

	if (!path)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		kt_fail("setns %s: %s", path, strerror(errno));
	close(fd);
}

/* A timeout in ms; 0 (forever) one time in ten, never on the checked stream. */
static int pick_timeo_ms(struct rng *r, bool guarded)
{
	static const int ms[] = { 0, 50, 200, 500, 1000, 2000, 3000 };
	int m = ms[pick(r, 7)];

	if (m == 0 && (guarded || pick(r, 3)))
		m = 1000;
	return m;
}

/* A descriptor of its own for slot @i (a dup), or -1 if closed. */
static int sock_get(int i)
{
	struct sock *s = &socks[i];
	int fd;

	pthread_mutex_lock(&s->lk);
	fd = s->fd >= 0 ? fcntl(s->fd, F_DUPFD_CLOEXEC, 0) : -1;
	pthread_mutex_unlock(&s->lk);
	return fd;
}

static void note_timeo(int i, int opt, double t)
{
	struct sock *s = &socks[i];
	double *m = opt == SO_SNDTIMEO ? &s->snd_max : &s->rcv_max;

	pthread_mutex_lock(&table_lk);
	if (t > *m)
		*m = t;
	pthread_mutex_unlock(&table_lk);
}

static void note_shutdown(int i, int how)
{
	struct sock *s = &socks[i];
	double t = now_s();

	pthread_mutex_lock(&table_lk);
	if ((how == SHUT_WR || how == SHUT_RDWR) && !s->shut_wr_at)
		s->shut_wr_at = t;
	if ((how == SHUT_RD || how == SHUT_RDWR) && !s->shut_rd_at)
		s->shut_rd_at = t;
	pthread_mutex_unlock(&table_lk);
}

static const char *how_name(int how)
{
	return how == SHUT_RD ? "SHUT_RD" : how == SHUT_WR ? "SHUT_WR" : "SHUT_RDWR";
}

static void tracked_shutdown(int i, int fd, int how)
{
	note_shutdown(i, how);
	call_begin(i, fd, D_NONE, B_FLUSH, 0, "shutdown(%s) sock %d fd %d", how_name(how), i, fd);
	call_end(shutdown(fd, how));
}

/* A close that may be the last reference: flush and linger bounds. */
static void tracked_close(int i, int fd)
{
	call_begin(i, fd, D_NONE, B_CLOSE, 0, "close sock %d fd %d", i, fd);
	call_end(close(fd));
}

static const char *flag_names(int flags)
{
	static __thread char buf[96];

	snprintf(buf, sizeof(buf), "%s%s%s%s%s", flags & MSG_DONTWAIT ? "|DONTWAIT" : "",
		 flags & MSG_PEEK ? "|PEEK" : "", flags & MSG_MORE ? "|MORE" : "",
		 flags & MSG_WAITALL ? "|WAITALL" : "", flags ? "" : "|0");
	return buf + 1;
}

static bool is_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && (fl & O_NONBLOCK);
}

/* ---- the chaos ops ---- */

struct worker {
	int id;
	pthread_t thread;
	struct rng r;
	char *buf;
	int pipe_r, pipe_w;
};

static void op_send(struct worker *w, int i, int fd)
{
	int flags = MSG_NOSIGNAL, n = 1 + pick(&w->r, pick(&w->r, 4) ? 40000 : 100);
	bool nb;

	if (pick(&w->r, 3) == 0)
		flags |= MSG_DONTWAIT;
	if (pick(&w->r, 4) == 0)
		flags |= MSG_MORE;
	nb = (flags & MSG_DONTWAIT) || is_nonblock(fd);
	kt_stream_fill(rnd(&w->r), 0, w->buf, n);
	call_begin(i, fd, D_SND, nb ? B_FIXED : B_SND, 0, "send(%d, %s) sock %d fd %d",
		   n, flag_names(flags & ~MSG_NOSIGNAL), i, fd);
	call_end(send(fd, w->buf, n, flags));
}

static void op_recv(struct worker *w, int i, int fd)
{
	int flags = 0, n = 1 + pick(&w->r, 40000);
	bool nb;

	switch (pick(&w->r, 6)) {
	case 0: flags = MSG_DONTWAIT; break;
	case 1: flags = MSG_PEEK | (pick(&w->r, 2) ? MSG_DONTWAIT : 0); break;
	case 2: flags = MSG_WAITALL; n = 1 + pick(&w->r, 20000); break;
	}
	nb = (flags & MSG_DONTWAIT) || is_nonblock(fd);
	call_begin(i, fd, D_RCV, nb ? B_FIXED : B_RCV, 0, "recv(%d, %s) sock %d fd %d",
		   n, flag_names(flags), i, fd);
	call_end(recv(fd, w->buf, n, flags));
}

static void op_poll(struct worker *w, int i, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP };
	int ms = pick(&w->r, 4) ? pick(&w->r, 300) : 0;

	if (pick(&w->r, 2))
		p.events = pick(&w->r, 2) ? POLLIN : POLLOUT;
	call_begin(i, fd, D_NONE, B_FIXED, ms / 1000.0, "poll(%#x, %d ms) sock %d fd %d",
		   p.events, ms, i, fd);
	call_end(poll(&p, 1, ms));
}

static void op_epoll(struct worker *w, int i, int fd)
{
	struct epoll_event ev[8];
	int ms = pick(&w->r, 300), n, k;

	if (pick(&w->r, 3) == 0) {
		/* re-arm the primary's registration, level or edge triggered */
		struct epoll_event e = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.u32 = i };
		int pfd;

		if (pick(&w->r, 2))
			e.events |= EPOLLET;
		pthread_mutex_lock(&socks[i].lk);
		pfd = socks[i].fd;
		if (pfd >= 0) {
			call_begin(i, pfd, D_NONE, B_FIXED, 0, "epoll_ctl(MOD, %s) sock %d",
				   e.events & EPOLLET ? "edge" : "level", i);
			call_end(epoll_ctl(epfd, EPOLL_CTL_MOD, pfd, &e));
		}
		pthread_mutex_unlock(&socks[i].lk);
		return;
	}
	call_begin(-1, -1, D_NONE, B_FIXED, ms / 1000.0, "epoll_wait(%d ms)", ms);
	n = call_end(epoll_wait(epfd, ev, 8, ms));
	/* read what it says is there, without blocking */
	for (k = 0; k < n; k++) {
		int j = ev[k].data.u32, f;

		if (!(ev[k].events & EPOLLIN) || j >= nsocks || socks[j].guarded ||
		    pick(&w->r, 100) >= socks[j].read_pct)
			continue;
		f = sock_get(j);
		if (f < 0)
			continue;
		call_begin(j, f, D_RCV, B_FIXED, 0, "recv(DONTWAIT) after EPOLLIN sock %d fd %d", j, f);
		call_end(recv(f, w->buf, IOBUF, MSG_DONTWAIT));
		tracked_close(j, f);
	}
}

static void op_sockopt(struct worker *w, int i, int fd, bool guarded)
{
	union kt_crypto_info ci;
	socklen_t len;
	int v, opt;

	switch (pick(&w->r, guarded ? 4 : 9)) {
	case 0:	/* SOL_TLS get, buffer sizes right and wrong */
		opt = pick(&w->r, 2) ? TLS_TX : TLS_RX;
		{
			static const socklen_t lens[] = { 0, 2, 4, sizeof(struct tls_crypto_info),
							  sizeof(ci), 100 };
			len = lens[pick(&w->r, 6)];
		}
		if (len > sizeof(ci))
			len = sizeof(ci);
		call_begin(i, fd, D_NONE, B_FIXED, 0, "getsockopt(SOL_TLS, %s, %u) sock %d fd %d",
			   opt == TLS_TX ? "TLS_TX" : "TLS_RX", len, i, fd);
		call_end(getsockopt(fd, SOL_TLS, opt, &ci, &len));
		break;
	case 1:	/* SO_SNDTIMEO / SO_RCVTIMEO, sometimes forever */
		opt = pick(&w->r, 2) ? SO_SNDTIMEO : SO_RCVTIMEO;
		{
			int m = pick_timeo_ms(&w->r, guarded);
			struct timeval tv = { m / 1000, (m % 1000) * 1000 };

			/* the bound grows before the kernel sees the new timeout */
			note_timeo(i, opt, m ? m / 1000.0 : INF);
			call_begin(i, fd, D_NONE, B_FIXED, 0, "setsockopt(%s, %d ms) sock %d fd %d",
				   opt == SO_SNDTIMEO ? "SO_SNDTIMEO" : "SO_RCVTIMEO", m, i, fd);
			call_end(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)));
		}
		break;
	case 2:	/* TLS_RX_EXPECT_NO_PAD: 0/1, right and wrong sizes; get it back */
		v = pick(&w->r, 2);
		len = pick(&w->r, 4) ? sizeof(int) : pick(&w->r, 2) ? 1 : 8;
		call_begin(i, fd, D_NONE, B_FIXED, 0, "setsockopt(TLS_RX_EXPECT_NO_PAD, %d, %u) sock %d fd %d",
			   v, len, i, fd);
		call_end(setsockopt(fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, len));
		len = sizeof(v);
		call_begin(i, fd, D_NONE, B_FIXED, 0, "getsockopt(TLS_RX_EXPECT_NO_PAD) sock %d fd %d", i, fd);
		call_end(getsockopt(fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, &len));
		break;
	case 3:	/* getsockopt of timeouts, ULP name, error */
		{
			char name[16];
			struct timeval tv;

			len = sizeof(name);
			call_begin(i, fd, D_NONE, B_FIXED, 0, "getsockopt(TCP_ULP) sock %d fd %d", i, fd);
			call_end(getsockopt(fd, SOL_TCP, TCP_ULP, name, &len));
			len = sizeof(tv);
			call_begin(i, fd, D_NONE, B_FIXED, 0, "getsockopt(SO_SNDTIMEO) sock %d fd %d", i, fd);
			call_end(getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len));
			len = sizeof(v);
			call_begin(i, fd, D_NONE, B_FIXED, 0, "getsockopt(SO_ERROR) sock %d fd %d", i, fd);
			call_end(getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len));
		}
		break;
	case 4:	/* invalid: TLS keys again, a bogus cipher, a short optlen */
		{
			size_t l = kt_crypto_info(round_variant, 77, &ci);
			int what = pick(&w->r, 4);

			opt = pick(&w->r, 2) ? TLS_TX : TLS_RX;
			if (what == 1)
				ci.info.cipher_type = 9999;
			else if (what == 2)
				l = 3;
			else if (what == 3)
				ci.info.version = 0x0200;
			call_begin(i, fd, D_NONE, B_FIXED, 0, "setsockopt(SOL_TLS, %s, invalid %d) sock %d fd %d",
				   opt == TLS_TX ? "TLS_TX" : "TLS_RX", what, i, fd);
			if (call_end(setsockopt(fd, SOL_TLS, opt, &ci, l)) == 0 && what)
			{
				say("FAIL: seed %llu: invalid setsockopt(SOL_TLS, %s) kind %d succeeded on sock %d",
				    (unsigned long long)seed, opt == TLS_TX ? "TLS_TX" : "TLS_RX", what, i);
				atomic_fetch_add(&n_wrong, 1);
			}
			call_begin(i, fd, D_NONE, B_FIXED, 0, "setsockopt(TCP_ULP tls) again sock %d fd %d", i, fd);
			call_end(setsockopt(fd, SOL_TCP, TCP_ULP, "tls", 4));
		}
		break;
	case 5:	/* invalid socket options: short timeval, tv_usec out of range */
		{
			struct timeval tv = { 0, 2000000 };

			opt = pick(&w->r, 2) ? SO_SNDTIMEO : SO_RCVTIMEO;
			call_begin(i, fd, D_NONE, B_FIXED, 0, "setsockopt(timeo invalid) sock %d fd %d", i, fd);
			call_end(setsockopt(fd, SOL_SOCKET, opt, &tv, pick(&w->r, 2) ? 3 : sizeof(tv)));
			call_begin(i, fd, D_NONE, B_FIXED, 0, "setsockopt(SO_LINGER short) sock %d fd %d", i, fd);
			call_end(setsockopt(fd, SOL_SOCKET, SO_LINGER, &tv, 2));
		}
		break;
	case 6:	/* SO_LINGER: off, {1,0} (close resets), {1,1} (close waits 1 s) */
		{
			struct linger l = { 1, 0 };

			switch (pick(&w->r, 3)) {
			case 0: l.l_onoff = 0; break;
			case 2: l.l_linger = 1; break;
			}
			pthread_mutex_lock(&table_lk);
			if (l.l_onoff && l.l_linger > socks[i].linger_max)
				socks[i].linger_max = l.l_linger;
			pthread_mutex_unlock(&table_lk);
			call_begin(i, fd, D_NONE, B_FIXED, 0, "setsockopt(SO_LINGER {%d,%d}) sock %d fd %d",
				   l.l_onoff, l.l_linger, i, fd);
			call_end(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)));
		}
		break;
	case 7:	/* O_NONBLOCK on the shared file */
		{
			int fl = fcntl(fd, F_GETFL);

			if (fl >= 0)
				fcntl(fd, F_SETFL, pick(&w->r, 3) ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
		}
		break;
	case 8:	/* getsockopt with a NULL buffer: EFAULT, never an oops */
		len = 40;
		call_begin(i, fd, D_NONE, B_FIXED, 0, "getsockopt(SOL_TLS, TLS_TX, NULL) sock %d fd %d", i, fd);
		call_end(getsockopt(fd, SOL_TLS, TLS_TX, NULL, &len));
		break;
	}
}

static void drain_pipe(struct worker *w)
{
	while (read(w->pipe_r, w->buf, IOBUF) > 0)
		;
}

static void op_splice(struct worker *w, int i, int fd)
{
	size_t n = 1 + pick(&w->r, 32768);
	int fl = pick(&w->r, 3) ? 0 : SPLICE_F_NONBLOCK;
	bool nb = fl || is_nonblock(fd);

	switch (pick(&w->r, 3)) {
	case 0:	/* socket -> pipe */
		drain_pipe(w);
		call_begin(i, fd, D_RCV, nb ? B_FIXED : B_RCV, 0, "splice(sock -> pipe, %zu%s) sock %d fd %d",
			   n, fl ? ", NONBLOCK" : "", i, fd);
		call_end(splice(fd, NULL, w->pipe_w, NULL, n, fl));
		drain_pipe(w);
		break;
	case 1:	/* pipe -> socket */
		drain_pipe(w);
		kt_stream_fill(rnd(&w->r), 0, w->buf, n);
		n = write(w->pipe_w, w->buf, n);
		if ((ssize_t)n <= 0)
			return;
		call_begin(i, fd, D_SND, nb ? B_FIXED : B_SND, 0, "splice(pipe -> sock, %zu%s) sock %d fd %d",
			   n, fl ? ", NONBLOCK" : "", i, fd);
		call_end(splice(w->pipe_r, NULL, fd, NULL, n, fl | (pick(&w->r, 2) ? SPLICE_F_MORE : 0)));
		drain_pipe(w);
		break;
	case 2:	/* sendfile from a file */
		{
			off_t off = pick(&w->r, FILE_SIZE / 2);

			n = 1 + pick(&w->r, 200000);
			call_begin(i, fd, D_SND, is_nonblock(fd) ? B_FIXED : B_SND, 0,
				   "sendfile(%zu at %ld) sock %d fd %d", n, (long)off, i, fd);
			call_end(sendfile(fd, file_fd, &off, n));
		}
		break;
	}
}

static void close_slot(struct worker *w, int i, bool reset)
{
	struct sock *s = &socks[i];
	int fd;

	if (reset) {
		struct linger l = { 1, 0 };
		int f = sock_get(i);

		if (f < 0)
			return;
		call_begin(i, f, D_NONE, B_FIXED, 0, "setsockopt(SO_LINGER {1,0}) before reset sock %d", i);
		call_end(setsockopt(f, SOL_SOCKET, SO_LINGER, &l, sizeof(l)));
		tracked_close(i, f);
	}
	pthread_mutex_lock(&s->lk);
	fd = s->fd;
	s->fd = -1;
	pthread_mutex_unlock(&s->lk);
	if (fd >= 0)
		tracked_close(i, fd);	/* the last one out flushes (or resets) */
}

static void chaos_op(struct worker *w)
{
	int i = pick(&w->r, nsocks), fd, op;
	bool guarded = socks[i].guarded;

	if (pick(&w->r, 12) == 0) {
		op_epoll(w, i, -1);
		return;
	}
	fd = sock_get(i);
	if (fd < 0)
		return;
	op = pick(&w->r, 100);
	/* ends that read little fill their peer's buffers: senders block */
	if (op >= 25 && op < 50 && pick(&w->r, 100) >= socks[i].read_pct)
		op = pick(&w->r, 25);
	/* shutdown, close and reset are rare: a socket lives for a while */
	if (op >= 92 && pick(&w->r, 40))
		op = pick(&w->r, 92);
	if (guarded)
		op = op < 30 ? 55 : 70;	/* poll and options only */
	if (op < 25)
		op_send(w, i, fd);
	else if (op < 50)
		op_recv(w, i, fd);
	else if (op < 58)
		op_poll(w, i, fd);
	else if (op < 80)
		op_sockopt(w, i, fd, guarded);
	else if (op < 92)
		op_splice(w, i, fd);
	else if (op < 96) {
		int how = pick(&w->r, 3);

		tracked_shutdown(i, fd, how);
	} else if (op < 99) {
		tracked_close(i, fd);
		close_slot(w, i, pick(&w->r, 2));
		atomic_fetch_add(&n_ops, 1);
		return;
	}
	tracked_close(i, fd);
	atomic_fetch_add(&n_ops, 1);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	call_register();
	while (!atomic_load(&stop))
		chaos_op(w);
	return NULL;
}

/* ---- the checked stream ---- */

struct stream {
	int tx, rx;		/* slots */
	uint64_t seed;
	uint64_t sent, received;
	bool cut;		/* an error on either side: only the prefix counts */
	char why[128];
	bool bad;
	pthread_t t_tx, t_rx;
	atomic_int tx_done;
};

static struct stream stream;

static void *stream_tx(void *arg)
{
	struct stream *st = arg;
	char *buf = malloc(IOBUF);
	struct rng r = { st->seed ^ 0x7777 };
	int fd = sock_get(st->tx);

	call_register();
	while (!atomic_load(&stop) && !st->cut) {
		size_t n = 1 + pick(&r, pick(&r, 4) ? 40000 : 300);
		int flags = MSG_NOSIGNAL | (pick(&r, 5) ? 0 : MSG_MORE);
		ssize_t k;

		kt_stream_fill(st->seed, st->sent, buf, n);
		call_begin(st->tx, fd, D_SND, is_nonblock(fd) ? B_FIXED : B_SND, 0,
			   "stream send(%zu, %s) at %llu sock %d", n, flag_names(flags & ~MSG_NOSIGNAL),
			   (unsigned long long)st->sent, st->tx);
		k = call_end(send(fd, buf, n, flags));
		if (k > 0)
			st->sent += k;
		else if (k < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(st->why, sizeof(st->why), "send: %s", strerror(errno));
			st->cut = true;
		}
	}
	/* the orderly end: everything sent must arrive, then EOF */
	note_shutdown(st->tx, SHUT_WR);
	call_begin(st->tx, fd, D_NONE, B_FLUSH, 0, "stream shutdown(SHUT_WR) sock %d", st->tx);
	if (call_end(shutdown(fd, SHUT_WR)) && !st->cut) {
		snprintf(st->why, sizeof(st->why), "shutdown: %s", strerror(errno));
		st->cut = true;
	}
	atomic_store(&st->tx_done, 1);
	close(fd);
	free(buf);
	return NULL;
}

static void *stream_rx(void *arg)
{
	struct stream *st = arg;
	char *buf = malloc(IOBUF);
	struct rng r = { st->seed ^ 0x3333 };
	int fd = sock_get(st->rx);
	double eof_by = 0;

	call_register();
	for (;;) {
		size_t n = 1 + pick(&r, IOBUF);
		int flags = pick(&r, 8) ? 0 : MSG_DONTWAIT;
		ssize_t k;
		int64_t bad;

		if (atomic_load(&st->tx_done) && !eof_by)
			eof_by = now_s() + FLUSH_S + margin_s;
		if (eof_by && now_s() > eof_by) {
			if (!st->cut) {
				snprintf(st->why, sizeof(st->why),
					 "no EOF %.0f s after the orderly shutdown", FLUSH_S + margin_s);
				st->bad = true;
			}
			break;
		}
		call_begin(st->rx, fd, D_RCV, (flags || is_nonblock(fd)) ? B_FIXED : B_RCV, 0,
			   "stream recv(%zu, %s) at %llu sock %d", n, flag_names(flags),
			   (unsigned long long)st->received, st->rx);
		k = call_end(recv(fd, buf, n, flags));
		if (k == 0)
			break;
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				if (flags)
					usleep(2000);
				continue;
			}
			if (!st->cut)
				snprintf(st->why, sizeof(st->why), "recv: %s", strerror(errno));
			st->cut = true;
			break;
		}
		bad = kt_stream_check(st->seed, st->received, buf, k);
		if (bad >= 0) {
			snprintf(st->why, sizeof(st->why), "byte %lld differs", (long long)bad);
			st->bad = true;
			break;
		}
		st->received += k;
		if (st->received > st->sent && atomic_load(&st->tx_done)) {
			snprintf(st->why, sizeof(st->why), "more bytes than sent");
			st->bad = true;
			break;
		}
	}
	close(fd);
	free(buf);
	return NULL;
}

/* ---- rounds ---- */

static int new_socket_in(const char *ns)
{
	int fd;

	ns_enter(ns);
	fd = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
	if (fd < 0)
		kt_fail("socket: %s", strerror(errno));
	return fd;
}

static void open_pair(int a, int b, struct rng *r, bool guarded)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(listen_port) };
	int c, s;
	double t;

	inet_pton(AF_INET, server_addr ? server_addr : "127.0.0.1", &sa.sin_addr);
	c = new_socket_in(ns_client);
	call_begin(-1, c, D_NONE, B_FIXED, 0, "connect to %s:%u", server_addr ? server_addr : "127.0.0.1",
		   listen_port);
	if (call_end(connect(c, (struct sockaddr *)&sa, sizeof(sa))))
		kt_fail("connect: %s", strerror(errno));
	call_begin(-1, listen_fd, D_NONE, B_FIXED, 0, "accept");
	s = call_end(accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC));
	if (s < 0)
		kt_fail("accept: %s", strerror(errno));
	call_begin(-1, c, D_NONE, B_FIXED, 0, "TCP_ULP and TLS_TX/TLS_RX setup, %s", round_variant->name);
	kt_tls_both(c, s, round_variant);
	call_end(0);
	memset(&socks[a], 0, sizeof(socks[a]));
	memset(&socks[b], 0, sizeof(socks[b]));
	socks[a].fd = c;
	socks[a].peer = b;
	socks[a].client = true;
	socks[b].fd = s;
	socks[b].peer = a;
	for (int k = 0; k < 2; k++) {
		struct sock *x = &socks[k ? b : a];

		pthread_mutex_init(&x->lk, NULL);
		/* timeouts 0.2-3 s, or forever one time in three; workers change them */
		t = 0.2 + pick(r, 28) / 10.0;
		struct timeval tv = { (long)t, (long)((t - (long)t) * 1e6) };

		if (!pick(r, 3) && !guarded) {
			tv.tv_sec = tv.tv_usec = 0;
			t = INF;
		}
		setsockopt(x->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(x->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		x->snd_max = x->rcv_max = t;
		{
			static const int pct[] = { 0, 0, 5, 30, 100 };

			x->read_pct = pct[pick(r, 5)];
		}
	}
}

static void noop(int sig) { }

/*
 * The crypto API builds an AEAD (ccm(aes), rfc4106(gcm(aes))...) and runs
 * its self-tests the first time anyone asks for it, loading modules on the
 * way: seconds on a debug kernel under TCG (12.2 s once, for ccm(aes), in
 * crypto_larval_wait).  That is the kernel's one-time cost, the same for
 * tls.ko, not a call stuck behind our locks; so every variant is set up once
 * before the watchdog starts, and the rounds time only what they race.
 */
static void warm_up_ciphers(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(listen_port) };
	double t = now_s();
	int i, c, s;

	inet_pton(AF_INET, server_addr ? server_addr : "127.0.0.1", &sa.sin_addr);
	for (i = 0; i < kt_nvariants; i++) {
		c = new_socket_in(ns_client);
		if (connect(c, (struct sockaddr *)&sa, sizeof(sa)))
			kt_fail("warm-up connect: %s", strerror(errno));
		s = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (s < 0)
			kt_fail("warm-up accept: %s", strerror(errno));
		kt_tls_both(c, s, &kt_variants[i]);
		close(c);
		close(s);
	}
	printf("# every cipher set up once first (the crypto API's first use): %.1f s\n",
	       now_s() - t);
}

static void run_round(int nthreads, int npairs, double secs)
{
	struct rng r = { seed * 1000003 + round_no };
	struct worker w[MAX_THREADS];
	double end, t0 = now_s();
	int i, k;
	long ops0 = atomic_load(&n_ops);

	round_variant = &kt_variants[pick(&r, kt_nvariants)];
	nsocks = 2 * (npairs + 1);
	for (i = 0; i < npairs + 1; i++)
		open_pair(2 * i, 2 * i + 1, &r, i == npairs);
	/* the last pair carries the checked stream, client to server or back */
	socks[nsocks - 2].guarded = socks[nsocks - 1].guarded = true;
	memset(&stream, 0, sizeof(stream));
	stream.seed = rnd(&r);
	if (pick(&r, 2)) {
		stream.tx = nsocks - 2;
		stream.rx = nsocks - 1;
	} else {
		stream.tx = nsocks - 1;
		stream.rx = nsocks - 2;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	for (i = 0; i < nsocks; i++) {
		struct epoll_event e = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP |
					 (pick(&r, 2) ? EPOLLET : 0), .data.u32 = i };

		epoll_ctl(epfd, EPOLL_CTL_ADD, socks[i].fd, &e);
	}

	atomic_store(&stop, 0);
	pthread_create(&stream.t_tx, NULL, stream_tx, &stream);
	pthread_create(&stream.t_rx, NULL, stream_rx, &stream);
	for (i = 0; i < nthreads; i++) {
		int p[2];

		w[i].id = i;
		w[i].r.s = seed ^ ((uint64_t)round_no << 32) ^ (i * 0x9e3779b9ULL);
		w[i].buf = malloc(IOBUF);
		if (pipe2(p, O_NONBLOCK | O_CLOEXEC))
			kt_fail("pipe: %s", strerror(errno));
		w[i].pipe_r = p[0];
		w[i].pipe_w = p[1];
		pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
	}

	/* signals while they run: a no-op handler, no SA_RESTART */
	end = t0 + secs;
	while (now_s() < end) {
		usleep(20000 + pick(&r, 200000));
		k = pick(&r, nthreads + 2);
		if (k < nthreads)
			pthread_kill(w[k].thread, SIGUSR1);
		else
			pthread_kill(k == nthreads ? stream.t_tx : stream.t_rx, SIGUSR1);
	}

	/*
	 * The end: stop, short send timeouts so the flushes are quick, and
	 * shutdown(SHUT_RDWR) on every chaos socket and on every descriptor a
	 * call is blocked on: that must release every thread.
	 */
	atomic_store(&stop, 1);
	for (i = 0; i < nsocks; i++) {
		struct timeval tv = { 0, 200000 };
		int fd;

		if (socks[i].guarded)
			continue;
		fd = sock_get(i);
		if (fd < 0)
			continue;
		call_begin(i, fd, D_NONE, B_FIXED, 0, "round end setsockopt(SO_SNDTIMEO 0.2 s) sock %d", i);
		call_end(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
		tracked_shutdown(i, fd, SHUT_RDWR);
		close(fd);
	}
	{
		int fds[MAX_CALLS], socks_of[MAX_CALLS], n = 0;

		pthread_mutex_lock(&table_lk);
		for (i = 0; i < ncalls; i++)
			if (calls[i].active && calls[i].sock >= 0 && calls[i].fd >= 0 &&
			    !socks[calls[i].sock].guarded) {
				fds[n] = calls[i].fd;
				socks_of[n++] = calls[i].sock;
			}
		pthread_mutex_unlock(&table_lk);
		for (i = 0; i < n; i++)
			tracked_shutdown(socks_of[i], fds[i], SHUT_RDWR);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(w[i].thread, NULL);
		close(w[i].pipe_r);
		close(w[i].pipe_w);
		free(w[i].buf);
	}
	pthread_join(stream.t_tx, NULL);
	pthread_join(stream.t_rx, NULL);
	/* the threads are gone: their call slots are reused next round */
	pthread_mutex_lock(&table_lk);
	ncalls = 1;
	pthread_mutex_unlock(&table_lk);

	for (i = 0; i < nsocks; i++)
		close_slot(NULL, i, false);
	close(epfd);
	epfd = -1;

	say("round %d %s %.1f s: %ld ops; stream %llu sent, %llu received, %s%s%s",
	    round_no, round_variant->name, now_s() - t0, atomic_load(&n_ops) - ops0,
	    (unsigned long long)stream.sent, (unsigned long long)stream.received,
	    stream.bad ? "BAD" : stream.cut ? "cut" : "orderly",
	    stream.why[0] ? ": " : "", stream.why);
	if (stream.bad || (!stream.cut && stream.received != stream.sent)) {
		printf("# FAIL: seed %llu round %d %s: the checked stream %s (%llu sent, %llu received)\n",
		       (unsigned long long)seed, round_no, round_variant->name,
		       stream.bad ? stream.why : "ended orderly short",
		       (unsigned long long)stream.sent, (unsigned long long)stream.received);
		fflush(stdout);
		_exit(1);
	}
}

int main(int argc, char **argv)
{
	const char *env = getenv("MPTLS_STRESS_SEED");
	double secs = kt_env_size("MPTLS_STRESS_SECONDS", 60);
	int nthreads = 6, npairs = 3, opt;
	struct sigaction sa = { .sa_handler = noop };	/* no SA_RESTART */
	pthread_t wd;
	char *buf;

	setvbuf(stdout, NULL, _IOLBF, 0);
	seed = env && *env ? strtoull(env, NULL, 0) : 0;
	while ((opt = getopt(argc, argv, "s:d:t:p:m:c:S:a:")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'd': secs = atof(optarg); break;
		case 't': nthreads = atoi(optarg); break;
		case 'p': npairs = atoi(optarg); break;
		case 'm': margin_s = atof(optarg); break;
		case 'c': ns_client = optarg; break;
		case 'S': ns_server = optarg; break;
		case 'a': server_addr = optarg; break;
		default:
			fprintf(stderr, "usage: %s [-s SEED] [-d SECONDS] [-t THREADS] [-p PAIRS] "
				"[-m MARGIN_S] [-c NETNS_CLIENT -S NETNS_SERVER -a SERVER_ADDR]\n", argv[0]);
			return 2;
		}
	}
	if (!seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	}
	/* first, always: the seed that replays this run */
	printf("# seed %llu (replay: MPTLS_STRESS_SEED=%llu)\n", (unsigned long long)seed,
	       (unsigned long long)seed);
	if (nthreads < 1 || nthreads > MAX_THREADS - 4 || npairs < 1 ||
	    2 * (npairs + 1) > MAX_SOCKS)
		kt_fail("bad -t or -p");
	printf("# %.0f s, %d threads, %d chaos pairs + 1 checked stream per round, margin %.0f s%s%s\n",
	       secs, nthreads, npairs, margin_s, ns_client ? ", client netns " : ", loopback",
	       ns_client ? ns_client : "");

	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGUSR1, &sa, NULL);

	/* a file for sendfile */
	{
		char path[] = "/tmp/mptls-stress-XXXXXX";

		file_fd = mkstemp(path);
		if (file_fd < 0)
			kt_fail("mkstemp: %s", strerror(errno));
		unlink(path);
		buf = malloc(FILE_SIZE);
		kt_stream_fill(seed, 0, buf, FILE_SIZE);
		if (write(file_fd, buf, FILE_SIZE) != FILE_SIZE)
			kt_fail("write: %s", strerror(errno));
		free(buf);
	}

	listen_fd = new_socket_in(ns_server);
	{
		struct sockaddr_in sa = { .sin_family = AF_INET };
		int one = 1;
		socklen_t len = sizeof(sa);

		setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(listen_fd, 64) ||
		    getsockname(listen_fd, (struct sockaddr *)&sa, &len))
			kt_fail("listen: %s", strerror(errno));
		listen_port = ntohs(sa.sin_port);
	}

	warm_up_ciphers();
	call_register();	/* the main thread's slot, 0 */
	pthread_create(&wd, NULL, watchdog, NULL);
	{
		double end = now_s() + secs;
		struct rng r = { seed };

		while (now_s() < end) {
			double left = end - now_s(), len = 2 + pick(&r, 80) / 10.0;

			round_no++;
			run_round(nthreads, npairs, len < left ? len : left > 1 ? left : 1);
		}
	}
	close(listen_fd);
	if (atomic_load(&n_wrong))
		return 1;
	printf("# %d rounds, %ld ops, %ld calls: %ld EINTR, %ld EAGAIN, %ld other errors; "
	       "no call outlived its bound\n", round_no, atomic_load(&n_ops),
	       atomic_load(&n_calls), atomic_load(&n_eintr), atomic_load(&n_eagain),
	       atomic_load(&n_err));
	return 0;
}
