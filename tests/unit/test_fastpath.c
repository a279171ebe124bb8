// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The fast path of clean lines (kmsg_parse_clean, its block-wise line ends
 * and noise checks) against the slow path it stands for: the same text,
 * every line through the intake's slow path at once, and through the fast
 * path in the pieces a reader hands over, must give the same events, line
 * numbers, statistics and parser state.  The texts: the fixtures, the
 * corpus and its manglings, and generated mixes of noise, driver lines,
 * wraps, quotes, NULs, CRs, long lines and other log formats.
 */
#include <dirent.h>

#include "testutil.h"
#include "capture.h"
#include "corpus.h"

struct run {
	struct smmu_event *ev;
	int n, cap;
	struct kmsg_parser p;
	struct intake ik;
};

/*
 * The parser reuses one event and clears only what the last one wrote: an
 * event past its header and union member must still read zero, as a
 * freshly zeroed one would.
 */
static void assert_tail_zero(const struct smmu_event *ev)
{
	size_t n = smmu_event_size(ev->hdr.type);
	const unsigned char *b = (const unsigned char *)ev;

	for (size_t i = n ? n : sizeof(*ev); i < sizeof(*ev); i++)
		assert_int_equal(b[i], 0);
}

static void collect(void *ctx, const struct smmu_event *ev)
{
	struct run *r = ctx;

	assert_tail_zero(ev);
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->ev = realloc(r->ev, r->cap * sizeof(*r->ev));
		assert_non_null(r->ev);
	}
	memcpy(&r->ev[r->n++], ev, sizeof(*ev));
}

static uint32_t rnd(uint32_t *seed)
{
	*seed ^= *seed << 13;
	*seed ^= *seed >> 17;
	*seed ^= *seed << 5;
	return *seed;
}

/*
 * seed 0: the whole text at once; otherwise pieces of 1 to 300 bytes, the
 * bytes not consumed offered again with the next piece, as logread does
 */
enum path { SLOW, PLAIN_SCAN, FAST };

static struct run *run_text(const char *s, size_t len, enum path path, uint32_t seed)
{
	struct run *r = calloc(1, sizeof(*r));
	size_t off = 0, pending = 0;

	assert_non_null(r);
	kmsg_parser_init(&r->p, 2026, collect, r);
	intake_init(&r->ik, &r->p);
	r->ik.slow_only = path == SLOW;
	r->p.plain_scan = path == PLAIN_SCAN;
	drv_bytewise_walk = path != FAST;
	while (seed && off < len) {
		size_t take = rnd(&seed) % 300 + 1;

		if (take > len - off)
			take = len - off;
		pending += take;
		off += take;
		pending -= intake_block(&r->ik, s + off - pending, pending, false);
	}
	if (!seed)
		pending = len;
	intake_block(&r->ik, s + len - pending, pending, true);
	intake_finish(&r->ik);
	return r;
}

static void free_run(struct run *r)
{
	free(r->ev);
	free(r);
}

/* what the slow path gives too: events, parser statistics, line numbers */
static void same_events(const struct run *a, const struct run *b, const char *what)
{
	const struct kmsg_parser *p = &a->p, *q = &b->p;

	if (a->n != b->n)
		fail_msg("%s: %d events, %d in the reference", what, b->n, a->n);
	for (int i = 0; i < a->n; i++)
		if (memcmp(&a->ev[i], &b->ev[i], sizeof(a->ev[i])))
			fail_msg("%s: event %d (type %u, line %u) differs (type %u, line %u)",
				 what, i, b->ev[i].hdr.type, b->ev[i].hdr.seq,
				 a->ev[i].hdr.type, a->ev[i].hdr.seq);
	if (memcmp(&p->stats, &q->stats, sizeof(p->stats)))
		fail_msg("%s: parser statistics differ (lines %lu, %lu in the reference)", what,
			 (unsigned long)q->stats.lines, (unsigned long)p->stats.lines);
	assert_int_equal(p->line_no, q->line_no);
	assert_int_equal(p->in_kmsg_record, q->in_kmsg_record);
	assert_int_equal(p->n_samples, q->n_samples);
	for (int i = 0; i < p->n_samples; i++) {
		assert_int_equal(p->samples[i].line, q->samples[i].line);
		assert_ptr_equal(p->samples[i].expected, q->samples[i].expected);
		assert_string_equal(p->samples[i].text, q->samples[i].text);
	}
}

