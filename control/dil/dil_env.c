/* SPDX-License-Identifier: MIT */
#include "dil_env.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P(field) offsetof(struct dil_params, field)

/*
 * name, field, default, accepted range, whole number, unit, source.
 * Ranges are sanity bounds (a typo such as 1e90 is refused), not modelling
 * claims. The sources are repeated in docs/dil.md.
 */
static const struct dil_param_desc params[] = {
	{ "edge_cores", P(edge_cores), 16, 1, 4096, 1, "cores",
	  "seed: simulation setting, M = 16" },
	{ "subcarriers", P(subcarriers), 256, 1, 65536, 1, "subcarriers",
	  "seed: simulation setting, N = 256" },
	{ "wired_delay_min_s", P(wired_delay_min_s), 0.01, 0, 10, 0, "s",
	  "seed: simulation setting, W in [0.01, 0.02] s" },
	{ "wired_delay_max_s", P(wired_delay_max_s), 0.02, 0, 10, 0, "s",
	  "seed: simulation setting, W in [0.01, 0.02] s" },
	{ "bandwidth_hz", P(bandwidth_hz), 20e6, 1e3, 1e10, 0, "Hz",
	  "chosen: a 20 MHz LTE/NR small-cell carrier" },
	{ "snr_mean_db_min", P(snr_mean_db_min), -10, -50, 60, 0, "dB",
	  "chosen: mean SNR (path loss) of a small cell, cell edge" },
	{ "snr_mean_db_max", P(snr_mean_db_max), 15, -50, 60, 0, "dB",
	  "chosen: mean SNR (path loss) of a small cell, near the SCcNB" },
	{ "alloc_subcarriers_min", P(alloc_subcarriers_min), 16, 1, 65536, 1,
	  "subcarriers", "chosen: fewest subcarriers a loaded SCcNB grants" },
	{ "alloc_cores_min", P(alloc_cores_min), 1, 1, 4096, 1, "cores",
	  "chosen: fewest cores a loaded SCcNB grants" },
	{ "work_min_cycles", P(work_min_cycles), 0.05e9, 1, 1e13, 0, "cycles",
	  "chosen: seed says uniform; range tuned (docs/dil.md)" },
	{ "work_max_cycles", P(work_max_cycles), 1.0e9, 1, 1e13, 0, "cycles",
	  "chosen: seed says uniform; range tuned (docs/dil.md)" },
	{ "data_min_bytes", P(data_min_bytes), 200e3, 1, 1e10, 0, "bytes",
	  "chosen: seed says uniform; range tuned (docs/dil.md)" },
	{ "data_max_bytes", P(data_max_bytes), 2e6, 1, 1e10, 0, "bytes",
	  "chosen: seed says uniform; range tuned (docs/dil.md)" },
	{ "local_hz", P(local_hz), 1e9, 1e6, 1e11, 0, "Hz",
	  "chosen: a 1 GHz mobile core" },
	{ "edge_core_hz", P(edge_core_hz), 2.5e9, 1e6, 1e11, 0, "Hz",
	  "chosen: one SCcNB server core" },
	{ "cloud_hz", P(cloud_hz), 25e9, 1e6, 1e13, 0, "Hz",
	  "chosen: a cloud VM's aggregate speed" },
	{ "kappa", P(kappa), 1e-27, 0, 1e-20, 0, "J/(cycle Hz^2)",
	  "chosen: effective switched capacitance, a usual MEC value" },
	{ "tx_power_w", P(tx_power_w), 0.5, 0, 10, 0, "W",
	  "chosen: device transmit power" },
	{ "rx_power_w", P(rx_power_w), 0.1, 0, 10, 0, "W",
	  "chosen: device receive power" },
	{ "energy_weight", P(energy_weight), 1.0, 0, 1e6, 0, "cost/J",
	  "chosen: weight of device energy against seconds" },
	{ "backhaul_bps", P(backhaul_bps), 1e9, 1e3, 1e12, 0, "bit/s",
	  "chosen: SCcNB to cloud backhaul rate" },
	{ "price_radio", P(price_radio), 0.0005, 0, 1e6, 0, "cost/(subcarrier s)",
	  "chosen: seed's radio resource usage cost" },
	{ "price_edge", P(price_edge), 0.05, 0, 1e6, 0, "cost/(core s)",
	  "chosen: seed's edge computation resource usage cost" },
	{ "price_wired", P(price_wired), 0.005, 0, 1e6, 0, "cost/MB",
	  "chosen: seed's wired resource usage cost" },
	{ "price_cloud", P(price_cloud), 0.01, 0, 1e6, 0, "cost/Gcycle",
	  "chosen: cloud computation usage cost" },
};

