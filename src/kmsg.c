// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel-log parser, the line layer: timestamp and header prefixes, then
 * the "<driver> <device>: " prefix of the message.  The common case is a
 * line that has nothing to do with the SMMU, so every step rejects early:
 * timestamp prefix, then one first-character gate; kmsg_body.c reads the
 * bodies that pass it.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "bytescan.h"
#include "kmsg_int.h"

/* ---- timestamp prefixes ------------------------------------------------ */

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

static int month_of(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (!memcmp(s, months + 3 * i, 3))
			return i;
	return -1;
}

static bool is_wday(const char *s)
{
	static const char days[] = "SunMonTueWedThuFriSat";

	for (int i = 0; i < 7; i++)
		if (!memcmp(s, days + 3 * i, 3))
			return true;
	return false;
}

/* "HH:MM:SS" with optional ".frac" or ",frac" */
static bool hms(struct cur *c, struct tm *tm, uint64_t *frac_ns)
{
	uint64_t h, m, s, f = 0;
	const char *fs;

	if (!dec(c, &h, 2) || !lit(c, ":") || !dec(c, &m, 2) || !lit(c, ":") ||
	    !dec(c, &s, 2) || h > 23 || m > 59 || s > 60)
		return false;
	tm->tm_hour = h;
	tm->tm_min = m;
	tm->tm_sec = s;
	*frac_ns = 0;
	if (c->p < c->e && (*c->p == '.' || *c->p == ',')) {
		c->p++;
		fs = c->p;
		if (!dec(c, &f, 9))
			return false;
		for (size_t n = c->p - fs; n < 9; n++)
			f *= 10;
		while (c->p < c->e && IS_DIGIT(*c->p))
			c->p++;
		*frac_ns = f;
	}
	return true;
}

static int64_t tm_to_ns(struct tm *tm, bool utc, int64_t off_s, uint64_t frac)
{
	time_t t;

	tm->tm_isdst = -1;
	t = utc ? timegm(tm) : mktime(tm);
	if (t == (time_t)-1)
		return 0;
	return ((int64_t)t - off_s) * 1000000000LL + (int64_t)frac;
}

/* "[   12.345678]" -> mono */
static bool ts_dmesg(struct cur *c, struct kmsg_ts *ts)
{
	struct cur t = *c;
	uint64_t s, us;
	const char *fs;

	if (!lit(&t, "["))
		return false;
	skip_sp(&t);
	if (!dec(&t, &s, 12) || !lit(&t, "."))
		return false;
	fs = t.p;
	if (!dec(&t, &us, 9) || !lit(&t, "]"))
		return false;
	for (size_t n = t.p - 1 - fs; n < 9; n++)
		us *= 10;
	ts->mono_ns = s * 1000000000ULL + us;
	ts->flags |= SMMU_EVF_MONO;
	lit(&t, " ");
	*c = t;
	return true;
}

/* dmesg -T: "[Tue May 19 10:11:12 2026]" -> wall, local time */
static bool ts_dmesg_T(struct cur *c, struct kmsg_ts *ts)
{
	struct cur t = *c;
	struct tm tm = { 0 };
	uint64_t day, year, frac;
	int mon;

	if (cur_len(&t) < 26 || !lit(&t, "[") || !is_wday(t.p))
		return false;
	t.p += 3;
	skip_sp(&t);
	if (cur_len(&t) < 3 || (mon = month_of(t.p)) < 0)
		return false;
	t.p += 3;
	skip_sp(&t);
	if (!dec(&t, &day, 2) || !lit(&t, " ") || !hms(&t, &tm, &frac) ||
	    !lit(&t, " ") || !dec(&t, &year, 4) || !lit(&t, "]"))
		return false;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_year = year - 1900;
	ts->wall_ns = tm_to_ns(&tm, false, 0, frac);
	ts->flags |= SMMU_EVF_WALL;
	lit(&t, " ");
	*c = t;
	return true;
}

