// SPDX-License-Identifier: GPL-2.0
/*
 * util.c - allocation, hashing, the hash index, the string pool, strict
 * number parsing and UTF-8 checks for kprof2pprof.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void __attribute__((noreturn)) kp_oom(void)
{
	fputs("kprof2pprof: out of memory\n", stderr);
	exit(1);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		kp_oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		kp_oom();
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (!p)
		kp_oom();
	return p;
}

char *xstrdup(const char *s)
{
	size_t len = strlen(s) + 1;

	return memcpy(xmalloc(len), s, len);
}

void kp_grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	void **a = arr;
	size_t ncap;

	if (n < *cap)
		return;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > SIZE_MAX / elem)
		kp_oom();
	*a = xrealloc(*a, ncap * elem);
	*cap = ncap;
}

void kp_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("kprof2pprof: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- hashing --- */

uint64_t kp_hash64(uint64_t x)
{
	/* splitmix64's finalizer */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t kp_hash_bytes(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;
	uint64_t w;

	while (len >= 8) {
		memcpy(&w, b, 8);
		h = kp_hash64(h ^ w);
		b += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, b, len);
	return kp_hash64(h ^ w ^ ((uint64_t)len << 56));
}

/* --- hash index --- */

long kp_index_find(const struct kp_index *ix, uint64_t hash,
		   bool (*eq)(const void *ctx, uint32_t entry), const void *ctx)
{
	uint32_t h = (uint32_t)hash;
	size_t i;

	if (!ix->slot)
		return -1;
	for (i = h & ix->mask;; i = (i + 1) & ix->mask) {
		const struct kp_index_slot *s = &ix->slot[i];

		if (!s->entry1)
			return -1;
		if (s->hash == h && eq(ctx, s->entry1 - 1))
			return s->entry1 - 1;
	}
}

static void kp_index_place(struct kp_index_slot *slot, size_t mask,
			   uint32_t hash, uint32_t entry1)
{
	size_t i;

	for (i = hash & mask; slot[i].entry1; i = (i + 1) & mask)
		;
	slot[i].entry1 = entry1;
	slot[i].hash = hash;
}

static void kp_index_resize(struct kp_index *ix, size_t nslots)
{
	struct kp_index_slot *old = ix->slot;
	size_t oldn = old ? ix->mask + 1 : 0;
	size_t i;

	ix->slot = xcalloc(nslots, sizeof(*ix->slot));
	ix->mask = nslots - 1;
	for (i = 0; i < oldn; i++)
		if (old[i].entry1)
			kp_index_place(ix->slot, ix->mask, old[i].hash,
				       old[i].entry1);
	free(old);
}

void kp_index_insert(struct kp_index *ix, uint64_t hash, uint32_t entry)
{
	if (!ix->slot)
		kp_index_resize(ix, 64);
	else if ((ix->used + 1) * 4 > (ix->mask + 1) * 3)
		kp_index_resize(ix, (ix->mask + 1) * 2);
	/*
	 * The stored hash is the low 32 bits, so slots are placed by those
	 * alone: the index never needs the full hash again.
	 */
	kp_index_place(ix->slot, ix->mask, (uint32_t)hash, entry + 1);
	ix->used++;
}

void kp_index_free(struct kp_index *ix)
{
	free(ix->slot);
	memset(ix, 0, sizeof(*ix));
}

/* --- string pool --- */

#define KP_STRPOOL_CHUNK 65536

struct kp_strpool_key {
	const struct kp_strpool *sp;
	const char *s;
	size_t len;
};

static bool kp_strpool_eq(const void *ctx, uint32_t entry)
{
	const struct kp_strpool_key *k = ctx;
	const struct kp_str *e = &k->sp->str[entry];

	return e->len == k->len && !memcmp(e->s, k->s, k->len);
}

static char *kp_strpool_alloc(struct kp_strpool *sp, size_t size)
{
	char *p;

	if (size > sp->curleft) {
		size_t csize = size > KP_STRPOOL_CHUNK / 4 ? size
							   : KP_STRPOOL_CHUNK;

		kp_grow(&sp->chunk, &sp->chunkcap, sp->nchunk,
			sizeof(*sp->chunk));
		p = xmalloc(csize);
		sp->chunk[sp->nchunk++] = p;
		if (csize == size)	/* a big string gets its own chunk */
			return p;
		sp->cur = p;
		sp->curleft = csize;
	}
	p = sp->cur;
	sp->cur += size;
	sp->curleft -= size;
	return p;
}

uint32_t kp_strpool_intern(struct kp_strpool *sp, const char *s, size_t len)
{
	/*
	 * Only the low 32 bits of a hash are kept by the index; hash the
	 * full 64 bits so that probing starts from well-mixed bits.
	 */
	struct kp_strpool_key k = { sp, s, len };
	uint64_t h = kp_hash_bytes(s, len);
	long e = kp_index_find(&sp->ix, (uint32_t)h, kp_strpool_eq, &k);
	char *copy;

	if (e >= 0)
		return (uint32_t)e;
	copy = kp_strpool_alloc(sp, len + 1);
	memcpy(copy, s, len);
	copy[len] = '\0';
	kp_grow(&sp->str, &sp->cap, sp->n, sizeof(*sp->str));
	sp->str[sp->n].s = copy;
	sp->str[sp->n].len = (uint32_t)len;
	kp_index_insert(&sp->ix, (uint32_t)h, (uint32_t)sp->n);
	return (uint32_t)sp->n++;
}

void kp_strpool_free(struct kp_strpool *sp)
{
	size_t i;

	for (i = 0; i < sp->nchunk; i++)
		free(sp->chunk[i]);
	free(sp->chunk);
	free(sp->str);
	kp_index_free(&sp->ix);
	memset(sp, 0, sizeof(*sp));
}

size_t kp_count_le(const void *base, size_t n, size_t size, size_t off,
		   uint64_t key)
{
	const char *b = base;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k;

		memcpy(&k, b + mid * size + off, sizeof(k));
		if (k <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* --- numbers --- */

bool kp_parse_dec(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < len; i++) {
		unsigned int d = (unsigned char)s[i] - '0';

		if (d > 9)
			return false;
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool kp_parse_hex(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 16 || (len > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

/* --- UTF-8 --- */

/* Length of the well-formed UTF-8 sequence at @s, or 0 when ill-formed. */
static size_t kp_utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (len < n)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (c == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;		/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;		/* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

bool kp_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = kp_utf8_seq(p + i, len - i);

		if (!n)
			return false;
		i += n;
	}
	return true;
}

char *kp_utf8_sanitize(const char *s, size_t len, size_t *olen)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc(len * 3 + 1);
	size_t i = 0, o = 0;

	while (i < len) {
		size_t n = kp_utf8_seq(p + i, len - i);

		if (n) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	*olen = o;
	return out;
}
