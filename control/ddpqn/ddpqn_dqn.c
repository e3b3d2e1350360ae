/* SPDX-License-Identifier: MIT */
#include "ddpqn_dqn.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "nn_file.h"
#include "nn_quant.h"
#include "nn_replay.h"
#include "nn_rng.h"

#define DQN_MAX_ACTIONS 32u

/* A replay record: s | a | r | s' | done. */
#define REC_S		0u
#define REC_A		(DDPQN_STATE_DIM)
#define REC_R		(REC_A + 1)
#define REC_S2		(REC_R + 1)
#define REC_DONE	(REC_S2 + DDPQN_STATE_DIM)
#define REC_WIDTH	(REC_DONE + 1)

struct ddpqn_dqn {
	struct ddpqn_dqn_config c;
	struct nn *online, *target;
	struct nn_quant *q;		/* int8 copy of online (quantize) */
	int use_quant;			/* ddpqn_dqn_q runs q */
	struct nn_replay *mem;
	struct nn_rng rng;
	unsigned outs;			/* network outputs: actions (+1 dueling) */
	unsigned nact;			/* actions usable in the current env */
	double greedy_p;		/* probability of the greedy action now */
	double rscale;			/* reward multiplier */
	double beta;			/* PER importance-sampling exponent now */
	uint64_t steps, updates;
	double loss_sum;
	unsigned loss_n;
	/* minibatch scratch, c.batch rows each */
	uint32_t *idx;
	float *w, *s, *s2, *qn, *qt, *dy, *rec;
	float *err;
};

void ddpqn_dueling_q(const float *out, unsigned n, float *q)
{
	double mean = 0;

	for (unsigned k = 0; k < n; k++)
		mean += out[k];
	mean /= n;
	for (unsigned k = 0; k < n; k++)
		q[k] = out[n] + out[k] - (float)mean;
}

/*
 * q_k = V + A_k - (1/n) sum_j A_j, so dL/dA_j = dq_j - (1/n) sum_k dq_k
 * and dL/dV = sum_k dq_k.
 */
void ddpqn_dueling_backward(const float *dq, unsigned n, float *dout)
{
	double sum = 0;

	for (unsigned k = 0; k < n; k++)
		sum += dq[k];
	for (unsigned k = 0; k < n; k++)
		dout[k] = dq[k] - (float)(sum / n);
	dout[n] = (float)sum;
}

/* Row r of a network output as Q values. */
static void q_row(const struct ddpqn_dqn *d, const float *y, unsigned r, float *q)
{
	const float *o = y + (size_t)r * d->outs;

	if (d->c.dueling)
		ddpqn_dueling_q(o, d->c.actions, q);
	else
		memcpy(q, o, d->c.actions * sizeof(*q));
}

void ddpqn_dqn_destroy(struct ddpqn_dqn *d)
{
	if (!d)
		return;
	nn_free(d->online);
	nn_free(d->target);
	nn_quant_free(d->q);
	nn_replay_free(d->mem);
	free(d->idx);
	free(d->w);
	free(d->s);
	free(d->s2);
	free(d->qn);
	free(d->qt);
	free(d->dy);
	free(d->rec);
	free(d->err);
	free(d);
}

