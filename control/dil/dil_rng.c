/* SPDX-License-Identifier: MIT */
#include "dil_rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void dil_rng_seed(struct dil_rng *r, uint64_t seed, uint64_t stream)
{
	/* Mix the stream in through a second splitmix so that seed + 1 and
	 * stream + 1 do not land on overlapping sequences. */
	uint64_t x = seed;
	uint64_t y = splitmix64(&x) ^ stream;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&y);
}

uint64_t dil_rng_next(struct dil_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double dil_rng_unit(struct dil_rng *r)
{
	return (double)(dil_rng_next(r) >> 11) * 0x1.0p-53;
}

double dil_rng_uniform(struct dil_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * dil_rng_unit(r);
}

uint32_t dil_rng_int(struct dil_rng *r, uint32_t lo, uint32_t hi)
{
	uint64_t span = (uint64_t)hi - lo + 1;

	/* Multiply-shift: the bias is below 2^-32 for spans under 2^32. */
	return lo + (uint32_t)(((dil_rng_next(r) >> 32) * span) >> 32);
}

double dil_rng_exp1(struct dil_rng *r)
{
	/* 1 - u is in (0, 1], so the log is finite. */
	return -log(1.0 - dil_rng_unit(r));
}
