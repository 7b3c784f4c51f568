// SPDX-License-Identifier: GPL-2.0
/*
 * gopclntab_test - the Go unwind-table core (module/gopclntab.c,
 * unchanged) in userspace under ASan/UBSan, kselftest harness.
 *
 * Synthetic tables with known answers (both header magics), every
 * truncation of them, hostile offsets, counts, orders and pc-value
 * tables, the work bounds, the reader's page-sized chunks; every lookup
 * through a reader that counts reads outside the table (there must be
 * none). Then Go's runtime as the oracle: gopcsp_oracle
 * ($KPM_GOP_ORACLE, built by the Makefile with the Go toolchain) prints
 * the SP delta its own runtime computes at every byte of its text, and
 * every one is compared with this code's reading of the same binary's
 * .gopclntab, found through its ELF section headers.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
#include "../../module/gopclntab.h"

#include "gop_tab.h"

/* A reader over a buffer that counts reads reaching outside it. */
struct trk {
	struct ehf_buf b;
	unsigned long reads, outside;
	u64 fail_lo, fail_hi;	/* refuse reads touching [lo, hi) */
};

static bool trk_read(void *ctx, u64 addr, void *dst, size_t len)
{
	struct trk *t = ctx;

	t->reads++;
	if (addr < t->b.vaddr || addr - t->b.vaddr > t->b.len ||
	    len > t->b.len - (addr - t->b.vaddr)) {
		t->outside++;
		return false;
	}
	if (addr < t->fail_hi && addr + len > t->fail_lo)
		return false;
	memcpy(dst, t->b.data + (addr - t->b.vaddr), len);
	return true;
}

/*
 * Look @pc up through both entry points: they must agree, and no read
 * may leave the table.
 */
static int look(struct __test_metadata *_metadata, const u8 *data,
		size_t len, u64 pc, struct ehf_rule *r)
{
	struct ehf_buf b = { .data = data, .len = len, .vaddr = GT_VADDR };
	struct trk t = { .b = b };
	struct ehf_rule m;
	int ret, mret;

	memset(r, 0, sizeof(*r));
	memset(&m, 0, sizeof(m));
	ret = gop_rule(&b, pc, r);
	mret = gop_rule_mem(trk_read, &t, GT_VADDR, len, pc, &m);
	EXPECT_EQ(0, t.outside);
	EXPECT_EQ(ret, mret);
	if (ret == EHF_OK)
		EXPECT_EQ(0, memcmp(r, &m, sizeof(m)));
	EXPECT_GE(ret, EHF_OK);
	EXPECT_LE(ret, EHF_NOREAD);
	return ret;
}

#define LOOK(t, pc, r)	look(_metadata, (t)->b, (t)->n, (pc), (r))

FIXTURE(gop) {
	struct gt t;
};

FIXTURE_SETUP(gop)
{
	memset(&self->t, 0, sizeof(self->t));
	gt_build(&self->t, GOP_MAGIC_118, gt_funcs3, 3, 0x100);
}

FIXTURE_TEARDOWN(gop)
{
	free(self->t.b);
}

