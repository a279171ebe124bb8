// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the CO-RE relocations of bpf/smmu_types.h resolve to against a given
 * BTF.  A syscall program (runnable with BPF_PROG_TEST_RUN) stores the
 * decisions smmutrace.bpf.c takes — argument layout, patched bitmap — and
 * the offsets it reads, so tests can compare them with the driver's
 * struct layouts (tests/bpf/fixtures/smmu-v3.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "events.h"
#include "smmu_types.h"
#include "core_probe.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";


struct core_result res = {};

SEC("syscall")
int core_probe(void *ctx)
{
	res.types = smmu_types_present();
	res.v612 = smmu_layout_v612();
	res.atc_bitmap = smmu_has_atc_bitmap();
	res.invs_7x = bpf_core_type_exists(struct arm_smmu_invs___st);
	res.dev_cmdq = bpf_core_field_offset(struct arm_smmu_device___st, cmdq);
	res.dev_streams = bpf_core_field_offset(struct arm_smmu_device___st, streams);
	res.llq_prod = bpf_core_field_offset(struct arm_smmu_ll_queue___st, prod);
	res.llq_max_n_shift = bpf_core_field_offset(struct arm_smmu_ll_queue___st, max_n_shift);
	res.queue_base = bpf_core_field_offset(struct arm_smmu_queue___st, base);
	res.queue_base_dma = bpf_core_field_offset(struct arm_smmu_queue___st, base_dma);
	/* a constant after relocation: the verifier drops the branch when absent */
	if (smmu_has_atc_bitmap())
		res.cmdq_atc_bitmap = bpf_core_field_offset(struct arm_smmu_cmdq___atc,
							    atc_sync_timeouts);
	res.stream_id = bpf_core_field_offset(struct arm_smmu_stream___st, id);
	res.stream_master = bpf_core_field_offset(struct arm_smmu_stream___st, master);
	res.stream_node = bpf_core_field_offset(struct arm_smmu_stream___st, node);
	res.master_smmu = bpf_core_field_offset(struct arm_smmu_master___st, smmu);
	res.master_dev = bpf_core_field_offset(struct arm_smmu_master___st, dev);
	res.master_streams = bpf_core_field_offset(struct arm_smmu_master___st, streams);
	res.master_num_streams = bpf_core_field_offset(struct arm_smmu_master___st, num_streams);
	res.ran = 1;
	return 0;
}
