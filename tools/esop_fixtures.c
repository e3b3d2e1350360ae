/* SPDX-License-Identifier: MIT */
#include "esop_fixtures.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "es_policy.h"
#include "esop.h"

#define HOST4(a, b, c, d) { a, b, c, d }
#define HOST6(last) { 0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last }
#define HOST6N(net, last) { 0x20, 0x01, 0x00, 0x02, 0, 0, 0, net, 0, 0, 0, 0, 0, 0, 0, last }

enum { SRV_EDGE0, SRV_CLOUD0, SRV_EDGE6, SRV_CLOUD6 };

static const struct esop_fix_server servers[] = {
	[SRV_EDGE0] = { "edge0", ESOP_TARGET_EDGE, 0, 1,
			{ { 2, 0, 0, 0, 1, 2 }, HOST4(198, 18, 1, 2), HOST6N(1, 2), 7447 } },
	[SRV_CLOUD0] = { "cloud0", ESOP_TARGET_CLOUD, 0, 2,
			 { { 2, 0, 0, 0, 2, 2 }, HOST4(198, 18, 2, 2), HOST6N(2, 2), 7447 } },
	[SRV_EDGE6] = { "edge6", ESOP_TARGET_EDGE, 1, 1,
			{ { 2, 0, 0, 0, 1, 6 }, HOST4(198, 18, 1, 6), HOST6N(1, 6), 7447 } },
	[SRV_CLOUD6] = { "cloud6", ESOP_TARGET_CLOUD, 1, 2,
			 { { 2, 0, 0, 0, 2, 6 }, HOST4(198, 18, 2, 6), HOST6N(2, 6), 7447 } },
};

/* Devices 1 (IPv4 traffic) and 2 (IPv6) are ordinary; 100 + encap are the
 * over-rate devices, one per encapsulation so the pairs do not interact. */
#define DEV_V4		1
#define DEV_V6		2
#define DEV_OVER	100
#define DEV_UNKNOWN	999999
#define APP_EDGE	3
#define APP_CLOUD	4
#define APP_LOCAL	5
#define APP_UNLISTED	9

#define DEV_APPS(edge, cloud) 3, { { APP_EDGE, edge, 4, 0 }, { APP_CLOUD, cloud, 2, 0 }, { APP_LOCAL, -1, 0, 0 } }
#define OVER_DEV(i, edge) { DEV_OVER + (i), 8, 1500, 1, { { APP_EDGE, edge, 4, 0 } } }

static const struct esop_fix_device devices[] = {
	{ DEV_V4, 20000, 131072, DEV_APPS(SRV_EDGE0, SRV_CLOUD0) },
	{ DEV_V6, 20000, 131072, DEV_APPS(SRV_EDGE6, SRV_CLOUD6) },
	OVER_DEV(ESOP_ENC_V4, SRV_EDGE0),
	OVER_DEV(ESOP_ENC_V6, SRV_EDGE6),
	OVER_DEV(ESOP_ENC_VLAN_V4, SRV_EDGE0),
	OVER_DEV(ESOP_ENC_VLAN_V6, SRV_EDGE6),
	OVER_DEV(ESOP_ENC_GTPU_V4, SRV_EDGE0),
	OVER_DEV(ESOP_ENC_GTPU_V6, SRV_EDGE6),
};

const struct esop_fix_world esop_fix_world = {
	.epoch = 1,
	.servers = servers,
	.nservers = sizeof(servers) / sizeof(servers[0]),
	.devices = devices,
	.ndevices = sizeof(devices) / sizeof(devices[0]),
	.ap = { { 2, 0, 0, 0, 0, 0xfe }, HOST4(198, 18, 0, 1), HOST6(1), 7447 },
	.default_rate_kbps = 1000,
	.default_burst_bytes = 65536,
};

static const struct esop_gen_host device_host = {
	{ 2, 0, 0, 0, 0, 0x11 }, HOST4(198, 18, 0, 11), HOST6(0x11), 7447
};
static const struct esop_gen_host stranger_host = {
	{ 2, 0, 0, 0, 9, 9 }, HOST4(198, 18, 9, 9), HOST6N(9, 9), 7447
};
static const struct esop_gen_host gnb_host = {
	{ 2, 0, 0, 0, 3, 1 }, HOST4(198, 18, 3, 1), HOST6N(3, 1), ESOP_GTPU_PORT
};

