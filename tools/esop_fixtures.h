/* SPDX-License-Identifier: MIT */
/*
 * The fixture corpus: a small world (devices, servers, placements) and a
 * sequence of frames with the verdict each must get in that world. The XDP
 * tests, the fast-path tests and the parser's unit tests all replay this one
 * corpus, so the stages are checked against each other.
 *
 * Replay rule: frames are judged in order, starting from full token buckets;
 * the *_over_rate pairs rely on it (the first frame of the pair empties the
 * device's 1500-byte bucket, the second is OVER_RATE).
 */
#ifndef EDGESTEER_ESOP_FIXTURES_H
#define EDGESTEER_ESOP_FIXTURES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "esop_gen.h"

#define ESOP_FIX_MAX_FRAME	2048
#define ESOP_FIX_MAX_APPS	4

struct esop_fix_server {
	const char *name;
	uint8_t kind;		/* enum esop_target_kind: EDGE or CLOUD */
	uint8_t ipv6;
	uint16_t port;		/* dataplane port index */
	struct esop_gen_host host;
};

struct esop_fix_app {
	uint16_t app;
	int8_t server;		/* index into the servers, -1 = local */
	uint16_t split_layer;
	uint8_t exit;
};

struct esop_fix_device {
	uint32_t id;
	uint32_t rate_kbps;
	uint32_t burst_bytes;
	unsigned int napps;
	struct esop_fix_app apps[ESOP_FIX_MAX_APPS];
};

struct esop_fix_world {
	uint64_t epoch;
	const struct esop_fix_server *servers;
	unsigned int nservers;
	const struct esop_fix_device *devices;
	unsigned int ndevices;
	struct esop_gen_host ap;	/* the AP's own address (GTP-U end too) */
	uint32_t default_rate_kbps;
	uint32_t default_burst_bytes;
};

extern const struct esop_fix_world esop_fix_world;

struct esop_fixture {
	char name[64];
	int encap;		/* enum esop_gen_encap, -1 for ordinary traffic */
	int parse;		/* ESOP_V_NOT_ESOP, _MALFORMED or _NEEDS_TABLE */
	int reason;		/* enum esop_drop_reason */
	int verdict;		/* enum esop_verdict in esop_fix_world */
	uint8_t type;
	uint32_t device_id;
	uint16_t app_id;
	uint16_t len;
	uint8_t frame[ESOP_FIX_MAX_FRAME];
};

/* Builds the corpus. Returns 0 or -errno; free *out with free(). */
int esop_fixtures_build(struct esop_fixture **out, size_t *n);

/* Looks a device / server up in the world (NULL / -1 when absent). */
const struct esop_fix_device *esop_fix_device(uint32_t id);
int esop_fix_server_by_addr(const uint8_t *addr, int ipv6);

struct es_policy;

/*
 * The world as the neutral table the stages compile (include/es_policy.h),
 * as ptab would load fixtures.json: local apps have server ES_SERVER_ANY.
 * Free with esop_fix_world_policy_free(). Returns 0 or -ENOMEM.
 */
int esop_fix_world_policy(struct es_policy *p);
void esop_fix_world_policy_free(struct es_policy *p);

/* Writes the world as a POLICY.md table. Returns 0 or -errno. */
int esop_fix_world_write_json(FILE *f);

/* Writes the expected-verdict table, one row per frame, tab separated. */
int esop_fixtures_write_tsv(FILE *f, const struct esop_fixture *fx, size_t n);

#endif /* EDGESTEER_ESOP_FIXTURES_H */
