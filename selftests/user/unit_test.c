// SPDX-License-Identifier: GPL-2.0
/*
 * unit_test.c - unit tests of kprof2pprof's pieces, built with ASan+UBSan
 *
 * kselftest harness, TAP; run.sh relays its results into its own. Expected
 * bytes come from the protobuf and ELF specifications, not from running
 * the code under test.
 */
#include <elf.h>
#include <errno.h>
#include <sanitizer/lsan_interface.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "kselftest_harness.h"

#include "cgroup.h"
#include "child.h"
#include "ksym.h"
#include "output.h"
#include "parse.h"
#include "pb.h"
#include "profile.h"
#include "usym.h"
#include "util.h"
#include "window.h"

/*
 * One fixture per piece: pb, util, parse, ksym, usym, output, profile,
 * and the commands' window, cgroup and child. Its
 * teardown fails a test that leaked: the harness runs each test in a child
 * that ends with _exit(), where LeakSanitizer's check at exit never runs.
 */
#define PIECE(name)							\
	FIXTURE(name) {};						\
	FIXTURE_SETUP(name);						\
	FIXTURE_TEARDOWN(name);						\
	FIXTURE_SETUP(name) {}						\
	FIXTURE_TEARDOWN(name)						\
	{								\
		EXPECT_EQ(0, __lsan_do_recoverable_leak_check());	\
	}

PIECE(pb)
PIECE(util)
PIECE(parse)
PIECE(ksym)
PIECE(usym)
PIECE(output)
PIECE(profile)
PIECE(window)
PIECE(cgroup)
PIECE(child)

/* --- pb --- */

/* @b holds the bytes @hex spells. */
static void pb_bytes_eq(struct __test_metadata *_metadata,
			const struct pb *b, const char *hex)
{
	char got[2048] = "";
	size_t i;

	for (i = 0; i < b->len && 2 * i + 2 < sizeof(got); i++)
		sprintf(got + 2 * i, "%02x", b->data[i]);
	EXPECT_STREQ(hex, got);
}

TEST_F(pb, varints)
{
	static const struct { uint64_t v; const char *hex; } cases[] = {
		{ 0, "00" }, { 1, "01" }, { 127, "7f" }, { 128, "8001" },
		{ 300, "ac02" }, { 16384, "808001" },
		{ UINT64_MAX, "ffffffffffffffffff01" },
	};
	size_t i;

	for (i = 0; i < KP_ARRAY_SIZE(cases); i++) {
		struct pb b;

		pb_init(&b, NULL, NULL);
		pb_varint(&b, cases[i].v);
		pb_bytes_eq(_metadata, &b, cases[i].hex);
		pb_free(&b);
	}
}

TEST_F(pb, fields_packed_nested)
{
	struct pb b;
	uint64_t three[3] = { 1, 2, 300 }, two[2] = { 5, 6 };
	int64_t neg[1] = { -1 };
	size_t m, inner;

	pb_init(&b, NULL, NULL);
	/* field 1 varint 150: the protobuf documentation's example */
	pb_uint64(&b, 1, 150);
	pb_bytes_eq(_metadata, &b, "089601");
	b.len = 0;
	pb_uint64_opt(&b, 2, 0);
	pb_int64_opt(&b, 2, 0);
	pb_bool_opt(&b, 2, false);
	EXPECT_EQ(0, b.len) TH_LOG("_opt wrote a default value");
	/* string "testing" as field 2: 12 07 74 65 73 74 69 6e 67 */
	pb_bytes(&b, 2, "testing", 7);
	pb_bytes_eq(_metadata, &b, "120774657374696e67");
	b.len = 0;
	/* packed field 4 [1, 2, 300]: 22 04 01 02 ac 02 */
	pb_uint64s(&b, 4, three, 3);
	pb_bytes_eq(_metadata, &b, "22040102ac02");
	b.len = 0;
	/* two elements are written unpacked: 20 05 20 06 */
	pb_uint64s(&b, 4, two, 2);
	pb_bytes_eq(_metadata, &b, "20052006");
	b.len = 0;
	/* negative int64 is ten bytes */
	pb_int64s(&b, 1, neg, 1);
	pb_bytes_eq(_metadata, &b, "08ffffffffffffffffff01");
	b.len = 0;
	/* nested: field 3 { field 1 = 150 } -> 1a 03 08 96 01 */
	m = pb_start_message(&b);
	pb_uint64(&b, 1, 150);
	pb_end_message(&b, 3, m);
	pb_bytes_eq(_metadata, &b, "1a03089601");
	EXPECT_EQ(0, b.nest);
	b.len = 0;
	/* two levels: 2 { 1 { 1 = 1 } } -> 12 04 0a 02 08 01 */
	m = pb_start_message(&b);
	inner = pb_start_message(&b);
	pb_uint64(&b, 1, 1);
	pb_end_message(&b, 1, inner);
	pb_end_message(&b, 2, m);
	pb_bytes_eq(_metadata, &b, "12040a020801");
	pb_free(&b);
}

struct sink_buf {
	unsigned char *data;
	size_t len;
	int calls;
};

static int sink_collect(void *ctx, const void *buf, size_t len)
{
	struct sink_buf *s = ctx;

	s->data = realloc(s->data, s->len + len);
	memcpy(s->data + s->len, buf, len);
	s->len += len;
	s->calls++;
	return 0;
}

TEST_F(pb, streaming_flush)
{
	struct sink_buf s = { 0 };
	struct pb b;
	size_t i, m, big = 200 * 1024;
	char *payload = malloc(big);

	memset(payload, 'x', big);
	pb_init(&b, sink_collect, &s);
	for (i = 0; i < 10000; i++) {
		m = pb_start_message(&b);
		pb_uint64(&b, 1, i);
		pb_end_message(&b, 2, m);
		pb_flush_maybe(&b);
	}
	EXPECT_GT(s.calls, 1) TH_LOG("no streaming");
	EXPECT_LT(b.len, PB_FLUSH_BYTES + 16) TH_LOG("the buffer was not flushed");
	/* a message larger than the flush size, with a 3-byte length */
	m = pb_start_message(&b);
	pb_bytes(&b, 1, payload, big);
	pb_end_message(&b, 2, m);
	EXPECT_EQ(0, pb_flush(&b)) TH_LOG("flush failed");
	/* 10000 x "12 0x 08 <varint i>" then 12 <len> 0a <len> xxx */
	{
		size_t off = 0, expect_len = 0;

		for (i = 0; i < 10000; i++)	/* 12 len 08 varint(i) */
			expect_len += 3 + (i >= 128 ? 2 : 1);
		for (i = 0; i < 10000 && off + 3 < s.len; i++) {
			size_t vlen = i >= 128 ? 2 : 1;
			bool good = s.data[off] == 0x12 &&
				    s.data[off + 1] == 1 + vlen &&
				    s.data[off + 2] == 0x08;

			EXPECT_TRUE(good) {
				TH_LOG("message %zu malformed at %zu", i, off);
			}
			if (!good)
				break;
			off += 3 + vlen;
		}
		EXPECT_EQ(expect_len, off);
		/* outer length: 1 (key) + 3 (len of 204800) + 204800 */
		EXPECT_EQ(off + 1 + 3 + 1 + 3 + big, s.len);
		EXPECT_TRUE(off + 4 <= s.len && s.data[off] == 0x12 &&
			    s.data[off + 1] == (((big + 4) & 0x7f) | 0x80)) {
			TH_LOG("big message prefix wrong");
		}
	}
	pb_free(&b);
	free(s.data);
	free(payload);
}

