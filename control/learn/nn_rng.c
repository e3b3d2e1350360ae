/* SPDX-License-Identifier: MIT */
#include "nn_rng.h"

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

void nn_rng_seed(struct nn_rng *r, uint64_t seed)
{
	/* splitmix64 never yields four zero words, the one bad xoshiro state. */
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t nn_rng_next(struct nn_rng *r)
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

double nn_rng_uniform(struct nn_rng *r)
{
	return (double)(nn_rng_next(r) >> 11) * 0x1.0p-53;
}

uint32_t nn_rng_below(struct nn_rng *r, uint32_t n)
{
	/* Lemire's multiply-shift with rejection of the biased low slice. */
	uint64_t m = (uint64_t)(uint32_t)(nn_rng_next(r) >> 32) * n;
	uint32_t lo = (uint32_t)m;

	if (lo < n) {
		uint32_t thresh = (uint32_t)-n % n;

		while (lo < thresh) {
			m = (uint64_t)(uint32_t)(nn_rng_next(r) >> 32) * n;
			lo = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

double nn_rng_normal(struct nn_rng *r)
{
	double u1 = 1.0 - nn_rng_uniform(r);	/* (0, 1]: log() stays finite */
	double u2 = nn_rng_uniform(r);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
