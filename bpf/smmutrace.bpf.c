// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * smmutrace's kernel side: one CO-RE object for every kernel of an arch.
 *
 *   issue_entry/issue_exit   kprobe+kretprobe arm_smmu_cmdq_issue_cmdlist
 *   write_entries            kprobe arm_smmu_cmdq_write_entries (optional:
 *                            out of line in GCC builds) -> the call's sync slot
 *   isr_skip_err             kprobe __arm_smmu_cmdq_skip_err (6.12+)
 *   isr_gerror               kprobe arm_smmu_gerror_handler (<= 6.11)
 *   isr_exit                 kretprobe of whichever ISR function is used
 *   atc_inv_master           kprobe arm_smmu_atc_inv_master[.isra.N]
 *   console                  raw tracepoint printk:console: the driver's
 *                            messages, and the queue walk at "CMDQ error"
 *   aer_event, io_page_fault raw tracepoints ras:aer_event, iommu:io_page_fault
 *                            (io_page_fault only ever fires for other IOMMU
 *                            drivers: arm-smmu-v3 reports its event-queue
 *                            faults through iommu_report_device_fault(),
 *                            which has no tracepoint; its "event 0x..
 *                            received" lines reach us through console)
 *
 * Each driver hook also has an fentry/fexit twin (fentry_issue, fexit_issue,
 * fentry_write_entries, fentry_skip_err, fentry_gerror, fexit_isr,
 * fentry_atc_inv_master) running the same code: a BPF trampoline instead of
 * a kprobe exception, BTF-typed arguments, and the issuer's reads of kernel
 * memory as direct loads instead of helper calls.  Their section names carry
 * no function: user space sets the attach target (the exact symbol it chose)
 * before load, and loads each hook in one flavour only.
 *
 * User space decides which of them load and attach (src/loader.c); with no
 * kprobes and no trampolines only the tracepoints run ("log-capture mode").
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "events.h"
#include "smmutrace.h"
#include "cmdq.h"
#include "smmu_types.h"
#include "issue.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* set by user space after attach: the ISR's return probe will emit walks */
bool isr_ret_attached = false;

/* ---- issuer -------------------------------------------------------------- */

SEC("kprobe")
int issue_entry(struct pt_regs *ctx)
{
	__u64 smmu = PT_REGS_PARM1(ctx);

	if (smmu_layout_v612())
		issue_begin(smmu, PT_REGS_PARM2(ctx), (void *)PT_REGS_PARM3(ctx),
			    (__u32)PT_REGS_PARM4(ctx), (__u8)PT_REGS_PARM5(ctx));
	else
		issue_begin(smmu, smmu + bpf_core_field_offset(struct arm_smmu_device___st, cmdq),
			    (void *)PT_REGS_PARM2(ctx), (__u32)PT_REGS_PARM3(ctx),
			    (__u8)PT_REGS_PARM4(ctx));
	return 0;
}

SEC("kretprobe")
int issue_exit(struct pt_regs *ctx)
{
	issue_end((int)PT_REGS_RC(ctx));
	return 0;
}

/*
 * fentry twins.  ctx[i] is argument i as the trampoline saved it; the
 * verifier types pointer arguments from the function's BTF prototype, so
 * cmdq (6.12+) or smmu->cmdq (<= 6.11) can be dereferenced directly.  The
 * layout test is a CO-RE constant: the other branch is dead code the
 * verifier never walks (its ctx[4] does not exist on a 4-argument function).
 * cmds is a scalar up to 7.1 (u64 *) and a pointer to one 16-byte struct
 * arm_smmu_cmd from 7.2; bpf_rdonly_cast() ignores which, and the view
 * (src/btfview.h) covers the whole batch either way.
 */
SEC("fentry")
int fentry_issue(__u64 *ctx)
{
	if (smmu_layout_v612()) {
		issue_begin_direct(ctx[0], (const struct arm_smmu_cmdq___st *)ctx[1], ctx[2],
				   (__u32)ctx[3], (__u8)ctx[4]);
	} else {
		struct arm_smmu_device___st *smmu = (void *)ctx[0];

		issue_begin_direct(ctx[0], &smmu->cmdq, ctx[1], (__u32)ctx[2], (__u8)ctx[3]);
	}
	return 0;
}

/*
 * An argument as a plain number (bpf_get_func_arg is inlined by the
 * verifier): for hooks that only pass pointers on, to maps and to global
 * functions, which take numbers, not typed pointers.
 */
static __always_inline __u64 fentry_arg(void *ctx, __u32 n)
{
	__u64 v = 0;

	bpf_get_func_arg(ctx, n, &v);
	return v;
}

/* fexit sees the arguments and the return value; bpf_get_func_ret is inlined */
SEC("fexit")
int fexit_issue(__u64 *ctx)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	issue_end((int)ret);
	return 0;
}

