/* SPDX-License-Identifier: MIT */
/*
 * Deltas and overlays without DPDK (fp_delta.h, fp_view.h):
 *  - a seeded random base, then random deltas (devices added, replaced,
 *    removed, removed ones added again, 1..6 apps so that overflow apps
 *    move too): after each fold, every id's lookup through the view equals
 *    the lookup in a table built whole from the same policy (present or
 *    absent, rate, burst, every app); the merged base passes
 *    fp_table_validate and gives the same answers again;
 *  - bad deltas, one per rule, refused with their errno, nothing built.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "esop.h"
#include "fp_delta.h"
#include "fp_table.h"
#include "fp_view.h"

#define MAXID	6000u
#define NSERV	3

/* The reference: each id's device, present or not. */
struct model_dev {
	int present;
	uint32_t rate, burst;
	uint8_t napps;
	struct es_app apps[ES_MAX_APPS_PER_DEVICE];
};

static struct model_dev model[MAXID + 1];
static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static void servers_of(struct es_policy *p)
{
	static const uint8_t kinds[NSERV] = { ESOP_TARGET_EDGE, ESOP_TARGET_EDGE,
					      ESOP_TARGET_CLOUD };

	p->nservers = NSERV;
	for (int i = 0; i < NSERV; i++) {
		struct es_server *s = &p->servers[i];

		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "s%d", i);
		s->kind = kinds[i];
		s->udp_port = 7447;
		s->port = (uint16_t)(1 + i);
		s->ip[0] = 198;
		s->ip[1] = 18;
		s->ip[3] = (uint8_t)(1 + i);
	}
}

static void random_dev(struct model_dev *m)
{
	static const uint8_t pick[][2] = {
		{ ESOP_TARGET_LOCAL, 0 }, { ESOP_TARGET_EDGE, 0 }, { ESOP_TARGET_EDGE, 1 },
		{ ESOP_TARGET_CLOUD, 2 }, { ESOP_TARGET_EDGE, ES_SERVER_ANY },
	};

	m->present = 1;
	m->rate = 1 + rnd(100000);
	m->burst = 1500 + rnd(100000);
	m->napps = (uint8_t)(1 + rnd(6));
	for (uint8_t a = 0; a < m->napps; a++) {
		int k = (int)rnd(5);

		m->apps[a] = (struct es_app){ .app = (uint16_t)(1 + a * 3), .target_kind = pick[k][0],
					      .server = pick[k][1],
					      .split_layer = (uint16_t)rnd(30),
					      .exit = (uint8_t)rnd(3) };
	}
}

/* The devices of @ids (ascending; all present in the model) as a policy. */
static void policy_of(struct es_policy *p, const uint32_t *ids, uint32_t n, uint64_t epoch)
{
	memset(p, 0, sizeof(*p));
	p->epoch = epoch;
	p->default_rate_kbps = 1000;
	p->default_burst_bytes = 65536;
	servers_of(p);
	p->devices = calloc(n + 1, sizeof(*p->devices));
	p->apps = calloc((size_t)n * ES_MAX_APPS_PER_DEVICE + 1, sizeof(*p->apps));
	assert_non_null(p->devices);
	assert_non_null(p->apps);
	for (uint32_t i = 0; i < n; i++) {
		const struct model_dev *m = &model[ids[i]];
		struct es_device *d = &p->devices[p->ndevices++];

		*d = (struct es_device){ .id = ids[i], .rate_kbps = m->rate,
					 .burst_bytes = m->burst, .apps_off = p->napps,
					 .napps = m->napps };
		memcpy(&p->apps[p->napps], m->apps, m->napps * sizeof(*m->apps));
		p->napps += m->napps;
	}
}

static void policy_free(struct es_policy *p)
{
	free(p->devices);
	free(p->apps);
}

/* The whole table the model is now, compiled. */
static struct fp_tbl_hdr *full_table(uint64_t epoch)
{
	uint32_t *ids = malloc((MAXID + 1) * sizeof(*ids)), n = 0;
	struct es_policy p;
	struct fp_tbl_hdr *t;
	int64_t sz;

	for (uint32_t id = 1; id <= MAXID; id++)
		if (model[id].present)
			ids[n++] = id;
	policy_of(&p, ids, n, epoch);
	sz = fp_table_size(&p);
	assert_true(sz > 0);
	t = aligned_alloc(64, ((size_t)sz + 63) & ~(size_t)63);
	assert_int_equal(fp_table_build(&p, t, (size_t)sz), sz);
	assert_int_equal(fp_table_validate(t, (size_t)sz, NULL, NULL), 0);
	policy_free(&p);
	free(ids);
	return t;
}

