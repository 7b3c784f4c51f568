// SPDX-License-Identifier: GPL-2.0
/*
 * procfs.c - /proc/kprofmap/{samples,drain,control,stats,session}
 *
 * Only opens, formats and checks privilege. Opening samples or drain
 * opens a reader from aggregate.c (on the aggregate, or on the drained
 * window), private to the open file; its records come a chunk at a time
 * (samples: copied under the aggregate's lock for that chunk only) and
 * are printed by seq_file without any lock, so a slow reader never holds
 * up sampling, other readers, hotplug or unload, and a reader's memory
 * does not grow with max_entries. A drain
 * counts as consumed only when its reader has received every byte: a
 * drain file released earlier (failed open, closed unread, reader killed)
 * hands its records back to the aggregate.
 *
 * Privilege is checked once, at open: kernel addresses are secrets.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "maps.h"
#include "uwind.h"

/**
 * struct kpm_reader - one open of samples or drain
 * @snap:	the records it prints, a chunk at a time
 * @base:	seq_file position of the chunk's first line (its G and M
 *		records, then its S records)
 * @fetched:	the chunk at @base is fetched
 * @last_chunk:	the fetch at @base found no records left: @base is the
 *		L record's position, or the end
 * @eof:	seq_file has formatted the last record (the reader got all
 *		of them once the seq_file buffer is empty too)
 */
struct kpm_reader {
	struct kpm_snap *snap;
	loff_t base;
	bool fetched;
	bool last_chunk;
	bool eof;
};

