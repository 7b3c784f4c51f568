// SPDX-License-Identifier: GPL-2.0
/*
 * sampler.c - the per-CPU hrtimer: capture, hash, count
 *
 * One tick, in hardirq on the sampled CPU:
 *   capture the kernel stack of the interrupted context (ORC/frame
 *   unwinder from the interrupted registers) -> capture the user stack
 *   of current (frame pointers, one user-access window, faults disabled)
 *   -> tag with tgid/tid -> profmap_add() into this CPU's hot map.
 * The hash is computed while frames are captured. Nothing here sleeps,
 * takes a lock, or allocates: a miss takes an entry and its frames from
 * the hot map's preallocated reserve, which aggregate.c empties at every
 * collection; an exhausted reserve is counted (lost_reserve), and half a
 * reserve used queues an irq_work asking for an early collection. So the
 * path is the same on PREEMPT_RT, where hard-irq timers still run in
 * hard irq and the slab allocator may not be entered there.
 */
#include <linux/kernel.h>
#include <linux/bitops.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/task_stack.h>
#include <linux/uaccess.h>
#include <linux/nospec.h>
#include <linux/hrtimer.h>
#include <linux/cred.h>
#include <linux/hash.h>
#include <asm/irq_regs.h>
#include <asm/unwind.h>
#include <asm/ptrace.h>

#include "internal.h"
#include "maps.h"
#include "uwind.h"

/* Append one kernel frame and fold it into the hash; false when the
 * kernel stack is full (it comes first, so at max_depth frames).
 */
static __always_inline bool sampler_push(struct sampler_capture *cap,
					 u64 pc)
{
	if (cap->n >= kpm_max_depth)
		return false;
	cap->pcs[cap->n++] = pc;
	cap->h = profmap_hash_step(&kpm.pool, cap->h, pc);
	return true;
}

/* Kernel stack of the interrupted context: its PC, then the return
 * addresses the unwinder finds from the interrupted registers, so the
 * sampler's own timer/interrupt frames are never included.
 */
static void sampler_kernel_stack(struct sampler_capture *cap,
				 struct pt_regs *regs)
{
	struct unwind_state state;
	unsigned long addr;

	if (!sampler_push(cap, regs->ip))
		return;
	for (unwind_start(&state, current, regs, NULL); !unwind_done(&state);
	     unwind_next_frame(&state)) {
		addr = unwind_get_return_address(&state);
		if (!addr)
			break;
		if (!sampler_push(cap, addr)) {
			cap->flags |= PROFMAP_F_KTRUNC;
			break;
		}
	}
}

/* User stack of current from @uregs: the user PC, then the return
 * addresses of the frame-pointer chain, hashed as they are read.
 *
 * The loaded mm must be current's: it is not during an EFI runtime call
 * (active_mm is efi_mm then; nmi_uaccess_okay() is not exported). The
 * walk is one user-access window over [first fp, KPM_USER_END), page
 * faults disabled so a missing page ends the walk instead of sleeping.
 * Every frame pointer is aligned, above the one before and below top, so
 * every frame is inside the window. The loop holds the frame pointer as
 * a word index, fp / 8: ror64(next, 3) is next / 8 for an aligned next
 * and at least 2^61 for any other, so one array_index_nospec() against
 * top / 8 checks the alignment and the bound, and clamps the value to
 * be dereferenced, so a mispredicted check cannot steer a load into the
 * kernel (the window has no per-load barrier); what is left is one
 * compare, with the word before. A return address is checked with one
 * compare too: in (0, TASK_SIZE_MAX). The slots are counted from
 * -max_depth up to 0, so the depth check is the add that counts. The
 * loop keeps its state in locals: stores through pcs may alias anything
 * under -fno-strict-aliasing, which would reload @cap every frame.
 * Return: false when the walk stopped on an unreadable frame.
 */
