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

#include "obuf.h"

#define JW_MAX_DEPTH	16

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
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool b);
void jw_null(struct jw *w);
/* a 64-bit value that must not pass through a double: "0x..." */
void jw_hex(struct jw *w, uint64_t v);
/* permille as a fraction: 750 -> 0.75, 1000 -> 1.0 */
void jw_permille(struct jw *w, uint32_t v);

/* key/value pairs; "" and NULL strings are null */
static inline void jw_kv_u64(struct jw *w, const char *k, uint64_t v)
{
	jw_key(w, k);
	jw_u64(w, v);
}

static inline void jw_kv_i64(struct jw *w, const char *k, int64_t v)
{
	jw_key(w, k);
	jw_i64(w, v);
}

static inline void jw_kv_bool(struct jw *w, const char *k, bool b)
{
	jw_key(w, k);
	jw_bool(w, b);
}

static inline void jw_kv_null(struct jw *w, const char *k)
{
	jw_key(w, k);
	jw_null(w);
}

static inline void jw_kv_str(struct jw *w, const char *k, const char *s)
{
	jw_key(w, k);
	jw_str(w, s);
}

static inline void jw_kv_str_or_null(struct jw *w, const char *k, const char *s)
{
	jw_key(w, k);
	if (s && s[0])
		jw_str(w, s);
	else
		jw_null(w);
}

static inline void jw_kv_u64_if(struct jw *w, const char *k, bool have, uint64_t v)
{
	jw_key(w, k);
	if (have)
		jw_u64(w, v);
	else
		jw_null(w);
}

static inline void jw_kv_permille(struct jw *w, const char *k, uint32_t v)
{
	jw_key(w, k);
	jw_permille(w, v);
}

#endif /* SMMUTRACE_JSONW_H */
