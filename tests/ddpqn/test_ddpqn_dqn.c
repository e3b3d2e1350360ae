/* SPDX-License-Identifier: MIT */
/*
 * The DQN agents: the dueling head's gradient against finite differences
 * (alone and through the whole 42-50-20-12 network), the TD target
 * variants reached by training on one hand-made transition, a short
 * training on AlexNet with one task beating random, and the weights file
 * round trip (and refusals that change nothing).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ddpqn_dqn.h"
#include "ddpqn_env.h"
#include "ddpqn_graph.h"
#include "nn.h"
#include "nn_file.h"

#define A 11u

/* q_k = V + A_k - mean(A): the backward of a linear map, checked column by column. */
static void test_dueling_aggregation(void **state)
{
	float out[A + 1], q[A], q2[A], dq[A], dout[A + 1];
	struct nn_rng rng;

	(void)state;
	nn_rng_seed(&rng, 7);
	for (unsigned k = 0; k <= A; k++)
		out[k] = (float)nn_rng_normal(&rng);
	for (unsigned k = 0; k < A; k++)
		dq[k] = (float)nn_rng_normal(&rng);
	ddpqn_dueling_q(out, A, q);
	/* hand check: mean of A removed, V added */
	double mean = 0;
	for (unsigned k = 0; k < A; k++)
		mean += out[k] / A;
	for (unsigned k = 0; k < A; k++)
		assert_float_equal(q[k], out[A] + out[k] - mean, 1e-5);
	ddpqn_dueling_backward(dq, A, dout);
	for (unsigned j = 0; j <= A; j++) {
		double num = 0;
		float o2[A + 1];

		memcpy(o2, out, sizeof(o2));
		o2[j] += 1;	/* linear: a unit step is exact */
		ddpqn_dueling_q(o2, A, q2);
		for (unsigned k = 0; k < A; k++)
			num += dq[k] * (q2[k] - q[k]);
		assert_float_equal(dout[j], num, 1e-4);
	}
}

/* L = 1/2 sum (q - t)^2 over a batch, q through the dueling head. */
static double net_loss(struct nn *net, const float *x, const float *t,
		       unsigned batch, float *dy)
{
	const float *y;
	float q[A], dq[A];
	double l = 0;

	assert_int_equal(nn_forward(net, x, batch, &y), 0);
	for (unsigned r = 0; r < batch; r++) {
		ddpqn_dueling_q(y + r * (A + 1), A, q);
		for (unsigned k = 0; k < A; k++) {
			dq[k] = q[k] - t[r * A + k];
			l += 0.5 * dq[k] * dq[k];
		}
		if (dy)
			ddpqn_dueling_backward(dq, A, dy + r * (A + 1));
	}
	return l;
}

static void test_dueling_gradient(void **state)
{
	const uint32_t sizes[] = { DDPQN_STATE_DIM, 50, 20, A + 1 };
	const enum nn_act acts[] = { NN_ACT_RELU, NN_ACT_RELU, NN_ACT_LINEAR };
	enum { B = 4 };
	float x[B * DDPQN_STATE_DIM], t[B * A], dy[B * (A + 1)];
	struct nn_rng rng;
	struct nn *net;
	size_t np, ng;
	float *w;
	double *grad;
	unsigned checked = 0, bad = 0;

	(void)state;
	assert_int_equal(nn_create(&net, 3, sizes, acts, B), 0);
	nn_rng_seed(&rng, 3);
	nn_init(net, &rng, 0);
	for (unsigned i = 0; i < B * DDPQN_STATE_DIM; i++)
		x[i] = (float)nn_rng_uniform(&rng);
	for (unsigned i = 0; i < B * A; i++)
		t[i] = (float)nn_rng_normal(&rng);
	net_loss(net, x, t, B, dy);
	assert_int_equal(nn_backward_dy(net, dy), 0);
	w = nn_params(net, &np);
	const float *g = nn_grads(net, &ng);
	assert_int_equal(np, ng);
	grad = malloc(np * sizeof(*grad));
	assert_non_null(grad);
	for (size_t i = 0; i < np; i++)
		grad[i] = g[i];
	/* every 5th parameter of every layer, central differences */
	for (size_t i = 0; i < np; i += 5) {
		const float keep = w[i], h = 2e-3f;
		double lp, lm, num;

		w[i] = keep + h;
		lp = net_loss(net, x, t, B, NULL);
		w[i] = keep - h;
		lm = net_loss(net, x, t, B, NULL);
		w[i] = keep;
		num = (lp - lm) / (2 * h);
		checked++;
		if (fabs(num - grad[i]) > 2e-2 * fmax(1, fabs(num))) {
			/* a ReLU kink inside [-h, h] is allowed, rarely */
			printf("# param %zu: numeric %g, backward %g\n", i, num, grad[i]);
			bad++;
		}
	}
	/*
	 * The value output's bias (the last parameter) feeds every q of every
	 * row: its gradient is the sum of (q - t) over rows and actions.
	 */
	const float *y;
	float q[A];
	double sum = 0;
	assert_int_equal(nn_forward(net, x, B, &y), 0);
	for (unsigned r = 0; r < B; r++) {
		ddpqn_dueling_q(y + r * (A + 1), A, q);
		for (unsigned k = 0; k < A; k++)
			sum += q[k] - t[r * A + k];
	}
	assert_float_equal(grad[np - 1], sum, 1e-3 * fmax(1, fabs(sum)));
	assert_true(checked > 600);
	assert_true(bad <= checked / 100);
	free(grad);
	nn_free(net);
}

