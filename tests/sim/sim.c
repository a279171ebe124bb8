// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Ground-truth simulator: a discrete-event model of the arm-smmu-v3 command
 * queue, the SMMU that consumes it, the devices that answer (or not) its
 * ATC invalidations and the error interrupt.  See sim.h for what it models
 * and what it emits.
 *
 * Modelling shortcuts, chosen because they do not change what a tracer can
 * observe: commands are written at reservation time; the owner gathers
 * everything reserved until it publishes; the SMMU executes commands in
 * position order from a per-position log even when the ring slot was
 * rewritten after a software timeout (only the queue walk reads the ring
 * memory, which is what the real ISR walk does); a CPU never nests two
 * issue_cmdlist calls.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmsg.h"
#include "sim.h"
#include "spec.h"

#define NSEC			1000000000ULL
#define POLL_TIMEOUT_NS		NSEC		/* ARM_SMMU_POLL_TIMEOUT_US */
#define RL_INTERVAL_NS		(5 * NSEC)	/* DEFAULT_RATELIMIT_INTERVAL */
#define RL_BURST		10		/* DEFAULT_RATELIMIT_BURST */
#define SLOW_NS			10000000ULL	/* the BPF side's slow_ns default */
#define WALK_MAX		256		/* SMMUTRACE_WALK_MAX */
#define BATCH			64		/* CMDQ_BATCH_ENTRIES on arm64 */
#define MAX_PLANS		16
#define FIFO			64
#define LOG_LAPS		4
#define DRAIN_NS		(6 * NSEC)

/* timings of the machine: only their order of magnitude matters */
#define CMD_NS			40
#define SYNC_NS			200
#define OWNER_NS		300
#define WRITE_NS		100
#define POLL_NS			100
#define GAP_NS			500
#define IRQ_NS			2000
#define ISR_NS			30000

#define SMMU_BASE_PTR		0xffff000012000000ULL
#define RING_DMA_BASE		0x80000000ULL

enum sev_kind {
	SEV_JOB, SEV_CALL, SEV_PUBLISH, SEV_HW, SEV_SYNC_DONE, SEV_POLL_TIMEOUT,
	SEV_RET, SEV_RESERVE, SEV_FULL_TIMEOUT, SEV_ISR_FIRE, SEV_ISR_RUN, SEV_ACK,
	SEV_TICK,
};

struct sev {
	uint64_t t;
	uint64_t seq;
	int kind;
	int a;
	uint64_t b;
};

struct heap {
	struct sev *v;
	size_t n, cap;
};

struct lcmd {
	uint64_t w[2];		/* the command's two dwords */
	uint64_t call;
	int16_t dev;
	int16_t cpu;
};

struct inv {
	uint64_t abs;
	uint64_t resolve;
	uint64_t call;
	int dev;
	bool fail;
};

struct queue {
	int smmu, qi;
	uint64_t ptr;
	unsigned int shift;
	uint32_t size;
	bool msi;
	bool cs_none;
	int irq_cpu;
	uint64_t (*ring)[2];
	uint64_t *ring_abs;
	struct lcmd *log;
	uint64_t prod_abs, hw_prod_abs, hw_cons_abs;
	uint32_t cons32;		/* llq.cons as the driver believes it */
	bool owned;
	int owner_cpu;
	int sync_waiters;
	struct inv *inv;
	int n_inv, cap_inv;
	uint64_t busy_until;
	bool stalled;
	bool hw_armed;
	uint64_t hw_at, hw_token;
	int cur_truth;
	uint32_t space_waiters;		/* CPU mask */
	uint8_t *bitmap;		/* patched: atc_sync_timeouts */
	int *bm_truth;			/* the failure whose ISR set each bit, -1 none */
};

struct plan {
	int n;
	bool sync;
	int q;
	struct lcmd cmd[BATCH];
};

struct carry {
	uint64_t cmdq;
	uint32_t tid;
	uint32_t n_atc, n_rec;
	struct smmu_atc atc[SMMU_MAX_ATC];
};

struct cpu {
	int id;
	bool in_call, in_job, owner, polling, waiting_space;
	int fifo[FIFO];
	int f_head, f_n;
	int src;
	struct plan plan[MAX_PLANS];
	int n_plan, cur;
	uint64_t call_id, entry_ns, err_gen0;
	uint32_t prod_entry;
	uint64_t start_abs, sync_abs;
	struct carry carry[SMMU_CTX_MAX];
	int pend[8];
	int n_pend;
	uint64_t free_at;
};

struct ratelimit {
	bool init;
	uint64_t begin;
	int printed, missed;
};

struct swto {
	int q;
	uint64_t abs, hw_at, t;
};

#define MAX_Q	(SIM_MAX_SMMUS * (1 + SIM_MAX_VCMDQ))

struct sim {
	const struct sim_config *cfg;
	sim_emit_fn emit;
	void *ctx;
	uint64_t rng;
	struct heap heap;
	uint64_t now, seq;
	struct queue q[MAX_Q];
	int n_q;
	int qidx[SIM_MAX_SMMUS][1 + SIM_MAX_VCMDQ];
	struct cpu cpu[SIM_MAX_CPUS];
	uint64_t err_gen;
	uint64_t smmu_err_gen[SIM_MAX_SMMUS];
	struct ratelimit rl_sync, rl_full, rl_atc;
	struct kmsg_parser parser;
	struct sim_truth *truth;
	int n_truth, cap_truth;
	struct swto *swto;
	int n_swto, cap_swto;
	struct sim_stats st;
	uint64_t calls;
	bool oom;
	struct lcmd job_cmds[MAX_PLANS * BATCH];	/* a job's commands before chunking */
};

/* ---- queue arithmetic, as arm-smmu-v3.h has it ------------------------- */

#define Q_IDX(s, p)	((p) & ((1u << (s)) - 1))
#define Q_WRP(s, p)	((p) & (1u << (s)))

/* queue_inc_prod_n(): add to WRP|IDX, keep the bits above (OVF) as they were */
uint32_t sim_q_inc(uint32_t pos, uint32_t n, unsigned int shift)
{
	uint32_t wi = (Q_WRP(shift, pos) | Q_IDX(shift, pos)) + n;

	return (pos & ~((2u << shift) - 1)) | (Q_WRP(shift, wi) | Q_IDX(shift, wi));
}

