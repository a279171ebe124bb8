// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Forgiving intake of pasted kernel logs, in front of the exact parser.
 * Each physical line goes through: quoted-printable soft breaks, quote
 * markers and indentation, the timestamp or header (kmsg_line_head), what
 * sits between it and the message (caller ids, vendor prefixes), then the
 * message itself.  A message the parser reports as cut short (KMSG_MORE) is
 * held, and the next line joins it when it has no timestamp of its own,
 * is no driver message by itself, and takes the match further.  Nothing
 * here decides what a message means: that is kmsg's job.
 */
#include <string.h>

#include "drvmsg.h"
#include "intake.h"
#include "textcur.h"

#define MAX_DEPTH	8	/* messages glued into one line */

static void logical(struct intake *ik, const char *s, size_t n, int depth);

void intake_init(struct intake *ik, struct kmsg_parser *p)
{
	memset(ik, 0, sizeof(*ik));
	ik->p = p;
}

/* ---- quoted-printable ---------------------------------------------------- */

/* "=" at the end: a soft line break (QP lines are at most 76 bytes) */
static bool qp_soft_break(const struct intake *ik, const char *s, size_t n)
{
	if (!n || s[n - 1] != '=' || (n >= 2 && s[n - 2] == '='))
		return false;
	return ik->qp || (n >= 60 && n <= 77);
}

static int qp_hex(char c)
{
	return (c >= '0' && c <= '9') ? c - '0' : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

/* "=3D" -> "=", "=09" -> tab; anything else is kept as it is */
static size_t qp_decode(char *dst, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '=' && i + 2 < n && (hi = qp_hex(s[i + 1])) >= 0 &&
		    (lo = qp_hex(s[i + 2])) >= 0) {
			dst[o++] = hi << 4 | lo;
			i += 2;
		} else {
			dst[o++] = s[i];
		}
	}
	return o;
}

static bool qp_escapes(const char *s, size_t n)
{
	return memmem(s, n, "=3D", 3) || memmem(s, n, "=09", 3) || memmem(s, n, "=20", 3);
}

/* ---- what comes before the timestamp ------------------------------------ */

static const bool quote_byte[256] = {
	[' '] = true, ['\t'] = true, ['>'] = true, ['|'] = true,
};

/* "> > [  813.000120] ...", "|   ...", "\t..." */
static void strip_quotes(struct intake *ik, struct cur *c)
{
	const char *s = c->p;

	while (c->p < c->e && quote_byte[(unsigned char)*c->p])
		c->p++;
	if (c->p != s) {
		ik->st.quoted++;
		ik->pasted = true;
	}
}

/* colour from "dmesg --color=always" or a terminal: ESC [ ... final byte */
static size_t strip_ansi(char *dst, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\x1b' && i + 1 < n && s[i + 1] == '[') {
			i += 2;
			while (i < n && !((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e))
				i++;
			continue;
		}
		dst[o++] = s[i];
	}
	return o;
}

/* a dmesg timestamp inside the text, not at its start: where it begins, or 0 */
static size_t embedded_ts(const char *s, size_t n)
{
	const char *q = s, *e = s + n;

	while (q + 1 < e && (q = memchr(q + 1, '[', e - q - 1))) {
		if (dmesg_ts_end(q, e))
			return q - s;
	}
	return 0;
}

/* "[  813.000120]" and nothing after it: the next line's, moved here by a mailer */
static bool ends_with_ts(const char *q, const char *e)
{
	const char *end = dmesg_ts_end(q, e);

	while (end && end < e && (*end == ' ' || *end == '\t'))
		end++;
	return end == e;
}

/* ---- what comes between the timestamp and the message -------------------- */

/*
 * "[ T1234]" / "[  C3]" (CONFIG_PRINTK_CALLER), "[pid:134,cpu0,irq/13-arm-smmu]"
 * and other vendor brackets without blanks inside, "(3)" cpu tags, "<3>" levels
 * and "kernel: ": returns the bytes of one such decoration, or 0.
 */
