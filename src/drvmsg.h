/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The arm-smmu-v3 driver's messages, as the kernel's own format strings
 * (drivers/iommu/arm-smmu-v3.c from 4.2, drivers/iommu/arm/arm-smmu-v3/
 * from 5.9, to 7.1; the ATC-timeout series' issuer line; one vendor
 * tree's variant), and one matcher that reads a message
 * body against them.  The log parser builds events from the values it
 * returns; the intake layer asks it whether a pasted line is a driver
 * message, a truncated one that may continue on the next line, or one
 * that starts like a driver message and then cannot be read.
 *
 * The matcher is forgiving the way pasted text needs: runs of blanks
 * match one blank, a value elided by hand ("0x…", "...", "??") is absent
 * rather than a mismatch, a mangled value is absent and flagged, and text
 * after the end of the format (a trailing comment) is left to the caller.
 * It never invents a value: what it cannot read is absent.
 * Pure: no I/O, no allocation.
 */
#ifndef SMMUTRACE_DRVMSG_H
#define SMMUTRACE_DRVMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum drv_msg_id {
	DRV_NONE = 0,
	DRV_CMDQ_ERROR,
	DRV_FETCH_RETRY,
	DRV_SKIPPING,
	DRV_SYNC_TIMEOUT,
	DRV_SYNC_TIMEOUT_OLD,
	DRV_CMDQ_TIMEOUT,
	DRV_CMDQ_TIMEOUT_CNT,
	DRV_UNKNOWN_OPCODE,
	DRV_CONVERT_SYNC,
	DRV_ATC_SYNC_FAIL,
	DRV_GERROR,
	DRV_SFM,
	DRV_GERROR_MSI,
	DRV_PRIQ_MSI,
	DRV_EVTQ_MSI,
	DRV_CMDQ_MSI,
	DRV_PRIQ_ABT,
	DRV_EVTQ_ABT,
	DRV_EVENT_HDR,
	DRV_EVENT_XLATE,
	DRV_EVENT_FETCH,
	DRV_EVENT_OTHER,
	DRV_EVENT_DETAIL,
	DRV_EVTQ_OVERFLOW,
	DRV_PRIQ_OVERFLOW,
	DRV_PRI_HDR,
	DRV_PRI_DETAIL,
	DRV_ALLOCATED,
	DRV_FEATURES,
	DRV_FEATURES_OAS,
	DRV_OPTION_MASK,
	DRV_CMDQV_ERROR,
	DRV_DWORD,
	DRV_MSG_MAX
};

enum drv_msg_flags {
	DRVF_CONT	= 1 << 0,	/* a continuation line: only right after its header */
	DRVF_IGNORE	= 1 << 1,	/* the driver's, but carries nothing we use */
};

struct drv_msg {
	enum drv_msg_id id;
	const char *fmt;	/* the kernel's format string, without its "\n" */
	unsigned int flags;
};

enum drv_match_st {
	DRVM_NONE = 0,		/* not this message */
	DRVM_BAD,		/* its first words, then something else */
	DRVM_PARTIAL,		/* the text ended inside the message */
	DRVM_FULL,		/* the whole message (text may follow) */
};

#define DRV_MAX_VALS	8

struct drv_val {
	bool have;		/* read; false when elided, mangled or not reached */
	bool mangled;		/* present but unreadable */
	/* the value, only when have (otherwise not even cleared) */
	uint64_t v;		/* numeric conversions */
	const char *s;		/* %s: the text, not terminated */
	size_t n;
};

struct drv_match {
	const struct drv_msg *msg;
	enum drv_match_st st;
	int n_val;		/* conversions in the format; val[] keeps the first DRV_MAX_VALS */
	struct drv_val val[DRV_MAX_VALS];
	size_t used;		/* bytes of text the format covered */
	bool elided;		/* "..." / "…" stood for part of it */
	bool mangled;		/* some value could not be read */
	/* drv_match() finding nothing: the message it came closest to */
	const struct drv_msg *near;
	size_t near_used;
};

/* the catalogue entry of a message, or NULL */
const struct drv_msg *drv_msg_get(enum drv_msg_id id);
/* match one message's format against text */
enum drv_match_st drv_match_one(const struct drv_msg *msg, const char *s, size_t n,
				struct drv_match *m);
/*
 * Best match of a message body over the catalogue: FULL before PARTIAL
 * before BAD, then the longest.  with_cont also tries continuation lines.
 */
enum drv_match_st drv_match(const char *s, size_t n, bool with_cont, struct drv_match *m);
/* the body holds a word only this driver prints (for counting what we miss) */
bool drv_has_token(const char *s, size_t n);
/* tests: walk literal text a byte at a time, the reference of its faster runs */
extern bool drv_bytewise_walk;
/* an elision at s: "...", "..", "…", "<...>", "[...]"; returns its length or 0 */
size_t drv_elision(const char *s, size_t n);

#endif /* SMMUTRACE_DRVMSG_H */
