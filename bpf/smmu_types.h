/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The arm-smmu-v3 driver's types as CO-RE flavors: only the fields the
 * programs read, matched by name (the "___x" suffix is ignored) against the
 * running kernel's BTF: vmlinux when the driver is built in,
 * /sys/kernel/btf/arm_smmu_v3 when it is a module.  vmlinux.h does not need
 * to hold them, so one object serves 5.15 to 7.x.
 *
 * Anchoring: vmlinux can also hold SMMUv2's struct arm_smmu_device (Debian's
 * arm64 kernels do), and libbpf refuses a relocation that resolves to
 * different offsets in two candidates.  So nothing here names a field of
 * arm_smmu_device that v2 has elsewhere: cmdq and streams exist only in v3,
 * and dev sits at offset 0 in both.  Do not add features/options/base here;
 * reach them through a v3-only path if ever needed.
 */
#ifndef SMMUTRACE_SMMU_TYPES_H
#define SMMUTRACE_SMMU_TYPES_H

#define __core __attribute__((preserve_access_index))

/*
 * ___st: layouts every supported kernel shares.  The lockless command queue
 * (arm_smmu_ll_queue with prod/cons/max_n_shift, arm_smmu_cmdq around an
 * arm_smmu_queue) came with "iommu/arm-smmu-v3: Reduce contention during
 * command-queue insertion" in v5.3; the streams rb-tree (arm_smmu_stream,
 * smmu->streams, master->streams/num_streams) with "iommu/arm-smmu-v3:
 * Maintain a SID->device structure" in v5.13.  Both are unchanged to 7.1.
 */
struct arm_smmu_ll_queue___st {
	union {
		__u64 val;
		struct {
			__u32 prod;
			__u32 cons;
		};
	};
	__u32 max_n_shift;
} __core;

struct arm_smmu_queue___st {
	struct arm_smmu_ll_queue___st llq;
	__le64 *base;
	dma_addr_t base_dma;
} __core;

struct arm_smmu_cmdq___st {
	struct arm_smmu_queue___st q;
} __core;

/*
 * v6.12: NVIDIA Tegra241 CMDQV support ("Arm SMMU updates for 6.12") added
 * cmdq->supports_cmd and made issue_cmdlist take the cmdq as a parameter.
 */
struct arm_smmu_cmdq___v612 {
	void *supports_cmd;
} __core;

/*
 * Not in a release: Nicolin Chen's series "iommu/arm-smmu-v3: Mark ATC
 * invalidate timeouts via lockless bitmap" (v2 4/7, March 2026, on 7.1)
 * adds cmdq->atc_sync_timeouts between lock and supports_cmd.
 */
struct arm_smmu_cmdq___atc {
	unsigned long *atc_sync_timeouts;
} __core;

struct arm_smmu_device___st {
	struct device *dev;
	struct arm_smmu_cmdq___st cmdq;
	struct rb_root streams;
} __core;

struct arm_smmu_master___st;

struct arm_smmu_stream___st {
	__u32 id;
	struct arm_smmu_master___st *master;
	struct rb_node node;
} __core;

struct arm_smmu_master___st {
	struct arm_smmu_device___st *smmu;
	struct device *dev;
	struct arm_smmu_stream___st *streams;
	unsigned int num_streams;
} __core;

/*
 * Per-domain invalidation arrays, "iommu/arm-smmu-v3: Add arm_smmu_invs based
 * arm_smmu_domain_inv_range()": absent in 6.19, present in 7.1 (informational).
 */
struct arm_smmu_invs___st {
	__u64 num_invs;
} __core;

static __always_inline bool smmu_layout_v612(void)
{
	return bpf_core_field_exists(struct arm_smmu_cmdq___v612, supports_cmd);
}

static __always_inline bool smmu_has_atc_bitmap(void)
{
	return bpf_core_field_exists(struct arm_smmu_cmdq___atc, atc_sync_timeouts);
}

/* the driver's types are in the kernel BTF at all (false on x86) */
static __always_inline bool smmu_types_present(void)
{
	return bpf_core_field_exists(struct arm_smmu_cmdq___st, q);
}

#endif /* SMMUTRACE_SMMU_TYPES_H */
