/* SPDX-License-Identifier: MIT */
/*
 * The net_af_xdp build (edgesteer_xdp_afxdp.bpf.o) shared between DPDK's
 * PMD and xdpc, in a mount namespace of the test's own (its own bpffs on
 * /sys/fs/bpf, the root where libbpf pins by name) and a network namespace
 * of its own (lo). "The PMD" here does what DPDK 22.11's
 * load_custom_xdp_prog() and remove_xdp_program() do: open the object file
 * with no options, load it, attach its first program with
 * XDP_FLAGS_UPDATE_IF_NOEXIST; detach whatever is attached on close.
 *
 * Both orders share one set of maps: a table xdpc pushes is what the PMD's
 * instance judges by, its counters are what xdpc reads; the meter runs on
 * the coarse monotonic clock with no setting; a PMD restarted meanwhile
 * comes back with the table in force; a program with maps of its own, pins
 * of another build and a --max-devices over the compiled capacity are
 * refused; a clean shutdown leaves nothing attached or pinned.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#include "xdp_world.h"
#include "xdpc.h"

#define DEV	77u
#define APP	3u
#define ROOT	"/sys/fs/bpf"
#define OTHER	ROOT "/other"	/* a root where another instance pins */

static const char *obj_path;
static int ifindex;
static uint8_t frame[512];
static int frame_len;

struct pmd {
	struct bpf_object *obj;
	int prog_fd;
};

