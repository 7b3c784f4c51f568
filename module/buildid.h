/* SPDX-License-Identifier: GPL-2.0 */
/*
 * buildid.h - the GNU build id of an ELF file, read from the file itself
 *
 * The identity of a mapping record (Documentation/kprofmap.rst, "Mapping
 * records"): the NT_GNU_BUILD_ID note's descriptor, found through the
 * file's program headers (PT_NOTE segments), the way the kernel's own
 * build_id_parse() does, which is not exported to modules.
 *
 * The reader is given file offsets; the module reads through the page
 * cache (never the process's memory, which it can forge), kprof2pprof and
 * the tests through pread(). Every byte is hostile: every field is
 * checked against the file's own bounds before use, every loop is
 * bounded (BID_MAX_PHDRS program headers, BID_MAX_NOTE_BYTES scanned per
 * PT_NOTE), nothing is allocated. Pure code: it compiles unchanged in the
 * module, kprof2pprof, the host unit tests (ASan/UBSan) and a libFuzzer
 * target.
 */
#ifndef _KPROFMAP_BUILDID_H
#define _KPROFMAP_BUILDID_H

#include <linux/types.h>

#define BID_MAX_LEN		20	/* bytes of a build id (SHA-1) */
#define BID_MAX_PHDRS		64	/* program headers looked at */
#define BID_MAX_NOTE_BYTES	4096	/* bytes scanned in one PT_NOTE */

/**
 * enum bid_status - outcome of bid_parse()
 * @BID_OK:		@id and @len are filled in
 * @BID_NONE:		a well-formed ELF64 file without a GNU build id note
 *			(or one longer than BID_MAX_LEN, or empty, or past
 *			the first BID_MAX_NOTE_BYTES of its PT_NOTE); also a
 *			file without program headers (a relocatable object)
 * @BID_NOTELF:		not an ELF64 little-endian file
 * @BID_MALFORMED:	headers or notes that do not parse: a program header
 *			size other than Elf64_Phdr's, more than
 *			BID_MAX_PHDRS program headers, a note that crosses
 *			its PT_NOTE's p_filesz, a note alignment other than
 *			4 or 8
 * @BID_NOREAD:		the reader could not read bytes the parse needed
 *			(a file shorter than its headers say reads so too:
 *			a reader cannot tell its end from a failure)
 */
enum bid_status {
	BID_OK = 0,
	BID_NONE,
	BID_NOTELF,
	BID_MALFORMED,
	BID_NOREAD,
};

/**
 * typedef bid_read_t - read file bytes for bid_parse()
 * @ctx:	the caller's context
 * @off:	file offset
 * @dst:	where to copy
 * @len:	how many bytes (small: a header, a note, at most 256)
 *
 * Return: true when all @len bytes were copied.
 */
typedef bool (*bid_read_t)(void *ctx, u64 off, void *dst, size_t len);

/**
 * bid_parse() - the GNU build id of an ELF file
 * @read:	reads the file
 * @ctx:	passed to @read
 * @id:		BID_MAX_LEN bytes, receives the build id
 * @len:	receives its length (1..BID_MAX_LEN)
 *
 * The first build id note found wins, walking the program headers in
 * order and each PT_NOTE's notes in order.
 *
 * Context: any context @read may run in; sleeps only if @read does.
 * Return: an enum bid_status.
 */
int bid_parse(bid_read_t read, void *ctx, u8 *id, unsigned int *len);

#endif /* _KPROFMAP_BUILDID_H */
