// SPDX-License-Identifier: GPL-2.0
/*
 * The socket options: TCP_ULP "tls" attaches a context, SOL_TLS configures
 * it.  Validation order and errnos follow net/tls/tls_main.c so that code
 * written for kTLS on TCP (OpenSSL, the kTLS selftest) sees no difference.
 *
 * Locking: TLS_TX takes tx.lock then the msk lock, TLS_RX rx.lock then the
 * msk lock, the order the data paths use (they take the msk lock inside
 * MPTCP's sendmsg/recvmsg).  The *_ready flags are set under both, so a data
 * path holding its own lock sees a stable answer.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sockptr.h>
#include <net/tcp.h>

#include "mptls.h"
#include "main.h"

bool mptls_is_tls_ulp(sockptr_t optval, unsigned int optlen)
{
	char name[TCP_ULP_NAME_MAX];
	long len;

	len = strncpy_from_sockptr(name, optval,
				   min_t(long, TCP_ULP_NAME_MAX - 1, optlen));
	if (len < 0)
		return false;	/* MPTCP answers for a bad pointer too */
	name[len] = '\0';
	return !strcmp(name, "tls");
}

/* TCP_ULP "tls" on a plain MPTCP socket. */
int mptls_attach(struct sock *sk)
{
	const struct mptls_base *base;
	struct mptls_ctx *ctx;
	int err;

	/* Failing means we are unloading: the socket keeps plain MPTCP. */
	if (!try_module_get(THIS_MODULE))
		return mptls_orig_setsockopt(sk, SOL_TCP, TCP_ULP, KERNEL_SOCKPTR("tls"), 4);

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx) {
		err = -ENOMEM;
		goto put_module;
	}
	mptls_tx_setup(ctx);
	mptls_rx_init(ctx);
	mptls_idle_init(ctx);
	ctx->sk = sk;

	lock_sock(sk);
	base = mptls_base_of(sk);
	err = -EEXIST;
	if (mptls_get_ctx(sk) || !base || base->prot != sk->sk_prot)
		goto unlock;
	/* As net/tls: only established connections (not listeners, not closed). */
	err = -ENOTCONN;
	if (sk->sk_state != TCP_ESTABLISHED || !sk->sk_socket)
		goto unlock;
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, (__force void *)ctx);
	mptls_install_proto(sk, ctx, base);
	release_sock(sk);
	mptls_stat_inc(sk, MPTLS_STAT_CTX);
	mptls_stat_inc(sk, MPTLS_STAT_CURR_CTX);
	return 0;

unlock:
	release_sock(sk);
	kfree(ctx);
put_module:
	module_put(THIS_MODULE);
	return err;
}

void mptls_ctx_free(struct sock *sk, struct mptls_ctx *ctx)
{
	mptls_idle_stop(ctx);
	if (ctx->tx_ready)
		mptls_stat_dec(sk, MPTLS_STAT_CURR_TX);
	if (ctx->rx_ready)
		mptls_stat_dec(sk, MPTLS_STAT_CURR_RX);
	mptls_stat_dec(sk, MPTLS_STAT_CURR_CTX);
	mptls_tx_free(ctx);
	mptls_rx_free(ctx);
	/* icsk_ulp_data readers (diag) use RCU */
	kfree_rcu(ctx, rcu);
}

/*
 * A second TLS_TX/TLS_RX.  TLS 1.3 takes it as a key update, as mainline
 * kTLS does since Linux 6.14 (6.1's and 6.12's tls.ko refuse it): same
 * version and cipher, EINVAL otherwise.  TLS 1.2 has no key update: EBUSY.
 * Caller holds the direction's lock.
 */
static int rekey(struct sock *sk, struct mptls_ctx *ctx, bool tx,
		 sockptr_t optval, unsigned int optlen)
{
	const struct mptls_cipher_state *cs = tx ? &ctx->tx.cs : &ctx->rx.cs;
	int err;

	if (cs->version != TLS_1_3_VERSION) {
		mptls_stat_inc(sk, MPTLS_STAT_REKEY_REFUSED);
		return -EBUSY;
	}
	err = tx ? mptls_tx_rekey(sk, ctx, optval, optlen) :
		   mptls_rx_rekey(sk, ctx, optval, optlen);
	if (tx)
		mptls_stat_inc(sk, err ? MPTLS_STAT_TX_REKEY_ERROR : MPTLS_STAT_TX_REKEY_OK);
	else
		mptls_stat_inc(sk, err ? MPTLS_STAT_RX_REKEY_ERROR : MPTLS_STAT_RX_REKEY_OK);
	return err;
}

static int set_crypto(struct sock *sk, struct mptls_ctx *ctx, bool tx,
		      sockptr_t optval, unsigned int optlen)
{
	struct mptls_cipher_state *cs = tx ? &ctx->tx.cs : &ctx->rx.cs;
	struct mptls_cipher_state *other = tx ? &ctx->rx.cs : &ctx->tx.cs;
	bool *ready = tx ? &ctx->tx_ready : &ctx->rx_ready;
	bool inq_on = false;
	int err;

	/* net/tls checks the pointer and the size before "already set". */
	if (sockptr_is_null(optval) || optlen < sizeof(struct tls_crypto_info)) {
		mptls_stat_inc(sk, MPTLS_STAT_CONF_REFUSED);
		return -EINVAL;
	}

	/* interruptible: a reader or sender may sleep in MPTCP holding it */
	err = tx ? mptls_tx_lock(sk, ctx, false) : mptls_rx_lock(sk, ctx, false);
	if (err)
		return err;
	/* written under the direction's lock too: stable here */
	if (*ready) {
		err = rekey(sk, ctx, tx, optval, optlen);
		goto unlock;
	}
	/* poll counts MPTCP's bytes with it from the first record (rx.c) */
	if (!tx) {
		err = mptls_rx_set_inq(sk, ctx, true);
		if (err)
			goto unlock;
		inq_on = true;
	}
	lock_sock(sk);
	err = mptls_cipher_init(cs, optval, optlen, other);
	if (err)
		goto refused;
	WRITE_ONCE(*ready, true);
	mptls_stat_inc(sk, tx ? MPTLS_STAT_TX : MPTLS_STAT_RX);
	mptls_stat_inc(sk, tx ? MPTLS_STAT_CURR_TX : MPTLS_STAT_CURR_RX);
	goto out;

refused:
	mptls_stat_inc(sk, MPTLS_STAT_CONF_REFUSED);
out:
	release_sock(sk);
	if (err && inq_on)
		mptls_rx_set_inq(sk, ctx, false);
unlock:
	if (tx)
		mptls_tx_unlock(ctx);
	else
		mptls_rx_unlock(sk, ctx);
	return err;
}

