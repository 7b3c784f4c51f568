/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ksym.h - kernel symbols from a kallsyms file, and kernel build ids
 *
 * The kernel side of symbolization: /proc/kallsyms (or a file given with
 * --kallsyms) is read once into one table sorted by address, text
 * symbols only, module symbols carrying their module's number. A PC
 * belongs to the closest text symbol at or below it, unless a marker of
 * the end of text (_etext, _einittext) sits between them.
 */
#ifndef KP_KSYM_H
#define KP_KSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Hex digits of a build id: 20 bytes for SHA-1 ids, up to 64 bytes. */
#define KP_BUILD_ID_HEX_MAX (2 * 64 + 1)

struct ksym {
	uint64_t addr;
	const char *name;	/* NULL: an end-of-text marker, not a function */
	uint32_t mod;		/* 0: core kernel, else 1 + index in mods */
};

/*
 * struct ksym_table - all kernel text symbols.
 * Invariant: sym[] is sorted by addr with at most one entry per addr.
 */
struct ksym_table {
	struct ksym *sym;
	size_t n, cap;
	const char **mods;	/* module names, in order of appearance */
	size_t nmods, modcap;
	struct kp_strpool names;
};

/**
 * ksym_load() - read a kallsyms file
 * @t:    an all-zero table
 * @path: the file
 * @err:  a message when the file cannot be used
 * @errlen: its size
 *
 * At one address the best name wins: a global over a local symbol, a
 * strong over a weak one, fewer leading underscores, then the first in
 * the file (as perf chooses). A file whose addresses are all zero
 * (kptr_restrict) is refused.
 *
 * Context: process; reads @path. Return: 0, or -1 with @err set.
 */
int ksym_load(struct ksym_table *t, const char *path, char *err,
	      size_t errlen);

/**
 * ksym_lookup() - the kernel symbol a PC is in
 *
 * Context: any. Return: the symbol, or NULL when @addr is below every
 * symbol or past an end-of-text marker.
 */
const struct ksym *ksym_lookup(const struct ksym_table *t, uint64_t addr);

/** ksym_mod_name() - name of module number @mod (1-based). */
const char *ksym_mod_name(const struct ksym_table *t, uint32_t mod);

/** ksym_free() - release the table. Context: any. */
void ksym_free(struct ksym_table *t);

/**
 * kp_notes_build_id() - GNU build id in a buffer of ELF notes
 * @buf:  notes as laid out in a PT_NOTE segment or /sys/kernel/notes
 * @len:  their length
 * @hex:  KP_BUILD_ID_HEX_MAX bytes for the lowercase hex id
 *
 * Context: any. Return: true when an NT_GNU_BUILD_ID "GNU" note was found.
 */
bool kp_notes_build_id(const void *buf, size_t len, char *hex);

/**
 * kp_file_build_id() - GNU build id in a file of raw ELF notes, such as
 * /sys/kernel/notes or /sys/module/NAME/notes/.note.gnu.build-id
 *
 * Context: process; reads @path. Return: true when found.
 */
bool kp_file_build_id(const char *path, char *hex);

#endif /* KP_KSYM_H */
