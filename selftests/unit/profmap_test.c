// SPDX-License-Identifier: GPL-2.0
/*
 * profmap_test.c - unit tests of the profmap core (module/profmap.c,
 * compiled unchanged against shim/) under ASan and UBSan, kselftest
 * harness.
 *
 * The harness's system headers must not see the shims' linux/types.h: the
 * Makefile adds shim/ after the system directories, so that profmap.h
 * finds there only what the system lacks (linux/atomic.h, linux/gfp.h).
 */
#include <sanitizer/lsan_interface.h>

#include "kselftest_harness.h"

#include "shim/shim.h"
#include "../../module/profmap.h"

/*
 * The harness runs each test in a child that ends with _exit(), where
 * LeakSanitizer's check at exit never runs: the fixture's teardown runs it
 * and fails a test that leaked.
 */
FIXTURE(core) {};
FIXTURE_SETUP(core);
FIXTURE_TEARDOWN(core);
FIXTURE_SETUP(core) {}
FIXTURE_TEARDOWN(core)
{
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

static const u64 test_key[2] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };

struct fixture {
	struct profmap_pool pool;
	struct profmap hot;
	struct profmap agg;
};

static void fx_init(struct __test_metadata *_metadata, struct fixture *f,
		    long max_entries, u32 hot_limit)
{
	shim_fail_reset();
	ASSERT_EQ(0, profmap_pool_init(&f->pool, "t", max_entries, test_key));
	ASSERT_EQ(0, profmap_init(&f->hot, &f->pool, 64, hot_limit));
	ASSERT_EQ(0, profmap_init(&f->agg, &f->pool, 256, PROFMAP_NO_CHAIN_LIMIT));
}

static void fx_fini(struct __test_metadata *_metadata, struct fixture *f)
{
	long leaks = shim_leak_reports;

	profmap_destroy(&f->hot);
	profmap_destroy(&f->agg);
	EXPECT_EQ(0, atomic_long_read(&f->pool.nr_entries));
	profmap_pool_destroy(&f->pool);
	EXPECT_EQ(leaks, shim_leak_reports);
	EXPECT_EQ(0, shim_caches_live);
	shim_fail_reset();
}

/* A sample whose frames are derived from @seed, @n frames, split nk/nu. */
struct tsample {
	u64 pcs[PROFMAP_MAX_FRAMES];
	struct profmap_sample s;
};

static void mk_sample(struct tsample *t, const struct profmap_pool *pool,
		      u64 seed, unsigned int nk, unsigned int nu, u32 tid)
{
	unsigned int i;

	for (i = 0; i < nk + nu; i++)
		t->pcs[i] = (i < nk ? 0xffffffff81000000ULL : 0x555555550000ULL) +
			    seed * 0x1000 + i * 8;
	t->s = (struct profmap_sample){
		.pcs = t->pcs,
		.key = { .tgid = tid, .tid = tid, .nk = nk, .nu = nu,
			 .owner = (u8)tid },
		.comm = "worker",
	};
	t->s.key.hash = profmap_hash_sample(pool, &t->s);
}

static long cache_allocs(const struct profmap_pool *pool)
{
	long n = pool->entry_cache->allocs;
	unsigned int c;

	for (c = 0; c < PROFMAP_NR_CLASSES; c++)
		n += pool->stk_cache[c]->allocs;
	return n;
}

static struct profmap_entry *only_entry(struct profmap *m)
{
	return m->nr_entries == 1 ? m->all : NULL;
}

/* --- tests --- */

/* Size classes cover 1..512 frames within 1.5x. */
TEST_F(core, classes)
{
	unsigned int n, cls;

	for (n = 1; n <= PROFMAP_MAX_FRAMES; n++) {
		cls = profmap_class(n);
		EXPECT_GE(profmap_class_frames(cls), n);
		if (cls) {
			EXPECT_LT(profmap_class_frames(cls - 1), n);
		}
		/* The memory target: stack array <= 1.5x raw from 8 frames. */
		if (n >= 8) {
			EXPECT_LE(profmap_class_frames(cls) * 2, 3 * n);
		}
	}
	EXPECT_EQ(64, sizeof(struct profmap_entry));
}

/* The mapping generation is part of the identity: the same stack and
 * task under two generations (an exec, a dlopen) are two entries, and a
 * merge keeps them apart.
 */
TEST_F(core, gen_is_identity)
{
	struct fixture f;
	struct tsample a, b;
	struct profmap_entry *e;
	unsigned int seen = 0;

	fx_init(_metadata, &f, 100, PROFMAP_HOT_CHAIN_LIMIT);
	mk_sample(&a, &f.pool, 1, 2, 3, 42);
	mk_sample(&b, &f.pool, 1, 2, 3, 42);
	a.s.gen = 7;
	b.s.gen = PROFMAP_GEN_MAX;
	a.s.key.hash = profmap_hash_sample(&f.pool, &a.s);
	b.s.key.hash = profmap_hash_sample(&f.pool, &b.s);
	EXPECT_NE(a.s.key.hash, b.s.key.hash);
	/* And a collision: the compare alone must keep them apart. */
	b.s.key.hash = a.s.key.hash;
	EXPECT_EQ(0, profmap_add(&f.hot, &a.s, 1, GFP_ATOMIC));
	EXPECT_EQ(0, profmap_add(&f.hot, &b.s, 2, GFP_ATOMIC));
	EXPECT_EQ(0, profmap_add(&f.hot, &a.s, 3, GFP_ATOMIC));
	EXPECT_EQ(2, f.hot.nr_entries);
	profmap_merge(&f.agg, &f.hot, GFP_KERNEL);
	EXPECT_EQ(2, f.agg.nr_entries);
	for (e = f.agg.all; e; e = e->next_all) {
		if (e->gen == 7) {
			EXPECT_EQ(4, (u64)e->count);
			seen |= 1;
		} else if (e->gen == PROFMAP_GEN_MAX) {
			EXPECT_EQ(2, (u64)e->count);
			seen |= 2;
		}
	}
	EXPECT_EQ(3, seen);
	fx_fini(_metadata, &f);
}

/* A tag word (PROFMAP_F_TAG: the module's cgroup id) is part of the
 * identity and of the stack array: the same stack and task untagged and
 * under two tags are three entries, kept apart by the compare alone (one
 * forced hash), by a merge, and each keeps its tag after its frames.
 */
