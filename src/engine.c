// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Attribution engine.  An incident is one failed CMD_SYNC (or one issuer's
 * software timeout).  The driver reports the same failure in up to three
 * places that arrive in any order: the ISR's "CMDQ error (cons ...)", the
 * issuer's "CMD_SYNC timeout at ..." or patched "CMD_SYNC for ATC_INV
 * timeout at prod=...", and what the BPF programs saw (queue walk, issuer
 * batches).  They are joined on (SMMU, queue, position, time); the evidence
 * is weighed only when the incident settles, because the issuers' records
 * arrive after the error they waited through.
 *
 * Trust rules, applied when an incident settles:
 *  - a queue walk names exactly the ATC_INVs the SMMU was waiting for, but
 *    only if the ring was not rewritten before the ISR read it: the driver
 *    can run a lap ahead of the hardware after a software timeout (the last
 *    reader's llq.cons jumps to its own CMD_SYNC) or when the queue fills
 *    behind a stalled CMD_SYNC.  Such walks are "untrusted".  A trusted,
 *    complete walk naming one device is the only "confirmed" for ATC
 *    timeouts (besides the patched issuer when no walk exists at all);
 *  - the issuer whose CMD_SYNC sits at the failing position queued only its
 *    own commands there, but another CPU's sync-less chunk (batches over 64
 *    commands) may sit between the previous CMD_SYNC and them, and a list
 *    cut at SMMU_MAX_ATC hides the rest of a batch;
 *  - an issuer's window [prod at entry, prod at return) also holds other
 *    CPUs' commands;
 *  - a software timeout behind another failing CMD_SYNC ("collateral")
 *    names nothing: its batch did not fail;
 *  - on patched kernels, a bit the ISR set after its issuer gave up is
 *    found by the next CMD_SYNC at that index: a "stale" report;
 *  - across incidents, a device that explains every failing batch is the
 *    culprit even when each batch alone is ambiguous (maximum likelihood over
 *    the suspect sets, see narrow_em()); sets that may miss the culprit
 *    ("weak") only confirm a device stronger evidence implicated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "engine.h"
#include "util.h"

#define MAX_OPEN	256
#define AER_RING	64
#define ISSUE_RING	256
#define WALK_RING	32
#define SWTO_RING	64
#define RECENT_RING	64
#define STALE_RING	32
#define OPEN_RECS	32
#define MAX_SETS	1024
#define EM_ROUNDS	60
#define NSEC		1000000000ULL
#define MSEC		1000000ULL
/* an unpatched issuer only returns an error after the 1 s poll timeout */
#define SW_TIMEOUT_NS	(900ULL * MSEC)
/* clock slack between a printk and a BPF timestamp of the same moment */
#define SLACK_NS	MSEC
/*
 * A software timeout this long before a walk, at or after the failing
 * position, means the driver's llq.cons ran ahead of the hardware while the
 * CMD_SYNC was pending: the ring slots may hold a later lap.
 */
#define HAZARD_WINDOW_NS (2 * NSEC)
/* a walk record can precede its "CMDQ error" line by this much at most */
#define WALK_EARLY_NS	(10 * MSEC)
/* posterior (permille) a suspect needs to be named the likely culprit */
#define TOP_PERMILLE	750

struct smmu_priv {
	struct smmu_info info;
	uint32_t last_gerror;
	struct evtime last_gerror_t;
	struct evtime last_full;	/* last "CMDQ timeout": a CPU waited for space */
	bool carriers;			/* its issuers split batches into sync-less chunks */
};

struct sid_entry {
	char smmu[SMMU_NAME_LEN];
	uint32_t sid;
	char dev[SMMU_DEV_LEN];
};

struct aer_entry {
	char dev[SMMU_DEV_LEN];
	struct evtime t;
};

struct issue_entry {
	char smmu[SMMU_NAME_LEN];
	struct evtime t;
	uint32_t cpu;
	struct smmu_ev_issue is;
};

struct walk_entry {
	char smmu[SMMU_NAME_LEN];
	struct evtime t;
	uint32_t cpu;
	uint64_t used_by;		/* incident it was applied to: a walk is one ISR's */
	struct smmu_ev_queue_walk w;
};

/* a software timeout: from the issuer's line or its -ETIMEDOUT record */
struct swto_entry {
	char smmu[SMMU_NAME_LEN];
	uint64_t cmdq;			/* 0 = from a log line, queue unknown */
	uint32_t pos;
	struct evtime t;
};

/* a settled CMDQ-error incident, for sync timeouts that queued behind it */
struct recent_entry {
	char smmu[SMMU_NAME_LEN];
	uint64_t cmdq;
	uint32_t cons;
	uint32_t shift;
	uint64_t id;
	struct evtime t;
	struct evtime last;
};

/*
 * atc_sync_timeouts bits a late ISR set after the issuer had given up: the
 * next CMD_SYNC on that index, a lap later, is told it failed.
 */
struct stale_entry {
	char smmu[SMMU_NAME_LEN];
	uint32_t pos;
	uint32_t shift;
	struct evtime t;
	bool used;
};

struct qshift {
	uint64_t cmdq;
	uint32_t shift;
};

struct dev_entry {
	struct device_stat st;		/* first: engine_device() hands it out */
	double p;			/* EM: share of all failures caused by it */
	double w;			/* EM: expected incidents caused by it */
	double present;			/* suspect sets that list it */
	uint64_t strong;		/* of which from evidence that cannot miss the culprit */
};

/* a distinct suspect set and how many incidents had it */
struct set_entry {
	int n;
	int dev[INC_MAX_SUSPECTS];
	uint64_t count;
};

struct func_count {
	char func[SMMU_FUNC_LEN];
	uint64_t count;
};

struct open_inc {
	struct incident inc;		/* first: handed out as is */
	bool have_walk;
	struct walk_entry walk;
	int n_recs;
	struct issue_entry recs[OPEN_RECS];	/* issuers matching or in flight */
	struct evtime cons_t;		/* when the CMDQ error line came */
	bool stale;			/* a patched report of a bit left by a late ISR */
	bool from_record;		/* opened by an issuer's return: its line came before */
	bool weak;			/* its suspects may not include the culprit */
	bool superseded;		/* another error on this SMMU came after it */
	bool progressed;		/* a CMD_SYNC behind it completed: no retry now */
};

struct engine {
	struct engine_opts o;
	engine_incident_fn fn;
	void *ctx;
	uint64_t next_id;
	uint64_t events;

	struct open_inc *open[MAX_OPEN];
	int n_open;

	struct smmu_priv *smmus;
	int n_smmus;
	struct dev_entry *devs;
	int n_devs;
	struct sid_entry *sids;
	int n_sids;
	struct func_count *funcs;
	int n_funcs;
	struct qshift *qs;
	int n_qs;
	struct set_entry *sets;
	int n_sets;
	uint64_t sets_dropped;

	struct aer_entry aer[AER_RING];
	unsigned int aer_head;
	struct issue_entry *issues;	/* ring of ISSUE_RING */
	unsigned int issue_head;
	struct walk_entry walks[WALK_RING];
	unsigned int walk_head;
	struct swto_entry swto[SWTO_RING];
	unsigned int swto_head;
	struct recent_entry recent[RECENT_RING];
	unsigned int recent_head;
	struct stale_entry stale[STALE_RING];
	unsigned int stale_head;

	uint64_t by_kind[INC_KINDS];
	uint64_t suppressed;
	struct smmu_ev_lost lost;
};

static const char *const kind_names[INC_KINDS] = {
	[INC_ATC_TIMEOUT]	= "atc_timeout",
	[INC_ILLEGAL_COMMAND]	= "illegal_command",
	[INC_FETCH_ABORT]	= "fetch_abort",
	[INC_UNKNOWN_CERROR]	= "unknown_cerror",
	[INC_SYNC_TIMEOUT]	= "sync_timeout",
};

static const char *const conf_names[CONF_LEVELS] = {
	[CONF_UNKNOWN]	 = "unknown",
	[CONF_SUSPECT]	 = "suspect",
	[CONF_PROBABLE]	 = "probable",
	[CONF_CONFIRMED] = "confirmed",
};

static const char *const evidence_names[EVD_KINDS] = {
	"skipped_command", "queue_walk", "issuer_batch", "atc_sync_bitmap",
	"aer_completion_timeout",
};

static const char *const flag_names[INCF_KINDS] = {
	"walk_untrusted", "walk_partial", "foreign_chunk_risk", "collateral",
	"stale_bitmap", "narrowed",
};

static const char *const verdict_names[VERDICT_LEVELS] = {
	[VERDICT_NONE]	   = "none",
	[VERDICT_CLEARED]  = "cleared",
	[VERDICT_POSSIBLE] = "possible",
	[VERDICT_LIKELY]   = "likely",
	[VERDICT_CULPRIT]  = "culprit",
};

const char *incident_kind_name(enum incident_kind k)
{
	return (unsigned int)k < INC_KINDS ? kind_names[k] : "?";
}

const char *confidence_name(enum confidence c)
{
	return (unsigned int)c < CONF_LEVELS ? conf_names[c] : "?";
}

const char *evidence_name(unsigned int bit)
{
	return bit < EVD_KINDS ? evidence_names[bit] : "?";
}

const char *incident_flag_name(unsigned int bit)
{
	return bit < INCF_KINDS ? flag_names[bit] : "?";
}

const char *verdict_name(enum verdict v)
{
	return (unsigned int)v < VERDICT_LEVELS ? verdict_names[v] : "?";
}

void engine_default_opts(struct engine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->join_window_ns = 3 * NSEC;
	o->retry_window_ns = 10 * NSEC;
	o->aer_window_ns = 2 * NSEC;
	o->settle_ns = 3 * NSEC;
	o->source = SRC_LOG;
}

/* ---- time -------------------------------------------------------------- */

static void evtime_of(const struct smmu_event *ev, struct evtime *t)
{
	t->mono_ns = ev->hdr.mono_ns;
	t->wall_ns = ev->hdr.wall_ns;
	t->flags = ev->hdr.flags & (SMMU_EVF_MONO | SMMU_EVF_WALL);
}

