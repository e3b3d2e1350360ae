/* SPDX-License-Identifier: MIT */
#include "xdpc.h"

#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "edgesteer_xdp.skel.h"
#include "idset.h"
#include "slots.h"

_Static_assert(ES_XDP_APPS == ES_MAX_APPS_PER_DEVICE, "app slots differ");
_Static_assert(ES_XDP_SERVERS == 2 * ES_MAX_SERVERS, "server slots differ");

/* Map updates and deletes go to the kernel this many at a time. */
#define XDPC_BATCH	8192u

struct xdpc {
	struct edgesteer_xdp *skel;	/* not loaded when adopted */
	int prog_fd;			/* loaded, or the pinned one adopted */
	uint32_t max_devices;
	__u64 tick_ns;			/* coarse clock's tick (meter slack) */
	struct es_xdp_cfg cfg;		/* what es_cfg[0] holds */
	int prepared;			/* version cfg.active ^ 1 is filled */
	int ifindex;			/* attached here when > 0 */
	__u32 attach_flags;
	char pin_dir[PATH_MAX];		/* pinned there when non-empty */
	struct idset active;		/* device id -> meter slot, active version */
	struct idset next;		/* ... of the inactive (prepared) one */
	struct slots slots;		/* of es_meters */
	int removed;			/* a delta removed devices since the last
					 * grace period */
};

static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

/* The device version and the server slot that judge frames now. */
static __u32 active_dev(const struct xdpc *x)
{
	return x->cfg.active & ES_XDP_ACTIVE_DEV;
}

static __u32 active_srv(const struct xdpc *x)
{
	return (x->cfg.active & ES_XDP_ACTIVE_SRV) >> 1;
}

/*
 * The meter's clock is bpf_jiffies64() x the tick, which moves once a tick:
 * the tolerance of every device grows by one tick so that no frame the
 * exact clock would pass is refused (docs/xdp.md). The coarse clock's
 * resolution is the tick (TICK_NSEC).
 */
static __u64 coarse_tick_ns(void)
{
	struct timespec r;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &r) || r.tv_sec)
		return 10000000;	/* HZ=100, the coarsest Linux has */
	return (__u64)r.tv_nsec;
}

static int dev_fd(const struct xdpc *x, __u32 ver)
{
	return bpf_map__fd(ver ? x->skel->maps.es_dev1 : x->skel->maps.es_dev0);
}

/* Buffer entries for @n items sent XDPC_BATCH at a time (a delta is small). */
static size_t batch_of(uint32_t n)
{
	return n < XDPC_BATCH ? (n ? n : 1) : XDPC_BATCH;
}

static int cfg_write(struct xdpc *x, const struct es_xdp_cfg *cfg)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(x->skel->maps.es_cfg), &zero, cfg,
				BPF_ANY))
		return neg_errno();
	x->cfg = *cfg;
	return 0;
}

/*
 * Waits until every frame that may have read the old version is done.
 * XDP programs run inside RCU read-side sections (NAPI, test_run), and
 * MEMBARRIER_CMD_GLOBAL is a synchronize_rcu() from userspace.
 */
static int wait_readers(void)
{
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
		return 0;
	/* nohz_full kernels refuse it: a frame lasts microseconds */
	usleep(50 * 1000);
	return 0;
}

/*
 * Meter slots (slots.h): a device keeps its slot for as long as it stays in
 * the active version, so swaps and deltas keep its bucket.
 */
static int slots_open(struct xdpc *x)
{
	int err = idset_init(&x->active, x->max_devices);

	if (!err)
		err = idset_init(&x->next, x->max_devices);
	if (!err)
		err = slots_init(&x->slots, bpf_map__max_entries(x->skel->maps.es_meters));
	return err;
}

static void slots_close(struct xdpc *x)
{
	idset_free(&x->active);
	idset_free(&x->next);
	slots_free(&x->slots);
}

static void release_inactive(void *arg, uint32_t id, uint32_t slot)
{
	struct xdpc *x = arg;

	(void)id;
	slots_unref(&x->slots, slot, 0);
}

