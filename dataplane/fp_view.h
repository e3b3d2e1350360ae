/* SPDX-License-Identifier: MIT */
/*
 * What the fast path publishes and its workers judge frames by: a view,
 * an immutable {base table, overlay} pair (docs/fastpath.md "Deltas").
 *
 * The base is a whole compiled table (fp_table.h) as pushed, or merged here.
 * The overlay is a small table in the same format built by edgesteer-dp from
 * the deltas pushed since the base (fp_delta.h): one slot per device
 * changed, added or removed since then, a removed one as a tombstone
 * (rate_kbps 0, which no table slot has). Its header carries what the view
 * answers with: epoch, unknown-device action, the base's servers. A lookup
 * probes the overlay first, then the base. Each delta makes a new overlay
 * (the previous one's entries and the delta's) and a new view, published
 * with RCU like a table; past FP_OVL_MERGE_AT entries the control thread
 * folds the overlay into a new base (fp_view_merge) and publishes that.
 *
 * No DPDK here: the control thread calls the builders, the workers the
 * inline lookups.
 */
#ifndef EDGESTEER_FP_VIEW_H
#define EDGESTEER_FP_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "fp_delta.h"
#include "fp_table.h"

/*
 * Overlay entries (devices changed, added or removed since the base) after
 * which the control thread merges the overlay into a new base. A delta
 * carries at most FP_DELTA_MAX, so an overlay never holds more than
 * FP_OVL_MERGE_AT + FP_DELTA_MAX = 65,536 entries: 4 MiB of slots at
 * most, 64 KiB for a 1,000-device delta (cache-resident).
 */
#define FP_OVL_MERGE_AT		32768u

struct fp_view {
	const struct fp_tbl_hdr *front;	/* epoch, servers, unknown action: ovl or base */
	const struct fp_tbl_hdr *base;
	const struct fp_tbl_hdr *ovl;	/* NULL: none */
	uint32_t ndevices;		/* devices the view knows */
	uint32_t ovl_entries;		/* slots used in ovl, tombstones included */
};

/* Sets @v to @base alone. */
void fp_view_of_base(struct fp_view *v, const struct fp_tbl_hdr *base);

/*
 * Builds the overlay that @delta (validated with fp_delta_validate against
 * @v's servers) makes on @v: @v's overlay entries, then the delta's devices
 * and removals on top. Checks what only the view can say: the delta's base
 * epoch is @v's (-EXDEV otherwise: the sender must push the whole table),
 * its epoch is not older unless @force (-ESTALE), every removed device is
 * in @v (-ENOENT), and the result fits @max_devices (-E2BIG). On success
 * *ovl is a new overlay (fp_view_ovl_free) and @out the view it makes
 * (same base). Nothing changes on failure; *why names the rule.
 */
int fp_view_fold(const struct fp_view *v, const void *delta, int force,
		 uint32_t max_devices, const struct fp_tbl_hdr **ovl,
		 struct fp_view *out, const char **why);
void fp_view_ovl_free(const struct fp_tbl_hdr *ovl);

/*
 * A new base table: @v's base with its overlay folded in, a complete table
 * that fp_table_validate() accepts (epoch and unknown action of @v). 0 or
 * -ENOMEM; release it with fp_view_base_free(*base, *len).
 */
int fp_view_merge(const struct fp_view *v, const struct fp_tbl_hdr **base, size_t *len);
void fp_view_base_free(const struct fp_tbl_hdr *base, size_t len);

/* --- lookups (hot path) --- */

/* The device's slot in @v, or NULL; *from: the table its apps are in. */
static inline const struct fp_tbl_slot *fp_view_device(const struct fp_view *v, uint32_t id,
							const struct fp_tbl_hdr **from)
{
	const struct fp_tbl_slot *s;

	if (v->ovl && (s = fp_table_device(v->ovl, id))) {
		*from = v->ovl;
		return s->rate_kbps ? s : NULL;	/* a tombstone: removed */
	}
	*from = v->base;
	return fp_table_device(v->base, id);
}

/*
 * fp_table_lookup_burst() on a view: the overlay's and the base's home
 * slots prefetched first, so the misses of a burst still overlap.
 */
static inline void fp_view_lookup_burst(const struct fp_view *v,
					const uint32_t *ids, const uint16_t *apps,
					unsigned int n, const struct fp_tbl_slot **slot,
					const struct fp_tbl_app **app)
{
	const struct fp_tbl_hdr *from[32];
	unsigned int i;

	if (!v->ovl) {
		fp_table_lookup_burst(v->base, ids, apps, n, slot, app);
		return;
	}
	for (; n > 32; n -= 32, ids += 32, apps += 32, slot += 32, app += 32)
		fp_view_lookup_burst(v, ids, apps, 32, slot, app);
	for (i = 0; i < n; i++) {
		__builtin_prefetch(fp_table_home(v->ovl, ids[i]));
		__builtin_prefetch(fp_table_home(v->base, ids[i]));
	}
	for (i = 0; i < n; i++) {
		slot[i] = fp_view_device(v, ids[i], &from[i]);
		if (slot[i] && (slot[i]->apps & 31) > FP_TBL_INLINE_APPS)
			__builtin_prefetch(fp_table_apps(from[i]) + (slot[i]->apps >> 5));
	}
	for (i = 0; i < n; i++)
		app[i] = slot[i] ? fp_table_app(from[i], slot[i], apps[i]) : NULL;
}

#endif /* EDGESTEER_FP_VIEW_H */
