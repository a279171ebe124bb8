// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * smmutrace: who caused that ATC invalidate timeout?
 *
 *   sudo smmutrace [--live] [options]     trace the running kernel
 *   smmutrace replay [options] FILE...    attribute a captured kernel log
 *   smmutrace check                       what this kernel supports
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

const char *argp_program_version = "smmutrace " SMMUTRACE_VERSION;

static const char doc[] =
"Attribute ARM SMMUv3 command-queue errors (ATC invalidate timeouts, illegal\n"
"commands, CMD_SYNC timeouts) to devices, StreamIDs and issuing threads.\n"
"\n"
"USAGE:\n"
"  smmutrace [--live] [OPTIONS]        trace this kernel (root)\n"
"  smmutrace replay [OPTIONS] FILE...  attribute a kernel log or a capture\n"
"  smmutrace check                     what this kernel supports\n"
"\n"
"EXAMPLES:\n"
"  sudo smmutrace                       # live, text, until Ctrl-C\n"
"  sudo smmutrace --json --interval 60  # NDJSON, a summary every minute\n"
"  sudo smmutrace --record run.smt --record-size 100 --record-files 8\n"
"                                       # files owned by the sudo caller\n"
"  sudo smmutrace --device 0000:01:00.0 --duration 300\n"
"  smmutrace replay /var/log/kern.log   # also dmesg, journalctl -k, kmsg\n"
"  journalctl -k -o short-precise | smmutrace replay --json -\n"
"  smmutrace replay run.smt             # a capture, on any machine\n"
"\n"
"EXIT STATUS: 0 success; 1 runtime error (unreadable, empty, truncated or\n"
"corrupt input; replay interrupted; cannot trace; a write failed); 2 usage\n"
"error.  See smmutrace(8).\n"
"\n"
"OPTIONS:";

static const char args_doc[] = "[replay FILE...|check]";

enum {
	OPT_LIVE = 0x100, OPT_SMMU, OPT_SID, OPT_DEVICE, OPT_PID, OPT_YEAR,
	OPT_INTERVAL, OPT_DURATION, OPT_RECORD, OPT_PROM, OPT_FORCE,
	OPT_SLOW, OPT_ALL_ATC, OPT_BTF, OPT_NO_KPROBES, OPT_SYNC_SLOT, OPT_NO_FENTRY,
	OPT_RECORD_SIZE, OPT_RECORD_FILES, OPT_USER, OPT_ACCEPT_USER_KMSG,
};

