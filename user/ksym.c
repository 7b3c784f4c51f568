// SPDX-License-Identifier: GPL-2.0
/*
 * ksym.c - kallsyms reader and ELF note (build id) decoder (see ksym.h)
 *
 * Called from convert.c once per run, before the first record.
 */
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksym.h"

/* A symbol while loading: its rank decides who wins one address. */
struct ksym_load_ent {
	struct ksym s;
	uint32_t rank;		/* lower wins; see ksym_rank() */
	uint32_t order;		/* line number, for a stable tie-break */
};

static bool ksym_is_text(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

static bool ksym_is_end_marker(const char *name)
{
	return !strcmp(name, "_etext") || !strcmp(name, "_einittext");
}

/* perf's choice among aliases: strong, then global, then fewer '_'. */
static uint32_t ksym_rank(char type, const char *name)
{
	uint32_t underscores = 0;

	if (ksym_is_end_marker(name))
		return 0;
	while (name[underscores] == '_' && underscores < 255)
		underscores++;
	return 1 + ((type == 'w' || type == 'W') << 10) +
	       ((type == 't' || type == 'w') << 9) + underscores;
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym_load_ent *x = a, *y = b;

	if (x->s.addr != y->s.addr)
		return x->s.addr < y->s.addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static uint32_t ksym_mod_num(struct ksym_table *t, const char *name,
			     size_t len)
{
	const char *s;
	size_t i;

	/* Module symbols come grouped, so the last module is the usual hit. */
	for (i = t->nmods; i-- > 0;)
		if (strlen(t->mods[i]) == len && !memcmp(t->mods[i], name, len))
			return (uint32_t)i + 1;
	s = kp_strpool_get(&t->names, kp_strpool_intern(&t->names, name, len));
	kp_grow(&t->mods, &t->modcap, t->nmods, sizeof(*t->mods));
	t->mods[t->nmods++] = s;
	return (uint32_t)t->nmods;
}

/*
 * Parse one kallsyms line "ADDR TYPE NAME[\t[MODULE]]" into @e.
 * Return: 1 for a text symbol, 0 for any other symbol, -1 if malformed.
 */
static int ksym_parse_line(struct ksym_table *t, char *line,
			   struct ksym_load_ent *e)
{
	char *name, *end, *tab;
	unsigned long long addr;
	char type;

	errno = 0;
	addr = strtoull(line, &end, 16);
	if (errno || end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
		return -1;
	type = end[1];
	name = end + 3;
	name[strcspn(name, "\n")] = '\0';
	if (!*name)
		return -1;
	if (!ksym_is_text(type))
		return 0;
	e->s.addr = addr;
	e->s.mod = 0;
	tab = strchr(name, '\t');
	if (tab) {
		size_t mlen;

		*tab = '\0';
		if (tab[1] != '[')
			return -1;
		mlen = strcspn(tab + 2, "]");
		if (tab[2 + mlen] != ']' || mlen == 0)
			return -1;
		e->s.mod = ksym_mod_num(t, tab + 2, mlen);
	}
	e->rank = ksym_rank(type, name);
	e->s.name = e->s.mod == 0 && ksym_is_end_marker(name) ? NULL :
		kp_strpool_get(&t->names,
			       kp_strpool_intern(&t->names, name, strlen(name)));
	return 1;
}

/* Sort and keep the best-ranked symbol of each address. */
static void ksym_finish(struct ksym_table *t, struct ksym_load_ent *ent,
			size_t n)
{
	size_t i;

	qsort(ent, n, sizeof(*ent), ksym_cmp);
	t->sym = xmalloc(n * sizeof(*t->sym));
	t->n = 0;
	for (i = 0; i < n; i++)
		if (i == 0 || ent[i].s.addr != ent[i - 1].s.addr)
			t->sym[t->n++] = ent[i].s;
	t->cap = n;
}

int ksym_load(struct ksym_table *t, const char *path, char *err,
	      size_t errlen)
{
	struct ksym_load_ent *ent = NULL;
	size_t n = 0, cap = 0, lines = 0, bad = 0;
	bool nonzero = false;
	char *line = NULL;
	size_t linecap = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &linecap, f) > 0) {
		struct ksym_load_ent e;
		int ret;

		lines++;
		ret = ksym_parse_line(t, line, &e);
		if (ret < 0)
			bad++;
		if (ret <= 0)
			continue;
		e.order = (uint32_t)lines;
		nonzero |= e.s.addr != 0;
		kp_grow(&ent, &cap, n, sizeof(*ent));
		ent[n++] = e;
	}
	free(line);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out_free;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: no text symbols%s", path,
			 bad ? " (not a kallsyms file?)" : "");
		goto out_free;
	}
	if (!nonzero) {
		snprintf(err, errlen,
			 "%s: every address is 0 (kptr_restrict hides them; run as root)",
			 path);
		goto out_free;
	}
	ksym_finish(t, ent, n);
	free(ent);
	fclose(f);
	if (bad)
		kp_warn("%s: %zu malformed lines ignored", path, bad);
	return 0;

out_free:
	free(ent);
	fclose(f);
	return -1;
}

const struct ksym *ksym_lookup(const struct ksym_table *t, uint64_t addr)
{
	size_t lo = kp_count_le(t->sym, t->n, sizeof(*t->sym),
				offsetof(struct ksym, addr), addr);

	if (lo == 0 || !t->sym[lo - 1].name)
		return NULL;
	return &t->sym[lo - 1];
}

const char *ksym_mod_name(const struct ksym_table *t, uint32_t mod)
{
	return mod >= 1 && mod <= t->nmods ? t->mods[mod - 1] : NULL;
}

void ksym_free(struct ksym_table *t)
{
	free(t->sym);
	free(t->mods);
	kp_strpool_free(&t->names);
	memset(t, 0, sizeof(*t));
}

/* --- build ids --- */

#define KP_NOTE_ALIGN(x) (((x) + 3) & ~(size_t)3)

bool kp_notes_build_id(const void *buf, size_t len, char *hex)
{
	const unsigned char *p = buf;
	size_t off = 0;

	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		size_t name_off, desc_off, next;

		memcpy(&nh, p + off, sizeof(nh));
		name_off = off + sizeof(nh);
		if (nh.n_namesz > len - name_off)
			return false;
		desc_off = name_off + KP_NOTE_ALIGN((size_t)nh.n_namesz);
		if (desc_off > len || nh.n_descsz > len - desc_off)
			return false;
		next = desc_off + KP_NOTE_ALIGN((size_t)nh.n_descsz);
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp(p + name_off, "GNU", 4) && nh.n_descsz >= 1 &&
		    nh.n_descsz <= (KP_BUILD_ID_HEX_MAX - 1) / 2) {
			size_t i;

			for (i = 0; i < nh.n_descsz; i++)
				sprintf(hex + 2 * i, "%02x", p[desc_off + i]);
			return true;
		}
		if (next <= off || next > len)
			return false;
		off = next;
	}
	return false;
}

bool kp_file_build_id(const char *path, char *hex)
{
	unsigned char buf[65536];
	size_t len;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return false;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return kp_notes_build_id(buf, len, hex);
}
