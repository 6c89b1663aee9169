// SPDX-License-Identifier: GPL-2.0
/*
 * Record protection: the cipher table, crypto_info validation, and sealing
 * and opening one record with the kernel crypto API.
 *
 * Nonce and AAD rules (one place for both versions):
 *   TLS 1.2 AES-GCM/CCM (RFC 5288 §3, RFC 6655 §3): nonce = salt || explicit,
 *     the 8-byte explicit part travels in the record; kTLS uses the uapi iv as
 *     the first explicit nonce and increments it per record.
 *   TLS 1.2 ChaCha20-Poly1305 (RFC 7905 §2): nonce = iv XOR seq, no explicit.
 *   TLS 1.3 (RFC 8446 §5.3): nonce = (salt || iv) XOR seq for every cipher.
 *   AAD: TLS 1.2 (RFC 5246 §6.2.3.3) seq || type || version || plaintext len;
 *        TLS 1.3 (RFC 8446 §5.2) the 5-byte record header.
 */
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sockptr.h>
#include <crypto/aead.h>

#include "mptls.h"

#define DESC(type, uapi, alg, explicit, ccm, only12)				\
	{									\
		.cipher_type = TLS_CIPHER_##type,				\
		.name = #type,							\
		.crypto_alg = alg,						\
		.info_size = sizeof(struct uapi),				\
		.key_size = TLS_CIPHER_##type##_KEY_SIZE,			\
		.salt_size = TLS_CIPHER_##type##_SALT_SIZE,			\
		.iv_size = TLS_CIPHER_##type##_IV_SIZE,				\
		.tag_size = TLS_CIPHER_##type##_TAG_SIZE,			\
		.key_off = offsetof(struct uapi, key),				\
		.salt_off = offsetof(struct uapi, salt),			\
		.iv_off = offsetof(struct uapi, iv),				\
		.rec_seq_off = offsetof(struct uapi, rec_seq),			\
		.tls12_explicit_nonce = explicit,				\
		.ccm_nonce_block = ccm,						\
		.tls12_only = only12,						\
	}

/*
 * SM4 and ARIA are listed because net/tls lists them: a kernel without the
 * algorithm answers ENOENT from the crypto API for both TCP and MPTCP, and one
 * with it just works.  Debian's kernels have neither.
 */
static const struct mptls_cipher_desc mptls_ciphers[] = {
	DESC(AES_GCM_128, tls12_crypto_info_aes_gcm_128, "gcm(aes)", true, false, false),
	DESC(AES_GCM_256, tls12_crypto_info_aes_gcm_256, "gcm(aes)", true, false, false),
	DESC(AES_CCM_128, tls12_crypto_info_aes_ccm_128, "ccm(aes)", true, true, false),
	DESC(CHACHA20_POLY1305, tls12_crypto_info_chacha20_poly1305,
	     "rfc7539(chacha20,poly1305)", false, false, false),
#ifdef TLS_CIPHER_SM4_GCM
	DESC(SM4_GCM, tls12_crypto_info_sm4_gcm, "gcm(sm4)", true, false, false),
	DESC(SM4_CCM, tls12_crypto_info_sm4_ccm, "ccm(sm4)", true, true, false),
#endif
#ifdef TLS_CIPHER_ARIA_GCM_128
	/* RFC 6209 defines ARIA for TLS 1.2 only */
	DESC(ARIA_GCM_128, tls12_crypto_info_aria_gcm_128, "gcm(aria)", true, false, true),
	DESC(ARIA_GCM_256, tls12_crypto_info_aria_gcm_256, "gcm(aria)", true, false, true),
#endif
};

const struct mptls_cipher_desc *mptls_cipher_lookup(u16 cipher_type)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(mptls_ciphers); i++)
		if (mptls_ciphers[i].cipher_type == cipher_type)
			return &mptls_ciphers[i];
	return NULL;
}

static bool explicit_nonce(const struct mptls_cipher_state *cs)
{
	return cs->version == TLS_1_2_VERSION && cs->desc->tls12_explicit_nonce;
}

/* Bytes between the record header and the encrypted payload. */
unsigned int mptls_cipher_prepend(const struct mptls_cipher_state *cs)
{
	return MPTLS_HEADER_SIZE + (explicit_nonce(cs) ? cs->desc->iv_size : 0);
}

