// SPDX-License-Identifier: GPL-2.0
/*
 * gopclntab.c - the unwind rule at one PC of a Go binary from its
 * .gopclntab; see gopclntab.h
 *
 * Pure code: no kernel call, no allocation, no libc. Every read goes
 * through gop_read(), which checks it against the table's bounds before
 * calling the reader; offsets are checked for overflow before they are
 * added.
 */
#include <linux/types.h>
#include <linux/kernel.h>

#include "gopclntab.h"

#define GOP_HDR_SIZE	(8 + 8 * 8)	/* with ptrSize 8 */
#define GOP_FUNC_SIZE	20		/* _func up to and with pcsp */
#define GOP_CHUNK	64		/* pc-value and name bytes a read */
#define GOP_PAGE	4096ULL

/* The table: [base, base + len), base + len not wrapping. */
struct gop_tab {
	ehf_read_t rd;
	void *ctx;
	u64 base;
	u64 len;
};

/* Copy @len bytes at table offset @off; EHF_MALFORMED if outside. */
static int gop_read(const struct gop_tab *t, u64 off, void *dst, size_t len)
{
	if (off > t->len || len > t->len - off)
		return EHF_MALFORMED;
	if (!t->rd(t->ctx, t->base + off, dst, len))
		return EHF_NOREAD;
	return EHF_OK;
}

static u32 gop_u32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u64 gop_u64(const u8 *p)
{
	return (u64)gop_u32(p) | (u64)gop_u32(p + 4) << 32;
}

/*
 * Bytes of the table from one offset on, read GOP_CHUNK at a time, a read
 * never crossing a 4 KiB boundary (the load bias is page-aligned, so a
 * link-time page boundary is a runtime one too).
 */
struct gop_stream {
	const struct gop_tab *t;
	u64 next;		/* table offset of the next chunk */
	u8 buf[GOP_CHUNK];
	unsigned int pos;
	unsigned int n;
	int err;		/* first error, EHF_OK until then */
};

static u8 gop_byte(struct gop_stream *s)
{
	u64 len;

	if (s->err)
		return 0;
	if (s->pos == s->n) {
		len = min((u64)GOP_CHUNK,
			  GOP_PAGE - ((s->t->base + s->next) & (GOP_PAGE - 1)));
		if (s->next >= s->t->len) {
			s->err = EHF_MALFORMED;
			return 0;
		}
		len = min(len, s->t->len - s->next);
		s->err = gop_read(s->t, s->next, s->buf, (size_t)len);
		if (s->err)
			return 0;
		s->next += len;
		s->pos = 0;
		s->n = (unsigned int)len;
	}
	return s->buf[s->pos++];
}

/* A varint of at most 5 bytes (32 bits); longer is malformed. */
static u32 gop_varint(struct gop_stream *s, u8 first)
{
	u32 v = first & 0x7f;
	unsigned int shift = 7;
	u8 b = first;

	while (b & 0x80) {
		if (shift > 28) {
			if (!s->err)
				s->err = EHF_MALFORMED;
			return 0;
		}
		b = gop_byte(s);
		if (s->err)
			return 0;
		v |= (u32)(b & 0x7f) << shift;
		shift += 7;
	}
	return v;
}

/* What the header says, checked against the table's size. */
struct gop_hdr {
	u64 nfunc;
	u64 text;
	u64 names;		/* funcnametab offset */
	u64 pctab;		/* pctab offset */
	u64 pcln;		/* pclntab (functab, _funcs) offset */
};

