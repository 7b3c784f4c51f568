// SPDX-License-Identifier: GPL-2.0
/*
 * cli.c - what kprof2pprof's commands share (see cli.h)
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "output.h"
#include "parse.h"
#include "session.h"

/* The project's version, from the top-level VERSION file (user/Makefile). */
#ifndef KP_VERSION
#error "KP_VERSION is not defined: build with user/Makefile"
#endif

/* A macro's value as a string literal, for the usage text. */
#define KP_STR_(x)	#x
#define KP_STR(x)	KP_STR_(x)

void kp_usage(FILE *f)
{
	fputs(
"Usage: kprof2pprof [OPTION]... [INPUT]\n"
"  or:  kprof2pprof (--pid PID[,PID]... | --cgroup PATH) [--duration SECS]\n"
"                   [OPTION]...\n"
"  or:  kprof2pprof record [OPTION]... [--] CMD [ARG]...\n"
"  or:  kprof2pprof follow --interval DUR --out-dir DIR [--keep N]\n"
"                   [--exec CMD] [--pid PID[,PID]... | --cgroup PATH]\n"
"                   [OPTION]...\n"
"Convert kprofmap records into a gzipped pprof profile, symbolized with\n"
"kernel symbols and the ELF symbols of each process's mapped files.\n"
"\n"
"The first form converts INPUT: /proc/kprofmap/samples by default, or a\n"
"saved copy of it (symbolized against the running system), or - for stdin.\n"
"The others hold the module's session (/proc/kprofmap/session; one at a\n"
"time, a second is refused) and convert what they drain:\n"
"  --pid, --cgroup  profile these processes (tgids), or the tasks of this\n"
"                   cgroup v2 and below (its path from the cgroup2 root,\n"
"                   or its directory), for SECS seconds or until Ctrl-C\n"
"  record           run CMD in a new cgroup and profile it and every\n"
"                   process it starts; exit with CMD's status (128 + N when\n"
"                   signal N killed it); Ctrl-C stops CMD and still writes\n"
"                   the profile\n"
"  follow           every DUR (10s, 500ms, 2m, or seconds), write the\n"
"                   window that ended to DIR/kprofmap-<UTC start>.pb.gz;\n"
"                   the windows cover the time exactly; SIGINT or SIGTERM\n"
"                   writes the last one and exits\n"
"\n"
"  -o, --output FILE     write the profile to FILE (default kprofmap.pb.gz,\n"
"                        or kprofmap.folded with --folded; - for stdout)\n"
"      --drain           read /proc/kprofmap/drain: read and clear in one step\n"
"      --duration SECS   write \"reset\" to /proc/kprofmap/control (with --pid or\n"
"                        --cgroup: start the session), wait SECS seconds\n"
"                        (Ctrl-C ends the wait early), then read\n"
"      --freq HZ         sampling frequency while the session lasts (1-" KP_STR(KPM_FREQ_MAX) ")\n"
"      --pid PID[,PID]...  keep only these processes' samples (up to " KP_STR(KPM_FILTER_PIDS) ")\n"
"      --cgroup PATH     keep only the samples of this cgroup v2 subtree\n"
"      --interval DUR    follow: the window length (100ms to 7 days)\n"
"      --out-dir DIR     follow: where the windows go (made if missing)\n"
"      --keep N          follow: delete all but the newest N window files\n"
"      --exec CMD        follow: run /bin/sh -c 'CMD \"$1\"' sh FILE for each\n"
"                        window FILE, with KPROFMAP_START and KPROFMAP_END\n"
"                        (the window, Unix seconds) in its environment\n"
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
"\"[exited pid N]\". Every sample has the labels pid, tid and comm, and with\n"
"records of format 4 cgroup (go tool pprof -tagfocus 'cgroup=^/x$').\n"
"\n"
"Examples:\n"
"  # a command and every process it starts\n"
"  kprof2pprof record -o build.pb.gz -- make -j8\n"
"  # running processes, for 30 s\n"
"  kprof2pprof --pid 1234,5678 --duration 30 -o app.pb.gz\n"
"  # a container, until Ctrl-C\n"
"  kprof2pprof --cgroup /system.slice/docker-ID.scope -o ctr.pb.gz\n"
"  # 10 s windows, the newest 360 kept, each sent to Grafana Pyroscope\n"
"  kprof2pprof follow --interval 10s --out-dir /var/lib/kprofmap --keep 360 \\\n"
"    --exec 'curl -fsS --data-binary @- \"http://pyroscope:4040/ingest?name=host&format=pprof&from=$KPROFMAP_START&until=$KPROFMAP_END\" <'\n"
"\n"
"Output is written to a temporary file and renamed into place, so an error\n"
"never leaves a partial file. Exit status: 0 success, 1 error (including\n"
"malformed input, reported as FILE:LINE: reason), 2 usage error; record:\n"
"CMD's. See Documentation/kprof2pprof.rst.\n", f);
}

