// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The matcher of the driver's format strings: what it reads, what it
 * leaves null, and when a text is the driver's message cut short rather
 * than something else.  Every catalogue entry, rendered by printf from its
 * own format, must read back FULL and get past the parser's gates.
 */
#include "testutil.h"
#include "corpus.h"

static enum drv_match_st one(enum drv_msg_id id, const char *text, struct drv_match *m)
{
	return drv_match_one(drv_msg_get(id), text, strlen(text), m);
}

static void test_values(void **state)
{
	struct drv_match m;

	assert_int_equal(one(DRV_SYNC_TIMEOUT, "CMD_SYNC timeout at 0x0000bb84 [hwprod 0x0000bb90, "
			     "hwcons 0x0302bb84]", &m), DRVM_FULL);
	assert_int_equal(m.n_val, 3);
	assert_true(m.val[0].have && m.val[1].have && m.val[2].have);
	assert_int_equal(m.val[0].v, 0xbb84);
	assert_int_equal(m.val[2].v, 0x0302bb84);
	assert_false(m.mangled || m.elided);
	/* "%#x" prints 0 as "0" */
	assert_int_equal(one(DRV_EVENT_OTHER, "event: C_BAD_STE client: 0000:01:00.0 sid: 0x100 "
			     "ssid: 0", &m), DRVM_FULL);
	assert_int_equal(m.val[3].v, 0);
	assert_true(m.val[3].have);
	assert_int_equal(m.val[1].n, 12);
	/* "(unassigned sid)" is the one client with a blank */
	assert_int_equal(one(DRV_EVENT_OTHER, "event: C_BAD_STREAMID client: (unassigned sid) "
			     "sid: 0x3f ssid: 0", &m), DRVM_FULL);
	assert_int_equal(m.val[2].v, 0x3f);
	/* runs of blanks from a paste are one blank; text after the format is the caller's */
	assert_int_equal(one(DRV_CMDQ_TIMEOUT, "CMDQ  timeout   <-- here", &m), DRVM_FULL);
	assert_int_equal(m.used, 13);
	/* uppercase hex and a dropped "0x" still read as the hex the kernel printed */
	assert_int_equal(one(DRV_ATC_SYNC_FAIL, "CMD_SYNC for ATC_INV timeout at prod=0X0001ABCD",
			     &m), DRVM_FULL);
	assert_int_equal(m.val[0].v, 0x1abcd);
	assert_int_equal(one(DRV_CMDQ_ERROR, "CMDQ error (cons 0302bb84): ATC invalidate timeout",
			     &m), DRVM_FULL);
	assert_int_equal(m.val[0].v, 0x0302bb84);
}

