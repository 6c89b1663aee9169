// SPDX-License-Identifier: GPL-2.0
/*
 * Differential setsockopt/getsockopt fuzzer for the kTLS API.
 *
 * Every case builds a connection in some state (established, listening,
 * never connected, peer gone, MPTCP fallen back to TCP), then runs a random
 * sequence of TCP_ULP and SOL_TLS calls on it: good and bad crypto_info of
 * every cipher and version, wrong sizes, NULL pointers, unknown options,
 * repeated TLS_TX/TLS_RX.  The same sequence (same seed) runs on TCP with the
 * stock tls.ko and on MPTCP with mptls.ko, and each call's result (return
 * value, errno, bytes returned) must be the same: our answers are kTLS's.
 * One difference is by design: a second TLS_TX/TLS_RX on a TLS 1.3 direction
 * is a key update on MPTCP (mainline kTLS since 6.14), where these kernels'
 * tls.ko says EBUSY.  Such a call is checked against each side's own rule
 * (rekey_checked()) and compared by its verdict.
 * A second mode closes the socket from another thread while the calls run.
 *
 * Usage: sockopt_fuzz SEED CASES      prints TAP, one line per 100 cases
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/tls.h>

#include "mptls_uapi_compat.h"

enum state { ESTABLISHED, LISTENING, UNCONNECTED, PEER_CLOSED, FALLBACK, NR_STATES };
static const char *const state_names[] = {
	"established", "listening", "unconnected", "peer-closed", "fallback",
};

static uint64_t rng;
static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

struct conn { int fd, peer, listener; };

/* @client_proto is what the socket under test uses; the peer may differ. */
static int make_conn(enum state st, int client_proto, struct conn *c)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int server_proto = st == FALLBACK ? IPPROTO_TCP : client_proto;

	c->fd = c->peer = c->listener = -1;
	c->listener = socket(AF_INET, SOCK_STREAM, server_proto);
	if (c->listener < 0 || bind(c->listener, (void *)&a, sizeof(a)) ||
	    listen(c->listener, 4) || getsockname(c->listener, (void *)&a, &len))
		return -1;
	if (st == LISTENING) {
		c->fd = c->listener;
		c->listener = -1;
		return 0;
	}
	c->fd = socket(AF_INET, SOCK_STREAM, client_proto);
	if (c->fd < 0)
		return -1;
	if (st == UNCONNECTED)
		return 0;
	if (connect(c->fd, (void *)&a, sizeof(a)))
		return -1;
	c->peer = accept(c->listener, NULL, NULL);
	if (c->peer < 0)
		return -1;
	if (st == PEER_CLOSED) {
		char byte;

		close(c->peer);
		c->peer = -1;
		/* wait until the FIN (DATA_FIN) is in: the state is CLOSE_WAIT */
		if (recv(c->fd, &byte, 1, 0) != 0)
			return -1;
	}
	return 0;
}

static void close_conn(struct conn *c)
{
	if (c->fd >= 0) close(c->fd);
	if (c->peer >= 0) close(c->peer);
	if (c->listener >= 0) close(c->listener);
}

/* SM4 and ARIA too: TCP's answers for them (ENOENT without the algorithm) must match. */
static const uint16_t ciphers[] = {
	TLS_CIPHER_AES_GCM_128, TLS_CIPHER_AES_GCM_256, TLS_CIPHER_AES_CCM_128,
	TLS_CIPHER_CHACHA20_POLY1305, TLS_CIPHER_SM4_GCM, TLS_CIPHER_ARIA_GCM_256,
};
static const unsigned int cipher_sizes[] = {
	sizeof(struct tls12_crypto_info_aes_gcm_128),
	sizeof(struct tls12_crypto_info_aes_gcm_256),
	sizeof(struct tls12_crypto_info_aes_ccm_128),
	sizeof(struct tls12_crypto_info_chacha20_poly1305),
	sizeof(struct tls12_crypto_info_sm4_gcm),
	sizeof(struct tls12_crypto_info_aria_gcm_256),
};
#define NR_CIPHERS (sizeof(ciphers) / sizeof(ciphers[0]))

/*
 * What the socket under test has configured (TLS_TX, TLS_RX), from the
 * calls that succeeded: the same on both sides until a key update.
 */
static int cur_proto;
static struct { int version, cipher; } conf[2];

static unsigned int cipher_size(int cipher)
{
	unsigned int i;

	for (i = 0; i < NR_CIPHERS; i++)
		if (ciphers[i] == cipher)
			return cipher_sizes[i];
	return 0;
}

