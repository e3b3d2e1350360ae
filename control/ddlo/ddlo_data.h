/* SPDX-License-Identifier: MIT */
/*
 * ddlo_data: the frames DDLO learns from. Either the reference data set
 * (mumt_3x3.csv: row, size_u{i}_t{j}..., q_min, x_u{i}_t{j}...) or a
 * synthetic one for any N, M with the data set's task sizes (integers
 * 10..30 MB, uniform) and its exact optimum under the equal share.
 */
#ifndef EDGESTEER_DDLO_DATA_H
#define EDGESTEER_DDLO_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "ddlo_mec.h"

struct ddlo_data {
	uint32_t n_wd, n_task, rows;
	float *size_mb;		/* [rows][n_wd·n_task] */
	double *q_min;		/* [rows] optimum under the equal share */
	uint8_t *x_min;		/* [rows][n_wd·n_task] an optimal decision */
};

/*
 * Parses a CSV of the data set's layout. On failure returns -errno
 * (-EINVAL for bad content) and writes what and where (file:line, column)
 * into @err.
 */
int ddlo_data_load(const char *path, struct ddlo_data **out, char *err,
		   size_t errlen);

/* @rows frames for @mec's N, M, optimum by ddlo_mec_best_equal. */
int ddlo_data_synth(const struct ddlo_mec *mec, uint32_t rows, uint64_t seed,
		    struct ddlo_data **out);

/*
 * Online, a slot can be empty (no device, or no task pending): each task
 * of @d becomes 0 MB with probability @p (0 <= p < 1; a row keeps at least
 * one task) and the optimum is solved again. -EINVAL for a bad @p.
 */
int ddlo_data_idle(struct ddlo_data *d, const struct ddlo_mec *mec, double p,
		   uint64_t seed);

void ddlo_data_free(struct ddlo_data *d);

#endif /* EDGESTEER_DDLO_DATA_H */
