/* SPDX-License-Identifier: MIT */
/*
 * Policy tables (docs/POLICY.md): the JSON an operator or a policy writes,
 * validated rule by rule and turned into the neutral `struct es_policy`
 * (include/es_policy.h) that the XDP loader and the fast path compile from.
 *
 * Every entry point either produces a complete, valid table or leaves its
 * output untouched and says why in a `struct ptab_error`: the file, the JSON
 * path (`devices[3].apps[0].target`) and the reason.
 *
 * Not thread-safe: cJSON's allocator hooks are process-wide, so one load at a
 * time per process (edgesteerd and edgesteerctl are single-threaded there).
 */
#ifndef EDGESTEER_PTAB_H
#define EDGESTEER_PTAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "es_policy.h"

/* The explicit limits; a table over any of them is refused whole. */
struct ptab_limits {
	uint32_t max_devices;		/* >= ES_MAX_DEVICES by default */
	uint32_t max_apps_per_device;	/* <= ES_MAX_APPS_PER_DEVICE */
	uint32_t max_servers;		/* <= ES_MAX_SERVERS */
};

#define PTAB_LIMITS_DEFAULT \
	{ ES_MAX_DEVICES, ES_MAX_APPS_PER_DEVICE, ES_MAX_SERVERS }

/* "small unsigned integers" (POLICY.md), made explicit. */
#define PTAB_MAX_SPLIT_LAYER	1023u
#define PTAB_MAX_EXIT		255u
#define PTAB_MAX_PORT		255u	/* dataplane port index */
#define PTAB_MAX_EPOCH		9007199254740991ull	/* 2^53 - 1: exact in JSON */
#define PTAB_MAX_INPUT_BYTES	(1024ull << 20)	/* 1 GiB of JSON */

#define PTAB_ERR_MAX		512

struct ptab_error {
	char msg[PTAB_ERR_MAX];		/* "FILE: PATH: REASON" */
};

enum ptab_flags {
	PTAB_F_FORCE = 1u << 0,		/* accept an epoch not newer than in force */
};

/* What a load did, for the operator's reply. */
struct ptab_load_info {
	int delta;
	uint32_t added;			/* devices new to the table */
	uint32_t replaced;		/* devices that were there and are again */
	uint32_t removed;
};

/*
 * A delta in binary: what it changes in the table in force. The store
 * journals it instead of rewriting a million devices, and a stage may apply
 * it instead of recompiling everything.
 */
struct ptab_delta {
	uint64_t epoch;
	uint8_t has_defaults, has_servers;
	uint32_t unknown_action, default_rate_kbps, default_burst_bytes;
	uint32_t nservers;
	struct es_server servers[ES_MAX_SERVERS];	/* with has_servers */
	uint32_t ndevices, napps, nremove;
	struct es_device *devices;	/* added or replaced whole; sorted by id */
	struct es_app *apps;		/* server indices into the result's servers */
	uint32_t *remove;		/* ids, sorted */
};

/*
 * Parses and validates @len bytes of JSON named @name (for messages) against
 * @in_force (NULL: none, epoch 0) and fills @next with the table the input
 * produces: the input itself, or for a delta the table in force changed by
 * it. @next is only written on success; free it with ptab_free(). When the
 * input is a delta and @delta is set, *@delta receives it (free it with
 * ptab_delta_free()); otherwise *@delta is zeroed.
 * Returns 0, -EINVAL (the input breaks a rule), -E2BIG (over a limit),
 * -ESTALE (epoch not newer, without PTAB_F_FORCE) or -ENOMEM.
 */
int ptab_load(const char *name, const char *json, size_t len,
	      const struct es_policy *in_force, const struct ptab_limits *lim,
	      unsigned int flags, struct es_policy *next,
	      struct ptab_load_info *info, struct ptab_delta *delta,
	      struct ptab_error *err);

/*
 * @cur changed by @d -> @next (@cur is not modified; NULL is an empty table).
 * Checks what only the combination can break (removals of absent devices, a
 * server still targeted going away, the device limit); @name prefixes
 * errors. Not the epoch rule: ptab_load() applies that. Returns 0, -EINVAL,
 * -E2BIG or -ENOMEM.
 */
int ptab_apply_delta(const char *name, const struct es_policy *cur,
		     const struct ptab_delta *d, const struct ptab_limits *lim,
		     struct es_policy *next, struct ptab_load_info *info,
		     struct ptab_error *err);

void ptab_delta_free(struct ptab_delta *d);

/*
 * The delta that turns @from into @to (devices added, changed or removed;
 * servers and defaults when they differ), e.g. to journal and hand stages
 * a policy's full table as what it changes. ptab_apply_delta(from, d)
 * reproduces @to. Returns 0 or -ENOMEM.
 */
int ptab_delta_between(const struct es_policy *from, const struct es_policy *to,
		       struct ptab_delta *d);

/* Same rate, burst and apps (targets compared by name). */
int ptab_device_equal(const struct es_policy *a, const struct es_device *da,
		      const struct es_policy *b, const struct es_device *db);

/*
 * Faults in the parse arena for a JSON input of about @json_bytes now, so
 * that the next load that size faults nothing (a daemon calls this at
 * start, sized for the table it came back with). Returns 0 or -ENOMEM.
 */
int ptab_prefault(size_t json_bytes);

/* ptab_load() on a file's contents. Also -errno of open/read. */
int ptab_load_file(const char *path, const struct es_policy *in_force,
		   const struct ptab_limits *lim, unsigned int flags,
		   struct es_policy *next, struct ptab_load_info *info,
		   struct ptab_error *err);

/*
 * Checks a table built elsewhere (by a policy's decide(), or read back from
 * disk) against the invariants of es_policy.h and the rules of POLICY.md.
 * Returns 0, -EINVAL or -E2BIG.
 */
int ptab_check(const struct es_policy *p, const struct ptab_limits *lim,
	       struct ptab_error *err);

/* Deep copy (devices and apps). Returns 0 or -ENOMEM; @dst untouched then. */
int ptab_copy(struct es_policy *dst, const struct es_policy *src);

/* Frees devices and apps and zeroes the table. NULL is fine. */
void ptab_free(struct es_policy *p);

/* First index in @p->devices[from..] whose id is >= @id (binary search). */
uint32_t ptab_lower_bound(const struct es_policy *p, uint32_t from, uint64_t id);

/* Binary search by id; NULL when absent. */
const struct es_device *ptab_find_device(const struct es_policy *p, uint32_t id);

/* Server index by name, or -1. */
int ptab_find_server(const struct es_policy *p, const char *name);

/*
 * Writes @p as POLICY.md JSON (one device per line). With @only_device set,
 * only that device is listed (its absence is -ENOENT). Returns 0 or -EIO.
 */
int ptab_write_json(const struct es_policy *p, FILE *f, uint32_t only_device);

/* Summary of what changes from @from to @to. */
struct ptab_diff_stats {
	uint32_t added, removed, changed, unchanged;
	int servers_changed, defaults_changed;
};

/*
 * Compares two tables: fills @st and, when @f is set, writes one line per
 * difference ("+ device 5 ...", "- device 7", "~ device 9 ...") or with
 * @json, a JSON object. Returns 0 or -EIO.
 */
int ptab_diff(const struct es_policy *from, const struct es_policy *to,
	      FILE *f, int json, struct ptab_diff_stats *st);

#endif /* EDGESTEER_PTAB_H */
