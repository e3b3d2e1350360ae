/* SPDX-License-Identifier: MIT */
/*
 * Weights files: a round trip restores every bit; a corrupted, truncated,
 * foreign, other-version or other-shape file is refused with its own error
 * and leaves the networks as they were; a version 1 file still loads; an
 * int8 quantisation section (nn_quant.h) is recorded, read back, and
 * refused (-EILSEQ) when unknown, truncated or not the quantisation of the
 * file's weights.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "nn.h"
#include "nn_file.h"
#include "nn_quant.h"

static char dir[64], path[128];

static uint8_t *slurp(size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	b = malloc(*len);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, *len, f), *len);
	fclose(f);
	return b;
}

static void spill(const char *p, const uint8_t *b, size_t len)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
}

/* FNV-1a, as the format defines, to forge a valid checksum. */
static void fix_checksum(uint8_t *b, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len - 8; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	for (int i = 0; i < 8; i++)
		b[len - 8 + i] = (uint8_t)(h >> (8 * i));
}

static struct nn *make(uint32_t hidden, uint64_t seed)
{
	struct nn *net;
	struct nn_rng rng;

	nn_rng_seed(&rng, seed);
	assert_int_equal(nn_create(&net, 2, (uint32_t[]){4, hidden, 3},
				   (enum nn_act[]){NN_ACT_RELU, NN_ACT_SIGMOID}, 1), 0);
	nn_init(net, &rng, 0);
	return net;
}

enum mutation { M_NONE, M_FLIP_PARAM, M_TRUNCATE, M_MAGIC, M_VERSION,
		M_SHAPE_FORGED };

static const struct {
	const char *name;
	enum mutation m;
	int expect;
} cases[] = {
	{ "intact", M_NONE, 0 },
	{ "one parameter bit flipped", M_FLIP_PARAM, -EBADMSG },
	{ "truncated", M_TRUNCATE, -EBADMSG },
	{ "foreign magic", M_MAGIC, -EBADMSG },
	{ "version 3, checksum forged", M_VERSION, -EPROTONOSUPPORT },
	{ "hidden width changed, checksum forged", M_SHAPE_FORGED, -EDOM },
};

static void test_file_cases(void **state)
{
	(void)state;
	struct nn *src[2] = { make(6, 1), make(6, 2) };
	size_t len, np;

	assert_int_equal(nn_file_save(path, src, 2), 0);
	for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
		uint8_t *b = slurp(&len);
		struct nn *dst[2] = { make(6, 10), make(6, 11) };
		float before[64];
		char mpath[160];

		switch (cases[ci].m) {
		case M_FLIP_PARAM:
			b[len - 20] ^= 0x10;
			break;
		case M_TRUNCATE:
			len -= 5;
			break;
		case M_MAGIC:
			b[0] = 'X';
			break;
		case M_VERSION:
			b[8] = 3;
			fix_checksum(b, len);
			break;
		case M_SHAPE_FORGED:
			/* first net's sizes[1] at 24 + 4 (nlayers) + 4 */
			b[32] = 7;
			fix_checksum(b, len);
			break;
		default:
			break;
		}
		snprintf(mpath, sizeof(mpath), "%s/m.bin", dir);
		spill(mpath, b, len);
		memcpy(before, nn_params(dst[0], &np), np * sizeof(float));
		int rc = nn_file_load(mpath, dst, 2);

		if (rc != cases[ci].expect)
			fail_msg("%s: got %d, expected %d", cases[ci].name, rc,
				 cases[ci].expect);
		for (int k = 0; k < 2 && rc == 0; k++)
			assert_memory_equal(nn_params(dst[k], NULL),
					    nn_params(src[k], NULL), np * sizeof(float));
		if (rc)
			assert_memory_equal(nn_params(dst[0], NULL), before,
					    np * sizeof(float));
		nn_free(dst[0]);
		nn_free(dst[1]);
		free(b);
	}
	nn_free(src[0]);
	nn_free(src[1]);
}

/* Any single corrupted byte anywhere is refused (the checksum covers all). */
static void test_file_every_byte(void **state)
{
	(void)state;
	struct nn *src[1] = { make(5, 1) };
	struct nn *dst[1] = { make(5, 2) };
	char mpath[160];
	size_t len;

	assert_int_equal(nn_file_save(path, src, 1), 0);
	uint8_t *b = slurp(&len);

	snprintf(mpath, sizeof(mpath), "%s/m.bin", dir);
	for (size_t i = 0; i < len; i++) {
		b[i] ^= 0x5a;
		spill(mpath, b, len);
		if (nn_file_load(mpath, dst, 1) == 0)
			fail_msg("byte %zu of %zu corrupted, yet loaded", i, len);
		b[i] ^= 0x5a;
	}
	free(b);
	nn_free(src[0]);
	nn_free(dst[0]);
}

/*
 * Two [4, 6, 3] networks: header 24, shapes 2·24, parameters 2·51·4, so
 * the quant word is at 480 and the int8 section starts at 484 with net
 * 0's layer 0: scales 484..507, weights 508..531 (out-major).
 */
#define Q_WORD		480u
#define Q_SCALE0	484u
#define Q_W0		508u

enum qmutation { Q_NONE, Q_V1, Q_WORD_UNKNOWN, Q_WEIGHT, Q_WEIGHT_M128,
		 Q_SCALE, Q_SCALE_NAN, Q_TRUNCATED, Q_FLOAT_CHANGED };

