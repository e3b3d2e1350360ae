/* SPDX-License-Identifier: MIT */
#include "dil_online.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dil_env.h"
#include "dil_net.h"
#include "dil_solve.h"
#include "nn_file.h"
#include "esop.h"
#include "ptab.h"

/* The table's target kinds are the seed's I_t values. */
_Static_assert((int)ESOP_TARGET_LOCAL == (int)DIL_LOCAL &&
	       (int)ESOP_TARGET_EDGE == (int)DIL_EDGE &&
	       (int)ESOP_TARGET_CLOUD == (int)DIL_CLOUD,
	       "target kinds are locations");

struct dil_app {
	uint16_t app;
	uint32_t tasks;
	double *work_cycles;		/* [tasks] */
	double *data_bytes;		/* [tasks + 1] */
};

struct dil_online {
	struct dil_params params;
	size_t napps;
	struct dil_app *apps;
	struct dil_net *net;		/* DIOS; NULL: the exact DP decides */
	struct dil_costs costs;
};

void dil_online_destroy(struct dil_online *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->napps; i++) {
		free(o->apps[i].work_cycles);
		free(o->apps[i].data_bytes);
	}
	free(o->apps);
	dil_net_free(o->net);
	free(o);
}

static char *read_text(const char *path, char *err, size_t errlen, int *rc)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!f) {
		*rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		*rc = -EIO;
		snprintf(err, errlen, "%s: cannot size the file", path);
		goto out;
	}
	buf = malloc((size_t)len + 1);
	if (!buf) {
		*rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		*rc = -EIO;
		snprintf(err, errlen, "%s: short read", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[len] = 0;
out:
	fclose(f);
	return buf;
}

/* A JSON array of @n positive finite numbers into a new array. */
static double *read_numbers(const cJSON *a, size_t n)
{
	double *v;
	size_t i = 0;
	const cJSON *e;

	if (!cJSON_IsArray(a) || (size_t)cJSON_GetArraySize(a) != n)
		return NULL;
	v = malloc(n * sizeof(double));
	if (!v)
		return NULL;
	cJSON_ArrayForEach(e, a) {
		if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble) ||
		    e->valuedouble <= 0) {
			free(v);
			return NULL;
		}
		v[i++] = e->valuedouble;
	}
	return v;
}

static int parse_params(struct dil_params *p, const cJSON *params,
			const char *path, char *err, size_t errlen)
{
	size_t n;
	const struct dil_param_desc *t = dil_param_table(&n);
	const cJSON *e;
	char why[160];

	cJSON_ArrayForEach(e, params) {
		size_t i;

		for (i = 0; i < n && strcmp(t[i].name, e->string); i++)
			;
		if (i == n || !cJSON_IsNumber(e)) {
			snprintf(err, errlen, "%s: params.%s: %s", path,
				 e->string, i == n ? "no such parameter" :
				 "expected a number");
			return -EINVAL;
		}
		*dil_param_ptr(p, &t[i]) = e->valuedouble;
	}
	if (dil_params_check(p, why, sizeof(why))) {
		snprintf(err, errlen, "%s: params: %s", path, why);
		return -EINVAL;
	}
	return 0;
}

