/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse.h - reader of the kprofmap record format
 *
 * The format is defined in module/kprofmap_format.h; this reader applies
 * its strictest reading (see Documentation/kprof2pprof.rst, "Input"):
 * every field is checked, any deviation is an error naming the file, the
 * line and what was wrong. It reads versions 1 to 4 (version 2 adds the
 * G and M mapping records and the m= field of S lines, version 3 lets
 * them follow S lines, each before the first S line naming it, version 4
 * adds the C cgroup records and the c= field of S lines). What the
 * reader holds is one line buffer, one record and, from version 2, the set of
 * generation ids its G lines named (so that an M line or an m= field that
 * names an unknown one is refused) and the set of cgroup ids its C lines
 * named (so that none is named twice): the sets grow with those lines only.
 */
#ifndef KP_PARSE_H
#define KP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../module/kprofmap_format.h"
#include "util.h"

/*
 * Bounds that make a value absurd. The format header fixes none of them
 * except max_depth; these are far beyond any real machine so that only
 * corruption trips them.
 */
#define KPM_READ_FREQ_MAX	1000000ULL	/* Hz */
#define KPM_READ_CPUS_MAX	65536ULL
#define KPM_READ_PID_MAX	4194304ULL	/* PID_MAX_LIMIT */
#define KPM_READ_COUNT_MAX	1000000000000ULL /* per record */
/* Longest accepted line; a full sample line is under 9 KiB. */
#define KPM_READ_LINE_MAX	16384
/* Oldest and newest format versions this reader takes. */
#define KPM_READ_VERSION_MIN	1
#define KPM_READ_VERSION_MAX	4
_Static_assert(KPM_FORMAT_VERSION <= KPM_READ_VERSION_MAX,
	       "the module writes a record format this reader does not know");

/* Bytes of an unescaped M line path including its NUL (PATH_MAX). */
#define KPM_READ_PATH_MAX	4096
/* Hex digits of the longest accepted build id (20 bytes: SHA-1). */
#define KPM_READ_BUILD_ID_MAX	40

/* The header line. */
struct kpm_header {
	unsigned int version;
	uint64_t freq;		/* Hz per CPU, 1..KPM_READ_FREQ_MAX */
	uint64_t cpus;
	uint64_t start_ns;	/* CLOCK_REALTIME */
	uint64_t end_ns;	/* >= start_ns */
	unsigned int max_depth;	/* 0: not given (then KPM_MAX_DEPTH_LIMIT) */
};

/* kpm_period() - nanoseconds per sample: the profile's period. */
static inline uint64_t kpm_period(const struct kpm_header *h)
{
	return 1000000000ULL / h->freq;
}

enum kpm_rec_type {
	KPM_REC_NONE = 0,	/* end of input */
	KPM_REC_SAMPLE_LINE,
	KPM_REC_LOST_LINE,
	KPM_REC_GEN_LINE,	/* version 2 */
	KPM_REC_MAP_LINE,	/* version 2 */
	KPM_REC_CGROUP_LINE,	/* version 4 */
};

/* One S line: a unique (task, stack) and its count. */
struct kpm_sample {
	uint64_t count;		/* 1..KPM_READ_COUNT_MAX */
	uint32_t tgid, tid;	/* both 0 only for the idle task */
	char comm[KPM_COMM_LEN];	/* unescaped, NUL-terminated */
	size_t comm_len;	/* bytes before the NUL, 0..15 */
	bool ktrunc, utrunc;	/* the K and U flags */
	unsigned int nk, nu;	/* frames, each <= max_depth */
	uint64_t kpc[KPM_MAX_DEPTH_LIMIT];	/* leaf first */
	uint64_t upc[KPM_MAX_DEPTH_LIMIT];	/* leaf first */
	uint64_t gen;		/* m=: a G line's generation, 0 for none (v1) */
	uint64_t cgroup;	/* c=: a cgroup v2 id, 0 for unknown (v1-3) */
};

/* A G line: one snapshot of one process image's file mappings. */
struct kpm_gen {
	uint64_t gen;		/* >= 1, not seen before in this input */
	uint32_t tgid;		/* 1..KPM_READ_PID_MAX */
	uint64_t boot_ns;	/* process start, ns since boot */
	uint64_t exec;		/* execs of the process so far */
};

