// SPDX-License-Identifier: GPL-2.0
/*
 * Deliberately bad: splats a WARNING with a Call Trace when loaded, and then
 * loads fine, so the command that loaded it succeeds.  The VM runner must still
 * fail the run.  See tests/vm-runner-selftest.
 */
#include <linux/module.h>

static int __init warn_test_init(void)
{
	WARN(1, "mptls_warn_test: deliberate warning for the VM runner self-test\n");
	return 0;
}

static void __exit warn_test_exit(void)
{
}

module_init(warn_test_init);
module_exit(warn_test_exit);
MODULE_LICENSE("GPL");
