// SPDX-License-Identifier: GPL-2.0
/*
 * Deliberately bad: its init sleeps hang_secs seconds with msleep(), which
 * sleeps in TASK_UNINTERRUPTIBLE, so the insmod that loads it sits in D state
 * long enough for the kernel's hung-task detector to report "INFO: task
 * insmod:PID blocked for more than N seconds".  Then it loads fine, so the
 * command succeeds; the VM runner must still fail the run.  Nothing is left
 * running: no thread, no timer, an empty exit.  See tests/vm-runner-selftest.
 */
#include <linux/delay.h>
#include <linux/module.h>

static unsigned int hang_secs = 15;
module_param(hang_secs, uint, 0444);
MODULE_PARM_DESC(hang_secs, "seconds that module init blocks uninterruptibly (default 15)");

static int __init hang_test_init(void)
{
	pr_info("mptls_hang_test: blocking uninterruptibly for %u s for the VM runner self-test\n",
		hang_secs);
	msleep(hang_secs * 1000);
	return 0;
}

static void __exit hang_test_exit(void)
{
}

module_init(hang_test_init);
module_exit(hang_test_exit);
MODULE_LICENSE("GPL");