/* An M line: one executable file mapping of the last G line's image. */
struct kpm_map {
	uint64_t gen;		/* == that of the G line just before */
	uint64_t start, end;	/* start < end */
	uint64_t pgoff;		/* file offset of start */
	char build_id[KPM_READ_BUILD_ID_MAX + 1];	/* hex, "" for '-' */
	char path[KPM_READ_PATH_MAX];	/* unescaped, NUL-terminated */
	size_t path_len;	/* 1..KPM_READ_PATH_MAX - 1 */
};

/*
 * A C line: a cgroup v2 id and its path from the cgroup2 root, or "-"
 * for a cgroup removed before the module named it. S lines may also name
 * an id no C line gave (kprof2pprof labels those, and unnamed ones, by
 * id).
 */
struct kpm_cgroup {
	uint64_t id;		/* >= 1, not seen before in this input */
	char path[KPM_READ_PATH_MAX];	/* unescaped, starts with '/'; "" for - */
	size_t path_len;	/* 0 (for -) .. KPM_READ_PATH_MAX - 1 */
};

/* The L line: samples lost since the window start. */
struct kpm_lost {
	uint64_t count;		/* alloc + cap, >= 1 */
	uint64_t alloc, cap;
};

struct kpm_record {
	enum kpm_rec_type type;
	union {
		struct kpm_sample s;
		struct kpm_lost l;
		struct kpm_gen g;
		struct kpm_map m;
		struct kpm_cgroup c;
	};
};

/* A set of ids seen in the input: generations, cgroups. */
struct kpm_idset {
	uint64_t *ids;		/* in input order */
	size_t n, cap;
	struct kp_index ix;	/* id -> ids[] */
};

/*
 * struct kpm_reader - one input stream being read.
 * Invariant: after an error, kpm_reader_next() keeps returning it.
 */
struct kpm_reader {
	FILE *f;
	const char *name;	/* for messages */
	unsigned long line;	/* number of the line last read, from 1 */
	char *buf;		/* KPM_READ_LINE_MAX + 1 + read-ahead */
	size_t bufcap;
	size_t pos, end;	/* unread bytes are buf[pos..end) */
	bool eof;
	bool seen_lost;		/* the L line was read: nothing may follow */
	bool seen_sample;	/* an S line was read: in v2, no G or M may follow */
	bool failed;
	uint64_t cur_gen;	/* generation of the last G line, 0 before one
				 * and after an S or C line */
	char closed_by;		/* 'S' or 'C': the line that ended cur_gen's M lines */
	struct kpm_idset gens;	/* every G line's generation */
	struct kpm_idset cgroups;	/* every C line's id */
	struct kpm_header hdr;
	char err[320];		/* "NAME:LINE: what was wrong" */
};

/**
 * kpm_reader_open() - start reading @f and parse its header line
 * @r:    the reader
 * @f:    an open stream, positioned at the start
 * @name: the name to put in messages
 *
 * Context: process; reads @f. Return: 0, or -1 with the message in
 * @r->err (and @r->hdr not valid).
 */
int kpm_reader_open(struct kpm_reader *r, FILE *f, const char *name);

/**
 * kpm_reader_next() - read the next record
 * @r:   the reader
 * @rec: filled in
 *
 * Context: process; reads @f. Return: 1 with @rec filled, 0 at the end
 * of the input, or -1 with the message in @r->err.
 */
int kpm_reader_next(struct kpm_reader *r, struct kpm_record *rec);

/**
 * kpm_reader_close() - free the buffer and the id sets (the stream stays
 * open). Context: process.
 */
void kpm_reader_close(struct kpm_reader *r);

/**
 * kpm_parse_comm() - unescape a comm field
 * @s:   the field as written in the record
 * @len: its length
 * @out: KPM_COMM_LEN bytes, NUL-terminated on success
 * @olen: bytes before the NUL
 * @why: on failure, what was wrong
 *
 * Only the canonical form is accepted: bytes 0x21..0x7e other than '\'
 * literally, every other byte as \xHH with lowercase digits, and the
 * empty comm as exactly "\x00".
 *
 * Context: any. Return: true when valid.
 */
bool kpm_parse_comm(const char *s, size_t len, char *out, size_t *olen,
		    const char **why);

#endif /* KP_PARSE_H */
