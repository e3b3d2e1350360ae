/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: compiled fast-path table blobs (fp_table_validate), what
 * edgesteer-dp maps from the control socket before publishing it. Each input
 * is checked as it is, then again with its length and checksum made right so
 * the fuzzer reaches the structural checks behind them. A blob the validator
 * accepts must be safe for the data path's lookups: every device and app
 * lookup stays inside the blob (ASan) and ends within max_probe.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "esop.h"
#include "fuzz_blob.h"
#include "fp_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *blob, size_t len)
{
	const struct fp_tbl_hdr *h = (const struct fp_tbl_hdr *)blob;
	const char *why = NULL;
	int rc = fp_table_validate(blob, len, NULL, &why);

	if (rc) {
		if (rc > 0 || !why)
			abort();	/* a refusal must name its reason */
		return;
	}
	const struct fp_tbl_slot *slots = fp_table_slots(h);
	uint32_t nslots = 1u << h->slot_bits;

	for (uint32_t i = 0; i < nslots; i++) {
		uint32_t id = slots[i].device_id;
		const struct fp_tbl_slot *d = id ? fp_table_device(h, id) : NULL;

		if (id && d != &slots[i])
			abort();	/* a listed device the lookup cannot find */
		for (uint32_t k = 0; d && k < (d->apps & 31u); k++) {
			const struct fp_tbl_app *a =
				k < FP_TBL_INLINE_APPS ? &d->inl[k]
						       : fp_table_apps(h) + (d->apps >> 5) +
							 (k - FP_TBL_INLINE_APPS);
			const struct fp_tbl_app *found = fp_table_app(h, d, a->app);

			if (!found || found->target_kind > ESOP_TARGET_CLOUD)
				abort();
		}
	}
	(void)fp_table_device(h, 0xffffffffu);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;
	size_t len;

	if (size > (1u << 20))
		return 0;
	len = size & ~(size_t)7;
	copy = fuzz_blob_copy(data, size);
	check(copy, size);
	if (len >= sizeof(struct fp_tbl_hdr)) {
		struct fp_tbl_hdr *h = (struct fp_tbl_hdr *)copy;

		h->total_bytes = len;
		h->checksum = fp_table_checksum(copy + FP_TABLE_CSUM_OFF,
						len - FP_TABLE_CSUM_OFF);
		check(copy, len);
	}
	free(copy);
	return 0;
}