/* "2026-05-19T10:11:12[.frac][Z|+hh:mm|+hhmm]" -> wall */
static bool ts_iso(struct cur *c, struct kmsg_ts *ts)
{
	struct cur t = *c;
	struct tm tm = { 0 };
	uint64_t y, mo, d, frac, oh = 0, om = 0;
	int64_t off = 0;
	bool utc = false;

	if (!dec(&t, &y, 4) || !lit(&t, "-") || !dec(&t, &mo, 2) || !lit(&t, "-") ||
	    !dec(&t, &d, 2) || !(lit(&t, "T") || lit(&t, " ")) || !hms(&t, &tm, &frac))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return false;
	if (lit(&t, "Z")) {
		utc = true;
	} else if (t.p < t.e && (*t.p == '+' || *t.p == '-')) {
		int sign = *t.p++ == '-' ? -1 : 1;

		if (!dec(&t, &oh, 2))
			return false;
		lit(&t, ":");
		dec(&t, &om, 2);
		off = sign * (int64_t)(oh * 3600 + om * 60);
		utc = true;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	ts->wall_ns = tm_to_ns(&tm, utc, off, frac);
	ts->flags |= SMMU_EVF_WALL;
	lit(&t, " ");
	*c = t;
	return true;
}

/* syslog / journalctl short: "May 19 10:11:12[.usec] " */
static bool ts_syslog(struct cur *c, struct kmsg_ts *ts, int year)
{
	struct cur t = *c;
	struct tm tm = { 0 };
	uint64_t day, frac;
	int mon;

	if (cur_len(&t) < 15 || (mon = month_of(t.p)) < 0 || t.p[3] != ' ')
		return false;
	t.p += 4;
	skip_sp(&t);
	if (!dec(&t, &day, 2) || !lit(&t, " ") || !hms(&t, &tm, &frac))
		return false;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	ts->wall_ns = tm_to_ns(&tm, false, 0, frac);
	ts->flags |= SMMU_EVF_WALL;
	lit(&t, " ");
	*c = t;
	return true;
}

/* after a syslog timestamp: "<host> kernel: " (journalctl -k, kern.log) */
static bool host_kernel(struct cur *c)
{
	struct cur t = *c;

	/* "host kernel: ", also "host kern.err kernel: " from some forwarders */
	for (int words = 0; words < 3; words++) {
		const char *sp = memchr(t.p, ' ', cur_len(&t) < 256 ? cur_len(&t) : 256);

		if (!sp)
			return false;
		t.p = sp + 1;
		if (lit(&t, "kernel: ") || lit(&t, "kernel:")) {
			*c = t;
			return true;
		}
	}
	return false;
}

/* RFC 5424 after its "<PRI>": "1 2026-05-19T10:11:12Z host kernel - - - message" */
static bool ts_rfc5424(struct cur *c, struct kmsg_ts *ts)
{
	struct cur t = *c;

	if (!lit(&t, "1 ") || !ts_iso(&t, ts))
		return false;
	/* HOSTNAME APP-NAME PROCID MSGID, then "-" or "[sd-element]..." */
	for (int field = 0; field < 4; field++) {
		const char *sp = memchr(t.p, ' ', cur_len(&t));

		if (!sp)
			return false;
		t.p = sp + 1;
	}
	if (lit(&t, "-")) {
		lit(&t, " ");
	} else {
		while (t.p < t.e && *t.p == '[') {
			const char *close = memchr(t.p, ']', cur_len(&t));

			if (!close)
				return false;
			t.p = close + 1;
		}
		lit(&t, " ");
	}
	*c = t;
	return true;
}

/* dmesg -x: "kern  :err   : " */
static bool facility_level(struct cur *c)
{
	struct cur t = *c;
	const char *s = t.p;

	while (t.p < t.e && IS_LOWER(*t.p))
		t.p++;
	if (t.p == s)
		return false;
	skip_sp(&t);
	if (!lit(&t, ":"))
		return false;
	s = t.p;
	while (t.p < t.e && IS_LOWER(*t.p))
		t.p++;
	if (t.p == s)
		return false;
	skip_sp(&t);
	if (!lit(&t, ": "))
		return false;
	*c = t;
	return true;
}

/*
 * "[   12.345678] " or "[Tue May 19 10:11:12 2026] ": most lines of a big
 * log have one and most of those lines are noise, so only find its end
 * here; ts_resolve() decodes it for the few lines that become events.
 */
static bool ts_bracket_lazy(struct cur *c, struct kmsg_ts *ts)
{
	const char *close;
	size_t n = cur_len(c) < 40 ? cur_len(c) : 40;
	char first;

	if (n < 3)
		return false;
	first = c->p[1];
	if (first != ' ' && !IS_DIGIT(first) && (first < 'A' || first > 'Z'))
		return false;
	/* "[%5lu.%06lu]" puts ']' at 13 for the first day of uptime */
	close = c->p + 13;
	if (n <= 13 || *close != ']') {
		for (close = c->p + 2; close < c->p + n && *close != ']'; close++)
			;
	}
	if (close == c->p + n)
		return false;
	ts->lazy = c->p;
	ts->lazy_len = close + 1 - c->p;
	c->p = close + 1;
	lit(c, " ");
	return true;
}

void kmsg_ts_resolve(struct kmsg_ts *ts)
{
	struct cur t;

	if (!ts->lazy)
		return;
	t.p = ts->lazy;
	t.e = ts->lazy + ts->lazy_len;
	ts->lazy = NULL;
	if (!ts_dmesg(&t, ts))
		ts_dmesg_T(&t, ts);
}

static bool ts_prefix(struct kmsg_parser *p, struct cur *c, struct kmsg_ts *ts)
{
	if (c->p == c->e)
		return false;
	switch (*c->p) {
	case '[':
		if (!ts_bracket_lazy(c, ts))
			return false;
		/*
		 * journalctl -o short-monotonic: "[  813.000120] host kernel: ".
		 * Looked for until a log shows it has no such header, so a plain
		 * dmesg pays nothing per line.
		 */
		if (p->bracket_lines < 16 || p->host_after_bracket) {
			p->bracket_lines++;
			if (host_kernel(c))
				p->host_after_bracket = true;
		}
		return true;
	case '0' ... '9':
		if (*c->p == '1' && ts_rfc5424(c, ts))
			return true;
		if (ts_iso(c, ts)) {
			host_kernel(c);
			/* kern.log keeps the printk time after "kernel: " */
			if (c->p < c->e && *c->p == '[')
				ts_dmesg(c, ts);
			return true;
		}
		return false;
	case 'A' ... 'Z':
		if (ts_syslog(c, ts, p->default_year)) {
			host_kernel(c);
			if (c->p < c->e && *c->p == '[')
				ts_dmesg(c, ts);
			return true;
		}
		return false;
	case 'a' ... 'z':
		if (facility_level(c)) {
			ts_prefix(p, c, ts);
			return true;
		}
		return false;
	}
	return false;
}

/* ---- the message prefix ------------------------------------------------- */

/* "drv dev: body" with neither drv nor dev holding a space */
static bool split_prefix(struct cur msg, struct cur *drv, struct cur *dev,
			 struct cur *body)
{
	const char *s = msg.p, *e = msg.e, *q;

	for (q = s; q < e && q < s + 64 && *q != ' '; q++)
		;
	if (q == e || q == s + 64 || q == s || q[-1] == ':')
		return false;
	drv->p = s;
	drv->e = q;
	s = q + 1;
	/* device names hold no spaces and no control bytes */
	for (q = s; q < e && *q != ' '; q++)
		if ((unsigned char)*q < 0x20)
			return false;
	if (q - s < 2 || q[-1] != ':')
		return false;
	dev->p = s;
	dev->e = q - 1;
	body->p = q < e ? q + 1 : q;
	body->e = e;
	return true;
}

enum prefix_kind {
	PFX_NONE = 0,		/* a bare message */
	PFX_SMMU,		/* this driver's (or its unbound device's) */
	PFX_OTHER,		/* another driver's "<driver> <device>: " */
};

static bool is_drv(const struct cur *c, const char *s)
{
	size_t n = strlen(s);

	return cur_len(c) == n && !memcmp(c->p, s, n);
}

/* "arm-smmu-v3: body" (dev_name lost) or "arm-smmu-v3.0.auto: body" (driver lost) */
static enum prefix_kind one_word_prefix(struct cur c, struct msg *m)
{
	const char *q = c.p, *lim = c.e < c.p + 64 ? c.e : c.p + 64;

	while (q < lim && *q != ' ' && *q != ':')
		q++;
	if (q == lim || *q != ':' || q == c.p)
		return PFX_NONE;
	if (q + 1 < c.e && q[1] != ' ')
		return PFX_NONE;	/* "drv:dev" is not a prefix */
	m->body.p = q + 1 < c.e ? q + 2 : q + 1;
	m->body.e = c.e;
	if (q - c.p == 11 && !memcmp(c.p, "arm-smmu-v3", 11))
		return PFX_SMMU;
	if (q - c.p > 12 && !memcmp(c.p, "arm-smmu-v3.", 12)) {
		m->dev = c.p;
		m->dev_len = q - c.p;
		return PFX_SMMU;
	}
	/*
	 * Anything else stays part of the body, where only a driver message
	 * that starts it counts: "SMMUv3: /smmu@...: CMDQ error" (Xen's
	 * driver) is not one, "arm_smmu_evtq_thread: 4 callbacks suppressed" is.
	 */
	m->body = c;
	return PFX_NONE;
}

static enum prefix_kind classify_prefix(struct cur c, struct msg *m)
{
	struct cur drv, dev, body;

	m->body = c;
	if (split_prefix(c, &drv, &dev, &body)) {
		m->dev = dev.p;
		m->dev_len = cur_len(&dev);
		m->body = body;
		if (is_drv(&drv, "arm-smmu-v3"))
			return PFX_SMMU;
		if (is_drv(&drv, "platform")) {
			/* an unbound device prints its bus name; still that SMMU */
			m->flags = SMMU_EVF_PLATFORM;
			return PFX_SMMU;
		}
		return PFX_OTHER;
	}
	return one_word_prefix(c, m);
}

/*
 * The first two bytes a message can start with and still matter without a
 * PCIe AER token in sight: the driver prefixes ("arm-smmu-v3 ", "platform ",
 * "arm_smmu_..."/"__arm_smmu_..." call sites, a CMDQV device printed as
 * "acpi ..." or "tegra241-cmdqv ...") and the bodies in drvmsg.c (its unit
 * test checks every one of them gets through).
 */
#define B(c)	(1ull << ((c) - 0x40))

static const uint64_t second_byte[256] = {
	['a'] = B('r') | B('l') | B('c'),
	['p'] = B('l'),
	['_'] = B('_'),
	['C'] = B('M'),
	['s'] = B('k'),
	['r'] = B('e'),
	['d'] = B('e'),
	['u'] = B('n'),
	['G'] = B('E'),
	['P'] = B('R'),
	['E'] = B('V'),
	['e'] = B('v'),
	['i'] = B('a') | B('g'),
	['o'] = B('a') | B('p'),
	['f'] = B('a'),
	['t'] = B('e'),
};

#undef B

static inline bool may_matter(const char *s, const char *e)
{
	unsigned int c1;

	if (e - s < 2)
		return false;
	c1 = (unsigned char)s[1] - 0x40;
	return c1 < 64 && (second_byte[(unsigned char)s[0]] >> c1 & 1);
}

static const bool hex_digit[256] = {
	['0' ... '9'] = true, ['a' ... 'f'] = true, ['A' ... 'F'] = true,
};

/*
 * "dddd:bb:dd.f": every byte tested and the results and-ed, without a
 * branch per byte, since which driver's line comes next is anyone's guess
 */
static inline bool is_bdf(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	return (s[4] == ':') & (s[7] == ':') & (s[10] == '.') &
	       hex_digit[u[0]] & hex_digit[u[1]] & hex_digit[u[2]] & hex_digit[u[3]] &
	       hex_digit[u[5]] & hex_digit[u[6]] & hex_digit[u[8]] & hex_digit[u[9]] &
	       hex_digit[u[11]];
}

/*
 * AER lines come from PCI functions: "<driver> <BDF>: ...".  Checking that
 * shape is much cheaper than searching every line for "AER".  The first
 * blank is found from one mask when 32 bytes from s can be read (up to
 * readable, which may lie past the message's end e): a loop over a word of
 * varying length mispredicts its end on nearly every line.  Inlined even
 * where it is used twice: a call per line in the clean loop cost ~2 %.
 */
static inline __attribute__((always_inline)) const char *
pci_blank(const char *s, const char *e, const char *readable)
{
	const char *q = s, *lim = e - 13;	/* q[13] is the ':' */

	if (lim > s + 32)
		lim = s + 32;
	if (lim <= s)
		return NULL;
	if (readable - s >= 32) {
		uint32_t blank = bytes_eq32(s, ' ');

		if (lim - s < 32)
			blank &= (1u << (lim - s)) - 1;
		if (!blank)
			return NULL;
		q = s + __builtin_ctz(blank);
	} else {
		while (q < lim && *q != ' ')
			q++;
		if (q == lim)
			return NULL;
	}
	return q[13] == ':' && is_bdf(q + 1) ? q : NULL;
}

static inline bool pci_prefix(const char *s, const char *e, const char *readable)
{
	return pci_blank(s, e, readable) != NULL;
}

/* the first test of every message: false means certainly not one that matters */
static inline bool worth_parsing(const struct kmsg_parser *p, const char *s, const char *e,
				 const char *readable, unsigned int feed)
{
	return (p->pending != KP_NONE && !(feed & KMSG_NOCONT)) || may_matter(s, e) ||
	       pci_prefix(s, e, readable);
}

/* "arm-smmu-v3", "arm-smmu-v3 arm-smmu-v3.0.a": the line ended inside the prefix */
static bool cut_prefix(struct cur c)
{
	static const char drv[] = "arm-smmu-v3 ";
	size_t n = cur_len(&c);
	const char *q;

	if (n < 4)
		return false;
	if (n < sizeof(drv) - 1)
		return !memcmp(c.p, drv, n);
	if (memcmp(c.p, drv, sizeof(drv) - 1))
		return false;
	for (q = c.p + sizeof(drv) - 1; q < c.e; q++)
		if (*q == ' ' || *q == ':' || (unsigned char)*q < 0x20)
			return false;
	return true;
}

static enum kmsg_res parse_msg(struct kmsg_parser *p, struct cur c, const struct kmsg_ts *ts,
			       uint32_t cpu, unsigned int feed, struct kmsg_read *rd)
{
	enum kmsg_res r = KMSG_NOISE;
	bool prefix_only = false;
	struct msg m;

	if (c.p == c.e) {
		m.used = 0;
		goto out;
	}
	if (!worth_parsing(p, c.p, c.e, c.e, feed))
		return KMSG_NOISE;	/* most lines of a big log end here */
	m = (struct msg){ .ts = ts, .cpu = cpu, .feed = feed, .start = c.p };
	rtrim(&c);
	switch (classify_prefix(c, &m)) {
	case PFX_SMMU:
		if (m.body.p == m.body.e) {
			/* "arm-smmu-v3 <dev>:" alone: a mailer wrapped after it */
			r = final_text(&m) ? KMSG_NOISE : KMSG_MORE;
			prefix_only = true;
			break;
		}
		r = kmsg_body(p, &m, true);
		break;
	case PFX_OTHER:
		if (m.body.p == m.body.e && m.dev_len == 12 && is_bdf(m.dev)) {
			/* "mlx5_core 0000:01:00.0:" alone: an AER line wrapped after it */
			r = final_text(&m) ? KMSG_NOISE : KMSG_MORE;
			prefix_only = true;
			break;
		}
		r = kmsg_other_driver(p, &m);
		break;
	case PFX_NONE:
		m.dev = NULL;
		m.dev_len = 0;
		m.body = c;
		r = kmsg_body(p, &m, false);
		if (r == KMSG_NOISE)
			r = kmsg_suppressed(p, &m);
		if (r == KMSG_NOISE && !final_text(&m) && cut_prefix(c)) {
			r = KMSG_MORE;
			prefix_only = true;
		}
		break;
	}
out:
	if (rd) {
		rd->used = r == KMSG_NOISE || prefix_only ? 0 :
			   m.used ? m.used : (size_t)(c.e - m.start);
		rd->clean = r == KMSG_OK && !m.unclean;
		rd->whole = r == KMSG_MORE && m.whole;
	}
	if (r == KMSG_NOISE && p->pending != KP_NONE && !(feed & KMSG_PROBE))
		kmsg_pending_noise(p);
	return r;
}

/* /dev/kmsg: "pri,seq,usec,flags[,more];message" */
static bool kmsg_record(struct cur *c, struct kmsg_ts *ts)
{
	struct cur t = *c;
	uint64_t pri, seq, usec;
	const char *semi;

	if (!dec(&t, &pri, 4) || !lit(&t, ",") || !dec(&t, &seq, 20) || !lit(&t, ",") ||
	    !dec(&t, &usec, 20) || !lit(&t, ","))
		return false;
	semi = memchr(t.p, ';', cur_len(&t) < 64 ? cur_len(&t) : 64);
	if (!semi)
		return false;
	t.p = semi + 1;
	ts->mono_ns = usec * 1000;
	ts->flags |= SMMU_EVF_MONO;
	*c = t;
	return true;
}

static size_t kmsg_unescape(char *dst, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' &&
		    (hi = hexval(s[i + 2])) >= 0 && (lo = hexval(s[i + 3])) >= 0) {
			dst[o++] = hi << 4 | lo;
			i += 3;
		} else {
			dst[o++] = s[i];
		}
	}
	return o;
}

