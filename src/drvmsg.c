// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The driver's format strings and a matcher for them.  Formats are walked
 * at match time: only lines that already look like driver output get here,
 * so a table of the kernel's own strings costs nothing on a clean log and
 * cannot drift from what the kernel prints.
 */
#include <string.h>

#include "drvmsg.h"
#include "textcur.h"

/*
 * arm-smmu-v3.c and tegra241-cmdqv.c format strings, 5.15 to 7.1, and the
 * older kernels' forms where the text differs (4.2 to 5.3 wait for a
 * CMD_SYNC under the queue lock and print no position).
 */
static const struct drv_msg msgs[] = {
	{ DRV_CMDQ_ERROR,	"CMDQ error (cons 0x%08x): %s", 0 },
	{ DRV_FETCH_RETRY,	"retrying command fetch", 0 },
	{ DRV_SKIPPING,		"skipping command in error state:", 0 },
	{ DRV_SYNC_TIMEOUT,	"CMD_SYNC timeout at 0x%08x [hwprod 0x%08x, hwcons 0x%08x]", 0 },
	/* 4.2 to 5.3, MSI and polled completion alike: no position printed */
	{ DRV_SYNC_TIMEOUT_OLD,	"CMD_SYNC timeout", 0 },
	{ DRV_CMDQ_TIMEOUT,	"CMDQ timeout", 0 },
	/* HiSilicon's 4.x vendor trees count their retries of a full queue */
	{ DRV_CMDQ_TIMEOUT_CNT,	"CMDQ timeout,cnt:%d", 0 },
	{ DRV_UNKNOWN_OPCODE,	"ignoring unknown CMDQ opcode 0x%x", DRVF_IGNORE },
	{ DRV_CONVERT_SYNC,	"failed to convert to CMD_SYNC", DRVF_IGNORE },
	{ DRV_ATC_SYNC_FAIL,	"CMD_SYNC for ATC_INV timeout at prod=0x%08x", 0 },
	{ DRV_GERROR,		"unexpected global error reported (0x%08x), this could be serious", 0 },
	{ DRV_SFM,		"device has entered Service Failure Mode!", 0 },
	{ DRV_GERROR_MSI,	"GERROR MSI write aborted", 0 },
	{ DRV_PRIQ_MSI,		"PRIQ MSI write aborted", 0 },
	{ DRV_EVTQ_MSI,		"EVTQ MSI write aborted", 0 },
	{ DRV_CMDQ_MSI,		"CMDQ MSI write aborted", 0 },
	{ DRV_PRIQ_ABT,		"PRIQ write aborted -- events may have been lost", 0 },
	{ DRV_EVTQ_ABT,		"EVTQ write aborted -- events may have been lost", 0 },
	{ DRV_EVENT_HDR,	"event 0x%02x received:", 0 },
	{ DRV_EVENT_XLATE,	"event: %s client: %s sid: %#x ssid: %#x iova: %#llx ipa: %#llx", 0 },
	{ DRV_EVENT_FETCH,	"event: %s client: %s sid: %#x ssid: %#x fetch_addr: %#llx", 0 },
	{ DRV_EVENT_OTHER,	"event: %s client: %s sid: %#x ssid: %#x", 0 },
	{ DRV_EVENT_DETAIL,	"%s %s %s %s \"%s\"%s%s stag: %#x", DRVF_CONT },
	{ DRV_EVTQ_OVERFLOW,	"EVTQ overflow detected -- events lost", 0 },
	{ DRV_PRIQ_OVERFLOW,	"PRIQ overflow detected -- requests lost", DRVF_IGNORE },
	{ DRV_PRI_HDR,		"unexpected PRI request received:", DRVF_IGNORE },
	{ DRV_PRI_DETAIL,	"\tsid 0x%08x.0x%05x: [%u%s] %sprivileged %s%s%s access at iova 0x%016llx",
				DRVF_CONT | DRVF_IGNORE },
	{ DRV_ALLOCATED,	"allocated %u entries for %s", 0 },
	{ DRV_FEATURES,		"ias %lu-bit, oas %lu-bit (features 0x%08x)", 0 },
	{ DRV_FEATURES_OAS,	"oas %lu-bit (features 0x%08x)", 0 },
	{ DRV_OPTION_MASK,	"option mask 0x%x", DRVF_IGNORE },
	/* Tegra241 CMDQV, on its own device; the %s is built from this format */
	{ DRV_CMDQV_ERROR,	"unexpected error reported. vintf_map: %016llx, "
				"vcmdq_map %08x:%08x:%08x:%08x", 0 },
	{ DRV_DWORD,		"\t0x%016llx", DRVF_CONT },
};

