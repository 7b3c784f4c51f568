// SPDX-License-Identifier: GPL-2.0
/*
 * ehframe_test - the unwind-rule core (module/ehframe.c, unchanged) in
 * userspace under ASan/UBSan, kselftest harness.
 *
 * Synthetic CIE/FDE programs with known answers, every truncation of
 * them, hostile lengths and pointers, the work bounds; then real files
 * checked row by row against binutils' own interpretation of the same
 * tables (`readelf --debug-dump=frames-interp`), an oracle independent of
 * this code. Files: libc and gzip of the host, plus $KPM_EHF_FILES
 * (space-separated paths).
 */
#define _GNU_SOURCE
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
#include "../../module/ehframe.h"

#include "ehf_buf_read.h"

/* --- building synthetic sections --- */

struct sec {
	u8 b[8192];
	size_t n;
};

static void put(struct sec *s, const void *p, size_t n)
{
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void put8(struct sec *s, u8 v)
{
	put(s, &v, 1);
}

static void put32(struct sec *s, u32 v)
{
	put(s, &v, 4);
}

static void put_bytes(struct sec *s, const char *hex)
{
	unsigned int v;

	while (sscanf(hex, "%2x", &v) == 1) {
		put8(s, (u8)v);
		hex += 2;
		while (*hex == ' ')
			hex++;
	}
}

#define EH_VADDR	0x10000
#define HDR_VADDR	0x0f000

/* The x86-64 CIE GCC emits: "zR", cf 1, df -8, ra 16, pcrel|sdata4,
 * CFA = rsp + 8, ra at CFA - 8. Returns its offset.
 */
static size_t put_cie(struct sec *eh, const char *extra_insns)
{
	size_t at = eh->n, len_at;

	len_at = eh->n;
	put32(eh, 0);
	put32(eh, 0);				/* CIE id */
	put_bytes(eh, "01 7a 52 00 01 78 10 01 1b");
	put_bytes(eh, "0c 07 08 90 01");	/* def_cfa rsp 8; ra at cfa-8 */
	if (extra_insns)
		put_bytes(eh, extra_insns);
	while ((eh->n - len_at - 4) % 8)
		put8(eh, 0);
	*(u32 *)(eh->b + len_at) = (u32)(eh->n - len_at - 4);
	return at;
}

/* An FDE for [start, start + len) with @insns (hex). */
static size_t put_fde(struct sec *eh, size_t cie, u64 start, u32 len,
		      const char *insns)
{
	size_t at = eh->n;
	s32 rel;

	put32(eh, 0);
	put32(eh, (u32)(eh->n - cie));		/* CIE pointer */
	rel = (s32)(start - (EH_VADDR + eh->n));
	put32(eh, (u32)rel);			/* pc_begin, pcrel */
	put32(eh, len);
	put8(eh, 0);				/* augmentation data */
	put_bytes(eh, insns);
	while ((eh->n - at - 4) % 8)
		put8(eh, 0);
	*(u32 *)(eh->b + at) = (u32)(eh->n - at - 4);
	return at;
}

/* .eh_frame_hdr for @n FDEs at offsets @fde with starts @pc (sorted). */
static void put_hdr(struct sec *hdr, const size_t *fde, const u64 *pc,
		    unsigned int n)
{
	unsigned int i;

	put_bytes(hdr, "01 1b 03 3b");
	put32(hdr, (u32)(EH_VADDR - (HDR_VADDR + 4)));
	put32(hdr, n);
	for (i = 0; i < n; i++) {
		put32(hdr, (u32)(s32)(pc[i] - HDR_VADDR));
		put32(hdr, (u32)(s32)(EH_VADDR + fde[i] - HDR_VADDR));
	}
}

static struct ehf_buf buf_of(const struct sec *s, u64 vaddr)
{
	return (struct ehf_buf){ .data = s->b, .len = s->n, .vaddr = vaddr };
}

/*
 * A frame-pointer function at 0x1000: push rbp (1 byte); mov rbp, rsp
 * (3 bytes); body; leave at 0x1040 then ret.
 */
#define FP_PROGRAM "41 0e 10 86 02 43 0d 06 7c 0c 07 08"

FIXTURE(eh) {
	struct sec eh, hdr;
	struct ehf_buf ehb, hdrb;
	size_t cie, fde[3];
};

FIXTURE_SETUP(eh)
{
	static const u64 pcs[3] = { 0x1000, 0x1100, 0x1200 };

	memset(&self->eh, 0, sizeof(self->eh));
	memset(&self->hdr, 0, sizeof(self->hdr));
	self->cie = put_cie(&self->eh, NULL);
	self->fde[0] = put_fde(&self->eh, self->cie, 0x1000, 0x41,
			       FP_PROGRAM);
	/* remember; epilogue; restore (the common early-return shape) */
	self->fde[1] = put_fde(&self->eh, self->cie, 0x1100, 0x40,
			       "41 0e 10 8e 02 48 0a 41 0e 08 41 0b");
	/* PLT-like: CFA is an expression */
	self->fde[2] = put_fde(&self->eh, self->cie, 0x1200, 0x30,
			       "0f 03 77 08 06");
	put32(&self->eh, 0);			/* terminator */
	put_hdr(&self->hdr, self->fde, pcs, 3);
	self->ehb = buf_of(&self->eh, EH_VADDR);
	self->hdrb = buf_of(&self->hdr, HDR_VADDR);
}

FIXTURE_TEARDOWN(eh)
{
}

TEST_F(eh, frame_pointer_function_rows)
{
	struct ehf_rule r;

	ASSERT_EQ(EHF_OK, ehf_lookup(&self->hdrb, &self->ehb, 0x1000, &r));
	EXPECT_EQ(EHF_CFA_SP, r.cfa_base);
	EXPECT_EQ(8, r.cfa_off);
	EXPECT_EQ(-8, r.ra_off);
	EXPECT_EQ(EHF_BP_SAME, r.bp_rule);
	EXPECT_EQ(0x1000, r.row_start);
	EXPECT_EQ(0x1001, r.row_end);

	ASSERT_EQ(EHF_OK, ehf_lookup(&self->hdrb, &self->ehb, 0x1002, &r));
	EXPECT_EQ(EHF_CFA_SP, r.cfa_base);
	EXPECT_EQ(16, r.cfa_off);
	EXPECT_EQ(EHF_BP_OFFSET, r.bp_rule);
	EXPECT_EQ(-16, r.bp_off);

	ASSERT_EQ(EHF_OK, ehf_lookup(&self->hdrb, &self->ehb, 0x1020, &r));
	EXPECT_EQ(EHF_CFA_BP, r.cfa_base);
	EXPECT_EQ(16, r.cfa_off);
	EXPECT_EQ(0x1004, r.row_start);
	EXPECT_EQ(0x1040, r.row_end);

	ASSERT_EQ(EHF_OK, ehf_lookup(&self->hdrb, &self->ehb, 0x1040, &r));
	EXPECT_EQ(EHF_CFA_SP, r.cfa_base);
	EXPECT_EQ(8, r.cfa_off);
	EXPECT_EQ(EHF_BP_OFFSET, r.bp_rule);	/* not restored: still saved */
	EXPECT_EQ(0x1000, r.fde_start);
	EXPECT_EQ(0x1041, r.fde_end);
}

TEST_F(eh, remember_restore_state)
{
	struct ehf_rule r;

	/* remember at 0x1109, epilogue CFA rsp+8 at 0x110a, restored to
	 * rsp+16 at 0x110b (after the early return).
	 */
	ASSERT_EQ(EHF_OK, ehf_lookup(&self->hdrb, &self->ehb, 0x1109, &r));
	EXPECT_EQ(16, r.cfa_off);
	ASSERT_EQ(EHF_OK, ehf_lookup(&self->hdrb, &self->ehb, 0x110a, &r));
	EXPECT_EQ(8, r.cfa_off);
	ASSERT_EQ(EHF_OK, ehf_lookup(&self->hdrb, &self->ehb, 0x110b, &r));
	EXPECT_EQ(16, r.cfa_off);
	EXPECT_EQ(EHF_BP_SAME, r.bp_rule);	/* r14 saved, not rbp */
}

TEST_F(eh, unsupported_and_outside)
{
	struct ehf_rule r;
	u64 fde;

	EXPECT_EQ(EHF_UNSUPPORTED,
		  ehf_lookup(&self->hdrb, &self->ehb, 0x1210, &r));
	EXPECT_EQ(EHF_CAUSE_CFA_EXPR, r.cause);
	EXPECT_EQ(EHF_NO_FDE, ehf_lookup(&self->hdrb, &self->ehb, 0xfff, &r));
	EXPECT_EQ(EHF_NO_FDE, ehf_lookup(&self->hdrb, &self->ehb, 0x1041, &r));
	EXPECT_EQ(EHF_NO_FDE, ehf_lookup(&self->hdrb, &self->ehb, 0x1230, &r));
	ASSERT_EQ(EHF_OK, ehf_find_fde(&self->hdrb, 0x1150, &fde));
	EXPECT_EQ(EH_VADDR + self->fde[1], fde);
	/* An FDE address that is really the CIE, or outside the section. */
	EXPECT_EQ(EHF_MALFORMED,
		  ehf_rule_at(&self->ehb, EH_VADDR + self->cie, 0x1000, &r));
	EXPECT_EQ(EHF_MALFORMED,
		  ehf_rule_at(&self->ehb, EH_VADDR - 4, 0x1000, &r));
	EXPECT_EQ(EHF_MALFORMED,
		  ehf_rule_at(&self->ehb, EH_VADDR + self->eh.n, 0x1000, &r));
}

/* Every prefix of both sections: never a crash, never a read past the
 * end (ASan), never OK unless the whole FDE and CIE are present.
 */
TEST_F(eh, every_truncation)
{
	struct ehf_rule r;
	size_t n, need = self->fde[0] + 4 + *(u32 *)(self->eh.b + self->fde[0]);
	int ret;

	for (n = 0; n < self->eh.n; n++) {
		u8 *copy = malloc(n ? n : 1);
		struct ehf_buf b = { .data = copy, .len = n, .vaddr = EH_VADDR };

		memcpy(copy, self->eh.b, n);
		ret = ehf_lookup(&self->hdrb, &b, 0x1020, &r);
		if (n < need) {
			EXPECT_NE(EHF_OK, ret);
		} else {
			EXPECT_EQ(EHF_OK, ret);
		}
		free(copy);
	}
	for (n = 0; n < self->hdr.n; n++) {
		u8 *copy = malloc(n ? n : 1);
		struct ehf_buf b = { .data = copy, .len = n, .vaddr = HDR_VADDR };

		memcpy(copy, self->hdr.b, n);
		ret = ehf_lookup(&b, &self->ehb, 0x1020, &r);
		if (n < self->hdr.n) {
			EXPECT_NE(EHF_OK, ret) {
				TH_LOG("hdr prefix %zu", n);
			}
		}
		free(copy);
	}
}

TEST(budgets_and_hostile_lengths)
{
	struct sec eh = { 0 }, big = { 0 };
	struct ehf_buf b;
	struct ehf_rule r;
	size_t cie, fde;
	int i;

	/* More nops than EHF_MAX_STEPS. */
	cie = put_cie(&big, NULL);
	fde = big.n;
	put32(&big, 0);
	put32(&big, (u32)(big.n - cie));
	put32(&big, (u32)(s32)(0x1000 - (EH_VADDR + big.n)));
	put32(&big, 0x100);
	put8(&big, 0);
	for (i = 0; i < EHF_MAX_STEPS + 8; i++)
		put8(&big, 0);
	*(u32 *)(big.b + fde) = (u32)(big.n - fde - 4);
	b = buf_of(&big, EH_VADDR);
	EXPECT_EQ(EHF_BUDGET, ehf_rule_at(&b, EH_VADDR + fde, 0x1080, &r));

	/* Nine remember_states: past EHF_MAX_STATE. */
	cie = put_cie(&eh, NULL);
	fde = put_fde(&eh, cie, 0x1000, 0x10,
		      "0a 0a 0a 0a 0a 0a 0a 0a 0a");
	b = buf_of(&eh, EH_VADDR);
	EXPECT_EQ(EHF_BUDGET, ehf_rule_at(&b, EH_VADDR + fde, 0x1000, &r));

	/* restore_state with nothing remembered. */
	memset(&eh, 0, sizeof(eh));
	cie = put_cie(&eh, NULL);
	fde = put_fde(&eh, cie, 0x1000, 0x10, "0b");
	b = buf_of(&eh, EH_VADDR);
	EXPECT_EQ(EHF_MALFORMED, ehf_rule_at(&b, EH_VADDR + fde, 0x1000, &r));

	/* An 11-byte LEB128 operand. */
	memset(&eh, 0, sizeof(eh));
	cie = put_cie(&eh, NULL);
	fde = put_fde(&eh, cie, 0x1000, 0x10,
		      "0e ff ff ff ff ff ff ff ff ff ff 01");
	b = buf_of(&eh, EH_VADDR);
	EXPECT_EQ(EHF_MALFORMED, ehf_rule_at(&b, EH_VADDR + fde, 0x1000, &r));

	/* A 64-bit length far past the section; a CIE pointer past the
	 * start; an advance that wraps the address space.
	 */
	memset(&eh, 0, sizeof(eh));
	put_bytes(&eh, "ff ff ff ff ff ff ff ff ff ff ff 7f 04 00 00 00");
	b = buf_of(&eh, EH_VADDR);
	EXPECT_EQ(EHF_MALFORMED, ehf_rule_at(&b, EH_VADDR, 0x1000, &r));
	memset(&eh, 0, sizeof(eh));
	put_bytes(&eh, "0c 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00");
	b = buf_of(&eh, EH_VADDR);
	EXPECT_EQ(EHF_MALFORMED, ehf_rule_at(&b, EH_VADDR, 0x1000, &r));
	memset(&eh, 0, sizeof(eh));
	cie = put_cie(&eh, NULL);
	fde = put_fde(&eh, cie, 0x1000, 0x100,
		      "04 ff ff ff ff 04 ff ff ff ff 04 ff ff ff ff 0e 10");
	b = buf_of(&eh, EH_VADDR);
	EXPECT_EQ(EHF_OK, ehf_rule_at(&b, EH_VADDR + fde, 0x1080, &r));
	EXPECT_EQ(8, r.cfa_off);
	EXPECT_EQ(0x1100, r.row_end);		/* clipped to the FDE */
}

/* Through a reader: the same answers, NOREAD on a short read, BUDGET
 * when the entry does not fit the scratch.
 */
TEST_F(eh, reader_path)
{
	struct ehf_buf half = self->ehb, short_hdr = self->hdrb;
	struct ehf_rule a, b;
	u8 scratch[256];
	u64 fde;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ASSERT_EQ(EHF_OK, ehf_find_fde_mem(ehf_test_buf_read, &self->hdrb, HDR_VADDR,
					   self->hdr.n, 0x1020, &fde));
	EXPECT_EQ(EH_VADDR + self->fde[0], fde);
	ASSERT_EQ(EHF_OK, ehf_rule_mem(ehf_test_buf_read, &self->ehb, fde, 0x1020,
				       scratch, sizeof(scratch), &a));
	ASSERT_EQ(EHF_OK, ehf_rule_at(&self->ehb, fde, 0x1020, &b));
	EXPECT_EQ(0, memcmp(&a, &b, sizeof(a)));
	EXPECT_EQ(EHF_BUDGET, ehf_rule_mem(ehf_test_buf_read, &self->ehb, fde, 0x1020,
					   scratch, 32, &a));
	half.len = self->fde[0] + 8;
	EXPECT_EQ(EHF_NOREAD, ehf_rule_mem(ehf_test_buf_read, &half, fde, 0x1020,
					   scratch, sizeof(scratch), &a));
	short_hdr.len = 16;	/* the table cannot be read */
	EXPECT_EQ(EHF_NOREAD, ehf_find_fde_mem(ehf_test_buf_read, &short_hdr,
					       HDR_VADDR, self->hdr.n,
					       0x1250, &fde));
}

/* The PLT's CFA expression: rsp + 8, or + 16 once (pc & 15) >= 11;
 * any other expression stays unsupported.
 */
TEST(plt_expression)
{
	struct sec eh = { 0 };
	struct ehf_buf b;
	struct ehf_rule r;
	size_t cie, plt, other;

	cie = put_cie(&eh, NULL);
	plt = put_fde(&eh, cie, 0x1000, 0x40,
		      "0e 10 4a 0f 0b 77 08 80 00 3f 1a 3b 2a 33 24 22");
	other = put_fde(&eh, cie, 0x2000, 0x40,
			"0f 0b 77 08 80 00 3f 1a 3c 2a 33 24 22");
	b = buf_of(&eh, EH_VADDR);
	ASSERT_EQ(EHF_OK, ehf_rule_at(&b, EH_VADDR + plt, 0x1003, &r));
	EXPECT_EQ(0, r.plt);			/* before the expression */
	EXPECT_EQ(16, r.cfa_off);
	ASSERT_EQ(EHF_OK, ehf_rule_at(&b, EH_VADDR + plt, 0x101a, &r));
	EXPECT_EQ(1, r.plt);
	EXPECT_EQ(EHF_CFA_SP, r.cfa_base);
	EXPECT_EQ(8, r.cfa_off);		/* 0xa < 11 */
	EXPECT_EQ(0x101a, r.row_start);
	EXPECT_EQ(0x101b, r.row_end);
	ASSERT_EQ(EHF_OK, ehf_rule_at(&b, EH_VADDR + plt, 0x102b, &r));
	EXPECT_EQ(16, r.cfa_off);		/* 0xb >= 11 */
	EXPECT_EQ(EHF_UNSUPPORTED,
		  ehf_rule_at(&b, EH_VADDR + other, 0x2010, &r));
	EXPECT_EQ(EHF_CAUSE_CFA_EXPR, r.cause);
}

TEST(undefined_return_address_is_outermost)
{
	struct sec eh = { 0 };
	struct ehf_buf b;
	struct ehf_rule r;
	size_t cie, fde;

	cie = put_cie(&eh, NULL);
	fde = put_fde(&eh, cie, 0x1000, 0x10, "07 10");	/* undefined rip */
	b = buf_of(&eh, EH_VADDR);
	ASSERT_EQ(EHF_OK, ehf_rule_at(&b, EH_VADDR + fde, 0x1004, &r));
	EXPECT_EQ(1, r.outermost);
}

/* --- the readelf oracle --- */

struct oracle_stats {
	unsigned long rows, mismatches, unsupported, plt;
};

/* Expected rule from readelf's CFA, rbp and ra cells. */
static int expect_rule(const char *cfa, const char *rbp, const char *ra,
		       struct ehf_rule *want)
{
	memset(want, 0, sizeof(*want));
	if (!strncmp(cfa, "rsp+", 4))
		want->cfa_base = EHF_CFA_SP;
	else if (!strncmp(cfa, "rbp+", 4))
		want->cfa_base = EHF_CFA_BP;
	else
		return EHF_UNSUPPORTED;
	want->cfa_off = atoi(cfa + 4);
	if (!strcmp(ra, "u"))
		want->outermost = 1;
	else if (ra[0] == 'c')
		want->ra_off = atoi(ra + 1);
	else
		return EHF_UNSUPPORTED;
	if (!rbp || !strcmp(rbp, "u") || !strcmp(rbp, "s")) {
		want->bp_rule = EHF_BP_SAME;
	} else if (rbp[0] == 'c') {
		want->bp_rule = EHF_BP_OFFSET;
		want->bp_off = atoi(rbp + 1);
	} else {
		return EHF_UNSUPPORTED;
	}
	return EHF_OK;
}

static void check_row(const struct ehf_buf *eh, u64 fde, u64 loc,
		      const char *cfa, const char *rbp, const char *ra,
		      struct oracle_stats *st)
{
	static u8 scratch[4096];
	struct ehf_rule want, got, viamem;
	int w, g, m;

	memset(&got, 0, sizeof(got));
	memset(&viamem, 0, sizeof(viamem));
	w = expect_rule(cfa, rbp, ra, &want);
	g = ehf_rule_at(eh, fde, loc, &got);
	m = ehf_rule_mem(ehf_test_buf_read, (void *)eh, fde, loc, scratch,
			 sizeof(scratch), &viamem);

	st->rows++;
	/* The reader path (the module's) agrees with the buffer path. */
	if (m != g || (g == EHF_OK && memcmp(&got, &viamem, sizeof(got)))) {
		if (st->mismatches++ < 10)
			fprintf(stderr, "# fde %#lx loc %#lx: buffer %d, reader %d\n",
				(unsigned long)fde, (unsigned long)loc, g, m);
	}
	if (w != EHF_OK) {
		st->unsupported++;
		/* readelf prints the PLT's expression as "exp"; we read it. */
		if (g == EHF_OK && got.plt && !strcmp(cfa, "exp")) {
			st->plt++;
			return;
		}
		if (g == EHF_OK) {
			st->mismatches++;
			fprintf(stderr, "# fde %#lx loc %#lx: readelf %s/%s, we OK\n",
				(unsigned long)fde, (unsigned long)loc, cfa, ra);
		}
		return;
	}
	if (g != EHF_OK || got.cfa_base != want.cfa_base ||
	    got.cfa_off != want.cfa_off || got.ra_off != want.ra_off ||
	    got.outermost != want.outermost || got.bp_rule != want.bp_rule ||
	    got.bp_off != want.bp_off) {
		st->mismatches++;
		if (st->mismatches < 10)
			fprintf(stderr, "# fde %#lx loc %#lx: readelf cfa %s rbp %s ra %s; we %d base %d off %d ra %d bp %d/%d\n",
				(unsigned long)fde, (unsigned long)loc, cfa,
				rbp ? rbp : "-", ra, g, got.cfa_base,
				got.cfa_off, got.ra_off, got.bp_rule,
				got.bp_off);
	}
}

/* Section bytes via objcopy: @name of @path into a malloc'd buffer. */
static int load_section(const char *path, const char *name,
			struct ehf_buf *b)
{
	char cmd[1024], tmp[] = "/tmp/ehf_secXXXXXX";
	unsigned long addr = 0;
	FILE *f;
	long n;
	u8 *data;
	int fd = mkstemp(tmp);

	if (fd < 0)
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "objcopy -O binary --only-section=%s '%s' %s 2>/dev/null && "
		 "readelf -SW '%s' | awk '$2 == \"%s\" { print $4 }'",
		 name, path, tmp, path, name);
	f = popen(cmd, "r");
	if (!f || fscanf(f, "%lx", &addr) != 1) {
		if (f)
			pclose(f);
		unlink(tmp);
		return -1;
	}
	pclose(f);
	f = fopen(tmp, "rb");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = malloc(n ? n : 1);
	if (fread(data, 1, n, f) != (size_t)n)
		n = 0;
	fclose(f);
	unlink(tmp);
	b->data = data;
	b->len = n;
	b->vaddr = addr;
	return n ? 0 : -1;
}

