// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel-log parser.  The common case is a line that has nothing to do
 * with the SMMU, so every step rejects early: timestamp prefix, then one
 * first-character switch over the message bodies the driver can print.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "kmsg.h"

struct cur {
	const char *p;
	const char *e;
};

/* locale-free and inlined: these run on every byte of a prefix */
#define IS_DIGIT(c)	((unsigned char)((c) - '0') < 10)
#define IS_LOWER(c)	((unsigned char)((c) - 'a') < 26)

static inline size_t cur_len(const struct cur *c)
{
	return c->e - c->p;
}

static inline bool lit_n(struct cur *c, const char *s, size_t n)
{
	if (cur_len(c) < n || memcmp(c->p, s, n))
		return false;
	c->p += n;
	return true;
}

#define lit(c, s)	lit_n((c), (s), sizeof(s) - 1)

static inline bool starts(const struct cur *c, const char *s, size_t n)
{
	return cur_len(c) >= n && !memcmp(c->p, s, n);
}

#define STARTS(c, s)	starts((c), (s), sizeof(s) - 1)

static void skip_sp(struct cur *c)
{
	while (c->p < c->e && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

static void rtrim(struct cur *c)
{
	while (c->e > c->p && (c->e[-1] == '\r' || c->e[-1] == ' ' ||
			       c->e[-1] == '\t' || c->e[-1] == '\n'))
		c->e--;
}

static bool dec(struct cur *c, uint64_t *v, int max_digits)
{
	const char *s = c->p;
	uint64_t x = 0;

	while (c->p < c->e && c->p - s < max_digits && IS_DIGIT(*c->p))
		x = x * 10 + (*c->p++ - '0');
	*v = x;
	return c->p > s;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* hex digits, "0x" required when need_0x; at most 16 digits */
static bool hex(struct cur *c, uint64_t *v, bool need_0x)
{
	struct cur save = *c;
	const char *s;
	uint64_t x = 0;
	int d;

	if (!lit(c, "0x") && !lit(c, "0X") && need_0x)
		return false;
	s = c->p;
	while (c->p < c->e && (d = hexval(*c->p)) >= 0) {
		if (c->p - s == 16) {
			*c = save;
			return false;
		}
		x = x << 4 | d;
		c->p++;
	}
	if (c->p == s) {
		*c = save;
		return false;
	}
	*v = x;
	return true;
}

/* "%#x" prints 0 as "0" and everything else as "0x..." */
static bool hex_alt(struct cur *c, uint64_t *v)
{
	if (hex(c, v, true))
		return true;
	return dec(c, v, 20);
}

static bool hex32(struct cur *c, uint32_t *v)
{
	uint64_t x;

	if (!hex(c, &x, true) || x > 0xffffffffull)
		return false;
	*v = x;
	return true;
}

static void copy_name(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

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
	const char *sp = memchr(t.p, ' ', cur_len(&t) < 256 ? cur_len(&t) : 256);

	if (!sp)
		return false;
	t.p = sp + 1;
	if (!lit(&t, "kernel: ") && !lit(&t, "kernel:"))
		return false;
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

static void ts_resolve(struct kmsg_ts *ts)
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
		return ts_bracket_lazy(c, ts);
	case '0' ... '9':
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

/* ---- events ------------------------------------------------------------ */

struct msg {
	struct cur body;
	const char *dev;
	size_t dev_len;
	uint16_t flags;
	const struct kmsg_ts *ts;
	uint32_t cpu;
};

static void ev_init(struct kmsg_parser *p, struct smmu_event *ev, int type,
		    const struct msg *m)
{
	ts_resolve((struct kmsg_ts *)m->ts);
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = type;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.flags = m->flags | m->ts->flags;
	ev->hdr.mono_ns = m->ts->mono_ns;
	ev->hdr.wall_ns = m->ts->wall_ns;
	ev->hdr.cpu = m->cpu;
	ev->hdr.seq = p->line_no;
	if (m->dev)
		copy_name(ev->hdr.smmu, sizeof(ev->hdr.smmu), m->dev, m->dev_len);
}

static void flush_pending(struct kmsg_parser *p);

/* a new message ends whatever multi-line message was being assembled */
static void emit(struct kmsg_parser *p, const struct smmu_event *ev)
{
	if (ev->hdr.type != SMMU_EV_AER)
		flush_pending(p);
	p->stats.messages++;
	p->emit(p->ctx, ev);
}

static bool malformed(struct kmsg_parser *p)
{
	p->stats.malformed++;
	return true;
}

static void flush_pending(struct kmsg_parser *p)
{
	struct smmu_event *ev = &p->pev;

	switch (p->pending) {
	case KP_SKIPPED:
		if (p->n_dw < 2)
			p->stats.incomplete++;
		if (p->n_dw >= 1)
			p->emit(p->ctx, ev);
		break;
	case KP_EVTQ:
		if (p->n_dw < 4)
			p->stats.incomplete++;
		p->emit(p->ctx, ev);
		break;
	case KP_NONE:
		break;
	}
	p->pending = KP_NONE;
}

static void start_pending(struct kmsg_parser *p, enum kmsg_pending kind)
{
	p->pending = kind;
	p->n_dw = 0;
	p->pending_lines = 8;
}

/* "\t0x%016llx": a dword line of the pending message, same SMMU */
static bool continuation(struct kmsg_parser *p, const struct msg *m)
{
	struct cur c = m->body;
	uint64_t v;

	if (p->pending == KP_NONE)
		return false;
	skip_sp(&c);
	if (cur_len(&c) != 18 || !hex(&c, &v, true))
		return false;
	if (m->dev && p->pev.hdr.smmu[0] &&
	    (strlen(p->pev.hdr.smmu) != m->dev_len ||
	     memcmp(p->pev.hdr.smmu, m->dev, m->dev_len)))
		return false;
	if (p->pending == KP_SKIPPED) {
		p->pev.skipped.cmd[p->n_dw++] = v;
		if (p->n_dw == 2)
			flush_pending(p);
	} else {
		struct smmu_ev_evtq *e = &p->pev.evtq;

		if (p->n_dw >= 4)
			return false;
		e->dw[p->n_dw++] = v;
		e->n_dw = p->n_dw;
		if (p->n_dw == 1) {
			e->sid = v >> 32;
			e->ssid = (v >> 12) & 0xfffff;
			e->ssv = (v >> 11) & 1;
			e->have_sid = 1;
		}
		if (p->n_dw == 3)
			e->iova = v;
	}
	p->stats.messages++;
	return true;
}

static bool m_cmdq_error(struct kmsg_parser *p, const struct msg *m, struct cur c)
{
	struct smmu_event ev;
	uint32_t cons;
	int ce;

	if (!hex32(&c, &cons) || !lit(&c, "): "))
		return malformed(p);
	ev_init(p, &ev, SMMU_EV_CMDQ_ERROR, m);
	ev.cmdq_error.cons = cons;
	/* the text wins: CONS may be printed with the error bits cleared */
	ce = smmu_cerror_from_text(c.p, cur_len(&c));
	ev.cmdq_error.cerror = ce >= 0 ? (uint32_t)ce : smmu_cons_cerror(cons);
	if (ce < 0 && !smmu_cons_cerror(cons))
		ev.cmdq_error.cerror = 0x7f;	/* "Unknown" */
	emit(p, &ev);
	return true;
}

static bool m_sync_timeout(struct kmsg_parser *p, const struct msg *m, struct cur c)
{
	struct smmu_event ev;
	uint32_t prod, hwprod, hwcons;

	if (!hex32(&c, &prod))
		return malformed(p);
	ev_init(p, &ev, SMMU_EV_SYNC_TIMEOUT, m);
	ev.sync_timeout.prod = prod;
	if (lit(&c, " [hwprod ") && hex32(&c, &hwprod) && lit(&c, ", hwcons ") &&
	    hex32(&c, &hwcons)) {
		ev.sync_timeout.hwprod = hwprod;
		ev.sync_timeout.hwcons = hwcons;
		ev.sync_timeout.have_hw = 1;
	}
	emit(p, &ev);
	return true;
}

static bool m_simple(struct kmsg_parser *p, const struct msg *m, int type)
{
	struct smmu_event ev;

	ev_init(p, &ev, type, m);
	emit(p, &ev);
	return true;
}

static bool m_gerror_bit(struct kmsg_parser *p, const struct msg *m, unsigned int bit)
{
	struct smmu_event ev;

	ev_init(p, &ev, SMMU_EV_GERROR, m);
	ev.gerror.active = 1u << bit;
	ev.gerror.bit = bit;
	emit(p, &ev);
	return true;
}

static bool m_allocated(struct kmsg_parser *p, const struct msg *m, struct cur c)
{
	struct smmu_event ev;
	uint64_t n;
	int shift;

	if (!dec(&c, &n, 10) || !lit(&c, " entries for "))
		return false;
	ev_init(p, &ev, SMMU_EV_QUEUE_INFO, m);
	if (lit(&c, "cmdq"))
		ev.queue_info.queue = SMMU_Q_CMDQ;
	else if (lit(&c, "evtq"))
		ev.queue_info.queue = SMMU_Q_EVTQ;
	else if (lit(&c, "priq"))
		ev.queue_info.queue = SMMU_Q_PRIQ;
	else
		return false;
	shift = smmu_max_n_shift_from_entries(n);
	if (shift < 0)
		return malformed(p);
	ev.queue_info.entries = n;
	ev.queue_info.max_n_shift = shift;
	emit(p, &ev);
	return true;
}

/* "ias %lu-bit, oas %lu-bit (features 0x%08x)" or 7.1's "oas %lu-bit (...)" */
static bool m_features(struct kmsg_parser *p, const struct msg *m, struct cur c)
{
	struct smmu_event ev;
	uint64_t ias = 0, oas, f;

	if (lit(&c, "ias ")) {
		if (!dec(&c, &ias, 3) || !lit(&c, "-bit, oas "))
			return false;
	} else if (!lit(&c, "oas ")) {
		return false;
	}
	if (!dec(&c, &oas, 3) || !lit(&c, "-bit (features ") || !hex(&c, &f, true))
		return false;
	ev_init(p, &ev, SMMU_EV_FEATURES, m);
	ev.features.ias = ias;
	ev.features.oas = oas;
	ev.features.features = f;
	emit(p, &ev);
	return true;
}

static bool m_event_hdr(struct kmsg_parser *p, const struct msg *m, struct cur c)
{
	uint64_t id;

	if (!hex(&c, &id, true) || id > 0xff || !lit(&c, " received:"))
		return false;
	flush_pending(p);
	ev_init(p, &p->pev, SMMU_EV_EVTQ, m);
	p->pev.evtq.id = id;
	start_pending(p, KP_EVTQ);
	p->stats.messages++;
	return true;
}

/* 6.19+: "event: F_TRANSLATION client: 0000:01:00.0 sid: 0x100 ssid: 0 ..." */
static bool m_event_decoded(struct kmsg_parser *p, const struct msg *m, struct cur c)
{
	struct smmu_event ev;
	struct smmu_ev_evtq *e;
	const char *name = c.p, *client;
	uint64_t sid, ssid, iova;
	int id;

	while (c.p < c.e && *c.p != ' ')
		c.p++;
	id = smmu_evt_from_name(name, c.p - name);
	if (!lit(&c, " client: "))
		return malformed(p);
	client = c.p;
	/* "(unassigned sid)" has a space in it; the field ends at " sid: " */
	while (c.p < c.e && !STARTS(&c, " sid: "))
		c.p++;
	if (!STARTS(&c, " sid: "))
		return malformed(p);
	if (p->pending == KP_EVTQ && p->pev.evtq.n_dw == 4) {
		ev = p->pev;
		p->pending = KP_NONE;	/* merged, not flushed by emit() */
	} else {
		flush_pending(p);
		ev_init(p, &ev, SMMU_EV_EVTQ, m);
		if (id >= 0)
			ev.evtq.id = id;
	}
	e = &ev.evtq;
	copy_name(e->client, sizeof(e->client), client, c.p - client);
	lit(&c, " sid: ");
	if (!hex_alt(&c, &sid) || !lit(&c, " ssid: ") || !hex_alt(&c, &ssid))
		return malformed(p);
	e->sid = sid;
	e->ssid = ssid;
	e->have_sid = 1;
	if (lit(&c, " iova: ") && hex_alt(&c, &iova))
		e->iova = iova;
	emit(p, &ev);
	return true;
}

/*
 * The bodies the driver prints, by first character.  Returns false when the
 * body is not one of them (the common case).
 */
static bool parse_body(struct kmsg_parser *p, const struct msg *m)
{
	struct cur c = m->body;
	uint32_t v;

	if (c.p == c.e)
		return false;
	switch (*c.p) {
	case 'C':
		if (lit(&c, "CMDQ error (cons "))
			return m_cmdq_error(p, m, c);
		if (lit(&c, "CMD_SYNC timeout at "))
			return m_sync_timeout(p, m, c);
		if (lit(&c, "CMD_SYNC for ATC_INV timeout at prod=")) {
			struct smmu_event ev;

			if (!hex32(&c, &v))
				return malformed(p);
			ev_init(p, &ev, SMMU_EV_ATC_SYNC_FAIL, m);
			ev.atc_sync_fail.prod = v;
			emit(p, &ev);
			return true;
		}
		if (STARTS(&c, "CMDQ timeout"))
			return m_simple(p, m, SMMU_EV_CMDQ_TIMEOUT);
		if (STARTS(&c, "CMDQ MSI write aborted"))
			return m_gerror_bit(p, m, 4);
		return false;
	case 's':
		if (STARTS(&c, "skipping command in error state:")) {
			flush_pending(p);
			ev_init(p, &p->pev, SMMU_EV_SKIPPED_CMD, m);
			start_pending(p, KP_SKIPPED);
			p->stats.messages++;
			return true;
		}
		return false;
	case 'r':
		if (STARTS(&c, "retrying command fetch"))
			return m_simple(p, m, SMMU_EV_FETCH_RETRY);
		return false;
	case 'u':
		if (lit(&c, "unexpected global error reported (")) {
			struct smmu_event ev;

			if (!hex32(&c, &v))
				return malformed(p);
			ev_init(p, &ev, SMMU_EV_GERROR, m);
			ev.gerror.active = v;
			ev.gerror.bit = 0xff;
			emit(p, &ev);
			return true;
		}
		return false;
	case 'd':
		if (STARTS(&c, "device has entered Service Failure Mode"))
			return m_gerror_bit(p, m, 8);
		return false;
	case 'G':
		if (STARTS(&c, "GERROR MSI write aborted"))
			return m_gerror_bit(p, m, 7);
		return false;
	case 'P':
		if (STARTS(&c, "PRIQ MSI write aborted"))
			return m_gerror_bit(p, m, 6);
		if (STARTS(&c, "PRIQ write aborted"))
			return m_gerror_bit(p, m, 3);
		return false;
	case 'E':
		if (STARTS(&c, "EVTQ MSI write aborted"))
			return m_gerror_bit(p, m, 5);
		if (STARTS(&c, "EVTQ write aborted"))
			return m_gerror_bit(p, m, 2);
		if (STARTS(&c, "EVTQ overflow detected"))
			return m_simple(p, m, SMMU_EV_EVTQ_OVERFLOW);
		return false;
	case 'a':
		if (lit(&c, "allocated "))
			return m_allocated(p, m, c);
		return false;
	case 'i':
	case 'o':
		return m_features(p, m, c);
	case 'e':
		if (lit(&c, "event 0x")) {
			c.p -= 2;
			return m_event_hdr(p, m, c);
		}
		if (lit(&c, "event: "))
			return m_event_decoded(p, m, c);
		return false;
	}
	return false;
}

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
	if (q == e || q - s < 2 || q[-1] != ':')
		return false;
	dev->p = s;
	dev->e = q - 1;
	body->p = q + 1;
	body->e = e;
	return true;
}

static bool aer_body(struct kmsg_parser *p, const struct msg *m, struct cur c)
{
	struct smmu_event ev;
	const char *src;

	bool aer = lit(&c, "AER: ");

	skip_sp(&c);
	if (STARTS(&c, "[14] CmpltTO")) {
		ev_init(p, &ev, SMMU_EV_AER, m);
		ev.hdr.smmu[0] = '\0';
		copy_name(ev.aer.dev, sizeof(ev.aer.dev), m->dev, m->dev_len);
		ev.aer.cmplto = 1;
		ev.aer.uncorrectable = 1;
		emit(p, &ev);
		return true;
	}
	/* "AER: ... error received: <BDF>" or "AER: ... error message received from <BDF>" */
	src = NULL;
	if (aer) {
		const char *q = memmem(c.p, cur_len(&c), "received", 8);

		if (q) {
			q += 8;
			if (c.e - q >= 2 && !memcmp(q, ": ", 2))
				src = q + 2;
			else if (c.e - q >= 6 && !memcmp(q, " from ", 6))
				src = q + 6;
		}
	}
	if (!src || src >= c.e)
		return false;
	ev_init(p, &ev, SMMU_EV_AER, m);
	ev.hdr.smmu[0] = '\0';
	copy_name(ev.aer.dev, sizeof(ev.aer.dev), src, c.e - src);
	ev.aer.uncorrectable = memmem(c.p, c.e - c.p, "Uncorrected", 11) != NULL;
	emit(p, &ev);
	return true;
}

/* "arm_smmu_cmdq_issue_cmdlist: 37 callbacks suppressed" */
static bool suppressed(struct kmsg_parser *p, const struct msg *m, struct cur c)
{
	struct smmu_event ev;
	const char *f = c.p, *colon;
	uint64_t n;

	if (!STARTS(&c, "arm_smmu_") && !STARTS(&c, "__arm_smmu_"))
		return false;
	colon = memchr(c.p, ':', cur_len(&c) < 80 ? cur_len(&c) : 80);
	if (!colon)
		return false;
	c.p = colon;
	if (!lit(&c, ": ") || !dec(&c, &n, 10) || !lit(&c, " callbacks suppressed"))
		return false;
	ev_init(p, &ev, SMMU_EV_SUPPRESSED, m);
	ev.suppressed.count = n > 0xffffffffu ? 0xffffffffu : n;
	copy_name(ev.suppressed.func, sizeof(ev.suppressed.func), f, colon - f);
	emit(p, &ev);
	return true;
}

/*
 * First bytes a message can start with and still matter without a PCIe
 * AER token in sight: the driver prefixes ("arm-smmu-v3 ", "platform ",
 * "arm_smmu_..."/"__arm_smmu_..." call sites) and the bare bodies.
 */
static const bool first_byte_may_matter[256] = {
	['a'] = true, ['p'] = true, ['_'] = true, ['C'] = true, ['s'] = true,
	['r'] = true, ['u'] = true, ['d'] = true, ['G'] = true, ['P'] = true,
	['E'] = true, ['i'] = true, ['o'] = true, ['e'] = true,
};

/* "dddd:bb:dd.f" */
static bool is_bdf(const char *s)
{
	static const char shape[] = "xxxx:xx:xx.x";

	for (int i = 0; i < 12; i++) {
		if (shape[i] == 'x' ? hexval(s[i]) < 0 : s[i] != shape[i])
			return false;
	}
	return true;
}

/*
 * AER lines come from PCI functions: "<driver> <BDF>: ...".  Checking that
 * shape is much cheaper than searching every line for "AER".
 */
static bool pci_prefix(struct cur c)
{
	const char *q = c.p, *lim = c.e - 14;

	if (lim > c.p + 32)
		lim = c.p + 32;
	while (q < lim && *q != ' ')
		q++;
	return q < lim && is_bdf(q + 1) && q[13] == ':';
}

static void parse_msg(struct kmsg_parser *p, struct cur c, const struct kmsg_ts *ts,
		      uint32_t cpu)
{
	struct cur drv, dev, body;
	struct msg m = { .ts = ts, .cpu = cpu };
	bool smmu_dev = false;

	if (c.p == c.e)
		goto noise;
	if (p->pending == KP_NONE && !first_byte_may_matter[(unsigned char)*c.p]) {
		/* most lines of a big log end here */
		if (!pci_prefix(c))
			return;
	}
	rtrim(&c);
	if (split_prefix(c, &drv, &dev, &body)) {
		size_t dl = cur_len(&drv);

		if (dl == 11 && !memcmp(drv.p, "arm-smmu-v3", 11)) {
			smmu_dev = true;
		} else if (dl == 8 && !memcmp(drv.p, "platform", 8)) {
			smmu_dev = true;
			m.flags = SMMU_EVF_PLATFORM;
		}
		m.dev = dev.p;
		m.dev_len = cur_len(&dev);
		m.body = body;
		if (smmu_dev) {
			if (continuation(p, &m) || parse_body(p, &m))
				return;
			goto noise;
		}
		if (aer_body(p, &m, body))
			return;
	}
	m.dev = NULL;
	m.dev_len = 0;
	m.flags = 0;
	m.body = c;
	if (continuation(p, &m) || parse_body(p, &m) || suppressed(p, &m, c))
		return;
noise:
	if (p->pending != KP_NONE && --p->pending_lines <= 0)
		flush_pending(p);
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

void kmsg_parse_line(struct kmsg_parser *p, const char *line, size_t len)
{
	struct kmsg_ts ts = { 0 };
	struct cur c = { line, line + len };
	char buf[KMSG_MAX_LINE];

	p->line_no++;
	p->stats.lines++;
	if (len > KMSG_MAX_LINE) {
		p->stats.long_lines++;
		return;
	}
	if (p->in_kmsg_record && len && line[0] == ' ')
		return;		/* " SUBSYSTEM=platform" dictionary lines */
	p->in_kmsg_record = 0;
	if (len && line[0] == '<') {	/* "<3>" syslog priority */
		const char *gt = memchr(line, '>', len < 5 ? len : 5);

		if (gt)
			c.p = gt + 1;
	}
	if (c.p < c.e && IS_DIGIT(*c.p) && kmsg_record(&c, &ts)) {
		size_t n = kmsg_unescape(buf, c.p, cur_len(&c));

		p->in_kmsg_record = 1;
		c.p = buf;
		c.e = buf + n;
	} else {
		ts_prefix(p, &c, &ts);
	}
	parse_msg(p, c, &ts, 0);
}

void kmsg_parse_message(struct kmsg_parser *p, const char *msg, size_t len,
			const struct kmsg_ts *ts, uint32_t cpu)
{
	struct cur c = { msg, msg + len };

	p->line_no++;
	p->stats.lines++;
	if (len > KMSG_MAX_LINE) {
		p->stats.long_lines++;
		return;
	}
	parse_msg(p, c, ts, cpu);
}

/* a block of lines, without copying them */
size_t kmsg_parse_block(struct kmsg_parser *p, const char *buf, size_t len, bool final)
{
	const char *s = buf, *e = buf + len, *nl;

	while ((nl = memchr(s, '\n', e - s))) {
		kmsg_parse_line(p, s, nl - s);
		s = nl + 1;
	}
	if (final && s < e) {
		kmsg_parse_line(p, s, e - s);
		s = e;
	}
	return s - buf;
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
	flush_pending(p);
}
