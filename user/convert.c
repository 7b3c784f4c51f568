// SPDX-License-Identifier: GPL-2.0
/*
 * convert.c - the kprof2pprof pipeline (see convert.h)
 *
 * Each record is handled and forgotten: its frames become location ids
 * (symbolized only the first time a location is seen), then one Sample
 * (or one folded line) is written. Kernel symbols are loaded at the first
 * kernel frame, a process's maps at its first user frame. The G and M
 * lines of version 2 are kept (usym.c) for the samples that name their
 * generation; those samples' user frames are symbolized from them. The C
 * lines of version 4 are kept as the label each sample of that cgroup
 * carries.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "ksym.h"
#include "output.h"
#include "parse.h"
#include "profile.h"
#include "usym.h"

/* Synthetic frames: addresses in PROF_SPACE_SYNTH. */
enum {
	SYNTH_LOST = 1,		/* lost samples, as Go's lostProfileEvent */
	SYNTH_TRUNCATED,	/* where a stack was cut at max_depth */
	SYNTH_NO_STACK,		/* a record with neither stack */
};

static const char *const synth_name[] = {
	[SYNTH_LOST] = "[lost]",
	[SYNTH_TRUNCATED] = "[truncated]",
	[SYNTH_NO_STACK] = "[no stack]",
};

#define KP_MAX_FRAMES (2 * KPM_MAX_DEPTH_LIMIT + 2)

/* One cgroup id of the input and the string of its cgroup label. */
struct conv_cgroup {
	uint64_t id;
	uint32_t str;		/* its path, or "cgroup-id:N" without a C line */
};

struct kp_conv {
	const struct kp_options *opt;
	struct prof prof;
	struct kp_out out;
	bool ks_tried;		/* kallsyms loaded (or failed) */
	bool have_ks;
	struct ksym_table ks;
	uint32_t kmap;		/* [kernel.kallsyms] mapping id, 0 until used */
	uint32_t *modmap;	/* mapping id by module number, 0 until used */
	struct usym us;
	uint32_t s_pid, s_tid, s_comm, s_trunc, s_cgroup;	/* label keys */
	struct conv_cgroup *cg;	/* the cgroup ids seen, in input order */
	size_t ncg, cgcap;
	struct kp_index cgix;	/* id -> cg[] */
	uint32_t locs[KP_MAX_FRAMES];
	size_t nlocs;
	char *fold;		/* one folded line */
	size_t foldlen, foldcap;
	struct kp_stats st;
	struct kpm_record rec;
};

/* --- kernel frames --- */

static void conv_load_ksyms(struct kp_conv *c)
{
	char err[512];

	c->ks_tried = true;
	if (ksym_load(&c->ks, c->opt->kallsyms, err, sizeof(err))) {
		kp_warn("kernel frames stay addresses: %s", err);
		return;
	}
	c->have_ks = true;
	c->modmap = xcalloc(c->ks.nmods + 1, sizeof(*c->modmap));
}

static uint32_t conv_kernel_map(struct kp_conv *c)
{
	char path[4096], bid[KP_BUILD_ID_HEX_MAX] = "";

	if (!c->kmap) {
		snprintf(path, sizeof(path), "%s/kernel/notes",
			 c->opt->sys_root);
		kp_file_build_id(path, bid);
		c->kmap = prof_mapping(&c->prof, 0, 0, 0, "[kernel.kallsyms]",
				       bid, true);
	}
	return c->kmap;
}

static uint32_t conv_module_map(struct kp_conv *c, uint32_t mod)
{
	const char *name = ksym_mod_name(&c->ks, mod);
	char path[4096], file[512], bid[KP_BUILD_ID_HEX_MAX] = "";

	if (!c->modmap[mod]) {
		snprintf(path, sizeof(path),
			 "%s/module/%s/notes/.note.gnu.build-id",
			 c->opt->sys_root, name);
		kp_file_build_id(path, bid);
		snprintf(file, sizeof(file), "[%s]", name);
		c->modmap[mod] = prof_mapping(&c->prof, 0, 0, 0, file, bid,
					      true);
	}
	return c->modmap[mod];
}

