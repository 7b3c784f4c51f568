/* SPDX-License-Identifier: GPL-2.0 */
/*
 * output.h - all-or-nothing output, optionally gzip-compressed
 *
 * Output goes to a temporary file next to the destination and is renamed
 * over it only when complete (kp_out_commit()), so a failure never leaves
 * a half-written file: the temporary file is removed by kp_out_abort().
 * This library installs no handler; a program that must also leave no
 * file behind on exit() or a signal calls kp_out_cleanup() from its own
 * atexit and signal handlers (kprof2pprof's main() does, for SIGINT,
 * SIGTERM and SIGHUP). Output to stdout, or to an existing file
 * that is not a regular file (/dev/null, a pipe), is staged in an
 * unlinked temporary file and copied once complete.
 *
 * At most one kp_out is open at a time (kp_out_cleanup() uses one static
 * path).
 */
#ifndef KP_OUTPUT_H
#define KP_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

struct kp_out {
	char *final;		/* destination path; NULL for stdout */
	bool copy;		/* stage in an unlinked file, copy at commit */
	int fd;			/* the temporary file */
	bool gzip;
	z_stream z;
	unsigned char *buf;	/* bytes waiting for write(), compressed or not */
	size_t len;
	uint64_t in_bytes;	/* bytes given to kp_out_write() */
	uint64_t out_bytes;	/* bytes written to the file */
};

/**
 * kp_out_open() - create the temporary file for @path
 * @o:      the output
 * @path:   destination; "-" for stdout
 * @gzip:   compress with gzip
 * @err:    message on failure
 * @errlen: its size
 *
 * Context: process. Return: 0, or -1 with @err set.
 */
int kp_out_open(struct kp_out *o, const char *path, bool gzip, char *err,
		size_t errlen);

/**
 * kp_out_write() - append bytes (a pb_sink_fn)
 *
 * Context: process. Return: 0 or a negative errno.
 */
int kp_out_write(void *o, const void *buf, size_t len);

/**
 * kp_out_commit() - finish the file and move it into place
 *
 * Context: process. Return: 0, or -1 with @err set (the temporary file
 * is then removed).
 */
int kp_out_commit(struct kp_out *o, char *err, size_t errlen);

/**
 * kp_out_abort() - remove the temporary file, leave the destination as
 * it was
 *
 * Context: process. Return: nothing.
 */
void kp_out_abort(struct kp_out *o);

/**
 * kp_out_cleanup() - remove the temporary file of the open kp_out, if any
 *
 * For the program's atexit and signal handlers: it only calls unlink(2)
 * and leaves the kp_out as it was, so the process must exit after it.
 *
 * Context: any, async-signal-safe. Return: nothing.
 */
void kp_out_cleanup(void);

#endif /* KP_OUTPUT_H */
