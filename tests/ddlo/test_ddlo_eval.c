/* SPDX-License-Identifier: MIT */
/*
 * The eval command end to end on a small synthetic run: its JSON carries
 * the figures with sane values, the decisions file re-scores to the
 * reported gain ratio, and bad command lines are refused with exit 2.
 * --quantized reports the int8 figures under the usual names and the
 * float ones with _float, the latter equal to a plain run's, and saves a
 * weights file that records the quantisation.
 */
#include <cjson/cJSON.h>
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

#include "ddlo.h"
#include "ddlo_data.h"
#include "ddlo_policy.h"

static double num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v))
		fail_msg("JSON field %s missing or not a number", name);
	return v->valuedouble;
}

static void test_eval_json_and_decisions(void **state)
{
	char dir[] = "/tmp/ddlo_eval_test.XXXXXX", dec[64], line[256];
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(dec, sizeof(dec), "%s/dec.csv", dir);
	char *argv[] = { "ddlo", "--synthetic", "4", "--rows", "1500", "--k", "3",
			 "--seed", "5", "--json", "--decisions", dec, NULL };

	out = open_memstream(&buf, &len);
	assert_non_null(out);
	assert_int_equal(ddlo_eval(12, argv, out), 0);
	fclose(out);

	cJSON *j = cJSON_ParseWithLengthOpts(buf, len, NULL, 0);

	assert_non_null(j);
	double g = num(j, "gain_ratio");

	assert_true(g > 0.5 && g <= 1.0);
	assert_int_equal((int)num(j, "measured_rows"), 300);
	assert_true(num(j, "us_per_decision") > 0);
	assert_true(num(j, "train_s") >= 0);
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(j, "baselines");

	assert_float_equal(num(b, "exact_per_wd"), 1.0, 1e-9);
	assert_true(num(b, "all_local") < num(b, "all_offload"));
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "history");

	assert_int_equal(cJSON_GetArraySize(h), 15);

	/* re-score the decisions against the same synthetic frames */
	struct ddlo_mec mec;
	struct ddlo_data *d;
	FILE *f = fopen(dec, "r");
	double sum = 0;
	uint32_t n = 0;

	assert_int_equal(ddlo_mec_init(&mec, 4, 3), 0);
	mec.capacity_mbs = 100.0 / 8 * 4 / 3;
	assert_int_equal(ddlo_data_synth(&mec, 1500, 1, &d), 0);
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "row,x_u1_t1,x_u1_t2,x_u1_t3,x_u2_t1,x_u2_t2,"
			    "x_u2_t3,x_u3_t1,x_u3_t2,x_u3_t3,x_u4_t1,x_u4_t2,x_u4_t3\n");
	while (fgets(line, sizeof(line), f)) {
		uint8_t x[12];
		unsigned row, v[12];

		assert_int_equal(sscanf(line, "%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u",
					&row, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
					&v[6], &v[7], &v[8], &v[9], &v[10], &v[11]), 13);
		assert_int_equal(row, 1200 + n);
		for (int k = 0; k < 12; k++)
			x[k] = (uint8_t)v[k];
		sum += d->q_min[row] / ddlo_mec_utility(&mec,
				d->size_mb + (size_t)row * 12, x, DDLO_BW_EQUAL, NULL);
		n++;
	}
	fclose(f);
	assert_int_equal(n, 300);
	assert_float_equal(sum / n, g, 1e-6);
	ddlo_data_free(d);
	cJSON_Delete(j);
	free(buf);
	unlink(dec);
	rmdir(dir);
}

/* Runs the eval on @argv; returns its parsed JSON. */
static cJSON *eval_json(int argc, char **argv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	cJSON *j;

	assert_non_null(out);
	assert_int_equal(ddlo_eval(argc, argv, out), 0);
	fclose(out);
	j = cJSON_ParseWithLengthOpts(buf, len, NULL, 0);
	assert_non_null(j);
	free(buf);
	return j;
}

