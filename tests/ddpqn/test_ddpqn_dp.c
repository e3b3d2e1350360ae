/* SPDX-License-Identifier: MIT */
/*
 * The exact DP against brute force: on small chains and fork-join graphs
 * with 3 and 4 servers, the DP's value equals the minimum over every
 * placement of the environment's additive part (unlimited pools, one task),
 * and the placement it returns scores that value. Then dp_ref on the real
 * models: it exists for all four and local search never makes it worse.
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
#include "ddpqn_dp.h"
#include "ddpqn_env.h"
#include "test_ddpqn_common.h"

static struct ddpqn_graph g;

/* Shapes, with exec/out drawn per case: successors only. */
static const struct {
	unsigned n;
	unsigned succ[7][4];
} shapes[] = {
	{ 1, { { 0 } } },
	{ 3, { { 2 }, { 3 }, { 0 } } },
	{ 5, { { 2 }, { 3 }, { 4 }, { 5 }, { 0 } } },
	/* fork into two single layers */
	{ 4, { { 2, 3 }, { 4 }, { 4 }, { 0 } } },
	/* a layer | a chain of two | a direct edge */
	{ 5, { { 2, 3, 5 }, { 5 }, { 4 }, { 5 }, { 0 } } },
	/* two fork-joins in a row */
	{ 7, { { 2, 3 }, { 4 }, { 4 }, { 5, 6 }, { 7 }, { 7 }, { 0 } } },
	/* ResNet-like: shortcut layer | three-layer chain */
	{ 6, { { 2, 3 }, { 6 }, { 4 }, { 5 }, { 6 }, { 0 } } },
	/* the longest chain the DP takes (4) beside a direct edge */
	{ 6, { { 2, 6 }, { 3 }, { 4 }, { 5 }, { 6 }, { 0 } } },
};

static double brute(struct ddpqn_env *env, unsigned n, unsigned ns)
{
	uint8_t place[8] = { 0 };
	struct ddpqn_totals t;
	double best = INFINITY;
	unsigned total = 1;

	for (unsigned k = 0; k < n; k++)
		total *= ns;
	for (unsigned c = 0; c < total; c++) {
		unsigned code = c;

		for (unsigned k = 0; k < n; k++, code /= ns)
			place[k] = code % ns;
		assert_int_equal(ddpqn_env_run(env, place, &t), 0);
		if (t.additive < best)
			best = t.additive;
	}
	return best;
}

static void test_dp_equals_brute_force(void **state)
{
	static const struct { unsigned nedge, ncloud; int ret; } envs[] = {
		{ 1, 1, 0 }, { 2, 1, 0 }, { 1, 2, 1 },
	};
	uint64_t rng = 42;
	unsigned cases = 0;

	(void)state;
	for (unsigned s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (unsigned e = 0; e < 3; e++)
			for (unsigned draw = 0; draw < 4; draw++) {
				struct test_layer t[7];
				struct ddpqn_params p;
				struct ddpqn_env *env;
				struct ddpqn_totals tot;
				uint8_t place[8];
				double v, b;

				memset(t, 0, sizeof(t));
				for (unsigned k = 0; k < shapes[s].n; k++) {
					/* Times 1 ms .. 2 s, sizes 0.01 .. 10 MB. */
					t[k].exec_s = 1e-3 * (1 + ddpqn_rand(&rng) % 2000);
					t[k].out_mb = 1e-2 * (1 + ddpqn_rand(&rng) % 1000);
					memcpy(t[k].succ, shapes[s].succ[k], sizeof(shapes[s].succ[k]));
				}
				assert_int_equal(test_graph(&g, t, shapes[s].n), 0);
				ddpqn_params_default(&p, DDPQN_MODEL_GENERIC);
				p.nedge = envs[e].nedge;
				p.ncloud = envs[e].ncloud;
				p.return_output = envs[e].ret;
				p.pool[0] = p.pool[1] = p.pool[2] = 0;
				p.input_mb = 1e-2 * (1 + ddpqn_rand(&rng) % 500);
				assert_int_equal(ddpqn_env_create(&g, &p, &env), 0);
				assert_int_equal(ddpqn_dp_solve(env, place, &v), 0);
				b = brute(env, shapes[s].n, ddpqn_env_nservers(env));
				if (fabs(v - b) > 1e-9 * fmax(1, fabs(b)))
					fail_msg("shape %u env %u draw %u: dp %.12g brute %.12g",
						 s, e, draw, v, b);
				assert_int_equal(ddpqn_env_run(env, place, &tot), 0);
				assert_true(fabs(tot.additive - v) <= 1e-9 * fmax(1, fabs(v)));
				ddpqn_env_destroy(env);
				cases++;
			}
	assert_int_equal(cases, 8 * 3 * 4);
}

/* A segment that is not parallel chains is refused, not approximated. */
static void test_dp_refuses(void **state)
{
	static const struct test_layer t[] = {
		{ 1, 1, { 2, 3 } }, { 1, 1, { 3, 4 } }, { 1, 1, { 4 } }, { 1, 1, { 0 } },
	};
	struct ddpqn_params p;
	struct ddpqn_env *env;
	uint8_t place[4];
	double v;

	(void)state;
	assert_int_equal(test_graph(&g, t, 4), 0);
	ddpqn_params_default(&p, DDPQN_MODEL_GENERIC);
	assert_int_equal(ddpqn_env_create(&g, &p, &env), 0);
	assert_int_equal(ddpqn_dp_solve(env, place, &v), -ENOTSUP);
	ddpqn_env_destroy(env);
}

static void test_dp_ref_models(void **state)
{
	static const struct { const char *file; enum ddpqn_model m; unsigned tasks; } rows[] = {
		{ "alexnet", DDPQN_MODEL_ALEXNET, 3 },
		{ "vgg19", DDPQN_MODEL_VGG19, 2 },
		{ "googlenet", DDPQN_MODEL_GOOGLENET, 1 },
		{ "resnet101", DDPQN_MODEL_RESNET101, 1 },
	};

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		struct ddpqn_graph_opts o = { .model = rows[i].m };
		struct ddpqn_load_err err;
		struct ddpqn_ref_stats st;
		struct ddpqn_params p;
		struct ddpqn_env *env;
		struct ddpqn_agent ag;
		struct ddpqn_totals t;
		char path[512];
		uint8_t *place;

		snprintf(path, sizeof(path), "%s/%s.csv", DDPQN_MODELS_DIR, rows[i].file);
		assert_int_equal(ddpqn_graph_load(path, &o, &g, &err), 0);
		ddpqn_params_default(&p, rows[i].m);
		p.tasks = rows[i].tasks;
		assert_int_equal(ddpqn_env_create(&g, &p, &env), 0);
		place = malloc(g.n * p.tasks);
		assert_int_equal(ddpqn_dp_ref(env, 300, NULL, 0, place, &st), 0);
		assert_true(st.evals <= 300);
		assert_true(st.ref.objective <= st.dp_full.objective);
		/* The DP's additive optimum is a lower bound of any one task's
		 * additive part, queueing included. */
		assert_true(st.dp_additive * p.tasks <= st.ref.additive + 1e-9);
		assert_int_equal(ddpqn_env_run(env, place, &t), 0);
		assert_true(t.objective == st.ref.objective);
		/* And not above the all-local baseline. */
		assert_int_equal(ddpqn_baseline("local", 0, &ag), 0);
		assert_int_equal(ddpqn_rollout(env, &ag, NULL, &t), 0);
		if (!(st.ref.objective <= t.objective))
			fail_msg("%s: dp_ref %.9g, local %.9g", rows[i].file,
				 st.ref.objective, t.objective);
		free(place);
		ddpqn_env_destroy(env);
	}
}