/* Waits a grace period: then no frame holds a pending slot any more. */
static void grace(struct xdpc *x)
{
	wait_readers();
	slots_grace_done(&x->slots);
	x->removed = 0;
}

/* A slot for a device new to the active version (to be zeroed). */
static int slot_take(struct xdpc *x, uint32_t *slot)
{
	int err = slots_take(&x->slots, slot);

	if (err == -EAGAIN) {
		grace(x);
		err = slots_take(&x->slots, slot);
	}
	return err;
}

/*
 * Slots for the devices of @p in @set: a device of the active version
 * keeps its slot (and bucket); a new one gets a free slot, zeroed (a full
 * bucket) before any device entry names it.
 */
static int slots_assign(struct xdpc *x, struct idset *set, const struct es_policy *p)
{
	struct es_xdp_meter *zero = calloc(batch_of(p->ndevices), sizeof(*zero));
	uint32_t *fresh = malloc(((size_t)p->ndevices + 1) * sizeof(*fresh));
	uint32_t nfresh = 0, slot;
	int err = 0;

	if (!zero || !fresh) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < p->ndevices && !err; i++) {
		uint32_t id = p->devices[i].id;

		if (idset_get(&x->active, id, &slot)) {
			if (set != &x->active)
				slots_ref(&x->slots, slot);
		} else {
			err = slot_take(x, &slot);
			if (!err)
				fresh[nfresh++] = slot;
		}
		if (!err && idset_put(set, id, slot) < 0)
			err = -ENOSPC;
	}
	for (uint32_t i = 0; i < nfresh && !err; i += XDPC_BATCH) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		__u32 n = nfresh - i < XDPC_BATCH ? nfresh - i : XDPC_BATCH;

		err = bpf_map_update_batch(bpf_map__fd(x->skel->maps.es_meters),
					   fresh + i, zero, &n, &o);
	}
out:
	free(zero);
	free(fresh);
	return err;
}

/* @set := the devices of version @ver and their slots, as the map holds them. */
static int devs_load(struct xdpc *x, __u32 ver, struct idset *set)
{
	struct es_xdp_device *vals = malloc(XDPC_BATCH * sizeof(*vals));
	__u32 *keys = malloc(XDPC_BATCH * sizeof(*keys));
	__u32 in = 0, next, count;
	int err = 0, first = 1;

	if (!vals || !keys) {
		err = -ENOMEM;
		goto out;
	}
	idset_clear(set);
	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);

		count = XDPC_BATCH;
		err = bpf_map_lookup_batch(dev_fd(x, ver), first ? NULL : &in, &next,
					   keys, vals, &count, &o);
		if (err && err != -ENOENT)
			goto out;
		for (__u32 i = 0; i < count; i++) {
			if (vals[i].meter < x->slots.n) {
				idset_put(set, keys[i], vals[i].meter);
				slots_ref(&x->slots, vals[i].meter);
			}
		}
		if (err == -ENOENT || !count)
			break;
		in = next;
		first = 0;
	}
	err = 0;
out:
	free(vals);
	free(keys);
	return err;
}

/*
 * The bookkeeping from the maps themselves (adoption, or a kernel error
 * half way through a change): both versions' devices and slots.
 */
static int slots_rebuild(struct xdpc *x)
{
	int err;

	slots_reset(&x->slots);
	err = devs_load(x, active_dev(x), &x->active);
	if (!err)
		err = devs_load(x, active_dev(x) ^ 1, &x->next);
	slots_settle(&x->slots);
	/* a frame of the process before may still hold a slot it freed */
	grace(x);
	return err;
}

