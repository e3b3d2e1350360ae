/* SPDX-License-Identifier: MIT */
/*
 * The layer-graph loader: the four models as the docs say they load (chains,
 * GoogLeNet's 19 cut points and rebuilt module 4b, ResNet101 fixed or
 * collapsed), the data README's claims about the ResNet sheet, and a table
 * of malformed files refused with the line and the reason.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ddpqn_graph.h"

static struct ddpqn_graph g, g2;

static int load(const char *model, const struct ddpqn_graph_opts *o,
		struct ddpqn_graph *out, struct ddpqn_load_err *err)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s.csv", DDPQN_MODELS_DIR, model);
	return ddpqn_graph_load(path, o, out, err);
}

static void test_chains(void **state)
{
	static const struct { const char *model; enum ddpqn_model m; unsigned n; } rows[] = {
		{ "alexnet", DDPQN_MODEL_ALEXNET, 11 },
		{ "vgg19", DDPQN_MODEL_VGG19, 24 },
	};
	struct ddpqn_load_err err;
	uint16_t cuts[DDPQN_MAX_LAYERS];

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct ddpqn_graph_opts o = { .model = rows[i].m };

		assert_int_equal(load(rows[i].model, &o, &g, &err), 0);
		assert_int_equal(g.n, rows[i].n);
		for (unsigned j = 0; j + 1 < g.n; j++) {
			assert_int_equal(g.layers[j].nsucc, 1);
			assert_int_equal(g.layers[j].succ[0], j + 1);
		}
		/* In a chain every layer is a cut point. */
		assert_int_equal(ddpqn_graph_cuts(&g, cuts), g.n);
	}
	assert_string_equal(g.layers[23].name, "fc8");
	assert_true(g.layers[0].out_mb == 12.8);
}

static void test_googlenet(void **state)
{
	/* The data README's 19 single-tensor cuts (1-based), then the sink. */
	static const uint16_t want[] = { 1, 2, 3, 4, 5, 6, 7, 15, 23, 24, 32, 40,
					 48, 56, 64, 65, 73, 81, 82, 83 };
	struct ddpqn_graph_opts o = { .model = DDPQN_MODEL_GOOGLENET };
	struct ddpqn_load_err err;
	uint16_t cuts[DDPQN_MAX_LAYERS];
	const struct ddpqn_layer *l;
	unsigned n;

	(void)state;
	assert_int_equal(load("googlenet", &o, &g, &err), 0);
	assert_int_equal(g.n, 83);
	n = ddpqn_graph_cuts(&g, cuts);
	assert_int_equal(n, 20);
	for (unsigned k = 0; k < n; k++)
		assert_int_equal(cuts[k] + 1, want[k]);
	/* Module 4b rebuilt from the names: 32 -> 33 | 34-35 | 36-37 | 38-39 -> 40. */
	l = &g.layers[31];
	assert_int_equal(l->nsucc, 4);
	assert_int_equal(l->succ[0], 32);
	assert_int_equal(l->succ[1], 33);
	assert_int_equal(l->succ[2], 35);
	assert_int_equal(l->succ[3], 37);
	assert_int_equal(g.layers[32].succ[0], 39);
	assert_int_equal(g.layers[33].succ[0], 34);
	assert_int_equal(g.layers[34].succ[0], 39);
	assert_int_equal(g.layers[36].succ[0], 39);
	assert_int_equal(g.layers[38].succ[0], 39);
	assert_int_equal(g.layers[39].npred, 4);

	/* Rebuilding every module from its names changes nothing else. */
	o.inception = DDPQN_INCEPTION_ALL;
	assert_int_equal(load("googlenet", &o, &g2, &err), 0);
	assert_memory_equal(&g, &g2, sizeof(g));

	/* The sheet's own wiring of 4b differs exactly there. */
	o.inception = DDPQN_INCEPTION_SHEET;
	assert_int_equal(load("googlenet", &o, &g2, &err), 0);
	for (unsigned j = 0; j < g.n; j++) {
		int same = g.layers[j].nsucc == g2.layers[j].nsucc &&
			   !memcmp(g.layers[j].succ, g2.layers[j].succ,
				   g.layers[j].nsucc * sizeof(uint16_t));

		assert_int_equal(same, !(j >= 31 && j <= 36));
	}
}

