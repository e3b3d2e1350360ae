/* SPDX-License-Identifier: MIT */
/*
 * For the targets of the fast path's binary blobs (tables, deltas): the
 * input copied to memory aligned as mmap gives a memfd's pages, since the
 * validators may assume 8-byte alignment. Aborts when out of memory.
 */
#ifndef EDGESTEER_FUZZ_BLOB_H
#define EDGESTEER_FUZZ_BLOB_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline uint8_t *fuzz_blob_copy(const uint8_t *data, size_t size)
{
	uint8_t *copy = aligned_alloc(8, size ? (size + 7) & ~(size_t)7 : 8);

	if (!copy)
		abort();
	memcpy(copy, data, size);
	return copy;
}

#endif /* EDGESTEER_FUZZ_BLOB_H */
