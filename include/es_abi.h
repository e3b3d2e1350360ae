/* SPDX-License-Identifier: MIT */
/*
 * The one ABI header: every struct that crosses the BPF/userspace boundary
 * (map keys and values) is declared here, once, with its size and layout
 * pinned by _Static_assert so that clang -target bpf and gcc agree.
 *
 * Like esop.h it includes nothing: the includer provides the __uN types.
 */
#ifndef EDGESTEER_ES_ABI_H
#define EDGESTEER_ES_ABI_H

#include "esop_parse.h"

/*
 * What ebpf/esop_probe.bpf.c saw for the last frame: the parser's return
 * value and everything it filled in. The bpf suite compares it field for
 * field with the userspace parse of the same frame.
 */
struct es_probe_out {
	__s32 verdict;
	__u32 pad;
	struct esop_pkt pkt;
};

_Static_assert(sizeof(struct esop_pkt) == 96, "esop_pkt layout changed");
_Static_assert(__builtin_offsetof(struct esop_pkt, saddr) == 32,
	       "esop_pkt.saddr moved");
_Static_assert(__builtin_offsetof(struct esop_pkt, device_id) == 76,
	       "esop_pkt.device_id moved");
_Static_assert(sizeof(struct es_probe_out) == 104, "es_probe_out layout changed");

/* --- The XDP classifier's maps (ebpf/edgesteer_xdp.bpf.c, ebpf/xdpc.c) --- */

#define ES_XDP_APPS		16	/* = ES_MAX_APPS_PER_DEVICE (es_policy.h) */
#define ES_XDP_SERVERS		128	/* 2 versions x ES_MAX_SERVERS */
#define ES_XDP_QUEUES		64	/* xsks_map slots: RX queues */
#define ES_XDP_NVERDICT		16	/* >= ESOP_V__COUNT, a power of two */
#define ES_XDP_NREASON		16	/* >= ESOP_DROP__COUNT, a power of two */
#define ES_XDP_NACTION		8	/* XDP_ABORTED .. XDP_REDIRECT */

/*
 * es_cfg[0]: all-zero means the safe defaults (port 7447, GTP-U on, table
 * version 0, whose zeroed header says unknown devices are dropped).
 * @active, read once per packet: bit 0 (ES_XDP_ACTIVE_DEV) is the version
 * (0 or 1) of the device table and table header that judge new packets,
 * bit 1 (ES_XDP_ACTIVE_SRV) the slot of the server set. A whole-table push
 * flips both in one write; a delta that changes the servers flips bit 1.
 */
#define ES_XDP_ACTIVE_DEV	0x1u
#define ES_XDP_ACTIVE_SRV	0x2u

struct es_xdp_cfg {
	struct esop_parse_cfg parse;
	__u32 active;
};

/* es_tables[version]: what a policy version says beyond its devices. */
struct es_xdp_table {
	__u64 epoch;
	__u32 unknown_action;	/* 0 = drop, 1 = control (ES_UNKNOWN_*) */
	__u32 ndevices;
};

/* One (app, placement) of a device; target_kind is enum esop_target_kind. */
struct es_xdp_app {
	__u16 app_id;
	__u8 target_kind;
	__u8 pad;
};

/*
 * es_dev0 / es_dev1 (key: __u32 device id): a device as one table version
 * enforces it. The GCRA parameters are precomputed by the loader from
 * rate_kbps and burst_bytes so the packet path does no division.
 */
struct es_xdp_device {
	__u64 ns_per_byte_q16;	/* emission interval per byte, ns << 16 */
	__u64 tau_ns;		/* tolerance: burst_bytes at the rate plus
				 * one tick of the meter's clock (docs/xdp.md) */
	__u32 rate_kbps;	/* as pushed, for people reading the map */
	__u32 burst_bytes;
	__u32 meter;		/* the device's slot in es_meters, kept by the
				 * loader while the device stays in a version */
	__u8 napps;
	__u8 pad[3];
	struct es_xdp_app apps[ES_XDP_APPS];
};

/* es_servers key: a server address in one slot (0/1). Value: __u32 index. */
struct es_xdp_server_key {
	__u32 slot;		/* (es_xdp_cfg.active & ES_XDP_ACTIVE_SRV) >> 1 */
	__u8 ipv6;
	__u8 pad[3];
	__u8 addr[16];		/* network order; IPv4 in addr[0..3], rest 0 */
};

