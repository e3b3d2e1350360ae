/* SPDX-License-Identifier: MIT */
/*
 * es-loadtest-sockstat: the kernel's own counters of another process's
 * AF_PACKET sockets (PACKET_STATISTICS: frames offered to the socket and
 * frames dropped because its ring was full). DPDK 22.11's net_af_packet
 * never reads them, so when edgesteer-dp runs on AF_PACKET the load test
 * takes a duplicate of each socket with pidfd_getfd(2) and asks the kernel.
 *
 * Reading resets the kernel's counters (that is how PACKET_STATISTICS
 * works), so each call prints what happened since the previous one: the
 * load test reads once before a scenario (to zero them) and once after.
 *
 * --esop-filter IF attaches a classic BPF filter to the sockets bound to IF
 * so that they get only inbound UDP datagrams to the ESOP port (IPv4 or
 * IPv6, no GTP-U): what XDP hands on to the fast path, which an AF_XDP
 * socket would get alone. The AF_PACKET tap otherwise also copies ordinary
 * traffic and the AP's own frames to the fast path, and then a full ring
 * drops a mix the counters cannot tell apart.
 */
#include <errno.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/syscall.h>

static void usage(FILE *f)
{
	fprintf(f,
"Usage: es-loadtest-sockstat [--esop-filter IF [--port P]] PID\n"
"\n"
"Prints, as one JSON object, the PACKET_STATISTICS of every AF_PACKET socket\n"
"process PID holds: {\"sockets\": [{\"fd\": N, \"ifindex\": I, \"if\": NAME,\n"
"\"packets\": P, \"drops\": D}, ...]}, where P counts the frames the kernel\n"
"offered to the socket (drops included) and D those it dropped because the\n"
"ring was full, both since the previous read (a read resets them). Run it\n"
"in PID's network namespace so that interface names resolve. Needs the\n"
"right to ptrace PID (root).\n"
"\n"
"  --esop-filter IF  first attach a filter to PID's sockets bound to IF that\n"
"                    lets through only inbound UDP datagrams to the ESOP port,\n"
"                    IPv4 (not fragments) or IPv6 (UDP the first header)\n"
"  --port P          the ESOP port for the filter (default 7447)\n"
"\n"
"Exit status: 0 success, 1 error, 2 usage error.\n");
}

/* Is /proc/PID/fd/FD a socket of family AF_PACKET? Then a duplicate in *@dup. */
static int packet_socket_dup(int pidfd, int fd, int *dup)
{
	struct sockaddr_ll sll;
	socklen_t len = sizeof(sll);
	int d = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);

	if (d < 0)
		return -errno;
	if (getsockname(d, (struct sockaddr *)&sll, &len) || sll.sll_family != AF_PACKET) {
		close(d);
		return -ENOTSOCK;
	}
	*dup = d;
	return sll.sll_ifindex;
}

/*
 * Inbound, untagged IPv4 (not a fragment) or IPv6 (UDP the first header),
 * UDP to @port: the ESOP frames XDP can hand on in the load test's traffic.
 * GTP-U is left out: telling ESOP inside GTP-U from other GTP-U would take a
 * second parser, and the load test sends none.
 */
static int attach_esop_filter(int fd, uint16_t port)
{
	struct sock_filter f[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 15, 0),
		/* 2 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 1, 0),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 7, 12),
		/* 5: IPv4 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 10),
		/* 7 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
		/* 8: any fragment (MF or an offset) is not ESOP */
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 8, 0),
		/* 9 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
		/* 10 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 4, 5),
		/* 12: IPv6 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
		/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 3),
		/* 14 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 56),
		/* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 1),
		/* 16 */ BPF_STMT(BPF_RET | BPF_K, 0x40000),
		/* 17 */ BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? -errno : 0;
}

int main(int argc, char **argv)
{
	char path[64], *end = NULL;
	struct dirent *e;
	int pidfd, n = 0;
	long pid;
	DIR *dir;

	const char *filter_if = NULL;
	unsigned int filter_ifindex = 0;
	long port = 7447;
	int a = 1;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	for (; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--esop-filter")) {
			filter_if = argv[a + 1];
		} else if (!strcmp(argv[a], "--port")) {
			port = strtol(argv[a + 1], &end, 10);
			if (*end || port <= 0 || port > 65535) {
				fprintf(stderr, "error: es-loadtest-sockstat: --port '%s' is not 1..65535\n",
					argv[a + 1]);
				return 2;
			}
		} else {
			break;
		}
	}
	if (a != argc - 1) {
		usage(stderr);
		return 2;
	}
	pid = strtol(argv[a], &end, 10);
	if (*end || pid <= 0) {
		fprintf(stderr, "error: es-loadtest-sockstat: PID '%s' is not a process id\n", argv[a]);
		return 2;
	}
	if (filter_if && !(filter_ifindex = if_nametoindex(filter_if))) {
		fprintf(stderr, "error: es-loadtest-sockstat: --esop-filter %s: no such interface here\n",
			filter_if);
		return 1;
	}
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	dir = pidfd < 0 ? NULL : opendir(path);
	if (!dir) {
		fprintf(stderr, "error: es-loadtest-sockstat: process %ld: %s\n", pid, strerror(errno));
		return 1;
	}
	printf("{\"pid\": %ld, \"sockets\": [", pid);
	while ((e = readdir(dir))) {
		struct tpacket_stats st;
		socklen_t len = sizeof(st);
		char name[IF_NAMESIZE] = "?";
		int fd, d = -1, ifindex;

		fd = (int)strtol(e->d_name, &end, 10);
		if (*end || e->d_name[0] == '.')
			continue;
		ifindex = packet_socket_dup(pidfd, fd, &d);
		if (ifindex < 0)
			continue;
		if (filter_ifindex == (unsigned int)ifindex) {
			int err = attach_esop_filter(d, (uint16_t)port);

			if (err) {
				fprintf(stderr, "error: es-loadtest-sockstat: fd %d: SO_ATTACH_FILTER: %s\n",
					fd, strerror(-err));
				close(d);
				closedir(dir);
				return 1;
			}
		}
		/* TPACKET_V2 rings (DPDK's) report tp_packets with the drops included */
		if (getsockopt(d, SOL_PACKET, PACKET_STATISTICS, &st, &len)) {
			fprintf(stderr, "error: es-loadtest-sockstat: fd %d: PACKET_STATISTICS: %s\n",
				fd, strerror(errno));
			close(d);
			closedir(dir);
			return 1;
		}
		if_indextoname((unsigned int)ifindex, name);
		printf("%s{\"fd\": %d, \"ifindex\": %d, \"if\": \"%s\", \"packets\": %u, \"drops\": %u}",
		       n++ ? ", " : "", fd, ifindex, name, st.tp_packets, st.tp_drops);
		close(d);
	}
	closedir(dir);
	close(pidfd);
	printf("]}\n");
	return 0;
}
