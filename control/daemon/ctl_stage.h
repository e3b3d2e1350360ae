/* SPDX-License-Identifier: MIT */
/*
 * A stage is anything that must judge packets by the table in force: the
 * XDP maps (ebpf/xdpc), the fast path's tables (edgesteer-dp), and the
 * table file on disk. A push is two-phase across all of them:
 *
 *   prepare(next)  build everything the new table needs (maps, a compiled
 *                  table, a written and fsynced file) while the old one
 *                  stays in use; may fail, and then says why.
 *   commit()       switch to what prepare built: a pointer or map-index
 *                  swap that cannot fail for a reason the table caused.
 *   abort()        drop what prepare built; the old table stays.
 *
 * If any prepare fails, every stage already prepared is aborted and none
 * changes. `next` and its arrays are only valid during prepare: a stage
 * copies or compiles what it keeps.
 */
#ifndef EDGESTEER_CTL_STAGE_H
#define EDGESTEER_CTL_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "es_policy.h"
#include "ptab.h"

struct ctl_push {
	const struct es_policy *table;
	/*
	 * table->napps entries: the server each app goes to now. Apps whose
	 * target is a kind get the least-loaded server of that kind (chosen
	 * by the daemon every epoch); local apps get ES_SERVER_ANY.
	 */
	const uint8_t *server;
	/*
	 * When the table came from a delta on the table in force: the delta
	 * (devices added or replaced, removals, new servers or defaults), so a
	 * stage may apply just that. NULL: a whole new table.
	 */
	const struct ptab_delta *delta;
};

struct ctl_stage_ops {
	const char *name;
	int (*prepare)(void *ctx, const struct ctl_push *next, char *why, size_t why_len);
	int (*commit)(void *ctx);	/* nonzero is logged, never undone */
	void (*abort)(void *ctx);
};

struct ctl_stage {
	const struct ctl_stage_ops *ops;
	void *ctx;
};

/*
 * Prepares every stage in order, then commits them all; on the first
 * failed prepare aborts the prepared ones and returns its -errno with
 * "STAGE: reason" in @why.
 */
int ctl_stages_push(const struct ctl_stage *st, size_t n, const struct ctl_push *next,
		    char *why, size_t why_len);

/*
 * Test only (docs/faults.md): @fn, when set, is called with "STAGE.prepared"
 * after each successful prepare and "STAGE.committed" after each commit, so
 * a test can stop a push at every step (edgesteerd's ES_FAULT_AT). NULL,
 * the default, calls nothing.
 */
void ctl_stages_set_hook(void (*fn)(const char *point));

/* ctl_stages_push, and @ms[i] (n of them): stage i's prepare + commit time. */
int ctl_stages_push_timed(const struct ctl_stage *st, size_t n, const struct ctl_push *next,
			  char *why, size_t why_len, double *ms);

#endif /* EDGESTEER_CTL_STAGE_H */
