// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Engine joining rules and attribution, driven by log text (through the
 * parser, as replay does) and by BPF-shaped records built here.
 */
#include <errno.h>

#include "testutil.h"

#include "engine_run.h"

static void feed(void *ctx, const struct smmu_event *ev)
{
	engine_feed(((struct run *)ctx)->e, ev);
}

static void run_log(struct run *r, const char *text)
{
	struct kmsg_parser p;
	const char *s = text, *nl;

	kmsg_parser_init(&p, 2026, feed, r);
	while ((nl = strchr(s, '\n'))) {
		kmsg_parse_line(&p, s, nl - s);
		s = nl + 1;
	}
	if (*s)
		kmsg_parse_line(&p, s, strlen(s));
	kmsg_parser_finish(&p);
}

static struct run *replay(const char *text)
{
	struct run *r = run_new();

	run_log(r, text);
	engine_finish(r->e);
	return r;
}

#define P "arm-smmu-v3 arm-smmu-v3.0.auto: "
#define ALLOC16 "[0.9] " P "allocated 65536 entries for cmdq\n"

static void test_error_joins_sync_timeout(void **state)
{
	struct run *r = replay(ALLOC16
		"[813.000] " P "CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"[814.000] " P "CMD_SYNC timeout at 0x0002bb84 [hwprod 0x0002bb90, hwcons 0x0302bb84]\n");

	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].kind, INC_ATC_TIMEOUT);
	assert_int_equal(r->inc[0].issuer_notified, 1);
	assert_true(r->inc[0].sync_timeout_line);
	assert_int_equal(r->inc[0].prod, 0x0002bb84);
	assert_int_equal(r->inc[0].max_n_shift, 16);
	assert_int_equal(r->inc[0].confidence, CONF_UNKNOWN);
	run_free(r);
}

/* ISR on the spinning issuer's CPU: the issuer's line comes first */
static void test_sync_timeout_first(void **state)
{
	struct run *r = replay(ALLOC16
		"[814.000] " P "CMD_SYNC timeout at 0x0000bb84 [hwprod 0x0000bb90, hwcons 0x0300bb84]\n"
		"[814.001] " P "CMDQ error (cons 0x0300bb84): ATC invalidate timeout\n");

	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].kind, INC_ATC_TIMEOUT);
	assert_true(r->inc[0].have_cons);
	assert_int_equal(r->inc[0].issuer_notified, 1);
	run_free(r);
}

/*
 * The hw_before_sw run on Debian 6.1/6.12 with the error interrupt on the
 * unmapping CPU: the SMMU failed the CMD_SYNC at 0xbb84 at once, CONS
 * showed it (ERR = 3) in every timeout line of the issuers spinning with
 * IRQs off, and the ISR ran seconds later.  CONS polling: each line prints
 * the shared prod, one past its issuer's slot.
 */
static void test_held_interrupt_joins(void **state)
{
	struct run *r = replay(ALLOC16
		"[820.000] " P "CMD_SYNC timeout at 0x0000bb85 [hwprod 0x0000bb85, hwcons 0x0300bb84]\n"
		"[821.050] " P "CMD_SYNC timeout at 0x0000bb87 [hwprod 0x0000bb87, hwcons 0x0300bb84]\n"
		"[822.100] " P "CMD_SYNC timeout at 0x0000bb89 [hwprod 0x0000bb89, hwcons 0x0300bb84]\n"
		"[822.101] " P "CMDQ error (cons 0x0300bb84): ATC invalidate timeout\n");

	assert_int_equal(r->n, 3);
	assert_int_equal(r->inc[0].kind, INC_ATC_TIMEOUT);
	assert_int_equal(r->inc[0].cons, 0x0300bb84);
	assert_int_equal(r->inc[0].first_report, FIRST_SMMU);
	assert_int_equal(r->inc[0].sw_timeouts, 3);
	assert_int_equal(r->inc[0].irq_held_ns, 2101000000ULL);
	assert_int_equal(r->inc[0].issuer_notified, 1);
	for (int i = 1; i < 3; i++) {
		assert_int_equal(r->inc[i].kind, INC_SYNC_TIMEOUT);
		assert_int_equal(r->inc[i].blocked_by, r->inc[0].id);
	}
	run_free(r);
}

/*
 * sw_before_hw: the SMMU reports 3 s late; CONS without ERR in the lines.
 * From the log alone a line without CERROR may have waited on an older lap
 * of the slot: it stays its own incident, queued behind the error, and the
 * error still says the driver's timeout fired first.
 */
static void test_software_fired_first(void **state)
{
	struct run *r = replay(ALLOC16
		"[830.000] " P "CMD_SYNC timeout at 0x00001795 [hwprod 0x00001795, hwcons 0x00001794]\n"
		"[831.050] " P "CMD_SYNC timeout at 0x00001797 [hwprod 0x00001797, hwcons 0x00001794]\n"
		"[832.000] " P "CMDQ error (cons 0x03001794): ATC invalidate timeout\n");

	assert_int_equal(r->n, 3);
	assert_int_equal(r->inc[2].kind, INC_ATC_TIMEOUT);
	assert_int_equal(r->inc[2].first_report, FIRST_SOFTWARE);
	assert_int_equal(r->inc[2].sw_timeouts, 2);
	assert_int_equal(r->inc[2].irq_held_ns, 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(r->inc[i].kind, INC_SYNC_TIMEOUT);
		assert_int_equal(r->inc[i].blocked_by, r->inc[2].id);
	}
	run_free(r);
}

