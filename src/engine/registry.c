// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Registries: SMMUs, SID -> device names, device rows, queue sizes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "internal.h"
#include "util.h"

void *grow(void *arr, int n, size_t size)
{
	/* capacity doubles at powers of two, so check n alone */
	if (n && (n & (n - 1)))
		return arr;
	return realloc(arr, (n ? 2 * n : 4) * size);
}

struct smmu_priv *smmu_get(struct engine *e, const char *name)
{
	struct smmu_priv *s;

	for (int i = 0; i < e->n_smmus; i++)
		if (!strcmp(e->smmus[i].info.name, name))
			return &e->smmus[i];
	s = grow(e->smmus, e->n_smmus, sizeof(*s));
	if (!s)
		return NULL;
	e->smmus = s;
	s = &e->smmus[e->n_smmus++];
	memset(s, 0, sizeof(*s));
	str_copy(s->info.name, sizeof(s->info.name), name);
	s->info.ats = -1;
	return s;
}

const char *engine_sid_device(const struct engine *e, const char *smmu, uint32_t sid)
{
	/* newest mapping wins: devices can be re-plugged under the same SID */
	for (int i = e->n_sids - 1; i >= 0; i--)
		if (e->sids[i].sid == sid && !strcmp(e->sids[i].smmu, smmu))
			return e->sids[i].dev;
	/* a log without SMMU names maps SIDs of the unnamed instance */
	for (int i = e->n_sids - 1; i >= 0; i--)
		if (e->sids[i].sid == sid && (!smmu[0] || !e->sids[i].smmu[0]))
			return e->sids[i].dev;
	return NULL;
}

void sid_map_add(struct engine *e, const char *smmu, uint32_t sid, const char *dev)
{
	const char *cur = engine_sid_device(e, smmu, sid);
	struct sid_entry *s;

	if (cur && !strcmp(cur, dev))
		return;
	s = grow(e->sids, e->n_sids, sizeof(*s));
	if (!s)
		return;
	e->sids = s;
	s = &e->sids[e->n_sids++];
	memset(s, 0, sizeof(*s));
	str_copy(s->smmu, sizeof(s->smmu), smmu);
	str_copy(s->dev, sizeof(s->dev), dev);
	s->sid = sid;
}

/* a device row: by name when known, else by (SMMU, SID); -1 when out of memory */
int dev_idx(struct engine *e, const char *smmu, const char *dev, bool have_sid,
		   uint32_t sid)
{
	struct dev_entry *d;
	int i;

	for (i = 0; i < e->n_devs; i++) {
		struct device_stat *st = &e->devs[i].st;

		if (dev[0] ? !strcmp(st->dev, dev)
			   : (!st->dev[0] && st->have_sid == have_sid && st->sid == sid &&
			      !strcmp(st->smmu, smmu)))
			goto found;
	}
	d = grow(e->devs, e->n_devs, sizeof(*d));
	if (!d)
		return -1;
	e->devs = d;
	i = e->n_devs++;
	memset(&e->devs[i], 0, sizeof(e->devs[i]));
	str_copy(e->devs[i].st.dev, sizeof(e->devs[i].st.dev), dev);
found:
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

uint32_t smmu_shift(struct engine *e, const char *name)
{
	struct smmu_priv *s = smmu_get(e, name);

	return s ? s->info.max_n_shift : 0;
}

/* queues of one SMMU (Tegra241 VCMDQs) have their own sizes */
void qshift_set(struct engine *e, uint64_t cmdq, uint32_t shift)
{
	struct qshift *q;

	if (!cmdq || !shift)
		return;
	for (int i = 0; i < e->n_qs; i++)
		if (e->qs[i].cmdq == cmdq) {
			e->qs[i].shift = shift;
			return;
		}
	q = grow(e->qs, e->n_qs, sizeof(*q));
	if (!q)
		return;
	e->qs = q;
	e->qs[e->n_qs++] = (struct qshift){ cmdq, shift };
}

uint32_t qshift_get(const struct engine *e, uint64_t cmdq)
{
	for (int i = 0; cmdq && i < e->n_qs; i++)
		if (e->qs[i].cmdq == cmdq)
			return e->qs[i].shift;
	return 0;
}
