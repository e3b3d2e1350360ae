/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: DIL demonstration files (dil_set_read). Each input is read as
 * it is, then again with its CRC-32 made right, so the fuzzer gets past the
 * checksum to the header, range and label checks.
 */
#include <errno.h>
#include <string.h>

#include "dil_set.h"
#include "fuzz_file.h"

static void read_check(const uint8_t *data, size_t size)
{
	struct dil_set *s = NULL;
	char err[256] = "";
	int rc = dil_set_read(fuzz_file(data, size), &s, err, sizeof(err));

	if (rc) {
		if (!err[0] || s)
			abort();
		return;
	}
	if (!s || !s->count)
		abort();
	dil_set_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;
	uint32_t crc;

	read_check(data, size);
	if (size < 8)
		return 0;
	fixed = malloc(size);
	if (!fixed)
		abort();
	memcpy(fixed, data, size);
	crc = dil_crc32(0, fixed, size - 4);
	for (int i = 0; i < 4; i++)
		fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
	read_check(fixed, size);
	free(fixed);
	return 0;
}
