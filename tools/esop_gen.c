/* SPDX-License-Identifier: MIT */
#include "esop_gen.h"

#include <errno.h>
#include <string.h>

#include <linux/types.h>

#include "esop.h"

const char *const esop_gen_encap_names[ESOP_ENC__COUNT] = {
	"v4", "v6", "vlan_v4", "vlan_v6", "gtpu_v4", "gtpu_v6",
};

struct esop_gen_hdr esop_gen_hdr_default(uint8_t type, uint32_t device_id)
{
	struct esop_gen_hdr h = {
		.magic = ESOP_MAGIC,
		.version = ESOP_VERSION,
		.type = type,
		.hdr_len = ESOP_HDR_MIN_WORDS,
		.device_id = device_id,
	};
	return h;
}

uint32_t esop_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t esop_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static int encap_is_v6(enum esop_gen_encap e)
{
	return e == ESOP_ENC_V6 || e == ESOP_ENC_VLAN_V6 || e == ESOP_ENC_GTPU_V6;
}

static size_t ip_hdr_bytes(int v6)
{
	return v6 ? 40 : 20;
}

/*
 * Writes an IP + UDP header pair at @p for a UDP payload of @udp_payload
 * bytes that already sits after them, and fills both checksums. The length
 * deltas make a deliberately wrong datagram.
 */
static void put_ip_udp(uint8_t *p, int v6, const struct esop_gen_host *s,
		       const struct esop_gen_host *d, size_t udp_payload,
		       int ip_delta, int udp_delta)
{
	size_t iph = ip_hdr_bytes(v6);
	uint8_t *udp = p + iph;
	uint16_t udp_len = (uint16_t)(8 + udp_payload);
	uint32_t sum = 0;

	if (v6) {
		memset(p, 0, 40);
		p[0] = 0x60;
		put16(p + 4, (uint16_t)(udp_len + ip_delta));
		p[6] = 17;
		p[7] = 64;
		memcpy(p + 8, s->ip6, 16);
		memcpy(p + 24, d->ip6, 16);
		sum = esop_csum_add(sum, p + 8, 32);
	} else {
		memset(p, 0, 20);
		p[0] = 0x45;
		put16(p + 2, (uint16_t)(20 + udp_len + ip_delta));
		p[6] = 0x40;	/* DF */
		p[8] = 64;
		p[9] = 17;
		memcpy(p + 12, s->ip4, 4);
		memcpy(p + 16, d->ip4, 4);
		put16(p + 10, esop_csum_fold(esop_csum_add(0, p, 20)));
		sum = esop_csum_add(sum, p + 12, 8);
	}
	put16(udp, s->port);
	put16(udp + 2, d->port);
	put16(udp + 4, (uint16_t)(udp_len + udp_delta));
	put16(udp + 6, 0);
	/* pseudo header: addresses, protocol, UDP length */
	sum += 17 + udp_len;
	sum = esop_csum_add(sum, udp, udp_len);
	uint16_t c = esop_csum_fold(sum);
	put16(udp + 6, c ? c : 0xffff);
}

static void put_esop(uint8_t *p, const struct esop_gen_hdr *h)
{
	put16(p + ESOP_OFF_MAGIC, h->magic);
	p[ESOP_OFF_VERSION] = h->version;
	p[ESOP_OFF_TYPE] = h->type;
	p[ESOP_OFF_FLAGS] = h->flags;
	p[ESOP_OFF_HDR_LEN] = h->hdr_len;
	put16(p + ESOP_OFF_APP_ID, h->app_id);
	put32(p + ESOP_OFF_DEVICE_ID, h->device_id);
	put32(p + ESOP_OFF_TASK_ID, h->task_id);
	put16(p + ESOP_OFF_LAYER, h->layer);
	put16(p + ESOP_OFF_SNR_QDB, (uint16_t)h->snr_qdb);
	put32(p + ESOP_OFF_TOTAL_LEN, h->total_len);
	put32(p + ESOP_OFF_FRAG_OFF, h->frag_off);
	put32(p + ESOP_OFF_DEADLINE_US, h->deadline_us);
}

