// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Verifier tests of the BPF programs, as root on the build machine.
 *
 * Each driver layout (6.1, 6.12, 6.12 + atc_sync_timeouts, 7.1, 7.2) comes as a
 * BTF fixture: the running kernel's vmlinux BTF plus the arm-smmu types
 * (tests/bpf/fixtures, merged by btfmerge).  With it as btf_custom_path,
 * every program of smmutrace.bpf.o must pass the running kernel's
 * verifier (kprobe programs load without being attached), and the CO-RE
 * decisions must match the driver's layouts (tests/bpf/fixtures/smmu-v3.c).
 * A fixture missing a field the programs need must make the load fail,
 * naming the field.
 *
 * The fentry/fexit twins of the driver hooks cannot load on an x86 host:
 * their attach target is the running kernel's BTF FUNC of an arm-smmu-v3
 * function (and this host refuses fentry programs altogether).  They are
 * verified and run on the real arm64 kernels by `make e2e`.  Here their
 * code, issue_begin_direct() + issue_end() with the direct loads through
 * bpf_rdonly_cast, runs from the benchmark's tracepoint programs for every
 * layout, and must read the queue and the batch right.
 *
 *   test_bpf [FIXTURE_DIR]      (default .output/<arch>/tests/bpf/btf)
 */
#include <errno.h>
#include <glob.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include <bpf/btf.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#include "btfview.h"
#include "events.h"
#include "decode.h"
#include "cmdq.h"
#include "core_probe.h"
#include "smmutrace.skel.h"
#include "core_probe.skel.h"
#include "ambiguous.skel.h"
#include "issue_bench.skel.h"
#include "smmutrace.h"

static const char *fixture_dir = ".output/x86/tests/bpf/btf";

/* libbpf's log of the current load, for assertions and for failure reports */
static char logbuf[1 << 20];
static size_t loglen;

static int log_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (loglen >= sizeof(logbuf) - 1)
		return 0;
	n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
	if (n > 0)
		loglen += (size_t)n < sizeof(logbuf) - loglen ? (size_t)n
							      : sizeof(logbuf) - loglen - 1;
	return 0;
}

static void log_reset(void)
{
	loglen = 0;
	logbuf[0] = '\0';
}

/* the last lines of the log, printed when an assertion is about to fail */
static void log_dump(const char *why)
{
	const char *p = logbuf + (loglen > 4000 ? loglen - 4000 : 0);
	const char *full = getenv("SMMUTRACE_TEST_LOG");
	FILE *f;

	/* SMMUTRACE_TEST_LOG=FILE keeps the whole verifier log */
	if (full && (f = fopen(full, "a"))) {
		fprintf(f, "==== %s\n%s\n", why, logbuf);
		fclose(f);
	}

	fprintf(stderr, "---- libbpf log (%s), tail ----\n%s\n----\n", why, p);
}

static void fixture_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s.btf", fixture_dir, name);
}

/* ---- the real object against each layout ------------------------------- */

static int load_smmutrace(const char *btf, bool kprobes, struct smmutrace_bpf **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf);
	struct smmutrace_bpf *skel;
	struct bpf_program *prog;
	int err;

	log_reset();
	skel = smmutrace_bpf__open_opts(&opts);
	if (!skel)
		return -errno;
	bpf_object__for_each_program(prog, skel->obj) {
		if (bpf_program__type(prog) == BPF_PROG_TYPE_KPROBE)
			bpf_program__set_autoload(prog, kprobes);
		/* fentry/fexit: attach target = an arm-smmu BTF FUNC of the running kernel */
		if (bpf_program__type(prog) == BPF_PROG_TYPE_TRACING)
			bpf_program__set_autoload(prog, false);
	}
	err = smmutrace_bpf__load(skel);
	if (err) {
		smmutrace_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

static void assert_all_loaded(const char *name)
{
	struct smmutrace_bpf *skel = NULL;
	struct bpf_program *prog;
	char path[512];
	int err, n = 0;

	fixture_path(path, sizeof(path), name);
	err = load_smmutrace(path, true, &skel);
	if (err)
		log_dump(name);
	assert_int_equal(err, 0);
	char counts[512] = "";
	size_t o = 0;

	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_program__type(prog) == BPF_PROG_TYPE_TRACING)
			continue;
		if (bpf_program__fd(prog) < 0)
			fprintf(stderr, "%s: program %s not loaded\n", name,
				bpf_program__name(prog));
		assert_true(bpf_program__fd(prog) >= 0);
		assert_int_equal(bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len), 0);
		if (o < sizeof(counts))
			o += snprintf(counts + o, sizeof(counts) - o, " %s:%u",
				      bpf_program__name(prog), info.verified_insns);
		n++;
	}
	/* issue entry/exit, write_entries, 2 ISR entries, ISR exit, atc_inv_master, 3 tp */
	assert_int_equal(n, 10);
	printf("  %-8s all %d programs passed the verifier (insns processed:%s)\n", name, n,
	       counts);
	smmutrace_bpf__destroy(skel);
}

