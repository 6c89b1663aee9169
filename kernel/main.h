/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MPTCP protocols we hook, one per address family, and the per-socket
 * tables derived from them (proto.c).
 */
#ifndef MPTLS_MAIN_H
#define MPTLS_MAIN_H

#include <net/sock.h>

struct mptls_base {
	/* MPTCP's own, found through a socket we create at load. */
	struct proto *prot;
	const struct proto_ops *ops;
	/* Plain TCP's proto_ops, same family: the generic methods (methods.c). */
	const struct proto_ops *tcp_ops;
	/* Its methods before we hooked them. */
	int (*orig_setsockopt)(struct sock *sk, int level, int optname,
			       sockptr_t optval, unsigned int optlen);
	int (*orig_getsockopt)(struct sock *sk, int level, int optname,
			       char __user *optval, int __user *optlen);
	/* What a socket with TLS uses instead. */
	struct proto tls_prot;
	struct proto_ops tls_ops;
};

extern struct mptls_base mptls_bases[2];	/* IPv4, IPv6 (if available) */
extern int mptls_nr_bases;

const struct mptls_base *mptls_base_of(const struct sock *sk);
void mptls_build_tables(struct mptls_base *base);
void mptls_install_proto(struct sock *sk, struct mptls_ctx *ctx,
			 const struct mptls_base *base);

/* methods.c */
int mptls_methods_check(const struct mptls_base *base);
void mptls_methods_apply(struct proto *p, struct proto_ops *ops);
void mptls_methods_debugfs_init(void);
void mptls_methods_debugfs_exit(void);

#endif
