/* SPDX-License-Identifier: MIT */
/*
 * The fast path's control socket (fp_msg.h), served by one thread off the
 * data path: table pushes (sealed memfd, mapped read-only, validated,
 * published with RCU), stats, records for the control plane. The thread
 * also releases old table versions once their grace period is over.
 */
#ifndef EDGESTEER_FP_CTL_H
#define EDGESTEER_FP_CTL_H

#include "fp_dp.h"

struct fp_ctl;

/* Listens on @path (replacing a stale socket file). 0 or -errno. */
int fp_ctl_start(struct fp_dp *dp, const char *path, struct fp_ctl **out);
void fp_ctl_stop(struct fp_ctl *c);

/* The release callback for tables mapped from a memfd (ctx: the mapped
 * length, which for a hugetlb memfd is more than len; NULL: len). */
void fp_ctl_unmap(void *ctx, const void *blob, size_t len);

#endif /* EDGESTEER_FP_CTL_H */