/* a - b on a clock both carry; false when they share none */
static bool tdiff(const struct evtime *a, const struct evtime *b, int64_t *d)
{
	if (a->flags & b->flags & SMMU_EVF_MONO) {
		*d = (int64_t)(a->mono_ns - b->mono_ns);
		return true;
	}
	if (a->flags & b->flags & SMMU_EVF_WALL) {
		/* wrapping, like the monotonic case: captured times are outside input */
		*d = (int64_t)((uint64_t)a->wall_ns - (uint64_t)b->wall_ns);
		return true;
	}
	return false;
}

/* within +-w, or no common clock (bare pasted lines carry no time) */
static bool near(const struct evtime *a, const struct evtime *b, uint64_t w)
{
	int64_t d;

	if (!tdiff(a, b, &d))
		return true;
	return (d < 0 ? -(uint64_t)d : (uint64_t)d) <= w;
}

/* a is at most w before b (and not after it by more than the slack) */
static bool before_within(const struct evtime *a, const struct evtime *b, uint64_t w)
{
	int64_t d;

	if (!tdiff(b, a, &d))
		return true;
	return d >= -(int64_t)SLACK_NS && d <= (int64_t)w;
}

static void evtime_max(struct evtime *dst, const struct evtime *t)
{
	int64_t d;

	if (!dst->flags || (tdiff(t, dst, &d) && d > 0))
		*dst = *t;
}

/* ---- tables ------------------------------------------------------------ */

static void *grow(void *arr, int n, size_t size)
{
	/* capacity doubles at powers of two, so check n alone */
	if (n && (n & (n - 1)))
		return arr;
	return realloc(arr, (n ? 2 * n : 4) * size);
}

static struct smmu_priv *smmu_get(struct engine *e, const char *name)
{
	struct smmu_priv *s;

	for (int i = 0; i < e->n_smmus; i++)
		if (!strcmp(e->smmus[i].info.name, name))
			return &e->smmus[i];
	s = grow(e->smmus, e->n_smmus, sizeof(*s));
	if (!s)
		return NULL;
	e->smmus = s;
	s = &e->smmus[e->n_smmus++];
	memset(s, 0, sizeof(*s));
	str_copy(s->info.name, sizeof(s->info.name), name);
	s->info.ats = -1;
	return s;
}

const char *engine_sid_device(const struct engine *e, const char *smmu, uint32_t sid)
{
	/* newest mapping wins: devices can be re-plugged under the same SID */
	for (int i = e->n_sids - 1; i >= 0; i--)
		if (e->sids[i].sid == sid && !strcmp(e->sids[i].smmu, smmu))
			return e->sids[i].dev;
	/* a log without SMMU names maps SIDs of the unnamed instance */
	for (int i = e->n_sids - 1; i >= 0; i--)
		if (e->sids[i].sid == sid && (!smmu[0] || !e->sids[i].smmu[0]))
			return e->sids[i].dev;
	return NULL;
}

static void sid_map_add(struct engine *e, const char *smmu, uint32_t sid, const char *dev)
{
	const char *cur = engine_sid_device(e, smmu, sid);
	struct sid_entry *s;

	if (cur && !strcmp(cur, dev))
		return;
	s = grow(e->sids, e->n_sids, sizeof(*s));
	if (!s)
		return;
	e->sids = s;
	s = &e->sids[e->n_sids++];
	memset(s, 0, sizeof(*s));
	str_copy(s->smmu, sizeof(s->smmu), smmu);
	str_copy(s->dev, sizeof(s->dev), dev);
	s->sid = sid;
}

/* a device row: by name when known, else by (SMMU, SID); -1 when out of memory */
static int dev_idx(struct engine *e, const char *smmu, const char *dev, bool have_sid,
		   uint32_t sid)
{
	struct dev_entry *d;
	int i;

	for (i = 0; i < e->n_devs; i++) {
		struct device_stat *st = &e->devs[i].st;

		if (dev[0] ? !strcmp(st->dev, dev)
			   : (!st->dev[0] && st->have_sid == have_sid && st->sid == sid &&
			      !strcmp(st->smmu, smmu)))
			goto found;
	}
	d = grow(e->devs, e->n_devs, sizeof(*d));
	if (!d)
		return -1;
	e->devs = d;
	i = e->n_devs++;
	memset(&e->devs[i], 0, sizeof(e->devs[i]));
	str_copy(e->devs[i].st.dev, sizeof(e->devs[i].st.dev), dev);
found:
	d = &e->devs[i];
	if (smmu[0] && !d->st.smmu[0])
		str_copy(d->st.smmu, sizeof(d->st.smmu), smmu);
	if (have_sid && !d->st.have_sid) {
		d->st.sid = sid;
		d->st.have_sid = true;
	}
	return i;
}

static struct device_stat *dev_get(struct engine *e, const char *smmu, const char *dev,
				   bool have_sid, uint32_t sid)
{
	int i = dev_idx(e, smmu, dev, have_sid, sid);

	return i < 0 ? NULL : &e->devs[i].st;
}

static uint32_t smmu_shift(struct engine *e, const char *name)
{
	struct smmu_priv *s = smmu_get(e, name);

	return s ? s->info.max_n_shift : 0;
}

/* queues of one SMMU (Tegra241 VCMDQs) have their own sizes */
static void qshift_set(struct engine *e, uint64_t cmdq, uint32_t shift)
{
	struct qshift *q;

	if (!cmdq || !shift)
		return;
	for (int i = 0; i < e->n_qs; i++)
		if (e->qs[i].cmdq == cmdq) {
			e->qs[i].shift = shift;
			return;
		}
	q = grow(e->qs, e->n_qs, sizeof(*q));
	if (!q)
		return;
	e->qs = q;
	e->qs[e->n_qs++] = (struct qshift){ cmdq, shift };
}

static uint32_t qshift_get(const struct engine *e, uint64_t cmdq)
{
	for (int i = 0; cmdq && i < e->n_qs; i++)
		if (e->qs[i].cmdq == cmdq)
			return e->qs[i].shift;
	return 0;
}

/* ---- incidents --------------------------------------------------------- */

static struct incident *inc_new(struct engine *e, enum incident_kind kind,
				const struct smmu_event *ev);
static void inc_settle(struct engine *e, int i);

static struct open_inc *oi_of(struct incident *inc)
{
	return (struct open_inc *)inc;
}

static struct suspect *suspect_add(struct incident *inc, bool have_sid, uint32_t sid,
				   const char *dev, uint32_t evidence)
{
	struct suspect *s;

	for (int i = 0; i < inc->n_suspects; i++) {
		s = &inc->suspects[i];
		if (have_sid ? (s->have_sid && s->sid == sid)
			     : (dev && dev[0] && !strcmp(s->dev, dev)))
			goto found;
	}
	if (inc->n_suspects == INC_MAX_SUSPECTS)
		return NULL;
	s = &inc->suspects[inc->n_suspects++];
	memset(s, 0, sizeof(*s));
	s->have_sid = have_sid;
	s->sid = sid;
found:
	if (dev && dev[0] && !s->dev[0])
		str_copy(s->dev, sizeof(s->dev), dev);
	s->evidence |= evidence;
	return s;
}

static enum incident_kind kind_of_cerror(uint32_t cerror)
{
	switch (cerror) {
	case SMMU_CERROR_ILL:		return INC_ILLEGAL_COMMAND;
	case SMMU_CERROR_ABT:		return INC_FETCH_ABORT;
	case SMMU_CERROR_ATC_INV_SYNC:	return INC_ATC_TIMEOUT;
	}
	return INC_UNKNOWN_CERROR;
}

/* the CMD_SYNC position an incident is about */
static bool inc_pos(const struct incident *inc, uint32_t *pos)
{
	if (inc->have_cons) {
		*pos = inc->cons;
		return true;
	}
	if (inc->prod != SMMU_NO_POS) {
		*pos = inc->prod;
		return true;
	}
	return false;
}

/* 1 .. size-1 slots ahead of 'from' on the same lap or the next */
static bool pos_after(uint32_t from, uint32_t pos, uint32_t shift)
{
	uint32_t d = smmu_q_dist(from, pos, shift);

	return shift && shift <= SMMU_MAX_N_SHIFT && d && d < (1u << shift);
}

static bool same_queue(const struct incident *inc, const struct issue_entry *ie)
{
	return !strcmp(ie->smmu, inc->smmu) && (!inc->cmdq || inc->cmdq == ie->is.cmdq);
}

static uint32_t issue_shift(const struct engine *e, const struct incident *inc,
			    const struct smmu_ev_issue *is)
{
	uint32_t s = qshift_get(e, is->cmdq);

	if (inc->cmdq == is->cmdq && inc->max_n_shift)
		return inc->max_n_shift;
	return s ? s : is->max_n_shift ? is->max_n_shift : inc->max_n_shift;
}

static void issue_start(const struct issue_entry *ie, struct evtime *start)
{
	*start = ie->t;
	start->mono_ns -= ie->is.duration_ns;
	start->wall_ns -= ie->is.duration_ns;
}

/* was the call spinning when the error was reported? */
static bool in_flight(const struct incident *inc, const struct issue_entry *ie)
{
	struct evtime start;
	int64_t d;

	issue_start(ie, &start);
	if (tdiff(&inc->first, &start, &d) && d < -(int64_t)SLACK_NS)
		return false;
	if (tdiff(&ie->t, &inc->first, &d) && d < -(int64_t)SLACK_NS)
		return false;
	return true;
}

/*
 * On CONS-polling SMMUs "CMD_SYNC timeout at X" prints the queue's shared
 * prod as the issuer read it when it began to poll, not its own slot
 * (measured on Debian 6.1 and 6.12 under QEMU): the slot lies in
 * [hwcons, X).  MSI polling prints the slot itself.  The record of the
 * issuer that printed the line returns just after it.
 */
#define LINE_TO_RETURN_NS	(100ULL * 1000 * 1000)

static bool issue_sw_timeout(const struct smmu_ev_issue *is);

static bool line_covers(const struct incident *inc, const struct issue_entry *ie,
			uint32_t shift)
{
	uint32_t slot = ie->is.sync_prod;
	int64_t d;

	if (!inc->sync_timeout_line || inc->have_cons || !inc->have_hw ||
	    !issue_sw_timeout(&ie->is))
		return false;
	if (!tdiff(&ie->t, &inc->first, &d) || d < -(int64_t)SLACK_NS ||
	    d > (int64_t)LINE_TO_RETURN_NS)
		return false;
	return smmu_q_in_window(slot, inc->hwcons, inc->prod, shift) ||
	       smmu_q_same_pos(slot, inc->prod, shift);
}

