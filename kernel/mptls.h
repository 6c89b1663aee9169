/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mptls internal header.  The module gives MPTCP sockets the kTLS socket API
 * (include/uapi/linux/tls.h) by doing the record layer at the MPTCP-level
 * socket (msk): TX seals records and hands the bytes to MPTCP's own sendmsg,
 * RX pulls the byte stream from MPTCP's recvmsg, cuts it into records and
 * opens them.  MPTCP decides how bytes spread over subflows; records never see
 * subflows, so a connection that fell back to plain TCP works the same way.
 */
#ifndef MPTLS_H
#define MPTLS_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/scatterlist.h>
#include <linux/net.h>
#include <linux/tls.h>
#include <net/sock.h>
#include <net/inet_connection_sock.h>
#include <net/tcp.h>
#include <crypto/aead.h>

#include "record.h"

#define MPTLS_MAX_IV		12	/* salt + per-record IV, the AEAD nonce */
#define MPTLS_MAX_KEY		32
#define MPTLS_MAX_TAG		16
#define MPTLS_REC_SEQ_SIZE	8
#define MPTLS_AAD_TLS12		13	/* seq, type, version, length */
#define MPTLS_MAX_NONCE_BUF	16	/* ccm(aes) wants a 16-byte counter block */

/* One row per cipher: every check and size derives from it (cipher.c). */
struct mptls_cipher_desc {
	u16 cipher_type;	/* TLS_CIPHER_* */
	const char *name;	/* for messages */
	const char *crypto_alg;	/* kernel crypto API name */
	u16 info_size;		/* sizeof the uapi tls12_crypto_info_* struct */
	u8 key_size, salt_size, iv_size, tag_size;
	u8 key_off, salt_off, iv_off, rec_seq_off;	/* offsets in that struct */
	/* TLS 1.2 records carry iv_size bytes of explicit nonce (AES-GCM/CCM). */
	bool tls12_explicit_nonce;
	/* ccm() takes the nonce inside a 16-byte block whose first byte is L-1. */
	bool ccm_nonce_block;
	bool tls12_only;	/* ARIA */
};

/* The crypto state of one direction. */
struct mptls_cipher_state {
	const struct mptls_cipher_desc *desc;
	u16 version;				/* TLS_1_2_VERSION or TLS_1_3_VERSION */
	struct crypto_aead *aead;
	struct aead_request *req;		/* one at a time: the direction's lock */
	u8 iv[MPTLS_MAX_IV];			/* salt || per-record IV */
	u8 nonce[MPTLS_MAX_NONCE_BUF];		/* built per record */
	u8 aad[MPTLS_AAD_TLS12];		/* in the ctx, not on the stack: sg needs it */
	u8 inner_type;				/* TLS 1.3 type byte sealed from pages */
	u8 rec_seq[MPTLS_REC_SEQ_SIZE];		/* big-endian, next record */
	struct mptls_record_limits limits;
	/* The uapi struct as userspace gave it, for getsockopt.  Holds the key. */
	union {
		struct tls_crypto_info info;
		struct tls12_crypto_info_aes_gcm_128 aes_gcm_128;
		struct tls12_crypto_info_aes_gcm_256 aes_gcm_256;
		struct tls12_crypto_info_aes_ccm_128 aes_ccm_128;
		struct tls12_crypto_info_chacha20_poly1305 chacha20_poly1305;
	} conf;
};

/* A decrypted record waiting to be read (RX). */
struct mptls_rx_rec {
	struct list_head list;
	u8 type;		/* content type (inner type for TLS 1.3) */
	unsigned int off;	/* plaintext already consumed */
	unsigned int len;	/* plaintext length */
	unsigned int data;	/* offset of the plaintext in buf */
	unsigned int cap;	/* bytes of buf */
	u8 buf[];		/* the record as received, opened in place */
};

/*
 * A piece of the open record's plaintext (tx.c): a page the record holds a
 * reference on, or (page NULL) bytes copied into the record buffer at their
 * place, @off then being their offset in the plaintext.
 */
