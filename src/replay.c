// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * smmutrace replay: kernel logs and captures through the same pipeline as
 * live tracing.  Every event the engine sees can be recorded, so a log
 * turns into a capture that replays to the same report.  SIGINT and
 * SIGTERM end the input early; the report covers what was read.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "fmt.h"
#include "inputs.h"
#include "kmsg.h"
#include "logread.h"
#include "outfile.h"
#include "pipeline.h"
#include "util.h"

/* the last capture read: its rotated set and place in it */
struct set_pos {
	char set[33];
	uint32_t seq;
};

/* a signal number, or -1 when stdout failed: either ends the input */
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static void feed(void *ctx, const struct smmu_event *ev)
{
	struct pipeline *p = ctx;

	pipeline_deliver(p, ev);
	if (pipeline_out_failed(p))
		stop = -1;
}

/* why an input ended early, unless it was stopped (said once, at the end) */
static void input_error(const struct input *in, const char *msg, const char *tail)
{
	if (!stop)
		p_err("%s: %s%s", in->name, msg, tail);
}

static int replay_log(struct pipeline *p, struct input *in)
{
	const struct options *o = p->opt;
	struct kmsg_parser *kp = malloc(sizeof(*kp));
	struct intake *ik = malloc(sizeof(*ik));
	int err;

	if (!kp || !ik) {
		free(kp);
		free(ik);
		p_err("out of memory");
		return -ENOMEM;
	}
	pipeline_set_source(p, SRC_LOG);
	kmsg_parser_init(kp, o->year ? o->year : current_year(), feed, p);
	intake_init(ik, kp);
	err = input_parse_log(in, ik);
	p->ri.lines += kp->stats.lines;
	p->ri.messages += kp->stats.messages;
	p->ri.malformed += kp->stats.malformed;
	p->ri.unrecognized += kp->stats.unrecognized;
	p->ri.long_lines += kp->stats.long_lines;
	pipeline_unreadable(p, kp->samples, kp->n_samples, in->name);
	if (in->saw_nul && !kp->stats.messages)
		p_err("%s: binary data, no kernel log messages found", in->name);
	if (err)
		input_error(in, in->errmsg,
			    in->err == EPIPE ? "; the report covers what was read" : "");
	free(ik);
	free(kp);
	return err;
}

static void describe_capture(const struct input *in, const struct capture_meta *m)
{
	char t[64] = "unknown time";

	if (m->created_wall_ns && fmt_rfc3339(m->created_wall_ns, t, sizeof(t)) < 0)
		snprintf(t, sizeof(t), "at an impossible time");
	p_info("%s: capture by %s of %s (kernel %s, %s), source %s, recorded %s", in->name,
	       m->tool[0] ? m->tool : "?", m->host[0] ? m->host : "unknown host",
	       m->kernel[0] ? m->kernel : "unknown", m->arch[0] ? m->arch : "unknown arch",
	       m->source, t);
}

static int replay_capture(struct pipeline *p, struct input *in, struct set_pos *sp)
{
	struct capture_meta *m = calloc(1, sizeof(*m));
	struct smmu_event ev;
	char err[256];
	bool cont;
	int st;

	if (!m)
		return -ENOMEM;
	pipeline_set_source(p, SRC_CAPTURE);
	st = capture_read_header(in, m, err, sizeof(err));
	if (st) {
		input_error(in, err, "");
		free(m);
		return st;
	}
	if (p->opt->verbose)
		describe_capture(in, m);
	/* right after its predecessor, a rotated file's carried state is a repeat */
	cont = sp->set[0] && !strcmp(m->set, sp->set) && m->seq == sp->seq + 1;
	str_copy(sp->set, sizeof(sp->set), m->set);
	sp->seq = m->seq;
	free(m);
	while ((st = capture_next(in, &ev, err, sizeof(err))) == CAP_OK) {
		if ((ev.hdr.flags & SMMU_EVF_CARRIED) && cont)
			continue;
		ev.hdr.flags &= ~SMMU_EVF_CARRIED;
		p->ri.records++;
		feed(p, &ev);
	}
	if (st == CAP_END)
		return 0;
	snprintf(err + strlen(err), sizeof(err) - strlen(err), " (%llu records read)",
		 (unsigned long long)p->ri.records);
	input_error(in, err, "");
	p->ri.truncated = true;
	return st == CAP_TRUNCATED || stop ? -EPIPE : -EINVAL;
}

static int replay_one(struct pipeline *p, const char *path, struct set_pos *sp)
{
	const void *head;
	struct input in;
	size_t n;
	int err;

	err = input_open(&in, path);
	if (err) {
		p_err("%s: %s", path, in.errmsg);
		return err;
	}
	in.stop = &stop;
	n = input_peek(&in, &head, CAPTURE_MAGIC_LEN);
	if (!n && !in.err) {
		/* nothing to attribute is fine; no input at all is a mistake */
		p_err("%s: file is empty", path);
		input_close(&in);
		return -ENODATA;
	}
	if (!capture_is_magic(head, n) && n >= 6 && !memcmp(head, CAPTURE_MAGIC, 6)) {
		p_err("%s: not a smmutrace capture (bad magic), and not a kernel log either",
		      path);
		input_close(&in);
		return -EINVAL;
	}
	if (capture_is_magic(head, n)) {
		err = replay_capture(p, &in, sp);
	} else {
		err = replay_log(p, &in);
		if (err)
			p->ri.truncated = true;
	}
	input_close(&in);
	return err;
}

