// SPDX-License-Identifier: GPL-2.0
/*
 * usym.c - /proc/PID/maps reader and ELF symbol loader (see usym.h)
 *
 * Called from convert.c for every user frame whose location is new.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "usym.h"

/* Print at most this many symbolization warnings per run. */
#define USYM_WARN_MAX 20

static void __attribute__((format(printf, 2, 3)))
usym_warn(struct usym *u, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	u->warnings++;
	if (u->warnings > USYM_WARN_MAX + 1)
		return;
	if (u->warnings == USYM_WARN_MAX + 1) {
		kp_warn("further symbolization warnings suppressed");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kp_warn("%s", msg);
}

/* --- ELF objects --- */

struct elfobj_symrank {
	struct elfobj_sym s;
	uint32_t rank;
};

static const char *elfobj_name(const struct elfobj *o, uint32_t off)
{
	return o->strtab + off;
}

/* At one address: sized, then global, weak, local, then fewer '_'. */
static uint32_t elfobj_rank(const GElf_Sym *sym, const char *name)
{
	unsigned int bind = GELF_ST_BIND(sym->st_info);
	uint32_t r = 0, us = 0;

	if (!sym->st_size)
		r |= 1u << 12;
	if (bind == STB_WEAK)
		r |= 1u << 10;
	else if (bind != STB_GLOBAL)
		r |= 2u << 10;
	while (name[us] == '_' && us < 255)
		us++;
	return r | us;
}

static const struct elfobj *elfobj_sort_ctx;

static int elfobj_sym_cmp(const void *a, const void *b)
{
	const struct elfobj_symrank *x = a, *y = b;

	if (x->s.addr != y->s.addr)
		return x->s.addr < y->s.addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(elfobj_name(elfobj_sort_ctx, x->s.name),
		      elfobj_name(elfobj_sort_ctx, y->s.name));
}

/*
 * Read the function symbols of one symbol table section into @o,
 * replacing what it had. Return: how many were kept.
 */
static size_t elfobj_read_symtab(struct elfobj *o, Elf *e, Elf_Scn *scn,
				 const GElf_Shdr *sh)
{
	struct elfobj_symrank *tmp;
	Elf_Data *data, *strdata;
	Elf_Scn *strscn;
	size_t i, n, kept = 0;

	if (sh->sh_type == SHT_NOBITS || !sh->sh_entsize)
		return 0;
	data = elf_getdata(scn, NULL);
	strscn = elf_getscn(e, sh->sh_link);
	strdata = strscn ? elf_getdata(strscn, NULL) : NULL;
	if (!data || !strdata || !strdata->d_buf || !strdata->d_size)
		return 0;
	n = data->d_size / sh->sh_entsize;

	free(o->strtab);
	o->strtab = xmalloc(strdata->d_size + 1);
	memcpy(o->strtab, strdata->d_buf, strdata->d_size);
	o->strtab[strdata->d_size] = '\0';
	o->strtab_len = strdata->d_size;

	tmp = xmalloc((n ? n : 1) * sizeof(*tmp));
	for (i = 0; i < n; i++) {
		GElf_Sym sym;
		unsigned int type;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_value ||
		    !sym.st_name || sym.st_name >= o->strtab_len)
			continue;
		tmp[kept].s.addr = sym.st_value;
		tmp[kept].s.size = sym.st_size;
		tmp[kept].s.name = (uint32_t)sym.st_name;
		tmp[kept].rank = elfobj_rank(&sym, o->strtab + sym.st_name);
		kept++;
	}
	elfobj_sort_ctx = o;
	qsort(tmp, kept, sizeof(*tmp), elfobj_sym_cmp);
	free(o->sym);
	o->sym = xmalloc((kept ? kept : 1) * sizeof(*o->sym));
	o->nsym = 0;
	for (i = 0; i < kept; i++)
		if (i == 0 || tmp[i].s.addr != tmp[i - 1].s.addr)
			o->sym[o->nsym++] = tmp[i].s;
	free(tmp);
	return o->nsym;
}

