// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_proc_test - /proc/kprofmap/ semantics, run as root in the VM with
 * kprofmap.ko loaded (see 40-proc.sh): control commands and bad writes,
 * start/stop/reset, drain (nothing lost, nothing counted twice), the
 * format of samples, and -EACCES for non-root users.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../../module/kprofmap_format.h"

/* Write @cmd to control; returns 0 or -errno. */
static int ctl(const char *cmd, size_t len)
{
	int fd = open(KPM_PROC_CONTROL, O_WRONLY);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, cmd, len);
	err = n < 0 ? -errno : (n == (ssize_t)len ? 0 : -EIO);
	close(fd);
	return err;
}

#define CTL(s) ctl(s, strlen(s))

/* Value of @key in stats, or -1. */
static long long stat_of(const char *key)
{
	char line[128], k[64];
	long long v, ret = -1;
	FILE *f = fopen(KPM_PROC_STATS, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", k, &v) == 2 && !strcmp(k, key))
			ret = v;
	fclose(f);
	return ret;
}

/**
 * struct snap - what one read of samples/drain held
 * @records:	S lines
 * @samples:	sum of their counts
 * @lost:	count of the L line (0 without one)
 * @dups:	S lines whose (tgid, tid, comm, flags, stacks) repeated
 * @bad:	lines that do not follow the format
 */
struct snap {
	long long records, samples, lost, dups, bad;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_snap(const char *path, struct snap *s)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, **keys = NULL;
	size_t cap = 0, n = 0, i, lineno = 0;

	memset(s, 0, sizeof(*s));
	if (!f)
		return -errno;
	bool lost_seen = false;

	while (getline(&line, &cap, f) > 0) {
		long long count;
		char *rest;

		lineno++;
		if (lineno == 1) {
			int ver;

			if (sscanf(line, KPM_MAGIC " %d freq=", &ver) != 1 ||
			    ver != KPM_FORMAT_VERSION ||
			    !strstr(line, " start_ns=") || !strstr(line, " end_ns="))
				s->bad++;
			continue;
		}
		/* Nothing follows the L record. (G and M lines may follow S
		 * lines from version 3: each chunk's new generations come
		 * before its records.)
		 */
		if (lost_seen)
			s->bad++;
		if (line[0] == KPM_REC_GEN || line[0] == KPM_REC_MAP ||
		    line[0] == KPM_REC_CGROUP)
			continue;
		if (line[0] == KPM_REC_LOST) {
			lost_seen = true;
			if (sscanf(line, "L %lld alloc=", &s->lost) != 1)
				s->bad++;
			continue;
		}
		if (sscanf(line, "S %lld ", &count) != 1 || count < 1 ||
		    !strstr(line, " k=") || !strstr(line, " u=") ||
		    !strstr(line, " m=") || !strstr(line, " c=")) {
			s->bad++;
			continue;
		}
		s->records++;
		s->samples += count;
		rest = strchr(line + 2, ' ');
		keys = realloc(keys, (n + 1) * sizeof(*keys));
		keys[n++] = strdup(rest);
	}
	fclose(f);
	free(line);
	if (lineno == 0)
		s->bad++;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i + 1 < n; i++)
		if (!strcmp(keys[i], keys[i + 1]))
			s->dups++;
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	return 0;
}

