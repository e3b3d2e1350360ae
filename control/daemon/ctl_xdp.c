/* SPDX-License-Identifier: MIT */
#include "ctl_xdp.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "xdpc.h"

enum prepared { PREP_NONE, PREP_TABLE, PREP_DELTA };

struct meter_seen {
	uint32_t id;
	uint64_t packets, bytes;
};

struct ctl_xdp {
	struct xdpc *x;
	enum prepared prep;
	/* a prepared delta: what xdpc_push_delta gets at commit */
	struct es_policy delta;
	uint32_t *remove;
	uint32_t nremove;
	unsigned int delta_flags;
	/* meter readings of the last observation, sorted by id */
	struct meter_seen *seen;
	uint32_t nseen;
};

static const char *mode_name(enum xdpc_mode m)
{
	return m == XDPC_MODE_SKB ? "skb" : "native";
}

/* Re-adopts the pinned program, or loads, attaches and pins a fresh one. */
static int open_own(const struct ctl_xdp_cfg *cfg, int ifindex, struct xdpc **x,
		    int *adopted, enum xdpc_mode *got, char *why, size_t why_len)
{
	int rc;

	*adopted = 1;
	rc = xdpc_adopt(x, cfg->pin_dir, ifindex, got);
	if (rc == -ESRCH) {
		/* pinned but detached by hand: keep its maps, attach it again */
		rc = xdpc_adopt(x, cfg->pin_dir, 0, NULL);
		if (!rc) {
			rc = xdpc_attach(*x, ifindex, cfg->skb ? XDPC_F_SKB : 0, got);
			if (rc)
				xdpc_close(*x);
		}
	} else if (rc == -ENOENT) {
		*adopted = 0;
		rc = xdpc_open(x, cfg->max_devices);
		if (!rc) {
			rc = xdpc_attach(*x, ifindex, cfg->skb ? XDPC_F_SKB : 0, got);
			if (!rc)
				rc = xdpc_pin(*x, cfg->pin_dir);
			if (rc)
				xdpc_close(*x);	/* unpinned: detached */
		}
	}
	if (rc)
		snprintf(why, why_len, "XDP on %s (pins in %s): %s%s", cfg->ifname,
			 cfg->pin_dir ? cfg->pin_dir : XDPC_PIN_DIR, strerror(-rc),
			 rc == -EPROTO ? " (pinned by another build: unpin it by hand)" :
			 rc == -EOPNOTSUPP && !cfg->skb ? " (try --xdp-mode skb)" : "");
	return rc;
}

/*
 * The maps pinned by name (created, or taken over with their tables), then
 * the program edgesteer-dp's net_af_xdp attached with them.
 */
static int open_afxdp(const struct ctl_xdp_cfg *cfg, int ifindex, struct xdpc **x,
		      int *adopted, enum xdpc_mode *got, char *why, size_t why_len)
{
	uint32_t cap = 0;
	int rc;

	rc = xdpc_open_afxdp(x, cfg->max_devices, NULL, adopted);
	if (rc == -E2BIG) {
		xdpc_afxdp_capacity(&cap);
		snprintf(why, why_len, "--max-devices %u: the net_af_xdp object's maps "
			 "are sized when it is compiled, for %u devices (ebpf/meson.build "
			 "afxdp_devices); ask for at most that", cfg->max_devices, cap);
		return rc;
	}
	if (rc) {
		snprintf(why, why_len, "XDP maps pinned by name in %s: %s%s", XDPC_AFXDP_ROOT,
			 strerror(-rc), rc == -EPROTO ? " (the es_* pins there are another "
			 "build's: stop what uses them and remove them)" : "");
		return rc;
	}
	rc = xdpc_adopt_attached(*x, ifindex, cfg->wait_ms, got);
	if (rc) {
		snprintf(why, why_len, "XDP on %s: %s%s", cfg->ifname, strerror(-rc),
			 rc == -ETIMEDOUT ? " waiting for edgesteer-dp's program (start it "
			 "with --vdev net_af_xdp0,iface=IFACE,xdp_prog=edgesteer_xdp_afxdp.bpf.o)" :
			 rc == -EPROTO ? " (the program there does not use edgesteer's pinned "
			 "maps: not edgesteer_xdp_afxdp.bpf.o, or loaded before they were "
			 "pinned; restart edgesteer-dp)" : "");
		xdpc_close(*x);
	}
	return rc;
}

int ctl_xdp_open(const struct ctl_xdp_cfg *cfg, struct ctl_xdp **out, int *adopted,
		 const char **mode, char *why, size_t why_len)
{
	struct ctl_xdp *c = calloc(1, sizeof(*c));
	int ifindex = (int)if_nametoindex(cfg->ifname);
	enum xdpc_mode got = 0;
	int rc;

	if (!c)
		return -ENOMEM;
	if (!ifindex) {
		rc = -ENODEV;
		snprintf(why, why_len, "--xdp-if %s: no such interface", cfg->ifname);
		goto err_free;
	}
	rc = cfg->afxdp ? open_afxdp(cfg, ifindex, &c->x, adopted, &got, why, why_len)
			: open_own(cfg, ifindex, &c->x, adopted, &got, why, why_len);
	if (rc)
		goto err_free;
	*mode = mode_name(got);
	*out = c;
	return 0;

err_free:
	free(c);
	return rc;
}

uint32_t ctl_xdp_max_devices(struct ctl_xdp *c)
{
	return xdpc_max_devices(c->x);
}

