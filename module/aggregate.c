// SPDX-License-Identifier: GPL-2.0
/*
 * aggregate.c - the aggregate: collection, window, snapshots, drains
 *
 * The only owner of the aggregate profmap. Collection retires each online
 * CPU's hot map with an IPI to that CPU (the timer runs in hardirq there,
 * so it sees either map whole) and merges the retired map into the
 * aggregate in process context. Collection runs in the background every
 * collect_ms while sampling (a delayed work), early when a hot map passes
 * half its size (the timer kicks it through an irq_work), and at every
 * snapshot, so the hot maps stay small and hold each key about once.
 * A snapshot collects, then copies the aggregate (samples) or moves it
 * out and opens a new window (drain), in one critical section, so every
 * sample is in exactly one drain. A drain its reader did not consume is
 * handed back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/irq_work.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include "internal.h"
#include "maps.h"

/**
 * struct kpm_aggregate - every retired sample, and the window it covers
 * @lock:	protects @map, @window_start_ns and the retired (non-hot)
 *		map of every CPU. Taken after cpus_read_lock() (or inside a
 *		hotplug callback) and after kpm.ctl_lock.
 * @map:	unique (task, stack) entries, no chain limit
 * @window_start_ns: CLOCK_REALTIME ns the current window began (load,
 *		reset or drain)
 * @collect_work: background collection, queued only while sampling
 * @kicked:	bit 0 set by a timer that asked for an early collection
 *		(kpm_agg_kick()); cleared when a collection starts
 * @collections: collections done (statistic), under @lock
 * @staged_max:	most entries one hot map held when retired, under @lock
 * @lost_alloc:	samples merges lost to failed slab copies, under @lock,
 *		cumulative (statistic)
 * @lost_cap:	samples merges lost to max_entries, likewise
 * @lost_share:	samples merges lost to the fair share, likewise
 * @epoch:	bumped, under @lock, whenever entries leave @map (a drain,
 *		a reset): a samples reader's place in @map is then gone
 */
static struct kpm_aggregate {
	struct mutex lock;		/* @map, @window_start_ns */
	struct profmap map;
	u64 window_start_ns;
	struct delayed_work collect_work;
	unsigned long kicked;
	u64 collections;
	unsigned long staged_max;
	u64 lost_alloc;
	u64 lost_cap;
	u64 lost_share;
	u64 epoch;
} kpm_agg = {
	.lock = __MUTEX_INITIALIZER(kpm_agg.lock),
};

static void kpm_agg_collect_work(struct work_struct *work);

/* The worker running kpm_agg_collect_work(), while it runs: the timer
 * leaves its samples out (kpm_agg_collecting()).
 */
struct task_struct *kpm_agg_collector;

int kpm_agg_init(void)
{
	int ret;

	ret = profmap_init(&kpm_agg.map, &kpm.pool,
			   roundup_pow_of_two(kpm_max_entries) / 2,
			   PROFMAP_NO_CHAIN_LIMIT);
	if (ret)
		return ret;
	/* The fair share: from 7/8 of the cap, kpm_share % per user. */
	if (kpm_share < 100) {
		ret = profmap_init_share(&kpm_agg.map,
					 kpm_max_entries - kpm_max_entries / 8,
					 max(1U, kpm_max_entries * kpm_share /
						 100));
		if (ret) {
			profmap_destroy(&kpm_agg.map);
			return ret;
		}
	}
	kpm_agg.window_start_ns = ktime_get_real_ns();
	INIT_DELAYED_WORK(&kpm_agg.collect_work, kpm_agg_collect_work);
	return 0;
}

void kpm_agg_destroy(void)
{
	profmap_destroy(&kpm_agg.map);
}

/* Merge a retired or offline CPU's hot map into the aggregate: its new
 * entries are copied into the slab here, in process context, under the
 * cap; the samples a copy loses are added to the cumulative counters.
 * The hot map and its reserve are empty afterwards.
 */
