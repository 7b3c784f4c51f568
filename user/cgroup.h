/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup.h - the cgroup v2 pieces of kprof2pprof's record and --cgroup
 *
 * `kprof2pprof record` runs its command in a fresh cgroup v2 directory,
 * KP_RECORD_CGROUP.<pid> right under the cgroup2 mount, which the module
 * filters on; when the command is done, what is left in it is killed and
 * the directory removed. A recorder killed with SIGKILL leaves its
 * directory (and maybe processes) behind: the next record removes every
 * such directory whose pid is no live kprof2pprof.
 *
 * The module takes a cgroup as its path from the cgroup2 root, as
 * /proc/self/cgroup shows it ("0::PATH"): the path below the mount,
 * behind the mount's own root (mountinfo's fourth field, "/" unless a
 * subtree is mounted).
 */
#ifndef KP_CGROUP_H
#define KP_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define KP_RECORD_CGROUP	"kprofmap-record"

/* A cgroup2 mount. */
struct kp_cgroup2 {
	char mnt[PATH_MAX];	/* where it is mounted */
	char root[PATH_MAX];	/* the cgroup path of @mnt: "/" or "/a/b" */
};

/**
 * kp_cgroup2_find() - the first cgroup2 mount of a mountinfo file
 * @cg:        filled in
 * @mountinfo: "/proc/self/mountinfo" (or a copy)
 * @err:       on failure, why
 * @errlen:    its size
 *
 * Context: process. Return: 0, or -1 with @err set (no cgroup2 mount,
 * unreadable file).
 */
int kp_cgroup2_find(struct kp_cgroup2 *cg, const char *mountinfo, char *err,
		    size_t errlen);

/**
 * kp_cgroup2_path() - the cgroup path of a directory below the mount
 * @cg:   the mount
 * @dir:  a path: @cg->mnt itself or below it ("/sys/fs/cgroup/a/b")
 * @out:  the cgroup path ("/a/b", behind @cg->root)
 * @len:  its size
 *
 * Context: any. Return: true, or false when @dir is not below @cg->mnt
 * or @out is too small.
 */
bool kp_cgroup2_path(const struct kp_cgroup2 *cg, const char *dir, char *out,
		     size_t len);

/**
 * kp_pid_is_kprof2pprof() - whether process @pid lives and is kprof2pprof
 * @proc_root: "/proc"
 * @pid:       the process
 *
 * Judged by PROC/PID/comm. Context: process. Return: true if so.
 */
bool kp_pid_is_kprof2pprof(const char *proc_root, pid_t pid);

/**
 * kp_cgroup_empty() - kill every process of a cgroup directory and wait
 * until it has none
 * @dir: the directory
 *
 * Writes 1 to cgroup.kill (Linux 5.14), else sends SIGKILL to each pid of
 * cgroup.procs until none is left; never to pid 0 or the caller. Waits at
 * most 5 s for cgroup.procs to be empty. A directory without cgroup.procs
 * counts as empty.
 *
 * Context: process. Return: 0, or -1 with the reason printed.
 */
int kp_cgroup_empty(const char *dir);

/**
 * kp_cgroup_remove() - kp_cgroup_empty(), remove the child cgroups the
 * same way, then rmdir(); retried for 2 s while the kernel reports it
 * busy
 *
 * Context: process. Return: 0, or -1 with the reason printed.
 */
int kp_cgroup_remove(const char *dir);

/**
 * kp_cgroup_sweep() - remove what killed recorders left under @cg->mnt
 * @cg:        the mount
 * @proc_root: "/proc"
 *
 * Every directory KP_RECORD_CGROUP.PID whose PID is not a live
 * kprof2pprof, or is the caller's own (a reused pid), is emptied and
 * removed, and a line on stderr says so.
 *
 * Context: process. Return: the number removed.
 */
int kp_cgroup_sweep(const struct kp_cgroup2 *cg, const char *proc_root);

#endif /* KP_CGROUP_H */
