// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "capture.h"
#include "logread.h"
#include "outfile.h"
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
	case SMMU_EV_CMDQV_ERROR:	return BODY(cmdqv);
	case SMMU_EV_HOST:		return BODY(host);
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
	json_object_set_new(o, "set", str_or_null(m->set));
	json_object_set_new(o, "seq", json_integer(m->seq));
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
	get_str(o, "set", m->set, sizeof(m->set));
	m->seq = json_integer_value(json_object_get(o, "seq"));
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
/* state records carried into each rotated file: queues, features, SIDs */
#define CARRY_MAX	(4 * CAPTURE_MAX_SMMUS + CAPTURE_MAX_SIDS)

struct own_file {
	dev_t dev;
	ino_t ino;
};

struct capture_writer {
	gzFile gz;
	int fd;				/* owned by gz */
	struct outfile out;		/* the first file's directory and name */
	char name[300];			/* the file being written, in that directory */
	bool force;
	struct capture_meta *meta;	/* for the header of each rotated file */
	uint64_t records;
	uint64_t unflushed;
	int err;
	char errmsg[320];
	/* rotation, as tcpdump -C / -W */
	uint64_t limit;			/* bytes per file, 0 = never rotate */
	unsigned int max_files;		/* files kept, 0 = every one */
	struct own_file *own;		/* ring of the files kept, by seq */
	struct smmu_event *carry;
	int n_carry;
};

/* the file being written, as the user would name it */
static const char *cur_path(const struct capture_writer *w, char *buf, size_t len)
{
	if (!w->meta->seq)
		return w->out.path;
	snprintf(buf, len, "%s.%u", w->out.path, w->meta->seq);
	return buf;
}

/* the first error sticks, with its message */
static int set_err(struct capture_writer *w, int err, const char *what)
{
	char buf[sizeof(w->name) + 16];

	if (w->err)
		return -w->err;
	w->err = err;
	snprintf(w->errmsg, sizeof(w->errmsg), "%s: %s%s%s", cur_path(w, buf, sizeof(buf)),
		 what, *what ? ": " : "", strerror(err));
	return -err;
}

static int gz_put(struct capture_writer *w, const void *data, size_t len)
{
	if (!len)
		return 0;
	if (gzwrite(w->gz, data, len) != (int)len) {
		int zerr;

		gzerror(w->gz, &zerr);
		return set_err(w, zerr == Z_ERRNO ? errno : EIO, "write failed");
	}
	return 0;
}

/* rotated files: NAME, NAME.1, NAME.2, ... */
static void seq_name(const struct capture_writer *w, uint32_t seq, char *buf, size_t len)
{
	if (seq)
		snprintf(buf, len, "%s.%u", w->out.name, seq);
	else
		snprintf(buf, len, "%s", w->out.name);
}

static void new_set_id(char *id, size_t len)
{
	unsigned char r[16];
	struct timespec ts;

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(r, &ts, sizeof(ts) < sizeof(r) ? sizeof(ts) : sizeof(r));
		r[15] ^= getpid();
	}
	for (size_t i = 0; i < sizeof(r) && 2 * i + 2 < len; i++)
		snprintf(id + 2 * i, 3, "%02x", r[i]);
}

static int flush(struct capture_writer *w, bool may_rotate);