static uint32_t conv_kernel_loc(struct kp_conv *c, uint64_t pc, bool adj)
{
	uint32_t id = prof_loc_find(&c->prof, PROF_SPACE_KERNEL, pc, adj);
	const struct ksym *s = NULL;
	uint32_t map;

	if (id)
		return id;
	if (!c->ks_tried)
		conv_load_ksyms(c);
	if (c->have_ks && (!adj || pc > 0))
		s = ksym_lookup(&c->ks, adj ? pc - 1 : pc);
	map = s && s->mod ? conv_module_map(c, s->mod) : conv_kernel_map(c);
	return prof_loc_add(&c->prof, PROF_SPACE_KERNEL, pc, adj, map,
			    s ? s->name : NULL, true);
}

/* --- user frames --- */

/* The per-process synthetic mapping "[exited pid N]" and the like. */
static uint32_t conv_synth_map(struct kp_conv *c, uint32_t *id,
			       const char *what, uint32_t tgid)
{
	char name[64];

	if (!*id) {
		snprintf(name, sizeof(name), "[%s pid %u]", what, tgid);
		*id = prof_mapping(&c->prof, 0, 0, 0, name, "", true);
	}
	return *id;
}

static uint32_t conv_addr_loc(struct kp_conv *c, uint32_t map, uint64_t pc,
			      bool adj)
{
	uint32_t id = prof_loc_find(&c->prof, map, pc, adj);

	return id ? id : prof_loc_add(&c->prof, map, pc, adj, map, NULL,
				      false);
}

/*
 * The location of @pc in the file region @r (a maps line or an M line),
 * named from @o when not NULL. Its Mapping is the region's: start, limit,
 * file offset, path, and the build id of the M line, else of @o.
 */
static uint32_t conv_region_loc(struct kp_conv *c, struct uregion *r,
				const struct elfobj *o, uint64_t pc, bool adj)
{
	const char *name = NULL, *bid;
	uint32_t id;

	if (!r->map_id) {
		bid = usym_region_build_id(&c->us, r);
		r->map_id = prof_mapping(&c->prof, r->start, r->end, r->offset,
					 usym_region_path(&c->us, r),
					 *bid ? bid : o ? o->build_id : "",
					 false);
	}
	id = prof_loc_find(&c->prof, r->map_id, pc, adj);
	if (id)
		return id;
	if (o && (!adj || pc > r->start))
		name = elfobj_func(o, r, adj ? pc - 1 : pc);
	return prof_loc_add(&c->prof, r->map_id, pc, adj, r->map_id, name,
			    false);
}

/* A frame of a sample without a generation: the live maps. */
static uint32_t conv_user_loc(struct kp_conv *c, struct uproc *p, uint64_t pc,
			      bool adj)
{
	struct uregion *r;

	if (p->state == UPROC_EXITED)
		return conv_addr_loc(c, conv_synth_map(c, &p->synth_map_id,
						       "exited", p->tgid),
				     pc, adj);
	if (p->state == UPROC_UNREADABLE)
		return conv_addr_loc(c, conv_synth_map(c, &p->synth_map_id,
						       "unreadable maps of",
						       p->tgid),
				     pc, adj);
	r = usym_region(p, pc);
	if (!r)
		return conv_addr_loc(c, conv_synth_map(c, &p->unmapped_map_id,
						       "unmapped", p->tgid),
				     pc, adj);
	return conv_region_loc(c, r, usym_region_obj(&c->us, p, r), pc, adj);
}

/*
 * A frame of a sample with generation @g: its M lines. An address in
 * none of them (JIT code, a vDSO the records lack) is looked up in the live maps while
 * the process lives, but only in a region that is no file: a file region
 * there that the generation lacks belongs to a later image.
 */
static uint32_t conv_gen_loc(struct kp_conv *c, struct ugen *g, uint64_t pc,
			     bool adj)
{
	struct uregion *r = usym_gen_region(&c->us, g, pc);
	struct uproc *p;

	if (r)
		return conv_region_loc(c, r, usym_gen_region_obj(&c->us, g, r),
				       pc, adj);
	if (usym_gen_live(&c->us, g)) {
		p = usym_proc(&c->us, g->tgid);
		r = p->state == UPROC_LIVE ? usym_region(p, pc) : NULL;
		if (r && r->kind != UREGION_FILE)
			return conv_region_loc(c, r,
					       usym_region_obj(&c->us, p, r),
					       pc, adj);
	}
	return conv_addr_loc(c, conv_synth_map(c, &g->unmapped_map_id,
					       "unmapped", g->tgid),
			     pc, adj);
}

