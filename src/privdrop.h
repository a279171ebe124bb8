/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Privilege drop after attach, as tcpdump -Z does it: once the BPF
 * programs are attached and /dev/kmsg is open, smmutrace needs only the
 * file descriptors it holds.  It switches to the target user (real,
 * effective and saved ids), drops supplementary groups, empties the
 * bounding and ambient sets and sets no_new_privs.  Of the capabilities
 * it keeps only what the kernel still asks for to read maps through those
 * descriptors: nothing since 5.19 (commit c8644cd0efe7 "bpf: refine
 * kernel.unprivileged_bpf_disabled behaviour": the sysctl then blocks only
 * map creation and program loads; measured on Debian's 6.1 and 6.12 and on
 * 6.18); CAP_BPF before 5.19 when that sysctl is set (Debian's default),
 * because every bpf(2) call checked it.  Ring buffers are read through
 * mmap and epoll and need nothing.  What to keep is found out by trying a
 * map read with each candidate set, not from the version.
 */
#ifndef SMMUTRACE_PRIVDROP_H
#define SMMUTRACE_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privdrop_target {
	uid_t uid;
	gid_t gid;
	bool set_ids;		/* switch uid/gid/groups; false: only drop capabilities */
	char who[96];		/* for messages: "alice (uid 1000, the sudo caller)" */
};

/*
 * The user to run as: --user NAME or UID[:GID]; by default the sudo
 * caller (SUDO_UID/SUDO_GID, when root and the caller was not root),
 * else nobody (65534 where there is no passwd entry).  Not root: the
 * current ids, unless --user names others.  0, or -errno with err.
 */
int privdrop_resolve(const char *user, struct privdrop_target *t, char *err, size_t errlen);

/* 0 when what the run does from now on works with the effective set as it is */
typedef int (*privdrop_probe_fn)(void *ctx);

/*
 * Switch to t and keep the fewest capabilities probe needs (none when
 * probe is NULL).  kept gets their names ("none", "cap_bpf").  0, or
 * -errno with err; on error the process may be half-dropped and must stop.
 */
int privdrop_apply(const struct privdrop_target *t, privdrop_probe_fn probe, void *ctx,
		   char *kept, size_t keptlen, char *err, size_t errlen);

#endif /* SMMUTRACE_PRIVDROP_H */
