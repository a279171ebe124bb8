// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * smmutrace check: what this kernel offers and which mode `smmutrace --live`
 * would run in, with the reasons.  Uses the loader's survey and plan, so
 * the answer is the one live tracing acts on; when privileged it also loads
 * the planned programs through the verifier (without attaching them), with
 * the same fallback from fentry to kprobes as live tracing.  A trampoline
 * that would fail only at attach time is not caught here.
 *
 * Exit status: 0 if some mode can run (full, log capture, or /dev/kmsg
 * follow), 1 if nothing can.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "options.h"
#include "util.h"

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

static void print_kernel(const struct kinfo *ki)
{
	printf("kernel:       %s %s\n", ki->release, ki->machine);
	printf("privileges:   %s%s\n", ki->root ? "root" : "not root",
	       ki->caps_ok ? ", may load BPF" : ", cannot load BPF (needs CAP_BPF+CAP_PERFMON "
					       "or CAP_SYS_ADMIN: use sudo)");
	printf("lockdown:     %s\n", ki->lockdown[0] ? ki->lockdown
						   : "not reported (securityfs not mounted)");
	printf("BTF:          %s: %s\n", ki->btf_path, ki->btf ? "yes" : "no (CO-RE impossible)");
}

/*
 * Which semantics of an ATC invalidation timeout this driver has.  BTF shows
 * whether the quarantine series' bitmap is there, not which version of the
 * series: v2 and v3 differ only in the error the issuer gets.
 */
static void print_series(const struct kinfo *ki)
{
	if (!ki->atc_bitmap) {
		printf("series:       no atc_sync_timeouts bitmap: stock semantics. The SMMU retries\n"
		       "              a CMD_SYNC whose ATC invalidation timed out and its issuer\n"
		       "              usually gets 0; incidents rest on the queue walk at the error\n"
		       "              interrupt and on the issuer records\n");
		return;
	}
	printf("series:       atc_sync_timeouts bitmap (quarantine series): the error interrupt\n"
	       "              marks the failing CMD_SYNC's slot and fails its issuer. v2 or v3\n"
	       "              is not in BTF: incidents whose issuer the bit told say which\n"
	       "              from its ret (-110 ETIMEDOUT: v2; -5 EIO: v3, where -ETIMEDOUT\n"
	       "              only means the driver's 1 s software timeout). A bit set after\n"
	       "              its issuer gave up stays set and fails the next CMD_SYNC in\n"
	       "              that slot: incidents say so (bitmap_left_set, stale_bitmap)\n");
}

static void print_driver(const struct kinfo *ki)
{
	printf("driver:       arm-smmu-v3 symbols in kallsyms: %s%s; types in BTF: %s%s\n",
	       ki->kallsyms ? yes(ki->driver_syms) : "unknown (no /proc/kallsyms)",
	       ki->driver_module ? " (module)" : "", yes(ki->driver_types),
	       ki->btf_module ? " (/sys/kernel/btf/arm_smmu_v3)" : "");
	if (ki->driver_types) {
		printf("layout:       %s; commands as %s; arm_smmu_invs (7.x): %s\n",
		       ki->layout_v612 ? "6.12+ (issue_cmdlist takes cmdq, 5 arguments)"
				       : "<= 6.11 (issue_cmdlist takes 4 arguments)",
		       ki->cmd_struct ? "struct arm_smmu_cmd (7.2+)" : "u64[2] (<= 7.1)",
		       yes(ki->invs_7x));
		if (ki->smmu_device_structs > 1)
			printf("              %d struct arm_smmu_device in BTF (SMMUv2 too): "
			       "relocations are anchored on v3-only fields\n",
			       ki->smmu_device_structs);
		print_series(ki);
	}
	printf("instances:    ");
	if (!ki->n_smmus)
		printf("none (no /sys/bus/platform/drivers/arm-smmu-v3, no "
		       "/sys/class/iommu/smmu3.*)\n");
	for (int i = 0; i < ki->n_smmus; i++)
		printf("%s%s", ki->smmus[i], i + 1 < ki->n_smmus ? ", " : "\n");
}

