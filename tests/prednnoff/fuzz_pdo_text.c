/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the three Pre-DNNOff text loaders. The first byte picks
 * the loader, the rest is the file. An accepted file must give a model the
 * solvers can use (the invariants below); a refused one an error message.
 *
 * libFuzzer: clang -g -O1 -fsanitize=fuzzer,address,undefined -DPDO_LIBFUZZER
 *   -Iinclude -Icontrol -Icontrol/prednnoff tests/prednnoff/fuzz_pdo_text.c
 *   control/prednnoff/pdo_model.c -lm
 * Without PDO_LIBFUZZER, main() is a deterministic unit test: every shipped
 * file cut at every line and with 3000 seeded byte mutations.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdo_model.h"

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
	struct pdo_regress r;
	struct pdo_params p;
	char err[PDO_ERR_MAX] = "", *text;
	int rc;

	if (size < 1)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		rc = pdo_graph_parse("f", text, &g, err, sizeof(err));
		if (!rc)
			check_graph(&g);
		break;
	case 1:
		rc = pdo_regress_parse("f", text, &r, err, sizeof(err));
		break;
	default:
		pdo_params_default(&p);
		rc = pdo_params_parse("f", text, &p, err, sizeof(err));
		break;
	}
	/* a refusal always says where and why */
	if (rc && (rc != -EINVAL || strncmp(err, "f:", 2)))
		abort();
	free(text);
	return 0;
}

#ifndef PDO_LIBFUZZER
static const char *const shipped[3] = {
	PDO_MODELS_DIR "/" PDO_GRAPH_FILE,
	PDO_MODELS_DIR "/" PDO_REGRESS_FILE,
	PDO_MODELS_DIR "/" PDO_PARAMS_FILE,
};

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "error: fuzz_pdo_text: cannot open %s\n", path);
		exit(1);
	}
	n = fread(buf + 1, 1, cap - 1, f);
	fclose(f);
	return n + 1;
}

int main(void)
{
	static uint8_t buf[1 << 16], mut[1 << 16];
	uint64_t rng = 0x5eed;
	unsigned long runs = 0;

	for (int which = 0; which < 3; which++) {
		size_t n = slurp(shipped[which], buf, sizeof(buf));

		buf[0] = (uint8_t)which;
		/* every prefix that ends at a line boundary */
		for (size_t i = 1; i <= n; i++) {
			if (i < n && buf[i] != '\n')
				continue;
			LLVMFuzzerTestOneInput(buf, i);
			runs++;
		}
		/* seeded mutations: flip, insert digits/separators, delete */
		for (int m = 0; m < 3000; m++) {
			static const char alphabet[] = "0123456789x=-. #\n\tk";
			size_t len = n;

			memcpy(mut, buf, n);
			for (int j = 0; j < 1 + m % 4; j++) {
				size_t at;

				rng = rng * 6364136223846793005ull + 1442695040888963407ull;
				at = 1 + (rng >> 33) % (len - 1);
				switch ((rng >> 20) % 3) {
				case 0:
					mut[at] = (uint8_t)alphabet[(rng >> 8) % (sizeof(alphabet) - 1)];
					break;
				case 1:
					memmove(mut + at, mut + at + 1, len - at - 1);
					len--;
					break;
				default:
					mut[at] = (uint8_t)(rng >> 40);
					break;
				}
			}
			LLVMFuzzerTestOneInput(mut, len);
			runs++;
		}
	}
	printf("fuzz_pdo_text: %lu inputs, no crash, every refusal located\n", runs);
	return 0;
}
#endif