/* Find the first section of @type; fill @sh. */
static Elf_Scn *elfobj_find_scn(Elf *e, Elf64_Word type, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, sh) && sh->sh_type == type)
			return scn;
	return NULL;
}

static void elfobj_read_build_id(struct elfobj *o, Elf *e, size_t phnum)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t i;

	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		Elf_Data *d;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz,
					 ELF_T_BYTE);
		if (d && kp_notes_build_id(d->d_buf, d->d_size, o->build_id))
			return;
	}
	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_rawdata(scn, NULL);
		if (d && kp_notes_build_id(d->d_buf, d->d_size, o->build_id))
			return;
	}
}

/* Open DEBUG-DIR/.build-id/xx/yyyy.debug of @build_id: an fd, or -1. */
static int debug_file_open(const char *debug_dir, const char *build_id)
{
	char path[4096];

	if (!debug_dir || strlen(build_id) < 4)
		return -1;
	snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", debug_dir,
		 build_id, build_id + 2);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Use the .symtab of /usr/lib/debug/.build-id/xx/yyyy.debug, if any. */
static bool elfobj_read_debug_file(struct elfobj *o, const char *debug_dir)
{
	GElf_Shdr sh;
	Elf_Scn *scn;
	bool ok = false;
	Elf *e;
	int fd;

	fd = debug_file_open(debug_dir, o->build_id);
	if (fd < 0)
		return false;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e && elf_kind(e) == ELF_K_ELF) {
		scn = elfobj_find_scn(e, SHT_SYMTAB, &sh);
		ok = scn && elfobj_read_symtab(o, e, scn, &sh) > 0;
	}
	if (e)
		elf_end(e);
	close(fd);
	return ok;
}

static void elfobj_read_syms(struct elfobj *o, Elf *e, const char *debug_dir)
{
	GElf_Shdr sh;
	Elf_Scn *scn;

	scn = elfobj_find_scn(e, SHT_SYMTAB, &sh);
	if (scn && elfobj_read_symtab(o, e, scn, &sh)) {
		o->symsrc = ".symtab";
		return;
	}
	if (elfobj_read_debug_file(o, debug_dir)) {
		o->symsrc = "debug file";
		return;
	}
	scn = elfobj_find_scn(e, SHT_DYNSYM, &sh);
	if (scn && elfobj_read_symtab(o, e, scn, &sh)) {
		o->symsrc = ".dynsym";
		return;
	}
	o->symsrc = "none";
}

static struct elfobj *elfobj_from_elf(Elf *e, const char *debug_dir)
{
	struct elfobj *o;
	GElf_Ehdr eh;
	size_t phnum, i, cap = 0;

	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) ||
	    elf_getphdrnum(e, &phnum))
		return NULL;
	o = xcalloc(1, sizeof(*o));
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		kp_grow(&o->load, &cap, o->nload, sizeof(*o->load));
		o->load[o->nload].off = ph.p_offset;
		o->load[o->nload].vaddr = ph.p_vaddr;
		o->load[o->nload].filesz = ph.p_filesz;
		o->load[o->nload].memsz = ph.p_memsz;
		o->load[o->nload].exec = ph.p_flags & PF_X;
		o->nload++;
	}
	elfobj_read_build_id(o, e, phnum);
	elfobj_read_syms(o, e, debug_dir);
	return o;
}

struct elfobj *elfobj_open_fd(int fd, const char *debug_dir)
{
	struct elfobj *o = NULL;
	Elf *e;

	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e) {
		o = elfobj_from_elf(e, debug_dir);
		elf_end(e);
	}
	return o;
}

void elfobj_free(struct elfobj *o)
{
	if (!o)
		return;
	free(o->load);
	free(o->sym);
	free(o->strtab);
	free(o);
}

bool elfobj_vaddr(const struct elfobj *o, uint64_t off, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; i < o->nload; i++) {
		const struct elfobj_load *l = &o->load[i];

		if (off >= l->off && off - l->off < l->filesz) {
			*vaddr = off - l->off + l->vaddr;
			return true;
		}
	}
	return false;
}

