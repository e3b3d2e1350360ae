/* SPDX-License-Identifier: MIT */
/*
 * Slow peers on edgesteerd's socket (docs/security.md, ctl_proto.h
 * deadlines): one that connects and sends nothing, one that stops half way
 * through its header, and one that trickles a push a byte at a time (it
 * would take 200 s) sit in the queue ahead of an ordinary request. Each is
 * cut off at its deadline with -ETIMEDOUT, so the ordinary request is
 * answered within the three deadlines ahead of it plus slack (with the old
 * 10 s per read it took 20 s and more, with the trickler forever).
 * argv: SOCKET
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl_proto.h"

#define TRICKLE_LEN	1000u	/* push payload bytes, one per TRICKLE_MS */
#define TRICKLE_MS	200u
#define SLACK_MS	6000u

static const char *sock_path;

static int dial(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strncpy(a.sun_path, sock_path, sizeof(a.sun_path) - 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* The reply a slow peer gets once the daemon gives up on it. */
static void assert_timed_out(int fd)
{
	struct ctl_msg_hdr rh;
	size_t len;
	char *buf;

	assert_int_equal(ctl_proto_recv_reply(fd, &rh, &buf, &len), 0);
	assert_int_equal(rh.status, -ETIMEDOUT);
	assert_non_null(strstr(buf, "deadline"));
	free(buf);
	close(fd);
}

/*
 * The trickler, in a child: a byte every TRICKLE_MS until the daemon
 * closes on it. Exit 0 when cut off before the end, 1 when it got through.
 */
static void trickle(int fd)
{
	struct ctl_msg_hdr h;
	const uint8_t *p = (const uint8_t *)&h;

	signal(SIGPIPE, SIG_IGN);
	ctl_proto_hdr(&h, CTL_REQ_PUSH, 0, 0, TRICKLE_LEN);
	for (unsigned int i = 0; i < sizeof(h) + TRICKLE_LEN; i++) {
		uint8_t b = i < sizeof(h) ? p[i] : '{', c;

		if (send(fd, &b, 1, MSG_NOSIGNAL) != 1)
			_exit(0);
		/* a reply (the timeout) means the daemon is done with us */
		if (recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) == 1)
			_exit(0);
		usleep(TRICKLE_MS * 1000);
	}
	_exit(1);
}

static void test_slow_peers_cut_off(void **state)
{
	int silent, partial, slow, good, status;
	struct ctl_msg_hdr h, rh;
	uint64_t t0, waited;
	size_t len;
	char *buf;
	pid_t pid;

	(void)state;
	/* queued in this order: the daemon serves one connection at a time */
	silent = dial();
	partial = dial();
	ctl_proto_hdr(&h, CTL_REQ_STATS, 0, 0, 0);
	assert_int_equal(ctl_proto_write(partial, &h, 10), 0);
	slow = dial();
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		trickle(slow);
	close(slow);
	usleep(100 * 1000);	/* the trickler's first bytes are in */

	t0 = ctl_proto_now_ms();
	good = dial();
	ctl_proto_hdr(&h, CTL_REQ_STATS, 0, 0, 0);
	assert_int_equal(ctl_proto_send(good, &h, NULL, 0, NULL, 0), 0);
	assert_int_equal(ctl_proto_recv_reply(good, &rh, &buf, &len), 0);
	waited = ctl_proto_now_ms() - t0;
	assert_int_equal(rh.status, 0);
	assert_non_null(strstr(buf, "\"timed_out\": 3"));
	free(buf);
	close(good);
	printf("served after %llu ms behind 3 slow peers (deadline %u ms each)\n",
	       (unsigned long long)waited, CTL_DEADLINE_BASE_MS);
	assert_true(waited <= 3 * CTL_DEADLINE_BASE_MS + SLACK_MS);

	assert_timed_out(silent);
	assert_timed_out(partial);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slow_peers_cut_off),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
		return 2;
	}
	sock_path = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
