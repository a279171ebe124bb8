/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Formatting helpers shared by the views and the messages: pure, no I/O.
 * One rule for untrusted bytes runs through every format: what cannot be
 * shown becomes the text \xNN, and so does the backslash itself, so the
 * escaped form of two different names always differs.
 */
#ifndef SMMUTRACE_FMT_H
#define SMMUTRACE_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 3339 UTC with microseconds; -1 when the year has no 4-digit form */
int fmt_rfc3339(int64_t wall_ns, char *buf, size_t len);
/* the text format: printable ASCII passes, the backslash and anything else is \xNN */
size_t text_escape(char *dst, size_t size, const char *s);
/* bytes of the well-formed UTF-8 sequence at s (1..4), 0 if there is none */
size_t utf8_len(const unsigned char *s, size_t avail);
/*
 * Leading bytes of a NUL-terminated string that JSON and Prometheus take
 * as they are: printable ASCII but '"' and '\\', and whole UTF-8 sequences.
 */
size_t utf8_plain_run(const char *s);
/* "\xNN" for one byte; dst holds at least 4 chars */
void fmt_hex_byte(char *dst, unsigned char c);

#endif /* SMMUTRACE_FMT_H */
