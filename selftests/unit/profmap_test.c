// SPDX-License-Identifier: GPL-2.0
/*
 * profmap_test.c - unit tests of the profmap core (module/profmap.c,
 * compiled unchanged against shim/) under ASan and UBSan.
 *
 * Output is TAP; exit status is non-zero when any test fails.
 */
#include "shim.h"
#include "../../module/profmap.h"

static int tap_n, tap_failed;
static const char *cur_test;
static int cur_failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("#   %s:%d: %s: check failed: %s\n", __FILE__,	\
		       __LINE__, cur_test, #cond);			\
		cur_failures++;						\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b) {							\
		printf("#   %s:%d: %s: %s == %lld, expected %s == %lld\n",\
		       __FILE__, __LINE__, cur_test, #a, _a, #b, _b);	\
		cur_failures++;						\
	}								\
} while (0)

static const u64 test_key[2] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };

struct fixture {
	struct profmap_pool pool;
	struct profmap hot;
	struct profmap agg;
};

static void fx_init(struct fixture *f, long max_entries, u32 hot_limit)
{
	shim_fail_reset();
	CHECK_EQ(profmap_pool_init(&f->pool, "t", max_entries, test_key), 0);
	CHECK_EQ(profmap_init(&f->hot, &f->pool, 64, hot_limit), 0);
	CHECK_EQ(profmap_init(&f->agg, &f->pool, 256, PROFMAP_NO_CHAIN_LIMIT), 0);
}

static void fx_fini(struct fixture *f)
{
	long leaks = shim_leak_reports;

	profmap_destroy(&f->hot);
	profmap_destroy(&f->agg);
	CHECK_EQ(atomic_long_read(&f->pool.nr_entries), 0);
	profmap_pool_destroy(&f->pool);
	CHECK_EQ(shim_leak_reports, leaks);
	CHECK_EQ(shim_caches_live, 0);
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
		.key = { .tgid = tid, .tid = tid, .nk = nk, .nu = nu },
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

static void test_classes(void)
{
	unsigned int n, cls;

	for (n = 1; n <= PROFMAP_MAX_FRAMES; n++) {
		cls = profmap_class(n);
		CHECK(profmap_class_frames(cls) >= n);
		if (cls)
			CHECK(profmap_class_frames(cls - 1) < n);
		/* The memory target: stack array <= 1.5x raw from 8 frames. */
		if (n >= 8)
			CHECK(profmap_class_frames(cls) * 2 <= 3 * n);
	}
	CHECK_EQ(sizeof(struct profmap_entry), 64);
}

static void test_hit_no_alloc(void)
{
	struct fixture f;
	struct tsample t;
	long allocs;
	int i;

	fx_init(&f, 100, PROFMAP_HOT_CHAIN_LIMIT);
	mk_sample(&t, &f.pool, 1, 3, 4, 42);
	CHECK_EQ(profmap_add(&f.hot, &t.s, 1, GFP_ATOMIC), 0);
	allocs = cache_allocs(&f.pool);
	CHECK_EQ(allocs, 2);
	for (i = 0; i < 1000; i++)
		CHECK_EQ(profmap_add(&f.hot, &t.s, 1, GFP_ATOMIC), 0);
	CHECK_EQ(cache_allocs(&f.pool), allocs);
	CHECK(only_entry(&f.hot));
	if (only_entry(&f.hot)) {
		struct profmap_entry *e = f.hot.all;

		CHECK_EQ(e->count, 1001);
		CHECK_EQ(e->key.nk, 3);
		CHECK_EQ(e->key.nu, 4);
		CHECK_EQ(e->key.tid, 42);
		CHECK(!strcmp(e->comm, "worker"));
		CHECK(!memcmp(e->stk, t.pcs, 7 * sizeof(u64)));
	}
	fx_fini(&f);
}

static void test_keys_distinguish(void)
{
	struct fixture f;
	struct tsample a, b, c, d, e;

	fx_init(&f, 100, PROFMAP_HOT_CHAIN_LIMIT);
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
	CHECK_EQ(f.hot.nr_entries, 5);
	CHECK_EQ(f.hot.all->count, 2);
	fx_fini(&f);
}

static void test_hash_keyed(void)
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
	CHECK(same < 2);
	/* Hashing frame by frame equals hashing the whole sample. */
	mk_sample(&t, &p1, 7, 5, 9, 3);
	h = profmap_hash_start(&p1);
	for (i = 0; i < 14; i++)
		h = profmap_hash_step(&p1, h, t.pcs[i]);
	CHECK_EQ(profmap_hash_final(&p1, h, &t.s), t.s.key.hash);
}

