/* SPDX-License-Identifier: MIT */
/*
 * DDLRO (seed 000): latency-aware placement of offloaded apps across the
 * edge and cloud servers from the task latency the fast path measured
 * (docs/ddlro.md). The online policy `ddlro` solves at its first epoch,
 * again once the servers it placed apps on unmeasured have been measured,
 * when the daemon forgets a server left alone (its latency_us back to 0:
 * it is tried again), and whenever edgesteerd's drift detector fires
 * (ctl_epoch_obs.drift).
 */
#ifndef EDGESTEER_DDLRO_H
#define EDGESTEER_DDLRO_H

#include <stdint.h>

#include "es_policy.h"
#include "policy.h"

/*
 * Places every app of @p that offloads (target not local) on a server:
 * apps one by one, each on the server with the least
 *   est[s] * (1 + spread * n[s] / N)
 * where est[s] is server s's measured latency (@lat_us, 0 = never
 * measured: half the least measured one, so an unmeasured server gets
 * tried; 1 when none is), n[s] the apps it has so far and N the apps
 * placed: the congestion term spreads apps over servers that measure about
 * the same.
 * Fills @server (p->napps entries; ES_SERVER_ANY for local apps) and
 * *cost_us with the predicted mean. Returns the number of apps placed, or
 * -ENODEV when an app offloads and there is no server.
 */
int ddlro_place(const struct es_policy *p, const uint32_t *lat_us, double spread,
		uint8_t *server, double *cost_us);

#endif /* EDGESTEER_DDLRO_H */
