/* SPDX-License-Identifier: MIT */
/*
 * Table swaps under traffic, through the real control socket:
 *  - 100 tables pushed (sealed memfd over SCM_RIGHTS, fp_client) while a
 *    worker lcore forwards a backlog of OFFLOAD_REQs and TENSORs on net_ring
 *    ports: every frame sent comes out (zero lost to the swaps), and every
 *    DECISION is self-consistent: table N answers split layer N, rate
 *    100000+N, edge for odd N and cloud for even N, epoch N. A frame judged
 *    by a mix of two versions would break one of these equalities; epochs
 *    never go backwards.
 *  - bad table blobs (truncated, wrong magic, bad checksum, over the device
 *    limit, unsealed, stale epoch) and malformed messages are refused with
 *    their error, and the table in force is still the old one (its DECISIONs
 *    say so).
 *  - a device's meter keeps its state across a swap.
 *  - deltas under traffic (fp_delta.h, FP_MSG_PUSH_DELTA): 60 deltas, each
 *    changing every device the traffic uses to delta N's values (and
 *    removing or adding again devices outside it), folded into overlays,
 *    and every tenth the overlay merged into a new base by the test thread
 *    (fp_dp_merge) while the worker judges frames: the same equalities
 *    hold (a frame judged by base and overlay of different versions would
 *    break them) and no frame is lost. Then a delta for another base epoch
 *    (-EXDEV), a corrupt one and an unsealed one are refused whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/types.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "esop_gen.h"
#include "esop_parse.h"
#include "fp_client.h"
#include "fp_ctl.h"
#include "fp_delta.h"
#include "fp_dp.h"
#include "fp_port.h"
#include "fp_table.h"
#include "fp_testlib.h"

#define NPORTS		3
#define NDEV		64
#define NSWAPS		100
#define PER_SWAP	512
#define MAX_DEVICES	1000


static struct rte_ring *rx_ring, *tx_ring[NPORTS];
static struct rte_mempool *mp;
static uint8_t tmpl[2][NDEV][256];
static int tmpl_len[2][NDEV];
static uint64_t sent, got_decision, got_forward, last_epoch;

static void build_templates(void)
{
	struct esop_gen_host dev = { { 2, 0, 0, 0, 0, 0x11 }, { 198, 18, 0, 11 }, { 0 }, 7447 };
	struct esop_gen_host ap = { { 2, 0, 0, 0, 0, 0xfe }, { 198, 18, 0, 1 }, { 0 }, 7447 };

	for (int k = 0; k < 2; k++)
		for (int d = 0; d < NDEV; d++) {
			struct esop_gen_spec s = { .encap = ESOP_ENC_V4, .src = dev, .dst = ap };

			s.hdr = esop_gen_hdr_default(k ? ESOP_T_TENSOR : ESOP_T_OFFLOAD_REQ,
						     (uint32_t)d + 1);
			s.hdr.app_id = 1;
			if (k) {
				s.payload_len = 64;
				s.hdr.total_len = 64;
			}
			tmpl_len[k][d] = esop_gen_build(tmpl[k][d], sizeof(tmpl[k][d]), &s);
		}
}

static unsigned int offer(unsigned int n)
{
	struct rte_mbuf *m[PER_SWAP];
	unsigned int k;

	if (rte_pktmbuf_alloc_bulk(mp, m, n))
		return 0;
	for (k = 0; k < n; k++) {
		int kind = (int)((sent + k) & 1), d = (int)((sent + k) / 2 % NDEV);

		rte_memcpy(rte_pktmbuf_append(m[k], (uint16_t)tmpl_len[kind][d]),
			   tmpl[kind][d], (size_t)tmpl_len[kind][d]);
	}
	k = rte_ring_enqueue_burst(rx_ring, (void **)m, n, NULL);
	if (k < n)
		rte_pktmbuf_free_bulk(m + k, n - k);
	sent += k;
	return k;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks every DECISION against the table its epoch names. */
