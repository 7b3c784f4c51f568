/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shim.h - the small kernel environment profmap.c needs, in userspace
 *
 * After tools/testing/radix-tree: the kernel source compiles unchanged
 * against these headers. The slab shim counts objects per cache, checks
 * that a destroyed cache is empty (as the kernel's "objects remaining"
 * check) and injects allocation failures.
 */
#ifndef _KPM_SHIM_H
#define _KPM_SHIM_H

#include <assert.h>	/* static_assert(), which <linux/build_bug.h> gives a module */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned int gfp_t;

#define GFP_KERNEL	0x1u
#define GFP_ATOMIC	0x2u
#define __GFP_NOWARN	0x4u
#define SLAB_FAILSLAB	0x0u

#define ENOMEM		12
#define ENOSPC		28
#define ENOBUFS		105
#define EDQUOT		122
#define EINVAL		22

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define min(a, b)	((a) < (b) ? (a) : (b))
#define sizeof_field(T, m)	sizeof(((T *)0)->m)
#define READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

typedef struct { long counter; } atomic_long_t;

static inline long atomic_long_read(const atomic_long_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline long atomic_long_inc_return(atomic_long_t *v)
{
	return __atomic_add_fetch(&v->counter, 1, __ATOMIC_SEQ_CST);
}

static inline void atomic_long_inc(atomic_long_t *v)
{
	__atomic_add_fetch(&v->counter, 1, __ATOMIC_SEQ_CST);
}

static inline void atomic_long_dec(atomic_long_t *v)
{
	__atomic_sub_fetch(&v->counter, 1, __ATOMIC_SEQ_CST);
}

/* Slab shim. */
struct kmem_cache {
	char name[64];
	size_t size;
	long live;		/* objects allocated and not freed */
	long allocs;		/* successful allocations, ever */
};

/**
 * struct shim_fail - allocation failure injection
 * @match:	fail only caches whose name contains this ("" = any)
 * @nth:	fail the nth matching allocation from now (1 = next); 0 = off
 * @every:	fail every allocation of a matching cache when true
 * @rate:	fail a matching allocation with this probability (0..1)
 * @create:	fail kmem_cache_create() the nth time from now; 0 = off
 * @failed:	failures injected so far
 */
struct shim_fail {
	const char *match;
	long nth;
	bool every;
	double rate;
	long create;
	long failed;
};
extern struct shim_fail shim_fail;
extern long shim_caches_live;	/* caches created and not destroyed */
extern long shim_leak_reports;	/* destroyed caches that were not empty */

void shim_fail_reset(void);
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *));
void kmem_cache_destroy(struct kmem_cache *s);
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void kmem_cache_free(struct kmem_cache *s, void *obj);
void *kvcalloc(size_t n, size_t size, gfp_t gfp);
void kvfree(const void *p);

static inline void cond_resched(void)
{
}

#endif /* _KPM_SHIM_H */