static void cipher_state_wipe(struct mptls_cipher_state *cs)
{
	memzero_explicit(&cs->conf, sizeof(cs->conf));
	memzero_explicit(cs->iv, sizeof(cs->iv));
	memzero_explicit(cs->nonce, sizeof(cs->nonce));
	memzero_explicit(cs->aad, sizeof(cs->aad));
	memzero_explicit(cs->rec_seq, sizeof(cs->rec_seq));
}

/*
 * Validates the uapi crypto_info in @optval exactly as net/tls does (same
 * errnos, same order) and sets up the AEAD.  @other is the opposite
 * direction, which must use the same version and cipher once configured.
 */
int mptls_cipher_init(struct mptls_cipher_state *cs, sockptr_t optval,
		      unsigned int optlen, const struct mptls_cipher_state *other)
{
	const struct mptls_cipher_desc *desc;
	struct tls_crypto_info *info = &cs->conf.info;
	u8 *raw = (u8 *)&cs->conf;
	int err;

	BUILD_BUG_ON(sizeof(cs->conf) < sizeof(struct tls12_crypto_info_chacha20_poly1305));
	BUILD_BUG_ON(sizeof(cs->conf) < sizeof(struct tls12_crypto_info_aes_gcm_256));
	BUILD_BUG_ON(TLS_CIPHER_AES_GCM_128_SALT_SIZE + TLS_CIPHER_AES_GCM_128_IV_SIZE != MPTLS_MAX_IV);
	BUILD_BUG_ON(TLS_CIPHER_CHACHA20_POLY1305_IV_SIZE != MPTLS_MAX_IV);

	if (sockptr_is_null(optval) || optlen < sizeof(*info))
		return -EINVAL;
	if (copy_from_sockptr(info, optval, sizeof(*info)))
		return -EFAULT;

	err = -EINVAL;
	if (info->version != TLS_1_2_VERSION && info->version != TLS_1_3_VERSION)
		goto wipe;
	if (other && other->desc &&
	    (other->version != info->version ||
	     other->desc->cipher_type != info->cipher_type))
		goto wipe;
	desc = mptls_cipher_lookup(info->cipher_type);
	if (!desc || optlen != desc->info_size ||
	    (desc->tls12_only && info->version != TLS_1_2_VERSION))
		goto wipe;
	if (copy_from_sockptr_offset(info + 1, optval, sizeof(*info),
				     optlen - sizeof(*info))) {
		err = -EFAULT;
		goto wipe;
	}

	cs->desc = desc;
	cs->version = info->version;
	memcpy(cs->iv, raw + desc->salt_off, desc->salt_size);
	memcpy(cs->iv + desc->salt_size, raw + desc->iv_off, desc->iv_size);
	memcpy(cs->rec_seq, raw + desc->rec_seq_off, MPTLS_REC_SEQ_SIZE);
	cs->limits.overhead = desc->tag_size + (explicit_nonce(cs) ? desc->iv_size : 0);
	cs->limits.tail = cs->version == TLS_1_3_VERSION ? 1 : 0;

	cs->aead = crypto_alloc_aead(desc->crypto_alg, 0, 0);
	if (IS_ERR(cs->aead)) {
		err = PTR_ERR(cs->aead);
		cs->aead = NULL;
		goto wipe;
	}
	err = crypto_aead_setkey(cs->aead, raw + desc->key_off, desc->key_size);
	if (err)
		goto free_aead;
	err = crypto_aead_setauthsize(cs->aead, desc->tag_size);
	if (err)
		goto free_aead;
	cs->req = aead_request_alloc(cs->aead, GFP_KERNEL);
	if (!cs->req) {
		err = -ENOMEM;
		goto free_aead;
	}
	return 0;

free_aead:
	crypto_free_aead(cs->aead);
	cs->aead = NULL;
wipe:
	cs->desc = NULL;
	cipher_state_wipe(cs);
	return err;
}

void mptls_cipher_free(struct mptls_cipher_state *cs)
{
	if (cs->req)
		aead_request_free(cs->req);	/* kfree_sensitive */
	if (cs->aead)
		crypto_free_aead(cs->aead);	/* wipes the expanded key */
	cs->req = NULL;
	cs->aead = NULL;
	cs->desc = NULL;
	cipher_state_wipe(cs);
}