TEST_F(core, tag_is_identity)
{
	struct fixture f;
	struct tsample t[3];
	struct profmap_entry *e;
	unsigned int i, seen = 0;

	fx_init(_metadata, &f, 100, PROFMAP_HOT_CHAIN_LIMIT);
	for (i = 0; i < 3; i++) {
		mk_sample(&t[i], &f.pool, 5, 2, 3, 42);
		if (i) {
			t[i].pcs[5] = 1000 + i;
			t[i].s.key.flags |= PROFMAP_F_TAG;
		}
		t[i].s.key.hash = profmap_hash_sample(&f.pool, &t[i].s);
	}
	EXPECT_EQ(5, profmap_key_words(&t[0].s.key));
	EXPECT_EQ(6, profmap_key_words(&t[1].s.key));
	EXPECT_NE(t[1].s.key.hash, t[2].s.key.hash);
	t[1].s.key.hash = t[0].s.key.hash;
	t[2].s.key.hash = t[0].s.key.hash;
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, profmap_add(&f.hot, &t[i].s, i + 1, GFP_ATOMIC));
	EXPECT_EQ(0, profmap_add(&f.hot, &t[2].s, 10, GFP_ATOMIC));
	EXPECT_EQ(3, f.hot.nr_entries);
	profmap_merge(&f.agg, &f.hot, GFP_KERNEL);
	EXPECT_EQ(3, f.agg.nr_entries);
	for (e = f.agg.all; e; e = e->next_all) {
		if (!(e->key.flags & PROFMAP_F_TAG)) {
			EXPECT_EQ(1, (u64)e->count);
			seen |= 1;
		} else if (e->stk[5] == 1001) {
			EXPECT_EQ(2, (u64)e->count);
			seen |= 2;
		} else if (e->stk[5] == 1002) {
			EXPECT_EQ(13, (u64)e->count);
			seen |= 4;
		}
		EXPECT_EQ(0, memcmp(e->stk, t[0].pcs, 5 * sizeof(u64)));
	}
	EXPECT_EQ(7, seen);
	fx_fini(_metadata, &f);
}

/* The hit path does not allocate. */
TEST_F(core, hit_no_alloc)
{
	struct fixture f;
	struct tsample t;
	long allocs;
	int i;

	fx_init(_metadata, &f, 100, PROFMAP_HOT_CHAIN_LIMIT);
	mk_sample(&t, &f.pool, 1, 3, 4, 42);
	EXPECT_EQ(0, profmap_add(&f.hot, &t.s, 1, GFP_ATOMIC));
	allocs = cache_allocs(&f.pool);
	EXPECT_EQ(2, allocs);
	for (i = 0; i < 1000; i++) {
		EXPECT_EQ(0, profmap_add(&f.hot, &t.s, 1, GFP_ATOMIC));
	}
	EXPECT_EQ(allocs, cache_allocs(&f.pool));
	EXPECT_NE(NULL, only_entry(&f.hot));
	if (only_entry(&f.hot)) {
		struct profmap_entry *e = f.hot.all;

		EXPECT_EQ(1001, (u64)e->count);
		EXPECT_EQ(3, e->key.nk);
		EXPECT_EQ(4, e->key.nu);
		EXPECT_EQ(42, e->key.tid);
		EXPECT_STREQ("worker", e->comm);
		EXPECT_EQ(0, memcmp(e->stk, t.pcs, 7 * sizeof(u64)));
	}
	fx_fini(_metadata, &f);
}

/* tid, the k/u split and the flags are part of the key. */
TEST_F(core, keys_distinguish)
{
	struct fixture f;
	struct tsample a, b, c, d, e;

	fx_init(_metadata, &f, 100, PROFMAP_HOT_CHAIN_LIMIT);
	mk_sample(&a, &f.pool, 1, 2, 2, 10);
	mk_sample(&b, &f.pool, 1, 2, 2, 11);		/* other tid */
	mk_sample(&c, &f.pool, 1, 2, 2, 10);
	c.pcs[0] = 0; c.pcs[1] = 0; c.pcs[2] = a.pcs[0]; c.pcs[3] = a.pcs[1];
	mk_sample(&d, &f.pool, 1, 1, 3, 10);		/* other k/u split */
	memcpy(d.pcs, a.pcs, sizeof(a.pcs));
	d.s.key.hash = profmap_hash_sample(&f.pool, &d.s);
	mk_sample(&e, &f.pool, 1, 2, 2, 10);
	e.s.key.flags = PROFMAP_F_UTRUNC;			/* truncated differs */
	e.s.key.hash = profmap_hash_sample(&f.pool, &e.s);
	c.s.key.hash = profmap_hash_sample(&f.pool, &c.s);

	profmap_add(&f.hot, &a.s, 1, GFP_ATOMIC);
	profmap_add(&f.hot, &b.s, 1, GFP_ATOMIC);
	profmap_add(&f.hot, &c.s, 1, GFP_ATOMIC);
	profmap_add(&f.hot, &d.s, 1, GFP_ATOMIC);
	profmap_add(&f.hot, &e.s, 1, GFP_ATOMIC);
	profmap_add(&f.hot, &a.s, 1, GFP_ATOMIC);
	EXPECT_EQ(5, f.hot.nr_entries);
	EXPECT_EQ(2, (u64)f.hot.all->count);
	fx_fini(_metadata, &f);
}

/* A lookup compares the whole key, not only its hash: samples that
 * differ in one field each, given the hash of the first (a collision),
 * are entries of their own; one that differs only in its owner is the
 * first's (whose share an entry counts in is its first sample's).
 */
TEST_F(core, match_every_field)
{
	struct fixture f;
	struct tsample t[9];
	unsigned int i;

	fx_init(_metadata, &f, 100, PROFMAP_HOT_CHAIN_LIMIT);
	for (i = 0; i < 9; i++)
		mk_sample(&t[i], &f.pool, 1, 2, 2, 10);
	t[1].s.key.tgid = 11;
	t[2].s.key.tid = 11;
	t[3].s.key.nk = 1;				/* same frames, */
	t[3].s.key.nu = 3;				/* other split */
	t[4].s.key.flags = PROFMAP_F_UTRUNC;
	t[5].s.gen = 1;
	t[6].s.key.owner = 99;
	t[7].s.key.nk = 1;		/* the first 3 frames: one field each */
	t[8].s.key.nu = 1;
	for (i = 0; i < 9; i++) {
		t[i].s.key.hash = t[0].s.key.hash;
		ASSERT_EQ(0, profmap_add(&f.hot, &t[i].s, 1, GFP_ATOMIC));
	}
	EXPECT_EQ(8, f.hot.nr_entries);
	EXPECT_EQ(2, (u64)f.hot.all->count);
	fx_fini(_metadata, &f);
}

