// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * NDJSON view, streamed: one object per line, written field by field into
 * the output buffer.  Counters are unsigned JSON numbers, values outside
 * what the schema allows are null, and every string goes through the JSON
 * writer's escaping.  A new record type is a function that opens the
 * record, writes its fields and closes it.
 */
#include "decode.h"
#include "fmt.h"
#include "jsonw.h"
#include "views.h"

/* host: the machine of a replay of several, "" = this run's */
static void record_begin_host(struct jw *w, struct view *v, const char *type, const char *host)
{
	jw_init(w, v->out);
	jw_obj(w);
	jw_kv_str(w, "type", type);
	jw_kv_u64(w, "schema", SMMUTRACE_JSON_SCHEMA);
	jw_kv_str_or_null(w, "host", host[0] ? host : v->host);
}

static void record_begin(struct jw *w, struct view *v, const char *type)
{
	record_begin_host(w, v, type, "");
}

static void record_end(struct jw *w)
{
	jw_obj_end(w);
	obuf_putc(w->o, '\n');
}

/*
 * The kv_ helpers are called with literal keys: inline, the key's length
 * and escape test fold away as in jsonw.h's own helpers.
 */
JW_INLINE void kv_time(struct jw *w, const char *tk, const char *mk, const struct evtime *t)
{
	char buf[64];

	jw_key(w, tk);
	if ((t->flags & SMMU_EVF_WALL) && fmt_rfc3339(t->wall_ns, buf, sizeof(buf)) > 0)
		jw_str(w, buf);
	else
		jw_null(w);
	jw_kv_u64_if(w, mk, t->flags & SMMU_EVF_MONO, t->mono_ns);
}

static bool shift_known(uint32_t shift)
{
	return shift >= 1 && shift <= SMMU_MAX_N_SHIFT;
}

/* a bit set as the array of its bits' names; unknown bits are left out */
JW_INLINE void kv_bits(struct jw *w, const char *k, uint32_t bits, unsigned int nbits,
		       const char *(*name)(unsigned int))
{
	jw_key(w, k);
	jw_arr(w);
	for (unsigned int b = 0; b < nbits; b++)
		if (bits & (1u << b))
			jw_str(w, name(b));
	jw_arr_end(w);
}

static void kv_evidence(struct jw *w, uint32_t evidence)
{
	kv_bits(w, "evidence", evidence, EVD_KINDS, evidence_name);
}

JW_INLINE void kv_tristate(struct jw *w, const char *k, int v)
{
	jw_key(w, k);
	if (v < 0)
		jw_null(w);
	else
		jw_bool(w, v);
}

