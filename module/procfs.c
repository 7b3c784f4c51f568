// SPDX-License-Identifier: GPL-2.0
/*
 * procfs.c - /proc/kprofmap/{samples,drain,control,stats}
 *
 * samples and drain: opening either collects every CPU's hot map into
 * the aggregate, then samples copies the aggregate into a snapshot private
 * to the open file, while drain moves the aggregate's entries into it and
 * starts a new window, all under kpm.lock. The snapshot is printed by seq_file without any
 * lock, so a slow reader never holds up sampling, other readers or
 * unload, and every sample taken before the open is in it exactly once.
 *
 * Privilege is checked once, at open: kernel addresses are secrets.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "kprofmap.h"

/**
 * struct kpm_snap - what one open of samples/drain prints
 * @nr:		records
 * @ents:	the records, in insertion order
 * @copy:	samples: the buffer holding copies of the entries and their
 *		stacks that @ents point into; NULL for drain
 * @moved:	drain: the aggregate's entries, moved here; freed at release
 * @start_ns:	window start, CLOCK_REALTIME ns
 * @end_ns:	window end (the snapshot), CLOCK_REALTIME ns
 * @cpus:	online CPUs at the snapshot
 * @lost_alloc:	samples lost in the window to failed allocations
 * @lost_cap:	samples lost in the window to max_entries
 */
struct kpm_snap {
	size_t nr;
	const struct profmap_entry **ents;
	char *copy;
	struct profmap_list moved;
	u64 start_ns;
	u64 end_ns;
	unsigned int cpus;
	u64 lost_alloc;
	u64 lost_cap;
};

static int kpm_proc_permitted(void)
{
	return perfmon_capable() ? 0 : -EACCES;
}

static void kpm_snap_free(struct kpm_snap *snap)
{
	profmap_free_list(&kpm.pool, &snap->moved);
	kvfree(snap->ents);
	kvfree(snap->copy);
	kfree(snap);
}

/* Bytes of an entry's copy: the entry, then its frames. */
static size_t kpm_copy_size(const struct profmap_entry *e)
{
	return sizeof(*e) + (e->nk + e->nu) * sizeof(u64);
}

/* samples: copy kpm.agg into @snap. Called with kpm.lock held. */
static int kpm_snap_copy(struct kpm_snap *snap)
{
	const struct profmap_entry *e;
	size_t bytes = 0, pos = 0, i = 0;

	for (e = kpm.agg.all; e; e = e->next_all)
		bytes += kpm_copy_size(e);
	snap->copy = kvmalloc(bytes ?: 1, GFP_KERNEL | __GFP_NOWARN);
	if (!snap->copy)
		return -ENOMEM;

	for (e = kpm.agg.all; e; e = e->next_all) {
		struct profmap_entry *c = (void *)(snap->copy + pos);

		*c = *e;
		c->stk = (u64 *)(c + 1);
		memcpy(c->stk, e->stk, (e->nk + e->nu) * sizeof(u64));
		snap->ents[i++] = c;
		pos += kpm_copy_size(e);
		if (!(i & 255))
			cond_resched();
	}
	snap->lost_alloc = kpm.agg.lost_alloc;
	snap->lost_cap = kpm.agg.lost_cap;
	return 0;
}

/* drain: move kpm.agg's entries into @snap, O(1) memory. Called with
 * kpm.lock held.
 */
static void kpm_snap_move(struct kpm_snap *snap)
{
	const struct profmap_entry *e;
	size_t i = 0;

	profmap_detach(&kpm.agg, &snap->moved);
	for (e = snap->moved.first; e; e = e->next_all)
		snap->ents[i++] = e;
	snap->lost_alloc = snap->moved.lost_alloc;
	snap->lost_cap = snap->moved.lost_cap;
}

/* Build the snapshot of an open; @drain moves the aggregate out and
 * starts a new window in the same critical section, so each sample is
 * drained exactly once.
 */
static struct kpm_snap *kpm_snap_take(bool drain)
{
	struct kpm_snap *snap;
	int ret = 0;

