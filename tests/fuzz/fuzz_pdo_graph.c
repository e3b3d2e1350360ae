/* SPDX-License-Identifier: MIT */
/* Fuzz target: Pre-DNNOff layer-graph files (pdo_graph_parse). */
#include "fuzz_pdo_text.h"

static void check_graph(const struct pdo_graph *g)
{
	if (g->nlayers == 0 || g->nlayers > PDO_MAX_LAYERS || g->nexits == 0 ||
	    g->nexits > PDO_MAX_EXITS)
		abort();
	for (uint32_t i = 0; i < g->nlayers; i++)
		if (g->layers[i].parent >= (int)i || g->layers[i].branch < 1 ||
		    g->layers[i].branch > g->nexits)
			abort();
	for (uint32_t k = 1; k <= g->nexits; k++)
		if (g->exit_leaf[k] < 0 || g->exit_leaf[k] >= (int)g->nlayers ||
		    g->layers[g->exit_leaf[k]].branch != k)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pdo_graph g;
	char err[PDO_ERR_MAX] = "", *text = fuzz_pdo_text(data, size);
	int rc = pdo_graph_parse("f", text, &g, err, sizeof(err));

	if (!rc)
		check_graph(&g);
	fuzz_pdo_refusal(rc, err);
	free(text);
	return 0;
}
