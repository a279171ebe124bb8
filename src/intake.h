/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The forgiving intake of log text: recovers the driver's messages from
 * what people paste (mail quotes, indentation, quoted-printable, lines
 * re-wrapped by mailers and terminals, prefixes between the timestamp and
 * the message, serial-console noise, hand edits) and hands each one to
 * the exact parser (kmsg.h) as a clean message.  Clean logs take a fast
 * path: every recovery sits behind a check of one or two bytes, or runs
 * only on lines that already look like the driver's.
 * Pure: no I/O, no allocation; the caller feeds lines.
 */
#ifndef SMMUTRACE_INTAKE_H
#define SMMUTRACE_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmsg.h"

/* what was recovered, line by line */
struct intake_stats {
	uint64_t quoted;	/* quote markers or indentation removed */
	uint64_t qp;		/* quoted-printable soft line breaks joined */
	uint64_t joined;	/* wrapped lines put back together */
	uint64_t split;		/* one line holding the start of the next message */
	uint64_t decorated;	/* caller ids, vendor prefixes, headers removed */
	uint64_t noise;		/* console noise before a timestamp */
	uint64_t elsewhere;	/* a driver message after other text */
	uint64_t foreign;	/* another OS's lines (Xen) left alone */
};

struct intake {
	struct kmsg_parser *p;
	struct intake_stats st;
	bool pasted;		/* signs of pasting seen: look harder at every line */
	bool qp;		/* quoted-printable: decode =XX */
	bool qp_open;		/* a soft line break is being joined */
	bool holding;		/* a message whose text may go on in the next line */
	bool held_body;		/* ... past its "arm-smmu-v3 <dev>: " prefix */
	bool have_carry;	/* a timestamp left at the end of the previous line */
	bool busy;		/* any of the above: no fast path */
	bool slow_only;		/* tests: every line the slow way, the fast path's reference */
	size_t qp_len, held_len;
	struct kmsg_ts held_ts, carry;
	char qpbuf[KMSG_MAX_LINE];
	char held[KMSG_MAX_LINE];
	char clean[KMSG_MAX_LINE];
	char rec[KMSG_MAX_LINE];
};

void intake_init(struct intake *ik, struct kmsg_parser *p);
/* one physical line, without its '\n' */
void intake_line(struct intake *ik, const char *line, size_t len);
/* every complete line of buf (with final, the last one too); returns bytes consumed */
size_t intake_block(struct intake *ik, const char *buf, size_t len, bool final);
/* end of input: what is held is read as it is, then the parser finishes */
void intake_finish(struct intake *ik);

#endif /* SMMUTRACE_INTAKE_H */
