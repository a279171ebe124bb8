// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <time.h>

#include "fmt.h"

#define NSEC	1000000000LL

int fmt_rfc3339(int64_t wall_ns, char *buf, size_t len)
{
	time_t s = wall_ns / NSEC;
	long us = (wall_ns % NSEC) / 1000;
	struct tm tm;

	if (us < 0) {
		us += 1000000;
		s--;
	}
	/* a forged capture can carry any clock; the schema wants 4 digits */
	if (!gmtime_r(&s, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -1;
	return snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec, us);
}

void fmt_hex_byte(char *dst, unsigned char c)
{
	static const char hexd[] = "0123456789abcdef";

	dst[0] = '\\';
	dst[1] = 'x';
	dst[2] = hexd[c >> 4];
	dst[3] = hexd[c & 15];
}

/* printable ASCII passes, anything else becomes \xNN: log text is untrusted */
size_t text_escape(char *dst, size_t size, const char *s)
{
	size_t o = 0;

	if (!size)
		return 0;
	for (; *s && o + 1 < size; s++) {
		unsigned char c = *s;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			dst[o++] = c;
			continue;
		}
		if (o + 4 >= size)
			break;
		fmt_hex_byte(dst + o, c);
		o += 4;
	}
	dst[o] = '\0';
	return o;
}

size_t utf8_len(const unsigned char *s, size_t avail)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and beyond U+10FFFF are not UTF-8 */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t utf8_plain_run(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (;;) {
		if (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') {
			p++;
			continue;
		}
		/* a NUL ends the sequence before any byte past it is read */
		if (*p >= 0x80 && (n = utf8_len(p, 4))) {
			p += n;
			continue;
		}
		return p - (const unsigned char *)s;
	}
}
