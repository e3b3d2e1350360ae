/* SPDX-License-Identifier: MIT */
/*
 * Source binding of the fast path (docs/security.md), the same rule as the
 * XDP program's es_bind: a device of the table is bound, on first sight, to
 * the source of the datagram carrying its ESOP (the inner one for GTP-U),
 * and from its first GTP-U frame on to that frame's TEID too. A frame of a
 * bound device from elsewhere is spoofed. A binding idle for longer than
 * the idle time moves to the next source heard.
 *
 * The store: open addressing keyed by device id, 2 x max_devices slots of
 * one cache line, lazily backed. A new device takes the first free slot of
 * its probe window; when there is none it evicts the least recently seen
 * binding there (counted: that device is learned again on its next frame),
 * so the store is never refused and never grows. Lock-free for readers (a
 * sequence number per slot); a writer takes the slot's sequence with a CAS
 * and, when another lcore holds it, lets the frame through unjudged
 * (FP_BIND_BUSY) rather than wait. No DPDK: times are the caller's ticks.
 */
#ifndef EDGESTEER_FP_BIND_H
#define EDGESTEER_FP_BIND_H

#include <stdint.h>

struct esop_pkt;
struct fp_bind;

enum fp_bind_result {
	FP_BIND_OK = 0,		/* from the bound source */
	FP_BIND_LEARNED,	/* bound now (first sight, or its first TEID) */
	FP_BIND_EVICTED,	/* bound now, in the slot of an older binding */
	FP_BIND_MOVED,		/* the old binding was idle: moved here */
	FP_BIND_BUSY,		/* another lcore is writing the slot: let through */
	FP_BIND_MISMATCH,	/* spoofed: drop */
};

/*
 * Room for @max_devices devices (the store is twice that); @idle_ticks: a
 * binding not heard from for longer moves. 0 or -errno.
 */
int fp_bind_create(uint32_t max_devices, uint64_t idle_ticks, struct fp_bind **out);
void fp_bind_free(struct fp_bind *b);

/* Judges (and learns from) an uplink frame of a device of the table at @now. */
enum fp_bind_result fp_bind_check(struct fp_bind *b, const struct esop_pkt *pkt,
				  uint64_t now);

#endif /* EDGESTEER_FP_BIND_H */
