// SPDX-License-Identifier: MIT
/*
 * Two threads on one kTLS socket, and the ends of a connection that stalls:
 * what a blocked send() or recv() must not hold up.  Every scenario runs on
 * TCP with stock tls.ko (name_tcp, the reference) and on MPTCP with mptls
 * (name_mptcp, the subject), same code.  Times go out as "#" comments.
 *
 *   blocked_send_vs_*            thread A blocks in send() (peer stopped
 *                                reading); shutdown(SHUT_RDWR / SHUT_WR) by
 *                                thread B, or the peer's close(), returns
 *                                within 2 s and A returns within 2 s:
 *                                EPIPE/ECONNRESET, or a short count and the
 *                                next send fails (stock tls.ko on 6.12 takes
 *                                that next send: its TCP run only reports it)
 *   no_d_state_behind_blocked_*  a reader (sender) blocked 3 s on a quiet
 *                                (stalled) connection: no task of the guest
 *                                sits in state D meanwhile (kworkers included)
 *   dontwait_*_beside_blocked_*  MSG_DONTWAIT recv/send while another thread
 *                                is blocked in recv/send: EAGAIN at once (recv
 *                                as net/tls tls_rx_reader_acquire; stock
 *                                tls.ko waits for its tx_lock on send, so the
 *                                TCP run only reports what it does there)
 *   signal_interrupts_blocked_*  SIGUSR1 without SA_RESTART: EINTR (or a
 *                                partial count) within 2 s
 *   interrupted_send_delivers_*  the count an interrupted send() returned
 *                                reaches the peer with no further call by the
 *                                sender, byte-exact, nothing more, then EOF
 *   linger_zero_close_*          close() with SO_LINGER {1,0}, unsent data,
 *                                peer not reading: under 1 s
 *   exit_with_stalled_sockets_*  a process exiting with 20 such sockets
 *                                (default linger, stalled by non-blocking
 *                                sends) is gone within 5 s
 *   send_after_shut_wr_*         EPIPE, SIGPIPE unless MSG_NOSIGNAL, as plain
 *                                TCP and MPTCP (stock tls.ko takes the bytes,
 *                                6.1 and 6.12: its TCP run only reports)
 *   shut_wr_peer_sees_clean_eof  the data, then EOF (0) twice; the other
 *                                direction still works
 *   send_after_peer_reset_fails  peer closed with SO_LINGER {1,0}: send fails
 *                                with ECONNRESET/EPIPE (on MPTCP only asserted
 *                                when plain MPTCP without TLS fails too)
 *   poll_keeps_record_error      a forged record: two polls both report it,
 *                                the recv after them still gets EBADMSG
 *   epoll_quiet_beside_blocked_reader  level-triggered epoll does not spin
 *                                while another thread waits in recv()
 *   record_type_zero             a correctly sealed record of content type 0:
 *                                MPTCP answers as TCP does (TLS 1.2: EBADMSG)
 *
 * Each wait has its own limit well inside the harness timeout, so a hang
 * shows as a failure naming what hung, with the D-state tasks and the wchan
 * of the stuck thread.  tests/vm/kernel_concurrency.sh runs two variants
 * (KT_VARIANTS); all eight work too, eight times slower.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktls.h"

#define BIG_SEND (2 << 20)	/* 4 x what the stalled connection holds */
#define SMALL_BUF (128 * 1024)	/* SO_SNDBUF/SO_RCVBUF: stalls come quickly */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double ms(double s)
{
	return s * 1000.0;
}

static void on_signal(int sig)
{
	(void)sig;
}

/* SIGUSR1 interrupts system calls: no SA_RESTART. */
static void install_sigusr1(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
}

static void set_int(int fd, int level, int opt, int val)
{
	ASSERT_OK(setsockopt(fd, level, opt, &val, sizeof(val)));
}

static void set_timeo(int fd, int opt, double s)
{
	struct timeval tv = { .tv_sec = (time_t)s, .tv_usec = (long)((s - (time_t)s) * 1e6) };

	ASSERT_OK(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)));
}

static void set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	ASSERT_OK(fl);
	ASSERT_OK(fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK));
}

static const char *proto_name(int proto)
{
	return proto == KT_MPTCP ? "mptcp" : "tcp";
}

/*
 * A pair with TLS both ways (@v NULL: no TLS, the plain transport), small
 * buffers so that a peer that stops reading stalls the sender soon, blocking
 * sockets with no send timeout.
 */
static void open_pair(struct kt_pair *p, int proto, const struct kt_variant *v)
{
	kt_pair_open(p, AF_INET, proto, proto);
	set_int(p->client, SOL_SOCKET, SO_SNDBUF, SMALL_BUF);
	set_int(p->server, SOL_SOCKET, SO_RCVBUF, SMALL_BUF);
	set_timeo(p->client, SO_SNDTIMEO, 0);
	if (v)
		kt_tls_both(p->client, p->server, v);
}

/* ---- a system call in a thread of its own, waited for with a limit ---- */

enum op { OP_SEND, OP_RECV, OP_SHUTDOWN, OP_CLOSE };

struct call {
	enum op op;
	int fd, flags;		/* flags: send/recv flags, or how for shutdown */
	const void *buf;
	size_t len;
	const char *what;
	pthread_t th;
	atomic_int tid;
	atomic_bool done;
	ssize_t ret;
	int err;
	double t0, t1;
};

