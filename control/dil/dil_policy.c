/* SPDX-License-Identifier: MIT */
/*
 * The DIL policy's control-plane entry points. `eval` generates (or reads)
 * held-out samples of the seed 003 environment, labels them exactly, and
 * scores the seed's baselines OOS, LOS, EOS, COS, ROS and GOS beside the
 * learned schemes DIOS (and its DP-repaired decoder), SOS and DROS, whose
 * weights come from models/dil/ when present or are trained here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dil_dros.h"
#include "dil_eval.h"
#include "dil_net.h"
#include "dil_online.h"
#include "dil_set.h"
#include "dil_solve.h"
#include "nn_file.h"
#include "nn_quant.h"
#include "policy.h"

static void eval_usage(FILE *f)
{
	fprintf(f,
"Usage: edgesteerctl policy eval --policy dil [OPTIONS]\n"
"\n"
"Scores offloading schemes on held-out samples of the seed 003 environment:\n"
"one device, an SCcNB edge server (M cores, N subcarriers, Rayleigh fading)\n"
"and a cloud behind a wired delay W, for an application of T sequential\n"
"sub-tasks each placed local, edge or cloud. Every sample is labelled with\n"
"its optimal placement by the dynamic programme over (sub-task, location).\n"
"\n"
"Schemes: OOS (optimal), LOS (all local), EOS (all edge), COS (all cloud),\n"
"ROS (random), GOS (greedy, sub-task by sub-task), and the learned ones:\n"
"DIOS (the seed's deep multi-label network, arg max decoder), DIOS+DP (the\n"
"same scores, DP-repaired decoder), SOS (one hidden layer) and DROS (a\n"
"double DQN placing the sub-tasks in sequence).\n"
"\n"
"Learned weights: DIR/dios_tT.nnw, sos_tT.nnw, dros_tT.nnw are loaded when\n"
"present and the parameters are the defaults (they were trained on those);\n"
"otherwise the schemes are trained here on the demonstrations (stream\n"
"indices 0..demos-count-1 of --seed), with a progress line on stderr when\n"
"it is a terminal. A file that does not fit (another T, shapes, corrupt)\n"
"is an error.\n"
"\n"
"Options:\n"
"  --tasks T            sub-tasks per application, 1..%u (default 6)\n"
"  --samples N          held-out samples to score (default 10000)\n"
"  --seed S             generator seed (default 1); held-out samples are\n"
"                       stream indices from 2^40 on, demonstrations from 0\n"
"  --set NAME=VALUE     override an environment parameter (repeatable;\n"
"                       docs/dil.md lists them, e.g. --set cloud_hz=2e10)\n"
"  --demos-out FILE     also generate the training demonstrations and write\n"
"                       them to FILE (header, records, CRC-32)\n"
"  --demos-count N      how many demonstrations (default 100000)\n"
"  --demos-in FILE      score on the samples of FILE instead of generating\n"
"                       them (checked: magic, version, checksum, optimality);\n"
"                       the file's parameters replace --tasks and --set\n"
"  --models DIR         weights folder (default models/dil)\n"
"  --train              train the learned schemes even if weights exist\n"
"  --save               write the weights trained here to DIR\n"
"  --no-learned         score the baselines only\n"
"  --quantized          also run the learned schemes on int8 copies of\n"
"                       their networks (docs/dil.md, \"Quantised inference\"):\n"
"                       the int8 figures under the usual names, the float\n"
"                       ones from the same samples with a _float suffix\n"
"  --features raw|cost  DIOS/SOS input (default cost; docs/dil.md)\n"
"  --epochs N           DIOS/SOS training epochs (default 30)\n"
"  --episodes N         DROS training episodes (default 60000)\n"
"                       (both apply only when the schemes are trained)\n"
"  --margin M           DIOS+DP keeps locations scored within M of the\n"
"                       best (default 0.2)\n"
"  --check-exhaustive   also solve every scored sample by exhaustive search\n"
"                       over 3^T (T <= %u) and count disagreements with the DP\n"
"  --json               one JSON object on stdout\n"
"  --help               this text\n"
"\n"
"Figures per scheme: accuracy (the seed's multi-label accuracy: labels equal\n"
"to the optimal ones over all labels), cost_ratio (mean cost over mean\n"
"optimal cost), the per-sample regret cost/optimal - 1 (median, p90, p99,\n"
"max), optimal_fraction (samples placed at the optimal cost) and\n"
"us_per_decision. Also: the class shares of the optimal labels and\n"
"majority_accuracy (always the most frequent class).\n"
"\n"
"Examples:\n"
"  edgesteerctl policy eval --policy dil --json\n"
"  edgesteerctl policy eval --policy dil --train --save --samples 100000\n"
"  edgesteerctl policy eval --policy dil --samples 100000 --check-exhaustive\n"
"  edgesteerctl policy eval --policy dil --tasks 30 --demos-out d30.dem\n"
"  edgesteerctl policy eval --policy dil --demos-in d30.dem --json\n"
"  edgesteerctl policy eval --policy dil --set snr_mean_db_max=25\n"
"\n"
"See also: docs/dil.md (the model, every parameter with its default and\n"
"source, the file format, the label encoding).\n"
"\n"
"Exit status: 0 success, 1 failure (including a DP/exhaustive\n"
"disagreement under --check-exhaustive), 2 usage error.\n",
		DIL_TASKS_MAX, DIL_EXHAUSTIVE_MAX);
}

struct eval_opts {
	struct dil_params params;
	uint64_t seed;
	size_t samples;
	size_t demos_count;
	const char *demos_out;
	const char *demos_in;
	int check_exhaustive;
	int json;
	const char *models;
	int train, save, no_learned, quantized;
	enum dil_features features;
	uint32_t epochs, episodes;
	float margin;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int parse_count(const char *opt, const char *arg, uint64_t lo,
		       uint64_t hi, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || *v < lo || *v > hi || arg[0] == '-') {
		fprintf(stderr, "error: dil: %s '%s': expected a whole number "
			"in [%llu, %llu]\n", opt, arg, (unsigned long long)lo,
			(unsigned long long)hi);
		return -EINVAL;
	}
	return 0;
}

/* Returns 0, 1 (--help printed) or 2 (usage error, reported). */
static int parse_opts(int argc, char **argv, struct eval_opts *o, FILE *out)
{
	enum { O_TASKS = 256, O_SAMPLES, O_SEED, O_SET, O_DEMOS_OUT,
	       O_DEMOS_COUNT, O_DEMOS_IN, O_CHECK, O_JSON, O_HELP, O_MODELS,
	       O_TRAIN, O_SAVE, O_NO_LEARNED, O_FEATURES, O_EPOCHS,
	       O_EPISODES, O_MARGIN, O_QUANTIZED };
	static const struct option longopts[] = {
		{ "tasks", required_argument, NULL, O_TASKS },
		{ "samples", required_argument, NULL, O_SAMPLES },
		{ "seed", required_argument, NULL, O_SEED },
		{ "set", required_argument, NULL, O_SET },
		{ "demos-out", required_argument, NULL, O_DEMOS_OUT },
		{ "demos-count", required_argument, NULL, O_DEMOS_COUNT },
		{ "demos-in", required_argument, NULL, O_DEMOS_IN },
		{ "check-exhaustive", no_argument, NULL, O_CHECK },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ "models", required_argument, NULL, O_MODELS },
		{ "train", no_argument, NULL, O_TRAIN },
		{ "save", no_argument, NULL, O_SAVE },
		{ "no-learned", no_argument, NULL, O_NO_LEARNED },
		{ "quantized", no_argument, NULL, O_QUANTIZED },
		{ "features", required_argument, NULL, O_FEATURES },
		{ "epochs", required_argument, NULL, O_EPOCHS },
		{ "episodes", required_argument, NULL, O_EPISODES },
		{ "margin", required_argument, NULL, O_MARGIN },
		{ NULL, 0, NULL, 0 },
	};
	char why[160];
	uint64_t v;
	int c, rc;

	dil_params_default(&o->params, 6);
	o->seed = 1;
	o->samples = 10000;
	o->demos_count = 100000;
	o->models = "models/dil";
	o->features = DIL_FEAT_COST;
	o->epochs = 30;
	o->episodes = 60000;
	o->margin = 0.2f;
	/* argv[0] is "dil"; 0 makes glibc's getopt start afresh even if
	 * the caller parsed its own options with it. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_TASKS:
			if (parse_count("--tasks", optarg, 1, DIL_TASKS_MAX, &v))
				return 2;
			o->params.tasks = (uint32_t)v;
			break;
		case O_SAMPLES:
			if (parse_count("--samples", optarg, 1,
					DIL_SET_COUNT_MAX, &v))
				return 2;
			o->samples = (size_t)v;
			break;
		case O_SEED:
			if (parse_count("--seed", optarg, 0, UINT64_MAX, &v))
				return 2;
			o->seed = v;
			break;
		case O_SET:
			rc = dil_params_set(&o->params, optarg);
			if (rc) {
				fprintf(stderr, "error: dil: --set '%s': %s\n",
					optarg, rc == -ENOENT ?
					"no such parameter (docs/dil.md)" :
					"expected NAME=NUMBER");
				return 2;
			}
			break;
		case O_DEMOS_OUT:
			o->demos_out = optarg;
			break;
		case O_DEMOS_COUNT:
			if (parse_count("--demos-count", optarg, 1,
					DIL_SET_COUNT_MAX, &v))
				return 2;
			o->demos_count = (size_t)v;
			break;
		case O_DEMOS_IN:
			o->demos_in = optarg;
			break;
		case O_CHECK:
			o->check_exhaustive = 1;
			break;
		case O_JSON:
			o->json = 1;
			break;
		case O_HELP:
			eval_usage(out);
			return 1;
		case O_MODELS:
			o->models = optarg;
			break;
		case O_TRAIN:
			o->train = 1;
			break;
		case O_SAVE:
			o->save = 1;
			break;
		case O_NO_LEARNED:
			o->no_learned = 1;
			break;
		case O_QUANTIZED:
			o->quantized = 1;
			break;
		case O_FEATURES:
			if (strcmp(optarg, "raw") && strcmp(optarg, "cost")) {
				fprintf(stderr, "error: dil: --features '%s': "
					"expected raw or cost\n", optarg);
				return 2;
			}
			o->features = optarg[0] == 'r' ? DIL_FEAT_RAW :
				      DIL_FEAT_COST;
			break;
		case O_EPOCHS:
			if (parse_count("--epochs", optarg, 1, 10000, &v))
				return 2;
			o->epochs = (uint32_t)v;
			break;
		case O_EPISODES:
			if (parse_count("--episodes", optarg, 1, 100000000, &v))
				return 2;
			o->episodes = (uint32_t)v;
			break;
		case O_MARGIN: {
			char *end;

			o->margin = strtof(optarg, &end);
			if (end == optarg || *end || !(o->margin >= 0) ||
			    o->margin > 1) {
				fprintf(stderr, "error: dil: --margin '%s': "
					"expected a number in [0, 1]\n",
					optarg);
				return 2;
			}
			break;
		}
		default:
			fprintf(stderr, "error: dil: unknown or incomplete "
				"option '%s'\n", argv[optind - 1]);
			eval_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "error: dil: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	if (dil_params_check(&o->params, why, sizeof(why))) {
		fprintf(stderr, "error: dil: parameter %s\n", why);
		return 2;
	}
	if (o->check_exhaustive && o->params.tasks > DIL_EXHAUSTIVE_MAX) {
		fprintf(stderr, "error: dil: --check-exhaustive needs --tasks "
			"<= %u (3^T placements per sample)\n",
			DIL_EXHAUSTIVE_MAX);
		return 2;
	}
	return 0;
}

/* Samples where exhaustive search and the DP disagree (labels or cost). */
static size_t check_exhaustive(const struct dil_set *set)
{
	struct dil_costs *c = malloc(sizeof(*c));
	uint8_t a[DIL_EXHAUSTIVE_MAX], b[DIL_EXHAUSTIVE_MAX];
	size_t T = set->params.tasks, bad = 0;

	if (!c)
		return set->count;
	for (size_t i = 0; i < set->count; i++) {
		struct dil_sample s;
		double ex, dp;

		dil_set_sample(set, i, &s);
		dil_costs_build(&set->params, &s, c);
		ex = dil_solve_exhaustive(c, a);
		dp = dil_solve_dp(c, b);
		if (memcmp(a, b, T) || ex != dp)
			bad++;
	}
	free(c);
	return bad;
}

