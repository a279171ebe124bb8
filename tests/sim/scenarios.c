// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The scenarios `make accuracy` runs.  Each one stresses one way the
 * hardware or the driver hides the culprit; rates and probabilities are
 * chosen so a 20 s run holds a few dozen failing CMD_SYNCs.
 */
#include <stdio.h>
#include <string.h>

#include "scenarios.h"

#define MS	1000000ULL
#define SEC	1000000000ULL

static int smmu_add(struct sim_config *c, const char *name, unsigned int shift, bool msi,
		    int irq_cpu)
{
	struct sim_smmu *s = &c->smmu[c->n_smmus];

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->max_n_shift = shift;
	s->msi = msi;
	s->irq_cpu = irq_cpu;
	return c->n_smmus++;
}

/* a PCI function behind smmu; SID = RID, plus n_alias bridge aliases */
static int dev_add(struct sim_config *c, int smmu, int seg, int bus, int fn, int n_alias)
{
	struct sim_dev *d = &c->dev[c->n_devs];

	snprintf(d->name, sizeof(d->name), "%04x:%02x:00.%d", seg, bus, fn);
	d->smmu = smmu;
	d->ats = true;
	d->sid[0] = bus << 8 | fn;
	d->n_sids = 1;
	for (int i = 0; i < n_alias && d->n_sids < SIM_MAX_SIDS; i++)
		d->sid[d->n_sids++] = (bus - 1) << 8 | (0xf8 + i);
	d->resp_ns = 1200 + 400 * (c->n_devs % 5);
	d->cto_ns = 50 * MS;
	return c->n_devs++;
}

static void dev_flaky(struct sim_config *c, int dev, uint32_t ppm, uint64_t cto_ns)
{
	c->dev[dev].p_fail_ppm = ppm;
	c->dev[dev].cto_ns = cto_ns;
}

static int dom_add(struct sim_config *c, int n, const int *devs)
{
	struct sim_dom *d = &c->dom[c->n_doms];

	d->n_devs = n;
	for (int i = 0; i < n; i++)
		d->dev[i] = devs[i];
	return c->n_doms++;
}

/* one domain per device, in device order: returns the first */
static int dom_per_dev(struct sim_config *c, int first_dev, int n)
{
	int first = c->n_doms;

	for (int i = 0; i < n; i++) {
		int dv = first_dev + i;

		dom_add(c, 1, &dv);
	}
	return first;
}

static struct sim_src *src_add(struct sim_config *c, int cpu, int ctx, const char *comm,
			       uint32_t pid, uint32_t rate, int smmu, int dom_lo, int dom_hi)
{
	struct sim_src *s = &c->src[c->n_srcs++];

	s->cpu = cpu;
	s->ctx = ctx;
	snprintf(s->comm, sizeof(s->comm), "%s", comm);
	s->pid = s->tid = pid;
	s->rate = rate;
	s->smmu = smmu;
	s->dom_lo = dom_lo;
	s->dom_hi = dom_hi;
	s->tlbi_min = 1;
	s->tlbi_max = 8;
	s->reps_min = s->reps_max = 1;
	return s;
}

static void base(struct sim_config *c, int cpus)
{
	c->duration_ns = 20 * SEC;
	c->gcc = true;
	c->n_cpus = cpus;
}

/* one thread on one CPU, the interrupt elsewhere: every walk is exact */
static void single_issuer(struct sim_config *c)
{
	int s, d0, dm;

	base(c, 2);
	c->seed = 101;
	s = smmu_add(c, "arm-smmu-v3.0.auto", 10, true, 0);
	d0 = dev_add(c, s, 0, 1, 0, 0);
	for (int i = 1; i < 4; i++)
		dev_add(c, s, 0, 1 + i, 0, 0);
	dev_flaky(c, d0 + 2, 20000, 20 * MS);
	dm = dom_per_dev(c, d0, 4);
	src_add(c, 1, SMMU_CTX_TASK, "fio", 2301, 400, s, dm, dm + 3);
}

