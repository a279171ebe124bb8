/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one event model of smmutrace.
 *
 * Every source (BPF ring buffer, kernel log text, capture file) turns what
 * it sees into these records and the engine never learns where a record
 * came from.  This header is included by the BPF programs (after
 * vmlinux.h) and by user space (after <linux/types.h>), so it uses only
 * __u8.. __u64 and fixed-size arrays.  Records are versioned through the
 * capture format; append fields, never reorder them.
 */
#ifndef SMMUTRACE_EVENTS_H
#define SMMUTRACE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SMMU_NAME_LEN		64	/* "arm-smmu-v3.0.auto", "a8000000.camera_smmu_controller0" */
#define SMMU_DEV_LEN		64	/* "0000:01:00.0" or a platform device name */
#define SMMU_COMM_LEN		16
#define SMMU_FUNC_LEN		48	/* ratelimit call site, "arm_smmu_cmdq_issue_cmdlist" */
#define SMMU_TEXT_LEN		256	/* one printk message forwarded by BPF */
#define SMMU_MAX_ATC		32	/* ATC_INVs carried by one issue/walk record */
#define SMMU_LAT_BUCKETS	32	/* log2(ns) latency buckets */
#define SMMU_OP_CLASSES		16	/* see enum smmu_op_class */

/*
 * A queue position that is not known.  Log lines whose value was elided or
 * mangled ("cons 0x…") carry it in cons/prod: no hardware value has bit 31
 * set together with bits 30:20.
 */
#define SMMU_NO_POS		0xffffffffu

enum smmu_ev_type {
	SMMU_EV_NONE = 0,
	/* the driver's own messages (kernel log, printk:console) */
	SMMU_EV_CMDQ_ERROR	= 1,	/* "CMDQ error (cons 0x%08x): %s" */
	SMMU_EV_SKIPPED_CMD	= 2,	/* "skipping command in error state:" + 2 dwords */
	SMMU_EV_FETCH_RETRY	= 3,	/* "retrying command fetch" */
	SMMU_EV_SYNC_TIMEOUT	= 4,	/* "CMD_SYNC timeout at ... [hwprod .., hwcons ..]", "CMD_SYNC timeout" */
	SMMU_EV_CMDQ_TIMEOUT	= 5,	/* "CMDQ timeout" (queue full for 1 s) */
	SMMU_EV_ATC_SYNC_FAIL	= 6,	/* patched: "CMD_SYNC for ATC_INV timeout at prod=" */
	SMMU_EV_GERROR		= 7,	/* "unexpected global error reported" and per-bit lines */
	SMMU_EV_SUPPRESSED	= 8,	/* "<func>: N callbacks suppressed" */
	SMMU_EV_QUEUE_INFO	= 9,	/* "allocated N entries for cmdq" */
	SMMU_EV_FEATURES	= 10,	/* "ias .. oas .. (features 0x..)" */
	SMMU_EV_EVTQ		= 11,	/* an event-queue record (old or decoded form) */
	SMMU_EV_AER		= 12,	/* PCIe AER error for a device */
	SMMU_EV_EVTQ_OVERFLOW	= 13,	/* "EVTQ overflow detected -- events lost" */
	SMMU_EV_CMDQV_ERROR	= 14,	/* Tegra241 CMDQV "unexpected error reported. ..." */
	SMMU_EV_HOST		= 15,	/* replay of several machines: what follows is this one's */
	/* what only the BPF programs can see */
	SMMU_EV_ISSUE		= 32,	/* an arm_smmu_cmdq_issue_cmdlist call that matters */
	SMMU_EV_QUEUE_WALK	= 33,	/* ISR: the failing CMD_SYNC and the ATC_INVs before it */
	SMMU_EV_SID_MAP		= 34,	/* StreamID -> device name */
	SMMU_EV_STATS		= 35,	/* cumulative per-SMMU issuer counters */
	SMMU_EV_LOST		= 36,	/* records the kernel side could not deliver */
	SMMU_EV_IOPF		= 37,	/* iommu:io_page_fault */
	SMMU_EV_LOG_TEXT	= 38,	/* raw printk text; user space parses it into the above */
	SMMU_EV_TICK		= 39,	/* live clock tick: lets the engine settle incidents */
	SMMU_EV_MAX
};

