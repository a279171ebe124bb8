// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Registries: SMMUs, SID -> device names, device rows, queue sizes and
 * ratelimited call sites.  Names come from outside input (a log can hold
 * any number of them), so each registry is a fixed-capacity array found
 * through a hash index, and a new name past the bound takes the slot of one
 * not used lately (CLOCK: a slot used since the hand last passed gets
 * another round).  Evictions are counted for the views.  Slots stay put
 * while the engine lives, so pointers into them hold until the next
 * registry insert of the same kind, and entries used during the current
 * event are never evicted.
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "internal.h"
#include "util.h"

/* FNV-1a: short keys, no adversary can make this worse than linear probing */
#define FNV_OFFSET	2166136261u
#define FNV_PRIME	16777619u

static uint32_t hash_bytes(uint32_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * FNV_PRIME;
	return h;
}

static uint32_t hash_str(uint32_t h, const char *s, size_t max)
{
	return hash_bytes(h, s, strnlen(s, max));
}

static uint32_t hash_u64(uint32_t h, uint64_t v)
{
	return hash_bytes(h, &v, sizeof(v));
}

/* ---- the hash index over a registry's slots ----------------------------- */

static uint32_t pow2_at_least(int n)
{
	uint32_t p = 16;

	while (p < (uint32_t)n)
		p <<= 1;
	return p;
}

/* the array of 'size' entries and the index, on first use; false when out of memory */
static bool reg_ready(struct registry *r, void **arr, size_t size)
{
	if (r->tab)
		return true;
	r->mask = pow2_at_least(2 * r->bound) - 1;
	r->tab = calloc(r->mask + 1, sizeof(*r->tab));
	r->used = calloc(r->bound, sizeof(*r->used));
	*arr = calloc(r->bound, size);
	if (r->tab && r->used && *arr)
		return true;
	free(r->tab);
	free(r->used);
	free(*arr);
	r->tab = NULL;
	r->used = NULL;
	*arr = NULL;
	return false;
}

typedef bool (*reg_eq_fn)(const struct engine *e, int idx, const void *key);

static int reg_find(const struct registry *r, uint32_t h, reg_eq_fn eq,
		    const struct engine *e, const void *key)
{
	if (!r->tab)
		return -1;
	for (uint32_t i = h & r->mask; r->tab[i].idx1; i = (i + 1) & r->mask)
		if (r->tab[i].hash == h && eq(e, r->tab[i].idx1 - 1, key))
			return r->tab[i].idx1 - 1;
	return -1;
}

static void reg_link(struct registry *r, uint32_t h, int idx)
{
	uint32_t i = h & r->mask;

	while (r->tab[i].idx1)
		i = (i + 1) & r->mask;
	r->tab[i].hash = h;
	r->tab[i].idx1 = idx + 1;
}

/* drop slot idx from the index; backward shift keeps every probe chain whole */
static void reg_unlink(struct registry *r, uint32_t h, int idx)
{
	uint32_t i = h & r->mask, j;

	while (r->tab[i].idx1 && r->tab[i].idx1 != (uint32_t)idx + 1)
		i = (i + 1) & r->mask;
	if (!r->tab[i].idx1)
		return;
	for (j = (i + 1) & r->mask; r->tab[j].idx1; j = (j + 1) & r->mask) {
		uint32_t home = r->tab[j].hash & r->mask;

		/* j may move to the hole at i only if its home is not in (i, j] */
		if (((j - home) & r->mask) >= ((j - i) & r->mask)) {
			r->tab[i] = r->tab[j];
			i = j;
		}
	}
	r->tab[i].idx1 = 0;
}

/* an entry used now: spared by the next pass of the hand, never taken during this event */
static void reg_touch(const struct engine *e, struct registry *r, int idx)
{
	r->used[idx] = e->events | REG_USED_LATELY;
}

typedef bool (*reg_pinned_fn)(const struct engine *e, int idx);

