/* SPDX-License-Identifier: MIT */
/*
 * The task monitor's cost on the data path: ns per task (three TENSOR
 * fragments and one RESULT through fp_mon_tensor / fp_mon_result) with
 * 4096 tasks open at a time in a 16384-slot table, against a reference
 * measured in the same run: the same four frames counted only in
 * per-server counters (what the fast path did before). Prints JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/types.h>

#include "esop_parse.h"
#include "fp_mon.h"

#define OPEN	4096u
#define ROUNDS	200u

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The reference: per-server counters only, as fp_wstats has them. */
static uint64_t ref_frames[64], ref_bytes[64];

static void __attribute__((noinline)) ref_count(const struct esop_pkt *p, uint8_t s, uint32_t b)
{
	ref_frames[s]++;
	ref_bytes[s] += b + (p->frag_off & 1);
}

int main(void)
{
	struct fp_mon_cfg cfg = { .nlcores = 2, .slots = 16384, .timeout_ms = 1000,
				  .hz = 1000000000u };
	struct fp_msg_mon_rec recs[8];
	struct fp_msg_mon_reply rep;
	struct fp_mon *m;
	struct esop_pkt p;
	uint64_t t0, t_mon, t_ref, tick = 0;
	double ns_mon = 1e18, ns_ref = 1e18;

	if (fp_mon_create(&cfg, &m))
		return 1;
	memset(&p, 0, sizeof(p));
	p.app_id = 3;
	p.layer = 4;
	/* best of 5: the machine is shared */
	for (int rep_i = 0; rep_i < 5; rep_i++) {
		t0 = now_ns();
		for (uint32_t r = 0; r < ROUNDS; r++) {
			for (uint32_t i = 0; i < OPEN; i++) {
				p.device_id = 1000 + i;
				p.task_id = r;
				for (uint32_t off = 0; off < 3 * 1400; off += 1400) {
					p.frag_off = off;
					fp_mon_tensor(m, 1, &p, (uint8_t)(i & 1), 1442, tick++);
				}
			}
			p.frag_off = 0;
			for (uint32_t i = 0; i < OPEN; i++) {
				p.device_id = 1000 + i;
				fp_mon_result(m, 0, &p, (int)(i & 1), 120, tick++);
			}
		}
		t_mon = now_ns() - t0;
		t0 = now_ns();
		for (uint32_t r = 0; r < ROUNDS; r++)
			for (uint32_t i = 0; i < OPEN; i++) {
				p.device_id = 1000 + i;
				for (uint32_t off = 0; off < 4 * 1400; off += 1400) {
					p.frag_off = off;
					ref_count(&p, (uint8_t)(i & 1), 1442);
				}
			}
		t_ref = now_ns() - t0;
		if ((double)t_mon / (ROUNDS * OPEN) < ns_mon)
			ns_mon = (double)t_mon / (ROUNDS * OPEN);
		if ((double)t_ref / (ROUNDS * OPEN) < ns_ref)
			ns_ref = (double)t_ref / (ROUNDS * OPEN);
	}
	fp_mon_read(m, tick, 0, recs, 8, &rep);
	printf("{\"bench\": \"fp_mon\", \"open_tasks\": %u, \"ns_per_task\": %.1f, "
	       "\"ns_per_task_counters_only\": %.1f, \"ratio\": %.2f, \"tasks_done\": %llu, "
	       "\"evicted\": %llu, \"busy\": %llu, \"ref_frames\": %llu}\n", OPEN, ns_mon, ns_ref,
	       ns_mon / ns_ref, (unsigned long long)(recs[0].done + recs[1].done),
	       (unsigned long long)(recs[0].evicted + recs[1].evicted),
	       (unsigned long long)rep.busy, (unsigned long long)(ref_frames[0] + ref_frames[1]));
	fp_mon_free(m);
	return 0;
}
