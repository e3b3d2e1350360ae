/* SPDX-License-Identifier: MIT */
/*
 * Plain C loops against OpenBLAS at the learned policies' sizes: the
 * forward pass of DDLO's [N·M, 120, 80, N·M] network at batch 1 (a
 * decision) and batch 128 (a training batch, whose backward pass runs the
 * same GEMM shapes again). The CBLAS path computes the same thing, checked
 * against nn's output. Prints JSON with the ratio openblas/nn
 * (< 1: OpenBLAS faster). Run single-threaded (OPENBLAS_NUM_THREADS=1).
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The same network through cblas_sgemm: Z = X·W + 1·b, then act. */
static void blas_forward(const uint32_t *sizes, const float *params,
			 const float *x, uint32_t batch, float *buf0, float *buf1,
			 const float **y)
{
	const float *in = x;
	float *out = buf0;
	size_t off = 0;

	for (int l = 0; l < 3; l++) {
		const uint32_t ni = sizes[l], no = sizes[l + 1];
		const float *W = params + off, *b = W + (size_t)ni * no;

		for (uint32_t r = 0; r < batch; r++)
			memcpy(out + (size_t)r * no, b, no * sizeof(float));
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch,
			    (int)no, (int)ni, 1.0f, in, (int)ni, W, (int)no, 1.0f,
			    out, (int)no);
		for (size_t k = 0; k < (size_t)batch * no; k++)
			out[k] = l < 2 ? (out[k] > 0 ? out[k] : 0)
				       : 1.0f / (1.0f + expf(-out[k]));
		off += (size_t)ni * no + no;
		in = out;
		out = out == buf0 ? buf1 : buf0;
	}
	*y = in;
}

int main(void)
{
	static const uint32_t widths[] = { 9, 300 }, batches[] = { 1, 128 };
	const enum nn_act acts[3] = { NN_ACT_RELU, NN_ACT_RELU, NN_ACT_SIGMOID };
	struct nn_rng rng;
	int first = 1;

	nn_rng_seed(&rng, 1);
	printf("{\"cblas\":\"%s\",\"runs\":[", "openblas");
	for (size_t wi = 0; wi < 2; wi++) {
		const uint32_t sizes[4] = { widths[wi], 120, 80, widths[wi] };
		struct nn *net;

		if (nn_create(&net, 3, sizes, acts, 128))
			return 1;
		nn_init(net, &rng, 0);
		const float *params = nn_params(net, NULL);
		float *x = malloc(128 * 300 * sizeof(float));
		float *b0 = malloc(128 * 300 * sizeof(float));
		float *b1 = malloc(128 * 300 * sizeof(float));

		for (int k = 0; k < 128 * 300; k++)
			x[k] = (float)(2 * nn_rng_uniform(&rng) - 1);
		for (size_t bi = 0; bi < 2; bi++) {
			const uint32_t batch = batches[bi];
			const int iters = batch == 1 ? 20000 : 300;
			const float *y1, *y2;
			double t0, t_nn, t_blas, diff = 0;

			nn_forward(net, x, batch, &y1);
			blas_forward(sizes, params, x, batch, b0, b1, &y2);
			for (size_t k = 0; k < (size_t)batch * sizes[3]; k++)
				diff = fmax(diff, fabs(y1[k] - y2[k]));
			t0 = now_s();
			for (int i = 0; i < iters; i++)
				nn_forward(net, x, batch, &y1);
			t_nn = (now_s() - t0) / iters * 1e6;
			t0 = now_s();
			for (int i = 0; i < iters; i++)
				blas_forward(sizes, params, x, batch, b0, b1, &y2);
			t_blas = (now_s() - t0) / iters * 1e6;
			printf("%s{\"shape\":\"%u-120-80-%u\",\"batch\":%u,"
			       "\"nn_us\":%.3f,\"openblas_us\":%.3f,"
			       "\"ratio_openblas_to_nn\":%.3f,\"max_abs_diff\":%.2g}",
			       first ? "" : ",", sizes[0], sizes[3], batch, t_nn,
			       t_blas, t_blas / t_nn, diff);
			first = 0;
			if (diff > 1e-4)
				return 1;
		}
		free(x);
		free(b0);
		free(b1);
		nn_free(net);
	}
	printf("]}\n");
	return 0;
}
