// SPDX-License-Identifier: GPL-2.0
/*
 * bench_encode.c - how fast kprof2pprof encodes, and how much memory it
 * takes
 *
 * Writes synthetic record files, then converts each in a child process
 * (so that each conversion's peak RSS is its own) through the same
 * kp_convert() the command line uses: parsing, kernel symbolization from
 * a synthetic kallsyms (20000 symbols), user symbolization from the real
 * ELF files mapped into this process (its own text and libc's, through
 * /proc/PID/maps and libelf), profile building, gzip, rename.
 *
 *   bench_encode [-n STACKS] [-d DEPTH]     defaults: 100000 and 32
 *
 * Scenarios:
 *   unique stacks    N unique stacks; frames drawn from 4096 kernel and
 *                    8192 user PCs (a realistic number of locations)
 *   ... folded       the same input, --folded output
 *   unique PCs       N unique stacks, nearly every frame a new PC (the
 *                    worst case for memory: one location per frame)
 *   10x repeats      10 N records over N/10 stacks: 10x the input of the
 *                    first, same locations; memory must not grow with it
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "convert.h"
#include "util.h"

#define KSYMS 20000
#define KBASE ((uint64_t)0xffffffff81000000ULL)

struct bench_text {
	uint64_t start, end;	/* an r-xp region of this process */
};

struct bench {
	char dir[64];
	unsigned long nstacks, depth, kdepth, udepth;
	struct bench_text text[8];
	int ntext;
	uint64_t utotal;	/* bytes of text in text[] */
};

static uint64_t bench_rand(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return kp_hash64(*s);
}

/* The text regions of libc and of this program, from /proc/self/maps. */
static void bench_find_text(struct bench *b)
{
	char line[4096], exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f = fopen("/proc/self/maps", "re");

	if (n < 0 || !f) {
		perror("bench_encode: /proc/self");
		exit(1);
	}
	exe[n] = '\0';
	while (fgets(line, sizeof(line), f) && b->ntext < 8) {
		unsigned long long s, e;
		char perms[5];

		if (sscanf(line, "%llx-%llx %4s", &s, &e, perms) != 3 ||
		    strcmp(perms, "r-xp") ||
		    (!strstr(line, "libc.so") && !strstr(line, exe)))
			continue;
		b->text[b->ntext].start = s;
		b->text[b->ntext].end = e;
		b->utotal += e - s;
		b->ntext++;
	}
	fclose(f);
	if (!b->ntext) {
		fputs("bench_encode: no text regions found\n", stderr);
		exit(1);
	}
}

/* The @i-th byte of this process's text regions (wrapping). */
static uint64_t bench_upc(const struct bench *b, uint64_t i)
{
	int t;

	i %= b->utotal;
	for (t = 0; i >= b->text[t].end - b->text[t].start; t++)
		i -= b->text[t].end - b->text[t].start;
	return b->text[t].start + i;
}

static void bench_write_kallsyms(const struct bench *b)
{
	char path[128];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/kallsyms", b->dir);
	f = fopen(path, "we");
	for (i = 0; i < KSYMS; i++)
		fprintf(f, "%016" PRIx64 " %c kernel_function_%05d\n",
			KBASE + (uint64_t)i * 0x100, i % 3 ? 'T' : 't', i);
	fprintf(f, "%016" PRIx64 " T _etext\n", KBASE + (uint64_t)KSYMS * 0x100);
	fclose(f);
}

enum bench_pcs { PCS_POOLED, PCS_UNIQUE };

/*
 * Write @records records over @nstacks distinct stacks (record r uses
 * stack r % nstacks). Pooled PCs come from 4096 kernel and 8192 user
 * addresses; unique PCs walk the address ranges.
 */
static uint64_t bench_write_records(const struct bench *b, const char *name,
				    unsigned long records,
				    unsigned long nstacks, enum bench_pcs pcs)
{
	unsigned long r, j;
	uint64_t seed, bytes;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", b->dir, name);
	f = fopen(path, "we");
	fprintf(f, "kprofmap-samples 1 freq=999 cpus=2 start_ns=1700000000000000000 end_ns=1700000010000000000 max_depth=%lu\n",
		b->depth);
	for (r = 0; r < records; r++) {
		unsigned long s = r % nstacks;

		seed = s * 0x100000001b3ULL;
		fprintf(f, "S %lu %d %d bench - k=", 1 + s % 7, (int)getpid(),
			(int)getpid());
		for (j = 0; j < b->kdepth; j++) {
			uint64_t k = pcs == PCS_POOLED ?
				bench_rand(&seed) % 4096 * 997 :
				(s * b->kdepth + j) * 7;

			fprintf(f, "%s%" PRIx64, j ? "," : "",
				KBASE + 8 + k % ((uint64_t)KSYMS * 0x100 - 16));
		}
		fputs(" u=", f);
		for (j = 0; j < b->udepth; j++) {
			uint64_t u = pcs == PCS_POOLED ?
				bench_rand(&seed) % 8192 * 131 :
				(s * b->udepth + j) * 3;

			fprintf(f, "%s%" PRIx64, j ? "," : "", bench_upc(b, 1 + u));
		}
		fputc('\n', f);
	}
	bytes = (uint64_t)ftell(f);
	fclose(f);
	return bytes;
}

