/* SPDX-License-Identifier: MIT */
/*
 * The control plane's policy interface. A policy is a set of operations:
 * `eval` runs its offline evaluation for `edgesteerctl policy eval`, and
 * create / observe / decide / destroy run it online in edgesteerd's epoch
 * loop. A policy that has no online part leaves those NULL.
 */
#ifndef EDGESTEER_CTL_POLICY_H
#define EDGESTEER_CTL_POLICY_H

#include <stdint.h>
#include <stdio.h>

#include "es_policy.h"

/* What edgesteerd saw of one device during the last epoch. */
struct ctl_device_obs {
	uint32_t id;
	uint16_t app_id;		/* of the last OFFLOAD_REQ */
	int16_t snr_qdb;		/* last reported uplink SNR, 0.25 dB */
	uint8_t early_exit_ok;
	uint8_t reported;		/* app_id, snr_qdb, early_exit_ok are known */
	uint8_t pad[2];
	uint32_t pending_bytes;		/* total_len of its open task, 0 = none */
	uint64_t bytes;			/* uplink bytes this epoch */
	uint64_t packets;
};

/* What edgesteerd saw of one server during the last epoch. */
struct ctl_server_obs {
	uint64_t bytes;			/* forwarded to it this epoch */
	uint32_t queue_depth;
	uint32_t latency_us;		/* measured task latency, 0 = unknown */
};

struct ctl_epoch_obs {
	uint64_t epoch;
	uint32_t period_ms;
	uint32_t ndevices;
	const struct ctl_device_obs *devices;
	const struct es_policy *in_force;	/* servers, devices, apps */
	const struct ctl_server_obs *servers;	/* in_force->nservers entries */
	/*
	 * Nonzero: edgesteerd's drift detector fired this epoch (the measured
	 * task latency of the table in force left the predicted one for longer
	 * than its hold time): re-solve from servers[].latency_us.
	 */
	uint32_t drift;
};

struct ctl_policy_ops {
	const char *name;
	const char *summary;		/* one line for `policy list` */
	/*
	 * `edgesteerctl policy eval --policy NAME ARGS...`: argv[0] is the
	 * policy name. Writes its report to @out (JSON with --json), errors
	 * to stderr. Returns a process exit status.
	 */
	int (*eval)(int argc, char **argv, FILE *out);
	/* Online: @args is the daemon's --policy-args string (may be NULL). */
	int (*create)(void **state, const char *args);
	int (*observe)(void *state, const struct ctl_epoch_obs *obs);
	/*
	 * Fills @next (devices/apps allocated by the policy with malloc, owned
	 * by the caller afterwards) with the table it wants in force. Returns
	 * 0, 1 when nothing changed, or -errno.
	 */
	int (*decide)(void *state, const struct ctl_epoch_obs *obs,
		      struct es_policy *next);
	void (*destroy)(void *state);
};

/* The registry: every policy the binary was built with. */
const struct ctl_policy_ops *const *ctl_policies(void);
const struct ctl_policy_ops *ctl_policy_find(const char *name);

#endif /* EDGESTEER_CTL_POLICY_H */