#define N_MSGS	(sizeof(msgs) / sizeof(msgs[0]))
_Static_assert(N_MSGS <= 64, "the first-byte index holds 64 entries");

const struct drv_msg *drv_msg_get(enum drv_msg_id id)
{
	for (size_t i = 0; i < N_MSGS; i++)
		if (msgs[i].id == id)
			return &msgs[i];
	return NULL;
}

static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool is_word(char c)
{
	return IS_DIGIT(c) || IS_LOWER(c) || IS_UPPER(c) || c == '_';
}

size_t drv_elision(const char *s, size_t n)
{
	static const char *const forms[] = {
		"[...]", "<...>", "(...)", "[snip]", "<snip>", "\xe2\x80\xa6", "...", "..",
	};
	size_t k = 0;

	/* asked at every place a literal could go on: most places start none */
	if (!n || (s[0] != '[' && s[0] != '<' && s[0] != '(' && s[0] != '.' && s[0] != '\xe2'))
		return 0;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		size_t l = strlen(forms[i]);

		if (n >= l && !memcmp(s, forms[i], l)) {
			k = l;
			break;
		}
	}
	if (!k)
		return 0;
	/* "......" or "… ..." are one elision */
	while (k < n && (s[k] == '.' || (n - k >= 3 && !memcmp(s + k, "\xe2\x80\xa6", 3))))
		k += s[k] == '.' ? 1 : 3;
	return k;
}

/* an elision, blanks before it included: "(0x00000001) [snip]" */
static size_t elision_here(const char *p, const char *e)
{
	const char *q = p;
	size_t k;

	while (q < e && (*q == ' ' || *q == '\t'))
		q++;
	k = drv_elision(q, e - q);
	return k ? (size_t)(q - p) + k : 0;
}

/* "??", "???" stand for a value someone did not copy */
static size_t placeholder(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && s[k] == '?')
		k++;
	return k >= 2 ? k : 0;
}

struct spec {
	bool alt, zero;
	unsigned int width;
	char conv;
	size_t len;		/* bytes of the spec in the format */
};

static void parse_spec(const char *f, struct spec *sp)
{
	const char *p = f + 1;

	memset(sp, 0, sizeof(*sp));
	for (;; p++) {
		if (*p == '#')
			sp->alt = true;
		else if (*p == '0')
			sp->zero = true;
		else
			break;
	}
	while (*p >= '0' && *p <= '9')
		sp->width = sp->width * 10 + (*p++ - '0');
	while (*p == 'l' || *p == 'z' || *p == 'h')
		p++;
	sp->conv = *p;
	sp->len = p + 1 - f;
}

struct mstate {
	const char *s, *p, *e;	/* text: start, cursor, end */
	const char *fmt, *f;	/* format: start, cursor */
	const char *anchor;	/* end of the format's first literal run */
	int vi;
	struct drv_match *m;
};

/* the literal run of the format starting at f, up to its next conversion */
static size_t literal_len(const char *f)
{
	const char *q = f;

	while (*q && !(*q == '%' && q[1] != '%'))
		q += *q == '%' ? 2 : 1;
	return q - f;
}

