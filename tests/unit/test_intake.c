// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The intake layer: a log written from the driver's format strings
 * (corpus.h), mangled the ways pasting mangles it, must give the events
 * the clean log gives.  Then the manglings that lose something (a device
 * prefix, hand edits) and text that is not this driver's at all.
 */
#include "testutil.h"
#include "corpus.h"
#include "decode.h"

/* events as the clean log gave them; the line they came from may differ */
static void same_events(const struct evlist *got, const struct evlist *want, const char *what)
{
	if (got->n != want->n)
		fail_msg("%s: %d events, want %d", what, got->n, want->n);
	for (int i = 0; i < want->n; i++) {
		const struct smmu_event *a = &got->ev[i], *b = &want->ev[i];
		size_t off = offsetof(struct smmu_event, cmdq_error);

		if (a->hdr.type != b->hdr.type || a->hdr.mono_ns != b->hdr.mono_ns ||
		    a->hdr.wall_ns != b->hdr.wall_ns || strcmp(a->hdr.smmu, b->hdr.smmu) ||
		    (a->hdr.flags & 0xff) != (b->hdr.flags & 0xff) ||
		    memcmp((const char *)a + off, (const char *)b + off, sizeof(*a) - off))
			fail_msg("%s: event %d (type %u, line %u) differs from type %u at line %u",
				 what, i, a->hdr.type, a->hdr.seq, b->hdr.type, b->hdr.seq);
	}
}

static struct evlist *clean_events(void)
{
	struct text t = { 0 };
	struct evlist *l;

	corpus_log(&t);
	l = parse_text(t.s);
	free(t.s);
	return l;
}

static int count_type(const struct evlist *l, int type)
{
	int n = 0;

	for (int i = 0; i < l->n; i++)
		n += l->ev[i].hdr.type == type;
	return n;
}

/* the corpus itself: every message the driver prints, read right */
static void test_clean_corpus(void **state)
{
	struct evlist *l = clean_events();
	const struct smmu_event *ev;
	struct smmu_evt f;

	assert_int_equal(l->n, 27);
	assert_int_equal(count_type(l, SMMU_EV_CMDQ_ERROR), 5);
	assert_int_equal(count_type(l, SMMU_EV_SYNC_TIMEOUT), 3);
	assert_int_equal(count_type(l, SMMU_EV_CMDQ_TIMEOUT), 2);
	assert_int_equal(count_type(l, SMMU_EV_EVTQ), 3);
	assert_int_equal(count_type(l, SMMU_EV_SUPPRESSED), 2);
	assert_int_equal(l->p.stats.malformed, 0);
	assert_int_equal(l->p.stats.unrecognized, 0);
	assert_int_equal(l->p.stats.incomplete, 0);
	/* the illegal command's skipped dwords */
	ev = &l->ev[12];
	assert_int_equal(ev->hdr.type, SMMU_EV_SKIPPED_CMD);
	assert_int_equal(ev->skipped.cmd[0], 0x0009010000000040ULL);
	assert_int_equal(ev->skipped.cmd[1], 0x34);
	/* <= 6.13 event: everything from the dwords */
	ev = &l->ev[17];
	assert_int_equal(ev->hdr.type, SMMU_EV_EVTQ);
	smmu_evtq_fields(&ev->evtq, &f);
	assert_int_equal(f.id, 0x13);
	assert_int_equal(f.sid, 0x100);
	assert_int_equal(f.addr, 0xffff1000);
	assert_true(f.have & SMMU_EVT_RW);
	assert_int_equal(f.read, 1);		/* RnW, dword 1 bit 35 */
	/* 6.19 event: the decoded lines name the client and the access */
	ev = &l->ev[18];
	assert_string_equal(ev->evtq.client, "0000:02:00.0");
	assert_int_equal(ev->evtq.sid, 0x200);
	assert_true(ev->evtq.have & SMMU_EVTQ_HAVE_DETAIL);
	assert_int_equal(ev->evtq.read, 0);
	assert_int_equal(ev->evtq.cls, 2);
	ev = &l->ev[19];
	assert_int_equal(ev->evtq.id, 0x02);
	assert_string_equal(ev->evtq.client, "(unassigned sid)");
	assert_int_equal(ev->evtq.sid, 0x3f);
	/* a kernel before 5.4: no position, and none missing either */
	ev = &l->ev[25];
	assert_int_equal(ev->hdr.type, SMMU_EV_SYNC_TIMEOUT);
	assert_int_equal(ev->sync_timeout.prod, SMMU_NO_POS);
	assert_int_equal(ev->sync_timeout.no_pos, 1);
	assert_int_equal(ev->sync_timeout.have_hw, 0);
	assert_int_equal(l->ev[26].hdr.type, SMMU_EV_CMDQ_TIMEOUT);
	free(l);
}

