/* SPDX-License-Identifier: MIT */
/*
 * The agent seam: anything that picks a server for the step the environment
 * is at. The baselines (local, edge, cloud, greedy, random) are agents here;
 * the DQN family (DQN, Double, Dueling, prioritised replay and their
 * combinations up to DDPQN, ddpqn_dqn.h) plugs in through the same two
 * calls: `act` is the network's forward pass with epsilon-greedy, `learn`
 * stores the transition and trains.
 */
#ifndef EDGESTEER_DDPQN_AGENT_H
#define EDGESTEER_DDPQN_AGENT_H

#include <stdint.h>

#include "ddpqn_env.h"

struct ddpqn_agent;

struct ddpqn_agent_ops {
	const char *name;
	/* The server for the step at ddpqn_env_cursor; @state from observe. */
	int (*act)(struct ddpqn_agent *ag, const struct ddpqn_env *env,
		   const float *state, unsigned *server);
	/* The transition just taken (NULL for agents that do not learn). */
	int (*learn)(struct ddpqn_agent *ag, const float *state, unsigned server,
		     double reward, const float *next, int done);
};

struct ddpqn_agent {
	const struct ddpqn_agent_ops *ops;
	void *ctx;
	uint64_t rng;		/* seeded: the same seed, the same episode */
};

/* "local", "edge", "cloud", "greedy", "random". 0 or -ENOENT. */
int ddpqn_baseline(const char *name, uint64_t seed, struct ddpqn_agent *ag);

/* One episode: reset, then observe/act/step/learn until done. @place may be NULL. */
int ddpqn_rollout(struct ddpqn_env *env, struct ddpqn_agent *ag, uint8_t *place,
		  struct ddpqn_totals *t);

/* xorshift64*: small, seeded, the same on every platform. */
uint64_t ddpqn_rand(uint64_t *state);

/*
 * What the DQN agents are, for the learning core (section 5.1): input
 * DDPQN_STATE_DIM, hidden [50, 20], an 11-way advantage and a value head
 * when dueling, lr 0.001, epsilon-greedy 0.9 (probability of the greedy
 * action), batch 256, discount 0.8, target sync every 100 steps.
 */
struct ddpqn_dqn_config {
	const char *variant;
	unsigned state_dim, hidden[2], actions;
	double lr, eps_greedy, gamma;
	unsigned batch, target_sync, memory, episodes;
	double per_omega, per_beta0;	/* priority exponent, IS correction */
	int double_q, dueling, prioritized;
	int algo1_literal;		/* Algorithm 1's swapped branches */
	uint64_t seed;
	/*
	 * Not in the seed (decisions, docs/ddpqn.md): one minibatch every
	 * train_every steps; the greedy probability rises linearly from 0
	 * to eps_greedy over the first eps_ramp of the episodes; a greedy
	 * rollout scored every eval_every episodes (best weights kept);
	 * TD errors clipped to +-1 (Huber); gradient norm clipped.
	 */
	unsigned train_every, eval_every;
	double eps_ramp, grad_clip;
};

/* dqn, double, dueling, pr, doublepr, duelingpr, doubledueling, ddpqn. */
int ddpqn_dqn_variant(const char *name, struct ddpqn_dqn_config *c);
extern const char *const ddpqn_dqn_variants[];

/* The first index of the largest of @q[0..n). */
unsigned ddpqn_argmax(const float *q, unsigned n);

/*
 * The TD target of a transition: r if terminal, else r + gamma * Q'(s', a*)
 * with a* = argmax Q(s') (double) or argmax Q'(s') (plain). With
 * @algo1_literal the two branches are swapped as Algorithm 1 prints them.
 */
double ddpqn_td_target(double r, int done, double gamma, const float *q_online,
		       const float *q_target, unsigned n, int double_q,
		       int algo1_literal);

#endif /* EDGESTEER_DDPQN_AGENT_H */