static inline enum kmsg_head line_head(struct kmsg_parser *p, const char *line, size_t len,
				      struct kmsg_ts *ts, const char **msg, size_t *msg_len,
				      char *buf)
{
	struct cur c = { line, line + len };
	enum kmsg_head h = KMSG_HEAD_NONE;

	if (p->in_kmsg_record && len && line[0] == ' ')
		return KMSG_HEAD_SKIP;	/* " SUBSYSTEM=platform" dictionary lines */
	p->in_kmsg_record = 0;
	if (len && line[0] == '<') {	/* "<3>" syslog priority */
		const char *gt = memchr(line, '>', len < 5 ? len : 5);

		if (gt)
			c.p = gt + 1;
	}
	if (c.p < c.e && IS_DIGIT(*c.p) && kmsg_record(&c, ts)) {
		*msg_len = kmsg_unescape(buf, c.p, cur_len(&c));
		*msg = buf;
		p->in_kmsg_record = 1;
		return KMSG_HEAD_TS;
	}
	if (ts_prefix(p, &c, ts))
		h = KMSG_HEAD_TS;
	/*
	 * Only c.p can have moved; reading c back whole would load 16 bytes
	 * over the 8 ts_prefix() just stored, which stalls on every line.
	 */
	*msg = c.p;
	*msg_len = line + len - *msg;
	return h;
}