int xdpc_open(struct xdpc **out, uint32_t max_devices)
{
	struct xdpc *x;
	uint32_t meters;
	int err;

	if (!out)
		return -EINVAL;
	if (!max_devices)
		max_devices = ES_MAX_DEVICES;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->max_devices = max_devices;
	x->tick_ns = coarse_tick_ns();
	x->skel = edgesteer_xdp__open();
	if (!x->skel) {
		err = neg_errno();
		goto err_free;
	}
	/*
	 * Meters of devices dropped from the table linger until the next
	 * commit collects them: twice the table leaves room for a full swap.
	 */
	meters = max_devices > UINT32_MAX / 2 ? UINT32_MAX : 2 * max_devices;
	err = bpf_map__set_max_entries(x->skel->maps.es_dev0, max_devices);
	if (!err)
		err = bpf_map__set_max_entries(x->skel->maps.es_dev1, max_devices);
	if (!err)
		err = bpf_map__set_max_entries(x->skel->maps.es_meters, meters);
	if (err)
		goto err_destroy;
	/* the meter's clock is jiffies x this (docs/xdp.md) */
	x->skel->rodata->es_tick_ns = x->tick_ns;
	err = edgesteer_xdp__load(x->skel);
	if (err)
		goto err_destroy;
	x->prog_fd = bpf_program__fd(x->skel->progs.edgesteer_xdp);
	err = slots_open(x);
	if (err)
		goto err_slots;
	*out = x;
	return 0;

err_slots:
	slots_close(x);
err_destroy:
	edgesteer_xdp__destroy(x->skel);
err_free:
	free(x);
	return err < 0 ? err : -EINVAL;
}

static int pin_path(char *buf, size_t n, const char *dir, const char *name)
{
	int len = snprintf(buf, n, "%s/%s", dir, name);

	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static int id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Whether the map pinned as @fd is the one this build's program declares
 * (a pin left by another build: -EPROTO, adopt nothing).
 */
static int map_fits(const struct bpf_map *m, int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return neg_errno();
	if (info.type != (__u32)bpf_map__type(m) ||
	    info.key_size != bpf_map__key_size(m) ||
	    info.value_size != bpf_map__value_size(m))
		return -EPROTO;
	return 0;
}

/*
 * Takes the maps pinned in @dir over (libbpf reuses their fds and their
 * sizes instead of creating new ones), and the program pinned beside
 * them; nothing is loaded and nothing a frame sees changes.
 */
static int adopt_pins(struct xdpc *x, const char *dir)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	int err, fd;

	err = pin_path(path, sizeof(path), dir, XDPC_PROG_NAME);
	if (err)
		return err;
	x->prog_fd = bpf_obj_get(path);
	if (x->prog_fd < 0)
		return neg_errno();
	bpf_object__for_each_map(m, x->skel->obj) {
		if (bpf_map__is_internal(m))
			continue;
		err = pin_path(path, sizeof(path), dir, bpf_map__name(m));
		if (err)
			return err;
		fd = bpf_obj_get(path);
		if (fd < 0)
			return neg_errno();
		err = map_fits(m, fd);
		if (!err)
			err = bpf_map__reuse_fd(m, fd);	/* dups fd */
		close(fd);
		if (err)
			return err;
	}
	x->max_devices = bpf_map__max_entries(x->skel->maps.es_dev0);
	return 0;
}

/* Finds our program attached at @ifindex (the mode it is attached in). */
static int adopt_attachment(struct xdpc *x, int ifindex, enum xdpc_mode *got)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	__u32 id = prog_id(x->prog_fd);
	int err = bpf_xdp_query(ifindex, 0, &q);

	if (err)
		return err;
	if (id && q.drv_prog_id == id)
		x->attach_flags = XDP_FLAGS_DRV_MODE;
	else if (id && q.skb_prog_id == id)
		x->attach_flags = XDP_FLAGS_SKB_MODE;
	else
		return -ESRCH;
	x->ifindex = ifindex;
	if (got)
		*got = x->attach_flags == XDP_FLAGS_SKB_MODE ? XDPC_MODE_SKB
							     : XDPC_MODE_NATIVE;
	return 0;
}

int xdpc_adopt(struct xdpc **out, const char *dir, int ifindex,
	       enum xdpc_mode *got)
{
	__u32 zero = 0;
	struct xdpc *x;
	int err;