/* same index, other lap of the ring: two different CMD_SYNCs */
static void test_wrap_keeps_apart(void **state)
{
	struct run *r = replay(ALLOC16
		"[813.000] " P "CMDQ error (cons 0x0300bb84): ATC invalidate timeout\n"
		"[813.500] " P "CMD_SYNC timeout at 0x0001bb84 [hwprod 0x0001bb90, hwcons 0x0001bb80]\n");

	assert_int_equal(r->n, 2);
	assert_int_equal(r->inc[0].kind, INC_ATC_TIMEOUT);
	assert_int_equal(r->inc[0].issuer_notified, -1);
	assert_int_equal(r->inc[1].kind, INC_SYNC_TIMEOUT);
	assert_int_equal(r->inc[1].issuer_notified, 1);
	run_free(r);
}

static void test_patched_line_joins(void **state)
{
	struct run *r = replay(ALLOC16
		"[813.000] " P "CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"[813.010] " P "CMD_SYNC for ATC_INV timeout at prod=0x0002bb84\n"
		"[820.000] " P "CMD_SYNC for ATC_INV timeout at prod=0x00000010\n"
		"[820.001] " P "CMDQ error (cons 0x03000010): ATC invalidate timeout\n");

	assert_int_equal(r->n, 2);
	assert_true(r->inc[0].patched_line);
	assert_int_equal(r->inc[0].issuer_notified, 1);
	assert_int_equal(r->inc[0].kind, INC_ATC_TIMEOUT);
	assert_true(r->inc[1].patched_line);
	assert_true(r->inc[1].have_cons);
	assert_int_equal(r->inc[1].cons, 0x03000010);
	run_free(r);
}

static void test_retries(void **state)
{
	struct run *r = replay(ALLOC16
		"[813.000] " P "CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"[813.100] " P "CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"[813.200] " P "CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"[813.300] " P "CMDQ error (cons 0x0302bb88): ATC invalidate timeout\n"
		"[900.000] " P "CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n");

	assert_int_equal(r->n, 3);
	assert_int_equal(r->inc[0].retries, 2);
	assert_int_equal(r->inc[1].cons, 0x0302bb88);
	assert_int_equal(r->inc[1].retries, 0);
	assert_int_equal(r->inc[2].retries, 0);	/* much later: a new failure */
	assert_int_equal(engine_incidents_by_kind(r->e, INC_ATC_TIMEOUT), 3);
	run_free(r);
}

#define Q "arm-smmu-v3 arm-smmu-v3.1.auto: "

/*
 * Retries interleaved across SMMUs: another SMMU's error neither
 * supersedes an incident nor takes its retry, and a later error on the
 * same SMMU ends its retries (the same CONS again is a new failure).
 */
static void test_retries_across_smmus(void **state)
{
	struct run *r = replay(ALLOC16
		"[813.000] " P "CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"[813.100] " Q "CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"[813.200] " P "CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"[813.300] " Q "CMDQ error (cons 0x0302bb90): ATC invalidate timeout\n"
		"[813.400] " P "CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"[813.500] " Q "CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"[813.600] " P "CMDQ error (cons 0x0302bb88): ATC invalidate timeout\n"
		"[813.700] " P "CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"[813.800] " Q "CMDQ error (cons 0x0302bb90): ATC invalidate timeout\n");

	assert_int_equal(r->n, 7);
	/* 0.auto at bb84: two retries, until bb88 came */
	assert_string_equal(r->inc[0].smmu, "arm-smmu-v3.0.auto");
	assert_int_equal(r->inc[0].retries, 2);
	/* 1.auto at bb84, superseded by its own bb90 */
	assert_string_equal(r->inc[1].smmu, "arm-smmu-v3.1.auto");
	assert_int_equal(r->inc[1].retries, 0);
	assert_int_equal(r->inc[2].cons, 0x0302bb90);
	assert_int_equal(r->inc[2].retries, 0);
	/* 1.auto at bb84 again: new, and bb90 after it is new too */
	assert_string_equal(r->inc[3].smmu, "arm-smmu-v3.1.auto");
	assert_int_equal(r->inc[3].cons, 0x0302bb84);
	assert_int_equal(r->inc[4].cons, 0x0302bb88);
	assert_string_equal(r->inc[5].smmu, "arm-smmu-v3.0.auto");
	assert_int_equal(r->inc[5].cons, 0x0302bb84);
	assert_int_equal(r->inc[5].retries, 0);
	assert_string_equal(r->inc[6].smmu, "arm-smmu-v3.1.auto");
	assert_int_equal(r->inc[6].cons, 0x0302bb90);
	assert_int_equal(r->inc[6].retries, 0);
	run_free(r);
}

/* the error text names the failure even when CONS is printed without CERROR */
static void test_error_text_wins_over_cons(void **state)
{
	struct run *r = replay(ALLOC16
		"[813.000] " P "CMDQ error (cons 0x0002bb84): ATC invalidate timeout\n"
		"[820.000] " P "CMDQ error (cons 0x0002bb90): Illegal command\n");

	assert_int_equal(r->n, 2);
	assert_int_equal(r->inc[0].kind, INC_ATC_TIMEOUT);
	assert_int_equal(r->inc[0].cerror, SMMU_CERROR_ATC_INV_SYNC);
	assert_int_equal(r->inc[1].kind, INC_ILLEGAL_COMMAND);
	run_free(r);
}

static void test_smmus_kept_apart(void **state)
{
	struct run *r = replay(
		"[813.000] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x03000010): ATC invalidate timeout\n"
		"[813.001] arm-smmu-v3 arm-smmu-v3.1.auto: CMDQ error (cons 0x03000010): ATC invalidate timeout\n"
		"[813.002] arm-smmu-v3 arm-smmu-v3.1.auto: CMD_SYNC timeout at 0x00000010 "
		"[hwprod 0x00000012, hwcons 0x03000010]\n");

	assert_int_equal(r->n, 2);
	assert_string_equal(r->inc[0].smmu, "arm-smmu-v3.0.auto");
	assert_int_equal(r->inc[0].issuer_notified, -1);
	assert_string_equal(r->inc[1].smmu, "arm-smmu-v3.1.auto");
	assert_int_equal(r->inc[1].issuer_notified, 1);
	assert_int_equal(engine_n_smmus(r->e), 2);
	run_free(r);
}

static void test_skipped_command_suspect(void **state)
{
	/* the SID map is taught by a 6.19-style event line */
	struct run *r = replay(
		"[10.0] " P "event: F_TRANSLATION client: 0000:01:00.0 sid: 0x100 ssid: 0\n"
		"[900.0] " P "unexpected global error reported (0x00000001), this could be serious\n"
		"[900.0] " P "CMDQ error (cons 0x01000044): Illegal command\n"
		"[900.0] " P "skipping command in error state:\n"
		"[900.0] " P "\t0x0000010000000040\n"
		"[900.0] " P "\t0x0000000000000034\n");

	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].kind, INC_ILLEGAL_COMMAND);
	assert_true(r->inc[0].have_skipped);
	assert_int_equal(r->inc[0].gerror, 1);
	assert_int_equal(r->inc[0].n_suspects, 1);
	assert_int_equal(r->inc[0].suspects[0].sid, 0x100);
	assert_string_equal(r->inc[0].suspects[0].dev, "0000:01:00.0");
	assert_int_equal(r->inc[0].suspects[0].evidence, EVD_SKIPPED_CMD);
	assert_int_equal(r->inc[0].confidence, CONF_CONFIRMED);
	run_free(r);
}

