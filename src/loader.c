// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPF loader: survey the kernel (struct survey: BTF, kallsyms, tracefs,
 * privileges), hand it to the plan (plan.c), then open -> configure rodata
 * -> load -> attach.  Every decision is recorded in struct probe so that
 * `smmutrace check` and the live banner can say what runs and why.
 *
 * If fentry programs fail to load, or a trampoline fails to attach, the
 * hooks concerned are reloaded as kprobes and the reason is kept
 * (l->fallback, the probe table).
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

bool loader_env_on(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] && strcmp(v, "0");
}

void loader_init(struct loader *l, const struct loader_cfg *cfg)
{
	plan_init(l, cfg);
	if (loader_env_on("SMMUTRACE_FORCE_FENTRY"))
		l->cfg.force_fentry = true;
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
	ki->cmd_struct = btf__find_by_name_kind(btf, "arm_smmu_cmd", BTF_KIND_STRUCT) > 0;
	ki->smmu_device_structs = count_structs(btf, "arm_smmu_device");
}

static bool btf_has_tracepoint(const struct btf *btf, const char *name)
{
	char tn[96];

	snprintf(tn, sizeof(tn), "btf_trace_%s", name);
	return btf && btf__find_by_name_kind(btf, tn, BTF_KIND_TYPEDEF) > 0;
}

/* the kernel's BTF (vmlinux, and the driver's module if it is one) */
struct kbtf {
	struct btf *vm;		/* what CO-RE uses: --btf FILE or vmlinux */
	struct btf *mod;	/* /sys/kernel/btf/arm_smmu_v3, split on vm */
};

/*
 * One pass over the types of one BTF: the FUNCs of enum kfunc, and (vmlinux
 * only: bpf_rdonly_cast takes vmlinux ids) the struct to read cmds[]
 * through (src/btfview.h).
 */
static void btf_survey(struct survey *sv, const struct btf *btf, int from, bool vmlinux)
{
	struct kinfo *ki = &sv->ki;
	int last = (int)btf__type_cnt(btf), best = 0;

	for (int id = from; id < last; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name = btf__name_by_offset(btf, t->name_off);
		int i, rank;

		if (btf_is_func(t)) {
			if (!name || (i = kfunc_index(name)) < 0)
				continue;
			if (!sv->btf_funcs[i]++) {
				const struct btf_type *proto = btf__type_by_id(btf, t->type);

				sv->btf_nargs[i] = proto && btf_is_func_proto(proto) ? btf_vlen(proto)
										   : -1;
			}
		} else if (vmlinux && (rank = btfview_rank(btf, t)) > best) {
			best = rank;
			ki->cmds_view_id = id;
			str_copy(ki->cmds_view, sizeof(ki->cmds_view), name);
		}
	}
}

static void probe_btf(struct survey *sv, struct kbtf *kb, const char *custom)
{
	struct kinfo *ki = &sv->ki;
	struct btf *vm;

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
		btf_survey(sv, vm, 1, true);
	if (ki->driver_types || custom || access(MODULE_BTF, R_OK))
		goto out;
	kb->mod = btf__parse_split(MODULE_BTF, vm);
	if (kb->mod) {
		btf_driver_types(ki, kb->mod);
		ki->btf_module = ki->driver_types;
		btf_survey(sv, kb->mod, btf__type_cnt(vm), false);
	}
out:
	ki->ftrace_direct = sv->btf_funcs[KF_FTRACE_DIRECT] || sv->btf_funcs[KF_FTRACE_DIRECT_MULTI];
	ki->rdonly_cast = sv->btf_funcs[KF_RDONLY_CAST] > 0;
}

/* ---- symbols ---------------------------------------------------------------- */

/* the driver functions any probe may use, and their clones (NAME.isra.N...) */
static bool wanted(const char *name)
{
	for (int i = 0; i <= KF_ATC_INV_MASTER; i++) {
		size_t n = strlen(kfunc_name[i]);

		if (!strncmp(name, kfunc_name[i], n) && (!name[n] || name[n] == '.'))
			return true;
	}
	return false;
}

/*
 * ~100k lines, and SMMUv2 has many arm_smmu_* too: keep only what probes
 * use, and where devkmsg_write() lies (origin.h)
 */
