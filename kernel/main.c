// SPDX-License-Identifier: GPL-2.0
/*
 * mptls: the Linux kTLS socket API on MPTCP sockets, as a module for stock
 * kernels.
 *
 * Stock MPTCP refuses TCP_ULP (ENOPROTOOPT).  At load we find MPTCP's struct
 * proto for each address family through a socket of our own and wrap its
 * setsockopt, so that TCP_ULP "tls" on an MPTCP socket reaches us.  Everything
 * else still goes to MPTCP, getsockopt included: without the ULP, MPTCP's
 * answers for SOL_TLS (EOPNOTSUPP) already match TCP's.  A socket that takes the ULP then gets
 * per-socket tables (proto.c) and holds a module reference until it closes.
 *
 * Unload: restoring the two pointers stops new calls, but a call may have
 * loaded the old pointer and not yet arrived, or be sleeping inside MPTCP
 * with our frame on its stack.  So the hooks count themselves in and out, and
 * exit waits for RCU-tasks (nobody between the pointer load and the count),
 * then for the count to drain, then for RCU-tasks again (nobody between the
 * count and the return).
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/rcupdate.h>
#include <linux/wait.h>
#include <net/sock.h>

#include "mptls.h"
#include "main.h"

struct mptls_base mptls_bases[2];
int mptls_nr_bases;

static atomic_t mptls_hook_calls = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(mptls_hook_drained);

const struct mptls_base *mptls_base_of(const struct sock *sk)
{
	const struct proto *prot = READ_ONCE(sk->sk_prot);
	int i;

	for (i = 0; i < mptls_nr_bases; i++)
		if (prot == mptls_bases[i].prot || prot == &mptls_bases[i].tls_prot)
			return &mptls_bases[i];
	return NULL;
}

int mptls_orig_setsockopt(struct sock *sk, int level, int optname,
			  sockptr_t optval, unsigned int optlen)
{
	const struct mptls_base *base = mptls_base_of(sk);

	if (WARN_ON_ONCE(!base))
		return -ENOPROTOOPT;
	return base->orig_setsockopt(sk, level, optname, optval, optlen);
}

int mptls_orig_getsockopt(struct sock *sk, int level, int optname,
			  char __user *optval, int __user *optlen)
{
	const struct mptls_base *base = mptls_base_of(sk);

	if (WARN_ON_ONCE(!base))
		return -ENOPROTOOPT;
	return base->orig_getsockopt(sk, level, optname, optval, optlen);
}

static void hook_enter(void)
{
	atomic_inc(&mptls_hook_calls);
}

static void hook_leave(void)
{
	if (atomic_dec_and_test(&mptls_hook_calls))
		wake_up(&mptls_hook_drained);
}

/* Installed in MPTCP's struct proto: sockets without TLS come here. */
static int mptls_hook_setsockopt(struct sock *sk, int level, int optname,
				 sockptr_t optval, unsigned int optlen)
{
	int ret;

	hook_enter();
	if (level == SOL_TCP && optname == TCP_ULP && mptls_is_tls_ulp(optval, optlen))
		ret = mptls_attach(sk);
	else
		ret = mptls_orig_setsockopt(sk, level, optname, optval, optlen);
	hook_leave();
	return ret;
}

/*
 * Finds MPTCP's proto and proto_ops for @family through a socket of ours,
 * and plain TCP's proto_ops the same way, then checks that we can wrap them.
 */
static int mptls_find_base(int family, struct mptls_base *base)
{
	struct socket *sock;
	int err;

	err = sock_create_kern(&init_net, family, SOCK_STREAM, IPPROTO_TCP, &sock);
	if (err)
		return err;
	base->tcp_ops = sock->ops;
	sock_release(sock);

	err = sock_create_kern(&init_net, family, SOCK_STREAM, IPPROTO_MPTCP, &sock);
	if (err)
		return err;
	base->prot = READ_ONCE(sock->sk->sk_prot);
	base->ops = sock->ops;
	sock_release(sock);
	return mptls_methods_check(base);
}

static void mptls_hook_install(struct mptls_base *base)
{
	base->orig_setsockopt = base->prot->setsockopt;
	base->orig_getsockopt = base->prot->getsockopt;
	/* The per-socket tables are copies; our methods replace these there. */
	mptls_build_tables(base);
	WRITE_ONCE(base->prot->setsockopt, mptls_hook_setsockopt);
}

static void mptls_hook_remove(void)
{
	int i;

	for (i = 0; i < mptls_nr_bases; i++) {
		WRITE_ONCE(mptls_bases[i].prot->setsockopt, mptls_bases[i].orig_setsockopt);
	}
	synchronize_rcu_tasks();
	wait_event(mptls_hook_drained, !atomic_read(&mptls_hook_calls));
	synchronize_rcu_tasks();
}

static int __init mptls_init(void)
{
	int err, i;

	err = mptls_find_base(AF_INET, &mptls_bases[0]);
	if (err == -EOPNOTSUPP)
		return err;	/* methods.c said why */
	if (err) {
		pr_err("MPTCP is not available (%d): is CONFIG_MPTCP on and net.mptcp.enabled=1?\n",
		       err);
		return err;
	}
	mptls_nr_bases = 1;
	/* IPv6 may be disabled at boot (ipv6.disable=1): then IPv4 only. */
	err = mptls_find_base(AF_INET6, &mptls_bases[1]);
	if (err == -EOPNOTSUPP)
		return err;
	if (!err)
		mptls_nr_bases = 2;

	err = mptls_proc_init();
	if (err)
		return err;

	for (i = 0; i < mptls_nr_bases; i++)
		mptls_hook_install(&mptls_bases[i]);
	mptls_methods_debugfs_init();
	pr_info("kTLS for MPTCP ready (IPv4%s)\n", mptls_nr_bases == 2 ? ", IPv6" : "");
	return 0;
}

static void __exit mptls_exit(void)
{
	mptls_methods_debugfs_exit();
	mptls_hook_remove();
	mptls_proc_exit();
}

module_init(mptls_init);
module_exit(mptls_exit);

MODULE_DESCRIPTION("Kernel TLS (kTLS socket API) for Multipath TCP sockets");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1");
