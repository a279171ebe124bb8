// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bytescan.h: the masks of the build's own code (SSE2 on x86_64) and of the
 * portable one (every other architecture, arm64 included) against a loop
 * over the bytes, on every offset of buffers holding every byte value.
 */
#include "testutil.h"
#include "bytescan.h"

/* the portable code again, under other names */
#undef SMMUTRACE_BYTESCAN_H
#define BYTESCAN_PORTABLE
#define zero_bytes	portable_zero_bytes
#define bytes_eq8	portable_eq8
#define bytes_eq16	portable_eq16
#define bytes_eq32	portable_eq32
#define bytes_eq64	portable_eq64
#define nl_block	portable_nl_block
#define nl_offsets	portable_nl_offsets
#include "bytescan.h"
#undef zero_bytes
#undef bytes_eq8
#undef bytes_eq16
#undef bytes_eq32
#undef bytes_eq64
#undef nl_block
#undef nl_offsets

static uint64_t by_loop(const char *p, int n, char c)
{
	uint64_t m = 0;

	for (int i = 0; i < n; i++)
		m |= (uint64_t)(p[i] == c) << i;
	return m;
}

static void check(const char *p, char c)
{
	uint64_t want = by_loop(p, 64, c);

	assert_int_equal(bytes_eq16(p, c), want & 0xffff);
	assert_int_equal(bytes_eq32(p, c), want & 0xffffffff);
	assert_int_equal(bytes_eq64(p, c), want);
	assert_int_equal(portable_eq16(p, c), want & 0xffff);
	assert_int_equal(portable_eq32(p, c), want & 0xffffffff);
	assert_int_equal(portable_eq64(p, c), want);
}

static void test_masks(void **state)
{
	static char buf[4096 + 64];
	uint32_t x = 12345;

	/* every byte value next to every other, and runs of the searched byte */
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245 + 12345;
		buf[i] = i < 1024 ? (char)(i * 7 + i / 256) : (x >> 16) % 5 ? (char)(x >> 8) : '\n';
	}
	for (size_t off = 0; off + 64 <= sizeof(buf); off++) {
		check(buf + off, '\n');
		check(buf + off, ' ');
		check(buf + off, (char)0x80);
		check(buf + off, '\0');
		check(buf + off, buf[off + (off % 64)]);
	}
}

/* the '\n' of buf[0, n) one by one */
static size_t offsets_by_loop(const char *buf, size_t n, uint16_t *off)
{
	size_t cnt = 0;

	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\n')
			off[cnt++] = i;
	return cnt;
}

/* nl_offsets() against a loop, from every offset for every length up to 300 */
static void test_nl_offsets(void **state)
{
	static char buf[1024 + 300];
	uint16_t want[300 + NL_SLACK], got[300 + NL_SLACK];
	uint32_t x = 777;

	/* lines of every length, and runs of newlines: 0, 1, 2 and more in a block */
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (x >> 16) % (i < 512 ? 3 : i < 900 ? 40 : 300) ? (char)(x >> 8) | 1 : '\n';
	}
	for (size_t from = 0; from < 1024; from++)
		for (size_t n = 0; n <= 300; n++) {
			size_t cnt = offsets_by_loop(buf + from, n, want);

			assert_int_equal(nl_offsets(buf + from, n, got), cnt);
			assert_memory_equal(got, want, cnt * sizeof(*got));
			assert_int_equal(portable_nl_offsets(buf + from, n, got), cnt);
			assert_memory_equal(got, want, cnt * sizeof(*got));
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_masks),
		cmocka_unit_test(test_nl_offsets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
