// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The engine's attribution rules, one at a time, with BPF-shaped records
 * built by hand: when a walk is trusted, collateral sync timeouts, stale
 * atc_sync_timeouts bits, retries versus a new lap, foreign chunks, and the
 * narrowing across incidents.  The simulator measures the rules together;
 * these pin each one down.
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

#include "engine.h"

#define MS		1000000ULL
#define SEC		1000000000ULL
#define SMMU		"arm-smmu-v3.0.auto"
#define CMDQ_A		0xffff000012000040ULL
#define CMDQ_B		0xffff00001a001000ULL
#define SHIFT		8
#define MAX_INC		16

#include "engine_run.h"

static void hdr(struct smmu_event *ev, int type, uint64_t t, bool bpf)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = type;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.flags = SMMU_EVF_MONO | (bpf ? SMMU_EVF_BPF : 0);
	ev->hdr.mono_ns = t;
	strcpy(ev->hdr.smmu, SMMU);
}

static void error_line(struct run *r, uint64_t t, uint32_t cons)
{
	struct smmu_event ev;

	hdr(&ev, SMMU_EV_CMDQ_ERROR, t, false);
	ev.cmdq_error.cons = cons;
	ev.cmdq_error.cerror = cons >> 24 & 0x7f;
	engine_feed(r->e, &ev);
}

static void walk(struct run *r, uint64_t t, uint64_t cmdq, uint32_t cons, int n,
		 const uint32_t *sids)
{
	struct smmu_event ev;

	hdr(&ev, SMMU_EV_QUEUE_WALK, t, true);
	ev.walk.cmdq = cmdq;
	ev.walk.cons = cons;
	ev.walk.max_n_shift = SHIFT;
	ev.walk.stop = SMMU_WALK_PREV_SYNC;
	ev.walk.bitmap = 2;
	ev.walk.walked = n + 1;
	ev.walk.n_atc = ev.walk.n_atc_rec = n;
	for (int i = 0; i < n; i++)
		ev.walk.atc[i].sid = sids[i];
	engine_feed(r->e, &ev);
}

struct rec {
	uint64_t cmdq;
	uint64_t dur;
	uint32_t sync_prod, pe, px;
	int ret;
	uint16_t n, n_atc;
	int n_sids;
	uint32_t sid[4];
};

static void issue(struct run *r, uint64_t t_end, const struct rec *x)
{
	struct smmu_event ev;

	hdr(&ev, SMMU_EV_ISSUE, t_end, true);
	ev.issue.cmdq = x->cmdq ? x->cmdq : CMDQ_A;
	ev.issue.smmu_ptr = CMDQ_A & ~0xfffULL;
	/* queue A is the SMMU's own, as BPF tells from the kernel's BTF */
	ev.hdr.flags |= ev.issue.cmdq == CMDQ_A ? SMMU_EVF_MAIN_CMDQ : SMMU_EVF_OTHER_CMDQ;
	ev.issue.duration_ns = x->dur;
	ev.issue.sync_prod = x->sync_prod;
	ev.issue.prod_entry = x->pe;
	ev.issue.prod_exit = x->px;
	ev.issue.ret = x->ret;
	ev.issue.sync = 1;
	ev.issue.max_n_shift = SHIFT;
	ev.issue.n = x->n ? x->n : x->n_sids;
	ev.issue.n_atc = x->n_atc ? x->n_atc : x->n_sids;
	ev.issue.n_atc_rec = x->n_sids;
	ev.issue.tid = ev.issue.pid = 100 + x->sync_prod;
	ev.issue.why = (x->ret ? SMMU_WHY_RET : 0) | SMMU_WHY_ERROR;
	for (int i = 0; i < x->n_sids; i++)
		ev.issue.atc[i].sid = x->sid[i];
	engine_feed(r->e, &ev);
}

static void sync_timeout_line(struct run *r, uint64_t t, uint32_t prod, uint32_t hwcons)
{
	struct smmu_event ev;

	hdr(&ev, SMMU_EV_SYNC_TIMEOUT, t, false);
	ev.sync_timeout.prod = prod;
	ev.sync_timeout.hwprod = prod + 8;
	ev.sync_timeout.hwcons = hwcons;
	ev.sync_timeout.have_hw = 1;
	engine_feed(r->e, &ev);
}

static void atc_fail_line(struct run *r, uint64_t t, uint32_t prod)
{
	struct smmu_event ev;

	hdr(&ev, SMMU_EV_ATC_SYNC_FAIL, t, false);
	ev.atc_sync_fail.prod = prod;
	engine_feed(r->e, &ev);
}