const struct esop_fix_device *esop_fix_device(uint32_t id)
{
	for (unsigned int i = 0; i < esop_fix_world.ndevices; i++)
		if (devices[i].id == id)
			return &devices[i];
	return NULL;
}

int esop_fix_server_by_addr(const uint8_t *addr, int ipv6)
{
	for (unsigned int i = 0; i < esop_fix_world.nservers; i++) {
		const struct esop_fix_server *s = &servers[i];

		if (s->ipv6 == ipv6 &&
		    !memcmp(addr, ipv6 ? s->host.ip6 : s->host.ip4, ipv6 ? 16 : 4))
			return (int)i;
	}
	return -1;
}

static int encap_v6(int e)
{
	return e == ESOP_ENC_V6 || e == ESOP_ENC_VLAN_V6 || e == ESOP_ENC_GTPU_V6;
}

/* What a case changes in a valid frame, and what it must get. */
struct fx_case {
	const char *name;
	uint8_t type;
	int parse, reason, verdict;
	void (*tweak)(struct esop_gen_spec *s);
	int gtpu_only;
};

static void t_none(struct esop_gen_spec *s) { (void)s; }
static void t_app_cloud(struct esop_gen_spec *s) { s->hdr.app_id = APP_CLOUD; }
static void t_app_local(struct esop_gen_spec *s) { s->hdr.app_id = APP_LOCAL; }
static void t_app_unlisted(struct esop_gen_spec *s) { s->hdr.app_id = APP_UNLISTED; }
static void t_last_frag(struct esop_gen_spec *s)
{
	s->hdr.frag_off = 768;
	s->hdr.flags = ESOP_F_LAST_FRAGMENT | ESOP_F_EARLY_EXIT_OK;
}
static void t_options(struct esop_gen_spec *s) { s->hdr.hdr_len = 10; }
static void t_unknown(struct esop_gen_spec *s) { s->hdr.device_id = DEV_UNKNOWN; }
static void t_over(struct esop_gen_spec *s)
{
	s->hdr.device_id = DEV_OVER + (uint32_t)s->encap;
	s->payload_len = 1000;
	s->hdr.total_len = 4000;
}
static void t_from_server(struct esop_gen_spec *s)
{
	s->src = servers[encap_v6((int)s->encap) ? SRV_EDGE6 : SRV_EDGE0].host;
	s->dst = device_host;
}
static void t_from_stranger(struct esop_gen_spec *s)
{
	s->src = stranger_host;
	s->dst = device_host;
}
static void t_short(struct esop_gen_spec *s) { s->esop_trim = 30; }
static void t_magic(struct esop_gen_spec *s) { s->hdr.magic = 0xE50E; }
static void t_version(struct esop_gen_spec *s) { s->hdr.version = 2; }
static void t_type0(struct esop_gen_spec *s) { s->hdr.type = 0; }
static void t_type6(struct esop_gen_spec *s) { s->hdr.type = 6; }
static void t_flags(struct esop_gen_spec *s) { s->hdr.flags = 0x80; }
static void t_hdr_small(struct esop_gen_spec *s) { s->hdr.hdr_len = 7; }
static void t_hdr_past(struct esop_gen_spec *s)
{
	s->hdr.hdr_len = 12;
	s->esop_trim = 40;
}
static void t_zero_dev(struct esop_gen_spec *s) { s->hdr.device_id = 0; }
static void t_range(struct esop_gen_spec *s) { s->hdr.frag_off = 900; }
static void t_range_wrap(struct esop_gen_spec *s)
{
	s->hdr.frag_off = 0xffffff80u;
	s->hdr.total_len = 0xffffffffu;
}
static void t_empty(struct esop_gen_spec *s) { s->payload_len = 0; }
static void t_payload(struct esop_gen_spec *s) { s->payload_len = 16; }
static void t_ip_long(struct esop_gen_spec *s) { s->ip_len_delta = 20; }
static void t_udp_len(struct esop_gen_spec *s) { s->udp_len_delta = -4; }
static void t_gtp_len(struct esop_gen_spec *s) { s->gtpu_len_delta = 4; }
static void t_gtp_opt(struct esop_gen_spec *s) { s->gtpu_opt_word = 1; }
static void t_gtp_ext(struct esop_gen_spec *s) { s->gtpu_ext_pdu_session = 1; }
static void t_padded(struct esop_gen_spec *s) { s->pad_bytes = 12; }