static const struct argp_option opts[] = {
	{ "live", OPT_LIVE, NULL, 0, "Trace the running kernel (the default)", 0 },
	{ "json", 'j', NULL, 0, "NDJSON output, one object per line", 0 },
	{ "verbose", 'v', NULL, 0, "Verbose diagnostics, including libbpf's log", 0 },
	{ "smmu", OPT_SMMU, "NAME", 0, "Only this SMMU instance (e.g. arm-smmu-v3.0.auto)", 1 },
	{ "sid", OPT_SID, "SID", 0, "Only incidents naming this StreamID (0x.. or decimal)", 1 },
	{ "device", OPT_DEVICE, "BDF", 0, "Only incidents naming this device (0000:01:00.0)", 1 },
	{ "pid", OPT_PID, "PID", 0, "Live: also record every issuer call of this process", 1 },
	{ "duration", OPT_DURATION, "SECONDS", 0, "Live: stop after this long", 2 },
	{ "interval", OPT_INTERVAL, "SECONDS", 0, "Live: summary every SECONDS (0 = only at exit)", 2 },
	{ "slow", OPT_SLOW, "USEC", 0, "Live: record CMD_SYNC waits longer than USEC (default 10000)", 2 },
	{ "all-atc", OPT_ALL_ATC, NULL, 0, "Live: record every batch holding an ATC_INV", 2 },
	{ "record", OPT_RECORD, "FILE", 0, "Also write the event stream to a capture file", 3 },
	{ "force", OPT_FORCE, NULL, 0,
	  "Replace existing --record files (never through a symlink, never a device)", 3 },
	{ "record-size", OPT_RECORD_SIZE, "MB", 0,
	  "Go on in FILE.1, FILE.2, ... once a capture file passes MB million bytes "
	  "(suffix k, m, g: KiB, MiB, GiB)", 3 },
	{ "record-files", OPT_RECORD_FILES, "N", 0,
	  "With --record-size: keep only the newest N capture files", 3 },
	{ "prom", OPT_PROM, "FILE", 0, "Write Prometheus textfile metrics (atomically)", 3 },
	{ "year", OPT_YEAR, "YEAR", 0, "Replay: year for log lines without one (journalctl short)", 4 },
	{ "btf", OPT_BTF, "FILE", 0, "Live: kernel BTF to use instead of /sys/kernel/btf/vmlinux", 5 },
	{ "no-kprobes", OPT_NO_KPROBES, NULL, 0, "Live: tracepoints only (log-capture mode)", 5 },
	{ "user", OPT_USER, "USER", 0,
	  "Live: after attaching, run as USER with no capabilities (default: the sudo "
	  "caller, else nobody); output files are created as USER", 5 },
	{ "accept-user-kmsg", OPT_ACCEPT_USER_KMSG, NULL, 0,
	  "Live, test aid: also count driver-like lines that user space wrote to /dev/kmsg", 5 },
	{ "no-fentry", OPT_NO_FENTRY, NULL, 0,
	  "Live: kprobes on the driver even where fentry/fexit would work", 5 },
	{ "sync-slot", OPT_SYNC_SLOT, NULL, 0,
	  "Live: also probe arm_smmu_cmdq_write_entries for each issuer's exact CMD_SYNC slot "
	  "(one more kprobe per call)", 5 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show this help", 6 },
	{},
};

static struct options env = {
	.interval_s = 0,
	.slow_us = 10000,
};

static int parse_u64(const char *arg, unsigned long long max, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || *v > max || arg[0] == '-')
		return -EINVAL;
	return 0;
}

