/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Events handed from the thread that reads them to a thread that consumes
 * them, in order, a batch at a time: replaying a big log reads and parses
 * on one core while the engine and the report run on another.  Bounded: the
 * reader waits when the consumer is a whole ring of batches behind.
 */
#ifndef SMMUTRACE_EVQUEUE_H
#define SMMUTRACE_EVQUEUE_H

#include "events.h"

struct evq;
typedef void (*evq_fn)(void *ctx, const struct smmu_event *ev);

/* a consumer thread calling fn for every event pushed; NULL (errno set) if none */
struct evq *evq_start(evq_fn fn, void *ctx);
void evq_push(struct evq *q, const struct smmu_event *ev);
/* returns once fn has seen every event pushed so far */
void evq_drain(struct evq *q);
/* drain, end the thread, free */
void evq_stop(struct evq *q);

#endif /* SMMUTRACE_EVQUEUE_H */
