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
#include <linux/local_lock.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/nospec.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <asm/ptrace.h>

#include "internal.h"
#include "ehframe.h"
#include "gopclntab.h"
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
#define UWIND_MAX_SHDRS	128	/* section headers searched for .gopclntab */

/**
 * struct uwind_fentry - a cached file: its segments and unwind header
 * @inode:	the file (with @ino, against a reused inode address)
 * @ino:	its inode number
 * @nload:	PT_LOAD segments in @load
 * @load:	link-time address, file offset and file size of each
 * @hdr_vaddr:	link-time address of PT_GNU_EH_FRAME (.eh_frame_hdr)
 * @hdr_len:	its size, 0 when the file has none
 * @gop_vaddr:	without one, link-time address of a Go binary's .gopclntab
 * @gop_len:	its size, 0 when the file has none
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
	u64 gop_vaddr;
	u64 gop_len;
};

/**
 * struct uwind_step - one cached step from a frame to its caller
 * @cfa_off:	as struct ehf_rule's
 * @ra_off:	as struct ehf_rule's (-8 in every x86-64 CIE)
 * @bp_off:	as struct ehf_rule's, for EHF_BP_OFFSET
 * @kind:	UWIND_STEP_RULE (UWIND_STEP_FP, the frame pointer where no
 *		rule applies, is a rule too), UWIND_STEP_FPRULE (a rule that
 *		is the frame pointer's: CFA = BP + 16, RA at CFA - 8, BP at
 *		CFA - 16, the hard-irq walk's fast path), UWIND_STEP_END (the
 *		outermost frame) or UWIND_STEP_SIGNAL (a signal frame)
 * @cfa_base:	EHF_CFA_SP or EHF_CFA_BP
 * @bp_rule:	EHF_BP_SAME or EHF_BP_OFFSET
 * @fp:		1 for UWIND_STEP_FP (counted apart)
 */
struct uwind_step {
	s32 cfa_off;
	s16 ra_off;
	s16 bp_off;
	u8 kind;
	u8 cfa_base;
	u8 bp_rule;
	u8 fp;
};

/* The frame pointer is a rule like any other: the walk applies both alike. */
#define UWIND_STEP_RULE	1
#define UWIND_STEP_FP	UWIND_STEP_RULE
#define UWIND_STEP_FPRULE 2
#define UWIND_STEP_END	3
#define UWIND_STEP_SIGNAL 4	/* the signal trampoline: see uwind_sigframe */

/*
 * A signal frame: at the rt_sigreturn trampoline (the handler's return
 * address, the libc FDE marked 'S' whose CFA is a DWARF expression), SP
 * points at the struct ucontext the kernel pushed; the interrupted
 * registers are in its uc_mcontext (struct sigcontext: r8..r15, di, si,
 * bp, bx, dx, ax, cx, sp, ip, ...). The interrupted PC is exact, not a
 * return address.
 */
#define UWIND_SIG_MCTX	40		/* offsetof(struct ucontext, uc_mcontext) */
#define UWIND_SIG_BP	(UWIND_SIG_MCTX + 10 * 8)
#define UWIND_SIG_SP	(UWIND_SIG_MCTX + 15 * 8)
#define UWIND_SIG_IP	(UWIND_SIG_MCTX + 16 * 8)

/* The frame pointer as a rule: CFA = BP + 16, RA at CFA - 8, BP at CFA - 16. */
static const struct uwind_step uwind_fp_step = {
	.cfa_off = 16, .ra_off = -8, .bp_off = -16, .kind = UWIND_STEP_FP,
	.cfa_base = EHF_CFA_BP, .bp_rule = EHF_BP_OFFSET, .fp = 1,
};

/**
 * struct uwind_sentry - a step cache entry: one image's runtime range
 * @serial:	the image's generation (struct kpm_gen.serial), 0 if unused
 * @start:	first runtime PC (a lookup address: PC, or return address - 1)
 * @len:	PCs covered
 * @step:	the step over [@start, @start + @len)
 */
struct uwind_sentry {
	u64 serial;
	u64 start;
	u32 len;
	struct uwind_step step;
};

#define UWIND_STEP_WAYS	2	/* two rows of one 64-byte block */
#define UWIND_WANTS	8	/* per CPU */

#define UWIND_CACHE_RULES	1024	/* per CPU */
#define UWIND_CACHE_WAYS	4	/* entries per set, round-robin */
#define UWIND_CACHE_FILES	64	/* per CPU, direct-mapped */
#define UWIND_SCRATCH		2048	/* an FDE and its CIE, 1 KiB each */
#define UWIND_IRQ_FILES		16	/* per CPU, direct-mapped */
#define UWIND_IRQ_RULES		16	/* rules computed in hard irq a sample */
#define UWIND_COPIES		4	/* per CPU, PREEMPT_RT: see uwind_copy */
#define UWIND_COPY_BYTES	8192	/* of user stack a copy holds */

/**
 * struct uwind_copy - PREEMPT_RT: a sample inside the kernel completed
 * from a copy of its user stack
 * @busy:	bit 0: taken by the timer; cleared by uwind_copy_work()
 * @ready:	set (release) once the timer has filled it
 * @look:	lookup address of the first frame without a step
 * @sp:		that frame's stack pointer
 * @bp:		and frame pointer
 * @base:	user address of @stack[0] (@sp rounded down to 8)
 * @len:	bytes of @stack copied
 * @gen:	the image's generation id
 * @serial:	and serial
 * @tgid:	the sampled task
 * @tid:	likewise
 * @comm:	likewise
 * @owner:	its fair-share owner (sampler_owner_of())
 * @cgid:	its cgroup id (kpm_cg_note())
 * @h:		running hash of @pcs[0..@n)
 * @n:		frames in @pcs: @nk kernel ones, then user ones up to and
 *		including the frame at @look
 * @nk:		kernel frames
 * @flags:	PROFMAP_F_* so far
 * @pcs:	room for 2 * max_depth frames
 * @stack:	UWIND_COPY_BYTES
 *
 * On PREEMPT_RT no step is computed in hard irq (a page reference may
 * not be dropped there). A sample inside the kernel whose walk meets a
 * frame without a cached step copies the user stack above that frame
 * here; a work item bound to the CPU computes the steps from the files'
 * page cache in process context, walks the copy with them, caches them
 * for later samples, and counts the sample. The task is neither waited
 * for nor pinned (a task_work would pin the module until a blocking call
 * returns).
 */
struct uwind_copy {
	unsigned long busy;
	int ready;
	u64 look;
	u64 sp;
	u64 bp;
	u64 base;
	u32 len;
	u32 gen;
	u64 serial;
	u32 tgid;
	u32 tid;
	char comm[TASK_COMM_LEN];
	u8 owner;
	u64 cgid;
	u64 h;
	unsigned int n;
	unsigned int nk;
	u8 flags;
	u64 *pcs;
	u8 *stack;
};

