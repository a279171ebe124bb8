// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_issue: cost per call of smmutrace's issuer programs, as ratios in
 * one run.  The same code as the driver hooks (bpf/issue.bpf.h) runs while this
 * process calls getppid in a loop, in both flavours:
 *   kprobe flavour   kernel memory read with bpf_probe_read_kernel, as
 *                    issue_entry/issue_exit
 *   fentry flavour   direct loads, as fentry_issue/fexit_issue
 * both on the getppid syscall tracepoints (kprobes are not available here),
 * so that they differ only in how they read kernel memory; the fentry
 * flavour also on fentry/fexit of the getppid syscall function where the
 * kernel allows fentry programs.  Compared with an empty program pair on
 * the same hooks, no program, and the bpftrace one-liner
 * `tracepoint:syscalls:sys_enter_getppid { @[comm] = count(); }`.
 *
 * Two measures:
 *   wall      ns per getppid call, medians of rounds; the configurations are
 *             interleaved and bpftrace is restarted each cycle, so drift
 *             and noisy neighbours hit all of them alike
 *   in-prog   the kernel's own per-program run time (BPF_STATS_RUN_TIME),
 *             minus what it reports for an empty program (its own clock
 *             reads): the programs' work without the hook's dispatch
 *
 *   bench_issue BTF_FIXTURE [CALLS_PER_ROUND [CYCLES]]
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btfview.h"
#include "events.h"
#include "smmutrace.h"
#include "issue_bench.skel.h"

#define ROUNDS		3	/* per configuration and cycle */
#define MAX_CYCLES	10
#define MAX_SAMPLES	(ROUNDS * MAX_CYCLES)
#define BPFTRACE_PROG	"tracepoint:syscalls:sys_enter_getppid { @[comm] = count(); }"

/*
 * The syscall function behind getppid(), for the fentry flavour: the first
 * with a BTF FUNC (6.18 x86 has __do_sys_getppid, at the same address as
 * __x64_sys_getppid, which BTF does not list).
 */
static const char *const getppid_fns[] = {
#if defined(__x86_64__)
	"__x64_sys_getppid",
#elif defined(__aarch64__)
	"__arm64_sys_getppid",
#endif
	"__do_sys_getppid", "__se_sys_getppid", "sys_getppid",
};
static const char *getppid_fn = "?";

enum cfg { C_NONE, C_EMPTY, C_OURS, C_DIRECT, C_EMPTY_FE, C_OURS_FE, C_BPFTRACE, C_COUNT };

static bool have_fentry;
static char fentry_err[160];

struct fake_smmu {
	__u64 smmu[128];
	__u64 cmds[64 * 2];
	__u32 n;
};

struct samples {
	double v[MAX_SAMPLES];
	int n;
};

static long calls = 1000000;
static int cycles = 3;
static struct samples wall[C_COUNT];
static struct samples inprog[C_COUNT];	/* C_NONE unused */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double one_round(void)
{
	double t0 = now_ns();

	for (long i = 0; i < calls; i++)
		syscall(SYS_getppid);
	return (now_ns() - t0) / calls;
}

static void add(struct samples *s, double v)
{
	if (v > 0 && s->n < MAX_SAMPLES)
		s->v[s->n++] = v;
}