/* The learned schemes and where their weights came from. */
enum { L_DIOS, L_SOS, L_DROS, L_COUNT };

static const char *const learned_names[L_COUNT] = { "DIOS", "SOS", "DROS" };
static const char *const learned_files[L_COUNT] = { "dios", "sos", "dros" };

struct learned {
	struct dil_net *net[2];		/* DIOS, SOS */
	struct dil_dros *dros;
	char source[L_COUNT][512];	/* the file loaded, or "" if trained */
	double train_s[L_COUNT];
	struct dil_set *demos;		/* generated on first need */
};

static void learned_free(struct learned *L)
{
	dil_net_free(L->net[0]);
	dil_net_free(L->net[1]);
	dil_dros_free(L->dros);
	dil_set_free(L->demos);
}

/* The committed weights were trained with the defaults; anything else
 * trains afresh. */
static int params_default(const struct dil_params *p)
{
	struct dil_params d;
	size_t n;
	const struct dil_param_desc *t = dil_param_table(&n);

	dil_params_default(&d, p->tasks);
	for (size_t i = 0; i < n; i++)
		if (dil_param_get(p, &t[i]) != dil_param_get(&d, &t[i]))
			return 0;
	return 1;
}

static void progress_net(void *arg, uint32_t e, uint32_t n, double loss)
{
	fprintf(stderr, "\rdil: training %s: epoch %u/%u, loss %.5f%s",
		(const char *)arg, e, n, loss, e == n ? "\n" : "");
}

