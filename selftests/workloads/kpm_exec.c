// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_exec - spin in exec_spin for SECONDS of CPU time, then exec PROGRAM
 * (the same pid, another image: selftests/vm/70-maps.sh).
 *
 *   kpm_exec SECONDS PROGRAM [ARG...]
 */
#include <stdio.h>
#include <stdlib.h>
#include "kpm_spin.h"
#include <unistd.h>

__attribute__((noinline)) static void exec_spin(double secs)
{
	spin_cpu(secs);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: kpm_exec SECONDS PROGRAM [ARG...]\n");
		return 2;
	}
	exec_spin(atof(argv[1]));
	execv(argv[2], argv + 2);
	perror("kpm_exec: execv");
	return 1;
}