/*
 * All the state lines leave behind.  The slow path differs from any fast
 * one here (as before the block scan): a line the fast path looks at and
 * then leaves to the slow path counts twice in bracket_lines (which can end
 * the look for journal hosts sooner), and a split line's tail counts in the
 * intake's statistics another way.  So this is
 * checked against the fast path with its plain per-line scan.
 */
static void same_state(const struct run *a, const struct run *b, const char *what)
{
	same_events(a, b, what);
	if (memcmp(&a->ik.st, &b->ik.st, sizeof(a->ik.st)))
		fail_msg("%s: intake statistics differ", what);
	assert_int_equal(a->p.bracket_lines, b->p.bracket_lines);
	assert_int_equal(a->p.host_after_bracket, b->p.host_after_bracket);
	assert_int_equal(a->ik.pasted, b->ik.pasted);
	assert_int_equal(a->ik.qp, b->ik.qp);
	assert_int_equal(a->ik.holding, b->ik.holding);
	assert_int_equal(a->ik.have_carry, b->ik.have_carry);
}

/*
 * The slow path, and the fast path with its plain scan, each whole, against
 * the fast path whole and in pieces (the slow path only where vs_slow: see
 * head() below for what it reads otherwise, as before the block scan).
 */
static void check_text_as(const char *s, size_t len, const char *what, bool vs_slow)
{
	struct run *slow = run_text(s, len, SLOW, 0), *plain = run_text(s, len, PLAIN_SCAN, 0);
	uint32_t seeds[] = { 0, 1, 0x9e3779b9, (uint32_t)len | 1 };

	if (vs_slow)
		same_events(slow, plain, what);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct run *fast = run_text(s, len, FAST, seeds[i]);

		if (vs_slow)
			same_events(slow, fast, what);
		same_state(plain, fast, what);
		free_run(fast);
	}
	free_run(plain);
	free_run(slow);
}

static void check_text(const char *s, size_t len, const char *what)
{
	check_text_as(s, len, what, true);
}

static void test_fixtures(void **state)
{
	const char *dir = "tests/fixtures/logs";
	struct dirent *d;
	int n = 0;
	DIR *dp = opendir(dir);

	assert_non_null(dp);
	while ((d = readdir(dp))) {
		struct text t = { 0 };
		char path[512], buf[4096];
		size_t k;
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		while ((k = fread(buf, 1, sizeof(buf), f)))
			text_add(&t, buf, k);
		fclose(f);
		check_text(t.s, t.len, path);
		free(t.s);
		n++;
	}
	closedir(dp);
	assert_true(n >= 5);
}

typedef void (*mangle_fn)(struct text *out, const char *in);

static void wrap_mail_60(struct text *o, const char *in) { mangle_mail_wrap(o, in, 60); }
static void wrap_term_80(struct text *o, const char *in) { mangle_term_wrap(o, in, 80); }
static void quoted(struct text *o, const char *in) { mangle_prefix(o, in, "> "); }
static void caller_id(struct text *o, const char *in) { mangle_after_ts(o, in, " [ T1234]"); }

static void test_corpus_and_manglings(void **state)
{
	static const mangle_fn mangles[] = {
		NULL, wrap_mail_60, wrap_term_80, quoted, caller_id, mangle_qp,
		mangle_ts_to_prev, mangle_join_pairs,
	};
	struct text clean = { 0 };

	corpus_log(&clean);
	for (size_t i = 0; i < sizeof(mangles) / sizeof(mangles[0]); i++) {
		struct text t = { 0 };
		char what[32];

		if (mangles[i])
			mangles[i](&t, clean.s);
		else
			text_add(&t, clean.s, clean.len);
		snprintf(what, sizeof(what), "mangling %zu", i);
		check_text(t.s, t.len, what);
		free(t.s);
	}
	free(clean.s);
}

/* ---- generated mixes ----------------------------------------------------- */

