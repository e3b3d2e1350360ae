/* SPDX-License-Identifier: MIT */
/*
 * nn_replay: experience replay memories of fixed-width float records.
 *
 * A ring of @capacity records of @width floats; once full, each push
 * overwrites the oldest. Sampling is uniform with replacement, or, for a
 * memory created with alpha > 0, prioritised (Schaul et al.): record i is
 * drawn with probability p_i^alpha / sum p^alpha through a sum tree, and
 * the caller gets importance weights (N·P(i))^-beta / max to correct the
 * bias. New records enter with the highest priority seen so far.
 *
 * Samples are indices; nn_replay_gather copies chosen columns of the
 * sampled records into a contiguous batch (e.g. inputs, then targets).
 */
#ifndef EDGESTEER_NN_REPLAY_H
#define EDGESTEER_NN_REPLAY_H

#include <stdint.h>

#include "nn_rng.h"

struct nn_replay;

/* alpha = 0: uniform; alpha > 0: prioritised. -EINVAL, -ENOMEM. */
int nn_replay_create(struct nn_replay **out, uint32_t capacity, uint32_t width,
		     float alpha);
void nn_replay_free(struct nn_replay *r);

/* Append one record of width floats; returns the slot it went to. */
uint32_t nn_replay_push(struct nn_replay *r, const float *rec);
/* Records stored (≤ capacity) and pushes ever made. */
uint32_t nn_replay_count(const struct nn_replay *r);
uint64_t nn_replay_pushed(const struct nn_replay *r);
/* Record in slot @i (< count). */
const float *nn_replay_get(const struct nn_replay *r, uint32_t i);

/*
 * @n slot indices into @idx. Uniform memories ignore @beta and @weight;
 * prioritised ones use stratified sampling and, if @weight is not NULL,
 * write the normalised importance weights for @beta there.
 * Returns 0 or -EINVAL (empty memory).
 */
int nn_replay_sample(struct nn_replay *r, struct nn_rng *rng, uint32_t n,
		     uint32_t *idx, float beta, float *weight);
/* Copy columns [col, col + ncols) of the records @idx[0..n) into @out. */
void nn_replay_gather(const struct nn_replay *r, const uint32_t *idx,
		      uint32_t n, uint32_t col, uint32_t ncols, float *out);
/*
 * Prioritised memories: set the priority of slots @idx from the absolute
 * errors @err as (|err| + eps)^alpha. -EINVAL on a uniform memory.
 */
int nn_replay_update(struct nn_replay *r, const uint32_t *idx,
		     const float *err, uint32_t n, float eps);

/*
 * The sum tree on its own: leaves hold non-negative masses, the root their
 * sum; find returns the leaf whose cumulative range holds @mass.
 */
struct nn_sumtree;

int nn_sumtree_create(struct nn_sumtree **out, uint32_t leaves);
void nn_sumtree_free(struct nn_sumtree *t);
void nn_sumtree_set(struct nn_sumtree *t, uint32_t leaf, double mass);
double nn_sumtree_get(const struct nn_sumtree *t, uint32_t leaf);
double nn_sumtree_total(const struct nn_sumtree *t);
/* Leaf i with sum(leaves < i) <= mass < sum(leaves <= i), clamped to a
 * non-empty leaf; @mass in [0, total). */
uint32_t nn_sumtree_find(const struct nn_sumtree *t, double mass);

#endif /* EDGESTEER_NN_REPLAY_H */
