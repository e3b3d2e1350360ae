/* SPDX-License-Identifier: MIT */
/*
 * ctl_seen: what each device last told the AP, kept across epochs. The fast
 * path hands over a record per OFFLOAD_REQ/TELEMETRY; a device need not send
 * one every epoch, so the policies' observations (SNR, app, EARLY_EXIT_OK,
 * the pending task's size) come from here, not from the epoch's records
 * alone. SNR, app and flag are the last reported; a task's size counts as
 * pending for CTL_SEEN_PENDING_NS after its OFFLOAD_REQ (a device that
 * stops asking has nothing pending after that).
 */
#ifndef EDGESTEER_CTL_SEEN_H
#define EDGESTEER_CTL_SEEN_H

#include <stdint.h>

#include "es_policy.h"
#include "fp_msg.h"
#include "policy.h"

/* 2 s: a device (or its simulator) kept off the CPU for a second still counts */
#define CTL_SEEN_PENDING_NS	2000000000ull

struct ctl_seen;

int ctl_seen_create(struct ctl_seen **out);
void ctl_seen_free(struct ctl_seen *s);

/* Keeps what @r reports of its device at @now_ns; 0 or -ENOMEM. */
int ctl_seen_record(struct ctl_seen *s, const struct fp_msg_telem_rec *r, uint64_t now_ns);

/*
 * Fills snr_qdb, app_id, early_exit_ok, pending_bytes and reported of
 * @obs (one per device of @cur, same order) for every device of @cur that
 * has reported.
 */
void ctl_seen_fill(const struct ctl_seen *s, const struct es_policy *cur,
		   struct ctl_device_obs *obs, uint64_t now_ns);

#endif /* EDGESTEER_CTL_SEEN_H */
