// SPDX-License-Identifier: MIT
/*
 * mptls_bench: the CPU-bound, latency, memory and scaling measurements of
 * `make bench`, one JSON line per run on stdout.
 *
 * One process holds both ends: it enters the server's network namespace to
 * listen and the client's to connect (setns per socket), so a socket pair
 * crosses a real veth (or the lab's shaped links) while timing and CPU
 * accounting stay in one place.  Keys are fixed test keys installed with
 * setsockopt(SOL_TLS) -- no handshake: these runs measure the record layer.
 * The data flows server -> client ("down"), as a download.
 *
 *   mptls_bench bulk   [opts]   one transfer: throughput, CPU time
 *   mptls_bench rr     [opts]   small request/response exchanges: p50/p99
 *   mptls_bench conns  [opts]   N connections: memory per idle socket, then
 *                               one transfer spread over all of them
 *
 * Contestants (--tls, or --tls-tx/--tls-rx separately): none, kernel (kTLS:
 * mptls.ko on MPTCP, tls.ko on TCP), user (records sealed with OpenSSL EVP in
 * this process: record.c).  --io sendfile sends from a memfd with sendfile(2)
 * (user: pread + seal + write, which is what userspace TLS must do).
 *
 * CPU time is the whole guest's busy time from /proc/stat (user + nice +
 * system + irq + softirq) over the timed phase: both ends, the network stack
 * and its softirqs, across all CPUs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/mptcp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include "record.h"

#include "mptls_uapi_compat.h"

#define PATTERN 251		/* byte at stream offset o is o % 251 */
#define KEY_C2S 1
#define KEY_S2C 2

enum tls_mode { T_NONE, T_KERNEL, T_USER };
static const char *const tls_names[] = { "none", "kernel", "user" };

static struct {
	const char *mode;
	int proto;
	enum tls_mode tx, rx;
	int version;
	const struct suite *suite;
	bool sendfile;
	uint64_t bytes;
	size_t wsize;
	bool more;
	int subflows;
	const char *cns, *sns;
	const char *addr;
	int port;
	int count;
	size_t req, resp;
	bool verify;
	int timeout;
} o = {
	.proto = IPPROTO_MPTCP, .version = TLS_1_3_VERSION, .bytes = 64 << 20,
	.wsize = 16384, .subflows = 1, .addr = "127.0.0.1", .count = 1000,
	.req = 64, .resp = 1024, .timeout = 300,
};

static void die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	fprintf(stderr, "mptls_bench: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (e)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- CPU and memory accounting ---- */

struct cpu { double user, sys, softirq, busy; };

static struct cpu cpu_read(void)
{
	unsigned long long v[8] = { 0 };
	double hz = (double)sysconf(_SC_CLK_TCK);
	struct cpu c;
	FILE *f = fopen("/proc/stat", "r");

	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		die("cannot read /proc/stat");
	fclose(f);
	c.user = (v[0] + v[1]) / hz;
	c.sys = (v[2] + v[5]) / hz;
	c.softirq = v[6] / hz;
	c.busy = c.user + c.sys + c.softirq;
	return c;
}

static struct cpu cpu_diff(struct cpu a, struct cpu b)
{
	return (struct cpu){ b.user - a.user, b.sys - a.sys, b.softirq - a.softirq,
			     b.busy - a.busy };
}

#define MAX_CACHES 512
struct mem {
	long free_kb, slab_kb, stack_kb, percpu_kb;
	int n;
	struct { char name[40]; long bytes; } cache[MAX_CACHES];
};

static void mem_read(struct mem *m)
{
	char line[512];
	FILE *f;

	memset(m, 0, sizeof(*m));
	/* let RCU-freed and deferred work settle before a snapshot */
	usleep(200000);
	f = fopen("/proc/meminfo", "r");
	if (!f)
		die("cannot read /proc/meminfo");
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "MemFree: %ld", &m->free_kb);
		sscanf(line, "Slab: %ld", &m->slab_kb);
		sscanf(line, "KernelStack: %ld", &m->stack_kb);
		sscanf(line, "Percpu: %ld", &m->percpu_kb);
	}
	fclose(f);
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && m->n < MAX_CACHES) {
		long active, num, size;
		char name[64];

		if (line[0] == '#' || sscanf(line, "%63s %ld %ld %ld", name, &active, &num, &size) != 4)
			continue;
		snprintf(m->cache[m->n].name, sizeof(m->cache[0].name), "%.39s", name);
		m->cache[m->n++].bytes = active * size;
	}
	fclose(f);
}