static void check_mangled(const struct text *t, const char *what)
{
	struct evlist *want = clean_events(), *got = parse_text(t->s);

	same_events(got, want, what);
	assert_int_equal(got->p.stats.unrecognized, 0);
	assert_int_equal(got->p.stats.malformed, 0);
	free(got);
	free(want);
}

static void test_quote_markers(void **state)
{
	static const char *const prefixes[] = {
		"> ", "> > > ", ">>", "| ", "    ", "\t", "\t\t", " >  > ", "> \t", ">",
	};
	struct text clean = { 0 };

	corpus_log(&clean);
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		struct text t = { 0 };

		mangle_prefix(&t, clean.s, prefixes[i]);
		check_mangled(&t, prefixes[i]);
		free(t.s);
	}
	free(clean.s);
}

static void test_quoted_printable(void **state)
{
	struct text clean = { 0 }, q = { 0 }, t = { 0 }, t2 = { 0 };

	corpus_log(&clean);
	mangle_qp(&t, clean.s);
	/* the encoded text has soft breaks and escapes the decoder must undo */
	assert_non_null(strstr(t.s, "=\n"));
	assert_non_null(strstr(t.s, "=09"));
	check_mangled(&t, "quoted-printable");
	/* a quoted reply, then encoded */
	mangle_prefix(&q, clean.s, "> ");
	mangle_qp(&t2, q.s);
	check_mangled(&t2, "quoted, then quoted-printable");
	free(clean.s);
	free(q.s);
	free(t.s);
	free(t2.s);
}

typedef void (*wrap_fn)(struct text *out, const char *in, size_t width);

static void check_widths(wrap_fn wrap, size_t from, size_t to, size_t step, const char *who)
{
	struct text clean = { 0 };

	corpus_log(&clean);
	for (size_t width = from; width <= to; width += step) {
		struct text t = { 0 };
		char what[48];

		wrap(&t, clean.s, width);
		snprintf(what, sizeof(what), "%s wrap at %zu", who, width);
		check_mangled(&t, what);
		free(t.s);
	}
	free(clean.s);
}

static void test_mail_wrap(void **state)
{
	check_widths(mangle_mail_wrap, 40, 100, 4, "mail");
}

static void test_terminal_wrap(void **state)
{
	check_widths(mangle_term_wrap, 60, 132, 3, "terminal");
}