/* The hash is keyed and streamable. */
TEST_F(core, hash_keyed)
{
	struct profmap_pool p1 = { .key = { 1, 2 } }, p2 = { .key = { 3, 4 } };
	struct tsample t;
	u64 h;
	unsigned int i, same = 0;

	for (i = 0; i < 64; i++) {
		mk_sample(&t, &p1, i, 4, 4, 1);
		if (t.s.key.hash == profmap_hash_sample(&p2, &t.s))
			same++;
	}
	EXPECT_LT(same, 2);
	/* Hashing frame by frame equals hashing the whole sample. */
	mk_sample(&t, &p1, 7, 5, 9, 3);
	h = profmap_hash_start(&p1);
	for (i = 0; i < 14; i++)
		h = profmap_hash_step(&p1, h, t.pcs[i]);
	EXPECT_EQ(t.s.key.hash, profmap_hash_final(&p1, h, &t.s));
}

/* xorshift64: the tests' keys and frames, the same on every run. */
static u64 xs64(u64 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* The longest stack array: 255 kernel and 255 user frames and a tag. */
#define WORDS_MAX	(2 * 255 + 1)

/* A sample of @n words at @pcs: a tag word at lengths 1 mod 4 and at
 * WORDS_MAX, the frames split between kernel and user, so that odd and
 * even frame counts come with and without a tag.
 */
static void mk_words(struct profmap_sample *s, const u64 *pcs, unsigned int n)
{
	unsigned int tag = n == WORDS_MAX || n % 4 == 1;
	unsigned int frames = n - tag;

	memset(s, 0, sizeof(*s));
	s->pcs = pcs;
	s->key.tgid = 7;
	s->key.tid = 7;
	s->key.nk = frames / 2;
	s->key.nu = frames - frames / 2;
	s->key.flags = tag ? PROFMAP_F_TAG : 0;
	s->comm = "words";
}

/* The compare, at every length of a stack array: a copy at another
 * address is a hit; a difference in any one word, or the same difference
 * in two neighbours, is a new entry although the hashes are equal. The
 * sample's words are a malloc() of exactly their size, so ASan reports
 * a read past them.
 */
TEST_F(core, compare_every_length)
{
	struct profmap_sample a, b;
	unsigned int n, j, wrong = 0;
	struct fixture f;
	u64 seed = 1, bit;
	u64 *pa, *pb;

	fx_init(_metadata, &f, 10, PROFMAP_NO_CHAIN_LIMIT);
	for (n = 0; n <= WORDS_MAX; n++) {
		pa = malloc((n ?: 1) * sizeof(u64));
		pb = malloc((n ?: 1) * sizeof(u64));
		ASSERT_NE(NULL, pa);
		ASSERT_NE(NULL, pb);
		for (j = 0; j < n; j++)
			pa[j] = xs64(&seed);
		memcpy(pb, pa, n * sizeof(u64));
		mk_words(&a, pa, n);
		mk_words(&b, pb, n);
		EXPECT_EQ(n, profmap_key_words(&a.key));
		profmap_clear(&f.agg);
		EXPECT_EQ(0, profmap_add(&f.agg, &a, 1, GFP_KERNEL));
		EXPECT_EQ(0, profmap_add(&f.agg, &b, 1, GFP_KERNEL));
		EXPECT_EQ(1, f.agg.nr_entries);
		EXPECT_EQ(2, (u64)f.agg.all->count);
		for (j = 0; j < 2 * n; j++) {
			bit = 1ULL << (j * 7 % 64);
			pb[j / 2] ^= bit;
			if (j % 2 && j / 2 + 1 < n)
				pb[j / 2 + 1] ^= bit;
			profmap_clear(&f.agg);
			profmap_add(&f.agg, &a, 1, GFP_KERNEL);
			profmap_add(&f.agg, &b, 1, GFP_KERNEL);
			profmap_add(&f.agg, &a, 1, GFP_KERNEL);
			if (f.agg.nr_entries != 2 || f.agg.all->count != 2)
				wrong++;
			memcpy(pb, pa, n * sizeof(u64));
		}
		free(pa);
		free(pb);
	}
	EXPECT_EQ(0, wrong);
	fx_fini(_metadata, &f);
}

/* The hash, at every length of a stack array and for random keys: the
 * sampler's running hash (profmap_hash_mix() frame by frame, the tag word
 * by profmap_hash_step(), then profmap_hash_final()) is
 * profmap_hash_sample(), and a one-bit difference in any one word changes
 * it (a 32-bit hash: about 2^-32 a pair to fail by chance, and the keys
 * are fixed, so a run that passes once always passes).
 */
TEST_F(core, hash_every_length)
{
	static u64 pcs[WORDS_MAX];
	struct profmap_pool pool;
	struct profmap_sample s;
	unsigned int key, n, i, j, unequal = 0, same = 0;
	u64 seed = 2, h;
	u32 h0;

	for (key = 0; key < 2; key++) {
		memset(&pool, 0, sizeof(pool));
		pool.key[0] = xs64(&seed);
		pool.key[1] = xs64(&seed);
		for (n = 0; n <= WORDS_MAX; n++) {
			for (j = 0; j < n; j++)
				pcs[j] = xs64(&seed);
			mk_words(&s, pcs, n);
			h0 = profmap_hash_sample(&pool, &s);
			h = profmap_hash_start(&pool);
			for (i = 0; i < (unsigned int)s.key.nk + s.key.nu; i++)
				h = profmap_hash_mix(h, pcs[i],
						     profmap_hash_mul(&pool));
			if (s.key.flags & PROFMAP_F_TAG)
				h = profmap_hash_step(&pool, h, pcs[n - 1]);
			if (profmap_hash_final(&pool, h, &s) != h0)
				unequal++;
			for (j = 0; j < n; j++) {
				pcs[j] ^= 1ULL << (j * 7 % 64);
				if (profmap_hash_sample(&pool, &s) == h0)
					same++;
				pcs[j] ^= 1ULL << (j * 7 % 64);
			}
		}
	}
	EXPECT_EQ(0, unequal);
	EXPECT_EQ(0, same);
}

/* Every sample hashes to 0: one chain holds everything. */
TEST_F(core, collisions_move_to_front)
{
	struct fixture f;
	struct tsample t[40];
	unsigned int i;

	fx_init(_metadata, &f, 1000, PROFMAP_NO_CHAIN_LIMIT);
	for (i = 0; i < 40; i++) {
		mk_sample(&t[i], &f.pool, i, 2, 3, 5);
		t[i].s.key.hash = 0;
		EXPECT_EQ(0, profmap_add(&f.agg, &t[i].s, 1, GFP_ATOMIC));
	}
	EXPECT_EQ(40, f.agg.nr_entries);
	/* Newest is at the head; a hit on the oldest moves it there. */
	EXPECT_EQ(t[39].pcs[0], f.agg.buckets[0]->stk[0]);
	EXPECT_EQ(0, profmap_add(&f.agg, &t[0].s, 1, GFP_ATOMIC));
	EXPECT_EQ(t[0].pcs[0], f.agg.buckets[0]->stk[0]);
	EXPECT_EQ(2, (u64)f.agg.buckets[0]->count);
	EXPECT_EQ(40, f.agg.max_chain);
	for (i = 0; i < 40; i++) {
		EXPECT_EQ(0, profmap_add(&f.agg, &t[i].s, 1, GFP_ATOMIC));
	}
	EXPECT_EQ(40, f.agg.nr_entries);
	/* Insertion order is unaffected by move-to-front. */
	{
		struct profmap_entry *e = f.agg.all;

		for (i = 0; i < 40 && e; i++, e = e->next_all) {
			EXPECT_EQ(t[i].pcs[0], e->stk[0]);
		}
	}
	fx_fini(_metadata, &f);
}

/* A hot map walks at most PROFMAP_HOT_CHAIN_LIMIT entries; deeper hits
 * are inserted again and the merge folds the duplicates.
 */
TEST_F(core, chain_limit_and_fold)
{
	struct fixture f;
	struct tsample t[40];
	struct profmap_entry *e;
	unsigned int i;
	u64 total = 0;

	fx_init(_metadata, &f, 1000, PROFMAP_HOT_CHAIN_LIMIT);
	for (i = 0; i < 40; i++) {
		mk_sample(&t[i], &f.pool, i, 1, 1, 5);
		t[i].s.key.hash = 7;
		profmap_add(&f.hot, &t[i].s, 1, GFP_ATOMIC);
	}
	EXPECT_EQ(0, profmap_add(&f.hot, &t[0].s, 1, GFP_ATOMIC));
	EXPECT_EQ(41, f.hot.nr_entries);		/* t[0] was too deep */
	EXPECT_EQ(PROFMAP_HOT_CHAIN_LIMIT, f.hot.max_chain);
	profmap_merge(&f.agg, &f.hot, GFP_KERNEL);
	EXPECT_EQ(0, f.hot.nr_entries);
	EXPECT_NULL(f.hot.all);
	EXPECT_EQ(40, f.agg.nr_entries);
	EXPECT_EQ(40, atomic_long_read(&f.pool.nr_entries));
	for (e = f.agg.all; e; e = e->next_all) {
		total += e->count;
		if (e->stk[0] == t[0].pcs[0]) {
			EXPECT_EQ(2, (u64)e->count);
		}
	}
	EXPECT_EQ(41, total);
	fx_fini(_metadata, &f);
}

/* Every size class holds its sizes. */
TEST_F(core, every_class)
{
	struct fixture f;
	struct tsample t;
	unsigned int cls, i, n, seed = 0;

	fx_init(_metadata, &f, 10000, PROFMAP_HOT_CHAIN_LIMIT);
	for (cls = 0; cls < PROFMAP_NR_CLASSES; cls++) {
		unsigned int sizes[2] = { profmap_class_frames(cls),
					  profmap_class_frames(cls) - 1 };
		for (i = 0; i < 2; i++) {
			long before = f.pool.stk_cache[cls]->allocs;

			n = sizes[i];
			if (n > 2 * 255)	/* nk and nu are u8 each */
				n = 2 * 255;
			if (!n)
				continue;
			mk_sample(&t, &f.pool, ++seed, n / 2, n - n / 2, 1);
			EXPECT_EQ(0, profmap_add(&f.hot, &t.s, 1, GFP_ATOMIC));
			EXPECT_EQ(before + 1, f.pool.stk_cache[cls]->allocs);
			EXPECT_EQ(0, memcmp(f.hot.last->stk, t.pcs, n * sizeof(u64)));
			EXPECT_EQ(64 + profmap_class_frames(cls) * 8,
				  profmap_entry_bytes(f.hot.last));
		}
	}
	/* A sample with no frames at all (idle, no user stack) has no array. */
	mk_sample(&t, &f.pool, 0, 0, 0, 0);
	EXPECT_EQ(0, profmap_add(&f.hot, &t.s, 1, GFP_ATOMIC));
	EXPECT_NULL(f.hot.last->stk);
	EXPECT_EQ(64, profmap_entry_bytes(f.hot.last));
	for (cls = 0; cls < PROFMAP_NR_CLASSES; cls++) {
		EXPECT_EQ(f.pool.stk_cache[cls]->live,
			  atomic_long_read(&f.pool.nr_stk[cls]));
	}
	fx_fini(_metadata, &f);
}

/* An allocation failure at each site is counted. */
TEST_F(core, alloc_failure_sites)
{
	static const char *const sites[] = { "t_entry", "t_stk8" };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct fixture f;
		struct tsample t;

		fx_init(_metadata, &f, 100, PROFMAP_HOT_CHAIN_LIMIT);
		mk_sample(&t, &f.pool, 3, 3, 3, 9);
		shim_fail.match = sites[i];
		shim_fail.nth = 1;
		EXPECT_EQ(-ENOMEM, profmap_add(&f.hot, &t.s, 5, GFP_ATOMIC));
		EXPECT_EQ(1, shim_fail.failed);
		EXPECT_EQ(1, atomic_long_read(&f.pool.alloc_failures));
		EXPECT_EQ(5, f.hot.lost_alloc);
		EXPECT_EQ(0, f.hot.nr_entries);
		EXPECT_EQ(0, atomic_long_read(&f.pool.nr_entries));
		EXPECT_EQ(0, f.pool.entry_cache->live);
		/* The next attempt succeeds and the loss stays counted. */
		EXPECT_EQ(0, profmap_add(&f.hot, &t.s, 1, GFP_ATOMIC));
		EXPECT_EQ(1, f.hot.nr_entries);
		profmap_merge(&f.agg, &f.hot, GFP_KERNEL);
		EXPECT_EQ(5, f.agg.lost_alloc);
		EXPECT_EQ(0, f.hot.lost_alloc);
		fx_fini(_metadata, &f);
	}
}

