/* SPDX-License-Identifier: MIT */
/*
 * Replay memories: the ring keeps the newest records, uniform sampling is
 * uniform, the sum tree finds the right leaf, prioritised sampling follows
 * the priorities and its importance weights follow (N·P)^-beta / max.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nn_replay.h"

static void test_ring(void **state)
{
	(void)state;
	struct nn_replay *r;
	float rec[3], out[2 * 2];
	uint32_t idx[2];

	assert_int_equal(nn_replay_create(&r, 4, 3, 0), 0);
	for (int i = 0; i < 6; i++) {
		rec[0] = (float)i;
		rec[1] = 10.0f * i;
		rec[2] = 100.0f * i;
		assert_int_equal(nn_replay_push(r, rec), i % 4);
	}
	assert_int_equal(nn_replay_count(r), 4);
	assert_int_equal(nn_replay_pushed(r), 6);
	/* slots 0, 1 were overwritten by records 4, 5 */
	static const float expect[4] = {4, 5, 2, 3};

	for (uint32_t i = 0; i < 4; i++)
		assert_float_equal(nn_replay_get(r, i)[0], expect[i], 0);
	idx[0] = 1;
	idx[1] = 3;
	nn_replay_gather(r, idx, 2, 1, 2, out);
	assert_float_equal(out[0], 50, 0);
	assert_float_equal(out[1], 500, 0);
	assert_float_equal(out[2], 30, 0);
	assert_float_equal(out[3], 300, 0);
	assert_int_equal(nn_replay_update(r, idx, out, 2, 0.1f), -EINVAL);
	nn_replay_free(r);
}

static void test_uniform(void **state)
{
	(void)state;
	enum { CAP = 8, DRAWS = 80000 };
	struct nn_replay *r;
	struct nn_rng rng;
	float rec = 0;
	uint32_t idx[100], hits[CAP] = {0};

	nn_rng_seed(&rng, 5);
	assert_int_equal(nn_replay_create(&r, CAP, 1, 0), 0);
	assert_int_equal(nn_replay_sample(r, &rng, 1, idx, 0, NULL), -EINVAL);
	for (int i = 0; i < 5; i++)
		nn_replay_push(r, &rec);
	for (int d = 0; d < DRAWS / 100; d++) {
		assert_int_equal(nn_replay_sample(r, &rng, 100, idx, 0, NULL), 0);
		for (int k = 0; k < 100; k++)
			hits[idx[k]]++;
	}
	/* only the 5 stored slots, each ~1/5 (sd ≈ 113 draws) */
	for (int i = 0; i < CAP; i++)
		if (i < 5)
			assert_true(fabs(hits[i] - DRAWS / 5.0) < 600);
		else
			assert_int_equal(hits[i], 0);
	nn_replay_free(r);
}

static void test_sumtree(void **state)
{
	(void)state;
	struct nn_sumtree *t;
	static const double mass[5] = {1, 0, 3, 2, 4};
	static const struct { double at; uint32_t leaf; } rows[] = {
		{0.0, 0}, {0.99, 0}, {1.0, 2}, {3.99, 2}, {4.0, 3},
		{5.5, 3}, {6.0, 4}, {9.99, 4},
	};

	assert_int_equal(nn_sumtree_create(&t, 5), 0);
	for (uint32_t i = 0; i < 5; i++)
		nn_sumtree_set(t, i, mass[i]);
	assert_float_equal(nn_sumtree_total(t), 10, 1e-12);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(nn_sumtree_find(t, rows[i].at), rows[i].leaf);
	nn_sumtree_set(t, 4, 0.5);
	assert_float_equal(nn_sumtree_total(t), 6.5, 1e-12);
	assert_float_equal(nn_sumtree_get(t, 4), 0.5, 0);
	/* past the end clamps to the last non-empty leaf */
	assert_int_equal(nn_sumtree_find(t, 6.5), 4);
	nn_sumtree_free(t);
}

static void test_prioritised(void **state)
{
	(void)state;
	enum { DRAWS = 60000, BATCH = 60 };
	struct nn_replay *r;
	struct nn_rng rng;
	float rec = 0, w[BATCH];
	uint32_t idx[BATCH], hits[4] = {0};
	const float err[4] = {1, 2, 3, 4};
	const uint32_t all[4] = {0, 1, 2, 3};

	nn_rng_seed(&rng, 11);
	assert_int_equal(nn_replay_create(&r, 4, 1, 1.0f), 0);
	for (int i = 0; i < 4; i++)
		nn_replay_push(r, &rec);
	/* priorities |err| + 0 with alpha 1: P = 0.1, 0.2, 0.3, 0.4 */
	assert_int_equal(nn_replay_update(r, all, err, 4, 0.0f), 0);
	for (int d = 0; d < DRAWS / BATCH; d++) {
		assert_int_equal(nn_replay_sample(r, &rng, BATCH, idx, 1.0f, w), 0);
		for (int k = 0; k < BATCH; k++) {
			hits[idx[k]]++;
			/* w = (4·P)^-1 / max = P_min / P */
			assert_float_equal(w[k], 0.1 / (0.1 * (idx[k] + 1)), 1e-5);
		}
	}
	for (int i = 0; i < 4; i++)
		assert_true(fabs(hits[i] - DRAWS * 0.1 * (i + 1)) < 600);
	/* a new record enters at the highest priority seen (4) */
	nn_replay_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_sumtree),
		cmocka_unit_test(test_prioritised),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