/* --- util --- */

TEST_F(util, strict_numbers)
{
	static const struct { const char *s; bool ok; uint64_t v; } dec[] = {
		{ "0", true, 0 }, { "7", true, 7 }, { "18446744073709551615", true, UINT64_MAX },
		{ "18446744073709551616", false, 0 }, { "", false, 0 },
		{ "01", false, 0 }, { "+1", false, 0 }, { "-1", false, 0 },
		{ "1a", false, 0 }, { " 1", false, 0 },
	};
	static const struct { const char *s; bool ok; uint64_t v; } hex[] = {
		{ "0", true, 0 }, { "ffffffff81001105", true, 0xffffffff81001105ULL },
		{ "ffffffffffffffff", true, UINT64_MAX }, { "10000000000000000", false, 0 },
		{ "FF", false, 0 }, { "0x1", false, 0 }, { "0f", false, 0 },
		{ "g", false, 0 }, { "", false, 0 },
	};
	size_t i;
	uint64_t v;

	for (i = 0; i < KP_ARRAY_SIZE(dec); i++) {
		bool ok = kp_parse_dec(dec[i].s, strlen(dec[i].s), &v);

		EXPECT_TRUE(ok == dec[i].ok && (!ok || v == dec[i].v)) {
			TH_LOG("kp_parse_dec(\"%s\")", dec[i].s);
		}
	}
	for (i = 0; i < KP_ARRAY_SIZE(hex); i++) {
		bool ok = kp_parse_hex(hex[i].s, strlen(hex[i].s), &v);

		EXPECT_TRUE(ok == hex[i].ok && (!ok || v == hex[i].v)) {
			TH_LOG("kp_parse_hex(\"%s\")", hex[i].s);
		}
	}
}

TEST_F(util, utf8_check_and_repair)
{
	static const struct { const char *s; size_t len; bool ok; } c[] = {
		{ "abc", 3, true },
		{ "\xc3\xa9", 2, true },		/* e acute */
		{ "\xe2\x82\xac", 3, true },		/* euro */
		{ "\xf4\x8f\xbf\xbf", 4, true },	/* U+10FFFF */
		{ "\xf4\x90\x80\x80", 4, false },	/* above U+10FFFF */
		{ "\xc0\x80", 2, false },		/* overlong NUL */
		{ "\xe0\x80\xaf", 3, false },		/* overlong */
		{ "\xed\xa0\x80", 3, false },		/* surrogate */
		{ "\xc3", 1, false },			/* truncated */
		{ "\xff", 1, false },
		{ "\x80", 1, false },
	};
	size_t i, olen;
	char *s;

	for (i = 0; i < KP_ARRAY_SIZE(c); i++) {
		EXPECT_EQ(c[i].ok, kp_utf8_valid(c[i].s, c[i].len)) {
			TH_LOG("kp_utf8_valid case %zu", i);
		}
	}
	s = kp_utf8_sanitize("a\xff" "b\xc3", 4, &olen);
	EXPECT_EQ(8, olen);
	EXPECT_STREQ("a\xef\xbf\xbd" "b\xef\xbf\xbd", s);
	EXPECT_TRUE(kp_utf8_valid(s, olen)) TH_LOG("sanitized string not valid");
	free(s);
}

TEST_F(util, string_pool)
{
	struct kp_strpool sp = { 0 };
	const char *first;
	char buf[32];
	uint32_t a, b;
	int i;

	a = kp_strpool_intern(&sp, "", 0);
	b = kp_strpool_intern(&sp, "hello", 5);
	first = kp_strpool_get(&sp, b);
	EXPECT_EQ(0, a);
	EXPECT_EQ(1, b);
	for (i = 0; i < 100000; i++) {
		int n = snprintf(buf, sizeof(buf), "s%d", i);

		EXPECT_EQ((uint32_t)i + 2, kp_strpool_intern(&sp, buf, n)) {
			TH_LOG("number of s%d", i);
		}
	}
	EXPECT_EQ(1, kp_strpool_intern(&sp, "hello", 5)) TH_LOG("hello not deduplicated");
	EXPECT_TRUE(kp_strpool_get(&sp, 1) == first) TH_LOG("string moved");
	EXPECT_STREQ("s50000", kp_strpool_get(&sp, 50002)) TH_LOG("lookup by number");
	kp_strpool_free(&sp);
}

/* --- parse --- */

TEST_F(parse, comm_escapes)
{
	static const struct { const char *in; bool ok; const char *out; } c[] = {
		{ "bash", true, "bash" },
		{ "\\x00", true, "" },
		{ "kworker/0:1", true, "kworker/0:1" },
		{ "a\\x20b", true, "a b" },
		{ "back\\x5cslash", true, "back\\slash" },
		{ "\\xc3\\xa9t\\xc3\\xa9", true, "\xc3\xa9t\xc3\xa9" },
		{ "123456789012345", true, "123456789012345" },
		{ "1234567890123456", false, NULL },	/* 16 bytes */
		{ "\\x41", false, NULL },		/* 'A' needs no escape */
		{ "\\x5C", false, NULL },		/* uppercase hex */
		{ "a\\x00", false, NULL },		/* NUL inside */
		{ "a\\x2", false, NULL },		/* short escape */
		{ "a\\y20", false, NULL },
		{ "a\\", false, NULL },
		{ "", true, "" },	/* the reader never passes an empty field */
	};
	char out[KPM_COMM_LEN];
	const char *reason;
	size_t i, olen;

	for (i = 0; i < KP_ARRAY_SIZE(c); i++) {
		bool ok = kpm_parse_comm(c[i].in, strlen(c[i].in), out, &olen,
					 &reason);

		EXPECT_EQ(c[i].ok, ok) {
			TH_LOG("comm \"%s\": %s", c[i].in,
			       ok ? "accepted" : reason);
		}
		if (ok && c[i].ok) {
			EXPECT_STREQ(c[i].out, out) TH_LOG("comm \"%s\"", c[i].in);
			EXPECT_EQ(strlen(c[i].out), olen) TH_LOG("comm \"%s\"", c[i].in);
		}
	}
}

