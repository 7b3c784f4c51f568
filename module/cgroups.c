// SPDX-License-Identifier: GPL-2.0
/*
 * cgroups.c - the cgroup v2 id of each sample, and the C records that
 * name those ids
 *
 * A sample's key ends with its task's cgroup v2 id (cgroups=1), so a
 * task that moves between cgroups is counted under each. An id can only
 * be named while its cgroup exists, so the first sample of each id takes
 * a reference on the cgroup, in hard irq (a slot of a fixed, lock-free
 * table claimed with cmpxchg), and a work item names it soon after in
 * process context (its path from the cgroup2 root) and drops the
 * reference. Readers print the records a chunk at a time, in the order
 * they were named; a reader first names every id noted so far, so each
 * record it prints comes after the C record of its id.
 *
 * The table holds KPM_CG_SLOTS ids since load; the samples of an id that
 * finds no free slot keep their id and have no C record
 * (cgroups_untracked).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/hash.h>
#include <linux/irq_work.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "internal.h"

#define KPM_CG_BITS	12
#define KPM_CG_SLOTS	(1U << KPM_CG_BITS)
#define KPM_CG_PROBES	16

/* A slot's state: free (or claimed, its cgroup not yet set), waiting for
 * its name, named.
 */
enum { KPM_CG_FREE, KPM_CG_PENDING, KPM_CG_NAMED };

/**
 * struct kpm_cg_slot - one cgroup id seen by the timer
 * @id:		cgroup id, 0 while free (claimed with cmpxchg)
 * @cgrp:	its cgroup, referenced until named (NULL: it was dying)
 * @state:	KPM_CG_*: PENDING once @cgrp is set
 */
struct kpm_cg_slot {
	u64 id;
	struct cgroup *cgrp;
	int state;
};

static struct kpm_cg_slot *kpm_cg_slots;
static struct kpm_cg_rec *kpm_cg_recs;		/* named, in order */
static unsigned int kpm_cg_nr;			/* of kpm_cg_recs */
static DEFINE_MUTEX(kpm_cg_lock);		/* naming, kpm_cg_recs */
static atomic64_t kpm_cg_untracked;
static void kpm_cg_irq_fn(struct irq_work *w);
static void kpm_cg_work_fn(struct work_struct *w);
static struct irq_work kpm_cg_irq;
static DECLARE_WORK(kpm_cg_work, kpm_cg_work_fn);

bool kpm_cgroups = true;
module_param_named(cgroups, kpm_cgroups, bool, 0444);
MODULE_PARM_DESC(cgroups,
		 "Key samples by their task's cgroup v2 id and name the ids (default 1)");

/* A new slot: take a reference and ask for a name. */
static void kpm_cg_claimed(struct kpm_cg_slot *s, struct cgroup *cgrp)
{
	s->cgrp = cgroup_tryget(cgrp) ? cgrp : NULL;
	smp_store_release(&s->state, KPM_CG_PENDING);
	irq_work_queue(&kpm_cg_irq);
}

bool kpm_cg_track(struct cgroup *cgrp, u64 id)
{
	unsigned int i = hash_64(id, KPM_CG_BITS), n;

	for (n = 0; n < KPM_CG_PROBES; n++, i = (i + 1) & (KPM_CG_SLOTS - 1)) {
		struct kpm_cg_slot *s = &kpm_cg_slots[i];
		u64 cur = READ_ONCE(s->id);

		if (cur == id)
			return true;
		if (!cur) {
			cur = cmpxchg(&s->id, 0, id);
			if (!cur) {
				kpm_cg_claimed(s, cgrp);
				return true;
			}
			if (cur == id)
				return true;
		}
	}
	atomic64_inc(&kpm_cg_untracked);
	return false;
}

/* Name every pending slot: its path, a record, the reference dropped.
 * A name that cannot be had now (no memory) is tried at the next call.
 */
static void kpm_cg_name_pending(void)
{
	char *buf = kmalloc(PATH_MAX, GFP_KERNEL);
	unsigned int i;

	if (!buf)
		return;
	mutex_lock(&kpm_cg_lock);
	for (i = 0; i < KPM_CG_SLOTS; i++) {
		struct kpm_cg_slot *s = &kpm_cg_slots[i];
		struct kpm_cg_rec *r = &kpm_cg_recs[kpm_cg_nr];

		if (smp_load_acquire(&s->state) != KPM_CG_PENDING)
			continue;
		if (s->cgrp) {
			if (cgroup_path(s->cgrp, buf, PATH_MAX) < 0)
				strscpy(buf, "-", PATH_MAX);
		} else {
			strscpy(buf, "-", PATH_MAX);	/* gone already */
		}
		r->path = kstrdup(buf, GFP_KERNEL);
		if (!r->path)
			continue;
		r->id = s->id;
		if (s->cgrp)
			cgroup_put(s->cgrp);
		s->cgrp = NULL;
		s->state = KPM_CG_NAMED;
		/* Readers see the record whole. */
		smp_store_release(&kpm_cg_nr, kpm_cg_nr + 1);
	}
	mutex_unlock(&kpm_cg_lock);
	kfree(buf);
}

static void kpm_cg_work_fn(struct work_struct *w)
{
	kpm_cg_name_pending();
}

static void kpm_cg_irq_fn(struct irq_work *w)
{
	schedule_work(&kpm_cg_work);
}

unsigned int kpm_cg_sync(void)
{
	if (kpm_cgroups) {
		irq_work_sync(&kpm_cg_irq);
		kpm_cg_name_pending();
	}
	return smp_load_acquire(&kpm_cg_nr);
}

unsigned int kpm_cg_count(void)
{
	return smp_load_acquire(&kpm_cg_nr);
}

const struct kpm_cg_rec *kpm_cg_rec(unsigned int i)
{
	return &kpm_cg_recs[i];
}

u64 kpm_cg_untracked_count(void)
{
	return atomic64_read(&kpm_cg_untracked);
}

int kpm_cg_init(void)
{
	init_irq_work(&kpm_cg_irq, kpm_cg_irq_fn);
	if (!kpm_cgroups)
		return 0;
	kpm_cg_slots = vzalloc(KPM_CG_SLOTS * sizeof(*kpm_cg_slots));
	kpm_cg_recs = vzalloc(KPM_CG_SLOTS * sizeof(*kpm_cg_recs));
	if (!kpm_cg_slots || !kpm_cg_recs) {
		kpm_cg_exit();
		return -ENOMEM;
	}
	return 0;
}

/* After the timers are gone: nothing claims a slot any more. */
void kpm_cg_exit(void)
{
	unsigned int i;

	irq_work_sync(&kpm_cg_irq);
	cancel_work_sync(&kpm_cg_work);
	for (i = 0; kpm_cg_slots && i < KPM_CG_SLOTS; i++)
		if (kpm_cg_slots[i].cgrp)
			cgroup_put(kpm_cg_slots[i].cgrp);
	for (i = 0; i < kpm_cg_nr; i++)
		kfree(kpm_cg_recs[i].path);
	kpm_cg_nr = 0;
	vfree(kpm_cg_slots);
	vfree(kpm_cg_recs);
	kpm_cg_slots = NULL;
	kpm_cg_recs = NULL;
}
