/* SPDX-License-Identifier: MIT */
/*
 * DIL unit tests: the DP against exhaustive search, the environment's
 * non-degeneracy at the default parameters, the demonstration file (round
 * trip and every kind of corruption refused), the generator's
 * reproducibility, the encodings and the evaluation harness.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "dil_encode.h"
#include "dil_eval.h"
#include "dil_online.h"
#include "nn_rng.h"
#include "dil_set.h"
#include "dil_solve.h"
#include "esop.h"
#include "policy.h"

#include "dil_test.h"

static struct dil_costs costs;

/* Environments the solvers are checked on: the defaults, and variants that
 * move the optimum around (prices on, cloud slow, a bad channel). */
static const char *const variants[][3] = {
	{ NULL },
	{ "price_radio=0.001", "price_edge=0.05", "price_wired=0.01" },
	{ "cloud_hz=4e9", "wired_delay_max_s=0.2", NULL },
	{ "snr_mean_db_max=5", "alloc_subcarriers_min=1", NULL },
	{ "energy_weight=0", "backhaul_bps=1e8", NULL },
};

static void params_variant(struct dil_params *p, uint32_t T, size_t v)
{
	dil_params_default(p, T);
	for (size_t k = 0; k < 3 && variants[v][k]; k++)
		assert_int_equal(dil_params_set(p, variants[v][k]), 0);
	assert_int_equal(dil_params_check(p, NULL, 0), 0);
}

static void test_dp_equals_exhaustive(void **state)
{
	static const struct { uint32_t tasks; size_t samples; } rows[] = {
		{ 1, 2000 }, { 2, 2000 }, { 3, 2000 }, { 6, 3000 }, { 9, 60 },
	};
	double work[DIL_EXHAUSTIVE_MAX], data[DIL_EXHAUSTIVE_MAX + 1];
	uint8_t a[DIL_EXHAUSTIVE_MAX], b[DIL_EXHAUSTIVE_MAX];

	(void)state;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]);
		     v++) {
			struct dil_params p;

			params_variant(&p, rows[r].tasks, v);
			for (size_t i = 0; i < rows[r].samples; i++) {
				struct dil_sample s;
				double ex, dp;

				dil_env_draw(&p, 7 + v, i, work, data, &s);
				dil_costs_build(&p, &s, &costs);
				ex = dil_solve_exhaustive(&costs, a);
				dp = dil_solve_dp(&costs, b);
				assert_memory_equal(a, b, rows[r].tasks);
				assert_true(ex == dp);
				assert_true(dp == dil_costs_total(&costs, b));
			}
		}
	}
}

/* T = 30: no exhaustive search, but no single-sub-task change, no
 * baseline and no random placement beats the DP. */
static void test_dp_optimal_long_chain(void **state)
{
	enum { T = 30 };
	double work[T], data[T + 1];
	uint8_t best[T], other[T];
	struct dil_params p;
	struct nn_rng r;

	(void)state;
	dil_params_default(&p, T);
	nn_rng_seed_stream(&r, 99, 0);
	for (size_t i = 0; i < 300; i++) {
		struct dil_sample s;
		double opt;

		dil_env_draw(&p, 3, i, work, data, &s);
		dil_costs_build(&p, &s, &costs);
		opt = dil_solve_dp(&costs, best);
		assert_true(dil_solve_greedy(&costs, other) >= opt);
		for (size_t t = 0; t < T; t++) {
			for (uint8_t l = 0; l < DIL_NLOC; l++) {
				memcpy(other, best, T);
				other[t] = l;
				assert_true(dil_costs_total(&costs, other) >=
					    opt * (1 - 1e-12));
			}
		}
		for (size_t k = 0; k < 20; k++) {
			for (size_t t = 0; t < T; t++)
				other[t] = (uint8_t)nn_rng_int(&r, 0, 2);
			assert_true(dil_costs_total(&costs, other) >= opt);
		}
	}
	assert_true(dil_solve_exhaustive(&costs, other) < 0);
}

/* Hand-made chain where looking one step ahead is not enough: sub-task 0 is
 * cheapest at the edge counting its own move, but the return trip of the
 * output makes local optimal. */
