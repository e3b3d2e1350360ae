/* SPDX-License-Identifier: MIT */
/*
 * Policy tables: one bad table per POLICY.md rule (and the ways a file goes
 * wrong), each refused with its JSON path and nothing applied; the example
 * and the fixture world accepted; deltas; JSON and binary round trips.
 * argv: EXAMPLE_JSON FIXTURES_JSON
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

#include "esop.h"
#include "esop_fixtures.h"
#include "ptab.h"
#include "ptab_store.h"

static const char *example_path, *fixtures_path;

#define DEFAULTS "\"defaults\": { \"unknown_device\": \"drop\", \"rate_kbps\": 1000, " \
		 "\"burst_bytes\": 65536 }"
#define SRVX(name, kind, mac, ip, udp, port) \
	"{ \"name\": " name ", \"kind\": " kind ", \"mac\": " mac ", \"ip\": " ip \
	", \"udp_port\": " udp ", \"port\": " port " }"
#define EDGE0 SRVX("\"edge0\"", "\"edge\"", "\"02:00:00:00:01:02\"", "\"198.18.1.2\"", "7447", "1")
#define CLOUD0 SRVX("\"cloud0\"", "\"cloud\"", "\"02:00:00:00:02:02\"", "\"2001:2::2\"", "7447", "2")
#define TABLE(epoch, defaults, servers, devices) \
	"{ \"edgesteer_policy\": 1, \"epoch\": " epoch ", " defaults ", \"servers\": [ " \
	servers " ], \"devices\": [ " devices " ] }"
#define OKDEV "{ \"id\": 1, \"apps\": [ { \"app\": 3, \"target\": \"edge0\" } ] }"
#define T(devices) TABLE("9", DEFAULTS, EDGE0 ", " CLOUD0, devices)
#define TS(servers) TABLE("9", DEFAULTS, servers, OKDEV)
#define TD(defaults) TABLE("9", "\"defaults\": " defaults, EDGE0, OKDEV)
#define APP(x) T("{ \"id\": 1, \"apps\": [ " x " ] }")

struct bad_case {
	const char *name;
	const char *json;
	int rc;
	const char *where;	/* must appear in the message */
};

