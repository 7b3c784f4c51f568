// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - kprof2pprof's command line: the plain form, and the commands
 *
 * The plain form converts a file, or what the module holds, with the
 * --duration collection (reset, wait, read) and the --drain safety copy;
 * with --pid or --cgroup it takes the module's session for one run
 * (reset, wait, drain). `record` and `follow` are record.c and follow.c;
 * what they all share is cli.c, the conversion itself kp_convert() in
 * convert.c. Exit status: 0 done, 1 error, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "convert.h"
#include "parse.h"
#include "session.h"
#include "util.h"

#define KP_DURATION_MAX (7 * 24 * 3600.0)	/* seconds */

enum {
	OPT_DRAIN = OPT_CMD,
	OPT_DURATION,
};

static const struct option kp_longopts[] = {
	KP_CLI_LONGOPTS,
	KP_CLI_FILTER_LONGOPTS,
	{ "drain", no_argument, NULL, OPT_DRAIN },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ NULL, 0, NULL, 0 },
};

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

/* --- main --- */

struct kp_plain {
	struct kp_cli cli;
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

static void kp_parse_args(struct kp_plain *p, int argc, char **argv)
{
	int c;

	memset(p, 0, sizeof(*p));
	kp_cli_init(&p->cli);
	while ((c = getopt_long(argc, argv, "o:h", kp_longopts, NULL)) != -1) {
		if (kp_cli_option(&p->cli, c, optarg))
			continue;
		switch (c) {
		case OPT_DRAIN:
			p->drain = true;
			break;
		case OPT_DURATION:
			p->duration = kp_parse_duration(optarg);
			break;
		default:
			fputs("Try 'kprof2pprof --help' for more information.\n",
			      stderr);
			exit(2);
		}
	}
	if (argc - optind > 1)
		kp_usage_error("more than one INPUT given");
	if (argc - optind == 1) {
		if (p->drain)
			kp_usage_error("--drain reads the module's drain file; it takes no INPUT");
		if (p->duration)
			kp_usage_error("--duration reads the module's files; it takes no INPUT");
		if (p->cli.pids || p->cli.cgroup)
			kp_usage_error("--%s profiles what runs now; it takes no INPUT",
				       p->cli.pids ? "pid" : "cgroup");
		p->input = argv[optind];
	}
	if (p->cli.freq && !p->cli.pids && !p->cli.cgroup)
		kp_usage_error("--freq needs a session: use it with --pid, --cgroup, record or follow");
	kp_cli_finish(&p->cli, "kprofmap.pb.gz");
}

/*
 * --pid, --cgroup: hold the session, filter, reset, wait, drain. The
 * session goes before the conversion: the records are in hand.
 */
static int kp_session_run(struct kp_plain *p)
{
	struct kp_session s;
	FILE *copy;

	if (kp_session_begin(&s, p->cli.opt.proc_root, p->cli.freq,
			     p->cli.filter))
		return 1;
	kp_wait(p->duration, true);
	copy = kp_drain_read(p->cli.opt.proc_root);
	kp_session_close(&s);
	if (!copy)
		return 1;
	return kp_convert_drained(&p->cli, copy);
}

/* The plain form: INPUT, samples or drain, after --duration's wait. */
static int kp_plain_run(struct kp_plain *p)
{
	static char input[PATH_MAX], control[PATH_MAX];
	const char *proc = p->cli.opt.proc_root;
	FILE *in, *copy = NULL;
	int ret;

	if (!p->input) {
		snprintf(input, sizeof(input), "%s/%s/%s", proc, KPM_PROC_DIR,
			 p->drain ? "drain" : "samples");
		p->input = input;
	}
	if (p->duration) {
		snprintf(control, sizeof(control), "%s/%s/control", proc,
			 KPM_PROC_DIR);
		if (kp_write_control(control, "reset\n"))
			return 1;
		kp_wait(p->duration, false);
	}
	in = strcmp(p->input, "-") ? fopen(p->input, "re") : stdin;
	if (!in) {
		fprintf(stderr, "kprof2pprof: %s: %s\n", p->input,
			strerror(errno));
		return 1;
	}
	if (p->drain) {
		copy = kp_drain_copy(in, p->input);
		fclose(in);
		if (!copy)
			return 1;
		in = copy;
	}
	ret = kp_convert(&p->cli.opt, in, p->input, NULL);
	if (ret && copy)
		kp_drain_save(copy, p->cli.opt.output);
	if (in != stdin)
		fclose(in);
	return ret;
}

int main(int argc, char **argv)
{
	struct kp_plain p;

	if (argc > 1 && !strcmp(argv[1], "record"))
		return kp_record_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "follow"))
		return kp_follow_main(argc - 1, argv + 1);
	kp_parse_args(&p, argc, argv);
	kp_install_cleanup();
	return p.cli.filter[0] ? kp_session_run(&p) : kp_plain_run(&p);
}
