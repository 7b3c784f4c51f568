// SPDX-License-Identifier: GPL-2.0
/* shim.c - userspace slab with accounting and failure injection */
#include "shim.h"

struct shim_fail shim_fail;
long shim_caches_live;
long shim_leak_reports;

void shim_fail_reset(void)
{
	memset(&shim_fail, 0, sizeof(shim_fail));
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *))
{
	struct kmem_cache *s;

	(void)align;
	(void)flags;
	(void)ctor;
	if (shim_fail.create && --shim_fail.create == 0) {
		shim_fail.failed++;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->size = size;
	shim_caches_live++;
	return s;
}

void kmem_cache_destroy(struct kmem_cache *s)
{
	if (!s)
		return;
	if (s->live) {
		fprintf(stderr, "kmem_cache_destroy %s: Slab cache still has objects (%ld)\n",
			s->name, s->live);
		shim_leak_reports++;
	}
	shim_caches_live--;
	free(s);
}

static bool shim_should_fail(const struct kmem_cache *s)
{
	if (shim_fail.match && !strstr(s->name, shim_fail.match))
		return false;
	if (shim_fail.every)
		return true;
	if (shim_fail.rate > 0 && (double)rand() / RAND_MAX < shim_fail.rate)
		return true;
	if (shim_fail.nth && --shim_fail.nth == 0)
		return true;
	return false;
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	void *p;

	(void)gfp;
	if (shim_should_fail(s)) {
		shim_fail.failed++;
		return NULL;
	}
	p = malloc(s->size);
	if (!p)
		return NULL;
	memset(p, 0xa5, s->size);	/* slab objects are not zeroed */
	s->live++;
	s->allocs++;
	return p;
}

void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	if (!obj)
		return;
	s->live--;
	free(obj);
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
