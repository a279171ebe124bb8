/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Output buffer for the views: records are built in memory and written to
 * a file descriptor whole, so the output only ever ends between records.
 * Every write is checked; the first error sticks with its errno and later
 * output is dropped, so what was written before stays valid (a regular
 * file is cut back to the last record a short write finished).  Records
 * go out in writes of a few hundred KB: each write costs, whatever its
 * size.  A buffer without a descriptor only grows (tests read it).
 */
#ifndef SMMUTRACE_OBUF_H
#define SMMUTRACE_OBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

struct obuf {
	char *buf;
	size_t len, cap;
	size_t mark;		/* end of the last whole record */
	size_t flush_at;	/* write once this much is complete */
	/*
	 * Where each whole record not yet written ends: a write cut short
	 * keeps the records it finished, whatever the flush size.
	 */
	size_t *ends;
	size_t n_ends, cap_ends;
	int fd;			/* -1: memory only */
	int err;		/* first errno, 0 = fine */
	bool regular;		/* a regular file: cut back to whole records on error */
};

void obuf_init_fd(struct obuf *o, int fd);
void obuf_init_mem(struct obuf *o);
void obuf_free(struct obuf *o);

/* room for n more bytes, or the output is dropped (ENOMEM sticks) */
void obuf_put_slow(struct obuf *o, const void *p, size_t n);
char *obuf_room_slow(struct obuf *o, size_t n);
void obuf_printf(struct obuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void obuf_u64(struct obuf *o, uint64_t v);
void obuf_i64(struct obuf *o, int64_t v);
/* the bytes so far are whole records: write them out when enough piled up */
void obuf_end_record(struct obuf *o);
/* write every whole record now; 0 or -errno (the first error, sticky) */
int obuf_flush(struct obuf *o);

static inline int obuf_error(const struct obuf *o)
{
	return -o->err;
}

static inline void obuf_put(struct obuf *o, const void *p, size_t n)
{
	if (o->cap - o->len < n) {
		obuf_put_slow(o, p, n);
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static inline void obuf_putc(struct obuf *o, char c)
{
	if (o->cap == o->len) {
		obuf_put_slow(o, &c, 1);
		return;
	}
	o->buf[o->len++] = c;
}

/*
 * Room for n more bytes at the end, to be written in place and kept with
 * obuf_wrote(): one capacity check for a token of several pieces.  NULL
 * when the output is dropped (as obuf_put() would have dropped it).
 */
static inline char *obuf_room(struct obuf *o, size_t n)
{
	if (o->cap - o->len < n)
		return obuf_room_slow(o, n);
	return o->buf + o->len;
}

static inline void obuf_wrote(struct obuf *o, size_t n)
{
	o->len += n;
}

static inline void obuf_puts(struct obuf *o, const char *s)
{
	obuf_put(o, s, strlen(s));
}

#endif /* SMMUTRACE_OBUF_H */
