/* SPDX-License-Identifier: MIT */
/*
 * The daemon's parts that need no socket: the two-phase push across stages
 * (a stage that fails prepare leaves every stage as it was), least-loaded
 * server choice, and the shipped policies' decisions on given observations.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_balance.h"
#include "ctl_stage.h"
#include "esop.h"
#include "policy.h"
#include "ptab.h"

/* A stage that keeps the epoch of what it serves, as a real one would. */
struct epoch_stage {
	uint64_t serving, prepared;
	int fail;
	unsigned int prepares, commits, aborts;
};

static int es_prepare(void *ctx, const struct ctl_push *next, char *why, size_t n)
{
	struct epoch_stage *s = ctx;

	s->prepares++;
	if (s->fail) {
		snprintf(why, n, "no room for epoch %llu", (unsigned long long)next->table->epoch);
		return -ENOSPC;
	}
	s->prepared = next->table->epoch;
	return 0;
}

static int es_commit(void *ctx)
{
	struct epoch_stage *s = ctx;

	s->commits++;
	s->serving = s->prepared;
	return 0;
}

static void es_abort(void *ctx)
{
	struct epoch_stage *s = ctx;

	s->aborts++;
	s->prepared = 0;
}

static const struct ctl_stage_ops epoch_ops = { "epoch", es_prepare, es_commit, es_abort };

static void test_two_phase(void **state)
{
	struct epoch_stage a = { .serving = 7 }, b = { .serving = 7 }, c = { .serving = 7 };
	struct ctl_stage st[] = { { &epoch_ops, &a }, { &epoch_ops, &b }, { &epoch_ops, &c } };
	struct es_policy p = { .epoch = 8 };
	struct ctl_push push = { &p, NULL, NULL };
	char why[128];

	(void)state;
	/* the second stage refuses: the first is aborted, the third never asked */
	b.fail = 1;
	assert_int_equal(ctl_stages_push(st, 3, &push, why, sizeof(why)), -ENOSPC);
	assert_string_equal(why, "epoch: no room for epoch 8");
	assert_int_equal(a.aborts, 1);
	assert_int_equal(c.prepares, 0);
	assert_int_equal(a.commits + b.commits + c.commits, 0);
	assert_int_equal(a.serving, 7);
	assert_int_equal(b.serving, 7);
	assert_int_equal(c.serving, 7);
	/* all prepare: all commit to the same version */
	b.fail = 0;
	assert_int_equal(ctl_stages_push(st, 3, &push, why, sizeof(why)), 0);
	assert_int_equal(a.serving, 8);
	assert_int_equal(b.serving, 8);
	assert_int_equal(c.serving, 8);
}

static const char world[] =
	"{ \"edgesteer_policy\": 1, \"epoch\": 1, \"defaults\": { \"unknown_device\": \"drop\", "
	"\"rate_kbps\": 1000, \"burst_bytes\": 65536 }, \"servers\": [ "
	"{ \"name\": \"e0\", \"kind\": \"edge\", \"mac\": \"02:00:00:00:01:02\", \"ip\": \"198.18.1.2\", \"udp_port\": 7447, \"port\": 1 }, "
	"{ \"name\": \"c0\", \"kind\": \"cloud\", \"mac\": \"02:00:00:00:02:02\", \"ip\": \"198.18.2.2\", \"udp_port\": 7447, \"port\": 2 }, "
	"{ \"name\": \"e1\", \"kind\": \"edge\", \"mac\": \"02:00:00:00:01:03\", \"ip\": \"198.18.1.3\", \"udp_port\": 7447, \"port\": 1 } ], "
	"\"devices\": [ "
	"{ \"id\": 1, \"apps\": [ { \"app\": 1, \"target\": \"edge\" }, { \"app\": 2, \"target\": \"c0\" } ] }, "
	"{ \"id\": 2, \"apps\": [ { \"app\": 1, \"target\": \"edge\" }, { \"app\": 2, \"target\": \"local\" } ] }, "
	"{ \"id\": 3, \"apps\": [ { \"app\": 1, \"target\": \"edge\" } ] }, "
	"{ \"id\": 4, \"apps\": [ { \"app\": 1, \"target\": \"cloud\" } ] } ] }";

static void load_world(struct es_policy *p)
{
	struct ptab_error err = { "" };

	if (ptab_load("world", world, strlen(world), NULL, NULL, 0, p, NULL, NULL, &err))
		fail_msg("%s", err.msg);
}

static void test_balance(void **state)
{
	struct ctl_server_obs obs[3] = { { .bytes = 5000 }, { 0 }, { .bytes = 0 } };
	uint64_t demand[4] = { 100, 100, 100, 100 };
	struct es_policy p;
	uint8_t srv[8];

	(void)state;
	load_world(&p);
	assert_int_equal(ctl_balance(&p, NULL, NULL, srv), 0);
	/* nothing observed: the three `edge` apps alternate e0, e1, e0 */
	const uint8_t want_even[] = { 0, 1, 2, ES_SERVER_ANY, 0, 1 };

	assert_memory_equal(srv, want_even, sizeof(want_even));
	/* e0 loaded: every edge app goes to e1 until it catches up */
	assert_int_equal(ctl_balance(&p, obs, demand, srv), 0);
	const uint8_t want_loaded[] = { 2, 1, 2, ES_SERVER_ANY, 2, 1 };

	assert_memory_equal(srv, want_loaded, sizeof(want_loaded));
	ptab_free(&p);
}

