// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The loader's plan (src/plan.c) from recorded kernel surveys, without I/O:
 * which hook attaches where, in which flavour, and the mode, with the
 * reasons `check` prints.
 *
 * The two base surveys are Debian's arm64 kernels as the emulated rig saw
 * them (make e2e: their /proc/kallsyms and vmlinux BTF): 6.1.0-57-arm64
 * (no ftrace direct calls, no bpf_rdonly_cast, __arm_smmu_cmdq_skip_err
 * inlined) and 6.12.95+deb12-arm64 (direct calls, BTF FUNCs for the issuer
 * and skip_err, arm_smmu_atc_inv_master only as an .isra.0 clone).  The
 * other cases change one fact of them, as other kernels and hosts do.
 */
#include "testutil.h"

#include "loader.h"

static void add_sym(struct survey *s, const char *name, int ftrace)
{
	struct ksym *k = &s->syms[s->n_syms++];

	snprintf(k->name, sizeof(k->name), "%s", name);
	k->ftrace = ftrace;
}

static struct ksym *sym(struct survey *s, const char *name)
{
	for (int i = 0; i < s->n_syms; i++)
		if (!strcmp(s->syms[i].name, name))
			return &s->syms[i];
	fail_msg("no symbol %s in the survey", name);
	return NULL;
}

static void btf_func(struct survey *s, enum kfunc f, int count, int nargs)
{
	s->btf_funcs[f] = count;
	s->btf_nargs[f] = nargs;
}

/* what both Debian kernels share: root, BTF, the driver built in, tracepoints */
static void debian_common(struct survey *s, const char *release)
{
	struct kinfo *ki = &s->ki;

	memset(s, 0, sizeof(*s));
	snprintf(ki->release, sizeof(ki->release), "%s", release);
	snprintf(ki->machine, sizeof(ki->machine), "aarch64");
	snprintf(ki->btf_path, sizeof(ki->btf_path), "/sys/kernel/btf/vmlinux");
	snprintf(ki->kprobe_how, sizeof(ki->kprobe_how), "perf kprobe PMU");
	ki->root = ki->caps_ok = ki->btf = ki->driver_types = true;
	ki->smmu_device_structs = 2;
	ki->kallsyms = ki->driver_syms = ki->kprobes = true;
	ki->ftrace_list_read = ki->tracefs = true;
	ki->tp_console = ki->tp_aer = ki->tp_iopf = true;
	ki->kmsg_readable = true;
}

static void debian_61(struct survey *s)
{
	debian_common(s, "6.1.0-57-arm64");
	add_sym(s, "arm_smmu_cmdq_write_entries", 1);
	add_sym(s, "arm_smmu_cmdq_issue_cmdlist", 1);
	add_sym(s, "arm_smmu_atc_inv_master.isra.0", 1);
	add_sym(s, "arm_smmu_gerror_handler", 1);
	btf_func(s, KF_ISSUE, 1, 4);
	btf_func(s, KF_WRITE_ENTRIES, 1, 4);
	btf_func(s, KF_GERROR, 1, 2);
}

static void debian_612(struct survey *s)
{
	struct kinfo *ki = &s->ki;

	debian_common(s, "6.12.95+deb12-arm64");
	ki->layout_v612 = true;
	ki->ftrace_direct = ki->rdonly_cast = true;
	ki->cmds_view_id = 90600;
	snprintf(ki->cmds_view, sizeof(ki->cmds_view), "arm_smmu_cmdq_batch");
	add_sym(s, "arm_smmu_cmdq_write_entries", 1);
	add_sym(s, "arm_smmu_cmdq_issue_cmdlist", 1);
	add_sym(s, "__arm_smmu_cmdq_skip_err", 1);
	add_sym(s, "arm_smmu_atc_inv_master.isra.0", 1);
	add_sym(s, "arm_smmu_gerror_handler", 1);
	btf_func(s, KF_ISSUE, 1, 5);
	btf_func(s, KF_WRITE_ENTRIES, 1, 4);
	btf_func(s, KF_SKIP_ERR, 1, 2);
	btf_func(s, KF_GERROR, 1, 2);
	btf_func(s, KF_FTRACE_DIRECT, 1, 5);
	btf_func(s, KF_RDONLY_CAST, 1, 2);
}

static struct survey sv;
static struct loader l;

static void plan(const struct loader_cfg *cfg)
{
	static const struct loader_cfg none;

	plan_init(&l, cfg ? cfg : &none);
	plan_make(&l, &sv);
}

