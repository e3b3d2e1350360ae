/* SPDX-License-Identifier: MIT */
/*
 * The task monitor (dataplane/fp_mon) on a clock of one tick a microsecond:
 * latency arithmetic and histogram buckets, later fragments, timeouts (by
 * the sweep and by a full set), evictions, RESULTs of no task, lcores
 * summed, (app, layer) records and paging.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <linux/types.h>

#include "esop_parse.h"
#include "fp_mon.h"

#define HZ	1000000u	/* ticks are microseconds */

static struct esop_pkt pkt(uint32_t dev, uint32_t task, uint16_t app, uint16_t layer,
			   uint32_t frag_off)
{
	struct esop_pkt p;

	memset(&p, 0, sizeof(p));
	p.device_id = dev;
	p.task_id = task;
	p.app_id = app;
	p.layer = layer;
	p.frag_off = frag_off;
	return p;
}

static struct fp_mon *mk(unsigned int nlcores, uint32_t slots, uint32_t timeout_ms)
{
	struct fp_mon_cfg c = { nlcores, slots, timeout_ms, HZ };
	struct fp_mon *m = NULL;

	assert_int_equal(fp_mon_create(&c, &m), 0);
	return m;
}

/* Reads everything; the record of server @s or of (app, layer) in *out. */
static struct fp_msg_mon_reply rd(struct fp_mon *m, uint64_t now, struct fp_msg_mon_rec *recs,
				  uint32_t max)
{
	struct fp_msg_mon_reply rep;

	fp_mon_read(m, now, 0, recs, max, &rep);
	return rep;
}

static const struct fp_msg_mon_rec *find(const struct fp_msg_mon_rec *r, uint32_t n, int kind,
					 unsigned int a, unsigned int b)
{
	for (uint32_t i = 0; i < n; i++)
		if (r[i].kind == kind && (kind == FP_MON_SERVER ? r[i].server == a
				: r[i].app == a && r[i].layer == b))
			return &r[i];
	return NULL;
}

static void test_create_bad(void **state)
{
	static const struct fp_mon_cfg bad[] = {
		{ 0, 0, 0, HZ },	/* no lcore */
		{ 65, 0, 0, HZ },	/* too many */
		{ 1, 0, 0, 0 },		/* no clock */
		{ 1, 6, 0, HZ },	/* not a power of 2 */
		{ 1, 2, 0, HZ },	/* smaller than a set */
	};
	struct fp_mon *m = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fp_mon_create(&bad[i], &m), -EINVAL);
	assert_null(m);
}

