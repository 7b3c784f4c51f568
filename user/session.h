/* SPDX-License-Identifier: GPL-2.0 */
/*
 * session.h - the module's session file and its drains
 *
 * A session is one open file, PROC/kprofmap/session: while kprof2pprof
 * holds it, no other session opens (EBUSY), and only kprof2pprof's own
 * process may open PROC/kprofmap/drain, so record, follow and --pid or
 * --cgroup never take each other's samples. The module removes the
 * session's filter and restores its frequency when the file is released,
 * also when kprof2pprof is killed; the file is opened O_CLOEXEC so that
 * a command kprof2pprof starts never holds it.
 *
 * Commands are one per write(): "filter pid=N[,N...]", "filter
 * cgroup=PATH", "filter off", "freq HZ", "reset" (module/filter.c).
 *
 * Drained records exist nowhere else: kp_drain_read() copies them into
 * an unlinked temporary file at once (reading the drain to its end is
 * what consumes them), and kp_drain_save() keeps them when a conversion
 * fails.
 */
#ifndef KP_SESSION_H
#define KP_SESSION_H

#include <limits.h>
#include <stdio.h>

struct kp_session {
	int fd;			/* the session file; -1 when closed */
	char path[PATH_MAX];	/* for messages */
};

/**
 * kp_session_open() - open PROC/kprofmap/session
 * @s:         the session
 * @proc_root: "/proc"
 *
 * Messages name what is wrong: no such file (module not loaded, or too
 * old for sessions), "another kprofmap session is active" (EBUSY),
 * permissions.
 *
 * Context: process. Return: 0, or -1 with the message printed.
 */
int kp_session_open(struct kp_session *s, const char *proc_root);

/**
 * kp_session_cmd() - write one command
 * @s:   an open session
 * @cmd: the command, without a newline
 *
 * Context: process. Return: 0, or -1 with the message (the command and
 * the module's errno) printed.
 */
int kp_session_cmd(struct kp_session *s, const char *cmd);

/**
 * kp_session_begin() - open the session, set the frequency and the
 * filter, then reset: a fresh window starts now
 * @s:         the session
 * @proc_root: "/proc"
 * @freq:      "freq N" is written first when not 0
 * @filter:    "filter ..." when not NULL ("pid=1,2", "cgroup=/a")
 *
 * Context: process. Return: 0, or -1 with the message printed and the
 * session closed.
 */
int kp_session_begin(struct kp_session *s, const char *proc_root,
		     unsigned int freq, const char *filter);

/**
 * kp_session_close() - release the session (its filter and frequency go)
 *
 * Context: process. Return: nothing.
 */
void kp_session_close(struct kp_session *s);

/**
 * kp_drain_copy() - copy a stream into an unlinked temporary file
 * @in:   the records, read to their end
 * @name: their name, for messages
 *
 * Context: process. Return: the copy, rewound, or NULL with the message
 * printed.
 */
FILE *kp_drain_copy(FILE *in, const char *name);

/**
 * kp_drain_read() - drain the module: PROC/kprofmap/drain, copied whole
 * @proc_root: "/proc"
 *
 * Context: process; the session holder's process while a session is
 * open. Return: the copy, rewound, or NULL with the message printed.
 */
FILE *kp_drain_read(const char *proc_root);

/**
 * kp_drain_save() - keep drained records that could not be converted
 * @copy:   the copy kp_drain_copy() made
 * @output: the profile that was not written: the records go to
 *          OUTPUT.samples ("kprofmap.samples" for "-")
 *
 * Says where they are, or why they could not be saved, on stderr.
 *
 * Context: process. Return: nothing.
 */
void kp_drain_save(FILE *copy, const char *output);

#endif /* KP_SESSION_H */
