/* SPDX-License-Identifier: GPL-2.0 */
/*
 * child.h - starting the commands kprof2pprof runs, and their exit status
 *
 * record's CMD and follow's --exec command are started the same way: a
 * fork, in the child an optional move into a cgroup and the signal mask
 * kprof2pprof had before it blocked its own signals, then execvp(). A
 * CLOEXEC pipe tells the parent whether that worked: a child that could
 * not join its cgroup never runs its command (kprof2pprof's error), one
 * whose exec failed exits 127 (not found) or 126 (found, not runnable),
 * as a shell's would.
 */
#ifndef KP_CHILD_H
#define KP_CHILD_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* What kp_spawn() starts. */
struct kp_spawn {
	char *const *argv;	/* argv[0] is looked up in PATH */
	const char *cgroup;	/* a cgroup directory to move into, or NULL */
	const sigset_t *mask;	/* the child's signal mask, or NULL: the caller's */
	char *const *env;	/* "NAME=VALUE" to add, NULL-terminated, or NULL */
};

/**
 * kp_spawn() - start a command
 * @sp: what to start
 *
 * Messages on stderr: a failed exec as "kprof2pprof: ARGV0: reason" (the
 * child then exits 127 or 126 and must be waited for as usual); a failed
 * fork or cgroup move as kprof2pprof's error (the child, if any, is
 * reaped).
 *
 * Context: process, single-threaded. Return: the child's pid, or -1 when
 * no command runs and no child is left.
 */
pid_t kp_spawn(const struct kp_spawn *sp);

/**
 * kp_exit_status() - a shell's exit status for a wait status
 * @wstatus: from waitpid()
 *
 * Context: any. Return: the exit code, or 128 + the signal number for a
 * process killed by a signal.
 */
int kp_exit_status(int wstatus);

#endif /* KP_CHILD_H */
