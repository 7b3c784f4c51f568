/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gopclntab.h - the unwind rule at one PC of a Go binary, from its
 * .gopclntab (x86-64, Go 1.18 and later)
 *
 * Go does not describe its frames in .eh_frame; its runtime unwinds with
 * its own table, .gopclntab, which every Go binary carries (stripped or
 * not) in a loaded segment. For a PC the table gives the function
 * containing it (a binary search in the sorted function table) and the
 * function's SP delta at that PC (its pcsp pc-value table): the bytes the
 * function has pushed below its entry SP. On amd64 the return address is
 * at the entry SP, so
 *
 *   CFA = SP + spdelta + 8, return address at CFA - 8
 *
 * which is an ehf_rule (ehframe.h), so the unwinder treats a Go frame as
 * it treats an .eh_frame one.
 *
 * Layout (Go's src/runtime/symtab.go, pcHeader and _func; debug/gosym):
 *
 *   header     magic u32 (0xfffffff0: Go 1.18, 1.19; 0xfffffff1: Go
 *              1.20 and later), 0, 0, minLC u8, ptrSize u8, then
 *              ptrSize-wide nfunc, nfiles, textStart, and the offsets
 *              from the header of funcnametab, cutab, filetab, pctab and
 *              pclntab
 *   functab    at pclntab: nfunc + 1 pairs {entryoff, funcoff} u32,
 *              sorted by entryoff (from textStart); the last entryoff
 *              ends the text
 *   _func      at pclntab + funcoff: entryoff u32, nameoff s32 (into
 *              funcnametab), args, deferreturn, pcsp u32 (into pctab), ...
 *              pcsp's place is the same in both layouts
 *   pc-values  pairs of varints from the function's entry, value -1:
 *              value delta (odd: negative), then PC delta times minLC;
 *              a zero byte where a value delta starts, except at the
 *              entry, ends the table
 *
 * Older layouts (Go 1.2 to 1.17), 32-bit tables and a minLC other than 1
 * are EHF_UNSUPPORTED. So is a textStart of 0: the header's textStart is
 * a relocated address, and a file whose table was not relocated in place
 * cannot place its functions.
 *
 * Every byte is hostile, as for ehframe.c: every read goes through the
 * caller's reader, bounds-checked against the table's size, every loop
 * is bounded (GOP_MAX_STEPS pc-value pairs, a binary search of at most
 * GOP_MAX_PROBES probes), nothing is allocated, nothing recurses. Pure
 * code: it compiles unchanged in the module, the host unit tests
 * (ASan/UBSan) and a libFuzzer target.
 */
#ifndef _KPROFMAP_GOPCLNTAB_H
#define _KPROFMAP_GOPCLNTAB_H

#include <linux/types.h>

#include "ehframe.h"

/* Bounds on the work done for one lookup. */
#define GOP_MAX_STEPS		65536	/* pc-value pairs decoded */
#define GOP_MAX_PROBES		40	/* binary search probes (nfunc < 2^32) */

/* Header magics. */
#define GOP_MAGIC_118		0xfffffff0U	/* Go 1.18, 1.19 */
#define GOP_MAGIC_120		0xfffffff1U	/* Go 1.20 and later */

/**
 * gop_rule_mem() - the unwind rule at link-time @pc of a Go binary, from
 * its .gopclntab
 * @rd: reader over link-time addresses (as for ehf_rule_mem())
 * @ctx: its state
 * @tab: link-time address of .gopclntab
 * @tab_len: its size in bytes; no byte outside [@tab, @tab + @tab_len) is
 *	     read
 * @pc: the link-time address to look up
 * @rule: filled in on EHF_OK: cfa_base = EHF_CFA_SP, cfa_off = spdelta + 8,
 *	  ra_off = -8, bp_rule = EHF_BP_SAME; outermost set (and ra_off 0,
 *	  as struct ehf_rule says) for the functions where a Go stack ends,
 *	  runtime.goexit, runtime.mstart and runtime.rt0_go, by the name in
 *	  the funcname table; signal set for Go's signal return trampoline
 *	  (runtime.sigreturn, runtime.sigreturn__sigaction: the caller then
 *	  takes the interrupted registers from the kernel's signal frame);
 *	  row_start/row_end the PC range over which the
 *	  pcsp value holds (within the function), fde_start/fde_end the
 *	  function's range
 *
 * Reads 72 bytes of header, 4 bytes a probe, 12 bytes of function table,
 * 20 bytes of _func, then the pcsp table and the name in chunks of at
 * most 64 bytes that never cross a 4 KiB boundary, so that a reader that
 * does not fault is not failed by a page the answer does not need.
 * Context: any the reader allows; bounded, no allocation.
 * Return: EHF_OK; EHF_NO_FDE (@pc outside every function);
 * EHF_UNSUPPORTED (another magic, ptrSize or minLC, textStart 0);
 * EHF_MALFORMED (truncated or inconsistent, including a negative SP delta
 * or a pcsp table that ends before @pc); EHF_NOREAD (the reader failed);
 * EHF_BUDGET (GOP_MAX_STEPS reached).
 */
int gop_rule_mem(ehf_read_t rd, void *ctx, u64 tab, u64 tab_len, u64 pc,
		 struct ehf_rule *rule);

/**
 * gop_rule() - gop_rule_mem() over a buffer
 * @tab: the .gopclntab section's bytes and address
 * @pc: the address to look up
 * @rule: as for gop_rule_mem()
 *
 * Context: any; bounded, no allocation.
 * Return: as gop_rule_mem(), a read outside @tab being EHF_MALFORMED.
 */
int gop_rule(const struct ehf_buf *tab, u64 pc, struct ehf_rule *rule);

#endif /* _KPROFMAP_GOPCLNTAB_H */
