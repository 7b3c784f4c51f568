// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_manystacks - threads spinning under many distinct user stacks, for
 * the export benchmark (scripts/bench.sh).
 *
 *   kpm_manystacks THREADS SECONDS [linger]
 *
 * Each thread repeatedly picks a pseudo-random path through 16 distinct
 * functions, 5 calls deep (16^5 = 1048576 different stacks), and spins
 * a few microseconds in the last one. After SECONDS of wall time, or on
 * SIGUSR1, the threads stop; main prints "done" and, with "linger",
 * sleeps until SIGTERM so the process's maps stay readable for
 * symbolization. Built with clang and frame pointers (bench/Makefile).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MS_FUNCS	16
#define MS_DEPTH	5

static volatile sig_atomic_t stop;
static double deadline;
volatile unsigned long sink;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef void (*ms_fn)(int depth, unsigned long path);
static const ms_fn ms_table[MS_FUNCS];

/* The leaf: a few microseconds of arithmetic. */
__attribute__((noinline)) static void ms_spin(unsigned long path)
{
	unsigned long x = path | 1;

	for (int i = 0; i < 2000; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	sink = x;
}

/* Sixteen functions with different addresses and the same body: call
 * the next one chosen by 4 bits of @path, or spin at the bottom.
 */
#define MS_FN(n)							\
__attribute__((noinline)) static void ms_f##n(int depth, unsigned long path) \
{									\
	if (depth == 0)							\
		ms_spin(path);						\
	else								\
		ms_table[path & (MS_FUNCS - 1)](depth - 1, path >> 4);	\
	sink++;								\
}
MS_FN(0) MS_FN(1) MS_FN(2) MS_FN(3) MS_FN(4) MS_FN(5) MS_FN(6) MS_FN(7)
MS_FN(8) MS_FN(9) MS_FN(10) MS_FN(11) MS_FN(12) MS_FN(13) MS_FN(14) MS_FN(15)

static const ms_fn ms_table[MS_FUNCS] = {
	ms_f0, ms_f1, ms_f2, ms_f3, ms_f4, ms_f5, ms_f6, ms_f7,
	ms_f8, ms_f9, ms_f10, ms_f11, ms_f12, ms_f13, ms_f14, ms_f15,
};

static void *ms_thread(void *arg)
{
	unsigned long x = (unsigned long)arg * 0x9e3779b97f4a7c15UL + 1;
	unsigned long n = 0;

	while (!stop && (n++ & 63 || now_s() < deadline)) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		ms_table[x >> 60](MS_DEPTH - 1, x >> 40);
	}
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	pthread_t tid[64];
	int threads, i;

	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "linger"))) {
		fprintf(stderr, "usage: kpm_manystacks THREADS SECONDS [linger]\n");
		return 2;
	}
	threads = atoi(argv[1]);
	if (threads < 1 || threads > 64) {
		fprintf(stderr, "kpm_manystacks: THREADS must be 1..64\n");
		return 2;
	}
	signal(SIGUSR1, on_usr1);
	deadline = now_s() + atof(argv[2]);
	for (i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, ms_thread, (void *)(long)(i + 1))) {
			fprintf(stderr, "kpm_manystacks: pthread_create failed\n");
			return 1;
		}
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	printf("done\n");
	fflush(stdout);
	if (argc == 4)
		for (;;)
			pause();
	return 0;
}