TEST_F(parse, reader)
{
	static const char text[] =
		"kprofmap-samples 1 freq=100 cpus=4 start_ns=5 end_ns=9 future=x max_depth=3\n"
		"S 7 10 11 a\\x20b KU k=ffffffff81000000,1,2 u=a,b,c\n"
		"S 1 0 0 swapper/0 - k=ffffffff81000001 u=\n"
		"L 3 alloc=1 cap=2\n";
	struct kpm_record rec;
	struct kpm_reader r;
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	ASSERT_EQ(0, kpm_reader_open(&r, f, "t")) TH_LOG("open: %s", r.err);
	EXPECT_TRUE(r.hdr.freq == 100 && r.hdr.cpus == 4 && r.hdr.start_ns == 5 &&
		    r.hdr.end_ns == 9 && r.hdr.max_depth == 3) {
		TH_LOG("header values");
	}
	ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("first record: %s", r.err);
	EXPECT_EQ(KPM_REC_SAMPLE_LINE, rec.type);
	EXPECT_TRUE(rec.s.count == 7 && rec.s.tgid == 10 && rec.s.tid == 11 &&
		    !strcmp(rec.s.comm, "a b") && rec.s.ktrunc && rec.s.utrunc &&
		    rec.s.nk == 3 && rec.s.kpc[0] == 0xffffffff81000000ULL &&
		    rec.s.kpc[2] == 2 && rec.s.nu == 3 && rec.s.upc[2] == 0xc) {
		TH_LOG("first record values");
	}
	ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("idle record: %s", r.err);
	EXPECT_TRUE(rec.s.nu == 0 && rec.s.tgid == 0) TH_LOG("idle record values");
	ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("lost record: %s", r.err);
	EXPECT_TRUE(rec.type == KPM_REC_LOST_LINE && rec.l.count == 3 &&
		    rec.l.alloc == 1 && rec.l.cap == 2) {
		TH_LOG("lost record values");
	}
	EXPECT_EQ(0, kpm_reader_next(&r, &rec)) TH_LOG("end: %s", r.err);
	kpm_reader_close(&r);
	fclose(f);
}

/* Version 2: G and M lines, then S lines with m=; version 1 still read. */
TEST_F(parse, reader_v2)
{
	static const char text[] =
		"kprofmap-samples 2 freq=100 cpus=4 start_ns=5 end_ns=9\n"
		"G 3 10 123456789012 2\n"
		"M 3 55d4c8a01000 55d4c8a02000 1000 0a1b /usr/bin/a\\x20b\\x20(deleted)\n"
		"M 3 7f0000000000 7f0000001000 0 - /lib/x\n"
		"S 7 10 11 a - k=1 u=55d4c8a01139 m=3\n"
		"S 1 0 0 swapper/0 - k=2 u= m=0\n";
	struct kpm_record rec;
	struct kpm_reader r;
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	ASSERT_EQ(0, kpm_reader_open(&r, f, "t")) TH_LOG("open: %s", r.err);
	EXPECT_EQ(2, r.hdr.version);
	ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("G: %s", r.err);
	EXPECT_TRUE(rec.type == KPM_REC_GEN_LINE && rec.g.gen == 3 &&
		    rec.g.tgid == 10 && rec.g.boot_ns == 123456789012ULL &&
		    rec.g.exec == 2) {
		TH_LOG("G values");
	}
	ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("M: %s", r.err);
	EXPECT_TRUE(rec.type == KPM_REC_MAP_LINE && rec.m.gen == 3 &&
		    rec.m.start == 0x55d4c8a01000ULL &&
		    rec.m.end == 0x55d4c8a02000ULL && rec.m.pgoff == 0x1000 &&
		    !strcmp(rec.m.build_id, "0a1b") &&
		    !strcmp(rec.m.path, "/usr/bin/a b (deleted)") &&
		    rec.m.path_len == 22) {
		TH_LOG("M values: \"%s\" \"%s\"", rec.m.build_id, rec.m.path);
	}
	ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("M -: %s", r.err);
	EXPECT_TRUE(rec.m.build_id[0] == '\0' && rec.m.pgoff == 0) {
		TH_LOG("M without a build id");
	}
	ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("S: %s", r.err);
	EXPECT_TRUE(rec.type == KPM_REC_SAMPLE_LINE && rec.s.gen == 3 &&
		    rec.s.nu == 1) {
		TH_LOG("S values");
	}
	ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("S m=0: %s", r.err);
	EXPECT_EQ(0, rec.s.gen);
	EXPECT_EQ(0, kpm_reader_next(&r, &rec)) TH_LOG("end: %s", r.err);
	kpm_reader_close(&r);
	fclose(f);
}

/* Each malformed mapping record is refused with its line number. */
TEST_F(parse, reader_v2_errors)
{
	static const struct { const char *text, *err; } c[] = {
		{ "G 1 10 5 0\nM 1 2000 1000 0 - /x\n",
		  "t:3: mapping record: start 2000 is not below end 1000" },
		{ "G 1 10 5 0\nM 2 1000 2000 0 - /x\n",
		  "t:3: mapping record of generation 2 before any G line" },
		{ "M 1 1000 2000 0 - /x\n",
		  "t:2: mapping record of generation 1 before any G line" },
		{ "G 1 10 5 0\nG 2 10 5 1\nM 1 1000 2000 0 - /x\n",
		  "t:4: mapping record of generation 1 after the G line of generation 2" },
		{ "G 1 10 5 0\nG 1 10 5 0\n",
		  "t:3: generation 1 given twice" },
		{ "G 1 10 5 0\nM 1 1000 2000 0 abc /x\n",
		  "t:3: mapping record: bad build id \"abc\"" },
		{ "G 1 10 5 0\nM 1 1000 2000 0 00112233445566778899aabbccddeeff0011223344 /x\n",
		  "t:3: mapping record: bad build id" },
		{ "G 1 10 5 0\nM 1 1000 2000 0 - /a\\x2\n",
		  "t:3: mapping record: bad path" },
		{ "G 1 10 5 0\nM 1 1000 2000 00 - /x\n",
		  "t:3: mapping record: bad pgoff" },
		{ "S 1 10 10 a - k=1 u= m=0\nG 1 10 5 0\n",
		  "t:3: G record after the first S record" },
		{ "G 1 10 5 0\nS 1 10 10 a - k=1 u= m=2\n",
		  "t:3: m=2: no G line of generation 2 in this file" },
	};
	static const char hdr[] =
		"kprofmap-samples 2 freq=1 cpus=1 start_ns=0 end_ns=0\n";
	size_t i;

	for (i = 0; i < KP_ARRAY_SIZE(c); i++) {
		char text[512];
		struct kpm_record rec;
		struct kpm_reader r;
		int ret, n;
		FILE *f;

		n = snprintf(text, sizeof(text), "%s%s", hdr, c[i].text);
		f = fmemopen(text, n, "r");
		ASSERT_EQ(0, kpm_reader_open(&r, f, "t")) TH_LOG("open: %s", r.err);
		while ((ret = kpm_reader_next(&r, &rec)) > 0)
			;
		EXPECT_LT(ret, 0) TH_LOG("case %zu accepted", i);
		EXPECT_TRUE(!strncmp(r.err, c[i].err, strlen(c[i].err))) {
			TH_LOG("case %zu: \"%s\", expected \"%s...\"", i, r.err,
			       c[i].err);
		}
		kpm_reader_close(&r);
		fclose(f);
	}
}

/*
 * Version 4: C lines (cgroup id -> path) between the G/M blocks and the S
 * lines, and c= last on every S line; an S line may name an id without a
 * C line. Version 3's S lines have no cgroup (0).
 */
