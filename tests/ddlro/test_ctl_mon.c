/* SPDX-License-Identifier: MIT */
/*
 * edgesteerd's task-monitor view (control/daemon/ctl_mon) fed with the fast
 * path's cumulative records epoch by epoch: the estimates and counts, queue
 * depth, the drift detector (margin, floor, hold time, minimum tasks,
 * calibration of unknown servers, rebase), a restarted fast path, and the
 * JSON of `edgesteerctl stats`.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_mon.h"
#include "esop.h"

/* Two servers, edge0 and cloud0; their cumulative records. */
struct world {
	struct es_policy p;
	struct fp_msg_mon_rec rec[3];	/* edge0, cloud0, (app 3, layer 4) */
	struct ctl_server_obs obs[2];
	struct ctl_mon *m;
	char why[320];
};

static void world_init(struct world *w, const struct ctl_mon_cfg *cfg)
{
	memset(w, 0, sizeof(*w));
	w->p.nservers = 2;
	strcpy(w->p.servers[0].name, "edge0");
	w->p.servers[0].kind = ESOP_TARGET_EDGE;
	strcpy(w->p.servers[1].name, "cloud0");
	w->p.servers[1].kind = ESOP_TARGET_CLOUD;
	for (int s = 0; s < 2; s++) {
		w->rec[s].kind = FP_MON_SERVER;
		w->rec[s].server = (uint8_t)s;
	}
	w->rec[2].kind = FP_MON_APP_LAYER;
	w->rec[2].app = 3;
	w->rec[2].layer = 4;
	assert_int_equal(ctl_mon_create(cfg, &w->m), 0);
}

/* One epoch of 100 ms: @n[s] tasks of @us[s] each finished on server s. */
static int epoch(struct world *w, const uint32_t n[2], const double us[2])
{
	for (int s = 0; s < 2; s++) {
		w->rec[s].opened += n[s];
		w->rec[s].done += n[s];
		w->rec[s].lat_sum_us += (uint64_t)(n[s] * us[s]);
		w->rec[2].opened += n[s];
		w->rec[2].done += n[s];
		w->rec[2].lat_sum_us += (uint64_t)(n[s] * us[s]);
	}
	w->why[0] = 0;
	return ctl_mon_epoch(w->m, w->rec, 3, 100, &w->p, w->obs, w->why, sizeof(w->why));
}

static void test_estimates(void **state)
{
	struct ctl_mon_cfg cfg = { .alpha = 0.5 };
	struct world w;

	(void)state;
	world_init(&w, &cfg);
	epoch(&w, (uint32_t[]){ 10, 0 }, (double[]){ 500, 0 });
	assert_int_equal(w.obs[0].latency_us, 500);	/* the first mean as it is */
	assert_int_equal(w.obs[1].latency_us, 0);	/* never measured */
	epoch(&w, (uint32_t[]){ 10, 4 }, (double[]){ 1000, 2000 });
	assert_int_equal(w.obs[0].latency_us, 750);	/* 0.5 * 500 + 0.5 * 1000 */
	assert_int_equal(w.obs[1].latency_us, 2000);
	epoch(&w, (uint32_t[]){ 0, 0 }, (double[]){ 0, 0 });
	assert_int_equal(w.obs[0].latency_us, 750);	/* no task: unchanged */
	/* queue depth: tasks opened and not yet finished, lost or evicted */
	w.rec[0].opened += 7;
	w.rec[0].lost += 2;
	w.rec[0].evicted += 1;
	epoch(&w, (uint32_t[]){ 0, 0 }, (double[]){ 0, 0 });
	assert_int_equal(w.obs[0].queue_depth, 4);
	assert_int_equal(w.obs[1].queue_depth, 0);
	ctl_mon_free(w.m);
}

/*
 * The drift detector over epochs of 10 tasks on edge0, after a first epoch
 * at 500 us (the prediction): each row the latencies of the epochs that
 * follow and the epoch (1-based) the drift fires at, 0 = never. Margin
 * 50 %, floor 1000 us, hold 300 ms = 3 epochs.
 */
