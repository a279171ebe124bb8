// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `make accuracy`: run the fixed scenarios through the simulator, feed the
 * event stream to the engine exactly as live tracing would, and score the
 * engine's incidents against the simulator's ground truth.
 *
 * Definitions (per scenario, and summed over the scenarios of a kind):
 *  - a failure is one CMD_SYNC the SMMU failed with CERROR_ATC_INV_SYNC
 *    (retries of the same CMD_SYNC are one failure); its truth is the set
 *    of devices whose ATC invalidation timed out before it;
 *  - an engine incident is matched to the failure at the same SMMU, queue
 *    position (index and wrap) and time (its reports, first to last, within
 *    3 s before to 10 s after the failure, nearest first: an issuer can give
 *    up before the SMMU fails the CMD_SYNC, an ISR can be held off), or else
 *    to the
 *    collateral software timeout at that position (truth: the devices of the
 *    failure that stalled it), or to nothing;
 *  - the engine names a top suspect when incident.top >= 0; that is a hit
 *    when the device is in the matched truth, a miss otherwise (including
 *    incidents matched to nothing);
 *  - precision = hits / incidents that name a top suspect;
 *  - recall = failures with at least one matched incident whose top suspect
 *    is a hit / failures;
 *  - suspect-set size = distinct devices in the suspects of the incidents
 *    matched to failures, averaged;
 *  - "confirmed wrong" counts confirmed incidents whose top suspect is not
 *    in the truth: it must be 0 everywhere.
 *
 *   accuracy [--check] [--seed N] [--only NAME] [-v]
 *
 * --check turns the floors into the exit status (make test-accuracy).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "engine.h"
#include "scenarios.h"
#include "sim.h"

#define NSEC	1000000000LL

struct inc_rec {
	enum incident_kind kind;
	char smmu[SMMU_NAME_LEN];
	bool have_cons;
	uint32_t cons, prod;
	uint64_t cmdq;
	int64_t t_ns, last_ns;
	enum confidence conf;
	int ndev;
	bool have_top;
	char top[SMMU_DEV_LEN];
	uint32_t flags;
	uint64_t stale_from;
	bool have_hw;
	uint32_t hwcons;
	uint64_t blocked_by, id;
	int match;
	bool hit;
};

struct run {
	const struct sim_config *cfg;
	struct engine *e;
	struct inc_rec *inc;
	int n, cap;
	bool oom;
};

struct score {
	int failures, late, stale, foreign, swto, collateral;
	int incidents, by_conf[CONF_LEVELS], coll_inc, unmatched;
	int named, hits, recalled, wrong_confirmed, miss_by_conf[CONF_LEVELS];
	int named_by_conf[CONF_LEVELS];
	int matched, set_sum;
	int flaky, flaky_found, healthy_accused;
	/* patched: bits left set and the false failures that claimed them */
	int bits_left, left_flagged, left_wrong, claims, links_right, links_wrong, unlinked;
	int stale_unmatched;
};

static int verbose;

static void on_incident(void *ctx, const struct incident *inc)
{
	struct run *r = ctx;
	struct inc_rec *x;
	int ndev = 0;

	if (r->n == r->cap) {
		int cap = r->cap ? 2 * r->cap : 256;
		struct inc_rec *v = realloc(r->inc, cap * sizeof(*v));

		if (!v) {
			r->oom = true;
			return;
		}
		r->inc = v;
		r->cap = cap;
	}
	x = &r->inc[r->n++];
	memset(x, 0, sizeof(*x));
	x->kind = inc->kind;
	snprintf(x->smmu, sizeof(x->smmu), "%s", inc->smmu);
	x->have_cons = inc->have_cons;
	x->cons = inc->cons;
	x->prod = inc->prod;
	x->cmdq = inc->cmdq;
	x->t_ns = inc->first.mono_ns;
	x->last_ns = inc->last.mono_ns;
	x->conf = inc->confidence;
	x->flags = inc->flags;
	x->stale_from = inc->stale_from;
	x->have_hw = inc->have_hw;
	x->hwcons = inc->hwcons;
	x->blocked_by = inc->blocked_by;
	x->id = inc->id;
	x->match = -1;
	for (int i = 0; i < inc->n_suspects; i++) {
		int j;

		for (j = 0; j < i; j++)
			if (!strcmp(inc->suspects[i].dev, inc->suspects[j].dev))
				break;
		ndev += j == i;
	}
	x->ndev = ndev;
	if (inc->top >= 0) {
		x->have_top = true;
		snprintf(x->top, sizeof(x->top), "%s", inc->suspects[inc->top].dev);
	}
}

