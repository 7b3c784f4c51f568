// SPDX-License-Identifier: GPL-2.0
/*
 * buildid_test - the build id reader (module/buildid.c, unchanged) in
 * userspace under ASan/UBSan, kselftest harness.
 *
 * Crafted ELF images with known answers: every truncation, hostile
 * offsets and sizes, the bounds, a failing reader, 4- and 8-aligned
 * notes. Then real files checked against binutils (`readelf -lnW`), an
 * oracle independent of this code: it reads note sections, we read
 * PT_NOTE segments, so its build ids count where its own section-to-
 * segment mapping puts their section in a PT_NOTE. Files: $KPM_BID_FILES
 * (space-separated), then the first BID_GLOB_CAP regular files of /usr/bin and as many of
 * the shared objects of /usr/lib/x86_64-linux-gnu.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
#include "../../module/buildid.h"

#include "bid_buf_read.h"

/* --- crafted images --- */

#define IMG_MAX		16384
#define PHOFF		sizeof(Elf64_Ehdr)

struct img {
	u8 b[IMG_MAX];
	size_t n;
};

static Elf64_Ehdr *ehdr(struct img *m)
{
	return (Elf64_Ehdr *)m->b;
}

static Elf64_Phdr *phdr(struct img *m, unsigned int i)
{
	return (Elf64_Phdr *)(m->b + PHOFF + i * sizeof(Elf64_Phdr));
}

/* An ELF64 LE ET_DYN header and @phnum zeroed program headers. */
static void img_start(struct img *m, unsigned int phnum)
{
	Elf64_Ehdr *eh = ehdr(m);

	memset(m, 0, sizeof(*m));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = PHOFF;
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = phnum;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	m->n = PHOFF + phnum * sizeof(Elf64_Phdr);
}

static void img_align(struct img *m, size_t a)
{
	while (m->n % a)
		m->b[m->n++] = 0;
}

/*
 * A note at the end of @m, aligned to @a: header, @namesz bytes of
 * @name (zero-filled past its string), @descsz bytes of desc (0x11,
 * 0x12, ...). Returns its offset.
 */
static size_t img_note(struct img *m, u32 type, const char *name,
		       u32 namesz, u32 descsz, size_t a)
{
	size_t at = m->n;
	Elf64_Nhdr nh = { .n_namesz = namesz, .n_descsz = descsz,
			  .n_type = type };
	u32 i;

	memcpy(m->b + m->n, &nh, sizeof(nh));
	m->n += sizeof(nh);
	strncpy((char *)m->b + m->n, name, namesz);
	m->n += namesz;
	img_align(m, a);
	for (i = 0; i < descsz; i++)
		m->b[m->n++] = (u8)(0x11 + i);
	img_align(m, a);
	return at;
}

/* The usual build id note: "GNU", NT_GNU_BUILD_ID, @descsz bytes. */
static size_t img_bid(struct img *m, u32 descsz)
{
	return img_note(m, NT_GNU_BUILD_ID, "GNU", 4, descsz, 4);
}

static void img_phdr(struct img *m, unsigned int i, u32 type, u64 off,
		     u64 filesz, u64 align)
{
	Elf64_Phdr *ph = phdr(m, i);

	ph->p_type = type;
	ph->p_offset = off;
	ph->p_filesz = filesz;
	ph->p_memsz = filesz;
	ph->p_align = align;
}

/* One PT_NOTE with one build id note of @descsz bytes. */
static void img_simple(struct img *m, u32 descsz)
{
	size_t at;

	img_start(m, 2);
	img_phdr(m, 0, PT_LOAD, 0, 0x1000, 0x1000);
	at = img_bid(m, descsz);
	img_phdr(m, 1, PT_NOTE, at, m->n - at, 4);
}

