/* SPDX-License-Identifier: GPL-2.0 */
/*
 * profmap.h - a hash table of (stack, task) -> count that does not
 * allocate on a hit
 *
 * The profmap is the staging table of kprofmap, after Go's runtime/pprof
 * profMap: a sample is hashed while its stack is captured, looked up in a
 * chained hash table, and on a hit only its count changes (the entry also
 * moves to the front of its chain). All entries of a map are also linked
 * in insertion order for export.
 *
 * A map gets its entries in one of two ways:
 *  - a slab map (the aggregate) carves each entry from a kmem_cache and
 *    its stack array from a kmem_cache of the right size class, under the
 *    pool's cap;
 *  - a staging map (a CPU's hot map, written in hard irq) has a
 *    preallocated reserve (profmap_init_reserve()) and takes entries and
 *    frames from it by bumping two indexes: no allocator, no cap. Merging
 *    it into a slab map copies its new entries into slab memory (process
 *    context, under the cap) and empties the reserve for reuse.
 *
 * Every map draws from one struct profmap_pool, which owns the caches,
 * the hash key and the memory cap (max_entries live slab entries across
 * all maps of the pool). A sample that cannot be stored is counted as
 * lost in the map, by cause, never dropped silently.
 *
 * The hash is keyed with a random 128-bit seed chosen by the caller, so
 * user-chosen stacks cannot be arranged into long chains; lookups in maps
 * used from hardirq are also bounded by a chain limit (a sample whose
 * entry lies deeper is inserted again; merging folds such duplicates).
 *
 * This file and profmap.c are pure: they compile unchanged in the module,
 * in the userspace unit tests (against selftests/unit/shim/) and in the
 * benchmarks.
 */
#ifndef _KPROFMAP_PROFMAP_H
#define _KPROFMAP_PROFMAP_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/gfp.h>

/* Stack array size classes, in frames. A stack of n frames (kernel plus
 * user) takes the smallest class >= n. The largest class holds two stacks
 * of KPM_MAX_DEPTH_LIMIT frames.
 */
#define PROFMAP_NR_CLASSES	14
#define PROFMAP_MAX_FRAMES	512

/* Chain limit for maps used in hardirq; merges into the aggregate map
 * (process context) walk whole chains.
 */
#define PROFMAP_HOT_CHAIN_LIMIT	16
#define PROFMAP_NO_CHAIN_LIMIT	(~0U)

/**
 * struct profmap_key - what makes two samples the same entry, with the
 *			stack frames
 * @hash:	the sample hash (see profmap_hash_*), chain = hash & mask
 * @tgid:	process id of the sampled task
 * @tid:	thread id of the sampled task; for an idle task (tgid 0,
 *		pid 0 on every CPU) the CPU number, so each CPU's idle
 *		samples stay apart
 * @nk:		kernel frames, <= 255
 * @nu:		user frames, <= 255
 * @flags:	PROFMAP_F_* (truncation marks)
 * @owner:	the fair share's owner slot (PROFMAP_OWNER_SLOTS): the
 *		sampled task's user, hashed (sampler.c). Not part of what
 *		makes two samples the same: a task whose uid changes keeps
 *		its entries, and their first owner
 *
 * Embedded in both struct profmap_entry and struct profmap_sample, so an
 * entry's key is copied whole, and compared as two words (@owner masked).
 */
struct profmap_key {
	u32 hash;
	u32 tgid;
	u32 tid;
	u8 nk;
	u8 nu;
	u8 flags;
	u8 owner;
};

/**
 * struct profmap_entry - one (stack, task) and its count
 * @next_hash:	next entry in the same hash chain
 * @next_all:	next entry in insertion order
 * @stk:	@key.nk kernel PCs then @key.nu user PCs, each leaf first,
 *		then the tag word with PROFMAP_F_TAG; NULL when there are
 *		none; from pool->stk_cache[profmap_class(profmap_key_words())]
 * @count:	samples; >= 1 once the entry is in a map (40 bits: 3.5
 *		years of one task at 10 kHz)
 * @gen:	the mapping generation of its user frames (maps.c), 0 for
 *		none; part of what makes two samples the same, beside @key
 *		(which it would push past 16 bytes, and the entry past 64)
 * @key:	hash, task and stack shape
 * @comm:	task comm at first insertion, NUL-terminated
 *
 * 64 bytes on 64-bit, so one cache line per unique stack plus its array.
 */