/* arm_smmu_cmdq_write_entries(cmdq, cmds, prod, n): called once per issue_cmdlist */
SEC("kprobe")
int write_entries(struct pt_regs *ctx)
{
	issue_sync_slot(PT_REGS_PARM1(ctx), (__u32)PT_REGS_PARM3(ctx), (__u32)PT_REGS_PARM4(ctx));
	return 0;
}

SEC("fentry")
int fentry_write_entries(__u64 *ctx)
{
	issue_sync_slot(fentry_arg(ctx, 0), (__u32)ctx[2], (__u32)ctx[3]);
	return 0;
}

/* ---- error interrupt ----------------------------------------------------- */

struct isr_stash {
	__u64 smmu;
	__u64 cmdq;
	__u64 ts;
	__u32 active;
	__u32 walk_pending;
	char name[SMMU_NAME_LEN];
	struct smmu_ev_hdr hdr;		/* of the pending walk */
	struct smmu_ev_queue_walk walk;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct isr_stash);
} isr_stash SEC(".maps");

static __always_inline struct isr_stash *stash_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&isr_stash, &zero);
}

static __always_inline void isr_enter(__u64 smmu, __u64 cmdq)
{
	struct isr_stash *sh = stash_get();
	struct smmu_meta *meta;

	if (!sh)
		return;
	sh->smmu = smmu;
	sh->cmdq = cmdq;
	sh->ts = bpf_ktime_get_ns();
	sh->active = 1;
	sh->walk_pending = 0;
	smmu_dev_name(smmu, sh->name);
	__sync_fetch_and_add(&err_gen, 1);
	meta = meta_get(smmu, cmdq);
	if (meta) {
		__sync_fetch_and_add(&meta->errors, 1);
		meta->err_gen = err_gen;
	}
}

SEC("kprobe")
int isr_skip_err(struct pt_regs *ctx)
{
	isr_enter(PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx));
	return 0;
}

SEC("kprobe")
int isr_gerror(struct pt_regs *ctx)
{
	__u64 smmu = PT_REGS_PARM2(ctx);

	isr_enter(smmu, smmu + bpf_core_field_offset(struct arm_smmu_device___st, cmdq));
	return 0;
}

/* __arm_smmu_cmdq_skip_err(smmu, cmdq) */
SEC("fentry")
int fentry_skip_err(__u64 *ctx)
{
	isr_enter(fentry_arg(ctx, 0), fentry_arg(ctx, 1));
	return 0;
}

/* arm_smmu_gerror_handler(irq, dev): dev is a void *, a plain number here */
SEC("fentry")
int fentry_gerror(__u64 *ctx)
{
	__u64 smmu = ctx[1];

	isr_enter(smmu, smmu + bpf_core_field_offset(struct arm_smmu_device___st, cmdq));
	return 0;
}

