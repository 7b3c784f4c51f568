// SPDX-License-Identifier: GPL-2.0
/*
 * profmap_bench - time the profmap core (module/profmap.c, unchanged) in
 * userspace, per recorded sample
 *
 *   profmap_bench [OPTIONS]            generated trace (see --help)
 *   profmap_bench [OPTIONS] TRACE      replay a trace file ("-": stdin)
 *
 * Trace file: one sample per line, a decimal tag then the stack's PCs in
 * hex (leaf first), separated by single spaces. Leading PCs at or above
 * 0xffff800000000000 are the kernel part of the stack, the rest the user
 * part; the tag is both tgid and tid.
 *
 * The map is set up as one hot map of the module (1024 buckets, chain
 * limit PROFMAP_HOT_CHAIN_LIMIT). Each phase runs --reps times in timed
 * chunks and the fastest run of each chunk counts (see phase()), since
 * other work on the machine only ever adds time. Instructions come from a hardware counter (perf_event_open)
 * when the machine has one, else from re-running this program once under
 * `valgrind --tool=callgrind`, which counts every instruction of each
 * phase exactly (client requests bracket the phases).
 *
 * Output: "key value" lines (a # line first says what was run), read by
 * scripts/bench.sh and by people.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include "profmap.h"
#include "bench_counter.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BENCH_HAVE_CALLGRIND 1
#else
#define BENCH_HAVE_CALLGRIND 0
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_DUMP_STATS_AT(s)
#endif

#define BENCH_VERSION		"1"
#define BENCH_CHILD_ENV		"KPM_BENCH_CALLGRIND"
#define BENCH_KERNEL_MIN	0xffff800000000000ULL
#define BENCH_HOT_BUCKETS	1024
#define BENCH_GFP		(GFP_ATOMIC | __GFP_NOWARN)

/*
 * struct bsample - one sample of a trace, ready for profmap_add()
 * @pcs:	@nk kernel then @nu user PCs, leaf first (points into the
 *		storage of the trace that owns it)
 * @off:	offset of @pcs in that storage while the trace is built
 * @tag:	tgid and tid
 * @hash:	profmap_hash_sample(), filled by the hash phase
 */
struct bsample {
	const u64 *pcs;
	size_t off;
	u32 tag;
	u32 hash;
	u8 nk;
	u8 nu;
};

/* A sequence of samples and the PCs they point into. */
struct trace {
	struct bsample *s;
	size_t n, cap;
	u64 *pcs;
	size_t npcs, pcs_cap;
	u64 frames;		/* sum of nk + nu over the samples */
};

/* What a phase works on. */
struct ctx {
	struct profmap_pool pool;
	struct profmap map;
	const struct trace *fill;	/* entries the hit phases start with */
	struct trace *tr;		/* the samples of the phase */
	u64 sink;
};

/* A phase's best time and instruction count, per sample. */
struct figure {
	double ns;
	double insns;		/* < 0: not measured */
};

static struct {
	unsigned int stacks, samples, reps, min_depth, max_depth, buckets;
	double zipf;
	u64 seed;
	const char *write_trace;
	bool no_insns;
} opt = {
	.stacks = 4000, .samples = 500000, .reps = 5, .min_depth = 8,
	.max_depth = 64, .buckets = BENCH_HOT_BUCKETS, .zipf = 1.0, .seed = 1,
};

static bool under_callgrind;	/* child run: count instructions only */
static bool have_counter;	/* hardware instruction counter works */
static char cg_dir[64];		/* where the callgrind child writes */
static const char *prog = "profmap_bench";

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory");
	return p;
}

/* ------------------------------------------------------------ traces */

static u64 rng_state;

/* splitmix64: fast, seedable, good enough to shape a trace. */
static u64 rnd(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rnd_unit(void)
{
	return (rnd() >> 11) * (1.0 / 9007199254740992.0);
}

static u64 *trace_reserve(struct trace *t, size_t frames)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		t->s = xrealloc(t->s, t->cap * sizeof(*t->s));
	}
	if (t->npcs + frames > t->pcs_cap) {
		while (t->npcs + frames > t->pcs_cap)
			t->pcs_cap = t->pcs_cap ? 2 * t->pcs_cap : 65536;
		t->pcs = xrealloc(t->pcs, t->pcs_cap * sizeof(u64));
	}
	return t->pcs + t->npcs;
}

