/* SPDX-License-Identifier: MIT */
/*
 * fuzz_seeds OUTDIR POLICY.json: writes the seed inputs that exist only as
 * the project's own writers make them (binary formats), so the seeds follow
 * the formats: OUTDIR/nn_file (small weights files), OUTDIR/dil_set (small
 * demonstration sets), OUTDIR/ctl_request (one request of each type).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl_proto.h"
#include "es_policy.h"
#include "esop_fixtures.h"
#include "fp_delta.h"
#include "fp_table.h"
#include "dil_set.h"
#include "nn_file.h"
#include "nn_rng.h"

static const char *out;

static void need(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "fuzz_seeds: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
		exit(1);
	}
}

static void dir(const char *name)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", out, name);
	if (mkdir(p, 0755) && errno != EEXIST)
		need(-errno, p);
}

static void nn_seeds(void)
{
	const uint32_t sizes[3] = { 2, 3, 2 };
	const enum nn_act acts[2] = { NN_ACT_RELU, NN_ACT_SIGMOID };
	struct nn_rng rng;
	struct nn *net;
	char p[4096];

	dir("nn_file");
	nn_rng_seed(&rng, 7);
	need(nn_create(&net, 2, sizes, acts, 1), "nn_create");
	nn_init(net, &rng, 0.5f);
	snprintf(p, sizeof(p), "%s/nn_file/small-2-3-2.nnw", out);
	need(nn_file_save(p, &net, 1), p);
	/* the same with its int8 quantisation section (format version 2) */
	snprintf(p, sizeof(p), "%s/nn_file/small-2-3-2-int8.nnw", out);
	need(nn_file_save_quant(p, &net, 1, NN_FILE_QUANT_INT8), p);
	nn_free(net);
}

static void dil_seeds(void)
{
	struct dil_params prm;
	struct dil_set *s;
	char p[4096], err[256];

	dir("dil_set");
	for (uint32_t t = 1; t <= 3; t += 2) {
		dil_params_default(&prm, t);
		need(dil_set_generate(&prm, 11, 0, 2, &s), "dil_set_generate");
		snprintf(p, sizeof(p), "%s/dil_set/tasks%u-count2.dil", out, t);
		if (dil_set_write(s, p, err, sizeof(err))) {
			fprintf(stderr, "fuzz_seeds: %s\n", err);
			exit(1);
		}
		dil_set_free(s);
	}
}

static void request(const char *name, uint16_t type, uint32_t flags, const void *a,
		    size_t an, const void *b, size_t bn)
{
	struct ctl_msg_hdr h;
	char p[4096];
	FILE *f;

	snprintf(p, sizeof(p), "%s/ctl_request/%s", out, name);
	ctl_proto_hdr(&h, type, flags, 0, an + bn);
	f = fopen(p, "wb");
	if (!f || fwrite(&h, sizeof(h), 1, f) != 1 || (an && fwrite(a, an, 1, f) != 1) ||
	    (bn && fwrite(b, bn, 1, f) != 1) || fclose(f))
		need(-EIO, p);
}

static void ctl_seeds(const char *policy)
{
	const char name[] = "\x0b\x00" "example.json";
	uint32_t dev = 1;
	uint64_t epoch = 0;
	char *json;
	long n;
	FILE *f = fopen(policy, "rb");

	dir("ctl_request");
	if (!f)
		need(-errno, policy);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	json = malloc((size_t)n);
	if (!json || fread(json, 1, (size_t)n, f) != (size_t)n)
		need(-EIO, policy);
	fclose(f);
	request("push", CTL_REQ_PUSH, 0, name, sizeof(name) - 1, json, (size_t)n);
	request("push-force", CTL_REQ_PUSH, CTL_F_FORCE, "\0", 2, json, (size_t)n);
	request("show", CTL_REQ_SHOW, 0, &dev, sizeof(dev), NULL, 0);
	request("rollback", CTL_REQ_ROLLBACK, 0, &epoch, sizeof(epoch), NULL, 0);
	request("stats", CTL_REQ_STATS, 0, NULL, 0, NULL, 0);
	free(json);
}

/* The fixture world compiled as the control plane sends it to the fast path. */
static void fp_table_seeds(void)
{
	struct es_policy pol;
	char p[4096];
	int64_t n;
	void *blob;
	FILE *f;

	dir("fp_table");
	need(esop_fix_world_policy(&pol), "esop_fix_world_policy");
	n = fp_table_size(&pol);
	if (n < 0)
		need((int)n, "fp_table_size");
	blob = calloc(1, (size_t)n);
	if (!blob)
		need(-ENOMEM, "fp_table blob");
	n = fp_table_build(&pol, blob, (size_t)n);
	if (n < 0)
		need((int)n, "fp_table_build");
	snprintf(p, sizeof(p), "%s/fp_table/world.tbl", out);
	f = fopen(p, "wb");
	if (!f || fwrite(blob, 1, (size_t)n, f) != (size_t)n || fclose(f))
		need(-EIO, p);
	free(blob);
	esop_fix_world_policy_free(&pol);
}

/*
 * Deltas against the fixture world's table as edgesteerd compiles them:
 * its first device with a new rate, and that plus its last device removed.
 */
static void fp_delta_seeds(void)
{
	struct es_policy pol, sub;
	char p[4096];
	void *blob;
	size_t len;
	int64_t n;
	FILE *f;

	dir("fp_delta");
	need(esop_fix_world_policy(&pol), "esop_fix_world_policy");
	if (pol.ndevices < 2)
		need(-EINVAL, "fixture world: fewer than 2 devices");
	for (int k = 0; k < 2; k++) {
		uint32_t rm = pol.devices[pol.ndevices - 1].id;
		struct fp_delta_src src = { .p = &sub, .remove = &rm, .nremove = (uint32_t)k,
					    .base_epoch = pol.epoch };

		sub = pol;
		sub.epoch = pol.epoch + 1;
		sub.ndevices = 1;
		pol.devices[0].rate_kbps += 1;
		n = fp_delta_size(&src);
		if (n < 0)
			need((int)n, "fp_delta_size");
		len = (size_t)n;
		blob = aligned_alloc(8, (len + 7) & ~(size_t)7);
		if (!blob)
			need(-ENOMEM, "fp_delta blob");
		n = fp_delta_build(&src, blob, len);
		if (n < 0)
			need((int)n, "fp_delta_build");
		snprintf(p, sizeof(p), "%s/fp_delta/world-%d.dlt", out, k);
		f = fopen(p, "wb");
		if (!f || fwrite(blob, 1, (size_t)n, f) != (size_t)n || fclose(f))
			need(-EIO, p);
		free(blob);
	}
	esop_fix_world_policy_free(&pol);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: fuzz_seeds OUTDIR POLICY.json\n");
		return 2;
	}
	out = argv[1];
	if (mkdir(out, 0755) && errno != EEXIST)
		need(-errno, out);
	nn_seeds();
	dil_seeds();
	ctl_seeds(argv[2]);
	fp_table_seeds();
	fp_delta_seeds();
	return 0;
}
