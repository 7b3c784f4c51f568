// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_check - assert on the records of /proc/kprofmap/samples in the VM
 *
 * Independent of kprof2pprof on purpose: the module's tests must not rely
 * on the tool they feed. User frames are named from an `nm -S` listing of
 * the (static) workload, kernel frames from /proc/kallsyms.
 *
 *   kpm_check -f FILE [-p TGID] [-c COMM] [-s SYMS -u leaf,caller,...]
 *             [-k KSYM] [-m MIN_FRACTION] [-n MIN_SAMPLES] [-N MAX_SAMPLES]
 *             [-l LEAF] [-g PATH] [-P FUNC,...] [-L] [-C] [-K]
 *
 * Considers the S records of TGID (all records without -p). A record
 * matches when its user frames, named, start with the -u chain (leaf
 * first; a link may list aliases, "read|__libc_read") and, for each -k
 * (up to 8), one of its kernel frames is in KSYM. Fails unless
 * the matching samples are at least MIN_FRACTION (default 0.9) of the
 * considered samples and their number is within -n/-N. A link "..."
 * matches any run of frames (unnamed library frames, for instance). -L requires a
 * lost record with a non-zero count; -C requires every (tgid, tid, comm,
 * stack) to appear once. -K considers only samples taken in user mode
 * (no kernel frames). -l considers only samples whose user leaf frame is
 * named LEAF (in SYMS; aliases as in -u). -g considers only records with
 * user frames, and a record matches only if every user frame (a return
 * address less one) lies in a mapping of the record's generation (its
 * m= names a G line of the file) and its leaf's mapping path contains
 * PATH (or, for a leaf in the vDSO, its caller's). -P prints, for each
 * FUNC (up to 8), its cumulative share: the considered samples whose
 * user stack holds it (named from SYMS), as "# cum FUNC SHARE".
 * Always: every M line belongs to a G line before it, every m= other
 * than 0 names a G line before it (a reader's chunks interleave their
 * G/M and S lines), every c= other than 0 names a C line before it, and
 * the L line, if any, is the last. Prints what it found as TAP comments, with up to 5 considered
 * records that do not match.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../module/kprofmap_format.h"

struct sym {
	unsigned long long start, end;
	char name[64];
};

struct symtab {
	struct sym *v;
	size_t n, cap;
};

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "kpm_check: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static void sym_add(struct symtab *t, unsigned long long start,
		    unsigned long long end, const char *name)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		t->v = realloc(t->v, t->cap * sizeof(*t->v));
		if (!t->v)
			die("%s", "out of memory");
	}
	t->v[t->n].start = start;
	t->v[t->n].end = end;
	snprintf(t->v[t->n].name, sizeof(t->v[t->n].name), "%s", name);
	t->n++;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* nm -S: "addr size type name" (functions only). */
static void load_nm(struct symtab *t, const char *path)
{
	char line[512], type, name[256];
	unsigned long long addr, size;
	FILE *f = fopen(path, "r");

	if (!f)
		die("cannot open %s", path);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %llx %c %255s", &addr, &size, &type,
			   name) == 4 && (type == 'T' || type == 't'))
			sym_add(t, addr, addr + size, name);
	fclose(f);
	qsort(t->v, t->n, sizeof(*t->v), sym_cmp);
}

/* /proc/kallsyms: "addr type name [module]"; a symbol ends where the
 * next begins.
 */
static void load_kallsyms(struct symtab *t)
{
	char line[512], type, name[256];
	unsigned long long addr;
	FILE *f = fopen("/proc/kallsyms", "r");
	size_t i;

	if (!f)
		die("%s", "cannot open /proc/kallsyms");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 &&
		    (type == 'T' || type == 't'))
			sym_add(t, addr, 0, name);
	fclose(f);
	qsort(t->v, t->n, sizeof(*t->v), sym_cmp);
	for (i = 0; i + 1 < t->n; i++)
		t->v[i].end = t->v[i + 1].start;
	if (t->n)
		t->v[t->n - 1].end = t->v[t->n - 1].start + 4096;
}

static const char *sym_name(const struct symtab *t, unsigned long long pc)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->v[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && pc < t->v[lo - 1].end)
		return t->v[lo - 1].name;
	return "?";
}

/* Parse "x=hex,hex,..." into @pcs; returns the count. */
static size_t parse_pcs(char *s, unsigned long long *pcs, size_t max)
{
	size_t n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok && n < max;
	     tok = strtok_r(NULL, ",", &save))
		pcs[n++] = strtoull(tok, NULL, 16);
	return n;
}

