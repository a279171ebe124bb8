// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * privdrop.c for real, in forked children (a drop cannot be undone): the
 * ids and capabilities the kernel reports afterwards, and the choice of
 * the fewest capabilities a probe needs.  Needs root; says so otherwise.
 */
#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "privdrop.h"

/* the probe of a kernel before 5.19 with unprivileged_bpf_disabled: CAP_BPF or nothing */
static int needs_cap_bpf(void *ctx)
{
	cap_t c = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	(*(int *)ctx)++;
	cap_get_flag(c, CAP_BPF, CAP_EFFECTIVE, &v);
	cap_free(c);
	return v == CAP_SET ? 0 : -EPERM;
}

static int never(void *ctx)
{
	return -EPERM;
}

static unsigned long long caps(cap_flag_t which)
{
	unsigned long long m = 0;
	cap_t c = cap_get_proc();
	cap_flag_value_t v;

	for (cap_value_t i = 0; i < (cap_value_t)cap_max_bits(); i++)
		if (!cap_get_flag(c, i, which, &v) && v == CAP_SET)
			m |= 1ULL << i;
	cap_free(c);
	return m;
}

/* run fn in a child; its exit status is the line of the first failed check, 0 = all held */
static int in_child(int (*fn)(void))
{
	int st;
	pid_t pid = fork();

	if (!pid)
		_exit(fn());
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

#define CHECK(c)	do { if (!(c)) return __LINE__ & 0xff ?: 1; } while (0)

static int drop_to_sudo_caller(void)
{
	struct privdrop_target t;
	char kept[64], err[300];
	uid_t r, e, s;
	gid_t rg, eg, sg;

	setenv("SUDO_UID", "4242", 1);
	setenv("SUDO_GID", "4243", 1);
	setenv("SUDO_USER", "alice", 1);
	CHECK(!privdrop_resolve(NULL, &t, err, sizeof(err)));
	CHECK(t.uid == 4242 && t.gid == 4243 && t.set_ids);
	CHECK(!privdrop_apply(&t, NULL, NULL, kept, sizeof(kept), err, sizeof(err)));
	CHECK(!strcmp(kept, "none"));
	CHECK(!getresuid(&r, &e, &s) && r == 4242 && e == 4242 && s == 4242);
	CHECK(!getresgid(&rg, &eg, &sg) && rg == 4243 && eg == 4243 && sg == 4243);
	CHECK(getgroups(0, NULL) == 0);
	CHECK(!caps(CAP_PERMITTED) && !caps(CAP_EFFECTIVE) && !caps(CAP_INHERITABLE));
	CHECK(cap_get_bound(CAP_SYS_ADMIN) == 0 && cap_get_bound(CAP_BPF) == 0);
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
	CHECK(setuid(0) == -1 && errno == EPERM);
	return 0;
}

static int keep_what_the_probe_needs(void)
{
	struct privdrop_target t;
	char kept[64], err[300];
	int calls = 0;

	CHECK(!privdrop_resolve("4244:4245", &t, err, sizeof(err)));
	CHECK(!privdrop_apply(&t, needs_cap_bpf, &calls, kept, sizeof(kept), err, sizeof(err)));
	/* tried with nothing first, then CAP_BPF alone, and stopped there */
	CHECK(calls == 2);
	CHECK(!strcmp(kept, "cap_bpf"));
	CHECK(caps(CAP_EFFECTIVE) == 1ULL << CAP_BPF && caps(CAP_PERMITTED) == 1ULL << CAP_BPF);
	CHECK(cap_get_bound(CAP_BPF) == 1 && cap_get_bound(CAP_SYS_ADMIN) == 0);
	CHECK(getuid() == 4244 && getgid() == 4245);
	CHECK(!needs_cap_bpf(&calls));
	return 0;
}

static int refuse_when_nothing_works(void)
{
	struct privdrop_target t;
	char kept[64], err[300] = "";

	CHECK(!privdrop_resolve("4246", &t, err, sizeof(err)));
	CHECK(privdrop_apply(&t, never, NULL, kept, sizeof(kept), err, sizeof(err)) == -EPERM);
	CHECK(strstr(err, "reading BPF maps fails"));
	return 0;
}

static void test_drop(void **state)
{
	if (geteuid()) {
		print_message("not root: the privilege drop cannot be exercised here\n");
		skip();
	}
	assert_int_equal(in_child(drop_to_sudo_caller), 0);
	assert_int_equal(in_child(keep_what_the_probe_needs), 0);
	assert_int_equal(in_child(refuse_when_nothing_works), 0);
}

static void test_resolve(void **state)
{
	struct privdrop_target t;
	char err[300];

	assert_int_equal(privdrop_resolve("5:6", &t, err, sizeof(err)), 0);
	assert_int_equal(t.uid, 5);
	assert_int_equal(t.gid, 6);
	assert_int_equal(privdrop_resolve("no-such-user-smmutrace", &t, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "no such user"));
	assert_int_equal(privdrop_resolve("5:x", &t, err, sizeof(err)), -EINVAL);
	assert_int_equal(privdrop_resolve("-1", &t, err, sizeof(err)), -EINVAL);
	if (geteuid())
		return;
	/* root: sudo by root itself is not a caller to become */
	setenv("SUDO_UID", "0", 1);
	setenv("SUDO_GID", "0", 1);
	assert_int_equal(privdrop_resolve(NULL, &t, err, sizeof(err)), 0);
	assert_int_not_equal(t.uid, 0);
	assert_non_null(strstr(t.who, "nobody"));
	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_drop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