struct mptls_tx_frag {
	struct page *page;
	unsigned int off, len;
};
#define MPTLS_TX_FRAGS		16	/* 16 KiB spans 5 pages; splice brings more pieces */

struct mptls_tx {
	/*
	 * Serialises everything that touches the record buffer.  Senders hold
	 * it while they sleep in MPTCP's sendmsg; see tx.c for who may wait
	 * for it and who only tries it.  Taken before the msk lock.
	 */
	struct mutex lock;
	struct mptls_cipher_state cs;
	u8 *buf;			/* one record: header | nonce | plaintext | tag;
					 * allocated by the first send (buf.c) */
	/* Plaintext gathered for a record not sealed yet (MSG_MORE). */
	unsigned int open_len;
	u8 open_type;
	unsigned int nr_frags;		/* its pieces, in order */
	struct mptls_tx_frag *frags;	/* in buf's allocation, after the record */
	struct scatterlist *plain_sg;	/* ditto: the seal's source list */
	/* Sealed bytes MPTCP has not taken yet; read locklessly by poll. */
	unsigned int pending_off, pending_len;
	int err;			/* sticky: sequence space ran out, or MPTCP
					 * refused our bytes for good */
	bool zerocopy_ro;		/* TLS_TX_ZEROCOPY_RO, accepted for the API */
	/* Lockless flags, each paired with a barrier (tx.c). */
	bool fin_deferred;		/* shutdown(SHUT_WR) waits for our last record */
	bool sender_blocked;		/* a sender sleeps in MPTCP's sendmsg */
	bool poll_waiting;		/* poll saw pending bytes; wake it when gone */
	/* Pushes pending bytes; queued when MPTCP frees send space. */
	struct delayed_work push_work;
	/*
	 * On the socket's wait queue only while sealed bytes wait for send
	 * space (tx.c); under lock.  Stopped for good at close.
	 */
	struct wait_queue_entry wake;
	bool wake_armed, wake_stopped;
};

struct mptls_rx {
	/*
	 * Serialises readers, who hold it while they sleep in MPTCP's
	 * recvmsg; see rx.c.  Taken before the msk lock.
	 */
	struct mutex lock;
	struct mptls_cipher_state cs;
	/* The record being reassembled from the byte stream. */
	struct mptls_rx_rec *asm_rec;
	unsigned int asm_have;		/* bytes of it received */
	unsigned int asm_len;		/* its full length, 0 until the header is in */
	struct list_head ready;		/* opened records, oldest first */
	unsigned int nr_queued;		/* buffers in ready and asm_rec */
	u8 hdr[MPTLS_HEADER_SIZE];	/* the next record's header, read before
					 * a buffer is taken for the record */
	struct mptls_rx_rec *spare;	/* one buffer kept while records flow;
					 * idle.c frees it when they stop */
	int err;			/* sticky: a record failed to open */
	int stopped;			/* a framing error stopped the parser */
	bool eof;			/* MPTCP reported the end of the stream */
	bool no_pad;			/* TLS_RX_EXPECT_NO_PAD */
	bool poll_contended;		/* poll found the lock held (lockless) */
	/*
	 * TLS 1.3: a KeyUpdate came in; nothing more is opened until TLS_RX
	 * brings the next key (mptls_rx_rekey()).  Read locklessly by poll.
	 */
	bool key_update_pending;
	struct mptls_hs_scan hs_scan;	/* where handshake messages stand */
	/*
	 * TCP_INQ as the user set it once TLS_RX is on: MPTCP's own is ours
	 * then, for poll's byte count (rx.c).  Under rx.lock.
	 */
	bool user_inq;
};

/*
 * Per-socket context, hung off the msk's icsk_ulp_data (MPTCP uses that field
 * only on subflows).  Created by TCP_ULP "tls", freed at close.
 */
struct mptls_ctx {
	/* Read-mostly: the socket's original protocol, restored at close. */
	struct proto *sk_proto;
	const struct proto_ops *sk_ops;
	struct sock *sk;
	bool tx_ready, rx_ready;	/* written under both the msk lock and the dir lock */

