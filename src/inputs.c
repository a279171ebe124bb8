// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capset.h"
#include "capture.h"
#include "inputs.h"
#include "logread.h"
#include "outfile.h"
#include "util.h"

/* identity and, for a capture, its place in a rotated set */
static void describe(struct capset_entry *e, const char *path, struct capture_meta *m)
{
	const void *head;
	struct input in;
	struct stat st;
	char err[256];
	size_t n;

	memset(e, 0, sizeof(*e));
	e->name = path;
	if (!strcmp(path, "-")) {
		/* a pipe is read once, where it stands; a redirected file is still protected */
		outfile_protect_fd(STDIN_FILENO);
		return;
	}
	outfile_protect_path(path);
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	e->have_id = true;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	if (input_open(&in, path))
		return;
	n = input_peek(&in, &head, CAPTURE_MAGIC_LEN);
	if (capture_is_magic(head, n) && !capture_read_header(&in, m, err, sizeof(err))) {
		str_copy(e->set, sizeof(e->set), m->set);
		e->seq = m->seq;
	}
	input_close(&in);
}

static void note(void *ctx, const struct capset_note *nt, const struct capset_entry *e)
{
	const char *a = e[nt->entry].name, *b = e[nt->other].name;

	switch (nt->kind) {
	case CAPSET_REPEAT:
		p_info("%s: the same file as %s; read once", a, b);
		break;
	case CAPSET_SAME_SEQ:
		p_info("%s: a copy of %s (file #%u of one rotated capture); read once", a, b,
		       e[nt->entry].seq);
		break;
	case CAPSET_GAP:
		if (nt->first == nt->last)
			p_err("rotated capture: file #%u is missing between %s and %s", nt->first,
			      b, a);
		else
			p_err("rotated capture: files #%u to #%u are missing between %s and %s",
			      nt->first, nt->last, b, a);
		break;
	}
}

int inputs_prepare(const char *const *files, int n, const char **out, int *gaps)
{
	struct capset_entry *e = calloc(n ? n : 1, sizeof(*e));
	struct capture_meta *m = malloc(sizeof(*m));
	int *order = calloc(n ? n : 1, sizeof(*order)), k = -ENOMEM;

	*gaps = 0;
	if (!e || !m || !order)
		goto out;
	for (int i = 0; i < n; i++)
		describe(&e[i], files[i], m);
	k = capset_order(e, n, order, gaps, note, NULL);
	for (int i = 0; i < k; i++)
		out[i] = files[order[i]];
out:
	free(e);
	free(m);
	free(order);
	return k;
}
