/* SPDX-License-Identifier: MIT */
#include "nn_quant.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Inputs are padded to whole 32-byte blocks: the dot product's inner
 * loop then has a fixed trip count and no scalar tail. */
#define QPAD	32u

struct nn_quant_layer {
	uint32_t in, out, in_pad;
	enum nn_act act;
	float *scale;		/* [out] s_w */
	int32_t *wsum;		/* [out] Σ_i q[o][i], for the zero point */
	float *bias;		/* [out] */
	/* [out][in_pad], zero padding; the first layer: [in][out] */
	int8_t *w;
};

typedef void dot_fn(const int8_t *w, const uint8_t *x, int32_t *acc,
		    uint32_t in_pad, uint32_t out);
typedef void dot16_fn(const int8_t *w, const int16_t *x, int32_t *acc,
		      uint32_t in, uint32_t out);

struct nn_quant {
	uint32_t nlayers;
	struct nn_quant_layer layer[NN_MAX_LAYERS];
	dot_fn *dot;
	dot16_fn *dot16;
	int32_t x16max;		/* layer 0's input range: ±x16max */
	uint8_t *xq;		/* [max in_pad] quantised layer input */
	int16_t *x16;		/* [layer 0's in] its 16-bit input */
	int32_t *acc;		/* [max out] */
	float *a[2];		/* [max width] float activations, ping-pong */
};

/*
 * acc[o] = Σ_i x[i]·w[o][i], u8 × s8 → s32. Written for gcc's vectoriser:
 * size_t indices (no wrap to prove) and a constant 32-long inner loop,
 * which it turns into one vpdpbusd under AVX-VNNI. Inlined into one
 * function per instruction set below.
 */
static inline __attribute__((always_inline)) void
dot_body(const int8_t *w, const uint8_t *x, int32_t *acc, uint32_t in_pad,
	 uint32_t out)
{
	for (size_t o = 0; o < out; o++) {
		const int8_t *wo = w + o * in_pad;
		int32_t s = 0;

		for (size_t i = 0; i < in_pad; i += QPAD)
			for (size_t j = 0; j < QPAD; j++)
				s += (int32_t)x[i + j] * (int32_t)wo[i + j];
		acc[o] = s;
	}
}

/*
 * The first layer, s16 × s8 → s32, in axpy form over w[in][out]: its few
 * inputs (9 for DDLO, 39 for DIOS) and many outputs make the dot form
 * spend its time reducing each output's vector; this one has none
 * (measured 2x faster at 9 × 120, 1.1x at 39 × 128).
 */
static inline __attribute__((always_inline)) void
dot16_body(const int8_t *w, const int16_t *x, int32_t *acc, uint32_t in,
	   uint32_t out)
{
	memset(acc, 0, out * sizeof(int32_t));
	for (size_t i = 0; i < in; i++) {
		const int32_t xi = x[i];
		const int8_t *wi = w + i * out;

		for (size_t o = 0; o < out; o++)
			acc[o] += xi * (int32_t)wi[o];
	}
}

static void dot_c(const int8_t *w, const uint8_t *x, int32_t *acc,
		  uint32_t in_pad, uint32_t out)
{
	dot_body(w, x, acc, in_pad, out);
}

