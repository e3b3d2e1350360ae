/* SPDX-License-Identifier: MIT */
/*
 * The task monitor: what actually happened to each offloaded task, from its
 * first TENSOR fragment leaving for a server to the server's RESULT coming
 * back (docs/ddlro.md). The data path makes one call per forwarded TENSOR
 * and one per returned RESULT; no lock, no allocation, no system call.
 *
 * Open tasks live in one table shared by every lcore, keyed by (device,
 * task), 4-way set associative; an lcore writes a slot only after taking
 * its sequence number with a compare-and-swap and skips (counts "busy")
 * when another lcore holds it. Counts are per lcore (one writer each) and
 * summed by the reader. A full set gives up its oldest task: "lost" when it
 * was open longer than the timeout, "evicted" otherwise. The control thread
 * also sweeps out timed-out tasks when it reads (fp_mon_read).
 *
 * No DPDK here: times are ticks of a clock of @hz ticks a second (the TSC
 * in the fast path, anything in a test).
 */
#ifndef EDGESTEER_FP_MON_H
#define EDGESTEER_FP_MON_H

#include <stddef.h>
#include <stdint.h>

#include "fp_msg.h"

#define FP_MON_NAL	64	/* (app, layer) keys counted per lcore */

struct esop_pkt;
struct fp_mon;

struct fp_mon_cfg {
	unsigned int nlcores;	/* data-path lcores, 1..64 */
	uint32_t slots;		/* open tasks (power of 2, >= 4), 0 = 16384 */
	uint32_t timeout_ms;	/* open this long = lost, 0 = 1000 */
	uint64_t hz;		/* clock ticks a second, > 0 */
};

int fp_mon_create(const struct fp_mon_cfg *cfg, struct fp_mon **out);
void fp_mon_free(struct fp_mon *m);

/*
 * A TENSOR fragment of @pkt forwarded by lcore @lc to @server, @bytes on
 * the wire, at @now. The first fragment seen of a (device, task) opens it.
 */
void fp_mon_tensor(struct fp_mon *m, unsigned int lc, const struct esop_pkt *pkt,
		   uint8_t server, uint32_t bytes, uint64_t now);

/*
 * A RESULT fragment of @pkt from @server (-1: not one of the table's)
 * returned by lcore @lc; its first fragment closes the task.
 */
void fp_mon_result(struct fp_mon *m, unsigned int lc, const struct esop_pkt *pkt,
		   int server, uint32_t bytes, uint64_t now);

/*
 * Control thread: sweeps out tasks open longer than the timeout at @now,
 * then copies records @start.. (servers first, by index, then (app, layer)
 * keys; only keys that saw a task) into @recs, at most @max. Fills @rep
 * (total, nrec and the table's counters). Concurrent readers are serialised
 * inside; the data path never waits for them.
 */
void fp_mon_read(struct fp_mon *m, uint64_t now, uint32_t start,
		 struct fp_msg_mon_rec *recs, uint32_t max, struct fp_msg_mon_reply *rep);

/* Histogram bucket of a latency: 0 below 128 us, then one per doubling. */
static inline unsigned int fp_mon_bucket(uint64_t us)
{
	unsigned int b;

	if (us < 128)
		return 0;
	b = (unsigned int)(63 - __builtin_clzll(us)) - 6;
	return b < FP_MON_NBUCKETS ? b : FP_MON_NBUCKETS - 1;
}

#endif /* EDGESTEER_FP_MON_H */