static void same_app(const struct fp_tbl_app *a, const struct fp_tbl_app *b, uint32_t id)
{
	if (!a || !b) {
		assert_true(!a && !b);
		return;
	}
	if (memcmp(a, b, sizeof(*a)))
		fail_msg("device %u app %u differs", id, a->app);
}

/* Every id (and some never used) answers through @v as in @full. */
static void check_view(const struct fp_view *v, const struct fp_tbl_hdr *full)
{
	for (uint32_t id = 1; id <= MAXID + 10; id++) {
		const struct fp_tbl_hdr *from;
		const struct fp_tbl_slot *a = fp_view_device(v, id, &from);
		const struct fp_tbl_slot *b = fp_table_device(full, id);

		if (!a || !b) {
			if (a || b)
				fail_msg("device %u: view %s, whole table %s", id,
					 a ? "has it" : "lacks it", b ? "has it" : "lacks it");
			continue;
		}
		assert_int_equal(a->rate_kbps, b->rate_kbps);
		assert_int_equal(a->burst_bytes, b->burst_bytes);
		assert_int_equal(a->apps & 31, b->apps & 31);
		for (uint16_t app = 0; app < 20; app++)
			same_app(fp_table_app(from, a, app), fp_table_app(full, b, app), id);
	}
	assert_int_equal(v->ndevices, full->ndevices);
	assert_int_equal(v->front->epoch, full->epoch);
	/* and the data path's burst lookup agrees with the one by one lookup */
	for (uint32_t id0 = 1; id0 <= MAXID; id0 += 32) {
		uint32_t ids[32];
		uint16_t apps[32];
		const struct fp_tbl_slot *s[32];
		const struct fp_tbl_app *ap[32];

		for (int i = 0; i < 32; i++) {
			ids[i] = id0 + (uint32_t)i;
			apps[i] = (uint16_t)(1 + 3 * (i % 6));
		}
		fp_view_lookup_burst(v, ids, apps, 32, s, ap);
		for (int i = 0; i < 32; i++) {
			const struct fp_tbl_slot *b = fp_table_device(full, ids[i]);

			assert_true(!s[i] == !b);
			same_app(ap[i], b ? fp_table_app(full, b, apps[i]) : NULL, ids[i]);
		}
	}
}

struct built {
	void *blob;
	size_t len;
};