int ddpqn_dqn_create(const struct ddpqn_dqn_config *c, struct ddpqn_dqn **out)
{
	const enum nn_act acts[3] = { NN_ACT_RELU, NN_ACT_RELU, NN_ACT_LINEAR };
	struct ddpqn_dqn *d;
	uint32_t sizes[4];
	size_t b;
	int rc;

	if (!c || !out || c->state_dim != DDPQN_STATE_DIM || !c->hidden[0] ||
	    !c->hidden[1] || c->actions < 2 || c->actions > DQN_MAX_ACTIONS ||
	    !c->batch || c->batch > 4096 || !c->target_sync || c->memory < c->batch ||
	    !(c->lr > 0) || !(c->gamma >= 0 && c->gamma < 1) ||
	    !(c->eps_greedy >= 0 && c->eps_greedy <= 1) || !c->train_every ||
	    !(c->eps_ramp >= 0 && c->eps_ramp <= 1) ||
	    (c->prioritized && !(c->per_omega > 0)))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->c = *c;
	d->outs = c->actions + (c->dueling ? 1 : 0);
	d->nact = c->actions;
	d->rscale = 1;
	d->greedy_p = 1;
	d->beta = c->per_beta0;
	sizes[0] = c->state_dim;
	sizes[1] = c->hidden[0];
	sizes[2] = c->hidden[1];
	sizes[3] = d->outs;
	b = c->batch;
	rc = nn_create(&d->online, 3, sizes, acts, c->batch);
	if (!rc)
		rc = nn_create(&d->target, 3, sizes, acts, c->batch);
	if (!rc)
		rc = nn_replay_create(&d->mem, c->memory, REC_WIDTH,
				      c->prioritized ? (float)c->per_omega : 0);
	if (rc)
		goto err_free;
	d->idx = calloc(b, sizeof(*d->idx));
	d->w = calloc(b, sizeof(float));
	d->err = calloc(b, sizeof(float));
	d->s = calloc(b * c->state_dim, sizeof(float));
	d->s2 = calloc(b * c->state_dim, sizeof(float));
	d->qn = calloc(b * d->outs, sizeof(float));
	d->qt = calloc(b * d->outs, sizeof(float));
	d->dy = calloc(b * d->outs, sizeof(float));
	d->rec = calloc(b * REC_WIDTH, sizeof(float));
	if (!d->idx || !d->w || !d->err || !d->s || !d->s2 || !d->qn || !d->qt ||
	    !d->dy || !d->rec) {
		rc = -ENOMEM;
		goto err_free;
	}
	nn_rng_seed(&d->rng, c->seed);
	nn_init(d->online, &d->rng, 0);
	nn_copy_params(d->target, d->online);
	*out = d;
	return 0;
err_free:
	ddpqn_dqn_destroy(d);
	return rc;
}

const struct ddpqn_dqn_config *ddpqn_dqn_config_of(const struct ddpqn_dqn *d)
{
	return &d->c;
}

double ddpqn_dqn_reward_scale(const struct ddpqn_dqn *d)
{
	return d->rscale;
}

uint64_t ddpqn_dqn_updates(const struct ddpqn_dqn *d)
{
	return d->updates;
}

int ddpqn_dqn_q(struct ddpqn_dqn *d, const float *state, float *q)
{
	const float *y;
	int rc = 0;

	if (d->use_quant)
		nn_quant_forward(d->q, state, &y);
	else
		rc = nn_forward(d->online, state, 1, &y);
	if (rc)
		return rc;
	q_row(d, y, 0, q);
	return 0;
}

int ddpqn_dqn_quantize(struct ddpqn_dqn *d)
{
	return d->q ? nn_quant_update(d->q, d->online)
		    : nn_quant_create(&d->q, d->online);
}

int ddpqn_dqn_use_quantized(struct ddpqn_dqn *d, int on)
{
	if (on && !d->q)
		return -EINVAL;
	d->use_quant = !!on;
	return 0;
}

static int dqn_act(struct ddpqn_agent *ag, const struct ddpqn_env *env,
		   const float *st, unsigned *server)
{
	struct ddpqn_dqn *d = ag->ctx;
	unsigned n = ddpqn_env_nservers(env);
	float q[DQN_MAX_ACTIONS];
	int rc;

	/* Servers past the network's outputs are never chosen (fewer are masked). */
	if (n > d->c.actions)
		n = d->c.actions;
	if (d->greedy_p < 1 && nn_rng_uniform(&d->rng) >= d->greedy_p) {
		*server = nn_rng_below(&d->rng, n);
		return 0;
	}
	rc = ddpqn_dqn_q(d, st, q);
	if (rc)
		return rc;
	*server = ddpqn_argmax(q, n);
	return 0;
}

/* Q values of a batch of rows, as Q (dueling aggregated) into @q. */
static int batch_q(struct ddpqn_dqn *d, struct nn *net, const float *x,
		   unsigned n, float *q)
{
	const float *y;
	int rc = nn_forward(net, x, n, &y);

	if (rc)
		return rc;
	for (unsigned r = 0; r < n; r++)
		q_row(d, y, r, q + (size_t)r * d->c.actions);
	return 0;
}

