/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The parsed command line: main.c fills it, the commands read it and take
 * nothing else from main.c.
 */
#ifndef SMMUTRACE_OPTIONS_H
#define SMMUTRACE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "report.h"

#ifndef SMMUTRACE_VERSION
#define SMMUTRACE_VERSION "0.1.0"
#endif

#define EXIT_OK		0
#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

#define MAX_INPUTS	64

enum command { CMD_NONE = 0, CMD_LIVE, CMD_REPLAY, CMD_CHECK };

struct options {
	enum command cmd;
	bool json;
	bool verbose;
	bool live_flag;
	bool force;
	bool all_atc;
	bool no_kprobes;
	bool no_fentry;
	bool sync_slot;
	bool accept_user_kmsg;
	struct report_filter filt;
	uint32_t pid;
	uint64_t duration_s;
	uint64_t interval_s;
	uint64_t slow_us;
	int year;
	const char *record;
	uint64_t record_size;		/* bytes per capture file, 0 = no rotation */
	unsigned int record_files;	/* capture files kept, 0 = all */
	const char *user;		/* --user, NULL = the default (privdrop.h) */
	const char *prom;
	const char *btf_path;
	const char *files[MAX_INPUTS];
	int n_files;
};

int cmd_replay(const struct options *o);
int cmd_live(const struct options *o);
int cmd_check(const struct options *o);

#endif /* SMMUTRACE_OPTIONS_H */
