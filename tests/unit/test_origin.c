// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel messages vs user-space writes to /dev/kmsg (origin.c). */
#include "testutil.h"
#include "origin.h"

#define FAC(s)	origin_kmsg_facility((s), strlen(s))

/* records as /dev/kmsg returned them on 6.18 (see origin.h) */
static void test_kmsg_facility(void **state)
{
	/* the kernel: facility 0 at any level */
	assert_int_equal(FAC("3,1234,913000120,-;arm-smmu-v3 x: CMDQ error"), 0);
	assert_int_equal(FAC("6,0,0,-;Linux version 6.18"), 0);
	assert_int_equal(FAC("0,1,2,-;x"), 0);
	/* user space: no prefix (level 4), "<3>", even "<0>": facility 1 */
	assert_int_equal(FAC("12,409,484906961,-;arm-smmu-v3 x: CMDQ error"), 1);
	assert_int_equal(FAC("11,410,484906985,-;x"), 1);
	assert_int_equal(FAC("8,411,484907776,-;x"), 1);
	/* a writer that names another facility keeps it (mail, local0) */
	assert_int_equal(FAC("19,413,484909138,-;x"), 2);
	assert_int_equal(FAC("131,414,484909800,c;x"), 16);
	/* not a record */
	assert_int_equal(FAC(""), -1);
	assert_int_equal(FAC("3"), -1);
	assert_int_equal(FAC(",1,2,-;x"), -1);
	assert_int_equal(FAC("[  813.000120] arm-smmu-v3 x: CMDQ error"), -1);
	assert_int_equal(FAC("123456,1,2,-;x"), -1);
	assert_int_equal(origin_kmsg_facility("11,1", 2), -1);	/* cut before the comma */
}

/* /proc/kallsyms as on 6.18 x86-64: the writer, a .cold part, a constprop clone */
static void test_kallsyms_ranges(void **state)
{
	static const char *const lines[] = {
		"ffffffff8120b0f0 t devkmsg_llseek\n",
		"ffffffff8120b110 t devkmsg_emit.constprop.0\n",
		"ffffffff8120b1a1 t devkmsg_write.cold\n",
		"ffffffff8120b1d0 t devkmsg_read.cold\n",
		"ffffffff813ef720 t printk_sprint\n",
		"ffffffff813f15a0 t devkmsg_write\n",
		"ffffffff813f1600 d devkmsg_write_data\n",
		"ffffffff813f1700 T devkmsg_writer_not_a_clone\n",
		"ffffffffc0001000 t devkmsg_write\t[some_module]\n",
	};
	struct origin_ranges r = { 0 };

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		origin_kallsyms_line(&r, lines[i]);
	assert_int_equal(origin_ranges_finish(&r), 3);
	assert_int_equal(r.lo[0], 0xffffffff8120b110ULL);
	assert_int_equal(r.hi[0], 0xffffffff8120b1a1ULL);
	assert_int_equal(r.lo[1], 0xffffffff8120b1a1ULL);
	assert_int_equal(r.hi[1], 0xffffffff8120b1d0ULL);
	assert_int_equal(r.lo[2], 0xffffffff813f15a0ULL);
	assert_int_equal(r.hi[2], 0xffffffff813f1600ULL);
}

/* kptr_restrict: every address reads 0, nothing can be told apart */
static void test_kallsyms_hidden(void **state)
{
	struct origin_ranges r = { 0 };

	origin_kallsyms_line(&r, "0000000000000000 t devkmsg_write\n");
	origin_kallsyms_line(&r, "0000000000000000 t devkmsg_read\n");
	origin_kallsyms_line(&r, "garbage\n");
	origin_kallsyms_line(&r, "");
	assert_int_equal(origin_ranges_finish(&r), 0);
	/* the last symbol of all has no end: not a range */
	origin_kallsyms_line(&r, "ffffffff813f15a0 T devkmsg_write\n");
	assert_int_equal(origin_ranges_finish(&r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kmsg_facility),
		cmocka_unit_test(test_kallsyms_ranges),
		cmocka_unit_test(test_kallsyms_hidden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
