// SPDX-License-Identifier: MIT
/*
 * The socket options of kTLS on MPTCP: TCP_ULP "tls" and SOL_TLS TLS_TX/RX,
 * valid and invalid.  Every expectation is checked on a TCP socket with the
 * stock tls.ko first (the reference: if it fails there, the test is wrong),
 * then on an MPTCP socket with mptls.  Answers that mptls must leave to
 * MPTCP are compared with what tool_stock_sockopts saw before mptls was
 * loaded (file in $KT_STOCK_SOCKOPTS).
 */
#include <stdlib.h>
#include <unistd.h>

#include "ktls.h"
#include "sockopt_probe.h"

static const char *proto_name(int proto)
{
	return proto == KT_TCP ? "tcp (stock kTLS reference)" : "mptcp (mptls)";
}

/* Runs @fn on TCP, then on MPTCP, saying which in the log. */
static void on_both(void (*fn)(int proto, const struct kt_variant *v),
		    const struct kt_variant *v)
{
	kt_note("on %s", proto_name(KT_TCP));
	fn(KT_TCP, v);
	kt_note("on %s", proto_name(KT_MPTCP));
	fn(KT_MPTCP, v);
}

static int set_ulp(int fd, const char *name)
{
	return setsockopt(fd, SOL_TCP, TCP_ULP, name, strlen(name) + 1);
}

static void ulp_unconnected(int proto, const struct kt_variant *v)
{
	int fd = socket(AF_INET, SOCK_STREAM, proto);

	ASSERT_OK(fd);
	ASSERT_ERRNO(set_ulp(fd, "tls"), ENOTCONN);
	close(fd);
}

KT_TEST(ulp_on_unconnected_socket_is_enotconn, 30)
{
	on_both(ulp_unconnected, NULL);
}

static void ulp_listener(int proto, const struct kt_variant *v)
{
	uint16_t port = 0;
	int lfd = kt_listen(AF_INET, proto, NULL, &port);

	ASSERT_ERRNO(set_ulp(lfd, "tls"), ENOTCONN);
	/* and the listener still accepts plain connections */
	int c = kt_connect(AF_INET, proto, NULL, port);
	int s = accept(lfd, NULL, NULL);

	ASSERT_OK(s);
	kt_send_all(c, "x", 1);
	char b;
	kt_recv_exact(s, &b, 1);
	close(c);
	close(s);
	close(lfd);
}

KT_TEST(ulp_on_listener_is_enotconn, 30)
{
	on_both(ulp_listener, NULL);
}

static void ulp_twice(int proto, const struct kt_variant *v)
{
	struct kt_pair p;

	kt_pair_open(&p, AF_INET, proto, proto);
	ASSERT_OK(set_ulp(p.client, "tls"));
	ASSERT_ERRNO(set_ulp(p.client, "tls"), EEXIST);
	ASSERT_ERRNO(set_ulp(p.client, "mptcp"), EEXIST);
	/* the context survived: configure and talk */
	kt_set_ulp(p.server);
	kt_set_tls(p.client, TLS_TX, kt_variant_by_name("tls13_aes128gcm"), 1);
	kt_set_tls(p.server, TLS_RX, kt_variant_by_name("tls13_aes128gcm"), 1);
	kt_send_all(p.client, "hello", 5);
	char buf[5];
	kt_recv_exact(p.server, buf, 5);
	ASSERT_TRUE(!memcmp(buf, "hello", 5));
	kt_pair_close(&p);
}

KT_TEST(ulp_twice_is_eexist, 30)
{
	on_both(ulp_twice, NULL);
}

static void get_ulp(int proto, const struct kt_variant *v)
{
	struct kt_pair p;
	char name[32];
	socklen_t len;

	kt_pair_open(&p, AF_INET, proto, proto);
	kt_set_ulp(p.client);
	memset(name, 0x55, sizeof(name));
	len = sizeof(name);
	ASSERT_OK(getsockopt(p.client, SOL_TCP, TCP_ULP, name, &len));
	ASSERT_GE(len, 4);
	ASSERT_TRUE(!strcmp(name, "tls"));
	/* a short buffer gets the start of the name */
	memset(name, 0x55, sizeof(name));
	len = 2;
	ASSERT_OK(getsockopt(p.client, SOL_TCP, TCP_ULP, name, &len));
	ASSERT_EQ(len, 2);
	ASSERT_TRUE(!memcmp(name, "tl", 2) && name[2] == 0x55);
	kt_pair_close(&p);
}

