/* SPDX-License-Identifier: MIT */
/*
 * The nn module: gradients against central finite differences for every
 * activation and loss, Adam's update against its formula, XOR and a linear
 * regression learned to a known loss, and seeded runs that repeat exactly.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nn.h"

#define GC_BATCH	3u	/* the loops */
#define GC_BIG	20u	/* ≥ NN_BLAS_MIN_BATCH: sgemm when built with it */

struct gc_case {
	const char *name;
	uint32_t nlayers;
	uint32_t sizes[4];
	enum nn_act acts[3];
	int loss;		/* enum nn_loss, or -1: custom dL/dy */
	int weighted;		/* per-row weights */
	uint32_t batch;		/* 0: GC_BATCH */
};

static const struct gc_case gc_cases[] = {
	{ "relu-linear mse", 2, {3, 5, 2}, {NN_ACT_RELU, NN_ACT_LINEAR}, NN_LOSS_MSE, 0, 0 },
	{ "linear-sigmoid mse", 2, {3, 4, 2}, {NN_ACT_LINEAR, NN_ACT_SIGMOID}, NN_LOSS_MSE, 0, 0 },
	{ "sigmoid-sigmoid bce", 2, {3, 4, 3}, {NN_ACT_SIGMOID, NN_ACT_SIGMOID}, NN_LOSS_BCE, 0, 0 },
	{ "relu-relu-sigmoid bce w", 3, {4, 6, 5, 3},
	  {NN_ACT_RELU, NN_ACT_RELU, NN_ACT_SIGMOID}, NN_LOSS_BCE, 1, 0 },
	{ "relu-linear mse w", 2, {2, 6, 3}, {NN_ACT_RELU, NN_ACT_LINEAR}, NN_LOSS_MSE, 1, 0 },
	{ "sigmoid-linear custom", 2, {3, 4, 2}, {NN_ACT_SIGMOID, NN_ACT_LINEAR}, -1, 0, 0 },
	{ "relu-linear softmax w", 2, {3, 5, 4}, {NN_ACT_RELU, NN_ACT_LINEAR},
	  NN_LOSS_SOFTMAX_CE, 1, 0 },
	{ "sigmoid-linear softmax, batch 20", 2, {3, 5, 4},
	  {NN_ACT_SIGMOID, NN_ACT_LINEAR}, NN_LOSS_SOFTMAX_CE, 0, GC_BIG },
	{ "relu-relu-sigmoid bce w, batch 20", 3, {4, 6, 5, 3},
	  {NN_ACT_RELU, NN_ACT_RELU, NN_ACT_SIGMOID}, NN_LOSS_BCE, 1, GC_BIG },
	{ "relu-linear mse, batch 20", 2, {2, 6, 3}, {NN_ACT_RELU, NN_ACT_LINEAR},
	  NN_LOSS_MSE, 0, GC_BIG },
};

/* The custom loss: sum of c·y with fixed c, so dL/dy = c. */
static const float custom_c[GC_BATCH * 3] = {0.3f, -1.1f, 0.7f, 2.0f, -0.4f,
					      0.9f, -0.6f, 1.3f, 0.2f};

/* Loss recomputed here from the outputs, independently of nn_backward. */
static double ref_loss(const struct gc_case *c, struct nn *net, const float *x,
		       const float *t, const float *w)
{
	const float *y;
	const uint32_t out = c->sizes[c->nlayers];
	const uint32_t nb = c->batch ? c->batch : GC_BATCH;
	double s = 0;

	assert_int_equal(nn_forward(net, x, nb, &y), 0);
	if (c->loss == NN_LOSS_SOFTMAX_CE) {
		/* −Σ t·log softmax(y), per row, mean over rows */
		for (uint32_t b = 0; b < nb; b++) {
			double lse = 0;

			for (uint32_t o = 0; o < out; o++)
				lse += exp(y[b * out + o]);
			for (uint32_t o = 0; o < out; o++)
				s -= (w ? w[b] : 1.0) * t[b * out + o] *
				     (y[b * out + o] - log(lse));
		}
		return s / nb;
	}
	for (uint32_t b = 0; b < nb; b++)
		for (uint32_t o = 0; o < out; o++) {
			const double yy = y[b * out + o], tt = t[b * out + o];
			const double wb = w ? w[b] : 1.0;

			if (c->loss == NN_LOSS_MSE)
				s += wb * (yy - tt) * (yy - tt);
			else if (c->loss == NN_LOSS_BCE)
				s -= wb * (tt * log(yy) + (1 - tt) * log(1 - yy));
			else
				s += custom_c[b * out + o] * yy;
		}
	return c->loss < 0 ? s : s / (nb * out);
}