static noinline bool sampler_user_stack(struct sampler_capture *cap,
				struct pt_regs *uregs)
{
	/* fp < top, so both words of a frame lie below KPM_USER_END. */
	const unsigned long top = KPM_USER_END - sizeof(long);
	const unsigned long ret_max = TASK_SIZE_MAX - 1;
	const u64 mul = profmap_hash_mul(&kpm.pool);
	/* The next slot is end[i], i < 0. */
	u64 *end = cap->pcs + cap->n + kpm_max_depth;
	long i = -(long)kpm_max_depth;
	unsigned long fp = uregs->bp, w, next, ret;
	u64 h = cap->h;
	bool ok = true;

	end[i++] = uregs->ip;
	h = profmap_hash_mix(h, uregs->ip, mul);
	if (!fp || (fp & 7) || fp >= top ||
	    current->active_mm != current->mm)
		goto done;

	pagefault_disable();
	if (!kpm_user_access_begin()) {
		ok = false;
		goto out_pf;
	}
	w = fp / 8;
	if (!i)
		goto full;
	for (;;) {
		unsafe_get_user(next, (unsigned long __user *)(w * 8), fault);
		unsafe_get_user(ret, (unsigned long __user *)(w * 8 + 8), fault);
		/* Zero ends the chain; no user code lies at or above
		 * TASK_SIZE_MAX (a non-canonical word is not a frame).
		 */
		if (ret - 1 >= ret_max)
			goto out;
		end[i] = ret;
		h = profmap_hash_mix(h, ret, mul);
		if (++i == 0)
			goto full_next;
		/* Up the stack, below top, aligned: w < next < top / 8. */
		next = array_index_nospec(ror64(next, 3), top / 8);
		if (next <= w)
			goto out;
		w = next;
	}
full_next:
	next = array_index_nospec(ror64(next, 3), top / 8);
	if (next <= w)
		goto out;
	w = next;
full:
	/* max_depth frames: cut short when one more frame follows. */
	unsafe_get_user(next, (unsigned long __user *)(w * 8), fault);
	unsafe_get_user(ret, (unsigned long __user *)(w * 8 + 8), fault);
	if (ret - 1 < ret_max)
		cap->flags |= PROFMAP_F_UTRUNC;
out:
	user_access_end();
out_pf:
	pagefault_enable();
done:
	cap->n = end + i - cap->pcs;
	cap->h = h;
	return ok;
fault:
	ok = false;
	goto out;
}

/* Tasks whose user registers describe no live user stack: kernel
 * threads, exiting tasks, io_uring/vhost workers (a copy of their
 * creator's registers with ip = 0), tasks inside execve() (registers of
 * the old image, mm of the new one).
 */
#ifdef PF_USER_WORKER
#define SAMPLER_NO_USER_FLAGS	(PF_KTHREAD | PF_EXITING | PF_USER_WORKER)
#else
#define SAMPLER_NO_USER_FLAGS	(PF_KTHREAD | PF_EXITING | PF_IO_WORKER)
#endif

/* The user registers to walk, or NULL (see SAMPLER_NO_USER_FLAGS; also
 * 32-bit tasks).
 */
static struct pt_regs *sampler_user_regs(struct pt_regs *regs)
{
	struct task_struct *task = current;

	if (!task->mm || (task->flags & SAMPLER_NO_USER_FLAGS) ||
	    task->in_execve)
		return NULL;
	if (!user_mode(regs))
		regs = task_pt_regs(task);
	if (!user_64bit_mode(regs) || !regs->ip)
		return NULL;
	return regs;
}

u8 sampler_owner_of(void)
{
	return hash_32(__kuid_val(current_uid()), PROFMAP_OWNER_SHIFT);
}

/* Tag (task @tgid, @tid, @comm, share @owner, cgroup @cgid: 0 none),
 * hash and count the captured sample in this CPU's hot map; interrupts
 * off. @cap->pcs has room for the cgroup's tag word after its frames.
 * Inlined into sampler_sample(): no call of its own on every sample.
 */
