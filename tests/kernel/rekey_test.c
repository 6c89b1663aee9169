// SPDX-License-Identifier: MIT
/*
 * TLS 1.3 key update on MPTCP (kernel/sockopt.c rekey(), tx.c, rx.c): a
 * second TLS_TX/TLS_RX takes the next keys, as mainline kTLS does since
 * Linux 6.14, where 6.1's and 6.12's tls.ko answer EBUSY on TCP.  The
 * kernel's own selftest (tls.c rekey_*) runs in the conformance suite;
 * these cover what it does not: bulk data in both directions across many
 * updates, a KeyUpdate that is not alone in its record or whose header
 * spans two records, a record left open by MSG_MORE, a second thread
 * during an update, and the counters.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "ktls.h"

#define TYPE_HANDSHAKE	22
#define TYPE_APP_DATA	23

/* RFC 8446 §4.6.3: KeyUpdate, update_not_requested */
static const unsigned char key_update[] = { 24, 0, 0, 1, 0 };

/* One recvmsg; stores the record type of what it returned (-1: none). */
static ssize_t recv_typed(int fd, void *buf, size_t len, int flags, int *type)
{
	char cbuf[CMSG_SPACE(sizeof(unsigned char))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	*type = -1;
	n = recvmsg(fd, &msg, flags);
	for (cm = CMSG_FIRSTHDR(&msg); n >= 0 && cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_TLS && cm->cmsg_type == TLS_GET_RECORD_TYPE)
			*type = *CMSG_DATA(cm);
	return n;
}

static void expect_record(int fd, int want_type, const void *want, size_t len)
{
	unsigned char buf[64];
	int type;
	ssize_t n = recv_typed(fd, buf, sizeof(buf), 0, &type);

	if (n != (ssize_t)len || type != want_type || memcmp(buf, want, len))
		kt_fail("expected a %zu-byte record of type %d, got %zd bytes of type %d (%s)",
			len, want_type, n, type, n < 0 ? strerror(errno) : "");
}

/* A KeyUpdate was read: no record opens and poll says "not readable". */
static void expect_key_expired(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[16];

	ASSERT_EQ(poll(&pfd, 1, 50), 0);
	ASSERT_ERRNO(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), EKEYEXPIRED);
	ASSERT_ERRNO(recv(fd, buf, sizeof(buf), 0), EKEYEXPIRED);
}

/* Sends a KeyUpdate under the current key, then moves TX to @key_id. */
static void update_tx(int fd, const struct kt_variant *v, int key_id)
{
	kt_send_record_type(fd, TYPE_HANDSHAKE, key_update, sizeof(key_update));
	kt_set_tls(fd, TLS_TX, v, key_id);
}

static void for_each_tls13(void (*fn)(const struct kt_variant *v))
{
	size_t i;

	for (i = 0; i < kt_nvariants; i++)
		if (kt_variants[i].version == TLS_1_3_VERSION) {
			printf("#   %s\n", kt_variants[i].name);
			fn(&kt_variants[i]);
		}
}

/*
 * TLS 1.2 has no key update: EBUSY everywhere.  TLS 1.3: EBUSY from stock
 * tls.ko on TCP (no rekey before Linux 6.14), the next keys on MPTCP.
 */
static void set_twice(int proto, const struct kt_variant *v)
{
	bool update = proto == KT_MPTCP && v->version == TLS_1_3_VERSION;
	long refused = kt_mptls_stat("TlsRekeyRefused");
	long tx_ok = kt_mptls_stat("TlsTxRekeyOk"), rx_ok = kt_mptls_stat("TlsRxRekeyOk");
	union kt_crypto_info ci;
	size_t len = kt_crypto_info(v, 7, &ci);
	struct kt_pair p;
	char buf[3];

	kt_pair_open(&p, AF_INET, proto, proto);
	kt_tls_both(p.client, p.server, v);
	if (update) {
		ASSERT_OK(setsockopt(p.client, SOL_TLS, TLS_TX, &ci, len));
		ASSERT_OK(setsockopt(p.server, SOL_TLS, TLS_RX, &ci, len));
		ASSERT_EQ(kt_mptls_stat("TlsTxRekeyOk") - tx_ok, 1);
		ASSERT_EQ(kt_mptls_stat("TlsRxRekeyOk") - rx_ok, 1);
	} else {
		ASSERT_ERRNO(setsockopt(p.client, SOL_TLS, TLS_TX, &ci, len), EBUSY);
		ASSERT_ERRNO(setsockopt(p.client, SOL_TLS, TLS_RX, &ci, len), EBUSY);
		if (proto == KT_MPTCP && refused >= 0)
			ASSERT_EQ(kt_mptls_stat("TlsRekeyRefused") - refused, 2);
	}
	/* talking with the new keys, or still with the first ones */
	kt_send_all(p.client, "abc", 3);
	kt_recv_exact(p.server, buf, 3);
	ASSERT_TRUE(!memcmp(buf, "abc", 3));
	kt_pair_close(&p);
}

