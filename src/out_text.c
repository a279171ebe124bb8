// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Text view: incidents as they settle, then per-SMMU and per-device
 * tables.  Lines stay under 100 columns; every untrusted string goes
 * through text_escape().
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "fmt.h"
#include "views.h"

#define NAME_W	24

static const char *esc(char *buf, size_t size, const char *s, const char *dflt)
{
	if (!s || !s[0])
		return dflt;
	text_escape(buf, size, s);
	return buf;
}

static void fmt_time(const struct evtime *t, char *buf, size_t len)
{
	if ((t->flags & SMMU_EVF_WALL) && fmt_rfc3339(t->wall_ns, buf, len) > 0)
		return;
	if (t->flags & SMMU_EVF_MONO)
		snprintf(buf, len, "[%5llu.%06llu]",
			 (unsigned long long)(t->mono_ns / 1000000000ULL),
			 (unsigned long long)(t->mono_ns % 1000000000ULL / 1000));
	else
		snprintf(buf, len, "(no time)");
}

static void fmt_duration(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 1000000000ULL)
		snprintf(buf, len, "%.2f s", ns / 1e9);
	else if (ns >= 1000000ULL)
		snprintf(buf, len, "%.2f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.1f us", ns / 1e3);
}

static void text_header(struct view *v)
{
	if (v->text_header)
		return;
	v->text_header = true;
	obuf_printf(v->out, "INCIDENTS\n");
}

static void print_position(struct view *v, const struct incident *inc)
{
	struct smmu_qpos q;
	uint32_t pos;

	if (!engine_incident_qpos(inc, &pos))
		return;
	obuf_printf(v->out, "    ");
	if (inc->have_cons)
		obuf_printf(v->out, "cons 0x%08x (%s)  ", inc->cons, smmu_cerror_text(inc->cerror));
	smmu_qpos_split(pos, inc->max_n_shift, &q);
	if (q.idx != SMMU_NO_POS)
		obuf_printf(v->out, "CMD_SYNC idx 0x%x wrap %u", q.idx, q.wrap);
	else
		obuf_printf(v->out, "CMD_SYNC at 0x%x (queue size unknown)", pos);
	if (inc->retries)
		obuf_printf(v->out, "  retried %u time%s", inc->retries,
			    inc->retries > 1 ? "s" : "");
	obuf_putc(v->out, '\n');
}

static void print_issuer(struct view *v, const struct incident *inc)
{
	char comm[4 * SMMU_COMM_LEN];
	char at[24] = "an unreadable position";

	if (inc->prod != SMMU_NO_POS)
		snprintf(at, sizeof(at), "0x%08x", inc->prod);
	obuf_printf(v->out, "    issuer: ");
	if (inc->patched_line)
		obuf_printf(v->out, "told (patched kernel: CMD_SYNC for ATC_INV timeout at %s)", at);
	else if (inc->sync_no_pos)
		obuf_printf(v->out, "timed out (CMD_SYNC timeout: this kernel's message "
			    "carries no position)");
	else if (inc->sync_timeout_line)
		obuf_printf(v->out, "timed out after 1 s (CMD_SYNC timeout at %s)", at);
	else if (inc->issuer_notified == 0)
		obuf_printf(v->out, "NOT told: its CMD_SYNC returned 0 (silent failure)");
	else if (inc->issuer_notified > 0)
		obuf_printf(v->out, "told (error return)");
	else
		obuf_printf(v->out, "unknown (no issuer line in the log)");
	obuf_putc(v->out, '\n');
	if (inc->have_hw)
		obuf_printf(v->out, "      hardware then: hwprod 0x%08x, hwcons 0x%08x\n",
			    inc->hwprod, inc->hwcons);
	for (int i = 0; i < inc->n_issuers; i++) {
		const struct issuer *is = &inc->issuers[i];

		char took[32];

		fmt_duration(is->duration_ns, took, sizeof(took));
		obuf_printf(v->out, "      %s pid %u tid %u cpu %u %s: ret %d after %s\n",
			    esc(comm, sizeof(comm), is->comm, "?"), is->pid, is->tid, is->cpu,
			    smmu_ctx_name(is->ctx), is->ret, took);
	}
}

