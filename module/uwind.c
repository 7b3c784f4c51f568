// SPDX-License-Identifier: GPL-2.0
/*
 * uwind.c - user stacks without frame pointers: deferred to task context
 *
 * The hrtimer (sampler.c) captures the kernel stack and, instead of
 * walking the user stack in hard irq, hands the sample to uwind_queue():
 * a slot from this CPU's preallocated pool, a module reference, and a
 * task_work (TWA_RESUME) on the sampled task. The work runs in that
 * task's own context on its way back to user mode, before any user
 * instruction: the user registers and stack are still those of the
 * sample. uwind_run() then walks the user stack with the call-frame rules
 * of each frame's file (.eh_frame_hdr/.eh_frame, module/ehframe.c),
 * falling back to the frame pointer where no rule applies, and counts the
 * completed sample in the current CPU's hot map.
 *
 * Unwind data is read from the file itself, through the page cache
 * (never from the process's copy, which it may have rewritten, and never
 * waiting: a page that is not cached and up to date is a counted
 * fallback), so rules are the file's own and are cached per CPU by (file,
 * link-time PC range), shared by every process that maps the file. The
 * stack itself is read from the task's memory with faults disabled.
 * Everything is bounded and checked: frames, rule-program steps, entry
 * sizes, program headers.
 *
 * Unload: each queued work holds a module reference. The callback's last
 * act is a tail call to module_put(), so no instruction of this module
 * runs after the reference is dropped (selftests check the disassembly).
 * rmmod fails with EBUSY while works are pending; they run at the latest
 * when their tasks return to user mode or exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/elf.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/pagemap.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/ptrace.h>

#include "internal.h"
#include "ehframe.h"
#include "maps.h"
#include "uwind.h"

/**
 * struct uwind_slot - one sample waiting for its user stack
 * @work:	the task_work; queued on the sampled task
 * @node:	on its pool's free list while unused
 * @pool:	the pool it returns to
 * @h:		hash of the kernel frames (profmap_hash_step() so far)
 * @nk:		kernel frames in @pcs
 * @flags:	PROFMAP_F_* of the kernel part
 * @pcs:	kernel frames, then room for max_depth user frames
 */
struct uwind_slot {
	struct callback_head work;
	struct llist_node node;
	struct uwind_pool *pool;
	u64 h;
	unsigned int nk;
	u8 flags;
	u64 pcs[];
};

/**
 * struct uwind_pool - one CPU's slots
 * @free:	unused slots; taken only by this CPU's timer (the one
 *		llist_del_first() consumer), returned from any CPU
 * @mem:	the slots, vmalloc memory (task_work_add() on KASAN records a
 *		stack for slab-backed heads, which may allocate)
 */
struct uwind_pool {
	struct llist_head free;
	void *mem;
};

/* A cached rule, in link-time (file-relative) addresses. */
struct uwind_centry {
	const struct inode *inode;
	unsigned long ino;
	u64 start;
	u64 end;
	struct ehf_rule rule;
	int status;
};

#define UWIND_MAX_LOADS	8	/* PT_LOAD segments remembered per file */

/**
 * struct uwind_fentry - a cached file: its segments and unwind header
 * @inode:	the file (with @ino, against a reused inode address)
 * @ino:	its inode number
 * @nload:	PT_LOAD segments in @load
 * @load:	link-time address, file offset and file size of each
 * @hdr_vaddr:	link-time address of PT_GNU_EH_FRAME (.eh_frame_hdr)
 * @hdr_len:	its size, 0 when the file has none
 */
struct uwind_fentry {
	const struct inode *inode;
	unsigned long ino;
	unsigned int nload;
	struct {
		u64 vaddr;
		u64 offset;
		u64 filesz;
	} load[UWIND_MAX_LOADS];
	u64 hdr_vaddr;
	u64 hdr_len;
};

#define UWIND_CACHE_RULES	1024	/* per CPU */
#define UWIND_CACHE_WAYS	4	/* entries per set, round-robin */
#define UWIND_CACHE_FILES	64	/* per CPU, direct-mapped */
#define UWIND_SCRATCH		2048	/* an FDE and its CIE, 1 KiB each */

/**
 * struct uwind_cpu - per-CPU unwinder state, used with preemption off
 * @rules:	rule cache
 * @files:	file cache
 * @scratch:	FDE and CIE bytes of a rule being computed
 * @stats:	counters (each written by its CPU only)
 * @victim:	next way to replace in a full rule-cache set
 */
struct uwind_cpu {
	struct uwind_centry rules[UWIND_CACHE_RULES];
	struct uwind_fentry files[UWIND_CACHE_FILES];
	u8 scratch[UWIND_SCRATCH];
	struct uwind_stats stats;
	unsigned int victim;
};