static void drain(void)
{
	struct rte_mbuf *m[64];
	unsigned int n;

	for (int p = 0; p < NPORTS; p++) {
		while ((n = rte_ring_dequeue_burst(tx_ring[p], (void **)m, 64, NULL))) {
			for (unsigned int i = 0; i < n; i++) {
				const uint8_t *f = rte_pktmbuf_mtod(m[i], const uint8_t *);
				const uint8_t *e = f + 14 + 20 + 8, *pay = e + 32;

				if (p) {
					got_forward++;
					continue;
				}
				got_decision++;
				uint32_t epoch = rd32(pay + 12);
				uint16_t split = (uint16_t)(pay[2] << 8 | pay[3]);

				CHECK(e[3] == ESOP_T_DECISION, "port 0: not a DECISION");
				CHECK(split == epoch && rd32(pay + 8) == 100000 + epoch &&
				      pay[0] == (epoch & 1 ? ESOP_TARGET_EDGE : ESOP_TARGET_CLOUD),
				      "DECISION mixes versions: epoch %u split %u rate %u kind %u",
				      epoch, split, rd32(pay + 8), pay[0]);
				CHECK(epoch >= last_epoch, "epoch went back from %lu to %u",
				      (unsigned long)last_epoch, epoch);
				last_epoch = epoch;
			}
			rte_pktmbuf_free_bulk(m, n);
		}
	}
}

static int make_policy(struct es_policy *p, uint64_t epoch, uint32_t ndev)
{
	return fp_test_synth_policy(p, ndev, 1, epoch, (uint16_t)epoch,
				    100000 + (uint32_t)epoch,
				    epoch & 1 ? ESOP_TARGET_EDGE : ESOP_TARGET_CLOUD);
}

enum bad { B_TRUNC, B_MAGIC, B_CSUM, B_OVER, B_UNSEALED, B_STALE };

/* A memfd holding a table of epoch @epoch, spoiled as @how says. */
static int bad_memfd(enum bad how, size_t *len)
{
	struct es_policy p;
	int fd = memfd_create("bad", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int64_t n;
	uint8_t *map;

	make_policy(&p, how == B_STALE ? 3 : 1000, how == B_OVER ? 2 * MAX_DEVICES : NDEV);
	n = fp_table_size(&p);
	if (fd < 0 || ftruncate(fd, n) < 0)
		abort();
	map = mmap(NULL, (size_t)n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED || fp_table_build(&p, map, (size_t)n) != n)
		abort();
	*len = (size_t)n;
	if (how == B_TRUNC)
		*len = (size_t)n - 8;
	if (how == B_MAGIC)
		map[0] ^= 0xff;
	if (how == B_CSUM)
		map[n - 1] ^= 1;
	munmap(map, (size_t)n);
	if (how != B_UNSEALED)
		fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW);
	fp_test_policy_free(&p);
	return fd;
}

/* One REQ through the fast path: the epoch its DECISION carries. */
static uint32_t probe_epoch(void)
{
	uint64_t before = got_decision, out = got_decision + got_forward;
	uint64_t end = rte_rdtsc() + 5 * rte_get_tsc_hz();
	unsigned int k = offer(2);

	/* both frames (a REQUEST and a TENSOR): a late forward would be
	 * counted by the next phase as a frame it never sent */
	while (got_decision + got_forward < out + k && rte_rdtsc() < end)
		drain();
	return got_decision == before ? 0 : (uint32_t)last_epoch;
}

static void test_bad_pushes(struct fp_client *c)
{
	static const struct { const char *name; enum bad how; int err; } rows[] = {
		{ "truncated", B_TRUNC, -EBADMSG },
		{ "wrong magic", B_MAGIC, -EPROTO },
		{ "bad checksum", B_CSUM, -EBADMSG },
		{ "over the device limit", B_OVER, -E2BIG },
		{ "unsealed memfd", B_UNSEALED, -EPERM },
		{ "stale epoch", B_STALE, -ESTALE },
	};
	struct fp_msg_stats st;

	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct fp_msg_push_reply rep;
		size_t len;
		int fd = bad_memfd(rows[r].how, &len);
		int err = fp_client_push_fd(c, fd, len, 0, &rep);

		close(fd);
		CHECK(err == rows[r].err, "%s: push gave %d, expected %d (%s)", rows[r].name,
		      err, rows[r].err, rep.why);
		CHECK(rep.epoch == NSWAPS + 1, "%s: epoch in force now %lu", rows[r].name,
		      (unsigned long)rep.epoch);
		CHECK(probe_epoch() == NSWAPS + 1, "%s: DECISIONs no longer from the old table",
		      rows[r].name);
	}
	CHECK(fp_client_get_stats(c, &st) == 0 && st.counters[FP_C_REFUSED] == 6,
	      "refused counter %lu", (unsigned long)st.counters[FP_C_REFUSED]);
}

