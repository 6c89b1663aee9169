// SPDX-License-Identifier: MIT
/*
 * A receiver with TLS_RX facing crafted bytes: a peer without TLS writes
 * records on the raw stream.  Genuine records come from a TX socket whose
 * peer has no RX configured (it reads the ciphertext as is); the test then
 * breaks one and forwards it.  Expected, as stock kTLS on TCP (checked first,
 * as the reference):
 *   bit flip in a record           EBADMSG, no plaintext
 *   length above 2^14 + overhead   EMSGSIZE
 *   tag cut short (length fixed)   EBADMSG
 *   wrong version bytes            EINVAL
 *   zero-length record             EBADMSG
 * and afterwards the stream is dead: reads fail, never return plaintext, even
 * when a genuine record follows.  On MPTCP, /proc/net/mptls_stat counts it.
 * Genuine records that arrive split, a record together with the first bytes
 * of the next one's header, the rest later: poll says readable only once the
 * whole next record is in, and both read back intact.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "ktls.h"

#define MAX_REC (5 + 16384 + 256)

struct records {
	unsigned char buf[4][MAX_REC];
	size_t len[4];
};

/* Seals @n records of plaintext from stream 1 (300 bytes each) with key C2S. */
static void make_records(int proto, const struct kt_variant *v, struct records *r, int n)
{
	unsigned char plain[300];
	struct kt_pair p;
	int i;

	kt_pair_open(&p, AF_INET, proto, proto);
	kt_set_ulp(p.client);
	kt_set_tls(p.client, TLS_TX, v, KT_KEY_C2S);
	for (i = 0; i < n; i++) {
		kt_stream_fill(1, i * sizeof(plain), plain, sizeof(plain));
		kt_send_all(p.client, plain, sizeof(plain));
		/* the server has no TLS: it reads the record as it travels */
		kt_recv_exact(p.server, r->buf[i], 5);
		r->len[i] = 5 + (r->buf[i][3] << 8 | r->buf[i][4]);
		ASSERT_TRUE(r->len[i] <= MAX_REC);
		kt_recv_exact(p.server, r->buf[i] + 5, r->len[i] - 5);
	}
	kt_pair_close(&p);
}

/* A victim with TLS_RX (key C2S) and an attacker without TLS in front of it. */
static void open_victim(int proto, const struct kt_variant *v, int *attacker, int *victim)
{
	struct kt_pair p;

	kt_pair_open(&p, AF_INET, proto, proto);
	kt_set_ulp(p.server);
	kt_set_tls(p.server, TLS_RX, v, KT_KEY_C2S);
	*attacker = p.client;
	*victim = p.server;
}

/*
 * Reads once and wants -1 with @err.  On MPTCP also wants no plaintext in
 * the buffer: each byte untouched, or wiped to 0 (mptls opens a record that
 * fits straight into the reader's pages and wipes them when it does not
 * authenticate; stock kTLS may leave what it decrypted, so not on TCP).
 */
static void expect_read_error(int proto, int fd, int err)
{
	unsigned char buf[20000];
	ssize_t n;
	size_t i;

	memset(buf, 0xaa, sizeof(buf));
	errno = 0;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n != -1 || errno != err)
		kt_fail("recv gave %zd errno %d (%s), want -1 errno %d (%s)",
			n, errno, strerror(errno), err, strerror(err));
	if (proto == KT_MPTCP)
		for (i = 0; i < sizeof(buf); i++)
			if (buf[i] != 0xaa && buf[i] != 0)
				kt_fail("recv failed but left byte %zu of the buffer as 0x%02x",
					i, buf[i]);
}

/* The stream stays dead, a genuine record sent afterwards included. */
static void expect_dead(int attacker, int victim, const struct records *good)
{
	unsigned char buf[20000];
	ssize_t n;
	int i;

	kt_send_all(attacker, good->buf[0], good->len[0]);
	usleep(100000);	/* let it arrive: the read below must not miss it */
	for (i = 0; i < 3; i++) {
		n = recv(victim, buf, sizeof(buf), MSG_DONTWAIT);
		if (n >= 0)
			kt_fail("read %d after the error returned %zd, want an error", i, n);
	}
}

static long stat_now(int proto, const char *name)
{
	return proto == KT_MPTCP ? kt_mptls_stat(name) : 0;
}

