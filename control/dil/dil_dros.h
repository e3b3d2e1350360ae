/* SPDX-License-Identifier: MIT */
/*
 * DROS, the seed's deep-reinforcement-learning baseline, on the learning
 * core: a double DQN that places the sub-tasks one after another. The state
 * is the sample's features (dil_encode.h), the index of the sub-task to
 * place (one-hot) and where the previous one ran (one-hot); the action is
 * the location of this sub-task; the reward is minus the cost it adds
 * (moving its input, running it and, for the last one, returning the
 * output) over the sample's all-local execution cost. Undiscounted: the
 * return is minus the chain's whole cost. It learns from rewards alone and
 * never sees the optimal labels. Transitions go to an nn_replay memory; a
 * target network is copied from the online one on a schedule.
 */
#ifndef EDGESTEER_DIL_DROS_H
#define EDGESTEER_DIL_DROS_H

#include <stdint.h>

#include "dil_encode.h"
#include "dil_eval.h"
#include "dil_set.h"
#include "nn.h"

struct dil_dros_config {
	uint32_t tasks;
	enum dil_features features;
	uint32_t hidden[2];		/* two ReLU layers, linear Q outputs */
	uint32_t episodes;		/* one episode = one sample's chain */
	uint32_t memory;		/* replay transitions */
	uint32_t batch;
	uint32_t train_every;		/* transitions between Adam steps */
	uint32_t target_every;		/* Adam steps between target copies */
	float eps_start, eps_end;	/* epsilon-greedy, linear over */
	float eps_decay_frac;		/* this share of the episodes */
	struct nn_adam adam;
	float lr_final;			/* geometric decay over the episodes */
	uint64_t seed;
};

void dil_dros_config_default(struct dil_dros_config *c, uint32_t tasks);

struct dil_dros;

int dil_dros_create(struct dil_dros **out, const struct dil_dros_config *c);
void dil_dros_free(struct dil_dros *d);

/* Called every 1% of the episodes (may be NULL): done, total, mean
 * episode cost ratio to all-local over the last stretch. */
typedef void dil_dros_progress_fn(void *arg, uint32_t done, uint32_t total,
				  double cost);

/*
 * Trains from fresh weights on episodes drawn from @set's samples in turn
 * (their labels are not used). Returns 0, -EINVAL (T differs) or -ENOMEM.
 */
int dil_dros_train(struct dil_dros *d, const struct dil_set *set,
		   dil_dros_progress_fn *progress, void *arg);

/* Greedy placement: T forward passes. 0 or -EINVAL (T differs). */
int dil_dros_place(struct dil_dros *d, const struct dil_params *p,
		   const struct dil_sample *s, uint8_t *place);

/* nn_file with the online network; load refuses other shapes (-EDOM). */
int dil_dros_save(struct dil_dros *d, const char *path);
int dil_dros_load(struct dil_dros *d, const char *path);

/* A scheme over @d (not owned). */
int dil_scheme_dros(struct dil_dros *d, struct dil_scheme *out);

/*
 * int8 inference (nn_quant.h): an int8 copy of the Q-network, made or
 * refreshed from the float one; save records it, loading an int8 file
 * makes it. The scheme on it: dil_scheme_dros_mode(d, 1, out) (-EINVAL
 * before dil_dros_quantize).
 */
int dil_dros_quantize(struct dil_dros *d);
int dil_scheme_dros_mode(struct dil_dros *d, int quant, struct dil_scheme *out);

#endif /* EDGESTEER_DIL_DROS_H */
