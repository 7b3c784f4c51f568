// SPDX-License-Identifier: GPL-2.0
/*
 * child.c - starting record's command and follow's --exec command (see
 * child.h)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

/* What the child reports through the pipe when it does not exec. */
enum { KP_SPAWN_JOIN = 1, KP_SPAWN_EXEC };

struct kp_spawn_failure {
	int stage;		/* KP_SPAWN_* */
	int err;		/* errno */
};

/* In the child: report @stage's failure and exit as a shell would. */
static void __attribute__((noreturn)) kp_child_fail(int fd, int stage, int err)
{
	struct kp_spawn_failure f = { stage, err };

	if (write(fd, &f, sizeof(f)) != sizeof(f))
		_exit(1);
	_exit(stage == KP_SPAWN_JOIN ? 1 : err == ENOENT ? 127 : 126);
}

/* In the child: move itself into cgroup directory @dir. */
static int kp_child_join(const char *dir)
{
	char path[PATH_MAX];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, "0", 1) != 1)
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

/* In the child, after fork(): never returns. */
static void __attribute__((noreturn)) kp_child(const struct kp_spawn *sp,
					      int fd)
{
	char *const *e;
	int err;

	if (sp->cgroup && (err = kp_child_join(sp->cgroup)))
		kp_child_fail(fd, KP_SPAWN_JOIN, err);
	for (e = sp->env; e && *e; e++)
		putenv(*e);
	if (sp->mask)
		sigprocmask(SIG_SETMASK, sp->mask, NULL);
	execvp(sp->argv[0], sp->argv);
	kp_child_fail(fd, KP_SPAWN_EXEC, errno);
}

pid_t kp_spawn(const struct kp_spawn *sp)
{
	struct kp_spawn_failure f;
	int pfd[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC)) {
		fprintf(stderr, "kprof2pprof: pipe: %s\n", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "kprof2pprof: fork: %s\n", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		kp_child(sp, pfd[1]);
	}
	close(pfd[1]);
	do {
		n = read(pfd[0], &f, sizeof(f));
	} while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n != sizeof(f))
		return pid;		/* it runs the command */
	if (f.stage == KP_SPAWN_EXEC) {
		fprintf(stderr, "kprof2pprof: %s: %s\n", sp->argv[0],
			strerror(f.err));
		return pid;
	}
	fprintf(stderr, "kprof2pprof: %s/cgroup.procs: cannot move the command there: %s\n",
		sp->cgroup, strerror(f.err));
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return -1;
}

int kp_exit_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 1;
}
