/* SPDX-License-Identifier: MIT */
#include "pdo_cost.h"

#include <errno.h>
#include <math.h>
#include <string.h>

double pdo_wireless_mbps(double bandwidth_mhz, double snr_db)
{
	return bandwidth_mhz * log2(1.0 + pow(10.0, snr_db / 10.0));
}

static double phi(double z)
{
	return 0.5 * erfc(-z / sqrt(2.0));
}

void pdo_exit_probs(const struct pdo_params *prm, uint32_t nexits, double *p)
{
	double lo = 0;

	/*
	 * Exit k serves requirements in (Acc(k-1), Acc(k)]. The lower tail
	 * (ac <= Acc(0) = 0) goes to exit 1; requirements above Acc(P), which
	 * no exit meets (the paper's k = P + 1 term), are served by the main
	 * exit, the most accurate there is.
	 */
	for (uint32_t k = 1; k <= nexits; k++) {
		double hi = phi((prm->acc[k] - prm->ac_mean) / prm->ac_sigma);

		p[k] = k == nexits ? 1.0 - lo : hi - lo;
		lo = hi;
	}
}

int pdo_cost_build(const struct pdo_graph *g, const struct pdo_regress *r,
		   const struct pdo_params *prm, int early_exit, struct pdo_cost *c)
{
	double cloud_div = prm->cloud_speedup, slow = prm->edge_slowdown;
	int per_task = prm->loading == PDO_LOAD_PER_TASK;
	double load_slope[PDO_NSITES];

	if (g->nlayers == 0 || g->nlayers > PDO_MAX_LAYERS || g->nexits > PDO_MAX_EXITS ||
	    prm->nacc != g->nexits || cloud_div <= 0 || slow <= 0)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->n = g->nlayers;
	c->nsites = prm->tiers == 2 ? 2 : 3;
	c->nexits = g->nexits;
	if (early_exit)
		pdo_exit_probs(prm, g->nexits, c->p);
	else
		c->p[g->nexits] = 1.0;
	c->wireless_ms_per_byte = 8e-3 / pdo_wireless_mbps(prm->bandwidth_mhz, prm->snr_db);
	c->wired_ms_per_byte = 8e-3 / prm->wired_mbps;

	/* Loading: slope per weight byte on a site, intercept once per used site. */
	load_slope[PDO_DEVICE] = r->c[PDO_DEVICE][PDO_REG_LOAD][0];
	load_slope[PDO_EDGE] = r->c[PDO_EDGE][PDO_REG_LOAD][0] * slow;
	load_slope[PDO_CLOUD] = r->c[PDO_EDGE][PDO_REG_LOAD][0] / cloud_div;
	if (per_task) {
		c->icpt_ms[PDO_DEVICE] = r->c[PDO_DEVICE][PDO_REG_LOAD][2];
		c->icpt_ms[PDO_EDGE] = r->c[PDO_EDGE][PDO_REG_LOAD][2] * slow;
		c->icpt_ms[PDO_CLOUD] = r->c[PDO_EDGE][PDO_REG_LOAD][2] / cloud_div;
	}
	for (uint32_t i = 0; i < g->nlayers; i++) {
		const struct pdo_layer *l = &g->layers[i];
		double edge = pdo_layer_ms(r, PDO_EDGE, l);

		c->parent[i] = l->parent;
		c->branch[i] = l->branch;
		c->exec_ms[i][PDO_DEVICE] = pdo_layer_ms(r, PDO_DEVICE, l);
		c->exec_ms[i][PDO_EDGE] = edge * slow;
		c->exec_ms[i][PDO_CLOUD] = edge / cloud_div;
		if (per_task)
			for (int s = 0; s < PDO_NSITES; s++)
				c->exec_ms[i][s] += load_slope[s] * (double)l->weight_bytes;
		c->in_bytes[i] = (double)l->in_bytes;
		c->out_bytes[i] = (double)l->out_bytes;
	}
	for (uint32_t k = 1; k <= g->nexits; k++) {
		int v = g->exit_leaf[k];

		c->exit_of[v] = (uint8_t)k;
		c->tail_ms[k] = pdo_reg_ms(r, PDO_DEVICE, PDO_REG_PARSE,
					   (double)g->layers[v].out_bytes);
		for (; v >= 0; v = c->parent[v])
			c->w[v] += c->p[k];
	}
	return 0;
}

double pdo_cost_move_ms(const struct pdo_cost *c, unsigned int from, unsigned int to,
			double bytes)
{
	/* Eq. (4.5): leaving or entering the device crosses the radio, leaving
	 * or entering the cloud crosses the wire; device <-> cloud does both. */
	double t = 0;

	if ((from == PDO_DEVICE) != (to == PDO_DEVICE))
		t += bytes * c->wireless_ms_per_byte;
	if ((from == PDO_CLOUD) != (to == PDO_CLOUD))
		t += bytes * c->wired_ms_per_byte;
	return t;
}

double pdo_cost_icpt_ms(const struct pdo_cost *c, unsigned int mask)
{
	double t = 0;

	for (unsigned int s = 0; s < PDO_NSITES; s++)
		if (mask & (1u << s))
			t += c->icpt_ms[s];
	return t;
}

double pdo_cost_expected_ms(const struct pdo_cost *c, const uint8_t *loc)
{
	uint8_t mask[PDO_MAX_LAYERS];
	double t = 0;

	for (uint32_t v = 0; v < c->n; v++) {
		int u = c->parent[v];
		unsigned int from = u < 0 ? PDO_DEVICE : loc[u];

		mask[v] = (uint8_t)((u < 0 ? 0 : mask[u]) | (1u << loc[v]));
		t += c->w[v] * (c->exec_ms[v][loc[v]] +
				pdo_cost_move_ms(c, from, loc[v], c->in_bytes[v]));
		if (c->exit_of[v]) {
			unsigned int k = c->exit_of[v];

			t += c->p[k] * (pdo_cost_move_ms(c, loc[v], PDO_DEVICE, c->out_bytes[v]) +
					c->tail_ms[k] + pdo_cost_icpt_ms(c, mask[v]));
		}
	}
	return t;
}

double pdo_cost_exit_ms(const struct pdo_cost *c, const uint8_t *loc, unsigned int k)
{
	unsigned int mask = 0;
	double t = c->tail_ms[k];
	int v;

	for (v = 0; v < (int)c->n && c->exit_of[v] != k; v++)
		;
	if (v == (int)c->n)
		return 0;
	t += pdo_cost_move_ms(c, loc[v], PDO_DEVICE, c->out_bytes[v]);
	for (; v >= 0; v = c->parent[v]) {
		int u = c->parent[v];

		mask |= 1u << loc[v];
		t += c->exec_ms[v][loc[v]] +
		     pdo_cost_move_ms(c, u < 0 ? PDO_DEVICE : loc[u], loc[v], c->in_bytes[v]);
	}
	return t + pdo_cost_icpt_ms(c, mask);
}

int pdo_cost_brute(const struct pdo_cost *c, uint8_t *loc, double *ms)
{
	uint8_t cur[PDO_MAX_LAYERS] = { 0 };
	double best = INFINITY;

	if (c->n > 16)
		return -E2BIG;
	for (;;) {
		double t = pdo_cost_expected_ms(c, cur);
		uint32_t i;

		if (t < best) {
			best = t;
			memcpy(loc, cur, c->n);
		}
		/* Next placement: count in base nsites. */
		for (i = 0; i < c->n && ++cur[i] == c->nsites; i++)
			cur[i] = 0;
		if (i == c->n)
			break;
	}
	*ms = best;
	return 0;
}