static void kpm_agg_merge(struct profmap *hot)
{
	struct profmap *agg = &kpm_agg.map;
	u64 alloc = agg->lost_alloc + hot->lost_alloc;
	u64 cap = agg->lost_cap + hot->lost_cap;
	u64 share = agg->lost_share + hot->lost_share;

	lockdep_assert_held(&kpm_agg.lock);

	if (hot->nr_entries > kpm_agg.staged_max)
		WRITE_ONCE(kpm_agg.staged_max, hot->nr_entries);
	profmap_merge(agg, hot, GFP_KERNEL | __GFP_NOWARN);
	WRITE_ONCE(kpm_agg.lost_alloc,
		   kpm_agg.lost_alloc + agg->lost_alloc - alloc);
	WRITE_ONCE(kpm_agg.lost_cap, kpm_agg.lost_cap + agg->lost_cap - cap);
	WRITE_ONCE(kpm_agg.lost_share,
		   kpm_agg.lost_share + agg->lost_share - share);
}

/* IPI handler, on the CPU owning @info: retire the hot map. */
static void kpm_agg_retire_local(void *info)
{
	struct kpm_cpu *c = info;

	WRITE_ONCE(c->hot, c->hot == &c->maps[0] ? &c->maps[1] : &c->maps[0]);
}

/* Retire every online CPU's hot map and merge it into the aggregate.
 * Called with cpus_read_lock() held by kpm_reset() and kpm_snapshot()
 * (lockdep_assert_cpus_held() is not exported to modules), and the
 * aggregate's lock.
 */
static void kpm_agg_collect(void)
{
	unsigned int cpu;

	lockdep_assert_held(&kpm_agg.lock);

	clear_bit(0, &kpm_agg.kicked);
	for_each_online_cpu(cpu) {
		struct kpm_cpu *c = kpm.cpus[cpu];
		struct profmap *retired;

		smp_call_function_single(cpu, kpm_agg_retire_local, c, 1);
		retired = READ_ONCE(c->hot) == &c->maps[0] ?
			  &c->maps[1] : &c->maps[0];
		kpm_agg_merge(retired);
	}
	WRITE_ONCE(kpm_agg.collections, kpm_agg.collections + 1);
}

/* The background collection: collect, then come back in collect_ms
 * while sampling. Takes cpus_read_lock(), so kpm_stop() cancels it only
 * after dropping that lock.
 */
static void kpm_agg_collect_work(struct work_struct *work)
{
	WRITE_ONCE(kpm_agg_collector, current);
	cpus_read_lock();
	mutex_lock(&kpm_agg.lock);
	kpm_agg_collect();
	mutex_unlock(&kpm_agg.lock);
	cpus_read_unlock();
	maps_reap();
	WRITE_ONCE(kpm_agg_collector, NULL);
	if (READ_ONCE(kpm.sampling))
		queue_delayed_work(system_highpri_wq, &kpm_agg.collect_work,
				   msecs_to_jiffies(kpm_collect_ms));
}

void kpm_agg_collect_start(void)
{
	queue_delayed_work(system_highpri_wq, &kpm_agg.collect_work,
			   msecs_to_jiffies(kpm_collect_ms));
}

void kpm_agg_collect_stop(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		irq_work_sync(&kpm.cpus[cpu]->kick);
	cancel_delayed_work_sync(&kpm_agg.collect_work);
	/* No reap puts them until the next start: put them now. */
	maps_drop_flush();
}

/* irq_work of kpm_agg_kick(): hard irq (a kthread on PREEMPT_RT). */
void kpm_agg_kick_work(struct irq_work *work)
{
	if (READ_ONCE(kpm.sampling))
		mod_delayed_work(system_highpri_wq, &kpm_agg.collect_work, 0);
}

void kpm_agg_kick(struct kpm_cpu *c)
{
	if (!test_and_set_bit(0, &kpm_agg.kicked))
		irq_work_queue(&c->kick);
}

void kpm_agg_absorb_cpu(struct kpm_cpu *c)
{
	mutex_lock(&kpm_agg.lock);
	kpm_agg_merge(&c->maps[0]);
	kpm_agg_merge(&c->maps[1]);
	mutex_unlock(&kpm_agg.lock);
}

void kpm_reset(void)
{
	cpus_read_lock();
	mutex_lock(&kpm_agg.lock);
	kpm_agg_collect();
	profmap_clear(&kpm_agg.map);
	kpm_agg.epoch++;
	kpm_agg.window_start_ns = ktime_get_real_ns();
	mutex_unlock(&kpm_agg.lock);
	cpus_read_unlock();
	maps_collect();
}