/*
 * One transition, replayed until Q(s, a) settles: terminal -> r; else
 * (s' = s) r + gamma Q(s, a) -> r / (1 - gamma) for plain and double;
 * Algorithm 1 as printed bootstraps only at the end -> r.
 */
static void test_td_variants_trained(void **state)
{
	static const struct {
		const char *variant;
		int done, literal;
		double want;
	} rows[] = {
		{ "dqn", 1, 0, 2 }, { "dqn", 0, 0, 10 }, { "double", 0, 0, 10 },
		{ "ddpqn", 1, 0, 2 }, { "ddpqn", 0, 0, 10 }, { "ddpqn", 0, 1, 2 },
		{ "dueling", 0, 0, 10 },
	};
	float s[DDPQN_STATE_DIM], q[A];

	(void)state;
	for (unsigned i = 0; i < DDPQN_STATE_DIM; i++)
		s[i] = (float)(i % 5) / 5;
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ddpqn_dqn_config c;
		struct ddpqn_dqn *d;
		struct ddpqn_agent ag;

		assert_int_equal(ddpqn_dqn_variant(rows[i].variant, &c), 0);
		c.batch = 1;
		c.memory = 1;
		c.lr = 0.01;
		c.target_sync = 10;
		c.algo1_literal = rows[i].literal;
		assert_int_equal(ddpqn_dqn_create(&c, &d), 0);
		ddpqn_dqn_agent(d, 1, &ag);
		for (unsigned k = 0; k < 3000; k++)
			assert_int_equal(ag.ops->learn(&ag, s, 3, 2.0, s, rows[i].done), 0);
		assert_int_equal(ddpqn_dqn_q(d, s, q), 0);
		if (fabs(q[3] - rows[i].want) > 0.3)
			fail_msg("%s done=%d literal=%d: Q(s, 3) = %.3f, want %.3f",
				 rows[i].variant, rows[i].done, rows[i].literal, q[3],
				 rows[i].want);
		ddpqn_dqn_destroy(d);
	}
}

static struct ddpqn_graph alex;

static int load_alexnet(struct ddpqn_env **env, unsigned tasks)
{
	struct ddpqn_graph_opts o = { .model = DDPQN_MODEL_ALEXNET };
	struct ddpqn_load_err err;
	struct ddpqn_params p;
	int rc = ddpqn_graph_load(DDPQN_MODELS_DIR "/alexnet.csv", &o, &alex, &err);

	if (rc)
		return rc;
	ddpqn_params_default(&p, DDPQN_MODEL_ALEXNET);
	p.tasks = tasks;
	return ddpqn_env_create(&alex, &p, env);
}

static void test_short_training(void **state)
{
	struct ddpqn_dqn_epoch curve[120];
	struct ddpqn_totals t, r;
	struct ddpqn_dqn_config c;
	struct ddpqn_env *env;
	struct ddpqn_dqn *d;
	struct ddpqn_agent ag;
	double rnd = 0, first = NAN;
	unsigned ran;

	(void)state;
	assert_int_equal(load_alexnet(&env, 1), 0);
	for (unsigned k = 1; k <= 16; k++) {
		assert_int_equal(ddpqn_baseline("random", k, &ag), 0);
		assert_int_equal(ddpqn_rollout(env, &ag, NULL, &r), 0);
		rnd += r.objective / 16;
	}
	assert_int_equal(ddpqn_dqn_variant("ddpqn", &c), 0);
	c.episodes = 120;
	assert_int_equal(ddpqn_dqn_create(&c, &d), 0);
	ddpqn_dqn_agent(d, 0, &ag);
	assert_int_equal(ddpqn_rollout(env, &ag, NULL, &t), 0);
	first = t.objective;	/* the untrained network */
	assert_int_equal(ddpqn_dqn_train(d, env, 0, curve, &ran), 0);
	assert_int_equal(ran, 120);
	assert_true(ddpqn_dqn_updates(d) > 1000);
	assert_int_equal(ddpqn_rollout(env, &ag, NULL, &t), 0);
	printf("# alexnet/1: random %.4f, untrained %.4f, trained %.4f\n", rnd, first,
	       t.objective);
	assert_true(t.objective < rnd / 4);
	assert_true(t.objective <= first);
	/* the kept weights are the best greedy rollout of the curve */
	double best = INFINITY;
	for (unsigned e = 0; e < ran; e++)
		if (curve[e].greedy_objective < best)
			best = curve[e].greedy_objective;
	assert_float_equal(t.objective, best, 1e-9);
	ddpqn_dqn_destroy(d);
	ddpqn_env_destroy(env);
}

