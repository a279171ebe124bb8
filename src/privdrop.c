// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "privdrop.h"

#define NOBODY_ID	65534	/* the kernel's overflow id, nobody/nogroup on Debian */

/* the fewest capabilities first: the first set that works is kept */
static const cap_value_t try_bpf[] = { CAP_BPF };
static const cap_value_t try_bpf_perfmon[] = { CAP_BPF, CAP_PERFMON };
static const cap_value_t try_admin[] = { CAP_SYS_ADMIN };
static const struct {
	const cap_value_t *caps;
	int n;
} candidates[] = {
	{ NULL, 0 },
	{ try_bpf, 1 },
	{ try_bpf_perfmon, 2 },
	{ try_admin, 1 },
};

/*
 * A static binary (the arm64 build) must not load glibc's NSS modules, which
 * may come from another glibc or be absent (initramfs): it reads the passwd
 * file itself.  Host builds ask NSS, so directory users work too.
 */
static struct passwd *user_by(const char *name, uid_t uid)
{
#ifdef SMMUTRACE_STATIC
	struct passwd *pw = NULL;
	FILE *f = fopen("/etc/passwd", "re");

	while (f && (pw = fgetpwent(f)))
		if (name ? !strcmp(pw->pw_name, name) : pw->pw_uid == uid)
			break;
	if (f)
		fclose(f);
	return pw;	/* fgetpwent's static buffer: valid until the next call */
#else
	return name ? getpwnam(name) : getpwuid(uid);
#endif
}

static int parse_id(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *end || *v >= (uid_t)-1 || s[0] == '-' ? -EINVAL : 0;
}

/* NAME, or UID[:GID] (the gid from the passwd entry, else equal to the uid) */
static int named_user(const char *user, struct privdrop_target *t, char *err, size_t errlen)
{
	char name[64], *colon;
	unsigned long uid, gid;
	struct passwd *pw;

	snprintf(name, sizeof(name), "%s", user);
	colon = strchr(name, ':');
	if (colon)
		*colon = '\0';
	pw = user_by(name, 0);
	if (pw && !colon) {
		t->uid = pw->pw_uid;
		t->gid = pw->pw_gid;
		snprintf(t->who, sizeof(t->who), "%s (uid %u)", name, t->uid);
		return 0;
	}
	if (parse_id(name, &uid) || (colon && parse_id(colon + 1, &gid))) {
		snprintf(err, errlen, "--user %s: no such user (a name, or UID[:GID])", user);
		return -EINVAL;
	}
	pw = colon ? NULL : user_by(NULL, uid);
	t->uid = uid;
	t->gid = colon ? gid : pw ? pw->pw_gid : uid;
	snprintf(t->who, sizeof(t->who), "uid %u gid %u", t->uid, t->gid);
	return 0;
}

/* sudo's caller, when sudo says so and it was not root */
static bool sudo_caller(struct privdrop_target *t)
{
	const char *u = getenv("SUDO_UID"), *g = getenv("SUDO_GID"), *n = getenv("SUDO_USER");
	unsigned long uid, gid;

	if (!u || !g || parse_id(u, &uid) || parse_id(g, &gid) || !uid)
		return false;
	t->uid = uid;
	t->gid = gid;
	snprintf(t->who, sizeof(t->who), "%.32s (uid %u, the sudo caller)", n ? n : "?", t->uid);
	return true;
}

int privdrop_resolve(const char *user, struct privdrop_target *t, char *err, size_t errlen)
{
	struct passwd *pw;

	memset(t, 0, sizeof(*t));
	t->set_ids = true;
	if (user)
		return named_user(user, t, err, errlen);
	if (geteuid()) {
		/* started unprivileged with capabilities: keep the ids, drop the rest */
		t->set_ids = false;
		t->uid = geteuid();
		t->gid = getegid();
		snprintf(t->who, sizeof(t->who), "uid %u (unchanged)", t->uid);
		return 0;
	}
	if (sudo_caller(t))
		return 0;
	pw = user_by("nobody", 0);
	t->uid = pw ? pw->pw_uid : NOBODY_ID;
	t->gid = pw ? pw->pw_gid : NOBODY_ID;
	snprintf(t->who, sizeof(t->who), "nobody (uid %u)", t->uid);
	return 0;
}

/* effective = exactly caps[0..n), permitted unchanged */
static int set_effective(cap_t c, const cap_value_t *caps, int n)
{
	if (cap_clear_flag(c, CAP_EFFECTIVE) ||
	    (n && cap_set_flag(c, CAP_EFFECTIVE, n, caps, CAP_SET)))
		return -errno;
	return cap_set_proc(c) ? -errno : 0;
}

static bool permitted(cap_t c, const cap_value_t *caps, int n)
{
	cap_flag_value_t v;

	for (int i = 0; i < n; i++)
		if (cap_get_flag(c, caps[i], CAP_PERMITTED, &v) || v != CAP_SET)
			return false;
	return true;
}

