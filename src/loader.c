// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPF loader: survey the kernel, plan attach points, open -> configure
 * rodata -> load -> attach.  Every decision is recorded in struct probe so
 * that `smmutrace check` and the live banner can say what runs and why.
 *
 * Symbols are taken from /proc/kallsyms by exact name; compiler clones are
 * accepted only where their arguments are known to be unchanged
 * (arm_smmu_atc_inv_master.isra.N, GCC's clone suffix).
 *
 * Flavour per driver hook: fentry/fexit where a BPF trampoline can attach to
 * that exact function -- the kernel has ftrace direct calls (its BTF has
 * register_ftrace_direct), a BTF FUNC of that name exists exactly once with
 * the expected number of arguments, the symbol is not a clone and is
 * ftrace-able -- else kprobe/kretprobe.  If fentry programs then fail to
 * load, or a trampoline fails to attach, the hooks concerned are reloaded as
 * kprobes and the reason is kept (l->fallback, the probe table).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>

#include "btfview.h"
#include "events.h"
#include "loader.h"
#include "../bpf/smmutrace.h"
#include "smmutrace.skel.h"
#include "util.h"

#define TRACEFS		"/sys/kernel/tracing"
#define DEBUGFS_TRACING	"/sys/kernel/debug/tracing"
#define KPROBE_BLACKLIST "/sys/kernel/debug/kprobes/blacklist"
#define MODULE_BTF	"/sys/kernel/btf/arm_smmu_v3"
#define DRIVER_DIR	"/sys/bus/platform/drivers/arm-smmu-v3"
/* 5.8+; older <linux/capability.h> lack the names */
#define CAP_PERFMON_NR	38
#define CAP_BPF_NR	39

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

static void why(struct probe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
}

bool loader_env_on(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] && strcmp(v, "0");
}

void loader_init(struct loader *l, const struct loader_cfg *cfg)
{
	memset(l, 0, sizeof(*l));
	l->cfg = *cfg;
	if (loader_env_on("SMMUTRACE_FORCE_FENTRY"))
		l->cfg.force_fentry = true;
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

/* ---- privileges, lockdown ------------------------------------------------ */

static void probe_privileges(struct kinfo *ki)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	uint64_t eff;

	ki->root = geteuid() == 0;
	if (syscall(SYS_capget, &hdr, data)) {
		ki->caps_ok = ki->root;
		return;
	}
	eff = (uint64_t)data[1].effective << 32 | data[0].effective;
	ki->caps_ok = (eff & (1ULL << CAP_SYS_ADMIN)) ||
		      ((eff & (1ULL << CAP_BPF_NR)) && (eff & (1ULL << CAP_PERFMON_NR)));
}

/* "none [integrity] confidentiality" -> "integrity" */
static void probe_lockdown(struct kinfo *ki)
{
	char buf[128], *l, *r;
	FILE *f = fopen("/sys/kernel/security/lockdown", "r");

	ki->lockdown[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && (l = strchr(buf, '[')) && (r = strchr(l, ']'))) {
		*r = '\0';
		str_copy(ki->lockdown, sizeof(ki->lockdown), l + 1);
	}
	fclose(f);
}

/* ---- BTF ------------------------------------------------------------------ */

static bool struct_has(const struct btf *btf, int id, const char *field)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), field))
			return true;
	return false;
}

static int count_structs(const struct btf *btf, const char *name)
{
	int n = 0, last = (int)btf__type_cnt(btf);

	for (int id = 1; id < last; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_is_struct(t) && !strcmp(btf__name_by_offset(btf, t->name_off), name))
			n++;
	}
	return n;
}

static void btf_driver_types(struct kinfo *ki, const struct btf *btf)
{
	int id = btf__find_by_name_kind(btf, "arm_smmu_cmdq", BTF_KIND_STRUCT);

	if (id < 0)
		return;
	ki->driver_types = true;
	ki->layout_v612 = struct_has(btf, id, "supports_cmd");
	ki->atc_bitmap = struct_has(btf, id, "atc_sync_timeouts");
	ki->invs_7x = btf__find_by_name_kind(btf, "arm_smmu_invs", BTF_KIND_STRUCT) > 0;
	ki->smmu_device_structs = count_structs(btf, "arm_smmu_device");
}

static bool btf_has_tracepoint(const struct btf *btf, const char *name)
{
	char tn[96];

	snprintf(tn, sizeof(tn), "btf_trace_%s", name);
	return btf && btf__find_by_name_kind(btf, tn, BTF_KIND_TYPEDEF) > 0;
}