bool sim_q_has_space(uint32_t prod, uint32_t cons, uint32_t n, unsigned int shift)
{
	uint32_t space, p = Q_IDX(shift, prod), c = Q_IDX(shift, cons);

	if (Q_WRP(shift, prod) == Q_WRP(shift, cons))
		space = (1u << shift) - (p - c);
	else
		space = c - p;
	return space >= n;
}

bool sim_q_consumed(uint32_t cons, uint32_t prod, unsigned int shift)
{
	if (Q_WRP(shift, cons) == Q_WRP(shift, prod))
		return Q_IDX(shift, cons) > Q_IDX(shift, prod);
	return Q_IDX(shift, cons) <= Q_IDX(shift, prod);
}

uint32_t sim_q_pos(uint64_t abs, unsigned int shift)
{
	return (uint32_t)(abs & ((2ULL << shift) - 1));
}

uint64_t sim_cmdq_ptr(int smmu, int queue)
{
	/* the main queue inside struct arm_smmu_device; VCMDQs live elsewhere */
	if (!queue)
		return SMMU_BASE_PTR + (uint64_t)smmu * 0x100000 + 64;
	return SMMU_BASE_PTR + 0x8000000 + (uint64_t)smmu * 0x100000 + queue * 0x1000;
}

/* ---- plumbing ------------------------------------------------------------ */

static uint64_t rnd(struct sim *s)
{
	/* splitmix64: tiny, and the same sequence on every machine */
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_range(struct sim *s, uint64_t lo, uint64_t hi)
{
	return hi <= lo ? lo : lo + rnd(s) % (hi - lo + 1);
}

static uint64_t rnd_exp(struct sim *s, uint32_t rate)
{
	double u = ((rnd(s) >> 11) + 1) * 0x1.0p-53;

	return (uint64_t)(-log(u) * (double)NSEC / rate);
}

static void push(struct sim *s, uint64_t t, int kind, int a, uint64_t b)
{
	struct heap *h = &s->heap;
	size_t i;

	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 1024;
		struct sev *v = realloc(h->v, cap * sizeof(*v));

		if (!v) {
			s->oom = true;
			return;
		}
		h->v = v;
		h->cap = cap;
	}
	i = h->n++;
	h->v[i] = (struct sev){ t, ++s->seq, kind, a, b };
	while (i) {
		size_t p = (i - 1) / 2;
		struct sev tmp;

		if (h->v[p].t < h->v[i].t ||
		    (h->v[p].t == h->v[i].t && h->v[p].seq < h->v[i].seq))
			break;
		tmp = h->v[p];
		h->v[p] = h->v[i];
		h->v[i] = tmp;
		i = p;
	}
}

static bool sev_less(const struct sev *a, const struct sev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static bool pop(struct sim *s, struct sev *out)
{
	struct heap *h = &s->heap;
	size_t i = 0;

	if (!h->n)
		return false;
	*out = h->v[0];
	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct sev tmp;

		if (l < h->n && sev_less(&h->v[l], &h->v[m]))
			m = l;
		if (r < h->n && sev_less(&h->v[r], &h->v[m]))
			m = r;
		if (m == i)
			break;
		tmp = h->v[m];
		h->v[m] = h->v[i];
		h->v[i] = tmp;
		i = m;
	}
	return true;
}

/* ---- output: the driver's printks and the BPF records ---------------------- */

static void on_parsed(void *ctx, const struct smmu_event *ev)
{
	struct sim *s = ctx;

	s->st.records++;
	s->emit(s->ctx, ev);
}

/* one printk, as printk:console hands it over: with the dev_printk prefix */
static void say(struct sim *s, int smmu, uint32_t cpu, const char *fmt, ...)
{
	struct kmsg_ts ts = {
		.mono_ns = s->now,
		.wall_ns = 1780000000LL * (int64_t)NSEC + (int64_t)s->now,
		.flags = SMMU_EVF_MONO | SMMU_EVF_WALL,
	};
	char buf[512];
	va_list ap;
	int n = 0;

	if (smmu >= 0)
		n = snprintf(buf, sizeof(buf), "arm-smmu-v3 %s: ", s->cfg->smmu[smmu].name);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	s->st.lines++;
	kmsg_parse_message(&s->parser, buf, n, &ts, cpu);
}

/* ___ratelimit(): a static state per call site, shared by every SMMU */
static bool ratelimit_ok(struct sim *s, struct ratelimit *r, uint32_t cpu)
{
	if (!r->init) {
		r->init = true;
		r->begin = s->now;
	}
	if (s->now > r->begin + RL_INTERVAL_NS) {
		if (r->missed) {
			say(s, -1, cpu, "arm_smmu_cmdq_issue_cmdlist: %d callbacks suppressed",
			    r->missed);
			r->missed = 0;
		}
		r->begin = s->now;
		r->printed = 0;
	}
	if (r->printed < RL_BURST) {
		r->printed++;
		return true;
	}
	r->missed++;
	s->st.suppressed_lines++;
	return false;
}

static void bpf_hdr(struct sim *s, struct smmu_event *ev, int type, size_t size,
		    int smmu, uint32_t cpu)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = type;
	ev->hdr.flags = SMMU_EVF_MONO | SMMU_EVF_BPF;
	ev->hdr.size = size;
	ev->hdr.mono_ns = s->now;
	ev->hdr.cpu = cpu;
	if (smmu >= 0)
		snprintf(ev->hdr.smmu, sizeof(ev->hdr.smmu), "%s", s->cfg->smmu[smmu].name);
}

static void bpf_emit(struct sim *s, const struct smmu_event *ev)
{
	s->st.records++;
	s->emit(s->ctx, ev);
}

#define EV_SIZE(m)	(offsetof(struct smmu_event, m) + sizeof(((struct smmu_event *)0)->m))

/* ---- commands -------------------------------------------------------------- */

/* an ATC_INV as a BPF record lists it */
static void atc_record(const uint64_t w[2], struct smmu_atc *a)
{
	memset(a, 0, sizeof(*a));
	a->sid = spec_get(w, SPEC_ATC_SID);
	a->ssid = spec_get(w, SPEC_ATC_SSID);
	a->ssv = spec_get(w, SPEC_ATC_SSV);
	a->global = spec_get(w, SPEC_ATC_GLOBAL);
	a->size = spec_get(w, SPEC_ATC_SIZE);
	a->addr = spec_get(w, SPEC_ATC_ADDR) << 12;
}

static struct lcmd atc_cmd(uint32_t sid, uint64_t addr, uint8_t size, int dev)
{
	struct lcmd c = { 0 };