/* the host token before "kernel:" in a syslog or journal header */
static bool host_token(struct cur c, char *host, size_t hlen)
{
	struct cur t = c;
	const char *sp = memchr(c.p, ' ', cur_len(&c) < 64 ? cur_len(&c) : 64);

	if (!sp || sp == c.p || !host_kernel(&t))
		return false;
	copy_name(host, hlen, c.p, sp - c.p);
	return true;
}

bool kmsg_line_host(const char *line, size_t len, char *host, size_t hlen)
{
	struct cur c = { line, line + len };
	struct kmsg_ts ts = { 0 };

	if (len && *c.p == '<') {
		const char *gt = memchr(c.p, '>', len < 5 ? len : 5);

		if (gt)
			c.p = gt + 1;
	}
	if (c.p < c.e && *c.p == '[') {
		/* journalctl -o short-monotonic */
		if (!ts_dmesg(&c, &ts))
			return false;
	} else if (!ts_iso(&c, &ts) && !ts_syslog(&c, &ts, 2000)) {
		return false;
	}
	return host_token(c, host, hlen);
}

enum kmsg_head kmsg_line_head(struct kmsg_parser *p, const char *line, size_t len,
			      struct kmsg_ts *ts, const char **msg, size_t *msg_len,
			      char *buf)
{
	return line_head(p, line, len, ts, msg, msg_len, buf);
}