static void progress_dros(void *arg, uint32_t e, uint32_t n, double cost)
{
	fprintf(stderr, "\rdil: training DROS: episode %u/%u, cost/all-local "
		"%.4f%s", e, n, cost, e == n ? "\n" : "");
	(void)arg;
}

static int learned_demos(const struct eval_opts *o, const struct dil_params *p,
			 struct learned *L)
{
	int rc;

	if (L->demos)
		return 0;
	rc = dil_set_generate(p, o->seed, 0, o->demos_count, &L->demos);
	if (rc)
		fprintf(stderr, "error: dil: generating demonstrations: %s\n",
			strerror(-rc));
	return rc;
}

/* int8 copy of learned scheme @k's network; errors reported here. */
static int quantize_one(struct learned *L, unsigned k)
{
	int rc = k == L_DROS ? dil_dros_quantize(L->dros)
			     : dil_net_quantize(L->net[k]);

	if (rc)
		fprintf(stderr, "error: dil: quantising %s: %s\n",
			learned_names[k], strerror(-rc));
	return rc;
}

/* Loads or trains scheme @k; errors are reported here. */
static int learned_one(const struct eval_opts *o, const struct dil_params *p,
		       struct learned *L, unsigned k, int use_files)
{
	const int tty = isatty(STDERR_FILENO);
	char path[512];
	double t0;
	int rc;

