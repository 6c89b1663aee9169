// SPDX-License-Identifier: MIT
/* Helpers shared by the kernel tests; see ktls.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "ktls.h"

/* Every uapi struct is info, iv, key, salt, rec_seq: fill each from key_id. */
#define FILL_INFO(s, v, key_id)							\
	do {									\
		size_t i_;							\
		for (i_ = 0; i_ < sizeof((s)->key); i_++)			\
			(s)->key[i_] = (unsigned char)(key_id * 31 + i_);	\
		for (i_ = 0; i_ < sizeof((s)->salt); i_++)			\
			(s)->salt[i_] = (unsigned char)(key_id * 7 + 0x40 + i_); \
		for (i_ = 0; i_ < sizeof((s)->iv); i_++)			\
			(s)->iv[i_] = (unsigned char)(key_id * 13 + 0x80 + i_);	\
		/* a non-zero start: a wrong sequence handling shows */		\
		(s)->rec_seq[7] = (unsigned char)key_id;			\
	} while (0)

size_t kt_crypto_info(const struct kt_variant *v, int key_id, union kt_crypto_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->info.version = v->version;
	ci->info.cipher_type = v->cipher;
	switch (v->cipher) {
	case TLS_CIPHER_AES_GCM_128:
		FILL_INFO(&ci->aes_gcm_128, v, key_id);
		return sizeof(ci->aes_gcm_128);
	case TLS_CIPHER_AES_GCM_256:
		FILL_INFO(&ci->aes_gcm_256, v, key_id);
		return sizeof(ci->aes_gcm_256);
	case TLS_CIPHER_AES_CCM_128:
		FILL_INFO(&ci->aes_ccm_128, v, key_id);
		return sizeof(ci->aes_ccm_128);
	case TLS_CIPHER_CHACHA20_POLY1305:
		FILL_INFO(&ci->chacha20_poly1305, v, key_id);
		return sizeof(ci->chacha20_poly1305);
	}
	kt_fail("unknown cipher %u", v->cipher);
}

void kt_set_ulp(int fd)
{
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")))
		kt_fail("TCP_ULP tls: %s", strerror(errno));
}

void kt_set_tls(int fd, int dir, const struct kt_variant *v, int key_id)
{
	union kt_crypto_info ci;
	size_t len = kt_crypto_info(v, key_id, &ci);

	if (setsockopt(fd, SOL_TLS, dir, &ci, len))
		kt_fail("SOL_TLS %s %s: %s", dir == TLS_TX ? "TLS_TX" : "TLS_RX",
			v->name, strerror(errno));
}

void kt_tls_both(int client, int server, const struct kt_variant *v)
{
	kt_set_ulp(client);
	kt_set_ulp(server);
	kt_set_tls(client, TLS_TX, v, KT_KEY_C2S);
	kt_set_tls(server, TLS_RX, v, KT_KEY_C2S);
	kt_set_tls(server, TLS_TX, v, KT_KEY_S2C);
	kt_set_tls(client, TLS_RX, v, KT_KEY_S2C);
}

static socklen_t fill_addr(int family, const char *addr, uint16_t port,
			   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr ? addr : "::1", &a->sin6_addr) != 1)
			kt_fail("bad IPv6 address %s", addr);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	if (inet_pton(AF_INET, addr ? addr : "127.0.0.1", &a->sin_addr) != 1)
		kt_fail("bad IPv4 address %s", addr);
	return sizeof(*a);
}

int kt_listen(int family, int proto, const char *addr, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = fill_addr(family, addr, *port, &ss);
	int fd, one = 1;

	fd = socket(family, SOCK_STREAM, proto);
	if (fd < 0)
		kt_fail("socket(%d, %s): %s", family,
			proto == IPPROTO_MPTCP ? "MPTCP" : "TCP", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16))
		kt_fail("bind/listen: %s", strerror(errno));
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		kt_fail("getsockname: %s", strerror(errno));
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					 : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

int kt_connect(int family, int proto, const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = fill_addr(family, addr, port, &ss);
	int fd;

	fd = socket(family, SOCK_STREAM, proto);
	if (fd < 0)
		kt_fail("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&ss, len))
		kt_fail("connect: %s", strerror(errno));
	return fd;
}

void kt_pair_open(struct kt_pair *p, int family, int client_proto, int server_proto)
{
	uint16_t port = 0;
	int lfd = kt_listen(family, server_proto, NULL, &port);

	p->client = kt_connect(family, client_proto, NULL, port);
	p->server = accept(lfd, NULL, NULL);
	if (p->server < 0)
		kt_fail("accept: %s", strerror(errno));
	close(lfd);
}

void kt_pair_close(struct kt_pair *p)
{
	close(p->client);
	close(p->server);
}

int kt_sock_protocol(int fd)
{
	int proto = -1;
	socklen_t len = sizeof(proto);

	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len))
		kt_fail("SO_PROTOCOL: %s", strerror(errno));
	return proto;
}

/* splitmix64's finaliser: a good 64-bit mix of the word index. */
static inline uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t stream_word(uint64_t seed, uint64_t index)
{
	return mix64(seed * 0xd1b54a32d192ed03ULL + index);
}