static void expect_stat_grew(int proto, const char *name, long before)
{
	if (proto == KT_MPTCP)
		ASSERT_GE(kt_mptls_stat(name) - before, 1);
}

typedef void (*breaker)(struct records *r, const struct kt_variant *v, size_t *len);

/*
 * Sends record 0 intact, then record 1 broken by @brk, and expects the
 * plaintext of record 0, then @err, then a dead stream.
 */
static void attack(int proto, const struct kt_variant *v, breaker brk, int err,
		   const char *counter)
{
	struct records *good = malloc(sizeof(*good)), *bad = malloc(sizeof(*bad));
	unsigned char plain[300], got[300];
	int attacker, victim;
	long before = stat_now(proto, counter);
	size_t len;

	ASSERT_TRUE(good && bad);
	make_records(proto, v, good, 2);
	*bad = *good;
	len = bad->len[1];
	brk(bad, v, &len);
	open_victim(proto, v, &attacker, &victim);
	kt_send_all(attacker, bad->buf[0], bad->len[0]);
	kt_send_all(attacker, bad->buf[1], len);

	kt_stream_fill(1, 0, plain, sizeof(plain));
	kt_recv_exact(victim, got, sizeof(got));
	ASSERT_TRUE(!memcmp(plain, got, sizeof(got)));
	expect_read_error(proto, victim, err);
	expect_dead(attacker, victim, good);
	expect_stat_grew(proto, counter, before);
	close(attacker);
	close(victim);
	free(good);
	free(bad);
}

static void flip_bit(struct records *r, const struct kt_variant *v, size_t *len)
{
	r->buf[1][*len / 2] ^= 0x10;
}

static void cut_tag(struct records *r, const struct kt_variant *v, size_t *len)
{
	size_t data_len = *len - 5 - 1;

	*len -= 1;
	r->buf[1][3] = data_len >> 8;
	r->buf[1][4] = data_len & 0xff;
}

static void bad_version(struct records *r, const struct kt_variant *v, size_t *len)
{
	r->buf[1][1] = 3;
	r->buf[1][2] = 1;	/* TLS 1.0 */
}

static void zero_length(struct records *r, const struct kt_variant *v, size_t *len)
{
	r->buf[1][3] = 0;
	r->buf[1][4] = 0;
	/*
	 * Stock kTLS reads the TLS 1.2 explicit nonce with the header before it
	 * judges the length: send what a next record would bring anyway.
	 */
	*len = 5 + 16;
}

/* One byte longer than the longest legal record of this variant. */
static void too_long(struct records *r, const struct kt_variant *v, size_t *len)
{
	size_t overhead = 16 + (v->version == TLS_1_3_VERSION ? 1 : 0) +
			  (v->version == TLS_1_2_VERSION &&
			   v->cipher != TLS_CIPHER_CHACHA20_POLY1305 ? 8 : 0);
	size_t data_len = 16384 + overhead + 1;

	r->buf[1][3] = data_len >> 8;
	r->buf[1][4] = data_len & 0xff;
	memset(r->buf[1] + 5, 0x42, 200);
	*len = 205;	/* the header alone must be enough to refuse it */
}

static void on_both(const struct kt_variant *v, breaker brk, int err, const char *counter)
{
	kt_note("on tcp (stock kTLS reference)");
	attack(KT_TCP, v, brk, err, counter);
	kt_note("on mptcp (mptls)");
	attack(KT_MPTCP, v, brk, err, counter);
}

KT_TEST_V(bit_flip_is_ebadmsg, 30)
{
	on_both(variant, flip_bit, EBADMSG, "TlsDecryptError");
}

KT_TEST_V(length_above_max_is_emsgsize, 30)
{
	on_both(variant, too_long, EMSGSIZE, "TlsRxBadRecord");
}

KT_TEST_V(truncated_tag_is_ebadmsg, 30)
{
	on_both(variant, cut_tag, EBADMSG, "TlsDecryptError");
}

KT_TEST_V(wrong_version_is_einval, 30)
{
	on_both(variant, bad_version, EINVAL, "TlsRxBadRecord");
}

KT_TEST_V(zero_length_record_is_ebadmsg, 30)
{
	on_both(variant, zero_length, EBADMSG, "TlsRxBadRecord");
}

