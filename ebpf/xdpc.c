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
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "edgesteer_xdp.skel.h"

_Static_assert(ES_XDP_APPS == ES_MAX_APPS_PER_DEVICE, "app slots differ");
_Static_assert(ES_XDP_SERVERS == 2 * ES_MAX_SERVERS, "server slots differ");

/* Map updates and deletes go to the kernel this many at a time. */
#define XDPC_BATCH	8192u

struct xdpc {
	struct edgesteer_xdp *skel;
	uint32_t max_devices;
	struct es_xdp_cfg cfg;		/* what es_cfg[0] holds */
	int prepared;			/* version cfg.active ^ 1 is filled */
	int ifindex;			/* attached here when > 0 */
	__u32 attach_flags;
	char pin_dir[PATH_MAX];		/* pinned there when non-empty */
	uint32_t *ids;			/* device ids of the prepared version */
	uint32_t nids;
	uint32_t *active_ids;		/* ... and of the active one */
	uint32_t nactive_ids;
};

static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

static int dev_fd(const struct xdpc *x, __u32 ver)
{
	return bpf_map__fd(ver ? x->skel->maps.es_dev1 : x->skel->maps.es_dev0);
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
	err = edgesteer_xdp__load(x->skel);
	if (err)
		goto err_destroy;
	*out = x;
	return 0;

err_destroy:
	edgesteer_xdp__destroy(x->skel);
err_free:
	free(x);
	return err < 0 ? err : -EINVAL;
}

void xdpc_close(struct xdpc *x)
{
	if (!x)
		return;
	xdpc_detach(x);
	xdpc_unpin(x);
	edgesteer_xdp__destroy(x->skel);
	free(x->ids);
	free(x->active_ids);
	free(x);
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
	err = bpf_xdp_attach(ifindex, bpf_program__fd(x->skel->progs.edgesteer_xdp),
			     mode | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
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
	LIBBPF_OPTS(bpf_xdp_attach_opts, o,
		    .old_prog_fd = bpf_program__fd(x->skel->progs.edgesteer_xdp));
	int err;

	if (x->ifindex <= 0)
		return 0;
	/* old_prog_fd: detach only if the program there is still ours */
	err = bpf_xdp_detach(x->ifindex, x->attach_flags, &o);
	x->ifindex = 0;
	return err;
}

static int pin_path(char *buf, size_t n, const char *dir, const struct bpf_map *m)
{
	int len = snprintf(buf, n, "%s/%s", dir, bpf_map__name(m));

	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

int xdpc_pin(struct xdpc *x, const char *dir)
{
	char path[PATH_MAX];
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
	bpf_object__for_each_map(m, x->skel->obj) {
		if (bpf_map__is_internal(m))
			continue;
		err = pin_path(path, sizeof(path), dir, m);
		if (!err)
			err = bpf_map__pin(m, path);
		if (err) {
			xdpc_unpin(x);
			return err;
		}
	}
	return 0;
}

int xdpc_unpin(struct xdpc *x)
{
	struct bpf_map *m;
	int err = 0;

	if (!x->pin_dir[0])
		return 0;
	bpf_object__for_each_map(m, x->skel->obj)
		if (bpf_map__is_pinned(m) && bpf_map__unpin(m, NULL))
			err = -EIO;
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
			   struct es_xdp_device *v)
{
	memset(v, 0, sizeof(*v));
	v->ns_per_byte_q16 = (8000000ull << 16) / d->rate_kbps;
	v->tau_ns = (__u64)((unsigned __int128)d->burst_bytes * 8000000u /
			    d->rate_kbps);
	v->rate_kbps = d->rate_kbps;
	v->burst_bytes = d->burst_bytes;
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

/* Removes the servers of @ver (at most ES_XDP_SERVERS keys). */
static int servers_clear(int fd, __u32 ver)
{
	struct es_xdp_server_key keys[ES_XDP_SERVERS], k, *prev = NULL;
	unsigned int n = 0;

	while (n < ES_XDP_SERVERS && !bpf_map_get_next_key(fd, prev, &k)) {
		keys[n] = k;
		prev = &keys[n++];
	}
	for (unsigned int i = 0; i < n; i++)
		if (keys[i].version == ver && bpf_map_delete_elem(fd, &keys[i]))
			return neg_errno();
	return 0;
}

static int devices_fill(int fd, const struct es_policy *p)
{
	struct es_xdp_device *vals = malloc(XDPC_BATCH * sizeof(*vals));
	__u32 *keys = malloc(XDPC_BATCH * sizeof(*keys));
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

			keys[j] = d.id;
			device_compile(&d, d.napps ? p->apps + d.apps_off : NULL,
				       &vals[j]);
		}
		err = bpf_map_update_batch(fd, keys, vals, &n, &o);
	}
out:
	free(vals);
	free(keys);
	return err;
}

static int servers_fill(int fd, const struct es_policy *p, __u32 ver)
{
	for (__u32 i = 0; i < p->nservers; i++) {
		const struct es_server *s = &p->servers[i];
		struct es_xdp_server_key k = { .version = ver, .ipv6 = s->ipv6 };

		memcpy(k.addr, s->ip, s->ipv6 ? 16 : 4);
		if (bpf_map_update_elem(fd, &k, &i, BPF_ANY))
			return neg_errno();
	}
	return 0;
}

int xdpc_prepare(struct xdpc *x, const struct es_policy *p)
{
	__u32 ver = (x->cfg.active & 1) ^ 1;
	int srv = bpf_map__fd(x->skel->maps.es_servers);
	struct es_xdp_table t = { 0 };
	uint32_t *ids;
	int err;

	err = policy_valid(p, x->max_devices);
	if (err)
		return err;
	ids = malloc(((size_t)p->ndevices + 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->ndevices; i++)
		ids[i] = p->devices[i].id;
	/* the inactive version: no frame reads it (commit waited for that) */
	x->prepared = 0;
	err = map_clear(dev_fd(x, ver), sizeof(__u32), sizeof(struct es_xdp_device));
	if (!err)
		err = servers_clear(srv, ver);
	if (!err)
		err = devices_fill(dev_fd(x, ver), p);
	if (!err)
		err = servers_fill(srv, p, ver);
	if (!err) {
		t.epoch = p->epoch;
		t.unknown_action = p->unknown_action;
		t.ndevices = p->ndevices;
		if (bpf_map_update_elem(bpf_map__fd(x->skel->maps.es_tables), &ver,
					&t, BPF_ANY))
			err = neg_errno();
	}
	if (err) {
		free(ids);
		return err;
	}
	free(x->ids);
	x->ids = ids;
	x->nids = p->ndevices;
	x->prepared = 1;
	return 0;
}

void xdpc_abort(struct xdpc *x)
{
	x->prepared = 0;
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

static int id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Deletes the meters of devices no longer in the active version. */
static int meters_collect(struct xdpc *x)
{
	int fd = bpf_map__fd(x->skel->maps.es_meters);
	struct es_xdp_meter *vals = malloc(XDPC_BATCH * sizeof(*vals));
	__u32 *keys = malloc(XDPC_BATCH * sizeof(*keys));
	__u32 *stale = NULL, nstale = 0, cap = 0, in = 0, out, count;
	int err = 0, first = 1;

	if (!vals || !keys) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);

		count = XDPC_BATCH;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals,
					   &count, &o);
		if (err && err != -ENOENT)
			goto out;
		for (__u32 i = 0; i < count; i++) {
			if (bsearch(&keys[i], x->active_ids, x->nactive_ids,
				    sizeof(*keys), id_cmp))
				continue;
			if (nstale == cap) {
				__u32 *n = realloc(stale, (cap ? 2 * cap : 1024) * sizeof(*n));

				if (!n) {
					err = -ENOMEM;
					goto out;
				}
				stale = n;
				cap = cap ? 2 * cap : 1024;
			}
			stale[nstale++] = keys[i];
		}
		if (err == -ENOENT || !count)
			break;
		in = out;
		first = 0;
	}
	err = 0;
	for (__u32 i = 0; i < nstale && !err; i += XDPC_BATCH) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		__u32 n = nstale - i < XDPC_BATCH ? nstale - i : XDPC_BATCH;

		err = bpf_map_delete_batch(fd, stale + i, &n, &o);
		if (err == -ENOENT)	/* raced with nothing we care about */
			err = 0;
	}
