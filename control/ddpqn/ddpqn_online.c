/* SPDX-License-Identifier: MIT */
#include "ddpqn_online.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ddpqn_train.h"
#include "esop.h"
#include "ptab.h"

#define KIND_MAX 5u	/* servers of a kind the trained nets know */

static const unsigned trained_tasks[] = { 1, 5, 10 };
#define NNETS (sizeof(trained_tasks) / sizeof(trained_tasks[0]))

struct ddpqn_online {
	enum ddpqn_model model;
	struct ddpqn_graph *g;
	struct ddpqn_dqn *net[NNETS];	/* NULL where no weights file */
	/* The epoch's tasks: a device and the app of its request. */
	unsigned ntasks;
	uint32_t dev[DDPQN_MAX_TASKS];
	uint16_t app[DDPQN_MAX_TASKS];
	uint32_t depth[ES_MAX_SERVERS];	/* observed queue depth per table server */
	uint8_t *place;			/* [task][layer] */
};

static int parse_args(const char *args, char *model, char *wdir, char *variant,
		      char *mdir)
{
	char buf[1024], *save = NULL, *tok;

	if (!args)
		return 0;
	if (strlen(args) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, args);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *v = strchr(tok, '=');
		char *dst;

		if (!v)
			return -EINVAL;
		*v++ = 0;
		if (!strcmp(tok, "model"))
			dst = model;
		else if (!strcmp(tok, "weights"))
			dst = wdir;
		else if (!strcmp(tok, "variant"))
			dst = variant;
		else if (!strcmp(tok, "models_dir"))
			dst = mdir;
		else
			return -EINVAL;
		if (!*v || strlen(v) >= 256)
			return -EINVAL;
		strcpy(dst, v);
	}
	return 0;
}

void ddpqn_online_destroy(void *state)
{
	struct ddpqn_online *s = state;

	if (!s)
		return;
	for (unsigned k = 0; k < NNETS; k++)
		ddpqn_dqn_destroy(s->net[k]);
	free(s->g);
	free(s->place);
	free(s);
}

int ddpqn_online_create(void **state, const char *args)
{
	char model[256] = "alexnet", wdir[256] = DDPQN_WEIGHTS_DIR;
	char variant[256] = "ddpqn", mdir[256] = DDPQN_MODELS_DIR, path[600];
	struct ddpqn_graph_opts go = { 0 };
	struct ddpqn_dqn_config c;
	struct ddpqn_load_err err;
	struct ddpqn_online *s;
	unsigned loaded = 0;
	int rc;

	if (!state)
		return -EINVAL;
	rc = parse_args(args, model, wdir, variant, mdir);
	if (rc)
		return rc;
	if (ddpqn_dqn_variant(variant, &c))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->g = malloc(sizeof(*s->g));
	if (!s->g) {
		rc = -ENOMEM;
		goto err_free;
	}
	rc = ddpqn_model_parse(model, &s->model);
	if (rc || s->model == DDPQN_MODEL_GENERIC) {
		rc = -EINVAL;
		goto err_free;
	}
	go.model = s->model;
	snprintf(path, sizeof(path), "%s/%s.csv", mdir, model);
	rc = ddpqn_graph_load(path, &go, s->g, &err);
	if (rc)
		goto err_free;
	s->place = calloc((size_t)DDPQN_MAX_TASKS * s->g->n, 1);
	if (!s->place) {
		rc = -ENOMEM;
		goto err_free;
	}
	for (unsigned k = 0; k < NNETS; k++) {
		ddpqn_weights_path(path, sizeof(path), wdir, variant, model,
				   trained_tasks[k]);
		rc = ddpqn_dqn_create(&c, &s->net[k]);
		if (rc)
			goto err_free;
		rc = ddpqn_dqn_load(s->net[k], path);
		if (rc == -ENOENT) {
			ddpqn_dqn_destroy(s->net[k]);
			s->net[k] = NULL;
			continue;
		}
		if (rc)
			goto err_free;
		loaded++;
	}
	if (!loaded) {
		rc = -ENOENT;
		goto err_free;
	}
	*state = s;
	return 0;
err_free:
	ddpqn_online_destroy(s);
	return rc;
}

int ddpqn_online_observe(void *state, const struct ctl_epoch_obs *obs)
{
	struct ddpqn_online *s = state;
	const struct es_policy *p;

	if (!s || !obs || !obs->in_force || (obs->ndevices && !obs->devices))
		return -EINVAL;
	p = obs->in_force;
	s->ntasks = 0;
	for (uint32_t d = 0; d < obs->ndevices && s->ntasks < DDPQN_MAX_TASKS; d++) {
		const struct ctl_device_obs *o = &obs->devices[d];

		if (!o->pending_bytes)
			continue;
		s->dev[s->ntasks] = o->id;
		s->app[s->ntasks++] = o->app_id;
	}
	memset(s->depth, 0, sizeof(s->depth));
	for (uint32_t k = 0; obs->servers && k < p->nservers && k < ES_MAX_SERVERS; k++)
		s->depth[k] = obs->servers[k].queue_depth;
	return 0;
}

/* The trained net nearest @tasks. */
static struct ddpqn_dqn *pick_net(const struct ddpqn_online *s, unsigned tasks)
{
	struct ddpqn_dqn *best = NULL;
	unsigned dist = ~0u;