	snap = kzalloc(sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return ERR_PTR(-ENOMEM);

	cpus_read_lock();
	mutex_lock(&kpm.lock);
	kpm_collect();
	cpus_read_unlock();

	snap->nr = kpm.agg.nr_entries;
	snap->ents = kvmalloc_array(snap->nr ?: 1, sizeof(*snap->ents),
				    GFP_KERNEL | __GFP_NOWARN);
	if (!snap->ents)
		ret = -ENOMEM;
	else if (drain)
		kpm_snap_move(snap);
	else
		ret = kpm_snap_copy(snap);
	if (!ret) {
		snap->start_ns = kpm.window_start_ns;
		snap->end_ns = kpm_now_real_ns();
		snap->cpus = num_online_cpus();
		if (drain)
			kpm.window_start_ns = snap->end_ns;
	}
	mutex_unlock(&kpm.lock);
	if (ret) {
		kpm_snap_free(snap);
		return ERR_PTR(ret);
	}
	return snap;
}

/* Formatting: small pieces written straight into the seq_file. */
static void kpm_put_hex(struct seq_file *m, u64 v)
{
	char tmp[16];
	int n = sizeof(tmp);

	do {
		tmp[--n] = hex_asc[v & 0xf];
		v >>= 4;
	} while (v);
	seq_write(m, tmp + n, sizeof(tmp) - n);
}

static void kpm_put_comm(struct seq_file *m, const char *comm)
{
	unsigned int i;

	if (!comm[0]) {
		seq_puts(m, "\\x00");
		return;
	}
	for (i = 0; i < KPM_COMM_LEN - 1 && comm[i]; i++) {
		unsigned char ch = comm[i];

		if (ch < 0x21 || ch > 0x7e || ch == '\\')
			seq_printf(m, "\\x%02x", ch);
		else
			seq_putc(m, ch);
	}
}

static void kpm_put_pcs(struct seq_file *m, const char *tag, const u64 *pcs,
			unsigned int n)
{
	unsigned int i;

	seq_puts(m, tag);
	for (i = 0; i < n; i++) {
		if (i)
			seq_putc(m, ',');
		kpm_put_hex(m, pcs[i]);
	}
}

static void kpm_show_rec(struct seq_file *m, const struct profmap_entry *e)
{
	seq_printf(m, "%c %llu %u %u ", KPM_REC_SAMPLE, e->count, e->tgid,
		   e->tid);
	kpm_put_comm(m, e->comm);
	seq_putc(m, ' ');
	if (!e->flags)
		seq_putc(m, KPM_FLAG_NONE);
	if (e->flags & PROFMAP_F_KTRUNC)
		seq_putc(m, KPM_FLAG_KTRUNC);
	if (e->flags & PROFMAP_F_UTRUNC)
		seq_putc(m, KPM_FLAG_UTRUNC);
	kpm_put_pcs(m, " k=", e->stk, e->nk);
	kpm_put_pcs(m, " u=", e->stk + e->nk, e->nu);
	seq_putc(m, '\n');
}

/*
 * seq_file positions: 0 is the header, 1..nr the records, nr + 1 the
 * lost record (when anything was lost).
 */
static bool kpm_has_lost(const struct kpm_snap *snap)
{
	return snap->lost_alloc || snap->lost_cap;
}

static void *kpm_samples_start(struct seq_file *m, loff_t *pos)
{
	struct kpm_snap *snap = m->private;
	loff_t last = snap->nr + kpm_has_lost(snap);

	return *pos <= last ? (void *)(uintptr_t)(*pos + 1) : NULL;
}

static void *kpm_samples_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return kpm_samples_start(m, pos);
}

static void kpm_samples_stop(struct seq_file *m, void *v)
{
}

static int kpm_samples_show(struct seq_file *m, void *v)
{
	struct kpm_snap *snap = m->private;
	size_t idx = (uintptr_t)v - 1;

	if (idx == 0) {
		seq_printf(m, "%s %d freq=%u cpus=%u start_ns=%llu end_ns=%llu max_depth=%u\n",
			   KPM_MAGIC, KPM_FORMAT_VERSION, kpm_freq, snap->cpus,
			   snap->start_ns, snap->end_ns, kpm_max_depth);
	} else if (idx <= snap->nr) {
		kpm_show_rec(m, snap->ents[idx - 1]);
	} else {
		seq_printf(m, "%c %llu alloc=%llu cap=%llu\n", KPM_REC_LOST,
			   snap->lost_alloc + snap->lost_cap,
			   snap->lost_alloc, snap->lost_cap);
	}
	return 0;
}

static const struct seq_operations kpm_samples_sops = {
	.start = kpm_samples_start,
	.next = kpm_samples_next,
	.stop = kpm_samples_stop,
	.show = kpm_samples_show,
};

static int kpm_samples_open_common(struct file *file, bool drain)
{
	struct kpm_snap *snap;
	int ret;

	ret = kpm_proc_permitted();
	if (ret)
		return ret;
	/* seq_open() first: once a drain has taken the samples, nothing
	 * may fail and lose them.
	 */
	ret = seq_open(file, &kpm_samples_sops);
	if (ret)
		return ret;
	snap = kpm_snap_take(drain);
	if (IS_ERR(snap)) {
		seq_release(file_inode(file), file);
		return PTR_ERR(snap);
	}
	((struct seq_file *)file->private_data)->private = snap;
	return 0;
}

static int kpm_samples_open(struct inode *inode, struct file *file)
{
	return kpm_samples_open_common(file, false);
}

static int kpm_drain_open(struct inode *inode, struct file *file)
{
	return kpm_samples_open_common(file, true);
}

static int kpm_samples_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	kpm_snap_free(m->private);
	return seq_release(inode, file);
}

static const struct proc_ops kpm_samples_ops = {
	.proc_open = kpm_samples_open,
	.proc_read_iter = seq_read_iter,
	.proc_lseek = seq_lseek,
	.proc_release = kpm_samples_release,
};

static const struct proc_ops kpm_drain_ops = {
	.proc_open = kpm_drain_open,
	.proc_read_iter = seq_read_iter,
	.proc_lseek = seq_lseek,
	.proc_release = kpm_samples_release,
};

