// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The engine's trust rules at their edges: each test pins one rule that a
 * small change to the engine would break (the mutation stage in
 * tests/mutation/ checks that it does).  Records are built as the BPF
 * programs and the log parser would send them.
 */
#include <errno.h>

#include "testutil.h"

#include "engine_run.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

/* "allocated N entries for cmdq": the SMMU's main queue size */
static void queue_info(struct run *r, uint32_t shift)
{
	struct smmu_event ev;

	mk_hdr(&ev, SMMU_EV_QUEUE_INFO, 1);
	ev.hdr.flags &= ~SMMU_EVF_BPF;
	ev.queue_info.queue = SMMU_Q_CMDQ;
	ev.queue_info.max_n_shift = shift;
	ev.queue_info.entries = 1u << shift;
	engine_feed(r->e, &ev);
}

static void walk_rec_on(struct run *r, uint64_t cmdq, uint32_t cons, uint64_t t, int stop,
			int n_atc, int n_rec, const uint32_t *sids, uint32_t shift)
{
	struct smmu_event ev;

	mk_hdr(&ev, SMMU_EV_QUEUE_WALK, t);
	ev.walk.cmdq = cmdq;
	ev.walk.cons = cons;
	ev.walk.max_n_shift = shift;
	ev.walk.stop = stop;
	ev.walk.walked = n_atc + 1;
	ev.walk.bitmap = 2;
	ev.walk.n_atc = n_atc;
	ev.walk.n_atc_rec = n_rec;
	for (int i = 0; i < n_rec; i++)
		ev.walk.atc[i].sid = sids[i < n_atc ? i : 0];
	engine_feed(r->e, &ev);
}

/* a walk of the unknown queue whose ATC_INVs all name one SID */
static void walk_rec(struct run *r, uint32_t cons, uint64_t t, int stop, int n_atc,
		     int n_rec, uint32_t sid, uint32_t shift)
{
	uint32_t sids[SMMU_MAX_ATC];

	for (int i = 0; i < SMMU_MAX_ATC; i++)
		sids[i] = sid;
	walk_rec_on(r, 0, cons, t, stop, n_atc, n_rec, sids, shift);
}

/* a walk that hit its bound names one device: not a confirmation */
static void test_partial_walk_is_not_confirmed(void **state)
{
	struct run *r = run_new();

	walk_rec(r, 0x03000044, 1000, SMMU_WALK_BOUND, 3, 3, 0x100, 8);
	feed_error(r, 0x03000044, 1001);
	/* a walk whose ATC list was cut at SMMU_MAX_ATC */
	walk_rec(r, 0x03000090, 20 * SEC, SMMU_WALK_PREV_SYNC, SMMU_MAX_ATC + 4,
		 SMMU_MAX_ATC, 0x100, 8);
	feed_error(r, 0x03000090, 20 * SEC + 1);
	/* the same walk, complete: confirmed */
	walk_rec(r, 0x030000a0, 40 * SEC, SMMU_WALK_PREV_SYNC, 3, 3, 0x100, 8);
	feed_error(r, 0x030000a0, 40 * SEC + 1);
	engine_finish(r->e);
	assert_int_equal(r->n, 3);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(r->inc[i].n_suspects, 1);
		assert_true(r->inc[i].flags & INCF_WALK_PARTIAL);
		assert_false(r->inc[i].flags & INCF_WALK_UNTRUSTED);
		assert_int_equal(r->inc[i].confidence, CONF_SUSPECT);
	}
	assert_false(r->inc[2].flags & INCF_WALK_PARTIAL);
	assert_int_equal(r->inc[2].confidence, CONF_CONFIRMED);
	run_free(r);
}

/*
 * A VCMDQ of 256 slots on an SMMU whose main queue has 65536: the incident
 * is about the walked queue, and the queue's own size decides whether the
 * issuers behind the stalled sync can have lapped the walked slots.
 */
static void test_walk_size_is_the_queue_size(void **state)
{
	static const uint32_t sids[] = { 0x200 };
	struct run *r = run_new();

	queue_info(r, 16);
	walk_rec(r, 0x03000044, 1000, SMMU_WALK_PREV_SYNC, 1, 1, 0x100, 8);
	feed_error(r, 0x03000044, 1001);
	/* in flight at the error, its commands end 254 slots past CONS: a lap of 256 */
	feed_issue(r, 2 * MS, 2 * MS - 500, SMMU_NO_POS, 0x140, 0x142, 0, 1, sids);
	engine_finish(r->e);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].max_n_shift, 8);
	assert_true(r->inc[0].flags & INCF_WALK_UNTRUSTED);
	assert_true(r->inc[0].confidence < CONF_CONFIRMED);
	run_free(r);
}

