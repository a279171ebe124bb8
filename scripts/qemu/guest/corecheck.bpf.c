// SPDX-License-Identifier: GPL-2.0
/*
 * corecheck.bpf.c - CO-RE smoke test for the arm64 guests (scripts/qemu/validate.sh).
 * Built three times: plain (reads only fields that exist in the SMMUv3 struct
 * alone); -DREAD_FEATURES (also reads arm_smmu_device.features, a field name
 * the SMMUv2 driver's struct arm_smmu_device has too, after the cmdq reads);
 * -DREAD_FEATURES_FIRST (reads features before anything else).
 *
 * Debian's arm64 kernels build both drivers in (CONFIG_ARM_SMMU=y and
 * CONFIG_ARM_SMMU_V3=y), so vmlinux BTF has two "struct arm_smmu_device" (and
 * two "struct arm_smmu_domain"); bpftool names the second one it meets
 * "arm_smmu_device___2" in vmlinux.h, and libbpf matches every candidate whose
 * name without the ___suffix is "arm_smmu_device".
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

__u64 hits, shift, has_supports_cmd, cmdq_off, features, base_dma_nonzero;

SEC("kprobe/arm_smmu_cmdq_issue_cmdlist")
int BPF_KPROBE(issue, struct arm_smmu_device___2 *smmu)
{
	hits++;
#ifdef READ_FEATURES_FIRST
	features = BPF_CORE_READ(smmu, features);
#endif
	shift = BPF_CORE_READ(smmu, cmdq.q.llq.max_n_shift);
	base_dma_nonzero = BPF_CORE_READ(smmu, cmdq.q.base_dma) != 0;
	has_supports_cmd = bpf_core_field_exists(struct arm_smmu_cmdq, supports_cmd);
	cmdq_off = bpf_core_field_offset(struct arm_smmu_device___2, cmdq);
#ifdef READ_FEATURES
	features = BPF_CORE_READ(smmu, features);
#endif
	return 0;
}
