// SPDX-License-Identifier: GPL-2.0
/*
 * ehframe_scan - what the unwinder core (module/ehframe.c, unchanged)
 * makes of real ELF files: the spike behind "User stacks without frame
 * pointers" in Documentation/kprofmap.rst.
 *
 *   ehframe_scan [-n LOOKUPS] FILE...
 *
 * For each FILE: every FDE of .eh_frame_hdr's table, every row of each,
 * classified by outcome (supported, or the cause it is not); the share of
 * code bytes whose rule is supported; the distinct rules (what a
 * deduplicated rule table would hold); the size a compact table would
 * take at 8 bytes a row plus 12 a distinct rule; then LOOKUPS random
 * lookups (binary search + CFA program) timed, as an uncached unwinder
 * would do per frame.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../module/ehframe.h"

struct elf_sections {
	struct ehf_buf hdr;
	struct ehf_buf eh;
};

static int find_sections(const unsigned char *map, size_t size,
			 struct elf_sections *s)
{
	const Elf64_Ehdr *eh = (const void *)map;
	const Elf64_Shdr *sh;
	const char *names;
	unsigned int i;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || !eh->e_shoff ||
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(*sh) > size ||
	    eh->e_shstrndx >= eh->e_shnum)
		return -1;
	sh = (const void *)(map + eh->e_shoff);
	names = (const char *)map + sh[eh->e_shstrndx].sh_offset;
	memset(s, 0, sizeof(*s));
	for (i = 0; i < eh->e_shnum; i++) {
		struct ehf_buf *b = NULL;
		const char *n = names + sh[i].sh_name;

		if (!strcmp(n, ".eh_frame_hdr"))
			b = &s->hdr;
		else if (!strcmp(n, ".eh_frame"))
			b = &s->eh;
		if (!b || sh[i].sh_type == SHT_NOBITS ||
		    sh[i].sh_offset + sh[i].sh_size > size)
			continue;
		b->data = map + sh[i].sh_offset;
		b->len = sh[i].sh_size;
		b->vaddr = sh[i].sh_addr;
	}
	return s->hdr.len && s->eh.len ? 0 : -1;
}

#define NR_STATUS 5
#define NR_CAUSE 6

static const char *const status_name[NR_STATUS] = {
	"ok", "no_fde", "malformed", "unsupported", "budget",
};
static const char *const cause_name[NR_CAUSE] = {
	"", "cfa_expr", "cfa_reg", "ra", "bp", "opcode",
};

/* Distinct rules: a small open-addressing set. */
#define RULESET (1u << 16)
static uint64_t ruleset[RULESET];
static unsigned int nr_rules;

static void rule_add(const struct ehf_rule *r)
{
	uint64_t k = ((uint64_t)r->cfa_base << 62) ^ ((uint64_t)r->bp_rule << 61) ^
		     ((uint64_t)(uint32_t)r->cfa_off << 29) ^
		     ((uint64_t)(uint16_t)r->bp_off << 13) ^ (uint8_t)r->ra_off;
	unsigned int i = (unsigned int)((k * 0x9e3779b97f4a7c15ULL) >> 48);

	k |= 1;		/* never 0, the empty slot */
	while (ruleset[i] && ruleset[i] != k)
		i = (i + 1) & (RULESET - 1);
	if (!ruleset[i] && nr_rules < RULESET - 1) {
		ruleset[i] = k;
		nr_rules++;
	}
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int scan(const char *path, long lookups)
{
	unsigned long rows[NR_STATUS] = { 0 }, causes[NR_CAUSE] = { 0 };
	unsigned long bytes_ok = 0, bytes_all = 0, fdes = 0, count, i;
	struct elf_sections s;
	struct ehf_rule rule;
	unsigned char *map;
	uint64_t *starts;
	off_t size;
	double t0, t1;
	int fd, ret;
	long hits = 0;

	fd = open(path, O_RDONLY);
	size = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	if (size <= 0) {
		perror(path);
		return 1;
	}
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED || find_sections(map, size, &s)) {
		fprintf(stderr, "%s: no .eh_frame_hdr/.eh_frame\n", path);
		return 1;
	}
	memset(ruleset, 0, sizeof(ruleset));
	nr_rules = 0;

	count = (s.hdr.len - 12) / 8;	/* table after the usual 12 bytes */
	starts = calloc(count + 1, sizeof(*starts));
	for (i = 0; i < count; i++) {
		const unsigned char *e = s.hdr.data + 12 + i * 8;
		int32_t loc, fde;
		uint64_t pc;

		memcpy(&loc, e, 4);
		memcpy(&fde, e + 4, 4);
		pc = s.hdr.vaddr + loc;
		starts[fdes++] = pc;
		for (;;) {
			ret = ehf_rule_at(&s.eh, s.hdr.vaddr + fde, pc, &rule);
			rows[ret]++;
			if (ret != EHF_OK && ret != EHF_UNSUPPORTED)
				break;
			bytes_all += rule.row_end - rule.row_start;
			if (ret == EHF_OK) {
				bytes_ok += rule.row_end - rule.row_start;
				rule_add(&rule);
			} else {
				causes[rule.cause]++;
			}
			if (rule.row_end >= rule.fde_end || rule.row_end <= pc)
				break;
			pc = rule.row_end;
		}
	}

	printf("%s: eh_frame %zu bytes, eh_frame_hdr %zu bytes, %lu FDEs\n",
	       path, s.eh.len, s.hdr.len, fdes);
	printf("  rows:");
	for (i = 0; i < NR_STATUS; i++)
		printf(" %s %lu", status_name[i], rows[i]);
	printf("\n  unsupported rows by cause:");
	for (i = 1; i < NR_CAUSE; i++)
		printf(" %s %lu", cause_name[i], causes[i]);
	printf("\n  code bytes with a supported rule: %.2f%% of %lu\n",
	       bytes_all ? 100.0 * bytes_ok / bytes_all : 0.0, bytes_all);
	printf("  distinct supported rules: %u; compact table estimate %lu bytes (%.0f KiB per MiB of .eh_frame)\n",
	       nr_rules, rows[EHF_OK] * 8 + nr_rules * 12UL,
	       (rows[EHF_OK] * 8 + nr_rules * 12.0) / 1024 /
	       (s.eh.len / 1048576.0));

	if (lookups > 0 && fdes) {
		uint64_t x = 88172645463325252ULL;

		t0 = now_ns();
		for (i = 0; i < (unsigned long)lookups; i++) {
			uint64_t pc;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			pc = starts[x % fdes] + (x >> 40) % 64;
			hits += ehf_lookup(&s.hdr, &s.eh, pc, &rule) == EHF_OK;
		}
		t1 = now_ns();
		printf("  %ld random lookups: %.0f ns each (%.1f%% ok)\n",
		       lookups, (t1 - t0) / lookups, 100.0 * hits / lookups);
	}
	free(starts);
	munmap(map, size);
	return 0;
}

int main(int argc, char **argv)
{
	long lookups = 1000000;
	int i = 1, ret = 0;

	if (argc > 2 && !strcmp(argv[1], "-n")) {
		lookups = atol(argv[2]);
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: ehframe_scan [-n LOOKUPS] FILE...\n");
		return 2;
	}
	for (; i < argc; i++)
		ret |= scan(argv[i], lookups);
	return ret;
}
