/* SPDX-License-Identifier: MIT */
/*
 * The learner: a short online run on the reference data reaches a loose
 * quality floor; runs repeat exactly from a seed; the training schedule
 * is the reference's; weights round-trip and a mismatched file is refused.
 * argv[1]: models/ddlo/data/mumt_3x3.csv.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ddlo.h"
#include "ddlo_data.h"

static struct ddlo_data *data;
static struct ddlo_mec mec;

/* Online over the first @frames rows; mean q_min/Q over the last @tail. */
static double run_online(struct ddlo *d, uint32_t frames, uint32_t tail,
			 uint8_t *trace)
{
	double sum = 0;
	uint8_t x[9];

	for (uint32_t r = 0; r < frames; r++) {
		const float *s = data->size_mb + (size_t)r * 9;
		double q;

		assert_true(ddlo_decide(d, &mec, DDLO_BW_EQUAL, s, x, &q) >= 0);
		if (r >= frames - tail)
			sum += data->q_min[r] / q;
		if (trace)
			memcpy(trace + (size_t)r * 9, x, 9);
		int trained = ddlo_learn(d, s, x);

		/* main.py: every 10th entry once 512 are stored */
		assert_int_equal(trained, r + 1 >= 512 && (r + 1) % 10 == 0);
	}
	return sum / tail;
}

static void test_short_training(void **state)
{
	struct ddlo_config c;
	struct ddlo *a, *b;
	enum { FRAMES = 3000 };
	uint8_t *ta = malloc(FRAMES * 9), *tb = malloc(FRAMES * 9);

	(void)state;
	assert_non_null(ta);
	assert_non_null(tb);
	ddlo_config_default(&c, 9, 3);
	c.seed = 4;
	assert_int_equal(ddlo_create(&a, &c), 0);
	assert_int_equal(ddlo_create(&b, &c), 0);
	double ga = run_online(a, FRAMES, 500, ta);
	double gb = run_online(b, FRAMES, 500, tb);

	/* random decisions score 0.80, all-offload 0.90 */
	assert_true(ga > 0.95);
	assert_float_equal(ga, gb, 0);
	assert_memory_equal(ta, tb, FRAMES * 9);
	ddlo_free(a);
	ddlo_free(b);
	free(ta);
	free(tb);
}

static void test_weights(void **state)
{
	struct ddlo_config c;
	struct ddlo *a, *b, *other;
	char dir[] = "/tmp/ddlo_test.XXXXXX", path[64];
	uint8_t ca[3 * 9], cb[3 * 9];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/w.nnw", dir);
	ddlo_config_default(&c, 9, 3);
	assert_int_equal(ddlo_create(&a, &c), 0);
	run_online(a, 800, 1, NULL);
	c.seed = 77;
	assert_int_equal(ddlo_create(&b, &c), 0);
	assert_int_equal(ddlo_save(a, path), 0);
	assert_int_equal(ddlo_load(b, path), 0);
	for (uint32_t r = 0; r < 200; r++) {
		const float *s = data->size_mb + (size_t)(5000 + r) * 9;

		assert_int_equal(ddlo_propose(a, s, ca), 0);
		assert_int_equal(ddlo_propose(b, s, cb), 0);
		assert_memory_equal(ca, cb, sizeof(ca));
	}
	/* K = 2 cannot take a K = 3 file */
	ddlo_config_default(&c, 9, 2);
	assert_int_equal(ddlo_create(&other, &c), 0);
	assert_int_equal(ddlo_load(other, path), -EDOM);
	ddlo_free(other);
	unlink(path);
	rmdir(dir);
	ddlo_free(a);
	ddlo_free(b);
}

static void test_bad_config(void **state)
{
	struct ddlo_config c;
	struct ddlo *d;
	uint8_t x[9];
	struct ddlo_mec other;

	(void)state;
	ddlo_config_default(&c, 9, 0);
	assert_int_equal(ddlo_create(&d, &c), -EINVAL);
	ddlo_config_default(&c, 9, DDLO_MAX_K + 1);
	assert_int_equal(ddlo_create(&d, &c), -EINVAL);
	ddlo_config_default(&c, 9, 1);
	assert_int_equal(ddlo_create(&d, &c), 0);
	/* a model of another shape */
	assert_int_equal(ddlo_mec_init(&other, 2, 3), 0);
	assert_int_equal(ddlo_decide(d, &other, DDLO_BW_EQUAL, data->size_mb, x,
				     NULL), -EINVAL);
	ddlo_free(d);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_training),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_bad_config),
	};
	char err[256];
	int rc;

	if (argc < 2)
		return 77;
	if (ddlo_data_load(argv[1], &data, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	ddlo_mec_init(&mec, 3, 3);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ddlo_data_free(data);
	return rc;
}
