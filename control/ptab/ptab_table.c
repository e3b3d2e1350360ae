/* SPDX-License-Identifier: MIT */
/*
 * Tables as values: the invariant check (for tables that did not come from
 * JSON: a policy's decide(), a file read back), copy, free, lookups.
 */
#include "ptab.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "esop.h"

__attribute__((format(printf, 3, 4)))
static int bad(struct ptab_error *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		int n = snprintf(err->msg, sizeof(err->msg), "table: ");

		va_start(ap, fmt);
		vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int check_server(const struct es_policy *p, uint32_t s, struct ptab_error *err)
{
	const struct es_server *sv = &p->servers[s];
	size_t n = strnlen(sv->name, ES_SERVER_NAME_MAX);

	if (!n || n == ES_SERVER_NAME_MAX)
		return bad(err, -EINVAL, "servers[%u].name: empty or not terminated", s);
	if (!strcmp(sv->name, "local") || !strcmp(sv->name, "edge") ||
	    !strcmp(sv->name, "cloud"))
		return bad(err, -EINVAL, "servers[%u].name: '%s' is reserved", s, sv->name);
	for (uint32_t t = 0; t < s; t++)
		if (!strcmp(p->servers[t].name, sv->name))
			return bad(err, -EINVAL, "servers[%u].name: '%s' already names "
				   "servers[%u]", s, sv->name, t);
	if (sv->kind != ESOP_TARGET_EDGE && sv->kind != ESOP_TARGET_CLOUD)
		return bad(err, -EINVAL, "servers[%u].kind: %u is not edge or cloud", s, sv->kind);
	if (!sv->udp_port)
		return bad(err, -EINVAL, "servers[%u].udp_port: 0", s);
	if (sv->port > PTAB_MAX_PORT)
		return bad(err, -EINVAL, "servers[%u].port: %u over %u", s, sv->port, PTAB_MAX_PORT);
	if (sv->ipv6 > 1)
		return bad(err, -EINVAL, "servers[%u].ip: bad family flag", s);
	if (sv->mac[0] & 1)
		return bad(err, -EINVAL, "servers[%u].mac: multicast", s);
	return 0;
}

int ptab_check(const struct es_policy *p, const struct ptab_limits *lim,
	       struct ptab_error *err)
{
	static const struct ptab_limits dflt = PTAB_LIMITS_DEFAULT;
	unsigned int kinds = 0;

	if (!lim)
		lim = &dflt;
	if (p->epoch > PTAB_MAX_EPOCH)
		return bad(err, -EINVAL, "epoch: %llu over %llu",
			   (unsigned long long)p->epoch, PTAB_MAX_EPOCH);
	if (p->unknown_action > ES_UNKNOWN_CONTROL)
		return bad(err, -EINVAL, "defaults.unknown_device: %u", p->unknown_action);
	if (!p->default_rate_kbps)
		return bad(err, -EINVAL, "defaults.rate_kbps: 0");
	if (p->default_burst_bytes < 1500)
		return bad(err, -EINVAL, "defaults.burst_bytes: %u under 1500",
			   p->default_burst_bytes);
	if (p->nservers > lim->max_servers || p->nservers > ES_MAX_SERVERS)
		return bad(err, -E2BIG, "servers: %u over the limit of %u", p->nservers,
			   lim->max_servers);
	if (p->ndevices > lim->max_devices)
		return bad(err, -E2BIG, "devices: %u over the limit of %u", p->ndevices,
			   lim->max_devices);
	if ((p->ndevices && !p->devices) || (p->napps && !p->apps))
		return bad(err, -EINVAL, "devices/apps: counted but absent");
	for (uint32_t s = 0; s < p->nservers; s++) {
		int rc = check_server(p, s, err);

		if (rc)
			return rc;
		kinds |= 1u << p->servers[s].kind;
	}
	for (uint32_t i = 0; i < p->ndevices; i++) {
		const struct es_device *d = &p->devices[i];

		if (!d->id)
			return bad(err, -EINVAL, "device at %u: id 0", i);
		if (i && d->id <= p->devices[i - 1].id)
			return bad(err, -EINVAL, "device %u: not sorted or repeated", d->id);
		if (!d->rate_kbps)
			return bad(err, -EINVAL, "device %u: rate_kbps 0", d->id);
		if (d->burst_bytes < 1500)
			return bad(err, -EINVAL, "device %u: burst_bytes %u under 1500", d->id,
				   d->burst_bytes);
		if (d->napps > lim->max_apps_per_device)
			return bad(err, -E2BIG, "device %u: %u apps over the limit of %u", d->id,
				   d->napps, lim->max_apps_per_device);
		if ((uint64_t)d->apps_off + d->napps > p->napps)
			return bad(err, -EINVAL, "device %u: apps past the apps array", d->id);
		for (uint32_t a = 0; a < d->napps; a++) {
			const struct es_app *ap = &p->apps[d->apps_off + a];

			for (uint32_t b = 0; b < a; b++)
				if (p->apps[d->apps_off + b].app == ap->app)
					return bad(err, -EINVAL, "device %u: app %u twice",
						   d->id, ap->app);
			if (ap->split_layer > PTAB_MAX_SPLIT_LAYER)
				return bad(err, -EINVAL, "device %u app %u: split_layer %u",
					   d->id, ap->app, ap->split_layer);
			if (ap->target_kind == ESOP_TARGET_LOCAL) {
				if (ap->server != ES_SERVER_ANY)
					return bad(err, -EINVAL, "device %u app %u: local with "
						   "a server", d->id, ap->app);
			} else if (ap->target_kind == ESOP_TARGET_EDGE ||
				   ap->target_kind == ESOP_TARGET_CLOUD) {
				if (ap->server == ES_SERVER_ANY ?
				    !(kinds & (1u << ap->target_kind)) :
				    ap->server >= p->nservers ||
				    p->servers[ap->server].kind != ap->target_kind)
					return bad(err, -EINVAL, "device %u app %u: no such "
						   "server for its kind", d->id, ap->app);
			} else {
				return bad(err, -EINVAL, "device %u app %u: target kind %u",
					   d->id, ap->app, ap->target_kind);
			}
		}
	}
	return 0;
}

int ptab_copy(struct es_policy *dst, const struct es_policy *src)
{
	struct es_policy t = *src;

	t.devices = malloc(((size_t)src->ndevices + 1) * sizeof(*t.devices));
	t.apps = malloc(((size_t)src->napps + 1) * sizeof(*t.apps));
	if (!t.devices || !t.apps) {
		free(t.devices);
		free(t.apps);
		return -ENOMEM;
	}
	if (src->ndevices)
		memcpy(t.devices, src->devices, src->ndevices * sizeof(*t.devices));
	if (src->napps)
		memcpy(t.apps, src->apps, src->napps * sizeof(*t.apps));
	*dst = t;
	return 0;
}

void ptab_free(struct es_policy *p)
{
	if (!p)
		return;
	free(p->devices);
	free(p->apps);
	memset(p, 0, sizeof(*p));
}

const struct es_device *ptab_find_device(const struct es_policy *p, uint32_t id)
{
	uint32_t lo = 0, hi = p->ndevices;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (p->devices[mid].id == id)
			return &p->devices[mid];
		if (p->devices[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int ptab_find_server(const struct es_policy *p, const char *name)
{
	for (uint32_t s = 0; s < p->nservers; s++)
		if (!strcmp(p->servers[s].name, name))
			return (int)s;
	return -1;
}