/* bid_parse() of @m; *@len is 0 unless it found an id. */
static int parse(struct img *m, u8 *id, unsigned int *len)
{
	struct bid_buf b = { .data = m->b, .len = m->n };

	memset(id, 0, BID_MAX_LEN);
	*len = 0;
	return bid_parse(bid_test_buf_read, &b, id, len);
}

/* The status bid_parse() gives @m. */
static int status(struct img *m)
{
	u8 id[BID_MAX_LEN];
	unsigned int len;

	return parse(m, id, &len);
}

/* @m has a build id of @want bytes, the ones img_note() writes. */
static void expect_id(struct __test_metadata *_metadata, struct img *m,
		      unsigned int want)
{
	u8 id[BID_MAX_LEN];
	unsigned int len, i;

	ASSERT_EQ(BID_OK, parse(m, id, &len));
	ASSERT_EQ(want, len);
	for (i = 0; i < len; i++)
		ASSERT_EQ(0x11 + i, id[i]);
}

TEST(simple_and_sizes)
{
	struct img m;

	img_simple(&m, 20);
	expect_id(_metadata, &m, 20);
	img_simple(&m, 1);
	expect_id(_metadata, &m, 1);
	img_simple(&m, 16);			/* an MD5 build id */
	expect_id(_metadata, &m, 16);
	img_simple(&m, 0);
	EXPECT_EQ(BID_NONE, status(&m));
	img_simple(&m, BID_MAX_LEN + 1);
	EXPECT_EQ(BID_NONE, status(&m));
}

/* Empty and oversized ids are passed over: the next note still counts. */
TEST(keeps_looking_past_unusable_ids)
{
	struct img m;
	size_t at;

	img_start(&m, 1);
	at = img_bid(&m, 0);
	img_bid(&m, 21);
	img_bid(&m, 8);
	img_phdr(&m, 0, PT_NOTE, at, m.n - at, 4);
	expect_id(_metadata, &m, 8);
}

TEST(gnu_name_wrong_type_and_wrong_name)
{
	struct img m;
	size_t at;

	img_start(&m, 1);
	at = img_note(&m, NT_GNU_ABI_TAG, "GNU", 4, 20, 4);
	img_note(&m, NT_GNU_BUILD_ID, "GNX", 4, 20, 4);
	img_note(&m, NT_GNU_BUILD_ID, "GNU", 3, 20, 4);	/* no NUL */
	img_note(&m, NT_GNU_BUILD_ID, "GNU", 5, 20, 4);
	img_note(&m, NT_GNU_BUILD_ID, "", 0, 20, 4);
	img_phdr(&m, 0, PT_NOTE, at, m.n - at, 4);
	EXPECT_EQ(BID_NONE, status(&m));
	/* The same notes as a PT_LOAD: never looked at. */
	img_bid(&m, 20);
	img_phdr(&m, 0, PT_LOAD, at, m.n - at, 4);
	EXPECT_EQ(BID_NONE, status(&m));
	phdr(&m, 0)->p_type = PT_NOTE;
	expect_id(_metadata, &m, 20);
}

/*
 * What ld emits: .note.gnu.property in its own 8-aligned PT_NOTE, then
 * the build id in a 4-aligned one. Here the first segment also holds a
 * note whose 8-byte padding differs from 4-byte padding, so the build id
 * after it is found only with the segment's own alignment; and a second
 * build id in the second segment must not win over the first.
 */