/* ---- JSON output ---- */

static bool json_first = true;

static void jkey(const char *k)
{
	printf("%s\"%s\":", json_first ? "{" : ",", k);
	json_first = false;
}
static void jstr(const char *k, const char *v) { jkey(k); printf("\"%s\"", v); }
static void jnum(const char *k, double v) { jkey(k); printf("%.6g", v); }
static void jend(void) { printf("}\n"); fflush(stdout); json_first = true; }

static void json_common(void)
{
	jstr("mode", o.mode);
	jstr("proto", o.proto == IPPROTO_MPTCP ? "mptcp" : "tcp");
	jstr("tls_tx", tls_names[o.tx]);
	jstr("tls_rx", tls_names[o.rx]);
	jstr("version", o.version == TLS_1_2_VERSION ? "1.2" : "1.3");
	jstr("cipher", o.suite->name);
	jstr("io", o.sendfile ? "sendfile" : "write");
	jnum("write_size", (double)o.wsize);
	jnum("more", o.more);
}

static void json_cpu(struct cpu c, uint64_t bytes, double secs)
{
	jnum("bytes", (double)bytes);
	jnum("seconds", secs);
	jnum("mbit_s", bytes * 8 / secs / 1e6);
	jnum("cpu_s", c.busy);
	jnum("cpu_user_s", c.user);
	jnum("cpu_sys_s", c.sys);
	jnum("cpu_softirq_s", c.softirq);
	jnum("cpu_s_per_gib", c.busy / (bytes / 1073741824.0));
}

/* ---- sockets ---- */

static void enter_ns(const char *name)
{
	char path[256];
	int fd;

	if (!name)
		return;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die("cannot enter network namespace %s", name);
	close(fd);
}

static struct sockaddr_in server_addr(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(o.port) };

	if (inet_pton(AF_INET, o.addr, &a.sin_addr) != 1)
		die("bad address %s", o.addr);
	return a;
}

static int listen_socket(void)
{
	struct sockaddr_in a = server_addr();
	socklen_t len = sizeof(a);
	int one = 1, fd;

	enter_ns(o.sns);
	fd = socket(AF_INET, SOCK_STREAM, o.proto);
	if (fd < 0)
		die("socket(%s)", o.proto == IPPROTO_MPTCP ? "IPPROTO_MPTCP" : "IPPROTO_TCP");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096))
		die("bind/listen on %s", o.addr);
	getsockname(fd, (struct sockaddr *)&a, &len);
	o.port = ntohs(a.sin_port);
	return fd;
}

static void set_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* One established pair; the client connects from the client namespace. */
static void pair_open(int lfd, int *client, int *server)
{
	struct sockaddr_in a = server_addr();

	enter_ns(o.cns);
	*client = socket(AF_INET, SOCK_STREAM, o.proto);
	if (*client < 0 || connect(*client, (struct sockaddr *)&a, sizeof(a)))
		die("connect to %s:%d", o.addr, o.port);
	*server = accept(lfd, NULL, NULL);
	if (*server < 0)
		die("accept");
	/*
	 * One plaintext byte each way: an MPTCP client is "fully established"
	 * (and its path manager opens more subflows) only once the server's
	 * data has reached it.  Both ends are in sync for the key install.
	 */
	char b = 0;
	if (write(*client, &b, 1) != 1 || read(*server, &b, 1) != 1 ||
	    write(*server, &b, 1) != 1 || read(*client, &b, 1) != 1)
		die("first exchange");
}

/* Additional MPTCP subflows on the client socket, +1: the subflows in use. */
static int subflows(int fd)
{
	struct mptcp_info info;
	socklen_t len = sizeof(info);

	if (o.proto != IPPROTO_MPTCP)
		return 1;
	memset(&info, 0, sizeof(info));
	if (getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &info, &len))
		return 1;
	return info.mptcpi_subflows + 1;
}

