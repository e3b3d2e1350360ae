/* SPDX-License-Identifier: MIT */
/*
 * The expected latency of eq. (4.8) as the solvers see it: a tree of
 * layers (the shared trunk and the side branches), each with an execution
 * time per site, the data entering it, and the probability weight of the
 * exits whose path runs through it. A placement gives every layer a site;
 * the input starts on the device and every exit's result returns there.
 */
#ifndef EDGESTEER_PDO_COST_H
#define EDGESTEER_PDO_COST_H

#include <stdint.h>

#include "pdo_model.h"

struct pdo_cost {
	uint32_t n;			/* layers; parents before children */
	uint32_t nsites;		/* 2: device + edge, 3: + cloud */
	uint32_t nexits;
	int16_t parent[PDO_MAX_LAYERS];	/* -1: fed by the input on the device */
	uint8_t exit_of[PDO_MAX_LAYERS];	/* k when the layer ends exit k */
	uint8_t branch[PDO_MAX_LAYERS];	/* the exit its chain leads to */
	double w[PDO_MAX_LAYERS];	/* sum of p_k over exits through it */
	double exec_ms[PDO_MAX_LAYERS][PDO_NSITES];
	double in_bytes[PDO_MAX_LAYERS];
	double out_bytes[PDO_MAX_LAYERS];
	double p[PDO_MAX_EXITS + 1];	/* probability that exit k serves */
	double tail_ms[PDO_MAX_EXITS + 1];	/* parsing on the device, any placement */
	double icpt_ms[PDO_NSITES];	/* per-task loading intercept of a used site */
	double wireless_ms_per_byte;
	double wired_ms_per_byte;
};

/* Shannon-Hartley, eq. (4.2). */
double pdo_wireless_mbps(double bandwidth_mhz, double snr_db);

/*
 * Builds the cost tree. @early_exit 0 puts all the mass on the main exit
 * (a device that does not accept early exits).
 */
int pdo_cost_build(const struct pdo_graph *g, const struct pdo_regress *r,
		   const struct pdo_params *prm, int early_exit, struct pdo_cost *c);

/* Probability of each exit under d(ac) = N(mean, sigma), eq. (4.8). */
void pdo_exit_probs(const struct pdo_params *prm, uint32_t nexits, double *p);

/* Transfer time between two sites for @bytes (eq. 4.5). */
double pdo_cost_move_ms(const struct pdo_cost *c, unsigned int from, unsigned int to,
			double bytes);

/* Loading intercepts of the sites in @mask (bit s = site s used). */
double pdo_cost_icpt_ms(const struct pdo_cost *c, unsigned int mask);

/* Eq. (4.8) for a placement (loc[i] < nsites). */
double pdo_cost_expected_ms(const struct pdo_cost *c, const uint8_t *loc);

/* Eq. (4.6): the latency of exit k alone under a placement. */
double pdo_cost_exit_ms(const struct pdo_cost *c, const uint8_t *loc, unsigned int k);

/* Exhaustive search over nsites^n placements (n <= 16). */
int pdo_cost_brute(const struct pdo_cost *c, uint8_t *loc, double *ms);

#endif /* EDGESTEER_PDO_COST_H */
