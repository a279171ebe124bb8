/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The attribution engine: smmu_events in, incidents and aggregates out.
 * Pure and deterministic: no syscalls, no globals; its clock is the time
 * carried by the events.  Incidents are handed to the caller when they
 * can no longer change (settled), and every table has a bound (registries
 * evict, rings overwrite), so memory stays bounded on any input and the
 * cost of an event does not grow with the names seen before it.
 */
#ifndef SMMUTRACE_ENGINE_H
#define SMMUTRACE_ENGINE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "events.h"

enum incident_kind {
	INC_ATC_TIMEOUT = 0,
	INC_ILLEGAL_COMMAND,
	INC_FETCH_ABORT,
	INC_UNKNOWN_CERROR,
	INC_SYNC_TIMEOUT,
	INC_KINDS
};

enum confidence {
	CONF_UNKNOWN = 0,
	CONF_SUSPECT,
	CONF_PROBABLE,
	CONF_CONFIRMED,
	CONF_LEVELS
};

/* why a device is a suspect; a suspect may carry several */
enum evidence {
	EVD_SKIPPED_CMD	= 1 << 0,	/* the skipped (bad) command names its SID */
	EVD_QUEUE_WALK	= 1 << 1,	/* ATC_INV pending before the failing CMD_SYNC */
	EVD_ISSUER	= 1 << 2,	/* in the batch of an issuer whose window holds the sync */
	EVD_BITMAP	= 1 << 3,	/* patched kernel: atc_sync_timeouts bit / issuer -EIO */
	EVD_AER_CMPLTO	= 1 << 4,	/* AER Completion Timeout shortly before */
	EVD_KINDS	= 5
};

enum src_kind { SRC_LOG = 0, SRC_LIVE, SRC_CAPTURE };

/* what the engine noticed about an incident's evidence */
enum incident_flag {
	INCF_WALK_UNTRUSTED	= 1 << 0,	/* the ring may have been rewritten before the walk */
	INCF_WALK_PARTIAL	= 1 << 1,	/* walk hit its bound or its ATC list was cut */
	INCF_FOREIGN_RISK	= 1 << 2,	/* another CPU's sync-less chunk may precede the sync */
	INCF_COLLATERAL		= 1 << 3,	/* a sync timeout behind another failing CMD_SYNC */
	INCF_STALE_BITMAP	= 1 << 4,	/* patched report with no error at that position */
	INCF_NARROWED		= 1 << 5,	/* top suspect chosen from other incidents */
	INCF_BITMAP_LEFT	= 1 << 6,	/* patched: its issuer gave up first, the bit stays set */
	INCF_KINDS		= 7
};

/*
 * Which version of the quarantine series' atc_sync_timeouts bitmap an
 * issuer's return showed: v2 fails the issuer of a marked CMD_SYNC with
 * -ETIMEDOUT, v3 with -EIO (its -ETIMEDOUT is only the 1 s software timeout).
 */
enum bitmap_semantics {
	SEM_UNKNOWN = 0,
	SEM_V2,
	SEM_V3,
	SEM_LEVELS
};

/*
 * Which timeout fired first for a failed CMD_SYNC: the SMMU's (CERROR in
 * CONS, e.g. the ATS completion timeout) or the driver's 1 s poll limit.
 */
enum first_report {
	FIRST_UNKNOWN = 0,
	FIRST_SMMU,		/* no software timeout before it, or CONS already showed CERROR */
	FIRST_SOFTWARE,		/* the issuer gave up before the SMMU reported */
	FIRST_LEVELS
};

/* per device, across incidents */
enum verdict {
	VERDICT_NONE = 0,	/* never a suspect */
	VERDICT_CLEARED,	/* only in ambiguous sets that other devices explain */
	VERDICT_POSSIBLE,	/* in suspect sets, not singled out */
	VERDICT_LIKELY,		/* singled out across incidents, not confirmed alone */
	VERDICT_CULPRIT,	/* the only device of at least one confirmed incident */
	VERDICT_LEVELS
};

