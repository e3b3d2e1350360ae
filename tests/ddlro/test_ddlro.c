/* SPDX-License-Identifier: MIT */
/*
 * DDLRO's placement (ddlro_place) from measured latencies, and the online
 * policy: it solves at its first epoch, keeps its table until the daemon
 * reports drift, then moves apps off a server that became slow.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ddlro.h"
#include "esop.h"
#include "ptab.h"

extern const struct ctl_policy_ops ddlro_policy;

#define NDEV	10

/* NDEV devices with one offloaded app each, device 0 with a local one too. */
static void world(struct es_policy *p, struct es_device *devs, struct es_app *apps)
{
	memset(p, 0, sizeof(*p));
	p->epoch = 5;
	p->nservers = 2;
	strcpy(p->servers[0].name, "edge0");
	p->servers[0].kind = ESOP_TARGET_EDGE;
	strcpy(p->servers[1].name, "cloud0");
	p->servers[1].kind = ESOP_TARGET_CLOUD;
	for (uint32_t i = 0, a = 0; i < NDEV; i++) {
		devs[i] = (struct es_device){ .id = 100 + i, .rate_kbps = 1000,
					      .burst_bytes = 65536, .apps_off = a,
					      .napps = i ? 1 : 2 };
		apps[a++] = (struct es_app){ .app = 3, .target_kind = ESOP_TARGET_EDGE,
					     .server = ES_SERVER_ANY };
		if (!i)
			apps[a++] = (struct es_app){ .app = 4, .target_kind = ESOP_TARGET_LOCAL,
						     .server = ES_SERVER_ANY };
	}
	p->ndevices = NDEV;
	p->napps = NDEV + 1;
	p->devices = devs;
	p->apps = apps;
}

static void count(const struct es_policy *p, const uint8_t *server, uint32_t n[3])
{
	n[0] = n[1] = n[2] = 0;
	for (uint32_t a = 0; a < p->napps; a++)
		n[server[a] == ES_SERVER_ANY ? 2 : server[a]]++;
}

static void test_place(void **state)
{
	static const struct {
		const char *what;
		uint32_t lat[2];
		double spread;
		uint32_t edge, cloud;
	} t[] = {
		{ "nothing measured: spread evenly", { 0, 0 }, 0.5, 5, 5 },
		{ "the same: spread evenly", { 800, 800 }, 0.5, 5, 5 },
		{ "no congestion term: all on the first of equals", { 800, 800 }, 0, 10, 0 },
		{ "edge slowed 20 ms: all to the cloud", { 20400, 400 }, 0.5, 0, 10 },
		{ "edge a little faster: more on the edge", { 400, 500 }, 0.5, 8, 2 },
		{ "cloud never measured: twice as good as the best measured", { 400, 0 }, 0.5, 0, 10 },
		{ "... with a stronger congestion term", { 400, 0 }, 2, 2, 8 },
	};
	struct es_device devs[NDEV];
	struct es_app apps[NDEV + 1];
	struct es_policy p;
	uint8_t server[NDEV + 1];
	uint32_t n[3];
	double cost;

	(void)state;
	world(&p, devs, apps);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(ddlro_place(&p, t[i].lat, t[i].spread, server, &cost), NDEV);
		count(&p, server, n);
		if (n[0] != t[i].edge || n[1] != t[i].cloud)
			fail_msg("%s: %u on edge0, %u on cloud0; want %u, %u", t[i].what, n[0], n[1],
				 t[i].edge, t[i].cloud);
		assert_int_equal(n[2], 1);		/* the local app stays local */
		assert_int_equal(server[1], ES_SERVER_ANY);
		assert_true(cost > 0);
	}
	/* the predicted mean: all on the cloud at 400 us, congested by 0.5 */
	ddlro_place(&p, (uint32_t[]){ 20400, 400 }, 0.5, server, &cost);
	assert_float_equal(cost, 400 * 1.5, 1e-9);
	p.nservers = 0;
	assert_int_equal(ddlro_place(&p, NULL, 0.5, server, &cost), -ENODEV);
}

