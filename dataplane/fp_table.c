/* SPDX-License-Identifier: MIT */
#include "fp_table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/types.h>

#include "esop.h"

#define MIN_SLOT_BITS	4

uint32_t fp_table_slot_bits(uint32_t ndevices)
{
	uint32_t bits = MIN_SLOT_BITS;

	/* load factor <= 1/2 keeps linear probes short */
	while ((1ull << bits) < 2ull * ndevices)
		bits++;
	return bits;
}

static uint64_t align8(uint64_t v)
{
	return (v + 7) & ~7ull;
}

struct layout {
	uint64_t servers_off, slots_off, apps_off, total;
	uint32_t noverflow;		/* apps beyond the inline ones */
	uint32_t slot_bits;
};

static uint32_t overflow_of(uint32_t napps)
{
	return napps > FP_TBL_INLINE_APPS ? napps - FP_TBL_INLINE_APPS : 0;
}

static int layout_of(const struct es_policy *p, struct layout *l)
{
	if (p->nservers > ES_MAX_SERVERS || p->ndevices > (1u << 26) ||
	    p->napps >= (1u << 27))
		return -E2BIG;
	if ((p->ndevices && !p->devices) || (p->napps && !p->apps))
		return -EINVAL;
	l->noverflow = 0;
	for (uint32_t d = 0; d < p->ndevices; d++)
		l->noverflow += overflow_of(p->devices[d].napps);
	l->slot_bits = fp_table_slot_bits(p->ndevices);
	l->servers_off = sizeof(struct fp_tbl_hdr);
	l->slots_off = align8(l->servers_off +
			      (uint64_t)p->nservers * sizeof(struct fp_tbl_server));
	/* a cache line per 4 slots: start the hash on a line boundary */
	l->slots_off = (l->slots_off + 63) & ~63ull;
	l->apps_off = l->slots_off + (sizeof(struct fp_tbl_slot) << l->slot_bits);
	l->total = align8(l->apps_off + (uint64_t)l->noverflow * sizeof(struct fp_tbl_app));
	return 0;
}

int64_t fp_table_size(const struct es_policy *p)
{
	struct layout l;
	int err = layout_of(p, &l);

	return err ? err : (int64_t)l.total;
}

/*
 * Fletcher-style over 64-bit words, in 4 lanes: a flipped, lost or moved
 * word changes it, and with only additions in the loop it runs at memory
 * speed (the checksum of a 1M-device table, ~50 MB, is part of every apply).
 * It guards against corruption, not against an adversary: the blob comes
 * sealed from a local root process.
 */
uint64_t fp_table_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t a[4] = { 1, 2, 3, 4 }, b[4] = { 0 }, w, h;
	size_t i = 0;

	for (; i + 32 <= len; i += 32) {
		for (int j = 0; j < 4; j++) {
			memcpy(&w, p + i + 8 * j, 8);
			a[j] += w;
			b[j] += a[j];
		}
	}
	for (; i < len; i++) {
		a[i & 3] += p[i];
		b[i & 3] += a[i & 3];
	}
	h = len;
	for (int j = 0; j < 4; j++) {
		h = (h ^ a[j]) * 0x9E3779B97F4A7C15ull;
		h = (h ^ b[j]) * 0xC2B2AE3D27D4EB4Full;
	}
	return h ^ (h >> 31);
}

