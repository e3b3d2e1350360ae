/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the online ops: solving the per-SNR tables (create, and each
 * re-solve), one lookup, and decide() over many devices, against the copy
 * of the table in force that decide() has to make anyway (measured in the
 * same run). Prints one JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "esop.h"
#include "prednnoff.h"

#define NDEV 100000u

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(void)
{
	struct es_device *devs = calloc(NDEV, sizeof(*devs)), *dcopy = calloc(NDEV, sizeof(*devs));
	struct es_app *apps = calloc(NDEV, sizeof(*apps)), *acopy = calloc(NDEV, sizeof(*apps));
	struct ctl_device_obs *obs = calloc(NDEV, sizeof(*obs));
	struct es_policy cur = { .epoch = 1, .nservers = 2, .ndevices = NDEV, .napps = NDEV };
	struct ctl_epoch_obs eo = { .epoch = 1, .ndevices = NDEV, .devices = obs, .in_force = &cur };
	struct prednnoff_answer a;
	struct es_policy next;
	double t0, create_us, resolve_us, lookup_ns, decide_us, copy_us;
	volatile unsigned int sink = 0;
	void *st = NULL;
	int rc;

	if (!devs || !dcopy || !apps || !acopy || !obs)
		return 1;
	cur.servers[0].kind = ESOP_TARGET_EDGE;
	cur.servers[1].kind = ESOP_TARGET_CLOUD;
	cur.devices = devs;
	cur.apps = apps;
	for (uint32_t i = 0; i < NDEV; i++) {
		devs[i] = (struct es_device){ .id = i + 1, .rate_kbps = 1000, .apps_off = i, .napps = 1 };
		apps[i] = (struct es_app){ .app = 3 };
		/* devices spread over -40..40 dB, half with early exits */
		obs[i] = (struct ctl_device_obs){ .id = i + 1, .app_id = 3,
			.snr_qdb = (int16_t)(-160 + (int)(i * 7919u % 321u)), .early_exit_ok = i & 1, .reported = 1 };
	}
	t0 = now_us();
	rc = prednnoff_policy.create(&st, "models=" PDO_MODELS_DIR);
	create_us = now_us() - t0;
	if (rc)
		return 1;
	t0 = now_us();
	prednnoff_set_demand(st, 0.6, 0.05);
	resolve_us = now_us() - t0;
	t0 = now_us();
	for (uint32_t i = 0; i < 10 * NDEV; i++) {
		prednnoff_lookup(st, obs[i % NDEV].snr_qdb, obs[i % NDEV].early_exit_ok, 3, &a);
		sink += a.split_layer;
	}
	lookup_ns = (now_us() - t0) * 1e3 / (10.0 * NDEV);
	/* decide() with every one of the 100k devices observed */
	memset(dcopy, 0, NDEV * sizeof(*devs));	/* first touch outside the timing */
	memset(acopy, 0, NDEV * sizeof(*apps));
	t0 = now_us();
	memcpy(dcopy, devs, NDEV * sizeof(*devs));
	memcpy(acopy, apps, NDEV * sizeof(*apps));
	copy_us = now_us() - t0;
	sink += dcopy[NDEV - 1].id + acopy[0].app;
	t0 = now_us();
	rc = prednnoff_policy.decide(st, &eo, &next);
	decide_us = now_us() - t0;
	if (rc == 0) {
		free(next.devices);
		free(next.apps);
	}
	printf("{\"bench\": \"prednnoff_online\", \"buckets_solved_per_resolve\": 324, "
	       "\"create_us\": %.1f, \"resolve_us\": %.1f, \"lookup_ns\": %.2f, "
	       "\"decide_us_100k_devices\": %.1f, \"copy_us_100k\": %.1f, "
	       "\"decide_over_copy\": %.2f, \"sink\": %u}\n", create_us, resolve_us, lookup_ns,
	       decide_us, copy_us, decide_us / copy_us, sink);
	prednnoff_policy.destroy(st);
	free(obs);
	free(acopy);
	free(apps);
	free(dcopy);
	free(devs);
	return 0;
}
