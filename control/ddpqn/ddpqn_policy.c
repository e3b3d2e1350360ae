/* SPDX-License-Identifier: MIT */
/*
 * `edgesteerctl policy eval --policy ddpqn`: the offline evaluation of the
 * DDPQN environment, its exact-DP reference, the baselines and the eight DQN
 * variants (saved weights or trained in the run), per model and task count;
 * and the ops table with the online part (ddpqn_online.c).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ddpqn_agent.h"
#include "ddpqn_dp.h"
#include "ddpqn_env.h"
#include "ddpqn_graph.h"
#include "ddpqn_online.h"
#include "ddpqn_train.h"
#include "nn_file.h"
#include "policy.h"

static const char usage_text[] =
"NAME\n"
"    edgesteerctl policy eval --policy ddpqn - DNN layer placement on a\n"
"    client, edge and cloud servers (DDPQN, seed 004): reference and baselines\n"
"\n"
"SYNOPSIS\n"
"    edgesteerctl policy eval --policy ddpqn [--model NAME|all] [--tasks N]\n"
"                 [--json] [OPTIONS]\n"
"\n"
"DESCRIPTION\n"
"    Loads each model's layer graph from DIR/NAME.csv, builds the seed's\n"
"    local-edge-cloud environment (1 client, 5 edge, 5 cloud servers,\n"
"    Tables 2 and 3) with N copies of the model placed in parallel, and\n"
"    reports for every scheme the objective (lower is better), the total\n"
"    delay (s, summed over tasks), energy (J), cost ($), the mean coupling\n"
"    coordination H, the final node balance Z, gap_closed =\n"
"    (random - objective) / (random - dp_ref) and excess = objective - dp_ref\n"
"    (random is far off on these models, so gap_closed crowds near 1 and\n"
"    excess tells the schemes apart).\n"
"\n"
"    Schemes: dp_ref (the exact DP optimum of the additive part, given to\n"
"    every task as it is and rotated over the servers of each kind, scored\n"
"    under the full objective; local search from the best of those and the\n"
"    baselines' placements), dp (the better DP start, before local search),\n"
"    greedy, local, edge, cloud, random\n"
"    (mean of --random-samples seeded episodes), and the DQN agents: dqn,\n"
"    double, dueling, pr, doublepr, duelingpr, doubledueling and ddpqn\n"
"    (double + dueling + prioritised replay), each a greedy rollout of its\n"
"    trained network. The top-level objective, gap_closed,\n"
"    us_per_decision and train_s of a row are DDPQN's. Weights are loaded\n"
"    from the weights directory (VARIANT-MODEL-TASKS.nnw) when present and\n"
"    no environment option differs from its default; otherwise the agent\n"
"    trains here (train_s says how long).\n"
"\n"
"OPTIONS\n"
"    --model NAME       alexnet, vgg19, googlenet, resnet101 or all\n"
"                       (default all)\n"
"    --tasks N          parallel tasks, 1..64 (default: the sweep 1, 5, 10)\n"
"    --json             one JSON object on stdout\n"
"    --models-dir DIR   the CSV profiles (default $EDGESTEER_MODELS_DIR, else\n"
"                       the build's models/dnn-layers)\n"
"    --seed N           first seed of the random baseline (default 1)\n"
"    --random-samples N episodes averaged for random (default 32)\n"
"    --ls-evals N       local-search budget of dp_ref, placements scored\n"
"                       (default 10000)\n"
"    --variants LIST    comma-separated DQN variants, all or none\n"
"                       (default all)\n"
"    --episodes N       training episodes (default 300, section 5.1)\n"
"    --train-updates N  minibatch updates per training run, spread over\n"
"                       the episodes (default 20000; 0 = one every step)\n"
"    --weights-dir DIR  trained weights (default $EDGESTEER_DDPQN_WEIGHTS,\n"
"                       else the build's models/ddpqn)\n"
"    --retrain          train even where weights exist\n"
"    --train-seed N     seed of the agents' networks, replay and exploration\n"
"                       (default 1, the saved weights' seed; any other seed\n"
"                       trains in the run and saves nothing)\n"
"    --save-weights     write what was trained to the weights directory\n"
"    --quantized        also run each agent on an int8 copy of its network\n"
"                       (nn_quant.h): the int8 objective and us_per_decision\n"
"                       under the usual names, the float ones with _float\n"
"    --curve FILE       append the training curves as CSV (model, tasks,\n"
"                       variant, episode, train_objective,\n"
"                       greedy_objective, loss)\n"
"    --edge N, --cloud N  servers of each kind (default 5, 5)\n"
"    --pool C,E,G       parallel pool of the client, each edge and each\n"
"                       cloud server; 0 = unlimited (default 1,2,4)\n"
"    --weights T,E,U    delay, energy, cost weights (default 0.5,0.3,0.2)\n"
"    --mix S,H,Z        score, H, Z weights (default 0.6,0.2,0.2)\n"
"\n"
"    The seed's open points (docs/ddpqn.md, \"Traps\"):\n"
"    --std best|worst|none  standardisation of delay, energy and cost: over\n"
"                       the best (least non-zero) one-task single-server\n"
"                       placement's value (default), the worst's, or none\n"
"    --h-form benefit|literal  H of 1 - normalised metrics (default) or of\n"
"                       the metrics as printed (rewards slow placements)\n"
"    --h-root 2|3       root in eq. 11's coupling degree (default 2, printed)\n"
"    --z-scale excess|placed|raw  Z above the least imbalance the counts\n"
"                       allow, over its range (default); Z over its maximum\n"
"                       for all subtasks placed (local ones dilute it); or\n"
"                       eq. 12's raw count\n"
"    --eq13 inside|outside  H and Z inside the sums (default) or once, as\n"
"                       eq. 13's early bracket prints\n"
"    --hz-norm mean|sum H and Z of a step weighted 1/layers (default) or 1\n"
"    --return-output    ship the last layer's output back to the client\n"
"    --googlenet-4b names|all|sheet  rebuild module 4b from the layer names\n"
"                       (default), every module, or keep the sheet's wiring\n"
"    --resnet fix|collapse|sheet  ResNet101 as a DAG rebuilt from the names\n"
"                       with add nodes (default), one node per block, or the\n"
"                       sheet as it is (refused: it is not a valid graph)\n"
"    --identity-branch1 keep|zero  time of identity blocks' branch1 rows\n"
"    --size-scale X     multiply every output size (default 1)\n"
"    --cost-order speed|inverse  within a kind, the faster server is the\n"
"                       dearer (default) or the cheaper\n"
"    -h, --help         this text\n"
"\n"
"ENVIRONMENT\n"
"    EDGESTEER_MODELS_DIR  where the CSV profiles are, unless --models-dir\n"
"\n"
"EXIT STATUS\n"
"    0 success, 1 a model could not be loaded or evaluated (the error names\n"
"    the file, the line and the reason), 2 usage error.\n"
"\n"
"EXAMPLES\n"
"    edgesteerctl policy eval --policy ddpqn --model alexnet --tasks 5 --json\n"
"    edgesteerctl policy eval --policy ddpqn --h-form literal --model vgg19\n"
"\n"
"SEE ALSO\n"
"    docs/ddpqn.md: the model, every parameter with its default and source,\n"
"    the seed's traps and the decision taken on each.\n";

struct opts {
	enum ddpqn_model models[4];
	unsigned nmodels, tasks[3], ntasks;
	int json;
	const char *dir;
	uint64_t seed;
	unsigned samples, ls_evals;
	struct ddpqn_graph_opts gopts;
	struct ddpqn_params over;	/* model fields filled per model */
	double size_scale;
	int custom_env;			/* an environment option was given */
	unsigned variants;		/* bit per ddpqn_dqn_variants entry */
	struct ddpqn_train_opts train;
	const char *curve;
};