/*
 * A debug file's PT_LOADs keep p_vaddr and p_memsz but not the mapped
 * file's p_offset, so a file offset cannot be turned into a vaddr through
 * them. The region is then taken for what the kernel maps of an
 * executable segment from its first page: start = load bias + p_vaddr
 * rounded down to a page. The segment is the executable one whose pages
 * span the region, or the only executable one.
 */
static bool elfobj_debug_vaddr(const struct elfobj *o,
			       const struct uregion *r, uint64_t addr,
			       uint64_t *vaddr)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), base, span;
	const struct elfobj_load *x = NULL, *only = NULL;
	size_t i, nexec = 0;

	for (i = 0; i < o->nload && !x; i++) {
		const struct elfobj_load *l = &o->load[i];

		if (!l->exec)
			continue;
		nexec++;
		only = l;
		base = l->vaddr & ~(page - 1);
		span = ((l->vaddr + l->memsz + page - 1) & ~(page - 1)) - base;
		if (span == r->end - r->start)
			x = l;
	}
	if (!x && nexec == 1)
		x = only;
	if (!x)
		return false;
	*vaddr = addr - r->start + (x->vaddr & ~(page - 1));
	return *vaddr >= x->vaddr && *vaddr - x->vaddr < x->memsz;
}

const char *elfobj_func(const struct elfobj *o, const struct uregion *r,
			uint64_t addr)
{
	const struct elfobj_sym *s;
	uint64_t vaddr;
	size_t lo;

	if (addr < r->start || addr >= r->end)
		return NULL;
	if (o->debug_file ? !elfobj_debug_vaddr(o, r, addr, &vaddr) :
	    !elfobj_vaddr(o, addr - r->start + r->offset, &vaddr))
		return NULL;
	lo = kp_count_le(o->sym, o->nsym, sizeof(*o->sym),
			 offsetof(struct elfobj_sym, addr), vaddr);
	if (lo == 0)
		return NULL;
	s = &o->sym[lo - 1];
	if (s->size && vaddr - s->addr >= s->size)
		return NULL;	/* in a gap between functions (PLT, padding) */
	return elfobj_name(o, s->name);
}

/* --- the vDSO, read from our own process --- */

static void usym_load_vdso(struct usym *u)
{
	const unsigned char *img;
	const Elf64_Ehdr *eh;
	uint64_t size, page = (uint64_t)sysconf(_SC_PAGESIZE);
	unsigned char *copy;
	Elf *e;
	int i;

	u->vdso_tried = true;
	img = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	if (!img || memcmp(img, ELFMAG, SELFMAG) || img[EI_CLASS] != ELFCLASS64)
		return;
	eh = (const Elf64_Ehdr *)img;
	size = eh->e_shoff + (uint64_t)eh->e_shnum * eh->e_shentsize;
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)
			(img + eh->e_phoff + (uint64_t)i * eh->e_phentsize);

		if (ph->p_offset + ph->p_filesz > size)
			size = ph->p_offset + ph->p_filesz;
	}
	if (size == 0 || size > (1 << 20))
		return;
	copy = xmalloc(size);
	memcpy(copy, img, size);
	e = elf_memory((char *)copy, size);
	if (e) {
		u->vdso = elfobj_from_elf(e, NULL);
		elf_end(e);
	}
	free(copy);
	u->vdso_len = (size + page - 1) / page * page;
}

/* Our own vDSO for a [vdso] region of the same size: the same kernel's. */
static struct elfobj *usym_vdso_obj(struct usym *u, const struct uregion *r)
{
	if (!u->vdso_tried)
		usym_load_vdso(u);
	if (u->vdso && r->end - r->start == u->vdso_len && !r->offset)
		return u->vdso;
	return NULL;
}

/* --- processes and regions --- */

