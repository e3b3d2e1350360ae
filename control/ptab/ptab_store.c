/* SPDX-License-Identifier: MIT */
#include "ptab_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct store_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t hdr_bytes;
	uint64_t size_bytes;		/* the whole file */
	uint64_t epoch;
	uint32_t unknown_action;
	uint32_t default_rate_kbps;
	uint32_t default_burst_bytes;
	uint32_t nservers;
	uint32_t ndevices;
	uint32_t napps;
	uint64_t sum;			/* of everything after the header */
};

_Static_assert(sizeof(struct store_hdr) == 56, "store header layout");

/* A fast mixing sum: catches a torn or foreign file, not an attacker. */
static uint64_t sum_bytes(uint64_t h, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ptab_store_path(const char *dir, uint64_t epoch, char *buf, size_t n)
{
	int w = snprintf(buf, n, "%s/table-%020llu.bin", dir, (unsigned long long)epoch);

	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

int ptab_store_prepare(const char *dir, const struct es_policy *p,
		       struct ptab_store_txn *tx)
{
	size_t sb = p->nservers * sizeof(p->servers[0]);
	size_t db = (size_t)p->ndevices * sizeof(*p->devices);
	size_t ab = (size_t)p->napps * sizeof(*p->apps);
	struct store_hdr h = {
		.magic = PTAB_STORE_MAGIC,
		.version = PTAB_STORE_VERSION,
		.hdr_bytes = sizeof(h),
		.size_bytes = sizeof(h) + sb + db + ab,
		.epoch = p->epoch,
		.unknown_action = p->unknown_action,
		.default_rate_kbps = p->default_rate_kbps,
		.default_burst_bytes = p->default_burst_bytes,
		.nservers = p->nservers,
		.ndevices = p->ndevices,
		.napps = p->napps,
	};
	int fd, rc;

	memset(tx, 0, sizeof(*tx));
	rc = ptab_store_path(dir, p->epoch, tx->final, sizeof(tx->final));
	if (rc)
		return rc;
	if (snprintf(tx->tmp, sizeof(tx->tmp), "%s/.table.tmp", dir) >= (int)sizeof(tx->tmp))
		return -ENAMETOOLONG;
	h.sum = sum_bytes(0xcbf29ce484222325ull, p->servers, sb);
	h.sum = sum_bytes(h.sum, p->devices, db);
	h.sum = sum_bytes(h.sum, p->apps, ab);
	fd = open(tx->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, &h, sizeof(h));
	if (!rc)
		rc = write_all(fd, p->servers, sb);
	if (!rc && db)
		rc = write_all(fd, p->devices, db);
	if (!rc && ab)
		rc = write_all(fd, p->apps, ab);
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (rc) {
		unlink(tx->tmp);
		return rc;
	}
	tx->pending = 1;
	return 0;
}

void ptab_store_abort(struct ptab_store_txn *tx)
{
	if (tx->pending)
		unlink(tx->tmp);
	tx->pending = 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

static int cmp_epoch(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int ptab_store_list(const char *dir, uint64_t *epochs, size_t max, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	*n = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		unsigned long long ep;
		char tail;

		if (sscanf(e->d_name, "table-%20llu.bi%c", &ep, &tail) == 2 && tail == 'n' &&
		    strlen(e->d_name) == 30 && *n < max)
			epochs[(*n)++] = ep;
	}
	closedir(d);
	qsort(epochs, *n, sizeof(*epochs), cmp_epoch);
	return 0;
}

int ptab_store_commit(const char *dir, struct ptab_store_txn *tx, unsigned int keep)
{
	char cur[PATH_MAX], link_tmp[PATH_MAX], path[PATH_MAX];
	const char *base = strrchr(tx->final, '/');
	uint64_t epochs[256], in_force;
	size_t n;
	int rc;

	if (!tx->pending)
		return -EINVAL;
	if (rename(tx->tmp, tx->final))
		return -errno;
	tx->pending = 0;
	snprintf(cur, sizeof(cur), "%s/current", dir);
	snprintf(link_tmp, sizeof(link_tmp), "%s/.current.tmp", dir);
	unlink(link_tmp);
	if (symlink(base + 1, link_tmp) || rename(link_tmp, cur))
		return -errno;
	rc = fsync_dir(dir);
	if (rc)
		return rc;
	/* prune: keep the newest @keep, and always the one now in force */
	if (sscanf(base + 1, "table-%20llu", (unsigned long long *)&in_force) != 1)
		return 0;
	if (ptab_store_list(dir, epochs, 256, &n))
		return 0;
	for (size_t i = 0; i + keep < n; i++) {
		if (epochs[i] == in_force)
			continue;
		if (!ptab_store_path(dir, epochs[i], path, sizeof(path)))
			unlink(path);
	}
	return 0;
}

int ptab_store_read(const char *path, const struct ptab_limits *lim,
		    struct es_policy *p, struct ptab_error *err)
{
	struct es_policy t = { 0 };
	struct store_hdr h;
	struct stat st;
	int fd, rc = -EINVAL;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) || read(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    h.magic != PTAB_STORE_MAGIC || h.version != PTAB_STORE_VERSION ||
	    h.hdr_bytes != sizeof(h) || h.size_bytes != (uint64_t)st.st_size ||
	    h.nservers > ES_MAX_SERVERS || h.ndevices > (1u << 28) || h.napps > (1u << 30) ||
	    h.size_bytes != sizeof(h) + h.nservers * sizeof(t.servers[0]) +
			    (uint64_t)h.ndevices * sizeof(*t.devices) +
			    (uint64_t)h.napps * sizeof(*t.apps)) {
		snprintf(err->msg, sizeof(err->msg), "%s: not a table file of this version "
			 "(magic, version or size wrong)", path);
		goto err_fd;
	}
	t.epoch = h.epoch;
	t.unknown_action = h.unknown_action;
	t.default_rate_kbps = h.default_rate_kbps;
	t.default_burst_bytes = h.default_burst_bytes;
	t.nservers = h.nservers;
	t.ndevices = h.ndevices;
	t.napps = h.napps;
	t.devices = malloc((size_t)h.ndevices * sizeof(*t.devices) + 1);
	t.apps = malloc((size_t)h.napps * sizeof(*t.apps) + 1);
	rc = -ENOMEM;
	if (!t.devices || !t.apps)
		goto err_mem;
	size_t sb = h.nservers * sizeof(t.servers[0]);
	size_t db = (size_t)h.ndevices * sizeof(*t.devices);
	size_t ab = (size_t)h.napps * sizeof(*t.apps);

	rc = -EINVAL;
	if (read(fd, t.servers, sb) != (ssize_t)sb || read(fd, t.devices, db) != (ssize_t)db ||
	    read(fd, t.apps, ab) != (ssize_t)ab) {
		snprintf(err->msg, sizeof(err->msg), "%s: short read", path);
		goto err_mem;
	}
	uint64_t sum = sum_bytes(0xcbf29ce484222325ull, t.servers, sb);

	sum = sum_bytes(sum, t.devices, db);
	sum = sum_bytes(sum, t.apps, ab);
	if (sum != h.sum) {
		snprintf(err->msg, sizeof(err->msg), "%s: checksum mismatch", path);
		goto err_mem;
	}
	rc = ptab_check(&t, lim, err);
	if (rc)
		goto err_mem;
	close(fd);
	*p = t;
	return 0;
err_mem:
	ptab_free(&t);
err_fd:
	close(fd);
	return rc;
}

int ptab_store_read_current(const char *dir, const struct ptab_limits *lim,
			    struct es_policy *p, struct ptab_error *err)
{
	char cur[PATH_MAX];

	snprintf(cur, sizeof(cur), "%s/current", dir);
	return ptab_store_read(cur, lim, p, err);
}
