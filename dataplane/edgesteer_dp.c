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
"       edgesteer-dp --help\n"
"\n"
"The EdgeSteer DPDK fast path. It judges every ESOP frame by the policy\n"
"table in force: OFFLOAD_REQs are answered with their DECISION, TENSORs are\n"
"rewritten towards their edge or cloud server, RESULTs are returned to their\n"
"device, each device is metered at its rate. Tables are compiled and pushed\n"
"by edgesteerd (--dp-socket) on the control socket and swapped in whole;\n"
"until the first one arrives every device is unknown.\n"
"\n"
"Ports: port 0 faces the access point (a DPDK port on the AP interface:\n"
"net_af_xdp with the EdgeSteer XDP program, net_af_packet, or a NIC); a\n"
"server's frames leave on the port its table entry names (`port`: 1, 2, ...).\n"
"Every worker lcore polls its own RX queue of port 0 and owns one TX queue\n"
"on every port; the main lcore only waits. At least 2 lcores.\n"
"\n"
"EAL options (before --), the usual ones:\n"
"  -l CORELIST         lcores, e.g. 0-1 (the first is the main lcore)\n"
"  --vdev DEVICE       a virtual port, e.g.\n"
"                      net_af_xdp0,iface=ap0,xdp_prog=edgesteer_xdp.bpf.o\n"
"                      net_af_packet1,iface=ap1   net_pcap0,rx_pcap=in.pcap\n"
"  --no-pci            no PCI devices (vdevs only)\n"
"  --in-memory | --file-prefix NAME   run beside other DPDK processes\n"
"  --no-huge -m MB     no hugepages (tests)\n"
"  --log-level '*:error'\n"
"  (`edgesteer-dp -h` lists them all, as DPDK prints them)\n"
"\n"
"Options (after --):\n"
"  --socket PATH       control socket, mode 0600 (default\n"
"                      /run/edgesteer/dp.sock): edgesteerd's --dp-socket\n"
"  --max-devices N     largest table accepted and the meter store's\n"
"                      capacity (default 1000000)\n"
"  --esop-port P       UDP port of ESOP (default 7447)\n"
"  --burst N           RX burst 1..32 (default 32)\n"
"  --help              this text\n"
"\n"
"Stats: dpdk-telemetry.py -f PREFIX with /edgesteer/stats,\n"
"/edgesteer/device,ID and /edgesteer/table; `edgesteerctl stats` shows\n"
"them too when edgesteerd drives this process.\n"
"\n"
"Example (tools/testbed.sh's AP namespace, docs/testbed.md):\n"
"  edgesteer-dp -l 0-1 --no-pci --in-memory \\\n"
"    --vdev net_af_packet0,iface=ap0 --vdev net_af_packet1,iface=ap1 \\\n"
"    --vdev net_af_packet2,iface=ap2 -- --socket /run/edgesteer/dp.sock\n"
"\n"
"SIGINT/SIGTERM stop it. Exit status: 0 after SIGINT/SIGTERM, 1 on a setup\n"
"error, 2 on a usage error.\n");
}

/*
 * `edgesteer-dp --help` alone: ours, without starting EAL (whose own
 * --help is still `-h`, or --help before other EAL options).
 */
static int help_only(int argc, char **argv)
{
	return argc == 2 && !strcmp(argv[1], "--help");
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

	if (help_only(argc, argv)) {
		usage(stdout);
		return 0;
	}
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
	cfg.poll_servers = 1;	/* RESULTs arrive on the servers' ports */
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