/* what must not start a clean line: quote markers, indentation, colour */
static const bool unclean_first[256] = {
	[' '] = true, ['\t'] = true, ['>'] = true, ['|'] = true, ['\x1b'] = true,
};

/* what must not end one: a QP soft break, a timestamp the mailer moved, CR */
static const bool unclean_last[256] = {
	['='] = true, [']'] = true, ['\r'] = true,
};

/* messages that start with what the intake removes: "[ T12]", "(3)", "<3>", "kernel: " */
static const bool decoration_first[256] = {
	['['] = true, ['('] = true, ['<'] = true, ['k'] = true,
};

static inline bool decorated(const char *m, size_t n)
{
	return decoration_first[(unsigned char)*m] &&
	       (*m != 'k' || (n >= 8 && !memcmp(m, "kernel: ", 8)));
}

/*
 * "<driver> <BDF>: <body>" (q the blank before the BDF) of a driver other
 * than this one and "platform" (may_matter() turned it away), whose body
 * starts with nothing kmsg_other_driver() reads: not AER's "AER:" or
 * "[14] CmpltTO", not CMDQV's "unexpected ...", and not nothing (a prefix
 * whose text was wrapped).  parse_msg() would find it noise, and leave
 * no trace but a call chain that costs more than the rest of the line.
 */
