/* SPDX-License-Identifier: MIT */
/*
 * DDPQN online (`edgesteerd --policy ddpqn`): each epoch, the apps of the
 * devices that have a task open are the parallel tasks; the trained DQN
 * places their layers on the client and the table's edge and cloud
 * servers, with the servers' observed queue depths as load already there
 * (ddpqn_env_set_backlog); each app's placement is then written into the
 * table as target kind, server and split layer.
 *
 * The table holds one target per app, so a placement is projected: the
 * split is the first layer (in the graph's topological order) not on the
 * client, the target the server that runs most of the execution time from
 * there on; all on the client is a local target with split = layers.
 * The k-th edge (cloud) server of the table takes Table 3's k-th speed of
 * its kind (slowest first); servers past the 5th of a kind are not used.
 *
 * --policy-args, comma-separated key=value:
 *	model=alexnet|vgg19|googlenet|resnet101  the DNN every app runs
 *	weights=DIR	the trained weights (VARIANT-MODEL-TASKS.nnw; default
 *			the build's models/ddpqn), for 1, 5 and 10 tasks; the
 *			net trained nearest the epoch's task count decides
 *	variant=NAME	dqn ... ddpqn (default ddpqn)
 *	models_dir=DIR	the layer CSVs (default the build's models/dnn-layers)
 */
#ifndef EDGESTEER_DDPQN_ONLINE_H
#define EDGESTEER_DDPQN_ONLINE_H

#include "policy.h"

int ddpqn_online_create(void **state, const char *args);
int ddpqn_online_observe(void *state, const struct ctl_epoch_obs *obs);
int ddpqn_online_decide(void *state, const struct ctl_epoch_obs *obs,
			struct es_policy *next);
void ddpqn_online_destroy(void *state);

#endif /* EDGESTEER_DDPQN_ONLINE_H */