/*
 * TLS 1.3 key update, as mainline kTLS rekey (net/tls since Linux 6.14):
 * the next keys of a configured direction, same version and cipher, else
 * EINVAL.  Built aside by mptls_cipher_next() and swapped in whole by
 * mptls_cipher_swap(), so a refused update leaves the old keys working.
 * Caller holds the direction's lock: no record is sealed or opened meanwhile.
 */
struct mptls_cipher_state *mptls_cipher_next(const struct mptls_cipher_state *cs,
					     sockptr_t optval, unsigned int optlen)
{
	struct mptls_cipher_state *next;
	int err;

	next = kzalloc(sizeof(*next), GFP_KERNEL);
	if (!next)
		return ERR_PTR(-ENOMEM);
	/* with @cs as the "other direction": version and cipher must match */
	err = mptls_cipher_init(next, optval, optlen, cs);
	if (err) {
		kfree_sensitive(next);
		return ERR_PTR(err);
	}
	return next;
}

void mptls_cipher_swap(struct mptls_cipher_state *cs, struct mptls_cipher_state *next)
{
	mptls_cipher_free(cs);
	*cs = *next;
	/* the copy holds the key now */
	kfree_sensitive(next);
}

/* Same answers as net/tls do_tls_getsockopt_conf(), key included. */
int mptls_cipher_getsockopt(const struct mptls_cipher_state *cs,
			    char __user *optval, int __user *optlen)
{
	const struct mptls_cipher_desc *desc = cs->desc;
	union {
		struct tls_crypto_info info;
		u8 raw[sizeof(cs->conf)];
	} out;
	int len, err = 0;

	if (get_user(len, optlen))
		return -EFAULT;
	if (!optval || len < sizeof(struct tls_crypto_info))
		return -EINVAL;
	if (!desc)
		return -EBUSY;
	if (len == sizeof(struct tls_crypto_info))
		return copy_to_user(optval, &cs->conf.info, len) ? -EFAULT : 0;
	if (len != desc->info_size)
		return -EINVAL;

	memcpy(out.raw, &cs->conf, desc->info_size);
	memcpy(out.raw + desc->iv_off, cs->iv + desc->salt_size, desc->iv_size);
	memcpy(out.raw + desc->rec_seq_off, cs->rec_seq, MPTLS_REC_SEQ_SIZE);
	if (copy_to_user(optval, out.raw, desc->info_size))
		err = -EFAULT;
	memzero_explicit(&out, sizeof(out));
	return err;
}

/* Big-endian increment; true when it wrapped. */
static bool bigint_increment(u8 *n, int len)
{
	int i;

	for (i = len - 1; i >= 0; i--)
		if (++n[i])
			return false;
	return true;
}

/*
 * Moves to the next record.  Running out of sequence numbers is fatal, as in
 * net/tls: a record must never reuse a nonce.
 */
static int advance_record(struct mptls_cipher_state *cs)
{
	if (explicit_nonce(cs))
		bigint_increment(cs->iv + cs->desc->salt_size, cs->desc->iv_size);
	return bigint_increment(cs->rec_seq, MPTLS_REC_SEQ_SIZE) ? -EBADMSG : 0;
}

/* Fills cs->nonce for the record whose explicit nonce (TLS 1.2 AES) is at @rec. */
static unsigned int build_nonce(struct mptls_cipher_state *cs, const u8 *rec)
{
	const struct mptls_cipher_desc *desc = cs->desc;
	u8 nonce[MPTLS_MAX_IV];
	int i;

	if (explicit_nonce(cs)) {
		memcpy(nonce, cs->iv, desc->salt_size);
		memcpy(nonce + desc->salt_size, rec + MPTLS_HEADER_SIZE, desc->iv_size);
	} else {
		memcpy(nonce, cs->iv, MPTLS_MAX_IV);
		for (i = 0; i < MPTLS_REC_SEQ_SIZE; i++)
			nonce[MPTLS_MAX_IV - MPTLS_REC_SEQ_SIZE + i] ^= cs->rec_seq[i];
	}

	if (desc->ccm_nonce_block) {
		/* counter block: flags byte L' = L - 1 with L = 15 - 12 = 3 */
		memset(cs->nonce, 0, MPTLS_MAX_NONCE_BUF);
		cs->nonce[0] = 2;
		memcpy(cs->nonce + 1, nonce, MPTLS_MAX_IV);
	} else {
		memcpy(cs->nonce, nonce, MPTLS_MAX_IV);
	}
	memzero_explicit(nonce, sizeof(nonce));
	return desc->ccm_nonce_block ? MPTLS_MAX_NONCE_BUF : MPTLS_MAX_IV;
}

