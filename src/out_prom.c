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
#include "outfile.h"
#include "report.h"

/* \\, \" and \n as the exposition format wants; bytes outside printable ASCII as \xNN */
static const char *label(char *buf, size_t size, const char *s)
{
	static const char hexd[] = "0123456789abcdef";
	size_t o = 0;

	for (; *s && o + 5 < size; s++) {
		unsigned char c = *s;

		if (c == '\\' || c == '"') {
			buf[o++] = '\\';
			buf[o++] = c;
		} else if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (c >= 0x20 && c < 0x7f) {
			buf[o++] = c;
		} else {
			buf[o++] = '\\';
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hexd[c >> 4];
			buf[o++] = hexd[c & 15];
		}
	}
	buf[o] = '\0';
	return buf;
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void smmu_metrics(FILE *f, const struct engine *e)
{
	char l[4 * SMMU_NAME_LEN];

	head(f, "smmutrace_incidents_total", "counter",
	     "SMMU command-queue incidents (failed CMD_SYNCs) by kind.");
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		for (int k = 0; k < INC_KINDS; k++)
			fprintf(f, "smmutrace_incidents_total{smmu=\"%s\",kind=\"%s\"} %llu\n",
				label(l, sizeof(l), s->name), incident_kind_name(k),
				(unsigned long long)s->incidents[k]);
	}
	head(f, "smmutrace_gerrors_total", "counter",
	     "\"unexpected global error reported\" interrupts.");
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		fprintf(f, "smmutrace_gerrors_total{smmu=\"%s\"} %llu\n",
			label(l, sizeof(l), s->name), (unsigned long long)s->gerrors);
	}
}

static void sid_label(char *buf, size_t size, const struct device_stat *d)
{
	if (d->have_sid)
		snprintf(buf, size, "0x%x", d->sid);
	else
		buf[0] = '\0';
}

static void device_metrics(FILE *f, const struct engine *e)
{
	char dl[4 * SMMU_DEV_LEN], sl[4 * SMMU_NAME_LEN], sid[16];

	head(f, "smmutrace_device_incidents_total", "counter",
	     "Incidents naming the device as a suspect, by kind.");
	for (int i = 0; i < engine_n_devices(e); i++) {
		const struct device_stat *d = engine_device(e, i);

		sid_label(sid, sizeof(sid), d);
		for (int k = 0; k < INC_KINDS; k++)
			fprintf(f, "smmutrace_device_incidents_total{smmu=\"%s\",sid=\"%s\","
				"device=\"%s\",kind=\"%s\"} %llu\n",
				label(sl, sizeof(sl), d->smmu), sid, label(dl, sizeof(dl), d->dev),
				incident_kind_name(k), (unsigned long long)d->by_kind[k]);
	}
	head(f, "smmutrace_device_attributions_total", "counter",
	     "Incidents naming the device as a suspect, by confidence.");
	for (int i = 0; i < engine_n_devices(e); i++) {
		const struct device_stat *d = engine_device(e, i);

		sid_label(sid, sizeof(sid), d);
		for (int c = 0; c < CONF_LEVELS; c++)
			fprintf(f, "smmutrace_device_attributions_total{smmu=\"%s\",sid=\"%s\","
				"device=\"%s\",confidence=\"%s\"} %llu\n",
				label(sl, sizeof(sl), d->smmu), sid, label(dl, sizeof(dl), d->dev),
				confidence_name(c), (unsigned long long)d->by_conf[c]);
	}
}