TEST_F(parse, reader_v4)
{
	static const char text[] =
		"kprofmap-samples 4 freq=100 cpus=4 start_ns=5 end_ns=9\n"
		"G 3 10 123456789012 2\n"
		"M 3 55d4c8a01000 55d4c8a02000 1000 - /usr/bin/a\n"
		"C 1 /\n"
		"C 18446744073709551615 /system.slice/a\\x20b.service\n"
		"S 7 10 11 a - k=1 u=55d4c8a01139 m=3 c=18446744073709551615\n"
		"G 4 12 5 0\n"
		"C 77 -\n"
		"S 1 0 0 swapper/0 - k=2 u= m=0 c=0\n"
		"S 2 12 12 b - k=2 u= m=4 c=99\n";
	static const char v3[] =
		"kprofmap-samples 3 freq=100 cpus=4 start_ns=5 end_ns=9\n"
		"S 1 10 10 a - k=2 u= m=0\n";
	struct kpm_record rec;
	struct kpm_reader r;
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	int i;

	ASSERT_EQ(0, kpm_reader_open(&r, f, "t")) TH_LOG("open: %s", r.err);
	EXPECT_EQ(4, r.hdr.version);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("G/M: %s", r.err);
	ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("C: %s", r.err);
	EXPECT_TRUE(rec.type == KPM_REC_CGROUP_LINE && rec.c.id == 1 &&
		    !strcmp(rec.c.path, "/") && rec.c.path_len == 1) {
		TH_LOG("C values: %llu \"%s\"", (unsigned long long)rec.c.id,
		       rec.c.path);
	}
	ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("C: %s", r.err);
	EXPECT_TRUE(rec.type == KPM_REC_CGROUP_LINE &&
		    rec.c.id == UINT64_MAX &&
		    !strcmp(rec.c.path, "/system.slice/a b.service")) {
		TH_LOG("C escaped: \"%s\"", rec.c.path);
	}
	ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("S: %s", r.err);
	EXPECT_TRUE(rec.type == KPM_REC_SAMPLE_LINE && rec.s.gen == 3 &&
		    rec.s.cgroup == UINT64_MAX) {
		TH_LOG("S values");
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("G/C: %s", r.err);
	EXPECT_TRUE(rec.type == KPM_REC_CGROUP_LINE && rec.c.id == 77 &&
		    rec.c.path_len == 0 && rec.c.path[0] == '\0') {
		TH_LOG("C -: a removed cgroup, unnamed");
	}
	ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("S c=0: %s", r.err);
	EXPECT_EQ(0, rec.s.cgroup);
	ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("S c=99: %s", r.err);
	EXPECT_EQ(99, rec.s.cgroup);
	EXPECT_EQ(0, kpm_reader_next(&r, &rec)) TH_LOG("end: %s", r.err);
	kpm_reader_close(&r);
	fclose(f);

	f = fmemopen((void *)v3, sizeof(v3) - 1, "r");
	ASSERT_EQ(0, kpm_reader_open(&r, f, "t")) TH_LOG("open: %s", r.err);
	rec.s.cgroup = 5;
	ASSERT_EQ(1, kpm_reader_next(&r, &rec)) TH_LOG("S: %s", r.err);
	EXPECT_EQ(0, rec.s.cgroup) TH_LOG("a version 3 S line has a cgroup");
	kpm_reader_close(&r);
	fclose(f);
}

/* Versions 1 to 4 are read; 0 and 5 are refused, naming the version. */
TEST_F(parse, versions)
{
	static const struct { const char *text; int ok; } c[] = {
		{ "kprofmap-samples 1 freq=1 cpus=1 start_ns=0 end_ns=0\n", 1 },
		{ "kprofmap-samples 2 freq=1 cpus=1 start_ns=0 end_ns=0\n", 1 },
		{ "kprofmap-samples 0 freq=1 cpus=1 start_ns=0 end_ns=0\n", 0 },
		{ "kprofmap-samples 3 freq=1 cpus=1 start_ns=0 end_ns=0\n", 1 },
		{ "kprofmap-samples 4 freq=1 cpus=1 start_ns=0 end_ns=0\n", 1 },
		{ "kprofmap-samples 5 freq=1 cpus=1 start_ns=0 end_ns=0\n", 0 },
	};
	size_t i;

	for (i = 0; i < KP_ARRAY_SIZE(c); i++) {
		struct kpm_reader r;
		FILE *f = fmemopen((void *)c[i].text, strlen(c[i].text), "r");
		int ret = kpm_reader_open(&r, f, "t");

		EXPECT_EQ(c[i].ok, ret == 0) TH_LOG("case %zu: %s", i, r.err);
		if (!c[i].ok) {
			EXPECT_TRUE(!strncmp(r.err, "t:1: unsupported format version ", 32) &&
				    r.err[32] == c[i].text[17]) {
				TH_LOG("case %zu: %s", i, r.err);
			}
		}
		kpm_reader_close(&r);
		fclose(f);
	}
}

/* A line of exactly KPM_READ_LINE_MAX bytes is read; one more is refused. */
TEST_F(parse, line_length_limit)
{
	static const char hdr[] =
		"kprofmap-samples 1 freq=1 cpus=1 start_ns=0 end_ns=0 ";
	size_t i, total;
	int extra;

	for (extra = 0; extra < 2; extra++) {
		struct kpm_reader r;
		char *text;
		FILE *f;
		int ret;

		total = KPM_READ_LINE_MAX + extra;
		text = malloc(total + 2);
		memcpy(text, hdr, sizeof(hdr) - 1);
		for (i = sizeof(hdr) - 1; i < total; i++)
			text[i] = 'k';
		text[sizeof(hdr) - 1 + 0] = 'x';	/* "x=kkkk..." key */
		text[sizeof(hdr) - 1 + 1] = '=';
		text[total] = '\n';
		f = fmemopen(text, total + 1, "r");
		ret = kpm_reader_open(&r, f, "t");
		if (extra == 0) {
			EXPECT_EQ(0, ret) {
				TH_LOG("line of %zu bytes refused: %s", total, r.err);
			}
		} else {
			EXPECT_LT(ret, 0) TH_LOG("line of %zu bytes accepted", total);
			EXPECT_NE(NULL, strstr(r.err, "t:1: line longer than")) {
				TH_LOG("line of %zu bytes: \"%s\"", total, r.err);
			}
		}
		kpm_reader_close(&r);
		fclose(f);
		free(text);
	}
}

/* --- ksym --- */

static char *write_temp(const char *content, size_t len)
{
	char *path = strdup("/tmp/kp_unit.XXXXXX");
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, content, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

TEST_F(ksym, kallsyms_lookup)
{
	static const char text[] =
		"ffffffff81000000 T _stext\n"
		"ffffffff81000000 T startup_64\n"
		"ffffffff81001000 t __local_alias\n"
		"ffffffff81001000 W weak_alias\n"
		"ffffffff81001000 T strong_global\n"
		"ffffffff81001000 t local_alias\n"
		"ffffffff81002000 D some_data\n"
		"ffffffff81003000 T last_fn\n"
		"ffffffff81004000 T _etext\n"
		"ffffffff82000000 t init_fn\n"
		"ffffffffc0001000 t mod_a\t[kpmtest]\n"
		"ffffffffc0002000 T mod_b\t[other_mod]\n"
		"garbage line\n";
	static const struct { uint64_t addr; const char *name; } c[] = {
		{ 0xffffffff80ffffffULL, NULL },		/* below all */
		{ 0xffffffff81000000ULL, "startup_64" },	/* fewer '_' */
		{ 0xffffffff81000fffULL, "startup_64" },
		{ 0xffffffff81001000ULL, "strong_global" },	/* rank */
		{ 0xffffffff81002fffULL, "strong_global" },	/* data skipped */
		{ 0xffffffff81003abcULL, "last_fn" },
		{ 0xffffffff81004000ULL, NULL },		/* past _etext */
		{ 0xffffffff81ffffffULL, NULL },
		{ 0xffffffff82000010ULL, "init_fn" },
		{ 0xffffffffc0001010ULL, "mod_a" },
		{ 0xffffffffc0002010ULL, "mod_b" },
	};
	struct ksym_table t = { 0 };
	char err[256], *path = write_temp(text, sizeof(text) - 1);
	const struct ksym *s;
	size_t i;

	EXPECT_EQ(0, ksym_load(&t, path, err, sizeof(err))) TH_LOG("load: %s", err);
	for (i = 0; i < KP_ARRAY_SIZE(c); i++) {
		s = ksym_lookup(&t, c[i].addr);
		if (!c[i].name) {
			EXPECT_NULL(s) {
				TH_LOG("%#llx -> %s, expected none",
				       (unsigned long long)c[i].addr, s->name);
			}
		} else {
			EXPECT_TRUE(s && !strcmp(s->name, c[i].name)) {
				TH_LOG("%#llx -> %s, expected %s",
				       (unsigned long long)c[i].addr,
				       s ? s->name : "(none)", c[i].name);
			}
		}
	}
	s = ksym_lookup(&t, 0xffffffffc0001010ULL);
	EXPECT_TRUE(s && s->mod && !strcmp(ksym_mod_name(&t, s->mod), "kpmtest")) {
		TH_LOG("module of mod_a");
	}
	s = ksym_lookup(&t, 0xffffffff81003000ULL);
	EXPECT_TRUE(s && s->mod == 0) TH_LOG("core symbol has a module");
	ksym_free(&t);
	unlink(path);
	free(path);

	path = write_temp("0000000000000000 T a\n0000000000000000 t b\n", 42);
	EXPECT_TRUE(ksym_load(&t, path, err, sizeof(err)) < 0 &&
		    strstr(err, "kptr_restrict")) {
		TH_LOG("zeroed kallsyms accepted: %s", err);
	}
	ksym_free(&t);
	unlink(path);
	free(path);
}

static void put_note(unsigned char *buf, size_t *off, uint32_t type,
		     const char *name, const void *desc, uint32_t descsz)
{
	Elf64_Nhdr nh = {
		.n_namesz = (uint32_t)strlen(name) + 1, .n_descsz = descsz,
		.n_type = type,
	};

	memcpy(buf + *off, &nh, sizeof(nh));
	*off += sizeof(nh);
	memcpy(buf + *off, name, nh.n_namesz);
	*off += (nh.n_namesz + 3) & ~3u;
	memcpy(buf + *off, desc, descsz);
	*off += (descsz + 3) & ~3u;
}

TEST_F(ksym, build_id_notes)
{
	unsigned char buf[256] = { 0 }, id[20];
	char hex[KP_BUILD_ID_HEX_MAX];
	size_t off = 0, i;

	for (i = 0; i < sizeof(id); i++)
		id[i] = (unsigned char)(0xa0 + i);
	put_note(buf, &off, 1, "Xen", "abcd", 4);	/* another note first */
	put_note(buf, &off, NT_GNU_BUILD_ID, "GNU", id, 20);
	EXPECT_TRUE(kp_notes_build_id(buf, off, hex) &&
		    !strcmp(hex, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3")) {
		TH_LOG("build id");
	}
	EXPECT_FALSE(kp_notes_build_id(buf, off - 4, hex)) {
		TH_LOG("truncated note accepted");
	}
	off = 0;
	put_note(buf, &off, NT_GNU_BUILD_ID, "GNX", id, 20);
	EXPECT_FALSE(kp_notes_build_id(buf, off, hex)) TH_LOG("wrong owner accepted");
}

/* --- ELF address math --- */

TEST_F(usym, elf_address_math)
{
	/* Segments as ld lays out a PIE with -z separate-code, and a
	 * library linked with a 2 MiB max page size (vaddr != offset). */
	struct elfobj_load loads[] = {
		{ .off = 0, .vaddr = 0, .filesz = 0x628 },
		{ .off = 0x1000, .vaddr = 0x201000, .filesz = 0x1c5 },
		{ .off = 0x2000, .vaddr = 0x402000, .filesz = 0xe4 },
	};
	struct elfobj_sym syms[] = {
		{ .addr = 0x201100, .size = 0x20, .name = 1 },
		{ .addr = 0x201120, .size = 0x10, .name = 3 },
	};
	char strtab[] = "\0f\0g";
	struct elfobj o = {
		.load = loads, .nload = 3, .sym = syms, .nsym = 2,
		.strtab = strtab, .strtab_len = sizeof(strtab),
	};
	/* maps: r-xp at 0x7f0000201000, offset 0x1000 (bias 0x7f0000000000) */
	struct uregion r = {
		.start = 0x7f0000201000ULL, .end = 0x7f0000202000ULL,
		.offset = 0x1000,
	};
	const char *n;
	uint64_t v;

	EXPECT_TRUE(elfobj_vaddr(&o, 0x1100, &v) && v == 0x201100) {
		TH_LOG("vaddr of 0x1100");
	}
	EXPECT_FALSE(elfobj_vaddr(&o, 0x11c5, &v)) TH_LOG("offset past filesz mapped");
	n = elfobj_func(&o, &r, 0x7f0000201100ULL);
	EXPECT_TRUE(n && !strcmp(n, "f")) TH_LOG("f start: %s", n ? n : "(none)");
	n = elfobj_func(&o, &r, 0x7f000020111fULL);
	EXPECT_TRUE(n && !strcmp(n, "f")) TH_LOG("f end: %s", n ? n : "(none)");
	n = elfobj_func(&o, &r, 0x7f0000201120ULL);
	EXPECT_TRUE(n && !strcmp(n, "g")) TH_LOG("g: %s", n ? n : "(none)");
	n = elfobj_func(&o, &r, 0x7f0000201130ULL);
	EXPECT_NULL(n) TH_LOG("past g's size: %s", n);
	n = elfobj_func(&o, &r, 0x7f00002010ffULL);
	EXPECT_NULL(n) TH_LOG("below f: %s", n);
	n = elfobj_func(&o, &r, 0x7f0000202000ULL);
	EXPECT_NULL(n) TH_LOG("outside the region: %s", n);
}

/* --- output --- */

TEST_F(output, gzip_commit_abort)
{
	char dir[] = "/tmp/kp_out.XXXXXX", path[256], err[256];
	static const char msg[] = "hello, pprof";
	unsigned char back[64];
	struct kp_out o;
	struct stat st;
	gzFile gz;
	int n;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/out.pb.gz", dir);
	EXPECT_EQ(0, kp_out_open(&o, path, true, err, sizeof(err))) TH_LOG("open: %s", err);
	EXPECT_EQ(0, kp_out_write(&o, msg, sizeof(msg) - 1)) TH_LOG("write");
	EXPECT_LT(stat(path, &st), 0) TH_LOG("destination exists before commit");
	EXPECT_EQ(0, kp_out_commit(&o, err, sizeof(err))) TH_LOG("commit: %s", err);
	gz = gzopen(path, "rb");
	n = gz ? gzread(gz, back, sizeof(back)) : -1;
	EXPECT_TRUE(n == (int)sizeof(msg) - 1 && !memcmp(back, msg, n)) {
		TH_LOG("gunzip gave %d bytes", n);
	}
	if (gz)
		gzclose(gz);

	/* An aborted write leaves the old file and no temporary file. */
	EXPECT_EQ(0, kp_out_open(&o, path, true, err, sizeof(err))) TH_LOG("reopen: %s", err);
	kp_out_write(&o, "junk", 4);
	kp_out_abort(&o);
	gz = gzopen(path, "rb");
	n = gz ? gzread(gz, back, sizeof(back)) : -1;
	EXPECT_EQ((int)sizeof(msg) - 1, n) TH_LOG("old file changed by an abort");
	if (gz)
		gzclose(gz);
	unlink(path);
	EXPECT_EQ(0, rmdir(dir)) TH_LOG("temporary file left in %s", dir);
}

/* --- profile --- */

/* Read a varint at *@pos; false past @end or after ten bytes. */
static bool wire_varint(const unsigned char **pos, const unsigned char *end,
			uint64_t *v)
{
	unsigned int shift;

	*v = 0;
	for (shift = 0; *pos < end && shift < 70; shift += 7) {
		unsigned char b = *(*pos)++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/*
 * The next field of a message in [*@pos, @end): its number, wire type and
 * varint value, or for a length-delimited field its bytes in @sub/@sublen.
 * Return: false at the end or on a malformed field.
 */
static bool wire_field(const unsigned char **pos, const unsigned char *end,
		       uint64_t *field, uint64_t *v, const unsigned char **sub,
		       uint64_t *sublen)
{
	uint64_t key, skip;

	*v = 0;
	if (*pos >= end || !wire_varint(pos, end, &key))
		return false;
	*field = key >> 3;
	switch (key & 7) {
	case 0:
		return wire_varint(pos, end, v);
	case 2:
		if (!wire_varint(pos, end, sublen) ||
		    *sublen > (uint64_t)(end - *pos))
			return false;
		*sub = *pos;
		*pos += *sublen;
		return true;
	case 1:
	case 5:
		skip = (key & 7) == 1 ? 8 : 4;
		if (skip > (uint64_t)(end - *pos))
			return false;
		*pos += skip;
		return true;
	}
	return false;
}

/*
 * Bits 7-10 of profile.proto's Mapping, has_functions to
 * has_inline_frames, as set in the Mapping with id @id of the encoded
 * Profile @buf; bit 0 when that Mapping was found.
 */
static unsigned int wire_mapping_flags(const unsigned char *buf, size_t len,
				       uint64_t id)
{
	const unsigned char *pos = buf, *end = buf + len, *sub = NULL, *mp, *msub;
	uint64_t field, v = 0, sublen = 0, mfield, mv = 0, mid, mlen;
	unsigned int flags;

	while (wire_field(&pos, end, &field, &v, &sub, &sublen)) {
		if (field != 3)		/* Profile.mapping */
			continue;
		mp = sub;
		mid = 0;
		flags = 1;
		while (wire_field(&mp, sub + sublen, &mfield, &mv, &msub, &mlen)) {
			if (mfield == 1)
				mid = mv;
			else if (mfield >= 7 && mfield <= 10 && mv)
				flags |= 1u << mfield;
		}
		if (mid == id)
			return flags;
	}
	return 0;
}

TEST_F(profile, has_functions_only_when_every_location_is_named)
{
	struct sink_buf s = { 0 };
	struct prof p;
	uint32_t all, some, kern;
	unsigned int f;

	prof_init(&p, sink_collect, &s, 1000000);
	all = prof_mapping(&p, 0x1000, 0x2000, 0, "/gone/all", "", false);
	some = prof_mapping(&p, 0x3000, 0x4000, 0, "/gone/some", "", false);
	kern = prof_mapping(&p, 0, 0, 0, "[kernel.kallsyms]", "", true);
	prof_loc_add(&p, all, 0x1010, false, all, "leaf", false);
	prof_loc_add(&p, all, 0x1020, true, all, "caller", false);
	prof_loc_add(&p, some, 0x3010, false, some, "named", false);
	prof_loc_add(&p, some, 0x3020, true, some, NULL, false);
	prof_loc_add(&p, PROF_SPACE_KERNEL, 0xffffffff81000010ULL, false, kern,
		     "vfs_read", true);
	EXPECT_EQ(0, prof_finish(&p, 0, 0, NULL)) TH_LOG("prof_finish failed");
	/* has_functions alone: kprof2pprof writes no file or line number */
	f = wire_mapping_flags(s.data, s.len, all);
	EXPECT_EQ(1u | 1u << 7, f) TH_LOG("all named: want has_functions only");
	f = wire_mapping_flags(s.data, s.len, kern);
	EXPECT_EQ(1u | 1u << 7, f) TH_LOG("kernel: want has_functions only");
	f = wire_mapping_flags(s.data, s.len, some);
	EXPECT_EQ(1u, f) TH_LOG("one unnamed location: want no flags");
	prof_free(&p);
	free(s.data);
}

/* --- window (follow) --- */

/* Files in a test directory: DIR/NAME made, written, tested, removed. */
static void write_in(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) == EOF || fclose(f))
		abort();
}

static void touch_in(const char *dir, const char *name)
{
	write_in(dir, name, "");
}

static void mkdir_in(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdir(path, 0755))
		abort();
}

static bool exists_in(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void unlink_in(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) && rmdir(path))
		abort();
}

/* A fake PROC/PID/comm. */
static void fake_comm(const char *proc, int pid, const char *comm)
{
	char name[64];

	snprintf(name, sizeof(name), "%d", pid);
	mkdir_in(proc, name);
	snprintf(name, sizeof(name), "%d/comm", pid);
	write_in(proc, name, comm);
}

TEST_F(window, interval)
{
	static const struct { const char *s; uint64_t ns; } ok[] = {
		{ "10s", 10000000000ULL }, { "500ms", 500000000ULL },
		{ "2m", 120000000000ULL }, { "1h", 3600000000000ULL },
		{ "10", 10000000000ULL }, { "0.5", 500000000ULL },
		{ "1.5s", 1500000000ULL }, { "0.25m", 15000000000ULL },
		{ "100ms", 100000000ULL }, { "0.1", 100000000ULL },
		{ "100.5ms", 100500000ULL }, { "010s", 10000000000ULL },
		{ "0.123456789s", 123456789ULL }, { "168h", 604800000000000ULL },
		{ "604800", 604800000000000ULL },
	};
	static const char *const bad[] = {
		"", "s", "ms", "0", "0s", "99ms", "0.0999", "10x", "10 s", " 1s",
		"1s ", "-1s", "+1s", "1e3", "1.s", ".5s", "1.0000000001s",
		"169h", "604801", "99999999999999999999s", "1,5s", "10S", "1sec",
	};
	uint64_t ns;
	size_t i;

	for (i = 0; i < KP_ARRAY_SIZE(ok); i++) {
		ns = 0;
		EXPECT_TRUE(kp_parse_interval(ok[i].s, &ns) && ns == ok[i].ns) {
			TH_LOG("\"%s\": %llu, expected %llu", ok[i].s,
			       (unsigned long long)ns,
			       (unsigned long long)ok[i].ns);
		}
	}
	for (i = 0; i < KP_ARRAY_SIZE(bad); i++) {
		const char *b = bad[i];

		EXPECT_FALSE(kp_parse_interval(b, &ns)) TH_LOG("\"%s\" accepted", b);
	}
}

TEST_F(window, names)
{
	char name[KP_WINDOW_NAME_MAX];

	/* 1764843300 s is 2025-12-04 10:15:00 UTC; ms truncated */
	kp_window_name(name, 1764843300123999999ULL, ".pb.gz");
	EXPECT_STREQ("kprofmap-20251204T101500.123Z.pb.gz", name);
	kp_window_name(name, 0, ".folded");
	EXPECT_STREQ("kprofmap-19700101T000000.000Z.folded", name);
	EXPECT_TRUE(kp_window_is_name(name, ".folded"));
	EXPECT_FALSE(kp_window_is_name(name, ".pb.gz"));
	EXPECT_TRUE(kp_window_is_name("kprofmap-20251204T101500.123Z.pb.gz",
				      ".pb.gz"));
	EXPECT_FALSE(kp_window_is_name("kprofmap-20251204T101500.123Z.pb.gz.samples",
				       ".pb.gz"));
	EXPECT_FALSE(kp_window_is_name(".kprofmap-20251204T101500.123Z.pb.gz.Ab12Cd",
				       ".pb.gz"));
	EXPECT_FALSE(kp_window_is_name("kprofmap-2025120xT101500.123Z.pb.gz",
				       ".pb.gz"));
	EXPECT_FALSE(kp_window_is_name("kprofmap-20251204T101500.123.pb.gz",
				       ".pb.gz"));
	EXPECT_FALSE(kp_window_is_name("kprofmap-20251204T1015.123Z.pb.gz",
				       ".pb.gz"));
	EXPECT_FALSE(kp_window_is_name("kprofmap.pb.gz", ".pb.gz"));
}

/* The oldest window file (the test's first) is busy. */
static bool busy_first(const char *name, void *ctx)
{
	return !strcmp(name, ctx);
}

TEST_F(window, rotate_keeps_the_newest)
{
	static const char *const w[5] = {
		"kprofmap-20251204T101500.000Z.pb.gz",
		"kprofmap-20251204T101510.000Z.pb.gz",
		"kprofmap-20251204T101520.000Z.pb.gz",
		"kprofmap-20251204T101530.000Z.pb.gz",
		"kprofmap-20251204T101540.000Z.pb.gz",
	};
	static const char *const other[] = {
		"notes.txt", "kprofmap-x.pb.gz",
		"kprofmap-20251204T101400.000Z.pb.gz.samples",
		"kprofmap-20251204T101400.000Z.folded",
	};
	char dir[] = "/tmp/kp_unit_rot.XXXXXX";
	size_t i;

	ASSERT_NE(NULL, mkdtemp(dir));
	/* created newest first: the order is the names', not the files' */
	for (i = 5; i-- > 0;)
		touch_in(dir, w[i]);
	for (i = 0; i < KP_ARRAY_SIZE(other); i++)
		touch_in(dir, other[i]);
	EXPECT_EQ(2, kp_window_rotate(dir, 2, ".pb.gz", busy_first,
				      (void *)w[0]));
	EXPECT_TRUE(exists_in(dir, w[0])) TH_LOG("a busy file was deleted");
	EXPECT_FALSE(exists_in(dir, w[1]) || exists_in(dir, w[2]));
	EXPECT_TRUE(exists_in(dir, w[3]) && exists_in(dir, w[4]));
	EXPECT_EQ(1, kp_window_rotate(dir, 2, ".pb.gz", NULL, NULL));
	EXPECT_FALSE(exists_in(dir, w[0]));
	EXPECT_EQ(0, kp_window_rotate(dir, 2, ".pb.gz", NULL, NULL));
	for (i = 0; i < KP_ARRAY_SIZE(other); i++) {
		EXPECT_TRUE(exists_in(dir, other[i])) {
			TH_LOG("%s, no window file, was deleted", other[i]);
		}
		unlink_in(dir, other[i]);
	}
	unlink_in(dir, w[3]);
	unlink_in(dir, w[4]);
	EXPECT_EQ(0, rmdir(dir));
	EXPECT_EQ(-1, kp_window_rotate(dir, 2, ".pb.gz", NULL, NULL));
}

/* --- cgroup (record) --- */

TEST_F(cgroup, mountinfo)
{
	static const char none[] =
		"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		"30 25 0:26 / /sys/fs/cgroup/cpu rw shared:10 - cgroup cgroup rw,cpu\n";
	static const char hybrid[] =
		"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		"30 25 0:26 / /sys/fs/cgroup/cpu rw shared:10 - cgroup cgroup rw,cpu\n"
		"35 25 0:30 / /sys/fs/cgroup/unified rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
		"36 25 0:30 / /mnt/second rw - cgroup2 cgroup2 rw\n";
	/* no optional fields; a subtree mounted; escaped spaces */
	static const char sub[] =
		"40 24 0:30 /my\\040slice /mnt/cg\\040x rw - cgroup2 none rw\n";
	struct kp_cgroup2 cg;
	char err[512], *path;

	path = write_temp(none, sizeof(none) - 1);
	EXPECT_EQ(-1, kp_cgroup2_find(&cg, path, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "no cgroup2 file system is mounted"));
	unlink(path);
	free(path);
	path = write_temp(hybrid, sizeof(hybrid) - 1);
	ASSERT_EQ(0, kp_cgroup2_find(&cg, path, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_STREQ("/sys/fs/cgroup/unified", cg.mnt);
	EXPECT_STREQ("/", cg.root);
	unlink(path);
	free(path);
	path = write_temp(sub, sizeof(sub) - 1);
	ASSERT_EQ(0, kp_cgroup2_find(&cg, path, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_STREQ("/mnt/cg x", cg.mnt);
	EXPECT_STREQ("/my slice", cg.root);
	unlink(path);
	free(path);
	EXPECT_EQ(-1, kp_cgroup2_find(&cg, "/nonexistent/mountinfo", err,
				      sizeof(err)));
}

TEST_F(cgroup, paths)
{
	struct kp_cgroup2 cg = { .mnt = "/sys/fs/cgroup", .root = "/" };
	char out[4096];

	EXPECT_TRUE(kp_cgroup2_path(&cg, "/sys/fs/cgroup", out, sizeof(out)));
	EXPECT_STREQ("/", out);
	EXPECT_TRUE(kp_cgroup2_path(&cg, "/sys/fs/cgroup/a/b/", out, sizeof(out)));
	EXPECT_STREQ("/a/b", out);
	EXPECT_TRUE(kp_cgroup2_path(&cg, "/sys/fs/cgroup/", out, sizeof(out)));
	EXPECT_STREQ("/", out);
	EXPECT_FALSE(kp_cgroup2_path(&cg, "/sys/fs/cgroupx/a", out, sizeof(out)));
	EXPECT_FALSE(kp_cgroup2_path(&cg, "/a/b", out, sizeof(out)));
	EXPECT_FALSE(kp_cgroup2_path(&cg, "/sys/fs/cgroup/a/b", out, 4));
	strcpy(cg.root, "/my slice");
	EXPECT_TRUE(kp_cgroup2_path(&cg, "/sys/fs/cgroup/a", out, sizeof(out)));
	EXPECT_STREQ("/my slice/a", out);
	EXPECT_TRUE(kp_cgroup2_path(&cg, "/sys/fs/cgroup", out, sizeof(out)));
	EXPECT_STREQ("/my slice", out);
}

/*
 * A killed recorder's directory goes, a live one's stays; so does
 * anything else. The fake cgroup directories have no cgroup.procs: empty.
 */
TEST_F(cgroup, sweep_leftovers)
{
	char root[] = "/tmp/kp_unit_cg.XXXXXX", proc[] = "/tmp/kp_unit_proc.XXXXXX";
	struct kp_cgroup2 cg = { .root = "/" };
	char own[64], name[64];

	ASSERT_NE(NULL, mkdtemp(root));
	ASSERT_NE(NULL, mkdtemp(proc));
	strcpy(cg.mnt, root);
	fake_comm(proc, 100, "kprof2pprof\n");
	fake_comm(proc, 101, "bash\n");
	fake_comm(proc, getpid(), "kprof2pprof\n");
	EXPECT_TRUE(kp_pid_is_kprof2pprof(proc, 100));
	EXPECT_FALSE(kp_pid_is_kprof2pprof(proc, 101));
	EXPECT_FALSE(kp_pid_is_kprof2pprof(proc, 102));
	snprintf(own, sizeof(own), "%s.%d", KP_RECORD_CGROUP, (int)getpid());
	mkdir_in(root, KP_RECORD_CGROUP ".100");	/* live: stays */
	mkdir_in(root, KP_RECORD_CGROUP ".101");	/* pid reused by bash */
	mkdir_in(root, KP_RECORD_CGROUP ".101/child");
	mkdir_in(root, KP_RECORD_CGROUP ".102");	/* gone */
	mkdir_in(root, own);		/* ours by pid reuse: a leftover */
	mkdir_in(root, KP_RECORD_CGROUP ".abc");
	mkdir_in(root, KP_RECORD_CGROUP ".0");
	mkdir_in(root, "other");
	EXPECT_EQ(3, kp_cgroup_sweep(&cg, proc));
	EXPECT_TRUE(exists_in(root, KP_RECORD_CGROUP ".100"));
	EXPECT_FALSE(exists_in(root, KP_RECORD_CGROUP ".101"));
	EXPECT_FALSE(exists_in(root, KP_RECORD_CGROUP ".102"));
	EXPECT_FALSE(exists_in(root, own));
	EXPECT_TRUE(exists_in(root, KP_RECORD_CGROUP ".abc") &&
		    exists_in(root, KP_RECORD_CGROUP ".0") &&
		    exists_in(root, "other"));
	unlink_in(root, KP_RECORD_CGROUP ".100");
	unlink_in(root, KP_RECORD_CGROUP ".abc");
	unlink_in(root, KP_RECORD_CGROUP ".0");
	unlink_in(root, "other");
	EXPECT_EQ(0, rmdir(root));
	snprintf(name, sizeof(name), "%d/comm", getpid());
	unlink_in(proc, name);
	snprintf(name, sizeof(name), "%d", getpid());
	unlink_in(proc, name);
	unlink_in(proc, "100/comm");
	unlink_in(proc, "100");
	unlink_in(proc, "101/comm");
	unlink_in(proc, "101");
	EXPECT_EQ(0, rmdir(proc));
}

/* --- child (record's CMD, follow's --exec) --- */

/* Run @argv through kp_spawn() and wait: its shell-style status. */
static int spawn_status(char *const *argv, const char *cgroup,
			const sigset_t *mask, char *const *env)
{
	struct kp_spawn sp = {
		.argv = argv, .cgroup = cgroup, .mask = mask, .env = env,
	};
	pid_t pid = kp_spawn(&sp);
	int wstatus;

	if (pid < 0)
		return -1;
	if (waitpid(pid, &wstatus, 0) != pid)
		return -2;
	return kp_exit_status(wstatus);
}

TEST_F(child, exit_status_as_a_shell)
{
	char *t[] = { "true", NULL };
	char *three[] = { "sh", "-c", "exit 3", NULL };
	char *term[] = { "sh", "-c", "kill -TERM $$; sleep 5", NULL };
	char *none[] = { "kp-no-such-command-here", NULL };
	char *dir[] = { "/", NULL };
	char *env_cmd[] = { "sh", "-c", "test \"$KP_UNIT\" = yes", NULL };
	char kv[] = "KP_UNIT=yes", *env[] = { kv, NULL };
	char *path = write_temp("#!/bin/sh\nexit 0\n", 17);
	char *noexec[] = { path, NULL };

	EXPECT_EQ(0, spawn_status(t, NULL, NULL, NULL));
	EXPECT_EQ(3, spawn_status(three, NULL, NULL, NULL));
	EXPECT_EQ(128 + SIGTERM, spawn_status(term, NULL, NULL, NULL));
	EXPECT_EQ(127, spawn_status(none, NULL, NULL, NULL));
	EXPECT_EQ(126, spawn_status(dir, NULL, NULL, NULL));
	EXPECT_EQ(126, spawn_status(noexec, NULL, NULL, NULL)) {
		TH_LOG("a file without x permission");
	}
	EXPECT_EQ(0, spawn_status(env_cmd, NULL, NULL, env));
	EXPECT_EQ(1, spawn_status(env_cmd, NULL, NULL, NULL));
	unlink(path);
	free(path);
}

/* The child gets the mask it is given: kprof2pprof's before it blocked. */
TEST_F(child, signal_mask)
{
	char *term[] = { "sh", "-c", "kill -TERM $$; exit 0", NULL };
	sigset_t set, old;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	EXPECT_EQ(128 + SIGTERM, spawn_status(term, NULL, &old, NULL));
	EXPECT_EQ(0, spawn_status(term, NULL, NULL, NULL)) {
		TH_LOG("without a mask, the blocked SIGTERM should stay blocked");
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/*
 * The child writes "0" to DIR/cgroup.procs before it runs anything; when
 * it cannot, the command never runs and no child is left.
 */
TEST_F(child, joins_its_cgroup_first)
{
	char dir[] = "/tmp/kp_unit_join.XXXXXX", path[4096], buf[8] = "";
	char marker[4096], script[4200];
	char *cmd[] = { "sh", "-c", script, NULL };
	FILE *f;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(marker, sizeof(marker), "%s/ran", dir);
	snprintf(script, sizeof(script), "touch %s", marker);
	EXPECT_EQ(-1, spawn_status(cmd, dir, NULL, NULL));
	EXPECT_FALSE(exists_in(dir, "ran")) TH_LOG("the command ran");
	EXPECT_EQ(-1, waitpid(-1, NULL, WNOHANG));
	EXPECT_EQ(ECHILD, errno) TH_LOG("a child was left");
	touch_in(dir, "cgroup.procs");
	EXPECT_EQ(0, spawn_status(cmd, dir, NULL, NULL));
	EXPECT_TRUE(exists_in(dir, "ran"));
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	EXPECT_NE(NULL, fgets(buf, sizeof(buf), f));
	fclose(f);
	EXPECT_STREQ("0", buf);
	unlink_in(dir, "ran");
	unlink_in(dir, "cgroup.procs");
	EXPECT_EQ(0, rmdir(dir));
}

TEST_HARNESS_MAIN