#define NT ESOP_V_NEEDS_TABLE
#define MAL ESOP_V_MALFORMED
#define OK(name, type, verdict, tweak) { name, type, NT, 0, verdict, tweak, 0 }
#define BAD(name, type, reason, tweak) { name, type, MAL, reason, MAL, tweak, 0 }

static const struct fx_case cases[] = {
	OK("req", ESOP_T_OFFLOAD_REQ, ESOP_V_REQUEST, t_none),
	OK("telemetry", ESOP_T_TELEMETRY, ESOP_V_REQUEST, t_none),
	OK("tensor_edge", ESOP_T_TENSOR, ESOP_V_FORWARD, t_none),
	OK("tensor_cloud", ESOP_T_TENSOR, ESOP_V_FORWARD, t_app_cloud),
	OK("tensor_local", ESOP_T_TENSOR, ESOP_V_LOCAL, t_app_local),
	OK("tensor_unlisted_app", ESOP_T_TENSOR, ESOP_V_LOCAL, t_app_unlisted),
	OK("tensor_last_frag", ESOP_T_TENSOR, ESOP_V_FORWARD, t_last_frag),
	OK("tensor_padded", ESOP_T_TENSOR, ESOP_V_FORWARD, t_padded),
	OK("req_options", ESOP_T_OFFLOAD_REQ, ESOP_V_REQUEST, t_options),
	OK("req_unknown_device", ESOP_T_OFFLOAD_REQ, ESOP_V_UNKNOWN_DEVICE, t_unknown),
	OK("tensor_unknown_device", ESOP_T_TENSOR, ESOP_V_UNKNOWN_DEVICE, t_unknown),
	OK("tensor_rate_first", ESOP_T_TENSOR, ESOP_V_FORWARD, t_over),
	OK("tensor_over_rate", ESOP_T_TENSOR, ESOP_V_OVER_RATE, t_over),
	OK("result_from_server", ESOP_T_RESULT, ESOP_V_RETURN, t_from_server),
	OK("result_from_stranger", ESOP_T_RESULT, ESOP_V_UNEXPECTED, t_from_stranger),
	OK("decision_at_ap", ESOP_T_DECISION, ESOP_V_UNEXPECTED, t_none),
	{ "req_gtpu_seq", ESOP_T_OFFLOAD_REQ, NT, 0, ESOP_V_REQUEST, t_gtp_opt, 1 },
	{ "tensor_gtpu_pdu_session", ESOP_T_TENSOR, NT, 0, ESOP_V_FORWARD, t_gtp_ext, 1 },
	BAD("short", ESOP_T_OFFLOAD_REQ, ESOP_DROP_SHORT, t_short),
	BAD("bad_magic", ESOP_T_OFFLOAD_REQ, ESOP_DROP_BAD_MAGIC, t_magic),
	BAD("bad_version", ESOP_T_OFFLOAD_REQ, ESOP_DROP_BAD_VERSION, t_version),
	BAD("bad_type_0", ESOP_T_OFFLOAD_REQ, ESOP_DROP_BAD_TYPE, t_type0),
	BAD("bad_type_6", ESOP_T_OFFLOAD_REQ, ESOP_DROP_BAD_TYPE, t_type6),
	BAD("reserved_flag", ESOP_T_OFFLOAD_REQ, ESOP_DROP_RESERVED_FLAGS, t_flags),
	BAD("hdr_len_7", ESOP_T_OFFLOAD_REQ, ESOP_DROP_HDR_LEN_SMALL, t_hdr_small),
	BAD("hdr_past_end", ESOP_T_OFFLOAD_REQ, ESOP_DROP_HDR_PAST_END, t_hdr_past),
	BAD("zero_device", ESOP_T_OFFLOAD_REQ, ESOP_DROP_ZERO_DEVICE, t_zero_dev),
	BAD("tensor_past_total", ESOP_T_TENSOR, ESOP_DROP_TENSOR_RANGE, t_range),
	BAD("tensor_range_wraps", ESOP_T_TENSOR, ESOP_DROP_TENSOR_RANGE, t_range_wrap),
	BAD("tensor_empty", ESOP_T_TENSOR, ESOP_DROP_TENSOR_EMPTY, t_empty),
	BAD("req_with_payload", ESOP_T_OFFLOAD_REQ, ESOP_DROP_PAYLOAD_NOT_EMPTY, t_payload),
	BAD("telemetry_with_payload", ESOP_T_TELEMETRY, ESOP_DROP_PAYLOAD_NOT_EMPTY, t_payload),
	BAD("ip_len_past_frame", ESOP_T_OFFLOAD_REQ, ESOP_DROP_IP_LEN, t_ip_long),
	BAD("udp_len_mismatch", ESOP_T_OFFLOAD_REQ, ESOP_DROP_UDP_LEN, t_udp_len),
	{ "gtpu_len_mismatch", ESOP_T_OFFLOAD_REQ, MAL, ESOP_DROP_GTP_LEN, MAL, t_gtp_len, 1 },
};

