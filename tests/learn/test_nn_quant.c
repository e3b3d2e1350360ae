/* SPDX-License-Identifier: MIT */
/*
 * int8 inference (nn_quant): per-channel scales and weights exact on known
 * values; one layer's quantised outputs within the bound its scales give
 * of the float ones, for signed and non-negative inputs; a requantisation
 * after training equals a fresh quantisation; a whole DDLO-shaped network
 * stays close to float.
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
#include "nn_quant.h"

static void test_weights_known(void **state)
{
	(void)state;
	/*
	 * W[in = 3][out = 4]: column 0 mixed, column 1 zero, column 2
	 * small, column 3 the smallest subnormal: max / 127 underflows
	 */
	const float W[12] = {
		1.0f, 0.0f, 1e-6f, 1.4e-45f,
		-2.54f, 0.0f, -3e-6f, 0.0f,
		0.5f, 0.0f, 0.0f, -1.4e-45f,
	};
	static const struct {
		uint32_t o;
		float scale;
		int8_t w[3];
	} want[] = {
		{ 0, 2.54f / 127.0f, { 50, -127, 25 } },
		{ 1, 1.0f, { 0, 0, 0 } },
		{ 2, 3e-6f / 127.0f, { 42, -127, 0 } },
		{ 3, 1.0f, { 0, 0, 0 } },
	};
	float scale[4];
	int8_t w[12];

	nn_quant_weights(W, 3, 4, scale, w);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const uint32_t o = want[i].o;

		assert_memory_equal(&scale[o], &want[i].scale, sizeof(float));
		assert_memory_equal(&w[o * 3], want[i].w, 3);
	}
}

static struct nn *make(uint32_t nl, const uint32_t *sizes,
		       const enum nn_act *acts, uint64_t seed, float bias)
{
	struct nn *net;
	struct nn_rng rng;
	size_t np;
	float *p;

	nn_rng_seed(&rng, seed);
	assert_int_equal(nn_create(&net, nl, sizes, acts, 4), 0);
	nn_init(net, &rng, 0);
	p = nn_params(net, &np);
	/* non-zero biases, so the bias path is checked too */
	for (uint32_t l = 0, off = 0; l < nl; l++) {
		off += sizes[l] * sizes[l + 1];
		for (uint32_t o = 0; o < sizes[l + 1]; o++)
			p[off + o] = bias * (float)(o % 5) - bias;
		off += sizes[l + 1];
	}
	return net;
}

/*
 * One linear layer: |ẑ − z| ≤ (s_x / 2)·Σ_i |W_io| + (s_w[o] / 2)·Σ_i |x̂_i|
 * (the input's and the weight's rounding), plus float slack.
 */
static void test_layer_bound(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint32_t in, out;
		float lo, hi;	/* inputs uniform in [lo, hi] */
		float s_div;	/* the activation scale's divisor */
	} cases[] = {
		{ "signed input, 9 -> 120", 9, 120, -100.0f, 100.0f, 127.0f },
		{ "non-negative input, 120 -> 80", 120, 80, 0.0f, 3.0f, 255.0f },
		{ "signed, not a multiple of 32", 37, 11, -1.0f, 0.25f, 127.0f },
		{ "non-negative, wide", 300, 7, 0.0f, 1e-3f, 255.0f },
	};

	for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
		const uint32_t in = cases[ci].in, out = cases[ci].out;
		struct nn *net = make(1, (uint32_t[]){ in, out },
				      (enum nn_act[]){ NN_ACT_LINEAR }, ci + 1,
				      0.1f);
		struct nn_quant *q;
		struct nn_rng rng;
		float *x = malloc(in * sizeof(float)), *scale = malloc(out * 4);
		int8_t *w = malloc((size_t)in * out);
		const float *W = nn_params(net, NULL), *yf, *yq;
		float mx = 0;

		assert_non_null(x);
		assert_non_null(scale);
		assert_non_null(w);
		nn_rng_seed(&rng, 100 + ci);
		for (uint32_t i = 0; i < in; i++) {
			x[i] = cases[ci].lo + (cases[ci].hi - cases[ci].lo) *
			       (float)nn_rng_uniform(&rng);
			mx = fabsf(x[i]) > mx ? fabsf(x[i]) : mx;
		}
		nn_quant_weights(W, in, out, scale, w);
		assert_int_equal(nn_quant_create(&q, net), 0);
		assert_int_equal(nn_forward(net, x, 1, &yf), 0);
		nn_quant_forward(q, x, &yq);
		const float sx = mx / cases[ci].s_div;

		for (uint32_t o = 0; o < out; o++) {
			double sw = 0, sxh = 0, mag = 0;

			for (uint32_t i = 0; i < in; i++) {
				sw += fabs(W[(size_t)i * out + o]);
				sxh += fabs(x[i]) + sx / 2;
				mag += fabs(x[i] * W[(size_t)i * out + o]);
			}
			const double bound = sx / 2 * sw + scale[o] / 2 * sxh +
					     1e-5 * (mag + 1);

			if (fabs(yq[o] - yf[o]) > bound)
				fail_msg("%s: output %u: %g vs %g, bound %g",
					 cases[ci].name, o, yq[o], yf[o], bound);
		}
		nn_quant_free(q);
		nn_free(net);
		free(x);
		free(scale);
		free(w);
	}
}

