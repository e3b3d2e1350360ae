/* SPDX-License-Identifier: MIT */
/*
 * The online ops: decisions are table lookups by SNR bucket and early-exit
 * flag, they change with the device's SNR, decide() writes split layer,
 * exit and target into the next table, and load or demand changes re-solve.
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

#include "esop.h"
#include "prednnoff.h"

#define ARGS "models=" PDO_MODELS_DIR ",apps=3"

/* Exit 3's path: conv1 .. relu3 (10 trunk layers) + its 8 branch layers. */
#define EXIT3_LEN 18

static void *create(void)
{
	void *st = NULL;

	assert_int_equal(prednnoff_policy.create(&st, ARGS), 0);
	assert_non_null(st);
	return st;
}

static void test_lookup_follows_snr(void **state)
{
	static const struct {
		int16_t snr_qdb;
		int early;
		unsigned int tiers;
		struct prednnoff_answer want;
	} rows[] = {
		/* a dead link: everything on the device, the modal exit (3) */
		{ -35 * 4, 1, 3, { ESOP_TARGET_LOCAL, 3, EXIT3_LEN } },
		{ -35 * 4, 0, 3, { ESOP_TARGET_LOCAL, 0, 22 } },
		/* a good link: the input is the smallest tensor, all offloaded */
		{ 20 * 4, 1, 3, { ESOP_TARGET_CLOUD, 3, 0 } },
		{ 20 * 4, 0, 3, { ESOP_TARGET_CLOUD, 0, 0 } },
		{ 20 * 4, 1, 2, { ESOP_TARGET_EDGE, 3, 0 } },
		{ 43, 0, 2, { ESOP_TARGET_EDGE, 0, 0 } },
		/* off the grid: clamped to its ends */
		{ INT16_MIN, 1, 2, { ESOP_TARGET_LOCAL, 3, EXIT3_LEN } },
		{ INT16_MAX, 1, 2, { ESOP_TARGET_EDGE, 3, 0 } },
	};
	void *st = create();

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct prednnoff_answer a;

		assert_int_equal(prednnoff_lookup(st, rows[i].snr_qdb, rows[i].early,
						  rows[i].tiers, &a), 0);
		if (memcmp(&a, &rows[i].want, sizeof(a)))
			fail_msg("row %zu: target %u exit %u split %u, want %u %u %u", i,
				 a.target_kind, a.exit, a.split_layer, rows[i].want.target_kind,
				 rows[i].want.exit, rows[i].want.split_layer);
	}
	prednnoff_policy.destroy(st);
}

static void test_bad_args(void **state)
{
	static const char *const bad[] = {
		"snr_step_db=0", "apps=x", "nokey", "models=/nonexistent", "snr_min_db=50",
		"colour=blue",
	};
	void *st = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(prednnoff_policy.create(&st, bad[i]) < 0);
	assert_null(st);
}

static void make_table(struct es_policy *p, int with_cloud)
{
	static struct es_device devs[3];
	static struct es_app apps[3];

	memset(p, 0, sizeof(*p));
	p->epoch = 7;
	p->nservers = with_cloud ? 2 : 1;
	strcpy(p->servers[0].name, "edge0");
	p->servers[0].kind = ESOP_TARGET_EDGE;
	strcpy(p->servers[1].name, "cloud0");
	p->servers[1].kind = ESOP_TARGET_CLOUD;
	for (uint32_t i = 0; i < 3; i++) {
		devs[i] = (struct es_device){ .id = i + 1, .rate_kbps = 1000,
					      .burst_bytes = 65536, .apps_off = i, .napps = 1 };
		apps[i] = (struct es_app){ .app = i == 2 ? 7 : 3, .target_kind = ESOP_TARGET_EDGE,
					   .server = 0, .split_layer = 4, .exit = 0 };
	}
	p->ndevices = 3;
	p->napps = 3;
	p->devices = devs;
	p->apps = apps;
}