/* Pool init unwinds on each cache failure. */
TEST_F(core, pool_init_failure)
{
	struct profmap_pool pool;
	long n;

	/* Fail each cache creation in turn: nothing may be left behind. */
	for (n = 1; n <= PROFMAP_NR_CLASSES + 1; n++) {
		shim_fail_reset();
		shim_fail.create = n;
		EXPECT_EQ(-ENOMEM, profmap_pool_init(&pool, "f", 10, test_key));
		EXPECT_EQ(0, shim_caches_live);
	}
	shim_fail_reset();
}

/* The max_entries cap counts lost samples. */
TEST_F(core, cap)
{
	struct fixture f;
	struct tsample t[6];
	unsigned int i;

	fx_init(_metadata, &f, 4, PROFMAP_HOT_CHAIN_LIMIT);
	for (i = 0; i < 6; i++) {
		mk_sample(&t[i], &f.pool, i, 2, 2, 1);
		EXPECT_EQ(i < 4 ? 0 : -ENOSPC,
			  profmap_add(&f.hot, &t[i].s, 1, GFP_ATOMIC));
	}
	EXPECT_EQ(2, f.hot.lost_cap);
	EXPECT_EQ(4, atomic_long_read(&f.pool.nr_entries));
	/* Hits still count at the cap. */
	EXPECT_EQ(0, profmap_add(&f.hot, &t[0].s, 1, GFP_ATOMIC));
	/* The cap covers all maps of the pool. */
	profmap_merge(&f.agg, &f.hot, GFP_KERNEL);
	EXPECT_EQ(-ENOSPC, profmap_add(&f.hot, &t[5].s, 1, GFP_ATOMIC));
	EXPECT_EQ(1, f.hot.lost_cap);
	profmap_clear(&f.agg);
	EXPECT_EQ(0, f.agg.lost_cap);
	EXPECT_EQ(0, profmap_add(&f.hot, &t[5].s, 1, GFP_ATOMIC));
	fx_fini(_metadata, &f);
}