TEST(second_pt_note_and_8_aligned_notes)
{
	struct img m;
	size_t at8, at4;

	img_start(&m, 3);
	img_phdr(&m, 0, PT_LOAD, 0, 0x1000, 0x1000);
	img_align(&m, 8);
	at8 = img_note(&m, NT_GNU_PROPERTY_TYPE_0, "GNU", 4, 16, 8);
	img_phdr(&m, 1, PT_NOTE, at8, m.n - at8, 8);
	at4 = img_bid(&m, 20);
	img_phdr(&m, 2, PT_NOTE, at4, m.n - at4, 4);
	expect_id(_metadata, &m, 20);

	/* namesz 5: desc at 24 (8-aligned), not 20; next note at 32. */
	img_start(&m, 2);
	img_align(&m, 8);
	at8 = img_note(&m, 0x100, "Linux", 5, 4, 8);
	ASSERT_EQ(at8 + 32, m.n);
	img_note(&m, NT_GNU_BUILD_ID, "GNU", 4, 12, 8);
	img_phdr(&m, 0, PT_NOTE, at8, m.n - at8, 8);
	at4 = img_bid(&m, 20);
	img_phdr(&m, 1, PT_NOTE, at4, m.n - at4, 4);
	expect_id(_metadata, &m, 12);
	/* p_align 0 and 1 mean 4; 16 is no note alignment. */
	phdr(&m, 0)->p_align = 16;
	EXPECT_EQ(BID_MALFORMED, status(&m));
	phdr(&m, 1)->p_align = 0;
	phdr(&m, 0)->p_type = PT_NULL;
	expect_id(_metadata, &m, 20);
}

/* Every prefix of a file: NOREAD until the note is whole, then OK. */
TEST(every_truncation)
{
	struct img m;
	size_t full, n;
	int ret;

	img_simple(&m, 20);
	full = m.n;
	for (n = 0; n <= full; n++) {
		m.n = n;
		ret = status(&m);
		if (n < full) {
			EXPECT_EQ(BID_NOREAD, ret) {
				TH_LOG("prefix %zu of %zu", n, full);
			}
		} else {
			EXPECT_EQ(BID_OK, ret);
		}
	}
}

TEST(not_elf64_le)
{
	struct img m;

	img_simple(&m, 20);
	ehdr(&m)->e_ident[EI_CLASS] = ELFCLASS32;
	EXPECT_EQ(BID_NOTELF, status(&m));
	img_simple(&m, 20);
	ehdr(&m)->e_ident[EI_DATA] = ELFDATA2MSB;
	EXPECT_EQ(BID_NOTELF, status(&m));
	img_simple(&m, 20);
	ehdr(&m)->e_ident[EI_MAG3] = 'G';
	EXPECT_EQ(BID_NOTELF, status(&m));
	/* A short script: not ELF, although shorter than an ELF header. */
	memcpy(m.b, "#!/bin/sh\n", 10);
	m.n = 10;
	EXPECT_EQ(BID_NOTELF, status(&m));
	/* An ELF magic and nothing else. */
	m.n = SELFMAG;
	memcpy(m.b, ELFMAG, SELFMAG);
	EXPECT_EQ(BID_NOREAD, status(&m));
}

TEST(program_header_table)
{
	struct img m;

	img_simple(&m, 20);
	ehdr(&m)->e_phoff = m.n + 100;		/* past the end of the file */
	EXPECT_EQ(BID_NOREAD, status(&m));
	ehdr(&m)->e_phoff = ~0ULL - 60;		/* wraps */
	EXPECT_EQ(BID_MALFORMED, status(&m));
	ehdr(&m)->e_phoff = ~0ULL - 200;	/* fits u64, not the file */
	EXPECT_EQ(BID_NOREAD, status(&m));
	img_simple(&m, 20);
	ehdr(&m)->e_phentsize = 32;
	EXPECT_EQ(BID_MALFORMED, status(&m));
	img_simple(&m, 20);
	ehdr(&m)->e_phnum = BID_MAX_PHDRS + 1;
	EXPECT_EQ(BID_MALFORMED, status(&m));
	ehdr(&m)->e_phnum = PN_XNUM;
	EXPECT_EQ(BID_MALFORMED, status(&m));
	ehdr(&m)->e_phnum = 0;			/* a relocatable object */
	ehdr(&m)->e_phentsize = 0;
	EXPECT_EQ(BID_NONE, status(&m));
}