static int gop_header(const struct gop_tab *t, struct gop_hdr *h)
{
	u8 b[GOP_HDR_SIZE];
	u32 magic;
	int ret;

	ret = gop_read(t, 0, b, 8);
	if (ret)
		return ret;
	magic = gop_u32(b);
	if (magic != GOP_MAGIC_118 && magic != GOP_MAGIC_120)
		return EHF_UNSUPPORTED;
	if (b[4] || b[5])
		return EHF_MALFORMED;
	if (b[6] != 1 || b[7] != 8)	/* minLC, ptrSize of amd64 */
		return EHF_UNSUPPORTED;
	ret = gop_read(t, 8, b + 8, GOP_HDR_SIZE - 8);
	if (ret)
		return ret;
	h->nfunc = gop_u64(b + 8);
	h->text = gop_u64(b + 24);
	h->names = gop_u64(b + 32);
	h->pctab = gop_u64(b + 56);
	h->pcln = gop_u64(b + 64);
	if (!h->text)
		return EHF_UNSUPPORTED;	/* not relocated in place */
	if (h->names < GOP_HDR_SIZE || h->names >= t->len ||
	    h->pctab < GOP_HDR_SIZE || h->pctab >= t->len ||
	    h->pcln < GOP_HDR_SIZE || h->pcln >= t->len)
		return EHF_MALFORMED;
	/* nfunc + 1 entries of 8 bytes after pcln; entryoffs are u32. */
	if (h->nfunc > 0xffffffffULL ||
	    (h->nfunc + 1) * 8 > t->len - h->pcln)
		return EHF_MALFORMED;
	return EHF_OK;
}

/*
 * The function table entry covering text offset @d: its index, its
 * entryoff and the next entry's (the function's end).
 */
static int gop_find(const struct gop_tab *t, const struct gop_hdr *h, u64 d,
		    u32 *start, u32 *end, u32 *funcoff)
{
	u64 lo = 0, hi = h->nfunc;
	unsigned int probes;
	u8 e[12];
	int ret;

	if (!h->nfunc)
		return EHF_NO_FDE;
	ret = gop_read(t, h->pcln + h->nfunc * 8, e, 4);
	if (ret)
		return ret;
	if (d >= gop_u32(e))
		return EHF_NO_FDE;
	/* The first entry whose entryoff is > d, in [0, nfunc]. */
	for (probes = 0; lo < hi; probes++) {
		u64 mid = lo + (hi - lo) / 2;

		if (probes == GOP_MAX_PROBES)
			return EHF_BUDGET;
		ret = gop_read(t, h->pcln + mid * 8, e, 4);
		if (ret)
			return ret;
		if (gop_u32(e) <= d)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return EHF_NO_FDE;
	ret = gop_read(t, h->pcln + (lo - 1) * 8, e, 12);
	if (ret)
		return ret;
	*start = gop_u32(e);
	*funcoff = gop_u32(e + 4);
	*end = gop_u32(e + 8);
	/* A table out of order can land anywhere: check the answer. */
	if (*start > d || d >= *end)
		return EHF_MALFORMED;
	return EHF_OK;
}

/*
 * Is the function named at table offset @off one where a Go stack ends
 * (@outermost), or Go's signal return trampoline (@signal: the handler's
 * return address, below the kernel's signal frame)?
 */
static int gop_special(const struct gop_tab *t, u64 off, bool *outermost,
		       bool *signal)
{
	static const struct {
		const char *name;
		bool signal;
	} names[] = {
		{ "runtime.goexit", false },
		{ "runtime.mstart", false },
		{ "runtime.rt0_go", false },
		{ "runtime.sigreturn", true },			/* Go <= 1.19 */
		{ "runtime.sigreturn__sigaction", true },	/* Go >= 1.20 */
	};
	struct gop_stream s = { .t = t, .next = off };
	char name[32];
	unsigned int i, j, n;

	/* At most 32 bytes: every name above is shorter, with its NUL. */
	for (n = 0; n < sizeof(name); n++) {
		name[n] = (char)gop_byte(&s);
		if (s.err)
			return s.err;
		if (!name[n])
			break;
	}
	*outermost = false;
	*signal = false;
	if (n == sizeof(name))
		return EHF_OK;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (j = 0; j <= n && names[i].name[j] == name[j]; j++)
			;
		if (j > n) {
			*outermost = !names[i].signal;
			*signal = names[i].signal;
			break;
		}
	}
	return EHF_OK;
}

/*
 * Run the pc-value table at pctab offset @pcsp from @entry (value -1) up
 * to @pc: the value there and the range [@row_start, @row_end) it holds
 * over.
 */