static void test_greedy_myopic(void **state)
{
	struct dil_costs *c = &costs;
	uint8_t dp[2], gr[2];

	(void)state;
	memset(c, 0, sizeof(*c));
	c->tasks = 2;
	/* exec: local 5, edge 1, cloud 30 for both sub-tasks */
	for (int t = 0; t < 2; t++) {
		c->exec[t][DIL_LOCAL] = 5;
		c->exec[t][DIL_EDGE] = 1;
		c->exec[t][DIL_CLOUD] = 30;
	}
	for (int t = 0; t <= 2; t++)
		for (int a = 0; a < DIL_NLOC; a++)
			for (int b = 0; b < DIL_NLOC; b++)
				c->move[t][a][b] = a == b ? 0 : 1;
	/* the data between the two sub-tasks is huge off the device */
	c->move[1][DIL_EDGE][DIL_EDGE] = 0;
	c->move[1][DIL_EDGE][DIL_LOCAL] = 20;
	/* returning the output from the edge is costly */
	c->move[2][DIL_EDGE][DIL_LOCAL] = 20;
	/* greedy: t0 edge (1+1=2 < 5 < 31), t1 (the last, so with the
	 * return) edge 1+20=21 < local 20+5=25 < cloud 1+30+1: edge, total
	 * 2+21 = 23; optimal: all local, 10 */
	assert_true(dil_solve_greedy(c, gr) == 23);
	assert_int_equal(gr[0], DIL_EDGE);
	assert_int_equal(gr[1], DIL_EDGE);
	assert_true(dil_solve_dp(c, dp) == 10);
	assert_int_equal(dp[0], DIL_LOCAL);
	assert_int_equal(dp[1], DIL_LOCAL);
	assert_true(dil_solve_exhaustive(c, gr) == 10);
}

static void test_non_degenerate(void **state)
{
	struct dil_params p;
	struct dil_set *set;
	struct dil_scheme g;
	struct dil_eval_result r;
	double shares[DIL_NLOC];
	unsigned maj;

	(void)state;
	dil_params_default(&p, 6);
	assert_int_equal(dil_set_generate(&p, 1, DIL_HELDOUT_FIRST, 20000,
					  &set), 0);
	dil_set_class_shares(set, shares);
	for (unsigned l = 0; l < DIL_NLOC; l++)
		assert_true(shares[l] >= 0.10);
	assert_true(fabs(shares[0] + shares[1] + shares[2] - 1) < 1e-12);
	assert_true(dil_eval_majority(set, &maj) < 0.70);
	/* greedy is not optimal on many samples, and costs more on average */
	assert_int_equal(dil_scheme_baseline("GOS", 1, &g), 0);
	assert_int_equal(dil_eval_run(&g, set, &r), 0);
	dil_scheme_destroy(&g);
	assert_true(r.optimal_fraction < 0.90);
	assert_true(r.cost_ratio > 1.01);
	dil_set_free(set);
}

static void test_baselines(void **state)
{
	struct dil_params p;
	struct dil_set *set;
	double shares[DIL_NLOC];
	struct dil_eval_result r[8];

	(void)state;
	dil_params_default(&p, 6);
	assert_int_equal(dil_set_generate(&p, 5, DIL_HELDOUT_FIRST, 3000,
					  &set), 0);
	dil_set_class_shares(set, shares);
	for (size_t k = 0; dil_baseline_names[k]; k++) {
		struct dil_scheme s;

		assert_int_equal(dil_scheme_baseline(dil_baseline_names[k], 5,
						     &s), 0);
		assert_int_equal(dil_eval_run(&s, set, &r[k]), 0);
		dil_scheme_destroy(&s);
		assert_int_equal(r[k].samples, 3000);
		assert_true(r[k].cost_ratio >= 1.0);
		assert_true(r[k].regret_p50 <= r[k].regret_p90);
		assert_true(r[k].regret_p90 <= r[k].regret_p99);
		assert_true(r[k].regret_p99 <= r[k].regret_max);
	}
	/* OOS is the labeller itself */
	assert_true(r[0].accuracy == 1.0 && r[0].cost_ratio == 1.0);
	assert_true(r[0].regret_max == 0 && r[0].optimal_fraction == 1.0);
	/* a whole-application scheme is right exactly on its own class */
	for (unsigned l = 0; l < DIL_NLOC; l++)
		assert_true(fabs(r[1 + l].accuracy - shares[l]) < 1e-12);
	/* random is right about a third of the time */
	assert_true(fabs(r[4].accuracy - 1.0 / 3) < 0.02);
	struct dil_scheme bad;
	assert_int_equal(dil_scheme_baseline("DIOS", 5, &bad), -ENOENT);
	dil_set_free(set);
}

