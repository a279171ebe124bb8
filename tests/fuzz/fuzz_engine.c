// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: arbitrary event records (as a capture or a buggy BPF
 * program could deliver them) through the engine and both views.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "engine.h"
#include "report.h"

static FILE *sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_info ri = { .final = true };
	struct engine *e;
	struct report r;

	if (!sink)
		sink = fopen("/dev/null", "w");
	report_init(&r, (size & 1) ? FMT_JSON : FMT_TEXT, sink, SRC_CAPTURE, "fuzz");
	e = engine_new(NULL, report_incident, &r);
	if (!e)
		return 0;
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
	return 0;
}
