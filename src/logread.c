// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logread.h"

#define CHUNK	(1u << 20)
#define SLICE	(16u << 10)
#define ZIN	(64u << 10)	/* compressed input of a stream */

int input_open(struct input *in, const char *path)
{
	int fd;

	if (!strcmp(path, "-"))
		fd = dup(STDIN_FILENO);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		memset(in, 0, sizeof(*in));
		in->name = path;
		in->err = errno;
		snprintf(in->errmsg, sizeof(in->errmsg), "cannot open: %s", strerror(errno));
		return -in->err;
	}
	return input_open_fd(in, fd, path);
}

/* takes ownership of fd */
int input_open_fd(struct input *in, int fd, const char *name)
{
	struct stat st;

	memset(in, 0, sizeof(*in));
	in->name = name;
	in->fd = -1;
	if (!fstat(fd, &st) && S_ISDIR(st.st_mode)) {
		close(fd);
		in->err = EISDIR;
		snprintf(in->errmsg, sizeof(in->errmsg), "is a directory");
		return -EISDIR;
	}
	in->stream = !fstat(fd, &st) && !S_ISREG(st.st_mode);
	if (in->stream)
		in->fd = fd;
	else
		in->gz = gzdopen(fd, "rb");
	in->buf = malloc(CHUNK);
	in->cap = CHUNK;
	if ((!in->stream && !in->gz) || !in->buf) {
		if (in->gz)
			gzclose(in->gz);
		else
			close(fd);
		free(in->buf);
		in->gz = NULL;
		in->fd = -1;
		in->buf = NULL;
		in->err = ENOMEM;
		snprintf(in->errmsg, sizeof(in->errmsg), "out of memory");
		return -ENOMEM;
	}
	if (in->gz)
		gzbuffer(in->gz, 16 * 1024);
	return 0;
}

void input_close(struct input *in)
{
	if (in->gz)
		gzclose(in->gz);
	if (in->fd >= 0)
		close(in->fd);
	if (in->zs)
		inflateEnd(in->zs);
	free(in->zs);
	free(in->zin);
	free(in->buf);
	in->gz = NULL;
	in->fd = -1;
	in->zs = NULL;
	in->zin = NULL;
	in->buf = NULL;
}

static void read_failed(struct input *in)
{
	if (in->stop && *in->stop) {
		in->err = EINTR;
		snprintf(in->errmsg, sizeof(in->errmsg), "interrupted");
	} else {
		in->err = errno;
		snprintf(in->errmsg, sizeof(in->errmsg), "read error: %s", strerror(errno));
	}
}

static void truncated(struct input *in)
{
	in->err = EPIPE;
	snprintf(in->errmsg, sizeof(in->errmsg), "compressed stream is truncated");
}

/* msg as gzerror() words it: "<fd:N>: " and zlib's reason */
static void corrupt(struct input *in, const char *msg)
{
	in->err = EBADMSG;
	snprintf(in->errmsg, sizeof(in->errmsg), "corrupt compressed data (%s)", msg);
}

/* a signal ends a blocked read only when it asks the input to stop */
static ssize_t stream_read(struct input *in, void *dst, size_t n)
{
	ssize_t r;

	do
		r = read(in->fd, dst, n);
	while (r < 0 && errno == EINTR && !(in->stop && *in->stop));
	return r;
}

/* at least n bytes of compressed input at hand: 1, 0 when the stream ends first, -1 */
static int zin_have(struct input *in, unsigned int n)
{
	z_stream *zs = in->zs;

	while (zs->avail_in < n) {
		ssize_t r;

		if (zs->avail_in)
			memmove(in->zin, zs->next_in, zs->avail_in);
		zs->next_in = in->zin;
		r = stream_read(in, in->zin + zs->avail_in, ZIN - zs->avail_in);
		if (r <= 0)
			return r;
		zs->avail_in += r;
	}
	return 1;
}

/*
 * gzip data on a stream, inflated as gzread() would: member after member;
 * after a member, what is not another one is ignored.  Returns the bytes
 * decoded (0 at the end), -1 with the error set.
 */
static int stream_inflate(struct input *in, char *dst, unsigned int want)
{
	z_stream *zs = in->zs;
	char msg[128];
	int ret, have;

	zs->next_out = (unsigned char *)dst;
	zs->avail_out = want;
	while (zs->avail_out == want) {
		have = zin_have(in, in->zmember ? 1 : 2);
		if (have < 0) {
			read_failed(in);
			return -1;
		}
		if (!have) {
			if (!in->zmember)
				return 0;
			truncated(in);
			return -1;
		}
		if (!in->zmember) {
			if (zs->next_in[0] != 0x1f || zs->next_in[1] != 0x8b)
				return 0;
			inflateReset(zs);
			in->zmember = true;
		}
		ret = inflate(zs, Z_NO_FLUSH);
		if (ret == Z_STREAM_END) {
			in->zmember = false;
		} else if (ret != Z_OK) {
			snprintf(msg, sizeof(msg), "<fd:%d>: %s", in->fd,
				 ret == Z_DATA_ERROR && zs->msg ? zs->msg :
				 ret == Z_DATA_ERROR ? "compressed data error" :
				 ret == Z_MEM_ERROR ? "out of memory" :
				 "internal error: inflate stream corrupt");
			corrupt(in, msg);
			return -1;
		}
	}
	return want - zs->avail_out;
}

