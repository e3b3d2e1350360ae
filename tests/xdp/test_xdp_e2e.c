/* SPDX-License-Identifier: MIT */
/*
 * The classifier on a real interface: two network namespaces joined by a
 * veth pair (198.18.0.0/24, 2001:2::/64), XDP attached natively to the AP
 * end. Ordinary traffic from the device end (ping over IPv4 and IPv6, a TCP
 * exchange, a DNS query and answer over UDP) still works; ESOP frames sent
 * from the device end with a raw socket land, byte for byte, in an AF_XDP
 * socket the test bound to the AP end's queue 0 (through xsks_map);
 * malformed ones are dropped and counted per reason. The namespaces are
 * removed on every exit, failure and SIGTERM included. Then the same in
 * generic (skb) mode.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/bpf.h>

#include "esop_fixtures.h"
#include "xdp_world.h"
#include "xdpc.h"
#include "xsk_rx.h"

#define AP_IF		"es-ap0"
#define DEV_IF		"es-dev0"
#define AP_IP4		"198.18.0.1"
#define AP_IP6		"2001:2::1"

static char ns_ap[32], ns_dev[32];
static int fd_ns_ap = -1, fd_ns_dev = -1;
static struct xdpc *x;
static struct xsk_rx *xsk;
static struct esop_fixture *fx;
static size_t nfx;

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void namespaces_remove(void)
{
	if (ns_ap[0])
		sh("ip netns del %s 2>/dev/null", ns_ap);
	if (ns_dev[0])
		sh("ip netns del %s 2>/dev/null", ns_dev);
}

static void on_signal(int sig)
{
	namespaces_remove();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void enter(int ns_fd)
{
	assert_int_equal(setns(ns_fd, CLONE_NEWNET), 0);
}

static int ns_open(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Two namespaces, one veth, the fixture world's MACs and addresses. */
static int testbed_build(void)
{
	snprintf(ns_ap, sizeof(ns_ap), "es-xdp-ap-%d", (int)getpid());
	snprintf(ns_dev, sizeof(ns_dev), "es-xdp-dev-%d", (int)getpid());
	atexit(namespaces_remove);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (sh("ip netns add %s && ip netns add %s", ns_ap, ns_dev) ||
	    sh("ip -n %s link add %s address 02:00:00:00:00:fe type veth "
	       "peer name %s netns %s address 02:00:00:00:00:11",
	       ns_ap, AP_IF, DEV_IF, ns_dev) ||
	    sh("ip -n %s addr add %s/24 dev %s && ip -n %s addr add %s/64 dev %s nodad && "
	       "ip -n %s link set %s up && ip -n %s link set lo up",
	       ns_ap, AP_IP4, AP_IF, ns_ap, AP_IP6, AP_IF, ns_ap, AP_IF, ns_ap) ||
	    sh("ip -n %s addr add 198.18.0.11/24 dev %s && "
	       "ip -n %s addr add 2001:2::11/64 dev %s nodad && "
	       "ip -n %s link set %s up && ip -n %s link set lo up",
	       ns_dev, DEV_IF, ns_dev, DEV_IF, ns_dev, DEV_IF, ns_dev))
		return -1;
	fd_ns_ap = ns_open(ns_ap);
	fd_ns_dev = ns_open(ns_dev);
	return fd_ns_ap < 0 || fd_ns_dev < 0 ? -1 : 0;
}

static const struct esop_fixture *fixture(const char *name)
{
	const struct esop_fixture *f = xdp_fixture(fx, nfx, name);

	if (!f)
		fail_msg("no fixture %s", name);
	return f;
}

/* Sends whole Ethernet frames out of the device end. */
static void dev_send(const struct esop_fixture *f)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	int s;

	enter(fd_ns_dev);
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	sll.sll_ifindex = (int)if_nametoindex(DEV_IF);
	memcpy(sll.sll_addr, f->frame, 6);
	assert_int_equal(sendto(s, f->frame, f->len, 0, (struct sockaddr *)&sll,
				sizeof(sll)), f->len);
	close(s);
	enter(fd_ns_ap);
}

static void test_attached_native(void **state)
{
	enum xdpc_mode mode = 0;
	struct es_policy p;
	int ifindex;

	(void)state;
	enter(fd_ns_ap);
	ifindex = (int)if_nametoindex(AP_IF);
	assert_true(ifindex > 0);
	assert_int_equal(xdpc_attach(x, ifindex, 0, &mode), 0);
	assert_int_equal(mode, XDPC_MODE_NATIVE);
	assert_int_equal(xdp_world_policy(&p), 0);
	assert_int_equal(xdpc_push(x, &p), 0);
	xdp_policy_free(&p);
	assert_int_equal(xsk_rx_open(&xsk, ifindex, 0), 0);
	assert_int_equal(xdpc_set_xsk(x, 0, xsk_rx_fd(xsk)), 0);
}

