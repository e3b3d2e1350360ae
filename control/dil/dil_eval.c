/* SPDX-License-Identifier: MIT */
#include "dil_eval.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn_rng.h"
#include "dil_solve.h"

const char *const dil_baseline_names[] = {
	"OOS", "LOS", "EOS", "COS", "ROS", "GOS", NULL,
};

/* Per-scheme scratch: cost tables for the solvers, a stream for ROS. */
struct baseline {
	unsigned kind;			/* index into dil_baseline_names */
	struct nn_rng rng;
	struct dil_costs costs;
};

enum { B_OOS, B_LOS, B_EOS, B_COS, B_ROS, B_GOS };

static int baseline_decide(void *ctx, const struct dil_params *p,
			   const struct dil_sample *s, uint8_t *place)
{
	struct baseline *b = ctx;
	static const uint8_t whole[] = {
		[B_LOS] = DIL_LOCAL, [B_EOS] = DIL_EDGE, [B_COS] = DIL_CLOUD,
	};

	switch (b->kind) {
	case B_OOS:
		dil_costs_build(p, s, &b->costs);
		dil_solve_dp(&b->costs, place);
		return 0;
	case B_GOS:
		dil_costs_build(p, s, &b->costs);
		dil_solve_greedy(&b->costs, place);
		return 0;
	case B_ROS:
		for (uint32_t t = 0; t < s->tasks; t++)
			place[t] = (uint8_t)nn_rng_int(&b->rng, 0,
							DIL_NLOC - 1);
		return 0;
	default:
		memset(place, whole[b->kind], s->tasks);
		return 0;
	}
}

int dil_scheme_baseline(const char *name, uint64_t seed, struct dil_scheme *out)
{
	struct baseline *b;

	for (unsigned k = 0; dil_baseline_names[k]; k++) {
		if (strcmp(name, dil_baseline_names[k]))
			continue;
		b = malloc(sizeof(*b));
		if (!b)
			return -ENOMEM;
		b->kind = k;
		/* A stream of its own, apart from the samples' streams. */
		nn_rng_seed_stream(&b->rng, seed, UINT64_MAX);
		*out = (struct dil_scheme){
			.name = dil_baseline_names[k],
			.ctx = b,
			.decide = baseline_decide,
			.destroy = free,
		};
		return 0;
	}
	return -ENOENT;
}

void dil_scheme_destroy(struct dil_scheme *s)
{
	if (s->destroy)
		s->destroy(s->ctx);
	s->ctx = NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted @v. */
static double percentile(const double *v, size_t n, double q)
{
	size_t k = (size_t)(q * (double)n + 0.999999999);

	return v[k ? (k > n ? n : k) - 1 : 0];
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Scores the placements @place ([count][T]) of @set into @res (all but
 * the timings). */
static int score(const struct dil_set *set, const uint8_t *place,
		 struct dil_eval_result *res)
{
	const struct dil_params *p = &set->params;
	size_t T = p->tasks, n = set->count, right = 0, optimal = 0;
	struct dil_costs *c = malloc(sizeof(*c));
	struct dil_costs *ct = malloc(sizeof(*ct));
	struct dil_params pt = *p;
	double *regret = malloc(n * sizeof(double));
	double sum = 0, time = 0, time_opt = 0, sum_opt = 0, sum_regret = 0;
	int rc;

	pt.energy_weight = 0;
	pt.price_radio = pt.price_edge = pt.price_wired = pt.price_cloud = 0;
	if (!c || !ct || !regret) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *pl = place + i * T, *opt = dil_set_labels(set, i);
		struct dil_sample s;
		double cost;

		for (size_t t = 0; t < T; t++) {
			if (pl[t] >= DIL_NLOC) {
				rc = -ERANGE;
				goto out;
			}
			right += pl[t] == opt[t];
		}
		dil_set_sample(set, i, &s);
		dil_costs_build(p, &s, c);
		cost = dil_costs_total(c, pl);
		dil_costs_build(&pt, &s, ct);
		time += dil_costs_total(ct, pl);
		time_opt += dil_costs_total(ct, opt);
		sum += cost;
		sum_opt += set->opt_cost[i];
		regret[i] = cost / set->opt_cost[i] - 1.0;
		/* The DP's own placement sums in the same order: exactly 0. */
		if (regret[i] < 1e-9)
			optimal++;
		sum_regret += regret[i];
	}
	qsort(regret, n, sizeof(double), cmp_double);
	res->samples = n;
	res->accuracy = (double)right / (double)(n * T);
	res->mean_cost = sum / (double)n;
	res->mean_opt_cost = sum_opt / (double)n;
	res->cost_ratio = sum / sum_opt;
	res->mean_time_s = time / (double)n;
	res->mean_opt_time_s = time_opt / (double)n;
	res->regret_mean = sum_regret / (double)n;
	res->regret_p50 = percentile(regret, n, 0.50);
	res->regret_p90 = percentile(regret, n, 0.90);
	res->regret_p99 = percentile(regret, n, 0.99);
	res->regret_max = regret[n - 1];
	res->optimal_fraction = (double)optimal / (double)n;
	rc = 0;
out:
	free(regret);
	free(ct);
	free(c);
	return rc;
}

/*
 * Decides samples [from, to) with @sch into @place, adding the wall and
 * thread CPU seconds to @wall and @cpu.
 */
static int decide_range(const struct dil_scheme *sch, const struct dil_set *set,
			size_t from, size_t to, uint8_t *place, double *wall,
			double *cpu)
{
	const size_t T = set->params.tasks;
	const double t0 = clock_s(CLOCK_MONOTONIC);
	const double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);

	for (size_t i = from; i < to; i++) {
		struct dil_sample s;
		int rc;

		dil_set_sample(set, i, &s);
		rc = sch->decide(sch->ctx, &set->params, &s, place + i * T);
		if (rc)
			return rc;
	}
	*cpu += clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	*wall += clock_s(CLOCK_MONOTONIC) - t0;
	return 0;
}

