/* SPDX-License-Identifier: MIT */
/*
 * The policies edgesteerd ships besides the learned ones: `static` (the
 * operator's table, as pushed) and the baselines every learned policy is
 * compared with: `all-local`, `all-edge`, `all-cloud` (every app of every
 * device to one place; edge and cloud by kind, so the daemon balances them)
 * and `greedy` (per device, from what was observed last epoch).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esop.h"
#include "policy.h"
#include "ptab.h"

/* static: whatever was pushed stays; the policy never changes it. */
static int static_create(void **state, const char *args)
{
	(void)args;
	*state = NULL;
	return 0;
}

static int static_observe(void *state, const struct ctl_epoch_obs *obs)
{
	(void)state;
	(void)obs;
	return 0;
}

static int static_decide(void *state, const struct ctl_epoch_obs *obs, struct es_policy *next)
{
	(void)state;
	(void)obs;
	(void)next;
	return 1;
}

static void static_destroy(void *state)
{
	(void)state;
}

const struct ctl_policy_ops static_policy = {
	.name = "static",
	.summary = "the operator's table, as pushed (edgesteerd's default)",
	.create = static_create,
	.observe = static_observe,
	.decide = static_decide,
	.destroy = static_destroy,
};

/*
 * Rewrites every app's target with @target_of (kind, ES_SERVER_ANY). Returns
 * 1 when that changes nothing (no table is built), 0 with @next, -errno.
 */
static int retarget(const struct es_policy *cur, struct es_policy *next,
		    uint8_t (*target_of)(void *, uint32_t), void *arg)
{
	int changed = 0, rc;

	for (uint32_t i = 0; i < cur->ndevices && !changed; i++) {
		const struct es_device *d = &cur->devices[i];
		uint8_t k = target_of(arg, i);

		for (uint32_t a = 0; a < d->napps; a++) {
			const struct es_app *ap = &cur->apps[d->apps_off + a];

			if (ap->target_kind != k || ap->server != ES_SERVER_ANY)
				changed = 1;
		}
	}
	if (!changed)
		return 1;
	rc = ptab_copy(next, cur);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < next->ndevices; i++) {
		const struct es_device *d = &next->devices[i];
		uint8_t k = target_of(arg, i);

		for (uint32_t a = 0; a < d->napps; a++) {
			next->apps[d->apps_off + a].target_kind = k;
			next->apps[d->apps_off + a].server = ES_SERVER_ANY;
		}
	}
	next->epoch = cur->epoch + 1;
	return 0;
}

static int has_kind(const struct es_policy *p, uint8_t kind)
{
	if (kind == ESOP_TARGET_LOCAL)
		return 1;
	for (uint32_t s = 0; s < p->nservers; s++)
		if (p->servers[s].kind == kind)
			return 1;
	return 0;
}

struct fixed_state {
	uint8_t kind;
};

static int fixed_create(void **state, uint8_t kind)
{
	struct fixed_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->kind = kind;
	*state = st;
	return 0;
}

static uint8_t fixed_target(void *arg, uint32_t i)
{
	(void)i;
	return ((struct fixed_state *)arg)->kind;
}

static int fixed_decide(void *state, const struct ctl_epoch_obs *obs, struct es_policy *next)
{
	struct fixed_state *st = state;

	if (!obs->in_force)
		return 1;
	if (!has_kind(obs->in_force, st->kind))
		return -ENODEV;
	return retarget(obs->in_force, next, fixed_target, st);
}

static int local_create(void **state, const char *args)
{
	(void)args;
	return fixed_create(state, ESOP_TARGET_LOCAL);
}

static int edge_create(void **state, const char *args)
{
	(void)args;
	return fixed_create(state, ESOP_TARGET_EDGE);
}

static int cloud_create(void **state, const char *args)
{
	(void)args;
	return fixed_create(state, ESOP_TARGET_CLOUD);
}

