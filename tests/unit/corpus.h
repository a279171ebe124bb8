/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A kernel log written from the driver's own format strings (the catalogue
 * in drvmsg.c, which holds them as the kernel does), and the ways text gets
 * mangled on its way into a mail, an issue or a chat.  The intake tests
 * parse a mangled copy and expect what the clean log gave.
 */
#ifndef SMMUTRACE_TEST_CORPUS_H
#define SMMUTRACE_TEST_CORPUS_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "drvmsg.h"

struct text {
	char *s;
	size_t len, cap;
};

static inline void text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static inline void text_printf(struct text *t, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(buf));
	text_add(t, buf, n);
}

/* one dmesg line: "[%5lu.%06lu] arm-smmu-v3 <dev>: " + the driver's format */
static inline void drv_line(struct text *t, unsigned long us, const char *dev,
			    enum drv_msg_id id, ...)
{
	const struct drv_msg *m = drv_msg_get(id);
	char body[512];
	va_list ap;

	assert_non_null(m);
	va_start(ap, id);
	vsnprintf(body, sizeof(body), m->fmt, ap);
	va_end(ap);
	text_printf(t, "[%5lu.%06lu] ", us / 1000000, us % 1000000);
	if (dev)
		text_printf(t, "arm-smmu-v3 %s: ", dev);
	text_printf(t, "%s\n", body);
}

static inline void raw_line(struct text *t, unsigned long us, const char *line)
{
	text_printf(t, "[%5lu.%06lu] %s\n", us / 1000000, us % 1000000, line);
}

#define SMMU0	"arm-smmu-v3.0.auto"
#define SMMU1	"arm-smmu-v3.1.auto"

/*
 * Every message the parser turns into an event, on two SMMUs, with the
 * noise of a real boot between them.
 */
