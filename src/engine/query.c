// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the views may ask the engine beyond its aggregates, answered by the
 * engine's own code, so a view never shows something the engine did not
 * decide on.
 */
#include "decode.h"
#include "internal.h"

bool engine_incident_pos(const struct incident *inc, uint32_t *raw)
{
	return inc_pos(inc, raw);
}

bool engine_incident_qpos(const struct incident *inc, uint32_t *pos)
{
	uint32_t raw;

	if (!inc_pos(inc, &raw))
		return false;
	*pos = raw & smmu_q_pos_mask(inc->max_n_shift);
	return true;
}

enum src_kind engine_source(const struct engine *e)
{
	return e->o.source;
}

bool engine_have_issuer_stats(const struct engine *e)
{
	for (int i = 0; i < engine_n_smmus(e); i++)
		if (engine_smmu(e, i)->have_stats)
			return true;
	return false;
}

int engine_incident_devices(const struct incident *inc)
{
	return count_devices(inc);
}