static void on_event(void *ctx, const struct smmu_event *ev)
{
	engine_feed(((struct run *)ctx)->e, ev);
}

static bool truth_has(const struct sim_config *cfg, const struct sim_truth *t, const char *dev)
{
	for (int i = 0; i < t->n_devs; i++)
		if (!strcmp(cfg->dev[t->dev[i]].name, dev))
			return true;
	return false;
}

static int find_truth(const struct run *r, const struct sim_result *res,
		      const struct inc_rec *x, bool collateral)
{
	uint32_t pos = x->have_cons ? x->cons : x->prod;
	int64_t best_dt = 0;
	int best = -1;

	if (!x->have_cons && x->prod == SMMU_NO_POS)
		return -1;
	for (int i = 0; i < res->n_truth; i++) {
		const struct sim_truth *t = &res->truth[i];
		int64_t dt = x->t_ns - (int64_t)t->err_ns;
		int64_t dl = x->last_ns - (int64_t)t->err_ns;

		if (t->collateral != collateral || strcmp(r->cfg->smmu[t->smmu].name, x->smmu) ||
		    (x->cmdq && x->cmdq != t->cmdq) ||
		    !smmu_q_same_pos(pos, t->pos, t->max_n_shift))
			continue;
		/*
		 * Its reports span the failure: the issuer may give up seconds
		 * before the SMMU fails the CMD_SYNC, the ISR may run seconds after.
		 */
		if (dl < -3 * NSEC || dt > 10 * NSEC)
			continue;
		if (dt < 0)
			dt = -dt;
		/* its "CMDQ error" line is that failure's ISR: an exact key */
		if (x->have_cons && t->isr_ns && (int64_t)t->isr_ns >= x->t_ns - 1000000 &&
		    (int64_t)t->isr_ns <= x->last_ns + 1000000)
			dt = -1;
		if (best < 0 || dt < best_dt) {	/* nearest in time */
			best = i;
			best_dt = dt;
		}
	}
	return best;
}

