// SPDX-License-Identifier: GPL-2.0
/*
 * parse.c - reader of /proc/kprofmap/samples records (see parse.h and
 * module/kprofmap_format.h)
 *
 * Called from convert.c for each input, and from the fuzz target. Reads
 * through its own fixed buffer so that a line is never longer than
 * KPM_READ_LINE_MAX, however the input is shaped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "util.h"

#define KPM_READ_CHUNK 65536

/* One space-separated field of a line. */
struct kpm_tok {
	const char *p;
	size_t len;
};

static int __attribute__((format(printf, 2, 3)))
kpm_fail(struct kpm_reader *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->err, sizeof(r->err), "%s:%lu: ", r->name, r->line);
	if (n < 0 || (size_t)n >= sizeof(r->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - n, fmt, ap);
	va_end(ap);
	r->failed = true;
	return -1;
}

/*
 * Quote at most 32 bytes of a field for a message, escaping anything
 * that is not printable ASCII, so that a message is always one clean line.
 */
static const char *kpm_quote(const struct kpm_tok *t, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < t->len && i < 32 && o + 5 < size; i++) {
		unsigned char c = (unsigned char)t->p[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char)c;
		else
			o += snprintf(buf + o, size - o, "\\x%02x", c);
	}
	if (i < t->len && o + 4 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

#define Q(tok) kpm_quote(&(tok), (char[160]){ 0 }, 160)

/* --- lines --- */

/*
 * Return the next line, without its '\n', in @line and @len: 1 for a line,
 * 0 at the end of the input, -1 on error.
 */
static int kpm_read_line(struct kpm_reader *r, char **line, size_t *len)
{
	for (;;) {
		char *nl = memchr(r->buf + r->pos, '\n', r->end - r->pos);
		size_t got;

		if (nl) {
			r->line++;
			*line = r->buf + r->pos;
			*len = nl - *line;
			r->pos = nl - r->buf + 1;
			if (*len > KPM_READ_LINE_MAX)
				return kpm_fail(r, "line longer than %d bytes",
						KPM_READ_LINE_MAX);
			return 1;
		}
		if (r->end - r->pos > KPM_READ_LINE_MAX) {
			r->line++;
			return kpm_fail(r, "line longer than %d bytes",
					KPM_READ_LINE_MAX);
		}
		if (r->eof) {
			if (r->pos == r->end)
				return 0;
			r->line++;
			return kpm_fail(r, "truncated line: no newline at the end of the input");
		}
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->end -= r->pos;
		r->pos = 0;
		got = fread(r->buf + r->end, 1, r->bufcap - r->end, r->f);
		r->end += got;
		if (got == 0) {
			if (ferror(r->f)) {
				int e = errno;

				r->line++;
				return kpm_fail(r, "read error: %s", strerror(e));
			}
			r->eof = true;
		}
	}
}

/*
 * Split @line into space-separated fields. Fails (with the message set)
 * on an empty field or a byte that no field may hold.
 */
static int kpm_split(struct kpm_reader *r, const char *line, size_t len,
		     struct kpm_tok *tok, size_t maxtok, size_t *ntok)
{
	size_t i, start = 0, n = 0;

	if (len == 0)
		return kpm_fail(r, "empty line");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\r')
			return kpm_fail(r, "carriage return in line (lines must end with a bare newline)");
		if (c == '\0')
			return kpm_fail(r, "NUL byte in line");
		if (c != ' ' && (c < 0x21 || c > 0x7e))
			return kpm_fail(r, "byte 0x%02x in line: fields hold printable ASCII only", c);
	}
	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (i == start)
			return kpm_fail(r, "empty field (two spaces, or a space at the start or end of the line)");
		if (n == maxtok)
			return kpm_fail(r, "too many fields");
		tok[n].p = line + start;
		tok[n].len = i - start;
		n++;
		start = i + 1;
	}
	*ntok = n;
	return 0;
}

static bool kpm_tok_is(const struct kpm_tok *t, const char *s)
{
	return t->len == strlen(s) && !memcmp(t->p, s, t->len);
}

/* --- header --- */

#define KPM_HDR_MAXTOK 64

