/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpm_spin.h - CPU time, and a loop that burns it, for the workloads
 * that spin in a function of their own (kpm_exec, kpm_dlopen).
 */
#ifndef KPM_SPIN_H
#define KPM_SPIN_H

#include <time.h>

volatile unsigned long sink;

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Burn @secs of this process's CPU time; inlined into its caller, whose
 * name the samples then carry.
 */
static inline __attribute__((always_inline)) void spin_cpu(double secs)
{
	double end = cpu_seconds() + secs;
	unsigned long i;

	do {
		for (i = 0; i < 100000; i++)
			sink += i;
	} while (cpu_seconds() < end);
}

#endif /* KPM_SPIN_H */