KT_TEST_V(second_tls_tx_rx_is_a_tls13_key_update, 30)
{
	set_twice(KT_TCP, variant);
	set_twice(KT_MPTCP, variant);
}

/*
 * Bulk data both ways at once, a KeyUpdate every SEGMENT bytes in each
 * direction: the reader finds the KeyUpdate after exactly SEGMENT bytes,
 * reads EKEYEXPIRED, installs the next key and goes on.  Every byte checked.
 */
#define SEGMENT		(512 << 10)
#define UPDATES		8

struct direction {
	int tx, rx;
	int key_base;		/* generation g >= 1 has key id key_base + g */
	uint64_t seed;
	const struct kt_variant *v;
};

static void *write_side(void *arg)
{
	const struct direction *d = arg;
	char *buf = malloc(SEGMENT);
	int gen;

	ASSERT_TRUE(buf);
	for (gen = 0; gen <= UPDATES; gen++) {
		kt_stream_fill(d->seed, (uint64_t)gen * SEGMENT, buf, SEGMENT);
		kt_send_all(d->tx, buf, SEGMENT);
		if (gen < UPDATES)
			update_tx(d->tx, d->v, d->key_base + gen + 1);
	}
	free(buf);
	return NULL;
}

static void *read_side(void *arg)
{
	const struct direction *d = arg;
	size_t bufsz = 64 << 10;
	char *buf = malloc(bufsz);
	uint64_t off = 0;
	int gen = 0, type;

	ASSERT_TRUE(buf);
	while (off < (uint64_t)(UPDATES + 1) * SEGMENT) {
		ssize_t n = recv_typed(d->rx, buf, bufsz, 0, &type);

		if (n <= 0)
			kt_fail("recv at %llu: %zd %s", (unsigned long long)off, n, strerror(errno));
		if (type == TYPE_APP_DATA) {
			if (kt_stream_check(d->seed, off, buf, n) >= 0)
				kt_fail("bytes %llu.. differ (key generation %d)",
					(unsigned long long)off, gen);
			off += n;
			continue;
		}
		if (type != TYPE_HANDSHAKE || n != sizeof(key_update) ||
		    memcmp(buf, key_update, n))
			kt_fail("unexpected record type %d, %zd bytes", type, n);
		if (off != (uint64_t)(gen + 1) * SEGMENT)
			kt_fail("KeyUpdate %d after %llu bytes", gen, (unsigned long long)off);
		ASSERT_ERRNO(recv(d->rx, buf, bufsz, MSG_DONTWAIT), EKEYEXPIRED);
		kt_set_tls(d->rx, TLS_RX, d->v, d->key_base + ++gen);
	}
	ASSERT_EQ(gen, UPDATES);
	free(buf);
	return NULL;
}

static void bulk_updates(const struct kt_variant *v)
{
	long received = kt_mptls_stat("TlsRxRekeyReceived");
	struct kt_pair p;
	struct direction up, down;
	pthread_t t[4];
	int i;

	kt_pair_open(&p, AF_INET, KT_MPTCP, KT_MPTCP);
	kt_tls_both(p.client, p.server, v);
	/* generation 0 is kt_tls_both's keys; later ones differ per direction */
	up = (struct direction){ p.client, p.server, 10, 51, v };
	down = (struct direction){ p.server, p.client, 20, 52, v };
	ASSERT_OK(pthread_create(&t[0], NULL, read_side, &up));
	ASSERT_OK(pthread_create(&t[1], NULL, read_side, &down));
	ASSERT_OK(pthread_create(&t[2], NULL, write_side, &up));
	ASSERT_OK(pthread_create(&t[3], NULL, write_side, &down));
	for (i = 0; i < 4; i++)
		ASSERT_OK(pthread_join(t[i], NULL));
	ASSERT_EQ(kt_mptls_stat("TlsRxRekeyReceived") - received, 2 * UPDATES);
	kt_pair_close(&p);
}

KT_TEST(key_update_every_512k_both_ways_byte_exact, 300)
{
	for_each_tls13(bulk_updates);
}

/*
 * Handshake messages may share a record and span records (RFC 8446 §5.1):
 * a KeyUpdate after a NewSessionTicket in one record, and one whose header
 * is cut over two records, both stop the opening of records; a record with
 * only a NewSessionTicket does not.
 */