/* The keys this reader knows, with their ranges; unknown ones are ignored. */
enum { HK_FREQ, HK_CPUS, HK_START, HK_END, HK_DEPTH, HK_NKEYS };
static const struct {
	const char *name;
	uint64_t min, max;
} kpm_hdr_keys[HK_NKEYS] = {
	[HK_FREQ] = { "freq", 1, KPM_READ_FREQ_MAX },
	[HK_CPUS] = { "cpus", 1, KPM_READ_CPUS_MAX },
	[HK_START] = { "start_ns", 0, UINT64_MAX },
	[HK_END] = { "end_ns", 0, UINT64_MAX },
	[HK_DEPTH] = { "max_depth", 1, KPM_MAX_DEPTH_LIMIT },
};

static int kpm_hdr_value(struct kpm_reader *r, int key,
			 const struct kpm_tok *val)
{
	struct kpm_header *h = &r->hdr;
	uint64_t v;

	if (!kp_parse_dec(val->p, val->len, &v))
		return kpm_fail(r, "header: %s=\"%s\" is not a decimal number",
				kpm_hdr_keys[key].name, Q(*val));
	if (v < kpm_hdr_keys[key].min || v > kpm_hdr_keys[key].max)
		return kpm_fail(r, "header: %s=%llu out of range %llu..%llu",
				kpm_hdr_keys[key].name, (unsigned long long)v,
				(unsigned long long)kpm_hdr_keys[key].min,
				(unsigned long long)kpm_hdr_keys[key].max);
	switch (key) {
	case HK_FREQ:
		h->freq = v;
		break;
	case HK_CPUS:
		h->cpus = v;
		break;
	case HK_START:
		h->start_ns = v;
		break;
	case HK_END:
		h->end_ns = v;
		break;
	case HK_DEPTH:
		h->max_depth = (unsigned int)v;
		break;
	}
	return 0;
}

static int kpm_parse_header(struct kpm_reader *r, const char *line, size_t len)
{
	struct kpm_tok tok[KPM_HDR_MAXTOK], ver;
	bool seen[HK_NKEYS] = { false };
	uint64_t v;
	size_t n, i;
	int k;

	if (kpm_split(r, line, len, tok, KPM_HDR_MAXTOK, &n))
		return -1;
	if (!kpm_tok_is(&tok[0], KPM_MAGIC))
		return kpm_fail(r, "not a kprofmap samples file: the first line must start with \"" KPM_MAGIC "\"");
	if (n < 2)
		return kpm_fail(r, "header: no format version");
	ver = tok[1];
	if (!kp_parse_dec(ver.p, ver.len, &v))
		return kpm_fail(r, "header: format version \"%s\" is not a number",
				Q(ver));
	if (v < KPM_READ_VERSION_MIN || v > KPM_READ_VERSION_MAX)
		return kpm_fail(r, "unsupported format version %s (this kprof2pprof reads versions %d to %d)",
				Q(ver), KPM_READ_VERSION_MIN, KPM_READ_VERSION_MAX);
	r->hdr.version = (unsigned int)v;
	for (i = 2; i < n; i++) {
		const char *eq = memchr(tok[i].p, '=', tok[i].len);
		struct kpm_tok key, val;

		if (!eq || eq == tok[i].p)
			return kpm_fail(r, "header: field \"%s\" is not key=value",
					Q(tok[i]));
		key.p = tok[i].p;
		key.len = eq - tok[i].p;
		val.p = eq + 1;
		val.len = tok[i].len - key.len - 1;
		for (k = 0; k < HK_NKEYS; k++)
			if (kpm_tok_is(&key, kpm_hdr_keys[k].name))
				break;
		if (k == HK_NKEYS)
			continue;	/* unknown keys are ignored */
		if (seen[k])
			return kpm_fail(r, "header: %s= given twice",
					kpm_hdr_keys[k].name);
		seen[k] = true;
		if (kpm_hdr_value(r, k, &val))
			return -1;
	}
	for (k = 0; k <= HK_END; k++)
		if (!seen[k])
			return kpm_fail(r, "header: required key %s= missing",
					kpm_hdr_keys[k].name);
	if (r->hdr.end_ns < r->hdr.start_ns)
		return kpm_fail(r, "header: end_ns is before start_ns");
	return 0;
}

