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
#include "ptab.h"

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

/*
 * ctl_balance() for a table @next that the delta @d made from @prev, whose
 * choices were @prev_server: the devices @d adds or replaces get the
 * least-loaded server of their kinds (loads from @obs plus what this pass
 * gives), every other device keeps its choice from @prev_server, which is
 * also what the fast path (it only receives the delta) keeps for it. Runs
 * of untouched devices are copied in bulk: O(delta + log table), not
 * O(table). Returns 0, -ENODEV as ctl_balance, or -EINVAL when @next is
 * not @prev changed by @d or @d changes the servers (then use ctl_balance).
 */
int ctl_balance_delta(const struct es_policy *prev, const uint8_t *prev_server,
		      const struct es_policy *next, const struct ptab_delta *d,
		      const struct ctl_server_obs *obs, uint8_t *server);

#endif /* EDGESTEER_CTL_BALANCE_H */
