// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "capture.h"
#include "logread.h"
#include "util.h"

#define BODY_OFF	offsetof(struct smmu_event, cmdq_error)
#define BODY(member)	(BODY_OFF + sizeof(((struct smmu_event *)0)->member))

/* bytes of a record of this type: the header plus its own union member */
size_t smmu_event_size(uint16_t type)
{
	switch (type) {
	case SMMU_EV_CMDQ_ERROR:	return BODY(cmdq_error);
	case SMMU_EV_SKIPPED_CMD:	return BODY(skipped);
	case SMMU_EV_SYNC_TIMEOUT:	return BODY(sync_timeout);
	case SMMU_EV_ATC_SYNC_FAIL:	return BODY(atc_sync_fail);
	case SMMU_EV_GERROR:		return BODY(gerror);
	case SMMU_EV_SUPPRESSED:	return BODY(suppressed);
	case SMMU_EV_QUEUE_INFO:	return BODY(queue_info);
	case SMMU_EV_FEATURES:		return BODY(features);
	case SMMU_EV_EVTQ:		return BODY(evtq);
	case SMMU_EV_AER:		return BODY(aer);
	case SMMU_EV_ISSUE:		return BODY(issue);
	case SMMU_EV_QUEUE_WALK:	return BODY(walk);
	case SMMU_EV_SID_MAP:		return BODY(sid_map);
	case SMMU_EV_STATS:		return BODY(stats);
	case SMMU_EV_LOST:		return BODY(lost);
	case SMMU_EV_IOPF:		return BODY(iopf);
	case SMMU_EV_LOG_TEXT:		return BODY(log_text);
	case SMMU_EV_FETCH_RETRY:
	case SMMU_EV_CMDQ_TIMEOUT:
	case SMMU_EV_EVTQ_OVERFLOW:
	case SMMU_EV_TICK:		return BODY_OFF;
	}
	return 0;
}

bool capture_is_magic(const void *data, size_t len)
{
	return len >= CAPTURE_MAGIC_LEN && !memcmp(data, CAPTURE_MAGIC, CAPTURE_MAGIC_LEN);
}

/* ---- header: a JSON object, so fields can be added without a new version */

static json_t *str_or_null(const char *s)
{
	return s[0] ? json_stringn(s, strlen(s)) : json_null();
}

int capture_encode_header(const struct capture_meta *m, char **buf, size_t *len)
{
	json_t *o = json_object(), *a = json_array(), *sids = json_array(), *f;

	json_object_set_new(o, "tool", str_or_null(m->tool));
	json_object_set_new(o, "host", str_or_null(m->host));
	json_object_set_new(o, "kernel", str_or_null(m->kernel));
	json_object_set_new(o, "boot_id", str_or_null(m->boot_id));
	json_object_set_new(o, "arch", str_or_null(m->arch));
	json_object_set_new(o, "source", str_or_null(m->source));
	json_object_set_new(o, "created_wall_ns", json_integer(m->created_wall_ns));
	json_object_set_new(o, "endian", json_string("little"));
	json_object_set_new(o, "event_size", json_integer(sizeof(struct smmu_event)));
	f = m->features[0] ? json_loads(m->features, 0, NULL) : NULL;
	json_object_set_new(o, "features", f ? f : json_object());
	for (int i = 0; i < m->n_smmus; i++) {
		json_t *s = json_object();

		json_object_set_new(s, "name", json_string(m->smmus[i].name));
		json_object_set_new(s, "max_n_shift", m->smmus[i].max_n_shift ?
				    json_integer(m->smmus[i].max_n_shift) : json_null());
		json_array_append_new(a, s);
	}
	json_object_set_new(o, "smmus", a);
	for (int i = 0; i < m->n_sids; i++) {
		json_t *s = json_object();

		json_object_set_new(s, "smmu", json_string(m->sids[i].smmu));
		json_object_set_new(s, "sid", json_integer(m->sids[i].sid));
		json_object_set_new(s, "device", json_string(m->sids[i].dev));
		json_array_append_new(sids, s);
	}
	json_object_set_new(o, "sids", sids);
	*buf = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!*buf)
		return -ENOMEM;
	*len = strlen(*buf);
	return 0;
}

static void get_str(json_t *o, const char *key, char *dst, size_t size)
{
	const char *s = json_string_value(json_object_get(o, key));

	str_copy(dst, size, s ? s : "");
}