int kpm_reader_open(struct kpm_reader *r, FILE *f, const char *name)
{
	char *line;
	size_t len;
	int ret;

	memset(r, 0, sizeof(*r));
	r->f = f;
	r->name = name;
	r->bufcap = KPM_READ_LINE_MAX + 1 + KPM_READ_CHUNK;
	r->buf = xmalloc(r->bufcap);
	ret = kpm_read_line(r, &line, &len);
	if (ret < 0)
		return -1;
	if (ret == 0) {
		r->line = 1;
		return kpm_fail(r, "empty input: no header line");
	}
	return kpm_parse_header(r, line, len);
}

static void kpm_idset_free(struct kpm_idset *set)
{
	free(set->ids);
	set->ids = NULL;
	set->n = set->cap = 0;
	kp_index_free(&set->ix);
}

void kpm_reader_close(struct kpm_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	kpm_idset_free(&r->gens);
	kpm_idset_free(&r->cgroups);
}

/* --- sample lines --- */

static int kpm_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Unescape a comm or path field into @out (@cap bytes with the NUL):
 * the canonical form of kprofmap_format.h, where bytes 0x21..0x7e other
 * than '\\' are literal and every other byte is \\xHH, lowercase. @toolong
 * is the reason given when it does not fit.
 */
static bool kpm_unescape(const char *s, size_t len, char *out, size_t cap,
			 size_t *olen, const char *toolong, const char **why)
{
	size_t i = 0, o = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (o == cap - 1) {
			*why = toolong;
			return false;
		}
		if (c == '\\') {
			int hi, lo;

			if (i + 4 > len || s[i + 1] != 'x' ||
			    (hi = kpm_hexval(s[i + 2])) < 0 ||
			    (lo = kpm_hexval(s[i + 3])) < 0) {
				*why = "bad escape (must be \\x and two lowercase hex digits)";
				return false;
			}
			c = (unsigned char)(hi << 4 | lo);
			if (c == 0) {
				*why = "\\x00 inside the field (it stands only for an empty comm)";
				return false;
			}
			if (c >= 0x21 && c <= 0x7e && c != '\\') {
				*why = "escaped byte that is written literally in the canonical form";
				return false;
			}
			i += 4;
		} else if (c < 0x21 || c > 0x7e) {
			*why = "unescaped byte outside 0x21..0x7e";
			return false;
		} else {
			i++;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*olen = o;
	return true;
}

bool kpm_parse_comm(const char *s, size_t len, char *out, size_t *olen,
		    const char **why)
{
	if (len == 4 && !memcmp(s, "\\x00", 4)) {
		out[0] = '\0';
		*olen = 0;
		return true;
	}
	return kpm_unescape(s, len, out, KPM_COMM_LEN, olen,
			    "longer than 15 bytes", why);
}

/*
 * Parse "k=<pcs>" or "u=<pcs>" (@what is "kernel" or "user") into @pc.
 */
static int kpm_parse_stack(struct kpm_reader *r, const struct kpm_tok *t,
			   char prefix, const char *what, uint64_t *pc,
			   unsigned int *npc)
{
	unsigned int limit = r->hdr.max_depth ? r->hdr.max_depth
					      : KPM_MAX_DEPTH_LIMIT;
	const char *p = t->p + 2, *end = t->p + t->len;
	unsigned int n = 0;

	if (t->len < 2 || t->p[0] != prefix || t->p[1] != '=')
		return kpm_fail(r, "expected %c=<pcs> (the %s stack), got \"%s\"",
				prefix, what, Q(*t));
	while (p < end) {
		const char *c = memchr(p, ',', end - p);
		struct kpm_tok pcs;

		if (!c)
			c = end;
		pcs.p = p;
		pcs.len = c - p;
		if (n == limit)
			return kpm_fail(r, "%s stack deeper than max_depth=%u",
					what, limit);
		if (!kp_parse_hex(pcs.p, pcs.len, &pc[n]))
			return kpm_fail(r, "%s stack: bad address \"%s\" (lowercase hex, 1-16 digits, no 0x, no leading zero)",
					what, Q(pcs));
		n++;
		if (c == end)
			break;
		p = c + 1;
		if (p == end)
			return kpm_fail(r, "%s stack ends with a comma", what);
	}
	*npc = n;
	return 0;
}

static int kpm_parse_flags(struct kpm_reader *r, const struct kpm_tok *t,
			   struct kpm_sample *s)
{
	size_t i;

	s->ktrunc = s->utrunc = false;
	if (kpm_tok_is(t, "-"))
		return 0;
	for (i = 0; i < t->len; i++) {
		bool *flag = t->p[i] == KPM_FLAG_KTRUNC ? &s->ktrunc :
			     t->p[i] == KPM_FLAG_UTRUNC ? &s->utrunc : NULL;

		if (!flag || *flag)
			return kpm_fail(r, "bad flags \"%s\" (expected - or any of K, U, each once)",
					Q(*t));
		*flag = true;
	}
	return 0;
}

/* The decimal fields of a record, each in its range; @n of them. */
struct kpm_dec_field {
	const char *what;
	uint64_t lo, hi;
};

static int kpm_parse_decs(struct kpm_reader *r, const struct kpm_tok *tok,
			  const struct kpm_dec_field *f, size_t n, uint64_t *v)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!kp_parse_dec(tok[i].p, tok[i].len, &v[i]))
			return kpm_fail(r, "%s \"%s\" is not a decimal number",
					f[i].what, Q(tok[i]));
		if (v[i] < f[i].lo || v[i] > f[i].hi)
			return kpm_fail(r, "%s %llu out of range %llu..%llu",
					f[i].what, (unsigned long long)v[i],
					(unsigned long long)f[i].lo,
					(unsigned long long)f[i].hi);
	}
	return 0;
}

