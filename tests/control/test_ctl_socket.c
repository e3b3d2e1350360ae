/* SPDX-License-Identifier: MIT */
/*
 * Malformed and oversized messages on edgesteerd's socket: each gets an
 * error reply (or, cut short, just a closed connection), changes nothing,
 * and the daemon goes on serving.
 *
 * Slow peers (docs/security.md, ctl_proto.h deadlines): one that connects
 * and sends nothing, one that stops half way through its header, and one
 * that trickles a push a byte at a time (it would take 200 s) sit in the
 * queue ahead of an ordinary request. Each is cut off at its deadline with
 * -ETIMEDOUT, so the ordinary request is answered within the three
 * deadlines ahead of it plus slack (with the old 10 s per read it took 20 s
 * and more, with the trickler forever). argv: SOCKET
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
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

struct bad_msg {
	const char *name;
	uint32_t magic;
	uint16_t version, type;
	uint32_t flags;
	uint64_t len;
	size_t send_payload;	/* bytes actually sent after the header */
	int status;		/* expected reply status; 1: no reply expected */
	int pass;		/* 1: send a pipe's descriptor with the header */
};

static const struct bad_msg cases[] = {
	{ "bad_magic", 0xdeadbeef, 1, CTL_REQ_STATS, 0, 0, 0, -EPROTO, 0 },
	{ "bad_version", CTL_PROTO_MAGIC, 9, CTL_REQ_STATS, 0, 0, 0, -EPROTO, 0 },
	{ "type_0", CTL_PROTO_MAGIC, 1, 0, 0, 0, 0, -EINVAL, 0 },
	{ "type_99", CTL_PROTO_MAGIC, 1, 99, 0, 0, 0, -EINVAL, 0 },
	{ "reply_as_request", CTL_PROTO_MAGIC, 1, CTL_REPLY, 0, 0, 0, -EINVAL, 0 },
	{ "unknown_flag", CTL_PROTO_MAGIC, 1, CTL_REQ_STATS, 0x80, 0, 0, -EINVAL, 0 },
	{ "stats_oversized", CTL_PROTO_MAGIC, 1, CTL_REQ_STATS, 0, 65, 0, -E2BIG, 0 },
	{ "push_oversized", CTL_PROTO_MAGIC, 1, CTL_REQ_PUSH, 0, CTL_PUSH_MAX_BYTES + 1, 0, -E2BIG, 0 },
	{ "huge_len", CTL_PROTO_MAGIC, 1, CTL_REQ_PUSH, 0, UINT64_MAX, 0, -E2BIG, 0 },
	{ "show_short", CTL_PROTO_MAGIC, 1, CTL_REQ_SHOW, 0, 2, 2, -EINVAL, 0 },
	{ "rollback_short", CTL_PROTO_MAGIC, 1, CTL_REQ_ROLLBACK, 0, 4, 4, -EINVAL, 0 },
	{ "stats_payload", CTL_PROTO_MAGIC, 1, CTL_REQ_STATS, 0, 4, 4, -EINVAL, 0 },
	{ "push_no_name", CTL_PROTO_MAGIC, 1, CTL_REQ_PUSH, 0, 1, 1, -EINVAL, 0 },
	{ "push_name_past_end", CTL_PROTO_MAGIC, 1, CTL_REQ_PUSH, 0, 3, 3, -EINVAL, 0 },
	{ "push_not_json", CTL_PROTO_MAGIC, 1, CTL_REQ_PUSH, 0, 8, 8, -EINVAL, 0 },
	{ "cut_short", CTL_PROTO_MAGIC, 1, CTL_REQ_PUSH, 0, 1000, 10, 1, 0 },
	{ "flag_on_stats", CTL_PROTO_MAGIC, 1, CTL_REQ_STATS, CTL_F_FORCE, 0, 0, -EINVAL, 0 },
	{ "fd_flag_without_fd", CTL_PROTO_MAGIC, 1, CTL_REQ_PUSH, CTL_F_FD, 2, 2, -EBADF, 0 },
	{ "fd_without_flag", CTL_PROTO_MAGIC, 1, CTL_REQ_PUSH, 0, 2, 2, -EBADF, 1 },
	{ "fd_not_a_file", CTL_PROTO_MAGIC, 1, CTL_REQ_PUSH, CTL_F_FD, 2, 2, -EINVAL, 1 },
	{ "fd_on_stats", CTL_PROTO_MAGIC, 1, CTL_REQ_STATS, 0, 0, 0, -EBADF, 1 },
};