/* functions a hook may attach to by fentry, and what the survey wants to know */
static const char *const btf_funcs_wanted[] = {
	"arm_smmu_cmdq_issue_cmdlist", "arm_smmu_cmdq_write_entries",
	"__arm_smmu_cmdq_skip_err", "arm_smmu_gerror_handler", "arm_smmu_atc_inv_master",
	/* ftrace direct calls: 5.16-6.4 name, then the 6.5+ one */
	"register_ftrace_direct_multi", "register_ftrace_direct",
	"bpf_rdonly_cast",
};
#define N_BTF_FUNCS	(sizeof(btf_funcs_wanted) / sizeof(btf_funcs_wanted[0]))

/* the kernel's BTF (vmlinux, and the driver's module if it is one) */
struct kbtf {
	struct btf *vm;		/* what CO-RE uses: --btf FILE or vmlinux */
	struct btf *mod;	/* /sys/kernel/btf/arm_smmu_v3, split on vm */
	int funcs[N_BTF_FUNCS];	/* BTF FUNCs of that name */
	int nargs[N_BTF_FUNCS];	/* arguments of the first one */
};

static int btf_func_index(const char *name)
{
	for (unsigned int i = 0; i < N_BTF_FUNCS; i++)
		if (!strcmp(btf_funcs_wanted[i], name))
			return i;
	return -1;
}

/*
 * One pass over the types of one BTF: the FUNCs above, and (vmlinux only:
 * bpf_rdonly_cast takes vmlinux ids) a struct to read cmds[] through,
 * preferably the driver's own struct arm_smmu_cmdq_batch (src/btfview.h).
 */
static void btf_survey(struct kinfo *ki, struct kbtf *kb, const struct btf *btf, int from,
		       bool vmlinux)
{
	int last = (int)btf__type_cnt(btf);
	bool batch = false;

	for (int id = from; id < last; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;
		int i;

		if (btf_is_func(t)) {
			name = btf__name_by_offset(btf, t->name_off);
			if (!name || (i = btf_func_index(name)) < 0)
				continue;
			if (!kb->funcs[i]++) {
				const struct btf_type *proto = btf__type_by_id(btf, t->type);

				kb->nargs[i] = proto && btf_is_func_proto(proto) ? btf_vlen(proto) : -1;
			}
		} else if (vmlinux && !batch && btf_is_struct(t) &&
			   t->size >= BTFVIEW_DWORDS * 8 && btfview_shape(btf, t)) {
			name = btf__name_by_offset(btf, t->name_off);
			if (!name || !name[0] || (ki->cmds_view_id &&
						  strcmp(name, "arm_smmu_cmdq_batch")))
				continue;
			batch = !strcmp(name, "arm_smmu_cmdq_batch");
			ki->cmds_view_id = id;
			str_copy(ki->cmds_view, sizeof(ki->cmds_view), name);
		}
	}
}

static void probe_btf(struct kinfo *ki, struct kbtf *kb, const char *custom)
{
	struct btf *vm;
	int i;

	memset(kb, 0, sizeof(*kb));
	str_copy(ki->btf_path, sizeof(ki->btf_path), custom ? custom : "/sys/kernel/btf/vmlinux");
	vm = btf__parse(ki->btf_path, NULL);
	if (!vm)
		return;
	kb->vm = vm;
	ki->btf = true;
	btf_driver_types(ki, vm);
	/* fentry attaches by the running kernel's own BTF: a --btf file says nothing of it */
	if (!custom)
		btf_survey(ki, kb, vm, 1, true);
	if (ki->driver_types || custom || access(MODULE_BTF, R_OK))
		goto out;
	kb->mod = btf__parse_split(MODULE_BTF, vm);
	if (kb->mod) {
		btf_driver_types(ki, kb->mod);
		ki->btf_module = ki->driver_types;
		btf_survey(ki, kb, kb->mod, btf__type_cnt(vm), false);
	}
out:
	ki->ftrace_direct = (i = btf_func_index("register_ftrace_direct")) >= 0 && kb->funcs[i];
	ki->ftrace_direct |= (i = btf_func_index("register_ftrace_direct_multi")) >= 0 &&
			     kb->funcs[i];
	ki->rdonly_cast = (i = btf_func_index("bpf_rdonly_cast")) >= 0 && kb->funcs[i];
}

/* ---- symbols ---------------------------------------------------------------- */

