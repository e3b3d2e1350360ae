/* SPDX-License-Identifier: MIT */
/*
 * The DPDK fast path (edgesteer-dp) as an edgesteerd stage (ctl_stage.h)
 * over dataplane/fp_client: prepare compiles the table into a sealed memfd
 * and checks it with the fast path's own validator and limits; commit
 * sends it. When the fast path is down or was restarted, the table in
 * force is sent again at the next epoch (ctl_dp_tick).
 */
#ifndef EDGESTEER_CTL_DP_H
#define EDGESTEER_CTL_DP_H

#include <stdint.h>

#include "ctl_stage.h"
#include "fp_msg.h"
#include "policy.h"

struct ctl_dp;

extern const struct ctl_stage_ops ctl_dp_stage;

/* Never fails for a fast path that is not up yet: it is tried each tick. */
int ctl_dp_open(const char *path, struct ctl_dp **out);
void ctl_dp_close(struct ctl_dp *d);

/*
 * Once an epoch: (re)connects, and sends @cur (with @server, as in
 * ctl_push) when the fast path's epoch is not @cur's (it restarted, or a
 * commit did not reach it). 1 when a table was sent, 0, or -errno.
 */
int ctl_dp_tick(struct ctl_dp *d, const struct es_policy *cur, const uint8_t *server);

/*
 * Per server of @cur, the bytes the fast path forwarded to it since the
 * last call (ctl_server_obs.bytes; queue_depth is not observed). Zeros
 * when it is not up.
 */
void ctl_dp_server_obs(struct ctl_dp *d, const struct es_policy *cur,
		       struct ctl_server_obs *obs);

/* The last stats read (tick); -ENOTCONN when the fast path is not up. */
int ctl_dp_stats(const struct ctl_dp *d, struct fp_msg_stats *out);

/*
 * Drains the fast path's OFFLOAD_REQ/TELEMETRY records and fills @obs (one
 * per device of @cur, same order) with what each device last reported
 * (ctl_seen: SNR, app, EARLY_EXIT_OK, the pending task's total_len), also
 * while the fast path is down. Returns the number of records read or -errno.
 */
int ctl_dp_observe(struct ctl_dp *d, const struct es_policy *cur,
		   struct ctl_device_obs *obs);

/*
 * The fast path's task-monitor records (cumulative), at most @max, into
 * @recs; *n gets how many. -ENOTCONN when it is not up.
 */
int ctl_dp_monitor(struct ctl_dp *d, struct fp_msg_mon_rec *recs, size_t max, size_t *n);

#endif /* EDGESTEER_CTL_DP_H */
