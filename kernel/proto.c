// SPDX-License-Identifier: GPL-2.0
/*
 * The per-socket method tables.  Like net/tls (tls_build_proto), a socket
 * with TLS gets a copy of its MPTCP proto and proto_ops in which only our
 * methods differ; everything else still goes straight to MPTCP.  The tables
 * are built once at load, for the IPv4 and the IPv6 MPTCP protocols, because
 * those are the only bases a socket can have (main.c found them).
 */
#include <linux/fs.h>
#include <linux/splice.h>

#include "mptls.h"
#include "main.h"

static int mptls_disconnect(struct sock *sk, int flags)
{
	return -EOPNOTSUPP;	/* as net/tls: a TLS session cannot be reused */
}

/*
 * Close hands what the application sent to MPTCP without waiting (tx.c),
 * then puts the socket back to plain MPTCP before MPTCP closes it.
 */
static void mptls_close(struct sock *sk, long timeout)
{
	struct mptls_ctx *ctx = mptls_get_ctx(sk);
	struct proto *sk_proto = ctx->sk_proto;

	mptls_tx_wake_stop(sk, ctx);
	mptls_tx_close(sk, ctx);
	mptls_restore_proto(sk, ctx);
	mptls_ctx_free(sk, ctx);
	sk_proto->close(sk, timeout);
	/* The socket's reference: we return to MPTCP's text from here on. */
	module_put(THIS_MODULE);
}

/*
 * Only looks: MPTCP's answer, narrowed by ours.  Nothing is pushed, pulled,
 * decrypted or consumed (sk_err included), so any number of polls in a row
 * give the same answer.
 */
static __poll_t mptls_poll(struct file *file, struct socket *sock,
			   struct poll_table_struct *wait)
{
	struct sock *sk = sock->sk;
	struct mptls_ctx *ctx = mptls_get_ctx(sk);
	__poll_t mask = ctx->sk_ops->poll(file, sock, wait);

	if (READ_ONCE(ctx->rx_ready)) {
		if (mptls_rx_readable(sk, ctx, mask))
			mask |= EPOLLIN | EPOLLRDNORM;
		else
			mask &= ~(EPOLLIN | EPOLLRDNORM);
	}
	if ((mask & EPOLLOUT) && !mptls_tx_writable(sk, ctx))
		mask &= ~(EPOLLOUT | EPOLLWRNORM);
	return mask;
}

static int mptls_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	struct mptls_ctx *ctx = mptls_get_ctx(sk);

	/*
	 * how is SHUT_RD/SHUT_WR/SHUT_RDWR here (0, 1, 2).  MPTCP queues its
	 * DATA_FIN behind what it already holds, not behind our pending record;
	 * when that record must wait, the push work sends the DATA_FIN later.
	 */
	if ((how == SHUT_WR || how == SHUT_RDWR) && !mptls_tx_shutdown(sk, ctx))
		return how == SHUT_RDWR ? ctx->sk_ops->shutdown(sock, SHUT_RD) : 0;
	return ctx->sk_ops->shutdown(sock, how);
}

/*
 * splice from the socket: the data path is read_iter (our recvmsg), but a
 * control record cannot go into a pipe, so refuse it as net/tls does.
 */
static ssize_t mptls_splice_read(struct socket *sock, loff_t *ppos,
				 struct pipe_inode_info *pipe, size_t len,
				 unsigned int flags)
{
	struct sock *sk = sock->sk;
	struct mptls_ctx *ctx = mptls_get_ctx(sk);
	bool nonblock = (flags & SPLICE_F_NONBLOCK) ||
			(sock->file->f_flags & O_NONBLOCK);
	int type;

	if (READ_ONCE(ctx->rx_ready)) {
		type = mptls_rx_peek_type(sk, ctx, nonblock);
		if (type < 0)
			return type;
		if (type && type != MPTLS_TYPE_APP_DATA)
			return -EINVAL;
	}
#ifdef MPTLS_HAVE_COPY_SPLICE_READ
	return copy_splice_read(sock->file, ppos, pipe, len, flags);
#else
	return generic_file_splice_read(sock->file, ppos, pipe, len, flags);
#endif
}

#ifdef MPTLS_HAVE_SPLICE_EOF
/* The end of a sendfile/splice: seal a record that MSG_MORE left open. */
static void mptls_splice_eof(struct socket *sock)
{
	struct mptls_ctx *ctx = mptls_get_ctx(sock->sk);

	mptls_tx_flush(sock->sk, ctx);
}
#endif

void mptls_build_tables(struct mptls_base *base)
{
	struct proto *p = &base->tls_prot;
	struct proto_ops *ops = &base->tls_ops;

	*p = *base->prot;
	*ops = *base->ops;
	mptls_methods_apply(p, ops);

	p->setsockopt	= mptls_setsockopt;
	p->getsockopt	= mptls_getsockopt;
	p->sendmsg	= mptls_sendmsg;
	p->recvmsg	= mptls_recvmsg;
#ifdef MPTLS_HAVE_PROTO_SENDPAGE
	p->sendpage	= mptls_sendpage;	/* inet_sendpage calls it */
#endif
	p->close	= mptls_close;
	p->disconnect	= mptls_disconnect;

	ops->poll	 = mptls_poll;
	ops->shutdown	 = mptls_shutdown;
	ops->splice_read = mptls_splice_read;
#ifdef MPTLS_HAVE_SPLICE_EOF
	ops->splice_eof	 = mptls_splice_eof;
#endif
}

/* Caller holds the msk lock and has published ctx in icsk_ulp_data. */
void mptls_install_proto(struct sock *sk, struct mptls_ctx *ctx,
			 const struct mptls_base *base)
{
	sock_owned_by_me(sk);
	ctx->sk_proto = base->prot;
	ctx->sk_ops = sk->sk_socket->ops;
	WRITE_ONCE(sk->sk_socket->ops, &base->tls_ops);
	WRITE_ONCE(sk->sk_prot, (struct proto *)&base->tls_prot);
}

void mptls_restore_proto(struct sock *sk, struct mptls_ctx *ctx)
{
	lock_sock(sk);
	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, NULL);
	WRITE_ONCE(sk->sk_prot, ctx->sk_proto);
	if (sk->sk_socket)
		WRITE_ONCE(sk->sk_socket->ops, ctx->sk_ops);
	write_unlock_bh(&sk->sk_callback_lock);
	release_sock(sk);
}