static void test_reproducible(void **state)
{
	struct dil_params p;
	struct dil_set *a, *b, *c, *d;
	size_t T = 6;

	(void)state;
	dil_params_default(&p, (uint32_t)T);
	assert_int_equal(dil_set_generate(&p, 42, 0, 200, &a), 0);
	assert_int_equal(dil_set_generate(&p, 42, 0, 200, &b), 0);
	assert_int_equal(dil_set_generate(&p, 43, 0, 200, &c), 0);
	assert_int_equal(dil_set_generate(&p, 42, 150, 10, &d), 0);
	assert_memory_equal(a->work_cycles, b->work_cycles,
			    200 * T * sizeof(double));
	assert_memory_equal(a->data_bytes, b->data_bytes,
			    200 * (T + 1) * sizeof(double));
	assert_memory_equal(a->snr, b->snr, 200 * sizeof(double));
	assert_memory_equal(a->labels, b->labels, 200 * T);
	assert_memory_equal(a->opt_cost, b->opt_cost, 200 * sizeof(double));
	/* another seed: other samples */
	assert_memory_not_equal(a->work_cycles, c->work_cycles,
				200 * T * sizeof(double));
	/* sample i depends on (seed, i) only */
	assert_memory_equal(a->work_cycles + 150 * T, d->work_cycles,
			    10 * T * sizeof(double));
	assert_memory_equal(a->labels + 150 * T, d->labels, 10 * T);
	/* the very first values of seed 42, pinned: a change of the PRNG or
	 * of the draw order changes every demonstration file */
	struct nn_rng r;
	nn_rng_seed_stream(&r, 42, 0);
	uint64_t first = nn_rng_next(&r);
	nn_rng_seed_stream(&r, 42, 0);
	assert_true(nn_rng_next(&r) == first);
	nn_rng_seed_stream(&r, 42, 1);
	assert_true(nn_rng_next(&r) != first);
	dil_set_free(a);
	dil_set_free(b);
	dil_set_free(c);
	dil_set_free(d);
}

static char tmp_path[256];

