// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "obuf.h"

/* flushed at half: 53 MB of NDJSON in 200 writes, not 1,600 */
#define OBUF_INIT	(512u << 10)

static void init(struct obuf *o, int fd)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->flush_at = OBUF_INIT / 2;
	o->buf = malloc(OBUF_INIT);
	if (o->buf)
		o->cap = OBUF_INIT;
	else
		o->err = ENOMEM;
}

void obuf_init_fd(struct obuf *o, int fd)
{
	struct stat st;

	init(o, fd);
	o->regular = !fstat(fd, &st) && S_ISREG(st.st_mode);
}

void obuf_init_mem(struct obuf *o)
{
	init(o, -1);
}

void obuf_free(struct obuf *o)
{
	free(o->buf);
	free(o->ends);
	o->buf = NULL;
	o->ends = NULL;
	o->len = o->cap = o->mark = 0;
	o->n_ends = o->cap_ends = 0;
}

/* once output failed nothing more is kept: it could never be written */
static void drop(struct obuf *o)
{
	o->len = 0;
	o->mark = 0;
	o->n_ends = 0;
}

static bool grow(struct obuf *o, size_t n)
{
	size_t cap = o->cap ? o->cap : OBUF_INIT;
	char *b;

	if (o->err) {
		drop(o);
		return o->cap >= n;
	}
	while (cap - o->len < n)
		cap *= 2;
	b = realloc(o->buf, cap);
	if (!b) {
		o->err = ENOMEM;
		drop(o);
		return o->cap >= n;
	}
	o->buf = b;
	o->cap = cap;
	return true;
}

void obuf_put_slow(struct obuf *o, const void *p, size_t n)
{
	if (!grow(o, n))
		return;
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

char *obuf_room_slow(struct obuf *o, size_t n)
{
	return grow(o, n) ? o->buf + o->len : NULL;
}

void obuf_printf(struct obuf *o, const char *fmt, ...)
{
	size_t room = o->cap - o->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		if (!grow(o, (size_t)n + 1))
			return;
		va_start(ap, fmt);
		vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
	}
	o->len += n;
}

/* from the bit length: 1233 / 4096 is just above log10(2); 0 has a digit too */
static unsigned int dec_digits(uint64_t v)
{
	static const uint64_t p10[20] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
		100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL,
		1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
		1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
		1000000000000000000ULL, 10000000000000000000ULL,
	};
	unsigned int t = ((64 - __builtin_clzll(v | 1)) * 1233) >> 12;

	return t + (v >= p10[t]) + !v;
}

/* digits straight into the buffer, two at a time: every record is mostly numbers */
void obuf_u64(struct obuf *o, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	unsigned int n = dec_digits(v);
	char *d = obuf_room(o, n), *p;

	if (!d)
		return;
	for (p = d + n; v >= 100; v /= 100) {
		p -= 2;
		memcpy(p, pairs + 2 * (v % 100), 2);
	}
	if (v >= 10)
		memcpy(p - 2, pairs + 2 * v, 2);
	else
		p[-1] = '0' + v;
	obuf_wrote(o, n);
}

void obuf_i64(struct obuf *o, int64_t v)
{
	if (v < 0) {
		obuf_putc(o, '-');
		obuf_u64(o, -(uint64_t)v);
		return;
	}
	obuf_u64(o, v);
}

/* a full pipe or terminal with O_NONBLOCK set by someone else: wait for it */
static bool wait_writable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	return poll(&pfd, 1, -1) >= 0 || errno == EINTR;
}

static int write_all(int fd, const char *p, size_t n, size_t *done)
{
	*done = 0;
	while (*done < n) {
		ssize_t w = write(fd, p + *done, n - *done);

		if (w > 0) {
			*done += w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_writable(fd))
			continue;
		return w < 0 ? errno : EIO;
	}
	return 0;
}

/* the records written whole in the first 'done' bytes */
static size_t whole_before(const struct obuf *o, size_t done)
{
	size_t i = o->n_ends;

	while (i > 0 && o->ends[i - 1] > done)
		i--;
	return i ? o->ends[i - 1] : 0;
}

/* a file's records are remembered for a short write; without room, it keeps fewer */
static void note_end(struct obuf *o)
{
	size_t *p;

	if (!o->regular)
		return;
	if (o->n_ends == o->cap_ends) {
		p = realloc(o->ends, (o->cap_ends ? 2 * o->cap_ends : 1024) * sizeof(*p));
		if (!p)
			return;
		o->ends = p;
		o->cap_ends = o->cap_ends ? 2 * o->cap_ends : 1024;
	}
	o->ends[o->n_ends++] = o->len;
}

int obuf_flush(struct obuf *o)
{
	off_t start = -1;
	size_t done;
	int err;

	if (o->err) {
		drop(o);
		return -o->err;
	}
	if (o->fd < 0 || !o->mark)
		return 0;
	if (o->regular)
		start = lseek(o->fd, 0, SEEK_CUR);
	err = write_all(o->fd, o->buf, o->mark, &done);
	if (err) {
		/* a record cut in half would spoil the file: keep the whole ones */
		if (done && start >= 0)
			(void)!ftruncate(o->fd, start + whole_before(o, done));
		o->err = err;
		drop(o);
		return -err;
	}
	memmove(o->buf, o->buf + o->mark, o->len - o->mark);
	o->len -= o->mark;
	o->mark = 0;
	o->n_ends = 0;
	return 0;
}

void obuf_end_record(struct obuf *o)
{
	if (o->len == o->mark)
		return;
	o->mark = o->len;
	note_end(o);
	if (o->fd >= 0 && o->mark >= o->flush_at)
		obuf_flush(o);
}
