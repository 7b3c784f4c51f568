/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pb.h - a small streaming protocol buffer writer
 *
 * Modelled on Go's src/runtime/pprof/protobuf.go: fields are appended to
 * one byte buffer; a nested message is written in place and its length
 * prefix inserted when it ends (pb_start_message() / pb_end_message()).
 * Whenever no message is open the buffer can be handed to a sink
 * (pb_flush_maybe()), so a profile of any size is written with a buffer
 * of a few KiB plus the largest single top-level message.
 *
 * Only the wire types pprof needs: varint (0) and length-delimited (2).
 * The first error of the sink is kept in pb->err and stops all output.
 */
#ifndef KP_PB_H
#define KP_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hand buffered bytes to the sink once this many are pending. */
#define PB_FLUSH_BYTES 4096

/**
 * pb_sink_fn - where the encoded bytes go
 * Return: 0, or a negative errno that pb_flush() stores in pb->err.
 */
typedef int (*pb_sink_fn)(void *ctx, const void *buf, size_t len);

struct pb {
	uint8_t *data;		/* encoded, not yet flushed */
	size_t len, cap;
	int nest;		/* open nested messages */
	pb_sink_fn sink;	/* NULL: keep everything in data */
	void *sink_ctx;
	int err;		/* first sink error, 0 if none */
};

/**
 * pb_init() - an empty writer
 * @b:    the writer
 * @sink: receives the bytes (may be NULL to keep them in @b->data)
 * @ctx:  passed to @sink
 *
 * Context: any. Return: nothing.
 */
void pb_init(struct pb *b, pb_sink_fn sink, void *ctx);

/** pb_free() - release the buffer. Context: any. */
void pb_free(struct pb *b);

/** pb_varint() - a raw varint, no tag. Context: any. */
void pb_varint(struct pb *b, uint64_t x);

/**
 * pb_uint64() / pb_int64() - one varint field; the _opt forms write
 * nothing for 0 (the proto3 default)
 *
 * Context: any. Return: nothing.
 */
void pb_uint64(struct pb *b, int tag, uint64_t x);
void pb_uint64_opt(struct pb *b, int tag, uint64_t x);
void pb_int64(struct pb *b, int tag, int64_t x);
void pb_int64_opt(struct pb *b, int tag, int64_t x);
void pb_bool_opt(struct pb *b, int tag, bool x);

/**
 * pb_uint64s() / pb_int64s() - a repeated varint field, packed when it
 * has more than two elements (shorter than one tag per element)
 *
 * Context: any. Return: nothing.
 */
void pb_uint64s(struct pb *b, int tag, const uint64_t *x, size_t n);
void pb_int64s(struct pb *b, int tag, const int64_t *x, size_t n);

/**
 * pb_bytes() - a length-delimited field (string or bytes)
 *
 * Context: any. Return: nothing.
 */
void pb_bytes(struct pb *b, int tag, const void *p, size_t len);

/**
 * pb_start_message() - open a nested message
 *
 * Context: any. Return: the offset to pass to pb_end_message().
 */
size_t pb_start_message(struct pb *b);

/**
 * pb_end_message() - close the message opened at @start as field @tag
 *
 * Inserts the tag and length before the message's bytes.
 *
 * Context: any. Return: nothing.
 */
void pb_end_message(struct pb *b, int tag, size_t start);

/**
 * pb_flush_maybe() - hand the buffer to the sink when it is large and
 * no message is open
 *
 * Context: any. Return: nothing; a sink error is kept in @b->err.
 */
void pb_flush_maybe(struct pb *b);

/**
 * pb_flush() - hand everything buffered to the sink
 *
 * Must not be called with a message open.
 *
 * Context: any. Return: 0 or the first sink error (negative errno).
 */
int pb_flush(struct pb *b);

#endif /* KP_PB_H */
