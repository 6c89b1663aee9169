// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/mptls_stat: counters per network namespace, named after
 * /proc/net/tls_stat so the same tools read both.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "mptls.h"

static const char *const mptls_stat_names[MPTLS_STAT_MAX] = {
	[MPTLS_STAT_CURR_TX]		= "TlsCurrTxSw",
	[MPTLS_STAT_CURR_RX]		= "TlsCurrRxSw",
	[MPTLS_STAT_TX]			= "TlsTxSw",
	[MPTLS_STAT_RX]			= "TlsRxSw",
	[MPTLS_STAT_DECRYPT_ERROR]	= "TlsDecryptError",
	[MPTLS_STAT_RX_BAD_RECORD]	= "TlsRxBadRecord",
	[MPTLS_STAT_REKEY_REFUSED]	= "TlsRekeyRefused",
	[MPTLS_STAT_CONF_REFUSED]	= "TlsConfRefused",
	[MPTLS_STAT_CTX]		= "TlsUlpAttached",
	[MPTLS_STAT_CURR_CTX]		= "TlsCurrUlp",
	[MPTLS_STAT_IDLE_BUF_FREE]	= "MptlsIdleBufFree",
	[MPTLS_STAT_TX_CLOSE_DROP]	= "MptlsTxCloseDrop",
	/* where the copies went (tx.c, rx.c) */
	[MPTLS_STAT_TX_SEAL_BY_REF]	= "MptlsTxSealByRef",
	[MPTLS_STAT_RX_OPEN_DIRECT]	= "MptlsRxOpenDirect",
	[MPTLS_STAT_RX_DIRECT_RETRY]	= "MptlsRxDirectRetry",
	/* TLS 1.3 key updates, named as mainline net/tls counts them */
	[MPTLS_STAT_TX_REKEY_OK]	= "TlsTxRekeyOk",
	[MPTLS_STAT_RX_REKEY_OK]	= "TlsRxRekeyOk",
	[MPTLS_STAT_TX_REKEY_ERROR]	= "TlsTxRekeyError",
	[MPTLS_STAT_RX_REKEY_ERROR]	= "TlsRxRekeyError",
	[MPTLS_STAT_RX_REKEY_RECEIVED]	= "TlsRxRekeyReceived",
};

struct mptls_net {
	atomic_long_t stats[MPTLS_STAT_MAX];
};

static unsigned int mptls_net_id __read_mostly;

void mptls_stat_add(const struct sock *sk, enum mptls_stat stat, long delta)
{
	struct mptls_net *mn = net_generic(sock_net(sk), mptls_net_id);

	atomic_long_add(delta, &mn->stats[stat]);
}

static int mptls_stat_show(struct seq_file *seq, void *v)
{
	struct mptls_net *mn = net_generic(seq_file_single_net(seq), mptls_net_id);
	int i;

	for (i = 0; i < MPTLS_STAT_MAX; i++)
		seq_printf(seq, "%-32s\t%ld\n", mptls_stat_names[i],
			   atomic_long_read(&mn->stats[i]));
	return 0;
}

static int __net_init mptls_net_init(struct net *net)
{
	if (!proc_create_net_single("mptls_stat", 0444, net->proc_net,
				    mptls_stat_show, NULL))
		return -ENOMEM;
	return 0;
}

static void __net_exit mptls_net_exit(struct net *net)
{
	remove_proc_entry("mptls_stat", net->proc_net);
}

static struct pernet_operations mptls_net_ops = {
	.init = mptls_net_init,
	.exit = mptls_net_exit,
	.id   = &mptls_net_id,
	.size = sizeof(struct mptls_net),
};

int mptls_proc_init(void)
{
	return register_pernet_subsys(&mptls_net_ops);
}

void mptls_proc_exit(void)
{
	unregister_pernet_subsys(&mptls_net_ops);
}
