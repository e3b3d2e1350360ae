/* SPDX-License-Identifier: MIT */
/*
 * The solvers: the exact DP equals brute force on small trees (random ones
 * and a small BranchyNet read through the loader), eq. (4.8) equals the
 * probability-weighted sum of eq. (4.6), the GA is reproducible for a seed
 * and its variant reaches the optimum, Edgent follows its rule, and no
 * baseline beats the optimum.
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

#include "nn_rng.h"
#include "pdo_cost.h"
#include "pdo_model.h"
#include "pdo_solve.h"

static void assert_close(double a, double b)
{
	if (fabs(a - b) > 1e-9 * fmax(1, fabs(b)))
		fail_msg("%.12g != %.12g", a, b);
}

/*
 * A random tree: a trunk chain (the main exit) with side branches that
 * leave it at random layers, random costs, sizes and exit probabilities.
 */
static void random_cost(struct nn_rng *rng, struct pdo_cost *c)
{
	uint32_t trunk, nside, n = 0;
	double psum = 0;

	memset(c, 0, sizeof(*c));
	c->nsites = 2 + (uint32_t)(nn_rng_uniform(rng) * 2);
	nside = (uint32_t)(nn_rng_uniform(rng) * 3);
	trunk = 2 + (uint32_t)(nn_rng_uniform(rng) * (c->nsites == 3 ? 4 : 6));
	c->nexits = nside + 1;
	for (uint32_t i = 0; i < trunk; i++, n++) {
		c->parent[n] = (int16_t)(i ? (int)n - 1 : -1);
		c->branch[n] = (uint8_t)c->nexits;
	}
	c->exit_of[n - 1] = (uint8_t)c->nexits;
	for (uint32_t k = 1; k <= nside; k++) {
		uint32_t at = (uint32_t)(nn_rng_uniform(rng) * trunk), len = 1 + (k & 1);

		for (uint32_t i = 0; i < len; i++, n++) {
			c->parent[n] = (int16_t)(i ? (int)n - 1 : (int)at);
			c->branch[n] = (uint8_t)k;
		}
		c->exit_of[n - 1] = (uint8_t)k;
	}
	c->n = n;
	for (uint32_t k = 1; k <= c->nexits; k++) {
		c->p[k] = nn_rng_uniform(rng);
		psum += c->p[k];
		c->tail_ms[k] = 5 * nn_rng_uniform(rng);
	}
	for (uint32_t k = 1; k <= c->nexits; k++)
		c->p[k] /= psum;
	for (uint32_t v = 0; v < n; v++) {
		for (uint32_t s = 0; s < PDO_NSITES; s++)
			c->exec_ms[v][s] = 50 * nn_rng_uniform(rng) / (1 + 3 * s);
		c->in_bytes[v] = v && c->parent[v] >= 0 ? c->out_bytes[c->parent[v]] :
			1e4 * nn_rng_uniform(rng);
		c->out_bytes[v] = 2e4 * nn_rng_uniform(rng);
	}
	/* fix in_bytes now that every out_bytes is drawn */
	for (uint32_t v = 0; v < n; v++)
		if (c->parent[v] >= 0)
			c->in_bytes[v] = c->out_bytes[c->parent[v]];
	for (uint32_t k = 1; k <= c->nexits; k++)
		for (int v = 0; v < (int)n; v++)
			if (c->exit_of[v] == k)
				for (int u = v; u >= 0; u = c->parent[u])
					c->w[u] += c->p[k];
	/* half the instances with per-task loading intercepts */
	if (nn_rng_uniform(rng) < 0.5)
		for (uint32_t s = 0; s < PDO_NSITES; s++)
			c->icpt_ms[s] = 30 * nn_rng_uniform(rng);
	c->wireless_ms_per_byte = 8e-3 / (0.5 + 50 * nn_rng_uniform(rng));
	c->wired_ms_per_byte = 8e-3 / (1 + 200 * nn_rng_uniform(rng));
}