static int kpm_proc_permitted(void)
{
	return perfmon_capable() ? 0 : -EACCES;
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

/* A comm or path: at most @max bytes of @s, bytes outside 0x21..0x7e
 * and the backslash as \xHH; an empty string as \x00.
 */
void kpm_put_escaped(struct seq_file *m, const char *s, size_t max)
{
	size_t i;

	if (!s[0]) {
		seq_puts(m, "\\x00");
		return;
	}
	for (i = 0; i < max && s[i]; i++) {
		unsigned char ch = s[i];

		if (ch < 0x21 || ch > 0x7e || ch == '\\')
			seq_printf(m, "\\x%02x", ch);
		else
			seq_putc(m, ch);
	}
}

/* A generation: its G line, then one M line per mapping. */
static void kpm_show_gen(struct seq_file *m, const struct kpm_gen *g)
{
	const struct kpm_map *p;
	unsigned int i;

	seq_printf(m, "%c %u %u %llu %llu\n", KPM_REC_GEN, g->id, g->tgid,
		   g->boot_ns, g->exec);
	for (p = g->maps; p < g->maps + g->nr; p++) {
		seq_printf(m, "%c %u ", KPM_REC_MAP, g->id);
		kpm_put_hex(m, p->start);
		seq_putc(m, ' ');
		kpm_put_hex(m, p->end);
		seq_putc(m, ' ');
		kpm_put_hex(m, p->pgoff);
		seq_putc(m, ' ');
		if (!p->bid_len)
			seq_putc(m, '-');
		for (i = 0; i < p->bid_len; i++)
			seq_printf(m, "%02x", p->bid[i]);
		seq_putc(m, ' ');
		kpm_put_escaped(m, p->path, PATH_MAX);
		seq_putc(m, '\n');
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

static void kpm_show_rec(struct seq_file *m, struct kpm_snap *snap,
			 const struct profmap_entry *e)
{
	const struct profmap_key *k = &e->key;

	u8 flags = k->flags & (PROFMAP_F_KTRUNC | PROFMAP_F_UTRUNC);

	/* An idle task's key holds its CPU as tid; its pid is 0. */
	seq_printf(m, "%c %llu %u %u ", KPM_REC_SAMPLE, (u64)e->count, k->tgid,
		   k->tgid ? k->tid : 0);
	kpm_put_escaped(m, e->comm, KPM_COMM_LEN - 1);
	seq_putc(m, ' ');
	if (!flags)
		seq_putc(m, KPM_FLAG_NONE);
	if (flags & PROFMAP_F_KTRUNC)
		seq_putc(m, KPM_FLAG_KTRUNC);
	if (flags & PROFMAP_F_UTRUNC)
		seq_putc(m, KPM_FLAG_UTRUNC);
	kpm_put_pcs(m, " k=", e->stk, k->nk);
	kpm_put_pcs(m, " u=", e->stk + k->nk, k->nu);
	seq_printf(m, " m=%u c=%llu\n", kpm_snap_gen(snap, e),
		   (k->flags & PROFMAP_F_TAG) ? e->stk[k->nk + k->nu] : 0);
}

/*
 * seq_file positions: 0 is the header; then each chunk's lines, the
 * generations it names first, then its records; then the lost record
 * (when anything was lost). A position before the chunk's (a seek
 * back) reads the records again from the first.
 */
static bool kpm_has_lost(const struct kpm_snap *snap)
{
	return snap->lost_alloc || snap->lost_cap;
}

/* A chunk's lines: its G (and M) records, C records, S records. */
static size_t kpm_chunk_lines(const struct kpm_snap *snap)
{
	return snap->nr_gens + (snap->cg_to - snap->cg_from) + snap->nr;
}

static void *kpm_samples_start(struct seq_file *m, loff_t *pos)
{
	struct kpm_reader *r = m->private;
	struct kpm_snap *snap = r->snap;
	int ret;

	if (*pos == 0)
		return (void *)1;
	if (*pos < r->base) {
		kpm_snap_rewind(snap);
		r->base = 1;
		r->fetched = false;
		r->last_chunk = false;
		r->eof = false;
	}
	for (;;) {
		if (!r->fetched) {
			ret = kpm_snap_fetch(snap);
			if (ret < 0)
				return ERR_PTR(ret);
			r->fetched = true;
			r->last_chunk = !ret;
		}
		if (r->last_chunk) {
			if (*pos == r->base && kpm_has_lost(snap))
				return (void *)(uintptr_t)(*pos + 1);
			r->eof = true;
			return NULL;
		}
		if (*pos < r->base + kpm_chunk_lines(snap))
			return (void *)(uintptr_t)(*pos + 1);
		r->base += kpm_chunk_lines(snap);
		r->fetched = false;
	}
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
	struct kpm_reader *r = m->private;
	struct kpm_snap *snap = r->snap;
	loff_t pos = (uintptr_t)v - 1;
	size_t i = pos - r->base;

	if (pos == 0) {
		seq_printf(m, "%s %d freq=%u cpus=%u start_ns=%llu end_ns=%llu max_depth=%u\n",
			   KPM_MAGIC, KPM_FORMAT_VERSION, snap->freq, snap->cpus,
			   snap->start_ns, snap->end_ns, kpm_max_depth);
	} else if (r->last_chunk) {
		seq_printf(m, "%c %llu alloc=%llu cap=%llu\n", KPM_REC_LOST,
			   snap->lost_alloc + snap->lost_cap,
			   snap->lost_alloc, snap->lost_cap);
	} else if (i < snap->nr_gens) {
		kpm_show_gen(m, snap->gens[i]);
	} else if (i < snap->nr_gens + snap->cg_to - snap->cg_from) {
		const struct kpm_cg_rec *c;

		c = kpm_cg_rec(snap->cg_from + i - snap->nr_gens);
		seq_printf(m, "%c %llu ", KPM_REC_CGROUP, c->id);
		kpm_put_escaped(m, c->path, PATH_MAX);
		seq_putc(m, '\n');
	} else {
		i -= snap->nr_gens + snap->cg_to - snap->cg_from;
		kpm_show_rec(m, snap, snap->ents[i]);
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
	struct kpm_reader *r;
	int ret;

	ret = kpm_proc_permitted();
	if (ret)
		return ret;
	r = __seq_open_private(file, &kpm_samples_sops, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->snap = kpm_snapshot(drain);
	if (IS_ERR(r->snap)) {
		ret = PTR_ERR(r->snap);
		seq_release_private(file_inode(file), file);
		return ret;
	}
	r->base = 1;
	return 0;
}

static int kpm_samples_open(struct inode *inode, struct file *file)
{
	return kpm_samples_open_common(file, false);
}

/* A drain is read once, in order: no lseek() or pread() (ESPIPE), which
 * would let seq_file format records the reader never receives and the
 * drain count as consumed.
 */
static int kpm_drain_open(struct inode *inode, struct file *file)
{
	int ret;

	/* A session's drains are its holder's. */
	if (!kpm_session_drain_begin())
		return -EBUSY;
	ret = kpm_samples_open_common(file, true);
	kpm_session_drain_end();

	if (!ret)
		nonseekable_open(inode, file);
	return ret;
}

/* Also reached when the VFS fails an open after ->proc_open succeeded
 * (O_DIRECT on a proc file): such a drain was never read, and is handed
 * back.
 */
static int kpm_samples_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;
	struct kpm_reader *r = m->private;

	kpm_snapshot_put(r->snap, r->eof && !m->count);
	return seq_release_private(inode, file);
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

/* control and session: one command per write, optionally
 * newline-terminated; a cgroup path makes the longest.
 */
#define KPM_CMD_MAX	(PATH_MAX + 16)

static int kpm_control_open(struct inode *inode, struct file *file)
{
	return kpm_proc_permitted();
}

static ssize_t kpm_command_write(const char __user *ubuf, size_t count,
				 bool from_session)
{
	size_t len = count;
	char *buf;
	int ret = 0;

	if (len == 0 || len >= KPM_CMD_MAX)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	if (buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (strlen(buf) != len)		/* embedded NUL */
		ret = -EINVAL;
	else if (!from_session && !strcmp(buf, "start"))
		kpm_start();
	else if (!from_session && !strcmp(buf, "stop"))
		kpm_stop();
	else
		ret = kpm_filter_command(buf, from_session);
	kfree(buf);
	return ret ? ret : count;
}

static ssize_t kpm_control_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	return kpm_command_write(ubuf, count, false);
}

static const struct proc_ops kpm_control_ops = {
	.proc_open = kpm_control_open,
	.proc_write = kpm_control_write,
	.proc_lseek = noop_llseek,
};

/* session: held from open to release (filter.c). */
static int kpm_session_file_open(struct inode *inode, struct file *file)
{
	int ret = kpm_proc_permitted();

	if (!ret)
		ret = kpm_session_open();
	if (!ret)
		nonseekable_open(inode, file);
	return ret;
}

static ssize_t kpm_session_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	return kpm_command_write(ubuf, count, true);
}

/* Also reached when the holder is killed, and when the VFS fails an open
 * after ->proc_open succeeded.
 */
static int kpm_session_file_release(struct inode *inode, struct file *file)
{
	kpm_session_release();
	return 0;
}

static const struct proc_ops kpm_session_ops = {
	.proc_open = kpm_session_file_open,
	.proc_write = kpm_session_write,
	.proc_lseek = noop_llseek,
	.proc_release = kpm_session_file_release,
};

/* stats: the user unwinder's counters, "unwind_NAME value". */
static void kpm_show_unwind_stats(struct seq_file *m)
{
	struct uwind_stats u;

	uwind_stats_sum(&u);
	seq_printf(m, "unwind %u\n", kpm_unwind);
	seq_printf(m, "unwind_bytes %zu\n", uwind_bytes());
#define KPM_SHOW_UWIND(name) seq_printf(m, "unwind_" #name " %llu\n", u.name);
	UWIND_STATS(KPM_SHOW_UWIND)
#undef KPM_SHOW_UWIND
}

/* stats: the mapping records' counters, "maps_NAME value". */
static void kpm_show_maps_stats(struct seq_file *m)
{
	struct maps_stats s;

	maps_stats_get(&s);
#define KPM_SHOW_MAPS(name) seq_printf(m, "maps_" #name " %llu\n", s.name);
	MAPS_STATS(KPM_SHOW_MAPS)
#undef KPM_SHOW_MAPS
	seq_printf(m, "maps_held %llu\nmax_maps %u\nmaps_gens %llu\nmaps_images %llu\nmaps_bytes %llu\n",
		   s.held, kpm_max_maps, s.gens, s.images, s.bytes);
}

/* stats: sums of the per-CPU counters plus memory held. */
static int kpm_stats_show(struct seq_file *m, void *v)
{
	struct kpm_cpu_stats c;
	struct kpm_stats st;
	const struct kpm_cpu_stats *sum = &st.sum;
	unsigned int cpu, cls;

	kpm_stats_sum(&st);
	seq_printf(m, "sampling %d\nfreq %u\nticks %llu\noverruns %llu\n",
		   st.sampling, kpm_freq, sum->ticks, sum->overruns);
	seq_printf(m, "samples %llu\nstored %llu\nlost %llu\nlost_alloc %llu\nlost_cap %llu\nlost_reserve %llu\nlost_share %llu\n",
		   sum->samples, sum->stored,
		   st.lost_alloc + st.lost_cap + sum->lost_reserve +
		   st.lost_share,
		   st.lost_alloc, st.lost_cap, sum->lost_reserve,
		   st.lost_share);
	seq_printf(m, "alloc_failures %ld\n", st.alloc_failures);
	seq_printf(m, "cgroups %d\ncgroups_named %u\ncgroups_untracked %llu\n",
		   kpm_cgroups, kpm_cg_count(), kpm_cg_untracked_count());
	seq_printf(m, "idle %llu\nfiltered %llu\nself %llu\nno_regs %llu\nuser_fault %llu\n",
		   sum->idle, sum->filtered, sum->self, sum->no_regs,
		   sum->user_fault);
	kpm_filter_show(m);
	seq_printf(m, "entries %ld\nmax_entries %u\nchain_max %u\n",
		   st.entries, kpm_max_entries, sum->chain_max);
	seq_printf(m, "staged %lu\nstaged_max %lu\ncollections %llu\n",
		   st.staged, st.staged_max, st.collections);
	seq_printf(m, "bytes_entry %zu\n", st.bytes_entry);
	for (cls = 0; cls < PROFMAP_NR_CLASSES; cls++)
		seq_printf(m, "bytes_stk%u %zu\n", profmap_class_frames(cls),
			   st.bytes_stk[cls]);
	seq_printf(m, "bytes_reserve %zu\nbytes_total %zu\n", st.bytes_reserve,
		   st.bytes_total);
	seq_printf(m, "callback_ns_mean %llu\ncallback_ns_max %llu\n",
		   sum->timed ? div64_u64(sum->ns_total, sum->timed) : 0,
		   sum->ns_max);
	kpm_show_unwind_stats(m);
	kpm_show_maps_stats(m);
	/* Per CPU: a timer that fell behind on one CPU shows there. */
	for_each_possible_cpu(cpu) {
		kpm_stats_cpu(cpu, &c);
		seq_printf(m, "cpu%u ticks %llu overruns %llu samples %llu\n",
			   cpu, c.ticks, c.overruns, c.samples);
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
	    !proc_create("stats", 0400, kpm_proc_dir, &kpm_stats_ops) ||
	    !proc_create(KPM_PROC_SESSION, 0200, kpm_proc_dir, &kpm_session_ops)) {
		proc_remove(kpm_proc_dir);
		return -ENOMEM;
	}
	return 0;
}

void kpm_proc_exit(void)
{
	proc_remove(kpm_proc_dir);
}