static int wait_subflows(int fd)
{
	double end = now() + 10;

	while (subflows(fd) < o.subflows && now() < end)
		usleep(10000);
	return subflows(fd);
}

/* ---- endpoints: plaintext I/O through one of the three record layers ---- */

struct ep {
	int fd;
	enum tls_mode tx, rx;
	struct urec utx, urx;
	uint8_t *seal;			/* user TX: one sealed record */
	uint8_t *stage;			/* user TX with --more: plaintext gathered */
	size_t staged;
};

static void kernel_key(int fd, int dir, int key_id)
{
	struct dir_keys k;
	union crypto_info ci;
	size_t len;

	keys_derive(key_id, &k);
	len = crypto_info_fill(o.suite, o.version, &k, &ci);
	if (setsockopt(fd, SOL_TLS, dir, &ci, len))
		die("setsockopt(SOL_TLS, %s)", dir == TLS_TX ? "TLS_TX" : "TLS_RX");
}

static void ep_init(struct ep *e, int fd, bool server)
{
	int tx_key = server ? KEY_S2C : KEY_C2S, rx_key = server ? KEY_C2S : KEY_S2C;

	memset(e, 0, sizeof(*e));
	e->fd = fd;
	e->tx = o.tx;
	e->rx = o.rx;
	if ((e->tx == T_KERNEL || e->rx == T_KERNEL) &&
	    setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")))
		die("setsockopt(TCP_ULP, \"tls\") (is %s loaded?)",
		    o.proto == IPPROTO_MPTCP ? "mptls.ko" : "tls.ko");
	if (e->tx == T_KERNEL)
		kernel_key(fd, TLS_TX, tx_key);
	if (e->rx == T_KERNEL)
		kernel_key(fd, TLS_RX, rx_key);
	if (e->tx == T_USER) {
		if (urec_init(&e->utx, o.suite, o.version, tx_key, true))
			die("OpenSSL cannot set up %s", o.suite->name);
		e->seal = malloc(REC_BUF);
		e->stage = malloc(REC_MAX_PLAIN);
	}
	if (e->rx == T_USER && urec_init(&e->urx, o.suite, o.version, rx_key, false))
		die("OpenSSL cannot set up %s", o.suite->name);
}

static void ep_free(struct ep *e)
{
	urec_free(&e->utx);
	urec_free(&e->urx);
	free(e->seal);
	free(e->stage);
	close(e->fd);
}

/* Writes all of @len (blocking) or what the socket takes (non-blocking). */
static ssize_t raw_send(int fd, const uint8_t *p, size_t len, int flags)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, p + done, len - done, flags | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return done ? (ssize_t)done : -1;
		done += (size_t)n;
		if (flags & MSG_DONTWAIT)
			break;
	}
	return (ssize_t)done;
}

static void user_seal_send(struct ep *e, const uint8_t *p, size_t len)
{
	size_t rec = urec_seal(&e->utx, p, len, e->seal);

	if (raw_send(e->fd, e->seal, rec, 0) != (ssize_t)rec)
		die("send");
}

/* Sends @len bytes; @more: more follows soon (MSG_MORE, or user staging). */
static void ep_write(struct ep *e, const uint8_t *p, size_t len, bool more)
{
	if (e->tx != T_USER) {
		if (raw_send(e->fd, p, len, more ? MSG_MORE : 0) != (ssize_t)len)
			die("send");
		return;
	}
	while (len || (!more && e->staged)) {
		size_t n;

		if (!more && !e->staged && len <= REC_MAX_PLAIN) {
			user_seal_send(e, p, len);
			return;
		}
		n = REC_MAX_PLAIN - e->staged;
		n = n < len ? n : len;
		memcpy(e->stage + e->staged, p, n);
		e->staged += n;
		p += n;
		len -= n;
		if (e->staged == REC_MAX_PLAIN || (!more && !len)) {
			user_seal_send(e, e->stage, e->staged);
			e->staged = 0;
		}
	}
}

static ssize_t ep_read(struct ep *e, void *buf, size_t cap)
{
	if (e->rx == T_USER)
		return urec_recv(&e->urx, e->fd, buf, cap);
	return read(e->fd, buf, cap);
}

