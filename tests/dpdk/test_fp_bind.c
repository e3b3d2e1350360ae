/* SPDX-License-Identifier: MIT */
/*
 * The fast path's answers to spoofing and reflection (docs/security.md),
 * on real DPDK net_ring ports, one frame or one burst at a time:
 *  - source binding (fp_bind.h): a device of the table is bound to the
 *    source of its first frame; spoofed frames are dropped before the
 *    meter and counted bind_mismatch, the genuine device stays served; an
 *    idle binding moves; under churn (many tables, changing devices) the
 *    store evicts instead of refusing, and meter_full stays 0 (meter slots
 *    of devices gone are taken over);
 *  - DECISIONs: over the whole fixture corpus, at most one per request and
 *    at most ESOP_DECISION_BYTES larger than it (never larger once the
 *    request carries 16 bytes past its header); a flood of OFFLOAD_REQs
 *    from one device gets at most burst + rate x time DECISION bytes back
 *    (the reply meter), every request accounted for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "bind_src.h"
#include "esop_fixtures.h"
#include "esop_parse.h"
#include "fp_dp.h"
#include "fp_port.h"
#include "fp_table.h"
#include "fp_testlib.h"

#define NPORTS		3
#define CAP		64u
#define ROUNDS		24u
#define SHIFT		40u
#define APP		1u	/* fp_test_synth_policy: app 1 -> edge0, port 1 */
#define FLOOD_RATE	800u	/* kbps: 100 kB/s */
#define FLOOD_BURST	1500u
#define FLOOD_MS	300u

static struct rte_ring *rx_ring, *tx_ring[NPORTS];
static struct rte_mempool *mp;
static struct fp_dp *dp;

static void release_free(void *ctx, const void *blob, size_t len)
{
	(void)ctx;
	(void)len;
	free((void *)blob);
}

static int apply(const struct es_policy *p)
{
	int64_t n = fp_table_size(p);
	const char *why = "";
	void *blob;
	int err;

	if (n < 0 || !(blob = aligned_alloc(64, ((size_t)n + 63) & ~(size_t)63)))
		return -ENOMEM;
	if (fp_table_build(p, blob, (size_t)n) != n) {
		free(blob);
		return -EINVAL;
	}
	err = fp_dp_apply(dp, blob, (size_t)n, 1, release_free, NULL, &why);
	if (err) {
		fprintf(stderr, "apply: %s\n", why);
		free(blob);
	}
	return err;
}

/* Devices first..first+n-1, app 1 at edge0, @rate_kbps, burst 1 MB. */
static int apply_ids(uint32_t first, uint32_t n, uint64_t epoch, uint32_t rate_kbps)
{
	struct es_policy p;
	int err = fp_test_synth_policy(&p, n, 1, epoch, 2, rate_kbps, ESOP_TARGET_EDGE);

	for (uint32_t i = 0; !err && i < n; i++)
		p.devices[i].id = first + i;
	if (!err)
		err = apply(&p);
	fp_test_policy_free(&p);
	return err;
}

static int dp_open(uint32_t idle_ms)
{
	struct fp_dp_cfg cfg = { .nports = NPORTS, .max_devices = CAP, .nworkers = 1,
				 .bind_idle_ms = idle_ms };

	return fp_dp_create(&cfg, &dp) ? -1 : fp_dp_worker_init(dp, 0, 0, 0, 0);
}

static void dp_close(void)
{
	fp_dp_worker_offline(dp, 0);
	fp_dp_free(dp);
	dp = NULL;
}

/* Frames out per port since the last call, and the last one out of port 0. */
static void drain(unsigned int out[NPORTS], uint8_t *last, int *last_len)
{
	struct rte_mbuf *m[64];
	unsigned int n;

	for (int p = 0; p < NPORTS; p++) {
		out[p] = 0;
		while ((n = rte_ring_dequeue_burst(tx_ring[p], (void **)m, 64, NULL))) {
			for (unsigned int i = 0; i < n && p == 0 && last; i++) {
				*last_len = (int)rte_pktmbuf_data_len(m[i]);
				memcpy(last, rte_pktmbuf_mtod(m[i], void *), (size_t)*last_len);
			}
			out[p] += n;
			rte_pktmbuf_free_bulk(m, n);
		}
	}
}

