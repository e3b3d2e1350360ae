/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: weights files (nn_file_load), into DDLO's five 9-120-80-9
 * networks (the shipped models/ddlo file) and into one small 2-3-2 network.
 * Each input is loaded as it is, then again with its size field and FNV
 * checksum made right, so the fuzzer gets past the checksum to the shape
 * checks. A refused file must leave the networks as they were; an accepted
 * one holds finite weights only, and reports a known quantisation. Seeds:
 * the shipped version 1 file and generated version 2 files with and
 * without an int8 section (fuzz_seeds.c).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "fuzz_file.h"
#include "nn_file.h"

#define NDDLO	5

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void load_check(const uint8_t *data, size_t size, struct nn *const *nets,
		       uint32_t nnets)
{
	size_t np;
	const float *w = nn_params(nets[0], &np);
	float *before = malloc(np * sizeof(*w));
	uint32_t quant = 99;
	int rc;

	if (!before)
		abort();
	memcpy(before, w, np * sizeof(*w));
	rc = nn_file_load_quant(fuzz_file(data, size), nets, nnets, &quant);
	if (rc && rc != -EBADMSG && rc != -EPROTONOSUPPORT && rc != -EDOM &&
	    rc != -EILSEQ)
		abort();
	if (rc ? quant != 99 : quant > NN_FILE_QUANT_INT8)
		abort();		/* quant reported wrongly */
	if (rc && memcmp(before, w, np * sizeof(*w)))
		abort();		/* a refused file changed a network */
	for (size_t i = 0; !rc && i < np; i++)
		if (!isfinite(w[i]))
			abort();	/* a NaN or infinite weight loaded */
	free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nn *ddlo[NDDLO], *small;
	uint8_t *fixed;

	if (!small) {
		const uint32_t ds[4] = { 9, 120, 80, 9 }, ss[3] = { 2, 3, 2 };
		const enum nn_act da[3] = { NN_ACT_RELU, NN_ACT_RELU, NN_ACT_SIGMOID };
		const enum nn_act sa[2] = { NN_ACT_RELU, NN_ACT_SIGMOID };

		for (int k = 0; k < NDDLO; k++)
			if (nn_create(&ddlo[k], 3, ds, da, 1))
				abort();
		if (nn_create(&small, 2, ss, sa, 1))
			abort();
	}
	load_check(data, size, ddlo, NDDLO);
	load_check(data, size, &small, 1);
	if (size < 32)
		return 0;
	fixed = malloc(size);
	if (!fixed)
		abort();
	memcpy(fixed, data, size);
	put_u64(fixed + 16, size);
	put_u64(fixed + size - 8, fnv1a(fixed, size - 8));
	load_check(fixed, size, ddlo, NDDLO);
	load_check(fixed, size, &small, 1);
	free(fixed);
	return 0;
}