/* One minibatch: TD targets, Huber gradient through the dueling head, Adam. */
static int dqn_update(struct ddpqn_dqn *d)
{
	const struct ddpqn_dqn_config *c = &d->c;
	const unsigned n = c->batch, A = c->actions, S = c->state_dim;
	struct nn_adam adam = { (float)c->lr, 0.9f, 0.999f, 1e-8f };
	float q[DQN_MAX_ACTIONS], dq[DQN_MAX_ACTIONS];
	const float *y;
	double loss = 0;
	int rc;

	rc = nn_replay_sample(d->mem, &d->rng, n, d->idx, (float)d->beta,
			      c->prioritized ? d->w : NULL);
	if (rc)
		return rc;
	nn_replay_gather(d->mem, d->idx, n, 0, REC_WIDTH, d->rec);
	for (unsigned r = 0; r < n; r++) {
		memcpy(d->s + (size_t)r * S, d->rec + (size_t)r * REC_WIDTH + REC_S,
		       S * sizeof(float));
		memcpy(d->s2 + (size_t)r * S, d->rec + (size_t)r * REC_WIDTH + REC_S2,
		       S * sizeof(float));
		if (!c->prioritized)
			d->w[r] = 1;
	}
	/* Q(s') online (for double's argmax) and target; then Q(s) last, for backward. */
	if (c->double_q) {
		rc = batch_q(d, d->online, d->s2, n, d->qn);
		if (rc)
			return rc;
	}
	rc = batch_q(d, d->target, d->s2, n, d->qt);
	if (rc)
		return rc;
	rc = nn_forward(d->online, d->s, n, &y);
	if (rc)
		return rc;
	for (unsigned r = 0; r < n; r++) {
		const float *rec = d->rec + (size_t)r * REC_WIDTH;
		unsigned a = (unsigned)rec[REC_A];
		const float *qt = d->qt + (size_t)r * A;
		double tgt, e, g;

		tgt = ddpqn_td_target(rec[REC_R], rec[REC_DONE] > 0.5f, c->gamma,
				      c->double_q ? d->qn + (size_t)r * A : qt, qt,
				      d->nact, c->double_q, c->algo1_literal);
		q_row(d, y, r, q);
		e = q[a] - tgt;
		d->err[r] = (float)e;
		/* Huber (delta 1): quadratic inside, linear outside. */
		loss += d->w[r] * (fabs(e) <= 1 ? 0.5 * e * e : fabs(e) - 0.5);
		g = e > 1 ? 1 : e < -1 ? -1 : e;
		memset(dq, 0, A * sizeof(*dq));
		dq[a] = (float)(d->w[r] * g / n);
		if (c->dueling)
			ddpqn_dueling_backward(dq, A, d->dy + (size_t)r * d->outs);
		else
			memcpy(d->dy + (size_t)r * d->outs, dq, A * sizeof(*dq));
	}
	rc = nn_backward_dy(d->online, d->dy);
	if (rc)
		return rc;
	if (c->grad_clip > 0)
		nn_clip_grad_norm(d->online, (float)c->grad_clip);
	nn_adam_step(d->online, &adam);
	if (c->prioritized) {
		rc = nn_replay_update(d->mem, d->idx, d->err, n, 1e-3f);
		if (rc)
			return rc;
	}
	d->updates++;
	d->loss_sum += loss / n;
	d->loss_n++;
	/* The seed's target sync: every target_sync learning steps. */
	if (d->updates % c->target_sync == 0)
		nn_copy_params(d->target, d->online);
	return 0;
}

static int dqn_learn(struct ddpqn_agent *ag, const float *st, unsigned server,
		     double reward, const float *next, int done)
{
	struct ddpqn_dqn *d = ag->ctx;
	float rec[REC_WIDTH];

	memcpy(rec + REC_S, st, DDPQN_STATE_DIM * sizeof(float));
	rec[REC_A] = (float)server;
	rec[REC_R] = (float)(reward * d->rscale);
	memcpy(rec + REC_S2, next, DDPQN_STATE_DIM * sizeof(float));
	rec[REC_DONE] = done ? 1.0f : 0.0f;
	nn_replay_push(d->mem, rec);
	d->steps++;
	if (nn_replay_count(d->mem) < d->c.batch || d->steps % d->c.train_every)
		return 0;
	return dqn_update(d);
}

static const struct ddpqn_agent_ops dqn_ops_train = { "dqn", dqn_act, dqn_learn };
static const struct ddpqn_agent_ops dqn_ops_greedy = { "dqn", dqn_act, NULL };