/* @n copies of @f through the fast path in bursts; frames out per port. */
static void send_frames(const uint8_t *f, int len, unsigned int n, unsigned int out[NPORTS])
{
	unsigned int got[NPORTS] = { 0 }, k;
	struct rte_mbuf *m[32];

	for (int p = 0; p < NPORTS; p++)
		out[p] = 0;
	while (n) {
		k = n < 32 ? n : 32;
		if (rte_pktmbuf_alloc_bulk(mp, m, k)) {
			CHECK(0, "mbufs");
			return;
		}
		for (unsigned int i = 0; i < k; i++)
			memcpy(rte_pktmbuf_append(m[i], (uint16_t)len), f, (size_t)len);
		CHECK(rte_ring_enqueue_bulk(rx_ring, (void **)m, k, NULL) == k, "rx ring");
		while (fp_dp_poll(dp, 0))
			;
		drain(got, NULL, NULL);
		for (int p = 0; p < NPORTS; p++)
			out[p] += got[p];
		n -= k;
	}
}

static int send_from(const struct bind_src *s, uint8_t type, uint32_t dev)
{
	unsigned int out[NPORTS];
	uint8_t f[512];
	int len = bind_src_frame(f, sizeof(f), s, type, dev, APP);

	CHECK(len > 0, "frame");
	send_frames(f, len, 1, out);
	/* the port it came out of, -1 for none */
	for (int p = 0; p < NPORTS; p++)
		if (out[p])
			return p;
	return -1;
}

/* --- binding --- */

static const struct bind_src A = { .host = 11 }, B = { .host = 66 };
static const struct bind_src A6 = { .v6 = 1, .host = 11 };
static const struct bind_src GA1 = { .host = 11, .teid = 0x100 };
static const struct bind_src GA2 = { .host = 11, .teid = 0x200 };

#define T ESOP_T_TENSOR
#define R ESOP_T_OFFLOAD_REQ

/* The XDP test's table (test_xdp_bind.c), as the fast path acts on it. */
static const struct {
	const char *what;
	const struct bind_src *src;
	uint8_t type;
	uint32_t dev;
	int port;		/* out of: 1 FORWARD to edge0, 0 DECISION, -1 none */
	int verdict;		/* -1: none (spoofed) */
	uint64_t learned, moved, mismatch;
} rows[] = {
	{ "first sight binds A", &A, T, 1, 1, ESOP_V_FORWARD, 1, 0, 0 },
	{ "A again", &A, T, 1, 1, ESOP_V_FORWARD, 0, 0, 0 },
	{ "B spoofs a TENSOR", &B, T, 1, -1, -1, 0, 0, 1 },
	{ "B spoofs a request", &B, R, 1, -1, -1, 0, 0, 1 },
	{ "same host byte over IPv6", &A6, R, 1, -1, -1, 0, 0, 1 },
	{ "genuine request still answered", &A, R, 1, 0, ESOP_V_REQUEST, 0, 0, 0 },
	{ "A inside GTP-U binds its TEID", &GA1, T, 1, 1, ESOP_V_FORWARD, 1, 0, 0 },
	{ "A with another TEID", &GA2, R, 1, -1, -1, 0, 0, 1 },
	{ "the bound TEID", &GA1, R, 1, 0, ESOP_V_REQUEST, 0, 0, 0 },
	{ "A outside the tunnel: address only", &A, T, 1, 1, ESOP_V_FORWARD, 0, 0, 0 },
	{ "device 2 first heard from B", &B, T, 2, 1, ESOP_V_FORWARD, 1, 0, 0 },
	{ "A spoofs device 2", &A, T, 2, -1, -1, 0, 0, 1 },
	{ "unknown device: no binding", &B, T, 999, -1, ESOP_V_UNKNOWN_DEVICE, 0, 0, 0 },
	{ "IPv6 device binds", &A6, R, 3, 0, ESOP_V_REQUEST, 1, 0, 0 },
	{ "IPv4 with its host byte spoofs it", &A, R, 3, -1, -1, 0, 0, 1 },
};

