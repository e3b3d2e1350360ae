/* SPDX-License-Identifier: MIT */
#include "ddlo_policy.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ddlo.h"
#include "esop.h"
#include "nn_file.h"
#include "ptab.h"


struct ddlo_online {
	struct ddlo *agent;
	struct ddlo_mec mec;
	enum ddlo_bw bw;
	int learn;
	int quantized;		/* 1 int8, 0 float, -1 as the weights file */
	double unit_bytes;	/* bytes per model "MB" */
	uint32_t slots;		/* N·M */
	uint32_t *slot_dev;	/* device id per slot, 0 = free */
	uint16_t *slot_app;	/* its last app id */
	uint8_t *seen;		/* scratch of observe */
	float *size_mb;		/* this epoch's input */
	uint8_t *x;
	double *rate_mbs;	/* per WD */
	char save[PATH_MAX];
};

const char *ddlo_strerror(int rc)
{
	return nn_file_strerror(rc);
}

static int parse_args(const char *args, struct ddlo_config *cfg,
		      struct ddlo_online *s, uint32_t *n, uint32_t *m,
		      double *cap_mbps, char *weights)
{
	char buf[1024], *save = NULL;

	if (!args)
		return 0;
	if (strlen(args) >= sizeof(buf))
		return -E2BIG;
	strcpy(buf, args);
	for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '='), *end;
		unsigned long long u;

		if (!v)
			return -EINVAL;
		*v++ = 0;
		if (!strcmp(kv, "weights") || !strcmp(kv, "save")) {
			char *dst = !strcmp(kv, "weights") ? weights : s->save;

			if (strlen(v) >= PATH_MAX)
				return -ENAMETOOLONG;
			strcpy(dst, v);
			continue;
		}
		if (!strcmp(kv, "bandwidth")) {
			if (!strcmp(v, "equal"))
				s->bw = DDLO_BW_EQUAL;
			else if (!strcmp(v, "optimal"))
				s->bw = DDLO_BW_OPTIMAL;
			else
				return -EINVAL;
			continue;
		}
		if (!strcmp(kv, "capacity_mbps")) {
			*cap_mbps = strtod(v, &end);
			if (*end || !(*cap_mbps > 0))
				return -EINVAL;
			continue;
		}
		errno = 0;
		u = strtoull(v, &end, 10);
		if (errno || end == v || *end || u > UINT32_MAX)
			return -EINVAL;
		if (!strcmp(kv, "k"))
			cfg->k = (uint32_t)u;
		else if (!strcmp(kv, "wds"))
			*n = (uint32_t)u;
		else if (!strcmp(kv, "tasks"))
			*m = (uint32_t)u;
		else if (!strcmp(kv, "seed"))
			cfg->seed = u;
		else if (!strcmp(kv, "learn"))
			s->learn = u != 0;
		else if (!strcmp(kv, "quantized"))
			s->quantized = u != 0;
		else if (!strcmp(kv, "unit_bytes") && u > 0)
			s->unit_bytes = (double)u;
		else
			return -EINVAL;
	}
	return 0;
}

static void ddlo_destroy(void *state)
{
	struct ddlo_online *s = state;

	if (!s)
		return;
	if (s->save[0] && s->agent)
		ddlo_save(s->agent, s->save);	/* best effort at shutdown */
	ddlo_free(s->agent);
	free(s->slot_dev);
	free(s->slot_app);
	free(s->seen);
	free(s->size_mb);
	free(s->x);
	free(s->rate_mbs);
	free(s);
}

static int ddlo_create_online(void **state, const char *args)
{
	struct ddlo_online *s = calloc(1, sizeof(*s));
	struct ddlo_config cfg;
	uint32_t n = 3, m = 3;
	double cap_mbps = 0;
	char weights[PATH_MAX] = "";
	int rc;

	if (!s)
		return -ENOMEM;
	s->learn = 1;
	s->quantized = -1;
	s->unit_bytes = 1048576;
	ddlo_config_default(&cfg, 0, 5);
	rc = parse_args(args, &cfg, s, &n, &m, &cap_mbps, weights);
	if (rc)
		goto err;
	rc = ddlo_mec_init(&s->mec, n, m);
	if (rc)
		goto err;
	if (cap_mbps > 0)
		s->mec.capacity_mbs = cap_mbps / 8;
	s->slots = n * m;
	/* the shape-dependent defaults follow N·M */
	struct ddlo_config def;

	ddlo_config_default(&def, s->slots, cfg.k);
	def.seed = cfg.seed;
	rc = ddlo_create(&s->agent, &def);
	if (rc)
		goto err;
	if (weights[0] && (rc = ddlo_load(s->agent, weights)))
		goto err;
	if (s->quantized == 1 && (rc = ddlo_quantize(s->agent)))
		goto err;
	if (s->quantized >= 0 &&
	    (rc = ddlo_use_quantized(s->agent, s->quantized)))
		goto err;
	rc = -ENOMEM;
	s->slot_dev = calloc(s->slots, sizeof(*s->slot_dev));
	s->slot_app = calloc(s->slots, sizeof(*s->slot_app));
	s->seen = calloc(s->slots, 1);
	s->size_mb = calloc(s->slots, sizeof(*s->size_mb));
	s->x = calloc(s->slots, 1);
	s->rate_mbs = calloc(n, sizeof(double));
	if (!s->slot_dev || !s->slot_app || !s->seen || !s->size_mb || !s->x ||
	    !s->rate_mbs)
		goto err;
	*state = s;
	return 0;
err:
	s->save[0] = 0;
	ddlo_destroy(s);
	return rc;
}

