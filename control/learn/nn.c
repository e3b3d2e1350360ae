/* SPDX-License-Identifier: MIT */
#include "nn.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef NN_HAVE_CBLAS
#include <cblas.h>
/*
 * From this batch size up, OpenBLAS's sgemm beats the loops below (the
 * training batches: tests/learn/bench_nn_blas.c measured 2.7x at
 * [9,120,80,9] and 4.7x at [300,120,80,300], batch 128); single rows
 * (decisions) are faster in the loops, by 1.5x.
 */
#define NN_BLAS_MIN_BATCH	16u
#endif

struct nn_layer {
	uint32_t in, out;
	enum nn_act act;
	size_t w_off;		/* W[in][out] in params */
	size_t b_off;		/* b[out] in params */
	float *z;		/* [max_batch][out] pre-activation */
	float *a;		/* [max_batch][out] output */
};

struct nn {
	uint32_t nlayers;
	uint32_t max_batch;
	uint32_t max_width;
	struct nn_layer layer[NN_MAX_LAYERS];
	size_t nparams;
	float *params, *grads, *adam_m, *adam_v;
	uint64_t adam_t;
	const float *x;		/* input of the last forward pass */
	uint32_t batch;		/* its rows; 0 = none yet */
	float *d0, *d1;		/* [max_batch][max_width] gradient scratch */
};

int nn_create(struct nn **out, uint32_t nlayers, const uint32_t *sizes,
	      const enum nn_act *acts, uint32_t max_batch)
{
	struct nn *net;
	size_t np = 0, act_floats = 0;
	uint32_t maxw = 0;

	if (!out || !sizes || !acts || nlayers == 0 || nlayers > NN_MAX_LAYERS ||
	    max_batch == 0)
		return -EINVAL;
	for (uint32_t l = 0; l <= nlayers; l++) {
		if (sizes[l] == 0 || sizes[l] > NN_MAX_WIDTH)
			return -EINVAL;
		if (sizes[l] > maxw)
			maxw = sizes[l];
	}
	for (uint32_t l = 0; l < nlayers; l++) {
		if (acts[l] != NN_ACT_LINEAR && acts[l] != NN_ACT_RELU &&
		    acts[l] != NN_ACT_SIGMOID)
			return -EINVAL;
		np += (size_t)sizes[l] * sizes[l + 1] + sizes[l + 1];
		act_floats += 2 * (size_t)max_batch * sizes[l + 1];
	}
#ifdef NN_HAVE_CBLAS
	/*
	 * One thread: our GEMMs are too small to gain from more, and a thread
	 * count that follows the machine would change the rounding, so a seed
	 * would no longer replay the same run everywhere. (Process-wide; the
	 * learning core is the product's only BLAS user.)
	 */
	openblas_set_num_threads(1);
#endif
	net = calloc(1, sizeof(*net));
	if (!net)
		return -ENOMEM;
	net->nlayers = nlayers;
	net->max_batch = max_batch;
	net->max_width = maxw;
	net->nparams = np;
	/* One block: params, grads, Adam m and v, activations, scratch. */
	net->params = calloc(4 * np + act_floats + 2 * (size_t)max_batch * maxw,
			     sizeof(float));
	if (!net->params) {
		free(net);
		return -ENOMEM;
	}
	net->grads = net->params + np;
	net->adam_m = net->grads + np;
	net->adam_v = net->adam_m + np;
	float *p = net->adam_v + np;
	size_t off = 0;

	for (uint32_t l = 0; l < nlayers; l++) {
		struct nn_layer *L = &net->layer[l];

		L->in = sizes[l];
		L->out = sizes[l + 1];
		L->act = acts[l];
		L->w_off = off;
		off += (size_t)L->in * L->out;
		L->b_off = off;
		off += L->out;
		L->z = p;
		p += (size_t)max_batch * L->out;
		L->a = p;
		p += (size_t)max_batch * L->out;
	}
	net->d0 = p;
	net->d1 = p + (size_t)max_batch * maxw;
	*out = net;
	return 0;
}

void nn_free(struct nn *net)
{
	if (!net)
		return;
	free(net->params);
	free(net);
}

