// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * smmutrace --live: the BPF ring buffer (or, without BPF, /dev/kmsg) as an
 * event source for the same engine and views that replay uses.
 *
 * Every event the engine sees goes through the pipeline's deliver: records
 * from the kernel side, events parsed from the driver's log text, clock
 * ticks, periodic per-SMMU stats and loss reports; the capture is written
 * there.  SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE end the run the same
 * way: final summary, --prom, capture trailer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "capture.h"
#include "events.h"
#include "kmsg.h"
#include "loader.h"
#include "origin.h"
#include "outfile.h"
#include "pipeline.h"
#include "privdrop.h"
#include "../bpf/smmutrace.h"
#include "util.h"

#define NSEC		1000000000ULL
#define POLL_MS		200
#define SID_REWALK_NS	(30 * NSEC)	/* hot-plugged devices get names */

struct live {
	const struct options *opt;
	struct pipeline pl;
	struct loader ld;
	struct ring_buffer *rb;
	int kmsg_fd;			/* MODE_KMSG */
	struct kmsg_parser kp;
	int64_t wall_off;		/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	bool drop_log_aer;		/* ras:aer_event reports AER already */
	bool backlog;			/* parsing old /dev/kmsg records */
	int ncpus;
	struct smmu_ev_lost lost_seen;
	struct privdrop_target target;	/* --user */
	uint64_t user_kmsg;		/* user-space /dev/kmsg lines left out */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static void clock_sync(struct live *l)
{
	struct timespec rt, mt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	l->wall_off = (int64_t)(rt.tv_sec - mt.tv_sec) * (int64_t)NSEC +
		      (rt.tv_nsec - mt.tv_nsec);
}

/* BPF and /dev/kmsg stamp the monotonic clock; views want wall time too */
static void stamp_wall(const struct live *l, struct smmu_ev_hdr *h)
{
	if ((h->flags & SMMU_EVF_MONO) && !(h->flags & SMMU_EVF_WALL)) {
		h->wall_ns = (int64_t)h->mono_ns + l->wall_off;
		h->flags |= SMMU_EVF_WALL;
	}
}

static void deliver(struct live *l, const struct smmu_event *ev)
{
	pipeline_deliver(&l->pl, ev);
}

static void init_event(struct live *l, struct smmu_event *ev, enum smmu_ev_type type,
		       uint64_t now)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = type;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.flags = SMMU_EVF_MONO;
	ev->hdr.mono_ns = now;
	stamp_wall(l, &ev->hdr);
}

/* ---- the driver's log text ------------------------------------------------ */

static void on_parsed(void *ctx, const struct smmu_event *pev)
{
	struct live *l = ctx;
	struct smmu_event ev = *pev;

	if (l->backlog && ev.hdr.type != SMMU_EV_QUEUE_INFO && ev.hdr.type != SMMU_EV_FEATURES)
		return;		/* old incidents are replay's business */
	if (l->drop_log_aer && ev.hdr.type == SMMU_EV_AER)
		return;		/* counted once, from ras:aer_event */
	stamp_wall(l, &ev.hdr);
	deliver(l, &ev);
}

/*
 * A line user space wrote to /dev/kmsg reads exactly like the driver's:
 * counted only with --accept-user-kmsg (a test aid), else left out.
 */
static bool user_written(struct live *l, const char *text, size_t len)
{
	const char *nl;

	if (l->opt->accept_user_kmsg)
		return false;
	if (l->backlog)
		return true;	/* old records: only their queue sizes would be used */
	l->user_kmsg++;
	if (l->opt->verbose) {
		nl = memchr(text, '\n', len);
		if (nl)
			len = nl - text;
		p_info("ignored, written to /dev/kmsg by user space: %.*s",
		       (int)(len < 120 ? len : 120), text);
	}
	return true;
}

static void kmsg_record(struct live *l, char *buf, size_t len)
{
	char *p = buf, *e = buf + len;
	int fac = origin_kmsg_facility(buf, len);

	if (fac > ORIGIN_FAC_KERN && user_written(l, buf, len))
		return;

	while (p < e) {
		char *nl = memchr(p, '\n', e - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p);

		kmsg_parse_line(&l->kp, p, n);
		p += n + 1;
	}
}