static void score_incidents(struct run *r, const struct sim_result *res, struct score *sc)
{
	bool *recalled = calloc(res->n_truth + 1, sizeof(*recalled));

	for (int i = 0; i < r->n; i++) {
		struct inc_rec *x = &r->inc[i];
		const struct sim_truth *t = NULL;

		x->match = find_truth(r, res, x, false);
		if (x->match < 0)
			x->match = find_truth(r, res, x, true);
		if (x->match >= 0)
			t = &res->truth[x->match];
		sc->incidents++;
		sc->by_conf[x->conf]++;
		if (x->flags & INCF_COLLATERAL)
			sc->coll_inc++;
		if (!t)
			sc->unmatched++;
		if (t && !t->collateral) {
			sc->matched++;
			sc->set_sum += x->ndev;
		}
		if (verbose > 1)
			printf("   inc: %-12s pos 0x%08x t %.6f conf %-9s ndev %d top %-14s "
			       "flags 0x%02x hw %d/0x%08x id %llu blk %llu truth %s%s\n",
			       incident_kind_name(x->kind),
			       x->have_cons ? x->cons : x->prod, x->t_ns / 1e9,
			       confidence_name(x->conf), x->ndev, x->have_top ? x->top : "-",
			       x->flags, x->have_hw, x->hwcons, (unsigned long long)x->id,
			       (unsigned long long)x->blocked_by, t ? (t->n_devs ? r->cfg->dev[t->dev[0]].name : "(none)")
					   : "unmatched", t && t->collateral ? " (collateral)" : "");
		if (!x->have_top)
			continue;
		sc->named++;
		sc->named_by_conf[x->conf]++;
		x->hit = t && truth_has(r->cfg, t, x->top);
		if (x->hit) {
			sc->hits++;
			if (!t->collateral && recalled)
				recalled[x->match] = true;
			continue;
		}
		sc->miss_by_conf[x->conf]++;
		if (x->conf == CONF_CONFIRMED)
			sc->wrong_confirmed++;
		if (verbose)
			printf("   miss: %s %s pos 0x%08x t %.6f top %s conf %s flags 0x%x truth %s\n",
			       incident_kind_name(x->kind), x->smmu,
			       x->have_cons ? x->cons : x->prod, x->t_ns / 1e9, x->top,
			       confidence_name(x->conf), x->flags,
			       t && t->n_devs ? r->cfg->dev[t->dev[0]].name : "(none)");
	}
	for (int i = 0; i < res->n_truth && verbose > 2; i++) {
		const struct sim_truth *t = &res->truth[i];

		printf("   truth %d: pos 0x%08x err %.6f isr %.6f %s late %d stale %d foreign %d "
		       "swto %d retries %d blocker %d\n", i, t->pos, t->err_ns / 1e9,
		       t->isr_ns / 1e9, t->collateral ? "collateral" : "failure", t->late_isr,
		       t->walk_stale, t->foreign, t->sw_timeout, t->retries, t->blocker);
	}
	for (int i = 0; i < res->n_truth; i++) {
		const struct sim_truth *t = &res->truth[i];

		if (t->collateral) {
			sc->collateral++;
			continue;
		}
		sc->failures++;
		sc->late += t->late_isr;
		sc->stale += t->walk_stale;
		sc->foreign += t->foreign;
		sc->swto += t->sw_timeout;
		if (recalled && recalled[i])
			sc->recalled++;
		else if (verbose)
			printf("   not recalled: pos 0x%08x t %.6f truth %s%s%s\n", t->pos,
			       t->err_ns / 1e9, t->n_devs ? r->cfg->dev[t->dev[0]].name : "-",
			       t->late_isr ? " late" : "", t->walk_stale ? " stale" : "");
	}
	free(recalled);
}

/*
 * The failure whose left bit a stale_bitmap incident claimed, -1 none: the
 * claim at its slot nearest in time (two claims of one slot can come
 * within the millisecond, a lap apart on a queue that moved fast).
 */
static int claim_of(const struct run *r, const struct sim_result *res, const struct inc_rec *x)
{
	int64_t best_dt = 1000000;
	int best = -1;

	for (int k = 0; k < res->n_truth; k++) {
		const struct sim_truth *t = &res->truth[k];
		int64_t dt = llabs(x->t_ns - (int64_t)t->claim_ns);

		if (t->claimed && !strcmp(r->cfg->smmu[t->smmu].name, x->smmu) &&
		    (!x->cmdq || x->cmdq == t->cmdq) &&
		    smmu_q_same_pos(x->prod, t->claim_pos, t->max_n_shift) && dt < best_dt) {
			best = k;
			best_dt = dt;
		}
	}
	return best;
}

static bool left_by(const struct run *r, uint64_t id, int k)
{
	for (int i = 0; i < r->n; i++)
		if (r->inc[i].id == id)
			return r->inc[i].match == k;
	return false;
}

/*
 * The bitmap's bookkeeping: an incident flagged bitmap_left_set must be a
 * failure whose issuer had gone when the ISR marked it, and a stale_bitmap
 * incident a claim of such a bit, linked (if at all) to that failure's
 * incident.
 */
