// SPDX-License-Identifier: GPL-2.0
/*
 * maps.c - mapping records: which files a sampled process's user frames
 * were in, kept for as long as a window of samples can need them
 *
 * The visit is the unwinder's (uwind.c): a task_work in the sampled
 * task's own context on its way back to user mode, its mmap lock held for
 * read. There maps_visit() takes a generation, a snapshot of the image's
 * executable file mappings, when the image has none yet (a new process,
 * or the first sample after an exec: the image is keyed by tgid, start
 * time and exec count, so neither an exec'd image nor a reused pid is
 * confused with another) or when a sampled PC lies in an executable file
 * mapping the current generation lacks (dlopen). Paths come from d_path()
 * in the task's own context (its mount namespace and root), build ids
 * from the file through the page cache, never the process's memory.
 *
 * The timer reads an image's current generation without a lock (RCU),
 * and defers a sample of an image that has none to its task, so every
 * image's first sample takes its mappings before it is counted.
 *
 * Lifetime: the generation table holds a reference on each generation, a
 * snapshot one on each it prints. A generation stops being current when
 * its image takes a new one or its process is found gone; the table
 * drops it two window ends (maps_collect(): a drain read to its end, a
 * reset) later, so the window its samples were counted in, and the next,
 * still print it. Readers of a generation's mappings in task context use
 * RCU; freeing waits for a grace period.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "compat.h"
#include "internal.h"
#include "maps.h"
#include "uwind.h"

unsigned int kpm_max_maps = 65536;
module_param_named(max_maps, kpm_max_maps, uint, 0444);
MODULE_PARM_DESC(max_maps, "mappings held in mapping records (16..1048576)");

#define MAPS_MIN		16
#define MAPS_MAX		1048576
#define MAPS_HASH_BITS		10

/**
 * struct maps_image - a process image and its current generation
 * @node:	in its hash chain (RCU for the timer)
 * @all:	in maps.all, under maps.lock (the passes over every image)
 * @rcu:	freed after a grace period
 * @tgid:	the process, global pid
 * @boot_ns:	the group leader's start time (CLOCK_BOOTTIME)
 * @exec:	the group leader's exec count
 * @cur:	the current generation (RCU), never NULL once published
 */
struct maps_image {
	struct hlist_node node;
	struct list_head all;
	struct rcu_head rcu;
	u32 tgid;
	u64 boot_ns;
	u64 exec;
	struct kpm_gen __rcu *cur;
};

#define MAPS_STAT_ATOMIC(name) atomic64_t name;

/**
 * struct maps_state - the tables
 * @lock:	serialises every change of @images, @gens and the counts
 *		below it; taken after current's mmap lock (maps_visit())
 * @images:	images by tgid; RCU readers
 * @all:	the same images in a list, so that a pass over them does not
 *		scan the 1024 chains (maps_reap(): 7,200 instructions a
 *		second with a handful of images, by gdb single-stepping)
 * @gens:	generation id -> generation, one reference each
 * @next_id:	xa_alloc_cyclic()'s cursor
 * @serial:	the last generation serial given
 * @epoch:	window ends seen (maps_collect()), from 1
 * @nr_gens:	generations in @gens
 * @nr_images:	images in @images
 * @bytes:	memory of the generations in @gens
 * @held:	mappings of the generations in @gens, and captures under
 *		way (reserved before they allocate)
 * @full:	a capture was refused for max_maps; none is tried until a
 *		window end frees some
 * @reaped:	jiffies of the last maps_reap() pass
 * @dropping:	generations whose files wait for a grace period to be put
 *		(maps_drop_files())
 * @stats:	counters
 */
static struct maps_state {
	struct mutex lock;
	struct hlist_head images[1 << MAPS_HASH_BITS];
	struct list_head all;
	struct xarray gens;
	u32 next_id;
	u64 serial;
	u64 epoch;
	u64 nr_gens;
	u64 nr_images;
	u64 bytes;
	atomic_long_t held;
	bool full;
	unsigned long reaped;
	struct list_head dropping;
	struct {
		MAPS_STATS(MAPS_STAT_ATOMIC)
	} stats;
} maps;

/* Runs the generations' frees and path puts, after their grace periods. */
static struct workqueue_struct *maps_wq;

#define maps_stat(name) atomic64_inc(&maps.stats.name)