	spec_new(c.w, SPEC_OP_ATC_INV);
	spec_set(c.w, SPEC_ATC_SID, sid);
	spec_set(c.w, SPEC_ATC_ADDR, addr >> 12);
	spec_set(c.w, SPEC_ATC_SIZE, size);
	c.dev = dev;
	return c;
}

static struct lcmd tlbi_cmd(uint16_t asid, uint64_t va)
{
	struct lcmd c = { 0 };

	spec_new(c.w, SPEC_OP_TLBI_NH_VA);
	spec_set(c.w, SPEC_TLBI_ASID, asid);
	spec_set(c.w, SPEC_TLBI_VA, va >> 12);
	spec_set(c.w, SPEC_TLBI_LEAF, 1);
	c.dev = -1;
	return c;
}

/* arm_smmu_cmdq_build_sync_cmd(): MSI to its own slot, SEV, or nothing (VCMDQ) */
static struct lcmd sync_cmd(const struct queue *q, uint64_t abs)
{
	struct lcmd c = { 0 };
	uint32_t idx = abs & (q->size - 1);
	uint64_t dma = RING_DMA_BASE + (uint64_t)q->smmu * 0x1000000 + (uint64_t)q->qi * 0x100000;
	spec_new(c.w, SPEC_OP_CMD_SYNC);
	spec_set(c.w, SPEC_SYNC_MSH, 3);		/* inner shareable */
	spec_set(c.w, SPEC_SYNC_MSIATTR, 0xf);	/* inner+outer write-back */
	if (q->msi) {
		/* MSIDATA 0 to its own slot: completion zeroes dword 0's low half */
		spec_set(c.w, SPEC_SYNC_CS, SPEC_CS_IRQ);
		spec_set(c.w, SPEC_SYNC_MSIDATA, 0);
		spec_set(c.w, SPEC_SYNC_MSIADDR, (dma + idx * 16) >> 2);
	} else if (!q->cs_none) {
		spec_set(c.w, SPEC_SYNC_CS, SPEC_CS_SEV);
	}
	c.dev = -1;
	return c;
}

static struct lcmd *qlog(struct queue *q, uint64_t abs)
{
	return &q->log[abs % ((uint64_t)q->size * LOG_LAPS)];
}

static void q_write(struct queue *q, uint64_t abs, const struct lcmd *c)
{
	uint32_t idx = abs & (q->size - 1);

	*qlog(q, abs) = *c;
	q->ring[idx][0] = c->w[0];
	q->ring[idx][1] = c->w[1];
	q->ring_abs[idx] = abs;
}

/* ---- truth ------------------------------------------------------------------ */

static struct sim_truth *truth_new(struct sim *s)
{
	struct sim_truth *t;

	if (s->n_truth == s->cap_truth) {
		int cap = s->cap_truth ? 2 * s->cap_truth : 64;

		t = realloc(s->truth, cap * sizeof(*t));
		if (!t) {
			s->oom = true;
			return NULL;
		}
		s->truth = t;
		s->cap_truth = cap;
	}
	t = &s->truth[s->n_truth++];
	memset(t, 0, sizeof(*t));
	t->blocker = -1;
	return t;
}

static void truth_add_dev(struct sim_truth *t, int dev)
{
	for (int i = 0; i < t->n_devs; i++)
		if (t->dev[i] == dev)
			return;
	if (t->n_devs < SIM_MAX_TRUTH_DEVS)
		t->dev[t->n_devs++] = dev;
}

/* ---- the SMMU -------------------------------------------------------------- */

static void hw_arm(struct sim *s, struct queue *q, uint64_t t)
{
	if (q->hw_armed && q->hw_at <= t)
		return;
	q->hw_armed = true;
	q->hw_at = t;
	push(s, t, SEV_HW, q - s->q, ++q->hw_token);
}

static void wake_space_waiters(struct sim *s, struct queue *q)
{
	for (int c = 0; q->space_waiters && c < s->cfg->n_cpus; c++) {
		if (!(q->space_waiters & (1u << c)))
			continue;
		q->space_waiters &= ~(1u << c);
		push(s, s->now, SEV_RESERVE, c, s->cpu[c].call_id);
	}
}

static void hw_consume(struct sim *s, struct queue *q, uint64_t dt)
{
	q->hw_cons_abs++;
	q->busy_until = s->now + dt;
	q->cur_truth = -1;
	wake_space_waiters(s, q);
}

static void inv_issue(struct sim *s, struct queue *q, const struct lcmd *c)
{
	const struct sim_dev *d = &s->cfg->dev[c->dev];
	bool hung = s->now >= d->hung_from && s->now < d->hung_to;
	struct inv *v;

	if (q->n_inv == q->cap_inv) {
		int cap = q->cap_inv ? 2 * q->cap_inv : 64;

		v = realloc(q->inv, cap * sizeof(*v));
		if (!v) {
			s->oom = true;
			return;
		}
		q->inv = v;
		q->cap_inv = cap;
	}
	v = &q->inv[q->n_inv++];
	v->abs = q->hw_cons_abs;
	v->dev = c->dev;
	v->call = c->call;
	v->fail = d->ats && (hung || rnd(s) % 1000000 < d->p_fail_ppm);
	v->resolve = s->now + (v->fail ? d->cto_ns : d->resp_ns);
	s->st.atc_invs++;
}

/* CERROR_ATC_INV_SYNC at the CMD_SYNC under CONS: stop and raise GERROR */
static void hw_error(struct sim *s, struct queue *q, const struct lcmd *sync)
{
	struct sim_truth *t = NULL;
	int j = 0;

	if (q->cur_truth >= 0) {
		t = &s->truth[q->cur_truth];
		t->retries++;
	} else {
		t = truth_new(s);
		if (!t)
			return;
		q->cur_truth = t - s->truth;
		t->smmu = q->smmu;
		t->queue = q->qi;
		t->cmdq = q->ptr;
		t->abs = q->hw_cons_abs;
		t->pos = sim_q_pos(q->hw_cons_abs, q->shift);
		t->max_n_shift = q->shift;
		t->err_ns = s->now;
	}
	for (int i = 0; i < q->n_inv; i++) {
		struct inv *v = &q->inv[i];

		if (v->fail && v->resolve <= s->now) {
			truth_add_dev(t, v->dev);
			if (v->call != sync->call)
				t->foreign = true;
			continue;
		}
		q->inv[j++] = *v;
	}
	q->n_inv = j;
	q->stalled = true;
	push(s, s->now + IRQ_NS, SEV_ISR_FIRE, q - s->q, 0);
}

