// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "evqueue.h"

/*
 * 256 events a hand-over: fewer wake-ups than cache misses; 8 bound the
 * lag.  A record takes only its type's bytes (smmu_event_size()), as in a
 * capture: most are a tenth of the union, and every byte crosses between
 * the cores' caches.
 */
#define EVQ_BATCH	256
#define EVQ_RING	8

struct evq_batch {
	unsigned int n;
	size_t len;
	unsigned char buf[EVQ_BATCH * sizeof(struct smmu_event)] __attribute__((aligned(8)));
};

struct evq {
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t published;	/* the consumer waits for a batch, or quit */
	pthread_cond_t consumed;	/* the reader waits for a free slot, or a drain */
	unsigned long head;		/* batches published */
	unsigned long tail;		/* batches consumed */
	bool quit;
	struct evq_batch *fill;		/* the reader's batch: ring[head % EVQ_RING] */
	evq_fn fn;
	void *ctx;
	struct smmu_event ev;		/* the consumer's: zero past its first ev_len bytes */
	size_t ev_len;
	struct evq_batch ring[EVQ_RING];
};

/* records sit 8-byte aligned, each its type's extent (smmu_event_extent()) */
static size_t rec_span(size_t size)
{
	return (size + 7) & ~(size_t)7;
}

/* each record into one event, zero past its size as a capture's reader leaves it */
static void replay_batch(struct evq *q, const struct evq_batch *b)
{
	size_t off = 0, size;
	uint16_t type;

	for (unsigned int i = 0; i < b->n; i++) {
		memcpy(&type, b->buf + off + offsetof(struct smmu_ev_hdr, type), sizeof(type));
		size = smmu_event_reuse(&q->ev, &q->ev_len, type);
		memcpy(&q->ev, b->buf + off, size);
		off += rec_span(size);
		q->fn(q->ctx, &q->ev);
	}
}

static void *consume(void *arg)
{
	struct evq *q = arg;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct evq_batch *b;

		while (q->tail == q->head && !q->quit)
			pthread_cond_wait(&q->published, &q->mu);
		if (q->tail == q->head)
			break;
		b = &q->ring[q->tail % EVQ_RING];
		pthread_mutex_unlock(&q->mu);
		replay_batch(q, b);
		pthread_mutex_lock(&q->mu);
		q->tail++;
		pthread_cond_signal(&q->consumed);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* the signals the commands catch go to the reader, whose blocked read() they end */
static int spawn(struct evq *q)
{
	sigset_t mask, old;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	err = pthread_create(&q->thr, NULL, consume, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

struct evq *evq_start(evq_fn fn, void *ctx)
{
	struct evq *q = calloc(1, sizeof(*q));
	int err;

	if (!q)
		return NULL;
	q->fn = fn;
	q->ctx = ctx;
	q->fill = &q->ring[0];
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->published, NULL);
	pthread_cond_init(&q->consumed, NULL);
	err = spawn(q);
	if (err) {
		pthread_cond_destroy(&q->consumed);
		pthread_cond_destroy(&q->published);
		pthread_mutex_destroy(&q->mu);
		free(q);
		errno = err;
		return NULL;
	}
	return q;
}

/* hand the filled batch over and wait until the next slot is free */
static void publish(struct evq *q)
{
	pthread_mutex_lock(&q->mu);
	q->head++;
	pthread_cond_signal(&q->published);
	while (q->head - q->tail >= EVQ_RING)
		pthread_cond_wait(&q->consumed, &q->mu);
	pthread_mutex_unlock(&q->mu);
	q->fill = &q->ring[q->head % EVQ_RING];
	q->fill->n = 0;
	q->fill->len = 0;
}

void evq_push(struct evq *q, const struct smmu_event *ev)
{
	struct evq_batch *b = q->fill;
	size_t size = smmu_event_extent(ev->hdr.type);

	memcpy(b->buf + b->len, ev, size);
	b->len += rec_span(size);
	if (++b->n == EVQ_BATCH)
		publish(q);
}

void evq_drain(struct evq *q)
{
	if (q->fill->n)
		publish(q);
	pthread_mutex_lock(&q->mu);
	while (q->tail != q->head)
		pthread_cond_wait(&q->consumed, &q->mu);
	pthread_mutex_unlock(&q->mu);
}

void evq_stop(struct evq *q)
{
	if (!q)
		return;
	evq_drain(q);
	pthread_mutex_lock(&q->mu);
	q->quit = true;
	pthread_cond_signal(&q->published);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thr, NULL);
	pthread_cond_destroy(&q->consumed);
	pthread_cond_destroy(&q->published);
	pthread_mutex_destroy(&q->mu);
	free(q);
}