	struct mptls_tx tx;
	struct mptls_rx rx;
	/* idle.c: frees the record buffers once the connection is quiet */
	struct delayed_work idle_work;
	unsigned long last_active;	/* jiffies of the last send or read */
	struct rcu_head rcu;
};

static inline struct mptls_ctx *mptls_get_ctx(const struct sock *sk)
{
	/* Our own sk_prot is installed only after the pointer is published. */
	return (__force struct mptls_ctx *)inet_csk(sk)->icsk_ulp_data;
}

/* main.c: the original MPTCP entry points we wrap. */
int mptls_orig_setsockopt(struct sock *sk, int level, int optname,
			  sockptr_t optval, unsigned int optlen);
int mptls_orig_getsockopt(struct sock *sk, int level, int optname,
			  char __user *optval, int __user *optlen);

/* proto.c: per-socket proto and proto_ops with our methods. */
void mptls_restore_proto(struct sock *sk, struct mptls_ctx *ctx);

/* sockopt.c */
bool mptls_is_tls_ulp(sockptr_t optval, unsigned int optlen);
int mptls_attach(struct sock *sk);
int mptls_setsockopt(struct sock *sk, int level, int optname,
		     sockptr_t optval, unsigned int optlen);
int mptls_getsockopt(struct sock *sk, int level, int optname,
		     char __user *optval, int __user *optlen);
void mptls_ctx_free(struct sock *sk, struct mptls_ctx *ctx);

/* cipher.c */
const struct mptls_cipher_desc *mptls_cipher_lookup(u16 cipher_type);
int mptls_cipher_init(struct mptls_cipher_state *cs, sockptr_t optval,
		      unsigned int optlen, const struct mptls_cipher_state *other);
struct mptls_cipher_state *mptls_cipher_next(const struct mptls_cipher_state *cs,
					     sockptr_t optval, unsigned int optlen);
void mptls_cipher_swap(struct mptls_cipher_state *cs, struct mptls_cipher_state *next);
void mptls_cipher_free(struct mptls_cipher_state *cs);
int mptls_cipher_getsockopt(const struct mptls_cipher_state *cs,
			    char __user *optval, int __user *optlen);
unsigned int mptls_cipher_prepend(const struct mptls_cipher_state *cs);
int mptls_seal(struct mptls_cipher_state *cs, u8 *rec, u8 type,
	       struct scatterlist *plain, unsigned int nr,
	       unsigned int plain_len, unsigned int *rec_len);
int mptls_open(struct mptls_cipher_state *cs, u8 *rec, unsigned int rec_len,
	       u8 *type, unsigned int *data_off, unsigned int *plain_len);
int mptls_open_into(struct mptls_cipher_state *cs, u8 *rec, unsigned int rec_len,
		    struct scatterlist *out);
int mptls_open_accept(struct mptls_cipher_state *cs);

/* buf.c: record buffers */
void *mptls_buf_alloc(size_t size);
void mptls_buf_free(void *buf, size_t wipe_len);
int mptls_buf_sg(struct scatterlist *sg, int nents, void *buf, unsigned int len);

/* tx.c */
void mptls_tx_setup(struct mptls_ctx *ctx);
int mptls_tx_lock(struct sock *sk, struct mptls_ctx *ctx, bool nonblock);
void mptls_tx_unlock(struct mptls_ctx *ctx);
void mptls_tx_wake_stop(struct sock *sk, struct mptls_ctx *ctx);
void mptls_tx_close(struct sock *sk, struct mptls_ctx *ctx);
bool mptls_tx_shutdown(struct sock *sk, struct mptls_ctx *ctx);
int mptls_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
#ifdef MPTLS_HAVE_PROTO_SENDPAGE
int mptls_sendpage(struct sock *sk, struct page *page, int offset, size_t size,
		   int flags);
#endif
void mptls_tx_flush(struct sock *sk, struct mptls_ctx *ctx);
bool mptls_tx_writable(struct sock *sk, struct mptls_ctx *ctx);
int mptls_tx_getsockopt(struct sock *sk, struct mptls_ctx *ctx,
			char __user *optval, int __user *optlen);