/* a report of a bit an earlier CMD_SYNC left: nothing failed here */
static void print_leftover(struct view *v, const struct incident *inc, const char *sem)
{
	if (inc->stale_from)
		obuf_printf(v->out, "    leftover bit: incident #%llu left this slot's "
			    "atc_sync_timeouts bit set\n", (unsigned long long)inc->stale_from);
	else
		obuf_printf(v->out, "    leftover bit: an earlier CMD_SYNC left this slot's "
			    "atc_sync_timeouts bit set\n");
	obuf_printf(v->out, "      this CMD_SYNC did not fail: its issuer was failed by the old "
		    "bit%s;\n      no device of its batch is to blame\n", sem);
}

/* what the quarantine series' atc_sync_timeouts bitmap said about this CMD_SYNC */
static void print_bitmap(struct view *v, const struct incident *inc)
{
	struct smmu_qpos q;
	char sem[32] = "";
	int ndev;

	if (inc->semantics)
		snprintf(sem, sizeof(sem), " (%s semantics)", semantics_name(inc->semantics));
	if (inc->flags & INCF_STALE_BITMAP) {
		print_leftover(v, inc, sem);
		return;
	}
	if (inc->flags & INCF_BITMAP_LEFT) {
		smmu_qpos_split(inc->cons, inc->max_n_shift, &q);
		obuf_printf(v->out, "    atc_sync_timeouts bit LEFT SET: its issuer had given up when "
			    "the error interrupt\n      set it; nobody clears it, and the next "
			    "CMD_SYNC in slot 0x%x will be failed by it\n",
			    q.idx != SMMU_NO_POS ? q.idx : inc->cons);
		return;
	}
	if (inc->bm_failed != 1)
		return;
	obuf_printf(v->out, "    atc_sync_timeouts bit: this CMD_SYNC failed%s%s\n",
		    inc->bm_told == 1 ? "; its issuer was told" : "", inc->bm_told == 1 ? sem : "");
	ndev = engine_incident_devices(inc);
	if (ndev > 1)
		obuf_printf(v->out, "      the bit names the CMD_SYNC, not which of its %d devices' "
			    "ATC_INVs timed out\n", ndev);
}

static void print_evidence(struct obuf *out, uint32_t evidence)
{
	bool first = true;

	for (unsigned int b = 0; b < EVD_KINDS; b++) {
		if (!(evidence & (1u << b)))
			continue;
		obuf_printf(out, "%s%s", first ? "" : ",", evidence_name(b));
		first = false;
	}
}

static void print_suspects(struct view *v, const struct incident *inc)
{
	char dev[4 * SMMU_DEV_LEN];

	obuf_printf(v->out, "    confidence: %s", confidence_name(inc->confidence));
	if (!inc->n_suspects)
		obuf_printf(v->out, " (no suspect device in the evidence)");
	obuf_putc(v->out, '\n');
	for (int i = 0; i < inc->n_suspects; i++) {
		const struct suspect *s = &inc->suspects[i];

		obuf_printf(v->out, "    suspect %-16s ",
			    esc(dev, sizeof(dev), s->dev, "(unknown)"));
		if (s->have_sid)
			obuf_printf(v->out, "sid 0x%-6x ", s->sid);
		if (s->score)
			obuf_printf(v->out, "p=%.2f ", s->score / 1000.0);
		obuf_printf(v->out, "evidence ");
		print_evidence(v->out, s->evidence);
		obuf_putc(v->out, '\n');
	}
	if (inc->top >= 0 && inc->top < inc->n_suspects) {
		const struct suspect *s = &inc->suspects[inc->top];

		obuf_printf(v->out, "    likely culprit: %s",
			    esc(dev, sizeof(dev), s->dev, "(unknown)"));
		if (s->have_sid)
			obuf_printf(v->out, " (sid 0x%x)", s->sid);
		obuf_printf(v->out, "%s\n", inc->flags & INCF_NARROWED ?
			    ", singled out by the other incidents" : "");
	}
}