static int parse_apps(struct dil_online *o, const cJSON *apps,
		      const char *path, char *err, size_t errlen)
{
	const cJSON *a;
	size_t i = 0;

	if (!cJSON_IsArray(apps) || cJSON_GetArraySize(apps) < 1 ||
	    cJSON_GetArraySize(apps) > 65536) {
		snprintf(err, errlen, "%s: apps: expected an array of 1 to "
			 "65536 applications", path);
		return -EINVAL;
	}
	o->apps = calloc((size_t)cJSON_GetArraySize(apps), sizeof(*o->apps));
	if (!o->apps)
		return -ENOMEM;
	cJSON_ArrayForEach(a, apps) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "app");
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(a,
							"work_cycles");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(a,
							"data_bytes");
		struct dil_app *x = &o->apps[i];
		int T = cJSON_GetArraySize(w);

		if (!cJSON_IsNumber(id) || id->valuedouble < 0 ||
		    id->valuedouble > 65535 ||
		    id->valuedouble != floor(id->valuedouble)) {
			snprintf(err, errlen, "%s: apps[%zu].app: expected an "
				 "application id in [0, 65535]", path, i);
			return -EINVAL;
		}
		x->app = (uint16_t)id->valuedouble;
		for (size_t k = 0; k < i; k++) {
			if (o->apps[k].app == x->app) {
				snprintf(err, errlen, "%s: apps[%zu].app: %u "
					 "repeats apps[%zu]", path, i, x->app,
					 k);
				return -EINVAL;
			}
		}
		if (T < 1 || T > (int)DIL_TASKS_MAX) {
			snprintf(err, errlen, "%s: apps[%zu].work_cycles: "
				 "expected 1 to %u sub-tasks", path, i,
				 DIL_TASKS_MAX);
			return -EINVAL;
		}
		x->tasks = (uint32_t)T;
		x->work_cycles = read_numbers(w, x->tasks);
		x->data_bytes = read_numbers(d, x->tasks + 1);
		o->napps = ++i;
		if (!x->work_cycles || !x->data_bytes) {
			snprintf(err, errlen, "%s: apps[%zu].%s: expected %u "
				 "positive numbers", path, i - 1,
				 x->work_cycles ? "data_bytes" : "work_cycles",
				 x->work_cycles ? T + 1 : T);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * "decide": "dios" (default): the DIOS network of "weights" (default
 * dios_tT.nnw), a path relative to the profile's folder unless absolute;
 * every application must have the network's T. "dp": the exact DP.
 * "quantized": true / false runs the network's int8 copy (nn_quant.h) or
 * the float one; without it, what the weights file records.
 */
static int load_net(struct dil_online *o, const cJSON *root, const char *path,
		    char *err, size_t errlen)
{
	const cJSON *dec = cJSON_GetObjectItemCaseSensitive(root, "decide");
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "weights");
	const cJSON *q = cJSON_GetObjectItemCaseSensitive(root, "quantized");
	uint32_t T = o->apps[0].tasks;
	struct dil_net_config c;
	char file[512], *copy;
	int rc;

	if (dec && !(cJSON_IsString(dec) &&
		     (!strcmp(dec->valuestring, "dios") ||
		      !strcmp(dec->valuestring, "dp")))) {
		snprintf(err, errlen, "%s: decide: expected \"dios\" or "
			 "\"dp\"", path);
		return -EINVAL;
	}
	if (dec && !strcmp(dec->valuestring, "dp"))
		return 0;
	if (w && !cJSON_IsString(w)) {
		snprintf(err, errlen, "%s: weights: expected a file name", path);
		return -EINVAL;
	}
	if (q && !cJSON_IsBool(q)) {
		snprintf(err, errlen, "%s: quantized: expected true or false",
			 path);
		return -EINVAL;
	}
	for (size_t i = 1; i < o->napps; i++) {
		if (o->apps[i].tasks != T) {
			snprintf(err, errlen, "%s: apps[%zu]: %u sub-tasks, but "
				 "the network places %u (apps[0]); use one "
				 "profile file per T or \"decide\": \"dp\"",
				 path, i, o->apps[i].tasks, T);
			return -EINVAL;
		}
	}
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	if (w && w->valuestring[0] == '/')
		snprintf(file, sizeof(file), "%s", w->valuestring);
	else if (w)
		snprintf(file, sizeof(file), "%s/%s", dirname(copy),
			 w->valuestring);
	else
		snprintf(file, sizeof(file), "%s/dios_t%u.nnw", dirname(copy),
			 T);
	free(copy);
	dil_net_config_dios(&c, T);
	rc = dil_net_create(&o->net, &c);
	if (!rc)
		rc = dil_net_load(o->net, file);
	if (!rc && cJSON_IsTrue(q))
		rc = dil_net_quantize(o->net);
	if (!rc && q)
		rc = dil_net_use_quantized(o->net, cJSON_IsTrue(q));
	if (rc)
		snprintf(err, errlen, "%s: weights %s: %s", path, file,
			 nn_file_strerror(rc));
	return rc;
}

int dil_online_create(struct dil_online **out, const char *path, char *err,
		      size_t errlen)
{
	struct dil_online *o;
	const cJSON *v;
	cJSON *root;
	char *text;
	int rc = 0;

	if (!path) {
		snprintf(err, errlen, "dil: no application profile file "
			 "(--policy-args PATH, e.g. models/dil/apps.json)");
		return -EINVAL;
	}
	text = read_text(path, err, errlen, &rc);
	if (!text)
		return rc;
	o = calloc(1, sizeof(*o));
	root = cJSON_ParseWithOpts(text, NULL, 1);
	if (!o || !root) {
		rc = o ? -EINVAL : -ENOMEM;
		snprintf(err, errlen, "%s: %s", path, o ? "not valid JSON" :
			 "out of memory");
		goto err_free;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "dil_apps");
	if (!cJSON_IsNumber(v) || v->valuedouble != 1) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: dil_apps: expected 1 (format "
			 "version)", path);
		goto err_free;
	}
	dil_params_default(&o->params, 1);
	v = cJSON_GetObjectItemCaseSensitive(root, "params");
	if (v && (rc = parse_params(&o->params, v, path, err, errlen)))
		goto err_free;
	rc = parse_apps(o, cJSON_GetObjectItemCaseSensitive(root, "apps"),
			path, err, errlen);
	if (rc)
		goto err_free;
	rc = load_net(o, root, path, err, errlen);
	if (rc)
		goto err_free;
	cJSON_Delete(root);
	free(text);
	*out = o;
	return 0;

