/* SPDX-License-Identifier: MIT */
/*
 * The applied tables on disk: snapshots, one binary file per table
 * (DIR/table-EPOCH.bin: magic, version, size, checksum, then the es_policy
 * arrays as they are in memory), DIR/current, a symlink to the snapshot the
 * table in force starts from, and DIR/journal, the deltas applied since
 * that snapshot (each record followed by a commit mark once committed).
 * A delta costs a small fsynced append instead of rewriting a million
 * devices; every PTAB_STORE_JOURNAL_MAX records (or bytes) a delta is
 * written as a snapshot again.
 *
 * Writing is two-phase so it can be a stage of a push: prepare writes (and
 * fsyncs a temporary snapshot, or appends a journal record with room for
 * its commit mark), commit renames the snapshot into place and moves
 * `current` (or writes the commit mark into that room and fdatasyncs record
 * and mark at once: a disk that filled up since cannot fail it), abort
 * removes what prepare wrote. The newest few snapshots stay for
 * rollback, and so do the epochs of the journal.
 */
#ifndef EDGESTEER_PTAB_STORE_H
#define EDGESTEER_PTAB_STORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "ptab.h"

#define PTAB_STORE_MAGIC	0x54504553u	/* "SEPT" little-endian */
#define PTAB_STORE_VERSION	1u
#define PTAB_STORE_JOURNAL_MAX	32u		/* records, then a snapshot */
#define PTAB_STORE_JOURNAL_MAX_BYTES	(64u << 20)

struct ptab_store_txn {
	char tmp[PATH_MAX];
	char final[PATH_MAX];
	int pending;			/* 1 snapshot, 2 journal record */
	uint64_t epoch;
	uint64_t journal_len;		/* before the record: abort truncates */
	uint64_t mark_off;		/* where commit writes the record's mark */
	uint64_t base_id;		/* of the snapshot the journal follows */
	uint32_t seq;			/* of the record being written */
};

/*
 * Writes @p (when @d is set: the delta @d that made it from the table in
 * force, journalled when the journal has room). Returns 0 or -errno.
 */
int ptab_store_prepare(const char *dir, const struct es_policy *p,
		       const struct ptab_delta *d, struct ptab_store_txn *tx);

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

/*
 * The table in force: DIR/current with the committed journal records
 * replayed. A record left uncommitted by a crash is cut off the journal.
 */
int ptab_store_read_current(const char *dir, const struct ptab_limits *lim,
			    struct es_policy *p, struct ptab_error *err);

/* A kept table by epoch: a snapshot, or current's journal up to it. */
int ptab_store_read_epoch(const char *dir, uint64_t epoch, const struct ptab_limits *lim,
			  struct es_policy *p, struct ptab_error *err);

/*
 * The epochs kept in @dir (snapshots and journal), ascending, without
 * repeats. Returns 0 or -errno.
 */
int ptab_store_list(const char *dir, uint64_t *epochs, size_t max, size_t *n);

int ptab_store_path(const char *dir, uint64_t epoch, char *buf, size_t n);

#endif /* EDGESTEER_PTAB_STORE_H */