static int tmp_setup(void **state)
{
	const char *dir = getenv("TMPDIR");

	(void)state;
	snprintf(tmp_path, sizeof(tmp_path), "%s/test_dil.XXXXXX",
		 dir ? dir : "/tmp");
	int fd = mkstemp(tmp_path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int tmp_teardown(void **state)
{
	(void)state;
	unlink(tmp_path);
	return 0;
}

static void assert_sets_equal(const struct dil_set *a, const struct dil_set *b)
{
	size_t T = a->params.tasks, n = a->count;

	assert_int_equal(b->count, n);
	assert_int_equal(b->params.tasks, T);
	assert_memory_equal(&a->params, &b->params, sizeof(a->params));
	assert_true(a->seed == b->seed && a->first == b->first);
	assert_memory_equal(a->subcarriers, b->subcarriers, n * 4);
	assert_memory_equal(a->cores, b->cores, n * 4);
	assert_memory_equal(a->snr, b->snr, n * 8);
	assert_memory_equal(a->wired_delay_s, b->wired_delay_s, n * 8);
	assert_memory_equal(a->work_cycles, b->work_cycles, n * T * 8);
	assert_memory_equal(a->data_bytes, b->data_bytes, n * (T + 1) * 8);
	assert_memory_equal(a->opt_cost, b->opt_cost, n * 8);
	assert_memory_equal(a->labels, b->labels, n * T);
}

static void test_file_round_trip(void **state)
{
	static const uint32_t tasks[] = { 1, 6, 30 };
	char err[256];

	(void)state;
	for (size_t k = 0; k < sizeof(tasks) / sizeof(tasks[0]); k++) {
		struct dil_params p;
		struct dil_set *a, *b;

		params_variant(&p, tasks[k], 1);
		assert_int_equal(dil_set_generate(&p, 11, 5, 300, &a), 0);
		assert_int_equal(dil_set_write(a, tmp_path, err, sizeof(err)),
				 0);
		assert_int_equal(dil_set_read(tmp_path, &b, err, sizeof(err)),
				 0);
		assert_sets_equal(a, b);
		dil_set_free(a);
		dil_set_free(b);
	}
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(*len + 16);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

static void spill(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static void fix_crc(uint8_t *buf, size_t len)
{
	uint32_t crc = dil_crc32(0, buf, len - 4);

	for (int i = 0; i < 4; i++)
		buf[len - 4 + i] = (uint8_t)(crc >> (8 * i));
}

static void test_file_corruption(void **state)
{
	enum { HDR = 8 + 16 + 24 };
	enum { N = 20, T = 6 };
	/* record: u32 u32 f64 f64 f64[T] f64[T+1] f64 u8[T] */
	const size_t rec = 4 + 4 + 8 + 8 + 8 * T + 8 * (T + 1) + 8 + T;
	size_t np;
	dil_param_table(&np);
	const size_t rec0 = HDR + 8 * np;
	const size_t label0 = rec0 + rec - T;	/* record 0's first label */
	static const struct {
		const char *what;
		long offset;		/* byte to change; -1: none */
		uint8_t xor;
		long resize;		/* bytes added (or removed) at the end */
		int refix_crc;		/* recompute the checksum afterwards */
		int rc;
		const char *msg;
	} rows[] = {
		{ "magic", 0, 0x01, 0, 1, -EBADMSG, "bad magic" },
		{ "version", 8, 0x02, 0, 1, -EPROTONOSUPPORT, "version 3" },
		{ "header bytes", 12, 0x01, 0, 1, -EBADMSG, "header bytes" },
		{ "tasks", 16, 0x08, 0, 1, -EBADMSG, "bytes, the header" },
		{ "count", 40, 0x01, 0, 1, -EBADMSG, "bytes, the header" },
		{ "count huge", 47, 0x80, 0, 1, -EBADMSG, "out of range" },
		{ "a parameter", HDR + 1, 0x40, 0, 0, -EBADMSG, "checksum" },
		{ "a parameter, crc fixed", HDR + 7, 0x70, 0, 1, -EBADMSG,
		  "header parameter edge_cores" },
		{ "a record value", 0, 0x10, 0, 0, -EBADMSG, "checksum" },
		{ "a label", 0, 0x01, 0, 0, -EBADMSG, "checksum" },
		{ "a label set to 3, crc fixed", 0, 0, 0, 1, -EBADMSG,
		  "record 0: label not local/edge/cloud" },
		{ "a label swapped, crc fixed", 0, 0, 0, 1, -EBADMSG,
		  "record 0: labels or cost are not the optimum" },
		{ "truncated", -1, 0, -1, 0, -EBADMSG, "bytes, the header" },
		{ "one byte more", -1, 0, 1, 0, -EBADMSG, "bytes, the header" },
		{ "checksum", -1, 0, 0, 0, -EBADMSG, "checksum" },
	};
	struct dil_params p;
	struct dil_set *a, *b = NULL;
	char err[256];
	size_t len;
	uint8_t *good;

	(void)state;
	dil_params_default(&p, T);
	assert_int_equal(dil_set_generate(&p, 3, 0, N, &a), 0);
	assert_int_equal(dil_set_write(a, tmp_path, err, sizeof(err)), 0);
	good = slurp(tmp_path, &len);
	assert_int_equal(len, dil_set_file_bytes(a));
	assert_int_equal(len, rec0 + N * rec + 4);
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		uint8_t *buf = malloc(len + 16);
		size_t n = len + (size_t)rows[r].resize;
		long off = rows[r].offset;

		memcpy(buf, good, len);
		buf[len] = 0;
		if (!strncmp(rows[r].what, "a record", 8))
			off = (long)rec0 + 20;		/* snr */
		else if (!strncmp(rows[r].what, "a label", 7))
			off = (long)label0;
		if (!strcmp(rows[r].what, "a label swapped, crc fixed"))
			buf[off] = (uint8_t)((buf[off] + 1) % DIL_NLOC);
		else if (!strcmp(rows[r].what, "a label set to 3, crc fixed"))
			buf[off] = 3;
		else if (off >= 0)
			buf[off] ^= rows[r].xor;
		if (!strcmp(rows[r].what, "checksum"))
			buf[len - 1] ^= 0x55;
		if (rows[r].refix_crc)
			fix_crc(buf, n);
		spill(tmp_path, buf, n);
		free(buf);
		err[0] = 0;
		int rc = dil_set_read(tmp_path, &b, err, sizeof(err));
		if (rc != rows[r].rc || !strstr(err, rows[r].msg))
			fail_msg("%s: rc %d, err '%s'", rows[r].what, rc, err);
		assert_true(strstr(err, tmp_path) == err);
	}
	/* the good file still reads */
	spill(tmp_path, good, len);
	assert_int_equal(dil_set_read(tmp_path, &b, err, sizeof(err)), 0);
	dil_set_free(b);
	unlink(tmp_path);
	assert_int_equal(dil_set_read(tmp_path, &b, err, sizeof(err)), -ENOENT);
	free(good);
	dil_set_free(a);
}

static void test_params(void **state)
{
	static const struct { const char *set; int rc_set, rc_check;
			      const char *msg; } rows[] = {
		{ "cloud_hz=2e10", 0, 0, NULL },
		{ "tasks=30", 0, 0, NULL },
		{ "tasks=0", -EINVAL, 0, NULL },
		{ "tasks=257", -EINVAL, 0, NULL },
		{ "no_such=1", -ENOENT, 0, NULL },
		{ "cloud_hz=", -EINVAL, 0, NULL },
		{ "cloud_hz=fast", -EINVAL, 0, NULL },
		{ "=3", -EINVAL, 0, NULL },
		{ "edge_cores=2.5", 0, -EINVAL, "edge_cores: 2.5 is not a whole" },
		{ "edge_cores=0", 0, -EINVAL, "edge_cores: 0 is outside" },
		{ "local_hz=nan", 0, -EINVAL, "local_hz: nan is outside" },
		{ "wired_delay_min_s=0.5", 0, -EINVAL,
		  "wired_delay_min_s > wired_delay_max_s" },
		{ "alloc_cores_min=17", 0, -EINVAL,
		  "alloc_cores_min > edge_cores" },
	};
	char err[160];

	(void)state;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct dil_params p, before;

		dil_params_default(&p, 6);
		before = p;
		assert_int_equal(dil_params_set(&p, rows[r].set),
				 rows[r].rc_set);
		if (rows[r].rc_set) {
			assert_memory_equal(&p, &before, sizeof(p));
			continue;
		}
		err[0] = 0;
		assert_int_equal(dil_params_check(&p, err, sizeof(err)),
				 rows[r].rc_check);
		if (rows[r].msg)
			assert_non_null(strstr(err, rows[r].msg));
	}
}

static void test_encode(void **state)
{
	enum { T = 6 };
	double work[T], data[T + 1];
	float x[2 * T + 5], y[3 * T];
	uint8_t place[T], back[T];
	struct dil_params p;
	struct dil_sample s;

	(void)state;
	assert_int_equal(dil_feature_count(T), 17);
	assert_int_equal(dil_label_count(T), 18);
	dil_params_default(&p, T);
	for (size_t i = 0; i < 500; i++) {
		dil_env_draw(&p, 8, i, work, data, &s);
		dil_encode_features(&p, &s, x);
		for (size_t k = 0; k < 2 * T + 5; k++)
			assert_true(x[k] >= 0 && x[k] <= 1.5f);
		assert_true(fabsf(x[0] - (float)((work[0] - p.work_min_cycles) /
			    (p.work_max_cycles - p.work_min_cycles))) < 1e-6);
		assert_true(fabsf(x[2 * T + 3] - (float)s.cores / 16) < 1e-6);
		for (size_t t = 0; t < T; t++)
			place[t] = (uint8_t)((i + t * 7) % 3);
		dil_encode_labels(T, place, y);
		for (size_t t = 0; t < T; t++) {
			float sum = y[3 * t] + y[3 * t + 1] + y[3 * t + 2];
			assert_true(sum == 1.0f);
			assert_true(y[3 * t + place[t]] == 1.0f);
		}
		dil_decode_argmax(T, y, back);
		assert_memory_equal(place, back, T);
	}
	/* sigmoid-like scores decode per sub-task; ties go to the lower */
	const float scores[6] = { 0.2f, 0.7f, 0.6f, 0.4f, 0.4f, 0.1f };
	dil_decode_argmax(2, scores, back);
	assert_int_equal(back[0], DIL_EDGE);
	assert_int_equal(back[1], DIL_LOCAL);
}


static double num_at(const cJSON *root, const char *a, const char *b,
		     const char *c)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, a);

	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	if (c)
		v = cJSON_GetObjectItemCaseSensitive(v, c);
	if (!cJSON_IsNumber(v))
		fail_msg("%s.%s.%s: not a number", a, b ? b : "",
			 c ? c : "");
	return v->valuedouble;
}