static const char *const noise[] = {
	"systemd[1]: Started session-19773.scope - Session 19773 of User root.",
	"mlx5_core 0000:01:00.0: mlx5e_ethtool_get_link_ksettings:66511: speed=100000",
	"nvme nvme0: I/O 17456 QID 3 timeout, completion polled",
	"audit: type=1400 audit(45021.123:77): apparmor=\"STATUS\"",
	"kauditd_printk_skb: 9157 callbacks suppressed",
	"hrtimer: interrupt took 70240 ns",
	"vfio-pci 0009:01:00.0: enabling device (0000 -> 0002)",
	"nvidia-nvswitch0: SXid (PCI:0002:00:00.0): 32562, Non-fatal, Link 32 egress",
	"pci 0000:01:00.0: Adding to iommu group 3",
	"x 0000:01:00.0:",
	"ab 0000:0g:00.0: not a BDF",
	"arm",
	"a",
	"",
	"[14] CmpltTO",
	"platform arm-smmu-v3.0.auto: something else",
	"arm-smmu-v3 arm-smmu-v3.0.auto",
	"arm-smmu-v3 arm-smmu-v3.0.auto:",
	"mlx5_core 0000:01:00.0:",
	"mlx5_core 0000:01:00.0: AER:    [14]",
	"arm_smmu_evtq_thread:",
	"vfio-pci 0009:01:00.0:   \t",
	"vfio-pci 0009:01:00.0: \r x",
	"vfio-pci 0009:01:00.0: \r\t",
	"vfio-pci 0009:01:00.0:  AER: x",
	"nvme 0000:01:00.0:  [14] CmpltTO",
	"nvme 0000:01:00.0:\t[14] CmpltTO",
	"foo: 0000:01:00.0: x",
	"x 0000:01:00.0:x y",
	"ab 0000:01:00.0: u",
	"ab 0000:01:00.0:  unexpected error reported. x",
	"ab 0000:01:00.0: [",
};

static const char *const driver[] = {
	"arm-smmu-v3 arm-smmu-v3.1.auto: unexpected global error reported (0x00000001), this could be serious",
	"arm-smmu-v3 arm-smmu-v3.1.auto: CMDQ error (cons 0x0300002f): ATC invalidate timeout",
	"arm-smmu-v3 arm-smmu-v3.0.auto: CMD_SYNC timeout at 0x0000bb84 [hwprod 0x0000bb90, hwcons 0x0302bb84]",
	"mlx5_core 0000:01:00.1: AER:    [14] CmpltTO                (First)",
	"arm_smmu_cmdq_issue_cmdlist: 37 callbacks suppressed",
	"arm-smmu-v3 arm-smmu-v3.1.auto: CMDQ error (cons 0x01000c41): Illegal command",
	"arm-smmu-v3 arm-smmu-v3.1.auto: skipping command in error state:",
	"arm-smmu-v3 arm-smmu-v3.1.auto: \t0x0009010000000040",
	"arm-smmu-v3 arm-smmu-v3.0.auto: event 0x13 received:",
	"arm-smmu-v3 arm-smmu-v3.0.auto: \t0x0000010000000013",
	"arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x0302bb84): ATC invalidate timeout[  813.010120] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x0302bb85): ATC invalidate timeout",
	"pcieport 0000:00:01.0: AER: Uncorrected (Non-Fatal) error received: 0000:01:00.0",
	"nvidia 0000:01:00.0: unexpected error reported. CMDQV error",
	"mlx5_core 0000:01:00.0: AER:",
	"mlx5_core 0000:01:00.0: [14] CmpltTO",
	"arm-smmu-v3 arm-smmu-v3.0.auto: CMD_SYNC timeout at 0000bb84 [hwprod 0000bb90, hwcons 0X0302bb84]",
	"arm-smmu-v3 arm-smmu-v3.0.auto: CMD_SYNC timeout at 0x0000bb84  [hwprod 0x0000bb90,  hwcons 0x0302bb84]",
	"arm-smmu-v3 arm-smmu-v3.0.auto: CMD_SYNC timeout at 0x0000bb84 [...]",
	"arm-smmu-v3 arm-smmu-v3.0.auto: CMD_SYNC timeout at 0x0000bb84 [hwprod [...], hwcons 0x0302bb84]",
	"arm-smmu-v3 arm-smmu-v3.1.auto: CMDQ error (cons 0x0300002f): ATC [...] timeout",
	"arm-smmu-v3 arm-smmu-v3.1.auto: CMDQ error (cons 0x0300002f):  ATC  invalidate timeout",
	"arm-smmu-v3 arm-smmu-v3.1.auto: CMDQ error (...): ATC invalidate timeout",
	"arm-smmu-v3 arm-smmu-v3.1.auto: unexpected global error reported (...), this could be serious",
	"arm-smmu-v3 arm-smmu-v3.1.auto: unexpected global error reported (0x00000001)\xe2\x80\xa6",
	"arm-smmu-v3 arm-smmu-v3.1.auto: unexpected global error reported <...>, this could be serious",
	"arm-smmu-v3 arm-smmu-v3.1.auto: unexpected global error reported (0x00000001), this could be serious 100%",
	"arm-smmu-v3 arm-smmu-v3.1.auto: CMDQ error (cons 0x0300002f): ATC invalidate timeout.",
};