static inline bool other_pci_noise(const char *s, const char *q, const char *e)
{
	const char *b = q + 14;

	/* split_prefix() would not split it: not needed for noise, kept to be sure */
	if (q == s || q[-1] == ':' || b >= e || *b != ' ')
		return false;
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	/* '\r': rtrim() would take it with what follows, leaving nothing */
	return b < e && *b != 'A' && *b != '[' && *b != 'u' && *b != '\r';
}

/* the clean loop's test: !worth_parsing(), and other drivers' PCI noise */
static inline bool clean_noise(const struct kmsg_parser *p, const char *s, const char *e,
			       const char *readable)
{
	const char *q;

	if (p->pending != KP_NONE || may_matter(s, e))
		return false;
	q = pci_blank(s, e, readable);
	return !q || other_pci_noise(s, q, e);
}

/*
 * The steady state of a clean dmesg: "[%5lu.%06lu] " (']' at 13) and a
 * message that is certainly noise, once the look for a journal's host
 * after the bracket is over.  Whatever this passes, the general loop below
 * would take the same way (ts_bracket_lazy, line_head, clean_noise) and
 * leave no other trace than the counts; it only skips the calls and the
 * timestamp kept for lines that matter.
 */
static inline bool dmesg_noise(const struct kmsg_parser *p, const char *s, size_t n,
			       const char *readable)
{
	return n > 15 && n <= KMSG_MAX_LINE && s[0] == '[' && s[13] == ']' && s[14] == ' ' &&
	       (s[1] == ' ' || IS_DIGIT(s[1]) || IS_UPPER(s[1])) &&
	       !unclean_last[(unsigned char)s[n - 1]] && p->bracket_lines >= 16 &&
	       !p->host_after_bracket && !decorated(s + 15, n - 15) &&
	       clean_noise(p, s + 15, s + n, readable);
}