static int kpm_parse_ids(struct kpm_reader *r, const struct kpm_tok *tok,
			 struct kpm_sample *s)
{
	static const struct kpm_dec_field f[3] = {
		{ "count", 1, KPM_READ_COUNT_MAX },
		{ "tgid", 0, KPM_READ_PID_MAX },
		{ "tid", 0, KPM_READ_PID_MAX },
	};
	uint64_t v[3];

	if (kpm_parse_decs(r, tok, f, 3, v))
		return -1;
	if (v[0] > (uint64_t)INT64_MAX / kpm_period(&r->hdr))
		return kpm_fail(r, "count %llu too large: count * period overflows",
				(unsigned long long)v[0]);
	if ((v[1] == 0) != (v[2] == 0))
		return kpm_fail(r, "tgid and tid must be both 0 (idle) or both non-zero");
	s->count = v[0];
	s->tgid = (uint32_t)v[1];
	s->tid = (uint32_t)v[2];
	return 0;
}

/* --- id sets: generations (version 2), cgroups (version 4) --- */

static bool kpm_idset_eq(const void *ctx, uint32_t entry)
{
	const struct kpm_idset *set = ((const void *const *)ctx)[0];
	const uint64_t *id = ((const void *const *)ctx)[1];

	return set->ids[entry] == *id;
}

/* Whether a line of this input named @id into @set. */
static bool kpm_idset_has(const struct kpm_idset *set, uint64_t id)
{
	const void *ctx[2] = { set, &id };

	return kp_index_find(&set->ix, kp_hash64(id), kpm_idset_eq, ctx) >= 0;
}

static void kpm_idset_add(struct kpm_idset *set, uint64_t id)
{
	kp_grow(&set->ids, &set->cap, set->n, sizeof(*set->ids));
	set->ids[set->n] = id;
	kp_index_insert(&set->ix, kp_hash64(id), (uint32_t)set->n);
	set->n++;
}

static bool kpm_gen_known(const struct kpm_reader *r, uint64_t gen)
{
	return kpm_idset_has(&r->gens, gen);
}

/* --- mapping records (version 2) --- */

/* "m=<gen>", the last field of a version 2 S line. */
static int kpm_parse_sample_gen(struct kpm_reader *r, const struct kpm_tok *t,
				struct kpm_sample *s)
{
	if (t->len < 3 || t->p[0] != 'm' || t->p[1] != '=' ||
	    !kp_parse_dec(t->p + 2, t->len - 2, &s->gen))
		return kpm_fail(r, "expected m=<generation> (decimal), got \"%s\"",
				Q(*t));
	if (s->gen && !kpm_gen_known(r, s->gen))
		return kpm_fail(r, "m=%llu: no G line of generation %llu in this file",
				(unsigned long long)s->gen,
				(unsigned long long)s->gen);
	return 0;
}

