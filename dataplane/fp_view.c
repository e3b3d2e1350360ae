/* SPDX-License-Identifier: MIT */
#include "fp_view.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/*
 * Overlays and merged bases live in anonymous mappings, populated at mmap
 * (no page fault later on the data path), with the mapping's length in a
 * 64-byte prefix in front of the blob (the blob stays cache-line aligned).
 */
#define PREFIX	64u

static void *blob_alloc(size_t bytes)
{
	size_t len = bytes + PREFIX, huge = (len + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
	void *m = MAP_FAILED;

	/* a merged base: on hugepages when some are free, like a pushed one */
	if (bytes >= (2u << 20)) {
		m = mmap(NULL, huge, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
		if (m != MAP_FAILED)
			len = huge;
	}
	if (m == MAP_FAILED)
		m = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	memcpy(m, &len, sizeof(len));
	return (uint8_t *)m + PREFIX;
}

static void blob_free(const void *blob)
{
	uint8_t *m;
	size_t len;

	if (!blob)
		return;
	m = (uint8_t *)blob - PREFIX;	/* only now: NULL - PREFIX is UB */
	memcpy(&len, m, sizeof(len));
	munmap(m, len);
}

void fp_view_of_base(struct fp_view *v, const struct fp_tbl_hdr *base)
{
	v->front = base;
	v->base = base;
	v->ovl = NULL;
	v->ndevices = base->ndevices;
	v->ovl_entries = 0;
}

/* A table being filled: linear probing, upserts only (nothing is deleted). */
struct fill {
	struct fp_tbl_hdr *h;
	struct fp_tbl_slot *slots;
	struct fp_tbl_app *apps;
	uint32_t mask, max_probe, napps, used;
};

/*
 * Starts a table of 1 << @bits slots and room for @napps overflow apps,
 * with @like's header fields and servers. 0 or -ENOMEM.
 */
static int fill_start(struct fill *f, const struct fp_tbl_hdr *like, uint32_t bits,
		      uint64_t napps)
{
	uint64_t servers_off = sizeof(struct fp_tbl_hdr);
	uint64_t slots_off = (servers_off + like->nservers * sizeof(struct fp_tbl_server) + 63) &
			     ~63ull;
	uint64_t apps_off = slots_off + (sizeof(struct fp_tbl_slot) << bits);
	uint64_t total = apps_off + napps * sizeof(struct fp_tbl_app);

	memset(f, 0, sizeof(*f));
	f->h = blob_alloc(total);
	if (!f->h)
		return -ENOMEM;
	/* fresh anonymous pages are zero: every slot starts empty */
	*f->h = *like;
	memcpy((uint8_t *)f->h + servers_off, fp_table_servers(like),
	       like->nservers * sizeof(struct fp_tbl_server));
	f->h->servers_off = servers_off;
	f->h->slots_off = slots_off;
	f->h->apps_off = apps_off;
	f->h->slot_bits = bits;
	f->slots = (struct fp_tbl_slot *)((uint8_t *)f->h + slots_off);
	f->apps = (struct fp_tbl_app *)((uint8_t *)f->h + apps_off);
	f->mask = (1u << bits) - 1;
	return 0;
}

/* Puts @s (its overflow apps in @apps) in, replacing a slot of the same id. */
static void fill_put(struct fill *f, const struct fp_tbl_slot *s, const struct fp_tbl_app *apps)
{
	uint32_t i = fp_table_hash(s->device_id, f->h->slot_bits), dist = 0;
	uint32_t n = s->apps & 31, over = n > FP_TBL_INLINE_APPS ? n - FP_TBL_INLINE_APPS : 0;

	while (f->slots[i].device_id && f->slots[i].device_id != s->device_id) {
		i = (i + 1) & f->mask;
		dist++;
	}
	f->used += !f->slots[i].device_id;
	if (dist > f->max_probe)
		f->max_probe = dist;
	f->slots[i] = *s;
	f->slots[i].apps = f->napps << 5 | n;
	/* a replaced device's old apps stay behind unused until the next fold */
	if (over)
		memcpy(&f->apps[f->napps], apps + (s->apps >> 5), over * sizeof(*apps));
	f->napps += over;
}

/* Ends the table: header counts, length, checksum. */
static void fill_end(struct fill *f, uint64_t epoch, uint32_t unknown_action,
		     uint32_t ndevices)
{
	struct fp_tbl_hdr *h = f->h;

	h->epoch = epoch;
	h->unknown_action = unknown_action;
	h->ndevices = ndevices;
	h->napps = f->napps;
	h->max_probe = f->max_probe;
	h->total_bytes = (h->apps_off + (uint64_t)f->napps * sizeof(struct fp_tbl_app) + 7) &
			 ~7ull;
	h->checksum = fp_table_checksum((uint8_t *)h + FP_TABLE_CSUM_OFF,
					h->total_bytes - FP_TABLE_CSUM_OFF);
}

int fp_view_fold(const struct fp_view *v, const void *delta, int force,
		 uint32_t max_devices, const struct fp_tbl_hdr **ovl,
		 struct fp_view *out, const char **why)
{
	const struct fp_dlt_hdr *d = delta;
	const struct fp_tbl_slot *dev = (const void *)((const uint8_t *)d + d->devs_off);
	const struct fp_tbl_app *dapps = (const void *)((const uint8_t *)d + d->apps_off);
	const uint32_t *rm = (const void *)((const uint8_t *)d + d->remove_off);
	const struct fp_tbl_hdr *from;
	struct fp_tbl_slot tomb;
	int64_t n;
	struct fill f;
	uint32_t bound;

	if (!v || !v->base)
		return fp_table_refuse(why, "delta.base_epoch: no table in force to apply it to", -EXDEV);
	if (d->base_epoch != v->front->epoch)
		return fp_table_refuse(why, "delta.base_epoch: not the epoch in force (push the whole "
			      "table)", -EXDEV);
	if (d->epoch < v->front->epoch && !force)
		return fp_table_refuse(why, "delta.epoch: older than the table in force", -ESTALE);
	n = v->ndevices;
	for (uint32_t i = 0; i < d->nremove; i++, n--)
		if (!fp_view_device(v, rm[i], &from))
			return fp_table_refuse(why, "delta.remove[]: a device not in the table in force",
				      -ENOENT);
	for (uint32_t i = 0; i < d->ndevices; i++)
		n += !fp_view_device(v, dev[i].device_id, &from);
	if (n > max_devices)
		return fp_table_refuse(why, "delta: the result would be over the device limit", -E2BIG);

	bound = v->ovl_entries + d->ndevices + d->nremove;
	if (fill_start(&f, v->base, fp_table_slot_bits(bound),
		       (uint64_t)(v->ovl ? v->ovl->napps : 0) + d->napps))
		return fp_table_refuse(why, "delta: out of memory for the overlay", -ENOMEM);
	if (v->ovl) {
		const struct fp_tbl_slot *s = fp_table_slots(v->ovl);

		for (uint32_t i = 0; i <= (1u << v->ovl->slot_bits) - 1; i++)
			if (s[i].device_id)
				fill_put(&f, &s[i], fp_table_apps(v->ovl));
	}
	for (uint32_t i = 0; i < d->ndevices; i++)
		fill_put(&f, &dev[i], dapps);
	memset(&tomb, 0, sizeof(tomb));
	for (uint32_t i = 0; i < d->nremove; i++) {
		tomb.device_id = rm[i];
		fill_put(&f, &tomb, NULL);
	}
	fill_end(&f, d->epoch, d->unknown_action, (uint32_t)n);
	*ovl = f.h;
	out->front = f.h;
	out->base = v->base;
	out->ovl = f.h;
	out->ndevices = (uint32_t)n;
	out->ovl_entries = f.used;
	return 0;
}

void fp_view_ovl_free(const struct fp_tbl_hdr *ovl)
{
	blob_free(ovl);
}

int fp_view_merge(const struct fp_view *v, const struct fp_tbl_hdr **base, size_t *len)
{
	const struct fp_tbl_slot *s = fp_table_slots(v->base);
	struct fill f;
	int err;

	err = fill_start(&f, v->base, fp_table_slot_bits(v->ndevices),
			 (uint64_t)v->base->napps + (v->ovl ? v->ovl->napps : 0));
	if (err)
		return err;
	/*
	 * The base in slot order: with the same number of slots, each device
	 * lands where it was, so the new hash is written almost in sequence.
	 */
	for (uint32_t i = 0; i <= (1u << v->base->slot_bits) - 1; i++) {
		if (!s[i].device_id ||
		    (v->ovl && fp_table_device(v->ovl, s[i].device_id)))
			continue;	/* the overlay says what it is now */
		fill_put(&f, &s[i], fp_table_apps(v->base));
	}
	if (v->ovl) {
		s = fp_table_slots(v->ovl);
		for (uint32_t i = 0; i <= (1u << v->ovl->slot_bits) - 1; i++)
			if (s[i].device_id && s[i].rate_kbps)
				fill_put(&f, &s[i], fp_table_apps(v->ovl));
	}
	fill_end(&f, v->front->epoch, v->front->unknown_action, f.used);
	*base = f.h;
	*len = f.h->total_bytes;
	return 0;
}

void fp_view_base_free(const struct fp_tbl_hdr *base, size_t len)
{
	(void)len;
	blob_free(base);
}
