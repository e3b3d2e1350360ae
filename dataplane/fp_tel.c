/* SPDX-License-Identifier: MIT */
#include "fp_tel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/types.h>
#include <rte_telemetry.h>

#include "esop.h"
#include "fp_mon.h"

const char *const fp_counter_names[FP_C__COUNT] = {
	"rx", "tx", "tx_drop", "decision", "to_control", "control_full",
	"return_no_addr", "addr_evict", "family_mismatch", "too_big",
	"meter_full", "swaps", "refused", "bind_learned", "bind_evict", "bind_moved",
	"bind_busy", "bind_mismatch", "reply_limited",
	"deltas", "merges",
};

/* Telemetry callbacks take no context: the one fast path of the process. */
static struct fp_dp *tel_dp;

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct fp_msg_stats s;
	char name[64];

	(void)cmd;
	(void)params;
	fp_dp_stats(tel_dp, &s);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "epoch", s.epoch);
	for (int i = 0; i < FP_C__COUNT; i++)
		rte_tel_data_add_dict_u64(d, fp_counter_names[i], s.counters[i]);
	for (int i = 0; i < ESOP_V__COUNT - 1; i++) {
		snprintf(name, sizeof(name), "verdict_%s", esop_verdict_names[i]);
		rte_tel_data_add_dict_u64(d, name, s.verdicts[i]);
	}
	for (int i = 1; i < ESOP_DROP__COUNT; i++) {
		snprintf(name, sizeof(name), "drop_%s", esop_drop_names[i]);
		rte_tel_data_add_dict_u64(d, name, s.drops[i]);
	}
	return 0;
}

static int tel_device(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct fp_dev_info info;
	char *end, mac[24];
	unsigned long id;

	(void)cmd;
	if (!params || !*params)
		return -EINVAL;
	id = strtoul(params, &end, 0);
	if (*end || !id || id > UINT32_MAX)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "id", id);
	if (fp_dp_device(tel_dp, (uint32_t)id, &info) < 0) {
		rte_tel_data_add_dict_string(d, "state", "unknown");
		return 0;
	}
	rte_tel_data_add_dict_u64(d, "in_table", (uint64_t)info.in_table);
	rte_tel_data_add_dict_u64(d, "rate_kbps", info.rate_kbps);
	rte_tel_data_add_dict_u64(d, "burst_bytes", info.burst_bytes);
	rte_tel_data_add_dict_u64(d, "apps", info.napps);
	rte_tel_data_add_dict_int(d, "bucket_bytes", (int)info.bucket_bytes);
	if (info.addr_known) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", info.mac[0],
			 info.mac[1], info.mac[2], info.mac[3], info.mac[4], info.mac[5]);
		rte_tel_data_add_dict_string(d, "mac", mac);
		if (info.has_vlan)
			rte_tel_data_add_dict_u64(d, "vlan_tci", info.vlan_tci);
	}
	return 0;
}

static int tel_table(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct fp_tbl_hdr *t = fp_dp_table(tel_dp);
	struct fp_msg_stats s;

	(void)cmd;
	(void)params;
	fp_dp_stats(tel_dp, &s);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "swaps", s.counters[FP_C_SWAPS]);
	rte_tel_data_add_dict_u64(d, "refused", s.counters[FP_C_REFUSED]);
	if (!t) {
		rte_tel_data_add_dict_string(d, "state", "no table");
		return 0;
	}
	rte_tel_data_add_dict_u64(d, "epoch", t->epoch);
	rte_tel_data_add_dict_u64(d, "devices", t->ndevices);
	rte_tel_data_add_dict_u64(d, "apps", t->napps);
	rte_tel_data_add_dict_u64(d, "servers", t->nservers);
	rte_tel_data_add_dict_u64(d, "bytes", t->total_bytes);
	rte_tel_data_add_dict_u64(d, "hash_slots", 1ull << t->slot_bits);
	rte_tel_data_add_dict_u64(d, "max_probe", t->max_probe);
	rte_tel_data_add_dict_string(d, "unknown_device",
				     t->unknown_action ? "control" : "drop");
	return 0;
}

/* One monitor record as a dict: counts, tasks open now, mean latency. */
static struct rte_tel_data *tel_mon_rec(const struct fp_msg_mon_rec *r)
{
	struct rte_tel_data *d = rte_tel_data_alloc();

	if (!d)
		return NULL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "opened", r->opened);
	rte_tel_data_add_dict_u64(d, "done", r->done);
	rte_tel_data_add_dict_u64(d, "lost", r->lost);
	rte_tel_data_add_dict_u64(d, "evicted", r->evicted);
	rte_tel_data_add_dict_u64(d, "open", r->opened - r->done - r->lost - r->evicted);
	rte_tel_data_add_dict_u64(d, "mean_us", r->done ? r->lat_sum_us / r->done : 0);
	rte_tel_data_add_dict_u64(d, "bytes_up", r->bytes_up);
	rte_tel_data_add_dict_u64(d, "bytes_down", r->bytes_down);
	return d;
}

static int tel_monitor(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct fp_msg_mon_rec *recs = malloc(sizeof(*recs) * (FP_MSG_NSERVERS + FP_MON_NAL));
	struct fp_msg_mon_reply rep;
	char name[48];

	(void)cmd;
	(void)params;
	if (!recs)
		return -ENOMEM;
	fp_dp_monitor(tel_dp, 0, recs, FP_MSG_NSERVERS + FP_MON_NAL, &rep);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "timeout_ms", rep.timeout_ms);
	rte_tel_data_add_dict_u64(d, "slots", rep.slots);
	rte_tel_data_add_dict_u64(d, "unmatched", rep.unmatched);
	rte_tel_data_add_dict_u64(d, "busy", rep.busy);
	rte_tel_data_add_dict_u64(d, "al_full", rep.al_full);
	for (uint32_t i = 0; i < rep.nrec; i++) {
		struct rte_tel_data *r = tel_mon_rec(&recs[i]);

		if (recs[i].kind == FP_MON_SERVER)
			snprintf(name, sizeof(name), "server_%u", recs[i].server);
		else
			snprintf(name, sizeof(name), "app_%u_layer_%u", recs[i].app, recs[i].layer);
		if (r && rte_tel_data_add_dict_container(d, name, r, 0))
			rte_tel_data_free(r);
	}
	free(recs);
	return 0;
}

int fp_tel_register(struct fp_dp *dp)
{
	int err;

	tel_dp = dp;
	err = rte_telemetry_register_cmd("/edgesteer/stats", tel_stats,
					 "Fast path counters, summed over lcores. No parameters");
	if (!err)
		err = rte_telemetry_register_cmd("/edgesteer/device", tel_device,
						 "One device. Parameter: device id");
	if (!err)
		err = rte_telemetry_register_cmd("/edgesteer/table", tel_table,
						 "The policy table in force. No parameters");
	if (!err)
		err = rte_telemetry_register_cmd("/edgesteer/monitor", tel_monitor,
						 "Tasks TENSOR to RESULT per server and (app, layer). "
						 "No parameters");
	return err;
}