/*
 * A TLS_TX/TLS_RX with a crypto_info on a direction already set to TLS 1.3
 * is a key update: TCP's tls.ko (no rekey) says EBUSY; mptls takes the same
 * version and cipher at the right size and says EINVAL to anything else.
 * When the answer follows the socket's rule, writes the verdict as the
 * call's result and returns true; otherwise the plain comparison judges it.
 */
static bool rekey_checked(int op, int dir, const struct tls_crypto_info *info, unsigned int size,
			  int ret, int err, char *result, size_t rlen)
{
	bool valid = info->version == TLS_1_3_VERSION && info->cipher_type == conf[dir].cipher &&
		     size == cipher_size(info->cipher_type);
	bool as_its_kernel_does;

	if (conf[dir].version != TLS_1_3_VERSION || size < sizeof(*info))
		return false;
	if (cur_proto == IPPROTO_TCP)
		as_its_kernel_does = ret == -1 && err == EBUSY;
	else
		as_its_kernel_does = valid ? ret == 0 : ret == -1 && err == EINVAL;
	if (!as_its_kernel_does)
		return false;
	snprintf(result, rlen, "op%d rekey answered as its kernel does", op);
	return true;
}

/* One call, described by the random stream; returns a comparable result. */
static void one_call(int fd, char *result, size_t rlen)
{
	unsigned char buf[128];
	socklen_t optlen;
	int op = next_rand() % 8, ret, i;
	unsigned int c = next_rand() % NR_CIPHERS, size;
	struct tls_crypto_info *info = (void *)buf;

	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = next_rand();
	switch (op) {
	case 0:		/* TCP_ULP "tls", with or without its NUL, or with junk after */
		size = (unsigned int[]){ 4, 3, 8 }[next_rand() % 3];
		memcpy(buf, "tls\0tls", 8);
		ret = setsockopt(fd, SOL_TCP, TCP_ULP, buf, size);
		break;
	case 1: case 2: case 3:	/* TLS_TX / TLS_RX with a plausible crypto_info */
		info->version = next_rand() % 4 ? (next_rand() % 2 ? TLS_1_2_VERSION : TLS_1_3_VERSION)
						: next_rand();
		info->cipher_type = next_rand() % 5 ? ciphers[c] : next_rand() % 64;
		size = cipher_sizes[c];
		switch (next_rand() % 6) {
		case 0: size += 1; break;
		case 1: size -= 1; break;
		case 2: size = next_rand() % sizeof(buf); break;
		}
		{
			int dir = next_rand() % 2;
			bool given = next_rand() % 16;

			ret = setsockopt(fd, SOL_TLS, dir ? TLS_RX : TLS_TX, given ? buf : NULL, size);
			if (given && rekey_checked(op, dir, info, size, ret, errno, result, rlen))
				return;
			if (!ret && conf[dir].version != TLS_1_3_VERSION) {
				conf[dir].version = info->version;
				conf[dir].cipher = info->cipher_type;
			}
		}
		break;
	case 4:		/* other SOL_TLS options, sometimes unknown ones */
		{
			int name = next_rand() % 8;

			size = next_rand() % 8;
			ret = setsockopt(fd, SOL_TLS, name, buf, size);
			if ((name == TLS_TX || name == TLS_RX) &&
			    rekey_checked(op, name == TLS_RX, info, size, ret, errno, result, rlen))
				return;
		}
		break;
	case 5: case 6:	/* getsockopt SOL_TLS */
		optlen = next_rand() % 3 ? cipher_sizes[c] : next_rand() % sizeof(buf);
		ret = getsockopt(fd, SOL_TLS, next_rand() % 2 ? TLS_TX : TLS_RX, buf, &optlen);
		if (!ret) {
			/* compare what came back, not the key bytes of a random conf */
			snprintf(result, rlen, "get ok len=%u ver=%x cipher=%u", optlen,
				 info->version, info->cipher_type);
			return;
		}
		break;
	default:	/* getsockopt TCP_ULP */
		optlen = sizeof(buf);
		ret = getsockopt(fd, SOL_TCP, TCP_ULP, buf, &optlen);
		if (!ret) {
			/*
			 * Without TLS, MPTCP names its subflows' ULP where TCP says
			 * nothing: stock behaviour that mptls keeps on purpose.
			 */
			if (optlen >= 5 && !strncmp((char *)buf, "mptcp", optlen))
				optlen = 0;
			snprintf(result, rlen, "ulp ok '%.*s'", (int)optlen, buf);
			return;
		}
		break;
	}
	snprintf(result, rlen, "op%d ret=%d errno=%s", op, ret, ret ? strerrorname_np(errno) : "-");
}

