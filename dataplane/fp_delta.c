/* SPDX-License-Identifier: MIT */
#include "fp_delta.h"

#include <errno.h>
#include <string.h>

#include "esop.h"

static uint64_t align8(uint64_t v)
{
	return (v + 7) & ~7ull;
}

static uint32_t overflow_of(uint32_t napps)
{
	return napps > FP_TBL_INLINE_APPS ? napps - FP_TBL_INLINE_APPS : 0;
}

uint64_t fp_delta_servers_sum(const struct fp_tbl_server *s, uint32_t n)
{
	return fp_table_checksum(s, (size_t)n * sizeof(*s));
}

struct dlayout {
	uint64_t devs_off, apps_off, remove_off, total;
	uint32_t napps;
};

static int dlayout_of(const struct fp_delta_src *src, struct dlayout *l)
{
	const struct es_policy *p = src->p;

	if (p->ndevices > FP_DELTA_MAX || src->nremove > FP_DELTA_MAX ||
	    p->ndevices + src->nremove > FP_DELTA_MAX || p->nservers > ES_MAX_SERVERS)
		return -E2BIG;
	if ((p->ndevices && !p->devices) || (src->nremove && !src->remove))
		return -EINVAL;
	l->napps = 0;
	for (uint32_t d = 0; d < p->ndevices; d++)
		l->napps += overflow_of(p->devices[d].napps);
	l->devs_off = sizeof(struct fp_dlt_hdr);
	l->apps_off = l->devs_off + (uint64_t)p->ndevices * sizeof(struct fp_tbl_slot);
	l->remove_off = l->apps_off + (uint64_t)l->napps * sizeof(struct fp_tbl_app);
	l->total = align8(l->remove_off + (uint64_t)src->nremove * sizeof(uint32_t));
	return 0;
}

int64_t fp_delta_size(const struct fp_delta_src *src)
{
	struct dlayout l;
	int err = dlayout_of(src, &l);

	return err ? err : (int64_t)l.total;
}

int64_t fp_delta_build(const struct fp_delta_src *src, void *buf, size_t cap)
{
	const struct es_policy *p = src->p;
	struct fp_dlt_hdr *h = buf;
	struct fp_tbl_server srv[ES_MAX_SERVERS];
	struct fp_tbl_slot *devs;
	struct fp_tbl_app *apps;
	struct dlayout l;
	uint32_t over = 0;
	int err = dlayout_of(src, &l);

	if (err)
		return err;
	if (cap < l.total || ((uintptr_t)buf & 7))
		return -ENOSPC;
	memset(buf, 0, l.total);
	devs = (struct fp_tbl_slot *)((uint8_t *)buf + l.devs_off);
	apps = (struct fp_tbl_app *)((uint8_t *)buf + l.apps_off);
	for (uint32_t d = 0; d < p->ndevices; d++) {
		if (d && p->devices[d].id <= p->devices[d - 1].id)
			return -EINVAL;		/* unsorted or duplicate */
		err = fp_table_fill_slot(p, &p->devices[d], &devs[d], apps, over);
		if (err)
			return err;
		over += overflow_of(p->devices[d].napps);
	}
	if (src->nremove)	/* remove may be NULL then: memcpy from NULL is UB */
		memcpy((uint8_t *)buf + l.remove_off, src->remove,
		       src->nremove * sizeof(uint32_t));
	/* the servers exactly as the table compiles them, to name them by */
	err = fp_table_servers_of(p, srv);
	if (err)
		return err;
	h->magic = FP_DELTA_MAGIC;
	h->version = FP_DELTA_VERSION;
	h->hdr_bytes = sizeof(*h);
	h->total_bytes = l.total;
	h->epoch = p->epoch;
	h->base_epoch = src->base_epoch;
	h->servers_sum = fp_delta_servers_sum(srv, p->nservers);
	h->unknown_action = p->unknown_action;
	h->nservers = p->nservers;
	h->ndevices = p->ndevices;
	h->nremove = src->nremove;
	h->napps = l.napps;
	h->devs_off = l.devs_off;
	h->apps_off = l.apps_off;
	h->remove_off = l.remove_off;
	h->checksum = fp_table_checksum((uint8_t *)buf + FP_TABLE_CSUM_OFF,
					l.total - FP_TABLE_CSUM_OFF);
	return (int64_t)l.total;
}

static int64_t build_delta(const void *src, void *buf, size_t cap)
{
	return fp_delta_build(src, buf, cap);
}

