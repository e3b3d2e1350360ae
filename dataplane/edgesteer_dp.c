/* SPDX-License-Identifier: MIT */
/*
 * edgesteer-dp: the DPDK fast path. Standard EAL arguments, then ours:
 *   edgesteer-dp [EAL args] -- [--socket PATH] [--max-devices N]
 *                [--esop-port P] [--burst N]
 * Port 0 is the AP side; servers' ports are the table's `port` indices.
 * Every worker lcore polls its own RX queue of port 0 and owns a TX queue
 * on every port; the main lcore waits. Tables arrive on the control socket.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "fp_ctl.h"
#include "fp_dp.h"
#include "fp_port.h"
#include "fp_tel.h"

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: edgesteer-dp [EAL options] -- [OPTIONS]\n"
"\n"
"The EdgeSteer DPDK fast path. Port 0 faces the access point; server ports\n"
"are the policy table's `port` indices. Tables are pushed by edgesteerd on\n"
"the control socket; stats via dpdk-telemetry.py (/edgesteer/stats,\n"
"/edgesteer/device,ID, /edgesteer/table).\n"
"\n"
"Options:\n"
"  --socket PATH       control socket (default /run/edgesteer/dp.sock)\n"
"  --max-devices N     table limit and meter capacity (default 1000000)\n"
"  --esop-port P       UDP port of ESOP (default 7447)\n"
"  --burst N           RX burst 1..32 (default 32)\n"
"  --help              this text\n"
"\n"
"Exit status: 0 after SIGINT/SIGTERM, 1 on a setup error, 2 on a usage error.\n");
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "max-devices", required_argument, NULL, 'd' },
		{ "esop-port", required_argument, NULL, 'p' },
		{ "burst", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = "/run/edgesteer/dp.sock";
	struct fp_dp_cfg cfg = { 0 };
	struct rte_mempool *mp;
	struct fp_ctl *ctl = NULL;
	struct fp_dp *dp = NULL;
	unsigned int lcore, w = 0;
	uint32_t v;
	int n, c, err;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "error: edgesteer-dp: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'd':
			if (parse_u32(optarg, 1u << 26, &cfg.max_devices) || !cfg.max_devices)
				goto usage_err;
			break;
		case 'p':
			if (parse_u32(optarg, 65535, &v) || !v)
				goto usage_err;
			cfg.esop_port = (uint16_t)v;
			break;
		case 'b':
			if (parse_u32(optarg, FP_BURST_MAX, &v) || !v)
				goto usage_err;
			cfg.burst = (uint16_t)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto usage_err;
		}
	}
	cfg.nports = rte_eth_dev_count_avail();
	cfg.nworkers = rte_lcore_count() > 1 ? rte_lcore_count() - 1 : 0;
	if (!cfg.nports || cfg.nports > FP_MAX_PORTS || !cfg.nworkers) {
		fprintf(stderr, "error: edgesteer-dp: need 1..%d ports (have %u) and at least "
			"2 lcores (have %u)\n", FP_MAX_PORTS, cfg.nports, rte_lcore_count());
		return 1;
	}
	mp = rte_pktmbuf_pool_create("fp_mbufs", 8192 * cfg.nworkers + 4096, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (!mp) {
		fprintf(stderr, "error: edgesteer-dp: mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	for (uint16_t p = 0; p < cfg.nports; p++) {
		err = fp_port_setup(p, p == 0 ? (uint16_t)cfg.nworkers : 1,
				    (uint16_t)cfg.nworkers, mp);
		if (err) {
			fprintf(stderr, "error: edgesteer-dp: port %u: %s\n", p, strerror(-err));
			return 1;
		}
	}
	err = fp_dp_create(&cfg, &dp);
	if (!err)
		err = fp_tel_register(dp);
	if (!err)
		err = fp_ctl_start(dp, sock, &ctl);
	if (err) {
		fprintf(stderr, "error: edgesteer-dp: setup (socket %s): %s\n", sock,
			strerror(-err));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	RTE_LCORE_FOREACH_WORKER(lcore) {
		fp_dp_worker_init(dp, w, 0, (uint16_t)w, (uint16_t)w);
		rte_eal_remote_launch(fp_dp_run, fp_dp_worker_arg(dp, w), lcore);
		w++;
	}
	fprintf(stderr, "info: edgesteer-dp: %u workers, %u ports, control socket %s\n",
		cfg.nworkers, cfg.nports, sock);
	while (!quit)
		sleep(1);
	fp_dp_stop(dp);
	rte_eal_mp_wait_lcore();
	fp_ctl_stop(ctl);
	fp_dp_free(dp);
	for (uint16_t p = 0; p < cfg.nports; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	rte_eal_cleanup();
	return 0;

usage_err:
	usage(stderr);
	return 2;
}
