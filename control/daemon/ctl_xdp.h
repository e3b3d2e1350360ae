/* SPDX-License-Identifier: MIT */
/*
 * The XDP classifier as an edgesteerd stage (ctl_stage.h) over ebpf/xdpc:
 * attach or re-adopt the pinned program, whole tables through xdpc's
 * prepare/commit/abort, deltas through xdpc_push_delta, and the counters
 * the epoch loop observes.
 */
#ifndef EDGESTEER_CTL_XDP_H
#define EDGESTEER_CTL_XDP_H

#include <stdint.h>
#include <linux/types.h>

#include "ctl_stage.h"
#include "es_abi.h"
#include "policy.h"

struct ctl_xdp;

struct ctl_xdp_cfg {
	const char *ifname;
	const char *pin_dir;		/* NULL: XDPC_PIN_DIR */
	int skb;			/* generic mode instead of native */
	uint32_t max_devices;		/* 0 with afxdp: the compiled one */
	/*
	 * edgesteer-dp's net_af_xdp loads and attaches the program
	 * (xdp_prog=): create or take over its maps pinned by name, wait up
	 * to wait_ms for the program and adopt it (pin_dir and skb unused)
	 */
	int afxdp;
	int wait_ms;
};

extern const struct ctl_stage_ops ctl_xdp_stage;

/*
 * Re-adopts what a previous daemon left pinned and attached on the
 * interface, or loads, attaches and pins a fresh program. *@adopted says
 * which, *@mode the mode the kernel gave. 0 or -errno with @why filled.
 */
int ctl_xdp_open(const struct ctl_xdp_cfg *cfg, struct ctl_xdp **out, int *adopted,
		 const char **mode, char *why, size_t why_len);

/* Leaves the program attached and pinned (fail-static) unless @detach. */
void ctl_xdp_close(struct ctl_xdp *x, int detach);

/* The device limit of the maps (with afxdp: the compiled one). */
uint32_t ctl_xdp_max_devices(struct ctl_xdp *x);

/* The epoch of the table the attached program judges by. */
int ctl_xdp_epoch(struct ctl_xdp *x, uint64_t *epoch);
int ctl_xdp_stats(struct ctl_xdp *x, struct es_xdp_stats *out);

/*
 * Fills @obs[i] (i < in_force->ndevices, id set by the caller or here)
 * with each device's packets and bytes since the last call, from its
 * meter. Tables over @max devices are not read (a million map lookups
 * every epoch would cost more than the epoch): returns -E2BIG.
 */
int ctl_xdp_observe(struct ctl_xdp *x, const struct es_policy *in_force,
		    struct ctl_device_obs *obs, uint32_t max);

#endif /* EDGESTEER_CTL_XDP_H */