/* --- records --- */

static void conv_push(struct kp_conv *c, uint32_t loc)
{
	c->locs[c->nlocs++] = loc;
}

static uint32_t conv_synth_loc(struct kp_conv *c, uint64_t which)
{
	uint32_t id = prof_loc_find(&c->prof, PROF_SPACE_SYNTH, which, false);

	return id ? id : prof_loc_add(&c->prof, PROF_SPACE_SYNTH, which, false,
				      0, synth_name[which], false);
}

/* Location ids of a sample, leaf first: kernel frames, then user ones. */
static void conv_frames(struct kp_conv *c, const struct kpm_sample *s)
{
	struct uproc *p = NULL;
	struct ugen *g = NULL;
	unsigned int i;

	c->nlocs = 0;
	for (i = 0; i < s->nk; i++)
		conv_push(c, conv_kernel_loc(c, s->kpc[i], i > 0));
	if (s->ktrunc)
		conv_push(c, conv_synth_loc(c, SYNTH_TRUNCATED));
	if (s->nu && s->gen)
		g = usym_gen(&c->us, s->gen);	/* the reader saw its G line */
	else if (s->nu)
		p = usym_proc(&c->us, s->tgid);
	for (i = 0; i < s->nu; i++)
		conv_push(c, g ? conv_gen_loc(c, g, s->upc[i], i > 0) :
			  conv_user_loc(c, p, s->upc[i], i > 0));
	if (s->utrunc)
		conv_push(c, conv_synth_loc(c, SYNTH_TRUNCATED));
	if (c->nlocs == 0)
		conv_push(c, conv_synth_loc(c, SYNTH_NO_STACK));
	c->st.frames += s->nk + s->nu;
}

/* --- folded output --- */

static void fold_add(struct kp_conv *c, const char *s, size_t len)
{
	while (c->foldlen + len + 1 > c->foldcap) {
		c->foldcap = c->foldcap ? c->foldcap * 2 : 4096;
		c->fold = xrealloc(c->fold, c->foldcap);
	}
	memcpy(c->fold + c->foldlen, s, len);
	c->foldlen += len;
}

/* A frame name, with the folded format's separators made harmless. */
static void fold_add_name(struct kp_conv *c, const char *s)
{
	size_t start = c->foldlen, i;

	fold_add(c, s, strlen(s));
	for (i = start; i < c->foldlen; i++) {
		if (c->fold[i] == ';')
			c->fold[i] = ':';
		else if ((unsigned char)c->fold[i] < 0x20)
			c->fold[i] = '?';
	}
}

static void fold_add_loc(struct kp_conv *c, uint32_t id)
{
	const struct prof_loc *l = &c->prof.loc[id - 1];
	const struct prof_mapping *m;
	const char *file, *base;
	char buf[64];
	uint64_t off;

	if (l->func) {
		fold_add_name(c, kp_strpool_get(&c->prof.str,
					c->prof.func[l->func - 1].name));
		return;
	}
	/* Unnamed: "FILE+0xOFFSET" (file offset, or address if no file). */
	m = &c->prof.map[l->mapping - 1];
	file = kp_strpool_get(&c->prof.str, m->file);
	base = file[0] == '[' ? NULL : strrchr(file, '/');
	off = m->grow ? l->addr : l->addr - m->start + m->offset;
	fold_add_name(c, base ? base + 1 : file);
	snprintf(buf, sizeof(buf), "+0x%" PRIx64, off);
	fold_add(c, buf, strlen(buf));
}

static int conv_write_folded(struct kp_conv *c, const char *comm,
			     uint64_t count)
{
	char buf[32];
	size_t i;

	c->foldlen = 0;
	fold_add_name(c, comm[0] ? comm : "-");
	for (i = c->nlocs; i-- > 0;) {
		fold_add(c, ";", 1);
		fold_add_loc(c, c->locs[i]);
	}
	snprintf(buf, sizeof(buf), " %" PRIu64 "\n", count);
	fold_add(c, buf, strlen(buf));
	return kp_out_write(&c->out, c->fold, c->foldlen);
}