static uint64_t verdict_sum(const struct fp_msg_stats *s)
{
	uint64_t n = 0;

	for (int v = 0; v < FP_MSG_NVERDICTS; v++)
		n += s->verdicts[v];
	return n;
}

static void test_spoofed_dropped(void)
{
	struct fp_dev_info i0, i1;

	/* a slow rate, so that a frame charged to the bucket shows */
	CHECK(dp_open(0) == 0 && apply_ids(1, 3, 1, 800) == 0, "setup");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fp_msg_stats a, b;
		int port;

		fp_dp_stats(dp, &a);
		fp_dp_device(dp, rows[i].dev, &i0);
		port = send_from(rows[i].src, rows[i].type, rows[i].dev);
		fp_dp_stats(dp, &b);
		fp_dp_device(dp, rows[i].dev, &i1);
		CHECK(port == rows[i].port, "%s: out of port %d, want %d", rows[i].what, port,
		      rows[i].port);
		CHECK(b.counters[FP_C_BIND_LEARNED] - a.counters[FP_C_BIND_LEARNED] ==
		      rows[i].learned &&
		      b.counters[FP_C_BIND_MOVED] - a.counters[FP_C_BIND_MOVED] == rows[i].moved &&
		      b.counters[FP_C_BIND_MISMATCH] - a.counters[FP_C_BIND_MISMATCH] ==
		      rows[i].mismatch, "%s: binding counters", rows[i].what);
		if (rows[i].verdict < 0) {
			CHECK(verdict_sum(&b) == verdict_sum(&a), "%s: got a verdict", rows[i].what);
			CHECK(i1.bucket_bytes >= i0.bucket_bytes,
			      "%s: spent the victim's bucket", rows[i].what);
		} else {
			CHECK(b.verdicts[rows[i].verdict] == a.verdicts[rows[i].verdict] + 1,
			      "%s: verdict", rows[i].what);
		}
	}
	dp_close();
}

/* An idle binding moves to the next source; a fresh one does not. */
static void test_idle_binding_moves(void)
{
	struct fp_msg_stats a, b;

	CHECK(dp_open(100) == 0 && apply_ids(1, 4, 1, 4000000) == 0, "setup");
	CHECK(send_from(&A, T, 4) == 1, "A binds");
	CHECK(send_from(&B, T, 4) == -1, "fresh binding moved");
	usleep(250 * 1000);	/* idle time 100 ms */
	fp_dp_stats(dp, &a);
	CHECK(send_from(&B, T, 4) == 1, "idle binding did not move");
	fp_dp_stats(dp, &b);
	CHECK(b.counters[FP_C_BIND_MOVED] == a.counters[FP_C_BIND_MOVED] + 1, "moved counter");
	CHECK(send_from(&A, T, 4) == -1, "old source still served");
	dp_close();
}

/*
 * Many tables with changing devices, each device of each table sending
 * from its own source: the binding store (2 x CAP slots) fills and evicts
 * the least recently seen, never refusing and never judging a genuine
 * frame spoofed; the meter store (2 x CAP) takes over slots of devices
 * gone, so meter_full stays 0.
 */
