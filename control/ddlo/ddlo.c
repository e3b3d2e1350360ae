/* SPDX-License-Identifier: MIT */
#include "ddlo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nn_file.h"
#include "nn_quant.h"
#include "nn_replay.h"

struct ddlo {
	struct ddlo_config cfg;
	struct nn *net[DDLO_MAX_K];
	/* int8 copies (ddlo_quantize), kept in step with training */
	struct nn_quant *qnet[DDLO_MAX_K];
	int use_quant;		/* decisions from qnet */
	struct nn_replay *mem;	/* records: scaled input, then decision */
	struct nn_rng rng;
	float *in;		/* [n_in] scaled input, also a record */
	uint8_t *cand;		/* [k][n_in] */
	uint32_t *idx;		/* [batch] */
	float *bx, *bt;		/* [batch][n_in] */
};

void ddlo_config_default(struct ddlo_config *c, uint32_t n_in, uint32_t k)
{
	*c = (struct ddlo_config){
		.n_in = n_in, .k = k, .hidden1 = 120, .hidden2 = 80,
		.memory = 1024, .batch = 128, .train_every = 10,
		.train_start = 512,
		/* main.py: t = task_size·10 − 200, sizes 10..30 → ±100 */
		.in_scale = 10.0f, .in_shift = -200.0f,
		/* memory.py: random_normal_initializer(0, 1/net[0]) */
		.init_sd = 1.0f / (float)(n_in ? n_in : 1),
		/* memory.py: AdamOptimizer(0.01, 0.09), TF defaults after */
		.adam = { .lr = 0.01f, .beta1 = 0.09f, .beta2 = 0.999f,
			  .eps = 1e-8f },
		.seed = 1,
	};
}

int ddlo_create(struct ddlo **out, const struct ddlo_config *c)
{
	struct ddlo *d;
	int rc = -ENOMEM;

	if (!out || !c || c->n_in == 0 || c->k == 0 || c->k > DDLO_MAX_K ||
	    c->memory == 0 || c->batch == 0 || c->train_every == 0 ||
	    c->hidden1 == 0 || c->hidden2 == 0)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *c;
	nn_rng_seed(&d->rng, c->seed);
	const uint32_t sizes[4] = { c->n_in, c->hidden1, c->hidden2, c->n_in };
	const enum nn_act acts[3] = { NN_ACT_RELU, NN_ACT_RELU, NN_ACT_SIGMOID };

	for (uint32_t k = 0; k < c->k; k++) {
		rc = nn_create(&d->net[k], 3, sizes, acts, c->batch);
		if (rc)
			goto err;
		nn_init(d->net[k], &d->rng, c->init_sd);
	}
	rc = nn_replay_create(&d->mem, c->memory, 2 * c->n_in, 0);
	if (rc)
		goto err;
	rc = -ENOMEM;
	d->in = calloc(2 * (size_t)c->n_in, sizeof(float));
	d->cand = calloc((size_t)c->k * c->n_in, 1);
	d->idx = calloc(c->batch, sizeof(uint32_t));
	d->bx = calloc((size_t)c->batch * c->n_in, sizeof(float));
	d->bt = calloc((size_t)c->batch * c->n_in, sizeof(float));
	if (!d->in || !d->cand || !d->idx || !d->bx || !d->bt)
		goto err;
	*out = d;
	return 0;
err:
	ddlo_free(d);
	return rc;
}

void ddlo_free(struct ddlo *d)
{
	if (!d)
		return;
	for (uint32_t k = 0; k < d->cfg.k; k++) {
		nn_free(d->net[k]);
		nn_quant_free(d->qnet[k]);
	}
	nn_replay_free(d->mem);
	free(d->in);
	free(d->cand);
	free(d->idx);
	free(d->bx);
	free(d->bt);
	free(d);
}

static void scale_input(struct ddlo *d, const float *size_mb)
{
	for (uint32_t j = 0; j < d->cfg.n_in; j++)
		d->in[j] = size_mb[j] * d->cfg.in_scale + d->cfg.in_shift;
}

