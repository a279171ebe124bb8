/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The attribution engine's insides, shared by its files (in dependency
 * order): time.c (event-time arithmetic), registry.c (SMMUs, SIDs, devices,
 * queue sizes, names), open.c (opening and closing incidents, the sets of
 * open ones a line can join), join.c (which incident an event belongs to),
 * attrib.c (the evidence weighed when an incident settles), bitmap.c (what
 * the quarantine series' atc_sync_timeouts bitmap told), narrow.c
 * (narrowing and verdicts across incidents), settle.c (settling and
 * accounting), feed.c (the event handlers), engine.c (the public API's
 * lifecycle and names) and query.c (what the views ask).  Nothing here is part of engine.h's API.
 */
#ifndef SMMUTRACE_ENGINE_INTERNAL_H
#define SMMUTRACE_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine.h"


#define MAX_OPEN	256
#define AER_RING	64
#define ISSUE_RING	256
#define QWALK_RING	32
#define SWTO_RING	64
#define RECENT_RING	64
#define STALE_RING	32
#define OPEN_RECS	32
#define MAX_SETS	1024
#define SMMU_RECENT	2
#define SPARE_INCS	8	/* closed incidents kept for reuse (open.c) */
/* registries with no bound in engine_opts */
#define ENGINE_MAX_QUEUES	1024
#define ENGINE_MAX_FUNCS	256
#define EM_ROUNDS	60
#define NSEC		1000000000ULL
#define MSEC		1000000ULL
/*
 * A CMD_SYNC's issuer polls for 1 s (ARM_SMMU_POLL_TIMEOUT_US), IRQs off.
 * queue_poll() checks that deadline between udelay()s that double: the
 * poll ends by about 1.05 s after it began (timeout lines measured 1.05 s
 * apart, reference §11).
 */
#define POLL_MAX_NS	(1100ULL * MSEC)
/* an unpatched issuer only returns an error after the 1 s poll timeout */
#define SW_TIMEOUT_NS	(900ULL * MSEC)
/* clock slack between a printk and a BPF timestamp of the same moment */
#define SLACK_NS	MSEC
/*
 * A software timeout this long before a command-queue walk, at or after the failing
 * position, means the driver's llq.cons ran ahead of the hardware while the
 * CMD_SYNC was pending: the ring slots may hold a later lap.
 */
#define HAZARD_WINDOW_NS (2 * NSEC)
/* a command-queue walk record can precede its "CMDQ error" line by this much at most */
#define QWALK_EARLY_NS	(10 * MSEC)
/* posterior (permille) a suspect needs to be named the likely culprit */
#define TOP_PERMILLE	750

struct smmu_priv {
	struct smmu_info info;		/* first: engine_smmu() hands it out */
	uint32_t last_gerror;
	struct evtime last_gerror_t;
	struct evtime last_full;	/* last "CMDQ timeout": a CPU waited for space */
	bool carriers;			/* its issuers split batches into sync-less chunks */
};

struct sid_entry {
	char smmu[SMMU_NAME_LEN];
	char host[SMMU_NAME_LEN];
	uint32_t sid;
	char dev[SMMU_DEV_LEN];
};

struct issue_entry {
	char smmu[SMMU_NAME_LEN];
	struct evtime t;
	uint32_t cpu;
	struct smmu_ev_issue is;
};

/* the ISR's command-queue walk back from CONS (BPF's stream-tree walk maps SIDs) */
struct qwalk_entry {
	char smmu[SMMU_NAME_LEN];
	struct evtime t;
	uint32_t cpu;
	uint64_t used_by;		/* incident it was applied to: a walk is one ISR's */
	struct smmu_ev_queue_walk w;
};

/* a software timeout: from the issuer's line or its -ETIMEDOUT record */
struct swto_entry {
	char smmu[SMMU_NAME_LEN];
	uint64_t cmdq;			/* 0 = from a log line, queue unknown */
	uint32_t pos;
	struct evtime t;
};

/* a settled CMDQ-error incident, for sync timeouts that queued behind it */
struct recent_entry {
	char smmu[SMMU_NAME_LEN];
	uint64_t cmdq;
	uint32_t cons;
	uint32_t shift;
	uint64_t id;
	struct evtime t;
	struct evtime last;
};

/*
 * atc_sync_timeouts bits a late ISR set after the issuer had given up: the
 * next CMD_SYNC on that index, a lap later or more, is told it failed.
 */
struct stale_entry {
	char smmu[SMMU_NAME_LEN];
	uint32_t pos;
	uint32_t shift;
	struct evtime t;
	uint64_t cmdq;			/* its queue (each has its own bitmap), 0 = unknown */
	uint64_t id;			/* the incident that left it */
	bool used;
};

struct qshift {
	uint64_t cmdq;
	uint32_t shift;
};

struct dev_entry {
	struct device_stat st;		/* first: engine_device() hands it out */
	double p;			/* EM: share of all failures caused by it */
	double w;			/* EM: expected incidents caused by it */
	double present;			/* suspect sets that list it */
	uint64_t strong;		/* of which from evidence that cannot miss the culprit */
};

/* a distinct suspect set and how many incidents had it */
struct set_entry {
	int n;
	int dev[INC_MAX_SUSPECTS];
	uint64_t count;
};

struct func_count {
	char func[SMMU_FUNC_LEN];
	uint64_t count;
};

/* a hash index slot: the key's hash, and the entry's index + 1 (0 = empty) */
struct reg_slot {
	uint32_t hash;
	uint32_t idx1;
};

/* a bounded registry: entries [0, n) of an array of 'bound', found by hash */
/* registry use marks: the event count when last used, and this bit */
#define REG_USED_LATELY		(1ULL << 63)

struct registry {
	struct reg_slot *tab;
	uint64_t *used;			/* per entry: REG_USED_LATELY | e->events */
	uint32_t mask;			/* index size - 1, a power of two >= 2 * bound */
	int n, bound;
	int hand;			/* CLOCK eviction */
	uint64_t evicted;		/* entries that gave their slot to a new key */
	uint64_t refused;		/* new keys with no slot (every entry in use) */
};

struct open_inc {
	/*
	 * Tested on every open incident for each event, with the head of inc
	 * right after them: the scans over open[] touch few cache lines.
	 */
	bool stale;			/* a patched report of a bit left by a late ISR */
	bool gave_up;			/* its issuer gave up before the ISR marked the slot */
	bool from_timeout;		/* opened by its issuer's software timeout */
	bool from_record;		/* opened by an issuer's return: its line came before */
	bool weak;			/* its suspects may not include the culprit */
	bool superseded;		/* another error on this SMMU came after it */
	bool progressed;		/* a CMD_SYNC behind it completed: no retry now */
	bool err_seen;			/* a timeout line's hwcons showed CERROR here */
	uint64_t stall_by;		/* the incident whose ISR reported the stall its line saw */
	struct evtime cons_t;		/* when the CMDQ error line came */
	struct incident inc;		/* handed out as is (oi_of() finds the rest) */
	bool have_qwalk;
	struct qwalk_entry qwalk;	/* the ISR's command-queue walk */
	int n_recs;
	/*
	 * Issuers matching or in flight, OPEN_RECS at most: allocated with the
	 * first (30 KB that a log, which has no issuer records, never needs).
	 */
	struct issue_entry *recs;
	bool recs_dropped;		/* recs[] was full: a record offered was not kept */
	struct evtime err_t;		/* the first such line */
};

/*
 * Two names held in char[SMMU_NAME_LEN] (SMMUs, hosts) equal as
 * strncmp(a, b, SMMU_NAME_LEN) sees them, 8 bytes a step and inline: every
 * event asks for its SMMU, and scans compare names in their inner loops.
 * Bytes past a NUL may differ (an event's name is not cleared past it);
 * the lowest bit of the zero-byte mask is exact, borrows only go upward.
 */
static inline bool name_eq(const char *a, const char *b)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ULL;
	uint64_t x, y, zero;

	for (int i = 0; i < SMMU_NAME_LEN; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		zero = (x - ones) & ~x & (ones << 7);
		if (x != y)
			return zero && __builtin_ctzll(zero) < __builtin_ctzll(x ^ y);
		if (zero)
			return true;
	}
	return true;
#else
	return !strncmp(a, b, SMMU_NAME_LEN);
#endif
}

