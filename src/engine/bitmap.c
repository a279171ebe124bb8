// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The quarantine series' atc_sync_timeouts bitmap, on kernels that carry it.
 * The error interrupt marks the slot of a CMD_SYNC that failed with an ATC
 * invalidation timeout; whoever polls a CMD_SYNC in that slot next clears
 * the mark and is failed: -ETIMEDOUT in v2 of the series, -EIO in v3 (whose
 * -ETIMEDOUT is only the driver's 1 s software timeout).  The mark is keyed
 * by slot alone.  When the issuer gave up before the interrupt ran (the
 * software timeout fired first, or the interrupt was held off) nobody clears
 * it: it fails the next CMD_SYNC that lands in that slot, a lap of the ring
 * or more later, whatever that CMD_SYNC's batch held.
 *
 * Per incident this says whether the bit marked its CMD_SYNC, whether its
 * issuer was told and under which semantics, whether a bit was left set, and
 * for a false failure which incident left the bit it claimed.  The bit names
 * a CMD_SYNC, never one of its ATC_INVs: it confirms that the batch failed,
 * and the devices of the batch stay as the other evidence left them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "internal.h"
#include "util.h"

void bitmap_note(struct engine *e, const char *smmu)
{
	struct smmu_priv *s = smmu_get(e, smmu);

	if (s)
		s->info.bitmap = true;
}

/* the BPF walk read the field, or the driver printed a bitmap line */
static bool bitmap_kernel(struct engine *e, const struct incident *inc)
{
	struct smmu_priv *s;

	if (inc->bitmap < 2 || inc->patched_line)
		return true;
	s = smmu_get(e, inc->smmu);
	return s && s->info.bitmap;
}

/* a: more than the printk/BPF clock slack after b */
static bool later(const struct evtime *a, const struct evtime *b)
{
	int64_t d;

	return tdiff(a, b, &d) && d > (int64_t)SLACK_NS;
}

/* the incident left its bit at its CONS: a later CMD_SYNC in that slot claims it */
void stale_add(struct engine *e, const struct incident *inc)
{
	struct stale_entry *s = &e->stale[e->stale_head++ % STALE_RING];

	str_copy(s->smmu, sizeof(s->smmu), inc->smmu);
	s->pos = inc->cons;
	/* the line that opened it may have come before any record told the size */
	s->shift = inc->max_n_shift ? inc->max_n_shift : smmu_shift(e, inc->smmu);
	s->t = coi_of(inc)->cons_t;
	if (!s->t.flags)
		s->t.flags = SMMU_EVF_MONO;
	s->cmdq = inc->cmdq;
	s->id = inc->id;
	s->used = false;
}

static struct stale_entry *stale_of(struct engine *e, uint64_t id)
{
	for (unsigned int i = 0; i < STALE_RING; i++)
		if (e->stale[i].t.flags && e->stale[i].id == id)
			return &e->stale[i];
	return NULL;
}

static void stale_learn(struct stale_entry *s, const struct incident *inc)
{
	s->cmdq = inc->cmdq;
	if (inc->cmdq && inc->max_n_shift)
		s->shift = inc->max_n_shift;
}

/*
 * An entry noted at the ISR learns its queue, and that queue's size, from
 * the walk or the records after it.
 */
static uint64_t stale_cmdq(const struct engine *e, struct stale_entry *s)
{
	for (int i = 0; !s->cmdq && i < e->n_open; i++)
		if (e->open[i]->inc.id == s->id)
			stale_learn(s, &e->open[i]->inc);
	return s->cmdq;
}

/* has this SMMU shown more than one command queue (Tegra241 VCMDQs)? */
static bool several_queues(const struct engine *e, const char *smmu)
{
	uint64_t q = 0;

	for (unsigned int i = 0; i < ISSUE_RING + STALE_RING; i++) {
		const char *name = i < ISSUE_RING ? e->issues[i].smmu : e->stale[i - ISSUE_RING].smmu;
		uint64_t c = i < ISSUE_RING ? e->issues[i].is.cmdq : e->stale[i - ISSUE_RING].cmdq;

		if (!c || strcmp(name, smmu))
			continue;
		if (q && q != c)
			return true;
		q = c;
	}
	return false;
}

/* an entry not yet claimed, of that SMMU and queue (0: any), left before t */
static bool stale_open(struct engine *e, struct stale_entry *s, const char *smmu,
		       uint64_t cmdq, const struct evtime *t)
{
	int64_t d;

	return s->t.flags && !s->used && !strcmp(s->smmu, smmu) &&
	       !(tdiff(t, &s->t, &d) && d < 0) && !(cmdq && stale_cmdq(e, s) && s->cmdq != cmdq);
}

/* one bit per index: a claim takes every entry of it, and the newest left it */
static bool stale_pick(struct stale_entry *s, uint32_t pos, struct stale_entry **best)
{
	uint32_t idx = smmu_q_idx_mask(s->shift);

	if ((s->pos & idx) != (pos & idx))
		return false;
	s->used = true;
	if (!*best || s->id > (*best)->id)
		*best = s;
	return *best == s;
}

/*
 * A patched report at prod with no error of its own: the bit a late ISR
 * left there, set before t however long ago.  Each queue has its own
 * bitmap: a report of an unknown queue (a log line) on an SMMU with
 * several waits for its call's record.  Returns the incident that left
 * it, 0 if none.
 */
uint64_t stale_take(struct engine *e, const char *smmu, uint64_t cmdq, uint32_t prod,
		    const struct evtime *t)
{
	struct stale_entry *best = NULL;

	if (!cmdq && several_queues(e, smmu))
		return 0;
	for (unsigned int i = 0; i < STALE_RING; i++)
		if (stale_open(e, &e->stale[i], smmu, cmdq, t))
			stale_pick(&e->stale[i], prod, &best);
	return best ? best->id : 0;
}

/*
 * The slot of a call's CMD_SYNC: its record's, or, from its window
 * [prod at entry, prod at return), the window's last slot when the window
 * holds only its own n commands and sync (nobody reserved in between).  A
 * wider window holds other calls' slots: which one was its own, and so
 * which bit failed it, the record cannot single out.
 */
static bool call_slot(const struct smmu_ev_issue *is, uint32_t shift, uint32_t *slot)
{
	if (is->sync_prod != SMMU_NO_POS) {
		*slot = is->sync_prod;
		return true;
	}
	if (!is->n || smmu_q_dist(is->prod_entry, is->prod_exit, shift) != is->n + 1u)
		return false;
	*slot = smmu_sync_slot(is->prod_entry, is->n, shift);
	return true;
}

/* a call's slot holds a bit a late ISR left: take it, say where, and who left it */
static uint64_t stale_take_call(struct engine *e, const struct issue_entry *ie, uint32_t *pos)
{
	struct stale_entry *best = NULL;
	uint32_t slot;

	for (unsigned int i = 0; i < STALE_RING; i++) {
		struct stale_entry *s = &e->stale[i];

		if (stale_open(e, s, ie->smmu, ie->is.cmdq, &ie->t) &&
		    call_slot(&ie->is, s->shift, &slot) && stale_pick(s, slot, &best))
			*pos = slot;
	}
	return best ? best->id : 0;
}

/*
 * A call the bit failed with no failure of its own to join: the report of a
 * leftover bit whose line was ratelimited (a failure's told issuer returns
 * after its ISR's line, within the incident's windows).  Only where a bit
 * was left: without one, nothing says which.
 */
void bitmap_claim_record(struct engine *e, const struct smmu_event *ev,
			 const struct issue_entry *ie)
{
	const struct smmu_ev_issue *is = &ie->is;
	struct smmu_priv *s = smmu_get(e, ie->smmu);
	struct incident *inc;
	uint32_t pos;
	uint64_t id;

	if (!is->sync || !is->ret || !issue_bitmap_confirms(is) || !s || !s->info.bitmap)
		return;
	for (int i = 0; i < e->n_open; i++) {
		inc = &e->open[i]->inc;
		if ((inc->have_cons || inc->patched_line) && !strcmp(inc->smmu, ie->smmu) &&
		    issue_matches(e, inc, ie))
			return;
	}
	id = stale_take_call(e, ie, &pos);
	if (!id)
		return;
	inc = inc_new(e, INC_ATC_TIMEOUT, ev);
	if (!inc)
		return;
	oi_of(inc)->stale = true;
	inc->stale_from = id;
	inc_set_prod(e, inc, pos);
	/* the record's queue size, not the SMMU's main queue's that inc_new gave */
	inc->max_n_shift = issue_shift(e, inc, is);
	inc->cmdq = is->cmdq;
	inc->issuer_notified = 1;
	offer_issue(e, oi_of(inc), ie);
}

/*
 * When the bit the incident is about was there to be found: the ISR's line
 * (it sets the bit right after printing), or for a claim of a leftover bit
 * its bitmap line (the issuer printed it before returning).
 */
static const struct evtime *mark_time(const struct open_inc *oi)
{
	return oi->inc.have_cons ? &oi->cons_t : &oi->inc.first;
}

/*
 * Did this call, covering the incident's CMD_SYNC (m: 2 its own slot, 1 its
 * window), get the bit's error?  An early error or -EIO after the mark is
 * the bit; so is a full 1 s -ETIMEDOUT (v2) from a call still polling its
 * own slot when the ISR marked it.  A full -ETIMEDOUT before that is only
 * the software timeout.
 */
static bool issuer_told(const struct open_inc *oi, const struct issue_entry *ie, int m)
{
	const struct smmu_ev_issue *is = &ie->is;
	const struct evtime *mark = mark_time(oi);

	if (is->ret && issue_bitmap_confirms(is))
		return !later(mark, &ie->t);
	return oi->inc.have_cons && m == 2 && issue_sw_timeout(is) && later(&ie->t, mark);
}

/*
 * At the ISR: the issuer of this CMD_SYNC had given up when its own timeout
 * line, or its call's -ETIMEDOUT, opened the incident before the ISR's line.
 * Its bit is then left set (once the walk or a bitmap line shows the kernel
 * has the bitmap); it is noted at once because the claim can come before
 * this incident settles.  (A call that ended before the ISR without opening
 * the incident is no issuer of it: see nobody_waiting().)
 */
void bitmap_on_error(struct engine *e, struct open_inc *oi)
{
	struct incident *inc = &oi->inc;
	int64_t d;

	if (inc->kind != INC_ATC_TIMEOUT || !oi->from_timeout)
		return;
	/* its line and the ISR's share a clock: after it is enough; a record needs the slack */
	if (oi->from_record)
		oi->gave_up = later(&oi->cons_t, &inc->first);
	else
		oi->gave_up = tdiff(&oi->cons_t, &inc->first, &d) && d > 0;
	if (oi->gave_up)
		stale_add(e, inc);
}

/* the bit stays set: the next report in its slot is its claim */
static void left_set(struct engine *e, struct open_inc *oi)
{
	struct stale_entry *s = stale_of(e, oi->inc.id);

	oi->inc.flags |= INCF_BITMAP_LEFT;
	if (!s)
		stale_add(e, &oi->inc);
	else if (!s->cmdq)
		stale_learn(s, &oi->inc);	/* settled: nobody can ask the open list now */
}

/*
 * Full mode on a bitmap kernel: the walk ran in the ISR, and an issuer
 * still polling the marked slot would have come back with an error, which
 * is always recorded.  No record for this CMD_SYNC, none lost: nobody was
 * waiting, nobody clears the bit.
 */
static bool nobody_waiting(const struct engine *e, const struct open_inc *oi, bool any)
{
	const struct incident *inc = &oi->inc;

	return !any && inc->have_walk && inc->bitmap == 1 && !inc->patched_line &&
	       recs_complete(e, oi);
}

static enum bitmap_semantics semantics_of(const struct smmu_ev_issue *is)
{
	return is->ret == -EIO ? SEM_V3 : is->ret == -ETIMEDOUT ? SEM_V2 : SEM_UNKNOWN;
}

/* the calls that returned the bit's error for this CMD_SYNC, and under which semantics */
struct bm_calls {
	bool told, any;
	enum bitmap_semantics sem;
};

static void bm_calls(struct engine *e, const struct open_inc *oi, struct bm_calls *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < oi->n_recs; i++) {
		const struct issue_entry *ie = &oi->recs[i];
		int m = issue_matches(e, &oi->inc, ie);

		if (!m)
			continue;
		c->any = true;
		if (!issuer_told(oi, ie, m))
			continue;
		c->told = true;
		if (!c->sem)
			c->sem = semantics_of(&ie->is);
	}
}