static inline void corpus_log(struct text *t)
{
	unsigned long us = 900000;

	raw_line(t, us += 11, "Booting Linux on physical CPU 0x0000000000 [0x410fd4f1]");
	drv_line(t, us += 11, SMMU0, DRV_OPTION_MASK, 0);
	drv_line(t, us += 11, SMMU0, DRV_FEATURES, 48ul, 48ul, 0x001c1effu);
	drv_line(t, us += 11, SMMU0, DRV_ALLOCATED, 65536u, "cmdq");
	drv_line(t, us += 11, SMMU0, DRV_ALLOCATED, 32768u, "evtq");
	drv_line(t, us += 11, SMMU1, DRV_FEATURES_OAS, 44ul, 0x00000f0du);
	drv_line(t, us += 11, SMMU1, DRV_ALLOCATED, 524288u, "cmdq");
	raw_line(t, us += 1000, "pci 0000:01:00.0: Adding to iommu group 3");
	raw_line(t, us += 1000000, "mlx5_core 0000:01:00.0: AER:    [14] CmpltTO                (First)");
	drv_line(t, us += 11, SMMU0, DRV_GERROR, 0x00000001u);
	drv_line(t, us += 11, SMMU0, DRV_CMDQ_ERROR, 0x0302bb84u, "ATC invalidate timeout");
	drv_line(t, us += 10000, SMMU0, DRV_CMDQ_ERROR, 0x0302bb84u, "ATC invalidate timeout");
	drv_line(t, us += 1000000, SMMU0, DRV_SYNC_TIMEOUT, 0x0000bb84u, 0x0000bb90u, 0x0302bb84u);
	raw_line(t, us += 11, "systemd[1]: Started session-7.scope - Session 7 of User root.");
	drv_line(t, us += 2000000, SMMU1, DRV_GERROR, 0x00000001u);
	drv_line(t, us += 11, SMMU1, DRV_CMDQ_ERROR, 0x01000c41u, "Illegal command");
	drv_line(t, us += 11, SMMU1, DRV_SKIPPING);
	drv_line(t, us += 11, SMMU1, DRV_DWORD, 0x0009010000000040ull);
	drv_line(t, us += 11, SMMU1, DRV_DWORD, 0x0000000000000034ull);
	drv_line(t, us += 2000000, SMMU0, DRV_CMDQ_ERROR, 0x02001000u, "Abort on command fetch");
	drv_line(t, us += 11, SMMU0, DRV_FETCH_RETRY);
	drv_line(t, us += 2000000, SMMU0, DRV_ATC_SYNC_FAIL, 0x00010042u);
	drv_line(t, us += 11, SMMU0, DRV_CMDQ_TIMEOUT);
	/* <= 6.13: the header and four dwords */
	drv_line(t, us += 1000000, SMMU0, DRV_EVENT_HDR, 0x13u);
	drv_line(t, us += 11, SMMU0, DRV_DWORD, 0x0000010000000013ull);
	drv_line(t, us += 11, SMMU0, DRV_DWORD, 0x0000000800000000ull);
	drv_line(t, us += 11, SMMU0, DRV_DWORD, 0x00000000ffff1000ull);
	drv_line(t, us += 11, SMMU0, DRV_DWORD, 0x0000000000000000ull);
	/* 6.19+: the same, then the decoded lines */
	drv_line(t, us += 1000000, SMMU0, DRV_EVENT_HDR, 0x10u);
	drv_line(t, us += 11, SMMU0, DRV_DWORD, 0x0000020000000010ull);
	drv_line(t, us += 11, SMMU0, DRV_DWORD, 0x0000000000000000ull);
	drv_line(t, us += 11, SMMU0, DRV_DWORD, 0x0000000080001000ull);
	drv_line(t, us += 11, SMMU0, DRV_DWORD, 0x0000000000000000ull);
	drv_line(t, us += 11, SMMU0, DRV_EVENT_XLATE, "F_TRANSLATION", "0000:02:00.0", 0x200u, 0u,
		 0x80001000ull, 0ull);
	drv_line(t, us += 11, SMMU0, DRV_EVENT_DETAIL, "unpriv", "data", "write", "s1",
		 "Input address caused fault", "", "", 0u);
	drv_line(t, us += 1000000, SMMU0, DRV_EVENT_HDR, 0x02u);
	drv_line(t, us += 11, SMMU0, DRV_DWORD, 0x00003f0000000002ull);
	drv_line(t, us += 11, SMMU0, DRV_DWORD, 0x0000000000000000ull);
	drv_line(t, us += 11, SMMU0, DRV_DWORD, 0x0000000000000000ull);
	drv_line(t, us += 11, SMMU0, DRV_DWORD, 0x0000000000000000ull);
	drv_line(t, us += 11, SMMU0, DRV_EVENT_OTHER, "C_BAD_STREAMID", "(unassigned sid)", 0x3fu, 0u);
	drv_line(t, us += 11, SMMU0, DRV_EVTQ_OVERFLOW);
	raw_line(t, us += 5000000, "arm_smmu_cmdq_issue_cmdlist: 37 callbacks suppressed");
	raw_line(t, us += 11, "arm_smmu_evtq_thread: 12 callbacks suppressed");
	drv_line(t, us += 11, SMMU1, DRV_SYNC_TIMEOUT, 0x00001071u, 0x00001071u, 0x03001070u);
	drv_line(t, us += 11, SMMU1, DRV_CMDQ_ERROR, 0x03001070u, "ATC invalidate timeout");
	/* 4.2 to 5.3 (no position printed) and HiSilicon's vendor trees (a retry count) */
	drv_line(t, us += 3000000, SMMU1, DRV_SYNC_TIMEOUT_OLD);
	drv_line(t, us += 11, SMMU1, DRV_CMDQ_TIMEOUT_CNT, 2);
	raw_line(t, us += 11, "EXT4-fs (nvme0n1p2): mounted filesystem 0f1e2d3c r/w with ordered data mode.");
}

/* ---- manglings ----------------------------------------------------------- */

/* every line after prefix, as a mail quote or an indented paste does */
static inline void mangle_prefix(struct text *out, const char *in, const char *prefix)
{
	for (const char *s = in, *nl; *s; s = nl + 1) {
		nl = strchr(s, '\n');
		text_add(out, prefix, strlen(prefix));
		text_add(out, s, nl - s + 1);
	}
}