static bool reg_keep(const struct engine *e, struct registry *r, reg_pinned_fn pinned, int idx)
{
	if ((r->used[idx] & ~REG_USED_LATELY) == (e->events & ~REG_USED_LATELY) ||
	    (pinned && pinned(e, idx)))
		return true;
	if (r->used[idx] & REG_USED_LATELY) {
		r->used[idx] &= ~REG_USED_LATELY;
		return true;
	}
	return false;
}

/*
 * A slot for a new key: the next free one, else CLOCK over the used ones
 * (an entry used since the hand last passed gets another round); -1 when
 * every slot must be kept.  The caller unlinks the victim's old key.
 */
static int reg_slot(struct engine *e, struct registry *r, reg_pinned_fn pinned, bool *evict)
{
	*evict = false;
	if (r->n < r->bound)
		return r->n++;
	for (int step = 0; step < 2 * r->n; step++) {
		int idx = r->hand;

		r->hand = (r->hand + 1) % r->n;
		if (!reg_keep(e, r, pinned, idx)) {
			*evict = true;
			r->evicted++;
			return idx;
		}
	}
	r->refused++;
	return -1;
}

static void reg_init(struct registry *r, uint32_t bound)
{
	memset(r, 0, sizeof(*r));
	r->bound = bound ? (int)bound : 1;
}

static void reg_free(struct registry *r)
{
	free(r->tab);
	free(r->used);
	r->tab = NULL;
	r->used = NULL;
}

/* ---- SMMUs -------------------------------------------------------------- */

/* rows of a replay of several machines' files are their host's */
static uint32_t host_hash(const char *host)
{
	return host[0] ? hash_str(FNV_OFFSET ^ 0x5bd1e995u, host, SMMU_NAME_LEN) : FNV_OFFSET;
}

static uint32_t smmu_hash(const char *host, const char *name)
{
	return hash_str(host_hash(host), name, SMMU_NAME_LEN);
}

/* hosts are "" but in a replay of several machines: no call for that */
static bool same_host(const char *a, const char *b)
{
	return a[0] == b[0] && (!a[0] || !strcmp(a, b));
}

static bool smmu_eq(const struct engine *e, int idx, const void *key)
{
	return same_host(e->smmus[idx].info.host, e->host) &&
	       name_eq(e->smmus[idx].info.name, key);
}

/*
 * Events ask for the SMMUs of the last few incidents again and again: a
 * row found lately, while it still holds the name (keys are unique), is
 * what the index would find.
 */
static int smmu_recent(const struct engine *e, const char *name)
{
	for (int i = 0; i < SMMU_RECENT; i++)
		if (e->smmu_recent[i] >= 0 && smmu_eq(e, e->smmu_recent[i], name))
			return e->smmu_recent[i];
	return -1;
}

static void smmu_recent_note(struct engine *e, int idx)
{
	int i;

	for (i = 0; i < SMMU_RECENT - 1 && e->smmu_recent[i] != idx; i++)
		;
	memmove(&e->smmu_recent[1], &e->smmu_recent[0], i * sizeof(e->smmu_recent[0]));
	e->smmu_recent[0] = idx;
}

struct smmu_priv *smmu_get(struct engine *e, const char *name)
{
	int idx = smmu_recent(e, name);
	struct smmu_priv *s;
	uint32_t h;
	bool evict;

	if (idx >= 0)
		goto found;
	h = smmu_hash(e->host, name);
	idx = reg_find(&e->smmu_reg, h, smmu_eq, e, name);
	if (idx >= 0)
		goto found;
	if (!reg_ready(&e->smmu_reg, (void **)&e->smmus, sizeof(*e->smmus)))
		return NULL;
	idx = reg_slot(e, &e->smmu_reg, NULL, &evict);
	if (idx < 0)
		return NULL;
	s = &e->smmus[idx];
	if (evict)
		reg_unlink(&e->smmu_reg, smmu_hash(s->info.host, s->info.name), idx);
	memset(s, 0, sizeof(*s));
	str_copy(s->info.name, sizeof(s->info.name), name);
	str_copy(s->info.host, sizeof(s->info.host), e->host);
	s->info.ats = -1;
	reg_link(&e->smmu_reg, h, idx);
found:
	reg_touch(e, &e->smmu_reg, idx);
	smmu_recent_note(e, idx);
	return &e->smmus[idx];
}