static void test_churn(void)
{
	uint32_t first = 1000;
	uint64_t sent = 0;
	struct fp_msg_stats s;

	CHECK(dp_open(0) == 0, "setup");
	for (uint32_t r = 0; r < ROUNDS; r++, first += SHIFT) {
		CHECK(apply_ids(first, CAP, 10 + r, 4000000) == 0, "table %u", r);
		for (uint32_t i = 0; i < CAP; i++) {
			struct bind_src src = bind_src_of(first + i);

			CHECK(send_from(&src, T, first + i) == 1, "round %u device %u not served",
			      r, first + i);
			sent++;
		}
	}
	fp_dp_stats(dp, &s);
	printf("churn: %lu frames, forwarded %lu, learned %lu (evicting %lu), meter_full %lu\n",
	       (unsigned long)sent, (unsigned long)s.verdicts[ESOP_V_FORWARD],
	       (unsigned long)s.counters[FP_C_BIND_LEARNED],
	       (unsigned long)s.counters[FP_C_BIND_EVICT],
	       (unsigned long)s.counters[FP_C_METER_FULL]);
	CHECK(s.verdicts[ESOP_V_FORWARD] == sent, "not every frame forwarded");
	CHECK(s.counters[FP_C_BIND_MISMATCH] == 0, "a genuine frame judged spoofed");
	CHECK(s.counters[FP_C_METER_FULL] == 0, "meter store full");
	CHECK(s.counters[FP_C_BIND_EVICT] > 0, "the binding store never filled");
	CHECK(s.counters[FP_C_BIND_LEARNED] >= CAP + (ROUNDS - 1) * SHIFT, "learned");
	/* the newest device's binding is held */
	CHECK(send_from(&A, T, first - SHIFT + CAP - 1) == -1, "newest binding lost");
	dp_close();
}

/* --- DECISIONs --- */

/*
 * The whole corpus, frame by frame, against the fixture world: what each
 * request gets back on its port. PROTOCOL.md fixes a DECISION's size (its
 * 16-byte payload), so a request without options or payload (74 bytes on
 * IPv4) gets 16 bytes more back: the bound is 1:1 in frames and +16 bytes.
 */
static void test_corpus_decisions(void)
{
	struct esop_fixture *fx;
	struct es_policy p;
	size_t n = 0, decisions = 0, larger = 0;
	double worst = 0;

	CHECK(dp_open(0) == 0 && esop_fixtures_build(&fx, &n) == 0 &&
	      fp_test_world_policy(&p) == 0 && apply(&p) == 0, "setup");
	esop_fix_world_policy_free(&p);
	for (size_t i = 0; i < n; i++) {
		unsigned int out[NPORTS];
		uint8_t dec[ESOP_FIX_MAX_FRAME];
		int dlen = 0;
		struct rte_mbuf *m;

		if (fx[i].len < 14 || !(m = rte_pktmbuf_alloc(mp)))
			continue;
		memcpy(rte_pktmbuf_append(m, fx[i].len), fx[i].frame, fx[i].len);
		CHECK(rte_ring_enqueue(rx_ring, m) == 0, "rx ring");
		while (fp_dp_poll(dp, 0))
			;
		drain(out, dec, &dlen);
		CHECK(out[0] <= 1, "%s: %u frames back", fx[i].name, out[0]);
		if (!out[0] || fx[i].verdict == ESOP_V_RETURN)
			continue;
		/* back to the device: a DECISION for a request or a LOCAL tensor */
		struct esop_parse_cfg cfg = { 0 };
		struct esop_pkt req, d;

		CHECK(esop_parse(dec, dec + dlen, &cfg, &d) == ESOP_V_NEEDS_TABLE &&
		      d.type == ESOP_T_DECISION, "%s: not a DECISION", fx[i].name);
		esop_parse(fx[i].frame, fx[i].frame + fx[i].len, &cfg, &req);
		decisions++;
		CHECK(dlen <= fx[i].len + ESOP_DECISION_BYTES, "%s: DECISION %d bytes for %u",
		      fx[i].name, dlen, fx[i].len);
		if (dlen > fx[i].len) {
			larger++;
			/* only requests without 16 bytes past the fixed header */
			CHECK((req.hdr_len - ESOP_HDR_MIN_WORDS) * 4u + req.payload_len <
			      ESOP_DECISION_BYTES, "%s: larger DECISION", fx[i].name);
		}
		if ((double)dlen / fx[i].len > worst)
			worst = (double)dlen / fx[i].len;
	}
	printf("corpus: %zu DECISIONs, %zu larger than their request, worst ratio %.3f\n",
	       decisions, larger, worst);
	CHECK(decisions >= 10, "too few DECISIONs to say anything");
	free(fx);
	dp_close();
}