static void ep_read_exact(struct ep *e, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = ep_read(e, buf + got, len - got);

		if (n <= 0)
			die(n ? "read" : "early EOF");
		got += (size_t)n;
	}
}

/* ---- the data ---- */

static uint8_t *pattern_buf(size_t len)
{
	uint8_t *p = malloc(len + PATTERN);

	if (!p)
		die("out of memory");
	for (size_t i = 0; i < len + PATTERN; i++)
		p[i] = (uint8_t)(i % PATTERN);
	return p;
}

/* A page-cache file for sendfile: PATTERN * 4 KiB (1 MB), so the pattern wraps. */
#define FILE_SIZE ((size_t)PATTERN << 12)
static int pattern_file(void)
{
	uint8_t *p = pattern_buf(1 << 12);
	int fd = memfd_create("mptls-bench", 0);

	if (fd < 0)
		die("memfd_create");
	for (size_t off = 0; off < FILE_SIZE; off += 1 << 12)
		if (pwrite(fd, p + off % PATTERN, 1 << 12, (off_t)off) != 1 << 12)
			die("pwrite");
	free(p);
	return fd;
}

/* ---- bulk: one transfer ---- */

struct receiver {
	struct ep *e;
	uint64_t bytes;
	double end;
	bool bad;
};

static void *receive_all(void *arg)
{
	struct receiver *r = arg;
	size_t cap = 1 << 16;
	uint8_t *buf = malloc(cap);
	uint64_t got = 0;

	while (got < r->bytes) {
		ssize_t n = ep_read(r->e, buf, cap);

		if (n <= 0)
			die(n ? "receive" : "early EOF after %llu bytes", (unsigned long long)got);
		if (o.verify)
			for (ssize_t i = 0; i < n; i++)
				if (buf[i] != (uint8_t)((got + i) % PATTERN))
					r->bad = true;
		got += (size_t)n;
	}
	r->end = now();
	free(buf);
	return NULL;
}

static void send_stream(struct ep *e, uint64_t bytes)
{
	if (!o.sendfile) {
		uint8_t *p = pattern_buf(o.wsize);
		uint64_t sent = 0;

		while (sent < bytes) {
			size_t n = bytes - sent < o.wsize ? bytes - sent : o.wsize;

			ep_write(e, p + sent % PATTERN, n, o.more && sent + n < bytes);
			sent += n;
		}
		free(p);
		return;
	}
	int ffd = pattern_file();
	uint64_t sent = 0;
	uint8_t *buf = malloc(REC_MAX_PLAIN);

	while (sent < bytes) {
		off_t off = (off_t)(sent % FILE_SIZE);
		size_t n = FILE_SIZE - off;

		if (n > bytes - sent)
			n = bytes - sent;
		if (e->tx == T_USER) {
			/* what userspace TLS does with a file: read, seal, write */
			n = n < REC_MAX_PLAIN ? n : REC_MAX_PLAIN;
			if (pread(ffd, buf, n, off) != (ssize_t)n)
				die("pread");
			ep_write(e, buf, n, false);
		} else {
			ssize_t s = sendfile(e->fd, ffd, &off, n);

			if (s <= 0)
				die("sendfile");
			n = (size_t)s;
		}
		sent += n;
	}
	free(buf);
	close(ffd);
}

static void run_bulk(void)
{
	int lfd = listen_socket(), cfd, sfd, sf;
	struct ep client, server;
	struct receiver r = { .e = &client, .bytes = o.bytes };
	pthread_t th;
	struct cpu c0;
	double t0;

	pair_open(lfd, &cfd, &sfd);
	sf = wait_subflows(cfd);
	ep_init(&client, cfd, false);
	ep_init(&server, sfd, true);
	c0 = cpu_read();
	t0 = now();
	pthread_create(&th, NULL, receive_all, &r);
	send_stream(&server, o.bytes);
	pthread_join(th, NULL);
	json_common();
	jnum("subflows", sf);
	json_cpu(cpu_diff(c0, cpu_read()), o.bytes, r.end - t0);
	if (o.verify)
		jstr("verify", r.bad ? "mismatch" : "ok");
	jend();
	ep_free(&client);
	ep_free(&server);
	close(lfd);
	if (r.bad)
		exit(3);
}