/* Append a sample whose @nk + @nu PCs were written at trace_reserve(). */
static void trace_push(struct trace *t, u32 tag, unsigned int nk,
		       unsigned int nu)
{
	struct bsample *s = &t->s[t->n++];

	s->off = t->npcs;
	s->tag = tag;
	s->nk = nk;
	s->nu = nu;
	t->npcs += nk + nu;
	t->frames += nk + nu;
}

/* Point every sample at its PCs once the storage stops moving. */
static void trace_finish(struct trace *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		t->s[i].pcs = t->pcs + t->s[i].off;
}

static void trace_free(struct trace *t)
{
	free(t->s);
	free(t->pcs);
	memset(t, 0, sizeof(*t));
}

/*
 * One made-up stack of @depth frames, shaped like a real one: a third of
 * the stacks were sampled in a system call (a kernel part under the
 * syscall entry), the user part hangs under a few shared outer frames
 * (_start, main, a dispatcher), and the frames nearer the leaf vary.
 */
static void gen_stack(struct trace *t, unsigned int depth)
{
	u64 *pcs = trace_reserve(t, depth);
	unsigned int nk = 0, nu, i;

	if (rnd() % 3 == 0)
		nk = 4 + rnd() % (depth / 2 - 3);
	nu = depth - nk;
	/* Kernel part, leaf first: random text, then do_syscall_64 and the
	 * entry code as the two outermost frames.
	 */
	for (i = 0; i < nk; i++)
		pcs[i] = 0xffffffff81000000ULL + (rnd() % 0xa00000);
	if (nk) {
		pcs[nk - 1] = 0xffffffff81c00126ULL;
		pcs[nk - 2] = 0xffffffff81a43e1dULL;
	}
	/* User part, leaf first: a quarter of the leaves in a shared library. */
	for (i = 0; i < nu; i++)
		pcs[nk + i] = 0x401000 + (rnd() % 0x200000);
	if (rnd() % 4 == 0)
		pcs[nk] = 0x7f3a5c000000ULL + (rnd() % 0x1c0000);
	for (i = 0; i < 3 && i < nu - 1; i++)
		pcs[nk + nu - 1 - i] = 0x401020 + 0x80 * i;
	trace_push(t, 1000 + rnd() % 32, nk, nu);
}

/* @n unique stacks with depths uniform in [@dmin, @dmax]. */
static void gen_uniques(struct trace *u, unsigned int n, unsigned int dmin,
			unsigned int dmax)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		gen_stack(u, dmin + rnd() % (dmax - dmin + 1));
	trace_finish(u);
}

/*
 * @n samples of the stacks in @u with Zipf(@s) popularity over a random
 * ranking (@s = 0: uniform). The samples share @u's PCs.
 */
static void gen_samples(struct trace *t, const struct trace *u, size_t n,
			double s)
{
	double *cdf = xrealloc(NULL, u->n * sizeof(double));
	size_t *rank = xrealloc(NULL, u->n * sizeof(size_t));
	double sum = 0;
	size_t i, j;

	for (i = 0; i < u->n; i++) {
		sum += 1.0 / pow((double)(i + 1), s);
		cdf[i] = sum;
		rank[i] = i;
	}
	for (i = u->n - 1; i > 0; i--) {
		size_t k = rnd() % (i + 1), tmp = rank[i];

		rank[i] = rank[k];
		rank[k] = tmp;
	}
	t->s = xrealloc(NULL, n * sizeof(*t->s));
	t->n = t->cap = n;
	for (i = 0; i < n; i++) {
		double x = rnd_unit() * sum;
		size_t lo = 0, hi = u->n - 1;

		while (lo < hi) {
			j = (lo + hi) / 2;
			if (cdf[j] < x)
				lo = j + 1;
			else
				hi = j;
		}
		t->s[i] = u->s[rank[lo]];
		t->frames += t->s[i].nk + t->s[i].nu;
	}
	free(cdf);
	free(rank);
}