static void test_dp_equals_brute_random(void **state)
{
	struct nn_rng rng;

	(void)state;
	nn_rng_seed(&rng, 42);
	for (int i = 0; i < 400; i++) {
		struct pdo_cost c;
		uint8_t dp[PDO_MAX_LAYERS], bf[PDO_MAX_LAYERS];
		double dms, bms;

		random_cost(&rng, &c);
		assert_int_equal(pdo_dp_solve(&c, dp, &dms), 0);
		assert_int_equal(pdo_cost_brute(&c, bf, &bms), 0);
		if (fabs(dms - bms) > 1e-9 * bms)
			fail_msg("instance %d (n %u, sites %u): dp %.12g, brute %.12g", i, c.n,
				 c.nsites, dms, bms);
		/* the placement the DP returns has the latency it claims */
		assert_close(pdo_cost_expected_ms(&c, dp), dms);
		for (uint32_t v = 0; v < c.n; v++)
			assert_true(dp[v] < c.nsites);
	}
}

/* A small BranchyNet through the loader: 9 layers, 3 exits. */
static const char small_graph[] =
	"prednnoff-graph 1\nmodel small\nelem_bytes 4\ninput 3x16x16\nexits 3\n"
	"layer c1 conv input 3 3x16x16 8x16x16 k=3 s=1 p=1 n=8\n"
	"layer r1 relu c1 3 8x16x16 8x16x16\n"
	"layer p1 pool r1 3 8x16x16 8x8x8 k=2 s=2\n"
	"layer c2 conv p1 3 8x8x8 16x8x8 k=3 s=1 p=1 n=16\n"
	"layer f1 fc c2 3 1024 10\n"
	"layer b1 fc r1 1 2048 10\n"
	"layer b2p pool p1 2 8x8x8 8x4x4 k=2 s=2\n"
	"layer b2d dropout b2p 2 8x4x4 8x4x4\n"
	"layer b2f fc b2d 2 128 10\n";

static void small_bundle(struct pdo_bundle *b)
{
	char err[PDO_ERR_MAX];

	assert_int_equal(pdo_bundle_load(b, PDO_MODELS_DIR, NULL, NULL, NULL, err,
					 sizeof(err)), 0);
	if (pdo_graph_parse("small", small_graph, &b->g, err, sizeof(err)))
		fail_msg("%s", err);
	b->p.nacc = 3;
	b->p.acc[1] = 0.55;
	b->p.acc[2] = 0.62;
	b->p.acc[3] = 0.70;
}

static void test_dp_equals_brute_small_branchynet(void **state)
{
	static const double snr_db[] = { -35, -25, -15, 0, 10.79, 30 };
	struct pdo_bundle *b = malloc(sizeof(*b));

	(void)state;
	small_bundle(b);
	for (unsigned int tiers = 2; tiers <= 3; tiers++) {
		for (unsigned int load = 0; load < 2; load++) {
			for (size_t i = 0; i < sizeof(snr_db) / sizeof(snr_db[0]); i++) {
				uint8_t dp[PDO_MAX_LAYERS], bf[PDO_MAX_LAYERS];
				struct pdo_cost c;
				double dms, bms;

				b->p.tiers = tiers;
				b->p.loading = load;
				b->p.snr_db = snr_db[i];
				assert_int_equal(pdo_cost_build(&b->g, &b->r, &b->p, 1, &c), 0);
				assert_int_equal(pdo_dp_solve(&c, dp, &dms), 0);
				assert_int_equal(pdo_cost_brute(&c, bf, &bms), 0);
				assert_close(dms, bms);
			}
		}
	}
	free(b);
}

