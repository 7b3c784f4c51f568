/* SPDX-License-Identifier: GPL-2.0 */
/*
 * maps.h - mapping records: each sampled process image's executable file
 * mappings, taken in the task's own context (maps.c)
 *
 * A generation is one snapshot of one process image's executable,
 * file-backed mappings: start, end, file offset, the path as the task
 * sees it and the file's GNU build id (read from the file through the
 * page cache). Samples carry the id of the generation that was current
 * when their user stack was taken (struct profmap_entry.gen), and
 * /proc/kprofmap/samples prints every generation its samples name (the
 * G and M lines of kprofmap_format.h).
 */
#ifndef _KPROFMAP_MAPS_H
#define _KPROFMAP_MAPS_H

#include <linux/kref.h>
#include <linux/path.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "buildid.h"

struct mm_struct;
struct task_struct;

/**
 * struct kpm_map - one executable file mapping
 * @start:	runtime start address
 * @end:	runtime end address (exclusive)
 * @pgoff:	file offset of @start
 * @bid_len:	bytes of @bid, 0 when the file has none or it was unreadable
 * @bid:	the file's GNU build id
 * @path:	d_path() in the task's context, NUL-terminated
 * @inode:	a reference to the file's inode (file_inode(): on 6.1's
 *		overlayfs the real one, whose path is the overlay's), for
 *		the unwinder in hard irq, which reads its page cache (NULL
 *		for the vDSO); readers under RCU, while the generation's
 *		@files_gone is false; put in process context after a grace
 *		period once the generation is superseded or its process
 *		gone (maps_reap())
 * @fpath:	a reference to the file's path, held with @inode: its mount
 *		stays busy while the inode is held, as with the file.
 *		References, not the file: the file is released by its
 *		process, as it would be unprofiled (a file's last put here
 *		ran its release, with two grace periods, in the next
 *		process's run: gdb count)
 */
struct kpm_map {
	u64 start;
	u64 end;
	u64 pgoff;
	struct inode *inode;
	struct path fpath;
	u8 bid_len;
	u8 bid[BID_MAX_LEN];
	char *path;
};

/**
 * struct kpm_gen - a generation: one image's mappings at one moment
 * @ref:	held by the generation table and by each snapshot printing it
 * @free_rwork:	freed after a grace period (task context reads @maps under
 *		RCU), in process context (path_put() may sleep)
 * @files_rwork: puts the paths after a grace period (the fallback of
 *		@dropping), in process context
 * @dropping:	in maps.dropping while its files wait for a grace period
 * @files_gp:	the grace period they wait for (get_state_synchronize_rcu())
 * @files_waits: reaps that found it not yet ended
 * @files_gone:	set (under maps.lock) when the files are to be put: the
 *		unwinder in hard irq no longer reads them
 * @id:		1..PROFMAP_GEN_MAX, unique among live generations
 * @serial:	unique since load (never reused, unlike @id): keys the
 *		unwinder's per-CPU step cache (uwind.c)
 * @tgid:	the process (global pid namespace)
 * @boot_ns:	its start time, CLOCK_BOOTTIME ns (with @tgid: the process)
 * @exec:	its exec count (with both: the image)
 * @retired:	0 while it is its image's current generation; else the
 *		collection epoch it stopped being so (freed two epochs on)
 * @bytes:	memory it holds, paths included
 * @nr:		mappings in @maps, sorted by address
 * @maps:	the mappings
 */
struct kpm_gen {
	struct kref ref;
	struct rcu_work free_rwork;
	struct rcu_work files_rwork;
	struct list_head dropping;
	unsigned long files_gp;
	unsigned int files_waits;
	bool files_gone;
	u32 id;
	u32 tgid;
	u64 serial;
	u64 boot_ns;
	u64 exec;
	u64 retired;
	size_t bytes;
	unsigned int nr;
	struct kpm_map maps[];
};

/*
 * The counters, in the order /proc/kprofmap/stats prints them (each as
 * "maps_NAME value"):
 *   captures     generations taken
 *   new_image    of which for an image seen for the first time (a new
 *                process, or one that exec'd)
 *   dlopen       of which because a sampled PC lay in an executable file
 *                mapping the current generation lacks
 *   lost_cap     captures refused: max_maps mappings already held
 *   lost_alloc   captures that failed to allocate
 *   truncated    generations cut at KPM_MAPS_PER_GEN mappings
 *   no_buildid   mappings recorded without a build id (none, or its page
 *                not in the page cache)
 *   freed        generations freed (their process gone or superseded)
 *   capture_ns   time spent taking generations, local_clock() ns
 */
#define MAPS_STATS(X)							\
	X(captures) X(new_image) X(dlopen) X(lost_cap) X(lost_alloc)	\
	X(truncated) X(no_buildid) X(bid_cached) X(freed) X(capture_ns)

#define MAPS_STAT_FIELD(name) u64 name;

