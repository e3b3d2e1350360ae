/* SPDX-License-Identifier: MIT */
/*
 * DNN layer graphs for DDPQN, loaded from the per-layer CSV profiles in
 * models/dnn-layers/ (layer_no,layer_name,exec_time_s,output_size_Mb,
 * successors). Reading is in two steps: ddpqn_csv_read checks the syntax of
 * every row and keeps the sheet as it is; ddpqn_graph_build applies the
 * model's documented repairs (GoogLeNet module 4b, ResNet101's blocks) and
 * validates the result as a graph. Both refuse bad input with the file, the
 * line and the reason, and leave the output untouched.
 */
#ifndef EDGESTEER_DDPQN_GRAPH_H
#define EDGESTEER_DDPQN_GRAPH_H

#include <stdint.h>

#define DDPQN_MAX_LAYERS 256
#define DDPQN_MAX_FAN 8		/* predecessors or successors of a layer */
#define DDPQN_NAME_LEN 64

enum ddpqn_model {
	DDPQN_MODEL_GENERIC,	/* no repairs: the file is the graph */
	DDPQN_MODEL_ALEXNET,
	DDPQN_MODEL_VGG19,
	DDPQN_MODEL_GOOGLENET,
	DDPQN_MODEL_RESNET101,
};

/* GoogLeNet: which inception modules to rebuild from their layer names. */
enum ddpqn_inception {
	DDPQN_INCEPTION_4B,	/* default: only 4b, whose lists are shifted */
	DDPQN_INCEPTION_ALL,	/* every module (equals 4B: the others agree) */
	DDPQN_INCEPTION_SHEET,	/* the sheet as it is (4b mis-wired) */
};

/* ResNet101: how to turn the broken sheet into a graph. */
enum ddpqn_resnet {
	DDPQN_RESNET_FIX,	/* default: DAG rebuilt from names + add nodes */
	DDPQN_RESNET_COLLAPSE,	/* one chain node per residual block */
	DDPQN_RESNET_SHEET,	/* the sheet as it is: refused by validation */
};

struct ddpqn_graph_opts {
	enum ddpqn_model model;
	enum ddpqn_inception inception;
	enum ddpqn_resnet resnet;
	int identity_branch1_zero;	/* ResNet identity blocks' branch1 time -> 0 */
};

struct ddpqn_load_err {
	char file[128];
	unsigned line;		/* 0: the whole file */
	char reason[160];
};

/* One CSV row, as the sheet says. */
struct ddpqn_csv_row {
	unsigned line;
	unsigned layer_no;
	char name[DDPQN_NAME_LEN];
	double exec_s;
	double out_mb;
	uint8_t nsucc;
	uint16_t succ[DDPQN_MAX_FAN];	/* 1-based, as in the file */
};

struct ddpqn_csv {
	char file[128];
	unsigned nrows;
	struct ddpqn_csv_row rows[DDPQN_MAX_LAYERS];
};

struct ddpqn_layer {
	char name[DDPQN_NAME_LEN];
	unsigned line;		/* CSV line, 0 for nodes the repairs added */
	double exec_s;		/* on the profiling machine */
	double out_mb;
	uint8_t npred, nsucc;
	uint16_t pred[DDPQN_MAX_FAN];	/* 0-based, all < own index */
	uint16_t succ[DDPQN_MAX_FAN];	/* 0-based, all > own index */
};

/* Layers in topological order; layer 0 reads the input, the last is the sink. */
struct ddpqn_graph {
	char model[32];
	unsigned n;
	struct ddpqn_layer layers[DDPQN_MAX_LAYERS];
};

int ddpqn_model_parse(const char *name, enum ddpqn_model *m);
const char *ddpqn_model_name(enum ddpqn_model m);

/* Syntax of every row. 0, or -EINVAL/-ENOENT/-EFBIG with @err filled. */
int ddpqn_csv_read(const char *path, struct ddpqn_csv *csv,
		   struct ddpqn_load_err *err);

/* Repairs for @opts->model, then graph validation. 0 or -EINVAL + @err. */
int ddpqn_graph_build(const struct ddpqn_csv *csv,
		      const struct ddpqn_graph_opts *opts,
		      struct ddpqn_graph *g, struct ddpqn_load_err *err);

/* Both steps. */
int ddpqn_graph_load(const char *path, const struct ddpqn_graph_opts *opts,
		     struct ddpqn_graph *g, struct ddpqn_load_err *err);

/* Structural checks alone (ranges, order, one source, one sink). */
int ddpqn_graph_validate(const struct ddpqn_graph *g, const char *file,
			 struct ddpqn_load_err *err);

/*
 * Cut points: layers every input-to-output path goes through, with no edge
 * jumping over them. Writes their indices in order to @cuts (room for g->n)
 * and returns how many (the last layer is always one).
 */
unsigned ddpqn_graph_cuts(const struct ddpqn_graph *g, uint16_t *cuts);

#endif /* EDGESTEER_DDPQN_GRAPH_H */
