/* SPDX-License-Identifier: MIT */
/*
 * The per-device meter shared by lcores: one device's frames offered as fast
 * as two lcores can (main + one worker, in bursts of 32 with one clock read
 * per burst, as the data path calls it) are held to the device's rate within
 * 5%: accepted bytes = burst + rate x elapsed. Bursts hold 100 ms of the
 * rate, so that an lcore descheduled on a busy machine (both lcores idle at
 * once) loses no credit and the expectation stays exact. Also, exactly: a frame that
 * does not conform consumes nothing, and a device starts with a full bucket.
 */
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "fp_meter.h"
#include "fp_testlib.h"


struct run {
	struct fp_meter *m;
	uint32_t id, rate_kbps, burst, len;
	uint64_t start, end;
	uint64_t accepted[2];
	uint64_t offered[2];
};

static int hammer(void *arg)
{
	struct run *r = arg;
	unsigned int me = rte_lcore_id() == rte_get_main_lcore() ? 0 : 1;
	uint64_t now;

	while (rte_rdtsc() < r->start)
		;
	while ((now = rte_rdtsc()) < r->end) {
		for (int i = 0; i < 32; i++) {
			r->offered[me] += r->len;
			if (fp_meter_check(r->m, r->id, r->rate_kbps, r->burst, r->len, now) == 1)
				r->accepted[me] += r->len;
		}
	}
	return 0;
}

static void test_two_lcores(struct fp_meter *m)
{
	static const struct { uint32_t rate_kbps, burst, len, ms; } rows[] = {
		{ 8000, 100000, 1000, 400 },
		{ 80000, 1000000, 1500, 400 },
		{ 400000, 5000000, 256, 400 },
	};
	uint64_t hz = rte_get_tsc_hz();

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct run r = { .m = m, .id = 1000 + (uint32_t)i, .rate_kbps = rows[i].rate_kbps,
				 .burst = rows[i].burst, .len = rows[i].len };
		unsigned int worker = rte_get_next_lcore(-1, 1, 0);

		r.start = rte_rdtsc() + hz / 100;
		r.end = r.start + hz * rows[i].ms / 1000;
		rte_eal_remote_launch(hammer, &r, worker);
		hammer(&r);
		rte_eal_wait_lcore(worker);

		double secs = (double)(r.end - r.start) / (double)hz;
		double expect = rows[i].burst + rows[i].rate_kbps * 125.0 * secs;
		double got = (double)(r.accepted[0] + r.accepted[1]);
		double err = (got - expect) / expect;

		printf("rate %u kbps: offered %.1f MB, accepted %.0f B (lcores %lu + %lu), "
		       "expected %.0f B, error %+.2f%%\n", rows[i].rate_kbps,
		       (double)(r.offered[0] + r.offered[1]) / 1e6, got,
		       (unsigned long)r.accepted[0], (unsigned long)r.accepted[1], expect,
		       100 * err);
		CHECK(r.offered[0] > 10 * expect && r.offered[1] > 10 * expect,
		      "an lcore did not offer far more than the rate");
		CHECK(err > -0.05 && err < 0.05, "rate %u kbps: %+.2f%% off", rows[i].rate_kbps,
		      100 * err);
	}
}

/* Deterministic: one clock reading, so no refill between frames. */
static void test_exact(struct fp_meter *m)
{
	static const struct { uint32_t len; int conforms; } rows[] = {
		{ 2000, 1 },	/* full bucket of 3000 */
		{ 1500, 0 },	/* 1000 left: refused, and consumes nothing */
		{ 1000, 1 },	/* still 1000 left */
		{ 1, 0 },	/* empty */
	};
	uint64_t now = rte_rdtsc();

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK(fp_meter_check(m, 7, 8, 3000, rows[i].len, now) == rows[i].conforms,
		      "exact row %zu", i);
	CHECK(fp_meter_level(m, 7, 8, 3000, now) == 0, "bucket not empty");
	CHECK(fp_meter_level(m, 8, 8, 3000, now) == -1, "unseen device has a level");
}

int main(void)
{
	struct fp_meter *m;

	fp_test_eal("fp_meter", 2, NULL, 0);
	if (rte_lcore_count() < 2 || fp_meter_create(1024, rte_get_tsc_hz(), &m)) {
		fprintf(stderr, "error: setup\n");
		return 1;
	}
	test_exact(m);
	test_two_lcores(m);
	fp_meter_free(m);
	return fp_test_eal_done();
}