static void stats_still_served(void)
{
	struct ctl_msg_hdr h, rh;
	size_t len;
	char *buf;
	int fd = dial();

	ctl_proto_hdr(&h, CTL_REQ_STATS, 0, 0, 0);
	assert_int_equal(ctl_proto_send(fd, &h, NULL, 0, NULL, 0), 0);
	assert_int_equal(ctl_proto_recv_reply(fd, &rh, &buf, &len), 0);
	assert_int_equal(rh.status, 0);
	assert_non_null(strstr(buf, "\"malformed\""));
	free(buf);
	close(fd);
}

static void test_bad_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_msg *c = &cases[i];
		struct ctl_msg_hdr h = { c->magic, c->version, c->type, c->flags, 0, c->len };
		char payload[16] = { 0 };
		struct ctl_msg_hdr rh;
		size_t len;
		char *buf;
		int fd = dial();

		if (!strcmp(c->name, "push_name_past_end"))
			payload[0] = 9;		/* name of 9 bytes in a 3-byte payload */
		if (!strcmp(c->name, "push_not_json"))
			memcpy(payload, "\0\0garbag", 8);
		int pfd[2] = { -1, -1 };

		if (c->pass)
			assert_int_equal(pipe(pfd), 0);
		assert_int_equal(ctl_proto_send_hdr_fd(fd, &h, pfd[0]), 0);
		if (c->pass) {
			close(pfd[0]);
			close(pfd[1]);
		}
		/* may fail: the daemon can refuse on the header alone and hang up */
		if (c->send_payload)
			(void)ctl_proto_write(fd, payload, c->send_payload);
		if (c->status == 1) {
			/* the daemon times out waiting for the rest; we hang up first */
			close(fd);
		} else {
			int rc = ctl_proto_recv_reply(fd, &rh, &buf, &len);

			if (rc || rh.status != c->status)
				fail_msg("%s: rc %d status %d (want %d): %s", c->name, rc,
					 rh.status, c->status, rc ? "" : buf);
			free(buf);
			close(fd);
		}
		stats_still_served();
	}
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

/* The daemon's count of requests cut off at their deadline. */
static unsigned long long timed_out_count(void)
{
	struct ctl_msg_hdr h, rh;
	unsigned long long n = 0;
	const char *at;
	size_t len;
	char *buf;
	int fd = dial();

	ctl_proto_hdr(&h, CTL_REQ_STATS, 0, 0, 0);
	assert_int_equal(ctl_proto_send(fd, &h, NULL, 0, NULL, 0), 0);
	assert_int_equal(ctl_proto_recv_reply(fd, &rh, &buf, &len), 0);
	at = strstr(buf, "\"timed_out\": ");
	assert_non_null(at);
	n = strtoull(at + strlen("\"timed_out\": "), NULL, 10);
	free(buf);
	close(fd);
	return n;
}

static void test_slow_peers_cut_off(void **state)
{
	int silent, partial, slow, good, status;
	unsigned long long before = timed_out_count();
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
	free(buf);
	close(good);
	assert_int_equal(timed_out_count(), before + 3);
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
		cmocka_unit_test(test_bad_messages),
		cmocka_unit_test(test_slow_peers_cut_off),
	};

	if (argc < 2)
		return 2;
	sock_path = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
