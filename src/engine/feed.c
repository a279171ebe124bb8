// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The event handlers: each record joins or opens an incident. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "internal.h"
#include "util.h"

static void on_gerror(struct engine *e, const struct smmu_event *ev)
{
	struct smmu_priv *s = smmu_get(e, ev->hdr.smmu);

	if (!s)
		return;
	s->info.gerror_bits |= ev->gerror.active;
	if (ev->gerror.bit != 0xff)
		return;
	s->info.gerrors++;
	s->last_gerror = ev->gerror.active;
	evtime_of(ev, &s->last_gerror_t);
}

static void on_suppressed(struct engine *e, const struct smmu_event *ev)
{
	e->suppressed += ev->suppressed.count;
	func_count_add(e, ev->suppressed.func, ev->suppressed.count);
}

static void on_smmu_info(struct engine *e, const struct smmu_event *ev)
{
	struct smmu_priv *s = smmu_get(e, ev->hdr.smmu);

	if (!s)
		return;
	switch (ev->hdr.type) {
	case SMMU_EV_QUEUE_INFO:
		if (ev->queue_info.queue == SMMU_Q_CMDQ)
			s->info.max_n_shift = ev->queue_info.max_n_shift;
		break;
	case SMMU_EV_FEATURES:
		s->info.features = ev->features.features;
		s->info.have_features = true;
		s->info.ats = !!(ev->features.features & (1u << 5));
		break;
	case SMMU_EV_EVTQ:
		s->info.evtq_events++;
		if (ev->evtq.have_sid && ev->evtq.client[0] && ev->evtq.client[0] != '(')
			sid_map_add(e, ev->hdr.smmu, ev->evtq.sid, ev->evtq.client);
		evtq_group_add(e, ev);
		break;
	case SMMU_EV_EVTQ_OVERFLOW:
		s->info.evtq_overflows++;
		break;
	case SMMU_EV_CMDQV_ERROR:
		s->info.cmdqv_errors++;
		break;
	case SMMU_EV_SYNC_TIMEOUT:
		s->info.pre_5_4 = true;
		break;
	case SMMU_EV_CMDQ_TIMEOUT:
		s->info.cmdq_full_timeouts++;
		evtime_of(ev, &s->last_full);
		if (!s->last_full.flags)
			s->last_full.flags = SMMU_EVF_MONO;
		break;
	case SMMU_EV_STATS:
		s->info.stats = ev->stats;
		s->info.have_stats = true;
		if (ev->stats.max_n_shift && !s->info.max_n_shift)
			s->info.max_n_shift = ev->stats.max_n_shift;
		break;
	}
}

static void on_lost(struct engine *e, const struct smmu_event *ev)
{
	e->lost.ringbuf += ev->lost.ringbuf;
	e->lost.map_full += ev->lost.map_full;
	e->lost.truncated += ev->lost.truncated;
}

static uint32_t valid_shift(uint32_t shift)
{
	return shift <= SMMU_MAX_N_SHIFT ? shift : 0;
}

/*
 * Records from a capture are outside input: a queue size no SMMU can have
 * is treated as unknown rather than shifted by.
 */
static const struct smmu_event *sanitize(const struct smmu_event *ev, struct smmu_event *copy)
{
	switch (ev->hdr.type) {
	case SMMU_EV_ISSUE:
	case SMMU_EV_QUEUE_WALK:
	case SMMU_EV_STATS:
	case SMMU_EV_QUEUE_INFO:
		break;
	default:
		return ev;
	}
	*copy = *ev;
	copy->issue.max_n_shift = ev->hdr.type == SMMU_EV_ISSUE ?
				  valid_shift(ev->issue.max_n_shift) : copy->issue.max_n_shift;
	if (ev->hdr.type == SMMU_EV_QUEUE_WALK)
		copy->walk.max_n_shift = valid_shift(ev->walk.max_n_shift);
	if (ev->hdr.type == SMMU_EV_STATS)
		copy->stats.max_n_shift = valid_shift(ev->stats.max_n_shift);
	if (ev->hdr.type == SMMU_EV_QUEUE_INFO)
		copy->queue_info.max_n_shift = valid_shift(ev->queue_info.max_n_shift);
	return copy;
}

void engine_feed(struct engine *e, const struct smmu_event *in)
{
	struct smmu_event copy;
	const struct smmu_event *ev = sanitize(in, &copy);
	struct evtime t;

	e->events++;
	switch (ev->hdr.type) {
	case SMMU_EV_CMDQ_ERROR:
		on_cmdq_error(e, ev);
		break;
	case SMMU_EV_SYNC_TIMEOUT:
		if (ev->sync_timeout.no_pos)
			on_smmu_info(e, ev);
		on_issuer_line(e, ev);
		break;
	case SMMU_EV_ATC_SYNC_FAIL:
		on_issuer_line(e, ev);
		break;
	case SMMU_EV_SKIPPED_CMD:
		on_skipped(e, ev);
		break;
	case SMMU_EV_FETCH_RETRY:
		on_fetch_retry(e, ev);
		break;
	case SMMU_EV_GERROR:
		on_gerror(e, ev);
		break;
	case SMMU_EV_SUPPRESSED:
		on_suppressed(e, ev);
		break;
	case SMMU_EV_QUEUE_INFO:
	case SMMU_EV_FEATURES:
	case SMMU_EV_EVTQ:
	case SMMU_EV_EVTQ_OVERFLOW:
	case SMMU_EV_CMDQV_ERROR:
	case SMMU_EV_CMDQ_TIMEOUT:
	case SMMU_EV_STATS:
		on_smmu_info(e, ev);
		break;
	case SMMU_EV_AER:
		on_aer(e, ev);
		break;
	case SMMU_EV_ISSUE:
		on_issue(e, ev);
		break;
	case SMMU_EV_QUEUE_WALK:
		on_queue_walk(e, ev);
		break;
	case SMMU_EV_HOST:
		engine_set_host(e, ev->host.name);
		break;
	case SMMU_EV_SID_MAP:
		sid_map_add(e, ev->hdr.smmu, ev->sid_map.sid, ev->sid_map.dev);
		break;
	case SMMU_EV_LOST:
		on_lost(e, ev);
		break;
	default:
		break;
	}
	evtime_of(ev, &t);
	if (t.flags)
		engine_tick(e, &t);
}
