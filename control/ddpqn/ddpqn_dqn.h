/* SPDX-License-Identifier: MIT */
/*
 * The DQN family of DDPQN (seed 004) on the shared learning core: DQN,
 * Double, Dueling, prioritised replay and their combinations up to DDPQN
 * (double + dueling + PER), one struct ddpqn_dqn_config each
 * (ddpqn_dqn_variant). The network is 42 -> 50 -> 20 -> 11 (plain) or
 * -> 12 (dueling: 11 advantages and the value in one linear output layer,
 * Q = V + A - mean A computed here, its backward through nn_backward_dy).
 *
 * An agent plugs into the environment through the agent seam
 * (ddpqn_dqn_agent): `act` is a forward pass with epsilon-greedy while
 * training and the argmax otherwise; `learn` stores the transition and
 * runs one replay minibatch every train_every steps.
 */
#ifndef EDGESTEER_DDPQN_DQN_H
#define EDGESTEER_DDPQN_DQN_H

#include <stdint.h>

#include "ddpqn_agent.h"

struct ddpqn_dqn;

/* Creates and initialises (seeded) the online and target networks. */
int ddpqn_dqn_create(const struct ddpqn_dqn_config *c, struct ddpqn_dqn **out);
void ddpqn_dqn_destroy(struct ddpqn_dqn *d);
const struct ddpqn_dqn_config *ddpqn_dqn_config_of(const struct ddpqn_dqn *d);

/* Q values of @state (c->actions floats) from the online network. */
int ddpqn_dqn_q(struct ddpqn_dqn *d, const float *state, float *q);

/*
 * int8 inference (nn_quant.h): an int8 copy of the online network, made
 * or refreshed from it; ddpqn_dqn_use_quantized picks which one
 * ddpqn_dqn_q runs (-EINVAL before ddpqn_dqn_quantize). Training stays
 * in float and does not refresh the copy: quantise after it.
 */
int ddpqn_dqn_quantize(struct ddpqn_dqn *d);
int ddpqn_dqn_use_quantized(struct ddpqn_dqn *d, int on);

/* The seam: @train = 1 explores and learns, 0 acts greedily and does not. */
void ddpqn_dqn_agent(struct ddpqn_dqn *d, int train, struct ddpqn_agent *ag);

/* Per-episode record of a training run (the convergence curves). */
struct ddpqn_dqn_epoch {
	double train_objective;	/* of the exploring episode */
	double greedy_objective;/* of a greedy rollout after it (NAN if none) */
	double loss;		/* mean TD loss over its updates */
};

/*
 * Trains on @env for c->episodes episodes (or fewer, if @max_updates > 0
 * bounds the minibatch updates); every eval_every episodes a greedy
 * rollout is scored and the best greedy weights are kept and restored at
 * the end. @curve (c->episodes entries) may be NULL. Rewards are divided
 * by the greedy baseline's mean step cost so a step of a good placement
 * weighs about 1 whatever the model.
 */
int ddpqn_dqn_train(struct ddpqn_dqn *d, struct ddpqn_env *env,
		    uint64_t max_updates, struct ddpqn_dqn_epoch *curve,
		    unsigned *episodes_run);

/* The training run's reward scale (1 before training). */
double ddpqn_dqn_reward_scale(const struct ddpqn_dqn *d);
uint64_t ddpqn_dqn_updates(const struct ddpqn_dqn *d);

/*
 * Weights file (nn_file format, one network: the online one). Load
 * needs a network of the same shape; it also syncs the target. Save
 * records the int8 quantisation when there is a copy; loading such a
 * file makes the copy and runs it.
 */
int ddpqn_dqn_save(const struct ddpqn_dqn *d, const char *path);
int ddpqn_dqn_load(struct ddpqn_dqn *d, const char *path);

/*
 * The dueling aggregation over one row: @out has n advantages then the
 * value; q[k] = V + A[k] - mean(A). Its backward: @dout (n + 1) from
 * dL/dq (n).
 */
void ddpqn_dueling_q(const float *out, unsigned n, float *q);
void ddpqn_dueling_backward(const float *dq, unsigned n, float *dout);

#endif /* EDGESTEER_DDPQN_DQN_H */
