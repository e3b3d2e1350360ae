/* SPDX-License-Identifier: MIT */
/*
 * A compiled delta for the fast path: the devices a push adds or replaces
 * and the ones it removes, against the table version in force (its epoch),
 * in one read-only blob that travels in a sealed memfd like a whole table
 * (docs/fastpath.md "Deltas"). edgesteer-dp folds it into a small overlay
 * in front of the table it has (fp_view.h) instead of receiving a million
 * devices again.
 *
 * Layout, host order:
 *   struct fp_dlt_hdr                  128 bytes at offset 0
 *   struct fp_tbl_slot devs[ndevices]  at devs_off: the devices added or
 *                                      replaced, ascending ids, in the
 *                                      table's slot format (apps: overflow
 *                                      index << 5 | napps)
 *   struct fp_tbl_app apps[napps]      at apps_off: apps beyond the first two
 *   uint32_t remove[nremove]           at remove_off: ids, ascending
 * checksum covers every byte after it (offset 24 to total_bytes), as for a
 * table.
 */
#ifndef EDGESTEER_FP_DELTA_H
#define EDGESTEER_FP_DELTA_H

#include <stddef.h>
#include <stdint.h>

#include "es_policy.h"
#include "fp_table.h"

#define FP_DELTA_MAGIC		0x4c445345u	/* "ESDL" in memory order */
#define FP_DELTA_VERSION	1
/* devices + removals one delta may carry; a larger change goes whole */
#define FP_DELTA_MAX		32768u

struct fp_dlt_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t hdr_bytes;
	uint64_t total_bytes;
	uint64_t checksum;		/* fp_table_checksum() of [24, total) */
	uint64_t epoch;			/* the version this delta makes */
	uint64_t base_epoch;		/* the version it applies to */
	uint64_t servers_sum;		/* fp_delta_servers_sum() of the servers compiled against */
	uint32_t unknown_action;
	uint32_t nservers;
	uint32_t ndevices;
	uint32_t nremove;
	uint32_t napps;
	uint32_t pad;
	uint64_t devs_off;
	uint64_t apps_off;
	uint64_t remove_off;
	uint8_t reserved[128 - 96];
};

_Static_assert(sizeof(struct fp_dlt_hdr) == 128, "fp_dlt_hdr layout");

/*
 * What the control plane compiles a delta from: @p holds the servers and
 * unknown action of the resulting table, its epoch, and only the devices
 * added or replaced (sorted by id, apps' servers resolved as for
 * fp_table_build); @remove the ids removed (sorted). @base_epoch is the
 * epoch of the table in force.
 */
struct fp_delta_src {
	const struct es_policy *p;
	const uint32_t *remove;
	uint32_t nremove;
	uint64_t base_epoch;
};

/* The checksum of a table's server array, as a delta names its servers by. */
uint64_t fp_delta_servers_sum(const struct fp_tbl_server *s, uint32_t n);

/* Bytes fp_delta_build() needs, or -EINVAL / -E2BIG. */
int64_t fp_delta_size(const struct fp_delta_src *src);

/* Compiles @src into @buf (8-byte aligned). Returns the length or -errno. */
int64_t fp_delta_build(const struct fp_delta_src *src, void *buf, size_t cap);

/* fp_delta_build into a sealed memfd (as fp_table_build_memfd). 0 or -errno. */
int fp_delta_build_memfd(const struct fp_delta_src *src, int *fd, size_t *len);

/*
 * Checks a received delta on its own as strictly as fp_table_validate()
 * checks a table: length, magic, version, checksum, limits, regions, ids
 * ascending and non-zero, no id both changed and removed, rates, bursts,
 * app ranges, every app's server of the right kind among @servers (the
 * table it will apply to; @nservers of them, which must also match
 * servers_sum). What only the table in force can say (the base epoch,
 * removals of absent devices, the device limit of the result) is
 * fp_view_apply()'s. Returns 0 or -errno with *why naming the rule.
 */
int fp_delta_validate(const void *blob, size_t len, const struct fp_table_limits *lim,
		      const struct fp_tbl_server *servers, uint32_t nservers,
		      const char **why);

#endif /* EDGESTEER_FP_DELTA_H */