/* does this issuer's call cover the incident's CMD_SYNC? 2 = exactly, 1 = window */
static int issue_matches(struct engine *e, const struct incident *inc,
			 const struct issue_entry *ie)
{
	const struct smmu_ev_issue *is = &ie->is;
	uint32_t pos, shift;
	struct evtime start;
	int64_t d;

	if (!is->sync || !same_queue(inc, ie) || !inc_pos(inc, &pos))
		return 0;
	/* the call must have been in flight when the error was seen */
	issue_start(ie, &start);
	if (tdiff(&inc->first, &start, &d) && d < -(int64_t)SLACK_NS)
		return 0;
	if (tdiff(&ie->t, &inc->first, &d) && d < -(int64_t)SLACK_NS &&
	    inc->kind != INC_SYNC_TIMEOUT)
		return 0;
	if (!near(&ie->t, &inc->first, e->o.join_window_ns))
		return 0;
	shift = issue_shift(e, inc, is);
	if (is->sync_prod != SMMU_NO_POS)
		return smmu_q_same_pos(is->sync_prod, pos, shift) ||
		       line_covers(inc, ie, shift) ? 2 : 0;
	if (smmu_q_in_window(pos, is->prod_entry, is->prod_exit, shift) ||
	    smmu_q_same_pos(pos, is->prod_exit, shift))
		return 1;
	return 0;
}

/* a fast error return from the issuer can only come from the patched bitmap */
static bool issue_bitmap_confirms(const struct smmu_ev_issue *is)
{
	return is->ret == -EIO ||
	       (is->ret == -ETIMEDOUT && is->duration_ns < SW_TIMEOUT_NS);
}

static bool issue_sw_timeout(const struct smmu_ev_issue *is)
{
	return is->sync && is->ret == -ETIMEDOUT && is->duration_ns >= SW_TIMEOUT_NS;
}

static bool same_record(const struct issue_entry *a, const struct issue_entry *b)
{
	return a->is.tid == b->is.tid && a->is.duration_ns == b->is.duration_ns &&
	       a->is.sync_prod == b->is.sync_prod && a->t.mono_ns == b->t.mono_ns &&
	       a->is.cmdq == b->is.cmdq;
}

static bool carries_chunks(const struct smmu_ev_issue *is);

/* did the call return no earlier than 'w' before t? */
static bool ended_after(const struct issue_entry *ie, const struct evtime *t, uint64_t w)
{
	int64_t d;

	return !tdiff(&ie->t, t, &d) || d >= -(int64_t)w;
}

/* keep a record the incident may need when it settles */
static void offer_issue(struct engine *e, struct open_inc *oi, const struct issue_entry *ie)
{
	struct incident *inc = &oi->inc;

	if (strcmp(ie->smmu, inc->smmu) || !ie->is.sync)
		return;
	/* a chunk carrier may have given up before a late ISR's line */
	if (!issue_matches(e, inc, ie) && !in_flight(inc, ie) &&
	    !(carries_chunks(&ie->is) && ended_after(ie, &inc->first, 2 * NSEC)))
		return;
	for (int i = 0; i < oi->n_recs; i++)
		if (same_record(&oi->recs[i], ie))
			return;
	if (oi->n_recs < OPEN_RECS)
		oi->recs[oi->n_recs++] = *ie;
}

/* the ISR walks right after printing CONS */
static bool walk_matches(const struct incident *inc, const struct walk_entry *we)
{
	return inc->have_cons && we->w.cons == inc->cons && !strcmp(we->smmu, inc->smmu) &&
	       near(&we->t, &oi_of((struct incident *)inc)->cons_t, NSEC);
}

static void apply_walk(struct engine *e, struct open_inc *oi, struct walk_entry *we)
{
	struct incident *inc = &oi->inc;

	if (we->used_by)
		return;
	/* a retry walks the same slots again: keep the first, but own the walk */
	we->used_by = inc->id;
	if (oi->have_walk)
		return;
	oi->have_walk = true;
	oi->walk = *we;
	inc->have_walk = true;
	inc->walk_stop = we->w.stop;
	inc->bitmap = we->w.bitmap;
	if (we->w.cmdq)
		inc->cmdq = we->w.cmdq;
	/* the walk read this queue's own size */
	if (we->w.max_n_shift)
		inc->max_n_shift = we->w.max_n_shift;
}

/* |a - b|, or 0 without a common clock */
static uint64_t tdist(const struct evtime *a, const struct evtime *b)
{
	int64_t d;

	if (!tdiff(a, b, &d))
		return 0;
	return d < 0 ? -(uint64_t)d : (uint64_t)d;
}

static void attach_recent(struct engine *e, struct open_inc *oi)
{
	struct walk_entry *best = NULL;

	/* a walk usually follows its line; an unused one just before it may be its own */
	for (unsigned int i = 0; i < WALK_RING; i++) {
		struct walk_entry *we = &e->walks[i];

		if (!we->t.flags || we->used_by || !walk_matches(&oi->inc, we) ||
		    !before_within(&we->t, &oi->cons_t, WALK_EARLY_NS))
			continue;
		if (!best || tdist(&we->t, &oi->cons_t) < tdist(&best->t, &oi->cons_t))
			best = we;
	}
	if (best)
		apply_walk(e, oi, best);
	for (unsigned int i = 0; i < ISSUE_RING; i++)
		if (e->issues[i].t.flags)
			offer_issue(e, oi, &e->issues[i]);
}

static void attach_aer(struct engine *e, struct incident *inc)
{
	for (unsigned int i = 0; i < AER_RING; i++) {
		const struct aer_entry *a = &e->aer[i];
		int64_t d;

		if (!a->t.flags || !tdiff(&inc->first, &a->t, &d))
			continue;
		if (d >= 0 && (uint64_t)d <= e->o.aer_window_ns)
			suspect_add(inc, false, 0, a->dev, EVD_AER_CMPLTO);
	}
}

static struct incident *inc_new(struct engine *e, enum incident_kind kind,
				const struct smmu_event *ev)
{
	struct smmu_priv *s = smmu_get(e, ev->hdr.smmu);
	struct open_inc *oi;
	struct incident *inc;

	if (e->n_open == MAX_OPEN)
		inc_settle(e, 0);
	oi = calloc(1, sizeof(*oi));
	if (!oi)
		return NULL;
	inc = &oi->inc;
	inc->id = ++e->next_id;
	inc->kind = kind;
	str_copy(inc->smmu, sizeof(inc->smmu), ev->hdr.smmu);
	inc->max_n_shift = s ? s->info.max_n_shift : 0;
	inc->prod = SMMU_NO_POS;
	inc->issuer_notified = -1;
	inc->bitmap = 2;
	inc->top = -1;
	inc->source = e->o.source;
	inc->seq = ev->hdr.seq;
	evtime_of(ev, &inc->first);
	inc->last = inc->first;
	if (s && s->last_gerror && near(&s->last_gerror_t, &inc->first, NSEC)) {
		inc->gerror = s->last_gerror;
		s->last_gerror = 0;
	}
	e->open[e->n_open++] = oi;
	return inc;
}

/* ---- settling: which evidence to believe ----------------------------- */

static bool same_device(const struct suspect *a, const struct suspect *b)
{
	if (a->dev[0] && b->dev[0])
		return !strcmp(a->dev, b->dev);
	return a->have_sid && b->have_sid && a->sid == b->sid;
}

static int count_devices(const struct incident *inc)
{
	int n = 0;

	for (int i = 0; i < inc->n_suspects; i++) {
		int j;

		for (j = 0; j < i; j++)
			if (same_device(&inc->suspects[i], &inc->suspects[j]))
				break;
		n += j == i;
	}
	return n;
}

static void resolve_names(struct engine *e, struct incident *inc)
{
	for (int i = 0; i < inc->n_suspects; i++) {
		struct suspect *s = &inc->suspects[i];
		const char *dev;

		if (s->dev[0] || !s->have_sid)
			continue;
		dev = engine_sid_device(e, inc->smmu, s->sid);
		if (dev)
			str_copy(s->dev, sizeof(s->dev), dev);
	}
}

/* tiers of evidence, strongest first: the incident keeps the first one present */
enum tier {
	T_SKIPPED = 1 << 0,	/* the skipped command names itself */
	T_WALK = 1 << 1,	/* trusted queue walk */
	T_EXACT = 1 << 2,	/* the issuer of the failing CMD_SYNC, and foreign chunks */
	T_WINDOW = 1 << 3,	/* issuers whose window holds it */
	T_UNTRUSTED = 1 << 4,	/* a walk over slots that may be rewritten */
	T_AER = 1 << 5,
};

/* the suspects being gathered, and the tiers that named each */
struct cands {
	struct incident *inc;
	uint32_t tier[INC_MAX_SUSPECTS];
};

/* what the issuers' records said */
struct issuer_evd {
	bool exact;		/* the call whose CMD_SYNC failed was seen */
	bool bitmap;		/* it returned early with an error: the patched bitmap */
	bool foreign;		/* another call's sync-less chunk may precede it */
	bool cut;		/* a batch held more ATC_INVs than its record lists */
	int windows;		/* calls whose window holds the position */
};

static void cand_add(struct cands *c, uint32_t sid, uint32_t evidence, uint32_t tier,
		     bool count_atc)
{
	struct incident *inc = c->inc;
	int before = inc->n_suspects;
	struct suspect *s = suspect_add(inc, true, sid, NULL, evidence);

	if (!s)
		return;
	if (inc->n_suspects > before)
		c->tier[inc->n_suspects - 1] = 0;
	c->tier[s - inc->suspects] |= tier;
	if (count_atc)
		s->atc_count++;
}

/* was the failing CMD_SYNC queued less than 'w' before 't'? */
static bool queued_within(struct engine *e, const struct open_inc *oi, const struct evtime *t,
			  uint64_t w)
{
	for (int i = 0; i < oi->n_recs; i++) {
		const struct issue_entry *ie = &oi->recs[i];
		struct evtime start;
		int64_t d;

		if (!issue_matches(e, &oi->inc, ie))
			continue;
		issue_start(ie, &start);
		if (tdiff(t, &start, &d) && d < (int64_t)w)
			return true;
	}
	return false;
}

