// SPDX-License-Identifier: GPL-2.0
/*
 * filter.c - which tasks are sampled, the sampling frequency, and the
 * session that owns both
 *
 * A filter keeps the samples of named thread groups (each held as a
 * struct pid, so neither pid reuse nor pid namespaces can redirect it)
 * or of the tasks of one cgroup v2 subtree (a reference on the cgroup).
 * The timer reads it under RCU and counts a tick it filters out
 * (filtered) before walking anything; writers replace it whole under
 * kpm_filter_lock and free the old one after a grace period.
 *
 * A session (/proc/kprofmap/session) is one open file that owns the
 * filter, the frequency and the drain while it is open: a second session
 * is refused (EBUSY), as are drains opened by other processes and the
 * filter, freq and reset commands of control. Opening it removes a
 * filter control set; releasing the file, which the VFS does also for a
 * holder killed with SIGKILL, removes its filter and restores the
 * frequency of before the open.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

/**
 * struct kpm_filter - what the timer keeps
 * @cgrp:	a cgroup v2 directory: its tasks and its descendants' (or
 *		NULL)
 * @desc:	"pid=N,..." or "cgroup=PATH" as given, for stats
 * @nr:		entries of @pids
 * @pids:	thread groups (PIDTYPE_TGID pids) whose tasks are kept
 */
struct kpm_filter {
	struct cgroup *cgrp;
	char *desc;
	unsigned int nr;
	struct pid *pids[];
};

bool kpm_filter_on;
static DEFINE_MUTEX(kpm_filter_lock);	/* writers of the below */
static struct kpm_filter __rcu *kpm_filter;
static struct pid *kpm_session;		/* the holder's thread group */
static unsigned int kpm_freq_load;	/* freq at load */
static unsigned int kpm_freq_before;	/* freq at the session's open */

bool kpm_filter_pass_slow(struct task_struct *task)
{
	const struct kpm_filter *f;
	bool pass = true;
	unsigned int i;

	/* Interrupts off: an RCU reader without rcu_read_lock(). */
	lockdep_assert_irqs_disabled();
	f = rcu_dereference_sched(kpm_filter);
	if (f && f->cgrp) {
		pass = cgroup_is_descendant(task_dfl_cgroup(task), f->cgrp);
	} else if (f) {
		struct pid *tg = task_tgid(task);

		pass = false;
		for (i = 0; i < f->nr; i++)
			if (f->pids[i] == tg) {
				pass = true;
				break;
			}
	}
	return pass;
}

static void kpm_filter_free(struct kpm_filter *f)
{
	unsigned int i;

	if (!f)
		return;
	for (i = 0; i < f->nr; i++)
		put_pid(f->pids[i]);
	if (f->cgrp)
		cgroup_put(f->cgrp);
	kfree(f->desc);
	kfree(f);
}

/* Install @f (NULL: none); kpm_filter_lock held. */
static void kpm_filter_set(struct kpm_filter *f)
{
	struct kpm_filter *old;

	old = rcu_replace_pointer(kpm_filter, f,
				  lockdep_is_held(&kpm_filter_lock));
	WRITE_ONCE(kpm_filter_on, !!f);
	if (old) {
		synchronize_rcu();
		kpm_filter_free(old);
	}
}

/* "pid=N[,N...]": thread groups that exist now, in the writer's pid
 * namespace.
 */
static int kpm_filter_parse_pids(struct kpm_filter *f, char *list)
{
	char *tok;
	int nr, ret;

	if (!*list)
		return -EINVAL;
	while ((tok = strsep(&list, ",")) != NULL) {
		struct pid *pid;

		if (f->nr == KPM_FILTER_PIDS)
			return -EINVAL;
		/* Digits only: kstrtoint() takes a sign too ("+5"). */
		ret = kstrtoint(tok, 10, &nr);
		if (!isdigit(*tok) || ret || nr <= 0)
			return -EINVAL;
		pid = find_get_pid(nr);
		if (!pid)
			return -ESRCH;
		f->pids[f->nr++] = pid;
		if (!pid_has_task(pid, PIDTYPE_TGID))
			return -ESRCH;	/* a thread, or gone */
	}
	return 0;
}

/* Parse "pid=..." or "cgroup=PATH" into a new filter. */
static struct kpm_filter *kpm_filter_parse(const char *arg)
{
	struct kpm_filter *f;
	char *list;
	int ret = -EINVAL;

