/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* core_probe.bpf.c's result, shared with tests/bpf/test_bpf.c */
#ifndef SMMUTRACE_TESTS_CORE_PROBE_H
#define SMMUTRACE_TESTS_CORE_PROBE_H

struct core_result {
	__u32 ran;
	__u32 types;
	__u32 v612;
	__u32 atc_bitmap;
	__u32 invs_7x;
	__u32 dev_cmdq;
	__u32 dev_streams;
	__u32 llq_prod;
	__u32 llq_max_n_shift;
	__u32 queue_base;
	__u32 queue_base_dma;
	__u32 cmdq_atc_bitmap;
	__u32 stream_id;
	__u32 stream_master;
	__u32 stream_node;
	__u32 master_smmu;
	__u32 master_dev;
	__u32 master_streams;
	__u32 master_num_streams;
};

#endif
