/* SPDX-License-Identifier: MIT */
/*
 * Source binding in the XDP classifier (in each device's es_meters slot,
 * es_abi.h, docs/security.md): a device of the table is bound to the
 * source of its first uplink frame (address, and TEID once seen inside
 * GTP-U); frames of that device from elsewhere are dropped before the
 * meter and counted bind_mismatch, while the genuine device stays served.
 * An idle binding moves; a device new to the table starts unbound; many
 * pushes with changing device sets (far more devices than meter slots)
 * leave meter_full and bind_mismatch at 0: slots, and their bindings, are
 * collected and handed to the new devices.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "bind_src.h"
#include "xdp_world.h"
#include "xdpc.h"

#define CAP		64u	/* devices the classifier is loaded for */
#define APP		3u
#define ROUNDS		24u
#define SHIFT		40u	/* ids that change from one round to the next */

static struct xdpc *x;

static const struct bind_src A = { .host = 11 }, B = { .host = 66 };
static const struct bind_src A6 = { .v6 = 1, .host = 11 };
static const struct bind_src GA1 = { .host = 11, .teid = 0x100 };
static const struct bind_src GA2 = { .host = 11, .teid = 0x200 };

static void push_ids(uint32_t first, uint32_t n, uint64_t epoch)
{
	uint32_t *ids = malloc(n * sizeof(*ids));
	struct es_policy p;

	assert_non_null(ids);
	for (uint32_t i = 0; i < n; i++)
		ids[i] = first + i;
	assert_int_equal(xdp_synth_policy(&p, ids, n, 4000000000u, 1u << 30), 0);
	p.epoch = epoch;
	assert_int_equal(xdpc_push(x, &p), 0);
	xdp_policy_free(&p);
	free(ids);
}

/* Runs one frame; returns the XDP action. */
static uint32_t send_from(const struct bind_src *s, uint8_t type, uint32_t dev)
{
	uint8_t f[512];
	int len = bind_src_frame(f, sizeof(f), s, type, dev, APP);
	uint32_t ret;

	assert_true(len > 0);
	assert_int_equal(xdp_run(xdpc_prog_fd(x), f, (uint32_t)len, 1, &ret, NULL), 0);
	return ret;
}

static uint64_t verdicts(const struct es_xdp_stats *s)
{
	uint64_t n = 0;

	for (int v = 0; v < ESOP_V__COUNT; v++)
		n += s->verdict[v];
	return n;
}

/* Device @dev's meter slot, as the active version names it. */
static uint32_t slot_of(uint32_t dev)
{
	struct es_xdp_device d;

	assert_int_equal(bpf_map_lookup_elem(xdpc_map_fd(x, xdpc_active_version(x) ?
							  "es_dev1" : "es_dev0"),
					     &dev, &d), 0);
	return d.meter;
}

static int bound(uint32_t dev)
{
	struct es_xdp_meter m;

	return xdpc_read_meter(x, dev, &m) == 0 && m.bind_seen_ns > ES_XDP_BIND_BUSY;
}

/* One frame and what it must do: action, verdict (-1: none), counters moved. */
struct bind_row {
	const char *what;
	const struct bind_src *src;
	uint8_t type;
	uint32_t dev;
	uint32_t action;
	int verdict;
	uint32_t learned, moved, mismatch;
};

#define T ESOP_T_TENSOR
#define R ESOP_T_OFFLOAD_REQ