static void test_decide_writes_next(void **state)
{
	struct ctl_device_obs dobs[3] = {
		{ .id = 1, .app_id = 3, .snr_qdb = -35 * 4, .early_exit_ok = 1, .reported = 1 },
		{ .id = 2, .app_id = 3, .snr_qdb = 20 * 4, .early_exit_ok = 0, .reported = 1 },
		{ .id = 3, .app_id = 7, .snr_qdb = 20 * 4, .early_exit_ok = 1, .reported = 1 },
	};
	struct ctl_server_obs sobs[2] = { { 0 }, { 0 } };
	struct es_policy cur, next, again;
	struct ctl_epoch_obs obs = { .epoch = 1, .ndevices = 3, .devices = dobs,
				     .in_force = &cur, .servers = sobs };
	void *st = create();

	(void)state;
	make_table(&cur, 1);
	assert_int_equal(prednnoff_policy.decide(st, &obs, &next), 0);
	assert_int_equal(next.epoch, 8);
	assert_int_equal(next.ndevices, 3);
	assert_true(next.devices != cur.devices && next.apps != cur.apps);
	/* device 1: dead link, early exits allowed */
	assert_int_equal(next.apps[0].target_kind, ESOP_TARGET_LOCAL);
	assert_int_equal(next.apps[0].exit, 3);
	assert_int_equal(next.apps[0].split_layer, EXIT3_LEN);
	assert_int_equal(next.apps[0].server, ES_SERVER_ANY);	/* local: no server */
	/* device 2: good link, no early exit */
	assert_int_equal(next.apps[1].target_kind, ESOP_TARGET_CLOUD);
	assert_int_equal(next.apps[1].exit, 0);
	assert_int_equal(next.apps[1].split_layer, 0);
	assert_int_equal(next.apps[1].server, ES_SERVER_ANY);
	/* device 3's app 7 is not this DNN: untouched */
	assert_memory_equal(&next.apps[2], &cur.apps[2], sizeof(cur.apps[2]));

	/* the same observations against the new table: nothing to change */
	obs.in_force = &next;
	assert_int_equal(prednnoff_policy.decide(st, &obs, &again), 1);

	/* the device's SNR rises: its answer moves off the device */
	dobs[0].snr_qdb = 25 * 4;
	assert_int_equal(prednnoff_policy.decide(st, &obs, &again), 0);
	assert_int_equal(again.apps[0].target_kind, ESOP_TARGET_CLOUD);
	assert_int_equal(again.apps[0].split_layer, 0);
	assert_int_equal(again.apps[0].exit, 3);

	/* ... unless it has not reported: then the table's entry stands */
	struct es_policy same;

	dobs[0].reported = 0;
	assert_int_equal(prednnoff_policy.decide(st, &obs, &same), 1);
	dobs[0].reported = 1;
	free(again.devices);
	free(again.apps);
	free(next.devices);
	free(next.apps);

	/* no cloud server: two tiers */
	make_table(&cur, 0);
	obs.in_force = &cur;
	assert_int_equal(prednnoff_policy.decide(st, &obs, &next), 0);
	assert_int_equal(next.apps[1].target_kind, ESOP_TARGET_EDGE);
	free(next.devices);
	free(next.apps);

	/* no server at all: every app of ours local, the device runs the path */
	cur.nservers = 0;
	assert_int_equal(prednnoff_policy.decide(st, &obs, &next), 0);
	assert_int_equal(next.apps[1].target_kind, ESOP_TARGET_LOCAL);
	assert_int_equal(next.apps[1].exit, 0);
	assert_int_equal(next.apps[1].split_layer, 22);
	assert_int_equal(next.apps[0].exit, 3);
	assert_int_equal(next.apps[0].split_layer, EXIT3_LEN);
	free(next.devices);
	free(next.apps);
	prednnoff_policy.destroy(st);
}

static void test_resolve_on_load_and_demand(void **state)
{
	struct ctl_server_obs sobs[2] = { { .queue_depth = 0 }, { .queue_depth = 0 } };
	struct es_policy cur;
	struct ctl_epoch_obs obs = { .epoch = 1, .in_force = &cur, .servers = sobs };
	struct prednnoff_answer a;
	void *st = create();
	uint64_t n0 = prednnoff_solves(st);

	(void)state;
	make_table(&cur, 1);
	assert_int_equal(n0, 1);
	assert_int_equal(prednnoff_policy.observe(st, &obs), 0);
	assert_int_equal(prednnoff_solves(st), n0);		/* idle: as solved */
	sobs[0].queue_depth = 64;				/* edge x3 */
	assert_int_equal(prednnoff_policy.observe(st, &obs), 0);
	assert_int_equal(prednnoff_solves(st), n0 + 1);
	assert_int_equal(prednnoff_policy.observe(st, &obs), 0);
	assert_int_equal(prednnoff_solves(st), n0 + 1);	/* unchanged load */
	sobs[0].queue_depth = 65;				/* within a step */
	assert_int_equal(prednnoff_policy.observe(st, &obs), 0);
	assert_int_equal(prednnoff_solves(st), n0 + 1);

	/* easier requirements: the modal exit moves down to exit 2 */
	assert_int_equal(prednnoff_set_demand(st, 0.56, 0.02), 0);
	assert_int_equal(prednnoff_solves(st), n0 + 2);
	assert_int_equal(prednnoff_lookup(st, 80, 1, 3, &a), 0);
	assert_int_equal(a.exit, 2);
	/* harder ones: the main exit */
	assert_int_equal(prednnoff_set_demand(st, 0.76, 0.02), 0);
	assert_int_equal(prednnoff_lookup(st, 80, 1, 3, &a), 0);
	assert_int_equal(a.exit, 0);
	assert_int_equal(prednnoff_set_demand(st, 2, 0.02), -EINVAL);
	prednnoff_policy.destroy(st);

	/* load from forwarded bytes: 8 Mbit/s edges, 4 Mbit/s offered = rho 0.5, x2 */
	static const struct {
		uint64_t bytes;		/* per 100 ms epoch */
		int resolves;
	} load[] = {
		{ 0, 0 }, { 25000, 1 }, { 25000, 0 }, { 50000, 1 }, { 51000, 0 },
		{ 1000000, 1 }, { 2000000, 0 },	/* past rho 0.95: capped */
		{ 0, 1 },
	};

	assert_int_equal(prednnoff_policy.create(&st, ARGS ",edge_mbps=8"), 0);
	sobs[0].queue_depth = 0;
	obs.period_ms = 100;
	for (size_t i = 0; i < sizeof(load) / sizeof(load[0]); i++) {
		uint64_t before = prednnoff_solves(st);

		sobs[0].bytes = load[i].bytes;
		assert_int_equal(prednnoff_policy.observe(st, &obs), 0);
		if (prednnoff_solves(st) - before != (uint64_t)load[i].resolves)
			fail_msg("load row %zu: %llu re-solves", i,
				 (unsigned long long)(prednnoff_solves(st) - before));
	}
	sobs[0].bytes = 0;
	prednnoff_policy.destroy(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_follows_snr),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_decide_writes_next),
		cmocka_unit_test(test_resolve_on_load_and_demand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