static struct uwind_pool *uwind_pools;		/* nr_cpu_ids of them */
static struct uwind_cpu **uwind_cpus;		/* nr_cpu_ids of them */
static size_t uwind_slot_size;
static bool uwind_ready;	/* set once init has succeeded */

unsigned int kpm_unwind = 1;
module_param_named(unwind, kpm_unwind, uint, 0444);
MODULE_PARM_DESC(unwind,
		 "User stacks from .eh_frame in task context: 0 off (frame pointers), 1 samples of user mode (default), 2 also samples inside system calls (rmmod then waits for those calls to return)");

static unsigned int kpm_unwind_slots = 32;
module_param_named(unwind_slots, kpm_unwind_slots, uint, 0444);
MODULE_PARM_DESC(unwind_slots,
		 "Samples per CPU waiting for their user stack, 1..1024 (default 32)");

static void uwind_stat(u64 *counter)
{
	kpm_stat_add(counter, 1);
}

/* --- hard irq: queue --- */

static void uwind_run(struct callback_head *work);

bool uwind_queue(unsigned int cpu, const u64 *pcs, unsigned int nk,
		 u8 flags, u64 h)
{
	struct uwind_pool *pool = &uwind_pools[cpu];
	struct uwind_stats *st = &uwind_cpus[cpu]->stats;
	struct llist_node *node;
	struct uwind_slot *s;

	if (!READ_ONCE(uwind_ready))
		return false;
	node = llist_del_first(&pool->free);
	if (!node) {
		uwind_stat(&st->no_slot);
		return false;
	}
	s = container_of(node, struct uwind_slot, node);
	/* Fails once rmmod has begun: then no work may be queued. */
	if (!try_module_get(THIS_MODULE))
		goto out_free;
	memcpy(s->pcs, pcs, nk * sizeof(u64));
	s->nk = nk;
	s->flags = flags;
	s->h = h;
	init_task_work(&s->work, uwind_run);
	if (task_work_add(current, &s->work, TWA_RESUME))
		goto out_put;		/* exiting */
	uwind_stat(&st->queued);
	return true;

out_put:
	module_put(THIS_MODULE);
out_free:
	llist_add(&s->node, &pool->free);
	uwind_stat(&st->no_slot);
	return false;
}

/* --- task context: reading the stack, and files through the page cache --- */

/* One aligned word of the task's stack, with page faults disabled (a
 * missing page ends the walk); the explicit bound replaces access_ok().
 * Cheaper than copy_from_user_nofault() per word, which the walk does
 * twice a frame.
 */
static bool uwind_read_u64(u64 addr, u64 *v)
{
	int err;

	if (addr > TASK_SIZE_MAX - sizeof(*v) || (addr & 7))
		return false;
	pagefault_disable();
	err = __get_user(*v, (const u64 __user *)addr);
	pagefault_enable();
	return !err;
}

bool uwind_read_file(struct address_space *mapping, u64 pos,
			    void *dst, size_t len)
{
	while (len) {
		size_t in = offset_in_page(pos);
		size_t n = min_t(size_t, len, PAGE_SIZE - in);
		struct page *page = find_get_page(mapping, pos >> PAGE_SHIFT);
		void *va;

		if (!page)
			return false;
		if (!PageUptodate(page)) {
			put_page(page);
			return false;
		}
		va = kmap_local_page(page);
		memcpy(dst, va + in, n);
		kunmap_local(va);
		put_page(page);
		dst += n;
		pos += n;
		len -= n;
	}
	return true;
}

/**
 * struct uwind_reader - an ehf_read_t over a file's link-time addresses
 * @mapping:	the file's page cache
 * @f:		its segments: link-time address -> file offset
 */
struct uwind_reader {
	struct address_space *mapping;
	const struct uwind_fentry *f;
};

static bool uwind_read_link(void *ctx, u64 addr, void *dst, size_t len)
{
	const struct uwind_reader *r = ctx;
	const struct uwind_fentry *f = r->f;
	unsigned int i;

	for (i = 0; i < f->nload; i++) {
		u64 off = addr - f->load[i].vaddr;

		if (addr >= f->load[i].vaddr && off < f->load[i].filesz &&
		    len <= f->load[i].filesz - off)
			return uwind_read_file(r->mapping,
					       f->load[i].offset + off, dst, len);
	}
	return false;
}