/*
 * Two of the seed's traps, shown on AlexNet: eq. 12's raw Z makes all-local
 * the reference, and H as printed (growing with delay) makes it slower.
 */
static double ref_of(const struct ddpqn_params *p, struct ddpqn_totals *ref,
		     struct ddpqn_totals *local)
{
	static const char *const names[] = { "greedy", "local", "edge", "cloud" };
	uint8_t buf[4][11], place[11], *starts[4];
	struct ddpqn_ref_stats st;
	struct ddpqn_env *env;
	struct ddpqn_agent ag;

	assert_int_equal(ddpqn_env_create(&g, p, &env), 0);
	for (unsigned k = 0; k < 4; k++) {
		starts[k] = buf[k];
		assert_int_equal(ddpqn_baseline(names[k], 0, &ag), 0);
		assert_int_equal(ddpqn_rollout(env, &ag, buf[k], k == 1 ? local : NULL), 0);
	}
	assert_int_equal(ddpqn_dp_ref(env, 5000, (const uint8_t *const *)starts, 4,
				      place, &st), 0);
	*ref = st.ref;
	ddpqn_env_destroy(env);
	return st.ref.objective;
}

static void test_traps(void **state)
{
	struct ddpqn_graph_opts o = { .model = DDPQN_MODEL_ALEXNET };
	struct ddpqn_load_err err;
	struct ddpqn_totals ref, local, ref_lit, dummy;
	struct ddpqn_params p;

	(void)state;
	assert_int_equal(ddpqn_graph_load(DDPQN_MODELS_DIR "/alexnet.csv", &o, &g, &err), 0);
	ddpqn_params_default(&p, DDPQN_MODEL_ALEXNET);
	p.std = DDPQN_STD_WORST;
	p.zscale = DDPQN_Z_RAW;
	ref_of(&p, &ref, &local);
	assert_true(ref.objective == local.objective);
	assert_true(ref.z_raw_final == 0 && ref.cost_usd == 0);
	/* Scaled, offloading wins again. */
	p.zscale = DDPQN_Z_EXCESS;
	ref_of(&p, &ref, &local);
	assert_true(ref.objective < local.objective);
	assert_true(ref.delay_s < local.delay_s / 2);

	p.hznorm = DDPQN_HZ_SUM;
	ref_of(&p, &ref, &dummy);
	p.hform = DDPQN_H_LITERAL;
	ref_of(&p, &ref_lit, &dummy);
	assert_true(ref_lit.delay_s > 1.5 * ref.delay_s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dp_equals_brute_force),
		cmocka_unit_test(test_dp_refuses),
		cmocka_unit_test(test_dp_ref_models),
		cmocka_unit_test(test_traps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