/* The generation @id as @snap holds it: a pinned struct kpm_gen, or
 * KPM_GEN_GONE (gone when first looked up), or NULL (not looked up yet).
 */
#define KPM_GEN_GONE	xa_mk_value(2)

/* Pin generation @id in @snap->shown, once.
 * Return: its entry there (the generation, or KPM_GEN_GONE), or an
 * ERR_PTR() when it could not be stored.
 */
static void *kpm_snap_pin(struct kpm_snap *snap, u32 id)
{
	void *v = xa_load(&snap->shown, id);
	int ret;

	if (v)
		return v;
	v = maps_get(id) ?: KPM_GEN_GONE;
	ret = xa_err(xa_store(&snap->shown, id, v, GFP_KERNEL));
	if (ret) {
		if (!xa_is_value(v))
			maps_put(v);
		return ERR_PTR(ret);
	}
	return v;
}

static void kpm_snap_free(struct kpm_snap *snap)
{
	unsigned long id;
	void *v;

	xa_for_each(&snap->shown, id, v)
		if (!xa_is_value(v))
			maps_put(v);
	xa_destroy(&snap->shown);
	profmap_free_list(&kpm.pool, &snap->moved);
	kvfree(snap->buf);
	kfree(snap->ents);
	kfree(snap->gens);
	kfree(snap);
}

/* Bytes of an entry's copy: the entry, then its frames. */
static size_t kpm_copy_size(const struct profmap_entry *e)
{
	return sizeof(*e) + (profmap_key_words(&e->key)) * sizeof(u64);
}

/* samples: copy the aggregate's next entries into the chunk, under its
 * lock for one chunk's copies only.
 */
static int kpm_snap_copy(struct kpm_snap *snap)
{
	const struct profmap_entry *e;
	size_t pos = 0;

	if (snap->done >= snap->total)
		return 0;
	mutex_lock(&kpm_agg.lock);
	if (kpm_agg.epoch != snap->epoch) {
		mutex_unlock(&kpm_agg.lock);
		return -ESTALE;
	}
	e = snap->last ? snap->last->next_all : kpm_agg.map.all;
	for (; e && snap->done < snap->total && snap->nr < KPM_CHUNK_RECS;
	     e = e->next_all) {
		struct profmap_entry *c = (void *)(snap->buf + pos);

		if (pos + kpm_copy_size(e) > KPM_CHUNK_BYTES)
			break;
		*c = *e;
		c->stk = (u64 *)(c + 1);
		memcpy(c->stk, e->stk, (profmap_key_words(&e->key)) * sizeof(u64));
		snap->ents[snap->nr++] = c;
		pos += kpm_copy_size(e);
		snap->last = e;
		snap->done++;
	}
	/* Fewer entries than at the open, with no drain or reset: none
	 * leave the aggregate otherwise, so this cannot happen.
	 */
	if (WARN_ON_ONCE(!e && snap->done < snap->total))
		snap->total = snap->done;
	mutex_unlock(&kpm_agg.lock);
	return 0;
}

/* drain: the moved list's next entries, in place. */
static void kpm_snap_next_moved(struct kpm_snap *snap)
{
	const struct profmap_entry *e;

	e = snap->last ? snap->last->next_all : snap->moved.first;
	for (; e && snap->nr < KPM_CHUNK_RECS; e = e->next_all) {
		snap->ents[snap->nr++] = e;
		snap->last = e;
		snap->done++;
	}
}

/* The generations the chunk's records name that no earlier chunk
 * printed (XA_MARK_0: printed), pinned for the reader's life. A
 * generation gone at its first lookup prints its records with m=0 (a
 * record naming no G record would make the file unreadable).
 */
static int kpm_snap_chunk_gens(struct kpm_snap *snap)
{
	size_t i;

	for (i = 0; i < snap->nr; i++) {
		u32 id = snap->ents[i]->gen;
		void *v;

		if (!id)
			continue;
		v = kpm_snap_pin(snap, id);
		if (IS_ERR(v))
			return PTR_ERR(v);
		if (xa_is_value(v) || xa_get_mark(&snap->shown, id, XA_MARK_0))
			continue;
		xa_set_mark(&snap->shown, id, XA_MARK_0);
		snap->gens[snap->nr_gens++] = v;
	}
	return 0;
}