#define PROFMAP_COUNT_BITS	40
#define PROFMAP_GEN_BITS	24
#define PROFMAP_GEN_MAX		((1U << PROFMAP_GEN_BITS) - 1)

struct profmap_entry {
	struct profmap_entry *next_hash;
	struct profmap_entry *next_all;
	u64 *stk;
	u64 count : PROFMAP_COUNT_BITS;
	u64 gen : PROFMAP_GEN_BITS;
	struct profmap_key key;
	char comm[16];
};

#define PROFMAP_F_KTRUNC	0x1	/* kernel stack cut at max_depth */
#define PROFMAP_F_UTRUNC	0x2	/* user stack cut at max_depth */
#define PROFMAP_F_TAG		0x4	/* the frames end with one tag word */

/* Words of a key's stack array: nk + nu frames, and a tag word (the
 * module's cgroup id) with PROFMAP_F_TAG. The tag is hashed and compared
 * as a frame: two samples that differ in it are two entries.
 */
static inline unsigned int profmap_key_words(const struct profmap_key *k)
{
	return k->nk + k->nu + ((k->flags & PROFMAP_F_TAG) ? 1 : 0);
}

/**
 * struct profmap_sample - a sample being recorded (the lookup key)
 * @pcs:	@key.nk kernel PCs then @key.nu user PCs, leaf first, then
 *		the tag with PROFMAP_F_TAG (profmap_key_words() words)
 * @key:	hash (from profmap_hash_final()), task and stack shape;
 *		@key.pad must be zero
 * @gen:	mapping generation, <= PROFMAP_GEN_MAX (0: none)
 * @comm:	task comm, stored only on insertion (may be unterminated at 16)
 */
struct profmap_sample {
	const u64 *pcs;
	struct profmap_key key;
	u32 gen;
	const char *comm;
};

/**
 * struct profmap_pool - caches, hash key and memory cap shared by maps
 * @entry_cache:	struct profmap_entry objects
 * @stk_cache:		stack arrays, one cache per size class
 * @nr_entries:		live entries in all maps of the pool
 * @nr_stk:		live stack arrays per size class
 * @alloc_failures:	slab allocations that failed, ever (statistic)
 * @max_entries:	cap on @nr_entries; an insertion beyond it is lost
 * @key:		random hash seed, fixed for the pool's lifetime
 */
struct profmap_pool {
	struct kmem_cache *entry_cache;
	struct kmem_cache *stk_cache[PROFMAP_NR_CLASSES];
	atomic_long_t nr_entries;
	atomic_long_t nr_stk[PROFMAP_NR_CLASSES];
	atomic_long_t alloc_failures;
	long max_entries;
	u64 key[2];
};

/**
 * struct profmap_reserve - the preallocated memory of a staging map
 * @ents:	entry slots, @nr_ents of them; NULL for a slab map
 * @frames:	frame slots for the stacks, @nr_frames of them
 * @nr_ents:	entry slots in all
 * @nr_frames:	frame slots in all
 * @used_ents:	entry slots taken since the last merge or clear
 * @used_frames: frame slots taken since the last merge or clear
 *
 * Written by the map's one writer; @used_* return to 0 when the map is
 * emptied by profmap_merge() or profmap_clear().
 */
struct profmap_reserve {
	struct profmap_entry *ents;
	u64 *frames;
	u32 nr_ents;
	u32 nr_frames;
	u32 used_ents;
	u32 used_frames;
};

/* Owner (user) count slots of a map with a fair share: key.owner. */
#define PROFMAP_OWNER_SHIFT	8
#define PROFMAP_OWNER_SLOTS	(1U << PROFMAP_OWNER_SHIFT)