static void check_rows(struct __test_metadata *_metadata, struct gt *t)
{
	struct ehf_rule r;

	ASSERT_EQ(EHF_OK, LOOK(t, GT_TEXT, &r));
	EXPECT_EQ(EHF_CFA_SP, r.cfa_base);
	EXPECT_EQ(8, r.cfa_off);
	EXPECT_EQ(-8, r.ra_off);
	EXPECT_EQ(EHF_BP_SAME, r.bp_rule);
	EXPECT_EQ(0, r.outermost);
	EXPECT_EQ(GT_TEXT, r.row_start);
	EXPECT_EQ(GT_TEXT + 4, r.row_end);
	EXPECT_EQ(GT_TEXT, r.fde_start);
	EXPECT_EQ(GT_TEXT + 0x40, r.fde_end);

	ASSERT_EQ(EHF_OK, LOOK(t, GT_TEXT + 4, &r));
	EXPECT_EQ(24, r.cfa_off);
	EXPECT_EQ(GT_TEXT + 4, r.row_start);
	EXPECT_EQ(GT_TEXT + 0x30, r.row_end);
	ASSERT_EQ(EHF_OK, LOOK(t, GT_TEXT + 0x2f, &r));
	EXPECT_EQ(24, r.cfa_off);
	ASSERT_EQ(EHF_OK, LOOK(t, GT_TEXT + 0x39, &r));
	EXPECT_EQ(8, r.cfa_off);
	EXPECT_EQ(GT_TEXT + 0x30, r.row_start);
	EXPECT_EQ(GT_TEXT + 0x3a, r.row_end);

	ASSERT_EQ(EHF_OK, LOOK(t, GT_TEXT + 0x41, &r));
	EXPECT_EQ(1, r.outermost);
	EXPECT_EQ(8, r.cfa_off);
	EXPECT_EQ(0, r.ra_off);
	EXPECT_EQ(GT_TEXT + 0x40, r.fde_start);
	EXPECT_EQ(GT_TEXT + 0x50, r.fde_end);

	ASSERT_EQ(EHF_OK, LOOK(t, GT_TEXT + 0x50, &r));
	EXPECT_EQ(8, r.cfa_off);
	EXPECT_EQ(GT_TEXT + 0x51, r.row_end);
	ASSERT_EQ(EHF_OK, LOOK(t, GT_TEXT + 0xff, &r));
	EXPECT_EQ(0x1008, r.cfa_off);
	EXPECT_EQ(0, r.outermost);
	EXPECT_EQ(GT_TEXT + 0x51, r.row_start);
	EXPECT_EQ(GT_TEXT + 0x100, r.row_end);
	EXPECT_EQ(GT_TEXT + 0x100, r.fde_end);
}

TEST_F(gop, rows_go118)
{
	check_rows(_metadata, &self->t);
}

TEST_F(gop, rows_go120)
{
	gt_build(&self->t, GOP_MAGIC_120, gt_funcs3, 3, 0x100);
	check_rows(_metadata, &self->t);
}

TEST_F(gop, outside_and_padding)
{
	struct ehf_rule r;

	EXPECT_EQ(EHF_NO_FDE, LOOK(&self->t, GT_TEXT - 1, &r));
	EXPECT_EQ(EHF_NO_FDE, LOOK(&self->t, 0, &r));
	EXPECT_EQ(EHF_NO_FDE, LOOK(&self->t, GT_TEXT + 0x100, &r));
	EXPECT_EQ(EHF_NO_FDE, LOOK(&self->t, GT_TEXT + 0x100000005ULL, &r));
	EXPECT_EQ(EHF_NO_FDE, LOOK(&self->t, ~0ULL, &r));
	/* Inside main.f's range, past its table: Go's runtime throws. */
	EXPECT_EQ(EHF_MALFORMED, LOOK(&self->t, GT_TEXT + 0x3a, &r));
	EXPECT_EQ(EHF_MALFORMED, LOOK(&self->t, GT_TEXT + 0x3f, &r));
	/* Functions at text offset 0x10 and on: before the first, none. */
	{
		static const struct gt_func late[] = {
			{ .off = 0x10, .name = "main.late", .rows = { { 0, 0x20 } } },
		};

		gt_build(&self->t, GOP_MAGIC_118, late, 1, 0x30);
		EXPECT_EQ(EHF_NO_FDE, LOOK(&self->t, GT_TEXT + 0xf, &r));
		EXPECT_EQ(EHF_OK, LOOK(&self->t, GT_TEXT + 0x10, &r));
		gt_build(&self->t, GOP_MAGIC_118, late, 0, 0x30);
		EXPECT_EQ(EHF_NO_FDE, LOOK(&self->t, GT_TEXT + 0x10, &r));
	}
}