/* an unreadable value is absent; the match goes on after it */
static void test_mangled_and_elided(void **state)
{
	struct drv_match m;

	assert_int_equal(one(DRV_CMDQ_ERROR, "CMDQ error (cons 0x0302bg84): Illegal command", &m),
			 DRVM_FULL);
	assert_false(m.val[0].have);
	assert_true(m.val[0].mangled && m.mangled);
	assert_true(m.val[1].have);
	/* a digit lost or added: %08x prints eight, so the value is not trusted */
	one(DRV_CMDQ_ERROR, "CMDQ error (cons 0x302bb84): ATC invalidate timeout", &m);
	assert_false(m.val[0].have);
	one(DRV_CMDQ_ERROR, "CMDQ error (cons 0x003002bb84): ATC invalidate timeout", &m);
	assert_false(m.val[0].have);
	/* dwords: exactly sixteen digits; fewer at the end may be a wrap */
	assert_int_equal(one(DRV_DWORD, "\t0x000001000000010", &m), DRVM_PARTIAL);
	assert_false(m.val[0].have);
	assert_int_equal(one(DRV_DWORD, "\t0x00000100000000100", &m), DRVM_FULL);
	assert_false(m.val[0].have);
	assert_true(m.mangled);
	assert_int_equal(one(DRV_DWORD, "0x0000010000000010", &m), DRVM_FULL);
	assert_int_equal(m.val[0].v, 0x0000010000000010ULL);
	/* elisions by hand */
	assert_int_equal(one(DRV_SYNC_TIMEOUT, "CMD_SYNC timeout at 0x\xe2\x80\xa6 [hwprod 0x..., "
			     "hwcons 0x0302bb84]", &m), DRVM_FULL);
	assert_false(m.val[0].have || m.val[1].have);
	assert_true(m.val[2].have && m.elided);
	assert_int_equal(one(DRV_SYNC_TIMEOUT, "CMD_SYNC timeout at 0x0000bb84 ...", &m), DRVM_FULL);
	assert_true(m.val[0].have);
	assert_false(m.val[1].have || m.val[2].have);
	assert_int_equal(one(DRV_SYNC_TIMEOUT, "CMD_SYNC timeout at 0x???????? [...] hwcons "
			     "0x0302bb84]", &m), DRVM_FULL);
	assert_false(m.val[0].have);
	assert_true(m.val[2].have);
	assert_int_equal(one(DRV_GERROR, "unexpected global error reported (0x00000001) [snip]",
			     &m), DRVM_FULL);
	assert_true(m.val[0].have);
}

/* cut short by a wrap: PARTIAL, and a value cut at the end is not read */
static void test_partial(void **state)
{
	struct drv_match m;

	assert_int_equal(one(DRV_SYNC_TIMEOUT, "CMD_SYNC timeout at", &m), DRVM_PARTIAL);
	assert_int_equal(one(DRV_SYNC_TIMEOUT, "CMD_SYNC timeout at 0x0000bb84", &m), DRVM_PARTIAL);
	assert_true(m.val[0].have);
	assert_int_equal(one(DRV_SYNC_TIMEOUT, "CMD_SYNC timeout at 0x0000bb84 [hwprod 0x0000bb90, "
			     "hwcons 0x0302b", &m), DRVM_PARTIAL);
	assert_false(m.val[2].have);
	assert_int_equal(one(DRV_DWORD, "\t0x00000100000", &m), DRVM_PARTIAL);
	assert_int_equal(one(DRV_GERROR, "unexpected global error reported (0x00000001), this cou",
			     &m), DRVM_PARTIAL);
	/* a device name is one word: a wrapped next line is not swallowed into it */
	assert_int_equal(one(DRV_EVENT_OTHER, "event: F_TRANSLATION client: 0000:01:00.0", &m),
			 DRVM_PARTIAL);
	assert_int_equal(one(DRV_EVENT_OTHER, "event: F_TRANSLATION client: 0000:01:00.0 systemd[1]: "
			     "Started", &m), DRVM_BAD);
}

/* BAD once the first words are the driver's, NONE before */
static void test_bad_and_none(void **state)
{
	struct drv_match m;
	const char *t;

	assert_int_equal(one(DRV_CMDQ_ERROR, "CMDQ error [cons 0x0302bb84]", &m), DRVM_NONE);
	assert_int_equal(one(DRV_CMDQ_ERROR, "CMDQ error (cons 0x0302bb84]: x", &m), DRVM_BAD);
	assert_int_equal(one(DRV_EVENT_HDR, "event 0x10 recieved:", &m), DRVM_BAD);
	assert_int_equal(one(DRV_EVENT_HDR, "eventually", &m), DRVM_NONE);
	assert_int_equal(drv_match("systemd[1]: Started", 19, false, &m), DRVM_NONE);
	assert_null(m.msg);
	/* the nearest message, to say what was expected */
	assert_int_equal(drv_match("CMDQ erorr (cons 0x0302bb84)", 28, false, &m), DRVM_NONE);
	assert_non_null(m.near);
	assert_string_equal(m.near->fmt, "CMDQ error (cons 0x%08x): %s");
	/* the short decoded form is FULL; the long one wins when it is all there */
	t = "event: F_TRANSLATION client: x sid: 0x1 ssid: 0 iova: 0x1000 ipa: 0";
	assert_int_equal(drv_match(t, strlen(t), false, &m), DRVM_FULL);
	assert_int_equal(m.msg->id, DRV_EVENT_XLATE);
	/* continuation lines only when asked for */
	assert_int_equal(drv_match("0x0000010000000010", 18, false, &m), DRVM_NONE);
	assert_int_equal(drv_match("0x0000010000000010", 18, true, &m), DRVM_FULL);
	assert_int_equal(m.msg->id, DRV_DWORD);
}