/* the first candidate under which probe succeeds, or -1 */
static int fewest(cap_t c, privdrop_probe_fn probe, void *ctx)
{
	int n = sizeof(candidates) / sizeof(candidates[0]);

	if (!probe)
		return 0;
	for (int i = 0; i < n; i++) {
		if (!permitted(c, candidates[i].caps, candidates[i].n) ||
		    set_effective(c, candidates[i].caps, candidates[i].n))
			continue;
		if (!probe(ctx))
			return i;
	}
	return -1;
}

/* needs CAP_SETPCAP in the effective set; without it (not root) there is nothing to drop */
static void drop_bounding(cap_t c, int keep)
{
	static const cap_value_t setpcap[] = { CAP_SETPCAP };
	cap_flag_value_t v;

	if (cap_get_flag(c, CAP_SETPCAP, CAP_PERMITTED, &v) || v != CAP_SET ||
	    set_effective(c, setpcap, 1))
		return;
	for (cap_value_t cap = 0; cap < (cap_value_t)cap_max_bits(); cap++) {
		bool kept = false;

		for (int i = 0; i < candidates[keep].n; i++)
			kept |= candidates[keep].caps[i] == cap;
		if (!kept)
			cap_drop_bound(cap);
	}
}

static int set_ids(const struct privdrop_target *t, char *err, size_t errlen)
{
	/* cap_setuid keeps the permitted set across the switch (PR_SET_KEEPCAPS) */
	if (cap_setgroups(t->gid, 0, NULL) || cap_setuid(t->uid)) {
		snprintf(err, errlen, "cannot switch to %s: %s", t->who, strerror(errno));
		return -errno;
	}
	return 0;
}

static void names(int keep, char *buf, size_t len)
{
	size_t o = 0;

	snprintf(buf, len, "none");
	for (int i = 0; i < candidates[keep].n && o < len; i++) {
		char *s = cap_to_name(candidates[keep].caps[i]);

		o += snprintf(buf + o, len - o, "%s%s", i ? "," : "", s ? s : "?");
		cap_free(s);
	}
}

/* what the kernel now says about this process, checked rather than assumed */
static int verify(const struct privdrop_target *t, int keep, char *err, size_t errlen)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	cap_t want = cap_init(), have = cap_get_proc();
	int ret = 0;

	if (t->set_ids && (getresuid(&r, &e, &s) || getresgid(&rg, &eg, &sg) ||
			   r != t->uid || e != t->uid || s != t->uid || rg != t->gid ||
			   eg != t->gid || sg != t->gid || getgroups(0, NULL) != 0)) {
		snprintf(err, errlen, "still not %s after switching", t->who);
		ret = -EPERM;
	} else if (!want || !have ||
		   (candidates[keep].n &&
		    (cap_set_flag(want, CAP_PERMITTED, candidates[keep].n, candidates[keep].caps,
				  CAP_SET) ||
		     cap_set_flag(want, CAP_EFFECTIVE, candidates[keep].n, candidates[keep].caps,
				  CAP_SET))) ||
		   cap_compare(want, have)) {
		snprintf(err, errlen, "capabilities not dropped as planned");
		ret = -EPERM;
	} else if (t->uid && !setuid(0)) {
		snprintf(err, errlen, "could become root again after dropping privileges");
		ret = -EPERM;
	}
	cap_free(want);
	cap_free(have);
	return ret;
}

int privdrop_apply(const struct privdrop_target *t, privdrop_probe_fn probe, void *ctx,
		   char *kept, size_t keptlen, char *err, size_t errlen)
{
	cap_t c = NULL;
	int keep, ret;

	if (t->set_ids) {
		ret = set_ids(t, err, errlen);
		if (ret)
			return ret;
	}
	c = cap_get_proc();
	if (!c) {
		snprintf(err, errlen, "cannot read capabilities: %s", strerror(errno));
		return -errno;
	}
	keep = fewest(c, probe, ctx);
	if (keep < 0) {
		snprintf(err, errlen, "reading BPF maps fails even with the capabilities "
			 "smmutrace started with");
		ret = -EPERM;
		goto out;
	}
	drop_bounding(c, keep);
	cap_reset_ambient();	/* EINVAL before 4.3: there is no ambient set to clear */
	ret = -EPERM;
	if (cap_clear(c) ||
	    (candidates[keep].n &&
	     (cap_set_flag(c, CAP_PERMITTED, candidates[keep].n, candidates[keep].caps, CAP_SET) ||
	      cap_set_flag(c, CAP_EFFECTIVE, candidates[keep].n, candidates[keep].caps,
			   CAP_SET))) ||
	    cap_set_proc(c) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(errno));
		ret = -errno;
		goto out;
	}
	names(keep, kept, keptlen);
	ret = verify(t, keep, err, errlen);
out:
	cap_free(c);
	return ret;
}