static void test_eval_quantized(void **state)
{
	char dir[] = "/tmp/ddlo_quant_test.XXXXXX", w[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(w, sizeof(w), "%s/w.nnw", dir);
	char *plain[] = { "ddlo", "--synthetic", "3", "--rows", "1500", "--k", "3",
			  "--seed", "5", "--json", NULL };
	char *quant[] = { "ddlo", "--synthetic", "3", "--rows", "1500", "--k", "3",
			  "--seed", "5", "--json", "--quantized", "--save", w,
			  NULL };
	cJSON *p = eval_json(10, plain), *q = eval_json(13, quant);
	static const char *const both[] = {
		"gain_ratio", "gain_ratio_vs_equal_optimum", "q_mean",
		"us_per_decision", "us_per_decision_p50",
	};

	for (size_t i = 0; i < sizeof(both) / sizeof(both[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s_float", both[i]);
		assert_true(num(q, both[i]) > 0);
		assert_true(num(q, name) > 0);
		assert_null(cJSON_GetObjectItemCaseSensitive(p, name));
	}
	/* the float side learns and decides as a plain run does */
	assert_float_equal(num(q, "gain_ratio_float"), num(p, "gain_ratio"), 1e-12);
	assert_float_equal(num(q, "q_mean_float"), num(p, "q_mean"), 1e-9);
	/* int8 decides close to float (the benchmark holds the 0.2 pp) */
	assert_true(fabs(num(q, "gain_ratio") - num(q, "gain_ratio_float")) < 0.02);
	assert_true(num(q, "decisions_differing") <= num(q, "measured_rows"));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(q, "quantized")->valuestring,
			    "int8");

	/* the saved file records the quantisation; loading it turns it on */
	struct ddlo_config c;
	struct ddlo *d;

	ddlo_config_default(&c, 9, 3);
	assert_int_equal(ddlo_create(&d, &c), 0);
	assert_int_equal(ddlo_use_quantized(d, 1), -EINVAL);
	assert_int_equal(ddlo_load(d, w), 0);
	assert_int_equal(ddlo_use_quantized(d, 1), 0);
	ddlo_free(d);

	/* online: --policy-args quantized=0|1, over a file's own say */
	static const struct {
		const char *args;
		int rc;
	} online[] = {
		{ "quantized=1", 0 }, { "quantized=0", 0 },
		{ "quantized=yes", -EINVAL }, { "wds=3,tasks=3,k=3,weights=", 0 },
		{ "wds=3,tasks=3,k=3,quantized=0,weights=", 0 },
	};

	for (size_t i = 0; i < sizeof(online) / sizeof(online[0]); i++) {
		char args[200];
		void *st = NULL;
		const char *a = online[i].args;

		snprintf(args, sizeof(args), "%s%s", a,
			 a[strlen(a) - 1] == '=' ? w : "");
		assert_int_equal(ddlo_policy.create(&st, args), online[i].rc);
		if (st)
			ddlo_policy.destroy(st);
	}
	cJSON_Delete(p);
	cJSON_Delete(q);
	unlink(w);
	rmdir(dir);
}

static void test_eval_usage_errors(void **state)
{
	static const char *const bad[][6] = {
		{ "ddlo", "--k", "5" },				/* no frames */
		{ "ddlo", "--synthetic", "3", "--k", "0" },	/* K out of range */
		{ "ddlo", "--synthetic", "3", "--bandwidth", "fast" },
		{ "ddlo", "--synthetic", "3", "--dataset", "x.csv" },
		{ "ddlo", "--synthetic", "3", "--bogus" },
	};
	static const int argc[] = { 3, 5, 5, 5, 4 };

	(void)state;
	for (size_t i = 0; i < sizeof(argc) / sizeof(argc[0]); i++) {
		char *argv[7] = { 0 };

		for (int a = 0; a < argc[i]; a++)
			argv[a] = (char *)bad[i][a];
		assert_int_equal(ddlo_eval(argc[i], argv, stdout), 2);
	}
	char *missing[] = { "ddlo", "--dataset", "/nonexistent.csv", NULL };

	assert_int_equal(ddlo_eval(3, missing, stdout), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eval_json_and_decisions),
		cmocka_unit_test(test_eval_quantized),
		cmocka_unit_test(test_eval_usage_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
