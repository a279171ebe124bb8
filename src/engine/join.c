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
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "internal.h"
#include "util.h"

struct suspect *suspect_add(struct incident *inc, bool have_sid, uint32_t sid,
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

enum incident_kind kind_of_cerror(uint32_t cerror)
{
	switch (cerror) {
	case SMMU_CERROR_ILL:		return INC_ILLEGAL_COMMAND;
	case SMMU_CERROR_ABT:		return INC_FETCH_ABORT;
	case SMMU_CERROR_ATC_INV_SYNC:	return INC_ATC_TIMEOUT;
	}
	return INC_UNKNOWN_CERROR;
}

/* the CMD_SYNC position an incident is about */
bool inc_pos(const struct incident *inc, uint32_t *pos)
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
bool pos_after(uint32_t from, uint32_t pos, uint32_t shift)
{
	uint32_t d = smmu_q_dist(from, pos, shift);

	return shift && shift <= SMMU_MAX_N_SHIFT && d && d < (1u << shift);
}

bool same_queue(const struct incident *inc, const struct issue_entry *ie)
{
	return !strcmp(ie->smmu, inc->smmu) && (!inc->cmdq || inc->cmdq == ie->is.cmdq);
}

uint32_t issue_shift(const struct engine *e, const struct incident *inc,
			    const struct smmu_ev_issue *is)
{
	uint32_t s = qshift_get(e, is->cmdq);

	if (inc->cmdq == is->cmdq && inc->max_n_shift)
		return inc->max_n_shift;
	return s ? s : is->max_n_shift ? is->max_n_shift : inc->max_n_shift;
}

void issue_start(const struct issue_entry *ie, struct evtime *start)
{
	*start = ie->t;
	start->mono_ns -= ie->is.duration_ns;
	start->wall_ns -= ie->is.duration_ns;
}

/* was the call spinning when the error was reported? */
bool in_flight(const struct incident *inc, const struct issue_entry *ie)
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

/*
 * The driver prints the line only when the poll ran out, and returns an
 * error: -ETIMEDOUT, or the patched bitmap's errno when the ISR also marked
 * the slot.  A call that returned 0 printed no line.
 */
static bool poll_ran_out(const struct smmu_ev_issue *is)
{
	return is->sync && is->ret < 0 && is->duration_ns >= SW_TIMEOUT_NS;
}

static bool returned_after_line(const struct incident *inc, const struct issue_entry *ie)
{
	int64_t d;

	return tdiff(&ie->t, &inc->first, &d) && d >= -(int64_t)SLACK_NS &&
	       d <= (int64_t)LINE_TO_RETURN_NS;
}

/* the printer's own CMD_SYNC: X itself (MSI polling), or in [hwcons, X) */
static bool slot_printed(struct engine *e, const struct incident *inc, uint32_t slot,
			 uint32_t shift)
{
	if (smmu_q_same_pos(slot, inc->prod, shift))
		return !cons_polling(e, inc->smmu);
	if (inc->have_hw)
		return smmu_q_in_window(slot, inc->hwcons, inc->prod, shift);
	return pos_after(slot, inc->prod, shift);
}

/*
 * A call's CMD_SYNC sits at least its n commands past the prod it entered
 * at, and before its prod at return.  Entering at X or later, its CMD_SYNC
 * is past X: it was queued after the printer began to poll (X itself only
 * when X is a slot, with MSI polling, and the call has no other command).
 */
static bool window_printed(struct engine *e, const struct incident *inc,
			   const struct smmu_ev_issue *is, uint32_t shift)
{
	uint32_t ahead = smmu_q_dist(is->prod_entry, inc->prod, shift);

	if (ahead > smmu_q_dist(is->prod_entry, is->prod_exit, shift))
		return false;
	return is->n < ahead || (is->n == ahead && !cons_polling(e, inc->smmu));
}

/*
 * A timeout line not joined to a CMDQ error stands for the one call that
 * printed it; a later call that waited for the same stall (CMDQEN off, or
 * an SMMU not yet reporting) and returned 0 is no issuer of it, and its
 * batch no evidence.  2 = its own slot, 1 = its window.
 */
static int printer_matches(struct engine *e, const struct incident *inc,
			   const struct issue_entry *ie, uint32_t shift)
{
	const struct smmu_ev_issue *is = &ie->is;

	if (!poll_ran_out(is) || !returned_after_line(inc, ie))
		return 0;
	if (is->sync_prod != SMMU_NO_POS)
		return slot_printed(e, inc, is->sync_prod, shift) ? 2 : 0;
	return window_printed(e, inc, is, shift);
}

/*
 * When the printer gave up the SMMU sat on hwcons.  Its batch can only be
 * what held it there if its own CMD_SYNC may be the one at hwcons: queued
 * behind it, its ATC_INVs had not even been sent.  It is still the issuer,
 * told by its error, but its batch is no evidence.
 */
bool printer_batch_counts(struct engine *e, const struct incident *inc,
			  const struct issue_entry *ie)
{
	const struct smmu_ev_issue *is = &ie->is;
	uint32_t shift = issue_shift(e, inc, is);

	if (!inc->sync_timeout_line || inc->have_cons || !inc->have_hw)
		return true;
	if (is->sync_prod != SMMU_NO_POS)
		return smmu_q_same_pos(is->sync_prod, inc->hwcons, shift);
	return smmu_q_in_window(inc->hwcons, is->prod_entry, is->prod_exit, shift) &&
	       smmu_q_dist(is->prod_entry, inc->hwcons, shift) >= is->n;
}

/* does this issuer's call cover the incident's CMD_SYNC? 2 = exactly, 1 = window */
int issue_matches(struct engine *e, const struct incident *inc,
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
	if (inc->sync_timeout_line && !inc->have_cons)
		return printer_matches(e, inc, ie, shift);
	if (is->sync_prod != SMMU_NO_POS)
		return smmu_q_same_pos(is->sync_prod, pos, shift) ? 2 : 0;
	if (smmu_q_in_window(pos, is->prod_entry, is->prod_exit, shift) ||
	    smmu_q_same_pos(pos, is->prod_exit, shift))
		return 1;
	return 0;
}

/* a fast error return from the issuer can only come from the patched bitmap */
bool issue_bitmap_confirms(const struct smmu_ev_issue *is)
{
	return is->ret == -EIO ||
	       (is->ret == -ETIMEDOUT && is->duration_ns < SW_TIMEOUT_NS);
}

bool issue_sw_timeout(const struct smmu_ev_issue *is)
{
	return is->sync && is->ret == -ETIMEDOUT && is->duration_ns >= SW_TIMEOUT_NS;
}

static bool same_record(const struct issue_entry *a, const struct issue_entry *b)
{
	return a->is.tid == b->is.tid && a->is.duration_ns == b->is.duration_ns &&
	       a->is.sync_prod == b->is.sync_prod && a->t.mono_ns == b->t.mono_ns &&
	       a->is.cmdq == b->is.cmdq;
}

/* did the call return no earlier than 'w' before t? */
bool ended_after(const struct issue_entry *ie, const struct evtime *t, uint64_t w)
{
	int64_t d;

	return !tdiff(&ie->t, t, &d) || d >= -(int64_t)w;
}

/* the call that printed a bitmap line returns its error right after it */
static bool printed_bitmap_line(const struct incident *inc, const struct issue_entry *ie, int m)
{
	const struct smmu_ev_issue *is = &ie->is;

	/* a window holds other calls' slots: only the bit's own fast error singles it out */
	if (!is->ret || (m != 2 && !issue_bitmap_confirms(is)))
		return false;
	return returned_after_line(inc, ie);
}

/*
 * A driver line names no queue, and its positions read with the SMMU's
 * main queue size alias on SMMUs with several (Tegra241 VCMDQs): the call
 * that printed it tells which.  A timeout line's returns -ETIMEDOUT at that
 * very slot.
 */
static void learn_queue(struct engine *e, struct incident *inc, const struct issue_entry *ie,
			int m)
{
	const struct smmu_ev_issue *is = &ie->is;

	if (!m || inc->cmdq || !is->cmdq || inc->have_cons)
		return;
	if (inc->patched_line ? !printed_bitmap_line(inc, ie, m)
			      : m != 2 || !issue_sw_timeout(is))
		return;
	inc->max_n_shift = issue_shift(e, inc, is);
	inc->cmdq = is->cmdq;
}

/* keep a record the incident may need when it settles */
void offer_issue(struct engine *e, struct open_inc *oi, const struct issue_entry *ie)
{
	struct incident *inc = &oi->inc;
	int m;

	if (strcmp(ie->smmu, inc->smmu) || !ie->is.sync)
		return;
	m = issue_matches(e, inc, ie);
	/* a chunk carrier may have given up before a late ISR's line */
	if (!m && !in_flight(inc, ie) &&
	    !(carries_chunks(&ie->is) && ended_after(ie, &inc->first, 2 * NSEC)))
		return;
	learn_queue(e, inc, ie, m);
	for (int i = 0; i < oi->n_recs; i++)
		if (same_record(&oi->recs[i], ie))
			return;
	if (!oi->recs)
		oi->recs = malloc(OPEN_RECS * sizeof(*oi->recs));
	if (oi->recs && oi->n_recs < OPEN_RECS)
		oi->recs[oi->n_recs++] = *ie;
	else
		oi->recs_dropped = true;
}

/*
 * Every record of a call that took part is in recs[]: none lost on the
 * way (BPF's ring or map full), none left out here (a busy queue's chunk
 * carriers can fill the list before the failing CMD_SYNC's own issuer
 * returns).  Only then does a missing record say nobody was there.
 */
bool recs_complete(const struct engine *e, const struct open_inc *oi)
{
	return !e->lost.ringbuf && !e->lost.map_full && !oi->recs_dropped;
}

/* the ISR walks right after printing CONS */
bool qwalk_matches(const struct incident *inc, const struct qwalk_entry *we)
{
	return inc->have_cons && we->w.cons == inc->cons && !strcmp(we->smmu, inc->smmu) &&
	       near(&we->t, &coi_of(inc)->cons_t, NSEC);
}

void qwalk_apply(struct engine *e, struct open_inc *oi, struct qwalk_entry *we)
{
	struct incident *inc = &oi->inc;

	if (we->used_by)
		return;
	/* a retry walks the same slots again: keep the first, but own the walk */
	we->used_by = inc->id;
	if (oi->have_qwalk)
		return;
	oi->have_qwalk = true;
	oi->qwalk = *we;
	inc->have_walk = true;
	inc->walk_stop = we->w.stop;
	inc->bitmap = we->w.bitmap;
	if (we->w.cmdq)
		inc->cmdq = we->w.cmdq;
	/* the walk read this queue's own size */
	if (we->w.max_n_shift)
		inc->max_n_shift = we->w.max_n_shift;
}

/*
 * Slots of a ring written since it was last cleared: a ring fills from
 * slot 0, so an empty last slot means only [0, head) hold anything.  A log
 * has no BPF records: its incidents skip rings of 1 KB entries.
 */
#define RING_FILLED(ring, head, size)	((ring)[(size) - 1].t.flags ? (size) : (head))

void attach_recent(struct engine *e, struct open_inc *oi)
{
	unsigned int n_walks = RING_FILLED(e->qwalks, e->qwalk_head, QWALK_RING);
	unsigned int n_issues = RING_FILLED(e->issues, e->issue_head, ISSUE_RING);
	struct qwalk_entry *best = NULL;

	/* a walk usually follows its line; an unused one just before it may be its own */
	for (unsigned int i = 0; i < n_walks; i++) {
		struct qwalk_entry *we = &e->qwalks[i];

		if (!we->t.flags || we->used_by || !qwalk_matches(&oi->inc, we) ||
		    !before_within(&we->t, &oi->cons_t, QWALK_EARLY_NS))
			continue;
		if (!best || tdist(&we->t, &oi->cons_t) < tdist(&best->t, &oi->cons_t))
			best = we;
	}
	if (best)
		qwalk_apply(e, oi, best);
	for (unsigned int i = 0; i < n_issues; i++)
		if (e->issues[i].t.flags)
			offer_issue(e, oi, &e->issues[i]);
}

void attach_aer(struct engine *e, struct incident *inc)
{
	for (unsigned int i = 0; i < AER_RING; i++) {
		const struct evtime *t = &e->aer_t[i];
		int64_t d;

		if (!t->flags || !tdiff(&inc->first, t, &d))
			continue;
		if (d >= 0 && (uint64_t)d <= e->o.aer_window_ns)
			suspect_add(inc, false, 0, e->aer_dev[i], EVD_AER_CMPLTO);
	}
}

static struct incident *find_open(struct engine *e, struct open_inc *const *open, int n,
				  const char *smmu,
				  bool (*pred)(struct engine *, const struct incident *,
					       const struct smmu_event *),
				  const struct smmu_event *ev)
{
	/* the predicates read numbers first: most open incidents fail there, before the name */
	for (int i = n - 1; i >= 0; i--)
		if (pred(e, &open[i]->inc, ev) && !strcmp(open[i]->inc.smmu, smmu))
			return &open[i]->inc;
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
	const struct open_inc *oi = coi_of(inc);
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
	if (inc->have_cons || inc->prod == SMMU_NO_POS || coi_of(inc)->stale ||
	    !smmu_q_same_pos(inc->prod, ev->cmdq_error.cons, inc->max_n_shift))
		return false;
	/* it gave up while the SMMU sat elsewhere: failing here later is news */
	if (inc->have_hw && !smmu_q_same_pos(inc->hwcons, inc->prod, inc->max_n_shift))
		return false;
	/*
	 * Its own queue moved past it: its CMD_SYNC was consumed, and an error
	 * at that position is a later lap or another queue's (an error line
	 * names none).
	 */
	if (inc->cmdq && coi_of(inc)->progressed)
		return false;
	/*
	 * The ISR can be seconds late: the GERROR CPU spins with IRQs off, for
	 * its own CMD_SYNC or for queue space.  The same position is the same
	 * CMD_SYNC while the queue has not moved past it (no CMD_SYNC behind it
	 * completed), and certainly when the issuer saw this error in CONS.
	 */
	if ((inc->have_hw && inc->hwcons == ev->cmdq_error.cons) ||
	    !coi_of(inc)->progressed)
		return near(&t, &inc->first, e->o.retry_window_ns);
	return near(&t, &inc->first, e->o.join_window_ns);
}

/* every open incident with a line and not superseded is in cur_err */
static void supersede(struct engine *e, const struct smmu_event *ev)
{
	for (int i = 0; i < e->cur_err.n;) {
		const struct incident *inc = &e->cur_err.oi[i]->inc;

		if (inc->cons != ev->cmdq_error.cons && name_eq(inc->smmu, ev->hdr.smmu))
			inc_superseded(e, i);
		else
			i++;
	}
}

/*
 * The first of the timeout lines whose issuers polled while the SMMU sat on
 * this CMD_SYNC (hwcons at it; on CONS-polling SMMUs the line prints the
 * shared prod, not the slot): that issuer's CMD_SYNC is the failing one, the
 * later lines queued behind it.  Its ISR can be seconds late, but once the
 * queue moved past that CMD_SYNC an error at the same CONS is a later lap.
 */
static struct incident *first_stalled(struct engine *e, const char *smmu, uint32_t cons,
				      const struct evtime *t)
{
	/* only an incident without its error line qualifies: no_line holds them */
	for (int i = 0; i < e->no_line.n; i++) {
		struct incident *o = &e->no_line.oi[i]->inc;

		if (o->have_cons || !o->have_hw || !o->sync_timeout_line ||
		    oi_of(o)->stale || oi_of(o)->progressed ||
		    oi_of(o)->stall_by || !smmu_q_same_pos(o->hwcons, cons, o->max_n_shift) ||
		    strcmp(o->smmu, smmu))
			continue;
		if (near(t, &o->first, e->o.retry_window_ns))
			return o;
	}
	return NULL;
}

/*
 * This ISR reports the stall every earlier timeout line with CONS at its
 * position waited behind (the SMMU cannot leave a CMD_SYNC and come back
 * to its slot without a lap): that line is collateral of this incident,
 * and a later error at that position, once not a retry, is a later lap's,
 * not the one it saw.  A line of another queue than the ISR's, when both
 * are known, waited elsewhere.
 */
static void stall_reported(struct engine *e, const struct incident *inc, const struct evtime *t)
{
	for (int i = 0; i < e->no_line.n; i++) {
		struct incident *o = &e->no_line.oi[i]->inc;
		int64_t d;

		if (o == inc || o->have_cons || !o->have_hw || !o->sync_timeout_line ||
		    strcmp(o->smmu, inc->smmu) || (o->cmdq && inc->cmdq && o->cmdq != inc->cmdq) ||
		    !smmu_q_same_pos(o->hwcons, inc->cons, o->max_n_shift) ||
		    oi_of(o)->stall_by || (tdiff(&o->first, t, &d) && d > (int64_t)SLACK_NS))
			continue;
		oi_of(o)->stall_by = inc->id;
	}
}

/*
 * The stalled line's own CMD_SYNC is the failing one when CONS already
 * showed this error in it, or when its issuer's -ETIMEDOUT record came with
 * it (that call polled from before the SMMU reached the CMD_SYNC).  A bare
 * line without CERROR may have waited on an older lap of the same slot.
 */
static bool stall_is_this_sync(const struct incident *st)
{
	const struct open_inc *oi = coi_of(st);

	if (smmu_cons_cerror(st->hwcons))
		return true;
	for (int i = 0; i < oi->n_recs; i++)
		if (oi->recs[i].is.ret < 0)
			return true;
	return false;
}

/*
 * Which timeout fired first.  No timeout line while the SMMU sat on the
 * CMD_SYNC: the SMMU's.  A line whose hwcons already carried CERROR: also
 * the SMMU's, and its interrupt was held off (an issuer spinning with IRQs
 * off on the CPU that takes it) for at least the time from that line to the
 * ISR.  Otherwise the driver's 1 s timeout fired first.  'stall' is the
 * first such line's incident when it did not join this one.
 */
struct stall_seen {
	bool have;
	uint32_t sw_timeouts;
	bool err_seen;
	struct evtime err_t;
};

static void stall_seen(const struct incident *st, struct stall_seen *s)
{
	s->have = st != NULL;
	if (!st)
		return;
	s->sw_timeouts = st->sw_timeouts;
	s->err_seen = coi_of(st)->err_seen;
	s->err_t = coi_of(st)->err_t;
}

static void first_report(struct incident *inc, const struct stall_seen *stall,
			 const struct evtime *t)
{
	struct stall_seen own;
	int64_t d;

	if (inc->sync_timeout_line) {
		stall_seen(inc, &own);
		stall = &own;
	}
	if (!stall->have) {
		inc->first_report = FIRST_SMMU;
		return;
	}
	inc->sw_timeouts = stall->sw_timeouts;
	inc->first_report = stall->err_seen ? FIRST_SMMU : FIRST_SOFTWARE;
	if (stall->err_seen && tdiff(t, &stall->err_t, &d) && d > 0)
		inc->irq_held_ns = d;
}

/* a pasted line whose CONS or prod was elided: an incident, joined to nothing */
static struct incident *inc_unplaced(struct engine *e, enum incident_kind kind,
				     const struct smmu_event *ev)
{
	struct incident *inc = inc_new(e, kind, ev);

	if (inc && kind == INC_ATC_TIMEOUT)
		attach_aer(e, inc);
	return inc;
}

void on_cmdq_error(struct engine *e, const struct smmu_event *ev)
{
	enum incident_kind kind = kind_of_cerror(ev->cmdq_error.cerror);
	struct incident *inc, *stall = NULL;
	struct stall_seen seen = { 0 };
	struct evtime t;

	if (ev->cmdq_error.cons == SMMU_NO_POS) {
		inc = inc_unplaced(e, kind, ev);
		if (inc)
			inc->cerror = ev->cmdq_error.cerror;
		return;
	}
	evtime_of(ev, &t);
	inc = find_open(e, e->cur_err.oi, e->cur_err.n, ev->hdr.smmu, is_retry, ev);
	if (inc) {
		inc->retries++;
		inc_seen_at(e, inc, &t);
		return;
	}
	supersede(e, ev);
	inc = find_open(e, e->no_line.oi, e->no_line.n, ev->hdr.smmu, joins_issuer, ev);
	if (!inc) {
		stall = first_stalled(e, ev->hdr.smmu, ev->cmdq_error.cons, &t);
		if (stall && stall_is_this_sync(stall))
			inc = stall;
		else
			stall_seen(stall, &seen);	/* inc_new may settle it */
	}
	if (inc) {
		/* the issuer gave up (and cleared its bit) before this ISR ran */
		if (inc->kind == INC_SYNC_TIMEOUT)
			oi_of(inc)->from_timeout = true;
		inc->kind = kind;
		inc->issuer_notified = 1;
		inc_seen_at(e, inc, &t);
	} else {
		inc = inc_new(e, kind, ev);
		if (!inc)
			return;
	}
	inc_cons_seen(e, oi_of(inc));
	inc->cons = ev->cmdq_error.cons;
	inc->cerror = ev->cmdq_error.cerror;
	oi_of(inc)->cons_t = t;
	stall_reported(e, inc, &t);
	if (kind == INC_ATC_TIMEOUT)	/* the SMMU's own timeout: ATS completion */
		first_report(inc, &seen, &t);
	attach_recent(e, oi_of(inc));
	bitmap_on_error(e, oi_of(inc));
	if (kind == INC_ATC_TIMEOUT)
		attach_aer(e, inc);
}

static bool joins_error(struct engine *e, const struct incident *inc,
			const struct smmu_event *ev)
{
	bool patched = ev->hdr.type == SMMU_EV_ATC_SYNC_FAIL;
	uint32_t prod = patched ? ev->atc_sync_fail.prod : ev->sync_timeout.prod;
	struct evtime t;
	int64_t d;

	evtime_of(ev, &t);
	/* its issuer had gone when the ISR set the bit: a report there is a later claim */
	if (patched && coi_of(inc)->gave_up)
		return false;
	/*
	 * Either line comes from an issuer that polled this CMD_SYNC, or one
	 * behind it, from before the SMMU failed it: for 1 s, ending no later
	 * than POLL_MAX_NS after the ISR.  Later, the same position is a later lap.
	 */
	if (inc->have_cons && tdiff(&t, &coi_of(inc)->cons_t, &d) &&
	    d > (int64_t)(POLL_MAX_NS + SLACK_NS))
		return false;
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
	if (inc->have_cons || inc->prod != prod || coi_of(inc)->from_record ||
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
/*
 * A timeout line: count it on the first open incident of the stall it
 * waited behind (the SMMU at the same CONS), and note when CONS first
 * showed CERROR there: the SMMU had reported, its interrupt still pending.
 */
static void note_stall_line(struct engine *e, struct incident *inc, const struct evtime *t)
{
	struct incident *o = inc;
	struct open_inc *ooi;

	for (int i = 0; i < e->n_open; i++) {
		struct incident *c = &e->open[i]->inc;
		uint32_t at;

		if (c == inc || strcmp(c->smmu, inc->smmu) ||
		    !near(t, &c->last, e->o.retry_window_ns))
			continue;
		at = c->have_cons ? c->cons : c->hwcons;
		if ((c->have_cons || (c->have_hw && c->sync_timeout_line)) &&
		    smmu_q_same_pos(at, inc->hwcons, inc->max_n_shift)) {
			o = c;
			break;
		}
	}
	o->sw_timeouts++;
	ooi = oi_of(o);
	if (smmu_cons_cerror(inc->hwcons) && !ooi->err_seen && !o->have_cons) {
		ooi->err_seen = true;
		ooi->err_t = *t;
	}
}

static void issuer_line_unplaced(struct engine *e, const struct smmu_event *ev, bool patched)
{
	struct incident *inc = inc_unplaced(e, patched ? INC_ATC_TIMEOUT : INC_SYNC_TIMEOUT, ev);

	if (!inc)
		return;
	inc->issuer_notified = 1;
	inc->patched_line = patched;
	inc->sync_timeout_line = !patched;
	inc->sync_no_pos = !patched && ev->sync_timeout.no_pos;
	if (!patched && ev->sync_timeout.have_hw) {
		inc->have_hw = true;
		inc->hwprod = ev->sync_timeout.hwprod;
		inc->hwcons = ev->sync_timeout.hwcons;
	}
}

void on_issuer_line(struct engine *e, const struct smmu_event *ev)
{
	bool patched = ev->hdr.type == SMMU_EV_ATC_SYNC_FAIL;
	uint64_t left_by = 0;
	struct incident *inc;
	struct evtime t;

	evtime_of(ev, &t);
	if ((patched ? ev->atc_sync_fail.prod : ev->sync_timeout.prod) == SMMU_NO_POS) {
		issuer_line_unplaced(e, ev, patched);
		return;
	}
	if (!patched)
		swto_add(e, ev->hdr.smmu, 0, ev->sync_timeout.prod, &t);
	else
		bitmap_note(e, ev->hdr.smmu);
	inc = find_open(e, e->open, e->n_open, ev->hdr.smmu, joins_error, ev);
	if (inc && patched)	/* its own bit took the old one */
		stale_take(e, ev->hdr.smmu, inc->cmdq, ev->atc_sync_fail.prod, &t);
	else if (!inc && patched)
		left_by = stale_take(e, ev->hdr.smmu, 0, ev->atc_sync_fail.prod, &t);
	if (!inc && !left_by)
		inc = find_open(e, e->open, e->n_open, ev->hdr.smmu, same_issuer_line, ev);
	if (!inc) {
		inc = inc_new(e, patched ? INC_ATC_TIMEOUT : INC_SYNC_TIMEOUT, ev);
		if (!inc)
			return;
		oi_of(inc)->stale = left_by != 0;
		inc->stale_from = left_by;
	}
	inc_seen_at(e, inc, &t);
	inc->issuer_notified = 1;
	if (patched) {
		inc->patched_line = true;
		inc_set_prod(e, inc, ev->atc_sync_fail.prod);
	} else {
		inc->sync_timeout_line = true;
		inc_set_prod(e, inc, ev->sync_timeout.prod);
		if (ev->sync_timeout.have_hw) {
			inc->have_hw = true;
			inc->hwprod = ev->sync_timeout.hwprod;
			inc->hwcons = ev->sync_timeout.hwcons;
		}
	}
	if (!patched && inc->have_hw)
		note_stall_line(e, inc, &t);
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
		    near(&t, &inc->last, NSEC) && !strcmp(inc->smmu, ev->hdr.smmu))
			return inc;
	}
	return NULL;
}

void on_skipped(struct engine *e, const struct smmu_event *ev)
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
	inc->skipped_bad = ev->skipped.bad;
	smmu_cmd_decode(ev->skipped.cmd[0], ev->skipped.cmd[1], &c);
	if (smmu_cmd_has_sid(&c, &sid))
		suspect_add(inc, true, sid, NULL, EVD_SKIPPED_CMD);
}

