// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The simulator checked against what it claims to model: its queue
 * arithmetic (written from arm-smmu-v3.h) and its command encoding (from
 * the architecture's field table, tests/sim/spec.h) against src/decode.c
 * and src/cmdq.h, its event
 * stream against the rules the driver and the BPF programs follow, and its
 * determinism.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "decode.h"
#include "scenarios.h"
#include "sim.h"
#include "spec.h"

#define NSEC	1000000000ULL

static uint64_t rng = 88172645463325252ULL;

static uint32_t rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* prod and cons of one queue are never more than a lap apart */
static void valid_pair(unsigned int shift, uint32_t *prod, uint32_t *cons)
{
	uint32_t size = 1u << shift;

	*cons = rnd32() & ((2u << shift) - 1);
	*prod = smmu_q_inc(*cons, rnd32() % (size + 1), shift);
	if (rnd32() & 1) {	/* the OWNED/OVF flag and CONS's error field ride along */
		*prod |= 1u << 31;
		*cons |= (rnd32() % 4) << 24;
	}
}

static void test_inc_matches_decode(void **state)
{
	for (unsigned int shift = 7; shift <= SMMU_MAX_N_SHIFT; shift++)
		for (int i = 0; i < 20000; i++) {
			uint32_t pos = rnd32(), n = i < 100 ? (uint32_t)i : rnd32() % (4u << shift);

			assert_int_equal(sim_q_inc(pos, n, shift), smmu_q_inc(pos, n, shift));
		}
}

static void test_space_and_consumed_match_decode(void **state)
{
	for (unsigned int shift = 7; shift <= SMMU_MAX_N_SHIFT; shift++)
		for (int i = 0; i < 20000; i++) {
			uint32_t prod, cons, n = rnd32() % ((1u << shift) + 2);

			valid_pair(shift, &prod, &cons);
			assert_int_equal(sim_q_has_space(prod, cons, n, shift),
					 smmu_q_space(prod, cons, shift) >= n);
			assert_int_equal(sim_q_consumed(cons, prod, shift),
					 smmu_q_consumed(cons, prod, shift));
		}
}

/* edges the random draws may miss: empty, full, one short, across the wrap */
static uint64_t rnd64(void)
{
	return (uint64_t)rnd32() << 32 | rnd32();
}

/* commands the simulator encodes decode to the same fields, walk step included */
static void test_encoding_matches_decode(void **state)
{
	for (int i = 0; i < 10000; i++) {
		uint64_t w[2] = { rnd64(), rnd64() }, addr = rnd64() & ~0xfffULL;
		uint32_t sid = rnd32(), ssid = rnd32() & 0xfffff;
		uint8_t size = rnd32() & 0x3f, ssv = rnd32() & 1, global = rnd32() & 1;
		struct smmu_cmd c;

		spec_new(w, SPEC_OP_ATC_INV);
		spec_set(w, SPEC_ATC_SID, sid);
		spec_set(w, SPEC_ATC_SSID, ssid);
		spec_set(w, SPEC_ATC_SSV, ssv);
		spec_set(w, SPEC_ATC_GLOBAL, global);
		spec_set(w, SPEC_ATC_SIZE, size);
		spec_set(w, SPEC_ATC_ADDR, addr >> 12);
		smmu_cmd_decode(w[0], w[1], &c);
		assert_int_equal(c.op, CMDQ_OP_ATC_INV);
		assert_int_equal(c.atc.sid, sid);
		assert_int_equal(c.atc.ssid, ssid);
		assert_int_equal(c.atc.ssv, ssv);
		assert_int_equal(c.atc.global, global);
		assert_int_equal(c.atc.size, size);
		assert_int_equal(c.atc.addr, addr);
		assert_int_equal(smmu_walk_slot(w[0]), (uint32_t)w[0] ? SMMU_SLOT_ATC_INV
								: SMMU_SLOT_DONE_SYNC);

		spec_new(w, SPEC_OP_CMD_SYNC);
		spec_set(w, SPEC_SYNC_CS, rnd32() % 3);
		spec_set(w, SPEC_SYNC_MSH, 3);
		spec_set(w, SPEC_SYNC_MSIATTR, 0xf);
		spec_set(w, SPEC_SYNC_MSIADDR, addr >> 2);
		smmu_cmd_decode(w[0], w[1], &c);
		assert_int_equal(c.op, CMDQ_OP_CMD_SYNC);
		assert_int_equal(c.sync.cs, spec_get(w, SPEC_SYNC_CS));
		assert_int_equal(c.sync.msh, 3);
		assert_int_equal(c.sync.msiattr, 0xf);
		assert_int_equal(c.sync.msiaddr, addr & 0xffffffffffffcULL);
		assert_int_equal(smmu_walk_slot(w[0]), SMMU_SLOT_SYNC);

		spec_new(w, SPEC_OP_TLBI_NH_VA);
		spec_set(w, SPEC_TLBI_ASID, sid & 0xffff);
		spec_set(w, SPEC_TLBI_VA, addr >> 12);
		smmu_cmd_decode(w[0], w[1], &c);
		assert_int_equal(c.tlbi.asid, sid & 0xffff);
		assert_int_equal(c.tlbi.addr, addr);
		assert_int_equal(smmu_walk_slot(w[0]), SMMU_SLOT_OTHER);
	}
}

static void test_space_edges(void **state)
{
	const unsigned int shift = 8;
	const uint32_t size = 1u << shift;

	assert_true(sim_q_has_space(0x10, 0x10, size, shift));		/* empty */
	assert_false(sim_q_has_space(0x10 | size, 0x10, 1, shift));	/* full */
	assert_true(sim_q_has_space(0x0f | size, 0x10, 1, shift));	/* one left */
	assert_false(sim_q_has_space(0x0f | size, 0x10, 2, shift));
	assert_false(sim_q_consumed(0x10, 0x10, shift));
	assert_true(sim_q_consumed(0x11, 0x10, shift));
	assert_true(sim_q_consumed(0x05 | size, 0xf0, shift));		/* cons wrapped past */
	assert_int_equal(sim_q_inc(0xff, 1, shift), size);		/* carry flips WRP */
	assert_int_equal(sim_q_inc(0xff | size, 1, shift), 0);		/* and back */
	assert_int_equal(sim_q_inc(0x80000000u | 0xff | size, 1, shift), 0x80000000u);
}

/* the simulator's unwrapped counter folds into the driver's wrap|idx */
static void test_pos_folding(void **state)
{
	for (unsigned int shift = 7; shift <= 12; shift++) {
		uint32_t pos = 0;

		for (uint64_t abs = 0; abs < (8ULL << shift); abs += 1 + rnd32() % 70) {
			struct smmu_qpos p;

			while (smmu_q_dist(pos, sim_q_pos(abs, shift), shift))
				pos = smmu_q_inc(pos, 1, shift);
			smmu_qpos_split(sim_q_pos(abs, shift), shift, &p);
			assert_int_equal(p.idx, abs % (1u << shift));
			assert_int_equal(p.wrap, (abs >> shift) & 1);
			assert_int_equal(sim_q_pos(abs, shift), pos);
		}
	}
}

/* ---- the event stream --------------------------------------------------- */

#define MAX_EVENTS	400000

struct stream {
	struct smmu_event *ev;
	int n;
	uint64_t hash;
};

static void collect(void *ctx, const struct smmu_event *ev)
{
	struct stream *s = ctx;
	const unsigned char *b = (const unsigned char *)ev;

	for (size_t i = 0; i < sizeof(*ev); i++)
		s->hash = (s->hash ^ b[i]) * 0x100000001b3ULL;
	if (s->n < MAX_EVENTS)
		s->ev[s->n++] = *ev;
}

static const struct scenario *find(const char *name, int *idx)
{
	for (int i = 0; i < n_scenarios; i++)
		if (!strcmp(scenarios[i].name, name)) {
			*idx = i;
			return &scenarios[i];
		}
	fail_msg("no scenario %s", name);
	return NULL;
}

static void run(const char *name, uint64_t seed, struct stream *s, struct sim_result *res,
		struct sim_config *cfg)
{
	int idx = 0;

	find(name, &idx);
	scenario_config(idx, seed, cfg);
	memset(s, 0, sizeof(*s));
	s->hash = 0xcbf29ce484222325ULL;
	s->ev = calloc(MAX_EVENTS, sizeof(*s->ev));
	assert_non_null(s->ev);
	assert_int_equal(sim_run(cfg, collect, s, res), 0);
	assert_true(s->n < MAX_EVENTS);
}

static void done(struct stream *s, struct sim_result *res)
{
	free(s->ev);
	sim_result_free(res);
}

static void test_deterministic(void **state)
{
	struct stream a, b, c;
	struct sim_result ra, rb, rc;
	struct sim_config cfg;

	run("concurrent-issuers", 0, &a, &ra, &cfg);
	run("concurrent-issuers", 0, &b, &rb, &cfg);
	run("concurrent-issuers", 77, &c, &rc, &cfg);
	assert_int_equal(a.n, b.n);
	assert_true(a.hash == b.hash);
	assert_int_equal(ra.n_truth, rb.n_truth);
	assert_memory_equal(ra.truth, rb.truth, ra.n_truth * sizeof(*ra.truth));
	assert_true(a.hash != c.hash);
	done(&a, &ra);
	done(&b, &rb);
	done(&c, &rc);
}

/* every failure the ISR handled printed its CONS, and the walk followed it */
static void check_errors(const struct sim_config *cfg, const struct stream *s,
			 const struct sim_result *res)
{
	for (int i = 0; i < res->n_truth; i++) {
		const struct sim_truth *t = &res->truth[i];
		bool seen = false;

		if (t->collateral || !t->isr_ns)
			continue;
		for (int k = 0; k < s->n && !seen; k++) {
			const struct smmu_event *ev = &s->ev[k];

			seen = ev->hdr.type == SMMU_EV_CMDQ_ERROR &&
			       ev->hdr.mono_ns == t->isr_ns &&
			       !strcmp(ev->hdr.smmu, cfg->smmu[t->smmu].name) &&
			       ev->cmdq_error.cons == (t->pos | 3u << 24) &&
			       ev->cmdq_error.cerror == SMMU_CERROR_ATC_INV_SYNC &&
			       (ev->hdr.flags & SMMU_EVF_MONO) && k + 1 < s->n &&
			       s->ev[k + 1].hdr.type == SMMU_EV_QUEUE_WALK &&
			       s->ev[k + 1].walk.cons == ev->cmdq_error.cons &&
			       s->ev[k + 1].walk.cmdq == t->cmdq &&
			       s->ev[k + 1].hdr.cpu == ev->hdr.cpu;
		}
		assert_true(seen);
	}
}

/* a walk the ring did not betray lists the failing device */
static void check_walks(const struct sim_config *cfg, const struct stream *s,
			const struct sim_result *res)
{
	int checked = 0;

	for (int i = 0; i < res->n_truth; i++) {
		const struct sim_truth *t = &res->truth[i];

		if (t->collateral || !t->isr_ns || t->walk_stale || t->retries)
			continue;
		for (int k = 0; k < s->n; k++) {
			const struct smmu_ev_queue_walk *w = &s->ev[k].walk;
			bool named = false;

			if (s->ev[k].hdr.type != SMMU_EV_QUEUE_WALK ||
			    s->ev[k].hdr.mono_ns != t->isr_ns || w->cmdq != t->cmdq)
				continue;
			if (w->n_atc != w->n_atc_rec || w->stop > SMMU_WALK_DONE_SYNC)
				break;
			for (int a = 0; a < w->n_atc_rec; a++)
				for (int d = 0; d < t->n_devs; d++)
					for (int x = 0; x < cfg->dev[t->dev[d]].n_sids; x++)
						named |= w->atc[a].sid == cfg->dev[t->dev[d]].sid[x];
			assert_true(named);
			checked++;
			break;
		}
	}
	assert_true(checked > 0);
}

/* records exist only for calls that matter, shaped like bpf/issue.bpf.h makes them */
static void check_issues(const struct sim_config *cfg, const struct stream *s)
{
	for (int k = 0; k < s->n; k++) {
		const struct smmu_ev_issue *is = &s->ev[k].issue;

		if (s->ev[k].hdr.type != SMMU_EV_ISSUE)
			continue;
		assert_true(is->why);
		assert_true(!!is->ret == !!(is->why & SMMU_WHY_RET));
		assert_true(is->sync);
		assert_true(is->n_atc_rec <= SMMU_MAX_ATC && is->n_atc >= is->n_atc_rec);
		assert_true(cfg->gcc ? is->sync_prod != SMMU_NO_POS
				     : is->sync_prod == SMMU_NO_POS);
		if (cfg->kernel == SIM_UNPATCHED)
			assert_true(is->ret == 0 || (is->ret == -ETIMEDOUT &&
						     is->duration_ns >= NSEC));
		else if (is->ret && is->duration_ns < NSEC)
			assert_int_equal(is->ret, cfg->kernel == SIM_PATCHED_V2 ? -ETIMEDOUT
										 : -EIO);
	}
}

/* dev_err_ratelimited: 10 per 5 s per call site, the rest counted */
static void check_ratelimit(const struct stream *s, const struct sim_result *res)
{
	uint64_t suppressed = 0;

	for (int k = 0; k < s->n; k++) {
		int in_window = 0;

		if (s->ev[k].hdr.type == SMMU_EV_SUPPRESSED) {
			assert_string_equal(s->ev[k].suppressed.func, "arm_smmu_cmdq_issue_cmdlist");
			suppressed += s->ev[k].suppressed.count;
		}
		if (s->ev[k].hdr.type != SMMU_EV_SYNC_TIMEOUT)
			continue;
		for (int j = k; j >= 0 && s->ev[k].hdr.mono_ns - s->ev[j].hdr.mono_ns <= 5 * NSEC;
		     j--)
			in_window += s->ev[j].hdr.type == SMMU_EV_SYNC_TIMEOUT;
		assert_true(in_window <= 2 * 10);	/* two windows' bursts at most */
	}
	assert_true(suppressed > 0);
	assert_true(suppressed <= res->stats.suppressed_lines);
}

static void test_stream_isr_late(void **state)
{
	struct sim_config cfg;
	struct sim_result res;
	struct stream s;

	run("isr-late", 0, &s, &res, &cfg);
	check_errors(&cfg, &s, &res);
	check_issues(&cfg, &s);
	check_ratelimit(&s, &res);
	/* the scenario must produce what it is named after */
	assert_true(res.stats.isr_late > 0);
	assert_true(res.stats.walks_stale > 0);
	/* reused slots: CONS on someone's TLBI, or a walk into a later lap's CMD_SYNC */
	{
		int not_sync = 0, later_sync = 0;

		for (int i = 0; i < res.n_truth; i++) {
			const struct sim_truth *t = &res.truth[i];

			for (int k = 0; k < s.n && t->walk_stale && !t->collateral; k++) {
				if (s.ev[k].hdr.type != SMMU_EV_QUEUE_WALK ||
				    s.ev[k].hdr.mono_ns != t->isr_ns)
					continue;
				not_sync += s.ev[k].walk.stop == SMMU_WALK_NOT_SYNC;
				later_sync += s.ev[k].walk.stop == SMMU_WALK_PREV_SYNC;
				break;
			}
		}
		assert_true(not_sync > 0 && later_sync > 0);
	}
	done(&s, &res);
}

static void test_stream_concurrent(void **state)
{
	struct sim_config cfg;
	struct sim_result res;
	struct stream s;

	run("concurrent-issuers", 0, &s, &res, &cfg);
	check_errors(&cfg, &s, &res);
	check_walks(&cfg, &s, &res);
	check_issues(&cfg, &s);
	done(&s, &res);
}

static void test_stream_patched(void **state)
{
	struct sim_config cfg;
	struct sim_result res;
	struct stream s;
	int fast_eio = 0, lines = 0;

	run("patched-v3", 0, &s, &res, &cfg);
	check_errors(&cfg, &s, &res);
	check_walks(&cfg, &s, &res);
	check_issues(&cfg, &s);
	for (int k = 0; k < s.n; k++) {
		fast_eio += s.ev[k].hdr.type == SMMU_EV_ISSUE && s.ev[k].issue.ret == -EIO;
		lines += s.ev[k].hdr.type == SMMU_EV_ATC_SYNC_FAIL;
		if (s.ev[k].hdr.type == SMMU_EV_QUEUE_WALK)
			assert_int_equal(s.ev[k].walk.bitmap, 1);
	}
	assert_true(fast_eio > 0 && lines > 0);
	done(&s, &res);
}

/* batches over 64 commands: sync-less chunks carried into the sync call's record */
static void test_stream_splits(void **state)
{
	struct sim_config cfg;
	struct sim_result res;
	struct stream s;
	int carried = 0;

	run("batch-splits", 0, &s, &res, &cfg);
	check_errors(&cfg, &s, &res);
	check_issues(&cfg, &s);
	for (int k = 0; k < s.n; k++)
		carried += s.ev[k].hdr.type == SMMU_EV_ISSUE && s.ev[k].issue.n_atc > s.ev[k].issue.n;
	assert_true(carried > 0);
	for (int i = 0; i < res.n_truth; i++)
		carried += res.truth[i].foreign;
	assert_true(carried > 1);
	done(&s, &res);
}

/* Tegra241-style queues: their own cmdq pointer and index space */
static void test_stream_vcmdq(void **state)
{
	struct sim_config cfg;
	struct sim_result res;
	struct stream s;
	int vq = 0;

	run("multi-smmu", 0, &s, &res, &cfg);
	check_errors(&cfg, &s, &res);
	check_walks(&cfg, &s, &res);
	check_issues(&cfg, &s);
	for (int i = 0; i < res.n_truth; i++)
		if (res.truth[i].queue > 0) {
			vq++;
			assert_int_equal(res.truth[i].max_n_shift, cfg.smmu[res.truth[i].smmu].vcmdq_shift);
		}
	assert_true(vq > 0);
	done(&s, &res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inc_matches_decode),
		cmocka_unit_test(test_space_and_consumed_match_decode),
		cmocka_unit_test(test_encoding_matches_decode),
		cmocka_unit_test(test_space_edges),
		cmocka_unit_test(test_pos_folding),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_stream_isr_late),
		cmocka_unit_test(test_stream_concurrent),
		cmocka_unit_test(test_stream_patched),
		cmocka_unit_test(test_stream_splits),
		cmocka_unit_test(test_stream_vcmdq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
