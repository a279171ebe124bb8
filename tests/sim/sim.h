/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Ground-truth simulator of the arm-smmu-v3 command queue.
 *
 * It runs the driver's lock-free insertion (reservation on llq.prod with
 * owner/gatherer publication, batches split into sync-less chunks of 64,
 * CMD_SYNC polled by MSI or CONS, the 1 s software timeout, the shadow
 * llq.cons), the SMMU consuming the ring in order (ATC invalidations
 * answered or timed out by the device, CERROR_ATC_INV_SYNC reported on the
 * next CMD_SYNC, GERROR), the error interrupt (on time, or held off by an
 * issuer spinning with IRQs disabled on the target CPU), the ratelimited
 * printks, and the patched kernels' atc_sync_timeouts bitmap.
 *
 * Out come exactly the struct smmu_event records a live smmutrace would
 * see: the driver's messages as printk:console text through the kmsg
 * parser, and the records the BPF programs build (SMMU_EV_ISSUE for calls
 * that matter, SMMU_EV_QUEUE_WALK read from the ring at ISR time,
 * SMMU_EV_SID_MAP, SMMU_EV_TICK).  Beside the stream it keeps the ground
 * truth: every CMD_SYNC the SMMU failed and the devices whose ATC
 * invalidation timed out before it.  Deterministic for a given config
 * (the seed is part of it).
 */
#ifndef SMMUTRACE_SIM_H
#define SMMUTRACE_SIM_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "events.h"

#define SIM_MAX_CPUS		16
#define SIM_MAX_SMMUS		4
#define SIM_MAX_VCMDQ		4
#define SIM_MAX_DEVS		64
#define SIM_MAX_SIDS		4
#define SIM_MAX_DOMS		64
#define SIM_MAX_DOM_DEVS	4
#define SIM_MAX_SRCS		32
#define SIM_MAX_TRUTH_DEVS	4

enum sim_kernel {
	SIM_UNPATCHED = 0,	/* the issuer gets 0 unless its poll times out */
	SIM_PATCHED_V2,		/* atc_sync_timeouts bitmap, issuer gets -ETIMEDOUT */
	SIM_PATCHED_V3,		/* same, issuer gets -EIO */
};

struct sim_smmu {
	char name[SMMU_NAME_LEN];
	unsigned int max_n_shift;	/* main cmdq */
	bool msi;			/* ARM_SMMU_OPT_MSIPOLL, else CONS polling (SEV) */
	int irq_cpu;			/* where the GERROR interrupt is delivered */
	int n_vcmdq;			/* Tegra241-style per-CPU virtual queues */
	unsigned int vcmdq_shift;
};

struct sim_dev {
	char name[SMMU_DEV_LEN];
	int smmu;
	int n_sids;			/* > 1: DMA aliases */
	uint32_t sid[SIM_MAX_SIDS];
	bool ats;
	uint32_t p_fail_ppm;		/* per ATC invalidation: never answers */
	uint64_t cto_ns;		/* when it does not answer: SMMU's completion timeout */
	uint64_t resp_ns;		/* answer time when healthy */
	uint64_t hung_from, hung_to;	/* never answers in this interval */
};

/* an iommu domain: one ATC invalidation batch names all its ATS masters */
struct sim_dom {
	int n_devs;
	int dev[SIM_MAX_DOM_DEVS];
};

/* a stream of invalidation jobs from one context on one CPU */
struct sim_src {
	int cpu;
	uint8_t ctx;			/* enum smmu_ctx */
	char comm[SMMU_COMM_LEN];
	uint32_t pid, tid;
	uint32_t rate;			/* jobs per second (Poisson) */
	int smmu;
	int dom_lo, dom_hi;		/* domains picked uniformly from this range */
	int tlbi_min, tlbi_max;		/* TLBI batch before the ATC batch (0 = none) */
	int reps_min, reps_max;		/* ATC_INVs per SID (ranges): > 64 splits */
	bool vcmdq;			/* use this CPU's virtual queue */
	uint32_t master_pct;		/* jobs that invalidate one master (atc_inv_master) */
};

struct sim_config {
	const char *name;
	uint64_t seed;
	uint64_t duration_ns;
	enum sim_kernel kernel;
	bool gcc;			/* arm_smmu_cmdq_write_entries probed: sync_prod known */
	int n_cpus;
	int n_smmus;
	struct sim_smmu smmu[SIM_MAX_SMMUS];
	int n_devs;
	struct sim_dev dev[SIM_MAX_DEVS];
	int n_doms;
	struct sim_dom dom[SIM_MAX_DOMS];
	int n_srcs;
	struct sim_src src[SIM_MAX_SRCS];
};

/*
 * One CMD_SYNC the SMMU failed with CERROR_ATC_INV_SYNC (its retries at the
 * same position merged), or one issuer's software timeout behind somebody
 * else's failure (collateral: its devices are the blocker's).
 */
struct sim_truth {
	int smmu;
	int queue;			/* 0 = main cmdq, 1.. = virtual queues */
	uint64_t cmdq;
	uint32_t pos;			/* wrap | idx of the CMD_SYNC */
	uint64_t abs;			/* position counted from 0, never wrapping */
	unsigned int max_n_shift;
	uint64_t err_ns;		/* first error (or the software timeout) */
	uint64_t isr_ns;		/* first ISR run, 0 = none */
	int n_devs;
	int dev[SIM_MAX_TRUTH_DEVS];
	int retries;
	bool collateral;
	int blocker;			/* collateral: index of the failure, -1 none */
	bool late_isr;			/* the ISR waited for an issuer with IRQs off */
	bool walk_stale;		/* the walk read slots rewritten since */
	bool foreign;			/* a failing ATC_INV was queued by another call */
	bool sw_timeout;		/* the sync's own issuer hit the 1 s timeout */
	/* patched: its issuer had gone when the ISR marked its slot, and the
	 * later CMD_SYNC that claimed the bit (a false failure) */
	bool bit_left, claimed;
	uint32_t claim_pos;
	uint64_t claim_ns;
};

struct sim_stats {
	uint64_t jobs, calls, cmds, atc_invs, syncs;
	uint64_t records, lines, suppressed_lines;
	uint64_t sw_timeouts, isr_late, walks_stale, queue_full_waits;
};

struct sim_result {
	int n_truth;
	struct sim_truth *truth;
	struct sim_stats stats;
};

typedef void (*sim_emit_fn)(void *ctx, const struct smmu_event *ev);

int sim_run(const struct sim_config *cfg, sim_emit_fn emit, void *ctx,
	    struct sim_result *res);
void sim_result_free(struct sim_result *res);
uint64_t sim_cmdq_ptr(int smmu, int queue);

/* the driver's queue arithmetic (arm-smmu-v3.h), written independently of src/decode.c */
uint32_t sim_q_inc(uint32_t pos, uint32_t n, unsigned int max_n_shift);
bool sim_q_has_space(uint32_t prod, uint32_t cons, uint32_t n, unsigned int max_n_shift);
bool sim_q_consumed(uint32_t cons, uint32_t prod, unsigned int max_n_shift);
uint32_t sim_q_pos(uint64_t abs, unsigned int max_n_shift);

#endif /* SMMUTRACE_SIM_H */