static void score_bitmap(const struct run *r, const struct sim_result *res, struct score *sc)
{
	for (int k = 0; k < res->n_truth; k++) {
		sc->bits_left += res->truth[k].bit_left;
		sc->claims += res->truth[k].claimed;
		if (res->truth[k].claimed && verbose > 1)
			printf("   claim: truth pos 0x%08x claimed at 0x%08x t %.6f\n", res->truth[k].pos,
			       res->truth[k].claim_pos, res->truth[k].claim_ns / 1e9);
	}
	for (int i = 0; i < r->n; i++) {
		const struct inc_rec *x = &r->inc[i];
		int k;

		if (x->flags & INCF_BITMAP_LEFT) {
			bool ok = x->match >= 0 && res->truth[x->match].bit_left;

			sc->left_flagged += ok;
			sc->left_wrong += !ok;
			if (!ok && verbose)
				printf("   wrong bitmap_left_set: pos 0x%08x t %.6f\n", x->cons,
				       x->t_ns / 1e9);
		}
		if (!(x->flags & INCF_STALE_BITMAP))
			continue;
		k = claim_of(r, res, x);
		if (k < 0)
			sc->stale_unmatched++;
		else if (!x->stale_from)
			sc->unlinked++;
		else if (left_by(r, x->stale_from, k))
			sc->links_right++;
		else
			sc->links_wrong++;
		if ((k < 0 || (x->stale_from && !left_by(r, x->stale_from, k))) && verbose)
			printf("   stale_bitmap %s: pos 0x%08x t %.6f stale_from %llu\n",
			       k < 0 ? "claims no left bit" : "linked wrong", x->prod, x->t_ns / 1e9,
			       (unsigned long long)x->stale_from);
	}
}

static const struct device_stat *engine_dev(struct engine *e, const char *name)
{
	for (int i = 0; i < engine_n_devices(e); i++)
		if (!strcmp(engine_device(e, i)->dev, name))
			return engine_device(e, i);
	return NULL;
}

static bool flaky(const struct sim_dev *d)
{
	return d->p_fail_ppm || d->hung_to > d->hung_from;
}

static void device_table(const struct run *r, const struct sim_result *res, struct score *sc)
{
	printf("   %-14s %-7s %5s  %-9s %5s %6s %5s %9s\n", "device", "truth", "fails", "verdict",
	       "score", "incid", "top", "confirmed");
	for (int i = 0; i < r->cfg->n_devs; i++) {
		const struct sim_dev *d = &r->cfg->dev[i];
		const struct device_stat *st = engine_dev(r->e, d->name);
		enum verdict v = st ? st->verdict : VERDICT_NONE;
		int fails = 0;

		for (int k = 0; k < res->n_truth; k++)
			fails += !res->truth[k].collateral && truth_has(r->cfg, &res->truth[k], d->name);
		if (flaky(d) && fails >= 3) {
			/* a device that failed once or twice has not earned a verdict */
			sc->flaky++;
			sc->flaky_found += v == VERDICT_CULPRIT || v == VERDICT_LIKELY;
		} else if (!flaky(d)) {
			sc->healthy_accused += v == VERDICT_CULPRIT || v == VERDICT_LIKELY;
		}
		/* healthy devices nobody suspected make the table long and say nothing */
		if (!flaky(d) && (!st || !st->incidents))
			continue;
		printf("   %-14s %-7s %5d  %-9s %5u %6llu %5llu %9llu\n", d->name,
		       flaky(d) ? "flaky" : "healthy", fails, verdict_name(v), st ? st->score : 0,
		       (unsigned long long)(st ? st->incidents : 0),
		       (unsigned long long)(st ? st->top : 0),
		       (unsigned long long)(st ? st->sole_confirmed : 0));
	}
}

static double ratio(int a, int b)
{
	return b ? (double)a / b : 1.0;
}