/* ---- what the relocations resolved to ---------------------------------- */

struct layout {
	unsigned int v612, atc, invs, master_streams, master_num_streams, atc_off;
};

static void run_core_probe(const char *btf, struct core_probe_bpf **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf);
	LIBBPF_OPTS(bpf_test_run_opts, run);
	struct core_probe_bpf *skel;
	int err;

	log_reset();
	skel = core_probe_bpf__open_opts(&opts);
	assert_non_null(skel);
	err = core_probe_bpf__load(skel);
	if (err)
		log_dump(btf);
	assert_int_equal(err, 0);
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.core_probe), &run);
	assert_int_equal(err, 0);
	assert_int_equal(skel->bss->res.ran, 1);
	*out = skel;
}

static void check_layout(const char *btf, const struct layout *want)
{
	struct core_probe_bpf *skel;
	const struct core_result *r;

	run_core_probe(btf, &skel);
	r = &skel->bss->res;
	assert_int_equal(r->types, 1);
	assert_int_equal(r->v612, want->v612);
	assert_int_equal(r->atc_bitmap, want->atc);
	assert_int_equal(r->invs_7x, want->invs);
	/* identical in every layout from 5.15 to 7.1 */
	assert_int_equal(r->dev_cmdq, 64);
	assert_int_equal(r->llq_prod, 0);
	assert_int_equal(r->llq_max_n_shift, 64);
	assert_int_equal(r->queue_base, 136);
	assert_int_equal(r->queue_base_dma, 144);
	assert_int_equal(r->stream_id, 0);
	assert_int_equal(r->stream_master, 8);
	assert_int_equal(r->stream_node, 16);
	assert_int_equal(r->master_smmu, 0);
	assert_int_equal(r->master_dev, 8);
	/* per version */
	assert_int_equal(r->master_streams, want->master_streams);
	assert_int_equal(r->master_num_streams, want->master_num_streams);
	assert_int_equal(r->cmdq_atc_bitmap, want->atc_off);
	assert_true(r->dev_streams > r->dev_cmdq);
	printf("  %-8s v612=%u atc_bitmap=%u invs=%u cmdq@%u max_n_shift@%u base@%u "
	       "master.streams@%u num_streams@%u\n", strrchr(btf, '/') + 1, r->v612,
	       r->atc_bitmap, r->invs_7x, r->dev_cmdq, r->llq_max_n_shift, r->queue_base,
	       r->master_streams, r->master_num_streams);
	core_probe_bpf__destroy(skel);
}

static const struct layout l601 = { 0, 0, 0, 40, 48, 0 };
static const struct layout l612 = { 1, 0, 0, 16, 64, 0 };
static const struct layout l612atc = { 1, 1, 0, 16, 64, 208 };
static const struct layout l701 = { 1, 0, 1, 16, 80, 0 };
/* 7.2 changes the command type, not these offsets */
static const struct layout l702 = { 1, 0, 1, 16, 80, 0 };

static void layout_test(const char *name, const struct layout *l)
{
	char path[512];

	fixture_path(path, sizeof(path), name);
	check_layout(path, l);
	assert_all_loaded(name);
}

static void test_layout_6_1(void **state)
{
	layout_test("k601", &l601);
}

static void test_layout_6_12_with_smmuv2(void **state)
{
	layout_test("k612", &l612);
}

static void test_layout_6_12_atc_bitmap(void **state)
{
	layout_test("k612atc", &l612atc);
}

static void test_layout_7_x_with_smmuv2(void **state)
{
	layout_test("k701", &l701);
}

static void test_layout_7_2_with_smmuv2(void **state)
{
	layout_test("k702", &l702);
}