static void test_buckets(void **state)
{
	static const struct { uint64_t us; unsigned int b; } t[] = {
		{ 0, 0 }, { 127, 0 }, { 128, 1 }, { 255, 1 }, { 256, 2 }, { 1000, 3 },
		{ 20000, 8 }, { 1ull << 20, 14 }, { (1ull << 21) - 1, 14 }, { 1ull << 21, 15 },
		{ UINT64_MAX, 15 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(fp_mon_bucket(t[i].us), t[i].b);
}

/* Three fragments, one RESULT in two fragments: one task of 20 ms. */
static void test_latency(void **state)
{
	struct fp_mon *m = mk(1, 0, 0);
	struct fp_msg_mon_rec r[8];
	const struct fp_msg_mon_rec *s, *a;
	struct esop_pkt p;

	(void)state;
	for (uint32_t off = 0; off < 3 * 1400; off += 1400) {
		p = pkt(7, 1, 3, 4, off);
		fp_mon_tensor(m, 0, &p, 2, 1442, 1000 + off / 1400);
	}
	p = pkt(7, 1, 3, 4, 0);
	fp_mon_result(m, 0, &p, 2, 100, 21000);
	p = pkt(7, 1, 3, 4, 64);
	fp_mon_result(m, 0, &p, 2, 80, 21001);

	struct fp_msg_mon_reply rep = rd(m, 21002, r, 8);

	assert_int_equal(rep.total, 2);
	assert_int_equal(rep.nrec, 2);
	assert_int_equal(rep.unmatched, 0);
	s = find(r, rep.nrec, FP_MON_SERVER, 2, 0);
	a = find(r, rep.nrec, FP_MON_APP_LAYER, 3, 4);
	assert_non_null(s);
	assert_non_null(a);
	assert_ptr_equal(s, &r[0]);	/* servers first */
	for (int k = 0; k < 2; k++) {
		const struct fp_msg_mon_rec *x = k ? a : s;

		assert_int_equal(x->opened, 1);
		assert_int_equal(x->done, 1);
		assert_int_equal(x->lat_sum_us, 20000);	/* from the first fragment */
		assert_int_equal(x->hist[8], 1);
		assert_int_equal(x->bytes_up, 3 * 1442);
		assert_int_equal(x->bytes_down, 180);
		assert_int_equal(x->lost + x->evicted, 0);
	}
	fp_mon_free(m);
}

/* A task open past the timeout is lost at the next read; its RESULT is then unmatched. */
static void test_timeout(void **state)
{
	struct fp_mon *m = mk(1, 64, 10);
	struct fp_msg_mon_rec r[4];
	struct esop_pkt p = pkt(1, 9, 3, 0, 0);
	struct fp_msg_mon_reply rep;

	(void)state;
	fp_mon_tensor(m, 0, &p, 0, 100, 5000);
	rep = rd(m, 15000, r, 4);		/* exactly 10 ms: still open */
	assert_int_equal(r[0].lost, 0);
	assert_int_equal(r[0].opened - r[0].done - r[0].lost - r[0].evicted, 1);
	rep = rd(m, 15001, r, 4);
	assert_int_equal(r[0].lost, 1);
	assert_int_equal(r[0].opened - r[0].done - r[0].lost - r[0].evicted, 0);
	assert_int_equal(find(r, rep.nrec, FP_MON_APP_LAYER, 3, 0)->lost, 1);
	fp_mon_result(m, 0, &p, 0, 64, 16000);
	rep = rd(m, 16001, r, 4);
	assert_int_equal(rep.unmatched, 1);
	assert_int_equal(r[0].done, 0);
	assert_int_equal(rep.timeout_ms, 10);
	fp_mon_free(m);
}

/*
 * One set of 4: a fifth task pushes out the oldest, counted as evicted when
 * it was younger than the timeout and as lost when older.
 */
static void test_full_set(void **state)
{
	static const struct { uint64_t now5; uint64_t lost, evicted; } t[] = {
		{ 500, 0, 1 },
		/* the oldest opened at 100, a 1 ms timeout: lost; the others are not yet */
		{ 1150, 1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct fp_mon *m = mk(1, 4, 1);
		struct fp_msg_mon_rec r[4];
		struct fp_msg_mon_reply rep;
		struct esop_pkt p;

		for (uint32_t k = 0; k < 4; k++) {
			p = pkt(1, k, 3, 0, 0);
			fp_mon_tensor(m, 0, &p, 1, 10, k == 2 ? 100 : 200 + k);
		}
		p = pkt(1, 4, 3, 0, 0);
		fp_mon_tensor(m, 0, &p, 1, 10, t[i].now5);
		/* read before any sweep could count the others: now = now5 */
		rep = rd(m, t[i].now5, r, 4);
		assert_int_equal(rep.total, 2);
		assert_int_equal(r[0].opened, 5);
		assert_int_equal(r[0].lost, t[i].lost);
		assert_int_equal(r[0].evicted, t[i].evicted);
		/* task 2 (the oldest) is gone: its RESULT is unmatched; task 0's closes */
		p = pkt(1, 2, 3, 0, 0);
		fp_mon_result(m, 0, &p, 1, 10, t[i].now5 + 1);
		p = pkt(1, 0, 3, 0, 0);
		fp_mon_result(m, 0, &p, 1, 10, t[i].now5 + 1);
		rep = rd(m, t[i].now5 + 1, r, 4);
		assert_int_equal(rep.unmatched, 1);
		assert_int_equal(r[0].done, 1);
		assert_int_equal(r[0].lat_sum_us, t[i].now5 + 1 - 200);
		fp_mon_free(m);
	}
}

/* Opened on one lcore, closed on another (the servers' poller): summed. */
static void test_lcores(void **state)
{
	struct fp_mon *m = mk(3, 0, 0);
	struct fp_msg_mon_rec r[8];
	struct fp_msg_mon_reply rep;

	(void)state;
	for (uint32_t d = 0; d < 30; d++) {
		struct esop_pkt p = pkt(100 + d, 1, (uint16_t)(3 + d % 2), 2, 0);

		fp_mon_tensor(m, 1 + d % 2, &p, (uint8_t)(d % 3), 1000, 0);
		if (d % 5)
			fp_mon_result(m, 0, &p, (int)(d % 3), 50, 1000 * (d + 1));
	}
	rep = rd(m, 40000, r, 8);
	assert_int_equal(rep.total, 3 + 2);
	for (unsigned int s = 0; s < 3; s++) {
		const struct fp_msg_mon_rec *x = find(r, rep.nrec, FP_MON_SERVER, s, 0);
		uint64_t done = 0, sum = 0;

		for (uint32_t d = s; d < 30; d += 3)
			if (d % 5) {
				done++;
				sum += 1000 * (d + 1);
			}
		assert_non_null(x);
		assert_int_equal(x->opened, 10);
		assert_int_equal(x->done, done);
		assert_int_equal(x->lat_sum_us, sum);
		assert_int_equal(x->bytes_up, 10000);
		assert_int_equal(x->bytes_down, 50 * done);
	}
	assert_int_equal(find(r, rep.nrec, FP_MON_APP_LAYER, 3, 2)->opened, 15);
	assert_int_equal(find(r, rep.nrec, FP_MON_APP_LAYER, 4, 2)->opened, 15);
	fp_mon_free(m);
}

/* Records come in pages: servers by index, then (app, layer) keys. */
static void test_pages(void **state)
{
	struct fp_mon *m = mk(1, 0, 0);
	struct fp_msg_mon_rec r[4], all[40];
	struct fp_msg_mon_reply rep;
	uint32_t got = 0;

	(void)state;
	for (uint32_t k = 0; k < 30; k++) {
		struct esop_pkt p = pkt(k, k, (uint16_t)k, (uint16_t)(k + 1), 0);

		fp_mon_tensor(m, 0, &p, (uint8_t)(k % 5), 10, 0);
	}
	do {
		fp_mon_read(m, 1, got, r, 4, &rep);
		memcpy(all + got, r, rep.nrec * sizeof(r[0]));
		got += rep.nrec;
	} while (rep.nrec);
	assert_int_equal(rep.total, 35);
	assert_int_equal(got, 35);
	for (uint32_t k = 0; k < 5; k++) {
		assert_int_equal(all[k].kind, FP_MON_SERVER);
		assert_int_equal(all[k].server, k);
		assert_int_equal(all[k].opened, 6);
	}
	for (uint32_t k = 0; k < 30; k++)
		assert_int_equal(find(all + 5, 30, FP_MON_APP_LAYER, k, k + 1)->opened, 1);
	fp_mon_free(m);
}

/* More (app, layer) keys than an lcore counts: the rest is counted as al_full. */
static void test_al_full(void **state)
{
	struct fp_mon *m = mk(1, 256, 0);
	struct fp_msg_mon_rec r[FP_MSG_NSERVERS + FP_MON_NAL];
	struct fp_msg_mon_reply rep;

	(void)state;
	for (uint32_t k = 0; k < FP_MON_NAL + 6; k++) {
		struct esop_pkt p = pkt(1, k, (uint16_t)k, 0, 0);

		fp_mon_tensor(m, 0, &p, 0, 10, 0);
	}
	rep = rd(m, 1, r, FP_MSG_NSERVERS + FP_MON_NAL);
	assert_int_equal(rep.total, 1 + FP_MON_NAL);
	assert_int_equal(rep.al_full, 6);
	assert_int_equal(r[0].opened, FP_MON_NAL + 6);	/* servers count them all */
	fp_mon_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_bad),
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_full_set),
		cmocka_unit_test(test_lcores),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_al_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