static void test_ordinary_traffic_passes(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 2 };
	struct es_xdp_stats before, after;
	char buf[64];
	int lt, c, srv, u, uc;

	(void)state;
	enter(fd_ns_ap);
	assert_int_equal(xdpc_read_stats(x, &before), 0);
	assert_int_equal(sh("ip netns exec %s ping -q -c 2 -i 0.2 -W 2 %s >/dev/null",
			    ns_dev, AP_IP4), 0);
	assert_int_equal(sh("ip netns exec %s ping -6 -q -c 2 -i 0.2 -W 2 %s >/dev/null",
			    ns_dev, AP_IP6), 0);

	/* TCP: listen at the AP, connect from the device, one message */
	inet_pton(AF_INET, AP_IP4, &a.sin_addr);
	a.sin_port = htons(8080);
	lt = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(lt, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lt, 1), 0);
	enter(fd_ns_dev);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	enter(fd_ns_ap);
	srv = accept(lt, NULL, NULL);
	assert_true(srv >= 0);
	assert_int_equal(send(c, "offload?", 8, 0), 8);
	setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(recv(srv, buf, sizeof(buf), 0), 8);
	assert_memory_equal(buf, "offload?", 8);
	close(srv);
	close(c);
	close(lt);

	/* DNS over UDP: a query to port 53 at the AP, an answer back */
	a.sin_port = htons(53);
	u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(u, (struct sockaddr *)&a, sizeof(a)), 0);
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	enter(fd_ns_dev);
	uc = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	setsockopt(uc, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	enter(fd_ns_ap);
	{
		static const uint8_t query[] = {	/* id 0x1234, RD, one question: a. IN A */
			0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
			1, 'a', 0, 0, 1, 0, 1,
		};
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);

		assert_int_equal(sendto(uc, query, sizeof(query), 0, (struct sockaddr *)&a,
					sizeof(a)), sizeof(query));
		assert_int_equal(recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from,
					  &fl), sizeof(query));
		assert_memory_equal(buf, query, sizeof(query));
		buf[2] |= 0x80;		/* QR: an answer */
		assert_int_equal(sendto(u, buf, sizeof(query), 0, (struct sockaddr *)&from,
					fl), sizeof(query));
		assert_int_equal(recv(uc, buf, sizeof(buf), 0), sizeof(query));
		assert_int_equal((uint8_t)buf[2], 0x81);
	}
	close(u);
	close(uc);

	assert_int_equal(xdpc_read_stats(x, &after), 0);
	/* echo requests, ARP/ND, TCP and the query all went through XDP */
	assert_true(after.verdict[ESOP_V_NOT_ESOP] >= before.verdict[ESOP_V_NOT_ESOP] + 8);
	assert_int_equal(after.action[XDP_DROP], before.action[XDP_DROP]);
}

static void test_esop_to_af_xdp(void **state)
{
	static const char *const good[] = {
		"v4/req", "v4/tensor_edge", "v6/tensor_local", "gtpu_v4/req",
		"gtpu_v6/tensor_edge", "v4/result_from_server", "v6/telemetry",
	};
	static const char *const bad[] = {
		"v4/bad_magic", "v6/short", "v4/zero_device", "gtpu_v4/gtpu_len_mismatch",
	};
	struct es_xdp_stats before, after;
	uint8_t buf[2048];

	(void)state;
	enter(fd_ns_ap);
	while (xsk_rx_recv(xsk, buf, sizeof(buf), 0) >= 0)
		;	/* nothing ESOP should be waiting, but start clean */
	assert_int_equal(xdpc_read_stats(x, &before), 0);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const struct esop_fixture *f = fixture(good[i]);
		int n;

		dev_send(f);
		n = xsk_rx_recv(xsk, buf, sizeof(buf), 2000);
		if (n != f->len || memcmp(buf, f->frame, f->len))
			fail_msg("%s: AF_XDP got %d bytes, expected the %u sent", f->name,
				 n, f->len);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		dev_send(fixture(bad[i]));
	/* dropped frames leave no trace but the counters: give them a moment */
	usleep(100 * 1000);
	assert_int_equal(xsk_rx_recv(xsk, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(xdpc_read_stats(x, &after), 0);
	assert_int_equal(after.action[XDP_REDIRECT] - before.action[XDP_REDIRECT],
			 sizeof(good) / sizeof(good[0]));
	assert_int_equal(after.no_xsk, before.no_xsk);
	assert_int_equal(after.verdict[ESOP_V_MALFORMED] - before.verdict[ESOP_V_MALFORMED],
			 sizeof(bad) / sizeof(bad[0]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = fixture(bad[i])->reason;

		assert_true(after.reason[r] > before.reason[r]);
	}
}

/* Generic (skb) mode by flag, as for a Wi-Fi driver without native XDP. */
static void test_skb_mode(void **state)
{
	const struct esop_fixture *f = fixture("v4/tensor_edge");
	enum xdpc_mode mode = 0;
	uint8_t buf[2048];
	int ifindex;

	(void)state;
	enter(fd_ns_ap);
	ifindex = (int)if_nametoindex(AP_IF);
	assert_int_equal(xdpc_detach(x), 0);
	assert_int_equal(xdpc_attach(x, ifindex, XDPC_F_SKB, &mode), 0);
	assert_int_equal(mode, XDPC_MODE_SKB);
	dev_send(f);
	assert_int_equal(xsk_rx_recv(xsk, buf, sizeof(buf), 2000), f->len);
	assert_memory_equal(buf, f->frame, f->len);
	assert_int_equal(sh("ip netns exec %s ping -q -c 1 -W 2 %s >/dev/null",
			    ns_dev, AP_IP4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attached_native),
		cmocka_unit_test(test_ordinary_traffic_passes),
		cmocka_unit_test(test_esop_to_af_xdp),
		cmocka_unit_test(test_skb_mode),
	};
	int err;

	err = xdp_test_open(&x, 1024);
	if (err)
		return err;
	if (sh("ip netns list >/dev/null 2>&1")) {
		fprintf(stderr, "skip: e2e needs iproute2 (ip netns)\n");
		xdpc_close(x);
		return 77;
	}
	if (esop_fixtures_build(&fx, &nfx) || testbed_build()) {
		fprintf(stderr, "error: e2e: could not build the namespaces\n");
		return 1;
	}
	err = cmocka_run_group_tests(tests, NULL, NULL);
	if (fd_ns_ap >= 0)
		setns(fd_ns_ap, CLONE_NEWNET);	/* detach where it was attached */
	xsk_rx_close(xsk);
	xdpc_close(x);
	free(fx);
	return err;
}
