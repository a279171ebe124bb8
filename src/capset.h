/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Rotated capture sets (--record-size/--record-files): the files of one
 * run share a random set id and number themselves from 0.  Replay may be
 * given them in any order (a shell glob sorts NAME.10 before NAME.2), more
 * than once, or with a file missing: this puts each set's files in their
 * recorded order, in the places the set's files took on the command line,
 * drops repeats and names the gaps.  Pure: the caller reads the headers.
 */
#ifndef SMMUTRACE_CAPSET_H
#define SMMUTRACE_CAPSET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct capset_entry {
	const char *name;	/* for messages */
	bool have_id;		/* dev/ino known (a file, not a pipe) */
	dev_t dev;
	ino_t ino;
	char set[33];		/* "" = not part of a rotated set (a log, an old capture) */
	uint32_t seq;
};

enum capset_note_kind {
	CAPSET_REPEAT,		/* the same file again: a = its first place */
	CAPSET_SAME_SEQ,	/* another copy of one file of a set: a = the first copy */
	CAPSET_GAP,		/* a missing middle: files seq a+1 .. b-1 between a and b */
};

struct capset_note {
	enum capset_note_kind kind;
	int entry;		/* the entry skipped, or the one after the gap */
	int other;		/* the first copy, or the one before the gap */
	uint32_t first, last;	/* CAPSET_GAP: the seqs missing */
};

typedef void (*capset_note_fn)(void *ctx, const struct capset_note *note,
			       const struct capset_entry *e);

/*
 * order[] gets the entries to read, as indexes into e[], and the count is
 * returned; repeats are left out.  note is called for every repeat and
 * gap; *gaps counts the gaps.
 */
int capset_order(const struct capset_entry *e, int n, int *order, int *gaps,
		 capset_note_fn note, void *ctx);

#endif /* SMMUTRACE_CAPSET_H */
