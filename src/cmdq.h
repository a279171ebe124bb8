/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * SMMUv3 command words and command-queue positions, as arm-smmu-v3.h
 * encodes them (unchanged from 5.15 to 7.1): the one definition used by the
 * BPF programs (bpf/), the decoder (src/decode.c) and the engine.  Pure
 * inline functions on fixed-size types; BPF includes it after vmlinux.h,
 * user space on its own (it pulls in events.h).
 */
#ifndef SMMUTRACE_CMDQ_H
#define SMMUTRACE_CMDQ_H

#ifndef __VMLINUX_H__
#include <stdbool.h>
#endif
#include "events.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif

#define CMDQ_ENT_DWORDS		2
/* commands one issue_cmdlist call can carry: CMDQ_BATCH_ENTRIES on arm64 */
#define CMDQ_BATCH_MAX		64
/* llq.prod's top bit: the owner of the queue's prod, not part of a position */
#define CMDQ_PROD_OWNED_FLAG	(1u << 31)

/* opcodes: dword 0 bits [7:0] */
#define CMDQ_OP_PREFETCH_CFG	0x01
#define CMDQ_OP_CFGI_STE	0x03
#define CMDQ_OP_CFGI_ALL	0x04
#define CMDQ_OP_CFGI_CD		0x05
#define CMDQ_OP_CFGI_CD_ALL	0x06
#define CMDQ_OP_TLBI_NH_ALL	0x10
#define CMDQ_OP_TLBI_NH_ASID	0x11
#define CMDQ_OP_TLBI_NH_VA	0x12
#define CMDQ_OP_TLBI_NH_VAA	0x13
#define CMDQ_OP_TLBI_EL2_ALL	0x20
#define CMDQ_OP_TLBI_EL2_ASID	0x21
#define CMDQ_OP_TLBI_EL2_VA	0x22
#define CMDQ_OP_TLBI_S12_VMALL	0x28
#define CMDQ_OP_TLBI_S2_IPA	0x2a
#define CMDQ_OP_TLBI_NSNH_ALL	0x30
#define CMDQ_OP_ATC_INV		0x40
#define CMDQ_OP_PRI_RESP	0x41
#define CMDQ_OP_RESUME		0x44
#define CMDQ_OP_CMD_SYNC	0x46

/* bits [hi:lo] of a command dword (the kernel's FIELD_GET(GENMASK_ULL(hi, lo))) */
#define CMDQ_FIELD(v, hi, lo)	(((v) >> (lo)) & (~0ULL >> (63 - (hi) + (lo))))

static __always_inline __u8 smmu_cmd_opcode(__u64 d0)
{
	return CMDQ_FIELD(d0, 7, 0);
}

/* opcode -> enum smmu_op_class; everything not listed is SMMU_OPC_OTHER */
static const __u8 smmu_op_class_tab[256] = {
	[CMDQ_OP_PREFETCH_CFG] = SMMU_OPC_PREFETCH,
	[CMDQ_OP_CFGI_STE] = SMMU_OPC_CFGI_STE,
	[CMDQ_OP_CFGI_ALL] = SMMU_OPC_CFGI_ALL,
	[CMDQ_OP_CFGI_CD] = SMMU_OPC_CFGI_CD,
	[CMDQ_OP_CFGI_CD_ALL] = SMMU_OPC_CFGI_CD_ALL,
	[CMDQ_OP_TLBI_NH_ALL] = SMMU_OPC_TLBI_NH_ALL,
	[CMDQ_OP_TLBI_NH_ASID] = SMMU_OPC_TLBI_NH_ASID,
	[CMDQ_OP_TLBI_NH_VA] = SMMU_OPC_TLBI_NH_VA,
	[CMDQ_OP_TLBI_NH_VAA] = SMMU_OPC_TLBI_NH_VA,
	[CMDQ_OP_TLBI_EL2_ALL] = SMMU_OPC_TLBI_EL2,
	[CMDQ_OP_TLBI_EL2_ASID] = SMMU_OPC_TLBI_EL2,
	[CMDQ_OP_TLBI_EL2_VA] = SMMU_OPC_TLBI_EL2,
	[CMDQ_OP_TLBI_S12_VMALL] = SMMU_OPC_TLBI_S12_VMALL,
	[CMDQ_OP_TLBI_S2_IPA] = SMMU_OPC_TLBI_S2_IPA,
	[CMDQ_OP_TLBI_NSNH_ALL] = SMMU_OPC_TLBI_NSNH_ALL,
	[CMDQ_OP_ATC_INV] = SMMU_OPC_ATC_INV,
	[CMDQ_OP_PRI_RESP] = SMMU_OPC_PRI_RESUME,
	[CMDQ_OP_RESUME] = SMMU_OPC_PRI_RESUME,
	[CMDQ_OP_CMD_SYNC] = SMMU_OPC_CMD_SYNC,
};

