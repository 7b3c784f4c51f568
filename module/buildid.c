// SPDX-License-Identifier: GPL-2.0
/*
 * buildid.c - the GNU build id of an ELF file from its PT_NOTE segments;
 * see buildid.h
 *
 * Pure code: no kernel call, no allocation, no libc. Every byte comes
 * through the caller's reader into a local header struct and is decoded
 * little-endian whatever the host; every offset is checked for overflow
 * and against the segment's p_filesz before it is read.
 *
 * Choices (documented in buildid.h's status comments):
 * - e_phnum == 0 (a relocatable object): BID_NONE, whatever e_phentsize.
 * - e_phnum > BID_MAX_PHDRS (PN_XNUM included): BID_MALFORMED, rather
 *   than a BID_NONE that may be wrong.
 * - A note that crosses its segment's p_filesz, a PT_NOTE that crosses
 *   the end of the address space, an alignment other than 4 or 8:
 *   BID_MALFORMED, at once.
 * - A note that crosses BID_MAX_NOTE_BYTES but not p_filesz: the scan of
 *   that segment ends there, the walk goes on with the next one.
 */
#include <linux/types.h>
#include <linux/elf.h>

#include "buildid.h"

#define BID_NT_GNU_BUILD_ID	3	/* note type, in the "GNU" namespace */
#define BID_NHDR_SIZE		12	/* namesz, descsz, type: 3 x u32 */

/* Little-endian field of a header read into a local struct. */
#define BID_LE(field)		bid_le(&(field), sizeof(field))

static u64 bid_le(const void *p, unsigned int n)
{
	const u8 *b = p;
	u64 v = 0;

	while (n--)
		v = (v << 8) | b[n];
	return v;
}

/* The parse's state: the reader and where the answer goes. */
struct bid_ctx {
	bid_read_t read;
	void *ctx;
	u8 *id;
	unsigned int *len;
};

/* Round @v up to @a (4 or 8); @v is far below U64_MAX. */
static u64 bid_align(u64 v, u64 a)
{
	return (v + a - 1) & ~(a - 1);
}

/*
 * One note at segment offset @pos of a PT_NOTE [@off, @off + @size),
 * @size already clipped to BID_MAX_NOTE_BYTES, @filesz the unclipped
 * size, @a the note alignment. Called from bid_scan_notes().
 *
 * Return: BID_OK (found), BID_NONE (not this one; *@next is the next
 * note's offset, or @size when the scan of this segment is over),
 * BID_MALFORMED or BID_NOREAD.
 */
static int bid_note(struct bid_ctx *c, u64 off, u64 size, u64 filesz,
		    u64 a, u64 pos, u64 *next)
{
	static const u8 gnu[4] = { 'G', 'N', 'U', 0 };
	Elf64_Nhdr nh;
	u64 namesz, descsz, desc, end;
	u8 name[4];

	*next = size;
	if (size - pos < BID_NHDR_SIZE)		/* padding at the end */
		return BID_NONE;
	if (!c->read(c->ctx, off + pos, &nh, BID_NHDR_SIZE))
		return BID_NOREAD;
	namesz = BID_LE(nh.n_namesz);
	descsz = BID_LE(nh.n_descsz);
	/* u32 sizes in u64 sums from pos < 4096: no overflow. */
	desc = bid_align(pos + BID_NHDR_SIZE + namesz, a);
	end = bid_align(desc + descsz, a);
	if (desc + descsz > filesz)
		return BID_MALFORMED;
	if (desc + descsz > size)		/* crosses the scan bound */
		return BID_NONE;
	*next = end;				/* may pass @size: the last */
	if (BID_LE(nh.n_type) != BID_NT_GNU_BUILD_ID || namesz != sizeof(gnu))
		return BID_NONE;
	if (!c->read(c->ctx, off + pos + BID_NHDR_SIZE, name, sizeof(name)))
		return BID_NOREAD;
	if (name[0] != gnu[0] || name[1] != gnu[1] || name[2] != gnu[2] ||
	    name[3] != gnu[3])
		return BID_NONE;
	if (descsz == 0 || descsz > BID_MAX_LEN)
		return BID_NONE;
	if (!c->read(c->ctx, off + desc, c->id, descsz))
		return BID_NOREAD;
	*c->len = descsz;
	return BID_OK;
}

/*
 * The notes of one PT_NOTE, at most BID_MAX_NOTE_BYTES of them. Called
 * from bid_parse().
 */
static int bid_scan_notes(struct bid_ctx *c, const Elf64_Phdr *ph)
{
	u64 off = BID_LE(ph->p_offset), filesz = BID_LE(ph->p_filesz);
	u64 a = BID_LE(ph->p_align), size, pos = 0, next;
	int ret;

	if (off + filesz < off)
		return BID_MALFORMED;
	/* As binutils: below 4 means 4; 8 is 8 (.note.gnu.property). */
	if (a <= 4)
		a = 4;
	else if (a != 8)
		return BID_MALFORMED;
	size = filesz < BID_MAX_NOTE_BYTES ? filesz : BID_MAX_NOTE_BYTES;
	while (pos < size) {
		ret = bid_note(c, off, size, filesz, a, pos, &next);
		if (ret != BID_NONE)
			return ret;
		pos = next;			/* > pos: a note is >= 12 bytes */
	}
	return BID_NONE;
}

/*
 * The ELF header's checks past the magic. Called from bid_parse().
 * Return: BID_OK to walk @phnum program headers at @phoff.
 */
static int bid_check_ehdr(const Elf64_Ehdr *eh, u64 *phoff,
			  unsigned int *phnum)
{
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return BID_NOTELF;
	*phoff = BID_LE(eh->e_phoff);
	*phnum = BID_LE(eh->e_phnum);
	if (*phnum == 0)
		return BID_NONE;
	if (BID_LE(eh->e_phentsize) != sizeof(Elf64_Phdr) ||
	    *phnum > BID_MAX_PHDRS ||
	    *phoff + (u64)*phnum * sizeof(Elf64_Phdr) < *phoff)
		return BID_MALFORMED;
	return BID_OK;
}

int bid_parse(bid_read_t read, void *ctx, u8 *id, unsigned int *len)
{
	struct bid_ctx c = { .read = read, .ctx = ctx, .id = id, .len = len };
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned int i, phnum;
	u64 phoff;
	int ret;

	/* The magic alone first: a short file that is not ELF is NOTELF. */
	if (!read(ctx, 0, eh.e_ident, SELFMAG))
		return BID_NOREAD;
	if (eh.e_ident[EI_MAG0] != ELFMAG0 || eh.e_ident[EI_MAG1] != ELFMAG1 ||
	    eh.e_ident[EI_MAG2] != ELFMAG2 || eh.e_ident[EI_MAG3] != ELFMAG3)
		return BID_NOTELF;
	if (!read(ctx, 0, &eh, sizeof(eh)))
		return BID_NOREAD;
	ret = bid_check_ehdr(&eh, &phoff, &phnum);
	if (ret != BID_OK)
		return ret;
	for (i = 0; i < phnum; i++) {
		if (!read(ctx, phoff + (u64)i * sizeof(ph), &ph, sizeof(ph)))
			return BID_NOREAD;
		if (BID_LE(ph.p_type) != PT_NOTE)
			continue;
		ret = bid_scan_notes(&c, &ph);
		if (ret != BID_NONE)
			return ret;
	}
	return BID_NONE;
}
