// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The output layer under the views: the streaming JSON writer (structure,
 * escaping, numbers) and the output buffer (every write checked, the first
 * error kept with its errno, only whole records left in a file).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "jsonw.h"
#include "obuf.h"

static char *text(struct obuf *o)
{
	obuf_putc(o, '\0');
	o->len--;
	return o->buf;
}

static void test_jsonw_structure(void **state)
{
	struct obuf o;
	struct jw w;

	obuf_init_mem(&o);
	jw_init(&w, &o);
	jw_obj(&w);
	jw_kv_u64(&w, "a", 18446744073709551615ULL);
	jw_kv_i64(&w, "b", INT64_MIN);
	jw_key(&w, "c");
	jw_arr(&w);
	jw_obj(&w);
	jw_obj_end(&w);
	jw_arr(&w);
	jw_arr_end(&w);
	jw_null(&w);
	jw_bool(&w, false);
	jw_arr_end(&w);
	jw_kv_str_or_null(&w, "d", "");
	jw_kv_u64_if(&w, "e", false, 1);
	jw_key(&w, "f");
	jw_hex(&w, 0xffff800012345678ULL);
	jw_obj_end(&w);
	assert_string_equal(text(&o), "{\"a\":18446744073709551615,\"b\":-9223372036854775808,"
			    "\"c\":[{},[],null,false],\"d\":null,\"e\":null,"
			    "\"f\":\"0xffff800012345678\"}");
	obuf_free(&o);
}

static void test_jsonw_permille(void **state)
{
	static const struct { uint32_t v; const char *s; } cases[] = {
		{ 0, "0.0" }, { 5, "0.005" }, { 50, "0.05" }, { 750, "0.75" },
		{ 999, "0.999" }, { 1000, "1.0" }, { 1234, "1.234" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct obuf o;
		struct jw w;

		obuf_init_mem(&o);
		jw_init(&w, &o);
		jw_permille(&w, cases[i].v);
		assert_string_equal(text(&o), cases[i].s);
		obuf_free(&o);
	}
}

/* one string through the writer, as it appears in the output */
static void assert_json_string(const char *in, const char *want)
{
	struct obuf o;
	struct jw w;

	obuf_init_mem(&o);
	jw_init(&w, &o);
	jw_str(&w, in);
	assert_string_equal(text(&o), want);
	obuf_free(&o);
}

static void test_jsonw_escaping(void **state)
{
	assert_json_string("plain 0000:01:00.0", "\"plain 0000:01:00.0\"");
	assert_json_string("q\"\b\t\n\f\r\x01\x0b\x1f\x7f", "\"q\\\"\\b\\t\\n\\f\\r\\u0001\\u000B"
			   "\\u001F\x7f\"");
	/* the backslash and bytes that are not UTF-8 become the text \xNN */
	assert_json_string("a\\b", "\"a\\\\x5cb\"");
	assert_json_string("\xff\xc0\xaf", "\"\\\\xff\\\\xc0\\\\xaf\"");
	/* surrogates and code points past U+10FFFF are not UTF-8 either */
	assert_json_string("\xed\xa0\x80", "\"\\\\xed\\\\xa0\\\\x80\"");
	assert_json_string("\xf4\x90\x80\x80", "\"\\\\xf4\\\\x90\\\\x80\\\\x80\"");
	assert_json_string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\"\xc3\xa9\xe2\x82\xac"
			   "\xf0\x9f\x98\x80\"");
	/* a sequence cut by the end of the string */
	assert_json_string("x\xe2\x82", "\"x\\\\xe2\\\\x82\"");
}

static void put_record(struct obuf *o, const char *s)
{
	obuf_puts(o, s);
	obuf_end_record(o);
}

