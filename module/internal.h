/* SPDX-License-Identifier: GPL-2.0 */
/*
 * internal.h - the contract between the files of the kprofmap module
 *
 * Data flow, one owner per stage:
 *
 *   sampler.c    hardirq: each CPU's hrtimer captures a sample and counts
 *                it in that CPU's hot profmap (no lock, no allocation on
 *                a hit)
 *   profmap.c    the pure (stack, task) -> count table, compiled
 *                unchanged in the module, the unit tests and the bench
 *   aggregate.c  process context: retires every hot map (an IPI to its
 *                CPU) and merges it into the aggregate; owns the
 *                aggregate, its window, snapshots, drains and the summed
 *                statistics
 *   procfs.c     /proc/kprofmap/: checks privilege at open, parses
 *                control, formats snapshots and statistics
 *   main.c       parameters, init/exit, per-CPU state, CPU hotplug,
 *                starting and stopping the timers
 *   filter.c     the filter (RCU), run-time freq, the session
 *   cgroups.c    each sample's cgroup v2 id and the C records naming ids
 *
 * Lock order: filter.c's kpm_filter_lock, then cpus_read_lock() (or the
 * hotplug lock a cpuhp callback runs under), then kpm.ctl_lock, then the
 * aggregate's lock (private to aggregate.c). maps.c's maps.lock (after a
 * task's mmap lock when a visit takes it) and cgroups.c's kpm_cg_lock
 * are leaves: taken with none of those held but kpm_filter_lock (a
 * reset, a drain's open), and taking no other lock of the module.
 */
#ifndef _KPROFMAP_INTERNAL_H
#define _KPROFMAP_INTERNAL_H

#include <linux/cgroup.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct seq_file;
struct task_struct;

#include "profmap.h"
#include "kprofmap_format.h"

/**
 * struct kpm_cpu_stats - counters of one CPU's sampler
 * @ticks:	timer callbacks
 * @overruns:	periods skipped because a callback ran late
 * @samples:	samples taken (idle ticks only with idle=1)
 * @stored:	samples counted in the hot map
 * @lost_reserve: samples lost: the hot map's reserve was exhausted
 * @idle:	ticks that interrupted the idle task
 * @filtered:	ticks of a task the filter leaves out (filter.c): not
 *		sampled, not walked
 * @self:	ticks that interrupted kprofmap's background collection (not
 *		sampled: at high rates its ever-new stacks took the room
 *		the cap leaves other processes)
 * @no_regs:	ticks without interrupted registers
 * @user_fault:	user walks ended by an unreadable frame
 * @ns_total:	time in the timed callbacks (one tick in KPM_TIMED_EVERY),
 *		local_clock() ns
 * @ns_max:	longest timed callback, ns
 * @timed:	timed callbacks (filled in by kpm_stats_sum() only:
 *		a CPU's is its ticks / KPM_TIMED_EVERY)
 * @chain_max:	most entries a hot-map lookup compared
 *
 * Written only by the CPU's own hrtimer callback (hardirq), each store a
 * WRITE_ONCE() (kpm_stat_add()); readers use READ_ONCE() and accept a
 * slightly stale view. Cumulative since load.
 */
struct kpm_cpu_stats {
	u64 ticks;
	u64 overruns;
	u64 samples;
	u64 stored;
	u64 lost_reserve;
	u64 idle;
	u64 filtered;
	u64 self;
	u64 no_regs;
	u64 user_fault;
	u64 ns_total;
	u64 ns_max;
	u64 timed;
	u32 chain_max;
};

/* One tick in this many is timed (two local_clock() reads: about a tenth
 * of a frame-pointer sample's cost when every tick paid them).
 */
#define KPM_TIMED_EVERY	16

/* The one writer's update of a counter that other CPUs read. */
static inline void kpm_stat_add(u64 *counter, u64 n)
{
	WRITE_ONCE(*counter, *counter + n);
}

/**
 * struct sampler_capture - a sample being captured
 * @pcs:	frames so far (kernel first, then user), the CPU's scratch
 * @n:		frames in @pcs
 * @h:		running hash of @pcs
 * @flags:	PROFMAP_F_* truncation marks
 */
struct sampler_capture {
	u64 *pcs;
	unsigned int n;
	u64 h;
	u8 flags;
};