void usym_init(struct usym *u, const char *proc_root, const char *debug_dir)
{
	memset(u, 0, sizeof(*u));
	u->proc_root = proc_root;
	u->debug_dir = debug_dir;
	u->tick_ns = 1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK);
	kp_strpool_intern(&u->paths, "", 0);	/* 0: no build id */
	elf_version(EV_CURRENT);
}

void usym_free(struct usym *u)
{
	size_t i;

	for (i = 0; i < u->nprocs; i++)
		free(u->procs[i].reg);
	free(u->procs);
	kp_index_free(&u->procix);
	for (i = 0; i < u->ngens; i++)
		free(u->gens[i].reg);
	free(u->gens);
	kp_index_free(&u->genix);
	free(u->mismatch_warned);
	for (i = 0; i < u->nobjs; i++)
		elfobj_free(u->objs[i]);
	free(u->objs);
	kp_index_free(&u->objix);
	elfobj_free(u->vdso);
	kp_strpool_free(&u->paths);
	memset(u, 0, sizeof(*u));
}

const char *usym_region_path(const struct usym *u, const struct uregion *r)
{
	return kp_strpool_get(&u->paths, r->path);
}

const char *usym_region_build_id(const struct usym *u,
				 const struct uregion *r)
{
	return kp_strpool_get(&u->paths, r->build_id);
}

/* The path of @r as maps or an M line shows it; sets kind and deleted. */
static void usym_region_set_path(struct usym *u, struct uregion *r,
				 const char *path, size_t len)
{
	if (len > 10 && !memcmp(path + len - 10, " (deleted)", 10)) {
		r->deleted = true;
		len -= 10;
	}
	if (len == 0) {
		path = "[anon]";
		len = 6;
	}
	if (len == 6 && !memcmp(path, "[vdso]", 6))
		r->kind = UREGION_VDSO;
	else if (path[0] == '/')
		r->kind = UREGION_FILE;
	else
		r->kind = UREGION_OTHER;
	r->path = kp_strpool_intern(&u->paths, path, len);
}

/* Parse one maps line; return false if it is not one. */
static bool usym_parse_maps_line(struct usym *u, char *line,
				 struct uregion *r)
{
	unsigned long long start, end, off, ino;
	unsigned int maj, min;
	char perms[5], *path;
	size_t len;
	int n = 0;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu%n", &start, &end,
		   perms, &off, &maj, &min, &ino, &n) != 7 || end <= start)
		return false;
	memset(r, 0, sizeof(*r));
	r->start = start;
	r->end = end;
	r->offset = off;
	r->inode = ino;
	path = line + n;
	path += strspn(path, " \t");
	len = strcspn(path, "\n");
	usym_region_set_path(u, r, path, len);
	return true;
}

static int usym_region_cmp(const void *a, const void *b)
{
	const struct uregion *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Sort @nreg regions (maps lists them sorted; a hand-made file may not),
 * dropping each that overlaps one before it. @what names them in the
 * warning.
 */
static void usym_sort_regions(struct usym *u, struct uregion *reg,
			      size_t *nreg, const char *what)
{
	size_t i, n = 0;

	qsort(reg, *nreg, sizeof(*reg), usym_region_cmp);
	for (i = 0; i < *nreg; i++) {
		if (n && reg[i].start < reg[n - 1].end) {
			usym_warn(u, "%s: overlapping regions; %llx-%llx ignored",
				  what, (unsigned long long)reg[i].start,
				  (unsigned long long)reg[i].end);
			continue;
		}
		reg[n++] = reg[i];
	}
	*nreg = n;
}

static void usym_read_maps(struct usym *u, struct uproc *p)
{
	char path[4096], *line = NULL;
	size_t linecap = 0, cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/maps", u->proc_root, p->tgid);
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT || errno == ESRCH) {
			p->state = UPROC_EXITED;
		} else {
			p->state = UPROC_UNREADABLE;
			usym_warn(u, "%s: %s", path, strerror(errno));
		}
		return;
	}
	while (getline(&line, &linecap, f) > 0) {
		struct uregion r;

		if (!usym_parse_maps_line(u, line, &r))
			continue;
		kp_grow(&p->reg, &cap, p->nreg, sizeof(*p->reg));
		p->reg[p->nreg++] = r;
	}
	if (ferror(f)) {
		p->state = UPROC_UNREADABLE;
		usym_warn(u, "%s: read error", path);
	}
	free(line);
	fclose(f);
	usym_sort_regions(u, p->reg, &p->nreg, path);
}