static void test_weights_round_trip(void **state)
{
	char path[] = "/tmp/ddpqn_wXXXXXX";
	struct ddpqn_dqn_config c, plain;
	struct ddpqn_dqn *a, *b, *p;
	float s[DDPQN_STATE_DIM], qa[A], qb[A], qb2[A];
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ddpqn_dqn_variant("ddpqn", &c), 0);
	assert_int_equal(ddpqn_dqn_create(&c, &a), 0);
	c.seed = 99;
	assert_int_equal(ddpqn_dqn_create(&c, &b), 0);
	for (unsigned i = 0; i < DDPQN_STATE_DIM; i++)
		s[i] = (float)i / DDPQN_STATE_DIM;
	assert_int_equal(ddpqn_dqn_save(a, path), 0);
	assert_int_equal(ddpqn_dqn_q(a, s, qa), 0);
	assert_int_equal(ddpqn_dqn_q(b, s, qb), 0);
	assert_memory_not_equal(qa, qb, sizeof(qa));
	/* a plain DQN has 11 outputs: the dueling file does not fit */
	assert_int_equal(ddpqn_dqn_variant("dqn", &plain), 0);
	assert_int_equal(ddpqn_dqn_create(&plain, &p), 0);
	assert_int_equal(ddpqn_dqn_load(p, path), -EDOM);
	/* a flipped byte: refused, b unchanged */
	FILE *f = fopen(path, "r+b");
	int ch;
	assert_non_null(f);
	fseek(f, 100, SEEK_SET);
	ch = fgetc(f);
	fseek(f, 100, SEEK_SET);
	fputc(ch ^ 0x40, f);
	fclose(f);
	assert_int_equal(ddpqn_dqn_load(b, path), -EBADMSG);
	assert_int_equal(ddpqn_dqn_q(b, s, qb2), 0);
	assert_memory_equal(qb, qb2, sizeof(qb));
	/* restored: b now answers exactly as a */
	assert_int_equal(ddpqn_dqn_save(a, path), 0);
	assert_int_equal(ddpqn_dqn_load(b, path), 0);
	assert_int_equal(ddpqn_dqn_q(b, s, qb), 0);
	assert_memory_equal(qa, qb, sizeof(qa));
	assert_int_equal(ddpqn_dqn_load(b, "/nonexistent/x.nnw"), -ENOENT);
	unlink(path);
	ddpqn_dqn_destroy(a);
	ddpqn_dqn_destroy(b);
	ddpqn_dqn_destroy(p);
}

static void test_config_checks(void **state)
{
	static const struct { const char *what; unsigned off; } rows[] = {
		{ "batch", offsetof(struct ddpqn_dqn_config, batch) },
		{ "target_sync", offsetof(struct ddpqn_dqn_config, target_sync) },
		{ "actions", offsetof(struct ddpqn_dqn_config, actions) },
		{ "train_every", offsetof(struct ddpqn_dqn_config, train_every) },
	};
	struct ddpqn_dqn_config c;
	struct ddpqn_dqn *d = NULL;

	(void)state;
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(ddpqn_dqn_variant("ddpqn", &c), 0);
		*(unsigned *)((char *)&c + rows[i].off) = 0;
		assert_int_equal(ddpqn_dqn_create(&c, &d), -EINVAL);
	}
	assert_int_equal(ddpqn_dqn_variant("ddpqn", &c), 0);
	c.memory = c.batch - 1;
	assert_int_equal(ddpqn_dqn_create(&c, &d), -EINVAL);
	c.memory = 10000;
	c.gamma = 1;
	assert_int_equal(ddpqn_dqn_create(&c, &d), -EINVAL);
	assert_null(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dueling_aggregation),
		cmocka_unit_test(test_dueling_gradient),
		cmocka_unit_test(test_td_variants_trained),
		cmocka_unit_test(test_short_training),
		cmocka_unit_test(test_weights_round_trip),
		cmocka_unit_test(test_config_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
