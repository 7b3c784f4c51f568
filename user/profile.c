// SPDX-License-Identifier: GPL-2.0
/*
 * profile.c - the pprof profile builder (see profile.h)
 *
 * Field numbers are those of profile.proto (github.com/google/pprof,
 * proto/profile.proto).
 */
#include <stdlib.h>
#include <string.h>

#include "profile.h"

enum {
	/* message Profile */
	TAG_PROFILE_SAMPLE_TYPE = 1,	/* repeated ValueType */
	TAG_PROFILE_SAMPLE = 2,		/* repeated Sample */
	TAG_PROFILE_MAPPING = 3,	/* repeated Mapping */
	TAG_PROFILE_LOCATION = 4,	/* repeated Location */
	TAG_PROFILE_FUNCTION = 5,	/* repeated Function */
	TAG_PROFILE_STRING_TABLE = 6,	/* repeated string */
	TAG_PROFILE_TIME_NANOS = 9,	/* int64 */
	TAG_PROFILE_DURATION_NANOS = 10,	/* int64 */
	TAG_PROFILE_PERIOD_TYPE = 11,	/* ValueType */
	TAG_PROFILE_PERIOD = 12,	/* int64 */
	TAG_PROFILE_COMMENT = 13,	/* repeated int64 (string index) */

	/* message ValueType */
	TAG_VALUETYPE_TYPE = 1,		/* int64 (string index) */
	TAG_VALUETYPE_UNIT = 2,		/* int64 (string index) */

	/* message Sample */
	TAG_SAMPLE_LOCATION_ID = 1,	/* repeated uint64 */
	TAG_SAMPLE_VALUE = 2,		/* repeated int64 */
	TAG_SAMPLE_LABEL = 3,		/* repeated Label */

	/* message Label */
	TAG_LABEL_KEY = 1,		/* int64 (string index) */
	TAG_LABEL_STR = 2,		/* int64 (string index) */
	TAG_LABEL_NUM = 3,		/* int64 */

	/* message Mapping */
	TAG_MAPPING_ID = 1,		/* uint64 */
	TAG_MAPPING_START = 2,		/* uint64 */
	TAG_MAPPING_LIMIT = 3,		/* uint64 */
	TAG_MAPPING_OFFSET = 4,		/* uint64 */
	TAG_MAPPING_FILENAME = 5,	/* int64 (string index) */
	TAG_MAPPING_BUILD_ID = 6,	/* int64 (string index) */
	TAG_MAPPING_HAS_FUNCTIONS = 7,	/* bool */

	/* message Location */
	TAG_LOCATION_ID = 1,		/* uint64 */
	TAG_LOCATION_MAPPING_ID = 2,	/* uint64 */
	TAG_LOCATION_ADDRESS = 3,	/* uint64 */
	TAG_LOCATION_LINE = 4,		/* repeated Line */

	/* message Line */
	TAG_LINE_FUNCTION_ID = 1,	/* uint64 */

	/* message Function */
	TAG_FUNCTION_ID = 1,		/* uint64 */
	TAG_FUNCTION_NAME = 2,		/* int64 (string index) */
	TAG_FUNCTION_SYSTEM_NAME = 3,	/* int64 (string index) */
};

uint32_t prof_str(struct prof *p, const char *s, size_t len)
{
	uint32_t num;
	size_t olen;
	char *clean;

	if (kp_utf8_valid(s, len) && !memchr(s, '\0', len))
		return kp_strpool_intern(&p->str, s, len);
	clean = kp_utf8_sanitize(s, len, &olen);
	num = kp_strpool_intern(&p->str, clean, strlen(clean));
	free(clean);
	return num;
}

uint32_t prof_strz(struct prof *p, const char *s)
{
	return prof_str(p, s, strlen(s));
}

static void prof_value_type(struct prof *p, int tag, const char *type,
			    const char *unit)
{
	size_t start = pb_start_message(&p->pb);

	pb_int64_opt(&p->pb, TAG_VALUETYPE_TYPE, prof_strz(p, type));
	pb_int64_opt(&p->pb, TAG_VALUETYPE_UNIT, prof_strz(p, unit));
	pb_end_message(&p->pb, tag, start);
}

