/* SPDX-License-Identifier: MIT */
#include "policy.h"

#include <stddef.h>
#include <string.h>

/*
 * Each policy module defines one `const struct ctl_policy_ops NAME_policy`
 * and is listed here once.
 */
extern const struct ctl_policy_ops static_policy, greedy_policy, all_edge_policy,
	all_cloud_policy, all_local_policy;

static const struct ctl_policy_ops *const registry[] = {
	&static_policy,
	&greedy_policy,
	&all_edge_policy,
	&all_cloud_policy,
	&all_local_policy,
	NULL,
};

const struct ctl_policy_ops *const *ctl_policies(void)
{
	return registry;
}

const struct ctl_policy_ops *ctl_policy_find(const char *name)
{
	for (size_t i = 0; registry[i]; i++)
		if (!strcmp(registry[i]->name, name))
			return registry[i];
	return NULL;
}
