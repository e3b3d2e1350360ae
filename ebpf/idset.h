/* SPDX-License-Identifier: MIT */
/*
 * idset: a set of non-zero 32-bit ids, each with a 32-bit value (the
 * device ids of a table version and their meter slots, for the loader's
 * bookkeeping), open addressing with linear probing and backward-shift
 * deletion: add, remove and look up in O(1), so a delta of K devices costs
 * O(K) whatever the table's size.
 */
#ifndef EDGESTEER_IDSET_H
#define EDGESTEER_IDSET_H

#include <stdint.h>

struct idset {
	uint32_t *slot;		/* 0 = empty (0 is never an id) */
	uint32_t *val;		/* the value of slot[i] */
	uint32_t bits;		/* 1 << bits slots, at least twice the capacity */
	uint32_t n;
};

/* Room for @cap ids: 0 or -ENOMEM. */
int idset_init(struct idset *s, uint32_t cap);
void idset_free(struct idset *s);
void idset_clear(struct idset *s);
int idset_has(const struct idset *s, uint32_t id);
/* 1 when added, 0 when already there (or id 0, or full). */
int idset_add(struct idset *s, uint32_t id);
/* Adds @id or overwrites its value: 1 when added, 0 when overwritten, -1 (id 0, full). */
int idset_put(struct idset *s, uint32_t id, uint32_t val);
/* 1 and *val when @id is there, else 0. */
int idset_get(const struct idset *s, uint32_t id, uint32_t *val);
/* Calls @fn for every id and its value, in no order. */
void idset_each(const struct idset *s, void (*fn)(void *arg, uint32_t id, uint32_t val),
		void *arg);
/* 1 when removed, 0 when absent. */
int idset_del(struct idset *s, uint32_t id);

#endif /* EDGESTEER_IDSET_H */