/* The file's PT_LOAD and PT_GNU_EH_FRAME headers, from its first page. */
static bool uwind_file_facts(struct address_space *mapping,
			     struct uwind_fentry *f)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned int i;

	if (!uwind_read_file(mapping, 0, &eh, sizeof(eh)) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(ph) || eh.e_phnum > 64)
		return false;
	f->nload = 0;
	f->hdr_vaddr = 0;
	f->hdr_len = 0;
	for (i = 0; i < eh.e_phnum; i++) {
		if (!uwind_read_file(mapping, eh.e_phoff + i * sizeof(ph), &ph,
				     sizeof(ph)))
			return false;
		if (ph.p_type == PT_LOAD && f->nload < UWIND_MAX_LOADS) {
			f->load[f->nload].vaddr = ph.p_vaddr;
			f->load[f->nload].offset = ph.p_offset;
			f->load[f->nload].filesz = ph.p_filesz;
			f->nload++;
		} else if (ph.p_type == PT_GNU_EH_FRAME) {
			f->hdr_vaddr = ph.p_vaddr;
			f->hdr_len = ph.p_memsz;
		}
	}
	return f->nload;
}

static struct uwind_fentry *uwind_file(struct uwind_cpu *u,
				       const struct inode *inode,
				       struct address_space *mapping)
{
	struct uwind_fentry *f;

	f = &u->files[hash_ptr((void *)inode, 6) % UWIND_CACHE_FILES];
	if (f->inode == inode && f->ino == inode->i_ino)
		return f;
	f->inode = NULL;
	if (!uwind_file_facts(mapping, f))
		return NULL;
	f->inode = inode;
	f->ino = inode->i_ino;
	return f;
}

/* Link-time address of runtime @pc in @vma, or false (outside every
 * PT_LOAD's file bytes).
 */
static bool uwind_link_pc(const struct uwind_fentry *f,
			  const struct vm_area_struct *vma, u64 pc, u64 *lpc)
{
	u64 off = pc - vma->vm_start + ((u64)vma->vm_pgoff << PAGE_SHIFT);
	unsigned int i;

	for (i = 0; i < f->nload; i++)
		if (off >= f->load[i].offset &&
		    off - f->load[i].offset < f->load[i].filesz) {
			*lpc = f->load[i].vaddr + (off - f->load[i].offset);
			return true;
		}
	return false;
}

/* Not an ehf_status: the PC is in no file-backed executable mapping, or
 * its file is not an ELF object we can read.
 */
#define UWIND_NOFILE	(-1)
#define UWIND_NOELF	(-2)

/* The rule for runtime address @pc in @vma: cached, or from the file.
 * Its ranges are link-time addresses (the cache's and the file's).
 */
static int uwind_rule(struct uwind_cpu *u, struct vm_area_struct *vma,
		      u64 pc, struct ehf_rule *rule)
{
	const struct inode *inode = file_inode(vma->vm_file);
	struct uwind_reader rd = { .mapping = vma->vm_file->f_mapping };
	struct uwind_centry *set, *c;
	unsigned int w;
	u64 lpc, fde;
	int ret;

	rd.f = uwind_file(u, inode, rd.mapping);
	if (!rd.f || !uwind_link_pc(rd.f, vma, pc, &lpc))
		return UWIND_NOELF;
	if (!rd.f->hdr_len)
		return EHF_NO_FDE;
	/* A set of UWIND_CACHE_WAYS entries per 64-byte block of code: two
	 * call sites of one block often have different rules.
	 */
	set = &u->rules[hash_64((u64)(uintptr_t)inode ^ (lpc >> 6),
				ilog2(UWIND_CACHE_RULES / UWIND_CACHE_WAYS)) *
			UWIND_CACHE_WAYS];
	for (w = 0; w < UWIND_CACHE_WAYS; w++) {
		c = &set[w];
		if (c->inode == inode && c->ino == inode->i_ino &&
		    c->start <= lpc && lpc < c->end) {
			uwind_stat(&u->stats.cache_hit);
			*rule = c->rule;
			return c->status;
		}
	}
	uwind_stat(&u->stats.cache_miss);
	c = &set[u->victim++ % UWIND_CACHE_WAYS];
	ret = ehf_find_fde_mem(uwind_read_link, &rd, rd.f->hdr_vaddr,
			       rd.f->hdr_len, lpc, &fde);
	if (!ret)
		ret = ehf_rule_mem(uwind_read_link, &rd, fde, lpc, u->scratch,
				   sizeof(u->scratch), rule);
	if (ret != EHF_OK && ret != EHF_UNSUPPORTED)
		return ret;
	c->inode = inode;
	c->ino = inode->i_ino;
	c->start = rule->row_start;
	c->end = rule->row_end;
	c->rule = *rule;
	c->status = ret;
	return ret;
}