static void dot16_c(const int8_t *w, const int16_t *x, int32_t *acc,
		    uint32_t in, uint32_t out)
{
	dot16_body(w, x, acc, in, out);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/*
 * target_clones cannot name AVX-VNNI (gcc 12: "use arch="), so the
 * variants are explicit and picked once with __builtin_cpu_supports.
 */
__attribute__((target("avx2,fma,avxvnni")))
static void dot_avxvnni(const int8_t *w, const uint8_t *x, int32_t *acc,
			uint32_t in_pad, uint32_t out)
{
	dot_body(w, x, acc, in_pad, out);
}

__attribute__((target("avx2,fma,avxvnni")))
static void dot16_avxvnni(const int8_t *w, const int16_t *x, int32_t *acc,
			  uint32_t in, uint32_t out)
{
	dot16_body(w, x, acc, in, out);
}

__attribute__((target("avx2,fma,avx512vl,avx512bw,avx512vnni")))
static void dot_avx512vnni(const int8_t *w, const uint8_t *x, int32_t *acc,
			   uint32_t in_pad, uint32_t out)
{
	dot_body(w, x, acc, in_pad, out);
}

__attribute__((target("avx2,fma,avx512vl,avx512bw,avx512vnni")))
static void dot16_avx512vnni(const int8_t *w, const int16_t *x, int32_t *acc,
			     uint32_t in, uint32_t out)
{
	dot16_body(w, x, acc, in, out);
}

__attribute__((target("avx2,fma")))
static void dot_avx2(const int8_t *w, const uint8_t *x, int32_t *acc,
		     uint32_t in_pad, uint32_t out)
{
	dot_body(w, x, acc, in_pad, out);
}

__attribute__((target("avx2,fma")))
static void dot16_avx2(const int8_t *w, const int16_t *x, int32_t *acc,
		       uint32_t in, uint32_t out)
{
	dot16_body(w, x, acc, in, out);
}

static const char *dot_pick(dot_fn **dot, dot16_fn **dot16)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avxvnni")) {
		*dot = dot_avxvnni;
		*dot16 = dot16_avxvnni;
		return "avx-vnni";
	}
	if (__builtin_cpu_supports("avx512vnni") &&
	    __builtin_cpu_supports("avx512vl") &&
	    __builtin_cpu_supports("avx512bw")) {
		*dot = dot_avx512vnni;
		*dot16 = dot16_avx512vnni;
		return "avx512-vnni";
	}
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
		*dot = dot_avx2;
		*dot16 = dot16_avx2;
		return "avx2";
	}
	*dot = dot_c;
	*dot16 = dot16_c;
	return "c";
}
#else
static const char *dot_pick(dot_fn **dot, dot16_fn **dot16)
{
	*dot = dot_c;
	*dot16 = dot16_c;
	return "c";
}
#endif

const char *nn_quant_kernel(void)
{
	dot_fn *dot;
	dot16_fn *dot16;

	return dot_pick(&dot, &dot16);
}

void nn_quant_weights(const float *W, uint32_t in, uint32_t out, float *scale,
		      int8_t *w)
{
	for (uint32_t o = 0; o < out; o++) {
		float m = 0;

		for (uint32_t i = 0; i < in; i++) {
			const float v = fabsf(W[(size_t)i * out + o]);

			if (v > m)
				m = v;
		}
		/* 1 for an all-zero column, or one so small that m / 127
		 * underflows: its weights then quantise to 0 */
		scale[o] = m / 127.0f > 0 ? m / 127.0f : 1.0f;
		for (uint32_t i = 0; i < in; i++) {
			/* |v| ≤ 127 by the scale; lrintf: ties to even */
			const float v = W[(size_t)i * out + o] / scale[o];
			long r = lrintf(v);

			w[(size_t)o * in + i] = (int8_t)(r > 127 ? 127 :
							 r < -127 ? -127 : r);
		}
	}
}

void nn_quant_free(struct nn_quant *q)
{
	if (!q)
		return;
	for (uint32_t l = 0; l < q->nlayers; l++) {
		free(q->layer[l].scale);
		free(q->layer[l].w);
	}
	free(q->xq);
	free(q->x16);
	free(q->acc);
	free(q->a[0]);
	free(q);
}

