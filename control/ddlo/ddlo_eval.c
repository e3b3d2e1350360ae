/* SPDX-License-Identifier: MIT */
/*
 * `edgesteerctl policy eval --policy ddlo ...`: the reference protocol.
 * DDLO runs online over the training rows (decide, store, train) and is
 * then measured on the rest, as main.py does (it keeps learning there too,
 * unless --freeze). Prints one JSON object (--json) or a short summary.
 * --quantized decides every row twice, with the int8 DNNs (nn_quant.h)
 * and with the float ones, in alternating order so both see the same
 * machine; it learns from the float decision, so the float figures are
 * those of a plain run, and reports the int8 ones under the usual names.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ddlo.h"
#include "ddlo_data.h"
#include "ddlo_policy.h"
#include "nn_quant.h"

#define HIST_EVERY	100u

struct eval_opts {
	const char *dataset, *decisions, *save, *load;
	uint32_t synth_n, synth_m, rows, train_rows, k;
	uint64_t seed, data_seed;
	double capacity_mbps;
	double idle;		/* --idle: share of empty task slots */
	/* overrides of the reference settings; NAN = keep */
	double lr, beta1, in_scale, in_shift, init_sd;
	enum ddlo_bw bw;
	int json, freeze, quantized;
};

static void eval_usage(FILE *f)
{
	fprintf(f,
"Usage: edgesteerctl policy eval --policy ddlo (--dataset FILE | --synthetic N)\n"
"         [--k K] [--bandwidth equal|optimal] [--seed S] [--json]\n"
"         [--decisions OUT.csv] [--tasks M] [--rows R] [--train-rows T]\n"
"         [--data-seed S] [--capacity-mbps C] [--freeze] [--save W] [--load W]\n"
"         [--idle P] [--quantized]\n"
"\n"
"  --dataset FILE      a CSV in the layout of models/ddlo/data/mumt_3x3.csv\n"
"  --synthetic N       N devices, --tasks M each (default 3), --rows R frames\n"
"                      (default 20000), sizes 10..30 MB, exact optimum by\n"
"                      per-device subset search; seed --data-seed (default 1)\n"
"  --k K               DNNs (default 5)\n"
"  --bandwidth MODE    equal: C/N each (the data set's rule, default);\n"
"                      optimal: the exact split of C minimising Q\n"
"  --train-rows T      rows learned online before the measured ones\n"
"                      (default 80 %%: 16000 of 20000)\n"
"  --capacity-mbps C   total uplink (default 100; synthetic: 100·N/3)\n"
"  --freeze            no learning on the measured rows (main.py learns)\n"
"  --idle P            each task slot empty (0 MB) with probability P, as\n"
"                      online where devices come and go (default 0)\n"
"  --decisions FILE    the decision on each measured row (row,x_u1_t1,...)\n"
"  --save/--load W     the K DNNs' weights after / before the run\n"
"  --quantized         also decide with int8 copies of the DNNs (trained in\n"
"                      float, requantised after each training step): the\n"
"                      int8 figures under the usual names, the float ones\n"
"                      from the same rows with a _float suffix\n"
"  --lr, --beta1, --input-scale, --input-shift, --init-sd  override the\n"
"                      reference's settings (0.01, 0.09, 10, -200, 1/(N·M))\n");
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || end == s || *end || x < min || x > max)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

