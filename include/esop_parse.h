/* SPDX-License-Identifier: MIT */
/*
 * The one ESOP parser. Header-only, included by the XDP program (ebpf/) and
 * by userspace (dataplane/, control/, tools/, tests/): there is no second
 * parser anywhere, so the two stages can never disagree on a frame.
 *
 * Written in the C subset that both `clang -target bpf` and gcc accept: no
 * libc, no unbounded loops, byte loads only (no unaligned multi-byte loads,
 * which would be undefined in C), and every access preceded by a bounds check
 * the verifier can see (`p + n > end`).
 *
 * What it parses: Ethernet, one optional 802.1Q tag, IPv4 (no fragments) or
 * IPv6 (no extension headers before UDP), UDP; optionally GTP-U (G-PDU, with
 * the optional sequence/N-PDU/next-extension word and up to
 * ESOP_GTPU_MAX_EXT extension headers) carrying an inner IPv4/IPv6 UDP
 * datagram; then the ESOP fixed header and the length of its options.
 *
 * Choices the protocol leaves open, made here once for both stages:
 *  - IPv4 fragments, IPv6 extension headers, and GTP-U that is not a
 *    well-formed G-PDU are NOT_ESOP: the kernel stack gets them untouched.
 *  - A frame is ESOP once UDP to the ESOP port is seen (the inner UDP for
 *    GTP-U). From then on every rule below is checked in this order and the
 *    first that fails names the drop reason:
 *      IP_LEN, UDP_LEN, GTP_LEN (outer, then inner lengths), SHORT,
 *      BAD_MAGIC, BAD_VERSION, BAD_TYPE, RESERVED_FLAGS, HDR_LEN_SMALL,
 *      HDR_PAST_END, ZERO_DEVICE, then per type TENSOR_EMPTY,
 *      TENSOR_RANGE, PAYLOAD_NOT_EMPTY.
 *  - Ethernet padding after the IP datagram is allowed (IP length <= frame).
 *
 * The verdict for a well-formed frame is decided by the table, in this
 * order (esop_verdict_of_*() below, used by both stages):
 *   DECISION                 -> UNEXPECTED
 *   RESULT                   -> RETURN if the source address is a server of
 *                               the table, else UNEXPECTED
 *   OFFLOAD_REQ/TELEMETRY/TENSOR:
 *     device not in table    -> UNKNOWN_DEVICE
 *     meter says no          -> OVER_RATE  (bucket charged the frame length)
 *     OFFLOAD_REQ, TELEMETRY -> REQUEST
 *     TENSOR                 -> FORWARD if its (device, app) placement is EDGE
 *                               or CLOUD, LOCAL if LOCAL or the app is not
 *                               in the device's entry
 */
#ifndef EDGESTEER_ESOP_PARSE_H
#define EDGESTEER_ESOP_PARSE_H

#include "esop.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define ESOP_GTPU_MAX_EXT	4

/* Parser configuration; all-zero means the safe defaults (port 7447, GTP-U on). */
struct esop_parse_cfg {
	__u16 esop_port;	/* 0 = ESOP_DEFAULT_PORT */
	__u8 gtpu_off;		/* 1 = do not look inside GTP-U */
	__u8 pad;
};

/* What the parser found. Offsets are from the start of the frame. */
struct esop_pkt {
	__u16 l3_off;		/* outer IP header */
	__u16 udp_off;		/* UDP header carrying ESOP (inner one for GTP-U) */
	__u16 ip_off;		/* IP header carrying ESOP (inner one for GTP-U) */
	__u16 esop_off;		/* ESOP fixed header */
	__u16 payload_off;	/* after the ESOP header and its options */
	__u16 vlan_tci;		/* host order, valid when has_vlan */
	__u8 has_vlan;
	__u8 outer_ipv6;	/* outer IP is IPv6 */
	__u8 ipv6;		/* IP carrying ESOP is IPv6 */
	__u8 gtpu;		/* ESOP arrived inside GTP-U */
	__u32 gtpu_teid;	/* host order, valid when gtpu */
	__u16 gtpu_off;		/* GTP-U header, valid when gtpu */
	__u16 src_port;		/* host order, of the UDP carrying ESOP */
	__u16 dst_port;
	__u16 udp_len;		/* of the UDP carrying ESOP */
	__u32 payload_len;
	__u8 saddr[16];		/* network order; IPv4 in saddr[0..3] */
	__u8 daddr[16];
	/* ESOP fixed header fields, host order */
	__u8 type;
	__u8 flags;
	__u8 hdr_len;		/* in 4-byte words */
	__u8 drop_reason;	/* enum esop_drop_reason, for MALFORMED */
	__u16 app_id;
	__u16 layer;
	__s16 snr_qdb;
	__u16 pad;
	__u32 device_id;
	__u32 task_id;
	__u32 total_len;
	__u32 frag_off;
	__u32 deadline_us;
};

