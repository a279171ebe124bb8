/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The issuer hot path: what runs on every arm_smmu_cmdq_issue_cmdlist call.
 * Shared by smmutrace.bpf.c (kprobe + kretprobe, and fentry + fexit) and
 * bench/ (the same code on a syscall hook), so the benchmark measures what
 * ships.
 *
 * Budget per ordinary call: a timestamp, the arguments and one read of the
 * commands into per-CPU scratch at entry; a per-CPU histogram update at
 * return.  A ring-buffer record is written only when the call matters.
 *
 * The two flavours differ only in how entry reads kernel memory (the
 * queue's prod and the commands): issue_begin() with bpf_probe_read_kernel
 * (kprobes: the arguments are bare register values), issue_begin_direct()
 * with direct loads the verifier turns into BPF_PROBE_MEM (fentry: BTF-typed
 * arguments, no helper call).  Everything after that is shared.
 *
 * Include after vmlinux.h, bpf_helpers.h, bpf_core_read.h, events.h,
 * smmutrace.h, cmdq.h and smmu_types.h, from exactly one .bpf.c.
 */
#ifndef SMMUTRACE_ISSUE_BPF_H
#define SMMUTRACE_ISSUE_BPF_H

/* configured by user space before load */
const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_sid = 0;
const volatile bool filter_sid = false;
const volatile bool all_atc = false;
const volatile __u64 slow_ns = 10000000;
/*
 * fentry flavour: the vmlinux BTF id of a struct whose first member is 1 KiB
 * of u64 (struct arm_smmu_cmdq_batch, what cmds points into: u64 cmds[128]
 * up to 7.1, struct arm_smmu_cmd cmds[64] from 7.2).  cmds is a u64 *, which
 * the verifier treats as a plain number, or from 7.2 a struct arm_smmu_cmd *
 * it bounds to 16 bytes; bpf_rdonly_cast() to this type lets the whole batch
 * be read by direct loads.  Set by user space from the running kernel's BTF
 * (src/btfview.h); must be a constant for the verifier, hence rodata.
 */
const volatile __u32 cmds_view_btf_id = 0;

/* 6.2+; weak, so that objects still load (without the fentry programs) on older kernels */
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym __weak;

/* what the verifier checks the direct loads of cmds[] against (offsets only) */
struct cmds_view {
	__u64 w[CMDQ_BATCH_MAX * CMDQ_ENT_DWORDS];
};

/* bumped by the ISR probe: lets the issuer notice "an error while I waited" */
__u64 err_gen = 0;
/* user space bumps it to ask for a (re)walk of each SMMU's stream tree */
__u64 sid_walk_gen = 0;

/*
 * preempt_count bits (include/linux/preempt.h): stable since 2.6; the
 * softirq *serving* bit, not the bh-disabled count, marks softirq context.
 */
#define PC_SOFTIRQ_OFFSET	0x00000100u
#define PC_HARDIRQ_MASK		0x000f0000u
#define PC_NMI_MASK		0x00f00000u

enum lost_kind { LOST_RINGBUF, LOST_MAP_FULL, LOST_TRUNCATED };

/*
 * One in-flight call per CPU and context level.  issue_cmdlist disables
 * IRQs only after its entry, so an interrupt can nest a second call between
 * our entry and return probes; it uses its own slot.  The carry holds the
 * ATC_INVs of sync-less chunks (batches over 64 commands) until the same
 * context's next sync call.
 */
struct issue_state {
	__u64 ts;
	__u64 smmu;
	__u64 cmdq;
	__u64 pid_tgid;		/* read at return, only when needed */
	__u64 err_gen;
	__u64 atc_mask;		/* bit i: cmds[i] is an ATC_INV */
	__u32 prod_entry;
	__u32 sync_prod;	/* from arm_smmu_cmdq_write_entries, if probed */
	__u32 n;
	__u32 nn;		/* commands read into cmds[] */
	__u8 sync;
	__u8 active;
	__u8 n_atc;		/* set at return, with atc_mask */
	__u8 pad;
	/* the return being reported (subprograms take at most five arguments) */
	__u64 now;
	__u64 dur;
	__s32 ret;
	__u32 why;
	__u32 level;
	__u32 errors;
	__u32 carried;
	__u32 pad2;
	/* carry */
	__u64 carry_tgid;
	__u64 carry_cmdq;
	__u32 carry_n_atc;
	__u32 carry_n_rec;
	struct smmu_atc carry_atc[SMMU_MAX_ATC];
	__u64 cmds[CMDQ_BATCH_MAX * CMDQ_ENT_DWORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SMMU_CTX_MAX);
	__type(key, __u32);
	__type(value, struct issue_state);
} issue_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SMMUTRACE_STAT_SLOTS);
	__type(key, __u32);
	__type(value, struct smmu_pcpu_stats);
} smmu_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SMMUTRACE_MAX_SMMUS);
	__type(key, __u64);
	__type(value, struct smmu_meta);
} smmu_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SMMUTRACE_SID_SEEN);
	__type(key, struct sid_key);
	__type(value, __u64);
} sid_seen SEC(".maps");