/* --- cgroup labels (version 4) --- */

static bool conv_cgroup_eq(const void *ctx, uint32_t entry)
{
	const struct kp_conv *c = ((const void *const *)ctx)[0];
	const uint64_t *id = ((const void *const *)ctx)[1];

	return c->cg[entry].id == *id;
}

static struct conv_cgroup *conv_cgroup_find(struct kp_conv *c, uint64_t id)
{
	const void *ctx[2] = { c, &id };
	long e = kp_index_find(&c->cgix, kp_hash64(id), conv_cgroup_eq, ctx);

	return e < 0 ? NULL : &c->cg[e];
}

/* The label string of cgroup @id is @str from now on. */
static void conv_cgroup_set(struct kp_conv *c, uint64_t id, uint32_t str)
{
	struct conv_cgroup *cg = conv_cgroup_find(c, id);

	if (!cg) {
		kp_grow(&c->cg, &c->cgcap, c->ncg, sizeof(*c->cg));
		kp_index_insert(&c->cgix, kp_hash64(id), (uint32_t)c->ncg);
		cg = &c->cg[c->ncg++];
		cg->id = id;
	}
	cg->str = str;
}

/* The cgroup label's string of a sample's c= id (not 0). */
static uint32_t conv_cgroup_label(struct kp_conv *c, uint64_t id)
{
	struct conv_cgroup *cg = conv_cgroup_find(c, id);
	char name[40];

	if (cg)
		return cg->str;
	snprintf(name, sizeof(name), "cgroup-id:%" PRIu64, id);
	conv_cgroup_set(c, id, prof_strz(&c->prof, name));
	return conv_cgroup_find(c, id)->str;
}

/* --- samples --- */

static int conv_sample(struct kp_conv *c, const struct kpm_sample *s)
{
	struct prof_label lab[5];
	size_t n = 0;

	conv_frames(c, s);
	c->st.records++;
	c->st.samples += s->count;
	if (c->opt->folded)
		return conv_write_folded(c, s->comm, s->count);
	lab[n++] = (struct prof_label){ .key = c->s_pid, .num = s->tgid };
	lab[n++] = (struct prof_label){ .key = c->s_tid, .num = s->tid };
	lab[n++] = (struct prof_label){
		.key = c->s_comm, .str = prof_str(&c->prof, s->comm, s->comm_len),
	};
	if (s->ktrunc || s->utrunc)
		lab[n++] = (struct prof_label){
			.key = c->s_trunc,
			.str = prof_strz(&c->prof, s->ktrunc && s->utrunc ?
					 "kernel,user" : s->ktrunc ? "kernel" :
					 "user"),
		};
	if (s->cgroup)
		lab[n++] = (struct prof_label){
			.key = c->s_cgroup,
			.str = conv_cgroup_label(c, s->cgroup),
		};
	/* the comm label's string 0 would read as numeric: never "" */
	if (!s->comm_len)
		lab[2].str = prof_strz(&c->prof, "-");
	prof_sample(&c->prof, c->locs, c->nlocs, s->count, lab, n);
	return c->prof.pb.err;
}

static int conv_lost(struct kp_conv *c, const struct kpm_lost *l)
{
	struct prof_label lab[5] = {
		{ .key = c->s_pid, .num = 0 },
		{ .key = c->s_tid, .num = 0 },
		{ .key = c->s_comm, .str = prof_strz(&c->prof, "[lost]") },
		{ .key = prof_strz(&c->prof, "lost_alloc"), .num = (int64_t)l->alloc },
		{ .key = prof_strz(&c->prof, "lost_cap"), .num = (int64_t)l->cap },
	};

	c->nlocs = 0;
	conv_push(c, conv_synth_loc(c, SYNTH_LOST));
	c->st.samples += l->count;
	if (c->opt->folded)
		return conv_write_folded(c, "[lost]", l->count);
	prof_sample(&c->prof, c->locs, c->nlocs, l->count, lab, 5);
	return c->prof.pb.err;
}

/* --- the run --- */