static void test_zero_command_has_no_suspect(void **state)
{
	/* what the QEMU injection produces: a zeroed slot, opcode 0 */
	struct run *r = replay(
		"[900.0] arm-smmu-v3 9050000.smmuv3: CMDQ error (cons 0x01000044): Illegal command\n"
		"[900.0] arm-smmu-v3 9050000.smmuv3: skipping command in error state:\n"
		"[900.0] arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000\n"
		"[900.0] arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000\n");

	assert_int_equal(r->n, 1);
	assert_true(r->inc[0].have_skipped);
	assert_int_equal(r->inc[0].n_suspects, 0);
	assert_int_equal(r->inc[0].confidence, CONF_UNKNOWN);
	run_free(r);
}

static void test_aer_window(void **state)
{
	struct run *r = replay(ALLOC16
		"[810.0] nvme 0000:02:00.0: AER:    [14] CmpltTO\n"
		"[812.5] mlx5_core 0000:01:00.0: AER:    [14] CmpltTO\n"
		"[813.0] " P "CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"[813.5] nvme 0000:03:00.0: AER:    [14] CmpltTO\n");

	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].n_suspects, 1);	/* 3 s before and after do not count */
	assert_string_equal(r->inc[0].suspects[0].dev, "0000:01:00.0");
	assert_int_equal(r->inc[0].suspects[0].evidence, EVD_AER_CMPLTO);
	assert_int_equal(r->inc[0].confidence, CONF_PROBABLE);
	run_free(r);
}

static void test_fetch_abort_and_unknown(void **state)
{
	struct run *r = replay(
		"[1.0] " P "CMDQ error (cons 0x02000010): Abort on command fetch\n"
		"[1.0] " P "retrying command fetch\n"
		"[1.1] " P "CMDQ error (cons 0x05000020): Unknown\n"
		"[1.2] " P "CMD_SYNC timeout at 0x00000030 [hwprod 0x00000031, hwcons 0x00000030]\n");

	assert_int_equal(r->n, 3);
	assert_int_equal(r->inc[0].kind, INC_FETCH_ABORT);
	assert_int_equal(r->inc[0].fetch_retries, 1);
	assert_int_equal(r->inc[1].kind, INC_UNKNOWN_CERROR);
	assert_int_equal(r->inc[2].kind, INC_SYNC_TIMEOUT);
	run_free(r);
}

static void test_summary_counts(void **state)
{
	struct run *r = replay(ALLOC16
		"[0.9] " P "ias 48-bit, oas 48-bit (features 0x001c1eff)\n"
		"[5.0] arm_smmu_cmdq_issue_cmdlist: 37 callbacks suppressed\n"
		"[6.0] arm_smmu_cmdq_issue_cmdlist: 3 callbacks suppressed\n"
		"[7.0] arm_smmu_evtq_thread: 2 callbacks suppressed\n");
	uint64_t n;

	assert_int_equal(r->n, 0);
	assert_int_equal(engine_suppressed(r->e), 42);
	assert_int_equal(engine_n_suppressed_funcs(r->e), 2);
	assert_string_equal(engine_suppressed_func(r->e, 0, &n), "arm_smmu_cmdq_issue_cmdlist");
	assert_int_equal(n, 40);
	assert_int_equal(engine_smmu(r->e, 0)->ats, 1);
	assert_int_equal(engine_smmu(r->e, 0)->max_n_shift, 16);
	run_free(r);
}

