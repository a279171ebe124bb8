// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "origin.h"

int origin_kmsg_facility(const char *rec, size_t len)
{
	unsigned int pri = 0;
	size_t i = 0;

	/* the kernel prints PRI as %u; LOG_FACILITY() keeps 8 bits above the level */
	for (; i < len && i < 5 && rec[i] >= '0' && rec[i] <= '9'; i++)
		pri = pri * 10 + (rec[i] - '0');
	if (!i || i == len || rec[i] != ',')
		return -1;
	return pri >> 3;
}

static const char *const writers[] = { "devkmsg_write", "devkmsg_emit" };

/* NAME, or a compiler clone of it: NAME.cold, NAME.constprop.0, ... */
static bool writer(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++) {
		size_t w = strlen(writers[i]);

		if (n >= w && !memcmp(name, writers[i], w) && (n == w || name[w] == '.'))
			return true;
	}
	return false;
}

void origin_kallsyms_line(struct origin_ranges *r, const char *line)
{
	const char *p = line, *name;
	uint64_t addr = 0;
	size_t n;
	int d;

	for (; *p && *p != ' '; p++) {
		d = *p >= '0' && *p <= '9' ? *p - '0' :
		    *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
		if (d < 0)
			return;
		addr = addr << 4 | d;
	}
	if (p[0] != ' ' || !p[1] || p[2] != ' ' || !addr)
		return;
	/* this address ends every open range that starts below it */
	for (int i = 0; i < r->n; i++)
		if (!r->hi[i] && addr > r->lo[i])
			r->hi[i] = addr;
	if (p[1] != 't' && p[1] != 'T')
		return;
	name = p + 3;
	n = strcspn(name, " \t\n[");
	if (writer(name, n) && r->n < ORIGIN_MAX_RANGES) {
		r->lo[r->n] = addr;
		r->hi[r->n++] = 0;
	}
}

int origin_ranges_finish(struct origin_ranges *r)
{
	int k = 0;

	for (int i = 0; i < r->n; i++) {
		if (!r->hi[i])
			continue;
		r->lo[k] = r->lo[i];
		r->hi[k++] = r->hi[i];
	}
	r->n = k;
	return k;
}
