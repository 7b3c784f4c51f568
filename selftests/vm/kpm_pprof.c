// SPDX-License-Identifier: GPL-2.0
/*
 * kpm_pprof - print the samples of a gzipped pprof profile, for the VM
 * tests (which have no go tool pprof)
 *
 * Independent of kprof2pprof on purpose: it decodes profile.proto with
 * its own few lines of protobuf, so a test of kprof2pprof's output does
 * not rely on kprof2pprof's encoder.
 *
 *   kpm_pprof FILE
 *
 * Prints, for the profile:
 *
 *   T <time_nanos> <duration_nanos>
 *
 * then one line per sample:
 *
 *   S <value[0]> <key>=<value>... | <frame>;<frame>;...
 *
 * labels in their order, numeric ones as decimals, string ones with every
 * byte outside 0x21..0x7e written \xHH; frames leaf first, each a
 * function name or, without one, 0x<address>. Exit status 0, or 1 with a
 * message when FILE is not a profile it can read.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* A length-delimited piece of the input. */
struct span {
	const uint8_t *p, *end;
};

struct loc {
	uint64_t id, addr, func;	/* func: the first line's, 0 if none */
};

struct func {
	uint64_t id, name;
};

struct profile {
	struct span *strs;
	size_t nstrs, capstrs;
	struct loc *locs;
	size_t nlocs, caplocs;
	struct func *funcs;
	size_t nfuncs, capfuncs;
	struct span *samples;
	size_t nsamples, capsamples;
	int64_t time_ns, duration_ns;
};

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "kpm_pprof: %s\n", what);
	exit(1);
}

/* Room for element @n of array @p, which has room for @cap. */
static void *grow(void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? 2 * *cap : 64;
	p = realloc(p, *cap * size);
	if (!p)
		die("out of memory");
	return p;
}

static uint64_t varint(struct span *s)
{
	uint64_t v = 0;
	int shift = 0;

	while (s->p < s->end && shift < 64) {
		uint8_t b = *s->p++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		shift += 7;
	}
	die("truncated varint");
}

/*
 * The next field of @s: its number in @field, a varint's value in @v, a
 * length-delimited one's bytes in @sub (then @v is ~0). Return: false at
 * the end.
 */
static bool field(struct span *s, unsigned int *field, uint64_t *v,
		  struct span *sub)
{
	uint64_t key, len;

	if (s->p >= s->end)
		return false;
	key = varint(s);
	*field = (unsigned int)(key >> 3);
	*v = ~0ULL;
	switch (key & 7) {
	case 0:
		*v = varint(s);
		break;
	case 1:
		if (s->end - s->p < 8)
			die("truncated fixed64");
		s->p += 8;
		break;
	case 2:
		len = varint(s);
		if (len > (uint64_t)(s->end - s->p))
			die("truncated field");
		sub->p = s->p;
		sub->end = s->p + len;
		s->p += len;
		break;
	case 5:
		if (s->end - s->p < 4)
			die("truncated fixed32");
		s->p += 4;
		break;
	default:
		die("unknown wire type");
	}
	return true;
}

/* Add a repeated varint field's values to @out: packed (@sub) or one. */
static size_t repeated(uint64_t *out, size_t max, size_t n, uint64_t v,
		       struct span *sub)
{
	if (v != ~0ULL) {
		if (n < max)
			out[n++] = v;
		return n;
	}
	while (sub->p < sub->end && n < max)
		out[n++] = varint(sub);
	return n;
}

static void parse_location(struct profile *pr, struct span m)
{
	struct loc l = { 0 };
	struct span sub, line;
	unsigned int f, lf;
	uint64_t v;

	while (field(&m, &f, &v, &sub)) {
		if (f == 1)
			l.id = v;
		else if (f == 3)
			l.addr = v;
		else if (f == 4 && !l.func) {
			line = sub;
			while (field(&line, &lf, &v, &sub))
				if (lf == 1)
					l.func = v;
		}
	}
	pr->locs = grow(pr->locs, pr->nlocs, &pr->caplocs, sizeof(l));
	pr->locs[pr->nlocs++] = l;
}

