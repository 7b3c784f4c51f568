// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_gopclntab - libFuzzer target for the Go unwind-table core
 * (module/gopclntab.c, unchanged).
 *
 * Input: 4 bytes of PC offset, then the .gopclntab bytes, copied into a
 * buffer of exactly their length, so ASan catches any read past it. The
 * PC is the offset added to the table's own textStart (when it has a
 * header), so lookups land in its functions, and also taken raw. A lookup
 * must return one of the enum ehf_status values; on EHF_OK its rule must
 * be an SP-based one whose row lies inside its function around the PC;
 * the reader path (the module's) must agree with the buffer path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"
#include "../../module/gopclntab.h"

#define TAB_VADDR	0x4d0000ULL

#include "ehf_buf_read.h"

static void check(const struct ehf_buf *tab, uint64_t pc)
{
	struct ehf_rule r, m;
	int ret, mret;

	memset(&r, 0, sizeof(r));
	memset(&m, 0, sizeof(m));
	ret = gop_rule(tab, pc, &r);
	if (ret < EHF_OK || ret > EHF_NOREAD || ret == EHF_NOREAD)
		abort();
	if (ret == EHF_OK &&
	    (r.cfa_base != EHF_CFA_SP || r.cfa_off < 8 ||
	     r.row_start < r.fde_start || r.row_end > r.fde_end ||
	     r.row_start > pc || r.row_end <= pc))
		abort();
	mret = gop_rule_mem(ehf_test_buf_read, (void *)tab, tab->vaddr,
			    tab->len, pc, &m);
	if (mret != ret || (ret == EHF_OK && memcmp(&r, &m, sizeof(r))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ehf_buf tab;
	uint64_t text = 0;
	uint32_t pcoff;
	uint8_t *t;

	if (size < 4)
		return 0;
	memcpy(&pcoff, data, 4);
	data += 4;
	size -= 4;
	t = malloc(size ? size : 1);
	memcpy(t, data, size);
	tab = (struct ehf_buf){ .data = t, .len = size, .vaddr = TAB_VADDR };
	if (size >= 32)
		memcpy(&text, t + 24, 8);

	check(&tab, text + pcoff);
	check(&tab, pcoff);
	check(&tab, text + (pcoff & 0xff));
	free(t);
	return 0;
}