/* which timeout fired first, the SMMU's or the driver's 1 s poll limit */
static void print_first(struct view *v, const struct incident *inc)
{
	char held[32];

	if (inc->first_report == FIRST_SOFTWARE) {
		obuf_printf(v->out, "    fired first: the driver's 1 s timeout (%u timeout line%s before the SMMU reported)\n",
			    inc->sw_timeouts, inc->sw_timeouts == 1 ? "" : "s");
	} else if (inc->first_report == FIRST_SMMU && inc->irq_held_ns) {
		fmt_duration(inc->irq_held_ns, held, sizeof(held));
		obuf_printf(v->out, "    fired first: the SMMU (CONS showed the error in %u timeout line%s; its interrupt held off %s or more)\n",
			    inc->sw_timeouts, inc->sw_timeouts == 1 ? "" : "s", held);
	} else if (inc->first_report == FIRST_SMMU) {
		obuf_printf(v->out, "    fired first: the SMMU (no software timeout before its interrupt)\n");
	}
}

static void print_notes(struct view *v, const struct incident *inc)
{
	bool first = true;

	if (inc->blocked_by)
		obuf_printf(v->out, "    queued behind incident #%llu: a timeout it caused, not its own\n",
			    (unsigned long long)inc->blocked_by);
	for (unsigned int b = 0; b < INCF_KINDS; b++) {
		/* said in words above */
		if (!(inc->flags & (1u << b)) || (1u << b) == INCF_NARROWED ||
		    (1u << b) == INCF_COLLATERAL || (1u << b) == INCF_STALE_BITMAP ||
		    (1u << b) == INCF_BITMAP_LEFT)
			continue;
		obuf_printf(v->out, "%s%s", first ? "    notes: " : ", ", incident_flag_name(b));
		first = false;
	}
	if (!first)
		obuf_putc(v->out, '\n');
}

void text_incident(struct view *v, const struct incident *inc)
{
	char t[64], name[4 * SMMU_NAME_LEN], hq[2 * SMMU_NAME_LEN];

	text_header(v);
	fmt_time(&inc->first, t, sizeof(t));
	obuf_printf(v->out, "#%-4llu %s  %s on %s\n", (unsigned long long)inc->id, t,
		    incident_kind_name(inc->kind),
		    esc(name, sizeof(name), host_qualified(hq, sizeof(hq), inc->host, inc->smmu),
			"(unnamed SMMU)"));
	print_position(v, inc);
	if (inc->have_skipped) {
		char buf[160];

		incident_skipped_text(inc, buf, sizeof(buf));
		obuf_printf(v->out, "    skipped command: %s\n", buf);
	}
	if (inc->fetch_retries)
		obuf_printf(v->out, "    command fetch retried %u times\n", inc->fetch_retries);
	if (inc->kind == INC_ATC_TIMEOUT || inc->kind == INC_SYNC_TIMEOUT || inc->n_issuers)
		print_issuer(v, inc);
	if (inc->detect_ns) {
		char took[32];

		fmt_duration(inc->detect_ns, took, sizeof(took));
		obuf_printf(v->out, "    detected %s after issue\n", took);
	}
	print_first(v, inc);
	print_bitmap(v, inc);
	print_suspects(v, inc);
	print_notes(v, inc);
}

static bool evtq_overflowed(const struct engine *e)
{
	for (int i = 0; i < engine_n_smmus(e); i++)
		if (engine_smmu(e, i)->evtq_overflows)
			return true;
	return false;
}

