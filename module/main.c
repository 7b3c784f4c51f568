// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - kprofmap module init/exit, parameters, CPU hotplug, control
 *
 * Lock order: cpus_read_lock() (or the hotplug lock held by a cpuhp
 * callback) before kpm.lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/slab.h>
#include <linux/random.h>
#include <linux/smp.h>
#include <linux/timekeeping.h>

#include "kprofmap.h"

unsigned int kpm_freq = 99;
module_param_named(freq, kpm_freq, uint, 0444);
MODULE_PARM_DESC(freq, "Samples per second per CPU, 1..10000 (default 99)");

unsigned int kpm_max_depth = 64;
module_param_named(max_depth, kpm_max_depth, uint, 0444);
MODULE_PARM_DESC(max_depth,
		 "Frames kept per stack, kernel and user each, 1..255 (default 64)");

unsigned int kpm_max_entries = 32768;
module_param_named(max_entries, kpm_max_entries, uint, 0444);
MODULE_PARM_DESC(max_entries,
		 "Unique stacks held by the whole module, 16..1048576 (default 32768)");

bool kpm_idle;
module_param_named(idle, kpm_idle, bool, 0444);
MODULE_PARM_DESC(idle, "Store idle ticks as samples of the swapper task (default 0)");

static bool kpm_autostart = true;
module_param_named(autostart, kpm_autostart, bool, 0444);
MODULE_PARM_DESC(autostart, "Start sampling at load (default 1)");

bool kpm_noop;
module_param_named(noop, kpm_noop, bool, 0444);
MODULE_PARM_DESC(noop,
		 "Benchmark floor: timers fire at freq but record nothing (default 0)");

#define KPM_FREQ_MAX		10000
#define KPM_ENTRIES_MIN		16
#define KPM_ENTRIES_MAX		(1U << 20)
#define KPM_HOT_BUCKETS		1024

struct kpm_state kpm = {
	.lock = __MUTEX_INITIALIZER(kpm.lock),
};

u64 kpm_now_real_ns(void)
{
	return ktime_get_real_ns();
}

/* Called on @cpu by the IPI of kpm_timer_start_all() or from the online
 * callback on @cpu itself: a pinned timer stays on the CPU that starts it.
 */
static void kpm_timer_start_local(void *info)
{
	struct kpm_cpu *c = info;

	hrtimer_start(&c->timer, kpm.period, HRTIMER_MODE_REL_PINNED_HARD);
}

/* Called with cpus_read_lock() and kpm.lock held. */
static void kpm_timer_start_all(void)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		smp_call_function_single(cpu, kpm_timer_start_local,
					 kpm.cpus[cpu], 1);
}

/* Called with cpus_read_lock() and kpm.lock held; waits for running
 * callbacks.
 */
static void kpm_timer_cancel_all(void)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		hrtimer_cancel(&kpm.cpus[cpu]->timer);
}

/* IPI handler, on the CPU owning @info: retire the hot map. The timer
 * runs in hardirq on this same CPU, so it sees either map whole.
 */
static void kpm_swap_local(void *info)
{
	struct kpm_cpu *c = info;

	WRITE_ONCE(c->hot, c->hot == &c->maps[0] ? &c->maps[1] : &c->maps[0]);
}

void kpm_collect(void)
{
	unsigned int cpu;

	lockdep_assert_held(&kpm.lock);

	for_each_online_cpu(cpu) {
		struct kpm_cpu *c = kpm.cpus[cpu];
		struct profmap *retired;

		smp_call_function_single(cpu, kpm_swap_local, c, 1);
		retired = READ_ONCE(c->hot) == &c->maps[0] ?
			  &c->maps[1] : &c->maps[0];
		profmap_merge(&kpm.agg, retired);
	}
}

/* Called with cpus_read_lock() and kpm.lock held. */
static void kpm_reset_locked(void)
{
	kpm_collect();
	profmap_clear(&kpm.agg);
	kpm.window_start_ns = kpm_now_real_ns();
}

int kpm_control(const char *cmd)
{
	int ret = 0;

	cpus_read_lock();
	mutex_lock(&kpm.lock);
	if (!strcmp(cmd, "start")) {
		if (!kpm.sampling) {
			WRITE_ONCE(kpm.sampling, true);
			kpm_timer_start_all();
		}
	} else if (!strcmp(cmd, "stop")) {
		if (kpm.sampling) {
			WRITE_ONCE(kpm.sampling, false);
			kpm_timer_cancel_all();
		}
	} else if (!strcmp(cmd, "reset")) {
		kpm_reset_locked();
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&kpm.lock);
	cpus_read_unlock();
	return ret;
}

/* cpuhp startup callback, run on @cpu as it comes online (hotplug lock
 * held): resume sampling there.
 */
static int kpm_cpu_online(unsigned int cpu)
{
	mutex_lock(&kpm.lock);
	if (kpm.sampling)
		kpm_timer_start_local(kpm.cpus[cpu]);
	mutex_unlock(&kpm.lock);
	return 0;
}

/* cpuhp teardown callback, run on @cpu before it goes offline (hotplug
 * lock held): stop its timer and hand its staged samples to the
 * aggregate, so nothing is lost with the CPU.
 */
static int kpm_cpu_offline(unsigned int cpu)
{
	struct kpm_cpu *c = kpm.cpus[cpu];

	hrtimer_cancel(&c->timer);
	mutex_lock(&kpm.lock);
	profmap_merge(&kpm.agg, &c->maps[0]);
	profmap_merge(&kpm.agg, &c->maps[1]);
	mutex_unlock(&kpm.lock);
	return 0;
}

