/* SPDX-License-Identifier: MIT */
/*
 * ddlo_mec: the multi-user multi-task MEC model of DDLO (seed 001, the
 * reference's MUMT.py as described in models/ddlo/data/README.md): N
 * wireless devices (WDs) with M tasks each, a binary offloading decision
 * per task, and the utility Q (energy + p·delay, a cost to minimise).
 *
 *   Q = Σ_i [ Σ_j E_loc·d_ij·(1−x_ij) + (E_edge+E_tx)·d_ij·x_ij
 *           + p·max( T_loc·Σ_j d_ij·(1−x_ij),
 *                    Σ_j (s_ij/c_i + d_ij·APP/f_c)·x_ij ) ]
 *
 * with s_ij in MB, d_ij = s_ij·8·2^20 bits and c_i the WD's uplink share
 * (MB/s) of the total C. Two bandwidth rules: EQUAL (c_i = C/N, the
 * reference's) and OPTIMAL (the split of C that minimises Q for the given
 * decision, solved exactly by water-filling on the KKT multiplier).
 *
 * Also the exact and simple baselines. Decisions are N·M bytes, 0 = local,
 * 1 = edge, WD-major (x[i·M + j]).
 */
#ifndef EDGESTEER_DDLO_MEC_H
#define EDGESTEER_DDLO_MEC_H

#include <stdint.h>

#include "nn_rng.h"

#define DDLO_MAX_WDS	1024u	/* scoring keeps ~50 KiB of stack scratch */
#define DDLO_MAX_TASKS	24u	/* per WD: the subset search's bitmask */
#define DDLO_JOINT_MAX	20u	/* N·M of the exact joint search */

enum ddlo_bw {
	DDLO_BW_EQUAL = 0,
	DDLO_BW_OPTIMAL = 1,
};

struct ddlo_mec {
	uint32_t n_wd, n_task;
	double e_loc;		/* J/bit, local computing */
	double e_tx;		/* J/bit, uplink transmission */
	double e_edge;		/* J/bit, edge computing ("a") */
	double t_loc;		/* s/bit, local computing */
	double app;		/* cycles/bit at the edge */
	double f_c;		/* cycles/s, the edge server */
	double p;		/* weight of delay against energy */
	double capacity_mbs;	/* total uplink C, MB/s */
};

/* The reference constants, C = 100 Mbit/s = 12.5 MB/s. -EINVAL if n or m
 * is 0, n > DDLO_MAX_WDS or m > DDLO_MAX_TASKS. */
int ddlo_mec_init(struct ddlo_mec *mec, uint32_t n_wd, uint32_t n_task);

/*
 * Q of decision @x for task sizes @size_mb (N·M, MB) under rule @bw.
 * @rate_mbs, if not NULL, gets each WD's uplink share (N entries, MB/s).
 */
double ddlo_mec_utility(const struct ddlo_mec *mec, const float *size_mb,
			const uint8_t *x, enum ddlo_bw bw, double *rate_mbs);

/*
 * The exact optimum under EQUAL: Q separates into per-WD terms, and each
 * depends only on the size kept local, so a subset-sum search over the
 * WD's integer sizes (rounded to MB) finds it. Writes @x, returns Q.
 */
double ddlo_mec_best_equal(const struct ddlo_mec *mec, const float *size_mb,
			   uint8_t *x);
/* The same by enumerating 2^M decisions per WD (M ≤ 16; a cross-check). */
double ddlo_mec_best_equal_enum(const struct ddlo_mec *mec,
				const float *size_mb, uint8_t *x);
/*
 * The exact joint optimum under @bw by enumerating all 2^(N·M) decisions
 * (N·M ≤ DDLO_JOINT_MAX). Returns Q, or a negative value if too large.
 */
double ddlo_mec_best_joint(const struct ddlo_mec *mec, const float *size_mb,
			   enum ddlo_bw bw, uint8_t *x);

/* Simple baselines: all-local (0), all-edge (1), uniformly random. */
void ddlo_mec_fill(const struct ddlo_mec *mec, uint8_t *x, int value);
void ddlo_mec_random(const struct ddlo_mec *mec, struct nn_rng *rng, uint8_t *x);

#endif /* EDGESTEER_DDLO_MEC_H */
