/* SPDX-License-Identifier: MIT */
/*
 * The shared parser as the kernel runs it: ebpf/esop_probe.bpf.c is loaded
 * through the real verifier and run with BPF_PROG_TEST_RUN on every frame of
 * the corpus; what it found must equal, byte for byte, what the userspace
 * build of the same header finds, and the expected parser result.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <linux/types.h>

#include "es_abi.h"
#include "esop_fixtures.h"
#include "esop_probe.skel.h"

static struct esop_probe *skel;
static struct esop_fixture *fx;
static size_t nfx;

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static void test_probe_matches_userspace(void **state)
{
	int prog = bpf_program__fd(skel->progs.esop_probe);
	int map = bpf_map__fd(skel->maps.probe_out);
	__u32 key = 0;

	(void)state;
	for (size_t i = 0; i < nfx; i++) {
		struct es_probe_out kern, user;
		struct esop_parse_cfg cfg = { 0 };
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			    .data_in = fx[i].frame,
			    .data_size_in = fx[i].len,
			    .repeat = 1);

		/* the kernel hands XDP no frame shorter than an Ethernet header */
		if (fx[i].len < 14)
			continue;
		if (bpf_prog_test_run_opts(prog, &opts))
			fail_msg("%s: test_run: %s", fx[i].name, strerror(errno));
		assert_int_equal(opts.retval, 2 /* XDP_PASS */);
		assert_int_equal(bpf_map_lookup_elem(map, &key, &kern), 0);

		memset(&user, 0, sizeof(user));
		user.verdict = esop_parse(fx[i].frame, fx[i].frame + fx[i].len,
					  &cfg, &user.pkt);
		if (kern.verdict != fx[i].parse || kern.pkt.drop_reason != fx[i].reason)
			fail_msg("%s: BPF parse %s/%s, expected %s/%s", fx[i].name,
				 esop_verdict_names[kern.verdict],
				 esop_drop_names[kern.pkt.drop_reason],
				 esop_verdict_names[fx[i].parse],
				 esop_drop_names[fx[i].reason]);
		if (memcmp(&kern, &user, sizeof(kern)))
			fail_msg("%s: BPF and userspace parses differ", fx[i].name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_matches_userspace),
	};
	int err;

	if (geteuid() != 0) {
		fprintf(stderr, "skip: loading BPF programs needs root\n");
		return 77;
	}
	libbpf_set_print(quiet);
	skel = esop_probe__open_and_load();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "error: esop_probe: open/load failed: %s\n", strerror(-err));
		return err == -EPERM ? 77 : 1;
	}
	if (esop_fixtures_build(&fx, &nfx))
		return 1;
	err = cmocka_run_group_tests(tests, NULL, NULL);
	free(fx);
	esop_probe__destroy(skel);
	return err;
}