int kpm_snap_fetch(struct kpm_snap *snap)
{
	const struct profmap_entry *last = snap->last;
	unsigned long done = snap->done;
	int ret = 0;

	unsigned int cg_from = snap->cg_from, cg_to = snap->cg_to;

	snap->nr = 0;
	snap->nr_gens = 0;
	snap->cg_from = snap->cg_to;
	snap->cg_to = kpm_cg_count();
	if (snap->drain)
		kpm_snap_next_moved(snap);
	else
		ret = kpm_snap_copy(snap);
	if (!ret)
		ret = kpm_snap_chunk_gens(snap);
	if (ret) {
		/* Nothing of this chunk was printed: fetch it again. */
		while (snap->nr_gens)
			xa_clear_mark(&snap->shown,
				      snap->gens[--snap->nr_gens]->id,
				      XA_MARK_0);
		snap->nr = 0;
		snap->last = last;
		snap->done = done;
		snap->cg_from = cg_from;
		snap->cg_to = cg_to;
		return ret;
	}
	return snap->nr;
}

void kpm_snap_rewind(struct kpm_snap *snap)
{
	unsigned long id;
	void *v;

	xa_for_each_marked(&snap->shown, id, v, XA_MARK_0)
		xa_clear_mark(&snap->shown, id, XA_MARK_0);
	snap->nr = 0;
	snap->nr_gens = 0;
	snap->cg_from = 0;
	snap->cg_to = 0;
	snap->last = NULL;
	snap->done = 0;
}

u32 kpm_snap_gen(struct kpm_snap *snap, const struct profmap_entry *e)
{
	return e->gen && !xa_is_value(xa_load(&snap->shown, e->gen)) ?
	       e->gen : 0;
}

/* drain: move the aggregate's entries into @snap, O(1) memory. */
static void kpm_snap_move(struct kpm_snap *snap)
{
	lockdep_assert_held(&kpm_agg.lock);

	profmap_detach(&kpm_agg.map, &snap->moved);
	kpm_agg.epoch++;
	snap->total = snap->moved.nr;
	snap->lost_alloc = snap->moved.lost_alloc + snap->moved.lost_reserve;
	snap->lost_cap = snap->moved.lost_cap + snap->moved.lost_share;
	snap->drain = true;
}

struct kpm_snap *kpm_snapshot(bool drain)
{
	struct kpm_snap *snap;

