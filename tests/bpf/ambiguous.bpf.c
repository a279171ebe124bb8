// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The mistake bpf/smmu_types.h avoids: a relocation on a field both
 * SMMUv2's and SMMUv3's struct arm_smmu_device have, at different offsets
 * (`features`: 32 in v2, 24 or 40 in v3).  libbpf must refuse it when the
 * BTF holds both structs; tests/bpf asserts that it does.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct arm_smmu_device___bad {
	__u32 features;
} __attribute__((preserve_access_index));

__u32 features_off = 0;

SEC("syscall")
int unanchored(void *ctx)
{
	features_off = bpf_core_field_offset(struct arm_smmu_device___bad, features);
	return 0;
}