/* four CPUs in task, softirq and hardirq context on one queue */
static void concurrent(struct sim_config *c)
{
	int s, d0, dm;

	base(c, 4);
	c->seed = 202;
	c->gcc = false;		/* clang-built kernel: no write_entries probe */
	s = smmu_add(c, "arm-smmu-v3.0.auto", 12, true, 3);
	d0 = dev_add(c, s, 0, 1, 0, 0);
	for (int i = 1; i < 8; i++)
		dev_add(c, s, 0, 1 + i, i & 1, 0);
	dev_flaky(c, d0 + 5, 15000, 10 * MS);
	/* answers later than the issuer's 1 s poll: "CMD_SYNC timeout" comes first */
	dev_flaky(c, d0 + 2, 1500, 1300 * MS);
	dm = dom_per_dev(c, d0, 8);
	src_add(c, 0, SMMU_CTX_TASK, "postgres", 4110, 300, s, dm, dm + 7);
	src_add(c, 1, SMMU_CTX_SOFTIRQ, "ksoftirqd/1", 22, 300, s, dm, dm + 7);
	src_add(c, 2, SMMU_CTX_HARDIRQ, "swapper/2", 0, 300, s, dm, dm + 7);
	src_add(c, 3, SMMU_CTX_TASK, "kworker/u8:1", 97, 20, s, dm, dm + 7);
}

/* a 128-entry queue under big TLBI batches: every index recurs many times */
static void wrap_heavy(struct sim_config *c)
{
	int s, d0, dm;

	base(c, 3);
	c->seed = 303;
	s = smmu_add(c, "arm-smmu-v3.0.auto", 7, true, 2);
	d0 = dev_add(c, s, 0, 1, 0, 0);
	for (int i = 1; i < 6; i++)
		dev_add(c, s, 0, 1 + i, 0, 0);
	dev_flaky(c, d0 + 1, 15000, 5 * MS);
	dm = dom_per_dev(c, d0, 6);
	for (int cpu = 0; cpu < 2; cpu++) {
		struct sim_src *r = src_add(c, cpu, SMMU_CTX_TASK, "dpdk-worker", 5000 + cpu,
					    500, s, dm, dm + 5);

		r->tlbi_min = 10;
		r->tlbi_max = 40;
	}
}

/* ATC batches over 64 commands, split into sync-less chunks, on several CPUs */
static void batch_splits(struct sim_config *c)
{
	int s, d0, dm;

	base(c, 3);
	c->seed = 404;
	s = smmu_add(c, "arm-smmu-v3.0.auto", 11, true, 2);
	d0 = dev_add(c, s, 0, 1, 0, 0);
	for (int i = 1; i < 6; i++)
		dev_add(c, s, 0, 1 + i, 0, 0);
	dev_flaky(c, d0 + 3, 4000, 15 * MS);
	dm = dom_per_dev(c, d0, 6);
	for (int cpu = 0; cpu < 2; cpu++) {
		struct sim_src *r = src_add(c, cpu, cpu ? SMMU_CTX_SOFTIRQ : SMMU_CTX_TASK,
					    cpu ? "ksoftirqd/1" : "qemu-system-aar", 6100 + cpu,
					    300, s, dm, dm + 5);

		r->reps_min = 20;
		r->reps_max = 90;
		r->tlbi_max = 70;
	}
}