	snprintf(path, sizeof(path), "%s/%s_t%u.nnw", o->models,
		 learned_files[k], p->tasks);
	if (k == L_DROS) {
		struct dil_dros_config c;

		dil_dros_config_default(&c, p->tasks);
		c.episodes = o->episodes;
		rc = dil_dros_create(&L->dros, &c);
	} else {
		struct dil_net_config c;

		if (k == L_DIOS)
			dil_net_config_dios(&c, p->tasks);
		else
			dil_net_config_sos(&c, p->tasks);
		c.features = o->features;
		c.epochs = o->epochs;
		rc = dil_net_create(&L->net[k], &c);
	}
	if (rc) {
		fprintf(stderr, "error: dil: creating %s: %s\n",
			learned_names[k], strerror(-rc));
		return rc;
	}
	if (use_files && access(path, F_OK) == 0) {
		rc = k == L_DROS ? dil_dros_load(L->dros, path) :
				   dil_net_load(L->net[k], path);
		if (rc) {
			fprintf(stderr, "error: dil: %s: %s (--train to "
				"retrain, --models DIR for another folder)\n",
				path, nn_file_strerror(rc));
			return rc;
		}
		snprintf(L->source[k], sizeof(L->source[k]), "%s", path);
		return 0;
	}
	rc = learned_demos(o, p, L);
	if (rc)
		return rc;
	t0 = now_s();
	if (k == L_DROS)
		rc = dil_dros_train(L->dros, L->demos,
				    tty ? progress_dros : NULL, NULL);
	else
		rc = dil_net_train(L->net[k], L->demos,
				   tty ? progress_net : NULL,
				   (void *)learned_names[k], NULL);
	L->train_s[k] = now_s() - t0;
	if (rc) {
		fprintf(stderr, "error: dil: training %s: %s\n",
			learned_names[k], strerror(-rc));
		return rc;
	}
	/* quantised before a save, so the file records it */
	if (o->quantized && (rc = quantize_one(L, k)))
		return rc;
	if (!o->save)
		return 0;
	rc = k == L_DROS ? dil_dros_save(L->dros, path) :
			   dil_net_save(L->net[k], path);
	if (rc)
		fprintf(stderr, "error: dil: saving %s: %s\n", path,
			nn_file_strerror(rc));
	return rc;
}