err_free:
	cJSON_Delete(root);
	dil_online_destroy(o);
	free(text);
	return rc;
}

static const struct dil_app *find_app(const struct dil_online *o, uint16_t id)
{
	for (size_t i = 0; i < o->napps; i++)
		if (o->apps[i].app == id)
			return &o->apps[i];
	return NULL;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Places @app for device @d; fills @e's target and split layer. */
static void place_app(struct dil_online *o, const struct dil_app *app,
		      const struct ctl_device_obs *d, uint32_t m, uint32_t n,
		      const int have[DIL_NLOC], struct es_app *e)
{
	const struct dil_params *p = &o->params;
	struct dil_sample s = {
		.tasks = app->tasks,
		.subcarriers = m,
		.cores = n,
		.snr = pow(10.0, d->snr_qdb / 40.0),
		.wired_delay_s = 0.5 * (p->wired_delay_min_s +
					p->wired_delay_max_s),
		.work_cycles = app->work_cycles,
		.data_bytes = app->data_bytes,
	};
	uint8_t place[DIL_TASKS_MAX];
	const float *y;
	uint32_t k;

	if (o->net && dil_net_scores(o->net, p, &s, &y) == 0) {
		/* One forward pass; each sub-task goes to its best-scored
		 * location among those with a server. */
		for (uint32_t t = 0; t < app->tasks; t++) {
			unsigned best = DIL_LOCAL;

			for (unsigned l = 1; l < DIL_NLOC; l++)
				if (have[l] && y[DIL_NLOC * t + l] >
					       y[DIL_NLOC * t + best])
					best = l;
			place[t] = (uint8_t)best;
		}
	} else {
		dil_costs_build(p, &s, &o->costs);
		for (unsigned l = DIL_EDGE; l < DIL_NLOC; l++) {
			if (have[l])
				continue;
			for (uint32_t t = 0; t < app->tasks; t++)
				o->costs.exec[t][l] = INFINITY;
		}
		dil_solve_dp(&o->costs, place);
	}
	for (k = 0; k < app->tasks && place[k] == DIL_LOCAL; k++)
		;
	e->target_kind = k < app->tasks ? place[k] : ESOP_TARGET_LOCAL;
	e->server = ES_SERVER_ANY;
	e->split_layer = (uint16_t)k;
}

int dil_online_decide(struct dil_online *o, const struct ctl_epoch_obs *obs,
		      struct es_policy *next)
{
	const struct es_policy *cur = obs->in_force;
	const struct dil_params *p = &o->params;
	int have[DIL_NLOC] = { 1, 0, 0 }, changed = 0;
	uint32_t active = 0, queue = UINT32_MAX, m, n;

	int rc = ptab_copy(next, cur);

	if (rc)
		return rc;
	for (uint32_t i = 0; i < cur->nservers; i++) {
		unsigned kind = cur->servers[i].kind;

		if (kind == ESOP_TARGET_EDGE && obs->servers &&
		    obs->servers[i].queue_depth < queue)
			queue = obs->servers[i].queue_depth;
		if (kind == ESOP_TARGET_EDGE || kind == ESOP_TARGET_CLOUD)
			have[kind] = 1;
	}
	if (queue == UINT32_MAX)
		queue = 0;
	for (uint32_t i = 0; i < obs->ndevices; i++)
		active += obs->devices[i].pending_bytes > 0;
	m = (uint32_t)clamp(floor(p->subcarriers / (active ? active : 1)),
			    p->alloc_subcarriers_min, p->subcarriers);
	n = (uint32_t)clamp(p->edge_cores - queue, p->alloc_cores_min,
			    p->edge_cores);
	for (uint32_t i = 0; i < obs->ndevices; i++) {
		const struct ctl_device_obs *d = &obs->devices[i];
		const struct dil_app *app = find_app(o, d->app_id);
		const struct es_device *dev = ptab_find_device(cur, d->id);

		if (!app || !dev)
			continue;
		for (uint32_t a = 0; a < dev->napps; a++) {
			struct es_app *e = &next->apps[dev->apps_off + a];
			struct es_app before = *e;

			if (e->app != d->app_id)
				continue;
			place_app(o, app, d, m, n, have, e);
			changed |= memcmp(&before, e, sizeof(before)) != 0;
		}
	}
	if (changed)
		return 0;
	/* Nothing to push: hand nothing over either. */
	free(next->devices);
	free(next->apps);
	next->devices = NULL;
	next->apps = NULL;
	return 1;
}