/* A merge of retired maps. */
TEST_F(core, merge)
{
	struct fixture f;
	struct profmap hot2;
	struct tsample t[8];
	struct profmap_entry *e;
	unsigned int i;

	fx_init(_metadata, &f, 100, PROFMAP_HOT_CHAIN_LIMIT);
	EXPECT_EQ(0, profmap_init(&hot2, &f.pool, 64, PROFMAP_HOT_CHAIN_LIMIT));
	for (i = 0; i < 8; i++)
		mk_sample(&t[i], &f.pool, i, 4, 4, 2);
	for (i = 0; i < 6; i++)		/* hot: 0..5, count i+1 */
		profmap_add(&f.hot, &t[i].s, i + 1, GFP_ATOMIC);
	for (i = 3; i < 8; i++)		/* hot2: 3..7, count 10 */
		profmap_add(&hot2, &t[i].s, 10, GFP_ATOMIC);
	f.hot.lost_cap = 3;
	hot2.lost_alloc = 4;
	profmap_merge(&f.agg, &f.hot, GFP_KERNEL);
	profmap_merge(&f.agg, &hot2, GFP_KERNEL);
	EXPECT_EQ(8, f.agg.nr_entries);
	EXPECT_EQ(8, atomic_long_read(&f.pool.nr_entries));
	EXPECT_EQ(3, f.agg.lost_cap);
	EXPECT_EQ(4, f.agg.lost_alloc);
	for (i = 0, e = f.agg.all; e; e = e->next_all, i++) {
		EXPECT_EQ(t[i].pcs[0], e->stk[0]);	/* insertion order */
		EXPECT_EQ((i < 6 ? i + 1 : 0) + (i >= 3 ? 10 : 0), (u64)e->count);
	}
	EXPECT_EQ(8, i);
	/* The sources are empty and reusable. */
	for (i = 0; i < 64; i++) {
		EXPECT_NULL(f.hot.buckets[i]);
		EXPECT_NULL(hot2.buckets[i]);
	}
	EXPECT_EQ(0, profmap_add(&hot2, &t[0].s, 1, GFP_ATOMIC));
	EXPECT_EQ(1, hot2.nr_entries);
	profmap_destroy(&hot2);
	fx_fini(_metadata, &f);
}

/*
 * Random workload against a reference model: two hot maps (two "CPUs"),
 * a slab map and a staging map with a small reserve, random failure
 * injection, a small cap, periodic merges, drains and
 * drains handed back unread (profmap_merge_list()). Invariant, key by
 * key: every sample added is either counted in exactly one entry of its
 * own key or counted as lost.
 */
#define REF_KEYS 300

/* The model key an entry holds, or -1 when it holds none. */
static int ref_key_of(const struct profmap_entry *e,
		      const struct tsample *ts)
{
	unsigned int k;

	for (k = 0; k < REF_KEYS; k++)
		if (!memcmp(&e->key, &ts[k].s.key, sizeof(e->key)) &&
		    (!e->stk || !memcmp(e->stk, ts[k].pcs,
					(e->key.nk + e->key.nu) * sizeof(u64))))
			return (int)k;
	return -1;
}

/* Credit every entry of @first on to its model key in @got; each key at
 * most once per walk (the map is unique). Returns the entries that match
 * no key or repeat one.
 */
static unsigned int ref_collect(const struct profmap_entry *first,
				const struct tsample *ts, u64 *got)
{
	static bool seen[REF_KEYS];
	const struct profmap_entry *e;
	unsigned int bad = 0;
	int k;

	memset(seen, 0, sizeof(seen));
	for (e = first; e; e = e->next_all) {
		k = ref_key_of(e, ts);
		if (k < 0 || seen[k]) {
			bad++;
			continue;
		}
		seen[k] = true;
		got[k] += e->count;
	}
	return bad;
}

/* Merge a staging map; return the samples the merge itself lost (its
 * copies into the slab failed or hit the cap).
 */
static u64 merge_staged(struct profmap *agg, struct profmap *st)
{
	u64 before = agg->lost_cap + agg->lost_alloc;

	profmap_merge(agg, st, GFP_KERNEL);
	return agg->lost_cap + agg->lost_alloc - before;
}