static __always_inline __u16 esop_rd16(const __u8 *p)
{
	return (__u16)(((__u16)p[0] << 8) | p[1]);
}

static __always_inline __u32 esop_rd32(const __u8 *p)
{
	return ((__u32)p[0] << 24) | ((__u32)p[1] << 16) |
	       ((__u32)p[2] << 8) | (__u32)p[3];
}

#define ESOP_ETH_P_IP		0x0800
#define ESOP_ETH_P_IPV6		0x86DD
#define ESOP_ETH_P_8021Q	0x8100
#define ESOP_IPPROTO_UDP	17

/* Everything an IP + UDP header says, for the outer and the inner datagram. */
struct esop_ipudp {
	__u32 ip_len;		/* bytes of the IP datagram the header claims */
	__u32 ip_hlen;		/* IP header bytes */
	__u16 udp_len;
	__u16 src_port;
	__u16 dst_port;
	__u8 ipv6;
};

/*
 * Reads the IP and UDP headers at @ip. Returns 0 when a UDP header is there
 * to read, -1 otherwise (not UDP, fragment, truncated before UDP: NOT_ESOP).
 * Lengths are only reported here; the caller checks them once it knows the
 * datagram is ESOP.
 */
static __always_inline int esop_read_ipudp(const __u8 *ip, const __u8 *end,
					   struct esop_ipudp *r)
{
	const __u8 *udp;

	if (ip + 1 > end)
		return -1;
	if ((ip[0] >> 4) == 4) {
		__u32 ihl;

		if (ip + 20 > end)
			return -1;
		ihl = (__u32)(ip[0] & 0x0f) * 4;
		if (ihl < 20)
			return -1;
		if (ip[9] != ESOP_IPPROTO_UDP)
			return -1;
		/* MF set or a fragment offset: reassembly is the kernel's job */
		if ((esop_rd16(ip + 6) & 0x3fff) != 0)
			return -1;
		r->ipv6 = 0;
		r->ip_hlen = ihl;
		r->ip_len = esop_rd16(ip + 2);
		udp = ip + ihl;
	} else if ((ip[0] >> 4) == 6) {
		if (ip + 40 > end)
			return -1;
		if (ip[6] != ESOP_IPPROTO_UDP)
			return -1;
		r->ipv6 = 1;
		r->ip_hlen = 40;
		r->ip_len = 40 + (__u32)esop_rd16(ip + 4);
		udp = ip + 40;
	} else {
		return -1;
	}
	if (udp + ESOP_UDP_HDR_BYTES > end)
		return -1;
	r->src_port = esop_rd16(udp);
	r->dst_port = esop_rd16(udp + 2);
	r->udp_len = esop_rd16(udp + 4);
	return 0;
}

/*
 * Checks an IP + UDP datagram of @avail bytes (what the frame or the
 * enclosing GTP-U payload holds from the IP header on) against its own
 * length fields. @exact: the datagram must fill @avail exactly (inside
 * GTP-U), otherwise trailing Ethernet padding is allowed.
 */
static __always_inline int esop_check_lengths(const struct esop_ipudp *r,
					      __u32 avail, int exact)
{
	if (r->ip_len < r->ip_hlen + ESOP_UDP_HDR_BYTES || r->ip_len > avail ||
	    (exact && r->ip_len != avail))
		return ESOP_DROP_IP_LEN;
	if (r->udp_len != r->ip_len - r->ip_hlen)
		return ESOP_DROP_UDP_LEN;
	return ESOP_DROP_NONE;
}