/* the walk is over the slots of this CMD_SYNC's lap, not a later one */
static bool walk_trusted(struct engine *e, const struct open_inc *oi)
{
	const struct incident *inc = &oi->inc;
	const struct smmu_ev_queue_walk *w = &oi->walk.w;
	uint32_t shift = w->max_n_shift ? w->max_n_shift : inc->max_n_shift;
	uint32_t size, c = w->cons;

	if (!shift || shift > SMMU_MAX_N_SHIFT)
		return false;
	size = 1u << shift;
	/*
	 * Only a CMD_SYNC queued after this one, and polled for a whole second
	 * before the walk, can have timed out and moved llq.cons past it.  Any
	 * issuer whose window holds the failing position entered before it was
	 * queued: if one did so less than a second before the walk, no such
	 * timeout can have happened.
	 */
	if (queued_within(e, oi, &oi->walk.t, SW_TIMEOUT_NS))
		goto fill;
	for (unsigned int i = 0; i < SWTO_RING; i++) {
		const struct swto_entry *s = &e->swto[i];

		if (!s->t.flags || strcmp(s->smmu, inc->smmu))
			continue;
		if (s->cmdq && w->cmdq && s->cmdq != w->cmdq)
			continue;
		if (!before_within(&s->t, &oi->walk.t, HAZARD_WINDOW_NS))
			continue;
		if (smmu_q_same_pos(s->pos, c, shift) || pos_after(c, s->pos, shift))
			return false;
	}
fill:
	/* the queue filled behind the stalled sync: its lap-old neighbours reused */
	for (int i = 0; i < oi->n_recs; i++) {
		const struct issue_entry *ie = &oi->recs[i];

		if (!same_queue(inc, ie) || !in_flight(inc, ie))
			continue;
		if (smmu_q_dist(c, ie->is.prod_exit, shift) + w->walked + 1 >= size)
			return false;
	}
	return true;
}

/* SIDs of other calls' sync-less chunks that may sit before the failing sync */
static bool carries_chunks(const struct smmu_ev_issue *is)
{
	return is->n && is->n_atc > is->n;
}

static void add_walk(struct cands *c, const struct smmu_ev_queue_walk *w, uint32_t ev,
		     uint32_t tier)
{
	for (int i = 0; i < w->n_atc_rec && i < SMMU_MAX_ATC; i++)
		cand_add(c, w->atc[i].sid, ev | (w->bitmap == 1 ? EVD_BITMAP : 0), tier, true);
}

/* the earliest entry of a call whose window holds the failing position */
static struct evtime queued_after(struct engine *e, const struct open_inc *oi)
{
	struct evtime lo = oi->inc.first;

	for (int i = 0; i < oi->n_recs; i++) {
		struct evtime start;
		int64_t d;

		if (!issue_matches(e, &oi->inc, &oi->recs[i]))
			continue;
		issue_start(&oi->recs[i], &start);
		if (tdiff(&start, &lo, &d) && d < 0)
			lo = start;
	}
	return lo;
}

static void issuer_add(struct incident *inc, const struct issue_entry *ie)
{
	const struct smmu_ev_issue *is = &ie->is;
	struct issuer *r;

	if (inc->n_issuers == INC_MAX_ISSUERS)
		return;
	r = &inc->issuers[inc->n_issuers++];
	r->pid = is->pid;
	r->tid = is->tid;
	memcpy(r->comm, is->comm, sizeof(r->comm));
	r->comm[sizeof(r->comm) - 1] = '\0';
	r->ctx = is->ctx;
	r->ret = is->ret;
	r->duration_ns = is->duration_ns;
	r->cpu = ie->cpu;
	r->sync_prod = is->sync_prod;
}

/* a call that did not queue the failing sync but carried chunks past it */
static void add_foreign(struct cands *c, const struct issue_entry *ie,
			const struct evtime *lo, struct issuer_evd *ev)
{
	const struct smmu_ev_issue *is = &ie->is;

	if (!carries_chunks(is) || !same_queue(c->inc, ie) || !ended_after(ie, lo, SLACK_NS))
		return;
	ev->foreign = true;
	ev->cut |= is->n_atc > is->n_atc_rec;
	for (int k = 0; k < is->n_atc_rec && k < SMMU_MAX_ATC; k++)
		cand_add(c, is->atc[k].sid, EVD_ISSUER, T_EXACT, false);
}

/* issuer evidence: the issuers of the incident and their batches */
static void add_issuers(struct engine *e, struct open_inc *oi, struct cands *c,
			struct issuer_evd *ev)
{
	struct incident *inc = &oi->inc;
	struct evtime lo = queued_after(e, oi);

	for (int i = 0; i < oi->n_recs; i++) {
		const struct issue_entry *ie = &oi->recs[i];
		const struct smmu_ev_issue *is = &ie->is;
		int m = issue_matches(e, inc, ie);
		uint32_t evd = EVD_ISSUER;

		if (!m) {
			add_foreign(c, ie, &lo, ev);
			continue;
		}
		if (!inc->cmdq)
			inc->cmdq = is->cmdq;
		issuer_add(inc, ie);
		if (m == 2) {
			ev->exact = true;
			inc->issuer_notified = is->ret != 0;
			if (is->ret && issue_bitmap_confirms(is)) {
				evd |= EVD_BITMAP;
				ev->bitmap = true;
			}
			if (is->ret && inc->kind == INC_SYNC_TIMEOUT)
				inc->detect_ns = is->duration_ns;
		} else {
			ev->windows++;
			if (is->ret)
				inc->issuer_notified = 1;
		}
		ev->cut |= is->n_atc > is->n_atc_rec;
		for (int k = 0; k < is->n_atc_rec && k < SMMU_MAX_ATC; k++)
			cand_add(c, is->atc[k].sid, evd, m == 2 ? T_EXACT : T_WINDOW, true);
	}
}

/* keep only the suspects of the given tier, and say how many devices remain */
static int keep_tier(struct cands *c, uint32_t tier)
{
	struct incident *inc = c->inc;
	int j = 0;

	for (int i = 0; i < inc->n_suspects; i++)
		if (c->tier[i] & tier) {
			c->tier[j] = c->tier[i];
			inc->suspects[j++] = inc->suspects[i];
		}
	inc->n_suspects = j;
	return count_devices(inc);
}

static bool has_tier(const struct cands *c, uint32_t tier)
{
	for (int i = 0; i < c->inc->n_suspects; i++)
		if (c->tier[i] & tier)
			return true;
	return false;
}

/*
 * Could the SMMU have been stuck on o's CMD_SYNC while inc's issuer polled
 * (the second before inc->first)?  o's stall began by its first report and
 * ended with its ISR, whose line is o's last report.
 */
static bool stalled_during(const struct engine *e, const struct evtime *o_first,
			   const struct evtime *o_last, const struct incident *inc)
{
	int64_t d;

	if (tdiff(o_last, &inc->first, &d) && d < -(int64_t)(NSEC + SLACK_NS))
		return false;
	if (tdiff(o_first, &inc->first, &d) && d > (int64_t)e->o.join_window_ns)
		return false;
	return true;
}

/*
 * A sync timeout whose issuer saw CERROR in CONS at its own CMD_SYNC: that
 * CMD_SYNC failed.  CONS at it without CERROR proves nothing: the SMMU may
 * just have reached it after a long stall elsewhere.
 */
static bool failed_here(const struct incident *inc)
{
	return !inc->have_cons && inc->have_hw && smmu_cons_cerror(inc->hwcons) &&
	       smmu_q_same_pos(inc->hwcons, inc->prod, inc->max_n_shift);
}

/* where an incident held the SMMU: its CONS, or a timed-out sync CONS stopped on */
static bool stall_at(const struct incident *o, uint32_t *at)
{
	if (o->have_cons) {
		*at = o->cons;
		return true;
	}
	if (failed_here(o)) {
		*at = o->prod;
		return true;
	}
	return false;
}

/*
 * A sync timeout that waited behind another failing CMD_SYNC.  Its own
 * batch says nothing about the failure, so it gets no suspects.  The
 * issuer's line names where the hardware was (hwcons); without the line
 * (ratelimited), another error of the same queue during its poll decides.
 */
static bool collateral(struct engine *e, struct open_inc *oi)
{
	struct incident *inc = &oi->inc;
	uint32_t shift = inc->max_n_shift, p = inc->prod, blocked = 0;
	bool have_blocked = false;

	if (inc->have_cons || p == SMMU_NO_POS)
		return false;
	if (inc->have_hw) {
		if (smmu_q_same_pos(inc->hwcons, p, shift))
			return false;	/* the SMMU sat on this very CMD_SYNC */
		blocked = inc->hwcons;
		have_blocked = true;
	}
	for (int i = 0; i < e->n_open; i++) {
		const struct incident *o = &e->open[i]->inc;
		struct evtime end = o->last;
		uint32_t at;

		if (o == inc || !stall_at(o, &at) || strcmp(o->smmu, inc->smmu) ||
		    (inc->cmdq && o->cmdq && o->cmdq != inc->cmdq))
			continue;
		if (!o->have_cons)
			end.mono_ns += e->o.retry_window_ns;	/* its ISR is still to come */
		if (!stalled_during(e, &o->first, &end, inc))
			continue;
		if (have_blocked ? smmu_q_same_pos(at, blocked, shift)
				 : !smmu_q_same_pos(at, p, shift)) {
			inc->blocked_by = o->id;
			return true;
		}
	}
	for (unsigned int i = 0; i < RECENT_RING; i++) {
		const struct recent_entry *r = &e->recent[i];

		if (!r->id || strcmp(r->smmu, inc->smmu) ||
		    (inc->cmdq && r->cmdq && r->cmdq != inc->cmdq) ||
		    !stalled_during(e, &r->t, &r->last, inc))
			continue;
		if (have_blocked ? smmu_q_same_pos(r->cons, blocked, shift)
				 : !smmu_q_same_pos(r->cons, p, shift)) {
			inc->blocked_by = r->id;
			return true;
		}
	}
	/*
	 * No failing CMD_SYNC found to blame.  CERROR in the CONS it saw says
	 * the SMMU stopped on an error elsewhere; without it the queue merely
	 * did not move (CMDQEN off, or a CONS-polling kernel, whose line
	 * prints the shared prod, so "elsewhere" proves nothing).
	 */
	return have_blocked && smmu_cons_cerror(blocked);
}

