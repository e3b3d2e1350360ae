/* SPDX-License-Identifier: MIT */
#include "bind_src.h"

#include <string.h>

#include <linux/types.h>

#include "esop.h"
#include "esop_fixtures.h"
#include "esop_gen.h"

struct bind_src bind_src_of(uint32_t id)
{
	/* 198.18.0.0/15 has room for 2^17 hosts; the tests use a few hundred */
	struct bind_src s = {
		.v6 = 0, .net = (uint8_t)(id / 250 % 256), .host = (uint8_t)(id % 250 + 1),
	};

	return s;
}

int bind_src_frame(uint8_t *buf, size_t cap, const struct bind_src *src,
		   uint8_t type, uint32_t device_id, uint16_t app)
{
	const struct esop_gen_host gnb = {
		{ 2, 0, 0, 0, 0x0b, 0x01 }, { 198, 19, 0, 1 },
		{ 0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b, 0x01 }, 2152
	};
	struct esop_gen_spec s = {
		.src = {
			{ 2, 0, 0, 0x0d, src->net, src->host }, { 198, 18, src->net, src->host },
			{ 0x20, 0x01, 0x00, 0x02, [14] = src->net, [15] = src->host }, 40000
		},
		.dst = esop_fix_world.ap,
		.outer_src = gnb,
		.outer_dst = esop_fix_world.ap,
		.gtpu_teid = src->teid,
		.hdr = esop_gen_hdr_default(type, device_id),
	};

	if (src->teid)
		s.encap = src->v6 ? ESOP_ENC_GTPU_V6 : ESOP_ENC_GTPU_V4;
	else
		s.encap = src->v6 ? ESOP_ENC_V6 : ESOP_ENC_V4;
	s.outer_dst.port = ESOP_GTPU_PORT;
	s.hdr.app_id = app;
	if (type == ESOP_T_TENSOR) {
		s.payload_len = 200;
		s.hdr.total_len = 200;
	}
	return esop_gen_build(buf, cap, &s);
}