/* a number token: value, or absent and why */
static void read_number(struct mstate *st, const struct spec *sp, struct drv_val *v,
			bool *cut)
{
	const char *t = st->p, *q = t;
	uint64_t x = 0;
	size_t digits;
	bool hexa = sp->conv == 'x' || sp->conv == 'X';

	while (q < st->e && is_word(*q))
		q++;
	/* "%u%s": a decimal value glued to the next conversion ends at its digits */
	if (!hexa && st->f[0] == '%' && st->f[1] != '%') {
		q = t + (t < st->e && *t == '-');
		while (q < st->e && IS_DIGIT(*q))
			q++;
	}
	st->p = q;
	if (hexa && sp->alt) {
		/* "%#x" prints 0 as "0", anything else with "0x" */
		if (q - t == 1 && *t == '0') {
			v->have = true;
			return;
		}
		if (q - t < 3 || t[0] != '0' || (t[1] != 'x' && t[1] != 'X'))
			goto mangled;
		t += 2;
	}
	if (!hexa && t < q && *t == '-' && sp->conv == 'd')
		t++;
	digits = q - t;
	if (!digits || digits > (hexa ? 16u : 20u))
		goto mangled;
	for (const char *c = t; c < q; c++) {
		int d = hexa ? hexval(*c) : (*c >= '0' && *c <= '9' ? *c - '0' : -1);

		if (d < 0)
			goto mangled;
		x = x * (hexa ? 16 : 10) + d;
	}
	/* a zero-padded value shorter than its width lost digits somewhere */
	if (sp->zero && sp->width && digits != sp->width) {
		if (q == st->e && digits < sp->width) {
			*cut = true;	/* a wrap may bring the rest */
			return;
		}
		goto mangled;
	}
	v->have = true;
	v->v = x;
	return;
mangled:
	v->mangled = true;
	st->m->mangled = true;
}

/*
 * Where a %s ends: before the format's next literal, or the end of the
 * text.  glued: the %s follows another conversion directly ("%s%s"), so
 * its value brings its own leading blank (" stall").
 */
static const char *string_end(struct mstate *st, const char *next_f, bool glued)
{
	size_t l = literal_len(next_f);
	const char *q;

	if (!*next_f)
		return st->e;
	if (!l) {
		/* "%s%s": one optional blank-led word, if the rest still fits */
		const char *lit = next_f;
		const char *w = st->p;

		while (*lit == '%' && lit[1] != '%') {
			struct spec sp;

			parse_spec(lit, &sp);
			lit += sp.len;
		}
		if (w < st->e && *w == ' ')
			w++;
		while (w < st->e && !is_blank(*w))
			w++;
		l = literal_len(lit);
		if (l && memmem(w, st->e - w, lit, l))
			return w;
		return st->p;
	}
	if (*next_f == ' ') {
		/*
		 * "event: %s client: %s sid:": a value before a blank is one word
		 * (blanks only inside parentheses, "(unassigned sid)"), so a wrapped
		 * line cannot be swallowed into it.
		 */
		int depth = 0;

		/* "%s%s stag:": a glued value is empty when the literal is right here */
		if (glued && (size_t)(st->e - st->p) >= l && !memcmp(st->p, next_f, l))
			return st->p;
		q = st->p;
		if (glued && q < st->e && *q == ' ')
			q++;
		for (; q < st->e; q++) {
			if (*q == '(')
				depth++;
			else if (*q == ')' && depth)
				depth--;
			else if ((*q == ' ' || *q == '\t') && !depth)
				return q;
		}
		return st->e;
	}
	q = memmem(st->p, st->e - st->p, next_f, l);
	if (!q) {
		/* the literal may be cut by the end of the text */
		for (size_t k = l - 1; k > 0; k--)
			if ((size_t)(st->e - st->p) >= k && !memcmp(st->e - k, next_f, k))
				return st->e - k;
		return st->e;
	}
	return q;
}

static bool match_conv(struct mstate *st, bool *cut)
{
	struct drv_val *v = st->vi < DRV_MAX_VALS ? &st->m->val[st->vi] : NULL;
	struct drv_val dummy;
	bool glued = st->f - st->fmt >= 2 && st->f[-1] == 's' && st->f[-2] == '%';
	struct spec sp;
	size_t k;

	parse_spec(st->f, &sp);
	st->f += sp.len;
	st->vi++;
	if (!v)
		v = &dummy;
	memset(v, 0, sizeof(*v));
	if ((k = drv_elision(st->p, st->e - st->p)) || (k = placeholder(st->p, st->e - st->p))) {
		st->p += k;
		st->m->elided = true;
		return true;
	}
	if (sp.conv == 's') {
		const char *q = string_end(st, st->f, glued);

		v->s = st->p;
		v->n = q - st->p;
		v->have = true;
		st->p = q;
		return true;
	}
	if (!is_word(*st->p) && *st->p != '-')
		return false;
	read_number(st, &sp, v, cut);
	return true;
}