static __always_inline void
sampler_account_task(struct kpm_cpu *c, struct sampler_capture *cap,
		     unsigned int nk, u32 gen, u32 tgid, u32 tid,
		     const char *comm, u8 owner, u64 cgid)
{
	struct kpm_cpu_stats *st = &c->stats;
	struct profmap *hot = READ_ONCE(c->hot);
	struct profmap_sample s = {
		.pcs = cap->pcs,
		.key = {
			.tgid = tgid,
			.tid = tid,
			.nk = nk,
			.nu = cap->n - nk,
			.flags = cap->flags,
			.owner = owner,
		},
		.gen = gen,
		.comm = comm,
	};
	u64 h = cap->h;
	int err;

	if (cgid) {
		cap->pcs[cap->n] = cgid;
		h = profmap_hash_step(&kpm.pool, h, cgid);
		s.key.flags |= PROFMAP_F_TAG;
	}
	s.key.hash = profmap_hash_final(&kpm.pool, h, &s);
	/* A staging map: its reserve, never the allocator (no gfp). */
	err = profmap_add(hot, &s, 1, 0);
	if (!err)
		kpm_stat_add(&st->stored, 1);
	else
		kpm_stat_add(&st->lost_reserve, 1);
	if (hot->max_chain > st->chain_max)
		WRITE_ONCE(st->chain_max, hot->max_chain);
	if (unlikely(profmap_reserve_low(hot)))
		kpm_agg_kick(c);
}

/* The sample of current: every CPU's idle task has pid 0, keyed by CPU.
 * Inlined into sampler_sample(), like sampler_account_task().
 */
static __always_inline void sampler_account(struct kpm_cpu *c,
					    struct sampler_capture *cap,
					    unsigned int nk, u32 gen)
{
	struct task_struct *task = current;

	sampler_account_task(c, cap, nk, gen, task->tgid, task->pid ?: c->cpu,
			     task->comm, sampler_owner_of(),
			     kpm_cg_note(c, task));
}

/*
 * The user part by .eh_frame rules (unwind >= 1): walked here from the
 * CPU's step cache when every frame's step is cached, else in the task's
 * own context, where rules can be read (uwind.c). A sample of user mode
 * goes there at once, on this interrupt's return to user mode; one
 * inside a system call (unwind=1) is walked here, with steps computed
 * here from the page cache where none is cached (not on PREEMPT_RT), by
 * frame pointer where neither can be had (the first such PC wanted for
 * the image's next visit); on PREEMPT_RT, completed from a copy of its
 * stack by a work item instead (UWIND_IRQ_COPY); with unwind=2 it goes
 * to its task too and waits for the call to return (its work pins the
 * module until then).
 *
 * Mapping records are taken on those visits, so an image's samples
 * inside the kernel before its first sample of user mode have none.
 * Return: true when the sample has been counted or handed on; false to
 * walk the frame pointers (the kernel part of @cap is intact), with
 * @genp the image's generation id (0: none).
 */
static __always_inline bool sampler_unwind(struct kpm_cpu *c,
					   struct pt_regs *regs,
					   struct pt_regs *uregs,
					   struct sampler_capture *cap,
					   unsigned int nk, u32 *genp)
{
	bool may_defer = user_mode(regs) || kpm_unwind == 2;
	u64 serial;
	u32 gen;

	*genp = gen = maps_gen_irq(&serial);
	/*
	 * No mapping records yet: the task takes them, on its way back to
	 * user mode. Not from inside the kernel: a task sampled on its way
	 * into a blocking call (a reader waiting on a pipe) would hold the
	 * module until the call returns. Such a sample is walked by frame
	 * pointer, with no records (m=0), until the image's first sample of
	 * user mode has taken them.
	 */
	if (!gen)
		return may_defer &&
		       uwind_queue(c->cpu, cap->pcs, nk, cap->flags, cap->h);
	switch (uwind_irq(c->cpu, uregs, gen, serial, may_defer, cap)) {
	case UWIND_IRQ_DONE:
		sampler_account(c, cap, nk, gen);
		return true;
	case UWIND_IRQ_DEFER:
		return uwind_queue(c->cpu, cap->pcs, nk, cap->flags, cap->h);
	case UWIND_IRQ_COPY:
		return true;	/* counted by the copy's work */
	default:
		return false;
	}
}