static void test_walk_single_device(void **state)
{
	static const uint32_t sids[] = { 0x100, 0x100 };
	struct run *r = run_new();
	struct smmu_event m;

	mk_hdr(&m, SMMU_EV_SID_MAP, 1);
	m.sid_map.sid = 0x100;
	strcpy(m.sid_map.dev, "0000:01:00.0");
	engine_feed(r->e, &m);
	feed_walk(r, 0x03000044, 1000, SMMU_WALK_PREV_SYNC, 2, 2, sids);
	feed_error(r, 0x03000044, 1001);
	/* the issuer returns 0 after the SMMU retried the sync: a silent failure */
	feed_issue(r, 5000, 4500, 0x44, 0x40, 0x45, 0, 2, sids);
	engine_finish(r->e);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].confidence, CONF_CONFIRMED);
	assert_int_equal(r->inc[0].n_suspects, 1);
	assert_string_equal(r->inc[0].suspects[0].dev, "0000:01:00.0");
	assert_int_equal(r->inc[0].suspects[0].evidence, EVD_QUEUE_WALK | EVD_ISSUER);
	assert_int_equal(r->inc[0].issuer_notified, 0);
	assert_int_equal(r->inc[0].n_issuers, 1);
	assert_string_equal(r->inc[0].issuers[0].comm, "kworker/1:2");
	run_free(r);
}

static void test_walk_two_devices_and_reused_slot(void **state)
{
	static const uint32_t two[] = { 0x100, 0x200 };
	struct run *r = run_new();

	feed_error(r, 0x03000044, 1000);
	feed_walk(r, 0x03000044, 1001, SMMU_WALK_PREV_SYNC, 2, 2, two);
	feed_error(r, 0x03000050, 2000);
	feed_walk(r, 0x03000050, 2001, SMMU_WALK_NOT_SYNC, 2, 2, two);
	engine_finish(r->e);
	assert_int_equal(r->n, 2);
	assert_int_equal(r->inc[0].confidence, CONF_SUSPECT);
	assert_int_equal(r->inc[0].n_suspects, 2);
	/* the slot held something else by the time the ISR ran: no evidence */
	assert_int_equal(r->inc[1].n_suspects, 0);
	assert_int_equal(r->inc[1].confidence, CONF_UNKNOWN);
	run_free(r);
}

/* patched kernel: the issuer's fast -EIO pins its own batch */
static void test_patched_issuer_confirms(void **state)
{
	static const uint32_t mine[] = { 0x300 };
	static const uint32_t other[] = { 0x400 };
	struct run *r = run_new();

	feed_error(r, 0x03000044, 1000000);
	/* an overlapping issuer whose window also covers 0x44, but who got 0 */
	feed_issue(r, 1500000, 1000000, SMMU_NO_POS, 0x30, 0x50, 0, 1, other);
	feed_issue(r, 2000000, 1500000, 0x44, 0x40, 0x45, -EIO, 1, mine);
	engine_finish(r->e);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].confidence, CONF_CONFIRMED);
	assert_int_equal(r->inc[0].n_suspects, 1);
	assert_int_equal(r->inc[0].suspects[0].sid, 0x300);
	assert_true(r->inc[0].suspects[0].evidence & EVD_BITMAP);
	assert_int_equal(r->inc[0].issuer_notified, 1);
	run_free(r);
}

static void test_window_issuer_is_probable(void **state)
{
	static const uint32_t sids[] = { 0x500 };
	struct run *r = run_new();

	feed_error(r, 0x03000044, 1000000);
	feed_issue(r, 1500000, 1000000, SMMU_NO_POS, 0x30, 0x50, 0, 1, sids);
	engine_finish(r->e);
	assert_int_equal(r->inc[0].confidence, CONF_PROBABLE);
	assert_int_equal(r->inc[0].suspects[0].evidence, EVD_ISSUER);
	/*
	 * matched by window only, in flight at the error, returned 0: its own
	 * CMD_SYNC, at or behind the failing one, completed, so the failing
	 * one's issuer (whoever it was) got 0: not told
	 */
	assert_int_equal(r->inc[0].issuer_notified, 0);
	assert_int_equal(r->inc[0].first_report, FIRST_SMMU);
	assert_int_equal(r->inc[0].detect_ns, 500000);
	run_free(r);
}

static void test_software_timeout_issuer(void **state)
{
	struct run *r = run_new();
	struct smmu_event ev;

	mk_hdr(&ev, SMMU_EV_SYNC_TIMEOUT, 2000000000ULL);
	ev.hdr.flags &= ~SMMU_EVF_BPF;
	ev.sync_timeout.prod = 0x44;
	engine_feed(r->e, &ev);
	feed_issue(r, 2000100000ULL, 1000050000ULL, 0x44, 0x40, 0x45, -ETIMEDOUT, 0, NULL);
	engine_finish(r->e);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].kind, INC_SYNC_TIMEOUT);
	assert_int_equal(r->inc[0].detect_ns, 1000050000ULL);
	assert_int_equal(r->inc[0].issuers[0].ret, -ETIMEDOUT);
	assert_int_equal(r->inc[0].confidence, CONF_UNKNOWN);
	run_free(r);
}

