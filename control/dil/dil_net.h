/* SPDX-License-Identifier: MIT */
/*
 * The seed's imitation networks on the learning core (control/learn):
 * DIOS (the deep multi-label network) and SOS (the same with one hidden
 * layer). A network maps a sample's features (dil_encode.h) to 3T sigmoid
 * outputs, one per (sub-task, location), trained on optimal demonstrations
 * with binary cross-entropy and Adam, and decoded by the arg max of each
 * sub-task's three outputs, or by the DP-repaired decoder (the cheapest
 * chain among the locations whose output is within a margin of the best).
 *
 * Weights are nn_file files (magic, version, shapes, checksum); a file
 * whose shapes differ from the configuration (another T, feature set or
 * layer sizes) is refused and changes nothing.
 */
#ifndef EDGESTEER_DIL_NET_H
#define EDGESTEER_DIL_NET_H

#include <stdint.h>

#include "dil_encode.h"
#include "dil_env.h"
#include "dil_eval.h"
#include "dil_set.h"
#include "nn.h"

#define DIL_NET_MAX_HIDDEN 4u

struct dil_net_config {
	uint32_t tasks;
	enum dil_features features;	/* dil_encode.h */
	uint32_t nhidden;		/* ReLU hidden layers, 1..4 */
	uint32_t hidden[DIL_NET_MAX_HIDDEN];
	uint32_t epochs;		/* passes over the demonstrations */
	uint32_t batch;
	struct nn_adam adam;		/* lr is the first epoch's */
	float lr_final;			/* lr decays geometrically to this */
	uint64_t seed;			/* initial weights and shuffles */
};

/* DIOS: the deep network (docs/dil.md, "DIOS" gives the choices). */
void dil_net_config_dios(struct dil_net_config *c, uint32_t tasks);
/* SOS: the seed's shallow scheme, one hidden layer, same training. */
void dil_net_config_sos(struct dil_net_config *c, uint32_t tasks);

struct dil_net;

/* Returns 0, -EINVAL (bad configuration) or -ENOMEM. */
int dil_net_create(struct dil_net **out, const struct dil_net_config *c);
void dil_net_free(struct dil_net *n);
const struct dil_net_config *dil_net_config(const struct dil_net *n);

/* Called after every epoch (may be NULL). */
typedef void dil_net_progress_fn(void *arg, uint32_t epoch, uint32_t epochs,
				 double loss);

/*
 * Trains on every demonstration of @set (T must match) for the configured
 * epochs, from fresh weights. *@loss (if not NULL) gets the last epoch's
 * mean loss. Returns 0, -EINVAL (T differs) or -ENOMEM.
 */
int dil_net_train(struct dil_net *n, const struct dil_set *set,
		  dil_net_progress_fn *progress, void *arg, double *loss);

/* The 3T outputs for sample @s (one forward pass); valid until the next
 * call. Returns 0 or -EINVAL (T differs). */
int dil_net_scores(struct dil_net *n, const struct dil_params *p,
		   const struct dil_sample *s, const float **y);

/*
 * int8 inference (nn_quant.h): dil_net_quantize makes (or refreshes) an
 * int8 copy of the network, which dil_net_train refreshes too;
 * dil_net_use_quantized picks which one dil_net_scores runs (-EINVAL: not
 * quantised yet). Training stays in float.
 */
int dil_net_quantize(struct dil_net *n);
int dil_net_use_quantized(struct dil_net *n, int on);

/* nn_file; load returns -EDOM when the file's shapes are not this net's,
 * -EBADMSG when corrupt, -EILSEQ for a bad int8 section (nn_file_strerror
 * names them). Save records the int8 quantisation when there is one;
 * loading such a file quantises and turns quantised scores on. */
int dil_net_save(struct dil_net *n, const char *path);
int dil_net_load(struct dil_net *n, const char *path);

/*
 * A scheme over @n (not owned: free it after the scheme). @margin < 0:
 * arg max decoder; >= 0: DP-repaired decoder with that margin.
 */
int dil_scheme_net(struct dil_net *n, const char *name, float margin,
		   struct dil_scheme *out);
/* The same on the float (@quant 0) or int8 (1) network, whatever
 * dil_net_use_quantized says; -EINVAL for int8 before dil_net_quantize. */
int dil_scheme_net_mode(struct dil_net *n, const char *name, float margin,
			int quant, struct dil_scheme *out);

#endif /* EDGESTEER_DIL_NET_H */
