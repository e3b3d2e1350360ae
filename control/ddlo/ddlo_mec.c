/* SPDX-License-Identifier: MIT */
#include "ddlo_mec.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BITS_PER_MB	(8.0 * 1048576.0)
#define DP_MAX_SUM	65536u	/* beyond: enumerate instead */

int ddlo_mec_init(struct ddlo_mec *mec, uint32_t n_wd, uint32_t n_task)
{
	if (!mec || n_wd == 0 || n_wd > DDLO_MAX_WDS || n_task == 0 ||
	    n_task > DDLO_MAX_TASKS)
		return -EINVAL;
	*mec = (struct ddlo_mec){
		.n_wd = n_wd, .n_task = n_task,
		.e_loc = 3.25e-7, .e_tx = 1.42e-7, .e_edge = 1.5e-7,
		.t_loc = 4.75e-7, .app = 1900, .f_c = 10e9, .p = 1,
		.capacity_mbs = 100.0 / 8,
	};
	return 0;
}

/* What Q needs of one WD's decision. */
struct wd_terms {
	double energy;		/* J */
	double t_local;		/* s, local branch */
	double up_mb;		/* MB to send */
	double t_edge;		/* s, edge computing (without the upload) */
};

static void wd_terms(const struct ddlo_mec *mec, const float *s,
		     const uint8_t *x, struct wd_terms *w)
{
	double loc = 0, off = 0;

	for (uint32_t j = 0; j < mec->n_task; j++) {
		if (x[j])
			off += s[j];
		else
			loc += s[j];
	}
	w->energy = (mec->e_loc * loc + (mec->e_edge + mec->e_tx) * off) *
		    BITS_PER_MB;
	w->t_local = mec->t_loc * loc * BITS_PER_MB;
	w->up_mb = off;
	w->t_edge = off * BITS_PER_MB * mec->app / mec->f_c;
}

static double wd_cost(const struct ddlo_mec *mec, const struct wd_terms *w,
		      double rate_mbs)
{
	double t_off = w->up_mb > 0 ? w->up_mb / rate_mbs + w->t_edge : 0;

	return w->energy + mec->p * (w->t_local > t_off ? w->t_local : t_off);
}

/*
 * Minimise Σ max(L_i, R_i + U_i/c_i) subject to Σ c_i = C. Each term is
 * convex and decreasing up to c*_i = U_i/(L_i − R_i) (flat beyond, where
 * the local branch dominates), so by KKT c_i = min(µ·√U_i, c*_i) for one
 * µ. Capping a WD only raises µ for the rest, so capping the WDs that
 * exceed their c*_i until none does reaches the exact µ in ≤ N passes.
 * Bandwidth left once every WD is capped is shared pro rata (Q is flat
 * there).
 */
static void waterfill(const struct wd_terms *w, uint32_t n, double cap_total,
		      double *c)
{
	uint8_t sat[DDLO_MAX_WDS];
	double cap[DDLO_MAX_WDS];
	double mu = 0, used = 0;
	int changed = 1, any_free = 0;

	for (uint32_t i = 0; i < n; i++) {
		double slack = w[i].t_local - w[i].t_edge;

		sat[i] = w[i].up_mb <= 0;	/* nothing to send: c = 0 */
		cap[i] = sat[i] ? 0 : slack > 0 ? w[i].up_mb / slack : INFINITY;
	}
	while (changed) {
		double budget = cap_total, root_sum = 0;

		changed = 0;
		any_free = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (sat[i]) {
				budget -= cap[i];
			} else {
				root_sum += sqrt(w[i].up_mb);
				any_free = 1;
			}
		}
		if (!any_free)
			break;
		mu = budget / root_sum;
		for (uint32_t i = 0; i < n; i++)
			if (!sat[i] && mu * sqrt(w[i].up_mb) >= cap[i]) {
				sat[i] = 1;
				changed = 1;
			}
	}
	for (uint32_t i = 0; i < n; i++) {
		c[i] = sat[i] ? cap[i] : mu * sqrt(w[i].up_mb);
		used += c[i];
	}
	if (!any_free && used > 0 && used < cap_total)
		for (uint32_t i = 0; i < n; i++)
			c[i] *= cap_total / used;
}

double ddlo_mec_utility(const struct ddlo_mec *mec, const float *size_mb,
			const uint8_t *x, enum ddlo_bw bw, double *rate_mbs)
{
	struct wd_terms w[DDLO_MAX_WDS];
	double c[DDLO_MAX_WDS], q = 0;
	const uint32_t n = mec->n_wd, m = mec->n_task;

	for (uint32_t i = 0; i < n; i++)
		wd_terms(mec, size_mb + (size_t)i * m, x + (size_t)i * m, &w[i]);
	if (bw == DDLO_BW_OPTIMAL)
		waterfill(w, n, mec->capacity_mbs, c);
	else
		for (uint32_t i = 0; i < n; i++)
			c[i] = mec->capacity_mbs / n;
	for (uint32_t i = 0; i < n; i++)
		q += wd_cost(mec, &w[i], c[i]);
	if (rate_mbs)
		memcpy(rate_mbs, c, n * sizeof(double));
	return q;
}