/**
 * struct profmap_share - a soft per-owner limit on a slab map's entries
 * @from:	entries in the map from which the limit applies
 * @max:	entries one owner slot may hold then
 * @owners:	entries per owner slot (key.owner), PROFMAP_OWNER_SLOTS;
 *		NULL when the map has no share
 *
 * Owners that hash to one slot share its count: conservative, a user can
 * be limited early, never late.
 */
struct profmap_share {
	u32 from;
	u32 max;
	u32 *owners;
};

/**
 * struct profmap - one hash table of entries
 * @buckets:	chain heads, @mask + 1 of them (a power of two)
 * @mask:	bucket index mask
 * @chain_limit: entries a lookup walks before giving up (inserting anew)
 * @all:	first entry in insertion order
 * @last:	last entry in insertion order
 * @nr_entries:	entries in this map
 * @max_chain:	longest chain position reached by a lookup (statistic)
 * @lost_alloc:	samples lost to failed slab allocations
 * @lost_cap:	samples lost to pool->max_entries
 * @lost_reserve: samples lost to an exhausted reserve (staging maps)
 * @lost_share:	samples lost to the fair share (slab maps with one)
 * @pool:	where entries come from and return to
 * @res:	the reserve of a staging map (@res.ents NULL for a slab map)
 * @share:	the fair share of a slab map (@share.owners NULL: none)
 *
 * A map has one writer at a time; the caller provides the exclusion
 * (a hot map is written only by its CPU's hrtimer, the aggregate only
 * under a mutex).
 */
struct profmap {
	struct profmap_entry **buckets;
	u32 mask;
	u32 chain_limit;
	struct profmap_entry *all;
	struct profmap_entry *last;
	unsigned long nr_entries;
	u32 max_chain;
	u64 lost_alloc;
	u64 lost_cap;
	u64 lost_reserve;
	u64 lost_share;
	struct profmap_pool *pool;
	struct profmap_reserve res;
	struct profmap_share share;
};

/**
 * profmap_class_frames() - frames held by a stack array size class
 * @cls: class index, 0 <= cls < PROFMAP_NR_CLASSES
 *
 * Context: any.
 * Return: capacity of the class, in frames.
 */
unsigned int profmap_class_frames(unsigned int cls);

/**
 * profmap_class() - size class for a stack of @n frames
 * @n: frames, 1..PROFMAP_MAX_FRAMES
 *
 * Context: any.
 * Return: the smallest class index that holds @n frames.
 */
unsigned int profmap_class(unsigned int n);

/*
 * The sample hash: a keyed multiply-fold over the frames (as in wyhash),
 * one 64x64->128 multiply per frame, computed while the stack is walked.
 * The key makes chains unpredictable to whoever chooses the stacks.
 */
static __always_inline u64 profmap_hash_start(const struct profmap_pool *pool)
{
	return pool->key[0];
}

/* Always inlined: the sampler calls it inside a user-access window, where
 * objtool forbids calls.
 */
static __always_inline u64 profmap_hash_mul(const struct profmap_pool *pool)
{
	return pool->key[1] | 1;
}

static __always_inline u64 profmap_hash_mix(u64 h, u64 pc, u64 mul)
{
	unsigned __int128 m = (unsigned __int128)(h ^ pc) * mul;

	return (u64)m ^ (u64)(m >> 64);
}

static __always_inline u64 profmap_hash_step(const struct profmap_pool *pool,
					     u64 h, u64 pc)
{
	return profmap_hash_mix(h, pc, profmap_hash_mul(pool));
}

/* @h, then the @n words at @pcs, each by profmap_hash_mix(): what a walk
 * that hashes frame by frame as it goes would hold after them.
 */
static __always_inline u64 profmap_hash_pcs(u64 h, const u64 *pcs,
					    unsigned int n, u64 mul)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		h = profmap_hash_mix(h, pcs[i], mul);
	return h;
}

