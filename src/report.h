/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The report: filters the engine's incidents and hands each record to the
 * view of the chosen format.  It only dispatches; the views (views.h) do
 * the formatting.
 */
#ifndef SMMUTRACE_REPORT_H
#define SMMUTRACE_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "obuf.h"
#include "views.h"

enum report_fmt { FMT_TEXT = 0, FMT_JSON };

struct report {
	enum report_fmt fmt;
	struct view v;
	struct report_filter filt;
	bool flush_each;	/* live or a streamed input: every record at once */
};

void report_init(struct report *r, enum report_fmt fmt, struct obuf *out, const char *host);
/* engine callback: one settled incident */
void report_incident(void *ctx, const struct incident *inc);
void report_summary(struct report *r, const struct engine *e, const struct run_info *ri);
void report_lost(struct report *r, const struct smmu_ev_lost *lost, const struct run_info *ri);
/* an event-queue record, after the engine took it: a JSON record of its own */
void report_event(struct report *r, const struct engine *e, const struct smmu_event *ev);
bool report_filter_match(const struct report_filter *f, const struct incident *inc);

#endif /* SMMUTRACE_REPORT_H */