/* Best decision of one WD by enumeration, under the equal share. */
static double wd_best_enum(const struct ddlo_mec *mec, const float *s,
			   uint8_t *x)
{
	const uint32_t m = mec->n_task, rate_n = mec->n_wd;
	double best = INFINITY;
	uint32_t best_mask = 0;
	uint8_t xx[DDLO_MAX_TASKS];
	struct wd_terms w;

	for (uint32_t mask = 0; mask < (1u << m); mask++) {
		for (uint32_t j = 0; j < m; j++)
			xx[j] = (uint8_t)((mask >> j) & 1);
		wd_terms(mec, s, xx, &w);
		double q = wd_cost(mec, &w, mec->capacity_mbs / rate_n);

		if (q < best) {
			best = q;
			best_mask = mask;
		}
	}
	for (uint32_t j = 0; j < m; j++)
		x[j] = (uint8_t)((best_mask >> j) & 1);
	return best;
}

double ddlo_mec_best_equal_enum(const struct ddlo_mec *mec,
				const float *size_mb, uint8_t *x)
{
	double q = 0;

	for (uint32_t i = 0; i < mec->n_wd; i++)
		q += wd_best_enum(mec, size_mb + (size_t)i * mec->n_task,
				  x + (size_t)i * mec->n_task);
	return q;
}

/*
 * One WD by subset sum: its cost depends only on the size it keeps local,
 * so find one subset for every reachable local sum (integer MB), then
 * price each sum once.
 */
static double wd_best_dp(const struct ddlo_mec *mec, const float *s, uint8_t *x)
{
	const uint32_t m = mec->n_task;
	uint32_t sz[DDLO_MAX_TASKS], total = 0, best_sum = 0;
	uint32_t *mask;
	double best = INFINITY;
	uint8_t xx[DDLO_MAX_TASKS];
	struct wd_terms w;

	for (uint32_t j = 0; j < m; j++) {
		double r = nearbyint(s[j]);

		if (r < 0 || r != s[j] || total + r >= DP_MAX_SUM)
			return m <= 16 ? wd_best_enum(mec, s, x) : INFINITY;
		sz[j] = (uint32_t)r;
		total += sz[j];
	}
	/* mask[v]: a subset (bit j = task j kept local) with sum v, or ~0 */
	mask = malloc((total + 1) * sizeof(*mask));
	if (!mask)
		return m <= 16 ? wd_best_enum(mec, s, x) : INFINITY;
	memset(mask, 0xff, (total + 1) * sizeof(*mask));
	mask[0] = 0;
	for (uint32_t j = 0; j < m; j++)
		for (uint32_t v = total; v >= sz[j] && v > 0; v--)
			if (mask[v] == UINT32_MAX && mask[v - sz[j]] != UINT32_MAX)
				mask[v] = mask[v - sz[j]] | (1u << j);
	for (uint32_t v = 0; v <= total; v++) {
		if (mask[v] == UINT32_MAX)
			continue;
		for (uint32_t j = 0; j < m; j++)
			xx[j] = !((mask[v] >> j) & 1);
		wd_terms(mec, s, xx, &w);
		double q = wd_cost(mec, &w, mec->capacity_mbs / mec->n_wd);

		if (q < best) {
			best = q;
			best_sum = v;
		}
	}
	for (uint32_t j = 0; j < m; j++)
		x[j] = !((mask[best_sum] >> j) & 1);
	free(mask);
	return best;
}

double ddlo_mec_best_equal(const struct ddlo_mec *mec, const float *size_mb,
			   uint8_t *x)
{
	double q = 0;

	for (uint32_t i = 0; i < mec->n_wd; i++)
		q += wd_best_dp(mec, size_mb + (size_t)i * mec->n_task,
				x + (size_t)i * mec->n_task);
	return q;
}

double ddlo_mec_best_joint(const struct ddlo_mec *mec, const float *size_mb,
			   enum ddlo_bw bw, uint8_t *x)
{
	const uint32_t nm = mec->n_wd * mec->n_task;
	uint8_t xx[DDLO_JOINT_MAX];
	uint32_t best_mask = 0;
	double best = INFINITY;

	if (nm > DDLO_JOINT_MAX)
		return -1;
	for (uint32_t mask = 0; mask < (1u << nm); mask++) {
		for (uint32_t k = 0; k < nm; k++)
			xx[k] = (uint8_t)((mask >> k) & 1);
		double q = ddlo_mec_utility(mec, size_mb, xx, bw, NULL);

		if (q < best) {
			best = q;
			best_mask = mask;
		}
	}
	for (uint32_t k = 0; k < nm; k++)
		x[k] = (uint8_t)((best_mask >> k) & 1);
	return best;
}

void ddlo_mec_fill(const struct ddlo_mec *mec, uint8_t *x, int value)
{
	memset(x, value ? 1 : 0, (size_t)mec->n_wd * mec->n_task);
}

void ddlo_mec_random(const struct ddlo_mec *mec, struct nn_rng *rng, uint8_t *x)
{
	for (uint32_t k = 0; k < mec->n_wd * mec->n_task; k++)
		x[k] = (uint8_t)(nn_rng_next(rng) >> 63);
}