KT_TEST(getsockopt_tcp_ulp_says_tls, 30)
{
	on_both(get_ulp, NULL);
}

/* The exact optlen TCP_ULP reports, on both: a difference is worth a look. */
KT_TEST(getsockopt_tcp_ulp_optlen_as_tcp, 30)
{
	socklen_t lens[2];
	int protos[2] = { KT_TCP, KT_MPTCP }, i;
	struct kt_pair p;
	char name[32];

	for (i = 0; i < 2; i++) {
		kt_pair_open(&p, AF_INET, protos[i], protos[i]);
		kt_set_ulp(p.client);
		lens[i] = sizeof(name);
		ASSERT_OK(getsockopt(p.client, SOL_TCP, TCP_ULP, name, &lens[i]));
		kt_pair_close(&p);
	}
	if (lens[0] != lens[1])
		kt_fail("TCP_ULP optlen with a 32-byte buffer: tcp says %u, mptcp says %u",
			lens[0], lens[1]);
}

/* Every malformed crypto_info is refused, and leaves the socket usable. */
static void bad_crypto_info(int proto, const struct kt_variant *v)
{
	union kt_crypto_info ci, bad;
	size_t len = kt_crypto_info(v, 1, &ci);
	long refused = kt_mptls_stat("TlsConfRefused");
	int dirs[2] = { TLS_TX, TLS_RX }, d, n = 0;
	struct kt_pair p;

	kt_pair_open(&p, AF_INET, proto, proto);
	kt_set_ulp(p.client);
	kt_set_ulp(p.server);
	for (d = 0; d < 2; d++) {
		int fd = dirs[d] == TLS_TX ? p.client : p.server;

		ASSERT_ERRNO(setsockopt(fd, SOL_TLS, dirs[d], NULL, len), EINVAL);
		ASSERT_ERRNO(setsockopt(fd, SOL_TLS, dirs[d], (void *)8, len), EFAULT);
		ASSERT_ERRNO(setsockopt(fd, SOL_TLS, dirs[d], &ci, 0), EINVAL);
		ASSERT_ERRNO(setsockopt(fd, SOL_TLS, dirs[d], &ci, 3), EINVAL);
		ASSERT_ERRNO(setsockopt(fd, SOL_TLS, dirs[d], &ci, sizeof(ci.info)), EINVAL);
		ASSERT_ERRNO(setsockopt(fd, SOL_TLS, dirs[d], &ci, len - 1), EINVAL);
		ASSERT_ERRNO(setsockopt(fd, SOL_TLS, dirs[d], &ci, len + 1), EINVAL);
		n += 6;	/* EFAULT aside: net/tls counts it the same way, we do not assume */

		uint16_t versions[] = { 0, 0x0301, 0x0302, 0x0305, 0x0303 + 0x100 };
		for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
			bad = ci;
			bad.info.version = versions[i];
			ASSERT_ERRNO(setsockopt(fd, SOL_TLS, dirs[d], &bad, len), EINVAL);
			n++;
		}
		uint16_t ciphers[] = { 0, 1, 50, 12345, 0xffff };
		for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
			bad = ci;
			bad.info.cipher_type = ciphers[i];
			ASSERT_ERRNO(setsockopt(fd, SOL_TLS, dirs[d], &bad, len), EINVAL);
			n++;
		}
		/* unknown SOL_TLS option names */
		ASSERT_ERRNO(setsockopt(fd, SOL_TLS, 99, &ci, len), ENOPROTOOPT);
	}
	/* none of that left a half-configured direction behind */
	kt_set_tls(p.client, TLS_TX, v, 1);
	kt_set_tls(p.server, TLS_RX, v, 1);
	char buf[100], got[100];
	kt_stream_fill(7, 0, buf, sizeof(buf));
	kt_send_all(p.client, buf, sizeof(buf));
	kt_recv_exact(p.server, got, sizeof(got));
	ASSERT_TRUE(!memcmp(buf, got, sizeof(buf)));
	if (proto == KT_MPTCP && refused >= 0)
		ASSERT_GE(kt_mptls_stat("TlsConfRefused") - refused, n);
	kt_pair_close(&p);
}

