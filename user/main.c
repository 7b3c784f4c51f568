// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - kprof2pprof's command line
 *
 * Options, the --duration collection (reset, wait, read) and the --drain
 * safety copy; the conversion itself is kp_convert() in convert.c.
 * Exit status: 0 done, 1 error, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "convert.h"
#include "output.h"
#include "parse.h"
#include "util.h"

/* The project's version, from the top-level VERSION file (user/Makefile). */
#ifndef KP_VERSION
#error "KP_VERSION is not defined: build with user/Makefile"
#endif
#define KP_DURATION_MAX (7 * 24 * 3600.0)	/* seconds */

enum {
	OPT_DRAIN = 256,
	OPT_DURATION,
	OPT_FOLDED,
	OPT_PROC_ROOT,
	OPT_KALLSYMS,
	OPT_SYS_ROOT,
	OPT_DEBUG_DIR,
	OPT_VERSION,
};

static const struct option kp_longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "drain", no_argument, NULL, OPT_DRAIN },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "folded", no_argument, NULL, OPT_FOLDED },
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
	{ "kallsyms", required_argument, NULL, OPT_KALLSYMS },
	{ "sys-root", required_argument, NULL, OPT_SYS_ROOT },
	{ "debug-dir", required_argument, NULL, OPT_DEBUG_DIR },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void kp_usage(FILE *f)
{
	fputs(
"Usage: kprof2pprof [OPTION]... [INPUT]\n"
"Convert kprofmap records into a gzipped pprof profile, symbolized with\n"
"kernel symbols and the ELF symbols of each process's mapped files.\n"
"\n"
"INPUT is /proc/kprofmap/samples by default, or a saved copy of it (which\n"
"is symbolized against the running system), or - for stdin.\n"
"\n"
"  -o, --output FILE     write the profile to FILE (default kprofmap.pb.gz,\n"
"                        or kprofmap.folded with --folded; - for stdout)\n"
"      --drain           read /proc/kprofmap/drain: read and clear in one step\n"
"      --duration SECS   write \"reset\" to /proc/kprofmap/control, wait SECS\n"
"                        seconds (Ctrl-C ends the wait early), then read\n"
"      --folded          write folded stacks (comm;root;...;leaf count) for\n"
"                        flame graph tools instead of pprof\n"
"      --proc-root DIR   read PID/maps, kallsyms and kprofmap/ under DIR\n"
"                        instead of /proc\n"
"      --kallsyms FILE   kernel symbols (default PROC-ROOT/kallsyms)\n"
"      --sys-root DIR    kernel and module build ids under DIR instead of /sys\n"
"      --debug-dir DIR   debug files by build id (default /usr/lib/debug)\n"
"  -h, --help            show this help and exit\n"
"      --version         show the version and exit\n"
"\n"
"Kernel frames are named from kallsyms under the [kernel.kallsyms] mapping\n"
"or a [MODULE] mapping; user frames from .symtab, the build-id debug file\n"
"or .dynsym of each mapped file: the files the records' mapping lines\n"
"(format 2) name, found by path while their build id matches or by build\n"
"id under --debug-dir, else those of /proc/PID/maps. A frame that cannot\n"
"be named keeps its address and mapping (file, offset, build id); frames of\n"
"exited processes without mapping records go to a mapping named\n"
"\"[exited pid N]\". Every sample has the labels pid, tid and comm.\n"
"\n"
"The output is written to a temporary file and renamed into place, so an\n"
"error never leaves a partial file. Exit status: 0 success, 1 error\n"
"(including malformed input, reported as FILE:LINE: reason), 2 usage error.\n"
"See Documentation/kprof2pprof.rst.\n", f);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
kp_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kprof2pprof: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'kprof2pprof --help' for more information.\n", stderr);
	exit(2);
}

/* --- process-wide cleanup --- */

