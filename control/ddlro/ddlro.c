/* SPDX-License-Identifier: MIT */
#include "ddlro.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esop.h"
#include "ptab.h"

/*
 * The estimate a server is placed by: measured, else half the least
 * measured (optimistic: it gets the larger share and is measured at once).
 */
static void estimates(const struct es_policy *p, const uint32_t *lat_us, double *est)
{
	double least = 0;

	for (uint32_t s = 0; s < p->nservers; s++)
		if (lat_us && lat_us[s] && (!least || lat_us[s] < least))
			least = lat_us[s];
	for (uint32_t s = 0; s < p->nservers; s++)
		est[s] = lat_us && lat_us[s] ? lat_us[s] : least ? least / 2 : 1;
}

int ddlro_place(const struct es_policy *p, const uint32_t *lat_us, double spread,
		uint8_t *server, double *cost_us)
{
	double est[ES_MAX_SERVERS], sum = 0;
	uint32_t n[ES_MAX_SERVERS] = { 0 }, total = 0, placed = 0;

	if (!p->nservers) {
		for (uint32_t a = 0; a < p->napps; a++)
			if (p->apps[a].target_kind != ESOP_TARGET_LOCAL)
				return -ENODEV;
	}
	estimates(p, lat_us, est);
	for (uint32_t a = 0; a < p->napps; a++)
		total += p->apps[a].target_kind != ESOP_TARGET_LOCAL;
	for (uint32_t a = 0; a < p->napps; a++) {
		uint32_t best = 0;
		double best_cost = 0;

		server[a] = ES_SERVER_ANY;
		if (p->apps[a].target_kind == ESOP_TARGET_LOCAL)
			continue;
		for (uint32_t s = 0; s < p->nservers; s++) {
			double c = est[s] * (1 + spread * n[s] / total);

			if (!s || c < best_cost) {
				best = s;
				best_cost = c;
			}
		}
		server[a] = (uint8_t)best;
		n[best]++;
		placed++;
	}
	for (uint32_t s = 0; s < p->nservers; s++)
		sum += n[s] * est[s] * (1 + spread * n[s] / (total ? total : 1));
	if (cost_us)
		*cost_us = placed ? sum / placed : 0;
	return (int)placed;
}

/* --- the online policy --- */

/* Epochs a server placed on unmeasured must have been measured before the re-solve. */
#define SETTLE_EPOCHS	2

struct ddlro_state {
	double spread;
	uint32_t period;	/* re-solve every this many epochs too, 0 = never */
	uint32_t since;		/* epochs since the last solve */
	int solved;
	uint64_t blind;		/* servers given apps while unmeasured */
	uint32_t settled;	/* epochs all of them have been measured */
	uint32_t prev[ES_MAX_SERVERS];	/* latency_us last epoch */
};

static int ddlro_create(void **state, const char *args)
{
	struct ddlro_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->spread = 2;
	/* args: "spread=2,period=0" */
	for (const char *p = args; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : "") {
		if ((sscanf(p, "spread=%lf", &st->spread) != 1 || st->spread < 0) &&
		    sscanf(p, "period=%u", &st->period) != 1) {
			free(st);
			return -EINVAL;
		}
	}
	*state = st;
	return 0;
}

static int ddlro_observe(void *state, const struct ctl_epoch_obs *obs)
{
	(void)state;
	(void)obs;
	return 0;
}

static int blind_measured(uint64_t blind, const uint32_t *lat)
{
	for (uint32_t s = 0; s < ES_MAX_SERVERS; s++)
		if ((blind >> s & 1) && !lat[s])
			return 0;
	return 1;
}

static int ddlro_decide(void *state, const struct ctl_epoch_obs *obs, struct es_policy *next)
{
	struct ddlro_state *st = state;
	const struct es_policy *p = obs->in_force;
	uint32_t lat[ES_MAX_SERVERS] = { 0 };
	uint8_t *server;
	int changed = 0, forgotten = 0, rc;

	st->since++;
	for (uint32_t s = 0; obs->servers && p && s < p->nservers; s++) {
		lat[s] = obs->servers[s].latency_us;
		/* the daemon forgot a server left alone: try it again */
		forgotten |= st->prev[s] && !lat[s];
		st->prev[s] = lat[s];
	}
	/* placed blind: solved again once measured (and measured unknown: never) */
	st->settled = st->blind && blind_measured(st->blind, lat) ? st->settled + 1 : 0;
	if (!p || (st->solved && !obs->drift && !(st->period && st->since >= st->period) &&
		   st->settled < SETTLE_EPOCHS && !forgotten))
		return 1;
	st->since = 0;
	st->settled = 0;
	st->solved = 1;
	server = malloc((size_t)p->napps + 1);
	if (!server)
		return -ENOMEM;
	rc = ddlro_place(p, lat, st->spread, server, NULL);
	st->blind = 0;
	for (uint32_t a = 0; rc >= 0 && a < p->napps; a++)
		if (server[a] != ES_SERVER_ANY && !lat[server[a]])
			st->blind |= 1ull << server[a];
	for (uint32_t a = 0; rc >= 0 && a < p->napps; a++)
		changed |= server[a] != ES_SERVER_ANY && server[a] != p->apps[a].server;
	if (rc < 0 || !changed) {
		free(server);
		return rc < 0 ? rc : 1;
	}
	rc = ptab_copy(next, p);
	for (uint32_t a = 0; !rc && a < next->napps; a++) {
		if (server[a] == ES_SERVER_ANY)
			continue;
		next->apps[a].server = server[a];
		next->apps[a].target_kind = p->servers[server[a]].kind;
	}
	free(server);
	if (rc)
		return rc;
	next->epoch = p->epoch + 1;
	return 0;
}

static void ddlro_destroy(void *state)
{
	free(state);
}

const struct ctl_policy_ops ddlro_policy = {
	.name = "ddlro",
	.summary = "DDLRO: offloaded apps placed on edge/cloud servers by measured task "
		   "latency, re-solved on drift (args: spread=2,period=0)",
	.create = ddlro_create,
	.observe = ddlro_observe,
	.decide = ddlro_decide,
	.destroy = ddlro_destroy,
};
