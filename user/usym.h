/* SPDX-License-Identifier: GPL-2.0 */
/*
 * usym.h - user-space symbols: /proc/PID/maps and ELF symbol tables
 *
 * The user side of symbolization. A process's maps file is read once, at
 * its first frame; each mapped file is opened at its first frame (through
 * PROC/PID/map_files, then PROC/PID/root, then its path, the latter two
 * checked against the inode in maps) and its ELF symbols are read once
 * per file (by device and inode) with libelf: .symtab when it has
 * functions, else the debug file of its build id, else .dynsym.
 *
 * An address is turned into an ELF virtual address through the file:
 *   file offset  = addr - region.start + region.offset
 *   ELF vaddr    = file offset - load.p_offset + load.p_vaddr
 * for the PT_LOAD segment holding that file offset, which is right for
 * executables (ET_EXEC), PIE executables and shared libraries (ET_DYN)
 * alike, whatever their load bias and segment layout.
 */
#ifndef KP_USYM_H
#define KP_USYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksym.h"
#include "util.h"

/* A PT_LOAD segment of an ELF file. */
struct elfobj_load {
	uint64_t off, vaddr, filesz;
};

/* A function symbol. */
struct elfobj_sym {
	uint64_t addr, size;	/* ELF virtual address; size 0: unknown */
	uint32_t name;		/* offset in elfobj.strtab */
};

/*
 * struct elfobj - what kprof2pprof keeps of one ELF file.
 * Invariant: sym[] is sorted by addr, one symbol per addr.
 */
struct elfobj {
	uint64_t dev, ino;	/* identity of the file; 0, 0 for the vDSO */
	struct elfobj_load *load;
	size_t nload;
	struct elfobj_sym *sym;
	size_t nsym;
	char *strtab;		/* copy of the symbols' string table */
	size_t strtab_len;
	char build_id[KP_BUILD_ID_HEX_MAX];	/* "" when it has none */
	const char *symsrc;	/* ".symtab", ".dynsym", "debug file" or "none" */
};

enum uregion_kind {
	UREGION_FILE,		/* a file: ELF symbols, build id */
	UREGION_VDSO,		/* [vdso]: symbols from our own vDSO image */
	UREGION_OTHER,		/* anonymous, [heap], [stack], ...: no symbols */
};

/* One line of a maps file. */
struct uregion {
	uint64_t start, end, offset, inode;
	uint32_t path;		/* number in usym.paths ("[anon]" if none) */
	uint8_t kind;		/* enum uregion_kind */
	bool deleted;		/* "(deleted)": only map_files can open it */
	bool obj_tried;
	struct elfobj *obj;	/* NULL when not an ELF we could read */
	uint32_t map_id;	/* pprof mapping id, 0 until the builder has one */
};

enum uproc_state {
	UPROC_LIVE,
	UPROC_EXITED,		/* no PROC/PID: frames stay addresses */
	UPROC_UNREADABLE,	/* maps exists but could not be read */
};

struct uproc {
	uint32_t tgid;
	uint8_t state;		/* enum uproc_state */
	struct uregion *reg;	/* sorted by start, as maps lists them */
	size_t nreg;
	uint32_t synth_map_id;	/* "[exited pid N]" ... mapping, 0 until used */
	uint32_t unmapped_map_id;	/* "[unmapped pid N]", 0 until used */
};

/*
 * struct usym - every process and file seen so far.
 * Invariant: each uproc and elfobj is loaded at most once.
 */
struct usym {
	const char *proc_root;	/* "/proc" or --proc-root */
	const char *debug_dir;	/* "/usr/lib/debug" */
	struct uproc *procs;
	size_t nprocs, proccap;
	struct kp_index procix;	/* tgid -> procs[] */
	struct elfobj **objs;
	size_t nobjs, objcap;
	struct kp_index objix;	/* (dev, ino) -> objs[] */
	struct elfobj *vdso;	/* NULL when unavailable */
	uint64_t vdso_len;	/* bytes our own vDSO spans */
	bool vdso_tried;
	struct kp_strpool paths;
	unsigned long warnings;
};

/**
 * usym_init() - an empty symbolizer
 * @proc_root: where PID/maps and PID/map_files live
 * @debug_dir: where .build-id/xx/yyyy.debug files live
 *
 * Context: process. Return: nothing.
 */
void usym_init(struct usym *u, const char *proc_root, const char *debug_dir);

/** usym_free() - release everything. Context: process. */
void usym_free(struct usym *u);

/**
 * usym_proc() - the process @tgid, reading its maps on first use
 *
 * Context: process; may read PROC/PID/maps. Return: never NULL; the
 * state says whether its maps were there. The pointer is valid until the
 * next call.
 */
struct uproc *usym_proc(struct usym *u, uint32_t tgid);

/**
 * usym_region() - the region of @p that holds @addr
 *
 * Context: any. Return: the region, or NULL when no region holds it.
 */
struct uregion *usym_region(struct uproc *p, uint64_t addr);

/**
 * usym_region_obj() - the ELF object behind a region, opened on first use
 *
 * Context: process; may open and parse a file. Return: the object, or
 * NULL when the region has no readable ELF file (a warning is printed
 * once per region when a file was expected).
 */
struct elfobj *usym_region_obj(struct usym *u, const struct uproc *p,
			       struct uregion *r);

/**
 * usym_region_path() - the file name of a region (from maps)
 *
 * Context: any. Return: a stable string.
 */
const char *usym_region_path(const struct usym *u, const struct uregion *r);

/**
 * elfobj_func() - name of the function at a runtime address
 * @o:      the object mapped by @r
 * @r:      the region holding @addr
 * @addr:   the runtime address to look up (already minus 1 for a
 *          return address)
 *
 * Context: any. Return: the symbol name, or NULL when no function
 * symbol covers the address.
 */
const char *elfobj_func(const struct elfobj *o, const struct uregion *r,
			uint64_t addr);

/**
 * elfobj_vaddr() - ELF virtual address of a file offset
 *
 * Context: any. Return: true when a PT_LOAD segment holds @off.
 */
bool elfobj_vaddr(const struct elfobj *o, uint64_t off, uint64_t *vaddr);

/**
 * elfobj_open_fd() - read an ELF object from an open file
 * @fd:        the file (not closed)
 * @debug_dir: where to look for the debug file of its build id, or NULL
 *
 * Context: process. Return: the object, or NULL if @fd is not an ELF
 * executable or shared object.
 */
struct elfobj *elfobj_open_fd(int fd, const char *debug_dir);

/** elfobj_free() - release an object. Context: any. */
void elfobj_free(struct elfobj *o);

#endif /* KP_USYM_H */