const struct ctl_policy_ops all_local_policy = {
	.name = "all-local",
	.summary = "baseline: every app runs on its device",
	.create = local_create,
	.observe = static_observe,
	.decide = fixed_decide,
	.destroy = free,
};

const struct ctl_policy_ops all_edge_policy = {
	.name = "all-edge",
	.summary = "baseline: every app offloads to the least-loaded edge server",
	.create = edge_create,
	.observe = static_observe,
	.decide = fixed_decide,
	.destroy = free,
};

const struct ctl_policy_ops all_cloud_policy = {
	.name = "all-cloud",
	.summary = "baseline: every app offloads to the least-loaded cloud server",
	.create = cloud_create,
	.observe = static_observe,
	.decide = fixed_decide,
	.destroy = free,
};

/*
 * greedy: a device whose last reported SNR is at least snr_db offloads to
 * the edge while some edge server's queue is under max_queue, else to the
 * cloud; a device with a worse link, or with no server to go to, runs
 * locally. Devices not seen last epoch keep their place.
 */
struct greedy_state {
	int snr_qdb;			/* threshold, 0.25 dB */
	uint32_t max_queue;
	uint8_t *want;			/* per device in force, this epoch */
};

static int greedy_create(void **state, const char *args)
{
	struct greedy_state *st = calloc(1, sizeof(*st));
	double snr_db = 10.0;
	unsigned int q = 64;

	if (!st)
		return -ENOMEM;
	/* args: "snr_db=10,max_queue=64" */
	for (const char *p = args; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : "") {
		if (sscanf(p, "snr_db=%lf", &snr_db) != 1 && sscanf(p, "max_queue=%u", &q) != 1) {
			free(st);
			return -EINVAL;
		}
	}
	st->snr_qdb = (int)(snr_db * 4);
	st->max_queue = q;
	*state = st;
	return 0;
}

static uint8_t greedy_target(void *arg, uint32_t i)
{
	return ((struct greedy_state *)arg)->want[i];
}

static int greedy_decide(void *state, const struct ctl_epoch_obs *obs, struct es_policy *next)
{
	struct greedy_state *st = state;
	const struct es_policy *p = obs->in_force;
	int edge_ok = 0, cloud_ok = 0, rc;

	if (!p || !obs->ndevices || !p->ndevices)
		return 1;
	for (uint32_t s = 0; s < p->nservers; s++) {
		uint32_t q = obs->servers ? obs->servers[s].queue_depth : 0;

		if (p->servers[s].kind == ESOP_TARGET_EDGE && q < st->max_queue)
			edge_ok = 1;
		if (p->servers[s].kind == ESOP_TARGET_CLOUD)
			cloud_ok = 1;
	}
	st->want = malloc(p->ndevices);
	if (!st->want)
		return -ENOMEM;
	/* not seen last epoch: stays where its first app is */
	for (uint32_t i = 0; i < p->ndevices; i++) {
		const struct es_device *d = &p->devices[i];

		st->want[i] = d->napps ? p->apps[d->apps_off].target_kind : ESOP_TARGET_LOCAL;
	}
	for (uint32_t k = 0; k < obs->ndevices; k++) {
		const struct es_device *d = ptab_find_device(p, obs->devices[k].id);

		if (!d)
			continue;
		st->want[d - p->devices] = obs->devices[k].snr_qdb < st->snr_qdb ?
			ESOP_TARGET_LOCAL : edge_ok ? ESOP_TARGET_EDGE :
			cloud_ok ? ESOP_TARGET_CLOUD : ESOP_TARGET_LOCAL;
	}
	rc = retarget(p, next, greedy_target, st);
	free(st->want);
	st->want = NULL;
	return rc;
}

const struct ctl_policy_ops greedy_policy = {
	.name = "greedy",
	.summary = "baseline: good link -> edge while its queues allow, else cloud, else local",
	.create = greedy_create,
	.observe = static_observe,
	.decide = greedy_decide,
	.destroy = free,
};