/**
 * struct kpm_cpu - per-CPU sampler state
 * @timer:	pinned hrtimer, hard irq mode
 * @maps:	two staging profmaps, each with its own reserve (never the
 *		slab in hard irq): @hot is one of them, the other is empty
 *		or being merged by aggregate.c (under its lock), which
 *		empties its reserve for the next turn
 * @hot:	the map the timer writes; switched only on this CPU (by the
 *		aggregate's IPI), so the timer and the switch never overlap
 * @stats:	counters, written by the timer only
 * @pcs:	capture scratch, 2 * max_depth frames and a cgroup tag,
 *		timer only
 * @kick:	queued by the timer when @hot has used half of its reserve,
 *		to start a background collection early (kpm_agg_kick())
 * @cpu:	the CPU this belongs to
 * @cg_last:	the cgroup id this CPU last found in the table
 *		(kpm_cg_note()), 0 for none; written with interrupts off
 */
struct kpm_cpu {
	struct hrtimer timer;
	struct profmap maps[2];
	struct profmap *hot;
	struct kpm_cpu_stats stats;
	u64 *pcs;
	struct irq_work kick;
	unsigned int cpu;
	u64 cg_last;
};

/* A hot map: its hash chains, and its reserve: entry slots, and frame
 * slots (8 bytes each) for their stacks, at least KPM_HOT_FRAMES_MIN and
 * room for KPM_HOT_DEEP stacks of 2 * max_depth frames and a tag. The
 * timer asks for an early collection when half of either is used
 * (profmap_reserve_low()).
 */
#define KPM_HOT_BUCKETS		1024
#define KPM_HOT_ENTRIES		1024
#define KPM_HOT_FRAMES_MIN	16384
#define KPM_HOT_DEEP		64

/**
 * struct kpm_state - the module's global state (main.c)
 * @run_lock:	serialises kpm_start() and kpm_stop() as a whole, including
 *		the background collection's start and cancel, which happen
 *		outside cpus_read_lock(). Taken before everything else.
 * @ctl_lock:	serialises start and stop, and protects @sampling against
 *		the CPU online callback. Taken after cpus_read_lock().
 * @pool:	caches, hash key and cap shared by every map; fixed after init
 * @cpus:	per-CPU state, indexed by CPU number (nr_cpu_ids entries),
 *		fixed after init
 * @period:	timer period, 1 s / kpm_freq; changed by filter.c (freq)
 * @sampling:	timers are (to be) armed; read locklessly by the timer,
 *		written under @ctl_lock
 * @cpuhp_state: dynamic hotplug state from cpuhp_setup_state()
 */
struct kpm_state {
	struct mutex run_lock;		/* kpm_start() vs kpm_stop() */
	struct mutex ctl_lock;		/* start/stop, @sampling */
	struct profmap_pool pool;
	struct kpm_cpu **cpus;
	ktime_t period;
	bool sampling;
	int cpuhp_state;
};

extern struct kpm_state kpm;

/* Module parameters (main.c); fixed after load but kpm_freq (filter.c). */
extern unsigned int kpm_freq;		/* Hz per CPU, 1..KPM_FREQ_MAX */
extern unsigned int kpm_max_depth;	/* frames per stack, each of k/u */
extern unsigned int kpm_max_entries;	/* unique stacks held, whole module */
extern bool kpm_idle;			/* store idle ticks as swapper */
extern bool kpm_noop;			/* benchmark floor: timer does nothing */
extern unsigned int kpm_collect_ms;	/* background collection period, ms */
extern unsigned int kpm_share;		/* % of max_entries per user near the cap */

/* --- sampler.c --- */

/**
 * sampler_tick() - the per-CPU hrtimer callback
 * @timer: the CPU's kpm_cpu.timer
 *
 * Context: hardirq, never sleeps, takes no lock.
 * Return: HRTIMER_RESTART while sampling.
 */
enum hrtimer_restart sampler_tick(struct hrtimer *timer);

/* --- filter.c --- */

extern bool kpm_filter_on;	/* a filter is set: kpm_filter_pass() asks it */

bool kpm_filter_pass_slow(struct task_struct *task);

/**
 * kpm_filter_pass() - does the filter keep @task's samples?
 * @task: the sampled task (current)
 *
 * Context: interrupts off (the timer: hard irq). Return: true when no
 * filter is set or @task is one of its thread groups or in its cgroup
 * subtree.
 */