struct scored {
	const char *name;
	struct dil_eval_result r;
	/* --quantized: r is the int8 network's, rf the float one's */
	int has_float;
	struct dil_eval_result rf;
};

/* Shortest of %.15g / %.17g that reads back to the same double. */
static void put_num(FILE *out, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fputs(buf, out);
}

/* A JSON string: file names come from the command line. */
static void put_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

/* One scheme's figures, each name with @sfx appended. */
static void put_figures(FILE *out, const struct dil_eval_result *r,
			const char *sfx)
{
	fprintf(out, "\"accuracy%s\":%.6f,\"cost_ratio%s\":%.6f,"
		"\"mean_cost%s\":%.6f,\"mean_time_s%s\":%.6f,"
		"\"regret%s\":{\"mean\":%.6f,"
		"\"median\":%.6f,\"p90\":%.6f,\"p99\":%.6f,"
		"\"max\":%.6f},\"optimal_fraction%s\":%.6f,"
		"\"us_per_decision%s\":%.4f,\"us_per_decision_cpu%s\":%.4f",
		sfx, r->accuracy, sfx, r->cost_ratio, sfx, r->mean_cost, sfx,
		r->mean_time_s, sfx, r->regret_mean, r->regret_p50,
		r->regret_p90, r->regret_p99, r->regret_max, sfx,
		r->optimal_fraction, sfx, r->us_per_decision, sfx,
		r->us_per_decision_cpu);
}