/**
 * struct uwind_cpu - per-CPU unwinder state, used with preemption off
 *		(but @irq_files, @irq_scratch by the PREEMPT_RT copy work)
 * @steps:	step cache (unwind_steps entries, vmalloc memory): (image,
 *		runtime PC range) -> step, read by the
 *		timer in hard irq, written in task context with interrupts
 *		off (so the timer never sees half an entry)
 * @want:	PCs that samples inside the kernel found no step for, by
 *		image; written by the timer, taken in task context with
 *		interrupts off
 * @nwant:	entries of @want in use (the timer's fast path: 0)
 * @want_next:	next @want entry to replace when all are in use
 * @rules:	rule cache (task context)
 * @files:	file cache (task context)
 * @scratch:	FDE and CIE bytes of a rule being computed
 * @irq_files:	file cache of the rules computed in hard irq
 * @irq_scratch: @scratch for those (a tick may interrupt a computation)
 * @irq_step:	the step last computed in hard irq
 * @irq_nrules:	steps the current hard-irq walk computed (uwind_irq_miss())
 * @irq_nmiss:	frames of that walk that fell back for want of a step
 * @irq_miss:	the first of those frames' lookup address
 * @copies:	PREEMPT_RT: UWIND_COPIES stack copies (struct uwind_copy)
 * @copy_work:	PREEMPT_RT: completes them (uwind_copy_work()); on
 *		PREEMPT_RT the only user of @irq_files and @irq_scratch
 * @stats:	counters (each written by its CPU only)
 * @cpu:	the CPU
 * @victim:	next way to replace in a full rule-cache set
 * @svictim:	next way to replace in a full step-cache set
 */
struct uwind_cpu {
	struct uwind_sentry *steps;
	struct {
		u64 serial;
		u64 pc;
	} want[UWIND_WANTS];
	unsigned int nwant;
	unsigned int want_next;
	struct uwind_centry rules[UWIND_CACHE_RULES];
	struct uwind_fentry files[UWIND_CACHE_FILES];
	u8 scratch[UWIND_SCRATCH];
	struct uwind_fentry irq_files[UWIND_IRQ_FILES];
	u8 irq_scratch[UWIND_SCRATCH];
	struct uwind_step irq_step;
	unsigned int irq_nrules;
	unsigned int irq_nmiss;
	u64 irq_miss;
	struct uwind_copy *copies;
	struct work_struct copy_work;
	struct uwind_stats stats;
	unsigned int cpu;
	unsigned int victim;
	unsigned int svictim;
};

static struct uwind_pool *uwind_pools;		/* nr_cpu_ids of them */
static struct uwind_cpu **uwind_cpus;		/* nr_cpu_ids of them */
static size_t uwind_slot_size;
/* The step cache's sets, less one, times a set's 64 bytes: the byte
 * offset of the last set (see uwind_set_in()).
 */
static u64 uwind_step_mask;
static bool uwind_ready;	/* set once init has succeeded */

unsigned int kpm_unwind = 1;
module_param_named(unwind, kpm_unwind, uint, 0444);
MODULE_PARM_DESC(unwind,
		 "User stacks from .eh_frame in task context: 0 off (frame pointers), 1 samples of user mode (default), 2 also samples inside system calls (rmmod then waits for those calls to return)");

static unsigned int kpm_unwind_slots = 32;
module_param_named(unwind_slots, kpm_unwind_slots, uint, 0444);
MODULE_PARM_DESC(unwind_slots,
		 "Samples per CPU waiting for their user stack, 1..1024 (default 32)");

static unsigned int kpm_unwind_steps = 2048;
module_param_named(unwind_steps, kpm_unwind_steps, uint, 0444);
MODULE_PARM_DESC(unwind_steps,
		 "Step cache entries per CPU (32 bytes each), a power of two, 256..65536 (default 2048)");

static void uwind_stat(u64 *counter)
{
	kpm_stat_add(counter, 1);
}

/* --- hard irq: queue --- */

static void uwind_run(struct callback_head *work);

/*
 * Serializes the task-context users of a CPU's caches (uwind_complete()):
 * preemption off, or on PREEMPT_RT a per-CPU sleeping lock with migration
 * off, as the walk may put a page cache page, whose last reference takes
 * a lock that sleeps there.
 */
static DEFINE_PER_CPU(local_lock_t, uwind_llock) = INIT_LOCAL_LOCK(uwind_llock);

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

	if (addr > KPM_USER_END - sizeof(*v) || (addr & 7))
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

/* A Go binary's .gopclntab (Go binaries have no .eh_frame_hdr): found by
 * name among the section headers, read through the page cache like the
 * rest (a file whose headers are not cached is not taken for Go).
 */
static void uwind_go_section(struct address_space *mapping,
			     const Elf64_Ehdr *eh, struct uwind_fentry *f)
{
	static const char want[] = ".gopclntab";
	Elf64_Shdr sh, strs;
	char name[sizeof(want)];
	unsigned int i;

	if (eh->e_shentsize != sizeof(sh) || !eh->e_shnum ||
	    eh->e_shnum > UWIND_MAX_SHDRS || eh->e_shstrndx >= eh->e_shnum ||
	    !uwind_read_file(mapping, eh->e_shoff + eh->e_shstrndx * sizeof(sh),
			     &strs, sizeof(strs)) ||
	    strs.sh_size < sizeof(want))
		return;
	for (i = 0; i < eh->e_shnum; i++) {
		if (!uwind_read_file(mapping, eh->e_shoff + i * sizeof(sh), &sh,
				     sizeof(sh)))
			return;
		if (sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_ALLOC) ||
		    sh.sh_name > strs.sh_size - sizeof(want) ||
		    !uwind_read_file(mapping, strs.sh_offset + sh.sh_name, name,
				     sizeof(name)) ||
		    memcmp(name, want, sizeof(want)))
			continue;
		f->gop_vaddr = sh.sh_addr;
		f->gop_len = sh.sh_size;
		return;
	}
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
	f->gop_vaddr = 0;
	f->gop_len = 0;
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
	if (f->nload && !f->hdr_len)
		uwind_go_section(mapping, &eh, f);
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

/* Link-time address of file offset @off, or false (outside every
 * PT_LOAD's file bytes).
 */