/* the wrap points the issue names, one at a time, in a quoted paste */
static void test_named_wraps(void **state)
{
	struct evlist *l = parse_text(
		"> [ 4420.102301] arm-smmu-v3 arm-smmu-v3.0.auto: CMD_SYNC timeout at\n"
		"> 0x0002bb84 [hwprod 0x0002bb92, hwcons 0x0302bb84]\n"
		"> [ 4420.102302] arm-smmu-v3 arm-smmu-v3.0.auto: CMD_SYNC timeout at 0x0002bb88\n"
		"> [hwprod 0x0002bb92, hwcons 0x0302bb88]\n"
		"> [ 4421.000001] arm-smmu-v3 arm-smmu-v3.0.auto: event 0x10 received:\n"
		"> [ 4421.000002] arm-smmu-v3 arm-smmu-v3.0.auto: \t0x00000100000\n"
		"> 00010\n"
		"> [ 4421.000003] arm-smmu-v3 arm-smmu-v3.0.auto: \t0x0000000000000000\n"
		"> [ 4421.000004] arm-smmu-v3 arm-smmu-v3.0.auto: \t0x0000000080001000 [ 4421.000005]\n"
		"> arm-smmu-v3 arm-smmu-v3.0.auto: \t0x0000000000000000\n"
		"> [ 4422.000001] arm-smmu-v3 arm-smmu-v3.0.auto: CMD_SYNC timeout\n"
		"> at 0x0002bb8c [hwprod 0x0002bb92, hwcons 0x0302bb8c]\n");

	assert_int_equal(l->n, 4);
	/* wrapped before " at": the newer line, not a kernel that printed no position */
	assert_int_equal(l->ev[3].sync_timeout.prod, 0x2bb8c);
	assert_int_equal(l->ev[3].sync_timeout.no_pos, 0);
	assert_int_equal(l->p.stats.malformed, 0);
	assert_int_equal(l->ev[0].sync_timeout.prod, 0x2bb84);
	assert_int_equal(l->ev[0].sync_timeout.hwcons, 0x0302bb84);
	assert_int_equal(l->ev[0].sync_timeout.have_hw, 1);
	assert_int_equal(l->ev[1].sync_timeout.prod, 0x2bb88);
	assert_int_equal(l->ev[1].sync_timeout.hwprod, 0x2bb92);
	assert_int_equal(l->ev[2].hdr.type, SMMU_EV_EVTQ);
	assert_int_equal(l->ev[2].evtq.n_dw, 4);
	assert_int_equal(l->ev[2].evtq.dw_bad, 0);
	assert_int_equal(l->ev[2].evtq.dw[0], 0x0000010000000010ULL);
	assert_int_equal(l->ev[2].evtq.sid, 0x100);
	assert_int_equal(l->ev[2].evtq.iova, 0x80001000);
	assert_true(l->ik.st.joined >= 3);
	free(l);
}

/* what a reply in a mail client does: quote, re-wrap, encode */
static void test_combined(void **state)
{
	static const size_t widths[] = { 60, 72, 78 };
	struct text clean = { 0 };

	corpus_log(&clean);
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		struct text q = { 0 }, w = { 0 }, e = { 0 }, w2 = { 0 }, q2 = { 0 };
		char what[48];

		mangle_prefix(&q, clean.s, "> ");
		mangle_mail_wrap(&w, q.s, widths[i]);
		snprintf(what, sizeof(what), "quoted, wrapped at %zu", widths[i]);
		check_mangled(&w, what);
		mangle_qp(&e, w.s);
		snprintf(what, sizeof(what), "quoted, wrapped at %zu, QP", widths[i]);
		check_mangled(&e, what);
		/* wrapped first, then quoted twice by two replies */
		mangle_mail_wrap(&w2, clean.s, widths[i]);
		mangle_prefix(&q2, w2.s, "> > ");
		snprintf(what, sizeof(what), "wrapped at %zu, quoted twice", widths[i]);
		check_mangled(&q2, what);
		free(q.s);
		free(w.s);
		free(e.s);
		free(w2.s);
		free(q2.s);
	}
	free(clean.s);
}

static void test_glued_timestamps(void **state)
{
	struct text clean = { 0 }, t = { 0 }, t2 = { 0 };

	corpus_log(&clean);
	mangle_ts_to_prev(&t, clean.s);
	check_mangled(&t, "timestamp moved to the line before");
	mangle_join_pairs(&t2, clean.s);
	check_mangled(&t2, "two lines as one");
	free(clean.s);
	free(t.s);
	free(t2.s);
}

static void test_between_timestamp_and_message(void **state)
{
	static const char *const what[] = {
		"[  T1234]", "[    C3]", "[T1]", "[pid:134,cpu0,irq/13-arm-smmu]",
		" [pid:134,cpu0,irq/13-arm-smmu]", "[  T1234][pid:9,cpu3,kworker/3:1]", " (3)",
		" <3>", " kernel:",
	};
	struct text clean = { 0 };

	corpus_log(&clean);
	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		struct text t = { 0 };

		mangle_after_ts(&t, clean.s, what[i]);
		check_mangled(&t, what[i]);
		free(t.s);
	}
	free(clean.s);
}

