// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the intake layer and the parser behind it: any
 * bytes, fed whole and then in pieces cut at places the input chooses, must
 * give the same events (a reader's buffer boundaries must not matter), and
 * every event must be well formed.  Under ASan and UBSan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"

#define MAX_EVENTS	512

struct sink {
	struct smmu_event ev[MAX_EVENTS];
	int n;
	int dropped;
};

static void collect(void *ctx, const struct smmu_event *ev)
{
	struct sink *s = ctx;

	/* strings stay inside their fields: the views rely on it */
	if (!memchr(ev->hdr.smmu, 0, sizeof(ev->hdr.smmu)))
		abort();
	if (ev->hdr.type == SMMU_EV_EVTQ &&
	    (ev->evtq.n_dw > 4 || !memchr(ev->evtq.client, 0, sizeof(ev->evtq.client))))
		abort();
	if (ev->hdr.type == SMMU_EV_SUPPRESSED &&
	    !memchr(ev->suppressed.func, 0, sizeof(ev->suppressed.func)))
		abort();
	if (ev->hdr.type == SMMU_EV_AER && !memchr(ev->aer.dev, 0, sizeof(ev->aer.dev)))
		abort();
	if (s->n == MAX_EVENTS) {
		s->dropped++;
		return;
	}
	s->ev[s->n++] = *ev;
}

static struct kmsg_parser parser;
static struct intake ik;

/* feed data in pieces ending at the given cuts, as a reader with small buffers would */
static void run(const uint8_t *data, size_t size, struct sink *out, unsigned int step)
{
	const char *s = (const char *)data;
	size_t off = 0, pending = 0;

	memset(out, 0, sizeof(*out));
	kmsg_parser_init(&parser, 2026, collect, out);
	intake_init(&ik, &parser);
	while (off < size) {
		size_t take = step ? (step + off) % 97 + 1 : size - off;

		if (take > size - off)
			take = size - off;
		pending += take;
		off += take;
		/* the bytes not consumed start an unfinished line: offered again */
		pending -= intake_block(&ik, s + off - pending, pending, false);
	}
	intake_block(&ik, s + off - pending, pending, true);
	intake_finish(&ik);
	/* a line holding several glued messages counts once: its splits add the rest */
	if (parser.stats.messages > parser.stats.lines + ik.st.split + 1 ||
	    parser.n_samples > KMSG_SAMPLES)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sink whole, pieces;

	run(data, size, &whole, 0);
	run(data, size, &pieces, size ? data[0] : 1);
	if (whole.n != pieces.n)
		abort();
	for (int i = 0; i < whole.n; i++)
		if (memcmp(&whole.ev[i], &pieces.ev[i], sizeof(whole.ev[i])))
			abort();
	return 0;
}
