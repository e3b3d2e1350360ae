/* SPDX-License-Identifier: MIT */
/*
 * The Pre-DNNOff policy (seed 002) for edgesteerd and edgesteerctl. Online,
 * it keeps one precomputed answer per SNR bucket, early-exit flag and tier
 * set, so a decision is a table lookup; it re-solves when the edge load or
 * the accuracy distribution changes.
 *
 * create() args, comma-separated KEY=VALUE (all optional):
 *   models=DIR      model files (default: the source tree's models/prednnoff)
 *   apps=A:B:...    app ids run by this DNN (default: every app)
 *   snr_min_db=-40, snr_max_db=40, snr_step_db=1   the bucket grid
 *   queue_ref=32    edge queue depth that doubles edge layer times
 *   edge_mbps=M     an edge server's capacity in tensor Mbit/s: the bytes
 *                   the fast path forwards to the edge servers make their
 *                   utilisation, and layer times grow by 1/(1 - rho)
 *                   (default: not used; the daemon does not observe queues)
 */
#ifndef EDGESTEER_PREDNNOFF_H
#define EDGESTEER_PREDNNOFF_H

#include <stdint.h>

#include "policy.h"

extern const struct ctl_policy_ops prednnoff_policy;

struct prednnoff_answer {
	uint8_t target_kind;		/* enum esop_target_kind */
	uint8_t exit;			/* 0 = main exit */
	uint16_t split_layer;
};

/*
 * The answer for a device at @snr_qdb (0.25 dB), with or without early
 * exits, when edge (and cloud, @tiers 3) servers exist.
 */
int prednnoff_lookup(void *state, int16_t snr_qdb, int early_exit_ok, unsigned int tiers,
		     struct prednnoff_answer *a);
/* A new accuracy-requirement distribution; re-solves the tables. */
int prednnoff_set_demand(void *state, double ac_mean, double ac_sigma);
/* How many times the tables were solved (tests check re-solving). */
uint64_t prednnoff_solves(void *state);

#endif /* EDGESTEER_PREDNNOFF_H */
