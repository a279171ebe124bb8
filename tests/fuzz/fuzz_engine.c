// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: arbitrary event records (as a capture or a buggy BPF
 * program could deliver them) through the engine and both views.  Every
 * NDJSON line must parse as JSON, whatever the records held.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "engine.h"
#include "report.h"

/* one JSON object per line, each a complete document */
static void check_ndjson(struct obuf *o)
{
	char *line = o->buf, *end = o->buf + o->len;

	while (line < end) {
		char *nl = memchr(line, '\n', end - line);
		json_error_t err;
		json_t *j;

		if (!nl)
			abort();
		j = json_loadb(line, nl - line, JSON_DECODE_INT_AS_REAL, &err);
		if (!json_is_object(j)) {
			fprintf(stderr, "invalid NDJSON line: %s\n%.*s\n", err.text,
				(int)(nl - line), line);
			abort();
		}
		json_decref(j);
		line = nl + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_info ri = { .final = true };
	enum report_fmt fmt = (size & 1) ? FMT_JSON : FMT_TEXT;
	struct engine *e;
	struct report r;
	struct obuf o;

	obuf_init_mem(&o);
	report_init(&r, fmt, &o, "fuzz");
	e = engine_new(NULL, report_incident, &r);
	if (!e) {
		obuf_free(&o);
		return 0;
	}
	while (size > 2) {
		struct smmu_event ev;
		size_t n;

		memset(&ev, 0, sizeof(ev));
		/* a type from the known ones, then raw bytes over the record */
		ev.hdr.type = 1 + data[0] % (SMMU_EV_MAX - 1);
		n = smmu_event_size(ev.hdr.type);
		if (!n)
			n = sizeof(ev.hdr);
		n = n - 2 < size - 1 ? n - 2 : size - 1;
		memcpy((char *)&ev + 2, data + 1, n);
		/* what capture_next guarantees */
		ev.hdr.smmu[SMMU_NAME_LEN - 1] = '\0';
		ev.issue.comm[SMMU_COMM_LEN - 1] = '\0';
		ev.sid_map.dev[SMMU_DEV_LEN - 1] = '\0';
		ev.suppressed.func[SMMU_FUNC_LEN - 1] = '\0';
		ev.evtq.client[SMMU_DEV_LEN - 1] = '\0';
		ev.aer.dev[SMMU_DEV_LEN - 1] = '\0';
		ev.iopf.dev[SMMU_DEV_LEN - 1] = '\0';
		engine_feed(e, &ev);
		data += 1 + n;
		size -= 1 + n;
	}
	engine_finish(e);
	report_summary(&r, e, &ri);
	engine_free(e);
	if (fmt == FMT_JSON)
		check_ndjson(&o);
	obuf_free(&o);
	return 0;
}