/* control: one command per write, optionally newline-terminated. */
static int kpm_control_open(struct inode *inode, struct file *file)
{
	return kpm_proc_permitted();
}

static ssize_t kpm_control_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	size_t len = count;
	char buf[16];
	int ret;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (strlen(buf) != len)		/* embedded NUL */
		return -EINVAL;
	ret = kpm_control(buf);
	return ret ? ret : (ssize_t)count;
}

static const struct proc_ops kpm_control_ops = {
	.proc_open = kpm_control_open,
	.proc_write = kpm_control_write,
	.proc_lseek = noop_llseek,
};

/* stats: sums of the per-CPU counters plus memory held. */
static int kpm_stats_show(struct seq_file *m, void *v)
{
	struct kpm_cpu_stats sum = {};
	unsigned int cpu, cls;
	u64 ns_max = 0;
	size_t bytes;

	for_each_possible_cpu(cpu) {
		const struct kpm_cpu_stats *st = &kpm.cpus[cpu]->stats;

		sum.ticks += READ_ONCE(st->ticks);
		sum.overruns += READ_ONCE(st->overruns);
		sum.samples += READ_ONCE(st->samples);
		sum.stored += READ_ONCE(st->stored);
		sum.lost_alloc += READ_ONCE(st->lost_alloc);
		sum.lost_cap += READ_ONCE(st->lost_cap);
		sum.idle += READ_ONCE(st->idle);
		sum.no_regs += READ_ONCE(st->no_regs);
		sum.user_fault += READ_ONCE(st->user_fault);
		sum.ns_total += READ_ONCE(st->ns_total);
		ns_max = max_t(u64, ns_max, READ_ONCE(st->ns_max));
		sum.chain_max = max_t(u32, sum.chain_max,
				      READ_ONCE(st->chain_max));
	}

	seq_printf(m, "sampling %d\nfreq %u\nticks %llu\noverruns %llu\n",
		   READ_ONCE(kpm.sampling), kpm_freq, sum.ticks, sum.overruns);
	seq_printf(m, "samples %llu\nstored %llu\nlost %llu\nlost_alloc %llu\nlost_cap %llu\n",
		   sum.samples, sum.stored, sum.lost_alloc + sum.lost_cap,
		   sum.lost_alloc, sum.lost_cap);
	seq_printf(m, "idle %llu\nno_regs %llu\nuser_fault %llu\n",
		   sum.idle, sum.no_regs, sum.user_fault);
	seq_printf(m, "entries %ld\nmax_entries %u\nchain_max %u\n",
		   atomic_long_read(&kpm.pool.nr_entries), kpm_max_entries,
		   sum.chain_max);
	bytes = atomic_long_read(&kpm.pool.nr_entries) *
		sizeof(struct profmap_entry);
	seq_printf(m, "bytes_entry %zu\n", bytes);
	for (cls = 0; cls < PROFMAP_NR_CLASSES; cls++) {
		size_t b = atomic_long_read(&kpm.pool.nr_stk[cls]) *
			   profmap_class_frames(cls) * sizeof(u64);

		seq_printf(m, "bytes_stk%u %zu\n", profmap_class_frames(cls), b);
		bytes += b;
	}
	seq_printf(m, "bytes_total %zu\n", bytes);
	seq_printf(m, "callback_ns_mean %llu\ncallback_ns_max %llu\n",
		   sum.ticks ? div64_u64(sum.ns_total, sum.ticks) : 0, ns_max);
	/* Per CPU: a timer that fell behind on one CPU shows there. */
	for_each_possible_cpu(cpu) {
		const struct kpm_cpu_stats *st = &kpm.cpus[cpu]->stats;

		seq_printf(m, "cpu%u ticks %llu overruns %llu samples %llu\n",
			   cpu, READ_ONCE(st->ticks), READ_ONCE(st->overruns),
			   READ_ONCE(st->samples));
	}
	return 0;
}

static int kpm_stats_open(struct inode *inode, struct file *file)
{
	int ret = kpm_proc_permitted();

	return ret ? ret : single_open(file, kpm_stats_show, NULL);
}

static const struct proc_ops kpm_stats_ops = {
	.proc_open = kpm_stats_open,
	.proc_read_iter = seq_read_iter,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

static struct proc_dir_entry *kpm_proc_dir;

int kpm_proc_init(void)
{
	kpm_proc_dir = proc_mkdir(KPM_PROC_DIR, NULL);
	if (!kpm_proc_dir)
		return -ENOMEM;
	if (!proc_create("samples", 0400, kpm_proc_dir, &kpm_samples_ops) ||
	    !proc_create("drain", 0400, kpm_proc_dir, &kpm_drain_ops) ||
	    !proc_create("control", 0200, kpm_proc_dir, &kpm_control_ops) ||
	    !proc_create("stats", 0400, kpm_proc_dir, &kpm_stats_ops)) {
		proc_remove(kpm_proc_dir);
		return -ENOMEM;
	}
	return 0;
}

void kpm_proc_exit(void)
{
	proc_remove(kpm_proc_dir);
}