/* Runs one case on @proto; writes one result line per call into @out. */
static int run_case(uint64_t seed, enum state st, int proto, char out[][96], int calls)
{
	struct conn c;
	int i;

	rng = seed;
	cur_proto = proto;
	memset(conf, 0, sizeof(conf));
	if (make_conn(st, proto, &c)) {
		close_conn(&c);
		return -1;
	}
	for (i = 0; i < calls; i++)
		one_call(c.fd, out[i], sizeof(out[i]));
	close_conn(&c);
	return 0;
}

struct racer { int fd; volatile int stop; uint64_t seed; };

static void *race_calls(void *arg)
{
	struct racer *r = arg;
	char scratch[96];

	rng = r->seed;
	while (!r->stop)
		one_call(r->fd, scratch, sizeof(scratch));
	return NULL;
}

/* The socket is closed under a thread that keeps calling setsockopt. */
static void run_close_race(uint64_t seed)
{
	struct racer r = { .seed = seed | 1 };
	struct conn c;
	pthread_t t;

	if (make_conn(ESTABLISHED, IPPROTO_MPTCP, &c))
		goto out;
	r.fd = c.fd;
	pthread_create(&t, NULL, race_calls, &r);
	usleep(next_rand() % 2000);
	close(c.fd);
	c.fd = -1;
	usleep(500);
	r.stop = 1;
	pthread_join(t, NULL);
out:
	close_conn(&c);
}

/* Not differential: for any other name TCP says ENOENT, MPTCP ENOPROTOOPT. */
static int other_ulp_keeps_stock_error(void)
{
	static const char *const names[] = { "mptcp", "bogus", "", "tl" };
	struct conn c;
	int ok = 1;
	unsigned int i;

	if (make_conn(ESTABLISHED, IPPROTO_MPTCP, &c))
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (setsockopt(c.fd, SOL_TCP, TCP_ULP, names[i], strlen(names[i])) != -1 ||
		    errno != ENOPROTOOPT) {
			printf("# TCP_ULP '%s': %m\n", names[i]);
			ok = 0;
		}
	close_conn(&c);
	return ok;
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
	int cases = argc > 2 ? atoi(argv[2]) : 1000, n = 0, bad = 0, failed = 0, i, k;
	static char tcp[8][96], mptcp[8][96];

	printf("1..%d\n", (cases + 99) / 100 + 2);
	for (i = 0; i < cases; i++) {
		uint64_t s = seed * 1000003 + i + 1;
		enum state st = i % NR_STATES;
		int calls = 1 + s % 8;

		if (st == FALLBACK) {
			/* TCP cannot fall back: compare with an established TCP pair */
			if (run_case(s, ESTABLISHED, IPPROTO_TCP, tcp, calls))
				goto setup_failed;
		} else if (run_case(s, st, IPPROTO_TCP, tcp, calls)) {
			goto setup_failed;
		}
		if (run_case(s, st, IPPROTO_MPTCP, mptcp, calls))
			goto setup_failed;
		for (k = 0; k < calls; k++)
			if (strcmp(tcp[k], mptcp[k])) {
				if (bad++ < 20)
					printf("# case %d (%s) call %d: tcp '%s' mptcp '%s'\n",
					       i, state_names[st], k, tcp[k], mptcp[k]);
				break;
			}
		if ((i + 1) % 100 == 0 || i + 1 == cases) {
			printf("%s %d - cases %d..%d agree with kTLS on TCP\n",
			       bad ? "not ok" : "ok", ++n, i / 100 * 100, i);
			failed += !!bad;
			bad = 0;
		}
		continue;
setup_failed:
		printf("not ok %d - case %d: could not build a %s connection: %m\n",
		       ++n, i, state_names[st]);
		return 1;
	}
	for (i = 0; i < cases / 10; i++)
		run_close_race(seed + i);
	printf("ok %d - %d closes raced against setsockopt\n", ++n, cases / 10);
	k = other_ulp_keeps_stock_error();
	printf("%s %d - other ULP names keep MPTCP's own error (ENOPROTOOPT)\n",
	       k ? "ok" : "not ok", ++n);
	return failed || !k;
}
