/* SPDX-License-Identifier: MIT */
/*
 * The fast path's data path: per-lcore workers that poll one RX queue, judge
 * every frame with the shared parser against the table in force, meter,
 * place, rewrite and transmit (docs/fastpath.md). Tables are published with
 * RCU (rte_rcu_qsbr): a worker reads the table pointer once per burst, so
 * every frame is judged by exactly one version; an old version is released
 * once every worker has passed a quiescent state after the swap.
 *
 * Ports are configured and started by the caller (edgesteer-dp's main, or a
 * test); workers only use them.
 */
#ifndef EDGESTEER_FP_DP_H
#define EDGESTEER_FP_DP_H

#include <stddef.h>
#include <stdint.h>

#include "fp_msg.h"
#include "fp_table.h"
#include "fp_view.h"

#define FP_BURST_MAX	32
#define FP_MAX_PORTS	16
#define FP_MAX_WORKERS	64

struct fp_dp_cfg {
	uint16_t nports;	/* ports 0..nports-1, configured by the caller */
	uint16_t ap_port;	/* RETURNs leave here (DECISIONs by their RX port) */
	uint16_t esop_port;	/* UDP port of ESOP, 0 = 7447 */
	uint16_t burst;		/* RX burst, 1..FP_BURST_MAX; 0 = 32 */
	uint32_t max_devices;	/* table limit and meter store, 0 = 1,000,000 */
	uint32_t addr_slots;	/* device address table (power of 2), 0 = 65536 */
	uint32_t ctl_ring;	/* records queued for the control plane, 0 = 4096 */
	uint32_t nworkers;	/* 1..FP_MAX_WORKERS */
	/*
	 * fp_dp_run: worker 0 also polls RX queue 0 of every port but port 0
	 * (RESULTs coming back from the servers). Off for callers whose
	 * server ports are sinks.
	 */
	uint8_t poll_servers;
	/* a device's source binding idle this long moves, 0 = 60 s (fp_bind.h) */
	uint32_t bind_idle_ms;
};

struct fp_dp;

/* Called once a version is no longer used (RCU grace period over). */
typedef void (*fp_release_fn)(void *ctx, const void *blob, size_t len);

int fp_dp_create(const struct fp_dp_cfg *cfg, struct fp_dp **out);
/* Workers must have stopped. Releases every table. */
void fp_dp_free(struct fp_dp *dp);

/*
 * Worker @w polls (@rx_port, @rx_queue) and sends on queue @tx_queue of
 * every port. Registers the worker with RCU and marks it online.
 */
int fp_dp_worker_init(struct fp_dp *dp, unsigned int w, uint16_t rx_port,
		      uint16_t rx_queue, uint16_t tx_queue);
/* One RX burst, judged and sent; then a quiescent state. Returns frames received. */
unsigned int fp_dp_poll(struct fp_dp *dp, unsigned int w);
/* rte_eal_remote_launch() entry: polls until fp_dp_stop(); arg is from fp_dp_worker_arg. */
int fp_dp_run(void *arg);
void *fp_dp_worker_arg(struct fp_dp *dp, unsigned int w);
void fp_dp_stop(struct fp_dp *dp);
/* Lets fp_dp_run poll again after fp_dp_stop (workers relaunched by the caller). */
void fp_dp_resume(struct fp_dp *dp);
/* Marks worker @w offline for RCU (a worker that no longer polls). */
void fp_dp_worker_offline(struct fp_dp *dp, unsigned int w);

/*
 * Validates @blob and publishes it. On success the dataplane owns it and
 * calls @release(ctx, blob, len) after the grace period; on failure nothing
 * changes and the caller keeps it (*why names the rule). An epoch older than
 * the one in force is refused (-ESTALE) unless @force.
 */
int fp_dp_apply(struct fp_dp *dp, const void *blob, size_t len, int force,
		fp_release_fn release, void *ctx, const char **why);
/*
 * Validates the delta @blob (fp_delta.h) against the version in force and
 * publishes the view it makes (fp_view.h): the same base, a new overlay.
 * The delta is copied: the caller keeps @blob. On failure nothing changes
 * (*why names the rule): the errors of fp_delta_validate and
 * fp_view_fold, -EXDEV when it was made for another version.
 */
int fp_dp_apply_delta(struct fp_dp *dp, const void *blob, size_t len, int force,
		      const char **why);
/*
 * Folds the overlay in force into a new base and publishes it, when it
 * has FP_OVL_MERGE_AT entries or more (or has any, with @always). Slow
 * (a whole table is built): the control thread calls it after replying,
 * never a worker; frames keep being judged by the version in force
 * meanwhile. 1 when merged, 0 when there was nothing to do, -EAGAIN when
 * another version was published meanwhile (try again), or -ENOMEM.
 */
int fp_dp_merge(struct fp_dp *dp, int always);
/* Counts a table refused before it reached fp_dp_apply (bad fd, bad size). */
void fp_dp_note_refused(struct fp_dp *dp);
/* Releases versions whose grace period is over (the control thread calls it). */
void fp_dp_reclaim(struct fp_dp *dp);

uint64_t fp_dp_epoch(struct fp_dp *dp);	/* 0 when no table */
/*
 * The table in force, for the control thread only (may be freed by the
 * next apply): its header says epoch, servers, unknown action and, for a
 * view with an overlay, the overlay's layout.
 */
const struct fp_tbl_hdr *fp_dp_table(struct fp_dp *dp);
/* The version in force as a view (base, overlay), same caveat; NULL: none. */
const struct fp_view *fp_dp_view(struct fp_dp *dp);
void fp_dp_stats(struct fp_dp *dp, struct fp_msg_stats *out);

struct fp_dev_info {
	int in_table;
	uint32_t rate_kbps, burst_bytes, napps;
	int64_t bucket_bytes;	/* -1: never metered */
	int addr_known;
	uint8_t mac[6];
	uint16_t vlan_tci;
	uint8_t has_vlan;
};
int fp_dp_device(struct fp_dp *dp, uint32_t id, struct fp_dev_info *out);

/*
 * The task monitor's records @start.. (fp_mon_read, at the TSC's now), for
 * the control thread and telemetry.
 */
void fp_dp_monitor(struct fp_dp *dp, uint32_t start, struct fp_msg_mon_rec *recs,
		   uint32_t max, struct fp_msg_mon_reply *rep);

/* Drains records queued for the control plane. Returns how many. */
unsigned int fp_dp_ctl_drain(struct fp_dp *dp, struct fp_msg_telem_rec *recs,
			     unsigned int max);

#endif /* EDGESTEER_FP_DP_H */