static void test_gradients(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < sizeof(gc_cases) / sizeof(gc_cases[0]); ci++) {
		const struct gc_case *c = &gc_cases[ci];
		const uint32_t in = c->sizes[0], out = c->sizes[c->nlayers];
		const uint32_t nb = c->batch ? c->batch : GC_BATCH;
		float x[GC_BIG * 8], t[GC_BIG * 8], w[GC_BIG];
		struct nn *net;
		struct nn_rng rng;
		size_t np;
		float lossv;

		nn_rng_seed(&rng, 42 + ci);
		assert_int_equal(nn_create(&net, c->nlayers, c->sizes, c->acts,
					   nb), 0);
		nn_init(net, &rng, 0.8f);
		for (uint32_t b = 0; b < nb; b++)
			w[b] = 0.5f + 0.25f * (float)(b % 7);
		for (uint32_t k = 0; k < nb * in; k++)
			x[k] = (float)(2 * nn_rng_uniform(&rng) - 1);
		for (uint32_t k = 0; k < nb * out; k++)
			t[k] = c->loss == NN_LOSS_BCE ? (float)nn_rng_uniform(&rng)
						      : (float)nn_rng_normal(&rng);
		if (c->loss == NN_LOSS_SOFTMAX_CE)	/* one class per row */
			for (uint32_t b = 0; b < nb; b++)
				for (uint32_t o = 0; o < out; o++)
					t[b * out + o] = o == b % out;
		const float *wp = c->weighted ? w : NULL;
		float *p = nn_params(net, &np);
		/* biases too, away from zero, so every path is exercised */
		for (size_t k = 0; k < np; k++)
			if (p[k] == 0.0f)
				p[k] = (float)(0.3 * nn_rng_normal(&rng));

		assert_int_equal(nn_forward(net, x, nb, NULL), 0);
		if (c->loss < 0) {
			assert_int_equal(nn_backward_dy(net, custom_c), 0);
		} else {
			assert_int_equal(nn_backward(net, t, wp, c->loss, &lossv), 0);
			assert_float_equal(lossv, ref_loss(c, net, x, t, wp), 1e-5);
		}
		float *g = malloc(np * sizeof(float));

		assert_non_null(g);
		memcpy(g, nn_grads(net, NULL), np * sizeof(float));
		for (size_t k = 0; k < np; k++) {
			const float keep = p[k], h = 1e-3f;

			p[k] = keep + h;
			double lp = ref_loss(c, net, x, t, wp);
			p[k] = keep - h;
			double lm = ref_loss(c, net, x, t, wp);
			p[k] = keep;
			double num = (lp - lm) / (2 * h);

			if (fabs(num - g[k]) > 2e-3 + 2e-2 * fabs(num))
				fail_msg("%s: param %zu analytic %g numeric %g",
					 c->name, k, g[k], num);
		}
		free(g);
		nn_free(net);
	}
}