/* One row as readelf prints it: CFA, rbp ("" when no column), ra. */
struct orow {
	unsigned long loc;
	char cfa[16], rbp[16], ra[16];
};

/* One entry of readelf's listing, finished when the next one starts. */
struct oentry {
	bool fde;
	unsigned long off, cie, lo;
	struct orow rows[256];
	unsigned int n;
};

#define MAX_CIES 4096

struct ocies {
	unsigned long off[MAX_CIES];
	struct orow row[MAX_CIES];
	unsigned int n;
};

static void oracle_finish(const struct ehf_buf *eh, struct oentry *e,
			  struct ocies *cies, struct oracle_stats *st)
{
	const struct orow *r;
	unsigned int i;

	if (!e->fde) {
		if (e->n && cies->n < MAX_CIES) {
			cies->off[cies->n] = e->off;
			cies->row[cies->n++] = e->rows[0];
		}
		return;
	}
	for (i = 0; i < e->n; i++) {
		r = &e->rows[i];
		check_row(eh, eh->vaddr + e->off, r->loc, r->cfa,
			  r->rbp[0] ? r->rbp : NULL, r->ra, st);
	}
	if (e->n)
		return;
	for (i = 0; i < cies->n; i++) {	/* no rows: its CIE's row */
		if (cies->off[i] != e->cie)
			continue;
		r = &cies->row[i];
		check_row(eh, eh->vaddr + e->off, e->lo, r->cfa,
			  r->rbp[0] ? r->rbp : NULL, r->ra, st);
	}
}

