// SPDX-License-Identifier: GPL-2.0
/*
 * record.c - `kprof2pprof record [OPTION]... [--] CMD [ARG]...`
 *
 * Runs CMD in a fresh cgroup v2 directory, CGROUP2/kprofmap-record.PID,
 * with the module's session filtering on it, so that the profile holds
 * CMD and every process it starts, also those that exit early, and
 * nothing else:
 *
 *   setup:  find the cgroup2 mount, open the session (the module is
 *           there, no one else profiles), remove what killed recorders
 *           left, make the directory, "freq", "filter cgroup=", "reset"
 *   run:    the child moves itself into the directory and execs CMD;
 *           SIGINT, SIGTERM and SIGHUP are passed on to it (but not
 *           those the terminal already sent its whole process group)
 *   finish: kill what CMD left running, drain, close the session,
 *           remove the directory, convert
 *
 * Exit status: CMD's (128 + N when signal N killed it) once the profile
 * is written; 1 when kprof2pprof failed, 2 on a usage error. A second
 * Ctrl-C once CMD is done aborts the conversion.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "child.h"
#include "cli.h"
#include "session.h"

static const struct option kp_record_longopts[] = {
	KP_CLI_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

/* One record run. */
struct kp_record {
	struct kp_cli cli;
	char **cmd;		/* CMD ARG..., NULL-terminated */
	struct kp_cgroup2 cg;	/* the cgroup2 mount */
	char dir[PATH_MAX];	/* the run's cgroup directory */
	struct kp_session s;
};

static void kp_record_args(struct kp_record *r, int argc, char **argv)
{
	int c;

	kp_cli_init(&r->cli);
	/* "+": options end at CMD, whose own options are its business */
	while ((c = getopt_long(argc, argv, "+o:h", kp_record_longopts,
				NULL)) != -1) {
		if (kp_cli_option(&r->cli, c, optarg))
			continue;
		fputs("Try 'kprof2pprof --help' for more information.\n",
		      stderr);
		exit(2);
	}
	if (optind == argc)
		kp_usage_error("record: no command given (kprof2pprof record [OPTION]... [--] CMD [ARG]...)");
	r->cmd = argv + optind;
	kp_cli_finish(&r->cli, "kprofmap.pb.gz");
}

/*
 * Everything before CMD runs. Nothing is created before the module has
 * been found and its session taken. On failure, all of it is undone.
 */
static int kp_record_setup(struct kp_record *r)
{
	const char *proc = r->cli.opt.proc_root;
	char path[PATH_MAX], err[PATH_MAX + 128], filter[PATH_MAX + 16];
	int n;

	snprintf(path, sizeof(path), "%s/self/mountinfo", proc);
	if (kp_cgroup2_find(&r->cg, path, err, sizeof(err))) {
		fprintf(stderr, "kprof2pprof: %s\n", err);
		return -1;
	}
	if (kp_session_open(&r->s, proc))
		return -1;
	kp_cgroup_sweep(&r->cg, proc);
	n = snprintf(r->dir, sizeof(r->dir), "%s/%s.%d", r->cg.mnt,
		     KP_RECORD_CGROUP, (int)getpid());
	if ((size_t)n >= sizeof(r->dir) || mkdir(r->dir, 0755)) {
		fprintf(stderr, "kprof2pprof: %s: %s\n", r->dir,
			(size_t)n >= sizeof(r->dir) ? "path too long" :
			strerror(errno));
		goto out_close_session;
	}
	if (!kp_cgroup2_path(&r->cg, r->dir, path, sizeof(path))) {
		fprintf(stderr, "kprof2pprof: %s: path too long\n", r->dir);
		goto out_remove_cgroup;
	}
	snprintf(filter, sizeof(filter), "filter cgroup=%s", path);
	if (r->cli.freq) {
		snprintf(err, sizeof(err), "freq %u", r->cli.freq);
		if (kp_session_cmd(&r->s, err))
			goto out_remove_cgroup;
	}
	if (kp_session_cmd(&r->s, filter) || kp_session_cmd(&r->s, "reset"))
		goto out_remove_cgroup;
	return 0;

out_remove_cgroup:
	kp_cgroup_remove(r->dir);
out_close_session:
	kp_session_close(&r->s);
	return -1;
}

/*
 * Wait for CMD, passing on the stop signals sent to kprof2pprof alone.
 * Those a terminal sends (Ctrl-C: SI_KERNEL) reached CMD's process group
 * already: sending them again would be a second Ctrl-C.
 */
static int kp_record_wait(pid_t child, const sigset_t *set)
{
	int wstatus, sig;
	siginfo_t si;

	for (;;) {
		sig = kp_signal_wait(set, NULL, &si);
		if (sig == SIGCHLD) {
			if (waitpid(child, &wstatus, WNOHANG) == child)
				return wstatus;
		} else if (si.si_code != SI_KERNEL) {
			kill(child, sig);
		}
	}
}

/* CMD is done: drain, give the module back, convert. */
static int kp_record_finish(struct kp_record *r, int status)
{
	FILE *copy;

	kp_cgroup_empty(r->dir);
	copy = kp_drain_read(r->cli.opt.proc_root);
	kp_session_close(&r->s);
	kp_cgroup_remove(r->dir);
	if (!copy || kp_convert_drained(&r->cli, copy)) {
		fprintf(stderr, "kprof2pprof: no profile written (%s exited with status %d)\n",
			r->cmd[0], status);
		return 1;
	}
	return status;
}

static int kp_record_run(struct kp_record *r)
{
	sigset_t set, old;
	pid_t child;
	int status;

	if (kp_record_setup(r))
		return 1;
	kp_signals_hold(&set, &old);
	child = kp_spawn(&(struct kp_spawn){
		.argv = r->cmd, .cgroup = r->dir, .mask = &old,
	});
	if (child < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		kp_session_close(&r->s);
		kp_cgroup_remove(r->dir);
		return 1;
	}
	status = kp_exit_status(kp_record_wait(child, &set));
	sigprocmask(SIG_SETMASK, &old, NULL);
	return kp_record_finish(r, status);
}

int kp_record_main(int argc, char **argv)
{
	struct kp_record r;

	memset(&r, 0, sizeof(r));
	r.s.fd = -1;
	kp_record_args(&r, argc, argv);
	kp_install_cleanup();
	return kp_record_run(&r);
}