int capture_decode_header(const char *json, size_t len, struct capture_meta *m,
			  char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o = json_loadb(json, len, 0, &jerr), *a, *v;
	const char *endian;
	size_t i;
	char *f;

	memset(m, 0, sizeof(*m));
	if (!json_is_object(o)) {
		snprintf(err, errlen, "capture header is not valid JSON: %s", jerr.text);
		json_decref(o);
		return -EINVAL;
	}
	endian = json_string_value(json_object_get(o, "endian"));
	if (endian && strcmp(endian, "little")) {
		snprintf(err, errlen, "capture is %s-endian; only little-endian is supported",
			 endian);
		json_decref(o);
		return -EINVAL;
	}
	get_str(o, "tool", m->tool, sizeof(m->tool));
	get_str(o, "host", m->host, sizeof(m->host));
	get_str(o, "kernel", m->kernel, sizeof(m->kernel));
	get_str(o, "boot_id", m->boot_id, sizeof(m->boot_id));
	get_str(o, "arch", m->arch, sizeof(m->arch));
	get_str(o, "source", m->source, sizeof(m->source));
	m->created_wall_ns = json_integer_value(json_object_get(o, "created_wall_ns"));
	f = json_dumps(json_object_get(o, "features"), JSON_COMPACT | JSON_SORT_KEYS);
	if (f)
		str_copy(m->features, sizeof(m->features), f);
	free(f);
	a = json_object_get(o, "smmus");
	json_array_foreach(a, i, v) {
		if (m->n_smmus == CAPTURE_MAX_SMMUS)
			break;
		get_str(v, "name", m->smmus[m->n_smmus].name, SMMU_NAME_LEN);
		m->smmus[m->n_smmus++].max_n_shift =
			json_integer_value(json_object_get(v, "max_n_shift"));
	}
	a = json_object_get(o, "sids");
	json_array_foreach(a, i, v) {
		struct capture_sid *s = &m->sids[m->n_sids];

		if (m->n_sids == CAPTURE_MAX_SIDS)
			break;
		get_str(v, "smmu", s->smmu, sizeof(s->smmu));
		get_str(v, "device", s->dev, sizeof(s->dev));
		s->sid = json_integer_value(json_object_get(v, "sid"));
		m->n_sids++;
	}
	json_decref(o);
	return 0;
}

/* ---- writer ------------------------------------------------------------ */

/* flush the gzip stream this often so a reader sees a file being written */
#define FLUSH_EVERY	256

struct capture_writer {
	gzFile gz;
	char *path;
	uint64_t records;
	uint64_t unflushed;
	int err;
};

static int gz_put(struct capture_writer *w, const void *data, size_t len)
{
	if (!len)
		return 0;
	if (gzwrite(w->gz, data, len) != (int)len) {
		int zerr;

		gzerror(w->gz, &zerr);
		w->err = zerr == Z_ERRNO ? errno : EIO;
		return -w->err;
	}
	return 0;
}

struct capture_writer *capture_create(const char *path, bool force,
				      const struct capture_meta *m, char *err, size_t errlen)
{
	uint32_t v[2] = { CAPTURE_VERSION, 0 };
	struct capture_writer *w;
	char *hdr = NULL;
	size_t hlen;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
			 errno == EEXIST ? " (use --force to overwrite)" : "");
		return NULL;
	}
	if (force)
		(void)fchmod(fd, 0600);	/* O_TRUNC keeps an old file's mode */
	w = calloc(1, sizeof(*w));
	if (!w || capture_encode_header(m, &hdr, &hlen)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	w->gz = gzdopen(fd, "wb6");
	if (!w->gz) {
		snprintf(err, errlen, "%s: cannot start gzip stream", path);
		goto fail;
	}
	fd = -1;
	w->path = strdup(path);
	v[1] = hlen;
	if (gz_put(w, CAPTURE_MAGIC, CAPTURE_MAGIC_LEN) || gz_put(w, v, sizeof(v)) ||
	    gz_put(w, hdr, hlen) || gzflush(w->gz, Z_SYNC_FLUSH) != Z_OK) {
		snprintf(err, errlen, "%s: write failed: %s", path, strerror(w->err ?: EIO));
		goto fail;
	}
	free(hdr);
	return w;
fail:
	free(hdr);
	if (fd >= 0)
		close(fd);
	if (w) {
		if (w->gz)
			gzclose(w->gz);
		free(w->path);
		free(w);
	}
	return NULL;
}

int capture_write(struct capture_writer *w, const struct smmu_event *ev)
{
	size_t size = smmu_event_size(ev->hdr.type);
	struct smmu_event copy;
	uint32_t len;
	int err;

	/* a failed stream stays failed: what is in it so far stays readable */
	if (w->err)
		return -w->err;
	if (!size)
		return -EINVAL;
	/* records carry their trimmed size, so readers need no type table */
	memcpy(&copy, ev, size);
	copy.hdr.size = size;
	len = size;
	err = gz_put(w, &len, sizeof(len));
	if (!err)
		err = gz_put(w, &copy, size);
	if (err)
		return err;
	w->records++;
	if (++w->unflushed >= FLUSH_EVERY)
		return capture_flush(w);
	return 0;
}

int capture_flush(struct capture_writer *w)
{
	if (w->err)
		return -w->err;
	w->unflushed = 0;
	if (gzflush(w->gz, Z_SYNC_FLUSH) != Z_OK)
		return -(w->err = EIO);
	return 0;
}

int capture_error(const struct capture_writer *w)
{
	return -w->err;
}