/*
 * The records already in the kernel's ring: only what describes the SMMUs
 * (queue sizes, features) is kept, so CONS values decode from the start.
 * Leaves fd positioned after them, for MODE_KMSG.
 */
static void kmsg_backlog(struct live *l, int fd)
{
	char buf[8192];
	ssize_t n;

	if (fd < 0)
		return;
	l->backlog = true;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten while reading: skip ahead */
		if (n <= 0)
			break;
		kmsg_record(l, buf, n);
	}
	kmsg_parser_finish(&l->kp);
	l->backlog = false;
	kmsg_parser_init(&l->kp, current_year(), on_parsed, l);
}

/* ---- BPF records ---------------------------------------------------------------- */

static void on_log_text(struct live *l, const struct smmu_event *ev)
{
	struct kmsg_ts ts = {
		.mono_ns = ev->hdr.mono_ns,
		.wall_ns = ev->hdr.wall_ns,
		.flags = ev->hdr.flags & (SMMU_EVF_MONO | SMMU_EVF_WALL),
	};
	size_t len = strnlen(ev->log_text.text, sizeof(ev->log_text.text));

	if ((ev->hdr.flags & SMMU_EVF_USER) && user_written(l, ev->log_text.text, len))
		return;
	kmsg_parse_message(&l->kp, ev->log_text.text, len, &ts, ev->hdr.cpu);
}

