/* SPDX-License-Identifier: MIT */
/*
 * Table versions through the loader: a commit takes effect for the next
 * frame, prepare and abort change nothing a frame sees, bad tables are
 * refused and change nothing, one device updates in place, maps pin where
 * tools find them, and whole-table swaps while another CPU judges frames
 * never give a frame a mix of two versions.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "xdp_world.h"
#include "xdpc.h"

#define DEV		77u
#define APP		3u
#define SWAP_NS		1000000000ull

static struct xdpc *x;
static uint8_t frame[512];
static int frame_len;

/*
 * Three versions that disagree on DEV so that every frame's outcome names
 * the version that judged it. A mix (V1's table without DEV, judged with
 * another version's "drop unknown devices") would be UNKNOWN_DEVICE and
 * XDP_DROP, which no single version gives.
 */
enum { V_EDGE, V_UNKNOWN, V_LOCAL, V__COUNT };

static const int version_verdict[V__COUNT] = {
	ESOP_V_FORWARD, ESOP_V_UNKNOWN_DEVICE, ESOP_V_LOCAL,
};

static struct es_device ver_dev = { .id = DEV, .rate_kbps = 4000000000u,
				    .burst_bytes = 1u << 30, .napps = 1 };
static struct es_app ver_app[V__COUNT] = {
	[V_EDGE] = { .app = APP, .target_kind = ESOP_TARGET_EDGE },
	[V_LOCAL] = { .app = APP, .target_kind = ESOP_TARGET_LOCAL },
};

static void version_policy(int v, struct es_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->epoch = (uint64_t)v + 1;
	if (v == V_UNKNOWN) {
		p->unknown_action = ES_UNKNOWN_CONTROL;
		return;
	}
	p->unknown_action = ES_UNKNOWN_DROP;
	p->devices = &ver_dev;
	p->ndevices = 1;
	p->apps = &ver_app[v];
	p->napps = 1;
}

/*
 * The verdict of one frame run on @cpu (the caller runs there), from that
 * CPU's counters; -1 when none moved.
 */
static int verdict_once_of(int cpu, const uint8_t *f, int len, uint32_t *ret)
{
	struct es_xdp_stats a, b;
	int got = -1;

	if (xdp_stats_on_cpu(x, cpu, &a) ||
	    xdp_run(xdpc_prog_fd(x), f, (uint32_t)len, 1, ret, NULL) ||
	    xdp_stats_on_cpu(x, cpu, &b))
		return -1;
	for (int v = 0; v < ESOP_V__COUNT; v++)
		if (b.verdict[v] != a.verdict[v])
			got = v;
	return got;
}

static int verdict_once(int cpu, uint32_t *ret)
{
	return verdict_once_of(cpu, frame, frame_len, ret);
}

static int verdict_now_of(const uint8_t *f, int len, uint32_t *ret)
{
	int cpu = sched_getcpu(), v;
	cpu_set_t set, old;

	/* stay on one CPU across the run and both reads */
	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	v = verdict_once_of(cpu, f, len, ret);
	sched_setaffinity(0, sizeof(old), &old);
	return v;
}

static int verdict_now(uint32_t *ret)
{
	return verdict_now_of(frame, frame_len, ret);
}

/* Pushes version @v; returns the table version now active. */
static uint32_t push_version(int v)
{
	struct es_policy p;

	version_policy(v, &p);
	assert_int_equal(xdpc_push(x, &p), 0);
	return xdpc_active_version(x);
}