TEST_F(gop, header_checks)
{
	static const u32 old[] = {
		0xfffffffbU, 0xfffffffaU, 0xfffffff2U, 0xffffffffU, 0,
		0xf0ffffffU,
	};
	struct ehf_rule r;
	unsigned int i;

	for (i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		gt_set32(&self->t, 0, old[i]);
		EXPECT_EQ(EHF_UNSUPPORTED, LOOK(&self->t, GT_TEXT, &r));
	}
	gt_set32(&self->t, 0, GOP_MAGIC_118);
	self->t.b[7] = 4;			/* 32-bit */
	EXPECT_EQ(EHF_UNSUPPORTED, LOOK(&self->t, GT_TEXT, &r));
	self->t.b[7] = 8;
	self->t.b[6] = 4;			/* arm64's minLC */
	EXPECT_EQ(EHF_UNSUPPORTED, LOOK(&self->t, GT_TEXT, &r));
	self->t.b[6] = 1;
	self->t.b[5] = 1;			/* padding */
	EXPECT_EQ(EHF_MALFORMED, LOOK(&self->t, GT_TEXT, &r));
	self->t.b[5] = 0;
	gt_set64(&self->t, GT_WORD(2), 0);	/* textStart not relocated */
	EXPECT_EQ(EHF_UNSUPPORTED, LOOK(&self->t, GT_TEXT, &r));
	gt_set64(&self->t, GT_WORD(2), GT_TEXT);
	EXPECT_EQ(EHF_OK, LOOK(&self->t, GT_TEXT, &r));
}

/*
 * Every prefix of the table: never a read past it, never OK with an
 * answer other than the whole table's, never OK without the header.
 */
TEST_F(gop, every_truncation)
{
	static const u64 pcs[] = { 0, 4, 0x39, 0x3a, 0x45, 0x50, 0xff, 0x100 };
	struct ehf_rule full[8], r;
	int want[8], ret;
	unsigned int oks = 0;
	size_t n, i;

	for (i = 0; i < 8; i++)
		want[i] = LOOK(&self->t, GT_TEXT + pcs[i], &full[i]);
	for (n = 0; n < self->t.n; n++) {
		u8 *copy = malloc(n ? n : 1);

		memcpy(copy, self->t.b, n);
		for (i = 0; i < 8; i++) {
			ret = look(_metadata, copy, n, GT_TEXT + pcs[i], &r);
			if (ret == EHF_OK) {
				oks++;
				EXPECT_EQ(EHF_OK, want[i]);
				EXPECT_EQ(0, memcmp(&r, &full[i], sizeof(r)));
				EXPECT_GE(n, 72);
			}
		}
		free(copy);
	}
	EXPECT_EQ(EHF_OK, want[0]);
	EXPECT_EQ(EHF_MALFORMED, want[3]);
	EXPECT_EQ(EHF_NO_FDE, want[7]);
	TH_LOG("%zu prefixes, %u OK answers, all the whole table's", self->t.n,
	       oks);
}

TEST_F(gop, hostile_header_values)
{
	static const u64 bad[] = {
		0, 8, 71, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
		~0ULL, ~0ULL - 71,
	};
	struct gt *t = &self->t;
	struct ehf_rule r;
	unsigned int w, i;

	/* Each offset word: below the header, at or past the end, huge. */
	for (w = 3; w <= 7; w++) {
		u64 keep;

		if (w == 4 || w == 5)
			continue;		/* cutab, filetab: unused */
		keep = *(u64 *)(t->b + GT_WORD(w));
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			gt_set64(t, GT_WORD(w), bad[i]);
			EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r)) {
				TH_LOG("word %u = %#llx", w,
				       (unsigned long long)bad[i]);
			}
		}
		gt_set64(t, GT_WORD(w), t->n);
		EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
		gt_set64(t, GT_WORD(w), keep);
	}
	/* nfunc: past the table, overflowing nfunc * 8, past u32. */
	gt_set64(t, GT_WORD(0), 1ULL << 61);
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
	gt_set64(t, GT_WORD(0), ~0ULL);
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
	gt_set64(t, GT_WORD(0), 1ULL << 32);
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
	gt_set64(t, GT_WORD(0), (t->n - t->pcln) / 8);
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
	/* nfunc 2: main.g's entry is the end: main.g is outside. */
	gt_set64(t, GT_WORD(0), 2);
	EXPECT_EQ(EHF_OK, LOOK(t, GT_TEXT + 4, &r));
	EXPECT_EQ(EHF_NO_FDE, LOOK(t, GT_TEXT + 0x50, &r));
	gt_set64(t, GT_WORD(0), 3);
	/* textStart so high that pc - text is past u32, or the end wraps. */
	gt_set64(t, GT_WORD(2), ~0ULL - 0x20);
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, ~0ULL - 0x10, &r));
	gt_set64(t, GT_WORD(2), GT_TEXT);
	/* A table whose end wraps the address space. */
	{
		struct ehf_buf b = { .data = t->b, .len = t->n, .vaddr = ~0ULL - 8 };

		EXPECT_EQ(EHF_MALFORMED, gop_rule(&b, GT_TEXT, &r));
	}
}