/* an open incident from its public part: open_inc holds it first */
static inline struct open_inc *oi_of(struct incident *inc)
{
	return (struct open_inc *)((char *)inc - offsetof(struct open_inc, inc));
}

static inline const struct open_inc *coi_of(const struct incident *inc)
{
	return (const struct open_inc *)((const char *)inc - offsetof(struct open_inc, inc));
}

/* some of open[], in the same (id) order */
struct open_set {
	struct open_inc *oi[MAX_OPEN];
	int n;
};

struct engine {
	struct engine_opts o;
	char host[SMMU_NAME_LEN];	/* engine_set_host(); "" = this run's */
	engine_incident_fn fn;
	void *ctx;
	uint64_t next_id;
	uint64_t events;

	struct open_inc *open[MAX_OPEN];
	int n_open;
	struct open_inc *held[MAX_OPEN];	/* settled, waiting for older ones (id order) */
	int n_held;
	struct open_inc *spare[SPARE_INCS];	/* emitted, kept for inc_new() */
	int n_spare;
	/*
	 * The open incidents a new CMDQ error line can retry or supersede
	 * (their own line came, none after it on their SMMU), and those whose
	 * line has not come.  Most open incidents are in neither.
	 */
	struct open_set cur_err;
	struct open_set no_line;
	/*
	 * Per open[] place: a time on the monotonic clock up to which it
	 * cannot settle, as of its last look (engine_tick()), or DUE_UNKNOWN.
	 */
	int64_t open_due[MAX_OPEN];

