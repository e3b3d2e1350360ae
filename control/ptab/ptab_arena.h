/* SPDX-License-Identifier: MIT */
/*
 * A bump allocator for cJSON (internal to ptab). Parsing a 1M-device table
 * makes ~840 MB of cJSON nodes; with malloc most of the time goes to
 * first-touch page faults. The arena is one pre-faulted mapping, kept and
 * reused between loads, so the second and later loads fault nothing; the
 * whole tree is dropped at once by resetting it.
 */
#ifndef EDGESTEER_PTAB_ARENA_H
#define EDGESTEER_PTAB_ARENA_H

#include <stddef.h>

/*
 * Installs the arena as cJSON's allocator, sized for about @hint bytes of
 * nodes (it grows past that if needed). Returns 0 or -ENOMEM.
 */
int ptab_arena_begin(size_t hint);

/* Drops everything allocated since begin and gives cJSON malloc back. */
void ptab_arena_end(void);

#endif /* EDGESTEER_PTAB_ARENA_H */