static void print_score(const struct score *sc)
{
	printf("   truth: %d failing syncs (late ISR %d, stale walk %d, foreign chunk %d, "
	       "issuer timed out %d), %d collateral timeouts\n", sc->failures, sc->late,
	       sc->stale, sc->foreign, sc->swto, sc->collateral);
	printf("   engine: %d incidents: %d confirmed, %d probable, %d suspect, %d unknown; "
	       "%d collateral, %d unmatched\n", sc->incidents, sc->by_conf[CONF_CONFIRMED],
	       sc->by_conf[CONF_PROBABLE], sc->by_conf[CONF_SUSPECT], sc->by_conf[CONF_UNKNOWN],
	       sc->coll_inc, sc->unmatched);
	printf("   top suspect: precision %.3f (%d/%d), recall %.3f (%d/%d), "
	       "mean suspect-set %.2f, confirmed wrong %d, misses: probable %d suspect %d\n",
	       ratio(sc->hits, sc->named), sc->hits, sc->named,
	       ratio(sc->recalled, sc->failures), sc->recalled, sc->failures,
	       sc->matched ? (double)sc->set_sum / sc->matched : 0.0, sc->wrong_confirmed,
	       sc->miss_by_conf[CONF_PROBABLE], sc->miss_by_conf[CONF_SUSPECT]);
	if (sc->bits_left || sc->claims || sc->left_wrong || sc->stale_unmatched)
		printf("   bitmap: %d bits left set, %d flagged (%d wrongly); %d claimed: %d "
		       "linked right, %d wrong, %d unlinked; %d stale reports of no left bit\n",
		       sc->bits_left, sc->left_flagged, sc->left_wrong, sc->claims,
		       sc->links_right, sc->links_wrong, sc->unlinked, sc->stale_unmatched);
	printf("   by confidence:");
	for (int c = CONF_CONFIRMED; c >= CONF_SUSPECT; c--)
		printf(" %s %.3f (%d/%d)%s", confidence_name(c),
		       ratio(sc->named_by_conf[c] - sc->miss_by_conf[c], sc->named_by_conf[c]),
		       sc->named_by_conf[c] - sc->miss_by_conf[c], sc->named_by_conf[c],
		       c > CONF_SUSPECT ? "," : "\n");
}

static void add(struct score *a, const struct score *b)
{
	int *x = (int *)a;
	const int *y = (const int *)b;

	for (size_t i = 0; i < sizeof(*a) / sizeof(int); i++)
		x[i] += y[i];
}

static int run_config(const struct sim_config *cfg, const char *what, struct score *sc);

static int run_scenario(int i, uint64_t seed, struct score *sc)
{
	struct sim_config cfg;

	scenario_config(i, seed, &cfg);
	return run_config(&cfg, scenarios[i].what, sc);
}

static int run_config(const struct sim_config *cfg_in, const char *what, struct score *sc)
{
	struct sim_config cfg = *cfg_in;
	struct sim_result res;
	struct run r = { 0 };
	int err;

	r.cfg = &cfg;
	r.e = engine_new(NULL, on_incident, &r);
	if (!r.e)
		return -1;
	err = sim_run(&cfg, on_event, &r, &res);
	engine_finish(r.e);
	if (err || r.oom) {
		fprintf(stderr, "accuracy: %s: simulation failed (%d)\n", cfg.name, err);
		goto out;
	}
	printf("== %s: %s [%s, %d CPUs, %d SMMUs, %d devices, %llu s, seed %llu]\n", cfg.name,
	       what, cfg.kernel == SIM_UNPATCHED ? "unpatched" :
	       cfg.kernel == SIM_PATCHED_V2 ? "patched v2" : "patched v3", cfg.n_cpus,
	       cfg.n_smmus, cfg.n_devs, (unsigned long long)(cfg.duration_ns / NSEC),
	       (unsigned long long)cfg.seed);
	printf("   stream: %llu calls, %llu commands, %llu ATC_INVs, %llu records, "
	       "%llu driver lines (%llu ratelimited)\n",
	       (unsigned long long)res.stats.calls, (unsigned long long)res.stats.cmds,
	       (unsigned long long)res.stats.atc_invs, (unsigned long long)res.stats.records,
	       (unsigned long long)res.stats.lines,
	       (unsigned long long)res.stats.suppressed_lines);
	score_incidents(&r, &res, sc);
	score_bitmap(&r, &res, sc);
	print_score(sc);
	device_table(&r, &res, sc);
out:
	sim_result_free(&res);
	engine_free(r.e);
	free(r.inc);
	return err || r.oom ? -1 : 0;
}

static int check(const char *what, bool ok)
{
	if (!ok)
		printf("FLOOR FAILED: %s\n", what);
	return !ok;
}

/*
 * Random machines, many of them far harsher than any fixed scenario (tiny
 * queues, eight CPUs, completion timeouts past the 1 s poll).  Only the
 * invariants that must hold everywhere fail the run: a confirmed or
 * probable top suspect is never wrong, nor a bitmap_left_set flag or a
 * stale_from link.  Healthy devices given a "likely"
 * verdict are counted and reported, not failed: that verdict is a
 * statistical one.
 */
