/* SPDX-License-Identifier: MIT */
#include "dil_net.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dil_encode.h"
#include "dil_solve.h"
#include "nn_file.h"
#include "nn_quant.h"

struct dil_net {
	struct dil_net_config cfg;
	uint32_t nin, nout;
	struct nn *net;
	struct nn_quant *q;		/* int8 copy (dil_net_quantize) */
	int use_quant;			/* dil_net_scores runs q */
	struct dil_costs costs;		/* scratch: cost features, repair */
	float x[6 * DIL_TASKS_MAX + 8];	/* one row of features */
};

static void config_common(struct dil_net_config *c, uint32_t tasks)
{
	*c = (struct dil_net_config){
		.tasks = tasks,
		.features = DIL_FEAT_COST,
		.epochs = 30,
		.batch = 128,
		.adam = { .lr = 2e-3f, .beta1 = 0.9f, .beta2 = 0.999f,
			  .eps = 1e-8f },
		.lr_final = 1e-4f,
		.seed = 1,
	};
}

void dil_net_config_dios(struct dil_net_config *c, uint32_t tasks)
{
	config_common(c, tasks);
	c->nhidden = 2;
	c->hidden[0] = 128;
	c->hidden[1] = 64;
}

void dil_net_config_sos(struct dil_net_config *c, uint32_t tasks)
{
	config_common(c, tasks);
	c->nhidden = 1;
	c->hidden[0] = 128;
}

void dil_net_free(struct dil_net *n)
{
	if (!n)
		return;
	nn_free(n->net);
	nn_quant_free(n->q);
	free(n);
}

int dil_net_create(struct dil_net **out, const struct dil_net_config *c)
{
	uint32_t sizes[DIL_NET_MAX_HIDDEN + 2];
	enum nn_act acts[DIL_NET_MAX_HIDDEN + 1];
	struct dil_net *n;
	struct nn_rng rng;
	int rc;

	if (!c || c->tasks == 0 || c->tasks > DIL_TASKS_MAX ||
	    (c->features != DIL_FEAT_RAW && c->features != DIL_FEAT_COST) ||
	    c->nhidden == 0 || c->nhidden > DIL_NET_MAX_HIDDEN ||
	    c->epochs == 0 || c->batch == 0 || !(c->adam.lr > 0) ||
	    !(c->lr_final > 0))
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->cfg = *c;
	n->nin = dil_features_count(c->features, c->tasks);
	n->nout = dil_label_count(c->tasks);
	sizes[0] = n->nin;
	for (uint32_t l = 0; l < c->nhidden; l++) {
		sizes[l + 1] = c->hidden[l];
		acts[l] = NN_ACT_RELU;
	}
	sizes[c->nhidden + 1] = n->nout;
	acts[c->nhidden] = NN_ACT_SIGMOID;
	rc = nn_create(&n->net, c->nhidden + 1, sizes, acts, c->batch);
	if (rc) {
		free(n);
		return rc;
	}
	nn_rng_seed(&rng, c->seed);
	nn_init(n->net, &rng, 0);
	*out = n;
	return 0;
}

const struct dil_net_config *dil_net_config(const struct dil_net *n)
{
	return &n->cfg;
}

static void encode(struct dil_net *n, const struct dil_params *p,
		   const struct dil_sample *s, float *x)
{
	if (n->cfg.features == DIL_FEAT_RAW) {
		dil_encode_features(p, s, x);
		return;
	}
	dil_costs_build(p, s, &n->costs);
	dil_encode_cost_features(&n->costs, x);
}

