// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_run - run a command, report its elapsed time and peak memory
 *
 *   kpm_run [-o OUTFILE] -- COMMAND [ARG]...
 *
 * Runs COMMAND (stdout to OUTFILE with -o), then prints on stderr
 *   kpm_run elapsed_ns=N maxrss_kb=M
 * (CLOCK_MONOTONIC around the child; the child's ru_maxrss from wait4)
 * and exits with the command's status (128 + signal if it was killed).
 * The VM's busybox `time` reports no peak RSS, hence this.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	struct rusage ru;
	long long t0;
	int i = 1, st, fd;
	pid_t pid;

	if (i + 1 < argc && !strcmp(argv[i], "-o")) {
		out = argv[i + 1];
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--") || i + 1 >= argc) {
		fprintf(stderr, "usage: kpm_run [-o OUTFILE] -- COMMAND [ARG]...\n");
		return 2;
	}
	i++;
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("kpm_run: fork");
		return 1;
	}
	if (pid == 0) {
		if (out) {
			fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0 || dup2(fd, 1) < 0) {
				perror(out);
				_exit(127);
			}
		}
		execvp(argv[i], argv + i);
		perror(argv[i]);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) < 0) {
		perror("kpm_run: wait4");
		return 1;
	}
	fprintf(stderr, "kpm_run elapsed_ns=%lld maxrss_kb=%ld\n", now_ns() - t0,
		ru.ru_maxrss);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