struct walk_stack {
	__u64 node[32];
	__u32 top;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk_stack);
} walk_stack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct smmu_ev_lost);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SMMUTRACE_RINGBUF);
} events SEC(".maps");

/*
 * Loop counters kept in memory and accessed through volatile: clang would
 * otherwise hold them in registers, where the verifier tracks exact values
 * and checks the loop once per (iteration, count) pair.
 */
#define MEM(x)		(*(volatile typeof(x) *)&(x))

/* a record's size: the header and its own union member, not the largest */
#define EV_SIZE(member)	\
	(offsetof(struct smmu_event, member) + sizeof(((struct smmu_event *)0)->member))

static __always_inline void lost_inc(enum lost_kind k)
{
	__u32 zero = 0;
	struct smmu_ev_lost *l = bpf_map_lookup_elem(&drops, &zero);

	if (!l)
		return;
	if (k == LOST_RINGBUF)
		l->ringbuf++;
	else if (k == LOST_MAP_FULL)
		l->map_full++;
	else
		l->truncated++;
}

/*
 * Context level from preempt_count.  arm64 keeps it in thread_info (one load
 * from current); SMMUv3 exists only there.  Other builds (x86: tests and the
 * benchmark) report task context: their preempt_count is a per-CPU variable
 * whose address the verifier resolves through kallsyms, which lacks it
 * without CONFIG_KALLSYMS_ALL.
 */
static __always_inline __u32 ctx_level(void)
{
	__u32 pc = 0;

#if defined(__TARGET_ARCH_arm64)
	struct task_struct *t = bpf_get_current_task_btf();

	pc = t->thread_info.preempt_count;
#endif
	if (pc & PC_NMI_MASK)
		return SMMU_CTX_NMI;
	if (pc & PC_HARDIRQ_MASK)
		return SMMU_CTX_HARDIRQ;
	if (pc & PC_SOFTIRQ_OFFSET)
		return SMMU_CTX_SOFTIRQ;
	return SMMU_CTX_TASK;
}

static __always_inline struct issue_state *issue_slot(__u32 level)
{
	return bpf_map_lookup_elem(&issue_state, &level);
}

static __always_inline void smmu_dev_name(__u64 smmu, char *dst)
{
	struct arm_smmu_device___st *s = (void *)smmu;
	struct device *dev = BPF_CORE_READ(s, dev);
	const char *name = BPF_CORE_READ(dev, kobj.name);

	if (!name || bpf_probe_read_kernel_str(dst, SMMU_NAME_LEN, name) < 0)
		dst[0] = '\0';
}

static __always_inline __u32 cmdq_max_n_shift(__u64 cmdq)
{
	struct arm_smmu_cmdq___st *q = (void *)cmdq;

	return BPF_CORE_READ(q, q.llq.max_n_shift);
}

