// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - kprofmap module init/exit, parameters, per-CPU state, CPU
 * hotplug, starting and stopping the timers (lock order: internal.h)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/slab.h>
#include <linux/random.h>
#include <linux/smp.h>
#include <linux/irq_work.h>

#include "compat.h"
#include "internal.h"
#include "maps.h"
#include "uwind.h"

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

unsigned int kpm_collect_ms = 200;
module_param_named(collect_ms, kpm_collect_ms, uint, 0444);
MODULE_PARM_DESC(collect_ms,
		 "Background collection period while sampling, ms, 10..10000 (default 200)");

unsigned int kpm_share = 25;
module_param_named(share, kpm_share, uint, 0444);
MODULE_PARM_DESC(share,
		 "Percent of max_entries one user's processes may hold once the aggregate is 7/8 full, 1..100 (default 25; 100: no limit)");

#define KPM_ENTRIES_MIN		16
#define KPM_ENTRIES_MAX		(1U << 20)
#define KPM_COLLECT_MS_MIN	10
#define KPM_COLLECT_MS_MAX	10000

struct kpm_state kpm = {
	.run_lock = __MUTEX_INITIALIZER(kpm.run_lock),
	.ctl_lock = __MUTEX_INITIALIZER(kpm.ctl_lock),
};

/* Called on @cpu by the IPI of kpm_start() or from the online callback on
 * @cpu itself: a pinned timer stays on the CPU that starts it.
 */
