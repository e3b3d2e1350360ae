/* SPDX-License-Identifier: MIT */
/*
 * Solvers of the Pre-DNNOff placement problem on a struct pdo_cost: the
 * exact dynamic programme over the layer tree, the paper's genetic
 * algorithm (and a variant), Edgent's rule and the simple baselines.
 */
#ifndef EDGESTEER_PDO_SOLVE_H
#define EDGESTEER_PDO_SOLVE_H

#include <stdint.h>

#include "pdo_cost.h"

/*
 * Exact: DP over (layer, site, sites used on the path so far). The set is
 * only needed for per-task loading intercepts; with loading once it stays
 * but costs nothing. Writes the optimal placement and its latency.
 */
int pdo_dp_solve(const struct pdo_cost *c, uint8_t *loc, double *ms);

struct pdo_ga_stats {
	double best_ms;			/* over the runs */
	double mean_ms;			/* of the runs' best */
	double worst_ms;
	uint32_t runs;
	uint32_t hits;			/* runs within 1e-9 relative of @target_ms */
	uint32_t gen_of_best;		/* generation where the best run found it */
	uint8_t loc[PDO_MAX_LAYERS];	/* the best placement */
};

/* One GA run: the best placement seen and its latency. */
int pdo_ga_run(const struct pdo_cost *c, const struct pdo_ga_conf *conf, uint64_t seed,
	       uint8_t *loc, double *ms, uint32_t *gen_found);
/* conf->runs runs seeded seed, seed+1, ...; @target_ms is the exact optimum. */
int pdo_ga_repeat(const struct pdo_cost *c, const struct pdo_ga_conf *conf, uint64_t seed,
		  double target_ms, struct pdo_ga_stats *st);

/* Every layer on one site. */
double pdo_all_on_ms(const struct pdo_cost *c, unsigned int site);
/* Mean over @samples uniformly random placements. */
double pdo_random_ms(const struct pdo_cost *c, uint32_t samples, uint64_t seed);

struct pdo_edgent {
	double ms;			/* Edgent's rule, averaged over d(ac) */
	double min_ms;			/* accuracy-aware reading: least exit meeting ac */
	uint32_t choice[PDO_MAX_EXITS + 1];	/* [j]: exit used for ac in exit j's band */
	uint32_t cut[PDO_MAX_EXITS + 1];	/* [k]: device layers on exit k's path */
	double exit_ms[PDO_MAX_EXITS + 1];	/* [k]: exit k at its best cut */
};

/*
 * Edgent (Li et al. 2018): per exit, the one device -> edge partition point
 * of least latency; per task, the most accurate exit meeting both the
 * accuracy requirement and @bound_ms (the fastest satisfying exit when none
 * meets the bound). @prob is d(ac)'s mass per exit band.
 */
int pdo_edgent_solve(const struct pdo_cost *c, const double *prob, double bound_ms,
		     struct pdo_edgent *e);

/* The path of exit k, root first; returns its length. */
uint32_t pdo_exit_path(const struct pdo_cost *c, unsigned int k, int16_t *path);

/*
 * What a DECISION carries for one exit of a placement: the target of the
 * first layer off the device, how many layers of the exit's path run on
 * the device before it (split_layer), and the exit (0 = the main exit).
 */
struct pdo_decision {
	uint8_t target;			/* enum pdo_site: device = LOCAL */
	uint8_t exit;
	uint16_t split;
};

void pdo_decision_of(const struct pdo_cost *c, const uint8_t *loc, unsigned int k,
		     struct pdo_decision *d);
/* The exit that serves most tasks under the cost's distribution. */
unsigned int pdo_modal_exit(const struct pdo_cost *c);

#endif /* EDGESTEER_PDO_SOLVE_H */
