// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The issuer hot path of smmutrace.bpf.c (bpf/issue.h, the same code) on a
 * hook this machine can drive at will: the getppid syscall tracepoints
 * stand in for the kprobe/kretprobe pair on arm_smmu_cmdq_issue_cmdlist.
 * The "queue" and the batch live in a map: a strict-mode DMA unmap's
 * TLBI_NH_VA x2 plus the ATC_INV of an ATS device, with a sync.  Loaded
 * with a BTF fixture (btf_custom_path) for the arm-smmu types.  No pid
 * filter: the kprobe needs none, and other getppid callers are rare.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "events.h"
#include "smmutrace.h"
#include "cmdq.h"
#include "smmu_types.h"
#include "issue.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct fake_smmu {
	__u64 smmu[128];	/* struct arm_smmu_device: dev (NULL), cmdq at 64 */
	__u64 cmds[CMDQ_BATCH_MAX * CMDQ_ENT_DWORDS];
	__u32 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fake_smmu);
} fake SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int issuer_entry(void *ctx)
{
	__u32 zero = 0;
	struct fake_smmu *f;
	__u64 smmu;

	f = bpf_map_lookup_elem(&fake, &zero);
	if (!f)
		return 0;
	smmu = (__u64)f->smmu;
	issue_begin(smmu, smmu + bpf_core_field_offset(struct arm_smmu_device___st, cmdq),
		    f->cmds, f->n, true);
	return 0;
}

SEC("tp/syscalls/sys_exit_getppid")
int issuer_exit(void *ctx)
{
	issue_end(0);
	return 0;
}

/* the hook's own cost: the same two tracepoints, nothing done */
SEC("tp/syscalls/sys_enter_getppid")
int empty_entry(void *ctx)
{
	return 0;
}

SEC("tp/syscalls/sys_exit_getppid")
int empty_exit(void *ctx)
{
	return 0;
}

/* what the work is made of: single helper calls, timed in-program by the runner */
__u64 sink;

SEC("tp/syscalls/sys_enter_getppid")
int cost_ktime(void *ctx)
{
	sink = bpf_ktime_get_ns();
	return 0;
}

SEC("tp/syscalls/sys_enter_getppid")
int cost_read_prod(void *ctx)
{
	__u32 zero = 0, prod;
	struct fake_smmu *f = bpf_map_lookup_elem(&fake, &zero);

	if (f && !bpf_probe_read_kernel(&prod, sizeof(prod), &f->smmu[8]))
		sink = prod;
	return 0;
}

SEC("tp/syscalls/sys_enter_getppid")
int cost_read_cmds(void *ctx)
{
	__u32 zero = 0;
	struct fake_smmu *f = bpf_map_lookup_elem(&fake, &zero);
	struct issue_state *st = issue_slot(0);

	if (f && st)
		bpf_probe_read_kernel(st->cmds, 3 * 16, f->cmds);
	return 0;
}
