/* SPDX-License-Identifier: MIT */
#include "dil_dros.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_file.h"
#include "nn_quant.h"
#include "nn_replay.h"

struct dil_dros {
	struct dil_dros_config cfg;
	uint32_t nf;			/* sample features */
	uint32_t ns;			/* state: features, t one-hot, prev */
	struct nn *net, *target;
	struct nn_quant *q;	/* int8 copy of net (dil_dros_quantize) */
	struct dil_costs costs;
	float *state;			/* [ns]; features at [0, nf) */
};

void dil_dros_config_default(struct dil_dros_config *c, uint32_t tasks)
{
	*c = (struct dil_dros_config){
		.tasks = tasks,
		.features = DIL_FEAT_COST,
		.hidden = { 128, 64 },
		.episodes = 60000,
		.memory = 50000,
		.batch = 64,
		.train_every = 4,
		.target_every = 500,
		.eps_start = 1.0f,
		.eps_end = 0.02f,
		.eps_decay_frac = 0.6f,
		.adam = { .lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f,
			  .eps = 1e-8f },
		.lr_final = 1e-4f,
		.seed = 1,
	};
}

void dil_dros_free(struct dil_dros *d)
{
	if (!d)
		return;
	nn_free(d->net);
	nn_free(d->target);
	nn_quant_free(d->q);
	free(d->state);
	free(d);
}

int dil_dros_create(struct dil_dros **out, const struct dil_dros_config *c)
{
	struct dil_dros *d;
	struct nn_rng rng;
	int rc;

	if (!c || c->tasks == 0 || c->tasks > DIL_TASKS_MAX ||
	    (c->features != DIL_FEAT_RAW && c->features != DIL_FEAT_COST) ||
	    !c->hidden[0] || !c->hidden[1] || !c->episodes || !c->memory ||
	    !c->batch || c->batch > c->memory || !c->train_every ||
	    !c->target_every || !(c->adam.lr > 0) || !(c->lr_final > 0))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *c;
	d->nf = dil_features_count(c->features, c->tasks);
	d->ns = d->nf + c->tasks + DIL_NLOC;
	const uint32_t sizes[4] = { d->ns, c->hidden[0], c->hidden[1], DIL_NLOC };
	const enum nn_act acts[3] = { NN_ACT_RELU, NN_ACT_RELU, NN_ACT_LINEAR };

	rc = nn_create(&d->net, 3, sizes, acts, c->batch);
	if (!rc)
		rc = nn_create(&d->target, 3, sizes, acts, c->batch);
	if (rc)
		goto err;
	rc = -ENOMEM;
	d->state = calloc(d->ns, sizeof(float));
	if (!d->state)
		goto err;
	nn_rng_seed(&rng, c->seed);
	nn_init(d->net, &rng, 0);
	nn_copy_params(d->target, d->net);
	*out = d;
	return 0;
err:
	dil_dros_free(d);
	return rc;
}

/* Costs and features of @s into d->costs and d->state[0, nf); returns S,
 * the all-local execution cost that scales rewards. */
static double load_sample(struct dil_dros *d, const struct dil_params *p,
			  const struct dil_sample *s)
{
	double S = 0;

	dil_costs_build(p, s, &d->costs);
	if (d->cfg.features == DIL_FEAT_COST)
		dil_encode_cost_features(&d->costs, d->state);
	else
		dil_encode_features(p, s, d->state);
	for (uint32_t t = 0; t < s->tasks; t++)
		S += d->costs.exec[t][DIL_LOCAL];
	return S;
}

static void set_step(struct dil_dros *d, float *state, uint32_t t,
		     unsigned prev)
{
	if (state != d->state)
		memcpy(state, d->state, d->nf * sizeof(float));
	memset(state + d->nf, 0, (d->cfg.tasks + DIL_NLOC) * sizeof(float));
	if (t < d->cfg.tasks)
		state[d->nf + t] = 1.0f;
	state[d->nf + d->cfg.tasks + prev] = 1.0f;
}

static unsigned argmax3(const float *q)
{
	unsigned best = 0;

	for (unsigned l = 1; l < DIL_NLOC; l++)
		if (q[l] > q[best])
			best = l;
	return best;
}

/* The cost step @t adds when it runs at @a after @prev. */
static double step_cost(const struct dil_costs *c, uint32_t t, unsigned prev,
			unsigned a)
{
	double v = c->move[t][prev][a] + c->exec[t][a];

	if (t + 1 == c->tasks)
		v += c->move[t + 1][a][DIL_LOCAL];
	return v;
}

