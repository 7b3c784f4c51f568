// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_buildid - libFuzzer target for the build id reader
 * (module/buildid.c, unchanged).
 *
 * Input: the whole file. It is copied into a buffer of exactly its
 * length and the id into one of exactly BID_MAX_LEN bytes, so ASan
 * catches a read or write past either. The parse must return one of the
 * enum bid_status values, the same one twice, and on BID_OK a length of
 * 1..BID_MAX_LEN and bytes that are in the file.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"
#include "../../module/buildid.h"

#include "bid_buf_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u8 *file = malloc(size ? size : 1), *id = malloc(BID_MAX_LEN);
	struct bid_buf b = { .data = file, .len = size };
	u8 again[BID_MAX_LEN];
	unsigned int len = 0, len2 = 0;
	int ret;

	memcpy(file, data, size);
	ret = bid_parse(bid_test_buf_read, &b, id, &len);
	if (ret < BID_OK || ret > BID_NOREAD)
		abort();
	if (ret == BID_OK &&
	    (len < 1 || len > BID_MAX_LEN || !memmem(file, size, id, len)))
		abort();
	if (bid_parse(bid_test_buf_read, &b, again, &len2) != ret)
		abort();
	if (ret == BID_OK && (len2 != len || memcmp(id, again, len)))
		abort();
	free(id);
	free(file);
	return 0;
}