/*
 * CONS polling (QEMU, measured on Debian 6.1): the line printed the shared
 * prod 0x4c40 while the issuer's own CMD_SYNC was 0x4c3f; its -110 record,
 * with the exact slot from --sync-slot, is the same timeout, not a second one.
 */
static void test_cons_poll_line_and_exact_record(void **state)
{
	struct run *r = run_new();
	struct smmu_event ev;

	mk_hdr(&ev, SMMU_EV_SYNC_TIMEOUT, 2000000000ULL);
	ev.hdr.flags &= ~SMMU_EVF_BPF;
	ev.sync_timeout.prod = 0x4c40;
	ev.sync_timeout.hwprod = 0x4c40;
	ev.sync_timeout.hwcons = 0x4c3e;
	ev.sync_timeout.have_hw = 1;
	engine_feed(r->e, &ev);
	feed_issue(r, 2000400000ULL, 1000300000ULL, 0x4c3f, 0x4c3e, 0x4c41, -ETIMEDOUT, 0, NULL);
	engine_finish(r->e);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].kind, INC_SYNC_TIMEOUT);
	assert_int_equal(r->inc[0].prod, 0x4c40);
	assert_int_equal(r->inc[0].n_issuers, 1);
	assert_int_equal(r->inc[0].issuers[0].sync_prod, 0x4c3f);
	assert_int_equal(r->inc[0].issuers[0].ret, -ETIMEDOUT);
	run_free(r);
}

/* a stopped queue (CMDQEN off) is not a failure elsewhere; a CERROR in hwcons is */
static void test_collateral_needs_an_error(void **state)
{
	struct run *r = replay(ALLOC16
		"[10.0] " P "CMD_SYNC timeout at 0x000053fc [hwprod 0x000053fc, hwcons 0x000053fa]\n"
		"[40.0] " P "CMD_SYNC timeout at 0x00006000 [hwprod 0x00006004, hwcons 0x03005ff0]\n");

	assert_int_equal(r->n, 2);
	assert_int_equal(r->inc[0].kind, INC_SYNC_TIMEOUT);
	assert_false(r->inc[0].flags & INCF_COLLATERAL);
	assert_true(r->inc[1].flags & INCF_COLLATERAL);
	run_free(r);
}

/* with its issuer's -ETIMEDOUT record, the first line is the failing CMD_SYNC's */
static void test_software_first_joins_with_record(void **state)
{
	struct run *r = run_new();

	run_log(r, ALLOC16
		"[830.000] " P "CMD_SYNC timeout at 0x00001795 [hwprod 0x00001795, hwcons 0x00001794]\n");
	feed_issue(r, 830000100000ULL, 1000050000ULL, SMMU_NO_POS, 0x1794, 0x1795, -ETIMEDOUT, 0, NULL);
	run_log(r, "[832.000] " P "CMDQ error (cons 0x03001794): ATC invalidate timeout\n");
	engine_finish(r->e);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].kind, INC_ATC_TIMEOUT);
	assert_int_equal(r->inc[0].first_report, FIRST_SOFTWARE);
	assert_int_equal(r->inc[0].issuer_notified, 1);
	assert_int_equal(r->inc[0].issuers[0].ret, -ETIMEDOUT);
	run_free(r);
}

/* one dd call as the demo's BPF records have it: one command (n), CPU 1 hard IRQ */
static void feed_dd_call(struct run *r, uint64_t t_end, uint64_t dur, uint32_t sync_prod,
			 uint32_t pe, uint32_t px, int ret, int n_atc, const uint32_t *sids)
{
	struct smmu_event ev;

	mk_issue(&ev, t_end, dur, sync_prod, pe, px, ret, n_atc, sids);
	ev.hdr.cpu = 1;
	ev.issue.cmdq = 0xffff0000409368c0ULL;
	ev.issue.max_n_shift = 16;
	ev.issue.n = 1;
	ev.issue.tid = ev.issue.pid = 290;
	strcpy(ev.issue.comm, "dd");
	engine_feed(r->e, &ev);
}

/* the demo's SMMU: QEMU's, no IDR0.MSI (features bit 7), so polled by CONS */
#define FEATURES_QEMU "[0.9] " P "ias 44-bit, oas 44-bit (features 0x00008325)\n"
#define FEATURES_MSI "[0.9] " P "ias 44-bit, oas 44-bit (features 0x000083a5)\n"

/* the demo's line, on that SMMU (msi 0), one with IDR0.MSI (1), or features unknown (2) */
static struct run *demo_line(int msi, uint32_t hwprod)
{
	struct run *r = run_new();

	run_log(r, msi == 2 ? ALLOC16 : msi ? ALLOC16 FEATURES_MSI : ALLOC16 FEATURES_QEMU);
	feed_sync_timeout(r, 11182892880ULL, 0x4da0, hwprod, 0x4d9e);
	return r;
}

