/* SPDX-License-Identifier: MIT */
#include "ddpqn_agent.h"

#include <errno.h>
#include <string.h>

uint64_t ddpqn_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static int act_local(struct ddpqn_agent *ag, const struct ddpqn_env *env,
		     const float *st, unsigned *server)
{
	(void)ag, (void)env, (void)st;
	*server = 0;
	return 0;
}

/*
 * all-edge / all-cloud: each task wholly on one server of the kind, tasks
 * dealt round-robin from the fastest server down (servers of a kind are
 * numbered by ascending speed).
 */
static int act_kind(const struct ddpqn_env *env, enum ddpqn_kind kind,
		    unsigned *server)
{
	unsigned task, layer, first = 0, count = 0;
	int rc = ddpqn_env_cursor(env, &task, &layer);

	if (rc)
		return rc;
	for (unsigned s = 0; s < ddpqn_env_nservers(env); s++)
		if (ddpqn_env_kind(env, s) == kind) {
			if (!count)
				first = s;
			count++;
		}
	if (!count)
		return -ENOENT;
	*server = first + count - 1 - task % count;
	return 0;
}

static int act_edge(struct ddpqn_agent *ag, const struct ddpqn_env *env,
		    const float *st, unsigned *server)
{
	(void)ag, (void)st;
	return act_kind(env, DDPQN_EDGE, server);
}

static int act_cloud(struct ddpqn_agent *ag, const struct ddpqn_env *env,
		     const float *st, unsigned *server)
{
	(void)ag, (void)st;
	return act_kind(env, DDPQN_CLOUD, server);
}

/* The seed's greedy: the server with the lowest cost for this step alone. */
static int act_greedy(struct ddpqn_agent *ag, const struct ddpqn_env *env,
		      const float *st, unsigned *server)
{
	double best = 0, c;
	int rc;

	(void)ag, (void)st;
	for (unsigned s = 0; s < ddpqn_env_nservers(env); s++) {
		rc = ddpqn_env_peek(env, s, &c);
		if (rc)
			return rc;
		if (!s || c < best) {
			best = c;
			*server = s;
		}
	}
	return 0;
}

static int act_random(struct ddpqn_agent *ag, const struct ddpqn_env *env,
		      const float *st, unsigned *server)
{
	(void)st;
	*server = ddpqn_rand(&ag->rng) % ddpqn_env_nservers(env);
	return 0;
}

static const struct ddpqn_agent_ops baselines[] = {
	{ "local", act_local, NULL },
	{ "edge", act_edge, NULL },
	{ "cloud", act_cloud, NULL },
	{ "greedy", act_greedy, NULL },
	{ "random", act_random, NULL },
};

int ddpqn_baseline(const char *name, uint64_t seed, struct ddpqn_agent *ag)
{
	for (unsigned i = 0; i < sizeof(baselines) / sizeof(baselines[0]); i++)
		if (!strcmp(name, baselines[i].name)) {
			ag->ops = &baselines[i];
			ag->ctx = NULL;
			ag->rng = seed;
			return 0;
		}
	return -ENOENT;
}

int ddpqn_rollout(struct ddpqn_env *env, struct ddpqn_agent *ag, uint8_t *place,
		  struct ddpqn_totals *t)
{
	float st[DDPQN_STATE_DIM], next[DDPQN_STATE_DIM];
	unsigned task, layer, s;
	double r;
	int done = 0, rc;

	ddpqn_env_reset(env);
	ddpqn_env_observe(env, st);
	while (!done) {
		rc = ddpqn_env_cursor(env, &task, &layer);
		if (rc)
			return rc;
		rc = ag->ops->act(ag, env, st, &s);
		if (rc)
			return rc;
		rc = ddpqn_env_step(env, s, &r, &done);
		if (rc)
			return rc;
		if (place)
			place[task * ddpqn_env_nlayers(env) + layer] = s;
		ddpqn_env_observe(env, next);
		if (ag->ops->learn) {
			rc = ag->ops->learn(ag, st, s, r, next, done);
			if (rc)
				return rc;
		}
		memcpy(st, next, sizeof(st));
	}
	if (t)
		ddpqn_env_totals(env, t);
	return 0;
}

/* ---- the DQN family, for the learning core ---- */

const char *const ddpqn_dqn_variants[] = {
	"dqn", "double", "dueling", "pr", "doublepr", "duelingpr",
	"doubledueling", "ddpqn", NULL,
};

int ddpqn_dqn_variant(const char *name, struct ddpqn_dqn_config *c)
{
	static const struct { int dbl, duel, per; } flags[] = {
		{ 0, 0, 0 }, { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 },
		{ 1, 0, 1 }, { 0, 1, 1 }, { 1, 1, 0 }, { 1, 1, 1 },
	};

	for (unsigned i = 0; ddpqn_dqn_variants[i]; i++) {
		if (strcmp(name, ddpqn_dqn_variants[i]))
			continue;
		*c = (struct ddpqn_dqn_config){
			.variant = ddpqn_dqn_variants[i],
			.state_dim = DDPQN_STATE_DIM,
			.hidden = { 50, 20 },
			.actions = 11,
			.lr = 0.001,
			.eps_greedy = 0.9,
			.gamma = 0.8,
			.batch = 256,
			.target_sync = 100,
			.memory = 10000,
			.episodes = 300,
			.per_omega = 0.6,
			.per_beta0 = 0.4,
			.double_q = flags[i].dbl,
			.dueling = flags[i].duel,
			.prioritized = flags[i].per,
			.algo1_literal = 0,
			.seed = 1,
			.train_every = 1,
			.eval_every = 1,
			.eps_ramp = 0.5,
			.grad_clip = 10,
		};
		return 0;
	}
	return -ENOENT;
}

unsigned ddpqn_argmax(const float *q, unsigned n)
{
	unsigned best = 0;

	for (unsigned k = 1; k < n; k++)
		if (q[k] > q[best])
			best = k;
	return best;
}

double ddpqn_td_target(double r, int done, double gamma, const float *q_online,
		       const float *q_target, unsigned n, int double_q,
		       int algo1_literal)
{
	unsigned a = ddpqn_argmax(double_q ? q_online : q_target, n);
	int bootstrap = algo1_literal ? done : !done;

	return bootstrap ? r + gamma * q_target[a] : r;
}