static void test_bad_messages(struct fp_client *c)
{
	struct fp_msg_hdr h = { FP_MSG_MAGIC, FP_MSG_VERSION, FP_MSG_GET_STATS, 0, 0 };
	uint8_t big[sizeof(h) + FP_MSG_MAX_PAYLOAD + 64] = { 0 };
	struct { const char *name; int err; } rows[] = {
		{ "wrong magic", -EPROTO }, { "wrong version", -EPROTONOSUPPORT },
		{ "length disagrees", -EBADMSG }, { "oversized", -EMSGSIZE },
		{ "unknown type", -EOPNOTSUPP }, { "push without fd", -EBADMSG },
	};

	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct fp_msg_hdr m = h;
		size_t len = sizeof(m);
		int32_t status = 0;
		uint16_t type = 0;

		switch (r) {
		case 0: m.magic = 0x12345678; break;
		case 1: m.version = 9; break;
		case 2: m.len = 8; break;
		case 3: m.len = sizeof(big) - sizeof(m); len = sizeof(big); break;
		case 4: m.type = 77; break;
		case 5: m.type = FP_MSG_PUSH_TABLE; m.len = sizeof(struct fp_msg_push);
			len += sizeof(struct fp_msg_push); break;
		}
		memcpy(big, &m, sizeof(m));
		CHECK(fp_client_send_raw(c, big, len, -1, &status, &type) == 0 &&
		      type == FP_MSG_ERROR && status == rows[r].err,
		      "%s: reply type %u status %d, expected error %d", rows[r].name, type,
		      status, rows[r].err);
	}
}

/* One frame through the worker; returns the verdict its counters moved. */
static int judge_one(struct fp_dp *dp, const uint8_t *f, int len)
{
	struct fp_msg_stats a, b;
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint64_t end = rte_rdtsc() + 5 * rte_get_tsc_hz();

	fp_dp_stats(dp, &a);
	rte_memcpy(rte_pktmbuf_append(m, (uint16_t)len), f, (size_t)len);
	if (rte_ring_enqueue(rx_ring, m)) {
		rte_pktmbuf_free(m);
		return -1;
	}
	do {
		drain();
		fp_dp_stats(dp, &b);
		for (int v = 0; v < ESOP_V__COUNT; v++)
			if (b.verdicts[v] != a.verdicts[v])
				return v;
	} while (rte_rdtsc() < end);
	return -1;
}

/*
 * Meter state lives outside the table: a device's bucket emptied under one
 * table is still empty under the next. Device 1 gets 8 kbps and a 1500-byte
 * bucket in two successive tables; a 1000-byte tensor passes before the
 * swap, the next one after it is OVER_RATE (a reset bucket would pass it).
 */
static void test_meter_across_swap(struct fp_client *c, struct fp_dp *dp)
{
	struct esop_gen_host dev = { { 2, 0, 0, 0, 0, 0x11 }, { 198, 18, 0, 11 }, { 0 }, 7447 };
	struct esop_gen_host ap = { { 2, 0, 0, 0, 0, 0xfe }, { 198, 18, 0, 1 }, { 0 }, 7447 };
	struct esop_gen_spec sp = { .encap = ESOP_ENC_V4, .src = dev, .dst = ap };
	struct fp_msg_push_reply rep;
	struct fp_dev_info info;
	struct es_policy p;
	uint8_t f[1100];
	int len;

	sp.hdr = esop_gen_hdr_default(ESOP_T_TENSOR, 1);
	sp.hdr.app_id = 1;
	sp.payload_len = 1000 - 14 - 20 - 8 - 32;
	sp.hdr.total_len = sp.payload_len;
	len = esop_gen_build(f, sizeof(f), &sp);
	for (int k = 0; k < 2; k++) {
		make_policy(&p, 300 + (uint64_t)k, NDEV);
		p.devices[0].rate_kbps = 8;
		p.devices[0].burst_bytes = 1500;
		CHECK(fp_client_push_policy(c, &p, 0, &rep) == 0, "meter table %d: %s", k, rep.why);
		fp_test_policy_free(&p);
		if (k == 0)
			CHECK(judge_one(dp, f, len) == ESOP_V_FORWARD, "first 1000 bytes not FORWARD");
	}
	CHECK(fp_dp_device(dp, 1, &info) == 0 && info.bucket_bytes >= 0 &&
	      info.bucket_bytes < 1000, "bucket after the swap: %ld bytes",
	      (long)info.bucket_bytes);
	CHECK(judge_one(dp, f, len) == ESOP_V_OVER_RATE, "bucket was refilled by the swap");
}

/*
 * Delta @e against @base: every device of table @e (1..ndev), and with
 * @rm the devices NDEV+1..NDEV+8 removed instead of changed. @how: 0, or
 * B_CSUM / B_UNSEALED to spoil it. Returns the push's result.
 */
static int push_delta(struct fp_client *c, uint64_t e, uint64_t base, uint32_t ndev, int rm,
		      enum bad how, struct fp_msg_push_reply *rep)
{
	uint32_t ids[8];
	struct es_policy p;
	struct fp_delta_src src = { &p, ids, 0, base };
	size_t len;
	int fd, err;

