// SPDX-License-Identifier: GPL-2.0
/*
 * Fail closed.  A socket with TLS runs on copies of MPTCP's proto and
 * proto_ops (proto.c), so a data-path method we did not replace would move
 * plaintext past the record layer.  Every slot that can move data is named
 * here with what it must hold in our copy:
 *
 *   OURS     our wrapper (proto.c sets it);
 *   GENERIC  the socket layer's generic method, which calls sk_prot's
 *            sendmsg/recvmsg (ours): exactly what plain TCP of the same
 *            family has there (inet_sendmsg, inet6_recvmsg...), or a
 *            sock_no_* refusal;
 *   REFUSED  NULL in our copy whatever MPTCP has: callers then take the
 *            generic path or get EOPNOTSUPP (read_sock, sendmsg_locked...).
 *
 * proto_ops is checked whole at load: it is all methods after family and
 * owner, so mptls_methods_check() walks it slot by slot and refuses to load
 * when MPTCP fills a slot this file does not name (a kernel newer than this
 * list) or fills a GENERIC slot with anything else.  struct proto mixes
 * methods with data, so its data-path methods are listed and handled one by
 * one.  /sys/kernel/debug/mptls/methods shows the installed tables, for the
 * test that checks them (tests/kernel).
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "mptls.h"
#include "main.h"

enum slot_kind { SLOT_CONTROL, SLOT_OURS, SLOT_GENERIC, SLOT_REFUSED };

static const char *const slot_kind_names[] = {
	[SLOT_CONTROL] = "control", [SLOT_OURS] = "ours",
	[SLOT_GENERIC] = "generic", [SLOT_REFUSED] = "refused",
};

struct ops_slot {
	const char *name;
	size_t off;
	enum slot_kind kind;
};

#define OPS_SLOT(field, kind) { #field, offsetof(struct proto_ops, field), kind }

static const struct ops_slot ops_slots[] = {
	OPS_SLOT(release,	SLOT_CONTROL),
	OPS_SLOT(bind,		SLOT_CONTROL),
	OPS_SLOT(connect,	SLOT_CONTROL),
	OPS_SLOT(socketpair,	SLOT_CONTROL),
	OPS_SLOT(accept,	SLOT_CONTROL),
	OPS_SLOT(getname,	SLOT_CONTROL),
	OPS_SLOT(poll,		SLOT_OURS),
	OPS_SLOT(ioctl,		SLOT_CONTROL),
#ifdef CONFIG_COMPAT
	OPS_SLOT(compat_ioctl,	SLOT_CONTROL),
#endif
	OPS_SLOT(gettstamp,	SLOT_CONTROL),
	OPS_SLOT(listen,	SLOT_CONTROL),
	OPS_SLOT(shutdown,	SLOT_OURS),
	OPS_SLOT(setsockopt,	SLOT_CONTROL),
	OPS_SLOT(getsockopt,	SLOT_CONTROL),
#ifdef MPTLS_HAVE_GETSOCKOPT_ITER
	OPS_SLOT(getsockopt_iter, SLOT_CONTROL),
#endif
	OPS_SLOT(show_fdinfo,	SLOT_CONTROL),
	OPS_SLOT(sendmsg,	SLOT_GENERIC),
	OPS_SLOT(recvmsg,	SLOT_GENERIC),
	OPS_SLOT(mmap,		SLOT_GENERIC),
#ifdef MPTLS_HAVE_OPS_SENDPAGE
	OPS_SLOT(sendpage,	SLOT_GENERIC),
	OPS_SLOT(sendpage_locked, SLOT_REFUSED),
#endif
	OPS_SLOT(splice_read,	SLOT_OURS),
#ifdef MPTLS_HAVE_SPLICE_EOF
	OPS_SLOT(splice_eof,	SLOT_OURS),
#endif
	OPS_SLOT(set_peek_off,	SLOT_REFUSED),
	OPS_SLOT(peek_len,	SLOT_REFUSED),
	OPS_SLOT(read_sock,	SLOT_REFUSED),
#ifdef MPTLS_HAVE_READ_SKB
	OPS_SLOT(read_skb,	SLOT_REFUSED),
#endif
	OPS_SLOT(sendmsg_locked, SLOT_REFUSED),
	OPS_SLOT(set_rcvlowat,	SLOT_CONTROL),
};

/* The methods after family and owner; the walk below relies on it. */
#define OPS_FIRST_METHOD	offsetof(struct proto_ops, release)

static void *ops_slot_get(const struct proto_ops *ops, size_t off)
{
	return *(void *const *)((const u8 *)ops + off);
}