static void test_resnet(void **state)
{
	struct ddpqn_graph_opts o = { .model = DDPQN_MODEL_RESNET101 };
	struct ddpqn_load_err err;
	uint16_t cuts[DDPQN_MAX_LAYERS];
	unsigned adds = 0;

	(void)state;
	assert_int_equal(load("resnet101", &o, &g, &err), 0);
	assert_int_equal(g.n, 136 + 33);
	/* conv1, pool1, 33 add nodes, pool2, fc. */
	assert_int_equal(ddpqn_graph_cuts(&g, cuts), 37);
	for (unsigned j = 0; j < g.n; j++) {
		const struct ddpqn_layer *l = &g.layers[j];

		if (!strstr(l->name, "_add"))
			continue;
		adds++;
		assert_int_equal(l->npred, 2);
		assert_true(l->exec_s == 0);
		assert_int_equal(l->line, 0);
	}
	assert_int_equal(adds, 33);
	/* The typo'd name res4rbranch2b is still placed in its block. */
	for (unsigned j = 0; j < g.n; j++)
		if (!strcmp(g.layers[j].name, "res4rbranch2b")) {
			assert_string_equal(g.layers[j - 1].name, "res4r_branch2a");
			assert_string_equal(g.layers[j + 1].name, "res4r_branch2c");
		}
	assert_string_equal(g.layers[5].name, "res2a_branch2c");
	assert_string_equal(g.layers[6].name, "res2a_add");

	o.identity_branch1_zero = 1;
	assert_int_equal(load("resnet101", &o, &g2, &err), 0);
	assert_true(g2.layers[2].exec_s > 0);		/* res2a: projection */
	assert_string_equal(g2.layers[7].name, "res2b_branch1");
	assert_true(g2.layers[7].exec_s == 0);		/* identity */

	o.identity_branch1_zero = 0;
	o.resnet = DDPQN_RESNET_COLLAPSE;
	assert_int_equal(load("resnet101", &o, &g2, &err), 0);
	assert_int_equal(g2.n, 37);
	assert_string_equal(g2.layers[2].name, "res2a");
	assert_float_equal(g2.layers[2].exec_s, 0.00334978694304 + 0.00331817677917 +
			   0.00292149148329 + 0.00460395358559, 1e-15);
	for (unsigned j = 0; j + 1 < g2.n; j++)
		assert_int_equal(g2.layers[j].nsucc, 1);

	/* As the sheet says, the file is refused, naming the first bad row. */
	o.resnet = DDPQN_RESNET_SHEET;
	memset(&g2, 0x5a, sizeof(g2));
	assert_int_equal(load("resnet101", &o, &g2, &err), -EINVAL);
	assert_int_equal(err.line, 85);
	assert_non_null(strstr(err.reason, "itself"));
	for (size_t k = 0; k < sizeof(g2); k++)
		assert_int_equal(((unsigned char *)&g2)[k], 0x5a);
}

/* The data README's description of the ResNet sheet, checked on the file. */
static void test_resnet_sheet_claims(void **state)
{
	struct ddpqn_csv *csv = malloc(sizeof(*csv));
	struct ddpqn_load_err err;
	unsigned orphans = 0;
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/resnet101.csv", DDPQN_MODELS_DIR);
	assert_int_equal(ddpqn_csv_read(path, csv, &err), 0);
	assert_int_equal(csv->nrows, 136);
	for (unsigned i = 0; i < csv->nrows; i++) {
		int listed = 0;

		if (!strstr(csv->rows[i].name, "branch2a"))
			continue;
		for (unsigned k = 0; k < csv->nrows; k++)
			for (unsigned m = 0; m < csv->rows[k].nsucc; m++)
				if (k != i && csv->rows[k].succ[m] == i + 1)
					listed = 1;
		orphans += !listed;
	}
	/*
	 * 33 blocks; res2b's branch2a is reached only through layer 97's typo
	 * and res4n's lists only itself: 32 branch2a rows nobody else lists.
	 * (The data README says 34 blocks; the file says 32 rows.)
	 */
	assert_int_equal(orphans, 32);
	assert_int_equal(csv->rows[83].succ[0], 84);
	assert_int_equal(csv->rows[96].succ[0], 8);
	assert_int_equal(csv->rows[103].succ[0], 150);
	free(csv);
}

