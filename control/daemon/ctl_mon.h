/* SPDX-License-Identifier: MIT */
/*
 * edgesteerd's view of the fast path's task monitor (dataplane/fp_mon.h):
 * once an epoch it takes the cumulative records, keeps exponentially
 * weighted latency estimates with counts per server and per (app, layer),
 * fills ctl_server_obs.latency_us / queue_depth for the policies, and
 * watches for drift: the measured mean task latency of the decisions in
 * force departing from the predicted one (each server's estimate when the
 * decisions were made, weighted by where this epoch's tasks went) by more
 * than a margin for longer than a hold time (docs/ddlro.md).
 */
#ifndef EDGESTEER_CTL_MON_H
#define EDGESTEER_CTL_MON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fp_msg.h"
#include "policy.h"

struct ctl_mon_cfg {
	double alpha;		/* weight of an epoch's mean in the estimate, 0 = 0.5 */
	uint32_t margin_pct;	/* drift: off the prediction by more than this, 0 = 50 */
	uint32_t hold_ms;	/* ... for at least this long, 0 = 300 */
	uint32_t floor_us;	/* ... and by more than this (noise), 0 = 1000 */
	uint32_t min_tasks;	/* epochs with fewer tasks are not judged, 0 = 5 */
	uint32_t stale_ms;	/* a server with no task for this long is forgotten
				 * (latency_us 0: unknown), 0 = 5000 */
	FILE *log;		/* one JSON line per epoch, or NULL */
};

struct ctl_mon;

int ctl_mon_create(const struct ctl_mon_cfg *cfg, struct ctl_mon **out);
void ctl_mon_free(struct ctl_mon *m);

/*
 * One epoch of @period_ms under table @cur: the fast path's records now (@n
 * of them, all of them; n = 0 when it could not be read: nothing is
 * judged). Fills @obs[0..cur->nservers-1].latency_us (the estimate, 0 =
 * never measured) and queue_depth (tasks open now). Returns 1 when drift
 * has held for the hold time, with @why saying what was measured against
 * what; 2 when it held but every server with tasks departed alike (the AP
 * or the bed stalled, not a server: nothing to re-solve, the predictions
 * stay; after 5 such verdicts with no calm epoch between, the new level
 * becomes the prediction; @why says so too); else 0.
 */
int ctl_mon_epoch(struct ctl_mon *m, const struct fp_msg_mon_rec *recs, size_t n,
		  uint32_t period_ms, const struct es_policy *cur,
		  struct ctl_server_obs *obs, char *why, size_t why_len);

/* The estimates now become the prediction: after a re-solve (drift or not). */
void ctl_mon_rebase(struct ctl_mon *m);

/* Writes `"monitor": { ... }` (no trailing comma) for `edgesteerctl stats`. */
void ctl_mon_write_json(const struct ctl_mon *m, const struct es_policy *cur, FILE *f);

#endif /* EDGESTEER_CTL_MON_H */