void nn_init(struct nn *net, struct nn_rng *rng, float stddev)
{
	for (uint32_t l = 0; l < net->nlayers; l++) {
		const struct nn_layer *L = &net->layer[l];
		float *w = net->params + L->w_off;
		double sd = stddev;

		if (sd <= 0)
			sd = sqrt((L->act == NN_ACT_RELU ? 2.0 : 1.0) / L->in);
		for (size_t i = 0; i < (size_t)L->in * L->out; i++)
			w[i] = (float)(sd * nn_rng_normal(rng));
		memset(net->params + L->b_off, 0, L->out * sizeof(float));
	}
	memset(net->adam_m, 0, 2 * net->nparams * sizeof(float));
	net->adam_t = 0;
	net->batch = 0;
}

/*
 * z = x·W + b for @batch rows. This loop is a decision's whole cost, so it
 * is also built for x86-64-v3 (AVX2, FMA), picked at load time where the
 * CPU has it: twice the lanes of the SSE2 baseline.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
static void layer_affine(const struct nn_layer *L, const float *params,
			 const float *x, uint32_t batch)
{
	const float *W = params + L->w_off, *bias = params + L->b_off;
	const uint32_t in = L->in, out = L->out;

	for (uint32_t b = 0; b < batch; b++)
		memcpy(L->z + (size_t)b * out, bias, out * sizeof(float));
#ifdef NN_HAVE_CBLAS
	if (batch >= NN_BLAS_MIN_BATCH) {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch,
			    (int)out, (int)in, 1.0f, x, (int)in, W, (int)out, 1.0f,
			    L->z, (int)out);
		return;
	}
#endif
	for (uint32_t b = 0; b < batch; b++) {
		const float *xb = x + (size_t)b * in;
		float *zb = L->z + (size_t)b * out;

		/* axpy form: the inner loop is contiguous and vectorises. */
		for (uint32_t i = 0; i < in; i++) {
			const float xi = xb[i];
			const float *w = W + (size_t)i * out;

			if (xi == 0.0f)	/* ReLU zeros are common */
				continue;
			for (uint32_t o = 0; o < out; o++)
				zb[o] += xi * w[o];
		}
	}
}

static void layer_forward(const struct nn_layer *L, const float *params,
			  const float *x, uint32_t batch)
{
	const size_t n = (size_t)batch * L->out;

	layer_affine(L, params, x, batch);
	switch (L->act) {
	case NN_ACT_RELU:
		for (size_t k = 0; k < n; k++)
			L->a[k] = L->z[k] > 0.0f ? L->z[k] : 0.0f;
		break;
	case NN_ACT_SIGMOID:
		for (size_t k = 0; k < n; k++)
			L->a[k] = 1.0f / (1.0f + expf(-L->z[k]));
		break;
	default:
		memcpy(L->a, L->z, n * sizeof(float));
	}
}

int nn_forward(struct nn *net, const float *x, uint32_t batch, const float **y)
{
	if (!x || batch == 0 || batch > net->max_batch)
		return -EINVAL;
	const float *in = x;

	for (uint32_t l = 0; l < net->nlayers; l++) {
		layer_forward(&net->layer[l], net->params, in, batch);
		in = net->layer[l].a;
	}
	net->x = x;
	net->batch = batch;
	if (y)
		*y = in;
	return 0;
}

/* dz *= act'(z), with act' taken from the layer's output a. */
static void act_backward(const struct nn_layer *L, float *dz, uint32_t batch)
{
	const size_t n = (size_t)batch * L->out;

	if (L->act == NN_ACT_RELU) {
		for (size_t k = 0; k < n; k++)
			dz[k] = L->a[k] > 0.0f ? dz[k] : 0.0f;
	} else if (L->act == NN_ACT_SIGMOID) {
		for (size_t k = 0; k < n; k++)
			dz[k] *= L->a[k] * (1.0f - L->a[k]);
	}
}

/* gW = xᵀ·dz and, when @want_dx, dx = dz·Wᵀ, for @batch rows. */
static void layer_backward(const float *x, const float *dz, const float *W,
			   float *gW, float *dx, uint32_t in, uint32_t out,
			   uint32_t batch, int want_dx)
{
#ifdef NN_HAVE_CBLAS
	if (batch >= NN_BLAS_MIN_BATCH) {
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)in,
			    (int)out, (int)batch, 1.0f, x, (int)in, dz, (int)out,
			    0.0f, gW, (int)out);
		if (want_dx)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
				    (int)batch, (int)in, (int)out, 1.0f, dz,
				    (int)out, W, (int)out, 0.0f, dx, (int)in);
		return;
	}