/* after an elision where literal text was expected: find where the text goes on */
static void resync(struct mstate *st)
{
	const char *g = st->f;

	while (st->p < st->e && is_blank(*st->p))
		st->p++;
	if (st->p == st->e) {
		st->f += strlen(st->f);
		return;
	}
	for (int vi = st->vi; *g; ) {
		size_t l;

		if (*g == '%' && g[1] != '%') {
			struct spec sp;

			parse_spec(g, &sp);
			g += sp.len;
			vi++;
			continue;
		}
		l = literal_len(g);
		/* what is left of ", hwcons 0x" after "[...]" may start at its word */
		for (size_t skip = 0; skip < l && !is_word(g[skip]) ; skip++) {
			const char *w = g + skip + 1;
			size_t wl = l - skip - 1;

			if (wl && is_word(*w) && (size_t)(st->e - st->p) >= wl &&
			    !memcmp(st->p, w, wl)) {
				st->f = w;
				st->vi = vi;
				return;
			}
		}
		if (l && (size_t)(st->e - st->p) >= l && !memcmp(st->p, g, l)) {
			st->f = g;
			st->vi = vi;
			return;
		}
		g += l ? l : 1;
	}
	/* nothing of the rest is there: it was all elided */
	st->f += strlen(st->f);
}

static bool rest_blank(const char *f)
{
	while (is_blank(*f))
		f++;
	return !*f;
}

bool drv_bytewise_walk;

/*
 * Format bytes the walk below treats one at a time: conversions, "%%",
 * blanks, the "0x" a value may lack, and what can start an elision
 * (drv_elision()); the end of the format too.
 */
static const bool walk_stop[256] = {
	['\0'] = true, ['%'] = true, [' '] = true, ['\t'] = true, ['0'] = true,
	['['] = true, ['<'] = true, ['('] = true, ['.'] = true, [0xe2] = true,
};

/*
 * The literal text at f that p repeats up to the first of those bytes: the
 * walk would take it a byte at a time, asking at each one whether an
 * elision starts there, which none of these bytes can start.
 */
static inline size_t literal_run(const char *p, const char *e, const char *f)
{
	size_t k = 0;

	if (drv_bytewise_walk)
		return 0;
	while (p + k < e && f[k] == p[k] && !walk_stop[(unsigned char)f[k]])
		k++;
	return k;
}

static enum drv_match_st walk(struct mstate *st)
{
	bool cut = false;

	while (*st->f) {
		size_t k;

		if (st->p == st->e || cut)
			return rest_blank(st->f) && !cut ? DRVM_FULL :
			       st->p == st->s ? DRVM_NONE : DRVM_PARTIAL;
		if ((k = literal_run(st->p, st->e, st->f))) {
			st->p += k;
			st->f += k;
			continue;
		}
		if (*st->f == '%' && st->f[1] != '%') {
			if (!match_conv(st, &cut))
				return st->f > st->anchor ? DRVM_BAD : DRVM_NONE;
			continue;
		}
		if (st->f >= st->anchor && (k = elision_here(st->p, st->e))) {
			st->p += k;
			st->m->elided = true;
			resync(st);
			continue;
		}
		if (*st->f == '\t') {
			/* the tab of "\t0x%016llx" is often lost on the way */
			while (st->p < st->e && is_blank(*st->p))
				st->p++;
			st->f++;
			continue;
		}
		if (*st->f == ' ') {
			if (!is_blank(*st->p))
				return st->f >= st->anchor ? DRVM_BAD : DRVM_NONE;
			while (st->p < st->e && is_blank(*st->p))
				st->p++;
			while (*st->f == ' ')
				st->f++;
			continue;
		}
		if (st->f[0] == '0' && st->f[1] == 'x' && st->f[2] == '%' &&
		    !(st->p[0] == '0' && st->e - st->p > 1 && (st->p[1] == 'x' || st->p[1] == 'X'))) {
			/* "at 0000bb84" or "at ????": the value decides, not its "0x" */
			st->f += 2;
			continue;
		}
		if (*st->p != *st->f && !(*st->f == 'x' && *st->p == 'X' && st->f > st->fmt &&
					  st->f[-1] == '0'))
			return st->f >= st->anchor ? DRVM_BAD : DRVM_NONE;
		st->p++;
		st->f += *st->f == '%' ? 2 : 1;
	}
	return cut ? DRVM_PARTIAL : DRVM_FULL;
}