/* Eq. (4.8) = sum_k p_k Latency_k (eq. 4.6), for random placements. */
static void test_expectation_is_weighted_exit_sum(void **state)
{
	struct pdo_bundle *b = malloc(sizeof(*b));
	char err[PDO_ERR_MAX];
	struct nn_rng rng;

	(void)state;
	nn_rng_seed(&rng, 7);
	assert_int_equal(pdo_bundle_load(b, PDO_MODELS_DIR, NULL, NULL, NULL, err,
					 sizeof(err)), 0);
	for (unsigned int load = 0; load < 2; load++) {
		struct pdo_cost c;
		double psum = 0;

		b->p.loading = load;
		assert_int_equal(pdo_cost_build(&b->g, &b->r, &b->p, 1, &c), 0);
		for (uint32_t k = 1; k <= c.nexits; k++)
			psum += c.p[k];
		assert_close(psum, 1);
		/* band masses of N(0.625, 0.053): Phi((0.524 - 0.625) / 0.053) */
		assert_close(c.p[1], 0.5 * erfc((0.625 - 0.524) / 0.053 / sqrt(2)));
		for (int i = 0; i < 50; i++) {
			uint8_t loc[PDO_MAX_LAYERS];
			double sum = 0;

			for (uint32_t v = 0; v < c.n; v++)
				loc[v] = (uint8_t)(nn_rng_uniform(&rng) * c.nsites);
			for (uint32_t k = 1; k <= c.nexits; k++)
				sum += c.p[k] * pdo_cost_exit_ms(&c, loc, k);
			assert_close(pdo_cost_expected_ms(&c, loc), sum);
		}
	}
	free(b);
}

static void test_ga_reproducible_and_variant_exact(void **state)
{
	struct pdo_bundle *b = malloc(sizeof(*b));
	uint8_t l1[PDO_MAX_LAYERS], l2[PDO_MAX_LAYERS], ex[PDO_MAX_LAYERS];
	struct pdo_ga_stats st;
	char err[PDO_ERR_MAX];
	double m1, m2, exact;
	uint32_t g1, g2;
	struct pdo_cost c;

	(void)state;
	assert_int_equal(pdo_bundle_load(b, PDO_MODELS_DIR, NULL, NULL, NULL, err,
					 sizeof(err)), 0);
	for (unsigned int tiers = 2; tiers <= 3; tiers++) {
		b->p.tiers = tiers;
		assert_int_equal(pdo_cost_build(&b->g, &b->r, &b->p, 1, &c), 0);
		assert_int_equal(pdo_dp_solve(&c, ex, &exact), 0);
		/* same seed, same run */
		assert_int_equal(pdo_ga_run(&c, &b->p.ga_paper, 99, l1, &m1, &g1), 0);
		assert_int_equal(pdo_ga_run(&c, &b->p.ga_paper, 99, l2, &m2, &g2), 0);
		assert_true(m1 == m2 && g1 == g2);
		assert_memory_equal(l1, l2, c.n);
		assert_close(pdo_cost_expected_ms(&c, l1), m1);
		assert_true(m1 >= exact * (1 - 1e-12));
		/* the variant reaches the optimum in every one of its runs */
		assert_int_equal(pdo_ga_repeat(&c, &b->p.ga_variant, b->p.seed, exact, &st), 0);
		assert_int_equal(st.hits, st.runs);
		assert_close(st.worst_ms, exact);
	}
	free(b);
}

/*
 * On a small net (9 layers) the paper's GA, unchanged, finds the optimum in
 * every run with device + edge (the paper's setting); with the cloud too,
 * the best of its repeated runs does.
 */
static void test_paper_ga_small_net(void **state)
{
	struct pdo_bundle *b = malloc(sizeof(*b));
	uint8_t loc[PDO_MAX_LAYERS];
	struct pdo_ga_stats st;
	struct pdo_cost c;
	double exact;

	(void)state;
	small_bundle(b);
	for (unsigned int tiers = 2; tiers <= 3; tiers++) {
		b->p.tiers = tiers;
		assert_int_equal(pdo_cost_build(&b->g, &b->r, &b->p, 1, &c), 0);
		assert_int_equal(pdo_dp_solve(&c, loc, &exact), 0);
		assert_int_equal(pdo_ga_repeat(&c, &b->p.ga_paper, 1, exact, &st), 0);
		if (tiers == 2 && st.hits != st.runs)
			fail_msg("%u/%u runs optimal, worst %.6g vs %.6g", st.hits, st.runs,
				 st.worst_ms, exact);
		assert_close(st.best_ms, exact);
	}
	free(b);
}