/*
 * The struct the fentry issuer reads cmds[] through (src/btfview.h): the
 * driver's own arm_smmu_cmdq_batch in every layout, whether its cmds are
 * u64[128] (to 7.1) or 7.2's struct arm_smmu_cmd[64]; never a 1 KiB array
 * of 16-byte elements whose 8-byte steps are not all u64.
 */
static void cmds_view(const char *name, bool cmd_struct)
{
	const struct btf_type *t, *m;
	const char *view = NULL;
	char path[512];
	struct btf *btf;
	int id;

	fixture_path(path, sizeof(path), name);
	btf = btf__parse(path, NULL);
	assert_non_null(btf);
	id = btfview_find(btf, &view);
	assert_int_not_equal(id, 0);
	assert_string_equal(view, "arm_smmu_cmdq_batch");
	t = btf__type_by_id(btf, id);
	m = btfview_skip(btf, btf_members(t)->type);
	assert_true(btf_is_array(m));
	/* what the view stands on: 128 u64, or 64 struct arm_smmu_cmd of u64[2] */
	m = btfview_skip(btf, btf_array(m)->type);
	assert_int_equal(btf_array(btfview_skip(btf, btf_members(t)->type))->nelems,
			 cmd_struct ? 64 : 128);
	if (cmd_struct) {
		assert_true(btfview_cmd(btf, m));
		assert_string_equal(btf__name_by_offset(btf, m->name_off), "arm_smmu_cmd");
	} else {
		assert_true(btf_is_int(m) && m->size == 8);
	}
	for (const char *const *d = (const char *const[]){ "fixture_decoy_u32s",
							   "fixture_decoy_ptr_int", NULL }; *d; d++) {
		int did = btf__find_by_name_kind(btf, *d, BTF_KIND_STRUCT);

		assert_true(did > 0);
		assert_int_equal(btf__type_by_id(btf, did)->size, 1024);
		assert_int_equal(btfview_rank(btf, btf__type_by_id(btf, did)), 0);
	}
	printf("  %-8s cmds[] view: struct %s (id %d), cmds as %s; decoys refused\n", name, view,
	       id, cmd_struct ? "struct arm_smmu_cmd[64]" : "u64[128]");
	btf__free(btf);
}

static void test_cmds_view_per_layout(void **state)
{
	cmds_view("k601", false);
	cmds_view("k612", false);
	cmds_view("k701", false);
	cmds_view("k702", true);
}

/* ---- failures that must be loud ----------------------------------------- */

static void test_missing_field_fails(void **state)
{
	struct smmutrace_bpf *skel = NULL;
	char path[512];
	int err;

	fixture_path(path, sizeof(path), "kbroken");
	err = load_smmutrace(path, true, &skel);
	assert_int_not_equal(err, 0);
	/* libbpf names the relocation it could not resolve */
	if (!strstr(logbuf, "max_n_shift"))
		log_dump("kbroken");
	assert_non_null(strstr(logbuf, "max_n_shift"));
	assert_non_null(strstr(logbuf, "failed to resolve CO-RE relocation"));
	{
		const char *l = strstr(logbuf, "failed to resolve CO-RE relocation");
		const char *e = strchr(l, '\n');

		printf("  kbroken  load failed as required: %.*s\n",
		       e ? (int)(e - l) : 160, l);
	}
}

static void test_unanchored_relocation_is_ambiguous(void **state)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct ambiguous_bpf *skel;
	char path[512];
	int err;

	/* with both drivers' arm_smmu_device in BTF: refused */
	fixture_path(path, sizeof(path), "k612");
	opts.btf_custom_path = path;
	log_reset();
	skel = ambiguous_bpf__open_opts(&opts);
	assert_non_null(skel);
	err = ambiguous_bpf__load(skel);
	ambiguous_bpf__destroy(skel);
	assert_int_not_equal(err, 0);
	if (!strstr(logbuf, "ambiguous"))
		log_dump("ambiguous");
	assert_non_null(strstr(logbuf, "ambiguous"));
	printf("  k612     v2+v3 arm_smmu_device: `features` relocation refused as ambiguous\n");

	/* with v3 alone the same program loads: v2 is what made it ambiguous */
	fixture_path(path, sizeof(path), "k601");
	log_reset();
	skel = ambiguous_bpf__open_opts(&opts);
	assert_non_null(skel);
	err = ambiguous_bpf__load(skel);
	ambiguous_bpf__destroy(skel);
	assert_int_equal(err, 0);
}

