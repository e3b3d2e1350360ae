/* SPDX-License-Identifier: MIT */
/*
 * The MEC model: Q reproduces the data set's q_min from its decisions, the
 * per-WD subset search equals enumeration and the joint search, and the
 * optimal bandwidth split beats a brute-force grid of splits (which uses
 * its own copy of the formula).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ddlo_mec.h"

/* mumt_3x3.csv rows 0 and 1 (models/ddlo/data). */
static const struct {
	float size[9];
	double q_min;
	uint8_t x[9];
} rows[] = {
	{ {22, 25, 10, 13, 13, 17, 19, 29, 28}, 688.4679127040,
	  {1, 1, 0, 0, 1, 1, 0, 1, 1} },
	{ {15, 21, 22, 18, 19, 21, 15, 25, 10}, 636.2927534080,
	  {0, 1, 1, 0, 1, 1, 0, 1, 1} },
};

static void test_reference_rows(void **state)
{
	struct ddlo_mec mec;
	uint8_t x[9];

	(void)state;
	assert_int_equal(ddlo_mec_init(&mec, 3, 3), 0);
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		double q = ddlo_mec_utility(&mec, rows[r].size, rows[r].x,
					    DDLO_BW_EQUAL, NULL);

		assert_true(fabs(q - rows[r].q_min) < 1e-9 * rows[r].q_min);
		assert_true(fabs(ddlo_mec_best_equal(&mec, rows[r].size, x) -
				 rows[r].q_min) < 1e-9 * rows[r].q_min);
		assert_true(fabs(ddlo_mec_best_joint(&mec, rows[r].size,
						     DDLO_BW_EQUAL, x) -
				 rows[r].q_min) < 1e-9 * rows[r].q_min);
	}
	/* the simple baselines are what they say */
	ddlo_mec_fill(&mec, x, 1);
	for (int k = 0; k < 9; k++)
		assert_int_equal(x[k], 1);
	assert_int_equal(ddlo_mec_init(&mec, 0, 3), -EINVAL);
	assert_int_equal(ddlo_mec_init(&mec, 3, DDLO_MAX_TASKS + 1), -EINVAL);
}

static void test_subset_search(void **state)
{
	struct nn_rng rng;
	struct ddlo_mec mec;
	float s[4 * 10];
	uint8_t xa[40], xb[40];

	(void)state;
	nn_rng_seed(&rng, 17);
	for (uint32_t m = 1; m <= 10; m++) {
		assert_int_equal(ddlo_mec_init(&mec, 4, m), 0);
		for (int trial = 0; trial < 20; trial++) {
			for (uint32_t c = 0; c < 4 * m; c++)
				s[c] = (float)(1 + nn_rng_below(&rng, 40));
			double qa = ddlo_mec_best_equal(&mec, s, xa);
			double qb = ddlo_mec_best_equal_enum(&mec, s, xb);

			assert_true(fabs(qa - qb) < 1e-9 * qb);
			/* the decision written is the one priced */
			assert_true(fabs(ddlo_mec_utility(&mec, s, xa, DDLO_BW_EQUAL,
							  NULL) - qa) < 1e-9 * qa);
		}
	}
}

/* Q for explicit rates, written out again from the data README. */
static double q_with_rates(const float *s, const uint8_t *x, const double *c)
{
	const double b = 8.0 * 1048576.0;
	double q = 0;

	for (int i = 0; i < 3; i++) {
		double e = 0, tl = 0, to = 0;

		for (int j = 0; j < 3; j++) {
			double d = s[3 * i + j] * b;

			if (x[3 * i + j]) {
				e += (1.5e-7 + 1.42e-7) * d;
				to += s[3 * i + j] / c[i] + d * 1900 / 10e9;
			} else {
				e += 3.25e-7 * d;
				tl += 4.75e-7 * d;
			}
		}
		q += e + (tl > to ? tl : to);
	}
	return q;
}

static void test_optimal_bandwidth(void **state)
{
	struct nn_rng rng;
	struct ddlo_mec mec;
	float s[9];
	uint8_t x[9];
	double rate[3];
	const int steps = 300;

	(void)state;
	nn_rng_seed(&rng, 23);
	assert_int_equal(ddlo_mec_init(&mec, 3, 3), 0);
	const double cap = mec.capacity_mbs;

	for (int trial = 0; trial < 40; trial++) {
		for (int c = 0; c < 9; c++) {
			s[c] = (float)(10 + nn_rng_below(&rng, 21));
			x[c] = (uint8_t)nn_rng_below(&rng, 2);
		}
		if (trial == 0)	/* one WD with nothing to send */
			x[0] = x[1] = x[2] = 0;
		double qo = ddlo_mec_utility(&mec, s, x, DDLO_BW_OPTIMAL, rate);
		double qe = ddlo_mec_utility(&mec, s, x, DDLO_BW_EQUAL, NULL);

		assert_true(qo <= qe + 1e-9);
		assert_true(fabs(rate[0] + rate[1] + rate[2] - cap) < 1e-9 * cap ||
			    (!memchr(x, 1, 9)));
		if (memchr(x, 1, 9))
			assert_true(fabs(q_with_rates(s, x, rate) - qo) < 1e-9 * qo);
		/* brute force over the simplex c1 + c2 + c3 = C */
		double grid = INFINITY;

		for (int a = 1; a < steps; a++)
			for (int b = 1; a + b < steps; b++) {
				double c[3] = { cap * a / steps, cap * b / steps,
						cap * (steps - a - b) / steps };
				double q = q_with_rates(s, x, c);

				grid = q < grid ? q : grid;
			}
		/* never beaten by the grid, and the grid comes close */
		assert_true(qo <= grid + 1e-9 * grid);
		assert_true(grid - qo < 2e-3 * qo);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_rows),
		cmocka_unit_test(test_subset_search),
		cmocka_unit_test(test_optimal_bandwidth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