	if (!out || ifindex < 0)
		return -EINVAL;
	if (!dir)
		dir = XDPC_PIN_DIR;
	if (strlen(dir) >= sizeof(x->pin_dir))
		return -ENAMETOOLONG;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->prog_fd = -1;
	x->tick_ns = coarse_tick_ns();
	x->skel = edgesteer_xdp__open();
	if (!x->skel) {
		err = neg_errno();
		goto err_free;
	}
	err = adopt_pins(x, dir);
	if (!err && bpf_map_lookup_elem(bpf_map__fd(x->skel->maps.es_cfg), &zero,
					&x->cfg))
		err = neg_errno();
	if (!err)
		err = slots_open(x);
	if (!err)
		err = slots_rebuild(x);
	if (!err && ifindex)
		err = adopt_attachment(x, ifindex, got);
	if (err)
		goto err_destroy;
	strcpy(x->pin_dir, dir);
	*out = x;
	return 0;

err_destroy:
	if (x->prog_fd >= 0)
		close(x->prog_fd);
	edgesteer_xdp__destroy(x->skel);
	slots_close(x);
err_free:
	free(x);
	return err;
}

void xdpc_close(struct xdpc *x)
{
	if (!x)
		return;
	/* pinned: a restarted daemon adopts it, so it keeps serving */
	if (!x->pin_dir[0])
		xdpc_detach(x);
	if (x->skel && x->prog_fd >= 0 &&
	    x->prog_fd != bpf_program__fd(x->skel->progs.edgesteer_xdp))
		close(x->prog_fd);
	edgesteer_xdp__destroy(x->skel);
	slots_close(x);
	free(x);
}

int xdpc_detach_and_unpin(struct xdpc *x)
{
	int err = xdpc_detach(x), e2 = xdpc_unpin(x);

	return err ? err : e2;
}

int xdpc_attach(struct xdpc *x, int ifindex, unsigned int flags,
		enum xdpc_mode *got)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	__u32 mode = (flags & XDPC_F_SKB) ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	int err;

	if (ifindex <= 0 || x->ifindex > 0)
		return x->ifindex > 0 ? -EBUSY : -EINVAL;
	/* never replace a program someone else attached */
	err = bpf_xdp_attach(ifindex, x->prog_fd, mode | XDP_FLAGS_UPDATE_IF_NOEXIST,
			     NULL);
	if (err)
		return err;
	x->ifindex = ifindex;
	x->attach_flags = mode;
	err = bpf_xdp_query(ifindex, mode, &q);
	if (err)
		return err;
	if (got)
		*got = q.attach_mode == XDP_ATTACHED_SKB ? XDPC_MODE_SKB
							 : XDPC_MODE_NATIVE;
	return 0;
}

int xdpc_detach(struct xdpc *x)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = x->prog_fd);
	int err;

	if (x->ifindex <= 0)
		return 0;
	/* old_prog_fd: detach only if the program there is still ours */
	err = bpf_xdp_detach(x->ifindex, x->attach_flags, &o);
	x->ifindex = 0;
	return err;
}

/* Pins @fd as @dir/@name, root only (0600). */
static int pin_one(int fd, const char *dir, const char *name)
{
	char path[PATH_MAX];
	int err = pin_path(path, sizeof(path), dir, name);

	if (err)
		return err;
	if (bpf_obj_pin(fd, path))
		return neg_errno();
	if (chmod(path, 0600)) {
		err = neg_errno();
		unlink(path);
		return err;
	}
	return 0;
}

static void unpin_one(const char *dir, const char *name, int *err)
{
	char path[PATH_MAX];

	if (pin_path(path, sizeof(path), dir, name) ||
	    (unlink(path) && errno != ENOENT))
		*err = -EIO;
}

int xdpc_pin(struct xdpc *x, const char *dir)
{
	struct bpf_map *m;
	int err;

	if (!dir)
		dir = XDPC_PIN_DIR;
	if (x->pin_dir[0])
		return -EBUSY;
	if (strlen(dir) >= sizeof(x->pin_dir))
		return -ENAMETOOLONG;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return neg_errno();
	strcpy(x->pin_dir, dir);
	err = pin_one(x->prog_fd, dir, XDPC_PROG_NAME);
	bpf_object__for_each_map(m, x->skel->obj) {
		if (err)
			break;
		if (!bpf_map__is_internal(m))
			err = pin_one(bpf_map__fd(m), dir, bpf_map__name(m));
	}
	if (err)
		xdpc_unpin(x);
	return err;
}

