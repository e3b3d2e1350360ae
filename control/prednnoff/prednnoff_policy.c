/* SPDX-License-Identifier: MIT */
#include "prednnoff.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "esop.h"
#include "pdo_cost.h"
#include "pdo_eval.h"
#include "pdo_model.h"
#include "pdo_solve.h"
#include "ptab.h"

#ifndef PDO_MODELS_DIR
#define PDO_MODELS_DIR "models/prednnoff"
#endif

#define MAX_BUCKETS	512
#define MAX_APPS	64
#define SLOWDOWN_STEP	0.25	/* load changes below this do not re-solve */

struct pdo_state {
	struct pdo_bundle b;
	double snr_min_db, snr_step_db, queue_ref;
	double edge_mbps;	/* an edge server's tensor capacity, 0 = unknown */
	uint32_t nbuckets;
	uint16_t apps[MAX_APPS];
	uint32_t napps;
	uint64_t solves;
	/* [tiers - 2][early_exit_ok][bucket] */
	struct prednnoff_answer tab[2][2][MAX_BUCKETS];
	struct prednnoff_answer local[2];	/* no server at all: [early_exit_ok] */
};

static const uint8_t target_of_site[PDO_NSITES] = {
	ESOP_TARGET_LOCAL, ESOP_TARGET_EDGE, ESOP_TARGET_CLOUD,
};

static void answer_of(const struct pdo_cost *c, const uint8_t *loc, int early,
		      struct prednnoff_answer *a)
{
	struct pdo_decision d;

	/* Without early exits every task takes the main exit. */
	pdo_decision_of(c, loc, early ? pdo_modal_exit(c) : c->nexits, &d);
	a->target_kind = target_of_site[d.target];
	a->exit = d.exit;
	a->split_layer = d.split;
}

static int solve_tables(struct pdo_state *st)
{
	struct pdo_params p = st->b.p;
	uint8_t all_dev[PDO_MAX_LAYERS] = { 0 };

	for (unsigned int t = 0; t < 2; t++) {
		p.tiers = 2 + t;
		for (unsigned int early = 0; early < 2; early++) {
			for (uint32_t i = 0; i < st->nbuckets; i++) {
				uint8_t loc[PDO_MAX_LAYERS];
				struct pdo_cost c;
				double ms;
				int rc;

				p.snr_db = st->snr_min_db + i * st->snr_step_db;
				rc = pdo_cost_build(&st->b.g, &st->b.r, &p, (int)early, &c);
				if (!rc)
					rc = pdo_dp_solve(&c, loc, &ms);
				if (rc)
					return rc;
				answer_of(&c, loc, (int)early, &st->tab[t][early][i]);
				answer_of(&c, all_dev, (int)early, &st->local[early]);
			}
		}
	}
	st->solves++;
	return 0;
}

static int parse_args(struct pdo_state *st, const char *args, char *dir, size_t dirlen)
{
	char *buf, *save = NULL, *kv;
	double snr_max = 40;
	int rc = 0;

	if (!args || !*args)
		goto grid;
	buf = strdup(args);
	if (!buf)
		return -ENOMEM;
	for (kv = strtok_r(buf, ",", &save); kv && !rc; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '='), *end = NULL, *v;

		if (!eq) {
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		v = eq + 1;
		if (!strcmp(kv, "models")) {
			if (snprintf(dir, dirlen, "%s", v) >= (int)dirlen)
				rc = -ENAMETOOLONG;
			continue;
		}
		if (!strcmp(kv, "apps")) {
			char *s2 = NULL;

			for (char *a = strtok_r(v, ":", &s2); a && !rc; a = strtok_r(NULL, ":", &s2)) {
				unsigned long id = strtoul(a, &end, 10);

				if (*end || id > UINT16_MAX || st->napps == MAX_APPS)
					rc = -EINVAL;
				else
					st->apps[st->napps++] = (uint16_t)id;
			}
			continue;
		}
		{
			double d = strtod(v, &end);

			if (end == v || *end || !isfinite(d))
				rc = -EINVAL;
			else if (!strcmp(kv, "snr_min_db"))
				st->snr_min_db = d;
			else if (!strcmp(kv, "snr_max_db"))
				snr_max = d;
			else if (!strcmp(kv, "snr_step_db") && d > 0)
				st->snr_step_db = d;
			else if (!strcmp(kv, "queue_ref") && d > 0)
				st->queue_ref = d;
			else if (!strcmp(kv, "edge_mbps") && d > 0)
				st->edge_mbps = d;
			else
				rc = -EINVAL;
		}
	}
	free(buf);
	if (rc)
		return rc;
grid:
	if (snr_max < st->snr_min_db ||
	    (snr_max - st->snr_min_db) / st->snr_step_db + 1 > MAX_BUCKETS)
		return -EINVAL;
	st->nbuckets = (uint32_t)floor((snr_max - st->snr_min_db) / st->snr_step_db + 1e-9) + 1;
	return 0;
}

static int pdo_create(void **state, const char *args)
{
	struct pdo_state *st = calloc(1, sizeof(*st));
	char err[PDO_ERR_MAX], dir[4096] = PDO_MODELS_DIR;
	int rc;

	if (!st)
		return -ENOMEM;
	st->snr_min_db = -40;
	st->snr_step_db = 1;
	st->queue_ref = 32;
	rc = parse_args(st, args, dir, sizeof(dir));
	if (!rc)
		rc = pdo_bundle_load(&st->b, dir, NULL, NULL, NULL, err, sizeof(err));
	if (!rc)
		rc = solve_tables(st);
	if (rc) {
		free(st);
		return rc;
	}
	*state = st;
	return 0;
}

static void pdo_destroy(void *state)
{
	free(state);
}