/*
 * Build ids already read, so that a new process of the same program (a
 * shell's commands, a build's compilers) does not parse its files' notes
 * again through the page cache: a dozen page lookups a file. Keyed by
 * what tells a file's contents apart short of reading them: device,
 * inode number and generation, size, mtime and ctime (a write changes
 * mtime), never by the inode's address, which a freed inode's successor
 * may reuse. A key is taken before the parse and stored only if it has
 * not changed by the end of it, and not while its mtime or ctime is
 * within MAPS_BID_RACY seconds of now: a write stamps the times before
 * it copies its data, and the times are coarse, so a file written that
 * recently may still change under the same key (git's "racily clean"
 * rule). Unreadable notes (a page not in the cache) are not stored: the
 * next capture tries again. Writes through a shared mapping stamp mtime
 * on a page's first write fault only: a file rewritten that way while
 * cached keeps its old id until the slot is reused.
 */
#define MAPS_BID_BITS		5
#define MAPS_BID_RACY		2	/* seconds */

struct maps_bid {
	bool valid;
	dev_t dev;
	u32 generation;
	unsigned long ino;
	loff_t size;
	struct timespec64 mtime;
	struct timespec64 ctime;
	int ret;		/* bid_parse()'s answer, never BID_NOREAD */
	unsigned int len;
	u8 id[BID_MAX_LEN];
};

static DEFINE_SPINLOCK(maps_bid_lock);
static struct maps_bid maps_bids[1 << MAPS_BID_BITS];

/* The image current runs: (tgid, leader's start time, exec count). The
 * leader outlives every thread of its group, so reading it is safe here,
 * in hard irq included.
 */
static void maps_ident(u32 *tgid, u64 *boot_ns, u64 *exec)
{
	struct task_struct *leader = READ_ONCE(current->group_leader);

	*tgid = current->tgid;
	*boot_ns = leader->start_boottime;
	*exec = READ_ONCE(leader->self_exec_id);
}

/* Under rcu_read_lock() or maps.lock. */
static struct maps_image *maps_find(u32 tgid, u64 boot_ns, u64 exec)
{
	struct maps_image *img;

	hlist_for_each_entry_rcu(img, &maps.images[hash_32(tgid, MAPS_HASH_BITS)],
				 node, lockdep_is_held(&maps.lock))
		if (img->tgid == tgid && img->boot_ns == boot_ns &&
		    img->exec == exec)
			return img;
	return NULL;
}

/* Current's image's current generation, or NULL; under rcu_read_lock()
 * or with interrupts off (an RCU reader too). Inlined: the sampler's
 * maps_gen_irq() is one call.
 */
static __always_inline struct kpm_gen *maps_current(void)
{
	struct maps_image *img;
	u64 boot_ns, exec;
	u32 tgid;

	maps_ident(&tgid, &boot_ns, &exec);
	img = maps_find(tgid, boot_ns, exec);
	return img ? rcu_dereference_check(img->cur, rcu_read_lock_any_held()) :
		     NULL;
}

static u32 maps_gen_of(struct kpm_gen *g, u64 *serial)
{
	if (serial)
		*serial = g ? g->serial : 0;
	return g ? g->id : 0;
}

u32 maps_gen_irq(u64 *serial)
{
	lockdep_assert_irqs_disabled();
	return maps_gen_of(maps_current(), serial);
}

u32 maps_gen(u64 *serial)
{
	u32 id;

	rcu_read_lock();
	id = maps_gen_of(maps_current(), serial);
	rcu_read_unlock();
	return id;
}

bool maps_can_capture(void)
{
	return !READ_ONCE(maps.full);
}

/* The vDSO: executable, no file; named "[vdso]" in the records. */
static bool maps_is_vdso(const struct vm_area_struct *vma)
{
	return !vma->vm_file && vma->vm_mm &&
	       vma->vm_start == (unsigned long)vma->vm_mm->context.vdso;
}

/* A mapping the records hold: executable, and a file's or the vDSO. */
static bool maps_exec_file(const struct vm_area_struct *vma)
{
	return (vma->vm_flags & VM_EXEC) &&
	       (vma->vm_file || maps_is_vdso(vma));
}

/* Does @g hold a mapping containing @pc? (@g->maps is sorted.) *@last
 * is the one that held the previous frame, tried first: a stack's frames
 * mostly lie in one file.
 */