static int conv_records(struct kp_conv *c, struct kpm_reader *r)
{
	int ret;

	while ((ret = kpm_reader_next(r, &c->rec)) > 0) {
		switch (c->rec.type) {
		case KPM_REC_SAMPLE_LINE:
			ret = conv_sample(c, &c->rec.s);
			break;
		case KPM_REC_LOST_LINE:
			ret = conv_lost(c, &c->rec.l);
			break;
		case KPM_REC_GEN_LINE:
			usym_gen_add(&c->us, &c->rec.g);
			ret = 0;
			break;
		case KPM_REC_MAP_LINE:
			usym_gen_map(&c->us, &c->rec.m);
			ret = 0;
			break;
		case KPM_REC_CGROUP_LINE:
			/* an unnamed one ("-") is labelled by its id */
			if (!c->opt->folded && c->rec.c.path_len)
				conv_cgroup_set(c, c->rec.c.id,
						prof_str(&c->prof, c->rec.c.path,
							 c->rec.c.path_len));
			ret = 0;
			break;
		default:
			ret = 0;
			break;
		}
		if (ret) {
			fprintf(stderr, "kprof2pprof: %s: write error: %s\n",
				c->opt->output, strerror(-ret));
			return -1;
		}
	}
	if (ret < 0)
		fprintf(stderr, "%s\n", r->err);
	return ret;
}

static int conv_finish(struct kp_conv *c, const struct kpm_header *h)
{
	char hdr[160], err[512];
	const char *comments[] = { hdr, NULL };
	int ret;

	snprintf(hdr, sizeof(hdr),
		 "kprofmap-samples version %u: freq=%" PRIu64 " cpus=%" PRIu64
		 " max_depth=%u",
		 h->version, h->freq, h->cpus, h->max_depth);
	ret = prof_finish(&c->prof, (int64_t)h->start_ns,
			  (int64_t)(h->end_ns - h->start_ns), comments);
	if (ret) {
		fprintf(stderr, "kprof2pprof: %s: write error: %s\n",
			c->opt->output, strerror(-ret));
		return -1;
	}
	c->st.locations = c->prof.nloc;
	c->st.functions = c->prof.nfunc;
	c->st.mappings = c->prof.nmap;
	c->st.build_id_mismatches = c->us.build_id_mismatches;
	c->st.raw_bytes = c->out.in_bytes;
	if (kp_out_commit(&c->out, err, sizeof(err))) {
		fprintf(stderr, "kprof2pprof: %s\n", err);
		return -1;
	}
	c->st.out_bytes = c->out.out_bytes;
	return 0;
}

static void conv_free(struct kp_conv *c)
{
	prof_free(&c->prof);
	ksym_free(&c->ks);
	free(c->modmap);
	usym_free(&c->us);
	free(c->fold);
	free(c->cg);
	kp_index_free(&c->cgix);
}

int kp_convert(const struct kp_options *opt, FILE *in, const char *in_name,
	       struct kp_stats *st)
{
	struct kp_conv *c = xcalloc(1, sizeof(*c));
	struct kpm_reader r;
	char err[512];
	int ret = 1;

	c->opt = opt;
	if (kpm_reader_open(&r, in, in_name)) {
		fprintf(stderr, "%s\n", r.err);
		goto out_close_reader;
	}
	if (kp_out_open(&c->out, opt->output, !opt->folded, err,
			sizeof(err))) {
		fprintf(stderr, "kprof2pprof: %s\n", err);
		goto out_close_reader;
	}
	prof_init(&c->prof, opt->folded ? NULL : kp_out_write, &c->out,
		  (int64_t)kpm_period(&r.hdr));
	c->s_pid = prof_strz(&c->prof, "pid");
	c->s_tid = prof_strz(&c->prof, "tid");
	c->s_comm = prof_strz(&c->prof, "comm");
	c->s_trunc = prof_strz(&c->prof, "truncated");
	c->s_cgroup = prof_strz(&c->prof, "cgroup");
	usym_init(&c->us, opt->proc_root, opt->debug_dir);
	if (conv_records(c, &r) || conv_finish(c, &r.hdr)) {
		kp_out_abort(&c->out);
		goto out_free;
	}
	if (st)
		*st = c->st;
	ret = 0;
out_free:
	conv_free(c);
out_close_reader:
	kpm_reader_close(&r);
	free(c);
	return ret;
}