static void test_eval_command(void **state)
{
	static const char *const usage_errors[][4] = {
		{ "--tasks", "0", NULL },
		{ "--tasks", "six", NULL },
		{ "--samples", "-5", NULL },
		{ "--set", "no_such=1", NULL },
		{ "--set", "edge_cores=0", NULL },
		{ "--tasks", "17", "--check-exhaustive", NULL },
		{ "--bogus", NULL },
		{ "extra", NULL },
		{ "--features", "deep", NULL },
		{ "--margin", "2", NULL },
		{ "--epochs", "0", NULL },
	};
	const char *args[] = { "--tasks", "6", "--samples", "2000", "--seed",
			       "9", "--check-exhaustive", "--no-learned",
			       "--json", NULL };
	static const char *const schemes[] = { "OOS", "LOS", "EOS", "COS",
					       "ROS", "GOS" };
	char *text = NULL;
	cJSON *root;

	(void)state;
	assert_int_equal(run_eval(args, &text), 0);
	root = cJSON_Parse(text);
	assert_non_null(root);
	assert_int_equal((int)num_at(root, "tasks", NULL, NULL), 6);
	assert_int_equal((int)num_at(root, "samples", NULL, NULL), 2000);
	assert_int_equal((int)num_at(root, "exhaustive_check", "disagreements",
				     NULL), 0);
	double shares = num_at(root, "label_shares", "local", NULL) +
			num_at(root, "label_shares", "edge", NULL) +
			num_at(root, "label_shares", "cloud", NULL);
	assert_true(fabs(shares - 1) < 1e-5);
	double maj = num_at(root, "majority_accuracy", NULL, NULL);
	assert_true(maj > 0.33 && maj < 0.7);
	for (size_t k = 0; k < 6; k++) {
		assert_true(num_at(root, "schemes", schemes[k], "cost_ratio") >=
			    1.0);
		num_at(root, "schemes", schemes[k], "accuracy");
		num_at(root, "schemes", schemes[k], "us_per_decision");
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(root, "schemes"),
			schemes[k]);
		r = cJSON_GetObjectItemCaseSensitive(r, "regret");
		assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(
			r, "p99")));
	}
	assert_true(num_at(root, "schemes", "OOS", "accuracy") == 1.0);
	/* --no-learned: the baselines alone (tests/dil/test_dil_net.c
	 * drives the learned schemes) */
	assert_null(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(root, "schemes"), "DIOS"));
	cJSON_Delete(root);
	free(text);
	for (size_t r = 0; r < sizeof(usage_errors) / sizeof(usage_errors[0]);
	     r++) {
		assert_int_equal(run_eval(usage_errors[r], &text), 2);
		assert_string_equal(text, "");
		free(text);
	}
	const char *help[] = { "--help", NULL };
	assert_int_equal(run_eval(help, &text), 0);
	assert_non_null(strstr(text, "Usage: edgesteerctl policy eval --policy dil"));
	free(text);
	/* a demonstration file that is not one */
	const char *bad[] = { "--demos-in", "/nonexistent/x.dem", NULL };
	assert_int_equal(run_eval(bad, &text), 1);
	free(text);
}


