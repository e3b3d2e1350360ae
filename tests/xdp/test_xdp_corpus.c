/* SPDX-License-Identifier: MIT */
/*
 * The classifier over the whole fixture corpus, through the real verifier
 * and BPF_PROG_TEST_RUN: the fixture world is pushed through the loader,
 * the frames of build/tools/fixtures.pcap are replayed in order from full
 * buckets (expected results from fixtures.tsv, arguments 1 and 2), and for each frame
 * the XDP action, the verdict counter, the drop-reason counter and the
 * device's meter counters must move exactly as the fixture says.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "esop_fixtures.h"
#include "xdp_corpus.h"
#include "xdp_world.h"
#include "xdpc.h"

static struct xdpc *x;
static struct esop_fixture *fx;
static size_t nfx;

/* The action PROTOCOL.md gives a verdict here (no AF_XDP socket bound). */
static unsigned int expected_action(int verdict)
{
	switch (verdict) {
	case ESOP_V_NOT_ESOP:
	case ESOP_V_REQUEST:
	case ESOP_V_FORWARD:
	case ESOP_V_LOCAL:
	case ESOP_V_RETURN:
		return XDP_PASS;	/* NOT_ESOP, or redirect's fallback */
	default:
		return XDP_DROP;	/* unknown devices: the world drops them */
	}
}

static int redirected(int verdict)
{
	return verdict >= ESOP_V_REQUEST && verdict <= ESOP_V_RETURN;
}

static int metered(const struct esop_fixture *f)
{
	return f->verdict == ESOP_V_OVER_RATE || f->verdict == ESOP_V_REQUEST ||
	       f->verdict == ESOP_V_FORWARD || f->verdict == ESOP_V_LOCAL;
}

static void test_corpus_verdicts(void **state)
{
	int prog = xdpc_prog_fd(x);
	size_t checked = 0;

	(void)state;
	for (size_t i = 0; i < nfx; i++) {
		const struct esop_fixture *f = &fx[i];
		struct es_xdp_stats a, b, want;
		struct es_xdp_meter ma = { 0 }, mb = { 0 };
		uint32_t ret;

		/* the kernel hands XDP no frame shorter than an Ethernet header */
		if (f->len < 14)
			continue;
		assert_int_equal(xdpc_read_stats(x, &a), 0);
		if (f->device_id)
			xdpc_read_meter(x, f->device_id, &ma);	/* absent: zero */
		assert_int_equal(xdp_run(prog, f->frame, f->len, 1, &ret, NULL), 0);
		assert_int_equal(xdpc_read_stats(x, &b), 0);

		want = a;
		/* bindings are learned as devices show up (test_xdp_bind); none is spoofed */
		want.bind_learned = b.bind_learned;
		want.verdict[f->verdict]++;
		if (f->verdict == ESOP_V_MALFORMED)
			want.reason[f->reason]++;
		want.action[expected_action(f->verdict)]++;
		if (redirected(f->verdict))
			want.no_xsk++;
		if (ret != expected_action(f->verdict) || memcmp(&want, &b, sizeof(b))) {
			int got = -1;

			for (int v = 0; v < ESOP_V__COUNT; v++)
				if (b.verdict[v] != a.verdict[v])
					got = v;
			fail_msg("%s: action %u verdict %s, expected action %u verdict %s/%s",
				 f->name, ret, got < 0 ? "?" : esop_verdict_names[got],
				 expected_action(f->verdict), esop_verdict_names[f->verdict],
				 esop_drop_names[f->reason]);
		}
		if (metered(f)) {
			assert_int_equal(xdpc_read_meter(x, f->device_id, &mb), 0);
			if (f->verdict == ESOP_V_OVER_RATE) {
				assert_int_equal(mb.over_rate, ma.over_rate + 1);
				assert_int_equal(mb.packets, ma.packets);
				assert_int_equal(mb.bytes, ma.bytes);
			} else {
				assert_int_equal(mb.packets, ma.packets + 1);
				assert_int_equal(mb.bytes, ma.bytes + f->len);
				assert_int_equal(mb.over_rate, ma.over_rate);
			}
		} else if (f->device_id) {
			/* not metered: no meter created or moved */
			int err = xdpc_read_meter(x, f->device_id, &mb);

			if (err == 0)
				assert_memory_equal(&ma, &mb, sizeof(mb));
			else
				assert_int_equal(err, -ENOENT);
		}
		checked++;
	}
	assert_true(checked + 1 >= nfx);
}

/* The same corpus with the table's unknown_device = control. */
static void test_unknown_device_control(void **state)
{
	struct es_policy p;
	struct es_xdp_stats a, b;
	int prog = xdpc_prog_fd(x);
	size_t n = 0;

	(void)state;
	assert_int_equal(xdp_world_policy(&p), 0);
	p.unknown_action = ES_UNKNOWN_CONTROL;
	assert_int_equal(xdpc_push(x, &p), 0);
	for (size_t i = 0; i < nfx; i++) {
		uint32_t ret;

		if (fx[i].verdict != ESOP_V_UNKNOWN_DEVICE)
			continue;
		assert_int_equal(xdpc_read_stats(x, &a), 0);
		assert_int_equal(xdp_run(prog, fx[i].frame, fx[i].len, 1, &ret, NULL), 0);
		assert_int_equal(xdpc_read_stats(x, &b), 0);
		assert_int_equal(ret, XDP_PASS);	/* redirect, no socket bound */
		assert_int_equal(b.verdict[ESOP_V_UNKNOWN_DEVICE],
				 a.verdict[ESOP_V_UNKNOWN_DEVICE] + 1);
		assert_int_equal(b.unknown_control, a.unknown_control + 1);
		assert_int_equal(b.no_xsk, a.no_xsk + 1);
		n++;
	}
	assert_true(n >= 2 * ESOP_ENC__COUNT);
	xdp_policy_free(&p);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_verdicts),
		cmocka_unit_test(test_unknown_device_control),
	};
	struct es_policy p;
	int err;

	err = xdp_test_open(&x, 1024);
	if (err)
		return err;
	if (argc != 3) {
		fprintf(stderr, "usage: %s FIXTURES.pcap FIXTURES.tsv\n", argv[0]);
		return 1;
	}
	err = xdp_corpus_read(argv[1], argv[2], &fx, &nfx);
	if (err) {
		fprintf(stderr, "error: corpus %s + %s: %s\n", argv[1], argv[2],
			strerror(-err));
		return 1;
	}
	if (xdp_world_policy(&p))
		return 1;
	err = xdpc_push(x, &p);
	if (err) {
		fprintf(stderr, "error: push of the fixture world: %s\n", strerror(-err));
		return 1;
	}
	xdp_policy_free(&p);
	err = cmocka_run_group_tests(tests, NULL, NULL);
	free(fx);
	xdpc_close(x);
	return err;
}
