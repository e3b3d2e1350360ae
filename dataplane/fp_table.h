/* SPDX-License-Identifier: MIT */
/*
 * The compiled policy table of the fast path: one position-independent,
 * read-only blob that the control plane builds (fp_table_build, no DPDK) and
 * the fast path validates and publishes whole (docs/fastpath.md).
 *
 * Layout, all host order (both ends run on the same host):
 *   struct fp_tbl_hdr                       128 bytes at offset 0
 *   struct fp_tbl_server  servers[nservers] at servers_off
 *   struct fp_tbl_slot    slots[1 << slot_bits] at slots_off: an
 *                         open-addressing (linear probing) hash of the
 *                         devices, load <= 1/2, the device entry and its
 *                         first two apps inline
 *   struct fp_tbl_app     apps[napps] at apps_off: the apps beyond a
 *                         device's first two, each device's contiguous
 *
 * checksum covers every byte after the checksum field (offset 24 to
 * total_bytes). The hot path needs the layout, so the structs are public.
 */
#ifndef EDGESTEER_FP_TABLE_H
#define EDGESTEER_FP_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "es_policy.h"

#define FP_TABLE_MAGIC		0x42545345u	/* "ESTB" in memory order */
#define FP_TABLE_VERSION	1
#define FP_TABLE_CSUM_OFF	24

struct fp_tbl_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t hdr_bytes;		/* sizeof(struct fp_tbl_hdr) */
	uint64_t total_bytes;		/* the whole blob, a multiple of 8 */
	uint64_t checksum;		/* fp_table_checksum() of [24, total) */
	uint64_t epoch;
	uint32_t unknown_action;	/* enum es_unknown_action */
	uint32_t default_rate_kbps;
	uint32_t default_burst_bytes;
	uint32_t nservers;
	uint32_t ndevices;
	uint32_t napps;
	uint32_t slot_bits;		/* nslots = 1 << slot_bits */
	uint32_t max_probe;		/* longest probe distance in the hash */
	uint64_t servers_off;
	uint64_t slots_off;
	uint64_t apps_off;
	uint8_t reserved[128 - 88];
};

struct fp_tbl_server {
	uint8_t kind;			/* ESOP_TARGET_EDGE / _CLOUD */
	uint8_t ipv6;
	uint8_t kind_index;		/* index among the servers of its kind */
	uint8_t pad;
	uint16_t udp_port;
	uint16_t port;			/* dataplane port index */
	uint8_t mac[6];
	uint8_t pad2[2];
	uint8_t ip[16];			/* network order; IPv4 in ip[0..3] */
};

struct fp_tbl_app {
	uint16_t app;
	uint8_t target_kind;		/* enum esop_target_kind */
	uint8_t server;			/* index into servers; LOCAL: 0 */
	uint16_t split_layer;
	uint8_t exit;
	uint8_t pad;
};

#define FP_TBL_INLINE_APPS	2

/*
 * device_id 0 marks an empty slot (0 is never a valid device). A device's
 * first two apps live in its slot (one cache miss for a lookup of most
 * devices); apps beyond them in the app array, from the overflow index.
 */
struct fp_tbl_slot {
	uint32_t device_id;
	uint32_t rate_kbps;
	uint32_t burst_bytes;
	uint32_t apps;			/* overflow index << 5 | napps (<= 16) */
	struct fp_tbl_app inl[FP_TBL_INLINE_APPS];
};

_Static_assert(sizeof(struct fp_tbl_hdr) == 128, "fp_tbl_hdr layout");
_Static_assert(sizeof(struct fp_tbl_server) == 32, "fp_tbl_server layout");
_Static_assert(sizeof(struct fp_tbl_slot) == 32, "fp_tbl_slot layout");
_Static_assert(sizeof(struct fp_tbl_app) == 8, "fp_tbl_app layout");

/* What a receiver accepts; zero fields mean the ES_MAX_* defaults. */
struct fp_table_limits {
	uint32_t max_devices;
	uint32_t max_apps_per_device;
	uint32_t max_servers;
	uint32_t nports;		/* server ports must be < nports; 0 = any */
};

/* Bytes fp_table_build() needs for @p, or -EINVAL / -E2BIG. */
int64_t fp_table_size(const struct es_policy *p);

/*
 * Compiles @p into @buf (@cap >= fp_table_size(p), 8-byte aligned).
 * App targets "any server of a kind" (ES_SERVER_ANY) are resolved here to
 * server (device_id mod count) of that kind. Returns the blob's length or
 * -errno (-EINVAL names nothing; the JSON loader has validated @p already,
 * this only refuses what it cannot compile).
 */
int64_t fp_table_build(const struct es_policy *p, void *buf, size_t cap);

/*
 * Builds @p into a sealed memfd (write, grow and shrink sealed), ready to be
 * passed to the fast path. Returns 0 or -errno; *fd and *len on success.
 */
int fp_table_build_memfd(const struct es_policy *p, int *fd, size_t *len);

/*
 * Checks a received blob completely: length, magic, version, checksum,
 * limits and every offset and index inside it, so that a lookup in a blob
 * that passed can never read outside it or loop. Returns 0 or -errno, with
 * *why (may be NULL) naming the first rule that failed.
 */
int fp_table_validate(const void *blob, size_t len,
		      const struct fp_table_limits *lim, const char **why);

uint64_t fp_table_checksum(const void *data, size_t len);

/* --- pieces shared with the delta (fp_delta.c) and the overlay (fp_view.c) --- */

/* Sets *why (may be NULL) to @what and returns @err: a refusal. */
int fp_table_refuse(const char **why, const char *what, int err);