/* A random workload matches a model, nothing lost uncounted. */
TEST_F(core, random_model)
{
	struct fixture f;
	struct profmap hot2;
	struct profmap_list list;
	static struct tsample ts[REF_KEYS];
	static u64 ref[REF_KEYS], got[REF_KEYS];
	u64 added = 0, lost = 0, stored = 0, reserve_lost = 0, merge_lost = 0;
	u64 short_by = 0;
	unsigned int i, k, bad = 0, mismatched = 0, handed_back = 0;

	srand(12345);
	fx_init(_metadata, &f, 200, PROFMAP_HOT_CHAIN_LIMIT);
	EXPECT_EQ(0, profmap_init(&hot2, &f.pool, 64, PROFMAP_HOT_CHAIN_LIMIT));
	EXPECT_EQ(0, profmap_init_reserve(&hot2, 64, 1024));
	for (k = 0; k < REF_KEYS; k++) {
		unsigned int nk = k % 20, nu = (k * 7) % 70;

		/* Frameless samples differ by task only: give each its own. */
		mk_sample(&ts[k], &f.pool, k, nk, nu,
			  nk + nu ? k % 5 : 1000 + k);
		if (k % 3 == 0)
			ts[k].s.key.hash &= 3;	/* force collisions */
	}
	shim_fail.rate = 0.02;
	for (i = 0; i < 200000; i++) {
		struct profmap *m = (i & 1) ? &hot2 : &f.hot;

		k = (unsigned int)rand() % REF_KEYS;
		if (k > 50)
			k = (unsigned int)rand() % REF_KEYS; /* skew */
		added++;
		if (!profmap_add(m, &ts[k].s, 1, GFP_ATOMIC))
			ref[k]++;
		if (i % 997 == 0) {
			profmap_merge(&f.agg, &f.hot, GFP_KERNEL);
			merge_lost += merge_staged(&f.agg, &hot2);
		}
		if (i % 7019 == 0) {	/* a drain nobody read: handed back */
			profmap_detach(&f.agg, &list);
			profmap_merge(&f.agg, &f.hot, GFP_KERNEL);
			profmap_merge_list(&f.agg, &list);
			EXPECT_NULL(list.first);
			EXPECT_EQ(0, list.nr);
			handed_back++;
		}
		if (i % 20011 == 0) {	/* drain */
			profmap_detach(&f.agg, &list);
			bad += ref_collect(list.first, ts, got);
			lost += list.lost_alloc + list.lost_cap +
				list.lost_reserve;
			reserve_lost += list.lost_reserve;
			profmap_free_list(&f.pool, &list);
		}
	}
	shim_fail.rate = 0;
	profmap_merge(&f.agg, &f.hot, GFP_KERNEL);
	merge_lost += merge_staged(&f.agg, &hot2);
	bad += ref_collect(f.agg.all, ts, got);
	lost += f.agg.lost_alloc + f.agg.lost_cap + f.agg.lost_reserve;
	reserve_lost += f.agg.lost_reserve;
	EXPECT_EQ(0, bad);
	EXPECT_GT(reserve_lost, 0);
	EXPECT_GT(merge_lost, 0);
	EXPECT_GT(shim_fail.failed, 0);
	EXPECT_GT(lost, 0);
	EXPECT_GT(handed_back, 0);
	/* Key by key: what the maps counted is what the model stored, less
	 * what merges of the staging map lost (counted in lost).
	 */
	for (k = 0; k < REF_KEYS; k++) {
		stored += got[k];
		if (got[k] > ref[k])
			mismatched++;
		else
			short_by += ref[k] - got[k];
	}
	EXPECT_EQ(0, mismatched);
	EXPECT_EQ(merge_lost, short_by);
	EXPECT_EQ(added, stored + lost);
	profmap_destroy(&hot2);
	fx_fini(_metadata, &f);
}

/* A drain moves the whole map out without copying; the entries keep
 * their cap slots until freed, and the map is reusable at once.
 */
TEST_F(core, detach)
{
	struct fixture f;
	struct profmap_list list;
	struct tsample t[5];
	struct profmap_entry *e;
	unsigned int i;

	fx_init(_metadata, &f, 5, PROFMAP_HOT_CHAIN_LIMIT);
	for (i = 0; i < 5; i++) {
		mk_sample(&t[i], &f.pool, i, 3, 3, 1);
		profmap_add(&f.agg, &t[i].s, i + 1, GFP_ATOMIC);
	}
	f.agg.lost_cap = 7;
	f.agg.lost_alloc = 2;
	profmap_detach(&f.agg, &list);
	EXPECT_EQ(5, list.nr);
	EXPECT_EQ(7, list.lost_cap);
	EXPECT_EQ(2, list.lost_alloc);
	EXPECT_EQ(0, f.agg.nr_entries);
	EXPECT_EQ(0, f.agg.lost_cap);
	for (i = 0; i < 256; i++) {
		EXPECT_NULL(f.agg.buckets[i]);
	}
	for (i = 0, e = list.first; e; e = e->next_all, i++) {
		EXPECT_EQ(t[i].pcs[0], e->stk[0]);
		EXPECT_EQ(i + 1, (u64)e->count);
	}
	EXPECT_EQ(5, i);
	/* Still holding their slots: the cap (5) is full. */
	EXPECT_EQ(-ENOSPC, profmap_add(&f.agg, &t[0].s, 1, GFP_ATOMIC));
	profmap_free_list(&f.pool, &list);
	EXPECT_NULL(list.first);
	EXPECT_EQ(0, atomic_long_read(&f.pool.nr_entries));
	EXPECT_EQ(0, profmap_add(&f.agg, &t[0].s, 1, GFP_ATOMIC));
	EXPECT_EQ(1, f.agg.nr_entries);
	fx_fini(_metadata, &f);
}

/* A staging map takes entries and frames from its reserve: nothing from
 * the slab, nothing against the cap, until a merge copies the new
 * entries into the slab map and empties the reserve for reuse.
 */