static void test_policy(void **state)
{
	struct es_device devs[NDEV];
	struct es_app apps[NDEV + 1];
	struct es_policy p, next;
	struct ctl_server_obs sobs[2] = { { .latency_us = 500 }, { .latency_us = 500 } };
	struct ctl_epoch_obs obs = { .epoch = 5, .period_ms = 100, .servers = sobs };
	uint32_t n[3];
	uint8_t server[NDEV + 1];
	void *st;

	(void)state;
	world(&p, devs, apps);
	obs.in_force = &p;
	assert_int_equal(ddlro_policy.create(&st, "spread=x"), -EINVAL);
	assert_int_equal(ddlro_policy.create(&st, "spread=0.5,period=0"), 0);
	/* first epoch: solved, apps named on servers of their kind */
	memset(&next, 0, sizeof(next));
	assert_int_equal(ddlro_policy.decide(st, &obs, &next), 0);
	assert_int_equal(next.epoch, 6);
	for (uint32_t a = 0; a < next.napps; a++) {
		server[a] = next.apps[a].server;
		if (server[a] != ES_SERVER_ANY)
			assert_int_equal(next.apps[a].target_kind, next.servers[server[a]].kind);
	}
	count(&next, server, n);
	assert_int_equal(n[0], 5);
	assert_int_equal(n[1], 5);
	/* no drift: the table stays, whatever was measured */
	sobs[0].latency_us = 20500;
	obs.in_force = &next;
	assert_int_equal(ddlro_policy.decide(st, &obs, &p), 1);
	/* drift: everything leaves the slow edge server */
	obs.drift = 1;
	memset(&p, 0, sizeof(p));
	assert_int_equal(ddlro_policy.decide(st, &obs, &p), 0);
	for (uint32_t a = 0; a < p.napps; a++)
		assert_true(p.apps[a].server == ES_SERVER_ANY ||
			    (p.apps[a].server == 1 && p.apps[a].target_kind == ESOP_TARGET_CLOUD));
	/* drift again with nothing better: no new table */
	obs.in_force = &p;
	assert_int_equal(ddlro_policy.decide(st, &obs, &next), 1);
	ptab_free(&p);
	ptab_free(&next);
	ddlro_policy.destroy(st);
	/* re-solved every 2 epochs with period=2 */
	world(&p, devs, apps);
	obs.in_force = &p;
	obs.drift = 0;
	sobs[0].latency_us = 500;
	assert_int_equal(ddlro_policy.create(&st, "period=2"), 0);
	memset(&next, 0, sizeof(next));
	assert_int_equal(ddlro_policy.decide(st, &obs, &next), 0);
	obs.in_force = &next;
	sobs[1].latency_us = 30000;
	assert_int_equal(ddlro_policy.decide(st, &obs, &p), 1);
	memset(&p, 0, sizeof(p));
	assert_int_equal(ddlro_policy.decide(st, &obs, &p), 0);
	ptab_free(&p);
	ptab_free(&next);
	ddlro_policy.destroy(st);
}

/* Placed on unmeasured servers: solved again once they have been measured. */
static void test_blind(void **state)
{
	struct es_device devs[NDEV];
	struct es_app apps[NDEV + 1];
	struct es_policy p, next;
	struct ctl_server_obs sobs[2] = { { 0 }, { 0 } };
	struct ctl_epoch_obs obs = { .epoch = 5, .period_ms = 100, .servers = sobs };
	void *st;

	(void)state;
	world(&p, devs, apps);
	obs.in_force = &p;
	assert_int_equal(ddlro_policy.create(&st, NULL), 0);
	memset(&next, 0, sizeof(next));
	assert_int_equal(ddlro_policy.decide(st, &obs, &next), 0);	/* 5 and 5, blind */
	obs.in_force = &next;
	sobs[0].latency_us = 900;
	assert_int_equal(ddlro_policy.decide(st, &obs, &p), 1);	/* cloud0 unmeasured */
	sobs[1].latency_us = 300;
	assert_int_equal(ddlro_policy.decide(st, &obs, &p), 1);	/* settling */
	memset(&p, 0, sizeof(p));
	assert_int_equal(ddlro_policy.decide(st, &obs, &p), 0);	/* measured: solved */
	for (int k = 0; k < 5; k++)				/* and not again */
		assert_int_equal(ddlro_policy.decide(st, &obs, &next), 1);
	/* all on cloud0; edge0 forgotten by the daemon: tried again */
	ptab_free(&next);
	obs.in_force = &p;
	sobs[0].latency_us = 0;
	memset(&next, 0, sizeof(next));
	assert_int_equal(ddlro_policy.decide(st, &obs, &next), 0);
	assert_int_equal(next.apps[0].server, 0);
	ptab_free(&p);
	ptab_free(&next);
	ddlro_policy.destroy(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_place),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_blind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