/* a mailer: fill lines to width, breaking at blanks, which it drops */
static inline void mangle_mail_wrap(struct text *out, const char *in, size_t width)
{
	for (const char *s = in, *nl; *s; s = nl + 1) {
		const char *p = s;

		nl = strchr(s, '\n');
		while ((size_t)(nl - p) > width) {
			const char *b = p + width;

			while (b > p && *b != ' ')
				b--;
			if (b == p)
				break;	/* one long word: left as it is */
			text_add(out, p, b - p);
			text_add(out, "\n", 1);
			p = b + 1;
		}
		text_add(out, p, nl - p + 1);
	}
}

/* a terminal: cut every width bytes, wherever that falls */
static inline void mangle_term_wrap(struct text *out, const char *in, size_t width)
{
	for (const char *s = in, *nl; *s; s = nl + 1) {
		const char *p = s;

		nl = strchr(s, '\n');
		for (; (size_t)(nl - p) > width; p += width) {
			text_add(out, p, width);
			text_add(out, "\n", 1);
		}
		text_add(out, p, nl - p + 1);
	}
}

/* quoted-printable: "=" and tabs escaped, soft line breaks at 76 */
static inline void mangle_qp(struct text *out, const char *in)
{
	for (const char *s = in, *nl; *s; s = nl + 1) {
		size_t col = 0;

		nl = strchr(s, '\n');
		for (const char *p = s; p < nl; p++) {
			char esc[4];
			size_t n = 1;

			if (*p == '=' || *p == '\t') {
				snprintf(esc, sizeof(esc), "=%02X", (unsigned char)*p);
				n = 3;
			} else {
				esc[0] = *p;
			}
			if (col + n > 75) {
				text_add(out, "=\n", 2);
				col = 0;
			}
			text_add(out, esc, n);
			col += n;
		}
		text_add(out, "\n", 1);
	}
}

/* the ']' closing the timestamp a line s (ending at nl) starts with, or NULL */
static inline const char *ts_close(const char *s, const char *nl)
{
	const char *close = strchr(s, ']');

	return *s == '[' && close && close < nl ? close : NULL;
}

/* after each "[...]" timestamp, what CONFIG_PRINTK_CALLER or a vendor kernel adds */
static inline void mangle_after_ts(struct text *out, const char *in, const char *what)
{
	for (const char *s = in, *nl; *s; s = nl + 1) {
		const char *close;

		nl = strchr(s, '\n');
		if (!(close = ts_close(s, nl))) {
			text_add(out, s, nl - s + 1);
			continue;
		}
		text_add(out, s, close + 1 - s);
		text_add(out, what, strlen(what));
		text_add(out, close + 1, nl - close);
	}
}

/* a mailer that moved each line's timestamp to the end of the line before */
static inline void mangle_ts_to_prev(struct text *out, const char *in)
{
	for (const char *s = in, *nl; *s; s = nl + 1) {
		const char *close;

		nl = strchr(s, '\n');
		if (!(close = ts_close(s, nl))) {
			text_add(out, s, nl - s + 1);
			continue;
		}
		if (out->len && out->s[out->len - 1] == '\n') {
			out->len--;
			text_add(out, " ", 1);
		}
		text_add(out, s, close + 1 - s);
		text_add(out, "\n", 1);
		s = close + 1;
		while (*s == ' ')
			s++;
		text_add(out, s, nl - s + 1);
	}
}

/* two lines as one: what a terminal copy without newlines leaves */
static inline void mangle_join_pairs(struct text *out, const char *in)
{
	int i = 0;

	for (const char *s = in, *nl; *s; s = nl + 1, i++) {
		nl = strchr(s, '\n');
		text_add(out, s, nl - s);
		if (i % 2 == 1 || !nl[1])
			text_add(out, "\n", 1);
	}
}

#endif /* SMMUTRACE_TEST_CORPUS_H */