static void kpm_free_cpu(struct kpm_cpu *c)
{
	if (!c)
		return;
	profmap_destroy(&c->maps[0]);
	profmap_destroy(&c->maps[1]);
	kfree(c->pcs);
	kfree(c);
}

static int kpm_alloc_cpu(unsigned int cpu)
{
	int node = cpu_to_node(cpu);
	struct kpm_cpu *c;

	c = kzalloc_node(sizeof(*c), GFP_KERNEL, node);
	if (!c)
		return -ENOMEM;
	kpm.cpus[cpu] = c;
	c->cpu = cpu;
	c->pcs = kcalloc_node(2 * kpm_max_depth, sizeof(u64), GFP_KERNEL, node);
	if (!c->pcs)
		return -ENOMEM;
	if (profmap_init(&c->maps[0], &kpm.pool, KPM_HOT_BUCKETS,
			 PROFMAP_HOT_CHAIN_LIMIT) ||
	    profmap_init(&c->maps[1], &kpm.pool, KPM_HOT_BUCKETS,
			 PROFMAP_HOT_CHAIN_LIMIT))
		return -ENOMEM;
	c->hot = &c->maps[0];
	hrtimer_init(&c->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	c->timer.function = sampler_tick;
	return 0;
}

static void kpm_free_cpus(void)
{
	unsigned int cpu;

	if (!kpm.cpus)
		return;
	for_each_possible_cpu(cpu)
		kpm_free_cpu(kpm.cpus[cpu]);
	kfree(kpm.cpus);
	kpm.cpus = NULL;
}

static int kpm_alloc_cpus(void)
{
	unsigned int cpu;

	kpm.cpus = kcalloc(nr_cpu_ids, sizeof(*kpm.cpus), GFP_KERNEL);
	if (!kpm.cpus)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		if (kpm_alloc_cpu(cpu))
			return -ENOMEM;	/* caller frees what was made */
	return 0;
}

static int __init kpm_check_params(void)
{
	if (kpm_freq < 1 || kpm_freq > KPM_FREQ_MAX) {
		pr_err("freq=%u out of range 1..%u\n", kpm_freq, KPM_FREQ_MAX);
		return -EINVAL;
	}
	if (kpm_max_depth < 1 || kpm_max_depth > KPM_MAX_DEPTH_LIMIT) {
		pr_err("max_depth=%u out of range 1..%u\n", kpm_max_depth,
		       KPM_MAX_DEPTH_LIMIT);
		return -EINVAL;
	}
	if (kpm_max_entries < KPM_ENTRIES_MIN ||
	    kpm_max_entries > KPM_ENTRIES_MAX) {
		pr_err("max_entries=%u out of range %u..%u\n", kpm_max_entries,
		       KPM_ENTRIES_MIN, KPM_ENTRIES_MAX);
		return -EINVAL;
	}
	return 0;
}

static int __init kpm_init(void)
{
	u64 key[2];
	int ret;

	ret = kpm_check_params();
	if (ret)
		return ret;

	kpm.period = ns_to_ktime(div_u64(NSEC_PER_SEC, kpm_freq));
	get_random_bytes(key, sizeof(key));
	ret = profmap_pool_init(&kpm.pool, KBUILD_MODNAME, kpm_max_entries, key);
	if (ret)
		return ret;
	ret = profmap_init(&kpm.agg, &kpm.pool,
			   roundup_pow_of_two(kpm_max_entries) / 2,
			   PROFMAP_NO_CHAIN_LIMIT);
	if (ret)
		goto out_destroy_pool;
	ret = kpm_alloc_cpus();
	if (ret)
		goto out_free_cpus;

	kpm.window_start_ns = kpm_now_real_ns();
	kpm.sampling = kpm_autostart;
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "kprofmap:online",
				kpm_cpu_online, kpm_cpu_offline);
	if (ret < 0)
		goto out_free_cpus;
	kpm.cpuhp_state = ret;

	ret = kpm_proc_init();
	if (ret)
		goto out_remove_cpuhp;

	pr_info("loaded: freq=%u max_depth=%u max_entries=%u%s%s\n", kpm_freq,
		kpm_max_depth, kpm_max_entries, kpm_idle ? " idle" : "",
		kpm_noop ? " noop" : "");
	return 0;

out_remove_cpuhp:
	kpm_control("stop");
	cpuhp_remove_state(kpm.cpuhp_state);
out_free_cpus:
	kpm_free_cpus();
	profmap_destroy(&kpm.agg);
out_destroy_pool:
	profmap_pool_destroy(&kpm.pool);
	return ret;
}

static void __exit kpm_exit(void)
{
	/* No new readers or writers, and open files are released. */
	kpm_proc_exit();
	/* Cancel every timer, then run the offline callback on each CPU. */
	kpm_control("stop");
	cpuhp_remove_state(kpm.cpuhp_state);
	kpm_free_cpus();
	profmap_destroy(&kpm.agg);
	profmap_pool_destroy(&kpm.pool);
	pr_info("unloaded\n");
}

module_init(kpm_init);
module_exit(kpm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kprofmap: per-CPU hrtimer CPU profiler with a deduplicating stack map");
MODULE_AUTHOR("kprofmap developers");