TEST_F(core, reserve_no_slab)
{
	struct fixture f;
	struct profmap st;
	struct tsample t[3];
	struct profmap_entry *e;
	unsigned int i, round;

	fx_init(_metadata, &f, 100, PROFMAP_HOT_CHAIN_LIMIT);
	EXPECT_EQ(0, profmap_init(&st, &f.pool, 64, PROFMAP_HOT_CHAIN_LIMIT));
	EXPECT_EQ(0, profmap_init_reserve(&st, 8, 64));
	for (i = 0; i < 3; i++)
		mk_sample(&t[i], &f.pool, i, 2, i * 3, 7);
	t[0].s.key.nk = 0;		/* no frames at all: no frame slots */
	t[0].s.key.nu = 0;
	t[0].s.key.hash = profmap_hash_sample(&f.pool, &t[0].s);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 3; i++) {
			EXPECT_EQ(0, profmap_add(&st, &t[i].s, i + 1, GFP_ATOMIC));
			EXPECT_EQ(0, profmap_add(&st, &t[i].s, 1, GFP_ATOMIC));
		}
		EXPECT_EQ(round ? 5 : 0, cache_allocs(&f.pool));
		EXPECT_EQ(round ? 3 : 0, atomic_long_read(&f.pool.nr_entries));
		EXPECT_EQ(3, st.nr_entries);
		EXPECT_EQ(3, st.res.used_ents);
		EXPECT_EQ(0 + 5 + 8, st.res.used_frames);
		EXPECT_NULL(st.all->stk);
		EXPECT_GE(st.last->stk, st.res.frames);
		EXPECT_LE(st.last->stk + 8, st.res.frames + 64);
		EXPECT_FALSE(profmap_reserve_low(&st));
		profmap_merge(&f.agg, &st, GFP_KERNEL);
		EXPECT_EQ(0, st.nr_entries);
		EXPECT_EQ(0, st.res.used_ents);
		EXPECT_EQ(0, st.res.used_frames);
		EXPECT_NULL(st.all);
		for (i = 0; i < 64; i++) {
			EXPECT_NULL(st.buckets[i]);
		}
	}
	/* Three merges of the same keys: copied once, counts added. */
	EXPECT_EQ(3, f.agg.nr_entries);
	EXPECT_EQ(3, atomic_long_read(&f.pool.nr_entries));
	EXPECT_EQ(5, cache_allocs(&f.pool));	/* 3 entries + 2 stacks */
	for (i = 0, e = f.agg.all; e; e = e->next_all, i++) {
		EXPECT_TRUE(e < st.res.ents || e >= st.res.ents + 8);
		EXPECT_EQ(3 * (i + 2), (u64)e->count);
		EXPECT_EQ(t[i].s.key.nu, e->key.nu);
		EXPECT_STREQ("worker", e->comm);
		if (i) {
			EXPECT_EQ(0, memcmp(e->stk, t[i].pcs,
					    (2 + i * 3) * sizeof(u64)));
		}
	}
	EXPECT_EQ(3, i);
	profmap_destroy(&st);
	fx_fini(_metadata, &f);
}

/* An exhausted reserve (entry slots or frame slots) loses the sample,
 * counted in lost_reserve; the merge carries the count and frees the
 * reserve again. profmap_reserve_low() says when half is used.
 */
TEST_F(core, reserve_exhaustion)
{
	struct fixture f;
	struct profmap st;
	struct tsample t[6], big;
	unsigned int i;

	fx_init(_metadata, &f, 100, PROFMAP_HOT_CHAIN_LIMIT);
	EXPECT_EQ(0, profmap_init(&st, &f.pool, 64, PROFMAP_HOT_CHAIN_LIMIT));
	EXPECT_EQ(0, profmap_init_reserve(&st, 4, 40));
	for (i = 0; i < 6; i++)
		mk_sample(&t[i], &f.pool, i, 1, 1, 3);
	mk_sample(&big, &f.pool, 99, 20, 19, 3);
	for (i = 0; i < 6; i++) {
		EXPECT_EQ(i < 4 ? 0 : -ENOBUFS,
			  profmap_add(&st, &t[i].s, 2, GFP_ATOMIC));
		EXPECT_EQ(i >= 1, profmap_reserve_low(&st));
	}
	EXPECT_EQ(4, st.lost_reserve);
	EXPECT_EQ(0, profmap_add(&st, &t[3].s, 1, GFP_ATOMIC));	/* a hit */
	EXPECT_EQ(0, cache_allocs(&f.pool));
	profmap_merge(&f.agg, &st, GFP_KERNEL);
	EXPECT_EQ(4, f.agg.lost_reserve);
	EXPECT_EQ(0, st.lost_reserve);
	/* Frame slots: 39 frames fit in 40, the next 2 do not. */
	EXPECT_EQ(0, profmap_add(&st, &big.s, 1, GFP_ATOMIC));
	EXPECT_TRUE(profmap_reserve_low(&st));
	EXPECT_EQ(-ENOBUFS, profmap_add(&st, &t[0].s, 5, GFP_ATOMIC));
	EXPECT_EQ(5, st.lost_reserve);
	EXPECT_EQ(1, st.nr_entries);
	profmap_clear(&st);	/* clear empties the reserve too */
	EXPECT_EQ(0, st.res.used_frames);
	EXPECT_EQ(0, st.lost_reserve);
	EXPECT_EQ(0, profmap_add(&st, &t[0].s, 1, GFP_ATOMIC));
	EXPECT_EQ(-ENOBUFS, profmap_add(&st, &big.s, 1, GFP_ATOMIC));
	profmap_destroy(&st);
	EXPECT_NULL(st.res.ents);
	fx_fini(_metadata, &f);
}

/* The cap applies to the copies a merge makes, and a failed copy is
 * counted, never dropped: the same key staged on two "CPUs" takes one
 * slot.
 */
TEST_F(core, reserve_merge_cap_failure)
{
	struct fixture f;
	struct profmap st[2];
	struct tsample t[6];
	unsigned int i, j;
	u64 total = 0;
	struct profmap_entry *e;

	fx_init(_metadata, &f, 4, PROFMAP_HOT_CHAIN_LIMIT);
	for (j = 0; j < 2; j++) {
		EXPECT_EQ(0, profmap_init(&st[j], &f.pool, 64,
					  PROFMAP_HOT_CHAIN_LIMIT));
		EXPECT_EQ(0, profmap_init_reserve(&st[j], 16, 256));
	}
	for (i = 0; i < 6; i++) {
		mk_sample(&t[i], &f.pool, i, 3, 3, 1);
		for (j = 0; j < 2; j++)	/* every key on both */ {
			EXPECT_EQ(0, profmap_add(&st[j], &t[i].s, 1, GFP_ATOMIC));
		}
	}
	/* Cap 4: the 12 staged entries are 6 keys, and the 2nd copy fails:
	 * st[0] gives t0, t2, t3, t4 (t1 failed, t5 over the cap); st[1]
	 * adds to those and loses t1 and t5 to the cap.
	 */
	shim_fail.match = "t_entry";
	shim_fail.nth = 2;
	profmap_merge(&f.agg, &st[0], GFP_KERNEL);
	profmap_merge(&f.agg, &st[1], GFP_KERNEL);
	EXPECT_EQ(1, shim_fail.failed);
	EXPECT_EQ(4, f.agg.nr_entries);
	EXPECT_EQ(4, atomic_long_read(&f.pool.nr_entries));
	EXPECT_EQ(4, f.pool.entry_cache->live);
	EXPECT_EQ(1, f.agg.lost_alloc);
	EXPECT_EQ(3, f.agg.lost_cap);
	for (e = f.agg.all; e; e = e->next_all)
		total += e->count;
	EXPECT_EQ(12, total + f.agg.lost_alloc + f.agg.lost_cap);
	for (j = 0; j < 2; j++)
		profmap_destroy(&st[j]);
	fx_fini(_metadata, &f);
}

