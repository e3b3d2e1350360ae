/* SPDX-License-Identifier: MIT */
/*
 * The shared parser over the whole fixture corpus, in userspace: the parser
 * result and drop reason of every frame, the header fields of the good ones,
 * the full verdict in the fixture world, and that the corpus covers every
 * MALFORMED rule and every verdict class over every encapsulation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/types.h>

#include "esop_fixtures.h"
#include "esop_parse.h"

static struct esop_fixture *fx;
static size_t nfx;

static int setup(void **state)
{
	(void)state;
	return esop_fixtures_build(&fx, &nfx);
}

static int teardown(void **state)
{
	(void)state;
	free(fx);
	return 0;
}

static int parse(const struct esop_fixture *f, struct esop_pkt *pkt)
{
	struct esop_parse_cfg cfg = { 0 };

	memset(pkt, 0, sizeof(*pkt));
	return esop_parse(f->frame, f->frame + f->len, &cfg, pkt);
}

static void test_parse_results(void **state)
{
	(void)state;
	for (size_t i = 0; i < nfx; i++) {
		struct esop_pkt pkt;
		int v = parse(&fx[i], &pkt);

		if (v != fx[i].parse || pkt.drop_reason != fx[i].reason)
			fail_msg("%s: parse %s/%s, expected %s/%s", fx[i].name,
				 esop_verdict_names[v], esop_drop_names[pkt.drop_reason],
				 esop_verdict_names[fx[i].parse],
				 esop_drop_names[fx[i].reason]);
		if (v == ESOP_V_NEEDS_TABLE) {
			assert_int_equal(pkt.type, fx[i].type);
			assert_int_equal(pkt.device_id, fx[i].device_id);
			assert_int_equal(pkt.app_id, fx[i].app_id);
		}
	}
}

/* The reference judge: world lookups and byte buckets without refill. */
static void test_verdicts_in_world(void **state)
{
	uint32_t used[1024] = { 0 };

	(void)state;
	for (size_t i = 0; i < nfx; i++) {
		struct esop_pkt pkt;
		int v = parse(&fx[i], &pkt);

		if (v == ESOP_V_NEEDS_TABLE)
			v = esop_verdict_of_type(&pkt);
		if (v == ESOP_V_NEEDS_TABLE && pkt.type == ESOP_T_RESULT) {
			v = esop_verdict_of_result(
				esop_fix_server_by_addr(pkt.saddr, pkt.ipv6) >= 0);
		} else if (v == ESOP_V_NEEDS_TABLE) {
			const struct esop_fix_device *d = esop_fix_device(pkt.device_id);
			int target = ESOP_TARGET_LOCAL, conforms = 0;

			if (d) {
				uint32_t *u = &used[d - esop_fix_world.devices];

				conforms = *u + fx[i].len <= d->burst_bytes;
				if (conforms)
					*u += fx[i].len;
				for (unsigned int a = 0; a < d->napps; a++)
					if (d->apps[a].app == pkt.app_id && d->apps[a].server >= 0)
						target = esop_fix_world.servers[d->apps[a].server].kind;
			}
			v = esop_verdict_of_uplink(&pkt, d != NULL, conforms, target);
		}
		if (v != fx[i].verdict)
			fail_msg("%s: verdict %s, expected %s", fx[i].name,
				 esop_verdict_names[v], esop_verdict_names[fx[i].verdict]);
	}
}

static void test_corpus_covers_every_rule(void **state)
{
	(void)state;
	for (int e = 0; e < ESOP_ENC__COUNT; e++) {
		int reasons[ESOP_DROP__COUNT] = { 0 }, verdicts[ESOP_V__COUNT] = { 0 };
		int gtp = e == ESOP_ENC_GTPU_V4 || e == ESOP_ENC_GTPU_V6;

		for (size_t i = 0; i < nfx; i++) {
			if (fx[i].encap != e)
				continue;
			reasons[fx[i].reason]++;
			verdicts[fx[i].verdict]++;
		}
		for (int r = ESOP_DROP_SHORT; r < ESOP_DROP__COUNT; r++)
			if (!reasons[r] && (r != ESOP_DROP_GTP_LEN || gtp))
				fail_msg("%s: no frame for %s", esop_gen_encap_names[e],
					 esop_drop_names[r]);
		for (int v = ESOP_V_MALFORMED; v < ESOP_V_NEEDS_TABLE; v++)
			if (!verdicts[v])
				fail_msg("%s: no frame for %s", esop_gen_encap_names[e],
					 esop_verdict_names[v]);
	}
	int ordinary = 0;
	for (size_t i = 0; i < nfx; i++)
		ordinary += fx[i].encap < 0;
	assert_true(ordinary >= 10);
}