static void test_clip_grad_norm(void **state)
{
	(void)state;
	/* 1x2 linear layer, L = (w·x + b − t)², grads (2e·x, 2e) */
	struct nn *net;
	struct nn_rng rng;
	const float x[1] = {3.0f}, t[1] = {0.0f};
	size_t np;

	nn_rng_seed(&rng, 1);
	assert_int_equal(nn_create(&net, 1, (uint32_t[]){1, 1},
				   (enum nn_act[]){NN_ACT_LINEAR}, 1), 0);
	nn_init(net, &rng, 0);
	float *p = nn_params(net, &np);

	p[0] = 1.0f;	/* e = 3: grads (18, 6), norm √360 */
	p[1] = 0.0f;
	assert_int_equal(nn_forward(net, x, 1, NULL), 0);
	assert_int_equal(nn_backward(net, t, NULL, NN_LOSS_MSE, NULL), 0);
	assert_float_equal(nn_clip_grad_norm(net, 100.0f), sqrt(360.0), 1e-4);
	assert_float_equal(nn_grads(net, NULL)[0], 18.0, 1e-5);	/* untouched */
	assert_float_equal(nn_clip_grad_norm(net, 1.0f), sqrt(360.0), 1e-4);
	const float *g = nn_grads(net, NULL);

	assert_float_equal(g[0], 18.0 / sqrt(360.0), 1e-6);
	assert_float_equal(g[1], 6.0 / sqrt(360.0), 1e-6);
	nn_free(net);
}

static void test_adam_formula(void **state)
{
	(void)state;
	/* Two steps of Adam on a 1x1 linear layer, against the formula. */
	const struct nn_adam ad = { .lr = 0.1f, .beta1 = 0.8f, .beta2 = 0.9f,
				    .eps = 0.5f };
	struct nn *net;
	struct nn_rng rng;
	float x[1] = {2.0f}, t[1] = {1.0f};
	double w = 0.25, b = 0.0, mw = 0, vw = 0, mb = 0, vb = 0;

	nn_rng_seed(&rng, 1);
	assert_int_equal(nn_create(&net, 1, (uint32_t[]){1, 1},
				   (enum nn_act[]){NN_ACT_LINEAR}, 1), 0);
	nn_init(net, &rng, 0);
	float *p = nn_params(net, NULL);

	p[0] = (float)w;
	for (int step = 1; step <= 2; step++) {
		/* L = (w·x + b - t)^2 */
		double e = w * x[0] + b - t[0], gw = 2 * e * x[0], gb = 2 * e;

		mw = ad.beta1 * mw + (1 - ad.beta1) * gw;
		vw = ad.beta2 * vw + (1 - ad.beta2) * gw * gw;
		mb = ad.beta1 * mb + (1 - ad.beta1) * gb;
		vb = ad.beta2 * vb + (1 - ad.beta2) * gb * gb;
		double c1 = 1 - pow(ad.beta1, step), c2 = 1 - pow(ad.beta2, step);

		w -= ad.lr * (mw / c1) / (sqrt(vw / c2) + ad.eps);
		b -= ad.lr * (mb / c1) / (sqrt(vb / c2) + ad.eps);
		assert_int_equal(nn_train(net, x, t, 1, NN_LOSS_MSE, &ad, NULL), 0);
		assert_float_equal(p[0], w, 1e-6);
		assert_float_equal(p[1], b, 1e-6);
	}
	nn_free(net);
}

