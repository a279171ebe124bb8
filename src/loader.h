/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF source's setup: what the running kernel offers (BTF, symbols,
 * kprobes, tracepoints, lockdown, privileges), which attach point each
 * program gets, then open -> configure -> load -> attach with fallbacks.
 * `smmutrace check` prints the same plan that `smmutrace --live` uses.
 */
#ifndef SMMUTRACE_LOADER_H
#define SMMUTRACE_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "origin.h"

#define LOADER_MAX_SMMUS	16

/*
 * Driver hooks (P_ISSUE .. P_SID) come in two flavours: fentry/fexit (a BPF
 * trampoline, BTF-typed arguments, the issuer's reads as direct loads) where
 * the kernel can attach one to that exact function, else kprobe/kretprobe.
 * An entry hook and its return hook always share a flavour.
 */
enum probe_id {
	P_ISSUE = 0,		/* arm_smmu_cmdq_issue_cmdlist: fentry or kprobe */
	P_ISSUE_RET,		/* same function: fexit or kretprobe */
	P_WRITE_ENTRIES,	/* arm_smmu_cmdq_write_entries (sync slot) */
	P_ISR,			/* __arm_smmu_cmdq_skip_err or gerror_handler */
	P_ISR_RET,		/* same function, return */
	P_SID,			/* arm_smmu_atc_inv_master[.isra.N] */
	P_CONSOLE,		/* raw tracepoint printk:console */
	P_AER,			/* raw tracepoint ras:aer_event */
	P_IOPF,			/* raw tracepoint iommu:io_page_fault */
	P_COUNT
};

enum trace_mode {
	MODE_NONE = 0,		/* nothing can run */
	MODE_KMSG,		/* no BPF: follow /dev/kmsg */
	MODE_LOG,		/* BPF on tracepoints only: log capture */
	MODE_FULL,		/* fentry/kprobes on the driver + tracepoints */
};

struct probe {
	const char *what;	/* "issuer entry" */
	bool kprobe;		/* a driver hook (kprobe or fentry), else a raw tracepoint */
	bool retprobe;
	bool optional;		/* its absence does not change the mode */
	bool fentry;		/* flavour: fentry/fexit, else kprobe/kretprobe */
	char target[128];	/* symbol or tracepoint name, "" = none */
	bool planned;		/* will be loaded and attached */
	bool attached;
	char why[200];		/* why not planned / not attached, or a note */
	char flavour_why[200];	/* why fentry, or why not (then kprobe) */
};

struct kinfo {
	char release[65];
	char machine[65];
	bool root;
	bool caps_ok;		/* CAP_SYS_ADMIN, or CAP_BPF + CAP_PERFMON */
	char lockdown[32];	/* "none", "integrity", "confidentiality", "" = unknown */
	/* BTF */
	char btf_path[256];
	bool btf;		/* a kernel BTF was found and parsed */
	bool btf_module;	/* the driver's types come from /sys/kernel/btf/arm_smmu_v3 */
	bool driver_types;	/* struct arm_smmu_cmdq is in it */
	bool layout_v612;	/* cmdq->supports_cmd: 5-argument issue_cmdlist */
	bool atc_bitmap;	/* cmdq->atc_sync_timeouts: the quarantine series */
	bool invs_7x;		/* struct arm_smmu_invs */
	bool cmd_struct;	/* struct arm_smmu_cmd: 7.2+, cmds[] is struct arm_smmu_cmd * */
	int smmu_device_structs;	/* struct arm_smmu_device definitions (v2 + v3) */
	/* symbols and kprobes */
	bool kallsyms;
	struct origin_ranges kmsg_writers;	/* devkmsg_write() and clones: user printks */
	bool driver_syms;	/* kallsyms knows arm_smmu_cmdq_issue_cmdlist */
	bool driver_module;	/* ... tagged [arm_smmu_v3] */
	bool kprobes;
	char kprobe_how[48];	/* "perf kprobe PMU", "tracefs kprobe_events" */
	bool blacklist_read;
	bool ftrace_list_read;
	/* fentry/fexit (BPF trampolines) */
	bool ftrace_direct;	/* BTF has register_ftrace_direct[_multi]: trampolines can
				   attach to kernel functions */
	bool rdonly_cast;	/* kfunc bpf_rdonly_cast (6.2+): direct loads of cmds[] */
	int cmds_view_id;	/* vmlinux struct to view cmds[] through, 0 = none */
	char cmds_view[64];	/* its name */
	/* tracepoints */
	bool tracefs;
	bool tp_console, tp_aer, tp_iopf;
	/* instances */
	int n_smmus;
	char smmus[LOADER_MAX_SMMUS][64];
	bool kmsg_readable;
};