/*
 * The time stamp or header a generated line starts with; false for none.
 * Loose: also what the fast paths read otherwise than the slow one (as
 * before the block scan): journal headers after the bracket that come late
 * (the look for them ends sooner, see same_state) and no time stamp before
 * a bracket that is none ("[ T42] ...": the slow path resolves it).
 */
static bool head(struct text *t, uint32_t *seed, unsigned long us, bool loose)
{
	switch (rnd(seed) % 16) {
	case 0:
		if (!loose)
			return false;
		text_printf(t, "[%5lu.%06lu] node7 kernel: ", us / 1000000, us % 1000000);
		break;
	case 1:
		text_printf(t, "May 19 10:11:%02lu node7 kernel: ", us % 60);
		break;
	case 2:
		text_printf(t, "2026-05-19T10:11:12.%06lu+00:00 node7 kernel: ", us % 1000000);
		break;
	case 3:
		text_printf(t, "6,%lu,%lu,-;", us % 977, us);
		break;
	case 4:
		text_printf(t, "<3>[%5lu.%06lu] ", us / 1000000, us % 1000000);
		break;
	case 5:
		text_printf(t, "[Tue May 19 10:11:%02lu 2026] ", us % 60);
		break;
	case 6:
		return false;
	default:
		text_printf(t, "[%12.6f] ", us / 1e6);
		break;
	}
	return true;
}

/* a line as pasting, consoles and binary data leave it */
static void body(struct text *t, uint32_t *seed, const char *msg, bool bracket)
{
	size_t n = strlen(msg), cut;

	static const char *const elisions[] = {
		"[...]", " ... ", "(...)", "\xe2\x80\xa6", "??", "X", "[snip] ", "..",
	};
	/* a CR or QP soft break at the end, a NUL or a line break anywhere */
	static const char extra[] = { '\r', '=', '\0', '\n' };
	uint32_t k = rnd(seed) % 24;
	const char *el;

	switch (k) {
	case 0 ... 3:
		cut = k < 2 || !n ? n : rnd(seed) % n;
		text_add(t, msg, cut);
		text_add(t, &extra[k], 1);
		text_add(t, msg + cut, n - cut);
		break;
	case 4:
		text_add(t, msg, n);
		text_printf(t, " [%5u.%06u]", rnd(seed) % 1000, rnd(seed) % 1000000);
		break;
	case 5:
		for (int i = 0; i < 70; i++)
			text_add(t, msg, n);
		break;
	case 6:
		if (bracket)
			text_add(t, "[ T42] ", 7);
		text_add(t, msg, n);
		break;
	case 7:
		text_add(t, msg, n);
		text_add(t, "  \t", 3);
		break;
	case 8 ... 11:
		/* a hand edit: some of the text elided, or a byte changed */
		cut = n ? rnd(seed) % n : 0;
		/* most often where the driver's format has a delimiter */
		if (rnd(seed) % 4)
			cut += strcspn(msg + cut, "[(<. 0%");
		text_add(t, msg, cut);
		el = elisions[rnd(seed) % 8];
		text_add(t, el, strlen(el));
		cut += n - cut ? rnd(seed) % (n - cut) : 0;
		text_add(t, msg + cut, n - cut);
		break;
	default:
		text_add(t, msg, n);
		break;
	}
	text_add(t, "\n", 1);
}

