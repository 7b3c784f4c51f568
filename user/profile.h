/* SPDX-License-Identifier: GPL-2.0 */
/*
 * profile.h - the pprof profile builder
 *
 * Turns symbolized frames into the messages of profile.proto and writes
 * them through the pb writer as soon as they exist: each Function and
 * Location when first seen, each Sample when recorded. Only the tables
 * needed to deduplicate (locations, functions, mappings, strings) stay in
 * memory, so memory follows the number of unique locations, never the
 * number of records. Mappings, the string table and the scalar fields are
 * written by prof_finish(); protobuf allows fields in any order.
 *
 * Ids of mappings, locations and functions start at 1; string 0 is "".
 */
#ifndef KP_PROFILE_H
#define KP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pb.h"
#include "util.h"

/* A location key space: user mapping ids, or one of these. */
#define PROF_SPACE_KERNEL	0xfffffffeU	/* every kernel address */
#define PROF_SPACE_SYNTH	0xffffffffU	/* [lost], [truncated], ... */

struct prof_mapping {
	uint64_t start, limit, offset;
	uint32_t file, build_id;	/* string numbers */
	bool grow;		/* start/limit follow the addresses seen */
	uint64_t nloc, nnamed;	/* locations, and those with a function */
};

struct prof_loc {
	uint64_t addr;
	uint32_t mapping;	/* mapping id, 0 for none */
	uint32_t func;		/* function id, 0 when it has no name */
};

/* Location lookup key: the same address may need two locations. */
struct prof_lockey {
	uint64_t addr;
	uint32_t space;		/* PROF_SPACE_* or a user mapping id */
	uint32_t adj;		/* 1: looked up at addr - 1 (return address) */
	uint32_t loc;		/* index in prof.loc */
};

struct prof_func {
	uint32_t name;		/* string number */
	uint32_t kernel;	/* kernel and user functions never merge */
};

struct prof_label {
	uint32_t key;		/* string number */
	uint32_t str;		/* string number, or 0 for a numeric label */
	int64_t num;
};

/*
 * struct prof - one profile being written.
 * Invariant: every id written to the output refers to an entry that is
 * or will be written: functions and locations before any sample that
 * uses them, mappings at prof_finish().
 */
struct prof {
	struct pb pb;
	bool emit;		/* false: build tables only (--folded) */
	struct kp_strpool str;	/* the string_table, by number */
	struct prof_mapping *map;
	size_t nmap, mapcap;
	struct kp_index mapix;
	struct prof_loc *loc;
	size_t nloc, loccap;
	struct prof_lockey *key;
	size_t nkey, keycap;
	struct kp_index keyix;
	struct prof_func *func;
	size_t nfunc, funccap;
	struct kp_index funcix;
	int64_t period;		/* ns per sample */
	uint64_t nsamples;	/* Sample messages written */
	uint64_t *locbuf;	/* scratch for one sample's location ids */
	size_t locbufcap;
};

/**
 * prof_init() - start a profile
 * @p:      the builder
 * @sink:   receives the encoded (uncompressed) bytes; NULL to build the
 *          tables only, for --folded
 * @ctx:    passed to @sink
 * @period: nanoseconds per sample (1e9 / freq)
 *
 * Writes the sample types.
 *
 * Context: process. Return: nothing.
 */
void prof_init(struct prof *p, pb_sink_fn sink, void *ctx, int64_t period);

/** prof_free() - release the tables. Context: process. */
void prof_free(struct prof *p);

/**
 * prof_str() - string number of @s, made valid UTF-8 first
 *
 * Context: process. Return: the number (its string_table index).
 */
uint32_t prof_str(struct prof *p, const char *s, size_t len);

/** prof_strz() - prof_str() of a NUL-terminated string. */
uint32_t prof_strz(struct prof *p, const char *s);

/**
 * prof_mapping() - id of a mapping, shared with an identical one
 * @p:        the builder
 * @start:    first address
 * @limit:    one past the last address
 * @offset:   file offset of @start
 * @file:     file name (string)
 * @build_id: hex build id, or "" for none
 * @grow:     the range is not known yet: never shared, and grown to
 *            cover each location added to it
 *
 * Context: process. Return: the mapping id (>= 1).
 */
uint32_t prof_mapping(struct prof *p, uint64_t start, uint64_t limit,
		      uint64_t offset, const char *file, const char *build_id,
		      bool grow);

/**
 * prof_loc_find() - id of an existing location
 * @space: PROF_SPACE_* or the user mapping id the address is in
 * @addr:  the address
 * @adj:   true for a return address (symbolized at @addr - 1)
 *
 * Context: process. Return: the location id, or 0 when not seen yet.
 */
uint32_t prof_loc_find(struct prof *p, uint32_t space, uint64_t addr,
		       bool adj);

/**
 * prof_loc_add() - create the location that prof_loc_find() did not find
 * @space, @addr, @adj: its key, as for prof_loc_find()
 * @mapping: the mapping id it belongs to, 0 for none
 * @name:    its function's name, NULL when it could not be named
 * @kernel:  a kernel function (kept apart from a user one of that name)
 *
 * A return address whose function is the same as that of the same
 * address seen as a leaf shares that location.
 *
 * Context: process. Return: the location id.
 */
uint32_t prof_loc_add(struct prof *p, uint32_t space, uint64_t addr, bool adj,
		      uint32_t mapping, const char *name, bool kernel);

/**
 * prof_sample() - write one Sample
 * @locs:   location ids, leaf first
 * @n:      how many
 * @count:  samples; the second value is @count * period
 * @labels: its labels
 * @nlabels: how many
 *
 * Context: process. Return: nothing.
 */
void prof_sample(struct prof *p, const uint32_t *locs, size_t n,
		 uint64_t count, const struct prof_label *labels,
		 size_t nlabels);

/**
 * prof_finish() - write mappings, the string table and the scalar
 * fields, then flush
 * @time_ns:     time_nanos
 * @duration_ns: duration_nanos
 * @comments:    NULL-terminated list of comment strings, or NULL
 *
 * Context: process. Return: 0 or the first sink error (negative errno).
 */
int prof_finish(struct prof *p, int64_t time_ns, int64_t duration_ns,
		const char *const *comments);

#endif /* KP_PROFILE_H */