/* Remove a half-written output, then die of @sig as usual. */
static void kp_on_fatal_signal(int sig)
{
	kp_out_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * The library leaves process-wide state alone; the program owns it:
 * exit() (xmalloc's, say) and SIGINT, SIGTERM or SIGHUP during a
 * conversion leave no temporary file. kp_reset_and_wait() takes SIGINT
 * over for its wait and then gives it back.
 */
static void kp_install_cleanup(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	atexit(kp_out_cleanup);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kp_on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < KP_ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* --- --duration --- */

static volatile sig_atomic_t kp_stop_wait;

static void kp_on_interrupt(int sig)
{
	(void)sig;
	kp_stop_wait = 1;
}

static int kp_write_control(const char *path, const char *cmd)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(cmd, f) == EOF) {
		fprintf(stderr, "kprof2pprof: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	if (fclose(f)) {
		fprintf(stderr, "kprof2pprof: %s: writing \"%.*s\": %s\n",
			path, (int)strcspn(cmd, "\n"), cmd, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Reset the records, then wait @secs seconds, showing progress on a
 * terminal. SIGINT ends the wait early (the profile is still written).
 */
static int kp_reset_and_wait(const char *control, double secs)
{
	struct sigaction sa, old;
	struct timespec start, now;
	bool tty = isatty(STDERR_FILENO);
	long shown = -1;

	if (kp_write_control(control, "reset\n"))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kp_on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		double done, left;
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &now);
		done = (double)(now.tv_sec - start.tv_sec) +
		       (double)(now.tv_nsec - start.tv_nsec) / 1e9;
		left = secs - done;
		if (tty && (long)done != shown) {
			shown = (long)done;
			fprintf(stderr, "\rkprof2pprof: profiling: %ld of %.0f s (Ctrl-C to stop early)",
				shown, ceil(secs));
		}
		if (left <= 0 || kp_stop_wait)
			break;
		if (left > 0.25)
			left = 0.25;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
	}
	if (tty)
		fputs("\r\033[K", stderr);
	sigaction(SIGINT, &old, NULL);
	return 0;
}

/* --- --drain --- */

/*
 * Drained records exist nowhere else: copy them into an unlinked file
 * first, so that a failed conversion can still save them.
 */
static FILE *kp_drain_copy(FILE *in, const char *name)
{
	FILE *copy = tmpfile();
	char buf[65536];
	size_t n;

	if (!copy) {
		fprintf(stderr, "kprof2pprof: temporary file: %s\n",
			strerror(errno));
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, copy) != n)
			break;
	if (ferror(in) || ferror(copy) || fflush(copy)) {
		fprintf(stderr, "kprof2pprof: %s: copying the drained records: %s\n",
			name, strerror(errno));
		fclose(copy);
		return NULL;
	}
	rewind(copy);
	return copy;
}

static void kp_drain_save(FILE *copy, const char *output)
{
	char path[4096];
	char buf[65536];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s.samples",
		 strcmp(output, "-") ? output : "kprofmap");
	f = fopen(path, "wxe");
	if (!f) {
		fprintf(stderr, "kprof2pprof: could not save the drained records to %s: %s\n",
			path, strerror(errno));
		return;
	}
	rewind(copy);
	while ((n = fread(buf, 1, sizeof(buf), copy)) > 0)
		fwrite(buf, 1, n, f);
	if (fclose(f) == 0)
		fprintf(stderr, "kprof2pprof: the drained records are saved in %s; convert them with: kprof2pprof %s\n",
			path, path);
}

/* --- main --- */

struct kp_cli {
	struct kp_options opt;
	const char *input;
	bool drain;
	double duration;	/* seconds, 0: none */
};

static double kp_parse_duration(const char *s)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || !(d > 0) || d > KP_DURATION_MAX)
		kp_usage_error("--duration: \"%s\" is not a number of seconds in (0, %.0f]",
			       s, KP_DURATION_MAX);
	return d;
}

static void kp_parse_args(struct kp_cli *cli, int argc, char **argv)
{
	static char kallsyms[4096];
	int c;

	memset(cli, 0, sizeof(*cli));
	cli->opt.proc_root = "/proc";
	cli->opt.sys_root = "/sys";
	cli->opt.debug_dir = "/usr/lib/debug";
	while ((c = getopt_long(argc, argv, "o:h", kp_longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!*optarg)
				kp_usage_error("-o: empty file name");
			cli->opt.output = optarg;
			break;
		case OPT_DRAIN:
			cli->drain = true;
			break;
		case OPT_DURATION:
			cli->duration = kp_parse_duration(optarg);
			break;
		case OPT_FOLDED:
			cli->opt.folded = true;
			break;
		case OPT_PROC_ROOT:
			cli->opt.proc_root = optarg;
			break;
		case OPT_KALLSYMS:
			cli->opt.kallsyms = optarg;
			break;
		case OPT_SYS_ROOT:
			cli->opt.sys_root = optarg;
			break;
		case OPT_DEBUG_DIR:
			cli->opt.debug_dir = optarg;
			break;
		case 'h':
			kp_usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("kprof2pprof %s (kprofmap record formats %d to %d)\n",
			       KP_VERSION, KPM_READ_VERSION_MIN,
			       KPM_READ_VERSION_MAX);
			exit(0);
		default:
			fputs("Try 'kprof2pprof --help' for more information.\n",
			      stderr);
			exit(2);
		}
	}
	if (argc - optind > 1)
		kp_usage_error("more than one INPUT given");
	if (argc - optind == 1) {
		if (cli->drain)
			kp_usage_error("--drain reads the module's drain file; it takes no INPUT");
		if (cli->duration)
			kp_usage_error("--duration reads the module's files; it takes no INPUT");
		cli->input = argv[optind];
	}
	if (!cli->opt.output)
		cli->opt.output = cli->opt.folded ? "kprofmap.folded"
						  : "kprofmap.pb.gz";
	if (!cli->opt.kallsyms) {
		snprintf(kallsyms, sizeof(kallsyms), "%s/kallsyms",
			 cli->opt.proc_root);
		cli->opt.kallsyms = kallsyms;
	}
}

int main(int argc, char **argv)
{
	static char input[4096], control[4096];
	struct kp_cli cli;
	FILE *in, *copy = NULL;
	int ret;

	kp_parse_args(&cli, argc, argv);
	kp_install_cleanup();
	if (!cli.input) {
		snprintf(input, sizeof(input), "%s/%s/%s", cli.opt.proc_root,
			 KPM_PROC_DIR, cli.drain ? "drain" : "samples");
		cli.input = input;
	}
	if (cli.duration) {
		snprintf(control, sizeof(control), "%s/%s/control",
			 cli.opt.proc_root, KPM_PROC_DIR);
		if (kp_reset_and_wait(control, cli.duration))
			return 1;
	}
	in = strcmp(cli.input, "-") ? fopen(cli.input, "re") : stdin;
	if (!in) {
		fprintf(stderr, "kprof2pprof: %s: %s\n", cli.input,
			strerror(errno));
		return 1;
	}
	if (cli.drain) {
		copy = kp_drain_copy(in, cli.input);
		fclose(in);
		if (!copy)
			return 1;
		in = copy;
	}
	ret = kp_convert(&cli.opt, in, cli.input, NULL);
	if (ret && copy)
		kp_drain_save(copy, cli.opt.output);
	if (in != stdin)
		fclose(in);
	return ret;
}