/* Convert @name in a child; print one row of the table. */
static int bench_run(const struct bench *b, const char *label,
		     const char *name, bool folded, uint64_t in_bytes,
		     unsigned long records)
{
	char in[128], out[128], kallsyms[128];
	struct kp_options opt = {
		.output = out, .proc_root = "/proc", .kallsyms = kallsyms,
		.sys_root = "/sys", .debug_dir = "/usr/lib/debug",
		.folded = folded,
	};
	struct timespec t0, t1;
	struct kp_stats st;
	struct rusage ru;
	int status;
	pid_t pid;
	FILE *f;

	snprintf(in, sizeof(in), "%s/%s", b->dir, name);
	snprintf(out, sizeof(out), "%s/%s.out", b->dir, name);
	snprintf(kallsyms, sizeof(kallsyms), "%s/kallsyms", b->dir);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		double secs;

		f = fopen(in, "re");
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (!f || kp_convert(&opt, f, in, &st))
			_exit(1);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		getrusage(RUSAGE_SELF, &ru);
		secs = (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("%-22s %8lu %7.1f %6.3f %10.0f %10.0f %9" PRIu64 " %6.1f %6.1f %8.1f\n",
		       label, records, (double)in_bytes / 1048576, secs,
		       (double)records / secs, (double)st.frames / secs,
		       st.locations, (double)st.raw_bytes / 1048576,
		       (double)st.out_bytes / 1048576,
		       (double)ru.ru_maxrss / 1024);
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "bench_encode: %s: conversion failed\n", label);
		return -1;
	}
	unlink(out);
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b = { .nstacks = 100000, .depth = 32 };
	uint64_t bytes;
	char cmd[160];
	int c, ret = 0;

	while ((c = getopt(argc, argv, "n:d:")) != -1) {
		if (c == 'n')
			b.nstacks = strtoul(optarg, NULL, 10);
		else if (c == 'd')
			b.depth = strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	if (b.nstacks < 10 || b.depth < 2 || b.depth > 255) {
		fputs("usage: bench_encode [-n STACKS>=10] [-d DEPTH 2..255]\n",
		      stderr);
		return 2;
	}
	/* depth is per record: 3/8 kernel frames, the rest user frames */
	b.kdepth = b.depth * 3 / 8;
	b.udepth = b.depth - b.kdepth;
	snprintf(b.dir, sizeof(b.dir), "/tmp/kprof2pprof-bench.XXXXXX");
	if (!mkdtemp(b.dir)) {
		perror("bench_encode: mkdtemp");
		return 1;
	}
	bench_find_text(&b);
	bench_write_kallsyms(&b);

	printf("kprof2pprof encode benchmark: %lu unique stacks of depth %lu (%lu kernel + %lu user frames)\n",
	       b.nstacks, b.depth, b.kdepth, b.udepth);
	printf("kernel: synthetic kallsyms, %d symbols; user: this process's libc and text, %.1f MiB\n",
	       KSYMS, (double)b.utotal / 1048576);
	printf("%-22s %8s %7s %6s %10s %10s %9s %6s %6s %8s\n", "scenario",
	       "records", "in_MiB", "secs", "stacks/s", "frames/s", "locations",
	       "pb_MiB", "gz_MiB", "peak_RSS");
	printf("%-22s %8s %7s %6s %10s %10s %9s %6s %6s %8s\n", "", "", "", "",
	       "", "", "", "", "", "MiB");

	bytes = bench_write_records(&b, "pooled", b.nstacks, b.nstacks,
				    PCS_POOLED);
	ret |= bench_run(&b, "unique stacks", "pooled", false, bytes,
			 b.nstacks);
	ret |= bench_run(&b, "unique stacks, folded", "pooled", true, bytes,
			 b.nstacks);
	bytes = bench_write_records(&b, "unique", b.nstacks, b.nstacks,
				    PCS_UNIQUE);
	ret |= bench_run(&b, "unique PCs", "unique", false, bytes, b.nstacks);
	bytes = bench_write_records(&b, "repeats", b.nstacks * 10,
				    b.nstacks / 10, PCS_POOLED);
	ret |= bench_run(&b, "10x repeats", "repeats", false, bytes,
			 b.nstacks * 10);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b.dir);
	if (system(cmd))
		ret = 1;
	return ret ? 1 : 0;
}