static int gop_pcvalue(const struct gop_tab *t, u64 off, u64 entry, u64 pc,
		       s32 *value, u64 *row_start, u64 *row_end)
{
	struct gop_stream s = { .t = t, .next = off };
	u64 cur = entry, prev = entry;
	u32 val = 0xffffffffU, uv, pd;
	unsigned int steps;
	u8 b;

	for (steps = 0; steps < GOP_MAX_STEPS; steps++) {
		b = gop_byte(&s);
		if (s.err)
			return s.err;
		if (!b && cur != entry)		/* the end: pc not covered */
			return EHF_MALFORMED;
		uv = gop_varint(&s, b);
		/* odd: -(uv >> 1) - 1; even: uv >> 1 (two's complement) */
		val += (0U - (uv & 1)) ^ (uv >> 1);
		pd = gop_varint(&s, gop_byte(&s));
		if (s.err)
			return s.err;
		if (pd > ~0ULL - cur)
			return EHF_MALFORMED;
		cur += pd;			/* times minLC, 1 */
		if (pc < cur) {
			*value = (s32)val;
			*row_start = prev;
			*row_end = cur;
			return EHF_OK;
		}
		prev = cur;
	}
	return EHF_BUDGET;
}

int gop_rule_mem(ehf_read_t rd, void *ctx, u64 tab, u64 tab_len, u64 pc,
		 struct ehf_rule *rule)
{
	struct gop_tab t = { .rd = rd, .ctx = ctx, .base = tab, .len = tab_len };
	struct gop_hdr h;
	u8 f[GOP_FUNC_SIZE];
	u32 start, end, funcoff, pcsp;
	u64 entry, row_start, row_end;
	s32 nameoff, sp;
	bool outermost, signal;
	int ret;

	if (tab_len > ~0ULL - tab)
		return EHF_MALFORMED;
	ret = gop_header(&t, &h);
	if (ret)
		return ret;
	if (pc < h.text || pc - h.text > 0xffffffffULL)
		return EHF_NO_FDE;
	ret = gop_find(&t, &h, pc - h.text, &start, &end, &funcoff);
	if (ret)
		return ret;
	if (funcoff > t.len - h.pcln)
		return EHF_MALFORMED;
	ret = gop_read(&t, h.pcln + funcoff, f, sizeof(f));
	if (ret)
		return ret;
	nameoff = (s32)gop_u32(f + 4);
	pcsp = gop_u32(f + 16);
	/* The _func must be the one the table says; pcsp 0 is no table. */
	if (gop_u32(f) != start || nameoff < 0 || !pcsp ||
	    h.text > ~0ULL - end)
		return EHF_MALFORMED;
	if (pcsp > t.len - h.pctab || (u64)nameoff > t.len - h.names)
		return EHF_MALFORMED;

	entry = h.text + start;
	ret = gop_pcvalue(&t, h.pctab + pcsp, entry, pc, &sp, &row_start,
			  &row_end);
	if (ret)
		return ret;
	/* Go's frames only grow down from the entry SP. */
	if (sp < 0 || sp > 0x7fffffff - 8)
		return EHF_MALFORMED;
	ret = gop_special(&t, h.names + (u64)nameoff, &outermost, &signal);
	if (ret)
		return ret;

	rule->cfa_base = EHF_CFA_SP;
	rule->bp_rule = EHF_BP_SAME;
	rule->cause = EHF_CAUSE_NONE;
	rule->signal = signal;
	rule->outermost = outermost;
	rule->plt = 0;
	rule->cfa_off = sp + 8;
	rule->ra_off = outermost ? 0 : -8;
	rule->bp_off = 0;
	rule->fde_start = entry;
	rule->fde_end = h.text + end;
	rule->row_start = row_start;
	rule->row_end = min(row_end, rule->fde_end);
	return EHF_OK;
}

int gop_rule(const struct ehf_buf *tab, u64 pc, struct ehf_rule *rule)
{
	int ret = gop_rule_mem(ehf_buf_read, (void *)tab, tab->vaddr, tab->len,
			       pc, rule);

	return ret == EHF_NOREAD ? EHF_MALFORMED : ret;
}
