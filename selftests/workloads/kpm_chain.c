// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_chain - a CPU-bound workload with a known call chain:
 * main -> chain_a -> chain_b -> chain_leaf, which spins until the
 * process has used SECONDS of CPU time. Prints "cpu_ms N" when done.
 * Built with clang and frame pointers in every function (see Makefile).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

volatile unsigned long sink;

__attribute__((noinline)) void chain_leaf(double until)
{
	unsigned long x = 1;

	while (cpu_seconds() < until) {
		/* Most time here, between clock reads: a CPU-time read is a
		 * syscall, slow enough under a debug kernel to show. */
		for (int i = 0; i < 2000000; i++)
			x = x * 6364136223846793005UL + 1442695040888963407UL;
		sink = x;
	}
}

__attribute__((noinline)) void chain_b(double until)
{
	chain_leaf(until);
	sink++;
}

__attribute__((noinline)) void chain_a(double until)
{
	chain_b(until);
	sink++;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	double t0 = cpu_seconds();

	chain_a(t0 + secs);
	printf("cpu_ms %ld\n", (long)((cpu_seconds() - t0) * 1000));
	return 0;
}