static inline bool kpm_filter_pass(struct task_struct *task)
{
	return !READ_ONCE(kpm_filter_on) || kpm_filter_pass_slow(task);
}

/**
 * kpm_filter_command() - "filter pid=N[,N...]", "filter cgroup=PATH",
 *			  "filter off", "freq N" or "reset"
 * @cmd: the command, NUL-terminated, no newline
 * @from_session: written to the session file (else to control)
 *
 * Context: process context, may sleep; takes kpm_filter_lock (before
 * everything of internal.h's lock order).
 * Return: 0; -EINVAL for a malformed command (nothing changes), -ESRCH or
 * -ENOENT for a pid or cgroup that does not exist, -EBUSY from control
 * while a session is open, -ENOMEM.
 */
int kpm_filter_command(const char *cmd, bool from_session);

/**
 * kpm_session_open() - make current's thread group the session holder
 *
 * Removes the filter control set, notes freq for the release.
 * Context: process context, may sleep. Return: 0, or -EBUSY while one is
 * open.
 */
int kpm_session_open(void);

/**
 * kpm_session_release() - end the session: no filter, freq as at its open
 *
 * Context: process context, may sleep (an RCU grace period).
 */
void kpm_session_release(void);

/**
 * kpm_session_drain_begin() - may current drain now?
 *
 * True with no session, or when current is in the session holder's
 * thread group: then no session can start until kpm_session_drain_end(),
 * so take the drain in between.
 * Context: process context; takes kpm_filter_lock (held on true).
 */
bool kpm_session_drain_begin(void);
void kpm_session_drain_end(void);

/* stats: "filter DESC" ("off", "pid=...", "cgroup=PATH") and "session 0|1" */
void kpm_filter_show(struct seq_file *m);
void kpm_filter_init(void);
void kpm_filter_exit(void);

/* --- cgroups.c --- */

extern bool kpm_cgroups;	/* parameter: key samples by cgroup */

/**
 * struct kpm_cg_rec - a C record: a cgroup id and its name
 * @id:		cgroup v2 id (the directory's inode number)
 * @path:	path from the cgroup2 root, "/" for the root; "-" when the
 *		cgroup was gone before it could be named
 */
struct kpm_cg_rec {
	u64 id;
	char *path;
};

/**
 * kpm_cg_track() - note the cgroup v2 id @id of @cgrp for a C record
 * @cgrp: the cgroup
 * @id: cgroup_id(@cgrp)
 *
 * An id stays in the table until unload.
 * Context: as kpm_cg_note().
 * Return: true when the id is in the table; false when the slots it may
 * take are all taken (the sample counted in cgroups_untracked).
 */
bool kpm_cg_track(struct cgroup *cgrp, u64 id);

/**
 * kpm_cg_note() - the cgroup v2 id of @task, noted for a C record
 * @c: this CPU's state: an id in the table that is its @cg_last is not
 *     looked up again
 * @task: current
 *
 * Inline: the timer asks on every sample (the call and the table's probe
 * were 27 instructions a sample, gdb, 4-frame workload).
 * Context: interrupts off (the timer's hard irq, or a section that
 * disabled them; an RCU reader so, without rcu_read_lock(), which is a
 * call each way under PREEMPT_RCU); never sleeps or allocates.
 * Return: the id, 0 with cgroups=0.
 */
static __always_inline u64 kpm_cg_note(struct kpm_cpu *c,
				       struct task_struct *task)
{
	struct cgroup *cgrp;
	u64 id;

	if (!kpm_cgroups)
		return 0;
	lockdep_assert_irqs_disabled();
	cgrp = task_dfl_cgroup(task);
	id = cgroup_id(cgrp);
	if (id != c->cg_last && kpm_cg_track(cgrp, id))
		c->cg_last = id;
	return id;
}

/**
 * kpm_cg_sync() - name every id noted so far
 *
 * Context: process context, may sleep. Return: records named, in all.
 */
unsigned int kpm_cg_sync(void);

/* Records named so far; record @i (< kpm_cg_count()), immutable. */
unsigned int kpm_cg_count(void);
const struct kpm_cg_rec *kpm_cg_rec(unsigned int i);
/* Samples whose id found the table full (no C record). */
u64 kpm_cg_untracked_count(void);
int kpm_cg_init(void);
void kpm_cg_exit(void);

