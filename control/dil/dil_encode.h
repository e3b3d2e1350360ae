/* SPDX-License-Identifier: MIT */
/*
 * What the DIOS network sees and emits (docs/dil.md, "Encoding").
 *
 * Features, 2T + 5 floats, each scaled to about [0, 1] by the parameter
 * ranges so that no input dominates the first layer:
 *   [0, T)        work_cycles[t], (xi - min) / (max - min)
 *   [T, 2T+1)     data_bytes[t] (d_{t,t+1}, t = 0..T), same scaling
 *   2T+1          spectral efficiency log2(1 + snr) / 10
 *   2T+2          allocated subcarriers m / N
 *   2T+3          allocated cores n / M
 *   2T+4          wired delay, (W - W_min) / (W_max - W_min)
 *
 * Labels, 3T floats: one-hot per sub-task, [3t + l] = 1 for location l.
 * Trained with independent sigmoids and binary cross-entropy (the seed's
 * multi-label network) and decoded per sub-task by the arg max of its three
 * outputs, so every output decodes to a valid placement.
 */
#ifndef EDGESTEER_DIL_ENCODE_H
#define EDGESTEER_DIL_ENCODE_H

#include <stdint.h>

#include "dil_env.h"

static inline uint32_t dil_feature_count(uint32_t tasks)
{
	return 2 * tasks + 5;
}

/*
 * What a network is fed. RAW: the state as above. COST: the same state
 * through the model, 6T + 3 floats: each sub-task's execution cost at the
 * three locations (3T), then for each of the T + 1 data items the cost of
 * its uplink, downlink and wired hop (3(T + 1)), each as
 * log(1 + cost / S) with S the sample's all-local execution cost. The
 * optimal placement does not change when every cost is scaled, so S
 * removes the scale and the log keeps deep fades finite
 * (docs/dil.md, "DIOS").
 */
enum dil_features {
	DIL_FEAT_RAW = 0,
	DIL_FEAT_COST = 1,
};

static inline uint32_t dil_features_count(enum dil_features f, uint32_t tasks)
{
	return f == DIL_FEAT_COST ? 6 * tasks + 3 : dil_feature_count(tasks);
}

/* @x gets dil_features_count(DIL_FEAT_COST, c->tasks) floats. */
void dil_encode_cost_features(const struct dil_costs *c, float *x);

static inline uint32_t dil_label_count(uint32_t tasks)
{
	return DIL_NLOC * tasks;
}

/* @x gets dil_feature_count(s->tasks) floats. */
void dil_encode_features(const struct dil_params *p, const struct dil_sample *s,
			 float *x);
/* @y gets dil_label_count(tasks) floats from @place. */
void dil_encode_labels(uint32_t tasks, const uint8_t *place, float *y);
/*
 * Arg max of each sub-task's three outputs (ties to the lower location),
 * the inverse of dil_encode_labels on a one-hot input.
 */
void dil_decode_argmax(uint32_t tasks, const float *y, uint8_t *place);

/*
 * The locations a decoder keeps for each sub-task: those whose output is
 * within @margin of the sub-task's best (the arg max always). @margin 0
 * keeps the arg max alone (ties: all tied), 1 keeps all three. With
 * dil_solve_dp_masked this is the DP-repaired decoder: the cheapest chain
 * among the network's plausible choices, never dearer than the arg max.
 */
void dil_decode_mask(uint32_t tasks, const float *y, float margin,
		     uint8_t *mask);

#endif /* EDGESTEER_DIL_ENCODE_H */
