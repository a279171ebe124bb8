/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Input files for replay: plain or gzip-compressed, a path or "-" for
 * stdin.  Splits kernel logs into lines for the intake layer and tells a
 * capture file from a log by its magic.
 */
#ifndef SMMUTRACE_LOGREAD_H
#define SMMUTRACE_LOGREAD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <zlib.h>

#include "intake.h"

struct input {
	gzFile gz;		/* a regular file, plain or gzip */
	/*
	 * A pipe, FIFO or terminal: read() as it comes, so a log still being
	 * written is parsed line by line (zlib's reader waits for a full
	 * buffer).  gzip data there is inflated here.
	 */
	bool stream;
	int fd;
	z_stream *zs;		/* the stream turned out to be gzip */
	unsigned char *zin;
	bool zmember;		/* inside a gzip member */
	const char *name;
	char *buf;
	size_t cap, len, off;
	bool eof;
	bool saw_nul;
	unsigned long fills;
	int err;		/* errno-style, 0 = fine */
	char errmsg[160];
	/* set by the caller after opening: non-zero ends the input (EINTR) */
	const volatile sig_atomic_t *stop;
};

int input_open(struct input *in, const char *path);
int input_open_fd(struct input *in, int fd, const char *name);
void input_close(struct input *in);
/* peek at the first bytes (after gzip decoding) without consuming them */
size_t input_peek(struct input *in, const void **data, size_t want);
/* read exactly len bytes; returns bytes read (short at EOF or error) */
size_t input_read(struct input *in, void *dst, size_t len);
/* feed every line through the intake layer; 0 on success, -errno on a read error */
int input_parse_log(struct input *in, struct intake *ik);

#endif /* SMMUTRACE_LOGREAD_H */
