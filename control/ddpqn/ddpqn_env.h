/* SPDX-License-Identifier: MIT */
/*
 * The local-edge-cloud environment of DDPQN (seed 004): one client, b edge
 * and d cloud servers (Tables 2 and 3), @tasks copies of one DNN placed
 * layer by layer, task after task. Each step places one layer of one task
 * on a server: the layer waits for its inputs, queues for a slot of the
 * server's parallel pool, runs, and the step's cost is its share of the
 * objective (delay, energy, cost, coupling coordination H, node balance Z).
 * The step costs of an episode add up to the objective exactly, so the same
 * code scores a whole placement (ddpqn_env_run) and feeds the RL agents
 * (ddpqn_env_observe / ddpqn_env_step). Every choice the seed leaves open
 * is a field of struct ddpqn_params; docs/ddpqn.md gives each its source.
 */
#ifndef EDGESTEER_DDPQN_ENV_H
#define EDGESTEER_DDPQN_ENV_H

#include <stdint.h>

#include "ddpqn_graph.h"

#define DDPQN_MAX_SERVERS 32
#define DDPQN_MAX_TASKS 64
#define DDPQN_MAX_POOL 64
#define DDPQN_STATE_DIM 42	/* ddpqn_env_observe; layout in docs/ddpqn.md */

enum ddpqn_kind { DDPQN_CLIENT, DDPQN_EDGE, DDPQN_CLOUD };

enum ddpqn_std {
	DDPQN_STD_BEST,		/* T, E, U over the best single-server placement's */
	DDPQN_STD_WORST,	/* over the worst single-server placement's */
	DDPQN_STD_NONE,		/* raw s, J, $ */
};
enum ddpqn_hform {
	DDPQN_H_BENEFIT,	/* H of (1 - normalised T, E, U): higher = better */
	DDPQN_H_LITERAL,	/* H of normalised T, E, U as printed (eq. 10-11) */
};
enum ddpqn_zscale {
	DDPQN_Z_EXCESS,		/* imbalance above the least the counts allow,
				 * over its range: [0, 1], all-local gains nothing */
	DDPQN_Z_PLACED,		/* Z / (subtasks placed x (max(b, d) - 1)) */
	DDPQN_Z_RAW,		/* eq. 12 as printed: counts */
};
enum ddpqn_eq13 {
	DDPQN_EQ13_INSIDE,	/* H and Z inside the sums, as in the step reward */
	DDPQN_EQ13_OUTSIDE,	/* bracket as printed: mean H and final Z once */
};
enum ddpqn_hznorm {
	DDPQN_HZ_MEAN,		/* H and Z of a step weighted 1/layers */
	DDPQN_HZ_SUM,		/* weighted 1 */
};

struct ddpqn_params {
	unsigned nedge, ncloud, tasks;
	/* Table 3. Ranges are spread evenly over the servers of a kind. */
	double client_ghz, client_usd_h, client_power_w;
	double edge_ghz[2], edge_usd_h[2], edge_power_w;
	double cloud_ghz[2], cloud_usd_h[2], cloud_power_w;
	int cost_follows_speed;		/* the faster server of a kind costs more */
	unsigned pool[3];		/* parallel pool per kind, 0 = unlimited */
	/* Table 2, by kind pair (symmetric); power 0 where it shows x. */
	double link_mb_s[3][3], link_usd_gb[3][3], link_power_w[3][3];
	/* Weights (section 5.1). */
	double theta, vtheta, eta;	/* delay, energy, cost */
	double phi, varphi, xi;		/* score, H, Z */
	double lambda[3];
	unsigned h_root;		/* eq. 11's root: 2 as printed, 3 usual */
	enum ddpqn_std std;
	enum ddpqn_hform hform;
	enum ddpqn_zscale zscale;
	enum ddpqn_eq13 eq13;
	enum ddpqn_hznorm hznorm;
	int return_output;		/* ship the last output back to the client */
	/* The model's profile. */
	double profile_ghz;		/* cycles = exec_time_s x profile_ghz */
	double input_mb;		/* input of the first layer, on the client */
	double size_scale;		/* multiplies every output_size_Mb */
};

