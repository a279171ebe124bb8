// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The public API: lifecycle, names, aggregates. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "internal.h"
#include "util.h"

static const char *const kind_names[INC_KINDS] = {
	[INC_ATC_TIMEOUT]	= "atc_timeout",
	[INC_ILLEGAL_COMMAND]	= "illegal_command",
	[INC_FETCH_ABORT]	= "fetch_abort",
	[INC_UNKNOWN_CERROR]	= "unknown_cerror",
	[INC_SYNC_TIMEOUT]	= "sync_timeout",
};

static const char *const conf_names[CONF_LEVELS] = {
	[CONF_UNKNOWN]	 = "unknown",
	[CONF_SUSPECT]	 = "suspect",
	[CONF_PROBABLE]	 = "probable",
	[CONF_CONFIRMED] = "confirmed",
};

static const char *const evidence_names[EVD_KINDS] = {
	"skipped_command", "queue_walk", "issuer_batch", "atc_sync_bitmap",
	"aer_completion_timeout",
};

static const char *const flag_names[INCF_KINDS] = {
	"walk_untrusted", "walk_partial", "foreign_chunk_risk", "collateral",
	"stale_bitmap", "narrowed", "bitmap_left_set",
};

static const char *const verdict_names[VERDICT_LEVELS] = {
	[VERDICT_NONE]	   = "none",
	[VERDICT_CLEARED]  = "cleared",
	[VERDICT_POSSIBLE] = "possible",
	[VERDICT_LIKELY]   = "likely",
	[VERDICT_CULPRIT]  = "culprit",
};

const char *incident_kind_name(enum incident_kind k)
{
	return (unsigned int)k < INC_KINDS ? kind_names[k] : "?";
}

const char *confidence_name(enum confidence c)
{
	return (unsigned int)c < CONF_LEVELS ? conf_names[c] : "?";
}

const char *evidence_name(unsigned int bit)
{
	return bit < EVD_KINDS ? evidence_names[bit] : "?";
}

const char *incident_flag_name(unsigned int bit)
{
	return bit < INCF_KINDS ? flag_names[bit] : "?";
}

static const char *const first_names[FIRST_LEVELS] = {
	[FIRST_UNKNOWN]	 = "unknown",
	[FIRST_SMMU]	 = "smmu",
	[FIRST_SOFTWARE] = "software",
};

const char *first_report_name(enum first_report f)
{
	return f < FIRST_LEVELS ? first_names[f] : "?";
}

static const char *const semantics_names[SEM_LEVELS] = {
	[SEM_UNKNOWN]	= "unknown",
	[SEM_V2]	= "v2",
	[SEM_V3]	= "v3",
};

const char *semantics_name(enum bitmap_semantics s)
{
	return (unsigned int)s < SEM_LEVELS ? semantics_names[s] : "?";
}

const char *verdict_name(enum verdict v)
{
	return (unsigned int)v < VERDICT_LEVELS ? verdict_names[v] : "?";
}

void engine_default_opts(struct engine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->join_window_ns = 3 * NSEC;
	o->retry_window_ns = 10 * NSEC;
	o->aer_window_ns = 2 * NSEC;
	o->settle_ns = 3 * NSEC;
	o->source = SRC_LOG;
}
struct engine *engine_new(const struct engine_opts *o, engine_incident_fn fn, void *ctx)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->issues = calloc(ISSUE_RING, sizeof(*e->issues));
	if (!e->issues) {
		free(e);
		return NULL;
	}
	if (o)
		e->o = *o;
	else
		engine_default_opts(&e->o);
	e->fn = fn;
	e->ctx = ctx;
	registry_init(e);
	return e;
}

/* replay reads logs and captures in turn: incidents say what they came from */
void engine_set_source(struct engine *e, enum src_kind source)
{
	e->o.source = source;
}

void engine_set_host(struct engine *e, const char *host)
{
	if (!strncmp(e->host, host, sizeof(e->host) - 1))
		return;
	engine_finish(e);
	/* what joins events into incidents is one machine's: times of two do not compare */
	memset(e->aer_t, 0, sizeof(e->aer_t));
	memset(e->aer_dev, 0, sizeof(e->aer_dev));
	memset(e->issues, 0, ISSUE_RING * sizeof(*e->issues));
	memset(e->qwalks, 0, sizeof(e->qwalks));
	memset(e->swto, 0, sizeof(e->swto));
	memset(e->recent, 0, sizeof(e->recent));
	memset(e->stale, 0, sizeof(e->stale));
	e->aer_head = e->issue_head = e->qwalk_head = e->swto_head = e->recent_head =
		e->stale_head = 0;
	str_copy(e->host, sizeof(e->host), host);
}

const char *engine_host(const struct engine *e)
{
	return e->host;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	for (int i = 0; i < e->n_open; i++)
		inc_free(e->open[i]);
	for (int i = 0; i < e->n_held; i++)
		inc_free(e->held[i]);
	for (int i = 0; i < e->n_spare; i++)
		inc_free(e->spare[i]);
	free(e->issues);
	registry_free(e);
	free(e->sets);
	free(e);
}

int engine_n_smmus(const struct engine *e)
{
	return e->smmu_reg.n;
}

const struct smmu_info *engine_smmu(const struct engine *e, int i)
{
	return &e->smmus[i].info;
}

int engine_n_devices(const struct engine *e)
{
	return e->dev_reg.n;
}

const struct device_stat *engine_device(const struct engine *e, int i)
{
	return &e->devs[i].st;
}

uint64_t engine_incidents_by_kind(const struct engine *e, enum incident_kind k)
{
	return e->by_kind[k];
}

uint64_t engine_suppressed(const struct engine *e)
{
	return e->suppressed;
}

int engine_n_suppressed_funcs(const struct engine *e)
{
	return e->func_reg.n;
}

const char *engine_suppressed_func(const struct engine *e, int i, uint64_t *count)
{
	*count = e->funcs[i].count;
	return e->funcs[i].func;
}

const struct smmu_ev_lost *engine_lost(const struct engine *e)
{
	return &e->lost;
}

uint64_t engine_events(const struct engine *e)
{
	return e->events;
}

void engine_evictions(const struct engine *e, struct engine_evictions *out)
{
	out->smmus = e->smmu_reg.evicted;
	out->sids = e->sid_reg.evicted;
	out->devices = e->dev_reg.evicted;
	out->queues = e->q_reg.evicted;
	out->funcs = e->func_reg.evicted;
	out->evtq_groups = e->evg_reg.evicted;
	out->refused = e->smmu_reg.refused + e->sid_reg.refused + e->dev_reg.refused +
		       e->q_reg.refused + e->func_reg.refused + e->evg_reg.refused;
	out->suspect_sets = e->sets_dropped;
}