KT_TEST_V(bad_crypto_info_is_refused, 30)
{
	on_both(bad_crypto_info, variant);
}

/* TX and RX must agree on version and cipher, whichever is set first. */
static void mismatch(int proto, const struct kt_variant *v)
{
	const struct kt_variant *other_version = NULL, *other_cipher = NULL;
	union kt_crypto_info ci;
	struct kt_pair p;
	size_t i, len;

	for (i = 0; i < kt_nvariants; i++) {
		if (kt_variants[i].cipher == v->cipher && kt_variants[i].version != v->version)
			other_version = &kt_variants[i];
		if (kt_variants[i].cipher != v->cipher && kt_variants[i].version == v->version)
			other_cipher = &kt_variants[i];
	}
	kt_pair_open(&p, AF_INET, proto, proto);
	kt_set_ulp(p.client);
	kt_set_tls(p.client, TLS_RX, v, 2);
	len = kt_crypto_info(other_version, 1, &ci);
	ASSERT_ERRNO(setsockopt(p.client, SOL_TLS, TLS_TX, &ci, len), EINVAL);
	len = kt_crypto_info(other_cipher, 1, &ci);
	ASSERT_ERRNO(setsockopt(p.client, SOL_TLS, TLS_TX, &ci, len), EINVAL);
	kt_set_tls(p.client, TLS_TX, v, 1);
	kt_pair_close(&p);
}

KT_TEST_V(tx_rx_version_or_cipher_mismatch_is_einval, 30)
{
	on_both(mismatch, variant);
}

/* rec_seq (and the explicit nonce of TLS 1.2 AES) after @records records. */
static void expect_advanced(const union kt_crypto_info *set, const union kt_crypto_info *got,
			    size_t len, const struct kt_variant *v, int records)
{
	union kt_crypto_info want = *set;
	unsigned char *seq, *iv;
	size_t seq_len = 8, iv_len;

	/* all the uapi structs are info, iv, key, salt, rec_seq */
	iv = (unsigned char *)&want + sizeof(struct tls_crypto_info);
	iv_len = v->cipher == TLS_CIPHER_CHACHA20_POLY1305 ? 12 : 8;
	seq = (unsigned char *)&want + len - seq_len;
	for (int r = 0; r < records; r++) {
		for (int i = seq_len - 1; i >= 0 && !++seq[i]; i--)
			;
		if (v->version == TLS_1_2_VERSION && v->cipher != TLS_CIPHER_CHACHA20_POLY1305)
			for (int i = iv_len - 1; i >= 0 && !++iv[i]; i--)
				;
	}
	if (memcmp(&want, got, len)) {
		for (size_t i = 0; i < len; i++)
			if (((unsigned char *)&want)[i] != ((unsigned char *)got)[i])
				kt_fail("after %d records byte %zu of the conf is %#x, want %#x",
					records, i, ((unsigned char *)got)[i],
					((unsigned char *)&want)[i]);
	}
}

static void getsockopt_conf(int proto, const struct kt_variant *v)
{
	union kt_crypto_info set_c2s, set_s2c, got;
	size_t len = kt_crypto_info(v, KT_KEY_C2S, &set_c2s);
	struct kt_pair p;
	socklen_t olen;
	char buf[30];
	int i;

	kt_crypto_info(v, KT_KEY_S2C, &set_s2c);
	kt_pair_open(&p, AF_INET, proto, proto);
	kt_tls_both(p.client, p.server, v);
	olen = len;
	ASSERT_OK(getsockopt(p.client, SOL_TLS, TLS_TX, &got, &olen));
	ASSERT_EQ(olen, len);
	expect_advanced(&set_c2s, &got, len, v, 0);
	olen = len;
	ASSERT_OK(getsockopt(p.client, SOL_TLS, TLS_RX, &got, &olen));
	expect_advanced(&set_s2c, &got, len, v, 0);

	/* just the version and cipher */
	memset(&got, 0, sizeof(got));
	olen = sizeof(got.info);
	ASSERT_OK(getsockopt(p.client, SOL_TLS, TLS_TX, &got, &olen));
	ASSERT_EQ(olen, sizeof(got.info));
	ASSERT_EQ(got.info.version, v->version);
	ASSERT_EQ(got.info.cipher_type, v->cipher);
	olen = len + 1;
	ASSERT_ERRNO(getsockopt(p.client, SOL_TLS, TLS_TX, &got, &olen), EINVAL);
	olen = len - 1;
	ASSERT_ERRNO(getsockopt(p.client, SOL_TLS, TLS_TX, &got, &olen), EINVAL);

	/* three records: the sequence numbers move on both ends */
	for (i = 0; i < 3; i++)
		kt_send_all(p.client, "0123456789", 10);
	kt_recv_exact(p.server, buf, 30);
	olen = len;
	ASSERT_OK(getsockopt(p.client, SOL_TLS, TLS_TX, &got, &olen));
	expect_advanced(&set_c2s, &got, len, v, 3);
	olen = len;
	ASSERT_OK(getsockopt(p.server, SOL_TLS, TLS_RX, &got, &olen));
	expect_advanced(&set_c2s, &got, len, v, 3);
	kt_pair_close(&p);
}