static int kpm_parse_gen(struct kpm_reader *r, const struct kpm_tok *tok,
			 size_t n, struct kpm_gen *g)
{
	static const struct kpm_dec_field f[4] = {
		{ "generation", 1, UINT64_MAX },
		{ "tgid", 1, KPM_READ_PID_MAX },
		{ "boot_ns", 0, UINT64_MAX },
		{ "exec", 0, UINT64_MAX },
	};
	uint64_t v[4];

	if (n != 5)
		return kpm_fail(r, "generation record has %zu fields, expected 5: G gen tgid boot_ns exec",
				n);
	if (kpm_parse_decs(r, tok + 1, f, 4, v))
		return -1;
	if (kpm_gen_known(r, v[0]))
		return kpm_fail(r, "generation %llu given twice (one G line per generation)",
				(unsigned long long)v[0]);
	kpm_idset_add(&r->gens, v[0]);
	r->cur_gen = v[0];
	g->gen = v[0];
	g->tgid = (uint32_t)v[1];
	g->boot_ns = v[2];
	g->exec = v[3];
	return 0;
}

/* "-", or 1 to 20 bytes as lowercase hex (what the module reads). */
static bool kpm_parse_build_id(const struct kpm_tok *t, char *out)
{
	size_t i;

	out[0] = '\0';
	if (kpm_tok_is(t, "-"))
		return true;
	if (t->len % 2 || t->len > KPM_READ_BUILD_ID_MAX)
		return false;
	for (i = 0; i < t->len; i++)
		if (kpm_hexval((unsigned char)t->p[i]) < 0)
			return false;
	memcpy(out, t->p, t->len);
	out[t->len] = '\0';
	return true;
}

static int kpm_parse_map(struct kpm_reader *r, const struct kpm_tok *tok,
			 size_t n, struct kpm_map *m)
{
	static const char *const what[3] = { "start", "end", "pgoff" };
	uint64_t *hex[3] = { &m->start, &m->end, &m->pgoff };
	const char *why = NULL;
	int i;

	if (n != 7)
		return kpm_fail(r, "mapping record has %zu fields, expected 7: M gen start end pgoff buildid path",
				n);
	if (!kp_parse_dec(tok[1].p, tok[1].len, &m->gen))
		return kpm_fail(r, "generation \"%s\" is not a decimal number",
				Q(tok[1]));
	if (m->gen != r->cur_gen && kpm_gen_known(r, m->gen) && !r->cur_gen)
		return kpm_fail(r, "mapping record of generation %llu after %s line (a generation's M lines follow its G line, before any %s line)",
				(unsigned long long)m->gen,
				r->closed_by == KPM_REC_CGROUP ? "a C" : "an S",
				r->closed_by == KPM_REC_CGROUP ? "C or S" : "S");
	if (m->gen != r->cur_gen && kpm_gen_known(r, m->gen))
		return kpm_fail(r, "mapping record of generation %llu after the G line of generation %llu (a generation's M lines follow its G line)",
				(unsigned long long)m->gen,
				(unsigned long long)r->cur_gen);
	if (m->gen != r->cur_gen)
		return kpm_fail(r, "mapping record of generation %llu before any G line of it (its G line must come first)",
				(unsigned long long)m->gen);
	for (i = 0; i < 3; i++)
		if (!kp_parse_hex(tok[2 + i].p, tok[2 + i].len, hex[i]))
			return kpm_fail(r, "mapping record: bad %s \"%s\" (lowercase hex, 1-16 digits, no 0x, no leading zero)",
					what[i], Q(tok[2 + i]));
	if (m->start >= m->end)
		return kpm_fail(r, "mapping record: start %llx is not below end %llx",
				(unsigned long long)m->start,
				(unsigned long long)m->end);
	if (!kpm_parse_build_id(&tok[5], m->build_id))
		return kpm_fail(r, "mapping record: bad build id \"%s\" (- or an even number of lowercase hex digits, at most %d)",
				Q(tok[5]), KPM_READ_BUILD_ID_MAX);
	if (!kpm_unescape(tok[6].p, tok[6].len, m->path, sizeof(m->path),
			  &m->path_len, "longer than 4095 bytes", &why))
		return kpm_fail(r, "mapping record: bad path \"%s\": %s",
				Q(tok[6]), why);
	return 0;
}

/* --- cgroup records (version 4) --- */

/* "c=<cgroup id>", the last field of a version 4 S line. */
static int kpm_parse_sample_cgroup(struct kpm_reader *r,
				   const struct kpm_tok *t,
				   struct kpm_sample *s)
{
	if (t->len < 3 || t->p[0] != 'c' || t->p[1] != '=' ||
	    !kp_parse_dec(t->p + 2, t->len - 2, &s->cgroup))
		return kpm_fail(r, "expected c=<cgroup id> (decimal), got \"%s\"",
				Q(*t));
	return 0;
}

