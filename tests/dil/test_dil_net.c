/* SPDX-License-Identifier: MIT */
/*
 * The learned DIL schemes on the learning core, kept to seconds: DIOS and
 * SOS trained briefly on a small demonstration set clear loose accuracy
 * and cost floors on held-out samples; the DP-repaired decoder is never
 * dearer than the arg max; weights files round-trip and a mismatched,
 * corrupt or truncated file is refused and changes nothing; DROS learns
 * from rewards to beat random placement; the eval command trains, saves,
 * then loads what it saved; the online policy decides with the network.
 * int8 inference: the pair harness scores each scheme as it scores it
 * alone, the int8 DIOS stays close to float, its weights file records the
 * quantisation, and eval --quantized reports both under their names.
 * The full training and its figures are the 'dil' benchmark.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "dil_dros.h"
#include "dil_eval.h"
#include "dil_net.h"
#include "dil_set.h"
#include "esop.h"
#include "nn_file.h"
#include "policy.h"

#include "dil_test.h"

#define TRAIN_N 20000
#define TEST_N 2000

struct fixture {
	struct dil_set *train, *test;
	struct dil_net *dios;
	char dir[256];
	char path[300];
};

static struct fixture F;

static int setup(void **state)
{
	struct dil_params p;
	struct dil_net_config c;
	const char *tmp = getenv("TMPDIR");

	(void)state;
	dil_params_default(&p, 6);
	if (dil_set_generate(&p, 7, 0, TRAIN_N, &F.train) ||
	    dil_set_generate(&p, 7, DIL_HELDOUT_FIRST, TEST_N, &F.test))
		return -1;
	dil_net_config_dios(&c, 6);
	c.epochs = 10;
	if (dil_net_create(&F.dios, &c) ||
	    dil_net_train(F.dios, F.train, NULL, NULL, NULL))
		return -1;
	snprintf(F.dir, sizeof(F.dir), "%s/test_dil_net.XXXXXX",
		 tmp ? tmp : "/tmp");
	if (!mkdtemp(F.dir))
		return -1;
	snprintf(F.path, sizeof(F.path), "%s/w.nnw", F.dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	dil_net_free(F.dios);
	dil_set_free(F.train);
	dil_set_free(F.test);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F.dir);
	return system(cmd) ? -1 : 0;
}

static void eval_scheme(struct dil_scheme *s, struct dil_eval_result *r)
{
	assert_int_equal(dil_eval_run(s, F.test, r), 0);
	dil_scheme_destroy(s);
}

static void eval_baseline(const char *name, struct dil_eval_result *r)
{
	struct dil_scheme s;

	assert_int_equal(dil_scheme_baseline(name, 1, &s), 0);
	eval_scheme(&s, r);
}

/* DIOS through the harness: loose floors after a short training. */
static void test_dios_learns(void **state)
{
	struct dil_eval_result dios, rep, gos, exact;
	struct dil_scheme s;
	unsigned cls;
	double maj = dil_eval_majority(F.test, &cls);

	(void)state;
	assert_int_equal(dil_scheme_net(F.dios, "DIOS", -1, &s), 0);
	eval_scheme(&s, &dios);
	assert_int_equal(dil_scheme_net(F.dios, "DIOS+DP", 0.2f, &s), 0);
	eval_scheme(&s, &rep);
	assert_int_equal(dil_scheme_net(F.dios, "all", 1.0f, &s), 0);
	eval_scheme(&s, &exact);
	eval_baseline("GOS", &gos);
	print_message("DIOS (%u demos): accuracy %.4f (majority %.4f), "
		      "cost_ratio %.4f; DIOS+DP %.4f; GOS %.4f\n", TRAIN_N,
		      dios.accuracy, maj, dios.cost_ratio, rep.cost_ratio,
		      gos.cost_ratio);
	assert_true(dios.accuracy >= 0.85);
	assert_true(dios.accuracy > maj + 0.4);
	assert_true(dios.cost_ratio < gos.cost_ratio);
	assert_true(dios.cost_ratio < 1.15);
	/* the repair keeps the arg max, so it is never dearer */
	assert_true(rep.mean_cost <= dios.mean_cost);
	assert_true(rep.regret_p99 <= dios.regret_p99);
	/* margin 1 keeps every location: the DP itself */
	assert_true(exact.cost_ratio == 1.0);
	assert_true(exact.optimal_fraction == 1.0);
}

