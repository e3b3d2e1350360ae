/* SPDX-License-Identifier: MIT */
/*
 * Pre-DNNOff model files (docs/prednnoff.md): the BranchyNet layer graph,
 * the per-layer latency regressions of Table 4.2 and the parameters the
 * paper leaves open. All three are line-oriented text files; a loader
 * validates everything and, on a refusal, writes "FILE:LINE: reason" into
 * the caller's buffer and leaves the output untouched.
 */
#ifndef EDGESTEER_PDO_MODEL_H
#define EDGESTEER_PDO_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define PDO_MAX_LAYERS	256
#define PDO_MAX_EXITS	16
#define PDO_NAME_MAX	32
#define PDO_ERR_MAX	256

/* Layer types in the order of the paper's Ltype (eq. 4.1). */
enum pdo_ltype {
	PDO_CONV = 0,
	PDO_RELU = 1,
	PDO_POOL = 2,
	PDO_LRN = 3,
	PDO_DROPOUT = 4,
	PDO_FC = 5,
	PDO_NLTYPES = 6,
};

/* Sites of execution (the paper's Stype). */
enum pdo_site {
	PDO_DEVICE = 0,
	PDO_EDGE = 1,
	PDO_CLOUD = 2,
	PDO_NSITES = 3,
};

struct pdo_layer {
	char name[PDO_NAME_MAX];
	uint8_t type;			/* enum pdo_ltype */
	uint8_t branch;			/* 1..nexits; nexits is the main branch */
	int16_t parent;			/* layer index, -1 = the input */
	uint32_t in_c, in_h, in_w;
	uint32_t out_c, out_h, out_w;
	uint32_t k, s, p, n;		/* kernel, stride, pad, filters */
	uint64_t in_bytes, out_bytes, weight_bytes;
	double x1, x2;			/* Table 4.1 regression variables */
};

struct pdo_graph {
	char model[PDO_NAME_MAX];
	uint32_t elem_bytes;
	uint32_t in_c, in_h, in_w;
	uint64_t in_bytes;
	uint32_t nexits;		/* P: branches 1..P-1 are side, P is main */
	uint32_t nlayers;		/* parents come before their children */
	struct pdo_layer layers[PDO_MAX_LAYERS];
	int16_t exit_leaf[PDO_MAX_EXITS + 1];	/* [k] = last layer of branch k */
};

/* Kinds of regression beyond the six layer types. */
#define PDO_REG_LOAD	PDO_NLTYPES
#define PDO_REG_PARSE	(PDO_NLTYPES + 1)
#define PDO_NREG	(PDO_NLTYPES + 2)

/* t_ms = c1 * x1 + c2 * x2 + c0, per site (device, edge) and kind. */
struct pdo_regress {
	double c[2][PDO_NREG][3];	/* [site][kind][c1, c2, c0] */
	uint8_t have[2][PDO_NREG];
};

enum pdo_loading {
	PDO_LOAD_ONCE = 0,		/* loading is a deployment cost, not per task */
	PDO_LOAD_PER_TASK = 1,		/* every used site loads its layers per task */
};

struct pdo_ga_conf {
	uint32_t pop, gens, runs, elite;
	double pc, pm, scale;		/* crossover, mutation, scaling multiple */
	uint32_t polish;		/* 1 = group-wise local search on the best */
};

struct pdo_params {
	double acc[PDO_MAX_EXITS + 1];	/* Acc(k), k = 1..P, non-decreasing */
	uint32_t nacc;
	double ac_mean, ac_sigma;	/* d(ac) = N(mean, sigma) */
	double bandwidth_mhz, snr_db;	/* wireless: W log2(1 + SNR), eq. 4.2 */
	double wired_mbps;		/* edge <-> cloud */
	double cloud_speedup;		/* cloud time = edge time / speedup */
	double edge_slowdown;		/* server load: edge time x slowdown */
	uint32_t tiers;			/* 2 = device + edge (the paper's test), 3 */
	uint32_t loading;		/* enum pdo_loading */
	double edgent_bound_ms;		/* Edgent's latency requirement */
	uint32_t random_samples;
	uint64_t seed;
	struct pdo_ga_conf ga_paper, ga_variant;
};

const char *pdo_ltype_name(unsigned int type);
const char *pdo_site_name(unsigned int site);

/* The defaults the shipped params file also states. */
void pdo_params_default(struct pdo_params *p);

/* Loaders: 0, or -EINVAL/-ENOENT/... with "FILE:LINE: reason" in @err. */
int pdo_graph_load(const char *path, struct pdo_graph *g, char *err, size_t errlen);
int pdo_graph_parse(const char *name, const char *text, struct pdo_graph *g,
		    char *err, size_t errlen);
int pdo_regress_load(const char *path, struct pdo_regress *r, char *err, size_t errlen);
int pdo_regress_parse(const char *name, const char *text, struct pdo_regress *r,
		      char *err, size_t errlen);
/* Overrides the fields the file names; the rest of @p stays. */
int pdo_params_load(const char *path, struct pdo_params *p, char *err, size_t errlen);
int pdo_params_parse(const char *name, const char *text, struct pdo_params *p,
		     char *err, size_t errlen);
/* One "key value" override (a command-line option), checked like a line. */
int pdo_params_set(struct pdo_params *p, const char *key, const char *val,
		   char *err, size_t errlen);
/* Cross-checks: one accuracy per exit. */
int pdo_params_check(const struct pdo_params *p, const struct pdo_graph *g,
		     char *err, size_t errlen);

/* The three files of one model, as the eval and the online policy use them. */
struct pdo_bundle {
	struct pdo_graph g;
	struct pdo_regress r;
	struct pdo_params p;
};

#define PDO_GRAPH_FILE	"balexnet_cifar10.graph"
#define PDO_REGRESS_FILE	"table4_2.regress"
#define PDO_PARAMS_FILE	"defaults.params"

/*
 * Loads DIR/PDO_*_FILE, or the explicit paths when not NULL, and checks
 * them against each other. Parameters start from pdo_params_default().
 */
int pdo_bundle_load(struct pdo_bundle *b, const char *dir, const char *graph,
		    const char *regress, const char *params, char *err, size_t errlen);

/* Table 4.2 for one layer on the device or the edge, in ms (>= 0). */
double pdo_layer_ms(const struct pdo_regress *r, unsigned int site,
		    const struct pdo_layer *l);
/* Loading (x = weight bytes) or parsing (x = bytes parsed), in ms. */
double pdo_reg_ms(const struct pdo_regress *r, unsigned int site,
		  unsigned int kind, double x);

#endif /* EDGESTEER_PDO_MODEL_H */