/* Interleaving block of dil_eval_run_pair: long enough that the clock
 * reads cost nothing, short enough that both see the same load. */
#define PAIR_BLOCK	256u

int dil_eval_run_pair(const struct dil_scheme *a, const struct dil_scheme *b,
		      const struct dil_set *set, struct dil_eval_result *ra,
		      struct dil_eval_result *rb)
{
	const struct dil_scheme *sch[2] = { a, b };
	struct dil_eval_result *res[2] = { ra, rb };
	const size_t n = set->count, T = set->params.tasks;
	uint8_t *place[2] = { malloc(n * T), b ? malloc(n * T) : NULL };
	double wall[2] = { 0, 0 }, cpu[2] = { 0, 0 };
	const unsigned ns = b ? 2 : 1;
	int rc = -ENOMEM;

	if (!place[0] || (b && !place[1]))
		goto out;
	for (size_t from = 0, blk = 0; from < n; from += PAIR_BLOCK, blk++) {
		const size_t to = n - from < PAIR_BLOCK ? n : from + PAIR_BLOCK;

		/* a then b on even blocks, b then a on odd ones */
		for (unsigned k = 0; k < ns; k++) {
			const unsigned w = (unsigned)(k ^ (blk & 1)) % ns;

			rc = decide_range(sch[w], set, from, to, place[w],
					  &wall[w], &cpu[w]);
			if (rc)
				goto out;
		}
	}
	for (unsigned w = 0; w < ns; w++) {
		rc = score(set, place[w], res[w]);
		if (rc)
			goto out;
		res[w]->us_per_decision = wall[w] * 1e6 / (double)n;
		res[w]->us_per_decision_cpu = cpu[w] * 1e6 / (double)n;
	}
out:
	free(place[0]);
	free(place[1]);
	return rc;
}

int dil_eval_run(const struct dil_scheme *sch, const struct dil_set *set,
		 struct dil_eval_result *res)
{
	return dil_eval_run_pair(sch, NULL, set, res, NULL);
}

double dil_eval_majority(const struct dil_set *set, unsigned *cls)
{
	double shares[DIL_NLOC];
	unsigned best = 0;

	dil_set_class_shares(set, shares);
	for (unsigned l = 1; l < DIL_NLOC; l++)
		if (shares[l] > shares[best])
			best = l;
	*cls = best;
	return shares[best];
}
