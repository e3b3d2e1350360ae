/* SPDX-License-Identifier: MIT */
#include "ctl_seen.h"

#include <errno.h>
#include <stdlib.h>

#include "esop.h"
#include "ptab.h"

struct seen_dev {
	uint32_t id;		/* 0 = free slot (device ids start at 1) */
	int16_t snr_qdb;
	uint16_t app_id;
	uint32_t total_len;
	uint8_t early_exit_ok;
	uint64_t req_ns;	/* when its last OFFLOAD_REQ was read */
};

/* Open addressing, linear probing, grown at half full: ids are never removed. */
struct ctl_seen {
	struct seen_dev *slot;
	uint32_t cap, used;	/* cap a power of two */
};

#define SEEN_MIN_CAP	64u

int ctl_seen_create(struct ctl_seen **out)
{
	struct ctl_seen *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->cap = SEEN_MIN_CAP;
	s->slot = calloc(s->cap, sizeof(*s->slot));
	if (!s->slot) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void ctl_seen_free(struct ctl_seen *s)
{
	if (!s)
		return;
	free(s->slot);
	free(s);
}

static uint32_t home(uint32_t id, uint32_t cap)
{
	return (id * 2654435761u) & (cap - 1);	/* Knuth's multiplicative hash */
}

static struct seen_dev *probe(struct seen_dev *slot, uint32_t cap, uint32_t id)
{
	uint32_t i = home(id, cap);

	while (slot[i].id && slot[i].id != id)
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

static int grow(struct ctl_seen *s)
{
	uint32_t cap = s->cap * 2;
	struct seen_dev *n = calloc(cap, sizeof(*n));

	if (!n || cap < s->cap) {
		free(n);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < s->cap; i++)
		if (s->slot[i].id)
			*probe(n, cap, s->slot[i].id) = s->slot[i];
	free(s->slot);
	s->slot = n;
	s->cap = cap;
	return 0;
}

int ctl_seen_record(struct ctl_seen *s, const struct fp_msg_telem_rec *r, uint64_t now_ns)
{
	struct seen_dev *d;

	if (!r->device_id)
		return 0;
	if ((s->used + 1) * 2 > s->cap && grow(s))
		return -ENOMEM;
	d = probe(s->slot, s->cap, r->device_id);
	if (!d->id) {
		d->id = r->device_id;
		s->used++;
	}
	d->snr_qdb = r->snr_qdb;
	if (r->type != ESOP_T_OFFLOAD_REQ)
		return 0;	/* TELEMETRY: the SNR only */
	d->app_id = r->app_id;
	d->early_exit_ok = !!(r->flags & ESOP_F_EARLY_EXIT_OK);
	d->total_len = r->total_len;
	d->req_ns = now_ns;
	return 0;
}

void ctl_seen_fill(const struct ctl_seen *s, const struct es_policy *cur,
		   struct ctl_device_obs *obs, uint64_t now_ns)
{
	for (uint32_t i = 0; i < s->cap; i++) {
		const struct seen_dev *d = &s->slot[i];
		const struct es_device *dev = d->id ? ptab_find_device(cur, d->id) : NULL;
		struct ctl_device_obs *o;

		if (!dev)
			continue;
		o = &obs[dev - cur->devices];
		o->id = d->id;
		o->snr_qdb = d->snr_qdb;
		o->app_id = d->app_id;
		o->early_exit_ok = d->early_exit_ok;
		o->pending_bytes = d->req_ns && now_ns - d->req_ns < CTL_SEEN_PENDING_NS
				   ? d->total_len : 0;
		o->reported = 1;
	}
}