int esop_gen_build(uint8_t *buf, size_t cap, const struct esop_gen_spec *s)
{
	int v6 = encap_is_v6(s->encap);
	int vlan = s->encap == ESOP_ENC_VLAN_V4 || s->encap == ESOP_ENC_VLAN_V6;
	int gtp = s->encap == ESOP_ENC_GTPU_V4 || s->encap == ESOP_ENC_GTPU_V6;
	size_t l2 = vlan ? 18 : 14;
	/* options: at least the fixed header, even when hdr_len says less */
	size_t hdr_bytes = s->hdr.hdr_len >= ESOP_HDR_MIN_WORDS ?
			   (size_t)s->hdr.hdr_len * 4 : ESOP_HDR_BYTES;
	size_t esop_bytes = hdr_bytes + s->payload_len;
	uint8_t whole_hdr[ESOP_HDR_BYTES];
	size_t gtp_hdr = gtp ? 8 + (s->gtpu_opt_word || s->gtpu_ext_pdu_session ? 4 : 0) +
				       (s->gtpu_ext_pdu_session ? 4 : 0) : 0;
	size_t inner = ip_hdr_bytes(v6) + 8 + esop_bytes;
	size_t outer = gtp ? ip_hdr_bytes(v6) + 8 + gtp_hdr : 0;
	size_t len = l2 + outer + inner + s->pad_bytes;
	uint8_t *p, *ip;

	if (s->encap >= ESOP_ENC__COUNT)
		return -EINVAL;
	if (s->esop_trim && s->esop_trim < esop_bytes) {
		esop_bytes = s->esop_trim;
		inner = ip_hdr_bytes(v6) + 8 + esop_bytes;
		len = l2 + outer + inner + s->pad_bytes;
	}
	if (len > cap || len > 65535)
		return -ENOSPC;
	memset(buf, 0, len);

	/* Ethernet (+ 802.1Q): the frame's outer hosts */
	const struct esop_gen_host *l2s = gtp ? &s->outer_src : &s->src;
	const struct esop_gen_host *l2d = gtp ? &s->outer_dst : &s->dst;
	memcpy(buf, l2d->mac, 6);
	memcpy(buf + 6, l2s->mac, 6);
	if (vlan) {
		put16(buf + 12, 0x8100);
		put16(buf + 14, s->vlan_tci);
	}
	put16(buf + l2 - 2, v6 ? 0x86dd : 0x0800);

	/* innermost datagram first, so checksums cover the final bytes */
	ip = buf + l2 + outer;
	p = ip + ip_hdr_bytes(v6) + 8;
	put_esop(whole_hdr, &s->hdr);
	memcpy(p, whole_hdr, esop_bytes < ESOP_HDR_BYTES ? esop_bytes : ESOP_HDR_BYTES);
	for (size_t i = hdr_bytes; i < esop_bytes; i++)
		p[i] = s->payload ? s->payload[i - hdr_bytes] :
				    (uint8_t)(s->payload_fill + (i - hdr_bytes) * 7);
	put_ip_udp(ip, v6, &s->src, &s->dst, esop_bytes, s->ip_len_delta,
		   s->udp_len_delta);

	if (gtp) {
		uint8_t *g = buf + l2 + ip_hdr_bytes(v6) + 8;
		size_t gtp_len = gtp_hdr - 8 + inner;

		g[0] = 0x30;	/* version 1, PT 1 */
		if (s->gtpu_opt_word)
			g[0] |= 0x02;	/* S */
		if (s->gtpu_ext_pdu_session) {
			g[0] |= 0x04;	/* E */
			g[11] = 0x85;	/* PDU session container follows */
			g[12] = 1;	/* 4 bytes */
			g[13] = 0x10;	/* UL PDU session information */
			g[14] = 9;	/* QFI */
			g[15] = 0;	/* no further extension */
		}
		g[1] = 0xff;
		put16(g + 2, (uint16_t)(gtp_len + s->gtpu_len_delta));
		put32(g + 4, s->gtpu_teid);
		put_ip_udp(buf + l2, v6, &s->outer_src, &s->outer_dst,
			   gtp_hdr + inner, 0, 0);
	}
	if (s->truncate_to && s->truncate_to < len)
		len = s->truncate_to;
	return (int)len;
}
