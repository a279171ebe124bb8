/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A cursor over untrusted text, not NUL-terminated, for the log parsers.
 * Locale-free and inline: these run on every byte of a line's prefix.
 */
#ifndef SMMUTRACE_TEXTCUR_H
#define SMMUTRACE_TEXTCUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cur {
	const char *p;
	const char *e;
};

#define IS_DIGIT(c)	((unsigned char)((c) - '0') < 10)
#define IS_LOWER(c)	((unsigned char)((c) - 'a') < 26)
#define IS_UPPER(c)	((unsigned char)((c) - 'A') < 26)

static inline size_t cur_len(const struct cur *c)
{
	return c->e - c->p;
}

static inline bool lit_n(struct cur *c, const char *s, size_t n)
{
	if (cur_len(c) < n || memcmp(c->p, s, n))
		return false;
	c->p += n;
	return true;
}

#define lit(c, s)	lit_n((c), (s), sizeof(s) - 1)

static inline bool starts(const struct cur *c, const char *s, size_t n)
{
	return cur_len(c) >= n && !memcmp(c->p, s, n);
}

#define STARTS(c, s)	starts((c), (s), sizeof(s) - 1)

static inline void skip_sp(struct cur *c)
{
	while (c->p < c->e && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

static inline void rtrim(struct cur *c)
{
	while (c->e > c->p && (c->e[-1] == '\r' || c->e[-1] == ' ' ||
			       c->e[-1] == '\t' || c->e[-1] == '\n'))
		c->e--;
}

static inline bool dec(struct cur *c, uint64_t *v, int max_digits)
{
	const char *s = c->p;
	uint64_t x = 0;

	while (c->p < c->e && c->p - s < max_digits && IS_DIGIT(*c->p))
		x = x * 10 + (*c->p++ - '0');
	*v = x;
	return c->p > s;
}

static inline int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* "[   12.345678]": where a dmesg timestamp at p ends (after ']'), or NULL */
static inline const char *dmesg_ts_end(const char *p, const char *e)
{
	const char *q = p + 1;

	if (p >= e || *p != '[')
		return NULL;
	while (q < e && *q == ' ')
		q++;
	if (q == e || !IS_DIGIT(*q))
		return NULL;
	while (q < e && IS_DIGIT(*q))
		q++;
	if (q == e || *q != '.')
		return NULL;
	q++;
	if (q == e || !IS_DIGIT(*q))
		return NULL;
	while (q < e && IS_DIGIT(*q))
		q++;
	return q < e && *q == ']' ? q + 1 : NULL;
}

static inline void copy_name(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

#endif /* SMMUTRACE_TEXTCUR_H */