/* BID_MAX_PHDRS headers: the last one is read. */
TEST(most_program_headers)
{
	struct img m;
	size_t at;

	img_start(&m, BID_MAX_PHDRS);
	at = img_bid(&m, 20);
	img_phdr(&m, BID_MAX_PHDRS - 1, PT_NOTE, at, m.n - at, 4);
	expect_id(_metadata, &m, 20);
}

TEST(hostile_note_sizes)
{
	struct img m;
	Elf64_Nhdr *nh;
	size_t at;

	img_simple(&m, 20);
	at = phdr(&m, 1)->p_offset;
	nh = (Elf64_Nhdr *)(m.b + at);
	nh->n_namesz = 0xffffffff;
	EXPECT_EQ(BID_MALFORMED, status(&m));
	nh->n_namesz = 4;
	nh->n_descsz = 0xfffffffc;
	EXPECT_EQ(BID_MALFORMED, status(&m));
	nh->n_descsz = 24;			/* one word past p_filesz */
	EXPECT_EQ(BID_MALFORMED, status(&m));
	nh->n_descsz = 20;
	phdr(&m, 1)->p_offset = ~0ULL - 8;	/* offset + size wraps */
	EXPECT_EQ(BID_MALFORMED, status(&m));
	phdr(&m, 1)->p_offset = at;
	phdr(&m, 1)->p_filesz = ~0ULL - at;	/* fits u64, not the file */
	ASSERT_EQ(BID_OK, status(&m));	/* the note itself is whole */
	phdr(&m, 1)->p_offset = at + 36;	/* just past the note */
	phdr(&m, 1)->p_filesz = 36;
	EXPECT_EQ(BID_NOREAD, status(&m));
	/* A p_filesz shorter than a note header: nothing to read. */
	phdr(&m, 1)->p_offset = at;
	phdr(&m, 1)->p_filesz = 11;
	EXPECT_EQ(BID_NONE, status(&m));
}

/*
 * BID_MAX_NOTE_BYTES: a build id that ends exactly at the bound is
 * found; 4 bytes later, or after many small notes, it is not, and that
 * is BID_NONE, not a malformed file.
 */
TEST(note_chain_bound)
{
	struct img m;
	unsigned int i;
	size_t at;

	img_start(&m, 1);
	at = img_note(&m, 0x99, "X", 4, BID_MAX_NOTE_BYTES - 36 - 16, 4);
	img_bid(&m, 20);
	ASSERT_EQ(at + BID_MAX_NOTE_BYTES, m.n);
	img_phdr(&m, 0, PT_NOTE, at, m.n - at, 4);
	expect_id(_metadata, &m, 20);

	img_start(&m, 1);
	at = img_note(&m, 0x99, "X", 4, BID_MAX_NOTE_BYTES - 36 - 12, 4);
	img_bid(&m, 20);
	img_phdr(&m, 0, PT_NOTE, at, m.n - at, 4);
	EXPECT_EQ(BID_NONE, status(&m));

	img_start(&m, 1);
	at = m.n;
	for (i = 0; i < BID_MAX_NOTE_BYTES / 16 + 1; i++)
		img_note(&m, 0x99, "X", 4, 0, 4);
	img_bid(&m, 20);
	img_phdr(&m, 0, PT_NOTE, at, m.n - at, 4);
	EXPECT_EQ(BID_NONE, status(&m));
}

/* A reader that fails at its @fail_at'th call (0-based). */
struct failing {
	struct bid_buf b;
	unsigned int calls, fail_at;
};

static bool failing_read(void *ctx, u64 off, void *dst, size_t len)
{
	struct failing *f = ctx;

	if (f->calls++ == f->fail_at)
		return false;
	return bid_test_buf_read(&f->b, off, dst, len);
}