void prof_init(struct prof *p, pb_sink_fn sink, void *ctx, int64_t period)
{
	memset(p, 0, sizeof(*p));
	pb_init(&p->pb, sink, ctx);
	p->emit = sink != NULL;
	p->period = period;
	kp_strpool_intern(&p->str, "", 0);	/* string_table[0] */
	if (p->emit) {
		prof_value_type(p, TAG_PROFILE_SAMPLE_TYPE, "samples", "count");
		prof_value_type(p, TAG_PROFILE_SAMPLE_TYPE, "cpu",
				"nanoseconds");
	}
}

void prof_free(struct prof *p)
{
	pb_free(&p->pb);
	kp_strpool_free(&p->str);
	free(p->map);
	kp_index_free(&p->mapix);
	free(p->loc);
	free(p->key);
	kp_index_free(&p->keyix);
	free(p->func);
	kp_index_free(&p->funcix);
	free(p->locbuf);
	memset(p, 0, sizeof(*p));
}

/* --- mappings --- */

static uint64_t prof_mapping_hash(const struct prof_mapping *m)
{
	return kp_hash64(m->start ^ kp_hash64(m->limit ^ kp_hash64(
			 m->offset ^ kp_hash64((uint64_t)m->file << 32 |
					       m->build_id))));
}

static bool prof_mapping_eq(const void *ctx, uint32_t entry)
{
	const struct prof *p = ((const void *const *)ctx)[0];
	const struct prof_mapping *k = ((const void *const *)ctx)[1];
	const struct prof_mapping *m = &p->map[entry];

	return !m->grow && m->start == k->start && m->limit == k->limit &&
	       m->offset == k->offset && m->file == k->file &&
	       m->build_id == k->build_id;
}

uint32_t prof_mapping(struct prof *p, uint64_t start, uint64_t limit,
		      uint64_t offset, const char *file, const char *build_id,
		      bool grow)
{
	struct prof_mapping m = {
		.start = start, .limit = limit, .offset = offset,
		.file = prof_strz(p, file), .build_id = prof_strz(p, build_id),
		.grow = grow,
	};
	const void *ctx[2] = { p, &m };
	uint64_t h = prof_mapping_hash(&m);
	long e = -1;

	if (!grow)
		e = kp_index_find(&p->mapix, h, prof_mapping_eq, ctx);
	if (e >= 0)
		return (uint32_t)e + 1;
	kp_grow(&p->map, &p->mapcap, p->nmap, sizeof(*p->map));
	p->map[p->nmap] = m;
	if (!grow)
		kp_index_insert(&p->mapix, h, (uint32_t)p->nmap);
	return (uint32_t)++p->nmap;
}

/*
 * has_functions when every location of the mapping got a function: pprof
 * then keeps the names and does not look for the file (which is often on
 * another machine). has_filenames, has_line_numbers and has_inline_frames
 * (fields 8, 9, 10) stay unset because they would be false: a Function
 * has no file name, a Line no line number, and a symbol table cannot
 * tell which frames were inlined.
 */
static void prof_write_mapping(struct prof *p, uint32_t id)
{
	const struct prof_mapping *m = &p->map[id - 1];
	size_t start;

	start = pb_start_message(&p->pb);
	pb_uint64_opt(&p->pb, TAG_MAPPING_ID, id);
	pb_uint64_opt(&p->pb, TAG_MAPPING_START, m->start);
	pb_uint64_opt(&p->pb, TAG_MAPPING_LIMIT, m->limit);
	pb_uint64_opt(&p->pb, TAG_MAPPING_OFFSET, m->offset);
	pb_int64_opt(&p->pb, TAG_MAPPING_FILENAME, m->file);
	pb_int64_opt(&p->pb, TAG_MAPPING_BUILD_ID, m->build_id);
	pb_bool_opt(&p->pb, TAG_MAPPING_HAS_FUNCTIONS,
		    m->nloc && m->nnamed == m->nloc);
	pb_end_message(&p->pb, TAG_PROFILE_MAPPING, start);
	pb_flush_maybe(&p->pb);
}

/* --- functions --- */