/* the byte rule the 8-byte test must agree with, for every byte at every place */
static bool byte_plain(unsigned int c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

static void test_jsonw_word_test(void **state)
{
	/* every byte value at every place, the others plain or each a borrow source */
	static const unsigned char fill[] = { ' ', 'A', 0x7f, 0x21, 0x23, 0x5d };

	for (size_t f = 0; f < sizeof(fill); f++)
		for (int at = 0; at < 8; at++)
			for (unsigned int c = 0; c < 256; c++) {
				unsigned char b[8];
				uint64_t x;

				memset(b, fill[f], sizeof(b));
				b[at] = c;
				memcpy(&x, b, sizeof(x));
				assert_int_equal(jw_word_plain(x), byte_plain(c));
			}
	/* two hits, and a hit below a byte whose borrow could hide it */
	assert_false(jw_plain("\"\"", 2));
	assert_false(jw_plain("abcdefg\x01", 8));
	assert_false(jw_plain("\x01\x00", 2));
	/* lengths around the word size, the bad byte at each end */
	for (size_t n = 1; n < 20; n++) {
		char s[24];

		memset(s, 'k', n);
		s[n] = '\0';
		assert_true(jw_plain(s, n));
		s[0] = '"';
		assert_false(jw_plain(s, n));
		s[0] = 'k';
		s[n - 1] = '\\';
		assert_false(jw_plain(s, n));
	}
}

/* keys that need escaping take the general path, as values do */
static void test_jsonw_keys(void **state)
{
	const char *fn = "odd\"fn\xff";
	struct obuf o;
	struct jw w;

	obuf_init_mem(&o);
	jw_init(&w, &o);
	jw_obj(&w);
	jw_kv_u64(&w, fn, 1);
	jw_kv_u64(&w, "plain_key_longer_than_8", 2);
	jw_kv_str(&w, "s", "v");
	jw_obj_end(&w);
	assert_string_equal(text(&o), "{\"odd\\\"fn\\\\xff\":1,"
			    "\"plain_key_longer_than_8\":2,\"s\":\"v\"}");
	obuf_free(&o);
}

/* numbers against printf, around every digit count */
static void test_obuf_numbers(void **state)
{
	uint64_t p10 = 1;

	for (int d = 0; d <= 20; d++) {
		uint64_t cases[] = { p10 - 1, p10, p10 + 1, p10 * 7 + 3 };

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char want[64];
			struct obuf o;
			struct jw w;

			snprintf(want, sizeof(want), "%llu,\"0x%llx\"",
				 (unsigned long long)cases[i], (unsigned long long)cases[i]);
			obuf_init_mem(&o);
			jw_init(&w, &o);
			obuf_u64(&o, cases[i]);
			obuf_putc(&o, ',');
			jw_hex(&w, cases[i]);
			assert_string_equal(text(&o), want);
			obuf_free(&o);
		}
		if (d < 19)
			p10 *= 10;
		else
			p10 = UINT64_MAX;
	}
}


/* jw_u64's own path for one digit and obuf_u64's for more, as printf prints them */
static void test_jw_numbers(void **state)
{
	char want[4096], *p = want;
	struct obuf o;
	struct jw w;

	obuf_init_mem(&o);
	jw_init(&w, &o);
	jw_arr(&w);
	p += sprintf(p, "[");
	for (uint64_t i = 0; i < 120; i++) {
		uint64_t v = i < 60 ? i : i * i % 1009;

		jw_u64(&w, v);
		p += sprintf(p, "%s%llu", i ? "," : "", (unsigned long long)v);
	}
	jw_arr_end(&w);
	sprintf(p, "]");
	assert_string_equal(text(&o), want);
	obuf_free(&o);
}


static void test_obuf_full_device(void **state)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	struct obuf o;

	assert_true(fd >= 0);
	obuf_init_fd(&o, fd);
	o.flush_at = 1;
	put_record(&o, "{}\n");
	assert_int_equal(obuf_error(&o), -ENOSPC);
	/* sticky, and nothing piles up behind it */
	put_record(&o, "{}\n");
	assert_int_equal(obuf_flush(&o), -ENOSPC);
	assert_int_equal(o.len, 0);
	obuf_free(&o);
	close(fd);
}