static bool maps_covers(const struct kpm_gen *g, u64 pc,
			const struct kpm_map **last)
{
	unsigned int lo = 0, hi = g->nr;

	if (*last && (*last)->start <= pc && pc < (*last)->end)
		return true;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (pc < g->maps[mid].start) {
			hi = mid;
		} else if (pc >= g->maps[mid].end) {
			lo = mid + 1;
		} else {
			*last = &g->maps[mid];
			return true;
		}
	}
	return false;
}

/* Process context: path_put() may sleep. */
static void maps_put_files(struct kpm_gen *g)
{
	unsigned int i;

	might_sleep();
	for (i = 0; i < g->nr; i++) {
		struct kpm_map *m = &g->maps[i];

		if (m->inode) {
			iput(m->inode);
			path_put(&m->fpath);
		}
		m->inode = NULL;
		m->fpath.dentry = NULL;
		m->fpath.mnt = NULL;
	}
}

/* Free @g: no reader left (after a grace period), process context. */
static void maps_free(struct kpm_gen *g)
{
	unsigned int i;

	maps_put_files(g);
	for (i = 0; i < g->nr; i++)
		kfree(g->maps[i].path);
	kvfree(g);
}

static void maps_free_work(struct work_struct *work)
{
	maps_free(container_of(to_rcu_work(work), struct kpm_gen,
			       free_rwork));
}

/* A let-go generation's files, then the reference maps_drop_files() took. */
static void maps_files_put(struct kpm_gen *g)
{
	maps_put_files(g);
	maps_put(g);
}

static void maps_files_work(struct work_struct *work)
{
	maps_files_put(container_of(to_rcu_work(work), struct kpm_gen,
				    files_rwork));
}

/* maps_files_put() after a grace period, in process context. */
static void maps_files_put_rcu(struct kpm_gen *g)
{
	INIT_RCU_WORK(&g->files_rwork, maps_files_work);
	queue_rcu_work(maps_wq, &g->files_rwork);
}

/*
 * Stop the unwinder's hard-irq reads of @g's files and put them after a
 * grace period (a reader that saw @g->files_gone clear may still use them
 * until then). Under maps.lock.
 *
 * The grace period is one that ends anyway: its cookie is taken here and
 * polled by the next reaps (maps_put_dropped()). A call_rcu() for each
 * reap that found an exited process started a grace period of its own,
 * and on one CPU that cost about 50,000 instructions of the RCU kthread
 * in the 50 ms after it (gdb single-stepping of a 4-frame kpm_spin run
 * under QEMU -icount, against the noop floor), once a second while
 * processes come and go. Only a generation still waiting after
 * MAPS_DROP_WAITS reaps asks for one (queue_rcu_work()), and so does every one
 * while sampling is stopped: no reap comes then to put it (kpm_stop()
 * writes kpm.sampling before maps_drop_flush() takes maps.lock, so a
 * generation listed here before that flush is in it).
 */
static void maps_drop_files(struct kpm_gen *g)
{
	lockdep_assert_held(&maps.lock);
	if (g->files_gone)
		return;
	WRITE_ONCE(g->files_gone, true);
	kref_get(&g->ref);
	if (!READ_ONCE(kpm.sampling)) {
		maps_files_put_rcu(g);
		return;
	}
	g->files_gp = get_state_synchronize_rcu();
	g->files_waits = 0;
	list_add_tail(&g->dropping, &maps.dropping);
}

#define MAPS_DROP_WAITS		3

/* Move the generations in maps.dropping whose grace period has ended to
 * @ready, for maps_put_ready() after maps.lock; a queue_rcu_work() for
 * those that have waited MAPS_DROP_WAITS passes, or for all while
 * sampling is stopped. Under maps.lock.
 */
static void maps_put_dropped(struct list_head *ready)
{
	bool stopped = !READ_ONCE(kpm.sampling);
	struct kpm_gen *g, *tmp;

	lockdep_assert_held(&maps.lock);
	list_for_each_entry_safe(g, tmp, &maps.dropping, dropping) {
		if (poll_state_synchronize_rcu(g->files_gp)) {
			list_move_tail(&g->dropping, ready);
		} else if (++g->files_waits >= MAPS_DROP_WAITS || stopped) {
			list_del(&g->dropping);
			maps_files_put_rcu(g);
		}
	}
}