uint32_t smmu_shift(struct engine *e, const char *name)
{
	struct smmu_priv *s = smmu_get(e, name);

	return s ? s->info.max_n_shift : 0;
}

/* ---- SID -> device name ------------------------------------------------- */

struct sid_key {
	const char *host;
	const char *smmu;
	uint32_t sid;
};

static uint32_t sid_hash(const char *host, const char *smmu, uint32_t sid)
{
	return hash_u64(hash_str(host_hash(host), smmu, SMMU_NAME_LEN), sid);
}

static uint32_t sid_only_hash(const char *host, uint32_t sid)
{
	return hash_u64(host_hash(host), sid);
}

static bool sid_eq(const struct engine *e, int idx, const void *key)
{
	const struct sid_key *k = key;

	return e->sids[idx].sid == k->sid && !strcmp(e->sids[idx].smmu, k->smmu) &&
	       same_host(e->sids[idx].host, k->host);
}

static bool sid_only_eq(const struct engine *e, int idx, const void *key)
{
	const struct sid_key *k = key;

	return e->sids[idx].sid == k->sid && same_host(e->sids[idx].host, k->host);
}

static int sid_find(const struct engine *e, const char *host, const char *smmu, uint32_t sid)
{
	struct sid_key k = { host, smmu, sid };

	return reg_find(&e->sid_reg, sid_hash(host, smmu, sid), sid_eq, e, &k);
}

const char *engine_sid_device_of(const struct engine *e, const char *host, const char *smmu,
				 uint32_t sid)
{
	struct sid_key k = { host, "", sid };
	int idx = sid_find(e, host, smmu, sid);

	if (idx >= 0)
		return e->sids[idx].dev;
	/*
	 * A log without SMMU names maps SIDs of the unnamed instance: an
	 * unnamed query takes the newest mapping of the SID on any SMMU.
	 */
	if (smmu[0])
		idx = sid_find(e, host, "", sid);
	else
		idx = reg_find(&e->sid_newest, sid_only_hash(host, sid), sid_only_eq, e, &k);
	return idx >= 0 ? e->sids[idx].dev : NULL;
}

const char *engine_sid_device(const struct engine *e, const char *smmu, uint32_t sid)
{
	return engine_sid_device_of(e, e->host, smmu, sid);
}

/* the newest mapping of a SID, whatever the SMMU */
static void sid_newest_set(struct engine *e, uint32_t sid, int idx)
{
	struct sid_key k = { e->host, "", sid };
	uint32_t h = sid_only_hash(e->host, sid);
	int old = reg_find(&e->sid_newest, h, sid_only_eq, e, &k);

	if (old >= 0)
		reg_unlink(&e->sid_newest, h, old);
	reg_link(&e->sid_newest, h, idx);
}

static int sid_new(struct engine *e, const char *smmu, uint32_t sid)
{
	struct sid_entry *s;
	bool evict;
	int idx;

	if (!reg_ready(&e->sid_reg, (void **)&e->sids, sizeof(*e->sids)))
		return -1;
	if (!e->sid_newest.tab) {
		e->sid_newest.mask = e->sid_reg.mask;
		e->sid_newest.tab = calloc(e->sid_newest.mask + 1, sizeof(*e->sid_newest.tab));
		if (!e->sid_newest.tab)
			return -1;
	}
	idx = reg_slot(e, &e->sid_reg, NULL, &evict);
	if (idx < 0)
		return -1;
	s = &e->sids[idx];
	if (evict) {
		reg_unlink(&e->sid_reg, sid_hash(s->host, s->smmu, s->sid), idx);
		reg_unlink(&e->sid_newest, sid_only_hash(s->host, s->sid), idx);
	}
	memset(s, 0, sizeof(*s));
	str_copy(s->smmu, sizeof(s->smmu), smmu);
	str_copy(s->host, sizeof(s->host), e->host);
	s->sid = sid;
	reg_link(&e->sid_reg, sid_hash(e->host, smmu, sid), idx);
	return idx;
}