void ddpqn_dqn_agent(struct ddpqn_dqn *d, int train, struct ddpqn_agent *ag)
{
	ag->ops = train ? &dqn_ops_train : &dqn_ops_greedy;
	ag->ctx = d;
	ag->rng = d->c.seed;
}

static int greedy_rollout(struct ddpqn_dqn *d, struct ddpqn_env *env,
			  struct ddpqn_totals *t)
{
	struct ddpqn_agent ag;
	double keep = d->greedy_p;
	int rc;

	d->greedy_p = 1;
	ddpqn_dqn_agent(d, 0, &ag);
	rc = ddpqn_rollout(env, &ag, NULL, t);
	d->greedy_p = keep;
	return rc;
}

int ddpqn_dqn_train(struct ddpqn_dqn *d, struct ddpqn_env *env,
		    uint64_t max_updates, struct ddpqn_dqn_epoch *curve,
		    unsigned *episodes_run)
{
	const struct ddpqn_dqn_config *c = &d->c;
	struct ddpqn_agent ag, greedy;
	struct ddpqn_totals t, g;
	double best = INFINITY;
	float *best_w = NULL, *w;
	size_t np, steps;
	unsigned ep;
	int rc;

	if (ddpqn_env_nservers(env) > c->actions)
		return -EINVAL;
	d->nact = ddpqn_env_nservers(env);
	/* The reward scale: a step of the greedy placement costs about 1. */
	rc = ddpqn_baseline("greedy", 1, &greedy);
	if (!rc)
		rc = ddpqn_rollout(env, &greedy, NULL, &g);
	if (rc)
		return rc;
	steps = (size_t)ddpqn_env_ntasks(env) * ddpqn_env_nlayers(env);
	d->rscale = g.objective > 0 ? steps / g.objective : 1;
	w = nn_params(d->online, &np);
	best_w = malloc(np * sizeof(float));
	if (!best_w)
		return -ENOMEM;
	memcpy(best_w, w, np * sizeof(float));
	ddpqn_dqn_agent(d, 1, &ag);
	for (ep = 0; ep < c->episodes; ep++) {
		double ramp = c->eps_ramp * c->episodes;

		if (max_updates && d->updates >= max_updates)
			break;
		d->greedy_p = ramp > 0 && ep < ramp ? c->eps_greedy * ep / ramp
						    : c->eps_greedy;
		d->beta = c->per_beta0 + (1 - c->per_beta0) * ep / c->episodes;
		d->loss_sum = 0;
		d->loss_n = 0;
		rc = ddpqn_rollout(env, &ag, NULL, &t);
		if (rc)
			goto out;
		if (curve) {
			curve[ep].train_objective = t.objective;
			curve[ep].greedy_objective = NAN;
			curve[ep].loss = d->loss_n ? d->loss_sum / d->loss_n : NAN;
		}
		if (c->eval_every && (ep + 1) % c->eval_every == 0) {
			rc = greedy_rollout(d, env, &g);
			if (rc)
				goto out;
			if (curve)
				curve[ep].greedy_objective = g.objective;
			if (g.objective < best) {
				best = g.objective;
				memcpy(best_w, w, np * sizeof(float));
			}
		}
	}
	if (isfinite(best)) {
		memcpy(w, best_w, np * sizeof(float));
		nn_copy_params(d->target, d->online);
	}
	d->greedy_p = 1;
	rc = 0;
out:
	if (episodes_run)
		*episodes_run = ep;
	free(best_w);
	return rc;
}

int ddpqn_dqn_save(const struct ddpqn_dqn *d, const char *path)
{
	struct nn *nets[1] = { d->online };

	return nn_file_save_quant(path, nets, 1, d->q ? NN_FILE_QUANT_INT8
						     : NN_FILE_QUANT_NONE);
}

int ddpqn_dqn_load(struct ddpqn_dqn *d, const char *path)
{
	struct nn *nets[1] = { d->online };
	uint32_t quant;
	int rc = nn_file_load_quant(path, nets, 1, &quant);

	if (!rc)
		rc = nn_copy_params(d->target, d->online);
	/* int8 copies follow the new weights; an int8 file runs int8 */
	if (!rc && (d->q || quant == NN_FILE_QUANT_INT8))
		rc = ddpqn_dqn_quantize(d);
	if (!rc && quant == NN_FILE_QUANT_INT8)
		d->use_quant = 1;
	d->greedy_p = 1;
	return rc;
}