static void test_commit_is_next_frame(void **state)
{
	uint32_t ret;

	(void)state;
	for (int round = 0; round < 2; round++) {
		for (int v = 0; v < V__COUNT; v++) {
			struct es_xdp_meter m;

			push_version(v);
			/*
			 * the meter survives a swap between versions that both
			 * have DEV (LOCAL -> EDGE); one without DEV takes it away,
			 * and DEV comes back with a full, zeroed one
			 */
			int has = v != V_UNKNOWN, kept = v == V_EDGE && round;
			uint64_t before;

			assert_int_equal(xdpc_read_meter(x, DEV, &m), has ? 0 : -ENOENT);
			before = has ? m.packets : 0;
			assert_int_equal(before, kept ? 1 : 0);
			assert_true(!has || kept || (m.tat_ns == 0 && m.over_rate == 0));
			assert_int_equal(verdict_now(&ret), version_verdict[v]);
			assert_int_equal(ret, XDP_PASS);
			/* a frame of DEV counts on the kept meter, or makes one */
			if (v != V_UNKNOWN) {
				assert_int_equal(xdpc_read_meter(x, DEV, &m), 0);
				assert_int_equal(m.packets, before + 1);
			}
		}
	}
}

static void test_prepare_abort_invisible(void **state)
{
	struct es_policy p;
	uint32_t ret, before;

	(void)state;
	before = push_version(V_EDGE);
	version_policy(V_LOCAL, &p);
	assert_int_equal(xdpc_prepare(x, &p), 0);
	assert_int_equal(verdict_now(&ret), ESOP_V_FORWARD);
	xdpc_abort(x);
	assert_int_equal(xdpc_commit(x), -EINVAL);
	assert_int_equal(xdpc_active_version(x), before);
	assert_int_equal(verdict_now(&ret), ESOP_V_FORWARD);
}

static void test_bad_tables_change_nothing(void **state)
{
	struct es_device two[2] = {
		{ .id = 9, .rate_kbps = 1000, .burst_bytes = 1500 },
		{ .id = 5, .rate_kbps = 1000, .burst_bytes = 1500 },
	};
	struct es_device zero_rate = { .id = 9, .burst_bytes = 1500 };
	struct es_policy p;
	uint32_t ret, before;

	(void)state;
	before = push_version(V_EDGE);

	memset(&p, 0, sizeof(p));
	p.devices = two;
	p.ndevices = 2;			/* not sorted */
	assert_int_equal(xdpc_push(x, &p), -EINVAL);
	p.devices = &zero_rate;
	p.ndevices = 1;			/* rate 0, and no default to take */
	assert_int_equal(xdpc_push(x, &p), -EINVAL);
	p.devices = two;
	p.ndevices = 1;
	p.unknown_action = 7;		/* no such action */
	assert_int_equal(xdpc_push(x, &p), -EINVAL);
	p.unknown_action = 0;
	p.ndevices = 1025;		/* over the capacity it was opened with */
	assert_int_equal(xdpc_push(x, &p), -E2BIG);

	assert_int_equal(xdpc_active_version(x), before);
	assert_int_equal(verdict_now(&ret), ESOP_V_FORWARD);
}

static uint64_t coarse_tick_ns(void)
{
	struct timespec r;

	assert_int_equal(clock_getres(CLOCK_MONOTONIC_COARSE, &r), 0);
	return (uint64_t)r.tv_sec * 1000000000ull + (uint64_t)r.tv_nsec;
}

/* Rate or burst 0 in a device: the table's defaults, as POLICY.md says. */
static void test_defaults_fill_in(void **state)
{
	struct es_device d = { .id = 5 };
	struct es_policy p = { .default_rate_kbps = 1000, .default_burst_bytes = 65536,
			       .devices = &d, .ndevices = 1 };
	struct es_xdp_device v;
	char name[8];

	(void)state;
	assert_int_equal(xdpc_push(x, &p), 0);
	snprintf(name, sizeof(name), "es_dev%u", xdpc_active_version(x));
	assert_int_equal(bpf_map_lookup_elem(xdpc_map_fd(x, name), &d.id, &v), 0);
	assert_int_equal(v.rate_kbps, 1000);
	assert_int_equal(v.burst_bytes, 65536);
	/* 0.524288 s of burst, plus the coarse clock's tick the meter reads */
	assert_int_equal(v.tau_ns, 65536ull * 8000000ull / 1000 + coarse_tick_ns());
	assert_int_equal(v.ns_per_byte_q16, 8000ull << 16);		/* 8 us a byte */
	assert_int_equal(v.napps, 0);
}