static struct esop_gen_spec base_spec(int encap, uint8_t type)
{
	int v6 = encap_v6(encap);
	struct esop_gen_spec s = {
		.encap = (enum esop_gen_encap)encap,
		.src = device_host,
		.dst = esop_fix_world.ap,
		.outer_src = gnb_host,
		.outer_dst = esop_fix_world.ap,
		.vlan_tci = 100,
		.gtpu_teid = 0x1000 + (uint32_t)encap,
		.hdr = esop_gen_hdr_default(type, v6 ? DEV_V6 : DEV_V4),
	};

	s.outer_dst.port = ESOP_GTPU_PORT;
	s.hdr.app_id = APP_EDGE;
	s.hdr.task_id = 42;
	s.hdr.snr_qdb = 80;	/* 20 dB */
	if (type == ESOP_T_TENSOR) {
		s.payload_len = 256;
		s.hdr.total_len = 1024;
	} else if (type == ESOP_T_RESULT) {
		s.payload_len = 64;
		s.hdr.total_len = 64;
	} else if (type == ESOP_T_DECISION) {
		s.payload_len = ESOP_DECISION_BYTES;
		s.hdr.total_len = ESOP_DECISION_BYTES;
	}
	return s;
}

/* --- ordinary traffic, built by hand: it must reach the kernel untouched --- */

static size_t eth(uint8_t *f, uint16_t proto)
{
	memcpy(f, esop_fix_world.ap.mac, 6);
	memcpy(f + 6, device_host.mac, 6);
	f[12] = (uint8_t)(proto >> 8);
	f[13] = (uint8_t)proto;
	return 14;
}

/* An IPv4 header at @p for @plen bytes of protocol @proto. */
static size_t ip4(uint8_t *p, uint8_t proto, size_t plen, uint16_t frag)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)((20 + plen) >> 8);
	p[3] = (uint8_t)(20 + plen);
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, device_host.ip4, 4);
	memcpy(p + 16, esop_fix_world.ap.ip4, 4);
	uint16_t c = esop_csum_fold(esop_csum_add(0, p, 20));
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	return 20;
}

static size_t ip6(uint8_t *p, uint8_t next, size_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = (uint8_t)(plen >> 8);
	p[5] = (uint8_t)plen;
	p[6] = next;
	p[7] = 64;
	memcpy(p + 8, device_host.ip6, 16);
	memcpy(p + 24, esop_fix_world.ap.ip6, 16);
	return 40;
}

static size_t udp(uint8_t *p, uint16_t sport, uint16_t dport, size_t plen)
{
	p[0] = (uint8_t)(sport >> 8);
	p[1] = (uint8_t)sport;
	p[2] = (uint8_t)(dport >> 8);
	p[3] = (uint8_t)dport;
	p[4] = (uint8_t)((8 + plen) >> 8);
	p[5] = (uint8_t)(8 + plen);
	p[6] = p[7] = 0;
	return 8;
}