static void print_hooks(const struct loader *l)
{
	const struct kinfo *ki = &l->ki;
	char fe[512];

	printf("kprobes:      %s%s%s\n", ki->kprobes ? "yes, " : "no", ki->kprobe_how,
	       ki->kprobes ? "" : " (kernel built without CONFIG_KPROBES/CONFIG_KPROBE_EVENTS)");
	loader_fentry_summary(l, fe, sizeof(fe));
	printf("fentry:       %s\n", fe);
	printf("tracepoints:  printk:console %s, ras:aer_event %s, iommu:io_page_fault %s%s\n",
	       yes(ki->tp_console), yes(ki->tp_aer), yes(ki->tp_iopf),
	       ki->tracefs ? "" : " (tracefs not mounted; from BTF)");
	/*
	 * trace_io_page_fault() is called only from report_iommu_fault();
	 * arm-smmu-v3 reports through iommu_report_device_fault()
	 */
	printf("event queue:  iommu:io_page_fault never fires for arm-smmu-v3 (it reports\n"
	       "              through iommu_report_device_fault(), which has no tracepoint);\n"
	       "              its faults are the driver's \"event 0x.. received\" log lines,\n"
	       "              read through printk:console\n");
	printf("/dev/kmsg:    %s\n", ki->kmsg_readable ? "readable" : "not readable");
}

static void print_mode(struct loader *l)
{
	char why[512];

	printf("mode:         %s\n", loader_mode_name(l->mode));
	switch (l->mode) {
	case MODE_FULL:
		printf("  issuer batches, queue walks at the error interrupt, latency histograms "
		       "and the driver's messages\n");
		break;
	case MODE_LOG:
		printf("  smmutrace --live will run in log-capture mode: the driver's messages "
		       "through the printk:console tracepoint,\n  with no issuer, queue-walk or "
		       "latency data,\n");
		loader_why_not_full(l, why, sizeof(why));
		printf("  because %s\n", why);
		break;
	case MODE_KMSG:
		printf("  no BPF (%s): smmutrace --live follows /dev/kmsg\n", l->mode_why);
		break;
	default:
		printf("  nothing can run: %s\n", l->mode_why);
		break;
	}
}

/* before the probe table: a fentry program that does not load changes the plan */
static int dry_run(struct loader *l)
{
	if (l->mode < MODE_LOG)
		return 1;
	return loader_dry_run(l);
}

static void print_verifier(const struct loader *l, int err)
{
	if (err > 0)
		return;
	if (!err && l->fallback[0])
		printf("verifier:     %s: kprobes instead; then the planned programs load on "
		       "this kernel\n", l->fallback);
	else if (!err)
		printf("verifier:     the planned programs load on this kernel\n");
	else
		printf("verifier:     load failed (%s); smmutrace -v --live shows libbpf's log\n",
		       strerror(-err));
}

int cmd_check(const struct options *o)
{
	struct loader_cfg cfg = {
		.btf_path = o->btf_path,
		.no_kprobes = o->no_kprobes,
		.no_fentry = o->no_fentry,
		.slow_ns = o->slow_us * 1000,
		.verbose = o->verbose,
		.sync_slot = o->sync_slot,
	};
	struct loader l;
	int err;

	loader_init(&l, &cfg);
	loader_probe(&l);
	err = dry_run(&l);
	print_kernel(&l.ki);
	print_driver(&l.ki);
	print_hooks(&l);
	printf("probes:\n");
	loader_print_probes(&l, stdout);
	print_verifier(&l, err);
	print_mode(&l);
	if (stdio_check(stdout, "stdout"))
		return EXIT_RUNTIME;
	return l.mode == MODE_NONE ? EXIT_RUNTIME : EXIT_OK;
}
