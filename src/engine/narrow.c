// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Narrowing across incidents: one EM table over every failing batch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "internal.h"
#include "util.h"

/*
 * Each failing batch says "one of these devices failed".  Treat the devices
 * as independent failure sources with unknown rates and find the rates that
 * best explain every set seen (EM for a mixture: a set credits its devices in
 * proportion to their current rates).  A device present in every failing
 * batch ends with all the credit; two devices that always appear together
 * keep equal shares, so neither is singled out.
 */
/* the M step for one device: true when its rate changed in any bit */
static bool em_update(struct dev_entry *d, double total)
{
	double p = d->w / total;
	bool moved = memcmp(&p, &d->p, sizeof(p)) != 0;

	d->p = p;
	return moved;
}

static void narrow_em(struct engine *e)
{
	double total = 0;

	for (int s = 0; s < e->n_sets; s++)
		total += e->sets[s].count;
	if (!total)
		return;
	for (int d = 0; d < e->dev_reg.n; d++) {
		e->devs[d].p = e->devs[d].present ? 1.0 : 0.0;
		e->devs[d].w = 0;
	}
	for (int r = 0; r < EM_ROUNDS; r++) {
		bool moved = false;

		for (int d = 0; d < e->dev_reg.n; d++)
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
		for (int d = 0; d < e->dev_reg.n; d++)
			moved |= em_update(&e->devs[d], total);
		/*
		 * A round is a function of p alone: once it gives back the
		 * same p, bit for bit, every later round would too (and the
		 * same w), so the rounds left cannot change anything.
		 */
		if (!moved)
			break;
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
	if (!e->sets)
		e->sets = calloc(MAX_SETS, sizeof(*e->sets));
	if (!e->sets)
		return;
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

void verdicts(struct engine *e)
{
	for (int i = 0; i < e->dev_reg.n; i++) {
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
	for (int i = 0; i < e->dev_reg.n; i++) {
		struct device_stat *st = &e->devs[i].st;
		double n = 0;

		for (int s = 0; s < e->n_sets; s++) {
			const struct set_entry *se = &e->sets[s];

			for (int k = 0; k < se->n; k++)
				if (name_eq(e->devs[se->dev[k]].st.smmu, st->smmu) &&
				    name_eq(e->devs[se->dev[k]].st.host, st->host)) {
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
void narrow(struct engine *e, struct open_inc *oi)
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