int fp_delta_build_memfd(const struct fp_delta_src *src, int *fd, size_t *len)
{
	return fp_table_blob_memfd(fp_delta_size(src), build_delta, src, fd, len);
}

static int in_blob(uint64_t off, uint64_t bytes, uint64_t total)
{
	return off % 4 == 0 && off >= sizeof(struct fp_dlt_hdr) && off <= total &&
	       bytes <= total - off;
}

int fp_delta_validate(const void *blob, size_t len, const struct fp_table_limits *lim,
		      const struct fp_tbl_server *servers, uint32_t nservers,
		      const char **why)
{
	const struct fp_dlt_hdr *h = blob;
	uint32_t max_apps = lim && lim->max_apps_per_device ? lim->max_apps_per_device
							    : ES_MAX_APPS_PER_DEVICE;
	const struct fp_tbl_slot *devs;
	const struct fp_tbl_app *apps;
	const uint32_t *rm;
	uint32_t r = 0;
	int err;

	if (!blob || len < sizeof(*h))
		return fp_table_refuse(why, "delta: shorter than the 128-byte header", -EBADMSG);
	if (h->magic != FP_DELTA_MAGIC)
		return fp_table_refuse(why, "delta.magic: not an EdgeSteer delta", -EPROTO);
	if (h->version != FP_DELTA_VERSION || h->hdr_bytes != sizeof(*h))
		return fp_table_refuse(why, "delta.version: unsupported delta version", -EPROTONOSUPPORT);
	if (h->total_bytes != len || len % 8)
		return fp_table_refuse(why, "delta.total_bytes: disagrees with the blob's length "
			      "(truncated?)", -EBADMSG);
	if (fp_table_checksum((const uint8_t *)blob + FP_TABLE_CSUM_OFF,
			      len - FP_TABLE_CSUM_OFF) != h->checksum)
		return fp_table_refuse(why, "delta.checksum: mismatch", -EBADMSG);
	if (h->ndevices > FP_DELTA_MAX || h->nremove > FP_DELTA_MAX ||
	    h->ndevices + h->nremove > FP_DELTA_MAX)
		return fp_table_refuse(why, "delta.ndevices/nremove: over the delta limit (push the "
			      "whole table)", -E2BIG);
	if (h->napps > h->ndevices * max_apps)
		return fp_table_refuse(why, "delta.napps: over the app limit", -E2BIG);
	if (h->unknown_action > ES_UNKNOWN_CONTROL)
		return fp_table_refuse(why, "delta.unknown_action: unknown value", -EINVAL);
	if (h->nservers != nservers ||
	    h->servers_sum != fp_delta_servers_sum(servers, nservers))
		return fp_table_refuse(why, "delta.servers: compiled against other servers than the "
			      "table in force", -EINVAL);
	if (!in_blob(h->devs_off, (uint64_t)h->ndevices * sizeof(*devs), len) ||
	    h->devs_off % 8 ||
	    !in_blob(h->apps_off, (uint64_t)h->napps * sizeof(*apps), len) ||
	    h->apps_off % 8 ||
	    !in_blob(h->remove_off, (uint64_t)h->nremove * sizeof(*rm), len))
		return fp_table_refuse(why, "delta offsets: a region lies outside the blob", -EINVAL);
	devs = (const struct fp_tbl_slot *)((const uint8_t *)blob + h->devs_off);
	apps = (const struct fp_tbl_app *)((const uint8_t *)blob + h->apps_off);
	rm = (const uint32_t *)((const uint8_t *)blob + h->remove_off);
	for (uint32_t i = 0; i < h->nremove; i++)
		if (!rm[i] || (i && rm[i] <= rm[i - 1]))
			return fp_table_refuse(why, "delta.remove[]: ids not ascending, repeated or 0",
				      -EINVAL);
	for (uint32_t i = 0; i < h->ndevices; i++) {
		uint32_t id = devs[i].device_id;

		if (!id || (i && id <= devs[i - 1].device_id))
			return fp_table_refuse(why, "delta.devices[]: ids not ascending, repeated or 0",
				      -EINVAL);
		while (r < h->nremove && rm[r] < id)
			r++;
		if (r < h->nremove && rm[r] == id)
			return fp_table_refuse(why, "delta.devices[]: a device both changed and removed",
				      -EINVAL);
		err = fp_table_check_slot(&devs[i], h->napps, max_apps, servers, nservers, why);
		if (err)
			return err;
	}
	err = fp_table_check_apps(apps, h->napps, servers, nservers, why);
	if (err)
		return err;
	if (why)
		*why = NULL;
	return 0;
}
