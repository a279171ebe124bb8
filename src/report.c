// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>

#include "report.h"

void report_init(struct report *r, enum report_fmt fmt, struct obuf *out, const char *host)
{
	memset(r, 0, sizeof(*r));
	r->fmt = fmt;
	r->v.out = out;
	r->v.host = host;
	r->v.filt = &r->filt;
}

bool report_filter_match(const struct report_filter *f, const struct incident *inc)
{
	bool any;

	if (f->smmu && strcmp(f->smmu, inc->smmu))
		return false;
	if (!f->device && !f->have_sid)
		return true;
	any = false;
	for (int i = 0; i < inc->n_suspects; i++) {
		const struct suspect *s = &inc->suspects[i];

		if (f->device && strcmp(f->device, s->dev))
			continue;
		if (f->have_sid && (!s->have_sid || s->sid != f->sid))
			continue;
		any = true;
	}
	return any;
}

static void end_record(struct report *r)
{
	obuf_end_record(r->v.out);
	if (r->flush_each)
		obuf_flush(r->v.out);
}

void report_incident(void *ctx, const struct incident *inc)
{
	struct report *r = ctx;

	if (!report_filter_match(&r->filt, inc)) {
		r->v.hidden++;
		return;
	}
	r->v.shown++;
	if (inc->issuer_notified == 0)
		r->v.not_told++;
	if (inc->n_issuers || inc->have_walk)
		r->v.issuer_evidence = true;
	if (r->fmt == FMT_JSON)
		json_incident(&r->v, inc);
	else
		text_incident(&r->v, inc);
	end_record(r);
}

void report_summary(struct report *r, const struct engine *e, const struct run_info *ri)
{
	if (r->fmt == FMT_JSON)
		json_summary(&r->v, e, ri);
	else
		text_summary(&r->v, e, ri);
	end_record(r);
}

void report_event(struct report *r, const struct engine *e, const struct smmu_event *ev)
{
	const char *dev;

	if (ev->hdr.type != SMMU_EV_EVTQ || r->fmt != FMT_JSON)
		return;	/* the text view lists events grouped, in its summary */
	dev = event_device(e, engine_host(e), ev->hdr.smmu, ev->evtq.client, ev->evtq.have_sid,
			   ev->evtq.sid);
	if (!view_event_shown(&r->v, ev->hdr.smmu, ev->evtq.have_sid, ev->evtq.sid, dev))
		return;
	json_event(&r->v, e, ev);
	end_record(r);
}

void report_lost(struct report *r, const struct smmu_ev_lost *lost, const struct run_info *ri)
{
	if (r->fmt == FMT_JSON)
		json_lost(&r->v, lost, ri);
	else
		text_lost(&r->v, lost);
	end_record(r);
}
