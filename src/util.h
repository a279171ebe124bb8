/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef SMMUTRACE_UTIL_H
#define SMMUTRACE_UTIL_H

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

#endif /* SMMUTRACE_UTIL_H */
