/* SPDX-License-Identifier: MIT */
/*
 * The differential test: the fixture corpus (fixtures.pcap) replayed in
 * order through net_pcap into the fast path, from full buckets, with the
 * fixture world's table. Every frame's verdict (read from the fast path's
 * own per-verdict counters) must equal fixtures.tsv, the table the XDP
 * program's tests check too. Every frame the fast path sends (net_pcap out,
 * one file per port) must equal, byte for byte, the frame this test builds
 * independently with tools/esop_gen.h from the fixture world:
 * DECISIONs (PROTOCOL.md "Building a DECISION"), FORWARDs rewritten
 * towards their server, RETURNs towards the learned device.
 *
 * Usage: test_fp_corpus FIXTURES.pcap FIXTURES.tsv
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>
#include <pcap/pcap.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "esop_fixtures.h"
#include "esop_parse.h"
#include "fp_dp.h"
#include "fp_port.h"
#include "fp_table.h"
#include "fp_testlib.h"

#define NPORTS		3
#define MAX_OUT		1024
#define MAX_LEARN	64

struct frame {
	int len;
	uint8_t b[ESOP_FIX_MAX_FRAME];
};

static struct frame expect[NPORTS][MAX_OUT];
static int nexpect[NPORTS];
static struct rte_ether_addr port_mac[NPORTS];

struct learned {
	uint32_t id;
	uint8_t mac[6];
	uint8_t has_vlan;
	uint16_t tci;
};
static struct learned learn[MAX_LEARN];
static int nlearn;

static struct learned *learned_of(uint32_t id, int add)
{
	for (int i = 0; i < nlearn; i++)
		if (learn[i].id == id)
			return &learn[i];
	if (!add || nlearn == MAX_LEARN)
		return NULL;
	learn[nlearn].id = id;
	return &learn[nlearn++];
}

static int read_tsv(const char *path, int *verdicts, size_t cap, size_t *n)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	*n = 0;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EINVAL;
	}
	while (fgets(line, sizeof(line), f) && *n < cap) {
		char *col = line;
		int v = -1;

		for (int c = 0; c < 4 && col; c++) {
			col = strchr(col, '\t');
			if (col)
				col++;
		}
		if (!col)
			break;
		*strchr(col, '\t') = 0;
		for (int k = 0; k < ESOP_V__COUNT; k++)
			if (!strcmp(col, esop_verdict_names[k]))
				v = k;
		verdicts[(*n)++] = v;
	}
	fclose(f);
	return 0;
}

static void host_of(struct esop_gen_host *h, const uint8_t *mac, const uint8_t *ip,
		    int v6, uint16_t port)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->mac, mac, 6);
	memcpy(v6 ? h->ip6 : h->ip4, ip, v6 ? 16 : 4);
	h->port = port;
}

static void add_expect(int port, const struct esop_gen_spec *s)
{
	struct frame *f = &expect[port][nexpect[port]++];

	f->len = esop_gen_build(f->b, sizeof(f->b), s);
	if (f->len < 0) {
		fp_test_failures++;
		fprintf(stderr, "FAIL: esop_gen_build: %d\n", f->len);
	}
}

static int kind_index(int server)
{
	int k = 0;

	for (int j = 0; j < server; j++)
		k += esop_fix_world.servers[j].kind == esop_fix_world.servers[server].kind;
	return k;
}

static const struct esop_fix_app *world_app(uint32_t dev, uint16_t app)
{
	const struct esop_fix_device *d = esop_fix_device(dev);

	for (unsigned int a = 0; d && a < d->napps; a++)
		if (d->apps[a].app == app)
			return &d->apps[a];
	return NULL;
}

/* The DECISION this request must get, from the world's table. */
static void expect_decision(const struct esop_fixture *fx, const struct esop_pkt *p)
{
	const struct esop_fix_device *d = esop_fix_device(p->device_id);
	const struct esop_fix_app *a = world_app(p->device_id, p->app_id);
	const uint8_t *f = fx->frame;
	struct esop_gen_spec s;
	uint8_t pay[ESOP_DECISION_BYTES] = { 0 };

	memset(&s, 0, sizeof(s));
	s.encap = (enum esop_gen_encap)fx->encap;
	host_of(&s.src, f, p->daddr, p->ipv6, p->dst_port);
	host_of(&s.dst, f + 6, p->saddr, p->ipv6, p->src_port);
	if (p->gtpu) {
		const uint8_t *o = f + p->l3_off;
		int v6 = p->outer_ipv6;

		host_of(&s.outer_src, f, o + (v6 ? 24 : 16), v6, ESOP_GTPU_PORT);
		host_of(&s.outer_dst, f + 6, o + (v6 ? 8 : 12), v6, ESOP_GTPU_PORT);
		s.gtpu_teid = p->gtpu_teid;
	}
	s.vlan_tci = p->vlan_tci;
	s.hdr = esop_gen_hdr_default(ESOP_T_DECISION, p->device_id);
	s.hdr.app_id = p->app_id;
	s.hdr.task_id = p->task_id;
	s.hdr.deadline_us = p->deadline_us;
	s.hdr.total_len = ESOP_DECISION_BYTES;
	if (a && a->server >= 0) {
		pay[0] = esop_fix_world.servers[a->server].kind;
		pay[1] = (uint8_t)kind_index(a->server);
	}
	if (a) {
		pay[2] = (uint8_t)(a->split_layer >> 8);
		pay[3] = (uint8_t)a->split_layer;
		pay[4] = a->exit;
		s.hdr.layer = a->split_layer;
	}
	for (int i = 0; i < 4; i++) {
		pay[8 + i] = (uint8_t)(d->rate_kbps >> (24 - 8 * i));
		pay[12 + i] = (uint8_t)(esop_fix_world.epoch >> (24 - 8 * i));
	}
	s.payload_len = ESOP_DECISION_BYTES;
	s.payload = pay;
	add_expect(0, &s);
}