void kp_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kprof2pprof: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'kprof2pprof --help' for more information.\n", stderr);
	exit(2);
}

/* --- options --- */

void kp_cli_init(struct kp_cli *cli)
{
	memset(cli, 0, sizeof(*cli));
	cli->opt.proc_root = "/proc";
	cli->opt.sys_root = "/sys";
	cli->opt.debug_dir = "/usr/lib/debug";
}

static unsigned int kp_parse_freq(const char *s)
{
	uint64_t v;

	if (!kp_parse_dec(s, strlen(s), &v) || v < 1 || v > KPM_FREQ_MAX)
		kp_usage_error("--freq: \"%s\" is not a frequency in 1..%d Hz",
			       s, KPM_FREQ_MAX);
	return (unsigned int)v;
}

bool kp_cli_option(struct kp_cli *cli, int c, const char *arg)
{
	switch (c) {
	case 'o':
		if (!*arg)
			kp_usage_error("-o: empty file name");
		cli->opt.output = arg;
		return true;
	case OPT_FOLDED:
		cli->opt.folded = true;
		return true;
	case OPT_PROC_ROOT:
		cli->opt.proc_root = arg;
		return true;
	case OPT_KALLSYMS:
		cli->opt.kallsyms = arg;
		return true;
	case OPT_SYS_ROOT:
		cli->opt.sys_root = arg;
		return true;
	case OPT_DEBUG_DIR:
		cli->opt.debug_dir = arg;
		return true;
	case OPT_FREQ:
		cli->freq = kp_parse_freq(arg);
		return true;
	case OPT_PID:
		cli->pids = arg;
		return true;
	case OPT_CGROUP:
		cli->cgroup = arg;
		return true;
	case 'h':
		kp_usage(stdout);
		exit(0);
	case OPT_VERSION:
		printf("kprof2pprof %s (kprofmap record formats %d to %d)\n",
		       KP_VERSION, KPM_READ_VERSION_MIN, KPM_READ_VERSION_MAX);
		exit(0);
	}
	return false;
}

/* --pid: "pid=N,N" with each N a pid, at most KPM_FILTER_PIDS of them. */
static void kp_cli_pid_filter(struct kp_cli *cli)
{
	const char *p = cli->pids, *comma;
	unsigned int n = 0;
	uint64_t v;

	do {
		comma = strchr(p, ',');
		if (!kp_parse_dec(p, comma ? (size_t)(comma - p) : strlen(p),
				  &v) || v < 1 || v > KPM_READ_PID_MAX)
			kp_usage_error("--pid: \"%s\" is not a list of process ids (1,2,3)",
				       cli->pids);
		if (++n > KPM_FILTER_PIDS)
			kp_usage_error("--pid: more than %d processes",
				       KPM_FILTER_PIDS);
		p = comma + 1;
	} while (comma);
	snprintf(cli->filter, sizeof(cli->filter), "pid=%s", cli->pids);
}

/*
 * --cgroup: a cgroup path ("/a/b", from the cgroup2 root), or the
 * directory of one below the cgroup2 mount ("/sys/fs/cgroup/a/b").
 */
