/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: compiled fast-path deltas (fp_delta_validate, then
 * fp_view_fold), what edgesteer-dp maps from an FP_MSG_PUSH_DELTA before
 * it publishes a new view. The base is the fixture world's table. Each
 * input is checked as it is, then again with its length, checksum, server
 * sum and base epoch made right so the fuzzer reaches the checks behind
 * them. A delta that folds must give a view in which every device it adds
 * or replaces is found with its rate, every device it removes is gone, and
 * whose merge is a table fp_table_validate() accepts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esop_fixtures.h"
#include "fuzz_blob.h"
#include "fp_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fp_view base_view;

static int base_init(void)
{
	struct es_policy pol;
	int64_t n;
	void *blob;

	if (base_view.base)
		return 0;
	if (esop_fix_world_policy(&pol))
		abort();
	n = fp_table_size(&pol);
	blob = n > 0 ? aligned_alloc(8, (size_t)n) : NULL;
	if (!blob || fp_table_build(&pol, blob, (size_t)n) != n)
		abort();
	esop_fix_world_policy_free(&pol);
	fp_view_of_base(&base_view, blob);	/* kept for the process */
	return 0;
}

static void check_folded(const struct fp_view *v, const struct fp_dlt_hdr *h)
{
	const struct fp_tbl_slot *devs = (const void *)((const uint8_t *)h + h->devs_off);
	const uint32_t *rm = (const void *)((const uint8_t *)h + h->remove_off);
	const struct fp_tbl_hdr *from, *merged;
	size_t len;

	for (uint32_t i = 0; i < h->ndevices; i++) {
		const struct fp_tbl_slot *s = fp_view_device(v, devs[i].device_id, &from);

		if (!s || s->rate_kbps != devs[i].rate_kbps)
			abort();	/* a device the delta sets that the view lacks */
	}
	for (uint32_t i = 0; i < h->nremove; i++)
		if (fp_view_device(v, rm[i], &from))
			abort();	/* a removed device still found */
	if (fp_view_merge(v, &merged, &len))
		return;		/* -ENOMEM only */
	if (fp_table_validate(merged, len, NULL, NULL))
		abort();	/* a merge the fast path would refuse */
	fp_view_base_free(merged, len);
}

static void check(const uint8_t *blob, size_t len)
{
	const struct fp_tbl_hdr *b = base_view.base;
	const struct fp_tbl_server *servers = fp_table_servers(b);
	const struct fp_tbl_hdr *ovl;
	struct fp_view out;
	const char *why = NULL;
	int rc = fp_delta_validate(blob, len, NULL, servers, b->nservers, &why);

	if (rc) {
		if (rc > 0 || !why)
			abort();	/* a refusal must name its reason */
		return;
	}
	why = NULL;
	rc = fp_view_fold(&base_view, blob, 0, 1u << 20, &ovl, &out, &why);
	if (rc) {
		if (rc > 0 || !why)
			abort();
		return;
	}
	check_folded(&out, (const struct fp_dlt_hdr *)blob);
	fp_view_ovl_free(ovl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;
	size_t len;

	if (size > (1u << 20) || base_init())
		return 0;
	len = size & ~(size_t)7;
	copy = fuzz_blob_copy(data, size);
	check(copy, size);
	if (len >= sizeof(struct fp_dlt_hdr)) {
		struct fp_dlt_hdr *h = (struct fp_dlt_hdr *)copy;
		const struct fp_tbl_hdr *b = base_view.base;

		h->total_bytes = len;
		h->base_epoch = b->epoch;
		h->servers_sum = fp_delta_servers_sum(fp_table_servers(b), b->nservers);
		h->checksum = fp_table_checksum(copy + FP_TABLE_CSUM_OFF,
						len - FP_TABLE_CSUM_OFF);
		check(copy, len);
	}
	free(copy);
	return 0;
}
