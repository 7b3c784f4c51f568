// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_chain - a CPU-bound workload with a known call chain:
 * main -> chain_a -> chain_b -> chain_leaf, which spins until the
 * process has used SECONDS of CPU time. Built with clang and frame
 * pointers in every function (see Makefile).
 *
 *   kpm_chain [-w] [SECONDS]
 *
 * -w: print "ready" and block until SIGUSR1 before the measured phase, so
 * that a test can start sampling once the exec is done and the process
 * carries its own comm. When done, prints the measured phase's guest time
 * and CPU time: "wall_us N" (CLOCK_MONOTONIC) and "cpu_ms N".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_seconds(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	return clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
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

/* Block until SIGUSR1, having said "ready" on stdout. */
static void wait_for_release(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
}

int main(int argc, char **argv)
{
	double secs = 1.0, t0, w0;
	int arg = 1;

	if (arg < argc && !strcmp(argv[arg], "-w")) {
		wait_for_release();
		arg++;
	}
	if (arg < argc)
		secs = atof(argv[arg]);
	w0 = clock_seconds(CLOCK_MONOTONIC);
	t0 = cpu_seconds();
	chain_a(t0 + secs);
	printf("wall_us %ld\n", (long)((clock_seconds(CLOCK_MONOTONIC) - w0) * 1e6));
	printf("cpu_ms %ld\n", (long)((cpu_seconds() - t0) * 1000));
	return 0;
}
