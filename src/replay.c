// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * smmutrace replay: kernel logs (and captures) through the same engine and
 * views as live tracing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "kmsg.h"
#include "logread.h"
#include "main.h"

struct replay {
	struct engine *eng;
	struct report rep;
	struct run_info ri;
};

static void feed(void *ctx, const struct smmu_event *ev)
{
	struct replay *r = ctx;

	engine_feed(r->eng, ev);
}

static int replay_log(struct replay *r, struct input *in)
{
	struct kmsg_parser p;
	int err;

	kmsg_parser_init(&p, env.year ? env.year : current_year(), feed, r);
	err = input_parse_log(in, &p);
	r->ri.lines += p.stats.lines;
	r->ri.messages += p.stats.messages;
	r->ri.malformed += p.stats.malformed;
	r->ri.long_lines += p.stats.long_lines;
	if (in->saw_nul && !p.stats.messages)
		fprintf(stderr, "smmutrace: %s: binary data, no kernel log messages found\n",
			in->name);
	return err;
}

static int replay_one(struct replay *r, const char *path)
{
	struct input in;
	int err;

	err = input_open(&in, path);
	if (err) {
		fprintf(stderr, "smmutrace: %s: %s\n", path, in.errmsg);
		return err;
	}
	err = replay_log(r, &in);
	if (err) {
		fprintf(stderr, "smmutrace: %s: %s%s\n", path, in.errmsg,
			in.err == EPIPE ? "; the report covers what was read" : "");
		r->ri.truncated = true;
	}
	input_close(&in);
	return err;
}

int cmd_replay(void)
{
	struct replay r = { 0 };
	struct engine_opts o;
	int failed = 0;

	report_init(&r.rep, env.json ? FMT_JSON : FMT_TEXT, stdout, SRC_LOG, host_name());
	r.rep.filt = env.filt;
	engine_default_opts(&o);
	o.source = SRC_LOG;
	r.eng = engine_new(&o, report_incident, &r.rep);
	if (!r.eng) {
		fprintf(stderr, "smmutrace: out of memory\n");
		return EXIT_RUNTIME;
	}
	r.ri.mode = "replay";
	r.ri.host = host_name();
	r.ri.n_inputs = env.n_files;
	for (int i = 0; i < env.n_files; i++)
		failed += replay_one(&r, env.files[i]) != 0;
	engine_finish(r.eng);
	r.ri.final = true;
	report_summary(&r.rep, r.eng, &r.ri);
	engine_free(r.eng);
	return failed ? EXIT_RUNTIME : EXIT_OK;
}