out:
	free(stale);
	free(vals);
	free(keys);
	return err;
}

int xdpc_commit(struct xdpc *x)
{
	struct es_xdp_cfg c = x->cfg;
	int err;

	if (!x->prepared)
		return -EINVAL;
	c.active = (c.active & 1) ^ 1;
	err = cfg_write(x, &c);
	if (err)
		return err;
	x->prepared = 0;
	free(x->active_ids);
	x->active_ids = x->ids;
	x->nactive_ids = x->nids;
	x->ids = NULL;
	x->nids = 0;
	wait_readers();
	/* bookkeeping: the table is live whatever happens here */
	meters_collect(x);
	return 0;
}

int xdpc_push(struct xdpc *x, const struct es_policy *p)
{
	int err = xdpc_prepare(x, p);

	return err ? err : xdpc_commit(x);
}

int xdpc_update_device(struct xdpc *x, const struct es_device *d,
		       const struct es_app *apps)
{
	struct es_xdp_device v;

	if (!device_valid(d, apps))
		return -EINVAL;
	device_compile(d, apps, &v);
	/* a hash update swaps whole elements: readers see old or new */
	if (bpf_map_update_elem(dev_fd(x, x->cfg.active & 1), &d->id, &v, BPF_ANY))
		return neg_errno();
	return 0;
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
	if (bpf_map_lookup_elem(bpf_map__fd(x->skel->maps.es_meters), &device_id,
				out))
		return neg_errno();
	return 0;
}

int xdpc_prog_fd(const struct xdpc *x)
{
	return bpf_program__fd(x->skel->progs.edgesteer_xdp);
}

int xdpc_map_fd(const struct xdpc *x, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(x->skel->obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

uint32_t xdpc_active_version(const struct xdpc *x)
{
	return x->cfg.active & 1;
}