static bool usym_proc_eq(const void *ctx, uint32_t entry)
{
	const struct usym *u = ((const void *const *)ctx)[0];
	const uint32_t *tgid = ((const void *const *)ctx)[1];

	return u->procs[entry].tgid == *tgid;
}

struct uproc *usym_proc(struct usym *u, uint32_t tgid)
{
	const void *ctx[2] = { u, &tgid };
	uint64_t h = kp_hash64(tgid);
	long e = kp_index_find(&u->procix, h, usym_proc_eq, ctx);
	struct uproc *p;

	if (e >= 0)
		return &u->procs[e];
	kp_grow(&u->procs, &u->proccap, u->nprocs, sizeof(*u->procs));
	p = &u->procs[u->nprocs];
	memset(p, 0, sizeof(*p));
	p->tgid = tgid;
	p->state = UPROC_LIVE;
	usym_read_maps(u, p);
	kp_index_insert(&u->procix, h, (uint32_t)u->nprocs);
	u->nprocs++;
	return p;
}

/* The region of sorted @reg[@n] that holds @addr, or NULL. */
static struct uregion *usym_find_region(struct uregion *reg, size_t n,
					uint64_t addr)
{
	size_t lo = kp_count_le(reg, n, sizeof(*reg),
				offsetof(struct uregion, start), addr);

	if (lo == 0 || addr >= reg[lo - 1].end)
		return NULL;
	return &reg[lo - 1];
}

struct uregion *usym_region(struct uproc *p, uint64_t addr)
{
	return usym_find_region(p->reg, p->nreg, addr);
}

/*
 * Open the file behind @r: map_files is exact (even for a deleted or
 * replaced file); the other two ways must find the inode maps names.
 * Return: an fd, or -1 with *@why saying why.
 */
static int usym_open_region(struct usym *u, const struct uproc *p,
			    const struct uregion *r, const char **why)
{
	const char *file = usym_region_path(u, r);
	char path[8192];
	struct stat st;
	int fd, i, err = ENOENT;

	snprintf(path, sizeof(path), "%s/%u/map_files/%llx-%llx", u->proc_root,
		 p->tgid, (unsigned long long)r->start,
		 (unsigned long long)r->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	*why = "deleted since it was mapped";
	if (r->deleted)
		return -1;
	for (i = 0; i < 2; i++) {
		if (i == 0)
			snprintf(path, sizeof(path), "%s/%u/root%s",
				 u->proc_root, p->tgid, file);
		else
			snprintf(path, sizeof(path), "%s", file);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (i == 1 || errno != ENOENT)
				err = errno;
			continue;
		}
		if (fstat(fd, &st) == 0 &&
		    (r->inode == 0 || (uint64_t)st.st_ino == r->inode))
			return fd;
		close(fd);
		*why = "replaced since it was mapped (inode differs)";
		return -1;
	}
	*why = strerror(err);
	return -1;
}

static bool usym_obj_eq(const void *ctx, uint32_t entry)
{
	const struct usym *u = ((const void *const *)ctx)[0];
	const struct stat *st = ((const void *const *)ctx)[1];

	return u->objs[entry]->dev == (uint64_t)st->st_dev &&
	       u->objs[entry]->ino == (uint64_t)st->st_ino;
}

/* The object of an open file, read once per (device, inode). */
static struct elfobj *usym_obj_for_fd(struct usym *u, int fd)
{
	struct stat st;
	const void *ctx[2] = { u, &st };
	struct elfobj *o;
	uint64_t h;
	long e;

