// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_readzero - a syscall-heavy workload: main -> zero_loop ->
 * zero_read, which read()s /dev/zero in 64 KiB chunks for SECONDS of
 * CPU time, so most samples land in the kernel's read path under a
 * known user chain. Prints "cpu_ms N" when done.
 *
 *   kpm_readzero [SECONDS [WARM_MS]]
 *
 * WARM_MS (default 0): first spin that many ms of CPU in user mode. The
 * module takes a process's mapping records on its first sample of user
 * mode, and walks its samples inside the kernel by frame pointer until
 * then (Documentation/kprofmap.rst); this loop is in user mode so rarely
 * that, without a warm-up, half a second can go by first. The warm-up is
 * spin_cpu(), which reads the clock (a system call: a CPU-time clock has
 * no vDSO path) once every 100000 iterations: a loop that read it every
 * time spent most of its time in the kernel, and on the debug kernel
 * gave the read loop's first half second no records (CI, 6.1-debug
 * 20-sampling: 538 of 1086 samples matched).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kpm_spin.h"

static char buf[65536];

__attribute__((noinline)) long zero_read(int fd)
{
	long n = 0;

	for (int i = 0; i < 64; i++)
		n += read(fd, buf, sizeof(buf));
	return n;
}

__attribute__((noinline)) long zero_loop(int fd, double until)
{
	long total = 0;

	while (cpu_seconds() < until)
		total += zero_read(fd);
	return total;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	double warm = argc > 2 ? atof(argv[2]) / 1000 : 0;
	double t0;
	int fd;

	if (warm > 0)
		spin_cpu(warm);
	t0 = cpu_seconds();
	fd = open("/dev/zero", O_RDONLY);

	if (fd < 0) {
		perror("/dev/zero");
		return 1;
	}
	if (zero_loop(fd, t0 + secs) <= 0)
		return 1;
	printf("cpu_ms %ld\n", (long)((cpu_seconds() - t0) * 1000));
	return 0;
}