int ddlo_propose(struct ddlo *d, const float *size_mb, uint8_t *cand)
{
	const uint32_t n = d->cfg.n_in;

	scale_input(d, size_mb);
	for (uint32_t k = 0; k < d->cfg.k; k++) {
		const float *y;
		int rc = 0;

		if (d->use_quant)
			nn_quant_forward(d->qnet[k], d->in, &y);
		else
			rc = nn_forward(d->net[k], d->in, 1, &y);
		if (rc)
			return rc;
		for (uint32_t j = 0; j < n; j++)
			cand[(size_t)k * n + j] = y[j] > 0.5f;
	}
	return 0;
}

int ddlo_decide(struct ddlo *d, const struct ddlo_mec *mec, enum ddlo_bw bw,
		const float *size_mb, uint8_t *x, double *q)
{
	const uint32_t n = d->cfg.n_in;
	double best = 0;
	int best_k = 0, rc;

	if (mec->n_wd * mec->n_task != n)
		return -EINVAL;
	rc = ddlo_propose(d, size_mb, d->cand);
	if (rc)
		return rc;
	for (uint32_t k = 0; k < d->cfg.k; k++) {
		/* identical candidates (common once trained) score once */
		if (k && !memcmp(d->cand + (size_t)k * n,
				 d->cand + (size_t)best_k * n, n))
			continue;
		double qk = ddlo_mec_utility(mec, size_mb, d->cand + (size_t)k * n,
					     bw, NULL);

		if (k == 0 || qk < best) {
			best = qk;
			best_k = (int)k;
		}
	}
	memcpy(x, d->cand + (size_t)best_k * n, n);
	if (q)
		*q = best;
	return best_k;
}

int ddlo_learn(struct ddlo *d, const float *size_mb, const uint8_t *x)
{
	const struct ddlo_config *c = &d->cfg;
	const uint32_t n = c->n_in;
	uint64_t pushed;

	scale_input(d, size_mb);
	for (uint32_t j = 0; j < n; j++)
		d->in[n + j] = x[j] ? 1.0f : 0.0f;
	nn_replay_push(d->mem, d->in);
	pushed = nn_replay_pushed(d->mem);
	if (pushed < c->train_start || pushed % c->train_every)
		return 0;
	for (uint32_t k = 0; k < c->k; k++) {
		int rc = nn_replay_sample(d->mem, &d->rng, c->batch, d->idx, 0, NULL);

		if (rc)
			return rc;
		nn_replay_gather(d->mem, d->idx, c->batch, 0, n, d->bx);
		nn_replay_gather(d->mem, d->idx, c->batch, n, n, d->bt);
		rc = nn_train(d->net[k], d->bx, d->bt, c->batch, NN_LOSS_BCE,
			      &c->adam, NULL);
		if (rc)
			return rc;
		/* the int8 copy follows the float network it serves */
		if (d->qnet[k] && (rc = nn_quant_update(d->qnet[k], d->net[k])))
			return rc;
	}
	return 1;
}

int ddlo_quantize(struct ddlo *d)
{
	for (uint32_t k = 0; k < d->cfg.k; k++) {
		int rc = d->qnet[k] ? nn_quant_update(d->qnet[k], d->net[k])
				    : nn_quant_create(&d->qnet[k], d->net[k]);

		if (rc)
			return rc;
	}
	return 0;
}

int ddlo_use_quantized(struct ddlo *d, int on)
{
	if (on && !d->qnet[0])
		return -EINVAL;
	d->use_quant = !!on;
	return 0;
}

int ddlo_save(struct ddlo *d, const char *path)
{
	return nn_file_save_quant(path, d->net, d->cfg.k,
				  d->qnet[0] ? NN_FILE_QUANT_INT8
					     : NN_FILE_QUANT_NONE);
}

int ddlo_load(struct ddlo *d, const char *path)
{
	uint32_t quant;
	int rc = nn_file_load_quant(path, d->net, d->cfg.k, &quant);

	if (rc)
		return rc;
	/* quantised copies, if any, follow the new weights; an int8 file
	 * says the networks run quantised */
	if (d->qnet[0] || quant == NN_FILE_QUANT_INT8)
		rc = ddlo_quantize(d);
	if (!rc && quant == NN_FILE_QUANT_INT8)
		d->use_quant = 1;
	return rc;
}