/* patched kernels: the ISR sets bit idx after printing, so read it on the way out */
static __always_inline __u8 atc_bitmap_bit(__u64 cmdq, __u32 idx)
{
	struct arm_smmu_cmdq___atc *q = (void *)cmdq;
	unsigned long *bm, word = 0;

	if (!smmu_has_atc_bitmap())
		return 2;
	bm = BPF_CORE_READ(q, atc_sync_timeouts);
	if (!bm || bpf_probe_read_kernel(&word, sizeof(word), bm + idx / 64))
		return 2;
	return (word >> (idx % 64)) & 1;
}

static __always_inline void walk_emit(struct isr_stash *sh)
{
	struct smmu_event *ev;

	sh->walk_pending = 0;
	sh->walk.bitmap = atc_bitmap_bit(sh->cmdq,
					 sh->walk.cons & ((1u << (sh->walk.max_n_shift & 31)) - 1));
	ev = ev_reserve(EV_SIZE(walk), SMMU_EV_QUEUE_WALK, sh->hdr.mono_ns);
	if (!ev)
		return;
	ev->hdr.cpu = sh->hdr.cpu;
	bpf_probe_read_kernel(ev->hdr.smmu, SMMU_NAME_LEN, sh->name);
	bpf_probe_read_kernel(&ev->walk, sizeof(ev->walk), &sh->walk);
	bpf_ringbuf_submit(ev, 0);
}

static __always_inline void isr_leave(void)
{
	struct isr_stash *sh = stash_get();

	if (!sh || !sh->active)
		return;
	if (sh->walk_pending)
		walk_emit(sh);
	sh->active = 0;
}

SEC("kretprobe")
int isr_exit(struct pt_regs *ctx)
{
	isr_leave();
	return 0;
}

SEC("fexit")
int fexit_isr(__u64 *ctx)
{
	isr_leave();
	return 0;
}

/* ---- the queue walk -------------------------------------------------------- */

/*
 * CONS points at the CMD_SYNC that failed; it has not completed, so it is
 * intact.  The ATC_INVs between it and the previous CMD_SYNC are what the
 * SMMU was waiting for.  A CMD_SYNC completed by MSI has the low 32 bits of
 * dword0 zeroed (its own slot is the MSI target): also a boundary.  Counters
 * live in the map value, not in registers, so the verifier need not track
 * them per iteration.
 */
static __noinline void queue_walk(struct isr_stash *sh, __u32 cons)
{
	struct arm_smmu_cmdq___st *q = (void *)sh->cmdq;
	struct smmu_ev_queue_walk *w = &sh->walk;
	__u32 shift, mask, idx;
	__u64 base, slot[2];

	__builtin_memset(w, 0, sizeof(*w));
	w->cmdq = sh->cmdq;
	w->cons = cons;
	w->bitmap = 2;
	shift = BPF_CORE_READ(q, q.llq.max_n_shift);
	base = (__u64)BPF_CORE_READ(q, q.base);
	w->max_n_shift = shift;
	if (shift < 1 || shift > 24 || !base) {
		w->stop = SMMU_WALK_FAULT;
		return;
	}
	mask = (1u << shift) - 1;
	idx = cons & mask;
	if (bpf_probe_read_kernel(w->sync_cmd, sizeof(w->sync_cmd), (void *)(base + idx * 16))) {
		w->stop = SMMU_WALK_FAULT;
		return;
	}
	if (smmu_walk_slot(w->sync_cmd[0]) != SMMU_SLOT_SYNC) {
		w->stop = SMMU_WALK_NOT_SYNC;
		return;
	}
	w->stop = SMMU_WALK_BOUND;
	for (__u32 i = 1; i <= SMMUTRACE_WALK_MAX; i++) {
		__u32 k;
		int kind;

		if (i > mask)
			break;
		__u64 addr = base + ((idx - i) & mask) * 16;

		if (bpf_probe_read_kernel(slot, sizeof(slot), (void *)addr)) {
			w->stop = SMMU_WALK_FAULT;
			break;
		}
		MEM(w->walked) = i;
		kind = smmu_walk_slot(slot[0]);
		if (kind == SMMU_SLOT_SYNC) {
			w->stop = SMMU_WALK_PREV_SYNC;
			break;
		}
		if (kind == SMMU_SLOT_DONE_SYNC) {
			w->stop = SMMU_WALK_DONE_SYNC;
			break;
		}
		if (kind != SMMU_SLOT_ATC_INV)
			continue;
		MEM(w->n_atc)++;
		k = MEM(w->n_atc_rec);
		if (k >= SMMU_MAX_ATC)
			continue;
		smmu_atc_from_cmd(&w->atc[k & (SMMU_MAX_ATC - 1)], slot[0], slot[1]);
		MEM(w->n_atc_rec) = k + 1;
	}
	if (w->n_atc > w->n_atc_rec)
		lost_inc(LOST_TRUNCATED);
}

