/* SPDX-License-Identifier: MIT */
/*
 * The DIL environment's own PRNG: xoshiro256** seeded through splitmix64.
 * Own code rather than rand()/random() so that a (seed, index) pair gives the
 * same sample on every libc and every machine, which the demonstration files
 * and the reproducibility tests rely on.
 */
#ifndef EDGESTEER_DIL_RNG_H
#define EDGESTEER_DIL_RNG_H

#include <stdint.h>

struct dil_rng {
	uint64_t s[4];
};

/* Seeds @r from (@seed, @stream): distinct streams are independent. */
void dil_rng_seed(struct dil_rng *r, uint64_t seed, uint64_t stream);
uint64_t dil_rng_next(struct dil_rng *r);
/* Uniform in [0, 1), 53 bits. */
double dil_rng_unit(struct dil_rng *r);
/* Uniform in [lo, hi). */
double dil_rng_uniform(struct dil_rng *r, double lo, double hi);
/* Uniform integer in [lo, hi], both inclusive, hi - lo < 2^32. */
uint32_t dil_rng_int(struct dil_rng *r, uint32_t lo, uint32_t hi);
/* Exponential with mean 1: |h|^2 of a unit-power Rayleigh channel. */
double dil_rng_exp1(struct dil_rng *r);

#endif /* EDGESTEER_DIL_RNG_H */
