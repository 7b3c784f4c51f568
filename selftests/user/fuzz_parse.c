// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_parse.c - libFuzzer target for kprof2pprof's record reader
 *
 * Feeds arbitrary bytes through kpm_reader_open()/kpm_reader_next() as a
 * stream, and checks what the reader promises: it never crashes, every
 * record it accepts respects the bounds of parse.h and the header, and
 * every error is one line "fuzz:LINE: ...".
 */
#include <assert.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kpm_record rec;
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
		assert(r.hdr.version == KPM_FORMAT_VERSION);
		assert(r.hdr.freq >= 1 && r.hdr.freq <= KPM_READ_FREQ_MAX);
		assert(r.hdr.end_ns >= r.hdr.start_ns);
		while ((ret = kpm_reader_next(&r, &rec)) > 0) {
			if (rec.type == KPM_REC_SAMPLE_LINE)
				check_sample(&r, &rec.s);
			else
				assert(rec.l.count == rec.l.alloc + rec.l.cap &&
				       rec.l.count >= 1);
		}
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
