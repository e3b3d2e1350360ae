/* SPDX-License-Identifier: MIT */
/*
 * The applied tables on disk: one binary file per table
 * (DIR/table-EPOCH.bin: magic, version, size, checksum, then the es_policy
 * arrays as they are in memory), and DIR/current, a symlink to the one in
 * force. Writing is two-phase so it can be a stage of a push: prepare writes
 * and fsyncs a temporary file, commit renames it into place and moves
 * `current`, abort removes it. The newest few files stay for rollback.
 */
#ifndef EDGESTEER_PTAB_STORE_H
#define EDGESTEER_PTAB_STORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "ptab.h"

#define PTAB_STORE_MAGIC	0x54504553u	/* "SEPT" little-endian */
#define PTAB_STORE_VERSION	1u

struct ptab_store_txn {
	char tmp[PATH_MAX];
	char final[PATH_MAX];
	int pending;
};

/* Writes @p to a temporary file in @dir and fsyncs it. Returns 0 or -errno. */
int ptab_store_prepare(const char *dir, const struct es_policy *p,
		       struct ptab_store_txn *tx);

/*
 * Renames the prepared file into place, points DIR/current at it, fsyncs
 * the directory, and removes all but the newest @keep table files (never
 * the current one). Returns 0 or -errno.
 */
int ptab_store_commit(const char *dir, struct ptab_store_txn *tx, unsigned int keep);

void ptab_store_abort(struct ptab_store_txn *tx);

/*
 * Reads a table file (checks magic, version, size, checksum, then
 * ptab_check()). Returns 0, -ENOENT, -EINVAL or -ENOMEM.
 */
int ptab_store_read(const char *path, const struct ptab_limits *lim,
		    struct es_policy *p, struct ptab_error *err);

/* The table DIR/current points at. */
int ptab_store_read_current(const char *dir, const struct ptab_limits *lim,
			    struct es_policy *p, struct ptab_error *err);

/* The epochs kept in @dir, ascending. Returns 0 or -errno. */
int ptab_store_list(const char *dir, uint64_t *epochs, size_t max, size_t *n);

int ptab_store_path(const char *dir, uint64_t epoch, char *buf, size_t n);

#endif /* EDGESTEER_PTAB_STORE_H */