static int stress(int n, uint64_t seed0)
{
	struct score all = { 0 };
	int bad = 0, accused = 0;

	for (int i = 0; i < n; i++) {
		struct sim_config cfg;
		struct score sc = { 0 };

		scenario_random(seed0 + i + 1, &cfg);
		if (run_config(&cfg, "random machine", &sc))
			return 1;
		if (sc.miss_by_conf[CONF_CONFIRMED] || sc.miss_by_conf[CONF_PROBABLE] ||
		    sc.left_wrong || sc.links_wrong) {
			printf("INVARIANT BROKEN: seed %llu\n", (unsigned long long)cfg.seed);
			bad++;
		}
		accused += sc.healthy_accused > 0;
		add(&all, &sc);
		putchar('\n');
	}
	printf("== %d random machines\n", n);
	print_score(&all);
	printf("stress: %d of %d machines broke an invariant; %d gave a healthy device a "
	       "likely verdict\n", bad, n, accused);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct score kind[2] = { 0 }, single = { 0 }, all = { 0 };
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "only", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "random", required_argument, NULL, 'r' },
		{ 0 },
	};
	const char *only = NULL;
	bool do_check = false;
	uint64_t seed = 0;
	int c, fails = 0, random = 0;

	while ((c = getopt_long(argc, argv, "cs:o:vr:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			do_check = true;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			only = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'r':
			random = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: accuracy [--check] [--seed N] [--only NAME] "
				"[--random N] [-v]\n");
			return 2;
		}
	}
	if (random)
		return stress(random, seed);
	for (int i = 0; i < n_scenarios; i++) {
		struct sim_config cfg;
		struct score sc = { 0 };

		if (only && strcmp(only, scenarios[i].name))
			continue;
		scenario_config(i, seed, &cfg);
		if (run_scenario(i, seed, &sc))
			return 1;
		add(&kind[cfg.kernel != SIM_UNPATCHED], &sc);
		add(&all, &sc);
		if (scenarios[i].single_issuer && cfg.kernel == SIM_UNPATCHED)
			add(&single, &sc);
		if (do_check)
			fails += check("a confirmed verdict was wrong", !sc.wrong_confirmed) +
				 check("a healthy device was accused (culprit/likely)",
				       !sc.healthy_accused);
		putchar('\n');
	}
	for (int k = 0; k < 2; k++) {
		printf("== all %s scenarios\n", k ? "patched" : "unpatched");
		print_score(&kind[k]);
	}
	if (do_check) {
		fails += check("patched precision 1.000", kind[1].hits == kind[1].named);
		fails += check("patched recall 1.000", kind[1].recalled == kind[1].failures);
		fails += check("unpatched single-issuer precision 1.000",
			       single.hits == single.named);
		fails += check("unpatched single-issuer recall 1.000",
			       single.recalled == single.failures);
		fails += check("unpatched precision >= 0.95",
			       ratio(kind[0].hits, kind[0].named) >= 0.95);
		fails += check("every miss is a suspect-level incident",
			       all.miss_by_conf[CONF_CONFIRMED] + all.miss_by_conf[CONF_PROBABLE] == 0);
		fails += check("every device that failed 3+ times singled out",
			       all.flaky_found == all.flaky);
		fails += check("the scenarios hold failures", all.failures > 0 && kind[1].failures);
		fails += check("every bitmap_left_set a bit the ISR set after its issuer had gone",
			       !all.left_wrong);
		fails += check("every stale_bitmap link names the incident that left the bit",
			       !all.links_wrong);
		fails += check("the patched scenarios leave bits and claim them",
			       kind[1].bits_left && kind[1].claims && kind[1].links_right);
	}
	printf("accuracy: patched precision=%.3f recall=%.3f; unpatched precision=%.3f recall=%.3f\n",
	       ratio(kind[1].hits, kind[1].named), ratio(kind[1].recalled, kind[1].failures),
	       ratio(kind[0].hits, kind[0].named), ratio(kind[0].recalled, kind[0].failures));
	return fails ? 1 : 0;
}
