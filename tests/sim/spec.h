/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The simulator's own command encoding, written from the architecture's
 * table of command fields (Arm IHI 0070, as arm-smmu-v3.h encodes it) and
 * not from src/cmdq.h or src/decode.c: the simulator judges the decoder
 * and the BPF walk, so it must be able to disagree with them.
 */
#ifndef SMMUTRACE_SIM_SPEC_H
#define SMMUTRACE_SIM_SPEC_H

#include <stdint.h>

/* opcodes, command dword 0 bits [7:0] */
enum spec_op {
	SPEC_OP_TLBI_NH_VA	= 0x12,
	SPEC_OP_ATC_INV		= 0x40,
	SPEC_OP_CMD_SYNC	= 0x46,
};

/* a field: which dword, and its bits [hi:lo] */
struct spec_field {
	uint8_t dw, hi, lo;
};

/* CMD_ATC_INV */
static const struct spec_field SPEC_ATC_SSID	= { 0, 31, 12 };
static const struct spec_field SPEC_ATC_SID	= { 0, 63, 32 };
static const struct spec_field SPEC_ATC_GLOBAL	= { 0, 9, 9 };
static const struct spec_field SPEC_ATC_SSV	= { 0, 11, 11 };
static const struct spec_field SPEC_ATC_SIZE	= { 1, 5, 0 };
/* ADDR is bits [63:12] of the address, in place */
static const struct spec_field SPEC_ATC_ADDR	= { 1, 63, 12 };
/* CMD_TLBI_NH_VA */
static const struct spec_field SPEC_TLBI_ASID	= { 0, 63, 48 };
static const struct spec_field SPEC_TLBI_LEAF	= { 1, 0, 0 };
static const struct spec_field SPEC_TLBI_VA	= { 1, 63, 12 };
/* CMD_SYNC */
static const struct spec_field SPEC_SYNC_CS	= { 0, 13, 12 };
static const struct spec_field SPEC_SYNC_MSH	= { 0, 23, 22 };
static const struct spec_field SPEC_SYNC_MSIATTR = { 0, 27, 24 };
static const struct spec_field SPEC_SYNC_MSIDATA = { 0, 63, 32 };
static const struct spec_field SPEC_SYNC_MSIADDR = { 1, 51, 2 };

/* ATC_INV SIZE: log2 of the span in 4 KiB pages; 52 = the whole space */
#define SPEC_ATC_SIZE_ALL	52
/* GERROR.CMDQ_ERR */
#define SPEC_GERROR_CMDQ_ERR	(1u << 0)

#define SPEC_CS_NONE	0
#define SPEC_CS_IRQ	1
#define SPEC_CS_SEV	2

static inline uint64_t spec_mask(struct spec_field f)
{
	return (f.hi - f.lo == 63 ? ~0ULL : (1ULL << (f.hi - f.lo + 1)) - 1) << f.lo;
}

static inline void spec_set(uint64_t cmd[2], struct spec_field f, uint64_t v)
{
	cmd[f.dw] = (cmd[f.dw] & ~spec_mask(f)) | ((v << f.lo) & spec_mask(f));
}

static inline uint64_t spec_get(const uint64_t cmd[2], struct spec_field f)
{
	return (cmd[f.dw] & spec_mask(f)) >> f.lo;
}

static inline uint8_t spec_op(const uint64_t cmd[2])
{
	return cmd[0] & 0xff;
}

static inline void spec_new(uint64_t cmd[2], enum spec_op op)
{
	cmd[0] = op;
	cmd[1] = 0;
}

#endif /* SMMUTRACE_SIM_SPEC_H */