static const struct bad_case bad_cases[] = {
	/* the file itself */
	{ "empty", "", -EINVAL, "malformed JSON" },
	{ "not_json", "hello", -EINVAL, "malformed JSON at line 1" },
	{ "truncated", "{ \"edgesteer_policy\": 1, \"epoch\": 9, \"servers\": [", -EINVAL,
	  "ends early" },
	{ "trailing", T(OKDEV) " {}", -EINVAL, "malformed JSON" },
	{ "not_object", "[1, 2]", -EINVAL, "(top level): expected an object" },
	{ "dup_top_key", "{ \"edgesteer_policy\": 1, \"epoch\": 9, \"epoch\": 10 }", -EINVAL,
	  "epoch: duplicate key" },
	{ "unknown_key", "{ \"edgesteer_policy\": 1, \"epoch\": 9, \"epohc\": 10 }", -EINVAL,
	  "epohc: unknown key" },
	/* edgesteer_policy, epoch */
	{ "version_2", "{ \"edgesteer_policy\": 2, \"epoch\": 9 }", -EINVAL,
	  "edgesteer_policy: 2 out of range 1..1" },
	{ "version_string", "{ \"edgesteer_policy\": \"1\", \"epoch\": 9 }", -EINVAL,
	  "edgesteer_policy: expected an integer, got a string" },
	{ "epoch_missing", "{ \"edgesteer_policy\": 1 }", -EINVAL, "epoch: missing" },
	{ "epoch_negative", TABLE("-1", DEFAULTS, EDGE0, OKDEV), -EINVAL, "epoch: -1 out of range" },
	{ "epoch_fraction", TABLE("1.5", DEFAULTS, EDGE0, OKDEV), -EINVAL,
	  "epoch: expected an integer, got 1.5" },
	{ "epoch_huge", TABLE("1e300", DEFAULTS, EDGE0, OKDEV), -EINVAL, "epoch: " },
	{ "delta_not_bool", "{ \"edgesteer_policy\": 1, \"epoch\": 9, \"delta\": 1 }", -EINVAL,
	  "delta: expected true or false" },
	/* defaults */
	{ "defaults_missing", "{ \"edgesteer_policy\": 1, \"epoch\": 9, \"servers\": [], "
	  "\"devices\": [] }", -EINVAL, "defaults: missing" },
	{ "unknown_action", TD("{ \"unknown_device\": \"pass\", \"rate_kbps\": 1, \"burst_bytes\": 1500 }"),
	  -EINVAL, "defaults.unknown_device: 'pass'" },
	{ "default_rate_0", TD("{ \"unknown_device\": \"drop\", \"rate_kbps\": 0, \"burst_bytes\": 1500 }"),
	  -EINVAL, "defaults.rate_kbps: 0 out of range" },
	{ "default_burst_small", TD("{ \"unknown_device\": \"drop\", \"rate_kbps\": 1, \"burst_bytes\": 1499 }"),
	  -EINVAL, "defaults.burst_bytes: 1499 out of range" },
	{ "default_dup", TD("{ \"unknown_device\": \"drop\", \"rate_kbps\": 1, \"rate_kbps\": 2, "
	  "\"burst_bytes\": 1500 }"), -EINVAL, "defaults.rate_kbps: duplicate key" },
	/* servers */
	{ "servers_not_array", TABLE("9", DEFAULTS, "", OKDEV) ",", -EINVAL, "malformed" },
	{ "server_dup_name", TS(EDGE0 ", " EDGE0), -EINVAL,
	  "servers[1].name: 'edge0' already names servers[0]" },
	{ "server_name_local", TS(SRVX("\"local\"", "\"edge\"", "\"02:00:00:00:01:02\"",
	  "\"198.18.1.2\"", "7447", "1")), -EINVAL, "servers[0].name: 'local' is reserved" },
	{ "server_name_edge", TS(SRVX("\"edge\"", "\"edge\"", "\"02:00:00:00:01:02\"",
	  "\"198.18.1.2\"", "7447", "1")), -EINVAL, "servers[0].name: 'edge' is reserved" },
	{ "server_name_cloud", TS(SRVX("\"cloud\"", "\"edge\"", "\"02:00:00:00:01:02\"",
	  "\"198.18.1.2\"", "7447", "1")), -EINVAL, "servers[0].name: 'cloud' is reserved" },
	{ "server_name_empty", TS(SRVX("\"\"", "\"edge\"", "\"02:00:00:00:01:02\"",
	  "\"198.18.1.2\"", "7447", "1")), -EINVAL, "servers[0].name: '' is not" },
	{ "server_kind", TS(SRVX("\"e\"", "\"fog\"", "\"02:00:00:00:01:02\"",
	  "\"198.18.1.2\"", "7447", "1")), -EINVAL, "servers[0].kind: 'fog'" },
	{ "server_mac", TS(SRVX("\"e\"", "\"edge\"", "\"02:00:00:00:01\"",
	  "\"198.18.1.2\"", "7447", "1")), -EINVAL, "servers[0].mac: '02:00:00:00:01'" },
	{ "server_mac_multicast", TS(SRVX("\"e\"", "\"edge\"", "\"01:00:5e:00:00:01\"",
	  "\"198.18.1.2\"", "7447", "1")), -EINVAL, "servers[0].mac: '01:00:5e:00:00:01' is a multicast" },
	{ "server_ip", TS(SRVX("\"e\"", "\"edge\"", "\"02:00:00:00:01:02\"",
	  "\"198.18.1.300\"", "7447", "1")), -EINVAL, "servers[0].ip: '198.18.1.300'" },
	{ "server_ip6", TS(SRVX("\"e\"", "\"edge\"", "\"02:00:00:00:01:02\"",
	  "\"2001:2::g\"", "7447", "1")), -EINVAL, "servers[0].ip: '2001:2::g'" },
	{ "server_udp_0", TS(SRVX("\"e\"", "\"edge\"", "\"02:00:00:00:01:02\"",
	  "\"198.18.1.2\"", "0", "1")), -EINVAL, "servers[0].udp_port: 0 out of range 1..65535" },
	{ "server_udp_big", TS(SRVX("\"e\"", "\"edge\"", "\"02:00:00:00:01:02\"",
	  "\"198.18.1.2\"", "65536", "1")), -EINVAL, "servers[0].udp_port: 65536 out of range" },
	{ "server_port", TS(SRVX("\"e\"", "\"edge\"", "\"02:00:00:00:01:02\"",
	  "\"198.18.1.2\"", "7447", "256")), -EINVAL, "servers[0].port: 256 out of range 0..255" },
	{ "server_port_type", TS(SRVX("\"e\"", "\"edge\"", "\"02:00:00:00:01:02\"",
	  "\"198.18.1.2\"", "7447", "true")), -EINVAL, "servers[0].port: expected an integer, got a boolean" },
	{ "server_missing_ip", TS("{ \"name\": \"e\", \"kind\": \"edge\", \"mac\": "
	  "\"02:00:00:00:01:02\", \"udp_port\": 1, \"port\": 1 }"), -EINVAL, "servers[0].ip: missing" },
	/* devices */
	{ "devices_not_array", TABLE("9", DEFAULTS, EDGE0, "") ",", -EINVAL, "malformed" },
	{ "device_id_0", T("{ \"id\": 0 }"), -EINVAL, "devices[0].id: 0 out of range 1..4294967295" },
	{ "device_id_big", T("{ \"id\": 4294967296 }"), -EINVAL, "devices[0].id: 4294967296 out of range" },
	{ "device_id_string", T("{ \"id\": \"1\" }"), -EINVAL, "devices[0].id: expected an integer, got a string" },
	{ "device_dup_id", T("{ \"id\": 1 }, { \"id\": 2 }, { \"id\": 1 }"), -EINVAL,
	  "devices[2].id: device 1 already listed at devices[0]" },
	{ "device_dup_adjacent", T("{ \"id\": 4 }, { \"id\": 4 }"), -EINVAL,
	  "devices[1].id: device 4 already listed at devices[0]" },
	{ "device_rate_0", T("{ \"id\": 1, \"rate_kbps\": 0 }"), -EINVAL, "devices[0].rate_kbps: 0 out of range" },
	{ "device_burst", T("{ \"id\": 1 }, { \"id\": 2, \"burst_bytes\": 100 }"), -EINVAL,
	  "devices[1].burst_bytes: 100 out of range 1500.." },
	{ "device_dup_key", T("{ \"id\": 1, \"id\": 2 }"), -EINVAL, "devices[0].id: duplicate key" },
	{ "device_unknown_key", T("{ \"id\": 1, \"rate_kpbs\": 2 }"), -EINVAL, "devices[0].rate_kpbs: unknown key" },
	{ "device_not_object", T("7"), -EINVAL, "devices[0]: expected an object, got a number" },
	{ "device_apps_object", T("{ \"id\": 1, \"apps\": {} }"), -EINVAL, "devices[0].apps: expected an array" },
	{ "device_17_apps", T("{ \"id\": 1, \"apps\": [ {\"app\":1,\"target\":\"local\"}, {\"app\":2,\"target\":\"local\"}, "
	  "{\"app\":3,\"target\":\"local\"}, {\"app\":4,\"target\":\"local\"}, {\"app\":5,\"target\":\"local\"}, "
	  "{\"app\":6,\"target\":\"local\"}, {\"app\":7,\"target\":\"local\"}, {\"app\":8,\"target\":\"local\"}, "
	  "{\"app\":9,\"target\":\"local\"}, {\"app\":10,\"target\":\"local\"}, {\"app\":11,\"target\":\"local\"}, "
	  "{\"app\":12,\"target\":\"local\"}, {\"app\":13,\"target\":\"local\"}, {\"app\":14,\"target\":\"local\"}, "
	  "{\"app\":15,\"target\":\"local\"}, {\"app\":16,\"target\":\"local\"}, {\"app\":17,\"target\":\"local\"} ] }"),
	  -E2BIG, "devices[0].apps: 17 apps, over the limit of 16" },
	/* apps */
	{ "app_target_unknown", APP("{ \"app\": 3, \"target\": \"edge9\" }"), -EINVAL,
	  "devices[0].apps[0].target: 'edge9' is not" },
	{ "app_target_type", APP("{ \"app\": 3, \"target\": 1 }"), -EINVAL,
	  "devices[0].apps[0].target: expected a string, got a number" },
	{ "app_target_missing", APP("{ \"app\": 3 }"), -EINVAL, "devices[0].apps[0].target: missing" },
	{ "app_id_big", APP("{ \"app\": 65536, \"target\": \"local\" }"), -EINVAL,
	  "devices[0].apps[0].app: 65536 out of range 0..65535" },
	{ "app_dup", APP("{ \"app\": 3, \"target\": \"local\" }, { \"app\": 3, \"target\": \"edge\" }"),
	  -EINVAL, "devices[0].apps[1].app: app 3 already listed at apps[0]" },
	{ "app_split_big", APP("{ \"app\": 3, \"target\": \"edge0\", \"split_layer\": 1024 }"),
	  -EINVAL, "devices[0].apps[0].split_layer: 1024 out of range 0..1023" },
	{ "app_split_neg", APP("{ \"app\": 3, \"target\": \"edge0\", \"split_layer\": -1 }"),
	  -EINVAL, "devices[0].apps[0].split_layer: -1 out of range" },
	{ "app_exit_big", APP("{ \"app\": 3, \"target\": \"edge0\", \"exit\": 256 }"),
	  -EINVAL, "devices[0].apps[0].exit: 256 out of range 0..255" },
	{ "app_exit_null", APP("{ \"app\": 3, \"target\": \"edge0\", \"exit\": null }"),
	  -EINVAL, "devices[0].apps[0].exit: expected an integer, got null" },
	{ "app_kind_without_server", TABLE("9", DEFAULTS, EDGE0,
	  "{ \"id\": 1, \"apps\": [ { \"app\": 3, \"target\": \"cloud\" } ] }"), -EINVAL,
	  "devices[0].apps[0].target: 'cloud' but no cloud server is declared" },
	{ "app_unknown_key", APP("{ \"app\": 3, \"target\": \"edge0\", \"layer\": 1 }"), -EINVAL,
	  "devices[0].apps[0].layer: unknown key" },
	{ "remove_in_full_table", "{ \"edgesteer_policy\": 1, \"epoch\": 9, " DEFAULTS
	  ", \"servers\": [], \"devices\": [], \"remove_devices\": [1] }", -EINVAL,
	  "remove_devices: only a delta" },
	/* against the table in force (example.json, epoch 7) */
	{ "epoch_older", TABLE("6", DEFAULTS, EDGE0, OKDEV), -ESTALE, "epoch: 6 is not newer than 7" },
	{ "epoch_same", TABLE("7", DEFAULTS, EDGE0, OKDEV), -ESTALE, "epoch: 7 is not newer than 7" },
	{ "delta_remove_absent", "{ \"edgesteer_policy\": 1, \"epoch\": 8, \"delta\": true, "
	  "\"remove_devices\": [2, 5] }", -EINVAL, "remove_devices[1]: device 5 is not in the table" },
	{ "delta_remove_twice", "{ \"edgesteer_policy\": 1, \"epoch\": 8, \"delta\": true, "
	  "\"remove_devices\": [2, 2] }", -EINVAL, "remove_devices[1]: device 2 already listed" },
	{ "delta_add_and_remove", "{ \"edgesteer_policy\": 1, \"epoch\": 8, \"delta\": true, "
	  "\"devices\": [ { \"id\": 2 } ], \"remove_devices\": [2] }", -EINVAL,
	  "devices[0].id: device 2 is also in remove_devices[0]" },
	{ "delta_old_epoch", "{ \"edgesteer_policy\": 1, \"epoch\": 7, \"delta\": true, "
	  "\"devices\": [ { \"id\": 5 } ] }", -ESTALE, "epoch: 7 is not newer than 7" },
	{ "delta_server_gone", "{ \"edgesteer_policy\": 1, \"epoch\": 8, \"delta\": true, "
	  "\"servers\": [ " CLOUD0 " ] }", -EINVAL, "servers: server 'edge0' is gone but device 1" },
	{ "delta_target_unknown", "{ \"edgesteer_policy\": 1, \"epoch\": 8, \"delta\": true, "
	  "\"devices\": [ { \"id\": 5, \"apps\": [ { \"app\": 1, \"target\": \"edge1\" } ] } ] }",
	  -EINVAL, "devices[0].apps[0].target: 'edge1'" },
};

