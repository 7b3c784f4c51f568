// SPDX-License-Identifier: GPL-2.0
/*
 * profmap.c - the (stack, task) -> count table; see profmap.h
 *
 * Pure code: only slab, atomics, string and scheduling primitives, so the
 * same file builds in the module, the userspace unit tests and the
 * benchmarks.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/sched.h>
#include <linux/errno.h>

#include "profmap.h"
#include "compat.h"

/* Capacity in frames of each stack size class; ratios stay below 1.5
 * from 8 frames up, so a stack array costs at most 1.5x its raw bytes.
 */
static const u16 profmap_class_size[PROFMAP_NR_CLASSES] = {
	4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512,
};

unsigned int profmap_class_frames(unsigned int cls)
{
	return profmap_class_size[cls];
}

unsigned int profmap_class(unsigned int n)
{
	unsigned int cls = 0;

	while (cls < PROFMAP_NR_CLASSES - 1 && profmap_class_size[cls] < n)
		cls++;
	return cls;
}

u32 profmap_hash_sample(const struct profmap_pool *pool,
			const struct profmap_sample *s)
{
	u64 h = profmap_hash_pcs(profmap_hash_start(pool), s->pcs,
				 profmap_key_words(&s->key),
				 profmap_hash_mul(pool));

	return profmap_hash_final(pool, h, s);
}

int profmap_pool_init(struct profmap_pool *pool, const char *name,
		      long max_entries, const u64 key[2])
{
	char cname[48];
	unsigned int cls;

	memset(pool, 0, sizeof(*pool));
	pool->max_entries = max_entries;
	pool->key[0] = key[0];
	pool->key[1] = key[1];

	/* KPM_SLAB_FLAGS (compat.h) keeps these caches out of the general
	 * kmalloc caches where the kernel allows it (SLAB_NO_MERGE, 6.5+):
	 * the stack arrays hold values any sampled user chooses. On older
	 * kernels they may be merged unless a debug option (KASAN) forbids it.
	 */
	snprintf(cname, sizeof(cname), "%s_entry", name);
	pool->entry_cache = kmem_cache_create(cname,
					      sizeof(struct profmap_entry), 0,
					      KPM_SLAB_FLAGS, NULL);
	if (!pool->entry_cache)
		return -ENOMEM;

	for (cls = 0; cls < PROFMAP_NR_CLASSES; cls++) {
		snprintf(cname, sizeof(cname), "%s_stk%u", name,
			 profmap_class_size[cls]);
		pool->stk_cache[cls] =
			kmem_cache_create(cname,
					  profmap_class_size[cls] * sizeof(u64),
					  0, KPM_SLAB_FLAGS, NULL);
		if (!pool->stk_cache[cls])
			goto out_destroy_caches;
	}
	return 0;

out_destroy_caches:
	profmap_pool_destroy(pool);
	return -ENOMEM;
}

void profmap_pool_destroy(struct profmap_pool *pool)
{
	unsigned int cls;

	for (cls = 0; cls < PROFMAP_NR_CLASSES; cls++) {
		kmem_cache_destroy(pool->stk_cache[cls]);
		pool->stk_cache[cls] = NULL;
	}
	kmem_cache_destroy(pool->entry_cache);
	pool->entry_cache = NULL;
}

int profmap_init(struct profmap *m, struct profmap_pool *pool,
		 u32 nbuckets, u32 chain_limit)
{
	memset(m, 0, sizeof(*m));
	m->buckets = kvcalloc(nbuckets, sizeof(*m->buckets), GFP_KERNEL);
	if (!m->buckets)
		return -ENOMEM;
	m->mask = nbuckets - 1;
	m->chain_limit = chain_limit;
	m->pool = pool;
	return 0;
}

int profmap_init_reserve(struct profmap *m, u32 nr_ents, u32 nr_frames)
{
	struct profmap_reserve *r = &m->res;

	r->ents = kvcalloc(nr_ents, sizeof(*r->ents), GFP_KERNEL);
	r->frames = kvcalloc(nr_frames ?: 1, sizeof(*r->frames), GFP_KERNEL);
	if (!r->ents || !r->frames) {
		kvfree(r->ents);
		kvfree(r->frames);
		memset(r, 0, sizeof(*r));
		return -ENOMEM;
	}
	r->nr_ents = nr_ents;
	r->nr_frames = nr_frames;
	return 0;
}

int profmap_init_share(struct profmap *m, u32 from, u32 max)
{
	m->share.owners = kvcalloc(PROFMAP_OWNER_SLOTS,
				   sizeof(*m->share.owners), GFP_KERNEL);
	if (!m->share.owners)
		return -ENOMEM;
	m->share.from = from;
	m->share.max = max;
	return 0;
}