static const struct device_stat *dev_by_sid(struct run *r, uint32_t sid)
{
	for (int i = 0; i < engine_n_devices(r->e); i++) {
		const struct device_stat *d = engine_device(r->e, i);

		if (d->have_sid && d->sid == sid)
			return d;
	}
	fail_msg("no device row for sid 0x%x", sid);
	return NULL;
}

static uint32_t top_sid(const struct incident *inc)
{
	assert_true(inc->top >= 0 && inc->top < inc->n_suspects);
	return inc->suspects[inc->top].sid;
}

/* ---- tests ---------------------------------------------------------------- */

/* each batch alone is ambiguous; one device is in all of them */
static void test_narrowing(void **state)
{
	static const uint32_t s1[] = { 0x100, 0x200 }, s2[] = { 0x300, 0x100 },
			      s3[] = { 0x100, 0x400 }, s4[] = { 0x100 };
	struct run *r = run_new();

	error_line(r, 1 * SEC, 0x03000010);
	walk(r, 1 * SEC, CMDQ_A, 0x03000010, 2, s1);
	error_line(r, 5 * SEC, 0x03000020);
	walk(r, 5 * SEC, CMDQ_A, 0x03000020, 2, s2);
	error_line(r, 9 * SEC, 0x03000030);
	walk(r, 9 * SEC, CMDQ_A, 0x03000030, 2, s3);
	engine_finish(r->e);
	assert_int_equal(r->n, 3);
	/* the first batch alone names nobody */
	assert_int_equal(r->inc[0].confidence, CONF_SUSPECT);
	assert_int_equal(r->inc[0].top, -1);
	assert_int_equal(r->inc[0].n_suspects, 2);
	/* by the third, 0x100 is singled out, first in the list */
	assert_int_equal(r->inc[2].confidence, CONF_SUSPECT);
	assert_int_equal(top_sid(&r->inc[2]), 0x100);
	assert_int_equal(r->inc[2].top, 0);
	assert_true(r->inc[2].flags & INCF_NARROWED);
	assert_true(r->inc[2].suspects[0].score > r->inc[2].suspects[1].score);
	assert_int_equal(dev_by_sid(r, 0x100)->verdict, VERDICT_LIKELY);
	assert_int_equal(dev_by_sid(r, 0x100)->failing_batches, 3);
	assert_int_equal(dev_by_sid(r, 0x100)->smmu_failing, 3);
	assert_true(dev_by_sid(r, 0x100)->score >= 900);
	assert_int_equal(dev_by_sid(r, 0x200)->verdict, VERDICT_CLEARED);
	/* a walk with it alone confirms it */
	error_line(r, 13 * SEC, 0x03000040);
	walk(r, 13 * SEC, CMDQ_A, 0x03000040, 1, s4);
	engine_finish(r->e);
	assert_int_equal(r->inc[3].confidence, CONF_CONFIRMED);
	assert_int_equal(dev_by_sid(r, 0x100)->verdict, VERDICT_CULPRIT);
	assert_int_equal(dev_by_sid(r, 0x100)->sole_confirmed, 1);
	run_free(r);
}

/* two devices that always fail together stay indistinguishable */
static void test_no_narrowing_for_twins(void **state)
{
	static const uint32_t s[] = { 0x100, 0x200 };
	struct run *r = run_new();

	for (int i = 0; i < 4; i++) {
		error_line(r, (1 + 4 * i) * SEC, 0x03000010 + i);
		walk(r, (1 + 4 * i) * SEC, CMDQ_A, 0x03000010 + i, 2, s);
	}
	engine_finish(r->e);
	assert_int_equal(r->n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(r->inc[i].top, -1);
	assert_int_equal(dev_by_sid(r, 0x100)->verdict, VERDICT_POSSIBLE);
	assert_int_equal(dev_by_sid(r, 0x200)->score, 500);
	run_free(r);
}

/*
 * The issuer gave up before the ISR ran (GERROR held off): llq.cons may
 * have run past the failing CMD_SYNC, so the walk cannot confirm.
 */
static void test_walk_after_timeout_not_trusted(void **state)
{
	static const uint32_t walk_sids[] = { 0x100 };
	const struct rec mine = { .dur = SEC, .sync_prod = 0x44, .pe = 0x40, .px = 0x60,
				  .ret = -ETIMEDOUT, .n_sids = 1, .sid = { 0x200 } };
	struct run *r = run_new();

	sync_timeout_line(r, 2 * SEC, 0x44, 0x03000044);
	issue(r, 2 * SEC + 1000, &mine);
	error_line(r, 2 * SEC + 5000, 0x03000044);
	walk(r, 2 * SEC + 5000, CMDQ_A, 0x03000044, 1, walk_sids);
	engine_finish(r->e);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].kind, INC_ATC_TIMEOUT);
	assert_true(r->inc[0].flags & INCF_WALK_UNTRUSTED);
	assert_int_not_equal(r->inc[0].confidence, CONF_CONFIRMED);
	assert_int_equal(r->inc[0].confidence, CONF_SUSPECT);
	assert_int_equal(r->inc[0].n_suspects, 2);
	assert_int_equal(r->inc[0].issuer_notified, 1);
	run_free(r);
}