static int parse_opts(int argc, char **argv, struct eval_opts *o)
{
	static const struct option lo[] = {
		{ "dataset", required_argument, NULL, 'd' },
		{ "synthetic", required_argument, NULL, 'n' },
		{ "tasks", required_argument, NULL, 'm' },
		{ "rows", required_argument, NULL, 'r' },
		{ "train-rows", required_argument, NULL, 't' },
		{ "k", required_argument, NULL, 'k' },
		{ "bandwidth", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "data-seed", required_argument, NULL, 'S' },
		{ "capacity-mbps", required_argument, NULL, 'c' },
		{ "decisions", required_argument, NULL, 'o' },
		{ "save", required_argument, NULL, 'w' },
		{ "load", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "freeze", no_argument, NULL, 'f' },
		{ "quantized", no_argument, NULL, 'Q' },
		{ "lr", required_argument, NULL, 'L' },
		{ "beta1", required_argument, NULL, 'B' },
		{ "input-scale", required_argument, NULL, 'I' },
		{ "input-shift", required_argument, NULL, 'J' },
		{ "init-sd", required_argument, NULL, 'D' },
		{ "idle", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint32_t v;
	int c;

	*o = (struct eval_opts){ .k = 5, .synth_m = 3, .rows = 20000,
				 .seed = 1, .data_seed = 1, .lr = NAN,
				 .beta1 = NAN, .in_scale = NAN, .in_shift = NAN,
				 .init_sd = NAN };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o->dataset = optarg; break;
		case 'o': o->decisions = optarg; break;
		case 'w': o->save = optarg; break;
		case 'l': o->load = optarg; break;
		case 'j': o->json = 1; break;
		case 'f': o->freeze = 1; break;
		case 'Q': o->quantized = 1; break;
		case 'h': eval_usage(stdout); return 1;
		case 'n':
			if (parse_u32(optarg, 1, DDLO_MAX_WDS, &o->synth_n))
				goto bad;
			break;
		case 'm':
			if (parse_u32(optarg, 1, DDLO_MAX_TASKS, &o->synth_m))
				goto bad;
			break;
		case 'r':
			if (parse_u32(optarg, 2, 10000000, &o->rows))
				goto bad;
			break;
		case 't':
			if (parse_u32(optarg, 1, 10000000, &o->train_rows))
				goto bad;
			break;
		case 'k':
			if (parse_u32(optarg, 1, DDLO_MAX_K, &o->k))
				goto bad;
			break;
		case 's':
		case 'S':
			if (parse_u32(optarg, 0, UINT32_MAX, &v))
				goto bad;
			*(c == 's' ? &o->seed : &o->data_seed) = v;
			break;
		case 'E': {
			char *end;

			o->idle = strtod(optarg, &end);
			if (end == optarg || *end || !(o->idle >= 0 && o->idle < 1))
				goto bad;
			break;
		}
		case 'c':
		case 'L':
		case 'B':
		case 'I':
		case 'J':
		case 'D': {
			double *dst = c == 'c' ? &o->capacity_mbps : c == 'L' ? &o->lr :
				      c == 'B' ? &o->beta1 : c == 'I' ? &o->in_scale :
				      c == 'J' ? &o->in_shift : &o->init_sd;
			char *end;

			*dst = strtod(optarg, &end);
			if (end == optarg || *end || !isfinite(*dst) ||
			    (c != 'J' && c != 'I' && !(*dst > 0)) ||
			    (c == 'B' && *dst >= 1))
				goto bad;
			break;
		}
		case 'b':
			if (!strcmp(optarg, "equal"))
				o->bw = DDLO_BW_EQUAL;
			else if (!strcmp(optarg, "optimal"))
				o->bw = DDLO_BW_OPTIMAL;
			else
				goto bad;
			break;
		default:
			fprintf(stderr, "error: ddlo eval: unknown option '%s'\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind != argc || !o->dataset == !o->synth_n) {
		fprintf(stderr, "error: ddlo eval: give exactly one of --dataset "
			"FILE or --synthetic N\n");
		return -EINVAL;
	}
	return 0;
bad:
	fprintf(stderr, "error: ddlo eval: bad value '%s' for %s\n", optarg,
		argv[optind - 1]);
	return -EINVAL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct eval_result {
	double gain_ratio, gain_vs_equal_opt, q_mean, q_equal_opt_mean,
	       q_joint_opt_mean, us_per_decision, us_p50, exact_us_per_decision,
	       train_s, total_s;
	double base_local, base_edge, base_random, base_exact;
	int have_joint;
	uint32_t measured;
	/* --quantized: the float decisions' figures, and how many measured
	 * rows the two decided differently */
	double gain_ratio_f, gain_vs_equal_opt_f, q_mean_f, us_per_decision_f,
	       us_p50_f;
	uint32_t differ;
	double *hist;
	uint32_t nhist;
};

static int write_decisions_header(FILE *f, const struct ddlo_data *d)
{
	fprintf(f, "row");
	for (uint32_t c = 0; c < d->n_wd * d->n_task; c++)
		fprintf(f, ",x_u%u_t%u", c / d->n_task + 1, c % d->n_task + 1);
	return fputc('\n', f) == EOF ? -EIO : 0;
}

/* The exact reference for each row under the run's rule. */
static double *reference_q(const struct ddlo_mec *mec, const struct ddlo_data *d,
			   enum ddlo_bw bw, int *have_joint)
{
	const uint32_t nm = d->n_wd * d->n_task;
	double *q = malloc(d->rows * sizeof(double));
	uint8_t x[DDLO_JOINT_MAX];

	if (!q)
		return NULL;
	/* 2^(N·M) scorings per row: exact for the 3×3 data (512) */
	*have_joint = bw == DDLO_BW_EQUAL || nm <= 12;
	for (uint32_t r = 0; r < d->rows; r++)
		q[r] = bw == DDLO_BW_EQUAL || !*have_joint
			? d->q_min[r]
			: ddlo_mec_best_joint(mec, d->size_mb + (size_t)r * nm, bw, x);
	return q;
}

static int cmp_double(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts @v. */
static double median(double *v, uint32_t n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return v[n / 2];
}

/* One decision by the int8 (@quant) or float DNNs; *@sec its wall time. */
static int decide_timed(struct ddlo *agent, int quant,
			const struct ddlo_mec *mec, enum ddlo_bw bw,
			const float *s, uint8_t *x, double *q, double *sec)
{
	double t0 = now_s();
	int rc = ddlo_use_quantized(agent, quant);

	if (!rc)
		rc = ddlo_decide(agent, mec, bw, s, x, q);
	*sec = now_s() - t0;
	return rc;
}

static int run(const struct eval_opts *o, const struct ddlo_mec *mec,
	       const struct ddlo_data *d, FILE *dec, struct eval_result *res)
{
	const uint32_t nm = d->n_wd * d->n_task;
	const uint32_t train_rows = o->train_rows ? o->train_rows : d->rows * 4 / 5;
	struct ddlo_config cfg;
	struct ddlo *agent;
	struct nn_rng rng;
	uint8_t *x = NULL, *xb = NULL, *xf = NULL;
	double *dec_us = NULL, *dec_us_f = NULL;	/* per measured decision */
	double *qref = NULL, dec_s = 0, dec_s_f = 0, exact_s = 0, hsum = 0,
	       t_start = now_s();
	const int tty = isatty(STDERR_FILENO);
	int rc;

	if (train_rows >= d->rows) {
		fprintf(stderr, "error: ddlo eval: --train-rows %u leaves no row of "
			"%u to measure\n", train_rows, d->rows);
		return -EINVAL;
	}
	ddlo_config_default(&cfg, nm, o->k);
	cfg.seed = o->seed;
	if (!isnan(o->lr))
		cfg.adam.lr = (float)o->lr;
	if (!isnan(o->beta1))
		cfg.adam.beta1 = (float)o->beta1;
	if (!isnan(o->in_scale))
		cfg.in_scale = (float)o->in_scale;
	if (!isnan(o->in_shift))
		cfg.in_shift = (float)o->in_shift;
	if (!isnan(o->init_sd))
		cfg.init_sd = (float)o->init_sd;
	rc = ddlo_create(&agent, &cfg);
	if (rc)
		return rc;
	if (o->load && (rc = ddlo_load(agent, o->load))) {
		fprintf(stderr, "error: ddlo eval: %s: %s\n", o->load,
			ddlo_strerror(rc));
		goto out;
	}
	if (o->quantized && (rc = ddlo_quantize(agent)))
		goto out;
	rc = -ENOMEM;
	x = malloc(nm);
	xf = malloc(nm);
	xb = malloc(DDLO_JOINT_MAX > nm ? DDLO_JOINT_MAX : nm);
	qref = reference_q(mec, d, o->bw, &res->have_joint);
	res->nhist = (d->rows + HIST_EVERY - 1) / HIST_EVERY;
	res->hist = calloc(res->nhist, sizeof(double));
	dec_us = malloc((d->rows - train_rows) * sizeof(double));
	dec_us_f = malloc((d->rows - train_rows) * sizeof(double));
	if (!x || !xf || !xb || !qref || !res->hist || !dec_us || !dec_us_f)
		goto out;
	nn_rng_seed(&rng, o->seed ^ 0x5eedba5e11e5ull);
	res->measured = d->rows - train_rows;
	for (uint32_t r = 0; r < d->rows; r++) {
		const float *s = d->size_mb + (size_t)r * nm;
		const int measured = r >= train_rows;
		double q, qf = 0, sec, sec_f = 0;

		/* int8 then float on even rows, float then int8 on odd ones */
		if (o->quantized && (r & 1) &&
		    (rc = decide_timed(agent, 0, mec, o->bw, s, xf, &qf, &sec_f)) < 0)
			goto out;
		rc = decide_timed(agent, o->quantized, mec, o->bw, s, x, &q, &sec);
		if (rc < 0)
			goto out;
		if (o->quantized && !(r & 1) &&
		    (rc = decide_timed(agent, 0, mec, o->bw, s, xf, &qf, &sec_f)) < 0)
			goto out;
		double t1 = now_s(), ratio = qref[r] / q;

		hsum += ratio;
		if ((r + 1) % HIST_EVERY == 0 || r + 1 == d->rows) {
			uint32_t in_bucket = r % HIST_EVERY + 1;

			res->hist[r / HIST_EVERY] = hsum / in_bucket;
			hsum = 0;
		}
		if (measured && o->quantized) {
			dec_us_f[r - train_rows] = sec_f * 1e6;
			dec_s_f += sec_f;
			res->gain_ratio_f += qref[r] / qf;
			res->gain_vs_equal_opt_f += d->q_min[r] / qf;
			res->q_mean_f += qf;
			res->differ += memcmp(x, xf, nm) != 0;
		}
		if (measured) {
			dec_us[r - train_rows] = sec * 1e6;
			dec_s += sec;
			res->gain_ratio += ratio;
			res->gain_vs_equal_opt += d->q_min[r] / q;
			res->q_mean += q;
			res->q_equal_opt_mean += d->q_min[r];
			res->q_joint_opt_mean += qref[r];
			ddlo_mec_fill(mec, xb, 0);
			res->base_local += qref[r] / ddlo_mec_utility(mec, s, xb, o->bw, NULL);
			ddlo_mec_fill(mec, xb, 1);
			res->base_edge += qref[r] / ddlo_mec_utility(mec, s, xb, o->bw, NULL);
			ddlo_mec_random(mec, &rng, xb);
			res->base_random += qref[r] / ddlo_mec_utility(mec, s, xb, o->bw, NULL);
			/* the exact search, timed as the reference figure */
			double te = now_s();
			double qe = o->bw == DDLO_BW_EQUAL
				? ddlo_mec_best_equal(mec, s, xb)
				: res->have_joint
				? ddlo_mec_best_joint(mec, s, o->bw, xb) : qref[r];

			exact_s += now_s() - te;
			res->base_exact += qref[r] / qe;
			if (dec) {
				fprintf(dec, "%u", r);
				for (uint32_t c = 0; c < nm; c++)
					fprintf(dec, ",%u", x[c]);
				fputc('\n', dec);
			}
		}
		if (!measured || !o->freeze) {
			/* --quantized learns what a float run learns */
			rc = ddlo_learn(agent, s, o->quantized ? xf : x);
			if (rc < 0)
				goto out;
			if (rc)
				res->train_s += now_s() - t1;
		}
		if (tty && (r % 500 == 499 || r + 1 == d->rows))
			fprintf(stderr, "\rddlo: frame %u/%u, gain ratio %.4f (last 100)%s",
				r + 1, d->rows, res->hist[r / HIST_EVERY],
				r + 1 == d->rows ? "\n" : "");
	}
	const double n = res->measured;

	res->gain_ratio /= n;
	res->gain_vs_equal_opt /= n;
	res->q_mean /= n;
	res->q_equal_opt_mean /= n;
	res->q_joint_opt_mean /= n;
	res->base_local /= n;
	res->base_edge /= n;
	res->base_random /= n;
	res->base_exact /= n;
	res->us_per_decision = dec_s / n * 1e6;
	/* the median too: a loaded machine inflates the mean with preemptions */
	res->us_p50 = median(dec_us, res->measured);
	res->exact_us_per_decision = exact_s / n * 1e6;
	if (o->quantized) {
		res->gain_ratio_f /= n;
		res->gain_vs_equal_opt_f /= n;
		res->q_mean_f /= n;
		res->us_per_decision_f = dec_s_f / n * 1e6;
		res->us_p50_f = median(dec_us_f, res->measured);
	}
	res->total_s = now_s() - t_start;
	rc = 0;
	if (o->save && (rc = ddlo_save(agent, o->save)))
		fprintf(stderr, "error: ddlo eval: %s: %s\n", o->save,
			ddlo_strerror(rc));
out:
	free(x);
	free(xf);
	free(xb);
	free(dec_us);
	free(dec_us_f);
	free(qref);
	ddlo_free(agent);
	return rc;
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void print_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		const unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void print_json(FILE *out, const struct eval_opts *o,
		       const struct ddlo_mec *mec, const struct ddlo_data *d,
		       const struct eval_result *r)
{
	fprintf(out, "{\"policy\":\"ddlo\",\"dataset\":");
	print_json_string(out, o->dataset ? o->dataset : "synthetic");
	fprintf(out, ",\"n_wd\":%u,\"n_task\":%u,\"rows\":%u,\"measured_rows\":%u,"
		"\"k\":%u,\"bandwidth\":\"%s\",\"capacity_mbps\":%.6g,\"seed\":%llu,"
		"\"freeze\":%s,",
		d->n_wd, d->n_task, d->rows, r->measured, o->k,
		o->bw == DDLO_BW_EQUAL ? "equal" : "optimal",
		mec->capacity_mbs * 8, (unsigned long long)o->seed,
		o->freeze ? "true" : "false");
	if (r->have_joint)
		fprintf(out, "\"gain_ratio\":%.6f,", r->gain_ratio);
	else
		fprintf(out, "\"gain_ratio\":null,");
	if (o->quantized) {
		fprintf(out, "\"quantized\":\"int8\",\"quant_kernel\":\"%s\",",
			nn_quant_kernel());
		if (r->have_joint)
			fprintf(out, "\"gain_ratio_float\":%.6f,", r->gain_ratio_f);
		else
			fprintf(out, "\"gain_ratio_float\":null,");
		fprintf(out, "\"gain_ratio_vs_equal_optimum_float\":%.6f,"
			"\"q_mean_float\":%.4f,\"us_per_decision_float\":%.3f,"
			"\"us_per_decision_p50_float\":%.3f,"
			"\"decisions_differing\":%u,",
			r->gain_vs_equal_opt_f, r->q_mean_f, r->us_per_decision_f,
			r->us_p50_f, r->differ);
	}
	fprintf(out, "\"gain_ratio_vs_equal_optimum\":%.6f,\"q_mean\":%.4f,"
		"\"q_equal_optimum_mean\":%.4f,",
		r->gain_vs_equal_opt, r->q_mean, r->q_equal_opt_mean);
	if (o->bw == DDLO_BW_OPTIMAL && r->have_joint)
		fprintf(out, "\"q_joint_optimum_mean\":%.4f,"
			"\"q_reduction_vs_equal_optimum\":%.6f,"
			"\"exact_q_reduction_vs_equal_optimum\":%.6f,",
			r->q_joint_opt_mean, 1 - r->q_mean / r->q_equal_opt_mean,
			1 - r->q_joint_opt_mean / r->q_equal_opt_mean);
	else if (o->bw == DDLO_BW_OPTIMAL)
		fprintf(out, "\"q_reduction_vs_equal_optimum\":%.6f,",
			1 - r->q_mean / r->q_equal_opt_mean);
	fprintf(out, "\"us_per_decision\":%.3f,\"us_per_decision_p50\":%.3f,"
		"\"exact_us_per_decision\":%.3f,"
		"\"us_ratio_to_exact\":%.4f,\"train_s\":%.3f,\"total_s\":%.3f,"
		"\"baselines\":{\"all_local\":%.6f,\"all_offload\":%.6f,"
		"\"random\":%.6f,\"%s\":%.6f},\"history_every\":%u,\"history\":[",
		r->us_per_decision, r->us_p50, r->exact_us_per_decision,
		r->us_per_decision / r->exact_us_per_decision, r->train_s,
		r->total_s, r->base_local,
		r->base_edge, r->base_random,
		o->bw == DDLO_BW_EQUAL ? "exact_per_wd" : "exact_joint",
		r->base_exact, HIST_EVERY);
	for (uint32_t i = 0; i < r->nhist; i++)
		fprintf(out, "%s%.5f", i ? "," : "", r->hist[i]);
	fprintf(out, "]}\n");
}

int ddlo_eval(int argc, char **argv, FILE *out)
{
	struct eval_opts o;
	struct ddlo_mec mec;
	struct ddlo_data *d = NULL;
	struct eval_result res = { 0 };
	FILE *dec = NULL;
	char err[256];
	int rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc > 0 ? 0 : 2;
	if (o.dataset) {
		rc = ddlo_data_load(o.dataset, &d, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "error: ddlo eval: %s\n", err);
			return 1;
		}
		if (ddlo_mec_init(&mec, d->n_wd, d->n_task)) {
			fprintf(stderr, "error: ddlo eval: %s: %u×%u tasks: too many\n",
				o.dataset, d->n_wd, d->n_task);
			goto err_d;
		}
		if (o.capacity_mbps > 0)
			mec.capacity_mbs = o.capacity_mbps / 8;
	} else {
		if (ddlo_mec_init(&mec, o.synth_n, o.synth_m))
			return 2;
		/* keep the data set's per-device share (100/3 Mbit/s) */
		mec.capacity_mbs = o.capacity_mbps > 0 ? o.capacity_mbps / 8
						       : 100.0 / 8 * o.synth_n / 3;
		rc = ddlo_data_synth(&mec, o.rows, o.data_seed, &d);
		if (rc) {
			fprintf(stderr, "error: ddlo eval: synthetic data: %s\n",
				strerror(-rc));
			return 1;
		}
	}
	if (o.idle > 0 && (rc = ddlo_data_idle(d, &mec, o.idle, o.data_seed + 1))) {
		fprintf(stderr, "error: ddlo eval: --idle: %s\n", strerror(-rc));
		goto err_d;
	}
	if (o.decisions) {
		dec = fopen(o.decisions, "w");
		if (!dec || write_decisions_header(dec, d)) {
			fprintf(stderr, "error: ddlo eval: %s: %s\n", o.decisions,
				strerror(errno));
			goto err_d;
		}
	}
	rc = run(&o, &mec, d, dec, &res);
	if (dec && fclose(dec) && !rc) {
		fprintf(stderr, "error: ddlo eval: %s: %s\n", o.decisions,
			strerror(errno));
		rc = -EIO;
	}
	dec = NULL;
	if (rc) {
		if (rc != -EINVAL)
			fprintf(stderr, "error: ddlo eval: %s\n", strerror(-rc));
		goto err_d;
	}
	if (o.json)
		print_json(out, &o, &mec, d, &res);
	else
		fprintf(out, "ddlo k=%u %s: gain ratio %.4f on %u measured rows, "
			"%.2f us/decision, training %.2f s\n", o.k,
			o.bw == DDLO_BW_EQUAL ? "equal" : "optimal",
			res.have_joint ? res.gain_ratio : res.gain_vs_equal_opt,
			res.measured, res.us_per_decision, res.train_s);
	if (!o.json && o.quantized)
		fprintf(out, "  (int8; float: gain ratio %.4f, %.2f us/decision; "
			"%u decisions differ)\n",
			res.have_joint ? res.gain_ratio_f : res.gain_vs_equal_opt_f,
			res.us_per_decision_f, res.differ);
	free(res.hist);
	ddlo_data_free(d);
	return 0;
err_d:
	if (dec)
		fclose(dec);
	free(res.hist);
	ddlo_data_free(d);
	return 1;
}
