/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Map layouts shared by the BPF programs and user space (src/loader.c,
 * src/live.c).  Include after events.h.
 */
#ifndef SMMUTRACE_BPF_SMMUTRACE_H
#define SMMUTRACE_BPF_SMMUTRACE_H

#define SMMUTRACE_MAX_SMMUS	64	/* instances, plus Tegra241 VCMDQs */
#define SMMUTRACE_STAT_SLOTS	64	/* per-CPU stats slots (power of 2) */
#define SMMUTRACE_STAT_PROBES	4	/* slots tried per SMMU before giving up */
#define SMMUTRACE_RINGBUF	(4u << 20)
#define SMMUTRACE_SID_SEEN	4096	/* (SMMU, SID) pairs already reported */
#define SMMUTRACE_WALK_MAX	256	/* queue slots read back from the failing CMD_SYNC */
#define SMMUTRACE_STREAMS_MAX	128	/* rb-tree nodes read per SMMU walk */
#define SMMUTRACE_ISR_WINDOW_NS	1000000000ULL	/* ISR entry -> its "CMDQ error" line */

/*
 * Per CPU, in an array: each CPU claims a slot for an SMMU (s.smmu_ptr) near
 * the pointer's hash.  Programs do not nest on a CPU, so claiming needs no
 * atomics, and the hot path costs an array lookup, not a hash lookup.  One
 * SMMU may sit in different slots on different CPUs: readers sum by
 * s.smmu_ptr.
 */
struct smmu_pcpu_stats {
	struct smmu_ev_stats s;
	__u64 walk_gen;		/* sid_walk_gen this CPU last checked */
};

static inline __u32 smmu_stat_slot(__u64 smmu, __u32 probe)
{
	/* struct arm_smmu_device is a >= 1 KiB allocation: low bits carry nothing */
	return (((smmu >> 10) ^ (smmu >> 20) ^ (smmu >> 32)) + probe) & (SMMUTRACE_STAT_SLOTS - 1);
}

/* one per SMMU, shared: what user space needs to label the stats */
struct smmu_meta {
	char name[SMMU_NAME_LEN];
	__u64 cmdq;
	__u64 errors;		/* ISR entries: GERROR/skip_err calls */
	__u64 err_gen;		/* err_gen after this SMMU's last error */
	__u64 walk_gen;		/* sid_walk_gen of the last streams walk */
	__u32 max_n_shift;
	__u32 pad;
};

struct sid_key {
	__u64 smmu;
	__u32 sid;
	__u32 pad;
};

#endif /* SMMUTRACE_BPF_SMMUTRACE_H */