/* ---- rr: request/response latency ---- */

static void *rr_server(void *arg)
{
	struct ep *e = arg;
	uint8_t *req = malloc(o.req), *resp = pattern_buf(o.resp);

	for (;;) {
		size_t got = 0;

		while (got < o.req) {
			ssize_t n = ep_read(e, req + got, o.req - got);

			if (n <= 0)
				goto out;
			got += (size_t)n;
		}
		ep_write(e, resp, o.resp, false);
	}
out:
	free(req);
	free(resp);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void run_rr(void)
{
	int lfd = listen_socket(), cfd, sfd, sf, warm = o.count / 10 + 1;
	struct ep client, server;
	uint8_t *req = pattern_buf(o.req), *resp = malloc(o.resp);
	double *lat = calloc(o.count, sizeof(double)), sum = 0;
	pthread_t th;

	pair_open(lfd, &cfd, &sfd);
	sf = wait_subflows(cfd);
	set_nodelay(cfd);
	set_nodelay(sfd);
	ep_init(&client, cfd, false);
	ep_init(&server, sfd, true);
	pthread_create(&th, NULL, rr_server, &server);
	for (int i = -warm; i < o.count; i++) {
		double t = now();

		ep_write(&client, req, o.req, false);
		ep_read_exact(&client, resp, o.resp);
		if (i >= 0) {
			lat[i] = (now() - t) * 1e6;
			sum += lat[i];
		}
	}
	shutdown(cfd, SHUT_WR);
	pthread_join(th, NULL);
	qsort(lat, o.count, sizeof(double), cmp_double);
	json_common();
	jnum("subflows", sf);
	jnum("exchanges", o.count);
	jnum("req", (double)o.req);
	jnum("resp", (double)o.resp);
	jnum("p50_us", lat[o.count / 2]);
	jnum("p99_us", lat[(int)(o.count * 0.99)]);
	jnum("mean_us", sum / o.count);
	jend();
	ep_free(&client);
	ep_free(&server);
	close(lfd);
	free(req);
	free(resp);
	free(lat);
}

/* ---- conns: many connections, memory and spread transfer ---- */

struct spread {
	struct ep *eps;
	int n;
	uint64_t quota;
	bool sender;
	double end;
};

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Moves quota bytes on every endpoint with epoll (level-triggered). */
static void *spread_io(void *arg)
{
	struct spread *s = arg;
	uint64_t *done = calloc(s->n, sizeof(uint64_t));
	uint8_t *buf = s->sender ? pattern_buf(o.wsize) : malloc(1 << 16);
	struct epoll_event ev, evs[256];
	int ep = epoll_create1(0), left = s->n;

	for (int i = 0; i < s->n; i++) {
		ev.events = s->sender ? EPOLLOUT : EPOLLIN;
		ev.data.u32 = i;
		epoll_ctl(ep, EPOLL_CTL_ADD, s->eps[i].fd, &ev);
	}
	while (left) {
		int k = epoll_wait(ep, evs, 256, 10000);

		if (k <= 0) {
			for (int i = 0; i < s->n; i++) {
				struct pollfd pfd = { .fd = s->eps[i].fd, .events = POLLIN | POLLOUT };

				if (done[i] == s->quota)
					continue;
				poll(&pfd, 1, 0);
				fprintf(stderr, "mptls_bench: %s %d stalled at %llu of %llu bytes, poll revents 0x%x\n",
					s->sender ? "sender" : "receiver", i,
					(unsigned long long)done[i], (unsigned long long)s->quota,
					pfd.revents);
			}
			die("%s: transfer stalled with %d connections left",
			    s->sender ? "sender" : "receiver", left);
		}
		for (int j = 0; j < k; j++) {
			int i = evs[j].data.u32;
			struct ep *e = &s->eps[i];
			uint64_t want = s->quota - done[i];
			ssize_t n;

			if (s->sender) {
				n = raw_send(e->fd, buf, want < o.wsize ? want : o.wsize, MSG_DONTWAIT);
				if (n < 0 && errno != EAGAIN)
					die("send");
			} else {
				n = read(e->fd, buf, 1 << 16);
				if (n == 0 || (n < 0 && errno != EAGAIN))
					die("receive");
			}
			if (n > 0 && (done[i] += (uint64_t)n) == s->quota) {
				epoll_ctl(ep, EPOLL_CTL_DEL, e->fd, NULL);
				left--;
			}
		}
	}
	s->end = now();
	close(ep);
	free(done);
	free(buf);
	return NULL;
}

static void json_mem(const char *prefix, const struct mem *a, const struct mem *b, int sockets)
{
	char k[64];

#define MEMFIELD(name, expr) do { snprintf(k, sizeof(k), "%s_%s", prefix, name); \
		jnum(k, (double)(expr) * 1024 / sockets); } while (0)
	MEMFIELD("used_b", a->free_kb - b->free_kb);
	MEMFIELD("slab_b", b->slab_kb - a->slab_kb);
	MEMFIELD("stack_b", b->stack_kb - a->stack_kb);
	MEMFIELD("percpu_b", b->percpu_kb - a->percpu_kb);
#undef MEMFIELD
	/* the slab caches that grew most, bytes per socket */
	snprintf(k, sizeof(k), "%s_slab_top", prefix);
	jkey(k);
	printf("{");
	bool used[MAX_CACHES] = { false };
	for (int t = 0; t < 6; t++) {
		long best = 0;
		int bi = -1;

		for (int i = 0; i < b->n && i < a->n; i++) {
			long d = b->cache[i].bytes - a->cache[i].bytes;

			if (!used[i] && !strcmp(a->cache[i].name, b->cache[i].name) && d > best) {
				best = d;
				bi = i;
			}
		}
		if (bi < 0)
			break;
		used[bi] = true;
		printf("%s\"%s\":%.1f", t ? "," : "", b->cache[bi].name, (double)best / sockets);
	}
	printf("}");
}