static void test_update_device_in_place(void **state)
{
	uint32_t ret, before;

	(void)state;
	before = push_version(V_EDGE);
	assert_int_equal(xdpc_update_device(x, &ver_dev, &ver_app[V_LOCAL]), 0);
	assert_int_equal(xdpc_active_version(x), before);
	assert_int_equal(verdict_now(&ret), ESOP_V_LOCAL);
	assert_int_equal(xdpc_update_device(x, &ver_dev, &ver_app[V_EDGE]), 0);
	assert_int_equal(verdict_now(&ret), ESOP_V_FORWARD);
}

static void test_pinned_maps(void **state)
{
	char dir[64], path[128];
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/edgesteer-test-%d", (int)getpid());
	assert_int_equal(xdpc_pin(x, dir), 0);
	for (size_t i = 0; i < 3; i++) {
		static const char *const names[] = { "xsks_map", "es_stats", "es_meters" };

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		fd = bpf_obj_get(path);
		assert_true(fd >= 0);
		close(fd);
	}
	assert_int_equal(xdpc_unpin(x), 0);
	assert_int_equal(access(dir, F_OK), -1);
}

static struct es_xdp_table table_now(void)
{
	struct es_xdp_table t;
	__u32 v = xdpc_active_version(x);

	assert_int_equal(bpf_map_lookup_elem(xdpc_map_fd(x, "es_tables"), &v, &t), 0);
	return t;
}

