// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The issuer hot path of smmutrace.bpf.c (bpf/issue.bpf.h, the same code) on a
 * hook this machine can drive at will, in both flavours:
 *
 *   issuer_entry/exit   kprobe flavour, issue_begin(): kernel memory through
 *                       bpf_probe_read_kernel, as issue_entry/issue_exit
 *   direct_entry/exit   fentry flavour's code, issue_begin_direct(): direct
 *                       loads through bpf_rdonly_cast'ed pointers, as
 *                       fentry_issue/fexit_issue
 *
 * both on the getppid syscall tracepoints, standing in for the driver hooks
 * (no kprobes here), so they differ only in how kernel memory is read; and
 *
 *   fentry_issuer/
 *   fexit_issuer        the fentry flavour on its own hook, fentry/fexit on
 *                       the getppid syscall function (user space sets the
 *                       target), where the kernel allows fentry programs
 *
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
#include "issue.bpf.h"

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

/*
 * fentry flavour.  On the driver, cmdq is a BTF-typed argument; here the
 * fake one in the map is cast to the same struct cmds_view the commands are
 * read through (a host type: the verifier only checks that offset 0 is a
 * scalar), so llq.prod is the same BPF_PROBE_MEM load.
 */
static __always_inline void direct_begin(void)
{
	__u32 zero = 0;
	struct fake_smmu *f;
	__u64 smmu, cmdq;

	f = bpf_map_lookup_elem(&fake, &zero);
	if (!f)
		return;
	smmu = (__u64)f->smmu;
	cmdq = smmu + bpf_core_field_offset(struct arm_smmu_device___st, cmdq);
	issue_begin_direct(smmu, bpf_rdonly_cast((void *)cmdq, cmds_view_btf_id),
			   (__u64)f->cmds, f->n, true);
}

SEC("tp/syscalls/sys_enter_getppid")
int direct_entry(void *ctx)
{
	direct_begin();
	return 0;
}

SEC("tp/syscalls/sys_exit_getppid")
int direct_exit(void *ctx)
{
	issue_end(0);
	return 0;
}

SEC("fentry")
int fentry_issuer(__u64 *ctx)
{
	direct_begin();
	return 0;
}

/* as fexit_issue, with the return value read the same way (getppid's is a pid: not used) */
SEC("fexit")
int fexit_issuer(__u64 *ctx)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
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

/* and the fentry/fexit pair's own cost */
SEC("fentry")
int fentry_empty(__u64 *ctx)
{
	return 0;
}

SEC("fexit")
int fexit_empty(__u64 *ctx)
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

/* the fentry flavour's reads instead: llq.prod and 3 commands as direct loads */
SEC("tp/syscalls/sys_enter_getppid")
int cost_direct(void *ctx)
{
	__u32 zero = 0;
	struct fake_smmu *f = bpf_map_lookup_elem(&fake, &zero);
	struct issue_state *st = issue_slot(0);
	const struct cmds_view *v;

	if (!f || !st)
		return 0;
	v = bpf_rdonly_cast((void *)&f->smmu[8], cmds_view_btf_id);
	sink = v->w[0];
	v = bpf_rdonly_cast((void *)f->cmds, cmds_view_btf_id);
	st->cmds[0] = v->w[0];
	st->cmds[1] = v->w[1];
	st->cmds[2] = v->w[2];
	st->cmds[3] = v->w[3];
	st->cmds[4] = v->w[4];
	st->cmds[5] = v->w[5];
	return 0;
}