	struct smmu_priv *smmus;
	struct registry smmu_reg;
	int smmu_recent[SMMU_RECENT];	/* rows smmu_get() found lately, newest first; -1 = none */
	struct dev_entry *devs;
	struct registry dev_reg;
	struct sid_entry *sids;
	struct registry sid_reg;
	struct registry sid_newest;	/* SID alone -> its newest mapping, any SMMU */
	struct func_count *funcs;
	struct registry func_reg;
	struct qshift *qs;
	struct registry q_reg;
	struct evtq_group *evgs;
	struct registry evg_reg;
	struct set_entry *sets;
	int n_sets;
	uint64_t sets_dropped;

	/* AER completion timeouts: times apart, as every ATC timeout scans them */
	struct evtime aer_t[AER_RING];
	char aer_dev[AER_RING][SMMU_DEV_LEN];
	unsigned int aer_head;
	struct issue_entry *issues;	/* ring of ISSUE_RING */
	unsigned int issue_head;
	struct qwalk_entry qwalks[QWALK_RING];
	unsigned int qwalk_head;
	struct swto_entry swto[SWTO_RING];
	unsigned int swto_head;
	struct recent_entry recent[RECENT_RING];
	unsigned int recent_head;
	struct stale_entry stale[STALE_RING];
	unsigned int stale_head;

	uint64_t by_kind[INC_KINDS];
	uint64_t suppressed;
	struct smmu_ev_lost lost;
};


/* time.c; the two every event calls for each open incident are inline */
static inline void evtime_of(const struct smmu_event *ev, struct evtime *t)
{
	t->mono_ns = ev->hdr.mono_ns;
	t->wall_ns = ev->hdr.wall_ns;
	t->flags = ev->hdr.flags & (SMMU_EVF_MONO | SMMU_EVF_WALL);
}

/* a - b on a clock both carry; false when they share none */
static inline bool tdiff(const struct evtime *a, const struct evtime *b, int64_t *d)
{
	if (a->flags & b->flags & SMMU_EVF_MONO) {
		*d = (int64_t)(a->mono_ns - b->mono_ns);
		return true;
	}
	if (a->flags & b->flags & SMMU_EVF_WALL) {
		/* wrapping, like the monotonic case: captured times are outside input */
		*d = (int64_t)((uint64_t)a->wall_ns - (uint64_t)b->wall_ns);
		return true;
	}
	return false;
}

bool near(const struct evtime *a, const struct evtime *b, uint64_t w);
bool before_within(const struct evtime *a, const struct evtime *b, uint64_t w);
void evtime_max(struct evtime *dst, const struct evtime *t);
uint64_t tdist(const struct evtime *a, const struct evtime *b);

/* registry.c */
void registry_init(struct engine *e);
void registry_free(struct engine *e);
struct smmu_priv *smmu_get(struct engine *e, const char *name);
void sid_map_add(struct engine *e, const char *smmu, uint32_t sid, const char *dev);
int dev_idx(struct engine *e, const char *smmu, const char *dev, bool have_sid, uint32_t sid);
struct device_stat *dev_get(struct engine *e, const char *smmu, const char *dev,
			    bool have_sid, uint32_t sid);