static void smmu_table(struct view *v, const struct engine *e)
{
	char name[4 * SMMU_NAME_LEN], hq[2 * SMMU_NAME_LEN], q[16];

	obuf_printf(v->out, "\nSMMUs\n%-*s %6s %4s %5s %5s %5s %5s %5s %6s %6s %5s\n", NAME_W,
		    "SMMU", "CMDQ", "ATS", "ATC", "ILL", "ABT", "UNK", "SWTO", "GERROR", "EVENTS",
		    "OVFL");
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		if (s->max_n_shift)
			snprintf(q, sizeof(q), "%u", 1u << s->max_n_shift);
		else
			snprintf(q, sizeof(q), "?");
		obuf_printf(v->out, "%-*.*s %6s %4s %5llu %5llu %5llu %5llu %5llu %6llu %6llu %5llu\n",
			    NAME_W, NAME_W, esc(name, sizeof(name),
						host_qualified(hq, sizeof(hq), s->host, s->name),
						"(unnamed)"), q,
			    s->ats < 0 ? "?" : s->ats ? "yes" : "no",
			    (unsigned long long)s->incidents[INC_ATC_TIMEOUT],
			    (unsigned long long)s->incidents[INC_ILLEGAL_COMMAND],
			    (unsigned long long)s->incidents[INC_FETCH_ABORT],
			    (unsigned long long)s->incidents[INC_UNKNOWN_CERROR],
			    (unsigned long long)s->incidents[INC_SYNC_TIMEOUT],
			    (unsigned long long)s->gerrors,
			    (unsigned long long)s->evtq_events,
			    (unsigned long long)s->evtq_overflows);
	}
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);

		if (s->cmdqv_errors)
			obuf_printf(v->out, "  %s: %llu Tegra241 CMDQV error%s: the CMDQ errors after "
				    "it are a VCMDQ's, in its own index space\n",
				    esc(name, sizeof(name), host_qualified(hq, sizeof(hq), s->host,
									   s->name), "(unnamed)"),
				    (unsigned long long)s->cmdqv_errors, s->cmdqv_errors > 1 ? "s" : "");
	}
	if (evtq_overflowed(e))
		obuf_printf(v->out, "  OVFL: \"EVTQ overflow detected -- events lost\": the SMMU "
			    "dropped event records\n");
}

/* "12.345678" since boot, or "05-19 10:11:12" UTC: two fit a 99-column row */
static void short_time(const struct evtime *t, char *buf, size_t len)
{
	time_t s = t->wall_ns / 1000000000LL;
	struct tm tm;

	if ((t->flags & SMMU_EVF_WALL) && gmtime_r(&s, &tm))
		strftime(buf, len, "%m-%d %H:%M:%S", &tm);
	else if (t->flags & SMMU_EVF_MONO)
		snprintf(buf, len, "%llu.%06llu", (unsigned long long)(t->mono_ns / 1000000000ULL),
			 (unsigned long long)(t->mono_ns % 1000000000ULL / 1000));
	else
		snprintf(buf, len, "-");
}

/* the event queue's records, by SMMU, device (or StreamID) and event */
static void event_table(struct view *v, const struct engine *e)
{
	char name[4 * SMMU_NAME_LEN], dev[4 * SMMU_DEV_LEN], sid[16], evt[24], t1[32], t2[32];
	char hq[2 * SMMU_NAME_LEN];
	bool head = false;

	for (int i = 0; i < engine_n_evtq_groups(e); i++) {
		const struct evtq_group *g = engine_evtq_group(e, i);
		const char *d = event_device(e, g->host, g->smmu, g->dev, g->have_sid, g->sid);
		const char *n = g->id >= 0 ? smmu_evt_name(g->id) : NULL;

		if (!view_event_shown(v, g->smmu, g->have_sid, g->sid, d))
			continue;
		if (!head)
			obuf_printf(v->out, "\nEVENT QUEUE\n%-18s %-14s %8s %-18s %6s %-14s %s\n",
				    "SMMU", "DEVICE", "SID", "EVENT", "COUNT", "FIRST", "LAST");
		head = true;
		if (g->have_sid)
			snprintf(sid, sizeof(sid), "0x%x", g->sid);
		else
			snprintf(sid, sizeof(sid), "-");
		if (n)
			snprintf(evt, sizeof(evt), "%s", n);
		else if (g->id >= 0)
			snprintf(evt, sizeof(evt), "0x%02x", g->id);
		else
			snprintf(evt, sizeof(evt), "?");
		short_time(&g->first, t1, sizeof(t1));
		short_time(&g->last, t2, sizeof(t2));
		obuf_printf(v->out, "%-18.18s %-14.14s %8s %-18s %6llu %-14s %s\n",
			    esc(name, sizeof(name), host_qualified(hq, sizeof(hq), g->host, g->smmu),
				"(unnamed)"),
			    esc(dev, sizeof(dev), d, "(unknown)"), sid, evt,
			    (unsigned long long)g->count, t1, t2);
	}
}

