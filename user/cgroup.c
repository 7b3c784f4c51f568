// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup.c - the cgroup2 mount, record's cgroup directories and their
 * removal (see cgroup.h)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

/* --- the mount --- */

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void kp_mountinfo_unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/*
 * One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPT...] -
 * FSTYPE SOURCE SUPEROPTS". Fills @cg when it is a cgroup2 mount.
 */
static bool kp_mountinfo_cgroup2(char *line, struct kp_cgroup2 *cg)
{
	char *tok[64], *save = NULL, *t;
	size_t n = 0, i;

	for (t = strtok_r(line, " \n", &save); t && n < KP_ARRAY_SIZE(tok);
	     t = strtok_r(NULL, " \n", &save))
		tok[n++] = t;
	for (i = 6; i < n && strcmp(tok[i], "-"); i++)
		;
	if (i + 1 >= n || strcmp(tok[i + 1], "cgroup2"))
		return false;
	kp_mountinfo_unescape(tok[3]);
	kp_mountinfo_unescape(tok[4]);
	if (tok[3][0] != '/' || tok[4][0] != '/' ||
	    strlen(tok[3]) >= sizeof(cg->root) ||
	    strlen(tok[4]) >= sizeof(cg->mnt))
		return false;
	strcpy(cg->root, tok[3]);
	strcpy(cg->mnt, tok[4]);
	return true;
}

int kp_cgroup2_find(struct kp_cgroup2 *cg, const char *mountinfo, char *err,
		    size_t errlen)
{
	FILE *f = fopen(mountinfo, "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (!f) {
		snprintf(err, errlen, "%s: %s", mountinfo, strerror(errno));
		return -1;
	}
	while (!found && getline(&line, &cap, f) > 0)
		found = kp_mountinfo_cgroup2(line, cg);
	free(line);
	fclose(f);
	if (!found) {
		snprintf(err, errlen,
			 "no cgroup2 file system is mounted (%s lists none); mount one: mount -t cgroup2 none /sys/fs/cgroup",
			 mountinfo);
		return -1;
	}
	return 0;
}

bool kp_cgroup2_path(const struct kp_cgroup2 *cg, const char *dir, char *out,
		     size_t len)
{
	size_t mlen = strlen(cg->mnt), rlen;
	const char *rel;
	int n;

	while (mlen > 1 && cg->mnt[mlen - 1] == '/')
		mlen--;
	if (strncmp(dir, cg->mnt, mlen) || (dir[mlen] && dir[mlen] != '/'))
		return false;
	rel = dir + mlen;
	rlen = strlen(rel);
	while (rlen > 0 && rel[rlen - 1] == '/')
		rlen--;
	if (!strcmp(cg->root, "/") && rlen == 0)
		n = snprintf(out, len, "/");
	else if (!strcmp(cg->root, "/"))
		n = snprintf(out, len, "%.*s", (int)rlen, rel);
	else
		n = snprintf(out, len, "%s%.*s", cg->root, (int)rlen, rel);
	return n > 0 && (size_t)n < len;
}

/* --- processes --- */

bool kp_pid_is_kprof2pprof(const char *proc_root, pid_t pid)
{
	char path[PATH_MAX], comm[32] = "";
	FILE *f;
	bool is;

	snprintf(path, sizeof(path), "%s/%d/comm", proc_root, (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	is = fgets(comm, sizeof(comm), f) && !strcmp(comm, "kprof2pprof\n");
	fclose(f);
	return is;
}

/*
 * The processes of cgroup directory @dir: how many cgroup.procs lists (0
 * without the file), each sent SIGKILL when @kill.
 */
static int kp_cgroup_procs(const char *dir, bool kill_them)
{
	char path[PATH_MAX], line[32];
	uint64_t pid;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (!kill_them ||
		    !kp_parse_dec(line, strcspn(line, "\n"), &pid) ||
		    pid == 0 || pid > INT32_MAX || (pid_t)pid == getpid())
			continue;
		kill((pid_t)pid, SIGKILL);
	}
	fclose(f);
	return n;
}

int kp_cgroup_empty(const char *dir)
{
	struct timespec tick = { 0, 10000000 };	/* 10 ms */
	char path[PATH_MAX];
	bool have_kill;
	int fd, i;

	snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	have_kill = fd >= 0;
	if (have_kill) {
		if (write(fd, "1", 1) != 1)
			have_kill = false;	/* kill them one by one */
		close(fd);
	}
	for (i = 0; i < 500; i++) {
		if (kp_cgroup_procs(dir, !have_kill) == 0)
			return 0;
		nanosleep(&tick, NULL);
	}
	fprintf(stderr, "kprof2pprof: %s: processes left after 5 s of SIGKILL\n",
		dir);
	return -1;
}

/* Remove the child cgroups of @dir, deepest first. */
static int kp_cgroup_remove_children(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") ||
		    !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     de->d_name) >= sizeof(path) ||
		    kp_cgroup_remove(path))
			ret = -1;
	}
	closedir(d);
	return ret;
}

int kp_cgroup_remove(const char *dir)
{
	struct timespec tick = { 0, 10000000 };	/* 10 ms */
	int i;

	if (kp_cgroup_empty(dir) || kp_cgroup_remove_children(dir))
		return -1;
	for (i = 0; i < 200; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		nanosleep(&tick, NULL);
	}
	fprintf(stderr, "kprof2pprof: cannot remove %s: %s\n", dir,
		strerror(errno));
	return -1;
}

/* --- what killed recorders left --- */

/* The pid of a name "kprofmap-record.PID", or 0. */
static pid_t kp_record_dir_pid(const char *name)
{
	size_t plen = strlen(KP_RECORD_CGROUP);
	uint64_t pid;

	if (strncmp(name, KP_RECORD_CGROUP, plen) || name[plen] != '.' ||
	    !kp_parse_dec(name + plen + 1, strlen(name + plen + 1), &pid) ||
	    pid == 0 || pid > INT32_MAX)
		return 0;
	return (pid_t)pid;
}

int kp_cgroup_sweep(const struct kp_cgroup2 *cg, const char *proc_root)
{
	char path[PATH_MAX];
	struct dirent *de;
	int removed = 0;
	pid_t pid;
	DIR *d;

	d = opendir(cg->mnt);
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		pid = kp_record_dir_pid(de->d_name);
		if (!pid || (pid != getpid() &&
			     kp_pid_is_kprof2pprof(proc_root, pid)))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", cg->mnt,
				     de->d_name) >= sizeof(path))
			continue;
		if (kp_cgroup_remove(path) == 0) {
			fprintf(stderr, "kprof2pprof: removed %s, left by a recorder that was killed\n",
				path);
			removed++;
		}
	}
	closedir(d);
	return removed;
}