static void write_trace(const char *path, const struct trace *t)
{
	char tmp[4096];
	FILE *f;
	size_t i;
	unsigned int k;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		die("%s: %s", tmp, strerror(errno));
	for (i = 0; i < t->n; i++) {
		const struct bsample *s = &t->s[i];

		fprintf(f, "%u", s->tag);
		for (k = 0; k < (unsigned int)s->nk + s->nu; k++)
			fprintf(f, " %llx", (unsigned long long)s->pcs[k]);
		fputc('\n', f);
	}
	if (fclose(f) || rename(tmp, path))
		die("%s: %s", path, strerror(errno));
}

/* Parse one trace line (no newline) into @t; NULL or what was wrong. */
static const char *parse_line(struct trace *t, char *line)
{
	unsigned long long tag, pc;
	unsigned int nk = 0, nu = 0, n = 0;
	char *p = line, *end;
	u64 *pcs;

	if (*p < '0' || *p > '9')
		return "expected a decimal tag at the start of the line";
	errno = 0;
	tag = strtoull(p, &end, 10);
	if (errno || tag > 0xffffffffULL)
		return "tag out of range 0..4294967295";
	for (p = end; *p; p = end) {
		if (*p != ' ' || !isxdigit((unsigned char)p[1]))
			return "expected a single space then a hex PC";
		p++;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			p += 2;
		errno = 0;
		pc = strtoull(p, &end, 16);
		if (errno || end == p || end - p > 16)
			return "PC is not 1..16 hex digits";
		if (*end && *end != ' ')
			return "junk after a PC";
		if (n == nk && pc >= BENCH_KERNEL_MIN)
			nk++;
		else
			nu++;
		if (nk > 255 || nu > 255)
			return "more than 255 kernel or user frames (profmap holds 255 of each)";
		pcs = trace_reserve(t, n + 1);
		pcs[n++] = pc;
	}
	trace_reserve(t, 0);
	trace_push(t, (u32)tag, nk, nu);
	return NULL;
}

static void read_trace(const char *path, struct trace *t)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	const char *err;

	if (!f)
		die("%s: %s", path, strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		err = parse_line(t, line);
		if (err)
			die("%s:%zu: %s", path, lineno, err);
	}
	if (ferror(f))
		die("%s: %s", path, strerror(errno));
	if (f != stdin)
		fclose(f);
	free(line);
	if (!t->n)
		die("%s: no samples", path);
	trace_finish(t);
}

/* ------------------------------------------------------------- phases */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Hash samples [@lo, @hi) of c->tr, as the sampler does while walking. */
static __attribute__((noinline)) void body_hash(struct ctx *c, size_t lo,
						size_t hi)
{
	struct profmap_sample s = { 0 };
	struct bsample *b = c->tr->s;
	size_t i;

	for (i = lo; i < hi; i++) {
		s.pcs = b[i].pcs;
		s.key.tgid = s.key.tid = b[i].tag;
		s.key.nk = b[i].nk;
		s.key.nu = b[i].nu;
		b[i].hash = profmap_hash_sample(&c->pool, &s);
	}
}

/* Count samples [@lo, @hi) of @t in the map, as sampler_account() does. */
static __attribute__((noinline)) void add_range(struct ctx *c,
						const struct trace *t,
						size_t lo, size_t hi)
{
	struct profmap_sample s = { .comm = "bench" };
	const struct bsample *b = t->s;
	size_t i;

	for (i = lo; i < hi; i++) {
		s.pcs = b[i].pcs;
		s.key.hash = b[i].hash;
		s.key.tgid = s.key.tid = b[i].tag;
		s.key.nk = b[i].nk;
		s.key.nu = b[i].nu;
		c->sink += profmap_add(&c->map, &s, 1, BENCH_GFP);
	}
}

static void body_add(struct ctx *c, size_t lo, size_t hi)
{
	add_range(c, c->tr, lo, hi);
}

/* The hashes of stacks the phases insert before they start. */
static void hash_untimed(struct ctx *c, struct trace *t)
{
	c->tr = t;
	body_hash(c, 0, t->n);
}

static void prep_empty(struct ctx *c)
{
	profmap_clear(&c->map);
}

/* The hit phases start from a map holding every stack of c->fill. */
static void prep_filled(struct ctx *c)
{
	if (c->map.nr_entries == c->fill->n && !c->map.lost_alloc)
		return;
	profmap_clear(&c->map);
	add_range(c, c->fill, 0, c->fill->n);
}