static void kpm_timer_start_local(void *info)
{
	struct kpm_cpu *c = info;

	hrtimer_start(&c->timer, READ_ONCE(kpm.period),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

void kpm_start(void)
{
	bool started = false;
	unsigned int cpu;

	mutex_lock(&kpm.run_lock);
	cpus_read_lock();
	mutex_lock(&kpm.ctl_lock);
	if (!kpm.sampling) {
		WRITE_ONCE(kpm.sampling, true);
		for_each_online_cpu(cpu)
			smp_call_function_single(cpu, kpm_timer_start_local,
						 kpm.cpus[cpu], 1);
		started = true;
	}
	mutex_unlock(&kpm.ctl_lock);
	cpus_read_unlock();
	if (started)
		kpm_agg_collect_start();
	mutex_unlock(&kpm.run_lock);
}

void kpm_stop(void)
{
	unsigned int cpu;

	mutex_lock(&kpm.run_lock);
	cpus_read_lock();
	mutex_lock(&kpm.ctl_lock);
	if (kpm.sampling) {
		WRITE_ONCE(kpm.sampling, false);
		for_each_online_cpu(cpu)
			hrtimer_cancel(&kpm.cpus[cpu]->timer);
	}
	mutex_unlock(&kpm.ctl_lock);
	cpus_read_unlock();
	/* Samples held in stack copies (PREEMPT_RT) reach the hot maps. */
	uwind_flush();
	/* Outside cpus_read_lock(): the work takes it. */
	kpm_agg_collect_stop();
	mutex_unlock(&kpm.run_lock);
}

/* cpuhp startup callback, run on @cpu as it comes online (hotplug lock
 * held): resume sampling there.
 */
static int kpm_cpu_online(unsigned int cpu)
{
	mutex_lock(&kpm.ctl_lock);
	if (kpm.sampling)
		kpm_timer_start_local(kpm.cpus[cpu]);
	mutex_unlock(&kpm.ctl_lock);
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
	irq_work_sync(&c->kick);
	/* Samples in its stack copies (PREEMPT_RT) into its hot map first. */
	uwind_flush_cpu(cpu);
	kpm_agg_absorb_cpu(c);
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

unsigned int kpm_hot_frames(void)
{
	return max_t(unsigned int, KPM_HOT_FRAMES_MIN,
		     KPM_HOT_DEEP * (2 * kpm_max_depth + 1));
}

static int kpm_alloc_cpu(unsigned int cpu)
{
	int node = cpu_to_node(cpu);
	struct kpm_cpu *c;
	unsigned int i;

	c = kzalloc_node(sizeof(*c), GFP_KERNEL, node);
	if (!c)
		return -ENOMEM;
	kpm.cpus[cpu] = c;
	c->cpu = cpu;
	c->pcs = kcalloc_node(2 * kpm_max_depth + 1, sizeof(u64), GFP_KERNEL, node);
	if (!c->pcs)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(c->maps); i++)
		if (profmap_init(&c->maps[i], &kpm.pool, KPM_HOT_BUCKETS,
				 PROFMAP_HOT_CHAIN_LIMIT) ||
		    profmap_init_reserve(&c->maps[i], KPM_HOT_ENTRIES,
					 kpm_hot_frames()))
			return -ENOMEM;
	c->hot = &c->maps[0];
	kpm_hrtimer_setup(&c->timer, sampler_tick, CLOCK_MONOTONIC,
			  HRTIMER_MODE_REL_PINNED_HARD);
	init_irq_work(&c->kick, kpm_agg_kick_work);
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
	if (kpm_share < 1 || kpm_share > 100) {
		pr_err("share=%u out of range 1..100\n", kpm_share);
		return -EINVAL;
	}
	if (kpm_collect_ms < KPM_COLLECT_MS_MIN ||
	    kpm_collect_ms > KPM_COLLECT_MS_MAX) {
		pr_err("collect_ms=%u out of range %u..%u\n", kpm_collect_ms,
		       KPM_COLLECT_MS_MIN, KPM_COLLECT_MS_MAX);
		return -EINVAL;
	}
	return 0;
}

static int __init kpm_init(void)
{
	u64 key[2];
	int ret;

	ret = kpm_check_params();
	if (!ret)
		ret = maps_init();
	if (ret)
		return ret;

	kpm.period = ns_to_ktime(div_u64(NSEC_PER_SEC, kpm_freq));
	kpm_filter_init();
	ret = kpm_cg_init();
	if (ret) {
		maps_exit();
		return ret;
	}
	get_random_bytes(key, sizeof(key));
	ret = profmap_pool_init(&kpm.pool, KBUILD_MODNAME, kpm_max_entries, key);
	if (ret) {
		maps_exit();
		kpm_cg_exit();
		return ret;
	}
	ret = kpm_agg_init();
	if (ret)
		goto out_destroy_pool;
	ret = kpm_alloc_cpus();
	if (ret)
		goto out_free_cpus;
	ret = uwind_init();
	if (ret)
		goto out_free_cpus;

	/* Nothing runs yet: the online callbacks below arm the timers. */
	kpm.sampling = kpm_autostart;
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "kprofmap:online",
				kpm_cpu_online, kpm_cpu_offline);
	if (ret < 0)
		goto out_free_cpus;
	kpm.cpuhp_state = ret;
	if (kpm_autostart)
		kpm_agg_collect_start();

	ret = kpm_proc_init();
	if (ret)
		goto out_remove_cpuhp;

	/* Last: a failed init must leave no task_work behind. */
	uwind_enable();
	pr_info("loaded: freq=%u max_depth=%u max_entries=%u collect_ms=%u%s%s%s\n",
		kpm_freq, kpm_max_depth, kpm_max_entries, kpm_collect_ms,
		kpm_idle ? " idle" : "", kpm_noop ? " noop" : "",
		kpm_unwind ? " unwind" : "");
	return 0;

out_remove_cpuhp:
	kpm_stop();
	cpuhp_remove_state(kpm.cpuhp_state);
out_free_cpus:
	kpm_free_cpus();
	uwind_exit();
	kpm_agg_destroy();
out_destroy_pool:
	maps_exit();
	profmap_pool_destroy(&kpm.pool);
	kpm_cg_exit();
	return ret;
}

static void __exit kpm_exit(void)
{
	/* No new readers or writers, and open files are released. */
	kpm_proc_exit();
	kpm_filter_exit();
	/* Cancel every timer, then run the offline callback on each CPU. */
	kpm_stop();
	cpuhp_remove_state(kpm.cpuhp_state);
	kpm_free_cpus();
	/* No task_work pending (each held a reference), copies flushed. */
	uwind_exit();
	kpm_agg_destroy();
	maps_exit();
	profmap_pool_destroy(&kpm.pool);
	/* No timer, no stack copy: nothing notes a cgroup any more. */
	kpm_cg_exit();
	pr_info("unloaded\n");
}

module_init(kpm_init);
module_exit(kpm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kprofmap: per-CPU hrtimer CPU profiler with a deduplicating stack map");
MODULE_AUTHOR("kprofmap developers");
