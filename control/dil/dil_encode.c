/* SPDX-License-Identifier: MIT */
#include "dil_encode.h"

#include <math.h>

static float scale(double v, double lo, double hi)
{
	/* A degenerate range (lo == hi) is a constant input: 0. */
	return hi > lo ? (float)((v - lo) / (hi - lo)) : 0.0f;
}

void dil_encode_features(const struct dil_params *p, const struct dil_sample *s,
			 float *x)
{
	uint32_t T = s->tasks;

	for (uint32_t t = 0; t < T; t++)
		x[t] = scale(s->work_cycles[t], p->work_min_cycles,
			     p->work_max_cycles);
	for (uint32_t t = 0; t <= T; t++)
		x[T + t] = scale(s->data_bytes[t], p->data_min_bytes,
				 p->data_max_bytes);
	/* The rate, not the SNR in dB: the costs are linear in 1/rate and
	 * log2(1 + snr) stays finite in a deep fade. */
	x[2 * T + 1] = (float)(log2(1.0 + s->snr) / 10.0);
	x[2 * T + 2] = (float)(s->subcarriers / p->subcarriers);
	x[2 * T + 3] = (float)(s->cores / p->edge_cores);
	x[2 * T + 4] = scale(s->wired_delay_s, p->wired_delay_min_s,
			     p->wired_delay_max_s);
}

void dil_encode_cost_features(const struct dil_costs *c, float *x)
{
	uint32_t T = c->tasks;
	double S = 0;

	for (uint32_t t = 0; t < T; t++)
		S += c->exec[t][DIL_LOCAL];
	/* Workloads are positive (dil_params_check), so S > 0. */
	for (uint32_t t = 0; t < T; t++)
		for (unsigned l = 0; l < DIL_NLOC; l++)
			*x++ = (float)log1p(c->exec[t][l] / S);
	for (uint32_t t = 0; t <= T; t++) {
		*x++ = (float)log1p(c->move[t][DIL_LOCAL][DIL_EDGE] / S);
		*x++ = (float)log1p(c->move[t][DIL_EDGE][DIL_LOCAL] / S);
		*x++ = (float)log1p(c->move[t][DIL_EDGE][DIL_CLOUD] / S);
	}
}

void dil_encode_labels(uint32_t tasks, const uint8_t *place, float *y)
{
	for (uint32_t t = 0; t < tasks; t++)
		for (unsigned l = 0; l < DIL_NLOC; l++)
			y[DIL_NLOC * t + l] = place[t] == l ? 1.0f : 0.0f;
}

void dil_decode_argmax(uint32_t tasks, const float *y, uint8_t *place)
{
	for (uint32_t t = 0; t < tasks; t++) {
		const float *v = y + DIL_NLOC * t;
		unsigned best = 0;

		for (unsigned l = 1; l < DIL_NLOC; l++)
			if (v[l] > v[best])
				best = l;
		place[t] = (uint8_t)best;
	}
}

void dil_decode_mask(uint32_t tasks, const float *y, float margin,
		     uint8_t *mask)
{
	for (uint32_t t = 0; t < tasks; t++) {
		const float *v = y + DIL_NLOC * t;
		float best = v[0];

		for (unsigned l = 1; l < DIL_NLOC; l++)
			if (v[l] > best)
				best = v[l];
		mask[t] = 0;
		for (unsigned l = 0; l < DIL_NLOC; l++)
			if (v[l] >= best - margin)
				mask[t] |= (uint8_t)(1u << l);
	}
}