static const struct esop_fixture *find(const char *name)
{
	for (size_t i = 0; i < nfx; i++)
		if (!strcmp(fx[i].name, name))
			return &fx[i];
	fail_msg("no fixture %s", name);
	return NULL;
}

/* Offsets and fields that the fast path's rewrite and reply depend on. */
static void test_parsed_layout(void **state)
{
	static const uint8_t dev4[4] = { 198, 18, 0, 11 }, ap4[4] = { 198, 18, 0, 1 };
	struct esop_pkt pkt;

	(void)state;
	assert_int_equal(parse(find("v4/tensor_edge"), &pkt), ESOP_V_NEEDS_TABLE);
	assert_int_equal(pkt.l3_off, 14);
	assert_int_equal(pkt.ip_off, 14);
	assert_int_equal(pkt.udp_off, 34);
	assert_int_equal(pkt.esop_off, 42);
	assert_int_equal(pkt.payload_off, 74);
	assert_int_equal(pkt.payload_len, 256);
	assert_int_equal(pkt.total_len, 1024);
	assert_int_equal(pkt.snr_qdb, 80);
	assert_int_equal(pkt.src_port, 7447);
	assert_memory_equal(pkt.saddr, dev4, 4);
	assert_memory_equal(pkt.daddr, ap4, 4);

	assert_int_equal(parse(find("vlan_v6/req_options"), &pkt), ESOP_V_NEEDS_TABLE);
	assert_true(pkt.has_vlan && pkt.ipv6 && pkt.outer_ipv6);
	assert_int_equal(pkt.vlan_tci, 100);
	assert_int_equal(pkt.esop_off, 18 + 40 + 8);
	assert_int_equal(pkt.hdr_len, 10);
	assert_int_equal(pkt.payload_len, 0);

	assert_int_equal(parse(find("gtpu_v4/tensor_gtpu_pdu_session"), &pkt),
			 ESOP_V_NEEDS_TABLE);
	assert_true(pkt.gtpu && !pkt.ipv6);
	assert_int_equal(pkt.gtpu_teid, 0x1000 + ESOP_ENC_GTPU_V4);
	assert_int_equal(pkt.gtpu_off, 14 + 20 + 8);
	assert_int_equal(pkt.ip_off, 14 + 20 + 8 + 16);
	assert_int_equal(pkt.flags, 0);

	assert_int_equal(parse(find("gtpu_v6/req_gtpu_seq"), &pkt), ESOP_V_NEEDS_TABLE);
	assert_int_equal(pkt.ip_off, 14 + 40 + 8 + 12);
}

/* A non-default port: the default port is then ordinary UDP. */
static void test_configured_port(void **state)
{
	const struct esop_fixture *f = find("v4/req");
	struct esop_parse_cfg cfg = { .esop_port = 9000 };
	struct esop_pkt pkt;

	(void)state;
	assert_int_equal(esop_parse(f->frame, f->frame + f->len, &cfg, &pkt),
			 ESOP_V_NOT_ESOP);
	cfg.esop_port = 0;
	cfg.gtpu_off = 1;
	f = find("gtpu_v4/req");
	assert_int_equal(esop_parse(f->frame, f->frame + f->len, &cfg, &pkt),
			 ESOP_V_NOT_ESOP);
}

/* Every prefix of every frame parses without reading past its end (ASan). */
static void test_truncations_are_safe(void **state)
{
	struct esop_parse_cfg cfg = { 0 };
	struct esop_pkt pkt;

	(void)state;
	for (size_t i = 0; i < nfx; i++) {
		for (uint16_t n = 0; n < fx[i].len; n++) {
			uint8_t *copy = malloc(n ? n : 1);

			memcpy(copy, fx[i].frame, n);
			int v = esop_parse(copy, copy + n, &cfg, &pkt);
			/* a cut frame is never taken for a good ESOP frame */
			assert_true(v != ESOP_V_NEEDS_TABLE || n == fx[i].len ||
				    fx[i].parse == ESOP_V_NEEDS_TABLE);
			free(copy);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_results),
		cmocka_unit_test(test_verdicts_in_world),
		cmocka_unit_test(test_corpus_covers_every_rule),
		cmocka_unit_test(test_parsed_layout),
		cmocka_unit_test(test_configured_port),
		cmocka_unit_test(test_truncations_are_safe),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
