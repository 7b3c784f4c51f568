/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli.h - what kprof2pprof's commands share
 *
 * The plain form (main.c), record (record.c) and follow (follow.c) share
 * the help text, usage errors (exit 2), the conversion's options, the
 * options that set up a session (--freq, --pid, --cgroup), the
 * process-wide exit and signal handling, and the conversion of drained
 * records. Exit status of every command: 0 done, 1 error, 2 usage error;
 * record returns its command's.
 */
#ifndef KP_CLI_H
#define KP_CLI_H

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "convert.h"

/* Options every command takes; a command's own ones start at OPT_CMD. */
enum {
	OPT_FOLDED = 256,
	OPT_PROC_ROOT,
	OPT_KALLSYMS,
	OPT_SYS_ROOT,
	OPT_DEBUG_DIR,
	OPT_FREQ,
	OPT_PID,
	OPT_CGROUP,
	OPT_VERSION,
	OPT_CMD,
};

#define KP_CLI_LONGOPTS						\
	{ "output", required_argument, NULL, 'o' },		\
	{ "folded", no_argument, NULL, OPT_FOLDED },		\
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },	\
	{ "kallsyms", required_argument, NULL, OPT_KALLSYMS },	\
	{ "sys-root", required_argument, NULL, OPT_SYS_ROOT },	\
	{ "debug-dir", required_argument, NULL, OPT_DEBUG_DIR },	\
	{ "freq", required_argument, NULL, OPT_FREQ },		\
	{ "help", no_argument, NULL, 'h' },			\
	{ "version", no_argument, NULL, OPT_VERSION }

#define KP_CLI_FILTER_LONGOPTS					\
	{ "pid", required_argument, NULL, OPT_PID },		\
	{ "cgroup", required_argument, NULL, OPT_CGROUP }

/* The options kp_cli_option() handles, and what they make. */
struct kp_cli {
	struct kp_options opt;	/* the conversion's */
	unsigned int freq;	/* --freq, Hz; 0: the module's */
	const char *pids;	/* --pid as given, or NULL */
	const char *cgroup;	/* --cgroup as given, or NULL */
	char filter[PATH_MAX + 16];	/* "pid=..." or "cgroup=..."; "" none */
	char kallsyms[PATH_MAX];	/* PROC-ROOT/kallsyms by default */
	char drain[PATH_MAX];	/* PROC-ROOT/kprofmap/drain, for messages */
};

/** kp_usage() - the help of every command. Context: process. */
void kp_usage(FILE *f);

/**
 * kp_usage_error() - "kprof2pprof: MESSAGE" and a hint on stderr, exit 2
 *
 * Context: process. Return: never.
 */
void __attribute__((noreturn, format(printf, 1, 2)))
kp_usage_error(const char *fmt, ...);

/** kp_cli_init() - the defaults. Context: any. */
void kp_cli_init(struct kp_cli *cli);

/**
 * kp_cli_option() - handle one shared option from getopt_long()
 * @cli: the options so far
 * @c:   getopt_long()'s return
 * @arg: optarg
 *
 * Handles -o and KP_CLI_LONGOPTS (exiting for --help and --version, and
 * with kp_usage_error() for a bad value), and KP_CLI_FILTER_LONGOPTS.
 *
 * Context: process. Return: true when @c was one of them.
 */
bool kp_cli_option(struct kp_cli *cli, int c, const char *arg);

/**
 * kp_cli_finish() - check and complete the options once all are read
 * @cli:    the options
 * @output: the default output ("kprofmap.pb.gz"; with --folded, .pb.gz
 *          becomes .folded)
 *
 * --pid and --cgroup exclude each other and become @cli->filter; a
 * --cgroup given as a directory below the cgroup2 mount becomes its
 * cgroup path.
 *
 * Context: process. Return: nothing; usage errors exit 2.
 */
void kp_cli_finish(struct kp_cli *cli, const char *output);

/**
 * kp_install_cleanup() - remove a half-written output on exit() and on
 * SIGINT, SIGTERM or SIGHUP (then die of the signal)
 *
 * Context: process. Return: nothing.
 */
void kp_install_cleanup(void);

/**
 * kp_signals_hold() - block SIGINT, SIGTERM, SIGHUP and SIGCHLD, to be
 * taken by kp_signal_wait(); SIGCHLD's action is made the default
 * @set: the four
 * @old: the mask before, for children and to restore
 *
 * Context: process. Return: nothing.
 */
void kp_signals_hold(sigset_t *set, sigset_t *old);

/**
 * kp_signal_wait() - wait for a held signal, at most until @deadline
 * @set:      from kp_signals_hold()
 * @deadline: CLOCK_MONOTONIC; NULL waits as long as it takes
 * @si:       the signal's information
 *
 * Context: process. Return: the signal, or 0 once @deadline has passed.
 */
int kp_signal_wait(const sigset_t *set, const struct timespec *deadline,
		   siginfo_t *si);

/**
 * kp_wait() - wait, showing progress on a terminal
 * @secs: seconds; 0 waits until a signal
 * @term: SIGTERM ends the wait too, not only SIGINT
 *
 * Context: process. Return: nothing.
 */
void kp_wait(double secs, bool term);

/**
 * kp_convert_drained() - convert drained records, keep them on failure
 * @cli:  the options (@cli->opt.output is the destination)
 * @copy: from kp_drain_read(); closed here
 *
 * Context: process. Return: 0, or 1 with the records saved in
 * OUTPUT.samples.
 */
int kp_convert_drained(const struct kp_cli *cli, FILE *copy);

/* The commands. */
int kp_record_main(int argc, char **argv);
int kp_follow_main(int argc, char **argv);

#endif /* KP_CLI_H */