#define MAX_SYMS	64

struct sym {
	char name[128];
	bool module;
};

struct symtab {
	struct sym s[MAX_SYMS];
	int n;
};

/* the functions any probe may use; clones (NAME.isra.N...) are kept too */
static const char *const wanted_syms[] = {
	"arm_smmu_cmdq_issue_cmdlist", "arm_smmu_cmdq_write_entries",
	"__arm_smmu_cmdq_skip_err", "arm_smmu_gerror_handler", "arm_smmu_atc_inv_master",
};

static bool wanted(const char *name)
{
	for (unsigned int i = 0; i < sizeof(wanted_syms) / sizeof(wanted_syms[0]); i++) {
		size_t n = strlen(wanted_syms[i]);

		if (!strncmp(name, wanted_syms[i], n) && (!name[n] || name[n] == '.'))
			return true;
	}
	return false;
}

/*
 * ~100k lines, and SMMUv2 has many arm_smmu_* too: keep only what probes
 * use, and where devkmsg_write() lies (origin.h)
 */
static bool load_kallsyms(struct symtab *st, struct origin_ranges *writers)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512];

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *name = strchr(line, ' '), *mod, *end;

		origin_kallsyms_line(writers, line);
		if (!name || !(name = strchr(name + 1, ' ')))
			continue;
		name++;
		if (name[0] != 'a' && name[0] != '_')
			continue;
		end = name + strcspn(name, " \t\n");
		mod = strchr(end, '[');
		*end = '\0';
		if (!wanted(name) || st->n == MAX_SYMS)
			continue;
		str_copy(st->s[st->n].name, sizeof(st->s[0].name), name);
		st->s[st->n].module = mod && !strncmp(mod, "[arm_smmu_v3]", 13);
		st->n++;
	}
	fclose(f);
	origin_ranges_finish(writers);
	return true;
}

/* exact name, or NAME.isra.N when isra_ok; returns the table entry or NULL */
static const struct sym *find_sym(const struct symtab *st, const char *base, bool isra_ok,
				  bool *clone_only)
{
	size_t n = strlen(base);
	const struct sym *clone = NULL;

	*clone_only = false;
	for (int i = 0; i < st->n; i++) {
		const char *s = st->s[i].name;

		if (!strcmp(s, base))
			return &st->s[i];
		if (!strncmp(s, base, n) && s[n] == '.' && !clone)
			clone = &st->s[i];
	}
	if (clone && isra_ok && !strncmp(clone->name + n, ".isra.", 6))
		return clone;
	*clone_only = clone != NULL;
	return NULL;
}

/* "0x...-0x...\tname" lines; debugfs is often not mounted, then unknown */
static bool blacklisted(struct kinfo *ki, const char *sym)
{
	FILE *f = fopen(KPROBE_BLACKLIST, "r");
	char line[256];
	bool hit = false;

	if (!f)
		return false;
	ki->blacklist_read = true;
	while (!hit && fgets(line, sizeof(line), f)) {
		char *name = strchr(line, '\t');

		if (name && !strncmp(name + 1, sym, strlen(sym)) &&
		    strchr(" \t\n", name[1 + strlen(sym)]))
			hit = true;
	}
	fclose(f);
	return hit;
}

/* ftrace-able: not required for a kprobe, but absence hints at notrace/inlining */
static int in_ftrace_list(struct kinfo *ki, const char *sym)
{
	static const char *const paths[] = {
		TRACEFS "/available_filter_functions",
		DEBUGFS_TRACING "/available_filter_functions",
	};
	char line[256];
	size_t n = strlen(sym);
	int found = 0;

	for (unsigned int i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		FILE *f = fopen(paths[i], "r");

		if (!f)
			continue;
		ki->ftrace_list_read = true;
		while (!found && fgets(line, sizeof(line), f))
			found = !strncmp(line, sym, n) && strchr(" \n", line[n]);
		fclose(f);
		return found;
	}
	return -1;
}

/* ---- kprobes, tracepoints, instances ------------------------------------- */

static void probe_kprobes(struct kinfo *ki)
{
	if (!access("/sys/bus/event_source/devices/kprobe/type", R_OK)) {
		ki->kprobes = true;
		str_copy(ki->kprobe_how, sizeof(ki->kprobe_how), "perf kprobe PMU");
	} else if (!access(TRACEFS "/kprobe_events", F_OK) ||
		   !access(DEBUGFS_TRACING "/kprobe_events", F_OK)) {
		ki->kprobes = true;
		str_copy(ki->kprobe_how, sizeof(ki->kprobe_how), "tracefs kprobe_events");
	}
}