/* SOS: one hidden layer, the same training. */
static void test_sos_learns(void **state)
{
	struct dil_net_config c;
	struct dil_net *n;
	struct dil_eval_result r;
	struct dil_scheme s;

	(void)state;
	dil_net_config_sos(&c, 6);
	c.epochs = 10;
	assert_int_equal(dil_net_create(&n, &c), 0);
	assert_int_equal(dil_net_train(n, F.train, NULL, NULL, NULL), 0);
	assert_int_equal(dil_scheme_net(n, "SOS", -1, &s), 0);
	eval_scheme(&s, &r);
	assert_true(r.accuracy >= 0.8);
	assert_true(r.cost_ratio < 1.2);
	dil_net_free(n);
	dil_net_config_dios(&c, 6);
	assert_int_equal(c.nhidden, 2);
	dil_net_config_sos(&c, 6);
	assert_int_equal(c.nhidden, 1);
}

/* Bad configurations and a set of another T are refused. */
static void test_net_config_refused(void **state)
{
	struct dil_net_config c;
	struct dil_net *n = NULL;
	struct dil_set *other;
	struct dil_params p;

	(void)state;
	dil_net_config_dios(&c, 6);
	c.nhidden = 0;
	assert_int_equal(dil_net_create(&n, &c), -EINVAL);
	dil_net_config_dios(&c, 0);
	assert_int_equal(dil_net_create(&n, &c), -EINVAL);
	dil_net_config_dios(&c, 6);
	c.features = 7;
	assert_int_equal(dil_net_create(&n, &c), -EINVAL);
	dil_net_config_dios(&c, 5);
	c.epochs = 1;
	assert_int_equal(dil_net_create(&n, &c), 0);
	dil_params_default(&p, 6);
	assert_int_equal(dil_set_generate(&p, 1, 0, 10, &other), 0);
	assert_int_equal(dil_net_train(n, other, NULL, NULL, NULL), -EINVAL);
	dil_set_free(other);
	dil_net_free(n);
}

static void scores_of(struct dil_net *n, float *y)
{
	struct dil_sample s;
	const float *out;

	dil_set_sample(F.test, 0, &s);
	assert_int_equal(dil_net_scores(n, &F.test->params, &s, &out), 0);
	memcpy(y, out, 18 * sizeof(float));
}

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static unsigned char *read_bytes(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	b = malloc((size_t)len);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return b;
}