/* CMD_ATC_INV: SID 0:[63:32], SSID 0:[31:12], SSV 0:11, GLOBAL 0:9, SIZE 1:[5:0], ADDR 1:[63:12] */
static __always_inline void smmu_atc_from_cmd(struct smmu_atc *a, __u64 d0, __u64 d1)
{
	a->addr = d1 & ~0xfffULL;
	a->sid = CMDQ_FIELD(d0, 63, 32);
	a->ssid = CMDQ_FIELD(d0, 31, 12);
	a->size = CMDQ_FIELD(d1, 5, 0);
	a->ssv = CMDQ_FIELD(d0, 11, 11);
	a->global = CMDQ_FIELD(d0, 9, 9);
}

/*
 * One step of the ISR's walk back from the failing CMD_SYNC at CONS: the
 * ATC_INVs between it and the previous boundary are what the SMMU waited
 * for.  A boundary is the previous CMD_SYNC, or a CMD_SYNC completed by MSI:
 * with MSIPOLL the driver points the MSI at the sync's own slot with
 * MSIDATA 0, so completion zeroes dword 0's low 32 bits.
 */
enum smmu_walk_slot {
	SMMU_SLOT_OTHER = 0,	/* another command: keep walking */
	SMMU_SLOT_ATC_INV,	/* pending before the failing sync */
	SMMU_SLOT_SYNC,		/* the previous CMD_SYNC: stop */
	SMMU_SLOT_DONE_SYNC,	/* a completed CMD_SYNC: stop */
};

static __always_inline int smmu_walk_slot(__u64 d0)
{
	if (smmu_cmd_opcode(d0) == CMDQ_OP_CMD_SYNC)
		return SMMU_SLOT_SYNC;
	if (!(__u32)d0)
		return SMMU_SLOT_DONE_SYNC;
	return smmu_cmd_opcode(d0) == CMDQ_OP_ATC_INV ? SMMU_SLOT_ATC_INV : SMMU_SLOT_OTHER;
}

/*
 * Queue positions: IDX in bits [max_n_shift-1:0], WRP in bit max_n_shift;
 * a carry out of IDX flips WRP (queue_inc_prod_n()).
 */

/* largest max_n_shift any SMMU can report (IDR1.CMDQS) */
#define SMMU_MAX_N_SHIFT	19
/* wrap+idx of any queue fits in these bits; used when max_n_shift is unknown */
#define SMMU_POS_MASK_ANY	((1u << (SMMU_MAX_N_SHIFT + 1)) - 1)

static __always_inline __u32 smmu_q_idx_mask(__u32 max_n_shift)
{
	if (!max_n_shift || max_n_shift > SMMU_MAX_N_SHIFT)
		return SMMU_POS_MASK_ANY;
	return (1u << max_n_shift) - 1;
}

/* wrap bit + index: the part of a position that identifies a slot pass */
static __always_inline __u32 smmu_q_pos_mask(__u32 max_n_shift)
{
	if (!max_n_shift || max_n_shift > SMMU_MAX_N_SHIFT)
		return SMMU_POS_MASK_ANY;
	return (1u << (max_n_shift + 1)) - 1;
}

/* n slots on from pos; bits above WRP (CERROR, the OWNED flag) are kept */
static __always_inline __u32 smmu_q_inc(__u32 pos, __u32 n, __u32 max_n_shift)
{
	__u32 m = smmu_q_pos_mask(max_n_shift);

	return (pos & ~m) | ((pos + n) & m);
}

/* slots from 'from' forward to 'to', across at most one wrap */
static __always_inline __u32 smmu_q_dist(__u32 from, __u32 to, __u32 max_n_shift)
{
	return (to - from) & smmu_q_pos_mask(max_n_shift);
}

static __always_inline bool smmu_q_same_pos(__u32 a, __u32 b, __u32 max_n_shift)
{
	__u32 m = smmu_q_pos_mask(max_n_shift);

	return (a & m) == (b & m);
}

/* is pos in [start, end) walking forward with wrap? */
static __always_inline bool smmu_q_in_window(__u32 pos, __u32 start, __u32 end,
					     __u32 max_n_shift)
{
	return smmu_q_dist(start, pos, max_n_shift) < smmu_q_dist(start, end, max_n_shift);
}

/* the CMD_SYNC slot of a call that wrote n commands at prod: a position, no flags */
static __always_inline __u32 smmu_sync_slot(__u32 prod, __u32 n, __u32 max_n_shift)
{
	return smmu_q_inc(prod, n, max_n_shift) & smmu_q_pos_mask(max_n_shift);
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

#endif /* SMMUTRACE_CMDQ_H */