/* A delta from the model's devices @ids and removals @rm. */
static struct built delta_of(const uint32_t *ids, uint32_t n, const uint32_t *rm, uint32_t nrm,
			     uint64_t epoch, uint64_t base_epoch)
{
	struct es_policy p;
	struct fp_delta_src src = { &p, rm, nrm, base_epoch };
	struct built b;
	int64_t sz;

	policy_of(&p, ids, n, epoch);
	sz = fp_delta_size(&src);
	assert_true(sz > 0);
	b.blob = aligned_alloc(64, ((size_t)sz + 63) & ~(size_t)63);
	assert_int_equal(fp_delta_build(&src, b.blob, (size_t)sz), sz);
	b.len = (size_t)sz;
	policy_free(&p);
	return b;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Random changes: some of them new ids, some replaced, some removed. */
static struct built random_delta(uint64_t epoch, uint64_t base_epoch)
{
	static uint32_t ids[MAXID], rm[MAXID];
	static uint8_t touched[MAXID + 1];
	uint32_t n = 0, nrm = 0, want = 1 + rnd(400);
	struct built b;

	memset(touched, 0, sizeof(touched));
	for (uint32_t k = 0; k < want; k++) {
		uint32_t id = 1 + rnd(MAXID);

		if (touched[id])
			continue;
		touched[id] = 1;
		if (model[id].present && rnd(3) == 0) {
			model[id].present = 0;
			rm[nrm++] = id;
		} else {
			random_dev(&model[id]);
			ids[n++] = id;
		}
	}
	qsort(ids, n, sizeof(ids[0]), cmp_u32);
	qsort(rm, nrm, sizeof(rm[0]), cmp_u32);
	b = delta_of(ids, n, rm, nrm, epoch, base_epoch);
	return b;
}

struct owned {
	const struct fp_tbl_hdr *ovl;
};

static int apply(struct fp_view *v, struct owned *o, const struct built *b, int force,
		 const char **why)
{
	const struct fp_tbl_hdr *ovl;
	struct fp_view nv;
	int err = fp_delta_validate(b->blob, b->len, NULL, fp_table_servers(v->base),
				    v->base->nservers, why);

	if (!err)
		err = fp_view_fold(v, b->blob, force, ES_MAX_DEVICES, &ovl, &nv, why);
	if (err)
		return err;
	fp_view_ovl_free(o->ovl);
	o->ovl = ovl;
	*v = nv;
	return 0;
}

static void test_delta_equals_rebuild(void **state)
{
	struct fp_tbl_hdr *base, *full;
	const struct fp_tbl_hdr *merged;
	struct owned o = { NULL };
	struct fp_view v;
	const char *why = NULL;
	size_t mlen;

	(void)state;
	memset(model, 0, sizeof(model));
	for (uint32_t id = 1; id <= MAXID; id++)
		if (rnd(2))
			random_dev(&model[id]);
	base = full_table(1);
	fp_view_of_base(&v, base);
	for (uint64_t e = 2; e <= 40; e++) {
		struct built b = random_delta(e, e - 1);
		int err = apply(&v, &o, &b, 0, &why);

		if (err)
			fail_msg("delta %lu: %d %s", (unsigned long)e, err, why);
		full = full_table(e);
		check_view(&v, full);
		if (e % 10 == 0) {	/* a merged base answers the same */
			assert_int_equal(fp_view_merge(&v, &merged, &mlen), 0);
			assert_int_equal(fp_table_validate(merged, mlen, NULL, &why), 0);
			struct fp_view mv;

			fp_view_of_base(&mv, merged);
			check_view(&mv, full);
			if (e == 20) {	/* and deltas go on from it */
				fp_view_ovl_free(o.ovl);
				o.ovl = NULL;
				free(base);
				base = NULL;
				v = mv;
			} else {
				fp_view_base_free(merged, mlen);
			}
		}
		free(full);
		free(b.blob);
	}
	fp_view_ovl_free(o.ovl);
	if (base)
		free(base);
	else
		fp_view_base_free(v.base, 0);
}

/* A device removed, then added again with other settings, then removed. */
static void test_remove_readd(void **state)
{
	struct fp_tbl_hdr *base;
	struct owned o = { NULL };
	struct fp_view v;
	const char *why;
	const struct fp_tbl_hdr *from;
	uint32_t id = 7;

	(void)state;
	memset(model, 0, sizeof(model));
	for (uint32_t i = 1; i <= 100; i++)
		random_dev(&model[i]);
	base = full_table(1);
	fp_view_of_base(&v, base);
	struct built b1 = delta_of(NULL, 0, &id, 1, 2, 1);

	assert_int_equal(apply(&v, &o, &b1, 0, &why), 0);
	assert_null(fp_view_device(&v, id, &from));
	assert_int_equal(v.ndevices, 99);
	random_dev(&model[id]);
	model[id].rate = 4242;
	struct built b2 = delta_of(&id, 1, NULL, 0, 3, 2);

	assert_int_equal(apply(&v, &o, &b2, 0, &why), 0);
	assert_non_null(fp_view_device(&v, id, &from));
	assert_int_equal(fp_view_device(&v, id, &from)->rate_kbps, 4242);
	assert_ptr_equal(from, o.ovl);
	assert_int_equal(v.ndevices, 100);
	/* removing it twice: the second one names a device not in force */
	struct built b3 = delta_of(NULL, 0, &id, 1, 4, 3), b4 = delta_of(NULL, 0, &id, 1, 5, 4);

	assert_int_equal(apply(&v, &o, &b3, 0, &why), 0);
	assert_int_equal(apply(&v, &o, &b4, 0, &why), -ENOENT);
	assert_null(fp_view_device(&v, id, &from));
	assert_int_equal(v.front->epoch, 4);
	free(b1.blob);
	free(b2.blob);
	free(b3.blob);
	free(b4.blob);
	fp_view_ovl_free(o.ovl);
	free(base);
}

enum spoil {
	S_TRUNC, S_MAGIC, S_VERSION, S_CSUM, S_UNSORTED, S_BOTH, S_SERVER, S_RATE, S_APPS,
	S_REGION, S_SERVERS, S_BASE, S_STALE, S_ABSENT, S_LIMIT, S_TOO_BIG,
};

static void reseal(struct built *b)
{
	struct fp_dlt_hdr *h = b->blob;

	h->checksum = fp_table_checksum((uint8_t *)b->blob + FP_TABLE_CSUM_OFF,
					b->len - FP_TABLE_CSUM_OFF);
}

static void test_bad_deltas(void **state)
{
	static const struct { const char *name; enum spoil how; int err; } rows[] = {
		{ "truncated", S_TRUNC, -EBADMSG },
		{ "wrong magic", S_MAGIC, -EPROTO },
		{ "wrong version", S_VERSION, -EPROTONOSUPPORT },
		{ "bad checksum", S_CSUM, -EBADMSG },
		{ "ids not ascending", S_UNSORTED, -EINVAL },
		{ "changed and removed", S_BOTH, -EINVAL },
		{ "app on a server of the other kind", S_SERVER, -EINVAL },
		{ "rate 0", S_RATE, -EINVAL },
		{ "apps outside the array", S_APPS, -EINVAL },
		{ "region outside the blob", S_REGION, -EINVAL },
		{ "other servers", S_SERVERS, -EINVAL },
		{ "wrong base epoch", S_BASE, -EXDEV },
		{ "older epoch", S_STALE, -ESTALE },
		{ "removes an absent device", S_ABSENT, -ENOENT },
		{ "over the device limit", S_LIMIT, -E2BIG },
		{ "over the delta limit", S_TOO_BIG, -E2BIG },
	};
	struct fp_tbl_hdr *base;
	struct fp_view v;

	(void)state;
	memset(model, 0, sizeof(model));
	for (uint32_t i = 1; i <= 50; i++)
		random_dev(&model[i]);
	base = full_table(10);
	fp_view_of_base(&v, base);
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		uint32_t ids[3] = { 3, 60, 61 }, rm[1] = { 4 };
		struct owned o = { NULL };
		struct fp_view before = v;
		struct built b;
		struct fp_dlt_hdr *h;
		struct fp_tbl_slot *dev;
		const char *why = NULL;
		int err;

		random_dev(&model[60]);
		random_dev(&model[61]);
		model[3].napps = 4;
		b = delta_of(ids, 3, rows[r].how == S_ABSENT ? (uint32_t[]){ 59 } : rm, 1,
			     rows[r].how == S_STALE ? 5 : 11, rows[r].how == S_BASE ? 9 : 10);
		h = b.blob;
		dev = (struct fp_tbl_slot *)((uint8_t *)b.blob + h->devs_off);
		switch (rows[r].how) {
		case S_TRUNC: b.len -= 8; break;
		case S_MAGIC: h->magic ^= 1; break;
		case S_VERSION: h->version = 9; reseal(&b); break;
		case S_CSUM: ((uint8_t *)b.blob)[b.len - 1] ^= 1; break;
		case S_UNSORTED: dev[2].device_id = 2; reseal(&b); break;
		case S_BOTH: dev[0].device_id = 4; reseal(&b); break;
		case S_SERVER:
			dev[0].inl[0].target_kind = ESOP_TARGET_CLOUD;
			dev[0].inl[0].server = 0;
			reseal(&b);
			break;
		case S_RATE: dev[1].rate_kbps = 0; reseal(&b); break;
		case S_APPS: dev[0].apps = 1000u << 5 | 4; reseal(&b); break;
		case S_REGION: h->remove_off = b.len; reseal(&b); break;
		case S_SERVERS: h->servers_sum ^= 1; reseal(&b); break;
		case S_TOO_BIG: h->nremove = FP_DELTA_MAX; reseal(&b); break;
		default: break;
		}
		err = fp_delta_validate(b.blob, b.len, NULL, fp_table_servers(base),
					base->nservers, &why);
		if (!err) {
			const struct fp_tbl_hdr *ovl = NULL;
			struct fp_view nv;

			err = fp_view_fold(&v, b.blob, 0, rows[r].how == S_LIMIT ? 50 : ES_MAX_DEVICES,
					   &ovl, &nv, &why);
			if (!err)
				o.ovl = ovl;
		}
		if (err != rows[r].err)
			fail_msg("%s: %d (%s), expected %d", rows[r].name, err, why ? why : "",
				 rows[r].err);
		assert_non_null(why);
		assert_memory_equal(&before, &v, sizeof(v));
		fp_view_ovl_free(o.ovl);
		free(b.blob);
	}
	free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_equals_rebuild),
		cmocka_unit_test(test_remove_readd),
		cmocka_unit_test(test_bad_deltas),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
