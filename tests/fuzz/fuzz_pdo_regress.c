/* SPDX-License-Identifier: MIT */
/* Fuzz target: Pre-DNNOff latency-regression files (pdo_regress_parse). */
#include <math.h>

#include "fuzz_pdo_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdo_regress r;
	char err[PDO_ERR_MAX] = "", *text = fuzz_pdo_text(data, size);
	int rc = pdo_regress_parse("f", text, &r, err, sizeof(err));

	/* an accepted file gives finite coefficients the cost model can use */
	for (int s = 0; !rc && s < 2; s++)
		for (int k = 0; k < PDO_NREG; k++)
			for (int c = 0; c < 3 && r.have[s][k]; c++)
				if (!isfinite(r.c[s][k][c]))
					abort();
	fuzz_pdo_refusal(rc, err);
	free(text);
	return 0;
}