/* Delta pushes: devices added, replaced, removed; servers swapped; refusals. */
static void test_delta(void **state)
{
	struct es_device add[2] = {
		{ .id = DEV, .napps = 1 },			/* replaced: LOCAL */
		{ .id = 88, .apps_off = 1, .napps = 1 },	/* added: EDGE */
	};
	struct es_app apps[2] = {
		{ .app = APP, .target_kind = ESOP_TARGET_LOCAL },
		{ .app = APP, .target_kind = ESOP_TARGET_EDGE },
	};
	struct es_policy d = { .epoch = 9, .default_rate_kbps = 4000000000u,
			       .default_burst_bytes = 1u << 30, .devices = add,
			       .ndevices = 2, .apps = apps, .napps = 2 };
	uint8_t f88[512], res[512];
	int l88 = xdp_frame(f88, sizeof(f88), 2, 88, APP, 200);
	int lres = xdp_frame(res, sizeof(res), ESOP_T_RESULT, DEV, APP, 100);
	uint32_t ret, rm88 = 88, before, none = 12345;
	struct es_xdp_table t;

	(void)state;
	assert_true(l88 > 0 && lres > 0);
	before = push_version(V_EDGE);
	assert_int_equal(verdict_now_of(f88, l88, &ret), ESOP_V_UNKNOWN_DEVICE);
	assert_int_equal(verdict_now_of(res, lres, &ret), ESOP_V_UNEXPECTED);

	assert_int_equal(xdpc_push_delta(x, &d, NULL, 0, 0), 0);
	assert_int_equal(xdpc_active_version(x), before);	/* in place */
	assert_int_equal(verdict_now(&ret), ESOP_V_LOCAL);
	assert_int_equal(verdict_now_of(f88, l88, &ret), ESOP_V_FORWARD);
	t = table_now();
	assert_int_equal(t.epoch, 9);
	assert_int_equal(t.ndevices, 2);

	/* refused deltas change nothing */
	assert_int_equal(xdpc_push_delta(x, &d, &none, 1, 0), -ENOENT);
	assert_int_equal(xdpc_push_delta(x, &d, &rm88, 1, 0), -EINVAL); /* + and - */
	d.default_rate_kbps = 0;				/* rate 0, no default */
	assert_int_equal(xdpc_push_delta(x, &d, NULL, 0, 0), -EINVAL);
	d.default_rate_kbps = 4000000000u;
	add[1].id = 5;						/* not sorted */
	assert_int_equal(xdpc_push_delta(x, &d, NULL, 0, 0), -EINVAL);
	add[1].id = 88;
	assert_int_equal(xdpc_push_delta(x, &d, NULL, 0, 0x8), -EINVAL);
	{
		struct es_device many[1024];
		struct es_policy big = d;

		for (uint32_t i = 0; i < 1024; i++)
			many[i] = (struct es_device){ .id = 1000 + i };
		big.devices = many;
		big.ndevices = 1024;
		big.napps = 0;
		big.apps = NULL;
		assert_int_equal(xdpc_push_delta(x, &big, NULL, 0, 0), -E2BIG);
	}
	version_policy(V_EDGE, &d);
	assert_int_equal(xdpc_prepare(x, &d), 0);
	assert_int_equal(xdpc_push_delta(x, &d, NULL, 0, 0), -EBUSY);
	xdpc_abort(x);
	assert_int_equal(verdict_now(&ret), ESOP_V_LOCAL);
	assert_int_equal(verdict_now_of(f88, l88, &ret), ESOP_V_FORWARD);
	t = table_now();
	assert_int_equal(t.epoch, 9);
	assert_int_equal(t.ndevices, 2);

	/* a removal, and the server list swapped in alone */
	memset(&d, 0, sizeof(d));
	d.epoch = 10;
	d.nservers = 1;
	d.servers[0].kind = ESOP_TARGET_EDGE;
	memcpy(d.servers[0].ip, (uint8_t[]){ 198, 18, 0, 11 }, 4);
	assert_int_equal(xdpc_push_delta(x, &d, &rm88, 1, XDPC_DELTA_SERVERS), 0);
	assert_int_equal(verdict_now_of(f88, l88, &ret), ESOP_V_UNKNOWN_DEVICE);
	assert_int_equal(verdict_now_of(res, lres, &ret), ESOP_V_RETURN);
	assert_int_equal(verdict_now(&ret), ESOP_V_LOCAL);
	assert_int_equal(table_now().ndevices, 1);
	d.nservers = 0;
	assert_int_equal(xdpc_push_delta(x, &d, NULL, 0, XDPC_DELTA_SERVERS), 0);
	assert_int_equal(verdict_now_of(res, lres, &ret), ESOP_V_UNEXPECTED);
	/* a whole push after deltas starts from its own table */
	push_version(V_EDGE);
	assert_int_equal(verdict_now(&ret), ESOP_V_FORWARD);
	assert_int_equal(verdict_now_of(f88, l88, &ret), ESOP_V_UNKNOWN_DEVICE);
}

struct swapper {
	volatile int *stop;
	int err;
	unsigned long swaps;
};

static void *swap_loop(void *arg)
{
	struct swapper *s = arg;
	struct es_policy p;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!*s->stop && !s->err) {
		version_policy((int)(s->swaps % V__COUNT), &p);
		s->err = xdpc_push(x, &p);
		s->swaps++;
	}
	return NULL;
}

/*
 * Runs @changer on CPU 0 while this thread judges frames on CPU 1 for @ns:
 * counts each frame under the version whose outcome it got, or as mixed.
 * Returns the frames judged.
 */