static __always_inline void esop_copy_addrs(struct esop_pkt *pkt,
					    const __u8 *ip, const __u8 *end,
					    int ipv6)
{
	if (ipv6) {
		if (ip + 40 > end)
			return;
		__builtin_memcpy(pkt->saddr, ip + 8, 16);
		__builtin_memcpy(pkt->daddr, ip + 24, 16);
	} else {
		if (ip + 20 > end)
			return;
		__builtin_memcpy(pkt->saddr, ip + 12, 4);
		__builtin_memcpy(pkt->daddr, ip + 16, 4);
	}
}

static __always_inline int esop_malformed(struct esop_pkt *pkt, int reason)
{
	pkt->drop_reason = (__u8)reason;
	return ESOP_V_MALFORMED;
}

/*
 * Checks the ESOP header at @esop inside a UDP datagram of @udp_len bytes.
 * Returns ESOP_V_NEEDS_TABLE or ESOP_V_MALFORMED (reason in pkt).
 */
static __always_inline int esop_check_header(const __u8 *esop, const __u8 *end,
					     __u32 udp_len, struct esop_pkt *pkt)
{
	__u32 hdr_bytes, room;

	if (udp_len < ESOP_UDP_HDR_BYTES + ESOP_HDR_BYTES)
		return esop_malformed(pkt, ESOP_DROP_SHORT);
	if (esop + ESOP_HDR_BYTES > end)	/* lengths were checked: unreachable */
		return esop_malformed(pkt, ESOP_DROP_UDP_LEN);
	if (esop_rd16(esop + ESOP_OFF_MAGIC) != ESOP_MAGIC)
		return esop_malformed(pkt, ESOP_DROP_BAD_MAGIC);
	if (esop[ESOP_OFF_VERSION] != ESOP_VERSION)
		return esop_malformed(pkt, ESOP_DROP_BAD_VERSION);
	pkt->type = esop[ESOP_OFF_TYPE];
	pkt->flags = esop[ESOP_OFF_FLAGS];
	pkt->hdr_len = esop[ESOP_OFF_HDR_LEN];
	pkt->app_id = esop_rd16(esop + ESOP_OFF_APP_ID);
	pkt->device_id = esop_rd32(esop + ESOP_OFF_DEVICE_ID);
	pkt->task_id = esop_rd32(esop + ESOP_OFF_TASK_ID);
	pkt->layer = esop_rd16(esop + ESOP_OFF_LAYER);
	pkt->snr_qdb = (__s16)esop_rd16(esop + ESOP_OFF_SNR_QDB);
	pkt->total_len = esop_rd32(esop + ESOP_OFF_TOTAL_LEN);
	pkt->frag_off = esop_rd32(esop + ESOP_OFF_FRAG_OFF);
	pkt->deadline_us = esop_rd32(esop + ESOP_OFF_DEADLINE_US);

	if (pkt->type < ESOP_T_OFFLOAD_REQ || pkt->type > ESOP_T_TELEMETRY)
		return esop_malformed(pkt, ESOP_DROP_BAD_TYPE);
	if (pkt->flags & ESOP_F_RESERVED)
		return esop_malformed(pkt, ESOP_DROP_RESERVED_FLAGS);
	if (pkt->hdr_len < ESOP_HDR_MIN_WORDS)
		return esop_malformed(pkt, ESOP_DROP_HDR_LEN_SMALL);
	hdr_bytes = (__u32)pkt->hdr_len * 4;
	room = udp_len - ESOP_UDP_HDR_BYTES;
	if (hdr_bytes > room)
		return esop_malformed(pkt, ESOP_DROP_HDR_PAST_END);
	if (pkt->device_id == 0)
		return esop_malformed(pkt, ESOP_DROP_ZERO_DEVICE);

	pkt->payload_len = room - hdr_bytes;
	pkt->payload_off = (__u16)(pkt->esop_off + hdr_bytes);
	if (pkt->type == ESOP_T_TENSOR) {
		if (pkt->payload_len == 0)
			return esop_malformed(pkt, ESOP_DROP_TENSOR_EMPTY);
		/* 64-bit sum: frag_off near 2^32 must not wrap */
		if ((__u64)pkt->frag_off + pkt->payload_len > pkt->total_len)
			return esop_malformed(pkt, ESOP_DROP_TENSOR_RANGE);
	} else if (pkt->type == ESOP_T_OFFLOAD_REQ ||
		   pkt->type == ESOP_T_TELEMETRY) {
		if (pkt->payload_len != 0)
			return esop_malformed(pkt, ESOP_DROP_PAYLOAD_NOT_EMPTY);
	}
	return ESOP_V_NEEDS_TABLE;
}