static void kp_cli_cgroup_filter(struct kp_cli *cli)
{
	char mountinfo[PATH_MAX], path[PATH_MAX], err[PATH_MAX + 128];
	const char *cg = cli->cgroup;
	struct kp_cgroup2 mnt;

	if (cg[0] != '/' || strlen(cg) >= sizeof(path))
		kp_usage_error("--cgroup: \"%s\" is not a cgroup path (/a/b, from the cgroup2 root)",
			       cg);
	snprintf(mountinfo, sizeof(mountinfo), "%s/self/mountinfo",
		 cli->opt.proc_root);
	if (kp_cgroup2_find(&mnt, mountinfo, err, sizeof(err)) == 0 &&
	    kp_cgroup2_path(&mnt, cg, path, sizeof(path)))
		cg = path;
	snprintf(cli->filter, sizeof(cli->filter), "cgroup=%s", cg);
}

void kp_cli_finish(struct kp_cli *cli, const char *output)
{
	static char folded[PATH_MAX];
	size_t len = strlen(output);

	if (cli->pids && cli->cgroup)
		kp_usage_error("--pid and --cgroup exclude each other");
	if (cli->pids)
		kp_cli_pid_filter(cli);
	if (cli->cgroup)
		kp_cli_cgroup_filter(cli);
	if (!cli->opt.output && cli->opt.folded && len > 6 &&
	    !strcmp(output + len - 6, ".pb.gz")) {
		snprintf(folded, sizeof(folded), "%.*s.folded",
			 (int)(len - 6), output);
		output = folded;
	}
	if (!cli->opt.output)
		cli->opt.output = output;
	if (!cli->opt.kallsyms) {
		snprintf(cli->kallsyms, sizeof(cli->kallsyms), "%s/kallsyms",
			 cli->opt.proc_root);
		cli->opt.kallsyms = cli->kallsyms;
	}
	snprintf(cli->drain, sizeof(cli->drain), "%s/%s/drain",
		 cli->opt.proc_root, KPM_PROC_DIR);
}

/* --- signals --- */

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
 * conversion leave no temporary file. kp_wait() takes SIGINT (and
 * SIGTERM) over for its wait and then gives them back; record and follow
 * hold them blocked while they wait for their own reasons.
 */
void kp_install_cleanup(void)
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

void kp_signals_hold(sigset_t *set, sigset_t *old)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
	/* an ignored SIGCHLD would reap children behind our back */
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_BLOCK, set, old);
}

int kp_signal_wait(const sigset_t *set, const struct timespec *deadline,
		   siginfo_t *si)
{
	struct timespec now, left;
	int sig;

	for (;;) {
		if (!deadline) {
			sig = sigwaitinfo(set, si);
		} else {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left.tv_sec = deadline->tv_sec - now.tv_sec;
			left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
			if (left.tv_nsec < 0) {
				left.tv_sec--;
				left.tv_nsec += 1000000000L;
			}
			if (left.tv_sec < 0)
				left.tv_sec = left.tv_nsec = 0;
			sig = sigtimedwait(set, si, &left);
			if (sig < 0 && errno == EAGAIN)
				return 0;
		}
		if (sig > 0)
			return sig;
	}
}

static volatile sig_atomic_t kp_stop_wait;

static void kp_on_interrupt(int sig)
{
	(void)sig;
	kp_stop_wait = 1;
}

void kp_wait(double secs, bool term)
{
	struct sigaction sa, old_int, old_term;
	struct timespec start, now;
	bool tty = isatty(STDERR_FILENO);
	long shown = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kp_on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	if (term)
		sigaction(SIGTERM, &sa, &old_term);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		double done, left;
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &now);
		done = (double)(now.tv_sec - start.tv_sec) +
		       (double)(now.tv_nsec - start.tv_nsec) / 1e9;
		left = secs ? secs - done : 1;
		if (tty && (long)done != shown) {
			shown = (long)done;
			if (secs)
				fprintf(stderr, "\rkprof2pprof: profiling: %ld of %.0f s (Ctrl-C to stop early)",
					shown, ceil(secs));
			else
				fprintf(stderr, "\rkprof2pprof: profiling: %ld s (Ctrl-C to stop)",
					shown);
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
	sigaction(SIGINT, &old_int, NULL);
	if (term)
		sigaction(SIGTERM, &old_term, NULL);
}

/* --- drained records --- */

int kp_convert_drained(const struct kp_cli *cli, FILE *copy)
{
	int ret = kp_convert(&cli->opt, copy, cli->drain, NULL);

	if (ret)
		kp_drain_save(copy, cli->opt.output);
	fclose(copy);
	return ret;
}
