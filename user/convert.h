/* SPDX-License-Identifier: GPL-2.0 */
/*
 * convert.h - one conversion: records in, profile (or folded stacks) out
 *
 * The pipeline of kprof2pprof, shared by the command line (main.c) and
 * the encode benchmark (bench_encode.c):
 *
 *   parse.c (one record at a time)
 *     -> ksym.c / usym.c (name each new location once)
 *     -> profile.c (dedup, pprof messages) -> pb.c -> output.c (gzip)
 *   or, with --folded, one "comm;root;...;leaf count" line per record.
 */
#ifndef KP_CONVERT_H
#define KP_CONVERT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct kp_options {
	const char *output;	/* path, "-" for stdout */
	const char *proc_root;	/* PID/maps, PID/map_files: "/proc" */
	const char *kallsyms;	/* "/proc/kallsyms" */
	const char *sys_root;	/* kernel/notes, module/M/notes: "/sys" */
	const char *debug_dir;	/* .build-id/xx/yyyy.debug: "/usr/lib/debug" */
	bool folded;		/* folded stacks instead of pprof */
};

/* What a conversion did, for the benchmark and for tests. */
struct kp_stats {
	uint64_t records;	/* S lines */
	uint64_t samples;	/* their counts, plus lost samples */
	uint64_t frames;	/* PCs read */
	uint64_t locations, functions, mappings;
	uint64_t build_id_mismatches;	/* files rebuilt since the records */
	uint64_t raw_bytes;	/* profile bytes before gzip */
	uint64_t out_bytes;	/* bytes written */
};

/**
 * kp_convert() - convert one input stream
 * @opt:     the options
 * @in:      the records, at the start
 * @in_name: their name, for messages
 * @st:      filled in when not NULL
 *
 * Every error is printed on stderr, as "NAME:LINE: what was wrong" for a
 * malformed record; the destination is then left untouched. No signal or
 * exit handler is installed: a program that must leave no temporary file
 * on a signal calls kp_out_cleanup() (output.h) from its own handlers.
 *
 * Context: process, single-threaded. Return: 0 on success, 1 on error.
 */
int kp_convert(const struct kp_options *opt, FILE *in, const char *in_name,
	       struct kp_stats *st);

#endif /* KP_CONVERT_H */