/* ---- printk:console ------------------------------------------------------ */

/*
 * The text is copied into a zeroed per-CPU buffer, so scans stop at its NUL
 * without comparing against the length: loop exits then leave no per-offset
 * facts behind, and the verifier checks the rest of the program once, not
 * once per offset.  Offsets found go through the map value for the same
 * reason.
 */
#define KMSG_STACK_DEPTH	16

struct text_buf {
	char text[SMMU_TEXT_LEN];
	__u32 dev_off;		/* where the device name starts */
	__u32 body;		/* where the message body starts, 0 = not the driver's */
	__u64 stack[KMSG_STACK_DEPTH];
};

/*
 * Where devkmsg_write() and its helpers lie (src/origin.h), from
 * /proc/kallsyms: a message printed under them was written to /dev/kmsg by
 * user space and only looks like the kernel's.  All 0 = unknown.
 */
const volatile __u64 kmsg_writer_lo[4] = {};
const volatile __u64 kmsg_writer_hi[4] = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct text_buf);
} text_buf SEC(".maps");

#define TEXT_MASK	(SMMU_TEXT_LEN - 1)

static __always_inline bool text_at(const char *t, __u32 off, const char *lit, __u32 len)
{
	for (__u32 i = 0; i < len; i++)
		if (t[(off + i) & TEXT_MASK] != lit[i])
			return false;
	return true;
}

#define TEXT_AT(t, off, s)	text_at((t), (off), (s), sizeof(s) - 1)

/* big-endian packing of a short literal, for the rolling window below */
#define STR3(a, b, c)	((__u64)(a) << 16 | (__u64)(b) << 8 | (c))
#define STR7(a, b, c, d, e, f, g) \
	((__u64)STR3(a, b, c) << 32 | (__u64)(d) << 24 | STR3(e, f, g))
#define STR8(a, b, c, d, e, f, g, h)	((__u64)STR7(a, b, c, d, e, f, g) << 8 | (h))

/*
 * Lines that matter outside the driver: AER reports, ratelimit notes
 * ("arm_smmu_cmdq_issue_cmdlist: 37 callbacks suppressed").  One pass with
 * the last eight bytes in a register: a few compares per byte and no
 * per-pattern branches for the verifier to walk.
 */
static __always_inline bool text_relevant(const char *t)
{
	__u64 w = 0;

	for (__u32 i = 0; i < SMMU_TEXT_LEN - 1; i++) {
		char c = t[i];

		if (!c)
			break;
		w = w << 8 | (__u8)c;
		if ((w & 0xffffff) == STR3('A', 'E', 'R') ||
		    w == STR8('a', 'r', 'm', '_', 's', 'm', 'm', 'u') ||
		    (w & 0xffffffffffffffULL) == STR7('C', 'm', 'p', 'l', 't', 'T', 'O'))
			return true;
	}
	return false;
}