	make_policy(&p, e, ndev);
	if (rm) {
		for (uint32_t i = 0; i < 8; i++)
			ids[i] = NDEV + 1 + i;
		src.nremove = 8;
		p.ndevices = NDEV;
	}
	if (how == B_CSUM || how == B_UNSEALED) {
		int64_t n = fp_delta_size(&src);
		uint8_t *map;

		fd = memfd_create("bad", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (fd < 0 || ftruncate(fd, n) < 0)
			abort();
		map = mmap(NULL, (size_t)n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED || fp_delta_build(&src, map, (size_t)n) != n)
			abort();
		if (how == B_CSUM)
			map[n - 1] ^= 1;
		munmap(map, (size_t)n);
		if (how == B_CSUM)
			fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW);
		len = (size_t)n;
	} else if (fp_delta_build_memfd(&src, &fd, &len)) {
		abort();
	}
	fp_test_policy_free(&p);
	err = fp_client_push_delta_fd(c, fd, len, 0, rep);
	close(fd);
	return err;
}

static void test_deltas(struct fp_client *c, struct fp_dp *dp)
{
	static const struct { const char *name; uint64_t base; enum bad how; int err; } bad[] = {
		{ "delta for another base epoch", 0, B_STALE, -EXDEV },
		{ "corrupt delta", 1, B_CSUM, -EBADMSG },
		{ "unsealed delta", 1, B_UNSEALED, -EPERM },
	};
	struct fp_msg_push_reply rep;
	struct fp_msg_stats st0, st;
	struct es_policy p;
	uint64_t e, sent0 = sent, out0 = got_decision + got_forward;
	int merges = 0;

	fp_client_get_stats(c, &st0);
	make_policy(&p, 200, NDEV + 8);
	CHECK(fp_client_push_policy(c, &p, 0, &rep) == 0, "delta base: %s", rep.why);
	fp_test_policy_free(&p);
	for (e = 201; e <= 260; e++) {
		int err;

		offer(PER_SWAP);
		/* odd: devices NDEV+1.. removed, even: there again */
		err = push_delta(c, e, e - 1, NDEV + 8, e & 1, 0, &rep);
		CHECK(err == 0 && rep.epoch == e, "delta %lu: %d %s", (unsigned long)e, err, rep.why);
		drain();
		if (e % 10 == 0) {
			offer(PER_SWAP);
			merges += fp_dp_merge(dp, 1) == 1;
			drain();
		}
	}
	for (uint64_t end = rte_rdtsc() + 10 * rte_get_tsc_hz();
	     got_decision + got_forward < sent && rte_rdtsc() < end;)
		drain();
	CHECK(got_decision + got_forward - out0 == sent - sent0, "deltas: lost %ld frames",
	      (long)(sent - sent0 - (got_decision + got_forward - out0)));
	CHECK(merges == 6, "%d merges of 6", merges);
	CHECK(probe_epoch() == 260, "DECISIONs after the deltas not from epoch 260");
	struct fp_dev_info info;

	CHECK(fp_dp_device(dp, NDEV + 1, &info) == 0 && info.in_table &&
	      info.rate_kbps == 100260, "device %u after its re-add", NDEV + 1);
	for (size_t r = 0; r < sizeof(bad) / sizeof(bad[0]); r++) {
		int err = push_delta(c, 261, bad[r].base ? 260 : 250, NDEV, 0, bad[r].how, &rep);

		CHECK(err == bad[r].err && rep.epoch == 260, "%s: %d (%s), epoch %lu",
		      bad[r].name, err, rep.why, (unsigned long)rep.epoch);
		CHECK(probe_epoch() == 260, "%s: DECISIONs no longer from epoch 260", bad[r].name);
	}
	CHECK(fp_client_get_stats(c, &st) == 0 &&
	      st.counters[FP_C_REFUSED] == st0.counters[FP_C_REFUSED] + 3 &&
	      st.counters[FP_C_SWAPS] == st0.counters[FP_C_SWAPS] + 61 + 6 &&
	      st.counters[FP_C_DELTAS] == 60 && st.counters[FP_C_MERGES] == 6,
	      "after the deltas: refused %lu swaps %lu",
	      (unsigned long)(st.counters[FP_C_REFUSED] - st0.counters[FP_C_REFUSED]),
	      (unsigned long)(st.counters[FP_C_SWAPS] - st0.counters[FP_C_SWAPS]));
	printf("%lu frames through 60 deltas and 6 merges; over rate %lu unknown %lu\n",
	       (unsigned long)(sent - sent0),
	       (unsigned long)(st.verdicts[ESOP_V_OVER_RATE] - st0.verdicts[ESOP_V_OVER_RATE]),
	       (unsigned long)(st.verdicts[ESOP_V_UNKNOWN_DEVICE] -
			       st0.verdicts[ESOP_V_UNKNOWN_DEVICE]));
}

