// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * smmutrace replay: kernel logs and captures through the same engine and
 * views as live tracing.  Every event the engine sees can be recorded, so
 * a log turns into a capture that replays to the same report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "engine.h"
#include "inputs.h"
#include "kmsg.h"
#include "logread.h"
#include "main.h"
#include "outfile.h"
#include "util.h"

struct replay {
	struct engine *eng;
	struct report rep;
	struct run_info ri;
	struct capture_writer *rec;
	char set[33];		/* the last capture read: its rotated set and place */
	uint32_t seq;
};

/* every event on its way to the engine passes here, and only here */
static void deliver(struct replay *r, const struct smmu_event *ev)
{
	if (r->rec)
		capture_write(r->rec, ev);	/* a failure sticks; close_record says it */
	engine_feed(r->eng, ev);
}

static void feed(void *ctx, const struct smmu_event *ev)
{
	deliver(ctx, ev);
}

static int replay_log(struct replay *r, struct input *in)
{
	struct kmsg_parser p;
	int err;

	engine_set_source(r->eng, SRC_LOG);
	kmsg_parser_init(&p, env.year ? env.year : current_year(), feed, r);
	err = input_parse_log(in, &p);
	r->ri.lines += p.stats.lines;
	r->ri.messages += p.stats.messages;
	r->ri.malformed += p.stats.malformed;
	r->ri.long_lines += p.stats.long_lines;
	if (in->saw_nul && !p.stats.messages)
		fprintf(stderr, "smmutrace: %s: binary data, no kernel log messages found\n",
			in->name);
	if (err)
		fprintf(stderr, "smmutrace: %s: %s%s\n", in->name, in->errmsg,
			in->err == EPIPE ? "; the report covers what was read" : "");
	return err;
}

static void describe_capture(const struct input *in, const struct capture_meta *m)
{
	char t[64] = "unknown time";

	if (m->created_wall_ns)
		fmt_rfc3339(m->created_wall_ns, t, sizeof(t));
	fprintf(stderr, "smmutrace: %s: capture by %s of %s (kernel %s, %s), source %s, "
		"recorded %s\n", in->name, m->tool[0] ? m->tool : "?",
		m->host[0] ? m->host : "unknown host", m->kernel[0] ? m->kernel : "unknown",
		m->arch[0] ? m->arch : "unknown arch", m->source, t);
}

static int replay_capture(struct replay *r, struct input *in)
{
	struct capture_meta *m = calloc(1, sizeof(*m));
	struct smmu_event ev;
	char err[256];
	bool cont;
	int st;

	if (!m)
		return -ENOMEM;
	engine_set_source(r->eng, SRC_CAPTURE);
	st = capture_read_header(in, m, err, sizeof(err));
	if (st) {
		fprintf(stderr, "smmutrace: %s: %s\n", in->name, err);
		free(m);
		return st;
	}
	if (env.verbose)
		describe_capture(in, m);
	/* right after its predecessor, a rotated file's carried state is a repeat */
	cont = r->set[0] && !strcmp(m->set, r->set) && m->seq == r->seq + 1;
	str_copy(r->set, sizeof(r->set), m->set);
	r->seq = m->seq;
	free(m);
	while ((st = capture_next(in, &ev, err, sizeof(err))) == CAP_OK) {
		if ((ev.hdr.flags & SMMU_EVF_CARRIED) && cont)
			continue;
		ev.hdr.flags &= ~SMMU_EVF_CARRIED;
		r->ri.records++;
		deliver(r, &ev);
	}
	if (st == CAP_END)
		return 0;
	fprintf(stderr, "smmutrace: %s: %s (%llu records read)\n", in->name, err,
		(unsigned long long)r->ri.records);
	r->ri.truncated = true;
	return st == CAP_TRUNCATED ? -EPIPE : -EINVAL;
}