/* an issuer's batch cut at SMMU_MAX_ATC may hide the culprit: weak evidence */
static void test_cut_issuer_list_is_weak(void **state)
{
	uint32_t sids[SMMU_MAX_ATC];
	const struct device_stat *d;
	struct smmu_event ev;
	struct run *r = run_new();

	for (int i = 0; i < SMMU_MAX_ATC; i++)
		sids[i] = 0x300;
	feed_error(r, 0x03000044, 1 * SEC);
	mk_hdr(&ev, SMMU_EV_ISSUE, 2 * SEC);
	ev.issue.duration_ns = 1500 * MS;
	ev.issue.sync = 1;
	ev.issue.sync_prod = 0x44;
	ev.issue.prod_entry = 0x20;
	ev.issue.prod_exit = 0x45;
	ev.issue.ret = -ETIMEDOUT;
	ev.issue.max_n_shift = 8;
	ev.issue.n = 40;
	ev.issue.n_atc = SMMU_MAX_ATC + 8;
	ev.issue.n_atc_rec = SMMU_MAX_ATC;
	for (int i = 0; i < SMMU_MAX_ATC; i++)
		ev.issue.atc[i].sid = sids[i];
	engine_feed(r->e, &ev);
	engine_finish(r->e);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].n_suspects, 1);
	assert_int_equal(r->inc[0].confidence, CONF_SUSPECT);
	/* the only suspect of a weak set is not singled out on its own */
	assert_int_equal(r->inc[0].top, -1);
	d = engine_device(r->e, 0);
	assert_int_equal(d->sid, 0x300);
	assert_int_not_equal(d->verdict, VERDICT_LIKELY);
	assert_int_not_equal(d->verdict, VERDICT_CULPRIT);
	run_free(r);
}

/* the one ATC timeout among the settled incidents */
static const struct incident *atc_incident(const struct run *r)
{
	const struct incident *found = NULL;

	for (int i = 0; i < r->n; i++)
		if (r->inc[i].kind == INC_ATC_TIMEOUT) {
			assert_null(found);
			found = &r->inc[i];
		}
	assert_non_null(found);
	return found;
}

/*
 * A software timeout 1.5 s before the walk, past CONS, could mean the ring
 * was rewritten, unless the failing sync was queued less than a second
 * before the walk: then no later sync can have timed out yet.  The issuer
 * of the failing sync returned at 11.6 s after 'dur'.
 */
static struct run *hazard_case(uint64_t dur)
{
	static const uint32_t sids[] = { 0x100 };
	struct run *r = run_new();

	feed_sync_timeout(r, 10 * SEC, 0x50, 0x58, 0x44);
	walk_rec(r, 0x03000044, 11500 * MS, SMMU_WALK_PREV_SYNC, 1, 1, 0x100, 8);
	feed_error(r, 0x03000044, 11500 * MS + 1);
	feed_issue(r, 11600 * MS, dur, 0x44, 0x42, 0x45, 0, 1, sids);
	engine_finish(r->e);
	return r;
}

static void test_recent_queueing_keeps_the_walk_trusted(void **state)
{
	struct run *r = hazard_case(600 * MS);
	const struct incident *inc = atc_incident(r);

	assert_false(inc->flags & INCF_WALK_UNTRUSTED);
	assert_int_equal(inc->confidence, CONF_CONFIRMED);
	run_free(r);
}

static void test_old_queueing_leaves_the_walk_untrusted(void **state)
{
	struct run *r = hazard_case(2600 * MS);
	const struct incident *inc = atc_incident(r);

	assert_true(inc->flags & INCF_WALK_UNTRUSTED);
	assert_true(inc->confidence < CONF_CONFIRMED);
	run_free(r);
}

