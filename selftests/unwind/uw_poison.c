// SPDX-License-Identifier: GPL-2.0
/*
 * uw_poison - a hostile process: it makes its own private copy of libc's
 * unwind data writable (mprotect), rewrites every FDE's call-frame
 * program of libc's .eh_frame into DW_CFA_nop (so every PC of libc gets
 * the CIE's rule, CFA = rsp + 8: valid-looking and wrong for every
 * function with a frame), makes it read-only again, then does what
 * uw_victim does (qsort with a callback) for SECONDS (default 2).
 * If the module shared rules learnt from this copy, uw_victim's stacks
 * through the same libc would break. Prints "poisoned N" (FDEs).
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define N 4096

static int v[N];
volatile unsigned long uw_psink;
static unsigned char *eh_frame;
static size_t eh_len;

static int find_libc(struct dl_phdr_info *info, size_t size, void *data)
{
	const unsigned char *hdr = NULL;
	int i;

	(void)size;
	(void)data;
	if (!strstr(info->dlpi_name, "libc.so"))
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];

		if (p->p_type == PT_GNU_EH_FRAME)
			hdr = (const unsigned char *)(info->dlpi_addr + p->p_vaddr);
	}
	if (!hdr || hdr[1] != 0x1b)	/* eh_frame_ptr: pcrel sdata4 */
		return 0;
	eh_frame = (unsigned char *)(hdr + 4) + *(const int32_t *)(hdr + 4);
	/* .eh_frame runs to its zero terminator; measure it. */
	for (eh_len = 0; *(const uint32_t *)(eh_frame + eh_len);)
		eh_len += 4 + *(const uint32_t *)(eh_frame + eh_len);
	return 1;
}

static long poison(void)
{
	long page = sysconf(_SC_PAGESIZE), fdes = 0;
	uintptr_t lo, hi;
	size_t off;

	if (!dl_iterate_phdr(find_libc, NULL) || !eh_frame)
		return -1;
	lo = (uintptr_t)eh_frame & ~(page - 1);
	hi = ((uintptr_t)eh_frame + eh_len + page - 1) & ~(page - 1);
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE))
		return -1;
	for (off = 0; off < eh_len;) {
		uint32_t len = *(uint32_t *)(eh_frame + off);
		uint32_t id = *(uint32_t *)(eh_frame + off + 4);

		/* FDE of a "zR" CIE: len, id, pc_begin, range, aug len 0 */
		if (id && eh_frame[off + 16] == 0 && len > 13) {
			memset(eh_frame + off + 17, 0, len - 13);
			fdes++;
		}
		off += 4 + len;
	}
	mprotect((void *)lo, hi - lo, PROT_READ);
	return fdes;
}

__attribute__((noinline)) int uw_pcmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	time_t until = time(NULL) + (argc > 1 ? atoi(argv[1]) : 2);
	unsigned int s = 7;

	printf("poisoned %ld\n", poison());
	fflush(stdout);
	while (time(NULL) < until) {
		for (int i = 0; i < N; i++)
			v[i] = (int)(s = s * 1103515245 + 12345);
		qsort(v, N, sizeof(v[0]), uw_pcmp);
	}
	uw_psink = (unsigned long)v[0];
	return 0;
}