/* update after training = create afresh; other shapes refused */
static void test_update(void **state)
{
	(void)state;
	const uint32_t sizes[4] = { 9, 120, 80, 9 };
	const enum nn_act acts[3] = { NN_ACT_RELU, NN_ACT_RELU, NN_ACT_SIGMOID };
	struct nn *net = make(3, sizes, acts, 7, 0.0f), *other;
	struct nn_quant *q, *fresh;
	const struct nn_adam adam = { 0.01f, 0.9f, 0.999f, 1e-8f };
	float x[4 * 9], t[4 * 9];
	const float *y1, *y2;
	float keep[9];

	for (int i = 0; i < 36; i++) {
		x[i] = (float)(i % 7) - 3.0f;
		t[i] = (float)(i % 2);
	}
	assert_int_equal(nn_quant_create(&q, net), 0);
	for (int s = 0; s < 20; s++)
		assert_int_equal(nn_train(net, x, t, 4, NN_LOSS_BCE, &adam, NULL), 0);
	assert_int_equal(nn_quant_update(q, net), 0);
	assert_int_equal(nn_quant_create(&fresh, net), 0);
	nn_quant_forward(q, x, &y1);
	memcpy(keep, y1, sizeof(keep));
	nn_quant_forward(fresh, x, &y2);
	assert_memory_equal(keep, y2, sizeof(keep));
	other = make(2, (uint32_t[]){ 9, 120, 9 },
		     (enum nn_act[]){ NN_ACT_RELU, NN_ACT_SIGMOID }, 1, 0.0f);
	assert_int_equal(nn_quant_update(q, other), -EINVAL);
	nn_quant_free(q);
	nn_quant_free(fresh);
	nn_free(net);
	nn_free(other);
}

/*
 * A DDLO-shaped network with a linear output on DDLO-like inputs (sizes
 * 10..30 MB scaled to ±100): every output within 3 % of the largest
 * float output (three roundings of about 1/255..1/127 each).
 */
static void test_network_close(void **state)
{
	(void)state;
	const uint32_t sizes[4] = { 9, 120, 80, 9 };
	const enum nn_act acts[3] = { NN_ACT_RELU, NN_ACT_RELU, NN_ACT_LINEAR };
	struct nn *net = make(3, sizes, acts, 3, 0.05f);
	struct nn_quant *q;
	struct nn_rng rng;
	double worst = 0, top = 0;

	assert_int_equal(nn_quant_create(&q, net), 0);
	nn_rng_seed(&rng, 5);
	for (int r = 0; r < 200; r++) {
		float x[9];
		const float *yf, *yq;

		for (int i = 0; i < 9; i++)
			x[i] = (float)(200 * nn_rng_uniform(&rng) - 100);
		assert_int_equal(nn_forward(net, x, 1, &yf), 0);
		nn_quant_forward(q, x, &yq);
		for (int i = 0; i < 9; i++) {
			worst = fmax(worst, fabs(yq[i] - yf[i]));
			top = fmax(top, fabs(yf[i]));
		}
	}
	print_message("worst |int8 - float| %g of %g (kernel %s)\n", worst,
		      top, nn_quant_kernel());
	if (worst > 0.03 * top)
		fail_msg("worst |int8 - float| %g, largest output %g", worst,
			 top);
	nn_quant_free(q);
	nn_free(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weights_known),
		cmocka_unit_test(test_layer_bound),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_network_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