static bool tracefs_event(struct kinfo *ki, const char *sys, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/events/%s/%s", sys, name);
	if (!access(path, F_OK))
		return true;
	snprintf(path, sizeof(path), DEBUGFS_TRACING "/events/%s/%s", sys, name);
	return !access(path, F_OK);
}

static void probe_tracepoints(struct kinfo *ki, const struct btf *btf)
{
	ki->tracefs = !access(TRACEFS "/events", F_OK) || !access(DEBUGFS_TRACING "/events", F_OK);
	/* BTF names every tracepoint (btf_trace_<name>) even without tracefs mounted */
	ki->tp_console = btf_has_tracepoint(btf, "console") ||
			 tracefs_event(ki, "printk", "console");
	ki->tp_aer = btf_has_tracepoint(btf, "aer_event") || tracefs_event(ki, "ras", "aer_event");
	ki->tp_iopf = btf_has_tracepoint(btf, "io_page_fault") ||
		      tracefs_event(ki, "iommu", "io_page_fault");
}

static void add_smmu(struct kinfo *ki, const char *name)
{
	for (int i = 0; i < ki->n_smmus; i++)
		if (!strcmp(ki->smmus[i], name))
			return;
	if (ki->n_smmus < LOADER_MAX_SMMUS)
		str_copy(ki->smmus[ki->n_smmus++], sizeof(ki->smmus[0]), name);
}

/* bound platform devices (the names log lines carry), then iommu class entries */
static void probe_instances(struct kinfo *ki)
{
	DIR *d = opendir(DRIVER_DIR);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		if (e->d_type == DT_LNK && strcmp(e->d_name, "module"))
			add_smmu(ki, e->d_name);
	}
	if (d)
		closedir(d);
	d = opendir("/sys/class/iommu");
	while (d && (e = readdir(d))) {
		if (!strncmp(e->d_name, "smmu3.", 6) && ki->n_smmus == 0)
			add_smmu(ki, e->d_name);
	}
	if (d)
		closedir(d);
}

/* ---- the plan ---------------------------------------------------------------- */

