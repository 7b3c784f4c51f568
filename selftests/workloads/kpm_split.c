// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_split - CPU time split across known functions by iteration counts:
 * split_sixty 60%, split_thirty 30%, split_ten 10% (same loop body, so
 * time follows iterations). Runs for about SECONDS of CPU time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

volatile unsigned long sink;

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define SPIN(n) do {							\
	unsigned long x = sink;						\
	for (long i = 0; i < (n); i++)					\
		x = x * 6364136223846793005UL + 1442695040888963407UL;	\
	sink = x;							\
} while (0)

__attribute__((noinline)) void split_sixty(long n) { SPIN(6 * n); }
__attribute__((noinline)) void split_thirty(long n) { SPIN(3 * n); }
__attribute__((noinline)) void split_ten(long n) { SPIN(n); }

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	double t0 = cpu_seconds();
	long rounds = 0;

	while (cpu_seconds() < t0 + secs) {
		split_sixty(100000);
		split_thirty(100000);
		split_ten(100000);
		rounds++;
	}
	printf("rounds %ld cpu_ms %ld\n", rounds,
	       (long)((cpu_seconds() - t0) * 1000));
	return 0;
}
