/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kprofmap.h - state shared by the files of the kprofmap module
 *
 * Data flow: each CPU's hrtimer (sampler.c) captures a sample and counts it
 * in that CPU's hot profmap, with no lock and no allocation on a hit. A
 * reader (procfs.c) calls kpm_collect() (main.c), which retires every hot
 * map with an IPI to its CPU and merges it into the aggregate map in
 * process context; the reader then copies the aggregate into a private
 * snapshot that seq_file prints.
 */
#ifndef _KPROFMAP_H
#define _KPROFMAP_H

#include <linux/hrtimer.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "profmap.h"
#include "kprofmap_format.h"

/**
 * struct kpm_cpu_stats - counters of one CPU's sampler
 * @ticks:	timer callbacks
 * @overruns:	periods skipped because a callback ran late
 * @samples:	samples taken (idle ticks only with idle=1)
 * @stored:	samples counted in the hot map
 * @lost_alloc:	samples lost: slab allocation failed
 * @lost_cap:	samples lost: max_entries reached
 * @idle:	ticks that interrupted the idle task
 * @no_regs:	ticks without interrupted registers
 * @user_fault:	user walks ended by an unreadable frame
 * @ns_total:	time in the callback, local_clock() ns
 * @ns_max:	longest callback, ns
 * @chain_max:	most entries a hot-map lookup compared
 *
 * Written only by the CPU's own hrtimer callback (hardirq); readers sum
 * them with READ_ONCE() and accept a slightly stale view. Cumulative
 * since load.
 */
struct kpm_cpu_stats {
	u64 ticks;
	u64 overruns;
	u64 samples;
	u64 stored;
	u64 lost_alloc;
	u64 lost_cap;
	u64 idle;
	u64 no_regs;
	u64 user_fault;
	u64 ns_total;
	u64 ns_max;
	u32 chain_max;
};

/**
 * struct kpm_cpu - per-CPU sampler state
 * @timer:	pinned hrtimer, hard irq mode
 * @maps:	two profmaps: @hot is one of them, the other is empty or
 *		being merged by a reader (who holds kpm.lock)
 * @hot:	the map the timer writes; switched only on this CPU (by the
 *		reader's IPI), so the timer and the switch never overlap
 * @stats:	counters, written by the timer only
 * @pcs:	capture scratch, 2 * max_depth frames, timer only
 * @cpu:	the CPU this belongs to
 */
struct kpm_cpu {
	struct hrtimer timer;
	struct profmap maps[2];
	struct profmap *hot;
	struct kpm_cpu_stats stats;
	u64 *pcs;
	unsigned int cpu;
};

/**
 * struct kpm_state - the module's global state
 * @lock:	protects @agg, @window_start_ns, @sampling transitions and
 *		the retired (non-hot) map of every CPU. Taken after
 *		cpus_read_lock() (or inside a hotplug callback).
 * @agg:	aggregate map: every retired sample, unique (task, stack)
 * @pool:	caches, hash key and cap shared by all maps
 * @cpus:	per-CPU state, indexed by CPU number (nr_cpu_ids entries)
 * @period:	timer period
 * @sampling:	timers are (to be) armed; read by the timer and the online
 *		callback, written under @lock
 * @window_start_ns: CLOCK_REALTIME ns the current window began (start,
 *		reset or drain)
 * @cpuhp_state: dynamic hotplug state from cpuhp_setup_state()
 */
struct kpm_state {
	struct mutex lock;
	struct profmap agg;
	struct profmap_pool pool;
	struct kpm_cpu **cpus;
	ktime_t period;
	bool sampling;
	u64 window_start_ns;
	int cpuhp_state;
};

extern struct kpm_state kpm;

/* Module parameters (main.c); fixed after load. */
extern unsigned int kpm_freq;		/* Hz per CPU, 1..10000 */
extern unsigned int kpm_max_depth;	/* frames per stack, each of k/u */
extern unsigned int kpm_max_entries;	/* unique stacks held, whole module */
extern bool kpm_idle;			/* store idle ticks as swapper */
extern bool kpm_noop;			/* benchmark floor: timer does nothing */

/**
 * sampler_tick() - the per-CPU hrtimer callback
 * @timer: the CPU's kpm_cpu.timer
 *
 * Context: hardirq, never sleeps, takes no lock.
 * Return: HRTIMER_RESTART while sampling.
 */
enum hrtimer_restart sampler_tick(struct hrtimer *timer);

/**
 * kpm_collect() - merge every online CPU's hot map into kpm.agg
 *
 * Context: process context; caller holds cpus_read_lock() and kpm.lock.
 */
void kpm_collect(void);

/**
 * kpm_control() - apply a control command
 * @cmd: "start", "stop" or "reset" (no newline)
 *
 * Context: process context, may sleep.
 * Return: 0, or -EINVAL for an unknown command (nothing changed).
 */
int kpm_control(const char *cmd);

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

/**
 * kpm_now_real_ns() - CLOCK_REALTIME in ns for record headers
 *
 * Context: process context.
 */
u64 kpm_now_real_ns(void);

#endif /* _KPROFMAP_H */