static int find_slot(const struct ddlo_online *s, uint32_t id)
{
	for (uint32_t k = 0; k < s->slots; k++)
		if (s->slot_dev[k] == id)
			return (int)k;
	return -1;
}

/* Slots follow the devices seen; the sizes become this epoch's input. */
static int ddlo_observe(void *state, const struct ctl_epoch_obs *obs)
{
	struct ddlo_online *s = state;
	uint8_t *seen = s->seen;

	if (!obs || (obs->ndevices && !obs->devices))
		return -EINVAL;
	memset(seen, 0, s->slots);
	memset(s->size_mb, 0, s->slots * sizeof(float));
	for (uint32_t d = 0; d < obs->ndevices; d++) {
		const struct ctl_device_obs *o = &obs->devices[d];
		int k = find_slot(s, o->id);

		if (k < 0 && o->pending_bytes)
			k = find_slot(s, 0);	/* a free slot, if any */
		if (k < 0)
			continue;
		s->slot_dev[k] = o->id;
		s->slot_app[k] = o->app_id;
		s->size_mb[k] = (float)(o->pending_bytes / s->unit_bytes);
		seen[k] = 1;
	}
	for (uint32_t k = 0; k < s->slots; k++)
		if (!seen[k])
			s->slot_dev[k] = 0;
	return 0;
}

/* Writes slot @k's decision into @next's copy of its device; 1 = changed. */
static int apply_slot(const struct ddlo_online *s, uint32_t k,
		      const struct es_policy *cur, struct es_policy *next)
{
	const struct es_device *dev = ptab_find_device(cur, s->slot_dev[k]);
	const uint32_t m = s->mec.n_task, wd = k / m;
	int changed = 0, matched = 0;

	if (!dev)
		return 0;
	struct es_device *nd = &next->devices[dev - cur->devices];
	const uint8_t kind = s->x[k] ? ESOP_TARGET_EDGE : ESOP_TARGET_LOCAL;

	for (int pass = 0; pass < 2 && !matched; pass++)
		for (uint32_t a = 0; a < nd->napps; a++) {
			struct es_app *app = &next->apps[nd->apps_off + a];

			/* the app of its request; if unknown, all its apps */
			if (pass == 0 && app->app != s->slot_app[k])
				continue;
			matched = 1;
			if (app->target_kind == kind)
				continue;
			app->target_kind = kind;
			app->server = ES_SERVER_ANY;
			changed = 1;
		}
	if (s->x[k]) {
		double up = 0, rate;

		for (uint32_t j = 0; j < m; j++)
			up += s->x[wd * m + j] ? s->size_mb[wd * m + j] : 0;
		rate = up > 0 ? s->rate_mbs[wd] * s->size_mb[k] / up : 0;
		uint32_t kbps = (uint32_t)(rate * s->unit_bytes * 8 / 1000);

		if (kbps == 0)
			kbps = 1;
		if (nd->rate_kbps != kbps) {
			nd->rate_kbps = kbps;
			changed = 1;
		}
	}
	return changed;
}

static int ddlo_decide_online(void *state, const struct ctl_epoch_obs *obs,
			      struct es_policy *next)
{
	struct ddlo_online *s = state;
	const struct es_policy *cur = obs ? obs->in_force : NULL;
	double q;
	int rc, changed = 0;

	if (!cur || !next)
		return -EINVAL;
	rc = ddlo_decide(s->agent, &s->mec, s->bw, s->size_mb, s->x, &q);
	if (rc < 0)
		return rc;
	/* slots without a task offload nothing */
	for (uint32_t k = 0; k < s->slots; k++)
		if (s->size_mb[k] <= 0)
			s->x[k] = 0;
	ddlo_mec_utility(&s->mec, s->size_mb, s->x, s->bw, s->rate_mbs);
	if (s->learn) {
		rc = ddlo_learn(s->agent, s->size_mb, s->x);
		if (rc < 0)
			return rc;
	}
	rc = ptab_copy(next, cur);
	if (rc)
		return rc;
	next->epoch = cur->epoch + 1;
	for (uint32_t k = 0; k < s->slots; k++)
		if (s->slot_dev[k])
			changed |= apply_slot(s, k, cur, next);
	return changed ? 0 : 1;
}

const struct ctl_policy_ops ddlo_policy = {
	.name = "ddlo",
	.summary = "DDLO: K parallel DNNs, shared replay, exact bandwidth (seed 001)",
	.eval = ddlo_eval,
	.create = ddlo_create_online,
	.observe = ddlo_observe,
	.decide = ddlo_decide_online,
	.destroy = ddlo_destroy,
};
