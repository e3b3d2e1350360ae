/* SPDX-License-Identifier: MIT */
/*
 * Frames of one device from a chosen source, for the source-binding tests
 * of both stages (tests/xdp/test_xdp_bind.c, tests/dpdk/test_fp_bind.c,
 * docs/security.md): an IPv4 or IPv6 address, plain or inside GTP-U with a
 * TEID. Addresses stay in 198.18.0.0/15 and 2001:2::/48.
 */
#ifndef EDGESTEER_TESTS_BIND_SRC_H
#define EDGESTEER_TESTS_BIND_SRC_H

#include <stddef.h>
#include <stdint.h>

struct bind_src {
	uint8_t v6;
	uint8_t net;		/* 198.18.<net>.<host>, 2001:2::<net>:<host> */
	uint8_t host;
	uint32_t teid;		/* 0: not inside GTP-U */
};

/* The source a churn test gives device @id: 198.18.x.y from its id. */
struct bind_src bind_src_of(uint32_t id);

/*
 * A frame of @type (TENSOR: 200 bytes of app @app) for @device_id from
 * @src to the fixture AP. Returns its length or -errno.
 */
int bind_src_frame(uint8_t *buf, size_t cap, const struct bind_src *src,
		   uint8_t type, uint32_t device_id, uint16_t app);

#endif /* EDGESTEER_TESTS_BIND_SRC_H */