static void test_obuf_broken_pipe(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct obuf o;
	int p[2];

	assert_int_equal(pipe(p), 0);
	close(p[0]);
	sigaction(SIGPIPE, &ign, &old);
	obuf_init_fd(&o, p[1]);
	obuf_puts(&o, "{}\n");
	obuf_end_record(&o);
	assert_int_equal(obuf_flush(&o), -EPIPE);
	sigaction(SIGPIPE, &old, NULL);
	obuf_free(&o);
	close(p[1]);
}

static const char twenty[] = "{\"record\":\"twenty bytes\"}\n";

/*
 * 'fill' writes through an obuf to a file that can hold two of the
 * records above and a half; the error it saw, and what the file kept.
 */
static off_t under_size_limit(int (*fill)(struct obuf *o), int *err)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	char path[] = "/tmp/smmutrace-obuf-XXXXXX";
	struct rlimit lim, saved;
	struct stat st;
	struct obuf o;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	getrlimit(RLIMIT_FSIZE, &saved);
	lim = saved;
	lim.rlim_cur = 5 * strlen(twenty) / 2;
	sigaction(SIGXFSZ, &ign, &old);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	obuf_init_fd(&o, fd);
	*err = fill(&o);
	setrlimit(RLIMIT_FSIZE, &saved);
	sigaction(SIGXFSZ, &old, NULL);
	assert_int_equal(fstat(fd, &st), 0);
	obuf_free(&o);
	close(fd);
	return st.st_size;
}

/* one record, then one of two records' size */
static int one_then_a_double(struct obuf *o)
{
	o->flush_at = 1;
	put_record(o, twenty);
	obuf_puts(o, twenty);
	obuf_puts(o, twenty);
	obuf_end_record(o);
	return obuf_error(o);
}

/* a write cut short by the file size limit: the file keeps whole records */
static void test_obuf_whole_records(void **state)
{
	int err;

	assert_int_equal(under_size_limit(one_then_a_double, &err), strlen(twenty));
	assert_int_equal(err, -EFBIG);
}

static void test_obuf_grows(void **state)
{
	size_t n = 1500000;	/* past the first allocation, twice */
	char *big = malloc(n);
	struct obuf o;

	assert_non_null(big);
	memset(big, 'x', n - 1);
	big[n - 1] = '\0';
	obuf_init_mem(&o);
	assert_true(o.cap < n);
	obuf_printf(&o, "<%s>", big);
	obuf_puts(&o, big);
	assert_int_equal(o.len, 2 * (n - 1) + 2);
	assert_int_equal(o.buf[0], '<');
	assert_int_equal(o.buf[n], '>');
	assert_int_equal(obuf_error(&o), 0);
	obuf_free(&o);
	free(big);
}

static int four_in_one_write(struct obuf *o)
{
	for (int i = 0; i < 4; i++)
		put_record(o, twenty);
	return obuf_flush(o);
}

/*
 * One write of several records cut short: the records it finished stay,
 * the one it cut is taken back (flushes are large).
 */
static void test_obuf_short_write_keeps_records(void **state)
{
	int err;

	assert_int_equal(under_size_limit(four_in_one_write, &err), 2 * strlen(twenty));
	assert_int_equal(err, -EFBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonw_structure),
		cmocka_unit_test(test_jsonw_permille),
		cmocka_unit_test(test_jsonw_escaping),
		cmocka_unit_test(test_jsonw_word_test),
		cmocka_unit_test(test_jsonw_keys),
		cmocka_unit_test(test_obuf_numbers),
		cmocka_unit_test(test_jw_numbers),
		cmocka_unit_test(test_obuf_full_device),
		cmocka_unit_test(test_obuf_broken_pipe),
		cmocka_unit_test(test_obuf_whole_records),
		cmocka_unit_test(test_obuf_grows),
		cmocka_unit_test(test_obuf_short_write_keeps_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
