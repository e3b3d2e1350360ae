/* SPDX-License-Identifier: MIT */
/*
 * DIL benchmark (meson test --benchmark --suite dil): generating and
 * labelling the seed's 100,000 demonstrations at T = 6 and T = 30, the DP
 * per sample against exhaustive search measured in the same run (the
 * reference), and the file round trip. Prints one JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "dil_set.h"
#include "dil_solve.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double generate_s(uint32_t T, size_t n, struct dil_set **out)
{
	struct dil_params p;
	double t0 = now_s();

	dil_params_default(&p, T);
	if (dil_set_generate(&p, 1, 0, n, out))
		exit(1);
	return now_s() - t0;
}

/* Per-sample time of @solve over the first @n samples of @set, in us. */
static double solve_us(const struct dil_set *set, size_t n,
		       double (*solve)(const struct dil_costs *, uint8_t *),
		       double *checksum)
{
	static struct dil_costs c;
	uint8_t place[DIL_TASKS_MAX];
	double t0 = now_s(), sum = 0;

	for (size_t i = 0; i < n; i++) {
		struct dil_sample s;

		dil_set_sample(set, i, &s);
		dil_costs_build(&set->params, &s, &c);
		sum += solve(&c, place);
	}
	*checksum = sum;
	return (now_s() - t0) * 1e6 / (double)n;
}

int main(void)
{
	enum { N = 100000, NEX = 20000 };
	struct dil_set *s6, *s30, *back;
	char path[] = "/tmp/bench_dil.XXXXXX", err[256];
	double g6, g30, dp_us, ex_us, sum_dp, sum_ex, w_s, r_s, t0;
	int fd;

	g6 = generate_s(6, N, &s6);
	g30 = generate_s(30, N, &s30);
	dp_us = solve_us(s6, NEX, dil_solve_dp, &sum_dp);
	ex_us = solve_us(s6, NEX, dil_solve_exhaustive, &sum_ex);
	fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);
	t0 = now_s();
	if (dil_set_write(s6, path, err, sizeof(err)))
		goto err;
	w_s = now_s() - t0;
	t0 = now_s();
	if (dil_set_read(path, &back, err, sizeof(err)))
		goto err;
	r_s = now_s() - t0;
	printf("{\"bench\":\"dil\",\"demos\":%d,"
	       "\"generate_label_s\":{\"T6\":%.4f,\"T30\":%.4f},"
	       "\"solve_us_per_sample_T6\":{\"dp\":%.4f,\"exhaustive\":%.4f,"
	       "\"exhaustive_over_dp\":%.1f,\"same_total_cost\":%s},"
	       "\"file_T6\":{\"bytes\":%llu,\"write_s\":%.4f,"
	       "\"read_check_s\":%.4f}}\n", N, g6, g30, dp_us, ex_us,
	       ex_us / dp_us, sum_dp == sum_ex ? "true" : "false",
	       (unsigned long long)dil_set_file_bytes(s6), w_s, r_s);
	unlink(path);
	dil_set_free(back);
	dil_set_free(s6);
	dil_set_free(s30);
	return sum_dp == sum_ex ? 0 : 1;
err:
	fprintf(stderr, "error: bench_dil: %s\n", err);
	unlink(path);
	return 1;
}