static void run_conns(void)
{
	int n = o.count, lfd;
	struct ep *cl = calloc(n, sizeof(*cl)), *sv = calloc(n, sizeof(*sv));
	struct spread rs = { .eps = cl, .n = n, .quota = o.bytes / n, .sender = false };
	struct spread ss = { .eps = sv, .n = n, .quota = o.bytes / n, .sender = true };
	struct rlimit rl = { 4 * n + 64, 4 * n + 64 };
	struct mem m0, m1, m2;
	pthread_t th;
	struct cpu c0;
	double t0;
	uint8_t b;

	if (o.tx == T_USER || o.rx == T_USER)
		die("conns measures kernel record layers only (--tls none|kernel)");
	setrlimit(RLIMIT_NOFILE, &rl);
	lfd = listen_socket();
	mem_read(&m0);
	for (int i = 0; i < n; i++) {
		int c, s;

		pair_open(lfd, &c, &s);
		cl[i].fd = c;
		sv[i].fd = s;
	}
	mem_read(&m1);
	for (int i = 0; i < n; i++) {
		ep_init(&cl[i], cl[i].fd, false);
		ep_init(&sv[i], sv[i].fd, true);
		/* one record each way, then idle */
		ep_write(&cl[i], (const uint8_t *)"q", 1, false);
		ep_read_exact(&sv[i], &b, 1);
		ep_write(&sv[i], (const uint8_t *)"r", 1, false);
		ep_read_exact(&cl[i], &b, 1);
	}
	/* idle means quiet for a while: mptls gives its buffers back 200 ms
	 * after the last send or read (kernel/idle.c) */
	usleep(800000);
	mem_read(&m2);
	for (int i = 0; i < n; i++) {
		set_nonblock(cl[i].fd);
		set_nonblock(sv[i].fd);
	}
	c0 = cpu_read();
	t0 = now();
	pthread_create(&th, NULL, spread_io, &rs);
	spread_io(&ss);
	pthread_join(th, NULL);
	json_common();
	jnum("conns", n);
	jnum("subflows", subflows(cl[0].fd));
	json_cpu(cpu_diff(c0, cpu_read()), rs.quota * n, rs.end - t0);
	json_mem("conn", &m0, &m1, 2 * n);
	json_mem("tls", &m1, &m2, 2 * n);
	jend();
	for (int i = 0; i < n; i++) {
		ep_free(&cl[i]);
		ep_free(&sv[i]);
	}
	close(lfd);
	free(cl);
	free(sv);
}

