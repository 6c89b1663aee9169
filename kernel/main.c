// SPDX-License-Identifier: GPL-2.0
/*
 * mptls: the Linux kTLS socket API on MPTCP sockets, as a module for stock
 * kernels.  This file only wires the pieces together at load and unload.
 */
#include <linux/module.h>

static int __init mptls_init(void)
{
	return 0;
}

static void __exit mptls_exit(void)
{
}

module_init(mptls_init);
module_exit(mptls_exit);

MODULE_DESCRIPTION("Kernel TLS (kTLS socket API) for Multipath TCP sockets");
MODULE_LICENSE("GPL");
