/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: DDLO data-set CSV files (ddlo_data_load). An accepted file
 * gives frames of the layout the header announced; a refusal says why.
 */
#include <errno.h>
#include <string.h>

#include "ddlo_data.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ddlo_data *d = NULL;
	char err[256] = "";
	int rc = ddlo_data_load(fuzz_file(data, size), &d, err, sizeof(err));

	if (rc) {
		if (!err[0] || d)
			abort();
		return 0;
	}
	if (!d || !d->n_wd || !d->n_task || !d->size_mb || !d->q_min || !d->x_min)
		abort();
	for (size_t i = 0; i < (size_t)d->rows * d->n_wd * d->n_task; i++)
		if (d->x_min[i] > 1)
			abort();
	ddlo_data_free(d);
	return 0;
}
