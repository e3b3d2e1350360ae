/* SPDX-License-Identifier: MIT */
#include "policy.h"

#include <stddef.h>
#include <string.h>

/*
 * Each policy module defines one `const struct ctl_policy_ops NAME_policy`
 * and is listed here once.
 */
extern const struct ctl_policy_ops dil_policy;
extern const struct ctl_policy_ops ddlo_policy;

static const struct ctl_policy_ops *const registry[] = {
	&dil_policy,
	&ddlo_policy,
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