static void ops_slot_set(struct proto_ops *ops, size_t off, void *fn)
{
	*(void **)((u8 *)ops + off) = fn;
}

static const struct ops_slot *ops_slot_at(size_t off)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ops_slots); i++)
		if (ops_slots[i].off == off)
			return &ops_slots[i];
	return NULL;
}

/* May a GENERIC slot hold @fn?  @tcp_ops is plain TCP's, same family. */
static bool generic_ok(const struct proto_ops *tcp_ops, size_t off, const void *fn)
{
	if (!fn || fn == ops_slot_get(tcp_ops, off))
		return true;
	if (off == offsetof(struct proto_ops, mmap))
		return fn == sock_no_mmap;
#ifdef MPTLS_HAVE_OPS_SENDPAGE
	if (off == offsetof(struct proto_ops, sendpage))
		return fn == sock_no_sendpage;
#endif
	return false;
}

/* At load, before anything is hooked: can we wrap this MPTCP? */
int mptls_methods_check(const struct mptls_base *base)
{
	const struct proto_ops *ops = base->ops;
	size_t off;

	BUILD_BUG_ON((sizeof(struct proto_ops) - OPS_FIRST_METHOD) % sizeof(void *));
	for (off = OPS_FIRST_METHOD; off < sizeof(struct proto_ops); off += sizeof(void *)) {
		const struct ops_slot *slot = ops_slot_at(off);
		void *fn = ops_slot_get(ops, off);

		if (!slot && fn) {
			pr_err("MPTCP's proto_ops has a method mptls does not know (%ps at offset %zu): refusing to load, it could move data past TLS\n",
			       fn, off);
			return -EOPNOTSUPP;
		}
		if (slot && slot->kind == SLOT_GENERIC && !generic_ok(base->tcp_ops, off, fn)) {
			pr_err("MPTCP's proto_ops.%s is %ps, not the generic method mptls expects: refusing to load\n",
			       slot->name, fn);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/* While building the tables: what we refuse goes, in both. */
void mptls_methods_apply(struct proto *p, struct proto_ops *ops)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ops_slots); i++)
		if (ops_slots[i].kind == SLOT_REFUSED)
			ops_slot_set(ops, ops_slots[i].off, NULL);
	/* struct proto: its data-path methods besides sendmsg/recvmsg */
#ifdef MPTLS_HAVE_PROTO_SPLICE_EOF
	p->splice_eof = NULL;		/* ops->splice_eof is ours */
#endif
	p->sock_is_readable = NULL;	/* for sockmap; ours would be wrong */
#ifdef CONFIG_BPF_SYSCALL
	p->psock_update_sk_prot = NULL;	/* no sockmap: it would bypass us */
#endif
}

static struct dentry *methods_dir;

static int methods_show(struct seq_file *m, void *v)
{
	int i, b;

	for (b = 0; b < mptls_nr_bases; b++) {
		const struct mptls_base *base = &mptls_bases[b];
		const struct proto *p = &base->tls_prot;

		for (i = 0; i < ARRAY_SIZE(ops_slots); i++)
			seq_printf(m, "%s proto_ops.%s %s %ps\n", p->name, ops_slots[i].name,
				   slot_kind_names[ops_slots[i].kind],
				   ops_slot_get(&base->tls_ops, ops_slots[i].off));
		seq_printf(m, "%s proto.sendmsg ours %ps\n", p->name, p->sendmsg);
		seq_printf(m, "%s proto.recvmsg ours %ps\n", p->name, p->recvmsg);
#ifdef MPTLS_HAVE_PROTO_SENDPAGE
		seq_printf(m, "%s proto.sendpage ours %ps\n", p->name, p->sendpage);
#endif
#ifdef MPTLS_HAVE_PROTO_SPLICE_EOF
		seq_printf(m, "%s proto.splice_eof refused %ps\n", p->name, p->splice_eof);
#endif
		seq_printf(m, "%s proto.sock_is_readable refused %ps\n", p->name,
			   p->sock_is_readable);
#ifdef CONFIG_BPF_SYSCALL
		seq_printf(m, "%s proto.psock_update_sk_prot refused %ps\n", p->name,
			   p->psock_update_sk_prot);
#endif
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(methods);

void mptls_methods_debugfs_init(void)
{
	methods_dir = debugfs_create_dir("mptls", NULL);
	debugfs_create_file("methods", 0400, methods_dir, NULL, &methods_fops);
}

void mptls_methods_debugfs_exit(void)
{
	debugfs_remove_recursive(methods_dir);
}
