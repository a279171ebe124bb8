/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel-log parser: turns lines of dmesg, dmesg -T/-x/--time-format=iso,
 * journalctl -k (short, short-precise, short-iso), syslog kern.log,
 * /dev/kmsg records, serial console captures and bare pasted messages into
 * smmu_events.  The format is detected per line, so one input may mix them.
 * Pure: no I/O, the caller feeds lines and receives events by callback.
 */
#ifndef SMMUTRACE_KMSG_H
#define SMMUTRACE_KMSG_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"

typedef void (*kmsg_emit_fn)(void *ctx, const struct smmu_event *ev);

/* a line longer than this cannot be one of the driver's messages */
#define KMSG_MAX_LINE	4096

struct kmsg_stats {
	uint64_t lines;
	uint64_t messages;	/* lines that produced or continued an event */
	uint64_t malformed;	/* looked like a driver message but did not parse */
	uint64_t long_lines;	/* longer than KMSG_MAX_LINE, not parsed */
	uint64_t incomplete;	/* multi-line messages cut short */
};

struct kmsg_ts {
	uint64_t mono_ns;
	int64_t wall_ns;
	uint16_t flags;		/* SMMU_EVF_MONO / SMMU_EVF_WALL */
	/* a "[...]" prefix decoded only if the line turns out to matter */
	const char *lazy;
	size_t lazy_len;
};

enum kmsg_pending { KP_NONE = 0, KP_SKIPPED, KP_EVTQ };

struct kmsg_parser {
	kmsg_emit_fn emit;
	void *ctx;
	int default_year;	/* for journalctl "short", which has no year */
	int in_kmsg_record;	/* previous line was a /dev/kmsg record */
	uint32_t line_no;
	/* a multi-line message being assembled */
	enum kmsg_pending pending;
	int pending_lines;	/* lines left before it is abandoned */
	int n_dw;
	struct smmu_event pev;
	struct kmsg_stats stats;
};

void kmsg_parser_init(struct kmsg_parser *p, int default_year,
		      kmsg_emit_fn emit, void *ctx);
/* one line without its '\n'; may contain anything, including NUL bytes */
void kmsg_parse_line(struct kmsg_parser *p, const char *line, size_t len);
/*
 * Every complete line of buf; with final, also a last line without '\n'.
 * Returns the bytes consumed (the rest starts an unfinished line).
 */
size_t kmsg_parse_block(struct kmsg_parser *p, const char *buf, size_t len, bool final);
/* a message whose time is already known (printk:console from BPF) */
void kmsg_parse_message(struct kmsg_parser *p, const char *msg, size_t len,
			const struct kmsg_ts *ts, uint32_t cpu);
/* end of input: emit or count what is still pending */
void kmsg_parser_finish(struct kmsg_parser *p);

#endif /* SMMUTRACE_KMSG_H */