/* what the quarantine series' bitmap did on each SMMU that has it */
static void bitmap_lines(struct view *v, const struct engine *e)
{
	char name[4 * SMMU_NAME_LEN], sem[48];

	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);
		uint32_t v2 = s->semantics_seen & (1u << SEM_V2), v3 = s->semantics_seen & (1u << SEM_V3);

		if (!s->bitmap)
			continue;
		snprintf(sem, sizeof(sem), "%s", v2 && v3 ? "v2 and v3 semantics" :
			 v2 ? "v2 semantics: -ETIMEDOUT" : v3 ? "v3 semantics: -EIO" :
			 "semantics not seen");
		obuf_printf(v->out, "%s: atc_sync_timeouts bitmap (%s)\n  %llu issuer%s told, "
			    "%llu bit%s left set, %llu false failure%s from a leftover bit\n",
			    esc(name, sizeof(name), s->name, "(unnamed)"), sem,
			    (unsigned long long)s->bm_told, s->bm_told == 1 ? "" : "s",
			    (unsigned long long)s->bm_left, s->bm_left == 1 ? "" : "s",
			    (unsigned long long)s->bm_stale, s->bm_stale == 1 ? "" : "s");
	}
}

/* one letter per kind of evidence keeps the device table under 100 columns */
static void evidence_codes(uint32_t evidence, char *buf)
{
	static const char codes[EVD_KINDS] = { 'S', 'W', 'I', 'B', 'A' };
	int n = 0;

	for (unsigned int b = 0; b < EVD_KINDS; b++)
		if (evidence & (1u << b))
			buf[n++] = codes[b];
	buf[n] = '\0';
}

static void device_table(struct view *v, const struct engine *e)
{
	char dev[4 * SMMU_DEV_LEN], sid[16], batches[24], ev[EVD_KINDS + 1];

	if (!engine_n_devices(e))
		return;
	obuf_printf(v->out, "\nDEVICES\n%-16s %8s %-8s %5s %9s %5s %5s %5s %6s %7s %s\n", "DEVICE",
		    "SID", "VERDICT", "SCORE", "BATCHES", "CONF", "PROB", "SUSP", "AER-TO", "ATC-INV",
		    "EVID");
	for (int i = 0; i < engine_n_devices(e); i++) {
		const struct device_stat *d = engine_device(e, i);

		/* several machines' logs: each one's rows under its name */
		if (d->host[0] && (!i || strcmp(engine_device(e, i - 1)->host, d->host)))
			obuf_printf(v->out, "%s:\n", esc(dev, sizeof(dev), d->host, ""));
		if (d->have_sid)
			snprintf(sid, sizeof(sid), "0x%x", d->sid);
		else
			snprintf(sid, sizeof(sid), "-");
		if (d->smmu_failing)
			snprintf(batches, sizeof(batches), "%llu/%llu",
				 (unsigned long long)d->failing_batches,
				 (unsigned long long)d->smmu_failing);
		else
			snprintf(batches, sizeof(batches), "-");
		evidence_codes(d->evidence, ev);
		obuf_printf(v->out, "%-16.16s %8s %-8s %5.2f %9s %5llu %5llu %5llu %6llu %7llu %s\n",
			    esc(dev, sizeof(dev), d->dev, "(unknown)"), sid,
			    verdict_name(d->verdict), d->score / 1000.0, batches,
			    (unsigned long long)d->by_conf[CONF_CONFIRMED],
			    (unsigned long long)d->by_conf[CONF_PROBABLE],
			    (unsigned long long)d->by_conf[CONF_SUSPECT],
			    (unsigned long long)d->aer_cmplto,
			    (unsigned long long)d->atc_invs, ev);
	}
	obuf_printf(v->out, "  BATCHES: failing ATC batches that listed it / all on its SMMU;  EVID: "
		    "S skipped command,\n  W queue walk, I issuer batch, B atc_sync_timeouts bitmap, "
		    "A AER completion timeout\n");
}