static void gen_mix(struct text *t, uint32_t seed, int lines, bool loose)
{
	unsigned long us = 5000000;

	for (int i = 0; i < lines; i++) {
		uint32_t k = rnd(&seed) % 32;
		bool headed;

		us += rnd(&seed) % 3000;
		if (k == 0) {
			/* quotes, indentation, colour, dictionary lines */
			static const char *const lead[] = { "> ", "\t", " SUBSYSTEM=platform", "\x1b[31m", "| " };

			text_printf(t, "%s", lead[rnd(&seed) % 5]);
		}
		headed = head(t, &seed, us, loose);
		if (k < 10)
			body(t, &seed, driver[rnd(&seed) % (sizeof(driver) / sizeof(driver[0]))],
			     headed || loose);
		else
			body(t, &seed, noise[rnd(&seed) % (sizeof(noise) / sizeof(noise[0]))],
			     headed || loose);
	}
}

static void test_generated_mixes(void **state)
{
	for (uint32_t seed = 1; seed <= 300; seed++) {
		struct text t = { 0 };
		char what[32];

		gen_mix(&t, seed * 2654435761u, 20 + seed % 180, seed & 1);
		snprintf(what, sizeof(what), "mix %u", seed);
		check_text_as(t.s, t.len, what, !(seed & 1));
		free(t.s);
	}
}

/* steady state: a clean log of noise with driver lines, as the fast path sees most */
static void test_clean_steady_state(void **state)
{
	struct text t = { 0 };
	uint32_t seed = 7;

	for (int i = 0; i < 5000; i++) {
		const char *m = rnd(&seed) % 50 ? noise[rnd(&seed) % 9] :
			       driver[rnd(&seed) % 3];

		text_printf(&t, "[%12.6f] %s\n", 5 + i * 0.001, m);
	}
	check_text(t.s, t.len, "steady state");
	free(t.s);
}

/*
 * Every alignment of line ends to the 64-byte blocks, whole and partial:
 * the first line grows a byte at a time (no line here leaves the fast path,
 * which would start the blocks anew at the next one)
 */
static void test_block_alignments(void **state)
{
	for (int pad = 0; pad < 64; pad++) {
		struct text t = { 0 };
		uint32_t seed = 11;
		char what[32];

		text_printf(&t, "[%12.6f] hrtimer: interrupt took %*d ns\n", 7.0, pad + 1, 5);
		for (int i = 1; i < 40; i++)
			text_printf(&t, "[%12.6f] %s\n", 7 + i * 0.001,
				    i % 9 == 8 ? driver[i % 2] : noise[rnd(&seed) % 9]);
		/* short lines last: two line ends in the last, partial block */
		for (int i = 0; i < 3; i++)
			text_printf(&t, "[%12.6f] x\n", 8 + i * 0.001);
		for (size_t cut = 0; cut < 70; cut += 3) {
			snprintf(what, sizeof(what), "pad %d, cut %zu", pad, cut);
			check_text(t.s, t.len - cut, what);
		}
		free(t.s);
	}
}

/*
 * A slip in the block scan that only sends lines to the slow path reads
 * the same, so also check that the fast path takes a clean log whole
 */
static void test_fast_path_taken(void **state)
{
	struct run *r = run_text("", 0, FAST, 0);
	struct text t = { 0 };
	const char *rest;
	size_t n;

	for (int i = 0; i < 200; i++)
		text_printf(&t, "[%12.6f] %s\n", 5 + i * 0.001,
			    i % 7 == 6 ? driver[i % 2] : noise[i % 9]);
	for (size_t end = t.len - 300; end <= t.len; end++) {
		size_t whole = end;

		while (whole && t.s[whole - 1] != '\n')
			whole--;
		assert_int_equal(kmsg_parse_clean(&r->p, t.s, end, &rest, &n), whole);
		assert_null(rest);
	}
	free(t.s);
	free_run(r);
}

/* a /dev/kmsg record, then dmesg noise on the fast path: the record is over */
static void test_record_then_noise(void **state)
{
	struct text t = { 0 };

	for (int i = 0; i < 20; i++)
		text_printf(&t, "[%12.6f] %s\n", 5 + i * 0.001, noise[i % 9]);
	text_printf(&t, "6,812,813000120,-;%s\n", noise[2]);
	text_printf(&t, "[%12.6f] %s\n", 6.0, noise[0]);
	check_text(t.s, t.len, "record, then noise");
	text_printf(&t, " SUBSYSTEM=platform\n[%12.6f] %s\n", 6.1, driver[1]);
	check_text(t.s, t.len, "record, noise, a dictionary line");
	free(t.s);
}

/*
 * Lines that end at the last byte of a buffer allocated to its size, for
 * the ASan build: the fast path reads blocks and masks, never past the end
 */
