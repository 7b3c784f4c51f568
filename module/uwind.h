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
struct pt_regs;
struct sampler_capture;

/*
 * The counters, in the order /proc/kprofmap/stats prints them (each as
 * "unwind_NAME value"):
 *   queued          samples handed to their task
 *   no_slot         samples walked in hard irq instead: no free slot
 *   no_mm           tasks that had no user stack by then (exiting)
 *   lock_busy       walks by frame pointer only: mmap lock contended
 *   frames_eh       frames stepped with an .eh_frame rule
 *   frames_signal   signal frames stepped through (the rt_sigreturn
 *                   trampoline's 'S' FDE: registers from the ucontext)
 *   frames_fp       frames stepped with the frame pointer, because:
 *   fp_nofile       the PC is in no file-backed executable mapping
 *   fp_noelf        its file's ELF header could not be read
 *   fp_nofde        no FDE covers the PC (or no .eh_frame_hdr)
 *   fp_unsupported  the rule needs a DWARF expression or a register
 *   fp_noread       unwind data not in the page cache (never waited for)
 *   fp_budget       a rule program or entry over its bound
 *   fp_malformed    unwind data that does not parse
 *   end_outermost   walks ended at the outermost frame (_start)
 *   end_bad         walks ended at an impossible frame (CFA not above,
 *                   or a return address in no executable mapping)
 *   end_fault       walks ended at unreadable stack memory
 *   truncated       walks cut at max_depth
 *   unready         walks with a frame by frame pointer because its
 *                   unwind data was not in the page cache yet
 *   cache_hit       rule lookups served by the per-CPU cache
 *   cache_miss      rule lookups that read the file's tables
 *   go_rules        of those, from a Go binary's .gopclntab
 * and, for the walk in hard irq from the step cache (see uwind_irq()):
 *   irq_walks       user stacks walked in hard irq from cached steps
 *   irq_frames      frames of those walks
 *   irq_frames_fp   of which stepped by a frame-pointer fallback
 *                   (each counted by cause in fp_* when it was cached)
 *   irq_miss_fp     frames of samples inside the kernel that had no step
 *                   (none cached, none computable here): stepped by
 *                   frame pointer, the first of each sample wanted for
 *                   the task's next visit
 *   irq_defer_miss  samples handed to their task: a frame had no step
 *   irq_defer_want  samples handed to their task to compute a step that
 *                   a sample inside the kernel wanted
 *   irq_rules       steps computed in hard irq from the file's page cache
 *                   (samples inside the kernel, not on PREEMPT_RT)
 *   irq_end_fault   walks in hard irq ended at unreadable stack memory
 *   irq_copied      PREEMPT_RT: samples inside the kernel with a frame
 *                   without a step, handed to a stack copy
 *   irq_copy_none   PREEMPT_RT: of those, none free: frame pointer
 *   copies          PREEMPT_RT: samples completed from a stack copy
 *   copy_short      of which the copy (UWIND_COPY_BYTES) ended before
 *                   the stack (the record's U flag is max_depth's only)
 *   irq_unready     walks in hard irq with irq_miss_fp frames: samples
 *                   taken before their steps were ready
 *   irq_outside     frames in hard irq at a PC in none of the image's
 *                   mappings (anonymous code, a mapping newer than the
 *                   generation, or no code): frame pointer, not wanted
 *   step_fills      steps cached by walks in task context
 *   want_filled     wanted steps computed on a task's visit
 */
#define UWIND_STATS(X)							\
	X(queued) X(no_slot) X(no_mm) X(lock_busy) X(frames_eh)		\
	X(frames_signal) X(frames_fp) X(fp_nofile) X(fp_noelf)		\
	X(fp_nofde) X(fp_unsupported) X(fp_noread) X(fp_budget)		\
	X(fp_malformed) X(end_outermost) X(end_bad) X(end_fault)	\
	X(truncated) X(unready) X(cache_hit) X(cache_miss) X(go_rules)	\
	X(irq_walks) X(irq_frames) X(irq_frames_fp) X(irq_miss_fp)	\
	X(irq_defer_miss) X(irq_defer_want) X(irq_rules)		\
	X(irq_end_fault) X(irq_unready) X(irq_outside)		\
	X(irq_copied) X(irq_copy_none)					\
	X(copies) X(copy_short) X(step_fills) X(want_filled)

#define UWIND_STAT_FIELD(name) u64 name;

