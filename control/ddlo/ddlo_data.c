/* SPDX-License-Identifier: MIT */
#include "ddlo_data.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_rng.h"

#define MAX_COLS	(2 + 2 * DDLO_MAX_TASKS * 256)

static int data_alloc(struct ddlo_data **out, uint32_t n, uint32_t m,
		      uint32_t rows)
{
	struct ddlo_data *d = calloc(1, sizeof(*d));
	const size_t cells = (size_t)rows * n * m;

	if (!d)
		return -ENOMEM;
	d->n_wd = n;
	d->n_task = m;
	d->rows = rows;
	d->size_mb = calloc(cells ? cells : 1, sizeof(float));
	d->q_min = calloc(rows ? rows : 1, sizeof(double));
	d->x_min = calloc(cells ? cells : 1, 1);
	if (!d->size_mb || !d->q_min || !d->x_min) {
		ddlo_data_free(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

void ddlo_data_free(struct ddlo_data *d)
{
	if (!d)
		return;
	free(d->size_mb);
	free(d->q_min);
	free(d->x_min);
	free(d);
}

/* Splits @line at commas in place; returns the field count. */
static uint32_t split(char *line, char **f, uint32_t max)
{
	uint32_t n = 0;

	line[strcspn(line, "\r\n")] = 0;
	for (char *p = line; n < max;) {
		f[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = 0;
	}
	return n;
}

/* The header fixes N and M: size_u1_t1 ... size_uN_tM, q_min, x_... */
static int parse_header(char **f, uint32_t nf, uint32_t *n, uint32_t *m,
			char *err, size_t errlen, const char *path)
{
	uint32_t cells = 0, maxu = 0, maxt = 0, u, t;

	if (nf < 4 || strcmp(f[0], "row"))
		goto bad;
	for (uint32_t c = 1; c < nf && sscanf(f[c], "size_u%u_t%u", &u, &t) == 2;
	     c++) {
		cells++;
		maxu = u > maxu ? u : maxu;
		maxt = t > maxt ? t : maxt;
	}
	if (!cells || cells != maxu * maxt || maxt > DDLO_MAX_TASKS ||
	    nf != 2 + 2 * cells || strcmp(f[1 + cells], "q_min"))
		goto bad;
	for (uint32_t c = 0; c < cells; c++) {
		char want[32];

		snprintf(want, sizeof(want), "size_u%u_t%u", c / maxt + 1,
			 c % maxt + 1);
		if (strcmp(f[1 + c], want))
			goto bad;
		snprintf(want, sizeof(want), "x_u%u_t%u", c / maxt + 1,
			 c % maxt + 1);
		if (strcmp(f[2 + cells + c], want))
			goto bad;
	}
	*n = maxu;
	*m = maxt;
	return 0;
bad:
	snprintf(err, errlen, "%s:1: header: expected row,size_u1_t1..size_uN_tM,"
		 "q_min,x_u1_t1..x_uN_tM", path);
	return -EINVAL;
}

static int parse_num(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return end == s || *end || errno ? -EINVAL : 0;
}

int ddlo_data_load(const char *path, struct ddlo_data **out, char *err,
		   size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, **fld = NULL;
	size_t cap = 0;
	uint32_t n = 0, m = 0, rows = 0, lineno = 1, nf;
	struct ddlo_data *d = NULL;
	int rc;

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	fld = calloc(MAX_COLS, sizeof(*fld));
	if (!fld) {
		rc = -ENOMEM;
		goto err_f;
	}
	if (getline(&line, &cap, f) < 0) {
		snprintf(err, errlen, "%s: empty file", path);
		rc = -EINVAL;
		goto err_f;
	}
	nf = split(line, fld, MAX_COLS);
	rc = parse_header(fld, nf, &n, &m, err, errlen, path);
	if (rc)
		goto err_f;
	while (getline(&line, &cap, f) >= 0)
		if (line[0] != '\n' && line[0] != '\r')
			rows++;
	rc = data_alloc(&d, n, m, rows);
	if (rc)
		goto err_f;
	rewind(f);
	if (getline(&line, &cap, f) < 0) {
		rc = -EIO;
		goto err_d;
	}
	const uint32_t nm = n * m;

	for (uint32_t r = 0; r < rows; r++) {
		double v;

		lineno++;
		if (getline(&line, &cap, f) < 0) {
			rc = -EIO;
			goto err_d;
		}
		nf = split(line, fld, MAX_COLS);
		if (nf != 2 + 2 * nm) {
			snprintf(err, errlen, "%s:%u: %u fields, expected %u", path,
				 lineno, nf, 2 + 2 * nm);
			rc = -EINVAL;
			goto err_d;
		}
		if (parse_num(fld[0], &v) || v != r) {
			snprintf(err, errlen, "%s:%u: column row: '%s', expected %u",
				 path, lineno, fld[0], r);
			rc = -EINVAL;
			goto err_d;
		}
		for (uint32_t c = 0; c < nm; c++) {
			if (parse_num(fld[1 + c], &v) || !(v >= 0 && v < 1e6)) {
				snprintf(err, errlen, "%s:%u: column size_u%u_t%u: "
					 "'%s', expected a size in MB", path,
					 lineno, c / m + 1, c % m + 1, fld[1 + c]);
				rc = -EINVAL;
				goto err_d;
			}
			d->size_mb[(size_t)r * nm + c] = (float)v;
			if (parse_num(fld[2 + nm + c], &v) || (v != 0 && v != 1)) {
				snprintf(err, errlen, "%s:%u: column x_u%u_t%u: "
					 "'%s', expected 0 or 1", path, lineno,
					 c / m + 1, c % m + 1, fld[2 + nm + c]);
				rc = -EINVAL;
				goto err_d;
			}
			d->x_min[(size_t)r * nm + c] = (uint8_t)v;
		}
		if (parse_num(fld[1 + nm], &v) || !(v > 0) || !isfinite(v)) {
			snprintf(err, errlen, "%s:%u: column q_min: '%s', expected "
				 "a positive number", path, lineno, fld[1 + nm]);
			rc = -EINVAL;
			goto err_d;
		}
		d->q_min[r] = v;
	}
	free(line);
	free(fld);
	fclose(f);
	*out = d;
	return 0;
err_d:
	if (rc == -EIO)
		snprintf(err, errlen, "%s:%u: read error", path, lineno);
	ddlo_data_free(d);
err_f:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	free(line);
	free(fld);
	fclose(f);
	return rc;
}

int ddlo_data_synth(const struct ddlo_mec *mec, uint32_t rows, uint64_t seed,
		    struct ddlo_data **out)
{
	struct ddlo_data *d;
	struct nn_rng rng;
	const uint32_t nm = mec->n_wd * mec->n_task;
	int rc = data_alloc(&d, mec->n_wd, mec->n_task, rows);

	if (rc)
		return rc;
	nn_rng_seed(&rng, seed);
	for (uint32_t r = 0; r < rows; r++) {
		float *s = d->size_mb + (size_t)r * nm;

		for (uint32_t c = 0; c < nm; c++)
			s[c] = (float)(10 + nn_rng_below(&rng, 21));
		d->q_min[r] = ddlo_mec_best_equal(mec, s, d->x_min + (size_t)r * nm);
	}
	*out = d;
	return 0;
}

int ddlo_data_idle(struct ddlo_data *d, const struct ddlo_mec *mec, double p,
		   uint64_t seed)
{
	const uint32_t nm = d->n_wd * d->n_task;
	struct nn_rng rng;

	if (!(p >= 0 && p < 1) || mec->n_wd != d->n_wd || mec->n_task != d->n_task)
		return -EINVAL;
	nn_rng_seed(&rng, seed);
	for (uint32_t r = 0; r < d->rows; r++) {
		float *s = d->size_mb + (size_t)r * nm;
		const uint32_t keep = nn_rng_below(&rng, nm);

		for (uint32_t c = 0; c < nm; c++)
			if (c != keep && nn_rng_uniform(&rng) < p)
				s[c] = 0;
		d->q_min[r] = ddlo_mec_best_equal(mec, s, d->x_min + (size_t)r * nm);
	}
	return 0;
}