int nn_quant_create(struct nn_quant **out, struct nn *net)
{
	uint32_t sizes[NN_MAX_LAYERS + 1], maxw = 0, maxpad = QPAD;
	enum nn_act acts[NN_MAX_LAYERS];
	struct nn_quant *q;
	int rc;

	if (!out || !net)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->nlayers = nn_shape(net, sizes, acts);
	dot_pick(&q->dot, &q->dot16);
	for (uint32_t l = 0; l < q->nlayers; l++) {
		struct nn_quant_layer *L = &q->layer[l];

		L->in = sizes[l];
		L->out = sizes[l + 1];
		/* the first layer: unpadded, twice the room (a transpose) */
		L->in_pad = l == 0 ? 2 * L->in : (L->in + QPAD - 1) / QPAD * QPAD;
		L->act = acts[l];
		/* scale, wsum and bias share one block */
		L->scale = calloc(3 * (size_t)L->out, sizeof(float));
		L->w = calloc((size_t)L->out * L->in_pad, 1);
		if (!L->scale || !L->w)
			goto err;
		L->wsum = (int32_t *)(L->scale + L->out);
		L->bias = L->scale + 2 * (size_t)L->out;
		if (l && L->in_pad > maxpad)
			maxpad = L->in_pad;
	}
	for (uint32_t l = 0; l <= q->nlayers; l++)
		if (sizes[l] > maxw)
			maxw = sizes[l];
	/* the largest input range whose int32 sums cannot overflow */
	q->x16max = (int32_t)(INT32_MAX / (127 * (int64_t)q->layer[0].in));
	if (q->x16max > INT16_MAX)
		q->x16max = INT16_MAX;
	q->xq = calloc(maxpad, 1);
	q->x16 = calloc(q->layer[0].in, sizeof(int16_t));
	q->acc = calloc(maxw, sizeof(int32_t));
	q->a[0] = calloc(2 * (size_t)maxw, sizeof(float));
	if (!q->xq || !q->x16 || !q->acc || !q->a[0])
		goto err;
	q->a[1] = q->a[0] + maxw;
	rc = nn_quant_update(q, net);
	if (rc) {
		nn_quant_free(q);
		return rc;
	}
	*out = q;
	return 0;
err:
	nn_quant_free(q);
	return -ENOMEM;
}

int nn_quant_update(struct nn_quant *q, struct nn *net)
{
	uint32_t sizes[NN_MAX_LAYERS + 1];
	enum nn_act acts[NN_MAX_LAYERS];
	const float *p;
	size_t np;

	if (!q || !net || nn_shape(net, sizes, acts) != q->nlayers)
		return -EINVAL;
	for (uint32_t l = 0; l < q->nlayers; l++)
		if (sizes[l] != q->layer[l].in || sizes[l + 1] != q->layer[l].out ||
		    acts[l] != q->layer[l].act)
			return -EINVAL;
	p = nn_params(net, &np);
	for (uint32_t l = 0; l < q->nlayers; l++) {
		struct nn_quant_layer *L = &q->layer[l];
		/* quantised unpadded ([out][in]) into the block's end */
		int8_t *row = L->w + (size_t)L->out * (L->in_pad - L->in);

		nn_quant_weights(p, L->in, L->out, L->scale, row);
		for (uint32_t o = 0; o < L->out; o++) {
			int32_t s = 0;

			for (uint32_t i = 0; i < L->in; i++)
				s += row[(size_t)o * L->in + i];
			L->wsum[o] = s;
		}
		if (l == 0) {
			/* the first layer's kernel reads [in][out] */
			for (size_t i = 0; i < L->in; i++)
				for (size_t o = 0; o < L->out; o++)
					L->w[i * L->out + o] = row[o * L->in + i];
		} else {
			/*
			 * Spread the rows to their padded places front to
			 * back: row o's padded place ends where row o + 1's
			 * unpadded one starts, or before.
			 */
			for (size_t o = 0; o < L->out; o++) {
				memmove(L->w + o * L->in_pad, row + o * L->in,
					L->in);
				memset(L->w + o * L->in_pad + L->in, 0,
				       L->in_pad - L->in);
			}
		}
		p += (size_t)L->in * L->out;
		memcpy(L->bias, p, L->out * sizeof(float));
		p += L->out;
	}
	return 0;
}

/*
 * A finite float as an int32 of the same order, and back (the map is its
 * own inverse): gcc vectorises integer min/max reductions, but float ones
 * only under -ffinite-math-only, and these loops run at every layer.
 */
static inline int32_t order_key(float f)
{
	int32_t b;

	memcpy(&b, &f, 4);
	return b ^ ((b >> 31) & INT32_MAX);
}

static inline float key_float(int32_t k)
{
	const int32_t b = k ^ ((k >> 31) & INT32_MAX);
	float f;

	memcpy(&f, &b, 4);
	return f;
}

/*
 * x → xq: 8 bits with one scale for the row (see nn_quant.h). Returns the
 * scale; *zp gets the zero point (0 or 128).
 */