/* "arm-smmu-v3 <dev>: " or "platform <dev>: " -> tb->dev_off, tb->body */
static __always_inline bool driver_body(struct text_buf *tb)
{
	const char *t = tb->text;
	__u32 off;

	if (TEXT_AT(t, 0, "arm-smmu-v3 "))
		off = 12;
	else if (TEXT_AT(t, 0, "platform "))
		off = 9;
	else
		return false;
	tb->dev_off = off;
	for (__u32 i = 0; i < SMMU_NAME_LEN; i++) {
		char c = t[(off + i) & TEXT_MASK];

		if (!c)
			break;
		if (c == ':' && t[(off + i + 1) & TEXT_MASK] == ' ') {
			tb->body = off + i + 2;
			return true;
		}
	}
	return false;
}

/* %08x digits as value + 1, 0 for anything else: a table, one verifier path per digit */
static const __u8 hex_digit1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* "CMDQ error (cons 0x%08x)" at body: the CONS value */
static __always_inline bool cmdq_error_cons(const char *t, __u32 body, __u32 *cons)
{
	__u32 v = 0;

	if (!TEXT_AT(t, body, "CMDQ error (cons 0x"))
		return false;
	for (__u32 i = 0; i < 8; i++) {
		__u8 d = hex_digit1[(__u8)t[(body + 19 + i) & TEXT_MASK]];

		if (!d)
			return false;
		v = v << 4 | (d - 1);
	}
	*cons = v;
	return true;
}

/* the line names the SMMU whose ISR we are in */
static __always_inline bool same_smmu(const struct isr_stash *sh, const char *t,
				      __u32 dev_off, __u32 body)
{
	__u32 n = body - 2 - dev_off;

	if (n >= SMMU_NAME_LEN)
		return false;
	for (__u32 i = 0; i < SMMU_NAME_LEN; i++) {
		if (i == n)
			return sh->name[i & (SMMU_NAME_LEN - 1)] == '\0';
		if (sh->name[i & (SMMU_NAME_LEN - 1)] != t[(dev_off + i) & TEXT_MASK])
			return false;
	}
	return false;
}

/* was this printk called from a write to /dev/kmsg?  Only asked of lines that matter */
static __always_inline bool from_user_write(void *ctx, struct text_buf *tb)
{
	long n;

	if (!kmsg_writer_lo[0])
		return false;
	n = bpf_get_stack(ctx, tb->stack, sizeof(tb->stack), 0);
	if (n <= 0)
		return false;
	for (__u32 i = 0; i < KMSG_STACK_DEPTH; i++) {
		__u64 ip = tb->stack[i];

		if (i * sizeof(__u64) >= n)
			break;
		for (__u32 r = 0; r < 4; r++)
			if (ip >= kmsg_writer_lo[r] && ip < kmsg_writer_hi[r])
				return true;
	}
	return false;
}

static __noinline void console_walk(struct text_buf *tb, __u64 now)
{
	__u32 body = tb->body & TEXT_MASK, dev_off = tb->dev_off & TEXT_MASK, cons;
	struct isr_stash *sh;

	/* no driver types in this kernel: there is no queue to read (x86) */
	if (!smmu_types_present())
		return;
	if (!cmdq_error_cons(tb->text, body, &cons))
		return;
	sh = stash_get();
	if (!sh || !sh->active || now - sh->ts > SMMUTRACE_ISR_WINDOW_NS ||
	    !same_smmu(sh, tb->text, dev_off, body))
		return;
	sh->hdr.mono_ns = now;
	sh->hdr.cpu = bpf_get_smp_processor_id();
	queue_walk(sh, cons);
	sh->walk_pending = 1;
	if (!isr_ret_attached)
		walk_emit(sh);
}