/*
 * The catalogue entries a body can be, by its first byte: most lines of a
 * log that get this far match none, and this keeps them from walking the
 * whole table.  Built once from the table itself, so it cannot disagree.
 */
static uint64_t starts_with[256];
static uint64_t starts_any;	/* formats that start with a tab or a conversion */
static uint8_t first_two[65536 / 8];	/* the first two bytes of a message, as a bit set */
/* per entry, what every match needs first: where the first literal run ends, conversions */
static uint16_t anchor_of[N_MSGS];
static uint8_t n_val_of[N_MSGS];
/*
 * per entry, how much of the text before its anchor a walk takes one byte
 * for one byte when the text repeats it exactly: no '%' ("%%" reads "%"),
 * no tab, no blank at its end (a blank there takes every blank after it)
 */
static uint16_t exact_of[N_MSGS];

static void index_catalogue(void)
{
	static bool done;

	if (done)
		return;
	for (size_t i = 0; i < N_MSGS; i++) {
		const unsigned char *f = (const unsigned char *)msgs[i].fmt;
		const char *anchor = msgs[i].fmt + literal_len(msgs[i].fmt);

		if (anchor - msgs[i].fmt >= 2 && *anchor == '%' && !memcmp(anchor - 2, "0x", 2))
			anchor -= 2;	/* the "0x" of a value is the value's */
		anchor_of[i] = anchor - msgs[i].fmt;
		exact_of[i] = strcspn(msgs[i].fmt, "%\t");
		if (exact_of[i] > anchor_of[i])
			exact_of[i] = anchor_of[i];
		while (exact_of[i] && msgs[i].fmt[exact_of[i] - 1] == ' ')
			exact_of[i]--;
		for (const char *q = msgs[i].fmt; *q; q++)
			if (*q == '%' && q[1] != '%')
				n_val_of[i]++;
			else if (*q == '%')
				q++;
		if (f[0] == '\t' || f[0] == '%') {
			starts_any |= 1ull << i;
			continue;
		}
		starts_with[f[0]] |= 1ull << i;
		first_two[(f[0] << 8 | f[1]) / 8] |= 1u << (f[1] & 7);
	}
	done = true;
}

enum drv_match_st drv_match_one(const struct drv_msg *msg, const char *s, size_t n,
				struct drv_match *m)
{
	struct mstate st = {
		.s = s, .p = s, .e = s + n, .fmt = msg->fmt, .f = msg->fmt, .m = m,
	};
	size_t i = msg - msgs;

	index_catalogue();
	/* a value is read only where it says so: the rest of the result needs no clearing */
	m->msg = msg;
	m->n_val = n_val_of[i];
	m->used = 0;
	m->elided = m->mangled = false;
	m->near = NULL;
	m->near_used = 0;
	for (int k = 0; k < DRV_MAX_VALS; k++)
		m->val[k].have = m->val[k].mangled = false;
	st.anchor = msg->fmt + anchor_of[i];
	/* before the anchor no elision is looked for: equal text walks straight through */
	if (!drv_bytewise_walk && exact_of[i] <= n && !memcmp(s, msg->fmt, exact_of[i])) {
		st.p += exact_of[i];
		st.f += exact_of[i];
	}
	m->st = walk(&st);
	m->used = st.p - s;
	return m->st;
}

/*
 * Can text starting at t (n bytes) be this message at all?  Its first word
 * is literal in every format, so comparing it rejects almost every line of
 * a log before the matcher proper runs.
 */