static bool load_kallsyms(struct survey *sv, struct origin_ranges *writers)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512];

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *name = strchr(line, ' '), *mod, *end;
		struct ksym *k;

		origin_kallsyms_line(writers, line);
		if (!name || !(name = strchr(name + 1, ' ')))
			continue;
		name++;
		if (name[0] != 'a' && name[0] != '_')
			continue;
		end = name + strcspn(name, " \t\n");
		mod = strchr(end, '[');
		*end = '\0';
		if (!wanted(name) || sv->n_syms == SURVEY_MAX_SYMS)
			continue;
		k = &sv->syms[sv->n_syms++];
		str_copy(k->name, sizeof(k->name), name);
		k->module = mod && !strncmp(mod, "[arm_smmu_v3]", 13);
		k->ftrace = -1;
	}
	fclose(f);
	origin_ranges_finish(writers);
	return true;
}

/* the survey's symbol named at the start of s ("name" then a delimiter), or NULL */
static struct ksym *ksym_at(struct survey *sv, const char *s, const char *delims)
{
	for (int i = 0; i < sv->n_syms; i++) {
		size_t n = strlen(sv->syms[i].name);

		if (!strncmp(s, sv->syms[i].name, n) && strchr(delims, s[n]))
			return &sv->syms[i];
	}
	return NULL;
}

/* "0x...-0x...\tname" lines; debugfs is often not mounted, then unknown */
static void read_blacklist(struct survey *sv)
{
	FILE *f = fopen(KPROBE_BLACKLIST, "r");
	char line[256];

	if (!f)
		return;
	sv->ki.blacklist_read = true;
	while (fgets(line, sizeof(line), f)) {
		char *name = strchr(line, '\t');
		struct ksym *k = name ? ksym_at(sv, name + 1, " \t\n") : NULL;

		if (k)
			k->blacklisted = true;
	}
	fclose(f);
}

/* ftrace-able: not required for a kprobe, but absence hints at notrace/inlining */
static void read_ftrace_list(struct survey *sv)
{
	static const char *const paths[] = {
		TRACEFS "/available_filter_functions",
		DEBUGFS_TRACING "/available_filter_functions",
	};
	char line[256];

	for (unsigned int i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		FILE *f = fopen(paths[i], "r");
		struct ksym *k;

		if (!f)
			continue;
		sv->ki.ftrace_list_read = true;
		for (int s = 0; s < sv->n_syms; s++)
			sv->syms[s].ftrace = 0;
		while (fgets(line, sizeof(line), f))
			if ((k = ksym_at(sv, line, " \n")))
				k->ftrace = 1;
		fclose(f);
		return;
	}
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

/* the issuer's symbol, or a clone of it: the driver is there */
static void driver_syms(struct survey *sv)
{
	const char *issue = kfunc_name[KF_ISSUE];
	size_t n = strlen(issue);

	for (int i = 0; i < sv->n_syms; i++) {
		const struct ksym *k = &sv->syms[i];

		if (strncmp(k->name, issue, n) || (k->name[n] && k->name[n] != '.'))
			continue;
		sv->ki.driver_syms = true;
		if (!k->name[n])
			sv->ki.driver_module = k->module;
	}
}

static void survey_take(struct survey *sv, const char *btf_path)
{
	struct kinfo *ki = &sv->ki;
	struct utsname u;
	struct kbtf kb;
	int fd;

	if (!uname(&u)) {
		str_copy(ki->release, sizeof(ki->release), u.release);
		str_copy(ki->machine, sizeof(ki->machine), u.machine);
	}
	probe_privileges(ki);
	probe_lockdown(ki);
	probe_btf(sv, &kb, btf_path);
	ki->kallsyms = load_kallsyms(sv, &ki->kmsg_writers);
	driver_syms(sv);
	read_ftrace_list(sv);
	read_blacklist(sv);
	probe_kprobes(ki);
	probe_tracepoints(ki, kb.vm);
	probe_instances(ki);
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ki->kmsg_readable = fd >= 0;
	if (fd >= 0)
		close(fd);
	btf__free(kb.mod);
	btf__free(kb.vm);
}

void loader_probe(struct loader *l)
{
	struct survey *sv = calloc(1, sizeof(*sv));

	if (!sv) {
		snprintf(l->mode_why, sizeof(l->mode_why), "out of memory");
		return;
	}
	survey_take(sv, l->cfg.btf_path);
	plan_make(l, sv);
	free(sv);
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
			probe_why(p, "this kernel has no kprobes to fall back to");
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
		probe_why(&l->probes[i], "%s", reason);
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
			probe_why(p, "attach to %s failed: %s", p->target, errstr(err));
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
	probe_why(p, "%s", reason);
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