	if (fstat(fd, &st))
		return NULL;
	h = kp_hash64((uint64_t)st.st_dev * 0x9e3779b97f4a7c15ULL ^
		      (uint64_t)st.st_ino);
	e = kp_index_find(&u->objix, h, usym_obj_eq, ctx);
	if (e >= 0)
		return u->objs[e];
	o = elfobj_open_fd(fd, u->debug_dir);
	if (!o)
		return NULL;	/* not ELF: tried again per region, rare */
	o->dev = (uint64_t)st.st_dev;
	o->ino = (uint64_t)st.st_ino;
	kp_grow(&u->objs, &u->objcap, u->nobjs, sizeof(*u->objs));
	u->objs[u->nobjs] = o;
	kp_index_insert(&u->objix, h, (uint32_t)u->nobjs);
	u->nobjs++;
	return o;
}

struct elfobj *usym_region_obj(struct usym *u, const struct uproc *p,
			       struct uregion *r)
{
	const char *why = NULL;
	int fd;

	if (r->obj_tried)
		return r->obj;
	r->obj_tried = true;
	if (r->kind == UREGION_VDSO)
		return r->obj = usym_vdso_obj(u, r);
	if (r->kind != UREGION_FILE)
		return NULL;
	fd = usym_open_region(u, p, r, &why);
	if (fd < 0) {
		usym_warn(u, "%s (pid %u): %s; its frames stay addresses",
			  usym_region_path(u, r), p->tgid, why);
		return NULL;
	}
	r->obj = usym_obj_for_fd(u, fd);
	close(fd);
	return r->obj;
}

/* --- generations: the mappings of version 2 records --- */

static bool usym_gen_eq(const void *ctx, uint32_t entry)
{
	const struct usym *u = ((const void *const *)ctx)[0];
	const uint64_t *gen = ((const void *const *)ctx)[1];

	return u->gens[entry].gen == *gen;
}

struct ugen *usym_gen(struct usym *u, uint64_t gen)
{
	const void *ctx[2] = { u, &gen };
	long e = kp_index_find(&u->genix, kp_hash64(gen), usym_gen_eq, ctx);

	return e < 0 ? NULL : &u->gens[e];
}

void usym_gen_add(struct usym *u, const struct kpm_gen *g)
{
	struct ugen *n;

	kp_grow(&u->gens, &u->gencap, u->ngens, sizeof(*u->gens));
	n = &u->gens[u->ngens];
	memset(n, 0, sizeof(*n));
	n->gen = g->gen;
	n->tgid = g->tgid;
	n->boot_ns = g->boot_ns;
	n->exec = g->exec;
	kp_index_insert(&u->genix, kp_hash64(g->gen), (uint32_t)u->ngens);
	u->ngens++;
}

void usym_gen_map(struct usym *u, const struct kpm_map *m)
{
	struct ugen *g = usym_gen(u, m->gen);
	struct uregion *r;

	if (!g)
		return;		/* the reader refuses such an M line */
	kp_grow(&g->reg, &g->regcap, g->nreg, sizeof(*g->reg));
	r = &g->reg[g->nreg++];
	memset(r, 0, sizeof(*r));
	r->start = m->start;
	r->end = m->end;
	r->offset = m->pgoff;
	r->build_id = kp_strpool_intern(&u->paths, m->build_id,
					strlen(m->build_id));
	usym_region_set_path(u, r, m->path, m->path_len);
	g->sorted = false;
}

struct uregion *usym_gen_region(struct usym *u, struct ugen *g,
				uint64_t addr)
{
	char what[64];

	if (!g->sorted) {
		snprintf(what, sizeof(what), "generation %llu",
			 (unsigned long long)g->gen);
		usym_sort_regions(u, g->reg, &g->nreg, what);
		g->sorted = true;
	}
	return usym_find_region(g->reg, g->nreg, addr);
}

