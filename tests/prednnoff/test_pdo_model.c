/* SPDX-License-Identifier: MIT */
/*
 * The model files: the shipped graph, regressions and parameters load and
 * say what the paper says; Table 4.2 evaluates to the paper's formulas;
 * malformed files are refused with FILE:LINE: reason and change nothing.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pdo_model.h"

static struct pdo_bundle *load_shipped(void)
{
	struct pdo_bundle *b = malloc(sizeof(*b));
	char err[PDO_ERR_MAX] = "";

	assert_non_null(b);
	if (pdo_bundle_load(b, PDO_MODELS_DIR, NULL, NULL, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	return b;
}

static int find_layer(const struct pdo_graph *g, const char *name)
{
	for (uint32_t i = 0; i < g->nlayers; i++)
		if (!strcmp(g->layers[i].name, name))
			return (int)i;
	fail_msg("no layer %s", name);
	return -1;
}

/* Section 5.2: five exits, side branches of 7, 7, 8, 8 layers. */
static void test_shipped_graph(void **state)
{
	static const uint32_t want_len[6] = { 0, 7, 7, 8, 8, 22 };
	struct pdo_bundle *b = load_shipped();
	const struct pdo_graph *g = &b->g;
	uint32_t len[PDO_MAX_EXITS + 1] = { 0 };

	(void)state;
	assert_int_equal(g->nexits, 5);
	assert_int_equal(g->nlayers, 52);
	assert_int_equal(g->in_bytes, 3 * 32 * 32 * 4);
	for (uint32_t i = 0; i < g->nlayers; i++)
		len[g->layers[i].branch]++;
	for (int k = 1; k <= 5; k++)
		assert_int_equal(len[k], want_len[k]);
	assert_string_equal(g->layers[g->exit_leaf[5]].name, "fc3");
	assert_string_equal(g->layers[g->exit_leaf[1]].name, "b1fc2");
	/* pool5 gives the 1024 inputs of fc1 (64 x 4 x 4, ceil-mode pooling) */
	assert_int_equal(g->layers[find_layer(g, "fc1")].in_bytes, 1024 * 4);
	free(b);
}

/*
 * The ImageNet-size variant loads, and its main-branch tensors agree with
 * the DDPQN AlexNet sheet (output sizes in MB, rounded to 1-2 digits there).
 */