enum smmu_ev_flags {
	SMMU_EVF_MONO		= 1 << 0,	/* mono_ns is valid */
	SMMU_EVF_WALL		= 1 << 1,	/* wall_ns is valid */
	SMMU_EVF_BPF		= 1 << 2,	/* produced by a BPF program */
	SMMU_EVF_PLATFORM	= 1 << 3,	/* log prefix said "platform" (driver unbound) */
	/* issue records: the call's queue, as BPF found it from the kernel's BTF */
	SMMU_EVF_MAIN_CMDQ	= 1 << 4,	/* the SMMU's own command queue */
	SMMU_EVF_OTHER_CMDQ	= 1 << 5,	/* another queue (Tegra241 VCMDQ) */
	/*
	 * A rotated capture file starts with the state (queue sizes, features,
	 * SID names) its predecessors recorded; replay skips these copies when
	 * it has just read the predecessor itself.
	 */
	SMMU_EVF_CARRIED	= 1 << 6,
	/* printk:console text from a write to /dev/kmsg, not from the kernel */
	SMMU_EVF_USER		= 1 << 7,
};

enum smmu_ctx {
	SMMU_CTX_TASK = 0,
	SMMU_CTX_SOFTIRQ,
	SMMU_CTX_HARDIRQ,
	SMMU_CTX_NMI,
	SMMU_CTX_MAX
};

enum smmu_cerror {
	SMMU_CERROR_NONE = 0,
	SMMU_CERROR_ILL = 1,
	SMMU_CERROR_ABT = 2,
	SMMU_CERROR_ATC_INV_SYNC = 3,
};

/* opcode classes counted per SMMU on the hot path */
enum smmu_op_class {
	SMMU_OPC_OTHER = 0,
	SMMU_OPC_PREFETCH,
	SMMU_OPC_CFGI_STE,
	SMMU_OPC_CFGI_ALL,
	SMMU_OPC_CFGI_CD,
	SMMU_OPC_CFGI_CD_ALL,
	SMMU_OPC_TLBI_NH_ALL,
	SMMU_OPC_TLBI_NH_ASID,
	SMMU_OPC_TLBI_NH_VA,
	SMMU_OPC_TLBI_EL2,
	SMMU_OPC_TLBI_S12_VMALL,
	SMMU_OPC_TLBI_S2_IPA,
	SMMU_OPC_TLBI_NSNH_ALL,
	SMMU_OPC_ATC_INV,
	SMMU_OPC_PRI_RESUME,
	SMMU_OPC_CMD_SYNC,
};

/* One decoded CMD_ATC_INV. */
struct smmu_atc {
	__u64 addr;
	__u32 sid;
	__u32 ssid;
	__u8 size;
	__u8 ssv;
	__u8 global;
	__u8 pad[5];
};

struct smmu_ev_hdr {
	__u16 type;
	__u16 flags;
	__u32 size;		/* bytes of the whole record */
	__u64 mono_ns;		/* printk/ktime clock since boot */
	__s64 wall_ns;		/* CLOCK_REALTIME */
	__u32 cpu;
	__u32 seq;		/* kmsg sequence or source line, 0 = unknown */
	char smmu[SMMU_NAME_LEN];	/* "" = unknown instance */
};

struct smmu_ev_cmdq_error {
	__u32 cons;		/* raw SMMU_CMDQ_CONS, CERROR bits included */
	__u32 cerror;		/* (cons >> 24) & 0x7f, or from the text */
};

struct smmu_ev_skipped {
	__u64 cmd[2];
	__u32 bad;		/* bit i: dword i was printed but unreadable (cmd[i] = 0) */
	__u32 pad;
};

struct smmu_ev_sync_timeout {
	/*
	 * the position the driver printed: the issuer's own CMD_SYNC with MSI
	 * polling; on SMMUs polled by CONS (QEMU's, many real ones) the queue's
	 * shared prod as its poll began, the issuer's slot lying in [hwcons, prod)
	 */
	__u32 prod;
	__u32 hwprod;
	__u32 hwcons;
	__u16 have_hw;
	/* 4.2 to 5.3 print "CMD_SYNC timeout" alone: prod unknown, not unreadable */
	__u16 no_pos;
};

struct smmu_ev_atc_sync_fail {
	__u32 prod;		/* the issuer's own CMD_SYNC slot ("at prod=") */
};

struct smmu_ev_gerror {
	__u32 active;		/* GERROR ^ GERRORN when known */
	__u32 bit;		/* the one bit a per-bit line names, else 0xff */
};

struct smmu_ev_suppressed {
	__u32 count;
	char func[SMMU_FUNC_LEN];
};

