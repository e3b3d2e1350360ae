/* SPDX-License-Identifier: MIT */
/*
 * ddlo: Distributed Deep Learning-based Offloading (Huang et al., 2018;
 * seed 001). K DNNs of shape [N·M, 120, 80, N·M] (ReLU, ReLU, sigmoid)
 * each turn the task sizes into a binary offloading decision (output >
 * 0.5 = offload); the decision of lowest utility Q is taken and stored,
 * with its input, in one replay memory shared by all K, from which each
 * DNN trains on its own random batch (binary cross-entropy, Adam).
 */
#ifndef EDGESTEER_DDLO_H
#define EDGESTEER_DDLO_H

#include <stdint.h>

#include "ddlo_mec.h"
#include "nn.h"

#define DDLO_MAX_K	32u

struct ddlo_config {
	uint32_t n_in;		/* N·M */
	uint32_t k;		/* DNNs, 1..DDLO_MAX_K */
	uint32_t hidden1, hidden2;
	uint32_t memory;	/* replay entries */
	uint32_t batch;		/* per DNN per training step */
	uint32_t train_every;	/* frames between training steps */
	uint32_t train_start;	/* entries stored before the first */
	float in_scale, in_shift;	/* DNN input = size_mb·scale + shift */
	float init_sd;		/* weights ~ N(0, sd²), biases 0 */
	struct nn_adam adam;
	uint64_t seed;
};

/* The reference's settings (see docs/ddlo.md for each). */
void ddlo_config_default(struct ddlo_config *c, uint32_t n_in, uint32_t k);

struct ddlo;

int ddlo_create(struct ddlo **out, const struct ddlo_config *c);
void ddlo_free(struct ddlo *d);

/* The K candidate decisions for @size_mb: cand[k·n_in + j] ∈ {0, 1}. */
int ddlo_propose(struct ddlo *d, const float *size_mb, uint8_t *cand);

/*
 * Proposes, scores every candidate by Q under @bw, writes the best into
 * @x (n_in bytes) and its Q into *@q. Returns the winning DNN's index or
 * -errno. No allocation.
 */
int ddlo_decide(struct ddlo *d, const struct ddlo_mec *mec, enum ddlo_bw bw,
		const float *size_mb, uint8_t *x, double *q);

/*
 * Stores (@size_mb, @x) and, on the schedule, trains every DNN once.
 * Returns 1 when it trained, 0 when not, or -errno.
 */
int ddlo_learn(struct ddlo *d, const float *size_mb, const uint8_t *x);

/*
 * int8 inference (nn_quant.h): ddlo_quantize makes (or refreshes) an int8
 * copy of each DNN, which every later training step refreshes too;
 * ddlo_use_quantized then picks which copies ddlo_propose/ddlo_decide
 * run (-EINVAL: not quantised yet). Training stays in float.
 */
int ddlo_quantize(struct ddlo *d);
int ddlo_use_quantized(struct ddlo *d, int on);

/*
 * The K DNNs' weights (nn_file format); load refuses other shapes / K.
 * Save records the int8 quantisation when there is one; loading such a
 * file quantises and turns quantised decisions on.
 */
int ddlo_save(struct ddlo *d, const char *path);
int ddlo_load(struct ddlo *d, const char *path);

#endif /* EDGESTEER_DDLO_H */
