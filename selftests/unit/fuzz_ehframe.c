// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ehframe - libFuzzer target for the unwind-rule core
 * (module/ehframe.c, unchanged).
 *
 * Input: 8 bytes of PC offset, 2 bytes of .eh_frame_hdr length, the
 * header bytes, then .eh_frame bytes. Both sections are copied into
 * buffers of exactly their length, so ASan catches any read past them.
 * The lookup must return one of the enum ehf_status values and, on
 * EHF_OK, a rule whose row lies inside its FDE.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"
#include "../../module/ehframe.h"

#define HDR_VADDR	0x200000ULL
#define EH_VADDR	0x300000ULL

#include "ehf_buf_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ehf_buf hdr, eh;
	struct ehf_rule r;
	uint64_t pcoff;
	uint16_t hlen;
	uint8_t *h, *e;
	int ret;

	if (size < 10)
		return 0;
	memcpy(&pcoff, data, 8);
	memcpy(&hlen, data + 8, 2);
	data += 10;
	size -= 10;
	if (hlen > size)
		hlen = (uint16_t)size;
	h = malloc(hlen ? hlen : 1);
	e = malloc(size - hlen ? size - hlen : 1);
	memcpy(h, data, hlen);
	memcpy(e, data + hlen, size - hlen);
	hdr = (struct ehf_buf){ .data = h, .len = hlen, .vaddr = HDR_VADDR };
	eh = (struct ehf_buf){ .data = e, .len = size - hlen, .vaddr = EH_VADDR };

	/* PCs near both sections and anywhere. */
	ret = ehf_lookup(&hdr, &eh, pcoff, &r);
	if (ret < EHF_OK || ret > EHF_NOREAD)
		abort();
	if (ret == EHF_OK && (r.row_start < r.fde_start ||
			      r.row_end > r.fde_end || r.row_start > pcoff))
		abort();
	ret = ehf_rule_at(&eh, EH_VADDR + (pcoff & 0xff), pcoff >> 8, &r);
	if (ret < EHF_OK || ret > EHF_NOREAD)
		abort();
	/* The module's path: a reader and a small scratch. */
	{
		static uint8_t scratch[512];
		struct ehf_rule m;
		uint64_t fde;

		ret = ehf_find_fde_mem(ehf_test_buf_read, &hdr, HDR_VADDR, hlen,
				       pcoff, &fde);
		if (ret == EHF_OK)
			ret = ehf_rule_mem(ehf_test_buf_read, &eh, fde, pcoff, scratch,
					   sizeof(scratch), &m);
		if (ret < EHF_OK || ret > EHF_NOREAD)
			abort();
	}
	free(h);
	free(e);
	return 0;
}
