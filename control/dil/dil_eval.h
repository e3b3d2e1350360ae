/* SPDX-License-Identifier: MIT */
/*
 * Offloading schemes and the harness that scores them on a held-out
 * demonstration set.
 *
 * A scheme is a decide function over one sample. The seed's baselines that
 * need no learning are here (OOS, LOS, EOS, COS, ROS, GOS); the learned
 * ones (DIOS, SOS, DROS) plug in as more struct dil_scheme values once the
 * learning core exists: ctx holds the network, decide encodes the sample's
 * features (dil_encode.h), runs one forward pass and decodes the outputs.
 */
#ifndef EDGESTEER_DIL_EVAL_H
#define EDGESTEER_DIL_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "dil_env.h"
#include "dil_set.h"

struct dil_scheme {
	const char *name;
	void *ctx;
	/* Fills @place[0..s->tasks-1]; 0 or -errno. */
	int (*decide)(void *ctx, const struct dil_params *p,
		      const struct dil_sample *s, uint8_t *place);
	void (*destroy)(void *ctx);	/* may be NULL */
};

/* The seed's baselines, in the order of its figures. */
extern const char *const dil_baseline_names[];	/* NULL-terminated */
/*
 * Sets up baseline @name ("OOS", "LOS", "EOS", "COS", "ROS", "GOS"); ROS
 * draws from @seed. Returns 0, -ENOENT (no such baseline) or -ENOMEM.
 */
int dil_scheme_baseline(const char *name, uint64_t seed, struct dil_scheme *out);
void dil_scheme_destroy(struct dil_scheme *s);

struct dil_eval_result {
	size_t samples;
	/* The seed's multi-label accuracy: labels equal to the optimal ones
	 * over all labels. */
	double accuracy;
	double mean_cost;
	double mean_opt_cost;
	double cost_ratio;		/* mean_cost / mean_opt_cost */
	/* The time alone (seconds: execution and transfers, the cost with
	 * energy_weight and every price 0) of the placements chosen, and of
	 * the optimal ones (optimal for the cost, not for the time): the
	 * seed's Fig. 5. */
	double mean_time_s, mean_opt_time_s;
	/* Per-sample regret cost / optimal - 1: its distribution, and the
	 * share of samples placed at the optimal cost (regret < 1e-9). */
	double regret_mean, regret_p50, regret_p90, regret_p99, regret_max;
	double optimal_fraction;
	double us_per_decision;		/* decide only, wall clock */
	/* The same in this thread's CPU time: what the decisions cost when
	 * other processes share the cores (the wall clock counts their
	 * slices too). */
	double us_per_decision_cpu;
};

/*
 * Runs @sch on every sample of @set (timing the decisions alone), then
 * scores them. Returns 0, the scheme's error, -ENOMEM, or -ERANGE when a
 * scheme returns a location outside local/edge/cloud.
 */
int dil_eval_run(const struct dil_scheme *sch, const struct dil_set *set,
		 struct dil_eval_result *res);
/*
 * The same for two schemes (@b may be NULL) on the same samples, decided
 * in alternating blocks of 256 (a first, then b first), so that both
 * timings see the same machine: a float network against its int8 copy.
 */
int dil_eval_run_pair(const struct dil_scheme *a, const struct dil_scheme *b,
		      const struct dil_set *set, struct dil_eval_result *ra,
		      struct dil_eval_result *rb);

/*
 * Always the most frequent class of @set's optimal labels: its class and
 * its multi-label accuracy (the floor a learned scheme must clear).
 */
double dil_eval_majority(const struct dil_set *set, unsigned *cls);

#endif /* EDGESTEER_DIL_EVAL_H */