/* Every sample hashes to 0: one chain holds everything. */
static void test_collisions_move_to_front(void)
{
	struct fixture f;
	struct tsample t[40];
	unsigned int i;

	fx_init(&f, 1000, PROFMAP_NO_CHAIN_LIMIT);
	for (i = 0; i < 40; i++) {
		mk_sample(&t[i], &f.pool, i, 2, 3, 5);
		t[i].s.key.hash = 0;
		CHECK_EQ(profmap_add(&f.agg, &t[i].s, 1, GFP_ATOMIC), 0);
	}
	CHECK_EQ(f.agg.nr_entries, 40);
	/* Newest is at the head; a hit on the oldest moves it there. */
	CHECK(f.agg.buckets[0]->stk[0] == t[39].pcs[0]);
	CHECK_EQ(profmap_add(&f.agg, &t[0].s, 1, GFP_ATOMIC), 0);
	CHECK(f.agg.buckets[0]->stk[0] == t[0].pcs[0]);
	CHECK_EQ(f.agg.buckets[0]->count, 2);
	CHECK_EQ(f.agg.max_chain, 40);
	for (i = 0; i < 40; i++)
		CHECK_EQ(profmap_add(&f.agg, &t[i].s, 1, GFP_ATOMIC), 0);
	CHECK_EQ(f.agg.nr_entries, 40);
	/* Insertion order is unaffected by move-to-front. */
	{
		struct profmap_entry *e = f.agg.all;

		for (i = 0; i < 40 && e; i++, e = e->next_all)
			CHECK(e->stk[0] == t[i].pcs[0]);
	}
	fx_fini(&f);
}

/* A hot map walks at most PROFMAP_HOT_CHAIN_LIMIT entries; deeper hits
 * are inserted again and the merge folds the duplicates.
 */
static void test_chain_limit_and_fold(void)
{
	struct fixture f;
	struct tsample t[40];
	struct profmap_entry *e;
	unsigned int i;
	u64 total = 0;

	fx_init(&f, 1000, PROFMAP_HOT_CHAIN_LIMIT);
	for (i = 0; i < 40; i++) {
		mk_sample(&t[i], &f.pool, i, 1, 1, 5);
		t[i].s.key.hash = 7;
		profmap_add(&f.hot, &t[i].s, 1, GFP_ATOMIC);
	}
	CHECK_EQ(profmap_add(&f.hot, &t[0].s, 1, GFP_ATOMIC), 0);
	CHECK_EQ(f.hot.nr_entries, 41);		/* t[0] was too deep */
	CHECK_EQ(f.hot.max_chain, PROFMAP_HOT_CHAIN_LIMIT);
	profmap_merge(&f.agg, &f.hot, GFP_KERNEL);
	CHECK_EQ(f.hot.nr_entries, 0);
	CHECK(f.hot.all == NULL);
	CHECK_EQ(f.agg.nr_entries, 40);
	CHECK_EQ(atomic_long_read(&f.pool.nr_entries), 40);
	for (e = f.agg.all; e; e = e->next_all) {
		total += e->count;
		if (e->stk[0] == t[0].pcs[0])
			CHECK_EQ(e->count, 2);
	}
	CHECK_EQ(total, 41);
	fx_fini(&f);
}

static void test_every_class(void)
{
	struct fixture f;
	struct tsample t;
	unsigned int cls, i, n, seed = 0;

	fx_init(&f, 10000, PROFMAP_HOT_CHAIN_LIMIT);
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
			CHECK_EQ(profmap_add(&f.hot, &t.s, 1, GFP_ATOMIC), 0);
			CHECK_EQ(f.pool.stk_cache[cls]->allocs, before + 1);
			CHECK(!memcmp(f.hot.last->stk, t.pcs, n * sizeof(u64)));
			CHECK_EQ(profmap_entry_bytes(f.hot.last),
				 64 + profmap_class_frames(cls) * 8);
		}
	}
	/* A sample with no frames at all (idle, no user stack) has no array. */
	mk_sample(&t, &f.pool, 0, 0, 0, 0);
	CHECK_EQ(profmap_add(&f.hot, &t.s, 1, GFP_ATOMIC), 0);
	CHECK(f.hot.last->stk == NULL);
	CHECK_EQ(profmap_entry_bytes(f.hot.last), 64);
	for (cls = 0; cls < PROFMAP_NR_CLASSES; cls++)
		CHECK_EQ(atomic_long_read(&f.pool.nr_stk[cls]),
			 f.pool.stk_cache[cls]->live);
	fx_fini(&f);
}