static __always_inline __u32 cmdq_prod(__u64 cmdq)
{
	struct arm_smmu_cmdq___st *q = (void *)cmdq;

	return BPF_CORE_READ(q, q.llq.prod) & ~CMDQ_PROD_OWNED_FLAG;
}

/* first sight of an SMMU: remember its name for the stats and records */
static __noinline struct smmu_meta *meta_get(__u64 smmu, __u64 cmdq)
{
	struct smmu_meta *m = bpf_map_lookup_elem(&smmu_meta, &smmu);
	struct smmu_meta init = {};
	long err;

	if (m)
		return m;
	smmu_dev_name(smmu, init.name);
	init.cmdq = cmdq;
	init.max_n_shift = cmdq_max_n_shift(cmdq);
	err = bpf_map_update_elem(&smmu_meta, &smmu, &init, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST: another CPU won */)
		lost_inc(LOST_MAP_FULL);
	return bpf_map_lookup_elem(&smmu_meta, &smmu);
}

/* this CPU's slot for the SMMU, claimed on first sight */
static __always_inline struct smmu_pcpu_stats *stats_slot(__u64 smmu, __u64 cmdq)
{
	for (__u32 probe = 0; probe < SMMUTRACE_STAT_PROBES; probe++) {
		__u32 slot = smmu_stat_slot(smmu, probe);
		struct smmu_pcpu_stats *s = bpf_map_lookup_elem(&smmu_stats, &slot);

		if (!s)
			return NULL;
		if (s->s.smmu_ptr == smmu)
			return s;
		if (s->s.smmu_ptr)
			continue;
		s->s.smmu_ptr = smmu;
		s->s.max_n_shift = cmdq_max_n_shift(cmdq);
		meta_get(smmu, cmdq);
		return s;
	}
	lost_inc(LOST_MAP_FULL);
	return NULL;
}

static __always_inline void *ev_reserve(__u32 size, __u16 type, __u64 now)
{
	struct smmu_ev_hdr *h = bpf_ringbuf_reserve(&events, size, 0);

	if (!h) {
		lost_inc(LOST_RINGBUF);
		return NULL;
	}
	h->type = type;
	h->flags = SMMU_EVF_MONO | SMMU_EVF_BPF;
	h->size = size;
	h->mono_ns = now;
	h->wall_ns = 0;
	h->cpu = bpf_get_smp_processor_id();
	h->seq = 0;
	h->smmu[0] = '\0';
	return h;
}

/* ---- SID -> device: a bounded walk of smmu->streams -------------------- */