static const struct bind_row rows[] = {
	{ "first sight binds A", &A, T, 1, XDP_PASS, ESOP_V_FORWARD, 1, 0, 0 },
	{ "A again", &A, T, 1, XDP_PASS, ESOP_V_FORWARD, 0, 0, 0 },
	{ "B spoofs a TENSOR", &B, T, 1, XDP_DROP, -1, 0, 0, 1 },
	{ "B spoofs a request", &B, R, 1, XDP_DROP, -1, 0, 0, 1 },
	{ "same host byte over IPv6", &A6, T, 1, XDP_DROP, -1, 0, 0, 1 },
	{ "genuine request still served", &A, R, 1, XDP_PASS, ESOP_V_REQUEST, 0, 0, 0 },
	{ "A inside GTP-U binds its TEID", &GA1, T, 1, XDP_PASS, ESOP_V_FORWARD, 1, 0, 0 },
	{ "A with another TEID", &GA2, T, 1, XDP_DROP, -1, 0, 0, 1 },
	{ "the bound TEID", &GA1, R, 1, XDP_PASS, ESOP_V_REQUEST, 0, 0, 0 },
	{ "A outside the tunnel: address only", &A, T, 1, XDP_PASS, ESOP_V_FORWARD, 0, 0, 0 },
	{ "device 2 first heard from B", &B, T, 2, XDP_PASS, ESOP_V_FORWARD, 1, 0, 0 },
	{ "A spoofs device 2", &A, T, 2, XDP_DROP, -1, 0, 0, 1 },
	{ "unknown device: no binding", &B, T, 999, XDP_DROP,
	  ESOP_V_UNKNOWN_DEVICE, 0, 0, 0 },
	{ "IPv6 device binds", &A6, T, 3, XDP_PASS, ESOP_V_FORWARD, 1, 0, 0 },
	{ "IPv4 with its host byte spoofs it", &A, T, 3, XDP_DROP, -1, 0, 0, 1 },
};

static void test_spoofed_dropped(void **state)
{
	struct es_xdp_meter m0, m1;

	(void)state;
	push_ids(1, 3, 1);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct bind_row *r = &rows[i];
		struct es_xdp_stats a, b;
		int have_meter = xdpc_read_meter(x, r->dev, &m0) == 0;
		uint32_t ret;

		assert_int_equal(xdpc_read_stats(x, &a), 0);
		ret = send_from(r->src, r->type, r->dev);
		assert_int_equal(xdpc_read_stats(x, &b), 0);
		if (ret != r->action || b.bind_learned - a.bind_learned != r->learned ||
		    b.bind_moved - a.bind_moved != r->moved ||
		    b.bind_mismatch - a.bind_mismatch != r->mismatch)
			fail_msg("%s: action %u learned +%llu moved +%llu mismatch +%llu", r->what,
				 ret, (unsigned long long)(b.bind_learned - a.bind_learned),
				 (unsigned long long)(b.bind_moved - a.bind_moved),
				 (unsigned long long)(b.bind_mismatch - a.bind_mismatch));
		assert_int_equal(b.action[r->action], a.action[r->action] + 1);
		if (r->verdict < 0) {
			/* dropped before the meter: no verdict, the victim's bucket untouched */
			assert_int_equal(verdicts(&b), verdicts(&a));
			assert_true(have_meter);
			assert_int_equal(xdpc_read_meter(x, r->dev, &m1), 0);
			assert_memory_equal(&m0, &m1, sizeof(m1));
		} else {
			assert_int_equal(b.verdict[r->verdict], a.verdict[r->verdict] + 1);
		}
	}
	/* devices of the table are bound; an unknown one has no slot to bind */
	assert_true(bound(1) && bound(2) && bound(3));
	assert_false(bound(4));
	assert_int_equal(xdpc_read_meter(x, 999, &m1), -ENOENT);
}

/* An idle binding moves to the next source; a fresh one does not. */
static void test_idle_binding_moves(void **state)
{
	int fd = xdpc_map_fd(x, "es_meters");
	struct es_xdp_stats a, b;
	struct es_xdp_meter m;
	uint32_t dev = 4, slot;

	(void)state;
	push_ids(1, 4, 2);
	assert_false(bound(dev));
	assert_int_equal(send_from(&A, T, dev), XDP_PASS);
	assert_int_equal(xdpc_read_meter(x, dev, &m), 0);
	assert_int_equal(m.bind_addr[3], A.host);
	assert_int_equal(m.bind_flags, 0);
	assert_int_equal(send_from(&B, T, dev), XDP_DROP);	/* fresh: held */

	/* idle for longer than ES_XDP_BIND_IDLE_NS: as if last heard at time 2 */
	slot = slot_of(dev);
	assert_int_equal(bpf_map_lookup_elem(fd, &slot, &m), 0);
	m.bind_seen_ns = 2;
	assert_int_equal(bpf_map_update_elem(fd, &slot, &m, BPF_EXIST), 0);
	assert_int_equal(xdpc_read_stats(x, &a), 0);
	assert_int_equal(send_from(&B, T, dev), XDP_PASS);
	assert_int_equal(xdpc_read_stats(x, &b), 0);
	assert_int_equal(b.bind_moved, a.bind_moved + 1);
	assert_int_equal(xdpc_read_meter(x, dev, &m), 0);
	assert_int_equal(m.bind_addr[3], B.host);
	assert_true(m.bind_seen_ns > 2);
	/* now A is the stranger */
	assert_int_equal(send_from(&A, T, dev), XDP_DROP);
	assert_int_equal(xdpc_read_stats(x, &a), 0);
	assert_int_equal(a.bind_mismatch, b.bind_mismatch + 1);

	/* out of the table and back: a new slot, unbound, learned again */
	push_ids(1, 3, 3);
	push_ids(1, 4, 4);
	assert_false(bound(dev));
	assert_int_equal(send_from(&A, T, dev), XDP_PASS);
	assert_true(bound(dev));
}

