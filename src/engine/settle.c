// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Settling: final evidence, ranking, accounting, and the recent past. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "internal.h"
#include "util.h"

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

static void emit(struct engine *e)
{
	struct open_inc *oi = e->held[0];

	memmove(&e->held[0], &e->held[1], (e->n_held - 1) * sizeof(oi));
	e->n_held--;
	if (e->fn)
		e->fn(e->ctx, &oi->inc);
	inc_release(e, oi);
}

/*
 * Incidents go out in id (= first report) order: one that settles early
 * waits for the older ones still open, e.g. a sync timeout still waiting
 * for its late ISR.  open[] is in id order.  Memory stays bounded: with
 * the waiting list full the oldest of it goes out anyway.
 */
static void hold(struct engine *e, struct open_inc *oi)
{
	int i;

	if (e->n_held == MAX_OPEN)
		emit(e);
	for (i = e->n_held; i > 0 && e->held[i - 1]->inc.id > oi->inc.id; i--)
		e->held[i] = e->held[i - 1];
	e->held[i] = oi;
	e->n_held++;
	while (e->n_held && (!e->n_open || e->held[0]->inc.id < e->open[0]->inc.id))
		emit(e);
}

void inc_settle(struct engine *e, int idx)
{
	struct open_inc *oi = e->open[idx];
	struct incident *inc = &oi->inc;

	memmove(&e->open[idx], &e->open[idx + 1], (e->n_open - idx - 1) * sizeof(oi));
	memmove(&e->open_due[idx], &e->open_due[idx + 1],
		(e->n_open - idx - 1) * sizeof(e->open_due[0]));
	e->n_open--;
	inc_closing(e, oi);
	attribute(e, oi);
	bitmap_settle(e, oi);
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
	hold(e, oi);
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
	/* CONS without CERROR: an SMMU whose own timeout is longer than 1 s */
	return e->o.retry_window_ns;
}

/*
 * Times below DUE_MAX add and subtract without overflow: on the monotonic
 * clock an incident whose last report is at L settles once now > L + after,
 * and not before.  Otherwise (a clock missing, a time that could wrap) only
 * the look itself can tell.
 */
#define DUE_MAX		(1LL << 62)

static int64_t due_of(const struct incident *inc, uint64_t after)
{
	if (!(inc->last.flags & SMMU_EVF_MONO) || inc->last.mono_ns >= DUE_MAX || after > DUE_MAX)
		return DUE_UNKNOWN;
	return (int64_t)(inc->last.mono_ns + after);
}

/*
 * Every event ticks, and most settle nothing: an incident looked at since
 * it last changed (open.c marks it) is skipped while now is before its due
 * time, without reading it.
 */
void engine_tick(struct engine *e, const struct evtime *now)
{
	bool mono = (now->flags & SMMU_EVF_MONO) && now->mono_ns < DUE_MAX;

	for (int i = 0; i < e->n_open;) {
		const struct incident *inc;
		uint64_t after;
		int64_t d;

		if (mono && (int64_t)now->mono_ns <= e->open_due[i]) {
			i++;
			continue;
		}
		inc = &e->open[i]->inc;
		after = settle_after(e, inc);
		if (tdiff(now, &inc->last, &d) && d > (int64_t)after) {
			inc_settle(e, i);
			continue;
		}
		e->open_due[i] = due_of(inc, after);
		i++;
	}
}

void engine_finish(struct engine *e)
{
	while (e->n_open)
		inc_settle(e, 0);
}
