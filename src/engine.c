// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Attribution engine.  An incident is one failed CMD_SYNC (or one issuer's
 * software timeout).  The driver reports the same failure in up to three
 * places that arrive in any order: the ISR's "CMDQ error (cons ...)", the
 * issuer's "CMD_SYNC timeout at ..." or patched "CMD_SYNC for ATC_INV
 * timeout at prod=...", and what the BPF programs saw (queue walk, issuer
 * batches).  They are joined on (SMMU, queue position, time).
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
#define NSEC		1000000000ULL
/* an unpatched issuer only returns an error after the 1 s poll timeout */
#define SW_TIMEOUT_NS	(900ULL * 1000 * 1000)

struct smmu_priv {
	struct smmu_info info;
	uint32_t last_gerror;
	struct evtime last_gerror_t;
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
	struct smmu_ev_queue_walk w;
};

struct func_count {
	char func[SMMU_FUNC_LEN];
	uint64_t count;
};

struct engine {
	struct engine_opts o;
	engine_incident_fn fn;
	void *ctx;
	uint64_t next_id;
	uint64_t events;

	struct incident *open[MAX_OPEN];
	int n_open;

	struct smmu_priv *smmus;
	int n_smmus;
	struct device_stat *devs;
	int n_devs;
	struct sid_entry *sids;
	int n_sids;
	struct func_count *funcs;
	int n_funcs;