/* three SMMUs with overlapping SID numbers, one with per-CPU virtual queues */
static void multi_smmu(struct sim_config *c)
{
	int s[3], d[3], dm[3];

	base(c, 4);
	c->seed = 505;
	c->gcc = false;
	s[0] = smmu_add(c, "arm-smmu-v3.0.auto", 10, true, 3);
	s[1] = smmu_add(c, "arm-smmu-v3.1.auto", 10, false, 3);
	s[2] = smmu_add(c, "arm-smmu-v3.2.auto", 9, true, 3);
	c->smmu[s[2]].n_vcmdq = 2;
	c->smmu[s[2]].vcmdq_shift = 8;
	for (int k = 0; k < 3; k++) {
		d[k] = dev_add(c, s[k], k, 1, 0, 0);
		for (int i = 1; i < 4; i++)
			dev_add(c, s[k], k, 1 + i, 0, 0);
		dm[k] = dom_per_dev(c, d[k], 4);
	}
	dev_flaky(c, d[1] + 1, 20000, 20 * MS);
	dev_flaky(c, d[2] + 2, 20000, 20 * MS);
	/* a function that stops answering altogether for two seconds */
	c->dev[d[0] + 3].hung_from = 6 * SEC;
	c->dev[d[0] + 3].hung_to = 8 * SEC;
	for (int cpu = 0; cpu < 3; cpu++)
		for (int k = 0; k < 3; k++) {
			struct sim_src *r = src_add(c, cpu, SMMU_CTX_TASK, "nccl-proxy",
						    7000 + cpu, 150, s[k], dm[k], dm[k] + 3);

			r->vcmdq = k == 2;
		}
}

/* functions behind PCIe-to-PCI bridges (several SIDs) and a multi-function domain */
static void aliases(struct sim_config *c)
{
	int s, d0, dm, pair[2];

	base(c, 3);
	c->seed = 606;
	s = smmu_add(c, "arm-smmu-v3.0.auto", 10, true, 2);
	d0 = dev_add(c, s, 0, 2, 0, 2);
	dev_add(c, s, 0, 4, 0, 1);
	dev_add(c, s, 0, 6, 0, 0);
	dev_add(c, s, 0, 8, 0, 3);
	dev_add(c, s, 0, 8, 1, 0);
	dev_flaky(c, d0 + 3, 15000, 20 * MS);
	dm = dom_per_dev(c, d0, 4);
	pair[0] = d0 + 3;
	pair[1] = d0 + 4;
	dom_add(c, 2, pair);	/* both functions of bus 8 in one domain */
	src_add(c, 0, SMMU_CTX_TASK, "fio", 2301, 300, s, dm, dm + 4);
	src_add(c, 1, SMMU_CTX_HARDIRQ, "swapper/1", 0, 300, s, dm, dm + 4);
}

/*
 * GERROR lands on CPU0, which is busy issuing in hard-IRQ context: when it
 * spins behind the stalled CMD_SYNC with IRQs off, the ISR only runs after
 * its 1 s timeout.  A 128-entry queue under TLBI floods fills meanwhile, and
 * when a timed-out issuer is the last lock holder its llq.cons runs past the
 * stalled CMD_SYNC: waiters for space then rewrite the slots the ISR walks.
 */
static void isr_late(struct sim_config *c)
{
	int s, d0, dm;

	base(c, 6);
	c->seed = 707;
	c->duration_ns = 30 * SEC;
	s = smmu_add(c, "arm-smmu-v3.0.auto", 7, true, 0);
	d0 = dev_add(c, s, 0, 1, 0, 0);
	for (int i = 1; i < 6; i++)
		dev_add(c, s, 0, 1 + i, 0, 0);
	dev_flaky(c, d0, 10000, 30 * MS);
	dm = dom_per_dev(c, d0, 6);
	src_add(c, 1, SMMU_CTX_TASK, "vfio-worker", 3100, 200, s, dm, dm)->tlbi_max = 0;
	for (int cpu = 0; cpu < 6; cpu++) {
		struct sim_src *r;

		if (cpu == 1)
			continue;
		r = src_add(c, cpu, cpu ? SMMU_CTX_TASK : SMMU_CTX_HARDIRQ,
			    cpu ? "spdk" : "swapper/0", cpu ? 8000 + cpu : 0, 300, s,
			    dm + 1, dm + 5);
		r->tlbi_min = 30;
		r->tlbi_max = 63;
		/* and small ATC-only batches: what a reused slot may then hold */
		if (cpu & 1) {
			r = src_add(c, cpu, SMMU_CTX_SOFTIRQ, "ksoftirqd", 20 + cpu, 300, s,
				    dm + 1, dm + 5);
			r->tlbi_min = r->tlbi_max = 0;
		}
	}
}

