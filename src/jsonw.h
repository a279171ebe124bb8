/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A streaming JSON writer: values go straight into an output buffer, no
 * tree per record.  Compact form (no spaces), keys in the order written.
 * Strings, keys included, are escaped here and nowhere else: valid UTF-8
 * passes, control characters are JSON escapes, and a byte that is not
 * UTF-8, or a backslash, becomes the text \xNN, so different inputs never
 * give the same string and no key is ever dropped.
 */
#ifndef SMMUTRACE_JSONW_H
#define SMMUTRACE_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "obuf.h"

#define JW_MAX_DEPTH	16
/* the key/value helpers: inline, so that a literal key's escape test folds away */
#define JW_INLINE	static inline __attribute__((always_inline))

struct jw {
	struct obuf *o;
	int depth;
	uint32_t items;		/* bit d: the container at depth d has an item */
	bool after_key;
};

void jw_init(struct jw *w, struct obuf *o);
void jw_obj(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w);
void jw_arr_end(struct jw *w);
/* the general case: UTF-8 sequences and escapes */
void jw_key_escaped(struct jw *w, const char *key);
void jw_str_escaped(struct jw *w, const char *s);
void jw_i64(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool b);
/* a 64-bit value that must not pass through a double: "0x..." */
void jw_hex(struct jw *w, uint64_t v);
/* permille as a fraction: 750 -> 0.75, 1000 -> 1.0 */
void jw_permille(struct jw *w, uint32_t v);

/*
 * Is each of the 8 bytes printable ASCII, not '"' nor '\\'?  Exact: a
 * byte >= 0x80 sets its top bit; with none, the borrows of the "less than
 * 0x20" and "zero after xor" tests only reach a byte above a true hit.
 */
JW_INLINE bool jw_word_plain(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, tops = 0x8080808080808080ULL;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return !((x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & tops);
}

/*
 * The n bytes at s need no escape, tested 8 at a time (the last word
 * overlaps).  Inline, so that for a literal key the compiler does it all.
 */
JW_INLINE bool jw_plain(const char *s, size_t n)
{
	uint64_t x = 0x2020202020202020ULL;	/* spaces: plain */
	size_t i;

	if (n < 8) {
		for (i = 0; i < n; i++)
			x = (x << 8) | (unsigned char)s[i];
		return jw_word_plain(x);
	}
	for (i = 0; i + 8 < n; i += 8) {
		memcpy(&x, s + i, 8);
		if (!jw_word_plain(x))
			return false;
	}
	memcpy(&x, s + n - 8, 8);
	return jw_word_plain(x);
}

/* a new item of the current container: true when it needs a ',' first */
JW_INLINE bool jw_item_comma(struct jw *w)
{
	uint32_t bit = 1u << w->depth;
	bool comma;

	if (w->after_key) {
		w->after_key = false;
		return false;
	}
	comma = w->items & bit;
	w->items |= bit;
	return comma;
}

/*
 * An item of n bytes that need no escape, with one capacity check and one
 * copy: [,]"s" and, for a key, ':'.  Dropped output still counts the item.
 */
JW_INLINE void jw_item_plain(struct jw *w, const char *s, size_t n, bool key)
{
	bool comma = jw_item_comma(w);
	char *p = obuf_room(w->o, n + 4), *q = p;

	if (p) {
		if (comma)
			*q++ = ',';
		*q++ = '"';
		memcpy(q, s, n);
		q += n;
		*q++ = '"';
		if (key)
			*q++ = ':';
		obuf_wrote(w->o, q - p);
	}
	if (key)
		w->after_key = true;
}

/*
 * A literal key's length and escape test fold away at compile time: what
 * is left is one capacity check and a few stores.
 */
JW_INLINE void jw_key(struct jw *w, const char *key)
{
	size_t n = strlen(key);

	if (jw_plain(key, n))
		jw_item_plain(w, key, n, true);
	else
		jw_key_escaped(w, key);
}

/* most counters in a record are one digit: those without a call */
JW_INLINE void jw_u64(struct jw *w, uint64_t v)
{
	if (jw_item_comma(w))
		obuf_putc(w->o, ',');
	if (v < 10)
		obuf_putc(w->o, '0' + v);
	else
		obuf_u64(w->o, v);
}

JW_INLINE void jw_null(struct jw *w)
{
	if (jw_item_comma(w))
		obuf_putc(w->o, ',');
	obuf_put(w->o, "null", 4);
}

void jw_str(struct jw *w, const char *s);

/* key/value pairs; "" and NULL strings are null */
JW_INLINE void jw_kv_u64(struct jw *w, const char *k, uint64_t v)
{
	jw_key(w, k);
	jw_u64(w, v);
}

JW_INLINE void jw_kv_i64(struct jw *w, const char *k, int64_t v)
{
	jw_key(w, k);
	jw_i64(w, v);
}

JW_INLINE void jw_kv_bool(struct jw *w, const char *k, bool b)
{
	jw_key(w, k);
	jw_bool(w, b);
}

JW_INLINE void jw_kv_null(struct jw *w, const char *k)
{
	jw_key(w, k);
	jw_null(w);
}

JW_INLINE void jw_kv_str(struct jw *w, const char *k, const char *s)
{
	jw_key(w, k);
	jw_str(w, s);
}

JW_INLINE void jw_kv_str_or_null(struct jw *w, const char *k, const char *s)
{
	jw_key(w, k);
	if (s && s[0])
		jw_str(w, s);
	else
		jw_null(w);
}

JW_INLINE void jw_kv_u64_if(struct jw *w, const char *k, bool have, uint64_t v)
{
	jw_key(w, k);
	if (have)
		jw_u64(w, v);
	else
		jw_null(w);
}

JW_INLINE void jw_kv_permille(struct jw *w, const char *k, uint32_t v)
{
	jw_key(w, k);
	jw_permille(w, v);
}

#endif /* SMMUTRACE_JSONW_H */
