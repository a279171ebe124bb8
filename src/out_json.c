// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * NDJSON view.  One object per line; integers are JSON numbers; strings
 * from the log or the kernel go through json_str() and nothing else.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "report.h"

static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* a JSON string from untrusted bytes: invalid UTF-8 becomes the text \xNN */
static json_t *json_str(const char *s)
{
	static const char hexd[] = "0123456789abcdef";
	size_t len = strlen(s), o = 0;
	char *buf = malloc(len * 4 + 1);
	json_t *j;

	if (!buf)
		return json_null();
	for (size_t i = 0; i < len;) {
		size_t n = utf8_len((const unsigned char *)s + i);

		if (n) {
			memcpy(buf + o, s + i, n);
			o += n;
			i += n;
			continue;
		}
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hexd[(unsigned char)s[i] >> 4];
		buf[o++] = hexd[(unsigned char)s[i] & 15];
		i++;
	}
	j = json_stringn(buf, o);
	free(buf);
	return j ? j : json_null();
}

static json_t *json_str_or_null(const char *s)
{
	return s && s[0] ? json_str(s) : json_null();
}

static void set(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v ? v : json_null());
}

static void set_time(json_t *o, const char *tk, const char *mk, const struct evtime *t)
{
	char buf[64];

	if ((t->flags & SMMU_EVF_WALL) && fmt_rfc3339(t->wall_ns, buf, sizeof(buf)) > 0)
		set(o, tk, json_string(buf));
	else
		set(o, tk, json_null());
	set(o, mk, (t->flags & SMMU_EVF_MONO) ? json_integer(t->mono_ns) : json_null());
}

static void set_meta(struct report *r, json_t *o, const char *type)
{
	set(o, "type", json_string(type));
	set(o, "schema", json_integer(SMMUTRACE_JSON_SCHEMA));
	set(o, "host", json_str_or_null(r->host));
}

