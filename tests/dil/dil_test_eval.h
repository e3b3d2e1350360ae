/* SPDX-License-Identifier: MIT */
/*
 * `edgesteerctl policy eval --policy dil ARGS...` through the policy
 * registry, its report captured in *@text (free it). For the cmocka tests
 * of tests/dil; include after <cmocka.h>.
 */
#ifndef EDGESTEER_DIL_TEST_EVAL_H
#define EDGESTEER_DIL_TEST_EVAL_H

#include <stdio.h>

#include "policy.h"

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

#endif /* EDGESTEER_DIL_TEST_EVAL_H */
