/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the cmocka tests of tests/dil; include after
 * <cmocka.h>.
 */
#ifndef EDGESTEER_DIL_TEST_H
#define EDGESTEER_DIL_TEST_H

#include <stdio.h>
#include <string.h>

#include "esop.h"
#include "policy.h"

/* A table in force with one edge and one cloud server and @ndevices
 * devices owning @napps app entries. */
static void table_edge_cloud(struct es_policy *cur, struct es_device *devs,
			     uint32_t ndevices, struct es_app *apps,
			     uint32_t napps)
{
	cur->nservers = 2;
	strcpy(cur->servers[0].name, "edge0");
	cur->servers[0].kind = ESOP_TARGET_EDGE;
	strcpy(cur->servers[1].name, "cloud0");
	cur->servers[1].kind = ESOP_TARGET_CLOUD;
	cur->ndevices = ndevices;
	cur->napps = napps;
	cur->devices = devs;
	cur->apps = apps;
}

/*
 * `edgesteerctl policy eval --policy dil ARGS...` through the policy
 * registry, its report captured in *@text (free it).
 */
static int run_eval(const char *const *args, char **text)
{
	const struct ctl_policy_ops *ops = ctl_policy_find("dil");
	char *argv[32];
	size_t n = 0, len;
	FILE *out;
	int rc;

	assert_non_null(ops);
	assert_non_null(ops->eval);
	argv[n++] = (char *)"dil";
	for (; args[n - 1]; n++) {
		assert_true(n < 31);
		argv[n] = (char *)args[n - 1];
	}
	argv[n] = NULL;
	out = open_memstream(text, &len);
	assert_non_null(out);
	rc = ops->eval((int)n, argv, out);
	fclose(out);
	return rc;
}

#endif /* EDGESTEER_DIL_TEST_H */