/* Count why a frame fell back to its frame pointer. */
static void uwind_fallback(struct uwind_stats *st, int why)
{
	switch (why) {
	case UWIND_NOFILE:
		uwind_stat(&st->fp_nofile);
		break;
	case UWIND_NOELF:
		uwind_stat(&st->fp_noelf);
		break;
	case EHF_NO_FDE:
		uwind_stat(&st->fp_nofde);
		break;
	case EHF_UNSUPPORTED:
		uwind_stat(&st->fp_unsupported);
		break;
	case EHF_NOREAD:
		uwind_stat(&st->fp_noread);
		break;
	case EHF_BUDGET:
		uwind_stat(&st->fp_budget);
		break;
	default:
		uwind_stat(&st->fp_malformed);
		break;
	}
}

/**
 * struct uwind_frame - the registers an unwinder needs, one frame
 * @pc:	the frame's PC (exact for the first, a return address after)
 * @sp:	its stack pointer
 * @bp:	its frame pointer (or whatever the register holds)
 */
struct uwind_frame {
	u64 pc;
	u64 sp;
	u64 bp;
};

/* One step with a rule; false when the walk ends (counted). */
static bool uwind_step_rule(struct uwind_stats *st, const struct ehf_rule *r,
			    struct uwind_frame *f)
{
	u64 cfa = (r->cfa_base == EHF_CFA_SP ? f->sp : f->bp) + (s64)r->cfa_off;
	u64 ra, bp = f->bp;

	if (r->outermost) {
		uwind_stat(&st->end_outermost);
		return false;
	}
	/* The caller's frame lies above this one. */
	if (cfa <= f->sp || (cfa & 7)) {
		uwind_stat(&st->end_bad);
		return false;
	}
	if (!uwind_read_u64(cfa + (s64)r->ra_off, &ra) ||
	    (r->bp_rule == EHF_BP_OFFSET &&
	     !uwind_read_u64(cfa + (s64)r->bp_off, &bp))) {
		uwind_stat(&st->end_fault);
		return false;
	}
	uwind_stat(&st->frames_eh);
	f->pc = ra;
	f->sp = cfa;
	f->bp = bp;
	return true;
}

/* One step by the frame pointer; false when the walk ends (counted). */
static bool uwind_step_fp(struct uwind_stats *st, struct uwind_frame *f)
{
	u64 next, ra;

	if (f->bp < f->sp || (f->bp & 7) || f->bp >= TASK_SIZE_MAX - 16) {
		uwind_stat(&st->end_bad);
		return false;
	}
	if (!uwind_read_u64(f->bp, &next) || !uwind_read_u64(f->bp + 8, &ra)) {
		uwind_stat(&st->end_fault);
		return false;
	}
	uwind_stat(&st->frames_fp);
	f->sp = f->bp + 16;
	f->pc = ra;
	f->bp = next;
	return true;
}

/*
 * Walk the user stack of current from @regs into @out (at most @max
 * frames), hashing as it goes. With @mm (its mmap lock held) each frame
 * uses its file's rule where one applies; without, frame pointers only.
 * Called with preemption disabled (per-CPU caches and scratch).
 */
static unsigned int uwind_walk(struct uwind_cpu *u, struct mm_struct *mm,
			       const struct pt_regs *regs, u64 *out,
			       unsigned int max, u64 *h, u8 *flags)
{
	struct uwind_frame f = { .pc = regs->ip, .sp = regs->sp, .bp = regs->bp };
	struct vm_area_struct *vma = NULL;
	struct uwind_stats *st = &u->stats;
	struct ehf_rule rule;
	unsigned int n = 0;
	u64 look;
	int ret;

	while (f.pc) {
		if (n == max) {
			*flags |= PROFMAP_F_UTRUNC;
			uwind_stat(&st->truncated);
			break;
		}
		out[n++] = f.pc;
		*h = profmap_hash_step(&kpm.pool, *h, f.pc);
		/* A return address points after its call: look up the call. */
		look = n == 1 ? f.pc : f.pc - 1;
		ret = UWIND_NOFILE;
		if (mm) {
			if (!vma || look < vma->vm_start || look >= vma->vm_end)
				vma = find_vma(mm, look);
			if (vma && vma->vm_start <= look && vma->vm_file &&
			    (vma->vm_flags & VM_EXEC))
				ret = uwind_rule(u, vma, look, &rule);
		}
		if (ret == EHF_OK) {
			if (!uwind_step_rule(st, &rule, &f))
				break;
			continue;
		}
		uwind_fallback(st, ret);
		if (!uwind_step_fp(st, &f))
			break;
	}
	return n;
}

