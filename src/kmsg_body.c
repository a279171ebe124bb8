// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel-log parser, the message layer: a body read against the driver's
 * own format strings (drvmsg.h) becomes an event.  Multi-line messages
 * (the skipped command's dwords, an event record's dwords and its decoded
 * lines) are assembled here.  What cannot be read is null, never guessed:
 * an elided CONS or prod is SMMU_NO_POS, an unreadable dword is flagged.
 */
#include <string.h>

#include "capture.h"
#include "decode.h"
#include "drvmsg.h"
#include "kmsg_int.h"

/* the header of an event: ev is zero */
static void ev_fill(struct kmsg_parser *p, struct smmu_event *ev, int type,
		    const struct msg *m)
{
	kmsg_ts_resolve((struct kmsg_ts *)m->ts);
	ev->hdr.type = type;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.flags = m->flags | m->ts->flags;
	ev->hdr.mono_ns = m->ts->mono_ns;
	ev->hdr.wall_ns = m->ts->wall_ns;
	ev->hdr.cpu = m->cpu;
	ev->hdr.seq = m->ts->line ? m->ts->line : p->line_no;
	if (m->dev)
		copy_name(ev->hdr.smmu, sizeof(ev->hdr.smmu), m->dev, m->dev_len);
}

static void ev_init(struct kmsg_parser *p, struct smmu_event *ev, int type,
		    const struct msg *m)
{
	memset(ev, 0, sizeof(*ev));
	ev_fill(p, ev, type, m);
}

/*
 * The parser's own event, for one that is sent at once: zero but for what
 * the last one wrote (its header and union member), which is all that is
 * cleared, where a whole event is 944 bytes.  The callback sees it fully
 * defined, as a zeroed one written over.
 */
static struct smmu_event *ev_new(struct kmsg_parser *p, int type, const struct msg *m)
{
	smmu_event_reuse(&p->ev, &p->ev_dirty, type);
	ev_fill(p, &p->ev, type, m);
	return &p->ev;
}

/* a new message ends whatever multi-line message was being assembled */
static void emit(struct kmsg_parser *p, const struct smmu_event *ev)
{
	if (ev->hdr.type != SMMU_EV_AER)
		kmsg_flush_pending(p);
	p->stats.messages++;
	p->emit(p->ctx, ev);
}

static void count_quality(struct kmsg_parser *p, const struct drv_match *dm)
{
	if (dm->mangled || dm->elided || dm->st == DRVM_PARTIAL)
		p->stats.malformed++;
}

void kmsg_note_unrecognized(struct kmsg_parser *p, uint32_t line, const char *text,
			    size_t len, const char *expected)
{
	struct kmsg_sample *s;

	p->stats.unrecognized++;
	if (p->n_samples >= KMSG_SAMPLES)
		return;
	s = &p->samples[p->n_samples++];
	s->line = line;
	s->expected = expected;
	copy_name(s->text, sizeof(s->text), text, len);
	/* a NUL would end the text early: the views escape everything else */
	for (size_t i = 0; i < len && i < sizeof(s->text) - 1; i++)
		if (!s->text[i])
			s->text[i] = '?';
}

enum kmsg_res kmsg_unrecognized(struct kmsg_parser *p, struct msg *m, const char *expected)
{
	if (!probing(m)) {
		kmsg_flush_pending(p);
		kmsg_note_unrecognized(p, m->ts->line ? m->ts->line : p->line_no, m->start,
				       m->body.e - m->start, expected);
	}
	return KMSG_UNRECOGNIZED;
}

/* ---- multi-line messages ------------------------------------------------ */