static void spin_ms(long ms)
{
	struct timespec t0, t;
	volatile unsigned long x = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 10000; i++)
			x += i;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 +
		 (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

FIXTURE(kpm) {
	int dummy;
};

FIXTURE_SETUP(kpm)
{
	ASSERT_EQ(0, access(KPM_PROC_CONTROL, F_OK)) {
		TH_LOG("kprofmap is not loaded");
	}
	ASSERT_EQ(0, CTL("stop"));
	ASSERT_EQ(0, CTL("reset"));
}

FIXTURE_TEARDOWN(kpm)
{
	CTL("start");
}

TEST_F(kpm, bad_control_writes_change_nothing)
{
	static const char *const bad[] = {
		"bogus", "START", "start ", " start", "start\n\n", "st",
		"start\nstop", "reset\0", "startstartstartstart",
	};
	static const size_t badlen[] = { 5, 5, 6, 6, 7, 2, 11, 6, 20 };
	long long ticks;
	unsigned int i;

	ASSERT_EQ(0, stat_of("sampling"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, ctl(bad[i], badlen[i])) {
			TH_LOG("write #%u was accepted", i);
		}
	EXPECT_EQ(-EINVAL, ctl("", 0));
	/* Still stopped: no ticks. */
	ticks = stat_of("ticks");
	spin_ms(50);
	EXPECT_EQ(0, stat_of("sampling"));
	EXPECT_EQ(ticks, stat_of("ticks"));
	/* Newline-terminated commands are fine (echo start > control). */
	EXPECT_EQ(0, CTL("start\n"));
	EXPECT_EQ(1, stat_of("sampling"));
	EXPECT_EQ(0, CTL("start"));	/* idempotent */
	EXPECT_EQ(0, CTL("stop\n"));
	EXPECT_EQ(0, CTL("stop"));
}

TEST_F(kpm, start_stop)
{
	long long t0, t1;

	ASSERT_EQ(0, CTL("start"));
	t0 = stat_of("ticks");
	spin_ms(200);
	t1 = stat_of("ticks");
	EXPECT_GT(t1, t0);
	ASSERT_EQ(0, CTL("stop"));
	t0 = stat_of("ticks");
	spin_ms(100);
	EXPECT_EQ(t0, stat_of("ticks"));
}

TEST_F(kpm, reset_empties_samples)
{
	struct snap s;

	ASSERT_EQ(0, CTL("start"));
	spin_ms(300);
	ASSERT_EQ(0, CTL("stop"));
	ASSERT_EQ(0, read_snap(KPM_PROC_SAMPLES, &s));
	EXPECT_GT(s.records, 0);
	EXPECT_EQ(0, s.bad);
	ASSERT_EQ(0, CTL("reset"));
	ASSERT_EQ(0, read_snap(KPM_PROC_SAMPLES, &s));
	EXPECT_EQ(0, s.records);
	EXPECT_EQ(0, s.bad);
}

TEST_F(kpm, samples_is_repeatable_drain_clears)
{
	struct snap a, b, d, e;

	ASSERT_EQ(0, CTL("start"));
	spin_ms(300);
	ASSERT_EQ(0, CTL("stop"));
	ASSERT_EQ(0, read_snap(KPM_PROC_SAMPLES, &a));
	ASSERT_EQ(0, read_snap(KPM_PROC_SAMPLES, &b));
	EXPECT_GT(a.samples, 0);
	EXPECT_EQ(a.samples, b.samples);
	EXPECT_EQ(a.records, b.records);
	EXPECT_EQ(0, a.dups);
	ASSERT_EQ(0, read_snap(KPM_PROC_DRAIN, &d));
	EXPECT_EQ(a.samples, d.samples);
	ASSERT_EQ(0, read_snap(KPM_PROC_DRAIN, &e));
	EXPECT_EQ(0, e.records);
	ASSERT_EQ(0, read_snap(KPM_PROC_SAMPLES, &e));
	EXPECT_EQ(0, e.records);
}

/* Drain repeatedly while sampling: the drained counts add up to the
 * samples the sampler stored, exactly.
 */
TEST_F(kpm, drains_lose_nothing_count_nothing_twice)
{
	long long stored0, stored1, lost0, lost1, total = 0, lost = 0;
	struct snap s;
	int i;

	stored0 = stat_of("stored");
	lost0 = stat_of("lost");
	ASSERT_EQ(0, CTL("start"));
	for (i = 0; i < 20; i++) {
		spin_ms(40);
		ASSERT_EQ(0, read_snap(KPM_PROC_DRAIN, &s));
		EXPECT_EQ(0, s.dups);
		EXPECT_EQ(0, s.bad);
		total += s.samples;
		lost += s.lost;
	}
	ASSERT_EQ(0, CTL("stop"));
	ASSERT_EQ(0, read_snap(KPM_PROC_DRAIN, &s));
	total += s.samples;
	lost += s.lost;
	stored1 = stat_of("stored");
	lost1 = stat_of("lost");
	EXPECT_GT(total, 0);
	EXPECT_EQ(stored1 - stored0, total);
	EXPECT_EQ(lost1 - lost0, lost);
}

/* Read @n bytes (at most 4096) of @path, then close it unfinished. */
static int read_some(const char *path, size_t n)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = n ? read(fd, buf, n < sizeof(buf) ? n : sizeof(buf)) : 0;
	close(fd);
	return got < 0 ? -errno : 0;
}

/* A drain its reader never finished hands every record back: an open
 * that the VFS fails after ->open (O_DIRECT), a file closed unread, a
 * file closed after its first bytes. A drain read to the end empties.
 */
TEST_F(kpm, unconsumed_drains_lose_nothing)
{
	struct snap a, b;
	int fd;

	ASSERT_EQ(0, CTL("start"));
	spin_ms(300);
	ASSERT_EQ(0, CTL("stop"));
	ASSERT_EQ(0, read_snap(KPM_PROC_SAMPLES, &a));
	ASSERT_GT(a.samples, 0);

	fd = open(KPM_PROC_DRAIN, O_RDONLY | O_DIRECT);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EINVAL, errno);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, read_snap(KPM_PROC_SAMPLES, &b));
	EXPECT_EQ(a.samples, b.samples);
	EXPECT_EQ(a.records, b.records);

	ASSERT_EQ(0, read_some(KPM_PROC_DRAIN, 0));
	ASSERT_EQ(0, read_some(KPM_PROC_DRAIN, 100));
	ASSERT_EQ(0, read_snap(KPM_PROC_SAMPLES, &b));
	EXPECT_EQ(a.samples, b.samples);
	EXPECT_EQ(a.records, b.records);
	EXPECT_EQ(0, b.dups);

	ASSERT_EQ(0, read_snap(KPM_PROC_DRAIN, &b));
	EXPECT_EQ(a.samples, b.samples);
	ASSERT_EQ(0, read_snap(KPM_PROC_SAMPLES, &b));
	EXPECT_EQ(0, b.records);
}