static void test_xor(void **state)
{
	(void)state;
	const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, t[4] = {0, 1, 1, 0};
	const struct nn_adam ad = { 0.05f, 0.9f, 0.999f, 1e-8f };
	struct nn *net;
	struct nn_rng rng;
	const float *y;
	float loss = 1;

	nn_rng_seed(&rng, 7);
	assert_int_equal(nn_create(&net, 2, (uint32_t[]){2, 8, 1},
				   (enum nn_act[]){NN_ACT_RELU, NN_ACT_SIGMOID}, 4), 0);
	nn_init(net, &rng, 0);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(nn_train(net, x, t, 4, NN_LOSS_BCE, &ad, &loss), 0);
	assert_true(loss < 0.02f);
	assert_int_equal(nn_forward(net, x, 4, &y), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(y[i] > 0.5f, t[i] > 0.5f);
	nn_free(net);
}

/* y = 2·x1 - 3·x2 + 0.5 exactly: the known loss is 0, the known weights
 * are (2, -3) and bias 0.5; mini-batches of 16 from 256 points. */
static void test_linear_regression(void **state)
{
	(void)state;
	enum { NPTS = 256, BATCH = 16 };
	float x[NPTS * 2], t[NPTS], bx[BATCH * 2], bt[BATCH];
	const struct nn_adam ad = { 0.02f, 0.9f, 0.999f, 1e-8f };
	struct nn *net;
	struct nn_rng rng;
	float loss = 1;

	nn_rng_seed(&rng, 3);
	for (int i = 0; i < NPTS; i++) {
		x[2 * i] = (float)(4 * nn_rng_uniform(&rng) - 2);
		x[2 * i + 1] = (float)(4 * nn_rng_uniform(&rng) - 2);
		t[i] = 2 * x[2 * i] - 3 * x[2 * i + 1] + 0.5f;
	}
	assert_int_equal(nn_create(&net, 1, (uint32_t[]){2, 1},
				   (enum nn_act[]){NN_ACT_LINEAR}, BATCH), 0);
	nn_init(net, &rng, 0);
	for (int step = 0; step < 3000; step++) {
		for (int k = 0; k < BATCH; k++) {
			uint32_t i = nn_rng_below(&rng, NPTS);

			bx[2 * k] = x[2 * i];
			bx[2 * k + 1] = x[2 * i + 1];
			bt[k] = t[i];
		}
		assert_int_equal(nn_train(net, bx, bt, BATCH, NN_LOSS_MSE, &ad,
					  &loss), 0);
	}
	assert_true(loss < 1e-5f);
	const float *p = nn_params(net, NULL);

	assert_float_equal(p[0], 2.0, 1e-3);
	assert_float_equal(p[1], -3.0, 1e-3);
	assert_float_equal(p[2], 0.5, 1e-3);
	nn_free(net);
}

/* Three separable classes through softmax cross-entropy. */
static void test_softmax_classes(void **state)
{
	(void)state;
	const float x[6 * 2] = {1, 0, 0.9f, 0.2f, 0, 1, 0.1f, 0.8f, -1, -1,
				-0.8f, -1.1f};
	float t[6 * 3] = {0};
	const struct nn_adam ad = { 0.05f, 0.9f, 0.999f, 1e-8f };
	struct nn *net;
	struct nn_rng rng;
	const float *y;
	float loss = 1;

	for (int i = 0; i < 6; i++)
		t[i * 3 + i / 2] = 1;
	nn_rng_seed(&rng, 8);
	assert_int_equal(nn_create(&net, 2, (uint32_t[]){2, 8, 3},
				   (enum nn_act[]){NN_ACT_RELU, NN_ACT_LINEAR}, 6), 0);
	nn_init(net, &rng, 0);
	for (int i = 0; i < 500; i++)
		assert_int_equal(nn_train(net, x, t, 6, NN_LOSS_SOFTMAX_CE, &ad,
					  &loss), 0);
	assert_true(loss < 0.02f);
	assert_int_equal(nn_forward(net, x, 6, &y), 0);
	for (int i = 0; i < 6; i++) {
		const float *r = y + i * 3;
		int best = r[1] > r[0] ? 1 : 0;

		best = r[2] > r[best] ? 2 : best;
		assert_int_equal(best, i / 2);
	}
	nn_free(net);
}

static void test_reproducible(void **state)
{
	(void)state;
	const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, t[4] = {0, 1, 1, 0};
	const struct nn_adam ad = { 0.01f, 0.9f, 0.999f, 1e-8f };
	struct nn *a, *b;
	struct nn_rng ra, rb;
	size_t np;

	nn_rng_seed(&ra, 99);
	nn_rng_seed(&rb, 99);
	assert_int_equal(nn_create(&a, 2, (uint32_t[]){2, 16, 1},
				   (enum nn_act[]){NN_ACT_RELU, NN_ACT_SIGMOID}, 4), 0);
	assert_int_equal(nn_create(&b, 2, (uint32_t[]){2, 16, 1},
				   (enum nn_act[]){NN_ACT_RELU, NN_ACT_SIGMOID}, 4), 0);
	nn_init(a, &ra, 0);
	nn_init(b, &rb, 0);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(nn_train(a, x, t, 4, NN_LOSS_BCE, &ad, NULL), 0);
		assert_int_equal(nn_train(b, x, t, 4, NN_LOSS_BCE, &ad, NULL), 0);
	}
	const float *pa = nn_params(a, &np);

	assert_memory_equal(pa, nn_params(b, NULL), np * sizeof(float));
	/* a different seed gives different weights */
	nn_rng_seed(&rb, 100);
	nn_init(b, &rb, 0);
	assert_memory_not_equal(pa, nn_params(b, NULL), np * sizeof(float));
	/* Polyak: halfway, then all the way */
	float *pb = nn_params(b, NULL);
	const float b0 = pb[0];

	assert_int_equal(nn_soft_update(b, a, 0.5f), 0);
	assert_float_equal(pb[0], 0.5f * (b0 + pa[0]), 1e-6);
	assert_int_equal(nn_soft_update(b, a, 1.0f), 0);
	for (size_t k = 0; k < np; k++)
		assert_float_equal(pb[k], pa[k], 1e-6);
	nn_init(b, &rb, 0);
	assert_int_equal(nn_copy_params(b, a), 0);
	assert_memory_equal(pa, nn_params(b, NULL), np * sizeof(float));
	nn_free(a);
	nn_free(b);
}