/* Round trip, then every kind of unfit file refused with nothing changed. */
static void test_weights_file(void **state)
{
	struct dil_net_config c;
	struct dil_net *fresh, *sos, *t5, *raw;
	float want[18], got[18], before[18];
	unsigned char *good, *bad;
	size_t n;

	(void)state;
	assert_int_equal(dil_net_save(F.dios, F.path), 0);
	dil_net_config_dios(&c, 6);
	c.seed = 99;			/* other initial weights */
	assert_int_equal(dil_net_create(&fresh, &c), 0);
	scores_of(F.dios, want);
	scores_of(fresh, before);
	assert_memory_not_equal(want, before, sizeof(want));
	assert_int_equal(dil_net_load(fresh, F.path), 0);
	scores_of(fresh, got);
	assert_memory_equal(want, got, sizeof(want));

	/* shapes that differ: SOS, another T, the raw features */
	dil_net_config_sos(&c, 6);
	assert_int_equal(dil_net_create(&sos, &c), 0);
	assert_int_equal(dil_net_load(sos, F.path), -EDOM);
	dil_net_config_dios(&c, 5);
	assert_int_equal(dil_net_create(&t5, &c), 0);
	assert_int_equal(dil_net_load(t5, F.path), -EDOM);
	dil_net_config_dios(&c, 6);
	c.features = DIL_FEAT_RAW;
	assert_int_equal(dil_net_create(&raw, &c), 0);
	assert_int_equal(dil_net_load(raw, F.path), -EDOM);

	/* corrupt: a flipped weight byte, a truncation, a bad magic */
	good = read_bytes(F.path, &n);
	bad = malloc(n);
	assert_non_null(bad);
	dil_net_config_dios(&c, 6);
	c.seed = 5;
	dil_net_free(fresh);
	assert_int_equal(dil_net_create(&fresh, &c), 0);
	scores_of(fresh, before);
	memcpy(bad, good, n);
	bad[n / 2] ^= 0x40;
	write_bytes(F.path, bad, n);
	assert_int_equal(dil_net_load(fresh, F.path), -EBADMSG);
	write_bytes(F.path, good, n - 9);
	assert_int_equal(dil_net_load(fresh, F.path), -EBADMSG);
	memcpy(bad, good, n);
	bad[0] = 'X';
	write_bytes(F.path, bad, n);
	assert_int_equal(dil_net_load(fresh, F.path), -EBADMSG);
	assert_int_equal(dil_net_load(fresh, "/nonexistent/w.nnw"), -ENOENT);
	/* refused loads changed nothing */
	scores_of(fresh, got);
	assert_memory_equal(before, got, sizeof(got));
	write_bytes(F.path, good, n);
	assert_int_equal(dil_net_load(fresh, F.path), 0);
	scores_of(fresh, got);
	assert_memory_equal(want, got, sizeof(got));
	free(bad);
	free(good);
	dil_net_free(raw);
	dil_net_free(t5);
	dil_net_free(sos);
	dil_net_free(fresh);
}

/* DROS learns from rewards alone: far better than random placement. */
static void test_dros_learns(void **state)
{
	struct dil_dros_config c;
	struct dil_dros *d, *e;
	struct dil_eval_result r, ros;
	struct dil_scheme s;

	(void)state;
	dil_dros_config_default(&c, 6);
	c.episodes = 4000;
	assert_int_equal(dil_dros_create(&d, &c), 0);
	assert_int_equal(dil_dros_train(d, F.train, NULL, NULL), 0);
	assert_int_equal(dil_scheme_dros(d, &s), 0);
	eval_scheme(&s, &r);
	eval_baseline("ROS", &ros);
	print_message("DROS (%u episodes): accuracy %.4f, cost_ratio %.4f; "
		      "ROS %.4f\n", c.episodes, r.accuracy, r.cost_ratio,
		      ros.cost_ratio);
	assert_true(r.cost_ratio < 1.5);
	assert_true(r.cost_ratio < ros.cost_ratio / 2);
	/* its file: round trip and refusal by a DIOS-shaped net */
	assert_int_equal(dil_dros_save(d, F.path), 0);
	c.seed = 3;
	assert_int_equal(dil_dros_create(&e, &c), 0);
	assert_int_equal(dil_dros_load(e, F.path), 0);
	assert_int_equal(dil_scheme_dros(e, &s), 0);
	struct dil_eval_result r2;

	eval_scheme(&s, &r2);
	assert_true(r2.mean_cost == r.mean_cost);
	assert_int_equal(dil_net_load(F.dios, F.path), -EDOM);
	dil_dros_free(e);
	dil_dros_free(d);
}


static const cJSON *path_of(const cJSON *root, const char *a, const char *b,
			    const char *c)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, a);

	v = cJSON_GetObjectItemCaseSensitive(v, b);
	return c ? cJSON_GetObjectItemCaseSensitive(v, c) : v;
}

