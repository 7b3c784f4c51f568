// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_drains - drain /proc/kprofmap/drain N times, each window to its own
 * file, with no fork or exec between drains (selftests/vm/47-drain.sh).
 *
 *   kpm_drains N DIR [FIRST]
 *
 * Writes DIR/FIRST .. DIR/FIRST+N-1 (FIRST defaults to 0; one window
 * each, read to its end with 64 KiB reads). Exits 1 after the first
 * open, read or write that fails (naming it), 0 when all N succeeded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buf[65536];

static int drain_to(const char *path)
{
	int in = open("/proc/kprofmap/drain", O_RDONLY);
	int out, ret = -1;
	ssize_t n;

	if (in < 0) {
		fprintf(stderr, "kpm_drains: open drain: %s\n", strerror(errno));
		return -1;
	}
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		fprintf(stderr, "kpm_drains: %s: %s\n", path, strerror(errno));
		close(in);
		return -1;
	}
	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n < 0) {
			fprintf(stderr, "kpm_drains: read drain: %s\n", strerror(errno));
			break;
		}
		if (n == 0) {
			ret = 0;
			break;
		}
		if (write(out, buf, n) != n) {
			fprintf(stderr, "kpm_drains: write %s: %s\n", path, strerror(errno));
			break;
		}
	}
	close(in);
	if (close(out))
		ret = -1;
	return ret;
}

int main(int argc, char **argv)
{
	char path[4096];
	long i, n, first = 0;

	if (argc < 3 || argc > 4 || (n = strtol(argv[1], NULL, 10)) <= 0 ||
	    (argc == 4 && (first = strtol(argv[3], NULL, 10)) < 0)) {
		fprintf(stderr, "usage: kpm_drains N DIR [FIRST]\n");
		return 2;
	}
	for (i = first; i < first + n; i++) {
		snprintf(path, sizeof(path), "%s/%ld", argv[2], i);
		if (drain_to(path))
			return 1;
	}
	return 0;
}