/* the first bytes of a stream were gzip's: inflate from here on */
static int start_inflate(struct input *in, char *dst, size_t n, unsigned int want)
{
	in->zs = calloc(1, sizeof(*in->zs));
	in->zin = malloc(ZIN);
	if (!in->zs || !in->zin || inflateInit2(in->zs, 15 + 16) != Z_OK) {
		free(in->zs);
		in->zs = NULL;
		in->err = ENOMEM;
		snprintf(in->errmsg, sizeof(in->errmsg), "out of memory");
		return -1;
	}
	memcpy(in->zin, dst, n);
	in->zs->next_in = in->zin;
	in->zs->avail_in = n;
	return stream_inflate(in, dst, want);
}

/* what one read() brings: a log still being written is parsed as it comes */
static int stream_fill(struct input *in, char *dst, unsigned int want)
{
	ssize_t n, r = 0;

	if (in->zs)
		return stream_inflate(in, dst, want);
	n = stream_read(in, dst, want);
	if (n < 0) {
		read_failed(in);
		return -1;
	}
	if (in->fills || !n || (unsigned char)dst[0] != 0x1f)
		return n;
	/* gzip's magic is two bytes: a slow writer may send them apart */
	while (n < 2 && (r = stream_read(in, dst + n, want - n)) > 0)
		n += r;
	if (r < 0 && n < 2) {
		read_failed(in);
		return -1;
	}
	if (n >= 2 && (unsigned char)dst[1] == 0x8b)
		return start_inflate(in, dst, n, want);
	return n;
}

/* a regular file through zlib, plain or gzip: bytes read, 0 at the end, -1 */
static int file_fill(struct input *in, char *dst, unsigned int want)
{
	int n, zerr;

	/* small reads: on corrupt gzip data zlib drops what the failing call
	 * had decoded, so keep that loss to one slice */
	if (want > SLICE && !gzdirect(in->gz))
		want = SLICE;
	n = gzread(in->gz, dst, want);
	if (n < 0) {
		const char *msg = gzerror(in->gz, &zerr);

		if (zerr == Z_ERRNO || (in->stop && *in->stop))
			read_failed(in);
		else
			corrupt(in, msg);
		return -1;
	}
	/* a gzip stream cut short reads as EOF with Z_BUF_ERROR set */
	if (n == 0 && (gzerror(in->gz, &zerr), zerr == Z_BUF_ERROR)) {
		truncated(in);
		in->eof = true;
		return -1;
	}
	return n;
}

/* move unconsumed bytes to the front and read more; false at EOF/error */
static bool fill(struct input *in)
{
	unsigned int want;
	int n;

	if (in->eof || in->err)
		return false;
	if (in->stop && *in->stop) {
		in->err = EINTR;
		snprintf(in->errmsg, sizeof(in->errmsg), "interrupted");
		return false;
	}
	if (in->off) {
		memmove(in->buf, in->buf + in->off, in->len - in->off);
		in->len -= in->off;
		in->off = 0;
	}
	if (in->len == in->cap)
		return false;
	want = in->cap - in->len;
	n = in->stream ? stream_fill(in, in->buf + in->len, want) :
			 file_fill(in, in->buf + in->len, want);
	if (n < 0)
		return false;
	if (n == 0) {
		in->eof = true;
		return false;
	}
	/* binary input is parsed like any other, but worth a warning */
	if (!in->fills++ && memchr(in->buf, 0, n))
		in->saw_nul = true;
	in->len += n;
	return true;
}

size_t input_peek(struct input *in, const void **data, size_t want)
{
	while (in->len - in->off < want && fill(in))
		;
	*data = in->buf + in->off;
	return in->len - in->off < want ? in->len - in->off : want;
}

size_t input_read(struct input *in, void *dst, size_t len)
{
	size_t got = 0;

	while (got < len) {
		size_t avail = in->len - in->off, n;

		if (!avail && !fill(in))
			break;
		avail = in->len - in->off;
		n = avail < len - got ? avail : len - got;
		memcpy((char *)dst + got, in->buf + in->off, n);
		in->off += n;
		got += n;
	}
	return got;
}

/*
 * Lines are handed over in place, a buffer at a time.  A line that does
 * not fit the buffer is longer than any driver message: count it and skip
 * to its end.
 */
int input_parse_log(struct input *in, struct intake *ik)
{
	bool skipping = false;

	for (;;) {
		char *s = in->buf + in->off;
		size_t n = in->len - in->off;

		if (skipping) {
			char *nl = memchr(s, '\n', n);

			if (nl) {
				skipping = false;
				in->off += nl + 1 - s;
				continue;
			}
			in->off = in->len;
		} else {
			in->off += intake_block(ik, s, n, false);
			if (in->off == 0 && in->len == in->cap) {
				ik->p->stats.lines++;
				ik->p->stats.long_lines++;
				skipping = true;
				in->off = in->len;
			}
		}
		if (!fill(in))
			break;
	}
	if (!skipping && in->off < in->len)
		intake_block(ik, in->buf + in->off, in->len - in->off, true);
	in->off = in->len;
	intake_finish(ik);
	return in->err ? -in->err : 0;
}