/* Put the files of the generations on @ready (their grace period over:
 * maps_put_dropped(), maps_drop_flush()) and the references
 * maps_drop_files() took, outside maps.lock: the
 * last put of an inode may evict it (a deleted binary's blocks freed),
 * and task works that publish mapping records wait on maps.lock with
 * their mmap lock held.
 */
static void maps_put_ready(struct list_head *ready)
{
	struct kpm_gen *g, *tmp;

	list_for_each_entry_safe(g, tmp, ready, dropping) {
		list_del(&g->dropping);
		maps_files_put(g);
	}
}

int maps_file_irq(u32 id, u64 serial, u64 pc, struct inode **inode,
		  u64 *start, u64 *end, u64 *pgoff)
{
	const struct kpm_map *m = NULL;
	struct kpm_gen *g;

	g = id ? xa_load(&maps.gens, id) : maps_current();
	if (!g || g->serial != serial || READ_ONCE(g->files_gone))
		return MAPS_GONE;
	if (!maps_covers(g, pc, &m))
		return MAPS_OUTSIDE;
	*start = m->start;
	*end = m->end;
	*pgoff = m->pgoff;
	if (!m->inode)
		return MAPS_VDSO;
	*inode = m->inode;
	return MAPS_FILE;
}

static void maps_release(struct kref *ref)
{
	struct kpm_gen *g = container_of(ref, struct kpm_gen, ref);

	INIT_RCU_WORK(&g->free_rwork, maps_free_work);
	queue_rcu_work(maps_wq, &g->free_rwork);
}

void maps_put(struct kpm_gen *g)
{
	kref_put(&g->ref, maps_release);
}

struct kpm_gen *maps_get(u32 id)
{
	struct kpm_gen *g;

	rcu_read_lock();
	g = xa_load(&maps.gens, id);
	if (g && !kref_get_unless_zero(&g->ref))
		g = NULL;
	rcu_read_unlock();
	return g;
}

static bool maps_read_file(void *ctx, u64 off, void *dst, size_t len)
{
	return uwind_read_file(ctx, off, dst, len);
}

static void maps_bid_key(struct maps_bid *k, const struct inode *inode)
{
	k->valid = true;
	k->dev = inode->i_sb->s_dev;
	k->generation = inode->i_generation;
	k->ino = inode->i_ino;
	k->size = i_size_read(inode);
	k->mtime = kpm_inode_mtime(inode);
	k->ctime = kpm_inode_ctime(inode);
}

/* Were @k's times stamped too recently to trust (see above)? */
static bool maps_bid_racy(const struct maps_bid *k)
{
	struct timespec64 now;

	ktime_get_coarse_real_ts64(&now);
	return k->mtime.tv_sec + MAPS_BID_RACY >= now.tv_sec ||
	       k->ctime.tv_sec + MAPS_BID_RACY >= now.tv_sec;
}

static bool maps_bid_same(const struct maps_bid *a, const struct maps_bid *b)
{
	return a->valid && b->valid && a->dev == b->dev &&
	       a->generation == b->generation && a->ino == b->ino &&
	       a->size == b->size && timespec64_equal(&a->mtime, &b->mtime) &&
	       timespec64_equal(&a->ctime, &b->ctime);
}

/* @m's build id, from the cache above or read from @file. */
static void maps_read_bid(struct kpm_map *m, struct file *file)
{
	const struct inode *inode = file_inode(file);
	struct maps_bid key, now, *slot;
	unsigned int len = 0;
	int ret;

	maps_bid_key(&key, inode);
	slot = &maps_bids[hash_long(key.ino ^ key.dev, MAPS_BID_BITS)];
	spin_lock(&maps_bid_lock);
	if (maps_bid_same(slot, &key)) {
		ret = slot->ret;
		len = slot->len;
		memcpy(m->bid, slot->id, len);
		spin_unlock(&maps_bid_lock);
		maps_stat(bid_cached);
	} else {
		spin_unlock(&maps_bid_lock);
		ret = bid_parse(maps_read_file, file->f_mapping, m->bid, &len);
		maps_bid_key(&now, inode);
		if (ret != BID_NOREAD && maps_bid_same(&key, &now) &&
		    !maps_bid_racy(&now)) {
			key.ret = ret;
			key.len = ret == BID_OK ? len : 0;
			memcpy(key.id, m->bid, key.len);
			spin_lock(&maps_bid_lock);
			*slot = key;
			spin_unlock(&maps_bid_lock);
		}
	}
	if (ret == BID_OK)
		m->bid_len = len;
	else
		maps_stat(no_buildid);
}

