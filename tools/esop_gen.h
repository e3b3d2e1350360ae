/* SPDX-License-Identifier: MIT */
/*
 * ESOP frame builder for fixtures, traffic generators and tests.
 *
 * It writes frames; it never reads them (reading is esop_parse.h's job
 * alone). Every length and checksum is computed from the spec unless the
 * spec asks for a deliberate error, so a test can make exactly one rule of
 * PROTOCOL.md fail.
 */
#ifndef EDGESTEER_ESOP_GEN_H
#define EDGESTEER_ESOP_GEN_H

#include <stddef.h>
#include <stdint.h>

enum esop_gen_encap {
	ESOP_ENC_V4 = 0,	/* Ethernet / IPv4 / UDP / ESOP */
	ESOP_ENC_V6,		/* Ethernet / IPv6 / UDP / ESOP */
	ESOP_ENC_VLAN_V4,	/* Ethernet / 802.1Q / IPv4 / UDP / ESOP */
	ESOP_ENC_VLAN_V6,
	ESOP_ENC_GTPU_V4,	/* Eth / IPv4 / UDP 2152 / GTP-U / IPv4 / UDP / ESOP */
	ESOP_ENC_GTPU_V6,	/* Eth / IPv6 / UDP 2152 / GTP-U / IPv6 / UDP / ESOP */
	ESOP_ENC__COUNT,
};

extern const char *const esop_gen_encap_names[ESOP_ENC__COUNT];

/* One endpoint: MAC, both address families, UDP port. */
struct esop_gen_host {
	uint8_t mac[6];
	uint8_t ip4[4];
	uint8_t ip6[16];
	uint16_t port;
};

/* The fixed ESOP header, every field as it goes on the wire. */
struct esop_gen_hdr {
	uint16_t magic;
	uint8_t version;
	uint8_t type;
	uint8_t flags;
	uint8_t hdr_len;	/* words; options are zero-filled */
	uint16_t app_id;
	uint32_t device_id;
	uint32_t task_id;
	uint16_t layer;
	int16_t snr_qdb;
	uint32_t total_len;
	uint32_t frag_off;
	uint32_t deadline_us;
};

struct esop_gen_spec {
	enum esop_gen_encap encap;
	struct esop_gen_host src, dst;		/* the datagram carrying ESOP */
	struct esop_gen_host outer_src, outer_dst; /* GTP-U tunnel ends */
	uint16_t vlan_tci;
	uint32_t gtpu_teid;
	uint8_t gtpu_opt_word;		/* add the seq/N-PDU/next-ext word */
	uint8_t gtpu_ext_pdu_session;	/* add one PDU session container */
	struct esop_gen_hdr hdr;
	uint32_t payload_len;		/* bytes after header and options */
	uint8_t payload_fill;		/* payload byte pattern seed */
	const uint8_t *payload;		/* explicit payload bytes, NULL = pattern */
	/* deliberate errors (0 = none) */
	int ip_len_delta;		/* added to the (inner) IP length field */
	int udp_len_delta;		/* added to the (inner) UDP length field */
	int gtpu_len_delta;		/* added to the GTP-U length field */
	uint32_t pad_bytes;		/* Ethernet padding after the datagram */
	uint32_t truncate_to;		/* cut the frame to this many bytes */
	uint32_t esop_trim;		/* write only this many ESOP bytes, with
					 * every length consistent (a short
					 * datagram), 0 = all */
};

/* A valid header of @type for @device_id (magic, version, hdr_len 8). */
struct esop_gen_hdr esop_gen_hdr_default(uint8_t type, uint32_t device_id);

/*
 * Writes the frame into @buf. Returns its length, or -ENOSPC when @cap is
 * too small, -EINVAL for a spec it cannot build.
 */
int esop_gen_build(uint8_t *buf, size_t cap, const struct esop_gen_spec *spec);

/* RFC 1071 checksum helpers shared with the rest of the userspace code. */
uint32_t esop_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t esop_csum_fold(uint32_t sum);

#endif /* EDGESTEER_ESOP_GEN_H */
