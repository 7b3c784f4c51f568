// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_keys - a CPU-bound workload whose user stacks come from a fixed
 * number of distinct call paths, to test how the module stages many
 * unique stacks (selftests/vm/45-collect.sh).
 *
 *   kpm_keys PATHS SECONDS [SEED [DEPTH]]
 *
 * Each round picks one of PATHS paths at random (uniformly; SEED picks
 * which PATHS of the 16^5 possible ones), calls down 5 levels through 16
 * functions along it, and spins briefly in the leaf. A sample of the
 * leaf sees one of a few PCs of its loop under that path, and a sample
 * between calls one of the path's prefixes, so the process shows a
 * bounded number of unique stacks per path: 19 once saturated (measured
 * in the VM: 500 paths, 99439 samples at 9999 Hz, 9496 unique stacks).
 * DEPTH (default 5, up to 200) levels of calls: past the fifth the path
 * has no digits left and each level is kk_f0, so deeper stacks are as
 * many as, and longer than, those of depth 5 (selftests/vm/35-reader.sh).
 * Stops after SECONDS of CPU time and prints "rounds N".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define KK_FUNCS	16
#define KK_DEPTH	5

volatile unsigned long sink;

typedef void (*kk_fn)(int depth, unsigned long path);
static const kk_fn kk_table[KK_FUNCS];

__attribute__((noinline)) static void kk_spin(unsigned long path)
{
	unsigned long x = path | 1;
	int i;

	for (i = 0; i < 200; i++)
		x = x * 6364136223846793005UL + 1;
	sink = x;
}

#define KK_FN(n)							\
__attribute__((noinline)) static void kk_f##n(int depth, unsigned long path) \
{									\
	if (depth == 0)							\
		kk_spin(path);						\
	else								\
		kk_table[path & (KK_FUNCS - 1)](depth - 1, path >> 4);	\
	sink++;								\
}
KK_FN(0) KK_FN(1) KK_FN(2) KK_FN(3) KK_FN(4) KK_FN(5) KK_FN(6) KK_FN(7)
KK_FN(8) KK_FN(9) KK_FN(10) KK_FN(11) KK_FN(12) KK_FN(13) KK_FN(14) KK_FN(15)

static const kk_fn kk_table[KK_FUNCS] = {
	kk_f0, kk_f1, kk_f2, kk_f3, kk_f4, kk_f5, kk_f6, kk_f7,
	kk_f8, kk_f9, kk_f10, kk_f11, kk_f12, kk_f13, kk_f14, kk_f15,
};

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long paths, seed, x, rounds = 0;
	int depth = KK_DEPTH;
	double end;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: kpm_keys PATHS SECONDS [SEED [DEPTH]]\n");
		return 2;
	}
	if (argc == 5)
		depth = atoi(argv[4]);
	if (depth < 1 || depth > 200) {
		fprintf(stderr, "kpm_keys: DEPTH must be 1..200\n");
		return 2;
	}
	paths = strtoul(argv[1], NULL, 0);
	if (paths < 1 || paths > (1UL << 20)) {
		fprintf(stderr, "kpm_keys: PATHS must be 1..1048576\n");
		return 2;
	}
	seed = argc >= 4 ? strtoul(argv[3], NULL, 0) : 1;
	x = seed * 0x9e3779b97f4a7c15UL + 1;
	end = cpu_seconds() + atof(argv[2]);
	while ((rounds++ & 255) || cpu_seconds() < end) {
		unsigned long i, path;

		x = x * 6364136223846793005UL + 1442695040888963407UL;
		i = (x >> 33) % paths;
		/* An odd multiplier permutes the 20-bit path space. */
		path = ((i + seed) * 0x9e3b1UL) & ((1UL << 20) - 1);
		kk_table[path & (KK_FUNCS - 1)](depth - 1, path >> 4);
	}
	printf("rounds %lu\n", rounds);
	return 0;
}
