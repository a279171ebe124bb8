// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The hand-over between the reading thread and the engine's: every event
 * arrives once, in order, on the other thread; a drain means everything
 * pushed so far has been consumed; a slow consumer holds the reader back
 * instead of losing or overwriting a batch.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "capture.h"
#include "evqueue.h"

#define MANY	100000

struct seen {
	pthread_t reader;
	unsigned long n;
	unsigned long out_of_order;
	unsigned long on_reader;
	unsigned int slow_every;	/* sleep on every Nth event: a lagging engine */
};

static void consume(void *ctx, const struct smmu_event *ev)
{
	struct seen *s = ctx;

	if (ev->hdr.seq != (uint32_t)s->n || ev->hdr.mono_ns != s->n * 7)
		s->out_of_order++;
	if (pthread_equal(pthread_self(), s->reader))
		s->on_reader++;
	if (s->slow_every && s->n % s->slow_every == 0)
		nanosleep(&(struct timespec){ .tv_nsec = 200000 }, NULL);
	s->n++;
}

static void push_n(struct evq *q, unsigned long from, unsigned long n)
{
	struct smmu_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = SMMU_EV_CMDQ_ERROR;
	ev.hdr.size = sizeof(ev);
	for (unsigned long i = from; i < from + n; i++) {
		ev.hdr.seq = i;
		ev.hdr.mono_ns = i * 7;
		evq_push(q, &ev);
	}
}

static void test_order_and_count(void **state)
{
	struct seen s = { .reader = pthread_self() };
	struct evq *q = evq_start(consume, &s);

	assert_non_null(q);
	push_n(q, 0, MANY);
	evq_stop(q);
	assert_int_equal(s.n, MANY);
	assert_int_equal(s.out_of_order, 0);
	assert_int_equal(s.on_reader, 0);
}

static void test_drain_partial_batch(void **state)
{
	struct seen s = { .reader = pthread_self() };
	struct evq *q = evq_start(consume, &s);

	assert_non_null(q);
	push_n(q, 0, 3);
	evq_drain(q);
	/* fewer than a batch: the drain must hand it over, not wait for more */
	assert_int_equal(__atomic_load_n(&s.n, __ATOMIC_ACQUIRE), 3);
	push_n(q, 3, 1000);
	evq_drain(q);
	assert_int_equal(__atomic_load_n(&s.n, __ATOMIC_ACQUIRE), 1003);
	push_n(q, 1003, 5);
	evq_stop(q);
	assert_int_equal(s.n, 1008);
	assert_int_equal(s.out_of_order, 0);
}

static void test_slow_consumer_loses_nothing(void **state)
{
	struct seen s = { .reader = pthread_self(), .slow_every = 97 };
	struct evq *q = evq_start(consume, &s);

	assert_non_null(q);
	push_n(q, 0, 20000);
	evq_stop(q);
	assert_int_equal(s.n, 20000);
	assert_int_equal(s.out_of_order, 0);
}

static void test_stop_without_events(void **state)
{
	struct seen s = { .reader = pthread_self() };
	struct evq *q = evq_start(consume, &s);

	assert_non_null(q);
	evq_stop(q);
	evq_stop(NULL);
	assert_int_equal(s.n, 0);
}

/*
 * Records cross with their type's bytes only (smmu_event_size()): each
 * arrives as a capture's reader gives it, the pushed bytes up to its size
 * and zero past them, whatever the pushed event held there or the one
 * before had there; a type not known crosses whole.
 */
#define TYPES	64
#define ROUNDS	50

static void fill_event(struct smmu_event *ev, unsigned long i)
{
	unsigned char *p = (unsigned char *)ev;

	for (size_t k = 0; k < sizeof(*ev); k++)
		p[k] = (unsigned char)(i * 131 + k * 7 + 1) | 1;	/* never 0 */
	ev->hdr.type = i % TYPES;
}

struct trimmed {
	unsigned long n;
	unsigned long bad;
};

static void check_trimmed(void *ctx, const struct smmu_event *ev)
{
	struct trimmed *t = ctx;
	struct smmu_event want;
	size_t size;

	fill_event(&want, t->n);
	size = smmu_event_size(want.hdr.type);
	if (size)
		memset((char *)&want + size, 0, sizeof(want) - size);
	if (memcmp(&want, ev, sizeof(want)))
		t->bad++;
	t->n++;
}

static void test_records_trimmed_and_cleared(void **state)
{
	struct trimmed t = { 0 };
	struct evq *q = evq_start(check_trimmed, &t);
	struct smmu_event ev;
	unsigned long known = 0;

	assert_non_null(q);
	for (unsigned long i = 0; i < TYPES * ROUNDS; i++) {
		fill_event(&ev, i);
		known += smmu_event_size(ev.hdr.type) != 0;
		evq_push(q, &ev);
	}
	evq_stop(q);
	assert_int_equal(t.n, TYPES * ROUNDS);
	assert_int_equal(t.bad, 0);
	/* both kinds crossed: trimmed and whole */
	assert_true(known > ROUNDS && known < TYPES * ROUNDS - ROUNDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_count),
		cmocka_unit_test(test_drain_partial_batch),
		cmocka_unit_test(test_slow_consumer_loses_nothing),
		cmocka_unit_test(test_stop_without_events),
		cmocka_unit_test(test_records_trimmed_and_cleared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