static void evtq_complete(struct smmu_ev_evtq *e)
{
	struct smmu_evt f;

	/* the engine reads sid/ssid/iova: fill them from the dwords if no text did */
	smmu_evtq_fields(e, &f);
	if (!(e->have & SMMU_EVTQ_HAVE_ID) && (f.have & SMMU_EVT_ID)) {
		e->id = f.id;
		e->have |= SMMU_EVTQ_HAVE_ID;
	}
	if (!e->have_sid && (f.have & SMMU_EVT_SID)) {
		e->sid = f.sid;
		e->have_sid = 1;
	}
	if (!(e->have & SMMU_EVTQ_HAVE_SSID) && (f.have & SMMU_EVT_SSID)) {
		e->ssid = f.ssid;
		e->ssv = f.ssv;
		e->have |= SMMU_EVTQ_HAVE_SSID;
	}
	if (!(e->have & SMMU_EVTQ_HAVE_IOVA) && (f.have & SMMU_EVT_ADDR)) {
		e->iova = f.addr;
		e->have |= SMMU_EVTQ_HAVE_IOVA;
	}
	if (!(e->have & SMMU_EVTQ_HAVE_RW) && (f.have & SMMU_EVT_RW)) {
		e->read = f.read;
		e->have |= SMMU_EVTQ_HAVE_RW;
	}
	if (!(e->have & (SMMU_EVTQ_HAVE_IPA | SMMU_EVTQ_HAVE_FETCH)) &&
	    (f.have & (SMMU_EVT_IPA | SMMU_EVT_FETCH))) {
		e->ipa = f.ipa;
		e->have |= f.have & SMMU_EVT_IPA ? SMMU_EVTQ_HAVE_IPA : SMMU_EVTQ_HAVE_FETCH;
	}
	if (!(e->have & SMMU_EVTQ_HAVE_DETAIL) && (f.have & SMMU_EVT_DETAIL)) {
		e->priv = f.priv;
		e->instr = f.instr;
		e->s2 = f.s2;
		e->cls = f.cls;
		e->stall = f.stall;
		e->stag = f.stag;
		e->have |= SMMU_EVTQ_HAVE_DETAIL;
	}
}

