/* SPDX-License-Identifier: MIT */
/*
 * Placement solvers over one sample's cost tables (dil_env.h): the exact
 * ones that label the demonstrations (exhaustive search over 3^T, and the
 * dynamic programme over (sub-task, location) that agrees with it and scales
 * linearly in T), and the seed's greedy baseline (GOS).
 *
 * Ties go to the lower location (local < edge < cloud) at the earliest
 * sub-task, so the two exact solvers return the same labels whenever their
 * sums agree to the last bit.
 */
#ifndef EDGESTEER_DIL_SOLVE_H
#define EDGESTEER_DIL_SOLVE_H

#include <stdint.h>

#include "dil_env.h"

/* 3^16 = 43 million placements is the most exhaustive search accepts. */
#define DIL_EXHAUSTIVE_MAX 16u

/* Optimal @place[0..T-1]; returns the optimal cost, or -EINVAL (as a
 * negative double) when T > DIL_EXHAUSTIVE_MAX. */
double dil_solve_exhaustive(const struct dil_costs *c, uint8_t *place);
/* Optimal @place[0..T-1] in O(9 T); returns the optimal cost. */
double dil_solve_dp(const struct dil_costs *c, uint8_t *place);
/*
 * The DP restricted to the locations in @mask[t] (bit l set: location l
 * allowed for sub-task t; at least one bit each): the exact repair of a
 * learned decoder's output (dil_encode.h, dil_decode_mask). Returns the
 * cost, or -EINVAL (as a negative double) when a mask is empty.
 */
#define DIL_MASK_ALL ((1u << DIL_NLOC) - 1)
double dil_solve_dp_masked(const struct dil_costs *c, const uint8_t *mask,
			   uint8_t *place);
/*
 * GOS: sub-task by sub-task, the location that is cheapest now given where
 * the previous one ran (its execution plus moving its input there; for the
 * last sub-task also returning the output). It never looks ahead, so it pays
 * for moves that a later sub-task undoes. Returns its cost.
 */
double dil_solve_greedy(const struct dil_costs *c, uint8_t *place);

#endif /* EDGESTEER_DIL_SOLVE_H */
