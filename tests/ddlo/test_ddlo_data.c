/* SPDX-License-Identifier: MIT */
/*
 * Frames: the project's copy of mumt_3x3.csv loads whole, its q_min is the
 * per-WD exact optimum on every row; broken CSVs are refused naming file,
 * line and column; synthetic frames carry their exact optimum.
 * argv[1]: models/ddlo/data/mumt_3x3.csv.
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
#include <unistd.h>
#include <cmocka.h>

#include "ddlo_data.h"

static const char *csv_path;

static void test_reference_csv(void **state)
{
	struct ddlo_data *d;
	struct ddlo_mec mec;
	char err[256];
	uint8_t x[9];
	uint32_t agree = 0;

	(void)state;
	assert_int_equal(ddlo_data_load(csv_path, &d, err, sizeof(err)), 0);
	assert_int_equal(d->rows, 20000);
	assert_int_equal(d->n_wd, 3);
	assert_int_equal(d->n_task, 3);
	assert_float_equal(d->size_mb[0], 22, 0);
	assert_float_equal(d->q_min[19999] > 0, 1, 0);
	assert_int_equal(ddlo_mec_init(&mec, 3, 3), 0);
	for (uint32_t r = 0; r < d->rows; r++) {
		const float *s = d->size_mb + (size_t)r * 9;
		double q = ddlo_mec_best_equal(&mec, s, x);
		double qx = ddlo_mec_utility(&mec, s, d->x_min + (size_t)r * 9,
					     DDLO_BW_EQUAL, NULL);

		if (fabs(q - d->q_min[r]) > 1e-9 * q || fabs(qx - q) > 1e-9 * q)
			fail_msg("row %u: q_min %.9f, search %.9f, stored x %.9f",
				 r, d->q_min[r], q, qx);
		agree += !memcmp(x, d->x_min + (size_t)r * 9, 9);
	}
	/* the README: the stored decision is the search's except at ties */
	assert_true(agree > 19900);
	ddlo_data_free(d);
}

static const struct {
	const char *name, *text, *expect;
} bad[] = {
	{ "header", "row,a,b,c\n0,1,2,3\n", "bad.csv:1: header" },
	{ "field count",
	  "row,size_u1_t1,q_min,x_u1_t1\n0,10,5.0,1\n1,10,5.0\n",
	  "bad.csv:3: 3 fields, expected 4" },
	{ "size", "row,size_u1_t1,q_min,x_u1_t1\n0,abc,5.0,1\n",
	  "bad.csv:2: column size_u1_t1: 'abc'" },
	{ "decision", "row,size_u1_t1,q_min,x_u1_t1\n0,10,5.0,2\n",
	  "bad.csv:2: column x_u1_t1: '2', expected 0 or 1" },
	{ "row index", "row,size_u1_t1,q_min,x_u1_t1\n5,10,5.0,1\n",
	  "bad.csv:2: column row: '5', expected 0" },
	{ "q_min", "row,size_u1_t1,q_min,x_u1_t1\n0,10,-1,1\n",
	  "bad.csv:2: column q_min: '-1'" },
};

static void test_bad_csv(void **state)
{
	char dir[] = "/tmp/ddlo_data_test.XXXXXX", path[64], err[256];
	struct ddlo_data *d = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bad.csv", dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(bad[i].text, f);
		fclose(f);
		err[0] = 0;
		assert_int_equal(ddlo_data_load(path, &d, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].expect))
			fail_msg("%s: message '%s' lacks '%s'", bad[i].name, err,
				 bad[i].expect);
	}
	unlink(path);
	assert_int_equal(ddlo_data_load(path, &d, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "bad.csv"));
	rmdir(dir);
}

static void test_synthetic(void **state)
{
	struct ddlo_data *a, *b;
	struct ddlo_mec mec;
	uint8_t x[10 * 3];

	(void)state;
	assert_int_equal(ddlo_mec_init(&mec, 10, 3), 0);
	assert_int_equal(ddlo_data_synth(&mec, 200, 9, &a), 0);
	assert_int_equal(ddlo_data_synth(&mec, 200, 9, &b), 0);
	assert_memory_equal(a->size_mb, b->size_mb, 200 * 30 * sizeof(float));
	for (uint32_t r = 0; r < a->rows; r++) {
		const float *s = a->size_mb + (size_t)r * 30;

		for (int c = 0; c < 30; c++)
			assert_true(s[c] >= 10 && s[c] <= 30);
		double q = ddlo_mec_best_equal_enum(&mec, s, x);

		assert_true(fabs(q - a->q_min[r]) < 1e-9 * q);
	}
	ddlo_data_free(a);
	ddlo_data_free(b);
}

/* --idle: empty slots at about the rate asked, one task left a row, optimum re-solved */
static void test_idle(void **state)
{
	struct ddlo_data *d;
	struct ddlo_mec mec;
	uint8_t x[9];
	uint32_t empty = 0;

	(void)state;
	assert_int_equal(ddlo_mec_init(&mec, 3, 3), 0);
	assert_int_equal(ddlo_data_synth(&mec, 2000, 4, &d), 0);
	assert_int_equal(ddlo_data_idle(d, &mec, 1.0, 1), -EINVAL);
	assert_int_equal(ddlo_data_idle(d, &mec, -0.1, 1), -EINVAL);
	assert_int_equal(ddlo_data_idle(d, &mec, 0.4, 1), 0);
	for (uint32_t r = 0; r < d->rows; r++) {
		const float *s = d->size_mb + (size_t)r * 9;
		uint32_t row_empty = 0;

		for (int c = 0; c < 9; c++)
			row_empty += s[c] == 0;
		assert_true(row_empty < 9);
		empty += row_empty;
		double q = ddlo_mec_best_equal_enum(&mec, s, x);

		assert_true(fabs(q - d->q_min[r]) < 1e-9 * q);
	}
	/* 8 of 9 slots may empty, each with p = 0.4: 3.2 of 9 */
	assert_true(empty > d->rows * 3.0 && empty < d->rows * 3.4);
	ddlo_data_free(d);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_csv),
		cmocka_unit_test(test_bad_csv),
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_idle),
	};

	if (argc < 2)
		return 77;
	csv_path = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