static inline __attribute__((always_inline)) float
quantise_input(const float *x, uint32_t n, uint8_t *xq, int32_t *zp)
{
	int32_t klo = 0, khi = 0;	/* order_key(0.0f) == 0 */
	float lo, hi, s, inv;

	for (uint32_t i = 0; i < n; i++) {
		const int32_t k = order_key(x[i]);

		klo = k < klo ? k : klo;
		khi = k > khi ? k : khi;
	}
	lo = key_float(klo);
	hi = key_float(khi);
	if (lo >= 0) {
		s = hi > 0 ? hi / 255.0f : 1.0f;
		inv = 1.0f / s;
		*zp = 0;
		/* x·inv ∈ [0, 255]: + 0.5 and truncation round it */
		for (uint32_t i = 0; i < n; i++) {
			const float v = x[i] * inv + 0.5f;

			xq[i] = (uint8_t)(v < 255.0f ? (int32_t)v : 255);
		}
		return s;
	}
	hi = -lo > hi ? -lo : hi;
	s = hi / 127.0f;
	inv = 1.0f / s;
	*zp = 128;
	/* x·inv ∈ [−127, 127]: shifted to [1, 255] before rounding */
	for (uint32_t i = 0; i < n; i++) {
		const float v = x[i] * inv + 128.5f;

		xq[i] = (uint8_t)(v < 255.0f ? (v > 1.0f ? (int32_t)v : 1) : 255);
	}
	return s;
}

/*
 * The network's input → x16: symmetric, ±qmax (32767, less for inputs
 * so wide that the int32 sums could overflow). Returns the scale.
 */
static inline __attribute__((always_inline)) float
quantise_input16(const float *x, uint32_t n, int32_t qmax, int16_t *x16)
{
	int32_t km = 0;
	float m, s, inv;

	/* |x| as bits: non-negative ints in the order of the floats */
	for (uint32_t i = 0; i < n; i++) {
		int32_t b;

		memcpy(&b, &x[i], 4);
		b &= INT32_MAX;
		km = b > km ? b : km;
	}
	memcpy(&m, &km, 4);
	s = m > 0 ? m / (float)qmax : 1.0f;
	inv = 1.0f / s;
	/* x·inv ∈ [−qmax, qmax]: shifted positive, truncation rounds it */
	for (uint32_t i = 0; i < n; i++) {
		int32_t v = (int32_t)(x[i] * inv + ((float)qmax + 0.5f)) - qmax;

		x16[i] = (int16_t)(v > qmax ? qmax : v < -qmax ? -qmax : v);
	}
	return s;
}

/* The element-wise loops around the dot products: AVX2 where the CPU has
 * it, as nn.c's layer_affine. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void nn_quant_forward(struct nn_quant *q, const float *x, const float **y)
{
	const float *in = x;

	for (uint32_t l = 0; l < q->nlayers; l++) {
		const struct nn_quant_layer *L = &q->layer[l];
		float *a = q->a[l & 1];
		int32_t zp = 0;
		float s;

		if (l == 0) {
			s = quantise_input16(in, L->in, q->x16max, q->x16);
			q->dot16(L->w, q->x16, q->acc, L->in, L->out);
		} else {
			s = quantise_input(in, L->in, q->xq, &zp);
			/* padding: any value, its weights are 0; keep it
			 * defined */
			memset(q->xq + L->in, 0, L->in_pad - L->in);
			q->dot(L->w, q->xq, q->acc, L->in_pad, L->out);
		}
		for (uint32_t o = 0; o < L->out; o++)
			a[o] = (float)(q->acc[o] - zp * L->wsum[o]) *
			       (s * L->scale[o]) + L->bias[o];
		switch (L->act) {
		case NN_ACT_RELU:
			for (uint32_t o = 0; o < L->out; o++)
				a[o] = a[o] > 0.0f ? a[o] : 0.0f;
			break;
		case NN_ACT_SIGMOID:
			for (uint32_t o = 0; o < L->out; o++)
				a[o] = 1.0f / (1.0f + expf(-a[o]));
			break;
		default:
			break;
		}
		in = a;
	}
	*y = in;
}