static void issuer_table(struct view *v, const struct engine *e)
{
	char name[4 * SMMU_NAME_LEN];

	if (!engine_have_issuer_stats(e))
		return;
	obuf_printf(v->out, "\nISSUERS (arm_smmu_cmdq_issue_cmdlist)\n%-*s %10s %10s %7s  %s\n",
		    NAME_W, "SMMU", "CALLS", "SYNC", "FAILED", "COMMANDS");
	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);
		int col = 0;

		if (!s->have_stats)
			continue;
		obuf_printf(v->out, "%-*.*s %10llu %10llu %7llu  ", NAME_W, NAME_W,
			    esc(name, sizeof(name), s->name, "(unnamed)"),
			    (unsigned long long)s->stats.calls,
			    (unsigned long long)s->stats.sync_calls,
			    (unsigned long long)s->stats.failed_calls);
		for (int j = 0; j < SMMU_OP_CLASSES; j++) {
			if (!s->stats.ops[j])
				continue;
			if (col && col % 3 == 0)
				obuf_printf(v->out, "\n%*s", NAME_W + 32, "");
			obuf_printf(v->out, "%s=%llu ", smmu_op_class_name(j),
				    (unsigned long long)s->stats.ops[j]);
			col++;
		}
		obuf_putc(v->out, '\n');
	}
}

static void latency_hist(struct view *v, const struct engine *e)
{
	char name[4 * SMMU_NAME_LEN];

	for (int i = 0; i < engine_n_smmus(e); i++) {
		const struct smmu_info *s = engine_smmu(e, i);
		uint64_t max = 0;

		if (!s->have_stats)
			continue;
		for (int b = 0; b < SMMU_LAT_BUCKETS; b++)
			if (s->stats.lat[b] > max)
				max = s->stats.lat[b];
		if (!max)
			continue;
		obuf_printf(v->out, "\nCMD_SYNC latency, %s\n%21s : %-10s |%-40s|\n",
			    esc(name, sizeof(name), s->name, "(unnamed)"), "ns", "count",
			    "distribution");
		for (int b = 0; b < SMMU_LAT_BUCKETS; b++) {
			char stars[41];
			int n = (int)(s->stats.lat[b] * 40 / max);

			if (!s->stats.lat[b])
				continue;
			memset(stars, '*', n);
			stars[n] = '\0';
			obuf_printf(v->out, "%10llu -> %-8llu : %-10llu |%-40s|\n",
				    b ? 1ULL << b : 0ULL, (1ULL << (b + 1)) - 1,
				    (unsigned long long)s->stats.lat[b], stars);
		}
	}
}

/* the engine's tables are bounded: say when per-SMMU and per-device rows were forgotten */
static void evictions_line(struct view *v, const struct engine *e)
{
	struct engine_evictions ev;

	engine_evictions(e, &ev);
	if (!(ev.smmus | ev.sids | ev.devices | ev.queues | ev.funcs | ev.refused |
	      ev.suspect_sets))
		return;
	obuf_printf(v->out, "bounded tables forgot %llu SMMUs, %llu SID names, %llu devices, "
		    "%llu queue sizes, %llu call sites (%llu rows refused, %llu suspect sets "
		    "unkept):\n  per-SMMU and per-device rows cover the most recent only\n",
		    (unsigned long long)ev.smmus, (unsigned long long)ev.sids,
		    (unsigned long long)ev.devices, (unsigned long long)ev.queues,
		    (unsigned long long)ev.funcs, (unsigned long long)ev.refused,
		    (unsigned long long)ev.suspect_sets);
}

/* "callbacks suppressed" counts what never reached the log, by what it was */
static void suppressed_lines(struct view *v, const struct engine *e)
{
	static const char *const what[SUPP_KINDS] = {
		[SUPP_CMDQ]   = "command-queue messages (CMD_SYNC and CMDQ timeouts)",
		[SUPP_EVENTS] = "event records (the event queue's dumps)",
		[SUPP_OTHER]  = "other driver messages",
	};
	static const char *const means[SUPP_KINDS] = {
		[SUPP_CMDQ]   = "more incidents than shown may have occurred",
		[SUPP_EVENTS] = "the events listed are a sample of those the SMMU reported",
		[SUPP_OTHER]  = "what they said is not known",
	};

	for (int k = 0; k < SUPP_KINDS; k++) {
		uint64_t n = suppressed_of_kind(e, k);

		if (n)
			obuf_printf(v->out, "%llu rate-limited %s never reached the log\n"
				    "  (\"callbacks suppressed\"): %s\n", (unsigned long long)n,
				    what[k], means[k]);
	}
}

