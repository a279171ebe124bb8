// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The parser side of replay alone: read, intake and parse a log, the events
 * only counted.  bench/parse.sh times it against grep -c on the same file;
 * the line and event counts it prints let a run be checked against replay.
 *   bench_parse LOG [REPEAT]
 */
#include <stdio.h>
#include <stdlib.h>

#include "intake.h"
#include "logread.h"

static void count(void *ctx, const struct smmu_event *ev)
{
	(*(unsigned long *)ctx)++;
}

int main(int argc, char **argv)
{
	static struct kmsg_parser kp;
	static struct intake ik;
	unsigned long events = 0;
	struct input in;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s LOG\n", argv[0]);
		return 2;
	}
	if (input_open(&in, argv[1])) {
		fprintf(stderr, "%s: %s\n", argv[1], in.errmsg);
		return 1;
	}
	kmsg_parser_init(&kp, 2026, count, &events);
	intake_init(&ik, &kp);
	err = input_parse_log(&in, &ik);
	if (err)
		fprintf(stderr, "%s: %s\n", argv[1], in.errmsg);
	input_close(&in);
	printf("%lu lines, %lu messages, %lu events\n", (unsigned long)kp.stats.lines,
	       (unsigned long)kp.stats.messages, events);
	return err ? 1 : 0;
}