void sid_map_add(struct engine *e, const char *smmu, uint32_t sid, const char *dev)
{
	const char *cur = engine_sid_device(e, smmu, sid);
	int idx;

	if (cur && !strcmp(cur, dev))
		return;
	/* newest mapping wins: devices can be re-plugged under the same SID */
	idx = sid_find(e, e->host, smmu, sid);
	if (idx < 0)
		idx = sid_new(e, smmu, sid);
	if (idx < 0)
		return;
	str_copy(e->sids[idx].dev, sizeof(e->sids[idx].dev), dev);
	reg_touch(e, &e->sid_reg, idx);
	sid_newest_set(e, sid, idx);
}

/* ---- device rows -------------------------------------------------------- */

/* a device row is found by its name when known, else by (SMMU, SID) */
struct dev_key {
	const char *smmu;
	const char *dev;
	bool have_sid;
	uint32_t sid;
	const char *host;
};

static uint32_t dev_hash(const struct dev_key *k)
{
	uint32_t h = host_hash(k->host);

	if (k->dev[0])
		return hash_str(h, k->dev, SMMU_DEV_LEN);
	h = hash_u64(hash_str(h, k->smmu, SMMU_NAME_LEN), k->sid);
	return hash_u64(h, k->have_sid) ^ 1;	/* apart from a name of the same bytes */
}

static bool dev_eq(const struct engine *e, int idx, const void *key)
{
	const struct dev_key *k = key;
	const struct device_stat *st = &e->devs[idx].st;

	if (!same_host(st->host, k->host))
		return false;
	if (k->dev[0])
		return !strcmp(st->dev, k->dev);
	return !st->dev[0] && st->have_sid == k->have_sid && st->sid == k->sid &&
	       !strcmp(st->smmu, k->smmu);
}

/* a row's key is what it was made from: its name, or (SMMU, SID) for a nameless one */
static uint32_t dev_hash_of(const struct device_stat *st)
{
	struct dev_key k = { st->smmu, st->dev, st->have_sid, st->sid, st->host };

	return dev_hash(&k);
}

/* a row in a recorded suspect set is referred to by index: never evicted */
static bool dev_pinned(const struct engine *e, int idx)
{
	return e->devs[idx].present;
}

static int dev_new(struct engine *e, const struct dev_key *k, uint32_t h)
{
	struct dev_entry *d;
	bool evict;
	int idx;

	if (!reg_ready(&e->dev_reg, (void **)&e->devs, sizeof(*e->devs)))
		return -1;
	idx = reg_slot(e, &e->dev_reg, dev_pinned, &evict);
	if (idx < 0)
		return -1;
	d = &e->devs[idx];
	if (evict)
		reg_unlink(&e->dev_reg, dev_hash_of(&d->st), idx);
	memset(d, 0, sizeof(*d));
	str_copy(d->st.dev, sizeof(d->st.dev), k->dev);
	str_copy(d->st.host, sizeof(d->st.host), k->host);
	if (!k->dev[0]) {
		str_copy(d->st.smmu, sizeof(d->st.smmu), k->smmu);
		d->st.sid = k->sid;
		d->st.have_sid = k->have_sid;
	}
	reg_link(&e->dev_reg, h, idx);
	return idx;
}

/* a device row: by name when known, else by (SMMU, SID); -1 when none can be had */
int dev_idx(struct engine *e, const char *smmu, const char *dev, bool have_sid, uint32_t sid)
{
	struct dev_key k = { smmu, dev, have_sid, sid, e->host };
	uint32_t h = dev_hash(&k);
	int i = reg_find(&e->dev_reg, h, dev_eq, e, &k);
	struct dev_entry *d;

	if (i < 0)
		i = dev_new(e, &k, h);
	if (i < 0)
		return -1;
	reg_touch(e, &e->dev_reg, i);
	d = &e->devs[i];
	if (smmu[0] && !d->st.smmu[0])
		str_copy(d->st.smmu, sizeof(d->st.smmu), smmu);
	if (have_sid && !d->st.have_sid) {
		d->st.sid = sid;
		d->st.have_sid = true;
	}
	return i;
}