static bool hw_sync(struct sim *s, struct queue *q, const struct lcmd *c)
{
	uint64_t next = UINT64_MAX;
	uint32_t idx = q->hw_cons_abs & (q->size - 1);
	bool failed = false;
	int j = 0;

	for (int i = 0; i < q->n_inv; i++) {
		struct inv *v = &q->inv[i];

		if (v->resolve <= s->now && !v->fail)
			continue;		/* answered: done */
		if (v->resolve <= s->now)
			failed = true;
		else if (v->resolve < next)
			next = v->resolve;
		q->inv[j++] = *v;
	}
	q->n_inv = j;
	if (failed) {
		hw_error(s, q, c);
		return false;
	}
	if (q->n_inv) {
		hw_arm(s, q, next);
		return false;
	}
	/* complete: the MSI zeroes the low word of its own slot */
	if (q->msi && q->ring_abs[idx] == q->hw_cons_abs)
		q->ring[idx][0] &= ~0xffffffffULL;
	if (c->cpu >= 0)
		push(s, s->now + SYNC_NS + POLL_NS, SEV_SYNC_DONE, c->cpu, c->call);
	hw_consume(s, q, SYNC_NS);
	return true;
}

static void hw_step(struct sim *s, struct queue *q)
{
	while (!q->stalled && q->hw_cons_abs < q->hw_prod_abs) {
		const struct lcmd *c;
		uint8_t op;

		if (q->busy_until > s->now) {
			hw_arm(s, q, q->busy_until);
			return;
		}
		c = qlog(q, q->hw_cons_abs);
		op = spec_op(c->w);
		if (op == SPEC_OP_CMD_SYNC) {
			if (!hw_sync(s, q, c))
				return;
			continue;
		}
		if (op == SPEC_OP_ATC_INV && c->dev >= 0)
			inv_issue(s, q, c);
		hw_consume(s, q, CMD_NS);
	}
}

static uint32_t hw_cons_reg(const struct queue *q)
{
	uint32_t v = sim_q_pos(q->hw_cons_abs, q->shift);

	return q->stalled ? v | (uint32_t)SMMU_CERROR_ATC_INV_SYNC << 24 : v;
}

/* ---- the error interrupt ------------------------------------------------------ */

/* bpf/smmutrace.bpf.c queue_walk(), over the ring memory as it is now */
static void isr_walk(struct sim *s, struct queue *q, uint32_t cons, int cpu)
{
	struct smmu_event ev;
	struct smmu_ev_queue_walk *w = &ev.walk;
	uint32_t mask = q->size - 1, idx = cons & mask;

	bpf_hdr(s, &ev, SMMU_EV_QUEUE_WALK, EV_SIZE(walk), q->smmu, cpu);
	w->cmdq = q->ptr;
	w->cons = cons;
	w->max_n_shift = q->shift;
	w->bitmap = s->cfg->kernel == SIM_UNPATCHED ? 2 : q->bitmap[idx];
	w->sync_cmd[0] = q->ring[idx][0];
	w->sync_cmd[1] = q->ring[idx][1];
	if ((w->sync_cmd[0] & 0xff) != SPEC_OP_CMD_SYNC) {
		w->stop = SMMU_WALK_NOT_SYNC;
		goto out;
	}
	w->stop = SMMU_WALK_BOUND;
	for (uint32_t i = 1; i <= WALK_MAX && i <= mask; i++) {
		const uint64_t *slot = q->ring[(idx - i) & mask];
		uint32_t k;

		w->walked = i;
		if (spec_op(slot) == SPEC_OP_CMD_SYNC) {
			w->stop = SMMU_WALK_PREV_SYNC;
			break;
		}
		if (!(uint32_t)slot[0]) {
			w->stop = SMMU_WALK_DONE_SYNC;
			break;
		}
		if (spec_op(slot) != SPEC_OP_ATC_INV)
			continue;
		w->n_atc++;
		k = w->n_atc_rec;
		if (k >= SMMU_MAX_ATC)
			continue;
		atc_record(slot, &w->atc[k]);
		w->n_atc_rec = k + 1;
	}
out:
	bpf_emit(s, &ev);
}

static bool walk_is_stale(const struct queue *q, uint64_t abs)
{
	uint32_t mask = q->size - 1;

	for (uint32_t i = 0; i <= WALK_MAX && i <= mask; i++) {
		uint32_t idx = (abs - i) & mask;
		uint8_t op;

		if (q->ring_abs[idx] != abs - i)
			return true;
		op = spec_op(q->ring[idx]);
		if (i && (op == SPEC_OP_CMD_SYNC || !(uint32_t)q->ring[idx][0]))
			return false;
	}
	return false;
}

static struct queue *cpu_q(struct sim *s, struct cpu *c);

/* is a call still polling the CMD_SYNC at abs? (it will clear that slot's bit) */
static bool polled(struct sim *s, struct queue *q, uint64_t abs)
{
	for (int i = 0; i < s->cfg->n_cpus; i++) {
		struct cpu *c = &s->cpu[i];

		if (c->polling && c->sync_abs == abs && cpu_q(s, c) == q)
			return true;
	}
	return false;
}

static void isr_run(struct sim *s, struct queue *q, int cpu)
{
	uint32_t cons = hw_cons_reg(q), idx = cons & (q->size - 1);
	struct sim_truth *t = q->cur_truth >= 0 ? &s->truth[q->cur_truth] : NULL;

	if (!q->stalled)
		return;
	/* the BPF ISR probe: lets issuers notice an error while they waited */
	s->err_gen++;
	s->smmu_err_gen[q->smmu] = s->err_gen;
	if (!q->qi)
		say(s, q->smmu, cpu,
		    "unexpected global error reported (0x%08x), this could be serious",
		    SPEC_GERROR_CMDQ_ERR);
	/* arm_smmu_cmdq_skip_err()'s text for CERROR_ATC_INV_SYNC */
	say(s, q->smmu, cpu, "CMDQ error (cons 0x%08x): ATC invalidate timeout", cons);
	if (s->cfg->kernel != SIM_UNPATCHED) {
		q->bitmap[idx] = 1;
		q->bm_truth[idx] = q->cur_truth;
		if (t && !polled(s, q, q->hw_cons_abs))
			t->bit_left = true;
	}
	isr_walk(s, q, cons, cpu);
	if (t) {
		if (!t->isr_ns)
			t->isr_ns = s->now;
		if (walk_is_stale(q, q->hw_cons_abs)) {
			t->walk_stale = true;
			s->st.walks_stale++;
		}
	}
	push(s, s->now + ISR_NS, SEV_ACK, q - s->q, 0);
}

