/* SPDX-License-Identifier: MIT */
/*
 * One DQN variant on one environment, for the offline report and the
 * benchmark: load its weights (DIR/VARIANT-MODEL-TASKS.nnw) when present
 * and allowed, else train it under an update budget (and save if asked);
 * then score a greedy rollout and time its decisions.
 */
#ifndef EDGESTEER_DDPQN_TRAIN_H
#define EDGESTEER_DDPQN_TRAIN_H

#include <stdint.h>

#include "ddpqn_dqn.h"

/* Where the build's layer CSVs and trained weights are (meson sets both). */
#ifndef DDPQN_MODELS_DIR
#define DDPQN_MODELS_DIR "models/dnn-layers"
#endif
#ifndef DDPQN_WEIGHTS_DIR
#define DDPQN_WEIGHTS_DIR "models/ddpqn"
#endif

struct ddpqn_train_opts {
	unsigned episodes;		/* 0: the variant's (300) */
	uint64_t updates;		/* budget of minibatch updates, 0 = none */
	const char *weights_dir;	/* NULL: never load or save */
	int load, save;
	uint64_t seed;
	/* also score and time an int8 copy of the network (nn_quant.h) */
	int quantized;
};

struct ddpqn_variant_result {
	struct ddpqn_totals t;		/* greedy rollout of the final weights */
	double train_s;			/* 0 when loaded */
	double us_per_decision;		/* observe + forward + argmax + step */
	/* quantized: t and us_per_decision are the int8 copy's, these the
	 * float network's (same rollouts, timed interleaved) */
	struct ddpqn_totals t_float;
	double us_per_decision_float;
	unsigned episodes, train_every;
	uint64_t updates;
	int loaded, saved;		/* saved: 0, 1 or -errno */
};

/*
 * @curve (episodes entries, may be NULL) gets the training curve when it
 * trains. @model names the weights file. Returns 0 or -errno; a weights
 * file that exists but does not load is an error (-EBADMSG, -EDOM...).
 */
int ddpqn_variant_run(struct ddpqn_env *env, const char *model,
		      const char *variant, const struct ddpqn_train_opts *o,
		      struct ddpqn_variant_result *res,
		      struct ddpqn_dqn_epoch *curve);

/* DIR/VARIANT-MODEL-TASKS.nnw into @buf. */
void ddpqn_weights_path(char *buf, unsigned len, const char *dir,
			const char *variant, const char *model, unsigned tasks);

#endif /* EDGESTEER_DDPQN_TRAIN_H */
