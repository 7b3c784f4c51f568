// SPDX-License-Identifier: GPL-2.0
/*
 * follow.c - `kprof2pprof follow --interval DUR --out-dir DIR ...`
 *
 * Holds the module's session, resets it, then once per interval drains
 * the module and writes the window that ended to
 * DIR/kprofmap-<start, UTC>.pb.gz (window.h). The module's drains are
 * contiguous: each starts where the last ended, so the files cover the
 * time exactly, no sample in two of them and none between them. The
 * name and the profile's time_nanos are the records' start_ns, its
 * duration_nanos end_ns - start_ns (convert.c).
 *
 * Each window is drained, converted and freed before the next: memory
 * stays what one window needs. SIGINT, SIGTERM and SIGHUP end the
 * window early, write it and stop; a second one then aborts. The --exec
 * commands run alongside, reaped as they finish; a failing one is
 * reported and follow goes on. At the end follow waits for them, so the
 * last window is shipped too.
 *
 * Exit status: 0 when every window was written, 1 otherwise (each
 * failure reported; the records of a window that could not be converted
 * are saved next to it as .samples), 2 on a usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"
#include "parse.h"
#include "session.h"
#include "util.h"
#include "window.h"

enum {
	OPT_INTERVAL = OPT_CMD,
	OPT_OUT_DIR,
	OPT_KEEP,
	OPT_EXEC,
};

static const struct option kp_follow_longopts[] = {
	KP_CLI_LONGOPTS,
	KP_CLI_FILTER_LONGOPTS,
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "out-dir", required_argument, NULL, OPT_OUT_DIR },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "exec", required_argument, NULL, OPT_EXEC },
	{ NULL, 0, NULL, 0 },
};

/* An --exec command still running, and the window file it was given. */
struct kp_exec {
	pid_t pid;
	char name[KP_WINDOW_NAME_MAX];
};

struct kp_follow {
	struct kp_cli cli;
	uint64_t interval_ns;
	const char *dir;
	const char *ext;	/* ".pb.gz", or ".folded" */
	unsigned int keep;	/* 0: keep every file */
	const char *exec;	/* --exec CMD, or NULL */
	char *script;		/* CMD "$1" */
	struct kp_session s;
	struct kp_exec *kids;	/* running --exec commands */
	size_t nkids, kidcap;
	unsigned int failed;	/* windows not written */
};

static void kp_follow_args(struct kp_follow *f, int argc, char **argv)
{
	uint64_t keep;
	int c;

	kp_cli_init(&f->cli);
	while ((c = getopt_long(argc, argv, "h", kp_follow_longopts,
				NULL)) != -1) {
		if (c == 'o')
			kp_usage_error("follow: -o: the windows go to --out-dir");
		if (kp_cli_option(&f->cli, c, optarg))
			continue;
		switch (c) {
		case OPT_INTERVAL:
			if (!kp_parse_interval(optarg, &f->interval_ns))
				kp_usage_error("--interval: \"%s\" is not a duration from 100ms to 7 days (10s, 500ms, 2m, 1h, or seconds)",
					       optarg);
			break;
		case OPT_OUT_DIR:
			if (!*optarg)
				kp_usage_error("--out-dir: empty directory name");
			f->dir = optarg;
			break;
		case OPT_KEEP:
			if (!kp_parse_dec(optarg, strlen(optarg), &keep) ||
			    keep < 1 || keep > 1000000)
				kp_usage_error("--keep: \"%s\" is not a number of files (1 or more)",
					       optarg);
			f->keep = (unsigned int)keep;
			break;
		case OPT_EXEC:
			f->exec = optarg;
			break;
		default:
			fputs("Try 'kprof2pprof --help' for more information.\n",
			      stderr);
			exit(2);
		}
	}
	if (optind < argc)
		kp_usage_error("follow: unexpected argument \"%s\"", argv[optind]);
	if (!f->interval_ns)
		kp_usage_error("follow: --interval is required");
	if (!f->dir)
		kp_usage_error("follow: --out-dir is required");
	kp_cli_finish(&f->cli, "kprofmap.pb.gz");
	f->ext = f->cli.opt.folded ? ".folded" : ".pb.gz";
}

/* --- --exec --- */

static bool kp_follow_busy(const char *name, void *ctx)
{
	const struct kp_follow *f = ctx;
	size_t i;

	for (i = 0; i < f->nkids; i++)
		if (!strcmp(f->kids[i].name, name))
			return true;
	return false;
}

/* Reap the --exec commands that are done (all of them when @block). */
static void kp_follow_reap(struct kp_follow *f, bool block)
{
	size_t i = 0;
	int wstatus;
	pid_t p;

	while (i < f->nkids) {
		p = waitpid(f->kids[i].pid, &wstatus, block ? 0 : WNOHANG);
		if (p == 0 || (p < 0 && errno == EINTR)) {
			i += !block;
			continue;
		}
		if (p > 0 && (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus)))
			fprintf(stderr, "kprof2pprof: --exec for %s: %s %d\n",
				f->kids[i].name,
				WIFEXITED(wstatus) ? "exit status" :
						     "killed by signal",
				WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
						     WTERMSIG(wstatus));
		f->kids[i] = f->kids[--f->nkids];
	}
}

/*
 * Run CMD "$1" with the finished window file as $1 and the window's
 * bounds in the environment, Unix seconds: start rounded down, end up.
 */
