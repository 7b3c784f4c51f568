// SPDX-License-Identifier: GPL-2.0
/*
 * uw_chain - a CPU-bound workload with a known call chain and no frame
 * pointers anywhere (gcc -O2 -fomit-frame-pointer, static glibc):
 * main -> uw_a -> uw_b -> uw_leaf. uw_a and uw_b keep stack arrays, so
 * their frames have sizes a frame-pointer walk cannot know; uw_leaf is a
 * frameless loop. Spins for SECONDS of CPU time (default 1).
 */
#include <stdlib.h>
#include <time.h>

volatile unsigned long uw_sink;

static double uw_cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void uw_leaf(double until)
{
	unsigned long x = 1;

	while (uw_cpu_seconds() < until) {
		for (int i = 0; i < 4000000; i++)
			x = x * 6364136223846793005UL + 1442695040888963407UL;
		uw_sink = x;
	}
}

__attribute__((noinline)) void uw_b(double until)
{
	volatile unsigned long pad[24];

	pad[0] = uw_sink;
	uw_leaf(until);
	uw_sink += pad[0];
}

__attribute__((noinline)) void uw_a(double until)
{
	volatile unsigned long pad[40];

	pad[3] = uw_sink;
	uw_b(until);
	uw_sink += pad[3];
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;

	uw_a(uw_cpu_seconds() + secs);
	return 0;
}