static void *call_fn(void *arg)
{
	struct call *c = arg;

	atomic_store(&c->tid, (int)syscall(SYS_gettid));
	c->t0 = now_s();
	errno = 0;
	switch (c->op) {
	case OP_SEND:
		c->ret = send(c->fd, c->buf, c->len, c->flags);
		break;
	case OP_RECV:
		c->ret = recv(c->fd, (void *)c->buf, c->len, c->flags);
		break;
	case OP_SHUTDOWN:
		c->ret = shutdown(c->fd, c->flags);
		break;
	case OP_CLOSE:
		c->ret = close(c->fd);
		break;
	}
	c->err = c->ret < 0 ? errno : 0;
	c->t1 = now_s();
	atomic_store(&c->done, true);
	return NULL;
}

static void call_start(struct call *c, enum op op, const char *what, int fd,
		       const void *buf, size_t len, int flags)
{
	*c = (struct call){ .op = op, .what = what, .fd = fd, .buf = buf, .len = len,
			    .flags = flags };
	ASSERT_EQ(pthread_create(&c->th, NULL, call_fn, c), 0);
	pthread_detach(c->th);
	while (!atomic_load(&c->tid))
		usleep(1000);
}

/* A thread's state letter (R, S, D...) and wchan; '?' when it is gone. */
static char thread_state(int tid, char *wchan, size_t wlen)
{
	char path[96], buf[512], *p;
	ssize_t n;
	int fd;

	if (wchan && wlen) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
		fd = open(path, O_RDONLY);
		n = fd >= 0 ? read(fd, wchan, wlen - 1) : -1;
		wchan[n > 0 ? n : 0] = '\0';
		if (fd >= 0)
			close(fd);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

/* A task in state D: its ids, comm and wchan. */
struct dtask {
	int pid, tid;
	char comm[32], wchan[128];
};

static void read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* Calls @fn for every task of the guest in state D now; returns how many. */
static int for_each_d_task(void (*fn)(const struct dtask *, void *), void *arg)
{
	DIR *procd = opendir("/proc"), *taskd;
	struct dirent *pe, *te;
	char path[600], buf[512], *p, *comm;
	struct dtask d;
	int found = 0;

	if (!procd)
		return 0;
	while ((pe = readdir(procd))) {
		if (pe->d_name[0] < '0' || pe->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", pe->d_name);
		taskd = opendir(path);
		if (!taskd)
			continue;
		while ((te = readdir(taskd))) {
			if (te->d_name[0] < '0' || te->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/task/%s/stat", pe->d_name, te->d_name);
			read_small(path, buf, sizeof(buf));
			p = strrchr(buf, ')');
			comm = strchr(buf, '(');
			if (!p || !comm || p[1] != ' ' || p[2] != 'D')
				continue;
			*p = '\0';
			d.pid = atoi(pe->d_name);
			d.tid = atoi(te->d_name);
			snprintf(d.comm, sizeof(d.comm), "%s", comm + 1);
			snprintf(path, sizeof(path), "/proc/%s/task/%s/wchan", pe->d_name, te->d_name);
			read_small(path, d.wchan, sizeof(d.wchan));
			fn(&d, arg);
			found++;
		}
		closedir(taskd);
	}
	closedir(procd);
	return found;
}

static void note_d_task(const struct dtask *d, void *arg)
{
	kt_note("%s: task %d (%s) of pid %d in state D, wchan %s", (const char *)arg, d->tid,
		d->comm, d->pid, d->wchan);
}

static int print_d_tasks(const char *when)
{
	return for_each_d_task(note_d_task, (void *)when);
}

/* Waits up to @limit s for @c; false (after printing why) when it is still in. */
static bool call_wait(struct call *c, double limit)
{
	double end = now_s() + limit;
	char wchan[128];
	char st;

	while (!atomic_load(&c->done)) {
		if (now_s() > end) {
			st = thread_state(c->tid, wchan, sizeof(wchan));
			kt_note("%s still blocked after %.1f s: thread state %c, wchan %s",
				c->what, limit, st, wchan);
			print_d_tasks("now");
			return false;
		}
		usleep(2000);
	}
	return true;
}

static void call_must_finish(struct call *c, double limit)
{
	if (!call_wait(c, limit))
		kt_fail("%s did not return within %.1f s", c->what, limit);
}

/*
 * Waits until @c sleeps in the kernel: state S or D in 5 samples 50 ms
 * apart, still not returned.  Fails when it returns instead.
 */
static void wait_blocked(struct call *c)
{
	double end = now_s() + 20;
	int sleeping = 0;
	char st;

	while (sleeping < 5) {
		if (atomic_load(&c->done))
			kt_fail("%s returned %zd (%s) instead of blocking", c->what, c->ret,
				strerror(c->err));
		if (now_s() > end)
			kt_fail("%s never blocked in 20 s", c->what);
		st = thread_state(c->tid, NULL, 0);
		sleeping = st == 'S' || st == 'D' ? sleeping + 1 : 0;
		usleep(50000);
	}
}

/* ---- runs on both ---- */

#define BOTH(name_, timeout_)							\
	static void name_(int proto, const struct kt_variant *v);		\
	KT_TEST_V(name_##_tcp, timeout_)					\
	{									\
		kt_note("on tcp (stock kTLS reference)");			\
		name_(KT_TCP, variant);						\
	}									\
	KT_TEST_V(name_##_mptcp, timeout_)					\
	{									\
		kt_note("on mptcp (mptls)");					\
		name_(KT_MPTCP, variant);					\
	}									\
	static void name_(int proto, const struct kt_variant *v)

/*
 * Runs @fn on plain MPTCP (no TLS) in a child: true when the transport itself
 * behaves as the test wants, so that the verdict on mptls means something.
 */
static bool plain_mptcp_passes(void (*fn)(int, const struct kt_variant *), const char *what)
{
	double end = now_s() + 20;
	int status;
	pid_t pid;

	kt_note("baseline: %s on plain MPTCP without TLS", what);
	fflush(stdout);
	pid = fork();
	ASSERT_OK(pid);
	if (!pid) {
		fn(KT_MPTCP, NULL);
		fflush(stdout);
		_exit(0);
	}
	while (waitpid(pid, &status, WNOHANG) != pid) {
		if (now_s() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			kt_note("baseline: plain MPTCP timed out");
			return false;
		}
		usleep(10000);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		kt_note("baseline: plain MPTCP passes: mptls must too");
		return true;
	}
	kt_note("baseline: plain MPTCP fails this itself (status %#x)", status);
	return false;
}

/* ---- 1: shutdown or the peer's close behind a blocked send ---- */

enum unblock { BY_SHUT_RDWR, BY_SHUT_WR, BY_PEER_CLOSE };

static void blocked_send_vs(int proto, const struct kt_variant *v, enum unblock how)
{
	static const char *names[] = { "shutdown(SHUT_RDWR)", "shutdown(SHUT_WR)",
				       "the peer's close()" };
	char *big = calloc(1, BIG_SEND);
	struct call a, b;
	struct kt_pair p;
	double t0;
	ssize_t n;

	ASSERT_TRUE(big);
	open_pair(&p, proto, v);
	kt_send_all(p.client, "x", 1);	/* the connection works */
	kt_recv_exact(p.server, big, 1);
	call_start(&a, OP_SEND, "thread A's send()", p.client, big, BIG_SEND, MSG_NOSIGNAL);
	wait_blocked(&a);
	t0 = now_s();
	if (how == BY_PEER_CLOSE)
		call_start(&b, OP_CLOSE, "the peer's close()", p.server, NULL, 0, 0);
	else
		call_start(&b, OP_SHUTDOWN, names[how], p.client, NULL, 0,
			   how == BY_SHUT_RDWR ? SHUT_RDWR : SHUT_WR);
	call_must_finish(&b, 5);
	kt_note("%s %s returned %zd after %.1f ms", proto_name(proto), names[how], b.ret,
		ms(b.t1 - t0));
	ASSERT_EQ(b.ret, 0);
	if (b.t1 - t0 > 2)
		kt_fail("%s took %.1f ms (limit 2 s)", names[how], ms(b.t1 - t0));
	call_must_finish(&a, 5);
	kt_note("%s send() blocked behind it returned %zd (%s) %.1f ms after %s",
		proto_name(proto), a.ret, a.ret < 0 ? strerror(a.err) : "count", ms(a.t1 - t0),
		names[how]);
	if (a.t1 - t0 > 2)
		kt_fail("the blocked send() returned %.1f ms after %s (limit 2 s)",
			ms(a.t1 - t0), names[how]);
	if (a.ret < 0 && a.err != EPIPE && !(how == BY_PEER_CLOSE && a.err == ECONNRESET))
		kt_fail("the blocked send() failed with %s, want EPIPE%s", strerror(a.err),
			how == BY_PEER_CLOSE ? " or ECONNRESET" : "");
	if (a.ret >= BIG_SEND)
		kt_fail("the blocked send() reported all %d bytes sent", BIG_SEND);
	if (a.ret >= 0) {
		/* a short count: the next send must fail */
		call_start(&a, OP_SEND, "the next send()", p.client, big, 1000, MSG_NOSIGNAL);
		call_must_finish(&a, 5);
		n = a.ret;
		kt_note("the next send() returned %zd (%s)", n, n < 0 ? strerror(a.err) : "count");
		if (proto == KT_TCP && v && n >= 0) {
			/* as after SHUT_WR (send_after_shut_wr_is_epipe) */
			kt_note("stock kTLS took the next send after all: reference only, not asserted");
		} else if (n >= 0 || (a.err != EPIPE && !(how == BY_PEER_CLOSE && a.err == ECONNRESET)))
			kt_fail("the send() after the short count returned %zd (%s), want EPIPE%s",
				n, n < 0 ? strerror(a.err) : "success",
				how == BY_PEER_CLOSE ? " or ECONNRESET" : "");
	}
	/* the peer first: stock kTLS's close() may push pending records */
	if (how != BY_PEER_CLOSE)
		close(p.server);
	close(p.client);
	free(big);
}

static void by_shut_rdwr(int proto, const struct kt_variant *v)
{
	blocked_send_vs(proto, v, BY_SHUT_RDWR);
}

static void by_shut_wr(int proto, const struct kt_variant *v)
{
	blocked_send_vs(proto, v, BY_SHUT_WR);
}

static void by_peer_close(int proto, const struct kt_variant *v)
{
	blocked_send_vs(proto, v, BY_PEER_CLOSE);
}

BOTH(blocked_send_vs_shutdown_rdwr, 40)
{
	by_shut_rdwr(proto, v);
}

BOTH(blocked_send_vs_shutdown_wr, 40)
{
	by_shut_wr(proto, v);
}

BOTH(blocked_send_vs_peer_close, 60)
{
	if (proto == KT_MPTCP && !plain_mptcp_passes(by_peer_close, "blocked send vs the peer's close"))
		kt_skip("plain MPTCP does not wake a blocked sender on the peer's close either");
	by_peer_close(proto, v);
}

/* ---- 2: no task in state D while a reader or a sender waits ---- */

#define SCAN_S 3.0

enum { MAX_D = 64 };

struct d_seen {
	int n;
	struct { int tid, run, max; bool now; } t[MAX_D];
};

static void track_d_task(const struct dtask *d, void *arg)
{
	struct d_seen *s = arg;
	int i;

	for (i = 0; i < s->n && s->t[i].tid != d->tid; i++)
		;
	if (i == s->n) {
		if (s->n == MAX_D)
			return;
		s->n++;
		s->t[i].tid = d->tid;
		note_d_task(d, "seen");
	}
	s->t[i].now = true;
}

/*
 * Samples every task of the guest every 100 ms for @secs: fails when one is
 * in state D in 3 samples in a row (a passing 9p read or page fault is
 * shorter than that), after printing every D task seen.
 */
static void no_d_state_for(double secs)
{
	struct d_seen seen = { 0 };
	double end = now_s() + secs;
	int i, worst = 0;

	while (now_s() < end) {
		for (i = 0; i < seen.n; i++)
			seen.t[i].now = false;
		for_each_d_task(track_d_task, &seen);
		for (i = 0; i < seen.n; i++) {
			seen.t[i].run = seen.t[i].now ? seen.t[i].run + 1 : 0;
			if (seen.t[i].run > seen.t[i].max)
				seen.t[i].max = seen.t[i].run;
			if (seen.t[i].max > worst)
				worst = seen.t[i].max;
		}
		usleep(100000);
	}
	for (i = 0; i < seen.n; i++)
		kt_note("task %d: in state D in up to %d samples in a row", seen.t[i].tid,
			seen.t[i].max);
	if (worst >= 3)
		kt_fail("a task stayed in state D for %d samples (100 ms apart) in %.0f s",
			worst, secs);
}

BOTH(no_d_state_behind_blocked_recv, 40)
{
	char buf[64];
	struct call r;
	struct kt_pair p;

	open_pair(&p, proto, v);
	kt_send_all(p.client, "ping", 4);
	kt_recv_exact(p.server, buf, 4);
	call_start(&r, OP_RECV, "the blocked recv()", p.server, buf, sizeof(buf), 0);
	wait_blocked(&r);
	no_d_state_for(SCAN_S);
	kt_send_all(p.client, "pong", 4);
	call_must_finish(&r, 5);
	ASSERT_EQ(r.ret, 4);
	ASSERT_TRUE(!memcmp(buf, "pong", 4));
	kt_pair_close(&p);
}

BOTH(no_d_state_behind_blocked_send, 40)
{
	char *big = malloc(BIG_SEND), *got = malloc(BIG_SEND);
	struct call a;
	struct kt_pair p;

	ASSERT_TRUE(big && got);
	kt_stream_fill(31, 0, big, BIG_SEND);
	open_pair(&p, proto, v);
	/* a record each way first: the connection has been used (and armed
	 * whatever runs when it goes quiet) */
	kt_send_all(p.client, "ping", 4);
	kt_recv_exact(p.server, got, 4);
	kt_send_all(p.server, "pong", 4);
	kt_recv_exact(p.client, got, 4);
	call_start(&a, OP_SEND, "the blocked send()", p.client, big, BIG_SEND, MSG_NOSIGNAL);
	wait_blocked(&a);
	no_d_state_for(SCAN_S);
	/* the peer reads again: everything arrives, the send completes */
	set_timeo(p.server, SO_RCVTIMEO, 10);
	kt_recv_exact(p.server, got, BIG_SEND);
	ASSERT_EQ(kt_stream_check(31, 0, got, BIG_SEND), -1);
	call_must_finish(&a, 5);
	ASSERT_EQ(a.ret, BIG_SEND);
	kt_pair_close(&p);
	free(big);
	free(got);
}

/* ---- 3: MSG_DONTWAIT beside a blocked call; signals ---- */

BOTH(dontwait_recv_beside_blocked_recv, 30)
{
	char buf[64], buf2[64];
	struct call r, c;
	struct kt_pair p;

	open_pair(&p, proto, v);
	call_start(&r, OP_RECV, "the blocked recv()", p.server, buf, sizeof(buf), 0);
	wait_blocked(&r);
	call_start(&c, OP_RECV, "recv(MSG_DONTWAIT)", p.server, buf2, sizeof(buf2), MSG_DONTWAIT);
	if (!call_wait(&c, 3)) {
		kt_send_all(p.client, "data", 4);	/* let them go */
		kt_fail("recv(MSG_DONTWAIT) waited for the blocked reader");
	}
	kt_note("%s recv(MSG_DONTWAIT) beside a blocked recv(): %zd (%s) in %.2f ms",
		proto_name(proto), c.ret, c.ret < 0 ? strerror(c.err) : "count", ms(c.t1 - c.t0));
	ASSERT_EQ(c.ret, -1);
	ASSERT_EQ(c.err, EAGAIN);
	if (c.t1 - c.t0 > 0.5)
		kt_fail("recv(MSG_DONTWAIT) took %.1f ms", ms(c.t1 - c.t0));
	kt_send_all(p.client, "data", 4);
	call_must_finish(&r, 5);
	ASSERT_EQ(r.ret, 4);
	ASSERT_TRUE(!memcmp(buf, "data", 4));
	kt_pair_close(&p);
}

BOTH(dontwait_send_beside_blocked_send, 30)
{
	char *big = calloc(1, BIG_SEND);
	struct call a, c;
	struct kt_pair p;

	ASSERT_TRUE(big);
	open_pair(&p, proto, v);
	call_start(&a, OP_SEND, "the blocked send()", p.client, big, BIG_SEND, MSG_NOSIGNAL);
	wait_blocked(&a);
	call_start(&c, OP_SEND, "send(MSG_DONTWAIT)", p.client, "x", 1,
		   MSG_DONTWAIT | MSG_NOSIGNAL);
	if (!call_wait(&c, proto == KT_TCP ? 1.5 : 3)) {
		if (proto == KT_TCP) {
			/* net/tls takes tx_lock before it looks at MSG_DONTWAIT */
			kt_note("stock kTLS: send(MSG_DONTWAIT) waits behind the blocked send() "
				"(tls_sw_sendmsg takes tx_lock first); reference only, not asserted");
			close(p.server);	/* frees both */
			call_wait(&a, 5);
			call_wait(&c, 5);
			close(p.client);
			free(big);
			return;
		}
		close(p.server);
		kt_fail("send(MSG_DONTWAIT) waited for the blocked sender");
	}
	kt_note("%s send(MSG_DONTWAIT) beside a blocked send(): %zd (%s) in %.2f ms",
		proto_name(proto), c.ret, c.ret < 0 ? strerror(c.err) : "count", ms(c.t1 - c.t0));
	ASSERT_EQ(c.ret, -1);
	ASSERT_EQ(c.err, EAGAIN);
	if (c.t1 - c.t0 > 0.5)
		kt_fail("send(MSG_DONTWAIT) took %.1f ms", ms(c.t1 - c.t0));
	close(p.server);
	call_must_finish(&a, 5);
	close(p.client);
	free(big);
}

BOTH(signal_interrupts_blocked_recv, 30)
{
	char buf[64];
	struct call r;
	struct kt_pair p;
	double t0;

	install_sigusr1();
	open_pair(&p, proto, v);
	call_start(&r, OP_RECV, "the blocked recv()", p.server, buf, sizeof(buf), 0);
	wait_blocked(&r);
	t0 = now_s();
	ASSERT_EQ(pthread_kill(r.th, SIGUSR1), 0);
	call_must_finish(&r, 5);
	kt_note("%s recv() interrupted: %zd (%s) after %.2f ms", proto_name(proto), r.ret,
		r.ret < 0 ? strerror(r.err) : "count", ms(r.t1 - t0));
	ASSERT_EQ(r.ret, -1);
	ASSERT_EQ(r.err, EINTR);
	if (r.t1 - t0 > 2)
		kt_fail("the interrupted recv() returned after %.1f ms", ms(r.t1 - t0));
	/* the stream is intact after the interruption */
	set_timeo(p.server, SO_RCVTIMEO, 5);
	kt_send_all(p.client, "after", 5);
	kt_recv_exact(p.server, buf, 5);
	ASSERT_TRUE(!memcmp(buf, "after", 5));
	kt_pair_close(&p);
}

/* ---- 3 and 5: a blocked send interrupted by a signal ---- */

static void interrupted_send(int proto, const struct kt_variant *v, bool check_delivery)
{
	char *big = malloc(BIG_SEND), *got = malloc(BIG_SEND);
	struct pollfd pfd;
	struct call a;
	struct kt_pair p;
	size_t have = 0;
	double t0, t_read;
	ssize_t n;

	ASSERT_TRUE(big && got);
	install_sigusr1();
	kt_stream_fill(51, 0, big, BIG_SEND);
	open_pair(&p, proto, v);
	call_start(&a, OP_SEND, "the blocked send()", p.client, big, BIG_SEND, MSG_NOSIGNAL);
	wait_blocked(&a);
	t0 = now_s();
	ASSERT_EQ(pthread_kill(a.th, SIGUSR1), 0);
	call_must_finish(&a, 5);
	kt_note("%s send() interrupted: %zd (%s) after %.2f ms", proto_name(proto), a.ret,
		a.ret < 0 ? strerror(a.err) : "count", ms(a.t1 - t0));
	if (a.t1 - t0 > 2)
		kt_fail("the interrupted send() returned after %.1f ms", ms(a.t1 - t0));
	if (a.ret < 0 && a.err != EINTR)
		kt_fail("the interrupted send() failed with %s, want EINTR or a count",
			strerror(a.err));
	if (a.ret >= BIG_SEND)
		kt_fail("the interrupted send() reported all %d bytes", BIG_SEND);
	if (!check_delivery) {
		/*
		 * The peer goes first: stock kTLS's close() of a blocking socket
		 * pushes its sealed records with no time limit.
		 */
		close(p.server);
		close(p.client);
		free(big);
		free(got);
		return;
	}
	/* part of the data went out, so the answer is a count */
	ASSERT_TRUE(a.ret > 0);

	/* the peer reads again; the sender does nothing at all */
	t_read = now_s();
	set_nonblock(p.server, true);
	while (have < (size_t)a.ret) {
		pfd = (struct pollfd){ .fd = p.server, .events = POLLIN };
		if (poll(&pfd, 1, 200) < 0 && errno != EINTR)
			kt_fail("poll: %s", strerror(errno));
		n = recv(p.server, got + have, BIG_SEND - have, 0);
		if (n < 0 && errno == EAGAIN) {
			if (now_s() - t_read > 5)
				kt_fail("the peer has %zu of the %zd bytes send() reported after "
					"5 s (%zd never arrive without another call by the sender)",
					have, a.ret, a.ret - (ssize_t)have);
			continue;
		}
		if (n <= 0)
			kt_fail("the peer's recv after %zu bytes: %zd %s", have, n,
				n < 0 ? strerror(errno) : "EOF");
		have += n;
	}
	kt_note("the peer read all %zd bytes in %.1f ms", a.ret, ms(now_s() - t_read));
	if (have > (size_t)a.ret)
		kt_fail("the peer read %zu bytes, send() reported %zd", have, a.ret);
	if (kt_stream_check(51, 0, got, have) >= 0)
		kt_fail("byte %lld differs", (long long)kt_stream_check(51, 0, got, have));
	/* nothing beyond the count, then a clean EOF after shutdown */
	pfd = (struct pollfd){ .fd = p.server, .events = POLLIN };
	ASSERT_EQ(poll(&pfd, 1, 300), 0);
	call_start(&a, OP_SHUTDOWN, "shutdown(SHUT_WR)", p.client, NULL, 0, SHUT_WR);
	call_must_finish(&a, 5);
	ASSERT_EQ(a.ret, 0);
	set_nonblock(p.server, false);
	set_timeo(p.server, SO_RCVTIMEO, 5);
	n = recv(p.server, got, BIG_SEND, 0);
	if (n != 0)
		kt_fail("after shutdown the peer read %zd (%s), want EOF", n,
			n < 0 ? strerror(errno) : "bytes beyond send()'s count");
	kt_pair_close(&p);
	free(big);
	free(got);
}

BOTH(signal_interrupts_blocked_send, 30)
{
	interrupted_send(proto, v, false);
}

BOTH(interrupted_send_delivers_its_count, 30)
{
	interrupted_send(proto, v, true);
}

/* ---- 4: close and exit with a stalled peer ---- */

/*
 * Fills @fd's path until EAGAIN: unsent data stays, the peer reads nothing.
 * Each send is one record of an odd size, so that the transport ends up
 * taking the last record only in part and the kTLS layer holds the rest (a
 * record-sized chunk could stop on a record boundary, nothing held).
 */
static uint64_t stall(int fd)
{
	static char chunk[7001];
	uint64_t total = 0;
	ssize_t n;

	set_nonblock(fd, true);
	for (;;) {
		n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			/* once more after a pause: the peer's window is really shut */
			usleep(20000);
			n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL);
			if (n < 0 && errno == EAGAIN)
				break;
		}
		if (n <= 0)
			kt_fail("filling: %s", strerror(errno));
		total += n;
		if (total > (256u << 20))
			kt_fail("256 MiB went into a connection whose peer reads nothing");
	}
	set_nonblock(fd, false);
	return total;
}

BOTH(linger_zero_close_is_prompt, 30)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct kt_pair p;
	struct call c;
	uint64_t filled;

	open_pair(&p, proto, v);
	filled = stall(p.client);
	ASSERT_OK(setsockopt(p.client, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	call_start(&c, OP_CLOSE, "close() with SO_LINGER {1,0}", p.client, NULL, 0, 0);
	call_must_finish(&c, 15);
	kt_note("%s close() with SO_LINGER {1,0} and %llu bytes unread by the peer: %.1f ms",
		proto_name(proto), (unsigned long long)filled, ms(c.t1 - c.t0));
	ASSERT_EQ(c.ret, 0);
	if (c.t1 - c.t0 > 1)
		kt_fail("close() with SO_LINGER {1,0} took %.1f ms (limit 1 s)", ms(c.t1 - c.t0));
	close(p.server);
}

#define NSTALLED 20

BOTH(exit_with_stalled_sockets_is_prompt, 60)
{
	struct kt_pair p[NSTALLED];
	int go[2], status, i;
	double t0, end;
	pid_t pid;
	char c;

	for (i = 0; i < NSTALLED; i++) {
		open_pair(&p[i], proto, v);
		stall(p[i].client);
	}
	ASSERT_OK(pipe(go));
	pid = fork();
	ASSERT_OK(pid);
	if (!pid) {
		/* holds the last references to the clients; exits on the go */
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	for (i = 0; i < NSTALLED; i++)
		close(p[i].client);
	t0 = now_s();
	ASSERT_EQ(write(go[1], "x", 1), 1);
	end = t0 + 15;
	while (waitpid(pid, &status, WNOHANG) != pid) {
		if (now_s() > end) {
			print_d_tasks("exit");
			kt_fail("the process with %d stalled kTLS sockets still exiting after 15 s",
				NSTALLED);
		}
		usleep(5000);
	}
	kt_note("%s exit with %d stalled kTLS sockets (default linger): %.1f ms",
		proto_name(proto), NSTALLED, ms(now_s() - t0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (now_s() - t0 > 5)
		kt_fail("exit took %.1f ms (limit 5 s)", ms(now_s() - t0));
	for (i = 0; i < NSTALLED; i++)
		close(p[i].server);
}

/* ---- 6: after shutdown, after a reset ---- */

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

/*
 * Two sends after shutdown(SHUT_WR): with MSG_NOSIGNAL, then without.  Plain
 * TCP and MPTCP answer EPIPE both times, SIGPIPE for the second only, and the
 * peer gets the data from before, then EOF.  With @strict unset (stock kTLS,
 * which on 6.1 takes the first byte), only says what happened.
 */
static void shut_wr_sends(int proto, const struct kt_variant *v, bool strict)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };
	const char *what = v ? (proto == KT_MPTCP ? "mptls" : "stock kTLS") :
			       (proto == KT_MPTCP ? "plain MPTCP" : "plain TCP");
	int flags[2] = { MSG_NOSIGNAL, 0 }, err[2], pipes[2], i;
	char buf[64];
	struct kt_pair p;
	ssize_t n[2], eof;

	sigemptyset(&sa.sa_mask);
	ASSERT_OK(sigaction(SIGPIPE, &sa, NULL));
	sigpipes = 0;
	open_pair(&p, proto, v);
	set_timeo(p.server, SO_RCVTIMEO, 5);
	kt_send_all(p.client, "hello", 5);
	ASSERT_OK(shutdown(p.client, SHUT_WR));
	for (i = 0; i < 2; i++) {
		errno = 0;
		n[i] = send(p.client, i ? "y" : "x", 1, flags[i]);
		err[i] = n[i] < 0 ? errno : 0;
		pipes[i] = sigpipes;
		kt_note("%s: send(%s) after SHUT_WR: %zd (%s), %d SIGPIPE so far", what,
			i ? "0" : "MSG_NOSIGNAL", n[i], n[i] < 0 ? strerror(err[i]) : "count",
			pipes[i]);
	}
	kt_recv_exact(p.server, buf, 5);
	ASSERT_TRUE(!memcmp(buf, "hello", 5));
	errno = 0;
	eof = recv(p.server, buf, sizeof(buf), 0);
	kt_note("%s: the peer reads after the data: %zd (%s)", what, eof,
		eof < 0 ? strerror(errno) : eof ? "bytes sent after SHUT_WR" : "EOF");
	if (!strict)
		goto out;
	for (i = 0; i < 2; i++)
		if (n[i] != -1 || err[i] != EPIPE)
			kt_fail("send(%s) after SHUT_WR: %zd (%s), want EPIPE",
				i ? "0" : "MSG_NOSIGNAL", n[i], n[i] < 0 ? strerror(err[i]) : "count");
	if (pipes[0] != 0 || pipes[1] != 1)
		kt_fail("SIGPIPE: %d after send(MSG_NOSIGNAL), %d after send(0); want 0 then 1",
			pipes[0], pipes[1]);
	if (eof != 0)
		kt_fail("the peer read %zd after the data, want EOF", eof);
out:
	kt_pair_close(&p);
}

static void shut_wr_sends_strict(int proto, const struct kt_variant *v)
{
	shut_wr_sends(proto, v, true);
}

BOTH(send_after_shut_wr_is_epipe, 30)
{
	if (proto == KT_TCP) {
		shut_wr_sends(KT_TCP, NULL, true);	/* what TCP itself does */
		kt_note("stock kTLS, the reference, is only reported (it takes the bytes):");
		shut_wr_sends(KT_TCP, v, false);
		return;
	}
	if (!plain_mptcp_passes(shut_wr_sends_strict, "send after SHUT_WR"))
		kt_skip("plain MPTCP does not answer EPIPE after SHUT_WR either");
	shut_wr_sends(KT_MPTCP, v, true);
}

BOTH(shut_wr_peer_sees_clean_eof, 30)
{
	char buf[64];
	struct kt_pair p;
	ssize_t n;
	int i;

	open_pair(&p, proto, v);
	set_timeo(p.server, SO_RCVTIMEO, 5);
	set_timeo(p.client, SO_RCVTIMEO, 5);
	kt_send_all(p.client, "hello", 5);
	ASSERT_OK(shutdown(p.client, SHUT_WR));
	kt_recv_exact(p.server, buf, 5);
	ASSERT_TRUE(!memcmp(buf, "hello", 5));
	for (i = 0; i < 2; i++) {
		errno = 0;
		n = recv(p.server, buf, sizeof(buf), 0);
		if (n != 0)
			kt_fail("read %d after the data: %zd (%s), want EOF", i, n, strerror(errno));
	}
	/* the other direction is still open */
	kt_send_all(p.server, "back", 4);
	kt_recv_exact(p.client, buf, 4);
	ASSERT_TRUE(!memcmp(buf, "back", 4));
	kt_pair_close(&p);
}

static void after_reset(int proto, const struct kt_variant *v)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char buf[1000] = { 0 };
	struct pollfd pfd;
	struct kt_pair p;
	struct call c;
	int i;

	open_pair(&p, proto, v);
	kt_send_all(p.client, "hello", 5);
	kt_recv_exact(p.server, buf, 5);
	ASSERT_OK(setsockopt(p.server, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(p.server);
	/* the reset has arrived: the client sees it */
	pfd = (struct pollfd){ .fd = p.client, .events = POLLIN };
	ASSERT_EQ(poll(&pfd, 1, 3000), 1);
	kt_note("%s after the peer's reset: poll revents %#x", proto_name(proto), pfd.revents);
	usleep(50000);
	for (i = 0; i < 2; i++) {
		call_start(&c, OP_SEND, "send() after the reset", p.client, buf, sizeof(buf),
			   MSG_NOSIGNAL);
		call_must_finish(&c, 5);
		kt_note("%s send %d after the peer's reset: %zd (%s)", proto_name(proto), i, c.ret,
			c.ret < 0 ? strerror(c.err) : "success");
		if (c.ret >= 0 || (c.err != ECONNRESET && c.err != EPIPE))
			kt_fail("send %d after the peer's reset: %zd (%s), want ECONNRESET or EPIPE",
				i, c.ret, c.ret < 0 ? strerror(c.err) : "success");
	}
	close(p.client);
}

BOTH(send_after_peer_reset_fails, 40)
{
	if (proto == KT_MPTCP && !plain_mptcp_passes(after_reset, "send after the peer's reset"))
		kt_skip("plain MPTCP reports success after the peer's reset too");
	after_reset(proto, v);
}

/* ---- 7: poll without side effects ---- */

/* A victim with TLS_RX (key C2S) facing a sender without TLS. */
static void open_victim(int proto, const struct kt_variant *v, int *raw, int *victim)
{
	struct kt_pair p;

	kt_pair_open(&p, AF_INET, proto, proto);
	kt_set_ulp(p.server);
	kt_set_tls(p.server, TLS_RX, v, KT_KEY_C2S);
	*raw = p.client;
	*victim = p.server;
}

BOTH(poll_keeps_record_error, 30)
{
	unsigned char rec[5 + 100], buf[256];
	struct pollfd pfd;
	int raw, victim, i;
	ssize_t n;

	open_victim(proto, v, &raw, &victim);
	rec[0] = 23;		/* application_data */
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = 0;
	rec[4] = 100;
	memset(rec + 5, 0x5a, 100);	/* never authenticates */
	kt_send_all(raw, rec, sizeof(rec));
	for (i = 0; i < 2; i++) {
		pfd = (struct pollfd){ .fd = victim, .events = POLLIN };
		n = poll(&pfd, 1, 3000);
		kt_note("%s poll %d after a forged record: %zd, revents %#x", proto_name(proto), i,
			n, pfd.revents);
		if (n != 1 || !(pfd.revents & (POLLIN | POLLERR)))
			kt_fail("poll %d: %zd revents %#x, want POLLIN or POLLERR", i, n,
				pfd.revents);
	}
	set_timeo(victim, SO_RCVTIMEO, 3);
	errno = 0;
	n = recv(victim, buf, sizeof(buf), 0);
	kt_note("%s recv after the polls: %zd (%s)", proto_name(proto), n, strerror(errno));
	if (n != -1 || errno != EBADMSG)
		kt_fail("recv after two polls: %zd (%s), want EBADMSG (did poll take the error?)",
			n, n < 0 ? strerror(errno) : "data");
	close(raw);
	close(victim);
}

BOTH(epoll_quiet_beside_blocked_reader, 30)
{
	struct epoll_event ev = { .events = EPOLLIN }, out[4];
	char buf[64];
	struct kt_pair p;
	struct call r;
	int ep, n, wakeups = 0;
	double end;

	open_pair(&p, proto, v);
	kt_send_all(p.client, "ping", 4);
	kt_recv_exact(p.server, buf, 4);
	call_start(&r, OP_RECV, "the blocked recv()", p.server, buf, sizeof(buf), 0);
	wait_blocked(&r);
	ep = epoll_create1(0);
	ASSERT_OK(ep);
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p.server, &ev));	/* level-triggered */
	end = now_s() + 0.5;
	while (now_s() < end) {
		int left = (int)ms(end - now_s()) + 1;

		n = epoll_wait(ep, out, 4, left);
		if (n < 0 && errno == EINTR)
			continue;
		ASSERT_OK(n);
		if (n > 0)
			wakeups++;
		if (wakeups > 10000)
			break;
	}
	kt_note("%s level-triggered epoll beside a blocked recv(), no data: %d returns in 500 ms",
		proto_name(proto), wakeups);
	if (wakeups > 1)
		kt_fail("epoll_wait returned %d times in 500 ms with no data (want 0)", wakeups);
	kt_send_all(p.client, "pong", 4);
	call_must_finish(&r, 5);
	ASSERT_EQ(r.ret, 4);
	close(ep);
	kt_pair_close(&p);
}

/* ---- 8: a record of content type 0 ---- */

#define MAX_REC (5 + 16384 + 256)

/*
 * Seals one record of content type 0 with stock kTLS on TCP
 * (TLS_SET_RECORD_TYPE), captured raw by a peer without TLS.
 */
static size_t seal_type_zero(const struct kt_variant *v, unsigned char *rec)
{
	const char text[] = "record of type zero";
	struct kt_pair p;
	size_t len;

	kt_pair_open(&p, AF_INET, KT_TCP, KT_TCP);
	kt_set_ulp(p.client);
	kt_set_tls(p.client, TLS_TX, v, KT_KEY_C2S);
	kt_send_record_type(p.client, 0, text, sizeof(text) - 1);
	kt_recv_exact(p.server, rec, 5);
	len = 5 + (rec[3] << 8 | rec[4]);
	ASSERT_TRUE(len <= MAX_REC);
	kt_recv_exact(p.server, rec + 5, len - 5);
	kt_pair_close(&p);
	return len;
}

struct answer {
	ssize_t ret;
	int err;
	int type;	/* TLS_GET_RECORD_TYPE, -1 when none */
};

static struct answer feed(int proto, const struct kt_variant *v, const unsigned char *rec,
			  size_t len)
{
	char cbuf[CMSG_SPACE(1)] = { 0 };
	unsigned char buf[256];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct answer a = { .type = -1 };
	struct cmsghdr *cm;
	int raw, victim;

	open_victim(proto, v, &raw, &victim);
	set_timeo(victim, SO_RCVTIMEO, 3);
	kt_send_all(raw, rec, len);
	errno = 0;
	a.ret = recvmsg(victim, &msg, 0);
	a.err = a.ret < 0 ? errno : 0;
	for (cm = CMSG_FIRSTHDR(&msg); a.ret >= 0 && cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_TLS && cm->cmsg_type == TLS_GET_RECORD_TYPE)
			a.type = *CMSG_DATA(cm);
	kt_note("%s reads a record of type 0: %zd (%s), record type %d", proto_name(proto), a.ret,
		a.ret < 0 ? strerror(a.err) : "bytes", a.type);
	close(raw);
	close(victim);
	return a;
}

KT_TEST_V(record_type_zero, 30)
{
	static unsigned char rec[MAX_REC];
	size_t len = seal_type_zero(variant, rec);
	struct answer tcp, mptcp;

	kt_note("sealed by stock kTLS: header type %u, %zu bytes", rec[0], len);
	tcp = feed(KT_TCP, variant, rec, len);
	if (variant->version == TLS_1_2_VERSION && (tcp.ret != -1 || tcp.err != EBADMSG))
		kt_fail("stock kTLS on TCP gave %zd (%s), expected EBADMSG", tcp.ret,
			strerror(tcp.err));
	mptcp = feed(KT_MPTCP, variant, rec, len);
	if (mptcp.ret != tcp.ret || mptcp.err != tcp.err || mptcp.type != tcp.type)
		kt_fail("MPTCP gave %zd (%s, type %d), TCP gave %zd (%s, type %d)", mptcp.ret,
			strerror(mptcp.err), mptcp.type, tcp.ret, strerror(tcp.err), tcp.type);
}