static void test_alloc_failure_sites(void)
{
	static const char *const sites[] = { "t_entry", "t_stk8" };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct fixture f;
		struct tsample t;

		fx_init(&f, 100, PROFMAP_HOT_CHAIN_LIMIT);
		mk_sample(&t, &f.pool, 3, 3, 3, 9);
		shim_fail.match = sites[i];
		shim_fail.nth = 1;
		CHECK_EQ(profmap_add(&f.hot, &t.s, 5, GFP_ATOMIC), -ENOMEM);
		CHECK_EQ(shim_fail.failed, 1);
		CHECK_EQ(atomic_long_read(&f.pool.alloc_failures), 1);
		CHECK_EQ(f.hot.lost_alloc, 5);
		CHECK_EQ(f.hot.nr_entries, 0);
		CHECK_EQ(atomic_long_read(&f.pool.nr_entries), 0);
		CHECK_EQ(f.pool.entry_cache->live, 0);
		/* The next attempt succeeds and the loss stays counted. */
		CHECK_EQ(profmap_add(&f.hot, &t.s, 1, GFP_ATOMIC), 0);
		CHECK_EQ(f.hot.nr_entries, 1);
		profmap_merge(&f.agg, &f.hot, GFP_KERNEL);
		CHECK_EQ(f.agg.lost_alloc, 5);
		CHECK_EQ(f.hot.lost_alloc, 0);
		fx_fini(&f);
	}
}

static void test_pool_init_failure(void)
{
	struct profmap_pool pool;
	long n;

	/* Fail each cache creation in turn: nothing may be left behind. */
	for (n = 1; n <= PROFMAP_NR_CLASSES + 1; n++) {
		shim_fail_reset();
		shim_fail.create = n;
		CHECK_EQ(profmap_pool_init(&pool, "f", 10, test_key), -ENOMEM);
		CHECK_EQ(shim_caches_live, 0);
	}
	shim_fail_reset();
}

static void test_cap(void)
{
	struct fixture f;
	struct tsample t[6];
	unsigned int i;

	fx_init(&f, 4, PROFMAP_HOT_CHAIN_LIMIT);
	for (i = 0; i < 6; i++) {
		mk_sample(&t[i], &f.pool, i, 2, 2, 1);
		CHECK_EQ(profmap_add(&f.hot, &t[i].s, 1, GFP_ATOMIC),
			 i < 4 ? 0 : -ENOSPC);
	}
	CHECK_EQ(f.hot.lost_cap, 2);
	CHECK_EQ(atomic_long_read(&f.pool.nr_entries), 4);
	/* Hits still count at the cap. */
	CHECK_EQ(profmap_add(&f.hot, &t[0].s, 1, GFP_ATOMIC), 0);
	/* The cap covers all maps of the pool. */
	profmap_merge(&f.agg, &f.hot, GFP_KERNEL);
	CHECK_EQ(profmap_add(&f.hot, &t[5].s, 1, GFP_ATOMIC), -ENOSPC);
	CHECK_EQ(f.hot.lost_cap, 1);
	profmap_clear(&f.agg);
	CHECK_EQ(f.agg.lost_cap, 0);
	CHECK_EQ(profmap_add(&f.hot, &t[5].s, 1, GFP_ATOMIC), 0);
	fx_fini(&f);
}

