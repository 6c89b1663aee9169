// SPDX-License-Identifier: MIT
/*
 * Userspace TLS records with OpenSSL EVP, byte for byte what kTLS produces,
 * so that a record sealed here opens in the kernel and back (the benchmark's
 * "interop" mode checks it).  Nonces:
 *   TLS 1.2 AES-GCM (RFC 5288 §3): salt(4) || explicit(8), explicit sent in
 *     the record; kTLS uses iv + record number, and our iv is the sequence.
 *   TLS 1.2 ChaCha20 (RFC 7905 §2) and TLS 1.3 (RFC 8446 §5.3): the 12-byte
 *     salt||iv XORed with the sequence number on the right.
 * AAD: TLS 1.2 seq || type || version || plaintext length; TLS 1.3 the header.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"

#define TYPE_APP_DATA 23

static const struct suite suites[] = {
	{ "aes128gcm", TLS_CIPHER_AES_GCM_128, 16, 4, 8, true, EVP_aes_128_gcm },
	{ "aes256gcm", TLS_CIPHER_AES_GCM_256, 32, 4, 8, true, EVP_aes_256_gcm },
	{ "chacha20", TLS_CIPHER_CHACHA20_POLY1305, 32, 12, 0, false, EVP_chacha20_poly1305 },
};

const struct suite *suite_find(const char *name)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (!strcmp(suites[i].name, name))
			return &suites[i];
	return NULL;
}

void keys_derive(int dir_id, struct dir_keys *k)
{
	for (size_t i = 0; i < sizeof(k->key); i++)
		k->key[i] = (uint8_t)(dir_id * 0x31 + i * 7);
	for (size_t i = 0; i < sizeof(k->salt_iv); i++)
		k->salt_iv[i] = (uint8_t)(dir_id * 0x57 + i * 13);
	memset(k->seq, 0, sizeof(k->seq));
	/* TLS 1.2 GCM: kTLS's explicit nonce is iv + n; make the iv the sequence */
	memset(k->salt_iv + 4, 0, 8);
}

size_t crypto_info_fill(const struct suite *s, int version, const struct dir_keys *k,
			union crypto_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->info.version = version;
	ci->info.cipher_type = s->cipher_type;
	switch (s->cipher_type) {
	case TLS_CIPHER_AES_GCM_128:
		memcpy(ci->aes128.key, k->key, 16);
		memcpy(ci->aes128.salt, k->salt_iv, 4);
		memcpy(ci->aes128.iv, k->salt_iv + 4, 8);
		memcpy(ci->aes128.rec_seq, k->seq, 8);
		return sizeof(ci->aes128);
	case TLS_CIPHER_AES_GCM_256:
		memcpy(ci->aes256.key, k->key, 32);
		memcpy(ci->aes256.salt, k->salt_iv, 4);
		memcpy(ci->aes256.iv, k->salt_iv + 4, 8);
		memcpy(ci->aes256.rec_seq, k->seq, 8);
		return sizeof(ci->aes256);
	default:
		memcpy(ci->chacha.key, k->key, 32);
		memcpy(ci->chacha.iv, k->salt_iv, 12);
		memcpy(ci->chacha.rec_seq, k->seq, 8);
		return sizeof(ci->chacha);
	}
}

int urec_init(struct urec *r, const struct suite *s, int version, int dir_id, bool encrypt)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->version = version;
	keys_derive(dir_id, &r->k);
	r->ctx = EVP_CIPHER_CTX_new();
	if (!r->ctx)
		return -1;
	if (EVP_CipherInit_ex(r->ctx, s->evp(), NULL, r->k.key, NULL, encrypt) != 1)
		return -1;
	if (!encrypt) {
		r->buf = malloc(2 * REC_BUF);
		if (!r->buf)
			return -1;
	}
	return 0;
}