	snap = kzalloc(sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return ERR_PTR(-ENOMEM);
	xa_init(&snap->shown);
	snap->ents = kmalloc_array(KPM_CHUNK_RECS, sizeof(*snap->ents),
				   GFP_KERNEL);
	snap->gens = kmalloc_array(KPM_CHUNK_RECS, sizeof(*snap->gens),
				   GFP_KERNEL);
	if (!drain)
		snap->buf = kvmalloc(KPM_CHUNK_BYTES, GFP_KERNEL);
	if (!snap->ents || !snap->gens || (!drain && !snap->buf)) {
		kpm_snap_free(snap);
		return ERR_PTR(-ENOMEM);
	}

	cpus_read_lock();
	mutex_lock(&kpm_agg.lock);
	kpm_agg_collect();
	snap->cpus = num_online_cpus();
	snap->freq = READ_ONCE(kpm_freq);
	if (drain) {
		kpm_snap_move(snap);
	} else {
		snap->epoch = kpm_agg.epoch;
		snap->total = kpm_agg.map.nr_entries;
		snap->lost_alloc = kpm_agg.map.lost_alloc +
				   kpm_agg.map.lost_reserve;
		snap->lost_cap = kpm_agg.map.lost_cap + kpm_agg.map.lost_share;
	}
	snap->start_ns = kpm_agg.window_start_ns;
	snap->end_ns = ktime_get_real_ns();
	if (drain)
		kpm_agg.window_start_ns = snap->end_ns;
	mutex_unlock(&kpm_agg.lock);
	cpus_read_unlock();
	/* Every cgroup its records name has its C record. */
	kpm_cg_sync();
	if (drain) {
		/* A drain may be read across window ends, which free the
		 * generations of gone processes: pin every one it names now
		 * (one slot per generation, not per record).
		 */
		const struct profmap_entry *e;
		void *v = NULL;

		for (e = snap->moved.first; e && !IS_ERR(v); e = e->next_all)
			if (e->gen)
				v = kpm_snap_pin(snap, e->gen);
		if (IS_ERR(v)) {
			kpm_snapshot_put(snap, false);
			return v;
		}
	}
	return snap;
}

void kpm_snapshot_put(struct kpm_snap *snap, bool consumed)
{
	bool window_end = snap->drain && consumed;

	if (snap->drain && !consumed) {
		mutex_lock(&kpm_agg.lock);
		profmap_merge_list(&kpm_agg.map, &snap->moved);
		kpm_agg.window_start_ns = min(kpm_agg.window_start_ns,
					      snap->start_ns);
		mutex_unlock(&kpm_agg.lock);
	}
	kpm_snap_free(snap);
	/* A window ended: mapping records no window needs can go. */
	if (window_end)
		maps_collect();
}

void kpm_stats_cpu(unsigned int cpu, struct kpm_cpu_stats *st)
{
	const struct kpm_cpu_stats *src = &kpm.cpus[cpu]->stats;

	st->ticks = READ_ONCE(src->ticks);
	st->overruns = READ_ONCE(src->overruns);
	st->samples = READ_ONCE(src->samples);
	st->stored = READ_ONCE(src->stored);
	st->lost_reserve = READ_ONCE(src->lost_reserve);
	st->idle = READ_ONCE(src->idle);
	st->filtered = READ_ONCE(src->filtered);
	st->self = READ_ONCE(src->self);
	st->no_regs = READ_ONCE(src->no_regs);
	st->user_fault = READ_ONCE(src->user_fault);
	st->ns_total = READ_ONCE(src->ns_total);
	st->ns_max = READ_ONCE(src->ns_max);
	st->chain_max = READ_ONCE(src->chain_max);
}

void kpm_stats_sum(struct kpm_stats *st)
{
	struct kpm_cpu_stats *sum = &st->sum, c;
	unsigned int cpu, cls;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		kpm_stats_cpu(cpu, &c);
		sum->ticks += c.ticks;
		sum->overruns += c.overruns;
		sum->samples += c.samples;
		sum->stored += c.stored;
		sum->lost_reserve += c.lost_reserve;
		sum->idle += c.idle;
		sum->filtered += c.filtered;
		sum->self += c.self;
		sum->no_regs += c.no_regs;
		sum->user_fault += c.user_fault;
		sum->ns_total += c.ns_total;
		sum->timed += c.ticks / KPM_TIMED_EVERY;
		sum->ns_max = max(sum->ns_max, c.ns_max);
		sum->chain_max = max(sum->chain_max, c.chain_max);
	}
	/* Samples a merge lost were counted as stored by their CPU. */
	st->lost_alloc = READ_ONCE(kpm_agg.lost_alloc);
	st->lost_cap = READ_ONCE(kpm_agg.lost_cap);
	st->lost_share = READ_ONCE(kpm_agg.lost_share);
	sum->stored -= min(sum->stored,
			   st->lost_alloc + st->lost_cap + st->lost_share);
	st->alloc_failures = atomic_long_read(&kpm.pool.alloc_failures);
	st->sampling = READ_ONCE(kpm.sampling);
	st->collections = READ_ONCE(kpm_agg.collections);
	st->staged_max = READ_ONCE(kpm_agg.staged_max);
	for_each_possible_cpu(cpu) {
		const struct kpm_cpu *c = kpm.cpus[cpu];

		st->staged += READ_ONCE(c->maps[0].nr_entries) +
			      READ_ONCE(c->maps[1].nr_entries);
	}
	st->entries = atomic_long_read(&kpm.pool.nr_entries);
	st->bytes_entry = st->entries * sizeof(struct profmap_entry);
	st->bytes_reserve = num_possible_cpus() * 2 *
			   (KPM_HOT_ENTRIES * sizeof(struct profmap_entry) +
			    kpm_hot_frames() * sizeof(u64));
	st->bytes_total = st->bytes_entry + st->bytes_reserve;
	for (cls = 0; cls < PROFMAP_NR_CLASSES; cls++) {
		st->bytes_stk[cls] = atomic_long_read(&kpm.pool.nr_stk[cls]) *
				     profmap_class_frames(cls) * sizeof(u64);
		st->bytes_total += st->bytes_stk[cls];
	}
}
