// SPDX-License-Identifier: GPL-2.0
/*
 * uw_corrupt - write a copy of an ELF executable whose unwind data is
 * hostile, for selftests/vm/60-unwind.sh (the program itself still runs:
 * nothing in it reads its own .eh_frame).
 *
 *   uw_corrupt MODE IN OUT
 *
 * MODE:
 *   random   .eh_frame and .eh_frame_hdr's table: pseudo-random bytes
 *   lengths  every .eh_frame entry keeps its place but claims a 64-bit
 *            length of 2^62, and every table entry points at the same FDE
 *   cycles   every FDE's CIE pointer points back at itself, and every
 *            FDE's program is DW_CFA_remember_state forever
 * The pseudo-random bytes come from a fixed seed: the files are the same
 * on every build.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *sect(unsigned char *img, size_t size, const char *want,
			   size_t *len)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + eh->e_shoff);
	const char *names = (const char *)img + sh[eh->e_shstrndx].sh_offset;
	unsigned int i;

	for (i = 0; i < eh->e_shnum; i++)
		if (!strcmp(names + sh[i].sh_name, want) &&
		    sh[i].sh_offset + sh[i].sh_size <= size) {
			*len = sh[i].sh_size;
			return img + sh[i].sh_offset;
		}
	fprintf(stderr, "uw_corrupt: no %s\n", want);
	exit(1);
}

int main(int argc, char **argv)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t size, ehl, hdrl, off, i;
	unsigned char *img, *eh, *hdr;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: uw_corrupt random|lengths|cycles IN OUT\n");
		return 2;
	}
	f = fopen(argv[2], "rb");
	if (!f || fseek(f, 0, SEEK_END))
		return 1;
	size = ftell(f);
	rewind(f);
	img = malloc(size);
	if (!img || fread(img, 1, size, f) != size)
		return 1;
	fclose(f);
	eh = sect(img, size, ".eh_frame", &ehl);
	hdr = sect(img, size, ".eh_frame_hdr", &hdrl);

	if (!strcmp(argv[1], "random")) {
		for (i = 0; i < ehl; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			eh[i] = (unsigned char)x;
		}
		for (i = 12; i < hdrl; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			hdr[i] = (unsigned char)x;
		}
	} else if (!strcmp(argv[1], "lengths")) {
		for (off = 0; off + 16 <= ehl;) {
			uint32_t len;

			memcpy(&len, eh + off, 4);
			if (!len || len == 0xffffffff)
				break;
			/* the next entry's offset from the old length */
			eh[off] = eh[off + 1] = eh[off + 2] = eh[off + 3] = 0xff;
			memset(eh + off + 4, 0, 8);
			eh[off + 11] = 0x40;
			off += 4 + len;
		}
		for (i = 12; i + 8 <= hdrl; i += 8)
			memcpy(hdr + i + 4, hdr + 16, 4);
	} else if (!strcmp(argv[1], "cycles")) {
		for (off = 0; off + 8 <= ehl;) {
			uint32_t len, id, self = (uint32_t)(off + 4) ^ 0;

			memcpy(&len, eh + off, 4);
			memcpy(&id, eh + off + 4, 4);
			if (!len || len == 0xffffffff)
				break;
			if (id) {
				/* CIE pointer = distance to itself: 0 is a CIE,
				 * so point at this FDE's own length field.
				 */
				self = 4;
				memcpy(eh + off + 4, &self, 4);
				if (len > 17)
					memset(eh + off + 17, 0x0a, len - 13);
			}
			off += 4 + len;
		}
	} else {
		fprintf(stderr, "uw_corrupt: unknown mode %s\n", argv[1]);
		return 2;
	}
	f = fopen(argv[3], "wb");
	if (!f || fwrite(img, 1, size, f) != size || fclose(f))
		return 1;
	free(img);
	return 0;
}