static void print_json(FILE *out, const struct eval_opts *o,
		       const struct dil_set *set, const double shares[DIL_NLOC],
		       unsigned majority, double majority_acc, double gen_s,
		       const struct scored *sc, size_t nsc, long exhaustive_bad,
		       double demos_s, uint64_t demos_bytes,
		       const struct learned *L)
{
	size_t np;
	const struct dil_param_desc *pt = dil_param_table(&np);

	fprintf(out, "{\"policy\":\"dil\",\"tasks\":%u,\"samples\":%zu,"
		"\"seed\":%llu,\"first\":%llu,", set->params.tasks, set->count,
		(unsigned long long)set->seed,
		(unsigned long long)set->first);
	if (o->demos_in) {
		fprintf(out, "\"demos_in\":");
		put_str(out, o->demos_in);
		fputc(',', out);
	}
	fprintf(out, "\"params\":{");
	for (size_t i = 0; i < np; i++) {
		fprintf(out, "%s\"%s\":", i ? "," : "", pt[i].name);
		put_num(out, dil_param_get(&set->params, &pt[i]));
	}
	fprintf(out, "},\"label_shares\":{\"local\":%.6f,\"edge\":%.6f,"
		"\"cloud\":%.6f},\"majority_class\":\"%s\","
		"\"majority_accuracy\":%.6f,\"generate_s\":%.6f,", shares[0],
		shares[1], shares[2], dil_loc_name(majority), majority_acc,
		gen_s);
	if (exhaustive_bad >= 0)
		fprintf(out, "\"exhaustive_check\":{\"samples\":%zu,"
			"\"disagreements\":%ld},", set->count, exhaustive_bad);
	if (o->demos_out) {
		fprintf(out, "\"demos_out\":{\"file\":");
		put_str(out, o->demos_out);
		fprintf(out, ",\"count\":%zu,\"bytes\":%llu,"
			"\"generate_write_s\":%.6f},", o->demos_count,
			(unsigned long long)demos_bytes, demos_s);
	}
	fprintf(out, "\"schemes\":{");
	for (size_t i = 0; i < nsc; i++) {
		fprintf(out, "%s\"%s\":{", i ? "," : "", sc[i].name);
		put_figures(out, &sc[i].r, "");
		if (sc[i].has_float) {
			fputc(',', out);
			put_figures(out, &sc[i].rf, "_float");
			fprintf(out, ",\"quantized\":\"int8\"");
		}
		fputc('}', out);
	}
	fputc('}', out);
	if (o->quantized && L)
		fprintf(out, ",\"quant_kernel\":\"%s\"", nn_quant_kernel());
	if (L) {
		fprintf(out, ",\"learned\":{");
		for (unsigned k = 0; k < L_COUNT; k++) {
			fprintf(out, "%s\"%s\":{\"weights\":", k ? "," : "",
				learned_names[k]);
			if (L->source[k][0])
				put_str(out, L->source[k]);
			else
				fputs("null", out);
			fprintf(out, ",\"train_s\":%.3f}", L->train_s[k]);
		}
		fprintf(out, "},\"margin\":%.3f", o->margin);
	}
	fprintf(out, "}\n");
}

static void print_text(FILE *out, int from_file, const struct dil_set *set,
		       const double shares[DIL_NLOC], unsigned majority,
		       double majority_acc, double gen_s,
		       const struct scored *sc, size_t nsc, long exhaustive_bad,
		       const struct learned *L)
{
	fprintf(out, "dil: T=%u, %zu samples (seed %llu, stream from %llu), "
		"%s in %.3f s\n", set->params.tasks, set->count,
		(unsigned long long)set->seed, (unsigned long long)set->first,
		from_file ? "read and checked" : "generated and labelled",
		gen_s);
	fprintf(out, "optimal labels: local %.1f%%, edge %.1f%%, cloud %.1f%%; "
		"majority (%s) accuracy %.4f\n", 100 * shares[0],
		100 * shares[1], 100 * shares[2], dil_loc_name(majority),
		majority_acc);
	if (exhaustive_bad >= 0)
		fprintf(out, "exhaustive search vs DP: %ld disagreements in "
			"%zu samples\n", exhaustive_bad, set->count);
	fprintf(out, "\n%-7s %9s %10s %9s %9s %9s %9s %10s %8s\n", "scheme",
		"accuracy", "cost_ratio", "reg_p50", "reg_p90", "reg_p99",
		"optimal", "us/decide", "us(cpu)");
	for (size_t i = 0; i < nsc; i++) {
		const struct dil_eval_result *r = &sc[i].r;

		fprintf(out, "%-7s %9.4f %10.4f %9.4f %9.4f %9.4f %9.4f "
			"%10.3f %8.3f%s\n", sc[i].name, r->accuracy,
			r->cost_ratio, r->regret_p50, r->regret_p90,
			r->regret_p99, r->optimal_fraction, r->us_per_decision,
			r->us_per_decision_cpu, sc[i].has_float ? "  int8" : "");
		r = &sc[i].rf;
		if (sc[i].has_float)
			fprintf(out, "%-7s %9.4f %10.4f %9.4f %9.4f %9.4f %9.4f "
				"%10.3f %8.3f  float\n", "", r->accuracy,
				r->cost_ratio, r->regret_p50, r->regret_p90,
				r->regret_p99, r->optimal_fraction,
				r->us_per_decision, r->us_per_decision_cpu);
	}
	for (unsigned k = 0; L && k < L_COUNT; k++) {
		if (L->source[k][0])
			fprintf(out, "%s%s: weights %s", k ? "; " : "\n",
				learned_names[k], L->source[k]);
		else
			fprintf(out, "%s%s: trained here in %.1f s",
				k ? "; " : "\n", learned_names[k],
				L->train_s[k]);
	}
	if (L)
		fputc('\n', out);

}