/**
 * struct maps_stats - the counters (see MAPS_STATS), and what is held
 * @held:	mappings held in live generations (against max_maps)
 * @gens:	live generations
 * @images:	process images known
 * @bytes:	memory of the generations
 */
struct maps_stats {
	MAPS_STATS(MAPS_STAT_FIELD)
	u64 held;
	u64 gens;
	u64 images;
	u64 bytes;
};

#define KPM_MAPS_PER_GEN	1024	/* mappings kept in one generation */

extern unsigned int kpm_max_maps;	/* module parameter max_maps */

/**
 * maps_init() - check max_maps, set up the tables
 *
 * Return: 0 or -EINVAL (max_maps out of range).
 */
int maps_init(void);

/**
 * maps_exit() - free every generation and image
 *
 * Context: module exit, after every task_work has run and every reader
 * has gone; waits for pending RCU callbacks.
 */
void maps_exit(void);

/**
 * maps_gen() - the current generation of current's image
 * @serial: set to its serial, 0 when there is none (may be NULL)
 *
 * Context: any; a lockless lookup under RCU.
 * Return: its id (ids start at 1), or 0 when the image has none.
 */
u32 maps_gen(u64 *serial);

/* maps_gen() with interrupts off (the timer): no rcu_read_lock() needed. */
u32 maps_gen_irq(u64 *serial);

/* What maps_file_irq() found at a PC. */
enum maps_file_result {
	MAPS_FILE,	/* a file mapping: @inode, @start, @end, @pgoff set */
	MAPS_VDSO,	/* the vDSO (no file): @start, @end set */
	MAPS_OUTSIDE,	/* in none of the generation's mappings */
	MAPS_GONE,	/* none (by id: gone; else not current), no files */
};

/**
 * maps_file_irq() - the file mapped at @pc in generation @serial
 * @id: that generation's id, or 0: current's image's current generation
 * @serial: the generation the caller's stack belongs to (maps_gen_irq())
 * @pc: a user address
 * @inode: set to the file's inode (its page cache: @inode->i_mapping)
 * @start: set to the mapping's start (runtime address)
 * @end: set to its end
 * @pgoff: set to the file offset of @start
 *
 * Context: any, hard irq included; the caller holds rcu_read_lock() for
 * as long as it uses the inode.
 * Return: enum maps_file_result.
 */
int maps_file_irq(u32 id, u64 serial, u64 pc, struct inode **inode,
		  u64 *start, u64 *end, u64 *pgoff);

/**
 * maps_reap() - let go of the files of processes that have gone
 *
 * Generations outlive their processes (until two window ends later), but
 * their file references need not: dropping them lets a file system be
 * unmounted, and a deleted binary's blocks be freed, soon after the last
 * process that ran it. Checks at most once a second; a pass puts the
 * files that an earlier one let go of once a grace period has ended
 * since (within MAPS_DROP_WAITS passes: after that it asks for one).
 *
 * Context: process context, may sleep (the background collection).
 */
void maps_reap(void);

/**
 * maps_drop_flush() - put every file maps_reap() or maps_collect() let go
 * of and has not put yet, after a grace period (when sampling stops, so
 * that no file is held until the next start, and at exit)
 *
 * Context: process context, may sleep.
 */
void maps_drop_flush(void);

/**
 * maps_visit() - the generation for a user stack of current
 * @mm:		current's mm, its mmap lock held for read
 * @pcs:	the stack's user PCs
 * @n:		how many
 *
 * Takes a new generation when the image has none yet, or when one of
 * @pcs lies in an executable file mapping the current generation lacks.
 *
 * Context: task context (current's own), may sleep.
 * Return: the generation's id, or 0 when none could be taken.
 */
u32 maps_visit(struct mm_struct *mm, const u64 *pcs, unsigned int n);

/**
 * maps_can_capture() - would a capture be tried now (cap not reached)?
 *
 * Context: any (a racy read, a hint for the sampler).
 */
bool maps_can_capture(void);

/**
 * maps_get() - a reference to generation @id, for a snapshot
 * @id: a generation id (not 0)
 *
 * Context: process context.
 * Return: the generation, or NULL when it is gone.
 */
struct kpm_gen *maps_get(u32 id);

/**
 * maps_put() - drop a reference from maps_get()
 * @g: the generation
 */
void maps_put(struct kpm_gen *g);

/**
 * maps_collect() - end of a window: forget what no window can need
 *
 * Called when a drain has been read to its end, and at reset. Images
 * whose process is gone are forgotten and their generation retired;
 * generations retired two epochs ago are freed.
 *
 * Context: process context, may sleep.
 */
void maps_collect(void);

/**
 * maps_stats_get() - the counters and what is held
 * @st: filled in
 */
void maps_stats_get(struct maps_stats *st);

#endif /* _KPROFMAP_MAPS_H */