static void sample(enum cfg c)
{
	if (wall[c].n < MAX_SAMPLES)
		wall[c].v[wall[c].n++] = one_round();
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(struct samples *s)
{
	if (!s->n)
		return 0;
	qsort(s->v, s->n, sizeof(s->v[0]), cmp_double);
	return s->n % 2 ? s->v[s->n / 2] : (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
}

/* a strict-mode unmap on an ATS device: two TLBI_NH_VA and one ATC_INV (SID 0x100) */
static void fill_batch(struct issue_bench_bpf *skel)
{
	struct fake_smmu f = {};
	__u32 zero = 0;

	f.smmu[8] = 0x1234;		/* cmdq.q.llq.prod (cmdq at 64, prod at 0) */
	f.smmu[16] = 16;		/* cmdq.q.llq.max_n_shift at 64 + 64 */
	f.cmds[0] = 0x12 | 7ULL << 48;	/* TLBI_NH_VA, ASID 7 */
	f.cmds[1] = 0x7f0000001000ULL | 1;
	f.cmds[2] = 0x12 | 7ULL << 48;
	f.cmds[3] = 0x7f0000002000ULL | 1;
	f.cmds[4] = 0x40 | 0x100ULL << 32;	/* ATC_INV SID 0x100, whole range */
	f.cmds[5] = 52;
	f.n = 3;
	bpf_map_update_elem(bpf_map__fd(skel->maps.fake), &zero, &f, BPF_ANY);
}

struct pair {
	struct bpf_link *a, *b;
};

static void attach_pair(struct pair *p, struct bpf_program *a, struct bpf_program *b)
{
	p->a = bpf_program__attach(a);
	p->b = bpf_program__attach(b);
	if (!p->a || !p->b) {
		fprintf(stderr, "bench_issue: attach: %s\n", strerror(errno));
		exit(1);
	}
}

static void detach_pair(struct pair *p)
{
	bpf_link__destroy(p->a);
	bpf_link__destroy(p->b);
}

/* bpftrace prints "Attaching 1 probe..." once its program is live */
static pid_t start_bpftrace(void)
{
	int pfd[2];
	char buf[256];
	ssize_t n;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (!pid) {
		cpu_set_t set;
		int me = sched_getcpu(), ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		/* keep bpftrace's own threads off the measuring CPU */
		CPU_ZERO(&set);
		for (int c = 0; c < ncpu; c++)
			if (c != me || ncpu == 1)
				CPU_SET(c, &set);
		sched_setaffinity(0, sizeof(set), &set);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execlp("bpftrace", "bpftrace", "-e", BPFTRACE_PROG, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if (strstr(buf, "Attaching"))
			break;
	}
	close(pfd[0]);
	if (n <= 0) {
		waitpid(pid, NULL, 0);
		return -1;
	}
	usleep(300000);
	return pid;
}

static void stop_bpftrace(pid_t pid)
{
	kill(pid, SIGINT);
	waitpid(pid, NULL, 0);
}

/* ---- in-program time ------------------------------------------------------ */

static void prog_stats(int fd, __u64 *ns, __u64 *cnt)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	*ns = *cnt = 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		*ns = info.run_time_ns;
		*cnt = info.run_cnt;
	}
}

/* bpftrace's program: a tracepoint program named after the probe */
static int find_bpftrace_prog(void)
{
	__u32 id = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_PROG_TYPE_TRACEPOINT &&
		    !strncmp(info.name, "sys_enter_getpp", 15))
			return fd;
		close(fd);
	}
	return -1;
}

/* ns per run of each program during one round with run-time stats on */
static double inprog_round(int *fds, int nfds)
{
	__u64 ns0[4], c0[4], ns1, c1;
	double sum = 0;
	int sfd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (sfd < 0)
		return -1;
	for (int i = 0; i < nfds; i++)
		prog_stats(fds[i], &ns0[i], &c0[i]);
	one_round();
	for (int i = 0; i < nfds; i++) {
		prog_stats(fds[i], &ns1, &c1);
		if (c1 > c0[i])
			sum += (double)(ns1 - ns0[i]) / (c1 - c0[i]);
	}
	close(sfd);
	return sum;
}

/* ---- checks and output ---------------------------------------------------------- */

/* the programs really ran the batch: the per-CPU stats add up */
static void check_work(struct issue_bench_bpf *skel, long expect)
{
	int fd = bpf_map__fd(skel->maps.smmu_stats), ncpu = libbpf_num_possible_cpus();
	struct smmu_pcpu_stats *v = calloc(ncpu, sizeof(*v));
	__u64 c = 0, tlbi = 0, atc = 0, sync = 0;

	for (__u32 slot = 0; v && slot < SMMUTRACE_STAT_SLOTS; slot++) {
		if (bpf_map_lookup_elem(fd, &slot, v))
			continue;
		for (int i = 0; i < ncpu; i++) {
			c += v[i].s.calls;
			tlbi += v[i].s.ops[SMMU_OPC_TLBI_NH_VA];
			atc += v[i].s.ops[SMMU_OPC_ATC_INV];
			sync += v[i].s.sync_calls;
		}
	}
	free(v);
	printf("work check (both flavours): %llu calls seen (%ld made), %llu TLBI_NH_VA, "
	       "%llu ATC_INV, %llu sync: %s\n", (unsigned long long)c, expect, (unsigned long long)tlbi,
	       (unsigned long long)atc, (unsigned long long)sync,
	       c >= (__u64)expect && tlbi == 2 * c && atc == c && sync == c ? "ok" : "MISMATCH");
	if (c < (__u64)expect || tlbi != 2 * c || atc != c)
		exit(1);
}

