/* SPDX-License-Identifier: MIT */
#include "dil_solve.h"

#include <errno.h>

/*
 * The forward pass shared by the DP and greedy: each sub-task in turn takes
 * the location minimising its move, its execution and a look-ahead, ties to
 * the lower location. The DP looks ahead with the exact cost-to-go @togo;
 * greedy (@togo NULL) sees only the return of the output at the last step.
 * Only locations in @mask[t] (NULL: all) are considered. The cost is summed
 * in the order dil_costs_total() uses, so equal placements give bit-equal
 * costs.
 */
static double forward(const struct dil_costs *c,
		      const double (*togo)[DIL_NLOC], const uint8_t *mask,
		      uint8_t *place)
{
	uint32_t T = c->tasks;
	unsigned prev = DIL_LOCAL;
	double sum = 0;

	for (uint32_t t = 0; t < T; t++) {
		unsigned pick = DIL_NLOC;
		double best = 0;

		for (unsigned b = 0; b < DIL_NLOC; b++) {
			double v = c->move[t][prev][b] + c->exec[t][b];

			if (mask && !(mask[t] & (1u << b)))
				continue;
			if (togo)
				v += togo[t + 1][b];
			else if (t + 1 == T)
				v += c->move[T][b][DIL_LOCAL];
			if (pick == DIL_NLOC || v < best) {
				best = v;
				pick = b;
			}
		}
		place[t] = (uint8_t)pick;
		sum += c->move[t][prev][pick] + c->exec[t][pick];
		prev = pick;
	}
	return sum + c->move[T][prev][DIL_LOCAL];
}

double dil_solve_exhaustive(const struct dil_costs *c, uint8_t *place)
{
	uint32_t T = c->tasks;
	uint8_t cur[DIL_EXHAUSTIVE_MAX] = { 0 };
	double best = 0;
	int have = 0;

	if (T > DIL_EXHAUSTIVE_MAX)
		return -EINVAL;
	/* Odometer over 3^T in lexicographic order (sub-task 0 most
	 * significant), keeping the first minimum: the tie rule of the DP. */
	for (;;) {
		double v = dil_costs_total(c, cur);

		if (!have || v < best) {
			best = v;
			have = 1;
			for (uint32_t t = 0; t < T; t++)
				place[t] = cur[t];
		}
		uint32_t t = T;
		while (t > 0 && cur[t - 1] == DIL_NLOC - 1)
			cur[--t] = 0;
		if (t == 0)
			break;
		cur[t - 1]++;
	}
	return best;
}

double dil_solve_dp_masked(const struct dil_costs *c, const uint8_t *mask,
			  uint8_t *place)
{
	uint32_t T = c->tasks;
	/* togo[t][a]: the cheapest cost of sub-tasks t..T-1 and the return,
	 * given that sub-task t-1 ran at a (sub-task -1 is the device). A
	 * backward pass, so that the forward pass can break ties towards
	 * the earliest sub-task the way the exhaustive odometer does. */
	double togo[DIL_TASKS_MAX + 1][DIL_NLOC];

	for (uint32_t t = 0; mask && t < T; t++)
		if (!(mask[t] & DIL_MASK_ALL))
			return -EINVAL;
	for (unsigned a = 0; a < DIL_NLOC; a++)
		togo[T][a] = c->move[T][a][DIL_LOCAL];
	for (uint32_t t = T; t-- > 0;) {
		for (unsigned a = 0; a < DIL_NLOC; a++) {
			int have = 0;
			double best = 0;

			for (unsigned b = 0; b < DIL_NLOC; b++) {
				double v = c->move[t][a][b] + c->exec[t][b] +
					   togo[t + 1][b];

				if (mask && !(mask[t] & (1u << b)))
					continue;
				if (!have || v < best)
					best = v;
				have = 1;
			}
			togo[t][a] = best;
		}
	}
	return forward(c, togo, mask, place);
}

double dil_solve_dp(const struct dil_costs *c, uint8_t *place)
{
	return dil_solve_dp_masked(c, NULL, place);
}

double dil_solve_greedy(const struct dil_costs *c, uint8_t *place)
{
	return forward(c, NULL, NULL, place);
}