static void drop_delta(struct ctl_xdp *c)
{
	free(c->delta.devices);
	free(c->delta.apps);
	free(c->remove);
	memset(&c->delta, 0, sizeof(c->delta));
	c->remove = NULL;
	c->nremove = 0;
}

void ctl_xdp_close(struct ctl_xdp *c, int detach)
{
	if (!c)
		return;
	if (c->prep == PREP_TABLE)
		xdpc_abort(c->x);
	drop_delta(c);
	if (detach)
		xdpc_detach_and_unpin(c->x);
	xdpc_close(c->x);
	free(c->seen);
	free(c);
}

/* Keeps a copy of @d: @next is gone by commit time. */
static int keep_delta(struct ctl_xdp *c, const struct es_policy *t, const struct ptab_delta *d)
{
	struct es_policy *p = &c->delta;

	*p = *t;		/* defaults and the result's servers */
	p->epoch = d->epoch;
	p->ndevices = d->ndevices;
	p->napps = d->napps;
	p->devices = malloc((size_t)d->ndevices * sizeof(*d->devices) + 1);
	p->apps = malloc((size_t)d->napps * sizeof(*d->apps) + 1);
	c->remove = malloc((size_t)d->nremove * sizeof(*d->remove) + 1);
	if (!p->devices || !p->apps || !c->remove) {
		drop_delta(c);
		return -ENOMEM;
	}
	memcpy(p->devices, d->devices, (size_t)d->ndevices * sizeof(*d->devices));
	memcpy(p->apps, d->apps, (size_t)d->napps * sizeof(*d->apps));
	memcpy(c->remove, d->remove, (size_t)d->nremove * sizeof(*d->remove));
	c->nremove = d->nremove;
	c->delta_flags = d->has_servers ? XDPC_DELTA_SERVERS : 0;
	return 0;
}

static int xdp_prepare(void *ctx, const struct ctl_push *next, char *why, size_t n)
{
	struct ctl_xdp *c = ctx;
	const struct ptab_delta *d = next->delta;
	uint64_t ua = 0;
	int rc;

	/* the unknown-device action only changes with a whole table */
	if (d && d->has_defaults) {
		struct es_xdp_table h;
		int fd = xdpc_map_fd(c->x, "es_tables");
		uint32_t k = xdpc_active_version(c->x);

		ua = fd >= 0 && !bpf_map_lookup_elem(fd, &k, &h) &&
		     h.unknown_action != d->unknown_action;
	}
	if (d && !ua) {
		rc = keep_delta(c, next->table, d);
		if (!rc)
			c->prep = PREP_DELTA;
	} else {
		rc = xdpc_prepare(c->x, next->table);
		if (!rc)
			c->prep = PREP_TABLE;
	}
	if (rc)
		snprintf(why, n, "cannot prepare the XDP maps: %s", strerror(-rc));
	return rc;
}

static int xdp_commit(void *ctx)
{
	struct ctl_xdp *c = ctx;
	enum prepared p = c->prep;
	int rc;

	c->prep = PREP_NONE;
	if (p == PREP_TABLE)
		return xdpc_commit(c->x);
	rc = xdpc_push_delta(c->x, &c->delta, c->remove, c->nremove, c->delta_flags);
	drop_delta(c);
	return rc;
}

static void xdp_abort(void *ctx)
{
	struct ctl_xdp *c = ctx;

	if (c->prep == PREP_TABLE)
		xdpc_abort(c->x);
	drop_delta(c);
	c->prep = PREP_NONE;
}

const struct ctl_stage_ops ctl_xdp_stage = {
	.name = "xdp",
	.prepare = xdp_prepare,
	.commit = xdp_commit,
	.abort = xdp_abort,
};

int ctl_xdp_epoch(struct ctl_xdp *c, uint64_t *epoch)
{
	struct es_xdp_table h;
	uint32_t k = xdpc_active_version(c->x);
	int fd = xdpc_map_fd(c->x, "es_tables");

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &k, &h))
		return -errno;
	*epoch = h.epoch;
	return 0;
}

int ctl_xdp_stats(struct ctl_xdp *c, struct es_xdp_stats *out)
{
	return xdpc_read_stats(c->x, out);
}

static int seen_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct meter_seen *)a)->id, y = ((const struct meter_seen *)b)->id;

	return x < y ? -1 : x > y;
}

int ctl_xdp_observe(struct ctl_xdp *c, const struct es_policy *t,
		    struct ctl_device_obs *obs, uint32_t max)
{
	struct meter_seen *now;

	if (t->ndevices > max)
		return -E2BIG;
	now = malloc((size_t)t->ndevices * sizeof(*now) + 1);
	if (!now)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->ndevices; i++) {
		struct es_xdp_meter m = { 0 };
		const struct meter_seen *was;

		now[i] = (struct meter_seen){ t->devices[i].id, 0, 0 };
		if (xdpc_read_meter(c->x, t->devices[i].id, &m))
			continue;
		now[i].packets = m.packets;
		now[i].bytes = m.bytes;
		/* a meter restarts when its device is replaced: never negative */
		was = c->seen ? bsearch(&now[i], c->seen, c->nseen, sizeof(*c->seen),
					seen_cmp) : NULL;
		obs[i].id = t->devices[i].id;
		obs[i].packets = was && m.packets >= was->packets ? m.packets - was->packets
								  : m.packets;
		obs[i].bytes = was && m.bytes >= was->bytes ? m.bytes - was->bytes : m.bytes;
	}
	free(c->seen);
	c->seen = now;
	c->nseen = t->ndevices;
	return 0;
}
