// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The loader's plan: from a survey of the kernel (struct survey, taken by
 * loader_probe() in loader.c), which hook attaches where, in which flavour,
 * and which mode smmutrace runs in, with every reason kept for `check` and
 * the live banner.  Pure: no I/O, no libbpf, so it is unit-tested from
 * recorded surveys (tests/unit/test_plan.c).
 *
 * Symbols are taken by exact name; compiler clones are accepted only where
 * their arguments are known to be unchanged (arm_smmu_atc_inv_master.isra.N,
 * GCC's clone suffix).
 *
 * Flavour per driver hook: fentry/fexit where a BPF trampoline can attach
 * to that exact function -- the kernel has ftrace direct calls (its BTF has
 * register_ftrace_direct), a BTF FUNC of that name exists exactly once with
 * the expected number of arguments, the symbol is not a clone and is
 * ftrace-able -- else kprobe/kretprobe.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "loader.h"
#include "util.h"

const char *const kfunc_name[KF_COUNT] = {
	[KF_ISSUE]		= "arm_smmu_cmdq_issue_cmdlist",
	[KF_WRITE_ENTRIES]	= "arm_smmu_cmdq_write_entries",
	[KF_SKIP_ERR]		= "__arm_smmu_cmdq_skip_err",
	[KF_GERROR]		= "arm_smmu_gerror_handler",
	[KF_ATC_INV_MASTER]	= "arm_smmu_atc_inv_master",
	[KF_FTRACE_DIRECT_MULTI] = "register_ftrace_direct_multi",
	[KF_FTRACE_DIRECT]	= "register_ftrace_direct",
	[KF_RDONLY_CAST]	= "bpf_rdonly_cast",
};

int kfunc_index(const char *name)
{
	for (int i = 0; i < KF_COUNT; i++)
		if (!strcmp(kfunc_name[i], name))
			return i;
	return -1;
}

static const char *const probe_what[P_COUNT] = {
	[P_ISSUE]	  = "issuer entry",
	[P_ISSUE_RET]	  = "issuer return",
	[P_WRITE_ENTRIES] = "issuer sync slot",
	[P_ISR]		  = "error interrupt",
	[P_ISR_RET]	  = "error interrupt return",
	[P_SID]		  = "SID -> device",
	[P_CONSOLE]	  = "driver log text",
	[P_AER]		  = "PCIe AER",
	[P_IOPF]	  = "I/O page faults",
};

const char *loader_mode_name(enum trace_mode m)
{
	switch (m) {
	case MODE_FULL:	return "full (fentry/kprobes on arm-smmu-v3 + tracepoints)";
	case MODE_LOG:	return "log capture (printk:console tracepoint, no kprobes)";
	case MODE_KMSG:	return "kmsg follow (no BPF: /dev/kmsg only)";
	default:	return "none";
	}
}

void probe_why(struct probe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
}

void plan_init(struct loader *l, const struct loader_cfg *cfg)
{
	memset(l, 0, sizeof(*l));
	l->cfg = *cfg;
	for (int i = 0; i < P_COUNT; i++) {
		l->probes[i].what = probe_what[i];
		l->probes[i].kprobe = i < P_CONSOLE;
	}
	l->probes[P_ISSUE_RET].retprobe = true;
	l->probes[P_ISR_RET].retprobe = true;
	l->probes[P_WRITE_ENTRIES].optional = true;
	l->probes[P_ISR_RET].optional = true;
	l->probes[P_SID].optional = true;
	l->probes[P_AER].optional = true;
	l->probes[P_IOPF].optional = true;
}

/* exact name, or NAME.isra.N when isra_ok; returns the table entry or NULL */
static const struct ksym *find_sym(const struct survey *sv, const char *base, bool isra_ok,
				   bool *clone_only)
{
	size_t n = strlen(base);
	const struct ksym *clone = NULL;

	*clone_only = false;
	for (int i = 0; i < sv->n_syms; i++) {
		const char *s = sv->syms[i].name;

		if (!strcmp(s, base))
			return &sv->syms[i];
		if (!strncmp(s, base, n) && s[n] == '.' && !clone)
			clone = &sv->syms[i];
	}
	if (clone && isra_ok && !strncmp(clone->name + n, ".isra.", 6))
		return clone;
	*clone_only = clone != NULL;
	return NULL;
}

static int sym_count(const struct survey *s, const char *name)
{
	int n = 0;

	for (int i = 0; i < s->n_syms; i++)
		n += !strcmp(s->syms[i].name, name);
	return n;
}

static bool no_fentry(struct probe *p, const char *fmt, ...)
{
	va_list ap;
	int o;

	o = snprintf(p->flavour_why, sizeof(p->flavour_why), "no fentry: ");
	va_start(ap, fmt);
	vsnprintf(p->flavour_why + o, sizeof(p->flavour_why) - o, fmt, ap);
	va_end(ap);
	p->fentry = false;
	return false;
}

/*
 * Can a BPF trampoline attach to p->target, and does the fentry program
 * have what it needs?  Sets p->fentry and p->flavour_why.
 */
static bool choose_fentry(const struct loader *l, const struct survey *s, struct probe *p,
			  int ftraceable, int min_args, int max_args, bool issuer)
{
	const struct kinfo *ki = &s->ki;
	const char *sym = p->target;
	int i = kfunc_index(sym);

	if (l->cfg.no_fentry)
		return no_fentry(p, "--no-fentry");
	if (l->cfg.btf_path)
		return no_fentry(p, "--btf given; fentry needs the running kernel's own BTF");
	if (!ki->ftrace_direct && !l->cfg.force_fentry)
		return no_fentry(p, "no ftrace direct calls "
				 "(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)");
	if (strchr(sym, '.'))
		return no_fentry(p, "%s is a compiler clone, without a BTF FUNC", sym);
	if (i < 0 || !s->btf_funcs[i])
		return no_fentry(p, "no BTF FUNC %s", sym);
	if (s->btf_funcs[i] > 1)
		return no_fentry(p, "%d BTF FUNCs named %s: ambiguous", s->btf_funcs[i], sym);
	if (s->btf_nargs[i] < min_args || s->btf_nargs[i] > max_args)
		return no_fentry(p, "BTF FUNC %s takes %d arguments, expected %d", sym,
				 s->btf_nargs[i], min_args);
	if (sym_count(s, sym) > 1)
		return no_fentry(p, "%d symbols %s in kallsyms: ambiguous", sym_count(s, sym), sym);
	if (ftraceable == 0)
		return no_fentry(p, "%s not in available_filter_functions (notrace)", sym);
	if (issuer && !ki->rdonly_cast)
		return no_fentry(p, "no bpf_rdonly_cast kfunc (Linux 6.2+) to read cmds[] "
				 "by direct loads");
	if (issuer && !ki->cmds_view_id)
		return no_fentry(p, "no vmlinux struct starting with u64[128] or "
				 "struct arm_smmu_cmd[64] to read cmds[] through");
	p->fentry = true;
	snprintf(p->flavour_why, sizeof(p->flavour_why), "%s: BTF FUNC (%d args)%s",
		 p->retprobe ? "fexit" : "fentry", s->btf_nargs[i],
		 ki->ftrace_direct ? ", ftrace direct calls"
				   : ", forced (SMMUTRACE_FORCE_FENTRY) without ftrace direct calls");
	return true;
}

/*
 * Find the hook's symbol, pick its flavour, check what that flavour needs.
 * nargs: what the BTF FUNC must take for the programs' argument layout.
 */
static void plan_hook(struct loader *l, const struct survey *sv, struct probe *p,
		      const char *base, bool isra_ok, int min_args, int max_args, bool issuer)
{
	const struct ksym *s;
	bool clone_only;

	s = find_sym(sv, base, isra_ok, &clone_only);
	if (!s) {
		if (clone_only)
			probe_why(p, "%s exists only as a compiler clone; its arguments may "
				  "differ", base);
		else
			probe_why(p, "%s not in /proc/kallsyms (inlined or driver absent)", base);
		return;
	}
	str_copy(p->target, sizeof(p->target), s->name);
	if (!choose_fentry(l, sv, p, s->ftrace, min_args, max_args, issuer)) {
		if (!sv->ki.kprobes) {
			probe_why(p, "this kernel has no kprobes, and %s", p->flavour_why);
			return;
		}
		if (s->blacklisted) {
			probe_why(p, "%s is on the kprobe blacklist", s->name);
			return;
		}
		if (s->ftrace == 0)
			probe_why(p, "not in available_filter_functions: int3/brk kprobe, slower");
	}
	p->planned = true;
	if (s->module && !p->why[0])
		probe_why(p, "in module arm_smmu_v3");
}

/* the return hook follows its entry hook: same function, same flavour */
static void plan_return(struct probe *ret, const struct probe *entry)
{
	if (!entry->planned) {
		probe_why(ret, "no entry probe");
		return;
	}
	str_copy(ret->target, sizeof(ret->target), entry->target);
	ret->planned = true;
	ret->fentry = entry->fentry;
	if (entry->fentry)
		snprintf(ret->flavour_why, sizeof(ret->flavour_why), "fexit: as its entry");
	else
		snprintf(ret->flavour_why, sizeof(ret->flavour_why), "%s", entry->flavour_why);
}

/* why no driver hook can run here, or NULL */
static const char *driver_blocked(const struct loader *l)
{
	const struct kinfo *ki = &l->ki;

	if (l->cfg.no_kprobes)
		return "--no-kprobes";
	if (!ki->kprobes && (!ki->ftrace_direct || l->cfg.no_fentry))
		return "this kernel has no kprobes (CONFIG_KPROBES, CONFIG_KPROBE_EVENTS)";
	if (!ki->btf)
		return "no kernel BTF (CONFIG_DEBUG_INFO_BTF); --btf FILE can supply one";
	if (!ki->driver_types)
		return ki->driver_syms
		       ? "arm-smmu-v3 types not in BTF "
			 "(module without CONFIG_DEBUG_INFO_BTF_MODULES?)"
		       : "no arm-smmu-v3 driver in this kernel (no symbols, no BTF types)";
	if (!ki->driver_syms)
		return "arm-smmu-v3 driver not loaded "
		       "(arm_smmu_cmdq_issue_cmdlist not in kallsyms)";
	return NULL;
}

static void plan_driver(struct loader *l, const struct survey *sv)
{
	struct probe *p = l->probes;
	const char *blocked = driver_blocked(l);
	int issue_args = l->ki.layout_v612 ? 5 : 4;
	const char *isr;

	if (blocked) {
		for (int i = 0; i < P_CONSOLE; i++)
			probe_why(&p[i], "%s", blocked);
		return;
	}
	plan_hook(l, sv, &p[P_ISSUE], "arm_smmu_cmdq_issue_cmdlist", false, issue_args,
		  issue_args, true);
	plan_return(&p[P_ISSUE_RET], &p[P_ISSUE]);
	/*
	 * A third probe on every call: exact CMD_SYNC slots for the price of
	 * another kprobe exception or trampoline, so only on request.  Without
	 * it the engine matches issuers by their prod window.
	 */
	if (l->cfg.sync_slot)
		plan_hook(l, sv, &p[P_WRITE_ENTRIES], "arm_smmu_cmdq_write_entries", false,
			  4, 4, false);
	else
		probe_why(&p[P_WRITE_ENTRIES], "off: one more probe per call "
			  "(--sync-slot enables); issuers match by prod window");
	if (l->cfg.sync_slot && !p[P_WRITE_ENTRIES].planned)
		str_copy(p[P_WRITE_ENTRIES].why + strlen(p[P_WRITE_ENTRIES].why),
			 sizeof(p->why) - strlen(p[P_WRITE_ENTRIES].why),
			 "; issuers match by prod window");
	/* 6.12+: a real call from the GERROR handler (and Tegra241 VCMDQs) */
	isr = l->ki.layout_v612 ? "__arm_smmu_cmdq_skip_err" : "arm_smmu_gerror_handler";
	plan_hook(l, sv, &p[P_ISR], isr, false, 2, 2, false);
	if (!p[P_ISR].planned && l->ki.layout_v612) {
		p[P_ISR].why[0] = '\0';
		p[P_ISR].flavour_why[0] = '\0';
		plan_hook(l, sv, &p[P_ISR], "arm_smmu_gerror_handler", false, 2, 2, false);
		if (p[P_ISR].planned)
			probe_why(&p[P_ISR], "skip_err inlined: GERROR handler, main queue only");
	}
	plan_return(&p[P_ISR_RET], &p[P_ISR]);
	/* (master) before 6.11, (master, ssid) since */
	plan_hook(l, sv, &p[P_SID], "arm_smmu_atc_inv_master", true, 1, 2, false);
	if (!p[P_SID].planned)
		str_copy(p[P_SID].why + strlen(p[P_SID].why), sizeof(p->why) - strlen(p[P_SID].why),
			 "; the stream-tree walk still maps SIDs");
}

static void plan_tracepoint(struct probe *p, bool exists, const char *name, const char *full)
{
	if (!exists) {
		probe_why(p, "tracepoint %s not in this kernel", full);
		return;
	}
	str_copy(p->target, sizeof(p->target), name);
	p->planned = true;
}

static void plan_mode(struct loader *l)
{
	const struct kinfo *ki = &l->ki;
	const struct probe *p = l->probes;
	const char *blocked = driver_blocked(l);

	if (!strcmp(ki->lockdown, "confidentiality")) {
		snprintf(l->mode_why, sizeof(l->mode_why), "kernel lockdown=confidentiality "
			 "forbids BPF reads of kernel memory");
	} else if (!ki->caps_ok) {
		snprintf(l->mode_why, sizeof(l->mode_why), "not root and no CAP_BPF+CAP_PERFMON "
			 "(or CAP_SYS_ADMIN): run with sudo");
	} else if (!ki->btf) {
		snprintf(l->mode_why, sizeof(l->mode_why), "no kernel BTF at %s "
			 "(CONFIG_DEBUG_INFO_BTF); --btf FILE can supply one", ki->btf_path);
	} else if (p[P_ISSUE].planned) {
		l->mode = MODE_FULL;
		return;
	} else if (p[P_CONSOLE].planned) {
		l->mode = MODE_LOG;
		snprintf(l->mode_why, sizeof(l->mode_why), "%s",
			 blocked ? blocked : p[P_ISSUE].why);
		return;
	} else {
		snprintf(l->mode_why, sizeof(l->mode_why), "no printk:console tracepoint");
	}
	l->mode = ki->kmsg_readable ? MODE_KMSG : MODE_NONE;
}

void plan_make(struct loader *l, const struct survey *sv)
{
	l->ki = sv->ki;
	plan_driver(l, sv);
	plan_tracepoint(&l->probes[P_CONSOLE], sv->ki.tp_console, "console", "printk:console");
	plan_tracepoint(&l->probes[P_AER], sv->ki.tp_aer, "aer_event", "ras:aer_event");
	plan_tracepoint(&l->probes[P_IOPF], sv->ki.tp_iopf, "io_page_fault", "iommu:io_page_fault");
	if (l->probes[P_IOPF].planned)
		probe_why(&l->probes[P_IOPF], "other IOMMU drivers only: arm-smmu-v3 faults come "
			  "from its event log lines");
	plan_mode(l);
}

void loader_why_not_full(const struct loader *l, char *buf, size_t len)
{
	const struct kinfo *ki = &l->ki;
	const char *r[8];
	size_t o = 0;
	int n = 0;

	if (!ki->kprobes)
		r[n++] = "the kernel has no kprobes";
	if (!ki->driver_syms && !ki->driver_types)
		r[n++] = "there is no arm-smmu-v3 driver in this kernel";
	else if (!ki->driver_types)
		r[n++] = "the driver's types are not in BTF";
	else if (!ki->driver_syms)
		r[n++] = "the driver is not loaded";
	if (!ki->btf)
		r[n++] = "there is no kernel BTF";
	if (l->cfg.no_kprobes)
		r[n++] = "--no-kprobes was given";
	if (!n && l->mode != MODE_FULL && l->mode_why[0])
		r[n++] = l->mode_why;
	buf[0] = '\0';
	for (int i = 0; i < n && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? "; " : "", r[i]);
}

static const char *probe_kind(const struct probe *p)
{
	if (!p->kprobe)
		return "raw_tp";
	if (p->fentry)
		return p->retprobe ? "fexit" : "fentry";
	return p->retprobe ? "kretprobe" : "kprobe";
}

/* NAME KIND TARGET STATE [why; flavour: why] */
void loader_print_probes(const struct loader *l, FILE *f)
{
	for (int i = 0; i < P_COUNT; i++) {
		const struct probe *p = &l->probes[i];
		const char *state = p->attached ? "attached" : p->planned ? "planned" : "off";
		/* the flavour only matters for hooks that run, or could */
		const char *fw = p->kprobe && (p->planned || p->target[0]) ? p->flavour_why : "";

		fprintf(f, "  %-22s %-9s %-30s %-8s%s%s%s%s\n", p->what, probe_kind(p),
			p->target[0] ? p->target : "-", state, p->why[0] || fw[0] ? " " : "",
			p->why, p->why[0] && fw[0] ? "; " : "", fw);
	}
}

void loader_fentry_summary(const struct loader *l, char *buf, size_t len)
{
	const struct kinfo *ki = &l->ki;
	size_t o;

	if (l->cfg.no_fentry)
		o = snprintf(buf, len, "not used: --no-fentry");
	else if (l->cfg.btf_path)
		o = snprintf(buf, len, "not used: --btf given (fentry attaches by the running "
			     "kernel's own BTF)");
	else if (!ki->btf)
		o = snprintf(buf, len, "no: no kernel BTF");
	else if (!ki->ftrace_direct)
		o = snprintf(buf, len, "no: no ftrace direct calls in this kernel's BTF "
			     "(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS), so no BPF trampolines "
			     "on kernel functions%s",
			     l->cfg.force_fentry ? "; forced anyway (SMMUTRACE_FORCE_FENTRY)" : "");
	else
		o = snprintf(buf, len, "ftrace direct calls: yes; bpf_rdonly_cast kfunc: %s%s%s "
			     "(the probe table says which hooks use it)",
			     ki->rdonly_cast ? "yes" : "no (Linux 6.2+; the issuer needs it)",
			     ki->cmds_view_id ? "; cmds[] read as struct " : "",
			     ki->cmds_view_id ? ki->cmds_view : "");
	if (l->fallback[0] && o < len)
		snprintf(buf + o, len - o, "; fell back to kprobes: %s", l->fallback);
}
