// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The engine's bounded registries: every name keeps its own row below the
 * bound, the bound holds whatever the input, evictions are counted, and rows
 * that narrowing refers to are never taken.
 */
#include <errno.h>

#include "testutil.h"

#define MAX_INC 1200
#include "engine_run.h"
#include "engine/internal.h"

#define SEC 1000000000ULL

static void error_on(struct run *r, const char *smmu, uint64_t t)
{
	struct smmu_event ev;

	mk_hdr(&ev, SMMU_EV_CMDQ_ERROR, t);
	ev.hdr.flags &= ~SMMU_EVF_BPF;
	snprintf(ev.hdr.smmu, sizeof(ev.hdr.smmu), "%s", smmu);
	ev.cmdq_error.cons = 0x03000044;
	ev.cmdq_error.cerror = SMMU_CERROR_ATC_INV_SYNC;
	engine_feed(r->e, &ev);
}

static void sid_map(struct run *r, const char *smmu, uint32_t sid, const char *dev)
{
	struct smmu_event ev;

	mk_hdr(&ev, SMMU_EV_SID_MAP, 1);
	snprintf(ev.hdr.smmu, sizeof(ev.hdr.smmu), "%s", smmu);
	ev.sid_map.sid = sid;
	snprintf(ev.sid_map.dev, sizeof(ev.sid_map.dev), "%s", dev);
	engine_feed(r->e, &ev);
}

static void aer_on(struct run *r, const char *dev, uint64_t t)
{
	struct smmu_event ev;

	mk_hdr(&ev, SMMU_EV_AER, t);
	snprintf(ev.aer.dev, sizeof(ev.aer.dev), "%s", dev);
	ev.aer.cmplto = 1;
	engine_feed(r->e, &ev);
}

static const struct smmu_info *smmu_named(const struct engine *e, const char *name)
{
	for (int i = 0; i < engine_n_smmus(e); i++)
		if (!strcmp(engine_smmu(e, i)->name, name))
			return engine_smmu(e, i);
	return NULL;
}

static const struct device_stat *device_named(const struct engine *e, const char *name)
{
	for (int i = 0; i < engine_n_devices(e); i++)
		if (!strcmp(engine_device(e, i)->dev, name))
			return engine_device(e, i);
	return NULL;
}

/* below the bound each name has its own row, found again on every event */
static void test_names_kept_apart(void **state)
{
	struct run *r = run_new();
	struct engine_evictions ev;
	char name[32];

	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 600; i++) {
			snprintf(name, sizeof(name), "smmu%d", i);
			error_on(r, name, (uint64_t)(round * 600 + i + 1) * 20 * SEC);
		}
	engine_finish(r->e);
	assert_int_equal(engine_n_smmus(r->e), 600);
	for (int i = 0; i < 600; i++) {
		const struct smmu_info *s;

		snprintf(name, sizeof(name), "smmu%d", i);
		s = smmu_named(r->e, name);
		assert_non_null(s);
		assert_int_equal(s->incidents[INC_ATC_TIMEOUT], 2);
	}
	engine_evictions(r->e, &ev);
	assert_int_equal(ev.smmus, 0);
	assert_int_equal(ev.refused, 0);
	run_free(r);
}

/* past the bound the oldest names go, each eviction counted; totals stay whole */
static void test_smmu_eviction_counted(void **state)
{
	struct engine_opts o;
	struct engine_evictions ev;
	struct run *r;
	char name[32];

	engine_default_opts(&o);
	o.max_smmus = 8;
	r = run_new_opts(&o);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "smmu%d", i);
		error_on(r, name, (uint64_t)(i + 1) * 20 * SEC);
	}
	engine_finish(r->e);
	assert_int_equal(r->n, 20);
	assert_int_equal(engine_incidents_by_kind(r->e, INC_ATC_TIMEOUT), 20);
	assert_int_equal(engine_n_smmus(r->e), 8);
	engine_evictions(r->e, &ev);
	assert_int_equal(ev.smmus, 12);
	assert_int_equal(ev.refused, 0);
	/* the most recent names are the ones kept, each with its own count */
	for (int i = 0; i < 20; i++) {
		const struct smmu_info *s;

		snprintf(name, sizeof(name), "smmu%d", i);
		s = smmu_named(r->e, name);
		if (i < 12) {
			assert_null(s);
			continue;
		}
		assert_non_null(s);
		assert_int_equal(s->incidents[INC_ATC_TIMEOUT], 1);
	}
	run_free(r);
}