/* headers before the timestamp: syslog, journal, console noise, colour */
static void test_headers_and_noise(void **state)
{
	static const char *const before[] = {
		"May 19 10:11:12 gpu-node-7 kernel: ",
		"2026-05-19T10:11:12.123456+00:00 gpu-node-7 kernel: ",
		"root@gpu-node-7:~# ",
		"\x1b[0m",
		"<6>",
		"2026-05-19 10:11:12 gpu-node-7 kern.err kernel: ",
	};
	struct text clean = { 0 };

	corpus_log(&clean);
	for (size_t i = 0; i < sizeof(before) / sizeof(before[0]); i++) {
		struct text t = { 0 };
		struct evlist *want = clean_events(), *got;

		mangle_prefix(&t, clean.s, before[i]);
		got = parse_text(t.s);
		/* a syslog header adds wall time to each event: compare the rest */
		for (int k = 0; k < got->n && k < want->n; k++) {
			got->ev[k].hdr.wall_ns = want->ev[k].hdr.wall_ns;
			got->ev[k].hdr.flags &= ~SMMU_EVF_WALL;
			want->ev[k].hdr.flags &= ~SMMU_EVF_WALL;
		}
		same_events(got, want, before[i]);
		free(got);
		free(want);
		free(t.s);
	}
	free(clean.s);
}

static void test_journal_monotonic_and_colour(void **state)
{
	struct evlist *l = parse_text(
		"[  813.000120] gpu-node-7 kernel: arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error "
		"(cons 0x0302bb84): ATC invalidate timeout\n"
		"\x1b[32m[  813.000130]\x1b[0m \x1b[33marm-smmu-v3 arm-smmu-v3.0.auto\x1b[0m: CMDQ error "
		"(cons 0x0302bb88): ATC invalidate timeout\n");

	assert_int_equal(l->n, 2);
	assert_int_equal(l->ev[0].cmdq_error.cons, 0x0302bb84);
	assert_int_equal(l->ev[0].hdr.mono_ns, 813000120000ULL);
	assert_string_equal(l->ev[1].hdr.smmu, "arm-smmu-v3.0.auto");
	assert_int_equal(l->ev[1].hdr.mono_ns, 813000130000ULL);
	free(l);
	/* RFC 5424 from a syslog forwarder */
	l = parse_text("<3>1 2026-05-19T10:11:12.123456Z gpu-node-7 kernel - - - arm-smmu-v3 "
		       "arm-smmu-v3.0.auto: CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n");
	assert_int_equal(only(l, SMMU_EV_CMDQ_ERROR)->cmdq_error.cons, 0x0302bb84);
	assert_int_equal(l->ev[0].hdr.wall_ns, 1779185472123456000LL);
	free(l);
}

/* smmu: null, or the best name the excerpt gives; never a guess */
static void test_device_prefix(void **state)
{
	struct evlist *l = parse_text(
		"[1.0] CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"[1.1] arm-smmu-v3: CMDQ error (cons 0x0302bb88): ATC invalidate timeout\n"
		"[1.2] platform arm-smmu-v3.0.auto: CMDQ error (cons 0x0302bb8c): ATC invalidate timeout\n"
		"[1.3] arm-smmu-v3.1.auto: CMDQ error (cons 0x0302bb90): ATC invalidate timeout\n"
		"[1.4] arm-smmu-v3\n"
		"arm-smmu-v3.2.auto: CMDQ error (cons 0x0302bb94): ATC invalidate timeout\n");

	assert_int_equal(l->n, 5);
	assert_string_equal(l->ev[0].hdr.smmu, "");
	assert_string_equal(l->ev[1].hdr.smmu, "");
	assert_string_equal(l->ev[2].hdr.smmu, "arm-smmu-v3.0.auto");
	assert_true(l->ev[2].hdr.flags & SMMU_EVF_PLATFORM);
	assert_string_equal(l->ev[3].hdr.smmu, "arm-smmu-v3.1.auto");
	assert_string_equal(l->ev[4].hdr.smmu, "arm-smmu-v3.2.auto");
	assert_int_equal(l->ev[4].cmdq_error.cons, 0x0302bb94);
	assert_int_equal(l->ev[4].hdr.mono_ns, 1400000000ULL);
	free(l);
}

