/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: DDPQN's per-layer CSV profiles (ddpqn_csv_read), then the
 * graph built from them under each model's repairs (ddpqn_graph_build); an
 * accepted graph must pass ddpqn_graph_validate().
 */
#include <stdlib.h>

#include "ddpqn_graph.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ddpqn_csv csv;
	static struct ddpqn_graph g;
	struct ddpqn_load_err err;
	static const enum ddpqn_model models[] = {
		DDPQN_MODEL_GENERIC, DDPQN_MODEL_ALEXNET, DDPQN_MODEL_VGG19,
		DDPQN_MODEL_GOOGLENET, DDPQN_MODEL_RESNET101,
	};

	if (ddpqn_csv_read(fuzz_file(data, size), &csv, &err))
		return 0;
	for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++) {
		struct ddpqn_graph_opts o = { .model = models[m] };

		if (ddpqn_graph_build(&csv, &o, &g, &err))
			continue;
		if (ddpqn_graph_validate(&g, "fuzz", &err))
			abort();
	}
	return 0;
}