enum clean_step {
	CLEAN_NEXT,		/* the line was read: on to the next */
	CLEAN_STOP,		/* the line needs the intake: stop before it */
	CLEAN_REST,		/* read, and *rest holds another message glued to it */
};

/* one clean line (n bytes at s, e the end of the buffer) the general way */
static enum clean_step clean_line(struct kmsg_parser *p, const char *s, size_t n,
				  const char *e, const char **rest, size_t *rest_len)
{
	struct kmsg_ts ts = { 0 };
	enum kmsg_res r;
	const char *msg;
	size_t mlen;
	struct cur c;

	if (!n || n > KMSG_MAX_LINE || unclean_first[(unsigned char)s[0]] ||
	    unclean_last[(unsigned char)s[n - 1]])
		return CLEAN_STOP;
	switch (line_head(p, s, n, &ts, &msg, &mlen, p->rec)) {
	case KMSG_HEAD_SKIP:
		p->line_no++;
		p->stats.lines++;
		return CLEAN_NEXT;
	case KMSG_HEAD_NONE:
		return CLEAN_STOP;
	case KMSG_HEAD_TS:
		break;
	}
	if (!mlen || decorated(msg, mlen))
		return CLEAN_STOP;
	p->line_no++;
	/* a /dev/kmsg record's text was unescaped into p->rec: e is not its end */
	if (msg + mlen != s + n)
		e = msg + mlen;
	if (p->plain_scan ? !worth_parsing(p, msg, msg + mlen, msg + mlen, 0) :
			    clean_noise(p, msg, msg + mlen, e)) {
		p->stats.lines++;
		return CLEAN_NEXT;
	}
	c.p = msg;
	c.e = msg + mlen;
	r = parse_msg(p, c, &ts, 0, 0, NULL);
	if (r == KMSG_MORE) {
		/* nothing was consumed: the intake holds it for the next line */
		p->line_no--;
		return CLEAN_STOP;
	}
	p->stats.lines++;
	if (r != KMSG_NOISE) {
		const char *q = msg;

		/* "...timeout[  813.010120] arm-smmu-v3 ...": the rest is another message */
		while (q + 1 < c.e && (q = memchr(q + 1, '[', c.e - q - 1)))
			if (dmesg_ts_end(q, c.e)) {
				*rest = q;
				*rest_len = c.e - q;
				return CLEAN_REST;
			}
	}
	return CLEAN_NEXT;
}