/*
 * A path is built in a buffer on the stack of this size, and in one of
 * PATH_MAX only when it does not fit: init_on_alloc (Debian's default)
 * zeroes every allocation, and zeroing 4 KiB was a quarter of a short
 * process's first visit (QEMU, gdb-counted instructions).
 */
#define MAPS_PATH_SHORT		256

/* d_path() of @file, into @sbuf (MAPS_PATH_SHORT bytes) or *@big
 * (PATH_MAX bytes, allocated on the first path that needs it).
 */
static char *maps_path(struct file *file, char *sbuf, char **big)
{
	char *p = d_path(&file->f_path, sbuf, MAPS_PATH_SHORT);

	if (p != ERR_PTR(-ENAMETOOLONG))
		return p;
	if (!*big)
		*big = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!*big)
		return ERR_PTR(-ENOMEM);
	return d_path(&file->f_path, *big, PATH_MAX);
}

/* Fill @m from @vma: its range, path (see maps_path()) and build id. */
static int maps_fill(struct kpm_map *m, const struct kpm_map *prev,
		     struct vm_area_struct *vma, char *sbuf, char **big)
{
	struct file *file = vma->vm_file;
	char *p;

	m->start = vma->vm_start;
	m->end = vma->vm_end;
	if (!file) {
		/* The kernel's own image: readers take it from their own
		 * process; its build id is not read from user memory.
		 */
		m->path = kstrdup("[vdso]", GFP_KERNEL);
		return m->path ? 0 : -ENOMEM;
	}
	m->pgoff = (u64)vma->vm_pgoff << PAGE_SHIFT;
	m->fpath = file->f_path;
	path_get(&m->fpath);
	m->inode = file_inode(file);
	ihold(m->inode);
	p = maps_path(file, sbuf, big);
	if (p == ERR_PTR(-ENOMEM))
		return -ENOMEM;
	m->path = kstrdup(IS_ERR(p) ? "[unknown]" : p, GFP_KERNEL);
	if (!m->path)
		return -ENOMEM;
	/* The segments of one file follow each other: read its id once. */
	if (prev && !strcmp(prev->path, m->path)) {
		m->bid_len = prev->bid_len;
		memcpy(m->bid, prev->bid, sizeof(m->bid));
		return 0;
	}
	maps_read_bid(m, file);
	return 0;
}

/* @g's mapping @i from @vma, its path's bytes counted in @g->bytes. */
static int maps_fill_at(struct kpm_gen *g, unsigned int i,
			struct vm_area_struct *vma, char *sbuf, char **big)
{
	int err = maps_fill(&g->maps[i], i ? &g->maps[i - 1] : NULL, vma,
			    sbuf, big);

	if (!err)
		g->bytes += strlen(g->maps[i].path) + 1;
	return err;
}

/*
 * Executable file mappings a capture remembers on its counting walk, so
 * that it need not walk the VMAs again to fill them (a walk was an
 * eighth of a short process's first visit); more take a second walk.
 */
#define MAPS_QUICK		32

/* A new generation of current's image: its executable file mappings.
 * Called with the mmap lock held for read; may sleep.
 */
static struct kpm_gen *maps_capture(struct mm_struct *mm)
{
	struct vm_area_struct *vma, *quick[MAPS_QUICK];
	unsigned int n = 0, i = 0;
	char sbuf[MAPS_PATH_SHORT], *big = NULL;
	struct kpm_gen *g;

	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			if (!maps_exec_file(vma))
				continue;
			if (n < MAPS_QUICK)
				quick[n] = vma;
			n++;
		}
	}
	if (!n)
		return NULL;
	if (n > KPM_MAPS_PER_GEN) {
		n = KPM_MAPS_PER_GEN;
		maps_stat(truncated);
	}
	if (atomic_long_add_return(n, &maps.held) > kpm_max_maps) {
		atomic_long_sub(n, &maps.held);
		WRITE_ONCE(maps.full, true);
		maps_stat(lost_cap);
		return NULL;
	}
	g = kvzalloc(struct_size(g, maps, n), GFP_KERNEL);
	if (!g)
		goto fail;
	if (n <= MAPS_QUICK) {
		/* The mmap lock is held throughout: the VMAs are as found. */
		for (i = 0; i < n; i++)
			if (maps_fill_at(g, i, quick[i], sbuf, &big))
				goto fail;
	} else {
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			if (!maps_exec_file(vma))
				continue;
			if (i == n)
				break;
			if (maps_fill_at(g, i, vma, sbuf, &big))
				goto fail;
			i++;
		}
	}
	kfree(big);
	g->nr = i;
	g->bytes += struct_size(g, maps, n);
	atomic_long_sub(n - i, &maps.held);
	kref_init(&g->ref);
	maps_ident(&g->tgid, &g->boot_ns, &g->exec);
	return g;