static void test_edgent_rule_and_baselines(void **state)
{
	struct pdo_bundle *b = malloc(sizeof(*b));
	struct pdo_edgent e, loose, tight;
	uint8_t loc[PDO_MAX_LAYERS];
	char err[PDO_ERR_MAX];
	struct pdo_cost c;
	double exact;

	(void)state;
	assert_int_equal(pdo_bundle_load(b, PDO_MODELS_DIR, NULL, NULL, NULL, err,
					 sizeof(err)), 0);
	assert_int_equal(pdo_cost_build(&b->g, &b->r, &b->p, 1, &c), 0);
	assert_int_equal(pdo_dp_solve(&c, loc, &exact), 0);
	assert_true(exact <= pdo_all_on_ms(&c, PDO_DEVICE));
	assert_true(exact <= pdo_all_on_ms(&c, PDO_EDGE));
	assert_true(exact <= pdo_all_on_ms(&c, PDO_CLOUD));
	assert_true(exact <= pdo_random_ms(&c, 100, 1));

	assert_int_equal(pdo_edgent_solve(&c, c.p, b->p.edgent_bound_ms, &e), 0);
	/* each exit's best cut is no worse than all-device or all-edge */
	for (uint32_t k = 1; k <= c.nexits; k++) {
		int16_t path[PDO_MAX_LAYERS];
		uint32_t len = pdo_exit_path(&c, k, path);
		uint8_t dev[PDO_MAX_LAYERS] = { 0 }, edge[PDO_MAX_LAYERS];

		memset(edge, PDO_EDGE, sizeof(edge));
		assert_true(e.cut[k] <= len);
		assert_true(e.exit_ms[k] <= pdo_cost_exit_ms(&c, dev, k) + 1e-9);
		assert_true(e.exit_ms[k] <= pdo_cost_exit_ms(&c, edge, k) + 1e-9);
	}
	/* an unbounded deadline: always the most accurate exit */
	assert_int_equal(pdo_edgent_solve(&c, c.p, 1e9, &loose), 0);
	for (uint32_t j = 1; j <= c.nexits; j++)
		assert_int_equal(loose.choice[j], c.nexits);
	assert_close(loose.ms, loose.exit_ms[c.nexits]);
	/* an impossible deadline: the fastest exit meeting the accuracy */
	assert_int_equal(pdo_edgent_solve(&c, c.p, 0, &tight), 0);
	assert_close(tight.ms, tight.min_ms);
	assert_true(tight.min_ms <= loose.ms);
	free(b);
}

static void test_decision_of_placement(void **state)
{
	struct pdo_bundle *b = malloc(sizeof(*b));
	uint8_t loc[PDO_MAX_LAYERS];
	struct pdo_decision d;
	struct pdo_cost c;

	(void)state;
	small_bundle(b);
	assert_int_equal(pdo_cost_build(&b->g, &b->r, &b->p, 1, &c), 0);
	/* c1 r1 on the device, the rest on the cloud */
	memset(loc, PDO_CLOUD, sizeof(loc));
	loc[0] = loc[1] = PDO_DEVICE;
	pdo_decision_of(&c, loc, 3, &d);
	assert_int_equal(d.split, 2);
	assert_int_equal(d.target, PDO_CLOUD);
	assert_int_equal(d.exit, 0);
	pdo_decision_of(&c, loc, 1, &d);	/* c1 r1 b1 */
	assert_int_equal(d.split, 2);
	assert_int_equal(d.exit, 1);
	memset(loc, PDO_DEVICE, sizeof(loc));
	pdo_decision_of(&c, loc, 2, &d);	/* c1 r1 p1 b2p b2d b2f */
	assert_int_equal(d.split, 6);
	assert_int_equal(d.target, PDO_DEVICE);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dp_equals_brute_random),
		cmocka_unit_test(test_dp_equals_brute_small_branchynet),
		cmocka_unit_test(test_expectation_is_weighted_exit_sum),
		cmocka_unit_test(test_ga_reproducible_and_variant_exact),
		cmocka_unit_test(test_paper_ga_small_net),
		cmocka_unit_test(test_edgent_rule_and_baselines),
		cmocka_unit_test(test_decision_of_placement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
