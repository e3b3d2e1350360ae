/* SPDX-License-Identifier: MIT */
/*
 * Least-loaded server choice for apps whose target is a kind (`edge`,
 * `cloud`): the load balancing of the DDLRO thesis, done by the daemon so
 * that a policy (or an operator) can name a kind instead of a server.
 */
#ifndef EDGESTEER_CTL_BALANCE_H
#define EDGESTEER_CTL_BALANCE_H

#include <stdint.h>

#include "policy.h"

/*
 * Fills @server (p->napps entries): named targets keep their server, local
 * apps get ES_SERVER_ANY, and each app whose target is a kind goes to the
 * server of that kind with the least load, where load is what @obs saw
 * (bytes plus queue depth; NULL: nothing seen) plus what this pass already
 * gave it (the device's observed bytes in @demand, indexed like
 * p->devices, or 1 per app when NULL or 0). Returns 0, or -ENODEV when a
 * kind has no server (ptab_check() rules that out).
 */
int ctl_balance(const struct es_policy *p, const struct ctl_server_obs *obs,
		const uint64_t *demand, uint8_t *server);

#endif /* EDGESTEER_CTL_BALANCE_H */
