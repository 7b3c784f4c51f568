// SPDX-License-Identifier: GPL-2.0
/*
 * uw_gocorrupt - write a hostile copy of a Go binary's .gopclntab (its
 * bytes, as objcopy -O binary extracts them), for the uw_gobad_* C
 * programs of selftests/vm/62-go.sh: each carries the result as its own
 * .gopclntab section and has no .eh_frame_hdr, so the module takes it
 * for a Go binary and parses the table for every frame.
 *
 *   uw_gocorrupt MODE IN OUT
 *
 * MODE:
 *   random   every byte after the 8-byte header (magic, minLC, ptrsize)
 *            pseudo-random: offsets, counts and tables all garbage
 *   functab  the header kept; the function table (entry and _func
 *            offsets) pseudo-random
 *   pctab    the header and function table kept; the pc-value tables
 *            (every function's pcsp) pseudo-random
 * The pseudo-random bytes come from a fixed seed: the files are the same
 * on every build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t seed = 0x9e3779b97f4a7c15ULL;

static uint8_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (uint8_t)seed;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void scramble(uint8_t *p, size_t len, size_t from, size_t to)
{
	if (to > len)
		to = len;
	for (size_t i = from; i < to; i++)
		p[i] = rnd();
}

int main(int argc, char **argv)
{
	uint8_t *buf;
	size_t len;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: uw_gocorrupt random|functab|pctab IN OUT\n");
		return 2;
	}
	f = fopen(argv[2], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (long)(len = ftell(f)) < 72 ||
	    fseek(f, 0, SEEK_SET) || !(buf = malloc(len)) ||
	    fread(buf, 1, len, f) != len) {
		fprintf(stderr, "uw_gocorrupt: cannot read %s\n", argv[2]);
		return 1;
	}
	fclose(f);
	/* Header: magic u32, pad, pad, minLC, ptrsize, then nfunc, nfiles,
	 * textStart, funcname, cu, filetab, pctab, pcln offsets (8 bytes).
	 */
	uint64_t nfunc = get64(buf + 8), pctab = get64(buf + 56),
		 pcln = get64(buf + 64);

	if (!strcmp(argv[1], "random")) {
		scramble(buf, len, 8, len);
	} else if (!strcmp(argv[1], "functab")) {
		if (pcln >= len || nfunc > len) {
			fprintf(stderr, "uw_gocorrupt: not a Go 1.18+ table\n");
			return 1;
		}
		scramble(buf, len, pcln, pcln + (nfunc + 1) * 8);
	} else if (!strcmp(argv[1], "pctab")) {
		if (pctab >= len || pcln > len || pctab >= pcln) {
			fprintf(stderr, "uw_gocorrupt: not a Go 1.18+ table\n");
			return 1;
		}
		scramble(buf, len, pctab, pcln);
	} else {
		fprintf(stderr, "uw_gocorrupt: unknown mode %s\n", argv[1]);
		return 2;
	}
	f = fopen(argv[3], "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "uw_gocorrupt: cannot write %s\n", argv[3]);
		return 1;
	}
	return 0;
}