/* TLS_RX_EXPECT_NO_PAD means something only for TLS 1.3 RX, as in net/tls. */
static bool no_pad_applies(const struct mptls_ctx *ctx)
{
	lockdep_assert_held(&ctx->rx.lock);
	return ctx->rx_ready && ctx->rx.cs.version == TLS_1_3_VERSION;
}

static int set_u32_flag(sockptr_t optval, unsigned int optlen, bool exact, bool *flag)
{
	u32 val;

	if (sockptr_is_null(optval) || optlen < sizeof(val) ||
	    (exact && optlen != sizeof(val)))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (val > 1)
		return -EINVAL;
	*flag = val;
	return 0;
}

int mptls_setsockopt(struct sock *sk, int level, int optname,
		     sockptr_t optval, unsigned int optlen)
{
	struct mptls_ctx *ctx = mptls_get_ctx(sk);
	int err;

	if (level == SOL_TCP && optname == TCP_ULP)
		return -EEXIST;		/* as TCP with a ULP already set */
	if (level == SOL_TCP && optname == TCP_INQ && READ_ONCE(ctx->rx_ready))
		return mptls_rx_set_user_inq(sk, ctx, optval, optlen);
	if (level != SOL_TLS)
		return mptls_orig_setsockopt(sk, level, optname, optval, optlen);

	switch (optname) {
	case TLS_TX:
	case TLS_RX:
		return set_crypto(sk, ctx, optname == TLS_TX, optval, optlen);
#ifdef TLS_TX_ZEROCOPY_RO
	case TLS_TX_ZEROCOPY_RO:
		/* Accepted for the API; we always copy, so it changes nothing. */
		err = mptls_tx_lock(sk, ctx, false);
		if (err)
			return err;
		err = set_u32_flag(optval, optlen, true, &ctx->tx.zerocopy_ro);
		mptls_tx_unlock(ctx);
		return err;
#endif
#ifdef TLS_RX_EXPECT_NO_PAD
	case TLS_RX_EXPECT_NO_PAD:
		err = mptls_rx_lock(sk, ctx, false);
		if (err)
			return err;
		err = no_pad_applies(ctx) ?
		      set_u32_flag(optval, optlen, false, &ctx->rx.no_pad) : -EINVAL;
		mptls_rx_unlock(sk, ctx);
		return err;
#endif
	default:
		return -ENOPROTOOPT;
	}
}

static int get_flag(bool flag, char __user *optval, int __user *optlen)
{
	int len, val = flag;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < sizeof(val))
		return -EINVAL;
	if (put_user(sizeof(val), optlen) || copy_to_user(optval, &val, sizeof(val)))
		return -EFAULT;
	return 0;
}

/* As do_tcp_getsockopt(TCP_ULP): up to TCP_ULP_NAME_MAX bytes, NUL-padded. */
static int get_ulp_name(char __user *optval, int __user *optlen)
{
	static const char name[TCP_ULP_NAME_MAX] = "tls";
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	len = min_t(unsigned int, len, TCP_ULP_NAME_MAX);
	if (put_user(len, optlen) || copy_to_user(optval, name, len))
		return -EFAULT;
	return 0;
}

int mptls_getsockopt(struct sock *sk, int level, int optname,
		     char __user *optval, int __user *optlen)
{
	struct mptls_ctx *ctx = mptls_get_ctx(sk);
	int err;

	if (level == SOL_TCP && optname == TCP_ULP)
		return get_ulp_name(optval, optlen);
	if (level == SOL_TCP && optname == TCP_INQ && READ_ONCE(ctx->rx_ready))
		return mptls_rx_get_user_inq(sk, ctx, optval, optlen);
	if (level != SOL_TLS)
		return mptls_orig_getsockopt(sk, level, optname, optval, optlen);

	switch (optname) {
	case TLS_TX:
		return mptls_tx_getsockopt(sk, ctx, optval, optlen);
	case TLS_RX:
		return mptls_rx_getsockopt(sk, ctx, optval, optlen);
#ifdef TLS_TX_ZEROCOPY_RO
	case TLS_TX_ZEROCOPY_RO:
		return get_flag(READ_ONCE(ctx->tx.zerocopy_ro), optval, optlen);
#endif
#ifdef TLS_RX_EXPECT_NO_PAD
	case TLS_RX_EXPECT_NO_PAD:
		err = mptls_rx_lock(sk, ctx, false);
		if (err)
			return err;
		err = no_pad_applies(ctx) ? get_flag(ctx->rx.no_pad, optval, optlen) : -EINVAL;
		mptls_rx_unlock(sk, ctx);
		return err;
#endif
	default:
		return -ENOPROTOOPT;
	}
}