KT_TEST_V(getsockopt_returns_the_conf_and_sequence, 30)
{
	on_both(getsockopt_conf, variant);
}

static void getsockopt_unset(int proto, const struct kt_variant *v)
{
	union kt_crypto_info got;
	struct kt_pair p;
	socklen_t olen;

	kt_pair_open(&p, AF_INET, proto, proto);
	kt_set_ulp(p.client);
	olen = sizeof(got.aes_gcm_128);
	ASSERT_ERRNO(getsockopt(p.client, SOL_TLS, TLS_TX, &got, &olen), EBUSY);
	ASSERT_ERRNO(getsockopt(p.client, SOL_TLS, TLS_RX, &got, &olen), EBUSY);
	olen = 3;
	ASSERT_ERRNO(getsockopt(p.client, SOL_TLS, TLS_TX, &got, &olen), EINVAL);
	olen = sizeof(got.aes_gcm_128);
	ASSERT_ERRNO(getsockopt(p.client, SOL_TLS, TLS_TX, NULL, &olen), EINVAL);
	kt_pair_close(&p);
}

KT_TEST(getsockopt_before_tls_tx_is_ebusy, 30)
{
	on_both(getsockopt_unset, NULL);
}

/*
 * getsockopt(SOL_TLS) before TCP_ULP: stock MPTCP says EOPNOTSUPP, TCP says
 * ENOPROTOOPT.  mptls answers for MPTCP here (main.c: "as TCP without the
 * ULP"), so hold it to the TCP answer, measured now.
 */
KT_TEST(getsockopt_sol_tls_without_ulp_as_tcp, 30)
{
	union kt_crypto_info got;
	struct kt_pair p;
	socklen_t olen = sizeof(got);
	int tcp_errno;

	kt_pair_open(&p, AF_INET, KT_TCP, KT_TCP);
	ASSERT_EQ(getsockopt(p.client, SOL_TLS, TLS_TX, &got, &olen), -1);
	tcp_errno = errno;
	kt_pair_close(&p);
	kt_pair_open(&p, AF_INET, KT_MPTCP, KT_MPTCP);
	ASSERT_ERRNO(getsockopt(p.client, SOL_TLS, TLS_TX, &got, &olen), tcp_errno);
	kt_pair_close(&p);
}

/* What mptls leaves to MPTCP answers as MPTCP did before mptls was loaded. */
KT_TEST(passthrough_answers_as_stock_mptcp, 30)
{
	const char *path = getenv("KT_STOCK_SOCKOPTS");
	struct kt_probe now[32];
	size_t n, i, checked = 0;
	char key[64], result[96], line[200];
	FILE *f;
	int bad = 0;

	if (!path || !(f = fopen(path, "r")))
		kt_skip("no stock answers (KT_STOCK_SOCKOPTS unset or unreadable)");
	n = kt_probe_sockopts(now, 32);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %95[^\n]", key, result) != 2)
			continue;
		for (i = 0; i < n; i++) {
			if (strcmp(now[i].key, key))
				continue;
			checked++;
			if (strcmp(now[i].result, result)) {
				kt_note("%s: stock MPTCP says '%s', with mptls '%s'",
					key, result, now[i].result);
				bad++;
			}
		}
	}
	fclose(f);
	ASSERT_EQ(checked, n);
	ASSERT_EQ(bad, 0);
}