static void test_bad_args(void **state)
{
	(void)state;
	struct nn *net, *other;
	float x[2] = {0}, t[1] = {0};

	assert_int_equal(nn_create(&net, 0, (uint32_t[]){2}, NULL, 1), -EINVAL);
	assert_int_equal(nn_create(&net, 1, (uint32_t[]){2, 0},
				   (enum nn_act[]){NN_ACT_LINEAR}, 1), -EINVAL);
	assert_int_equal(nn_create(&net, 1, (uint32_t[]){2, 1},
				   (enum nn_act[]){(enum nn_act)7}, 1), -EINVAL);
	assert_int_equal(nn_create(&net, 1, (uint32_t[]){2, 1},
				   (enum nn_act[]){NN_ACT_LINEAR}, 1), 0);
	assert_int_equal(nn_backward(net, t, NULL, NN_LOSS_MSE, NULL), -EINVAL);
	assert_int_equal(nn_forward(net, x, 2, NULL), -EINVAL);	/* > max_batch */
	assert_int_equal(nn_forward(net, x, 1, NULL), 0);
	/* BCE needs a sigmoid output */
	assert_int_equal(nn_backward(net, t, NULL, NN_LOSS_BCE, NULL), -EINVAL);
	assert_int_equal(nn_backward(net, t, NULL, (enum nn_loss)9, NULL), -EINVAL);
	/* softmax cross-entropy needs a linear output */
	assert_int_equal(nn_create(&other, 1, (uint32_t[]){2, 1},
				   (enum nn_act[]){NN_ACT_SIGMOID}, 1), 0);
	assert_int_equal(nn_forward(other, x, 1, NULL), 0);
	assert_int_equal(nn_backward(other, t, NULL, NN_LOSS_SOFTMAX_CE, NULL),
			 -EINVAL);
	nn_free(other);
	assert_int_equal(nn_create(&other, 1, (uint32_t[]){3, 1},
				   (enum nn_act[]){NN_ACT_LINEAR}, 1), 0);
	assert_int_equal(nn_copy_params(other, net), -EINVAL);
	assert_int_equal(nn_soft_update(other, net, 0.1f), -EINVAL);
	assert_int_equal(nn_inputs(net), 2);
	assert_int_equal(nn_outputs(net), 1);
	nn_free(other);
	nn_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gradients),
		cmocka_unit_test(test_adam_formula),
		cmocka_unit_test(test_clip_grad_norm),
		cmocka_unit_test(test_xor),
		cmocka_unit_test(test_linear_regression),
		cmocka_unit_test(test_softmax_classes),
		cmocka_unit_test(test_reproducible),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