/* The eval command: train and save, then load what it saved. */
static void test_eval_command_learned(void **state)
{
	const char *train[] = { "--samples", "1000", "--demos-count", "3000",
				"--epochs", "4", "--episodes", "1500",
				"--models", F.dir, "--train", "--save",
				"--json", NULL };
	const char *load[] = { "--samples", "1000", "--models", F.dir,
			       "--json", NULL };
	static const char *const learned[] = { "DIOS", "DIOS+DP", "SOS",
					       "DROS" };
	char *text = NULL, *text2 = NULL, file[400];
	cJSON *a, *b;

	(void)state;
	assert_int_equal(run_eval(train, &text), 0);
	a = cJSON_Parse(text);
	assert_non_null(a);
	for (size_t k = 0; k < 4; k++) {
		const cJSON *v = path_of(a, "schemes", learned[k], "accuracy");

		assert_true(cJSON_IsNumber(v) && v->valuedouble > 0.4);
		v = path_of(a, "schemes", learned[k], "cost_ratio");
		assert_true(cJSON_IsNumber(v) && v->valuedouble >= 1.0);
	}
	assert_true(cJSON_IsNull(path_of(a, "learned", "DIOS", "weights")));
	snprintf(file, sizeof(file), "%s/dios_t6.nnw", F.dir);
	assert_int_equal(access(file, R_OK), 0);

	assert_int_equal(run_eval(load, &text2), 0);
	b = cJSON_Parse(text2);
	assert_non_null(b);
	assert_string_equal(cJSON_GetStringValue(path_of(b, "learned", "DIOS",
							 "weights")), file);
	for (size_t k = 0; k < 4; k++)
		assert_true(path_of(a, "schemes", learned[k],
				    "mean_cost")->valuedouble ==
			    path_of(b, "schemes", learned[k],
				    "mean_cost")->valuedouble);
	cJSON_Delete(a);
	cJSON_Delete(b);
	free(text);
	free(text2);

	/* a file that does not fit is an error, not a silent retrain */
	snprintf(file, sizeof(file), "%s/sos_t6.nnw", F.dir);
	assert_int_equal(dil_net_save(F.dios, file), 0);
	assert_int_equal(run_eval(load, &text), 1);
	free(text);
	assert_int_equal(unlink(file), 0);
}

/* The int8 copy of DIOS against its float self, through the pair harness. */
static void test_quantized_dios(void **state)
{
	struct dil_eval_result f, q, fp, qp;
	struct dil_scheme s[2];
	struct dil_net *back;
	struct dil_net_config c;

	(void)state;
	assert_int_equal(dil_scheme_net_mode(F.dios, "DIOS", -1, 1, &s[0]),
			 -EINVAL);
	assert_int_equal(dil_net_use_quantized(F.dios, 1), -EINVAL);
	assert_int_equal(dil_net_quantize(F.dios), 0);
	assert_int_equal(dil_scheme_net_mode(F.dios, "DIOS", -1, 1, &s[0]), 0);
	eval_scheme(&s[0], &q);
	assert_int_equal(dil_scheme_net_mode(F.dios, "DIOS", -1, 0, &s[0]), 0);
	eval_scheme(&s[0], &f);
	assert_int_equal(dil_scheme_net_mode(F.dios, "DIOS", -1, 1, &s[0]), 0);
	assert_int_equal(dil_scheme_net_mode(F.dios, "DIOS", -1, 0, &s[1]), 0);
	assert_int_equal(dil_eval_run_pair(&s[0], &s[1], F.test, &qp, &fp), 0);
	dil_scheme_destroy(&s[0]);
	dil_scheme_destroy(&s[1]);
	/* interleaving changes the timings only */
	assert_true(qp.accuracy == q.accuracy && qp.mean_cost == q.mean_cost);
	assert_true(fp.accuracy == f.accuracy && fp.mean_cost == f.mean_cost);
	print_message("DIOS (short training): accuracy int8 %.4f, float %.4f\n",
		      q.accuracy, f.accuracy);
	assert_true(fabs(q.accuracy - f.accuracy) < 0.01);
	/* the file records it; loading it runs int8 */
	assert_int_equal(dil_net_save(F.dios, F.path), 0);
	dil_net_config_dios(&c, 6);
	assert_int_equal(dil_net_create(&back, &c), 0);
	assert_int_equal(dil_net_load(back, F.path), 0);
	assert_int_equal(dil_scheme_net(back, "DIOS", -1, &s[0]), 0);
	eval_scheme(&s[0], &qp);
	assert_true(qp.accuracy == q.accuracy && qp.mean_cost == q.mean_cost);
	dil_net_free(back);
	assert_int_equal(dil_net_use_quantized(F.dios, 0), 0);
}

