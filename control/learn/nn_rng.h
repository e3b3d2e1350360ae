/* SPDX-License-Identifier: MIT */
/*
 * nn_rng: the learning core's own seeded PRNG (xoshiro256**, seeded through
 * splitmix64). Every random choice of a learned policy (initial weights,
 * replay sampling, exploration) draws from one of these, so a run is
 * reproducible from its seed on any libc; rand() is never used.
 */
#ifndef EDGESTEER_NN_RNG_H
#define EDGESTEER_NN_RNG_H

#include <stdint.h>

/* Plain state so it can live inside other structs; touch it only here. */
struct nn_rng {
	uint64_t s[4];
};

void nn_rng_seed(struct nn_rng *r, uint64_t seed);
uint64_t nn_rng_next(struct nn_rng *r);
/* Uniform in [0, 1), 53 bits. */
double nn_rng_uniform(struct nn_rng *r);
/* Uniform integer in [0, n), unbiased; n > 0. */
uint32_t nn_rng_below(struct nn_rng *r, uint32_t n);
/* Standard normal (Box-Muller). */
double nn_rng_normal(struct nn_rng *r);

#endif /* EDGESTEER_NN_RNG_H */