enum {
	ORD_ARP, ORD_ICMP4, ORD_TCP_ESOP_PORT, ORD_DNS, ORD_UDP_OTHER,
	ORD_ICMP6, ORD_FRAG_ESOP_PORT, ORD_GTPU_ECHO, ORD_GTPU_DNS,
	ORD_V6_HOPOPT, ORD_RUNT, ORD_UDP_SRC_ESOP_PORT, ORD__COUNT
};

static const char *const ordinary_names[ORD__COUNT] = {
	"arp", "icmp4_echo", "tcp_to_esop_port", "dns", "udp_other_port",
	"icmp6_echo", "ip4_fragment_to_esop_port", "gtpu_echo", "gtpu_dns",
	"ip6_hopopt_then_udp", "runt_frame", "udp_from_esop_port",
};

static int build_ordinary(int which, uint8_t *f)
{
	size_t n;

	memset(f, 0, 128);
	switch (which) {
	case ORD_ARP:
		n = eth(f, 0x0806);
		f[n + 1] = 1; f[n + 2] = 8; f[n + 4] = 6; f[n + 5] = 4; f[n + 7] = 1;
		return (int)(n + 28);
	case ORD_ICMP4:
		n = eth(f, 0x0800);
		n += ip4(f + n, 1, 16, 0x4000);
		f[n] = 8;
		return (int)(n + 16);
	case ORD_TCP_ESOP_PORT:
		n = eth(f, 0x0800);
		n += ip4(f + n, 6, 20, 0x4000);
		f[n] = 0x9c; f[n + 1] = 0x40;
		f[n + 2] = ESOP_DEFAULT_PORT >> 8; f[n + 3] = ESOP_DEFAULT_PORT & 0xff;
		f[n + 12] = 0x50; f[n + 13] = 0x02;
		return (int)(n + 20);
	case ORD_DNS:
		n = eth(f, 0x0800);
		n += ip4(f + n, 17, 8 + 17, 0);
		n += udp(f + n, 40000, 53, 17);
		f[n + 5] = 1;
		return (int)(n + 17);
	case ORD_UDP_OTHER:
		n = eth(f, 0x0800);
		n += ip4(f + n, 17, 8 + 40, 0);
		n += udp(f + n, 7447, 9999, 40);
		f[n] = 0xe5; f[n + 1] = 0x0f;	/* looks like ESOP, wrong port */
		return (int)(n + 40);
	case ORD_ICMP6:
		n = eth(f, 0x86dd);
		n += ip6(f + n, 58, 16);
		f[n] = 128;
		return (int)(n + 16);
	case ORD_FRAG_ESOP_PORT:
		n = eth(f, 0x0800);
		n += ip4(f + n, 17, 8 + 40, 0x2000);	/* MF */
		n += udp(f + n, 7447, 7447, 100);
		return (int)(n + 40);
	case ORD_GTPU_ECHO:
		n = eth(f, 0x0800);
		n += ip4(f + n, 17, 8 + 12, 0);
		n += udp(f + n, ESOP_GTPU_PORT, ESOP_GTPU_PORT, 12);
		f[n] = 0x32; f[n + 1] = 1; f[n + 3] = 4;
		return (int)(n + 12);
	case ORD_GTPU_DNS: {
		size_t g;

		n = eth(f, 0x0800);
		n += ip4(f + n, 17, 8 + 8 + 20 + 8 + 17, 0);
		n += udp(f + n, ESOP_GTPU_PORT, ESOP_GTPU_PORT, 8 + 20 + 8 + 17);
		g = n;
		f[g] = 0x30; f[g + 1] = 0xff; f[g + 3] = 20 + 8 + 17;
		n += 8;
		n += ip4(f + n, 17, 8 + 17, 0);
		n += udp(f + n, 40000, 53, 17);
		return (int)(n + 17);
	}
	case ORD_V6_HOPOPT:
		n = eth(f, 0x86dd);
		n += ip6(f + n, 0, 8 + 8 + 40);
		f[n] = 17;	/* hop-by-hop options, then UDP */
		n += 8;
		n += udp(f + n, 7447, 7447, 40);
		return (int)(n + 40);
	case ORD_RUNT:
		eth(f, 0x0800);
		return 10;
	case ORD_UDP_SRC_ESOP_PORT:
		n = eth(f, 0x0800);
		n += ip4(f + n, 17, 8 + 40, 0);
		n += udp(f + n, 7447, 40001, 40);
		return (int)(n + 40);
	}
	return -EINVAL;
}

