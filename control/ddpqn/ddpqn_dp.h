/* SPDX-License-Identifier: MIT */
/*
 * The reference placement dp_ref. Without queueing, one task's delay is its
 * critical path and its energy and cost are sums over layers and edges, so
 * a dynamic programme over (cut point, server) finds the EXACT minimum of
 * that additive part: between two cut points a segment is a set of parallel
 * chains, and the max over chains of the delay is minimised exactly by
 * sweeping a delay threshold. H, Z and queueing are not additive: dp_ref
 * scores the DP placement (the same for every task) under the full
 * objective and improves it by local search, which is NOT exact.
 */
#ifndef EDGESTEER_DDPQN_DP_H
#define EDGESTEER_DDPQN_DP_H

#include <stdint.h>

#include "ddpqn_env.h"

#define DDPQN_DP_MAX_BRANCH 4	/* layers in one parallel chain */

/*
 * Exact minimum of one task's additive objective (the `additive` total of
 * ddpqn_env_run with unlimited pools, for one task). Writes a minimising
 * placement to @place (one server per layer). -ENOTSUP when a segment is
 * not parallel chains of at most DDPQN_DP_MAX_BRANCH layers.
 */
int ddpqn_dp_solve(const struct ddpqn_env *env, uint8_t *place, double *value);

struct ddpqn_ref_stats {
	double dp_additive;		/* the exact one-task minimum */
	struct ddpqn_totals dp_full;	/* best DP start, full objective */
	struct ddpqn_totals ref;	/* after local search */
	unsigned evals, moves;
	int start;			/* -2 DP as is, -1 DP rotated, k: starts[k] */
};

/*
 * dp_ref: the DP placement given to every task, as it is and rotated over
 * the servers of each kind (task i one rank slower per kind, modulo), and
 * the caller's @starts (tasks x layers each, e.g. the baselines'), scored
 * under the full objective; from the best, first-improvement local search
 * (moves: all of a task's layers on one server to another; a task's layers
 * from one on, to one server; one layer to another server) until no move
 * improves or @max_evals placements were scored. Writes it to @place.
 */
int ddpqn_dp_ref(struct ddpqn_env *env, unsigned max_evals,
		 const uint8_t *const *starts, unsigned nstarts, uint8_t *place,
		 struct ddpqn_ref_stats *st);

#endif /* EDGESTEER_DDPQN_DP_H */