/*
 * make demo on Debian 6.12, CMDQEN cleared for 2 s: the kernel printed
 * "CMD_SYNC timeout at 0x00004da0 [hwprod 0x00004da0, hwcons 0x00004d9e]"
 * and the calls below are its capture's records.  The first gave up at
 * 0x4d9f and printed the line; the second, the same interrupt handler's
 * next unmap, entered at the printed shared prod, waited for CMDQEN and
 * returned 0: no issuer of this timeout, and its ATC_INV no evidence.
 * Whether the SMMU polls CONS or not, it entered at X with one command.
 */
static void test_later_call_not_the_printer(void **state)
{
	static const uint32_t sid = 0x100;

	for (int msi = 0; msi < 3; msi++) {
		struct run *r = demo_line(msi, 0x4da0);

		feed_dd_call(r, 11183331216ULL, 1052662160ULL, SMMU_NO_POS, 0x4d9e, 0x4da0,
			     -ETIMEDOUT, 0, NULL);
		feed_dd_call(r, 12232148288ULL, 1048706448ULL, SMMU_NO_POS, 0x4da0, 0x4da2, 0,
			     1, &sid);
		engine_finish(r->e);
		assert_int_equal(r->n, 1);
		assert_int_equal(r->inc[0].kind, INC_SYNC_TIMEOUT);
		assert_int_equal(r->inc[0].issuer_notified, 1);
		assert_int_equal(r->inc[0].n_issuers, 1);
		assert_int_equal(r->inc[0].issuers[0].ret, -ETIMEDOUT);
		assert_int_equal(r->inc[0].issuers[0].duration_ns, 1052662160ULL);
		assert_int_equal(r->inc[0].n_suspects, 0);
		assert_int_equal(r->inc[0].confidence, CONF_UNKNOWN);
		run_free(r);
	}
}

/*
 * A call whose CMD_SYNC is at the printed X at the earliest (n commands
 * after where it entered) printed the line only if X is a slot: MSI
 * polling.  On a CONS-polling SMMU it was queued after the printer's poll
 * began, even if it timed out as well (its own line ratelimited).
 */
static void test_printed_prod_is_shared_on_cons_polling(void **state)
{
	for (int msi = 0; msi < 2; msi++) {
		struct run *r = demo_line(msi, 0x4da1);

		feed_dd_call(r, 11183331216ULL, 1052662160ULL, SMMU_NO_POS, 0x4d9f, 0x4da1,
			     -ETIMEDOUT, 0, NULL);
		engine_finish(r->e);
		assert_int_equal(r->n, 1);
		assert_int_equal(r->inc[0].n_issuers, msi);
		run_free(r);
	}
}

/*
 * With the exact slot (--sync-slot), on the demo's CONS-polled SMMU: the
 * printer's CMD_SYNC lies in [hwcons, X).  The next call's, a lone
 * CMD_SYNC at X that returned 0, printed nothing and cannot say that the
 * printer went untold.
 */
static void test_exact_slot_of_printer(void **state)
{
	struct run *r = demo_line(0, 0x4da1);

	feed_dd_call(r, 11183331216ULL, 1052662160ULL, 0x4d9f, 0x4d9e, 0x4da0, -ETIMEDOUT, 0,
		     NULL);
	feed_dd_call(r, 12232148288ULL, 1048706448ULL, 0x4da0, 0x4da0, 0x4da1, 0, 0, NULL);
	engine_finish(r->e);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].issuer_notified, 1);
	assert_int_equal(r->inc[0].n_issuers, 1);
	assert_int_equal(r->inc[0].issuers[0].sync_prod, 0x4d9f);
	assert_int_equal(r->inc[0].detect_ns, 1052662160ULL);
	run_free(r);
}

/*
 * A call timing out at X itself printed the line only if X is a slot (MSI
 * polling); polling CONS, it is another call's timeout, its line ratelimited.
 */
static void test_exact_slot_at_printed_prod(void **state)
{
	for (int msi = 0; msi < 2; msi++) {
		struct run *r = demo_line(msi, 0x4da1);

		feed_dd_call(r, 11183331216ULL, 1052662160ULL, 0x4da0, 0x4d9f, 0x4da1,
			     -ETIMEDOUT, 0, NULL);
		engine_finish(r->e);
		assert_int_equal(r->n, 2 - msi);
		assert_int_equal(r->inc[0].n_issuers, msi);
		assert_int_equal(r->inc[r->n - 1].issuers[0].sync_prod, 0x4da0);
		run_free(r);
	}
}

/*
 * Three calls entered at 0x4d9e together on the demo's SMMU.  The first's
 * poll ran out and printed the shared prod 0x4da2.  The second, polling a
 * little later, got 0 when the queue ran again 50 ms on: its window holds
 * X and it returned right after the line, but it printed nothing.  The
 * third timed out half a second later, its own line ratelimited.
 */
static void test_only_the_printer_of_a_line(void **state)
{
	static const uint32_t sid = 0x100;
	const uint64_t t = 11182892880ULL;
	struct run *r = run_new();

	run_log(r, ALLOC16 FEATURES_QEMU);
	feed_sync_timeout(r, t, 0x4da2, 0x4da4, 0x4d9e);
	feed_dd_call(r, t + 438336, 1052662160ULL, SMMU_NO_POS, 0x4d9e, 0x4da4, -ETIMEDOUT,
		     0, NULL);
	feed_dd_call(r, t + 50000000, 1100000000ULL, SMMU_NO_POS, 0x4d9e, 0x4da4, 0, 1, &sid);
	feed_dd_call(r, t + 500000000, 1600000000ULL, SMMU_NO_POS, 0x4d9e, 0x4da4, -ETIMEDOUT,
		     1, &sid);
	engine_finish(r->e);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->inc[0].n_issuers, 1);
	assert_int_equal(r->inc[0].issuers[0].duration_ns, 1052662160ULL);
	assert_int_equal(r->inc[0].n_suspects, 0);
	run_free(r);
}