/* Loads or trains DIOS, SOS and DROS and scores them (and DIOS+DP). */
static int score_learned(const struct eval_opts *o, const struct dil_set *set,
			 struct learned *L, struct scored *sc, size_t *nsc)
{
	const struct dil_params *p = &set->params;
	const int use_files = !o->train && params_default(p) &&
			      o->features == DIL_FEAT_COST;
	static const char *const names[] = { "DIOS", "DIOS+DP", "SOS", "DROS" };
	int rc;

	for (unsigned k = 0; k < L_COUNT; k++) {
		rc = learned_one(o, p, L, k, use_files);
		if (!rc && o->quantized)
			rc = quantize_one(L, k);
		if (rc)
			return 1;
	}
	for (unsigned k = 0; k < 4; k++) {
		struct dil_scheme s[2];	/* [0] int8 when --quantized */
		const unsigned ns = o->quantized ? 2 : 1;

		for (unsigned m = 0; m < ns; m++) {
			const int q = o->quantized && m == 0;

			if (k == 3)
				rc = dil_scheme_dros_mode(L->dros, q, &s[m]);
			else
				rc = dil_scheme_net_mode(
					L->net[k == 2 ? L_SOS : L_DIOS],
					names[k], k == 1 ? o->margin : -1, q,
					&s[m]);
			if (rc) {
				if (m)
					dil_scheme_destroy(&s[0]);
				break;
			}
		}
		if (!rc) {
			rc = dil_eval_run_pair(&s[0], ns > 1 ? &s[1] : NULL, set,
					       &sc[*nsc].r, &sc[*nsc].rf);
			sc[*nsc].has_float = ns > 1;
			for (unsigned m = 0; m < ns; m++)
				dil_scheme_destroy(&s[m]);
		}
		if (rc) {
			fprintf(stderr, "error: dil: scoring %s: %s\n",
				names[k], strerror(-rc));
			return 1;
		}
		sc[(*nsc)++].name = names[k];
	}
	return 0;
}