/* log2 of the hash slots for @ndevices (load <= 1/2). */
uint32_t fp_table_slot_bits(uint32_t ndevices);

/* @p's servers compiled (out: p->nservers entries). 0, -EINVAL or -E2BIG. */
int fp_table_servers_of(const struct es_policy *p, struct fp_tbl_server *out);

/*
 * Compiles device @dev of @p into slot @s, its apps beyond the first two
 * into @apps[over...]. 0 or -EINVAL.
 */
int fp_table_fill_slot(const struct es_policy *p, const struct es_device *dev,
		       struct fp_tbl_slot *s, struct fp_tbl_app *apps, uint32_t over);

/* The per-slot rules of fp_table_validate() (rate, burst, app range, inline apps). */
int fp_table_check_slot(const struct fp_tbl_slot *s, uint32_t napps, uint32_t max_apps,
			const struct fp_tbl_server *srv, uint32_t nservers, const char **why);

/* Every app's kind and server among @srv. */
int fp_table_check_apps(const struct fp_tbl_app *a, uint32_t n,
			const struct fp_tbl_server *srv, uint32_t nservers, const char **why);

typedef int64_t (*fp_blob_build_fn)(const void *src, void *buf, size_t cap);

/*
 * A sealed memfd holding the @size bytes @build writes from @src (2 MiB
 * hugepages for big blobs when free). 0 or -errno; *fd and *len.
 */
int fp_table_blob_memfd(int64_t size, fp_blob_build_fn build, const void *src,
			int *fd, size_t *len);

/* --- lookups (hot path; only on validated blobs) --- */

static inline uint32_t fp_table_hash(uint32_t device_id, uint32_t bits)
{
	return (uint32_t)(((uint64_t)device_id * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

static inline const struct fp_tbl_slot *fp_table_slots(const struct fp_tbl_hdr *t)
{
	return (const struct fp_tbl_slot *)((const uint8_t *)t + t->slots_off);
}

static inline const struct fp_tbl_app *fp_table_apps(const struct fp_tbl_hdr *t)
{
	return (const struct fp_tbl_app *)((const uint8_t *)t + t->apps_off);
}

static inline const struct fp_tbl_server *fp_table_servers(const struct fp_tbl_hdr *t)
{
	return (const struct fp_tbl_server *)((const uint8_t *)t + t->servers_off);
}

/* The home slot of @device_id, to prefetch a burst ahead of the lookups. */
static inline const struct fp_tbl_slot *fp_table_home(const struct fp_tbl_hdr *t,
						      uint32_t device_id)
{
	return fp_table_slots(t) + fp_table_hash(device_id, t->slot_bits);
}

/* The device's slot, or NULL. Bounded by max_probe, checked at validation. */
static inline const struct fp_tbl_slot *fp_table_device(const struct fp_tbl_hdr *t,
							uint32_t device_id)
{
	const struct fp_tbl_slot *s = fp_table_slots(t);
	uint32_t mask = (1u << t->slot_bits) - 1;
	uint32_t i = fp_table_hash(device_id, t->slot_bits);

	for (uint32_t n = 0; n <= t->max_probe; n++, i = (i + 1) & mask) {
		if (s[i].device_id == device_id)
			return &s[i];
		if (s[i].device_id == 0)
			return NULL;
	}
	return NULL;
}

/* The (device, app) placement, or NULL when the app is not listed. */
static inline const struct fp_tbl_app *fp_table_app(const struct fp_tbl_hdr *t,
						    const struct fp_tbl_slot *d,
						    uint16_t app)
{
	const struct fp_tbl_app *a = fp_table_apps(t) + (d->apps >> 5);
	uint32_t n = d->apps & 31;

	for (uint32_t k = 0; k < n && k < FP_TBL_INLINE_APPS; k++)
		if (d->inl[k].app == app)
			return &d->inl[k];
	for (uint32_t k = FP_TBL_INLINE_APPS; k < n; k++)
		if (a[k - FP_TBL_INLINE_APPS].app == app)
			return &a[k - FP_TBL_INLINE_APPS];
	return NULL;
}

/*
 * @n (device, app) lookups the way the data path does them: every home slot
 * prefetched first, then the devices found (and overflow apps prefetched),
 * then the apps found, so the cache misses of a burst overlap. slot[i] / app[i]
 * get NULL when absent.
 */
static inline void fp_table_lookup_burst(const struct fp_tbl_hdr *t,
					 const uint32_t *ids, const uint16_t *apps,
					 unsigned int n, const struct fp_tbl_slot **slot,
					 const struct fp_tbl_app **app)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		__builtin_prefetch(fp_table_home(t, ids[i]));
	for (i = 0; i < n; i++) {
		slot[i] = fp_table_device(t, ids[i]);
		if (slot[i] && (slot[i]->apps & 31) > FP_TBL_INLINE_APPS)
			__builtin_prefetch(fp_table_apps(t) + (slot[i]->apps >> 5));
	}
	for (i = 0; i < n; i++)
		app[i] = slot[i] ? fp_table_app(t, slot[i], apps[i]) : NULL;
}

/* The server whose address is @addr, or -1. */
static inline int fp_table_server_by_addr(const struct fp_tbl_hdr *t,
					  const uint8_t *addr, int ipv6)
{
	const struct fp_tbl_server *s = fp_table_servers(t);

	for (uint32_t i = 0; i < t->nservers; i++) {
		const uint8_t *ip = s[i].ip;
		int same = s[i].ipv6 == ipv6;

		for (int k = 0; same && k < (ipv6 ? 16 : 4); k++)
			same = ip[k] == addr[k];
		if (same)
			return (int)i;
	}
	return -1;
}

#endif /* EDGESTEER_FP_TABLE_H */