static void load_example(struct es_policy *p)
{
	struct ptab_error err = { "" };
	int rc = ptab_load_file(example_path, NULL, NULL, 0, p, NULL, &err);

	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
}

static int same_table(const struct es_policy *a, const struct es_policy *b)
{
	return a->epoch == b->epoch && a->ndevices == b->ndevices && a->napps == b->napps &&
	       a->nservers == b->nservers &&
	       !memcmp(a->servers, b->servers, sizeof(a->servers)) &&
	       !memcmp(a->devices, b->devices, a->ndevices * sizeof(*a->devices)) &&
	       !memcmp(a->apps, b->apps, a->napps * sizeof(*a->apps));
}

static void test_bad_tables(void **state)
{
	struct es_policy cur, before;

	(void)state;
	load_example(&cur);
	assert_int_equal(ptab_copy(&before, &cur), 0);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		struct ptab_error err = { "" };
		struct es_policy next;
		int rc;

		memset(&next, 0x5a, sizeof(next));
		rc = ptab_load("bad.json", bc->json, strlen(bc->json), &cur, NULL, 0, &next, NULL,
			       NULL, &err);
		if (rc != bc->rc || !strstr(err.msg, bc->where) ||
		    strncmp(err.msg, "bad.json: ", 10))
			fail_msg("%s: rc %d (want %d), message \"%s\" (want \"%s\")", bc->name,
				 rc, bc->rc, err.msg, bc->where);
		/* nothing applied: the output untouched, the table in force as it was */
		assert_int_equal(next.ndevices, 0x5a5a5a5a);
		assert_true(same_table(&cur, &before));
	}
	ptab_free(&cur);
	ptab_free(&before);
}

