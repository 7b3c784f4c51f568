// SPDX-License-Identifier: GPL-2.0
/*
 * uw_readzero - system-call heavy, no frame pointers (gcc -O2
 * -fomit-frame-pointer, static glibc): main -> zero_loop -> zero_read ->
 * read(/dev/zero), for SECONDS of wall time (default 1). libc's read()
 * wrapper keeps no frame, so a frame-pointer walk loses zero_read.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char buf[65536];
volatile unsigned long zr_sink;

__attribute__((noinline)) long zero_read(int fd)
{
	volatile char pad[64];
	long n = read(fd, buf, sizeof(buf));

	pad[0] = (char)n;
	return n + pad[0];
}

__attribute__((noinline)) void zero_loop(int fd, time_t until)
{
	volatile unsigned long pad[16];

	pad[1] = 0;
	while (time(NULL) < until)
		for (int i = 0; i < 64; i++)
			pad[1] += zero_read(fd);
	zr_sink = pad[1];
}

int main(int argc, char **argv)
{
	int fd = open("/dev/zero", O_RDONLY);

	if (fd < 0)
		return 1;
	zero_loop(fd, time(NULL) + (argc > 1 ? atoi(argv[1]) : 1));
	return 0;
}