/* Fills cs->aad; returns its length. */
static unsigned int build_aad(struct mptls_cipher_state *cs, const u8 *hdr,
			      unsigned int plain_len)
{
	if (cs->version == TLS_1_3_VERSION) {
		memcpy(cs->aad, hdr, MPTLS_HEADER_SIZE);
		return MPTLS_HEADER_SIZE;
	}
	memcpy(cs->aad, cs->rec_seq, MPTLS_REC_SEQ_SIZE);
	cs->aad[8] = hdr[0];
	cs->aad[9] = MPTLS_VERSION_MAJOR;
	cs->aad[10] = MPTLS_VERSION_MINOR;
	cs->aad[11] = plain_len >> 8;
	cs->aad[12] = plain_len & 0xff;
	return MPTLS_AAD_TLS12;
}

/* The AAD, then a record's payload over as many pages as it spans (buf.c). */
#define MPTLS_SG_ENTRIES	(1 + DIV_ROUND_UP(MPTLS_MAX_PLAINTEXT + 256, PAGE_SIZE) + 1)

/*
 * Runs the AEAD with the record payload at @payload (@payload_room bytes:
 * text and tag) as both source and destination (in place), or as one of
 * them when the other is given: @src or @dst then holds the text from its
 * entry 1 (entry 0 is left for the AAD) and was ended by the caller.
 */
static int run_aead(struct mptls_cipher_state *cs, bool encrypt,
		    struct scatterlist *src, struct scatterlist *dst, u8 *payload,
		    unsigned int aad_len, unsigned int crypt_len,
		    unsigned int payload_room)
{
	struct scatterlist rec[MPTLS_SG_ENTRIES];
	DECLARE_CRYPTO_WAIT(wait);
	int err, n;

	/* cs (and so aad) lives in the kmalloc'ed ctx: no stack in the sg list. */
	sg_init_table(rec, MPTLS_SG_ENTRIES);
	sg_set_buf(&rec[0], cs->aad, aad_len);
	n = mptls_buf_sg(&rec[1], MPTLS_SG_ENTRIES - 1, payload, payload_room);
	if (WARN_ON_ONCE(n < 0))
		return n;
	sg_mark_end(&rec[n]);
	if (src)
		sg_set_buf(&src[0], cs->aad, aad_len);
	else
		src = rec;
	if (dst)
		sg_set_buf(&dst[0], cs->aad, aad_len);
	else
		dst = rec;

	aead_request_set_tfm(cs->req, cs->aead);
	aead_request_set_callback(cs->req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				  CRYPTO_TFM_REQ_MAY_SLEEP, crypto_req_done, &wait);
	aead_request_set_ad(cs->req, aad_len);
	aead_request_set_crypt(cs->req, src, dst, crypt_len, cs->nonce);
	err = encrypt ? crypto_aead_encrypt(cs->req) : crypto_aead_decrypt(cs->req);
	return crypto_wait_req(err, &wait);
}

/*
 * Seals a record into @rec: writes header, explicit nonce, TLS 1.3 inner
 * type and tag, and stores the whole record length in @rec_len.  The
 * plaintext (@plain_len bytes) either already sits in @rec at
 * mptls_cipher_prepend() (@plain NULL), or is read from @plain[1..@nr]
 * (pages the sender holds, tx.c): then @plain has @nr + 2 entries, and
 * entries 0 and @nr + 1 (AAD, inner type) are filled here.
 */
