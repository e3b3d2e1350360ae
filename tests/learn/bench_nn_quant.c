/* SPDX-License-Identifier: MIT */
/*
 * The forward pass alone, float (nn_forward, one row) against int8
 * (nn_quant_forward), on the shipped networks: DDLO's five [9,120,80,9]
 * (one decision = five passes) and DIL's DIOS [39,128,64,18]. Both run in
 * the same process, in alternating blocks of 2000 passes, so a loaded
 * machine slows both alike; the figures are thread CPU time per pass (and
 * wall time). One JSON line per network.
 * Usage: bench_nn_quant DDLO_WEIGHTS DIOS_WEIGHTS
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn.h"
#include "nn_file.h"
#include "nn_quant.h"

#define BLOCK	2000u
#define BLOCKS	40u
#define MAXN	5u

struct case_ {
	const char *name;
	uint32_t nets;
	uint32_t nl;
	uint32_t sizes[4];
	enum nn_act acts[3];
	float lo, hi;		/* inputs uniform in [lo, hi] */
};

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void loadavg(char *buf, size_t n)
{
	FILE *f = fopen("/proc/loadavg", "r");

	buf[0] = 0;
	if (f) {
		if (fgets(buf, (int)n, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
}

/* One block of passes over @x; returns a sum of outputs (kept live). */
static float block(struct nn **net, struct nn_quant **q, uint32_t nets,
		   int quant, const float *x, uint32_t nin)
{
	float sink = 0;

	for (uint32_t i = 0; i < BLOCK; i++) {
		const float *xi = x + (size_t)(i % 64) * nin;

		for (uint32_t k = 0; k < nets; k++) {
			const float *y;

			if (quant)
				nn_quant_forward(q[k], xi, &y);
			else if (nn_forward(net[k], xi, 1, &y))
				abort();
			sink += y[0];
		}
	}
	return sink;
}

static int run(const struct case_ *c, const char *weights)
{
	struct nn *net[MAXN] = { 0 };
	struct nn_quant *q[MAXN] = { 0 };
	const uint32_t nin = c->sizes[0];
	float *x = malloc(64 * (size_t)nin * sizeof(float)), sink = 0;
	double cpu[2] = { 0, 0 }, wall[2] = { 0, 0 };
	struct nn_rng rng;
	char la[128];
	int rc;

	if (!x)
		return -1;
	for (uint32_t k = 0; k < c->nets; k++)
		if (nn_create(&net[k], c->nl, c->sizes, c->acts, 1))
			return -1;
	rc = nn_file_load(weights, net, c->nets);
	if (rc) {
		fprintf(stderr, "bench_nn_quant: %s: %s\n", weights,
			nn_file_strerror(rc));
		return -1;
	}
	for (uint32_t k = 0; k < c->nets; k++)
		if (nn_quant_create(&q[k], net[k]))
			return -1;
	nn_rng_seed(&rng, 1);
	for (size_t i = 0; i < 64 * (size_t)nin; i++)
		x[i] = c->lo + (c->hi - c->lo) * (float)nn_rng_uniform(&rng);
	sink += block(net, q, c->nets, 0, x, nin);	/* warm up both */
	sink += block(net, q, c->nets, 1, x, nin);
	for (uint32_t b = 0; b < BLOCKS; b++)
		for (uint32_t m = 0; m < 2; m++) {
			const int quant = (int)(m ^ (b & 1));
			const double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
			const double t0 = clock_s(CLOCK_MONOTONIC);

			sink += block(net, q, c->nets, quant, x, nin);
			cpu[quant] += clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
			wall[quant] += clock_s(CLOCK_MONOTONIC) - t0;
		}
	const double n = (double)BLOCK * BLOCKS;

	loadavg(la, sizeof(la));
	printf("{\"bench\":\"nn_quant_forward\",\"net\":\"%s\",\"passes_per_row\":%u,"
	       "\"kernel\":\"%s\",\"us_per_row_cpu\":%.4f,"
	       "\"us_per_row_cpu_float\":%.4f,\"us_per_row_wall\":%.4f,"
	       "\"us_per_row_wall_float\":%.4f,\"speedup_cpu\":%.3f,"
	       "\"rows\":%.0f,\"loadavg\":\"%s\",\"sink\":%d}\n",
	       c->name, c->nets, nn_quant_kernel(), cpu[1] / n * 1e6,
	       cpu[0] / n * 1e6, wall[1] / n * 1e6, wall[0] / n * 1e6,
	       cpu[0] / cpu[1], n, la, isfinite(sink) ? 1 : 0);
	for (uint32_t k = 0; k < c->nets; k++) {
		nn_quant_free(q[k]);
		nn_free(net[k]);
	}
	free(x);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct case_ cases[] = {
		/* DDLO's inputs: sizes 10..30 MB as size·10 − 200 */
		{ "ddlo_k5_9x120x80x9", 5, 3, { 9, 120, 80, 9 },
		  { NN_ACT_RELU, NN_ACT_RELU, NN_ACT_SIGMOID }, -100, 100 },
		/* DIL's cost features: log1p of cost shares, non-negative */
		{ "dil_dios_39x128x64x18", 1, 3, { 39, 128, 64, 18 },
		  { NN_ACT_RELU, NN_ACT_RELU, NN_ACT_SIGMOID }, 0, 2 },
	};

	if (argc != 3) {
		fprintf(stderr, "usage: bench_nn_quant DDLO_WEIGHTS DIOS_WEIGHTS\n");
		return 2;
	}
	for (size_t i = 0; i < 2; i++)
		if (run(&cases[i], argv[1 + i]))
			return 1;
	return 0;
}
