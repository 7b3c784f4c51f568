/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kprofmap_format.h - the record format of /proc/kprofmap/samples
 *
 * This header is the one definition of the text format shared by the
 * kernel module (writer) and kprof2pprof (reader). It holds only
 * preprocessor constants so that it compiles unchanged in both. A change
 * to the format changes KPM_FORMAT_VERSION.
 *
 * The file is line oriented; fields are separated by single spaces and
 * every line ends with '\n'. The first line is the header:
 *
 *   kprofmap-samples 4 freq=999 cpus=2 start_ns=<u64> end_ns=<u64> max_depth=64
 *
 *   "kprofmap-samples"  magic word (KPM_MAGIC)
 *   1                   format version (KPM_FORMAT_VERSION)
 *   freq                sampling frequency in Hz, per CPU
 *   cpus                number of online CPUs when the snapshot was taken
 *   start_ns, end_ns    CLOCK_REALTIME ns: the window the records cover
 *                       (start of sampling or last reset/drain, and the
 *                       moment the snapshot was taken)
 *   max_depth           frames kept per stack, kernel and user each
 *
 * Readers must ignore header keys they do not know; freq, cpus, start_ns
 * and end_ns are required.
 *
 * Then the mapping records (version 2) of every generation a sample line
 * of this file names, each a G line followed by its M lines. Version 2:
 * all before the first S line. Version 3: each generation's before the
 * first S line that names it, so G/M and S lines interleave (the module
 * prints a chunk of records at a time, each chunk's new generations
 * first); an S line ends the M lines of the G line before it.
 *
 *   G <gen> <tgid> <boot_ns> <exec>
 *
 *   gen     the generation's id, decimal, >= 1, unique while the module
 *           is loaded: one snapshot of one process image's executable
 *           file mappings. A new image (exec) or a user PC outside every
 *           mapping of the current generation (dlopen) makes a new one.
 *   tgid    the process id, decimal
 *   boot_ns the process's start time, ns since boot (CLOCK_BOOTTIME; the
 *           starttime of /proc/PID/stat, in ns): with tgid, the process
 *   exec    how many times the process has exec'd, decimal: with tgid
 *           and boot_ns, the image
 *
 *   M <gen> <start> <end> <pgoff> <buildid> <path>
 *
 *   start, end  the mapping's runtime addresses, [start, end), lowercase
 *               hex without 0x
 *   pgoff       file offset of start, lowercase hex without 0x
 *   buildid     the file's GNU build id, lowercase hex, read from the
 *               file (not the process's memory); '-' when it has none or
 *               it could not be read
 *   path        the file's path as the task saw it (d_path in its own
 *               context, so in its mount namespace and root), escaped as
 *               comm is below; may end in "\x20(deleted)"
 *
 * Version 4 adds cgroup records: each one precedes the first S line that
 * names its id, after the chunk's G/M lines (so C lines interleave with S
 * lines too; an S or C line ends the M lines of the G line before it):
 *
 *   C <id> <path>
 *
 *   id      a cgroup v2 id, decimal: the cgroup directory's inode number
 *   path    its path from the cgroup2 root, "/" for the root, escaped as
 *           comm is below; "-" when the cgroup was removed before the
 *           module could name it
 *
 * Then one line per unique (task, stack, cgroup), in insertion order:
 *
 *   S <count> <tgid> <tid> <comm> <flags> k=<pcs> u=<pcs> m=<gen> c=<cgid>
 *
 *   count   samples, decimal, >= 1
 *   tgid    process id, decimal (0 for the idle task)
 *   tid     thread id, decimal
 *   comm    task comm at first insertion, at most 15 bytes before
 *           escaping; every byte outside 0x21..0x7e and every '\' is
 *           written as \xHH (two lowercase hex digits); an empty comm is
 *           written as \x00
 *   flags   '-' or any of: 'K' kernel stack truncated at max_depth,
 *           'U' user stack truncated at max_depth
 *   pcs     comma-separated lowercase hex addresses without 0x, leaf
 *           first; empty when there is no stack of that kind. Kernel
 *           addresses are the interrupted PC followed by return
 *           addresses; user addresses likewise.
 *   gen     the mapping generation of the user frames (a G line of this
 *           file), or 0 when there is none (no record could be taken:
 *           readers fall back to the live /proc/PID/maps)
 *   cgid    version 4: the task's cgroup v2 id at the sample (a C line of
 *           this file), or 0 for none (module parameter cgroups=0)
 *
 * And, when samples were lost since the window start, one last line:
 *
 *   L <count> alloc=<n> cap=<n>
 *
 *   count   total lost samples (= alloc + cap)
 *   alloc   lost because a slab allocation in the sampler failed
 *   cap     lost because max_entries unique stacks were already held
 */
#ifndef _KPROFMAP_FORMAT_H
#define _KPROFMAP_FORMAT_H

#define KPM_MAGIC		"kprofmap-samples"
#define KPM_FORMAT_VERSION	4

/* Largest accepted max_depth (frames per stack, kernel and user each). */
#define KPM_MAX_DEPTH_LIMIT	255
/* Bytes of a task comm including the terminating NUL (TASK_COMM_LEN). */
#define KPM_COMM_LEN		16
/* Largest sampling frequency (freq=, "freq N"), Hz per CPU. */
#define KPM_FREQ_MAX		10000
/* Thread groups one "filter pid=" may name. */
#define KPM_FILTER_PIDS		64

#define KPM_REC_SAMPLE		'S'
#define KPM_REC_LOST		'L'
#define KPM_REC_GEN		'G'
#define KPM_REC_MAP		'M'
#define KPM_REC_CGROUP		'C'

#define KPM_FLAG_NONE		'-'
#define KPM_FLAG_KTRUNC		'K'
#define KPM_FLAG_UTRUNC		'U'

/* Files under /proc/kprofmap/ */
#define KPM_PROC_DIR		"kprofmap"
#define KPM_PROC_SAMPLES	"/proc/kprofmap/samples"
#define KPM_PROC_DRAIN		"/proc/kprofmap/drain"
#define KPM_PROC_CONTROL	"/proc/kprofmap/control"
#define KPM_PROC_STATS		"/proc/kprofmap/stats"
#define KPM_PROC_SESSION	"session"	/* under KPM_PROC_DIR */

#endif /* _KPROFMAP_FORMAT_H */
