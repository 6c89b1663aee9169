// SPDX-License-Identifier: GPL-2.0
/*
 * Deliberately buggy, for tests/check-debug --selftest: loaded with bug=NAME
 * on the debug kernel (scripts/debug-kernel), it commits that one bug and
 * loads fine, so the command succeeds and only the kernel's checks can fail
 * the run:
 *
 *   uaf    reads freed memory                   KASAN: slab-use-after-free
 *   abba   takes two mutexes in both orders     lockdep: possible circular locking
 *   sleep  GFP_KERNEL under a spinlock          BUG: sleeping function called ...
 *   leak   loses the only pointer to 4 objects  kmemleak: unreferenced object
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

static char *bug = "";
module_param(bug, charp, 0444);

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);
static DEFINE_SPINLOCK(spin);

static noinline void use_after_free(void)
{
	char *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return;
	kfree(p);
	pr_info("read %d after free\n", READ_ONCE(p[8]));
}

static noinline void lock_inversion(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);

	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
}

static noinline void sleep_in_atomic(void)
{
	void *p;

	spin_lock(&spin);
	p = kmalloc(64, GFP_KERNEL);	/* may sleep: GFP_ATOMIC it must be */
	spin_unlock(&spin);
	kfree(p);
}

static noinline void leak(void)
{
	void * volatile p;
	int i;

	for (i = 0; i < 4; i++) {
		p = kmalloc(128, GFP_KERNEL);
		if (p)
			memset(p, 0x5a, 128);	/* no stray pointers inside */
	}
	p = NULL;
}

static int __init debug_bugs_init(void)
{
	if (!strcmp(bug, "uaf"))
		use_after_free();
	else if (!strcmp(bug, "abba"))
		lock_inversion();
	else if (!strcmp(bug, "sleep"))
		sleep_in_atomic();
	else if (!strcmp(bug, "leak"))
		leak();
	else
		return -EINVAL;
	return 0;
}

static void __exit debug_bugs_exit(void)
{
}

module_init(debug_bugs_init);
module_exit(debug_bugs_exit);
MODULE_DESCRIPTION("mptls: deliberate bugs for the debug kernel's self-test");
MODULE_LICENSE("GPL");
