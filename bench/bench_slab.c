// SPDX-License-Identifier: GPL-2.0
/*
 * bench_slab.c - a fast slab for the profmap benchmark
 *
 * Implements the slab half of selftests/unit/shim/shim.h (the same API
 * module/profmap.c calls) the way a kernel slab's fast path behaves: an
 * object comes off a per-cache free list, or is carved from a 64 KiB
 * chunk, and goes back onto the free list. No poisoning, no failure
 * injection, no locking; the unit tests' shim.c does the checking, this
 * one only has to be cheap, so the miss path is not timed as malloc().
 */
#include <stdint.h>
#include <stdlib.h>

#include "shim.h"

#define BENCH_SLAB_CHUNK	(64 * 1024)

/*
 * struct bench_cache - a cache: the shim's struct plus the free list
 * @c:		what profmap.c sees (its @live and @allocs are kept up to date)
 * @free:	freed objects, linked through their first word
 * @cur:	unused tail of the newest chunk
 * @left:	bytes at @cur
 * @chunks:	every chunk, linked through its first word, freed at destroy
 */
struct bench_cache {
	struct kmem_cache c;
	void *free;
	char *cur;
	size_t left;
	void *chunks;
};

static struct bench_cache *to_bench(struct kmem_cache *s)
{
	return (struct bench_cache *)((char *)s - offsetof(struct bench_cache, c));
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *))
{
	struct bench_cache *b;

	(void)align;
	(void)flags;
	(void)ctor;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	snprintf(b->c.name, sizeof(b->c.name), "%s", name);
	/* Objects hold a free-list link and stay 8-byte aligned. */
	b->c.size = size < sizeof(void *) ? sizeof(void *) : (size + 7) & ~7u;
	return &b->c;
}

void kmem_cache_destroy(struct kmem_cache *s)
{
	struct bench_cache *b;
	void *chunk, *next;

	if (!s)
		return;
	b = to_bench(s);
	for (chunk = b->chunks; chunk; chunk = next) {
		next = *(void **)chunk;
		free(chunk);
	}
	free(b);
}

/* Slow path: a new chunk; its first 64 bytes hold the chunk link. */
static void *bench_slab_refill(struct bench_cache *b)
{
	char *chunk = aligned_alloc(4096, BENCH_SLAB_CHUNK);

	if (!chunk)
		return NULL;
	*(void **)chunk = b->chunks;
	b->chunks = chunk;
	b->cur = chunk + 64;
	b->left = BENCH_SLAB_CHUNK - 64;
	return b->cur;
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	struct bench_cache *b = to_bench(s);
	void *p;

	(void)gfp;
	if (b->free) {
		p = b->free;
		b->free = *(void **)p;
	} else {
		if (b->left < s->size && !bench_slab_refill(b))
			return NULL;
		p = b->cur;
		b->cur += s->size;
		b->left -= s->size;
	}
	s->live++;
	s->allocs++;
	return p;
}

void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	struct bench_cache *b = to_bench(s);

	if (!obj)
		return;
	*(void **)obj = b->free;
	b->free = obj;
	s->live--;
}

void *kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	(void)gfp;
	return calloc(n, size);
}

void kvfree(const void *p)
{
	free((void *)p);
}