static unsigned long judge_while(void *(*changer)(void *), struct swapper *s,
				 uint64_t ns, unsigned long seen[V__COUNT],
				 unsigned long *mixed)
{
	unsigned long frames = 0;
	volatile int stop = 0;
	struct timespec t0, t;
	pthread_t th;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(1, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
	*s = (struct swapper){ .stop = &stop };
	assert_int_equal(pthread_create(&th, NULL, changer, s), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		uint32_t ret;
		int v = verdict_once(1, &ret);

		frames++;
		if (v == ESOP_V_FORWARD && ret == XDP_PASS)
			seen[V_EDGE]++;
		else if (v == ESOP_V_UNKNOWN_DEVICE && ret == XDP_PASS)
			seen[V_UNKNOWN]++;
		else if (v == ESOP_V_LOCAL && ret == XDP_PASS)
			seen[V_LOCAL]++;
		else
			(*mixed)++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((uint64_t)(t.tv_sec - t0.tv_sec) * 1000000000ull +
		 (uint64_t)t.tv_nsec - (uint64_t)t0.tv_nsec < ns);
	stop = 1;
	pthread_join(th, NULL);
	return frames;
}

static void test_swap_under_load(void **state)
{
	unsigned long seen[V__COUNT] = { 0 }, mixed = 0, frames;
	struct swapper s;

	(void)state;
	if (libbpf_num_possible_cpus() < 2 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip();
	frames = judge_while(swap_loop, &s, SWAP_NS, seen, &mixed);
	printf("swap: %lu swaps, %lu frames: edge %lu, unknown %lu, local %lu, mixed %lu\n",
	       s.swaps, frames, seen[V_EDGE], seen[V_UNKNOWN], seen[V_LOCAL], mixed);
	assert_int_equal(s.err, 0);
	assert_int_equal(mixed, 0);
	assert_true(s.swaps >= 3);
	for (int v = 0; v < V__COUNT; v++)
		assert_true(seen[v] > 0);
}

static void *delta_loop(void *arg)
{
	struct swapper *s = arg;
	struct es_device d = ver_dev;
	struct es_policy p;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	memset(&p, 0, sizeof(p));
	p.devices = &d;
	p.ndevices = 1;
	p.napps = 1;
	while (!*s->stop && !s->err) {
		/* DEV's placement and burst change with every delta */
		p.apps = &ver_app[s->swaps & 1 ? V_LOCAL : V_EDGE];
		d.burst_bytes = (1u << 30) - (uint32_t)(s->swaps & 1);
		p.epoch = s->swaps;
		s->err = xdpc_push_delta(x, &p, NULL, 0, 0);
		s->swaps++;
	}
	return NULL;
}

/*
 * Deltas replacing DEV back and forth while CPU 1 judges its frames: each
 * frame is FORWARD or LOCAL, never anything else, and DEV keeps its meter
 * (slot) throughout, so the meter counted every frame.
 */
static void test_delta_under_load(void **state)
{
	unsigned long seen[V__COUNT] = { 0 }, mixed = 0, frames;
	struct es_xdp_meter m0, m1;
	struct swapper s;

	(void)state;
	if (libbpf_num_possible_cpus() < 2 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip();
	push_version(V_EDGE);
	assert_int_equal(xdpc_read_meter(x, DEV, &m0), 0);
	frames = judge_while(delta_loop, &s, SWAP_NS / 2, seen, &mixed);
	printf("delta: %lu deltas, %lu frames: edge %lu, local %lu, other %lu\n",
	       s.swaps, frames, seen[V_EDGE], seen[V_LOCAL], seen[V_UNKNOWN] + mixed);
	assert_int_equal(s.err, 0);
	assert_int_equal(mixed + seen[V_UNKNOWN], 0);
	assert_true(seen[V_EDGE] > 0 && seen[V_LOCAL] > 0);
	assert_int_equal(xdpc_read_meter(x, DEV, &m1), 0);
	assert_int_equal(m1.packets - m0.packets, frames);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit_is_next_frame),
		cmocka_unit_test(test_prepare_abort_invisible),
		cmocka_unit_test(test_bad_tables_change_nothing),
		cmocka_unit_test(test_defaults_fill_in),
		cmocka_unit_test(test_update_device_in_place),
		cmocka_unit_test(test_pinned_maps),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_swap_under_load),
		cmocka_unit_test(test_delta_under_load),
	};
	int err;

	err = xdp_test_open(&x, 1024);
	if (err)
		return err;
	frame_len = xdp_frame(frame, sizeof(frame), 2, DEV, APP, 200);
	if (frame_len < 0)
		return 1;
	err = cmocka_run_group_tests(tests, NULL, NULL);
	xdpc_close(x);
	return err;
}