static void kp_follow_exec(struct kp_follow *f, const char *path,
			   const char *name, const sigset_t *mask,
			   uint64_t start_ns, uint64_t end_ns)
{
	char start[48], end[48];
	char *argv[] = { "/bin/sh", "-c", f->script, "sh", (char *)path,
			 NULL };
	char *env[] = { start, end, NULL };
	pid_t pid;

	snprintf(start, sizeof(start), "KPROFMAP_START=%" PRIu64,
		 (uint64_t)(start_ns / 1000000000ULL));
	snprintf(end, sizeof(end), "KPROFMAP_END=%" PRIu64,
		 (uint64_t)((end_ns + 999999999ULL) / 1000000000ULL));
	pid = kp_spawn(&(struct kp_spawn){
		.argv = argv, .mask = mask, .env = env,
	});
	if (pid < 0)
		return;
	kp_grow(&f->kids, &f->kidcap, f->nkids, sizeof(*f->kids));
	f->kids[f->nkids].pid = pid;
	snprintf(f->kids[f->nkids].name, sizeof(f->kids[f->nkids].name),
		 "%s", name);
	f->nkids++;
}

/* --- windows --- */

/* The window bounds of drained records: their header's, else now. */
static void kp_follow_bounds(FILE *copy, uint64_t *start, uint64_t *end)
{
	struct kpm_reader r;
	struct timespec now;

	if (kpm_reader_open(&r, copy, "drain") == 0) {
		*start = r.hdr.start_ns;
		*end = r.hdr.end_ns;
	} else {
		/* kp_convert() will say what is wrong with them */
		clock_gettime(CLOCK_REALTIME, &now);
		*start = *end = (uint64_t)now.tv_sec * 1000000000ULL +
				(uint64_t)now.tv_nsec;
	}
	kpm_reader_close(&r);
	rewind(copy);
}

/* --keep: the files of --exec commands that still run stay for now. */
static void kp_follow_rotate(struct kp_follow *f)
{
	if (f->keep && kp_window_rotate(f->dir, f->keep, f->ext,
					kp_follow_busy, f) < 0)
		fprintf(stderr, "kprof2pprof: --keep: %s: %s\n", f->dir,
			strerror(errno));
}

/* Drain, write the window's file, hand it to --exec, rotate. */
static void kp_follow_window(struct kp_follow *f, const sigset_t *mask)
{
	char name[KP_WINDOW_NAME_MAX], path[PATH_MAX];
	uint64_t start, end;
	FILE *copy;

	copy = kp_drain_read(f->cli.opt.proc_root);
	if (!copy) {
		f->failed++;
		return;
	}
	kp_follow_bounds(copy, &start, &end);
	kp_window_name(name, start, f->ext);
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	f->cli.opt.output = path;
	if (kp_convert_drained(&f->cli, copy)) {
		f->failed++;
		return;
	}
	if (f->exec)
		kp_follow_exec(f, path, name, mask, start, end);
	kp_follow_rotate(f);
}

/* The next deadline after @t that is a whole number of intervals on. */
static void kp_follow_next(struct timespec *t, uint64_t interval_ns)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	do {
		t->tv_sec += (time_t)(interval_ns / 1000000000ULL);
		t->tv_nsec += (long)(interval_ns % 1000000000ULL);
		if (t->tv_nsec >= 1000000000L) {
			t->tv_sec++;
			t->tv_nsec -= 1000000000L;
		}
	} while (t->tv_sec < now.tv_sec ||
		 (t->tv_sec == now.tv_sec && t->tv_nsec <= now.tv_nsec));
}

static void kp_follow_loop(struct kp_follow *f, const sigset_t *set,
			   const sigset_t *old)
{
	struct timespec deadline;
	siginfo_t si;
	int sig;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	kp_follow_next(&deadline, f->interval_ns);
	for (;;) {
		sig = kp_signal_wait(set, &deadline, &si);
		if (sig == SIGCHLD) {
			kp_follow_reap(f, false);
			kp_follow_rotate(f);
			continue;
		}
		kp_follow_window(f, old);
		if (sig)
			return;		/* SIGINT, SIGTERM, SIGHUP */
		kp_follow_next(&deadline, f->interval_ns);
	}
}

static int kp_follow_run(struct kp_follow *f)
{
	sigset_t set, old;

	if (mkdir(f->dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "kprof2pprof: %s: %s\n", f->dir, strerror(errno));
		return 1;
	}
	if (access(f->dir, W_OK | X_OK)) {
		fprintf(stderr, "kprof2pprof: %s: %s\n", f->dir, strerror(errno));
		return 1;
	}
	if (f->exec) {
		f->script = xmalloc(strlen(f->exec) + sizeof(" \"$1\""));
		strcpy(f->script, f->exec);
		strcat(f->script, " \"$1\"");
	}
	kp_signals_hold(&set, &old);
	if (kp_session_begin(&f->s, f->cli.opt.proc_root, f->cli.freq,
			     f->cli.filter[0] ? f->cli.filter : NULL)) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		free(f->script);
		return 1;
	}
	kp_follow_loop(f, &set, &old);
	kp_session_close(&f->s);
	/* from here a second signal aborts; the last --exec runs to its end */
	sigprocmask(SIG_SETMASK, &old, NULL);
	kp_follow_reap(f, true);
	kp_follow_rotate(f);
	free(f->kids);
	free(f->script);
	return f->failed ? 1 : 0;
}

int kp_follow_main(int argc, char **argv)
{
	struct kp_follow f;

	memset(&f, 0, sizeof(f));
	f.s.fd = -1;
	kp_follow_args(&f, argc, argv);
	kp_install_cleanup();
	return kp_follow_run(&f);
}
