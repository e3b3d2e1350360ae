/* SPDX-License-Identifier: MIT */
/*
 * The agent seam: the baselines' choices, a learning agent seeing every
 * transition once with the right rewards and terminal flag, the TD target
 * (plain, double, Algorithm 1 as printed) and the DQN variants' settings.
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
static struct ddpqn_env *env;

static int setup(void **state)
{
	static const struct test_layer t[] = {
		{ 0.2, 0.5, { 2, 3 } }, { 0.1, 0.2, { 4 } }, { 0.3, 0.1, { 4 } },
		{ 0.05, 0.01, { 0 } },
	};
	struct ddpqn_params p;

	(void)state;
	if (test_graph(&g, t, 4))
		return -1;
	ddpqn_params_default(&p, DDPQN_MODEL_GENERIC);
	p.tasks = 7;
	return ddpqn_env_create(&g, &p, &env);
}

static int teardown(void **state)
{
	(void)state;
	ddpqn_env_destroy(env);
	return 0;
}

static void test_fixed_baselines(void **state)
{
	static const struct { const char *name; uint8_t task_server[7]; } rows[] = {
		{ "local", { 0, 0, 0, 0, 0, 0, 0 } },
		/* fastest first: edge servers 1..5 by ascending speed */
		{ "edge", { 5, 4, 3, 2, 1, 5, 4 } },
		{ "cloud", { 10, 9, 8, 7, 6, 10, 9 } },
	};
	uint8_t place[28];
	struct ddpqn_agent ag;

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(ddpqn_baseline(rows[i].name, 0, &ag), 0);
		assert_int_equal(ddpqn_rollout(env, &ag, place, NULL), 0);
		for (unsigned k = 0; k < 28; k++)
			assert_int_equal(place[k], rows[i].task_server[k / 4]);
	}
	assert_int_equal(ddpqn_baseline("nope", 0, &ag), -ENOENT);
}

static void test_greedy_random(void **state)
{
	uint8_t a[28], b[28];
	struct ddpqn_agent ag;
	struct ddpqn_totals t;
	double best = INFINITY, c;
	unsigned arg = 0;

	(void)state;
	ddpqn_env_reset(env);
	for (unsigned s = 0; s < 11; s++) {
		assert_int_equal(ddpqn_env_peek(env, s, &c), 0);
		if (c < best) {
			best = c;
			arg = s;
		}
	}
	assert_int_equal(ddpqn_baseline("greedy", 0, &ag), 0);
	assert_int_equal(ddpqn_rollout(env, &ag, a, &t), 0);
	assert_int_equal(a[0], arg);
	/* The same seed, the same episode; another seed, another one. */
	assert_int_equal(ddpqn_baseline("random", 5, &ag), 0);
	assert_int_equal(ddpqn_rollout(env, &ag, a, NULL), 0);
	assert_int_equal(ddpqn_baseline("random", 5, &ag), 0);
	assert_int_equal(ddpqn_rollout(env, &ag, b, NULL), 0);
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(ddpqn_baseline("random", 6, &ag), 0);
	assert_int_equal(ddpqn_rollout(env, &ag, b, NULL), 0);
	assert_memory_not_equal(a, b, sizeof(a));
}

/* A stand-in learner: records what the seam hands it. */
struct recorder {
	unsigned calls, dones;
	double reward_sum;
	int last_done;
	float first_state0;
};

static int rec_act(struct ddpqn_agent *ag, const struct ddpqn_env *e,
		   const float *st, unsigned *server)
{
	(void)e, (void)st;
	*server = ddpqn_rand(&ag->rng) % 11;
	return 0;
}

static int rec_learn(struct ddpqn_agent *ag, const float *st, unsigned server,
		     double reward, const float *next, int done)
{
	struct recorder *r = ag->ctx;

	(void)next;
	assert_true(server < 11);
	if (!r->calls)
		r->first_state0 = st[0];
	r->calls++;
	r->dones += done;
	r->last_done = done;
	r->reward_sum += reward;
	return 0;
}

static void test_learning_seam(void **state)
{
	static const struct ddpqn_agent_ops ops = { "recorder", rec_act, rec_learn };
	struct recorder rec = { 0 };
	struct ddpqn_agent ag = { &ops, &rec, 3 };
	struct ddpqn_totals t;

	(void)state;
	assert_int_equal(ddpqn_rollout(env, &ag, NULL, &t), 0);
	assert_int_equal(rec.calls, 28);
	assert_int_equal(rec.dones, 1);
	assert_int_equal(rec.last_done, 1);
	assert_true(rec.first_state0 == 1);
	assert_true(fabs(rec.reward_sum + t.objective) < 1e-12);
}

static void test_td_target(void **state)
{
	static const float qo[3] = { 1, 5, 2 }, qt[3] = { 4, 3, 6 };
	static const struct {
		int done, dbl, literal;
		double want;
	} rows[] = {
		{ 0, 0, 0, 1 + 0.8 * 6 },	/* max of the target net */
		{ 0, 1, 0, 1 + 0.8 * 3 },	/* target net at online argmax (1) */
		{ 1, 0, 0, 1 },
		{ 1, 1, 0, 1 },
		{ 0, 1, 1, 1 },			/* Algorithm 1 as printed: swapped */
		{ 1, 1, 1, 1 + 0.8 * 3 },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_float_equal(ddpqn_td_target(1, rows[i].done, 0.8, qo, qt, 3,
						   rows[i].dbl, rows[i].literal),
				   rows[i].want, 1e-6);
}

static void test_variants(void **state)
{
	static const struct { const char *name; int dbl, duel, per; } rows[] = {
		{ "dqn", 0, 0, 0 }, { "double", 1, 0, 0 }, { "dueling", 0, 1, 0 },
		{ "pr", 0, 0, 1 }, { "doublepr", 1, 0, 1 }, { "duelingpr", 0, 1, 1 },
		{ "doubledueling", 1, 1, 0 }, { "ddpqn", 1, 1, 1 },
	};
	struct ddpqn_dqn_config c;

	(void)state;
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(ddpqn_dqn_variant(rows[i].name, &c), 0);
		assert_int_equal(c.double_q, rows[i].dbl);
		assert_int_equal(c.dueling, rows[i].duel);
		assert_int_equal(c.prioritized, rows[i].per);
		assert_int_equal(c.hidden[0], 50);
		assert_int_equal(c.hidden[1], 20);
		assert_int_equal(c.actions, 11);
		assert_int_equal(c.state_dim, DDPQN_STATE_DIM);
		assert_int_equal(c.target_sync, 100);
		assert_int_equal(c.batch, 256);
		assert_float_equal(c.lr, 0.001, 1e-12);
		assert_float_equal(c.gamma, 0.8, 1e-12);
		assert_float_equal(c.eps_greedy, 0.9, 1e-12);
	}
	assert_int_equal(ddpqn_dqn_variant("rainbow", &c), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_baselines),
		cmocka_unit_test(test_greedy_random),
		cmocka_unit_test(test_learning_seam),
		cmocka_unit_test(test_td_target),
		cmocka_unit_test(test_variants),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