#endif
	memset(gW, 0, (size_t)in * out * sizeof(float));
	for (uint32_t b = 0; b < batch; b++) {
		const float *xb = x + (size_t)b * in;
		const float *db = dz + (size_t)b * out;

		for (uint32_t i = 0; i < in; i++) {
			const float xi = xb[i];
			float *g = gW + (size_t)i * out;

			if (xi == 0.0f)
				continue;
			for (uint32_t o = 0; o < out; o++)
				g[o] += xi * db[o];
		}
	}
	if (!want_dx)
		return;
	for (uint32_t b = 0; b < batch; b++) {
		const float *db = dz + (size_t)b * out;
		float *dp = dx + (size_t)b * in;

		for (uint32_t i = 0; i < in; i++) {
			const float *w = W + (size_t)i * out;
			float s = 0.0f;

			for (uint32_t o = 0; o < out; o++)
				s += w[o] * db[o];
			dp[i] = s;
		}
	}
}

/* Backpropagate from dL/dz of the last layer, held in net->d0. */
static void backprop(struct nn *net)
{
	const uint32_t batch = net->batch;
	float *dz = net->d0, *dprev = net->d1;

	for (uint32_t l = net->nlayers; l-- > 0;) {
		const struct nn_layer *L = &net->layer[l];
		const float *x = l ? net->layer[l - 1].a : net->x;
		float *gb = net->grads + L->b_off;

		memset(gb, 0, L->out * sizeof(float));
		for (uint32_t b = 0; b < batch; b++)
			for (uint32_t o = 0; o < L->out; o++)
				gb[o] += dz[(size_t)b * L->out + o];
		layer_backward(x, dz, net->params + L->w_off,
			       net->grads + L->w_off, dprev, L->in, L->out, batch,
			       l > 0);
		if (l == 0)
			break;
		act_backward(&net->layer[l - 1], dprev, batch);
		float *t = dz;

		dz = dprev;
		dprev = t;
	}
}

int nn_backward_dy(struct nn *net, const float *dy)
{
	const struct nn_layer *L;

	if (!net->batch || !dy)
		return -EINVAL;
	L = &net->layer[net->nlayers - 1];
	/* backprop() expects its start in d0; keep it there. */
	memcpy(net->d0, dy, (size_t)net->batch * L->out * sizeof(float));
	act_backward(L, net->d0, net->batch);
	backprop(net);
	return 0;
}

/*
 * Row @b of softmax cross-entropy on logits z: writes dz = w·(softmax(z) − t)
 * / batch and returns w·(logsumexp(z) − Σ t·z) (for targets summing to 1).
 */
static double softmax_ce_row(const float *z, const float *t, uint32_t out,
			     float w, float inv_batch, float *dz)
{
	float zmax = z[0];
	double sum_e = 0, tz = 0, tsum = 0;

	for (uint32_t o = 1; o < out; o++)
		zmax = z[o] > zmax ? z[o] : zmax;
	for (uint32_t o = 0; o < out; o++) {
		sum_e += exp((double)z[o] - zmax);
		tz += (double)t[o] * z[o];
		tsum += t[o];
	}
	for (uint32_t o = 0; o < out; o++)
		dz[o] = w * inv_batch *
			(float)(tsum * exp((double)z[o] - zmax) / sum_e - t[o]);
	return w * (tsum * (zmax + log(sum_e)) - tz);
}

int nn_backward(struct nn *net, const float *t, const float *weight,
		enum nn_loss loss, float *loss_out)
{
	const struct nn_layer *L;
	double sum = 0;

	if (!net->batch || !t || (loss != NN_LOSS_MSE && loss != NN_LOSS_BCE &&
				  loss != NN_LOSS_SOFTMAX_CE))
		return -EINVAL;
	L = &net->layer[net->nlayers - 1];
	if ((loss == NN_LOSS_BCE && L->act != NN_ACT_SIGMOID) ||
	    (loss == NN_LOSS_SOFTMAX_CE && L->act != NN_ACT_LINEAR))
		return -EINVAL;

	const uint32_t out = L->out;
	/* mean over rows and outputs, or over rows for softmax */
	const float scale = loss == NN_LOSS_SOFTMAX_CE
		? 1.0f / (float)net->batch : 1.0f / ((float)net->batch * out);
	float *dz = net->d0;

