/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An engine whose settled incidents are kept for assertions; shared by the
 * engine unit tests and the attribution tests beside the simulator.
 * Include after <cmocka.h>; define MAX_INC first to change the capacity.
 * The record builders make what the BPF programs would send.
 */
#ifndef SMMUTRACE_ENGINE_RUN_H
#define SMMUTRACE_ENGINE_RUN_H

#include <stdlib.h>
#include <string.h>

#include "engine.h"

#ifndef MAX_INC
#define MAX_INC 32
#endif

struct run {
	struct engine *e;
	struct incident inc[MAX_INC];
	int n;
};

static inline void on_incident(void *ctx, const struct incident *inc)
{
	struct run *r = ctx;

	assert_true(r->n < MAX_INC);
	r->inc[r->n++] = *inc;
}

static inline struct run *run_new_opts(const struct engine_opts *o)
{
	struct run *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->e = engine_new(o, on_incident, r);
	assert_non_null(r->e);
	return r;
}

static inline struct run *run_new(void)
{
	return run_new_opts(NULL);
}

static inline void run_free(struct run *r)
{
	engine_free(r->e);
	free(r);
}

/* BPF-shaped records on arm-smmu-v3.0.auto, a queue of 256 slots */

static inline void mk_hdr(struct smmu_event *ev, int type, uint64_t t_ns)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = type;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.flags = SMMU_EVF_MONO | SMMU_EVF_BPF;
	ev->hdr.mono_ns = t_ns;
	strcpy(ev->hdr.smmu, "arm-smmu-v3.0.auto");
}

static inline void feed_error(struct run *r, uint32_t cons, uint64_t t)
{
	struct smmu_event ev;

	mk_hdr(&ev, SMMU_EV_CMDQ_ERROR, t);
	ev.hdr.flags &= ~SMMU_EVF_BPF;
	ev.cmdq_error.cons = cons;
	ev.cmdq_error.cerror = cons >> 24 & 0x7f;
	engine_feed(r->e, &ev);
}

/* "CMD_SYNC timeout at prod [hwprod .., hwcons ..]", as the parser hands it on */
static inline void feed_sync_timeout(struct run *r, uint64_t t, uint32_t prod, uint32_t hwprod,
				     uint32_t hwcons)
{
	struct smmu_event ev;

	mk_hdr(&ev, SMMU_EV_SYNC_TIMEOUT, t);
	ev.hdr.flags &= ~SMMU_EVF_BPF;
	ev.sync_timeout.prod = prod;
	ev.sync_timeout.hwprod = hwprod;
	ev.sync_timeout.hwcons = hwcons;
	ev.sync_timeout.have_hw = 1;
	engine_feed(r->e, &ev);
}

static inline void mk_walk(struct smmu_event *ev, uint32_t cons, uint64_t t, int stop,
			   int bitmap, int n, const uint32_t *sids)
{
	mk_hdr(ev, SMMU_EV_QUEUE_WALK, t);
	ev->walk.cons = cons;
	ev->walk.max_n_shift = 8;
	ev->walk.stop = stop;
	ev->walk.bitmap = bitmap;
	ev->walk.n_atc = ev->walk.n_atc_rec = n;
	for (int i = 0; i < n; i++)
		ev->walk.atc[i].sid = sids[i];
}

static inline void feed_walk(struct run *r, uint32_t cons, uint64_t t, int stop, int bitmap,
		      int n, const uint32_t *sids)
{
	struct smmu_event ev;

	mk_walk(&ev, cons, t, stop, bitmap, n, sids);
	engine_feed(r->e, &ev);
}

static inline void mk_issue(struct smmu_event *ev, uint64_t t_end, uint64_t dur,
			    uint32_t sync_prod, uint32_t pe, uint32_t px, int ret, int n,
			    const uint32_t *sids)
{
	mk_hdr(ev, SMMU_EV_ISSUE, t_end);
	ev->issue.duration_ns = dur;
	ev->issue.sync = 1;
	ev->issue.sync_prod = sync_prod;
	ev->issue.prod_entry = pe;
	ev->issue.prod_exit = px;
	ev->issue.ret = ret;
	ev->issue.tid = ev->issue.pid = 4242;
	ev->issue.ctx = SMMU_CTX_HARDIRQ;
	ev->issue.max_n_shift = 8;
	strcpy(ev->issue.comm, "kworker/1:2");
	ev->issue.n_atc = ev->issue.n_atc_rec = n;
	for (int i = 0; i < n; i++)
		ev->issue.atc[i].sid = sids[i];
}

static inline void feed_issue(struct run *r, uint64_t t_end, uint64_t dur, uint32_t sync_prod,
		       uint32_t pe, uint32_t px, int ret, int n, const uint32_t *sids)
{
	struct smmu_event ev;

	mk_issue(&ev, t_end, dur, sync_prod, pe, px, ret, n, sids);
	engine_feed(r->e, &ev);
}

#endif /* SMMUTRACE_ENGINE_RUN_H */