/* another queue's software timeout says nothing about this queue's slots */
static void test_other_queue_timeout_keeps_the_walk_trusted(void **state)
{
	static const uint32_t sids[] = { 0x100 }, other[] = { 0x700 };
	const struct incident *inc;
	struct smmu_event ev;
	struct run *r = run_new();

	mk_hdr(&ev, SMMU_EV_ISSUE, 10 * SEC);
	ev.issue.cmdq = 0xffff000012340000ULL;
	ev.issue.duration_ns = 1000 * MS;
	ev.issue.sync = 1;
	ev.issue.sync_prod = 0x50;
	ev.issue.prod_entry = 0x4c;
	ev.issue.prod_exit = 0x51;
	ev.issue.ret = -ETIMEDOUT;
	ev.issue.max_n_shift = 8;
	ev.issue.n = ev.issue.n_atc = ev.issue.n_atc_rec = 1;
	ev.issue.atc[0].sid = other[0];
	engine_feed(r->e, &ev);
	walk_rec_on(r, 0xffff000056780000ULL, 0x03000044, 11 * SEC, SMMU_WALK_PREV_SYNC, 1, 1,
		    sids, 8);
	feed_error(r, 0x03000044, 11 * SEC + 1);
	engine_finish(r->e);
	inc = atc_incident(r);
	assert_false(inc->flags & INCF_WALK_UNTRUSTED);
	assert_int_equal(inc->confidence, CONF_CONFIRMED);
	run_free(r);
}

/*
 * A timed-out sync whose ISR is still to come keeps the SMMU stalled for the
 * retry window after its line: a sync timeout behind it in that time is
 * collateral of it, and says which incident blocked it.
 */
static void test_settled_stall_blocks_for_the_retry_window(void **state)
{
	struct run *r = run_new();

	queue_info(r, 16);
	feed_sync_timeout(r, 10 * SEC, 0x44, 0x50, 0x03000044);
	feed_sync_timeout(r, 20500 * MS, 0x60, 0x70, 0x03000044);
	engine_finish(r->e);
	assert_int_equal(r->n, 2);
	assert_int_equal(r->inc[0].prod, 0x44);
	assert_false(r->inc[0].flags & INCF_COLLATERAL);
	assert_true(r->inc[1].flags & INCF_COLLATERAL);
	assert_int_equal(r->inc[1].blocked_by, r->inc[0].id);
	run_free(r);
}

/* only the SMMU's own queue (BPF's flag) tells the size of the SMMU's queue */
static void test_main_queue_from_the_record_flag(void **state)
{
	struct run *r = run_new();
	struct smmu_event ev;

	mk_hdr(&ev, SMMU_EV_ISSUE, SEC);
	ev.hdr.flags |= SMMU_EVF_OTHER_CMDQ;
	ev.issue.smmu_ptr = 0xffff000056780000ULL;
	ev.issue.cmdq = ev.issue.smmu_ptr + 64;	/* where 6.1-7.1 put the main queue */
	ev.issue.sync = 1;
	ev.issue.sync_prod = SMMU_NO_POS;
	ev.issue.max_n_shift = 8;
	engine_feed(r->e, &ev);
	assert_true(!engine_n_smmus(r->e) || !engine_smmu(r->e, 0)->max_n_shift);
	ev.hdr.flags ^= SMMU_EVF_OTHER_CMDQ | SMMU_EVF_MAIN_CMDQ;
	ev.issue.cmdq = ev.issue.smmu_ptr + 4096;	/* an offset no layout had */
	ev.issue.max_n_shift = 12;
	engine_feed(r->e, &ev);
	assert_int_equal(engine_n_smmus(r->e), 1);
	assert_int_equal(engine_smmu(r->e, 0)->max_n_shift, 12);
	run_free(r);
}

/* the same CONS exactly one retry window later is still a retry */
static void test_retry_window_is_inclusive(void **state)
{
	struct engine_opts o;
	struct run *r;

	engine_default_opts(&o);
	r = run_new_opts(&o);
	feed_error(r, 0x03000044, 10 * SEC);
	feed_error(r, 0x03000044, 10 * SEC + o.retry_window_ns);
	feed_error(r, 0x03000044, 10 * SEC + 2 * o.retry_window_ns + 1);
	engine_finish(r->e);
	assert_int_equal(r->n, 2);
	assert_int_equal(r->inc[0].retries, 1);
	assert_int_equal(r->inc[1].retries, 0);
	run_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_walk_is_not_confirmed),
		cmocka_unit_test(test_walk_size_is_the_queue_size),
		cmocka_unit_test(test_cut_issuer_list_is_weak),
		cmocka_unit_test(test_recent_queueing_keeps_the_walk_trusted),
		cmocka_unit_test(test_old_queueing_leaves_the_walk_untrusted),
		cmocka_unit_test(test_other_queue_timeout_keeps_the_walk_trusted),
		cmocka_unit_test(test_settled_stall_blocks_for_the_retry_window),
		cmocka_unit_test(test_main_queue_from_the_record_flag),
		cmocka_unit_test(test_retry_window_is_inclusive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