static void test_imagenet_graph_vs_ddpqn_sheet(void **state)
{
	static const char *const our_name[][2] = {
		{ "fc6", "fc1" }, { "fc7", "fc2" }, { "fc8", "fc3" },
	};
	struct pdo_graph *g = malloc(sizeof(*g));
	char err[PDO_ERR_MAX], line[256];
	FILE *f;
	int rows = 0;

	(void)state;
	assert_non_null(g);
	if (pdo_graph_load(PDO_MODELS_DIR "/balexnet_imagenet.graph", g, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(g->nlayers, 52);
	f = fopen(PDO_MODELS_DIR "/ddpqn_alexnet.csv", "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));	/* header */
	while (fgets(line, sizeof(line), f)) {
		char name[32];
		double exec_s, size_mb;
		const char *ours;

		if (sscanf(line, "%*d,%31[^,],%lf,%lf", name, &exec_s, &size_mb) != 3)
			fail_msg("bad csv line: %s", line);
		ours = name;
		for (size_t i = 0; i < 3; i++)
			if (!strcmp(name, our_name[i][0]))
				ours = our_name[i][1];
		size_mb -= (double)g->layers[find_layer(g, ours)].out_bytes / 1e6;
		if (fabs(size_mb) > 0.065)
			fail_msg("%s: sheet and graph differ by %.3f MB", name, size_mb);
		rows++;
	}
	fclose(f);
	assert_int_equal(rows, 11);
	free(g);
}

/* The shipped params file states exactly the built-in defaults. */
static void test_params_file_is_default(void **state)
{
	struct pdo_bundle *b = load_shipped();
	struct pdo_params d;

	(void)state;
	pdo_params_default(&d);
	assert_memory_equal(&b->p, &d, sizeof(d));
	assert_float_equal(d.bandwidth_mhz * log2(1 + pow(10, d.snr_db / 10)), 74.0, 0.01);
	free(b);
}

/*
 * Table 4.2 by hand: each row's expected value is the paper's formula
 * computed from the layer's Table 4.1 variables (sizes in bytes).
 */
static void test_table_4_2(void **state)
{
	static const struct {
		const char *layer;
		unsigned int site;
		double ms;
	} rows[] = {
		/* conv1: x1 = 12288 B, x2 = (5/1)^2 * 32 * 3 = 2400 */
		{ "conv1", PDO_DEVICE, 6.13e-3 * 12288 + 2.67e-2 * 2400 - 9.909 },
		{ "conv1", PDO_EDGE, 6.03e-5 * 12288 + 1.24e-4 * 2400 + 1.89e-1 },
		/* conv2: x1 = 32768 B, x2 = 25 * 64 * 32 = 51200 */
		{ "conv2", PDO_DEVICE, 6.13e-3 * 32768 + 2.67e-2 * 51200 - 9.909 },
		{ "conv3", PDO_EDGE, 6.03e-5 * 16384 + 1.24e-4 * (9 * 96 * 64) + 1.89e-1 },
		{ "relu1", PDO_DEVICE, 1.5e-5 * 131072 + 4.88e-1 },
		{ "relu1", PDO_EDGE, 5.6e-6 * 131072 + 5.69e-2 },
		{ "pool1", PDO_DEVICE, 1.33e-4 * 131072 + 3.31e-5 * 32768 + 1.657 },
		{ "pool1", PDO_EDGE, 1.63e-5 * 131072 + 4.07e-6 * 32768 + 2.11e-1 },
		{ "lrn1", PDO_DEVICE, 5.19e-4 * 32768 + 5.89e-1 },
		{ "lrn2", PDO_EDGE, 6.59e-5 * 16384 + 7.80e-2 },
		{ "drop1", PDO_DEVICE, 6.59e-5 * 1024 + 5.25e-2 },
		{ "drop1", PDO_EDGE, 5.23e-6 * 1024 + 4.64e-3 },
		{ "fc1", PDO_DEVICE, 9.18e-4 * 4096 + 3.99e-3 * 1024 + 1.169 },
		{ "fc1", PDO_EDGE, 1.07e-4 * 4096 - 1.83e-4 * 1024 + 1.64e-1 },
		{ "fc3", PDO_EDGE, 1.07e-4 * 512 - 1.83e-4 * 40 + 1.64e-1 },
	};
	struct pdo_bundle *b = load_shipped();

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct pdo_layer *l = &b->g.layers[find_layer(&b->g, rows[i].layer)];
		double got = pdo_layer_ms(&b->r, rows[i].site, l);

		if (fabs(got - rows[i].ms) > 1e-9 * rows[i].ms)
			fail_msg("%s on %s: %.9f ms, Table 4.2 gives %.9f", rows[i].layer,
				 pdo_site_name(rows[i].site), got, rows[i].ms);
	}
	assert_float_equal(pdo_reg_ms(&b->r, PDO_DEVICE, PDO_REG_LOAD, 1e6),
			   4.49e-6 * 1e6 + 82.136, 1e-9);
	assert_float_equal(pdo_reg_ms(&b->r, PDO_EDGE, PDO_REG_LOAD, 1e6),
			   1.33e-6 * 1e6 + 2.182, 1e-9);
	assert_float_equal(pdo_reg_ms(&b->r, PDO_DEVICE, PDO_REG_PARSE, 40),
			   3.48e-6 * 40 + 4.253, 1e-9);
	/* the device's conv fit is negative for a tiny layer: clamped to 0 */
	{
		struct pdo_layer tiny = { .type = PDO_CONV, .x1 = 4, .x2 = 1 };

		assert_true(pdo_layer_ms(&b->r, PDO_DEVICE, &tiny) == 0);
	}
	free(b);
}

struct bad_row {
	const char *text;
	const char *err;		/* expected in the message */
};

typedef int (*parse_fn)(const char *name, const char *text, void *out, char *err,
			size_t errlen);

static int regress_p(const char *n, const char *t, void *o, char *e, size_t l)
{
	return pdo_regress_parse(n, t, o, e, l);
}

static int params_p(const char *n, const char *t, void *o, char *e, size_t l)
{
	return pdo_params_parse(n, t, o, e, l);
}

/* Every row is refused with its message, and @out is left as it was. */
static void check_refusals(const char *name, const struct bad_row *rows, size_t n,
			   parse_fn fn, void *out, size_t size)
{
	void *keep = malloc(size);
	char err[PDO_ERR_MAX];

	assert_non_null(keep);
	memcpy(keep, out, size);
	for (size_t i = 0; i < n; i++) {
		err[0] = '\0';
		if (fn(name, rows[i].text, out, err, sizeof(err)) != -EINVAL)
			fail_msg("case %zu accepted", i);
		if (!strstr(err, rows[i].err))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, rows[i].err);
		assert_memory_equal(out, keep, size);
	}
	free(keep);
}

static int graph_p(const char *n, const char *t, void *o, char *e, size_t l)
{
	return pdo_graph_parse(n, t, o, e, l);
}

#define HDR "prednnoff-graph 1\nmodel t\nelem_bytes 4\ninput 3x8x8\nexits 2\n"
#define TRUNK "layer c1 conv input 2 3x8x8 4x8x8 k=3 s=1 p=1 n=4\n" \
	      "layer r1 relu c1 2 4x8x8 4x8x8\n" \
	      "layer f1 fc r1 2 256 10\n"
#define SIDE "layer s1 fc r1 1 256 10\n"

static const struct bad_row bad_graphs[] = {
	{ "", "t.graph:1: empty file" },
	{ "prednnoff-graph 2\n", "t.graph:1: expected 'prednnoff-graph 1'" },
	{ "# c\nprednnoff-graph 1\nmodel t\nbogus 1\n", "t.graph:4: unknown keyword 'bogus'" },
	{ HDR "layer c1 conv9 input 2 3x8x8 4x8x8\n", "t.graph:6: unknown layer type 'conv9'" },
	{ HDR "layer c1 conv nowhere 2 3x8x8 4x8x8 k=3 n=4\n",
	  "t.graph:6: parent 'nowhere' is not a layer defined above" },
	{ HDR "layer c1 conv input 2 3x9x8 4x8x8 k=3 s=1 p=1 n=4\n",
	  "t.graph:6: input 3x9x8 does not match the parent's output 3x8x8" },
	{ HDR "layer c1 conv input 2 3x8x8 4x7x8 k=3 s=1 p=1 n=4\n",
	  "t.graph:6: conv output should be 4x8x8" },
	{ HDR "layer c1 conv input 2 3x8x8 4x8x8 k=x s=1 n=4\n",
	  "t.graph:6: layer parameter 'x' is not an integer" },
	{ HDR "layer c1 conv input 2 3x8x8 4x8x8 s=1 n=4\n", "t.graph:6: conv needs k=" },
	{ HDR TRUNK "layer s1 fc r1 1 255 10\n", "t.graph:9: fc input has 255 elements" },
	{ HDR TRUNK SIDE "layer s2 fc r1 1 256 10\n",
	  "t.graph:10: branch 1 already started" },
	{ HDR TRUNK SIDE "layer r2 relu r1 2 4x8x8 4x8x8\n",
	  "t.graph:10: branch 2 forks at 'r1'" },
	{ HDR TRUNK, "t.graph:8: branch 1 has no layers" },
	{ HDR TRUNK "layer s1 fc r1 3 256 10\n", "t.graph:9: branch 3 outside 1..2" },
	{ HDR "layer s1 fc input 1 192 10\n", "t.graph:6: only the first layer of the main" },
	{ HDR TRUNK "layer r1 relu c1 2 4x8x8 4x8x8\n", "t.graph:9: layer 'r1' defined twice" },
	{ HDR "layer c1 conv input 2 3x8x8 4x8x8 k=3 s=1 p=1 n=4\n"
	  "layer r1 relu c1 2 4x8x8 4x8x8\n" SIDE,
	  "t.graph:8: layer 'r1' ends branch 2 but has children" },
	{ HDR TRUNK "layer p1 pool r1 2 4x8x8 4x3x3 k=2 s=2\n",
	  "t.graph:9: pool output should be 4x4x4 (floor) or 4x4x4 (ceil)" },
	{ "prednnoff-graph 1\nmodel t\nlayer a relu input 1 1 1\n",
	  "t.graph:3: 'elem_bytes', 'input' and 'exits' must come before layers" },
};

static void test_bad_graphs(void **state)
{
	struct pdo_graph *g = malloc(sizeof(*g));
	char err[PDO_ERR_MAX];

	(void)state;
	assert_non_null(g);
	/* the good base parses */
	assert_int_equal(pdo_graph_parse("t.graph", HDR TRUNK SIDE, g, err, sizeof(err)), 0);
	check_refusals("t.graph", bad_graphs, sizeof(bad_graphs) / sizeof(bad_graphs[0]),
		       graph_p, g, sizeof(*g));
	assert_int_equal(pdo_graph_load("/nonexistent/x.graph", g, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x.graph: cannot open"));
	free(g);
}

#define RHDR "prednnoff-regression 1\n"

static void test_bad_regressions(void **state)
{
	static const struct bad_row rows[] = {
		{ RHDR "model cloud conv 1 1 1\n", "t.reg:2: site 'cloud' is not device or edge" },
		{ RHDR "model edge softmax 1 0 1\n", "t.reg:2: kind 'softmax' unknown" },
		{ RHDR "model edge relu 1 2 3\n", "t.reg:2: relu has one variable: C2 must be 0" },
		{ RHDR "model edge relu 1 0\n", "t.reg:2: 'model' takes 5 value(s), got 4" },
		{ RHDR "model edge relu 1 0 x\n", "t.reg:2: coefficient 'x' is not a number" },
		{ RHDR "model edge relu 1 0 1\nmodel edge relu 1 0 1\n",
		  "t.reg:3: edge relu given twice" },
		{ RHDR "model edge relu 1 0 1\n", "t.reg:1: missing 'model device conv'" },
	};
	struct pdo_regress r;

	(void)state;
	memset(&r, 0x5a, sizeof(r));
	check_refusals("t.reg", rows, sizeof(rows) / sizeof(rows[0]), regress_p, &r, sizeof(r));
}

#define PHDR "prednnoff-params 1\n"

static void test_bad_params(void **state)
{
	static const struct bad_row rows[] = {
		{ PHDR "acc 0.7 0.6\n", "t.par:2: accuracies must not decrease" },
		{ PHDR "tiers 4\n", "t.par:2: tiers '4' is not a number in 2..3" },
		{ PHDR "tiers 2.5\n", "t.par:2: tiers '2.5' must be an integer" },
		{ PHDR "loading sometimes\n", "t.par:2: loading 'sometimes' is not once or per_task" },
		{ PHDR "\n\nwarp_speed 9\n", "t.par:4: unknown parameter 'warp_speed'" },
		{ PHDR "ga_paper.elite 40\n", "GA elite must be smaller than the population" },
		{ PHDR "snr_db\n", "t.par:2: 'snr_db' takes 1 value(s), got 0" },
	};
	struct pdo_params p, keep;
	char err[PDO_ERR_MAX];

	(void)state;
	pdo_params_default(&p);
	keep = p;
	check_refusals("t.par", rows, sizeof(rows) / sizeof(rows[0]), params_p, &p, sizeof(p));
	/* a good override changes only its field */
	assert_int_equal(pdo_params_parse("t.par", PHDR "snr_db 3.5\n", &p, err, sizeof(err)), 0);
	assert_true(p.snr_db == 3.5);
	p.snr_db = keep.snr_db;
	assert_memory_equal(&p, &keep, sizeof(p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_graph),
		cmocka_unit_test(test_imagenet_graph_vs_ddpqn_sheet),
		cmocka_unit_test(test_params_file_is_default),
		cmocka_unit_test(test_table_4_2),
		cmocka_unit_test(test_bad_graphs),
		cmocka_unit_test(test_bad_regressions),
		cmocka_unit_test(test_bad_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