static __always_inline u32 profmap_hash_final(const struct profmap_pool *pool, u64 h,
				     const struct profmap_sample *s)
{
	h = profmap_hash_step(pool, h, ((u64)s->key.tgid << 32) | s->key.tid);
	h = profmap_hash_step(pool, h, ((u64)s->gen << 16) |
			      ((u64)s->key.nk << 8) | s->key.nu);
	return (u32)(h ^ (h >> 32));
}

/**
 * profmap_hash_sample() - hash a whole sample at once
 * @pool: the pool whose key is used
 * @s: the sample; @s->key.hash is not read
 *
 * Same value as hashing frame by frame with profmap_hash_step().
 * Context: any.
 * Return: the hash to store in @s->key.hash.
 */
u32 profmap_hash_sample(const struct profmap_pool *pool,
			const struct profmap_sample *s);

/**
 * profmap_pool_init() - create the caches of a pool
 * @pool: pool to initialise
 * @name: prefix of the cache names (e.g. "kprofmap")
 * @max_entries: cap on live entries, >= 1
 * @key: two random 64-bit words seeding the hash
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM (nothing left allocated).
 */
int profmap_pool_init(struct profmap_pool *pool, const char *name,
		      long max_entries, const u64 key[2]);

/**
 * profmap_pool_destroy() - destroy the caches of a pool
 * @pool: pool whose maps have all been destroyed
 *
 * Context: process context, may sleep.
 */
void profmap_pool_destroy(struct profmap_pool *pool);

/**
 * profmap_init() - initialise an empty map
 * @m: map
 * @pool: pool to draw entries from
 * @nbuckets: number of chains, a power of two
 * @chain_limit: PROFMAP_HOT_CHAIN_LIMIT for hardirq maps, or
 *		 PROFMAP_NO_CHAIN_LIMIT
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
int profmap_init(struct profmap *m, struct profmap_pool *pool,
		 u32 nbuckets, u32 chain_limit);

/**
 * profmap_init_reserve() - make an empty map a staging map
 * @m: map from profmap_init(), empty
 * @nr_ents: entry slots, >= 1
 * @nr_frames: frame slots (8 bytes each) shared by the entries' stacks
 *
 * From now on profmap_add() on @m never allocates: a miss takes one
 * entry slot and nk + nu frame slots, or fails with -ENOBUFS, counted in
 * @m->lost_reserve. The cap does not apply to staged entries; it applies
 * when profmap_merge() copies them into a slab map.
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM (@m unchanged).
 */
int profmap_init_reserve(struct profmap *m, u32 nr_ents, u32 nr_frames);

/**
 * profmap_init_share() - give an empty slab map a fair share
 * @m: slab map from profmap_init(), empty
 * @from: entries in @m from which the share applies
 * @max: entries one owner (key.owner) may hold in @m then
 *
 * Once @m holds @from entries, a new entry for an owner that already
 * holds @max is refused: its samples are added to @m->lost_share and
 * profmap_add() returns -EDQUOT. Entries handed back by
 * profmap_merge_list() are never refused.
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
int profmap_init_share(struct profmap *m, u32 from, u32 max);

/**
 * profmap_reserve_low() - has a staging map used half of either reserve?
 * @m: a staging map
 *
 * Context: the map's writer.
 * Return: true when it is time to merge @m.
 */
static inline bool profmap_reserve_low(const struct profmap *m)
{
	return 2 * m->res.used_ents >= m->res.nr_ents ||
	       2 * m->res.used_frames >= m->res.nr_frames;
}

/**
 * profmap_destroy() - free every entry and the buckets of a map
 * @m: map, no longer written by anyone
 *
 * Context: process context.
 */
void profmap_destroy(struct profmap *m);

/**
 * profmap_clear() - free every entry and zero the lost counters
 * @m: map, exclusively owned by the caller
 *
 * Context: process context (may cond_resched()).
 */
void profmap_clear(struct profmap *m);

