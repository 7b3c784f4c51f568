/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uwind.h - user stacks unwound in task context (uwind.c)
 *
 * The timer hands a sample's kernel part to uwind_queue(); the sampled
 * task completes it with its user stack on its way back to user mode and
 * counts it with sampler_account_deferred().
 */
#ifndef _KPROFMAP_UWIND_H
#define _KPROFMAP_UWIND_H

#include <linux/types.h>

struct address_space;

/*
 * The counters, in the order /proc/kprofmap/stats prints them (each as
 * "unwind_NAME value"):
 *   queued          samples handed to their task
 *   no_slot         samples walked in hard irq instead: no free slot
 *   no_mm           tasks that had no user stack by then (exiting)
 *   lock_busy       walks by frame pointer only: mmap lock contended
 *   frames_eh       frames stepped with an .eh_frame rule
 *   frames_fp       frames stepped with the frame pointer, because:
 *   fp_nofile       the PC is in no file-backed executable mapping
 *   fp_noelf        its file's ELF header could not be read
 *   fp_nofde        no FDE covers the PC (or no .eh_frame_hdr)
 *   fp_unsupported  the rule needs a DWARF expression or a register
 *   fp_noread       unwind data not in the page cache (never waited for)
 *   fp_budget       a rule program or entry over its bound
 *   fp_malformed    unwind data that does not parse
 *   end_outermost   walks ended at the outermost frame (_start)
 *   end_bad         walks ended at an impossible frame (CFA not above)
 *   end_fault       walks ended at unreadable stack memory
 *   truncated       walks cut at max_depth
 *   cache_hit       rule lookups served by the per-CPU cache
 *   cache_miss      rule lookups that read the file's tables
 */
#define UWIND_STATS(X)							\
	X(queued) X(no_slot) X(no_mm) X(lock_busy) X(frames_eh)		\
	X(frames_fp) X(fp_nofile) X(fp_noelf) X(fp_nofde)		\
	X(fp_unsupported) X(fp_noread) X(fp_budget) X(fp_malformed)	\
	X(end_outermost) X(end_bad) X(end_fault) X(truncated)		\
	X(cache_hit) X(cache_miss)

#define UWIND_STAT_FIELD(name) u64 name;

/**
 * struct uwind_stats - the unwinder's counters (see UWIND_STATS)
 *
 * Per CPU, each written by its own CPU only (timer or task context with
 * preemption off); summed by uwind_stats_sum().
 */
struct uwind_stats {
	UWIND_STATS(UWIND_STAT_FIELD)
};

extern unsigned int kpm_unwind;	/* module parameter unwind, 0..2 */

/**
 * uwind_init() - allocate the slot pools and per-CPU caches
 *
 * Context: process context (module init), before any timer runs.
 * Return: 0, -EINVAL (unwind_slots out of range) or -ENOMEM.
 */
int uwind_init(void);

/**
 * uwind_enable() - let uwind_queue() queue works
 *
 * Context: the end of a successful module init: a failed init must not
 * leave a work (and a module reference) behind.
 */
void uwind_enable(void);

/**
 * uwind_exit() - free them
 *
 * Context: process context (module exit): no timer runs and no work is
 * pending (each held a module reference).
 */
void uwind_exit(void);

/**
 * uwind_queue() - hand a sample's user stack to the sampled task
 * @cpu: this CPU
 * @pcs: the kernel frames captured so far
 * @nk: how many
 * @flags: PROFMAP_F_* of the kernel part
 * @h: the running hash of the kernel frames
 *
 * Context: hardirq (the sampler's timer), current is the sampled task,
 * which has a user stack. Never sleeps, allocates nothing.
 * Return: true when queued (the sample is counted later, in task
 * context); false to walk it here instead (counted in unwind_no_slot).
 */
bool uwind_queue(unsigned int cpu, const u64 *pcs, unsigned int nk,
		 u8 flags, u64 h);

/**
 * uwind_read_file() - copy bytes of a file from its page cache
 * @mapping: the file's
 * @pos: file offset
 * @dst: where to
 * @len: how many
 *
 * Cached, up-to-date pages only: never waits for I/O, never reads the
 * process's copy.
 * Context: any but hard irq; takes no sleeping lock.
 * Return: true when all @len bytes were copied.
 */
bool uwind_read_file(struct address_space *mapping, u64 pos, void *dst,
		     size_t len);

/**
 * uwind_stats_sum() - every CPU's counters added up
 * @sum: filled in
 *
 * Context: any; takes no lock.
 */
void uwind_stats_sum(struct uwind_stats *sum);

/**
 * sampler_account_deferred() - count a sample completed in task context
 * @pcs: kernel then user frames
 * @nk: kernel frames
 * @n: all frames
 * @flags: PROFMAP_F_*
 * @h: running hash over all @n frames
 * @gen: mapping generation of the user frames (maps.h), 0 for none
 *
 * Tagged with current, counted in this CPU's hot map with interrupts off
 * (the timer writes the same map). Provided by sampler.c.
 * Context: task context.
 */
void sampler_account_deferred(const u64 *pcs, unsigned int nk,
			      unsigned int n, u8 flags, u64 h, u32 gen);

#endif /* _KPROFMAP_UWIND_H */