static bool prof_func_eq(const void *ctx, uint32_t entry)
{
	const struct prof *p = ((const void *const *)ctx)[0];
	const struct prof_func *k = ((const void *const *)ctx)[1];

	return p->func[entry].name == k->name &&
	       p->func[entry].kernel == k->kernel;
}

/* The id of the function called @name, writing it when new. */
static uint32_t prof_func(struct prof *p, const char *name, bool kernel)
{
	struct prof_func f = { prof_strz(p, name), kernel };
	const void *ctx[2] = { p, &f };
	uint64_t h = kp_hash64((uint64_t)f.name << 1 | f.kernel);
	long e = kp_index_find(&p->funcix, h, prof_func_eq, ctx);
	size_t start;
	uint32_t id;

	if (e >= 0)
		return (uint32_t)e + 1;
	kp_grow(&p->func, &p->funccap, p->nfunc, sizeof(*p->func));
	p->func[p->nfunc] = f;
	kp_index_insert(&p->funcix, h, (uint32_t)p->nfunc);
	id = (uint32_t)++p->nfunc;
	if (p->emit) {
		start = pb_start_message(&p->pb);
		pb_uint64_opt(&p->pb, TAG_FUNCTION_ID, id);
		pb_int64_opt(&p->pb, TAG_FUNCTION_NAME, f.name);
		pb_int64_opt(&p->pb, TAG_FUNCTION_SYSTEM_NAME, f.name);
		pb_end_message(&p->pb, TAG_PROFILE_FUNCTION, start);
		pb_flush_maybe(&p->pb);
	}
	return id;
}

/* --- locations --- */

static uint64_t prof_key_hash(uint32_t space, uint64_t addr, bool adj)
{
	return kp_hash64(addr ^ kp_hash64((uint64_t)space << 1 | adj));
}

static bool prof_key_eq(const void *ctx, uint32_t entry)
{
	const struct prof *p = ((const void *const *)ctx)[0];
	const struct prof_lockey *k = ((const void *const *)ctx)[1];
	const struct prof_lockey *e = &p->key[entry];

	return e->addr == k->addr && e->space == k->space && e->adj == k->adj;
}

static long prof_key_find(struct prof *p, uint32_t space, uint64_t addr,
			  bool adj)
{
	struct prof_lockey k = { .addr = addr, .space = space, .adj = adj };
	const void *ctx[2] = { p, &k };
	long e = kp_index_find(&p->keyix, prof_key_hash(space, addr, adj),
			       prof_key_eq, ctx);

	return e < 0 ? -1 : (long)p->key[e].loc;
}

uint32_t prof_loc_find(struct prof *p, uint32_t space, uint64_t addr,
		       bool adj)
{
	long l = prof_key_find(p, space, addr, adj);

	return l < 0 ? 0 : (uint32_t)l + 1;
}

static void prof_key_add(struct prof *p, uint32_t space, uint64_t addr,
			 bool adj, uint32_t loc)
{
	kp_grow(&p->key, &p->keycap, p->nkey, sizeof(*p->key));
	p->key[p->nkey] = (struct prof_lockey){
		.addr = addr, .space = space, .adj = adj, .loc = loc,
	};
	kp_index_insert(&p->keyix, prof_key_hash(space, addr, adj),
			(uint32_t)p->nkey);
	p->nkey++;
}

static void prof_write_location(struct prof *p, uint32_t id)
{
	const struct prof_loc *l = &p->loc[id - 1];
	size_t start, line;

	start = pb_start_message(&p->pb);
	pb_uint64_opt(&p->pb, TAG_LOCATION_ID, id);
	pb_uint64_opt(&p->pb, TAG_LOCATION_MAPPING_ID, l->mapping);
	/* Without a mapping it is a synthetic frame: its addr is only a key. */
	if (l->mapping)
		pb_uint64_opt(&p->pb, TAG_LOCATION_ADDRESS, l->addr);
	if (l->func) {
		line = pb_start_message(&p->pb);
		pb_uint64_opt(&p->pb, TAG_LINE_FUNCTION_ID, l->func);
		pb_end_message(&p->pb, TAG_LOCATION_LINE, line);
	}
	pb_end_message(&p->pb, TAG_PROFILE_LOCATION, start);
	pb_flush_maybe(&p->pb);
}