/* Mapping records: the M lines of the file, by generation. */
struct mapping {
	unsigned long long gen, start, end;
	char *path;
};

struct mappings {
	struct mapping *v;
	size_t n, cap;
	unsigned long long *gens;	/* G lines seen */
	size_t ngens;
};

static bool cg_known(const unsigned long long *ids, size_t n,
		     unsigned long long id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static bool gen_known(const struct mappings *mt, unsigned long long gen)
{
	size_t i;

	for (i = 0; i < mt->ngens; i++)
		if (mt->gens[i] == gen)
			return true;
	return false;
}

/* "G gen tgid boot_ns exec" or "M gen start end pgoff buildid path". */
static void parse_mapping_line(struct mappings *mt, char *line)
{
	char path[4096];
	struct mapping *m;
	unsigned long long gen;

	if (line[0] == KPM_REC_GEN) {
		if (sscanf(line, "G %llu %*u %*u %*u", &gen) != 1 || !gen ||
		    gen_known(mt, gen))
			die("bad G line: %s", line);
		mt->gens = realloc(mt->gens, (mt->ngens + 1) * sizeof(*mt->gens));
		if (!mt->gens)
			die("%s", "out of memory");
		mt->gens[mt->ngens++] = gen;
		return;
	}
	if (mt->n == mt->cap) {
		mt->cap = mt->cap ? 2 * mt->cap : 256;
		mt->v = realloc(mt->v, mt->cap * sizeof(*mt->v));
		if (!mt->v)
			die("%s", "out of memory");
	}
	m = &mt->v[mt->n];
	if (sscanf(line, "M %llu %llx %llx %*x %*s %4095s", &m->gen, &m->start,
		   &m->end, path) != 4 || m->start >= m->end ||
	    !gen_known(mt, m->gen))
		die("bad M line: %s", line);
	m->path = strdup(path);
	mt->n++;
}

/* The path of @gen's mapping holding @pc, or NULL. */
static const char *mapping_at(const struct mappings *mt, unsigned long long gen,
			      unsigned long long pc)
{
	size_t i;

	for (i = 0; i < mt->n; i++)
		if (mt->v[i].gen == gen && mt->v[i].start <= pc &&
		    pc < mt->v[i].end)
			return mt->v[i].path;
	return NULL;
}

/* Does every user frame lie in a mapping of @gen, and the first frame
 * outside the vDSO (the leaf, or the vDSO's caller) in a path containing
 * @sub?
 */
static bool frames_mapped(const struct mappings *mt, unsigned long long gen,
			  const unsigned long long *pcs, size_t n,
			  const char *sub)
{
	bool named = false;
	const char *path;
	size_t i;

	if (!gen || !n)
		return false;
	for (i = 0; i < n; i++) {
		path = mapping_at(mt, gen, i ? pcs[i] - 1 : pcs[i]);
		if (!path)
			return false;
		if (!named && strcmp(path, "[vdso]")) {
			if (!strstr(path, sub))
				return false;
			named = true;
		}
	}
	return named;
}

struct opts {
	const char *file, *syms, *chain, *comm, *leaf, *mapped;
	const char *ksym[8];
	int nksym;
	long tgid;
	double min_frac;
	long min_n, max_n;
	bool want_lost, want_unique, user_mode_only;
};

/* Is @name one of the '|'-separated @alts? (aliases: read|__libc_read) */
static bool name_in(const char *name, const char *alts)
{
	size_t len = strlen(name);

	for (;;) {
		const char *bar = strchr(alts, '|');
		size_t n = bar ? (size_t)(bar - alts) : strlen(alts);

		if (n == len && !strncmp(name, alts, n))
			return true;
		if (!bar)
			return false;
		alts = bar + 1;
	}
}

/* Do frames @pcs[i..n) start with links @tok[t..nt)? A link "..." stands
 * for any run of frames (none included): "cmp,...,loop,main".
 */
static bool links_match(const struct symtab *us, char **tok, size_t t,
			size_t nt, const unsigned long long *pcs, size_t i,
			size_t n)
{
	for (; t < nt; t++, i++) {
		if (!strcmp(tok[t], "...")) {
			for (; i <= n; i++)
				if (links_match(us, tok, t + 1, nt, pcs, i, n))
					return true;
			return false;
		}
		if (i >= n || !name_in(sym_name(us, pcs[i]), tok[t]))
			return false;
	}
	return true;
}

static bool chain_matches(const struct symtab *us, const char *chain,
			  const unsigned long long *pcs, size_t n)
{
	static char buf[4096];
	char *tok[KPM_MAX_DEPTH_LIMIT], *t, *save = NULL;
	size_t nt = 0;

	if (snprintf(buf, sizeof(buf), "%s", chain) >= (int)sizeof(buf))
		die("-u chain too long: %s", chain);
	for (t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (nt == KPM_MAX_DEPTH_LIMIT)
			die("-u chain of more links than a stack has frames: %s",
			    chain);
		tok[nt++] = t;
	}
	return links_match(us, tok, 0, nt, pcs, 0, n);
}

static bool has_ksym(const struct symtab *ks, const char *want,
		     const unsigned long long *pcs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(sym_name(ks, pcs[i]), want))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct opts o = { .tgid = -1, .min_frac = 0.9, .max_n = -1 };
	static unsigned long long kp[2 * KPM_MAX_DEPTH_LIMIT], up[2 * KPM_MAX_DEPTH_LIMIT];
	struct symtab us = {0}, ks = {0};
	struct mappings mt = {0};
	unsigned long long gen;
	bool lost_seen = false;
	unsigned long long *cg_ids = NULL;	/* C records seen */
	size_t ncg = 0;
	long long considered = 0, matching = 0, lost = -1, records = 0;
	char *line = NULL, **seen = NULL;
	size_t cap = 0, lineno = 0, nseen = 0, seen_cap = 0;
	int c, dups = 0, shown = 0;
	static char whole[512];
	const char *cum_name[8];
	long long cum[8] = {0};
	int ncum = 0;
	char *ptok;
	FILE *f;

	while ((c = getopt(argc, argv, "f:p:c:s:u:k:m:n:N:l:g:P:LCK")) != -1) {
		switch (c) {
		case 'f': o.file = optarg; break;
		case 'p': o.tgid = atol(optarg); break;
		case 'c': o.comm = optarg; break;
		case 's': o.syms = optarg; break;
		case 'u': o.chain = optarg; break;
		case 'l': o.leaf = optarg; break;
		case 'g': o.mapped = optarg; break;
		case 'k':
			if (o.nksym == 8)
				die("%s", "at most 8 -k");
			o.ksym[o.nksym++] = optarg;
			break;
		case 'm': o.min_frac = atof(optarg); break;
		case 'n': o.min_n = atol(optarg); break;
		case 'N': o.max_n = atol(optarg); break;
		case 'L': o.want_lost = true; break;
		case 'C': o.want_unique = true; break;
		case 'K': o.user_mode_only = true; break;
		case 'P':
			for (ptok = strtok(optarg, ","); ptok && ncum < 8;
			     ptok = strtok(NULL, ","))
				cum_name[ncum++] = ptok;
			break;
		default: return 2;
		}
	}
	if (!o.file)
		die("%s", "-f FILE is required");
	if ((o.chain || o.leaf || ncum) && !o.syms)
		die("%s", "-u, -l and -P need -s SYMS");
	if (o.syms)
		load_nm(&us, o.syms);
	if (o.nksym)
		load_kallsyms(&ks);

	f = fopen(o.file, "r");
	if (!f)
		die("cannot open %s", o.file);
	while (getline(&line, &cap, f) > 0) {
		char *fld[10], *save = NULL, *tok;
		unsigned long long cgid;
		long long count, tgid;
		const char *comm;
		size_t nk, nu, nf = 0;
		bool ok = true;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (lineno == 1) {
			if (strncmp(line, KPM_MAGIC " ", strlen(KPM_MAGIC) + 1) ||
			    atoi(line + strlen(KPM_MAGIC) + 1) != KPM_FORMAT_VERSION)
				die("bad header: %s", line);
			continue;
		}
		if (line[0] == KPM_REC_GEN || line[0] == KPM_REC_MAP) {
			/* Each reader chunk's new generations precede its
			 * records; only the L record ends the file.
			 */
			if (lost_seen)
				die("mapping record after the L record: %s", line);
			parse_mapping_line(&mt, line);
			continue;
		}
		if (line[0] == KPM_REC_CGROUP) {
			unsigned long long id;

			if (lost_seen)
				die("cgroup record after the L record: %s", line);
			if (sscanf(line, "C %llu /", &id) != 1 &&
			    sscanf(line, "C %llu -", &id) != 1)
				die("bad cgroup record: %s", line);
			cg_ids = realloc(cg_ids, (ncg + 1) * sizeof(*cg_ids));
			cg_ids[ncg++] = id;
			continue;
		}
		if (lost_seen)
			die("a record after the L record: %s", line);
		if (line[0] == KPM_REC_LOST) {
			lost_seen = true;
			if (sscanf(line, "L %lld", &lost) != 1)
				die("bad lost record: %s", line);
			continue;
		}
		if (o.want_unique) {
			/* The key: all but the count; sorted and compared below. */
			const char *key = strchr(line + 2, ' ');

			if (!key)
				die("bad sample record: %s", line);
			if (nseen == seen_cap) {
				seen_cap = seen_cap ? 2 * seen_cap : 4096;
				seen = realloc(seen, seen_cap * sizeof(*seen));
				if (!seen)
					die("%s", "out of memory");
			}
			seen[nseen] = strdup(key);
			if (!seen[nseen++])
				die("%s", "out of memory");
		}
		snprintf(whole, sizeof(whole), "%s", line);
		/* "S count tgid tid comm flags k=... u=... m=gen c=cgid" */
		for (tok = strtok_r(line, " ", &save); tok && nf < 10;
		     tok = strtok_r(NULL, " ", &save))
			fld[nf++] = tok;
		if (nf != 10 || tok || strcmp(fld[0], "S") ||
		    strncmp(fld[6], "k=", 2) || strncmp(fld[7], "u=", 2) ||
		    sscanf(fld[8], "m=%llu", &gen) != 1 ||
		    sscanf(fld[9], "c=%llu", &cgid) != 1)
			die("bad record: %s", line);
		if (cgid && !cg_known(cg_ids, ncg, cgid))
			die("record names a cgroup without a C line: %s",
			    fld[9]);
		if (gen && !gen_known(&mt, gen))
			die("record names a generation without a G line: %s",
			    fld[8]);
		count = atoll(fld[1]);
		tgid = atoll(fld[2]);
		comm = fld[4];
		records++;
		if (o.tgid >= 0 && tgid != o.tgid)
			continue;
		nk = parse_pcs(fld[6] + 2, kp, 2 * KPM_MAX_DEPTH_LIMIT);
		nu = parse_pcs(fld[7] + 2, up, 2 * KPM_MAX_DEPTH_LIMIT);
		if (o.user_mode_only && nk)
			continue;
		if (o.mapped && !nu)
			continue;
		if (o.leaf && (!nu || !name_in(sym_name(&us, up[0]), o.leaf)))
			continue;
		considered += count;
		for (c = 0; c < ncum; c++) {
			size_t i;

			for (i = 0; i < nu; i++)
				if (!strcmp(sym_name(&us, up[i]), cum_name[c]))
					break;
			if (i < nu)
				cum[c] += count;
		}
		if (o.comm && strcmp(comm, o.comm))
			ok = false;
		if (o.chain && !chain_matches(&us, o.chain, up, nu))
			ok = false;
		if (o.mapped && !frames_mapped(&mt, gen, up, nu, o.mapped))
			ok = false;
		for (c = 0; c < o.nksym; c++)
			if (!has_ksym(&ks, o.ksym[c], kp, nk))
				ok = false;
		if (ok) {
			matching += count;
		} else if (shown < 5) {
			/* A few of the others, to see why. */
			shown++;
			printf("# not matching: %s (leaf in %s)\n", whole,
			       nu ? mapping_at(&mt, gen, up[0]) ?: "no mapping" : "-");
		}
	}
	fclose(f);
	free(line);

	printf("# kpm_check %s: records %lld, considered samples %lld, matching %lld, lost %lld\n",
	       o.file, records, considered, matching, lost < 0 ? 0 : lost);
	for (c = 0; c < ncum; c++)
		printf("# cum %s %.4f\n", cum_name[c],
		       considered ? (double)cum[c] / considered : 0.0);
	if (lineno == 0)
		die("%s", "empty file");
	if (o.want_unique) {
		/* Sorted, a key seen twice is next to itself: n log n, where a
		 * pairwise scan took a minute of TCG for 40000 records. */
		size_t i;

		qsort(seen, nseen, sizeof(*seen), cmp_str);
		for (i = 1; i < nseen; i++)
			if (!strcmp(seen[i - 1], seen[i]))
				dups++;
	}
	if (o.want_unique && dups) {
		printf("# %d duplicate records\n", dups);
		return 1;
	}
	if (o.want_lost && lost <= 0) {
		printf("# no lost record\n");
		return 1;
	}
	if (matching < o.min_n || (o.max_n >= 0 && matching > o.max_n)) {
		printf("# matching samples %lld outside [%ld, %ld]\n", matching,
		       o.min_n, o.max_n);
		return 1;
	}
	if (considered && matching < o.min_frac * considered) {
		printf("# matching fraction %.3f below %.3f\n",
		       (double)matching / considered, o.min_frac);
		return 1;
	}
	return 0;
}