struct train_buf {
	uint32_t *idx;
	float *s, *s2, *a, *r, *done, *y, *dy;
};

/* One double-DQN step on a batch from @mem. */
static int train_step(struct dil_dros *d, struct nn_replay *mem,
		      struct nn_rng *rng, struct train_buf *b,
		      const struct nn_adam *adam)
{
	const uint32_t B = d->cfg.batch, ns = d->ns;
	const float *qt, *qo, *q;
	int rc;

	rc = nn_replay_sample(mem, rng, B, b->idx, 0, NULL);
	if (rc)
		return rc;
	nn_replay_gather(mem, b->idx, B, 0, ns, b->s);
	nn_replay_gather(mem, b->idx, B, ns, 1, b->a);
	nn_replay_gather(mem, b->idx, B, ns + 1, 1, b->r);
	nn_replay_gather(mem, b->idx, B, ns + 2, ns, b->s2);
	nn_replay_gather(mem, b->idx, B, 2 * ns + 2, 1, b->done);
	if ((rc = nn_forward(d->target, b->s2, B, &qt)) ||
	    (rc = nn_forward(d->net, b->s2, B, &qo)))
		return rc;
	for (uint32_t k = 0; k < B; k++)
		b->y[k] = b->r[k] + (b->done[k] > 0.5f ? 0.0f :
			  qt[k * DIL_NLOC + argmax3(qo + k * DIL_NLOC)]);
	if ((rc = nn_forward(d->net, b->s, B, &q)))
		return rc;
	memset(b->dy, 0, (size_t)B * DIL_NLOC * sizeof(float));
	for (uint32_t k = 0; k < B; k++) {
		/* Huber loss: the error's gradient clipped to [-1, 1]. */
		float e = q[k * DIL_NLOC + (uint32_t)b->a[k]] - b->y[k];

		e = e > 1.0f ? 1.0f : e < -1.0f ? -1.0f : e;
		b->dy[k * DIL_NLOC + (uint32_t)b->a[k]] = e / (float)B;
	}
	if ((rc = nn_backward_dy(d->net, b->dy)))
		return rc;
	nn_adam_step(d->net, adam);
	return 0;
}

int dil_dros_train(struct dil_dros *d, const struct dil_set *set,
		   dil_dros_progress_fn *progress, void *arg)
{
	const struct dil_dros_config *c = &d->cfg;
	const uint32_t ns = d->ns, B = c->batch, T = c->tasks;
	const uint32_t width = 2 * ns + 3;
	const uint32_t report = c->episodes >= 100 ? c->episodes / 100 : 1;
	struct nn_replay *mem = NULL;
	struct train_buf b = { 0 };
	struct nn_adam adam = c->adam;
	struct nn_rng rng;
	float *rec = NULL;
	double decay, stretch = 0;
	uint64_t steps = 0, updates = 0;
	int rc;

	if (set->params.tasks != T || set->count == 0)
		return -EINVAL;
	rc = nn_replay_create(&mem, c->memory, width, 0);
	if (rc)
		return rc;
	rc = -ENOMEM;
	rec = malloc(width * sizeof(float));
	b.idx = malloc(B * sizeof(uint32_t));
	b.s = malloc((size_t)B * ns * sizeof(float));
	b.s2 = malloc((size_t)B * ns * sizeof(float));
	b.a = malloc(B * sizeof(float));
	b.r = malloc(B * sizeof(float));
	b.done = malloc(B * sizeof(float));
	b.y = malloc(B * sizeof(float));
	b.dy = malloc((size_t)B * DIL_NLOC * sizeof(float));
	if (!rec || !b.idx || !b.s || !b.s2 || !b.a || !b.r || !b.done ||
	    !b.y || !b.dy)
		goto out;
	nn_rng_seed(&rng, c->seed);
	nn_init(d->net, &rng, 0);
	nn_copy_params(d->target, d->net);
	decay = pow((double)c->lr_final / c->adam.lr, 1.0 / c->episodes);
	for (uint32_t ep = 0; ep < c->episodes; ep++) {
		double frac = ep / (c->episodes * (double)c->eps_decay_frac);
		double eps = frac >= 1 ? c->eps_end :
			     c->eps_start + frac * (c->eps_end - c->eps_start);
		struct dil_sample s;
		unsigned prev = DIL_LOCAL;
		double S, total = 0;

		dil_set_sample(set, nn_rng_below(&rng, (uint32_t)set->count),
			       &s);
		S = load_sample(d, &set->params, &s);
		for (uint32_t t = 0; t < T; t++) {
			unsigned a;
			double cost;

			set_step(d, rec, t, prev);
			if (nn_rng_uniform(&rng) < eps) {
				a = nn_rng_below(&rng, DIL_NLOC);
			} else {
				const float *q;

				if ((rc = nn_forward(d->net, rec, 1, &q)))
					goto out;
				a = argmax3(q);
			}
			cost = step_cost(&d->costs, t, prev, a);
			total += cost;
			rec[ns] = (float)a;
			rec[ns + 1] = (float)(-cost / S);
			set_step(d, rec + ns + 2, t + 1, a);
			rec[2 * ns + 2] = t + 1 == T ? 1.0f : 0.0f;
			nn_replay_push(mem, rec);
			prev = a;
			if (++steps % c->train_every || nn_replay_count(mem) < B)
				continue;
			if ((rc = train_step(d, mem, &rng, &b, &adam)))
				goto out;
			if (++updates % c->target_every == 0)
				nn_copy_params(d->target, d->net);
		}
		adam.lr = (float)(adam.lr * decay);
		stretch += total / S;
		if (progress && (ep + 1) % report == 0) {
			progress(arg, ep + 1, c->episodes, stretch / report);
			stretch = 0;
		}
	}
	rc = 0;
out:
	free(b.dy);
	free(b.y);
	free(b.done);
	free(b.r);
	free(b.a);
	free(b.s2);
	free(b.s);
	free(b.idx);
	free(rec);
	nn_replay_free(mem);
	return rc;
}

