/* SPDX-License-Identifier: MIT */
/*
 * rte_telemetry commands, readable with the stock dpdk-telemetry.py:
 *   /edgesteer/stats        counters summed over the lcores
 *   /edgesteer/device,ID    one device: table entry, bucket, learned address
 *   /edgesteer/table        the table in force
 */
#ifndef EDGESTEER_FP_TEL_H
#define EDGESTEER_FP_TEL_H

#include "fp_dp.h"

/* Registers the commands for @dp (one fast path per process). 0 or -errno. */
int fp_tel_register(struct fp_dp *dp);

/* Counter names, index by enum fp_counter. */
extern const char *const fp_counter_names[FP_C__COUNT];

#endif /* EDGESTEER_FP_TEL_H */