static void test_merge(void)
{
	struct fixture f;
	struct profmap hot2;
	struct tsample t[8];
	struct profmap_entry *e;
	unsigned int i;

	fx_init(&f, 100, PROFMAP_HOT_CHAIN_LIMIT);
	CHECK_EQ(profmap_init(&hot2, &f.pool, 64, PROFMAP_HOT_CHAIN_LIMIT), 0);
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
	CHECK_EQ(f.agg.nr_entries, 8);
	CHECK_EQ(atomic_long_read(&f.pool.nr_entries), 8);
	CHECK_EQ(f.agg.lost_cap, 3);
	CHECK_EQ(f.agg.lost_alloc, 4);
	for (i = 0, e = f.agg.all; e; e = e->next_all, i++) {
		CHECK(e->stk[0] == t[i].pcs[0]);	/* insertion order */
		CHECK_EQ(e->count, (i < 6 ? i + 1 : 0) + (i >= 3 ? 10 : 0));
	}
	CHECK_EQ(i, 8);
	/* The sources are empty and reusable. */
	for (i = 0; i < 64; i++) {
		CHECK(f.hot.buckets[i] == NULL);
		CHECK(hot2.buckets[i] == NULL);
	}
	CHECK_EQ(profmap_add(&hot2, &t[0].s, 1, GFP_ATOMIC), 0);
	CHECK_EQ(hot2.nr_entries, 1);
	profmap_destroy(&hot2);
	fx_fini(&f);
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

static void test_random_model(void)
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
	fx_init(&f, 200, PROFMAP_HOT_CHAIN_LIMIT);
	CHECK_EQ(profmap_init(&hot2, &f.pool, 64, PROFMAP_HOT_CHAIN_LIMIT), 0);
	CHECK_EQ(profmap_init_reserve(&hot2, 64, 1024), 0);
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
			CHECK(list.first == NULL && list.nr == 0);
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
	CHECK_EQ(bad, 0);
	CHECK(reserve_lost > 0);
	CHECK(merge_lost > 0);
	CHECK(shim_fail.failed > 0);
	CHECK(lost > 0);
	CHECK(handed_back > 0);
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
	CHECK_EQ(mismatched, 0);
	CHECK_EQ(short_by, merge_lost);
	CHECK_EQ(stored + lost, added);
	profmap_destroy(&hot2);
	fx_fini(&f);
}

/* A drain moves the whole map out without copying; the entries keep
 * their cap slots until freed, and the map is reusable at once.
 */
static void test_detach(void)
{
	struct fixture f;
	struct profmap_list list;
	struct tsample t[5];
	struct profmap_entry *e;
	unsigned int i;

	fx_init(&f, 5, PROFMAP_HOT_CHAIN_LIMIT);
	for (i = 0; i < 5; i++) {
		mk_sample(&t[i], &f.pool, i, 3, 3, 1);
		profmap_add(&f.agg, &t[i].s, i + 1, GFP_ATOMIC);
	}
	f.agg.lost_cap = 7;
	f.agg.lost_alloc = 2;
	profmap_detach(&f.agg, &list);
	CHECK_EQ(list.nr, 5);
	CHECK_EQ(list.lost_cap, 7);
	CHECK_EQ(list.lost_alloc, 2);
	CHECK_EQ(f.agg.nr_entries, 0);
	CHECK_EQ(f.agg.lost_cap, 0);
	for (i = 0; i < 256; i++)
		CHECK(f.agg.buckets[i] == NULL);
	for (i = 0, e = list.first; e; e = e->next_all, i++) {
		CHECK(e->stk[0] == t[i].pcs[0]);
		CHECK_EQ(e->count, i + 1);
	}
	CHECK_EQ(i, 5);
	/* Still holding their slots: the cap (5) is full. */
	CHECK_EQ(profmap_add(&f.agg, &t[0].s, 1, GFP_ATOMIC), -ENOSPC);
	profmap_free_list(&f.pool, &list);
	CHECK(list.first == NULL);
	CHECK_EQ(atomic_long_read(&f.pool.nr_entries), 0);
	CHECK_EQ(profmap_add(&f.agg, &t[0].s, 1, GFP_ATOMIC), 0);
	CHECK_EQ(f.agg.nr_entries, 1);
	fx_fini(&f);
}

/* A staging map takes entries and frames from its reserve: nothing from
 * the slab, nothing against the cap, until a merge copies the new
 * entries into the slab map and empties the reserve for reuse.
 */
