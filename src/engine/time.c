// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Event-time arithmetic: two clocks, either may be missing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "internal.h"
#include "util.h"

void evtime_of(const struct smmu_event *ev, struct evtime *t)
{
	t->mono_ns = ev->hdr.mono_ns;
	t->wall_ns = ev->hdr.wall_ns;
	t->flags = ev->hdr.flags & (SMMU_EVF_MONO | SMMU_EVF_WALL);
}

/* a - b on a clock both carry; false when they share none */
bool tdiff(const struct evtime *a, const struct evtime *b, int64_t *d)
{
	if (a->flags & b->flags & SMMU_EVF_MONO) {
		*d = (int64_t)(a->mono_ns - b->mono_ns);
		return true;
	}
	if (a->flags & b->flags & SMMU_EVF_WALL) {
		/* wrapping, like the monotonic case: captured times are outside input */
		*d = (int64_t)((uint64_t)a->wall_ns - (uint64_t)b->wall_ns);
		return true;
	}
	return false;
}

/* within +-w, or no common clock (bare pasted lines carry no time) */
bool near(const struct evtime *a, const struct evtime *b, uint64_t w)
{
	int64_t d;

	if (!tdiff(a, b, &d))
		return true;
	return (d < 0 ? -(uint64_t)d : (uint64_t)d) <= w;
}

/* a is at most w before b (and not after it by more than the slack) */
bool before_within(const struct evtime *a, const struct evtime *b, uint64_t w)
{
	int64_t d;

	if (!tdiff(b, a, &d))
		return true;
	return d >= -(int64_t)SLACK_NS && d <= (int64_t)w;
}

void evtime_max(struct evtime *dst, const struct evtime *t)
{
	int64_t d;

	if (!dst->flags || (tdiff(t, dst, &d) && d > 0))
		*dst = *t;
}

/* |a - b|, or 0 without a common clock */
uint64_t tdist(const struct evtime *a, const struct evtime *b)
{
	int64_t d;

	if (!tdiff(a, b, &d))
		return 0;
	return d < 0 ? -(uint64_t)d : (uint64_t)d;
}
