// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Prometheus textfile view (node_exporter's textfile collector).  The file
 * is written to an unpredictable temporary next to its destination and
 * renamed over it (outfile.h), so a scrape never sees half a file and
 * nobody can plant anything at the name being written.  Label values are
 * escaped here and nowhere else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "fmt.h"
#include "outfile.h"
#include "views.h"

/*
 * A label value, whole and unique: valid UTF-8 passes, '"' and newline are
 * the exposition format's escapes, and a backslash, a control character or
 * a byte that is not UTF-8 becomes the text \xNN (written "\\xNN").  As a
 * literal backslash only ever starts such a \xNN, two names never share a
 * label value.
 */
static void label(struct obuf *o, const char *s)
{
	char t[5] = { '\\' };

	for (;;) {
		size_t n = utf8_plain_run(s);
		unsigned char c;

		obuf_put(o, s, n);
		s += n;
		c = *s++;
		if (!c)
			break;
		if (c == '"') {
			obuf_put(o, "\\\"", 2);
		} else if (c == '\n') {
			obuf_put(o, "\\n", 2);
		} else {
			fmt_hex_byte(t + 1, c);
			obuf_put(o, t, sizeof(t));
		}
	}
}

static void head(struct obuf *o, const char *name, const char *type, const char *help)
{
	obuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* "name{k="v",...} " with every label value escaped; kv holds n pairs */
static void series(struct obuf *o, const char *name, int n, const char *const *kv)
{
	obuf_puts(o, name);
	for (int i = 0; i < n; i++) {
		obuf_putc(o, i ? ',' : '{');
		obuf_puts(o, kv[2 * i]);
		obuf_put(o, "=\"", 2);
		label(o, kv[2 * i + 1]);
		obuf_putc(o, '"');
	}
	obuf_put(o, n ? "} " : " ", n ? 2 : 1);
}

static void sample(struct obuf *o, const char *name, int n, const char *const *kv,
		   uint64_t v)
{
	series(o, name, n, kv);
	obuf_u64(o, v);
	obuf_putc(o, '\n');
}

#define LABELS(...)	(const char *const[]){ __VA_ARGS__ }
#define MAX_LABELS	6

/* a replay of several machines' files: their same-named SMMUs and devices stay apart */
static void host_sample(struct obuf *o, const char *name, const char *host, int n,
			const char *const *kv, uint64_t v)
{
	const char *hkv[2 * MAX_LABELS] = { "host", host };

	if (!host[0] || n >= MAX_LABELS) {
		sample(o, name, n, kv, v);
		return;
	}
	memcpy(hkv + 2, kv, 2 * n * sizeof(*kv));
	sample(o, name, n + 1, hkv, v);
}

static void smmu_metrics(struct obuf *o, const struct engine *e)
{
	head(o, "smmutrace_incidents_total", "counter",
	     "SMMU command-queue incidents (failed CMD_SYNCs) by kind.");
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		for (int k = 0; k < INC_KINDS; k++)
			host_sample(o, "smmutrace_incidents_total", s->host, 2,
				    LABELS("smmu", s->name, "kind", incident_kind_name(k)),
				    s->incidents[k]);
	}
	head(o, "smmutrace_gerrors_total", "counter",
	     "\"unexpected global error reported\" interrupts.");
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		host_sample(o, "smmutrace_gerrors_total", s->host, 1, LABELS("smmu", s->name),
			    s->gerrors);
	}
}