static void emit(struct report *r, json_t *o)
{
	json_dumpf(o, r->out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
	fputc('\n', r->out);
	json_decref(o);
}

/* a bit set as the array of its bits' names */
static json_t *bit_names(uint32_t bits, unsigned int nbits, const char *(*name)(unsigned int))
{
	json_t *a = json_array();

	for (unsigned int b = 0; b < nbits; b++)
		if (bits & (1u << b))
			json_array_append_new(a, json_string(name(b)));
	return a;
}

static json_t *evidence_array(uint32_t evidence)
{
	return bit_names(evidence, EVD_KINDS, evidence_name);
}

static json_t *suspects_json(const struct incident *inc)
{
	json_t *a = json_array();

	for (int i = 0; i < inc->n_suspects; i++) {
		const struct suspect *s = &inc->suspects[i];
		json_t *o = json_object();

		set(o, "sid", s->have_sid ? json_integer(s->sid) : json_null());
		set(o, "device", json_str_or_null(s->dev));
		set(o, "evidence", evidence_array(s->evidence));
		set(o, "atc_invs", json_integer(s->atc_count));
		set(o, "score", json_real(s->score / 1000.0));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *issuers_json(const struct incident *inc)
{
	json_t *a = json_array();

	for (int i = 0; i < inc->n_issuers; i++) {
		const struct issuer *is = &inc->issuers[i];
		json_t *o = json_object();

		set(o, "pid", json_integer(is->pid));
		set(o, "tid", json_integer(is->tid));
		set(o, "comm", json_str(is->comm));
		set(o, "context", json_string(smmu_ctx_name(is->ctx)));
		set(o, "cpu", json_integer(is->cpu));
		set(o, "ret", json_integer(is->ret));
		set(o, "duration_ns", json_integer(is->duration_ns));
		set(o, "sync_prod", is->sync_prod == SMMU_NO_POS ? json_null()
							       : json_integer(is->sync_prod));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *skipped_json(const struct incident *inc)
{
	struct smmu_cmd c;
	char buf[160];
	json_t *o;

	if (!inc->have_skipped)
		return json_null();
	smmu_cmd_decode(inc->skipped[0], inc->skipped[1], &c);
	smmu_cmd_format(&c, buf, sizeof(buf));
	o = json_object();
	set(o, "dw0", json_integer((json_int_t)inc->skipped[0]));
	set(o, "dw1", json_integer((json_int_t)inc->skipped[1]));
	set(o, "opcode", json_integer(c.op));
	set(o, "name", json_str_or_null(smmu_opcode_name(c.op)));
	set(o, "decoded", json_string(buf));
	return o;
}

/* kernel addresses do not fit a signed JSON integer */
static json_t *hex_json(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

static json_t *culprit_json(const struct incident *inc)
{
	const struct suspect *s;
	json_t *o;

	if (inc->top < 0 || inc->top >= inc->n_suspects)
		return json_null();
	s = &inc->suspects[inc->top];
	o = json_object();
	set(o, "sid", s->have_sid ? json_integer(s->sid) : json_null());
	set(o, "device", json_str_or_null(s->dev));
	set(o, "score", json_real(s->score / 1000.0));
	return o;
}

static const char *const walk_stops[] = {
	[SMMU_WALK_PREV_SYNC] = "previous_sync",
	[SMMU_WALK_DONE_SYNC] = "completed_sync",
	[SMMU_WALK_BOUND]     = "bound",
	[SMMU_WALK_NOT_SYNC]  = "not_a_sync",
	[SMMU_WALK_FAULT]     = "fault",
};

static json_t *walk_json(const struct incident *inc)
{
	json_t *o;

	if (!inc->have_walk)
		return json_null();
	o = json_object();
	set(o, "stop", json_string(inc->walk_stop < 5 ? walk_stops[inc->walk_stop] : "?"));
	set(o, "bitmap", inc->bitmap < 2 ? json_boolean(inc->bitmap) : json_null());
	return o;
}

static json_t *notified_json(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

void json_incident(struct report *r, const struct incident *inc)
{
	json_t *o = json_object();
	struct smmu_qpos q;
	uint32_t pos;
	bool have_pos = incident_position(inc, &pos);

	set_meta(r, o, "incident");
	set(o, "id", json_integer(inc->id));
	set(o, "kind", json_string(incident_kind_name(inc->kind)));
	set(o, "smmu", json_str_or_null(inc->smmu));
	set(o, "cons", inc->have_cons ? json_integer(inc->cons) : json_null());
	smmu_qpos_split(have_pos ? pos : 0, inc->max_n_shift, &q);
	set(o, "idx", have_pos && q.idx != SMMU_NO_POS ? json_integer(q.idx) : json_null());
	set(o, "wrap", have_pos && q.idx != SMMU_NO_POS ? json_integer(q.wrap) : json_null());
	set(o, "prod", have_pos ? json_integer(pos) : json_null());
	set(o, "hwprod", inc->have_hw ? json_integer(inc->hwprod) : json_null());
	set(o, "hwcons", inc->have_hw ? json_integer(inc->hwcons) : json_null());
	set(o, "max_n_shift", inc->max_n_shift ? json_integer(inc->max_n_shift) : json_null());
	set(o, "cerror", inc->have_cons ? json_integer(inc->cerror) : json_null());
	set(o, "retries", json_integer(inc->retries));
	set(o, "issuer_notified", notified_json(inc->issuer_notified));
	set(o, "confidence", json_string(confidence_name(inc->confidence)));
	set(o, "suspects", suspects_json(inc));
	set(o, "likely_culprit", culprit_json(inc));
	set(o, "flags", bit_names(inc->flags, INCF_KINDS, incident_flag_name));
	set(o, "blocked_by", inc->blocked_by ? json_integer(inc->blocked_by) : json_null());
	set(o, "cmdq", inc->cmdq ? hex_json(inc->cmdq) : json_null());
	set(o, "queue_walk", walk_json(inc));
	set(o, "issuers", issuers_json(inc));
	set(o, "skipped_command", skipped_json(inc));
	set(o, "gerror", inc->gerror ? json_integer(inc->gerror) : json_null());
	set(o, "fetch_retries", json_integer(inc->fetch_retries));
	set(o, "patched_kernel", inc->patched_line || inc->bitmap < 2 ? json_true()
								      : json_null());
	set(o, "detect_ns", inc->detect_ns ? json_integer(inc->detect_ns) : json_null());
	set(o, "fired_first", inc->first_report ? json_string(first_report_name(inc->first_report))
						: json_null());
	set(o, "sw_timeouts", json_integer(inc->sw_timeouts));
	set(o, "irq_held_ns", inc->irq_held_ns ? json_integer(inc->irq_held_ns) : json_null());
	set_time(o, "time", "mono_ns", &inc->first);
	set_time(o, "last_time", "last_mono_ns", &inc->last);
	set(o, "source", json_string(inc->source == SRC_LIVE ? "live" :
				     inc->source == SRC_CAPTURE ? "capture" : "log"));
	emit(r, o);
}

static json_t *contexts_json(const struct smmu_ev_stats *st)
{
	json_t *o = json_object();

	for (int c = 0; c < SMMU_CTX_MAX; c++)
		set(o, smmu_ctx_name(c), json_integer(st->ctx[c]));
	return o;
}

static json_t *lost_json(const struct smmu_ev_lost *lost)
{
	json_t *o = json_object();

	set(o, "ringbuf", json_integer(lost->ringbuf));
	set(o, "map_full", json_integer(lost->map_full));
	set(o, "truncated", json_integer(lost->truncated));
	return o;
}

static json_t *smmus_json(const struct engine *e)
{
	json_t *a = json_array();

	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);
		json_t *o = json_object(), *k = json_object();

		set(o, "smmu", json_str_or_null(s->name));
		set(o, "max_n_shift", s->max_n_shift ? json_integer(s->max_n_shift) : json_null());
		set(o, "ats", s->ats < 0 ? json_null() : json_boolean(s->ats));
		for (int j = 0; j < INC_KINDS; j++)
			set(k, incident_kind_name(j), json_integer(s->incidents[j]));
		set(o, "incidents", k);
		set(o, "gerrors", json_integer(s->gerrors));
		set(o, "evtq_events", json_integer(s->evtq_events));
		if (s->have_stats) {
			json_t *st = json_object(), *ops = json_object(), *lat = json_array();

			set(st, "calls", json_integer(s->stats.calls));
			set(st, "sync_calls", json_integer(s->stats.sync_calls));
			set(st, "failed_calls", json_integer(s->stats.failed_calls));
			for (int j = 0; j < SMMU_OP_CLASSES; j++)
				if (s->stats.ops[j])
					set(ops, smmu_op_class_name(j),
					    json_integer(s->stats.ops[j]));
			set(st, "commands", ops);
			for (int j = 0; j < SMMU_LAT_BUCKETS; j++)
				json_array_append_new(lat, json_integer(s->stats.lat[j]));
			set(st, "sync_latency_log2_ns", lat);
			set(st, "sync_latency_sum_ns", json_integer(s->stats.lat_sum_ns));
			set(st, "contexts", contexts_json(&s->stats));
			set(o, "issuer", st);
		}
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *devices_json(const struct engine *e)
{
	json_t *a = json_array();

	for (int i = 0; i < engine_n_devices(e); i++) {
		const struct device_stat *d = engine_device(e, i);
		json_t *o = json_object(), *c = json_object();

		set(o, "device", json_str_or_null(d->dev));
		set(o, "sid", d->have_sid ? json_integer(d->sid) : json_null());
		set(o, "smmu", json_str_or_null(d->smmu));
		set(o, "incidents", json_integer(d->incidents));
		for (int j = CONF_LEVELS - 1; j >= 0; j--)
			set(c, confidence_name(j), json_integer(d->by_conf[j]));
		set(o, "by_confidence", c);
		set(o, "evidence", evidence_array(d->evidence));
		set(o, "aer_completion_timeouts", json_integer(d->aer_cmplto));
		set(o, "atc_invs", json_integer(d->atc_invs));
		set(o, "verdict", json_string(verdict_name(d->verdict)));
		set(o, "score", json_real(d->score / 1000.0));
		set(o, "attributed", json_integer(d->attributed));
		set(o, "top_suspect", json_integer(d->top));
		set(o, "failing_batches", json_integer(d->failing_batches));
		set(o, "smmu_failing_batches", json_integer(d->smmu_failing));
		set(o, "sole_confirmed", json_integer(d->sole_confirmed));
		json_array_append_new(a, o);
	}
	return a;
}

/* live records carry the time they were written; replay has none */
static void run_now(const struct run_info *ri, struct evtime *now)
{
	now->mono_ns = ri->now_mono_ns;
	now->wall_ns = ri->now_wall_ns;
	now->flags = (ri->now_mono_ns ? SMMU_EVF_MONO : 0) |
		     (ri->now_wall_ns ? SMMU_EVF_WALL : 0);
}

static json_t *evicted_json(const struct engine *e)
{
	struct engine_evictions ev;
	json_t *o = json_object();

	engine_evictions(e, &ev);
	set(o, "smmus", json_integer(ev.smmus));
	set(o, "sids", json_integer(ev.sids));
	set(o, "devices", json_integer(ev.devices));
	set(o, "queues", json_integer(ev.queues));
	set(o, "functions", json_integer(ev.funcs));
	set(o, "refused", json_integer(ev.refused));
	set(o, "suspect_sets", json_integer(ev.suspect_sets));
	return o;
}

void json_summary(struct report *r, const struct engine *e, const struct run_info *ri)
{
	json_t *o = json_object(), *k = json_object(), *f = json_object();
	struct evtime now;

	run_now(ri, &now);

	set_meta(r, o, "summary");
	set(o, "final", json_boolean(ri->final));
	for (int j = 0; j < INC_KINDS; j++)
		set(k, incident_kind_name(j), json_integer(engine_incidents_by_kind(e, j)));
	set(o, "incidents", k);
	set(o, "suppressed", json_integer(engine_suppressed(e)));
	for (int j = 0; j < engine_n_suppressed_funcs(e); j++) {
		uint64_t n;
		const char *fn = engine_suppressed_func(e, j, &n);

		set(f, fn, json_integer(n));
	}
	set(o, "suppressed_by_function", f);
	set(o, "smmus", smmus_json(e));
	set(o, "devices", devices_json(e));
	set(o, "shown", json_integer(r->shown));
	set(o, "filtered_out", json_integer(r->hidden));
	set(o, "events", json_integer(engine_events(e)));
	set(o, "lines", json_integer(ri->lines));
	set(o, "driver_messages", json_integer(ri->messages));
	set(o, "malformed", json_integer(ri->malformed));
	set(o, "long_lines", json_integer(ri->long_lines));
	if (ri->records)
		set(o, "records", json_integer(ri->records));
	set(o, "truncated", json_boolean(ri->truncated));
	set(o, "lost", lost_json(engine_lost(e)));
	set(o, "evicted", evicted_json(e));
	set_time(o, "time", "mono_ns", &now);
	emit(r, o);
}

void json_lost(struct report *r, const struct smmu_ev_lost *lost, const struct run_info *ri)
{
	json_t *o = json_object();
	struct evtime now;

	run_now(ri, &now);

	set_meta(r, o, "lost");
	set(o, "ringbuf", json_integer(lost->ringbuf));
	set(o, "map_full", json_integer(lost->map_full));
	set(o, "truncated", json_integer(lost->truncated));
	set_time(o, "time", "mono_ns", &now);
	emit(r, o);
}