/* -v: one line per kernel record, for field debugging (p_info escapes it) */
static void trace_record(const struct smmu_event *ev)
{
	const struct smmu_ev_issue *is = &ev->issue;
	const struct smmu_ev_queue_walk *w = &ev->walk;
	const char *smmu = ev->hdr.smmu;

	switch (ev->hdr.type) {
	case SMMU_EV_ISSUE:
		p_info("bpf issue %s cpu=%u ctx=%u pid=%u comm=%s n=%u sync=%u ret=%d dur=%lluns "
		       "prod=0x%x..0x%x sync_prod=0x%x n_atc=%u why=0x%x", smmu, ev->hdr.cpu,
		       is->ctx, is->pid, is->comm, is->n, is->sync, is->ret,
		       (unsigned long long)is->duration_ns, is->prod_entry, is->prod_exit,
		       is->sync_prod, is->n_atc, is->why);
		break;
	case SMMU_EV_QUEUE_WALK:
		p_info("bpf walk %s cons=0x%08x shift=%u slot=0x%016llx stop=%u walked=%u "
		       "n_atc=%u bitmap=%u", smmu, w->cons, w->max_n_shift,
		       (unsigned long long)w->sync_cmd[0], w->stop, w->walked, w->n_atc,
		       w->bitmap);
		break;
	case SMMU_EV_SID_MAP:
		p_info("bpf sid %s 0x%x -> %s", smmu, ev->sid_map.sid, ev->sid_map.dev);
		break;
	case SMMU_EV_LOG_TEXT:
		p_info("bpf log %s", ev->log_text.text);
		break;
	default:
		p_info("bpf record type %u %s", ev->hdr.type, smmu);
		break;
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct live *l = ctx;
	struct smmu_event ev;

	if (size < sizeof(struct smmu_ev_hdr))
		return 0;
	memset(&ev, 0, sizeof(ev));
	memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
	ev.hdr.smmu[sizeof(ev.hdr.smmu) - 1] = '\0';
	if (ev.hdr.type == SMMU_EV_LOG_TEXT)
		ev.log_text.text[sizeof(ev.log_text.text) - 1] = '\0';
	stamp_wall(l, &ev.hdr);
	if (l->opt->verbose)
		trace_record(&ev);
	if (ev.hdr.type == SMMU_EV_LOG_TEXT)
		on_log_text(l, &ev);
	else if (ev.hdr.type > SMMU_EV_NONE && ev.hdr.type < SMMU_EV_MAX)
		deliver(l, &ev);
	return 0;
}

/* ---- periodic: stats, losses, ticks -------------------------------------------- */

static void add_stats(struct smmu_ev_stats *sum, const struct smmu_ev_stats *s)
{
	sum->calls += s->calls;
	sum->sync_calls += s->sync_calls;
	sum->failed_calls += s->failed_calls;
	for (int i = 0; i < SMMU_OP_CLASSES; i++)
		sum->ops[i] += s->ops[i];
	for (int i = 0; i < SMMU_LAT_BUCKETS; i++)
		sum->lat[i] += s->lat[i];
	for (int i = 0; i < SMMU_CTX_MAX; i++)
		sum->ctx[i] += s->ctx[i];
	sum->lat_sum_ns += s->lat_sum_ns;
	if (s->max_n_shift)
		sum->max_n_shift = s->max_n_shift;
}

struct smmu_sum {
	__u64 smmu;
	struct smmu_ev_stats s;
};

/* this slot's per-CPU values, added to the SMMU they belong to */
static int stats_slot(struct live *l, int fd, __u32 slot, struct smmu_pcpu_stats *vals,
		      struct smmu_sum *sums, int n)
{
	if (bpf_map_lookup_elem(fd, &slot, vals))
		return n;
	for (int c = 0; c < l->ncpus; c++) {
		__u64 smmu = vals[c].s.smmu_ptr;
		int i;

		if (!smmu)
			continue;
		for (i = 0; i < n && sums[i].smmu != smmu; i++)
			;
		if (i == n) {
			if (n == SMMUTRACE_MAX_SMMUS)
				continue;
			sums[n++].smmu = smmu;
		}
		add_stats(&sums[i].s, &vals[c].s);
	}
	return n;
}

static void stats_deliver(struct live *l, int meta_fd, const struct smmu_sum *sum, uint64_t now)
{
	struct smmu_meta meta = {};
	struct smmu_event ev;

	init_event(l, &ev, SMMU_EV_STATS, now);
	ev.stats = sum->s;
	ev.stats.smmu_ptr = sum->smmu;
	if (!bpf_map_lookup_elem(meta_fd, &sum->smmu, &meta)) {
		meta.name[sizeof(meta.name) - 1] = '\0';
		str_copy(ev.hdr.smmu, sizeof(ev.hdr.smmu), meta.name);
		if (meta.max_n_shift)
			ev.stats.max_n_shift = meta.max_n_shift;
	}
	deliver(l, &ev);
}

/* the per-CPU issuer counters, summed, as one SMMU_EV_STATS per SMMU */
static void read_stats(struct live *l, uint64_t now)
{
	int fd = loader_map_fd(&l->ld, "smmu_stats");
	int meta_fd = loader_map_fd(&l->ld, "smmu_meta");
	struct smmu_pcpu_stats *vals;
	struct smmu_sum *sums;
	int n = 0;

	if (fd < 0 || meta_fd < 0)
		return;
	vals = calloc(l->ncpus, sizeof(*vals));
	sums = calloc(SMMUTRACE_MAX_SMMUS, sizeof(*sums));
	for (__u32 slot = 0; vals && sums && slot < SMMUTRACE_STAT_SLOTS; slot++)
		n = stats_slot(l, fd, slot, vals, sums, n);
	for (int i = 0; i < n; i++)
		stats_deliver(l, meta_fd, &sums[i], now);
	free(vals);
	free(sums);
}

static void read_lost(struct live *l, uint64_t now)
{
	int fd = loader_map_fd(&l->ld, "drops");
	struct smmu_ev_lost *vals, sum = {}, d;
	struct smmu_event ev;
	__u32 zero = 0;

	if (fd < 0 || !(vals = calloc(l->ncpus, sizeof(*vals))))
		return;
	if (!bpf_map_lookup_elem(fd, &zero, vals)) {
		for (int c = 0; c < l->ncpus; c++) {
			sum.ringbuf += vals[c].ringbuf;
			sum.map_full += vals[c].map_full;
			sum.truncated += vals[c].truncated;
		}
	}
	free(vals);
	d.ringbuf = sum.ringbuf - l->lost_seen.ringbuf;
	d.map_full = sum.map_full - l->lost_seen.map_full;
	d.truncated = sum.truncated - l->lost_seen.truncated;
	if (!d.ringbuf && !d.map_full && !d.truncated)
		return;
	l->lost_seen = sum;
	init_event(l, &ev, SMMU_EV_LOST, now);
	ev.lost = d;
	deliver(l, &ev);
	l->pl.ri.now_mono_ns = now;
	l->pl.ri.now_wall_ns = (int64_t)now + l->wall_off;
	pipeline_lost(&l->pl, &d);
}

static void tick(struct live *l, uint64_t now)
{
	struct smmu_event ev;

	clock_sync(l);
	init_event(l, &ev, SMMU_EV_TICK, now);
	deliver(l, &ev);
	/* a capture being written replays up to its last flush */
	pipeline_flush(&l->pl);
}

/* what the summary says about the run so far */
static void note_run(struct live *l, uint64_t now)
{
	struct run_info *ri = &l->pl.ri;

	ri->lines = l->kp.stats.lines;
	ri->messages = l->kp.stats.messages;
	ri->malformed = l->kp.stats.malformed;
	ri->unrecognized = l->kp.stats.unrecognized;
	pipeline_unreadable(&l->pl, l->kp.samples + ri->n_samples, l->kp.n_samples - ri->n_samples,
			    NULL);
	ri->long_lines = l->kp.stats.long_lines;
	ri->now_mono_ns = now;
	ri->now_wall_ns = (int64_t)now + l->wall_off;
}

/* ---- setup --------------------------------------------------------------------- */

static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* what replay on another machine should know about this one */
static void capture_meta_fill(const struct live *l, struct capture_meta *m)
{
	const struct kinfo *ki = &l->ld.ki;
	const struct probe *is = &l->ld.probes[P_ISSUE];

	capture_meta_init(m, "smmutrace " SMMUTRACE_VERSION, "live");
	str_copy(m->host, sizeof(m->host), host_name());
	str_copy(m->kernel, sizeof(m->kernel), ki->release);
	str_copy(m->arch, sizeof(m->arch), ki->machine);
	read_line("/proc/sys/kernel/random/boot_id", m->boot_id, sizeof(m->boot_id));
	snprintf(m->features, sizeof(m->features),
		 "{\"mode\":\"%s\",\"kprobes\":%s,\"btf\":%s,\"driver_types\":%s,"
		 "\"issue_cmdlist_5_args\":%s,\"atc_sync_timeouts\":%s,\"invs_7x\":%s,"
		 "\"ftrace_direct\":%s,\"issuer_probe\":\"%s\"}",
		 loader_mode_name(l->ld.mode), ki->kprobes ? "true" : "false",
		 ki->btf ? "true" : "false", ki->driver_types ? "true" : "false",
		 ki->layout_v612 ? "true" : "false", ki->atc_bitmap ? "true" : "false",
		 ki->invs_7x ? "true" : "false", ki->ftrace_direct ? "true" : "false",
		 !is->attached ? "none" : is->fentry ? "fentry" : "kprobe");
	for (int i = 0; i < ki->n_smmus && i < CAPTURE_MAX_SMMUS; i++)
		str_copy(m->smmus[m->n_smmus++].name, SMMU_NAME_LEN, ki->smmus[i]);
}

static int setup_record(struct live *l)
{
	struct capture_meta *m;
	int err;

	if (!l->opt->record)
		return 0;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	capture_meta_fill(l, m);
	err = pipeline_record(&l->pl, m);
	free(m);
	return err;
}

static void banner(struct live *l)
{
	char why[512];

	p_info("mode: %s", loader_mode_name(l->ld.mode));
	if (l->ld.mode == MODE_KMSG) {
		p_info("  because: %s", l->ld.mode_why);
	} else if (l->ld.mode != MODE_FULL) {
		loader_why_not_full(&l->ld, why, sizeof(why));
		p_info("  because %s", why);
	}
	if (l->ld.mode == MODE_LOG)
		p_info("  incidents come from the driver's messages; no issuer, queue-walk or "
		       "latency data");
	if (l->ld.mode != MODE_KMSG) {
		p_info("probes:");
		loader_print_probes(&l->ld, stderr);
	}
	if (l->opt->accept_user_kmsg)
		p_info("--accept-user-kmsg: lines written to /dev/kmsg by user space count as "
		       "the kernel's");
	else if (l->ld.mode != MODE_KMSG && !l->ld.ki.kmsg_writers.n)
		p_info("warning: devkmsg_write() not in /proc/kallsyms: lines user space writes "
		       "to /dev/kmsg cannot be told from the kernel's");
}

static int setup_source(struct live *l)
{
	const struct options *o = l->opt;
	struct loader_cfg cfg = {
		.btf_path = o->btf_path,
		.no_kprobes = o->no_kprobes,
		.no_fentry = o->no_fentry,
		.tgid = o->pid,
		.have_sid = o->filt.have_sid,
		.sid = o->filt.sid,
		.slow_ns = o->slow_us * 1000,
		.all_atc = o->all_atc,
		.verbose = o->verbose,
		.sync_slot = o->sync_slot,
	};
	int err;

	loader_init(&l->ld, &cfg);
	loader_probe(&l->ld);
	if (l->ld.mode >= MODE_LOG) {
		err = loader_start(&l->ld);
		if (err && l->ld.ki.kmsg_readable) {
			p_err("BPF setup failed: %s", l->ld.mode_why);
			l->ld.mode = MODE_KMSG;
		} else if (err) {
			p_err("cannot trace: %s", l->ld.mode_why);
			return -1;
		}
	}
	if (l->ld.mode == MODE_NONE) {
		p_err("cannot trace: %s", l->ld.mode_why);
		return -1;
	}
	l->drop_log_aer = l->ld.probes[P_AER].attached;
	if (l->ld.mode == MODE_KMSG)
		return 0;
	l->rb = ring_buffer__new(loader_ringbuf_fd(&l->ld), on_record, l, NULL);
	if (!l->rb) {
		p_err("ring buffer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* after attach the BPF maps are read through the fds held: does that still work? */
static int probe_maps(void *ctx)
{
	struct live *l = ctx;
	struct smmu_ev_lost *vals = calloc(l->ncpus, sizeof(*vals));
	__u32 zero = 0;
	int ret;

	if (!vals)
		return -ENOMEM;
	ret = bpf_map_lookup_elem(loader_map_fd(&l->ld, "drops"), &zero, vals) ? -errno : 0;
	free(vals);
	return ret;
}

/* legacy kprobes are removed through tracefs at exit, which only root can do */
static bool tracefs_kprobes(const struct live *l)
{
	for (int i = 0; i < P_COUNT; i++) {
		const struct probe *p = &l->ld.probes[i];

		if (p->attached && p->kprobe && !p->fentry &&
		    !strncmp(l->ld.ki.kprobe_how, "tracefs", 7))
			return true;
	}
	return false;
}

/*
 * tcpdump -Z: everything privileged is done (programs attached, /dev/kmsg
 * open); output files are created after this, with the target user's rights.
 */
static int drop_privileges(struct live *l)
{
	char kept[64], err[300];

	if (tracefs_kprobes(l)) {
		p_info("kprobes through tracefs kprobe_events: removing them at exit needs root, "
		       "so privileges are kept");
		return 0;
	}
	if (privdrop_apply(&l->target, l->rb ? probe_maps : NULL, l, kept, sizeof(kept), err,
			   sizeof(err))) {
		p_err("--user: %s", err);
		return -1;
	}
	p_info("running as %s; capabilities kept: %s", l->target.who, kept);
	return 0;
}

/*
 * Every way a terminal, a unit or a closed pipe says "stop" ends the run
 * cleanly.  No SA_RESTART, so a blocked poll returns; a second SIGINT,
 * SIGTERM, SIGHUP or SIGQUIT kills.  SIGPIPE stays caught: the broken
 * stdout is the news (EPIPE), and stderr may be the same pipe.
 */
static void catch_signals(void)
{
	static const int once[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESETHAND };
	struct sigaction pipe_sa = { .sa_handler = on_signal };

	for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++)
		sigaction(once[i], &sa, NULL);
	sigaction(SIGPIPE, &pipe_sa, NULL);
}

static int setup(struct live *l)
{
	char err[300];
	int kmsg_err;

	l->kmsg_fd = -1;
	l->ncpus = libbpf_num_possible_cpus();
	if (l->ncpus <= 0)
		l->ncpus = 1;
	clock_sync(l);
	if (pipeline_init(&l->pl, l->opt, SRC_LIVE, "live"))
		return -1;
	l->pl.rep.flush_each = true;
	kmsg_parser_init(&l->kp, current_year(), on_parsed, l);
	if (setup_source(l))
		return -1;
	/* opening /dev/kmsg needs CAP_SYSLOG (dmesg_restrict); reading it later does not */
	l->kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	kmsg_err = errno;
	if (l->kmsg_fd < 0 && !l->rb) {
		p_err("/dev/kmsg: %s", strerror(kmsg_err));
		return -1;
	}
	if (drop_privileges(l))
		return -1;
	if (l->opt->prom && outfile_preflight(l->opt->prom, 0644, err, sizeof(err))) {
		p_err("--prom %s", err);
		return -1;
	}
	/* before the backlog: its queue sizes belong in the capture too */
	if (setup_record(l))
		return -1;
	kmsg_backlog(l, l->kmsg_fd);
	if (l->rb && l->kmsg_fd >= 0) {
		close(l->kmsg_fd);
		l->kmsg_fd = -1;
	}
	catch_signals();
	banner(l);
	return 0;
}

static void teardown(struct live *l)
{
	pipeline_free(&l->pl);
	ring_buffer__free(l->rb);
	loader_stop(&l->ld);
	if (l->kmsg_fd >= 0)
		close(l->kmsg_fd);
}

/* ---- the loop ------------------------------------------------------------------ */

/* without BPF: new /dev/kmsg records, one per read() */
static int kmsg_poll(struct live *l, int timeout_ms)
{
	struct pollfd pfd = { .fd = l->kmsg_fd, .events = POLLIN };
	char buf[8192];
	ssize_t n;
	int err = poll(&pfd, 1, timeout_ms);

	if (err <= 0)
		return err < 0 && errno != EINTR ? -errno : 0;
	for (;;) {
		n = read(l->kmsg_fd, buf, sizeof(buf));
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			return 0;
		kmsg_record(l, buf, n);
	}
}

static int run(struct live *l)
{
	const struct options *o = l->opt;
	uint64_t now = mono_ns(), next_tick = now + NSEC, next_walk = now + SID_REWALK_NS;
	uint64_t interval = o->interval_s * NSEC, next_sum = now + interval;
	uint64_t end = o->duration_s ? now + o->duration_s * NSEC : 0;
	int err = 0;

	p_info("tracing%s; Ctrl-C to stop", o->duration_s ? " for --duration" : "");
	while (!stop_signal && !pipeline_out_failed(&l->pl)) {
		if (l->rb)
			err = ring_buffer__poll(l->rb, POLL_MS);
		else
			err = kmsg_poll(l, POLL_MS);
		if (err < 0 && err != -EINTR) {
			p_err("polling: %s", strerror(-err));
			return err;
		}
		now = mono_ns();
		if (now >= next_tick) {
			tick(l, now);
			read_lost(l, now);
			next_tick = now + NSEC;
		}
		if (interval && now >= next_sum) {
			read_stats(l, now);
			note_run(l, now);
			pipeline_summary(&l->pl);
			next_sum = now + interval;
		}
		if (now >= next_walk) {
			loader_request_sid_walk(&l->ld);
			next_walk = now + SID_REWALK_NS;
		}
		if (end && now >= end)
			break;
	}
	return 0;
}

/* what is still in flight, then the final summary, --prom and the capture trailer */
static int finish(struct live *l)
{
	uint64_t now;
	int status;

	if (l->rb && !pipeline_out_failed(&l->pl))
		ring_buffer__consume(l->rb);
	now = mono_ns();
	read_stats(l, now);
	read_lost(l, now);
	kmsg_parser_finish(&l->kp);
	note_run(l, now);
	status = pipeline_finish(&l->pl);
	if (l->user_kmsg)
		p_info("left out %llu messages that user space wrote to /dev/kmsg "
		       "(--accept-user-kmsg counts them)", (unsigned long long)l->user_kmsg);
	return status;
}

int cmd_live(const struct options *o)
{
	struct live *l = calloc(1, sizeof(*l));
	int err, status = EXIT_RUNTIME;
	char msg[300];

	if (!l) {
		p_err("out of memory");
		return EXIT_RUNTIME;
	}
	l->opt = o;
	if (privdrop_resolve(o->user, &l->target, msg, sizeof(msg))) {
		p_err("%s", msg);
		free(l);
		return EXIT_USAGE;
	}
	err = setup(l);
	if (!err)
		err = run(l);
	if (!err)
		status = finish(l);
	if (stop_signal && !err && !pipeline_out_failed(&l->pl))
		p_info("stopped by %s", strsignal(stop_signal));
	teardown(l);
	free(l);
	return status;
}
