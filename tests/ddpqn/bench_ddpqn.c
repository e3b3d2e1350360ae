/* SPDX-License-Identifier: MIT */
/*
 * Timings of the DDPQN environment for `meson test --benchmark --suite
 * ddpqn`: one environment step (the reference), one greedy decision (11
 * peeks and a step), the exact DP and dp_ref, per model at 1 and 10 tasks.
 * Prints one JSON object per line; ratios are to the step measured in the
 * same run, since the machine is shared and noisy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ddpqn_agent.h"
#include "ddpqn_dp.h"
#include "ddpqn_env.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *const models[] = { "alexnet", "vgg19", "googlenet", "resnet101" };

static int bench(const char *model, unsigned tasks)
{
	struct ddpqn_graph *g = malloc(sizeof(*g));
	struct ddpqn_graph_opts o = { 0 };
	struct ddpqn_load_err err;
	struct ddpqn_ref_stats st;
	struct ddpqn_params p;
	struct ddpqn_env *env;
	struct ddpqn_agent ag;
	char path[512];
	uint8_t *place;
	unsigned cells, reps = 0, eps = 0;
	double t0, step_us, greedy_us, dp_ms, ref_s, v;
	int rc;

	if (!g || ddpqn_model_parse(model, &o.model))
		return 1;
	snprintf(path, sizeof(path), "%s/%s.csv", DDPQN_MODELS_DIR, model);
	rc = ddpqn_graph_load(path, &o, g, &err);
	if (rc) {
		fprintf(stderr, "%s:%u: %s\n", err.file, err.line, err.reason);
		return 1;
	}
	ddpqn_params_default(&p, o.model);
	p.tasks = tasks;
	if (ddpqn_env_create(g, &p, &env))
		return 1;
	cells = g->n * tasks;
	place = malloc(cells);
	t0 = now_s();
	do {
		ddpqn_dp_solve(env, place, &v);
		reps++;
	} while (now_s() - t0 < 0.3);
	dp_ms = (now_s() - t0) / reps * 1e3;
	for (unsigned i = 1; i < tasks; i++)
		memcpy(place + i * g->n, place, g->n);
	reps = 0;
	t0 = now_s();
	do {
		ddpqn_env_run(env, place, NULL);
		reps++;
	} while (now_s() - t0 < 0.3);
	step_us = (now_s() - t0) / ((double)reps * cells) * 1e6;
	ddpqn_baseline("greedy", 0, &ag);
	t0 = now_s();
	do {
		ddpqn_rollout(env, &ag, NULL, NULL);
		eps++;
	} while (now_s() - t0 < 0.3);
	greedy_us = (now_s() - t0) / ((double)eps * cells) * 1e6;
	t0 = now_s();
	ddpqn_dp_ref(env, 2000, NULL, 0, place, &st);
	ref_s = now_s() - t0;
	printf("{\"bench\": \"ddpqn\", \"model\": \"%s\", \"tasks\": %u, \"layers\": %u, "
	       "\"step_us\": %.3f, \"greedy_decision_us\": %.3f, \"greedy_over_step\": %.2f, "
	       "\"dp_solve_ms\": %.3f, \"dp_ref_2000_evals_s\": %.3f, "
	       "\"us_per_scored_step\": %.3f}\n", model, tasks, g->n, step_us, greedy_us,
	       greedy_us / step_us, dp_ms, ref_s, ref_s * 1e6 / ((double)st.evals * cells + cells));
	free(place);
	ddpqn_env_destroy(env);
	free(g);
	return 0;
}

int main(void)
{
	int rc = 0;

	for (unsigned m = 0; m < 4; m++) {
		rc |= bench(models[m], 1);
		rc |= bench(models[m], 10);
	}
	return rc;
}