/* The seed's values, with the profile of @model. */
void ddpqn_params_default(struct ddpqn_params *p, enum ddpqn_model model);

struct ddpqn_totals {
	double objective;	/* sum of step costs: lower is better */
	double additive;	/* its delay/energy/cost part */
	double delay_s;		/* sum over tasks of completion time */
	double energy_j;
	double cost_usd;
	double h_mean;		/* mean H over subtasks */
	double z_final;		/* Z after the last step, scaled as configured */
	double z_raw_final;	/* eq. 12's count */
};

struct ddpqn_env;

int ddpqn_env_create(const struct ddpqn_graph *g, const struct ddpqn_params *p,
		     struct ddpqn_env **env);
void ddpqn_env_destroy(struct ddpqn_env *env);

unsigned ddpqn_env_nservers(const struct ddpqn_env *env);
unsigned ddpqn_env_nlayers(const struct ddpqn_env *env);
unsigned ddpqn_env_ntasks(const struct ddpqn_env *env);
enum ddpqn_kind ddpqn_env_kind(const struct ddpqn_env *env, unsigned server);
double ddpqn_env_server_ghz(const struct ddpqn_env *env, unsigned server);
const struct ddpqn_graph *ddpqn_env_graph(const struct ddpqn_env *env);
const struct ddpqn_params *ddpqn_env_params(const struct ddpqn_env *env);

/*
 * Load already on the servers (online: observed queue depths): every slot
 * of server s is busy for @busy_s[s] seconds from the episode's start
 * (servers with an unlimited pool have no queue, so it has no effect
 * there). Kept across resets; @n <= servers, the rest 0. 0 or -EINVAL
 * (a value not finite or < 0; nothing changed).
 */
int ddpqn_env_set_backlog(struct ddpqn_env *env, const double *busy_s, unsigned n);

/* Episode: reset, then one step per (task, layer) in that order. */
void ddpqn_env_reset(struct ddpqn_env *env);
/* The step about to be taken; -ENODATA once the episode is over. */
int ddpqn_env_cursor(const struct ddpqn_env *env, unsigned *task, unsigned *layer);
void ddpqn_env_observe(const struct ddpqn_env *env, float state[DDPQN_STATE_DIM]);
/* The cost the step would have, without taking it. */
int ddpqn_env_peek(const struct ddpqn_env *env, unsigned server, double *cost);
/* Takes the step: reward = -cost; *done = 1 after the last one. */
int ddpqn_env_step(struct ddpqn_env *env, unsigned server, double *reward, int *done);
void ddpqn_env_totals(const struct ddpqn_env *env, struct ddpqn_totals *t);

/* Scores a whole placement (place[task * nlayers + layer] = server). */
int ddpqn_env_run(struct ddpqn_env *env, const uint8_t *place,
		  struct ddpqn_totals *t);

/*
 * The additive part, for the exact DP: the objective of one task with no
 * queueing is  wd * (critical-path delay) + sum of node and edge terms.
 */
double ddpqn_env_delay_weight(const struct ddpqn_env *env);
void ddpqn_env_node_terms(const struct ddpqn_env *env, unsigned layer,
			  unsigned server, double *delay_s, double *rest);
/* @mb moved from @from to @to; from == to costs nothing. */
void ddpqn_env_edge_terms(const struct ddpqn_env *env, double mb, unsigned from,
			  unsigned to, double *delay_s, double *rest);
double ddpqn_env_input_mb(const struct ddpqn_env *env);
double ddpqn_env_out_mb(const struct ddpqn_env *env, unsigned layer);

#endif /* EDGESTEER_DDPQN_ENV_H */