static int sym_count(const struct symtab *st, const char *name)
{
	int n = 0;

	for (int i = 0; i < st->n; i++)
		n += !strcmp(st->s[i].name, name);
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
static bool choose_fentry(struct loader *l, const struct kbtf *kb, const struct symtab *st,
			  struct probe *p, int ftraceable, int min_args, int max_args,
			  bool issuer)
{
	const struct kinfo *ki = &l->ki;
	const char *sym = p->target;
	int i = btf_func_index(sym);

	if (l->cfg.no_fentry)
		return no_fentry(p, "--no-fentry");
	if (l->cfg.btf_path)
		return no_fentry(p, "--btf given; fentry needs the running kernel's own BTF");
	if (!ki->ftrace_direct && !l->cfg.force_fentry)
		return no_fentry(p, "no ftrace direct calls "
				 "(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)");
	if (strchr(sym, '.'))
		return no_fentry(p, "%s is a compiler clone, without a BTF FUNC", sym);
	if (i < 0 || !kb->funcs[i])
		return no_fentry(p, "no BTF FUNC %s", sym);
	if (kb->funcs[i] > 1)
		return no_fentry(p, "%d BTF FUNCs named %s: ambiguous", kb->funcs[i], sym);
	if (kb->nargs[i] < min_args || kb->nargs[i] > max_args)
		return no_fentry(p, "BTF FUNC %s takes %d arguments, expected %d", sym,
				 kb->nargs[i], min_args);
	if (sym_count(st, sym) > 1)
		return no_fentry(p, "%d symbols %s in kallsyms: ambiguous", sym_count(st, sym), sym);
	if (ftraceable == 0)
		return no_fentry(p, "%s not in available_filter_functions (notrace)", sym);
	if (issuer && !ki->rdonly_cast)
		return no_fentry(p, "no bpf_rdonly_cast kfunc (Linux 6.2+) to read cmds[] "
				 "by direct loads");
	if (issuer && !ki->cmds_view_id)
		return no_fentry(p, "no vmlinux struct starting with u64[128] to read cmds[] "
				 "through");
	p->fentry = true;
	snprintf(p->flavour_why, sizeof(p->flavour_why), "%s: BTF FUNC (%d args)%s",
		 p->retprobe ? "fexit" : "fentry", kb->nargs[i],
		 ki->ftrace_direct ? ", ftrace direct calls"
				   : ", forced (SMMUTRACE_FORCE_FENTRY) without ftrace direct calls");
	return true;
}

/*
 * Find the hook's symbol, pick its flavour, check what that flavour needs.
 * nargs: what the BTF FUNC must take for the programs' argument layout.
 */
static void plan_hook(struct loader *l, const struct kbtf *kb, const struct symtab *st,
		      struct probe *p, const char *base, bool isra_ok, int min_args,
		      int max_args, bool issuer)
{
	struct kinfo *ki = &l->ki;
	const struct sym *s;
	bool clone_only;
	int ft;

	s = find_sym(st, base, isra_ok, &clone_only);
	if (!s) {
		if (clone_only)
			why(p, "%s exists only as a compiler clone; its arguments may differ",
			    base);
		else
			why(p, "%s not in /proc/kallsyms (inlined or driver absent)", base);
		return;
	}
	str_copy(p->target, sizeof(p->target), s->name);
	ft = in_ftrace_list(ki, s->name);
	if (!choose_fentry(l, kb, st, p, ft, min_args, max_args, issuer)) {
		if (!ki->kprobes) {
			why(p, "this kernel has no kprobes, and %s", p->flavour_why);
			return;
		}
		if (blacklisted(ki, s->name)) {
			why(p, "%s is on the kprobe blacklist", s->name);
			return;
		}
		if (ft == 0)
			why(p, "not in available_filter_functions: int3/brk kprobe, slower");
	}
	p->planned = true;
	if (s->module && !p->why[0])
		why(p, "in module arm_smmu_v3");
}

/* the return hook follows its entry hook: same function, same flavour */
static void plan_return(struct probe *ret, const struct probe *entry)
{
	if (!entry->planned) {
		why(ret, "no entry probe");
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

static void plan_driver(struct loader *l, const struct kbtf *kb, const struct symtab *st)
{
	struct probe *p = l->probes;
	const char *blocked = driver_blocked(l);
	int issue_args = l->ki.layout_v612 ? 5 : 4;
	const char *isr;

	if (blocked) {
		for (int i = 0; i < P_CONSOLE; i++)
			why(&p[i], "%s", blocked);
		return;
	}
	plan_hook(l, kb, st, &p[P_ISSUE], "arm_smmu_cmdq_issue_cmdlist", false, issue_args,
		  issue_args, true);
	plan_return(&p[P_ISSUE_RET], &p[P_ISSUE]);
	/*
	 * A third probe on every call: exact CMD_SYNC slots for the price of
	 * another kprobe exception or trampoline, so only on request.  Without
	 * it the engine matches issuers by their prod window.
	 */
	if (l->cfg.sync_slot)
		plan_hook(l, kb, st, &p[P_WRITE_ENTRIES], "arm_smmu_cmdq_write_entries", false,
			  4, 4, false);
	else
		why(&p[P_WRITE_ENTRIES], "off: one more probe per call "
		    "(--sync-slot enables); issuers match by prod window");
	if (l->cfg.sync_slot && !p[P_WRITE_ENTRIES].planned)
		str_copy(p[P_WRITE_ENTRIES].why + strlen(p[P_WRITE_ENTRIES].why),
			 sizeof(p->why) - strlen(p[P_WRITE_ENTRIES].why),
			 "; issuers match by prod window");
	/* 6.12+: a real call from the GERROR handler (and Tegra241 VCMDQs) */
	isr = l->ki.layout_v612 ? "__arm_smmu_cmdq_skip_err" : "arm_smmu_gerror_handler";
	plan_hook(l, kb, st, &p[P_ISR], isr, false, 2, 2, false);
	if (!p[P_ISR].planned && l->ki.layout_v612) {
		p[P_ISR].why[0] = '\0';
		p[P_ISR].flavour_why[0] = '\0';
		plan_hook(l, kb, st, &p[P_ISR], "arm_smmu_gerror_handler", false, 2, 2, false);
		if (p[P_ISR].planned)
			why(&p[P_ISR], "skip_err inlined: GERROR handler, main queue only");
	}
	plan_return(&p[P_ISR_RET], &p[P_ISR]);
	/* (master) before 6.11, (master, ssid) since */
	plan_hook(l, kb, st, &p[P_SID], "arm_smmu_atc_inv_master", true, 1, 2, false);
	if (!p[P_SID].planned)
		str_copy(p[P_SID].why + strlen(p[P_SID].why), sizeof(p->why) - strlen(p[P_SID].why),
			 "; the stream-tree walk still maps SIDs");
}

static void plan_tracepoint(struct probe *p, bool exists, const char *name, const char *full)
{
	if (!exists) {
		why(p, "tracepoint %s not in this kernel", full);
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

void loader_probe(struct loader *l)
{
	struct kinfo *ki = &l->ki;
	struct symtab *st = calloc(1, sizeof(*st));
	struct utsname u;
	struct kbtf kb;
	int fd;

	if (!uname(&u)) {
		str_copy(ki->release, sizeof(ki->release), u.release);
		str_copy(ki->machine, sizeof(ki->machine), u.machine);
	}
	probe_privileges(ki);
	probe_lockdown(ki);
	probe_btf(ki, &kb, l->cfg.btf_path);
	if (st && load_kallsyms(st, &ki->kmsg_writers)) {
		const struct sym *s;
		bool clone;

		ki->kallsyms = true;
		s = find_sym(st, "arm_smmu_cmdq_issue_cmdlist", false, &clone);
		ki->driver_syms = s || clone;
		ki->driver_module = s && s->module;
	}
	probe_kprobes(ki);
	probe_tracepoints(ki, kb.vm);
	probe_instances(ki);
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ki->kmsg_readable = fd >= 0;
	if (fd >= 0)
		close(fd);
	if (st)
		plan_driver(l, &kb, st);
	plan_tracepoint(&l->probes[P_CONSOLE], ki->tp_console, "console", "printk:console");
	plan_tracepoint(&l->probes[P_AER], ki->tp_aer, "aer_event", "ras:aer_event");
	plan_tracepoint(&l->probes[P_IOPF], ki->tp_iopf, "io_page_fault", "iommu:io_page_fault");
	plan_mode(l);
	btf__free(kb.mod);
	btf__free(kb.vm);
	free(st);
}

/* ---- load and attach ---------------------------------------------------------- */

/* while fentry is being tried: its failures are handled, and reported once, by us */
static bool trying_fentry;

static int print_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN || trying_fentry)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int print_verbose(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

/* ENOTSUPP (524) has no strerror text: it is what a kernel without trampolines says */
static const char *errstr(int e)
{
	if (e < 0)
		e = -e;
	if (e == 524)
		return "ENOTSUPP, no BPF trampoline for this function";
	return strerror(e);
}

static struct bpf_program *probe_prog(struct smmutrace_bpf *skel, const struct probe *p, int id)
{
	bool fe = p->fentry;

	switch (id) {
	case P_ISSUE:		return fe ? skel->progs.fentry_issue : skel->progs.issue_entry;
	case P_ISSUE_RET:	return fe ? skel->progs.fexit_issue : skel->progs.issue_exit;
	case P_WRITE_ENTRIES:
		return fe ? skel->progs.fentry_write_entries : skel->progs.write_entries;
	case P_ISR:
		if (!strcmp(p->target, "arm_smmu_gerror_handler"))
			return fe ? skel->progs.fentry_gerror : skel->progs.isr_gerror;
		return fe ? skel->progs.fentry_skip_err : skel->progs.isr_skip_err;
	case P_ISR_RET:		return fe ? skel->progs.fexit_isr : skel->progs.isr_exit;
	case P_SID:
		return fe ? skel->progs.fentry_atc_inv_master : skel->progs.atc_inv_master;
	case P_CONSOLE:		return skel->progs.console;
	case P_AER:		return skel->progs.aer_event;
	case P_IOPF:		return skel->progs.io_page_fault;
	}
	return NULL;
}

static bool any_fentry(const struct loader *l)
{
	for (int i = 0; i < P_CONSOLE; i++)
		if (l->probes[i].planned && l->probes[i].fentry)
			return true;
	return false;
}

/* fentry programs name their target before load: BTF id of the exact function */
static int configure(struct loader *l, struct smmutrace_bpf *skel)
{
	struct bpf_program *prog;
	int err;

	skel->rodata->targ_tgid = l->cfg.tgid;
	skel->rodata->filter_sid = l->cfg.have_sid;
	skel->rodata->targ_sid = l->cfg.sid;
	skel->rodata->slow_ns = l->cfg.slow_ns;
	skel->rodata->all_atc = l->cfg.all_atc;
	skel->rodata->cmds_view_btf_id = l->ki.cmds_view_id;
	for (int i = 0; i < l->ki.kmsg_writers.n; i++) {
		skel->rodata->kmsg_writer_lo[i] = l->ki.kmsg_writers.lo[i];
		skel->rodata->kmsg_writer_hi[i] = l->ki.kmsg_writers.hi[i];
	}
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);
	for (int i = 0; i < P_COUNT; i++) {
		const struct probe *p = &l->probes[i];

		if (!p->planned)
			continue;
		prog = probe_prog(skel, p, i);
		bpf_program__set_autoload(prog, true);
		if (p->fentry && (err = bpf_program__set_attach_target(prog, 0, p->target)))
			return err;
	}
	return 0;
}

static int open_load(struct loader *l)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = l->cfg.btf_path);
	struct smmutrace_bpf *skel;
	int err;

	skel = smmutrace_bpf__open_opts(&opts);
	if (!skel)
		return -errno;
	trying_fentry = any_fentry(l) && !l->cfg.verbose;
	err = configure(l, skel);
	if (!err)
		err = smmutrace_bpf__load(skel);
	trying_fentry = false;
	if (err) {
		smmutrace_bpf__destroy(skel);
		return err;
	}
	l->skel = skel;
	return 0;
}

/* hooks in mask (bits of enum probe_id) go from fentry to kprobe */
static void fentry_fallback(struct loader *l, unsigned int mask, const char *reason)
{
	size_t o = strlen(l->fallback);

	for (int i = 0; i < P_CONSOLE; i++) {
		struct probe *p = &l->probes[i];

		if (!(mask & (1u << i)) || !p->planned || !p->fentry)
			continue;
		p->fentry = false;
		snprintf(p->flavour_why, sizeof(p->flavour_why), "fell back from fentry: %s",
			 reason);
		if (!l->ki.kprobes) {
			p->planned = false;
			why(p, "this kernel has no kprobes to fall back to");
		}
	}
	snprintf(l->fallback + o, sizeof(l->fallback) - o, "%s%s", o ? "; " : "", reason);
}

static void drop_kprobes(struct loader *l, const char *reason)
{
	for (int i = 0; i < P_CONSOLE; i++) {
		if (!l->probes[i].planned)
			continue;
		l->probes[i].planned = false;
		why(&l->probes[i], "%s", reason);
	}
}

/*
 * Load what is planned.  fentry programs that do not load (no target BTF id,
 * a verifier refusal) are replaced by the kprobe ones; driver programs that
 * do not load at all leave the tracepoints.
 */
static int load_with_fallback(struct loader *l, bool say)
{
	char reason[200];
	int err;

	err = open_load(l);
	if (err && any_fentry(l)) {
		snprintf(reason, sizeof(reason), "fentry programs did not load (%s%s)",
			 errstr(err), l->cfg.verbose ? "" : "; -v shows libbpf's log");
		if (say)
			p_info("%s; using kprobes", reason);
		fentry_fallback(l, ~0u, reason);
		err = open_load(l);
	}
	if (err && l->mode == MODE_FULL) {
		snprintf(reason, sizeof(reason), "driver probe programs failed to load (%s); "
			 "-v shows the verifier log", errstr(err));
		if (say)
			p_info("%s; retrying with tracepoints only", reason);
		drop_kprobes(l, reason);
		snprintf(l->mode_why, sizeof(l->mode_why), "%s", reason);
		l->mode = MODE_LOG;
		err = open_load(l);
	}
	if (err)
		snprintf(l->mode_why, sizeof(l->mode_why), "BPF load failed: %s%s", errstr(err),
			 l->cfg.verbose ? "" : " (-v shows libbpf's log)");
	return err;
}

/* retry: a failing fentry hook will be replanned as a kprobe; keep its notes */
static int attach_one(struct loader *l, int id, bool retry)
{
	struct probe *p = &l->probes[id];
	struct bpf_program *prog = probe_prog(l->skel, p, id);
	struct bpf_link *link;
	int err;

	if (!p->planned)
		return 0;
	if (p->kprobe && p->fentry)
		link = bpf_program__attach_trace(prog);
	else if (p->kprobe)
		link = bpf_program__attach_kprobe(prog, p->retprobe, p->target);
	else
		link = bpf_program__attach_raw_tracepoint(prog, p->target);
	if (!link) {
		err = errno;
		if (!(retry && p->kprobe && p->fentry))
			why(p, "attach to %s failed: %s", p->target, errstr(err));
		return -err;
	}
	l->links[id] = link;
	p->attached = true;
	return 0;
}

static void detach(struct loader *l, int id, const char *reason)
{
	struct probe *p = &l->probes[id];

	if (!p->attached)
		return;
	bpf_link__destroy(l->links[id]);
	l->links[id] = NULL;
	p->attached = false;
	why(p, "%s", reason);
}

/* an entry hook and its return hook: a trampoline failure moves both to kprobes */
static unsigned int pair_mask(int id)
{
	switch (id) {
	case P_ISSUE: case P_ISSUE_RET:	return 1u << P_ISSUE | 1u << P_ISSUE_RET;
	case P_ISR: case P_ISR_RET:	return 1u << P_ISR | 1u << P_ISR_RET;
	default:			return 1u << id;
	}
}

/* -EAGAIN: some fentry hooks did not attach and were replanned as kprobes */
static int attach_all(struct loader *l, bool fentry_retry)
{
	struct probe *p = l->probes;
	unsigned int failed = 0;
	char reason[200] = "";

	for (int i = 0; i < P_COUNT; i++) {
		int err;

		trying_fentry = fentry_retry && p[i].fentry && !l->cfg.verbose;
		err = attach_one(l, i, fentry_retry);
		trying_fentry = false;
		if (err && p[i].kprobe && p[i].fentry && fentry_retry) {
			failed |= pair_mask(i);
			if (!reason[0])
				snprintf(reason, sizeof(reason), "fentry/fexit attach to %s failed (%s)",
					 p[i].target, errstr(err));
		}
	}
	if (failed) {
		p_info("%s; using kprobes", reason);
		fentry_fallback(l, failed, reason);
		for (int i = 0; i < P_COUNT; i++) {
			bpf_link__destroy(l->links[i]);
			l->links[i] = NULL;
			p[i].attached = false;
		}
		return -EAGAIN;
	}
	/* a half-attached issuer only leaks state */
	if (p[P_ISSUE].attached != p[P_ISSUE_RET].attached) {
		detach(l, P_ISSUE, "its return probe did not attach");
		detach(l, P_ISSUE_RET, "its entry probe did not attach");
	}
	l->skel->bss->isr_ret_attached = p[P_ISR_RET].attached;
	l->skel->bss->sid_walk_gen = 1;
	if (p[P_ISSUE].attached) {
		l->mode = MODE_FULL;
	} else if (p[P_CONSOLE].attached) {
		if (l->mode == MODE_FULL)
			snprintf(l->mode_why, sizeof(l->mode_why), "issuer probe: %s",
				 p[P_ISSUE].why);
		l->mode = MODE_LOG;
	} else {
		snprintf(l->mode_why, sizeof(l->mode_why), "printk:console: %s", p[P_CONSOLE].why);
		return -ENOENT;
	}
	return 0;
}

int loader_start(struct loader *l)
{
	int err;

	libbpf_set_print(l->cfg.verbose ? print_verbose : print_quiet);
	if (l->mode < MODE_LOG)
		return -EPERM;
	err = load_with_fallback(l, true);
	if (err)
		return err;
	err = attach_all(l, true);
	if (err == -EAGAIN) {
		/* the kprobe twins are other programs: load them instead */
		loader_stop(l);
		err = load_with_fallback(l, true);
		if (err)
			return err;
		err = attach_all(l, false);
	}
	if (err)
		loader_stop(l);
	return err;
}

int loader_dry_run(struct loader *l)
{
	int err;

	libbpf_set_print(l->cfg.verbose ? print_verbose : print_quiet);
	if (l->mode < MODE_LOG)
		return -EPERM;
	err = load_with_fallback(l, false);
	if (!err)
		loader_stop(l);
	return err;
}

void loader_stop(struct loader *l)
{
	for (int i = 0; i < P_COUNT; i++) {
		bpf_link__destroy(l->links[i]);
		l->links[i] = NULL;
	}
	smmutrace_bpf__destroy(l->skel);
	l->skel = NULL;
}

int loader_ringbuf_fd(const struct loader *l)
{
	return l->skel ? bpf_map__fd(l->skel->maps.events) : -1;
}

int loader_map_fd(const struct loader *l, const char *name)
{
	struct bpf_map *m;

	if (!l->skel)
		return -1;
	m = bpf_object__find_map_by_name(l->skel->obj, name);
	return m ? bpf_map__fd(m) : -1;
}

void loader_request_sid_walk(struct loader *l)
{
	if (l->skel)
		l->skel->bss->sid_walk_gen++;
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