/* take what is there, null what is not */
static void test_hand_edits(void **state)
{
	struct evlist *l = parse_text(
		"[  10.000001] arm-smmu-v3 arm-smmu-v3.0.auto: CMD_SYNC timeout at 0x\xe2\x80\xa6 ...\n"
		"...\n"
		"[  10.000002] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x...): ATC invalidate timeout\n"
		"[...]\n"
		"[  10.000003] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x0302bb84): "
		"ATC invalidate timeout   <-- the first one\n"
		"[  10.000004] arm-smmu-v3 arm-smmu-v3.0.auto: CMD_SYNC timeout at 0x0000bb84 "
		"[hwprod 0x????????, hwcons 0x0302bb84]\n"
		"[  10.000005] arm-smmu-v3 arm-smmu-v3.0.auto: unexpected global error reported "
		"(0x00000001).. # then it hung\n");

	assert_int_equal(l->n, 5);
	assert_int_equal(l->ev[0].hdr.type, SMMU_EV_SYNC_TIMEOUT);
	assert_int_equal(l->ev[0].sync_timeout.prod, SMMU_NO_POS);
	assert_int_equal(l->ev[0].sync_timeout.have_hw, 0);
	assert_int_equal(l->ev[1].cmdq_error.cons, SMMU_NO_POS);
	assert_int_equal(l->ev[1].cmdq_error.cerror, SMMU_CERROR_ATC_INV_SYNC);
	assert_int_equal(l->ev[2].cmdq_error.cons, 0x0302bb84);
	assert_int_equal(l->ev[2].cmdq_error.cerror, SMMU_CERROR_ATC_INV_SYNC);
	assert_int_equal(l->ev[3].sync_timeout.prod, 0xbb84);
	assert_int_equal(l->ev[3].sync_timeout.have_hw, 0);	/* hwprod was elided */
	assert_int_equal(l->ev[4].gerror.active, 1);
	assert_int_equal(l->p.stats.malformed, 4);
	assert_int_equal(l->p.stats.unrecognized, 0);
	free(l);
}

/* a dword that cannot be read is unknown; the ones after it are not shifted */
static void test_dwords(void **state)
{
	struct smmu_evt f;
	struct evlist *l = parse_text(
		"[5.0] arm-smmu-v3 s: event 0x10 received: 0x0000010000000010 0x0000000800000000\n"
		"[5.0] arm-smmu-v3 s: \t0x00000000ffff1000 0x0000000000000000\n"
		"[6.0] arm-smmu-v3 s: event 0x10 received:\n"
		"[6.0] arm-smmu-v3 s: \t0x0000020000000010\n"
		"[6.0] arm-smmu-v3 s: \t0x00000008zz000000\n"
		"[6.0] arm-smmu-v3 s: \t0x00000000ffff2000\n"
		"[6.0] arm-smmu-v3 s: \t0x0000000000000000\n"
		"[7.0] arm-smmu-v3 s: event 0x10 received:\n"
		"[7.0] arm-smmu-v3 s: \t0x0000030000000010\n"
		"[7.0] arm-smmu-v3 s: ...\n"
		"[7.0] arm-smmu-v3 s: \t0x0000000000000000\n"
		"[8.0] arm-smmu-v3 s: event 0x10 received:\n"
		"[8.0] arm-smmu-v3 s: \t0x00000400000010\n"
		"[8.0] arm-smmu-v3 s: \t0x0000000800000000\n");

	assert_int_equal(l->n, 4);
	/* flattened onto two lines */
	smmu_evtq_fields(&l->ev[0].evtq, &f);
	assert_int_equal(l->ev[0].evtq.n_dw, 4);
	assert_int_equal(f.sid, 0x100);
	assert_int_equal(f.addr, 0xffff1000);
	assert_int_equal(f.read, 1);
	/* a mangled dword 1: read/write unknown, the address still read */
	smmu_evtq_fields(&l->ev[1].evtq, &f);
	assert_int_equal(l->ev[1].evtq.dw_bad, 2);
	assert_int_equal(f.sid, 0x200);
	assert_false(f.have & SMMU_EVT_RW);
	assert_true(f.have & SMMU_EVT_ADDR);
	assert_int_equal(f.addr, 0xffff2000);
	/* "..." for the middle dwords: the last one is not taken for dword 1 */
	assert_int_equal(l->ev[2].evtq.dw_bad, 0xe);
	smmu_evtq_fields(&l->ev[2].evtq, &f);
	assert_int_equal(f.sid, 0x300);
	assert_false(f.have & (SMMU_EVT_ADDR | SMMU_EVT_RW));
	/* 14 digits: dword 0, and with it the StreamID, unknown */
	assert_int_equal(l->ev[3].evtq.dw_bad & 1, 1);
	assert_int_equal(l->ev[3].evtq.have_sid, 0);
	assert_int_equal(l->ev[3].evtq.id, 0x10);	/* the header said so */
	/* ... so dword 1 is still read by the event's layout */
	smmu_evtq_fields(&l->ev[3].evtq, &f);
	assert_false(f.have & SMMU_EVT_SID);
	assert_true(f.have & SMMU_EVT_RW);
	assert_int_equal(f.read, 1);
	free(l);
}

