/* SPDX-License-Identifier: MIT */
#include "es_rawsock.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

int es_rawsock_open(struct es_rawsock *s, const char *ifname)
{
	struct sockaddr_ll sll = { 0 };
	struct ifreq ifr = { 0 };
	int err, buf = 4 << 20;

	s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (s->fd < 0)
		return -errno;
	if (strlen(ifname) >= sizeof(ifr.ifr_name)) {
		err = -ENAMETOOLONG;
		goto err_close;
	}
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(s->fd, SIOCGIFINDEX, &ifr) < 0)
		goto err_errno;
	s->ifindex = ifr.ifr_ifindex;
	if (ioctl(s->fd, SIOCGIFHWADDR, &ifr) < 0)
		goto err_errno;
	memcpy(s->mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = s->ifindex;
	if (bind(s->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto err_errno;
	/* the test bed's device and server links are untagged: a VLAN tag,
	 * if any, arrives in auxdata and is not put back into the frame */
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	return 0;

err_errno:
	err = -errno;
err_close:
	close(s->fd);
	s->fd = -1;
	return err;
}

void es_rawsock_close(struct es_rawsock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int es_rawsock_send(struct es_rawsock *s, const void *frame, size_t len)
{
	ssize_t n = send(s->fd, frame, len, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

int es_rawsock_recv(struct es_rawsock *s, void *buf, size_t cap, int timeout_ms)
{
	for (;;) {
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(s->fd, buf, cap, 0, (struct sockaddr *)&from, &flen);

		if (n >= 0) {
			if (from.sll_pkttype == PACKET_OUTGOING)
				continue;
			return (int)n;
		}
		if (errno != EAGAIN)
			return -errno;
		if (timeout_ms <= 0)
			return 0;
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		int r = poll(&p, 1, timeout_ms);
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		timeout_ms = 0;	/* one more non-blocking read after the wake-up */
	}
}

int es_parse_mac(const char *text, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(text, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

uint64_t es_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void es_catch_stop_signals(void)
{
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
}

int es_stop_requested(void)
{
	return stop_requested;
}