static int kpm_parse_cgroup(struct kpm_reader *r, const struct kpm_tok *tok,
			    size_t n, struct kpm_cgroup *c)
{
	static const struct kpm_dec_field f = { "cgroup id", 1, UINT64_MAX };
	const char *why = NULL;

	if (r->hdr.version < 4)
		return kpm_fail(r, "C record in a version %u file (cgroup records are version 4)",
				r->hdr.version);
	if (n != 3)
		return kpm_fail(r, "cgroup record has %zu fields, expected 3: C id path",
				n);
	if (kpm_parse_decs(r, tok + 1, &f, 1, &c->id))
		return -1;
	if (kpm_idset_has(&r->cgroups, c->id))
		return kpm_fail(r, "cgroup id %llu given twice (one C line per cgroup)",
				(unsigned long long)c->id);
	if (kpm_tok_is(&tok[2], "-")) {
		c->path[0] = '\0';	/* removed before it was named */
		c->path_len = 0;
	} else if (!kpm_unescape(tok[2].p, tok[2].len, c->path,
				 sizeof(c->path), &c->path_len,
				 "longer than 4095 bytes", &why)) {
		return kpm_fail(r, "cgroup record: bad path \"%s\": %s",
				Q(tok[2]), why);
	} else if (c->path[0] != '/') {
		return kpm_fail(r, "cgroup record: path \"%s\" does not start with /",
				Q(tok[2]));
	}
	kpm_idset_add(&r->cgroups, c->id);
	return 0;
}

/* --- the S line --- */

static int kpm_parse_sample(struct kpm_reader *r, const struct kpm_tok *tok,
			    size_t n, struct kpm_sample *s)
{
	bool v2 = r->hdr.version >= 2, v4 = r->hdr.version >= 4;
	unsigned int want = v4 ? 10 : v2 ? 9 : 8;
	const char *why = NULL;

	if (n != want)
		return kpm_fail(r, "sample record has %zu fields, expected %u: S count tgid tid comm flags k=... u=...%s",
				n, want, v4 ? " m=... c=..." : v2 ? " m=..." : "");
	s->gen = 0;
	s->cgroup = 0;
	if (v2 && kpm_parse_sample_gen(r, &tok[8], s))
		return -1;
	if (v4 && kpm_parse_sample_cgroup(r, &tok[9], s))
		return -1;
	if (kpm_parse_ids(r, tok + 1, s))
		return -1;
	if (!kpm_parse_comm(tok[4].p, tok[4].len, s->comm, &s->comm_len, &why))
		return kpm_fail(r, "bad comm \"%s\": %s", Q(tok[4]), why);
	if (kpm_parse_flags(r, &tok[5], s) ||
	    kpm_parse_stack(r, &tok[6], 'k', "kernel", s->kpc, &s->nk) ||
	    kpm_parse_stack(r, &tok[7], 'u', "user", s->upc, &s->nu))
		return -1;
	if (r->hdr.max_depth && s->ktrunc && s->nk != r->hdr.max_depth)
		return kpm_fail(r, "flag K (kernel stack truncated) but %u kernel frames, not max_depth=%u",
				s->nk, r->hdr.max_depth);
	if (r->hdr.max_depth && s->utrunc && s->nu != r->hdr.max_depth)
		return kpm_fail(r, "flag U (user stack truncated) but %u user frames, not max_depth=%u",
				s->nu, r->hdr.max_depth);
	if (s->tgid == 0 && s->nu)
		return kpm_fail(r, "the idle task (tgid 0) has no user stack");
	return 0;
}

static int kpm_lost_field(struct kpm_reader *r, const struct kpm_tok *t,
			  const char *key, uint64_t *v)
{
	size_t klen = strlen(key);

	if (t->len <= klen || memcmp(t->p, key, klen) ||
	    !kp_parse_dec(t->p + klen, t->len - klen, v))
		return kpm_fail(r, "lost record: expected %s<decimal>, got \"%s\"",
				key, Q(*t));
	return 0;
}