static void bm_account(struct engine *e, const struct incident *inc)
{
	struct smmu_priv *s = smmu_get(e, inc->smmu);

	if (!s)
		return;
	s->info.bitmap = true;
	if (inc->semantics)
		s->info.semantics_seen |= 1u << inc->semantics;
	if (inc->flags & INCF_STALE_BITMAP)
		s->info.bm_stale++;
	else if (inc->bm_told == 1)
		s->info.bm_told++;
	else if (inc->flags & INCF_BITMAP_LEFT)
		s->info.bm_left++;
}

/* a report of a leftover bit: told, falsely, by a mark no error of its own set */
static void settle_claim(struct engine *e, struct open_inc *oi, const struct bm_calls *c)
{
	struct incident *inc = &oi->inc;

	inc->bm_failed = 0;
	inc->bm_told = 1;
	inc->semantics = c->sem;
	if (!inc->stale_from)
		inc->stale_from = stale_take(e, inc->smmu, inc->cmdq, inc->prod, &inc->first);
}

void bitmap_settle(struct engine *e, struct open_inc *oi)
{
	struct incident *inc = &oi->inc;
	struct stale_entry *s;
	struct bm_calls c;

	inc->bm_failed = inc->bm_told = -1;
	if (!bitmap_kernel(e, inc))
		return;
	bm_calls(e, oi, &c);
	if (inc->flags & INCF_STALE_BITMAP) {
		settle_claim(e, oi, &c);
		goto account;
	}
	if (inc->kind != INC_ATC_TIMEOUT || !inc->have_cons)
		return;
	/* the ISR marks every ATC timeout's slot; a walk that read 0 says otherwise */
	inc->bm_failed = inc->bitmap != 0 || inc->patched_line || c.told ? 1 : -1;
	if (inc->patched_line || c.told)
		inc->bm_told = 1;
	else if (oi->gave_up || nobody_waiting(e, oi, c.any))
		inc->bm_told = 0;
	inc->semantics = c.sem;
	if (inc->bm_told == 0) {
		left_set(e, oi);
	} else {
		/* noted at the ISR, but someone was there to clear it */
		s = stale_of(e, inc->id);
		if (s)
			s->used = true;
	}
account:
	bm_account(e, inc);
}