	f = kzalloc(struct_size(f, pids, KPM_FILTER_PIDS), GFP_KERNEL);
	if (!f)
		return ERR_PTR(-ENOMEM);
	f->desc = kstrdup(arg, GFP_KERNEL);
	list = kstrdup(arg, GFP_KERNEL);
	if (!f->desc || !list) {
		ret = -ENOMEM;
		goto out;
	}
	if (str_has_prefix(list, "pid=")) {
		ret = kpm_filter_parse_pids(f, list + 4);
	} else if (str_has_prefix(list, "cgroup=") && list[7] == '/') {
		f->cgrp = cgroup_get_from_path(list + 7);
		ret = 0;
		if (IS_ERR(f->cgrp)) {
			ret = PTR_ERR(f->cgrp);
			f->cgrp = NULL;
		}
	}
out:
	kfree(list);
	if (ret) {
		kpm_filter_free(f);
		return ERR_PTR(ret);
	}
	return f;
}

/* Set the frequency, from the next tick; kpm_filter_lock held. */
static void kpm_freq_set(unsigned int hz)
{
	WRITE_ONCE(kpm_freq, hz);
	WRITE_ONCE(kpm.period, ns_to_ktime(div_u64(NSEC_PER_SEC, hz)));
}

/* "freq N" */
static int kpm_freq_parse(const char *arg, unsigned int *hz)
{
	if (!isdigit(*arg) || kstrtouint(arg, 10, hz) || *hz < 1 ||
	    *hz > KPM_FREQ_MAX)
		return -EINVAL;
	return 0;
}

int kpm_filter_command(const char *cmd, bool from_session)
{
	struct kpm_filter *f = NULL;
	unsigned int hz = 0;
	int ret = 0;

	if (str_has_prefix(cmd, "freq ")) {
		ret = kpm_freq_parse(cmd + 5, &hz);
	} else if (!strcmp(cmd, "filter off")) {
		/* f stays NULL */
	} else if (str_has_prefix(cmd, "filter ")) {
		f = kpm_filter_parse(cmd + 7);
		if (IS_ERR(f))
			ret = PTR_ERR(f);
	} else if (strcmp(cmd, "reset")) {
		ret = -EINVAL;
	}
	if (ret)
		return ret;

	mutex_lock(&kpm_filter_lock);
	if (kpm_session && !from_session) {
		ret = -EBUSY;
	} else if (hz) {
		kpm_freq_set(hz);
	} else if (!strcmp(cmd, "reset")) {
		/* control's reset also clears the filter; a session's keeps it */
		if (!from_session)
			kpm_filter_set(NULL);
		/* Under the lock: no session can start between check and reset. */
		kpm_reset();
	} else {
		kpm_filter_set(f);
		f = NULL;
	}
	mutex_unlock(&kpm_filter_lock);
	if (!IS_ERR(f))
		kpm_filter_free(f);
	return ret;
}

int kpm_session_open(void)
{
	int ret = 0;

	mutex_lock(&kpm_filter_lock);
	if (kpm_session) {
		ret = -EBUSY;
	} else {
		/* The session starts from no filter: control's is removed. */
		kpm_filter_set(NULL);
		kpm_freq_before = kpm_freq;
		kpm_session = get_pid(task_tgid(current));
	}
	mutex_unlock(&kpm_filter_lock);
	return ret;
}

void kpm_session_release(void)
{
	mutex_lock(&kpm_filter_lock);
	kpm_filter_set(NULL);
	kpm_freq_set(kpm_freq_before);
	put_pid(kpm_session);
	kpm_session = NULL;
	mutex_unlock(&kpm_filter_lock);
}

bool kpm_session_drain_begin(void)
{
	mutex_lock(&kpm_filter_lock);
	if (!kpm_session || kpm_session == task_tgid(current))
		return true;
	mutex_unlock(&kpm_filter_lock);
	return false;
}

void kpm_session_drain_end(void)
{
	mutex_unlock(&kpm_filter_lock);
}

void kpm_filter_show(struct seq_file *m)
{
	const struct kpm_filter *f;

	mutex_lock(&kpm_filter_lock);
	f = rcu_dereference_protected(kpm_filter,
				      lockdep_is_held(&kpm_filter_lock));
	/* A cgroup path may hold spaces, tabs and any byte but '/' and a
	 * newline: escaped, as in records. A pid list is digits and commas.
	 */
	if (f && f->cgrp) {
		seq_puts(m, "filter cgroup=");
		kpm_put_escaped(m, f->desc + strlen("cgroup="), PATH_MAX);
		seq_putc(m, '\n');
	} else {
		seq_printf(m, "filter %s\n", f ? f->desc : "off");
	}
	seq_printf(m, "session %d\n", !!kpm_session);
	mutex_unlock(&kpm_filter_lock);
}

void kpm_filter_init(void)
{
	kpm_freq_load = kpm_freq;
}

void kpm_filter_exit(void)
{
	mutex_lock(&kpm_filter_lock);
	kpm_filter_set(NULL);
	mutex_unlock(&kpm_filter_lock);
}