/*
 * IRQs are off for the whole call, except while it waits for queue space:
 * the driver restores the caller's IRQ state there, which is "off" only in
 * hard-IRQ context (or under a spin_lock_irqsave, not modelled).
 */
static bool irqs_off(const struct sim *s, const struct cpu *c)
{
	if (!c->in_call)
		return false;
	return !c->waiting_space || s->cfg->src[c->src].ctx == SMMU_CTX_HARDIRQ;
}

static void run_pending_isrs(struct sim *s, struct cpu *c)
{
	for (int i = 0; i < c->n_pend; i++) {
		uint64_t t = s->now + IRQ_NS + (uint64_t)i * ISR_NS;

		push(s, t, SEV_ISR_RUN, c->pend[i], c->id);
		if (c->free_at < t + ISR_NS)
			c->free_at = t + ISR_NS;
	}
	c->n_pend = 0;
}

static void isr_fire(struct sim *s, struct queue *q)
{
	struct cpu *c = &s->cpu[q->irq_cpu];

	if (irqs_off(s, c)) {
		/* IRQs are off while it spins: the handler waits for the call */
		if (c->n_pend < 8)
			c->pend[c->n_pend++] = q - s->q;
		if (q->cur_truth >= 0)
			s->truth[q->cur_truth].late_isr = true;
		s->st.isr_late++;
		return;
	}
	if (c->free_at < s->now + ISR_NS)
		c->free_at = s->now + ISR_NS;
	push(s, s->now, SEV_ISR_RUN, q - s->q, c->id);
}

/* ---- the issuers ------------------------------------------------------------- */

static struct queue *cpu_q(struct sim *s, struct cpu *c)
{
	return &s->q[c->plan[c->cur].q];
}

static void plan_batch(struct sim *s, struct cpu *c, int qi, const struct lcmd *cmds, int n)
{
	/* arm_smmu_cmdq_batch_add() flushes a full batch without a sync */
	for (int off = 0; off < n;) {
		int left = n - off, k = left > BATCH ? BATCH : left;
		struct plan *p;

		if (c->n_plan == MAX_PLANS)
			return;
		p = &c->plan[c->n_plan++];
		p->q = qi;
		p->n = k;
		p->sync = left <= BATCH;
		memcpy(p->cmd, cmds + off, k * sizeof(*cmds));
		off += k;
	}
}

static void job_build(struct sim *s, struct cpu *c, int si)
{
	const struct sim_src *src = &s->cfg->src[si];
	const struct sim_smmu *sm = &s->cfg->smmu[src->smmu];
	int dom = rnd_range(s, src->dom_lo, src->dom_hi);
	int ntlbi = rnd_range(s, src->tlbi_min, src->tlbi_max);
	int reps = rnd_range(s, src->reps_min ? src->reps_min : 1, src->reps_max);
	int qi = s->qidx[src->smmu][0];
	struct lcmd *cmds = s->job_cmds;
	uint64_t iova = rnd_range(s, 1, 1 << 20) << 21;
	const struct sim_dom *d = &s->cfg->dom[dom];
	int n = 0, one = -1;

	if (src->vcmdq && sm->n_vcmdq)
		qi = s->qidx[src->smmu][1 + c->id % sm->n_vcmdq];
	c->src = si;
	c->n_plan = 0;
	c->cur = 0;
	for (int i = 0; i < ntlbi && n < MAX_PLANS * BATCH / 2; i++)
		cmds[n++] = tlbi_cmd(dom + 1, iova + (uint64_t)i * 4096);
	if (n)
		plan_batch(s, c, qi, cmds, n);
	n = 0;
	/* arm_smmu_atc_inv_master(): ATS enable/disable, PASID removal, one master */
	if (src->master_pct && rnd(s) % 100 < src->master_pct) {
		c->n_plan = 0;
		one = rnd_range(s, 0, d->n_devs - 1);
	}
	for (int i = 0; i < d->n_devs; i++) {
		const struct sim_dev *dv = &s->cfg->dev[d->dev[i]];

		if (!dv->ats || (one >= 0 && i != one))
			continue;
		for (int k = 0; k < dv->n_sids; k++)
			for (int r = 0; r < reps && n < MAX_PLANS * BATCH / 2; r++)
				cmds[n++] = atc_cmd(dv->sid[k], iova + (uint64_t)r * 0x200000,
						    reps > 1 ? 9 : SPEC_ATC_SIZE_ALL, d->dev[i]);
	}
	if (n)
		plan_batch(s, c, qi, cmds, n);
	if (!c->n_plan) {
		cmds[0] = tlbi_cmd(dom + 1, iova);
		plan_batch(s, c, qi, cmds, 1);
	}
	s->st.jobs++;
}

static void job_next(struct sim *s, struct cpu *c)
{
	int si;

	if (!c->f_n) {
		c->in_job = false;
		return;
	}
	si = c->fifo[c->f_head];
	c->f_head = (c->f_head + 1) % FIFO;
	c->f_n--;
	job_build(s, c, si);
	c->in_job = true;
	push(s, s->now > c->free_at ? s->now : c->free_at, SEV_CALL, c->id, 0);
}

static bool q_space(struct queue *q, uint32_t need)
{
	/* the log keeps LOG_LAPS laps; a driver running further ahead is not modelled */
	if (q->prod_abs + need - q->hw_cons_abs > (uint64_t)q->size * (LOG_LAPS - 1))
		return false;
	return sim_q_has_space(sim_q_pos(q->prod_abs, q->shift), q->cons32, need, q->shift);
}

static void call_written(struct sim *s, struct cpu *c, uint64_t t)
{
	struct plan *p = &c->plan[c->cur];
	struct queue *q = cpu_q(s, c);

	if (!p->sync) {
		push(s, t, SEV_RET, c->id, c->call_id);
		return;
	}
	c->polling = true;
	q->sync_waiters++;
	push(s, t + POLL_TIMEOUT_NS, SEV_POLL_TIMEOUT, c->id, c->call_id);
}

