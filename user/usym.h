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
 * Version 2 records carry the mappings themselves: per generation (one
 * process image, a G line) the executable file mappings at sampling time
 * (M lines, with their build ids). A sample naming a generation is
 * symbolized from that generation's regions, whose files are found by
 * path (in the process's root while it lives, or anywhere with the same
 * build id) or by build id in the debug directory; see
 * usym_gen_region_obj(). Frames of other samples use the live maps.
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
#include "parse.h"
#include "util.h"

/* A PT_LOAD segment of an ELF file. */
struct elfobj_load {
	uint64_t off, vaddr, filesz, memsz;
	bool exec;		/* PF_X */
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
	bool debug_file;	/* a DEBUG-DIR/.build-id file standing for the
				 * mapped one: its PT_LOADs keep vaddr and
				 * memsz but not the file's offsets */
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
	uint32_t build_id;	/* number in usym.paths: an M line's, or 0 ("") */
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

enum ugen_live {
	UGEN_UNCHECKED,
	UGEN_LIVE,		/* PROC/TGID/stat has the G line's start time */
	UGEN_GONE,		/* exited, or the pid is another process now */
};

/*
 * struct ugen - one G line and its M lines.
 * Invariant: once sorted, reg[] is sorted by start, without overlaps.
 */
struct ugen {
	uint64_t gen, boot_ns, exec;
	uint32_t tgid;
	uint8_t live;		/* enum ugen_live */
	bool sorted;
	struct uregion *reg;	/* one per M line ("[vdso]": UREGION_VDSO) */
	size_t nreg, regcap;
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
	struct kp_strpool paths;	/* paths and build ids; 0 is "" */
	struct ugen *gens;
	size_t ngens, gencap;
	struct kp_index genix;	/* generation -> gens[] */
	uint64_t tick_ns;	/* ns per clock tick of /proc/PID/stat */
	uint8_t *mismatch_warned;	/* by path number: warned already */
	size_t warnedcap;
	unsigned long warnings;
	unsigned long build_id_mismatches;	/* files, each counted once */
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
 * usym_region_build_id() - the build id an M line gave a region
 *
 * Context: any. Return: lowercase hex, or "" (none, or a maps region).
 */
const char *usym_region_build_id(const struct usym *u,
				 const struct uregion *r);

/**
 * usym_gen_add() - a G line: a new, empty generation
 *
 * Context: process. Return: nothing.
 */
void usym_gen_add(struct usym *u, const struct kpm_gen *g);

/**
 * usym_gen_map() - an M line: a region of its generation (already added)
 *
 * Context: process. Return: nothing.
 */
void usym_gen_map(struct usym *u, const struct kpm_map *m);

/**
 * usym_gen() - the generation @gen, as added by usym_gen_add()
 *
 * Context: any. Return: the generation, or NULL when not added. Valid
 * until the next usym_gen_add().
 */
struct ugen *usym_gen(struct usym *u, uint64_t gen);

/**
 * usym_gen_region() - the region (M line) of @g that holds @addr
 *
 * Sorts @g's regions on first use, dropping overlapping ones with a
 * warning.
 *
 * Context: process. Return: the region, or NULL.
 */
struct uregion *usym_gen_region(struct usym *u, struct ugen *g,
				uint64_t addr);

/**
 * usym_gen_live() - whether the process of @g still runs
 *
 * True when PROC/TGID/stat exists and its starttime (field 22, clock
 * ticks since boot) is the G line's boot_ns truncated to ticks. Checked
 * once per generation.
 *
 * Context: process; may read PROC/TGID/stat. Return: the answer.
 */
bool usym_gen_live(struct usym *u, struct ugen *g);

/**
 * usym_gen_region_obj() - the ELF object of an M line, found on first use
 *
 * In order: PATH in the process's root (PROC/TGID/root/PATH) while
 * usym_gen_live(), whose build id must be the M line's when it has one;
 * PATH as this process sees it, only when the M line has a build id and
 * the file has the same; DEBUG-DIR/.build-id/xx/rest.debug of that build
 * id. A file found by path with another build id is never used: it is
 * reported once per path (a warning, and usym.build_id_mismatches). A
 * "[vdso]" line is named from kprof2pprof's own vDSO when of its size.
 *
 * Context: process; may open and parse files. Return: the object, or
 * NULL: the frames then keep their addresses in the region's mapping.
 */
struct elfobj *usym_gen_region_obj(struct usym *u, struct ugen *g,
				   struct uregion *r);

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
