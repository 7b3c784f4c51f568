// SPDX-License-Identifier: GPL-2.0
/*
 * ehframe.c - the unwind rule at one PC from .eh_frame_hdr/.eh_frame;
 * see ehframe.h
 *
 * Pure code: no kernel call, no allocation, no libc. Every read goes
 * through struct ehf_cur, which checks its bounds; a failed read marks
 * the cursor bad and returns 0, and the caller checks once per step.
 */
#include <linux/types.h>
#include <linux/kernel.h>

#include "ehframe.h"

/* DWARF pointer encodings (DW_EH_PE_*). */
#define PE_ABSPTR	0x00
#define PE_ULEB128	0x01
#define PE_UDATA2	0x02
#define PE_UDATA4	0x03
#define PE_UDATA8	0x04
#define PE_SLEB128	0x09
#define PE_SDATA2	0x0a
#define PE_SDATA4	0x0b
#define PE_SDATA8	0x0c
#define PE_PCREL	0x10
#define PE_DATAREL	0x30
#define PE_INDIRECT	0x80
#define PE_OMIT		0xff

/* Call-frame instructions (DW_CFA_*), high two bits first. */
#define CFA_ADVANCE_LOC		0x40
#define CFA_OFFSET		0x80
#define CFA_RESTORE		0xc0
#define CFA_NOP			0x00
#define CFA_SET_LOC		0x01
#define CFA_ADVANCE_LOC1	0x02
#define CFA_ADVANCE_LOC2	0x03
#define CFA_ADVANCE_LOC4	0x04
#define CFA_OFFSET_EXTENDED	0x05
#define CFA_RESTORE_EXTENDED	0x06
#define CFA_UNDEFINED		0x07
#define CFA_SAME_VALUE		0x08
#define CFA_REGISTER		0x09
#define CFA_REMEMBER_STATE	0x0a
#define CFA_RESTORE_STATE	0x0b
#define CFA_DEF_CFA		0x0c
#define CFA_DEF_CFA_REGISTER	0x0d
#define CFA_DEF_CFA_OFFSET	0x0e
#define CFA_DEF_CFA_EXPRESSION	0x0f
#define CFA_EXPRESSION		0x10
#define CFA_OFFSET_EXTENDED_SF	0x11
#define CFA_DEF_CFA_SF		0x12
#define CFA_DEF_CFA_OFFSET_SF	0x13
#define CFA_VAL_OFFSET		0x14
#define CFA_VAL_OFFSET_SF	0x15
#define CFA_VAL_EXPRESSION	0x16
#define CFA_GNU_ARGS_SIZE	0x2e
#define CFA_GNU_NEG_OFFSET_EXT	0x2f

/* A bounded reader over one buffer; @vaddr is the address of @base[0]. */
struct ehf_cur {
	const u8 *base;
	size_t pos;
	size_t end;
	u64 vaddr;
	bool bad;
};

static bool ehf_take(struct ehf_cur *c, size_t n)
{
	if (c->bad || n > c->end - c->pos) {
		c->bad = true;
		return false;
	}
	return true;
}

static u64 ehf_le(struct ehf_cur *c, unsigned int n)
{
	u64 v = 0;
	unsigned int i;

	if (!ehf_take(c, n))
		return 0;
	for (i = 0; i < n; i++)
		v |= (u64)c->base[c->pos + i] << (8 * i);
	c->pos += n;
	return v;
}

static u8 ehf_u8(struct ehf_cur *c)
{
	return (u8)ehf_le(c, 1);
}