/* never silent: the lines that looked like the driver's and were not understood */
static void unrecognized_lines(struct view *v, const struct run_info *ri)
{
	char text[4 * sizeof(ri->samples[0].text)], where[96], exp[160], head[128];

	if (!ri->unrecognized)
		return;
	obuf_printf(v->out, "WARNING: %llu line%s looked like arm-smmu-v3 driver output but "
		    "could not be read%s\n", (unsigned long long)ri->unrecognized,
		    ri->unrecognized == 1 ? "" : "s", ri->n_samples < (int)ri->unrecognized ?
		    "; the first:" : ":");
	for (int i = 0; i < ri->n_samples; i++) {
		const struct run_sample *s = &ri->samples[i];
		int n;

		text_escape(where, sizeof(where), s->input ? s->input : "");
		n = snprintf(head, sizeof(head), "  %s%sline %u: ", where, s->input ? ", " : "",
			     s->line);
		/* the line itself, as much as fits in 99 columns */
		obuf_printf(v->out, "%s%.*s\n", head, n < 60 ? 99 - n : 40,
			    esc(text, sizeof(text), s->text, ""));
		text_escape(exp, sizeof(exp), s->expected ? s->expected : "");
		obuf_printf(v->out, "    expected %s%s%s\n", s->expected ? "\"" : "",
			    s->expected ? exp :
			    "one of the driver's messages (smmuv3 reference, log formats)",
			    s->expected ? "\"" : "");
	}
}

void text_summary(struct view *v, const struct engine *e, const struct run_info *ri)
{
	uint64_t total = 0;

	for (int k = 0; k < INC_KINDS; k++)
		total += engine_incidents_by_kind(e, k);
	if (!v->text_header && !ri->final)
		return;
	if (!total && ri->final)
		obuf_printf(v->out, "No SMMU command-queue incidents found%s.\n", ri->unrecognized ?
			    " in what could be read (see the warning below)" : "");
	smmu_table(v, e);
	bitmap_lines(v, e);
	event_table(v, e);
	device_table(v, e);
	issuer_table(v, e);
	latency_hist(v, e);
	obuf_printf(v->out, "\n%llu incident%s", (unsigned long long)total, total == 1 ? "" : "s");
	for (int k = 0; k < INC_KINDS; k++) {
		uint64_t n = engine_incidents_by_kind(e, k);

		if (n)
			obuf_printf(v->out, ", %llu %s", (unsigned long long)n,
				    incident_kind_name(k));
	}
	if (v->hidden)
		obuf_printf(v->out, " (%llu hidden by filters)", (unsigned long long)v->hidden);
	obuf_putc(v->out, '\n');
	suppressed_lines(v, e);
	if (ri->lines)
		obuf_printf(v->out, "%llu line%s read, %llu driver message%s (%llu with unreadable "
			    "values), %llu unrecognized, %llu too long\n",
			    (unsigned long long)ri->lines, ri->lines == 1 ? "" : "s",
			    (unsigned long long)ri->messages, ri->messages == 1 ? "" : "s",
			    (unsigned long long)ri->malformed, (unsigned long long)ri->unrecognized,
			    (unsigned long long)ri->long_lines);
	unrecognized_lines(v, ri);
	if (ri->truncated)
		obuf_printf(v->out, "input was truncated: the report covers what was read\n");
	evictions_line(v, e);
	if (ri->final)
		text_next_steps(v, e);
}

void text_lost(struct view *v, const struct smmu_ev_lost *lost)
{
	obuf_printf(v->out, "WARNING: lost records: %llu ring buffer, %llu map full, "
		        "%llu ATC lists truncated\n",
		        (unsigned long long)lost->ringbuf, (unsigned long long)lost->map_full,
		        (unsigned long long)lost->truncated);
}