/* The tensor rewritten towards its server: same datagram, new destination. */
static void expect_forward(const struct esop_fixture *fx, const struct esop_pkt *p)
{
	const struct esop_fix_app *a = world_app(p->device_id, p->app_id);
	const struct esop_fix_server *srv = &esop_fix_world.servers[a->server];
	struct esop_gen_spec s;

	memset(&s, 0, sizeof(s));
	s.encap = p->ipv6 ? ESOP_ENC_V6 : ESOP_ENC_V4;
	host_of(&s.src, port_mac[srv->port].addr_bytes, p->saddr, p->ipv6, p->src_port);
	s.dst = srv->host;
	s.hdr = esop_gen_hdr_default(p->type, p->device_id);
	s.hdr.flags = p->flags;
	s.hdr.hdr_len = p->hdr_len;
	s.hdr.app_id = p->app_id;
	s.hdr.task_id = p->task_id;
	s.hdr.layer = p->layer;
	s.hdr.snr_qdb = p->snr_qdb;
	s.hdr.total_len = p->total_len;
	s.hdr.frag_off = p->frag_off;
	s.hdr.deadline_us = p->deadline_us;
	s.payload_len = p->payload_len;
	s.payload = fx->frame + p->payload_off;
	add_expect(srv->port, &s);
}

/* A RESULT keeps its datagram; Ethernet goes to the device's learned MAC. */
static void expect_return(const struct esop_fixture *fx, const struct esop_pkt *p)
{
	const struct learned *l = learned_of(p->device_id, 0);
	struct frame *o;
	int n = 0;

	if (!l)
		return;
	o = &expect[0][nexpect[0]++];
	memcpy(o->b, l->mac, 6);
	memcpy(o->b + 6, port_mac[0].addr_bytes, 6);
	n = 12;
	if (l->has_vlan) {
		o->b[n++] = 0x81;
		o->b[n++] = 0x00;
		o->b[n++] = (uint8_t)(l->tci >> 8);
		o->b[n++] = (uint8_t)l->tci;
	}
	o->b[n++] = p->outer_ipv6 ? 0x86 : 0x08;
	o->b[n++] = p->outer_ipv6 ? 0xdd : 0x00;
	memcpy(o->b + n, fx->frame + p->l3_off, fx->len - p->l3_off);
	o->len = n + fx->len - p->l3_off;
}