/*
 * 4.2 to 5.3 print "CMD_SYNC timeout" alone.  The newer line cut short is
 * not that: a longer form of the message that reads further wins, one that
 * disagrees leaves the old form with a trailing comment.
 */
static void test_old_forms(void **state)
{
	static const struct {
		const char *text;
		enum drv_msg_id id;
		enum drv_match_st st;
	} cases[] = {
		{ "CMD_SYNC timeout", DRV_SYNC_TIMEOUT_OLD, DRVM_FULL },
		{ "CMD_SYNC timeout a", DRV_SYNC_TIMEOUT, DRVM_PARTIAL },
		{ "CMD_SYNC timeout at", DRV_SYNC_TIMEOUT, DRVM_PARTIAL },
		{ "CMD_SYNC timeout at 0x0000bb84", DRV_SYNC_TIMEOUT, DRVM_PARTIAL },
		{ "CMD_SYNC timeout at 0x0000bb84 [hwprod 0x0000bb90, hwcons 0x0302bb84]",
		  DRV_SYNC_TIMEOUT, DRVM_FULL },
		{ "CMD_SYNC timeout   <-- every few seconds", DRV_SYNC_TIMEOUT_OLD, DRVM_FULL },
		{ "CMD_SYNC timeou", DRV_SYNC_TIMEOUT, DRVM_PARTIAL },
		{ "CMDQ timeout", DRV_CMDQ_TIMEOUT, DRVM_FULL },
		{ "CMDQ timeout,cnt:", DRV_CMDQ_TIMEOUT_CNT, DRVM_PARTIAL },
		{ "CMDQ timeout,cnt:2", DRV_CMDQ_TIMEOUT_CNT, DRVM_FULL },
	};
	struct drv_match m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum drv_match_st st = drv_match(cases[i].text, strlen(cases[i].text), false, &m);

		if (st != cases[i].st || !m.msg || m.msg->id != cases[i].id)
			fail_msg("\"%s\": %d as %s", cases[i].text, st, m.msg ? m.msg->fmt : "-");
	}
	drv_match("CMD_SYNC timeout   <-- every few seconds", 40, false, &m);
	assert_int_equal(m.used, 16);
	drv_match("CMDQ timeout,cnt:2", 18, false, &m);
	assert_true(m.val[0].have);
	assert_int_equal(m.val[0].v, 2);
}

static void test_elision_forms(void **state)
{
	assert_int_equal(drv_elision("...", 3), 3);
	assert_int_equal(drv_elision("......", 6), 6);
	assert_int_equal(drv_elision("\xe2\x80\xa6 x", 5), 3);
	assert_int_equal(drv_elision("[...] x", 7), 5);
	assert_int_equal(drv_elision("<snip>", 6), 6);
	assert_int_equal(drv_elision(". x", 3), 0);
	assert_int_equal(drv_elision("x...", 4), 0);
}

static bool has_token(const char *s)
{
	return drv_has_token(s, strlen(s));
}

static void test_tokens(void **state)
{
	assert_true(has_token("CMDQ erorr (cons 0x0302bb84)"));
	assert_true(has_token("blah hwcons 0x1"));
	assert_false(has_token("msi_domain absent - falling back to wired irqs"));
	assert_false(has_token("option mask 0x0"));
}

