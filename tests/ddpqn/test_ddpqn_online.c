/* SPDX-License-Identifier: MIT */
/*
 * DDPQN online (create / observe / decide / destroy): argument and weights
 * refusals, the epoch's tasks from the devices with a task open, each one's
 * placement projected onto its app (kind, server of that kind, split), the
 * other devices untouched, no task -> unchanged; and the environment's
 * backlog, through which the observed server load enters.
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
#include <unistd.h>

#include <cmocka.h>

#include "ddpqn_dqn.h"
#include "ddpqn_online.h"
#include "ddpqn_train.h"
#include "esop.h"

#define NDEV 4
#define APP 7

static char wdir[] = "/tmp/ddpqn_onlineXXXXXX";
static char args[512];
static struct ddpqn_graph alex;
static unsigned alex_layers;

/* A quickly trained AlexNet/1-task DDPQN in a temporary weights folder. */
static int setup(void **state)
{
	struct ddpqn_graph_opts o = { .model = DDPQN_MODEL_ALEXNET };
	struct ddpqn_load_err err;
	struct ddpqn_params p;
	struct ddpqn_dqn_config c;
	struct ddpqn_env *env;
	struct ddpqn_dqn *d;
	char path[600];
	int rc;

	(void)state;
	if (!mkdtemp(wdir))
		return -1;
	if (ddpqn_graph_load(DDPQN_MODELS_DIR "/alexnet.csv", &o, &alex, &err))
		return -1;
	alex_layers = alex.n;
	ddpqn_params_default(&p, DDPQN_MODEL_ALEXNET);
	p.tasks = 1;
	if (ddpqn_env_create(&alex, &p, &env))
		return -1;
	ddpqn_dqn_variant("ddpqn", &c);
	c.episodes = 60;
	rc = ddpqn_dqn_create(&c, &d);
	if (!rc)
		rc = ddpqn_dqn_train(d, env, 0, NULL, NULL);
	ddpqn_weights_path(path, sizeof(path), wdir, "ddpqn", "alexnet", 1);
	if (!rc)
		rc = ddpqn_dqn_save(d, path);
	ddpqn_dqn_destroy(d);
	ddpqn_env_destroy(env);
	snprintf(args, sizeof(args), "model=alexnet,weights=%s,models_dir=%s", wdir,
		 DDPQN_MODELS_DIR);
	return rc;
}

static int teardown(void **state)
{
	char path[600];

	(void)state;
	ddpqn_weights_path(path, sizeof(path), wdir, "ddpqn", "alexnet", 1);
	unlink(path);
	rmdir(wdir);
	return 0;
}

static void test_create_refusals(void **state)
{
	char bad[600];
	const char *rows[] = {
		"model=lenet", "colour=blue", "model", "variant=triple",
		"model=alexnet,weights=/nonexistent",
	};
	const int want[] = { -EINVAL, -EINVAL, -EINVAL, -EINVAL, -ENOENT };
	void *s = (void *)1;

	(void)state;
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(bad, sizeof(bad), "%s", rows[i]);
		assert_int_equal(ddpqn_online_create(&s, bad), want[i]);
		assert_ptr_equal(s, (void *)1);	/* untouched */
	}
	/* a weights file that is not one: refused, not skipped */
	snprintf(bad, sizeof(bad), "%s/ddpqn-alexnet-5.nnw", wdir);
	FILE *f = fopen(bad, "w");
	assert_non_null(f);
	fputs("not weights\n", f);
	fclose(f);
	assert_int_equal(ddpqn_online_create(&s, args), -EBADMSG);
	unlink(bad);
}

/* Servers: edge, cloud, edge, cloud (table order); devices 1..4 with app 7. */
static void table(struct es_policy *p, struct es_device *dev, struct es_app *apps)
{
	static const uint8_t kinds[4] = { ESOP_TARGET_EDGE, ESOP_TARGET_CLOUD,
					  ESOP_TARGET_EDGE, ESOP_TARGET_CLOUD };

	memset(p, 0, sizeof(*p));
	p->epoch = 5;
	p->nservers = 4;
	for (unsigned k = 0; k < 4; k++) {
		snprintf(p->servers[k].name, ES_SERVER_NAME_MAX, "s%u", k);
		p->servers[k].kind = kinds[k];
	}
	for (unsigned d = 0; d < NDEV; d++) {
		dev[d] = (struct es_device){ .id = d + 1, .rate_kbps = 1000,
			.burst_bytes = 4096, .apps_off = d, .napps = 1 };
		apps[d] = (struct es_app){ .app = APP, .target_kind = ESOP_TARGET_LOCAL,
			.server = ES_SERVER_ANY, .split_layer = 0 };
	}
	p->ndevices = NDEV;
	p->napps = NDEV;
	p->devices = dev;
	p->apps = apps;
}

