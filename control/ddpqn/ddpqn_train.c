/* SPDX-License-Identifier: MIT */
#include "ddpqn_train.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void ddpqn_weights_path(char *buf, unsigned len, const char *dir,
			const char *variant, const char *model, unsigned tasks)
{
	snprintf(buf, len, "%s/%s-%s-%u.nnw", dir, variant, model, tasks);
}

int ddpqn_variant_run(struct ddpqn_env *env, const char *model,
		      const char *variant, const struct ddpqn_train_opts *o,
		      struct ddpqn_variant_result *res,
		      struct ddpqn_dqn_epoch *curve)
{
	unsigned steps = ddpqn_env_ntasks(env) * ddpqn_env_nlayers(env);
	struct ddpqn_dqn_config c;
	struct ddpqn_dqn *d;
	struct ddpqn_agent ag;
	char path[512];
	double t0, best = INFINITY;
	int rc;

	*res = (struct ddpqn_variant_result){ 0 };
	rc = ddpqn_dqn_variant(variant, &c);
	if (rc)
		return rc;
	if (o->episodes)
		c.episodes = o->episodes;
	c.seed = o->seed;
	/*
	 * The budget spreads its updates over every episode: one minibatch
	 * every train_every steps, so deep models at 10 tasks (1690 steps an
	 * episode) still see all their episodes.
	 */
	if (o->updates) {
		uint64_t all = (uint64_t)c.episodes * steps;

		c.train_every = (unsigned)((all + o->updates - 1) / o->updates);
		if (!c.train_every)
			c.train_every = 1;
	}
	res->train_every = c.train_every;
	rc = ddpqn_dqn_create(&c, &d);
	if (rc)
		return rc;
	if (o->weights_dir)
		ddpqn_weights_path(path, sizeof(path), o->weights_dir, variant, model,
				   ddpqn_env_ntasks(env));
	if (o->weights_dir && o->load && access(path, R_OK) == 0) {
		rc = ddpqn_dqn_load(d, path);
		if (rc || (o->quantized && (rc = ddpqn_dqn_quantize(d))))
			goto out;
		res->loaded = 1;
	} else {
		t0 = now_s();
		rc = ddpqn_dqn_train(d, env, 0, curve, &res->episodes);
		res->train_s = now_s() - t0;
		if (rc)
			goto out;
		res->updates = ddpqn_dqn_updates(d);
		/* quantised before a save, so the file records it */
		if (o->quantized && (rc = ddpqn_dqn_quantize(d)))
			goto out;
		if (o->weights_dir && o->save) {
			int s = ddpqn_dqn_save(d, path);

			res->saved = s ? s : 1;
		}
	}
	ddpqn_dqn_agent(d, 0, &ag);
	if (o->quantized &&
	    ((rc = ddpqn_dqn_use_quantized(d, 0)) ||
	     (rc = ddpqn_rollout(env, &ag, NULL, &res->t_float))))
		goto out;
	/* without --quantized a loaded int8 file still runs float */
	if ((rc = ddpqn_dqn_use_quantized(d, o->quantized)) ||
	    (rc = ddpqn_rollout(env, &ag, NULL, &res->t)))
		goto out;
	/*
	 * A decision's time: the best of 5 greedy rollouts, per step; with
	 * the int8 copy too, the two alternating which goes first.
	 */
	double best_f = INFINITY;

	for (int k = 0; k < 5; k++)
		for (int m = 0; m < (o->quantized ? 2 : 1); m++) {
			const int quant = o->quantized && (m ^ (k & 1));
			double *b = quant || !o->quantized ? &best : &best_f;

			rc = ddpqn_dqn_use_quantized(d, quant);
			t0 = now_s();
			if (!rc)
				rc = ddpqn_rollout(env, &ag, NULL, NULL);
			if (rc)
				goto out;
			t0 = now_s() - t0;
			if (t0 < *b)
				*b = t0;
		}
	res->us_per_decision = best * 1e6 / steps;
	res->us_per_decision_float = o->quantized ? best_f * 1e6 / steps : NAN;
out:
	ddpqn_dqn_destroy(d);
	return rc;
}