/*
 * Finds the inner IP header of a GTP-U G-PDU whose header starts at @gtp.
 * Returns its offset from @gtp, or -1 when this is not a G-PDU we can read
 * (then the frame is NOT_ESOP). *gtp_len gets the header's length field.
 */
static __always_inline int esop_gtpu_inner(const __u8 *gtp, const __u8 *end,
					   __u32 *gtp_len, __u32 *teid)
{
	const __u8 *ext;
	__u32 off = 8;
	__u8 next;
	int i;

	if (gtp + 8 > end)
		return -1;
	/* version 1, protocol type GTP, message type G-PDU */
	if ((gtp[0] & 0xf0) != 0x30 || gtp[1] != 0xff)
		return -1;
	*gtp_len = esop_rd16(gtp + 2);
	*teid = esop_rd32(gtp + 4);
	if (!(gtp[0] & 0x07))
		return (int)off;
	if (gtp + 12 > end)
		return -1;
	off = 12;
	next = (gtp[0] & 0x04) ? gtp[11] : 0;
	for (i = 0; i < ESOP_GTPU_MAX_EXT; i++) {
		__u32 len;

		if (next == 0)
			return (int)off;
		ext = gtp + off;
		if (ext + 1 > end)
			return -1;
		len = (__u32)ext[0] * 4;
		if (len == 0)
			return -1;
		off += len;
		ext = gtp + off;
		if (ext > end)
			return -1;
		next = *(ext - 1);
	}
	return next == 0 ? (int)off : -1;
}

/*
 * Parses one frame. Returns ESOP_V_NOT_ESOP, ESOP_V_MALFORMED (with
 * pkt->drop_reason) or ESOP_V_NEEDS_TABLE (a well-formed ESOP frame whose
 * verdict the table decides; see esop_verdict_of_*()).
 */
static __always_inline int esop_parse(const void *data, const void *data_end,
				      const struct esop_parse_cfg *cfg,
				      struct esop_pkt *pkt)
{
	const __u8 *p = (const __u8 *)data;
	const __u8 *end = (const __u8 *)data_end;
	const __u8 *l3, *ip, *udp, *esop;
	struct esop_ipudp o, in;
	__u16 port = cfg->esop_port ? cfg->esop_port : ESOP_DEFAULT_PORT;
	__u32 frame_len, off, gtp_len = 0, teid = 0;
	__u16 proto;
	int r, inner;

	pkt->drop_reason = ESOP_DROP_NONE;
	pkt->has_vlan = 0;
	pkt->gtpu = 0;
	if (p + 14 > end)
		return ESOP_V_NOT_ESOP;
	frame_len = (__u32)(end - p);
	proto = esop_rd16(p + 12);
	off = 14;
	if (proto == ESOP_ETH_P_8021Q) {
		if (p + 18 > end)
			return ESOP_V_NOT_ESOP;
		pkt->has_vlan = 1;
		pkt->vlan_tci = esop_rd16(p + 14);
		proto = esop_rd16(p + 16);
		off = 18;
	}
	if (proto != ESOP_ETH_P_IP && proto != ESOP_ETH_P_IPV6)
		return ESOP_V_NOT_ESOP;
	l3 = p + off;
	pkt->l3_off = (__u16)off;
	if (esop_read_ipudp(l3, end, &o) < 0)
		return ESOP_V_NOT_ESOP;
	if ((proto == ESOP_ETH_P_IPV6) != (o.ipv6 == 1))
		return ESOP_V_NOT_ESOP;
	pkt->outer_ipv6 = o.ipv6;
	/*
	 * Offsets are masked to their real bounds before they move a packet
	 * pointer: the verifier only grants a range to pointers whose
	 * variable offset it can bound well below 64 KiB.
	 */
	udp = l3 + (o.ip_hlen & 0x3c);

