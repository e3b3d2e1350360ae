/* SPDX-License-Identifier: MIT */
/*
 * The online DIL policy: each epoch it places every observed (device, app)
 * from the sample the daemon can observe (the device's reported SNR, the
 * edge server's load) over the application's sub-task profile read from a
 * JSON file. By default with one forward pass of the DIOS network (each
 * sub-task at its best-scored location that has a server); "decide": "dp"
 * selects the exact DP instead (the reference, O(9T) per decision).
 *
 * Profile file (e.g. models/dil/apps.json):
 *   { "dil_apps": 1,
 *     "decide": "dios",                             ("dios" or "dp")
 *     "weights": "dios_t6.nnw",                     (default dios_tT.nnw,
 *                                   relative to the profile's folder)
 *     "params": { "cloud_hz": 25e9, ... },          (optional overrides)
 *     "apps": [ { "app": 3, "work_cycles": [xi_1 .. xi_T],
 *                 "data_bytes": [d_01 .. d_T,T+1] } ] }
 * With "dios" every application has the network's T; a weights file that
 * does not fit refuses the profile.
 *
 * The sample of one device (docs/dil.md, "Online"): snr from snr_qdb; m =
 * N shared equally among the devices with an open task this epoch; n = M
 * minus the least-loaded edge server's queue depth; W the middle of its
 * range. A location with no server of its kind in the table is never chosen.
 * The table entry: target_kind = where the first sub-task that leaves the
 * device runs (ES_SERVER_ANY of that kind), split_layer = that sub-task's
 * index (T when everything stays local).
 */
#ifndef EDGESTEER_DIL_ONLINE_H
#define EDGESTEER_DIL_ONLINE_H

#include <stddef.h>

#include "policy.h"

struct dil_online;

/* Loads the profile at @path. Returns 0, -ENOENT/-EIO, -EINVAL (with @err
 * naming the file, JSON path and reason) or -ENOMEM. */
int dil_online_create(struct dil_online **out, const char *path, char *err,
		      size_t errlen);
void dil_online_destroy(struct dil_online *o);
/* As ctl_policy_ops.decide: 0 (@next filled, its devices and apps the
 * caller's), 1 when nothing changed (@next's arrays NULL), or -errno. */
int dil_online_decide(struct dil_online *o, const struct ctl_epoch_obs *obs,
		      struct es_policy *next);

#endif /* EDGESTEER_DIL_ONLINE_H */