/* this machine's own BTF: no driver types, the tracepoint programs still load */
static void test_running_kernel_log_capture(void **state)
{
	struct smmutrace_bpf *skel = NULL;
	int err;

	err = load_smmutrace(NULL, false, &skel);
	if (err)
		log_dump("running kernel, tracepoints");
	assert_int_equal(err, 0);
	assert_true(bpf_program__fd(skel->progs.console) >= 0);
	assert_true(bpf_program__fd(skel->progs.aer_event) >= 0);
	assert_true(bpf_program__fd(skel->progs.io_page_fault) >= 0);
	assert_true(bpf_program__fd(skel->progs.issue_entry) < 0);
	smmutrace_bpf__destroy(skel);

	/* and the kprobe programs cannot: that is why the loader disables them */
	err = load_smmutrace(NULL, true, &skel);
	assert_int_not_equal(err, 0);
	assert_non_null(strstr(logbuf, "arm_smmu_"));
	printf("  running kernel (%s): tracepoint programs load; kprobe programs fail "
	       "without driver BTF, as expected\n", "no arm-smmu-v3 types");
}

/* ---- the fentry flavour ------------------------------------------------------ */

/* each driver hook has its kprobe program and an fentry/fexit twin */
static void test_fentry_twins(void **state)
{
	static const char *const twins[][3] = {
		{ "issue_entry", "fentry_issue", "fentry" },
		{ "issue_exit", "fexit_issue", "fexit" },
		{ "write_entries", "fentry_write_entries", "fentry" },
		{ "isr_skip_err", "fentry_skip_err", "fentry" },
		{ "isr_gerror", "fentry_gerror", "fentry" },
		{ "isr_exit", "fexit_isr", "fexit" },
		{ "atc_inv_master", "fentry_atc_inv_master", "fentry" },
	};
	struct smmutrace_bpf *skel = smmutrace_bpf__open();
	int n = 0;

	assert_non_null(skel);
	for (unsigned int i = 0; i < sizeof(twins) / sizeof(twins[0]); i++) {
		struct bpf_program *k = bpf_object__find_program_by_name(skel->obj, twins[i][0]);
		struct bpf_program *f = bpf_object__find_program_by_name(skel->obj, twins[i][1]);

		assert_non_null(k);
		assert_non_null(f);
		assert_int_equal(bpf_program__type(k), BPF_PROG_TYPE_KPROBE);
		assert_int_equal(bpf_program__type(f), BPF_PROG_TYPE_TRACING);
		assert_int_equal(bpf_program__expected_attach_type(f),
				 !strcmp(twins[i][2], "fentry") ? BPF_TRACE_FENTRY : BPF_TRACE_FEXIT);
		n++;
	}
	/* no arm-smmu function in this kernel's BTF: the loader falls back to kprobes */
	assert_int_not_equal(bpf_program__set_attach_target(skel->progs.fentry_issue, 0,
							   "arm_smmu_cmdq_issue_cmdlist"), 0);
	smmutrace_bpf__destroy(skel);
	printf("  fentry   %d driver hooks have an fentry/fexit twin; no arm-smmu BTF FUNC here, "
	       "so they load and run on the arm64 guests (make e2e)\n", n);
}

struct fake_smmu {
	__u64 smmu[128];	/* struct arm_smmu_device: cmdq at 64 (llq.prod at 0 of it) */
	__u64 cmds[64 * 2];
	__u32 n;
};

/* the first issue record, and how many came */
struct issue_seen {
	int n;
	struct smmu_ev_issue first;
};

static int on_issue(void *ctx, void *data, size_t size)
{
	struct issue_seen *seen = ctx;
	const struct smmu_event *ev = data;

	if (ev->hdr.type != SMMU_EV_ISSUE)
		return 0;
	if (!seen->n++)
		memcpy(&seen->first, &ev->issue, sizeof(seen->first));
	return 0;
}

/*
 * issue_begin_direct() + issue_end(), for one layout: 2 TLBI_NH_VA + 1
 * ATC_INV with a sync, through the direct loads.  With all_atc every call
 * is recorded: the records must carry what the loads read (llq.prod, the
 * ATC_INV's words), and the stats count every call.
 */
