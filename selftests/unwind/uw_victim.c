// SPDX-License-Identifier: GPL-2.0
/*
 * uw_victim - spends its time in libc's qsort() calling back into its own
 * comparator: uw_cmp <- (libc qsort internals) <- uw_sort_loop <- main,
 * for SECONDS (default 2). Dynamic, non-PIE, no frame pointers: its own
 * frames are named from an nm listing, libc's are unwound by libc's
 * .eh_frame, which uw_poison corrupts in its own private copy.
 */
#include <stdlib.h>
#include <time.h>

#define N 4096

static int v[N];
volatile unsigned long uw_vsink;

__attribute__((noinline)) int uw_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	for (int i = 0; i < 16; i++)
		uw_vsink += (unsigned long)x * i;
	return (x > y) - (x < y);
}

__attribute__((noinline)) void uw_sort_loop(time_t until)
{
	volatile unsigned long pad[8];
	unsigned int s = 1;

	pad[0] = 0;
	while (time(NULL) < until) {
		for (int i = 0; i < N; i++)
			v[i] = (int)(s = s * 1103515245 + 12345);
		qsort(v, N, sizeof(v[0]), uw_cmp);
		pad[0]++;
	}
	uw_vsink += pad[0];
}

int main(int argc, char **argv)
{
	uw_sort_loop(time(NULL) + (argc > 1 ? atoi(argv[1]) : 2));
	return 0;
}