	struct aer_entry aer[AER_RING];
	unsigned int aer_head;
	struct issue_entry *issues;	/* ring of ISSUE_RING */
	unsigned int issue_head;
	struct walk_entry walks[WALK_RING];
	unsigned int walk_head;

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
		*d = a->wall_ns - b->wall_ns;
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

/* a device row: by name when known, else by (SMMU, SID) */
static struct device_stat *dev_get(struct engine *e, const char *smmu, const char *dev,
				   bool have_sid, uint32_t sid)
{
	struct device_stat *d;

	for (int i = 0; i < e->n_devs; i++) {
		d = &e->devs[i];
		if (dev[0] ? !strcmp(d->dev, dev)
			   : (!d->dev[0] && d->have_sid == have_sid && d->sid == sid &&
			      !strcmp(d->smmu, smmu)))
			goto found;
	}
	d = grow(e->devs, e->n_devs, sizeof(*d));
	if (!d)
		return NULL;
	e->devs = d;
	d = &e->devs[e->n_devs++];
	memset(d, 0, sizeof(*d));
	str_copy(d->dev, sizeof(d->dev), dev);
found:
	if (smmu[0] && !d->smmu[0])
		str_copy(d->smmu, sizeof(d->smmu), smmu);
	if (have_sid && !d->have_sid) {
		d->sid = sid;
		d->have_sid = true;
	}
	return d;
}

/* ---- incidents --------------------------------------------------------- */

static struct incident *inc_new(struct engine *e, enum incident_kind kind,
				const struct smmu_event *ev);
static void inc_settle(struct engine *e, int i);

static uint32_t smmu_shift(struct engine *e, const char *name)
{
	struct smmu_priv *s = smmu_get(e, name);

	return s ? s->info.max_n_shift : 0;
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

static void add_issuer(struct incident *inc, const struct issue_entry *ie)
{
	struct issuer *is;

	for (int i = 0; i < inc->n_issuers; i++)
		if (inc->issuers[i].tid == ie->is.tid &&
		    inc->issuers[i].sync_prod == ie->is.sync_prod &&
		    inc->issuers[i].duration_ns == ie->is.duration_ns)
			return;
	if (inc->n_issuers == INC_MAX_ISSUERS)
		return;
	is = &inc->issuers[inc->n_issuers++];
	is->pid = ie->is.pid;
	is->tid = ie->is.tid;
	memcpy(is->comm, ie->is.comm, sizeof(is->comm));
	is->comm[sizeof(is->comm) - 1] = '\0';
	is->ctx = ie->is.ctx;
	is->ret = ie->is.ret;
	is->duration_ns = ie->is.duration_ns;
	is->cpu = ie->cpu;
	is->sync_prod = ie->is.sync_prod;
}

/* a fast error return from the issuer can only come from the patched bitmap */
static bool issue_bitmap_confirms(const struct smmu_ev_issue *is)
{
	return is->ret == -EIO ||
	       (is->ret == -ETIMEDOUT && is->duration_ns < SW_TIMEOUT_NS);
}

/* does this issuer's call cover the incident's CMD_SYNC? 2 = exactly, 1 = window */
static int issue_matches(struct engine *e, const struct incident *inc,
			 const struct issue_entry *ie)
{
	const struct smmu_ev_issue *is = &ie->is;
	uint32_t pos, shift = inc->max_n_shift;
	struct evtime start = ie->t;
	int64_t d;

	if (!is->sync || strcmp(ie->smmu, inc->smmu) || !inc_pos(inc, &pos))
		return 0;
	/* the call must have been in flight when the error was seen */
	start.mono_ns -= is->duration_ns;
	start.wall_ns -= is->duration_ns;
	if (tdiff(&inc->first, &start, &d) && d < -(int64_t)NSEC / 100)
		return 0;
	if (tdiff(&ie->t, &inc->first, &d) && d < -(int64_t)NSEC / 100 &&
	    inc->kind != INC_SYNC_TIMEOUT)
		return 0;
	if (!near(&ie->t, &inc->first, e->o.join_window_ns))
		return 0;
	if (!shift)
		shift = is->max_n_shift;
	if (is->sync_prod != SMMU_NO_POS)
		return smmu_q_same_pos(is->sync_prod, pos, shift) ? 2 : 0;
	if (smmu_q_in_window(pos, is->prod_entry, is->prod_exit, shift) ||
	    smmu_q_same_pos(pos, is->prod_exit, shift))
		return 1;
	return 0;
}

static void apply_issue(struct engine *e, struct incident *inc, const struct issue_entry *ie)
{
	const struct smmu_ev_issue *is = &ie->is;
	int m = issue_matches(e, inc, ie);
	uint32_t ev = EVD_ISSUER;

	if (!m)
		return;
	add_issuer(inc, ie);
	if (m == 2) {
		inc->issuer_notified = is->ret != 0;
		if (is->ret && issue_bitmap_confirms(is))
			ev |= EVD_BITMAP;
		if (is->ret && inc->kind == INC_SYNC_TIMEOUT)
			inc->detect_ns = is->duration_ns;
	} else if (is->ret) {
		inc->issuer_notified = 1;
	}
	for (int i = 0; i < is->n_atc_rec && i < SMMU_MAX_ATC; i++) {
		struct suspect *s = suspect_add(inc, true, is->atc[i].sid, NULL, ev);

		if (s)
			s->atc_count++;
	}
}

static void apply_walk(struct incident *inc, const struct walk_entry *we)
{
	const struct smmu_ev_queue_walk *w = &we->w;

	inc->have_walk = true;
	inc->walk_stop = w->stop;
	inc->bitmap = w->bitmap;
	if (w->stop == SMMU_WALK_NOT_SYNC || w->stop == SMMU_WALK_FAULT)
		return;		/* the slot was reused or unreadable: no evidence */
	for (int i = 0; i < w->n_atc_rec && i < SMMU_MAX_ATC; i++) {
		uint32_t ev = EVD_QUEUE_WALK | (w->bitmap == 1 ? EVD_BITMAP : 0);
		struct suspect *s = suspect_add(inc, true, w->atc[i].sid, NULL, ev);

		if (s)
			s->atc_count++;
	}
	if (!inc->max_n_shift)
		inc->max_n_shift = w->max_n_shift;
}

static bool walk_matches(const struct incident *inc, const struct walk_entry *we)
{
	return inc->have_cons && we->w.cons == inc->cons && !strcmp(we->smmu, inc->smmu) &&
	       near(&we->t, &inc->first, NSEC);
}

static void attach_recent(struct engine *e, struct incident *inc)
{
	for (unsigned int i = 0; i < WALK_RING; i++)
		if (e->walks[i].t.flags && walk_matches(inc, &e->walks[i]))
			apply_walk(inc, &e->walks[i]);
	for (unsigned int i = 0; i < ISSUE_RING; i++)
		if (e->issues[i].t.flags)
			apply_issue(e, inc, &e->issues[i]);
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
	struct incident *inc;

	if (e->n_open == MAX_OPEN)
		inc_settle(e, 0);
	inc = calloc(1, sizeof(*inc));
	if (!inc)
		return NULL;
	inc->id = ++e->next_id;
	inc->kind = kind;
	str_copy(inc->smmu, sizeof(inc->smmu), ev->hdr.smmu);
	inc->max_n_shift = s ? s->info.max_n_shift : 0;
	inc->prod = SMMU_NO_POS;
	inc->issuer_notified = -1;
	inc->bitmap = 2;
	inc->source = e->o.source;
	inc->seq = ev->hdr.seq;
	evtime_of(ev, &inc->first);
	inc->last = inc->first;
	if (s && s->last_gerror && near(&s->last_gerror_t, &inc->first, NSEC)) {
		inc->gerror = s->last_gerror;
		s->last_gerror = 0;
	}
	e->open[e->n_open++] = inc;
	return inc;
}

/* ---- settling: narrowing suspects and the confidence ------------------- */

static bool same_device(const struct suspect *a, const struct suspect *b)
{
	if (a->dev[0] && b->dev[0])
		return !strcmp(a->dev, b->dev);
	return a->have_sid && b->have_sid && a->sid == b->sid;
}

/*
 * Keep the suspects of the strongest evidence present: the queue walk and
 * the patched bitmap are exact, the skipped command names itself, issuer
 * windows and AER are circumstantial.
 */
static void narrow(struct incident *inc)
{
	static const uint32_t order[] = {
		EVD_QUEUE_WALK | EVD_BITMAP, EVD_QUEUE_WALK, EVD_BITMAP,
		EVD_SKIPPED_CMD,
	};
	int n = 0;

	for (unsigned int k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		for (int i = 0; i < inc->n_suspects; i++)
			if ((inc->suspects[i].evidence & order[k]) == order[k])
				n++;
		if (!n)
			continue;
		for (int i = 0, j = 0; i < inc->n_suspects; i++) {
			if ((inc->suspects[i].evidence & order[k]) == order[k])
				inc->suspects[j++] = inc->suspects[i];
		}
		inc->n_suspects = n;
		return;
	}
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

static enum confidence confidence_of(const struct incident *inc)
{
	const uint32_t direct = EVD_QUEUE_WALK | EVD_BITMAP | EVD_SKIPPED_CMD;
	int ndev = count_devices(inc);

	if (!ndev)
		return CONF_UNKNOWN;
	if (ndev > 1)
		return CONF_SUSPECT;
	for (int i = 0; i < inc->n_suspects; i++)
		if (!(inc->suspects[i].evidence & direct))
			return CONF_PROBABLE;
	return CONF_CONFIRMED;
}

static void account(struct engine *e, const struct incident *inc)
{
	struct smmu_priv *s = smmu_get(e, inc->smmu);

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
		if (inc->n_suspects == 1 || count_devices(inc) == 1)
			d->sole_suspect++;
	}
}

static void inc_settle(struct engine *e, int idx)
{
	struct incident *inc = e->open[idx];

	memmove(&e->open[idx], &e->open[idx + 1], (e->n_open - idx - 1) * sizeof(inc));
	e->n_open--;
	resolve_names(e, inc);
	narrow(inc);
	inc->confidence = confidence_of(inc);
	account(e, inc);
	if (e->fn)
		e->fn(e->ctx, inc);
	free(inc);
}

void engine_tick(struct engine *e, const struct evtime *now)
{
	for (int i = 0; i < e->n_open;) {
		int64_t d;

		if (tdiff(now, &e->open[i]->last, &d) && d > (int64_t)e->o.settle_ns)
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
		if (!strcmp(e->open[i]->smmu, smmu) && pred(e, e->open[i], ev))
			return e->open[i];
	return NULL;
}

static bool is_retry(struct engine *e, const struct incident *inc,
		     const struct smmu_event *ev)
{
	struct evtime t;

	evtime_of(ev, &t);
	return inc->have_cons && inc->cons == ev->cmdq_error.cons &&
	       near(&t, &inc->last, e->o.retry_window_ns);
}

/* an issuer-side line already opened this incident at the same position */
static bool joins_issuer(struct engine *e, const struct incident *inc,
			 const struct smmu_event *ev)
{
	struct evtime t;

	evtime_of(ev, &t);
	return !inc->have_cons && inc->prod != SMMU_NO_POS &&
	       smmu_q_same_pos(inc->prod, ev->cmdq_error.cons, inc->max_n_shift) &&
	       near(&t, &inc->first, e->o.join_window_ns);
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
	inc = find_open(e, ev->hdr.smmu, joins_issuer, ev);
	if (inc) {
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
	attach_recent(e, inc);
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

static bool same_issuer_line(struct engine *e, const struct incident *inc,
			     const struct smmu_event *ev)
{
	uint32_t prod = ev->hdr.type == SMMU_EV_SYNC_TIMEOUT ? ev->sync_timeout.prod
							     : ev->atc_sync_fail.prod;
	struct evtime t;

	evtime_of(ev, &t);
	return !inc->have_cons && inc->prod == prod &&
	       near(&t, &inc->first, e->o.join_window_ns);
}

/* "CMD_SYNC timeout at" (software timeout) and the patched kernel's line */
static void on_issuer_line(struct engine *e, const struct smmu_event *ev)
{
	bool patched = ev->hdr.type == SMMU_EV_ATC_SYNC_FAIL;
	struct incident *inc;
	struct evtime t;

	evtime_of(ev, &t);
	inc = find_open(e, ev->hdr.smmu, joins_error, ev);
	if (!inc)
		inc = find_open(e, ev->hdr.smmu, same_issuer_line, ev);
	if (!inc) {
		inc = inc_new(e, patched ? INC_ATC_TIMEOUT : INC_SYNC_TIMEOUT, ev);
		if (!inc)
			return;
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
	attach_recent(e, inc);
	if (patched && !inc->have_cons)
		attach_aer(e, inc);
}

static struct incident *latest_with_cons(struct engine *e, const struct smmu_event *ev,
					 uint32_t kinds)
{
	struct evtime t;

	evtime_of(ev, &t);
	for (int i = e->n_open - 1; i >= 0; i--) {
		struct incident *inc = e->open[i];

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

static void on_issue(struct engine *e, const struct smmu_event *ev)
{
	struct issue_entry *ie = &e->issues[e->issue_head++ % ISSUE_RING];

	memset(ie, 0, sizeof(*ie));
	memcpy(ie->smmu, ev->hdr.smmu, sizeof(ie->smmu));
	ie->smmu[sizeof(ie->smmu) - 1] = '\0';
	evtime_of(ev, &ie->t);
	ie->cpu = ev->hdr.cpu;
	ie->is = ev->issue;
	if (ie->is.max_n_shift && !smmu_shift(e, ie->smmu)) {
		struct smmu_priv *s = smmu_get(e, ie->smmu);

		if (s)
			s->info.max_n_shift = ie->is.max_n_shift;
	}
	for (int i = 0; i < ie->is.n_atc_rec && i < SMMU_MAX_ATC; i++) {
		const char *dev = engine_sid_device(e, ie->smmu, ie->is.atc[i].sid);
		struct device_stat *d = dev_get(e, ie->smmu, dev ? dev : "", true,
						ie->is.atc[i].sid);

		if (d)
			d->atc_invs++;
	}
	for (int i = 0; i < e->n_open; i++)
		apply_issue(e, e->open[i], ie);
}

static void on_walk(struct engine *e, const struct smmu_event *ev)
{
	struct walk_entry *we = &e->walks[e->walk_head++ % WALK_RING];

	memcpy(we->smmu, ev->hdr.smmu, sizeof(we->smmu));
	we->smmu[sizeof(we->smmu) - 1] = '\0';
	evtime_of(ev, &we->t);
	we->w = ev->walk;
	if (!we->t.flags)
		we->t.flags = SMMU_EVF_MONO;	/* keep the slot marked used */
	for (int i = 0; i < e->n_open; i++)
		if (walk_matches(e->open[i], we))
			apply_walk(e->open[i], we);
}

static void on_lost(struct engine *e, const struct smmu_event *ev)
{
	e->lost.ringbuf += ev->lost.ringbuf;
	e->lost.map_full += ev->lost.map_full;
	e->lost.truncated += ev->lost.truncated;
}

void engine_feed(struct engine *e, const struct smmu_event *ev)
{
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
	return &e->devs[i];
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