/* the same, but the untrusted walk agrees with the failing issuer's batch */
static void test_untrusted_walk_agreeing_is_probable(void **state)
{
	static const uint32_t walk_sids[] = { 0x200 };
	const struct rec mine = { .dur = SEC, .sync_prod = 0x44, .pe = 0x40, .px = 0x60,
				  .ret = -ETIMEDOUT, .n_sids = 1, .sid = { 0x200 } };
	struct run *r = run_new();

	sync_timeout_line(r, 2 * SEC, 0x44, 0x03000044);
	issue(r, 2 * SEC + 1000, &mine);
	error_line(r, 2 * SEC + 5000, 0x03000044);
	walk(r, 2 * SEC + 5000, CMDQ_A, 0x03000044, 1, walk_sids);
	engine_finish(r->e);
	assert_int_equal(r->inc[0].confidence, CONF_PROBABLE);
	assert_int_equal(top_sid(&r->inc[0]), 0x200);
	run_free(r);
}

/* the queue filled behind the stalled sync: the walked slots may be a lap newer */
static void test_full_queue_walk_not_trusted(void **state)
{
	static const uint32_t sids[] = { 0x100 };
	const struct rec full = { .dur = 30 * MS, .sync_prod = 0x0e, .pe = 0x08,
				  .px = 0x10 + 254, .n_sids = 1, .sid = { 0x300 } };
	const struct rec calm = { .dur = 30 * MS, .sync_prod = 0x2e, .pe = 0x28,
				  .px = 0x40 + 20, .n_sids = 1, .sid = { 0x300 } };
	struct run *r = run_new();

	error_line(r, 1 * SEC, 0x03000010);
	walk(r, 1 * SEC, CMDQ_A, 0x03000010, 1, sids);
	issue(r, 1 * SEC + 2000, &full);
	error_line(r, 5 * SEC, 0x03000040);
	walk(r, 5 * SEC, CMDQ_A, 0x03000040, 1, sids);
	issue(r, 5 * SEC + 2000, &calm);
	engine_finish(r->e);
	assert_int_equal(r->n, 2);
	assert_true(r->inc[0].flags & INCF_WALK_UNTRUSTED);
	assert_int_not_equal(r->inc[0].confidence, CONF_CONFIRMED);
	assert_false(r->inc[1].flags & INCF_WALK_UNTRUSTED);
	assert_int_equal(r->inc[1].confidence, CONF_CONFIRMED);
	run_free(r);
}

/* a sync timeout that queued behind another failing CMD_SYNC names nobody */
static void test_collateral_timeout(void **state)
{
	static const uint32_t sids[] = { 0x100 };
	const struct rec behind = { .dur = SEC, .sync_prod = 0x30, .pe = 0x28, .px = 0x40,
				    .ret = -ETIMEDOUT, .n_sids = 1, .sid = { 0x500 } };
	struct run *r = run_new();

	error_line(r, 1 * SEC, 0x03000020);
	walk(r, 1 * SEC, CMDQ_A, 0x03000020, 1, sids);
	sync_timeout_line(r, 1 * SEC + 500 * MS, 0x30, 0x03000020);
	issue(r, 1 * SEC + 500 * MS + 1000, &behind);
	engine_finish(r->e);
	assert_int_equal(r->n, 2);
	assert_int_equal(r->inc[0].confidence, CONF_CONFIRMED);
	assert_int_equal(top_sid(&r->inc[0]), 0x100);
	assert_int_equal(r->inc[1].kind, INC_SYNC_TIMEOUT);
	assert_true(r->inc[1].flags & INCF_COLLATERAL);
	assert_int_equal(r->inc[1].blocked_by, r->inc[0].id);
	assert_int_equal(r->inc[1].n_suspects, 0);
	assert_int_equal(r->inc[1].top, -1);
	assert_int_equal(r->inc[1].n_issuers, 1);
	run_free(r);
}