void kt_stream_fill(uint64_t seed, uint64_t off, void *buf, size_t len)
{
	unsigned char *p = buf;

	/* head and tail byte by byte, the aligned middle a word at a time */
	while (len && (off & 7)) {
		*p++ = (unsigned char)(stream_word(seed, off >> 3) >> (8 * (off & 7)));
		off++;
		len--;
	}
	while (len >= 8) {
		uint64_t w = stream_word(seed, off >> 3);

		memcpy(p, &w, 8);	/* little-endian: byte k is bits 8k.. */
		p += 8;
		off += 8;
		len -= 8;
	}
	while (len) {
		*p++ = (unsigned char)(stream_word(seed, off >> 3) >> (8 * (off & 7)));
		off++;
		len--;
	}
}

int64_t kt_stream_check(uint64_t seed, uint64_t off, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	unsigned char expect[4096];
	size_t done = 0, i;

	while (done < len) {
		size_t n = len - done < sizeof(expect) ? len - done : sizeof(expect);

		kt_stream_fill(seed, off + done, expect, n);
		if (memcmp(expect, p + done, n))
			for (i = 0; i < n; i++)
				if (expect[i] != p[done + i])
					return (int64_t)(off + done + i);
		done += n;
	}
	return -1;
}

uint64_t kt_rand(uint64_t *state)
{
	*state += 1;
	return mix64(*state * 0x9e3779b97f4a7c15ULL);
}

void kt_send_record_type(int fd, unsigned char type, const void *buf, size_t len)
{
	char cbuf[CMSG_SPACE(1)] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(cm) = type;
	ASSERT_EQ(sendmsg(fd, &msg, 0), (ssize_t)len);
}

void kt_send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			kt_fail("send: %zd %s", n, strerror(errno));
		p += n;
		len -= n;
	}
}

void kt_recv_exact(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			kt_fail("recv: %zd %s (%zu bytes missing)", n, strerror(errno), len);
		p += n;
		len -= n;
	}
}

struct xfer {
	int fd;
	uint64_t size, seed;
	const char *what;
};

/* Writes the stream in sizes from 1 byte to 3 records, mostly large. */
static void *xfer_send(void *arg)
{
	struct xfer *x = arg;
	size_t bufsz = 3 * 16384 + 1000;
	char *buf = malloc(bufsz);
	uint64_t off = 0, rnd = x->seed;

	if (!buf)
		kt_fail("malloc");
	while (off < x->size) {
		uint64_t r = kt_rand(&rnd);
		size_t n = (r & 7) == 0 ? 1 + (r >> 8) % 100 : 1 + (r >> 8) % bufsz;

		if (n > x->size - off)
			n = x->size - off;
		kt_stream_fill(x->seed, off, buf, n);
		kt_send_all(x->fd, buf, n);
		off += n;
	}
	if (shutdown(x->fd, SHUT_WR))
		kt_fail("%s: shutdown: %s", x->what, strerror(errno));
	free(buf);
	return NULL;
}

static void *xfer_recv(void *arg)
{
	struct xfer *x = arg;
	size_t bufsz = 64 * 1024;
	char *buf = malloc(bufsz);
	uint64_t off = 0, rnd = x->seed ^ 0x5555;
	int64_t bad;

	if (!buf)
		kt_fail("malloc");
	for (;;) {
		size_t want = 1 + kt_rand(&rnd) % bufsz;
		ssize_t n = recv(x->fd, buf, want, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			kt_fail("%s: recv at %llu: %s", x->what,
				(unsigned long long)off, strerror(errno));
		if (n == 0)
			break;
		if (off + n > x->size)
			kt_fail("%s: %llu bytes more than sent", x->what,
				(unsigned long long)(off + n - x->size));
		bad = kt_stream_check(x->seed, off, buf, n);
		if (bad >= 0)
			kt_fail("%s: byte %lld differs", x->what, (long long)bad);
		off += n;
	}
	if (off != x->size)
		kt_fail("%s: EOF after %llu of %llu bytes", x->what,
			(unsigned long long)off, (unsigned long long)x->size);
	free(buf);
	return NULL;
}

void kt_send_stream(int fd, uint64_t size, uint64_t seed)
{
	struct xfer x = { fd, size, seed, "send" };

	xfer_send(&x);
}

void kt_recv_stream(int fd, uint64_t size, uint64_t seed)
{
	struct xfer x = { fd, size, seed, "receive" };

	xfer_recv(&x);
}

void kt_transfer(int tx, int rx, uint64_t size, uint64_t seed, bool duplex)
{
	struct xfer fwd_tx = { tx, size, seed, "forward" }, fwd_rx = { rx, size, seed, "forward" };
	struct xfer rev_tx = { rx, size, seed + 1, "reverse" }, rev_rx = { tx, size, seed + 1, "reverse" };
	pthread_t t[3];

	/* Failures call kt_fail, which ends the whole test process. */
	pthread_create(&t[0], NULL, xfer_send, &fwd_tx);
	if (duplex) {
		pthread_create(&t[1], NULL, xfer_send, &rev_tx);
		pthread_create(&t[2], NULL, xfer_recv, &rev_rx);
	}
	xfer_recv(&fwd_rx);
	pthread_join(t[0], NULL);
	if (duplex) {
		pthread_join(t[1], NULL);
		pthread_join(t[2], NULL);
	}
}

long kt_stat(const char *file, const char *name)
{
	FILE *f = fopen(file, "r");
	char key[64];
	long val;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &val) == 2) {
		if (!strcmp(key, name)) {
			fclose(f);
			return val;
		}
	}
	fclose(f);
	return -1;
}

uint64_t kt_env_size(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	char *end;
	uint64_t v;

	if (!s || !*s)
		return def;
	v = strtoull(s, &end, 0);
	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10;
	}
	return v;
}