/*
 * A row taken over by another name while smmu_get() still remembers it:
 * the old name must not find it.  With one row, B's error takes A's row;
 * A's incident then settles and must be refused, not counted on B.
 */
static void test_smmu_reused_row_not_remembered(void **state)
{
	struct engine_opts o;
	struct engine_evictions ev;
	const struct smmu_info *s;
	struct run *r;

	engine_default_opts(&o);
	o.max_smmus = 1;
	r = run_new_opts(&o);
	error_on(r, "smmuA", 20 * SEC);
	error_on(r, "smmuB", 40 * SEC);
	engine_finish(r->e);
	assert_int_equal(r->n, 2);
	assert_int_equal(engine_n_smmus(r->e), 1);
	assert_null(smmu_named(r->e, "smmuA"));
	s = smmu_named(r->e, "smmuB");
	assert_non_null(s);
	assert_int_equal(s->incidents[INC_ATC_TIMEOUT], 1);
	engine_evictions(r->e, &ev);
	assert_int_equal(ev.smmus, 1);
	assert_true(ev.refused >= 1);
	run_free(r);
}


static void test_sid_names_bounded(void **state)
{
	struct engine_opts o;
	struct engine_evictions ev;
	struct run *r;
	char dev[32];

	engine_default_opts(&o);
	o.max_sids = 4;
	r = run_new_opts(&o);
	for (uint32_t sid = 0; sid < 6; sid++) {
		snprintf(dev, sizeof(dev), "0000:0%u:00.0", sid);
		sid_map(r, "a", sid, dev);
	}
	engine_evictions(r->e, &ev);
	assert_int_equal(ev.sids, 2);
	assert_null(engine_sid_device(r->e, "a", 0));
	assert_null(engine_sid_device(r->e, "a", 1));
	assert_string_equal(engine_sid_device(r->e, "a", 5), "0000:05:00.0");
	/* a re-plugged device: the newest name wins, in place */
	sid_map(r, "a", 5, "0000:55:00.0");
	assert_string_equal(engine_sid_device(r->e, "a", 5), "0000:55:00.0");
	engine_evictions(r->e, &ev);
	assert_int_equal(ev.sids, 2);
	run_free(r);
}

/* an unnamed SMMU's SIDs: named lookups fall back to it, unnamed ones take the newest */
static void test_sid_unnamed_fallback(void **state)
{
	struct run *r = run_new();

	sid_map(r, "a", 7, "a-dev");
	sid_map(r, "c", 7, "c-dev");
	assert_string_equal(engine_sid_device(r->e, "", 7), "c-dev");
	sid_map(r, "a", 7, "a-dev2");
	assert_string_equal(engine_sid_device(r->e, "", 7), "a-dev2");
	assert_null(engine_sid_device(r->e, "b", 7));
	sid_map(r, "", 7, "unnamed-dev");
	assert_string_equal(engine_sid_device(r->e, "b", 7), "unnamed-dev");
	assert_string_equal(engine_sid_device(r->e, "a", 7), "a-dev2");
	assert_string_equal(engine_sid_device(r->e, "", 7), "unnamed-dev");
	assert_null(engine_sid_device(r->e, "a", 8));
	run_free(r);
}

/* a device in a recorded suspect set is referred to by narrowing: kept */
static void test_devices_in_sets_kept(void **state)
{
	static const uint32_t sids[] = { 0x100 };
	struct engine_opts o;
	struct engine_evictions ev;
	const struct device_stat *d;
	struct run *r;
	char dev[32];

	engine_default_opts(&o);
	o.max_devices = 2;
	r = run_new_opts(&o);
	sid_map(r, "arm-smmu-v3.0.auto", 0x100, "0000:01:00.0");
	feed_walk(r, 0x03000044, 1000, SMMU_WALK_PREV_SYNC, 2, 1, sids);
	feed_error(r, 0x03000044, 1001);
	engine_finish(r->e);
	assert_int_equal(r->inc[0].confidence, CONF_CONFIRMED);
	for (int i = 0; i < 5; i++) {
		snprintf(dev, sizeof(dev), "0000:1%d:00.0", i);
		aer_on(r, dev, (uint64_t)(i + 1) * 20 * SEC);
	}
	assert_int_equal(engine_n_devices(r->e), 2);
	d = device_named(r->e, "0000:01:00.0");
	assert_non_null(d);
	assert_int_equal(d->incidents, 1);
	assert_int_equal(d->verdict, VERDICT_CULPRIT);
	assert_non_null(device_named(r->e, "0000:14:00.0"));
	engine_evictions(r->e, &ev);
	assert_int_equal(ev.devices, 4);
	run_free(r);
}