/* a ratelimited line: the issuer's -ETIMEDOUT record opens the incident */
static void test_timeout_record_alone(void **state)
{
	const struct rec lone = { .dur = SEC, .sync_prod = 0x44, .pe = 0x40, .px = 0x48,
				  .ret = -ETIMEDOUT, .n_sids = 1, .sid = { 0x500 } };
	struct run *r = run_new();

	issue(r, 2 * SEC, &lone);
	engine_finish(r->e);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].kind, INC_SYNC_TIMEOUT);
	assert_int_equal(r->inc[0].prod, 0x44);
	assert_int_equal(r->inc[0].cmdq, CMDQ_A);
	/* its own batch may just have queued behind somebody else's failure */
	assert_int_equal(r->inc[0].top, -1);
	assert_int_equal(r->inc[0].confidence, CONF_SUSPECT);
	run_free(r);
}

/*
 * Patched kernel, late ISR: the bit it sets after the issuer gave up is
 * found a lap later by an innocent CMD_SYNC at the same index.
 */
static void test_stale_bitmap(void **state)
{
	const struct rec gave_up = { .dur = SEC, .sync_prod = 0x44, .pe = 0x42, .px = 0x50,
				     .ret = -ETIMEDOUT, .n_sids = 1, .sid = { 0x800 } };
	const struct rec innocent = { .dur = 20000, .sync_prod = 0x144, .pe = 0x140,
				      .px = 0x150, .ret = -EIO, .n_sids = 1, .sid = { 0x900 } };
	static const uint32_t real[] = { 0xa00 };
	struct run *r = run_new();

	sync_timeout_line(r, 1 * SEC, 0x44, 0x03000044);
	issue(r, 1 * SEC + 1000, &gave_up);
	error_line(r, 1 * SEC + 500000, 0x03000044);
	atc_fail_line(r, 1 * SEC + 200 * MS, 0x144);
	issue(r, 1 * SEC + 200 * MS + 1000, &innocent);
	/* a genuine failure at that very position soon after is a different one */
	error_line(r, 1 * SEC + 250 * MS, 0x03000144);
	walk(r, 1 * SEC + 250 * MS, CMDQ_A, 0x03000144, 1, real);
	engine_finish(r->e);
	assert_int_equal(r->n, 3);
	assert_int_equal(r->inc[1].kind, INC_ATC_TIMEOUT);
	assert_true(r->inc[1].patched_line);
	assert_false(r->inc[1].have_cons);
	assert_true(r->inc[1].flags & INCF_STALE_BITMAP);
	assert_int_equal(r->inc[1].n_suspects, 0);
	assert_int_equal(r->inc[1].top, -1);
	assert_int_equal(r->inc[1].confidence, CONF_UNKNOWN);
	/* the bit the late ISR left, and the claim linked to it */
	assert_true(r->inc[0].flags & INCF_BITMAP_LEFT);
	assert_int_equal(r->inc[1].stale_from, r->inc[0].id);
	assert_int_equal(r->inc[1].semantics, SEM_V3);
	assert_int_equal(r->inc[2].confidence, CONF_CONFIRMED);
	assert_int_equal(top_sid(&r->inc[2]), 0xa00);
	run_free(r);
}

