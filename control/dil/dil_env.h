/* SPDX-License-Identifier: MIT */
/*
 * The DIL environment (seed 003, "Intelligent Edge"): one mobile device, an
 * SCcNB edge server with M CPU cores and N subcarriers over Rayleigh fading,
 * a remote cloud behind a wired (backhaul) delay W, and an application of T
 * sequential sub-tasks. Sub-task t runs locally, at the edge or in the cloud;
 * its cost is its execution cost there plus the cost of moving its input
 * d_{t-1,t} from where sub-task t-1 ran. The application's input starts on
 * the device and its output must come back to it. Every constant is a
 * parameter (docs/dil.md lists each with its default and its source).
 */
#ifndef EDGESTEER_DIL_ENV_H
#define EDGESTEER_DIL_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "nn_rng.h"

/* Where a sub-task runs: the seed's I_t. */
enum dil_loc {
	DIL_LOCAL = 0,
	DIL_EDGE = 1,
	DIL_CLOUD = 2,
};
#define DIL_NLOC 3

/* Enough for any chain the DP is asked about; exhaustive search stops far
 * below (DIL_EXHAUSTIVE_MAX in dil_solve.h). */
#define DIL_TASKS_MAX 256u

struct dil_params {
	uint32_t tasks;			/* T */
	/* Every field below is a double listed in dil_param_table(), in the
	 * order of that table (the demonstration file stores them so). */
	double edge_cores;		/* M */
	double subcarriers;		/* N */
	double wired_delay_min_s;	/* W range */
	double wired_delay_max_s;
	double bandwidth_hz;		/* over all N subcarriers */
	double snr_mean_db_min;		/* mean SNR (path loss) range */
	double snr_mean_db_max;
	double alloc_subcarriers_min;	/* m drawn in [this, N] */
	double alloc_cores_min;		/* n drawn in [this, M] */
	double work_min_cycles;		/* xi_t range */
	double work_max_cycles;
	double data_min_bytes;		/* d_{t-1,t} range */
	double data_max_bytes;
	double local_hz;
	double edge_core_hz;
	double cloud_hz;
	double kappa;			/* device energy per cycle = kappa f^2 */
	double tx_power_w;
	double rx_power_w;
	double energy_weight;		/* cost per joule of device energy */
	double backhaul_bps;
	double price_radio;		/* cost per subcarrier-second */
	double price_edge;		/* cost per core-second */
	double price_wired;		/* cost per megabyte over the backhaul */
	double price_cloud;		/* cost per gigacycle */
};

/* One named double of struct dil_params. */
struct dil_param_desc {
	const char *name;
	size_t offset;
	double def;			/* the default */
	double min, max;		/* accepted range, inclusive */
	int integral;
	const char *unit;
	const char *source;		/* "seed: ..." or "chosen: why" */
};

/* The table of parameters; *n gets its length. */
const struct dil_param_desc *dil_param_table(size_t *n);
static inline double *dil_param_ptr(struct dil_params *p,
				    const struct dil_param_desc *d)
{
	return (double *)((char *)p + d->offset);
}
static inline double dil_param_get(const struct dil_params *p,
				   const struct dil_param_desc *d)
{
	return *(const double *)((const char *)p + d->offset);
}

/* The defaults, for @tasks sub-tasks. */
void dil_params_default(struct dil_params *p, uint32_t tasks);
/*
 * Checks every field against its range and the pairs (min <= max). Returns
 * 0 or -EINVAL; on error @err (if not NULL) names the field and the reason.
 */
int dil_params_check(const struct dil_params *p, char *err, size_t errlen);
/* Sets "NAME=VALUE" (or tasks=T). Returns 0 or -EINVAL/-ENOENT, @p unchanged
 * on error. The caller checks the whole with dil_params_check afterwards. */
int dil_params_set(struct dil_params *p, const char *assignment);

/*
 * One sample: what the device reports and the SCcNB allocates, and the
 * application profile. A view: the arrays belong to whoever filled it.
 * data_bytes[t] is d_{t,t+1}: data_bytes[0] is the application's input (on
 * the device), data_bytes[T] its output (returned to the device).
 */
struct dil_sample {
	uint32_t tasks;
	uint32_t subcarriers;		/* m allocated to the device */
	uint32_t cores;			/* n allocated to the device */
	double snr;			/* effective SNR (linear) over the m
				 * subcarriers' Rayleigh draws */
	double wired_delay_s;		/* W */
	const double *work_cycles;	/* [tasks] */
	const double *data_bytes;	/* [tasks + 1] */
};

/*
 * Draws sample @index of the stream of @seed into @out, with its arrays in
 * @work ([p->tasks]) and @data ([p->tasks + 1]). Sample i depends only on
 * (seed, i), never on the samples drawn before it.
 */
void dil_env_draw(const struct dil_params *p, uint64_t seed, uint64_t index,
		  double *work, double *data, struct dil_sample *out);

/*
 * The cost tables of one sample: exec[t][l] is sub-task t's execution cost
 * at l, move[t][a][b] the cost of carrying data_bytes[t] from a to b
 * (move[0][..] starts on the device, move[T][..][DIL_LOCAL] returns to it).
 */
struct dil_costs {
	uint32_t tasks;
	double exec[DIL_TASKS_MAX][DIL_NLOC];
	double move[DIL_TASKS_MAX + 1][DIL_NLOC][DIL_NLOC];
};

void dil_costs_build(const struct dil_params *p, const struct dil_sample *s,
		     struct dil_costs *c);
/* The cost of placement @place[0..T-1] (values enum dil_loc). */
double dil_costs_total(const struct dil_costs *c, const uint8_t *place);
/* Uplink rate of the sample's allocation, bits per second. */
double dil_env_rate_bps(const struct dil_params *p, const struct dil_sample *s);

const char *dil_loc_name(unsigned loc);

#endif /* EDGESTEER_DIL_ENV_H */
