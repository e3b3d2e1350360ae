/* SPDX-License-Identifier: MIT */
/*
 * A raw AF_PACKET socket on one interface, for the test-bed programs that
 * play devices and servers: they send frames built by esop_gen and read
 * frames with the shared parser, so they speak ESOP exactly as the
 * dataplane does, including VLAN and GTP-U.
 */
#ifndef EDGESTEER_ES_RAWSOCK_H
#define EDGESTEER_ES_RAWSOCK_H

#include <stddef.h>
#include <stdint.h>

struct es_rawsock {
	int fd;
	int ifindex;
	uint8_t mac[6];
};

/* Opens and binds to @ifname (all protocols). Returns 0 or -errno. */
int es_rawsock_open(struct es_rawsock *s, const char *ifname);
void es_rawsock_close(struct es_rawsock *s);

/* Sends one frame. Returns 0 or -errno (-EAGAIN when the queue is full). */
int es_rawsock_send(struct es_rawsock *s, const void *frame, size_t len);

/*
 * Receives one frame into @buf, waiting at most @timeout_ms (0 = poll).
 * Returns its length, 0 on timeout, or -errno. Frames this host sent are
 * skipped.
 */
int es_rawsock_recv(struct es_rawsock *s, void *buf, size_t cap, int timeout_ms);

/* Parses "aa:bb:cc:dd:ee:ff". Returns 0 or -EINVAL. */
int es_parse_mac(const char *text, uint8_t mac[6]);

/* SIGINT and SIGTERM ask the program to stop; es_stop_requested() tells. */
void es_catch_stop_signals(void);
int es_stop_requested(void);

/* Monotonic clock in nanoseconds. */
uint64_t es_now_ns(void);

#endif /* EDGESTEER_ES_RAWSOCK_H */
