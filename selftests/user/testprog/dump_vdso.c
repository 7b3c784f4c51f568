// SPDX-License-Identifier: GPL-2.0
/*
 * dump_vdso.c - write this process's vDSO image to a file, so that run.sh
 * can read the vDSO's symbols with nm, independently of kprof2pprof.
 */
#include <elf.h>
#include <stdio.h>
#include <sys/auxv.h>

int main(int argc, char **argv)
{
	const unsigned char *img = (const void *)getauxval(AT_SYSINFO_EHDR);
	const Elf64_Ehdr *eh = (const void *)img;
	unsigned long size;
	FILE *f;

	if (argc != 2 || !img)
		return 1;
	size = eh->e_shoff + (unsigned long)eh->e_shnum * eh->e_shentsize;
	f = fopen(argv[1], "wb");
	if (!f || fwrite(img, 1, size, f) != size || fclose(f))
		return 1;
	return 0;
}