static void key_update_placement(const struct kt_variant *v)
{
	static const unsigned char ticket[] = { 4, 0, 0, 2, 0xaa, 0xbb };
	static const unsigned char ticket_then_update[] = {
		4, 0, 0, 2, 0xaa, 0xbb, 24, 0, 0, 1, 1,
	};
	static const unsigned char update_head[] = { 24, 0 };
	static const unsigned char update_tail[] = { 0, 1, 0 };
	long received = kt_mptls_stat("TlsRxRekeyReceived");
	struct kt_pair p;

	kt_pair_open(&p, AF_INET, KT_MPTCP, KT_MPTCP);
	kt_tls_both(p.client, p.server, v);

	/* a ticket alone: the key stays */
	kt_send_record_type(p.client, TYPE_HANDSHAKE, ticket, sizeof(ticket));
	kt_send_all(p.client, "old", 3);
	expect_record(p.server, TYPE_HANDSHAKE, ticket, sizeof(ticket));
	expect_record(p.server, TYPE_APP_DATA, "old", 3);

	/* ticket and KeyUpdate in one record */
	kt_send_record_type(p.client, TYPE_HANDSHAKE, ticket_then_update,
			    sizeof(ticket_then_update));
	kt_set_tls(p.client, TLS_TX, v, 61);
	kt_send_all(p.client, "one", 3);
	expect_record(p.server, TYPE_HANDSHAKE, ticket_then_update, sizeof(ticket_then_update));
	expect_key_expired(p.server);
	kt_set_tls(p.server, TLS_RX, v, 61);
	expect_record(p.server, TYPE_APP_DATA, "one", 3);

	/* a KeyUpdate header over two records */
	kt_send_record_type(p.client, TYPE_HANDSHAKE, update_head, sizeof(update_head));
	kt_send_record_type(p.client, TYPE_HANDSHAKE, update_tail, sizeof(update_tail));
	kt_set_tls(p.client, TLS_TX, v, 62);
	kt_send_all(p.client, "two", 3);
	expect_record(p.server, TYPE_HANDSHAKE, update_head, sizeof(update_head));
	expect_record(p.server, TYPE_HANDSHAKE, update_tail, sizeof(update_tail));
	expect_key_expired(p.server);
	kt_set_tls(p.server, TLS_RX, v, 62);
	expect_record(p.server, TYPE_APP_DATA, "two", 3);

	ASSERT_EQ(kt_mptls_stat("TlsRxRekeyReceived") - received, 2);
	kt_pair_close(&p);
}

KT_TEST(key_update_found_wherever_it_sits_in_handshake_records, 60)
{
	for_each_tls13(key_update_placement);
}

/*
 * Bytes a sender left open with MSG_MORE were written before the update:
 * they go out sealed under the old key, the next ones under the new key.
 */
static void open_record_then_update(const struct kt_variant *v)
{
	struct kt_pair p;
	char buf[3];

	kt_pair_open(&p, AF_INET, KT_MPTCP, KT_MPTCP);
	kt_tls_both(p.client, p.server, v);
	ASSERT_EQ(send(p.client, "abc", 3, MSG_MORE), 3);
	kt_set_tls(p.client, TLS_TX, v, 71);
	kt_send_all(p.client, "def", 3);
	kt_recv_exact(p.server, buf, 3);
	ASSERT_TRUE(!memcmp(buf, "abc", 3));
	kt_set_tls(p.server, TLS_RX, v, 71);
	kt_recv_exact(p.server, buf, 3);
	ASSERT_TRUE(!memcmp(buf, "def", 3));
	kt_pair_close(&p);
}

KT_TEST(msg_more_bytes_are_sealed_under_the_old_key, 60)
{
	for_each_tls13(open_record_then_update);
}

/*
 * An update waits for a reader blocked in the same direction (it holds
 * the direction's lock while it sleeps in MPTCP), and waits interruptibly:
 * a signal ends the wait with EINTR and the reader is unharmed.
 */
static void on_alarm(int sig)
{
	(void)sig;
}

static void *blocked_reader(void *arg)
{
	int fd = *(int *)arg;
	char buf[3];
	sigset_t alarm_only;

	/* the alarm is for the updating thread */
	sigemptyset(&alarm_only);
	sigaddset(&alarm_only, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alarm_only, NULL);

	kt_recv_exact(fd, buf, 3);
	ASSERT_TRUE(!memcmp(buf, "xyz", 3));
	return NULL;
}

static void update_behind_reader(const struct kt_variant *v)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	union kt_crypto_info ci;
	size_t len = kt_crypto_info(v, 81, &ci);
	struct kt_pair p;
	pthread_t reader;

	kt_pair_open(&p, AF_INET, KT_MPTCP, KT_MPTCP);
	kt_tls_both(p.client, p.server, v);
	ASSERT_OK(sigaction(SIGALRM, &sa, NULL));
	ASSERT_OK(pthread_create(&reader, NULL, blocked_reader, &p.server));
	usleep(200 * 1000);	/* the reader is asleep in MPTCP */
	alarm(1);
	ASSERT_ERRNO(setsockopt(p.server, SOL_TLS, TLS_RX, &ci, len), EINTR);
	kt_send_all(p.client, "xyz", 3);
	ASSERT_OK(pthread_join(reader, NULL));
	kt_pair_close(&p);
}

KT_TEST(update_behind_a_blocked_reader_is_interruptible, 60)
{
	for_each_tls13(update_behind_reader);
}