static void try_reserve(struct sim *s, struct cpu *c)
{
	struct plan *p = &c->plan[c->cur];
	struct queue *q = cpu_q(s, c);
	uint32_t need = p->n + p->sync;

	if (!q_space(q, need)) {
		/* queue looks full: re-read the hardware CONS under the exclusive lock */
		q->cons32 = sim_q_pos(q->hw_cons_abs, q->shift);
		if (!q_space(q, need)) {
			if (!c->waiting_space) {
				c->waiting_space = true;
				s->st.queue_full_waits++;
				push(s, s->now + POLL_TIMEOUT_NS, SEV_FULL_TIMEOUT, c->id,
				     c->call_id);
				if (!irqs_off(s, c))
					run_pending_isrs(s, c);
			}
			q->space_waiters |= 1u << c->id;
			return;
		}
	}
	c->waiting_space = false;
	c->start_abs = q->prod_abs;
	c->sync_abs = q->prod_abs + p->n;
	q->prod_abs += need;
	for (int i = 0; i < p->n; i++) {
		struct lcmd cmd = p->cmd[i];

		cmd.call = c->call_id;
		cmd.cpu = -1;
		q_write(q, c->start_abs + i, &cmd);
	}
	if (p->sync) {
		struct lcmd cmd = sync_cmd(q, c->sync_abs);

		cmd.call = c->call_id;
		cmd.cpu = c->id;
		q_write(q, c->sync_abs, &cmd);
		s->st.syncs++;
	}
	s->st.cmds += need;
	if (!q->owned) {
		/* OWNED flag was clear: this CPU publishes what gathers behind it */
		q->owned = true;
		q->owner_cpu = c->id;
		c->owner = true;
		push(s, s->now + OWNER_NS, SEV_PUBLISH, q - s->q, 0);
		return;
	}
	c->owner = false;
	call_written(s, c, s->now + WRITE_NS);
}

static void call_begin(struct sim *s, struct cpu *c)
{
	struct queue *q = cpu_q(s, c);

	c->in_call = true;
	c->call_id = ++s->calls;
	c->entry_ns = s->now;
	c->prod_entry = sim_q_pos(q->prod_abs, q->shift);
	c->err_gen0 = s->err_gen;
	s->st.calls++;
	try_reserve(s, c);
}

/* bpf/issue.bpf.h carry_add(): a sync-less chunk's ATC_INVs wait for the sync call */
static void carry_into(struct carry *k, const struct plan *p, uint64_t cmdq, uint32_t tid)
{
	if (k->n_atc && (k->tid != tid || k->cmdq != cmdq))
		k->n_atc = 0;	/* someone else's batch never got its sync here */
	if (!k->n_atc) {
		k->tid = tid;
		k->cmdq = cmdq;
		k->n_rec = 0;
	}
	for (int i = 0; i < p->n; i++) {
		const struct lcmd *cmd = &p->cmd[i];

		if (spec_op(cmd->w) != SPEC_OP_ATC_INV)
			continue;
		k->n_atc++;
		if (k->n_rec >= SMMU_MAX_ATC)
			continue;
		atc_record(cmd->w, &k->atc[k->n_rec]);
		k->n_rec++;
	}
}

static void emit_issue(struct sim *s, struct cpu *c, int ret, uint32_t why,
		       uint32_t errors, const struct carry *k)
{
	const struct sim_src *src = &s->cfg->src[c->src];
	const struct plan *p = &c->plan[c->cur];
	struct queue *q = cpu_q(s, c);
	struct smmu_event ev;
	struct smmu_ev_issue *is = &ev.issue;
	uint32_t own = 0;

	bpf_hdr(s, &ev, SMMU_EV_ISSUE, EV_SIZE(issue), q->smmu, c->id);
	is->cmdq = q->ptr;
	is->smmu_ptr = SMMU_BASE_PTR + (uint64_t)q->smmu * 0x100000;
	/* what BPF derives from the kernel's BTF: queue 0 is the SMMU's own */
	ev.hdr.flags |= q->qi ? SMMU_EVF_OTHER_CMDQ : SMMU_EVF_MAIN_CMDQ;
	is->duration_ns = s->now - c->entry_ns;
	is->prod_entry = c->prod_entry;
	is->prod_exit = sim_q_pos(q->prod_abs, q->shift);
	is->sync_prod = s->cfg->gcc && p->sync ? sim_q_pos(c->sync_abs, q->shift) : SMMU_NO_POS;
	is->ret = ret;
	is->pid = src->pid;
	is->tid = src->tid;
	is->max_n_shift = q->shift;
	is->n = p->n;
	is->sync = p->sync;
	is->ctx = src->ctx;
	is->why = why;
	is->errors_seen = errors;
	snprintf(is->comm, sizeof(is->comm), "%s", src->comm);
	for (uint32_t i = 0; k && i < k->n_rec; i++)
		is->atc[is->n_atc_rec++] = k->atc[i];
	for (int i = 0; i < p->n; i++) {
		const struct lcmd *cmd = &p->cmd[i];

		if (spec_op(cmd->w) != SPEC_OP_ATC_INV)
			continue;
		own++;
		if (is->n_atc_rec >= SMMU_MAX_ATC)
			continue;
		atc_record(cmd->w, &is->atc[is->n_atc_rec]);
		is->n_atc_rec++;
	}
	is->n_atc = own + (k ? k->n_atc : 0);
	bpf_emit(s, &ev);
}

static uint32_t own_atc(const struct plan *p)
{
	uint32_t n = 0;

	for (int i = 0; i < p->n; i++)
		n += spec_op(p->cmd[i].w) == SPEC_OP_ATC_INV;
	return n;
}

/* bpf/issue.bpf.h issue_end(): emit only the calls that matter */
static void issue_end(struct sim *s, struct cpu *c, int ret)
{
	const struct sim_src *src = &s->cfg->src[c->src];
	const struct plan *p = &c->plan[c->cur];
	struct queue *q = cpu_q(s, c);
	struct carry *k = &c->carry[src->ctx];
	uint64_t dur = s->now - c->entry_ns;
	uint32_t why = ret ? SMMU_WHY_RET : 0, errors = 0;
	bool carried = false;

	if (!p->sync) {
		if (own_atc(p))
			carry_into(k, p, q->ptr, src->tid);
	} else {
		carried = k->n_atc && k->tid == src->tid && k->cmdq == q->ptr;
		if (own_atc(p) + (carried ? k->n_atc : 0)) {
			if (s->err_gen != c->err_gen0 && s->smmu_err_gen[q->smmu] > c->err_gen0)
				errors = s->err_gen - c->err_gen0;
			if (errors)
				why |= SMMU_WHY_ERROR;
		}
		if (dur > SLOW_NS)
			why |= SMMU_WHY_SLOW;
	}
	if (why)
		emit_issue(s, c, ret, why, errors, carried ? k : NULL);
	if (carried)
		k->n_atc = 0;
}

