/* SPDX-License-Identifier: GPL-2.0 */
/*
 * util.h - small helpers shared by every part of kprof2pprof
 *
 * Allocation that cannot fail (it exits), an open-addressing hash index,
 * a string pool whose strings never move, strict number parsing and a
 * UTF-8 validator. Nothing here knows about profiles or records.
 *
 * kprof2pprof is single-threaded: none of these helpers lock.
 */
#ifndef KP_UTIL_H
#define KP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/**
 * xmalloc() / xcalloc() / xrealloc() / xstrdup() - allocate or exit
 *
 * On failure they print "kprof2pprof: out of memory" and exit(1); the
 * atexit handler main() installs removes any temporary output file.
 *
 * Context: any. Return: the memory, never NULL.
 */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);

/**
 * kp_grow() - make room for one more element in a growable array
 * @arr:  address of the array pointer
 * @cap:  address of its capacity in elements
 * @n:    elements in use
 * @elem: size of one element
 *
 * Doubles the capacity (at least 16) when @n == *@cap.
 *
 * Context: any. Return: nothing; exits on out of memory.
 */
void kp_grow(void *arr, size_t *cap, size_t n, size_t elem);

/**
 * kp_hash64() - mix a 64-bit value into a well-distributed hash
 * kp_hash_bytes() - hash a byte string
 *
 * Not keyed: kprof2pprof's inputs come from root-only files and its
 * tables are bounded by the input, so chain attacks only slow it down.
 *
 * Context: any. Return: the hash.
 */
uint64_t kp_hash64(uint64_t x);
uint64_t kp_hash_bytes(const void *p, size_t len);

/*
 * struct kp_index - open-addressing hash index from a key to an entry
 * number. The caller owns the entries (usually a growable array) and
 * supplies the hash and an equality callback; the index stores only the
 * entry number + 1 (0 marks an empty slot) and 32 bits of the hash, so
 * growing never calls back into the caller.
 *
 * Invariant: used * 4 <= (mask + 1) * 3 after every insert.
 */
struct kp_index_slot {
	uint32_t entry1;	/* entry number + 1; 0: empty */
	uint32_t hash;		/* low 32 bits of the key's hash */
};

struct kp_index {
	struct kp_index_slot *slot;
	size_t mask;		/* slot count - 1 (a power of two), or 0 */
	size_t used;
};

/**
 * kp_index_find() - look up a key
 * @ix:   the index
 * @hash: the key's hash
 * @eq:   returns true when entry number @entry holds the key
 * @ctx:  passed to @eq
 *
 * Context: any. Return: the entry number, or -1 when absent.
 */
long kp_index_find(const struct kp_index *ix, uint64_t hash,
		   bool (*eq)(const void *ctx, uint32_t entry), const void *ctx);

/**
 * kp_index_insert() - add an entry number for a key known to be absent
 *
 * Context: any. Return: nothing; exits on out of memory.
 */
void kp_index_insert(struct kp_index *ix, uint64_t hash, uint32_t entry);

/** kp_index_free() - release the slots. Context: any. */
void kp_index_free(struct kp_index *ix);

/*
 * struct kp_strpool - interned strings with stable addresses.
 *
 * Strings live in chunks that are never moved or freed before
 * kp_strpool_free(), so the pointers handed out stay valid. Each string
 * has a number (its order of first insertion, from 0), which the profile
 * builder uses directly as the pprof string_table index.
 */
struct kp_str {
	const char *s;		/* NUL-terminated, stable */
	uint32_t len;
};

struct kp_strpool {
	struct kp_str *str;	/* by number */
	size_t n, cap;
	struct kp_index ix;
	char **chunk;		/* every allocation, for freeing */
	size_t nchunk, chunkcap;
	char *cur;		/* free space in the newest chunk */
	size_t curleft;
};

/**
 * kp_strpool_intern() - number of a string, adding it when new
 * @sp:  the pool
 * @s:   bytes (need not be NUL-terminated, may not contain NUL)
 * @len: their length
 *
 * Context: any. Return: the string's number.
 */
uint32_t kp_strpool_intern(struct kp_strpool *sp, const char *s, size_t len);

/**
 * kp_strpool_get() - the string with a given number
 *
 * Context: any. Return: a stable NUL-terminated string.
 */
static inline const char *kp_strpool_get(const struct kp_strpool *sp,
					 uint32_t num)
{
	return sp->str[num].s;
}

/** kp_strpool_free() - release every string. Context: any. */
void kp_strpool_free(struct kp_strpool *sp);

/**
 * kp_count_le() - how many elements of a sorted array have a key <= @key
 * @base: the array, sorted by a uint64_t key
 * @n:    elements
 * @size: bytes per element
 * @off:  offset of the key in an element (offsetof)
 * @key:  the key sought
 *
 * The element holding an address is then base[kp_count_le() - 1], when
 * that count is not 0.
 *
 * Context: any. Return: the count, 0..@n.
 */
size_t kp_count_le(const void *base, size_t n, size_t size, size_t off,
		   uint64_t key);

/**
 * kp_parse_dec() - strict unsigned decimal
 * @s:   digits (not NUL-terminated)
 * @len: how many
 * @out: the value
 *
 * Accepts 1..20 digits, no sign, no leading zero unless the number is 0,
 * and no overflow.
 *
 * Context: any. Return: true when @s is such a number.
 */
bool kp_parse_dec(const char *s, size_t len, uint64_t *out);

/**
 * kp_parse_hex() - strict lowercase hexadecimal, as printed by "%lx"
 *
 * Accepts 1..16 digits 0-9a-f, no "0x", no leading zero unless the
 * number is 0.
 *
 * Context: any. Return: true when @s is such a number.
 */
bool kp_parse_hex(const char *s, size_t len, uint64_t *out);

/**
 * kp_utf8_valid() - whether @len bytes at @s are well-formed UTF-8
 *
 * Rejects overlong forms, surrogates and code points above U+10FFFF.
 *
 * Context: any. Return: true when valid.
 */
bool kp_utf8_valid(const char *s, size_t len);

/**
 * kp_utf8_sanitize() - copy bytes, replacing each ill-formed byte by U+FFFD
 * @s:    input bytes
 * @len:  their length
 * @olen: length of the result
 *
 * Context: any. Return: a malloc'd NUL-terminated valid UTF-8 string.
 */
char *kp_utf8_sanitize(const char *s, size_t len, size_t *olen);

/**
 * kp_warn() - print "kprof2pprof: warning: ..." on stderr
 *
 * Context: any. Return: nothing.
 */
void kp_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* KP_UTIL_H */
