// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "capset.h"

static bool in_set(const struct capset_entry *e)
{
	return e->set[0] != '\0';
}

/* the first earlier entry e[i] repeats, or -1 */
static int repeat_of(const struct capset_entry *e, const bool *skip, int i,
		     enum capset_note_kind *kind)
{
	for (int j = 0; j < i; j++) {
		if (skip[j])
			continue;
		if (e[i].have_id && e[j].have_id && e[i].dev == e[j].dev &&
		    e[i].ino == e[j].ino) {
			*kind = CAPSET_REPEAT;
			return j;
		}
		if (in_set(&e[i]) && !strcmp(e[i].set, e[j].set) && e[i].seq == e[j].seq) {
			*kind = CAPSET_SAME_SEQ;
			return j;
		}
	}
	return -1;
}

/* sort one set's entries (indexes) by seq: at most a few dozen, insertion sort */
static void sort_by_seq(const struct capset_entry *e, int *idx, int n)
{
	for (int i = 1; i < n; i++) {
		int v = idx[i], j = i;

		for (; j > 0 && e[idx[j - 1]].seq > e[v].seq; j--)
			idx[j] = idx[j - 1];
		idx[j] = v;
	}
}

/* the set members among order[], sorted into the places they took */
static void order_set(const struct capset_entry *e, int *order, int n, int first,
		      bool *done, int *gaps, capset_note_fn note, void *ctx)
{
	int *pos = malloc(n * sizeof(*pos)), *idx = malloc(n * sizeof(*idx)), m = 0;
	struct capset_note nt;

	if (!pos || !idx)
		goto out;
	for (int k = first; k < n; k++) {
		if (!strcmp(e[order[k]].set, e[order[first]].set)) {
			pos[m] = k;
			idx[m++] = order[k];
		}
	}
	sort_by_seq(e, idx, m);
	for (int k = 0; k < m; k++) {
		order[pos[k]] = idx[k];
		done[pos[k]] = true;
		if (k && (uint64_t)e[idx[k]].seq > (uint64_t)e[idx[k - 1]].seq + 1) {
			nt = (struct capset_note){ CAPSET_GAP, idx[k], idx[k - 1],
						   e[idx[k - 1]].seq + 1, e[idx[k]].seq - 1 };
			(*gaps)++;
			if (note)
				note(ctx, &nt, e);
		}
	}
out:
	free(pos);
	free(idx);
}

int capset_order(const struct capset_entry *e, int n, int *order, int *gaps,
		 capset_note_fn note, void *ctx)
{
	bool *skip = calloc(n ? n : 1, sizeof(*skip)), *done = calloc(n ? n : 1, sizeof(*done));
	struct capset_note nt;
	int m = 0;

	*gaps = 0;
	if (!skip || !done) {
		for (int i = 0; i < n; i++)
			order[i] = i;
		m = n;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		enum capset_note_kind kind;
		int j = repeat_of(e, skip, i, &kind);

		if (j >= 0) {
			skip[i] = true;
			nt = (struct capset_note){ kind, i, j, 0, 0 };
			if (note)
				note(ctx, &nt, e);
			continue;
		}
		order[m++] = i;
	}
	for (int k = 0; k < m; k++)
		if (!done[k] && in_set(&e[order[k]]))
			order_set(e, order, m, k, done, gaps, note, ctx);
out:
	free(skip);
	free(done);
	return m;
}