int xdpc_unpin(struct xdpc *x)
{
	struct bpf_map *m;
	int err = 0;

	if (!x->pin_dir[0])
		return 0;
	unpin_one(x->pin_dir, XDPC_PROG_NAME, &err);
	bpf_object__for_each_map(m, x->skel->obj)
		if (!bpf_map__is_internal(m))
			unpin_one(x->pin_dir, bpf_map__name(m), &err);
	rmdir(x->pin_dir);	/* only if empty: someone else's pins stay */
	x->pin_dir[0] = '\0';
	return err;
}

int xdpc_set_parse_cfg(struct xdpc *x, const struct esop_parse_cfg *cfg)
{
	struct es_xdp_cfg c = x->cfg;

	c.parse = *cfg;
	return cfg_write(x, &c);
}

/* --- policy tables --- */

static int device_valid(const struct es_device *d, const struct es_app *apps)
{
	if (d->id == 0 || d->rate_kbps == 0 || d->burst_bytes == 0 ||
	    d->napps > ES_MAX_APPS_PER_DEVICE || (d->napps && !apps))
		return 0;
	for (unsigned int i = 0; i < d->napps; i++)
		if (apps[i].target_kind > ESOP_TARGET_CLOUD)
			return 0;
	return 1;
}

/* A device of @p with the table's defaults filled in for rate and burst. */
static struct es_device device_of(const struct es_policy *p, uint32_t i)
{
	struct es_device d = p->devices[i];

	if (!d.rate_kbps)
		d.rate_kbps = p->default_rate_kbps;
	if (!d.burst_bytes)
		d.burst_bytes = p->default_burst_bytes;
	return d;
}

static int policy_valid(const struct es_policy *p, uint32_t max_devices)
{
	if (p->unknown_action > ES_UNKNOWN_CONTROL || p->nservers > ES_MAX_SERVERS ||
	    (p->ndevices && !p->devices) || (p->napps && !p->apps))
		return -EINVAL;
	if (p->ndevices > max_devices)
		return -E2BIG;
	for (uint32_t i = 0; i < p->nservers; i++)
		if (p->servers[i].ipv6 > 1)
			return -EINVAL;
	for (uint32_t i = 0; i < p->ndevices; i++) {
		struct es_device d = device_of(p, i);

		if ((uint64_t)d.apps_off + d.napps > p->napps ||
		    !device_valid(&d, d.napps ? p->apps + d.apps_off : NULL) ||
		    (i && d.id <= p->devices[i - 1].id))
			return -EINVAL;
	}
	return 0;
}

/* GCRA parameters: 1 kbit/s = 1000 bit/s, so a byte takes 8e6 / rate ns. */
static void device_compile(const struct es_device *d, const struct es_app *apps,
			   __u64 tick_ns, uint32_t meter, struct es_xdp_device *v)
{
	memset(v, 0, sizeof(*v));
	v->ns_per_byte_q16 = (8000000ull << 16) / d->rate_kbps;
	v->tau_ns = (__u64)((unsigned __int128)d->burst_bytes * 8000000u /
			    d->rate_kbps) + tick_ns;
	v->rate_kbps = d->rate_kbps;
	v->burst_bytes = d->burst_bytes;
	v->meter = meter;
	v->napps = d->napps;
	for (unsigned int i = 0; i < d->napps; i++) {
		v->apps[i].app_id = apps[i].app;
		v->apps[i].target_kind = apps[i].target_kind;
	}
}

/* Empties a hash map, XDPC_BATCH keys at a time. */
static int map_clear(int fd, size_t key_size, size_t value_size)
{
	void *keys = malloc(XDPC_BATCH * key_size);
	void *vals = malloc(XDPC_BATCH * value_size);
	__u32 in = 0, out, count;
	int err = 0, done = 0, first = 1;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	while (!done) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);

		count = XDPC_BATCH;
		/* the cursor is a bucket: emptied buckets are not walked again */
		err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &out,
						      keys, vals, &count, &o);
		in = out;
		first = 0;
		if (err == -ENOENT) {
			err = 0;
			done = 1;
		} else if (err) {
			break;
		}
		if (!count)
			done = 1;
	}