static void test_buffer_edges(void **state)
{
	static const char *const texts[] = {
		"\n", "\n\n", "[    5.000000] x\n\n", "[    5.000000] hrtimer: interrupt took 1 ns\n",
		"[    5.000000] mlx5_core 0000:01:00.0: x\n", "[    5.000000] mlx5_core 0000:01:00.0:\n",
		"[    5.000000] a\n[", "[\n",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		for (size_t pad = 0; pad < 70; pad++) {
			struct text t = { 0 };
			char *exact;

			for (size_t k = 0; k < pad; k++)
				text_add(&t, "\n", 1);
			text_add(&t, texts[i], strlen(texts[i]));
			exact = malloc(t.len);
			assert_non_null(exact);
			memcpy(exact, t.s, t.len);
			check_text(exact, t.len, texts[i]);
			free(exact);
			free(t.s);
		}
	}
}

/* one format against one text, the walk's fast steps on and off */
static void walk_both(const struct drv_msg *msg, const char *t, size_t n)
{
	struct drv_match a, b;

	/* a %s value leaves v alone: both start alike */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	drv_bytewise_walk = true;
	drv_match_one(msg, t, n, &a);
	drv_bytewise_walk = false;
	drv_match_one(msg, t, n, &b);
	assert_int_equal(a.st, b.st);
	assert_int_equal(a.used, b.used);
	assert_int_equal(a.elided, b.elided);
	assert_int_equal(a.mangled, b.mangled);
	for (int k = 0; k < a.n_val && k < DRV_MAX_VALS; k++) {
		assert_int_equal(a.val[k].have, b.val[k].have);
		if (!a.val[k].have)
			continue;
		assert_int_equal(a.val[k].v, b.val[k].v);
		assert_ptr_equal(a.val[k].s, b.val[k].s);
		assert_int_equal(a.val[k].n, b.val[k].n);
	}
}

/*
 * Every catalogue format against its own text and near forms of it: cut at
 * every length, one blank doubled or made a tab, one byte changed, values
 * in place of its conversions.  The walk's exact-prefix skip and its
 * literal runs must read them all as the byte-wise walk does.
 */
static void test_walk_edits(void **state)
{
	static const char *const vals[] = { "", "0x0300002f", "1", "?", "  7", "0X1f" };

	for (int id = DRV_NONE + 1; id < DRV_MSG_MAX; id++) {
		const struct drv_msg *msg = drv_msg_get(id);
		char t[512], u[512];
		size_t n, un;

		assert_non_null(msg);
		n = strlen(msg->fmt);
		assert_true(n < sizeof(t) / 2);
		for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
			/* each conversion "%..." up to its letter replaced by vals[v] */
			un = 0;
			for (const char *f = msg->fmt; *f; f++) {
				if (*f == '%' && f[1] != '%') {
					f += strcspn(f, "diuxXsplc");
					un += sprintf(u + un, "%s", vals[v]);
				} else {
					u[un++] = *f;
				}
			}
			walk_both(msg, u, un);
		}
		memcpy(t, msg->fmt, n);
		for (size_t i = 0; i <= n; i++)
			walk_both(msg, t, i);
		for (size_t i = 0; i < n; i++) {
			if (msg->fmt[i] == ' ' || msg->fmt[i] == '\t') {
				memcpy(u, t, i);
				u[i] = ' ';
				memcpy(u + i + 1, t + i, n - i);
				walk_both(msg, u, n + 1);
				u[i] = '\t';
				walk_both(msg, u, n + 1);
				u[i] = msg->fmt[i] == ' ' ? '\t' : ' ';
				memcpy(u + i + 1, t + i + 1, n - i - 1);
				walk_both(msg, u, n);
			}
			memcpy(u, t, n);
			u[i] = u[i] == 'z' ? 'y' : 'z';
			walk_both(msg, u, n);
		}
	}
	drv_bytewise_walk = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_corpus_and_manglings),
		cmocka_unit_test(test_generated_mixes),
		cmocka_unit_test(test_clean_steady_state),
		cmocka_unit_test(test_block_alignments),
		cmocka_unit_test(test_record_then_noise),
		cmocka_unit_test(test_fast_path_taken),
		cmocka_unit_test(test_buffer_edges),
		cmocka_unit_test(test_walk_edits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