static void call_return(struct sim *s, struct cpu *c, int ret)
{
	issue_end(s, c, ret);
	c->in_call = false;
	c->polling = false;
	/* IRQs back on: a GERROR held off by the spin is handled now */
	run_pending_isrs(s, c);
	if (++c->cur < c->n_plan) {
		uint64_t t = s->now + GAP_NS;

		push(s, t > c->free_at ? t : c->free_at, SEV_CALL, c->id, 0);
		return;
	}
	job_next(s, c);
}

static void sw_timeout(struct sim *s, struct cpu *c, struct queue *q)
{
	struct swto *w;

	s->st.sw_timeouts++;
	if (ratelimit_ok(s, &s->rl_sync, c->id))
		say(s, q->smmu, c->id, "CMD_SYNC timeout at 0x%08x [hwprod 0x%08x, hwcons 0x%08x]",
		    sim_q_pos(c->sync_abs, q->shift), sim_q_pos(q->hw_prod_abs, q->shift),
		    hw_cons_reg(q));
	if (s->n_swto == s->cap_swto) {
		int cap = s->cap_swto ? 2 * s->cap_swto : 64;

		w = realloc(s->swto, cap * sizeof(*w));
		if (!w) {
			s->oom = true;
			return;
		}
		s->swto = w;
		s->cap_swto = cap;
	}
	s->swto[s->n_swto++] = (struct swto){ q - s->q, c->sync_abs, q->hw_cons_abs, s->now };
}

static void call_finish(struct sim *s, struct cpu *c, bool timed_out)
{
	struct queue *q = cpu_q(s, c);
	uint32_t idx = c->sync_abs & (q->size - 1), llq_cons;
	int ret = 0;

	c->polling = false;
	if (timed_out) {
		ret = -ETIMEDOUT;
		sw_timeout(s, c, q);
	}
	/*
	 * __arm_smmu_cmdq_poll_until_msi(): cons = ret ? the sync's own slot :
	 * the slot after it; CONS polling keeps what it last read.  Only the
	 * last shared-lock holder writes it back, and a timed-out one can put
	 * it past a CMD_SYNC the SMMU is still stuck on.
	 */
	if (q->msi)
		llq_cons = sim_q_pos(timed_out ? c->sync_abs : c->sync_abs + 1, q->shift);
	else
		llq_cons = hw_cons_reg(q);
	if (--q->sync_waiters == 0) {
		q->cons32 = llq_cons;
		wake_space_waiters(s, q);
	}
	if (s->cfg->kernel != SIM_UNPATCHED && q->bitmap[idx]) {
		/* test_and_clear_bit(Q_IDX(sync_prod), atc_sync_timeouts) */
		int k = q->bm_truth[idx];

		if (k >= 0 && s->truth[k].abs != c->sync_abs && !s->truth[k].claimed) {
			s->truth[k].claimed = true;	/* a false failure: not its CMD_SYNC */
			s->truth[k].claim_pos = sim_q_pos(c->sync_abs, q->shift);
			s->truth[k].claim_ns = s->now;
		}
		q->bitmap[idx] = 0;
		q->bm_truth[idx] = -1;
		ret = s->cfg->kernel == SIM_PATCHED_V2 ? -ETIMEDOUT : -EIO;
		if (ratelimit_ok(s, &s->rl_atc, c->id))
			say(s, q->smmu, c->id, "CMD_SYNC for ATC_INV timeout at prod=0x%08x",
			    sim_q_pos(c->sync_abs, q->shift));
	}
	call_return(s, c, ret);
}

/* ---- the event loop ----------------------------------------------------------- */

static void on_job(struct sim *s, int si)
{
	const struct sim_src *src = &s->cfg->src[si];
	struct cpu *c = &s->cpu[src->cpu];
	uint64_t next = s->now + rnd_exp(s, src->rate);

	if (next < s->cfg->duration_ns)
		push(s, next, SEV_JOB, si, 0);
	if (c->f_n == FIFO)
		return;		/* the CPU is saturated: the job is dropped */
	c->fifo[(c->f_head + c->f_n++) % FIFO] = si;
	if (!c->in_job)
		job_next(s, c);
}

static bool stale_call(const struct cpu *c, uint64_t call)
{
	return !c->in_call || c->call_id != call;
}

static void dispatch(struct sim *s, const struct sev *e)
{
	struct queue *q;
	struct cpu *c;

	switch (e->kind) {
	case SEV_JOB:
		on_job(s, e->a);
		return;
	case SEV_TICK: {
		struct smmu_event ev;

		bpf_hdr(s, &ev, SMMU_EV_TICK, sizeof(ev.hdr), -1, 0);
		ev.hdr.flags = SMMU_EVF_MONO;
		s->emit(s->ctx, &ev);
		if (s->now + NSEC < s->cfg->duration_ns + DRAIN_NS)
			push(s, s->now + NSEC, SEV_TICK, 0, 0);
		return;
	}
	case SEV_CALL:
		c = &s->cpu[e->a];
		if (c->free_at > s->now) {
			push(s, c->free_at, SEV_CALL, c->id, 0);
			return;
		}
		call_begin(s, c);
		return;
	case SEV_PUBLISH:
		q = &s->q[e->a];
		q->hw_prod_abs = q->prod_abs;
		q->owned = false;
		hw_arm(s, q, s->now);
		c = &s->cpu[q->owner_cpu];
		call_written(s, c, s->now);
		return;
	case SEV_HW:
		q = &s->q[e->a];
		if (e->b != q->hw_token)
			return;
		q->hw_armed = false;
		hw_step(s, q);
		return;
	case SEV_SYNC_DONE:
	case SEV_POLL_TIMEOUT:
		c = &s->cpu[e->a];
		if (stale_call(c, e->b) || !c->polling)
			return;
		call_finish(s, c, e->kind == SEV_POLL_TIMEOUT);
		return;
	case SEV_RET:
		c = &s->cpu[e->a];
		if (!stale_call(c, e->b))
			call_return(s, c, 0);
		return;
	case SEV_RESERVE:
		c = &s->cpu[e->a];
		if (!stale_call(c, e->b) && c->waiting_space)
			try_reserve(s, c);
		return;
	case SEV_FULL_TIMEOUT:
		c = &s->cpu[e->a];
		if (stale_call(c, e->b) || !c->waiting_space)
			return;
		if (ratelimit_ok(s, &s->rl_full, c->id))
			say(s, cpu_q(s, c)->smmu, c->id, "CMDQ timeout");
		push(s, s->now + POLL_TIMEOUT_NS, SEV_FULL_TIMEOUT, c->id, c->call_id);
		return;
	case SEV_ISR_FIRE:
		isr_fire(s, &s->q[e->a]);
		return;
	case SEV_ISR_RUN:
		isr_run(s, &s->q[e->a], (int)e->b);
		return;
	case SEV_ACK:
		q = &s->q[e->a];
		q->stalled = false;
		hw_arm(s, q, s->now);
		return;
	}
}

