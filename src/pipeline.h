/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One pipeline per run: the engine, the report on stdout, the capture
 * writer and the run's facts, built from the options.  Every event of
 * live tracing and replay reaches the engine through pipeline_deliver(),
 * and is recorded there.  Every output is checked: the first failure of
 * each is reported with its errno, the run's exit status says so, and what
 * was written before stays valid.
 */
#ifndef SMMUTRACE_PIPELINE_H
#define SMMUTRACE_PIPELINE_H

#include <signal.h>
#include <stdbool.h>

#include "capture.h"
#include "engine.h"
#include "evqueue.h"
#include "kmsg.h"
#include "obuf.h"
#include "options.h"
#include "report.h"

struct pipeline {
	const struct options *opt;
	struct engine *eng;
	struct report rep;
	struct obuf out;		/* stdout */
	struct run_info ri;
	struct capture_writer *rec;	/* --record */
	struct evq *q;			/* events go to a second thread */
	int out_err;			/* stdout failed: -errno, the run should end */
	int rec_err;			/* the capture failed: recording stopped */
	int prom_err;			/* the last --prom write failed */
	bool failed;			/* some output failed: exit status 1 */
};

/* stdout as the report's output, the engine; -errno (reported) */
int pipeline_init(struct pipeline *p, const struct options *o, enum src_kind src,
		  const char *mode);
/* --record, if given; the header's meta from the caller; -errno (reported) */
int pipeline_record(struct pipeline *p, const struct capture_meta *m);
/*
 * From here on, events reach the engine, the report and the capture on a
 * thread of their own; everything else on the pipeline waits for
 * pipeline_sync().  Stays on one thread if none can be had.
 */
void pipeline_async(struct pipeline *p);
/* every event delivered so far has reached the engine */
void pipeline_sync(struct pipeline *p);
void pipeline_deliver(struct pipeline *p, const struct smmu_event *ev);
/* what the events that follow come from */
void pipeline_set_source(struct pipeline *p, enum src_kind src);
/* live: a capture being written replays up to its last flush */
void pipeline_flush(struct pipeline *p);
void pipeline_lost(struct pipeline *p, const struct smmu_ev_lost *lost);
/* the parser's first unreadable lines, after those already kept; input NULL for live */
void pipeline_unreadable(struct pipeline *p, const struct kmsg_sample *s, int n,
			 const char *input);
/* a periodic summary (and --prom), or the final one */
void pipeline_summary(struct pipeline *p);
/* settle, final summary, --prom, capture trailer; the exit status */
int pipeline_finish(struct pipeline *p);
void pipeline_free(struct pipeline *p);

/* stdout is gone: nothing more can be reported there */
static inline bool pipeline_out_failed(const struct pipeline *p)
{
	return __atomic_load_n(&p->out_err, __ATOMIC_RELAXED) != 0;
}

#endif /* SMMUTRACE_PIPELINE_H */
