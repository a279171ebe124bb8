/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * SMMUv3 decoding: command words, CONS/PROD index+wrap arithmetic, GERROR
 * and CERROR values.  Pure functions, no I/O; shared by the engine, the
 * log parser, the views and the tests.  Field positions and queue
 * arithmetic come from cmdq.h, shared with the BPF programs.
 */
#ifndef SMMUTRACE_DECODE_H
#define SMMUTRACE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdq.h"

#define ATC_INV_SIZE_ALL	52

#define CMDQ_SYNC_CS_NONE	0
#define CMDQ_SYNC_CS_IRQ	1
#define CMDQ_SYNC_CS_SEV	2

#define GERROR_CMDQ_ERR		(1u << 0)
#define GERROR_ERR_MASK		0x1fdu

struct smmu_cmd {
	uint8_t op;
	bool known;		/* op is one the driver emits */
	union {
		struct {	/* ATC_INV */
			uint32_t sid, ssid;
			uint8_t ssv, global, size;
			uint64_t addr;
		} atc;
		struct {	/* CFGI_* and PREFETCH_CFG */
			uint32_t sid, ssid;
			uint8_t leaf, range;
			uint64_t addr;
		} cfgi;
		struct {	/* TLBI_* */
			uint16_t vmid, asid;
			uint8_t num, scale, leaf, ttl, tg;
			uint64_t addr;
		} tlbi;
		struct {	/* CMD_SYNC */
			uint8_t cs, msh, msiattr;
			uint32_t msidata;
			uint64_t msiaddr;
		} sync;
		struct {	/* PRI_RESP */
			uint32_t sid, ssid;
			uint16_t grpid;
			uint8_t resp;
		} pri;
		struct {	/* RESUME */
			uint32_t sid;
			uint16_t stag;
			uint8_t resp;
		} resume;
	};
};

/* max_n_shift 0 means "not known": positions then compare on SMMU_POS_MASK_ANY */
struct smmu_qpos {
	uint32_t idx;
	uint8_t wrap;
	uint8_t cerror;		/* CONS only: bits [30:24] */
	uint8_t ovf;		/* bit 31: OVF, or CMDQ_PROD_OWNED_FLAG in llq.prod */
};

const char *smmu_opcode_name(uint8_t op);
void smmu_cmd_decode(uint64_t d0, uint64_t d1, struct smmu_cmd *out);
int smmu_cmd_format(const struct smmu_cmd *c, char *buf, size_t len);
bool smmu_cmd_has_sid(const struct smmu_cmd *c, uint32_t *sid);
int smmu_op_class(uint8_t op);
const char *smmu_op_class_name(int cls);

void smmu_qpos_split(uint32_t val, unsigned int max_n_shift, struct smmu_qpos *out);
uint32_t smmu_q_space(uint32_t prod, uint32_t cons, unsigned int max_n_shift);
bool smmu_q_consumed(uint32_t cons, uint32_t prod, unsigned int max_n_shift);
int smmu_max_n_shift_from_entries(uint32_t entries);

uint8_t smmu_cons_cerror(uint32_t cons);
const char *smmu_cerror_text(uint8_t cerror);
int smmu_cerror_from_text(const char *text, size_t len);
const char *smmu_gerror_bit_name(unsigned int bit);
int smmu_gerror_format(uint32_t active, char *buf, size_t len);

/* an event-queue record's fields (Arm IHI 0070 event records) */
enum smmu_evt_have {
	SMMU_EVT_ID	= 1 << 0,
	SMMU_EVT_SID	= 1 << 1,
	SMMU_EVT_SSID	= 1 << 2,	/* ssid meaningful only with ssv */
	SMMU_EVT_ADDR	= 1 << 3,	/* input address (IOVA) */
	SMMU_EVT_RW	= 1 << 4,
	SMMU_EVT_IPA	= 1 << 5,
	SMMU_EVT_FETCH	= 1 << 6,	/* ipa holds the fetch address */
	SMMU_EVT_DETAIL	= 1 << 7,	/* stag, stall, priv, instr, s2, cls */
};

struct smmu_evt {
	uint32_t have;		/* enum smmu_evt_have */
	uint8_t id;
	uint8_t ssv;
	uint32_t sid;
	uint32_t ssid;
	uint64_t addr;
	uint64_t ipa;
	uint16_t stag;
	uint8_t read, priv, instr, s2, cls, stall;
};

struct smmu_ev_evtq;

const char *smmu_evt_name(uint8_t id);
/* a raw 4-dword record; bit i of valid says dword i was read */
void smmu_evt_decode(const uint64_t dw[4], unsigned int valid, struct smmu_evt *out);
/* a parsed record: its dwords merged with what the decoded lines said */
void smmu_evtq_fields(const struct smmu_ev_evtq *e, struct smmu_evt *out);
int smmu_evt_from_name(const char *name, size_t len);
const char *smmu_ctx_name(int ctx);

#endif /* SMMUTRACE_DECODE_H */
