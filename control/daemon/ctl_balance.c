/* SPDX-License-Identifier: MIT */
#include "ctl_balance.h"

#include <errno.h>

#include "esop.h"

int ctl_balance(const struct es_policy *p, const struct ctl_server_obs *obs,
		const uint64_t *demand, uint8_t *server)
{
	uint64_t load[ES_MAX_SERVERS];

	for (uint32_t s = 0; s < p->nservers; s++)
		load[s] = obs ? obs[s].bytes + obs[s].queue_depth : 0;
	for (uint32_t i = 0; i < p->ndevices; i++) {
		const struct es_device *d = &p->devices[i];
		uint64_t cost = demand && demand[i] ? demand[i] : 1;

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
	}
	return 0;
}
