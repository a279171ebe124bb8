// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rotated capture sets: order, repeats and gaps (capset.c). */
#include "testutil.h"
#include "capset.h"

struct notes {
	struct capset_note v[16];
	int n;
};

static void collect(void *ctx, const struct capset_note *note, const struct capset_entry *e)
{
	struct notes *ns = ctx;

	assert_true(ns->n < 16);
	ns->v[ns->n++] = *note;
}

static struct capset_entry ent(const char *name, int ino, const char *set, uint32_t seq)
{
	struct capset_entry e = { .name = name, .have_id = ino > 0, .dev = 1, .ino = ino,
				  .seq = seq };

	strcpy(e.set, set);
	return e;
}

/* a glob's order (x, x.1, x.10, x.2): the set's own order, in the set's places */
static void test_glob_order(void **state)
{
	struct capset_entry e[] = {
		ent("kern.log", 10, "", 0), ent("x", 1, "aa", 0), ent("x.1", 2, "aa", 1),
		ent("x.10", 3, "aa", 10), ent("x.2", 4, "aa", 2), ent("y", 5, "bb", 0),
	};
	struct notes ns = { .n = 0 };
	int order[6], gaps, n;

	n = capset_order(e, 6, order, &gaps, collect, &ns);
	assert_int_equal(n, 6);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 2);
	assert_int_equal(order[3], 4);	/* x.2 before x.10 */
	assert_int_equal(order[4], 3);
	assert_int_equal(order[5], 5);
	/* 3..9 are missing between x.2 and x.10 */
	assert_int_equal(gaps, 1);
	assert_int_equal(ns.n, 1);
	assert_int_equal(ns.v[0].kind, CAPSET_GAP);
	assert_int_equal(ns.v[0].entry, 3);
	assert_int_equal(ns.v[0].other, 4);
	assert_int_equal(ns.v[0].first, 3);
	assert_int_equal(ns.v[0].last, 9);
}

/* a ring that has dropped its oldest files starts late: not a gap */
static void test_ring_start_is_not_a_gap(void **state)
{
	struct capset_entry e[] = {
		ent("x.9", 1, "aa", 9), ent("x.7", 2, "aa", 7), ent("x.8", 3, "aa", 8),
	};
	int order[3], gaps;

	assert_int_equal(capset_order(e, 3, order, &gaps, NULL, NULL), 3);
	assert_int_equal(gaps, 0);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 0);
}

/* the same file twice (two names or twice the same), or a copy of one */
static void test_repeats(void **state)
{
	struct capset_entry e[] = {
		ent("x.1", 2, "aa", 1), ent("x", 1, "aa", 0), ent("./x", 1, "aa", 0),
		ent("copy-of-x.1", 7, "aa", 1), ent("a.log", 8, "", 0), ent("a.log", 8, "", 0),
		ent("-", 0, "", 0), ent("-", 0, "", 0),
	};
	struct notes ns = { .n = 0 };
	int order[8], gaps, n;

	n = capset_order(e, 8, order, &gaps, collect, &ns);
	assert_int_equal(n, 5);
	assert_int_equal(order[0], 1);	/* x, then x.1, where x.1 and x stood */
	assert_int_equal(order[1], 0);
	assert_int_equal(order[2], 4);
	/* pipes have no identity: both are read */
	assert_int_equal(order[3], 6);
	assert_int_equal(order[4], 7);
	assert_int_equal(gaps, 0);
	assert_int_equal(ns.n, 3);
	assert_int_equal(ns.v[0].kind, CAPSET_REPEAT);
	assert_int_equal(ns.v[0].entry, 2);
	assert_int_equal(ns.v[0].other, 1);
	assert_int_equal(ns.v[1].kind, CAPSET_SAME_SEQ);
	assert_int_equal(ns.v[1].entry, 3);
	assert_int_equal(ns.v[1].other, 0);
	assert_int_equal(ns.v[2].kind, CAPSET_REPEAT);
	assert_int_equal(ns.v[2].entry, 5);
}

/* two sets interleaved stay in their own places */
static void test_two_sets(void **state)
{
	struct capset_entry e[] = {
		ent("b.1", 1, "bb", 1), ent("a.2", 2, "aa", 2), ent("b", 3, "bb", 0),
		ent("a", 4, "aa", 0), ent("a.1", 5, "aa", 1),
	};
	int order[5], gaps;

	assert_int_equal(capset_order(e, 5, order, &gaps, NULL, NULL), 5);
	assert_int_equal(gaps, 0);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 3);
	assert_int_equal(order[2], 0);
	assert_int_equal(order[3], 4);
	assert_int_equal(order[4], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob_order),
		cmocka_unit_test(test_ring_start_is_not_a_gap),
		cmocka_unit_test(test_repeats),
		cmocka_unit_test(test_two_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
