// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Views: escaping of untrusted strings, the JSON contract fields, filters.
 */
#include <jansson.h>

#include "testutil.h"

#include "fmt.h"
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

/* the report's output, NUL-terminated */
static char *output(struct obuf *o)
{
	obuf_putc(o, '\0');
	return o->buf;
}

static json_t *render(const struct incident *inc)
{
	struct report r;
	struct obuf o;
	json_error_t err;
	json_t *j;
	char *buf;

	obuf_init_mem(&o);
	report_init(&r, FMT_JSON, &o, "host\"1\n");
	report_incident(&r, inc);
	buf = output(&o);
	/* exactly one line */
	assert_non_null(strchr(buf, '\n'));
	assert_int_equal(strchr(buf, '\n') - buf + 1, (long)strlen(buf));
	j = json_loads(buf, 0, &err);
	obuf_free(&o);
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
	/* the backslash is \x5c too, so "\xff" read back can only mean byte 0xff */
	assert_string_equal(json_string_value(json_object_get(s, "device")),
			    "dev\"\\x5c\x01\\xff\xc3\xa9");
	assert_string_equal(json_string_value(json_object_get(j, "smmu")), "bad\\xc0\\xafname");
	json_decref(j);
	free(inc);
}

/* a raw byte and the text that names it never come out the same */
static void test_json_escaping_unique(void **state)
{
	struct incident *inc = mk_incident();
	const char *a, *b;
	json_t *j;

	strcpy(inc->suspects[0].dev, "d\xff");
	strcpy(inc->smmu, "d\\xff");
	j = render(inc);
	a = json_string_value(json_object_get(json_array_get(json_object_get(j, "suspects"),
							      0), "device"));
	b = json_string_value(json_object_get(j, "smmu"));
	assert_string_equal(a, "d\\xff");
	assert_string_equal(b, "d\\x5cxff");
	json_decref(j);
	free(inc);
}

/*
 * The ISR's CONS and an issuer's prod can both be known; the engine joins
 * on CONS first, and the views must show that position, not the other.
 */
static void test_position_follows_engine(void **state)
{
	struct incident *inc = mk_incident();
	struct report r;
	struct obuf o;
	uint32_t pos;
	json_t *j;

	inc->prod = 0x0000bb90;
	assert_true(engine_incident_qpos(inc, &pos));
	assert_int_equal(pos, 0xbb84);
	j = render(inc);
	assert_int_equal(json_integer_value(json_object_get(j, "idx")), 0xbb84);
	assert_int_equal(json_integer_value(json_object_get(j, "prod")), 0xbb84);
	json_decref(j);
	obuf_init_mem(&o);
	report_init(&r, FMT_TEXT, &o, "h");
	report_incident(&r, inc);
	assert_non_null(strstr(output(&o), "CMD_SYNC idx 0xbb84 wrap 0"));
	obuf_free(&o);
	/* without CONS the issuer's prod is the position */
	inc->have_cons = false;
	j = render(inc);
	assert_int_equal(json_integer_value(json_object_get(j, "idx")), 0xbb90);
	assert_true(json_is_null(json_object_get(j, "cons")));
	json_decref(j);
	free(inc);
}

/* whatever a forged capture held, the record stays inside the schema */
static void test_json_out_of_range(void **state)
{
	struct incident *inc = mk_incident();
	struct report r;
	struct obuf o;
	char *buf;
	json_t *j;

	inc->cerror = 200;
	inc->max_n_shift = 40;
	inc->have_skipped = true;
	inc->skipped[0] = 0x8000000000000046ULL;
	inc->skipped[1] = ~0ULL;
	inc->first.wall_ns = INT64_MAX;
	inc->issuers[0].pid = 0xffffffffu;
	inc->issuers[0].duration_ns = ~0ULL;
	inc->issuers[0].ctx = 9;
	inc->n_issuers = 1;
	obuf_init_mem(&o);
	report_init(&r, FMT_JSON, &o, "h");
	report_incident(&r, inc);
	buf = output(&o);
	/* 64-bit words and counters are exact unsigned numbers */
	assert_non_null(strstr(buf, "\"dw0\":9223372036854775878,"));
	assert_non_null(strstr(buf, "\"dw1\":18446744073709551615,"));
	assert_non_null(strstr(buf, "\"pid\":4294967295,"));
	assert_non_null(strstr(buf, "\"duration_ns\":18446744073709551615,"));
	assert_null(strstr(buf, ":-"));
	j = json_loads(buf, JSON_DECODE_INT_AS_REAL, NULL);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "cerror")));
	assert_true(json_is_null(json_object_get(j, "max_n_shift")));
	assert_true(json_is_null(json_object_get(j, "idx")));
	assert_string_equal(json_string_value(json_object_get(j, "time")),
			    "2262-04-11T23:47:16.854775Z");
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(json_object_get(j, "issuers"), 0), "context")), "?");
	json_decref(j);
	obuf_free(&o);
	free(inc);
}