/* The greedy roll-out, on the int8 copy when @quant. */
static int place_by(struct dil_dros *d, const struct dil_params *p,
		    const struct dil_sample *s, int quant, uint8_t *place)
{
	unsigned prev = DIL_LOCAL;

	if (s->tasks != d->cfg.tasks || (quant && !d->q))
		return -EINVAL;
	load_sample(d, p, s);
	for (uint32_t t = 0; t < s->tasks; t++) {
		const float *q;
		int rc;

		set_step(d, d->state, t, prev);
		rc = 0;
		if (quant)
			nn_quant_forward(d->q, d->state, &q);
		else
			rc = nn_forward(d->net, d->state, 1, &q);
		if (rc)
			return rc;
		prev = argmax3(q);
		place[t] = (uint8_t)prev;
	}
	return 0;
}

int dil_dros_place(struct dil_dros *d, const struct dil_params *p,
		   const struct dil_sample *s, uint8_t *place)
{
	return place_by(d, p, s, 0, place);
}

int dil_dros_quantize(struct dil_dros *d)
{
	return d->q ? nn_quant_update(d->q, d->net)
		    : nn_quant_create(&d->q, d->net);
}

int dil_dros_save(struct dil_dros *d, const char *path)
{
	return nn_file_save_quant(path, &d->net, 1, d->q ? NN_FILE_QUANT_INT8
							 : NN_FILE_QUANT_NONE);
}

int dil_dros_load(struct dil_dros *d, const char *path)
{
	uint32_t quant;
	int rc = nn_file_load_quant(path, &d->net, 1, &quant);

	if (rc)
		return rc;
	nn_copy_params(d->target, d->net);
	return d->q || quant == NN_FILE_QUANT_INT8 ? dil_dros_quantize(d) : 0;
}

static int dros_decide(void *ctx, const struct dil_params *p,
		       const struct dil_sample *s, uint8_t *place)
{
	return place_by(ctx, p, s, 0, place);
}

static int dros_decide_int8(void *ctx, const struct dil_params *p,
			    const struct dil_sample *s, uint8_t *place)
{
	return place_by(ctx, p, s, 1, place);
}

int dil_scheme_dros(struct dil_dros *d, struct dil_scheme *out)
{
	return dil_scheme_dros_mode(d, 0, out);
}

int dil_scheme_dros_mode(struct dil_dros *d, int quant, struct dil_scheme *out)
{
	if (quant && !d->q)
		return -EINVAL;
	*out = (struct dil_scheme){
		.name = "DROS", .ctx = d,
		.decide = quant ? dros_decide_int8 : dros_decide,
		.destroy = NULL,
	};
	return 0;
}
