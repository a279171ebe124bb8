// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Event-time arithmetic: two clocks, either may be missing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "internal.h"
#include "util.h"

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