TEST_F(gop, hostile_function_table)
{
	struct gt *t = &self->t;
	struct ehf_rule r;
	u64 pc;

	/* Out of order: main.g's entry (0x50) made 0x20, inside main.f.
	 * Lookups never answer from the wrong function: main.f's PCs are
	 * still main.f's, main.g's are refused (its _func says 0x50).
	 */
	gt_set32(t, t->pcln + 16, 0x20);
	for (pc = 0; pc < 0x100; pc++) {
		int ret = LOOK(t, GT_TEXT + pc, &r);

		if (ret == EHF_OK) {
			EXPECT_EQ(GT_TEXT, r.fde_start);
			EXPECT_EQ(GT_TEXT + 0x40, r.fde_end);
			EXPECT_LT(pc, 0x40);
		} else {
			EXPECT_TRUE(pc >= 0x3a);
		}
	}
	gt_set32(t, t->pcln + 16, 0x50);
	/* The end entry below the last function: the text ends there. */
	gt_set32(t, t->pcln + 24, 0x10);
	EXPECT_EQ(EHF_NO_FDE, LOOK(t, GT_TEXT + 0x60, &r));
	EXPECT_EQ(EHF_NO_FDE, LOOK(t, GT_TEXT + 0x10, &r));
	EXPECT_EQ(EHF_OK, LOOK(t, GT_TEXT + 0x8, &r));
	gt_set32(t, t->pcln + 24, 0x100);
	/* funcoff past the table, or pointing at another _func. */
	gt_set32(t, t->pcln + 4, 0xfffffff0U);
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
	gt_set32(t, t->pcln + 4, (u32)(t->n - t->pcln - 8));
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
	gt_set32(t, t->pcln + 4, (u32)(t->func[1] - t->pcln));
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
	gt_set32(t, t->pcln + 4, (u32)(t->func[0] - t->pcln));
	EXPECT_EQ(EHF_OK, LOOK(t, GT_TEXT + 4, &r));
}

TEST_F(gop, hostile_func_fields)
{
	struct gt *t = &self->t;
	size_t f = t->func[0];
	struct ehf_rule r;

	gt_set32(t, f + 4, 0x80000000U);	/* nameOff negative */
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
	gt_set32(t, f + 4, 0x7fffffffU);	/* past the table */
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
	t->b[t->n - 1] = 'x';			/* no NUL before the end */
	gt_set32(t, f + 4, (u32)(t->n - t->names - 1));
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
	t->b[t->n - 1] = 0;
	gt_set32(t, f + 4, 0);			/* the empty name */
	EXPECT_EQ(EHF_OK, LOOK(t, GT_TEXT + 4, &r));
	gt_set32(t, f + 4, (u32)t->nameoff[1]);	/* now runtime.goexit */
	ASSERT_EQ(EHF_OK, LOOK(t, GT_TEXT + 4, &r));
	EXPECT_EQ(1, r.outermost);
	gt_set32(t, f + 4, (u32)t->nameoff[1] + 1);	/* "untime.goexit" */
	ASSERT_EQ(EHF_OK, LOOK(t, GT_TEXT + 4, &r));
	EXPECT_EQ(0, r.outermost);
	gt_set32(t, f + 4, (u32)t->nameoff[0]);

	gt_set32(t, f + 16, 0);			/* no pcsp table */
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
	gt_set32(t, f + 16, 0xffffffffU);
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
	gt_set32(t, f + 16, (u32)(t->n - t->pctab));	/* at the very end */
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
	gt_set32(t, f + 16, (u32)t->pcsp[0]);
	gt_set32(t, f, 0x8);			/* entryOff disagrees */
	EXPECT_EQ(EHF_MALFORMED, LOOK(t, GT_TEXT + 4, &r));
	gt_set32(t, f, 0);
	EXPECT_EQ(EHF_OK, LOOK(t, GT_TEXT + 4, &r));
}