/* kind as the probe table prints it, target, planned */
static void assert_hook(enum probe_id id, const char *kind, const char *target, bool planned)
{
	const struct probe *p = &l.probes[id];
	const char *k = p->fentry ? (p->retprobe ? "fexit" : "fentry")
				  : (p->retprobe ? "kretprobe" : "kprobe");

	if (strcmp(k, kind) || strcmp(p->target, target) || p->planned != planned)
		fail_msg("%s: %s %s %s, want %s %s %s (why: %s; flavour: %s)", p->what, k,
			 p->target, p->planned ? "planned" : "off", kind, target,
			 planned ? "planned" : "off", p->why, p->flavour_why);
}

static void assert_has(const char *text, const char *what)
{
	if (!strstr(text, what))
		fail_msg("\"%s\" does not say \"%s\"", text, what);
}

static void test_debian_612_fentry(void **state)
{
	debian_612(&sv);
	plan(NULL);
	assert_hook(P_ISSUE, "fentry", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_hook(P_ISSUE_RET, "fexit", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_hook(P_ISR, "fentry", "__arm_smmu_cmdq_skip_err", true);
	assert_hook(P_ISR_RET, "fexit", "__arm_smmu_cmdq_skip_err", true);
	assert_hook(P_SID, "kprobe", "arm_smmu_atc_inv_master.isra.0", true);
	assert_has(l.probes[P_SID].flavour_why, "compiler clone");
	assert_hook(P_WRITE_ENTRIES, "kprobe", "", false);
	assert_has(l.probes[P_WRITE_ENTRIES].why, "--sync-slot");
	assert_has(l.probes[P_ISSUE].flavour_why, "BTF FUNC (5 args), ftrace direct calls");
	assert_int_equal(l.mode, MODE_FULL);
	assert_true(l.probes[P_CONSOLE].planned && l.probes[P_AER].planned);
	/* planned, but said plainly: it is never arm-smmu-v3's */
	assert_true(l.probes[P_IOPF].planned);
	assert_has(l.probes[P_IOPF].why, "other IOMMU drivers only");
	assert_string_equal(l.ki.release, "6.12.95+deb12-arm64");
}

static void test_debian_61_kprobes(void **state)
{
	debian_61(&sv);
	plan(NULL);
	assert_hook(P_ISSUE, "kprobe", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_hook(P_ISSUE_RET, "kretprobe", "arm_smmu_cmdq_issue_cmdlist", true);
	/* <= 6.11: skip_err is inlined into the GERROR handler */
	assert_hook(P_ISR, "kprobe", "arm_smmu_gerror_handler", true);
	assert_hook(P_ISR_RET, "kretprobe", "arm_smmu_gerror_handler", true);
	assert_hook(P_SID, "kprobe", "arm_smmu_atc_inv_master.isra.0", true);
	assert_has(l.probes[P_ISSUE].flavour_why, "no ftrace direct calls");
	assert_int_equal(l.mode, MODE_FULL);
}

static void test_sync_slot(void **state)
{
	struct loader_cfg cfg = { .sync_slot = true };

	debian_612(&sv);
	plan(&cfg);
	assert_hook(P_WRITE_ENTRIES, "fentry", "arm_smmu_cmdq_write_entries", true);
	debian_61(&sv);
	plan(&cfg);
	assert_hook(P_WRITE_ENTRIES, "kprobe", "arm_smmu_cmdq_write_entries", true);
	/* inlined (clang builds): the engine falls back to prod windows, and says so */
	sv.n_syms = 0;
	add_sym(&sv, "arm_smmu_cmdq_issue_cmdlist", 1);
	add_sym(&sv, "arm_smmu_gerror_handler", 1);
	plan(&cfg);
	assert_hook(P_WRITE_ENTRIES, "kprobe", "", false);
	assert_has(l.probes[P_WRITE_ENTRIES].why, "not in /proc/kallsyms");
	assert_has(l.probes[P_WRITE_ENTRIES].why, "issuers match by prod window");
	assert_int_equal(l.mode, MODE_FULL);
}

/* only a clone whose arguments may differ: not the issuer's layout, no hook */
static void test_clone_only_issuer(void **state)
{
	debian_612(&sv);
	snprintf(sym(&sv, "arm_smmu_cmdq_issue_cmdlist")->name, sizeof(sv.syms[0].name),
		 "arm_smmu_cmdq_issue_cmdlist.constprop.0");
	plan(NULL);
	assert_false(l.probes[P_ISSUE].planned);
	assert_false(l.probes[P_ISSUE_RET].planned);
	assert_has(l.probes[P_ISSUE].why, "exists only as a compiler clone");
	assert_int_equal(l.mode, MODE_LOG);
	assert_has(l.mode_why, "only as a compiler clone");
	/* the error interrupt is still planned: check shows what would run */
	assert_hook(P_ISR, "fentry", "__arm_smmu_cmdq_skip_err", true);
}

/* GCC's .isra.N keeps arm_smmu_atc_inv_master's arguments; .constprop.N may not */
static void test_sid_clone_kinds(void **state)
{
	debian_612(&sv);
	snprintf(sym(&sv, "arm_smmu_atc_inv_master.isra.0")->name, sizeof(sv.syms[0].name),
		 "arm_smmu_atc_inv_master.constprop.0");
	plan(NULL);
	assert_false(l.probes[P_SID].planned);
	assert_has(l.probes[P_SID].why, "only as a compiler clone");
	assert_has(l.probes[P_SID].why, "the stream-tree walk still maps SIDs");
	assert_int_equal(l.mode, MODE_FULL);
	/* not a clone at all (clang keeps the name): fentry, like the others */
	snprintf(sym(&sv, "arm_smmu_atc_inv_master.constprop.0")->name, sizeof(sv.syms[0].name),
		 "arm_smmu_atc_inv_master");
	btf_func(&sv, KF_ATC_INV_MASTER, 1, 2);
	plan(NULL);
	assert_hook(P_SID, "fentry", "arm_smmu_atc_inv_master", true);
}

static void test_kprobe_blacklist(void **state)
{
	debian_61(&sv);
	sv.ki.blacklist_read = true;
	sym(&sv, "arm_smmu_cmdq_issue_cmdlist")->blacklisted = true;
	plan(NULL);
	assert_false(l.probes[P_ISSUE].planned);
	assert_has(l.probes[P_ISSUE].why, "on the kprobe blacklist");
	assert_int_equal(l.mode, MODE_LOG);
	/* the blacklist is about kprobes: a trampoline may still attach */
	debian_612(&sv);
	sym(&sv, "arm_smmu_cmdq_issue_cmdlist")->blacklisted = true;
	plan(NULL);
	assert_hook(P_ISSUE, "fentry", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_int_equal(l.mode, MODE_FULL);
}

static void test_ambiguous_btf_funcs(void **state)
{
	debian_612(&sv);
	btf_func(&sv, KF_ISSUE, 2, 5);
	plan(NULL);
	assert_hook(P_ISSUE, "kprobe", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_hook(P_ISSUE_RET, "kretprobe", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_has(l.probes[P_ISSUE].flavour_why,
		   "2 BTF FUNCs named arm_smmu_cmdq_issue_cmdlist: ambiguous");
	assert_hook(P_ISR, "fentry", "__arm_smmu_cmdq_skip_err", true);
	/* two kallsyms entries of one name: which one a trampoline gets is unknown */
	debian_612(&sv);
	add_sym(&sv, "__arm_smmu_cmdq_skip_err", 1);
	plan(NULL);
	assert_hook(P_ISR, "kprobe", "__arm_smmu_cmdq_skip_err", true);
	assert_has(l.probes[P_ISR].flavour_why, "2 symbols __arm_smmu_cmdq_skip_err in kallsyms");
}

static void test_btf_arg_count(void **state)
{
	debian_612(&sv);
	btf_func(&sv, KF_ISSUE, 1, 4);
	plan(NULL);
	assert_hook(P_ISSUE, "kprobe", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_has(l.probes[P_ISSUE].flavour_why, "takes 4 arguments, expected 5");
}

static void test_no_direct_calls(void **state)
{
	struct loader_cfg force = { .force_fentry = true };

	debian_612(&sv);
	sv.ki.ftrace_direct = false;
	plan(NULL);
	for (int i = P_ISSUE; i < P_CONSOLE; i++) {
		assert_false(l.probes[i].fentry);
		if (l.probes[i].planned)
			assert_has(l.probes[i].flavour_why, "no ftrace direct calls");
	}
	assert_true(l.probes[P_ISR].planned);
	assert_int_equal(l.mode, MODE_FULL);
	/* SMMUTRACE_FORCE_FENTRY: tried anyway, and the reason says so */
	plan(&force);
	assert_hook(P_ISSUE, "fentry", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_has(l.probes[P_ISSUE].flavour_why, "forced (SMMUTRACE_FORCE_FENTRY)");
}

static void test_no_fentry_option(void **state)
{
	struct loader_cfg cfg = { .no_fentry = true };

	debian_612(&sv);
	plan(&cfg);
	assert_hook(P_ISSUE, "kprobe", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_hook(P_ISR, "kprobe", "__arm_smmu_cmdq_skip_err", true);
	assert_hook(P_ISR_RET, "kretprobe", "__arm_smmu_cmdq_skip_err", true);
	for (int i = P_ISSUE; i < P_CONSOLE; i++)
		if (l.probes[i].planned)
			assert_has(l.probes[i].flavour_why, "--no-fentry");
	assert_int_equal(l.mode, MODE_FULL);
	/* --btf FILE: the running kernel's own BTF is what trampolines attach by */
	cfg = (struct loader_cfg){ .btf_path = "/tmp/other.btf" };
	plan(&cfg);
	assert_hook(P_ISSUE, "kprobe", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_has(l.probes[P_ISSUE].flavour_why, "--btf given");
}

/* the issuer's direct loads need bpf_rdonly_cast and a struct to view cmds[] as */
static void test_issuer_fentry_needs(void **state)
{
	debian_612(&sv);
	sv.ki.rdonly_cast = false;
	plan(NULL);
	assert_hook(P_ISSUE, "kprobe", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_has(l.probes[P_ISSUE].flavour_why, "no bpf_rdonly_cast kfunc");
	assert_hook(P_ISR, "fentry", "__arm_smmu_cmdq_skip_err", true);
	debian_612(&sv);
	sv.ki.cmds_view_id = 0;
	plan(NULL);
	assert_hook(P_ISSUE, "kprobe", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_has(l.probes[P_ISSUE].flavour_why, "struct arm_smmu_cmd[64]");
}

/* 7.2: struct arm_smmu_cmd *cmds, same five arguments; the view is the batch */
static void test_7_2_command_type(void **state)
{
	debian_612(&sv);
	sv.ki.invs_7x = sv.ki.cmd_struct = true;
	plan(NULL);
	assert_hook(P_ISSUE, "fentry", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_int_equal(l.mode, MODE_FULL);
}

static void test_notrace(void **state)
{
	debian_612(&sv);
	sym(&sv, "arm_smmu_cmdq_issue_cmdlist")->ftrace = 0;
	plan(NULL);
	assert_hook(P_ISSUE, "kprobe", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_has(l.probes[P_ISSUE].flavour_why, "not in available_filter_functions (notrace)");
	assert_has(l.probes[P_ISSUE].why, "int3/brk kprobe, slower");
	/* unreadable list (-1): no conclusion drawn */
	sym(&sv, "arm_smmu_cmdq_issue_cmdlist")->ftrace = -1;
	plan(NULL);
	assert_hook(P_ISSUE, "fentry", "arm_smmu_cmdq_issue_cmdlist", true);
}

static void test_skip_err_inlined_612(void **state)
{
	debian_612(&sv);
	snprintf(sym(&sv, "__arm_smmu_cmdq_skip_err")->name, sizeof(sv.syms[0].name),
		 "unrelated");
	plan(NULL);
	assert_hook(P_ISR, "fentry", "arm_smmu_gerror_handler", true);
	assert_has(l.probes[P_ISR].why, "skip_err inlined: GERROR handler, main queue only");
	assert_hook(P_ISR_RET, "fexit", "arm_smmu_gerror_handler", true);
}

static void test_module_driver(void **state)
{
	debian_61(&sv);
	for (int i = 0; i < sv.n_syms; i++)
		sv.syms[i].module = true;
	plan(NULL);
	assert_hook(P_ISSUE, "kprobe", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_has(l.probes[P_ISSUE].why, "in module arm_smmu_v3");
}

static void test_no_kprobes(void **state)
{
	/* neither kprobes nor trampolines: the driver is out of reach */
	debian_61(&sv);
	sv.ki.kprobes = false;
	plan(NULL);
	for (int i = P_ISSUE; i < P_CONSOLE; i++) {
		assert_false(l.probes[i].planned);
		assert_has(l.probes[i].why, "this kernel has no kprobes");
	}
	assert_int_equal(l.mode, MODE_LOG);
	/* trampolines but no kprobes: what has a BTF FUNC runs, the clone cannot */
	debian_612(&sv);
	sv.ki.kprobes = false;
	plan(NULL);
	assert_hook(P_ISSUE, "fentry", "arm_smmu_cmdq_issue_cmdlist", true);
	assert_false(l.probes[P_SID].planned);
	assert_has(l.probes[P_SID].why, "no kprobes, and no fentry");
	assert_int_equal(l.mode, MODE_FULL);
	/* --no-kprobes: tracepoints only */
	debian_612(&sv);
	plan(&(struct loader_cfg){ .no_kprobes = true });
	assert_false(l.probes[P_ISSUE].planned);
	assert_int_equal(l.mode, MODE_LOG);
	assert_has(l.mode_why, "--no-kprobes");
}

static void test_lockdown_and_privileges(void **state)
{
	debian_612(&sv);
	snprintf(sv.ki.lockdown, sizeof(sv.ki.lockdown), "confidentiality");
	plan(NULL);
	assert_int_equal(l.mode, MODE_KMSG);
	assert_has(l.mode_why, "lockdown=confidentiality");
	sv.ki.kmsg_readable = false;
	plan(NULL);
	assert_int_equal(l.mode, MODE_NONE);
	/* integrity lockdown still allows tracing */
	debian_612(&sv);
	snprintf(sv.ki.lockdown, sizeof(sv.ki.lockdown), "integrity");
	plan(NULL);
	assert_int_equal(l.mode, MODE_FULL);
	debian_612(&sv);
	sv.ki.caps_ok = sv.ki.root = false;
	plan(NULL);
	assert_int_equal(l.mode, MODE_KMSG);
	assert_has(l.mode_why, "run with sudo");
}

/* this build host: no driver, no kprobes; the tracepoints still run */
static void test_x86_host(void **state)
{
	char why[512];

	memset(&sv, 0, sizeof(sv));
	sv.ki.root = sv.ki.caps_ok = sv.ki.btf = sv.ki.kallsyms = true;
	sv.ki.tp_console = sv.ki.tp_iopf = sv.ki.kmsg_readable = true;
	sv.ki.ftrace_direct = sv.ki.rdonly_cast = true;
	plan(NULL);
	assert_int_equal(l.mode, MODE_LOG);
	assert_has(l.probes[P_ISSUE].why, "no arm-smmu-v3 driver in this kernel");
	assert_has(l.probes[P_AER].why, "tracepoint ras:aer_event not in this kernel");
	loader_why_not_full(&l, why, sizeof(why));
	assert_string_equal(why, "the kernel has no kprobes; there is no arm-smmu-v3 driver in "
			    "this kernel");
}

/* the table check and the live banner print */
static void test_probe_table(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	debian_612(&sv);
	plan(NULL);
	loader_print_probes(&l, f);
	fclose(f);
	assert_has(buf, "  issuer entry           fentry    arm_smmu_cmdq_issue_cmdlist    "
		   "planned  fentry: BTF FUNC (5 args)");
	assert_has(buf, "  SID -> device          kprobe    arm_smmu_atc_inv_master.isra.0 "
		   "planned  no fentry: arm_smmu_atc_inv_master.isra.0 is a compiler clone");
	assert_has(buf, "  I/O page faults        raw_tp    io_page_fault                  "
		   "planned  other IOMMU drivers only");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_612_fentry),
		cmocka_unit_test(test_debian_61_kprobes),
		cmocka_unit_test(test_sync_slot),
		cmocka_unit_test(test_clone_only_issuer),
		cmocka_unit_test(test_sid_clone_kinds),
		cmocka_unit_test(test_kprobe_blacklist),
		cmocka_unit_test(test_ambiguous_btf_funcs),
		cmocka_unit_test(test_btf_arg_count),
		cmocka_unit_test(test_no_direct_calls),
		cmocka_unit_test(test_no_fentry_option),
		cmocka_unit_test(test_issuer_fentry_needs),
		cmocka_unit_test(test_7_2_command_type),
		cmocka_unit_test(test_notrace),
		cmocka_unit_test(test_skip_err_inlined_612),
		cmocka_unit_test(test_module_driver),
		cmocka_unit_test(test_no_kprobes),
		cmocka_unit_test(test_lockdown_and_privileges),
		cmocka_unit_test(test_x86_host),
		cmocka_unit_test(test_probe_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
