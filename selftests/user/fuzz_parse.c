// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_parse.c - libFuzzer target for kprof2pprof's record reader
 *
 * Feeds arbitrary bytes through kpm_reader_open()/kpm_reader_next() as a
 * stream, and checks what the reader promises: it never crashes, every
 * record it accepts respects the bounds of parse.h and the header, and
 * every error is one line "fuzz:LINE: ...". For version 2 it also checks
 * the order of the mapping records: each M line belongs to the G line just
 * before it, no generation twice, and an S line names 0 or a generation
 * whose G line came before. For version 4, the cgroup records: an id of
 * 1 or more given once, a path from the root, and no c= before version 4.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

static void check_error(const struct kpm_reader *r)
{
	assert(!strncmp(r->err, "fuzz:", 5));
	assert(!strchr(r->err, '\n'));
}

static void check_sample(const struct kpm_reader *r, const struct kpm_sample *s)
{
	unsigned int depth = r->hdr.max_depth ? r->hdr.max_depth
					      : KPM_MAX_DEPTH_LIMIT;

	assert(s->count >= 1 && s->count <= KPM_READ_COUNT_MAX);
	assert(s->tgid <= KPM_READ_PID_MAX && s->tid <= KPM_READ_PID_MAX);
	assert((s->tgid == 0) == (s->tid == 0));
	assert(s->comm_len < KPM_COMM_LEN && strlen(s->comm) == s->comm_len);
	assert(s->nk <= depth && s->nu <= depth);
	assert(!s->ktrunc || !r->hdr.max_depth || s->nk == depth);
	assert(s->tgid || !s->nu);
}

/* The generations or cgroup ids accepted so far (the first GENS_MAX). */
#define GENS_MAX 1024
struct gens {
	uint64_t gen[GENS_MAX];
	size_t n;
	bool full;
};

static bool gens_has(const struct gens *g, uint64_t gen)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (g->gen[i] == gen)
			return true;
	return false;
}

/* @id is new to @seen; remember it. */
static void gens_add(struct gens *seen, uint64_t id)
{
	assert(!gens_has(seen, id));
	if (seen->n < GENS_MAX)
		seen->gen[seen->n++] = id;
	else
		seen->full = true;
}

static void check_gen(const struct kpm_gen *g, struct gens *seen)
{
	assert(g->gen >= 1);
	assert(g->tgid >= 1 && g->tgid <= KPM_READ_PID_MAX);
	gens_add(seen, g->gen);
}

static void check_cgroup(const struct kpm_cgroup *c, struct gens *seen)
{
	assert(c->id >= 1);
	assert(c->path_len < KPM_READ_PATH_MAX);
	assert(strlen(c->path) == c->path_len);
	assert(c->path_len == 0 || c->path[0] == '/');
	gens_add(seen, c->id);
}

static void check_map(const struct kpm_map *m, uint64_t last_gen)
{
	size_t i, len = strlen(m->build_id);

	assert(m->gen == last_gen);
	assert(m->start < m->end);
	assert(len % 2 == 0 && len <= KPM_READ_BUILD_ID_MAX);
	for (i = 0; i < len; i++)
		assert(strchr("0123456789abcdef", m->build_id[i]));
	assert(m->path_len >= 1 && m->path_len < KPM_READ_PATH_MAX);
	assert(strlen(m->path) == m->path_len);
}

/* What the records before the current one were. */
struct history {
	struct gens gens;	/* G lines */
	struct gens cgroups;	/* C lines */
	uint64_t last_gen;	/* of the last G line, 0 after an S or C line */
	bool sampled;		/* an S line was read */
};

/* Check @rec against the records before it (asserts). */
static void check_record(const struct kpm_reader *r,
			 const struct kpm_record *rec, struct history *h)
{
	struct gens *seen = &h->gens;

	switch (rec->type) {
	case KPM_REC_SAMPLE_LINE:
		check_sample(r, &rec->s);
		assert(r->hdr.version >= 2 || rec->s.gen == 0);
		assert(r->hdr.version >= 4 || rec->s.cgroup == 0);
		assert(!rec->s.gen || seen->full || gens_has(seen, rec->s.gen));
		h->sampled = true;
		h->last_gen = 0;
		break;
	case KPM_REC_LOST_LINE:
		assert(rec->l.count == rec->l.alloc + rec->l.cap &&
		       rec->l.count >= 1);
		break;
	case KPM_REC_GEN_LINE:
		assert(r->hdr.version >= 3 ||
		       (r->hdr.version == 2 && !h->sampled));
		check_gen(&rec->g, seen);
		h->last_gen = rec->g.gen;
		break;
	case KPM_REC_MAP_LINE:
		assert(r->hdr.version >= 3 ||
		       (r->hdr.version == 2 && !h->sampled));
		check_map(&rec->m, h->last_gen);
		break;
	case KPM_REC_CGROUP_LINE:
		assert(r->hdr.version >= 4);
		check_cgroup(&rec->c, &h->cgroups);
		h->last_gen = 0;
		break;
	default:
		assert(0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kpm_record rec;
	static struct history h;
	struct kpm_reader r;
	FILE *f;
	int ret;

	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (kpm_reader_open(&r, f, "fuzz")) {
		check_error(&r);
	} else {
		assert(r.hdr.version >= KPM_READ_VERSION_MIN &&
		       r.hdr.version <= KPM_READ_VERSION_MAX);
		memset(&h, 0, sizeof(h));
		assert(r.hdr.freq >= 1 && r.hdr.freq <= KPM_READ_FREQ_MAX);
		assert(r.hdr.end_ns >= r.hdr.start_ns);
		while ((ret = kpm_reader_next(&r, &rec)) > 0)
			check_record(&r, &rec, &h);
		if (ret < 0)
			check_error(&r);
		/* an error sticks */
		if (ret < 0)
			assert(kpm_reader_next(&r, &rec) < 0);
	}
	kpm_reader_close(&r);
	fclose(f);
	return 0;
}