static enum confidence decide(struct cands *c, uint32_t tier, bool complete,
			      const struct issuer_evd *ev, bool lone_bitmap)
{
	int ndev = keep_tier(c, tier);

	if (!ndev)
		return CONF_UNKNOWN;
	if (ndev > 1)
		return CONF_SUSPECT;
	/* the primary tier decides; the others only widen the set */
	switch (tier & -tier) {
	case T_SKIPPED:
		return CONF_CONFIRMED;
	case T_WALK:
		return complete ? CONF_CONFIRMED : CONF_SUSPECT;
	case T_EXACT:
		return lone_bitmap ? CONF_CONFIRMED : CONF_PROBABLE;
	case T_WINDOW:
		return ev->windows == 1 ? CONF_PROBABLE : CONF_SUSPECT;
	case T_AER:
		return CONF_PROBABLE;
	}
	return CONF_SUSPECT;
}

/*
 * Still a CPU waiting for queue space ("CMDQ timeout") once the error was
 * handled: the stall did not clear, and a call that queued a chunk before
 * the failing CMD_SYNC may still be spinning, with no record yet.
 */
static bool queue_stuck(struct engine *e, const struct incident *inc)
{
	struct smmu_priv *s = smmu_get(e, inc->smmu);
	int64_t d;

	if (!s || !s->carriers || !s->last_full.flags)
		return false;
	return !tdiff(&s->last_full, &inc->last, &d) || d >= 0;
}

/* what the walk is worth: T_WALK, T_UNTRUSTED, or 0 when it names nobody */
static uint32_t walk_tier(struct engine *e, struct open_inc *oi, bool *complete)
{
	const struct smmu_ev_queue_walk *w = &oi->walk.w;
	bool trusted;

	*complete = false;
	if (!oi->have_walk || w->stop == SMMU_WALK_NOT_SYNC || w->stop == SMMU_WALK_FAULT ||
	    !w->n_atc_rec)
		return 0;
	trusted = walk_trusted(e, oi);
	*complete = w->stop != SMMU_WALK_BOUND && w->n_atc == w->n_atc_rec;
	if (!*complete)
		oi->inc.flags |= INCF_WALK_PARTIAL;
	if (!trusted)
		oi->inc.flags |= INCF_WALK_UNTRUSTED;
	return trusted ? T_WALK : T_UNTRUSTED;
}

/* the strongest evidence present, and what may only widen it */
static uint32_t pick_tier(const struct cands *c, uint32_t walk, bool complete,
			  const struct issuer_evd *ev)
{
	uint32_t untrusted = walk == T_UNTRUSTED ? T_UNTRUSTED : 0;

	if (has_tier(c, T_SKIPPED))
		return T_SKIPPED;
	if (walk == T_WALK && complete)
		return T_WALK;
	if (walk == T_WALK)
		/* the ATC_INVs it did not list are older: other calls' chunks */
		return T_WALK | T_EXACT | T_WINDOW;
	if (ev->exact)
		return T_EXACT | untrusted;
	if (has_tier(c, T_WINDOW))
		return T_WINDOW | (ev->foreign ? T_EXACT : 0) | untrusted;
	return untrusted ? untrusted : T_AER;
}

/*
 * Can this suspect set miss the culprit?  A walk over rewritten slots,
 * windows full of other CPUs' commands, a batch widened by chunks that
 * merely happened to be in flight (a busy device sits in every such set),
 * members only weaker evidence named, lists cut short, or a carrier that
 * may still be spinning with no record yet.
 */
static bool weak_set(struct engine *e, const struct cands *c, uint32_t tier,
		     const struct issuer_evd *ev)
{
	uint32_t primary = tier & -tier;

	if (primary == T_UNTRUSTED || (primary == T_WINDOW && ev->windows > 1) ||
	    (primary == T_EXACT && ev->foreign))
		return true;
	for (int i = 0; i < c->inc->n_suspects; i++)
		if (!(c->tier[i] & primary))
			return true;
	return !(tier & (T_SKIPPED | T_WALK)) && (ev->cut || queue_stuck(e, c->inc));
}

static void attribute(struct engine *e, struct open_inc *oi)
{
	struct incident *inc = &oi->inc;
	struct cands c = { .inc = inc };
	struct issuer_evd ev = { 0 };
	uint32_t walk, tier;
	bool complete;

	/* suspects added as events arrived: the skipped command and AER */
	for (int i = 0; i < inc->n_suspects; i++)
		c.tier[i] = inc->suspects[i].evidence & EVD_SKIPPED_CMD ? T_SKIPPED : T_AER;
	walk = walk_tier(e, oi, &complete);
	add_issuers(e, oi, &c, &ev);
	if (inc->kind == INC_SYNC_TIMEOUT && collateral(e, oi)) {
		inc->flags |= INCF_COLLATERAL;
		keep_tier(&c, 0);
		return;
	}
	if (inc->patched_line && !inc->have_cons) {
		/* every real failure prints "CMDQ error" first: the bit was a lap old */
		inc->flags |= INCF_STALE_BITMAP;
		keep_tier(&c, 0);
		return;
	}
	if (walk)
		add_walk(&c, &oi->walk.w, EVD_QUEUE_WALK, walk);
	if (ev.foreign)
		inc->flags |= INCF_FOREIGN_RISK;
	resolve_names(e, inc);	/* alias SIDs of one device must count once */
	tier = pick_tier(&c, walk, complete, &ev);
	/* the design's patched rule: no walk at all, the issuer told, one device */
	inc->confidence = decide(&c, tier, complete, &ev, !oi->have_walk && ev.bitmap &&
				 !ev.foreign && inc->kind == INC_ATC_TIMEOUT);
	oi->weak = weak_set(e, &c, tier, &ev);
	/* a sync timeout not known to be the failing CMD_SYNC may have queued behind it */
	if (inc->confidence == CONF_PROBABLE && inc->kind == INC_SYNC_TIMEOUT && !failed_here(inc))
		inc->confidence = CONF_SUSPECT;
	/* issuer lists that may not hold the culprit confirm nothing */
	if (!(tier & (T_SKIPPED | T_WALK)) && (ev.cut || queue_stuck(e, inc)) &&
	    inc->confidence > CONF_SUSPECT)
		inc->confidence = CONF_SUSPECT;
}

/* ---- narrowing across incidents ------------------------------------------ */

/*
 * Each failing batch says "one of these devices failed".  Treat the devices
 * as independent failure sources with unknown rates and find the rates that
 * best explain every set seen (EM for a mixture: a set credits its devices in
 * proportion to their current rates).  A device present in every failing
 * batch ends with all the credit; two devices that always appear together
 * keep equal shares, so neither is singled out.
 */