/* The PMD's load_custom_xdp_prog(); @root: NULL as the PMD has it. */
static int pmd_start(struct pmd *p, const char *root)
{
	LIBBPF_OPTS(bpf_object_open_opts, o, .pin_root_path = root);
	int err;

	p->obj = bpf_object__open_file(obj_path, root ? &o : NULL);
	if (!p->obj)
		return -errno;
	err = bpf_object__load(p->obj);
	if (err)
		return err;
	p->prog_fd = bpf_program__fd(bpf_object__next_program(p->obj, NULL));
	return bpf_xdp_attach(ifindex, p->prog_fd, XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
}

/* eth_dev_close(): remove_xdp_program() detaches whatever is attached. */
static void pmd_stop(struct pmd *p)
{
	bpf_xdp_detach(ifindex, XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	bpf_object__close(p->obj);
	p->obj = NULL;
}

static uint32_t run_ret(int fd)
{
	uint32_t ret;

	assert_int_equal(xdp_run(fd, frame, (uint32_t)frame_len, 1, &ret, NULL), 0);
	return ret;
}

/* The maps the object pins by name: all but xsks_map and .rodata. */
static int object_pins(void)
{
	struct bpf_object *o = bpf_object__open_file(obj_path, NULL);
	struct bpf_map *m;
	int n = 0;

	assert_non_null(o);
	bpf_object__for_each_map(m, o)
		n += !bpf_map__is_internal(m) && strcmp(bpf_map__name(m), "xsks_map");
	bpf_object__close(o);
	return n;
}

/* A pin, not the bpffs's own *.debug files or a directory. */
static int pinned_here(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_type != DT_DIR && !(n > 6 && !strcmp(e->d_name + n - 6, ".debug"));
}

/* What is pinned at the root: our maps (never xsks_map), nothing else. */
static int pins_at_root(void)
{
	struct dirent *e;
	DIR *d = opendir(ROOT);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += pinned_here(e);
	closedir(d);
	return n;
}

/* DEV with app 3 on an EDGE server (FORWARD), at @rate_kbps, @burst bytes. */
static int push_dev(struct xdpc *x, uint64_t epoch, uint32_t rate_kbps, uint32_t burst)
{
	uint32_t ids[1] = { DEV };
	struct es_policy p;
	int err = xdp_synth_policy(&p, ids, 1, rate_kbps, burst);

	p.epoch = epoch;
	if (!err)
		err = xdpc_push(x, &p);
	xdp_policy_free(&p);
	return err;
}

static uint64_t table_epoch(struct xdpc *x)
{
	struct es_xdp_table t;
	uint32_t v = xdpc_active_version(x);

	assert_int_equal(bpf_map_lookup_elem(xdpc_map_fd(x, "es_tables"), &v, &t), 0);
	return t.epoch;
}

static void test_capacity(void **state)
{
	uint32_t cap = 0;
	struct xdpc *x;

	(void)state;
	assert_int_equal(xdpc_afxdp_capacity(&cap), 0);
	assert_true(cap >= 1024);
	assert_int_equal(xdpc_open_afxdp(&x, cap + 1, NULL, NULL), -E2BIG);
	assert_int_equal(pins_at_root(), 0);		/* refused: nothing made */
	assert_int_equal(xdpc_open_afxdp(&x, 0, NULL, NULL), 0);
	assert_int_equal(xdpc_max_devices(x), cap);
	assert_int_equal(xdpc_unpin(x), 0);
	xdpc_close(x);
	assert_int_equal(xdpc_open_afxdp(&x, 100, NULL, NULL), 0);
	assert_int_equal(xdpc_max_devices(x), 100);	/* a smaller limit fits */
	assert_int_equal(xdpc_unpin(x), 0);
	xdpc_close(x);
}

/* The PMD first (the test bed's order), then xdpc takes its maps over. */
static void test_pmd_first(void **state)
{
	struct pmd p = { 0 }, q = { 0 };
	struct es_xdp_stats st;
	struct es_xdp_meter m, m2;
	struct timespec now;
	enum xdpc_mode mode;
	struct xdpc *x;
	int reused = -1;

	(void)state;
	assert_int_equal(pmd_start(&p, NULL), 0);
	/* its maps pinned by name at the root (7 today), not its xsks_map */
	assert_int_equal(pins_at_root(), object_pins());
	assert_int_equal(run_ret(p.prog_fd), XDP_DROP);	/* no table: unknown */

	assert_int_equal(xdpc_open_afxdp(&x, 0, NULL, &reused), 0);
	assert_int_equal(reused, 1);
	assert_int_equal(xdpc_adopt_attached(x, ifindex, 0, &mode), 0);
	assert_int_equal(mode, XDPC_MODE_SKB);		/* lo: generic XDP */
	assert_int_equal(xdp_prog_id(xdpc_prog_fd(x)), xdp_attached_id(ifindex));
	assert_int_equal(xdpc_adopt_attached(x, ifindex, 0, NULL), -EBUSY);
	assert_int_equal(xdpc_set_xsk(x, 0, -1) < 0, 1);	/* the PMD's own */

	/* xdpc's table is the instance's; the instance's counters are xdpc's */
	assert_int_equal(push_dev(x, 1, 4000000000u, 1u << 30), 0);
	assert_int_equal(run_ret(p.prog_fd), XDP_PASS);	/* FORWARD, no AF_XDP socket */
	assert_int_equal(xdpc_read_stats(x, &st), 0);
	assert_int_equal(st.verdict[ESOP_V_FORWARD], 1);
	assert_int_equal(st.verdict[ESOP_V_UNKNOWN_DEVICE], 1);
	assert_int_equal(st.no_xsk, 1);

	/*
	 * The meter's clock needs no setting: CLOCK_MONOTONIC_COARSE in ns.
	 * 8 kbit/s (1000 B/s) and a 1500 B burst: a handful of frames pass,
	 * the rest of 20 are over rate (the device keeps its meter, with the
	 * frame before).
	 */
	assert_int_equal(push_dev(x, 2, 8, 1500), 0);
	for (int i = 0; i < 20; i++)
		run_ret(p.prog_fd);
	assert_int_equal(xdpc_read_meter(x, DEV, &m), 0);
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	assert_true(m.packets >= 1 + 4 && m.packets <= 1 + 8);
	assert_int_equal(m.packets + m.over_rate, 21);
	assert_true(m.tat_ns > (uint64_t)now.tv_sec * 1000000000ull);
	assert_true(m.tat_ns < ((uint64_t)now.tv_sec + 5) * 1000000000ull);

	/*
	 * edgesteer-dp restarts: its close detaches the program, the next
	 * one's instance reuses the pins and judges by the table in force at
	 * once; the handle keeps driving the same maps.
	 */
	pmd_stop(&p);
	assert_int_equal(xdp_attached_id(ifindex), 0);
	assert_int_equal(pmd_start(&q, NULL), 0);
	assert_int_equal(table_epoch(x), 2);
	assert_int_equal(xdpc_read_meter(x, DEV, &m2), 0);
	assert_memory_equal(&m2, &m, sizeof(m));	/* its bucket too */
	assert_int_equal(push_dev(x, 3, 8, 1u << 30), 0);	/* a deep one */
	assert_int_equal(run_ret(q.prog_fd), XDP_PASS);
	assert_int_equal(table_epoch(x), 3);
	assert_int_equal(xdpc_read_stats(x, &st), 0);
	assert_int_equal(st.verdict[ESOP_V_FORWARD], m.packets + 1);
	/* the clean shutdown detaches the new instance: it uses our maps */
	assert_int_equal(xdpc_detach_and_unpin(x), 0);
	xdpc_close(x);
	assert_int_equal(xdp_attached_id(ifindex), 0);
	assert_int_equal(pins_at_root(), 0);
	pmd_stop(&q);
}

/* xdpc first: a table pushed before the PMD starts is in force at its start. */
static void test_daemon_first(void **state)
{
	struct pmd p = { 0 };
	struct es_xdp_stats st;
	struct xdpc *x;
	int reused = -1;

	(void)state;
	assert_int_equal(xdpc_open_afxdp(&x, 0, NULL, &reused), 0);
	assert_int_equal(reused, 0);
	assert_int_equal(pins_at_root(), object_pins());
	assert_int_equal(push_dev(x, 5, 4000000000u, 1u << 30), 0);
	assert_int_equal(xdpc_adopt_attached(x, ifindex, 0, NULL), -ETIMEDOUT);

	assert_int_equal(pmd_start(&p, NULL), 0);
	assert_int_equal(run_ret(p.prog_fd), XDP_PASS);	/* FORWARD by epoch 5 */
	assert_int_equal(xdpc_adopt_attached(x, ifindex, 1000, NULL), 0);
	assert_int_equal(xdpc_read_stats(x, &st), 0);
	assert_int_equal(st.verdict[ESOP_V_FORWARD], 1);

	/* a plain close leaves it serving (fail-static) */
	xdpc_close(x);
	assert_true(xdp_attached_id(ifindex) != 0);
	assert_int_equal(pins_at_root(), object_pins());
	/* a restarted daemon takes the maps over with their table */
	assert_int_equal(xdpc_open_afxdp(&x, 0, NULL, &reused), 0);
	assert_int_equal(reused, 1);
	assert_int_equal(table_epoch(x), 5);
	assert_int_equal(xdpc_read_meter(x, DEV, &(struct es_xdp_meter){ 0 }), 0);
	assert_int_equal(xdpc_adopt_attached(x, ifindex, 0, NULL), 0);

	/* clean shutdown: detached and unpinned; the PMD's close finds nothing */
	assert_int_equal(xdpc_detach_and_unpin(x), 0);
	xdpc_close(x);
	assert_int_equal(xdp_attached_id(ifindex), 0);
	assert_int_equal(pins_at_root(), 0);
	pmd_stop(&p);
}

/* Another instance's maps, and pins of another build: refused. */
static void test_foreign_refused(void **state)
{
	struct pmd p = { 0 };
	struct xdpc *x;
	int fd;

	(void)state;
	/* an instance loaded with its maps elsewhere does not share ours */
	assert_int_equal(mkdir(OTHER, 0700), 0);
	assert_int_equal(pmd_start(&p, OTHER), 0);
	assert_int_equal(xdpc_open_afxdp(&x, 0, NULL, NULL), 0);
	assert_int_equal(xdpc_adopt_attached(x, ifindex, 0, NULL), -EPROTO);
	assert_int_equal(xdpc_unpin(x), 0);
	xdpc_close(x);
	pmd_stop(&p);

	/* es_cfg pinned with another value size */
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "es_cfg", 4, 16, 1, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_pin(fd, ROOT "/es_cfg"), 0);
	close(fd);
	assert_int_equal(xdpc_open_afxdp(&x, 0, NULL, NULL), -EPROTO);
	assert_int_equal(pins_at_root(), 1);		/* nothing of ours made */
}

/* Whatever failed: nothing attached, no pin (the bpffs goes with the test). */
static int clean(void **state)
{
	char path[PATH_MAX];
	const char *dirs[] = { ROOT, OTHER };
	struct dirent *e;

	(void)state;
	bpf_xdp_detach(ifindex, 0, NULL);
	for (size_t i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);

		while (d && (e = readdir(d))) {
			if (!pinned_here(e))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[i], e->d_name);
			unlink(path);
		}
		if (d)
			closedir(d);
	}
	rmdir(OTHER);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_capacity, clean),
		cmocka_unit_test_teardown(test_pmd_first, clean),
		cmocka_unit_test_teardown(test_daemon_first, clean),
		cmocka_unit_test_teardown(test_foreign_refused, clean),
	};
	struct xdpc *probe;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: test_xdp_afxdp EDGESTEER_XDP_AFXDP.BPF.O\n");
		return 2;
	}
	obj_path = argv[1];
	/* root, and a kernel that loads the classifier */
	err = xdp_test_open(&probe, 16);
	if (err)
		return err;
	xdpc_close(probe);
	/* lo of our own, and a bpffs of our own at libbpf's root for pins */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bpf", ROOT, "bpf", 0, NULL)) {
		fprintf(stderr, "skip: no private network/mount namespace or bpffs: %s\n",
			strerror(errno));
		return 77;
	}
	ifindex = (int)if_nametoindex("lo");
	frame_len = xdp_frame(frame, sizeof(frame), 2, DEV, APP, 200);
	if (ifindex <= 0 || frame_len < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
