// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Helpers the views share: what an incident or record says, before any
 * format.  Pure: no I/O.
 */
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "views.h"

/* the skipped command as text; a second dword that could not be read shows nothing from it */
void incident_skipped_text(const struct incident *inc, char *buf, size_t len)
{
	struct smmu_cmd c;
	const char *name;
	uint32_t sid;

	smmu_cmd_decode(inc->skipped[0], inc->skipped[1], &c);
	if (!(inc->skipped_bad & 2)) {
		smmu_cmd_format(&c, buf, len);
		return;
	}
	name = smmu_opcode_name(c.op);
	if (smmu_cmd_has_sid(&c, &sid))
		snprintf(buf, len, "%s sid=0x%x (second dword unreadable)", name, sid);
	else if (name)
		snprintf(buf, len, "%s (second dword unreadable)", name);
	else
		snprintf(buf, len, "unknown opcode 0x%02x (second dword unreadable)", c.op);
}

/*
 * "<func>: N callbacks suppressed" names the function holding the ratelimit
 * state: the event dump (arm_smmu_evtq_thread up to 6.13, arm_smmu_dump_event
 * from 6.19) or the command queue (arm_smmu_cmdq_issue_cmdlist).
 */
enum suppressed_kind suppressed_kind(const char *func)
{
	if (strstr(func, "evtq") || strstr(func, "event"))
		return SUPP_EVENTS;
	if (strstr(func, "cmdq"))
		return SUPP_CMDQ;
	return SUPP_OTHER;
}

uint64_t suppressed_of_kind(const struct engine *e, enum suppressed_kind kind)
{
	uint64_t total = 0;

	for (int i = 0; i < engine_n_suppressed_funcs(e); i++) {
		uint64_t n;
		const char *f = engine_suppressed_func(e, i, &n);

		if (suppressed_kind(f) == kind)
			total += n;
	}
	return total;
}

const char *event_device(const struct engine *e, const char *host, const char *smmu,
			 const char *client, bool have_sid, uint32_t sid)
{
	if (client[0] && client[0] != '(')
		return client;
	return have_sid ? engine_sid_device_of(e, host, smmu, sid) : NULL;
}

const char *host_qualified(char *buf, size_t len, const char *host, const char *name)
{
	if (!host[0])
		return name;
	snprintf(buf, len, "%s/%s", host, name[0] ? name : "(unnamed)");
	return buf;
}

bool view_event_shown(const struct view *v, const char *smmu, bool have_sid, uint32_t sid,
		      const char *dev)
{
	const struct report_filter *f = v->filt;

	if (!f)
		return true;
	if (f->smmu && strcmp(f->smmu, smmu))
		return false;
	if (f->device && (!dev || strcmp(f->device, dev)))
		return false;
	return !f->have_sid || (have_sid && sid == f->sid);
}
