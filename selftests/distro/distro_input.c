// SPDX-License-Identifier: GPL-2.0
/*
 * distro_input - write pseudo-random text for the compressors of
 * selftests/vm/65-distro.sh: the same bytes for the same seed on every
 * machine (xorshift64*), compressible enough that xz spends its time in
 * the match finder and the range coder, not in storing raw blocks.
 *
 *   distro_input SEED BYTES >FILE
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* 64 words of 2..6 letters: text-like repeats at many distances. */
static const char *const words[64] = {
	"the", "of", "and", "to", "in", "is", "it", "that", "was", "for",
	"on", "are", "as", "with", "his", "they", "at", "be", "this", "from",
	"have", "or", "by", "one", "had", "not", "but", "what", "all", "were",
	"when", "we", "there", "can", "an", "your", "which", "their", "said",
	"if", "do", "will", "each", "about", "how", "up", "out", "them",
	"then", "she", "many", "some", "so", "these", "would", "other",
	"into", "has", "more", "her", "two", "like", "him", "sample",
};

static uint64_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

int main(int argc, char **argv)
{
	uint64_t s, r;
	long left;

	if (argc != 3) {
		fprintf(stderr, "usage: distro_input SEED BYTES\n");
		return 2;
	}
	s = strtoull(argv[1], NULL, 0) | 1;
	left = strtol(argv[2], NULL, 0);
	while (left > 0) {
		r = next(&s);
		left -= printf("%s%c", words[r & 63], (r >> 8) % 13 ? ' ' : '\n');
	}
	return 0;
}