/* global: verified once, though the stream walk calls it in a loop */
__noinline int sid_report(__u64 smmu, __u32 sid, __u64 master, __u64 now)
{
	struct arm_smmu_master___st *m = (void *)master;
	struct sid_key key = { .smmu = smmu, .sid = sid };
	struct smmu_meta *meta;
	struct smmu_event *ev;
	struct device *dev;
	const char *name;
	__u64 *old;

	old = bpf_map_lookup_elem(&sid_seen, &key);
	if (old && *old == master)
		return 0;
	bpf_map_update_elem(&sid_seen, &key, &master, BPF_ANY);
	ev = ev_reserve(EV_SIZE(sid_map), SMMU_EV_SID_MAP, now);
	if (!ev)
		return 0;
	meta = bpf_map_lookup_elem(&smmu_meta, &smmu);
	if (meta)
		bpf_probe_read_kernel_str(ev->hdr.smmu, SMMU_NAME_LEN, meta->name);
	else
		smmu_dev_name(smmu, ev->hdr.smmu);
	ev->sid_map.sid = sid;
	ev->sid_map.origin = SMMU_SID_KERNEL;
	dev = BPF_CORE_READ(m, dev);
	name = BPF_CORE_READ(dev, kobj.name);
	if (!name || bpf_probe_read_kernel_str(ev->sid_map.dev, SMMU_DEV_LEN, name) < 0)
		ev->sid_map.dev[0] = '\0';
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

static __always_inline void walk_push(struct walk_stack *ws, __u64 node)
{
	__u32 top = ws->top;

	if (!node || top >= 32)
		return;
	ws->node[top & 31] = node;
	ws->top = top + 1;
}

/*
 * The driver's rb-tree of struct arm_smmu_stream, read without its mutex:
 * a racy snapshot, acceptable for naming suspects.  Depth-first with an
 * explicit stack; the tree is balanced, so 32 slots hold any real tree.
 */
__noinline int streams_walk(__u64 smmu, __u64 cmdq, __u64 now)
{
	struct arm_smmu_device___st *s = (void *)smmu;
	__u32 node_off = bpf_core_field_offset(struct arm_smmu_stream___st, node);
	struct smmu_meta *meta = meta_get(smmu, cmdq);
	struct walk_stack *ws;
	__u32 zero = 0;

	if (!meta || meta->walk_gen == sid_walk_gen)
		return 0;
	meta->walk_gen = sid_walk_gen;
	ws = bpf_map_lookup_elem(&walk_stack, &zero);
	if (!ws)
		return 0;
	ws->top = 0;
	walk_push(ws, (__u64)BPF_CORE_READ(s, streams.rb_node));
	for (int i = 0; i < SMMUTRACE_STREAMS_MAX; i++) {
		struct arm_smmu_stream___st *st;
		struct rb_node *node;
		__u32 top = ws->top;

		if (!top || top > 32)
			break;
		ws->top = top - 1;
		node = (void *)ws->node[(top - 1) & 31];
		st = (void *)node - node_off;
		sid_report(smmu, BPF_CORE_READ(st, id), (__u64)BPF_CORE_READ(st, master), now);
		walk_push(ws, (__u64)BPF_CORE_READ(node, rb_right));
		walk_push(ws, (__u64)BPF_CORE_READ(node, rb_left));
	}
	return 0;
}

/* ---- entry ------------------------------------------------------------- */

/*
 * Both flavours: claim this context level's slot and stamp the call.  The
 * caller then copies the commands (its own way) and sets st->active.
 */
static __always_inline struct issue_state *issue_open(__u64 smmu, __u64 cmdq, __u32 n,
						       bool sync, __u32 prod)
{
	struct issue_state *st = issue_slot(ctx_level());

	if (!st)
		return NULL;
	st->ts = bpf_ktime_get_ns();
	st->smmu = smmu;
	st->cmdq = cmdq;
	st->err_gen = err_gen;
	st->n = n;
	st->sync = sync;
	st->prod_entry = prod & ~CMDQ_PROD_OWNED_FLAG;
	st->sync_prod = SMMU_NO_POS;
	return st;
}

/* kprobe flavour: register values only, kernel memory through the helper */
static __always_inline void issue_begin(__u64 smmu, __u64 cmdq, const void *cmds,
					__u32 n, bool sync)
{
	struct issue_state *st = issue_open(smmu, cmdq, n, sync, cmdq_prod(cmdq));
	__u64 sz;

	if (!st)
		return;
	/* 64-bit and behind a barrier: clang must size the read from the clamped value */
	sz = n < CMDQ_BATCH_MAX ? n : CMDQ_BATCH_MAX;
	sz *= CMDQ_ENT_DWORDS * 8;
	barrier_var(sz);
	if (sz > sizeof(st->cmds) || bpf_probe_read_kernel(st->cmds, sz, cmds))
		sz = 0;
	st->nn = sz / (CMDQ_ENT_DWORDS * 8);
	st->active = 1;
}

/*
 * fentry flavour: q is a BTF-typed struct arm_smmu_cmdq pointer (an
 * argument, or a field of one), so llq.prod is one direct load; cmds is
 * cast to struct cmds_view.  The verifier makes both BPF_PROBE_MEM loads
 * (a fault reads as 0) and wants constant offsets, so the copy is unrolled
 * by hand (clang will not unroll a loop with an early exit): n steps of two
 * loads, no helper call.
 */
#define CMDS_COPY1(k)							\
	do {								\
		if ((k) >= n)						\
			goto copied;					\
		st->cmds[2 * (k)] = v->w[2 * (k)];			\
		st->cmds[2 * (k) + 1] = v->w[2 * (k) + 1];		\
	} while (0)
#define CMDS_COPY4(k)	CMDS_COPY1(k); CMDS_COPY1((k) + 1); CMDS_COPY1((k) + 2); CMDS_COPY1((k) + 3)
#define CMDS_COPY16(k)	CMDS_COPY4(k); CMDS_COPY4((k) + 4); CMDS_COPY4((k) + 8); CMDS_COPY4((k) + 12)

static __always_inline void issue_begin_direct(__u64 smmu,
					       const struct arm_smmu_cmdq___st *q,
					       __u64 cmds, __u32 n, bool sync)
{
	struct issue_state *st = issue_open(smmu, (__u64)q, n, sync, q->q.llq.prod);
	const struct cmds_view *v;

	if (!st)
		return;
	v = bpf_rdonly_cast((void *)cmds, cmds_view_btf_id);
	CMDS_COPY16(0);
	CMDS_COPY16(16);
	CMDS_COPY16(32);
	CMDS_COPY16(48);
copied:
	st->nn = n < CMDQ_BATCH_MAX ? n : CMDQ_BATCH_MAX;
	st->active = 1;
}

/* arm_smmu_cmdq_write_entries(cmdq, cmds, prod, n), both flavours: the call's sync slot */
static __always_inline void issue_sync_slot(__u64 cmdq, __u32 prod, __u32 n)
{
	struct issue_state *st = issue_slot(ctx_level());

	if (!st || !st->active || st->cmdq != cmdq || !st->sync)
		return;
	st->sync_prod = smmu_sync_slot(prod, n, cmdq_max_n_shift(cmdq));
}

/* ---- return ------------------------------------------------------------ */

/*
 * The functions below are global (not static): the verifier checks each
 * once, on its own, instead of once per distinct state of every caller path
 * (the latency bucket and context level alone make dozens).
 */
/*
 * Opcode classes into the per-SMMU counters, and which commands are
 * ATC_INVs.  Done at return so the entry probe only copies the commands.
 */
static __always_inline void classify(struct issue_state *st, struct smmu_ev_stats *s)
{
	__u64 mask = 0;

	st->n_atc = 0;
	for (__u32 i = 0; i < CMDQ_BATCH_MAX; i++) {
		__u8 op;

		if (i >= st->nn)
			break;
		op = smmu_cmd_opcode(st->cmds[(i * CMDQ_ENT_DWORDS) & 127]);
		if (s)
			s->ops[smmu_op_class_tab[op] & (SMMU_OP_CLASSES - 1)]++;
		if (op == CMDQ_OP_ATC_INV) {
			mask |= 1ULL << i;
			MEM(st->n_atc)++;
		}
	}
	st->atc_mask = mask;
}

__noinline int stats_account(struct issue_state *st, __u32 level, long ret)
{
	struct smmu_pcpu_stats *ps;
	struct smmu_ev_stats *s;

	if (!st)
		return 0;
	ps = stats_slot(st->smmu, st->cmdq);
	if (!ps) {
		classify(st, NULL);
		return 0;
	}
	s = &ps->s;
	classify(st, s);
	s->calls++;
	if (st->sync) {
		s->sync_calls++;
		s->ops[SMMU_OPC_CMD_SYNC]++;
		s->lat[smmu_lat_bucket(st->dur)]++;
		s->lat_sum_ns += st->dur;
	}
	if (ret)
		s->failed_calls++;
	s->ctx[level & (SMMU_CTX_MAX - 1)]++;
	if (ps->walk_gen != sid_walk_gen) {
		ps->walk_gen = sid_walk_gen;
		streams_walk(st->smmu, st->cmdq, st->now);
	}
	return 0;
}

/* sync-less chunk: keep its ATC_INVs for the sync call that ends the batch */
__noinline int carry_add(struct issue_state *st)
{
	if (!st)
		return 0;
	if (st->carry_n_atc && (st->carry_tgid != st->pid_tgid ||
				st->carry_cmdq != st->cmdq)) {
		/* someone else's batch never got its sync here (migrated task) */
		lost_inc(LOST_TRUNCATED);
		st->carry_n_atc = 0;
	}
	if (!st->carry_n_atc) {
		st->carry_tgid = st->pid_tgid;
		st->carry_cmdq = st->cmdq;
		st->carry_n_rec = 0;
	}
	for (__u32 i = 0; i < CMDQ_BATCH_MAX; i++) {
		__u32 k;

		if (!(st->atc_mask >> i))
			break;
		if (!((st->atc_mask >> i) & 1))
			continue;
		MEM(st->carry_n_atc)++;
		k = MEM(st->carry_n_rec);
		if (k >= SMMU_MAX_ATC)
			continue;
		smmu_atc_from_cmd(&st->carry_atc[k & (SMMU_MAX_ATC - 1)],
				  st->cmds[(i * 2) & 127], st->cmds[(i * 2 + 1) & 127]);
		MEM(st->carry_n_rec) = k + 1;
	}
	return 0;
}

__noinline int sid_in_batch(struct issue_state *st, __u32 carried)
{
	if (!st)
		return 0;
	for (__u32 k = 0; k < SMMU_MAX_ATC; k++) {
		if (!carried || k >= MEM(st->carry_n_rec))
			break;
		if (st->carry_atc[k & (SMMU_MAX_ATC - 1)].sid == targ_sid)
			return 1;
	}
	for (__u32 i = 0; i < CMDQ_BATCH_MAX; i++) {
		if (!(st->atc_mask >> i))
			break;
		if (((st->atc_mask >> i) & 1) && CMDQ_FIELD(st->cmds[(i * 2) & 127], 63, 32) == targ_sid)
			return 1;
	}
	return 0;
}

/*
 * Which queue the call used: the SMMU's own (struct arm_smmu_device.cmdq,
 * its offset from the running kernel's BTF) or another one (6.12+:
 * Tegra241 CMDQV's virtual queues, handed to issue_cmdlist by
 * arm_smmu_get_cmdq()).  Unknown where the driver's types are not in BTF.
 */
static __always_inline __u16 issue_queue_flag(__u64 smmu, __u64 cmdq)
{
	if (!smmu_types_present())
		return 0;
	if (cmdq == smmu + bpf_core_field_offset(struct arm_smmu_device___st, cmdq))
		return SMMU_EVF_MAIN_CMDQ;
	return SMMU_EVF_OTHER_CMDQ;
}

__noinline int emit_issue(struct issue_state *st)
{
	struct smmu_event *ev;
	struct smmu_ev_issue *is;
	struct smmu_meta *meta;
	__u32 n_atc;
	bool carried;
	__u64 smmu;

	if (!st)
		return 0;
	ev = ev_reserve(EV_SIZE(issue), SMMU_EV_ISSUE, st->now);
	if (!ev)
		return 0;
	carried = st->carried;
	smmu = st->smmu;	/* 6.1 takes map keys only from the stack or a map */
	is = &ev->issue;
	meta = bpf_map_lookup_elem(&smmu_meta, &smmu);
	if (meta)
		bpf_probe_read_kernel_str(ev->hdr.smmu, SMMU_NAME_LEN, meta->name);
	else
		smmu_dev_name(st->smmu, ev->hdr.smmu);
	is->cmdq = st->cmdq;
	is->smmu_ptr = st->smmu;
	ev->hdr.flags |= issue_queue_flag(st->smmu, st->cmdq);
	is->duration_ns = st->dur;
	is->prod_entry = st->prod_entry;
	is->prod_exit = cmdq_prod(st->cmdq);
	is->sync_prod = st->sync_prod;
	is->ret = st->ret;
	is->pid = st->pid_tgid >> 32;
	is->tid = (__u32)st->pid_tgid;
	is->max_n_shift = cmdq_max_n_shift(st->cmdq);
	is->n = st->n;
	is->sync = st->sync;
	is->ctx = st->level;
	is->why = st->why;
	is->errors_seen = st->errors;
	bpf_get_current_comm(is->comm, sizeof(is->comm));
	n_atc = st->n_atc + (carried ? st->carry_n_atc : 0);
	is->n_atc = n_atc;
	is->n_atc_rec = 0;
	for (__u32 k = 0; k < SMMU_MAX_ATC; k++) {
		if (!carried || k >= MEM(st->carry_n_rec))
			break;
		is->atc[k] = st->carry_atc[k & (SMMU_MAX_ATC - 1)];
		MEM(is->n_atc_rec) = k + 1;
	}
	for (__u32 i = 0; i < CMDQ_BATCH_MAX; i++) {
		__u32 k = MEM(is->n_atc_rec);

		if (!(st->atc_mask >> i) || k >= SMMU_MAX_ATC)
			break;
		if (!((st->atc_mask >> i) & 1))
			continue;
		smmu_atc_from_cmd(&is->atc[k & (SMMU_MAX_ATC - 1)], st->cmds[(i * 2) & 127],
				  st->cmds[(i * 2 + 1) & 127]);
		MEM(is->n_atc_rec) = k + 1;
	}
	if (n_atc > is->n_atc_rec)
		lost_inc(LOST_TRUNCATED);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/* did this SMMU's ISR run while the call waited? */
static __always_inline __u32 errors_during(struct issue_state *st)
{
	__u64 gen = err_gen, smmu = st->smmu;
	struct smmu_meta *meta;

	if (gen == st->err_gen)
		return 0;
	meta = bpf_map_lookup_elem(&smmu_meta, &smmu);
	if (!meta || meta->err_gen <= st->err_gen)
		return 0;
	/* exact with one SMMU; with several, errors of all SMMUs in the window */
	return gen - st->err_gen;
}

static __always_inline void issue_end(long ret)
{
	__u32 level = ctx_level(), why = 0, errors = 0, n_atc;
	struct issue_state *st = issue_slot(level);
	bool carried = false;
	__u64 now, dur;

	if (!st || !st->active)
		return;
	st->active = 0;
	now = bpf_ktime_get_ns();
	dur = now - st->ts;
	st->now = now;
	st->dur = dur;
	stats_account(st, level, ret);

	/* the task is the entry's (same CPU, same context level): ask only if needed */
	st->pid_tgid = 0;
	if (targ_tgid || st->carry_n_atc || (!st->sync && st->n_atc))
		st->pid_tgid = bpf_get_current_pid_tgid();
	if (ret)
		why |= SMMU_WHY_RET;
	if (targ_tgid && (st->pid_tgid >> 32) == targ_tgid)
		why |= SMMU_WHY_FILTER;
	if (!st->sync) {
		if (st->n_atc)
			carry_add(st);
	} else {
		carried = st->carry_n_atc && st->carry_tgid == st->pid_tgid &&
			  st->carry_cmdq == st->cmdq;
		n_atc = st->n_atc + (carried ? st->carry_n_atc : 0);
		if (n_atc) {
			errors = errors_during(st);
			if (errors)
				why |= SMMU_WHY_ERROR;
			if (all_atc)
				why |= SMMU_WHY_ATC;
			if (filter_sid && sid_in_batch(st, carried))
				why |= SMMU_WHY_FILTER;
		}
		if (dur > slow_ns)
			why |= SMMU_WHY_SLOW;
	}
	if (why) {
		if (!st->pid_tgid)
			st->pid_tgid = bpf_get_current_pid_tgid();
		st->ret = ret;
		st->why = why;
		st->level = level;
		st->errors = errors;
		st->carried = carried;
		emit_issue(st);
	}
	if (carried)
		st->carry_n_atc = 0;
}

#endif /* SMMUTRACE_ISSUE_BPF_H */
