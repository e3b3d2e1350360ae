/* SPDX-License-Identifier: MIT */
/*
 * The DDLO policy as the control plane sees it: `ddlo_policy` (registered
 * in control/policy_registry.c) with its offline evaluation and its online
 * operations.
 *
 * Online, N·M device slots (default 3×3, the trained shape) are filled by
 * devices in order of arrival and keep their slot while they are seen;
 * slot i·M + j is task j of "WD" i. Each epoch a device's input is its
 * pending task size (pending_bytes, in MB); the decision sets its app's
 * target (edge or local) and, for offloaders, rate_kbps from the WD's
 * bandwidth share, split over its offloaded tasks by size.
 *
 * --policy-args: comma-separated key=value:
 *	weights=PATH	  load the K DNNs from PATH (refused if they do not fit)
 *	save=PATH	  save them there on destroy
 *	k=K wds=N tasks=M seed=S capacity_mbps=C bandwidth=equal|optimal
 *	learn=0|1	  keep training online on its own decisions (default 1)
 *	quantized=0|1	  decide with int8 copies of the DNNs (nn_quant.h; they
 *			  follow every training step) or float; default: as
 *			  the weights file records (float without one)
 *	unit_bytes=B	  bytes per model MB (default 2^20). The trained
 *			  weights know tasks of 10..30 MB; a test bed with
 *			  small tasks maps them into that range with, e.g.,
 *			  unit_bytes=1024, and every rate then scales alike
 *			  (C = 12.5 units/s·B).
 */
#ifndef EDGESTEER_DDLO_POLICY_H
#define EDGESTEER_DDLO_POLICY_H

#include <stdio.h>

#include "policy.h"

extern const struct ctl_policy_ops ddlo_policy;

/* The eval op (ddlo_eval.c). */
int ddlo_eval(int argc, char **argv, FILE *out);
/* Error text for a return code of ddlo_load/ddlo_save. */
const char *ddlo_strerror(int rc);

#endif /* EDGESTEER_DDLO_POLICY_H */
