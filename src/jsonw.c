// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "jsonw.h"

void jw_init(struct jw *w, struct obuf *o)
{
	w->o = o;
	w->depth = 0;
	w->items = 0;
	w->after_key = false;
}

static void item(struct jw *w)
{
	if (jw_item_comma(w))
		obuf_putc(w->o, ',');
}

static void open_c(struct jw *w, char c)
{
	item(w);
	obuf_putc(w->o, c);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	w->items &= ~(1u << w->depth);
}

static void close_c(struct jw *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	obuf_putc(w->o, c);
}

void jw_obj(struct jw *w)
{
	open_c(w, '{');
}

void jw_obj_end(struct jw *w)
{
	close_c(w, '}');
}

void jw_arr(struct jw *w)
{
	open_c(w, '[');
}

void jw_arr_end(struct jw *w)
{
	close_c(w, ']');
}

static void escape_byte(struct obuf *o, unsigned char c)
{
	static const char hexd[] = "0123456789ABCDEF";
	char x[6] = { '\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15] };
	char t[5];

	switch (c) {
	case '"':	obuf_put(o, "\\\"", 2); return;
	case '\b':	obuf_put(o, "\\b", 2); return;
	case '\t':	obuf_put(o, "\\t", 2); return;
	case '\n':	obuf_put(o, "\\n", 2); return;
	case '\f':	obuf_put(o, "\\f", 2); return;
	case '\r':	obuf_put(o, "\\r", 2); return;
	}
	if (c < 0x20) {
		obuf_put(o, x, sizeof(x));
		return;
	}
	/* the backslash and bytes that are not UTF-8: the text \xNN */
	t[0] = '\\';
	fmt_hex_byte(t + 1, c);
	obuf_put(o, t, sizeof(t));
}

/* ASCII that needs no escape (utf8_plain_run()'s first test); NUL is not */
static const unsigned char plain_ascii[256] = {
	[0x20 ... 0x21] = 1,	/* '"' is 0x22 */
	[0x23 ... 0x5b] = 1,	/* '\\' is 0x5c */
	[0x5d ... 0x7f] = 1,
};

/* keys and most values are plain ASCII: one table look-up a byte */
static inline size_t ascii_run(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (plain_ascii[*p])
		p++;
	return p - (const unsigned char *)s;
}

static void put_string(struct obuf *o, const char *s)
{
	obuf_putc(o, '"');
	for (;;) {
		size_t n = ascii_run(s);

		if ((unsigned char)s[n] >= 0x80)
			n = utf8_plain_run(s);

		obuf_put(o, s, n);
		s += n;
		if (!*s)
			break;
		escape_byte(o, *s++);
	}
	obuf_putc(o, '"');
}

void jw_key_escaped(struct jw *w, const char *key)
{
	item(w);
	put_string(w->o, key);
	obuf_putc(w->o, ':');
	w->after_key = true;
}

void jw_str_escaped(struct jw *w, const char *s)
{
	item(w);
	put_string(w->o, s);
}

void jw_str(struct jw *w, const char *s)
{
	size_t n = strlen(s);

	if (jw_plain(s, n))
		jw_item_plain(w, s, n, false);
	else
		jw_str_escaped(w, s);
}

void jw_i64(struct jw *w, int64_t v)
{
	item(w);
	obuf_i64(w->o, v);
}

void jw_bool(struct jw *w, bool b)
{
	item(w);
	if (b)
		obuf_put(w->o, "true", 4);
	else
		obuf_put(w->o, "false", 5);
}

void jw_hex(struct jw *w, uint64_t v)
{
	static const char hexd[] = "0123456789abcdef";
	char tmp[16 + 4], *p = tmp + sizeof(tmp);

	item(w);
	*--p = '"';
	do {
		*--p = hexd[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	*--p = '"';
	obuf_put(w->o, p, tmp + sizeof(tmp) - p);
}

void jw_permille(struct jw *w, uint32_t v)
{
	char frac[4];
	int n = 3;

	item(w);
	obuf_u64(w->o, v / 1000);
	obuf_putc(w->o, '.');
	snprintf(frac, sizeof(frac), "%03u", v % 1000);
	while (n > 1 && frac[n - 1] == '0')
		n--;
	obuf_put(w->o, frac, n);
}
