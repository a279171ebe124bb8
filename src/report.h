/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Views: what the engine found, as text or NDJSON.  Each format escapes
 * untrusted strings (device names, comm, log text) in exactly one place:
 * text_escape() for text, json_str() for JSON.
 */
#ifndef SMMUTRACE_REPORT_H
#define SMMUTRACE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"

#define SMMUTRACE_JSON_SCHEMA	1

enum report_fmt { FMT_TEXT = 0, FMT_JSON };

struct report_filter {
	const char *smmu;	/* NULL = any */
	const char *device;
	bool have_sid;
	uint32_t sid;
};

/* what the caller knows about the run, for headers and summaries */
struct run_info {
	const char *mode;	/* "replay", "live" */
	const char *host;
	int n_inputs;
	uint64_t lines;
	uint64_t messages;
	uint64_t malformed;
	uint64_t long_lines;
	uint64_t records;	/* capture records */
	bool truncated;
	bool final;
	/* live: the wall clock to stamp periodic records with */
	int64_t now_wall_ns;
	uint64_t now_mono_ns;
};

struct report {
	enum report_fmt fmt;
	FILE *out;
	enum src_kind source;
	const char *host;
	struct report_filter filt;
	uint64_t shown;
	uint64_t hidden;
	bool text_header;
	bool stream;		/* live: summary tables are periodic */
};

void report_init(struct report *r, enum report_fmt fmt, FILE *out, enum src_kind src,
		 const char *host);
/* engine callback: one settled incident */
void report_incident(void *ctx, const struct incident *inc);
void report_summary(struct report *r, const struct engine *e, const struct run_info *ri);
void report_lost(struct report *r, const struct smmu_ev_lost *lost, const struct run_info *ri);
bool report_filter_match(const struct report_filter *f, const struct incident *inc);

/* helpers shared by the views */
int fmt_rfc3339(int64_t wall_ns, char *buf, size_t len);
size_t text_escape(char *dst, size_t size, const char *s);
bool incident_position(const struct incident *inc, uint32_t *pos);
bool report_have_issuer_stats(const struct engine *e);

/* per-format views */
void text_incident(struct report *r, const struct incident *inc);
void text_summary(struct report *r, const struct engine *e, const struct run_info *ri);
void json_incident(struct report *r, const struct incident *inc);
void json_summary(struct report *r, const struct engine *e, const struct run_info *ri);
void json_lost(struct report *r, const struct smmu_ev_lost *lost, const struct run_info *ri);
/* Prometheus textfile, written atomically; 0 or -errno with err filled */
int prom_write(const char *path, const struct engine *e, const struct run_info *ri,
	       char *err, size_t errlen);

#endif /* SMMUTRACE_REPORT_H */