static void parse_function(struct profile *pr, struct span m)
{
	struct func fn = { 0 };
	struct span sub;
	unsigned int f;
	uint64_t v;

	while (field(&m, &f, &v, &sub)) {
		if (f == 1)
			fn.id = v;
		else if (f == 2)
			fn.name = v;
	}
	pr->funcs = grow(pr->funcs, pr->nfuncs, &pr->capfuncs, sizeof(fn));
	pr->funcs[pr->nfuncs++] = fn;
}

static void parse_profile(struct profile *pr, struct span s)
{
	struct span sub;
	unsigned int f;
	uint64_t v;

	while (field(&s, &f, &v, &sub)) {
		switch (f) {
		case 2:
			pr->samples = grow(pr->samples, pr->nsamples,
					   &pr->capsamples, sizeof(sub));
			pr->samples[pr->nsamples++] = sub;
			break;
		case 4:
			parse_location(pr, sub);
			break;
		case 5:
			parse_function(pr, sub);
			break;
		case 6:
			pr->strs = grow(pr->strs, pr->nstrs, &pr->capstrs,
					sizeof(sub));
			pr->strs[pr->nstrs++] = sub;
			break;
		case 9:
			pr->time_ns = (int64_t)v;
			break;
		case 10:
			pr->duration_ns = (int64_t)v;
			break;
		}
	}
}

static void print_str(const struct profile *pr, uint64_t i)
{
	const uint8_t *p;

	if (i >= pr->nstrs)
		die("string index out of range");
	for (p = pr->strs[i].p; p < pr->strs[i].end; p++) {
		if (*p >= 0x21 && *p <= 0x7e && *p != '\\')
			putchar(*p);
		else
			printf("\\x%02x", *p);
	}
}

static void print_frame(const struct profile *pr, uint64_t id)
{
	size_t i, j;

	for (i = 0; i < pr->nlocs && pr->locs[i].id != id; i++)
		;
	if (i == pr->nlocs)
		die("sample names a location that is not there");
	for (j = 0; pr->locs[i].func && j < pr->nfuncs; j++)
		if (pr->funcs[j].id == pr->locs[i].func) {
			print_str(pr, pr->funcs[j].name);
			return;
		}
	printf("0x%" PRIx64, pr->locs[i].addr);
}

static void print_sample(const struct profile *pr, struct span m)
{
	uint64_t locs[1024], vals[8], v, key, str, num;
	size_t nlocs = 0, nvals = 0, i;
	struct span sub, lab, s2;
	unsigned int f, lf;
	bool first = true;

	for (s2 = m; field(&s2, &f, &v, &sub);) {
		if (f == 1)
			nlocs = repeated(locs, 1024, nlocs, v, &sub);
		else if (f == 2)
			nvals = repeated(vals, 8, nvals, v, &sub);
	}
	printf("S %" PRIu64, nvals ? vals[0] : 0);
	for (s2 = m; field(&s2, &f, &v, &lab);) {
		if (f != 3)
			continue;
		key = str = num = 0;
		while (field(&lab, &lf, &v, &sub)) {
			if (lf == 1)
				key = v;
			else if (lf == 2)
				str = v;
			else if (lf == 3)
				num = v;
		}
		putchar(' ');
		print_str(pr, key);
		putchar('=');
		if (str)
			print_str(pr, str);
		else
			printf("%" PRId64, (int64_t)num);
	}
	printf(" |");
	for (i = 0; i < nlocs; i++) {
		putchar(first ? ' ' : ';');
		first = false;
		print_frame(pr, locs[i]);
	}
	putchar('\n');
}

int main(int argc, char **argv)
{
	struct profile pr = { 0 };
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, i;
	gzFile gz;
	int n;

	if (argc != 2)
		die("usage: kpm_pprof FILE");
	gz = gzopen(argv[1], "rb");
	if (!gz)
		die("cannot open the file");
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 1 << 20;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory");
		}
		n = gzread(gz, buf + len, (unsigned int)(cap - len));
		if (n < 0)
			die("not gzip, or corrupt");
		len += (size_t)n;
	} while (n > 0);
	gzclose(gz);
	parse_profile(&pr, (struct span){ buf, buf + len });
	printf("T %" PRId64 " %" PRId64 "\n", pr.time_ns, pr.duration_ns);
	for (i = 0; i < pr.nsamples; i++)
		print_sample(&pr, pr.samples[i]);
	return 0;
}