int mptls_seal(struct mptls_cipher_state *cs, u8 *rec, u8 type,
	       struct scatterlist *plain, unsigned int nr,
	       unsigned int plain_len, unsigned int *rec_len)
{
	unsigned int prepend = mptls_cipher_prepend(cs);
	unsigned int tag = cs->desc->tag_size;
	unsigned int enc_len = plain_len + cs->limits.tail;
	unsigned int data_len = prepend - MPTLS_HEADER_SIZE + enc_len + tag;
	unsigned int aad_len;
	int err;

	if (cs->version == TLS_1_3_VERSION) {
		rec[prepend + plain_len] = type;
		rec[0] = MPTLS_TYPE_APP_DATA;	/* outer type, RFC 8446 §5.2 */
	} else {
		rec[0] = type;
	}
	rec[1] = MPTLS_VERSION_MAJOR;
	rec[2] = MPTLS_VERSION_MINOR;
	rec[3] = data_len >> 8;
	rec[4] = data_len & 0xff;
	if (explicit_nonce(cs))
		memcpy(rec + MPTLS_HEADER_SIZE, cs->iv + cs->desc->salt_size,
		       cs->desc->iv_size);
	if (plain) {
		if (cs->limits.tail) {
			cs->inner_type = type;
			sg_set_buf(&plain[++nr], &cs->inner_type, 1);
		}
		sg_mark_end(&plain[nr]);
	}

	build_nonce(cs, rec);
	aad_len = build_aad(cs, rec, plain_len);
	err = run_aead(cs, true, plain, NULL, rec + prepend, aad_len, enc_len, enc_len + tag);
	if (err)
		return err;
	*rec_len = MPTLS_HEADER_SIZE + data_len;
	return advance_record(cs);
}

/*
 * Opens the record of @rec_len bytes in @rec in place.  On success reports
 * the content type and where the plaintext is.  -EBADMSG when it does not
 * authenticate or a TLS 1.3 record holds nothing but padding.
 */
int mptls_open(struct mptls_cipher_state *cs, u8 *rec, unsigned int rec_len,
	       u8 *type, unsigned int *data_off, unsigned int *plain_len)
{
	unsigned int prepend = mptls_cipher_prepend(cs);
	unsigned int tag = cs->desc->tag_size;
	unsigned int enc_len, aad_len;
	int err;

	if (rec_len < prepend + tag + cs->limits.tail)
		return -EBADMSG;
	enc_len = rec_len - prepend - tag;

	build_nonce(cs, rec);
	aad_len = build_aad(cs, rec, enc_len);
	err = run_aead(cs, false, NULL, NULL, rec + prepend, aad_len, enc_len + tag, enc_len + tag);
	if (err)
		return err == -EBADMSG ? -EBADMSG : err;

	if (cs->version == TLS_1_3_VERSION) {
		/* RFC 8446 §5.4: the type is the last non-zero byte. */
		while (enc_len && !rec[prepend + enc_len - 1])
			enc_len--;
		if (!enc_len)
			return -EBADMSG;
		enc_len--;
		*type = rec[prepend + enc_len];
	} else {
		*type = rec[0];
	}
	*data_off = prepend;
	*plain_len = enc_len;
	return advance_record(cs);
}

/*
 * Opens the record of @rec_len bytes in @rec into @out instead of in place
 * (rx.c: straight into a reader's pages): @out holds room for the whole
 * decrypted payload (plaintext, and on TLS 1.3 its inner type and padding)
 * from entry 1, ended by the caller.  The record stays sealed in @rec and
 * the sequence number does not move: the caller decides with
 * mptls_open_accept() or opens it again in place.  -EBADMSG when it does not
 * authenticate.
 */
int mptls_open_into(struct mptls_cipher_state *cs, u8 *rec, unsigned int rec_len,
		    struct scatterlist *out)
{
	unsigned int prepend = mptls_cipher_prepend(cs);
	unsigned int tag = cs->desc->tag_size;
	unsigned int enc_len, aad_len;

	if (rec_len < prepend + tag + cs->limits.tail)
		return -EBADMSG;
	enc_len = rec_len - prepend - tag;
	build_nonce(cs, rec);
	aad_len = build_aad(cs, rec, enc_len);
	return run_aead(cs, false, NULL, out, rec + prepend, aad_len, enc_len + tag,
			enc_len + tag);
}

/* The record mptls_open_into() opened is taken: on to the next one. */
int mptls_open_accept(struct mptls_cipher_state *cs)
{
	return advance_record(cs);
}
