/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ehframe.h - the unwind rule at one PC, from a file's .eh_frame_hdr and
 * .eh_frame (x86-64)
 *
 * The foundation of unwinding user stacks without frame pointers (see
 * Documentation/kprofmap.rst, "User stacks without frame pointers"): given
 * the bytes of an ELF file's .eh_frame_hdr and .eh_frame, find the FDE
 * covering a PC (binary search in the header's sorted table), run its
 * CIE's and its own call-frame instructions up to that PC, and reduce the
 * resulting row to the three things an x86-64 unwinder needs:
 *
 *   CFA = SP + off  or  CFA = BP + off
 *   return address at CFA + ra_off
 *   caller's BP unchanged, or saved at CFA + bp_off
 *
 * A row that needs anything else (a DWARF expression, a register other
 * than SP/BP as CFA base, the return address in a register) is reported
 * as EHF_UNSUPPORTED with its cause, never guessed.
 *
 * Every byte is hostile: a user controls its own files' unwind data.
 * Every read is bounds-checked against the buffer given, every loop is
 * bounded (EHF_MAX_STEPS instructions, EHF_MAX_STATE remembered rows,
 * binary search of at most 32 steps), nothing is allocated. Pure code:
 * it compiles unchanged in the module, the host unit tests (ASan/UBSan)
 * and a libFuzzer target.
 */
#ifndef _KPROFMAP_EHFRAME_H
#define _KPROFMAP_EHFRAME_H

#include <linux/types.h>

/* Bounds on the work done for one lookup. */
#define EHF_MAX_STEPS		4096	/* call-frame instructions run */
#define EHF_MAX_STATE		8	/* DW_CFA_remember_state depth */

/* x86-64 DWARF register numbers. */
#define EHF_REG_BP		6
#define EHF_REG_SP		7
#define EHF_REG_RA		16

/**
 * enum ehf_status - outcome of a lookup
 * @EHF_OK:		@rule is filled in
 * @EHF_NO_FDE:		no FDE covers the PC
 * @EHF_MALFORMED:	the data is truncated or inconsistent
 * @EHF_UNSUPPORTED:	the row needs a rule this unwinder does not express
 *			(see @ehf_rule.cause)
 * @EHF_BUDGET:		EHF_MAX_STEPS, EHF_MAX_STATE or the scratch size was
 *			reached
 * @EHF_NOREAD:		the reader could not read the bytes (a page that is
 *			not present, for a reader that does not fault)
 */
enum ehf_status {
	EHF_OK = 0,
	EHF_NO_FDE,
	EHF_MALFORMED,
	EHF_UNSUPPORTED,
	EHF_BUDGET,
	EHF_NOREAD,
};

/**
 * enum ehf_cause - why a row is EHF_UNSUPPORTED
 * @EHF_CAUSE_NONE:	supported
 * @EHF_CAUSE_CFA_EXPR:	CFA is a DWARF expression (PLT entries, signal
 *			trampolines, stack realignment)
 * @EHF_CAUSE_CFA_REG:	CFA is based on a register other than SP or BP
 * @EHF_CAUSE_RA:	return address not saved at CFA + offset
 * @EHF_CAUSE_BP:	BP saved by an expression or in another register
 * @EHF_CAUSE_OPCODE:	an unknown call-frame instruction
 */
enum ehf_cause {
	EHF_CAUSE_NONE = 0,
	EHF_CAUSE_CFA_EXPR,
	EHF_CAUSE_CFA_REG,
	EHF_CAUSE_RA,
	EHF_CAUSE_BP,
	EHF_CAUSE_OPCODE,
};

#define EHF_CFA_SP	0	/* CFA = SP + cfa_off */
#define EHF_CFA_BP	1	/* CFA = BP + cfa_off */

#define EHF_BP_SAME	0	/* caller's BP is the current BP */
#define EHF_BP_OFFSET	1	/* caller's BP is at CFA + bp_off */

/**
 * struct ehf_rule - how to step from a frame at one PC to its caller
 * @cfa_base:	EHF_CFA_SP or EHF_CFA_BP
 * @bp_rule:	EHF_BP_SAME or EHF_BP_OFFSET
 * @cause:	enum ehf_cause, for EHF_UNSUPPORTED
 * @signal:	the CIE marks a signal frame ('S' augmentation)
 * @outermost:	the return address is undefined: no caller (_start,
 *		thread entry); the walk ends here, complete
 * @plt:	from the PLT's CFA expression (see ehf_plt_expr()): exact
 *		for this one PC, so @row_start..@row_end is just it
 * @cfa_off:	added to the CFA base register
 * @ra_off:	return address at CFA + @ra_off (-8 for every x86-64 CIE
 *		the toolchains emit); 0 when @outermost
 * @bp_off:	for EHF_BP_OFFSET, caller's BP at CFA + @bp_off
 * @fde_start:	first PC the FDE covers (the function's start)
 * @fde_end:	first PC past it
 * @row_start:	first PC of the row, so a cache may reuse the rule over
 *		[@row_start, @row_end)
 * @row_end:	first PC past the row
 */
struct ehf_rule {
	u8 cfa_base;
	u8 bp_rule;
	u8 cause;
	u8 signal;
	u8 outermost;
	u8 plt;
	s32 cfa_off;
	s32 ra_off;
	s32 bp_off;
	u64 fde_start;
	u64 fde_end;
	u64 row_start;
	u64 row_end;
};

/**
 * struct ehf_buf - bytes of one section and where they are mapped
 * @data:	the bytes (NULL when @len is 0)
 * @len:	bytes at @data
 * @vaddr:	address of @data[0] in the same address space as the PCs
 *		(link-time addresses, or runtime ones after adding the load
 *		bias: the caller chooses, consistently)
 */
struct ehf_buf {
	const u8 *data;
	size_t len;
	u64 vaddr;
};

/**
 * typedef ehf_read_t - copy @len bytes at @addr into @dst
 * @ctx: the reader's own state
 * @addr: address, in the same space as the PCs
 * @dst: destination
 * @len: bytes
 *
 * The module's reader copies from the task's memory with faults disabled;
 * the tests' reads a buffer. Return: true when all @len bytes were read.
 */
typedef bool (*ehf_read_t)(void *ctx, u64 addr, void *dst, size_t len);

/* The ehf_read_t of a struct ehf_buf (@ctx): a bounds-checked copy. */
bool ehf_buf_read(void *ctx, u64 addr, void *dst, size_t len);

/**
 * ehf_find_fde_mem() - ehf_find_fde() through a reader
 * @rd: reader
 * @ctx: its state
 * @hdr: address of .eh_frame_hdr
 * @hdr_len: its size in bytes
 * @pc: the address to look up
 * @fde_vaddr: the FDE's address, when found
 *
 * Reads at most 32 bytes of header, then 4 bytes a probe and 8 at the end.
 * Context: any the reader allows; bounded, no allocation.
 * Return: EHF_OK, EHF_NO_FDE, EHF_MALFORMED or EHF_NOREAD.
 */
int ehf_find_fde_mem(ehf_read_t rd, void *ctx, u64 hdr, u64 hdr_len,
		     u64 pc, u64 *fde_vaddr);

/**
 * ehf_rule_mem() - ehf_rule_at() through a reader
 * @rd: reader
 * @ctx: its state
 * @fde_vaddr: address of the FDE
 * @pc: the address, inside the FDE's range
 * @scratch: room for the FDE (first half) and its CIE (second half)
 * @size: bytes of @scratch; a longer entry is EHF_BUDGET
 * @rule: as for ehf_rule_at()
 *
 * Context: any the reader allows; bounded, no allocation.
 * Return: enum ehf_status.
 */
int ehf_rule_mem(ehf_read_t rd, void *ctx, u64 fde_vaddr, u64 pc,
		 u8 *scratch, size_t size, struct ehf_rule *rule);

/**
 * ehf_rule_parts() - the rule at @pc of an FDE and its CIE, apart
 * @fde: bytes starting at the FDE's length field
 * @cie: bytes starting at its CIE's length field; must be where the
 *	 FDE's CIE pointer says
 * @pc: the address, inside the FDE's range
 * @rule: as for ehf_rule_at()
 *
 * Context: any; bounded by EHF_MAX_STEPS, no allocation.
 * Return: enum ehf_status.
 */
int ehf_rule_parts(const struct ehf_buf *fde, const struct ehf_buf *cie,
		   u64 pc, struct ehf_rule *rule);

/**
 * ehf_find_fde() - the FDE covering @pc, from .eh_frame_hdr's table
 * @hdr: the .eh_frame_hdr section
 * @pc: the address to look up
 * @fde_vaddr: the FDE's address (inside .eh_frame), when found
 *
 * Only the table encoding the GNU and LLVM linkers emit is accepted:
 * DW_EH_PE_datarel | DW_EH_PE_sdata4 entries (8 bytes, sorted).
 * The table's claim is checked against the FDE itself by ehf_rule_at().
 * Context: any; bounded (at most 32 probes), no allocation.
 * Return: EHF_OK, EHF_NO_FDE or EHF_MALFORMED.
 */
int ehf_find_fde(const struct ehf_buf *hdr, u64 pc, u64 *fde_vaddr);

/**
 * ehf_rule_at() - the unwind rule of the FDE at @fde_vaddr at @pc
 * @eh: the .eh_frame section (holding the FDE and its CIE)
 * @fde_vaddr: from ehf_find_fde() (or a walk of .eh_frame)
 * @pc: the address, inside the FDE's range
 * @rule: filled in on EHF_OK; @rule->cause set on EHF_UNSUPPORTED
 *
 * Context: any; bounded by EHF_MAX_STEPS, no allocation.
 * Return: enum ehf_status.
 */
int ehf_rule_at(const struct ehf_buf *eh, u64 fde_vaddr, u64 pc,
		struct ehf_rule *rule);

/**
 * ehf_lookup() - ehf_find_fde() then ehf_rule_at()
 * @hdr: .eh_frame_hdr
 * @eh: .eh_frame
 * @pc: the address
 * @rule: as for ehf_rule_at()
 *
 * Context: any; bounded, no allocation.
 * Return: enum ehf_status.
 */
int ehf_lookup(const struct ehf_buf *hdr, const struct ehf_buf *eh, u64 pc,
	       struct ehf_rule *rule);

#endif /* _KPROFMAP_EHFRAME_H */
