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
	if (!fstat(fd, &st) && S_ISDIR(st.st_mode)) {
		close(fd);
		in->err = EISDIR;
		snprintf(in->errmsg, sizeof(in->errmsg), "is a directory");
		return -EISDIR;
	}
	in->gz = gzdopen(fd, "rb");
	in->buf = malloc(CHUNK);
	in->cap = CHUNK;
	if (!in->gz || !in->buf) {
		if (in->gz)
			gzclose(in->gz);
		else
			close(fd);
		free(in->buf);
		in->gz = NULL;
		in->buf = NULL;
		in->err = ENOMEM;
		snprintf(in->errmsg, sizeof(in->errmsg), "out of memory");
		return -ENOMEM;
	}
	gzbuffer(in->gz, 16 * 1024);
	return 0;
}

void input_close(struct input *in)
{
	if (in->gz)
		gzclose(in->gz);
	free(in->buf);
	in->gz = NULL;
	in->buf = NULL;
}

/* move unconsumed bytes to the front and read more; false at EOF/error */
static bool fill(struct input *in)
{
	unsigned int want;
	int n, zerr;

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
	/* small reads: on corrupt gzip data zlib drops what the failing call
	 * had decoded, so keep that loss to one slice */
	want = in->cap - in->len;
	if (want > SLICE && !gzdirect(in->gz))
		want = SLICE;
	n = gzread(in->gz, in->buf + in->len, want);
	if (n < 0) {
		const char *msg = gzerror(in->gz, &zerr);

		if (in->stop && *in->stop) {
			in->err = EINTR;
			snprintf(in->errmsg, sizeof(in->errmsg), "interrupted");
		} else if (zerr == Z_ERRNO) {
			in->err = errno;
			snprintf(in->errmsg, sizeof(in->errmsg), "read error: %s",
				 strerror(errno));
		} else {
			in->err = EBADMSG;
			snprintf(in->errmsg, sizeof(in->errmsg),
				 "corrupt compressed data (%s)", msg);
		}
		return false;
	}
	if (n == 0) {
		/* a gzip stream cut short reads as EOF with Z_BUF_ERROR set */
		gzerror(in->gz, &zerr);
		if (zerr == Z_BUF_ERROR) {
			in->err = EPIPE;
			snprintf(in->errmsg, sizeof(in->errmsg),
				 "compressed stream is truncated");
		}
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