void capture_meta_init(struct capture_meta *m, const char *tool, const char *source)
{
	struct timespec ts;

	memset(m, 0, sizeof(*m));
	str_copy(m->tool, sizeof(m->tool), tool);
	str_copy(m->source, sizeof(m->source), source);
	clock_gettime(CLOCK_REALTIME, &ts);
	m->created_wall_ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

uint64_t capture_records(const struct capture_writer *w)
{
	return w->records;
}

int capture_close(struct capture_writer *w, char *err, size_t errlen)
{
	int ret = 0;

	if (!w)
		return 0;
	if (gzclose(w->gz) != Z_OK || w->err) {
		snprintf(err, errlen, "%s: could not finish the capture: %s", w->path,
			 strerror(w->err ?: EIO));
		ret = -EIO;
	}
	free(w->path);
	free(w);
	return ret;
}

/* ---- reader ------------------------------------------------------------ */

int capture_read_header(struct input *in, struct capture_meta *m, char *err, size_t errlen)
{
	char magic[CAPTURE_MAGIC_LEN];
	uint32_t v[2];
	char *hdr;
	int ret;

	if (input_read(in, magic, sizeof(magic)) != sizeof(magic) ||
	    !capture_is_magic(magic, sizeof(magic))) {
		snprintf(err, errlen, "not a smmutrace capture (bad magic)");
		return -EINVAL;
	}
	if (input_read(in, v, sizeof(v)) != sizeof(v)) {
		snprintf(err, errlen, "capture header is truncated");
		return -EPIPE;
	}
	if (v[0] > CAPTURE_VERSION || v[0] == 0) {
		snprintf(err, errlen, "capture format version %u is not supported "
			 "(this smmutrace reads version %d or older; upgrade smmutrace)",
			 v[0], CAPTURE_VERSION);
		return -ENOTSUP;
	}
	if (v[1] > CAPTURE_MAX_HEADER) {
		snprintf(err, errlen, "capture header length %u is implausible: corrupt file",
			 v[1]);
		return -EINVAL;
	}
	hdr = malloc(v[1] + 1);
	if (!hdr) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (input_read(in, hdr, v[1]) != v[1]) {
		snprintf(err, errlen, "capture header is truncated");
		free(hdr);
		return -EPIPE;
	}
	ret = capture_decode_header(hdr, v[1], m, err, errlen);
	free(hdr);
	return ret;
}

/* a capture is outside input: every string field must end inside its array */
static void terminate_strings(struct smmu_event *ev)
{
#define TERM(f)	((f)[sizeof(f) - 1] = '\0')
	TERM(ev->hdr.smmu);
	switch (ev->hdr.type) {
	case SMMU_EV_SUPPRESSED:	TERM(ev->suppressed.func); break;
	case SMMU_EV_EVTQ:		TERM(ev->evtq.client); break;
	case SMMU_EV_AER:		TERM(ev->aer.dev); break;
	case SMMU_EV_ISSUE:		TERM(ev->issue.comm); break;
	case SMMU_EV_SID_MAP:		TERM(ev->sid_map.dev); break;
	case SMMU_EV_IOPF:		TERM(ev->iopf.dev); break;
	case SMMU_EV_LOG_TEXT:
		if (ev->log_text.len > SMMU_TEXT_LEN)
			ev->log_text.len = SMMU_TEXT_LEN;
		break;
	}
#undef TERM
}

enum capture_status capture_next(struct input *in, struct smmu_event *ev,
				 char *err, size_t errlen)
{
	uint32_t len;
	size_t got;

again:
	got = input_read(in, &len, sizeof(len));
	if (got == 0 && !in->err)
		return CAP_END;
	if (got != sizeof(len))
		goto truncated;
	if (len < sizeof(ev->hdr) || len > CAPTURE_MAX_RECORD) {
		snprintf(err, errlen, "record of %u bytes: corrupt capture", len);
		return CAP_CORRUPT;
	}
	memset(ev, 0, sizeof(*ev));
	if (len <= sizeof(*ev)) {
		got = input_read(in, ev, len);
	} else {
		char skip[CAPTURE_MAX_RECORD];

		/* a newer writer appended fields: keep what we know */
		got = input_read(in, skip, len);
		memcpy(ev, skip, sizeof(*ev));
	}
	if (got != len)
		goto truncated;
	if (!ev->hdr.type || ev->hdr.size != len) {
		snprintf(err, errlen, "record type %u, size %u in a %u-byte record: "
			 "corrupt capture", ev->hdr.type, ev->hdr.size, len);
		return CAP_CORRUPT;
	}
	if (!smmu_event_size(ev->hdr.type))
		goto again;	/* a record type from a newer smmutrace */
	ev->hdr.size = sizeof(*ev);
	terminate_strings(ev);
	return CAP_OK;
truncated:
	if (in->err && in->err != EPIPE) {
		snprintf(err, errlen, "%s: corrupt capture; replayed up to the last whole "
			 "record", in->errmsg);
		return CAP_CORRUPT;
	}
	snprintf(err, errlen, "capture ends inside a record (cut short, or still being "
		 "written): replayed up to the last whole record");
	return CAP_TRUNCATED;
}