static void test_reserve_no_slab(void)
{
	struct fixture f;
	struct profmap st;
	struct tsample t[3];
	struct profmap_entry *e;
	unsigned int i, round;

	fx_init(&f, 100, PROFMAP_HOT_CHAIN_LIMIT);
	CHECK_EQ(profmap_init(&st, &f.pool, 64, PROFMAP_HOT_CHAIN_LIMIT), 0);
	CHECK_EQ(profmap_init_reserve(&st, 8, 64), 0);
	for (i = 0; i < 3; i++)
		mk_sample(&t[i], &f.pool, i, 2, i * 3, 7);
	t[0].s.key.nk = 0;		/* no frames at all: no frame slots */
	t[0].s.key.nu = 0;
	t[0].s.key.hash = profmap_hash_sample(&f.pool, &t[0].s);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 3; i++) {
			CHECK_EQ(profmap_add(&st, &t[i].s, i + 1, GFP_ATOMIC), 0);
			CHECK_EQ(profmap_add(&st, &t[i].s, 1, GFP_ATOMIC), 0);
		}
		CHECK_EQ(cache_allocs(&f.pool), round ? 5 : 0);
		CHECK_EQ(atomic_long_read(&f.pool.nr_entries), round ? 3 : 0);
		CHECK_EQ(st.nr_entries, 3);
		CHECK_EQ(st.res.used_ents, 3);
		CHECK_EQ(st.res.used_frames, 0 + 5 + 8);
		CHECK(st.all->stk == NULL);
		CHECK(st.last->stk >= st.res.frames &&
		      st.last->stk + 8 <= st.res.frames + 64);
		CHECK(!profmap_reserve_low(&st));
		profmap_merge(&f.agg, &st, GFP_KERNEL);
		CHECK_EQ(st.nr_entries, 0);
		CHECK_EQ(st.res.used_ents, 0);
		CHECK_EQ(st.res.used_frames, 0);
		CHECK(st.all == NULL);
		for (i = 0; i < 64; i++)
			CHECK(st.buckets[i] == NULL);
	}
	/* Three merges of the same keys: copied once, counts added. */
	CHECK_EQ(f.agg.nr_entries, 3);
	CHECK_EQ(atomic_long_read(&f.pool.nr_entries), 3);
	CHECK_EQ(cache_allocs(&f.pool), 5);	/* 3 entries + 2 stacks */
	for (i = 0, e = f.agg.all; e; e = e->next_all, i++) {
		CHECK(e < st.res.ents || e >= st.res.ents + 8);
		CHECK_EQ(e->count, 3 * (i + 2));
		CHECK_EQ(e->key.nu, t[i].s.key.nu);
		CHECK(!strcmp(e->comm, "worker"));
		if (i)
			CHECK(!memcmp(e->stk, t[i].pcs,
				      (2 + i * 3) * sizeof(u64)));
	}
	CHECK_EQ(i, 3);
	profmap_destroy(&st);
	fx_fini(&f);
}

/* An exhausted reserve (entry slots or frame slots) loses the sample,
 * counted in lost_reserve; the merge carries the count and frees the
 * reserve again. profmap_reserve_low() says when half is used.
 */
static void test_reserve_exhaustion(void)
{
	struct fixture f;
	struct profmap st;
	struct tsample t[6], big;
	unsigned int i;

	fx_init(&f, 100, PROFMAP_HOT_CHAIN_LIMIT);
	CHECK_EQ(profmap_init(&st, &f.pool, 64, PROFMAP_HOT_CHAIN_LIMIT), 0);
	CHECK_EQ(profmap_init_reserve(&st, 4, 40), 0);
	for (i = 0; i < 6; i++)
		mk_sample(&t[i], &f.pool, i, 1, 1, 3);
	mk_sample(&big, &f.pool, 99, 20, 19, 3);
	for (i = 0; i < 6; i++) {
		CHECK_EQ(profmap_add(&st, &t[i].s, 2, GFP_ATOMIC),
			 i < 4 ? 0 : -ENOBUFS);
		CHECK_EQ(profmap_reserve_low(&st), i >= 1);
	}
	CHECK_EQ(st.lost_reserve, 4);
	CHECK_EQ(profmap_add(&st, &t[3].s, 1, GFP_ATOMIC), 0);	/* a hit */
	CHECK_EQ(cache_allocs(&f.pool), 0);
	profmap_merge(&f.agg, &st, GFP_KERNEL);
	CHECK_EQ(f.agg.lost_reserve, 4);
	CHECK_EQ(st.lost_reserve, 0);
	/* Frame slots: 39 frames fit in 40, the next 2 do not. */
	CHECK_EQ(profmap_add(&st, &big.s, 1, GFP_ATOMIC), 0);
	CHECK(profmap_reserve_low(&st));
	CHECK_EQ(profmap_add(&st, &t[0].s, 5, GFP_ATOMIC), -ENOBUFS);
	CHECK_EQ(st.lost_reserve, 5);
	CHECK_EQ(st.nr_entries, 1);
	profmap_clear(&st);	/* clear empties the reserve too */
	CHECK_EQ(st.res.used_frames, 0);
	CHECK_EQ(st.lost_reserve, 0);
	CHECK_EQ(profmap_add(&st, &t[0].s, 1, GFP_ATOMIC), 0);
	CHECK_EQ(profmap_add(&st, &big.s, 1, GFP_ATOMIC), -ENOBUFS);
	profmap_destroy(&st);
	CHECK(st.res.ents == NULL);
	fx_fini(&f);
}