out:
	free(keys);
	free(vals);
	return err;
}

/* Removes the servers of @slot (at most ES_XDP_SERVERS keys). */
static int servers_clear(int fd, __u32 slot)
{
	struct es_xdp_server_key keys[ES_XDP_SERVERS], k, *prev = NULL;
	unsigned int n = 0;

	while (n < ES_XDP_SERVERS && !bpf_map_get_next_key(fd, prev, &k)) {
		keys[n] = k;
		prev = &keys[n++];
	}
	for (unsigned int i = 0; i < n; i++)
		if (keys[i].slot == slot && bpf_map_delete_elem(fd, &keys[i]))
			return neg_errno();
	return 0;
}

/* The devices of @p into map @fd, each with its slot from @slots. */
static int devices_fill(int fd, const struct es_policy *p, __u64 tick_ns,
			const struct idset *slots)
{
	struct es_xdp_device *vals = malloc(batch_of(p->ndevices) * sizeof(*vals));
	__u32 *keys = malloc(batch_of(p->ndevices) * sizeof(*keys));
	int err = 0;

	if (!vals || !keys) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < p->ndevices && !err; i += XDPC_BATCH) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		__u32 n = p->ndevices - i < XDPC_BATCH ? p->ndevices - i : XDPC_BATCH;

		for (__u32 j = 0; j < n; j++) {
			struct es_device d = device_of(p, i + j);
			uint32_t slot = 0;

			idset_get(slots, d.id, &slot);
			keys[j] = d.id;
			device_compile(&d, d.napps ? p->apps + d.apps_off : NULL,
				       tick_ns, slot, &vals[j]);
		}
		err = bpf_map_update_batch(fd, keys, vals, &n, &o);
	}
out:
	free(vals);
	free(keys);
	return err;
}

static int servers_fill(int fd, const struct es_policy *p, __u32 slot)
{
	for (__u32 i = 0; i < p->nservers; i++) {
		const struct es_server *s = &p->servers[i];
		struct es_xdp_server_key k = { .slot = slot, .ipv6 = s->ipv6 };

		memcpy(k.addr, s->ip, s->ipv6 ? 16 : 4);
		if (bpf_map_update_elem(fd, &k, &i, BPF_ANY))
			return neg_errno();
	}
	return 0;
}

int xdpc_prepare(struct xdpc *x, const struct es_policy *p)
{
	__u32 ver = active_dev(x) ^ 1, slot = active_srv(x) ^ 1;
	int srv = bpf_map__fd(x->skel->maps.es_servers);
	struct es_xdp_table t = { 0 };
	int err;

	err = policy_valid(p, x->max_devices);
	if (err)
		return err;
	/* the inactive version: no frame reads it (commit waited for that) */
	x->prepared = 0;
	/*
	 * a slot the active version named until a delta removed its device
	 * may be named only by the inactive one now: let in-flight frames
	 * finish with it before it is freed below
	 */
	if (x->removed)
		grace(x);
	idset_each(&x->next, release_inactive, x);
	idset_clear(&x->next);
	err = slots_assign(x, &x->next, p);
	if (!err)
		err = map_clear(dev_fd(x, ver), sizeof(__u32), sizeof(struct es_xdp_device));
	if (!err)
		err = servers_clear(srv, slot);
	if (!err)
		err = devices_fill(dev_fd(x, ver), p, x->tick_ns, &x->next);
	if (!err)
		err = servers_fill(srv, p, slot);
	if (!err) {
		t.epoch = p->epoch;
		t.unknown_action = p->unknown_action;
		t.ndevices = p->ndevices;
		if (bpf_map_update_elem(bpf_map__fd(x->skel->maps.es_tables), &ver,
					&t, BPF_ANY))
			err = neg_errno();
	}
	if (err)
		return err;
	x->prepared = 1;
	return 0;
}