static const char profile_json[] =
	"{\"dil_apps\":1,\"decide\":\"dp\",\"apps\":["
	"{\"app\":3,\"work_cycles\":[2e8,9e8,6e8,1e8,8e8,3e8],"
	"\"data_bytes\":[1.5e6,4e5,9e5,1.8e6,3e5,6e5,2.5e5]}]}";

static void write_text(const char *path, const char *text)
{
	spill(path, (const uint8_t *)text, strlen(text));
}

/* What the online policy must choose: the DP on the same sample. */
static void expected_entry(uint32_t m, uint32_t n, int16_t snr_qdb,
			   int edge_ok, uint8_t *kind, uint16_t *split)
{
	static const double w[] = { 2e8, 9e8, 6e8, 1e8, 8e8, 3e8 };
	static const double d[] = { 1.5e6, 4e5, 9e5, 1.8e6, 3e5, 6e5, 2.5e5 };
	struct dil_params p;
	struct dil_sample s = { .tasks = 6, .subcarriers = m, .cores = n,
				.snr = pow(10, snr_qdb / 40.0),
				.wired_delay_s = 0.015,
				.work_cycles = w, .data_bytes = d };
	uint8_t place[6];
	uint16_t k;

	dil_params_default(&p, 6);
	dil_costs_build(&p, &s, &costs);
	if (!edge_ok)
		for (int t = 0; t < 6; t++)
			costs.exec[t][DIL_EDGE] = INFINITY;
	dil_solve_dp(&costs, place);
	for (k = 0; k < 6 && place[k] == DIL_LOCAL; k++)
		;
	*kind = k < 6 ? place[k] : ESOP_TARGET_LOCAL;
	*split = k;
}