static void direct_flavour(const char *name)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct issue_bench_bpf *skel;
	struct bpf_program *prog;
	struct bpf_link *a, *b;
	struct fake_smmu f = {};
	struct btf *vm = btf__load_vmlinux_btf();
	const char *view = NULL;
	char path[512];
	int ncpu = libbpf_num_possible_cpus(), id, err, calls = 1000;
	__u64 c = 0, tlbi = 0, atc = 0, sync = 0;
	struct smmu_pcpu_stats *v;
	struct issue_seen seen = {};
	struct ring_buffer *rb;
	__u32 zero = 0;

	assert_non_null(vm);
	id = btfview_find(vm, &view);
	assert_int_not_equal(id, 0);
	fixture_path(path, sizeof(path), name);
	opts.btf_custom_path = path;
	log_reset();
	skel = issue_bench_bpf__open_opts(&opts);
	assert_non_null(skel);
	skel->rodata->cmds_view_btf_id = id;
	skel->rodata->all_atc = true;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == skel->progs.direct_entry ||
					  prog == skel->progs.direct_exit);
	err = issue_bench_bpf__load(skel);
	if (err)
		log_dump(name);
	assert_int_equal(err, 0);
	f.smmu[8] = 0x80001234;			/* llq.prod, with the owned flag */
	f.smmu[16] = 16;			/* llq.max_n_shift */
	f.cmds[0] = 0x12 | 7ULL << 48;
	f.cmds[1] = 0x7f0000001000ULL | 1;
	f.cmds[2] = 0x12 | 7ULL << 48;
	f.cmds[3] = 0x7f0000002000ULL | 1;
	f.cmds[4] = 0x40 | 0x100ULL << 32;
	f.cmds[5] = 52;
	f.n = 3;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.fake), &zero, &f, BPF_ANY), 0);
	a = bpf_program__attach(skel->progs.direct_entry);
	b = bpf_program__attach(skel->progs.direct_exit);
	assert_non_null(a);
	assert_non_null(b);
	for (int i = 0; i < calls; i++)
		syscall(SYS_getppid);
	bpf_link__destroy(a);
	bpf_link__destroy(b);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_issue, &seen, NULL);
	assert_non_null(rb);
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
	assert_true(seen.n >= calls);
	assert_int_equal(seen.first.prod_entry, 0x1234);
	assert_int_equal(seen.first.n, 3);
	assert_int_equal(seen.first.sync, 1);
	assert_int_equal(seen.first.n_atc, 1);
	assert_int_equal(seen.first.n_atc_rec, 1);
	assert_int_equal(seen.first.atc[0].sid, 0x100);
	assert_int_equal(seen.first.atc[0].size, 52);

	v = calloc(ncpu, sizeof(*v));
	assert_non_null(v);
	for (__u32 slot = 0; slot < SMMUTRACE_STAT_SLOTS; slot++) {
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.smmu_stats), &slot, v))
			continue;
		for (int i = 0; i < ncpu; i++) {
			c += v[i].s.calls;
			tlbi += v[i].s.ops[SMMU_OPC_TLBI_NH_VA];
			atc += v[i].s.ops[SMMU_OPC_ATC_INV];
			sync += v[i].s.sync_calls;
		}
	}
	free(v);
	assert_true(c >= (__u64)calls);
	assert_int_equal(tlbi, 2 * c);
	assert_int_equal(atc, c);
	assert_int_equal(sync, c);
	printf("  %-8s fentry flavour's code (direct loads, cmds[] as struct %s): %llu calls, "
	       "%llu TLBI_NH_VA, %llu ATC_INV, %llu sync; records: prod 0x%x, ATC_INV SID 0x%x\n",
	       name, view, (unsigned long long)c, (unsigned long long)tlbi,
	       (unsigned long long)atc, (unsigned long long)sync, seen.first.prod_entry,
	       seen.first.atc[0].sid);
	btf__free(vm);
	issue_bench_bpf__destroy(skel);
}

static void test_direct_loads_6_1(void **state)
{
	direct_flavour("k601");
}

static void test_direct_loads_6_12(void **state)
{
	direct_flavour("k612");
}

static void test_direct_loads_6_12_atc(void **state)
{
	direct_flavour("k612atc");
}

static void test_direct_loads_7_x(void **state)
{
	direct_flavour("k701");
}

static void test_direct_loads_7_2(void **state)
{
	direct_flavour("k702");
}

