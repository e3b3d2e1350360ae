/* SPDX-License-Identifier: MIT */
/*
 * fp_client's deadlines against a peer that never answers: a listening
 * socket nobody serves (the connect still succeeds through the backlog)
 * and a peer that reads every request and never replies. Each request
 * returns -ETIMEDOUT, fp_client_error() names the request and the
 * deadline, and the connection is closed (-ENOTCONN after); a peer that
 * hangs up gives -ECONNRESET, not a hang.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "fp_client.h"
#include "fp_table.h"

static char dir[64], path[100];

static int listener(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void test_never_accepted(void **state)
{
	struct fp_client *c;
	struct fp_msg_stats st;
	int lfd = listener();

	(void)state;
	assert_int_equal(fp_client_connect(path, &c), 0);
	assert_int_equal(fp_client_set_timeout(c, 0), -EINVAL);
	assert_int_equal(fp_client_set_timeout(c, 200), 0);
	assert_int_equal(fp_client_get_stats(c, &st), -ETIMEDOUT);
	assert_non_null(strstr(fp_client_error(c), "did not answer GET_STATS within 200 ms"));
	/* closed: a late reply must not answer the next request */
	assert_int_equal(fp_client_get_stats(c, &st), -ENOTCONN);
	fp_client_close(c);
	close(lfd);
}

/* Accepts one connection and reads its requests, answering none. */
static void *silent_peer(void *arg)
{
	int lfd = *(int *)arg, fd = accept(lfd, NULL, NULL);
	char buf[8192];

	while (fd >= 0 && recv(fd, buf, sizeof(buf), 0) > 0)
		;
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void test_push_never_answered(void **state)
{
	struct fp_msg_push_reply rep;
	struct es_policy p = { .epoch = 1, .default_rate_kbps = 1000,
			       .default_burst_bytes = 65536 };
	struct fp_client *c;
	pthread_t thr;
	int lfd = listener();

	(void)state;
	assert_int_equal(pthread_create(&thr, NULL, silent_peer, &lfd), 0);
	assert_int_equal(fp_client_connect(path, &c), 0);
	assert_int_equal(fp_client_set_timeout(c, 200), 0);
	assert_int_equal(fp_client_push_policy(c, &p, 0, &rep), -ETIMEDOUT);
	assert_non_null(strstr(fp_client_error(c), "did not answer PUSH_TABLE within 200 ms"));
	assert_int_equal(rep.why[0], 0);
	fp_client_close(c);	/* the peer sees EOF and ends */
	pthread_join(thr, NULL);
	close(lfd);
}

static void *hangup_peer(void *arg)
{
	int lfd = *(int *)arg, fd = accept(lfd, NULL, NULL);

	if (fd >= 0)
		close(fd);
	return NULL;
}

static void test_peer_hangs_up(void **state)
{
	struct fp_msg_stats st;
	struct fp_client *c;
	pthread_t thr;
	int lfd = listener(), err;

	(void)state;
	assert_int_equal(pthread_create(&thr, NULL, hangup_peer, &lfd), 0);
	assert_int_equal(fp_client_connect(path, &c), 0);
	assert_int_equal(fp_client_set_timeout(c, 2000), 0);
	pthread_join(thr, NULL);
	err = fp_client_get_stats(c, &st);
	assert_true(err == -ECONNRESET || err == -EPIPE);
	fp_client_close(c);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_never_accepted),
		cmocka_unit_test(test_push_never_answered),
		cmocka_unit_test(test_peer_hangs_up),
	};
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/fp_client_XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/dp.sock", dir);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	rmdir(dir);
	return rc;
}
