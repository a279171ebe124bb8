// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include <time.h>

#include "decode.h"
#include "report.h"

void report_init(struct report *r, enum report_fmt fmt, FILE *out, enum src_kind src,
		 const char *host)
{
	memset(r, 0, sizeof(*r));
	r->fmt = fmt;
	r->out = out;
	r->source = src;
	r->host = host;
}

bool report_filter_match(const struct report_filter *f, const struct incident *inc)
{
	bool any;

	if (f->smmu && strcmp(f->smmu, inc->smmu))
		return false;
	if (!f->device && !f->have_sid)
		return true;
	any = false;
	for (int i = 0; i < inc->n_suspects; i++) {
		const struct suspect *s = &inc->suspects[i];

		if (f->device && strcmp(f->device, s->dev))
			continue;
		if (f->have_sid && (!s->have_sid || s->sid != f->sid))
			continue;
		any = true;
	}
	return any;
}

void report_incident(void *ctx, const struct incident *inc)
{
	struct report *r = ctx;

	if (!report_filter_match(&r->filt, inc)) {
		r->hidden++;
		return;
	}
	r->shown++;
	if (r->fmt == FMT_JSON)
		json_incident(r, inc);
	else
		text_incident(r, inc);
	fflush(r->out);
}

void report_summary(struct report *r, const struct engine *e, const struct run_info *ri)
{
	if (r->fmt == FMT_JSON)
		json_summary(r, e, ri);
	else
		text_summary(r, e, ri);
	fflush(r->out);
}

void report_lost(struct report *r, const struct smmu_ev_lost *lost, const struct run_info *ri)
{
	if (r->fmt == FMT_JSON) {
		json_lost(r, lost, ri);
	} else {
		fprintf(r->out, "WARNING: lost records: %llu ring buffer, %llu map full, "
			"%llu ATC lists truncated\n",
			(unsigned long long)lost->ringbuf,
			(unsigned long long)lost->map_full,
			(unsigned long long)lost->truncated);
	}
	fflush(r->out);
}

int fmt_rfc3339(int64_t wall_ns, char *buf, size_t len)
{
	time_t s = wall_ns / 1000000000LL;
	long us = (wall_ns % 1000000000LL) / 1000;
	struct tm tm;

	if (us < 0) {
		us += 1000000;
		s--;
	}
	if (!gmtime_r(&s, &tm))
		return -1;
	return snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec, us);
}

/* printable ASCII passes, anything else becomes \xNN: log text is untrusted */
size_t text_escape(char *dst, size_t size, const char *s)
{
	static const char hexd[] = "0123456789abcdef";
	size_t o = 0;

	if (!size)
		return 0;
	for (; *s && o + 1 < size; s++) {
		unsigned char c = *s;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			dst[o++] = c;
			continue;
		}
		if (o + 4 >= size)
			break;
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hexd[c >> 4];
		dst[o++] = hexd[c & 15];
	}
	dst[o] = '\0';
	return o;
}

/* the failing CMD_SYNC's position: CONS without its error bits, or the issuer's prod */
/*
 * The failing CMD_SYNC: where CONS stopped, once the ISR printed it (a
 * timeout line on a CONS-polling SMMU prints the shared prod, past it);
 * else the position the issuer's line printed.
 */
bool incident_position(const struct incident *inc, uint32_t *pos)
{
	if (inc->have_cons) {
		*pos = inc->cons & smmu_q_pos_mask(inc->max_n_shift);
		return true;
	}
	if (inc->prod != SMMU_NO_POS) {
		*pos = inc->prod & smmu_q_pos_mask(inc->max_n_shift);
		return true;
	}
	return false;
}

/* issuer statistics exist only from kprobe/fentry runs; views skip their tables otherwise */
bool report_have_issuer_stats(const struct engine *e)
{
	for (int i = 0; i < engine_n_smmus(e); i++)
		if (engine_smmu(e, i)->have_stats)
			return true;
	return false;
}