/* The owner count slot of @owner (a key's owner). */
static inline u32 *profmap_owner(struct profmap *m, u8 owner)
{
	return &m->share.owners[owner & (PROFMAP_OWNER_SLOTS - 1)];
}

/* Called from profmap_clear(), profmap_merge_list() and
 * profmap_free_list() for entries leaving the pool.
 */
static void profmap_free_entry(struct profmap_pool *pool,
			       struct profmap_entry *e)
{
	unsigned int n = profmap_key_words(&e->key);

	if (n) {
		unsigned int cls = profmap_class(n);

		kmem_cache_free(pool->stk_cache[cls], e->stk);
		atomic_long_dec(&pool->nr_stk[cls]);
	}
	kmem_cache_free(pool->entry_cache, e);
	atomic_long_dec(&pool->nr_entries);
}

/* Forget the chains and the list, keeping the bucket array. Only the
 * buckets named by the entries on the list can be non-NULL, so clearing
 * costs O(entries), not O(buckets).
 */
static void profmap_reset_index(struct profmap *m)
{
	m->all = NULL;
	m->last = NULL;
	WRITE_ONCE(m->nr_entries, 0);
	m->max_chain = 0;
	m->lost_alloc = 0;
	m->lost_cap = 0;
	m->lost_reserve = 0;
	m->lost_share = 0;
	m->res.used_ents = 0;
	m->res.used_frames = 0;
	if (m->share.owners)
		memset(m->share.owners, 0,
		       PROFMAP_OWNER_SLOTS * sizeof(*m->share.owners));
}

void profmap_clear(struct profmap *m)
{
	struct profmap_entry *e, *next;
	unsigned int done = 0;

	for (e = m->all; e; e = next) {
		next = e->next_all;
		m->buckets[e->key.hash & m->mask] = NULL;
		if (!m->res.ents)
			profmap_free_entry(m->pool, e);
		if (!(++done & 255))
			cond_resched();
	}
	profmap_reset_index(m);
}

void profmap_destroy(struct profmap *m)
{
	if (!m->buckets)
		return;
	profmap_clear(m);
	kvfree(m->buckets);
	m->buckets = NULL;
	kvfree(m->res.ents);
	kvfree(m->res.frames);
	memset(&m->res, 0, sizeof(m->res));
	kvfree(m->share.owners);
	m->share.owners = NULL;
}

size_t profmap_entry_bytes(const struct profmap_entry *e)
{
	unsigned int n = profmap_key_words(&e->key);
	size_t bytes = sizeof(*e);

	if (n)
		bytes += profmap_class_size[profmap_class(n)] * sizeof(u64);
	return bytes;
}

/* Are the @n words at @a and @b equal? Four words a step (xor, or, one
 * branch), after an odd word and an odd pair. The index runs from -@n up
 * to 0 from the arrays' ends, so the loop's counting is one add: about
 * 3.5 instructions a word, against 6 to 7 a word compared one by one.
 */
static inline bool profmap_words_equal(const u64 *a, const u64 *b,
				       unsigned int n)
{
	long i = -(long)n;

	a += n;
	b += n;
	if (n & 1) {
		if (a[i] != b[i])
			return false;
		i++;
	}
	if (n & 2) {
		if ((a[i] ^ b[i]) | (a[i + 1] ^ b[i + 1]))
			return false;
		i += 2;
	}
	for (; i; i += 4)
		if ((a[i] ^ b[i]) | (a[i + 1] ^ b[i + 1]) |
		    (a[i + 2] ^ b[i + 2]) | (a[i + 3] ^ b[i + 3]))
			return false;
	return true;
}

/* Word @i of key @k (16 bytes: two words). */
static __always_inline u64 profmap_key_word(const struct profmap_key *k,
					    unsigned int i)
{
	u64 w;

	memcpy(&w, (const char *)k + i * sizeof(w), sizeof(w));
	return w;
}

/* The bits of a key's second word that are not its owner (its last byte). */
static_assert(sizeof(struct profmap_key) == 16 &&
	      offsetof(struct profmap_key, owner) == 15,
	      "profmap_key: two words, the owner last");
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PROFMAP_KEY_NOT_OWNER	(~0ULL >> 8)
#else
#define PROFMAP_KEY_NOT_OWNER	(~0ULL << 8)
#endif

/* Step 1 of a lookup: does @e hold exactly the sample @s? The whole key
 * but its owner, which says whose share it counts in: two words, the
 * owner's byte masked out (a copy of the key to compare took a stack
 * protector on every lookup).
 */
static __always_inline bool profmap_match(const struct profmap_entry *e,
					  const struct profmap_sample *s)
{
	if (profmap_key_word(&e->key, 0) != profmap_key_word(&s->key, 0) ||
	    ((profmap_key_word(&e->key, 1) ^ profmap_key_word(&s->key, 1)) &
	     PROFMAP_KEY_NOT_OWNER) || e->gen != s->gen)
		return false;
	return profmap_words_equal(e->stk, s->pcs, profmap_key_words(&s->key));
}

