/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Views: what the engine found, as text, NDJSON or Prometheus metrics.
 * A one-way layer under the engine's API: views read the engine and the
 * run's facts and write to an output buffer; they call nothing above them.
 * Each format escapes untrusted strings (device names, comm, log text) in
 * exactly one place: text_escape() (fmt.c) for text, the JSON writer
 * (jsonw.c) for NDJSON, label() (out_prom.c) for metrics.
 */
#ifndef SMMUTRACE_VIEWS_H
#define SMMUTRACE_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "obuf.h"

#define SMMUTRACE_JSON_SCHEMA	1

/* a line that looked like the driver's and could not be read */
#define RUN_SAMPLES	5

struct run_sample {
	const char *input;	/* file name; NULL for live */
	uint32_t line;
	const char *expected;	/* the driver's format it started like; NULL = any */
	char text[160];
};

/* what the caller knows about the run, for headers and summaries */
struct run_info {
	const char *mode;	/* "replay", "live" */
	const char *host;
	int n_inputs;
	uint64_t lines;
	uint64_t messages;
	uint64_t malformed;	/* read, with values that could not be */
	uint64_t unrecognized;	/* looked like the driver's, could not be read */
	uint64_t long_lines;
	uint64_t records;	/* capture records */
	bool truncated;
	bool final;
	/* live: the wall clock to stamp periodic records with */
	int64_t now_wall_ns;
	uint64_t now_mono_ns;
	int n_samples;
	struct run_sample samples[RUN_SAMPLES];
};

/* what rate-limited lines stood for, by the function the kernel names */
enum suppressed_kind { SUPP_CMDQ = 0, SUPP_EVENTS, SUPP_OTHER, SUPP_KINDS };

struct report_filter {
	const char *smmu;	/* NULL = any */
	const char *device;
	bool have_sid;
	uint32_t sid;
};

/* one output stream and what its views remember between records */
struct view {
	struct obuf *out;
	const struct report_filter *filt;	/* event rows and records; NULL = all */
	const char *host;
	uint64_t shown;		/* incidents written */
	uint64_t hidden;	/* incidents the filters kept out */
	bool text_header;
	/* what the shown incidents said, for the text view's next steps */
	uint64_t not_told;	/* the issuer's CMD_SYNC returned 0 */
	bool issuer_evidence;	/* an issuer record or a queue walk named devices */
};

/* helpers shared by the views (views.c) */
void incident_skipped_text(const struct incident *inc, char *buf, size_t len);
enum suppressed_kind suppressed_kind(const char *func);
uint64_t suppressed_of_kind(const struct engine *e, enum suppressed_kind kind);
/* an event record's device: the client the kernel printed, else the SID's */
const char *event_device(const struct engine *e, const char *host, const char *smmu,
			 const char *client, bool have_sid, uint32_t sid);
/* "node7/arm-smmu-v3.0.auto" for a row of a replay of several machines, else the name */
const char *host_qualified(char *buf, size_t len, const char *host, const char *name);
/* an event record or row the filters keep */
bool view_event_shown(const struct view *v, const char *smmu, bool have_sid, uint32_t sid,
		      const char *dev);

void text_incident(struct view *v, const struct incident *inc);
void text_summary(struct view *v, const struct engine *e, const struct run_info *ri);
void text_lost(struct view *v, const struct smmu_ev_lost *lost);
/* after the final summary: per SMMU with incidents, what to look at next (out_next.c) */
void text_next_steps(struct view *v, const struct engine *e);
void json_incident(struct view *v, const struct incident *inc);
void json_summary(struct view *v, const struct engine *e, const struct run_info *ri);
void json_lost(struct view *v, const struct smmu_ev_lost *lost, const struct run_info *ri);
/* one event-queue record, after the engine took it (it may name the SID's device) */
void json_event(struct view *v, const struct engine *e, const struct smmu_event *ev);
/* node_exporter textfile metrics, the whole file */
void prom_render(struct obuf *o, const struct engine *e, const struct run_info *ri);
/* ... written next to path and renamed over it; 0 or -errno with err filled */
int prom_write(const char *path, const struct engine *e, const struct run_info *ri,
	       char *err, size_t errlen);

#endif /* SMMUTRACE_VIEWS_H */