static void test_online_decide(void **state)
{
	static struct es_policy cur;
	struct es_device devs[3] = {
		{ .id = 1, .apps_off = 0, .napps = 1 },
		{ .id = 2, .apps_off = 1, .napps = 1 },
		{ .id = 5, .apps_off = 2, .napps = 1 },
	};
	struct es_app apps[3] = {
		{ .app = 3, .target_kind = ESOP_TARGET_LOCAL },
		{ .app = 3, .target_kind = ESOP_TARGET_LOCAL },
		{ .app = 9, .target_kind = ESOP_TARGET_EDGE, .split_layer = 2 },
	};
	struct ctl_device_obs dobs[3] = {
		{ .id = 1, .app_id = 3, .snr_qdb = 80, .pending_bytes = 1000 },
		{ .id = 2, .app_id = 3, .snr_qdb = -80, .pending_bytes = 1000 },
		{ .id = 5, .app_id = 9, .snr_qdb = 80, .pending_bytes = 0 },
	};
	struct ctl_server_obs sobs[2] = { { .queue_depth = 4 },
					  { .queue_depth = 0 } };
	struct ctl_epoch_obs obs = { .epoch = 1, .ndevices = 3,
				     .devices = dobs, .in_force = &cur,
				     .servers = sobs };
	const struct ctl_policy_ops *ops = ctl_policy_find("dil");
	struct es_policy next, again;
	void *st;
	uint8_t kind;
	uint16_t split;

	(void)state;
	table_edge_cloud(&cur, devs, 3, apps, 3);
	write_text(tmp_path, profile_json);
	assert_int_equal(ops->create(&st, tmp_path), 0);
	assert_int_equal(ops->observe(st, &obs), 0);
	assert_int_equal(ops->decide(st, &obs, &next), 0);
	assert_int_equal(next.ndevices, 3);
	assert_int_equal(next.nservers, 2);
	assert_memory_equal(next.devices, devs, sizeof(devs));
	/* two devices with open tasks share N: m = 128; n = 16 - 4 */
	expected_entry(128, 12, 80, 1, &kind, &split);
	assert_int_equal(next.apps[0].target_kind, kind);
	assert_int_equal(next.apps[0].split_layer, split);
	assert_int_not_equal(kind, ESOP_TARGET_LOCAL);
	assert_int_equal(next.apps[0].server, ES_SERVER_ANY);
	expected_entry(128, 12, -80, 1, &kind, &split);
	assert_int_equal(next.apps[1].target_kind, ESOP_TARGET_LOCAL);
	assert_int_equal(kind, ESOP_TARGET_LOCAL);
	assert_int_equal(next.apps[1].split_layer, 6);
	/* an app without a profile is left as it was */
	assert_memory_equal(&next.apps[2], &apps[2], sizeof(apps[2]));
	/* the same epoch again against its own result: nothing to push */
	obs.in_force = &next;
	assert_int_equal(ops->decide(st, &obs, &again), 1);
	assert_null(again.devices);
	assert_null(again.apps);
	free(next.devices);
	free(next.apps);
	/* no edge server in the table: never edge */
	obs.in_force = &cur;
	cur.servers[0].kind = ESOP_TARGET_CLOUD;
	assert_int_equal(ops->decide(st, &obs, &next), 0);
	expected_entry(128, 16, 80, 0, &kind, &split);
	assert_int_equal(next.apps[0].target_kind, kind);
	assert_int_equal(next.apps[0].split_layer, split);
	free(next.devices);
	free(next.apps);
	ops->destroy(st);
}

static void test_online_bad_profile(void **state)
{
	static const struct { const char *json; int rc; const char *msg; }
	rows[] = {
		{ "{", -EINVAL, "not valid JSON" },
		{ "{\"apps\":[]}", -EINVAL, "dil_apps: expected 1" },
		{ "{\"dil_apps\":1,\"apps\":[]}", -EINVAL, "apps: expected" },
		{ "{\"dil_apps\":1,\"apps\":[{\"app\":1,\"work_cycles\":[1],"
		  "\"data_bytes\":[1]}]}", -EINVAL,
		  "apps[0].data_bytes: expected 2 positive" },
		{ "{\"dil_apps\":1,\"apps\":[{\"app\":1,\"work_cycles\":[-1],"
		  "\"data_bytes\":[1,1]}]}", -EINVAL,
		  "apps[0].work_cycles: expected 1 positive" },
		{ "{\"dil_apps\":1,\"apps\":[{\"app\":1,\"work_cycles\":[1],"
		  "\"data_bytes\":[1,1]},{\"app\":1,\"work_cycles\":[1],"
		  "\"data_bytes\":[1,1]}]}", -EINVAL,
		  "apps[1].app: 1 repeats apps[0]" },
		{ "{\"dil_apps\":1,\"apps\":[{\"app\":70000,\"work_cycles\":[1],"
		  "\"data_bytes\":[1,1]}]}", -EINVAL, "apps[0].app: expected" },
		{ "{\"dil_apps\":1,\"params\":{\"warp\":1},\"apps\":[]}",
		  -EINVAL, "params.warp: no such parameter" },
		{ "{\"dil_apps\":1,\"params\":{\"edge_cores\":0},\"apps\":[]}",
		  -EINVAL, "params: edge_cores: 0 is outside" },
		{ "{\"dil_apps\":1,\"decide\":\"guess\",\"apps\":[{\"app\":1,"
		  "\"work_cycles\":[1],\"data_bytes\":[1,1]}]}", -EINVAL,
		  "decide: expected \"dios\" or \"dp\"" },
		{ "{\"dil_apps\":1,\"weights\":5,\"apps\":[{\"app\":1,"
		  "\"work_cycles\":[1],\"data_bytes\":[1,1]}]}", -EINVAL,
		  "weights: expected a file name" },
		{ "{\"dil_apps\":1,\"apps\":[{\"app\":1,\"work_cycles\":[1],"
		  "\"data_bytes\":[1,1]},{\"app\":2,\"work_cycles\":[1,1],"
		  "\"data_bytes\":[1,1,1]}]}", -EINVAL,
		  "apps[1]: 2 sub-tasks, but the network places 1" },
		{ "{\"dil_apps\":1,\"weights\":\"/nonexistent/w.nnw\",\"apps\":"
		  "[{\"app\":1,\"work_cycles\":[1],\"data_bytes\":[1,1]}]}",
		  -ENOENT, "weights /nonexistent/w.nnw: " },
	};
	struct dil_online *o;
	char err[256];

	(void)state;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		write_text(tmp_path, rows[r].json);
		err[0] = 0;
		assert_int_equal(dil_online_create(&o, tmp_path, err,
						   sizeof(err)), rows[r].rc);
		if (!strstr(err, rows[r].msg))
			fail_msg("row %zu: '%s'", r, err);
	}
	assert_int_equal(dil_online_create(&o, NULL, err, sizeof(err)),
			 -EINVAL);
	/* the example profile in the tree loads */
	const char *shipped = getenv("DIL_APPS_JSON");
	assert_non_null(shipped);
	assert_int_equal(dil_online_create(&o, shipped, err, sizeof(err)), 0);
	dil_online_destroy(o);
	unlink(tmp_path);
	assert_int_equal(dil_online_create(&o, tmp_path, err, sizeof(err)),
			 -ENOENT);
}


