/* SPDX-License-Identifier: MIT */
/*
 * A delta applied to a table: three sorted lists (the table in force, the
 * devices added or replaced, the removals) walked together. Runs of devices
 * the delta does not touch are copied in bulk, so a 1,000-device delta on a
 * million-device table costs about two memcpy of the table, not a million
 * small ones.
 */
#include "ptab.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 4, 5)))
static int bad(struct ptab_error *err, const char *name, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		int n = snprintf(err->msg, sizeof(err->msg), "%s: ", name);

		va_start(ap, fmt);
		vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

void ptab_delta_free(struct ptab_delta *d)
{
	if (!d)
		return;
	free(d->devices);
	free(d->apps);
	free(d->remove);
	memset(d, 0, sizeof(*d));
}

uint32_t ptab_lower_bound(const struct es_policy *p, uint32_t from, uint64_t id)
{
	uint32_t lo = from, hi = p->ndevices;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (p->devices[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct merge {
	const char *name;
	const struct es_policy *cur;
	struct es_policy *out;
	const int16_t *remap;		/* NULL: servers unchanged */
	struct ptab_error *err;
};

/* cur->devices[i..j) -> the end of out, apps compacted in device order. */
static int copy_run(struct merge *m, uint32_t i, uint32_t j)
{
	const struct es_policy *cur = m->cur;
	struct es_policy *out = m->out;
	uint32_t first_app = out->napps, expect = i < j ? cur->devices[i].apps_off : 0;
	int contiguous = 1;

	for (uint32_t k = i; k < j; k++) {
		struct es_device *d = &out->devices[out->ndevices++];

		*d = cur->devices[k];
		contiguous &= d->apps_off == expect;
		expect += d->napps;
		d->apps_off = out->napps;
		out->napps += d->napps;
	}
	if (contiguous) {
		if (out->napps > first_app)
			memcpy(&out->apps[first_app], &cur->apps[cur->devices[i].apps_off],
			       (out->napps - first_app) * sizeof(*out->apps));
	} else {
		for (uint32_t k = i; k < j; k++)
			if (cur->devices[k].napps)
				memcpy(&out->apps[out->devices[out->ndevices - (j - k)].apps_off],
				       &cur->apps[cur->devices[k].apps_off],
				       cur->devices[k].napps * sizeof(*out->apps));
	}
	if (!m->remap)
		return 0;
	for (uint32_t k = out->ndevices - (j - i); k < out->ndevices; k++) {
		const struct es_device *d = &out->devices[k];

		for (uint32_t a = 0; a < d->napps; a++) {
			struct es_app *ap = &out->apps[d->apps_off + a];

			if (ap->server == ES_SERVER_ANY) {
				uint32_t s;

				for (s = 0; s < out->nservers; s++)
					if (ap->target_kind == out->servers[s].kind)
						break;
				if (ap->target_kind && s == out->nservers)
					return bad(m->err, m->name, -EINVAL, "servers: no %s server "
						   "left for device %u app %u (in force)",
						   ap->target_kind == 1 ? "edge" : "cloud", d->id,
						   ap->app);
				continue;
			}
			if (m->remap[ap->server] < 0)
				return bad(m->err, m->name, -EINVAL, "servers: server '%s' is gone "
					   "but device %u app %u (in force) targets it",
					   cur->servers[ap->server].name, d->id, ap->app);
			ap->server = (uint8_t)m->remap[ap->server];
			ap->target_kind = out->servers[ap->server].kind;
		}
	}
	return 0;
}

int ptab_apply_delta(const char *name, const struct es_policy *cur,
		     const struct ptab_delta *d, const struct ptab_limits *lim,
		     struct es_policy *next, struct ptab_load_info *info,
		     struct ptab_error *err)
{
	static const struct ptab_limits dflt = PTAB_LIMITS_DEFAULT;
	static const struct es_policy empty;
	struct ptab_load_info inf = { .delta = 1 };
	int16_t remap[ES_MAX_SERVERS];
	struct es_policy out = { 0 };
	struct merge m = { name ? name : "(delta)", NULL, &out, NULL, err };
	uint32_t i = 0, k = 0, r = 0;
	int rc;

	if (!cur)
		cur = &empty;
	if (!lim)
		lim = &dflt;
	m.cur = cur;
	out.epoch = d->epoch;
	out.unknown_action = d->has_defaults ? d->unknown_action : cur->unknown_action;
	out.default_rate_kbps = d->has_defaults ? d->default_rate_kbps : cur->default_rate_kbps;
	out.default_burst_bytes = d->has_defaults ? d->default_burst_bytes :
			       cur->default_burst_bytes;
	if (!out.default_rate_kbps)
		return bad(err, m.name, -EINVAL, "defaults: missing, and no table in force "
			   "to keep them from");
	out.nservers = d->has_servers ? d->nservers : cur->nservers;
	memcpy(out.servers, d->has_servers ? d->servers : cur->servers,
	       out.nservers * sizeof(out.servers[0]));
	if (d->has_servers) {
		for (uint32_t s = 0; s < cur->nservers; s++)
			remap[s] = (int16_t)ptab_find_server(&out, cur->servers[s].name);
		m.remap = remap;
	}
	for (uint32_t q = 0; q < d->nremove; q++)
		if (!ptab_find_device(cur, d->remove[q]))
			return bad(err, m.name, -EINVAL, "remove_devices: device %u is not in "
				   "the table in force", d->remove[q]);
	out.devices = malloc(((size_t)cur->ndevices + d->ndevices + 1) * sizeof(*out.devices));
	out.apps = malloc(((size_t)cur->napps + d->napps + 1) * sizeof(*out.apps));
	rc = -ENOMEM;
	if (!out.devices || !out.apps)
		goto err;
	while (i < cur->ndevices || k < d->ndevices) {
		uint64_t kid = k < d->ndevices ? d->devices[k].id : UINT64_MAX;
		uint64_t rid = r < d->nremove ? d->remove[r] : UINT64_MAX;
		uint64_t stop = kid < rid ? kid : rid;
		uint32_t j = stop == UINT64_MAX ? cur->ndevices : ptab_lower_bound(cur, i, stop);

		rc = copy_run(&m, i, j);
		if (rc)
			goto err;
		i = j;
		if (stop == UINT64_MAX)
			break;
		if (rid == kid) {
			rc = bad(err, m.name, -EINVAL, "devices: device %u is also in "
				 "remove_devices", (uint32_t)kid);
			goto err;
		}
		if (stop == rid) {	/* present: checked above */
			i++;
			r++;
			inf.removed++;
			continue;
		}
		if (i < cur->ndevices && cur->devices[i].id == kid) {
			i++;
			inf.replaced++;
		} else {
			inf.added++;
		}
		const struct es_device *src = &d->devices[k++];
		struct es_device *dst = &out.devices[out.ndevices++];

		*dst = *src;
		dst->apps_off = out.napps;
		if (src->napps)		/* d->apps is NULL when no device has apps */
			memcpy(&out.apps[out.napps], &d->apps[src->apps_off],
			       src->napps * sizeof(*d->apps));
		out.napps += src->napps;
	}
	if (out.ndevices > lim->max_devices) {
		rc = bad(err, m.name, -E2BIG, "devices: the result would have %u devices, over "
			 "the limit of %u (refused whole)", out.ndevices, lim->max_devices);
		goto err;
	}
	*next = out;
	if (info)
		*info = inf;
	return 0;
err:
	ptab_free(&out);
	return rc;
}

int ptab_delta_between(const struct es_policy *from, const struct es_policy *to,
		       struct ptab_delta *d)
{
	uint32_t i = 0, k = 0;

	memset(d, 0, sizeof(*d));
	d->epoch = to->epoch;
	d->has_defaults = from->unknown_action != to->unknown_action ||
			  from->default_rate_kbps != to->default_rate_kbps ||
			  from->default_burst_bytes != to->default_burst_bytes;
	d->unknown_action = to->unknown_action;
	d->default_rate_kbps = to->default_rate_kbps;
	d->default_burst_bytes = to->default_burst_bytes;
	d->has_servers = from->nservers != to->nservers ||
			 memcmp(from->servers, to->servers, to->nservers * sizeof(to->servers[0]));
	d->nservers = to->nservers;
	memcpy(d->servers, to->servers, to->nservers * sizeof(to->servers[0]));
	/* sized for the worst case; a policy's step changes few devices */
	d->devices = malloc(((size_t)to->ndevices + 1) * sizeof(*d->devices));
	d->apps = malloc(((size_t)to->napps + 1) * sizeof(*d->apps));
	d->remove = malloc(((size_t)from->ndevices + 1) * sizeof(*d->remove));
	if (!d->devices || !d->apps || !d->remove) {
		ptab_delta_free(d);
		return -ENOMEM;
	}
	while (i < from->ndevices || k < to->ndevices) {
		const struct es_device *a = i < from->ndevices ? &from->devices[i] : NULL;
		const struct es_device *b = k < to->ndevices ? &to->devices[k] : NULL;

		if (a && (!b || a->id < b->id)) {
			d->remove[d->nremove++] = a->id;
			i++;
			continue;
		}
		if (a && a->id == b->id) {
			i++;
			if (ptab_device_equal(from, a, to, b)) {
				k++;
				continue;
			}
		}
		struct es_device *nd = &d->devices[d->ndevices++];

		*nd = *b;
		nd->apps_off = d->napps;
		if (b->napps)
			memcpy(&d->apps[d->napps], &to->apps[b->apps_off], b->napps * sizeof(*d->apps));
		d->napps += b->napps;
		k++;
	}
	return 0;
}