int dil_net_train(struct dil_net *n, const struct dil_set *set,
		  dil_net_progress_fn *progress, void *arg, double *loss)
{
	const struct dil_net_config *c = &n->cfg;
	const size_t N = set->count, B = c->batch;
	float *X = NULL, *Y = NULL, *bx = NULL, *by = NULL;
	uint32_t *perm = NULL;
	struct nn_adam adam = c->adam;
	struct nn_rng rng;
	double decay, epoch_loss = 0;
	int rc = -ENOMEM;

	if (set->params.tasks != c->tasks || N == 0)
		return -EINVAL;
	X = malloc(N * n->nin * sizeof(float));
	Y = malloc(N * n->nout * sizeof(float));
	bx = malloc(B * n->nin * sizeof(float));
	by = malloc(B * n->nout * sizeof(float));
	perm = malloc(N * sizeof(uint32_t));
	if (!X || !Y || !bx || !by || !perm)
		goto out;
	for (size_t i = 0; i < N; i++) {
		struct dil_sample s;

		dil_set_sample(set, i, &s);
		encode(n, &set->params, &s, X + i * n->nin);
		dil_encode_labels(c->tasks, dil_set_labels(set, i),
				  Y + i * n->nout);
		perm[i] = (uint32_t)i;
	}
	nn_rng_seed(&rng, c->seed);
	nn_init(n->net, &rng, 0);
	decay = c->epochs > 1 ?
		pow((double)c->lr_final / c->adam.lr, 1.0 / (c->epochs - 1)) : 1;
	for (uint32_t e = 0; e < c->epochs; e++) {
		double sum = 0;
		size_t batches = 0;

		/* Fisher-Yates: every epoch visits each sample once. */
		for (size_t i = N - 1; i > 0; i--) {
			size_t j = nn_rng_below(&rng, (uint32_t)(i + 1));
			uint32_t t = perm[i];

			perm[i] = perm[j];
			perm[j] = t;
		}
		for (size_t i = 0; i < N; i += B) {
			uint32_t b = (uint32_t)(N - i < B ? N - i : B);
			float l;

			for (uint32_t k = 0; k < b; k++) {
				memcpy(bx + (size_t)k * n->nin,
				       X + (size_t)perm[i + k] * n->nin,
				       n->nin * sizeof(float));
				memcpy(by + (size_t)k * n->nout,
				       Y + (size_t)perm[i + k] * n->nout,
				       n->nout * sizeof(float));
			}
			rc = nn_train(n->net, bx, by, b, NN_LOSS_BCE, &adam, &l);
			if (rc)
				goto out;
			sum += l;
			batches++;
		}
		epoch_loss = sum / (double)batches;
		adam.lr = (float)(adam.lr * decay);
		if (progress)
			progress(arg, e + 1, c->epochs, epoch_loss);
	}
	if (loss)
		*loss = epoch_loss;
	/* an int8 copy follows the weights it serves */
	rc = n->q ? nn_quant_update(n->q, n->net) : 0;
out:
	free(perm);
	free(by);
	free(bx);
	free(Y);
	free(X);
	return rc;
}

/* One forward pass, by the int8 copy when @quant. */
static int scores(struct dil_net *n, const struct dil_params *p,
		  const struct dil_sample *s, int quant, const float **y)
{
	if (s->tasks != n->cfg.tasks)
		return -EINVAL;
	encode(n, p, s, n->x);
	if (!quant)
		return nn_forward(n->net, n->x, 1, y);
	nn_quant_forward(n->q, n->x, y);
	return 0;
}

int dil_net_scores(struct dil_net *n, const struct dil_params *p,
		   const struct dil_sample *s, const float **y)
{
	return scores(n, p, s, n->use_quant, y);
}

int dil_net_quantize(struct dil_net *n)
{
	return n->q ? nn_quant_update(n->q, n->net)
		    : nn_quant_create(&n->q, n->net);
}

int dil_net_use_quantized(struct dil_net *n, int on)
{
	if (on && !n->q)
		return -EINVAL;
	n->use_quant = !!on;
	return 0;
}

int dil_net_save(struct dil_net *n, const char *path)
{
	return nn_file_save_quant(path, &n->net, 1, n->q ? NN_FILE_QUANT_INT8
							 : NN_FILE_QUANT_NONE);
}

int dil_net_load(struct dil_net *n, const char *path)
{
	uint32_t quant;
	int rc = nn_file_load_quant(path, &n->net, 1, &quant);

	if (rc)
		return rc;
	if (n->q || quant == NN_FILE_QUANT_INT8)
		rc = dil_net_quantize(n);
	if (!rc && quant == NN_FILE_QUANT_INT8)
		n->use_quant = 1;
	return rc;
}

struct net_scheme {
	struct dil_net *n;
	float margin;
	int quant;
};

static int net_decide(void *ctx, const struct dil_params *p,
		      const struct dil_sample *s, uint8_t *place)
{
	struct net_scheme *ns = ctx;
	struct dil_net *n = ns->n;
	uint8_t mask[DIL_TASKS_MAX];
	const float *y;
	int rc = scores(n, p, s, ns->quant, &y);

	if (rc)
		return rc;
	if (ns->margin < 0) {
		dil_decode_argmax(s->tasks, y, place);
		return 0;
	}
	dil_decode_mask(s->tasks, y, ns->margin, mask);
	/* Cost features built the tables already for this sample. */
	if (n->cfg.features != DIL_FEAT_COST)
		dil_costs_build(p, s, &n->costs);
	return dil_solve_dp_masked(&n->costs, mask, place) < 0 ? -EINVAL : 0;
}

int dil_scheme_net(struct dil_net *n, const char *name, float margin,
		   struct dil_scheme *out)
{
	return dil_scheme_net_mode(n, name, margin, n->use_quant, out);
}

int dil_scheme_net_mode(struct dil_net *n, const char *name, float margin,
			int quant, struct dil_scheme *out)
{
	struct net_scheme *ns;

	if (quant && !n->q)
		return -EINVAL;
	ns = malloc(sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	ns->n = n;
	ns->margin = margin;
	ns->quant = quant;
	*out = (struct dil_scheme){
		.name = name, .ctx = ns, .decide = net_decide, .destroy = free,
	};
	return 0;
}