/* eval --quantized: both figures per learned scheme, float = plain run */
static void test_eval_quantized(void **state)
{
	const char *quant[] = { "--samples", "600", "--demos-count", "3000",
				"--epochs", "3", "--episodes", "800",
				"--models", F.dir, "--train", "--quantized",
				"--json", NULL };
	const char *plain[] = { "--samples", "600", "--demos-count", "3000",
				"--epochs", "3", "--episodes", "800",
				"--models", F.dir, "--train", "--json", NULL };
	static const char *const learned[] = { "DIOS", "DIOS+DP", "SOS",
					       "DROS" };
	static const char *const names[] = { "accuracy", "cost_ratio",
					     "us_per_decision",
					     "us_per_decision_cpu" };
	char *tq = NULL, *tp = NULL;
	cJSON *a, *b;

	(void)state;
	assert_int_equal(run_eval(quant, &tq), 0);
	assert_int_equal(run_eval(plain, &tp), 0);
	a = cJSON_Parse(tq);
	b = cJSON_Parse(tp);
	assert_non_null(a);
	assert_non_null(b);
	for (size_t k = 0; k < 4; k++)
		for (size_t n = 0; n < 4; n++) {
			char fl[64];

			snprintf(fl, sizeof(fl), "%s_float", names[n]);
			assert_true(cJSON_IsNumber(path_of(a, "schemes", learned[k],
							   names[n])));
			assert_true(cJSON_IsNumber(path_of(a, "schemes", learned[k],
							   fl)));
			assert_null(path_of(b, "schemes", learned[k], fl));
		}
	/* the float side is the plain run's; baselines have no _float */
	assert_true(path_of(a, "schemes", "DIOS", "accuracy_float")->valuedouble ==
		    path_of(b, "schemes", "DIOS", "accuracy")->valuedouble);
	assert_null(path_of(a, "schemes", "GOS", "accuracy_float"));
	assert_string_equal(cJSON_GetStringValue(path_of(a, "schemes", "DIOS",
							 "quantized")), "int8");
	cJSON_Delete(a);
	cJSON_Delete(b);
	free(tq);
	free(tp);
}

/* Online: the profile's "quantized" (after test_quantized_dios saved an
 * int8 file at F.path). */
static void test_online_quantized(void **state)
{
	static const struct {
		const char *q;
		int rc;
	} cases[] = {
		{ "", 0 }, { ",\"quantized\":true", 0 },
		{ ",\"quantized\":false", 0 }, { ",\"quantized\":1", -EINVAL },
	};
	const struct ctl_policy_ops *ops = ctl_policy_find("dil");
	char prof[320];

	(void)state;
	snprintf(prof, sizeof(prof), "%s/q.json", F.dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FILE *f = fopen(prof, "w");
		void *st = NULL;

		assert_non_null(f);
		fprintf(f, "{\"dil_apps\":1,\"weights\":\"w.nnw\"%s,\"apps\":"
			"[{\"app\":3,\"work_cycles\":[2e8,9e8,6e8,1e8,8e8,3e8],"
			"\"data_bytes\":[1.5e6,4e5,9e5,1.8e6,3e5,6e5,2.5e5]}]}",
			cases[i].q);
		fclose(f);
		assert_int_equal(ops->create(&st, prof), cases[i].rc);
		if (st)
			ops->destroy(st);
	}
	unlink(prof);
}

/*
 * Online: the policy decides with one forward pass of the network in the
 * profile's weights, each sub-task at its best-scored location with a
 * server; the table entry is the first sub-task that leaves the device.
 */