fail:
	if (g) {
		g->nr = i + 1;	/* the failed one's path is NULL or set */
		maps_free(g);
	}
	kfree(big);
	atomic_long_sub(n, &maps.held);
	maps_stat(lost_alloc);
	return NULL;
}

/* Publish @g as the current generation of its image. */
static u32 maps_publish(struct kpm_gen *g)
{
	struct maps_image *img;
	struct kpm_gen *old;

	mutex_lock(&maps.lock);
	if (xa_alloc_cyclic(&maps.gens, &g->id, g,
			    XA_LIMIT(1, PROFMAP_GEN_MAX), &maps.next_id,
			    GFP_KERNEL) < 0)
		goto fail;
	g->serial = ++maps.serial;
	img = maps_find(g->tgid, g->boot_ns, g->exec);
	if (!img) {
		img = kzalloc(sizeof(*img), GFP_KERNEL);
		if (!img) {
			xa_erase(&maps.gens, g->id);
			goto fail;
		}
		img->tgid = g->tgid;
		img->boot_ns = g->boot_ns;
		img->exec = g->exec;
		hlist_add_head_rcu(&img->node,
				   &maps.images[hash_32(g->tgid, MAPS_HASH_BITS)]);
		list_add(&img->all, &maps.all);
		maps.nr_images++;
		maps_stat(new_image);
	} else {
		old = rcu_dereference_protected(img->cur,
						lockdep_is_held(&maps.lock));
		old->retired = maps.epoch;
		maps_drop_files(old);
		maps_stat(dlopen);
	}
	rcu_assign_pointer(img->cur, g);
	maps.nr_gens++;
	maps.bytes += g->bytes;
	maps_stat(captures);
	mutex_unlock(&maps.lock);
	return g->id;

fail:
	mutex_unlock(&maps.lock);
	atomic_long_sub(g->nr, &maps.held);
	maps_stat(lost_alloc);
	maps_put(g);
	return 0;
}

u32 maps_visit(struct mm_struct *mm, const u64 *pcs, unsigned int n)
{
	const struct kpm_map *last = NULL;
	struct vm_area_struct *vma;
	struct kpm_gen *g;
	unsigned int i;
	u64 look, t0;
	bool need;
	u32 id;

	mmap_assert_locked(mm);
	rcu_read_lock();
	g = maps_current();
	id = g ? g->id : 0;
	need = !g;
	/* A return address points after its call: look up the call. */
	for (i = 0; g && i < n && !need; i++) {
		look = i ? pcs[i] - 1 : pcs[i];
		if (maps_covers(g, look, &last))
			continue;
		vma = find_vma(mm, look);
		need = vma && vma->vm_start <= look && maps_exec_file(vma);
	}
	rcu_read_unlock();
	if (!need || !maps_can_capture())
		return id;
	t0 = local_clock();
	g = maps_capture(mm);
	if (g)
		id = maps_publish(g) ?: id;
	atomic64_add(local_clock() - t0, &maps.stats.capture_ns);
	return id;
}

/* Is the process of @img still running that image? */
static bool maps_alive(const struct maps_image *img)
{
	struct task_struct *t;
	bool alive;

	rcu_read_lock();
	t = pid_task(find_pid_ns(img->tgid, &init_pid_ns), PIDTYPE_TGID);
	alive = t && t->start_boottime == img->boot_ns &&
		READ_ONCE(t->self_exec_id) == img->exec;
	rcu_read_unlock();
	return alive;
}