struct device_stat *dev_get(struct engine *e, const char *smmu, const char *dev,
			    bool have_sid, uint32_t sid)
{
	int i = dev_idx(e, smmu, dev, have_sid, sid);

	return i < 0 ? NULL : &e->devs[i].st;
}

/* ---- queue sizes (Tegra241 VCMDQs: queues of one SMMU differ) ---------- */

static bool qshift_eq(const struct engine *e, int idx, const void *key)
{
	return e->qs[idx].cmdq == *(const uint64_t *)key;
}

void qshift_set(struct engine *e, uint64_t cmdq, uint32_t shift)
{
	uint32_t h = hash_u64(FNV_OFFSET, cmdq);
	int idx;
	bool evict;

	if (!cmdq || !shift)
		return;
	idx = reg_find(&e->q_reg, h, qshift_eq, e, &cmdq);
	if (idx < 0) {
		if (!reg_ready(&e->q_reg, (void **)&e->qs, sizeof(*e->qs)))
			return;
		idx = reg_slot(e, &e->q_reg, NULL, &evict);
		if (idx < 0)
			return;
		if (evict)
			reg_unlink(&e->q_reg, hash_u64(FNV_OFFSET, e->qs[idx].cmdq), idx);
		e->qs[idx].cmdq = cmdq;
		reg_link(&e->q_reg, h, idx);
	}
	e->qs[idx].shift = shift;
	reg_touch(e, &e->q_reg, idx);
}

uint32_t qshift_get(const struct engine *e, uint64_t cmdq)
{
	int idx;

	if (!cmdq)
		return 0;
	idx = reg_find(&e->q_reg, hash_u64(FNV_OFFSET, cmdq), qshift_eq, e, &cmdq);
	return idx < 0 ? 0 : e->qs[idx].shift;
}

/* ---- ratelimited call sites ("<func>: N callbacks suppressed") ---------- */

static bool func_eq(const struct engine *e, int idx, const void *key)
{
	return !strncmp(e->funcs[idx].func, key, SMMU_FUNC_LEN);
}

void func_count_add(struct engine *e, const char *name, uint64_t count)
{
	char func[SMMU_FUNC_LEN] = "";
	struct func_count *f;
	uint32_t h;
	bool evict;
	int idx;

	/* records carry a fixed field that need not be terminated */
	memcpy(func, name, strnlen(name, SMMU_FUNC_LEN - 1));
	h = hash_str(FNV_OFFSET, func, SMMU_FUNC_LEN);
	idx = reg_find(&e->func_reg, h, func_eq, e, func);

	if (idx < 0) {
		if (!reg_ready(&e->func_reg, (void **)&e->funcs, sizeof(*e->funcs)))
			return;
		idx = reg_slot(e, &e->func_reg, NULL, &evict);
		if (idx < 0)
			return;
		f = &e->funcs[idx];
		if (evict)
			reg_unlink(&e->func_reg, hash_str(FNV_OFFSET, f->func, SMMU_FUNC_LEN), idx);
		memset(f, 0, sizeof(*f));
		memcpy(f->func, func, sizeof(f->func));
		reg_link(&e->func_reg, h, idx);
	}
	e->funcs[idx].count += count;
	reg_touch(e, &e->func_reg, idx);
}

/* ---- event-queue records by (SMMU, SID, event) --------------------------- */

struct evg_key {
	const char *smmu;
	uint32_t sid;
	bool have_sid;
	int id;
	const char *host;
};

static uint32_t evg_hash(const struct evg_key *k)
{
	uint32_t h = hash_str(host_hash(k->host), k->smmu, SMMU_NAME_LEN);

	h = hash_u64(h, (uint64_t)k->sid << 1 | k->have_sid);
	return hash_u64(h, (uint64_t)(int64_t)k->id);
}