#define INC_MAX_SUSPECTS	16
#define INC_MAX_ISSUERS		4

struct evtime {
	uint64_t mono_ns;
	int64_t wall_ns;
	uint16_t flags;		/* SMMU_EVF_MONO | SMMU_EVF_WALL */
};

struct suspect {
	uint32_t sid;
	bool have_sid;
	char dev[SMMU_DEV_LEN];	/* "" = not known */
	uint32_t evidence;	/* enum evidence bits */
	uint32_t atc_count;	/* ATC_INVs naming it in the failing batch */
	uint32_t score;		/* permille: the engine's belief that it caused this incident */
};

struct issuer {
	uint32_t pid, tid;
	char comm[SMMU_COMM_LEN];
	uint8_t ctx;
	int32_t ret;
	uint64_t duration_ns;
	uint32_t cpu;
	uint32_t sync_prod;
};

struct incident {
	uint64_t id;
	enum incident_kind kind;
	/*
	 * From here to gerror: what the engine tests on every open incident
	 * for each event, kept in the first cache lines.
	 */
	struct evtime first;
	struct evtime last;
	uint64_t cmdq;			/* queue pointer from BPF records, 0 = unknown */
	uint32_t max_n_shift;		/* 0 = unknown */
	bool have_cons;
	uint32_t cons;
	uint32_t cerror;
	uint32_t prod;			/* CMD_SYNC position, SMMU_NO_POS = unknown */
	bool have_hw;
	uint32_t hwprod, hwcons;
	uint32_t retries;		/* repeated errors at the same CONS */
	uint32_t fetch_retries;
	int issuer_notified;		/* -1 unknown, 0 no, 1 yes */
	bool patched_line;		/* "CMD_SYNC for ATC_INV timeout" seen */
	bool sync_timeout_line;		/* "CMD_SYNC timeout at" seen */
	bool sync_no_pos;		/* its kernel prints "CMD_SYNC timeout" alone (before 5.4) */
	uint32_t gerror;		/* GERROR active bits reported with it */
	char smmu[SMMU_NAME_LEN];
	char host[SMMU_NAME_LEN];	/* the machine (replay of several); "" = this run's */
	bool have_skipped;
	uint64_t skipped[2];
	uint32_t skipped_bad;		/* bit 1: the second dword was unreadable */
	bool have_walk;
	uint8_t walk_stop;
	uint8_t bitmap;			/* 0, 1, 2 = no bitmap in this kernel */
	/*
	 * The bitmap's say (patched kernels; -1 unknown): bm_failed 1 = the
	 * error interrupt marked this CMD_SYNC, 0 = the report came from a
	 * bit an earlier CMD_SYNC left (stale_bitmap); bm_told 1 = its issuer
	 * got the failure from the bit, 0 = it had given up (bitmap_left_set).
	 */
	int8_t bm_failed;
	int8_t bm_told;
	enum bitmap_semantics semantics;	/* from the told issuer's return */
	uint64_t stale_from;		/* stale_bitmap: the incident that left the bit, 0 = unknown */
	uint64_t detect_ns;		/* issue to detection, when measured */
	enum first_report first_report;	/* CERROR incidents: which timeout fired first */
	uint32_t sw_timeouts;		/* "CMD_SYNC timeout" lines that waited on this stall */
	uint64_t irq_held_ns;		/* CERROR seen in a timeout line's hwcons, to the ISR */
	enum confidence confidence;
	int top;			/* likely culprit in suspects[] (sorted by score, so
					 * 0 when set), -1 = nobody singled out */
	uint32_t flags;			/* enum incident_flag bits */
	uint64_t blocked_by;		/* collateral: id of the incident that stalled the queue */
	int n_suspects;
	struct suspect suspects[INC_MAX_SUSPECTS];
	int n_issuers;
	struct issuer issuers[INC_MAX_ISSUERS];
	enum src_kind source;
	uint32_t seq;			/* input line / record of the first event */
};

