/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - what differs between the kernels kprofmap is built for
 * (Debian 6.1, the 6.1 debug kernel, Debian 6.12), in one place.
 *
 * Feature tests on the kernel's own macros, no LINUX_VERSION_CODE where a
 * macro says it better, so that profmap.c still builds against the
 * userspace shims of selftests/unit.
 */
#ifndef KPM_COMPAT_H
#define KPM_COMPAT_H

#include <linux/slab.h>

/*
 * KPM_SLAB_FLAGS - flags of kprofmap's own kmem_cache_create() calls.
 *
 * SLAB_NO_MERGE (6.5+) keeps the caches apart from the kernel's general
 * ones: the stack arrays hold values any sampled user chooses.
 *
 * Not SLAB_FAILSLAB: kmem_cache_create() fails with -EINVAL for it on any
 * kernel with CONFIG_FAILSLAB (mm/slab.h leaves it out of
 * SLAB_FLAGS_PERMITTED, 6.1 and 6.12 alike), so the module would not load
 * on exactly the kernels built for fault injection. The boot option
 * slub_debug=A,kprofmap_* marks the caches for failslab's cache-filter
 * instead (scripts/vm-run.sh gives it to the debug kernel; 6.1's
 * /sys/kernel/slab/NAME/failslab is read-only).
 */
#ifdef SLAB_NO_MERGE
#define KPM_SLAB_FLAGS	SLAB_NO_MERGE
#else
#define KPM_SLAB_FLAGS	0
#endif

#ifdef __KERNEL__
#include <linux/hrtimer.h>

/*
 * kpm_hrtimer_setup() - hrtimer_setup() where the kernel has it (6.13+;
 * hrtimer_init() is gone from 6.15), else hrtimer_init() and the
 * callback set by hand (6.1, 6.12). module/Kbuild probes the kernel's
 * <linux/hrtimer.h> for hrtimer_setup and defines KPM_HAVE_HRTIMER_SETUP:
 * no version number says which distribution kernels backported it.
 */
static inline void kpm_hrtimer_setup(struct hrtimer *timer,
				     enum hrtimer_restart (*fn)(struct hrtimer *),
				     clockid_t clock, enum hrtimer_mode mode)
{
#ifdef KPM_HAVE_HRTIMER_SETUP
	hrtimer_setup(timer, fn, clock, mode);
#else
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
#endif
}

#include <linux/fs.h>

/*
 * kpm_inode_mtime(), kpm_inode_ctime() - an inode's times: accessors from
 * 6.6 (ctime) and 6.7 (mtime, when the field became private), the fields
 * before. Probed in <linux/fs.h> by module/Kbuild, as hrtimer_setup.
 */
static inline struct timespec64 kpm_inode_mtime(const struct inode *inode)
{
#ifdef KPM_HAVE_INODE_GET_MTIME
	return inode_get_mtime(inode);
#else
	return inode->i_mtime;
#endif
}

static inline struct timespec64 kpm_inode_ctime(const struct inode *inode)
{
#ifdef KPM_HAVE_INODE_GET_CTIME
	return inode_get_ctime(inode);
#else
	return inode->i_ctime;
#endif
}
#endif /* __KERNEL__ */

#endif /* KPM_COMPAT_H */