/* One sample of whatever @regs interrupted on this CPU. */
static void sampler_sample(struct kpm_cpu *c, struct pt_regs *regs)
{
	struct sampler_capture cap = {
		.pcs = c->pcs,
		.h = profmap_hash_start(&kpm.pool),
	};
	struct pt_regs *uregs;
	unsigned int nk;
	u32 gen = 0;

	if (unlikely(!regs)) {
		kpm_stat_add(&c->stats.no_regs, 1);
		return;
	}
	if (is_idle_task(current)) {
		kpm_stat_add(&c->stats.idle, 1);
		if (!kpm_idle)
			return;
	}
	/* Left out by the filter: counted, not walked. */
	if (unlikely(!kpm_filter_pass(current))) {
		kpm_stat_add(&c->stats.filtered, 1);
		return;
	}
	/* The background collection is kprofmap itself: counted, not sampled. */
	if (unlikely(kpm_agg_collecting(current))) {
		kpm_stat_add(&c->stats.self, 1);
		return;
	}
	kpm_stat_add(&c->stats.samples, 1);

	if (!user_mode(regs))
		sampler_kernel_stack(&cap, regs);
	nk = cap.n;
	uregs = sampler_user_regs(regs);
	if (uregs && kpm_unwind && sampler_unwind(c, regs, uregs, &cap, nk, &gen))
		return;
	if (uregs) {
		if (!sampler_user_stack(&cap, uregs))
			kpm_stat_add(&c->stats.user_fault, 1);
	}
	sampler_account(c, &cap, nk, gen);
}

void sampler_account_as(u64 *pcs, unsigned int nk, unsigned int n,
			u8 flags, u64 h, u32 gen, u32 tgid, u32 tid,
			const char *comm, u8 owner, u64 cgid)
{
	struct sampler_capture cap = {
		.pcs = pcs,
		.n = n,
		.h = h,
		.flags = flags,
	};
	unsigned long irqflags;

	local_irq_save(irqflags);
	sampler_account_task(kpm.cpus[smp_processor_id()], &cap, nk, gen, tgid,
			     tid, comm, owner, cgid);
	local_irq_restore(irqflags);
}

void sampler_account_deferred(u64 *pcs, unsigned int nk,
			      unsigned int n, u8 flags, u64 h, u32 gen)
{
	struct sampler_capture cap = {
		.pcs = pcs,
		.n = n,
		.h = h,
		.flags = flags,
	};
	struct task_struct *task = current;
	unsigned long irqflags;
	struct kpm_cpu *c;

	local_irq_save(irqflags);
	c = kpm.cpus[smp_processor_id()];
	sampler_account_task(c, &cap, nk, gen, task->tgid, task->pid,
			     task->comm, sampler_owner_of(),
			     kpm_cg_note(c, task));
	local_irq_restore(irqflags);
}

enum hrtimer_restart sampler_tick(struct hrtimer *timer)
{
	struct kpm_cpu *c = container_of(timer, struct kpm_cpu, timer);
	struct kpm_cpu_stats *st = &c->stats;
	u64 overrun, t0, dt;

	overrun = hrtimer_forward_now(timer, READ_ONCE(kpm.period));
	if (kpm_noop)
		return HRTIMER_RESTART;

	kpm_stat_add(&st->ticks, 1);
	if (overrun > 1)
		kpm_stat_add(&st->overruns, overrun - 1);
	if (likely(st->ticks % KPM_TIMED_EVERY)) {
		sampler_sample(c, get_irq_regs());
	} else {
		t0 = local_clock();
		sampler_sample(c, get_irq_regs());
		dt = local_clock() - t0;
		kpm_stat_add(&st->ns_total, dt);
		if (dt > st->ns_max)
			WRITE_ONCE(st->ns_max, dt);
	}
	return READ_ONCE(kpm.sampling) ? HRTIMER_RESTART : HRTIMER_NORESTART;
}