/* other SMMU drivers, other OSes, prose: nothing */
static void test_not_this_driver(void **state)
{
	struct evlist *l = parse_text(
		"[  5.1] arm-smmu 2b400000.iommu: Unexpected global fault, this could be serious\n"
		"[  5.2] arm-smmu 2b400000.iommu: Unhandled context fault: fsr=0x402, iova=0x8000, "
		"fsynr=0x1, cbfrsynra=0x100, cb=0\n"
		"(XEN) SMMUv3: /smmu@2b400000: CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"(XEN) [  813.000120] SMMUv3: /smmu@2b400000: CMD_SYNC timeout at 0x0000bb84 "
		"[hwprod 0x0000bb90, hwcons 0x0302bb84]\n"
		"SMMUv3: /smmu@2b400000: CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"smmu: /iommu@2b400000: Unexpected global fault, this could be serious\n"
		"[  6.0] nvme 0000:01:00.0: CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n"
		"We kept seeing the CMDQ error (cons 0x0302bb84): ATC invalidate timeout line.\n"
		"The fix is in arm_smmu_cmdq_issue_cmdlist(); see CMD_SYNC timeout at 0x0 in the log\n"
		"[  7.0] some_driver: 9 callbacks suppressed\n"
		/* Xen's port prints 4.x's bare form too; firmware logs their own way */
		"(XEN) SMMUv3: /smmu@2b400000: CMD_SYNC timeout\n"
		"(XEN) [  813.000120] SMMUv3: /smmu@2b400000: CMD_SYNC timeout\n"
		"SMMUv3: /smmu@2b400000: CMD_SYNC timeout\n"
		"ERROR:   SMMUv3: CMD_SYNC timeout\n"
		"[  8.0] smmuv3: CMD_SYNC timeout at 0x00000010 [hwprod 0x00000011, "
		"hwcons 0x00000010]\n");

	assert_int_equal(l->n, 0);
	assert_int_equal(l->ik.st.foreign, 4);
	free(l);
}