/* --- main.c --- */

/**
 * kpm_hot_frames() - frame slots in each hot map's reserve
 *
 * Context: any. Return: max(KPM_HOT_FRAMES_MIN, KPM_HOT_DEEP stacks of
 * 2 * max_depth frames).
 */
unsigned int kpm_hot_frames(void);

/**
 * kpm_start() - arm every online CPU's timer (no-op when sampling)
 *
 * Also starts the background collection.
 * Context: process context, may sleep; takes kpm.run_lock,
 * cpus_read_lock() and kpm.ctl_lock.
 */
void kpm_start(void);

/**
 * kpm_stop() - cancel every timer, waiting for running callbacks
 *
 * Then cancels the background collection and waits for it: afterwards no
 * collection is queued or running until the next kpm_start().
 * Context: process context, may sleep; takes kpm.run_lock,
 * cpus_read_lock() and kpm.ctl_lock. Staged samples stay staged.
 */
void kpm_stop(void);

/*
 * KPM_USER_END - the end of the user range a stack walk reads: a word
 * below TASK_SIZE_MAX. user_access_begin() and access_ok() are asked for
 * [start, KPM_USER_END), never for a range that ends exactly at the
 * limit they compare with (inclusive on some kernels and exclusive on
 * others); the word given up is the top of the initial stack, above
 * every frame (the end marker of the exec'd file's name).
 */
#define KPM_USER_END	(TASK_SIZE_MAX - sizeof(u64))

/*
 * Open user access (user_access_begin()) for reads anywhere below
 * KPM_USER_END, the bound each read of a hard-irq stack walk is checked
 * against (and masked to, array_index_nospec(), under speculation). The
 * whole range, not the walk's own [sp, KPM_USER_END): its access_ok()
 * takes 5 instructions, where the walk's range took 11 to prove what the
 * walk had checked (sp below its bound; objdump of the 6.1 build).
 */
#define kpm_user_access_begin() \
	user_access_begin((const void __user *)0, KPM_USER_END)

/* --- aggregate.c --- */

/* A reader's chunk: at most this many records, and for samples at most
 * this many bytes of copies (an entry with 2 x 255 frames takes 4 KiB).
 */
#define KPM_CHUNK_RECS	256
#define KPM_CHUNK_BYTES	(64 * 1024)

/**
 * struct kpm_snap - one reader's records: a window, read a chunk at a time
 * @start_ns:	window start, CLOCK_REALTIME ns
 * @end_ns:	window end (the open), CLOCK_REALTIME ns
 * @cpus:	online CPUs at the open
 * @freq:	kpm_freq at the open
 * @lost_alloc:	samples lost in the window to failed allocations and
 *		exhausted hot-map reserves (the L record's alloc=)
 * @lost_cap:	samples lost in the window to max_entries and to the fair
 *		share (the L record's cap=)
 * @drain:	the records were moved out of the aggregate (a drain); a
 *		samples reader instead copies them from the live aggregate,
 *		a chunk at a time
 * @moved:	drain: the aggregate's entries, moved here
 * @total:	records in the window at the open: a samples reader prints
 *		the entries the aggregate held then (their counts as of
 *		their chunk), not those added since
 * @done:	records fetched into chunks so far
 * @last:	the last entry fetched (the aggregate's or @moved's), NULL
 *		before the first
 * @epoch:	samples: the aggregate's epoch at the open; a drain or a
 *		reset since ends the read (a seek back included) with -ESTALE
 * @buf:	samples: KPM_CHUNK_BYTES for the chunk's copies
 * @nr:		records in the chunk
 * @ents:	the chunk's records, in insertion order
 * @nr_gens:	mapping generations the chunk prints first, in @gens
 * @gens:	those generations (held by @shown)
 * @shown:	by id, every generation the reader's records named so far
 *		(a drain: all of them, from the open): the generation with a
 *		reference (maps_get()), or a value entry if it was gone
 *		(its records then print m=0); XA_MARK_0 once a chunk
 *		printed its G record
 * @cg_from:	the chunk prints C records [@cg_from, @cg_to) after its
 *		G records (cgroups.c's records are named in order, once)
 * @cg_to:	first C record no chunk printed yet
 *
 * Memory: KPM_CHUNK_BYTES + 2 x KPM_CHUNK_RECS pointers, and @shown,
 * one slot per generation the records name (at most max_maps'
 * processes), whatever max_entries is. Freed by kpm_snapshot_put().
 */