/* The fair share: past 75 entries, an owner (here tgid) holding 25 gets no
 * new entry (lost_share), others still do up to the cap; a merge applies
 * it to staged copies, a hand-back never; clear and detach reset it.
 */
TEST_F(core, share)
{
	struct fixture f;
	struct profmap st;
	struct profmap_list list;
	struct tsample t;
	unsigned int i;

	fx_init(_metadata, &f, 100, PROFMAP_HOT_CHAIN_LIMIT);
	EXPECT_EQ(0, profmap_init_share(&f.agg, 75, 25));
	for (i = 0; i < 80; i++) {		/* tgid 1 floods */
		mk_sample(&t, &f.pool, i, 2, 2, 1);
		EXPECT_EQ(i < 75 ? 0 : -EDQUOT,
			  profmap_add(&f.agg, &t.s, 1, GFP_ATOMIC));
	}
	EXPECT_EQ(5, f.agg.lost_share);
	mk_sample(&t, &f.pool, 3, 2, 2, 1);	/* a hit is never refused */
	EXPECT_EQ(0, profmap_add(&f.agg, &t.s, 1, GFP_ATOMIC));
	EXPECT_EQ(0, profmap_init(&st, &f.pool, 64, PROFMAP_HOT_CHAIN_LIMIT));
	EXPECT_EQ(0, profmap_init_reserve(&st, 64, 1024));
	for (i = 0; i < 30; i++) {		/* tgid 2 is below its share */
		mk_sample(&t, &f.pool, 1000 + i, 2, 2, 2);
		EXPECT_EQ(0, profmap_add(&st, &t.s, 1, GFP_ATOMIC));
	}
	mk_sample(&t, &f.pool, 2000, 2, 2, 1);	/* tgid 1 again, staged */
	EXPECT_EQ(0, profmap_add(&st, &t.s, 7, GFP_ATOMIC));
	profmap_merge(&f.agg, &st, GFP_KERNEL);
	EXPECT_EQ(100, f.agg.nr_entries);	/* 75 + 25 of tgid 2 */
	/* tgid 2 at its share too (25 of 30), and tgid 1's 7. */
	EXPECT_EQ(5 + 5 + 7, f.agg.lost_share);
	EXPECT_EQ(0, f.agg.lost_cap);
	/* A drain handed back is relinked, never refused. */
	profmap_detach(&f.agg, &list);
	mk_sample(&t, &f.pool, 3000, 2, 2, 1);
	EXPECT_EQ(-ENOSPC, profmap_add(&f.agg, &t.s, 1, GFP_ATOMIC));
	profmap_merge_list(&f.agg, &list);
	EXPECT_EQ(100, f.agg.nr_entries);
	EXPECT_EQ(17, f.agg.lost_share);
	profmap_clear(&f.agg);
	for (i = 0; i < 80; i++) {		/* counts restart with the map */
		mk_sample(&t, &f.pool, i, 2, 2, 1);
		EXPECT_EQ(i < 75 ? 0 : -EDQUOT,
			  profmap_add(&f.agg, &t.s, 1, GFP_ATOMIC));
	}
	profmap_destroy(&st);
	fx_fini(_metadata, &f);
}

/* The share is the owner's, not the process's: four processes of one
 * owner (a user who forks) hold 25 between them past 75 entries; another
 * owner still gets entries. The owner is not part of the identity: the
 * same key from another owner is a hit, counted in the first's entry.
 */
TEST_F(core, share_per_owner)
{
	struct fixture f;
	struct tsample t;
	unsigned int i, refused = 0;

	fx_init(_metadata, &f, 200, PROFMAP_HOT_CHAIN_LIMIT);
	EXPECT_EQ(0, profmap_init_share(&f.agg, 75, 25));
	for (i = 0; i < 75; i++) {		/* fill to where it applies */
		mk_sample(&t, &f.pool, i, 2, 2, 100 + i % 50);
		EXPECT_EQ(0, profmap_add(&f.agg, &t.s, 1, GFP_ATOMIC));
	}
	for (i = 0; i < 40; i++) {		/* owner 7 from four tgids */
		mk_sample(&t, &f.pool, 1000 + i, 2, 2, 1 + i % 4);
		t.s.key.owner = 7;
		t.s.key.hash = profmap_hash_sample(&f.pool, &t.s);
		refused += profmap_add(&f.agg, &t.s, 1, GFP_ATOMIC) == -EDQUOT;
	}
	EXPECT_EQ(75 + 25, f.agg.nr_entries);
	EXPECT_EQ(15, refused);
	EXPECT_EQ(15, f.agg.lost_share);
	mk_sample(&t, &f.pool, 5000, 2, 2, 9);	/* owner 9 is below it */
	EXPECT_EQ(0, profmap_add(&f.agg, &t.s, 1, GFP_ATOMIC));
	mk_sample(&t, &f.pool, 1000, 2, 2, 1);	/* owner 7's first key... */
	t.s.key.owner = 8;			/* ...now from owner 8: a hit */
	EXPECT_EQ(0, profmap_add(&f.agg, &t.s, 5, GFP_ATOMIC));
	EXPECT_EQ(75 + 25 + 1, f.agg.nr_entries);
	fx_fini(_metadata, &f);
}

/* The memory target: entry + array <= 1.5x raw stack bytes + 64. */
TEST_F(core, memory_bound)
{
	unsigned int n;

	for (n = 8; n <= PROFMAP_MAX_FRAMES; n++) {
		size_t held = 64 + profmap_class_frames(profmap_class(n)) * 8;

		EXPECT_LE(held * 2, 3 * (n * 8) + 128);
	}
}

TEST_HARNESS_MAIN