static void *reader_loop(void *arg)
{
	volatile int *stop = arg;
	long bad = 0;
	struct snap s;

	while (!*stop) {
		if (read_snap(KPM_PROC_SAMPLES, &s) || s.bad || s.dups)
			bad++;
	}
	return (void *)bad;
}

/* Readers looping on samples never stall sampling (no lost samples) and
 * always see a well-formed, duplicate-free snapshot.
 */
TEST_F(kpm, concurrent_readers)
{
	volatile int stop = 0;
	pthread_t th[2];
	void *bad[2];
	long long lost0 = stat_of("lost");

	ASSERT_EQ(0, CTL("start"));
	ASSERT_EQ(0, pthread_create(&th[0], NULL, reader_loop, (void *)&stop));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, reader_loop, (void *)&stop));
	spin_ms(1000);
	stop = 1;
	pthread_join(th[0], &bad[0]);
	pthread_join(th[1], &bad[1]);
	EXPECT_EQ(0, (long)bad[0]);
	EXPECT_EQ(0, (long)bad[1]);
	EXPECT_EQ(lost0, stat_of("lost"));
}

TEST_F(kpm, non_root_gets_eacces)
{
	static const char *const files[] = {
		KPM_PROC_SAMPLES, KPM_PROC_DRAIN, KPM_PROC_CONTROL,
		KPM_PROC_STATS,
	};
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		unsigned int i;
		int fails = 0;

		if (setgid(65534) || setuid(65534))
			_exit(100);
		for (i = 0; i < 4; i++) {
			int fd = open(files[i], i == 2 ? O_WRONLY : O_RDONLY);

			if (fd >= 0 || errno != EACCES) {
				fprintf(stderr, "# %s: open as uid 65534: %s\n",
					files[i], fd >= 0 ? "succeeded" :
					strerror(errno));
				fails++;
			}
		}
		_exit(fails);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