static void test_drift(void **state)
{
	static const struct {
		const char *what;
		double us[8];
		int fires_at;
	} t[] = {
		{ "a step to 5 ms", { 5000, 5000, 5000, 5000 }, 3 },
		{ "a step down to 100 us: off by 80 % but under the floor",
		  { 100, 100, 100, 100, 100 }, 0 },
		{ "1400 us: off by 180 % but only 900 us", { 1400, 1400, 1400, 1400 }, 0 },
		{ "spikes that do not hold", { 5000, 5000, 500, 5000, 5000, 500, 5000 }, 0 },
		{ "a step after calm epochs", { 600, 500, 5000, 5000, 5000 }, 5 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ctl_mon_cfg cfg = { .margin_pct = 50, .floor_us = 1000, .hold_ms = 300 };
		struct world w;
		int fired = 0;

		world_init(&w, &cfg);
		assert_int_equal(epoch(&w, (uint32_t[]){ 10, 0 }, (double[]){ 500, 0 }), 0);
		for (int k = 0; k < 8 && t[i].us[k] > 0 && !fired; k++)
			if (epoch(&w, (uint32_t[]){ 10, 0 }, (double[]){ t[i].us[k], 0 }))
				fired = k + 1;
		if (fired != t[i].fires_at)
			fail_msg("%s: fired at epoch %d, want %d", t[i].what, fired, t[i].fires_at);
		if (fired)
			assert_non_null(strstr(w.why, "most off: edge0"));
		ctl_mon_free(w.m);
	}
}

/*
 * A server unknown at the last solve calibrates: a slow first epoch (the
 * bed warming up) is no prediction to drift from, a later rise is.
 */
static void test_calibrate(void **state)
{
	struct ctl_mon_cfg cfg = { .floor_us = 1000, .hold_ms = 200 };
	struct world w;

	(void)state;
	world_init(&w, &cfg);
	ctl_mon_rebase(w.m);		/* the first solve: nothing known */
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 0 }, (double[]){ 30000, 0 }), 0);
	for (int k = 0; k < 5; k++)
		assert_int_equal(epoch(&w, (uint32_t[]){ 10, 0 }, (double[]){ 500, 0 }), 0);
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 0 }, (double[]){ 9000, 0 }), 0);
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 0 }, (double[]){ 9000, 0 }), 1);
	assert_non_null(strstr(w.why, "against 500 us predicted"));
	ctl_mon_free(w.m);
}

/*
 * Both servers slow down alike (the AP or the bed stalled): no re-solve
 * (2), the predictions stay; a stall that lasts (5 verdicts) is the new
 * level; one server alone is drift (1).
 */
static void test_common_mode(void **state)
{
	struct ctl_mon_cfg cfg = { .alpha = 1, .floor_us = 1000, .hold_ms = 200 };
	struct world w;

	(void)state;
	world_init(&w, &cfg);
	epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 500, 600 });
	ctl_mon_rebase(w.m);
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 9000, 12000 }), 0);
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 9000, 12000 }), 2);
	assert_non_null(strstr(w.why, "every server alike"));
	/* a stall with a slow-down of edge0 under it: seen once the stall is over */
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 20000, 600 }), 0);
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 20000, 600 }), 1);
	ctl_mon_rebase(w.m);
	/* a lasting one: the new level after 5 verdicts */
	for (int k = 0; k < 2 * 5 - 1; k++)
		epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 90000, 12000 });
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 90000, 12000 }), 2);
	for (int k = 0; k < 3; k++)
		assert_int_equal(epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 90000, 12000 }), 0);
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 400000, 12000 }), 0);
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 400000, 12000 }), 1);
	ctl_mon_free(w.m);
}

/*
 * Load split over a server that got slower and one that got faster than
 * the solver thought: the mean is as predicted, each server is not: drift.
 */
static void test_server_drift(void **state)
{
	struct ctl_mon_cfg cfg = { .alpha = 1, .floor_us = 1000, .hold_ms = 200 };
	struct world w;

	(void)state;
	world_init(&w, &cfg);
	epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 16000, 16000 });
	ctl_mon_rebase(w.m);
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 21000, 11000 }), 0);
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 21000, 11000 }), 0);
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 26000, 1000 }), 0);
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 26000, 1000 }), 1);
	assert_non_null(strstr(w.why, "most off: cloud0, 1000 us against 16000 us"));
	ctl_mon_free(w.m);
}

/* A server without tasks for stale_ms is forgotten: unknown again. */
static void test_stale(void **state)
{
	struct ctl_mon_cfg cfg = { .stale_ms = 1000 };
	struct world w;

	(void)state;
	world_init(&w, &cfg);
	epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 20000, 500 });
	for (int k = 0; k < 9; k++) {
		epoch(&w, (uint32_t[]){ 0, 10 }, (double[]){ 0, 500 });
		assert_int_equal(w.obs[0].latency_us, 20000);
	}
	epoch(&w, (uint32_t[]){ 0, 10 }, (double[]){ 0, 500 });
	assert_int_equal(w.obs[0].latency_us, 0);
	assert_int_equal(w.obs[1].latency_us, 500);
	/* measured again: as if for the first time */
	epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 700, 500 });
	assert_int_equal(w.obs[0].latency_us, 700);
	ctl_mon_free(w.m);
}

