// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Views: escaping of untrusted strings, the JSON contract fields, filters.
 */
#include <jansson.h>

#include "testutil.h"

#include "report.h"

static struct incident *mk_incident(void)
{
	struct incident *inc = calloc(1, sizeof(*inc));

	inc->id = 7;
	inc->kind = INC_ATC_TIMEOUT;
	strcpy(inc->smmu, "arm-smmu-v3.0.auto");
	inc->max_n_shift = 16;
	inc->have_cons = true;
	inc->cons = 0x0302bb84;
	inc->cerror = 3;
	inc->prod = SMMU_NO_POS;
	inc->issuer_notified = -1;
	inc->bitmap = 2;
	inc->confidence = CONF_PROBABLE;
	inc->n_suspects = 1;
	inc->suspects[0].have_sid = true;
	inc->suspects[0].sid = 0x100;
	strcpy(inc->suspects[0].dev, "0000:01:00.0");
	inc->suspects[0].evidence = EVD_AER_CMPLTO | EVD_ISSUER;
	inc->first.flags = SMMU_EVF_MONO | SMMU_EVF_WALL;
	inc->first.mono_ns = 813000120000ULL;
	inc->first.wall_ns = 1779185472123456789LL;
	inc->last = inc->first;
	return inc;
}

static json_t *render(const struct incident *inc)
{
	struct report r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_error_t err;
	json_t *j;

	report_init(&r, FMT_JSON, f, SRC_LOG, "host\"1\n");
	report_incident(&r, inc);
	fclose(f);
	/* exactly one line */
	assert_non_null(strchr(buf, '\n'));
	assert_int_equal(strchr(buf, '\n') - buf + 1, (long)len);
	j = json_loads(buf, 0, &err);
	free(buf);
	assert_non_null(j);
	return j;
}

static void test_json_contract(void **state)
{
	struct incident *inc = mk_incident();
	json_t *j = render(inc), *s;

	assert_string_equal(json_string_value(json_object_get(j, "type")), "incident");
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "atc_timeout");
	assert_string_equal(json_string_value(json_object_get(j, "smmu")), "arm-smmu-v3.0.auto");
	assert_int_equal(json_integer_value(json_object_get(j, "cons")), 0x0302bb84);
	assert_int_equal(json_integer_value(json_object_get(j, "idx")), 0xbb84);
	assert_int_equal(json_integer_value(json_object_get(j, "wrap")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "prod")), 0xbb84);
	assert_true(json_is_null(json_object_get(j, "hwprod")));
	assert_true(json_is_null(json_object_get(j, "issuer_notified")));
	assert_int_equal(json_integer_value(json_object_get(j, "retries")), 0);
	assert_string_equal(json_string_value(json_object_get(j, "confidence")), "probable");
	assert_string_equal(json_string_value(json_object_get(j, "time")),
			    "2026-05-19T10:11:12.123456Z");
	assert_int_equal(json_integer_value(json_object_get(j, "mono_ns")), 813000120000LL);
	assert_string_equal(json_string_value(json_object_get(j, "source")), "log");
	assert_string_equal(json_string_value(json_object_get(j, "host")), "host\"1\n");
	s = json_array_get(json_object_get(j, "suspects"), 0);
	assert_int_equal(json_integer_value(json_object_get(s, "sid")), 0x100);
	assert_string_equal(json_string_value(json_object_get(s, "device")), "0000:01:00.0");
	assert_int_equal(json_array_size(json_object_get(s, "evidence")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(s, "evidence"), 0)),
			    "issuer_batch");
	json_decref(j);
	free(inc);
}

static void test_json_unknowns_are_null(void **state)
{
	struct incident *inc = mk_incident();
	json_t *j;

	inc->max_n_shift = 0;
	inc->smmu[0] = '\0';
	inc->first.flags = 0;
	inc->issuer_notified = 0;
	j = render(inc);
	assert_true(json_is_null(json_object_get(j, "idx")));
	assert_true(json_is_null(json_object_get(j, "wrap")));
	assert_true(json_is_null(json_object_get(j, "smmu")));
	assert_true(json_is_null(json_object_get(j, "time")));
	assert_true(json_is_null(json_object_get(j, "mono_ns")));
	assert_true(json_is_false(json_object_get(j, "issuer_notified")));
	/* without max_n_shift the position is CONS minus its error bits */
	assert_int_equal(json_integer_value(json_object_get(j, "prod")), 0x2bb84);
	json_decref(j);
	free(inc);
}

static void test_json_escaping(void **state)
{
	struct incident *inc = mk_incident();
	json_t *j, *s;

	strcpy(inc->suspects[0].dev, "dev\"\\\x01\xff\xc3\xa9");
	strcpy(inc->smmu, "bad\xc0\xafname");	/* overlong '/' is invalid UTF-8 */
	j = render(inc);
	s = json_array_get(json_object_get(j, "suspects"), 0);
	assert_string_equal(json_string_value(json_object_get(s, "device")),
			    "dev\"\\\x01\\xff\xc3\xa9");
	assert_string_equal(json_string_value(json_object_get(j, "smmu")), "bad\\xc0\\xafname");
	json_decref(j);
	free(inc);
}

static void test_text_escape(void **state)
{
	char buf[64];

	text_escape(buf, sizeof(buf), "ok-0000:01:00.0");
	assert_string_equal(buf, "ok-0000:01:00.0");
	text_escape(buf, sizeof(buf), "a\nb\x1b[31m\\\xff");
	assert_string_equal(buf, "a\\x0ab\\x1b[31m\\x5c\\xff");
	/* never overruns, always terminated */
	text_escape(buf, 6, "\x01\x02\x03");
	assert_string_equal(buf, "\\x01");
	text_escape(buf, 1, "abc");
	assert_string_equal(buf, "");
}

static void test_text_view(void **state)
{
	struct incident *inc = mk_incident();
	struct report r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	strcpy(inc->suspects[0].dev, "evil\n\x1b[2J");
	report_init(&r, FMT_TEXT, f, SRC_LOG, "h");
	report_incident(&r, inc);
	fclose(f);
	assert_non_null(strstr(buf, "atc_timeout on arm-smmu-v3.0.auto"));
	assert_non_null(strstr(buf, "cons 0x0302bb84 (ATC invalidate timeout)"));
	assert_non_null(strstr(buf, "CMD_SYNC idx 0xbb84 wrap 0"));
	assert_non_null(strstr(buf, "evil\\x0a\\x1b[2J"));
	assert_null(strchr(buf, '\x1b'));
	for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1)
		assert_true(nl - line < 100);
	free(buf);
	free(inc);
}

static void test_filters(void **state)
{
	struct incident *inc = mk_incident();
	struct report_filter f = { 0 };

	assert_true(report_filter_match(&f, inc));
	f.smmu = "arm-smmu-v3.1.auto";
	assert_false(report_filter_match(&f, inc));
	f.smmu = "arm-smmu-v3.0.auto";
	f.device = "0000:01:00.0";
	assert_true(report_filter_match(&f, inc));
	f.have_sid = true;
	f.sid = 0x101;
	assert_false(report_filter_match(&f, inc));
	f.sid = 0x100;
	assert_true(report_filter_match(&f, inc));
	free(inc);
}

static void test_rfc3339(void **state)
{
	char buf[64];

	fmt_rfc3339(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000000Z");
	fmt_rfc3339(-1000, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_contract),
		cmocka_unit_test(test_json_unknowns_are_null),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test(test_text_view),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_rfc3339),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