/*
 * A delta places only its own devices again: the others keep their servers
 * (what the fast path, which only gets the delta, keeps for them).
 */
static void test_balance_delta(void **state)
{
	static const char delta[] =
		"{ \"edgesteer_policy\": 1, \"epoch\": 2, \"delta\": true, \"devices\": [ "
		"{ \"id\": 3, \"apps\": [ { \"app\": 1, \"target\": \"edge\" } ] }, "
		"{ \"id\": 5, \"apps\": [ { \"app\": 1, \"target\": \"edge\" }, "
		"{ \"app\": 2, \"target\": \"local\" } ] } ], \"remove_devices\": [ 2 ] }";
	struct ctl_server_obs obs[3] = { { .bytes = 5000 }, { 0 }, { 0 } };
	struct ptab_load_info info;
	struct ptab_error err;
	struct ptab_delta d;
	struct es_policy p, next;
	uint8_t prev[8], srv[8];

	(void)state;
	load_world(&p);
	assert_int_equal(ctl_balance(&p, NULL, NULL, prev), 0);
	if (ptab_load("delta", delta, strlen(delta), &p, NULL, 0, &next, &info, &d, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(ctl_balance_delta(&p, prev, &next, &d, obs, srv), 0);
	/*
	 * devices 1 and 4 as before (e0 and c0; c0), though e0 is loaded now;
	 * 3 and 5 (apps 1, 2) placed anew: e1, e1, local
	 */
	const uint8_t want[] = { 0, 1, 2, 1, 2, ES_SERVER_ANY };

	assert_memory_equal(srv, want, sizeof(want));
	/* a delta that changes the servers is for ctl_balance */
	d.has_servers = 1;
	assert_int_equal(ctl_balance_delta(&p, prev, &next, &d, obs, srv), -EINVAL);
	ptab_delta_free(&d);
	ptab_free(&next);
	ptab_free(&p);
}

static int decide(const char *name, const char *args, const struct ctl_epoch_obs *obs,
		  struct es_policy *next)
{
	const struct ctl_policy_ops *ops = ctl_policy_find(name);
	void *st;
	int rc;

	assert_non_null(ops);
	assert_int_equal(ops->create(&st, args), 0);
	assert_int_equal(ops->observe(st, obs), 0);
	rc = ops->decide(st, obs, next);
	ops->destroy(st);
	return rc;
}

static void test_policies(void **state)
{
	struct ctl_device_obs dev[2] = {
		{ .id = 1, .snr_qdb = 4 * 3 },		/* 3 dB: too weak to offload */
		{ .id = 4, .snr_qdb = 4 * 25 },		/* 25 dB */
	};
	struct ctl_server_obs srv[3] = { { 0 } };
	struct es_policy p, next;
	struct ctl_epoch_obs obs = { .epoch = 1, .period_ms = 100, .ndevices = 2,
				     .devices = dev, .servers = srv };
	struct ptab_error err = { "" };

	(void)state;
	load_world(&p);
	obs.in_force = &p;
	assert_int_equal(decide("static", NULL, &obs, &next), 1);

	assert_int_equal(decide("all-local", NULL, &obs, &next), 0);
	assert_int_equal(next.epoch, 2);
	for (uint32_t a = 0; a < next.napps; a++)
		assert_int_equal(next.apps[a].target_kind, ESOP_TARGET_LOCAL);
	assert_int_equal(ptab_check(&next, NULL, &err), 0);
	ptab_free(&next);

	assert_int_equal(decide("all-cloud", NULL, &obs, &next), 0);
	for (uint32_t a = 0; a < next.napps; a++) {
		assert_int_equal(next.apps[a].target_kind, ESOP_TARGET_CLOUD);
		assert_int_equal(next.apps[a].server, ES_SERVER_ANY);
	}
	/* already all cloud: nothing to change */
	obs.in_force = &next;
	assert_int_equal(decide("all-cloud", NULL, &obs, &p), 1);
	obs.in_force = &p;
	ptab_free(&next);

	/* greedy: device 1's link is too weak (local), device 4 goes to the edge */
	assert_int_equal(decide("greedy", "snr_db=10", &obs, &next), 0);
	assert_int_equal(next.apps[next.devices[0].apps_off].target_kind, ESOP_TARGET_LOCAL);
	assert_int_equal(next.apps[next.devices[3].apps_off].target_kind, ESOP_TARGET_EDGE);
	assert_int_equal(ptab_check(&next, NULL, &err), 0);
	ptab_free(&next);
	/* edge queues full: the cloud */
	srv[0].queue_depth = srv[2].queue_depth = 100;
	assert_int_equal(decide("greedy", "snr_db=10,max_queue=64", &obs, &next), 0);
	assert_int_equal(next.apps[next.devices[3].apps_off].target_kind, ESOP_TARGET_CLOUD);
	ptab_free(&next);
	void *st;

	assert_int_equal(ctl_policy_find("greedy")->create(&st, "snr=1"), -EINVAL);
	ptab_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_phase),
		cmocka_unit_test(test_balance),
		cmocka_unit_test(test_balance_delta),
		cmocka_unit_test(test_policies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