SEC("raw_tp/console")
int BPF_PROG(console, const char *text, __u64 text_len)
{
	struct text_buf *tb;
	struct smmu_event *ev;
	__u32 zero = 0, len;
	bool driver, user;
	__u64 now;

	tb = bpf_map_lookup_elem(&text_buf, &zero);
	if (!tb)
		return 0;
	__builtin_memset(tb, 0, sizeof(*tb));
	len = text_len < SMMU_TEXT_LEN - 1 ? text_len : SMMU_TEXT_LEN - 1;
	if (bpf_probe_read_kernel(tb->text, len, text))
		return 0;
	driver = driver_body(tb);
	if (!driver && !text_relevant(tb->text))
		return 0;
	user = from_user_write(ctx, tb);
	now = bpf_ktime_get_ns();
	ev = ev_reserve(EV_SIZE(log_text), SMMU_EV_LOG_TEXT, now);
	if (ev) {
		if (user)
			ev->hdr.flags |= SMMU_EVF_USER;
		ev->log_text.len = len;
		ev->log_text.level = 0;
		bpf_probe_read_kernel(ev->log_text.text, SMMU_TEXT_LEN, tb->text);
		bpf_ringbuf_submit(ev, 0);
	}
	/* a forged "CMDQ error" must not walk a queue the ISR is walking */
	if (driver && !user)
		console_walk(tb, now);
	return 0;
}

/* ---- SID -> device at ATC invalidation of one master ---------------------- */

static __always_inline void master_sids(__u64 master)
{
	struct arm_smmu_master___st *m = (void *)master;
	struct arm_smmu_device___st *smmu = BPF_CORE_READ(m, smmu);
	struct arm_smmu_stream___st *streams = BPF_CORE_READ(m, streams);
	__u32 n = BPF_CORE_READ(m, num_streams);
	__u64 now = bpf_ktime_get_ns();

	if (!meta_get((__u64)smmu, (__u64)smmu +
		      bpf_core_field_offset(struct arm_smmu_device___st, cmdq)))
		return;
	/* more than a few SIDs per function only with DMA aliases */
	for (__u32 i = 0; i < 8; i++) {
		if (i >= n)
			break;
		sid_report((__u64)smmu, BPF_CORE_READ(&streams[i], id), master, now);
	}
}

SEC("kprobe")
int atc_inv_master(struct pt_regs *ctx)
{
	master_sids(PT_REGS_PARM1(ctx));
	return 0;
}

/* only where the kernel keeps a BTF FUNC for it (GCC makes it an .isra clone) */
SEC("fentry")
int fentry_atc_inv_master(__u64 *ctx)
{
	master_sids(fentry_arg(ctx, 0));
	return 0;
}

/* ---- correlations ------------------------------------------------------------ */

#define AER_CORRECTABLE		2
#define PCI_ERR_UNC_COMP_TIME	(1u << 14)

/* aer_event(dev_name, status, severity, tlp_header_valid, tlp) */
SEC("raw_tp/aer_event")
int BPF_PROG(aer_event, const char *dev_name, __u32 status, __u8 severity)
{
	struct smmu_event *ev = ev_reserve(EV_SIZE(aer), SMMU_EV_AER, bpf_ktime_get_ns());

	if (!ev)
		return 0;
	if (bpf_probe_read_kernel_str(ev->aer.dev, SMMU_DEV_LEN, dev_name) < 0)
		ev->aer.dev[0] = '\0';
	ev->aer.uncorrectable = severity != AER_CORRECTABLE;
	ev->aer.cmplto = ev->aer.uncorrectable && (status & PCI_ERR_UNC_COMP_TIME);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/* io_page_fault(dev, iova, flags): report_iommu_fault() callers, never arm-smmu-v3 */
SEC("raw_tp/io_page_fault")
int BPF_PROG(io_page_fault, struct device *dev, unsigned long iova, int flags)
{
	struct smmu_event *ev = ev_reserve(EV_SIZE(iopf), SMMU_EV_IOPF, bpf_ktime_get_ns());
	const char *name;

	if (!ev)
		return 0;
	name = BPF_CORE_READ(dev, kobj.name);
	if (!name || bpf_probe_read_kernel_str(ev->iopf.dev, SMMU_DEV_LEN, name) < 0)
		ev->iopf.dev[0] = '\0';
	ev->iopf.iova = iova;
	ev->iopf.flags = flags;
	ev->iopf.pad = 0;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}