int mptls_tx_rekey(struct sock *sk, struct mptls_ctx *ctx, sockptr_t optval,
		   unsigned int optlen);
void mptls_tx_free(struct mptls_ctx *ctx);
void mptls_tx_release_idle(struct mptls_ctx *ctx);

/* rx.c */
int mptls_rx_init(struct mptls_ctx *ctx);
int mptls_rx_lock(struct sock *sk, struct mptls_ctx *ctx, bool nonblock);
void mptls_rx_unlock(struct sock *sk, struct mptls_ctx *ctx);
int mptls_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		  int flags, int *addr_len);
bool mptls_rx_readable(struct sock *sk, struct mptls_ctx *ctx, __poll_t mptcp_mask);
int mptls_rx_set_inq(struct sock *sk, struct mptls_ctx *ctx, bool on);
int mptls_rx_set_user_inq(struct sock *sk, struct mptls_ctx *ctx,
			  sockptr_t optval, unsigned int optlen);
int mptls_rx_get_user_inq(struct sock *sk, struct mptls_ctx *ctx,
			  char __user *optval, int __user *optlen);
int mptls_rx_peek_type(struct sock *sk, struct mptls_ctx *ctx, bool nonblock);
int mptls_rx_getsockopt(struct sock *sk, struct mptls_ctx *ctx,
			char __user *optval, int __user *optlen);
int mptls_rx_rekey(struct sock *sk, struct mptls_ctx *ctx, sockptr_t optval,
		   unsigned int optlen);
void mptls_rx_free(struct mptls_ctx *ctx);
void mptls_rx_release_idle(struct mptls_ctx *ctx);

/* idle.c */
void mptls_idle_init(struct mptls_ctx *ctx);
void mptls_idle_touch(struct mptls_ctx *ctx);
void mptls_idle_stop(struct mptls_ctx *ctx);

/* proc.c: /proc/net/mptls_stat, per network namespace. */
enum mptls_stat {
	MPTLS_STAT_CURR_TX,
	MPTLS_STAT_CURR_RX,
	MPTLS_STAT_TX,
	MPTLS_STAT_RX,
	MPTLS_STAT_DECRYPT_ERROR,
	MPTLS_STAT_RX_BAD_RECORD,
	MPTLS_STAT_REKEY_REFUSED,
	MPTLS_STAT_CONF_REFUSED,
	MPTLS_STAT_CTX,
	MPTLS_STAT_CURR_CTX,
	MPTLS_STAT_IDLE_BUF_FREE,
	MPTLS_STAT_TX_CLOSE_DROP,
	MPTLS_STAT_TX_SEAL_BY_REF,
	MPTLS_STAT_RX_OPEN_DIRECT,
	MPTLS_STAT_RX_DIRECT_RETRY,
	MPTLS_STAT_TX_REKEY_OK,
	MPTLS_STAT_RX_REKEY_OK,
	MPTLS_STAT_TX_REKEY_ERROR,
	MPTLS_STAT_RX_REKEY_ERROR,
	MPTLS_STAT_RX_REKEY_RECEIVED,
	MPTLS_STAT_MAX
};
int mptls_proc_init(void);
void mptls_proc_exit(void);
void mptls_stat_add(const struct sock *sk, enum mptls_stat stat, long delta);
#define mptls_stat_inc(sk, s)	mptls_stat_add(sk, s, 1)
#define mptls_stat_dec(sk, s)	mptls_stat_add(sk, s, -1)

/* Fatal stream errors all go through here: record it and wake everyone. */
static inline void mptls_report_error(struct sock *sk, int err)
{
	WRITE_ONCE(sk->sk_err, -err);
	/* paired with the smp_rmb() in sock_error() callers */
	smp_wmb();
	sk_error_report(sk);
}

/* Wakes whoever polls or waits on the socket, as sk_stream_write_space() does. */
static inline void mptls_wake_pollers(struct sock *sk, __poll_t events)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, events);
	rcu_read_unlock();
}

#endif
