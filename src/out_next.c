// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The text view's last word: for each SMMU with incidents, what the
 * operator should look at next.  Built from the engine's aggregates and
 * what the shown incidents said; facts from the reference (stale ATC
 * entries after a timeout, the queue-size line, the issuer's return), no
 * advice that the evidence does not support.  Lines stay under 100 columns.
 */
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "views.h"

#define W	96	/* wrap the device lists here */

static const char *dev_or_sid(const struct device_stat *d, char *buf, size_t len)
{
	if (d->dev[0])
		text_escape(buf, len, d->dev);
	else if (d->have_sid)
		snprintf(buf, len, "sid 0x%x", d->sid);
	else
		snprintf(buf, len, "(unknown)");
	return buf;
}

/* one more name in the list, wrapped at W; returns the column */
static int list_name(struct obuf *o, int n, int col, const char *name, const char *tail)
{
	static const char head[] = "  - devices it named:";
	int len = (int)(strlen(name) + strlen(tail)) + 1;

	if (!n) {
		obuf_puts(o, head);
		col = sizeof(head) - 1;
	}
	if (col + len + 1 > W) {
		obuf_puts(o, "\n     ");
		col = 5;
	}
	obuf_printf(o, " %s%s", name, tail);
	return col + len;
}

/* the devices this SMMU's incidents and events named, on as many lines as they need */
static void devices_behind(struct view *v, const struct engine *e, const char *host,
			   const char *smmu)
{
	char name[4 * SMMU_DEV_LEN];
	int col = 0, n = 0;

	for (int i = 0; i < engine_n_devices(e); i++) {
		const struct device_stat *d = engine_device(e, i);

		if (strcmp(d->smmu, smmu) || strcmp(d->host, host))
			continue;
		col = list_name(v->out, n++, col, dev_or_sid(d, name, sizeof(name)), "");
	}
	for (int i = 0; i < engine_n_evtq_groups(e); i++) {
		const struct evtq_group *g = engine_evtq_group(e, i);
		const char *d = event_device(e, g->host, g->smmu, g->dev, g->have_sid, g->sid);

		if (strcmp(g->smmu, smmu) || strcmp(g->host, host) || !d)
			continue;
		text_escape(name, sizeof(name), d);
		col = list_name(v->out, n++, col, name, " (event records)");
	}
	if (n)
		obuf_printf(v->out, "\n    which use ATS: lspci -vvv (ATSCtl: Enable+); masters: "
			        "/sys/class/iommu/smmu3.*/devices\n");
}

/* the devices the engine singled out on this SMMU, with the AER records seen near */
static void culprits(struct view *v, const struct engine *e, const char *host,
		     const char *smmu)
{
	char name[4 * SMMU_DEV_LEN];

	for (int i = 0; i < engine_n_devices(e); i++) {
		const struct device_stat *d = engine_device(e, i);

		if (strcmp(d->smmu, smmu) || strcmp(d->host, host) || d->verdict < VERDICT_LIKELY)
			continue;
		obuf_printf(v->out, "  - %s: %s\n", d->verdict == VERDICT_CULPRIT ?
			    "culprit (alone in a confirmed incident)" :
			    "likely culprit (across incidents)",
			    dev_or_sid(d, name, sizeof(name)));
	}
	for (int i = 0; i < engine_n_devices(e); i++) {
		const struct device_stat *d = engine_device(e, i);

		if (strcmp(d->smmu, smmu) || strcmp(d->host, host) || !d->aer_cmplto)
			continue;
		obuf_printf(v->out, "  - PCIe AER completion timeouts logged for %s (%llu) near its "
			    "incidents: the device\n", dev_or_sid(d, name, sizeof(name)),
			    (unsigned long long)d->aer_cmplto);
		obuf_puts(v->out,
			  "    stopped answering requests; its AER log and the firmware's error records\n"
			  "    (rasdaemon, APEI \"[Hardware Error]\") say more\n");
	}
}

static void atc_advice(struct view *v, const struct smmu_info *s)
{
	uint64_t n = s->incidents[INC_ATC_TIMEOUT];

	obuf_printf(v->out, "  - %llu ATC invalidate timeout%s: a device did not confirm that it "
		    "dropped translations\n", (unsigned long long)n, n > 1 ? "s" : "");
	obuf_puts(v->out,
		  "    the kernel unmapped, so its ATC may still hold them and its DMA can reach memory\n"
		  "    reused since. Reset it before trusting its DMA again (function level reset:\n"
		  "    echo 1 > /sys/bus/pci/devices/<BDF>/reset, or AER recovery), or unbind its driver\n");
}

static void other_kinds(struct view *v, const struct smmu_info *s)
{
	if (s->incidents[INC_ILLEGAL_COMMAND])
		obuf_puts(v->out,
			  "  - illegal command: the SMMU skipped a command it could not decode (above); a\n"
			  "    driver bug or a corrupted queue, worth a kernel bug report with the dwords\n");
	if (s->incidents[INC_FETCH_ABORT])
		obuf_puts(v->out,
			  "  - command fetch aborted: the SMMU could not read its queue memory; look for\n"
			  "    firmware error records (APEI \"[Hardware Error]\") at the same time\n");
	if (s->incidents[INC_SYNC_TIMEOUT] && s->pre_5_4)
		obuf_puts(v->out,
			  "  - CMD_SYNC software timeout on a kernel before 5.4, which prints neither its\n"
			  "    position nor the hardware's: only a CMDQ error line near it names the cause\n");
	else if (s->incidents[INC_SYNC_TIMEOUT])
		obuf_puts(v->out,
			  "  - CMD_SYNC software timeout: the queue stopped for over 1 s; a CMDQ error line\n"
			  "    after it names the cause, an ATC timeout when hwcons carries 0x03 in bits 30:24\n");
	if (s->evtq_overflows)
		obuf_printf(v->out, "  - the event queue overflowed %llu time%s: fault records were "
			    "lost\n", (unsigned long long)s->evtq_overflows,
			    s->evtq_overflows > 1 ? "s" : "");
}

static uint64_t incidents_of(const struct smmu_info *s)
{
	uint64_t n = 0;

	for (int k = 0; k < INC_KINDS; k++)
		n += s->incidents[k];
	return n;
}

void text_next_steps(struct view *v, const struct engine *e)
{
	char name[4 * SMMU_NAME_LEN], hq[2 * SMMU_NAME_LEN];
	bool head = false, atc = false;

	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		if (!incidents_of(s))
			continue;
		if (!head)
			obuf_printf(v->out, "\nNEXT STEPS\n");
		head = true;
		text_escape(name, sizeof(name), host_qualified(hq, sizeof(hq), s->host,
				s->name[0] ? s->name : "(unnamed SMMU)"));
		obuf_printf(v->out, "%s:\n", name);
		if (s->incidents[INC_ATC_TIMEOUT])
			atc_advice(v, s);
		other_kinds(v, s);
		culprits(v, e, s->host, s->name);
		if (s->incidents[INC_ATC_TIMEOUT])
			devices_behind(v, e, s->host, s->name);
		atc |= s->incidents[INC_ATC_TIMEOUT] > 0;
		if (!s->max_n_shift && s->pre_5_4)
			obuf_puts(v->out,
				  "  - kernels before 5.4 print no queue size: CONS stays raw, not split into\n"
				  "    index and wrap\n");
		else if (!s->max_n_shift)
			obuf_puts(v->out,
				  "  - the log has no \"allocated N entries for cmdq\" line for it: add the boot\n"
				  "    messages (dmesg from boot, journalctl -k -b) and CONS splits into index\n"
				  "    and wrap exactly\n");
	}
	if (!head)
		return;
	if (v->not_told)
		obuf_printf(v->out, "The issuer was not told in %llu incident%s: its CMD_SYNC returned "
			    "0 and it went on as\nif the ATC were clean (kernels without the "
			    "ATC-timeout series cannot say).\n", (unsigned long long)v->not_told,
			    v->not_told > 1 ? "s" : "");
	if (atc && !v->issuer_evidence)
		obuf_puts(v->out,
			  "From the driver's messages alone the failing batch's devices are not known: on the\n"
			  "host, sudo smmutrace --live (with kprobes or fentry) records each issuer and walks\n"
			  "the queue back from the failing CMD_SYNC to the ATC_INVs that name them.\n");
}