/* Field 22 of PROC/TGID/stat, starttime in clock ticks since boot. */
static bool usym_read_starttime(struct usym *u, uint32_t tgid,
				unsigned long long *ticks)
{
	char path[4096], buf[2048], *p;
	size_t n;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/%u/stat", u->proc_root, tgid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm (field 2) may hold spaces and ')': it ends at the last ')' */
	p = strrchr(buf, ')');
	for (i = 3; p && i <= 22; i++)
		p = strchr(p + 1, ' ');
	return p && sscanf(p + 1, "%llu", ticks) == 1;
}

bool usym_gen_live(struct usym *u, struct ugen *g)
{
	unsigned long long ticks;

	if (g->live == UGEN_UNCHECKED)
		g->live = usym_read_starttime(u, g->tgid, &ticks) &&
			  ticks == g->boot_ns / u->tick_ns ? UGEN_LIVE
							   : UGEN_GONE;
	return g->live == UGEN_LIVE;
}

/*
 * The object of @r's file at PROC/TGID/root/PATH (@in_root) or at PATH,
 * when its build id is @bid ("": any). One of another build id is left
 * in *@other.
 */
static struct elfobj *usym_gen_open(struct usym *u, const struct ugen *g,
				    const struct uregion *r, bool in_root,
				    const char *bid, struct elfobj **other)
{
	const char *file = usym_region_path(u, r);
	char path[8192];
	struct elfobj *o;
	int fd;

	if (in_root)
		snprintf(path, sizeof(path), "%s/%u/root%s", u->proc_root,
			 g->tgid, file);
	else
		snprintf(path, sizeof(path), "%s", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	o = usym_obj_for_fd(u, fd);
	close(fd);
	if (!o || !*bid || !strcmp(o->build_id, bid))
		return o;
	*other = o;
	return NULL;
}

/* The debug file of build id @bid, standing for the mapped file. */
static struct elfobj *usym_gen_debug_obj(struct usym *u, const char *bid)
{
	struct elfobj *o;
	int fd = debug_file_open(u->debug_dir, bid);

	if (fd < 0)
		return NULL;
	o = usym_obj_for_fd(u, fd);
	close(fd);
	if (!o || strcmp(o->build_id, bid))
		return NULL;
	o->debug_file = true;
	return o;
}

/* Once per path: the file there is not the one the records name. */
static void usym_warn_mismatch(struct usym *u, const struct uregion *r,
			       const char *disk, bool named)
{
	size_t cap;

	if (r->path >= u->warnedcap) {
		cap = 2 * ((size_t)r->path + 1);
		u->mismatch_warned = xrealloc(u->mismatch_warned, cap);
		memset(u->mismatch_warned + u->warnedcap, 0,
		       cap - u->warnedcap);
		u->warnedcap = cap;
	}
	if (u->mismatch_warned[r->path])
		return;
	u->mismatch_warned[r->path] = 1;
	u->build_id_mismatches++;
	kp_warn("%s: build id %s in the records, %s on disk; %s",
		usym_region_path(u, r), usym_region_build_id(u, r),
		*disk ? disk : "none",
		named ? "named from the debug file of the records' build id" :
			"not symbolized");
}

struct elfobj *usym_gen_region_obj(struct usym *u, struct ugen *g,
				   struct uregion *r)
{
	const char *bid = usym_region_build_id(u, r);
	struct elfobj *o = NULL, *other = NULL;

	if (r->obj_tried)
		return r->obj;
	r->obj_tried = true;
	if (r->kind == UREGION_VDSO)
		return r->obj = usym_vdso_obj(u, r);
	if (r->kind == UREGION_FILE) {
		/* without a build id, only the file the live process maps */
		if ((*bid || !r->deleted) && usym_gen_live(u, g))
			o = usym_gen_open(u, g, r, true, bid, &other);
		if (!o && *bid)
			o = usym_gen_open(u, g, r, false, bid, &other);
	}
	if (!o && *bid)
		o = usym_gen_debug_obj(u, bid);
	if (other)
		usym_warn_mismatch(u, r, other->build_id, o != NULL);
	r->obj = o;
	return o;
}