/* ---- options ---- */

static uint64_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	switch (*end) {
	case 'k': case 'K': v *= 1024; break;
	case 'm': case 'M': v *= 1024 * 1024; break;
	case 'g': case 'G': v *= 1024.0 * 1024 * 1024; break;
	case 0: break;
	default: die("bad size '%s' (use N, Nk, NM or NG)", s);
	}
	return (uint64_t)v;
}

static enum tls_mode parse_tls(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, tls_names[i]))
			return (enum tls_mode)i;
	die("bad --tls '%s' (none, kernel or user)", s);
	return T_NONE;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: mptls_bench bulk|rr|conns [--proto mptcp|tcp] [--tls none|kernel|user]\n"
		"         [--tls-tx MODE] [--tls-rx MODE] [--version 1.2|1.3]\n"
		"         [--cipher aes128gcm|aes256gcm|chacha20] [--io write|sendfile]\n"
		"         [--bytes N] [--write-size N] [--more] [--subflows K]\n"
		"         [--client-ns NS --server-ns NS] [--addr IP] [--count N]\n"
		"         [--req N --resp N] [--verify] [--timeout S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "proto", 1, 0, 'p' }, { "tls", 1, 0, 't' }, { "tls-tx", 1, 0, 'T' },
		{ "tls-rx", 1, 0, 'R' }, { "version", 1, 0, 'V' }, { "cipher", 1, 0, 'c' },
		{ "io", 1, 0, 'i' }, { "bytes", 1, 0, 'b' }, { "write-size", 1, 0, 'w' },
		{ "more", 0, 0, 'm' }, { "subflows", 1, 0, 's' }, { "client-ns", 1, 0, 'C' },
		{ "server-ns", 1, 0, 'S' }, { "addr", 1, 0, 'a' }, { "count", 1, 0, 'n' },
		{ "req", 1, 0, 'q' }, { "resp", 1, 0, 'r' }, { "verify", 0, 0, 'v' },
		{ "timeout", 1, 0, 'o' }, { 0 }
	};
	int c;

	if (argc < 2)
		usage();
	o.mode = argv[1];
	o.suite = suite_find("aes128gcm");
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!strcmp(optarg, "tcp"))
				o.proto = IPPROTO_TCP;
			else if (strcmp(optarg, "mptcp"))
				die("bad --proto '%s' (mptcp or tcp)", optarg);
			break;
		case 't': o.tx = o.rx = parse_tls(optarg); break;
		case 'T': o.tx = parse_tls(optarg); break;
		case 'R': o.rx = parse_tls(optarg); break;
		case 'V':
			if (!strcmp(optarg, "1.2"))
				o.version = TLS_1_2_VERSION;
			else if (strcmp(optarg, "1.3"))
				die("bad --version '%s' (1.2 or 1.3)", optarg);
			break;
		case 'c':
			if (!(o.suite = suite_find(optarg)))
				die("bad --cipher '%s' (aes128gcm, aes256gcm or chacha20)", optarg);
			break;
		case 'i': o.sendfile = !strcmp(optarg, "sendfile"); break;
		case 'b': o.bytes = parse_size(optarg); break;
		case 'w': o.wsize = parse_size(optarg); break;
		case 'm': o.more = true; break;
		case 's': o.subflows = atoi(optarg); break;
		case 'C': o.cns = optarg; break;
		case 'S': o.sns = optarg; break;
		case 'a': o.addr = optarg; break;
		case 'n': o.count = atoi(optarg); break;
		case 'q': o.req = parse_size(optarg); break;
		case 'r': o.resp = parse_size(optarg); break;
		case 'v': o.verify = true; break;
		case 'o': o.timeout = atoi(optarg); break;
		default: usage();
		}
	}
	if (o.wsize < 1 || o.count < 1 || o.bytes < 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	alarm(o.timeout);	/* a stalled run ends, it never hangs the bench */
	if (!strcmp(o.mode, "bulk"))
		run_bulk();
	else if (!strcmp(o.mode, "rr"))
		run_rr();
	else if (!strcmp(o.mode, "conns"))
		run_conns();
	else
		usage();
	return 0;
}
