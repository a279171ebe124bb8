/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Capture files: the event stream exactly as the engine saw it, so replay
 * anywhere gives the same report.
 *
 *   gzip( "SMMUTRC\0" | u32 version | u32 header_len | header JSON
 *         | { u32 record_len | record bytes }... )
 *
 * Little-endian.  A record is a struct smmu_event cut to the size of its
 * type (smmu_event_size()); readers zero-fill what an older writer did not
 * write and ignore what a newer one appended.  The writer flushes the gzip
 * stream regularly, so a file still being written can be replayed up to its
 * last flush.
 */
#ifndef SMMUTRACE_CAPTURE_H
#define SMMUTRACE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "events.h"

#define CAPTURE_MAGIC		"SMMUTRC"	/* 8 bytes with its NUL */
#define CAPTURE_MAGIC_LEN	8
#define CAPTURE_VERSION		1
#define CAPTURE_MAX_HEADER	(1u << 20)
#define CAPTURE_MAX_RECORD	4096

struct capture_smmu {
	char name[SMMU_NAME_LEN];
	uint32_t max_n_shift;		/* 0 = unknown */
};

struct capture_sid {
	char smmu[SMMU_NAME_LEN];
	uint32_t sid;
	char dev[SMMU_DEV_LEN];
};

#define CAPTURE_MAX_SMMUS	64
#define CAPTURE_MAX_SIDS	1024

struct capture_meta {
	char tool[32];
	char host[64];
	char kernel[128];
	char boot_id[40];
	char arch[16];
	char source[160];		/* "live", or "log:<file>" */
	char set[33];			/* random id shared by the files of one rotated set */
	uint32_t seq;			/* this file's place in its set, from 0 */
	int64_t created_wall_ns;
	char features[512];		/* JSON object text, e.g. {"kprobes":true} */
	int n_smmus;
	struct capture_smmu smmus[CAPTURE_MAX_SMMUS];
	int n_sids;
	struct capture_sid sids[CAPTURE_MAX_SIDS];
};

/* pure codec: no I/O, unit-tested */
size_t smmu_event_size(uint16_t type);

/* the bytes of an event of this type that can be non-zero: all of it for a type not known */
static inline size_t smmu_event_extent(uint16_t type)
{
	size_t n = smmu_event_size(type);

	return n ? n : sizeof(struct smmu_event);
}

/*
 * One event used again and again, kept whole and zero past what its type
 * fills (as a capture's reader gives it): only the bytes the last one
 * wrote, *dirty, are cleared for the next, of this type.  Returns its
 * extent, which is *dirty from here on.
 */
static inline size_t smmu_event_reuse(struct smmu_event *ev, size_t *dirty, uint16_t type)
{
	memset(ev, 0, *dirty);
	*dirty = smmu_event_extent(type);
	return *dirty;
}
int capture_encode_header(const struct capture_meta *m, char **buf, size_t *len);
int capture_decode_header(const char *json, size_t len, struct capture_meta *m,
			  char *err, size_t errlen);
bool capture_is_magic(const void *data, size_t len);

/*
 * writer: the first write error sticks; later writes and flushes return it.
 * Files are created through outfile.h: exclusively, or with force as a new
 * file renamed over a regular file; never through a symlink, never a device.
 */
struct capture_writer;
/* zeroed, with the tool, the source and the creation time */
void capture_meta_init(struct capture_meta *m, const char *tool, const char *source);
void capture_meta_init_time(struct capture_meta *m);
struct capture_writer *capture_create(const char *path, bool force,
				      const struct capture_meta *m, char *err, size_t errlen);
/*
 * tcpdump -C/-W: at the first flush past bytes, go on in PATH.1, PATH.2, ...;
 * with max_files, keep only the newest max_files files of the set.  Each
 * new file starts with the state records (queue sizes, features, SID
 * names) seen so far, flagged SMMU_EVF_CARRIED.
 */
int capture_set_rotation(struct capture_writer *w, uint64_t bytes, unsigned int max_files,
			 char *err, size_t errlen);
int capture_write(struct capture_writer *w, const struct smmu_event *ev);
/* also notices a deleted file or directory (-ENOENT) and rotates */
int capture_flush(struct capture_writer *w);
int capture_error(const struct capture_writer *w);	/* 0 or -errno */
const char *capture_errmsg(const struct capture_writer *w);	/* "PATH: why" */
int capture_close(struct capture_writer *w, char *err, size_t errlen);
uint64_t capture_records(const struct capture_writer *w);

/* reader, over an opened input (see logread.h) */
struct input;
enum capture_status {
	CAP_OK = 1,
	CAP_END = 0,		/* clean end of file */
	CAP_TRUNCATED = -1,	/* ends inside a record or the gzip stream */
	CAP_CORRUPT = -2,	/* a record that cannot be one */
};
int capture_read_header(struct input *in, struct capture_meta *m, char *err, size_t errlen);
enum capture_status capture_next(struct input *in, struct smmu_event *ev,
				 char *err, size_t errlen);

#endif /* SMMUTRACE_CAPTURE_H */
