// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fmt.h"
#include "util.h"

#define MSG_MAX	1024

const char *host_name(void)
{
	static char host[HOST_NAME_MAX + 1];

	if (!host[0] && gethostname(host, sizeof(host) - 1))
		strcpy(host, "unknown");
	return host;
}

int current_year(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!localtime_r(&now, &tm))
		return 1970;
	return tm.tm_year + 1900;
}

static void vmsg(const char *fmt, va_list ap)
{
	char raw[MSG_MAX], esc[4 * MSG_MAX];
	int saved = errno;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	text_escape(esc, sizeof(esc), raw);
	fprintf(stderr, "smmutrace: %s\n", esc);
	errno = saved;
}

void p_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

int stdio_check(FILE *f, const char *what)
{
	int err = 0;

	errno = 0;
	if (fflush(f) || ferror(f))
		err = errno ? errno : EIO;
	if (err)
		p_err("%s: %s", what, strerror(err));
	return -err;
}