static void test_malformed(void **state)
{
	static const struct {
		const char *text;
		int rc;
		unsigned line;
		const char *reason;
	} rows[] = {
		{ "", -EINVAL, 0, "empty" },
		{ "layer,name\n1,a,1,1,\n", -EINVAL, 1, "header" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n", -EINVAL, 1, "no layer rows" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,1\n", -EINVAL, 2, "4 fields" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,1,2,3\n", -EINVAL, 2, "more than 5" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,1,2\n3,b,1,1,\n", -EINVAL, 3, "layer_no" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,abc,1,\n", -EINVAL, 2, "exec_time_s" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,-2,\n", -EINVAL, 2, "output_size_Mb" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,nan,1,\n", -EINVAL, 2, "exec_time_s" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,,1,1,\n", -EINVAL, 2, "layer_name" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a b,1,1,\n", -EINVAL, 2, "blank" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,1,x\n", -EINVAL, 2, "successor 'x'" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,1,2;\n2,b,1,1,\n", -EINVAL, 2, "ends with" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,1,2\n\n2,b,1,1,\n", -EINVAL, 3, "blank line" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,1,3\n2,b,1,1,\n", -EINVAL, 2, "beyond" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,1,1\n", -EINVAL, 2, "itself" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,1,2\n2,b,1,1,3\n3,c,1,1,2\n", -EINVAL, 4, "earlier" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,1,2;2\n2,b,1,1,\n", -EINVAL, 2, "twice" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,1,\n2,b,1,1,\n", -EINVAL, 3, "no predecessor" },
		{ "layer_no,layer_name,exec_time_s,output_size_Mb,successors\n1,a,1,1,2;3\n2,b,1,1,\n3,c,1,1,\n", -EINVAL, 0, "without successors" },
	};
	struct ddpqn_graph_opts o = { .model = DDPQN_MODEL_GENERIC };
	char path[] = "/tmp/ddpqn_csv_XXXXXX";
	struct ddpqn_load_err err;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(rows[i].text, f);
		fclose(f);
		memset(&g, 0x5a, sizeof(g));
		memset(&err, 0, sizeof(err));
		assert_int_equal(ddpqn_graph_load(path, &o, &g, &err), rows[i].rc);
		if (err.line != rows[i].line || !strstr(err.reason, rows[i].reason))
			fail_msg("row %u: got line %u '%s', want line %u '%s'", i,
				 err.line, err.reason, rows[i].line, rows[i].reason);
		assert_string_equal(err.file, path);
		assert_int_equal(((unsigned char *)&g)[0], 0x5a);	/* untouched */
	}
	/* CRLF line ends are fine. */
	{
		FILE *f = fopen(path, "w");

		fputs("layer_no,layer_name,exec_time_s,output_size_Mb,successors\r\n"
		      "1,a,1,1,2\r\n2,b,0.5,0,\r\n", f);
		fclose(f);
		assert_int_equal(ddpqn_graph_load(path, &o, &g, &err), 0);
		assert_int_equal(g.n, 2);
		assert_int_equal(g.layers[1].npred, 1);
	}
	unlink(path);
	assert_int_equal(ddpqn_graph_load("/nonexistent/x.csv", &o, &g, &err), -ENOENT);
	assert_non_null(strstr(err.reason, "cannot open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_googlenet),
		cmocka_unit_test(test_resnet),
		cmocka_unit_test(test_resnet_sheet_claims),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