/**
 * profmap_add() - count @count samples of @s
 * @m: map, written only by the caller
 * @s: the sample, with @s->key.hash from profmap_hash_final()
 * @count: samples to add, >= 1
 * @gfp: allocation flags on a miss (GFP_NOWAIT | __GFP_NOWARN in hardirq)
 *
 * On a hit the entry moves to the front of its chain and nothing is
 * allocated. On a miss a new entry is inserted: from the reserve of a
 * staging map (@gfp unused; when it is exhausted @count is added to
 * @m->lost_reserve), else from the slab (when the pool is at its cap or
 * an allocation fails, @count is added to @m->lost_cap or @m->lost_alloc).
 *
 * Context: any, with @gfp suited to it; never sleeps with GFP_NOWAIT.
 * A staging map never enters the allocator: fine in hard irq on any
 * kernel, PREEMPT_RT included.
 * Return: 0, -ENOSPC (cap reached), -ENOMEM (allocation failed),
 * -ENOBUFS (reserve exhausted) or -EDQUOT (fair share, see
 * profmap_init_share()).
 */
int profmap_add(struct profmap *m, const struct profmap_sample *s, u64 count,
		gfp_t gfp);

/**
 * profmap_merge() - move every entry of @src into @dst
 * @dst: destination map, a slab map
 * @src: source map, emptied (its buckets and reserve are kept for reuse)
 * @gfp: allocation flags for copying a staging map's new entries
 *
 * Entries already in @dst absorb the counts of their duplicates. New
 * entries of a slab map are relinked without allocating, so such a merge
 * never fails and never loses a sample. New entries of a staging map are
 * copied into slab memory under the pool's cap and @dst's share; a copy
 * that fails adds the entry's count to @dst->lost_cap, @dst->lost_share
 * or @dst->lost_alloc. Lost counters
 * of @src are added to @dst. The insertion order of @dst is kept,
 * followed by @src's new entries.
 *
 * Context: process context (may cond_resched(); may sleep with
 * GFP_KERNEL), owning both maps exclusively; walks whole chains of @dst
 * (up to its chain limit).
 */
void profmap_merge(struct profmap *dst, struct profmap *src, gfp_t gfp);

/**
 * struct profmap_list - entries taken out of a map by profmap_detach()
 * @first:	first entry in insertion order, linked by next_all
 * @nr:		entries on the list
 * @lost_alloc:	the map's lost_alloc at the detach
 * @lost_cap:	the map's lost_cap at the detach
 * @lost_reserve: the map's lost_reserve at the detach
 * @lost_share:	the map's lost_share at the detach
 *
 * The entries still count against their pool's cap until
 * profmap_free_list() returns them.
 */
struct profmap_list {
	struct profmap_entry *first;
	unsigned long nr;
	u64 lost_alloc;
	u64 lost_cap;
	u64 lost_reserve;
	u64 lost_share;
};

/**
 * profmap_detach() - move every entry and lost count of @m to @list
 * @m: slab map, exclusively owned by the caller; left empty
 * @list: receives the entries in insertion order
 *
 * O(entries), no allocation: a drain hands the whole aggregate to a
 * reader without copying it.
 * Context: process context (may cond_resched()).
 */
void profmap_detach(struct profmap *m, struct profmap_list *list);

/**
 * profmap_merge_list() - move every entry of a detached list into @dst
 * @dst: destination map, exclusively owned by the caller
 * @list: list from profmap_detach() of a map of the same pool; empty
 *	  afterwards
 *
 * As profmap_merge(): duplicates are folded into @dst's entries, new ones
 * relinked, lost counters added; nothing is allocated, nothing lost. A
 * drain that was never read hands its entries back this way.
 * Context: process context (may cond_resched()).
 */
void profmap_merge_list(struct profmap *dst, struct profmap_list *list);

/**
 * profmap_free_list() - free the entries of a detached list
 * @pool: the pool they came from
 * @list: list from profmap_detach(); empty afterwards
 *
 * Context: process context (may cond_resched()).
 */
void profmap_free_list(struct profmap_pool *pool, struct profmap_list *list);

/**
 * profmap_entry_bytes() - bytes held by one entry including its stack array
 * @e: entry
 *
 * Context: any.
 */
size_t profmap_entry_bytes(const struct profmap_entry *e);

#endif /* _KPROFMAP_PROFMAP_H */
