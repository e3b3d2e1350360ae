/* SPDX-License-Identifier: MIT */
/*
 * The policy table in its neutral, validated form (docs/POLICY.md): what the
 * JSON loader in control/ produces and what the XDP loader (ebpf/) and the
 * fast path (dataplane/) compile their own lookup structures from. Userspace
 * only.
 *
 * Invariants a loader guarantees before anyone else sees a table: devices
 * sorted by id, ids unique and non-zero, every app's server index valid for
 * its kind, counts within the limits below.
 */
#ifndef EDGESTEER_ES_POLICY_H
#define EDGESTEER_ES_POLICY_H

#include <stdint.h>

#define ES_MAX_DEVICES		1000000u	/* default; a load-time option */
#define ES_MAX_APPS_PER_DEVICE	16u
#define ES_MAX_SERVERS		64u
#define ES_SERVER_NAME_MAX	32u		/* bytes, with the NUL */

/* app target: a server index, or "any server of this kind" (load balanced). */
#define ES_SERVER_ANY		0xffu

enum es_unknown_action {
	ES_UNKNOWN_DROP = 0,
	ES_UNKNOWN_CONTROL = 1,		/* hand to the control plane */
};

struct es_server {
	char name[ES_SERVER_NAME_MAX];
	uint8_t kind;			/* ESOP_TARGET_EDGE or ESOP_TARGET_CLOUD */
	uint8_t ipv6;
	uint16_t udp_port;
	uint16_t port;			/* dataplane port index */
	uint8_t mac[6];
	uint8_t ip[16];			/* network order; IPv4 in ip[0..3] */
};

struct es_app {
	uint16_t app;
	uint8_t target_kind;		/* enum esop_target_kind */
	uint8_t server;			/* index into servers, or ES_SERVER_ANY */
	uint16_t split_layer;
	uint8_t exit;
	uint8_t pad;
};

struct es_device {
	uint32_t id;
	uint32_t rate_kbps;
	uint32_t burst_bytes;
	uint32_t apps_off;		/* first app in es_policy.apps */
	uint8_t napps;
	uint8_t pad[3];
};

struct es_policy {
	uint64_t epoch;
	uint32_t unknown_action;	/* enum es_unknown_action */
	uint32_t default_rate_kbps;
	uint32_t default_burst_bytes;
	uint32_t nservers;
	struct es_server servers[ES_MAX_SERVERS];
	uint32_t ndevices;
	uint32_t napps;
	struct es_device *devices;	/* sorted by id */
	struct es_app *apps;
};

#endif /* EDGESTEER_ES_POLICY_H */