/*
 * The newline list is made a chunk at a time, small first: a log whose
 * lines keep going to the intake stops the loop after a line or two, and
 * should not pay for a big list each time.
 */
#define NL_CHUNK_MIN	128
#define NL_CHUNK_MAX	4096

/* one line of the clean loop: false when the loop stops before or after it */
static inline bool clean_one(struct kmsg_parser *p, const char **s, const char *nl,
			     const char *e, const char **rest, size_t *rest_len)
{
	enum clean_step step;

	/* most lines of a big log end here, without a call */
	if (!p->plain_scan && dmesg_noise(p, *s, nl - *s, e)) {
		p->in_kmsg_record = 0;
		p->line_no++;
		p->stats.lines++;
		*s = nl + 1;
		return true;
	}
	step = clean_line(p, *s, nl - *s, e, rest, rest_len);
	if (step == CLEAN_STOP)
		return false;
	*s = nl + 1;
	return step == CLEAN_NEXT;
}

size_t kmsg_parse_clean(struct kmsg_parser *p, const char *buf, size_t len,
			const char **rest, size_t *rest_len)
{
	const char *s = buf, *e = buf + len, *nl;
	uint16_t off[NL_CHUNK_MAX + NL_SLACK];
	size_t chunk = NL_CHUNK_MIN;

	*rest = NULL;
	if (p->plain_scan) {
		while ((nl = memchr(s, '\n', e - s)) && clean_one(p, &s, nl, e, rest, rest_len))
			;
		return s - buf;
	}
	for (size_t base = 0; base < len; base += chunk, chunk += chunk < NL_CHUNK_MAX ? chunk : 0) {
		size_t n = len - base < chunk ? len - base : chunk;
		size_t cnt = nl_offsets(buf + base, n, off);

		for (size_t i = 0; i < cnt; i++)
			if (!clean_one(p, &s, buf + base + off[i], e, rest, rest_len))
				return s - buf;
	}
	return s - buf;
}

enum kmsg_res kmsg_feed(struct kmsg_parser *p, const char *msg, size_t len,
			const struct kmsg_ts *ts, uint32_t cpu, unsigned int flags,
			struct kmsg_read *rd)
{
	struct cur c = { msg, msg + len };

	if (rd) {
		rd->used = 0;
		rd->clean = false;
		rd->whole = false;
	}
	if (len > KMSG_MAX_LINE)
		return KMSG_NOISE;
	return parse_msg(p, c, ts, cpu, flags, rd);
}

void kmsg_parse_line(struct kmsg_parser *p, const char *line, size_t len)
{
	struct kmsg_ts ts = { 0 };
	const char *msg;
	size_t n;

	p->line_no++;
	p->stats.lines++;
	if (len > KMSG_MAX_LINE) {
		p->stats.long_lines++;
		return;
	}
	if (line_head(p, line, len, &ts, &msg, &n, p->rec) == KMSG_HEAD_SKIP)
		return;
	kmsg_feed(p, msg, n, &ts, 0, KMSG_FINAL, NULL);
}

void kmsg_parse_message(struct kmsg_parser *p, const char *msg, size_t len,
			const struct kmsg_ts *ts, uint32_t cpu)
{
	p->line_no++;
	p->stats.lines++;
	if (len > KMSG_MAX_LINE) {
		p->stats.long_lines++;
		return;
	}
	kmsg_feed(p, msg, len, ts, cpu, KMSG_FINAL, NULL);
}

void kmsg_parser_init(struct kmsg_parser *p, int default_year,
		      kmsg_emit_fn emit_fn, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->emit = emit_fn;
	p->ctx = ctx;
	p->default_year = default_year;
}

void kmsg_parser_finish(struct kmsg_parser *p)
{
	kmsg_flush_pending(p);
}
