// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"
#include "util.h"

/* the first failure of stdout ends what the run can report: say it once */
static void check_out(struct pipeline *p)
{
	int err = obuf_error(&p->out);

	if (!err || p->out_err)
		return;
	/* the reading thread asks pipeline_out_failed() meanwhile */
	__atomic_store_n(&p->out_err, err, __ATOMIC_RELAXED);
	p->failed = true;
	p_err("stdout: %s", strerror(-err));
}

static void on_incident(void *ctx, const struct incident *inc)
{
	struct pipeline *p = ctx;

	report_incident(&p->rep, inc);
	check_out(p);
}

int pipeline_init(struct pipeline *p, const struct options *o, enum src_kind src,
		  const char *mode)
{
	struct engine_opts eo;

	memset(p, 0, sizeof(*p));
	p->opt = o;
	obuf_init_fd(&p->out, STDOUT_FILENO);
	report_init(&p->rep, o->json ? FMT_JSON : FMT_TEXT, &p->out, host_name());
	p->rep.filt = o->filt;
	p->ri.mode = mode;
	p->ri.host = host_name();
	p->ri.n_inputs = o->n_files;
	engine_default_opts(&eo);
	eo.source = src;
	p->eng = engine_new(&eo, on_incident, p);
	if (!p->eng || obuf_error(&p->out)) {
		p_err("out of memory");
		return -ENOMEM;
	}
	return 0;
}

int pipeline_record(struct pipeline *p, const struct capture_meta *m)
{
	const struct options *o = p->opt;
	char err[300];

	if (!o->record)
		return 0;
	p->rec = capture_create(o->record, o->force, m, err, sizeof(err));
	if (p->rec && o->record_size &&
	    capture_set_rotation(p->rec, o->record_size, o->record_files, err, sizeof(err))) {
		capture_close(p->rec, NULL, 0);
		p->rec = NULL;
	}
	if (!p->rec) {
		p_err("--record %s", err);
		return -EIO;
	}
	return 0;
}

/* a failed capture stops recording, never the run: what is in it stays readable */
static void check_record(struct pipeline *p, int err)
{
	if (!err || p->rec_err)
		return;
	p->rec_err = err;
	p->failed = true;
	p_err("--record %s; recording stopped, the capture holds what came before",
	      capture_errmsg(p->rec));
}

static void deliver(void *ctx, const struct smmu_event *ev)
{
	struct pipeline *p = ctx;

	if (p->rec && !p->rec_err)
		check_record(p, capture_write(p->rec, ev));
	engine_feed(p->eng, ev);
	if (ev->hdr.type == SMMU_EV_EVTQ) {
		report_event(&p->rep, p->eng, ev);
		check_out(p);
	}
}

void pipeline_deliver(struct pipeline *p, const struct smmu_event *ev)
{
	if (p->q)
		evq_push(p->q, ev);
	else
		deliver(p, ev);
}

void pipeline_async(struct pipeline *p)
{
	if (!p->q && sysconf(_SC_NPROCESSORS_ONLN) > 1)
		p->q = evq_start(deliver, p);
}

void pipeline_sync(struct pipeline *p)
{
	if (p->q)
		evq_drain(p->q);
}

/* back to one thread: the run's end reads what the consumer wrote */
static void join(struct pipeline *p)
{
	evq_stop(p->q);
	p->q = NULL;
}

void pipeline_set_source(struct pipeline *p, enum src_kind src)
{
	pipeline_sync(p);
	engine_set_source(p->eng, src);
}

void pipeline_flush(struct pipeline *p)
{
	pipeline_sync(p);
	if (p->rec && !p->rec_err)
		check_record(p, capture_flush(p->rec));
	obuf_flush(&p->out);
	check_out(p);
}

void pipeline_lost(struct pipeline *p, const struct smmu_ev_lost *lost)
{
	pipeline_sync(p);
	report_lost(&p->rep, lost, &p->ri);
	check_out(p);
}

void pipeline_unreadable(struct pipeline *p, const struct kmsg_sample *s, int n,
			 const char *input)
{
	struct run_info *ri = &p->ri;

	pipeline_sync(p);
	for (int i = 0; i < n && ri->n_samples < RUN_SAMPLES; i++) {
		struct run_sample *r = &ri->samples[ri->n_samples++];

		r->input = input;
		r->line = s[i].line;
		r->expected = s[i].expected;
		str_copy(r->text, sizeof(r->text), s[i].text);
	}
}

static void write_prom(struct pipeline *p)
{
	char err[300];
	int ret;

	if (!p->opt->prom)
		return;
	ret = prom_write(p->opt->prom, p->eng, &p->ri, err, sizeof(err));
	/* every interval tries again; a failure is news only when it changes */
	if (ret && ret != p->prom_err)
		p_err("--prom %s", err);
	if (ret)
		p->failed = true;
	p->prom_err = ret;
}

void pipeline_summary(struct pipeline *p)
{
	pipeline_sync(p);
	report_summary(&p->rep, p->eng, &p->ri);
	check_out(p);
	write_prom(p);
}

static void close_record(struct pipeline *p)
{
	char err[300];
	int ret;

	if (!p->rec)
		return;
	ret = capture_close(p->rec, err, sizeof(err));
	p->rec = NULL;
	if (ret && !p->rec_err) {
		p->failed = true;
		p_err("--record %s", err);
	}
}

int pipeline_finish(struct pipeline *p)
{
	join(p);
	engine_finish(p->eng);
	p->ri.final = true;
	pipeline_summary(p);
	obuf_flush(&p->out);
	check_out(p);
	close_record(p);
	return p->failed ? EXIT_RUNTIME : EXIT_OK;
}

void pipeline_free(struct pipeline *p)
{
	join(p);
	close_record(p);
	engine_free(p->eng);
	p->eng = NULL;
	obuf_free(&p->out);
}
