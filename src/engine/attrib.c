// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Attribution at settle time.  Trust rules:
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
#include "internal.h"
#include "util.h"

bool same_device(const struct suspect *a, const struct suspect *b)
{
	if (a->dev[0] && b->dev[0])
		return !strcmp(a->dev, b->dev);
	return a->have_sid && b->have_sid && a->sid == b->sid;
}

int count_devices(const struct incident *inc)
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

/*
 * An SMMU without ARM_SMMU_FEAT_MSI (IDR0.MSI, features bit 7) cannot be
 * MSI-polled: the driver polls CONS, and a timed-out poll leaves llq.cons at
 * the hardware's CONS, which stays on a failing CMD_SYNC.  Only MSI polling
 * moves llq.cons past it (to llq.prod) when an issuer gives up.
 */
bool cons_polling(struct engine *e, const char *smmu)
{
	struct smmu_priv *s = smmu_get(e, smmu);

	return s && s->info.have_features && !(s->info.features & (1u << 7));
}

/* the walk is over the slots of this CMD_SYNC's lap, not a later one */
static bool qwalk_trusted(struct engine *e, const struct open_inc *oi)
{
	const struct incident *inc = &oi->inc;
	const struct smmu_ev_queue_walk *w = &oi->qwalk.w;
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
	if (cons_polling(e, inc->smmu))
		goto fill;
	if (queued_within(e, oi, &oi->qwalk.t, SW_TIMEOUT_NS))
		goto fill;
	for (unsigned int i = 0; i < SWTO_RING; i++) {
		const struct swto_entry *s = &e->swto[i];

		if (!s->t.flags || strcmp(s->smmu, inc->smmu))
			continue;
		if (s->cmdq && w->cmdq && s->cmdq != w->cmdq)
			continue;
		if (!before_within(&s->t, &oi->qwalk.t, HAZARD_WINDOW_NS))
			continue;
		if (smmu_q_same_pos(s->pos, c, shift) || pos_after(c, s->pos, shift))
			return false;
	}
fill:
	/*
	 * The queue filled behind the stalled sync: its lap-old neighbours
	 * reused.  With the SMMU stopped at c, prod can run at most one lap
	 * ahead of it; a prod "further" than that is behind c (a call that
	 * ended before the failing slot), which reuses nothing.
	 */
	for (int i = 0; i < oi->n_recs; i++) {
		const struct issue_entry *ie = &oi->recs[i];
		uint32_t d;

		if (!same_queue(inc, ie) || !in_flight(inc, ie))
			continue;
		d = smmu_q_dist(c, ie->is.prod_exit, shift);
		if (d <= size && d + w->walked + 1 >= size)
			return false;
	}
	return true;
}

/* SIDs of other calls' sync-less chunks that may sit before the failing sync */
bool carries_chunks(const struct smmu_ev_issue *is)
{
	return is->n && is->n_atc > is->n;
}

