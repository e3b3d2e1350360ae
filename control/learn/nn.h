/* SPDX-License-Identifier: MIT */
/*
 * nn: a small multilayer perceptron in plain C, the learning core shared by
 * every learned policy (DDLO, DIL, DDPQN).
 *
 * A network is a chain of dense layers, each y = act(x·W + b) with
 * act ∈ {linear, ReLU, sigmoid}. All parameters live in one flat float
 * vector (per layer: W as [in][out], then b), and so do their gradients:
 * Adam, weight files and target-network copies are single loops over it.
 *
 * Use:
 *	nn_create(&net, 3, (uint32_t[]){9, 120, 80, 9},
 *		  (enum nn_act[]){NN_ACT_RELU, NN_ACT_RELU, NN_ACT_SIGMOID}, 128);
 *	nn_init(net, &rng, 0);				   // He/Glorot
 *	nn_forward(net, x, batch, &y);			   // inference
 *	nn_train(net, x, t, batch, NN_LOSS_BCE, &adam, &loss); // one Adam step
 * or, for a custom loss: nn_forward, nn_backward_dy (dL/dy), nn_adam_step.
 *
 * Inputs and outputs are row-major [batch][width]. A network is not
 * thread-safe; use one per thread. No call allocates after nn_create.
 * Built with OpenBLAS, batches of 16 rows or more go through sgemm (set to
 * one thread by nn_create, so seeded runs replay exactly); single rows
 * stay in plain C loops, which are faster there.
 */
#ifndef EDGESTEER_NN_H
#define EDGESTEER_NN_H

#include <stddef.h>
#include <stdint.h>

#include "nn_rng.h"

#define NN_MAX_LAYERS	16u
#define NN_MAX_WIDTH	65536u

enum nn_act {
	NN_ACT_LINEAR = 0,
	NN_ACT_RELU = 1,
	NN_ACT_SIGMOID = 2,
};

enum nn_loss {
	/* mean over batch and outputs of (y - t)^2 */
	NN_LOSS_MSE = 0,
	/*
	 * mean binary cross-entropy; needs a sigmoid output layer and is
	 * computed from its logits, so it stays finite when saturated.
	 */
	NN_LOSS_BCE = 1,
	/*
	 * mean over rows of the cross-entropy between the target distribution
	 * of each row and the softmax of a linear output layer (its outputs
	 * are logits; the classifier of imitation learning)
	 */
	NN_LOSS_SOFTMAX_CE = 2,
};

/* Adam (Kingma & Ba), with bias correction; all four knobs explicit. */
struct nn_adam {
	float lr;
	float beta1;
	float beta2;
	float eps;
};

struct nn;

/*
 * @nlayers dense layers; @sizes has nlayers + 1 widths (input first);
 * @acts one activation per layer; @max_batch bounds every later batch.
 * Returns 0, -EINVAL (bad shape) or -ENOMEM.
 */
int nn_create(struct nn **out, uint32_t nlayers, const uint32_t *sizes,
	      const enum nn_act *acts, uint32_t max_batch);
void nn_free(struct nn *net);

/*
 * Weights ~ N(0, stddev^2) when stddev > 0, else He-normal (ReLU layers,
 * sqrt(2/fan_in)) or Glorot-normal (others, sqrt(1/fan_in)); biases 0.
 * Also resets the Adam state.
 */
void nn_init(struct nn *net, struct nn_rng *rng, float stddev);

/*
 * Forward pass of @batch rows of @x. *@y points into the network (valid
 * until the next forward). @x must stay unchanged until the backward pass
 * that follows, if any. Returns 0 or -EINVAL (batch 0 or > max_batch).
 */
int nn_forward(struct nn *net, const float *x, uint32_t batch, const float **y);

/*
 * Gradients of @loss against targets @t ([batch][outputs]) for the last
 * forward pass, written (not added) to nn_grads(). @weight, if not NULL,
 * weighs each row (importance sampling). *@loss_out gets the loss value.
 * Returns 0 or -EINVAL (BCE without a sigmoid output, softmax without a
 * linear one, no forward pass).
 */
int nn_backward(struct nn *net, const float *t, const float *weight,
		enum nn_loss loss, float *loss_out);
/* The same from a caller's dL/dy ([batch][outputs]), for custom losses. */
int nn_backward_dy(struct nn *net, const float *dy);

/*
 * Scales the gradients down so their global L2 norm is at most @max_norm
 * (a no-op below it); returns the norm before scaling.
 */
float nn_clip_grad_norm(struct nn *net, float max_norm);

/* One Adam update of the parameters from the current gradients. */
void nn_adam_step(struct nn *net, const struct nn_adam *adam);

/* nn_forward + nn_backward + nn_adam_step. */
int nn_train(struct nn *net, const float *x, const float *t, uint32_t batch,
	     enum nn_loss loss, const struct nn_adam *adam, float *loss_out);

/* The flat parameter and gradient vectors (for checks, copies, files). */
float *nn_params(struct nn *net, size_t *count);
const float *nn_grads(const struct nn *net, size_t *count);
/* dst's parameters := src's (a target network). -EINVAL if shapes differ. */
int nn_copy_params(struct nn *dst, const struct nn *src);
/* dst := (1 − tau)·dst + tau·src (Polyak averaging). -EINVAL likewise. */
int nn_soft_update(struct nn *dst, const struct nn *src, float tau);

/* Shape. sizes/acts may be NULL; they get nlayers + 1 / nlayers entries. */
uint32_t nn_shape(const struct nn *net, uint32_t *sizes, enum nn_act *acts);
uint32_t nn_inputs(const struct nn *net);
uint32_t nn_outputs(const struct nn *net);

#endif /* EDGESTEER_NN_H */