/*
 * One device floods OFFLOAD_REQs for FLOOD_MS: DECISION bytes back are at
 * most burst + rate x elapsed (the reply meter), request bytes let in at
 * most the same (the uplink meter), and every request is accounted for.
 */
static void test_reply_flood(void)
{
	struct es_policy p;
	struct fp_msg_stats s;
	uint8_t f[256];
	unsigned int out[NPORTS];
	uint64_t t0, t1, back = 0, hz = rte_get_tsc_hz();
	int len = bind_src_frame(f, sizeof(f), &A, R, 1, APP);

	CHECK(dp_open(0) == 0 && fp_test_synth_policy(&p, 1, 1, 1, 2, FLOOD_RATE,
						      ESOP_TARGET_EDGE) == 0, "setup");
	p.devices[0].burst_bytes = FLOOD_BURST;
	CHECK(apply(&p) == 0, "table");
	fp_test_policy_free(&p);
	t0 = rte_rdtsc();
	do {
		send_frames(f, len, 256, out);
		back += out[0];
		t1 = rte_rdtsc();
	} while (t1 - t0 < hz * FLOOD_MS / 1000);
	fp_dp_stats(dp, &s);

	double secs = (double)(t1 - t0) / (double)hz;
	double bound = FLOOD_BURST + FLOOD_RATE * 125.0 * secs;
	uint64_t dec_len = 14 + 20 + 8 + ESOP_HDR_BYTES + ESOP_DECISION_BYTES;
	uint64_t rx = s.counters[FP_C_RX];

	printf("flood: %lu requests (%lu bytes) in %.3f s, %lu DECISIONs (%lu bytes) back, "
	       "%lu over rate, %lu reply-limited; bound %.0f bytes\n", (unsigned long)rx,
	       (unsigned long)(rx * (uint64_t)len), secs, (unsigned long)back,
	       (unsigned long)(back * dec_len), (unsigned long)s.verdicts[ESOP_V_OVER_RATE],
	       (unsigned long)s.counters[FP_C_REPLY_LIMITED], bound);
	CHECK(back == s.counters[FP_C_DECISION], "DECISIONs sent vs counted");
	CHECK((double)(back * dec_len) <= bound, "DECISION bytes over burst + rate x time");
	CHECK((double)(s.verdicts[ESOP_V_REQUEST] * (uint64_t)len) <= bound,
	      "request bytes over burst + rate x time");
	CHECK(rx == back + s.verdicts[ESOP_V_OVER_RATE] + s.counters[FP_C_REPLY_LIMITED],
	      "requests not accounted for");
	CHECK(s.counters[FP_C_REPLY_LIMITED] > 0, "the reply meter never held one back");
	CHECK(rx > 10 * back, "not a flood");
	dp_close();
}

int main(void)
{
	struct rte_ring *rx[NPORTS];
	char name[32];

	fp_test_eal("fp_bind", 1, NULL, 0);
	mp = rte_pktmbuf_pool_create("bind", 4095, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	for (int i = 0; mp && i < NPORTS; i++) {
		snprintf(name, sizeof(name), "brx%d", i);
		rx[i] = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "btx%d", i);
		tx_ring[i] = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "bring%d", i);
		if (!rx[i] || !tx_ring[i] ||
		    rte_eth_from_rings(name, &rx[i], 1, &tx_ring[i], 1, 0) != i ||
		    fp_port_setup((uint16_t)i, 1, 1, mp)) {
			fprintf(stderr, "error: ring port %d\n", i);
			return 1;
		}
	}
	if (!mp)
		return 1;
	rx_ring = rx[0];
	test_spoofed_dropped();
	test_idle_binding_moves();
	test_churn();
	test_corpus_decisions();
	test_reply_flood();
	return fp_test_eal_done();
}