/* Epochs with fewer tasks than min_tasks are not judged. */
static void test_min_tasks(void **state)
{
	struct ctl_mon_cfg cfg = { .floor_us = 1000, .hold_ms = 200, .min_tasks = 5 };
	struct world w;

	(void)state;
	world_init(&w, &cfg);
	epoch(&w, (uint32_t[]){ 10, 0 }, (double[]){ 500, 0 });
	for (int k = 0; k < 5; k++)
		assert_int_equal(epoch(&w, (uint32_t[]){ 2, 2 }, (double[]){ 9000, 9000 }), 0);
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 0 }, (double[]){ 9000, 0 }), 0);
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 0 }, (double[]){ 9000, 0 }), 1);
	ctl_mon_free(w.m);
}

/*
 * After a drift the daemon re-solves and rebases: the estimates become the
 * prediction, so the new level is no drift; the tasks moved to cloud0 are
 * predicted by cloud0's estimate.
 */
static void test_rebase(void **state)
{
	struct ctl_mon_cfg cfg = { .alpha = 1, .floor_us = 1000, .hold_ms = 200 };
	struct world w;

	(void)state;
	world_init(&w, &cfg);
	epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 500, 700 });
	ctl_mon_rebase(w.m);
	epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 20000, 700 });
	assert_int_equal(epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 20000, 700 }), 1);
	ctl_mon_rebase(w.m);
	for (int k = 0; k < 4; k++)
		assert_int_equal(epoch(&w, (uint32_t[]){ 0, 20 }, (double[]){ 0, 700 }), 0);
	for (int k = 0; k < 4; k++)
		assert_int_equal(epoch(&w, (uint32_t[]){ 10, 10 }, (double[]){ 20000, 700 }), 0);
	ctl_mon_free(w.m);
}

/* A restarted fast path counts from 0: its counts are this epoch's, never negative. */
static void test_restart(void **state)
{
	struct ctl_mon_cfg cfg = { .alpha = 1 };
	struct world w;

	(void)state;
	world_init(&w, &cfg);
	epoch(&w, (uint32_t[]){ 100, 0 }, (double[]){ 500, 0 });
	memset(&w.rec[0].opened, 0, sizeof(w.rec[0]) - offsetof(struct fp_msg_mon_rec, opened));
	epoch(&w, (uint32_t[]){ 4, 0 }, (double[]){ 800, 0 });
	assert_int_equal(w.obs[0].latency_us, 800);
	assert_int_equal(w.obs[0].queue_depth, 0);
	/* not read this epoch: nothing judged, nothing changed */
	assert_int_equal(ctl_mon_epoch(w.m, w.rec, 0, 100, &w.p, w.obs, w.why, sizeof(w.why)), 0);
	assert_int_equal(w.obs[0].latency_us, 800);
	ctl_mon_free(w.m);
}

static void test_json(void **state)
{
	struct ctl_mon_cfg cfg = { 0 };
	struct world w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	world_init(&w, &cfg);
	epoch(&w, (uint32_t[]){ 10, 5 }, (double[]){ 400, 1000 });
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	ctl_mon_write_json(w.m, &w.p, f);
	fclose(f);
	assert_non_null(strstr(buf, "\"monitor\": {"));
	assert_non_null(strstr(buf, "{ \"name\": \"edge0\", \"est_us\": 400, "));
	assert_non_null(strstr(buf, "{ \"name\": \"cloud0\", \"est_us\": 1000, "));
	assert_non_null(strstr(buf, "{ \"app\": 3, \"layer\": 4, \"est_us\": 600, "));
	assert_non_null(strstr(buf, "\"epoch_tasks\": 15"));
	free(buf);
	ctl_mon_free(w.m);
}

static void test_bad_cfg(void **state)
{
	struct ctl_mon_cfg cfg = { .alpha = 1.5 };
	struct ctl_mon *m = NULL;

	(void)state;
	assert_int_equal(ctl_mon_create(&cfg, &m), -EINVAL);
	cfg.alpha = -0.1;
	assert_int_equal(ctl_mon_create(&cfg, &m), -EINVAL);
	assert_null(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_estimates),
		cmocka_unit_test(test_drift),
		cmocka_unit_test(test_calibrate),
		cmocka_unit_test(test_common_mode),
		cmocka_unit_test(test_server_drift),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_min_tasks),
		cmocka_unit_test(test_rebase),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_bad_cfg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