void maps_collect(void)
{
	struct maps_image *img, *tmp;
	struct kpm_gen *g;
	unsigned long id;
	LIST_HEAD(ready);

	mutex_lock(&maps.lock);
	maps.epoch++;
	list_for_each_entry_safe(img, tmp, &maps.all, all) {
		if (maps_alive(img))
			continue;
		g = rcu_dereference_protected(img->cur,
					      lockdep_is_held(&maps.lock));
		g->retired = maps.epoch;
		maps_drop_files(g);
		hlist_del_rcu(&img->node);
		list_del(&img->all);
		kfree_rcu(img, rcu);
		maps.nr_images--;
	}
	xa_for_each(&maps.gens, id, g) {
		if (!g->retired || g->retired + 2 > maps.epoch)
			continue;
		xa_erase(&maps.gens, id);
		maps.nr_gens--;
		maps.bytes -= g->bytes;
		atomic_long_sub(g->nr, &maps.held);
		maps_stat(freed);
		maps_put(g);
	}
	maps_put_dropped(&ready);
	WRITE_ONCE(maps.full, false);
	mutex_unlock(&maps.lock);
	maps_put_ready(&ready);
}

void maps_reap(void)
{
	struct maps_image *img;
	struct kpm_gen *g;
	LIST_HEAD(ready);

	if (time_before(jiffies, READ_ONCE(maps.reaped) + HZ))
		return;
	mutex_lock(&maps.lock);
	WRITE_ONCE(maps.reaped, jiffies);
	maps_put_dropped(&ready);
	list_for_each_entry(img, &maps.all, all) {
		g = rcu_dereference_protected(img->cur,
					      lockdep_is_held(&maps.lock));
		if (!g->files_gone && !maps_alive(img))
			maps_drop_files(g);
	}
	mutex_unlock(&maps.lock);
	maps_put_ready(&ready);
}

void maps_drop_flush(void)
{
	LIST_HEAD(list);

	/* Only those listed now: their files_gone was set before the
	 * grace period below begins.
	 */
	mutex_lock(&maps.lock);
	list_splice_init(&maps.dropping, &list);
	mutex_unlock(&maps.lock);
	if (list_empty(&list))
		return;
	synchronize_rcu();
	maps_put_ready(&list);
}

void maps_stats_get(struct maps_stats *st)
{
#define MAPS_STAT_READ(name) st->name = atomic64_read(&maps.stats.name);
	MAPS_STATS(MAPS_STAT_READ)
#undef MAPS_STAT_READ
	mutex_lock(&maps.lock);
	st->gens = maps.nr_gens;
	st->images = maps.nr_images;
	st->bytes = maps.bytes;
	st->held = atomic_long_read(&maps.held);
	mutex_unlock(&maps.lock);
}

int maps_init(void)
{
	unsigned int b;

	if (kpm_max_maps < MAPS_MIN || kpm_max_maps > MAPS_MAX) {
		pr_err("max_maps=%u out of range %u..%u\n", kpm_max_maps,
		       MAPS_MIN, MAPS_MAX);
		return -EINVAL;
	}
	/* The generations' frees and path puts (may sleep: not RCU's). */
	maps_wq = alloc_workqueue("kprofmap_maps", 0, 0);
	if (!maps_wq)
		return -ENOMEM;
	mutex_init(&maps.lock);
	for (b = 0; b < ARRAY_SIZE(maps.images); b++)
		INIT_HLIST_HEAD(&maps.images[b]);
	INIT_LIST_HEAD(&maps.all);
	INIT_LIST_HEAD(&maps.dropping);
	xa_init_flags(&maps.gens, XA_FLAGS_ALLOC1);
	maps.epoch = 1;
	return 0;
}

void maps_exit(void)
{
	struct maps_image *img, *tmp;
	struct kpm_gen *g;
	unsigned long id;

	maps_drop_flush();
	list_for_each_entry_safe(img, tmp, &maps.all, all) {
		hlist_del(&img->node);
		list_del(&img->all);
		kfree(img);
	}
	xa_for_each(&maps.gens, id, g) {
		xa_erase(&maps.gens, id);
		maps_put(g);
	}
	xa_destroy(&maps.gens);
	/*
	 * The grace periods of every freed generation and image, and the
	 * works they queue; twice: a maps_files_work() may drop a
	 * generation's last reference and queue its maps_free_work().
	 */
	rcu_barrier();
	flush_workqueue(maps_wq);
	rcu_barrier();
	destroy_workqueue(maps_wq);
	maps_wq = NULL;
}
