// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Open incidents: opening one, the sets of them that a new line can join,
 * what engine_tick() knows of when each settles, and closing.  open[] holds
 * every open incident in id order; the sets below hold, in the same order,
 * the few that a CMDQ error line can still join, so that each line need
 * not look at all of them.  What decides when an incident settles (last,
 * have_cons, prod) changes only here, so that open_due[] stays true.
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "internal.h"
#include "util.h"

/* in id order, as open[] */
static void oset_add(struct open_set *s, struct open_inc *oi)
{
	int i;

	for (i = s->n; i > 0 && s->oi[i - 1]->inc.id > oi->inc.id; i--)
		s->oi[i] = s->oi[i - 1];
	s->oi[i] = oi;
	s->n++;
}

static void oset_del_at(struct open_set *s, int i)
{
	memmove(&s->oi[i], &s->oi[i + 1], (s->n - i - 1) * sizeof(s->oi[0]));
	s->n--;
}

static void oset_del(struct open_set *s, const struct open_inc *oi)
{
	for (int i = 0; i < s->n; i++)
		if (s->oi[i] == oi) {
			oset_del_at(s, i);
			return;
		}
}

/*
 * Incidents open and close at the rate of error lines, and an open_inc
 * (2.9 KB) is past malloc's per-thread cache: one emitted lately costs
 * only its clearing.  Its recs[] goes along, as join.c's malloc() left it
 * (read only below n_recs).
 */
static struct open_inc *inc_alloc(struct engine *e)
{
	struct issue_entry *recs;
	struct open_inc *oi;

	if (!e->n_spare)
		return calloc(1, sizeof(*oi));
	oi = e->spare[--e->n_spare];
	recs = oi->recs;
	memset(oi, 0, sizeof(*oi));
	oi->recs = recs;
	return oi;
}

struct incident *inc_new(struct engine *e, enum incident_kind kind,
				const struct smmu_event *ev)
{
	struct smmu_priv *s;
	struct open_inc *oi;
	struct incident *inc;

	if (e->n_open == MAX_OPEN)
		inc_settle(e, 0);
	/* after settling: accounting may take another SMMU's slot */
	s = smmu_get(e, ev->hdr.smmu);
	oi = inc_alloc(e);
	if (!oi)
		return NULL;
	inc = &oi->inc;
	inc->id = ++e->next_id;
	inc->kind = kind;
	str_copy(inc->smmu, sizeof(inc->smmu), ev->hdr.smmu);
	str_copy(inc->host, sizeof(inc->host), e->host);
	inc->max_n_shift = s ? s->info.max_n_shift : 0;
	inc->prod = SMMU_NO_POS;
	inc->issuer_notified = -1;
	inc->bitmap = 2;
	inc->bm_failed = inc->bm_told = -1;
	inc->top = -1;
	inc->source = e->o.source;
	inc->seq = ev->hdr.seq;
	evtime_of(ev, &inc->first);
	inc->last = inc->first;
	if (s && s->last_gerror && near(&s->last_gerror_t, &inc->first, NSEC)) {
		inc->gerror = s->last_gerror;
		s->last_gerror = 0;
	}
	e->open_due[e->n_open] = DUE_UNKNOWN;
	e->open[e->n_open++] = oi;
	oset_add(&e->no_line, oi);
	return inc;
}

/* its last report, its line or its position changed: when it settles may have too */
static void due_changed(struct engine *e, const struct open_inc *oi)
{
	for (int i = e->n_open - 1; i >= 0; i--)
		if (e->open[i] == oi) {
			e->open_due[i] = DUE_UNKNOWN;
			return;
		}
}

void inc_seen_at(struct engine *e, struct incident *inc, const struct evtime *t)
{
	evtime_max(&inc->last, t);
	due_changed(e, oi_of(inc));
}

void inc_set_prod(struct engine *e, struct incident *inc, uint32_t prod)
{
	inc->prod = prod;
	due_changed(e, oi_of(inc));
}

/* its CMDQ error line came: it may be retried or superseded from now on */
void inc_cons_seen(struct engine *e, struct open_inc *oi)
{
	if (oi->inc.have_cons)
		return;
	oi->inc.have_cons = true;
	due_changed(e, oi);
	oset_del(&e->no_line, oi);
	if (!oi->superseded)
		oset_add(&e->cur_err, oi);
}

/* another error line on its SMMU came after its own */
void inc_superseded(struct engine *e, int cur_err_idx)
{
	e->cur_err.oi[cur_err_idx]->superseded = true;
	oset_del_at(&e->cur_err, cur_err_idx);
}

/* it leaves open[]: out of the sets too */
void inc_closing(struct engine *e, struct open_inc *oi)
{
	if (!oi->inc.have_cons)
		oset_del(&e->no_line, oi);
	else if (!oi->superseded)
		oset_del(&e->cur_err, oi);
}

void inc_free(struct open_inc *oi)
{
	if (!oi)
		return;
	free(oi->recs);
	free(oi);
}

/* an emitted incident: kept for the next inc_new() while there is room */
void inc_release(struct engine *e, struct open_inc *oi)
{
	if (oi && e->n_spare < SPARE_INCS)
		e->spare[e->n_spare++] = oi;
	else
		inc_free(oi);
}
