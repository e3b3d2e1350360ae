/* SPDX-License-Identifier: MIT */
/*
 * The environment: delay, energy and cost of a placement against hand
 * computation from Tables 2 and 3; queueing on a limited pool; eq. 12's node
 * balance; step costs adding up to the objective; the observation.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ddpqn_agent.h"
#include "ddpqn_env.h"
#include "test_ddpqn_common.h"

static struct ddpqn_graph g;

static void close_to(double got, double want)
{
	if (fabs(got - want) > 1e-12 * fmax(1, fabs(want)))
		fail_msg("got %.15g, want %.15g", got, want);
}

static void test_hand_chain(void **state)
{
	static const struct test_layer t[] = {
		{ 1.0, 0.5, { 2 } },
		{ 2.0, 0.1, { 0 } },
	};
	struct ddpqn_params p;
	struct ddpqn_env *env;
	struct ddpqn_totals tot;
	const uint8_t place[] = { 1, 2 };	/* edge, then cloud */
	double t_edge = 1e9 / 11.25e9, t_cloud = 2e9 / 80e9;

	(void)state;
	assert_int_equal(test_graph(&g, t, 2), 0);
	ddpqn_params_default(&p, DDPQN_MODEL_GENERIC);
	p.nedge = 1;
	p.ncloud = 1;
	p.std = DDPQN_STD_NONE;
	assert_int_equal(ddpqn_env_create(&g, &p, &env), 0);
	/* One server of a kind sits in the middle of the Table 3 range. */
	close_to(ddpqn_env_server_ghz(env, 1), 11.25);
	close_to(ddpqn_env_server_ghz(env, 2), 80);
	assert_int_equal(ddpqn_env_run(env, place, &tot), 0);
	/* 1 MB client->edge at 10 MB/s; 0.5 MB edge->cloud at 0.5 MB/s. */
	close_to(tot.delay_s, 0.1 + t_edge + 1.0 + t_cloud);
	/* 0.2 W while the client sends; 10 W idle while servers compute. */
	close_to(tot.energy_j, 0.2 * 0.1 + 10 * t_edge + 10 * t_cloud);
	close_to(tot.cost_usd, 1e-3 * 0.16 + t_edge * 2.265 / 3600 + 0.5e-3 * 0.8 +
				       t_cloud * 1.0125 / 3600);
	/* Raw units (std none): the additive part is phi * weighted sum. */
	close_to(tot.additive, 0.6 * (0.5 * tot.delay_s + 0.3 * tot.energy_j +
				      0.2 * tot.cost_usd));
	ddpqn_env_destroy(env);
}

static void test_queue(void **state)
{
	static const struct test_layer t[] = { { 1.0, 0.1, { 0 } } };
	struct ddpqn_params p;
	struct ddpqn_env *env;
	struct ddpqn_totals tot;
	const uint8_t place[] = { 0, 0, 0 };
	static const struct { unsigned pool; double tasks_time; } rows[] = {
		{ 1, 1 + 2 + 3 },	/* one at a time: they finish at t, 2t, 3t */
		{ 2, 1 + 1 + 2 },
		{ 0, 1 + 1 + 1 },	/* unlimited */
	};

	(void)state;
	assert_int_equal(test_graph(&g, t, 1), 0);
	for (unsigned i = 0; i < 3; i++) {
		ddpqn_params_default(&p, DDPQN_MODEL_GENERIC);
		p.tasks = 3;
		p.pool[DDPQN_CLIENT] = rows[i].pool;
		assert_int_equal(ddpqn_env_create(&g, &p, &env), 0);
		assert_int_equal(ddpqn_env_run(env, place, &tot), 0);
		close_to(tot.delay_s, rows[i].tasks_time / 2.3);
		ddpqn_env_destroy(env);
	}
}