int main(void)
{
	char dir[] = "/tmp/fp_swap_XXXXXX", sock[64], name[32];
	struct rte_ring *dummy_rx[NPORTS];
	struct fp_dp_cfg cfg = { .nports = NPORTS, .max_devices = MAX_DEVICES, .nworkers = 1 };
	struct fp_msg_push_reply rep;
	struct fp_msg_stats st;
	struct fp_client *cl;
	struct es_policy p;
	struct fp_ctl *ctl;
	struct fp_dp *dp;
	unsigned int lcore;

	fp_test_eal("fp_swap", 2, NULL, 0);
	if (!mkdtemp(dir))
		return 1;
	mp = rte_pktmbuf_pool_create("swap", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	for (int i = 0; mp && i < NPORTS; i++) {
		snprintf(name, sizeof(name), "rx%d", i);
		dummy_rx[i] = rte_ring_create(name, 16384, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "tx%d", i);
		tx_ring[i] = rte_ring_create(name, 16384, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "ring%d", i);
		if (!dummy_rx[i] || !tx_ring[i] ||
		    rte_eth_from_rings(name, &dummy_rx[i], 1, &tx_ring[i], 1, 0) != i ||
		    fp_port_setup((uint16_t)i, 1, 1, mp)) {
			fprintf(stderr, "error: ring port %d\n", i);
			return 1;
		}
	}
	rx_ring = dummy_rx[0];
	snprintf(sock, sizeof(sock), "%s/dp.sock", dir);
	if (!mp || fp_dp_create(&cfg, &dp) || fp_dp_worker_init(dp, 0, 0, 0, 0) ||
	    fp_ctl_start(dp, sock, &ctl) || fp_client_connect(sock, &cl)) {
		fprintf(stderr, "error: fast path setup\n");
		return 1;
	}
	build_templates();
	make_policy(&p, 1, NDEV);
	CHECK(fp_client_push_policy(cl, &p, 0, &rep) == 0, "first table: %s", rep.why);
	fp_test_policy_free(&p);
	lcore = rte_get_next_lcore(-1, 1, 0);
	rte_eal_remote_launch(fp_dp_run, fp_dp_worker_arg(dp, 0), lcore);

	for (uint64_t e = 2; e <= NSWAPS + 1; e++) {
		int err;

		offer(PER_SWAP);	/* a backlog the worker drains during the push */
		make_policy(&p, e, NDEV);
		err = fp_client_push_policy(cl, &p, 0, &rep);
		CHECK(err == 0 && rep.epoch == e, "push %lu: %d %s", (unsigned long)e, err,
		      rep.why);
		fp_test_policy_free(&p);
		drain();
	}
	for (uint64_t end = rte_rdtsc() + 10 * rte_get_tsc_hz();
	     got_decision + got_forward < sent && rte_rdtsc() < end;)
		drain();
	CHECK(fp_client_get_stats(cl, &st) == 0, "stats");
	printf("%lu frames sent, %lu DECISIONs, %lu forwarded, %lu swaps, epoch %lu\n",
	       (unsigned long)sent, (unsigned long)got_decision, (unsigned long)got_forward,
	       (unsigned long)st.counters[FP_C_SWAPS], (unsigned long)st.epoch);
	CHECK(got_decision + got_forward == sent, "lost %ld frames",
	      (long)(sent - got_decision - got_forward));
	CHECK(got_decision == sent / 2 && got_forward == sent / 2, "split REQ/TENSOR");
	CHECK(st.counters[FP_C_SWAPS] == NSWAPS + 1 && st.epoch == NSWAPS + 1, "swaps");
	CHECK(st.counters[FP_C_TX_DROP] == 0, "tx drops");
	CHECK(st.verdicts[ESOP_V_REQUEST] + st.verdicts[ESOP_V_FORWARD] == sent,
	      "verdicts other than REQUEST/FORWARD");

	test_bad_pushes(cl);
	test_bad_messages(cl);
	test_deltas(cl, dp);
	test_meter_across_swap(cl, dp);

	fp_dp_stop(dp);
	rte_eal_mp_wait_lcore();
	fp_client_close(cl);
	fp_ctl_stop(ctl);
	fp_dp_free(dp);
	rmdir(dir);
	return fp_test_eal_done();
}
