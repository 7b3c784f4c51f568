/* SPDX-License-Identifier: GPL-2.0 */
/*
 * window.h - the pure pieces of `kprof2pprof follow`: its interval, the
 * names of its window files, and --keep's rotation
 *
 * follow.c drains the module once per interval and writes one profile per
 * window, named after the window's start: DIR/kprofmap-<UTC>.pb.gz, where
 * <UTC> is the start in ISO 8601 basic form to the millisecond
 * (20261204T101500.123Z). The names sort as the windows do, and rotation
 * deletes only files named so: nothing else in DIR is touched. They are
 * apart from follow.c so that the unit tests run them.
 */
#ifndef KP_WINDOW_H
#define KP_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Shortest and longest accepted --interval, in ns. */
#define KP_INTERVAL_MIN_NS	100000000ULL		/* 100 ms */
#define KP_INTERVAL_MAX_NS	(7ULL * 24 * 3600 * 1000000000ULL) /* a week */

/* "kprofmap-" + 20261204T101500.123Z: the name of a window without its
 * extension; KP_WINDOW_NAME_MAX bytes hold it with any extension here. */
#define KP_WINDOW_PREFIX	"kprofmap-"
#define KP_WINDOW_NAME_MAX	64

/**
 * kp_parse_interval() - parse a duration: 10s, 500ms, 2m, 1h, or seconds
 * @s:  NUL-terminated: digits, an optional fraction (".5"), then one of
 *      "ms", "s", "m", "h", or nothing (seconds)
 * @ns: the duration in nanoseconds
 *
 * No sign, no spaces, no exponent; at most 9 fraction digits. The value
 * must be in [KP_INTERVAL_MIN_NS, KP_INTERVAL_MAX_NS].
 *
 * Context: any. Return: true when @s is such a duration.
 */
bool kp_parse_interval(const char *s, uint64_t *ns);

/**
 * kp_window_name() - the file name of the window that starts at @start_ns
 * @buf:      KP_WINDOW_NAME_MAX bytes
 * @start_ns: CLOCK_REALTIME ns (the records' header start_ns)
 * @ext:      ".pb.gz" or ".folded"
 *
 * "kprofmap-YYYYMMDDTHHMMSS.mmmZ" + @ext, in UTC; the milliseconds are
 * truncated.
 *
 * Context: any. Return: nothing.
 */
void kp_window_name(char *buf, uint64_t start_ns, const char *ext);

/**
 * kp_window_is_name() - whether @name is a kp_window_name() with @ext
 *
 * Context: any. Return: true if so.
 */
bool kp_window_is_name(const char *name, const char *ext);

/**
 * kp_window_rotate() - delete the oldest window files of @dir beyond @keep
 * @dir:  the directory
 * @keep: how many of the newest window files stay, >= 1
 * @ext:  the extension of the window files
 * @busy: when not NULL, a file it returns true for is not deleted this
 *        time (an --exec command still has it)
 * @ctx:  passed to @busy
 *
 * Only names kp_window_is_name() accepts count; their order is their
 * name's (the windows' starts). A failed unlink() is reported with
 * kp_warn().
 *
 * Context: process. Return: the number of files deleted, or -1 when @dir
 * could not be read (errno set).
 */
int kp_window_rotate(const char *dir, unsigned int keep, const char *ext,
		     bool (*busy)(const char *name, void *ctx), void *ctx);

#endif /* KP_WINDOW_H */