struct kpm_snap {
	u64 start_ns;
	u64 end_ns;
	unsigned int cpus;
	unsigned int freq;
	u64 lost_alloc;
	u64 lost_cap;
	bool drain;
	struct profmap_list moved;
	unsigned long total;
	unsigned long done;
	const struct profmap_entry *last;
	u64 epoch;
	char *buf;
	size_t nr;
	const struct profmap_entry **ents;
	size_t nr_gens;
	struct kpm_gen **gens;
	struct xarray shown;
	unsigned int cg_from;
	unsigned int cg_to;
};

/**
 * struct kpm_stats - the module's counters, summed, and memory held
 * @sum:	every CPU's struct kpm_cpu_stats added up; ns_max and
 *		chain_max are maxima; @sum.stored less what merges lost
 * @lost_alloc:	samples lost when a merge could not copy a staged entry
 *		into the slab
 * @lost_cap:	samples lost when a merge found the aggregate at
 *		max_entries
 * @lost_share:	samples lost when a merge found their user at its fair
 *		share (kpm_share) of a 7/8-full aggregate
 * @alloc_failures: failed slab allocations (each loses one staged entry,
 *		whatever its count)
 * @sampling:	timers armed
 * @collections: collections done (background, snapshots, reset)
 * @staged:	entries in the hot maps now (a racy sum)
 * @staged_max:	most entries one hot map held when it was retired
 * @entries:	live entries in all maps
 * @bytes_entry: bytes of those entries
 * @bytes_stk:	bytes of the stack arrays, per size class
 * @bytes_reserve: bytes of the hot maps' reserves (fixed at load)
 * @bytes_total: @bytes_entry plus every @bytes_stk plus @bytes_reserve
 */
struct kpm_stats {
	struct kpm_cpu_stats sum;
	u64 lost_alloc;
	u64 lost_cap;
	u64 lost_share;
	long alloc_failures;
	bool sampling;
	u64 collections;
	unsigned long staged;
	unsigned long staged_max;
	long entries;
	size_t bytes_entry;
	size_t bytes_stk[PROFMAP_NR_CLASSES];
	size_t bytes_reserve;
	size_t bytes_total;
};

/**
 * kpm_agg_init() - create the empty aggregate and open its first window
 *
 * Context: process context (module init), after kpm.pool exists.
 * Return: 0 or -ENOMEM.
 */
int kpm_agg_init(void);

/**
 * kpm_agg_destroy() - free the aggregate
 *
 * Context: process context (module exit); no reader, no timer left.
 */
void kpm_agg_destroy(void);

/**
 * kpm_agg_absorb_cpu() - merge both maps of a CPU going offline
 * @c: the CPU's state; its timer is already cancelled
 *
 * Context: process context, from the cpuhp teardown callback (hotplug
 * lock held).
 */
void kpm_agg_absorb_cpu(struct kpm_cpu *c);

/**
 * kpm_agg_collect_start() - queue the background collection
 *
 * It runs every kpm_collect_ms and re-queues itself while kpm.sampling.
 * Context: process context; kpm_start() under kpm.run_lock.
 */
void kpm_agg_collect_start(void);

/**
 * kpm_agg_collect_stop() - cancel the background collection and wait
 *
 * Waits for every CPU's kick (whose timer is already cancelled) and the
 * work; nothing is queued afterwards while kpm.sampling is false.
 * Context: process context, may sleep; kpm.run_lock held, not
 * cpus_read_lock() (the work takes it).
 */
void kpm_agg_collect_stop(void);

/**
 * kpm_agg_kick() - ask for a collection now: a hot map is filling up
 * @c: this CPU's state
 *
 * Queues @c->kick unless a kick is already pending; cheap when called
 * on every tick past the threshold.
 * Context: hardirq (the CPU's timer), never sleeps.
 */
void kpm_agg_kick(struct kpm_cpu *c);

/**
 * kpm_agg_kick_work() - the irq_work behind kpm_agg_kick()
 * @work: a kpm_cpu.kick
 *
 * Context: hardirq (a kthread on PREEMPT_RT).
 */
void kpm_agg_kick_work(struct irq_work *work);