enum smmu_queue_kind { SMMU_Q_CMDQ = 0, SMMU_Q_EVTQ, SMMU_Q_PRIQ };

struct smmu_ev_queue_info {
	__u32 entries;
	__u32 max_n_shift;
	__u32 queue;		/* enum smmu_queue_kind */
};

struct smmu_ev_features {
	__u32 features;
	__u32 ias;		/* 0 = not printed (7.1) */
	__u32 oas;
};

/*
 * An event-queue record as the driver printed it: the raw dwords (a dword
 * that could not be read is flagged in dw_bad, never guessed), and what the
 * 6.19+ decoded lines said.  Fields read from either carry a SMMU_EVTQ_HAVE_*
 * bit; records written before those bits existed have have == 0 and are
 * read from their dwords (decode.h: smmu_evtq_fields()).
 */
struct smmu_ev_evtq {
	__u64 dw[4];
	__u64 iova;
	__u32 id;		/* event id, 0x10 F_TRANSLATION, ... (0 = unknown) */
	__u32 sid;
	__u32 ssid;
	__u8 ssv;
	__u8 have_sid;
	__u8 n_dw;		/* raw dwords seen */
	__u8 dw_bad;		/* bit i: dword i was printed but is unreadable */
	char client[SMMU_DEV_LEN];	/* "" = unknown, "(unassigned sid)" kept */
	/* appended: the decoded lines of 6.19+ */
	__u64 ipa;		/* or fetch_addr for the F_*_FETCH events */
	__u32 have;		/* SMMU_EVTQ_HAVE_* */
	__u32 stag;
	__u8 read;		/* 1 read, 0 write (HAVE_RW) */
	__u8 priv;
	__u8 instr;
	__u8 s2;
	__u8 cls;		/* 0 CD fetch, 1 stage-1 table fetch, 2 input address */
	__u8 stall;
	__u8 pad2[2];
};

enum smmu_evtq_have {
	SMMU_EVTQ_HAVE_ID	= 1 << 0,
	SMMU_EVTQ_HAVE_SSID	= 1 << 1,
	SMMU_EVTQ_HAVE_IOVA	= 1 << 2,
	SMMU_EVTQ_HAVE_IPA	= 1 << 3,
	SMMU_EVTQ_HAVE_FETCH	= 1 << 4,	/* ipa holds fetch_addr */
	SMMU_EVTQ_HAVE_RW	= 1 << 5,
	SMMU_EVTQ_HAVE_DETAIL	= 1 << 6,	/* priv, instr, s2, cls, stall, stag */
	SMMU_EVTQ_DECODED	= 1 << 7,	/* the "event: ..." line was seen */
	SMMU_EVTQ_HEADER	= 1 << 8,	/* the "event 0x.. received:" line was seen */
};

/* Tegra241 CMDQV: "vintf_map: %016llx, vcmdq_map %08x:%08x:%08x:%08x" */
struct smmu_ev_cmdqv {
	__u64 vintf_map;
	__u32 vcmdq_map[4];	/* [0] = CMDQ_ERR_MAP(0), the last one printed */
	__u32 have;		/* bit 0 vintf_map, bits 1-4 vcmdq_map[0..3] */
	__u32 pad;
};

struct smmu_ev_host {
	char name[SMMU_NAME_LEN];	/* "" = the run's own */
};

struct smmu_ev_aer {
	char dev[SMMU_DEV_LEN];	/* the device the error is for */
	__u32 cmplto;		/* Completion Timeout seen (status bit 14) */
	__u32 uncorrectable;
};

struct smmu_ev_issue {
	__u64 cmdq;		/* kernel pointer: the queue identity */
	__u64 smmu_ptr;
	__u64 duration_ns;
	__u32 prod_entry;	/* cmdq->q.llq.prod at entry (OWNED flag stripped) */
	__u32 prod_exit;
	__u32 sync_prod;	/* the call's own CMD_SYNC slot, SMMU_NO_POS if unknown */
	__s32 ret;
	__u32 pid;
	__u32 tid;
	__u32 max_n_shift;
	__u16 n;		/* commands in this call */
	__u16 n_atc;		/* ATC_INVs in the batch, including earlier sync-less chunks */
	__u8 sync;
	__u8 ctx;		/* enum smmu_ctx */
	__u8 n_atc_rec;		/* entries valid in atc[] */
	__u8 why;		/* enum smmu_issue_why bits */
	__u32 errors_seen;	/* CMDQ errors on this SMMU during the call */
	char comm[SMMU_COMM_LEN];
	struct smmu_atc atc[SMMU_MAX_ATC];
};