static void test_example(void **state)
{
	struct es_policy p;

	(void)state;
	load_example(&p);
	assert_int_equal(p.epoch, 7);
	assert_int_equal(p.unknown_action, ES_UNKNOWN_DROP);
	assert_int_equal(p.nservers, 2);
	assert_string_equal(p.servers[1].name, "cloud0");
	assert_int_equal(p.servers[1].kind, ESOP_TARGET_CLOUD);
	assert_int_equal(p.servers[0].udp_port, 7447);
	assert_int_equal(p.servers[0].ip[3], 2);
	assert_int_equal(p.ndevices, 2);
	assert_int_equal(p.devices[0].id, 1);
	assert_int_equal(p.devices[0].rate_kbps, 20000);
	assert_int_equal(p.devices[1].burst_bytes, 65536);	/* from the defaults */
	assert_int_equal(p.napps, 2);
	const struct es_app *a = &p.apps[p.devices[0].apps_off];

	assert_int_equal(a->target_kind, ESOP_TARGET_EDGE);
	assert_int_equal(a->server, 0);
	assert_int_equal(a->split_layer, 4);
	assert_int_equal(p.apps[p.devices[1].apps_off].target_kind, ESOP_TARGET_LOCAL);
	ptab_free(&p);
}

/* The fixture world every stage replays must be what its JSON says. */
static void test_fixtures_json(void **state)
{
	const struct esop_fix_world *w = &esop_fix_world;
	struct ptab_error err = { "" };
	struct es_policy p;
	int rc;

	(void)state;
	rc = ptab_load_file(fixtures_path, NULL, NULL, 0, &p, NULL, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_int_equal(p.epoch, w->epoch);
	assert_int_equal(p.default_rate_kbps, w->default_rate_kbps);
	assert_int_equal(p.nservers, w->nservers);
	for (unsigned int s = 0; s < w->nservers; s++) {
		assert_string_equal(p.servers[s].name, w->servers[s].name);
		assert_int_equal(p.servers[s].kind, w->servers[s].kind);
		assert_int_equal(p.servers[s].ipv6, w->servers[s].ipv6);
		assert_int_equal(p.servers[s].port, w->servers[s].port);
		assert_memory_equal(p.servers[s].mac, w->servers[s].host.mac, 6);
		assert_memory_equal(p.servers[s].ip, w->servers[s].ipv6 ? w->servers[s].host.ip6 :
				    w->servers[s].host.ip4, w->servers[s].ipv6 ? 16 : 4);
	}
	assert_int_equal(p.ndevices, w->ndevices);
	for (unsigned int i = 0; i < w->ndevices; i++) {
		const struct esop_fix_device *fd = esop_fix_device(p.devices[i].id);

		assert_non_null(fd);
		assert_int_equal(p.devices[i].rate_kbps, fd->rate_kbps);
		assert_int_equal(p.devices[i].burst_bytes, fd->burst_bytes);
		assert_int_equal(p.devices[i].napps, fd->napps);
		for (unsigned int a = 0; a < fd->napps; a++) {
			const struct es_app *ap = &p.apps[p.devices[i].apps_off + a];

			assert_int_equal(ap->app, fd->apps[a].app);
			assert_int_equal(ap->split_layer, fd->apps[a].split_layer);
			if (fd->apps[a].server < 0)
				assert_int_equal(ap->target_kind, ESOP_TARGET_LOCAL);
			else
				assert_int_equal(ap->server, fd->apps[a].server);
		}
	}
	ptab_free(&p);
}

static void test_delta(void **state)
{
	static const char delta[] =
		"{ \"edgesteer_policy\": 1, \"epoch\": 8, \"delta\": true,\n"
		"  \"devices\": [ { \"id\": 9, \"apps\": [ { \"app\": 1, \"target\": \"cloud\" } ] },\n"
		"               { \"id\": 1, \"rate_kbps\": 7 } ],\n"
		"  \"remove_devices\": [ 2 ] }";
	static const char servers[] =
		"{ \"edgesteer_policy\": 1, \"epoch\": 9, \"delta\": true, \"servers\": [ "
		CLOUD0 ", " EDGE0 " ] }";
	struct ptab_load_info info;
	struct ptab_error err = { "" };
	struct es_policy cur, next, next2;
	int rc;

	(void)state;
	load_example(&cur);
	rc = ptab_load("d.json", delta, strlen(delta), &cur, NULL, 0, &next, &info, NULL, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_int_equal(info.added, 1);
	assert_int_equal(info.replaced, 1);
	assert_int_equal(info.removed, 1);
	assert_int_equal(next.epoch, 8);
	assert_int_equal(next.ndevices, 2);
	assert_int_equal(next.devices[0].id, 1);
	assert_int_equal(next.devices[0].rate_kbps, 7);
	assert_int_equal(next.devices[0].napps, 0);
	assert_int_equal(next.devices[1].id, 9);
	assert_int_equal(next.apps[next.devices[1].apps_off].target_kind, ESOP_TARGET_CLOUD);
	assert_int_equal(next.apps[next.devices[1].apps_off].server, ES_SERVER_ANY);
	assert_int_equal(next.nservers, 2);

	/* servers reordered: apps in force follow their server by name */
	ptab_free(&next);
	rc = ptab_load("s.json", servers, strlen(servers), &cur, NULL, 0, &next, &info, NULL, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_string_equal(next.servers[1].name, "edge0");
	assert_int_equal(next.apps[next.devices[0].apps_off].server, 1);

	/* an older epoch goes in only when forced */
	rc = ptab_load("d.json", delta, strlen(delta), &next, NULL, 0, &next2, NULL, NULL, &err);
	assert_int_equal(rc, -ESTALE);
	rc = ptab_load("d.json", delta, strlen(delta), &next, NULL, PTAB_F_FORCE, &next2, NULL,
		       NULL, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(next2.epoch, 8);
	ptab_free(&next2);

	/* the delta between two tables reproduces the second from the first */
	struct ptab_delta dd;

	rc = ptab_load("d.json", delta, strlen(delta), &cur, NULL, 0, &next2, NULL, NULL, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(ptab_delta_between(&next, &next2, &dd), 0);
	assert_int_equal(dd.has_servers, 1);
	assert_int_equal(dd.nremove, 1);
	struct es_policy again;

	assert_int_equal(ptab_apply_delta("between", &next, &dd, NULL, &again, NULL, &err), 0);
	assert_true(same_table(&again, &next2));
	ptab_delta_free(&dd);
	ptab_free(&again);
	ptab_free(&next2);
	ptab_free(&next);
	ptab_free(&cur);
}

/* es_policy -> JSON -> es_policy is the identity; diff sees no change. */
static void test_json_round_trip(void **state)
{
	struct ptab_diff_stats st;
	struct ptab_error err = { "" };
	struct es_policy a, b;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(ptab_load_file(fixtures_path, NULL, NULL, 0, &a, NULL, &err), 0);
	f = open_memstream(&buf, &len);
	assert_int_equal(ptab_write_json(&a, f, 0), 0);
	fclose(f);
	if (ptab_load("rt.json", buf, len, NULL, NULL, 0, &b, NULL, NULL, &err))
		fail_msg("%s\n%s", err.msg, buf);
	assert_true(same_table(&a, &b));
	assert_int_equal(ptab_diff(&a, &b, NULL, 0, &st), 0);
	assert_int_equal(st.unchanged, a.ndevices);
	assert_int_equal(st.added + st.removed + st.changed, 0);
	b.devices[1].rate_kbps++;
	assert_int_equal(ptab_diff(&a, &b, NULL, 0, &st), 0);
	assert_int_equal(st.changed, 1);
	free(buf);
	ptab_free(&a);
	ptab_free(&b);
}

static void push_delta(const char *dir, const struct es_policy *cur, const char *json,
		       struct es_policy *next, int commit)
{
	struct ptab_store_txn tx;
	struct ptab_error err = { "" };
	struct ptab_delta d;

	if (ptab_load("j.json", json, strlen(json), cur, NULL, 0, next, NULL, &d, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(ptab_store_prepare(dir, next, &d, &tx), 0);
	assert_int_equal(tx.pending, 2);	/* journalled, not a snapshot */
	if (commit)
		assert_int_equal(ptab_store_commit(dir, &tx, 3), 0);
	else
		ptab_store_abort(&tx);
	ptab_delta_free(&d);
}

/* Deltas are journalled, replayed on reading, and a torn tail is cut. */
static void journal_round_trip(const char *dir, const struct es_policy *base)
{
	static const char d6[] = "{ \"edgesteer_policy\": 1, \"epoch\": 6, \"delta\": true, "
		"\"devices\": [ { \"id\": 9, \"apps\": [ { \"app\": 1, \"target\": \"cloud0\" } ] } ], "
		"\"remove_devices\": [ 1 ] }";
	static const char d7[] = "{ \"edgesteer_policy\": 1, \"epoch\": 7, \"delta\": true, "
		"\"servers\": [ " CLOUD0 " ], \"remove_devices\": [ 9 ] }";
	static const char d8[] = "{ \"edgesteer_policy\": 1, \"epoch\": 8, \"delta\": true, "
		"\"devices\": [ { \"id\": 3, \"rate_kbps\": 5 } ] }";
	struct ptab_error err = { "" };
	struct es_policy t6, t7, t8, back;
	char path[PATH_MAX];
	uint64_t ep[16];
	size_t n;
	FILE *f;

	push_delta(dir, base, d6, &t6, 1);
	push_delta(dir, &t6, d7, &t7, 0);	/* aborted: leaves nothing */
	push_delta(dir, &t6, d8, &t8, 1);
	assert_int_equal(ptab_store_read_current(dir, NULL, &back, &err), 0);
	assert_true(same_table(&back, &t8));
	ptab_free(&back);
	assert_int_equal(ptab_store_read_epoch(dir, 6, NULL, &back, &err), 0);
	assert_true(same_table(&back, &t6));
	ptab_free(&back);
	assert_int_equal(ptab_store_list(dir, ep, 16, &n), 0);
	assert_int_equal(n, 5);			/* snapshots 3 4 5, journal 6 8 */
	assert_int_equal(ep[3], 6);
	assert_int_equal(ep[4], 8);
	/* a crash mid-append: the torn record is ignored and cut off */
	snprintf(path, sizeof(path), "%s/journal", dir);
	f = fopen(path, "ab");
	assert_non_null(f);
	fputs("SEPJ torn", f);
	fclose(f);
	assert_int_equal(ptab_store_read_current(dir, NULL, &back, &err), 0);
	assert_true(same_table(&back, &t8));
	ptab_free(&back);
	push_delta(dir, &t8, "{ \"edgesteer_policy\": 1, \"epoch\": 9, \"delta\": true }",
		   &back, 1);
	ptab_free(&back);
	assert_int_equal(ptab_store_read_current(dir, NULL, &back, &err), 0);
	assert_int_equal(back.epoch, 9);
	ptab_free(&back);
	unlink(path);
	ptab_free(&t6);
	ptab_free(&t7);
	ptab_free(&t8);
}

static void test_store_round_trip(void **state)
{
	char dir[] = "/tmp/ptab-test-XXXXXX", path[PATH_MAX];
	struct ptab_store_txn tx;
	struct ptab_error err = { "" };
	struct es_policy a, b;
	uint64_t ep[8];
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	load_example(&a);
	for (uint64_t e = 1; e <= 5; e++) {
		a.epoch = e;
		assert_int_equal(ptab_store_prepare(dir, &a, NULL, &tx), 0);
		assert_int_equal(ptab_store_commit(dir, &tx, 3), 0);
	}
	/* an aborted prepare leaves current alone */
	a.epoch = 6;
	assert_int_equal(ptab_store_prepare(dir, &a, NULL, &tx), 0);
	ptab_store_abort(&tx);
	assert_int_equal(ptab_store_read_current(dir, NULL, &b, &err), 0);
	a.epoch = 5;
	assert_true(same_table(&a, &b));
	ptab_free(&b);
	assert_int_equal(ptab_store_list(dir, ep, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ep[0], 3);
	journal_round_trip(dir, &a);
	/* a damaged file is refused */
	ptab_store_path(dir, 4, path, sizeof(path));
	FILE *f = fopen(path, "r+b");

	assert_non_null(f);
	fseek(f, 70, SEEK_SET);
	fputc(0x77, f);
	fclose(f);
	assert_int_equal(ptab_store_read(path, NULL, &b, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "checksum"));
	for (size_t i = 0; i < n; i++) {
		ptab_store_path(dir, ep[i], path, sizeof(path));
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/current", dir);
	unlink(path);
	rmdir(dir);
	ptab_free(&a);
}

/* Over the device limit is refused whole; at the limit is fine. */
static char *many_devices(uint32_t n, size_t *len)
{
	size_t cap = (size_t)n * 16 + 512;
	char *s = malloc(cap);
	size_t o;

	assert_non_null(s);
	o = (size_t)snprintf(s, cap, "{ \"edgesteer_policy\": 1, \"epoch\": 1, " DEFAULTS
			     ", \"servers\": [], \"devices\": [");
	for (uint32_t i = 1; i <= n; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s{\"id\":%u}", i > 1 ? "," : "", i);
	o += (size_t)snprintf(s + o, cap - o, "] }");
	*len = o;
	return s;
}

static void test_device_limit(void **state)
{
	struct ptab_error err = { "" };
	struct es_policy p;
	size_t len;
	char *s;
	int rc;

	(void)state;
	s = many_devices(ES_MAX_DEVICES + 1, &len);
	memset(&p, 0x5a, sizeof(p));
	rc = ptab_load("big.json", s, len, NULL, NULL, 0, &p, NULL, NULL, &err);
	assert_int_equal(rc, -E2BIG);
	assert_non_null(strstr(err.msg, "big.json: devices: 1000001 devices, over the limit of 1000000"));
	assert_int_equal(p.ndevices, 0x5a5a5a5a);
	free(s);
	s = many_devices(ES_MAX_DEVICES, &len);
	rc = ptab_load("max.json", s, len, NULL, NULL, 0, &p, NULL, NULL, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_int_equal(p.ndevices, ES_MAX_DEVICES);
	assert_int_equal(p.devices[ES_MAX_DEVICES - 1].id, ES_MAX_DEVICES);
	ptab_free(&p);
	free(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_tables),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_fixtures_json),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_store_round_trip),
		cmocka_unit_test(test_device_limit),
	};

	if (argc < 3) {
		fprintf(stderr, "usage: %s EXAMPLE_JSON FIXTURES_JSON\n", argv[0]);
		return 2;
	}
	example_path = argv[1];
	fixtures_path = argv[2];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