/* event-queue records and what the SMMU could not record */
static void event_metrics(struct obuf *o, const struct engine *e)
{
	char sid[16], evt[24];

	head(o, "smmutrace_evtq_records_total", "counter",
	     "Event-queue records the driver printed, by SMMU, device, StreamID and event.");
	for (int i = 0; i < engine_n_evtq_groups(e); i++) {
		const struct evtq_group *g = engine_evtq_group(e, i);
		const char *d = event_device(e, g->host, g->smmu, g->dev, g->have_sid, g->sid);
		const char *n = g->id >= 0 ? smmu_evt_name(g->id) : NULL;

		if (g->have_sid)
			snprintf(sid, sizeof(sid), "0x%x", g->sid);
		else
			sid[0] = '\0';
		if (n)
			snprintf(evt, sizeof(evt), "%s", n);
		else if (g->id >= 0)
			snprintf(evt, sizeof(evt), "0x%02x", g->id);
		else
			evt[0] = '\0';
		host_sample(o, "smmutrace_evtq_records_total", g->host, 4,
			    LABELS("smmu", g->smmu, "device", d ? d : "", "sid", sid, "event", evt),
			    g->count);
	}
	head(o, "smmutrace_evtq_overflows_total", "counter",
	     "\"EVTQ overflow detected -- events lost\": the SMMU dropped event records.");
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		host_sample(o, "smmutrace_evtq_overflows_total", s->host, 1, LABELS("smmu", s->name),
			    s->evtq_overflows);
	}
	head(o, "smmutrace_suppressed_evtq_records_total", "counter",
	     "Event-queue records the driver's rate limit kept out of the log.");
	sample(o, "smmutrace_suppressed_evtq_records_total", 0, NULL,
	       suppressed_of_kind(e, SUPP_EVENTS));
}

static void sid_label(char *buf, size_t size, const struct device_stat *d)
{
	if (d->have_sid)
		snprintf(buf, size, "0x%x", d->sid);
	else
		buf[0] = '\0';
}

static void device_metrics(struct obuf *o, const struct engine *e)
{
	char sid[16];

	head(o, "smmutrace_device_incidents_total", "counter",
	     "Incidents naming the device as a suspect, by kind.");
	for (int i = 0; i < engine_n_devices(e); i++) {
		const struct device_stat *d = engine_device(e, i);

		sid_label(sid, sizeof(sid), d);
		for (int k = 0; k < INC_KINDS; k++)
			host_sample(o, "smmutrace_device_incidents_total", d->host, 4,
				    LABELS("smmu", d->smmu, "sid", sid, "device", d->dev,
					   "kind", incident_kind_name(k)),
				    d->by_kind[k]);
	}
	head(o, "smmutrace_device_attributions_total", "counter",
	     "Incidents naming the device as a suspect, by confidence.");
	for (int i = 0; i < engine_n_devices(e); i++) {
		const struct device_stat *d = engine_device(e, i);

		sid_label(sid, sizeof(sid), d);
		for (int c = 0; c < CONF_LEVELS; c++)
			host_sample(o, "smmutrace_device_attributions_total", d->host, 4,
				    LABELS("smmu", d->smmu, "sid", sid, "device", d->dev,
					   "confidence", confidence_name(c)),
				    d->by_conf[c]);
	}
}

static void latency_metrics(struct obuf *o, const struct smmu_info *s)
{
	uint64_t cum = 0;
	char le[32];

	/* bucket b holds [2^b, 2^(b+1)) ns */
	for (int b = 0; b < SMMU_LAT_BUCKETS; b++) {
		cum += s->stats.lat[b];
		snprintf(le, sizeof(le), "%.10g", (double)(1ULL << (b + 1)) / 1e9);
		sample(o, "smmutrace_cmd_sync_latency_seconds_bucket", 2,
		       LABELS("smmu", s->name, "le", le), cum);
	}
	sample(o, "smmutrace_cmd_sync_latency_seconds_bucket", 2,
	       LABELS("smmu", s->name, "le", "+Inf"), cum);
	series(o, "smmutrace_cmd_sync_latency_seconds_sum", 1, LABELS("smmu", s->name));
	obuf_printf(o, "%.9f\n", (double)s->stats.lat_sum_ns / 1e9);
	sample(o, "smmutrace_cmd_sync_latency_seconds_count", 1, LABELS("smmu", s->name), cum);
}