enum smmu_issue_why {
	SMMU_WHY_RET		= 1 << 0,	/* non-zero return */
	SMMU_WHY_ERROR		= 1 << 1,	/* ATC_INV in batch and a CMDQ error meanwhile */
	SMMU_WHY_SLOW		= 1 << 2,	/* slower than the threshold */
	SMMU_WHY_FILTER		= 1 << 3,	/* matched a --sid/--pid filter */
	SMMU_WHY_ATC		= 1 << 4,	/* ATC_INV in batch (emit-all-ATC mode) */
};

struct smmu_ev_queue_walk {
	__u64 cmdq;
	__u64 sync_cmd[2];	/* the slot at CONS: the failing CMD_SYNC */
	__u32 cons;
	__u32 max_n_shift;
	__u16 walked;		/* slots read before stopping */
	__u16 n_atc;		/* ATC_INVs pending before the failing sync */
	__u8 n_atc_rec;
	__u8 stop;		/* enum smmu_walk_stop */
	__u8 bitmap;		/* patched: atc_sync_timeouts bit: 0, 1, or 2 = no bitmap */
	__u8 pad;
	struct smmu_atc atc[SMMU_MAX_ATC];
};

enum smmu_walk_stop {
	SMMU_WALK_PREV_SYNC = 0,	/* found the previous CMD_SYNC */
	SMMU_WALK_DONE_SYNC,		/* found a completed (MSI-zeroed) CMD_SYNC */
	SMMU_WALK_BOUND,		/* hit the walk bound */
	SMMU_WALK_NOT_SYNC,		/* the slot at CONS is not a CMD_SYNC */
	SMMU_WALK_FAULT,		/* could not read the queue */
};

struct smmu_ev_sid_map {
	__u32 sid;
	__u32 origin;		/* enum smmu_sid_origin */
	char dev[SMMU_DEV_LEN];
};

enum smmu_sid_origin {
	SMMU_SID_KERNEL = 0,	/* arm_smmu_master walk */
	SMMU_SID_SYSFS,
	SMMU_SID_LOG,		/* decoded event line "client: .. sid: .." */
	SMMU_SID_CAPTURE,
};

struct smmu_ev_stats {
	__u64 smmu_ptr;
	__u64 calls;
	__u64 sync_calls;
	__u64 failed_calls;	/* non-zero return */
	__u64 ops[SMMU_OP_CLASSES];
	__u64 lat[SMMU_LAT_BUCKETS];	/* sync calls, log2(duration ns) */
	__u64 ctx[SMMU_CTX_MAX];
	__u32 max_n_shift;
	__u32 pad;
	__u64 lat_sum_ns;	/* sum of the sync calls' durations */
};

struct smmu_ev_lost {
	__u64 ringbuf;		/* failed ring-buffer reservations */
	__u64 map_full;		/* state that did not fit its map */
	__u64 truncated;	/* ATC lists cut at SMMU_MAX_ATC */
};

struct smmu_ev_iopf {
	char dev[SMMU_DEV_LEN];
	__u64 iova;
	__u32 flags;
	__u32 pad;
};

struct smmu_ev_log_text {
	__u32 len;
	__u32 level;
	char text[SMMU_TEXT_LEN];
};

struct smmu_event {
	struct smmu_ev_hdr hdr;
	union {
		struct smmu_ev_cmdq_error cmdq_error;
		struct smmu_ev_skipped skipped;
		struct smmu_ev_sync_timeout sync_timeout;
		struct smmu_ev_atc_sync_fail atc_sync_fail;
		struct smmu_ev_gerror gerror;
		struct smmu_ev_suppressed suppressed;
		struct smmu_ev_queue_info queue_info;
		struct smmu_ev_features features;
		struct smmu_ev_evtq evtq;
		struct smmu_ev_aer aer;
		struct smmu_ev_cmdqv cmdqv;
		struct smmu_ev_host host;
		struct smmu_ev_issue issue;
		struct smmu_ev_queue_walk walk;
		struct smmu_ev_sid_map sid_map;
		struct smmu_ev_stats stats;
		struct smmu_ev_lost lost;
		struct smmu_ev_iopf iopf;
		struct smmu_ev_log_text log_text;
	};
};

#endif /* SMMUTRACE_EVENTS_H */
