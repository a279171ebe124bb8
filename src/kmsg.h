/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel-log parser: turns lines of dmesg, dmesg -T/-x/--time-format=iso,
 * journalctl -k (short, short-precise, short-iso, short-monotonic), syslog
 * kern.log, /dev/kmsg records, serial console captures and bare messages
 * into smmu_events.  The format is detected per line, so one input may mix
 * them.  This is the exact layer: text people paste (quoted, wrapped,
 * decorated) goes through intake.h first.
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

/* the first lines that looked like the driver's and could not be read */
#define KMSG_SAMPLES	5
#define KMSG_SAMPLE_LEN	160

struct kmsg_sample {
	uint32_t line;
	const char *expected;	/* the driver's format it started like; NULL = any */
	char text[KMSG_SAMPLE_LEN];
};

struct kmsg_stats {
	uint64_t lines;
	uint64_t messages;	/* lines that produced or continued an event */
	uint64_t malformed;	/* driver messages with values that could not be read */
	uint64_t unrecognized;	/* looked like the driver's, nothing could be read */
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
	uint32_t line;		/* source line of the message; 0 = the current one */
};

enum kmsg_pending { KP_NONE = 0, KP_SKIPPED, KP_EVTQ };

struct kmsg_parser {
	kmsg_emit_fn emit;
	void *ctx;
	int default_year;	/* for journalctl "short", which has no year */
	int in_kmsg_record;	/* previous line was a /dev/kmsg record */
	uint32_t bracket_lines;	/* "[...]" lines looked at for a host after them */
	bool host_after_bracket;	/* journalctl -o short-monotonic */
	uint32_t line_no;
	/* tests: clean lines found one memchr() at a time, the block scan's reference */
	bool plain_scan;
	/* a multi-line message being assembled */
	enum kmsg_pending pending;
	int pending_lines;	/* lines left before it is abandoned */
	int n_dw;
	struct smmu_event pev;
	/* an event sent at once; zero past its first ev_dirty bytes */
	struct smmu_event ev;
	size_t ev_dirty;
	struct kmsg_stats stats;
	int n_samples;
	struct kmsg_sample samples[KMSG_SAMPLES];
	char rec[KMSG_MAX_LINE];	/* an unescaped /dev/kmsg record */
};

enum kmsg_res {
	KMSG_NOISE = 0,		/* not the driver's */
	KMSG_OK,		/* a driver message: consumed */
	KMSG_MORE,		/* a driver message cut short: its text may go on */
	KMSG_UNRECOGNIZED,	/* looked like the driver's, could not be read */
};

enum kmsg_feed_flags {
	KMSG_FINAL = 1 << 0,	/* no more text will come: take what is there */
	KMSG_PROBE = 1 << 1,	/* classify only: nothing emitted or counted */
	KMSG_NOCONT = 1 << 2,	/* as a message of its own, not a continuation line */
};

enum kmsg_head {
	KMSG_HEAD_NONE = 0,	/* no timestamp or header at the start */
	KMSG_HEAD_TS,		/* one was found and decoded (lazily) */
	KMSG_HEAD_SKIP,		/* a /dev/kmsg dictionary line: nothing to parse */
};

void kmsg_parser_init(struct kmsg_parser *p, int default_year,
		      kmsg_emit_fn emit, void *ctx);
/* one line without its '\n'; may contain anything, including NUL bytes */
void kmsg_parse_line(struct kmsg_parser *p, const char *line, size_t len);
/* a message whose time is already known (printk:console from BPF) */
void kmsg_parse_message(struct kmsg_parser *p, const char *msg, size_t len,
			const struct kmsg_ts *ts, uint32_t cpu);
/* end of input: emit or count what is still pending */
void kmsg_parser_finish(struct kmsg_parser *p);

/*
 * For the intake layer.  kmsg_line_head() splits the timestamp or header a
 * raw line starts with from its message (buf, KMSG_MAX_LINE bytes, holds an
 * unescaped /dev/kmsg record).  kmsg_feed() parses one message and, if rd is
 * not NULL, says how it read.
 */
enum kmsg_head kmsg_line_head(struct kmsg_parser *p, const char *line, size_t len,
			      struct kmsg_ts *ts, const char **msg, size_t *msg_len,
			      char *buf);
/*
 * Clean lines in bulk, each parsed as kmsg_parse_line() would: stops before
 * the first line that needs the intake layer (no timestamp, quote bytes,
 * something between the timestamp and the message, a message cut short)
 * and returns the bytes consumed.  A driver message followed by the start of
 * another one on the same line is consumed; *rest then points at the other.
 */
size_t kmsg_parse_clean(struct kmsg_parser *p, const char *buf, size_t len,
			const char **rest, size_t *rest_len);
/* how a message read (for the intake's choices between readings of a text) */
struct kmsg_read {
	size_t used;		/* bytes the driver's message covered; 0 = a prefix only */
	bool clean;		/* every value read: none elided, mangled or unknown */
	bool whole;		/* MORE, yet complete as it is: a longer form may follow */
};

enum kmsg_res kmsg_feed(struct kmsg_parser *p, const char *msg, size_t len,
			const struct kmsg_ts *ts, uint32_t cpu, unsigned int flags,
			struct kmsg_read *rd);
/* the host a syslog or journal line names ("May 19 10:11:12 node7 kernel: ...") */
bool kmsg_line_host(const char *line, size_t len, char *host, size_t hlen);
/* decode a lazily found timestamp now */
void kmsg_ts_resolve(struct kmsg_ts *ts);
/* count a line that looked like the driver's and keep the first few */
void kmsg_note_unrecognized(struct kmsg_parser *p, uint32_t line, const char *text,
			    size_t len, const char *expected);

#endif /* SMMUTRACE_KMSG_H */
