// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_spin, kpm_deep - a fixed amount of CPU work under a user stack of a
 * chosen depth, for the overhead benchmark (scripts/bench.sh).
 *
 *   kpm_spin FRAMES ITERS [RUNS]
 *   kpm_deep FRAMES ITERS [RUNS]
 *
 * One source, two builds (bench/Makefile):
 *
 * kpm_spin: clang, frame pointers in every function. main -> spin_down
 * (FRAMES - 3 nested calls) -> spin_leaf, so a frame-pointer walk from
 * the leaf sees exactly FRAMES user frames: the leaf PC, a return address
 * into each caller up to main, and main's return address into the C
 * library (which keeps no frame pointer, so the walk ends there).
 *
 * kpm_deep (-DKPM_DEEP): built the way distributions build C, gcc -O2
 * -fomit-frame-pointer, static and linked with --eh-frame-hdr so that
 * .eh_frame_hdr (PT_GNU_EH_FRAME) exists. main -> spin_down (FRAMES - 5
 * nested calls) -> spin_leaf, so an .eh_frame unwinder from the leaf sees
 * exactly FRAMES user frames: the leaf PC, a return address into each
 * spin_down, into main, into __libc_start_call_main, into
 * __libc_start_main and into _start, whose rule marks the outermost
 * frame. A frame-pointer walk sees the leaf and whatever rbp points to.
 * Each level keeps 160 bytes of locals, so that 40 frames take about
 * 6 KiB: with argv, the environment and the auxiliary vector above main,
 * the whole stack fits in perf --call-graph dwarf's default 8 KiB copy.
 *
 * spin_leaf runs ITERS rounds of a multiply-add that touches no memory and
 * makes no system call; the work is the same whatever interrupts it, so
 * any profiler shows up as extra elapsed time. Each of RUNS (default 1)
 * prints "elapsed_ns N" (CLOCK_MONOTONIC around the leaf loop).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef KPM_DEEP
#define NAME		"kpm_deep"
#define OUTER		6	/* frames that are not spin_down's calls */
#else
#define NAME		"kpm_spin"
#define OUTER		4
#endif

volatile unsigned long sink;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

__attribute__((noinline)) unsigned long long spin_leaf(unsigned long iters)
{
	unsigned long long t0 = now_ns();
	unsigned long x = 1;

	for (unsigned long i = 0; i < iters; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	sink = x;
	return now_ns() - t0;
}

/* Nested calls down to the leaf; the addition after the call keeps it
 * from being a tail call, so each level keeps its frame.
 */
__attribute__((noinline)) unsigned long long spin_down(int levels,
						       unsigned long iters)
{
	unsigned long long r;
#ifdef KPM_DEEP
	char pad[160];

	/* Takes pad's address: the locals stay on the stack. */
	__asm__ volatile("" : : "r"(pad) : "memory");
#endif

	if (levels > 0)
		r = spin_down(levels - 1, iters);
	else
		r = spin_leaf(iters);
	sink++;
	return r;
}

int main(int argc, char **argv)
{
	int frames, runs;
	unsigned long iters;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: " NAME " FRAMES ITERS [RUNS]\n");
		return 2;
	}
	frames = atoi(argv[1]);
	iters = strtoul(argv[2], NULL, 0);
	runs = argc > 3 ? atoi(argv[3]) : 1;
	if (frames < OUTER || frames > 250 || runs < 1) {
		fprintf(stderr, NAME ": FRAMES must be %d..250, RUNS >= 1\n", OUTER);
		return 2;
	}
	for (int r = 0; r < runs; r++)
		printf("elapsed_ns %llu\n", spin_down(frames - OUTER, iters));
	return 0;
}