static void patched(struct sim_config *c, enum sim_kernel k, uint64_t seed)
{
	int s, d0, dm;

	base(c, 4);
	c->seed = seed;
	c->kernel = k;
	s = smmu_add(c, "arm-smmu-v3.0.auto", 10, true, 3);
	d0 = dev_add(c, s, 0, 1, 0, 0);
	for (int i = 1; i < 8; i++)
		dev_add(c, s, 0, 1 + i, 0, i == 3);
	dev_flaky(c, d0 + 3, 15000, 20 * MS);
	dev_flaky(c, d0 + 6, 5000, 40 * MS);
	dm = dom_per_dev(c, d0, 8);
	src_add(c, 0, SMMU_CTX_TASK, "fio", 2301, 300, s, dm, dm + 7);
	src_add(c, 1, SMMU_CTX_SOFTIRQ, "ksoftirqd/1", 22, 300, s, dm, dm + 7);
	src_add(c, 2, SMMU_CTX_HARDIRQ, "swapper/2", 0, 300, s, dm, dm + 7);
	/* a little traffic on the GERROR CPU: now and then the ISR runs late */
	src_add(c, 3, SMMU_CTX_TASK, "kworker/3:1", 131, 10, s, dm, dm + 7);
}

static void patched_v2(struct sim_config *c)
{
	patched(c, SIM_PATCHED_V2, 808);
}

static void patched_v3(struct sim_config *c)
{
	patched(c, SIM_PATCHED_V3, 909);
}

/* one flaky NIC among 40 functions, some sharing a domain, rare failures */
static void flaky_among_many(struct sim_config *c)
{
	int s, d0, flaky;

	base(c, 4);
	c->seed = 1010;
	c->duration_ns = 40 * SEC;
	s = smmu_add(c, "arm-smmu-v3.0.auto", 12, true, 3);
	d0 = dev_add(c, s, 0, 0x10, 0, 0);
	for (int i = 1; i < 40; i++)
		dev_add(c, s, 0, 0x10 + i / 2, i % 2, i % 7 == 0);
	flaky = d0 + 9;
	dev_flaky(c, flaky, 15000, 10 * MS);
	for (int i = 0; i < 40; i += 2) {
		int pair[2] = { d0 + i, d0 + i + 1 };

		/* every fourth bus: both functions in one domain */
		if (i % 8 == 4) {
			dom_add(c, 2, pair);
		} else {
			dom_add(c, 1, &pair[0]);
			dom_add(c, 1, &pair[1]);
		}
	}
	for (int cpu = 0; cpu < 4; cpu++) {
		struct sim_src *r = src_add(c, cpu, cpu == 3 ? SMMU_CTX_SOFTIRQ : SMMU_CTX_TASK,
					    "nginx", 9000 + cpu, cpu == 3 ? 50 : 400, s, 0,
					    c->n_doms - 1);

		r->master_pct = 10;
	}
}

const struct scenario scenarios[] = {
	{ "single-issuer", "one thread, one CPU, IRQ elsewhere", single_issuer, true },
	{ "concurrent-issuers", "4 CPUs, task/softirq/hardirq, no sync_prod", concurrent, false },
	{ "wrap-heavy", "128-entry queue, big TLBI batches", wrap_heavy, false },
	{ "batch-splits", "ATC batches > 64 split into sync-less chunks", batch_splits, false },
	{ "multi-smmu", "3 SMMUs, same SIDs, per-CPU VCMDQs, a 2 s hang", multi_smmu, false },
	{ "aliases", "bridged functions with several SIDs, shared domain", aliases, false },
	{ "isr-late", "GERROR on the spinning CPU, ISR after the 1 s timeout", isr_late, false },
	{ "patched-v2", "atc_sync_timeouts bitmap, issuer gets -ETIMEDOUT", patched_v2, false },
	{ "patched-v3", "atc_sync_timeouts bitmap, issuer gets -EIO", patched_v3, false },
	{ "flaky-among-many", "one flaky function among 40, shared domains", flaky_among_many,
	  false },
};