void xdpc_abort(struct xdpc *x)
{
	x->prepared = 0;
}


int xdpc_commit(struct xdpc *x)
{
	struct es_xdp_cfg c = x->cfg;
	struct idset swap;
	int err;

	if (!x->prepared)
		return -EINVAL;
	/* devices, header and servers flip together: both bits are in one byte */
	c.active = (c.active & (ES_XDP_ACTIVE_DEV | ES_XDP_ACTIVE_SRV)) ^
		   (ES_XDP_ACTIVE_DEV | ES_XDP_ACTIVE_SRV);
	err = cfg_write(x, &c);
	if (err)
		return err;
	x->prepared = 0;
	swap = x->active;
	x->active = x->next;
	x->next = swap;
	grace(x);
	return 0;
}

int xdpc_push(struct xdpc *x, const struct es_policy *p)
{
	int err = xdpc_prepare(x, p);

	return err ? err : xdpc_commit(x);
}

/* --- deltas: K devices changed in the active version, in place --- */

static int delta_adds(const struct es_policy *d, uint32_t id)
{
	uint32_t lo = 0, hi = d->ndevices;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (d->devices[mid].id == id)
			return 1;
		if (d->devices[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * Checks @d and the removals against the active version and returns the
 * removals sorted (*rm_sorted) and the new number of devices. Nothing is
 * written: a refused delta changes nothing.
 */
static int delta_check(const struct xdpc *x, const struct es_policy *d,
		       const uint32_t *rm, uint32_t nrm, uint32_t **rm_sorted,
		       uint32_t *total)
{
	uint64_t n = x->active.n;
	uint32_t *s;
	int err;

	if (!d || (nrm && !rm))
		return -EINVAL;
	err = policy_valid(d, UINT32_MAX);
	if (err)
		return err;
	s = malloc(((size_t)nrm + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (nrm)
		memcpy(s, rm, nrm * sizeof(*s));
	qsort(s, nrm, sizeof(*s), id_cmp);
	for (uint32_t i = 0; i < nrm; i++) {
		if (!idset_has(&x->active, s[i])) {
			err = -ENOENT;		/* not in the table in force */
			goto err_free;
		}
		if ((i && s[i] == s[i - 1]) || delta_adds(d, s[i])) {
			err = -EINVAL;		/* removed twice, or also added */
			goto err_free;
		}
	}
	for (uint32_t i = 0; i < d->ndevices; i++)
		n += !idset_has(&x->active, d->devices[i].id);
	n -= nrm;
	if (n > x->max_devices) {
		err = -E2BIG;
		goto err_free;
	}
	*rm_sorted = s;
	*total = (uint32_t)n;
	return 0;

err_free:
	free(s);
	return err;
}

/* Removes @rm from the active version; their slots wait for a grace period. */
static int devices_remove(struct xdpc *x, uint32_t *rm, uint32_t nrm)
{
	int err = 0;

	for (uint32_t i = 0; i < nrm && !err; i += XDPC_BATCH) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		__u32 n = nrm - i < XDPC_BATCH ? nrm - i : XDPC_BATCH;

		err = bpf_map_delete_batch(dev_fd(x, active_dev(x)), rm + i, &n, &o);
	}
	for (uint32_t i = 0; i < nrm && !err; i++) {
		uint32_t slot;

		if (idset_get(&x->active, rm[i], &slot)) {
			idset_del(&x->active, rm[i]);
			slots_unref(&x->slots, slot, 1);
			x->removed = 1;
		}
	}
	return err;
}

/* A new server set in the inactive slot, then flipped to alone. */
static int servers_swap(struct xdpc *x, const struct es_policy *d)
{
	int srv = bpf_map__fd(x->skel->maps.es_servers);
	__u32 slot = active_srv(x) ^ 1;
	struct es_xdp_cfg c = x->cfg;
	int err;

	err = servers_clear(srv, slot);
	if (!err)
		err = servers_fill(srv, d, slot);
	if (err)
		return err;
	c.active ^= ES_XDP_ACTIVE_SRV;
	err = cfg_write(x, &c);
	if (!err)
		grace(x);	/* the old slot is free for the next change */
	return err;
}

static int delta_apply(struct xdpc *x, const struct es_policy *d,
		       const uint32_t *rm, uint32_t nrm, unsigned int flags,
		       int keep_epoch)
{
	int tables = bpf_map__fd(x->skel->maps.es_tables);
	__u32 ver = active_dev(x);
	uint32_t *rms = NULL, total;
	struct es_xdp_table t;
	int err;

	err = delta_check(x, d, rm, nrm, &rms, &total);
	if (err)
		return err;
	/*
	 * each hash update or delete swaps one whole element (docs/xdp.md);
	 * removals first, so that a full table has room for the additions
	 */
	err = devices_remove(x, rms, nrm);
	if (!err)
		err = slots_assign(x, &x->active, d);
	if (!err)
		err = devices_fill(dev_fd(x, ver), d, x->tick_ns, &x->active);
	if (!err && (flags & XDPC_DELTA_SERVERS))
		err = servers_swap(x, d);
	if (!err && bpf_map_lookup_elem(tables, &ver, &t))
		err = neg_errno();
	if (!err) {
		if (!keep_epoch)
			t.epoch = d->epoch;
		t.ndevices = total;
		if (bpf_map_update_elem(tables, &ver, &t, BPF_ANY))
			err = neg_errno();
	}
	if (err)	/* a kernel error half way: learn what the maps hold */
		slots_rebuild(x);
	free(rms);
	return err;
}

int xdpc_push_delta(struct xdpc *x, const struct es_policy *delta,
		    const uint32_t *remove_ids, uint32_t nremove, unsigned int flags)
{
	if (x->prepared)
		return -EBUSY;
	if (flags & ~XDPC_DELTA_SERVERS)
		return -EINVAL;
	return delta_apply(x, delta, remove_ids, nremove, flags, 0);
}

int xdpc_update_device(struct xdpc *x, const struct es_device *d,
		       const struct es_app *apps)
{
	struct es_device one = *d;
	struct es_policy p;

	memset(&p, 0, sizeof(p));
	one.apps_off = 0;
	p.devices = &one;
	p.ndevices = 1;
	p.apps = (struct es_app *)apps;
	p.napps = d->napps;
	return delta_apply(x, &p, NULL, 0, 0, 1);
}

int xdpc_set_xsk(struct xdpc *x, uint32_t queue, int xsk_fd)
{
	int fd = bpf_map__fd(x->skel->maps.xsks_map);
	int err = xsk_fd < 0 ? bpf_map_delete_elem(fd, &queue)
			     : bpf_map_update_elem(fd, &queue, &xsk_fd, BPF_ANY);

	return err ? neg_errno() : 0;
}

/* --- counters --- */

int xdpc_read_stats(struct xdpc *x, struct es_xdp_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct es_xdp_stats *per;
	__u32 zero = 0;
	int err = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EIO;
	per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(x->skel->maps.es_stats), &zero, per)) {
		err = neg_errno();
		goto out;
	}
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < ncpu; c++) {
		const __u64 *src = (const __u64 *)&per[c];
		__u64 *dst = (__u64 *)out;

		for (size_t i = 0; i < sizeof(*out) / sizeof(__u64); i++)
			dst[i] += src[i];
	}
out:
	free(per);
	return err;
}

int xdpc_read_meter(struct xdpc *x, uint32_t device_id, struct es_xdp_meter *out)
{
	uint32_t slot;

	if (!idset_get(&x->active, device_id, &slot))
		return -ENOENT;
	if (bpf_map_lookup_elem(bpf_map__fd(x->skel->maps.es_meters), &slot, out))
		return neg_errno();
	return 0;
}

int xdpc_prog_fd(const struct xdpc *x)
{
	return x->prog_fd;
}

int xdpc_map_fd(const struct xdpc *x, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(x->skel->obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

uint32_t xdpc_active_version(const struct xdpc *x)
{
	return active_dev(x);
}
