/* SPDX-License-Identifier: MIT */
/*
 * Shared by the XDP tests and the benchmark: the fixture world as a
 * struct es_policy, synthetic policies of many devices, one-frame builders
 * and a BPF_PROG_TEST_RUN wrapper.
 */
#ifndef EDGESTEER_TESTS_XDP_WORLD_H
#define EDGESTEER_TESTS_XDP_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "es_policy.h"

/* The fixture world (tools/esop_fixtures.h) as the loader takes it. */
int xdp_world_policy(struct es_policy *p);

/*
 * @n devices with ids from @ids (sorted here), each with one EDGE app 3,
 * @rate_kbps and @burst_bytes, no servers, unknown devices dropped.
 */
int xdp_synth_policy(struct es_policy *p, uint32_t *ids, uint32_t n,
		     uint32_t rate_kbps, uint32_t burst_bytes);

void xdp_policy_free(struct es_policy *p);

/* An IPv4 frame of @type from the fixture device host to the AP. */
int xdp_frame(uint8_t *buf, size_t cap, uint8_t type, uint32_t device_id,
	      uint16_t app_id, uint32_t payload_len);

/* Runs @prog_fd over one frame @repeat times: 0 or -errno. */
int xdp_run(int prog_fd, const void *frame, uint32_t len, uint32_t repeat,
	    uint32_t *retval, uint32_t *duration_ns);

struct xdpc;
struct es_xdp_stats;
struct esop_fixture;

/* The corpus frame called @name, NULL when there is none. */
const struct esop_fixture *xdp_fixture(const struct esop_fixture *fx, size_t n,
				       const char *name);

/*
 * The start of every XDP test: root check, libbpf warnings to stderr, the
 * classifier loaded for @max_devices. Returns 0, or the exit status to
 * leave with (77 = skip) after saying why on stderr.
 */
int xdp_test_open(struct xdpc **x, uint32_t max_devices);

/* The id of the program @fd; of the one attached at @ifindex (0: none). */
uint32_t xdp_prog_id(int fd);
uint32_t xdp_attached_id(int ifindex);

/* es_stats as CPU @cpu counted it. */
int xdp_stats_on_cpu(struct xdpc *x, int cpu, struct es_xdp_stats *out);

#endif /* EDGESTEER_TESTS_XDP_WORLD_H */
