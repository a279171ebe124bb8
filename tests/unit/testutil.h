/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared helpers for the cmocka unit tests. */
#ifndef SMMUTRACE_TESTUTIL_H
#define SMMUTRACE_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "events.h"
#include "intake.h"
#include "kmsg.h"

#define MAX_EVS 128

struct evlist {
	struct smmu_event ev[MAX_EVS];
	int n;
	struct kmsg_parser p;
	struct intake ik;
};

static void evlist_collect(void *ctx, const struct smmu_event *ev)
{
	struct evlist *l = ctx;

	assert_true(l->n < MAX_EVS);
	l->ev[l->n++] = *ev;
}

/* parse a multi-line text exactly as replay would: intake layer, then parser */
static inline struct evlist *parse_text(const char *text)
{
	struct evlist *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	kmsg_parser_init(&l->p, 2026, evlist_collect, l);
	intake_init(&l->ik, &l->p);
	intake_block(&l->ik, text, strlen(text), true);
	intake_finish(&l->ik);
	return l;
}

/* the exact parser alone, line by line (live /dev/kmsg, no intake) */
static inline struct evlist *parse_exact(const char *text)
{
	struct evlist *l = calloc(1, sizeof(*l));
	const char *s = text, *nl;

	assert_non_null(l);
	kmsg_parser_init(&l->p, 2026, evlist_collect, l);
	while ((nl = strchr(s, '\n'))) {
		kmsg_parse_line(&l->p, s, nl - s);
		s = nl + 1;
	}
	if (*s)
		kmsg_parse_line(&l->p, s, strlen(s));
	kmsg_parser_finish(&l->p);
	return l;
}

/* the only event a text produced, of the given type */
static inline const struct smmu_event *only(struct evlist *l, int type)
{
	assert_int_equal(l->n, 1);
	assert_int_equal(l->ev[0].hdr.type, type);
	return &l->ev[0];
}

#endif /* SMMUTRACE_TESTUTIL_H */