TEST(hostile_pc_value_tables)
{
	/* value -1 -> -3 at entry; a 6-byte varint; an end before pc; a
	 * value overflowing cfa_off; a 0 value delta at the entry (a value,
	 * not the end).
	 */
	static const u8 neg[] = { 0x03, 0x10, 0x00 };
	static const u8 longv[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x10 };
	static const u8 short_[] = { 0x02, 0x01, 0x00 };
	static const u8 huge[] = { 0xfc, 0xff, 0xff, 0xff, 0x0f, 0x10, 0x00 };
	static const u8 zero_first[] = { 0x00, 0x04, 0x22, 0x10, 0x00 };
	static const struct { const u8 *raw; size_t len; int want; } c[] = {
		{ neg, sizeof(neg), EHF_MALFORMED },
		{ longv, sizeof(longv), EHF_MALFORMED },
		{ short_, sizeof(short_), EHF_MALFORMED },
		{ huge, sizeof(huge), EHF_MALFORMED },
		{ zero_first, sizeof(zero_first), EHF_OK },
	};
	struct gt t = { 0 };
	struct ehf_rule r;
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct gt_func f = { .off = 0, .name = "main.h", .raw = c[i].raw,
				     .raw_len = c[i].len };

		gt_build(&t, GOP_MAGIC_118, &f, 1, 0x20);
		EXPECT_EQ(c[i].want, LOOK(&t, GT_TEXT + 8, &r)) {
			TH_LOG("case %u", i);
		}
	}
	/* zero_first: a 0 value delta at the entry is a value, -1 over
	 * [0, 4), then 16 from 4.
	 */
	{
		struct gt_func f = { .off = 0, .name = "main.h", .raw = zero_first,
				     .raw_len = sizeof(zero_first) };

		gt_build(&t, GOP_MAGIC_118, &f, 1, 0x20);
		EXPECT_EQ(EHF_MALFORMED, LOOK(&t, GT_TEXT + 2, &r));	/* -1 */
		ASSERT_EQ(EHF_OK, LOOK(&t, GT_TEXT + 8, &r));
		EXPECT_EQ(24, r.cfa_off);
		EXPECT_EQ(GT_TEXT + 4, r.row_start);
	}
	free(t.b);
}

/* A pcsp table that runs off the end of the section: the last bytes of
 * the table are its unterminated pairs (pclntab placed before pctab).
 */
TEST(pc_value_table_at_section_end)
{
	struct gt t = { 0 };
	struct ehf_rule r;
	size_t at, i;

	gt_build(&t, GOP_MAGIC_118, gt_funcs3, 1, 0x40);
	at = t.n;
	for (i = 0; i < 16; i++) {	/* +1, one byte, 16 times */
		gt_put8(&t, 0x02);
		gt_put8(&t, 0x01);
	}
	gt_set64(&t, GT_WORD(6), at - 1);
	gt_set32(&t, t.func[0] + 16, 1);
	ASSERT_EQ(EHF_OK, LOOK(&t, GT_TEXT + 3, &r));
	EXPECT_EQ(8 + 3, r.cfa_off);
	EXPECT_EQ(EHF_MALFORMED, LOOK(&t, GT_TEXT + 0x20, &r));
	free(t.b);
}