static bool evg_eq(const struct engine *e, int idx, const void *key)
{
	const struct evtq_group *g = &e->evgs[idx];
	const struct evg_key *k = key;

	return g->have_sid == k->have_sid && (!k->have_sid || g->sid == k->sid) &&
	       g->id == k->id && !strncmp(g->smmu, k->smmu, SMMU_NAME_LEN) &&
	       same_host(g->host, k->host);
}

void evtq_group_add(struct engine *e, const struct smmu_event *ev)
{
	struct evg_key k = { .smmu = ev->hdr.smmu, .id = -1, .host = e->host };
	struct evtq_group *g;
	struct smmu_evt f;
	struct evtime t;
	uint32_t h;
	bool evict;
	int idx;

	smmu_evtq_fields(&ev->evtq, &f);
	k.have_sid = f.have & SMMU_EVT_SID;
	k.sid = k.have_sid ? f.sid : 0;
	if (f.have & SMMU_EVT_ID)
		k.id = f.id;
	h = evg_hash(&k);
	idx = reg_find(&e->evg_reg, h, evg_eq, e, &k);
	if (idx < 0) {
		if (!reg_ready(&e->evg_reg, (void **)&e->evgs, sizeof(*e->evgs)))
			return;
		idx = reg_slot(e, &e->evg_reg, NULL, &evict);
		if (idx < 0)
			return;
		g = &e->evgs[idx];
		if (evict) {
			struct evg_key old = { g->smmu, g->sid, g->have_sid, g->id, g->host };

			reg_unlink(&e->evg_reg, evg_hash(&old), idx);
		}
		memset(g, 0, sizeof(*g));
		str_copy(g->smmu, sizeof(g->smmu), k.smmu);
		str_copy(g->host, sizeof(g->host), e->host);
		g->sid = k.sid;
		g->have_sid = k.have_sid;
		g->id = k.id;
		reg_link(&e->evg_reg, h, idx);
	}
	g = &e->evgs[idx];
	reg_touch(e, &e->evg_reg, idx);
	evtime_of(ev, &t);
	if (!g->count++)
		g->first = t;
	evtime_max(&g->last, &t);
	if (f.have & SMMU_EVT_RW)
		f.read ? g->reads++ : g->writes++;
	/* the name the kernel printed for the client; "(unassigned sid)" names nobody */
	if (ev->evtq.client[0] && ev->evtq.client[0] != '(')
		str_copy(g->dev, sizeof(g->dev), ev->evtq.client);
}

int engine_n_evtq_groups(const struct engine *e)
{
	return e->evg_reg.n;
}

const struct evtq_group *engine_evtq_group(const struct engine *e, int i)
{
	return &e->evgs[i];
}

void registry_init(struct engine *e)
{
	reg_init(&e->smmu_reg, e->o.max_smmus ? e->o.max_smmus : ENGINE_MAX_SMMUS);
	for (int i = 0; i < SMMU_RECENT; i++)
		e->smmu_recent[i] = -1;
	reg_init(&e->sid_reg, e->o.max_sids ? e->o.max_sids : ENGINE_MAX_SIDS);
	reg_init(&e->sid_newest, 0);
	reg_init(&e->dev_reg, e->o.max_devices ? e->o.max_devices : ENGINE_MAX_DEVICES);
	reg_init(&e->q_reg, ENGINE_MAX_QUEUES);
	reg_init(&e->func_reg, ENGINE_MAX_FUNCS);
	reg_init(&e->evg_reg, ENGINE_MAX_EVTQ_GROUPS);
}

void registry_free(struct engine *e)
{
	reg_free(&e->smmu_reg);
	reg_free(&e->sid_reg);
	reg_free(&e->sid_newest);
	reg_free(&e->dev_reg);
	reg_free(&e->q_reg);
	reg_free(&e->func_reg);
	reg_free(&e->evg_reg);
	free(e->evgs);
	free(e->smmus);
	free(e->sids);
	free(e->devs);
	free(e->qs);
	free(e->funcs);
}