/* Compare every row readelf prints for @path; returns 0 if compared. */
static int oracle_file(const char *path, struct oracle_stats *st)
{
	static struct oentry e;
	static struct ocies cies;
	char cmd[1024], line[512];
	int rbp_col = -1, ra_col = -1, started = 0;
	struct ehf_buf eh;
	unsigned long off, cie, lo, hi;
	FILE *f;

	if (load_section(path, ".eh_frame", &eh))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "readelf --debug-dump=frames-interp '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	memset(&cies, 0, sizeof(cies));
	while (fgets(line, sizeof(line), f)) {
		char *cell[24], *tok;
		int k = 0;

		if (sscanf(line, "%lx %*x %*x FDE cie=%lx pc=%lx..%lx", &off,
			   &cie, &lo, &hi) == 4 ||
		    (sscanf(line, "%lx %*x %*x CI%c", &off, (char *)&hi) == 2 &&
		     strstr(line, " CIE "))) {
			if (started)
				oracle_finish(&eh, &e, &cies, st);
			started = 1;
			memset(&e, 0, sizeof(e));
			e.fde = strstr(line, " FDE ") != NULL;
			e.off = off;
			e.cie = cie;
			e.lo = lo;
			continue;
		}
		/* "r10 (r10)" is one cell: drop the parenthesised name */
		for (tok = strtok(line, " \n"); tok && k < 24;
		     tok = strtok(NULL, " \n"))
			if (tok[0] != '(')
				cell[k++] = tok;
		if (k >= 2 && !strcmp(cell[0], "LOC")) {
			rbp_col = ra_col = -1;
			for (int i = 0; i < k; i++) {
				if (!strcmp(cell[i], "rbp"))
					rbp_col = i;
				if (!strcmp(cell[i], "ra"))
					ra_col = i;
			}
			continue;
		}
		if (!started || ra_col < 0 || k <= ra_col ||
		    strlen(cell[0]) != 16 || e.n == 256)
			continue;
		e.rows[e.n].loc = strtoul(cell[0], NULL, 16);
		snprintf(e.rows[e.n].cfa, 16, "%s", cell[1]);
		snprintf(e.rows[e.n].rbp, 16, "%s",
			 rbp_col > 0 && rbp_col < k ? cell[rbp_col] : "");
		snprintf(e.rows[e.n].ra, 16, "%s", cell[ra_col]);
		e.n++;
	}
	if (started)
		oracle_finish(&eh, &e, &cies, st);
	pclose(f);
	free((void *)eh.data);
	return 0;
}

TEST(readelf_oracle_on_real_files)
{
	static const char *const fixed[] = {
		"/lib/x86_64-linux-gnu/libc.so.6", "/usr/bin/gzip",
	};
	struct oracle_stats st = { 0 };
	char *extra = getenv("KPM_EHF_FILES"), *save = NULL, *p;
	unsigned int i, files = 0;

	for (i = 0; i < 2; i++)
		if (!oracle_file(fixed[i], &st))
			files++;
	if (extra) {
		extra = strdup(extra);
		for (p = strtok_r(extra, " ", &save); p;
		     p = strtok_r(NULL, " ", &save))
			if (!oracle_file(p, &st))
				files++;
		free(extra);
	}
	TH_LOG("%u files, %lu rows compared, %lu unsupported by readelf's reading (%lu of them PLT rows we read), %lu mismatches",
	       files, st.rows, st.unsupported, st.plt, st.mismatches);
	ASSERT_GE(files, 2);
	EXPECT_GT(st.rows, 10000);
	EXPECT_EQ(0, st.mismatches);
}

TEST_HARNESS_MAIN