const int n_scenarios = sizeof(scenarios) / sizeof(scenarios[0]);

void scenario_config(int i, uint64_t seed, struct sim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->name = scenarios[i].name;
	scenarios[i].build(cfg);
	if (seed)
		cfg->seed = seed;
}

static uint64_t draw(uint64_t *st, uint64_t lo, uint64_t hi)
{
	uint64_t z = (*st += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return lo + z % (hi - lo + 1);
}

void scenario_random(uint64_t seed, struct sim_config *c)
{
	static const uint64_t cto[] = { 2 * MS, 10 * MS, 50 * MS, 300 * MS, 1300 * MS };
	static const uint8_t ctx[] = { SMMU_CTX_TASK, SMMU_CTX_SOFTIRQ, SMMU_CTX_HARDIRQ };
	uint64_t st = seed * 7919 + 1;
	int n_smmus = draw(&st, 1, 2), dev_first[SIM_MAX_SMMUS], dom_first[SIM_MAX_SMMUS];
	int dom_last[SIM_MAX_SMMUS];

	memset(c, 0, sizeof(*c));
	c->name = "random";
	c->seed = seed;
	c->duration_ns = draw(&st, 8, 16) * SEC;
	c->kernel = draw(&st, 0, 2);
	c->gcc = draw(&st, 0, 1);
	c->n_cpus = draw(&st, 2, 8);
	for (int k = 0; k < n_smmus; k++) {
		char name[32];
		int s, n;

		snprintf(name, sizeof(name), "arm-smmu-v3.%d.auto", k);
		s = smmu_add(c, name, draw(&st, 7, 12), draw(&st, 0, 3) > 0,
			     draw(&st, 0, c->n_cpus - 1));
		if (draw(&st, 0, 3) == 0) {
			c->smmu[s].n_vcmdq = draw(&st, 1, 3);
			c->smmu[s].vcmdq_shift = draw(&st, 7, 10);
		}
		n = draw(&st, 3, 12);
		dev_first[s] = c->n_devs;
		for (int i = 0; i < n; i++)
			dev_add(c, s, k, 1 + i, draw(&st, 0, 1), draw(&st, 0, 5) == 0 ?
				draw(&st, 1, 2) : 0);
		for (int f = draw(&st, 1, 3); f > 0; f--)
			dev_flaky(c, dev_first[s] + draw(&st, 0, n - 1), draw(&st, 2000, 30000),
				  cto[draw(&st, 0, 4)]);
		dom_first[s] = dom_per_dev(c, dev_first[s], n);
		if (n > 2 && draw(&st, 0, 1)) {
			int pair[2] = { dev_first[s], dev_first[s] + 1 };

			dom_add(c, 2, pair);
		}
		dom_last[s] = c->n_doms - 1;
	}
	for (int cpu = 0; cpu < c->n_cpus; cpu++) {
		for (int k = draw(&st, 1, 2); k > 0 && c->n_srcs < SIM_MAX_SRCS; k--) {
			int s = draw(&st, 0, n_smmus - 1);
			struct sim_src *r = src_add(c, cpu, ctx[draw(&st, 0, 2)], "stress",
						    1000 + cpu, draw(&st, 20, 500), s,
						    dom_first[s], dom_last[s]);

			r->tlbi_min = draw(&st, 0, 8);
			r->tlbi_max = r->tlbi_min + draw(&st, 0, 60);
			r->reps_min = 1;
			r->reps_max = draw(&st, 0, 3) ? 1 : draw(&st, 2, 80);
			r->master_pct = draw(&st, 0, 20);
			r->vcmdq = draw(&st, 0, 1);
		}
	}
}