/*
 * The kernel's own format, rendered with printf: read back FULL by the
 * matcher and accepted by the parser (its first-bytes gate is hand-written,
 * this keeps it and the catalogue in step).
 */
static void test_catalogue_round_trip(void **state)
{
	struct text t = { 0 };

	for (int id = DRV_NONE + 1; id < DRV_MSG_MAX; id++) {
		const struct drv_msg *msg = drv_msg_get(id);
		char body[512];
		struct drv_match m;
		struct evlist *l;

		assert_non_null(msg);
		switch (id) {
		case DRV_CMDQ_ERROR:
			snprintf(body, sizeof(body), msg->fmt, 0x0302bb84u, "ATC invalidate timeout");
			break;
		case DRV_EVENT_XLATE:
			snprintf(body, sizeof(body), msg->fmt, "F_TRANSLATION", "0000:01:00.0", 0x100u,
				 0u, 0x1000ull, 0ull);
			break;
		case DRV_EVENT_FETCH:
			snprintf(body, sizeof(body), msg->fmt, "F_CD_FETCH", "0000:01:00.0", 0x100u, 1u,
				 0x1000ull);
			break;
		case DRV_EVENT_OTHER:
			snprintf(body, sizeof(body), msg->fmt, "C_BAD_STE", "0000:01:00.0", 0x100u, 0u);
			break;
		case DRV_EVENT_DETAIL:
			snprintf(body, sizeof(body), msg->fmt, "priv", "inst", "read", "s2", "CD fetch",
				 " ttd_read", " stall", 0x12u);
			break;
		case DRV_PRI_DETAIL:
			snprintf(body, sizeof(body), msg->fmt, 0x100u, 1u, 2u, "L", "", "R", "W", "X",
				 0x1000ull);
			break;
		case DRV_ALLOCATED:
			snprintf(body, sizeof(body), msg->fmt, 256u, "cmdq");
			break;
		case DRV_FEATURES:
			snprintf(body, sizeof(body), msg->fmt, 48ul, 44ul, 0x1fu);
			break;
		case DRV_FEATURES_OAS:
			snprintf(body, sizeof(body), msg->fmt, 44ul, 0x1fu);
			break;
		case DRV_CMDQV_ERROR:
			snprintf(body, sizeof(body), msg->fmt, 1ull, 0u, 0u, 0u, 4u);
			break;
		case DRV_DWORD:
			snprintf(body, sizeof(body), msg->fmt, 0x0000010000000010ull);
			break;
		case DRV_EVENT_HDR:
		case DRV_UNKNOWN_OPCODE:
		case DRV_OPTION_MASK:
			snprintf(body, sizeof(body), msg->fmt, 0x10u);
			break;
		default:
			snprintf(body, sizeof(body), msg->fmt, 0x12345678u, 0x2u, 0x3u);
			break;
		}
		if (drv_match_one(msg, body, strlen(body), &m) != DRVM_FULL || m.mangled || m.elided)
			fail_msg("%s does not read back: \"%s\"", msg->fmt, body);
		if (msg->flags & DRVF_CONT)
			continue;
		/* through the parser's gates as a bare line and after the driver's prefix */
		t.len = 0;
		text_printf(&t, "%s\n[1.0] arm-smmu-v3 x: %s\n", body, body);
		l = parse_text(t.s);
		if (l->p.stats.messages < 2 || l->p.stats.unrecognized)
			fail_msg("%s: %lu messages, %lu unrecognized", msg->fmt,
				 (unsigned long)l->p.stats.messages,
				 (unsigned long)l->p.stats.unrecognized);
		free(l);
	}
	free(t.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_mangled_and_elided),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_bad_and_none),
		cmocka_unit_test(test_old_forms),
		cmocka_unit_test(test_elision_forms),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_catalogue_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
