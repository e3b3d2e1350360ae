/* SPDX-License-Identifier: MIT */
/*
 * Restart without a gap (fail-static): a child process loads the
 * classifier, attaches it to lo (generic mode) in a network namespace of
 * this test's own, pins it, pushes a table, judges a few frames and is
 * killed with SIGKILL. The attached program keeps judging by that table,
 * through BPF_PROG_TEST_RUN on its fd and for real datagrams over lo; a
 * second handle adopts the pins, reads the same counters and meter,
 * pushes a new table that takes effect (on both again), closes (still
 * serving), adopts again, and shuts down cleanly. Pins are root only (0600,
 * dir 0700); pins of another build are refused.
 */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "xdp_world.h"
#include "xdpc.h"

#define DEV		77u
#define OTHER		99u
#define APP		3u
#define CHILD_FRAMES	5u

static char dir[64];
static int ifindex;
static uint8_t frame[512], other[512];
static int frame_len, other_len;

/* Table A: DEV with app 3 on an EDGE server (FORWARD). */
static int push_table_a(struct xdpc *x)
{
	uint32_t ids[1] = { DEV };
	struct es_policy p;
	int err = xdp_synth_policy(&p, ids, 1, 4000000000u, 1u << 30);

	if (!err)
		err = xdpc_push(x, &p);
	xdp_policy_free(&p);
	return err;
}

/* Table B: DEV with app 3 kept on the device (LOCAL). */
static int push_table_b(struct xdpc *x)
{
	struct es_device d = { .id = DEV, .rate_kbps = 4000000000u,
			       .burst_bytes = 1u << 30, .napps = 1 };
	struct es_app a = { .app = APP, .target_kind = ESOP_TARGET_LOCAL };
	struct es_policy p = { .epoch = 2, .devices = &d, .ndevices = 1,
			       .apps = &a, .napps = 1 };

	return xdpc_push(x, &p);
}

/* The child: serve, say so, and wait to be killed. */
static void child_run(int wr)
{
	struct xdpc *c;
	enum xdpc_mode mode;
	uint32_t ret;

	if (xdpc_open(&c, 1024) || xdpc_attach(c, ifindex, XDPC_F_SKB, &mode) ||
	    xdpc_pin(c, dir) || push_table_a(c) ||
	    xdp_run(xdpc_prog_fd(c), frame, (uint32_t)frame_len, CHILD_FRAMES,
		    &ret, NULL) || ret != XDP_PASS)
		_exit(1);
	if (write(wr, "k", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static uint32_t run_ret(int fd, const uint8_t *f, int len)
{
	uint32_t ret;

	assert_int_equal(xdp_run(fd, f, (uint32_t)len, 1, &ret, NULL), 0);
	return ret;
}

/*
 * lo of this test's namespace, up: the ESOP header and payload of @f (a
 * TENSOR of DEV) sent as a UDP datagram to 127.0.0.1:7447 crosses the
 * attached program (generic XDP runs on lo's receive path) and, with no
 * AF_XDP socket bound, is passed on to the socket listening there.
 */
static int lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	err = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (!err)
		err = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return err ? -errno : 0;
}

/*
 * DEV's source binding (in its es_meters slot) forgotten: the loopback
 * datagrams come from 127.0.0.1, the test-run frames from the fixture
 * device's address, and a known device moving between them would be
 * dropped as spoofed (docs/security.md). Through the pins, as a tool would.
 */
static int pinned(const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	return fd;
}

static void forget_binding(void)
{
	int cfg = pinned("es_cfg"), meters = pinned("es_meters"), dev;
	struct es_xdp_device d;
	struct es_xdp_meter m;
	struct es_xdp_cfg c;
	uint32_t zero = 0, id = DEV;

	assert_int_equal(bpf_map_lookup_elem(cfg, &zero, &c), 0);
	dev = pinned(c.active & ES_XDP_ACTIVE_DEV ? "es_dev1" : "es_dev0");
	assert_int_equal(bpf_map_lookup_elem(dev, &id, &d), 0);
	assert_int_equal(bpf_map_lookup_elem(meters, &d.meter, &m), 0);
	m.bind_seen_ns = 0;	/* unbound */
	assert_int_equal(bpf_map_update_elem(meters, &d.meter, &m, BPF_EXIST), 0);
	close(dev);
	close(meters);
	close(cfg);
}

static void send_over_lo(const uint8_t *f, int len)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7447),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int hdrs = 14 + 20 + 8;		/* Ethernet, IPv4, UDP of xdp_frame() */
	int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
	uint8_t got[512];

	assert_true(rx >= 0 && tx >= 0);
	forget_binding();
	assert_int_equal(bind(rx, (struct sockaddr *)&to, sizeof(to)), 0);
	assert_int_equal(sendto(tx, f + hdrs, (size_t)(len - hdrs), 0,
				(struct sockaddr *)&to, sizeof(to)), len - hdrs);
	/* delivered: the program said XDP_PASS (redirect with no socket bound) */
	assert_int_equal(recv(rx, got, sizeof(got), 0), len - hdrs);
	assert_memory_equal(got, f + hdrs, (size_t)(len - hdrs));
	close(rx);
	close(tx);
	forget_binding();
}

static void assert_pins_root_only(void)
{
	struct dirent *e;
	struct stat st;
	char path[PATH_MAX];
	DIR *d;
	int n = 0;

	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 9);		/* the program and its eight maps */
}