static void add_qwalk(struct cands *c, const struct smmu_ev_queue_walk *w, uint32_t ev,
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
/*
 * Every call whose window holds the failing CMD_SYNC, in flight at its
 * error, returned 0: each polled a CMD_SYNC at or behind it, which only
 * completes once the failing one has, so the SMMU's retry after the ISR
 * succeeded and its issuer got 0 too (unpatched kernels: not told).  Had
 * that issuer given up first, its -ETIMEDOUT record would be here: a
 * non-zero return is always recorded, unless records were lost.  The
 * measured wait runs from the earliest of them entering the queue to the
 * error interrupt.
 */
static void issuers_outcome(struct engine *e, struct open_inc *oi, bool told,
			    const struct evtime *lo)
{
	struct incident *inc = &oi->inc;
	int64_t d;

	if (!told && inc->issuer_notified < 0 && recs_complete(e, oi))
		inc->issuer_notified = 0;
	if (!inc->detect_ns && tdiff(&oi->cons_t, lo, &d) && d > 0)
		inc->detect_ns = d;
}

static void add_issuers(struct engine *e, struct open_inc *oi, struct cands *c,
			struct issuer_evd *ev)
{
	struct incident *inc = &oi->inc;
	struct evtime lo = queued_after(e, oi);
	bool matched = false, told = false;

	for (int i = 0; i < oi->n_recs; i++) {
		const struct issue_entry *ie = &oi->recs[i];
		const struct smmu_ev_issue *is = &ie->is;
		int m = issue_matches(e, inc, ie);
		uint32_t evd = EVD_ISSUER;

		if (!m) {
			add_foreign(c, ie, &lo, ev);
			continue;
		}
		matched = true;
		told |= is->ret != 0;
		if (!inc->cmdq)
			inc->cmdq = is->cmdq;
		issuer_add(inc, ie);
		if (m == 2) {
			inc->issuer_notified = is->ret != 0;
			if (is->ret && inc->kind == INC_SYNC_TIMEOUT)
				inc->detect_ns = is->duration_ns;
		} else if (is->ret) {
			inc->issuer_notified = 1;
		}
		if (!printer_batch_counts(e, inc, ie))
			continue;
		if (m == 2) {
			ev->exact = true;
			if (is->ret && issue_bitmap_confirms(is)) {
				evd |= EVD_BITMAP;
				ev->bitmap = true;
			}
		} else {
			ev->windows++;
		}
		ev->cut |= is->n_atc > is->n_atc_rec;
		for (int k = 0; k < is->n_atc_rec && k < SMMU_MAX_ATC; k++)
			cand_add(c, is->atc[k].sid, evd, m == 2 ? T_EXACT : T_WINDOW, true);
	}
	if (matched && inc->have_cons)
		issuers_outcome(e, oi, told, &lo);
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
bool failed_here(const struct incident *inc)
{
	return !inc->have_cons && inc->have_hw && smmu_cons_cerror(inc->hwcons) &&
	       smmu_q_same_pos(inc->hwcons, inc->prod, inc->max_n_shift);
}

/* where an incident held the SMMU: its CONS, or a timed-out sync CONS stopped on */
bool stall_at(const struct incident *o, uint32_t *at)
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
		if (oi->stall_by) {	/* the ISR at that CONS after its line */
			inc->blocked_by = oi->stall_by;
			return true;
		}
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
static uint32_t qwalk_tier(struct engine *e, struct open_inc *oi, bool *complete)
{
	const struct smmu_ev_queue_walk *w = &oi->qwalk.w;
	bool trusted;

	*complete = false;
	if (!oi->have_qwalk || w->stop == SMMU_WALK_NOT_SYNC || w->stop == SMMU_WALK_FAULT ||
	    !w->n_atc_rec)
		return 0;
	trusted = qwalk_trusted(e, oi);
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

void attribute(struct engine *e, struct open_inc *oi)
{
	struct incident *inc = &oi->inc;
	struct cands c = { .inc = inc };
	struct issuer_evd ev = { 0 };
	uint32_t walk, tier;
	bool complete;

	/* suspects added as events arrived: the skipped command and AER */
	for (int i = 0; i < inc->n_suspects; i++)
		c.tier[i] = inc->suspects[i].evidence & EVD_SKIPPED_CMD ? T_SKIPPED : T_AER;
	walk = qwalk_tier(e, oi, &complete);
	add_issuers(e, oi, &c, &ev);
	if (inc->kind == INC_SYNC_TIMEOUT && collateral(e, oi)) {
		inc->flags |= INCF_COLLATERAL;
		keep_tier(&c, 0);
		return;
	}
	if ((inc->patched_line || oi->stale) && !inc->have_cons) {
		/* every real failure prints "CMDQ error" first: the bit was a lap old */
		inc->flags |= INCF_STALE_BITMAP;
		keep_tier(&c, 0);
		return;
	}
	if (walk)
		add_qwalk(&c, &oi->qwalk.w, EVD_QUEUE_WALK, walk);
	if (ev.foreign)
		inc->flags |= INCF_FOREIGN_RISK;
	resolve_names(e, inc);	/* alias SIDs of one device must count once */
	tier = pick_tier(&c, walk, complete, &ev);
	/* the design's patched rule: no walk at all, the issuer told, one device */
	inc->confidence = decide(&c, tier, complete, &ev, !oi->have_qwalk && ev.bitmap &&
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