int esop_fixtures_build(struct esop_fixture **out, size_t *n)
{
	size_t ncases = sizeof(cases) / sizeof(cases[0]);
	size_t cap = ncases * ESOP_ENC__COUNT + ORD__COUNT, k = 0;
	struct esop_fixture *fx = calloc(cap, sizeof(*fx));

	if (!fx)
		return -ENOMEM;
	for (int e = 0; e < ESOP_ENC__COUNT; e++) {
		int gtp = e == ESOP_ENC_GTPU_V4 || e == ESOP_ENC_GTPU_V6;

		for (size_t c = 0; c < ncases; c++) {
			const struct fx_case *fc = &cases[c];
			struct esop_gen_spec s;
			struct esop_fixture *f = &fx[k];
			int len;

			if (fc->gtpu_only && !gtp)
				continue;
			s = base_spec(e, fc->type);
			fc->tweak(&s);
			len = esop_gen_build(f->frame, sizeof(f->frame), &s);
			if (len < 0) {
				free(fx);
				return len;
			}
			snprintf(f->name, sizeof(f->name), "%s/%s",
				 esop_gen_encap_names[e], fc->name);
			f->encap = e;
			f->parse = fc->parse;
			f->reason = fc->reason;
			f->verdict = fc->verdict;
			f->type = s.hdr.type;
			f->device_id = s.hdr.device_id;
			f->app_id = s.hdr.app_id;
			f->len = (uint16_t)len;
			k++;
		}
	}
	for (int o = 0; o < ORD__COUNT; o++) {
		struct esop_fixture *f = &fx[k++];

		snprintf(f->name, sizeof(f->name), "ordinary/%s", ordinary_names[o]);
		f->encap = -1;
		f->parse = f->verdict = ESOP_V_NOT_ESOP;
		f->len = (uint16_t)build_ordinary(o, f->frame);
	}
	*out = fx;
	*n = k;
	return 0;
}

int esop_fix_world_policy(struct es_policy *p)
{
	const struct esop_fix_world *w = &esop_fix_world;
	uint32_t napps = 0;

	memset(p, 0, sizeof(*p));
	p->epoch = w->epoch;
	p->unknown_action = ES_UNKNOWN_DROP;
	p->default_rate_kbps = w->default_rate_kbps;
	p->default_burst_bytes = w->default_burst_bytes;
	p->nservers = w->nservers;
	for (unsigned int i = 0; i < w->nservers; i++) {
		const struct esop_fix_server *f = &w->servers[i];
		struct es_server *s = &p->servers[i];

		snprintf(s->name, sizeof(s->name), "%s", f->name);
		s->kind = f->kind;
		s->ipv6 = f->ipv6;
		s->udp_port = f->host.port;
		s->port = f->port;
		memcpy(s->mac, f->host.mac, 6);
		memcpy(s->ip, f->ipv6 ? f->host.ip6 : f->host.ip4, f->ipv6 ? 16 : 4);
	}
	for (unsigned int i = 0; i < w->ndevices; i++)
		napps += w->devices[i].napps;
	p->devices = calloc(w->ndevices, sizeof(*p->devices));
	p->apps = calloc(napps ? napps : 1, sizeof(*p->apps));
	if (!p->devices || !p->apps) {
		esop_fix_world_policy_free(p);
		return -ENOMEM;
	}
	/* the world lists its devices in id order, as es_policy wants */
	for (unsigned int i = 0; i < w->ndevices; i++) {
		const struct esop_fix_device *fd = &w->devices[i];
		struct es_device *d = &p->devices[p->ndevices++];

		d->id = fd->id;
		d->rate_kbps = fd->rate_kbps;
		d->burst_bytes = fd->burst_bytes;
		d->apps_off = p->napps;
		d->napps = (uint8_t)fd->napps;
		for (unsigned int a = 0; a < fd->napps; a++) {
			const struct esop_fix_app *fa = &fd->apps[a];
			struct es_app *o = &p->apps[p->napps++];

			o->app = fa->app;
			o->split_layer = fa->split_layer;
			o->exit = fa->exit;
			o->target_kind = fa->server < 0 ? ESOP_TARGET_LOCAL
							: w->servers[fa->server].kind;
			o->server = fa->server < 0 ? ES_SERVER_ANY : (uint8_t)fa->server;
		}
	}
	return 0;
}