static int dil_eval(int argc, char **argv, FILE *out)
{
	struct eval_opts o = { 0 };
	struct scored sc[12] = { 0 };
	struct learned L = { 0 };
	struct dil_set *set = NULL;
	double shares[DIL_NLOC], majority_acc, gen_s, demos_s = 0, t0;
	uint64_t demos_bytes = 0;
	unsigned majority;
	long exhaustive_bad = -1;
	size_t nsc = 0;
	char err[256];
	int rc;

	rc = parse_opts(argc, argv, &o, out);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (o.demos_out) {
		struct dil_set *demos;

		t0 = now_s();
		rc = dil_set_generate(&o.params, o.seed, 0, o.demos_count,
				      &demos);
		if (rc) {
			fprintf(stderr, "error: dil: generating demonstrations: "
				"%s\n", strerror(-rc));
			return 1;
		}
		rc = dil_set_write(demos, o.demos_out, err, sizeof(err));
		demos_s = now_s() - t0;
		demos_bytes = dil_set_file_bytes(demos);
		dil_set_free(demos);
		if (rc) {
			fprintf(stderr, "error: dil: %s\n", err);
			return 1;
		}
	}
	t0 = now_s();
	if (o.demos_in)
		rc = dil_set_read(o.demos_in, &set, err, sizeof(err));
	else
		rc = dil_set_generate(&o.params, o.seed, DIL_HELDOUT_FIRST,
				      o.samples, &set);
	gen_s = now_s() - t0;
	if (rc) {
		fprintf(stderr, "error: dil: %s\n", o.demos_in ? err :
			strerror(-rc));
		return 1;
	}
	if (o.check_exhaustive) {
		if (set->params.tasks > DIL_EXHAUSTIVE_MAX) {
			fprintf(stderr, "error: dil: %s has T = %u, too many "
				"for --check-exhaustive\n", o.demos_in,
				set->params.tasks);
			rc = 2;
			goto out;
		}
		exhaustive_bad = (long)check_exhaustive(set);
	}
	dil_set_class_shares(set, shares);
	majority_acc = dil_eval_majority(set, &majority);
	for (size_t k = 0; dil_baseline_names[k]; k++) {
		struct dil_scheme s;

		rc = dil_scheme_baseline(dil_baseline_names[k], o.seed, &s);
		if (!rc) {
			rc = dil_eval_run(&s, set, &sc[nsc].r);
			dil_scheme_destroy(&s);
		}
		if (rc) {
			fprintf(stderr, "error: dil: scoring %s: %s\n",
				dil_baseline_names[k], strerror(-rc));
			rc = 1;
			goto out;
		}
		sc[nsc++].name = dil_baseline_names[k];
	}
	if (!o.no_learned) {
		rc = score_learned(&o, set, &L, sc, &nsc);
		if (rc)
			goto out;
	}
	if (o.json)
		print_json(out, &o, set, shares, majority, majority_acc, gen_s,
			   sc, nsc, exhaustive_bad, demos_s, demos_bytes,
			   o.no_learned ? NULL : &L);
	else
		print_text(out, o.demos_in != NULL, set, shares, majority,
			   majority_acc, gen_s, sc, nsc, exhaustive_bad,
			   o.no_learned ? NULL : &L);
	rc = exhaustive_bad > 0 ? 1 : 0;
out:
	learned_free(&L);
	dil_set_free(set);
	return rc;
}

/*
 * Online: the DIOS network (or the exact DP) per device, dil_online.h.
 * @args is the application profile file. create reports a bad file on
 * stderr: the ops have no other way to name it.
 */
static int dil_create(void **state, const char *args)
{
	struct dil_online *o;
	char err[256];
	int rc = dil_online_create(&o, args, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "error: dil: %s\n", err);
		return rc;
	}
	*state = o;
	return 0;
}

static int dil_observe(void *state, const struct ctl_epoch_obs *obs)
{
	/* Each decision uses the epoch's observation alone. */
	(void)state;
	(void)obs;
	return 0;
}

static int dil_decide(void *state, const struct ctl_epoch_obs *obs,
		      struct es_policy *next)
{
	return dil_online_decide(state, obs, next);
}

static void dil_destroy(void *state)
{
	dil_online_destroy(state);
}

const struct ctl_policy_ops dil_policy = {
	.name = "dil",
	.summary = "seed 003 DIL: local/edge/cloud per sub-task by the DIOS "
		   "network (one forward pass; exact DP as an option); eval: "
		   "DIOS, SOS, DROS and the baselines",
	.eval = dil_eval,
	.create = dil_create,
	.observe = dil_observe,
	.decide = dil_decide,
	.destroy = dil_destroy,
};