struct loader_cfg {
	const char *btf_path;	/* --btf */
	bool no_kprobes;
	uint32_t tgid;		/* --pid */
	bool have_sid;
	uint32_t sid;
	uint64_t slow_ns;
	bool all_atc;
	bool verbose;
	bool sync_slot;		/* also probe arm_smmu_cmdq_write_entries */
	bool no_fentry;		/* --no-fentry: kprobes for every driver hook */
	/*
	 * SMMUTRACE_FORCE_FENTRY=1 (tests): try fentry even where the kernel's
	 * BTF shows no ftrace direct calls, to exercise the fallback to kprobes
	 */
	bool force_fentry;
};

struct smmutrace_bpf;
struct bpf_link;

struct loader {
	struct loader_cfg cfg;
	struct kinfo ki;
	struct probe probes[P_COUNT];
	enum trace_mode mode;
	char mode_why[400];	/* why not a fuller mode */
	char fallback[300];	/* fentry given up at load or attach, and why ("" = no) */
	struct smmutrace_bpf *skel;
	struct bpf_link *links[P_COUNT];
};

/*
 * What the plan asks of a kernel, beyond struct kinfo: the BTF FUNCs and
 * kallsyms entries of the functions below.  Taken by loader_probe(); tests
 * build it by hand from recorded kernels.
 */
enum kfunc {
	KF_ISSUE,		/* arm_smmu_cmdq_issue_cmdlist */
	KF_WRITE_ENTRIES,	/* arm_smmu_cmdq_write_entries */
	KF_SKIP_ERR,		/* __arm_smmu_cmdq_skip_err */
	KF_GERROR,		/* arm_smmu_gerror_handler */
	KF_ATC_INV_MASTER,	/* arm_smmu_atc_inv_master */
	KF_FTRACE_DIRECT_MULTI,	/* ftrace direct calls: the 5.16-6.4 name... */
	KF_FTRACE_DIRECT,	/* ...and the 6.5+ one */
	KF_RDONLY_CAST,		/* kfunc bpf_rdonly_cast */
	KF_COUNT
};

extern const char *const kfunc_name[KF_COUNT];
/* the enum kfunc of a name, -1 if it is none */
int kfunc_index(const char *name);

#define SURVEY_MAX_SYMS	64

/* a kallsyms entry of a driver function or of one of its compiler clones */
struct ksym {
	char name[128];
	bool module;		/* tagged [arm_smmu_v3] */
	int ftrace;		/* in available_filter_functions: 1, 0, -1 = not readable */
	bool blacklisted;	/* on the kprobe blacklist (false when it was not readable) */
};

struct survey {
	struct kinfo ki;
	int btf_funcs[KF_COUNT];	/* BTF FUNCs of that name */
	int btf_nargs[KF_COUNT];	/* arguments of the first one */
	struct ksym syms[SURVEY_MAX_SYMS];
	int n_syms;
};

/* ---- the plan (plan.c: pure) ---- */
/* an empty plan: the probe table's names and roles */
void plan_init(struct loader *l, const struct loader_cfg *cfg);
/* l->ki, every probe's target, flavour and reasons, and the mode, from a survey */
void plan_make(struct loader *l, const struct survey *s);
void probe_why(struct probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "yes (...)" or "no: why", for check */
void loader_fentry_summary(const struct loader *l, char *buf, size_t len);

const char *loader_mode_name(enum trace_mode m);
/* every reason the full mode is out of reach, "; "-separated ("" if none) */
void loader_why_not_full(const struct loader *l, char *buf, size_t len);
void loader_print_probes(const struct loader *l, FILE *f);

/* ---- the loader (loader.c) ---- */
void loader_init(struct loader *l, const struct loader_cfg *cfg);
/* an environment switch: set, non-empty and not "0" */
bool loader_env_on(const char *name);
/* read-only survey of the kernel, and plan_make() from it */
void loader_probe(struct loader *l);
/*
 * open, configure, load, attach; fentry hooks that fail to load or attach
 * fall back to kprobes (l->fallback says why), kprobes that fail to load
 * fall back to tracepoints only
 */
int loader_start(struct loader *l);
void loader_stop(struct loader *l);
/*
 * load the planned programs and unload them: does the verifier accept them
 * here?  Falls back like loader_start (without attaching), so the probe
 * table then shows what live tracing would load.
 */
int loader_dry_run(struct loader *l);
int loader_ringbuf_fd(const struct loader *l);
int loader_map_fd(const struct loader *l, const char *name);
/* ask the kernel side to (re)walk each SMMU's stream tree */
void loader_request_sid_walk(struct loader *l);

#endif /* SMMUTRACE_LOADER_H */