static void test_online_network(void **state)
{
	static const double w[6] = { 2e8, 9e8, 6e8, 1e8, 8e8, 3e8 };
	static const double d[7] = { 1.5e6, 4e5, 9e5, 1.8e6, 3e5, 6e5, 2.5e5 };
	static const int16_t snr_qdb[] = { 80, 20, -20, -80 };
	static const char profile[] =
		"{\"dil_apps\":1,\"decide\":\"dios\",\"weights\":\"w.nnw\","
		"\"apps\":[{\"app\":3,\"work_cycles\":[2e8,9e8,6e8,1e8,8e8,"
		"3e8],\"data_bytes\":[1.5e6,4e5,9e5,1.8e6,3e5,6e5,2.5e5]}]}";
	const struct ctl_policy_ops *ops = ctl_policy_find("dil");
	struct es_device dev = { .id = 1, .apps_off = 0, .napps = 1 };
	struct es_app app = { .app = 3, .target_kind = ESOP_TARGET_LOCAL };
	struct ctl_device_obs dobs = { .id = 1, .app_id = 3,
				       .pending_bytes = 1000 };
	struct ctl_server_obs sobs[2] = { { .queue_depth = 0 },
					  { .queue_depth = 0 } };
	static struct es_policy cur;
	struct ctl_epoch_obs obs = { .epoch = 1, .ndevices = 1,
				     .devices = &dobs, .in_force = &cur,
				     .servers = sobs };
	struct dil_params p;
	uint16_t splits[4];
	char prof[320];
	void *st;
	FILE *f;

	(void)state;
	table_edge_cloud(&cur, &dev, 1, &app, 1);
	assert_int_equal(dil_net_save(F.dios, F.path), 0);
	snprintf(prof, sizeof(prof), "%s/apps.json", F.dir);
	f = fopen(prof, "w");
	assert_non_null(f);
	fputs(profile, f);
	fclose(f);
	assert_int_equal(ops->create(&st, prof), 0);
	dil_params_default(&p, 6);
	for (size_t i = 0; i < sizeof(snr_qdb) / sizeof(snr_qdb[0]); i++) {
		struct dil_sample s = { .tasks = 6, .subcarriers = 256,
					.cores = 16,
					.snr = pow(10, snr_qdb[i] / 40.0),
					.wired_delay_s = 0.015,
					.work_cycles = w, .data_bytes = d };
		struct es_policy next;
		uint8_t place[6];
		const float *y;
		uint16_t k;
		int rc;

		dobs.snr_qdb = snr_qdb[i];
		assert_int_equal(dil_net_scores(F.dios, &p, &s, &y), 0);
		dil_decode_argmax(6, y, place);
		for (k = 0; k < 6 && place[k] == DIL_LOCAL; k++)
			;
		rc = ops->decide(st, &obs, &next);
		assert_true(rc == 0 || rc == 1);
		if (rc == 1)		/* the table in force already says it */
			next.apps = &app;
		assert_int_equal(next.apps[0].split_layer, k);
		splits[i] = k;
		assert_int_equal(next.apps[0].target_kind,
				 k < 6 ? place[k] : ESOP_TARGET_LOCAL);
		if (rc == 0) {
			app = next.apps[0];
			free(next.apps);
			free(next.devices);
		}
	}
	/* a strong signal offloads, a deep fade keeps all on the device */
	assert_true(splits[0] < 6);
	assert_int_equal(splits[3], 6);
	ops->destroy(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dios_learns),
		cmocka_unit_test(test_sos_learns),
		cmocka_unit_test(test_net_config_refused),
		cmocka_unit_test(test_weights_file),
		cmocka_unit_test(test_dros_learns),
		cmocka_unit_test(test_eval_command_learned),
		cmocka_unit_test(test_online_network),
		/* last: they give F.dios an int8 copy, which its saves record */
		cmocka_unit_test(test_quantized_dios),
		cmocka_unit_test(test_eval_quantized),
		cmocka_unit_test(test_online_quantized),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
