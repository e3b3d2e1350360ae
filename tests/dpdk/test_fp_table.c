/* SPDX-License-Identifier: MIT */
/*
 * The table builder and validator (no DPDK): the fixture world compiles and
 * every lookup gives the world's answer; a synthetic 100k-device table finds
 * every device and no absent one; every kind of bad blob is refused with its
 * named rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>
#include <linux/types.h>

#include "esop.h"
#include "esop_fixtures.h"
#include "fp_table.h"
#include "fp_testlib.h"

static void *build(const struct es_policy *p, size_t *len)
{
	int64_t n = fp_table_size(p);
	void *b;

	assert_true(n > 0);
	b = aligned_alloc(64, ((size_t)n + 63) & ~(size_t)63);
	assert_non_null(b);
	assert_int_equal(fp_table_build(p, b, (size_t)n), n);
	*len = (size_t)n;
	return b;
}

static void test_world_lookups(void **state)
{
	const struct esop_fix_world *w = &esop_fix_world;
	struct es_policy p;
	size_t len;
	void *b;
	const struct fp_tbl_hdr *t;

	(void)state;
	assert_int_equal(fp_test_world_policy(&p), 0);
	b = build(&p, &len);
	t = b;
	assert_int_equal(fp_table_validate(b, len, NULL, NULL), 0);
	assert_int_equal(t->epoch, w->epoch);
	for (unsigned int i = 0; i < w->ndevices; i++) {
		const struct esop_fix_device *d = &w->devices[i];
		const struct fp_tbl_slot *s = fp_table_device(t, d->id);

		assert_non_null(s);
		assert_int_equal(s->rate_kbps, d->rate_kbps);
		assert_int_equal(s->burst_bytes, d->burst_bytes);
		for (unsigned int a = 0; a < d->napps; a++) {
			const struct fp_tbl_app *ap = fp_table_app(t, s, d->apps[a].app);

			assert_non_null(ap);
			assert_int_equal(ap->split_layer, d->apps[a].split_layer);
			if (d->apps[a].server < 0) {
				assert_int_equal(ap->target_kind, ESOP_TARGET_LOCAL);
			} else {
				assert_int_equal(ap->server, d->apps[a].server);
				assert_int_equal(ap->target_kind, w->servers[d->apps[a].server].kind);
			}
		}
		assert_null(fp_table_app(t, s, 9));
	}
	assert_null(fp_table_device(t, 999999));
	for (unsigned int i = 0; i < w->nservers; i++) {
		const struct esop_fix_server *s = &w->servers[i];

		assert_int_equal(fp_table_server_by_addr(t, s->ipv6 ? s->host.ip6 : s->host.ip4,
							 s->ipv6), (int)i);
	}
	/* edge0, cloud0, edge6, cloud6: index inside the kind */
	assert_int_equal(fp_table_servers(t)[2].kind_index, 1);
	assert_int_equal(fp_table_servers(t)[3].kind_index, 1);
	free(b);
	fp_test_policy_free(&p);
}

static void test_synthetic_100k(void **state)
{
	struct es_policy p;
	size_t len;
	void *b;

	(void)state;
	assert_int_equal(fp_test_synth_policy(&p, 100000, 3, 5, 2, 1000,
					      ESOP_TARGET_EDGE), 0);
	b = build(&p, &len);
	assert_int_equal(fp_table_validate(b, len, NULL, NULL), 0);
	for (uint32_t id = 1; id <= 100000; id++) {
		const struct fp_tbl_slot *s = fp_table_device(b, id);

		assert_non_null(s);
		assert_int_equal(s->device_id, id);
		assert_non_null(fp_table_app(b, s, 3));
	}
	for (uint32_t id = 100001; id < 101000; id++)
		assert_null(fp_table_device(b, id));
	free(b);
	fp_test_policy_free(&p);
}

enum corrupt { C_TRUNC_HDR, C_TRUNC, C_MAGIC, C_VERSION, C_CSUM, C_OVER_DEVICES,
	       C_SERVER_PORT, C_APPS_OFF, C_OFFSETS };

static void test_bad_blobs(void **state)
{
	static const struct {
		const char *name;
		enum corrupt how;
		int err;
		const char *why;	/* a word the reason must contain */
	} rows[] = {
		{ "truncated header", C_TRUNC_HDR, -EBADMSG, "truncated" },
		{ "truncated body", C_TRUNC, -EBADMSG, "total_bytes" },
		{ "wrong magic", C_MAGIC, -EPROTO, "magic" },
		{ "wrong version", C_VERSION, -EPROTONOSUPPORT, "version" },
		{ "bad checksum", C_CSUM, -EBADMSG, "checksum" },
		{ "over device limit", C_OVER_DEVICES, -E2BIG, "ndevices" },
		{ "server port beyond ports", C_SERVER_PORT, -EINVAL, "port" },
		{ "apps outside the array", C_APPS_OFF, -EINVAL, "apps" },
		{ "region outside the blob", C_OFFSETS, -EINVAL, "offsets" },
	};
	struct es_policy p;
	size_t len;
	void *good, *b;

	(void)state;
	assert_int_equal(fp_test_world_policy(&p), 0);
	good = build(&p, &len);
	b = malloc(len);
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct fp_table_limits lim = { 0 };
		struct fp_tbl_hdr *h = b;
		size_t blen = len;
		const char *why = NULL;
		int resum = 1;

		memcpy(b, good, len);
		switch (rows[r].how) {
		case C_TRUNC_HDR: blen = 100; resum = 0; break;
		case C_TRUNC: blen = len - 8; resum = 0; break;
		case C_MAGIC: h->magic ^= 1; break;
		case C_VERSION: h->version = 2; break;
		case C_CSUM: ((uint8_t *)b)[len - 1] ^= 0x40; resum = 0; break;
		case C_OVER_DEVICES: lim.max_devices = 4; break;
		case C_SERVER_PORT: lim.nports = 2; break;
		case C_APPS_OFF: {
			struct fp_tbl_slot *s = (struct fp_tbl_slot *)fp_table_device(b, 1);

			s->apps = (1000u << 5) | 3;
			break;
		}
		case C_OFFSETS: h->apps_off = len; break;
		}
		/* keep the checksum right so the rule under test is the one that fails */
		if (resum)
			h->checksum = fp_table_checksum((uint8_t *)b + FP_TABLE_CSUM_OFF,
							len - FP_TABLE_CSUM_OFF);
		int err = fp_table_validate(b, blen, &lim, &why);

		if (err != rows[r].err || !why || !strstr(why, rows[r].why))
			fail_msg("%s: got %d (%s), expected %d (%s)", rows[r].name, err,
				 why ? why : "-", rows[r].err, rows[r].why);
	}
	free(b);
	free(good);
	fp_test_policy_free(&p);
}

/* A policy the builder cannot compile is refused, nothing written past cap. */
static void test_build_refuses(void **state)
{
	struct es_policy p;
	uint8_t small[64];

	(void)state;
	assert_int_equal(fp_test_world_policy(&p), 0);
	assert_int_equal(fp_table_build(&p, small, sizeof(small)), -ENOSPC);
	p.apps[0].server = 1;	/* edge app pointing at a cloud server */
	size_t n = (size_t)fp_table_size(&p);
	void *b = aligned_alloc(64, (n + 63) & ~(size_t)63);
	assert_int_equal(fp_table_build(&p, b, n), -EINVAL);
	free(b);
	fp_test_policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_world_lookups),
		cmocka_unit_test(test_synthetic_100k),
		cmocka_unit_test(test_bad_blobs),
		cmocka_unit_test(test_build_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