	if (o.dst_port == port) {
		ip = l3;
		in = o;
		r = esop_check_lengths(&o, frame_len - off, 0);
		if (r)
			return esop_malformed(pkt, r);
	} else if (o.dst_port == ESOP_GTPU_PORT && !cfg->gtpu_off) {
		const __u8 *gtp = udp + ESOP_UDP_HDR_BYTES;

		inner = esop_gtpu_inner(gtp, end, &gtp_len, &teid);
		if (inner < 0)
			return ESOP_V_NOT_ESOP;
		ip = gtp + (inner & 0x1fff);
		if (esop_read_ipudp(ip, end, &in) < 0 || in.dst_port != port)
			return ESOP_V_NOT_ESOP;
		/* now it is ESOP: outer lengths, GTP-U length, inner lengths */
		r = esop_check_lengths(&o, frame_len - off, 0);
		if (r)
			return esop_malformed(pkt, r);
		if (gtp_len + 8 + ESOP_UDP_HDR_BYTES != o.udp_len ||
		    (__u32)inner - 8 > gtp_len)
			return esop_malformed(pkt, ESOP_DROP_GTP_LEN);
		r = esop_check_lengths(&in, gtp_len + 8 - (__u32)inner, 1);
		if (r)
			return esop_malformed(pkt, r);
		pkt->gtpu = 1;
		pkt->gtpu_teid = teid;
		pkt->gtpu_off = (__u16)(gtp - p);
	} else {
		return ESOP_V_NOT_ESOP;
	}

	udp = ip + (in.ip_hlen & 0x7c);
	esop = udp + ESOP_UDP_HDR_BYTES;
	pkt->ip_off = (__u16)(ip - p);
	pkt->ipv6 = in.ipv6;
	pkt->udp_off = (__u16)(udp - p);
	pkt->esop_off = (__u16)(esop - p);
	pkt->src_port = in.src_port;
	pkt->dst_port = in.dst_port;
	pkt->udp_len = in.udp_len;
	esop_copy_addrs(pkt, ip, end, in.ipv6);
	return esop_check_header(esop, end, in.udp_len, pkt);
}

/* --- The table's part of the verdict (same order in both stages) --- */

/* Frames the type alone decides: DECISION at the AP is UNEXPECTED. */
static __always_inline int esop_verdict_of_type(const struct esop_pkt *pkt)
{
	return pkt->type == ESOP_T_DECISION ? ESOP_V_UNEXPECTED
					    : ESOP_V_NEEDS_TABLE;
}

/* A RESULT: returned to the device only when it comes from a server. */
static __always_inline int esop_verdict_of_result(int src_is_server)
{
	return src_is_server ? ESOP_V_RETURN : ESOP_V_UNEXPECTED;
}

/*
 * OFFLOAD_REQ, TELEMETRY, TENSOR. @conforms: the device's meter accepted the
 * frame (only asked when the device is known). @target: enum
 * esop_target_kind of the (device, app) placement, LOCAL when none.
 */
static __always_inline int esop_verdict_of_uplink(const struct esop_pkt *pkt,
						  int device_known,
						  int conforms, int target)
{
	if (!device_known)
		return ESOP_V_UNKNOWN_DEVICE;
	if (!conforms)
		return ESOP_V_OVER_RATE;
	if (pkt->type != ESOP_T_TENSOR)
		return ESOP_V_REQUEST;
	return target == ESOP_TARGET_LOCAL ? ESOP_V_LOCAL : ESOP_V_FORWARD;
}

#endif /* EDGESTEER_ESOP_PARSE_H */