/* Branches of a fork-join: in parallel, or one after the other on one slot. */
static void test_branches(void **state)
{
	static const struct test_layer t[] = {
		{ 1.0, 0.1, { 2, 3 } }, { 2.0, 0.1, { 4 } }, { 3.0, 0.1, { 4 } },
		{ 0.5, 0.1, { 0 } },
	};
	static const struct { unsigned pool; double delay; } rows[] = {
		{ 0, 1 + 3 + 0.5 },	/* the longest branch (eq. 19) */
		{ 1, 1 + 2 + 3 + 0.5 },	/* one slot: the branches queue */
		{ 2, 1 + 3 + 0.5 },
	};
	const uint8_t place[] = { 0, 0, 0, 0 };
	struct ddpqn_params p;
	struct ddpqn_env *env;
	struct ddpqn_totals tot;

	(void)state;
	assert_int_equal(test_graph(&g, t, 4), 0);
	for (unsigned i = 0; i < 3; i++) {
		ddpqn_params_default(&p, DDPQN_MODEL_GENERIC);
		p.pool[DDPQN_CLIENT] = rows[i].pool;
		assert_int_equal(ddpqn_env_create(&g, &p, &env), 0);
		assert_int_equal(ddpqn_env_run(env, place, &tot), 0);
		close_to(tot.delay_s, rows[i].delay / 2.3);
		/* Energy adds over both branches whatever the delay. */
		close_to(tot.energy_j, 70 * 6.5 / 2.3);
		ddpqn_env_destroy(env);
	}
}

static void test_balance(void **state)
{
	static const struct test_layer t[] = {
		{ 1.0, 0.5, { 2 } },
		{ 1.0, 0.5, { 0 } },
	};
	static const struct {
		unsigned nedge;
		enum ddpqn_zscale zs;
		uint8_t place[2];
		double raw, scaled;
	} rows[] = {
		{ 2, DDPQN_Z_EXCESS, { 1, 1 }, 2, 1 },	/* both on edge 1 of 2: |2 - 0| */
		{ 2, DDPQN_Z_EXCESS, { 1, 2 }, 0, 0 },
		{ 2, DDPQN_Z_EXCESS, { 0, 0 }, 0, 0 },	/* all local: nothing gained */
		{ 2, DDPQN_Z_EXCESS, { 0, 3 }, 0, 0 },	/* one cloud server: no pair */
		/* 3 edge servers: 2 subtasks cannot do better than |1-1|+|1-0|+|1-0| */
		{ 3, DDPQN_Z_EXCESS, { 1, 2 }, 2, 0 },
		{ 3, DDPQN_Z_EXCESS, { 1, 1 }, 4, 1 },
		{ 3, DDPQN_Z_PLACED, { 1, 2 }, 2, 2.0 / (2 * 2) },
		{ 3, DDPQN_Z_PLACED, { 0, 1 }, 2, 2.0 / (2 * 2) },
		{ 3, DDPQN_Z_RAW, { 1, 1 }, 4, 4 },
	};
	struct ddpqn_params p;
	struct ddpqn_env *env;
	struct ddpqn_totals tot;

	(void)state;
	assert_int_equal(test_graph(&g, t, 2), 0);
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ddpqn_params_default(&p, DDPQN_MODEL_GENERIC);
		p.nedge = rows[i].nedge;
		p.ncloud = 1;
		p.zscale = rows[i].zs;
		assert_int_equal(ddpqn_env_create(&g, &p, &env), 0);
		assert_int_equal(ddpqn_env_run(env, rows[i].place, &tot), 0);
		close_to(tot.z_raw_final, rows[i].raw);
		close_to(tot.z_final, rows[i].scaled);
		ddpqn_env_destroy(env);
	}
}

/* Step costs add up to the objective; peek is the step's cost; H in [0, 1]. */
static void test_telescoping(void **state)
{
	static const enum ddpqn_eq13 eq[] = { DDPQN_EQ13_INSIDE, DDPQN_EQ13_OUTSIDE };
	struct ddpqn_graph_opts o = { .model = DDPQN_MODEL_GOOGLENET };
	struct ddpqn_load_err err;
	struct ddpqn_params p;
	struct ddpqn_env *env;
	struct ddpqn_totals tot, tot2;
	uint64_t rng = 7;
	uint8_t *place;

	(void)state;
	assert_int_equal(ddpqn_graph_load(DDPQN_MODELS_DIR "/googlenet.csv", &o, &g, &err), 0);
	for (unsigned e = 0; e < 2; e++) {
		double sum = 0, peek, r;
		int done = 0;
		unsigned cells;

		ddpqn_params_default(&p, DDPQN_MODEL_GOOGLENET);
		p.tasks = 3;
		p.eq13 = eq[e];
		p.return_output = e;
		assert_int_equal(ddpqn_env_create(&g, &p, &env), 0);
		cells = g.n * 3;
		place = malloc(cells);
		for (unsigned k = 0; k < cells; k++)
			place[k] = ddpqn_rand(&rng) % 11;
		assert_int_equal(ddpqn_env_run(env, place, &tot), 0);
		ddpqn_env_reset(env);
		for (unsigned k = 0; k < cells; k++) {
			assert_int_equal(done, 0);
			assert_int_equal(ddpqn_env_peek(env, place[k], &peek), 0);
			assert_int_equal(ddpqn_env_step(env, place[k], &r, &done), 0);
			close_to(-r, peek);
			sum += r;
		}
		assert_int_equal(done, 1);
		assert_int_equal(ddpqn_env_step(env, 0, &r, &done), -ENODATA);
		ddpqn_env_totals(env, &tot2);
		close_to(-sum, tot.objective);
		close_to(tot2.objective, tot.objective);
		assert_true(tot.h_mean >= 0 && tot.h_mean <= 1);
		assert_true(tot.z_final >= 0 && tot.z_final <= 1);
		free(place);
		ddpqn_env_destroy(env);
	}
}