/* Samples per timed chunk: well under a scheduler slice. */
#define BENCH_CHUNK	2048

/*
 * Run one phase: @prep (untimed) then @body over all of @tr, opt.reps
 * times. The body runs in chunks of BENCH_CHUNK samples, each timed; the
 * phase's time is the sum over chunks of each chunk's fastest run, so a
 * preemption or a burst of work elsewhere on the machine has to hit the
 * same chunk in every run to count. Instructions: the fewest of any run
 * (hardware counter), or the single run of the callgrind child, where
 * only @body is counted and dumped as @name.
 */
static struct figure phase(struct ctx *c, const char *name,
			   void (*prep)(struct ctx *),
			   void (*body)(struct ctx *, size_t, size_t),
			   struct trace *tr)
{
	struct figure f = { .ns = 0, .insns = -1 };
	size_t nchunks = (tr->n + BENCH_CHUNK - 1) / BENCH_CHUNK, k, lo, hi;
	unsigned int r, reps = under_callgrind ? 1 : opt.reps;
	double *best = xrealloc(NULL, nchunks * sizeof(double)), t0, dt;
	long long insns;

	for (k = 0; k < nchunks; k++)
		best[k] = INFINITY;
	c->tr = tr;
	for (r = 0; r < reps; r++) {
		if (prep)
			prep(c);
		if (under_callgrind) {
			CALLGRIND_START_INSTRUMENTATION;
			CALLGRIND_TOGGLE_COLLECT;
			body(c, 0, tr->n);
			CALLGRIND_TOGGLE_COLLECT;
			CALLGRIND_DUMP_STATS_AT(name);
			continue;
		}
		if (have_counter)
			bench_counter_start();
		for (k = 0; k < nchunks; k++) {
			lo = k * BENCH_CHUNK;
			hi = lo + BENCH_CHUNK < tr->n ? lo + BENCH_CHUNK : tr->n;
			t0 = now_ns();
			body(c, lo, hi);
			dt = now_ns() - t0;
			if (dt < best[k])
				best[k] = dt;
		}
		if (have_counter) {
			insns = bench_counter_stop();
			if (insns >= 0 && (f.insns < 0 || insns / (double)tr->n < f.insns))
				f.insns = insns / (double)tr->n;
		}
	}
	for (k = 0; k < nchunks; k++)
		f.ns += best[k];
	f.ns /= tr->n;
	if (under_callgrind)
		f.ns = -1;
	free(best);
	return f;
}

/* Every allocation the pool's caches made so far. */
static long pool_allocs(const struct profmap_pool *pool)
{
	long n = pool->entry_cache->allocs;
	unsigned int cls;

	for (cls = 0; cls < PROFMAP_NR_CLASSES; cls++)
		n += pool->stk_cache[cls]->allocs;
	return n;
}

/* ------------------------------------------------------------ reports */

/* Results of all phases, in the order they ran. */
#define BENCH_MAX_PHASES 16
static struct {
	const char *name;
	struct figure f;
	size_t samples;
	u64 frames;
} res[BENCH_MAX_PHASES];
static unsigned int nres;

static void record(const char *name, struct figure f, const struct trace *t)
{
	if (nres == BENCH_MAX_PHASES)
		die("too many phases");
	res[nres].name = name;
	res[nres].f = f;
	res[nres].samples = t->n;
	res[nres].frames = t->frames;
	nres++;
}

static struct figure *result(const char *name)
{
	unsigned int i;

	for (i = 0; i < nres; i++)
		if (!strcmp(res[i].name, name))
			return &res[i].f;
	die("no phase %s", name);
	return NULL;
}

/*
 * Re-run this program under callgrind (same arguments, one rep per
 * phase) and fill in the instructions of every phase from its dump
 * files. Leaves the figures unmeasured when valgrind is missing or
 * fails (the reason goes to stderr).
 */
