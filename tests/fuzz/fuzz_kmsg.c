// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: arbitrary bytes as a kernel log, through the intake
 * layer, the parser, the engine and both views, under ASan and UBSan.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"
#include "intake.h"
#include "kmsg.h"
#include "report.h"

static void feed(void *ctx, const struct smmu_event *ev)
{
	engine_feed(ctx, ev);
}

static void run(const uint8_t *data, size_t size, enum report_fmt fmt)
{
	struct report_filter none = { 0 };
	struct run_info ri = { .final = true };
	static struct kmsg_parser p;
	static struct intake ik;
	struct engine *e;
	struct report r;
	struct obuf o;

	obuf_init_mem(&o);
	report_init(&r, fmt, &o, "fuzz");
	r.filt = none;
	e = engine_new(NULL, report_incident, &r);
	if (!e) {
		obuf_free(&o);
		return;
	}
	kmsg_parser_init(&p, 2026, feed, e);
	intake_init(&ik, &p);
	intake_block(&ik, (const char *)data, size, true);
	intake_finish(&ik);
	engine_finish(e);
	report_summary(&r, e, &ri);
	engine_free(e);
	obuf_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, FMT_JSON);
	run(data, size, FMT_TEXT);
	return 0;
}