static void pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void row(const char *name, double ns, double base)
{
	printf("| %-50s | %8.1f | %+9.1f | %5.2f |\n", name, ns, ns - base, ns / base);
}

#define N_COSTS	4
static struct samples ip_cost[N_COSTS];
static const char *const cost_name[N_COSTS] = {
	"bpf_ktime_get_ns", "bpf_probe_read_kernel 4 B (prod)",
	"bpf_probe_read_kernel 48 B (3 commands)",
	"direct loads: prod + 3 commands (fentry)",
};

/* single helper calls, in-program, so the work can be read as a sum */
static void helper_costs(struct issue_bench_bpf *skel)
{
	struct bpf_program *progs[N_COSTS] = {
		skel->progs.cost_ktime, skel->progs.cost_read_prod, skel->progs.cost_read_cmds,
		skel->progs.cost_direct,
	};

	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < N_COSTS; i++) {
			struct bpf_link *l = bpf_program__attach(progs[i]);
			int fd = bpf_program__fd(progs[i]);

			if (!l)
				continue;
			add(&ip_cost[i], inprog_round(&fd, 1));
			bpf_link__destroy(l);
		}
	}
}

static double med(struct samples *s)
{
	return s->n ? median(s) : -1;
}

static void report(void)
{
	double none = median(&wall[C_NONE]), empty = median(&wall[C_EMPTY]);
	double ours = median(&wall[C_OURS]), bt = median(&wall[C_BPFTRACE]);
	double direct = median(&wall[C_DIRECT]);
	double empty_fe = median(&wall[C_EMPTY_FE]), ours_fe = median(&wall[C_OURS_FE]);
	double ip_empty = med(&inprog[C_EMPTY]), ip_empty_fe = med(&inprog[C_EMPTY_FE]);
	double ip_ours = med(&inprog[C_OURS]), ip_ours_fe = med(&inprog[C_OURS_FE]);
	double ip_direct = med(&inprog[C_DIRECT]), ip_bt = med(&inprog[C_BPFTRACE]);

	printf("\nhooks: tracepoints syscalls:sys_enter/exit_getppid for both flavours; ");
	if (have_fentry)
		printf("fentry/fexit %s for the fentry flavour too\n", getppid_fn);
	else
		printf("fentry/fexit %s refused here (%s): rows omitted\n", getppid_fn, fentry_err);
	printf("batch: TLBI_NH_VA, TLBI_NH_VA, ATC_INV + CMD_SYNC "
	       "(n=3, sync); %ld calls per round, %d cycles x %d rounds, medians, one CPU\n"
	       "in-prog: BPF_STATS_RUN_TIME, one round per configuration and cycle, medians\n\n",
	       calls, cycles, ROUNDS);
	printf("| %-50s | %8s | %9s | %5s |\n", "configuration (wall clock)", "ns/call",
	       "vs none", "ratio");
	printf("|----------------------------------------------------|----------|-----------|"
	       "-------|\n");
	row("no program", none, none);
	row("empty programs (entry + exit)", empty, none);
	row("smmutrace issuer, kprobe flavour (helper reads)", ours, none);
	row("smmutrace issuer, fentry flavour (direct loads)", direct, none);
	if (have_fentry) {
		row("empty fentry/fexit pair", empty_fe, none);
		row("smmutrace issuer, fentry flavour on fentry/fexit", ours_fe, none);
	}
	if (wall[C_BPFTRACE].n)
		row("bpftrace @[comm] = count() (entry only)", bt, none);
	printf("\nwall: kprobe-flavour work (issuer - empty)         %6.1f ns/call\n", ours - empty);
	printf("wall: fentry-flavour work (issuer - empty)         %6.1f ns/call\n", direct - empty);
	if (have_fentry)
		printf("wall: fentry-flavour work on fentry (- empty)      %6.1f ns/call\n",
		       ours_fe - empty_fe);
	if (wall[C_BPFTRACE].n) {
		printf("wall: bpftrace added (bpftrace - none)             %6.1f ns/call\n",
		       bt - none);
		printf("wall: kprobe-flavour work / bpftrace added         %6.2f   (target <= 0.50)\n",
		       (ours - empty) / (bt - none));
		printf("wall: fentry-flavour work / bpftrace added         %6.2f   (target <= 0.50)\n",
		       (direct - empty) / (bt - none));
	}
	if (ip_empty < 0)
		return;
	printf("in-prog: kprobe flavour entry+exit                 %6.1f ns/call (stats clock "
	       "overhead %.1f per program removed)\n", ip_ours - 2 * ip_empty, ip_empty);
	printf("in-prog: fentry flavour entry+exit                 %6.1f ns/call\n",
	       ip_direct - 2 * ip_empty);
	if (have_fentry && ip_ours_fe >= 0 && ip_empty_fe >= 0)
		printf("in-prog: fentry flavour on fentry/fexit            %6.1f ns/call (overhead "
		       "%.1f removed)\n", ip_ours_fe - 2 * ip_empty_fe, ip_empty_fe);
	if (ip_bt > 0) {
		printf("in-prog: bpftrace                                  %6.1f ns/call\n",
		       ip_bt - ip_empty);
		printf("in-prog: kprobe flavour / bpftrace                 %6.2f\n",
		       (ip_ours - 2 * ip_empty) / (ip_bt - ip_empty));
		printf("in-prog: fentry flavour / bpftrace                 %6.2f\n",
		       (ip_direct - 2 * ip_empty) / (ip_bt - ip_empty));
	}
	printf("in-prog, one program each (the kprobe flavour makes 2 clock reads and 2 kernel "
	       "reads per call;\nthe fentry flavour 2 clock reads and the direct loads):\n");
	for (int i = 0; i < N_COSTS; i++)
		if (ip_cost[i].n)
			printf("  %-44s %6.1f ns\n", cost_name[i], median(&ip_cost[i]) - ip_empty);
}

