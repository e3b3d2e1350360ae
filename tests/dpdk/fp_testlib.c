/* SPDX-License-Identifier: MIT */
#include "fp_testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include <linux/types.h>
#include <rte_eal.h>

#include "esop.h"
#include "esop_fixtures.h"

static char run_prefix[96];
int fp_test_failures;

int fp_test_eal(const char *name, unsigned int nlcores, const char *const *vdevs,
		unsigned int nvdevs)
{
	char lcores[32], prefix[96];
	char *argv[64];
	int argc = 0;

	snprintf(lcores, sizeof(lcores), "0-%u", nlcores - 1);
	snprintf(prefix, sizeof(prefix), "%s_%d", name, (int)getpid());
	snprintf(run_prefix, sizeof(run_prefix), "%s", prefix);
	argv[argc++] = (char *)name;
	argv[argc++] = "-l";
	argv[argc++] = lcores;
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-huge";
	argv[argc++] = "-m";
	argv[argc++] = "1024";
	argv[argc++] = "--file-prefix";
	argv[argc++] = prefix;
	argv[argc++] = "--log-level";
	argv[argc++] = "*:warning";
	for (unsigned int i = 0; i < nvdevs && argc < 62; i++) {
		argv[argc++] = "--vdev";
		argv[argc++] = (char *)vdevs[i];
	}
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "skip: %s: EAL cannot start here\n", name);
		exit(77);
	}
	return 0;
}

void fp_test_rm_run_dir(const char *prefix)
{
	char dir[300], path[600];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "/var/run/dpdk/%s", prefix);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int fp_test_eal_done(void)
{
	rte_eal_cleanup();
	fp_test_rm_run_dir(run_prefix);
	if (fp_test_failures)
		fprintf(stderr, "FAILED: %d checks\n", fp_test_failures);
	return fp_test_failures ? 1 : 0;
}

int fp_test_world_policy(struct es_policy *p)
{
	return esop_fix_world_policy(p);
}

int fp_test_synth_policy(struct es_policy *p, uint32_t ndev, uint32_t napps,
			 uint64_t epoch, uint16_t split, uint32_t rate_kbps,
			 uint8_t kind_of_app0)
{
	static const uint8_t kinds[3] = { ESOP_TARGET_EDGE, ESOP_TARGET_CLOUD,
					  ESOP_TARGET_LOCAL };

	if (!napps || napps > ES_MAX_APPS_PER_DEVICE)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->epoch = epoch;
	p->default_rate_kbps = 1000;
	p->default_burst_bytes = 65536;
	p->nservers = 2;
	for (int i = 0; i < 2; i++) {
		struct es_server *s = &p->servers[i];

		snprintf(s->name, sizeof(s->name), i ? "cloud0" : "edge0");
		s->kind = i ? ESOP_TARGET_CLOUD : ESOP_TARGET_EDGE;
		s->udp_port = ESOP_DEFAULT_PORT;
		s->port = (uint16_t)(1 + i);
		uint8_t mac[6] = { 2, 0, 0, 0, (uint8_t)(1 + i), 2 };
		uint8_t ip[4] = { 198, 18, (uint8_t)(1 + i), 2 };
		memcpy(s->mac, mac, 6);
		memcpy(s->ip, ip, 4);
	}
	p->devices = malloc(sizeof(*p->devices) * ndev);
	p->apps = malloc(sizeof(*p->apps) * ndev * napps);
	if (!p->devices || !p->apps) {
		fp_test_policy_free(p);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < ndev; i++) {
		struct es_device *d = &p->devices[i];

		d->id = i + 1;
		d->rate_kbps = rate_kbps;
		d->burst_bytes = 1000000;
		d->apps_off = p->napps;
		d->napps = (uint8_t)napps;
		memset(d->pad, 0, sizeof(d->pad));
		for (uint32_t a = 0; a < napps; a++) {
			struct es_app *o = &p->apps[p->napps++];
			uint8_t k = a == 0 ? kind_of_app0 : kinds[a % 3];

			o->app = (uint16_t)(a + 1);
			o->target_kind = k;
			o->server = k == ESOP_TARGET_CLOUD ? 1 : 0;
			o->split_layer = split;
			o->exit = 0;
			o->pad = 0;
		}
	}
	p->ndevices = ndev;
	return 0;
}

void fp_test_policy_free(struct es_policy *p)
{
	free(p->devices);
	free(p->apps);
	p->devices = NULL;
	p->apps = NULL;
}