void kmsg_flush_pending(struct kmsg_parser *p)
{
	struct smmu_event *ev = &p->pev;

	switch (p->pending) {
	case KP_SKIPPED:
		if (p->n_dw < 2)
			p->stats.incomplete++;
		/* dword 0 holds the opcode and SID: without it there is nothing */
		if (p->n_dw >= 1 && !(ev->skipped.bad & 1))
			p->emit(p->ctx, ev);
		break;
	case KP_EVTQ:
		if (p->n_dw < 4 && !(ev->evtq.have & SMMU_EVTQ_DECODED))
			p->stats.incomplete++;
		evtq_complete(&ev->evtq);
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

void kmsg_pending_noise(struct kmsg_parser *p)
{
	if (p->pending != KP_NONE && --p->pending_lines <= 0)
		kmsg_flush_pending(p);
}

static bool same_smmu(const struct kmsg_parser *p, const struct msg *m)
{
	const char *name = p->pev.hdr.smmu;

	return !m->dev || !name[0] ||
	       (strlen(name) == m->dev_len && !memcmp(name, m->dev, m->dev_len));
}

struct dwords {
	int n;
	uint64_t v[4];
	uint8_t bad;		/* bit i: token i was not a readable dword */
	bool cut;		/* the last one ended with the text: a wrap? */
	const char *end;
};

/* "0x%016llx" tokens: one a line as printed, several when lines were joined */
static bool read_dwords(struct cur c, int max, struct dwords *d)
{
	const struct drv_msg *fmt = drv_msg_get(DRV_DWORD);

	memset(d, 0, sizeof(*d));
	skip_sp(&c);
	d->end = c.p;
	while (c.p < c.e && d->n < max) {
		const char *t = c.p;
		struct drv_match dm;

		while (c.p < c.e && *c.p != ' ' && *c.p != '\t')
			c.p++;
		if (c.p - t < 2 || t[0] != '0' || (t[1] != 'x' && t[1] != 'X'))
			break;
		drv_match_one(fmt, t, c.p - t, &dm);
		if (dm.st == DRVM_PARTIAL && c.p == c.e)
			d->cut = true;
		if (dm.st == DRVM_FULL && dm.val[0].have && dm.used == (size_t)(c.p - t))
			d->v[d->n] = dm.val[0].v;
		else
			d->bad |= 1u << d->n;
		d->n++;
		d->end = c.p;
		skip_sp(&c);
	}
	return d->n > 0;
}

static void apply_dwords(struct kmsg_parser *p, const struct dwords *d)
{
	for (int i = 0; i < d->n; i++) {
		int slot = p->n_dw++;
		bool bad = d->bad & (1u << i);

		if (p->pending == KP_SKIPPED) {
			p->pev.skipped.cmd[slot] = bad ? 0 : d->v[i];
			p->pev.skipped.bad |= bad ? 1u << slot : 0;
		} else {
			p->pev.evtq.dw[slot] = bad ? 0 : d->v[i];
			p->pev.evtq.dw_bad |= bad ? 1u << slot : 0;
			p->pev.evtq.n_dw = p->n_dw;
		}
	}
	if (d->bad)
		p->stats.malformed++;
	if (p->pending == KP_SKIPPED && p->n_dw == 2)
		kmsg_flush_pending(p);
}

static int dwords_wanted(const struct kmsg_parser *p)
{
	return (p->pending == KP_SKIPPED ? 2 : p->pending == KP_EVTQ ? 4 : 0) - p->n_dw;
}

/* a line of its own that only says something was left out */
static bool elision_line(struct cur c)
{
	size_t k;

	skip_sp(&c);
	k = drv_elision(c.p, cur_len(&c));
	return k && k == cur_len(&c);
}

/* 6.19+: "unpriv data read s1 \"Input address caused fault\" stall stag: 0x0" */
static bool detail_fields(struct smmu_ev_evtq *e, const struct drv_match *dm)
{
	static const char *const classes[] = {
		"CD fetch", "Stage 1 translation table fetch", "Input address caused fault",
	};
	const struct drv_val *v = dm->val;

#define IS(i, word)	(v[i].have && v[i].n == sizeof(word) - 1 && !memcmp(v[i].s, word, v[i].n))
	if (IS(2, "read") || IS(2, "write")) {
		e->read = IS(2, "read");
		e->have |= SMMU_EVTQ_HAVE_RW;
	}
	if (!(IS(0, "priv") || IS(0, "unpriv")) || !(IS(1, "inst") || IS(1, "data")) ||
	    !v[7].have)
		return false;
	e->priv = IS(0, "priv");
	e->instr = IS(1, "inst");
	e->s2 = IS(3, "s2");
	e->cls = 3;
	for (int i = 0; i < 3; i++)
		if (v[4].have && v[4].n == strlen(classes[i]) &&
		    !memcmp(v[4].s, classes[i], v[4].n))
			e->cls = i;
	for (int i = 5; i <= 6; i++)
		if (v[i].have && memmem(v[i].s, v[i].n, "stall", 5))
			e->stall = 1;
	e->stag = v[7].v;
	e->have |= SMMU_EVTQ_HAVE_DETAIL;
	/* every word one the driver prints: the class string read whole */
	return (e->have & SMMU_EVTQ_HAVE_RW) && (e->cls < 3 || IS(4, "Reserved"));
#undef IS
}

/*
 * The detail line's first two words are fixed: "priv"/"unpriv", then
 * "inst"/"data"; a line cut after the first is still one.
 */
static bool detail_words(const struct drv_match *dm)
{
	const struct drv_val *v = dm->val;

	if (!v[0].have || !((v[0].n == 4 && !memcmp(v[0].s, "priv", 4)) ||
			    (v[0].n == 6 && !memcmp(v[0].s, "unpriv", 6))))
		return false;
	if (!v[1].have)
		return dm->st == DRVM_PARTIAL;
	return v[1].n == 4 && (!memcmp(v[1].s, "inst", 4) || !memcmp(v[1].s, "data", 4));
}

static enum kmsg_res detail_line(struct kmsg_parser *p, struct msg *m)
{
	struct drv_match dm;

	drv_match_one(drv_msg_get(DRV_EVENT_DETAIL), m->body.p, cur_len(&m->body), &dm);
	if (!detail_words(&dm))
		return KMSG_NOISE;
	switch (dm.st) {
	case DRVM_PARTIAL:
		if (!final_text(m))
			return KMSG_MORE;
		break;
	case DRVM_FULL:
		break;
	default:
		return KMSG_NOISE;
	}
	m->used = m->body.p - m->start + dm.used;
	if (probing(m)) {
		struct smmu_ev_evtq scratch = p->pev.evtq;

		m->unclean = !detail_fields(&scratch, &dm) || dm.mangled || dm.elided;
		return KMSG_OK;
	}
	detail_fields(&p->pev.evtq, &dm);
	count_quality(p, &dm);
	p->stats.messages++;
	kmsg_flush_pending(p);
	return KMSG_OK;
}

/* a line that continues the open multi-line message, or NOISE */
static enum kmsg_res continuation(struct kmsg_parser *p, struct msg *m)
{
	struct dwords d;
	int want = dwords_wanted(p);

	if (p->pending == KP_NONE || !same_smmu(p, m))
		return KMSG_NOISE;
	if (p->pending == KP_EVTQ && (p->pev.evtq.have & SMMU_EVTQ_DECODED))
		return detail_line(p, m);
	if (want <= 0)
		return KMSG_NOISE;
	if (elision_line(m->body)) {
		/* dwords were cut out here: the rest of the list is unknown, not shifted */
		if (probing(m))
			return KMSG_OK;
		while (dwords_wanted(p) > 0) {
			struct dwords gone = { .n = 1, .bad = 1 };

			apply_dwords(p, &gone);
		}
		return KMSG_OK;
	}
	if (!read_dwords(m->body, want, &d))
		return KMSG_NOISE;
	if (d.cut && !final_text(m))
		return KMSG_MORE;
	m->used = d.end - m->start;
	m->unclean = d.bad;
	if (probing(m))
		return KMSG_OK;
	p->stats.messages++;
	apply_dwords(p, &d);
	return KMSG_OK;
}

/* ---- messages ----------------------------------------------------------- */

/* a message whose event is built: count what could not be read, send it */
static enum kmsg_res sent(struct kmsg_parser *p, const struct drv_match *dm,
			  const struct smmu_event *ev)
{
	count_quality(p, dm);
	emit(p, ev);
	return KMSG_OK;
}

static enum kmsg_res b_simple(struct kmsg_parser *p, struct msg *m, int type)
{
	struct smmu_event *ev;

	if (probing(m))
		return KMSG_OK;
	ev = ev_new(p, type, m);
	emit(p, ev);
	return KMSG_OK;
}

static enum kmsg_res b_gerror_bit(struct kmsg_parser *p, struct msg *m, unsigned int bit)
{
	struct smmu_event *ev;

	if (probing(m))
		return KMSG_OK;
	ev = ev_new(p, SMMU_EV_GERROR, m);
	ev->gerror.active = 1u << bit;
	ev->gerror.bit = bit;
	emit(p, ev);
	return KMSG_OK;
}

static uint32_t pos_or_unknown(const struct drv_val *v)
{
	return v->have && v->v <= 0xffffffffull ? (uint32_t)v->v : SMMU_NO_POS;
}

/* is the text a strict beginning of one the driver prints ("ATC" of a wrapped line)? */
static bool cerror_text_cut(const char *s, size_t n)
{
	for (int ce = 0; ce <= SMMU_CERROR_ATC_INV_SYNC; ce++) {
		const char *t = smmu_cerror_text(ce);

		if (n < strlen(t) && !memcmp(t, s, n))
			return true;
	}
	return n < 7 && !memcmp("Unknown", s, n);
}

static enum kmsg_res b_cmdq_error(struct kmsg_parser *p, struct msg *m,
				  const struct drv_match *dm)
{
	const struct drv_val *cons = &dm->val[0], *txt = &dm->val[1];
	struct smmu_event *ev;
	int ce = -1;

	if (txt->have) {
		ce = smmu_cerror_from_text(txt->s, txt->n);
		if (ce < 0 && !final_text(m) && cerror_text_cut(txt->s, txt->n))
			return KMSG_MORE;
	}
	if (ce < 0 && !(txt->have && txt->n >= 7 && !memcmp(txt->s, "Unknown", 7)))
		m->unclean = true;
	if (probing(m))
		return KMSG_OK;
	ev = ev_new(p, SMMU_EV_CMDQ_ERROR, m);
	ev->cmdq_error.cons = pos_or_unknown(cons);
	/* the text wins: CONS may be printed with the error bits cleared */
	if (ce >= 0)
		ev->cmdq_error.cerror = ce;
	else if (cons->have && smmu_cons_cerror(cons->v))
		ev->cmdq_error.cerror = smmu_cons_cerror(cons->v);
	else
		ev->cmdq_error.cerror = 0x7f;	/* "Unknown" */
	return sent(p, dm, ev);
}

static enum kmsg_res b_sync_timeout(struct kmsg_parser *p, struct msg *m,
				    const struct drv_match *dm)
{
	struct smmu_event *ev;

	if (probing(m))
		return KMSG_OK;
	ev = ev_new(p, SMMU_EV_SYNC_TIMEOUT, m);
	ev->sync_timeout.prod = pos_or_unknown(&dm->val[0]);
	if (dm->val[1].have && dm->val[2].have) {
		ev->sync_timeout.hwprod = dm->val[1].v;
		ev->sync_timeout.hwcons = dm->val[2].v;
		ev->sync_timeout.have_hw = 1;
	}
	return sent(p, dm, ev);
}

/* 4.2 to 5.3: "CMD_SYNC timeout" and nothing else, MSI or polled */
static enum kmsg_res b_sync_timeout_bare(struct kmsg_parser *p, struct msg *m,
					 const struct drv_match *dm)
{
	struct cur rest = { m->body.p + dm->used, m->body.e };
	struct smmu_event *ev;
	bool elided;

	skip_sp(&rest);
	/* a newer kernel's line wrapped before " at 0x...": the next line decides */
	if (!cur_len(&rest) && !final_text(m)) {
		m->whole = true;
		return KMSG_MORE;
	}
	/* "CMD_SYNC timeout ...": someone cut the position out, the kernel did not */
	elided = drv_elision(rest.p, cur_len(&rest)) > 0;
	m->unclean = elided;
	if (probing(m))
		return KMSG_OK;
	ev = ev_new(p, SMMU_EV_SYNC_TIMEOUT, m);
	ev->sync_timeout.prod = SMMU_NO_POS;
	ev->sync_timeout.no_pos = !elided;
	if (elided)
		p->stats.malformed++;
	emit(p, ev);
	return KMSG_OK;
}

static enum kmsg_res b_atc_sync_fail(struct kmsg_parser *p, struct msg *m,
				     const struct drv_match *dm)
{
	struct smmu_event *ev;

	if (probing(m))
		return KMSG_OK;
	ev = ev_new(p, SMMU_EV_ATC_SYNC_FAIL, m);
	ev->atc_sync_fail.prod = pos_or_unknown(&dm->val[0]);
	return sent(p, dm, ev);
}

static enum kmsg_res b_gerror(struct kmsg_parser *p, struct msg *m, const struct drv_match *dm)
{
	struct smmu_event *ev;

	if (probing(m))
		return KMSG_OK;
	ev = ev_new(p, SMMU_EV_GERROR, m);
	ev->gerror.active = dm->val[0].have ? (uint32_t)dm->val[0].v : 0;
	ev->gerror.bit = 0xff;
	return sent(p, dm, ev);
}

/* the start of a multi-line message; dwords may follow on the same line */
static enum kmsg_res b_multi(struct kmsg_parser *p, struct msg *m, const struct drv_match *dm,
			     enum kmsg_pending kind)
{
	struct cur rest = { m->body.p + dm->used, m->body.e };
	struct dwords d = { 0 };
	bool flat = read_dwords(rest, kind == KP_SKIPPED ? 2 : 4, &d);

	if (flat && d.cut && !final_text(m))
		return KMSG_MORE;
	if (probing(m))
		return KMSG_OK;
	kmsg_flush_pending(p);
	if (kind == KP_SKIPPED) {
		ev_init(p, &p->pev, SMMU_EV_SKIPPED_CMD, m);
	} else {
		ev_init(p, &p->pev, SMMU_EV_EVTQ, m);
		p->pev.evtq.have = SMMU_EVTQ_HEADER;
		if (dm->val[0].have) {
			p->pev.evtq.id = dm->val[0].v;
			p->pev.evtq.have |= SMMU_EVTQ_HAVE_ID;
		}
	}
	start_pending(p, kind);
	count_quality(p, dm);
	p->stats.messages++;
	if (flat)
		apply_dwords(p, &d);
	return KMSG_OK;
}

static bool fault_with_address(int id)
{
	return (id >= 0x10 && id <= 0x13) || id == 0x03 || id == 0x09 || id == 0x25;
}

/* 6.19+: "event: F_TRANSLATION client: 0000:01:00.0 sid: 0x100 ssid: 0 iova: ..." */
static enum kmsg_res b_event_decoded(struct kmsg_parser *p, struct msg *m,
				     const struct drv_match *dm)
{
	const struct drv_val *v = dm->val;
	enum drv_msg_id kind = dm->msg->id;
	struct smmu_ev_evtq *e;
	int id = v[0].have ? smmu_evt_from_name(v[0].s, v[0].n) : -1;
	bool merge;

	/* the short form for an event whose long form was wrapped after "ssid: .." */
	if (kind == DRV_EVENT_OTHER && fault_with_address(id) && !final_text(m))
		return KMSG_MORE;
	/* a device name has no blank; the one client that does is "(unassigned sid)" */
	if (v[1].have && memchr(v[1].s, ' ', v[1].n) &&
	    !(v[1].n == 16 && !memcmp(v[1].s, "(unassigned sid)", 16)))
		m->unclean = true;
	if (id < 0)
		m->unclean = true;
	if (probing(m))
		return KMSG_OK;
	merge = p->pending == KP_EVTQ && !(p->pev.evtq.have & SMMU_EVTQ_DECODED) &&
		same_smmu(p, m) &&
		(id < 0 || !(p->pev.evtq.have & SMMU_EVTQ_HAVE_ID) || (int)p->pev.evtq.id == id);
	if (!merge) {
		kmsg_flush_pending(p);
		ev_init(p, &p->pev, SMMU_EV_EVTQ, m);
		start_pending(p, KP_EVTQ);
	}
	e = &p->pev.evtq;
	e->have |= SMMU_EVTQ_DECODED;
	if (id >= 0) {
		e->id = id;
		e->have |= SMMU_EVTQ_HAVE_ID;
	}
	if (v[1].have)
		copy_name(e->client, sizeof(e->client), v[1].s, v[1].n);
	if (v[2].have && v[2].v <= 0xffffffffull) {
		e->sid = v[2].v;
		e->have_sid = 1;
	}
	if (v[3].have) {
		e->ssid = v[3].v;
		e->ssv = v[3].v != 0;
		e->have |= SMMU_EVTQ_HAVE_SSID;
	}
	if (kind == DRV_EVENT_XLATE && v[4].have) {
		e->iova = v[4].v;
		e->have |= SMMU_EVTQ_HAVE_IOVA;
	}
	if (kind == DRV_EVENT_XLATE && v[5].have) {
		e->ipa = v[5].v;
		e->have |= SMMU_EVTQ_HAVE_IPA;
	}
	if (kind == DRV_EVENT_FETCH && v[4].have) {
		e->ipa = v[4].v;
		e->have |= SMMU_EVTQ_HAVE_FETCH;
	}
	count_quality(p, dm);
	p->stats.messages++;
	/* only translation-type faults print a detail line after this one */
	if (kind != DRV_EVENT_XLATE)
		kmsg_flush_pending(p);
	return KMSG_OK;
}

static enum kmsg_res b_allocated(struct kmsg_parser *p, struct msg *m,
				 const struct drv_match *dm)
{
	static const char *const queues[] = { "cmdq", "evtq", "priq" };
	const struct drv_val *n = &dm->val[0], *q = &dm->val[1];
	struct smmu_event *ev;
	int shift, kind = -1;

	for (int i = 0; i < 3; i++) {
		if (q->have && q->n >= 4 && !memcmp(q->s, queues[i], 4))
			kind = i;
		else if (q->have && q->n < 4 && !memcmp(q->s, queues[i], q->n) && !final_text(m))
			return KMSG_MORE;	/* "... entries for cm" / "dq" */
	}
	if (!n->have || kind < 0 || n->v > 0xffffffffull ||
	    (shift = smmu_max_n_shift_from_entries(n->v)) < 0)
		return kmsg_unrecognized(p, m, dm->msg->fmt);
	if (probing(m))
		return KMSG_OK;
	ev = ev_new(p, SMMU_EV_QUEUE_INFO, m);
	ev->queue_info.queue = kind;
	ev->queue_info.entries = n->v;
	ev->queue_info.max_n_shift = shift;
	emit(p, ev);
	return KMSG_OK;
}

static enum kmsg_res b_features(struct kmsg_parser *p, struct msg *m, const struct drv_match *dm)
{
	bool with_ias = dm->msg->id == DRV_FEATURES;
	const struct drv_val *v = dm->val + (with_ias ? 1 : 0);
	struct smmu_event *ev;

	if (!v[0].have || !v[1].have)
		return kmsg_unrecognized(p, m, dm->msg->fmt);
	if (probing(m))
		return KMSG_OK;
	ev = ev_new(p, SMMU_EV_FEATURES, m);
	ev->features.ias = with_ias && dm->val[0].have ? dm->val[0].v : 0;
	ev->features.oas = v[0].v;
	ev->features.features = v[1].v;
	emit(p, ev);
	return KMSG_OK;
}

static enum kmsg_res b_ignored(struct kmsg_parser *p, struct msg *m)
{
	if (probing(m))
		return KMSG_OK;
	kmsg_flush_pending(p);
	p->stats.messages++;
	return KMSG_OK;
}

static enum kmsg_res build(struct kmsg_parser *p, struct msg *m, const struct drv_match *dm)
{
	switch (dm->msg->id) {
	case DRV_CMDQ_ERROR:	return b_cmdq_error(p, m, dm);
	case DRV_FETCH_RETRY:	return b_simple(p, m, SMMU_EV_FETCH_RETRY);
	case DRV_SKIPPING:	return b_multi(p, m, dm, KP_SKIPPED);
	case DRV_SYNC_TIMEOUT:	return b_sync_timeout(p, m, dm);
	case DRV_SYNC_TIMEOUT_OLD:	return b_sync_timeout_bare(p, m, dm);
	case DRV_CMDQ_TIMEOUT:
	case DRV_CMDQ_TIMEOUT_CNT:	return b_simple(p, m, SMMU_EV_CMDQ_TIMEOUT);
	case DRV_ATC_SYNC_FAIL:	return b_atc_sync_fail(p, m, dm);
	case DRV_GERROR:	return b_gerror(p, m, dm);
	case DRV_SFM:		return b_gerror_bit(p, m, 8);
	case DRV_GERROR_MSI:	return b_gerror_bit(p, m, 7);
	case DRV_PRIQ_MSI:	return b_gerror_bit(p, m, 6);
	case DRV_EVTQ_MSI:	return b_gerror_bit(p, m, 5);
	case DRV_CMDQ_MSI:	return b_gerror_bit(p, m, 4);
	case DRV_PRIQ_ABT:	return b_gerror_bit(p, m, 3);
	case DRV_EVTQ_ABT:	return b_gerror_bit(p, m, 2);
	case DRV_EVENT_HDR:	return b_multi(p, m, dm, KP_EVTQ);
	case DRV_EVENT_XLATE:
	case DRV_EVENT_FETCH:
	case DRV_EVENT_OTHER:	return b_event_decoded(p, m, dm);
	case DRV_EVTQ_OVERFLOW:	return b_simple(p, m, SMMU_EV_EVTQ_OVERFLOW);
	case DRV_ALLOCATED:	return b_allocated(p, m, dm);
	case DRV_FEATURES:
	case DRV_FEATURES_OAS:	return b_features(p, m, dm);
	default:
		break;
	}
	return dm->msg->flags & DRVF_IGNORE ? b_ignored(p, m) : KMSG_NOISE;
}

enum kmsg_res kmsg_body(struct kmsg_parser *p, struct msg *m, bool smmu)
{
	struct drv_match dm;
	enum kmsg_res r = m->feed & KMSG_NOCONT ? KMSG_NOISE : continuation(p, m);

	if (r != KMSG_NOISE)
		return r;
	switch (drv_match(m->body.p, cur_len(&m->body), false, &dm)) {
	case DRVM_NONE:
		/* with the driver's own prefix, its words in a body we cannot read */
		if (smmu && drv_has_token(m->body.p, cur_len(&m->body)))
			return kmsg_unrecognized(p, m, dm.near && dm.near_used >= 4 ?
						 dm.near->fmt : NULL);
		return KMSG_NOISE;
	case DRVM_BAD:
		if (dm.msg->id == DRV_CMDQV_ERROR)
			return KMSG_NOISE;	/* only on the CMDQV's own device */
		return kmsg_unrecognized(p, m, dm.msg->fmt);
	case DRVM_PARTIAL:
		if (!final_text(m)) {
			m->used = cur_len(&m->body) + (m->body.p - m->start);
			return KMSG_MORE;
		}
		break;
	case DRVM_FULL:
		break;
	}
	m->used = m->body.p - m->start + dm.used;
	m->unclean = dm.mangled || dm.elided || dm.st == DRVM_PARTIAL;
	if (dm.msg->id == DRV_CMDQV_ERROR)
		return kmsg_other_driver(p, m);
	return build(p, m, &dm);
}

/* ---- other drivers' lines ----------------------------------------------- */

static bool aer_body(struct kmsg_parser *p, struct msg *m, struct cur c)
{
	struct smmu_event *ev;
	const char *src;
	bool aer = lit(&c, "AER:");

	skip_sp(&c);
	if (cur_len(&c) < 12 && !memcmp(c.p, "[14] CmpltTO", cur_len(&c)) &&
	    (cur_len(&c) || aer) && !final_text(m)) {
		m->used = 0;
		m->more = true;	/* "AER:    [14]" wrapped before "CmpltTO" */
		return true;
	}
	if (STARTS(&c, "[14] CmpltTO")) {
		if (probing(m))
			return true;
		ev = ev_new(p, SMMU_EV_AER, m);
		ev->hdr.smmu[0] = '\0';
		copy_name(ev->aer.dev, sizeof(ev->aer.dev), m->dev, m->dev_len);
		ev->aer.cmplto = 1;
		ev->aer.uncorrectable = 1;
		emit(p, ev);
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
	if (probing(m))
		return true;
	ev = ev_new(p, SMMU_EV_AER, m);
	ev->hdr.smmu[0] = '\0';
	copy_name(ev->aer.dev, sizeof(ev->aer.dev), src, c.e - src);
	ev->aer.uncorrectable = memmem(c.p, c.e - c.p, "Uncorrected", 11) != NULL;
	emit(p, ev);
	return true;
}

/*
 * Tegra241 CMDQV: dev_warn(cmdqv->dev, "unexpected error reported. %s\n")
 * on its own device, whatever driver or bus name that device prints with.
 */
static enum kmsg_res cmdqv_error(struct kmsg_parser *p, struct msg *m)
{
	const struct drv_msg *fmt = drv_msg_get(DRV_CMDQV_ERROR);
	struct smmu_event *ev;
	struct drv_match dm;

	switch (drv_match_one(fmt, m->body.p, cur_len(&m->body), &dm)) {
	case DRVM_NONE:
		return KMSG_NOISE;
	case DRVM_BAD:
		return kmsg_unrecognized(p, m, fmt->fmt);
	case DRVM_PARTIAL:
		if (!final_text(m))
			return KMSG_MORE;
		break;
	case DRVM_FULL:
		break;
	}
	m->used = m->body.p - m->start + dm.used;
	if (probing(m))
		return KMSG_OK;
	ev = ev_new(p, SMMU_EV_CMDQV_ERROR, m);
	if (dm.val[0].have) {
		ev->cmdqv.vintf_map = dm.val[0].v;
		ev->cmdqv.have = 1;
	}
	/* printed from CMDQ_ERR_MAP(3) down to (0) */
	for (int i = 0; i < 4; i++) {
		if (!dm.val[1 + i].have)
			continue;
		ev->cmdqv.vcmdq_map[3 - i] = dm.val[1 + i].v;
		ev->cmdqv.have |= 1u << (4 - i);
	}
	return sent(p, &dm, ev);
}

enum kmsg_res kmsg_other_driver(struct kmsg_parser *p, struct msg *m)
{
	if (m->body.p < m->body.e && *m->body.p == 'u')
		return cmdqv_error(p, m);
	if (aer_body(p, m, m->body))
		return m->more ? KMSG_MORE : KMSG_OK;
	return KMSG_NOISE;
}

/* "arm_smmu_cmdq_issue_cmdlist: 37 callbacks suppressed" */
enum kmsg_res kmsg_suppressed(struct kmsg_parser *p, struct msg *m)
{
	struct cur c = m->body;
	struct smmu_event *ev;
	const char *f = c.p, *colon;
	uint64_t n;

	if (!STARTS(&c, "arm_smmu_") && !STARTS(&c, "__arm_smmu_"))
		return KMSG_NOISE;
	colon = memchr(c.p, ':', cur_len(&c) < 80 ? cur_len(&c) : 80);
	if (!colon)
		return KMSG_NOISE;
	c.p = colon;
	if (cur_len(&c) <= 2 && !memcmp(c.p, ": ", cur_len(&c)) && !final_text(m))
		return KMSG_MORE;	/* "arm_smmu_evtq_thread:" and the rest wrapped */
	if (!lit(&c, ": ") || !dec(&c, &n, 10))
		return KMSG_NOISE;
	if (cur_len(&c) < 21 && !memcmp(c.p, " callbacks suppressed", cur_len(&c)) &&
	    !final_text(m))
		return KMSG_MORE;	/* wrapped inside the ratelimit's words */
	if (!lit(&c, " callbacks suppressed"))
		return KMSG_NOISE;
	m->used = c.p - m->start;
	if (probing(m))
		return KMSG_OK;
	ev = ev_new(p, SMMU_EV_SUPPRESSED, m);
	ev->suppressed.count = n > 0xffffffffu ? 0xffffffffu : n;
	copy_name(ev->suppressed.func, sizeof(ev->suppressed.func), f, colon - f);
	emit(p, ev);
	return KMSG_OK;
}