static void test_decide(void **state)
{
	struct es_device dev[NDEV];
	struct es_app apps[NDEV];
	struct ctl_device_obs dobs[NDEV];
	struct ctl_server_obs sobs[4] = { 0 };
	struct ctl_epoch_obs obs = { 0 };
	struct es_policy cur, next, again;
	void *s = NULL;

	(void)state;
	table(&cur, dev, apps);
	for (unsigned d = 0; d < NDEV; d++)
		dobs[d] = (struct ctl_device_obs){ .id = d + 1, .app_id = APP,
			.pending_bytes = d == 2 ? 0 : 150000 };
	obs = (struct ctl_epoch_obs){ .epoch = 5, .ndevices = NDEV, .devices = dobs,
		.in_force = &cur, .servers = sobs };
	assert_int_equal(ddpqn_online_create(&s, args), 0);
	assert_int_equal(ddpqn_online_observe(s, &obs), 0);
	int rc = ddpqn_online_decide(s, &obs, &next);
	assert_true(rc == 0 || rc == 1);
	assert_int_equal(next.epoch, 6);
	assert_int_equal(next.ndevices, NDEV);
	assert_int_equal(next.nservers, 4);
	for (unsigned d = 0; d < NDEV; d++) {
		const struct es_app *a = &next.apps[d];

		printf("# device %u: kind %u server %u split %u\n", d + 1, a->target_kind,
		       a->server, a->split_layer);
		assert_int_equal(next.devices[d].rate_kbps, 1000);
		if (d == 2) {	/* no task open: as in force */
			assert_memory_equal(a, &apps[d], sizeof(*a));
			continue;
		}
		if (a->target_kind == ESOP_TARGET_LOCAL) {
			assert_int_equal(a->server, ES_SERVER_ANY);
			assert_int_equal(a->split_layer, alex_layers);
		} else {
			assert_true(a->server < 4);
			assert_int_equal(cur.servers[a->server].kind, a->target_kind);
			assert_true(a->split_layer < alex_layers);
		}
	}
	/* the same observation, the same decision; then nothing changes */
	assert_int_equal(ddpqn_online_observe(s, &obs), 0);
	assert_int_equal(ddpqn_online_decide(s, &obs, &again), rc);
	assert_memory_equal(next.apps, again.apps, NDEV * sizeof(*next.apps));
	free(again.devices);
	free(again.apps);
	obs.in_force = &next;
	assert_int_equal(ddpqn_online_observe(s, &obs), 0);
	assert_int_equal(ddpqn_online_decide(s, &obs, &again), 1);
	free(again.devices);
	free(again.apps);
	/* no device with a task: the table as it is, next epoch */
	for (unsigned d = 0; d < NDEV; d++)
		dobs[d].pending_bytes = 0;
	obs.in_force = &cur;
	assert_int_equal(ddpqn_online_observe(s, &obs), 0);
	assert_int_equal(ddpqn_online_decide(s, &obs, &again), 1);
	assert_memory_equal(again.apps, apps, sizeof(apps));
	free(again.devices);
	free(again.apps);
	free(next.devices);
	free(next.apps);
	assert_int_equal(ddpqn_online_observe(s, NULL), -EINVAL);
	assert_int_equal(ddpqn_online_decide(s, NULL, &next), -EINVAL);
	ddpqn_online_destroy(s);
}

/* Observed load: every slot of a loaded server starts busy. */
static void test_backlog(void **state)
{
	struct ddpqn_params p;
	struct ddpqn_env *env;
	double busy[11] = { 0 }, before[11], after[11], r;
	int done;

	(void)state;
	ddpqn_params_default(&p, DDPQN_MODEL_ALEXNET);
	p.tasks = 1;
	assert_int_equal(ddpqn_env_create(&alex, &p, &env), 0);
	for (unsigned s = 0; s < 11; s++)
		assert_int_equal(ddpqn_env_peek(env, s, &before[s]), 0);
	busy[3] = 2.0;	/* an edge server, busy 2 s */
	busy[7] = -1;
	assert_int_equal(ddpqn_env_set_backlog(env, busy, 11), -EINVAL);
	busy[7] = 0;
	assert_int_equal(ddpqn_env_set_backlog(env, busy, 12), -EINVAL);
	assert_int_equal(ddpqn_env_set_backlog(env, busy, 11), 0);
	for (unsigned s = 0; s < 11; s++) {
		assert_int_equal(ddpqn_env_peek(env, s, &after[s]), 0);
		if (s == 3)
			assert_true(after[s] > before[s] + 0.5);
		else
			assert_float_equal(after[s], before[s], 1e-12);
	}
	/* kept across resets, and the observation shows it ([20 + s]) */
	ddpqn_env_reset(env);
	float st[DDPQN_STATE_DIM];
	ddpqn_env_observe(env, st);
	assert_true(st[23] > 0);
	assert_float_equal(st[24], 0, 1e-12);
	assert_int_equal(ddpqn_env_step(env, 3, &r, &done), 0);
	assert_float_equal(-r, after[3], 1e-12);
	ddpqn_env_destroy(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_refusals),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_backlog),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