static int remove_pins(void **state);

static void test_restart_adopts(void **state)
{
	struct es_xdp_stats st;
	struct es_xdp_meter m;
	struct xdpc *x, *y;
	enum xdpc_mode mode;
	int p[2], status, fd;
	uint32_t id;
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(p[0]);
		child_run(p[1]);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* nobody holds a handle: the attached program still judges by table A */
	id = xdp_attached_id(ifindex);
	assert_true(id != 0);
	fd = bpf_prog_get_fd_by_id(id);
	assert_true(fd >= 0);
	assert_int_equal(run_ret(fd, frame, frame_len), XDP_PASS);	/* FORWARD */
	assert_int_equal(run_ret(fd, other, other_len), XDP_DROP);	/* unknown */
	send_over_lo(frame, frame_len);				/* real traffic */
	assert_pins_root_only();

	/* a restarted daemon adopts: same program, counters, meter */
	assert_int_equal(xdpc_adopt(&x, dir, ifindex, &mode), 0);
	assert_int_equal(mode, XDPC_MODE_SKB);
	assert_int_equal(xdp_prog_id(xdpc_prog_fd(x)), id);
	assert_int_equal(xdpc_read_stats(x, &st), 0);
	assert_int_equal(st.verdict[ESOP_V_FORWARD], CHILD_FRAMES + 2);
	assert_int_equal(st.verdict[ESOP_V_UNKNOWN_DEVICE], 1);
	assert_int_equal(xdpc_read_meter(x, DEV, &m), 0);
	assert_int_equal(m.packets, CHILD_FRAMES + 2);

	/* its new table takes effect on the attached program */
	assert_int_equal(push_table_b(x), 0);
	assert_int_equal(run_ret(fd, frame, frame_len), XDP_PASS);
	send_over_lo(frame, frame_len);
	assert_int_equal(xdpc_read_stats(x, &st), 0);
	assert_int_equal(st.verdict[ESOP_V_LOCAL], 2);
	assert_int_equal(xdpc_read_meter(x, DEV, &m), 0);
	assert_int_equal(m.packets, CHILD_FRAMES + 4);	/* kept across the swap */

	/* a plain close of a pinned handle leaves it serving */
	xdpc_close(x);
	assert_int_equal(xdp_attached_id(ifindex), id);
	assert_int_equal(xdpc_adopt(&x, dir, ifindex, NULL), 0);
	assert_int_equal(xdpc_active_version(x), 0);	/* A was 1, B flipped back */
	assert_int_equal(run_ret(fd, frame, frame_len), XDP_PASS);
	assert_int_equal(xdpc_read_stats(x, &st), 0);
	assert_int_equal(st.verdict[ESOP_V_LOCAL], 3);

	/* pinned but not attached there: not adoptable at that interface */
	assert_int_equal(xdpc_detach(x), 0);
	assert_int_equal(xdp_attached_id(ifindex), 0);
	assert_int_equal(xdpc_adopt(&y, dir, ifindex, NULL), -ESRCH);
	assert_int_equal(xdpc_attach(x, ifindex, XDPC_F_SKB, NULL), 0);

	/* clean shutdown: nothing attached, nothing pinned */
	assert_int_equal(xdpc_detach_and_unpin(x), 0);
	xdpc_close(x);
	assert_int_equal(xdp_attached_id(ifindex), 0);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(xdpc_adopt(&y, dir, 0, NULL), -ENOENT);
	close(fd);
}

/* Pins left by another build (a map of another size): refused, not adopted. */
static void test_foreign_pins_refused(void **state)
{
	char path[PATH_MAX];
	struct xdpc *a, *y;
	int fd;

	(void)state;
	assert_int_equal(xdpc_open(&a, 16), 0);
	assert_int_equal(xdpc_pin(a, dir), 0);
	snprintf(path, sizeof(path), "%s/es_cfg", dir);
	assert_int_equal(unlink(path), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "es_cfg", 4, 16, 1, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);
	assert_int_equal(xdpc_adopt(&y, dir, 0, NULL), -EPROTO);
	assert_int_equal(xdpc_detach_and_unpin(a), 0);
	xdpc_close(a);
	assert_int_equal(access(dir, F_OK), -1);
}

/* Whatever failed, no pin outlives the test (the namespace goes with it). */
static int remove_pins(void **state)
{
	struct dirent *e;
	char path[PATH_MAX];
	DIR *d = opendir(dir);

	(void)state;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_restart_adopts, remove_pins),
		cmocka_unit_test_teardown(test_foreign_pins_refused, remove_pins),
	};
	struct xdpc *probe;
	int err;

	/* root, and a kernel that loads the classifier */
	err = xdp_test_open(&probe, 16);
	if (err)
		return err;
	xdpc_close(probe);
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "skip: no network namespace: %s\n", strerror(errno));
		return 77;
	}
	ifindex = (int)if_nametoindex("lo");
	if (lo_up()) {
		fprintf(stderr, "error: cannot bring lo up in the test's namespace\n");
		return 1;
	}
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/edgesteer-adopt-%d", (int)getpid());
	frame_len = xdp_frame(frame, sizeof(frame), 2, DEV, APP, 200);
	other_len = xdp_frame(other, sizeof(other), 2, OTHER, APP, 200);
	if (ifindex <= 0 || frame_len < 0 || other_len < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