static uint32_t bucket_of(const struct pdo_state *st, int16_t snr_qdb)
{
	double i = round((snr_qdb / 4.0 - st->snr_min_db) / st->snr_step_db);

	if (i < 0)
		return 0;
	return i >= st->nbuckets ? st->nbuckets - 1 : (uint32_t)i;
}

int prednnoff_lookup(void *state, int16_t snr_qdb, int early_exit_ok, unsigned int tiers,
		     struct prednnoff_answer *a)
{
	struct pdo_state *st = state;

	if (tiers < 2 || tiers > 3)
		return -EINVAL;
	*a = st->tab[tiers - 2][!!early_exit_ok][bucket_of(st, snr_qdb)];
	return 0;
}

int prednnoff_set_demand(void *state, double ac_mean, double ac_sigma)
{
	struct pdo_state *st = state;

	if (!(ac_mean >= 0 && ac_mean <= 1 && ac_sigma > 0 && ac_sigma <= 1))
		return -EINVAL;
	if (st->b.p.ac_mean == ac_mean && st->b.p.ac_sigma == ac_sigma)
		return 0;
	st->b.p.ac_mean = ac_mean;
	st->b.p.ac_sigma = ac_sigma;
	return solve_tables(st);
}

uint64_t prednnoff_solves(void *state)
{
	return ((struct pdo_state *)state)->solves;
}

/*
 * Edge load: layer times scale with the mean queue depth of the edge
 * servers, or (edge_mbps given) with what the fast path forwarded to them
 * this epoch: at utilisation rho a queue's time is 1/(1 - rho) of an idle
 * server's (M/M/1; rho capped at 0.95). The larger of the two counts.
 */
#define RHO_MAX	0.95

static int pdo_observe(void *state, const struct ctl_epoch_obs *obs)
{
	struct pdo_state *st = state;
	double depth = 0, bytes = 0, slow;
	uint32_t nedge = 0;

	if (!obs->in_force || !obs->servers)
		return 0;
	for (uint32_t i = 0; i < obs->in_force->nservers; i++) {
		if (obs->in_force->servers[i].kind != ESOP_TARGET_EDGE)
			continue;
		depth += obs->servers[i].queue_depth;
		bytes += (double)obs->servers[i].bytes;
		nedge++;
	}
	slow = 1 + (nedge ? depth / nedge : 0) / st->queue_ref;
	if (st->edge_mbps > 0 && nedge && obs->period_ms) {
		/* bytes per epoch -> Mbit/s, over the edge servers' capacity */
		double rho = bytes * 8 / (obs->period_ms * 1e3) / (st->edge_mbps * nedge);

		slow = fmax(slow, 1 / (1 - fmin(rho, RHO_MAX)));
	}
	slow = 1 + floor((slow - 1) / SLOWDOWN_STEP) * SLOWDOWN_STEP;
	if (slow == st->b.p.edge_slowdown)
		return 0;
	st->b.p.edge_slowdown = slow;
	return solve_tables(st);
}

static int app_is_ours(const struct pdo_state *st, uint16_t app)
{
	if (!st->napps)
		return 1;
	for (uint32_t i = 0; i < st->napps; i++)
		if (st->apps[i] == app)
			return 1;
	return 0;
}

static int pdo_decide(void *state, const struct ctl_epoch_obs *obs, struct es_policy *next)
{
	const struct es_policy *cur = obs->in_force;
	struct pdo_state *st = state;
	unsigned int has_edge = 0, has_cloud = 0, tiers;
	struct es_policy t;
	int changed = 0, rc;

	if (!cur)
		return -EINVAL;
	for (uint32_t i = 0; i < cur->nservers; i++) {
		has_edge |= cur->servers[i].kind == ESOP_TARGET_EDGE;
		has_cloud |= cur->servers[i].kind == ESOP_TARGET_CLOUD;
	}
	tiers = has_cloud ? 3 : 2;
	rc = ptab_copy(&t, cur);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < obs->ndevices; i++) {
		const struct ctl_device_obs *o = &obs->devices[i];
		const struct es_device *dev = ptab_find_device(cur, o->id);

		if (!dev)
			continue;	/* not in the table: the daemon's business */
		if (!o->reported)
			continue;	/* no SNR yet: the table's entry stands */
		for (uint32_t j = 0; j < dev->napps; j++) {
			struct es_app *a = &t.apps[dev->apps_off + j];
			struct prednnoff_answer ans;

			if (!app_is_ours(st, a->app))
				continue;
			/* With no edge server everything stays on the device. */
			if (has_edge)
				prednnoff_lookup(st, o->snr_qdb, o->early_exit_ok, tiers, &ans);
			else
				ans = st->local[!!o->early_exit_ok];
			if (a->target_kind != ans.target_kind || a->exit != ans.exit ||
			    a->split_layer != ans.split_layer || a->server != ES_SERVER_ANY)
				changed = 1;
			a->target_kind = ans.target_kind;
			a->exit = ans.exit;
			a->split_layer = ans.split_layer;
			/* remote: the least-loaded server of the kind; local: none */
			a->server = ES_SERVER_ANY;
		}
	}
	if (!changed) {
		ptab_free(&t);
		return 1;
	}
	*next = t;
	next->epoch = cur->epoch + 1;
	return 0;
}

static int pdo_eval(int argc, char **argv, FILE *out)
{
	return pdo_eval_main(argc, argv, out);
}

const struct ctl_policy_ops prednnoff_policy = {
	.name = "prednnoff",
	.summary = "Pre-DNNOff: early-exit DNN split over device/edge/cloud (exact DP, GA, Edgent)",
	.eval = pdo_eval,
	.create = pdo_create,
	.observe = pdo_observe,
	.decide = pdo_decide,
	.destroy = pdo_destroy,
};