static void suppressed(struct engine *e, const char *func, uint32_t n)
{
	struct smmu_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = SMMU_EV_SUPPRESSED;
	ev.hdr.size = sizeof(ev);
	ev.suppressed.count = n;
	strcpy(ev.suppressed.func, func);
	engine_feed(e, &ev);
}

/* keys are escaped, never dropped or merged: the parts add up to the total */
static void test_json_keys_add_up(void **state)
{
	struct engine *e = engine_new(NULL, NULL, NULL);
	struct run_info ri = { .final = true };
	json_int_t sum = 0;
	struct report r;
	struct obuf o;
	const char *k;
	json_t *j, *f, *v;

	assert_non_null(e);
	suppressed(e, "fn\xff", 5);
	suppressed(e, "fn\\xff", 7);
	suppressed(e, "fn\xc3\xa9", 11);
	obuf_init_mem(&o);
	report_init(&r, FMT_JSON, &o, "h");
	report_summary(&r, e, &ri);
	j = json_loads(output(&o), 0, NULL);
	assert_non_null(j);
	f = json_object_get(j, "suppressed_by_function");
	assert_int_equal(json_object_size(f), 3);
	json_object_foreach(f, k, v)
		sum += json_integer_value(v);
	assert_int_equal(sum, json_integer_value(json_object_get(j, "suppressed")));
	assert_int_equal(sum, 23);
	assert_int_equal(json_integer_value(json_object_get(f, "fn\\xff")), 5);
	assert_int_equal(json_integer_value(json_object_get(f, "fn\\x5cxff")), 7);
	assert_int_equal(json_integer_value(json_object_get(f, "fn\xc3\xa9")), 11);
	json_decref(j);
	obuf_free(&o);
	engine_free(e);
}

static void gerror(struct engine *e, const char *smmu)
{
	struct smmu_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = SMMU_EV_GERROR;
	ev.hdr.size = sizeof(ev);
	strcpy(ev.hdr.smmu, smmu);
	ev.gerror.active = 1;
	ev.gerror.bit = 0xff;
	engine_feed(e, &ev);
}

/* the sample's line for an SMMU's GERROR counter, label value as written */
static bool has_gerror_series(const char *text, const char *label)
{
	char want[1024];

	snprintf(want, sizeof(want), "smmutrace_gerrors_total{smmu=\"%s\"} 1\n", label);
	return strstr(text, want) != NULL;
}

/* label values are whole and unique: raw 0xff, the text \xff, long names */
static void test_prom_labels(void **state)
{
	struct engine *e = engine_new(NULL, NULL, NULL);
	struct run_info ri = { .final = true };
	char long_name[SMMU_NAME_LEN], long_label[5 * SMMU_NAME_LEN];
	struct obuf o;
	char *text;

	assert_non_null(e);
	memset(long_name, 0xfe, sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	for (size_t i = 0; i < sizeof(long_name) - 1; i++)
		memcpy(long_label + 5 * i, "\\\\xfe", 5);
	long_label[5 * (sizeof(long_name) - 1)] = '\0';
	gerror(e, "s\xff");
	gerror(e, "s\\xff");
	gerror(e, "s\"q\"\n\xc3\xa9");
	gerror(e, long_name);
	obuf_init_mem(&o);
	prom_render(&o, e, &ri);
	text = output(&o);
	assert_true(has_gerror_series(text, "s\\\\xff"));
	assert_true(has_gerror_series(text, "s\\\\x5cxff"));
	assert_true(has_gerror_series(text, "s\\\"q\\\"\\n\xc3\xa9"));
	assert_true(has_gerror_series(text, long_label));
	obuf_free(&o);
	engine_free(e);
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
	struct obuf o;
	char *buf;

	strcpy(inc->suspects[0].dev, "evil\n\x1b[2J");
	obuf_init_mem(&o);
	report_init(&r, FMT_TEXT, &o, "h");
	report_incident(&r, inc);
	buf = output(&o);
	assert_non_null(strstr(buf, "atc_timeout on arm-smmu-v3.0.auto"));
	assert_non_null(strstr(buf, "cons 0x0302bb84 (ATC invalidate timeout)"));
	assert_non_null(strstr(buf, "CMD_SYNC idx 0xbb84 wrap 0"));
	assert_non_null(strstr(buf, "evil\\x0a\\x1b[2J"));
	assert_null(strchr(buf, '\x1b'));
	for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1)
		assert_true(nl - line < 100);
	obuf_free(&o);
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
		cmocka_unit_test(test_json_escaping_unique),
		cmocka_unit_test(test_position_follows_engine),
		cmocka_unit_test(test_json_out_of_range),
		cmocka_unit_test(test_json_keys_add_up),
		cmocka_unit_test(test_prom_labels),
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test(test_text_view),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_rfc3339),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
