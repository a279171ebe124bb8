/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * SMMUv3 command words as the BPF programs see them.  This mirrors
 * src/decode.c (the user-space library) for the few things the kernel side
 * needs; tests/bpf checks that both agree.  Plain C on fixed-size types so
 * that user space can include it too (after events.h).
 */
#ifndef SMMUTRACE_BPF_CMDQ_H
#define SMMUTRACE_BPF_CMDQ_H

#define CMDQ_ENT_DWORDS		2
/* commands one issue_cmdlist call can carry: CMDQ_BATCH_ENTRIES on arm64 */
#define CMDQ_BATCH_MAX		64
#define CMDQ_PROD_OWNED_FLAG	(1u << 31)

#define CMDQ_OPC_ATC_INV	0x40
#define CMDQ_OPC_CMD_SYNC	0x46

/* opcode -> enum smmu_op_class; everything not listed is SMMU_OPC_OTHER */
static const __u8 smmu_op_class_tab[256] = {
	[0x01] = SMMU_OPC_PREFETCH,
	[0x03] = SMMU_OPC_CFGI_STE,
	[0x04] = SMMU_OPC_CFGI_ALL,
	[0x05] = SMMU_OPC_CFGI_CD,
	[0x06] = SMMU_OPC_CFGI_CD_ALL,
	[0x10] = SMMU_OPC_TLBI_NH_ALL,
	[0x11] = SMMU_OPC_TLBI_NH_ASID,
	[0x12] = SMMU_OPC_TLBI_NH_VA,
	[0x13] = SMMU_OPC_TLBI_NH_VA,
	[0x20] = SMMU_OPC_TLBI_EL2,
	[0x21] = SMMU_OPC_TLBI_EL2,
	[0x22] = SMMU_OPC_TLBI_EL2,
	[0x28] = SMMU_OPC_TLBI_S12_VMALL,
	[0x2a] = SMMU_OPC_TLBI_S2_IPA,
	[0x30] = SMMU_OPC_TLBI_NSNH_ALL,
	[0x40] = SMMU_OPC_ATC_INV,
	[0x41] = SMMU_OPC_PRI_RESUME,
	[0x44] = SMMU_OPC_PRI_RESUME,
	[0x46] = SMMU_OPC_CMD_SYNC,
};

/* CMD_ATC_INV: SID 0:[63:32], SSID 0:[31:12], SSV 0:11, GLOBAL 0:9, SIZE 1:[5:0], ADDR 1:[63:12] */
static __always_inline void smmu_atc_from_cmd(struct smmu_atc *a, __u64 d0, __u64 d1)
{
	a->addr = d1 & ~0xfffULL;
	a->sid = d0 >> 32;
	a->ssid = (d0 >> 12) & 0xfffff;
	a->size = d1 & 0x3f;
	a->ssv = (d0 >> 11) & 1;
	a->global = (d0 >> 9) & 1;
}

/* latency bucket: floor(log2(ns)), capped to the histogram */
static __always_inline __u32 smmu_lat_bucket(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r < SMMU_LAT_BUCKETS ? r : SMMU_LAT_BUCKETS - 1;
}

/* the CMD_SYNC slot of a call that wrote n commands at prod: queue_inc_prod_n() */
static __always_inline __u32 smmu_sync_slot(__u32 prod, __u32 n, __u32 max_n_shift)
{
	__u32 mask = (2u << max_n_shift) - 1;	/* WRP | IDX: the carry flips WRP */

	return ((prod & mask) + n) & mask;
}

#endif /* SMMUTRACE_BPF_CMDQ_H */