/* Step 2: walk the chain of @s (at most m->chain_limit entries); a hit
 * moves to the front of its chain. Inlined: a sampler's hit is one call,
 * profmap_add().
 */
static __always_inline struct profmap_entry *
profmap_find(struct profmap *m, const struct profmap_sample *s)
{
	struct profmap_entry **head = &m->buckets[s->key.hash & m->mask];
	struct profmap_entry *e, *prev = NULL;
	u32 walked = 0;

	for (e = *head; e; prev = e, e = e->next_hash) {
		if (++walked > m->chain_limit)
			break;
		if (!profmap_match(e, s))
			continue;
		if (prev) {
			prev->next_hash = e->next_hash;
			e->next_hash = *head;
			*head = e;
		}
		if (walked > m->max_chain)
			m->max_chain = walked;
		return e;
	}
	/* Entries compared: the limit when the walk was cut short. */
	if (walked > m->chain_limit)
		walked = m->chain_limit;
	if (walked > m->max_chain)
		m->max_chain = walked;
	return NULL;
}

/* Step 3: link a filled entry at the head of its chain and the tail of
 * the insertion list.
 */
static void profmap_link(struct profmap *m, struct profmap_entry *e)
{
	struct profmap_entry **head = &m->buckets[e->key.hash & m->mask];

	e->next_hash = *head;
	*head = e;
	e->next_all = NULL;
	if (m->last)
		m->last->next_all = e;
	else
		m->all = e;
	m->last = e;
	if (m->share.owners)
		(*profmap_owner(m, e->key.owner))++;
	/* Read locklessly by the statistics (a hot map's size). */
	WRITE_ONCE(m->nr_entries, m->nr_entries + 1);
}

/* Step 4 (miss): take a slot under the cap, then the entry and its stack
 * array from the slabs. Each failure undoes what was taken.
 */
static struct profmap_entry *profmap_alloc(struct profmap *m,
					   const struct profmap_sample *s,
					   gfp_t gfp, int *err)
{
	struct profmap_pool *pool = m->pool;
	unsigned int n = profmap_key_words(&s->key);
	unsigned int cls = 0;
	struct profmap_entry *e;

	if (atomic_long_inc_return(&pool->nr_entries) > pool->max_entries) {
		*err = -ENOSPC;
		goto out_put_slot;
	}
	e = kmem_cache_alloc(pool->entry_cache, gfp);
	if (!e) {
		*err = -ENOMEM;
		goto out_put_slot;
	}
	e->stk = NULL;
	if (n) {
		cls = profmap_class(n);
		e->stk = kmem_cache_alloc(pool->stk_cache[cls], gfp);
		if (!e->stk) {
			*err = -ENOMEM;
			goto out_free_entry;
		}
		atomic_long_inc(&pool->nr_stk[cls]);
		memcpy(e->stk, s->pcs, n * sizeof(u64));
	}
	return e;

out_free_entry:
	kmem_cache_free(pool->entry_cache, e);
out_put_slot:
	if (*err == -ENOMEM)
		atomic_long_inc(&pool->alloc_failures);
	atomic_long_dec(&pool->nr_entries);
	return NULL;
}

/* Step 4 (miss in a staging map): an entry slot and the stack's frame
 * slots from the reserve, by bumping its indexes; no allocator, no cap.
 */
static struct profmap_entry *profmap_take(struct profmap *m,
					  const struct profmap_sample *s)
{
	struct profmap_reserve *r = &m->res;
	unsigned int n = profmap_key_words(&s->key);
	struct profmap_entry *e;

	if (r->used_ents >= r->nr_ents || n > r->nr_frames - r->used_frames)
		return NULL;
	e = &r->ents[r->used_ents++];
	e->stk = NULL;
	if (n) {
		e->stk = r->frames + r->used_frames;
		r->used_frames += n;
		memcpy(e->stk, s->pcs, n * sizeof(u64));
	}
	return e;
}

/* Copy a comm of at most 15 bytes, which may be unterminated at 16. */
static void profmap_copy_comm(char *dst, const char *src)
{
	unsigned int i;

	for (i = 0; i < sizeof_field(struct profmap_entry, comm) - 1 && src[i];
	     i++)
		dst[i] = src[i];
	memset(dst + i, 0, sizeof_field(struct profmap_entry, comm) - i);
}

/* The fair share: is the map past share.from entries and @s's owner at
 * share.max?
 */
static inline bool profmap_over_share(struct profmap *m,
				      const struct profmap_sample *s)
{
	return m->share.owners && m->nr_entries >= m->share.from &&
	       *profmap_owner(m, s->key.owner) >= m->share.max;
}