/* The cap applies to the copies a merge makes, and a failed copy is
 * counted, never dropped: the same key staged on two "CPUs" takes one
 * slot.
 */
static void test_reserve_merge_cap_failure(void)
{
	struct fixture f;
	struct profmap st[2];
	struct tsample t[6];
	unsigned int i, j;
	u64 total = 0;
	struct profmap_entry *e;

	fx_init(&f, 4, PROFMAP_HOT_CHAIN_LIMIT);
	for (j = 0; j < 2; j++) {
		CHECK_EQ(profmap_init(&st[j], &f.pool, 64,
				      PROFMAP_HOT_CHAIN_LIMIT), 0);
		CHECK_EQ(profmap_init_reserve(&st[j], 16, 256), 0);
	}
	for (i = 0; i < 6; i++) {
		mk_sample(&t[i], &f.pool, i, 3, 3, 1);
		for (j = 0; j < 2; j++)	/* every key on both */
			CHECK_EQ(profmap_add(&st[j], &t[i].s, 1, GFP_ATOMIC), 0);
	}
	/* Cap 4: the 12 staged entries are 6 keys, and the 2nd copy fails:
	 * st[0] gives t0, t2, t3, t4 (t1 failed, t5 over the cap); st[1]
	 * adds to those and loses t1 and t5 to the cap.
	 */
	shim_fail.match = "t_entry";
	shim_fail.nth = 2;
	profmap_merge(&f.agg, &st[0], GFP_KERNEL);
	profmap_merge(&f.agg, &st[1], GFP_KERNEL);
	CHECK_EQ(shim_fail.failed, 1);
	CHECK_EQ(f.agg.nr_entries, 4);
	CHECK_EQ(atomic_long_read(&f.pool.nr_entries), 4);
	CHECK_EQ(f.pool.entry_cache->live, 4);
	CHECK_EQ(f.agg.lost_alloc, 1);
	CHECK_EQ(f.agg.lost_cap, 3);
	for (e = f.agg.all; e; e = e->next_all)
		total += e->count;
	CHECK_EQ(total + f.agg.lost_alloc + f.agg.lost_cap, 12);
	for (j = 0; j < 2; j++)
		profmap_destroy(&st[j]);
	fx_fini(&f);
}

/* The fair share: past 75 entries, an owner (tgid) holding 25 gets no
 * new entry (lost_share), others still do up to the cap; a merge applies
 * it to staged copies, a hand-back never; clear and detach reset it.
 */