/* The worker running the background collection, while it runs
 * (aggregate.c; current_work() answers NULL in hard irq).
 */
extern struct task_struct *kpm_agg_collector;

/**
 * kpm_agg_collecting() - is @task running the background collection now?
 * @task: a task (the timer's current)
 *
 * Inline: the timer asks on every sample.
 * Context: any, hard irq included.
 */
static inline bool kpm_agg_collecting(const struct task_struct *task)
{
	return task == READ_ONCE(kpm_agg_collector);
}

/**
 * kpm_reset() - discard every sample staged so far and start a new window
 *
 * Context: process context, may sleep; takes cpus_read_lock().
 */
void kpm_reset(void);

/**
 * kpm_snapshot() - collect every CPU's hot map, then open a reader on
 * the aggregate or drain it
 * @drain: move the aggregate out and start a new window, instead of
 *	   reading it where it is
 *
 * Every sample counted before the call is in a drain exactly once; a
 * drained sample is in no later snapshot unless kpm_snapshot_put()
 * hands it back. The records come from kpm_snap_fetch().
 * Context: process context, may sleep; takes cpus_read_lock().
 * Return: the snapshot, or ERR_PTR(-ENOMEM) (nothing moved).
 */
struct kpm_snap *kpm_snapshot(bool drain);

/**
 * kpm_snap_fetch() - the next chunk of @snap's records
 * @snap: from kpm_snapshot()
 *
 * Replaces the previous chunk: fills @snap->ents (samples: copies in
 * @snap->buf, taken under the aggregate's lock for one chunk only) and
 * @snap->gens with the generations no earlier chunk printed. On an
 * error nothing moves: the next call fetches the same chunk.
 * Context: process context, may sleep.
 * Return: records in the chunk (0: none left), -ESTALE when a drain or
 * a reset emptied the aggregate since a samples reader's open, or
 * -ENOMEM.
 */
int kpm_snap_fetch(struct kpm_snap *snap);

/**
 * kpm_snap_rewind() - read @snap's records again from the first
 * @snap: from kpm_snapshot()
 *
 * The same entries again (a samples reader's, if no drain or reset
 * came since its open; else its next fetch fails with -ESTALE), their
 * generations printed again.
 * Context: process context, may sleep.
 */
void kpm_snap_rewind(struct kpm_snap *snap);

/**
 * kpm_snap_gen() - the generation a record of @snap's chunk prints
 * @snap: from kpm_snapshot()
 * @e: a record of the current chunk
 *
 * Return: @e's generation, or 0 when it was gone at the fetch.
 */
u32 kpm_snap_gen(struct kpm_snap *snap, const struct profmap_entry *e);

/**
 * kpm_snapshot_put() - release a snapshot
 * @snap: from kpm_snapshot()
 * @consumed: the reader received every record; when false, a drain's
 *	      records and lost counts go back into the aggregate (whose
 *	      window then starts no later than @snap's), so a failed open,
 *	      a file closed unread or a killed reader loses nothing
 *
 * Context: process context, may sleep.
 */
void kpm_snapshot_put(struct kpm_snap *snap, bool consumed);

/**
 * kpm_stats_sum() - add up every CPU's counters and the memory held
 * @st: filled in
 *
 * Context: any context that may read the counters; takes no lock.
 */
void kpm_stats_sum(struct kpm_stats *st);

/**
 * kpm_stats_cpu() - one CPU's counters
 * @cpu: a possible CPU
 * @st: filled in, each field read once
 *
 * Context: any; takes no lock.
 */
void kpm_stats_cpu(unsigned int cpu, struct kpm_cpu_stats *st);

/* --- procfs.c --- */

/* A comm or path in a record or stats line: at most @max bytes of @s,
 * bytes outside 0x21..0x7e and the backslash as \xHH, "" as \x00.
 */
void kpm_put_escaped(struct seq_file *m, const char *s, size_t max);

/**
 * kpm_proc_init() - create /proc/kprofmap/ and its files
 *
 * Context: process context (module init).
 * Return: 0 or -ENOMEM.
 */
int kpm_proc_init(void);

/**
 * kpm_proc_exit() - remove /proc/kprofmap/, waiting for open files
 *
 * Context: process context (module exit).
 */
void kpm_proc_exit(void);

#endif /* _KPROFMAP_INTERNAL_H */