/* with every row pinned a new device is refused, never swapped in */
static void test_device_refused_when_all_pinned(void **state)
{
	static const uint32_t a[] = { 0x100 }, b[] = { 0x200 };
	struct engine_opts o;
	struct engine_evictions ev;
	struct run *r;

	engine_default_opts(&o);
	o.max_devices = 2;
	r = run_new_opts(&o);
	feed_walk(r, 0x03000044, 1000, SMMU_WALK_PREV_SYNC, 2, 1, a);
	feed_error(r, 0x03000044, 1001);
	feed_walk(r, 0x03000050, 20 * SEC, SMMU_WALK_PREV_SYNC, 2, 1, b);
	feed_error(r, 0x03000050, 20 * SEC + 1);
	engine_finish(r->e);
	aer_on(r, "0000:33:00.0", 40 * SEC);
	assert_int_equal(engine_n_devices(r->e), 2);
	assert_null(device_named(r->e, "0000:33:00.0"));
	engine_evictions(r->e, &ev);
	assert_int_equal(ev.devices, 0);
	assert_int_equal(ev.refused, 1);
	run_free(r);
}

/* ratelimited call sites: counted by name, the field need not be terminated */
static void test_function_names(void **state)
{
	struct run *r = run_new();
	struct smmu_event ev;
	uint64_t n;

	for (int i = 0; i < 3; i++) {
		mk_hdr(&ev, SMMU_EV_SUPPRESSED, (uint64_t)(i + 1) * SEC);
		memset(ev.suppressed.func, 'f', sizeof(ev.suppressed.func));
		ev.suppressed.count = 5;
		engine_feed(r->e, &ev);
	}
	assert_int_equal(engine_n_suppressed_funcs(r->e), 1);
	assert_int_equal(strlen(engine_suppressed_func(r->e, 0, &n)), SMMU_FUNC_LEN - 1);
	assert_int_equal(n, 15);
	assert_int_equal(engine_suppressed(r->e), 15);
	run_free(r);
}

/*
 * name_eq() against strncmp(.., SMMU_NAME_LEN): names of every length, one
 * byte changed before, at or after the NUL, different bytes past it (an
 * event's name is not cleared), none at all, bytes >= 0x80 and 0x01 in
 * names and past them.
 */
static void test_name_eq_is_strncmp(void **state)
{
	static const unsigned char fill[] = { 0x00, 0x01, 0x7f, 0x80, 0xff, 'a' };
	char a[SMMU_NAME_LEN], b[SMMU_NAME_LEN];
	int n = 0, eq = 0;

	(void)state;
	for (int len = 0; len <= SMMU_NAME_LEN; len++)
		for (int at = 0; at < SMMU_NAME_LEN; at++)
			for (unsigned int f = 0; f < sizeof(fill); f++) {
				for (int i = 0; i < SMMU_NAME_LEN; i++)
					a[i] = i >= len ? (char)(0x80 + i) :
					       (char)(i % 3 ? 'a' + (i * 7 + len) % 26 : 0x81 + i);
				if (len < SMMU_NAME_LEN)
					a[len] = '\0';
				memcpy(b, a, sizeof(b));
				for (int i = len + 1; i < SMMU_NAME_LEN; i++)
					b[i] = (char)fill[(i + f) % sizeof(fill)];
				b[at] = (char)fill[f];
				assert_int_equal(name_eq(a, b), !strncmp(a, b, SMMU_NAME_LEN));
				assert_int_equal(name_eq(b, a), !strncmp(b, a, SMMU_NAME_LEN));
				eq += name_eq(a, b);
				n++;
			}
	/* both outcomes were met, many times */
	assert_true(eq > 1000 && n - eq > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_kept_apart),
		cmocka_unit_test(test_smmu_eviction_counted),
		cmocka_unit_test(test_smmu_reused_row_not_remembered),
		cmocka_unit_test(test_sid_names_bounded),
		cmocka_unit_test(test_sid_unnamed_fallback),
		cmocka_unit_test(test_devices_in_sets_kept),
		cmocka_unit_test(test_device_refused_when_all_pinned),
		cmocka_unit_test(test_function_names),
		cmocka_unit_test(test_name_eq_is_strncmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