static void issuer_metrics(struct obuf *o, const struct engine *e)
{
	if (!engine_have_issuer_stats(e))
		return;
	head(o, "smmutrace_issuer_calls_total", "counter",
	     "arm_smmu_cmdq_issue_cmdlist calls.");
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		if (s->have_stats)
			sample(o, "smmutrace_issuer_calls_total", 1, LABELS("smmu", s->name),
			       s->stats.calls);
	}
	head(o, "smmutrace_issuer_failed_calls_total", "counter",
	     "arm_smmu_cmdq_issue_cmdlist calls that returned an error.");
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		if (s->have_stats)
			sample(o, "smmutrace_issuer_failed_calls_total", 1,
			       LABELS("smmu", s->name), s->stats.failed_calls);
	}
	head(o, "smmutrace_commands_total", "counter", "Commands issued, by opcode class.");
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		for (int j = 0; s->have_stats && j < SMMU_OP_CLASSES; j++)
			sample(o, "smmutrace_commands_total", 2,
			       LABELS("smmu", s->name, "opcode", smmu_op_class_name(j)),
			       s->stats.ops[j]);
	}
	head(o, "smmutrace_cmd_sync_latency_seconds", "histogram",
	     "Time arm_smmu_cmdq_issue_cmdlist spent on calls ending in a CMD_SYNC.");
	for (int i = 0; i < engine_n_smmus(e); i++)
		if (engine_smmu(e, i)->have_stats)
			latency_metrics(o, engine_smmu(e, i));
}

static void global_metrics(struct obuf *o, const struct engine *e, const struct run_info *ri)
{
	const struct smmu_ev_lost *lost = engine_lost(e);

	head(o, "smmutrace_suppressed_messages_total", "counter",
	     "Rate-limited driver messages that never reached the log.");
	for (int i = 0; i < engine_n_suppressed_funcs(e); i++) {
		uint64_t n;
		const char *fn = engine_suppressed_func(e, i, &n);

		sample(o, "smmutrace_suppressed_messages_total", 1, LABELS("function", fn), n);
	}
	head(o, "smmutrace_lost_records_total", "counter",
	     "Records the kernel side could not deliver, by reason.");
	sample(o, "smmutrace_lost_records_total", 1, LABELS("reason", "ringbuf"), lost->ringbuf);
	sample(o, "smmutrace_lost_records_total", 1, LABELS("reason", "map_full"),
	       lost->map_full);
	sample(o, "smmutrace_lost_records_total", 1, LABELS("reason", "atc_list_truncated"),
	       lost->truncated);
	if (ri->now_wall_ns) {
		head(o, "smmutrace_last_update_timestamp_seconds", "gauge",
		     "When smmutrace last wrote this file.");
		obuf_printf(o, "smmutrace_last_update_timestamp_seconds %.3f\n",
			    (double)ri->now_wall_ns / 1e9);
	}
}

void prom_render(struct obuf *o, const struct engine *e, const struct run_info *ri)
{
	smmu_metrics(o, e);
	device_metrics(o, e);
	event_metrics(o, e);
	issuer_metrics(o, e);
	global_metrics(o, e, ri);
	obuf_end_record(o);
}

int prom_write(const char *path, const struct engine *e, const struct run_info *ri,
	       char *err, size_t errlen)
{
	struct outfile o;
	struct obuf b;
	char tmp[256];
	int fd, ret;

	ret = outfile_open(&o, path, 0644, err, errlen);
	if (ret)
		return ret;
	fd = outfile_tmp(&o, tmp, sizeof(tmp), err, errlen);
	if (fd < 0) {
		outfile_close(&o);
		return fd;
	}
	/* written through the buffer, checked there with its errno */
	obuf_init_fd(&b, fd);
	prom_render(&b, e, ri);
	ret = obuf_flush(&b);
	obuf_free(&b);
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		unlinkat(o.dirfd, tmp, 0);
	} else {
		ret = outfile_commit(&o, fd, tmp, err, errlen);
	}
	close(fd);
	outfile_close(&o);
	return ret;
}
