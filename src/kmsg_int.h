/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Internals shared by the kernel-log parser's two files: kmsg.c (lines,
 * timestamps, prefixes) and kmsg_body.c (message bodies into events).
 */
#ifndef SMMUTRACE_KMSG_INT_H
#define SMMUTRACE_KMSG_INT_H

#include "kmsg.h"
#include "textcur.h"

/* one message, its prefix already split off */
struct msg {
	struct cur body;
	const char *dev;	/* the device the prefix names; NULL = none */
	size_t dev_len;
	uint16_t flags;		/* SMMU_EVF_PLATFORM */
	const struct kmsg_ts *ts;
	uint32_t cpu;
	unsigned int feed;	/* enum kmsg_feed_flags */
	const char *start;	/* the whole message: what *used counts from */
	size_t used;
	bool more;		/* cut short: its text may go on in the next line */
	bool unclean;		/* a value was elided, mangled or not one the driver prints */
	bool whole;		/* held only for a longer form ("CMD_SYNC timeout" + " at") */
};

static inline bool probing(const struct msg *m)
{
	return m->feed & KMSG_PROBE;
}

static inline bool final_text(const struct msg *m)
{
	return m->feed & KMSG_FINAL;
}

/* a body after an arm-smmu-v3 prefix (smmu) or with no prefix at all */
enum kmsg_res kmsg_body(struct kmsg_parser *p, struct msg *m, bool smmu);
/* a body after another driver's "<driver> <device>: " prefix */
enum kmsg_res kmsg_other_driver(struct kmsg_parser *p, struct msg *m);
/* "arm_smmu_evtq_thread: 4 callbacks suppressed" */
enum kmsg_res kmsg_suppressed(struct kmsg_parser *p, struct msg *m);
/* a line that is none of the above while a multi-line message is open */
void kmsg_pending_noise(struct kmsg_parser *p);
void kmsg_flush_pending(struct kmsg_parser *p);
enum kmsg_res kmsg_unrecognized(struct kmsg_parser *p, struct msg *m, const char *expected);

#endif /* SMMUTRACE_KMSG_INT_H */