TEST(budgets)
{
	struct gt t = { 0 };
	struct gt_func f = { .off = 0, .name = "main.endless" };
	struct ehf_rule r;
	u8 *raw = malloc(2 * (GOP_MAX_STEPS + 8));
	size_t i;

	/* Pairs of (+1, pc + 0): the PC never moves, the value grows. */
	for (i = 0; i < GOP_MAX_STEPS + 8; i++) {
		raw[2 * i] = 0x02;
		raw[2 * i + 1] = 0x00;
	}
	f.raw = raw;
	f.raw_len = 2 * (GOP_MAX_STEPS + 8);
	gt_build(&t, GOP_MAGIC_118, &f, 1, 0x100);
	EXPECT_EQ(EHF_BUDGET, LOOK(&t, GT_TEXT, &r));

	/* A PC delta of 1 a pair: a value delta of 0 would end the table,
	 * so +2 first, then -1 and +1 in turn (values 1, 0, 1, 0, ...),
	 * past the budget.
	 */
	for (i = 0; i < GOP_MAX_STEPS + 8; i++) {
		raw[2 * i] = !i ? 0x04 : i % 2 ? 0x01 : 0x02;
		raw[2 * i + 1] = 0x01;
	}
	gt_build(&t, GOP_MAGIC_118, &f, 1, 0x20000);
	ASSERT_EQ(EHF_OK, LOOK(&t, GT_TEXT + 0x101, &r));
	EXPECT_EQ(8 + 0, r.cfa_off);
	ASSERT_EQ(EHF_OK, LOOK(&t, GT_TEXT + 0x100, &r));
	EXPECT_EQ(8 + 1, r.cfa_off);
	EXPECT_EQ(EHF_OK, LOOK(&t, GT_TEXT + GOP_MAX_STEPS - 1, &r));
	EXPECT_EQ(EHF_BUDGET, LOOK(&t, GT_TEXT + GOP_MAX_STEPS, &r));
	EXPECT_EQ(EHF_BUDGET, LOOK(&t, GT_TEXT + 0x1ffff, &r));
	free(raw);
	free(t.b);
}

/*
 * The reader: NOREAD when it fails on bytes the answer needs; OK when it
 * would fail only past a page boundary the answer does not reach.
 */
TEST_F(gop, reader_pages)
{
	struct gt *t = &self->t;
	struct ehf_rule r, m;
	struct trk k;
	u64 end0, vaddr;

	/* Place main.f's pcsp table so it ends at a page boundary. */
	end0 = t->pctab + t->pcsp[1];		/* main.f's table ends here */
	vaddr = 0x500000 - end0;
	k = (struct trk){
		.b = { .data = t->b, .len = t->n, .vaddr = vaddr },
		.fail_lo = 0x500000, .fail_hi = vaddr + t->pcln,
	};
	ASSERT_EQ(EHF_OK, gop_rule(&k.b, GT_TEXT + 0x39, &r));
	ASSERT_EQ(EHF_OK, gop_rule_mem(trk_read, &k, vaddr, t->n,
				       GT_TEXT + 0x39, &m));
	EXPECT_EQ(0, memcmp(&r, &m, sizeof(r)));
	EXPECT_EQ(EHF_NOREAD, gop_rule_mem(trk_read, &k, vaddr, t->n,
					   GT_TEXT + 0x60, &m));
	EXPECT_EQ(0, k.outside);
	/* Fail the header, the function table, the name. */
	k.fail_lo = vaddr;
	k.fail_hi = vaddr + 1;
	EXPECT_EQ(EHF_NOREAD, gop_rule_mem(trk_read, &k, vaddr, t->n, GT_TEXT, &m));
	k.fail_lo = vaddr + t->pcln;
	k.fail_hi = vaddr + t->pcln + 1;
	EXPECT_EQ(EHF_NOREAD, gop_rule_mem(trk_read, &k, vaddr, t->n, GT_TEXT, &m));
	k.fail_lo = vaddr + t->names + t->nameoff[0];
	k.fail_hi = k.fail_lo + 1;
	EXPECT_EQ(EHF_NOREAD, gop_rule_mem(trk_read, &k, vaddr, t->n, GT_TEXT, &m));
	EXPECT_EQ(0, k.outside);
}

