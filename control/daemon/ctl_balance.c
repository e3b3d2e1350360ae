/* SPDX-License-Identifier: MIT */
#include "ctl_balance.h"

#include <errno.h>
#include <string.h>

#include "esop.h"

static void loads_of(const struct es_policy *p, const struct ctl_server_obs *obs,
		     uint64_t *load)
{
	for (uint32_t s = 0; s < p->nservers; s++)
		load[s] = obs ? obs[s].bytes + obs[s].queue_depth : 0;
}

/* Device @d's apps: named targets kept, kinds to their least-loaded server. */
static int balance_device(const struct es_policy *p, const struct es_device *d,
			  uint64_t cost, uint64_t *load, uint8_t *server)
{
	for (uint32_t a = 0; a < d->napps; a++) {
		const struct es_app *ap = &p->apps[d->apps_off + a];
		uint32_t best = ES_SERVER_ANY;

		if (ap->target_kind == ESOP_TARGET_LOCAL || ap->server != ES_SERVER_ANY) {
			server[d->apps_off + a] = ap->server;
			continue;
		}
		for (uint32_t s = 0; s < p->nservers; s++)
			if (p->servers[s].kind == ap->target_kind &&
			    (best == ES_SERVER_ANY || load[s] < load[best]))
				best = s;
		if (best == ES_SERVER_ANY)
			return -ENODEV;
		load[best] += cost;
		server[d->apps_off + a] = (uint8_t)best;
	}
	return 0;
}

int ctl_balance(const struct es_policy *p, const struct ctl_server_obs *obs,
		const uint64_t *demand, uint8_t *server)
{
	uint64_t load[ES_MAX_SERVERS];

	loads_of(p, obs, load);
	for (uint32_t i = 0; i < p->ndevices; i++) {
		int rc = balance_device(p, &p->devices[i], demand && demand[i] ? demand[i] : 1,
					load, server);

		if (rc)
			return rc;
	}
	return 0;
}

/* next->devices[i..ni) are prev->devices[j..): their choices, in bulk. */
static int copy_run(const struct es_policy *prev, const uint8_t *prev_server,
		    const struct es_policy *next, uint32_t i, uint32_t ni, uint32_t j,
		    uint8_t *server)
{
	const struct es_device *a = &next->devices[i], *b = &prev->devices[j];
	uint32_t n = ni - i;

	if (j + n > prev->ndevices || b->id != a->id || b[n - 1].id != a[n - 1].id)
		return -EINVAL;
	/* a table's apps are compact in device order, so a run's are contiguous */
	if (a[n - 1].apps_off + a[n - 1].napps - a->apps_off ==
	    b[n - 1].apps_off + b[n - 1].napps - b->apps_off) {
		memcpy(server + a->apps_off, prev_server + b->apps_off,
		       a[n - 1].apps_off + a[n - 1].napps - a->apps_off);
		return 0;
	}
	for (uint32_t k = 0; k < n; k++) {
		if (a[k].id != b[k].id || a[k].napps != b[k].napps)
			return -EINVAL;
		memcpy(server + a[k].apps_off, prev_server + b[k].apps_off, a[k].napps);
	}
	return 0;
}

int ctl_balance_delta(const struct es_policy *prev, const uint8_t *prev_server,
		      const struct es_policy *next, const struct ptab_delta *d,
		      const struct ctl_server_obs *obs, uint8_t *server)
{
	uint64_t load[ES_MAX_SERVERS];
	uint32_t i = 0, j = 0, k = 0, r = 0;

	if (!prev || !prev_server || d->has_servers)
		return -EINVAL;
	loads_of(next, obs, load);
	while (i < next->ndevices) {
		uint64_t kid = k < d->ndevices ? d->devices[k].id : UINT64_MAX;
		uint64_t rid = r < d->nremove ? d->remove[r] : UINT64_MAX;
		uint64_t stop = kid < rid ? kid : rid;
		uint32_t ni = stop == UINT64_MAX ? next->ndevices : ptab_lower_bound(next, i, stop);
		int rc;

		if (ni > i) {	/* untouched since prev: keep their choices */
			j = ptab_lower_bound(prev, j, next->devices[i].id);
			rc = copy_run(prev, prev_server, next, i, ni, j, server);
			if (rc)
				return rc;
			j += ni - i;
			i = ni;
		}
		if (stop == UINT64_MAX)
			break;
		if (stop == rid && rid != kid) {	/* removed: not in next */
			r++;
			continue;
		}
		if (i >= next->ndevices || next->devices[i].id != kid)
			return -EINVAL;
		rc = balance_device(next, &next->devices[i], 1, load, server);
		if (rc)
			return rc;
		i++;
		k++;
	}
	return 0;
}