static void expect_outputs(const struct esop_fixture *fx, int verdict)
{
	struct esop_parse_cfg cfg = { 0 };
	struct esop_pkt p;

	if (esop_parse(fx->frame, fx->frame + fx->len, &cfg, &p) != ESOP_V_NEEDS_TABLE)
		return;
	if (verdict == ESOP_V_REQUEST || verdict == ESOP_V_FORWARD ||
	    verdict == ESOP_V_LOCAL) {
		struct learned *l = learned_of(p.device_id, 1);

		if (!l) {
			CHECK(0, "too many devices to learn");
			return;
		}
		memcpy(l->mac, fx->frame + 6, 6);
		l->has_vlan = p.has_vlan;
		l->tci = p.has_vlan ? p.vlan_tci : 0;
	}
	if ((verdict == ESOP_V_REQUEST && p.type == ESOP_T_OFFLOAD_REQ) ||
	    verdict == ESOP_V_LOCAL)
		expect_decision(fx, &p);
	else if (verdict == ESOP_V_FORWARD)
		expect_forward(fx, &p);
	else if (verdict == ESOP_V_RETURN)
		expect_return(fx, &p);
}

static void compare_port(const char *path, int port)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc = pcap_open_offline(path, err);
	int i = 0;

	if (!pc) {
		CHECK(0, "port %d: %s", port, err);
		return;
	}
	while (pcap_next_ex(pc, &h, &data) == 1) {
		if (i >= nexpect[port]) {
			CHECK(0, "port %d: frame %d sent but not expected", port, i);
			i++;
			continue;
		}
		const struct frame *e = &expect[port][i];

		CHECK((int)h->caplen == e->len && !memcmp(data, e->b, (size_t)e->len),
		      "port %d: frame %d differs (len %u, expected %d)", port, i,
		      h->caplen, e->len);
		if ((int)h->caplen == e->len && memcmp(data, e->b, (size_t)e->len)) {
			for (int k = 0; k < e->len; k++)
				if (data[k] != e->b[k]) {
					fprintf(stderr, "  first difference at byte %d: %02x vs %02x\n",
						k, data[k], e->b[k]);
					break;
				}
		}
		i++;
	}
	CHECK(i == nexpect[port], "port %d: %d frames sent, %d expected", port, i,
	      nexpect[port]);
	printf("port %d: %d frames sent, %d expected\n", port, i, nexpect[port]);
	pcap_close(pc);
}

static void release_free(void *ctx, const void *blob, size_t len)
{
	(void)ctx;
	(void)len;
	free((void *)blob);
}