/* a new file of the set, header written: seq and name come from w->meta */
static int open_file(struct capture_writer *w, char *err, size_t errlen)
{
	uint32_t v[2] = { CAPTURE_VERSION, 0 };
	char *hdr = NULL;
	struct stat st;
	size_t hlen;
	int fd;

	seq_name(w, w->meta->seq, w->name, sizeof(w->name));
	fd = outfile_create(&w->out, w->name, w->force, err, errlen);
	if (fd < 0) {
		if (fd == -EEXIST)
			snprintf(err + strlen(err), errlen - strlen(err),
				 " (use --force to overwrite)");
		return fd;
	}
	if (w->max_files && !fstat(fd, &st)) {
		w->own[w->meta->seq % w->max_files].dev = st.st_dev;
		w->own[w->meta->seq % w->max_files].ino = st.st_ino;
	}
	w->gz = gzdopen(fd, "wb6");
	if (!w->gz) {
		close(fd);
		snprintf(err, errlen, "%s: cannot start gzip stream", w->name);
		return -ENOMEM;
	}
	w->fd = fd;
	if (capture_encode_header(w->meta, &hdr, &hlen)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	v[1] = hlen;
	if (gz_put(w, CAPTURE_MAGIC, CAPTURE_MAGIC_LEN) || gz_put(w, v, sizeof(v)) ||
	    gz_put(w, hdr, hlen) || flush(w, false)) {
		snprintf(err, errlen, "%s", w->errmsg);
		free(hdr);
		return -w->err;
	}
	free(hdr);
	return 0;
}

static void free_writer(struct capture_writer *w)
{
	if (w->gz)
		gzclose(w->gz);
	outfile_close(&w->out);
	free(w->meta);
	free(w->own);
	free(w->carry);
	free(w);
}

struct capture_writer *capture_create(const char *path, bool force,
				      const struct capture_meta *m, char *err, size_t errlen)
{
	struct capture_writer *w = calloc(1, sizeof(*w));

	if (!w || !(w->meta = malloc(sizeof(*w->meta)))) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->fd = -1;
	*w->meta = *m;
	w->meta->seq = 0;
	if (!w->meta->set[0])
		new_set_id(w->meta->set, sizeof(w->meta->set));
	w->force = force;
	if (outfile_open(&w->out, path, 0600, err, errlen) || open_file(w, err, errlen)) {
		free_writer(w);
		return NULL;
	}
	return w;
}

int capture_set_rotation(struct capture_writer *w, uint64_t bytes, unsigned int max_files,
			 char *err, size_t errlen)
{
	char name[sizeof(w->name)];
	struct stat st;

	if (max_files && !(w->own = calloc(max_files, sizeof(*w->own)))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	w->limit = bytes;
	w->max_files = max_files;
	if (max_files && !fstat(w->fd, &st)) {
		w->own[0].dev = st.st_dev;
		w->own[0].ino = st.st_ino;
	}
	/* a name the rotation will need is taken: say so now, not hours later */
	for (uint32_t seq = 1; !w->force && seq < (max_files ? max_files : 2); seq++) {
		seq_name(w, seq, name, sizeof(name));
		if (!fstatat(w->out.dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
			snprintf(err, errlen, "%s/%s: %s (use --force to overwrite)", w->out.dir,
				 name, strerror(EEXIST));
			return -EEXIST;
		}
	}
	return 0;
}

/* the latest record of each kind of state, to start every rotated file with */
static void carry(struct capture_writer *w, const struct smmu_event *ev)
{
	struct smmu_event *c;
	int i;

	if (ev->hdr.type != SMMU_EV_QUEUE_INFO && ev->hdr.type != SMMU_EV_FEATURES &&
	    ev->hdr.type != SMMU_EV_SID_MAP)
		return;
	for (i = 0; i < w->n_carry; i++) {
		c = &w->carry[i];
		if (c->hdr.type != ev->hdr.type || strcmp(c->hdr.smmu, ev->hdr.smmu))
			continue;
		if ((ev->hdr.type == SMMU_EV_QUEUE_INFO &&
		     c->queue_info.queue != ev->queue_info.queue) ||
		    (ev->hdr.type == SMMU_EV_SID_MAP && c->sid_map.sid != ev->sid_map.sid))
			continue;
		break;
	}
	if (i == w->n_carry) {
		if (i == CARRY_MAX)
			return;
		c = realloc(w->carry, (i + 1) * sizeof(*c));
		if (!c)
			return;
		w->carry = c;
		w->n_carry++;
	}
	w->carry[i] = *ev;
}

static int put_record(struct capture_writer *w, const struct smmu_event *ev, uint16_t flags)
{
	size_t size = smmu_event_size(ev->hdr.type);
	struct smmu_event copy;
	uint32_t len;
	int err;

	/* records carry their trimmed size, so readers need no type table */
	memcpy(&copy, ev, size);
	copy.hdr.size = size;
	copy.hdr.flags |= flags;
	len = size;
	err = gz_put(w, &len, sizeof(len));
	if (!err)
		err = gz_put(w, &copy, size);
	return err;
}

static int rotate(struct capture_writer *w)
{
	char err[sizeof(w->errmsg)], old[sizeof(w->name)];
	struct own_file prev = { 0 };
	uint32_t seq = w->meta->seq + 1;
	int ret;

	ret = gzclose(w->gz);
	w->gz = NULL;
	if (ret != Z_OK)
		return set_err(w, ret == Z_ERRNO ? errno : EIO, "could not finish the file");
	/* the ring slot of seq - max_files is reused by seq: read it first */
	if (w->max_files)
		prev = w->own[seq % w->max_files];
	w->meta->seq = seq;
	capture_meta_init_time(w->meta);
	ret = open_file(w, err, sizeof(err));
	if (ret) {
		if (!w->err) {
			w->err = -ret;
			snprintf(w->errmsg, sizeof(w->errmsg), "%s", err);
		}
		return -w->err;
	}
	for (int i = 0; i < w->n_carry && !ret; i++)
		ret = put_record(w, &w->carry[i], SMMU_EVF_CARRIED);
	if (!ret && w->max_files && seq >= w->max_files) {
		seq_name(w, seq - w->max_files, old, sizeof(old));
		(void)outfile_remove_own(&w->out, old, prev.dev, prev.ino);
	}
	return ret;
}

int capture_write(struct capture_writer *w, const struct smmu_event *ev)
{
	int err;

	/* a failed stream stays failed: what is in it so far stays readable */
	if (w->err)
		return -w->err;
	if (!smmu_event_size(ev->hdr.type))
		return -EINVAL;
	err = put_record(w, ev, 0);
	if (err)
		return err;
	if (w->limit)
		carry(w, ev);
	w->records++;
	if (++w->unflushed >= FLUSH_EVERY)
		return capture_flush(w);
	return 0;
}

static int flush(struct capture_writer *w, bool may_rotate)
{
	char buf[sizeof(w->name) + 16];

	if (w->err)
		return -w->err;
	w->unflushed = 0;
	if (gzflush(w->gz, Z_SYNC_FLUSH) != Z_OK) {
		int err = errno, zerr;

		/* the real errno (ENOSPC, EFBIG), not EIO, when the file failed */
		gzerror(w->gz, &zerr);
		return set_err(w, zerr == Z_ERRNO && err ? err : EIO, "write failed");
	}
	/* rm -r of the directory, or of the file: recording would go nowhere */
	if (outfile_gone(&w->out, w->fd, cur_path(w, buf, sizeof(buf)), w->errmsg,
			 sizeof(w->errmsg)))
		return -(w->err = ENOENT);
	if (may_rotate && w->limit && gzoffset(w->gz) >= (z_off_t)w->limit)
		return rotate(w);
	return 0;
}

int capture_flush(struct capture_writer *w)
{
	return flush(w, true);
}

int capture_error(const struct capture_writer *w)
{
	return -w->err;
}

const char *capture_errmsg(const struct capture_writer *w)
{
	return w->err ? w->errmsg : "";
}

void capture_meta_init_time(struct capture_meta *m)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	m->created_wall_ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void capture_meta_init(struct capture_meta *m, const char *tool, const char *source)
{
	memset(m, 0, sizeof(*m));
	str_copy(m->tool, sizeof(m->tool), tool);
	str_copy(m->source, sizeof(m->source), source);
	capture_meta_init_time(m);
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
	if (!w->err && w->gz)
		flush(w, false);	/* notices a deleted file */
	errno = 0;
	if (w->gz && (ret = gzclose(w->gz)) != Z_OK)
		set_err(w, ret == Z_ERRNO && errno ? errno : EIO, "");
	ret = -w->err;
	if (ret)
		snprintf(err, errlen, "could not finish the capture: %s", w->errmsg);
	w->gz = NULL;
	free_writer(w);
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
	case SMMU_EV_HOST:		TERM(ev->host.name); break;
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