static void prof_mapping_note_loc(struct prof *p, uint32_t mapping,
				  uint64_t addr, bool named)
{
	struct prof_mapping *m;

	if (!mapping)
		return;
	m = &p->map[mapping - 1];
	if (m->grow) {
		if (m->nloc == 0 && m->start >= m->limit) {
			m->start = addr;
			m->limit = addr + 1;
		}
		if (addr < m->start)
			m->start = addr;
		if (addr >= m->limit)
			m->limit = addr + 1;
	}
	m->nloc++;
	m->nnamed += named;
}

uint32_t prof_loc_add(struct prof *p, uint32_t space, uint64_t addr, bool adj,
		      uint32_t mapping, const char *name, bool kernel)
{
	uint32_t func = name ? prof_func(p, name, kernel) : 0;
	long other = prof_key_find(p, space, addr, !adj);
	uint32_t id;

	if (other >= 0 && p->loc[other].func == func &&
	    p->loc[other].mapping == mapping) {
		prof_key_add(p, space, addr, adj, (uint32_t)other);
		return (uint32_t)other + 1;
	}
	kp_grow(&p->loc, &p->loccap, p->nloc, sizeof(*p->loc));
	p->loc[p->nloc] = (struct prof_loc){
		.addr = addr, .mapping = mapping, .func = func,
	};
	id = (uint32_t)++p->nloc;
	prof_key_add(p, space, addr, adj, id - 1);
	prof_mapping_note_loc(p, mapping, addr, func != 0);
	if (p->emit)
		prof_write_location(p, id);
	return id;
}

/* --- samples --- */

void prof_sample(struct prof *p, const uint32_t *locs, size_t n,
		 uint64_t count, const struct prof_label *labels,
		 size_t nlabels)
{
	int64_t values[2] = { (int64_t)count, (int64_t)count * p->period };
	size_t start, lstart, i;

	p->nsamples++;
	if (!p->emit)
		return;
	if (n > p->locbufcap) {
		p->locbufcap = n;
		p->locbuf = xrealloc(p->locbuf, n * sizeof(*p->locbuf));
	}
	for (i = 0; i < n; i++)
		p->locbuf[i] = locs[i];
	start = pb_start_message(&p->pb);
	pb_uint64s(&p->pb, TAG_SAMPLE_LOCATION_ID, p->locbuf, n);
	pb_int64s(&p->pb, TAG_SAMPLE_VALUE, values, 2);
	for (i = 0; i < nlabels; i++) {
		lstart = pb_start_message(&p->pb);
		pb_int64_opt(&p->pb, TAG_LABEL_KEY, labels[i].key);
		if (labels[i].str)
			pb_int64_opt(&p->pb, TAG_LABEL_STR, labels[i].str);
		else
			pb_int64(&p->pb, TAG_LABEL_NUM, labels[i].num);
		pb_end_message(&p->pb, TAG_SAMPLE_LABEL, lstart);
	}
	pb_end_message(&p->pb, TAG_PROFILE_SAMPLE, start);
	pb_flush_maybe(&p->pb);
}

/* --- the end --- */

int prof_finish(struct prof *p, int64_t time_ns, int64_t duration_ns,
		const char *const *comments)
{
	size_t i;

	if (!p->emit)
		return 0;
	for (i = 0; i < p->nmap; i++)
		prof_write_mapping(p, (uint32_t)i + 1);
	for (i = 0; comments && comments[i]; i++)
		pb_int64(&p->pb, TAG_PROFILE_COMMENT, prof_strz(p, comments[i]));
	prof_value_type(p, TAG_PROFILE_PERIOD_TYPE, "cpu", "nanoseconds");
	pb_int64_opt(&p->pb, TAG_PROFILE_TIME_NANOS, time_ns);
	pb_int64_opt(&p->pb, TAG_PROFILE_DURATION_NANOS, duration_ns);
	pb_int64_opt(&p->pb, TAG_PROFILE_PERIOD, p->period);
	/* Last, so that every string above is in it. */
	for (i = 0; i < p->str.n; i++) {
		pb_bytes(&p->pb, TAG_PROFILE_STRING_TABLE, p->str.str[i].s,
			 p->str.str[i].len);
		pb_flush_maybe(&p->pb);
	}
	return pb_flush(&p->pb);
}