static int open_record(struct pipeline *p)
{
	const struct options *o = p->opt;
	struct capture_meta *m = malloc(sizeof(*m));
	char source[sizeof(m->source)];
	size_t off;
	int err;

	if (!m)
		return -ENOMEM;
	off = snprintf(source, sizeof(source), "replay:");
	for (int i = 0; i < o->n_files && off < sizeof(source); i++)
		off += snprintf(source + off, sizeof(source) - off, "%s%s",
				i ? "," : "", o->files[i]);
	capture_meta_init(m, "smmutrace " SMMUTRACE_VERSION, source);
	err = pipeline_record(p, m);
	free(m);
	return err;
}

/*
 * A pipe, a FIFO or a terminal may be a log still being written: show
 * each record at once (logread.c parses such input as it comes).
 */
static bool streamed_input(const struct options *o)
{
	struct stat st;

	for (int i = 0; i < o->n_files; i++) {
		bool in = !strcmp(o->files[i], "-");

		if (in ? fstat(STDIN_FILENO, &st) || !S_ISREG(st.st_mode) :
			 !stat(o->files[i], &st) && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			return true;
	}
	return false;
}

/* the first host a log's syslog or journal lines name, in its first 64 KiB */
static bool log_host(const char *buf, size_t n, char *host, size_t len)
{
	for (const char *s = buf, *nl; s < buf + n && (nl = memchr(s, '\n', buf + n - s));
	     s = nl + 1)
		if (kmsg_line_host(s, nl - s, host, len))
			return true;
	return false;
}

/*
 * The machine an input came from: its capture's host, the host its syslog
 * lines name, else the file itself.  Only a regular file is looked into
 * ahead: standard input, a pipe or a FIFO is read once, for its events.
 */
static void input_host(const char *path, char *host, size_t len)
{
	const char *base = strrchr(path, '/');
	struct capture_meta *m;
	const void *head;
	struct input in;
	struct stat st;
	size_t n;

	str_copy(host, len, base ? base + 1 : path);
	if (!strcmp(path, "-") || stat(path, &st) || !S_ISREG(st.st_mode) ||
	    input_open(&in, path))
		return;
	n = input_peek(&in, &head, 64 << 10);
	if (capture_is_magic(head, n)) {
		char err[128];

		/* a rotated set is one stream, whatever its files are called */
		m = calloc(1, sizeof(*m));
		if (m && !capture_read_header(&in, m, err, sizeof(err)))
			str_copy(host, len, m->host[0] ? m->host : m->set[0] ? m->set : host);
		free(m);
	} else {
		log_host(head, n, host, len);
	}
	input_close(&in);
}

/* what follows is another machine's: through the event stream, so a capture keeps it */
static void switch_host(struct pipeline *p, const char *host)
{
	struct smmu_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = SMMU_EV_HOST;
	ev.hdr.size = sizeof(ev);
	str_copy(ev.host.name, sizeof(ev.host.name), host);
	feed(p, &ev);
}

/* inputs from more than one machine: each keeps its own SMMUs and devices */
static bool several_hosts(const char *const *files, int n, char hosts[][SMMU_NAME_LEN])
{
	bool several = false;

	for (int i = 0; i < n; i++) {
		input_host(files[i], hosts[i], SMMU_NAME_LEN);
		several |= i && strcmp(hosts[i], hosts[0]);
	}
	/* two files of one name in two directories are two machines, not one */
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			if (!strcmp(hosts[i], hosts[j]) && strcmp(files[i], files[j]) &&
			    strrchr(files[i], '/') && !strcmp(hosts[i], strrchr(files[i], '/') + 1)) {
				str_copy(hosts[i], SMMU_NAME_LEN, files[i]);
				str_copy(hosts[j], SMMU_NAME_LEN, files[j]);
				several = true;
			}
	return several;
}

static void catch_signals(void)
{
	/* no SA_RESTART: a blocked read returns; a second signal kills */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESETHAND };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int cmd_replay(const struct options *o)
{
	const char *files[MAX_INPUTS];
	char (*hosts)[SMMU_NAME_LEN] = NULL;
	struct set_pos sp = { 0 };
	struct pipeline p;
	int failed = 0, status, n;
	char err[300];

	/* before any output exists: none may replace an input */
	n = inputs_prepare(o->files, o->n_files, files, &failed);
	if (n < 0) {
		p_err("%s", strerror(-n));
		return EXIT_RUNTIME;
	}
	if (o->prom && outfile_preflight(o->prom, 0644, err, sizeof(err))) {
		p_err("--prom %s", err);
		return EXIT_RUNTIME;
	}
	if (pipeline_init(&p, o, SRC_LOG, "replay") || open_record(&p)) {
		pipeline_free(&p);
		return EXIT_RUNTIME;
	}
	p.ri.n_inputs = n;
	p.rep.flush_each = streamed_input(o);
	/* a log being written shows each record at once; a file is read ahead */
	if (!p.rep.flush_each)
		pipeline_async(&p);
	catch_signals();
	if (n > 1) {
		hosts = calloc(n, sizeof(*hosts));
		if (hosts && !several_hosts(files, n, hosts)) {
			free(hosts);
			hosts = NULL;
		}
	}
	for (int i = 0; i < n && !stop; i++) {
		if (hosts)
			switch_host(&p, hosts[i]);
		failed += replay_one(&p, files[i], &sp) != 0;
	}
	free(hosts);
	if (stop > 0) {
		p_err("interrupted by %s: the report covers what was read", strsignal(stop));
		p.ri.truncated = true;
	}
	status = pipeline_finish(&p);
	pipeline_free(&p);
	return failed || stop ? EXIT_RUNTIME : status;
}