static size_t decoration(const char *s, const char *e)
{
	const char *q = s + 1, *lim = e < s + 72 ? e : s + 72;

	if (e - s < 3)
		return 0;
	switch (*s) {
	case '[':
		while (q < lim && *q == ' ')
			q++;
		if (q == lim || *q == ']')
			return 0;
		while (q < lim && *q != ']' && *q != ' ' && *q != '[')
			q++;
		return q < lim && *q == ']' ? q + 1 - s : 0;
	case '(':
	case '<':
		while (q < lim && IS_DIGIT(*q))
			q++;
		return q > s + 1 && q < lim && *q == (*s == '(' ? ')' : '>') ? q + 1 - s : 0;
	case 'k':
		return e - s >= 8 && !memcmp(s, "kernel: ", 8) ? 8 : 0;
	}
	return 0;
}

static void undecorate(struct intake *ik, const char **msg, size_t *len)
{
	const char *s = *msg, *e = s + *len;
	bool any = false;

	for (int i = 0; i < 4 && s < e; i++) {
		size_t k = decoration(s, e);

		if (!k)
			break;
		s += k;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		any = true;
	}
	if (any) {
		ik->st.decorated++;
		ik->pasted = true;
		*len = e - s;
		*msg = s;
	}
}

/* a mailer moved the next line's timestamp to the end of this one */
static bool trailing_ts(struct intake *ik, const char *msg, size_t *len)
{
	const char *e = msg + *len, *q = e - 1, *lim = *len > 24 ? e - 24 : msg;
	struct kmsg_ts ts = { 0 };
	const char *rest;
	size_t n;

	while (q > lim && *q != '[')
		q--;
	if (q <= msg || *q != '[' || dmesg_ts_end(q, e) != e)
		return false;
	if (kmsg_line_head(ik->p, q, e - q, &ts, &rest, &n, ik->rec) != KMSG_HEAD_TS)
		return false;
	kmsg_ts_resolve(&ts);
	ik->carry = ts;
	ik->have_carry = true;
	while (q > msg && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	*len = q - msg;
	ik->st.split++;
	ik->pasted = true;
	return true;
}

/* ---- holding and joining -------------------------------------------------- */


static void hold(struct intake *ik, const char *msg, size_t len, const struct kmsg_ts *ts,
		 bool body)
{
	ik->held_body = body;
	if (msg != ik->held)
		memmove(ik->held, msg, len);
	ik->held_len = len;
	ik->held_ts = *ts;
	kmsg_ts_resolve(&ik->held_ts);
	if (!ik->held_ts.line)
		ik->held_ts.line = ik->p->line_no;
	ik->holding = true;
}

/* what is held will not go on: read it as it is */
static void release(struct intake *ik)
{
	if (!ik->holding)
		return;
	ik->holding = false;
	kmsg_feed(ik->p, ik->held, ik->held_len, &ik->held_ts, 0, KMSG_FINAL, NULL);
}

static void feed_one(struct intake *ik, const char *msg, size_t len, const struct kmsg_ts *ts,
		     bool head, int depth);

/*
 * The line continues the held message if it has no timestamp of its own,
 * is no driver message by itself, and the joined text reads further than
 * the held text did; mailers drop the blank they wrap at, terminals do not.
 */
static bool try_join(struct intake *ik, const char *msg, size_t len, int depth)
{
	struct kmsg_read rd, best_rd = { 0 };
	struct kmsg_ts none = { 0 };
	char joined[2 * KMSG_MAX_LINE];
	enum kmsg_res best = KMSG_NOISE;
	size_t best_len = 0;
	bool alone;

	while (len && (*msg == ' ' || *msg == '\t'))
		msg++, len--;
	if (!len || ik->held_len + 1 + len > KMSG_MAX_LINE)
		return false;
	/*
	 * A driver message of its own may start here.  It does, unless only a
	 * prefix was held, or what was held cannot be read alone and the two
	 * read as one message.
	 */
	alone = ik->held_body &&
		kmsg_feed(ik->p, msg, len, &none, 0, KMSG_PROBE | KMSG_NOCONT, NULL) != KMSG_NOISE;
	if (alone && kmsg_feed(ik->p, ik->held, ik->held_len, &ik->held_ts, 0,
			       KMSG_PROBE | KMSG_FINAL, NULL) == KMSG_OK)
		return false;
	/* a terminal cuts anywhere and keeps every byte; a mailer drops the blank it cut at */
	for (int blank = 1; blank >= 0; blank--) {
		size_t n = ik->held_len;
		enum kmsg_res r;
		char try[2 * KMSG_MAX_LINE];

		if (!blank && (ik->held[n - 1] == ' ' || ik->held[n - 1] == '\t'))
			continue;
		memcpy(try, ik->held, n);
		if (blank)
			try[n++] = ' ';
		memcpy(try + n, msg, len);
		n += len;
		r = kmsg_feed(ik->p, try, n, &ik->held_ts, 0, KMSG_PROBE, &rd);
		/* a prefix still cut short goes on; a body must read further */
		if (!(r == KMSG_MORE && !rd.used) &&
		    ((r != KMSG_OK && r != KMSG_MORE) || rd.used <= ik->held_len + blank))
			continue;
		if (alone && (r != KMSG_OK || rd.used != n))
			continue;
		/* text that leaves it unfinished was wrapped again, so it is long */
		if (r == KMSG_MORE && rd.used && len < 32 && !rd.whole)
			continue;
		if (best != KMSG_NOISE && !(r == KMSG_OK && best == KMSG_MORE) &&
		    !(r == best && rd.clean && !best_rd.clean))
			continue;
		best = r;
		best_rd = rd;
		best_len = n;
		memcpy(joined, try, n);
	}
	if (best == KMSG_NOISE)
		return false;
	ik->st.joined++;
	ik->pasted = true;
	if (best == KMSG_MORE) {
		hold(ik, joined, best_len, &ik->held_ts, best_rd.used > 0);
		return true;
	}
	ik->holding = false;
	feed_one(ik, joined, best_len, &ik->held_ts, true, depth + 1);
	return true;
}

/* ---- messages ------------------------------------------------------------ */

/*
 * "... kern.err kernel: arm-smmu-v3 ..." or "]arm-smmu-v3 ...": a driver
 * message after a header we do not know.  Only after something that ends
 * a header, so prose that mentions the driver stays prose.
 */
static bool elsewhere(struct intake *ik, const char *msg, size_t len,
		      const struct kmsg_ts *ts, int depth)
{
	const char *q = memmem(msg, len, "arm-smmu-v3", 11), *b;

	/* binary data holds the words too, in strings between NUL bytes */
	if (!q || q == msg || depth >= MAX_DEPTH || memchr(msg, '\0', len))
		return false;
	b = q[-1] == ' ' ? q - 1 : q;
	if (b == msg || (b[-1] != ':' && b[-1] != ']' && b[-1] != '>' && b[-1] != '|')) {
		if (drv_has_token(q, msg + len - q))
			kmsg_note_unrecognized(ik->p, ts->line ? ts->line : ik->p->line_no,
					       msg, len, NULL);
		return true;
	}
	ik->st.elsewhere++;
	ik->pasted = true;
	feed_one(ik, q, msg + len - q, ts, true, depth + 1);
	return true;
}

static void feed_one(struct intake *ik, const char *msg, size_t len, const struct kmsg_ts *ts,
		     bool head, int depth)
{
	struct kmsg_read rd;
	enum kmsg_res r;
	size_t k = 0;

	/*
	 * The next message glued to this one: "...timeout[  813.010120] arm-...".
	 * Pasted text is split first; a clean log only pays for the search on
	 * the driver's own lines, whose trailing text the parser ignores.
	 */
	if (ik->pasted && depth < MAX_DEPTH)
		k = embedded_ts(msg, len);
	if (k) {
		size_t first = k;

		while (first && (msg[first - 1] == ' ' || msg[first - 1] == '\t'))
			first--;
		ik->st.split++;
		if (first)
			feed_one(ik, msg, first, ts, head, depth + 1);
		release(ik);
		logical(ik, msg + k, len - k, depth + 1);
		return;
	}
	r = kmsg_feed(ik->p, msg, len, ts, 0, 0, &rd);
	if (r == KMSG_MORE) {
		hold(ik, msg, len, ts, rd.used > 0);
	} else if (r == KMSG_NOISE) {
		if (!head || ik->pasted)
			elsewhere(ik, msg, len, ts, depth);
	} else if (!ik->pasted && depth < MAX_DEPTH && (k = embedded_ts(msg, len))) {
		ik->st.split++;
		ik->pasted = true;
		logical(ik, msg + k, len - k, depth + 1);
	}
}

/* a line without a timestamp where one was expected: look further into it */
static enum kmsg_head find_head(struct intake *ik, const char **s, size_t *n,
				struct kmsg_ts *ts, const char **msg, size_t *len)
{
	const char *e = *s + *n, *q;
	size_t k;

	if (*n >= 5 && !memcmp(*s, "(XEN)", 5)) {
		/* Xen's own SMMU drivers print the same words: not this driver */
		ik->st.foreign++;
		return KMSG_HEAD_SKIP;
	}
	k = embedded_ts(*s, *n);
	if (k && !ends_with_ts(*s + k, e)) {
		/* "login: [  813.000120] ..." console noise */
		ik->st.noise++;
		ik->pasted = true;
		*s += k;
		*n -= k;
		return kmsg_line_head(ik->p, *s, *n, ts, msg, len, ik->rec);
	}
	q = memmem(*s, *n < 160 ? *n : 160, " kernel: ", 9);
	if (q) {
		/* a syslog header we do not know, ending like they all do */
		ik->st.decorated++;
		ik->pasted = true;
		*msg = q + 9;
		*len = e - *msg;
		if (dmesg_ts_end(*msg, e))
			return kmsg_line_head(ik->p, *msg, *len, ts, msg, len, ik->rec);
		return KMSG_HEAD_TS;
	}
	return KMSG_HEAD_NONE;
}

static void deliver(struct intake *ik, const char *msg, size_t len, struct kmsg_ts *ts,
		    bool head, int depth)
{
	if (ik->holding) {
		if (!head && try_join(ik, msg, len, depth))
			return;
		release(ik);
	}
	feed_one(ik, msg, len, ts, head, depth);
}

/* one line of text, its quoting already removed */
static void logical(struct intake *ik, const char *s, size_t n, int depth)
{
	struct kmsg_ts ts = { 0 };
	enum kmsg_head h;
	const char *msg;
	size_t len;

	h = kmsg_line_head(ik->p, s, n, &ts, &msg, &len, ik->rec);
	if (h == KMSG_HEAD_SKIP)
		return;
	if (h == KMSG_HEAD_TS && ts.lazy) {
		/* "[14] CmpltTO" is no timestamp: the parser checks brackets lazily */
		kmsg_ts_resolve(&ts);
		if (!ts.flags) {
			h = KMSG_HEAD_NONE;
			msg = s;
			len = n;
		}
	}
	if (h == KMSG_HEAD_NONE && n)
		h = find_head(ik, &s, &n, &ts, &msg, &len);
	if (h == KMSG_HEAD_SKIP) {
		release(ik);
		return;
	}
	/* only after a timestamp: a line that starts "[14] CmpltTO" continues another */
	if (h == KMSG_HEAD_TS && len && (*msg == '[' || *msg == '(' || *msg == '<' || *msg == 'k'))
		undecorate(ik, &msg, &len);
	while (len && (msg[len - 1] == ' ' || msg[len - 1] == '\t' || msg[len - 1] == '\r'))
		len--;
	if (h == KMSG_HEAD_TS) {
		ik->have_carry = false;
	} else if (ik->have_carry) {
		ts = ik->carry;
		ik->have_carry = false;
		h = KMSG_HEAD_TS;
	}
	if (!len) {
		/* "[  813.000120]" alone: its message was wrapped onto the next line */
		if (h == KMSG_HEAD_TS && n) {
			kmsg_ts_resolve(&ts);
			ik->carry = ts;
			ik->have_carry = true;
		}
		return;
	}
	if (msg[len - 1] == ']')
		trailing_ts(ik, msg, &len);
	deliver(ik, msg, len, &ts, h == KMSG_HEAD_TS, depth);
}

/* a physical line, after quoted-printable joining */
static void physical(struct intake *ik, const char *line, size_t len)
{
	struct cur c = { line, line + len };

	if (ik->p->in_kmsg_record && len && line[0] == ' ')
		return;		/* " SUBSYSTEM=platform" dictionary lines */
	if (c.p < c.e && quote_byte[(unsigned char)*c.p])
		strip_quotes(ik, &c);
	if ((c.p < c.e && *c.p == '\x1b') || (ik->pasted && memchr(c.p, '\x1b', cur_len(&c)))) {
		size_t n = strip_ansi(ik->clean, c.p, cur_len(&c));

		c.p = ik->clean;
		c.e = ik->clean + n;
		strip_quotes(ik, &c);
	}
	logical(ik, c.p, cur_len(&c), 0);
}

static void slow_line(struct intake *ik, const char *line, size_t len)
{
	struct kmsg_parser *p = ik->p;

	p->line_no++;
	p->stats.lines++;
	if (len > KMSG_MAX_LINE) {
		p->stats.long_lines++;
		goto out;
	}
	while (len && line[len - 1] == '\r')
		len--;
	if (ik->qp_open || qp_soft_break(ik, line, len)) {
		bool more = qp_soft_break(ik, line, len);
		size_t n = more ? len - 1 : len;

		ik->qp = true;
		if (ik->qp_len + n > sizeof(ik->qpbuf))
			n = sizeof(ik->qpbuf) - ik->qp_len;
		memcpy(ik->qpbuf + ik->qp_len, line, n);
		ik->qp_len += n;
		ik->qp_open = more;
		if (more) {
			ik->st.qp++;
			goto out;
		}
		line = ik->qpbuf;
		len = ik->qp_len;
		ik->qp_len = 0;
	} else if (!ik->qp && ik->pasted && memchr(line, '=', len) && qp_escapes(line, len)) {
		ik->qp = true;
	}
	if (ik->qp && memchr(line, '=', len)) {
		/* decoding only shortens: in place in the joining buffer */
		len = qp_decode(ik->qpbuf, line, len);
		line = ik->qpbuf;
	}
	physical(ik, line, len);
out:
	ik->busy = ik->pasted || ik->qp || ik->holding || ik->have_carry;
}

void intake_line(struct intake *ik, const char *line, size_t len)
{
	slow_line(ik, line, len);
}

/*
 * While nothing is held, carried or pasted, the parser takes clean lines in
 * bulk; the intake looks at each line only from the first one that needs it.
 */
size_t intake_block(struct intake *ik, const char *buf, size_t len, bool final)
{
	const char *s = buf, *e = buf + len, *nl;

	for (;;) {
		if (!ik->busy && !ik->slow_only) {
			const char *rest;
			size_t n;

			s += kmsg_parse_clean(ik->p, s, e - s, &rest, &n);
			if (rest) {
				ik->st.split++;
				ik->pasted = true;
				logical(ik, rest, n, 1);
				ik->busy = true;
				continue;
			}
		}
		nl = memchr(s, '\n', e - s);
		if (!nl)
			break;
		slow_line(ik, s, nl - s);
		s = nl + 1;
	}
	if (final && s < e) {
		slow_line(ik, s, e - s);
		s = e;
	}
	return s - buf;
}

void intake_finish(struct intake *ik)
{
	if (ik->qp_open) {
		ik->qp_open = false;
		ik->p->line_no++;
		physical(ik, ik->qpbuf, ik->qp_len);
		ik->qp_len = 0;
	}
	release(ik);
	ik->busy = ik->pasted || ik->qp || ik->have_carry;
	kmsg_parser_finish(ik->p);
}
