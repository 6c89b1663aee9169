/* SPDX-License-Identifier: MIT */
/*
 * The benchmark's TLS record layer in userspace (OpenSSL EVP AEAD), the
 * "userspace OpenSSL records" contestant: the same records kTLS writes
 * (RFC 5246 §6.2.3.3 / RFC 8446 §5.2), sealed and opened in the process,
 * with the same fixed test keys the kernel contestants get.
 */
#ifndef BENCH_RECORD_H
#define BENCH_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/tls.h>
#include <openssl/evp.h>

#define REC_HDR		5
#define REC_MAX_PLAIN	16384
#define REC_MAX_OVERHEAD (REC_HDR + 8 + 1 + 16)	/* hdr, 1.2 nonce, 1.3 type, tag */
#define REC_BUF		(REC_MAX_PLAIN + REC_MAX_OVERHEAD)

/* One cipher suite as both the kernel and OpenSSL name it. */
struct suite {
	const char *name;		/* aes128gcm, aes256gcm, chacha20 */
	uint16_t cipher_type;		/* TLS_CIPHER_* */
	size_t key_size;
	size_t salt_size;		/* implicit part of the nonce */
	size_t iv_size;			/* the uapi "iv" field */
	bool explicit_nonce;		/* TLS 1.2 records carry the iv field */
	const EVP_CIPHER *(*evp)(void);
};

const struct suite *suite_find(const char *name);

/* Key material of one direction, derived from a direction id. */
struct dir_keys {
	uint8_t key[32];
	uint8_t salt_iv[12];		/* salt || iv: the 12-byte AEAD nonce base */
	uint8_t seq[8];
};
void keys_derive(int dir_id, struct dir_keys *k);

/* Fills the uapi crypto_info for setsockopt(SOL_TLS, ...); returns its size. */
union crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes128;
	struct tls12_crypto_info_aes_gcm_256 aes256;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};
size_t crypto_info_fill(const struct suite *s, int version, const struct dir_keys *k,
			union crypto_info *ci);

/* One direction of a userspace record layer. */
struct urec {
	const struct suite *s;
	int version;			/* TLS_1_2_VERSION or TLS_1_3_VERSION */
	EVP_CIPHER_CTX *ctx;
	struct dir_keys k;
	uint64_t seq;
	/* RX: bytes read from the socket, a record opened in place. */
	uint8_t *buf;
	size_t start, end;		/* unread bytes: buf[start..end) */
	size_t pt_off, pt_len;		/* plaintext of the opened record left */
	size_t rec_len;			/* the opened record's length, 0 if none */
};

int urec_init(struct urec *r, const struct suite *s, int version, int dir_id, bool encrypt);
void urec_free(struct urec *r);
/* Seals @len <= REC_MAX_PLAIN bytes into @out; returns the record length. */
size_t urec_seal(struct urec *r, const void *plain, size_t len, uint8_t *out);
/*
 * Reads from @fd until a record's plaintext is there and copies up to @cap
 * bytes of it.  Returns bytes copied, 0 at EOF, -1 with errno (EBADMSG for
 * a record that does not authenticate, EAGAIN on a non-blocking @fd).
 */
ssize_t urec_recv(struct urec *r, int fd, void *out, size_t cap);

#endif