/* Resolves an app's server: a named index, or "any of this kind". */
static int resolve_server(const struct es_policy *p, const struct es_app *a,
			  uint32_t device_id, uint8_t *server)
{
	uint32_t count = 0, pick;

	if (a->target_kind == ESOP_TARGET_LOCAL) {
		*server = 0;
		return 0;
	}
	if (a->target_kind != ESOP_TARGET_EDGE && a->target_kind != ESOP_TARGET_CLOUD)
		return -EINVAL;
	if (a->server != ES_SERVER_ANY) {
		if (a->server >= p->nservers ||
		    p->servers[a->server].kind != a->target_kind)
			return -EINVAL;
		*server = a->server;
		return 0;
	}
	for (uint32_t i = 0; i < p->nservers; i++)
		count += p->servers[i].kind == a->target_kind;
	if (!count)
		return -EINVAL;
	pick = device_id % count;
	for (uint32_t i = 0; i < p->nservers; i++) {
		if (p->servers[i].kind != a->target_kind)
			continue;
		if (pick-- == 0) {
			*server = (uint8_t)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void build_servers(const struct es_policy *p, struct fp_tbl_server *out)
{
	uint8_t per_kind[3] = { 0 };

	for (uint32_t i = 0; i < p->nservers; i++) {
		const struct es_server *s = &p->servers[i];

		memset(&out[i], 0, sizeof(out[i]));
		out[i].kind = s->kind;
		out[i].ipv6 = s->ipv6 ? 1 : 0;
		out[i].kind_index = per_kind[s->kind % 3]++;
		out[i].udp_port = s->udp_port;
		out[i].port = s->port;
		memcpy(out[i].mac, s->mac, 6);
		memcpy(out[i].ip, s->ip, s->ipv6 ? 16 : 4);
	}
}

int fp_table_servers_of(const struct es_policy *p, struct fp_tbl_server *out)
{
	if (p->nservers > ES_MAX_SERVERS)
		return -E2BIG;
	for (uint32_t i = 0; i < p->nservers; i++)
		if (p->servers[i].kind != ESOP_TARGET_EDGE &&
		    p->servers[i].kind != ESOP_TARGET_CLOUD)
			return -EINVAL;
	build_servers(p, out);
	return 0;
}

int fp_table_fill_slot(const struct es_policy *p, const struct es_device *dev,
		       struct fp_tbl_slot *s, struct fp_tbl_app *apps, uint32_t over)
{
	if (!dev->id || dev->napps > ES_MAX_APPS_PER_DEVICE ||
	    (uint64_t)dev->apps_off + dev->napps > p->napps)
		return -EINVAL;
	s->device_id = dev->id;
	s->rate_kbps = dev->rate_kbps;
	s->burst_bytes = dev->burst_bytes;
	s->apps = over << 5 | dev->napps;
	memset(s->inl, 0, sizeof(s->inl));
	for (uint32_t k = 0; k < dev->napps; k++) {
		const struct es_app *a = &p->apps[dev->apps_off + k];
		struct fp_tbl_app *o = k < FP_TBL_INLINE_APPS ? &s->inl[k]
							      : &apps[over + k - FP_TBL_INLINE_APPS];
		int err;

		o->app = a->app;
		o->target_kind = a->target_kind;
		o->split_layer = a->split_layer;
		o->exit = a->exit;
		o->pad = 0;
		err = resolve_server(p, a, dev->id, &o->server);
		if (err)
			return err;
	}
	return 0;
}

int64_t fp_table_build(const struct es_policy *p, void *buf, size_t cap)
{
	struct fp_tbl_hdr *h = buf;
	struct fp_tbl_slot *slots;
	struct fp_tbl_app *apps;
	struct layout l;
	uint32_t mask, max_probe = 0;
	int err = layout_of(p, &l);

	if (err)
		return err;
	if (cap < l.total || ((uintptr_t)buf & 7))
		return -ENOSPC;
	err = fp_table_servers_of(p, (struct fp_tbl_server *)((uint8_t *)buf + l.servers_off));
	if (err)
		return err;
	memset(h, 0, sizeof(*h));
	slots = (struct fp_tbl_slot *)((uint8_t *)buf + l.slots_off);
	apps = (struct fp_tbl_app *)((uint8_t *)buf + l.apps_off);
	memset(slots, 0, sizeof(*slots) << l.slot_bits);
	mask = (1u << l.slot_bits) - 1;

	for (uint32_t d = 0, over = 0; d < p->ndevices; d++) {
		const struct es_device *dev = &p->devices[d];
		uint32_t i = fp_table_hash(dev->id, l.slot_bits), dist = 0;

		if (!dev->id)
			return -EINVAL;
		while (slots[i].device_id) {
			if (slots[i].device_id == dev->id)
				return -EINVAL;	/* duplicate id */
			i = (i + 1) & mask;
			dist++;
		}
		if (dist > max_probe)
			max_probe = dist;
		err = fp_table_fill_slot(p, dev, &slots[i], apps, over);
		if (err)
			return err;
		over += overflow_of(dev->napps);
	}
	/* the tail after the last app is still defined bytes */
	memset((uint8_t *)buf + l.apps_off + (uint64_t)l.noverflow * sizeof(*apps), 0,
	       l.total - l.apps_off - (uint64_t)l.noverflow * sizeof(*apps));
	memset((uint8_t *)buf + l.servers_off + p->nservers * sizeof(struct fp_tbl_server),
	       0, l.slots_off - l.servers_off - p->nservers * sizeof(struct fp_tbl_server));

	h->magic = FP_TABLE_MAGIC;
	h->version = FP_TABLE_VERSION;
	h->hdr_bytes = sizeof(*h);
	h->total_bytes = l.total;
	h->epoch = p->epoch;
	h->unknown_action = p->unknown_action;
	h->default_rate_kbps = p->default_rate_kbps;
	h->default_burst_bytes = p->default_burst_bytes;
	h->nservers = p->nservers;
	h->ndevices = p->ndevices;
	h->napps = l.noverflow;
	h->slot_bits = l.slot_bits;
	h->max_probe = max_probe;
	h->servers_off = l.servers_off;
	h->slots_off = l.slots_off;
	h->apps_off = l.apps_off;
	h->checksum = fp_table_checksum((uint8_t *)buf + FP_TABLE_CSUM_OFF,
					l.total - FP_TABLE_CSUM_OFF);
	return (int64_t)l.total;
}

/*
 * A memfd of at least @size bytes: on 2 MiB hugepages when it is that big
 * and some are free (few page faults to build, map and validate it, and few
 * TLB misses on the lookups), else on ordinary pages. *cap gets its real
 * size.
 */
static int blob_memfd(size_t size, size_t *cap)
{
	size_t huge = (size + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
	int fd = size < (2u << 20) ? -1 :
		 memfd_create("edgesteer-table", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);

	if (fd >= 0 && ftruncate(fd, (off_t)huge) == 0) {
		*cap = huge;
		return fd;
	}
	if (fd >= 0)
		close(fd);
	fd = memfd_create("edgesteer-table", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	*cap = size;
	return fd;
}

int fp_table_blob_memfd(int64_t size, fp_blob_build_fn build, const void *src,
			int *fd_out, size_t *len_out)
{
	size_t cap = 0;
	int64_t n;
	void *map;
	int fd, err;

	if (size < 0)
		return (int)size;
	fd = blob_memfd((size_t)size, &cap);
	if (fd < 0)
		return fd;
	/* hugetlb pages are reserved at mmap: a shortage shows here, not later */
	map = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED) {
		err = -errno;
		goto err_close;
	}
	n = build(src, map, cap);
	munmap(map, cap);
	if (n < 0) {
		err = (int)n;
		goto err_close;
	}
	/* sealed: the receiver validates once and may trust the bytes after */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW |
		  F_SEAL_SEAL) < 0) {
		err = -errno;
		goto err_close;
	}
	*fd_out = fd;
	*len_out = (size_t)size;
	return 0;

err_close:
	close(fd);
	return err;
}

static int64_t build_policy(const void *p, void *buf, size_t cap)
{
	return fp_table_build(p, buf, cap);
}

int fp_table_build_memfd(const struct es_policy *p, int *fd, size_t *len)
{
	return fp_table_blob_memfd(fp_table_size(p), build_policy, p, fd, len);
}

int fp_table_refuse(const char **why, const char *what, int err)
{
	if (why)
		*why = what;
	return err;
}

static int check_app(uint32_t nservers, const struct fp_tbl_server *srv,
		     const struct fp_tbl_app *a, const char **why)
{
	if (a->target_kind > ESOP_TARGET_CLOUD)
		return fp_table_refuse(why, "apps[].target_kind: unknown", -EINVAL);
	if (a->target_kind != ESOP_TARGET_LOCAL &&
	    (a->server >= nservers || srv[a->server].kind != a->target_kind))
		return fp_table_refuse(why, "apps[].server: no such server of that kind", -EINVAL);
	return 0;
}

int fp_table_check_slot(const struct fp_tbl_slot *s, uint32_t napps, uint32_t max_apps,
			const struct fp_tbl_server *srv, uint32_t nservers, const char **why)
{
	uint32_t off = s->apps >> 5, n = s->apps & 31;

	if (!s->rate_kbps || s->burst_bytes < 1500)
		return fp_table_refuse(why, "slots[].rate_kbps/burst_bytes: out of range", -EINVAL);
	if (n > max_apps || (uint64_t)off + overflow_of(n) > napps)
		return fp_table_refuse(why, "slots[].apps: outside the app array or over the limit",
			      -EINVAL);
	for (uint32_t k = 0; k < n && k < FP_TBL_INLINE_APPS; k++) {
		int err = check_app(nservers, srv, &s->inl[k], why);

		if (err)
			return err;
	}
	return 0;
}

int fp_table_check_apps(const struct fp_tbl_app *a, uint32_t n,
			const struct fp_tbl_server *srv, uint32_t nservers, const char **why)
{
	for (uint32_t k = 0; k < n; k++) {
		int err = check_app(nservers, srv, &a[k], why);

		if (err)
			return err;
	}
	return 0;
}

static int check_region(uint64_t off, uint64_t bytes, uint64_t total)
{
	return off % 8 == 0 && off <= total && bytes <= total - off;
}

int fp_table_validate(const void *blob, size_t len,
		      const struct fp_table_limits *lim, const char **why)
{
	const struct fp_tbl_hdr *h = blob;
	uint32_t max_dev = lim && lim->max_devices ? lim->max_devices : ES_MAX_DEVICES;
	uint32_t max_apps = lim && lim->max_apps_per_device ? lim->max_apps_per_device
							    : ES_MAX_APPS_PER_DEVICE;
	uint32_t max_srv = lim && lim->max_servers ? lim->max_servers : ES_MAX_SERVERS;
	uint32_t nports = lim ? lim->nports : 0;
	const struct fp_tbl_server *srv;
	const struct fp_tbl_slot *slots;
	const struct fp_tbl_app *apps;
	uint32_t nslots, mask, seen = 0;
	int err;

	if (!blob || len < sizeof(*h))
		return fp_table_refuse(why, "truncated: shorter than the 128-byte header", -EBADMSG);
	if (h->magic != FP_TABLE_MAGIC)
		return fp_table_refuse(why, "header.magic: not an EdgeSteer table", -EPROTO);
	if (h->version != FP_TABLE_VERSION || h->hdr_bytes != sizeof(*h))
		return fp_table_refuse(why, "header.version: unsupported table version", -EPROTONOSUPPORT);
	if (h->total_bytes != len || len % 8)
		return fp_table_refuse(why, "header.total_bytes: disagrees with the blob's length (truncated?)",
			      -EBADMSG);
	if (fp_table_checksum((const uint8_t *)blob + FP_TABLE_CSUM_OFF,
			      len - FP_TABLE_CSUM_OFF) != h->checksum)
		return fp_table_refuse(why, "header.checksum: mismatch", -EBADMSG);
	if (h->ndevices > max_dev)
		return fp_table_refuse(why, "header.ndevices: over the device limit", -E2BIG);
	if (h->nservers > max_srv || h->nservers > ES_MAX_SERVERS)
		return fp_table_refuse(why, "header.nservers: over the server limit", -E2BIG);
	if (h->unknown_action > ES_UNKNOWN_CONTROL)
		return fp_table_refuse(why, "header.unknown_action: unknown value", -EINVAL);
	if (h->slot_bits < MIN_SLOT_BITS || h->slot_bits > 27 ||
	    (1ull << h->slot_bits) < 2ull * h->ndevices)
		return fp_table_refuse(why, "header.slot_bits: hash too small or too large", -EINVAL);
	if (h->napps >= (1u << 27) || h->napps > (uint64_t)h->ndevices * max_apps)
		return fp_table_refuse(why, "header.napps: over the app limit", -E2BIG);
	nslots = 1u << h->slot_bits;
	mask = nslots - 1;
	if (h->max_probe >= nslots)
		return fp_table_refuse(why, "header.max_probe: longer than the hash", -EINVAL);
	if (!check_region(h->servers_off, (uint64_t)h->nservers * sizeof(*srv), len) ||
	    h->servers_off < sizeof(*h) ||
	    !check_region(h->slots_off, (uint64_t)nslots * sizeof(*slots), len) ||
	    !check_region(h->apps_off, (uint64_t)h->napps * sizeof(*apps), len))
		return fp_table_refuse(why, "header offsets: a region lies outside the blob", -EINVAL);

	srv = fp_table_servers(h);
	for (uint32_t i = 0; i < h->nservers; i++) {
		if (srv[i].kind != ESOP_TARGET_EDGE && srv[i].kind != ESOP_TARGET_CLOUD)
			return fp_table_refuse(why, "servers[].kind: not edge or cloud", -EINVAL);
		if (nports && srv[i].port >= nports)
			return fp_table_refuse(why, "servers[].port: no such dataplane port", -EINVAL);
		if (!srv[i].udp_port)
			return fp_table_refuse(why, "servers[].udp_port: 0", -EINVAL);
	}
	slots = fp_table_slots(h);
	apps = fp_table_apps(h);
	for (uint32_t i = 0; i < nslots; i++) {
		const struct fp_tbl_slot *s = &slots[i];
		uint32_t home, dist;

		if (!s->device_id)
			continue;
		seen++;
		home = fp_table_hash(s->device_id, h->slot_bits);
		dist = (i - home) & mask;
		/* a lookup gives up after max_probe: every entry must be in reach */
		if (dist > h->max_probe)
			return fp_table_refuse(why, "slots[]: device beyond max_probe of its home", -EINVAL);
		/* and reachable: a lookup stops at an empty slot or the first
		 * copy of its id, so neither may stand between home and here */
		for (uint32_t j = home; j != i; j = (j + 1) & mask)
			if (!slots[j].device_id || slots[j].device_id == s->device_id)
				return fp_table_refuse(why, "slots[]: device unreachable from its home "
					      "(an empty slot or a duplicate id before it)", -EINVAL);
		err = fp_table_check_slot(s, h->napps, max_apps, srv, h->nservers, why);
		if (err)
			return err;
	}
	if (seen != h->ndevices)
		return fp_table_refuse(why, "header.ndevices: disagrees with the hash", -EINVAL);
	/* every app, in memory order: a random walk from the slots would miss */
	err = fp_table_check_apps(apps, h->napps, srv, h->nservers, why);
	if (err)
		return err;
	if (why)
		*why = NULL;
	return 0;
}
