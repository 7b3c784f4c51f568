// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_maps - map FILE executable COPIES times, apart, then spin in
 * maps_spin for SECONDS of CPU time: a process with more executable file
 * mappings than a capture remembers on its counting walk (MAPS_QUICK in
 * module/maps.c), for selftests/vm/70-maps.sh.
 *
 *   kpm_maps FILE COPIES SECONDS
 *
 * Each copy maps FILE's first page at offset 0 with a guard page after
 * it, so no two copies are adjacent and none merges with another. A
 * child then spins: a new process, whose mappings are all there by its
 * first sample (the parent's first sample may come before its mmaps,
 * and its later ones never in a copy, which would take them again).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kpm_spin.h"

__attribute__((noinline)) static void maps_spin(double secs)
{
	spin_cpu(secs);
}

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd, i, copies, status;
	pid_t pid;
	char *area;

	if (argc != 4) {
		fprintf(stderr, "usage: kpm_maps FILE COPIES SECONDS\n");
		return 2;
	}
	copies = atoi(argv[2]);
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	/* Reserve the span, then map each copy over its first page. */
	area = mmap(NULL, 2 * page * copies, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (i = 0; i < copies; i++)
		if (mmap(area + 2 * page * i, page, PROT_READ | PROT_EXEC,
			 MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		maps_spin(atof(argv[3]));
		return 0;
	}
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) ?
	       WEXITSTATUS(status) : 1;
}