/* LEB128: at most 10 bytes; bits past 64 are an error. */
static u64 ehf_leb(struct ehf_cur *c, bool sign)
{
	unsigned int shift = 0;
	u64 v = 0;
	u8 b;

	do {
		if (shift >= 64) {
			c->bad = true;
			return 0;
		}
		b = ehf_u8(c);
		if (c->bad)
			return 0;
		v |= (u64)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (sign && shift < 64 && (b & 0x40))
		v |= ~0ULL << shift;
	return v;
}

static u64 ehf_uleb(struct ehf_cur *c)
{
	return ehf_leb(c, false);
}

static s64 ehf_sleb(struct ehf_cur *c)
{
	return (s64)ehf_leb(c, true);
}

/* Skip a DWARF expression block (ULEB length, then bytes). */
static void ehf_skip_block(struct ehf_cur *c)
{
	u64 n = ehf_uleb(c);

	if (!c->bad && ehf_take(c, n < SIZE_MAX ? (size_t)n : SIZE_MAX))
		c->pos += n;
}

/*
 * A pointer in encoding @enc. @datarel is the base of DW_EH_PE_datarel
 * (the .eh_frame_hdr's address); pcrel is relative to the field itself.
 * Indirect, textrel, funcrel and aligned pointers are not used by x86-64
 * toolchains for what we read: an error.
 */
static u64 ehf_ptr(struct ehf_cur *c, u8 enc, u64 datarel)
{
	u64 field = c->vaddr + c->pos, v;

	if (enc == PE_OMIT || (enc & PE_INDIRECT)) {
		c->bad = true;
		return 0;
	}
	switch (enc & 0x0f) {
	case PE_ABSPTR:
	case PE_UDATA8:
	case PE_SDATA8:
		v = ehf_le(c, 8);
		break;
	case PE_ULEB128:
		v = ehf_uleb(c);
		break;
	case PE_UDATA2:
		v = ehf_le(c, 2);
		break;
	case PE_SDATA2:
		v = (u64)(s64)(s16)ehf_le(c, 2);
		break;
	case PE_UDATA4:
		v = ehf_le(c, 4);
		break;
	case PE_SDATA4:
		v = (u64)(s64)(s32)ehf_le(c, 4);
		break;
	case PE_SLEB128:
		v = (u64)ehf_sleb(c);
		break;
	default:
		c->bad = true;
		return 0;
	}
	switch (enc & 0x70) {
	case 0:
		return v;
	case PE_PCREL:
		return v + field;
	case PE_DATAREL:
		return v + datarel;
	default:
		c->bad = true;
		return 0;
	}
}

/* Reader of a struct ehf_buf: bounds-checked copy (gop_rule() too). */
bool ehf_buf_read(void *ctx, u64 addr, void *dst, size_t len)
{
	const struct ehf_buf *b = ctx;
	size_t i;

	if (addr < b->vaddr || addr - b->vaddr > b->len ||
	    len > b->len - (addr - b->vaddr))
		return false;
	for (i = 0; i < len; i++)
		((u8 *)dst)[i] = b->data[addr - b->vaddr + i];
	return true;
}

/* Little-endian s32 at @p. */
static s32 ehf_s32(const u8 *p)
{
	return (s32)((u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 |
		     (u32)p[3] << 24);
}

int ehf_find_fde_mem(ehf_read_t rd, void *ctx, u64 hdr, u64 hdr_len,
		     u64 pc, u64 *fde_vaddr)
{
	u8 head[32], e[8];
	struct ehf_cur c = { .base = head, .vaddr = hdr };
	u8 version, ptr_enc, count_enc, table_enc;
	u64 count, lo, hi, table;

	c.end = hdr_len < sizeof(head) ? (size_t)hdr_len : sizeof(head);
	if (c.end < 4)
		return EHF_MALFORMED;
	if (!rd(ctx, hdr, head, c.end))
		return EHF_NOREAD;
	version = ehf_u8(&c);
	ptr_enc = ehf_u8(&c);
	count_enc = ehf_u8(&c);
	table_enc = ehf_u8(&c);
	if (version != 1 || table_enc != (PE_DATAREL | PE_SDATA4))
		return EHF_MALFORMED;
	ehf_ptr(&c, ptr_enc, hdr);	/* eh_frame_ptr: unused */
	count = ehf_ptr(&c, count_enc, hdr);
	table = c.pos;
	if (c.bad || count > (hdr_len - table) / 8)
		return EHF_MALFORMED;

	/* The last entry whose initial location is <= pc. */
	lo = 0;
	hi = count;
	while (lo < hi) {
		u64 mid = lo + (hi - lo) / 2;

		if (!rd(ctx, hdr + table + mid * 8, e, 4))
			return EHF_NOREAD;
		if (hdr + (u64)(s64)ehf_s32(e) <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return EHF_NO_FDE;
	if (!rd(ctx, hdr + table + (lo - 1) * 8, e, 8))
		return EHF_NOREAD;
	*fde_vaddr = hdr + (u64)(s64)ehf_s32(e + 4);
	return EHF_OK;
}

int ehf_find_fde(const struct ehf_buf *hdr, u64 pc, u64 *fde_vaddr)
{
	int ret = ehf_find_fde_mem(ehf_buf_read, (void *)hdr, hdr->vaddr,
				   hdr->len, pc, fde_vaddr);

	return ret == EHF_NOREAD ? EHF_MALFORMED : ret;
}

/* The rule of one register we track (BP and the return address). */
enum ehf_how {
	HOW_SAME = 0,		/* nothing saved */
	HOW_UNDEF,		/* no value: for the return address, the end */
	HOW_OFFSET,		/* saved at CFA + off */
	HOW_OTHER,		/* register, expression, value rules */
};

struct ehf_reg {
	u8 how;
	s64 off;
};

/* One row of the CFA table, reduced to what we track. */
struct ehf_row {
	u64 cfa_reg;
	s64 cfa_off;
	bool cfa_expr;
	u8 cfa_plt;		/* the PLT expression: its DW_OP_lit K, or 0 */
	struct ehf_reg bp;
	struct ehf_reg ra;
};

/* What a CIE says for every FDE that points to it. */
struct ehf_cie {
	u64 code_align;
	s64 data_align;
	u64 ra_reg;
	u8 fde_enc;
	bool has_aug_data;
	bool signal;
	struct ehf_cur insns;
};

/* The interpreter's state while running one FDE's program up to a PC. */
struct ehf_run {
	const struct ehf_cie *cie;
	struct ehf_row row;
	struct ehf_row initial;		/* after the CIE, for DW_CFA_restore */
	struct ehf_row saved[EHF_MAX_STATE];
	unsigned int depth;
	unsigned int steps;
	u64 loc;
	u64 pc;
	u64 row_end;
	bool done;			/* the next row starts past pc */
	bool unknown_op;
};

/*
 * Read the length of the entry at @c->pos and bound @c to it; returns
 * the entry's end offset in the section, or 0 on error or terminator.
 */
static size_t ehf_entry(struct ehf_cur *c)
{
	u64 len = ehf_le(c, 4);

	if (len == 0xffffffffULL)
		len = ehf_le(c, 8);
	if (c->bad || !len || len > c->end - c->pos) {
		c->bad = true;
		return 0;
	}
	return c->pos + len;
}

static int ehf_parse_cie(const struct ehf_buf *eh, size_t off,
			 struct ehf_cie *cie)
{
	struct ehf_cur c = {
		.base = eh->data, .pos = off, .end = eh->len, .vaddr = eh->vaddr,
	};
	char aug[8];
	size_t end, aug_end = 0;
	unsigned int i, n = 0;
	u8 version, ch;

	end = ehf_entry(&c);
	if (!end || ehf_le(&c, 4) != 0)		/* CIE id is 0 in .eh_frame */
		return EHF_MALFORMED;
	c.end = end;
	version = ehf_u8(&c);
	if (version != 1 && version != 3)
		return EHF_MALFORMED;
	do {
		ch = ehf_u8(&c);
		if (c.bad || n == sizeof(aug))
			return EHF_MALFORMED;
		aug[n++] = ch;
	} while (ch);
	cie->code_align = ehf_uleb(&c);
	cie->data_align = ehf_sleb(&c);
	cie->ra_reg = version == 1 ? ehf_u8(&c) : ehf_uleb(&c);
	cie->fde_enc = PE_ABSPTR;
	cie->signal = false;
	cie->has_aug_data = aug[0] == 'z';
	if (cie->has_aug_data) {
		u64 alen = ehf_uleb(&c);

		if (c.bad || alen > c.end - c.pos)
			return EHF_MALFORMED;
		aug_end = c.pos + alen;
	}
	for (i = cie->has_aug_data; i < n - 1 && !c.bad; i++) {
		switch (aug[i]) {
		case 'L':
			ehf_u8(&c);			/* LSDA encoding */
			break;
		case 'P':
			ehf_ptr(&c, ehf_u8(&c) & ~PE_INDIRECT, 0);
			break;
		case 'R':
			cie->fde_enc = ehf_u8(&c);
			break;
		case 'S':
			cie->signal = true;
			break;
		default:
			/* Unknown: only skippable with the 'z' length. */
			if (!cie->has_aug_data)
				return EHF_MALFORMED;
			i = n;
			break;
		}
	}
	if (cie->has_aug_data)
		c.pos = aug_end;
	/* x86-64 toolchains emit 1 and -8; anything far off is hostile. */
	if (c.bad || !cie->code_align || cie->code_align > 256 ||
	    cie->data_align < -256 || cie->data_align > 256 || c.pos > c.end)
		return EHF_MALFORMED;
	cie->insns = c;
	return EHF_OK;
}

static void ehf_set_reg(struct ehf_run *r, u64 reg, u8 how, s64 off)
{
	struct ehf_reg *dst = reg == EHF_REG_BP ? &r->row.bp :
			      reg == r->cie->ra_reg ? &r->row.ra : NULL;

	if (dst) {
		dst->how = how;
		dst->off = off;
	}
}

static void ehf_restore_reg(struct ehf_run *r, u64 reg)
{
	if (reg == EHF_REG_BP)
		r->row.bp = r->initial.bp;
	else if (reg == r->cie->ra_reg)
		r->row.ra = r->initial.ra;
}

/* @v * @align, or 0 and a bad cursor on overflow (hostile operands). */
static s64 ehf_scale(struct ehf_cur *c, s64 v, s64 align)
{
	s64 r;

	if (__builtin_mul_overflow(v, align, &r)) {
		c->bad = true;
		return 0;
	}
	return r;
}

/* Advance the location by @delta code units; stop once past the PC. */
static void ehf_advance(struct ehf_run *r, struct ehf_cur *c, u64 delta)
{
	u64 step = delta * r->cie->code_align;

	if (delta && step / delta != r->cie->code_align) {
		c->bad = true;
		return;
	}
	if (step > ~0ULL - r->loc) {
		c->bad = true;
		return;
	}
	if (r->loc + step > r->pc) {
		r->row_end = r->loc + step;
		r->done = true;
		return;
	}
	r->loc += step;
}

/*
 * The one DWARF expression every x86-64 PLT carries (GNU ld and lld):
 * CFA = rsp + 8 + ((rip & 15) >= K ? 8 : 0), K = 11 for .plt entries,
 * 10 with IBT: after an entry's push the CFA is 8 bytes further. Returns
 * K when the block at @c is exactly that expression, else 0; @c is left
 * where it was.
 */
static u8 ehf_plt_expr(const struct ehf_cur *c)
{
	static const u8 plt[] = {
		11, 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a, 0x00, 0x2a, 0x33,
		0x24, 0x22,
	};
	size_t i;
	u8 k = 0;

	if (c->bad || c->end - c->pos < sizeof(plt))
		return 0;
	for (i = 0; i < sizeof(plt); i++) {
		u8 b = c->base[c->pos + i];

		if (i == 7) {		/* DW_OP_lit10 or DW_OP_lit11 */
			if (b != 0x3a && b != 0x3b)
				return 0;
			k = b - 0x30;
		} else if (b != plt[i]) {
			return 0;
		}
	}
	return k;
}

/* Run one call-frame instruction. */
static int ehf_step(struct ehf_run *r, struct ehf_cur *c)
{
	const struct ehf_cie *cie = r->cie;
	u8 op = ehf_u8(c);
	u64 reg;
	s64 off;

	switch (op & 0xc0) {
	case CFA_ADVANCE_LOC:
		ehf_advance(r, c, op & 0x3f);
		return EHF_OK;
	case CFA_OFFSET:
		off = ehf_scale(c, (s64)ehf_uleb(c), cie->data_align);
		ehf_set_reg(r, op & 0x3f, HOW_OFFSET, off);
		return EHF_OK;
	case CFA_RESTORE:
		ehf_restore_reg(r, op & 0x3f);
		return EHF_OK;
	}

	switch (op) {
	case CFA_NOP:
		break;
	case CFA_SET_LOC: {
		u64 loc = ehf_ptr(c, cie->fde_enc, 0);

		if (loc < r->loc)
			c->bad = true;
		else
			ehf_advance(r, c, loc - r->loc);
		break;
	}
	case CFA_ADVANCE_LOC1:
		ehf_advance(r, c, ehf_le(c, 1));
		break;
	case CFA_ADVANCE_LOC2:
		ehf_advance(r, c, ehf_le(c, 2));
		break;
	case CFA_ADVANCE_LOC4:
		ehf_advance(r, c, ehf_le(c, 4));
		break;
	case CFA_OFFSET_EXTENDED:
		reg = ehf_uleb(c);
		off = ehf_scale(c, (s64)ehf_uleb(c), cie->data_align);
		ehf_set_reg(r, reg, HOW_OFFSET, off);
		break;
	case CFA_OFFSET_EXTENDED_SF:
		reg = ehf_uleb(c);
		off = ehf_scale(c, ehf_sleb(c), cie->data_align);
		ehf_set_reg(r, reg, HOW_OFFSET, off);
		break;
	case CFA_GNU_NEG_OFFSET_EXT:
		reg = ehf_uleb(c);
		off = ehf_scale(c, (s64)ehf_uleb(c), -cie->data_align);
		ehf_set_reg(r, reg, HOW_OFFSET, off);
		break;
	case CFA_RESTORE_EXTENDED:
		ehf_restore_reg(r, ehf_uleb(c));
		break;
	case CFA_UNDEFINED:
		ehf_set_reg(r, ehf_uleb(c), HOW_UNDEF, 0);
		break;
	case CFA_SAME_VALUE:
		ehf_set_reg(r, ehf_uleb(c), HOW_SAME, 0);
		break;
	case CFA_REGISTER:
		reg = ehf_uleb(c);
		ehf_uleb(c);
		ehf_set_reg(r, reg, HOW_OTHER, 0);
		break;
	case CFA_VAL_OFFSET:
	case CFA_VAL_OFFSET_SF:
		reg = ehf_uleb(c);
		if (op == CFA_VAL_OFFSET)
			ehf_uleb(c);
		else
			ehf_sleb(c);
		ehf_set_reg(r, reg, HOW_OTHER, 0);
		break;
	case CFA_EXPRESSION:
	case CFA_VAL_EXPRESSION:
		reg = ehf_uleb(c);
		ehf_skip_block(c);
		ehf_set_reg(r, reg, HOW_OTHER, 0);
		break;
	case CFA_REMEMBER_STATE:
		if (r->depth == EHF_MAX_STATE)
			return EHF_BUDGET;
		r->saved[r->depth++] = r->row;
		break;
	case CFA_RESTORE_STATE:
		if (!r->depth)
			return EHF_MALFORMED;
		r->row = r->saved[--r->depth];
		break;
	case CFA_DEF_CFA:
		r->row.cfa_reg = ehf_uleb(c);
		r->row.cfa_off = (s64)ehf_uleb(c);
		r->row.cfa_expr = false;
		r->row.cfa_plt = 0;
		break;
	case CFA_DEF_CFA_SF:
		r->row.cfa_reg = ehf_uleb(c);
		r->row.cfa_off = ehf_scale(c, ehf_sleb(c), cie->data_align);
		r->row.cfa_expr = false;
		r->row.cfa_plt = 0;
		break;
	case CFA_DEF_CFA_REGISTER:
		r->row.cfa_reg = ehf_uleb(c);
		r->row.cfa_expr = false;
		r->row.cfa_plt = 0;
		break;
	case CFA_DEF_CFA_OFFSET:
		r->row.cfa_off = (s64)ehf_uleb(c);
		break;
	case CFA_DEF_CFA_OFFSET_SF:
		r->row.cfa_off = ehf_scale(c, ehf_sleb(c), cie->data_align);
		break;
	case CFA_DEF_CFA_EXPRESSION:
		r->row.cfa_plt = ehf_plt_expr(c);
		ehf_skip_block(c);
		r->row.cfa_expr = !r->row.cfa_plt;
		if (r->row.cfa_plt) {
			r->row.cfa_reg = EHF_REG_SP;
			r->row.cfa_off = 8;
		}
		break;
	case CFA_GNU_ARGS_SIZE:
		ehf_uleb(c);
		break;
	default:
		/* Unknown instructions have unknown operands: stop here. */
		r->unknown_op = true;
		r->done = true;
		break;
	}
	return EHF_OK;
}

/* Run the instructions in @c until the end or a row past r->pc. */
static int ehf_run_program(struct ehf_run *r, struct ehf_cur *c)
{
	int ret;

	while (!r->done && c->pos < c->end) {
		if (++r->steps > EHF_MAX_STEPS)
			return EHF_BUDGET;
		ret = ehf_step(r, c);
		if (ret)
			return ret;
		if (c->bad)
			return EHF_MALFORMED;
	}
	return EHF_OK;
}

static bool ehf_fits_s32(s64 v)
{
	return v >= -0x80000000LL && v <= 0x7fffffffLL;
}

/* Reduce the row in effect at the PC to an ehf_rule. */
static int ehf_reduce(const struct ehf_run *r, struct ehf_rule *rule)
{
	const struct ehf_row *row = &r->row;

	rule->signal = r->cie->signal;
	rule->cause = EHF_CAUSE_NONE;
	if (r->unknown_op)
		rule->cause = EHF_CAUSE_OPCODE;
	else if (row->cfa_expr)
		rule->cause = EHF_CAUSE_CFA_EXPR;
	else if ((row->cfa_reg != EHF_REG_SP && row->cfa_reg != EHF_REG_BP) ||
		 !ehf_fits_s32(row->cfa_off))
		rule->cause = EHF_CAUSE_CFA_REG;
	else if ((row->ra.how != HOW_OFFSET && row->ra.how != HOW_UNDEF) ||
		 !ehf_fits_s32(row->ra.off))
		rule->cause = EHF_CAUSE_RA;
	else if (row->bp.how == HOW_OTHER || !ehf_fits_s32(row->bp.off))
		rule->cause = EHF_CAUSE_BP;
	if (rule->cause != EHF_CAUSE_NONE)
		return EHF_UNSUPPORTED;

	rule->cfa_base = row->cfa_reg == EHF_REG_SP ? EHF_CFA_SP : EHF_CFA_BP;
	rule->cfa_off = (s32)row->cfa_off;
	rule->plt = row->cfa_plt != 0;
	if (rule->plt) {
		/* Exact for this PC only: the offset depends on pc & 15. */
		if ((r->pc & 15) >= row->cfa_plt)
			rule->cfa_off += 8;
		rule->row_start = r->pc;
		rule->row_end = r->pc + 1;
	}
	rule->ra_off = (s32)row->ra.off;
	rule->outermost = row->ra.how == HOW_UNDEF;
	rule->bp_rule = row->bp.how == HOW_OFFSET ? EHF_BP_OFFSET : EHF_BP_SAME;
	rule->bp_off = rule->bp_rule == EHF_BP_OFFSET ? (s32)row->bp.off : 0;
	return EHF_OK;
}

int ehf_rule_parts(const struct ehf_buf *fde, const struct ehf_buf *cie_buf,
		   u64 pc, struct ehf_rule *rule)
{
	struct ehf_cur c = {
		.base = fde->data, .end = fde->len, .vaddr = fde->vaddr,
	};
	struct ehf_run r = { .pc = pc };
	struct ehf_cie cie;
	size_t end, id_pos;
	u64 cie_ptr, start, range;
	int ret;

	end = ehf_entry(&c);
	if (!end)
		return EHF_MALFORMED;
	c.end = end;
	id_pos = c.pos;
	cie_ptr = ehf_le(&c, 4);
	if (c.bad || !cie_ptr ||
	    fde->vaddr + id_pos - cie_ptr != cie_buf->vaddr)
		return EHF_MALFORMED;
	ret = ehf_parse_cie(cie_buf, 0, &cie);
	if (ret)
		return ret;

	start = ehf_ptr(&c, cie.fde_enc, 0);
	range = ehf_ptr(&c, cie.fde_enc & 0x0f, 0);
	if (cie.has_aug_data)
		ehf_skip_block(&c);
	if (c.bad || range > ~0ULL - start)
		return EHF_MALFORMED;
	if (pc < start || pc >= start + range)
		return EHF_NO_FDE;

	r.cie = &cie;
	r.loc = start;
	r.row_end = start + range;
	r.row.cfa_reg = EHF_REG_SP;
	ret = ehf_run_program(&r, &cie.insns);
	if (ret)
		return ret;
	if (r.done)		/* the CIE advanced past pc: odd but valid */
		r.done = r.unknown_op;
	r.row_end = start + range;
	r.initial = r.row;
	r.loc = start;
	ret = ehf_run_program(&r, &c);
	if (ret)
		return ret;

	rule->fde_start = start;
	rule->fde_end = start + range;
	rule->row_start = r.loc;
	rule->row_end = min(r.row_end, start + range);
	return ehf_reduce(&r, rule);
}

int ehf_rule_at(const struct ehf_buf *eh, u64 fde_vaddr, u64 pc,
		struct ehf_rule *rule)
{
	struct ehf_cur c = {
		.base = eh->data, .end = eh->len, .vaddr = eh->vaddr,
	};
	struct ehf_buf fde, cie;
	size_t off, id_pos, cie_off;
	u64 cie_ptr;

	if (fde_vaddr < eh->vaddr || fde_vaddr - eh->vaddr >= eh->len)
		return EHF_MALFORMED;
	off = fde_vaddr - eh->vaddr;
	c.pos = off;
	if (!ehf_entry(&c))
		return EHF_MALFORMED;
	id_pos = c.pos;
	cie_ptr = ehf_le(&c, 4);
	if (c.bad || !cie_ptr || cie_ptr > id_pos)
		return EHF_MALFORMED;
	cie_off = id_pos - cie_ptr;
	fde = (struct ehf_buf){
		.data = eh->data + off, .len = eh->len - off, .vaddr = fde_vaddr,
	};
	cie = (struct ehf_buf){
		.data = eh->data + cie_off, .len = eh->len - cie_off,
		.vaddr = eh->vaddr + cie_off,
	};
	return ehf_rule_parts(&fde, &cie, pc, rule);
}

/* Read the entry (CIE or FDE) at @addr into @buf (at most @max bytes);
 * its bytes are then @out.
 */
static int ehf_read_entry(ehf_read_t rd, void *ctx, u64 addr, u8 *buf,
			  size_t max, struct ehf_buf *out)
{
	u8 l[12];
	u64 len, head = 4;

	if (!rd(ctx, addr, l, 4))
		return EHF_NOREAD;
	len = (u32)ehf_s32(l);
	if (len == 0xffffffffULL) {
		if (!rd(ctx, addr + 4, l + 4, 8))
			return EHF_NOREAD;
		len = (u32)ehf_s32(l + 4) | (u64)(u32)ehf_s32(l + 8) << 32;
		head = 12;
	}
	if (!len)
		return EHF_MALFORMED;
	if (len > max - head)
		return EHF_BUDGET;
	if (!rd(ctx, addr, buf, head + len))
		return EHF_NOREAD;
	*out = (struct ehf_buf){ .data = buf, .len = head + len, .vaddr = addr };
	return EHF_OK;
}

int ehf_rule_mem(ehf_read_t rd, void *ctx, u64 fde_vaddr, u64 pc,
		 u8 *scratch, size_t size, struct ehf_rule *rule)
{
	struct ehf_buf fde, cie;
	struct ehf_cur c;
	u64 cie_ptr, id;
	int ret;

	ret = ehf_read_entry(rd, ctx, fde_vaddr, scratch, size / 2, &fde);
	if (ret)
		return ret;
	c = (struct ehf_cur){ .base = fde.data, .end = fde.len };
	ehf_entry(&c);
	id = fde_vaddr + c.pos;
	cie_ptr = ehf_le(&c, 4);
	if (c.bad || !cie_ptr || cie_ptr > id)
		return EHF_MALFORMED;
	ret = ehf_read_entry(rd, ctx, id - cie_ptr, scratch + size / 2,
			     size - size / 2, &cie);
	if (ret)
		return ret;
	return ehf_rule_parts(&fde, &cie, pc, rule);
}

int ehf_lookup(const struct ehf_buf *hdr, const struct ehf_buf *eh, u64 pc,
	       struct ehf_rule *rule)
{
	u64 fde;
	int ret;

	ret = ehf_find_fde(hdr, pc, &fde);
	if (ret)
		return ret;
	return ehf_rule_at(eh, fde, pc, rule);
}