/* the same CONS again: a retry, unless the CMD_SYNC completed in between */
static void test_retry_or_new_lap(void **state)
{
	static const uint32_t a[] = { 0x100 }, b[] = { 0x200 };
	const struct rec done = { .dur = 5 * MS, .sync_prod = 0x44, .pe = 0x43, .px = 0x50,
				  .n_sids = 1, .sid = { 0x100 } };
	struct run *r = run_new();

	error_line(r, 1 * SEC, 0x03000044);
	walk(r, 1 * SEC, CMDQ_A, 0x03000044, 1, a);
	issue(r, 1 * SEC + 100000, &done);
	/* two laps later (a 256-entry queue laps in well under 50 ms) */
	error_line(r, 1 * SEC + 50 * MS, 0x03000044);
	walk(r, 1 * SEC + 50 * MS, CMDQ_A, 0x03000044, 1, b);
	/* a real retry: nothing completed between the two errors */
	error_line(r, 5 * SEC, 0x03000080);
	walk(r, 5 * SEC, CMDQ_A, 0x03000080, 1, a);
	error_line(r, 5 * SEC + 10 * MS, 0x03000080);
	walk(r, 5 * SEC + 10 * MS, CMDQ_A, 0x03000080, 1, b);
	engine_finish(r->e);
	assert_int_equal(r->n, 3);
	assert_int_equal(top_sid(&r->inc[0]), 0x100);
	assert_int_equal(r->inc[0].retries, 0);
	assert_int_equal(top_sid(&r->inc[1]), 0x200);
	assert_int_equal(r->inc[1].confidence, CONF_CONFIRMED);
	assert_int_equal(r->inc[2].retries, 1);
	assert_int_equal(top_sid(&r->inc[2]), 0x100);	/* the first walk of it */
	run_free(r);
}

/* another CPU's sync-less chunk may sit between the previous sync and ours */
static void test_foreign_chunk(void **state)
{
	const struct rec mine = { .dur = 20 * MS, .sync_prod = 0x44, .pe = 0x42, .px = 0x60,
				  .n_sids = 1, .sid = { 0x100 } };
	const struct rec carrier = { .dur = 20 * MS, .sync_prod = 0x60, .pe = 0x50, .px = 0x61,
				     .n = 2, .n_atc = 66, .n_sids = 2, .sid = { 0x700, 0x700 } };
	struct run *r = run_new();

	error_line(r, 1 * SEC, 0x03000044);
	issue(r, 1 * SEC + 1000, &mine);
	issue(r, 1 * SEC + 2000, &carrier);
	engine_finish(r->e);
	assert_int_equal(r->n, 1);
	assert_true(r->inc[0].flags & INCF_FOREIGN_RISK);
	assert_int_equal(r->inc[0].confidence, CONF_SUSPECT);
	assert_int_equal(r->inc[0].n_suspects, 2);
	assert_int_equal(r->inc[0].top, -1);
	run_free(r);
}

/* per-CPU virtual queues: same SMMU, own index space, own records */
static void test_queues_kept_apart(void **state)
{
	static const uint32_t sids[] = { 0x100 };
	const struct rec other_q = { .cmdq = CMDQ_B, .dur = 20 * MS, .sync_prod = 0x10,
				     .pe = 0x0e, .px = 0x20, .n_sids = 1, .sid = { 0x200 } };
	const struct rec same_q = { .cmdq = CMDQ_A, .dur = 20 * MS, .sync_prod = 0x10,
				    .pe = 0x0e, .px = 0x20, .n_sids = 1, .sid = { 0x100 } };
	struct run *r = run_new();

	error_line(r, 1 * SEC, 0x03000010);
	walk(r, 1 * SEC, CMDQ_A, 0x03000010, 1, sids);
	issue(r, 1 * SEC + 1000, &other_q);
	issue(r, 1 * SEC + 2000, &same_q);
	engine_finish(r->e);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].cmdq, CMDQ_A);
	assert_int_equal(r->inc[0].n_issuers, 1);
	assert_int_equal(r->inc[0].issuers[0].tid, 100 + 0x10);
	assert_int_equal(r->inc[0].n_suspects, 1);
	assert_int_equal(r->inc[0].confidence, CONF_CONFIRMED);
	run_free(r);
}

static void test_names(void **state)
{
	assert_string_equal(verdict_name(VERDICT_CULPRIT), "culprit");
	assert_string_equal(verdict_name(VERDICT_CLEARED), "cleared");
	assert_string_equal(verdict_name(VERDICT_LEVELS), "?");
	assert_string_equal(incident_flag_name(3), "collateral");
	assert_string_equal(incident_flag_name(INCF_KINDS), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_narrowing),
		cmocka_unit_test(test_no_narrowing_for_twins),
		cmocka_unit_test(test_walk_after_timeout_not_trusted),
		cmocka_unit_test(test_untrusted_walk_agreeing_is_probable),
		cmocka_unit_test(test_full_queue_walk_not_trusted),
		cmocka_unit_test(test_collateral_timeout),
		cmocka_unit_test(test_timeout_record_alone),
		cmocka_unit_test(test_stale_bitmap),
		cmocka_unit_test(test_retry_or_new_lap),
		cmocka_unit_test(test_foreign_chunk),
		cmocka_unit_test(test_queues_kept_apart),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
