/* SPDX-License-Identifier: MIT */
/*
 * The online operations: with the trained weights, the table decide()
 * writes places each device's app at the edge or locally as DDLO decides,
 * near the optimum, sets offloaders' rate_kbps from their bandwidth share,
 * changes with the offered load and reports "no change" when there is
 * none; bad --policy-args and unfit weights are refused.
 * argv[1]: the data CSV, argv[2]: models/ddlo/ddlo_3x3_k5.nnw.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ddlo_data.h"
#include "ddlo_policy.h"
#include "esop.h"

#define NDEV	10u
#define APP	7u

static struct ddlo_data *data;
static const char *weights;
static struct es_device devices[NDEV];
static struct es_app apps[NDEV];
static struct es_policy in_force;
static struct ctl_device_obs dobs[NDEV];

static void world_init(void)
{
	memset(&in_force, 0, sizeof(in_force));
	for (uint32_t d = 0; d < NDEV; d++) {
		devices[d] = (struct es_device){ .id = d + 1, .rate_kbps = 1000,
			.burst_bytes = 65536, .apps_off = d, .napps = 1 };
		apps[d] = (struct es_app){ .app = APP,
			.target_kind = ESOP_TARGET_LOCAL, .server = ES_SERVER_ANY };
	}
	in_force.epoch = 1;
	in_force.default_rate_kbps = 1000;
	in_force.ndevices = NDEV;
	in_force.napps = NDEV;
	in_force.devices = devices;
	in_force.apps = apps;
}

/* Devices 1..9 carry row @r's tasks; device 10 is idle. */
static struct ctl_epoch_obs obs_row(uint32_t r)
{
	for (uint32_t d = 0; d < NDEV; d++) {
		dobs[d] = (struct ctl_device_obs){ .id = d + 1, .app_id = APP };
		if (d < 9)
			dobs[d].pending_bytes =
				(uint32_t)(data->size_mb[(size_t)r * 9 + d] * 1048576);
	}
	return (struct ctl_epoch_obs){ .epoch = r, .period_ms = 100,
		.ndevices = NDEV, .devices = dobs, .in_force = &in_force };
}

static void test_online_tables(void **state)
{
	const struct ctl_policy_ops *ops = &ddlo_policy;
	struct ddlo_mec mec;
	char args[512];
	void *st;
	double ratio = 0;
	int differ = 0;
	uint8_t prev[9] = { 0 };
	enum { ROWS = 40 };

	(void)state;
	world_init();
	assert_int_equal(ddlo_mec_init(&mec, 3, 3), 0);
	snprintf(args, sizeof(args), "weights=%s,k=5,learn=0", weights);
	assert_int_equal(ops->create(&st, args), 0);
	for (uint32_t r = 16000; r < 16000 + ROWS; r++) {
		struct ctl_epoch_obs o = obs_row(r);
		struct es_policy next;
		const float *s = data->size_mb + (size_t)r * 9;
		uint8_t x[9];
		double up[3] = { 0 };

		assert_int_equal(ops->observe(st, &o), 0);
		assert_true(ops->decide(st, &o, &next) >= 0);
		assert_int_equal(next.ndevices, NDEV);
		assert_int_equal(next.epoch, 2);
		for (uint32_t d = 0; d < 9; d++) {
			x[d] = next.apps[d].target_kind == ESOP_TARGET_EDGE;
			up[d / 3] += x[d] ? s[d] : 0;
		}
		/* offloaders' rates: the WD's equal share, split by size */
		for (uint32_t d = 0; d < 9; d++) {
			double want = x[d] ? 12.5 / 3 * s[d] / up[d / 3] *
					     8 * 1048576 / 1000 : 1000;

			assert_true(fabs(next.devices[d].rate_kbps - want) <= 1);
		}
		/* the idle device is left alone */
		assert_int_equal(next.apps[9].target_kind, ESOP_TARGET_LOCAL);
		assert_int_equal(next.devices[9].rate_kbps, 1000);
		ratio += data->q_min[r] /
			 ddlo_mec_utility(&mec, s, x, DDLO_BW_EQUAL, NULL);
		differ += r > 16000 && memcmp(prev, x, 9);
		memcpy(prev, x, 9);
		free(next.devices);
		free(next.apps);
	}
	/* trained: near the optimum, and the tables follow the load */
	assert_true(ratio / ROWS > 0.98);
	assert_true(differ > ROWS / 4);
	ops->destroy(st);
}