const struct dil_param_desc *dil_param_table(size_t *n)
{
	*n = sizeof(params) / sizeof(params[0]);
	return params;
}

void dil_params_default(struct dil_params *p, uint32_t tasks)
{
	size_t n;
	const struct dil_param_desc *t = dil_param_table(&n);

	*p = (struct dil_params){ .tasks = tasks };
	for (size_t i = 0; i < n; i++)
		*dil_param_ptr(p, &t[i]) = t[i].def;
}

int dil_params_check(const struct dil_params *p, char *err, size_t errlen)
{
	size_t n;
	const struct dil_param_desc *t = dil_param_table(&n);
	char buf[160];

	if (!err) {
		err = buf;
		errlen = sizeof(buf);
	}
	if (p->tasks < 1 || p->tasks > DIL_TASKS_MAX) {
		snprintf(err, errlen, "tasks: %u is outside [1, %u]", p->tasks,
			 DIL_TASKS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		double v = dil_param_get(p, &t[i]);

		if (!isfinite(v) || v < t[i].min || v > t[i].max) {
			snprintf(err, errlen, "%s: %g is outside [%g, %g] %s",
				 t[i].name, v, t[i].min, t[i].max, t[i].unit);
			return -EINVAL;
		}
		if (t[i].integral && v != floor(v)) {
			snprintf(err, errlen, "%s: %g is not a whole number",
				 t[i].name, v);
			return -EINVAL;
		}
	}
	struct { const char *what; double lo, hi; } pairs[] = {
		{ "wired_delay_min_s > wired_delay_max_s",
		  p->wired_delay_min_s, p->wired_delay_max_s },
		{ "snr_mean_db_min > snr_mean_db_max",
		  p->snr_mean_db_min, p->snr_mean_db_max },
		{ "alloc_subcarriers_min > subcarriers",
		  p->alloc_subcarriers_min, p->subcarriers },
		{ "alloc_cores_min > edge_cores",
		  p->alloc_cores_min, p->edge_cores },
		{ "work_min_cycles > work_max_cycles",
		  p->work_min_cycles, p->work_max_cycles },
		{ "data_min_bytes > data_max_bytes",
		  p->data_min_bytes, p->data_max_bytes },
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (pairs[i].lo > pairs[i].hi) {
			snprintf(err, errlen, "%s (%g > %g)", pairs[i].what,
				 pairs[i].lo, pairs[i].hi);
			return -EINVAL;
		}
	}
	return 0;
}

int dil_params_set(struct dil_params *p, const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	size_t n, len;
	const struct dil_param_desc *t = dil_param_table(&n);
	char *end;
	double v;

	if (!eq || eq == assignment || !eq[1])
		return -EINVAL;
	len = (size_t)(eq - assignment);
	errno = 0;
	v = strtod(eq + 1, &end);
	if (errno || *end)
		return -EINVAL;
	if (len == 5 && !strncmp(assignment, "tasks", 5)) {
		if (v < 1 || v > DIL_TASKS_MAX || v != floor(v))
			return -EINVAL;
		p->tasks = (uint32_t)v;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (strlen(t[i].name) == len &&
		    !strncmp(t[i].name, assignment, len)) {
			*dil_param_ptr(p, &t[i]) = v;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * The draw order below is part of the demonstration format: changing it
 * changes every sample of every seed, so it needs a new file version.
 */
void dil_env_draw(const struct dil_params *p, uint64_t seed, uint64_t index,
		  double *work, double *data, struct dil_sample *out)
{
	struct nn_rng r;
	double mean_db, mean, se = 0;

	nn_rng_seed_stream(&r, seed, index);
	mean_db = nn_rng_range(&r, p->snr_mean_db_min, p->snr_mean_db_max);
	mean = pow(10.0, mean_db / 10.0);
	out->subcarriers = nn_rng_int(&r, (uint32_t)p->alloc_subcarriers_min,
				       (uint32_t)p->subcarriers);
	out->cores = nn_rng_int(&r, (uint32_t)p->alloc_cores_min,
				 (uint32_t)p->edge_cores);
	/*
	 * Rayleigh block fading, independent on each allocated subcarrier
	 * (|h|^2 ~ Exp(1)) and constant over the application. The device
	 * reports the effective SNR, the one flat SNR with the same rate:
	 * 2^(mean spectral efficiency) - 1. One flat fade for the whole band
	 * would make the mean transfer time infinite (E[1/log2(1 + g)]
	 * diverges at g -> 0), so every mean cost would be a few outliers.
	 */
	for (uint32_t k = 0; k < out->subcarriers; k++)
		se += log2(1.0 + mean * nn_rng_exp1(&r));
	out->snr = exp2(se / out->subcarriers) - 1.0;
	out->wired_delay_s = nn_rng_range(&r, p->wired_delay_min_s,
					     p->wired_delay_max_s);
	for (uint32_t t = 0; t < p->tasks; t++)
		work[t] = nn_rng_range(&r, p->work_min_cycles,
					  p->work_max_cycles);
	for (uint32_t t = 0; t <= p->tasks; t++)
		data[t] = nn_rng_range(&r, p->data_min_bytes,
					  p->data_max_bytes);
	out->tasks = p->tasks;
	out->work_cycles = work;
	out->data_bytes = data;
}

double dil_env_rate_bps(const struct dil_params *p, const struct dil_sample *s)
{
	double rate = s->subcarriers * (p->bandwidth_hz / p->subcarriers) *
		      log2(1.0 + s->snr);

	/* A deep fade (or an exact zero draw) must not make a radio hop
	 * infinite: inf times a zero price is NaN, which no solver can
	 * order. 1 bit/s is "never worth it" at any data size drawn here. */
	return rate > 1.0 ? rate : 1.0;
}

/* Cost of carrying @bytes over the radio link, one way. */
static double radio_hop(const struct dil_params *p, const struct dil_sample *s,
			double rate_bps, double bytes, double power_w)
{
	double time_s = bytes * 8.0 / rate_bps;

	return time_s + p->energy_weight * power_w * time_s +
	       p->price_radio * s->subcarriers * time_s;
}

/* Cost of carrying @bytes between the SCcNB and the cloud, one way. */
static double wired_hop(const struct dil_params *p, const struct dil_sample *s,
			double bytes)
{
	return s->wired_delay_s + bytes * 8.0 / p->backhaul_bps +
	       p->price_wired * bytes / 1e6;
}

void dil_costs_build(const struct dil_params *p, const struct dil_sample *s,
		     struct dil_costs *c)
{
	double rate = dil_env_rate_bps(p, s);
	double e_local = 1.0 / p->local_hz +
			 p->energy_weight * p->kappa * p->local_hz * p->local_hz;
	double e_edge = 1.0 / (s->cores * p->edge_core_hz) +
			p->price_edge / p->edge_core_hz;
	double e_cloud = 1.0 / p->cloud_hz + p->price_cloud / 1e9;

	c->tasks = s->tasks;
	for (uint32_t t = 0; t < s->tasks; t++) {
		double w = s->work_cycles[t];

		c->exec[t][DIL_LOCAL] = w * e_local;
		c->exec[t][DIL_EDGE] = w * e_edge;
		c->exec[t][DIL_CLOUD] = w * e_cloud;
	}
	for (uint32_t t = 0; t <= s->tasks; t++) {
		double d = s->data_bytes[t];
		double up = radio_hop(p, s, rate, d, p->tx_power_w);
		double down = radio_hop(p, s, rate, d, p->rx_power_w);
		double wired = wired_hop(p, s, d);
		double (*m)[DIL_NLOC] = c->move[t];

		m[DIL_LOCAL][DIL_LOCAL] = 0;
		m[DIL_EDGE][DIL_EDGE] = 0;
		m[DIL_CLOUD][DIL_CLOUD] = 0;
		m[DIL_LOCAL][DIL_EDGE] = up;
		m[DIL_EDGE][DIL_LOCAL] = down;
		m[DIL_LOCAL][DIL_CLOUD] = up + wired;
		m[DIL_CLOUD][DIL_LOCAL] = wired + down;
		m[DIL_EDGE][DIL_CLOUD] = wired;
		m[DIL_CLOUD][DIL_EDGE] = wired;
	}
}

double dil_costs_total(const struct dil_costs *c, const uint8_t *place)
{
	unsigned prev = DIL_LOCAL;
	double sum = 0;

	for (uint32_t t = 0; t < c->tasks; t++) {
		sum += c->move[t][prev][place[t]] + c->exec[t][place[t]];
		prev = place[t];
	}
	return sum + c->move[c->tasks][prev][DIL_LOCAL];
}

const char *dil_loc_name(unsigned loc)
{
	static const char *const names[DIL_NLOC] = { "local", "edge", "cloud" };

	return loc < DIL_NLOC ? names[loc] : "?";
}