static void narrow_em(struct engine *e)
{
	double total = 0;

	for (int s = 0; s < e->n_sets; s++)
		total += e->sets[s].count;
	if (!total)
		return;
	for (int d = 0; d < e->n_devs; d++) {
		e->devs[d].p = e->devs[d].present ? 1.0 : 0.0;
		e->devs[d].w = 0;
	}
	for (int r = 0; r < EM_ROUNDS; r++) {
		for (int d = 0; d < e->n_devs; d++)
			e->devs[d].w = 0;
		for (int s = 0; s < e->n_sets; s++) {
			const struct set_entry *se = &e->sets[s];
			double z = 0;

			for (int k = 0; k < se->n; k++)
				z += e->devs[se->dev[k]].p;
			for (int k = 0; k < se->n; k++) {
				struct dev_entry *d = &e->devs[se->dev[k]];

				d->w += z > 0 ? se->count * d->p / z : (double)se->count / se->n;
			}
		}
		for (int d = 0; d < e->n_devs; d++)
			e->devs[d].p = e->devs[d].w / total;
	}
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void set_record(struct engine *e, const int *devs, int n, bool weak)
{
	int sorted[INC_MAX_SUSPECTS];
	struct set_entry *se;

	memcpy(sorted, devs, n * sizeof(*devs));
	qsort(sorted, n, sizeof(*sorted), cmp_int);
	for (int s = 0; s < e->n_sets; s++) {
		se = &e->sets[s];
		if (se->n == n && !memcmp(se->dev, sorted, n * sizeof(*sorted))) {
			se->count++;
			goto counted;
		}
	}
	if (e->n_sets == MAX_SETS) {
		e->sets_dropped++;	/* memory stays bounded; the oldest kinds still count */
		return;
	}
	se = grow(e->sets, e->n_sets, sizeof(*se));
	if (!se)
		return;
	e->sets = se;
	se = &e->sets[e->n_sets++];
	memset(se, 0, sizeof(*se));
	se->n = n;
	memcpy(se->dev, sorted, n * sizeof(*sorted));
	se->count = 1;
counted:
	for (int k = 0; k < n; k++) {
		e->devs[sorted[k]].present++;
		if (!weak)
			e->devs[sorted[k]].strong++;
	}
}

static void verdicts(struct engine *e)
{
	for (int i = 0; i < e->n_devs; i++) {
		struct dev_entry *d = &e->devs[i];
		struct device_stat *st = &d->st;
		uint32_t score = d->present ? (uint32_t)(1000 * d->w / d->present + 0.5) : 0;

		st->score = score > 1000 ? 1000 : score;
		st->attributed = (uint64_t)(d->w + 0.5);
		st->failing_batches = (uint64_t)d->present;
		if (st->sole_confirmed)
			st->verdict = VERDICT_CULPRIT;
		else if (!d->present)
			st->verdict = VERDICT_NONE;
		else if (st->score >= 900 && d->strong &&
			 (st->by_conf[CONF_PROBABLE] || d->present >= 3))
			st->verdict = VERDICT_LIKELY;
		else if (st->score <= 100)
			st->verdict = VERDICT_CLEARED;
		else
			st->verdict = VERDICT_POSSIBLE;
	}
	for (int i = 0; i < e->n_devs; i++) {
		struct device_stat *st = &e->devs[i].st;
		double n = 0;

		for (int s = 0; s < e->n_sets; s++) {
			const struct set_entry *se = &e->sets[s];

			for (int k = 0; k < se->n; k++)
				if (!strcmp(e->devs[se->dev[k]].st.smmu, st->smmu)) {
					n += se->count;
					break;
				}
		}
		st->smmu_failing = (uint64_t)n;
	}
}

/* device rows of the suspects (alias SIDs share one), and the distinct ones */
static int suspect_devs(struct engine *e, const struct incident *inc, int *idx, int *uniq)
{
	int m = 0;

	for (int i = 0; i < inc->n_suspects; i++) {
		const struct suspect *s = &inc->suspects[i];
		int j;

		idx[i] = dev_idx(e, inc->smmu, s->dev, s->have_sid, s->sid);
		if (idx[i] < 0)
			return -1;
		for (j = 0; j < m && uniq[j] != idx[i]; j++)
			;
		if (j == m)
			uniq[m++] = idx[i];
	}
	return m;
}

/*
 * Put the incident's suspects in the EM table and rank them by their
 * posterior.  Weak evidence may miss the culprit altogether: its sets keep
 * an "unlisted device" alternative, so they narrow only together with
 * stronger incidents.
 */
static void narrow(struct engine *e, struct open_inc *oi)
{
	struct incident *inc = &oi->inc;
	int idx[INC_MAX_SUSPECTS], uniq[INC_MAX_SUSPECTS], n, best = -1;
	double z;

	n = suspect_devs(e, inc, idx, uniq);
	if (n <= 0)
		return;
	set_record(e, uniq, n, oi->weak);
	narrow_em(e);
	verdicts(e);
	z = 0;
	for (int k = 0; k < n; k++)
		z += e->devs[uniq[k]].p;
	for (int i = 0; i < inc->n_suspects; i++) {
		double q = n == 1 ? 1.0 : z > 0 ? e->devs[idx[i]].p / z : 1.0 / n;

		inc->suspects[i].score = (uint32_t)(1000 * q + 0.5);
		if (best < 0 || inc->suspects[i].score > inc->suspects[best].score)
			best = i;
	}
	/* a sync timeout may have queued behind the failure: its batch is no culprit */
	if (inc->kind == INC_SYNC_TIMEOUT && !failed_here(inc))
		return;
	/* weak evidence only confirms a device stronger incidents implicated */
	if (oi->weak && !e->devs[idx[best]].strong)
		return;
	if (n == 1) {
		inc->top = best;
		return;
	}
	/* singled out: most of the posterior, and seen failing before */
	if (inc->suspects[best].score >= TOP_PERMILLE && e->devs[idx[best]].present >= 2) {
		inc->top = best;
		inc->flags |= INCF_NARROWED;
	}
}

/* strongest first, so views can print the list as is */
static void sort_suspects(struct incident *inc)
{
	for (int i = 1; i < inc->n_suspects; i++) {
		struct suspect s = inc->suspects[i];
		int j = i;

		while (j > 0 && inc->suspects[j - 1].score < s.score) {
			inc->suspects[j] = inc->suspects[j - 1];
			j--;
		}
		inc->suspects[j] = s;
		if (inc->top == i)
			inc->top = j;
		else if (inc->top >= j && inc->top < i)
			inc->top++;
	}
}

static void account(struct engine *e, const struct incident *inc)
{
	struct smmu_priv *s = smmu_get(e, inc->smmu);
	int ndev = count_devices(inc);

	e->by_kind[inc->kind]++;
	if (s)
		s->info.incidents[inc->kind]++;
	for (int i = 0; i < inc->n_suspects; i++) {
		const struct suspect *su = &inc->suspects[i];
		struct device_stat *d;
		int j;

		for (j = 0; j < i; j++)
			if (same_device(su, &inc->suspects[j]))
				break;
		if (j < i)
			continue;	/* an alias SID of a device already counted */
		d = dev_get(e, inc->smmu, su->dev, su->have_sid, su->sid);
		if (!d)
			continue;
		d->incidents++;
		d->by_conf[inc->confidence]++;
		d->by_kind[inc->kind]++;
		d->evidence |= su->evidence;
		if (ndev == 1)
			d->sole_suspect++;
		if (ndev == 1 && inc->confidence == CONF_CONFIRMED && inc->kind == INC_ATC_TIMEOUT)
			d->sole_confirmed++;
		if (inc->top == i)
			d->top++;
	}
	/* a sole confirmed suspect makes a culprit at once */
	if (inc->confidence == CONF_CONFIRMED)
		verdicts(e);
}

static void remember(struct engine *e, const struct incident *inc)
{
	struct recent_entry *r;
	uint32_t at;

	if (!stall_at(inc, &at))
		return;
	r = &e->recent[e->recent_head++ % RECENT_RING];
	str_copy(r->smmu, sizeof(r->smmu), inc->smmu);
	r->cmdq = inc->cmdq;
	r->cons = at;
	r->shift = inc->max_n_shift;
	r->id = inc->id;
	r->t = inc->first;
	r->last = inc->last;
	if (!inc->have_cons)
		r->last.mono_ns += e->o.retry_window_ns;	/* no ISR seen yet */
}

static void inc_settle(struct engine *e, int idx)
{
	struct open_inc *oi = e->open[idx];
	struct incident *inc = &oi->inc;

	memmove(&e->open[idx], &e->open[idx + 1], (e->n_open - idx - 1) * sizeof(oi));
	e->n_open--;
	attribute(e, oi);
	if (!inc->n_suspects)
		inc->confidence = CONF_UNKNOWN;
	if (inc->n_suspects && (inc->kind == INC_ATC_TIMEOUT || inc->kind == INC_SYNC_TIMEOUT)) {
		narrow(e, oi);
	} else if (count_devices(inc) == 1) {
		inc->top = 0;
		for (int i = 0; i < inc->n_suspects; i++)
			inc->suspects[i].score = 1000;
	}
	sort_suspects(inc);
	account(e, inc);
	remember(e, inc);
	if (e->fn)
		e->fn(e->ctx, inc);
	free(oi);
}

/*
 * A sync timeout waits for the error that explains it: its own ISR (CONS
 * showed CERROR at its position) or the one it queued behind, which a
 * CPU spinning with IRQs off can hold off for seconds.
 */
static uint64_t settle_after(const struct engine *e, const struct incident *inc)
{
	if (inc->have_cons || inc->prod == SMMU_NO_POS)
		return e->o.settle_ns;
	if (!inc->have_hw || smmu_cons_cerror(inc->hwcons))
		return e->o.retry_window_ns;
	return e->o.settle_ns;
}

void engine_tick(struct engine *e, const struct evtime *now)
{
	for (int i = 0; i < e->n_open;) {
		const struct incident *inc = &e->open[i]->inc;
		int64_t d;

		if (tdiff(now, &inc->last, &d) && d > (int64_t)settle_after(e, inc))
			inc_settle(e, i);
		else
			i++;
	}
}

void engine_finish(struct engine *e)
{
	while (e->n_open)
		inc_settle(e, 0);
}

/* ---- event handlers ---------------------------------------------------- */

static struct incident *find_open(struct engine *e, const char *smmu,
				  bool (*pred)(struct engine *, const struct incident *,
					       const struct smmu_event *),
				  const struct smmu_event *ev)
{
	for (int i = e->n_open - 1; i >= 0; i--)
		if (!strcmp(e->open[i]->inc.smmu, smmu) && pred(e, &e->open[i]->inc, ev))
			return &e->open[i]->inc;
	return NULL;
}

/*
 * The SMMU re-executes the CMD_SYNC at CONS after the ISR: the same CONS
 * again is a retry, unless the queue moved on in between (another error, or
 * a CMD_SYNC behind it completed) and came round to the same position.
 */
static bool is_retry(struct engine *e, const struct incident *inc,
		     const struct smmu_event *ev)
{
	const struct open_inc *oi = oi_of((struct incident *)inc);
	struct evtime t;

	evtime_of(ev, &t);
	return inc->have_cons && inc->cons == ev->cmdq_error.cons && !oi->superseded &&
	       !oi->progressed && near(&t, &inc->last, e->o.retry_window_ns);
}

/* an issuer-side line already opened this incident at the same position */
static bool joins_issuer(struct engine *e, const struct incident *inc,
			 const struct smmu_event *ev)
{
	struct evtime t;

	evtime_of(ev, &t);
	if (inc->have_cons || inc->prod == SMMU_NO_POS || oi_of((struct incident *)inc)->stale ||
	    !smmu_q_same_pos(inc->prod, ev->cmdq_error.cons, inc->max_n_shift))
		return false;
	/* it gave up while the SMMU sat elsewhere: failing here later is news */
	if (inc->have_hw && !smmu_q_same_pos(inc->hwcons, inc->prod, inc->max_n_shift))
		return false;
	/*
	 * The ISR can be seconds late: the GERROR CPU spins with IRQs off, for
	 * its own CMD_SYNC or for queue space.  The same position is the same
	 * CMD_SYNC while the queue has not moved past it (no CMD_SYNC behind it
	 * completed), and certainly when the issuer saw this error in CONS.
	 */
	if ((inc->have_hw && inc->hwcons == ev->cmdq_error.cons) ||
	    !oi_of((struct incident *)inc)->progressed)
		return near(&t, &inc->first, e->o.retry_window_ns);
	return near(&t, &inc->first, e->o.join_window_ns);
}

static void supersede(struct engine *e, const struct smmu_event *ev)
{
	for (int i = 0; i < e->n_open; i++) {
		struct open_inc *oi = e->open[i];

		if (oi->inc.have_cons && oi->inc.cons != ev->cmdq_error.cons &&
		    !strcmp(oi->inc.smmu, ev->hdr.smmu))
			oi->superseded = true;
	}
}

static void stale_add(struct engine *e, const struct incident *inc,
		      const struct smmu_event *ev)
{
	struct stale_entry *s = &e->stale[e->stale_head++ % STALE_RING];

	str_copy(s->smmu, sizeof(s->smmu), inc->smmu);
	s->pos = ev->cmdq_error.cons;
	/* the line that opened it may have come before any record told the size */
	s->shift = inc->max_n_shift ? inc->max_n_shift : smmu_shift(e, inc->smmu);
	evtime_of(ev, &s->t);
	if (!s->t.flags)
		s->t.flags = SMMU_EVF_MONO;
	s->used = false;
}

/* is a patched report at prod the bit a late ISR left behind? (consumes it) */
static bool stale_take(struct engine *e, const struct smmu_event *ev, uint32_t prod)
{
	struct evtime t;

	evtime_of(ev, &t);
	for (unsigned int i = 0; i < STALE_RING; i++) {
		struct stale_entry *s = &e->stale[i];
		uint32_t mask = smmu_q_idx_mask(s->shift);

		if (!s->t.flags || s->used || strcmp(s->smmu, ev->hdr.smmu) ||
		    (s->pos & mask) != (prod & mask) ||
		    !before_within(&s->t, &t, e->o.retry_window_ns))
			continue;
		s->used = true;
		return true;
	}
	return false;
}

static void on_cmdq_error(struct engine *e, const struct smmu_event *ev)
{
	enum incident_kind kind = kind_of_cerror(ev->cmdq_error.cerror);
	struct incident *inc;
	struct evtime t;

	evtime_of(ev, &t);
	inc = find_open(e, ev->hdr.smmu, is_retry, ev);
	if (inc) {
		inc->retries++;
		evtime_max(&inc->last, &t);
		return;
	}
	supersede(e, ev);
	inc = find_open(e, ev->hdr.smmu, joins_issuer, ev);
	if (inc) {
		/* the issuer gave up (and cleared its bit) before this ISR ran */
		if (inc->kind == INC_SYNC_TIMEOUT)
			stale_add(e, inc, ev);
		inc->kind = kind;
		inc->issuer_notified = 1;
		evtime_max(&inc->last, &t);
	} else {
		inc = inc_new(e, kind, ev);
		if (!inc)
			return;
	}
	inc->have_cons = true;
	inc->cons = ev->cmdq_error.cons;
	inc->cerror = ev->cmdq_error.cerror;
	oi_of(inc)->cons_t = t;
	attach_recent(e, oi_of(inc));
	if (kind == INC_ATC_TIMEOUT)
		attach_aer(e, inc);
}

static bool joins_error(struct engine *e, const struct incident *inc,
			const struct smmu_event *ev)
{
	uint32_t prod = ev->hdr.type == SMMU_EV_SYNC_TIMEOUT ? ev->sync_timeout.prod
							     : ev->atc_sync_fail.prod;
	struct evtime t;

	evtime_of(ev, &t);
	return inc->have_cons && smmu_q_same_pos(inc->cons, prod, inc->max_n_shift) &&
	       near(&t, &inc->first, e->o.join_window_ns);
}

/*
 * The other line of the same call: a call prints at most one of each kind,
 * and an incident opened by its return record has had its lines already.
 */
static bool same_issuer_line(struct engine *e, const struct incident *inc,
			     const struct smmu_event *ev)
{
	bool patched = ev->hdr.type == SMMU_EV_ATC_SYNC_FAIL;
	uint32_t prod = patched ? ev->atc_sync_fail.prod : ev->sync_timeout.prod;
	struct evtime t;

	evtime_of(ev, &t);
	if (inc->have_cons || inc->prod != prod || oi_of((struct incident *)inc)->from_record ||
	    (patched ? inc->patched_line : inc->sync_timeout_line))
		return false;
	return near(&t, &inc->first, e->o.join_window_ns);
}

static void swto_add(struct engine *e, const char *smmu, uint64_t cmdq, uint32_t pos,
		     const struct evtime *t)
{
	struct swto_entry *s = &e->swto[e->swto_head++ % SWTO_RING];

	str_copy(s->smmu, sizeof(s->smmu), smmu);
	s->cmdq = cmdq;
	s->pos = pos;
	s->t = *t;
	if (!s->t.flags)
		s->t.flags = SMMU_EVF_MONO;
}

/* "CMD_SYNC timeout at" (software timeout) and the patched kernel's line */
static void on_issuer_line(struct engine *e, const struct smmu_event *ev)
{
	bool patched = ev->hdr.type == SMMU_EV_ATC_SYNC_FAIL, stale = false;
	struct incident *inc;
	struct evtime t;

	evtime_of(ev, &t);
	if (!patched)
		swto_add(e, ev->hdr.smmu, 0, ev->sync_timeout.prod, &t);
	inc = find_open(e, ev->hdr.smmu, joins_error, ev);
	if (inc && patched)
		stale_take(e, ev, ev->atc_sync_fail.prod);	/* its own bit took the old one */
	else if (!inc && patched)
		stale = stale_take(e, ev, ev->atc_sync_fail.prod);
	if (!inc && !stale)
		inc = find_open(e, ev->hdr.smmu, same_issuer_line, ev);
	if (!inc) {
		inc = inc_new(e, patched ? INC_ATC_TIMEOUT : INC_SYNC_TIMEOUT, ev);
		if (!inc)
			return;
		oi_of(inc)->stale = stale;
	}
	evtime_max(&inc->last, &t);
	inc->issuer_notified = 1;
	if (patched) {
		inc->patched_line = true;
		inc->prod = ev->atc_sync_fail.prod;
	} else {
		inc->sync_timeout_line = true;
		inc->prod = ev->sync_timeout.prod;
		if (ev->sync_timeout.have_hw) {
			inc->have_hw = true;
			inc->hwprod = ev->sync_timeout.hwprod;
			inc->hwcons = ev->sync_timeout.hwcons;
		}
	}
	attach_recent(e, oi_of(inc));
	if (patched && !inc->have_cons)
		attach_aer(e, inc);
}

static struct incident *latest_with_cons(struct engine *e, const struct smmu_event *ev,
					 uint32_t kinds)
{
	struct evtime t;

	evtime_of(ev, &t);
	for (int i = e->n_open - 1; i >= 0; i--) {
		struct incident *inc = &e->open[i]->inc;

		if (inc->have_cons && (kinds & (1u << inc->kind)) &&
		    !strcmp(inc->smmu, ev->hdr.smmu) && near(&t, &inc->last, NSEC))
			return inc;
	}
	return NULL;
}

static void on_skipped(struct engine *e, const struct smmu_event *ev)
{
	struct incident *inc = latest_with_cons(e, ev, 1u << INC_ILLEGAL_COMMAND |
						1u << INC_UNKNOWN_CERROR);
	struct smmu_cmd c;
	uint32_t sid;

	if (!inc || inc->have_skipped)
		return;
	inc->have_skipped = true;
	inc->skipped[0] = ev->skipped.cmd[0];
	inc->skipped[1] = ev->skipped.cmd[1];
	smmu_cmd_decode(ev->skipped.cmd[0], ev->skipped.cmd[1], &c);
	if (smmu_cmd_has_sid(&c, &sid))
		suspect_add(inc, true, sid, NULL, EVD_SKIPPED_CMD);
}

static void on_fetch_retry(struct engine *e, const struct smmu_event *ev)
{
	struct incident *inc = latest_with_cons(e, ev, 1u << INC_FETCH_ABORT);

	if (inc)
		inc->fetch_retries++;
}

static void on_gerror(struct engine *e, const struct smmu_event *ev)
{
	struct smmu_priv *s = smmu_get(e, ev->hdr.smmu);

	if (!s)
		return;
	s->info.gerror_bits |= ev->gerror.active;
	if (ev->gerror.bit != 0xff)
		return;
	s->info.gerrors++;
	s->last_gerror = ev->gerror.active;
	evtime_of(ev, &s->last_gerror_t);
}

static void on_suppressed(struct engine *e, const struct smmu_event *ev)
{
	struct func_count *f;
	int i;

	e->suppressed += ev->suppressed.count;
	for (i = 0; i < e->n_funcs; i++)
		if (!strncmp(e->funcs[i].func, ev->suppressed.func, SMMU_FUNC_LEN))
			break;
	if (i == e->n_funcs) {
		f = grow(e->funcs, e->n_funcs, sizeof(*f));
		if (!f)
			return;
		e->funcs = f;
		memset(&f[i], 0, sizeof(f[i]));
		memcpy(f[i].func, ev->suppressed.func, SMMU_FUNC_LEN);
		f[i].func[SMMU_FUNC_LEN - 1] = '\0';
		e->n_funcs++;
	}
	e->funcs[i].count += ev->suppressed.count;
}

static void on_smmu_info(struct engine *e, const struct smmu_event *ev)
{
	struct smmu_priv *s = smmu_get(e, ev->hdr.smmu);

	if (!s)
		return;
	switch (ev->hdr.type) {
	case SMMU_EV_QUEUE_INFO:
		if (ev->queue_info.queue == SMMU_Q_CMDQ)
			s->info.max_n_shift = ev->queue_info.max_n_shift;
		break;
	case SMMU_EV_FEATURES:
		s->info.features = ev->features.features;
		s->info.have_features = true;
		s->info.ats = !!(ev->features.features & (1u << 5));
		break;
	case SMMU_EV_EVTQ:
		s->info.evtq_events++;
		if (ev->evtq.have_sid && ev->evtq.client[0] && ev->evtq.client[0] != '(')
			sid_map_add(e, ev->hdr.smmu, ev->evtq.sid, ev->evtq.client);
		break;
	case SMMU_EV_EVTQ_OVERFLOW:
		s->info.evtq_overflows++;
		break;
	case SMMU_EV_CMDQ_TIMEOUT:
		s->info.cmdq_full_timeouts++;
		evtime_of(ev, &s->last_full);
		if (!s->last_full.flags)
			s->last_full.flags = SMMU_EVF_MONO;
		break;
	case SMMU_EV_STATS:
		s->info.stats = ev->stats;
		s->info.have_stats = true;
		if (ev->stats.max_n_shift && !s->info.max_n_shift)
			s->info.max_n_shift = ev->stats.max_n_shift;
		break;
	}
}

static void on_aer(struct engine *e, const struct smmu_event *ev)
{
	struct aer_entry *a;
	struct device_stat *d;

	if (!ev->aer.cmplto)
		return;
	a = &e->aer[e->aer_head++ % AER_RING];
	memcpy(a->dev, ev->aer.dev, sizeof(a->dev));
	a->dev[sizeof(a->dev) - 1] = '\0';
	evtime_of(ev, &a->t);
	d = dev_get(e, "", a->dev, false, 0);
	if (d)
		d->aer_cmplto++;
}

/*
 * The failing CMD_SYNC, or one behind it, completed: the queue moved past
 * it, and the same CONS again is a new failure a lap or more later.
 */
static void note_progress(struct engine *e, const struct issue_entry *ie)
{
	const struct smmu_ev_issue *is = &ie->is;
	uint32_t pos = is->sync_prod != SMMU_NO_POS ? is->sync_prod : is->prod_entry;

	if (!is->sync || (is->ret && !issue_bitmap_confirms(is)))
		return;
	for (int i = 0; i < e->n_open; i++) {
		struct open_inc *oi = e->open[i];
		const struct incident *inc = &oi->inc;
		int64_t d;

		uint32_t at;

		if (!inc_pos(inc, &at) || !same_queue(inc, ie) ||
		    !tdiff(&ie->t, &inc->last, &d) || d <= 0)
			continue;
		if (pos_after(at, pos, issue_shift(e, inc, is)) ||
		    (is->sync_prod != SMMU_NO_POS &&
		     smmu_q_same_pos(at, is->sync_prod, issue_shift(e, inc, is))))
			oi->progressed = true;
	}
}

/* an issuer's -ETIMEDOUT is an incident even when its line was ratelimited */
static void sw_timeout_record(struct engine *e, const struct smmu_event *ev,
			      const struct issue_entry *ie)
{
	const struct smmu_ev_issue *is = &ie->is;
	struct incident *inc;

	swto_add(e, ie->smmu, is->cmdq, is->sync_prod != SMMU_NO_POS ? is->sync_prod
								     : is->prod_exit, &ie->t);
	if (is->sync_prod == SMMU_NO_POS)
		return;		/* its window overlaps too many others to stand alone */
	for (int i = 0; i < e->n_open; i++) {
		inc = &e->open[i]->inc;
		if (!strcmp(inc->smmu, ie->smmu) && issue_matches(e, inc, ie) == 2)
			return;
	}
	inc = inc_new(e, INC_SYNC_TIMEOUT, ev);
	if (!inc)
		return;
	oi_of(inc)->from_record = true;
	inc->prod = is->sync_prod;
	inc->cmdq = is->cmdq;
	inc->max_n_shift = issue_shift(e, inc, is);
	attach_recent(e, oi_of(inc));
}

static void on_issue(struct engine *e, const struct smmu_event *ev)
{
	struct issue_entry *ie = &e->issues[e->issue_head++ % ISSUE_RING];
	bool main_q = ev->issue.cmdq && ev->issue.cmdq == ev->issue.smmu_ptr + 64;

	memset(ie, 0, sizeof(*ie));
	memcpy(ie->smmu, ev->hdr.smmu, sizeof(ie->smmu));
	ie->smmu[sizeof(ie->smmu) - 1] = '\0';
	evtime_of(ev, &ie->t);
	if (!ie->t.flags)
		ie->t.flags = SMMU_EVF_MONO;
	ie->cpu = ev->hdr.cpu;
	ie->is = ev->issue;
	qshift_set(e, ie->is.cmdq, ie->is.max_n_shift);
	if (carries_chunks(&ie->is)) {
		struct smmu_priv *s = smmu_get(e, ie->smmu);

		if (s)
			s->carriers = true;
	}
	if (ie->is.max_n_shift && (main_q || !ev->issue.smmu_ptr)) {
		struct smmu_priv *s = smmu_get(e, ie->smmu);

		if (s && !s->info.max_n_shift)
			s->info.max_n_shift = ie->is.max_n_shift;
	}
	for (int i = 0; i < ie->is.n_atc_rec && i < SMMU_MAX_ATC; i++) {
		const char *dev = engine_sid_device(e, ie->smmu, ie->is.atc[i].sid);
		struct device_stat *d = dev_get(e, ie->smmu, dev ? dev : "", true,
						ie->is.atc[i].sid);

		if (d)
			d->atc_invs++;
	}
	note_progress(e, ie);
	for (int i = 0; i < e->n_open; i++)
		offer_issue(e, e->open[i], ie);
	if (issue_sw_timeout(&ie->is))
		sw_timeout_record(e, ev, ie);
}

static void on_walk(struct engine *e, const struct smmu_event *ev)
{
	struct walk_entry *we = &e->walks[e->walk_head++ % WALK_RING];

	memcpy(we->smmu, ev->hdr.smmu, sizeof(we->smmu));
	we->smmu[sizeof(we->smmu) - 1] = '\0';
	evtime_of(ev, &we->t);
	we->cpu = ev->hdr.cpu;
	we->used_by = 0;
	we->w = ev->walk;
	if (!we->t.flags)
		we->t.flags = SMMU_EVF_MONO;	/* keep the slot marked used */
	qshift_set(e, we->w.cmdq, we->w.max_n_shift);
	/* the newest incident at that CONS: an older one is another lap */
	for (int i = e->n_open - 1; i >= 0; i--)
		if (walk_matches(&e->open[i]->inc, we)) {
			apply_walk(e, e->open[i], we);
			break;
		}
}

static void on_lost(struct engine *e, const struct smmu_event *ev)
{
	e->lost.ringbuf += ev->lost.ringbuf;
	e->lost.map_full += ev->lost.map_full;
	e->lost.truncated += ev->lost.truncated;
}

static uint32_t valid_shift(uint32_t shift)
{
	return shift <= SMMU_MAX_N_SHIFT ? shift : 0;
}

/*
 * Records from a capture are outside input: a queue size no SMMU can have
 * is treated as unknown rather than shifted by.
 */
static const struct smmu_event *sanitize(const struct smmu_event *ev, struct smmu_event *copy)
{
	switch (ev->hdr.type) {
	case SMMU_EV_ISSUE:
	case SMMU_EV_QUEUE_WALK:
	case SMMU_EV_STATS:
	case SMMU_EV_QUEUE_INFO:
		break;
	default:
		return ev;
	}
	*copy = *ev;
	copy->issue.max_n_shift = ev->hdr.type == SMMU_EV_ISSUE ?
				  valid_shift(ev->issue.max_n_shift) : copy->issue.max_n_shift;
	if (ev->hdr.type == SMMU_EV_QUEUE_WALK)
		copy->walk.max_n_shift = valid_shift(ev->walk.max_n_shift);
	if (ev->hdr.type == SMMU_EV_STATS)
		copy->stats.max_n_shift = valid_shift(ev->stats.max_n_shift);
	if (ev->hdr.type == SMMU_EV_QUEUE_INFO)
		copy->queue_info.max_n_shift = valid_shift(ev->queue_info.max_n_shift);
	return copy;
}

void engine_feed(struct engine *e, const struct smmu_event *in)
{
	struct smmu_event copy;
	const struct smmu_event *ev = sanitize(in, &copy);
	struct evtime t;

	e->events++;
	switch (ev->hdr.type) {
	case SMMU_EV_CMDQ_ERROR:
		on_cmdq_error(e, ev);
		break;
	case SMMU_EV_SYNC_TIMEOUT:
	case SMMU_EV_ATC_SYNC_FAIL:
		on_issuer_line(e, ev);
		break;
	case SMMU_EV_SKIPPED_CMD:
		on_skipped(e, ev);
		break;
	case SMMU_EV_FETCH_RETRY:
		on_fetch_retry(e, ev);
		break;
	case SMMU_EV_GERROR:
		on_gerror(e, ev);
		break;
	case SMMU_EV_SUPPRESSED:
		on_suppressed(e, ev);
		break;
	case SMMU_EV_QUEUE_INFO:
	case SMMU_EV_FEATURES:
	case SMMU_EV_EVTQ:
	case SMMU_EV_EVTQ_OVERFLOW:
	case SMMU_EV_CMDQ_TIMEOUT:
	case SMMU_EV_STATS:
		on_smmu_info(e, ev);
		break;
	case SMMU_EV_AER:
		on_aer(e, ev);
		break;
	case SMMU_EV_ISSUE:
		on_issue(e, ev);
		break;
	case SMMU_EV_QUEUE_WALK:
		on_walk(e, ev);
		break;
	case SMMU_EV_SID_MAP:
		sid_map_add(e, ev->hdr.smmu, ev->sid_map.sid, ev->sid_map.dev);
		break;
	case SMMU_EV_LOST:
		on_lost(e, ev);
		break;
	default:
		break;
	}
	evtime_of(ev, &t);
	if (t.flags)
		engine_tick(e, &t);
}

/* ---- lifecycle and accessors ------------------------------------------- */

struct engine *engine_new(const struct engine_opts *o, engine_incident_fn fn, void *ctx)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->issues = calloc(ISSUE_RING, sizeof(*e->issues));
	if (!e->issues) {
		free(e);
		return NULL;
	}
	if (o)
		e->o = *o;
	else
		engine_default_opts(&e->o);
	e->fn = fn;
	e->ctx = ctx;
	return e;
}