/*
 * The printer of a line gave up while the SMMU sat on hwcons 0x4d9e with
 * no error: its batch is evidence only if its own CMD_SYNC may be that
 * one.  Queued behind it (its CMD_SYNC at least n = 1 past where it
 * entered, or known exactly), its ATC_INV had not been sent: it is the
 * issuer, told, but names no suspect.
 */
static void test_printer_batch_behind_the_stall(void **state)
{
	static const uint32_t sid = 0x100;
	static const struct {
		uint32_t sync_prod, pe;
		int suspects;
	} c[] = {
		{ SMMU_NO_POS, 0x4da0, 0 },
		{ SMMU_NO_POS, 0x4d9e, 0 },
		{ SMMU_NO_POS, 0x4d9d, 1 },
		{ 0x4d9f, 0x4d9e, 0 },
		{ 0x4d9e, 0x4d9d, 1 },
	};

	for (unsigned int i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct run *r = run_new();

		run_log(r, ALLOC16 FEATURES_QEMU);
		feed_sync_timeout(r, 11182892880ULL, 0x4da2, 0x4da2, 0x4d9e);
		feed_dd_call(r, 11183331216ULL, 1052662160ULL, c[i].sync_prod, c[i].pe, 0x4da2,
			     -ETIMEDOUT, 1, &sid);
		engine_finish(r->e);
		assert_int_equal(r->n, 1);
		assert_int_equal(r->inc[0].n_issuers, 1);
		assert_int_equal(r->inc[0].issuer_notified, 1);
		assert_int_equal(r->inc[0].n_suspects, c[i].suspects);
		if (c[i].suspects)
			assert_true(r->inc[0].suspects[0].evidence & EVD_ISSUER);
		run_free(r);
	}
}

/* a sync timeout still waiting for its ISR holds back a newer incident */
static void test_emitted_in_order(void **state)
{
	struct run *r = run_new();
	struct smmu_event t;

	run_log(r, ALLOC16
		"[840.000] " P "CMD_SYNC timeout at 0x00000081 [hwprod 0x00000081, hwcons 0x00000080]\n"
		"[841.000] " P "CMDQ error (cons 0x01000200): Illegal command\n");
	mk_hdr(&t, SMMU_EV_TICK, 846000000000ULL);
	engine_feed(r->e, &t);
	assert_int_equal(r->n, 0);	/* #2 settled, held for #1 */
	mk_hdr(&t, SMMU_EV_TICK, 851000000000ULL);
	engine_feed(r->e, &t);
	assert_int_equal(r->n, 2);
	assert_int_equal(r->inc[0].kind, INC_SYNC_TIMEOUT);
	assert_int_equal(r->inc[1].kind, INC_ILLEGAL_COMMAND);
	assert_true(r->inc[0].id < r->inc[1].id);
	run_free(r);
}

static void test_tick_settles(void **state)
{
	struct run *r = run_new();
	struct smmu_event t;

	feed_error(r, 0x03000044, 1000000000ULL);
	assert_int_equal(r->n, 0);
	mk_hdr(&t, SMMU_EV_TICK, 2000000000ULL);
	engine_feed(r->e, &t);
	assert_int_equal(r->n, 0);	/* still inside the settle window */
	mk_hdr(&t, SMMU_EV_TICK, 5000000000ULL);
	engine_feed(r->e, &t);
	assert_int_equal(r->n, 1);
	run_free(r);
}

/*
 * When an incident settles follows what it has become: a timeout line
 * waits the retry window for its ISR, and once the ISR's line joined it,
 * the settle time from that line.  Ticks in between must see each change.
 */
static void test_tick_follows_changes(void **state)
{
	static const char line[] =
		"[100.000] " P "CMD_SYNC timeout at 0x00000010 [hwprod 0x00000012, hwcons 0x00000010]\n";
	struct run *r = run_new();

	run_log(r, ALLOC16);
	run_log(r, line);
	run_log(r, "[109.900] " Q "unexpected global error reported (0x00000001), this could be serious\n");
	assert_int_equal(r->n, 0);		/* the retry window: 10 s */
	run_log(r, "[110.100] " Q "unexpected global error reported (0x00000001), this could be serious\n");
	assert_int_equal(r->n, 1);
	assert_false(r->inc[0].have_cons);

	run_log(r, "[200.000] " P "CMD_SYNC timeout at 0x00000010 [hwprod 0x00000012, hwcons 0x00000010]\n");
	run_log(r, "[205.000] " Q "unexpected global error reported (0x00000001), this could be serious\n");
	run_log(r, "[209.000] " P "CMDQ error (cons 0x03000010): ATC invalidate timeout\n");
	run_log(r, "[211.900] " Q "unexpected global error reported (0x00000001), this could be serious\n");
	assert_int_equal(r->n, 1);		/* joined at 209: 3 s from there */
	run_log(r, "[212.100] " Q "unexpected global error reported (0x00000001), this could be serious\n");
	assert_int_equal(r->n, 2);
	assert_true(r->inc[1].have_cons);
	assert_true(r->inc[1].sync_timeout_line);

	/* an ISR line stamped before the timeout line: 3 s from the timeout line now */
	run_log(r, "[300.000] " P "CMD_SYNC timeout at 0x00000010 [hwprod 0x00000012, hwcons 0x00000010]\n");
	run_log(r, "[301.000] " Q "unexpected global error reported (0x00000001), this could be serious\n");
	run_log(r, "[299.500] " P "CMDQ error (cons 0x03000010): ATC invalidate timeout\n");
	run_log(r, "[302.900] " Q "unexpected global error reported (0x00000001), this could be serious\n");
	assert_int_equal(r->n, 2);
	run_log(r, "[303.100] " Q "unexpected global error reported (0x00000001), this could be serious\n");
	assert_int_equal(r->n, 3);
	assert_true(r->inc[2].have_cons);
	run_free(r);
}

