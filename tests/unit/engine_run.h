/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An engine whose settled incidents are kept for assertions; shared by the
 * engine unit tests and the attribution tests beside the simulator.
 * Include after <cmocka.h>; define MAX_INC first to change the capacity.
 */
#ifndef SMMUTRACE_ENGINE_RUN_H
#define SMMUTRACE_ENGINE_RUN_H

#include <stdlib.h>

#include "engine.h"

#ifndef MAX_INC
#define MAX_INC 32
#endif

struct run {
	struct engine *e;
	struct incident inc[MAX_INC];
	int n;
};

static inline void on_incident(void *ctx, const struct incident *inc)
{
	struct run *r = ctx;

	assert_true(r->n < MAX_INC);
	r->inc[r->n++] = *inc;
}

static inline struct run *run_new(void)
{
	struct run *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->e = engine_new(NULL, on_incident, r);
	assert_non_null(r->e);
	return r;
}

static inline void run_free(struct run *r)
{
	engine_free(r->e);
	free(r);
}

#endif /* SMMUTRACE_ENGINE_RUN_H */