static void test_observe(void **state)
{
	static const struct test_layer t[] = {
		{ 1.0, 0.5, { 2, 3 } },
		{ 1.0, 0.25, { 4 } },
		{ 2.0, 0.75, { 4 } },
		{ 0.5, 1.0, { 0 } },
	};
	struct ddpqn_params p;
	struct ddpqn_env *env;
	float st[DDPQN_STATE_DIM];
	double r;
	int done;

	(void)state;
	assert_int_equal(test_graph(&g, t, 4), 0);
	ddpqn_params_default(&p, DDPQN_MODEL_GENERIC);
	p.tasks = 2;
	assert_int_equal(ddpqn_env_create(&g, &p, &env), 0);
	ddpqn_env_observe(env, st);
	assert_true(st[0] == 1);		/* the input is on the client */
	assert_true(st[11] == 0.5f);		/* cycles over the model's max */
	assert_true(st[13] == 0.5f);		/* output over the largest size */
	assert_true(st[14] == 0.5f && st[16] == 1.0f);	/* look-ahead */
	assert_true(st[18] == 0 && st[19] == 0);
	ddpqn_env_step(env, 3, &r, &done);
	ddpqn_env_step(env, 7, &r, &done);
	ddpqn_env_step(env, 3, &r, &done);
	/* Layer 4 reads 0.25 MB from server 7 and 0.75 MB from server 3. */
	ddpqn_env_observe(env, st);
	assert_true(fabsf(st[7] - 0.25f) < 1e-6 && fabsf(st[3] - 0.75f) < 1e-6);
	assert_true(st[0] == 0);
	assert_true(fabsf(st[31 + 3] - 2.0f / 3) < 1e-6);	/* share placed */
	assert_true(st[18] == 0.75f);
	ddpqn_env_step(env, 0, &r, &done);
	ddpqn_env_observe(env, st);
	assert_true(st[19] == 0.5f);		/* second task */
	/* Backlog: edge 3's two slots are both taken by task 0, cloud 7 has
	 * free slots, the client's one slot is busy. */
	assert_true(st[20 + 3] > 0);
	assert_true(st[20 + 7] == 0);
	assert_true(st[20 + 0] > 0);
	assert_true(st[20 + 5] == 0);
	ddpqn_env_destroy(env);
}

static void test_params(void **state)
{
	static const struct test_layer t[] = { { 1.0, 0.1, { 0 } } };
	struct ddpqn_params p;
	struct ddpqn_env *env = NULL;

	(void)state;
	assert_int_equal(test_graph(&g, t, 1), 0);
	ddpqn_params_default(&p, DDPQN_MODEL_GENERIC);
	p.theta = 0.6;		/* 0.6 + 0.3 + 0.2 != 1 (eq. 17) */
	assert_int_equal(ddpqn_env_create(&g, &p, &env), -EINVAL);
	ddpqn_params_default(&p, DDPQN_MODEL_GENERIC);
	p.tasks = 0;
	assert_int_equal(ddpqn_env_create(&g, &p, &env), -EINVAL);
	ddpqn_params_default(&p, DDPQN_MODEL_GENERIC);
	p.nedge = 40;
	assert_int_equal(ddpqn_env_create(&g, &p, &env), -EINVAL);
	assert_null(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_chain),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_branches),
		cmocka_unit_test(test_balance),
		cmocka_unit_test(test_telescoping),
		cmocka_unit_test(test_observe),
		cmocka_unit_test(test_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
