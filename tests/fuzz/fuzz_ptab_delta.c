/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: a table or a delta pushed against a table in force (the
 * shipped policies/example.json, so that policies/example-delta.json and
 * its mutations are deltas that apply).
 */
#include "fuzz_ptab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct es_policy in_force;

	if (!in_force.epoch) {
		struct ptab_error err;

		if (ptab_load_file(FUZZ_IN_FORCE, NULL, NULL, 0, &in_force, NULL, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			abort();
		}
	}
	fuzz_ptab_one(data, size, &in_force);
	return 0;
}