/* never silent: what looks like the driver's and cannot be read is counted and kept */
static void test_unrecognized(void **state)
{
	struct evlist *l = parse_text(
		"[1.0] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ erorr (cons 0x0302bb84): ATC invalidate timeout\n"
		"[1.1] arm-smmu-v3 arm-smmu-v3.0.auto: event 0x10 recieved:\n"
		"[1.2] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error [cons 0x0302bb84]: ATC invalidate timeout\n"
		"saw arm-smmu-v3 arm-smmu-v3.0.auto: CMD_SYNC timeout at 0x0000bb84 [hwprod 0x0000bb90, "
		"hwcons 0x0302bb84] twice\n"
		"[1.3] arm-smmu-v3 arm-smmu-v3.0.auto: msi_domain absent - falling back to wired irqs\n"
		"[1.4] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ timeout\n");

	assert_int_equal(l->n, 1);
	assert_int_equal(l->ev[0].hdr.type, SMMU_EV_CMDQ_TIMEOUT);
	assert_int_equal(l->p.stats.unrecognized, 4);
	assert_int_equal(l->p.n_samples, 4);
	assert_int_equal(l->p.samples[0].line, 1);
	assert_string_equal(l->p.samples[0].expected, "CMDQ error (cons 0x%08x): %s");
	assert_string_equal(l->p.samples[1].expected, "event 0x%02x received:");
	assert_string_equal(l->p.samples[2].expected, "CMDQ error (cons 0x%08x): %s");
	assert_int_equal(l->p.samples[3].line, 4);
	assert_null(strstr(l->p.samples[0].text, "[1.0]"));	/* the message, not the line */
	free(l);
}

/* after a header we do not know, only once something ends it */
static void test_after_other_headers(void **state)
{
	struct evlist *l = parse_text(
		"node7 | WARN | kern: arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x0302bb84): "
		"ATC invalidate timeout\n"
		"2026/05/19 10:11:12 [node7] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error "
		"(cons 0x0302bb88): ATC invalidate timeout\n");

	assert_int_equal(l->n, 2);
	assert_int_equal(l->ev[0].cmdq_error.cons, 0x0302bb84);
	assert_int_equal(l->ev[1].cmdq_error.cons, 0x0302bb88);
	assert_int_equal(l->ik.st.elsewhere, 2);
	free(l);
}

/* the Tegra241 CMDQV line, on its own device whatever it prints as */
static void test_cmdqv(void **state)
{
	struct evlist *l = parse_text(
		"[ 90.0] acpi NVDA200C:00: unexpected error reported. vintf_map: 0000000000000001, "
		"vcmdq_map 00000000:00000000:00000000:00000004\n"
		"[ 90.0] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x01000012): Illegal command\n");

	assert_int_equal(l->n, 2);
	assert_int_equal(l->ev[0].hdr.type, SMMU_EV_CMDQV_ERROR);
	assert_string_equal(l->ev[0].hdr.smmu, "NVDA200C:00");
	assert_int_equal(l->ev[0].cmdqv.vintf_map, 1);
	assert_int_equal(l->ev[0].cmdqv.vcmdq_map[0], 4);
	assert_int_equal(l->ev[0].cmdqv.have, 0x1f);
	free(l);
}

/* the layer does nothing to a clean log but read it in bulk */
static void test_clean_log_untouched(void **state)
{
	struct evlist *l = clean_events();

	assert_int_equal(l->ik.st.quoted + l->ik.st.qp + l->ik.st.joined + l->ik.st.split +
			 l->ik.st.decorated + l->ik.st.noise + l->ik.st.elsewhere, 0);
	assert_false(l->ik.pasted);
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_corpus),
		cmocka_unit_test(test_quote_markers),
		cmocka_unit_test(test_quoted_printable),
		cmocka_unit_test(test_mail_wrap),
		cmocka_unit_test(test_terminal_wrap),
		cmocka_unit_test(test_named_wraps),
		cmocka_unit_test(test_combined),
		cmocka_unit_test(test_glued_timestamps),
		cmocka_unit_test(test_between_timestamp_and_message),
		cmocka_unit_test(test_headers_and_noise),
		cmocka_unit_test(test_journal_monotonic_and_colour),
		cmocka_unit_test(test_device_prefix),
		cmocka_unit_test(test_hand_edits),
		cmocka_unit_test(test_dwords),
		cmocka_unit_test(test_not_this_driver),
		cmocka_unit_test(test_unrecognized),
		cmocka_unit_test(test_after_other_headers),
		cmocka_unit_test(test_cmdqv),
		cmocka_unit_test(test_clean_log_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