void urec_free(struct urec *r)
{
	EVP_CIPHER_CTX_free(r->ctx);
	free(r->buf);
	r->ctx = NULL;
	r->buf = NULL;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* The record's nonce and the explicit part it carries (TLS 1.2 GCM only). */
static size_t make_nonce(const struct urec *r, uint8_t nonce[12])
{
	uint8_t seq[8];

	put_be64(seq, r->seq);
	memcpy(nonce, r->k.salt_iv, 12);
	if (r->version == TLS_1_2_VERSION && r->s->explicit_nonce) {
		memcpy(nonce + 4, seq, 8);	/* iv(=0) + n */
		return 8;
	}
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= seq[i];
	return 0;
}

size_t urec_seal(struct urec *r, const void *plain, size_t len, uint8_t *out)
{
	bool tls13 = r->version == TLS_1_3_VERSION;
	uint8_t nonce[12], aad[13], *p;
	size_t expl = make_nonce(r, nonce);
	size_t ct_len = len + (tls13 ? 1 : 0);
	size_t rec_len = REC_HDR + expl + ct_len + 16;
	int n;

	out[0] = TYPE_APP_DATA;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)((rec_len - REC_HDR) >> 8);
	out[4] = (uint8_t)(rec_len - REC_HDR);
	memcpy(out + REC_HDR, nonce + 4, expl);
	EVP_EncryptInit_ex(r->ctx, NULL, NULL, NULL, nonce);
	if (tls13) {
		EVP_EncryptUpdate(r->ctx, NULL, &n, out, REC_HDR);
	} else {
		put_be64(aad, r->seq);
		aad[8] = TYPE_APP_DATA;
		aad[9] = 3;
		aad[10] = 3;
		aad[11] = (uint8_t)(len >> 8);
		aad[12] = (uint8_t)len;
		EVP_EncryptUpdate(r->ctx, NULL, &n, aad, sizeof(aad));
	}
	p = out + REC_HDR + expl;
	EVP_EncryptUpdate(r->ctx, p, &n, plain, (int)len);
	if (tls13) {
		uint8_t type = TYPE_APP_DATA;

		EVP_EncryptUpdate(r->ctx, p + len, &n, &type, 1);
	}
	EVP_EncryptFinal_ex(r->ctx, p + ct_len, &n);
	EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_AEAD_GET_TAG, 16, p + ct_len);
	r->seq++;
	return rec_len;
}

/* Opens the record at buf[start..start+rec_len) in place. */
static int urec_open(struct urec *r, size_t rec_len)
{
	bool tls13 = r->version == TLS_1_3_VERSION;
	uint8_t *rec = r->buf + r->start, nonce[12], aad[13];
	size_t expl = make_nonce(r, nonce);
	size_t ct_len, plain;
	int n;

	if (rec_len < REC_HDR + expl + 16 + (tls13 ? 1 : 0))
		return -1;
	ct_len = rec_len - REC_HDR - expl - 16;
	if (expl)
		memcpy(nonce + 4, rec + REC_HDR, 8);
	EVP_DecryptInit_ex(r->ctx, NULL, NULL, NULL, nonce);
	if (tls13) {
		EVP_DecryptUpdate(r->ctx, NULL, &n, rec, REC_HDR);
	} else {
		put_be64(aad, r->seq);
		aad[8] = rec[0];
		aad[9] = rec[1];
		aad[10] = rec[2];
		aad[11] = (uint8_t)(ct_len >> 8);
		aad[12] = (uint8_t)ct_len;
		EVP_DecryptUpdate(r->ctx, NULL, &n, aad, sizeof(aad));
	}
	EVP_DecryptUpdate(r->ctx, rec + REC_HDR + expl, &n, rec + REC_HDR + expl, (int)ct_len);
	EVP_CIPHER_CTX_ctrl(r->ctx, EVP_CTRL_AEAD_SET_TAG, 16, rec + REC_HDR + expl + ct_len);
	if (EVP_DecryptFinal_ex(r->ctx, rec + REC_HDR + expl + ct_len, &n) != 1)
		return -1;
	plain = ct_len;
	if (tls13) {
		while (plain && !rec[REC_HDR + plain - 1])
			plain--;	/* padding */
		if (!plain)
			return -1;
		plain--;		/* the inner content type */
	}
	r->seq++;
	r->pt_off = r->start + REC_HDR + expl;
	r->pt_len = plain;
	r->rec_len = rec_len;
	return 0;
}

ssize_t urec_recv(struct urec *r, int fd, void *out, size_t cap)
{
	for (;;) {
		size_t have = r->end - r->start, need;
		ssize_t got;

		if (r->pt_len) {
			size_t n = cap < r->pt_len ? cap : r->pt_len;

			memcpy(out, r->buf + r->pt_off, n);
			r->pt_off += n;
			r->pt_len -= n;
			if (!r->pt_len) {
				r->start += r->rec_len;
				r->rec_len = 0;
			}
			return (ssize_t)n;
		}
		need = REC_HDR;
		if (have >= REC_HDR)
			need = REC_HDR + ((size_t)r->buf[r->start + 3] << 8 | r->buf[r->start + 4]);
		if (need > REC_BUF) {
			errno = EMSGSIZE;
			return -1;
		}
		if (have >= need && have >= REC_HDR) {
			if (urec_open(r, need)) {
				errno = EBADMSG;
				return -1;
			}
			continue;
		}
		/* compact: start <= REC_BUF / 2 leaves room for a whole record */
		if (r->start > REC_BUF / 2) {
			memmove(r->buf, r->buf + r->start, have);
			r->start = 0;
			r->end = have;
		}
		got = read(fd, r->buf + r->end, 2 * REC_BUF - r->end);
		if (got <= 0)
			return got;
		r->end += (size_t)got;
	}
}
