/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who wrote a kernel log message: the kernel, or user space through
 * /dev/kmsg.  Anything that may open /dev/kmsg for writing (root, or any
 * process given the device) can print a line that reads exactly like the
 * driver's; counted as one, it would be a forged incident.
 *
 * - /dev/kmsg records carry "PRI,SEQ,USEC,FLAGS;" with PRI = facility << 3
 *   | level.  The kernel's own messages have facility 0 (kern); a write to
 *   /dev/kmsg gets facility 1 (user) unless its "<N>" prefix names
 *   another, and devkmsg_write() never lets it claim 0 ("<0>" and "<3>"
 *   both become facility 1, measured on 6.18).
 * - The printk:console tracepoint passes only the text.  There the BPF
 *   program looks at its own call stack: a message from user space was
 *   printed under devkmsg_write() (devkmsg_emit(), and their .cold and
 *   .constprop clones); kernel messages never are.  The address ranges of
 *   those functions come from /proc/kallsyms.
 *
 * Pure: the caller reads the records and kallsyms.
 */
#ifndef SMMUTRACE_ORIGIN_H
#define SMMUTRACE_ORIGIN_H

#include <stddef.h>
#include <stdint.h>

#define ORIGIN_FAC_KERN		0
#define ORIGIN_MAX_RANGES	4	/* devkmsg_write, devkmsg_emit and clones */

/* the facility of a /dev/kmsg record ("PRI,SEQ,..."), or -1 if it is not one */
int origin_kmsg_facility(const char *rec, size_t len);

struct origin_ranges {
	int n;
	uint64_t lo[ORIGIN_MAX_RANGES];
	uint64_t hi[ORIGIN_MAX_RANGES];		/* exclusive; 0 = not known yet */
};

/*
 * One /proc/kallsyms line, in file order ("ADDR TYPE NAME [MODULE]"): a
 * devkmsg_* text symbol starts a range, the next higher address ends it.
 * Addresses shown as 0 (kptr_restrict) start nothing.
 */
void origin_kallsyms_line(struct origin_ranges *r, const char *line);
/* ranges whose end was never seen are dropped; returns how many remain */
int origin_ranges_finish(struct origin_ranges *r);

#endif /* SMMUTRACE_ORIGIN_H */