/* Complete the sample of @s in current's context and free the slot. */
static noinline void uwind_complete(struct uwind_slot *s)
{
	struct task_struct *task = current;
	struct mm_struct *mm = task->mm;
	struct pt_regs *regs = task_pt_regs(task);
	bool live, locked = false;
	struct uwind_cpu *u;
	unsigned int nu = 0;
	u8 flags = s->flags;
	u64 h = s->h;
	u32 gen;

	live = mm && !(task->flags & (PF_EXITING | PF_KTHREAD)) &&
	       user_64bit_mode(regs) && regs->ip;
	/* Before preemption is off: on PREEMPT_RT the rwsem is a sleeping lock. */
	if (live)
		locked = mmap_read_trylock(mm);
	preempt_disable();
	u = uwind_cpus[smp_processor_id()];
	if (!live) {
		uwind_stat(&u->stats.no_mm);
	} else {
		if (!locked)
			uwind_stat(&u->stats.lock_busy);
		nu = uwind_walk(u, locked ? mm : NULL, regs, s->pcs + s->nk,
				kpm_max_depth, &h, &flags);
	}
	preempt_enable();
	/* The mapping records of these frames, taken here if need be. */
	if (locked) {
		gen = maps_visit(mm, s->pcs + s->nk, nu);
		mmap_read_unlock(mm);
	} else {
		gen = maps_gen_irq();
	}
	sampler_account_deferred(s->pcs, s->nk, s->nk + nu, flags, h, gen);
	llist_add(&s->node, &s->pool->free);
}

/*
 * The task_work callback. Its last act is a tail call to module_put():
 * once the reference is dropped, nothing of this module runs (and rmmod
 * may free it).
 */
static void uwind_run(struct callback_head *work)
{
	uwind_complete(container_of(work, struct uwind_slot, work));
	module_put(THIS_MODULE);
}

void uwind_stats_sum(struct uwind_stats *sum)
{
	const u64 *src;
	u64 *dst = (u64 *)sum;
	unsigned int cpu, i;

	memset(sum, 0, sizeof(*sum));
	if (!uwind_cpus)
		return;
	for_each_possible_cpu(cpu) {
		src = (const u64 *)&uwind_cpus[cpu]->stats;
		for (i = 0; i < sizeof(*sum) / sizeof(u64); i++)
			dst[i] += READ_ONCE(src[i]);
	}
}

void uwind_enable(void)
{
	WRITE_ONCE(uwind_ready, true);
}

void uwind_exit(void)
{
	unsigned int cpu;

	if (uwind_pools)
		for_each_possible_cpu(cpu)
			vfree(uwind_pools[cpu].mem);
	if (uwind_cpus)
		for_each_possible_cpu(cpu)
			vfree(uwind_cpus[cpu]);
	kfree(uwind_pools);
	kfree(uwind_cpus);
	uwind_pools = NULL;
	uwind_cpus = NULL;
}

int uwind_init(void)
{
	unsigned int cpu, i;

	if (kpm_unwind > 2) {
		pr_err("unwind=%u out of range 0..2\n", kpm_unwind);
		return -EINVAL;
	}
	if (kpm_unwind_slots < 1 || kpm_unwind_slots > 1024) {
		pr_err("unwind_slots=%u out of range 1..1024\n",
		       kpm_unwind_slots);
		return -EINVAL;
	}
	uwind_slot_size = ALIGN(struct_size((struct uwind_slot *)NULL, pcs,
					    2 * kpm_max_depth), 64);
	uwind_pools = kcalloc(nr_cpu_ids, sizeof(*uwind_pools), GFP_KERNEL);
	uwind_cpus = kcalloc(nr_cpu_ids, sizeof(*uwind_cpus), GFP_KERNEL);
	if (!uwind_pools || !uwind_cpus)
		goto out_free;
	for_each_possible_cpu(cpu) {
		struct uwind_pool *pool = &uwind_pools[cpu];

		uwind_cpus[cpu] = vzalloc_node(sizeof(*uwind_cpus[cpu]),
					       cpu_to_node(cpu));
		pool->mem = vzalloc_node(kpm_unwind_slots * uwind_slot_size,
					 cpu_to_node(cpu));
		if (!uwind_cpus[cpu] || !pool->mem)
			goto out_free;
		init_llist_head(&pool->free);
		for (i = 0; i < kpm_unwind_slots; i++) {
			struct uwind_slot *s = pool->mem + i * uwind_slot_size;

			s->pool = pool;
			llist_add(&s->node, &pool->free);
		}
	}
	return 0;

out_free:
	uwind_exit();
	return -ENOMEM;
}