/*
 * es_meters (array; key: the device's es_xdp_device.meter slot), shared by
 * all CPUs and kept across table swaps and deltas for as long as the
 * device stays. tat_ns is GCRA's theoretical arrival time (CLOCK_MONOTONIC),
 * moved only by compare-and-swap; the per-device counters live on the same
 * cache line, which every frame of the device writes anyway.
 *
 * The device's source binding lives on that line too (docs/security.md):
 * learned from its first uplink frame (trust on first use), the source
 * address of the datagram carrying ESOP (the inner one for GTP-U), and
 * from its first GTP-U frame on, that TEID. Frames of the device from
 * elsewhere are dropped before the meter (bind_mismatch). A binding idle
 * for longer than es_bind_idle_ns moves to the next source heard. One per
 * device of the table, zeroed (unbound) with the slot when a device is
 * new to the table: it cannot fill up, and costs no lookup of its own.
 * bind_seen_ns is the lock: 0 unbound, ES_XDP_BIND_BUSY while a CPU
 * writes the binding (its frames are let through), else the time of the
 * last matching frame (coarse: written at most every
 * ES_XDP_BIND_REFRESH_NS), always moved by compare-and-swap.
 */
#define ES_XDP_BIND_BUSY	1ull
#define ES_XDP_BIND_V6		0x1u	/* bind_addr is IPv6 */
#define ES_XDP_BIND_TEID	0x2u	/* bind_teid is bound */
#define ES_XDP_BIND_IDLE_NS	(60ull * 1000000000ull)
#define ES_XDP_BIND_REFRESH_NS	1000000000ull

struct es_xdp_meter {
	__u64 tat_ns;
	__u64 packets;		/* frames that conformed */
	__u64 bytes;		/* their frame bytes */
	__u64 over_rate;	/* frames that did not (dropped) */
	__u64 bind_seen_ns;	/* 0, ES_XDP_BIND_BUSY, or the meter's clock */
	__u32 bind_teid;	/* host order, with ES_XDP_BIND_TEID */
	__u32 bind_flags;	/* ES_XDP_BIND_V6, ES_XDP_BIND_TEID */
	__u8 bind_addr[16];	/* network order; IPv4 in [0..3], rest 0 */
};

/* es_stats[0], per CPU: what every frame got. */
struct es_xdp_stats {
	__u64 verdict[ES_XDP_NVERDICT];	/* by enum esop_verdict */
	__u64 reason[ES_XDP_NREASON];	/* MALFORMED, by enum esop_drop_reason */
	__u64 action[ES_XDP_NACTION];	/* by XDP action returned */
	__u64 no_xsk;		/* redirect fell back to XDP_PASS: no socket */
	__u64 unknown_control;	/* UNKNOWN_DEVICE handed to the control plane */
	__u64 meter_full;	/* meter slot out of range (never): let through */
	__u64 meter_contended;	/* CAS retries ran out: frame dropped */
	/* source binding (es_xdp_meter, docs/security.md): beside the verdicts */
	__u64 bind_learned;	/* a device bound on first sight (or its TEID) */
	__u64 bind_moved;	/* an idle binding moved to a new source */
	__u64 bind_mismatch;	/* spoofed: dropped before the meter, no verdict */
};

_Static_assert(ESOP_V__COUNT <= ES_XDP_NVERDICT, "verdict counters too few");
_Static_assert(ESOP_DROP__COUNT <= ES_XDP_NREASON, "reason counters too few");
_Static_assert(sizeof(struct es_xdp_cfg) == 8, "es_xdp_cfg layout changed");
_Static_assert(sizeof(struct es_xdp_table) == 16, "es_xdp_table layout changed");
_Static_assert(sizeof(struct es_xdp_app) == 4, "es_xdp_app layout changed");
_Static_assert(sizeof(struct es_xdp_device) == 96, "es_xdp_device layout changed");
_Static_assert(__builtin_offsetof(struct es_xdp_device, apps) == 32,
	       "es_xdp_device.apps moved");
_Static_assert(sizeof(struct es_xdp_server_key) == 24,
	       "es_xdp_server_key layout changed");
_Static_assert(sizeof(struct es_xdp_meter) == 64, "es_xdp_meter layout changed");
_Static_assert(sizeof(struct es_xdp_stats) == 8 * (16 + 16 + 8 + 4 + 3),
	       "es_xdp_stats layout changed");

#endif /* EDGESTEER_ES_ABI_H */