static void suspects_json(struct jw *w, const struct incident *inc)
{
	jw_key(w, "suspects");
	jw_arr(w);
	for (int i = 0; i < inc->n_suspects; i++) {
		const struct suspect *s = &inc->suspects[i];

		jw_obj(w);
		jw_kv_u64_if(w, "sid", s->have_sid, s->sid);
		jw_kv_str_or_null(w, "device", s->dev);
		kv_evidence(w, s->evidence);
		jw_kv_u64(w, "atc_invs", s->atc_count);
		jw_kv_permille(w, "score", s->score);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void issuers_json(struct jw *w, const struct incident *inc)
{
	jw_key(w, "issuers");
	jw_arr(w);
	for (int i = 0; i < inc->n_issuers; i++) {
		const struct issuer *is = &inc->issuers[i];

		jw_obj(w);
		jw_kv_u64(w, "pid", is->pid);
		jw_kv_u64(w, "tid", is->tid);
		jw_kv_str(w, "comm", is->comm);
		jw_kv_str(w, "context", smmu_ctx_name(is->ctx));
		jw_kv_u64(w, "cpu", is->cpu);
		jw_kv_i64(w, "ret", is->ret);
		jw_kv_u64(w, "duration_ns", is->duration_ns);
		jw_kv_u64_if(w, "sync_prod", is->sync_prod != SMMU_NO_POS, is->sync_prod);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* command words are exact unsigned integers, up to 2^64-1 (see the schema) */
static void skipped_json(struct jw *w, const struct incident *inc)
{
	struct smmu_cmd c;
	char buf[160];

	jw_key(w, "skipped_command");
	if (!inc->have_skipped) {
		jw_null(w);
		return;
	}
	smmu_cmd_decode(inc->skipped[0], inc->skipped[1], &c);
	incident_skipped_text(inc, buf, sizeof(buf));
	jw_obj(w);
	jw_kv_u64(w, "dw0", inc->skipped[0]);
	jw_kv_u64_if(w, "dw1", !(inc->skipped_bad & 2), inc->skipped[1]);
	jw_kv_u64(w, "opcode", c.op);
	jw_kv_str_or_null(w, "name", smmu_opcode_name(c.op));
	jw_kv_str(w, "decoded", buf);
	jw_obj_end(w);
}

static void culprit_json(struct jw *w, const struct incident *inc)
{
	const struct suspect *s;

	jw_key(w, "likely_culprit");
	if (inc->top < 0 || inc->top >= inc->n_suspects) {
		jw_null(w);
		return;
	}
	s = &inc->suspects[inc->top];
	jw_obj(w);
	jw_kv_u64_if(w, "sid", s->have_sid, s->sid);
	jw_kv_str_or_null(w, "device", s->dev);
	jw_kv_permille(w, "score", s->score);
	jw_obj_end(w);
}

static const char *const walk_stops[] = {
	[SMMU_WALK_PREV_SYNC] = "previous_sync",
	[SMMU_WALK_DONE_SYNC] = "completed_sync",
	[SMMU_WALK_BOUND]     = "bound",
	[SMMU_WALK_NOT_SYNC]  = "not_a_sync",
	[SMMU_WALK_FAULT]     = "fault",
};

static void walk_json(struct jw *w, const struct incident *inc)
{
	jw_key(w, "queue_walk");
	if (!inc->have_walk) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	jw_kv_str(w, "stop", inc->walk_stop < 5 ? walk_stops[inc->walk_stop] : "?");
	kv_tristate(w, "bitmap", inc->bitmap < 2 ? inc->bitmap : -1);
	jw_obj_end(w);
}

/* where the failing CMD_SYNC sits, as the engine decided */
static void position_json(struct jw *w, const struct incident *inc)
{
	uint32_t shift = shift_known(inc->max_n_shift) ? inc->max_n_shift : 0;
	bool have_pos, have_idx;
	struct smmu_qpos q;
	uint32_t pos;

	have_pos = engine_incident_qpos(inc, &pos);
	smmu_qpos_split(have_pos ? pos : 0, shift, &q);
	have_idx = have_pos && q.idx != SMMU_NO_POS;
	jw_kv_u64_if(w, "cons", inc->have_cons, inc->cons);
	jw_kv_u64_if(w, "idx", have_idx, q.idx);
	jw_kv_u64_if(w, "wrap", have_idx, q.wrap);
	jw_kv_u64_if(w, "prod", have_pos, pos);
	jw_kv_u64_if(w, "hwprod", inc->have_hw, inc->hwprod);
	jw_kv_u64_if(w, "hwcons", inc->have_hw, inc->hwcons);
	jw_kv_u64_if(w, "max_n_shift", shift, shift);
	/* CERROR is 7 bits of CONS; anything else came from a forged record */
	jw_kv_u64_if(w, "cerror", inc->have_cons && inc->cerror <= 0x7f, inc->cerror);
}

/* what the quarantine series' bitmap said; null where the kernel showed none */
static void bitmap_json(struct jw *w, const struct incident *inc)
{
	jw_key(w, "atc_sync_bitmap");
	if (inc->bm_failed < 0 && inc->bm_told < 0) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	kv_tristate(w, "failed", inc->bm_failed);
	kv_tristate(w, "told", inc->bm_told);
	jw_kv_str_or_null(w, "semantics", inc->semantics ? semantics_name(inc->semantics) : "");
	jw_obj_end(w);
}

static const char *source_name(enum src_kind s)
{
	return s == SRC_LIVE ? "live" : s == SRC_CAPTURE ? "capture" : "log";
}

void json_incident(struct view *v, const struct incident *inc)
{
	struct jw w;

	record_begin_host(&w, v, "incident", inc->host);
	jw_kv_u64(&w, "id", inc->id);
	jw_kv_str(&w, "kind", incident_kind_name(inc->kind));
	jw_kv_str_or_null(&w, "smmu", inc->smmu);
	position_json(&w, inc);
	jw_kv_u64(&w, "retries", inc->retries);
	kv_tristate(&w, "issuer_notified", inc->issuer_notified);
	jw_kv_str(&w, "confidence", confidence_name(inc->confidence));
	suspects_json(&w, inc);
	culprit_json(&w, inc);
	kv_bits(&w, "flags", inc->flags, INCF_KINDS, incident_flag_name);
	jw_kv_u64_if(&w, "blocked_by", inc->blocked_by, inc->blocked_by);
	jw_kv_u64_if(&w, "stale_from", inc->stale_from, inc->stale_from);
	jw_key(&w, "cmdq");
	if (inc->cmdq)
		jw_hex(&w, inc->cmdq);	/* a kernel address: no double holds it */
	else
		jw_null(&w);
	walk_json(&w, inc);
	issuers_json(&w, inc);
	skipped_json(&w, inc);
	jw_kv_u64_if(&w, "gerror", inc->gerror, inc->gerror);
	jw_kv_u64(&w, "fetch_retries", inc->fetch_retries);
	jw_key(&w, "patched_kernel");
	if (inc->patched_line || inc->bitmap < 2)
		jw_bool(&w, true);
	else
		jw_null(&w);
	bitmap_json(&w, inc);
	jw_kv_u64_if(&w, "detect_ns", inc->detect_ns, inc->detect_ns);
	jw_key(&w, "fired_first");
	if (inc->first_report)
		jw_str(&w, first_report_name(inc->first_report));
	else
		jw_null(&w);
	jw_kv_u64(&w, "sw_timeouts", inc->sw_timeouts);
	jw_kv_u64_if(&w, "irq_held_ns", inc->irq_held_ns, inc->irq_held_ns);
	kv_time(&w, "time", "mono_ns", &inc->first);
	kv_time(&w, "last_time", "last_mono_ns", &inc->last);
	jw_kv_str(&w, "source", source_name(inc->source));
	record_end(&w);
}

static const char *const evt_classes[4] = {
	"cd_fetch", "stage1_table_fetch", "input_address", "reserved",
};

/* an address: 64 bits that must not pass through a double */
JW_INLINE void kv_hex_if(struct jw *w, const char *k, bool have, uint64_t v)
{
	jw_key(w, k);
	if (have)
		jw_hex(w, v);
	else
		jw_null(w);
}

static void dwords_json(struct jw *w, const struct smmu_ev_evtq *q)
{
	jw_key(w, "dwords");
	jw_arr(w);
	for (int i = 0; i < 4 && i < q->n_dw; i++) {
		if (q->dw_bad & (1u << i))
			jw_null(w);
		else
			jw_hex(w, q->dw[i]);
	}
	jw_arr_end(w);
}

static void evt_detail_json(struct jw *w, const struct smmu_evt *f)
{
	jw_key(w, "detail");
	if (!(f->have & SMMU_EVT_DETAIL)) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	jw_kv_bool(w, "privileged", f->priv);
	jw_kv_bool(w, "instruction", f->instr);
	jw_kv_u64(w, "stage", f->s2 ? 2 : 1);
	jw_kv_str(w, "class", evt_classes[f->cls & 3]);
	jw_kv_bool(w, "stall", f->stall);
	jw_kv_u64(w, "stag", f->stag);
	jw_obj_end(w);
}

/* one event-queue record: a mangled dword makes its fields null, never shifted */
void json_event(struct view *v, const struct engine *e, const struct smmu_event *ev)
{
	const struct smmu_ev_evtq *q = &ev->evtq;
	bool have_id, have_sid;
	struct smmu_evt f;
	struct evtime t;
	struct jw w;

	smmu_evtq_fields(q, &f);
	have_id = f.have & SMMU_EVT_ID;
	have_sid = f.have & SMMU_EVT_SID;
	record_begin_host(&w, v, "event", engine_host(e));
	jw_kv_str_or_null(&w, "smmu", ev->hdr.smmu);
	jw_kv_u64_if(&w, "event", have_id, f.id);
	jw_kv_str_or_null(&w, "name", have_id ? smmu_evt_name(f.id) : NULL);
	jw_kv_u64_if(&w, "sid", have_sid, f.sid);
	jw_kv_u64_if(&w, "ssid", (f.have & SMMU_EVT_SSID) && f.ssv, f.ssid);
	jw_kv_str_or_null(&w, "device", event_device(e, engine_host(e), ev->hdr.smmu, q->client,
						     have_sid, f.sid));
	jw_kv_str_or_null(&w, "client", q->client);
	kv_hex_if(&w, "addr", f.have & SMMU_EVT_ADDR, f.addr);
	kv_hex_if(&w, "ipa", f.have & SMMU_EVT_IPA, f.ipa);
	kv_hex_if(&w, "fetch_addr", f.have & SMMU_EVT_FETCH, f.ipa);
	jw_kv_str_or_null(&w, "access", f.have & SMMU_EVT_RW ? (f.read ? "read" : "write") : NULL);
	evt_detail_json(&w, &f);
	dwords_json(&w, q);
	jw_kv_bool(&w, "decoded_line", q->have & SMMU_EVTQ_DECODED);
	t.mono_ns = ev->hdr.mono_ns;
	t.wall_ns = ev->hdr.wall_ns;
	t.flags = ev->hdr.flags & (SMMU_EVF_MONO | SMMU_EVF_WALL);
	kv_time(&w, "time", "mono_ns", &t);
	jw_kv_str(&w, "source", source_name(engine_source(e)));
	record_end(&w);
}

static void kv_by_kind(struct jw *w, const char *k, const uint64_t *n)
{
	jw_key(w, k);
	jw_obj(w);
	for (int j = 0; j < INC_KINDS; j++)
		jw_kv_u64(w, incident_kind_name(j), n[j]);
	jw_obj_end(w);
}

static void issuer_stats_json(struct jw *w, const struct smmu_ev_stats *st)
{
	jw_key(w, "issuer");
	jw_obj(w);
	jw_kv_u64(w, "calls", st->calls);
	jw_kv_u64(w, "sync_calls", st->sync_calls);
	jw_kv_u64(w, "failed_calls", st->failed_calls);
	jw_key(w, "commands");
	jw_obj(w);
	for (int j = 0; j < SMMU_OP_CLASSES; j++)
		if (st->ops[j])
			jw_kv_u64(w, smmu_op_class_name(j), st->ops[j]);
	jw_obj_end(w);
	jw_key(w, "sync_latency_log2_ns");
	jw_arr(w);
	for (int j = 0; j < SMMU_LAT_BUCKETS; j++)
		jw_u64(w, st->lat[j]);
	jw_arr_end(w);
	jw_kv_u64(w, "sync_latency_sum_ns", st->lat_sum_ns);
	jw_key(w, "contexts");
	jw_obj(w);
	for (int c = 0; c < SMMU_CTX_MAX; c++)
		jw_kv_u64(w, smmu_ctx_name(c), st->ctx[c]);
	jw_obj_end(w);
	jw_obj_end(w);
}

/* the semantics its told issuers showed: one of them, both, or none yet */
static const char *semantics_seen(uint32_t seen)
{
	if ((seen & (1u << SEM_V2)) && (seen & (1u << SEM_V3)))
		return "v2+v3";
	if (seen & (1u << SEM_V2))
		return semantics_name(SEM_V2);
	if (seen & (1u << SEM_V3))
		return semantics_name(SEM_V3);
	return "";
}

static void smmu_bitmap_json(struct jw *w, const struct smmu_info *s)
{
	jw_key(w, "atc_sync_bitmap");
	if (!s->bitmap) {
		jw_null(w);
		return;
	}
	jw_obj(w);
	jw_kv_str_or_null(w, "semantics", semantics_seen(s->semantics_seen));
	jw_kv_u64(w, "told", s->bm_told);
	jw_kv_u64(w, "left_set", s->bm_left);
	jw_kv_u64(w, "stale_claims", s->bm_stale);
	jw_obj_end(w);
}

static void smmus_json(struct jw *w, const struct engine *e)
{
	jw_key(w, "smmus");
	jw_arr(w);
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		jw_obj(w);
		jw_kv_str_or_null(w, "smmu", s->name);
		jw_kv_str_or_null(w, "host", s->host);
		jw_kv_u64_if(w, "max_n_shift", shift_known(s->max_n_shift), s->max_n_shift);
		kv_tristate(w, "ats", s->ats < 0 ? -1 : !!s->ats);
		kv_by_kind(w, "incidents", s->incidents);
		jw_kv_u64(w, "gerrors", s->gerrors);
		jw_kv_u64(w, "evtq_events", s->evtq_events);
		jw_kv_u64(w, "evtq_overflows", s->evtq_overflows);
		jw_kv_u64(w, "cmdqv_errors", s->cmdqv_errors);
		smmu_bitmap_json(w, s);
		if (s->have_stats)
			issuer_stats_json(w, &s->stats);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void device_json(struct jw *w, const struct device_stat *d)
{
	jw_obj(w);
	jw_kv_str_or_null(w, "device", d->dev);
	jw_kv_str_or_null(w, "host", d->host);
	jw_kv_u64_if(w, "sid", d->have_sid, d->sid);
	jw_kv_str_or_null(w, "smmu", d->smmu);
	jw_kv_u64(w, "incidents", d->incidents);
	jw_key(w, "by_confidence");
	jw_obj(w);
	for (int j = CONF_LEVELS - 1; j >= 0; j--)
		jw_kv_u64(w, confidence_name(j), d->by_conf[j]);
	jw_obj_end(w);
	kv_evidence(w, d->evidence);
	jw_kv_u64(w, "aer_completion_timeouts", d->aer_cmplto);
	jw_kv_u64(w, "atc_invs", d->atc_invs);
	jw_kv_str(w, "verdict", verdict_name(d->verdict));
	jw_kv_permille(w, "score", d->score);
	jw_kv_u64(w, "attributed", d->attributed);
	jw_kv_u64(w, "top_suspect", d->top);
	jw_kv_u64(w, "failing_batches", d->failing_batches);
	jw_kv_u64(w, "smmu_failing_batches", d->smmu_failing);
	jw_kv_u64(w, "sole_confirmed", d->sole_confirmed);
	jw_obj_end(w);
}

static void lost_fields(struct jw *w, const struct smmu_ev_lost *lost)
{
	jw_kv_u64(w, "ringbuf", lost->ringbuf);
	jw_kv_u64(w, "map_full", lost->map_full);
	jw_kv_u64(w, "truncated", lost->truncated);
}

/* live records carry the time they were written; replay has none */
static void run_now(const struct run_info *ri, struct evtime *now)
{
	now->mono_ns = ri->now_mono_ns;
	now->wall_ns = ri->now_wall_ns;
	now->flags = (ri->now_mono_ns ? SMMU_EVF_MONO : 0) |
		     (ri->now_wall_ns ? SMMU_EVF_WALL : 0);
}

/* what the engine's bounded tables forgot */
static void evicted_json(struct jw *w, const struct engine *e)
{
	struct engine_evictions ev;

	engine_evictions(e, &ev);
	jw_key(w, "evicted");
	jw_obj(w);
	jw_kv_u64(w, "smmus", ev.smmus);
	jw_kv_u64(w, "sids", ev.sids);
	jw_kv_u64(w, "devices", ev.devices);
	jw_kv_u64(w, "queues", ev.queues);
	jw_kv_u64(w, "functions", ev.funcs);
	jw_kv_u64(w, "refused", ev.refused);
	jw_kv_u64(w, "suspect_sets", ev.suspect_sets);
	jw_obj_end(w);
}

/* keys are escaped like any string, so every function keeps its own count */
static void suppressed_json(struct jw *w, const struct engine *e)
{
	jw_key(w, "suppressed_by_function");
	jw_obj(w);
	for (int j = 0; j < engine_n_suppressed_funcs(e); j++) {
		uint64_t n;
		const char *fn = engine_suppressed_func(e, j, &n);

		jw_kv_u64(w, fn, n);
	}
	jw_obj_end(w);
}

/* the event queue's records by SMMU, StreamID and event, as the filters keep them */
static void event_groups_json(struct jw *w, const struct view *v, const struct engine *e)
{
	jw_key(w, "event_groups");
	jw_arr(w);
	for (int i = 0; i < engine_n_evtq_groups(e); i++) {
		const struct evtq_group *g = engine_evtq_group(e, i);
		const char *dev = event_device(e, g->host, g->smmu, g->dev, g->have_sid, g->sid);

		if (!view_event_shown(v, g->smmu, g->have_sid, g->sid, dev))
			continue;
		jw_obj(w);
		jw_kv_str_or_null(w, "smmu", g->smmu);
		jw_kv_str_or_null(w, "host", g->host);
		jw_kv_str_or_null(w, "device", dev);
		jw_kv_u64_if(w, "sid", g->have_sid, g->sid);
		jw_kv_u64_if(w, "event", g->id >= 0, (uint64_t)g->id);
		jw_kv_str_or_null(w, "name", g->id >= 0 ? smmu_evt_name(g->id) : NULL);
		jw_kv_u64(w, "count", g->count);
		jw_kv_u64(w, "reads", g->reads);
		jw_kv_u64(w, "writes", g->writes);
		kv_time(w, "first_time", "first_mono_ns", &g->first);
		kv_time(w, "last_time", "last_mono_ns", &g->last);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* the lines that looked like the driver's and could not be read */
static void samples_json(struct jw *w, const struct run_info *ri)
{
	jw_key(w, "unrecognized_lines");
	jw_arr(w);
	for (int i = 0; i < ri->n_samples; i++) {
		const struct run_sample *s = &ri->samples[i];

		jw_obj(w);
		jw_kv_str_or_null(w, "input", s->input);
		jw_kv_u64(w, "line", s->line);
		jw_kv_str(w, "text", s->text);
		jw_kv_str_or_null(w, "expected", s->expected);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

void json_summary(struct view *v, const struct engine *e, const struct run_info *ri)
{
	uint64_t by_kind[INC_KINDS];
	struct evtime now;
	struct jw w;

	run_now(ri, &now);
	for (int j = 0; j < INC_KINDS; j++)
		by_kind[j] = engine_incidents_by_kind(e, j);
	record_begin(&w, v, "summary");
	jw_kv_bool(&w, "final", ri->final);
	kv_by_kind(&w, "incidents", by_kind);
	jw_kv_u64(&w, "suppressed", engine_suppressed(e));
	suppressed_json(&w, e);
	jw_kv_u64(&w, "suppressed_cmdq", suppressed_of_kind(e, SUPP_CMDQ));
	jw_kv_u64(&w, "suppressed_events", suppressed_of_kind(e, SUPP_EVENTS));
	smmus_json(&w, e);
	jw_key(&w, "devices");
	jw_arr(&w);
	for (int i = 0; i < engine_n_devices(e); i++)
		device_json(&w, engine_device(e, i));
	jw_arr_end(&w);
	event_groups_json(&w, v, e);
	jw_kv_u64(&w, "shown", v->shown);
	jw_kv_u64(&w, "filtered_out", v->hidden);
	jw_kv_u64(&w, "events", engine_events(e));
	jw_kv_u64(&w, "lines", ri->lines);
	jw_kv_u64(&w, "driver_messages", ri->messages);
	jw_kv_u64(&w, "malformed", ri->malformed);
	jw_kv_u64(&w, "unrecognized", ri->unrecognized);
	samples_json(&w, ri);
	jw_kv_u64(&w, "long_lines", ri->long_lines);
	if (ri->records)
		jw_kv_u64(&w, "records", ri->records);
	jw_kv_bool(&w, "truncated", ri->truncated);
	jw_key(&w, "lost");
	jw_obj(&w);
	lost_fields(&w, engine_lost(e));
	jw_obj_end(&w);
	evicted_json(&w, e);
	kv_time(&w, "time", "mono_ns", &now);
	record_end(&w);
}

void json_lost(struct view *v, const struct smmu_ev_lost *lost, const struct run_info *ri)
{
	struct evtime now;
	struct jw w;

	run_now(ri, &now);
	record_begin(&w, v, "lost");
	lost_fields(&w, lost);
	kv_time(&w, "time", "mono_ns", &now);
	record_end(&w);
}