static void put_le(uint8_t *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static void test_file_quant(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint32_t save_quant;
		enum qmutation m;
		int expect;
		uint32_t quant;		/* reported when loaded */
	} qcases[] = {
		{ "int8, intact", NN_FILE_QUANT_INT8, Q_NONE, 0,
		  NN_FILE_QUANT_INT8 },
		{ "float, intact", NN_FILE_QUANT_NONE, Q_NONE, 0,
		  NN_FILE_QUANT_NONE },
		{ "version 1 file (no quant word)", NN_FILE_QUANT_NONE, Q_V1, 0,
		  NN_FILE_QUANT_NONE },
		{ "unknown quant word", NN_FILE_QUANT_NONE, Q_WORD_UNKNOWN,
		  -EILSEQ, 0 },
		{ "int8 weight off by one", NN_FILE_QUANT_INT8, Q_WEIGHT,
		  -EILSEQ, 0 },
		{ "int8 weight -128", NN_FILE_QUANT_INT8, Q_WEIGHT_M128,
		  -EILSEQ, 0 },
		{ "scale changed", NN_FILE_QUANT_INT8, Q_SCALE, -EILSEQ, 0 },
		{ "scale NaN", NN_FILE_QUANT_INT8, Q_SCALE_NAN, -EILSEQ, 0 },
		{ "section truncated", NN_FILE_QUANT_INT8, Q_TRUNCATED,
		  -EILSEQ, 0 },
		{ "float weight changed, section stale", NN_FILE_QUANT_INT8,
		  Q_FLOAT_CHANGED, -EILSEQ, 0 },
	};
	struct nn *src[2] = { make(6, 1), make(6, 2) };
	char mpath[160];
	size_t len, np;

	snprintf(mpath, sizeof(mpath), "%s/m.bin", dir);
	for (size_t ci = 0; ci < sizeof(qcases) / sizeof(qcases[0]); ci++) {
		struct nn *dst[2] = { make(6, 10), make(6, 11) };
		uint32_t quant = 99;
		float before[64], nan = NAN;
		uint8_t *b;

		assert_int_equal(nn_file_save_quant(path, src, 2,
						    qcases[ci].save_quant), 0);
		b = slurp(&len);
		assert_int_equal(len, qcases[ci].save_quant ? 648 : 492);
		switch (qcases[ci].m) {
		case Q_V1:
			/* drop the quant word: the version 1 layout */
			memmove(b + Q_WORD, b + Q_WORD + 4, len - Q_WORD - 4);
			len -= 4;
			b[8] = 1;
			put_le(b + 16, len, 8);
			break;
		case Q_WORD_UNKNOWN:
			b[Q_WORD] = 7;
			break;
		case Q_WEIGHT:
			b[Q_W0 + 3] = (uint8_t)(b[Q_W0 + 3] + 1);
			break;
		case Q_WEIGHT_M128:
			/* the column's extreme is ±127: -128 is never made */
			for (int i = 0; i < 4; i++)
				if (abs((int8_t)b[Q_W0 + i]) == 127)
					b[Q_W0 + i] = 0x80;
			break;
		case Q_SCALE:
			b[Q_SCALE0 + 1] ^= 0x01;
			break;
		case Q_SCALE_NAN:
			memcpy(b + Q_SCALE0, &nan, 4);
			break;
		case Q_TRUNCATED:
			len -= 1;
			memmove(b + len - 8, b + len - 7, 7);
			put_le(b + 16, len, 8);
			break;
		case Q_FLOAT_CHANGED:
			/* net 0's first weight, at 24 + 48 */
			b[72 + 3] ^= 0x04;
			break;
		default:
			break;
		}
		fix_checksum(b, len);
		spill(mpath, b, len);
		nn_params(dst[0], &np);
		memcpy(before, nn_params(dst[0], NULL), np * sizeof(float));
		int rc = nn_file_load_quant(mpath, dst, 2, &quant);

		if (rc != qcases[ci].expect)
			fail_msg("%s: got %d, expected %d", qcases[ci].name, rc,
				 qcases[ci].expect);
		if (rc == 0) {
			assert_int_equal(quant, qcases[ci].quant);
			for (int k = 0; k < 2; k++)
				assert_memory_equal(nn_params(dst[k], NULL),
						    nn_params(src[k], NULL),
						    np * sizeof(float));
		} else {
			assert_int_equal(quant, 99);
			assert_memory_equal(nn_params(dst[0], NULL), before,
					    np * sizeof(float));
			assert_non_null(strstr(nn_file_strerror(rc), "quantis"));
		}
		nn_free(dst[0]);
		nn_free(dst[1]);
		free(b);
	}
	nn_free(src[0]);
	nn_free(src[1]);
}

static void test_file_mismatch(void **state)
{
	(void)state;
	struct nn *src[2] = { make(6, 1), make(6, 2) };
	struct nn *wide[2] = { make(7, 3), make(7, 4) };
	char missing[160];

	assert_int_equal(nn_file_save(path, src, 2), 0);
	/* other shapes, other count */
	assert_int_equal(nn_file_load(path, wide, 2), -EDOM);
	assert_int_equal(nn_file_load(path, src, 1), -EDOM);
	snprintf(missing, sizeof(missing), "%s/none.bin", dir);
	assert_int_equal(nn_file_load(missing, src, 2), -ENOENT);
	/* no temporary left behind */
	assert_int_equal(access(path, F_OK), 0);
	for (int k = 0; k < 2; k++) {
		nn_free(src[k]);
		nn_free(wide[k]);
	}
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/nn_file_test.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/w.bin", dir);
	return 0;
}

static int teardown(void **state)
{
	char p[160];

	(void)state;
	unlink(path);
	snprintf(p, sizeof(p), "%s/m.bin", dir);
	unlink(p);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_cases),
		cmocka_unit_test(test_file_mismatch),
		cmocka_unit_test(test_file_every_byte),
		cmocka_unit_test(test_file_quant),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
