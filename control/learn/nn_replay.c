/* SPDX-License-Identifier: MIT */
#include "nn_replay.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct nn_sumtree {
	uint32_t leaves;	/* as asked */
	uint32_t base;		/* power of two >= leaves; leaf i is node base+i */
	double node[];		/* [2 * base], node 1 is the root */
};

int nn_sumtree_create(struct nn_sumtree **out, uint32_t leaves)
{
	struct nn_sumtree *t;
	uint32_t base = 1;

	if (!out || leaves == 0 || leaves > (1u << 30))
		return -EINVAL;
	while (base < leaves)
		base <<= 1;
	t = calloc(1, sizeof(*t) + 2 * (size_t)base * sizeof(double));
	if (!t)
		return -ENOMEM;
	t->leaves = leaves;
	t->base = base;
	*out = t;
	return 0;
}

void nn_sumtree_free(struct nn_sumtree *t)
{
	free(t);
}

void nn_sumtree_set(struct nn_sumtree *t, uint32_t leaf, double mass)
{
	uint32_t i = t->base + leaf;

	if (leaf >= t->leaves)
		return;
	t->node[i] = mass > 0 ? mass : 0;
	/* Recompute sums upward, not add deltas: no drift over millions of
	 * updates. */
	for (i >>= 1; i; i >>= 1)
		t->node[i] = t->node[2 * i] + t->node[2 * i + 1];
}

double nn_sumtree_get(const struct nn_sumtree *t, uint32_t leaf)
{
	return leaf < t->leaves ? t->node[t->base + leaf] : 0;
}

double nn_sumtree_total(const struct nn_sumtree *t)
{
	return t->node[1];
}

uint32_t nn_sumtree_find(const struct nn_sumtree *t, double mass)
{
	uint32_t i = 1;

	while (i < t->base) {
		const double left = t->node[2 * i];

		if (mass < left || t->node[2 * i + 1] <= 0) {
			i = 2 * i;
		} else {
			mass -= left;
			i = 2 * i + 1;
		}
	}
	/* Rounding can land on an empty leaf: step back to a full one. */
	while (i > t->base && t->node[i] <= 0)
		i--;
	return i - t->base;
}

struct nn_replay {
	uint32_t capacity, width, count, next;
	uint64_t pushed;
	float alpha;
	double max_prio;		/* priority^alpha of new records */
	struct nn_sumtree *tree;	/* NULL: uniform */
	float *rec;			/* [capacity][width] */
};

int nn_replay_create(struct nn_replay **out, uint32_t capacity, uint32_t width,
		     float alpha)
{
	struct nn_replay *r;
	int rc;

	if (!out || capacity == 0 || width == 0 || !(alpha >= 0))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->capacity = capacity;
	r->width = width;
	r->alpha = alpha;
	r->max_prio = 1.0;
	r->rec = calloc((size_t)capacity * width, sizeof(float));
	if (!r->rec) {
		rc = -ENOMEM;
		goto err_r;
	}
	if (alpha > 0) {
		rc = nn_sumtree_create(&r->tree, capacity);
		if (rc)
			goto err_rec;
	}
	*out = r;
	return 0;
err_rec:
	free(r->rec);
err_r:
	free(r);
	return rc;
}

void nn_replay_free(struct nn_replay *r)
{
	if (!r)
		return;
	nn_sumtree_free(r->tree);
	free(r->rec);
	free(r);
}

uint32_t nn_replay_push(struct nn_replay *r, const float *rec)
{
	const uint32_t slot = r->next;

	memcpy(r->rec + (size_t)slot * r->width, rec, r->width * sizeof(float));
	if (r->tree)
		nn_sumtree_set(r->tree, slot, r->max_prio);
	r->next = slot + 1 == r->capacity ? 0 : slot + 1;
	if (r->count < r->capacity)
		r->count++;
	r->pushed++;
	return slot;
}

uint32_t nn_replay_count(const struct nn_replay *r)
{
	return r->count;
}

uint64_t nn_replay_pushed(const struct nn_replay *r)
{
	return r->pushed;
}

const float *nn_replay_get(const struct nn_replay *r, uint32_t i)
{
	return r->rec + (size_t)i * r->width;
}

int nn_replay_sample(struct nn_replay *r, struct nn_rng *rng, uint32_t n,
		     uint32_t *idx, float beta, float *weight)
{
	if (r->count == 0 || !idx)
		return -EINVAL;
	if (!r->tree) {
		for (uint32_t k = 0; k < n; k++)
			idx[k] = nn_rng_below(rng, r->count);
		return 0;
	}
	const double total = nn_sumtree_total(r->tree);
	const double seg = total / n;
	double wmax = 0;

	for (uint32_t k = 0; k < n; k++) {
		/* one draw per equal-mass stratum */
		double m = seg * (k + nn_rng_uniform(rng));

		idx[k] = nn_sumtree_find(r->tree, m < total ? m : 0);
		if (weight) {
			double p = nn_sumtree_get(r->tree, idx[k]) / total;

			weight[k] = (float)pow((double)r->count * p, -beta);
			if (weight[k] > wmax)
				wmax = weight[k];
		}
	}
	if (weight && wmax > 0)
		for (uint32_t k = 0; k < n; k++)
			weight[k] = (float)(weight[k] / wmax);
	return 0;
}

void nn_replay_gather(const struct nn_replay *r, const uint32_t *idx,
		      uint32_t n, uint32_t col, uint32_t ncols, float *out)
{
	for (uint32_t k = 0; k < n; k++)
		memcpy(out + (size_t)k * ncols,
		       r->rec + (size_t)idx[k] * r->width + col,
		       ncols * sizeof(float));
}

int nn_replay_update(struct nn_replay *r, const uint32_t *idx,
		     const float *err, uint32_t n, float eps)
{
	if (!r->tree)
		return -EINVAL;
	for (uint32_t k = 0; k < n; k++) {
		double p = pow(fabs((double)err[k]) + eps, r->alpha);

		if (idx[k] >= r->count)
			return -EINVAL;
		nn_sumtree_set(r->tree, idx[k], p);
		if (p > r->max_prio)
			r->max_prio = p;
	}
	return 0;
}