struct smmu_info {
	char name[SMMU_NAME_LEN];
	char host[SMMU_NAME_LEN];	/* as struct incident */
	uint32_t max_n_shift;		/* 0 = unknown */
	int ats;			/* -1 unknown */
	uint32_t features;
	bool have_features;
	uint64_t incidents[INC_KINDS];
	uint64_t gerrors;		/* "unexpected global error" lines */
	uint64_t gerror_bits;		/* OR of everything reported */
	uint64_t evtq_events;
	uint64_t evtq_overflows;	/* "EVTQ overflow detected -- events lost" */
	uint64_t cmdqv_errors;		/* Tegra241 CMDQV "unexpected error reported" (its device) */
	uint64_t cmdq_full_timeouts;
	/* printed a line only kernels before 5.4 print: no queue sizes, no positions */
	bool pre_5_4;
	/* the quarantine series' bitmap: seen in a walk or a "CMD_SYNC for ATC_INV" line */
	bool bitmap;
	uint32_t semantics_seen;	/* 1 << enum bitmap_semantics, of told issuers */
	uint64_t bm_told;		/* incidents whose issuer the bit told */
	uint64_t bm_left;		/* bits left set: their issuer had given up */
	uint64_t bm_stale;		/* false failures from a leftover bit */
	bool have_stats;
	struct smmu_ev_stats stats;
};

struct device_stat {
	char dev[SMMU_DEV_LEN];		/* "" when only the SID is known */
	char smmu[SMMU_NAME_LEN];
	char host[SMMU_NAME_LEN];	/* as struct incident */
	uint32_t sid;
	bool have_sid;
	uint64_t incidents;		/* incidents naming it as a suspect */
	uint64_t by_conf[CONF_LEVELS];
	uint64_t by_kind[INC_KINDS];
	uint32_t evidence;
	uint64_t aer_cmplto;
	uint64_t atc_invs;		/* ATC_INVs seen for it in emitted records */
	uint64_t sole_suspect;		/* incidents where it was the only suspect */
	uint64_t sole_confirmed;	/* ATC timeouts confirmed on it alone */
	/* narrowing across incidents (ATC timeouts only) */
	enum verdict verdict;
	uint32_t score;			/* permille of the incidents naming it put on it */
	uint64_t attributed;		/* incidents the engine puts on it, rounded */
	uint64_t top;			/* incidents where it was the top suspect */
	uint64_t failing_batches;	/* failing batches that listed it */
	uint64_t smmu_failing;		/* failing batches with any suspect on its SMMU */
};

/* event-queue records, grouped by SMMU, StreamID and event */
struct evtq_group {
	char smmu[SMMU_NAME_LEN];
	char host[SMMU_NAME_LEN];	/* as struct incident */
	char dev[SMMU_DEV_LEN];		/* the client the kernel printed; "" = none */
	uint32_t sid;
	bool have_sid;
	int id;				/* event id; -1 = not known */
	uint64_t count;
	uint64_t reads, writes;		/* records that said which */
	struct evtime first, last;
};

/* registry bounds when engine_opts leaves them 0 */
#define ENGINE_MAX_SMMUS	1024	/* SMMUs and their counters */
#define ENGINE_MAX_SIDS		16384	/* (SMMU, SID) -> device name */
#define ENGINE_MAX_DEVICES	4096	/* device rows */
#define ENGINE_MAX_EVTQ_GROUPS	4096	/* (SMMU, SID, event) rows */

struct engine_opts {
	uint64_t join_window_ns;	/* error line <-> issuer line */
	uint64_t retry_window_ns;	/* same CONS again = a retry */
	uint64_t aer_window_ns;		/* AER CmpltTO before an ATC timeout */
	uint64_t settle_ns;		/* quiet time before an incident is final */
	enum src_kind source;
	uint32_t max_smmus;		/* 0 = ENGINE_MAX_SMMUS */
	uint32_t max_sids;		/* 0 = ENGINE_MAX_SIDS */
	uint32_t max_devices;		/* 0 = ENGINE_MAX_DEVICES */
};