void on_fetch_retry(struct engine *e, const struct smmu_event *ev)
{
	struct incident *inc = latest_with_cons(e, ev, 1u << INC_FETCH_ABORT);

	if (inc)
		inc->fetch_retries++;
}

void on_aer(struct engine *e, const struct smmu_event *ev)
{
	struct device_stat *d;
	char *dev;
	unsigned int i;

	if (!ev->aer.cmplto)
		return;
	i = e->aer_head++ % AER_RING;
	dev = e->aer_dev[i];
	memcpy(dev, ev->aer.dev, SMMU_DEV_LEN);
	dev[SMMU_DEV_LEN - 1] = '\0';
	evtime_of(ev, &e->aer_t[i]);
	d = dev_get(e, "", dev, false, 0);
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
	inc_set_prod(e, inc, is->sync_prod);
	/* the record's queue size, not the SMMU's main queue's that inc_new gave */
	inc->max_n_shift = issue_shift(e, inc, is);
	inc->cmdq = is->cmdq;
	attach_recent(e, oi_of(inc));
}

void on_issue(struct engine *e, const struct smmu_event *ev)
{
	struct issue_entry *ie = &e->issues[e->issue_head++ % ISSUE_RING];
	/* the SMMU's own queue (BPF's flag; a record with no SMMU pointer has one queue) */
	bool main_q = (ev->hdr.flags & SMMU_EVF_MAIN_CMDQ) || !ev->issue.smmu_ptr;

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
	if (ie->is.max_n_shift && main_q) {
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
	else
		bitmap_claim_record(e, ev, ie);
}

void on_queue_walk(struct engine *e, const struct smmu_event *ev)
{
	struct qwalk_entry *we = &e->qwalks[e->qwalk_head++ % QWALK_RING];

	memcpy(we->smmu, ev->hdr.smmu, sizeof(we->smmu));
	we->smmu[sizeof(we->smmu) - 1] = '\0';
	evtime_of(ev, &we->t);
	we->cpu = ev->hdr.cpu;
	we->used_by = 0;
	we->w = ev->walk;
	if (!we->t.flags)
		we->t.flags = SMMU_EVF_MONO;	/* keep the slot marked used */
	qshift_set(e, we->w.cmdq, we->w.max_n_shift);
	if (we->w.bitmap != 2)
		bitmap_note(e, we->smmu);
	/* the newest incident at that CONS: an older one is another lap */
	for (int i = e->n_open - 1; i >= 0; i--)
		if (qwalk_matches(&e->open[i]->inc, we)) {
			qwalk_apply(e, e->open[i], we);
			break;
		}
}
