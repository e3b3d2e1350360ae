/* SPDX-License-Identifier: MIT */
/*
 * A receive-only AF_XDP socket on the raw kernel API (<linux/if_xdp.h>:
 * libbpf 1.1 ships no xsk.h): UMEM, fill and RX rings, copy mode. Enough
 * for a test to see which frames the classifier redirected.
 */
#ifndef EDGESTEER_TESTS_XSK_RX_H
#define EDGESTEER_TESTS_XSK_RX_H

#include <stddef.h>
#include <stdint.h>

struct xsk_rx;

/* Binds to @ifindex queue @queue of the current network namespace. */
int xsk_rx_open(struct xsk_rx **out, int ifindex, uint32_t queue);
int xsk_rx_fd(const struct xsk_rx *s);

/*
 * Copies the next received frame into @buf (at most @cap bytes), waiting
 * up to @timeout_ms. Returns its length, -EAGAIN when none came.
 */
int xsk_rx_recv(struct xsk_rx *s, uint8_t *buf, size_t cap, int timeout_ms);

void xsk_rx_close(struct xsk_rx *s);

#endif /* EDGESTEER_TESTS_XSK_RX_H */
