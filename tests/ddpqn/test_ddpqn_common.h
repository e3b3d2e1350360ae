/* SPDX-License-Identifier: MIT */
/* Small graphs built in memory for the DDPQN tests. */
#ifndef EDGESTEER_TEST_DDPQN_COMMON_H
#define EDGESTEER_TEST_DDPQN_COMMON_H

#include <stdio.h>
#include <string.h>

#include "ddpqn_graph.h"

/*
 * A graph from rows of (exec_s, out_mb, successors as a 1-based list
 * terminated by 0). Returns ddpqn_graph_build's status.
 */
struct test_layer {
	double exec_s, out_mb;
	unsigned succ[DDPQN_MAX_FAN + 1];
};

static inline int test_graph(struct ddpqn_graph *g, const struct test_layer *t,
			     unsigned n)
{
	static struct ddpqn_csv csv;
	struct ddpqn_graph_opts o = { .model = DDPQN_MODEL_GENERIC };
	struct ddpqn_load_err err;

	memset(&csv, 0, sizeof(csv));
	snprintf(csv.file, sizeof(csv.file), "test");
	csv.nrows = n;
	for (unsigned i = 0; i < n; i++) {
		struct ddpqn_csv_row *r = &csv.rows[i];

		r->line = i + 2;
		r->layer_no = i + 1;
		snprintf(r->name, sizeof(r->name), "l%u", i + 1);
		r->exec_s = t[i].exec_s;
		r->out_mb = t[i].out_mb;
		for (unsigned k = 0; t[i].succ[k]; k++)
			r->succ[r->nsucc++] = t[i].succ[k];
	}
	return ddpqn_graph_build(&csv, &o, g, &err);
}

#endif /* EDGESTEER_TEST_DDPQN_COMMON_H */