static int replay_one(struct replay *r, const char *path)
{
	const void *head;
	struct input in;
	size_t n;
	int err;

	err = input_open(&in, path);
	if (err) {
		fprintf(stderr, "smmutrace: %s: %s\n", path, in.errmsg);
		return err;
	}
	n = input_peek(&in, &head, CAPTURE_MAGIC_LEN);
	if (!n && !in.err) {
		/* nothing to attribute is fine; no input at all is a mistake */
		fprintf(stderr, "smmutrace: %s: file is empty\n", path);
		input_close(&in);
		return -ENODATA;
	}
	if (!capture_is_magic(head, n) && n >= 6 && !memcmp(head, CAPTURE_MAGIC, 6)) {
		fprintf(stderr, "smmutrace: %s: not a smmutrace capture (bad magic), "
			"and not a kernel log either\n", path);
		input_close(&in);
		return -EINVAL;
	}
	if (capture_is_magic(head, n)) {
		err = replay_capture(r, &in);
	} else {
		err = replay_log(r, &in);
		if (err)
			r->ri.truncated = true;
	}
	input_close(&in);
	return err;
}

static int open_record(struct replay *r)
{
	struct capture_meta *m = malloc(sizeof(*m));
	char err[256], source[sizeof(m->source)];
	size_t off;

	if (!m)
		return -ENOMEM;
	off = snprintf(source, sizeof(source), "replay:");
	for (int i = 0; i < env.n_files && off < sizeof(source); i++)
		off += snprintf(source + off, sizeof(source) - off, "%s%s",
				i ? "," : "", env.files[i]);
	capture_meta_init(m, "smmutrace " SMMUTRACE_VERSION, source);
	r->rec = capture_create(env.record, env.force, m, err, sizeof(err));
	free(m);
	if (r->rec && env.record_size &&
	    capture_set_rotation(r->rec, env.record_size, env.record_files, err, sizeof(err))) {
		capture_close(r->rec, NULL, 0);
		r->rec = NULL;
	}
	if (!r->rec) {
		fprintf(stderr, "smmutrace: --record %s\n", err);
		return -EIO;
	}
	return 0;
}

static int close_record(struct replay *r)
{
	char err[256];
	int ret;

	if (!r->rec)
		return 0;
	ret = capture_close(r->rec, err, sizeof(err));
	if (ret)
		fprintf(stderr, "smmutrace: --record %s\n", err);
	r->rec = NULL;
	return ret;
}

int cmd_replay(void)
{
	const char *files[MAX_INPUTS];
	struct replay r = { 0 };
	struct engine_opts o;
	int failed = 0, n;
	char err[256];

	/* before any output exists: none may replace an input */
	n = inputs_prepare(env.files, env.n_files, files, &failed);
	if (n < 0) {
		fprintf(stderr, "smmutrace: %s\n", strerror(-n));
		return EXIT_RUNTIME;
	}
	if (env.prom && outfile_preflight(env.prom, 0644, err, sizeof(err))) {
		fprintf(stderr, "smmutrace: --prom %s\n", err);
		return EXIT_RUNTIME;
	}
	report_init(&r.rep, env.json ? FMT_JSON : FMT_TEXT, stdout, SRC_LOG, host_name());
	r.rep.filt = env.filt;
	engine_default_opts(&o);
	r.eng = engine_new(&o, report_incident, &r.rep);
	if (!r.eng) {
		fprintf(stderr, "smmutrace: out of memory\n");
		return EXIT_RUNTIME;
	}
	if (env.record && open_record(&r)) {
		engine_free(r.eng);
		return EXIT_RUNTIME;
	}
	r.ri.mode = "replay";
	r.ri.host = host_name();
	r.ri.n_inputs = n;
	for (int i = 0; i < n; i++)
		failed += replay_one(&r, files[i]) != 0;
	engine_finish(r.eng);
	r.ri.final = true;
	report_summary(&r.rep, r.eng, &r.ri);
	failed += close_record(&r) != 0;
	if (env.prom && prom_write(env.prom, r.eng, &r.ri, err, sizeof(err))) {
		fprintf(stderr, "smmutrace: --prom %s\n", err);
		failed++;
	}
	engine_free(r.eng);
	return failed ? EXIT_RUNTIME : EXIT_OK;
}