static void test_no_change(void **state)
{
	const struct ctl_policy_ops *ops = &ddlo_policy;
	struct es_policy next, again;
	struct ctl_epoch_obs o;
	char args[512];
	void *st;

	(void)state;
	world_init();
	snprintf(args, sizeof(args), "weights=%s,learn=0,bandwidth=optimal", weights);
	assert_int_equal(ops->create(&st, args), 0);
	o = obs_row(16001);
	assert_int_equal(ops->observe(st, &o), 0);
	assert_int_equal(ops->decide(st, &o, &next), 0);	/* changed */
	o.in_force = &next;
	assert_int_equal(ops->observe(st, &o), 0);
	assert_int_equal(ops->decide(st, &o, &again), 1);	/* same load */
	uint32_t sum = 0;

	for (uint32_t d = 0; d < 9; d++)
		if (next.apps[d].target_kind == ESOP_TARGET_EDGE)
			sum += next.devices[d].rate_kbps;
	/* optimal split: the offloaders share the whole 100 Mbit/s */
	assert_true(sum > 0 && fabs(sum - 12.5 * 8 * 1048576 / 1000) < 10);
	free(next.devices);
	free(next.apps);
	free(again.devices);
	free(again.apps);
	ops->destroy(st);
}

/* Tasks of KiB with unit_bytes=1024 decide as MB did; rates scale by 1/1024. */
static void test_unit_bytes(void **state)
{
	const struct ctl_policy_ops *ops = &ddlo_policy;
	struct es_policy a, b;
	struct ctl_epoch_obs o;
	char args[512];
	void *sa, *sb;

	(void)state;
	world_init();
	snprintf(args, sizeof(args), "weights=%s,learn=0", weights);
	assert_int_equal(ops->create(&sa, args), 0);
	snprintf(args, sizeof(args), "weights=%s,learn=0,unit_bytes=1024", weights);
	assert_int_equal(ops->create(&sb, args), 0);
	o = obs_row(16003);
	assert_int_equal(ops->observe(sa, &o), 0);
	assert_true(ops->decide(sa, &o, &a) >= 0);
	for (uint32_t d = 0; d < 9; d++)
		dobs[d].pending_bytes /= 1024;
	assert_int_equal(ops->observe(sb, &o), 0);
	assert_true(ops->decide(sb, &o, &b) >= 0);
	for (uint32_t d = 0; d < 9; d++) {
		assert_int_equal(a.apps[d].target_kind, b.apps[d].target_kind);
		if (a.apps[d].target_kind == ESOP_TARGET_EDGE)
			assert_true(fabs(a.devices[d].rate_kbps / 1024.0 -
					 b.devices[d].rate_kbps) <= 1);
	}
	free(a.devices);
	free(a.apps);
	free(b.devices);
	free(b.apps);
	ops->destroy(sa);
	ops->destroy(sb);
}

static void test_bad_args(void **state)
{
	const struct ctl_policy_ops *ops = &ddlo_policy;
	char args[512];
	void *st;

	(void)state;
	assert_int_equal(ops->create(&st, "k=abc"), -EINVAL);
	assert_int_equal(ops->create(&st, "bogus=1"), -EINVAL);
	assert_int_equal(ops->create(&st, "bandwidth=fast"), -EINVAL);
	assert_int_equal(ops->create(&st, "unit_bytes=0"), -EINVAL);
	assert_int_equal(ops->create(&st, "weights=/nonexistent/w.nnw"), -ENOENT);
	snprintf(args, sizeof(args), "weights=%s,k=3", weights);
	assert_int_equal(ops->create(&st, args), -EDOM);
	snprintf(args, sizeof(args), "weights=%s,wds=2", weights);
	assert_int_equal(ops->create(&st, args), -EDOM);
	/* untrained, default shape: fine */
	assert_int_equal(ops->create(&st, NULL), 0);
	struct ctl_epoch_obs o = { .ndevices = 1, .devices = NULL };

	assert_int_equal(ops->observe(st, &o), -EINVAL);
	ops->destroy(st);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_online_tables),
		cmocka_unit_test(test_no_change),
		cmocka_unit_test(test_unit_bytes),
		cmocka_unit_test(test_bad_args),
	};
	char err[256];
	int rc;

	if (argc < 3)
		return 77;
	if (ddlo_data_load(argv[1], &data, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	weights = argv[2];
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ddlo_data_free(data);
	return rc;
}
