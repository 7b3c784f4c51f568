/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ehf_buf_read.h - the host harnesses' ehf_read_t over a struct ehf_buf
 * (ehframe_test and fuzz_ehframe): a bounds-checked copy, so a read past
 * the buffer fails instead of reaching ASan.
 */
#ifndef _KPM_EHF_BUF_READ_H
#define _KPM_EHF_BUF_READ_H

#include <string.h>

static bool ehf_test_buf_read(void *ctx, u64 addr, void *dst, size_t len)
{
	const struct ehf_buf *b = ctx;

	if (addr < b->vaddr || addr - b->vaddr > b->len ||
	    len > b->len - (addr - b->vaddr))
		return false;
	memcpy(dst, b->data + (addr - b->vaddr), len);
	return true;
}

#endif /* _KPM_EHF_BUF_READ_H */