	for (uint32_t b = 0; b < net->batch; b++) {
		const float wb = weight ? weight[b] : 1.0f;
		const size_t r = (size_t)b * out;

		if (loss == NN_LOSS_SOFTMAX_CE) {
			sum += softmax_ce_row(L->z + r, t + r, out, wb, scale, dz + r);
			continue;
		}
		for (uint32_t o = 0; o < out; o++) {
			const float y = L->a[r + o], tt = t[r + o];

			if (loss == NN_LOSS_MSE) {
				const float e = y - tt;

				sum += (double)wb * e * e;
				dz[r + o] = 2.0f * wb * e * scale;
			} else {
				/* log(1 + e^z) - z·t, stable for any z */
				const float z = L->z[r + o];

				sum += wb * ((z > 0 ? z : 0) - z * tt +
					     log1p(exp(-fabs((double)z))));
				dz[r + o] = wb * (y - tt) * scale;
			}
		}
	}
	if (loss == NN_LOSS_MSE)
		act_backward(L, dz, net->batch);
	backprop(net);
	if (loss_out)
		*loss_out = (float)(sum * scale);
	return 0;
}

float nn_clip_grad_norm(struct nn *net, float max_norm)
{
	double sq = 0;

	for (size_t k = 0; k < net->nparams; k++)
		sq += (double)net->grads[k] * net->grads[k];
	const float norm = (float)sqrt(sq);

	if (norm > max_norm && norm > 0) {
		const float f = max_norm / norm;

		for (size_t k = 0; k < net->nparams; k++)
			net->grads[k] *= f;
	}
	return norm;
}

void nn_adam_step(struct nn *net, const struct nn_adam *ad)
{
	const float b1 = ad->beta1, b2 = ad->beta2;
	float *p = net->params, *m = net->adam_m, *v = net->adam_v;
	const float *g = net->grads;

	net->adam_t++;
	/* Bias corrections folded into the step size and epsilon. */
	const double c1 = 1.0 - pow(b1, (double)net->adam_t);
	const double c2 = 1.0 - pow(b2, (double)net->adam_t);
	const float step = (float)(ad->lr / c1);
	const float inv_c2 = (float)(1.0 / c2);

	for (size_t k = 0; k < net->nparams; k++) {
		m[k] = b1 * m[k] + (1.0f - b1) * g[k];
		v[k] = b2 * v[k] + (1.0f - b2) * g[k] * g[k];
		p[k] -= step * m[k] / (sqrtf(v[k] * inv_c2) + ad->eps);
	}
}

int nn_train(struct nn *net, const float *x, const float *t, uint32_t batch,
	     enum nn_loss loss, const struct nn_adam *adam, float *loss_out)
{
	int rc = nn_forward(net, x, batch, NULL);

	if (rc)
		return rc;
	rc = nn_backward(net, t, NULL, loss, loss_out);
	if (rc)
		return rc;
	nn_adam_step(net, adam);
	return 0;
}

float *nn_params(struct nn *net, size_t *count)
{
	if (count)
		*count = net->nparams;
	return net->params;
}

const float *nn_grads(const struct nn *net, size_t *count)
{
	if (count)
		*count = net->nparams;
	return net->grads;
}

static int same_shape(const struct nn *a, const struct nn *b)
{
	if (a->nlayers != b->nlayers)
		return 0;
	for (uint32_t l = 0; l < a->nlayers; l++)
		if (a->layer[l].in != b->layer[l].in ||
		    a->layer[l].out != b->layer[l].out ||
		    a->layer[l].act != b->layer[l].act)
			return 0;
	return 1;
}

int nn_copy_params(struct nn *dst, const struct nn *src)
{
	if (!same_shape(dst, src))
		return -EINVAL;
	memcpy(dst->params, src->params, src->nparams * sizeof(float));
	return 0;
}

int nn_soft_update(struct nn *dst, const struct nn *src, float tau)
{
	if (!same_shape(dst, src))
		return -EINVAL;
	for (size_t k = 0; k < dst->nparams; k++)
		dst->params[k] += tau * (src->params[k] - dst->params[k]);
	return 0;
}

uint32_t nn_shape(const struct nn *net, uint32_t *sizes, enum nn_act *acts)
{
	for (uint32_t l = 0; l < net->nlayers; l++) {
		if (sizes)
			sizes[l] = net->layer[l].in;
		if (acts)
			acts[l] = net->layer[l].act;
	}
	if (sizes)
		sizes[net->nlayers] = net->layer[net->nlayers - 1].out;
	return net->nlayers;
}

uint32_t nn_inputs(const struct nn *net)
{
	return net->layer[0].in;
}

uint32_t nn_outputs(const struct nn *net)
{
	return net->layer[net->nlayers - 1].out;
}
