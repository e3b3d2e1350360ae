/* SPDX-License-Identifier: MIT */
/* Fuzz target: Pre-DNNOff parameter files (pdo_params_parse). */
#include "fuzz_pdo_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdo_params p;
	char err[PDO_ERR_MAX] = "", *text = fuzz_pdo_text(data, size);
	int rc;

	pdo_params_default(&p);
	rc = pdo_params_parse("f", text, &p, err, sizeof(err));
	if (!rc && (p.nacc > PDO_MAX_EXITS || p.tiers < 2 || p.tiers > 3))
		abort();
	fuzz_pdo_refusal(rc, err);
	free(text);
	return 0;
}