/* Debian's real arm64 kernels, when scripts/qemu/fetch.sh has cached their BTF */
static void real_btf(const char *pattern, const struct layout *l)
{
	glob_t g;

	if (glob(pattern, 0, NULL, &g) || !g.gl_pathc) {
		globfree(&g);
		skip();
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct btf *btf = btf__parse(g.gl_pathv[i], NULL);
		const char *view = NULL;

		check_layout(g.gl_pathv[i], l);
		/* a real kernel's issuer view is the driver's own batch */
		assert_non_null(btf);
		assert_int_not_equal(btfview_find(btf, &view), 0);
		assert_string_equal(view, "arm_smmu_cmdq_batch");
		btf__free(btf);
	}
	globfree(&g);
}

static void test_real_debian_6_1_btf(void **state)
{
	real_btf("/var/cache/smmutrace/btf/vmlinux-6.1.*-arm64.btf", &l601);
}

static void test_real_debian_6_12_btf(void **state)
{
	real_btf("/var/cache/smmutrace/btf/vmlinux-6.12.*-arm64.btf", &l612);
}

/* the rig's own 6.12 with the bitmap patch (scripts/kernel), once make e2e booted it */
static void test_real_patched_6_12_btf(void **state)
{
	real_btf("/var/cache/smmutrace/btf/vmlinux-6.12.*-smmutrace.btf", &l612atc);
}

/* src/cmdq.h's helpers as the BPF programs use them */
static void test_shared_cmdq_helpers(void **state)
{
	assert_int_equal(smmu_sync_slot(0xffff, 1, 16), 0x10000);
	assert_int_equal(smmu_sync_slot(0x1ffff, 1, 16), 0);
	assert_int_equal(smmu_sync_slot(0x1fffe, 1, 16), 0x1ffff);
	assert_int_equal(smmu_lat_bucket(1), 0);
	assert_int_equal(smmu_lat_bucket(1024), 10);
	assert_int_equal(smmu_lat_bucket(~0ULL), SMMU_LAT_BUCKETS - 1);
}

/*
 * The direct-load tests attach tp/ programs, which libbpf resolves through
 * tracefs.  A fresh machine may not have it mounted: mount it in a private
 * mount namespace so the host's mounts are left as they were.
 */
/*
 * Only the mount tracefs lands on must stop propagating; in a chroot "/" is
 * no mount point (EINVAL), so the nearest one that is serves.
 */
static int private_propagation(void)
{
	static const char *const tops[] = { "/sys/kernel", "/sys", "/" };

	for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++)
		if (!mount(NULL, tops[i], NULL, MS_REC | MS_PRIVATE, NULL))
			return 0;
		else if (errno != EINVAL)
			return -1;
	return -1;
}

static int ensure_tracefs(void)
{
	if (!access("/sys/kernel/tracing/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return 0;
	if (unshare(CLONE_NEWNS) || private_propagation() ||
	    mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		fprintf(stderr, "test_bpf: cannot mount tracefs in a private namespace: %s\n",
			strerror(errno));
		return -1;
	}
	printf("  tracefs was not mounted: mounted in a private mount namespace\n");
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_cmdq_helpers),
		cmocka_unit_test(test_layout_6_1),
		cmocka_unit_test(test_layout_6_12_with_smmuv2),
		cmocka_unit_test(test_layout_6_12_atc_bitmap),
		cmocka_unit_test(test_layout_7_x_with_smmuv2),
		cmocka_unit_test(test_layout_7_2_with_smmuv2),
		cmocka_unit_test(test_cmds_view_per_layout),
		cmocka_unit_test(test_missing_field_fails),
		cmocka_unit_test(test_unanchored_relocation_is_ambiguous),
		cmocka_unit_test(test_running_kernel_log_capture),
		cmocka_unit_test(test_fentry_twins),
		cmocka_unit_test(test_direct_loads_6_1),
		cmocka_unit_test(test_direct_loads_6_12),
		cmocka_unit_test(test_direct_loads_6_12_atc),
		cmocka_unit_test(test_direct_loads_7_x),
		cmocka_unit_test(test_direct_loads_7_2),
		cmocka_unit_test(test_real_debian_6_1_btf),
		cmocka_unit_test(test_real_debian_6_12_btf),
		cmocka_unit_test(test_real_patched_6_12_btf),
	};

	if (argc > 1)
		fixture_dir = argv[1];
	if (geteuid()) {
		fprintf(stderr, "test_bpf: needs root (loads BPF programs)\n");
		return 1;
	}
	if (ensure_tracefs())
		return 1;
	libbpf_set_print(log_fn);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
