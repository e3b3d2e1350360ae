/* SPDX-License-Identifier: MIT */
/*
 * ctl_seen: what the fast path's records report reaches the policies'
 * observations every epoch: SNR (OFFLOAD_REQ and TELEMETRY), app,
 * EARLY_EXIT_OK and the pending task's total_len (OFFLOAD_REQ), the size
 * only for CTL_SEEN_PENDING_NS; devices not in the table are skipped,
 * devices that never reported stay unreported; thousands of ids (growth).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_seen.h"
#include "esop.h"

#define NDEV	4000u
#define SEC	1000000000ull

static struct es_device devs[NDEV];
static struct es_policy table;
static struct ctl_device_obs obs[NDEV];

/* Devices 10, 20, ... (sorted, as ptab keeps them). */
static void table_init(void)
{
	for (uint32_t i = 0; i < NDEV; i++)
		devs[i] = (struct es_device){ .id = (i + 1) * 10, .rate_kbps = 1000,
					      .burst_bytes = 65536 };
	table = (struct es_policy){ .epoch = 1, .ndevices = NDEV, .devices = devs };
}

static struct fp_msg_telem_rec rec(uint32_t id, uint8_t type, uint16_t app, int16_t snr,
				   uint8_t flags, uint32_t total_len)
{
	return (struct fp_msg_telem_rec){ .device_id = id, .type = type, .app_id = app,
		.snr_qdb = snr, .flags = flags, .total_len = total_len,
		.verdict = ESOP_V_REQUEST };
}

static void fill(struct ctl_seen *s, uint64_t now)
{
	memset(obs, 0, sizeof(obs));
	ctl_seen_fill(s, &table, obs, now);
}

static void test_reports_kept(void **state)
{
	static const struct {
		struct fp_msg_telem_rec r;
		uint64_t at;		/* s */
		uint64_t fill_at;	/* s */
		int16_t snr;
		uint16_t app;
		uint8_t early;
		uint32_t pending;
	} cases[] = {
		/* a request: everything, the size while pending */
		{ { 10, 0, 0, 0, ESOP_T_OFFLOAD_REQ, 0, ESOP_F_EARLY_EXIT_OK, 0, 81920 },
		  5, 5, 0, 0, 1, 81920 },
		/* later epochs without a record: still pending inside the hold */
		{ { 0 }, 0, 5, 0, 0, 1, 81920 },
		/* past the hold (2 s): nothing pending, the rest as reported */
		{ { 0 }, 0, 7, 0, 0, 1, 0 },
		/* TELEMETRY: the SNR only */
		{ { 10, 0, 9, -144, ESOP_T_TELEMETRY, 0, 0, 0, 99 }, 8, 8, -144, 0, 1, 0 },
		/* a new request without the flag, another app and size */
		{ { 10, 0, 4, 80, ESOP_T_OFFLOAD_REQ, 0, 0, 0, 4000 }, 9, 9, 80, 4, 0, 4000 },
	};
	struct ctl_seen *s;

	(void)state;
	table_init();
	assert_int_equal(ctl_seen_create(&s), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].r.device_id)
			assert_int_equal(ctl_seen_record(s, &cases[i].r, cases[i].at * SEC), 0);
		fill(s, cases[i].fill_at * SEC + (i == 1 ? SEC / 2 : 0));
		assert_int_equal(obs[0].reported, 1);
		assert_int_equal(obs[0].id, 10);
		assert_int_equal(obs[0].snr_qdb, cases[i].snr);
		assert_int_equal(obs[0].app_id, cases[i].app);
		assert_int_equal(obs[0].early_exit_ok, cases[i].early);
		assert_int_equal(obs[0].pending_bytes, cases[i].pending);
		assert_int_equal(obs[1].reported, 0);	/* device 20 never spoke */
	}
	ctl_seen_free(s);
}

static void test_many_and_unknown(void **state)
{
	struct ctl_seen *s;

	(void)state;
	table_init();
	assert_int_equal(ctl_seen_create(&s), 0);
	for (uint32_t i = 0; i < NDEV; i++) {
		struct fp_msg_telem_rec r = rec(devs[i].id, ESOP_T_OFFLOAD_REQ, 3,
						(int16_t)(i % 200 - 100), 0, i + 1);

		assert_int_equal(ctl_seen_record(s, &r, SEC), 0);
	}
	fill(s, SEC);
	for (uint32_t i = 0; i < NDEV; i++) {
		assert_int_equal(obs[i].id, devs[i].id);
		assert_int_equal(obs[i].snr_qdb, (int16_t)(i % 200 - 100));
		assert_int_equal(obs[i].pending_bytes, i + 1);
	}
	/* a device the table no longer has is not written anywhere */
	table.ndevices = NDEV / 2;
	fill(s, SEC);
	for (uint32_t i = NDEV / 2; i < NDEV; i++)
		assert_int_equal(obs[i].reported, 0);
	ctl_seen_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reports_kept),
		cmocka_unit_test(test_many_and_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