/* A miss: a new entry for @count samples of @s, from the reserve of a
 * staging map or the slab; a failure is counted by cause.
 */
static int profmap_insert(struct profmap *m, const struct profmap_sample *s,
			  u64 count, gfp_t gfp)
{
	struct profmap_entry *e;
	int err = -ENOBUFS;

	if (m->res.ents) {
		e = profmap_take(m, s);
	} else if (profmap_over_share(m, s)) {
		e = NULL;
		err = -EDQUOT;
	} else {
		e = profmap_alloc(m, s, gfp, &err);
	}
	if (!e) {
		if (err == -ENOBUFS)
			m->lost_reserve += count;
		else if (err == -EDQUOT)
			m->lost_share += count;
		else if (err == -ENOSPC)
			m->lost_cap += count;
		else
			m->lost_alloc += count;
		return err;
	}
	e->count = count;
	e->gen = s->gen;
	e->key = s->key;
	profmap_copy_comm(e->comm, s->comm);
	profmap_link(m, e);
	return 0;
}

int profmap_add(struct profmap *m, const struct profmap_sample *s, u64 count,
		gfp_t gfp)
{
	struct profmap_entry *e;

	e = profmap_find(m, s);
	if (e) {
		e->count += count;
		return 0;
	}
	return profmap_insert(m, s, count, gfp);
}

/* Add the lost counters of a map or list to @dst. */
static void profmap_add_lost(struct profmap *dst, u64 alloc, u64 cap,
			     u64 reserve, u64 share)
{
	dst->lost_alloc += alloc;
	dst->lost_cap += cap;
	dst->lost_reserve += reserve;
	dst->lost_share += share;
}

void profmap_merge_list(struct profmap *dst, struct profmap_list *list)
{
	struct profmap_entry *e, *next, *old;
	struct profmap_sample s;
	unsigned int done = 0;

	for (e = list->first; e; e = next) {
		next = e->next_all;
		s.pcs = e->stk;
		s.key = e->key;
		s.gen = e->gen;
		s.comm = e->comm;
		old = profmap_find(dst, &s);
		if (old) {
			old->count += e->count;
			profmap_free_entry(dst->pool, e);
		} else {
			profmap_link(dst, e);
		}
		if (!(++done & 255))
			cond_resched();
	}
	profmap_add_lost(dst, list->lost_alloc, list->lost_cap,
			 list->lost_reserve, list->lost_share);
	memset(list, 0, sizeof(*list));
}

/* profmap_merge() of a staging map: copy what @dst lacks into the slab,
 * then empty @src and its reserve.
 */
static void profmap_merge_staged(struct profmap *dst, struct profmap *src,
				 gfp_t gfp)
{
	struct profmap_entry *e, *old;
	struct profmap_sample s;
	unsigned int done = 0;

	for (e = src->all; e; e = e->next_all) {
		src->buckets[e->key.hash & src->mask] = NULL;
		s.pcs = e->stk;
		s.key = e->key;
		s.gen = e->gen;
		s.comm = e->comm;
		old = profmap_find(dst, &s);
		if (old)
			old->count += e->count;
		else
			profmap_insert(dst, &s, e->count, gfp);
		if (!(++done & 255))
			cond_resched();
	}
	profmap_add_lost(dst, src->lost_alloc, src->lost_cap,
			 src->lost_reserve, src->lost_share);
	profmap_reset_index(src);
}

void profmap_merge(struct profmap *dst, struct profmap *src, gfp_t gfp)
{
	struct profmap_list list;

	if (src->res.ents) {
		profmap_merge_staged(dst, src, gfp);
		return;
	}
	profmap_detach(src, &list);
	profmap_merge_list(dst, &list);
}

void profmap_detach(struct profmap *m, struct profmap_list *list)
{
	struct profmap_entry *e;
	unsigned int done = 0;

	for (e = m->all; e; e = e->next_all) {
		m->buckets[e->key.hash & m->mask] = NULL;
		if (!(++done & 1023))
			cond_resched();
	}
	list->first = m->all;
	list->nr = m->nr_entries;
	list->lost_alloc = m->lost_alloc;
	list->lost_cap = m->lost_cap;
	list->lost_reserve = m->lost_reserve;
	list->lost_share = m->lost_share;
	profmap_reset_index(m);
}

void profmap_free_list(struct profmap_pool *pool, struct profmap_list *list)
{
	struct profmap_entry *e, *next;
	unsigned int done = 0;

	for (e = list->first; e; e = next) {
		next = e->next_all;
		profmap_free_entry(pool, e);
		if (!(++done & 255))
			cond_resched();
	}
	memset(list, 0, sizeof(*list));
}