/* POLLIN within @ms milliseconds, or not. */
static bool readable_within(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = poll(&pfd, 1, ms);

	ASSERT_GE(n, 0);
	return n == 1 && (pfd.revents & POLLIN);
}

/*
 * Part of a record is in: not readable.  6.1's tls.ko says readable on TCP
 * as soon as any byte is (its poll is TCP's; 6.12's looks at its parser), so
 * the reference only notes it; mptls is held to the exact answer.
 */
static void early_readable(int proto, int fd, const char *when)
{
	if (!readable_within(fd, 50))
		return;
	if (proto == KT_MPTCP)
		kt_fail("readable %s", when);
	kt_note("stock kTLS on TCP says readable %s", when);
}

/*
 * Record 0 arrives with the first @ahead bytes of record 1's header in the
 * same segment, the rest of record 1 later.  mptls reads those header bytes
 * along with record 0 (rx.c, rx_fill_record()) and keeps them: they must
 * count towards record 1, and poll must not say readable before record 1 is
 * whole, nor miss it once it is.  Record 0 is read whole into the reader's
 * buffer (opened there) or, @in_parts, in two reads (opened in place).
 */
static void split_arrival(int proto, const struct kt_variant *v, size_t ahead, bool in_parts)
{
	struct records *r = malloc(sizeof(*r));
	unsigned char *first = malloc(MAX_REC + 5), plain[300], got[300];
	int sender, victim;

	ASSERT_TRUE(r && first);
	make_records(proto, v, r, 2);
	open_victim(proto, v, &sender, &victim);
	memcpy(first, r->buf[0], r->len[0]);
	memcpy(first + r->len[0], r->buf[1], ahead);
	kt_send_all(sender, first, r->len[0] + ahead);
	usleep(50000);	/* both in the receiver's queue before the read */

	kt_stream_fill(1, 0, plain, sizeof(plain));
	if (in_parts) {
		kt_recv_exact(victim, got, 100);
		kt_recv_exact(victim, got + 100, sizeof(got) - 100);
	} else {
		kt_recv_exact(victim, got, sizeof(got));
	}
	ASSERT_TRUE(!memcmp(plain, got, sizeof(got)));
	early_readable(proto, victim, "with part of the next record's header in");

	kt_send_all(sender, r->buf[1] + ahead, r->len[1] - ahead - 1);
	early_readable(proto, victim, "with the next record one byte short");
	kt_send_all(sender, r->buf[1] + r->len[1] - 1, 1);
	if (!readable_within(victim, 5000))
		kt_fail("not readable within 5 s of the next record's last byte (%zu read ahead)",
			ahead);
	kt_stream_fill(1, sizeof(plain), plain, sizeof(plain));
	kt_recv_exact(victim, got, sizeof(got));
	ASSERT_TRUE(!memcmp(plain, got, sizeof(got)));
	close(sender);
	close(victim);
	free(first);
	free(r);
}

/* Part of the next header (2 bytes) and all of it (5), read both ways. */
KT_TEST_V(record_with_part_of_the_next_header, 60)
{
	static const size_t aheads[] = { 2, 5 };
	size_t i;
	int parts;

	for (i = 0; i < 2; i++) {
		for (parts = 0; parts < 2; parts++) {
			kt_note("%zu header bytes ahead, %s, on tcp (stock kTLS reference)",
				aheads[i], parts ? "read in parts" : "read whole");
			split_arrival(KT_TCP, variant, aheads[i], parts);
			kt_note("... on mptcp (mptls)");
			split_arrival(KT_MPTCP, variant, aheads[i], parts);
		}
	}
}

/* The longest legal record still passes: the limit is not off by one. */
KT_TEST_V(longest_record_is_accepted, 30)
{
	static unsigned char plain[16384], got[16384];
	struct kt_pair p;

	kt_pair_open(&p, AF_INET, KT_MPTCP, KT_MPTCP);
	kt_tls_both(p.client, p.server, variant);
	kt_stream_fill(3, 0, plain, sizeof(plain));
	kt_send_all(p.client, plain, sizeof(plain));
	kt_recv_exact(p.server, got, sizeof(got));
	ASSERT_TRUE(!memcmp(plain, got, sizeof(got)));
	kt_pair_close(&p);
}
