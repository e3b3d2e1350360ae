/* SPDX-License-Identifier: MIT */
/*
 * slots: the loader's allocator of es_meters slots (docs/xdp.md, meters).
 * Each device of a table version names a slot; refs counts the versions
 * (active, inactive) naming each. A slot no version names any more is free
 * at once when only the inactive version named it (no frame reads that
 * one), or pending until the next RCU grace period when the active one did
 * (a frame in flight may still hold the old device entry). Userspace only;
 * the caller waits the grace periods.
 */
#ifndef EDGESTEER_SLOTS_H
#define EDGESTEER_SLOTS_H

#include <stdint.h>

struct slots {
	uint8_t *refs;		/* versions naming the slot: 0..2 */
	uint32_t *free;		/* named by nothing, used by no frame */
	uint32_t nfree;
	uint32_t *pending;	/* named by nothing, maybe by a frame */
	uint32_t npending;
	uint32_t n;
};

/* @n slots, all free: 0 or -ENOMEM. */
int slots_init(struct slots *s, uint32_t n);
void slots_free(struct slots *s);

/* A free slot, named once: 0, -EAGAIN (only pending ones: wait a grace
 * period, call slots_grace_done(), try again) or -ENOSPC. */
int slots_take(struct slots *s, uint32_t *slot);
/* One more version names @slot (out of range: ignored). */
void slots_ref(struct slots *s, uint32_t slot);
/* One version fewer; @in_flight: the active one, so frames may still use it. */
void slots_unref(struct slots *s, uint32_t slot, int in_flight);
/* A grace period has passed: pending slots are free. */
void slots_grace_done(struct slots *s);

/* Rebuilding from the maps: reset, slots_ref() every named slot, settle. */
void slots_reset(struct slots *s);
void slots_settle(struct slots *s);

#endif /* EDGESTEER_SLOTS_H */