int main(int argc, char **argv)
{
	static int tsv[1024];
	char dir[] = "/tmp/fp_corpus_XXXXXX", vdev[NPORTS][512], path[600];
	const char *vdevs[NPORTS];
	struct esop_fixture *fx;
	struct fp_dp_cfg cfg = { .nports = NPORTS, .burst = 1, .max_devices = 1024,
				 .nworkers = 1 };
	struct rte_mempool *mp;
	struct es_policy pol;
	struct fp_dp *dp;
	size_t nfx = 0, ntsv = 0;
	void *blob;
	int64_t blen;
	const char *why = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: %s FIXTURES.pcap FIXTURES.tsv\n", argv[0]);
		return 2;
	}
	if (read_tsv(argv[2], tsv, 1024, &ntsv) || esop_fixtures_build(&fx, &nfx) ||
	    !mkdtemp(dir)) {
		fprintf(stderr, "error: cannot read the corpus\n");
		return 1;
	}
	if (ntsv != nfx) {
		fprintf(stderr, "error: %zu rows in the tsv, %zu frames built\n", ntsv, nfx);
		return 1;
	}
	snprintf(vdev[0], sizeof(vdev[0]), "net_pcap0,rx_pcap=%s,tx_pcap=%s/p0.pcap",
		 argv[1], dir);
	for (int p = 1; p < NPORTS; p++)
		snprintf(vdev[p], sizeof(vdev[p]), "net_pcap%d,tx_pcap=%s/p%d.pcap", p, dir, p);
	for (int p = 0; p < NPORTS; p++)
		vdevs[p] = vdev[p];
	fp_test_eal("fp_corpus", 1, vdevs, NPORTS);

	mp = rte_pktmbuf_pool_create("corpus", 4096, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	for (uint16_t p = 0; mp && p < NPORTS; p++) {
		struct rte_eth_dev_info info;

		rte_eth_dev_info_get(p, &info);
		if (fp_port_setup(p, info.max_rx_queues ? 1 : 0, 1, mp)) {
			fprintf(stderr, "error: port %u setup\n", p);
			return 1;
		}
		rte_eth_macaddr_get(p, &port_mac[p]);
	}
	if (!mp || fp_dp_create(&cfg, &dp) || fp_dp_worker_init(dp, 0, 0, 0, 0)) {
		fprintf(stderr, "error: fast path setup\n");
		return 1;
	}
	if (fp_test_world_policy(&pol) || (blen = fp_table_size(&pol)) < 0 ||
	    !(blob = aligned_alloc(64, ((size_t)blen + 63) & ~(size_t)63)) ||
	    fp_table_build(&pol, blob, (size_t)blen) != blen ||
	    fp_dp_apply(dp, blob, (size_t)blen, 0, release_free, NULL, &why)) {
		fprintf(stderr, "error: world table: %s\n", why ? why : "build failed");
		return 1;
	}

	/* one frame per poll: each verdict read from the counters it moved */
	for (size_t i = 0; i < nfx; i++) {
		struct fp_msg_stats a, b;
		int got = -1, moved = 0;

		fp_dp_stats(dp, &a);
		if (fp_dp_poll(dp, 0) != 1) {
			CHECK(0, "frame %zu (%s): not received", i, fx[i].name);
			break;
		}
		fp_dp_stats(dp, &b);
		for (int v = 0; v < ESOP_V__COUNT; v++)
			if (b.verdicts[v] != a.verdicts[v]) {
				got = v;
				moved++;
			}
		CHECK(moved == 1 && got == tsv[i], "frame %zu (%s): verdict %s, tsv says %s",
		      i, fx[i].name, got >= 0 ? esop_verdict_names[got] : "none",
		      tsv[i] >= 0 ? esop_verdict_names[tsv[i]] : "?");
		if (got == ESOP_V_MALFORMED)
			CHECK(b.drops[fx[i].reason] == a.drops[fx[i].reason] + 1,
			      "frame %zu (%s): not counted under %s", i, fx[i].name,
			      esop_drop_names[fx[i].reason]);
		expect_outputs(&fx[i], tsv[i]);
	}
	CHECK(fp_dp_poll(dp, 0) == 0, "more frames than the corpus");
	printf("%zu frames judged, %d verdict mismatches\n", nfx, fp_test_failures);

	fp_dp_worker_offline(dp, 0);
	for (uint16_t p = 0; p < NPORTS; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);	/* flushes the pcap writers */
	}
	for (int p = 0; p < NPORTS; p++) {
		snprintf(path, sizeof(path), "%s/p%d.pcap", dir, p);
		compare_port(path, p);
		unlink(path);
	}
	rmdir(dir);
	fp_dp_free(dp);
	fp_test_policy_free(&pol);
	free(fx);
	return fp_test_eal_done();
}