TEST(reader_fails)
{
	struct img m;
	struct failing f;
	u8 id[BID_MAX_LEN];
	unsigned int len, k, needed;
	size_t at;

	img_start(&m, 3);
	img_phdr(&m, 0, PT_LOAD, 0, 0x1000, 0x1000);
	at = img_note(&m, NT_GNU_ABI_TAG, "GNU", 4, 16, 4);
	img_bid(&m, 20);
	img_phdr(&m, 1, PT_NOTE, at, m.n - at, 4);
	f = (struct failing){ .b = { m.b, m.n }, .fail_at = ~0u };
	ASSERT_EQ(BID_OK, bid_parse(failing_read, &f, id, &len));
	needed = f.calls;
	ASSERT_GE(needed, 7);	/* magic, ehdr, 2 phdrs, 2 notes, name, desc */
	for (k = 0; k < needed; k++) {
		f.calls = 0;
		f.fail_at = k;
		EXPECT_EQ(BID_NOREAD, bid_parse(failing_read, &f, id, &len)) {
			TH_LOG("read %u of %u failed", k, needed);
		}
	}
}

/* --- the readelf oracle --- */

#define BID_GLOB_CAP	200

struct oracle_stats {
	unsigned int files, with_id, not_elf, other_elf;
	unsigned int outside, mismatches;
};

struct fd_ctx {
	int fd;
};

static bool fd_read(void *ctx, u64 off, void *dst, size_t len)
{
	struct fd_ctx *f = ctx;

	return pread(f->fd, dst, len, (off_t)off) == (ssize_t)len;
}

/* What readelf says of one file (`readelf -lnW`). */
struct readelf_view {
	bool not_elf;
	bool note_seg[BID_MAX_PHDRS];	/* program header i is a PT_NOTE */
	char map[BID_MAX_PHDRS][512];	/* its sections, " a b c " */
	unsigned int nph;
	bool in_note;			/* the notes shown now are in one */
	unsigned int len, outside;	/* the first id in one; ids not */
	u8 id[64];
};

static void readelf_line(struct readelf_view *v, const char *line,
			 int *part)
{
	char type[32], name[258] = " ";
	unsigned int i, x, n = 0;
	const char *p;

	if (strstr(line, "Not an ELF file"))
		v->not_elf = true;
	if (strstr(line, "Program Headers:") || strstr(line, "Section to Segment")) {
		(*part)++;
		return;
	}
	if (*part == 1 && sscanf(line, " %31s 0x%x", type, &x) == 2 &&
	    v->nph < BID_MAX_PHDRS)
		v->note_seg[v->nph++] = !strcmp(type, "NOTE");
	if (*part == 2 && sscanf(line, " %u %n", &i, &n) == 1 && n &&
	    i < v->nph)
		snprintf(v->map[i], sizeof(v->map[i]), " %s", line + n);
	if (sscanf(line, "Displaying notes found in: %255s", name + 1) == 1) {
		strcat(name, " ");		/* " NAME " */
		v->in_note = false;
		for (i = 0; i < v->nph; i++)
			if (v->note_seg[i] && strstr(v->map[i], name))
				v->in_note = true;
	} else if (strstr(line, "Displaying notes found at file offset")) {
		v->in_note = true;		/* no sections: the segments */
	}
	p = strstr(line, "Build ID: ");
	if (!p)
		return;
	if (!v->in_note || v->len) {
		v->outside += !v->in_note;
		return;
	}
	for (p += 10; v->len < sizeof(v->id) && sscanf(p, "%2x", &x) == 1;
	     p += 2)
		v->id[v->len++] = (u8)x;
}

/*
 * readelf's notes of @path, of which those in note sections that lie in
 * a PT_NOTE segment by its section-to-segment mapping: where the kernel
 * and bid_parse() look. (A Go binary's .note.gnu.build-id lies in a
 * PT_LOAD only.) Returns 0, or -1 if readelf could not be run.
 */
static int readelf_view(const char *path, struct readelf_view *v)
{
	char cmd[4200], line[1024];
	int part = 0;
	FILE *f;

	memset(v, 0, sizeof(*v));
	snprintf(cmd, sizeof(cmd), "readelf -lnW '%s' 2>&1", path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = ' ';
		readelf_line(v, line, &part);
	}
	return pclose(f) == -1 ? -1 : 0;
}