static void issuer_metrics(FILE *f, const struct engine *e)
{
	char l[4 * SMMU_NAME_LEN];

	if (!report_have_issuer_stats(e))
		return;
	head(f, "smmutrace_issuer_calls_total", "counter",
	     "arm_smmu_cmdq_issue_cmdlist calls.");
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		if (s->have_stats)
			fprintf(f, "smmutrace_issuer_calls_total{smmu=\"%s\"} %llu\n",
				label(l, sizeof(l), s->name), (unsigned long long)s->stats.calls);
	}
	head(f, "smmutrace_issuer_failed_calls_total", "counter",
	     "arm_smmu_cmdq_issue_cmdlist calls that returned an error.");
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		if (s->have_stats)
			fprintf(f, "smmutrace_issuer_failed_calls_total{smmu=\"%s\"} %llu\n",
				label(l, sizeof(l), s->name),
				(unsigned long long)s->stats.failed_calls);
	}
	head(f, "smmutrace_commands_total", "counter", "Commands issued, by opcode class.");
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		for (int j = 0; s->have_stats && j < SMMU_OP_CLASSES; j++)
			fprintf(f, "smmutrace_commands_total{smmu=\"%s\",opcode=\"%s\"} %llu\n",
				label(l, sizeof(l), s->name), smmu_op_class_name(j),
				(unsigned long long)s->stats.ops[j]);
	}
	head(f, "smmutrace_cmd_sync_latency_seconds", "histogram",
	     "Time arm_smmu_cmdq_issue_cmdlist spent on calls ending in a CMD_SYNC.");
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);
		uint64_t cum = 0;

		if (!s->have_stats)
			continue;
		label(l, sizeof(l), s->name);
		/* bucket b holds [2^b, 2^(b+1)) ns */
		for (int b = 0; b < SMMU_LAT_BUCKETS; b++) {
			cum += s->stats.lat[b];
			fprintf(f, "smmutrace_cmd_sync_latency_seconds_bucket{smmu=\"%s\","
				"le=\"%.10g\"} %llu\n", l, (double)(1ULL << (b + 1)) / 1e9,
				(unsigned long long)cum);
		}
		fprintf(f, "smmutrace_cmd_sync_latency_seconds_bucket{smmu=\"%s\",le=\"+Inf\"} "
			"%llu\n", l, (unsigned long long)cum);
		fprintf(f, "smmutrace_cmd_sync_latency_seconds_sum{smmu=\"%s\"} %.9f\n", l,
			(double)s->stats.lat_sum_ns / 1e9);
		fprintf(f, "smmutrace_cmd_sync_latency_seconds_count{smmu=\"%s\"} %llu\n", l,
			(unsigned long long)cum);
	}
}

static void global_metrics(FILE *f, const struct engine *e, const struct run_info *ri)
{
	const struct smmu_ev_lost *lost = engine_lost(e);
	char l[4 * SMMU_FUNC_LEN];

	head(f, "smmutrace_suppressed_messages_total", "counter",
	     "Rate-limited driver messages that never reached the log.");
	for (int i = 0; i < engine_n_suppressed_funcs(e); i++) {
		uint64_t n;
		const char *fn = engine_suppressed_func(e, i, &n);

		fprintf(f, "smmutrace_suppressed_messages_total{function=\"%s\"} %llu\n",
			label(l, sizeof(l), fn), (unsigned long long)n);
	}
	head(f, "smmutrace_lost_records_total", "counter",
	     "Records the kernel side could not deliver, by reason.");
	fprintf(f, "smmutrace_lost_records_total{reason=\"ringbuf\"} %llu\n",
		(unsigned long long)lost->ringbuf);
	fprintf(f, "smmutrace_lost_records_total{reason=\"map_full\"} %llu\n",
		(unsigned long long)lost->map_full);
	fprintf(f, "smmutrace_lost_records_total{reason=\"atc_list_truncated\"} %llu\n",
		(unsigned long long)lost->truncated);
	if (ri->now_wall_ns) {
		head(f, "smmutrace_last_update_timestamp_seconds", "gauge",
		     "When smmutrace last wrote this file.");
		fprintf(f, "smmutrace_last_update_timestamp_seconds %.3f\n",
			(double)ri->now_wall_ns / 1e9);
	}
}

int prom_write(const char *path, const struct engine *e, const struct run_info *ri,
	       char *err, size_t errlen)
{
	struct outfile o;
	char tmp[256];
	FILE *f = NULL;
	int fd, ret;

	ret = outfile_open(&o, path, 0644, err, errlen);
	if (ret)
		return ret;
	fd = outfile_tmp(&o, tmp, sizeof(tmp), err, errlen);
	if (fd < 0) {
		outfile_close(&o);
		return fd;
	}
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		goto fail;
	}
	smmu_metrics(f, e);
	device_metrics(f, e);
	issuer_metrics(f, e);
	global_metrics(f, e, ri);
	if (fflush(f) || ferror(f)) {
		ret = -errno ?: -EIO;
		goto fail;
	}
	ret = outfile_commit(&o, fd, tmp, err, errlen);
	if (fclose(f) && !ret) {
		ret = -errno ?: -EIO;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	}
	outfile_close(&o);
	return ret;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	if (f)
		fclose(f);
	unlinkat(o.dirfd, tmp, 0);
	outfile_close(&o);
	return ret;
}
