/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bid_buf_read.h - the host harnesses' bid_read_t over a struct bid_buf
 * (buildid_test and fuzz_buildid): the buffer is the file, and a read
 * past its end fails as pread() would, instead of reaching ASan.
 */
#ifndef _KPM_BID_BUF_READ_H
#define _KPM_BID_BUF_READ_H

#include <string.h>

/* A whole "file" in memory. */
struct bid_buf {
	const u8 *data;
	size_t len;
};

static bool bid_test_buf_read(void *ctx, u64 off, void *dst, size_t len)
{
	const struct bid_buf *b = ctx;

	if (off > b->len || len > b->len - off)
		return false;
	memcpy(dst, b->data + off, len);
	return true;
}

#endif /* _KPM_BID_BUF_READ_H */