static void oracle_file(const char *path, struct oracle_stats *st)
{
	static struct readelf_view v;
	u8 id[BID_MAX_LEN], ident[EI_NIDENT] = { 0 };
	struct fd_ctx fc;
	unsigned int len = 0;
	int g, expect;
	bool ok;

	if (strchr(path, '\'') || readelf_view(path, &v))
		return;
	fc.fd = open(path, O_RDONLY);
	if (fc.fd < 0)
		return;
	ok = pread(fc.fd, ident, sizeof(ident), 0) == sizeof(ident);
	st->files++;
	st->outside += v.outside;
	if (v.not_elf) {
		expect = ok ? BID_NOTELF : -1;	/* a short file: NOREAD too */
		st->not_elf++;
	} else if (!ok || ident[EI_CLASS] != ELFCLASS64 ||
		   ident[EI_DATA] != ELFDATA2LSB) {
		expect = BID_NOTELF;		/* ELF, but not ours */
		st->other_elf++;
	} else if (v.len == 0 || v.len > BID_MAX_LEN) {
		expect = BID_NONE;
	} else {
		expect = BID_OK;
		st->with_id++;
	}
	g = bid_parse(fd_read, &fc, id, &len);
	close(fc.fd);
	if (expect == -1 ? (g == BID_NOTELF || g == BID_NOREAD) :
	    g == expect && (g != BID_OK || (len == v.len &&
					    !memcmp(id, v.id, len))))
		return;
	if (st->mismatches++ < 20)
		fprintf(stderr, "# %s: readelf %s (id of %u bytes), bid_parse %d (id of %u)\n",
			path, v.not_elf ? "not ELF" : "ELF", v.len, g, len);
}

/* The first BID_GLOB_CAP regular files matching @pattern, once each. */
static void oracle_glob(const char *pattern, struct oracle_stats *st,
			ino_t *seen, unsigned int *nseen, unsigned int cap)
{
	unsigned int i, j, taken = 0;
	struct stat sb;
	glob_t g;

	if (glob(pattern, 0, NULL, &g))
		return;
	for (i = 0; i < g.gl_pathc && taken < BID_GLOB_CAP; i++) {
		if (stat(g.gl_pathv[i], &sb) || !S_ISREG(sb.st_mode))
			continue;
		for (j = 0; j < *nseen && seen[j] != sb.st_ino; j++)
			;
		if (j < *nseen || *nseen == cap)
			continue;
		seen[(*nseen)++] = sb.st_ino;
		oracle_file(g.gl_pathv[i], st);
		taken++;
	}
	globfree(&g);
}

TEST(readelf_oracle_on_real_files)
{
	static const char *const globs[] = {
		"/usr/bin/*", "/usr/lib/x86_64-linux-gnu/*.so*",
	};
	static ino_t seen[2 * BID_GLOB_CAP];
	struct oracle_stats st = { 0 };
	char *extra = getenv("KPM_BID_FILES"), *save = NULL, *p;
	unsigned int i, nseen = 0;

	if (extra) {
		extra = strdup(extra);
		for (p = strtok_r(extra, " ", &save); p;
		     p = strtok_r(NULL, " ", &save))
			oracle_file(p, &st);
		free(extra);
	}
	for (i = 0; i < 2; i++)
		oracle_glob(globs[i], &st, seen, &nseen, 2 * BID_GLOB_CAP);
	TH_LOG("%u files, %u with a build id, %u not ELF, %u ELF but not ELF64 LE, %u build ids outside any PT_NOTE (Go binaries, kernel modules), %u mismatches",
	       st.files, st.with_id, st.not_elf, st.other_elf, st.outside,
	       st.mismatches);
	ASSERT_GE(st.files, 50);
	EXPECT_GT(st.with_id, 25);
	EXPECT_EQ(0, st.mismatches);
}

TEST_HARNESS_MAIN
