/* SPDX-License-Identifier: MIT */
/*
 * The learned DIL schemes in full (meson test --benchmark --suite dil):
 * DIOS, SOS and DROS trained from scratch on the seed's 100,000
 * demonstrations (T = 6, seed 1), scored on 100,000 held-out samples beside
 * the exact DP (OOS, the reference for the time per decision, measured in
 * the same run) and GOS. Also checks that the training replays the
 * committed weights (argv[1], models/dil): the same figures to the bit. Prints one JSON
 * object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dil_dros.h"
#include "dil_eval.h"
#include "dil_net.h"
#include "dil_set.h"

#define DEMOS 100000
#define HELDOUT 100000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void put_result(const char *name, const struct dil_eval_result *r,
		       double train_s, const struct dil_eval_result *ref,
		       int last)
{
	printf("\"%s\":{\"accuracy\":%.6f,\"cost_ratio\":%.6f,"
	       "\"regret_p50\":%.6f,\"regret_p90\":%.6f,\"regret_p99\":%.6f,"
	       "\"optimal_fraction\":%.6f,\"time_ratio\":%.6f,"
	       "\"us_per_decision\":%.4f,\"us_per_decision_cpu\":%.4f,"
	       "\"cpu_vs_dp\":%.3f,\"train_s\":%.3f}%s", name, r->accuracy,
	       r->cost_ratio, r->regret_p50, r->regret_p90, r->regret_p99,
	       r->optimal_fraction, r->mean_time_s / r->mean_opt_time_s,
	       r->us_per_decision, r->us_per_decision_cpu,
	       r->us_per_decision_cpu / ref->us_per_decision_cpu, train_s,
	       last ? "" : ",");
}

static void check(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "bench_dil_learn: %s: error %d\n", what, rc);
		exit(1);
	}
}

static int same_as_file(struct dil_net *n, const struct dil_net_config *c,
			const char *path, const struct dil_set *set)
{
	struct dil_net *f;
	struct dil_scheme a, b;
	struct dil_eval_result ra, rb;
	int same;

	check(dil_net_create(&f, c), "create");
	if (dil_net_load(f, path)) {
		dil_net_free(f);
		return 0;
	}
	check(dil_scheme_net(n, "a", -1, &a), "scheme");
	check(dil_scheme_net(f, "b", -1, &b), "scheme");
	check(dil_eval_run(&a, set, &ra), "eval");
	check(dil_eval_run(&b, set, &rb), "eval");
	same = ra.mean_cost == rb.mean_cost && ra.accuracy == rb.accuracy;
	dil_scheme_destroy(&a);
	dil_scheme_destroy(&b);
	dil_net_free(f);
	return same;
}

static int dros_same_as_file(const struct dil_dros_config *c, const char *path,
			     const struct dil_set *set,
			     const struct dil_eval_result *trained)
{
	struct dil_dros *f;
	struct dil_scheme s;
	struct dil_eval_result r;
	int same;

	check(dil_dros_create(&f, c), "create");
	if (dil_dros_load(f, path)) {
		dil_dros_free(f);
		return 0;
	}
	check(dil_scheme_dros(f, &s), "scheme");
	check(dil_eval_run(&s, set, &r), "eval");
	same = r.mean_cost == trained->mean_cost &&
	       r.accuracy == trained->accuracy;
	dil_dros_free(f);
	return same;
}

int main(int argc, char **argv)
{
	const char *models = argc > 1 ? argv[1] : "models/dil";
	struct dil_params p;
	struct dil_set *demos, *test;
	struct dil_net_config cd, cs;
	struct dil_dros_config cr;
	struct dil_net *dios, *sos;
	struct dil_dros *dros;
	struct dil_scheme s;
	struct dil_eval_result oos, gos, r[4];
	double t0, train[3];
	char path[512];
	int same[3];

	dil_params_default(&p, 6);
	check(dil_set_generate(&p, 1, 0, DEMOS, &demos), "demos");
	check(dil_set_generate(&p, 1, DIL_HELDOUT_FIRST, HELDOUT, &test),
	      "held-out");
	dil_net_config_dios(&cd, 6);
	dil_net_config_sos(&cs, 6);
	dil_dros_config_default(&cr, 6);
	check(dil_net_create(&dios, &cd), "DIOS");
	check(dil_net_create(&sos, &cs), "SOS");
	check(dil_dros_create(&dros, &cr), "DROS");
	t0 = now_s();
	check(dil_net_train(dios, demos, NULL, NULL, NULL), "train DIOS");
	train[0] = now_s() - t0;
	t0 = now_s();
	check(dil_net_train(sos, demos, NULL, NULL, NULL), "train SOS");
	train[1] = now_s() - t0;
	t0 = now_s();
	check(dil_dros_train(dros, demos, NULL, NULL), "train DROS");
	train[2] = now_s() - t0;

	check(dil_scheme_baseline("OOS", 1, &s), "OOS");
	check(dil_eval_run(&s, test, &oos), "eval OOS");
	dil_scheme_destroy(&s);
	check(dil_scheme_baseline("GOS", 1, &s), "GOS");
	check(dil_eval_run(&s, test, &gos), "eval GOS");
	dil_scheme_destroy(&s);
	check(dil_scheme_net(dios, "DIOS", -1, &s), "DIOS");
	check(dil_eval_run(&s, test, &r[0]), "eval DIOS");
	dil_scheme_destroy(&s);
	check(dil_scheme_net(dios, "DIOS+DP", 0.2f, &s), "DIOS+DP");
	check(dil_eval_run(&s, test, &r[1]), "eval DIOS+DP");
	dil_scheme_destroy(&s);
	check(dil_scheme_net(sos, "SOS", -1, &s), "SOS");
	check(dil_eval_run(&s, test, &r[2]), "eval SOS");
	dil_scheme_destroy(&s);
	check(dil_scheme_dros(dros, &s), "DROS");
	check(dil_eval_run(&s, test, &r[3]), "eval DROS");
	dil_scheme_destroy(&s);

	snprintf(path, sizeof(path), "%s/dios_t6.nnw", models);
	same[0] = same_as_file(dios, &cd, path, test);
	snprintf(path, sizeof(path), "%s/sos_t6.nnw", models);
	same[1] = same_as_file(sos, &cs, path, test);
	snprintf(path, sizeof(path), "%s/dros_t6.nnw", models);
	same[2] = dros_same_as_file(&cr, path, test, &r[3]);

	printf("{\"bench\":\"dil_learn\",\"tasks\":6,\"demos\":%d,"
	       "\"heldout\":%d,\"reference\":\"OOS (exact DP) CPU time per "
	       "decision\",\"schemes\":{", DEMOS, HELDOUT);
	put_result("OOS", &oos, 0, &oos, 0);
	put_result("GOS", &gos, 0, &oos, 0);
	put_result("DIOS", &r[0], train[0], &oos, 0);
	put_result("DIOS+DP", &r[1], train[0], &oos, 0);
	put_result("SOS", &r[2], train[1], &oos, 0);
	put_result("DROS", &r[3], train[2], &oos, 1);
	printf("},\"committed_weights_replayed\":{\"DIOS\":%s,\"SOS\":%s,"
	       "\"DROS\":%s}}\n", same[0] ? "true" : "false",
	       same[1] ? "true" : "false", same[2] ? "true" : "false");
	dil_dros_free(dros);
	dil_net_free(sos);
	dil_net_free(dios);
	dil_set_free(test);
	dil_set_free(demos);
	return 0;
}