static const struct evtq_group *group(const struct run *r, uint32_t sid, int id)
{
	for (int i = 0; i < engine_n_evtq_groups(r->e); i++) {
		const struct evtq_group *g = engine_evtq_group(r->e, i);

		if (g->have_sid && g->sid == sid && g->id == id)
			return g;
	}
	fail_msg("no group for sid 0x%x event 0x%x", sid, id);
	return NULL;
}

/* event records grouped by SMMU, StreamID and event, with counts and times */
static void test_event_groups(void **state)
{
#define EVT(t, d0, d1)	"[" t "] " P "event 0x10 received:\n[" t "] " P "\t0x" d0 "\n" \
			"[" t "] " P "\t0x" d1 "\n[" t "] " P "\t0x0000000000001000\n" \
			"[" t "] " P "\t0x0000000000000000\n"
	struct run *r = replay(
		EVT("20.0", "0000010000000010", "0000000800000000")
		EVT("21.0", "0000010000000010", "0000000800000000")
		"[22.0] " P "event 0x10 received:\n"
		"[22.0] " P "\t0x0000020000000010\n[22.0] " P "\t0x0000000000000000\n"
		"[22.0] " P "\t0x0000000000002000\n[22.0] " P "\t0x0000000000000000\n"
		"[22.0] " P "event: F_TRANSLATION client: 0000:02:00.0 sid: 0x200 ssid: 0 "
		"iova: 0x2000 ipa: 0\n"
		EVT("23.0", "0000020000000010", "0000000000000000")
		"[24.0] " P "EVTQ overflow detected -- events lost\n");
	const struct evtq_group *a = group(r, 0x100, 0x10), *b = group(r, 0x200, 0x10);
	const struct smmu_info *s = engine_smmu(r->e, 0);

	assert_int_equal(engine_n_evtq_groups(r->e), 2);
	assert_int_equal(a->count, 2);
	assert_int_equal(a->reads, 2);
	assert_int_equal(a->first.mono_ns, 20000000000ULL);
	assert_int_equal(a->last.mono_ns, 21000000000ULL);
	assert_string_equal(a->dev, "");
	assert_int_equal(b->count, 2);
	assert_int_equal(b->writes, 2);
	assert_string_equal(b->dev, "0000:02:00.0");
	/* the decoded line taught the SID's device: later raw records have it too */
	assert_string_equal(engine_sid_device(r->e, "arm-smmu-v3.0.auto", 0x200), "0000:02:00.0");
	assert_int_equal(s->evtq_events, 4);
	assert_int_equal(s->evtq_overflows, 1);
	run_free(r);
#undef EVT
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_joins_sync_timeout),
		cmocka_unit_test(test_sync_timeout_first),
		cmocka_unit_test(test_held_interrupt_joins),
		cmocka_unit_test(test_software_fired_first),
		cmocka_unit_test(test_software_first_joins_with_record),
		cmocka_unit_test(test_later_call_not_the_printer),
		cmocka_unit_test(test_printed_prod_is_shared_on_cons_polling),
		cmocka_unit_test(test_exact_slot_of_printer),
		cmocka_unit_test(test_exact_slot_at_printed_prod),
		cmocka_unit_test(test_only_the_printer_of_a_line),
		cmocka_unit_test(test_printer_batch_behind_the_stall),
		cmocka_unit_test(test_emitted_in_order),
		cmocka_unit_test(test_wrap_keeps_apart),
		cmocka_unit_test(test_patched_line_joins),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_retries_across_smmus),
		cmocka_unit_test(test_error_text_wins_over_cons),
		cmocka_unit_test(test_smmus_kept_apart),
		cmocka_unit_test(test_skipped_command_suspect),
		cmocka_unit_test(test_zero_command_has_no_suspect),
		cmocka_unit_test(test_aer_window),
		cmocka_unit_test(test_fetch_abort_and_unknown),
		cmocka_unit_test(test_summary_counts),
		cmocka_unit_test(test_walk_single_device),
		cmocka_unit_test(test_walk_two_devices_and_reused_slot),
		cmocka_unit_test(test_patched_issuer_confirms),
		cmocka_unit_test(test_window_issuer_is_probable),
		cmocka_unit_test(test_software_timeout_issuer),
		cmocka_unit_test(test_cons_poll_line_and_exact_record),
		cmocka_unit_test(test_collateral_needs_an_error),
		cmocka_unit_test(test_tick_settles),
		cmocka_unit_test(test_tick_follows_changes),
		cmocka_unit_test(test_event_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