uint32_t smmu_shift(struct engine *e, const char *name);
void qshift_set(struct engine *e, uint64_t cmdq, uint32_t shift);
uint32_t qshift_get(const struct engine *e, uint64_t cmdq);
void func_count_add(struct engine *e, const char *func, uint64_t count);
void evtq_group_add(struct engine *e, const struct smmu_event *ev);

/* open.c */
#define DUE_UNKNOWN	INT64_MIN
struct incident *inc_new(struct engine *e, enum incident_kind kind, const struct smmu_event *ev);
/*
 * An open incident's last, have_cons and prod change only through these,
 * which tell engine_tick() (open_due[]); evtime_max() of its last report:
 */
void inc_seen_at(struct engine *e, struct incident *inc, const struct evtime *t);
void inc_set_prod(struct engine *e, struct incident *inc, uint32_t prod);
void inc_cons_seen(struct engine *e, struct open_inc *oi);
void inc_superseded(struct engine *e, int cur_err_idx);
void inc_closing(struct engine *e, struct open_inc *oi);
void inc_free(struct open_inc *oi);
void inc_release(struct engine *e, struct open_inc *oi);

/* join.c */
struct suspect *suspect_add(struct incident *inc, bool have_sid, uint32_t sid,
			    const char *dev, uint32_t evidence);
enum incident_kind kind_of_cerror(uint32_t cerror);
bool inc_pos(const struct incident *inc, uint32_t *pos);
bool pos_after(uint32_t from, uint32_t pos, uint32_t shift);
bool same_queue(const struct incident *inc, const struct issue_entry *ie);
uint32_t issue_shift(const struct engine *e, const struct incident *inc,
		     const struct smmu_ev_issue *is);
void issue_start(const struct issue_entry *ie, struct evtime *start);
bool in_flight(const struct incident *inc, const struct issue_entry *ie);
int issue_matches(struct engine *e, const struct incident *inc, const struct issue_entry *ie);
bool printer_batch_counts(struct engine *e, const struct incident *inc,
			  const struct issue_entry *ie);
bool issue_bitmap_confirms(const struct smmu_ev_issue *is);
bool issue_sw_timeout(const struct smmu_ev_issue *is);
bool carries_chunks(const struct smmu_ev_issue *is);
bool ended_after(const struct issue_entry *ie, const struct evtime *t, uint64_t w);
void offer_issue(struct engine *e, struct open_inc *oi, const struct issue_entry *ie);
bool recs_complete(const struct engine *e, const struct open_inc *oi);
bool qwalk_matches(const struct incident *inc, const struct qwalk_entry *we);
void qwalk_apply(struct engine *e, struct open_inc *oi, struct qwalk_entry *we);
void attach_recent(struct engine *e, struct open_inc *oi);
void attach_aer(struct engine *e, struct incident *inc);
void on_cmdq_error(struct engine *e, const struct smmu_event *ev);
void on_issuer_line(struct engine *e, const struct smmu_event *ev);
void on_skipped(struct engine *e, const struct smmu_event *ev);
void on_fetch_retry(struct engine *e, const struct smmu_event *ev);
void on_aer(struct engine *e, const struct smmu_event *ev);
void on_issue(struct engine *e, const struct smmu_event *ev);
void on_queue_walk(struct engine *e, const struct smmu_event *ev);

/* bitmap.c */
void bitmap_note(struct engine *e, const char *smmu);
void stale_add(struct engine *e, const struct incident *inc);
uint64_t stale_take(struct engine *e, const char *smmu, uint64_t cmdq, uint32_t prod,
		    const struct evtime *t);
void bitmap_on_error(struct engine *e, struct open_inc *oi);
void bitmap_claim_record(struct engine *e, const struct smmu_event *ev,
			 const struct issue_entry *ie);
void bitmap_settle(struct engine *e, struct open_inc *oi);

/* attrib.c */
bool same_device(const struct suspect *a, const struct suspect *b);
int count_devices(const struct incident *inc);
bool failed_here(const struct incident *inc);
bool stall_at(const struct incident *o, uint32_t *at);
bool cons_polling(struct engine *e, const char *smmu);
void attribute(struct engine *e, struct open_inc *oi);

/* narrow.c */
void verdicts(struct engine *e);
void narrow(struct engine *e, struct open_inc *oi);

/* settle.c */
void inc_settle(struct engine *e, int idx);
void engine_tick(struct engine *e, const struct evtime *now);

#endif /* SMMUTRACE_ENGINE_INTERNAL_H */