/* replay reads logs and captures in turn: incidents say what they came from */
void engine_set_source(struct engine *e, enum src_kind source)
{
	e->o.source = source;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	for (int i = 0; i < e->n_open; i++)
		free(e->open[i]);
	free(e->issues);
	free(e->smmus);
	free(e->devs);
	free(e->sids);
	free(e->funcs);
	free(e->qs);
	free(e->sets);
	free(e);
}

int engine_n_smmus(const struct engine *e)
{
	return e->n_smmus;
}

const struct smmu_info *engine_smmu(const struct engine *e, int i)
{
	return &e->smmus[i].info;
}

int engine_n_devices(const struct engine *e)
{
	return e->n_devs;
}

const struct device_stat *engine_device(const struct engine *e, int i)
{
	return &e->devs[i].st;
}

uint64_t engine_incidents_by_kind(const struct engine *e, enum incident_kind k)
{
	return e->by_kind[k];
}

uint64_t engine_suppressed(const struct engine *e)
{
	return e->suppressed;
}

int engine_n_suppressed_funcs(const struct engine *e)
{
	return e->n_funcs;
}

const char *engine_suppressed_func(const struct engine *e, int i, uint64_t *count)
{
	*count = e->funcs[i].count;
	return e->funcs[i].func;
}

const struct smmu_ev_lost *engine_lost(const struct engine *e)
{
	return &e->lost;
}

uint64_t engine_events(const struct engine *e)
{
	return e->events;
}