static void test_share(void)
{
	struct fixture f;
	struct profmap st;
	struct profmap_list list;
	struct tsample t;
	unsigned int i;

	fx_init(&f, 100, PROFMAP_HOT_CHAIN_LIMIT);
	CHECK_EQ(profmap_init_share(&f.agg, 75, 25), 0);
	for (i = 0; i < 80; i++) {		/* tgid 1 floods */
		mk_sample(&t, &f.pool, i, 2, 2, 1);
		CHECK_EQ(profmap_add(&f.agg, &t.s, 1, GFP_ATOMIC),
			 i < 75 ? 0 : -EDQUOT);
	}
	CHECK_EQ(f.agg.lost_share, 5);
	mk_sample(&t, &f.pool, 3, 2, 2, 1);	/* a hit is never refused */
	CHECK_EQ(profmap_add(&f.agg, &t.s, 1, GFP_ATOMIC), 0);
	CHECK_EQ(profmap_init(&st, &f.pool, 64, PROFMAP_HOT_CHAIN_LIMIT), 0);
	CHECK_EQ(profmap_init_reserve(&st, 64, 1024), 0);
	for (i = 0; i < 30; i++) {		/* tgid 2 is below its share */
		mk_sample(&t, &f.pool, 1000 + i, 2, 2, 2);
		CHECK_EQ(profmap_add(&st, &t.s, 1, GFP_ATOMIC), 0);
	}
	mk_sample(&t, &f.pool, 2000, 2, 2, 1);	/* tgid 1 again, staged */
	CHECK_EQ(profmap_add(&st, &t.s, 7, GFP_ATOMIC), 0);
	profmap_merge(&f.agg, &st, GFP_KERNEL);
	CHECK_EQ(f.agg.nr_entries, 100);	/* 75 + 25 of tgid 2 */
	/* tgid 2 at its share too (25 of 30), and tgid 1's 7. */
	CHECK_EQ(f.agg.lost_share, 5 + 5 + 7);
	CHECK_EQ(f.agg.lost_cap, 0);
	/* A drain handed back is relinked, never refused. */
	profmap_detach(&f.agg, &list);
	mk_sample(&t, &f.pool, 3000, 2, 2, 1);
	CHECK_EQ(profmap_add(&f.agg, &t.s, 1, GFP_ATOMIC), -ENOSPC);
	profmap_merge_list(&f.agg, &list);
	CHECK_EQ(f.agg.nr_entries, 100);
	CHECK_EQ(f.agg.lost_share, 17);
	profmap_clear(&f.agg);
	for (i = 0; i < 80; i++) {		/* counts restart with the map */
		mk_sample(&t, &f.pool, i, 2, 2, 1);
		CHECK_EQ(profmap_add(&f.agg, &t.s, 1, GFP_ATOMIC),
			 i < 75 ? 0 : -EDQUOT);
	}
	profmap_destroy(&st);
	fx_fini(&f);
}

/* The memory target: entry + array <= 1.5x raw stack bytes + 64. */
static void test_memory_bound(void)
{
	unsigned int n;

	for (n = 8; n <= PROFMAP_MAX_FRAMES; n++) {
		size_t held = 64 + profmap_class_frames(profmap_class(n)) * 8;

		CHECK(held * 2 <= 3 * (n * 8) + 128);
	}
}

struct test {
	const char *name;
	void (*fn)(void);
};

static const struct test tests[] = {
	{ "size classes cover 1..512 frames within 1.5x", test_classes },
	{ "hit path does not allocate", test_hit_no_alloc },
	{ "tid, k/u split and flags are part of the key", test_keys_distinguish },
	{ "hash is keyed and streamable", test_hash_keyed },
	{ "full collisions, move to front, insertion order", test_collisions_move_to_front },
	{ "hot chain limit; merge folds duplicates", test_chain_limit_and_fold },
	{ "every size class", test_every_class },
	{ "allocation failure at each site", test_alloc_failure_sites },
	{ "pool init unwinds on each cache failure", test_pool_init_failure },
	{ "max_entries cap counts lost samples", test_cap },
	{ "merge of retired maps", test_merge },
	{ "random workload matches a model, nothing lost uncounted", test_random_model },
	{ "detach moves a map out, free_list returns the slots", test_detach },
	{ "memory per unique stack bound", test_memory_bound },
	{ "staging map: reserve, no slab, merge copies once", test_reserve_no_slab },
	{ "staging map: exhausted reserve is counted and refilled", test_reserve_exhaustion },
	{ "staging map: cap and failures at merge are counted", test_reserve_merge_cap_failure },
	{ "fair share: a flooding tgid cannot take the rest", test_share },
};

int main(void)
{
	unsigned int i, n = sizeof(tests) / sizeof(tests[0]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%u\n", n);
	for (i = 0; i < n; i++) {
		cur_test = tests[i].name;
		cur_failures = 0;
		tests[i].fn();
		tap_n++;
		if (cur_failures)
			tap_failed++;
		printf("%sok %u - %s\n", cur_failures ? "not " : "", i + 1,
		       tests[i].name);
	}
	printf("# profmap: %d passed, %d failed\n", tap_n - tap_failed, tap_failed);
	return tap_failed ? 1 : 0;
}