/* --- Go's runtime as the oracle --- */

/* The bytes of @path's section @name, found by its section headers. */
static int load_section(const char *path, const char *name, u8 **file,
			struct ehf_buf *sec)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const char *strs;
	FILE *f = fopen(path, "rb");
	long n;
	u8 *d;
	int i;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	d = malloc(n > 0 ? n : 1);
	if (n <= 0 || fread(d, 1, n, f) != (size_t)n) {
		fclose(f);
		free(d);
		return -1;
	}
	fclose(f);
	*file = d;
	eh = (const Elf64_Ehdr *)d;
	if ((size_t)n < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(*sh) || eh->e_shoff > (u64)n ||
	    (u64)eh->e_shnum * sizeof(*sh) > n - eh->e_shoff ||
	    eh->e_shstrndx >= eh->e_shnum)
		return -1;
	sh = (const Elf64_Shdr *)(d + eh->e_shoff);
	if (sh[eh->e_shstrndx].sh_offset > (u64)n ||
	    sh[eh->e_shstrndx].sh_size > n - sh[eh->e_shstrndx].sh_offset)
		return -1;
	strs = (const char *)d + sh[eh->e_shstrndx].sh_offset;
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_name >= sh[eh->e_shstrndx].sh_size ||
		    strncmp(strs + sh[i].sh_name, name,
			    sh[eh->e_shstrndx].sh_size - sh[i].sh_name))
			continue;
		if (sh[i].sh_type != SHT_PROGBITS || sh[i].sh_offset > (u64)n ||
		    sh[i].sh_size > n - sh[i].sh_offset)
			return -1;
		*sec = (struct ehf_buf){
			.data = d + sh[i].sh_offset, .len = sh[i].sh_size,
			.vaddr = sh[i].sh_addr,
		};
		return 0;
	}
	return -1;
}

struct ostats {
	unsigned long funcs, pcs, padding, mismatches, outermost_funcs;
	unsigned long goexit_pcs, row_ends, fde_ends;
};

static bool is_outermost(const char *name)
{
	return !strcmp(name, "runtime.goexit") ||
	       !strcmp(name, "runtime.mstart") ||
	       !strcmp(name, "runtime.rt0_go");
}

#define MISMATCH(st, ...) do {					\
	if ((st)->mismatches++ < 10)				\
		fprintf(stderr, "# " __VA_ARGS__);		\
} while (0)

