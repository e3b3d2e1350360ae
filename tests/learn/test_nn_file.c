/* SPDX-License-Identifier: MIT */
/*
 * Weights files: a round trip restores every bit; a corrupted, truncated,
 * foreign, other-version or other-shape file is refused with its own error
 * and leaves the networks as they were.
 */
#include <errno.h>
#include <fcntl.h>
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
	{ "version 2, checksum forged", M_VERSION, -EPROTONOSUPPORT },
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
			b[8] = 2;
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
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
