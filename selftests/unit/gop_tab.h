/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gop_tab.h - building synthetic .gopclntab sections, and a reader that
 * counts reads outside its table (gopclntab_test and fuzz_gopclntab's
 * seed writer).
 *
 * A table: the 72-byte header, funcnametab, empty cutab and filetab,
 * pctab (a 0 byte, then each function's pcsp table), pclntab (the
 * function table, then each _func: 40 bytes in the Go 1.18 layout, 44 in
 * the Go 1.20 one).
 */
#ifndef _KPM_GOP_TAB_H
#define _KPM_GOP_TAB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GT_TEXT		0x401000ULL
#define GT_VADDR	0x4d0000ULL
#define GT_MAX_FUNCS	8

/* A function: text offset, name, and its pcsp table as (value, until)
 * pairs ended by until 0, or as raw bytes (@raw, @raw_len).
 */
struct gt_func {
	u32 off;
	const char *name;
	struct { s32 val; u32 until; } rows[8];
	const u8 *raw;
	size_t raw_len;
};

struct gt {
	u8 *b;
	size_t n, cap;
	size_t names, pctab, pcln;
	size_t nameoff[GT_MAX_FUNCS], pcsp[GT_MAX_FUNCS], func[GT_MAX_FUNCS];
	unsigned int nfunc;
};

static void gt_put(struct gt *t, const void *p, size_t n)
{
	if (t->n + n > t->cap) {
		fprintf(stderr, "gt: table full\n");
		abort();
	}
	memcpy(t->b + t->n, p, n);
	t->n += n;
}

static void gt_put8(struct gt *t, u8 v)
{
	gt_put(t, &v, 1);
}

static void gt_put32(struct gt *t, u32 v)
{
	u8 b[4] = { (u8)v, (u8)(v >> 8), (u8)(v >> 16), (u8)(v >> 24) };

	gt_put(t, b, 4);
}

static void gt_set32(struct gt *t, size_t at, u32 v)
{
	u8 b[4] = { (u8)v, (u8)(v >> 8), (u8)(v >> 16), (u8)(v >> 24) };

	memcpy(t->b + at, b, 4);
}

static void gt_set64(struct gt *t, size_t at, u64 v)
{
	gt_set32(t, at, (u32)v);
	gt_set32(t, at + 4, (u32)(v >> 32));
}

static void gt_varint(struct gt *t, u32 v)
{
	while (v >= 0x80) {
		gt_put8(t, (u8)(v | 0x80));
		v >>= 7;
	}
	gt_put8(t, (u8)v);
}

/* Header word @i (0: nfunc ... 7: pclnOffset). */
#define GT_WORD(i)	(8 + 8 * (i))

/*
 * Build a table of @n functions, the last ending at text offset @end, in
 * the layout of @magic (the 1.20 _func when it is GOP_MAGIC_120).
 */
static void gt_build(struct gt *t, u32 magic, const struct gt_func *f,
		     unsigned int n, u32 end)
{
	size_t fsize = magic == 0xfffffff1U ? 44 : 40;
	unsigned int i, j;

	if (!t->b) {
		t->cap = 1 << 18;
		t->b = calloc(1, t->cap);
	}
	t->n = 0;
	t->nfunc = n;
	memset(t->b, 0, t->cap);
	t->n = GT_WORD(8);
	t->names = t->n;
	gt_put8(t, 0);
	for (i = 0; i < n; i++) {
		t->nameoff[i] = t->n - t->names;
		gt_put(t, f[i].name, strlen(f[i].name) + 1);
	}
	t->pctab = t->n;
	gt_put8(t, 0);
	for (i = 0; i < n; i++) {
		s32 val = -1;
		u32 pc = 0;

		t->pcsp[i] = t->n - t->pctab;
		if (f[i].raw) {
			gt_put(t, f[i].raw, f[i].raw_len);
			continue;
		}
		for (j = 0; f[i].rows[j].until; j++) {
			s32 d = f[i].rows[j].val - val;

			gt_varint(t, d < 0 ? ((u32)(-(d + 1)) << 1) | 1 : (u32)d << 1);
			gt_varint(t, f[i].rows[j].until - pc);
			val = f[i].rows[j].val;
			pc = f[i].rows[j].until;
		}
		gt_put8(t, 0);
	}
	while (t->n % 8)
		gt_put8(t, 0);
	t->pcln = t->n;
	for (i = 0; i < n; i++) {
		gt_put32(t, f[i].off);
		gt_put32(t, (u32)((n + 1) * 8 + i * fsize));
	}
	gt_put32(t, end);
	gt_put32(t, 0);
	for (i = 0; i < n; i++) {
		t->func[i] = t->n;
		gt_put32(t, f[i].off);			/* entryOff */
		gt_put32(t, (u32)t->nameoff[i]);	/* nameOff */
		gt_put32(t, 0);				/* args */
		gt_put32(t, 0);				/* deferreturn */
		gt_put32(t, (u32)t->pcsp[i]);		/* pcsp */
		while (t->n - t->func[i] < fsize)
			gt_put8(t, 0);
	}
	gt_set32(t, 0, magic);
	t->b[6] = 1;
	t->b[7] = 8;
	gt_set64(t, GT_WORD(0), n);
	gt_set64(t, GT_WORD(1), 0);
	gt_set64(t, GT_WORD(2), GT_TEXT);
	gt_set64(t, GT_WORD(3), t->names);
	gt_set64(t, GT_WORD(4), t->pctab);
	gt_set64(t, GT_WORD(5), t->pctab);
	gt_set64(t, GT_WORD(6), t->pctab);
	gt_set64(t, GT_WORD(7), t->pcln);
}

/*
 * The fixture's three functions, text [0, 0x100):
 *   main.f          [0, 0x40): SP delta 0 over [0, 4), 16 over [4, 0x30),
 *                   0 over [0x30, 0x3a); [0x3a, 0x40) is padding its
 *                   table does not cover
 *   runtime.goexit  [0x40, 0x50): 0
 *   main.g          [0x50, 0x100): 0 at 0x50, then 0x1000 (two-byte
 *                   varints)
 */
static const struct gt_func gt_funcs3[] = {
	{ .off = 0x00, .name = "main.f",
	  .rows = { { 0, 4 }, { 16, 0x30 }, { 0, 0x3a } } },
	{ .off = 0x40, .name = "runtime.goexit", .rows = { { 0, 0x10 } } },
	{ .off = 0x50, .name = "main.g",
	  .rows = { { 0, 1 }, { 0x1000, 0xb0 } } },
};

#endif /* _KPM_GOP_TAB_H */
