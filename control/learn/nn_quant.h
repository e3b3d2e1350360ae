/* SPDX-License-Identifier: MIT */
/*
 * nn_quant: post-training 8-bit inference of an nn network (decisions:
 * one row at a time), for every learned policy's --quantized option.
 *
 * Weights: int8, symmetric, one scale per output channel (per column of
 * W): s_w[o] = max_i |W[i][o]| / 127, q = round(W / s_w), in −127..127.
 * Activations: quantised dynamically, per row and per layer input, with
 * one scale for the row (no calibration set, so it follows a network that
 * keeps learning: requantise after each training step with
 * nn_quant_update; and it never clips):
 *  - layers after the first: 8 bits; a non-negative input (every ReLU or
 *    sigmoid output) as uint8 x̂ = round(x / s), s = max x / 255; a signed
 *    one as x̂ = round(x / s) + 128 (zero point 128), s = max |x| / 127;
 *  - the first layer (the network's input): 16 bits, x̂ = round(x / s),
 *    s = max |x| / 32767. Its features have ranges of their own (DIL's
 *    cost features span decades), and one 8-bit scale per row flattened
 *    the small ones: DIOS lost 0.9 points of accuracy with it, 0.07 with
 *    16 bits (docs/dil.md). The weights stay int8.
 * Accumulation in int32: acc[o] = Σ_i x̂_i·q[o][i] − zp·Σ_i q[o][i], exact
 * (8-bit: |acc| ≤ 255·127·in < 2^31 for in ≤ NN_MAX_WIDTH; 16-bit: the
 * input range shrinks below 32767 for inputs wider than 516 so that it
 * stays exact). Then, in float, z[o] = acc[o]·s·s_w[o] + b[o] (biases
 * stay float), the activation, and the next layer's quantisation of that
 * output: the requantisation. The last layer's output is float.
 *
 * The inner loops: u8×s8 dot products over the input padded to 32 bytes,
 * which gcc turns into vpdpbusd under AVX-VNNI or AVX512-VNNI (widening
 * multiplies and vpmaddwd under AVX2), and for the first layer an s16×s8
 * multiply-add over the outputs (few inputs, many outputs); the variant
 * is picked from the CPU at nn_quant_create. A quantised network is independent of the float one
 * after create/update. Not thread-safe; no allocation after create.
 */
#ifndef EDGESTEER_NN_QUANT_H
#define EDGESTEER_NN_QUANT_H

#include <stdint.h>

#include "nn.h"

struct nn_quant;

/*
 * Quantises @net's current weights. Returns 0, -EINVAL (NULL) or
 * -ENOMEM.
 */
int nn_quant_create(struct nn_quant **out, struct nn *net);
void nn_quant_free(struct nn_quant *q);

/* Requantises from @net (same shape, e.g. after training); -EINVAL if
 * the shapes differ. No allocation. */
int nn_quant_update(struct nn_quant *q, struct nn *net);

/* One row: *@y (nn_outputs floats) points into @q until the next call. */
void nn_quant_forward(struct nn_quant *q, const float *x, const float **y);

/*
 * Quantises one layer's W ([in][out], nn_params order) into @scale[out]
 * and @w[out][in] (row = output channel, unpadded): the rule above. An
 * all-zero column (or one whose max / 127 underflows) gets scale 1 and
 * zero weights.
 */
void nn_quant_weights(const float *W, uint32_t in, uint32_t out, float *scale,
		      int8_t *w);

/* Which inner loop this CPU runs: "avx-vnni", "avx512-vnni", "avx2" or
 * "c". */
const char *nn_quant_kernel(void);

#endif /* EDGESTEER_NN_QUANT_H */