/* BENCH_VERBOSE=1: libbpf's whole log, verifier included */
static int print_all(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

/* otherwise warnings, but not those of the fentry attempt: reported once, by us */
static bool trying_fentry;

static int print_warn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN && !trying_fentry ? vfprintf(stderr, fmt, ap) : 0;
}

/* the fentry programs' target, and the vmlinux struct cmds[] is read through */
static int setup_fentry(struct issue_bench_bpf *skel, bool fentry)
{
	struct bpf_program *fe[] = {
		skel->progs.fentry_issuer, skel->progs.fexit_issuer, skel->progs.fentry_empty,
		skel->progs.fexit_empty,
	};
	struct btf *vm = btf__load_vmlinux_btf();
	const char *view = NULL;
	int id = vm ? btfview_find(vm, &view) : 0;

	for (unsigned int i = 0; vm && i < sizeof(getppid_fns) / sizeof(getppid_fns[0]); i++)
		if (btf__find_by_name_kind(vm, getppid_fns[i], BTF_KIND_FUNC) > 0) {
			getppid_fn = getppid_fns[i];
			break;
		}
	if (!id) {
		fprintf(stderr, "bench_issue: no vmlinux struct starting with u64[128] for "
			"bpf_rdonly_cast\n");
		btf__free(vm);
		return -1;
	}
	skel->rodata->cmds_view_btf_id = id;
	if (fentry)
		printf("fentry flavour: cmds[] and the fake cmdq read through struct %s\n", view);
	btf__free(vm);
	for (unsigned int i = 0; i < sizeof(fe) / sizeof(fe[0]); i++) {
		bpf_program__set_autoload(fe[i], fentry);
		if (!fentry)
			continue;
		if (!strcmp(getppid_fn, "?")) {
			snprintf(fentry_err, sizeof(fentry_err), "no BTF FUNC for getppid");
			return -1;
		}
		if (bpf_program__set_attach_target(fe[i], 0, getppid_fn)) {
			snprintf(fentry_err, sizeof(fentry_err), "target %s: %s", getppid_fn,
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* with the fentry programs if the kernel takes them, else without */
static struct issue_bench_bpf *open_load(const char *btf)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf);
	struct issue_bench_bpf *skel;

	for (int fentry = 1; fentry >= 0; fentry--) {
		skel = issue_bench_bpf__open_opts(&opts);
		if (!skel)
			return NULL;
		trying_fentry = fentry;
		if (!setup_fentry(skel, fentry) && !issue_bench_bpf__load(skel)) {
			trying_fentry = false;
			have_fentry = fentry;
			return skel;
		}
		trying_fentry = false;
		if (fentry && !fentry_err[0])
			snprintf(fentry_err, sizeof(fentry_err), "load: %s", strerror(errno));
		issue_bench_bpf__destroy(skel);
	}
	return NULL;
}

/* one configuration: wall samples each round, in-program time on the first */
static void measure(enum cfg c, struct bpf_program *a, struct bpf_program *b, int r)
{
	struct pair p;
	int fds[2] = { bpf_program__fd(a), bpf_program__fd(b) };

	attach_pair(&p, a, b);
	sample(c);
	if (!r)
		add(&inprog[c], inprog_round(fds, c == C_EMPTY || c == C_EMPTY_FE ? 1 : 2));
	detach_pair(&p);
}

int main(int argc, char **argv)
{
	struct issue_bench_bpf *skel;
	int fds[2];
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_issue BTF_FIXTURE [CALLS [CYCLES]]\n");
		return 2;
	}
	if (argc > 2)
		calls = atol(argv[2]);
	if (argc > 3)
		cycles = atoi(argv[3]);
	if (calls < 1000 || cycles < 1 || cycles > MAX_CYCLES) {
		fprintf(stderr, "bench_issue: CALLS >= 1000, 1 <= CYCLES <= %d\n", MAX_CYCLES);
		return 2;
	}
	libbpf_set_print(getenv("BENCH_VERBOSE") ? print_all : print_warn);
	skel = open_load(argv[1]);
	if (!skel) {
		fprintf(stderr, "bench_issue: cannot load the programs\n");
		return 1;
	}
	if (!have_fentry)
		printf("fentry/fexit programs refused by this kernel (%s): the fentry flavour's "
		       "code runs on the tracepoints only\n", fentry_err);
	fill_batch(skel);
	pin_cpu();
	one_round();	/* warm up */
	for (int c = 0; c < cycles; c++) {
		for (int r = 0; r < ROUNDS; r++) {
			sample(C_NONE);
			/* an empty program's in-prog time is the stats clock's own: one program */
			measure(C_EMPTY, skel->progs.empty_entry, skel->progs.empty_exit, r);
			measure(C_OURS, skel->progs.issuer_entry, skel->progs.issuer_exit, r);
			measure(C_DIRECT, skel->progs.direct_entry, skel->progs.direct_exit, r);
			if (!have_fentry)
				continue;
			measure(C_EMPTY_FE, skel->progs.fentry_empty, skel->progs.fexit_empty, r);
			measure(C_OURS_FE, skel->progs.fentry_issuer, skel->progs.fexit_issuer, r);
		}
		pid = start_bpftrace();
		if (pid <= 0) {
			fprintf(stderr, "bench_issue: bpftrace did not start; "
				"its row is omitted\n");
			continue;
		}
		for (int r = 0; r < ROUNDS; r++)
			sample(C_BPFTRACE);
		if ((fds[0] = find_bpftrace_prog()) >= 0) {
			add(&inprog[C_BPFTRACE], inprog_round(fds, 1));
			close(fds[0]);
		}
		stop_bpftrace(pid);
	}
	/* each issuer configuration ran ROUNDS wall rounds and one in-prog round per cycle */
	check_work(skel, calls * (ROUNDS + 1) * cycles * (have_fentry ? 3 : 2));
	helper_costs(skel);
	report();
	issue_bench_bpf__destroy(skel);
	return 0;
}