/*
 * What the bounds made the engine forget.  An evicted row's counts leave
 * the per-SMMU and per-device aggregates (totals by kind stay whole); a
 * row that could not be made (every one in use) is counted as refused.
 */
struct engine_evictions {
	uint64_t smmus;			/* SMMU rows reused for another name */
	uint64_t sids;			/* SID -> device mappings forgotten */
	uint64_t devices;		/* device rows reused for another device */
	uint64_t queues;		/* per-queue sizes forgotten */
	uint64_t funcs;			/* ratelimited call sites forgotten */
	uint64_t evtq_groups;		/* event-record rows reused for another */
	uint64_t refused;		/* new rows of any kind not made */
	uint64_t suspect_sets;		/* distinct suspect sets not kept for narrowing */
};

typedef void (*engine_incident_fn)(void *ctx, const struct incident *inc);

struct engine;

void engine_default_opts(struct engine_opts *o);
struct engine *engine_new(const struct engine_opts *o, engine_incident_fn fn, void *ctx);
void engine_free(struct engine *e);
/* the source recorded in incidents opened from now on */
void engine_set_source(struct engine *e, enum src_kind source);
enum src_kind engine_source(const struct engine *e);
/*
 * What follows comes from another machine (replay of several machines'
 * files): everything open settles, nothing joins across, and SMMUs,
 * StreamIDs and devices are that host's own from now on.
 */
void engine_set_host(struct engine *e, const char *host);
const char *engine_host(const struct engine *e);
void engine_feed(struct engine *e, const struct smmu_event *ev);
/* settle everything still open (end of input, or exit) */
void engine_finish(struct engine *e);
/* settle incidents quiet since before 'now' (live mode tick) */
void engine_tick(struct engine *e, const struct evtime *now);

/* aggregates, valid at any time */
int engine_n_smmus(const struct engine *e);
const struct smmu_info *engine_smmu(const struct engine *e, int i);
int engine_n_devices(const struct engine *e);
const struct device_stat *engine_device(const struct engine *e, int i);
uint64_t engine_incidents_by_kind(const struct engine *e, enum incident_kind k);
uint64_t engine_suppressed(const struct engine *e);
int engine_n_suppressed_funcs(const struct engine *e);
const char *engine_suppressed_func(const struct engine *e, int i, uint64_t *count);
const struct smmu_ev_lost *engine_lost(const struct engine *e);
const char *engine_sid_device(const struct engine *e, const char *smmu, uint32_t sid);
/* the same for a host's SMMU (rows carry their host) */
const char *engine_sid_device_of(const struct engine *e, const char *host, const char *smmu,
				 uint32_t sid);
uint64_t engine_events(const struct engine *e);
void engine_evictions(const struct engine *e, struct engine_evictions *out);
int engine_n_evtq_groups(const struct engine *e);
const struct evtq_group *engine_evtq_group(const struct engine *e, int i);

/*
 * Questions the views ask (engine_query.c).  The failing CMD_SYNC's
 * position as the engine joins on it: the ISR's CONS when it reported one
 * (raw, error field included), else the issuer's prod.
 */
bool engine_incident_pos(const struct incident *inc, uint32_t *raw);
/* the same reduced to PROD/CONS wrap+idx bits (max_n_shift unknown: the
 * widest any SMMU has) */
bool engine_incident_qpos(const struct incident *inc, uint32_t *pos);
/* distinct devices among the suspects (alias SIDs of one device count once) */
int engine_incident_devices(const struct incident *inc);
/* issuer statistics exist only from kprobe/fentry runs */
bool engine_have_issuer_stats(const struct engine *e);

const char *incident_kind_name(enum incident_kind k);
const char *confidence_name(enum confidence c);
const char *evidence_name(unsigned int bit);
const char *incident_flag_name(unsigned int bit);
const char *verdict_name(enum verdict v);
const char *first_report_name(enum first_report f);
const char *semantics_name(enum bitmap_semantics s);

#endif /* SMMUTRACE_ENGINE_H */