static bool uwind_link_off(const struct uwind_fentry *f, u64 off, u64 *lpc)
{
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

/* The rule at link-time @lpc of the file @rd reads: from its .eh_frame,
 * or from a Go binary's .gopclntab (module/gopclntab.c).
 */
static int uwind_file_rule(struct uwind_reader *rd, u64 lpc, u8 *scratch,
			   size_t size, struct ehf_rule *rule)
{
	const struct uwind_fentry *f = rd->f;
	u64 fde;
	int ret;

	if (f->hdr_len) {
		ret = ehf_find_fde_mem(uwind_read_link, rd, f->hdr_vaddr,
				       f->hdr_len, lpc, &fde);
		if (!ret)
			ret = ehf_rule_mem(uwind_read_link, rd, fde, lpc,
					   scratch, size, rule);
		return ret;
	}
	if (!f->gop_len)
		return EHF_NO_FDE;
	ret = gop_rule_mem(uwind_read_link, rd, f->gop_vaddr, f->gop_len, lpc,
			   rule);
	if (ret == EHF_OK || ret == EHF_UNSUPPORTED || ret == EHF_NOREAD)
		return ret;
	/*
	 * A signal handler returns into Go's trampoline by its first
	 * instruction, so a return address less one lies before it (in
	 * padding, or the function before): the trampoline itself, for
	 * that one address.
	 */
	if (gop_rule_mem(uwind_read_link, rd, f->gop_vaddr, f->gop_len,
			 lpc + 1, rule) == EHF_OK &&
	    rule->signal && rule->fde_start == lpc + 1) {
		rule->row_start = lpc;
		rule->row_end = lpc + 1;
		return EHF_OK;
	}
	return ret;
}

/* The rule for runtime address @pc in @vma: cached, or from the file.
 * Its ranges are link-time addresses (the cache's and the file's); @lpcp
 * is set to @pc's link-time address once it is known.
 */
static int uwind_rule(struct uwind_cpu *u, struct vm_area_struct *vma,
		      u64 pc, struct ehf_rule *rule, u64 *lpcp)
{
	const struct inode *inode = file_inode(vma->vm_file);
	struct uwind_reader rd = { .mapping = vma->vm_file->f_mapping };
	struct uwind_centry *set, *c;
	unsigned int w;
	u64 lpc;
	int ret;

	rd.f = uwind_file(u, inode, rd.mapping);
	if (!rd.f ||
	    !uwind_link_off(rd.f, pc - vma->vm_start +
			    ((u64)vma->vm_pgoff << PAGE_SHIFT), &lpc))
		return UWIND_NOELF;
	*lpcp = lpc;
	if (!rd.f->hdr_len && !rd.f->gop_len)
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
	ret = uwind_file_rule(&rd, lpc, u->scratch, sizeof(u->scratch), rule);
	if (!rd.f->hdr_len)
		uwind_stat(&u->stats.go_rules);
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

/* --- the step cache: (image, runtime PC range) -> step --- */

/* An image's salt: where its 64-byte blocks start in the step cache,
 * as a byte offset (a multiple of 64).
 */
static __always_inline u64 uwind_salt(u64 serial)
{
	return (serial * GOLDEN_RATIO_64 >> 32) << 6;
}

/* The set of lookup address @look in step cache @steps (@mask:
 * uwind_step_mask) for the image of salt @salt: the 64-byte block of
 * @look, salted by the image, so one image's hot code spreads over
 * consecutive sets and two images' code over different ones. A set is
 * 64 bytes too, so the block's address, salted and masked, is the set's
 * byte offset: (look ^ salt) & mask, which also drops look's low 6 bits
 * (salt and mask have none). The hard-irq walk calls it with the three
 * in locals.
 */
static __always_inline struct uwind_sentry *
uwind_set_in(struct uwind_sentry *steps, u64 salt, u64 mask, u64 look)
{
	BUILD_BUG_ON(sizeof(*steps) * UWIND_STEP_WAYS != 64);
	return (void *)steps + ((look ^ salt) & mask);
}

/* The set of lookup address @look of image @serial in this CPU's cache. */
static __always_inline struct uwind_sentry *uwind_set(struct uwind_cpu *u,
						      u64 serial, u64 look)
{
	return uwind_set_in(u->steps, uwind_salt(serial), uwind_step_mask,
			    look);
}

/* Cache @step over runtime [@start, @end) for image @serial, in the set
 * of @look (which the range holds). Task context with preemption off, or
 * hard irq: the timer reads this CPU's cache, so a task context writes
 * with interrupts off.
 */
static void uwind_step_insert(struct uwind_cpu *u, u64 serial, u64 look,
			      u64 start, u64 end, const struct uwind_step *step)
{
	struct uwind_sentry *set = uwind_set(u, serial, look), *e;
	unsigned long irqflags;

	/* Long rows are cut to their 64-byte block: len is 32 bits. */
	if (end - start > U32_MAX) {
		start = max(start, look & ~63ULL);
		end = min(end, (look & ~63ULL) + 64);
	}
	if (set[0].serial == serial && set[0].start == start)
		e = &set[0];
	else if (set[1].serial == serial && set[1].start == start)
		e = &set[1];
	else if (!set[0].serial)
		e = &set[0];
	else if (!set[1].serial)
		e = &set[1];
	else
		e = &set[u->svictim++ % UWIND_STEP_WAYS];
	/* The timer reads this CPU's cache: no tick between the stores. */
	local_irq_save(irqflags);
	e->serial = serial;
	e->start = start;
	e->len = end - start;
	e->step = *step;
	local_irq_restore(irqflags);
}

/*
 * The step for lookup address @look from what a lookup found: @ret is
 * uwind_rule()'s status (or UWIND_NOFILE, UWIND_NOELF), @rule and @lpc
 * its results. A rule (or an unsupported one) holds over its row, a
 * fallback (the frame pointer) over @look alone, or over its 64-byte
 * block where no rule can apply; all are cut to the mapping [@lo, @hi)
 * when it holds @look. Data not in the page cache gives none: it may be
 * there next time.
 * Return: false when there is no step to cache.
 */
static bool uwind_make_step(u64 look, int ret, const struct ehf_rule *rule,
			    u64 lpc, u64 lo, u64 hi, u64 *startp, u64 *endp,
			    struct uwind_step *step)
{
	u64 start = look, end = look + 1;

	*step = uwind_fp_step;
	if (ret == EHF_NOREAD)
		return false;
	/*
	 * A file without rules, or none at all (anonymous code): the whole
	 * 64-byte block. Otherwise only the PC itself: another FDE (a
	 * signal trampoline after a gap, say) may begin within its block.
	 */
	if (ret == UWIND_NOFILE || ret == UWIND_NOELF) {
		start = look & ~63ULL;
		end = start + 64;
	}
	if (ret == EHF_OK || ret == EHF_UNSUPPORTED) {
		/* [row_start, row_end) at runtime: shifted by look - lpc. */
		if (rule->row_start <= lpc && lpc < rule->row_end) {
			start = look - (lpc - rule->row_start);
			end = look + (rule->row_end - lpc);
		}
	}
	if (ret == EHF_OK || (ret == EHF_UNSUPPORTED && rule->signal))
		step->fp = 0;
	if ((ret == EHF_OK || ret == EHF_UNSUPPORTED) && rule->signal) {
		step->kind = UWIND_STEP_SIGNAL;
	} else if (ret == EHF_OK) {
		if (rule->outermost) {
			step->kind = UWIND_STEP_END;
		} else {
			if (rule->ra_off != (s16)rule->ra_off ||
			    rule->bp_off != (s16)rule->bp_off)
				return false;
			step->kind = UWIND_STEP_RULE;
			step->cfa_base = rule->cfa_base;
			step->cfa_off = rule->cfa_off;
			step->ra_off = rule->ra_off;
			step->bp_rule = rule->bp_rule;
			step->bp_off = rule->bp_off;
			if (step->cfa_base == EHF_CFA_BP &&
			    step->cfa_off == 16 && step->ra_off == -8 &&
			    step->bp_rule == EHF_BP_OFFSET &&
			    step->bp_off == -16)
				step->kind = UWIND_STEP_FPRULE;
		}
	}
	if (lo <= look && look < hi) {
		start = max(start, lo);
		end = min(end, hi);
	}
	*startp = start;
	*endp = end;
	return start <= look && look < end;
}

/* Remember what the task-context walk found for @look (in @vma, or in
 * no file mapping) for image @serial's later samples.
 */
static void uwind_remember(struct uwind_cpu *u, u64 serial,
			   const struct vm_area_struct *vma, u64 look, int ret,
			   const struct ehf_rule *rule, u64 lpc)
{
	struct uwind_step step;
	u64 start, end;

	if (uwind_make_step(look, ret, rule, lpc, vma ? vma->vm_start : 0,
			    vma ? vma->vm_end : 0, &start, &end, &step)) {
		uwind_step_insert(u, serial, look, start, end, &step);
		uwind_stat(&u->stats.step_fills);
	}
}

/* The rule (or fallback) for lookup address @look in @mm, as the walk
 * finds it; @vma caches the last VMA.
 */
static int uwind_lookup(struct uwind_cpu *u, struct mm_struct *mm,
			struct vm_area_struct **vma, u64 look,
			struct ehf_rule *rule, u64 *lpc)
{
	struct vm_area_struct *v = *vma;

	if (!v || look < v->vm_start || look >= v->vm_end)
		*vma = v = find_vma(mm, look);
	if (v && v->vm_start <= look && v->vm_file && (v->vm_flags & VM_EXEC))
		return uwind_rule(u, v, look, rule, lpc);
	return UWIND_NOFILE;
}

/* Compute the steps that samples inside the kernel wanted for image
 * @serial on this CPU. Task context, preemption off, mmap lock held.
 */
static void uwind_fill_wants(struct uwind_cpu *u, struct mm_struct *mm,
			     u64 serial)
{
	struct vm_area_struct *vma = NULL;
	u64 pcs[UWIND_WANTS], lpc = 0;
	unsigned int i, n = 0;
	unsigned long irqflags;
	struct ehf_rule rule;
	int ret;

	local_irq_save(irqflags);
	for (i = 0; i < UWIND_WANTS && u->nwant; i++) {
		if (u->want[i].serial != serial)
			continue;
		pcs[n++] = u->want[i].pc;
		u->want[i].serial = 0;
		u->nwant--;
	}
	local_irq_restore(irqflags);
	for (i = 0; i < n; i++) {
		ret = uwind_lookup(u, mm, &vma, pcs[i], &rule, &lpc);
		uwind_remember(u, serial, vma, pcs[i], ret, &rule, lpc);
		uwind_stat(&u->stats.want_filled);
	}
}

/* --- hard irq: the walk from cached steps --- */

/* Want the step of @look for image @serial (a sample inside the kernel
 * had none): the image's next sample of user mode on this CPU computes it.
 */
static void uwind_want(struct uwind_cpu *u, u64 serial, u64 look)
{
	unsigned int i, free = UWIND_WANTS;

	for (i = 0; i < UWIND_WANTS; i++) {
		if (u->want[i].serial == serial && u->want[i].pc == look)
			return;
		if (!u->want[i].serial)
			free = i;
	}
	if (free == UWIND_WANTS)
		free = u->want_next++ % UWIND_WANTS;	/* replace one */
	else
		u->nwant++;
	u->want[free].serial = serial;
	u->want[free].pc = look;
}

static bool uwind_wanted(const struct uwind_cpu *u, u64 serial)
{
	unsigned int i;

	for (i = 0; i < UWIND_WANTS; i++)
		if (u->want[i].serial == serial)
			return true;
	return false;
}

/* What uwind_file_step() found. */
enum {
	UWIND_FS_STEP,		/* @step set */
	UWIND_FS_NONE,		/* none to be had now */
	UWIND_FS_OUTSIDE,	/* @look is in none of the image's mappings */
};

/*
 * The step at @look of image @serial (generation @id, or 0: current's
 * image's current one) from the page cache of the file its generation
 * holds (maps_file_irq()), over runtime [@s0, @s1). Bounded as in task
 * context; never waits (pages not cached and up to date are not read).
 * Uses the CPU's irq_files and irq_scratch: in hard irq, or on
 * PREEMPT_RT (where this is never done in hard irq) in uwind_copy_work().
 * Return: UWIND_FS_*.
 */
/* The vDSO's step at @look (its mapping [@start, @end)): it has no file,
 * so no rules, ever: the frame pointer, over the stretch
 * uwind_make_step() gives a fallback, to be cached.
 */
static bool uwind_vdso_step(u64 look, u64 start, u64 end, u64 *s0, u64 *s1,
			    struct uwind_step *step)
{
	struct ehf_rule none;

	return uwind_make_step(look, UWIND_NOFILE, &none, 0, start, end, s0,
			       s1, step);
}

static int uwind_file_step(struct uwind_cpu *u, u32 id, u64 serial,
			   u64 look, struct uwind_step *step, u64 *s0, u64 *s1)
{
	u64 start, end, pgoff, lpc = 0;
	struct inode *inode = NULL;
	struct uwind_reader rd;
	struct uwind_fentry *f;
	struct ehf_rule rule;
	bool ok = false;
	int ret;

	rcu_read_lock();
	switch (maps_file_irq(id, serial, look, &inode, &start, &end, &pgoff)) {
	case MAPS_FILE:
		break;
	case MAPS_VDSO:
		ok = uwind_vdso_step(look, start, end, s0, s1, step);
		goto out;
	case MAPS_OUTSIDE:
		rcu_read_unlock();
		return UWIND_FS_OUTSIDE;
	default:
		goto out;
	}
	rd.mapping = inode->i_mapping;
	f = &u->irq_files[hash_ptr((void *)inode, ilog2(UWIND_IRQ_FILES))];
	if (f->inode != inode || f->ino != inode->i_ino) {
		f->inode = NULL;
		if (!uwind_file_facts(rd.mapping, f))
			goto out;
		f->inode = inode;
		f->ino = inode->i_ino;
	}
	rd.f = f;
	if (!uwind_link_off(f, look - start + pgoff, &lpc))
		ret = UWIND_NOELF;
	else
		ret = uwind_file_rule(&rd, lpc, u->irq_scratch,
				      sizeof(u->irq_scratch), &rule);
	ok = uwind_make_step(look, ret, &rule, lpc, start, end, s0, s1, step);
out:
	rcu_read_unlock();
	return ok ? UWIND_FS_STEP : UWIND_FS_NONE;
}

/*
 * The step at @look of image @serial computed here, in hard irq, for a
 * sample inside the kernel, which cannot wait for its task; cached. Not
 * on PREEMPT_RT, where a page reference may not be dropped in hard irq
 * (see struct uwind_copy).
 * Return: UWIND_FS_*, @step set on UWIND_FS_STEP.
 */
static int uwind_irq_rule(struct uwind_cpu *u, u64 serial, u64 look,
			  struct uwind_step *step)
{
	u64 s0, s1;
	int ret;

	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return UWIND_FS_NONE;
	ret = uwind_file_step(u, 0, serial, look, step, &s0, &s1);
	if (ret == UWIND_FS_STEP)
		uwind_step_insert(u, serial, look, s0, s1, step);
	return ret;
}

static void uwind_copy_work(struct work_struct *work);

/* PREEMPT_RT: a CPU's stack copies, their frames and stack bytes. */
static size_t uwind_copy_size(void)
{
	/* the frames, and the cgroup tag after them */
	return UWIND_COPY_BYTES + (2 * kpm_max_depth + 1) * sizeof(u64);
}

static int uwind_copies_init(struct uwind_cpu *u)
{
	int node = cpu_to_node(u->cpu);
	unsigned int i;
	u8 *mem;

	u->copies = vzalloc_node(UWIND_COPIES * sizeof(*u->copies), node);
	if (!u->copies)
		return -ENOMEM;
	mem = vzalloc_node(UWIND_COPIES * uwind_copy_size(), node);
	if (!mem) {
		vfree(u->copies);
		u->copies = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < UWIND_COPIES; i++) {
		/* copies[0].stack is the block (uwind_exit() frees it). */
		u->copies[i].stack = mem + i * uwind_copy_size();
		u->copies[i].pcs = (u64 *)(u->copies[i].stack +
					   UWIND_COPY_BYTES);
	}
	INIT_WORK(&u->copy_work, uwind_copy_work);
	return 0;
}

/* --- PREEMPT_RT: samples completed from a copy of their stack --- */

/*
 * Hand the sample whose walk met @look without a step (frame state @sp,
 * @bp; @n frames in @pcs, @nk of them the kernel's, hashed into @h) to a
 * stack copy. Hard irq, page faults disabled, outside the user-access
 * window.
 * Return: false when no copy is free (counted): walk on by frame pointer.
 */
static noinline bool uwind_copy_take(struct uwind_cpu *u, const u64 *pcs,
				     unsigned int n, unsigned int nk, u64 h,
				     u8 flags, u64 look, u64 sp, u64 bp,
				     u32 gen, u64 serial)
{
	struct task_struct *task = current;
	u64 base = sp & ~7ULL, len = 0;
	struct uwind_copy *c;
	unsigned int i;

	for (i = 0; i < UWIND_COPIES; i++)
		if (!test_and_set_bit(0, &u->copies[i].busy))
			break;
	if (i == UWIND_COPIES) {
		uwind_stat(&u->stats.irq_copy_none);
		return false;
	}
	c = &u->copies[i];
	/* [base, base + len) below KPM_USER_END; a fault cuts it short. */
	if (base < KPM_USER_END - 8) {
		len = min_t(u64, UWIND_COPY_BYTES, KPM_USER_END - base);
		if (access_ok((const void __user *)base, len))
			len -= __copy_from_user_inatomic(c->stack,
					(const void __user *)base, len);
		else
			len = 0;
	}
	c->len = len & ~7ULL;
	c->base = base;
	c->look = look;
	c->sp = sp;
	c->bp = bp;
	c->gen = gen;
	c->serial = serial;
	c->tgid = task->tgid;
	c->tid = task->pid;
	c->owner = sampler_owner_of();
	c->cgid = kpm_cg_note(kpm.cpus[u->cpu], task);
	memcpy(c->comm, task->comm, sizeof(c->comm));
	c->comm[sizeof(c->comm) - 1] = '\0';
	memcpy(c->pcs, pcs, n * sizeof(*pcs));
	c->n = n;
	c->nk = nk;
	c->h = h;
	c->flags = flags;
	/* Pairs with uwind_copy_work()'s acquire: the copy is whole. */
	smp_store_release(&c->ready, 1);
	/* queue_work_on() takes the pool's raw spinlock: fine in hard irq. */
	queue_work_on(u->cpu, system_highpri_wq, &u->copy_work);
	uwind_stat(&u->stats.irq_copied);
	return true;
}

/* The word at user address @addr from copy @c; false outside it. */
static bool uwind_copy_word(const struct uwind_copy *c, u64 addr, u64 *v)
{
	if (addr < c->base || c->len < 8 || addr - c->base > c->len - 8)
		return false;
	memcpy(v, c->stack + (addr - c->base), sizeof(*v));
	return true;
}

/*
 * Walk copy @c on from its frame without a step: each step computed from
 * the file's page cache (uwind_file_step(), the frame pointer where none
 * can be), cached when this runs on the copy's CPU, applied to the copy.
 * Then the sample is counted. Process context.
 */
static void uwind_copy_complete(struct uwind_cpu *u, struct uwind_copy *c)
{
	const u64 mul = profmap_hash_mul(&kpm.pool);
	unsigned int n = c->n, max = c->nk + kpm_max_depth;
	u64 look = c->look, sp = c->sp, bp = c->bp, h = c->h;
	u64 pc = 0, cfa, nsp, s0, s1;
	struct uwind_step step;
	u8 flags = c->flags;
	bool whole = false, past = false;

	for (;;) {
		switch (uwind_file_step(u, c->gen, c->serial, look, &step, &s0,
					&s1)) {
		case UWIND_FS_STEP:
			preempt_disable();
			if (smp_processor_id() == u->cpu)
				uwind_step_insert(u, c->serial, look, s0, s1,
						  &step);
			preempt_enable();
			break;
		default:
			/* No rule (now, or ever: see uwind_irq_miss()). */
			step = uwind_fp_step;
			break;
		}
		if (step.kind == UWIND_STEP_END) {
			whole = true;
			break;
		}
		if (step.kind == UWIND_STEP_SIGNAL) {
			if (!uwind_copy_word(c, sp + UWIND_SIG_IP, &pc) ||
			    !uwind_copy_word(c, sp + UWIND_SIG_BP, &bp) ||
			    !uwind_copy_word(c, sp + UWIND_SIG_SP, &nsp)) {
				past = sp + UWIND_SIG_MCTX >= c->base + c->len;
				break;
			}
			sp = nsp;
			look = pc;
		} else {
			cfa = (step.cfa_base == EHF_CFA_SP ? sp : bp) +
			      (s64)step.cfa_off;
			/* The caller's frame lies above this one. */
			if (cfa <= sp || (cfa & 7) || cfa >= TASK_SIZE_MAX) {
				whole = true;	/* an end, not the copy's */
				break;
			}
			if (!uwind_copy_word(c, cfa + (s64)step.ra_off, &pc) ||
			    (step.bp_rule == EHF_BP_OFFSET &&
			     !uwind_copy_word(c, cfa + (s64)step.bp_off, &bp))) {
				past = cfa + (s64)step.ra_off >= c->base + c->len;
				break;
			}
			sp = cfa;
			look = pc - 1;
		}
		/* The checks in the order of uwind_irq()'s: the same flags. */
		if (!pc) {
			whole = true;
			break;
		}
		if (n == max) {
			flags |= PROFMAP_F_UTRUNC;
			whole = true;
			break;
		}
		if (pc >= TASK_SIZE_MAX) {
			whole = true;
			break;
		}
		c->pcs[n++] = pc;
		h = profmap_hash_mix(h, pc, mul);
	}
	/*
	 * A read past the copy's end where the copy is whole: the stack went
	 * on. (Past a copy a fault cut short is past the stack's mapped end,
	 * below the copy a bad frame: ends, not the copy's.)
	 */
	if (!whole && past && c->len == UWIND_COPY_BYTES) {
		/* The copy ended before the stack did (not max_depth: no U). */
		uwind_stat(&u->stats.copy_short);
	}
	uwind_stat(&u->stats.copies);
	sampler_account_as(c->pcs, c->nk, n, flags, h, c->gen, c->tgid,
			   c->tid, c->comm, c->owner, c->cgid);
}

/* The work of a CPU's stack copies (struct uwind_copy). */
static void uwind_copy_work(struct work_struct *work)
{
	struct uwind_cpu *u = container_of(work, struct uwind_cpu, copy_work);
	struct uwind_copy *c;
	unsigned int i;

	for (i = 0; i < UWIND_COPIES; i++) {
		c = &u->copies[i];
		/* Pairs with uwind_copy_take()'s release. */
		if (!smp_load_acquire(&c->ready))
			continue;
		uwind_copy_complete(u, c);
		WRITE_ONCE(c->ready, 0);
		clear_bit_unlock(0, &c->busy);
	}
}

void uwind_flush_cpu(unsigned int cpu)
{
	struct uwind_cpu *u;

	if (!IS_ENABLED(CONFIG_PREEMPT_RT) || !uwind_cpus)
		return;
	u = uwind_cpus[cpu];
	if (!u || !u->copies)
		return;
	/*
	 * Complete the copies here rather than wait for the kworker, which
	 * a SCHED_FIFO task on that CPU may starve: once the work is
	 * cancelled (or has run), its buffers have no other user, as the
	 * CPU's timer is cancelled.
	 */
	cancel_work_sync(&u->copy_work);
	uwind_copy_work(&u->copy_work);
}

void uwind_flush(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		uwind_flush_cpu(cpu);
}

/*
 * PREEMPT_RT: a frame of a sample inside the kernel without a cached step.
 * In a file: the sample goes to a stack copy (true). The vDSO: its
 * frame-pointer step, cached. Outside the image's mappings (see
 * uwind_irq_miss()): the frame pointer, no copy. Otherwise (the
 * generation not current, no copy free) @stepp stays NULL: the frame
 * pointer, the PC wanted. No page is touched: maps_file_irq() reads the
 * generation under RCU.
 */
static noinline __cold bool
uwind_irq_rt(struct uwind_cpu *u, const u64 *pcs, unsigned int n,
	     unsigned int nk, u64 h, u8 flags, u64 look, u64 sp, u64 bp,
	     u32 gen, u64 serial, const struct uwind_step **stepp)
{
	u64 start = 0, end = 0, pgoff, s0, s1;
	struct inode *inode;
	int where;

	rcu_read_lock();
	where = maps_file_irq(0, serial, look, &inode, &start, &end, &pgoff);
	rcu_read_unlock();
	switch (where) {
	case MAPS_FILE:
		return uwind_copy_take(u, pcs, n, nk, h, flags, look, sp, bp,
				       gen, serial);
	case MAPS_VDSO:
		if (uwind_vdso_step(look, start, end, &s0, &s1, &u->irq_step)) {
			uwind_step_insert(u, serial, look, s0, s1,
					  &u->irq_step);
			*stepp = &u->irq_step;
		}
		return false;
	case MAPS_OUTSIDE:
		uwind_stat(&u->stats.irq_outside);
		*stepp = &uwind_fp_step;
		return false;
	default:
		return false;
	}
}

/*
 * A frame of a sample inside the kernel without a cached step: computed
 * here (at most UWIND_IRQ_RULES a sample), else the frame pointer, its
 * PC wanted. A PC in none of the image's mappings (anonymous code such as
 * a JIT's, a mapping newer than the generation, or no code at all: what a
 * frame-pointer fallback read) has no rule to wait for: the frame
 * pointer, counted apart. Out of line, its counts in @u (zeroed by the
 * walk's first miss, @first): the walk's loop keeps its state in
 * registers, and its fast path touches none of them.
 */
static noinline __cold const struct uwind_step *
uwind_irq_miss(struct uwind_cpu *u, u64 serial, u64 look, bool first)
{
	if (first) {
		u->irq_nrules = 0;
		u->irq_nmiss = 0;
	}
	if (u->irq_nrules < UWIND_IRQ_RULES) {
		switch (uwind_irq_rule(u, serial, look, &u->irq_step)) {
		case UWIND_FS_STEP:
			u->irq_nrules++;
			return &u->irq_step;
		case UWIND_FS_OUTSIDE:
			uwind_stat(&u->stats.irq_outside);
			return &uwind_fp_step;
		}
	}
	if (!u->irq_nmiss++)
		u->irq_miss = look;
	return &uwind_fp_step;
}

/* A frame record at @bp that uwind_irq()'s frame-pointer step may read:
 * at or above @sp, both words at or below @top, aligned.
 */
static __always_inline bool uwind_fp_ok(u64 bp, u64 sp, u64 top)
{
	return bp >= sp && bp <= top - 16 && !(bp & 7);
}

int uwind_irq(unsigned int cpu, const struct pt_regs *regs, u32 gen,
	      u64 serial, bool may_defer, struct sampler_capture *cap)
{
	const unsigned int nk = cap->n;
	/* Every read is of a word in [lo, top]: the stack only goes up from
	 * regs->sp, and [lo, top + 8) is the range opened below.
	 */
	const u64 top = KPM_USER_END - sizeof(u64);
	const u64 mul = profmap_hash_mul(&kpm.pool);
	struct uwind_cpu *u = uwind_cpus[cpu];
	struct uwind_stats *st = &u->stats;
	u64 pc = regs->ip, sp = regs->sp, bp = regs->bp;
	/* A return address points after its call: the walk looks up the
	 * call (look is pc - 1 but for the first frame and a signal frame's
	 * interrupted PC).
	 */
	u64 lo = sp & ~7ULL, hh = cap->h, look = pc, cfa, a;
	struct uwind_sentry *steps = u->steps;
	const u64 salt = uwind_salt(serial), mask = uwind_step_mask;
	u64 *out = cap->pcs + nk, *o = out, *oend = out + kpm_max_depth;
	unsigned int k = 0, nfp = 0;
	const struct uwind_sentry *e;
	const struct uwind_step *step;
	int ret = UWIND_IRQ_DONE;
	bool faulted = false, missed = false;

	/* Not current's mm loaded (an EFI call), or a stack off the map. */
	if (!READ_ONCE(uwind_ready) || current->active_mm != current->mm ||
	    lo >= top)
		return UWIND_IRQ_FP;
	if (may_defer && unlikely(u->nwant) && uwind_wanted(u, serial)) {
		uwind_stat(&st->irq_defer_want);
		return UWIND_IRQ_DEFER;
	}
	pagefault_disable();
	if (!kpm_user_access_begin()) {
		pagefault_enable();
		return UWIND_IRQ_FP;
	}
	for (;;) {
		/* Zero ends the stack; no user code lies at or above
		 * TASK_SIZE_MAX (top + 16; from top, which is in a
		 * register: TASK_SIZE_MAX is an alternative, not a constant).
		 */
		if (unlikely(pc - 1 >= top + 15)) {
			if (pc)
				uwind_stat(&st->end_bad);
			break;
		}
		if (unlikely(o == oend)) {
			/* A break here ends in UWIND_IRQ_DONE. */
			cap->flags |= PROFMAP_F_UTRUNC;
			break;
		}
		*o++ = pc;
		e = uwind_set_in(steps, salt, mask, look);
		if (likely(e[0].serial == serial && look - e[0].start < e[0].len)) {
			step = &e[0].step;
		} else if (e[1].serial == serial &&
			   look - e[1].start < e[1].len) {
			step = &e[1].step;
		} else {
			k = o - out;
			if (may_defer) {
				ret = UWIND_IRQ_DEFER;
				break;
			}
			/* Inside the kernel: no waiting for the task. */
			user_access_end();
			step = NULL;
			if (IS_ENABLED(CONFIG_PREEMPT_RT) &&
			    uwind_irq_rt(u, out - nk, nk + k, nk,
					 profmap_hash_pcs(hh, out, k, mul),
					 cap->flags, look, sp, bp, gen, serial,
					 &step)) {
				ret = UWIND_IRQ_COPY;
				goto out_pf;
			}
			if (!step) {
				step = uwind_irq_miss(u, serial, look, !missed);
				missed = true;
			}
			if (!kpm_user_access_begin())
				goto out_pf;
		}
		/*
		 * The fast path: a rule that is the frame pointer's, and a
		 * frame record at or above sp. Then all the general step
		 * below checks holds (sp < BP + 16 <= top, aligned, both
		 * words, [BP, BP + 16), in the window), and it reads the same
		 * two words. Any other frame takes the general step.
		 */
		if (likely(step->kind == UWIND_STEP_FPRULE &&
			   uwind_fp_ok(bp, sp, top))) {
			a = array_index_nospec(bp, top - 15);
			unsafe_get_user(pc, (u64 __user *)(a + 8), fault);
			unsafe_get_user(bp, (u64 __user *)a, fault);
			sp = a + 16;
			/*
			 * A recursive call returns where this frame's call
			 * does: the same look, the same step, no lookup (pc
			 * passes the loop's bound: look lies in a file's
			 * step). The end of out[], or a frame record the fast
			 * path cannot take, goes round the loop instead.
			 */
			a = look;
			look = pc - 1;
			if (unlikely(look == a)) {
				/* A branch of its own: not merged into setcc
				 * arithmetic that every other frame would pay.
				 */
				asm volatile("");
				while (o != oend && uwind_fp_ok(bp, sp, top)) {
					*o++ = pc;
					a = array_index_nospec(bp, top - 15);
					unsafe_get_user(pc, (u64 __user *)(a + 8),
							fault);
					unsafe_get_user(bp, (u64 __user *)a, fault);
					sp = a + 16;
					if (pc - 1 != look)
						break;
				}
				look = pc - 1;
			}
			continue;
		}
		if (unlikely(step->kind != UWIND_STEP_RULE &&
			     step->kind != UWIND_STEP_FPRULE)) {
			if (step->kind != UWIND_STEP_SIGNAL)
				break;		/* the outermost frame */
			/* The interrupted registers, from the ucontext at sp. */
			a = sp + UWIND_SIG_IP;
			if (a - lo > top - lo || sp + UWIND_SIG_BP < lo)
				break;
			unsafe_get_user(pc, (u64 __user *)
					array_index_nospec(a, top + 1), fault);
			unsafe_get_user(bp, (u64 __user *)
					array_index_nospec(sp + UWIND_SIG_BP, top + 1),
					fault);
			unsafe_get_user(sp, (u64 __user *)
					array_index_nospec(sp + UWIND_SIG_SP, top + 1),
					fault);
			look = pc;
			continue;
		}
		nfp += step->fp;
		cfa = (step->cfa_base == EHF_CFA_SP ? sp : bp) +
		      (s64)step->cfa_off;
		/* The caller's frame lies above this one: sp < cfa <= top. */
		if (cfa - sp - 1 >= top - sp || (cfa & 7))
			break;
		a = cfa + (s64)step->ra_off;
		if (a - lo > top - lo)
			break;
		unsafe_get_user(pc, (u64 __user *)array_index_nospec(a, top + 1),
				fault);
		if (step->bp_rule == EHF_BP_OFFSET) {
			a = cfa + (s64)step->bp_off;
			if (a - lo > top - lo)
				break;
			unsafe_get_user(bp, (u64 __user *)
					array_index_nospec(a, top + 1), fault);
		}
		sp = cfa;
		look = pc - 1;
	}
out:
	user_access_end();
out_pf:
	pagefault_enable();
	k = o - out;
	if (faulted)
		uwind_stat(&st->irq_end_fault);
	if (ret == UWIND_IRQ_DEFER) {
		uwind_stat(&st->irq_defer_miss);
		return ret;
	}
	if (ret == UWIND_IRQ_COPY)
		return ret;
	if (unlikely(missed)) {
		if (u->irq_nmiss) {
			kpm_stat_add(&st->irq_miss_fp, u->irq_nmiss);
			uwind_stat(&st->irq_unready);
			uwind_want(u, serial, u->irq_miss);
		}
		if (u->irq_nrules)
			kpm_stat_add(&st->irq_rules, u->irq_nrules);
	}
	kpm_stat_add(&st->irq_frames, k);
	kpm_stat_add(&st->irq_frames_fp, nfp);
	uwind_stat(&st->irq_walks);
	cap->n = nk + k;
	/* Hashed after the walk, not in its loop, where the hash's two live
	 * values cost the step cache registers.
	 */
	cap->h = profmap_hash_pcs(hh, out, k, mul);
	return ret;
fault:
	faulted = true;
	goto out;
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

/* Out of a signal frame (see UWIND_SIG_MCTX); false when the walk ends. */
static bool uwind_step_signal(struct uwind_stats *st, struct uwind_frame *f)
{
	u64 pc, sp, bp;

	if (!uwind_read_u64(f->sp + UWIND_SIG_IP, &pc) ||
	    !uwind_read_u64(f->sp + UWIND_SIG_SP, &sp) ||
	    !uwind_read_u64(f->sp + UWIND_SIG_BP, &bp)) {
		uwind_stat(&st->end_fault);
		return false;
	}
	uwind_stat(&st->frames_signal);
	f->pc = pc;
	f->sp = sp;
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
 * uses its file's rule where one applies, and what it used is cached for
 * image @serial's later samples (uwind_irq()); without, frame pointers
 * only. Called with preemption disabled (per-CPU caches and scratch).
 */
static unsigned int uwind_walk(struct uwind_cpu *u, struct mm_struct *mm,
			       u64 serial, const struct pt_regs *regs, u64 *out,
			       unsigned int max, u64 *h, u8 *flags)
{
	struct uwind_frame f = { .pc = regs->ip, .sp = regs->sp, .bp = regs->bp };
	struct vm_area_struct *vma = NULL;
	struct uwind_stats *st = &u->stats;
	struct ehf_rule rule;
	unsigned int n = 0;
	u64 look, lpc = 0;
	bool exact = true, unready = false;
	int ret;

	while (f.pc) {
		if (n == max) {
			*flags |= PROFMAP_F_UTRUNC;
			uwind_stat(&st->truncated);
			break;
		}
		/* A return address points after its call: look up the call. */
		look = exact ? f.pc : f.pc - 1;
		exact = false;
		ret = UWIND_NOFILE;
		if (mm) {
			ret = uwind_lookup(u, mm, &vma, look, &rule, &lpc);
			/*
			 * A caller must be code: a return address in no
			 * executable mapping was read from something else (a
			 * frame pointer used as a general register, say). The
			 * first PC is where the task was, whatever it is.
			 */
			if (n && (!vma || look < vma->vm_start ||
				  !(vma->vm_flags & VM_EXEC))) {
				uwind_stat(&st->end_bad);
				break;
			}
			/* For the timer's next samples of this image. */
			if (serial)
				uwind_remember(u, serial, vma, look, ret, &rule,
					       lpc);
		} else if (n && f.pc >= TASK_SIZE_MAX) {
			uwind_stat(&st->end_bad);
			break;
		}
		out[n++] = f.pc;
		*h = profmap_hash_step(&kpm.pool, *h, f.pc);
		if (ret == EHF_OK && !rule.signal) {
			if (!uwind_step_rule(st, &rule, &f))
				break;
			continue;
		}
		if ((ret == EHF_OK || ret == EHF_UNSUPPORTED) && rule.signal) {
			if (!uwind_step_signal(st, &f))
				break;
			exact = true;
			continue;
		}
		uwind_fallback(st, ret);
		unready |= ret == EHF_NOREAD;
		if (!uwind_step_fp(st, &f))
			break;
	}
	if (unready)
		uwind_stat(&st->unready);
	return n;
}

/* Complete the sample of @s in current's context and free the slot. */
static noinline void uwind_complete(struct uwind_slot *s)
{
	struct task_struct *task = current;
	struct mm_struct *mm = task->mm;
	struct pt_regs *regs = task_pt_regs(task);
	bool live, locked = false, first = false;
	struct uwind_cpu *u;
	unsigned int nu = 0;
	u8 flags = s->flags;
	u64 h = s->h, serial = 0;
	u32 gen;

	live = mm && !(task->flags & (PF_EXITING | PF_KTHREAD)) &&
	       user_64bit_mode(regs) && regs->ip;
	/* Before the CPU's lock: on PREEMPT_RT the rwsem is a sleeping lock. */
	if (live) {
		locked = mmap_read_trylock(mm);
		/*
		 * An image's first visit takes its generation before the
		 * walk, so that the walk's steps are cached under its
		 * serial: walked with none, they were not, and the image's
		 * next sample of user mode missed them and came back for a
		 * second visit (one per process, about 5,000 instructions).
		 */
		if (!maps_gen(&serial) && locked) {
			maps_visit(mm, NULL, 0);
			first = true;
			maps_gen(&serial);
		}
	}
	local_lock(&uwind_llock);
	u = uwind_cpus[smp_processor_id()];
	if (!live) {
		uwind_stat(&u->stats.no_mm);
	} else {
		if (!locked)
			uwind_stat(&u->stats.lock_busy);
		nu = uwind_walk(u, locked ? mm : NULL, serial, regs,
				s->pcs + s->nk, kpm_max_depth, &h, &flags);
		if (locked && serial && READ_ONCE(u->nwant))
			uwind_fill_wants(u, mm, serial);
	}
	local_unlock(&uwind_llock);
	/* The mapping records of these frames, taken here if need be (not
	 * again when the capture above has just failed).
	 */
	if (locked) {
		gen = first && !serial ? 0 : maps_visit(mm, s->pcs + s->nk, nu);
		mmap_read_unlock(mm);
	} else {
		gen = maps_gen(NULL);
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

size_t uwind_bytes(void)
{
	if (!uwind_cpus)
		return 0;
	return num_possible_cpus() *
	       (sizeof(struct uwind_cpu) + kpm_unwind_slots * uwind_slot_size +
		kpm_unwind_steps * sizeof(struct uwind_sentry) +
		(IS_ENABLED(CONFIG_PREEMPT_RT) ?
		 UWIND_COPIES * (sizeof(struct uwind_copy) + uwind_copy_size()) :
		 0));
}

void uwind_enable(void)
{
	WRITE_ONCE(uwind_ready, true);
}

void uwind_exit(void)
{
	unsigned int cpu;

	/* No timer runs: no copy is taken again. */
	if (uwind_cpus)
		for_each_possible_cpu(cpu)
			if (uwind_cpus[cpu] && uwind_cpus[cpu]->copies) {
				cancel_work_sync(&uwind_cpus[cpu]->copy_work);
				vfree(uwind_cpus[cpu]->copies[0].stack);
				vfree(uwind_cpus[cpu]->copies);
			}

	if (uwind_pools)
		for_each_possible_cpu(cpu)
			vfree(uwind_pools[cpu].mem);
	if (uwind_cpus)
		for_each_possible_cpu(cpu) {
			if (uwind_cpus[cpu])
				vfree(uwind_cpus[cpu]->steps);
			vfree(uwind_cpus[cpu]);
		}
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
	if (kpm_unwind_steps < 256 || kpm_unwind_steps > 65536 ||
	    !is_power_of_2(kpm_unwind_steps)) {
		pr_err("unwind_steps=%u out of range: a power of two in 256..65536\n",
		       kpm_unwind_steps);
		return -EINVAL;
	}
	uwind_step_mask = (u64)(kpm_unwind_steps / UWIND_STEP_WAYS - 1) << 6;
	/* the frames, and the cgroup tag after them */
	uwind_slot_size = ALIGN(struct_size((struct uwind_slot *)NULL, pcs,
					    2 * kpm_max_depth + 1), 64);
	uwind_pools = kcalloc(nr_cpu_ids, sizeof(*uwind_pools), GFP_KERNEL);
	uwind_cpus = kcalloc(nr_cpu_ids, sizeof(*uwind_cpus), GFP_KERNEL);
	if (!uwind_pools || !uwind_cpus)
		goto out_free;
	for_each_possible_cpu(cpu) {
		struct uwind_pool *pool = &uwind_pools[cpu];

		uwind_cpus[cpu] = vzalloc_node(sizeof(*uwind_cpus[cpu]),
					       cpu_to_node(cpu));
		if (!uwind_cpus[cpu])
			goto out_free;
		uwind_cpus[cpu]->cpu = cpu;
		if (IS_ENABLED(CONFIG_PREEMPT_RT) &&
		    uwind_copies_init(uwind_cpus[cpu]))
			goto out_free;
		pool->mem = vzalloc_node(kpm_unwind_slots * uwind_slot_size,
					 cpu_to_node(cpu));
		if (!pool->mem)
			goto out_free;
		uwind_cpus[cpu]->steps =
			vzalloc_node(array_size(kpm_unwind_steps,
						sizeof(struct uwind_sentry)),
				     cpu_to_node(cpu));
		if (!uwind_cpus[cpu]->steps)
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