TEST(go_runtime_oracle)
{
	const char *oracle = getenv("KPM_GOP_ORACLE");
	char cmd[1024], line[1024], name[512] = "";
	struct ostats st = { 0 };
	struct ehf_buf tab;
	struct ehf_rule r, prev = { 0 };
	unsigned long end_pcs = 0, end_funcs = 0;
	u64 entry = 0, prev_pc = 0, fde_end = 0;
	bool have_prev = false, outer = false, ended = false;
	u8 *file = NULL;
	FILE *f;

	if (!oracle)
		oracle = "gopcsp_oracle/gopcsp_oracle";
	ASSERT_EQ(0, load_section(oracle, ".gopclntab", &file, &tab)) {
		TH_LOG("no .gopclntab in %s (make builds it with go)", oracle);
	}
	snprintf(cmd, sizeof(cmd), "'%s'", oracle);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long pc, start;
		long sp;
		char rest[64];
		int ret;

		if (sscanf(line, "E %lu %lu", &end_pcs, &end_funcs) == 2) {
			ended = true;
			continue;
		}
		if (line[0] == 'F') {
			unsigned long long e;

			name[0] = 0;
			if (sscanf(line, "F %llx %511s", &e, name) < 1)
				continue;
			/* The previous function ends where this one starts. */
			if (fde_end) {
				st.fde_ends++;
				if (fde_end != e)
					MISMATCH(&st, "fde_end %#llx, next entry %#llx\n",
						 (unsigned long long)fde_end, e);
			}
			fde_end = 0;
			entry = e;
			st.funcs++;
			outer = is_outermost(name);
			st.outermost_funcs += outer;
			have_prev = false;
			continue;
		}
		if (sscanf(line, "%llx %63s", &pc, rest) != 2)
			continue;
		st.pcs++;
		{
			struct trk k = { .b = tab };
			struct ehf_rule m;
			int mret;

			memset(&r, 0, sizeof(r));
			memset(&m, 0, sizeof(m));
			ret = gop_rule(&tab, pc, &r);
			mret = gop_rule_mem(trk_read, &k, tab.vaddr, tab.len, pc, &m);
			if (mret != ret || k.outside ||
			    (ret == EHF_OK && memcmp(&r, &m, sizeof(r))))
				MISMATCH(&st, "%#llx: buffer %d, reader %d\n", pc,
					 ret, mret);
		}
		if (!strcmp(rest, "-")) {
			st.padding++;
			if (ret != EHF_MALFORMED)
				MISMATCH(&st, "%#llx: padding, we %d\n", pc, ret);
			have_prev = false;
			continue;
		}
		if (sscanf(line, "%llx %ld %llx", &pc, &sp, &start) != 3) {
			MISMATCH(&st, "bad line %s", line);
			continue;
		}
		if (ret != EHF_OK || r.cfa_off != sp + 8 ||
		    r.row_start != start || r.fde_start != entry ||
		    r.outermost != outer || r.row_end <= pc ||
		    r.row_end > r.fde_end || r.cfa_base != EHF_CFA_SP ||
		    r.ra_off != (outer ? 0 : -8)) {
			MISMATCH(&st, "%#llx (%s): go %ld from %#llx; we %d cfa %d row %#llx..%#llx fde %#llx..%#llx outermost %d\n",
				 pc, name, sp, start, ret, r.cfa_off,
				 (unsigned long long)r.row_start,
				 (unsigned long long)r.row_end,
				 (unsigned long long)r.fde_start,
				 (unsigned long long)r.fde_end, r.outermost);
			continue;
		}
		if (!strcmp(name, "runtime.goexit"))
			st.goexit_pcs++;
		fde_end = r.fde_end;
		/* Our previous row ends exactly where Go starts a new one. */
		if (have_prev && prev_pc + 1 == pc && prev.row_end == pc) {
			st.row_ends++;
			if (start != pc)
				MISMATCH(&st, "%#llx: our row ended, go's from %#llx\n",
					 pc, start);
		} else if (have_prev && prev_pc + 1 == pc && start != prev.row_start) {
			MISMATCH(&st, "%#llx: go starts a row at %#llx inside ours\n",
				 pc, start);
		}
		have_prev = true;
		prev_pc = pc;
		prev = r;
	}
	EXPECT_EQ(0, pclose(f));
	free(file);
	TH_LOG("%lu functions, %lu PCs compared (%lu in padding no pcsp table covers), %lu row ends and %lu function ends checked, %lu outermost functions (runtime.goexit: %lu PCs), %lu mismatches",
	       st.funcs, st.pcs, st.padding, st.row_ends, st.fde_ends,
	       st.outermost_funcs, st.goexit_pcs, st.mismatches);
	EXPECT_TRUE(ended);
	EXPECT_EQ(end_pcs, st.pcs);
	EXPECT_EQ(end_funcs, st.funcs);
	EXPECT_GT(st.funcs, 1000);
	EXPECT_GT(st.pcs, 100000);
	EXPECT_EQ(3, st.outermost_funcs);
	EXPECT_GT(st.goexit_pcs, 0);
	EXPECT_EQ(0, st.mismatches);
}

TEST_HARNESS_MAIN