/* The DP-repaired decoder: the cheapest chain among each sub-task's kept
 * locations. Never dearer than the arg max, exact with everything kept. */
static void test_repair_decoder(void **state)
{
	enum { T = 6 };
	static const float margins[] = { 0.0f, 0.1f, 0.3f, 1.0f };
	double work[T], data[T + 1];
	uint8_t opt[T], arg[T], rep[T], mask[T];
	float y[3 * T];
	struct dil_params p;
	struct nn_rng r;

	(void)state;
	dil_params_default(&p, T);
	nn_rng_seed_stream(&r, 17, 0);
	for (size_t i = 0; i < 2000; i++) {
		struct dil_sample s;
		double c_opt, c_arg;

		dil_env_draw(&p, 21, i, work, data, &s);
		dil_costs_build(&p, &s, &costs);
		c_opt = dil_solve_dp(&costs, opt);
		/* one-hot of the optimum: repaired == optimum at any margin */
		dil_encode_labels(T, opt, y);
		dil_decode_mask(T, y, 0.5f, mask);
		assert_true(dil_solve_dp_masked(&costs, mask, rep) == c_opt);
		assert_memory_equal(rep, opt, T);
		/* noisy scores around the optimum, like a network's */
		for (size_t k = 0; k < 3 * T; k++)
			y[k] = 0.6f * y[k] + 0.5f * (float)nn_rng_uniform(&r);
		dil_decode_argmax(T, y, arg);
		c_arg = dil_costs_total(&costs, arg);
		for (size_t m = 0; m < sizeof(margins) / sizeof(margins[0]);
		     m++) {
			double c_rep;

			dil_decode_mask(T, y, margins[m], mask);
			c_rep = dil_solve_dp_masked(&costs, mask, rep);
			assert_true(c_rep <= c_arg);
			assert_true(c_rep >= c_opt);
			assert_true(c_rep == dil_costs_total(&costs, rep));
			for (size_t t = 0; t < T; t++) {
				assert_true(mask[t] & (1u << arg[t]));
				assert_true(mask[t] & (1u << rep[t]));
			}
			if (margins[m] == 0.0f)
				assert_true(c_rep == c_arg);
			if (margins[m] == 1.0f)
				assert_true(c_rep == c_opt);
		}
	}
	memset(mask, DIL_MASK_ALL, T);
	mask[3] = 0;
	assert_true(dil_solve_dp_masked(&costs, mask, rep) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dp_equals_exhaustive),
		cmocka_unit_test(test_dp_optimal_long_chain),
		cmocka_unit_test(test_greedy_myopic),
		cmocka_unit_test(test_non_degenerate),
		cmocka_unit_test(test_baselines),
		cmocka_unit_test(test_reproducible),
		cmocka_unit_test_setup_teardown(test_file_round_trip,
						tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_file_corruption,
						tmp_setup, tmp_teardown),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_repair_decoder),
		cmocka_unit_test(test_eval_command),
		cmocka_unit_test_setup_teardown(test_online_decide,
						tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_online_bad_profile,
						tmp_setup, tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