static void count_with_callgrind(char **argv)
{
	char exe[4096], out[128], log[128], path[256], line[512];
	char name[64] = "";
	unsigned long long total;
	ssize_t n;
	pid_t pid;
	int st, i;
	FILE *f;

	if (!BENCH_HAVE_CALLGRIND) {
		fprintf(stderr, "%s: built without valgrind/callgrind.h: no instruction counts\n", prog);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		die("/proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	snprintf(cg_dir, sizeof(cg_dir), "/tmp/profmap_bench.XXXXXX");
	if (!mkdtemp(cg_dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(out, sizeof(out), "--callgrind-out-file=%s/cg.out", cg_dir);
	snprintf(log, sizeof(log), "--log-file=%s/valgrind.log", cg_dir);

	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char **args = calloc(8 + 64, sizeof(char *));
		int a = 0;

		args[a++] = "valgrind";
		args[a++] = "--tool=callgrind";
		args[a++] = "--instr-atstart=no";
		args[a++] = "--collect-atstart=no";
		args[a++] = out;
		args[a++] = log;
		args[a++] = exe;
		for (i = 1; argv[i] && a < 8 + 62; i++)
			args[a++] = argv[i];
		setenv(BENCH_CHILD_ENV, "1", 1);
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execvp("valgrind", args);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "%s: valgrind --tool=callgrind failed (%s/valgrind.log): no instruction counts\n",
			prog, cg_dir);
		return;
	}
	for (i = 1; i <= 64; i++) {
		snprintf(path, sizeof(path), "%s/cg.out.%d", cg_dir, i);
		f = fopen(path, "r");
		if (!f)
			break;
		total = 0;
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, "desc: Trigger: Client Request: %63s", name);
			sscanf(line, "totals: %llu", &total);
		}
		fclose(f);
		unlink(path);
		for (unsigned int k = 0; k < nres; k++)
			if (!strcmp(res[k].name, name))
				res[k].f.insns = total / (double)res[k].samples;
	}
	snprintf(path, sizeof(path), "%s/cg.out", cg_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/valgrind.log", cg_dir);
	unlink(path);
	rmdir(cg_dir);
}

static void print_fig(const char *key, double v)
{
	if (v < 0 || isnan(v))
		printf("%s n/a\n", key);
	else
		printf("%s %.2f\n", key, v);
}

/* Per-frame slope and constant from the d8 and d64 phases of @what. */
static void print_slope(const char *what)
{
	char k8[32], k64[32], key[64];
	struct figure *a, *b;
	double slope;

	snprintf(k8, sizeof(k8), "%s_d8", what);
	snprintf(k64, sizeof(k64), "%s_d64", what);
	a = result(k8);
	b = result(k64);
	slope = (b->ns - a->ns) / 56;
	snprintf(key, sizeof(key), "%s_ns_per_frame", what);
	print_fig(key, slope);
	if (a->insns < 0 || b->insns < 0) {
		printf("%s_insns_per_frame n/a\n%s_insns_const n/a\n", what, what);
		return;
	}
	slope = (b->insns - a->insns) / 56;
	snprintf(key, sizeof(key), "%s_insns_per_frame", what);
	print_fig(key, slope);
	snprintf(key, sizeof(key), "%s_insns_const", what);
	print_fig(key, a->insns - 8 * slope);
}

static void print_results(void)
{
	char key[64];
	unsigned int i;

	for (i = 0; i < nres; i++) {
		snprintf(key, sizeof(key), "%s_ns_per_sample", res[i].name);
		print_fig(key, res[i].f.ns);
		snprintf(key, sizeof(key), "%s_insns_per_sample", res[i].name);
		print_fig(key, res[i].f.insns);
	}
}

/* Bytes the map holds per unique stack, against 8 bytes per raw frame. */
static void print_memory(const struct profmap *m)
{
	const struct profmap_entry *e;
	double bytes = 0, raw = 0, worst = 0;

	for (e = m->all; e; e = e->next_all) {
		double b = profmap_entry_bytes(e), r = 8.0 * (e->key.nk + e->key.nu);

		bytes += b;
		raw += r;
		/* Target: bytes <= 1.5 raw + 64, i.e. (b - 64) / r <= 1.5. */
		if (r && (b - 64) / r > worst)
			worst = (b - 64) / r;
	}
	printf("mem_bytes_per_stack %.1f\n", bytes / m->nr_entries);
	printf("mem_raw_bytes_per_stack %.1f\n", raw / m->nr_entries);
	printf("mem_array_over_raw_max %.3f\n", worst);
	printf("mem_bucket_bytes_per_stack %.1f\n",
	       (double)(m->mask + 1) * sizeof(void *) / m->nr_entries);
}

/* ------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [OPTIONS] [TRACE]\n"
		"Time the profmap core (module/profmap.c) per sample.\n\n"
		"Without TRACE: a generated trace (hash, miss, hit, mixed phases,\n"
		"per-frame costs from depth-8 and depth-64 stacks, memory).\n"
		"With TRACE (\"-\" = stdin): replay it into an empty map. One sample\n"
		"per line: a decimal tag, then the PCs in hex, leaf first, single\n"
		"spaces; leading PCs >= 0xffff800000000000 are kernel frames.\n\n"
		"  -u, --stacks N        unique stacks to generate (%u)\n"
		"  -n, --samples N       samples to generate (%u)\n"
		"  -z, --zipf S          popularity exponent, 0 = uniform (%.1f)\n"
		"      --min-depth N     shallowest stack (%u)\n"
		"      --max-depth N     deepest stack, <= 255 (%u)\n"
		"  -s, --seed N          generator seed (%llu)\n"
		"  -r, --reps N          runs per phase, fastest reported (%u)\n"
		"  -b, --buckets N       hash buckets, a power of two (%u)\n"
		"  -w, --write-trace F   also write the generated trace to F\n"
		"      --no-insns        skip instruction counting\n"
		"  -h, --help            this help\n"
		"  -V, --version         print the version\n",
		prog, opt.stacks, opt.samples, opt.zipf, opt.min_depth,
		opt.max_depth, (unsigned long long)opt.seed, opt.reps,
		opt.buckets);
}

static unsigned long parse_num(const char *s, const char *what,
			       unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "%s: %s must be %lu..%lu, got '%s'\n", prog, what,
			min, max, s);
		exit(2);
	}
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "stacks", required_argument, NULL, 'u' },
		{ "samples", required_argument, NULL, 'n' },
		{ "zipf", required_argument, NULL, 'z' },
		{ "min-depth", required_argument, NULL, 'm' },
		{ "max-depth", required_argument, NULL, 'M' },
		{ "seed", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "buckets", required_argument, NULL, 'b' },
		{ "write-trace", required_argument, NULL, 'w' },
		{ "no-insns", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "u:n:z:s:r:b:w:hV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'u': opt.stacks = parse_num(optarg, "--stacks", 1, 1 << 24); break;
		case 'n': opt.samples = parse_num(optarg, "--samples", 1, 1 << 30); break;
		case 'z': opt.zipf = atof(optarg); break;
		case 'm': opt.min_depth = parse_num(optarg, "--min-depth", 8, 255); break;
		case 'M': opt.max_depth = parse_num(optarg, "--max-depth", 8, 255); break;
		case 's': opt.seed = parse_num(optarg, "--seed", 0, ~0UL); break;
		case 'r': opt.reps = parse_num(optarg, "--reps", 1, 1000); break;
		case 'b': opt.buckets = parse_num(optarg, "--buckets", 1, 1 << 24); break;
		case 'w': opt.write_trace = optarg; break;
		case 'N': opt.no_insns = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("profmap_bench %s\n", BENCH_VERSION); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (opt.buckets & (opt.buckets - 1) || opt.min_depth > opt.max_depth ||
	    opt.zipf < 0 || argc - optind > 1) {
		fprintf(stderr, "%s: --buckets must be a power of two, --min-depth <= --max-depth, --zipf >= 0, at most one TRACE\n",
			prog);
		exit(2);
	}
}

static void ctx_init(struct ctx *c)
{
	u64 key[2] = { rnd(), rnd() };

	if (profmap_pool_init(&c->pool, "bench", 1L << 30, key) ||
	    profmap_init(&c->map, &c->pool, opt.buckets, PROFMAP_HOT_CHAIN_LIMIT))
		die("cannot create the profmap");
}

static void ctx_destroy(struct ctx *c)
{
	profmap_destroy(&c->map);
	profmap_pool_destroy(&c->pool);
}

/* Generated trace: every phase. */
static void bench_generated(struct ctx *c)
{
	struct trace u = { 0 }, t = { 0 }, u8 = { 0 }, t8 = { 0 }, u64s = { 0 },
		     t64 = { 0 };
	long allocs;

	gen_uniques(&u, opt.stacks, opt.min_depth, opt.max_depth);
	gen_samples(&t, &u, opt.samples, opt.zipf);
	gen_uniques(&u8, 1000, 8, 8);
	gen_samples(&t8, &u8, 200000, 0);
	gen_uniques(&u64s, 1000, 64, 64);
	gen_samples(&t64, &u64s, 200000, 0);
	if (opt.write_trace && !under_callgrind)
		write_trace(opt.write_trace, &t);

	printf("# profmap_bench %s: generated trace: %zu unique stacks, %zu samples, depth %u..%u (mean %.1f frames/sample), zipf %.2f, seed %llu, %u buckets, chain limit %u, best of %u\n",
	       BENCH_VERSION, u.n, t.n, opt.min_depth, opt.max_depth,
	       (double)t.frames / t.n, opt.zipf, (unsigned long long)opt.seed,
	       opt.buckets, PROFMAP_HOT_CHAIN_LIMIT, opt.reps);

	hash_untimed(c, &u);
	record("hash", phase(c, "hash", NULL, body_hash, &t), &t);
	record("miss", phase(c, "miss", prep_empty, body_add, &u), &u);
	print_memory(&c->map);
	c->fill = &u;
	prep_filled(c);
	allocs = pool_allocs(&c->pool);
	record("hit", phase(c, "hit", prep_filled, body_add, &t), &t);
	printf("hit_allocs %ld\n", pool_allocs(&c->pool) - allocs);
	printf("hit_chain_max %u\n", c->map.max_chain);
	record("mixed", phase(c, "mixed", prep_empty, body_add, &t), &t);
	printf("mixed_unique_entries %lu\n", c->map.nr_entries);

	hash_untimed(c, &u8);
	record("hash_d8", phase(c, "hash_d8", NULL, body_hash, &t8), &t8);
	c->fill = &u8;
	record("hit_d8", phase(c, "hit_d8", prep_filled, body_add, &t8), &t8);
	hash_untimed(c, &u64s);
	record("hash_d64", phase(c, "hash_d64", NULL, body_hash, &t64), &t64);
	c->fill = &u64s;
	record("hit_d64", phase(c, "hit_d64", prep_filled, body_add, &t64), &t64);

	trace_free(&u);
	free(t.s);
	trace_free(&u8);
	free(t8.s);
	trace_free(&u64s);
	free(t64.s);
}

/* A trace file: hash, then replay into an empty map. */
static void bench_replay(struct ctx *c, const char *path)
{
	struct trace t = { 0 };

	read_trace(path, &t);
	printf("# profmap_bench %s: replay of %s: %zu samples, mean %.1f frames/sample, %u buckets, chain limit %u, best of %u\n",
	       BENCH_VERSION, path, t.n, (double)t.frames / t.n, opt.buckets,
	       PROFMAP_HOT_CHAIN_LIMIT, opt.reps);
	record("hash", phase(c, "hash", NULL, body_hash, &t), &t);
	record("replay", phase(c, "replay", prep_empty, body_add, &t), &t);
	printf("replay_unique_entries %lu\n", c->map.nr_entries);
	printf("replay_lost %llu\n",
	       (unsigned long long)(c->map.lost_alloc + c->map.lost_cap));
	trace_free(&t);
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	const char *trace_path;

	parse_args(argc, argv);
	trace_path = optind < argc ? argv[optind] : NULL;
	under_callgrind = getenv(BENCH_CHILD_ENV) != NULL;
	rng_state = opt.seed;
	ctx_init(&c);
	if (!under_callgrind && !opt.no_insns)
		have_counter = bench_counter_open();

	if (trace_path)
		bench_replay(&c, trace_path);
	else
		bench_generated(&c);

	if (!under_callgrind && !opt.no_insns && !have_counter) {
		fflush(stdout);
		count_with_callgrind(argv);
	}
	printf("insns_source %s\n", opt.no_insns ? "none" :
	       have_counter ? "perf_event" : "callgrind");
	print_results();
	if (!trace_path) {
		print_slope("hash");
		print_slope("hit");
	}
	ctx_destroy(&c);
	return c.sink == ~0ULL;	/* keeps the adds from being dropped */
}
