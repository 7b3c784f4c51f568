// SPDX-License-Identifier: GPL-2.0
/*
 * session.c - the module's session file and its drains (see session.h)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "session.h"

int kp_session_open(struct kp_session *s, const char *proc_root)
{
	snprintf(s->path, sizeof(s->path), "%s/%s/%s", proc_root,
		 KPM_PROC_DIR, KPM_PROC_SESSION);
	s->fd = open(s->path, O_WRONLY | O_CLOEXEC);
	if (s->fd >= 0)
		return 0;
	if (errno == EBUSY)
		fprintf(stderr, "kprof2pprof: %s: another kprofmap session is active (a kprof2pprof record, follow, --pid or --cgroup run); try again when it is done\n",
			s->path);
	else if (errno == ENOENT)
		fprintf(stderr, "kprof2pprof: %s: %s (is the kprofmap module loaded, and one with sessions?)\n",
			s->path, strerror(errno));
	else
		fprintf(stderr, "kprof2pprof: %s: %s\n", s->path,
			strerror(errno));
	return -1;
}

int kp_session_cmd(struct kp_session *s, const char *cmd)
{
	size_t len = strlen(cmd);
	ssize_t n;

	do {
		n = write(s->fd, cmd, len);
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return 0;
	fprintf(stderr, "kprof2pprof: %s: \"%s\": %s\n", s->path, cmd,
		n < 0 ? strerror(errno) : "short write");
	return -1;
}

int kp_session_begin(struct kp_session *s, const char *proc_root,
		     unsigned int freq, const char *filter)
{
	char cmd[PATH_MAX + 32];

	if (kp_session_open(s, proc_root))
		return -1;
	if (freq) {
		snprintf(cmd, sizeof(cmd), "freq %u", freq);
		if (kp_session_cmd(s, cmd))
			goto out_close;
	}
	if (filter) {
		snprintf(cmd, sizeof(cmd), "filter %s", filter);
		if (kp_session_cmd(s, cmd))
			goto out_close;
	}
	if (kp_session_cmd(s, "reset"))
		goto out_close;
	return 0;

out_close:
	kp_session_close(s);
	return -1;
}

void kp_session_close(struct kp_session *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* --- drains --- */

FILE *kp_drain_copy(FILE *in, const char *name)
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

FILE *kp_drain_read(const char *proc_root)
{
	char path[PATH_MAX];
	FILE *in, *copy;

	snprintf(path, sizeof(path), "%s/%s/drain", proc_root, KPM_PROC_DIR);
	in = fopen(path, "re");
	if (!in) {
		fprintf(stderr, "kprof2pprof: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	copy = kp_drain_copy(in, path);
	fclose(in);
	return copy;
}

void kp_drain_save(FILE *copy, const char *output)
{
	char path[PATH_MAX + 16];
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