void esop_fix_world_policy_free(struct es_policy *p)
{
	free(p->devices);
	free(p->apps);
	memset(p, 0, sizeof(*p));
}

static void fmt_mac(char *b, size_t n, const uint8_t *m)
{
	snprintf(b, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void fmt_ip(char *b, size_t n, const struct esop_gen_host *h, int v6)
{
	if (!v6) {
		snprintf(b, n, "%u.%u.%u.%u", h->ip4[0], h->ip4[1], h->ip4[2], h->ip4[3]);
		return;
	}
	/* the world's IPv6 addresses are 2001:2:0:N::M */
	snprintf(b, n, "2001:2:0:%x::%x", h->ip6[7], h->ip6[15]);
}

int esop_fix_world_write_json(FILE *f)
{
	const struct esop_fix_world *w = &esop_fix_world;
	char mac[32], ip[64];

	fprintf(f, "{\n  \"edgesteer_policy\": 1,\n  \"epoch\": %llu,\n",
		(unsigned long long)w->epoch);
	fprintf(f, "  \"defaults\": { \"unknown_device\": \"drop\", \"rate_kbps\": %u, "
		"\"burst_bytes\": %u },\n  \"servers\": [\n",
		w->default_rate_kbps, w->default_burst_bytes);
	for (unsigned int i = 0; i < w->nservers; i++) {
		const struct esop_fix_server *s = &w->servers[i];

		fmt_mac(mac, sizeof(mac), s->host.mac);
		fmt_ip(ip, sizeof(ip), &s->host, s->ipv6);
		fprintf(f, "    { \"name\": \"%s\", \"kind\": \"%s\", \"mac\": \"%s\", "
			"\"ip\": \"%s\", \"udp_port\": %u, \"port\": %u }%s\n",
			s->name, s->kind == ESOP_TARGET_EDGE ? "edge" : "cloud", mac, ip,
			s->host.port, s->port, i + 1 < w->nservers ? "," : "");
	}
	fprintf(f, "  ],\n  \"devices\": [\n");
	for (unsigned int i = 0; i < w->ndevices; i++) {
		const struct esop_fix_device *d = &w->devices[i];

		fprintf(f, "    { \"id\": %u, \"rate_kbps\": %u, \"burst_bytes\": %u, \"apps\": [",
			d->id, d->rate_kbps, d->burst_bytes);
		for (unsigned int a = 0; a < d->napps; a++) {
			const struct esop_fix_app *ap = &d->apps[a];

			fprintf(f, "%s{ \"app\": %u, \"target\": \"%s\", \"split_layer\": %u, "
				"\"exit\": %u }", a ? ", " : " ", ap->app,
				ap->server < 0 ? "local" : w->servers[ap->server].name,
				ap->split_layer, ap->exit);
		}
		fprintf(f, " ] }%s\n", i + 1 < w->ndevices ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return ferror(f) ? -EIO : 0;
}

int esop_fixtures_write_tsv(FILE *f, const struct esop_fixture *fx, size_t n)
{
	fprintf(f, "idx\tname\tparse\treason\tverdict\ttype\tdevice_id\tapp_id\tlen\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%zu\t%s\t%s\t%s\t%s\t%u\t%u\t%u\t%u\n", i, fx[i].name,
			esop_verdict_names[fx[i].parse], esop_drop_names[fx[i].reason],
			esop_verdict_names[fx[i].verdict], fx[i].type, fx[i].device_id,
			fx[i].app_id, fx[i].len);
	return ferror(f) ? -EIO : 0;
}
