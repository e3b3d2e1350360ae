/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the fast path's tests and benchmark: EAL bring-up on
 * vdevs (no PCI, no hugepages, a private file prefix so tests run in
 * parallel), the fixture world as a struct es_policy, and synthetic tables.
 */
#ifndef EDGESTEER_FP_TESTLIB_H
#define EDGESTEER_FP_TESTLIB_H

#include <stdint.h>
#include <stdio.h>

#include "es_policy.h"

/*
 * rte_eal_init with -l 0..nlcores-1 and the given --vdev arguments. Returns
 * 0, or exits 77 (skip) when EAL cannot start here.
 */
int fp_test_eal(const char *name, unsigned int nlcores, const char *const *vdevs,
		unsigned int nvdevs);
/* Removes /var/run/dpdk/PREFIX, the runtime files of a finished EAL. */
void fp_test_rm_run_dir(const char *prefix);

/* Cleans up EAL, reports failed checks; returns the exit status. */
int fp_test_eal_done(void);

/* Failed CHECKs so far; CHECK prints the reason and goes on. */
extern int fp_test_failures;
#define CHECK(cond, ...) do { if (!(cond)) { fp_test_failures++; \
	fprintf(stderr, "FAIL: " __VA_ARGS__); fputc('\n', stderr); } } while (0)

/* The fixture world (tools/esop_fixtures.h) as a policy. 0 or -errno. */
int fp_test_world_policy(struct es_policy *p);

/*
 * @ndev devices with ids 1..ndev (sorted), each with @napps apps
 * (1..16) alternating edge0 / cloud0 / local, split layer @split, rate
 * @rate_kbps, burst 1 MB; servers edge0 (port 1) and cloud0 (port 2) over
 * IPv4. @kind_of_app0: target of app 1 for every device.
 */
int fp_test_synth_policy(struct es_policy *p, uint32_t ndev, uint32_t napps,
			 uint64_t epoch, uint16_t split, uint32_t rate_kbps,
			 uint8_t kind_of_app0);
void fp_test_policy_free(struct es_policy *p);

#endif /* EDGESTEER_FP_TESTLIB_H */