static bool first_word_fits(const char *f, const char *t, size_t n)
{
	if (*f == '\t')
		return n >= 2 && ((t[0] == '0' && t[1] == 'x') || *t == ' ' || *t == '\t' ||
				  (f[1] == *t));
	if (*f == '%')
		return true;
	for (size_t j = 0; j < n && f[j] && f[j] != ' ' && f[j] != '%'; j++)
		if (f[j] != t[j])
			return false;
	return true;
}

/* cheapest test first: no message of the driver starts like this */
static bool cannot_start(const char *t, size_t n)
{
	unsigned int k;

	if (n < 2)
		return false;
	k = (unsigned char)t[0] << 8 | (unsigned char)t[1];
	return !(first_two[k / 8] & (1u << (k & 7)));
}

/*
 * a is a longer form of b's message that read further: "CMD_SYNC timeout
 * at" is the new line cut short, not the old "CMD_SYNC timeout" with text
 * after it.  A longer form that disagrees (BAD) leaves b a trailing comment.
 */
static bool extends(const struct drv_match *a, const struct drv_match *b)
{
	size_t l = strlen(b->msg->fmt);

	return b->st == DRVM_FULL && a->st >= DRVM_PARTIAL && a->used > b->used &&
	       !strncmp(a->msg->fmt, b->msg->fmt, l) && a->msg->fmt[l];
}

static bool better(const struct drv_match *a, const struct drv_match *b)
{
	if (extends(a, b) || extends(b, a))
		return extends(a, b);
	if (a->st != b->st)
		return a->st > b->st;
	return a->used > b->used;
}

enum drv_match_st drv_match(const char *s, size_t n, bool with_cont, struct drv_match *m)
{
	const struct drv_msg *near = NULL;
	size_t near_used = 0;
	struct drv_match tmp;
	bool found = false;
	const char *t = s;

	/* most bodies match nothing: clear the result only when something fits */
	m->msg = NULL;
	m->near = NULL;
	m->near_used = 0;
	m->st = DRVM_NONE;
	m->used = 0;
	while (t < s + n && is_blank(*t))
		t++;
	if (t == s + n)
		return DRVM_NONE;
	index_catalogue();
	if (!with_cont && cannot_start(t, s + n - t))
		return DRVM_NONE;
	for (uint64_t set = starts_with[(unsigned char)*t] | starts_any; set; set &= set - 1) {
		size_t i = __builtin_ctzll(set);
		/* the first entry that fits is read into m itself: no copy when it is the only one */
		struct drv_match *cur = found ? &tmp : m;

		if ((msgs[i].flags & DRVF_CONT) && !with_cont)
			continue;
		if (!first_word_fits(msgs[i].fmt, t, s + n - t))
			continue;
		if (drv_match_one(&msgs[i], msgs[i].fmt[0] == '\t' ? s : t,
				  n - (msgs[i].fmt[0] == '\t' ? 0 : t - s), cur) == DRVM_NONE) {
			if (!near || cur->used > near_used) {
				near = &msgs[i];
				near_used = cur->used;
			}
			continue;
		}
		if (msgs[i].fmt[0] != '\t')
			cur->used += t - s;
		if (found && better(cur, m))
			*m = *cur;
		found = true;
		/* all of the text, whole: no later entry can be better (near is for no match) */
		if (m->st == DRVM_FULL && m->used == n)
			break;
	}
	if (!found) {
		m->msg = NULL;
		m->st = DRVM_NONE;
		m->used = 0;
	}
	m->near = near;
	m->near_used = near_used;
	return m->st;
}

bool drv_has_token(const char *s, size_t n)
{
	static const char *const tokens[] = {
		"CMDQ", "CMD_SYNC", "hwprod", "hwcons", "ATC_INV", "ATC invalidate",
		"GERROR", "global error", "Service Failure", "in error state",
		"command fetch", "event 0x", "event: ", "EVTQ", "vintf_map",
	};

	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
		if (memmem(s, n, tokens[i], strlen(tokens[i])))
			return true;
	return false;
}
