// SPDX-License-Identifier: GPL-2.0
/*
 * pb.c - the streaming protocol buffer writer (see pb.h)
 */
#include <stdlib.h>
#include <string.h>

#include "pb.h"
#include "util.h"

enum {
	PB_WIRE_VARINT = 0,
	PB_WIRE_LEN = 2,
};

/* The longest varint: 64 bits in 7-bit groups. */
#define PB_VARINT_MAX 10

void pb_init(struct pb *b, pb_sink_fn sink, void *ctx)
{
	memset(b, 0, sizeof(*b));
	b->sink = sink;
	b->sink_ctx = ctx;
}

void pb_free(struct pb *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static void pb_reserve(struct pb *b, size_t more)
{
	size_t ncap;

	if (b->len + more <= b->cap)
		return;
	ncap = b->cap ? b->cap : 2 * PB_FLUSH_BYTES;
	while (ncap < b->len + more)
		ncap *= 2;
	b->data = xrealloc(b->data, ncap);
	b->cap = ncap;
}

/* Encode @x at @p; return the bytes written. */
static size_t pb_put_varint(uint8_t *p, uint64_t x)
{
	size_t n = 0;

	while (x >= 0x80) {
		p[n++] = (uint8_t)x | 0x80;
		x >>= 7;
	}
	p[n++] = (uint8_t)x;
	return n;
}

void pb_varint(struct pb *b, uint64_t x)
{
	pb_reserve(b, PB_VARINT_MAX);
	b->len += pb_put_varint(b->data + b->len, x);
}

static void pb_key(struct pb *b, int tag, int wire)
{
	pb_varint(b, (uint64_t)tag << 3 | (uint64_t)wire);
}

void pb_uint64(struct pb *b, int tag, uint64_t x)
{
	pb_key(b, tag, PB_WIRE_VARINT);
	pb_varint(b, x);
}

void pb_uint64_opt(struct pb *b, int tag, uint64_t x)
{
	if (x)
		pb_uint64(b, tag, x);
}

void pb_int64(struct pb *b, int tag, int64_t x)
{
	pb_uint64(b, tag, (uint64_t)x);
}

void pb_int64_opt(struct pb *b, int tag, int64_t x)
{
	if (x)
		pb_int64(b, tag, x);
}

void pb_bool_opt(struct pb *b, int tag, bool x)
{
	if (x)
		pb_uint64(b, tag, 1);
}

/*
 * Move the bytes from @start to the end up by the size of (@tag, length)
 * and write that key and length in front of them.
 */
static void pb_prefix_length(struct pb *b, int tag, size_t start)
{
	uint8_t hdr[2 * PB_VARINT_MAX];
	size_t body = b->len - start;
	size_t n;

	n = pb_put_varint(hdr, (uint64_t)tag << 3 | PB_WIRE_LEN);
	n += pb_put_varint(hdr + n, body);
	pb_reserve(b, n);
	memmove(b->data + start + n, b->data + start, body);
	memcpy(b->data + start, hdr, n);
	b->len += n;
}

void pb_uint64s(struct pb *b, int tag, const uint64_t *x, size_t n)
{
	size_t i, start;

	if (n <= 2) {
		for (i = 0; i < n; i++)
			pb_uint64(b, tag, x[i]);
		return;
	}
	start = b->len;
	for (i = 0; i < n; i++)
		pb_varint(b, x[i]);
	pb_prefix_length(b, tag, start);
}

void pb_int64s(struct pb *b, int tag, const int64_t *x, size_t n)
{
	/* int64 is encoded as its two's complement uint64 */
	pb_uint64s(b, tag, (const uint64_t *)x, n);
}

void pb_bytes(struct pb *b, int tag, const void *p, size_t len)
{
	pb_key(b, tag, PB_WIRE_LEN);
	pb_varint(b, len);
	pb_reserve(b, len);
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
}

size_t pb_start_message(struct pb *b)
{
	b->nest++;
	return b->len;
}

void pb_end_message(struct pb *b, int tag, size_t start)
{
	pb_prefix_length(b, tag, start);
	b->nest--;
}

int pb_flush(struct pb *b)
{
	if (b->sink && b->len && !b->err)
		b->err = b->sink(b->sink_ctx, b->data, b->len);
	if (b->sink)
		b->len = 0;
	return b->err;
}

void pb_flush_maybe(struct pb *b)
{
	if (b->nest == 0 && b->len >= PB_FLUSH_BYTES)
		pb_flush(b);
}
