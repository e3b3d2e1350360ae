/* SPDX-License-Identifier: MIT */
#include "xdp_world.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "esop.h"
#include "esop_fixtures.h"
#include "xdpc.h"

int xdp_world_policy(struct es_policy *p)
{
	return esop_fix_world_policy(p);
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int xdp_synth_policy(struct es_policy *p, uint32_t *ids, uint32_t n,
		     uint32_t rate_kbps, uint32_t burst_bytes)
{
	memset(p, 0, sizeof(*p));
	p->epoch = 1;
	p->devices = calloc(n ? n : 1, sizeof(*p->devices));
	p->apps = calloc(1, sizeof(*p->apps));
	if (!p->devices || !p->apps) {
		xdp_policy_free(p);
		return -ENOMEM;
	}
	qsort(ids, n, sizeof(*ids), u32_cmp);
	p->apps[0] = (struct es_app){ .app = 3, .target_kind = ESOP_TARGET_EDGE };
	p->napps = 1;
	p->ndevices = n;
	for (uint32_t i = 0; i < n; i++)
		p->devices[i] = (struct es_device){ .id = ids[i], .rate_kbps = rate_kbps,
						    .burst_bytes = burst_bytes,
						    .apps_off = 0, .napps = 1 };
	return 0;
}

void xdp_policy_free(struct es_policy *p)
{
	free(p->devices);
	free(p->apps);
	p->devices = NULL;
	p->apps = NULL;
	p->ndevices = p->napps = 0;
}

int xdp_frame(uint8_t *buf, size_t cap, uint8_t type, uint32_t device_id,
	      uint16_t app_id, uint32_t payload_len)
{
	const struct esop_gen_host dev = {
		{ 2, 0, 0, 0, 0, 0x11 }, { 198, 18, 0, 11 },
		{ 0x20, 0x01, 0x00, 0x02, [15] = 0x11 }, 7447
	};
	struct esop_gen_spec s = {
		.encap = ESOP_ENC_V4,
		.src = dev,
		.dst = esop_fix_world.ap,
		.hdr = esop_gen_hdr_default(type, device_id),
		.payload_len = payload_len,
	};

	s.hdr.app_id = app_id;
	if (type == ESOP_T_TENSOR)
		s.hdr.total_len = payload_len;
	return esop_gen_build(buf, cap, &s);
}

int xdp_run(int prog_fd, const void *frame, uint32_t len, uint32_t repeat,
	    uint32_t *retval, uint32_t *duration_ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	if (retval)
		*retval = o.retval;
	if (duration_ns)
		*duration_ns = o.duration;
	return 0;
}

static int warnings_only(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int xdp_test_open(struct xdpc **x, uint32_t max_devices)
{
	int err;

	if (geteuid() != 0) {
		fprintf(stderr, "skip: loading BPF programs needs root\n");
		return 77;
	}
	libbpf_set_print(warnings_only);
	err = xdpc_open(x, max_devices);
	if (err) {
		fprintf(stderr, "error: edgesteer_xdp: open/load: %s\n", strerror(-err));
		return err == -EPERM ? 77 : 1;
	}
	return 0;
}

int xdp_stats_on_cpu(struct xdpc *x, int cpu, struct es_xdp_stats *out)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct es_xdp_stats *per;
	__u32 zero = 0;

	if (ncpu <= 0 || cpu < 0 || cpu >= ncpu)
		return -EINVAL;
	per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(xdpc_map_fd(x, "es_stats"), &zero, per))
		err = -errno;
	else
		*out = per[cpu];
	free(per);
	return err;
}

const struct esop_fixture *xdp_fixture(const struct esop_fixture *fx, size_t n,
				       const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(fx[i].name, name))
			return &fx[i];
	return NULL;
}

uint32_t xdp_prog_id(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

uint32_t xdp_attached_id(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	return q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
}