static const char *const scheme_names[] = {
	"dp_ref", "dp", "greedy", "local", "edge", "cloud", "random",
};
#define NSCHEMES 7

static int pick(const char *arg, const char *const *names, int *out)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(arg, names[i])) {
			*out = i;
			return 0;
		}
	return -1;
}

static int triple(const char *arg, double v[3])
{
	char *end;

	for (int k = 0; k < 3; k++) {
		v[k] = strtod(arg, &end);
		if (end == arg || (k < 2 && *end != ',') || (k == 2 && *end))
			return -1;
		arg = end + 1;
	}
	return 0;
}

static int uint_arg(const char *arg, unsigned lo, unsigned hi, unsigned *v)
{
	char *end;
	unsigned long x = strtoul(arg, &end, 10);

	if (end == arg || *end || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

static int weights_ok(double a, double b, double c)
{
	return a >= 0 && b >= 0 && c >= 0 && a <= 1 && b <= 1 && c <= 1 &&
	       fabs(a + b + c - 1) <= 1e-9;
}

static int parse_variants(const char *arg, unsigned *mask)
{
	char buf[256], *save = NULL, *tok;
	int k;

	if (!strcmp(arg, "all") || !strcmp(arg, "none")) {
		*mask = strcmp(arg, "all") ? 0 : (1u << 8) - 1;
		return 0;
	}
	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (pick(tok, ddpqn_dqn_variants, &k))
			return -1;
		*mask |= 1u << k;
	}
	return *mask ? 0 : -1;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_MODEL = 256, O_TASKS, O_JSON, O_DIR, O_SEED, O_SAMPLES, O_LS,
	       O_EDGE, O_CLOUD, O_POOL, O_WEIGHTS, O_MIX, O_STD, O_HFORM, O_HROOT,
	       O_ZSCALE, O_EQ13, O_HZNORM, O_RETURN, O_G4B, O_RESNET, O_IDB1,
	       O_SCALE, O_COSTORDER, O_VARIANTS, O_EPISODES, O_UPDATES, O_WDIR,
	       O_RETRAIN, O_SAVE, O_CURVE, O_TSEED, O_QUANT };
	static const struct option lo[] = {
		{ "model", required_argument, 0, O_MODEL },
		{ "tasks", required_argument, 0, O_TASKS },
		{ "json", no_argument, 0, O_JSON },
		{ "models-dir", required_argument, 0, O_DIR },
		{ "seed", required_argument, 0, O_SEED },
		{ "random-samples", required_argument, 0, O_SAMPLES },
		{ "ls-evals", required_argument, 0, O_LS },
		{ "edge", required_argument, 0, O_EDGE },
		{ "cloud", required_argument, 0, O_CLOUD },
		{ "pool", required_argument, 0, O_POOL },
		{ "weights", required_argument, 0, O_WEIGHTS },
		{ "mix", required_argument, 0, O_MIX },
		{ "std", required_argument, 0, O_STD },
		{ "h-form", required_argument, 0, O_HFORM },
		{ "h-root", required_argument, 0, O_HROOT },
		{ "z-scale", required_argument, 0, O_ZSCALE },
		{ "eq13", required_argument, 0, O_EQ13 },
		{ "hz-norm", required_argument, 0, O_HZNORM },
		{ "return-output", no_argument, 0, O_RETURN },
		{ "googlenet-4b", required_argument, 0, O_G4B },
		{ "resnet", required_argument, 0, O_RESNET },
		{ "identity-branch1", required_argument, 0, O_IDB1 },
		{ "size-scale", required_argument, 0, O_SCALE },
		{ "cost-order", required_argument, 0, O_COSTORDER },
		{ "variants", required_argument, 0, O_VARIANTS },
		{ "episodes", required_argument, 0, O_EPISODES },
		{ "train-updates", required_argument, 0, O_UPDATES },
		{ "weights-dir", required_argument, 0, O_WDIR },
		{ "retrain", no_argument, 0, O_RETRAIN },
		{ "save-weights", no_argument, 0, O_SAVE },
		{ "curve", required_argument, 0, O_CURVE },
		{ "train-seed", required_argument, 0, O_TSEED },
		{ "quantized", no_argument, 0, O_QUANT },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	static const char *const models[] = { "alexnet", "vgg19", "googlenet",
					      "resnet101", "all", NULL };
	struct ddpqn_params *p = &o->over;
	double v[3];
	int c, x = 0, idx = 0;
	unsigned u = 0;

	memset(o, 0, sizeof(*o));
	ddpqn_params_default(p, DDPQN_MODEL_GENERIC);
	o->dir = getenv("EDGESTEER_MODELS_DIR");
	if (!o->dir || !*o->dir)
		o->dir = DDPQN_MODELS_DIR;
	o->seed = 1;
	o->samples = 32;
	o->ls_evals = 10000;
	o->size_scale = 1;
	o->nmodels = 4;
	for (int k = 0; k < 4; k++)
		o->models[k] = DDPQN_MODEL_ALEXNET + k;
	o->variants = (1u << 8) - 1;
	o->train.updates = 20000;
	o->train.load = 1;
	o->train.seed = 1;
	o->train.weights_dir = getenv("EDGESTEER_DDPQN_WEIGHTS");
	if (!o->train.weights_dir || !*o->train.weights_dir)
		o->train.weights_dir = DDPQN_WEIGHTS_DIR;
	o->ntasks = 3;
	o->tasks[0] = 1;
	o->tasks[1] = 5;
	o->tasks[2] = 10;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lo, &idx)) != -1) {
		const char *a = optarg;
		int bad = 0;

		switch (c) {
		case 'h':
			return 1;
		case O_MODEL:
			bad = pick(a, models, &x);
			if (!bad && x < 4) {
				o->nmodels = 1;
				o->models[0] = DDPQN_MODEL_ALEXNET + x;
			}
			break;
		case O_TASKS:
			bad = uint_arg(a, 1, DDPQN_MAX_TASKS, &o->tasks[0]);
			o->ntasks = 1;
			break;
		case O_JSON: o->json = 1; break;
		case O_DIR: o->dir = a; break;
		case O_SEED: bad = uint_arg(a, 0, 0xffffffffu, &u); o->seed = u; break;
		case O_SAMPLES: bad = uint_arg(a, 1, 100000, &o->samples); break;
		case O_LS: bad = uint_arg(a, 0, 100000000, &o->ls_evals); break;
		case O_EDGE: bad = uint_arg(a, 0, 15, &p->nedge); break;
		case O_CLOUD: bad = uint_arg(a, 0, 15, &p->ncloud); break;
		case O_POOL:
			bad = triple(a, v);
			for (int k = 0; !bad && k < 3; k++) {
				bad = v[k] < 0 || v[k] > DDPQN_MAX_POOL || v[k] != floor(v[k]);
				p->pool[k] = v[k];
			}
			break;
		case O_WEIGHTS:
			bad = triple(a, v);
			p->theta = v[0], p->vtheta = v[1], p->eta = v[2];
			break;
		case O_MIX:
			bad = triple(a, v);
			p->phi = v[0], p->varphi = v[1], p->xi = v[2];
			break;
		case O_STD:
			bad = pick(a, (const char *[]){ "best", "worst", "none", NULL }, &x);
			p->std = x;
			break;
		case O_HFORM:
			bad = pick(a, (const char *[]){ "benefit", "literal", NULL }, &x);
			p->hform = x;
			break;
		case O_HROOT: bad = uint_arg(a, 2, 3, &p->h_root); break;
		case O_ZSCALE:
			bad = pick(a, (const char *[]){ "excess", "placed", "raw", NULL }, &x);
			p->zscale = x;
			break;
		case O_EQ13:
			bad = pick(a, (const char *[]){ "inside", "outside", NULL }, &x);
			p->eq13 = x;
			break;
		case O_HZNORM:
			bad = pick(a, (const char *[]){ "mean", "sum", NULL }, &x);
			p->hznorm = x;
			break;
		case O_RETURN: p->return_output = 1; break;
		case O_G4B:
			bad = pick(a, (const char *[]){ "names", "all", "sheet", NULL }, &x);
			o->gopts.inception = x;
			break;
		case O_RESNET:
			bad = pick(a, (const char *[]){ "fix", "collapse", "sheet", NULL }, &x);
			o->gopts.resnet = x;
			break;
		case O_IDB1:
			bad = pick(a, (const char *[]){ "keep", "zero", NULL }, &x);
			o->gopts.identity_branch1_zero = x;
			break;
		case O_SCALE:
			o->size_scale = strtod(a, NULL);
			bad = !(o->size_scale > 0 && isfinite(o->size_scale));
			break;
		case O_COSTORDER:
			bad = pick(a, (const char *[]){ "speed", "inverse", NULL }, &x);
			p->cost_follows_speed = !x;
			break;
		case O_VARIANTS: bad = parse_variants(a, &o->variants); break;
		case O_EPISODES: bad = uint_arg(a, 1, 100000, &o->train.episodes); break;
		case O_UPDATES:
			bad = uint_arg(a, 0, 100000000, &u);
			o->train.updates = u;
			break;
		case O_WDIR: o->train.weights_dir = a; break;
		case O_RETRAIN: o->train.load = 0; break;
		case O_SAVE: o->train.save = 1; break;
		case O_QUANT: o->train.quantized = 1; break;
		case O_CURVE: o->curve = a; break;
		case O_TSEED:
			bad = uint_arg(a, 0, 0xffffffffu, &u);
			o->train.seed = u;
			break;
		default:
			fprintf(stderr, "error: ddpqn: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
		/* Saved weights belong to the default environment. */
		if (c >= O_EDGE && c <= O_COSTORDER)
			o->custom_env = 1;
		if (bad) {
			fprintf(stderr, "error: ddpqn: bad value '%s' for --%s (see --help)\n",
				a, lo[idx].name);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "error: ddpqn: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	/* Eq. 15-18. */
	if (!weights_ok(p->theta, p->vtheta, p->eta) || !weights_ok(p->phi, p->varphi, p->xi)) {
		fprintf(stderr, "error: ddpqn: --weights and --mix each take three "
			"numbers in [0, 1] summing to 1 (eq. 15-18)\n");
		return -EINVAL;
	}
	return 0;
}

struct row {
	struct ddpqn_totals t[NSCHEMES];
	int have_ref, start, start_of[4];
	double dp_additive, ref_s;
	unsigned ls_evals, ls_moves, layers;
	struct ddpqn_variant_result ag[8];	/* by ddpqn_dqn_variants index */
	unsigned agents;			/* mask of those run */
	double greedy_us;			/* greedy's time per decision */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_agent(struct ddpqn_env *env, const char *name, uint64_t seed,
		     uint8_t *place, struct ddpqn_totals *t)
{
	struct ddpqn_agent ag;
	int rc = ddpqn_baseline(name, seed, &ag);

	return rc ? rc : ddpqn_rollout(env, &ag, place, t);
}

static int evaluate(const struct opts *o, struct ddpqn_env *env, struct row *r)
{
	unsigned cells = ddpqn_env_nlayers(env) * ddpqn_env_ntasks(env);
	struct ddpqn_ref_stats st;
	struct ddpqn_totals t, *rnd = &r->t[6];
	uint8_t *buf = malloc((size_t)cells * 5), *starts[4];
	unsigned nstarts = 0;
	double t0;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	r->layers = ddpqn_env_nlayers(env);
	/* The baselines; their placements also seed dp_ref's local search. */
	for (int k = 2; k < 6 && !rc; k++) {
		starts[nstarts] = buf + (size_t)(k - 1) * cells;
		rc = run_agent(env, scheme_names[k], 0, starts[nstarts], &r->t[k]);
		if (rc == -ENOENT) {
			/* all-edge / all-cloud with no server of that kind */
			r->t[k].objective = NAN;
			rc = 0;
		} else {
			r->start_of[nstarts++] = k;
		}
	}
	for (unsigned k = 0; k < o->samples && !rc; k++) {
		rc = run_agent(env, "random", o->seed + k, NULL, &t);
		rnd->objective += t.objective / o->samples;
		rnd->additive += t.additive / o->samples;
		rnd->delay_s += t.delay_s / o->samples;
		rnd->energy_j += t.energy_j / o->samples;
		rnd->cost_usd += t.cost_usd / o->samples;
		rnd->h_mean += t.h_mean / o->samples;
		rnd->z_final += t.z_final / o->samples;
		rnd->z_raw_final += t.z_raw_final / o->samples;
	}
	if (rc)
		goto out;
	/* The reference for us_per_decision: greedy (11 peeks and a step), best of 5. */
	r->greedy_us = INFINITY;
	for (int k = 0; k < 5 && !rc; k++) {
		t0 = now_s();
		rc = run_agent(env, "greedy", 0, NULL, NULL);
		t0 = (now_s() - t0) * 1e6 / cells;
		if (t0 < r->greedy_us)
			r->greedy_us = t0;
	}
	if (rc)
		goto out;
	t0 = now_s();
	rc = ddpqn_dp_ref(env, o->ls_evals, (const uint8_t *const *)starts, nstarts, buf, &st);
	r->ref_s = now_s() - t0;
	if (rc == -ENOTSUP) {
		rc = 0;
		goto out;
	}
	if (rc)
		goto out;
	r->have_ref = 1;
	r->t[0] = st.ref;
	r->t[1] = st.dp_full;
	r->dp_additive = st.dp_additive;
	r->ls_evals = st.evals;
	r->ls_moves = st.moves;
	r->start = st.start;
out:
	free(buf);
	return rc;
}

static void print_num(FILE *out, double v);

static double gap_of(const struct row *r, double objective)
{
	double span = r->t[6].objective - r->t[0].objective;

	return span != 0 && r->have_ref ? (r->t[6].objective - objective) / span : NAN;
}

static double gap(const struct row *r, int k)
{
	return gap_of(r, r->t[k].objective);
}

/* Trains or loads each asked-for variant; curves appended to @curve. */
static int eval_agents(const struct opts *o, struct ddpqn_env *env,
		       const char *model, FILE *curve, struct row *r)
{
	struct ddpqn_train_opts to = o->train;
	unsigned eps = o->train.episodes ? o->train.episodes : 300;
	struct ddpqn_dqn_epoch *cv = calloc(eps, sizeof(*cv));
	int rc = 0;

	if (!cv)
		return -ENOMEM;
	/* Saved weights belong to the default environment and seed 1. */
	if (o->custom_env || o->train.seed != 1)
		to.load = to.save = 0;
	for (unsigned v = 0; ddpqn_dqn_variants[v] && !rc; v++) {
		if (!(o->variants & 1u << v))
			continue;
		rc = ddpqn_variant_run(env, model, ddpqn_dqn_variants[v], &to,
				       &r->ag[v], cv);
		if (rc) {
			fprintf(stderr, "error: ddpqn: %s, %u tasks, %s: %s\n", model,
				ddpqn_env_ntasks(env), ddpqn_dqn_variants[v],
				rc == -EBADMSG || rc == -EDOM || rc == -EPROTONOSUPPORT ||
				rc == -EILSEQ ?
				nn_file_strerror(rc) : strerror(-rc));
			break;
		}
		r->agents |= 1u << v;
		if (r->ag[v].saved < 0)
			fprintf(stderr, "warning: ddpqn: saving %s weights: %s\n",
				ddpqn_dqn_variants[v], strerror(-r->ag[v].saved));
		for (unsigned e = 0; curve && !r->ag[v].loaded && e < r->ag[v].episodes; e++) {
			fprintf(curve, "%s,%u,%s,%u,%.9g,", model, ddpqn_env_ntasks(env),
				ddpqn_dqn_variants[v], e + 1, cv[e].train_objective);
			print_num(curve, cv[e].greedy_objective);
			fputc(',', curve);
			print_num(curve, cv[e].loss);
			fputc('\n', curve);
		}
	}
	free(cv);
	return rc;
}

static void print_num(FILE *out, double v)
{
	if (isfinite(v))
		fprintf(out, "%.9g", v);
	else
		fputs("null", out);
}

static const char *start_name(const struct row *r)
{
	return r->start == -2 ? "dp" : r->start == -1 ? "dp_rotated" :
	       scheme_names[r->start_of[r->start]];
}

static void print_totals(FILE *out, const struct row *r,
			 const struct ddpqn_totals *t)
{
	fputs("\"objective\": ", out);
	print_num(out, t->objective);
	fputs(", \"gap_closed\": ", out);
	print_num(out, gap_of(r, t->objective));
	fputs(", \"excess\": ", out);
	print_num(out, r->have_ref ? t->objective - r->t[0].objective : NAN);
	fprintf(out, ", \"additive\": %.9g, \"delay_s\": %.9g, \"energy_j\": %.9g, "
		"\"cost_usd\": %.9g, \"H\": %.6f, \"Z\": %.6f, \"Z_raw\": %.3f",
		t->additive, t->delay_s, t->energy_j, t->cost_usd, t->h_mean,
		t->z_final, t->z_raw_final);
}

/* --quantized: an agent's float figures beside its int8 ones. */
static void print_float_figures(FILE *out, const struct row *r,
				const struct ddpqn_variant_result *a)
{
	fputs(", \"quantized\": \"int8\", \"objective_float\": ", out);
	print_num(out, a->t_float.objective);
	fputs(", \"gap_closed_float\": ", out);
	print_num(out, gap_of(r, a->t_float.objective));
	fputs(", \"us_per_decision_float\": ", out);
	print_num(out, a->us_per_decision_float);
}

/* DDPQN's own figures at the top of a row (null when not run). */
static void print_ddpqn_head(FILE *out, const struct row *r)
{
	const unsigned v = 7;	/* "ddpqn" in ddpqn_dqn_variants */
	int on = !!(r->agents & 1u << v);

	fputs(", \"objective\": ", out);
	print_num(out, on ? r->ag[v].t.objective : NAN);
	fputs(", \"gap_closed\": ", out);
	print_num(out, on ? gap_of(r, r->ag[v].t.objective) : NAN);
	fputs(", \"us_per_decision\": ", out);
	print_num(out, on ? r->ag[v].us_per_decision : NAN);
	if (on && isfinite(r->ag[v].us_per_decision_float))
		print_float_figures(out, r, &r->ag[v]);
	fputs(", \"train_s\": ", out);
	print_num(out, on ? r->ag[v].train_s : NAN);
	fputs(", \"greedy_us_per_decision\": ", out);
	print_num(out, r->greedy_us);
}

static void print_json_row(FILE *out, const char *model, unsigned tasks,
			   const struct row *r, int first)
{
	fprintf(out, "%s\n    {\"model\": \"%s\", \"tasks\": %u, \"layers\": %u",
		first ? "" : ",", model, tasks, r->layers);
	for (int k = 0; k < NSCHEMES; k += k == 0 ? 2 : 4) {
		fprintf(out, ", \"%s\": ", scheme_names[k]);
		print_num(out, !k && !r->have_ref ? NAN : r->t[k].objective);
	}
	print_ddpqn_head(out, r);
	fputs(", \"dp_additive_exact\": ", out);
	print_num(out, r->have_ref ? r->dp_additive : NAN);
	fprintf(out, ", \"ls_start\": \"%s\", \"ls_evals\": %u, \"ls_moves\": %u, "
		"\"ref_s\": %.3f,\n     \"schemes\": {", start_name(r), r->ls_evals,
		r->ls_moves, r->ref_s);
	for (int k = 0; k < NSCHEMES; k++) {
		const struct ddpqn_totals *t = &r->t[k];

		fprintf(out, "%s\n       \"%s\": {", k ? "," : "", scheme_names[k]);
		if ((k < 2 && !r->have_ref) || !isfinite(t->objective)) {
			fputs("\"objective\": null}", out);
			continue;
		}
		print_totals(out, r, t);
		fputc('}', out);
	}
	fputs("},\n     \"agents\": {", out);
	for (unsigned v = 0, n = 0; ddpqn_dqn_variants[v]; v++) {
		const struct ddpqn_variant_result *a = &r->ag[v];

		if (!(r->agents & 1u << v))
			continue;
		fprintf(out, "%s\n       \"%s\": {", n++ ? "," : "", ddpqn_dqn_variants[v]);
		print_totals(out, r, &a->t);
		fputs(", \"train_s\": ", out);
		print_num(out, a->train_s);
		fputs(", \"us_per_decision\": ", out);
		print_num(out, a->us_per_decision);
		if (isfinite(a->us_per_decision_float))
			print_float_figures(out, r, a);
		fprintf(out, ", \"loaded\": %s, \"episodes\": %u, \"updates\": %llu, "
			"\"train_every\": %u}", a->loaded ? "true" : "false", a->episodes,
			(unsigned long long)a->updates, a->train_every);
	}
	fputs("}}", out);
}

static void print_text_row(FILE *out, const char *model, unsigned tasks,
			   const struct row *r)
{
	fprintf(out, "%s, %u task%s (%u layers; dp_ref: from %s, %u placements "
		"scored, %.2f s)\n", model, tasks, tasks > 1 ? "s" : "", r->layers,
		r->have_ref ? start_name(r) : "-", r->ls_evals, r->ref_s);
	fprintf(out, "  %-13s %12s %10s %12s %12s %12s %8s %8s\n", "scheme",
		"objective", "gap", "delay_s", "energy_j", "cost_usd", "H", "Z");
	for (int k = 0; k < NSCHEMES; k++) {
		const struct ddpqn_totals *t = &r->t[k];

		if (k < 2 && !r->have_ref) {
			fprintf(out, "  %-13s (not available: the graph is not parallel chains "
				"between cut points)\n", scheme_names[k]);
			continue;
		}
		if (!isfinite(t->objective)) {
			fprintf(out, "  %-13s (not available: no server of that kind)\n",
				scheme_names[k]);
			continue;
		}
		fprintf(out, "  %-13s %12.6f %10.4f %12.4f %12.4f %12.6f %8.4f %8.4f\n",
			scheme_names[k], t->objective, r->have_ref ? gap(r, k) : NAN,
			t->delay_s, t->energy_j, t->cost_usd, t->h_mean, t->z_final);
	}
	for (unsigned v = 0; ddpqn_dqn_variants[v]; v++) {
		const struct ddpqn_variant_result *a = &r->ag[v];

		if (!(r->agents & 1u << v))
			continue;
		fprintf(out, "  %-13s %12.6f %10.4f %12.4f %12.4f %12.6f %8.4f %8.4f"
			"  %s %.2f s, %.2f us/decision\n", ddpqn_dqn_variants[v],
			a->t.objective, gap_of(r, a->t.objective), a->t.delay_s,
			a->t.energy_j, a->t.cost_usd, a->t.h_mean, a->t.z_final,
			a->loaded ? "loaded," : "trained", a->train_s, a->us_per_decision);
	}
}

static int eval_ddpqn(int argc, char **argv, FILE *out)
{
	struct ddpqn_graph *g = malloc(sizeof(*g));
	struct ddpqn_load_err err;
	struct opts o;
	FILE *curve = NULL;
	int rc, status = 0, first = 1;

	if (!g)
		return 1;
	rc = parse_opts(argc, argv, &o);
	if (rc) {
		free(g);
		if (rc > 0) {
			fputs(usage_text, out);
			return 0;
		}
		return 2;
	}
	if (o.curve) {
		curve = fopen(o.curve, "a");
		if (!curve) {
			fprintf(stderr, "error: ddpqn: --curve %s: %s\n", o.curve,
				strerror(errno));
			free(g);
			return 1;
		}
	}
	if (o.json)
		fprintf(out, "{\"policy\": \"ddpqn\", \"results\": [");
	for (unsigned m = 0; m < o.nmodels; m++) {
		const char *name = ddpqn_model_name(o.models[m]);
		char path[512];

		o.gopts.model = o.models[m];
		snprintf(path, sizeof(path), "%s/%s.csv", o.dir, name);
		rc = ddpqn_graph_load(path, &o.gopts, g, &err);
		if (rc) {
			fprintf(stderr, "error: ddpqn: %s:%u: %s\n", err.file, err.line,
				err.reason);
			status = 1;
			continue;
		}
		for (unsigned k = 0; k < o.ntasks; k++) {
			struct ddpqn_params p = o.over, d;
			struct ddpqn_env *env;
			struct row r;

			ddpqn_params_default(&d, o.models[m]);
			p.profile_ghz = d.profile_ghz;
			p.input_mb = d.input_mb;
			p.size_scale = o.size_scale;
			p.tasks = o.tasks[k];
			rc = ddpqn_env_create(g, &p, &env);
			if (!rc) {
				rc = evaluate(&o, env, &r);
				if (!rc && o.variants)
					rc = eval_agents(&o, env, name, curve, &r);
				ddpqn_env_destroy(env);
			}
			if (rc) {
				fprintf(stderr, "error: ddpqn: %s, %u tasks: %s\n", name,
					o.tasks[k], strerror(-rc));
				status = 1;
				continue;
			}
			if (o.json)
				print_json_row(out, name, o.tasks[k], &r, first);
			else
				print_text_row(out, name, o.tasks[k], &r);
			first = 0;
		}
	}
	if (o.json)
		fprintf(out, "\n]}\n");
	if (curve)
		fclose(curve);
	free(g);
	return status;
}

const struct ctl_policy_ops ddpqn_policy = {
	.name = "ddpqn",
	.summary = "DDPQN: DNN layers on client/edge/cloud by double dueling prioritised DQN (seed 004)",
	.eval = eval_ddpqn,
	.create = ddpqn_online_create,
	.observe = ddpqn_online_observe,
	.decide = ddpqn_online_decide,
	.destroy = ddpqn_online_destroy,
};