static int kpm_parse_lost(struct kpm_reader *r, const struct kpm_tok *tok,
			  size_t n, struct kpm_lost *l)
{
	if (n != 4)
		return kpm_fail(r, "lost record has %zu fields, expected 4: L count alloc=N cap=N",
				n);
	if (!kp_parse_dec(tok[1].p, tok[1].len, &l->count))
		return kpm_fail(r, "lost record: count \"%s\" is not a decimal number",
				Q(tok[1]));
	if (kpm_lost_field(r, &tok[2], "alloc=", &l->alloc) ||
	    kpm_lost_field(r, &tok[3], "cap=", &l->cap))
		return -1;
	if (l->count < 1 || l->count > KPM_READ_COUNT_MAX)
		return kpm_fail(r, "lost record: count %llu out of range 1..%llu",
				(unsigned long long)l->count,
				KPM_READ_COUNT_MAX);
	if (l->count > (uint64_t)INT64_MAX / kpm_period(&r->hdr))
		return kpm_fail(r, "lost record: count %llu too large: count * period overflows",
				(unsigned long long)l->count);
	if (l->alloc > l->count || l->cap != l->count - l->alloc)
		return kpm_fail(r, "lost record: count %llu is not alloc + cap",
				(unsigned long long)l->count);
	return 0;
}

/* G and M lines: version 2 on; in version 2 before every S line, from
 * version 3 anywhere before the L line (an S line closes the G line
 * before it: M lines after an S line need a new G line).
 */
static int kpm_check_map_order(struct kpm_reader *r, char type)
{
	if (r->hdr.version < 2)
		return kpm_fail(r, "%c record in a version %u file (mapping records are version 2)",
				type, r->hdr.version);
	if (r->seen_sample && r->hdr.version < 3)
		return kpm_fail(r, "%c record after the first S record (in version 2, mapping records come before the samples)",
				type);
	return 0;
}

int kpm_reader_next(struct kpm_reader *r, struct kpm_record *rec)
{
	struct kpm_tok tok[10];
	char *line;
	size_t len, n;
	int ret;

	if (r->failed)
		return -1;
	rec->type = KPM_REC_NONE;
	ret = kpm_read_line(r, &line, &len);
	if (ret <= 0)
		return ret;
	if (r->seen_lost)
		return kpm_fail(r, "record after the lost-samples record (L must be the last line)");
	if (kpm_split(r, line, len, tok, KP_ARRAY_SIZE(tok), &n))
		return -1;
	if (kpm_tok_is(&tok[0], (char[]){ KPM_REC_SAMPLE, 0 })) {
		rec->type = KPM_REC_SAMPLE_LINE;
		if (kpm_parse_sample(r, tok, n, &rec->s))
			return -1;
		r->seen_sample = true;
		r->cur_gen = 0;
		r->closed_by = KPM_REC_SAMPLE;
	} else if (kpm_tok_is(&tok[0], (char[]){ KPM_REC_GEN, 0 }) ||
		   kpm_tok_is(&tok[0], (char[]){ KPM_REC_MAP, 0 })) {
		if (kpm_check_map_order(r, tok[0].p[0]))
			return -1;
		rec->type = tok[0].p[0] == KPM_REC_GEN ? KPM_REC_GEN_LINE
						       : KPM_REC_MAP_LINE;
		if (rec->type == KPM_REC_GEN_LINE ?
		    kpm_parse_gen(r, tok, n, &rec->g) :
		    kpm_parse_map(r, tok, n, &rec->m))
			return -1;
	} else if (kpm_tok_is(&tok[0], (char[]){ KPM_REC_CGROUP, 0 })) {
		rec->type = KPM_REC_CGROUP_LINE;
		if (kpm_parse_cgroup(r, tok, n, &rec->c))
			return -1;
		/* a generation's M lines directly follow its G line */
		r->cur_gen = 0;
		r->closed_by = KPM_REC_CGROUP;
	} else if (kpm_tok_is(&tok[0], (char[]){ KPM_REC_LOST, 0 })) {
		rec->type = KPM_REC_LOST_LINE;
		if (kpm_parse_lost(r, tok, n, &rec->l))
			return -1;
		r->seen_lost = true;
	} else {
		return kpm_fail(r, "unknown record type \"%s\" (expected %s)",
				Q(tok[0]), r->hdr.version >= 4 ? "G, M, C, S or L" :
				r->hdr.version >= 2 ? "G, M, S or L" : "S or L");
	}
	return 1;
}
