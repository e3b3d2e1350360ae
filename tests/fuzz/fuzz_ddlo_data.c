/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: DDLO data-set CSV files (ddlo_data_load). An accepted file
 * gives frames of the layout the header announced, finite sizes and
 * optima; a refusal says why.
 */
#include <errno.h>
#include <math.h>
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
		if (d->x_min[i] > 1 || !(d->size_mb[i] >= 0) || !isfinite(d->size_mb[i]))
			abort();
	for (uint32_t r = 0; r < d->rows; r++)
		if (!(d->q_min[r] > 0) || !isfinite(d->q_min[r]))
			abort();	/* an optimum the gain ratio cannot use */
	ddlo_data_free(d);
	return 0;
}