/* ---- setup and the run ------------------------------------------------------------ */

static int q_init(struct sim *s, int smmu, int qi, unsigned int shift, bool msi, int irq_cpu)
{
	struct queue *q = &s->q[s->n_q];

	memset(q, 0, sizeof(*q));
	q->smmu = smmu;
	q->qi = qi;
	q->ptr = sim_cmdq_ptr(smmu, qi);
	q->shift = shift;
	q->size = 1u << shift;
	q->msi = msi;
	q->cs_none = qi > 0;	/* Tegra241 VCMDQ: CS_NONE and CONS polling */
	q->irq_cpu = irq_cpu;
	q->cur_truth = -1;
	q->ring = calloc(q->size, sizeof(*q->ring));
	q->ring_abs = malloc(q->size * sizeof(*q->ring_abs));
	q->log = calloc((size_t)q->size * LOG_LAPS, sizeof(*q->log));
	q->bitmap = calloc(q->size, 1);
	q->bm_truth = malloc(q->size * sizeof(*q->bm_truth));
	if (!q->ring || !q->ring_abs || !q->log || !q->bitmap || !q->bm_truth)
		return -ENOMEM;
	memset(q->ring_abs, 0xff, q->size * sizeof(*q->ring_abs));
	memset(q->bm_truth, 0xff, q->size * sizeof(*q->bm_truth));
	s->qidx[smmu][qi] = s->n_q++;
	return 0;
}

static void q_free(struct queue *q)
{
	free(q->ring);
	free(q->ring_abs);
	free(q->log);
	free(q->bitmap);
	free(q->bm_truth);
	free(q->inv);
}

static int setup(struct sim *s)
{
	const struct sim_config *cfg = s->cfg;

	if (cfg->n_cpus > SIM_MAX_CPUS || cfg->n_smmus > SIM_MAX_SMMUS)
		return -EINVAL;
	for (int i = 0; i < cfg->n_cpus; i++)
		s->cpu[i].id = i;
	for (int i = 0; i < cfg->n_smmus; i++) {
		const struct sim_smmu *sm = &cfg->smmu[i];
		int err = q_init(s, i, 0, sm->max_n_shift, sm->msi, sm->irq_cpu);

		for (int v = 0; !err && v < sm->n_vcmdq && v < SIM_MAX_VCMDQ; v++)
			err = q_init(s, i, 1 + v, sm->vcmdq_shift, false, sm->irq_cpu);
		if (err)
			return err;
	}
	/* what the BPF streams walk reports when it first sees each SMMU */
	for (int i = 0; i < cfg->n_devs; i++) {
		const struct sim_dev *d = &cfg->dev[i];

		for (int k = 0; k < d->n_sids; k++) {
			struct smmu_event ev;

			bpf_hdr(s, &ev, SMMU_EV_SID_MAP, EV_SIZE(sid_map), d->smmu, 0);
			ev.sid_map.sid = d->sid[k];
			ev.sid_map.origin = SMMU_SID_KERNEL;
			snprintf(ev.sid_map.dev, sizeof(ev.sid_map.dev), "%s", d->name);
			bpf_emit(s, &ev);
		}
	}
	for (int i = 0; i < cfg->n_srcs; i++)
		if (cfg->src[i].rate && cfg->src[i].cpu < cfg->n_cpus)
			push(s, rnd_exp(s, cfg->src[i].rate), SEV_JOB, i, 0);
	push(s, NSEC, SEV_TICK, 0, 0);
	return 0;
}

/* a software timeout is its own failure, or collateral of the one that stalled the queue */
static void settle_truth(struct sim *s)
{
	for (int i = 0; i < s->n_swto; i++) {
		const struct swto *w = &s->swto[i];
		const struct queue *q = &s->q[w->q];
		struct sim_truth *t;
		int self = -1, blocker = -1;

		for (int k = 0; k < s->n_truth; k++) {
			const struct sim_truth *f = &s->truth[k];

			if (f->collateral || f->smmu != q->smmu || f->queue != q->qi)
				continue;
			if (f->abs == w->abs)
				self = k;
			else if (f->abs == w->hw_at)
				blocker = k;
		}
		if (self >= 0) {
			s->truth[self].sw_timeout = true;
			continue;
		}
		t = truth_new(s);
		if (!t)
			return;
		t->collateral = true;
		t->smmu = q->smmu;
		t->queue = q->qi;
		t->cmdq = q->ptr;
		t->abs = w->abs;
		t->pos = sim_q_pos(w->abs, q->shift);
		t->max_n_shift = q->shift;
		t->err_ns = w->t;
		t->blocker = blocker;
		if (blocker >= 0) {
			t->n_devs = s->truth[blocker].n_devs;
			memcpy(t->dev, s->truth[blocker].dev, sizeof(t->dev));
		}
	}
}

int sim_run(const struct sim_config *cfg, sim_emit_fn emit, void *ctx, struct sim_result *res)
{
	struct sim *s = calloc(1, sizeof(*s));
	uint64_t end = cfg->duration_ns + DRAIN_NS;
	struct sev e;
	int err;

	memset(res, 0, sizeof(*res));
	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->emit = emit;
	s->ctx = ctx;
	s->rng = cfg->seed;
	kmsg_parser_init(&s->parser, 2026, on_parsed, s);
	err = setup(s);
	while (!err && !s->oom && pop(s, &e) && e.t <= end) {
		s->now = e.t;
		dispatch(s, &e);
	}
	kmsg_parser_finish(&s->parser);
	if (!err && s->oom)
		err = -ENOMEM;
	if (!err)
		settle_truth(s);
	res->truth = s->truth;
	res->n_truth = s->n_truth;
	res->stats = s->st;
	for (int i = 0; i < s->n_q; i++)
		q_free(&s->q[i]);
	free(s->heap.v);
	free(s->swto);
	free(s);
	return err;
}

void sim_result_free(struct sim_result *res)
{
	free(res->truth);
	res->truth = NULL;
	res->n_truth = 0;
}