/*
 * Many pushes (whole tables and deltas) with changing device sets, every
 * device of each table sending from its own source: 1,000 devices through
 * 2 x CAP meter slots. Slots of removed devices are collected and handed,
 * zeroed, to new ones, so no push is refused, meter_full stays 0, and no
 * genuine frame meets a stale binding (bind_mismatch stays 0).
 */
static void test_churn_full_tables(void **state)
{
	struct es_xdp_stats a, b;
	uint32_t first = 1000, last;
	uint64_t epoch = 10, sent = 0;

	(void)state;
	assert_int_equal(xdpc_read_stats(x, &a), 0);
	for (uint32_t r = 0; r < ROUNDS; r++, first += SHIFT) {
		if (r % 2 == 0) {
			push_ids(first, CAP, epoch++);
		} else {
			/* a delta: the SHIFT oldest out, as many new in */
			uint32_t *gone = malloc(SHIFT * sizeof(*gone));
			uint32_t *ids = malloc(SHIFT * sizeof(*ids));
			struct es_policy d;

			assert_true(gone && ids);
			for (uint32_t i = 0; i < SHIFT; i++) {
				gone[i] = first - SHIFT + i;
				ids[i] = first - SHIFT + CAP + i;
			}
			assert_int_equal(xdp_synth_policy(&d, ids, SHIFT, 4000000000u,
							  1u << 30), 0);
			d.epoch = epoch++;
			assert_int_equal(xdpc_push_delta(x, &d, gone, SHIFT, 0), 0);
			xdp_policy_free(&d);
			free(gone);
			free(ids);
		}
		for (uint32_t i = 0; i < CAP; i++) {
			struct bind_src s = bind_src_of(first + i);

			assert_int_equal(send_from(&s, T, first + i), XDP_PASS);
			sent++;
		}
	}
	assert_int_equal(xdpc_read_stats(x, &b), 0);
	assert_int_equal(b.verdict[ESOP_V_FORWARD] - a.verdict[ESOP_V_FORWARD], sent);
	assert_int_equal(b.bind_mismatch, a.bind_mismatch);
	assert_int_equal(b.meter_full, 0);
	assert_int_equal(b.meter_contended, 0);
	/* each device bound once, on its first frame */
	assert_int_equal(b.bind_learned - a.bind_learned, (uint64_t)CAP + (ROUNDS - 1) * SHIFT);
	printf("churn: %llu frames, %llu bindings learned, capacity %u devices\n",
	       (unsigned long long)sent,
	       (unsigned long long)(b.bind_learned - a.bind_learned), CAP);

	/* the newest device's binding is held: a spoofed frame for it is dropped */
	last = first - SHIFT + CAP - 1;
	assert_int_equal(send_from(&A, T, last), XDP_DROP);
	assert_int_equal(xdpc_read_stats(x, &a), 0);
	assert_int_equal(a.bind_mismatch, b.bind_mismatch + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spoofed_dropped),
		cmocka_unit_test(test_idle_binding_moves),
		cmocka_unit_test(test_churn_full_tables),
	};
	int err = xdp_test_open(&x, CAP);

	if (err)
		return err;
	err = cmocka_run_group_tests(tests, NULL, NULL);
	xdpc_close(x);
	return err;
}
