// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_warn.c - a test module that makes the kernel log dirty on purpose.
 *
 * Used only by the VM runner's self-test (scripts/vm-run-selftest.sh) to
 * prove that scripts/vm-run.sh fails a run whose guest kernel printed a
 * WARNING. Loading with warn=0 (the default) does nothing, so the same
 * module also shows that a clean load passes.
 */
#include <linux/bug.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static bool warn;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "WARN_ON_ONCE(1) at load time (default: 0)");

static int __init kpm_warn_init(void)
{
	WARN_ON_ONCE(warn);
	return 0;
}

static void __exit kpm_warn_exit(void)
{
}

module_init(kpm_warn_init);
module_exit(kpm_warn_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kprofmap VM runner self-test: WARN on demand");