/* tcpdump -C: millions of bytes, or KiB/MiB/GiB with a suffix */
static int parse_size(const char *arg, uint64_t *bytes)
{
	static const char units[] = "kKmMgG";
	unsigned long long v, unit = 1000000;
	size_t len = strlen(arg);
	const char *u;
	char num[24];

	if (!len || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, arg, len + 1);
	u = strchr(units, num[len - 1]);
	if (u && num[len - 1]) {
		unit = 1ULL << (10 * (1 + (u - units) / 2));
		num[len - 1] = '\0';
	}
	if (parse_u64(num, 1000000000000ULL / unit, &v) || !v)
		return -EINVAL;
	*bytes = v * unit;
	return 0;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	unsigned long long v;

	switch (key) {
	case 'h':
		argp_state_help(state, stderr, ARGP_HELP_STD_HELP);
		break;
	case 'j':
		env.json = true;
		break;
	case 'v':
		env.verbose = true;
		break;
	case OPT_LIVE:
		env.live_flag = true;
		break;
	case OPT_SMMU:
		env.filt.smmu = arg;
		break;
	case OPT_SID:
		if (parse_u64(arg, UINT32_MAX, &v))
			argp_error(state, "invalid --sid '%s': expected 0x1f00 or 7936", arg);
		env.filt.have_sid = true;
		env.filt.sid = v;
		break;
	case OPT_DEVICE:
		env.filt.device = arg;
		break;
	case OPT_PID:
		if (parse_u64(arg, INT_MAX, &v) || !v)
			argp_error(state, "invalid --pid '%s'", arg);
		env.pid = v;
		break;
	case OPT_DURATION:
		if (parse_u64(arg, 365ULL * 86400, &v) || !v)
			argp_error(state, "invalid --duration '%s': seconds, at least 1", arg);
		env.duration_s = v;
		break;
	case OPT_INTERVAL:
		if (parse_u64(arg, 86400, &v))
			argp_error(state, "invalid --interval '%s': seconds", arg);
		env.interval_s = v;
		break;
	case OPT_SLOW:
		if (parse_u64(arg, 10000000, &v))
			argp_error(state, "invalid --slow '%s': microseconds", arg);
		env.slow_us = v;
		break;
	case OPT_ALL_ATC:
		env.all_atc = true;
		break;
	case OPT_RECORD:
		env.record = arg;
		break;
	case OPT_FORCE:
		env.force = true;
		break;
	case OPT_RECORD_SIZE:
		if (parse_size(arg, &env.record_size))
			argp_error(state, "invalid --record-size '%s': millions of bytes, or "
				   "with a suffix k, m or g: KiB, MiB or GiB (at most 1 TB)", arg);
		break;
	case OPT_RECORD_FILES:
		if (parse_u64(arg, 100000, &v) || !v)
			argp_error(state, "invalid --record-files '%s': 1 to 100000", arg);
		env.record_files = v;
		break;
	case OPT_USER:
		env.user = arg;
		break;
	case OPT_ACCEPT_USER_KMSG:
		env.accept_user_kmsg = true;
		break;
	case OPT_PROM:
		env.prom = arg;
		break;
	case OPT_YEAR:
		if (parse_u64(arg, 9999, &v) || v < 1970)
			argp_error(state, "invalid --year '%s'", arg);
		env.year = v;
		break;
	case OPT_BTF:
		env.btf_path = arg;
		break;
	case OPT_NO_KPROBES:
		env.no_kprobes = true;
		break;
	case OPT_SYNC_SLOT:
		env.sync_slot = true;
		break;
	case OPT_NO_FENTRY:
		env.no_fentry = true;
		break;
	case ARGP_KEY_ARG:
		if (env.cmd == CMD_NONE) {
			if (!strcmp(arg, "replay"))
				env.cmd = CMD_REPLAY;
			else if (!strcmp(arg, "check"))
				env.cmd = CMD_CHECK;
			else if (!strcmp(arg, "live"))
				env.cmd = CMD_LIVE;
			else
				argp_error(state, "unknown command '%s' (replay, check, or none for live)",
					   arg);
			break;
		}
		if (env.cmd != CMD_REPLAY)
			argp_error(state, "unexpected argument '%s'", arg);
		if (env.n_files == MAX_INPUTS)
			argp_error(state, "too many input files (at most %d)", MAX_INPUTS);
		env.files[env.n_files++] = arg;
		break;
	case ARGP_KEY_END:
		if (env.cmd == CMD_NONE)
			env.cmd = CMD_LIVE;
		if (env.cmd == CMD_REPLAY && !env.n_files)
			argp_error(state, "replay needs at least one FILE (\"-\" for stdin)");
		if (env.cmd != CMD_LIVE && (env.live_flag || env.duration_s || env.pid ||
					    env.interval_s || env.all_atc))
			argp_error(state, "--live, --duration, --interval, --pid and --all-atc "
				   "only apply to live tracing");
		if (env.cmd == CMD_REPLAY && (env.btf_path || env.no_kprobes || env.sync_slot ||
					      env.no_fentry))
			argp_error(state, "--btf, --no-kprobes, --no-fentry and --sync-slot apply "
				   "to live tracing and check, not replay");
		if (env.cmd == CMD_CHECK && (env.record || env.prom || env.filt.smmu ||
					     env.filt.device || env.filt.have_sid || env.json))
			argp_error(state, "check takes only -v, --btf, --no-kprobes, --no-fentry, "
				   "--sync-slot");
		if (env.cmd != CMD_REPLAY && env.year)
			argp_error(state, "--year only applies to replay");
		if ((env.force || env.record_size) && !env.record)
			argp_error(state, "--force and --record-size only apply with --record");
		if (env.record_files && !env.record_size)
			argp_error(state, "--record-files needs --record-size");
		if (env.cmd != CMD_LIVE && (env.user || env.accept_user_kmsg))
			argp_error(state, "--user and --accept-user-kmsg only apply to live "
				   "tracing");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts,
		.parser = parse_arg,
		.args_doc = args_doc,
		.doc = doc,
	};
	int err;

	argp_err_exit_status = EXIT_USAGE;
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return EXIT_USAGE;
	switch (env.cmd) {
	case CMD_REPLAY:
		return cmd_replay(&env);
	case CMD_CHECK:
		return cmd_check(&env);
	default:
		return cmd_live(&env);
	}
}
