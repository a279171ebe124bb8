/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Small helpers shared by the commands: the host's name and year, and the
 * one way messages reach stderr (bpftool's p_err/p_info).  A message may
 * carry strings from a log or a capture: it is escaped as a whole with
 * the text format's rule, so nothing in it reaches the terminal raw.
 */
#ifndef SMMUTRACE_UTIL_H
#define SMMUTRACE_UTIL_H

#include <stdio.h>
#include <string.h>

/* copy a NUL-terminated string into a fixed field, always terminating it */
static inline void str_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n > size - 1)
		n = size - 1;

	memcpy(dst, src, n);
	dst[n] = '\0';
}

const char *host_name(void);
int current_year(void);

/* "smmutrace: <message>\n" on stderr, escaped */
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* flush a stdio stream and say why it failed; 0 or -errno */
int stdio_check(FILE *f, const char *what);

#endif /* SMMUTRACE_UTIL_H */