	for (unsigned k = 0; k < NNETS; k++) {
		unsigned d = tasks > trained_tasks[k] ? tasks - trained_tasks[k]
						      : trained_tasks[k] - tasks;

		if (s->net[k] && d < dist) {
			dist = d;
			best = s->net[k];
		}
	}
	return best;
}

/*
 * The environment of this epoch: the table's first KIND_MAX edge and cloud
 * servers (@map: env server -> table index), their queue depths as backlog
 * (depth x the model's execution time there / pool).
 */
static int build_env(const struct ddpqn_online *s, const struct es_policy *t,
		     struct ddpqn_env **env, uint8_t *map)
{
	double busy[DDPQN_MAX_SERVERS] = { 0 };
	unsigned edge[KIND_MAX], cloud[KIND_MAX], ne = 0, nc = 0, ns;
	struct ddpqn_params p;
	int rc;

	for (uint32_t k = 0; k < t->nservers && k < ES_MAX_SERVERS; k++) {
		if (t->servers[k].kind == ESOP_TARGET_EDGE && ne < KIND_MAX)
			edge[ne++] = k;
		else if (t->servers[k].kind == ESOP_TARGET_CLOUD && nc < KIND_MAX)
			cloud[nc++] = k;
	}
	ddpqn_params_default(&p, s->model);
	p.nedge = ne;
	p.ncloud = nc;
	p.tasks = s->ntasks;
	rc = ddpqn_env_create(s->g, &p, env);
	if (rc)
		return rc;
	ns = 1 + ne + nc;
	for (unsigned e = 1; e < ns; e++) {
		unsigned k = e <= ne ? edge[e - 1] : cloud[e - 1 - ne];
		unsigned pool = p.pool[e <= ne ? DDPQN_EDGE : DDPQN_CLOUD];
		double exec = 0, dl, rest;

		map[e] = (uint8_t)k;
		for (unsigned j = 0; j < s->g->n; j++) {
			ddpqn_env_node_terms(*env, j, e, &dl, &rest);
			exec += dl;
		}
		busy[e] = pool ? s->depth[k] * exec / pool : 0;
	}
	rc = ddpqn_env_set_backlog(*env, busy, ns);
	if (rc)
		ddpqn_env_destroy(*env);
	return rc;
}

/* Writes task @i's projected placement into @next; 1 = changed. */
static int apply_task(const struct ddpqn_online *s, struct ddpqn_env *env,
		      unsigned i, const uint8_t *map, const struct es_policy *cur,
		      struct es_policy *next)
{
	const struct es_device *dev = ptab_find_device(cur, s->dev[i]);
	const uint8_t *pl = s->place + (size_t)i * s->g->n;
	double work[DDPQN_MAX_SERVERS] = { 0 }, dl, rest;
	unsigned split = 0, target = 0, kind;
	int changed = 0;

	if (!dev)
		return 0;
	while (split < s->g->n && pl[split] == 0)
		split++;
	for (unsigned j = split; j < s->g->n; j++) {
		ddpqn_env_node_terms(env, j, pl[j], &dl, &rest);
		work[pl[j]] += dl;
	}
	for (unsigned e = 1; e < ddpqn_env_nservers(env); e++)
		if (work[e] > work[target])
			target = e;
	kind = target == 0 ? ESOP_TARGET_LOCAL :
	       ddpqn_env_kind(env, target) == DDPQN_EDGE ? ESOP_TARGET_EDGE :
							  ESOP_TARGET_CLOUD;
	if (!target)
		split = s->g->n;
	for (uint32_t a = 0; a < dev->napps; a++) {
		struct es_app *app = &next->apps[dev->apps_off + a];
		uint8_t server = target ? map[target] : ES_SERVER_ANY;

		if (app->app != s->app[i])
			continue;
		if (app->target_kind != kind || app->server != server ||
		    app->split_layer != split) {
			app->target_kind = (uint8_t)kind;
			app->server = server;
			app->split_layer = (uint16_t)split;
			changed = 1;
		}
	}
	return changed;
}

int ddpqn_online_decide(void *state, const struct ctl_epoch_obs *obs,
			struct es_policy *next)
{
	struct ddpqn_online *s = state;
	const struct es_policy *cur = obs ? obs->in_force : NULL;
	uint8_t map[DDPQN_MAX_SERVERS] = { 0 };
	struct ddpqn_env *env = NULL;
	struct ddpqn_agent ag;
	int rc, changed = 0;

	if (!s || !cur || !next)
		return -EINVAL;
	rc = ptab_copy(next, cur);
	if (rc)
		return rc;
	next->epoch = cur->epoch + 1;
	if (!s->ntasks)
		return 1;
	rc = build_env(s, cur, &env, map);
	if (rc)
		goto err_free;
	ddpqn_dqn_agent(pick_net(s, s->ntasks), 0, &ag);
	rc = ddpqn_rollout(env, &ag, s->place, NULL);
	if (rc)
		goto err_free;
	for (unsigned i = 0; i < s->ntasks; i++)
		changed |= apply_task(s, env, i, map, cur, next);
	ddpqn_env_destroy(env);
	return changed ? 0 : 1;
err_free:
	ddpqn_env_destroy(env);
	free(next->devices);
	free(next->apps);
	next->devices = NULL;
	next->apps = NULL;
	return rc;
}