/**
 * struct uwind_stats - the unwinder's counters (see UWIND_STATS)
 *
 * Per CPU, each written by one context only (queued, no_slot and irq_*
 * in hard irq on their CPU; copies and copy_short by the CPU's copy
 * work, which runs on the CPU but when it goes offline; the others in
 * task context with preemption off on their CPU); summed by
 * uwind_stats_sum().
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

/* What uwind_irq() did with a sample's user stack. */
enum uwind_irq_result {
	UWIND_IRQ_DONE,		/* walked: the frames are in the capture */
	UWIND_IRQ_DEFER,	/* hand it to the task (uwind_queue()) */
	UWIND_IRQ_FP,		/* not here: walk the frame pointers */
	UWIND_IRQ_COPY,		/* PREEMPT_RT: handed to a stack copy */
};

/**
 * uwind_irq() - walk current's user stack in hard irq from cached steps
 * @cpu: this CPU
 * @regs: current's user registers
 * @gen: the id of current's image's generation (maps_gen_irq())
 * @serial: its serial
 * @may_defer: a frame without a cached step makes the sample
 *	UWIND_IRQ_DEFER (a sample of user mode, or unwind=2); otherwise it
 *	is stepped by frame pointer and its PC wanted for the next visit
 * @cap: the sample: its kernel frames (@cap->n; a stack copy takes them
 *	too), then room for max_depth user frames. On UWIND_IRQ_DONE the
 *	user frames are added to @cap->pcs, @cap->n and @cap->h, and
 *	PROFMAP_F_UTRUNC to @cap->flags when the walk is cut at max_depth;
 *	otherwise @cap is as it was (the frames past @cap->n are scratch)
 *
 * Each frame's step comes from this CPU's step cache, which walks in
 * task context fill with the rules they read from the files; the stack
 * is read in one user-access window with page faults disabled. Bounded
 * by @max frames; touches no lock, no page cache, no VMA.
 *
 * Context: hard irq (the sampler's timer), current the sampled task.
 * Return: enum uwind_irq_result.
 */
int uwind_irq(unsigned int cpu, const struct pt_regs *regs, u32 gen,
	      u64 serial, bool may_defer, struct sampler_capture *cap);

/**
 * uwind_flush() - count the samples still held in stack copies
 *
 * PREEMPT_RT (a no-op elsewhere): cancels each CPU's copy work and
 * completes its copies in the caller.
 * Context: process context, after the timers are cancelled.
 */
void uwind_flush(void);

/**
 * uwind_flush_cpu() - uwind_flush() for one CPU
 * @cpu: a CPU whose timer is cancelled (going offline, say)
 *
 * Context: process context.
 */
void uwind_flush_cpu(unsigned int cpu);

/**
 * uwind_read_file() - copy bytes of a file from its page cache
 * @mapping: the file's
 * @pos: file offset
 * @dst: where to
 * @len: how many
 *
 * Cached, up-to-date pages only: never waits for I/O, never reads the
 * process's copy.
 * Context: any; takes no lock (page references are taken and dropped: in
 * hard irq only where that is allowed, not on PREEMPT_RT).
 * Return: true when all @len bytes were copied.
 */
bool uwind_read_file(struct address_space *mapping, u64 pos, void *dst,
		     size_t len);

/**
 * uwind_bytes() - memory of the per-CPU caches and slot pools
 *
 * Context: any. Return: bytes, fixed at load (0 before uwind_init()).
 */
size_t uwind_bytes(void);

/**
 * uwind_stats_sum() - every CPU's counters added up
 * @sum: filled in
 *
 * Context: any; takes no lock.
 */
void uwind_stats_sum(struct uwind_stats *sum);

/**
 * sampler_account_deferred() - count a sample completed in task context
 * @pcs: kernel then user frames, and room for one word more (the
 *	 cgroup tag)
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
void sampler_account_deferred(u64 *pcs, unsigned int nk,
			      unsigned int n, u8 flags, u64 h, u32 gen);

/**
 * sampler_account_as() - count a sample completed away from its task
 * @pcs: @nk kernel frames, then user frames, @n in all, and room for
 *	 one word more (the cgroup tag)
 * @nk: kernel frames
 * @n: all frames
 * @flags: PROFMAP_F_*
 * @h: running hash of @pcs
 * @gen: mapping generation id of the user frames (0: none)
 * @tgid: the sampled task's
 * @tid: likewise
 * @comm: likewise
 * @owner: its fair-share owner (sampler_owner_of())
 * @cgid: its cgroup id (kpm_cg_note()), 0 for none
 *
 * Context: process context (a stack copy's work), any CPU.
 */
void sampler_account_as(u64 *pcs, unsigned int nk, unsigned int n,
			u8 flags, u64 h, u32 gen, u32 tgid, u32 tid,
			const char *comm, u8 owner, u64 cgid);

/**
 * sampler_owner_of() - the fair share's owner of current's samples
 *
 * Its user (real uid), hashed to a profmap owner slot.
 * Context: any.
 */
u8 sampler_owner_of(void);

#endif /* _KPROFMAP_UWIND_H */
