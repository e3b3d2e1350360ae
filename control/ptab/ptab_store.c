/* SPDX-License-Identifier: MIT */
#include "ptab_store.h"

#include <dirent.h>
#include <stddef.h>
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

#define JREC_MAGIC	0x4a504553u	/* "SEPJ" */
#define JCOMMIT_MAGIC	0x43504553u	/* "SEPC" */

/* A journal record: one delta, against the snapshot whose sum is base_sum. */
struct jrec_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t hdr_bytes;
	uint64_t size_bytes;		/* header and payload */
	uint64_t base_sum;
	uint64_t epoch;
	uint8_t has_defaults, has_servers, pad[2];
	uint32_t unknown_action;
	uint32_t default_rate_kbps;
	uint32_t default_burst_bytes;
	uint32_t nservers, ndevices, napps, nremove;
	uint64_t sum;			/* of the payload */
};

/* Appended after a record by commit: only committed records are replayed. */
struct jcommit {
	uint32_t magic;
	uint32_t seq;			/* 1 for the first record after a snapshot */
	uint64_t epoch;
	uint64_t base_sum;
};

_Static_assert(sizeof(struct jrec_hdr) == 72, "journal record layout");
_Static_assert(sizeof(struct jcommit) == 24, "journal commit layout");

#define SUM_SEED 0xcbf29ce484222325ull

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

/*
 * What names a snapshot for its journal: the payload's sum with the header
 * folded in, so two snapshots differing only in epoch or defaults differ.
 */
static uint64_t snapshot_id(const struct store_hdr *h)
{
	return sum_bytes(h->sum, &h->epoch, offsetof(struct store_hdr, sum) -
			 offsetof(struct store_hdr, epoch));
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

static int snapshot_prepare(const char *dir, const struct es_policy *p,
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
	h.sum = sum_bytes(SUM_SEED, p->servers, sb);
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
	tx->epoch = p->epoch;
	return 0;
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

static int list_snapshots(const char *dir, uint64_t *epochs, size_t max, size_t *n)
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

static int read_snapshot(const char *path, const struct ptab_limits *lim,
			 struct es_policy *p, uint64_t *sum_out, struct ptab_error *err)
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
	uint64_t sum = sum_bytes(SUM_SEED, t.servers, sb);

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
	if (sum_out)
		*sum_out = snapshot_id(&h);
	return 0;
err_mem:
	ptab_free(&t);
err_fd:
	close(fd);
	return rc;
}


int ptab_store_read(const char *path, const struct ptab_limits *lim,
		    struct es_policy *p, struct ptab_error *err)
{
	return read_snapshot(path, lim, p, NULL, err);
}

static void journal_path(const char *dir, char *buf, size_t n)
{
	snprintf(buf, n, "%s/journal", dir);
}

/* Where a journal goes once its snapshot is no longer current. */
static void old_journal_path(const char *dir, uint64_t epoch, uint64_t id, char *buf, size_t n)
{
	snprintf(buf, n, "%s/journal-%020llu-%016llx", dir, (unsigned long long)epoch,
		 (unsigned long long)id);
}

/* A whole journal in memory (it is bounded); *len 0 when there is none. */
static int journal_slurp(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	int fd;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) || st.st_size > 4 * (off_t)PTAB_STORE_JOURNAL_MAX_BYTES) {
		close(fd);
		return -EINVAL;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	if (read(fd, *buf, (size_t)st.st_size) != (ssize_t)st.st_size) {
		close(fd);
		free(*buf);
		*buf = NULL;
		return -EIO;
	}
	close(fd);
	*len = (size_t)st.st_size;
	return 0;
}

/*
 * The committed record at @off of @buf for @base_sum: its header in *h and
 * the offset past its commit mark, or 0 when there is none (end, torn,
 * uncommitted or of another snapshot).
 */
static size_t journal_next(const uint8_t *buf, size_t len, size_t off, uint64_t base_sum,
			   struct jrec_hdr *h)
{
	struct jcommit c;

	if (len - off < sizeof(*h))
		return 0;
	memcpy(h, buf + off, sizeof(*h));
	if (h->magic != JREC_MAGIC || h->version != PTAB_STORE_VERSION ||
	    h->hdr_bytes != sizeof(*h) || h->base_sum != base_sum ||
	    h->size_bytes < sizeof(*h) || h->size_bytes > len - off ||
	    len - off - h->size_bytes < sizeof(c) || h->nservers > ES_MAX_SERVERS ||
	    h->size_bytes != sizeof(*h) + (h->has_servers ? h->nservers : 0) *
			     sizeof(struct es_server) +
			     (uint64_t)h->ndevices * sizeof(struct es_device) +
			     (uint64_t)h->napps * sizeof(struct es_app) +
			     (uint64_t)h->nremove * sizeof(uint32_t))
		return 0;
	if (sum_bytes(SUM_SEED, buf + off + sizeof(*h), h->size_bytes - sizeof(*h)) != h->sum)
		return 0;
	memcpy(&c, buf + off + h->size_bytes, sizeof(c));
	if (c.magic != JCOMMIT_MAGIC || c.epoch != h->epoch || c.base_sum != base_sum)
		return 0;
	return off + h->size_bytes + sizeof(c);
}

/* A record's payload -> a delta with its own (aligned) arrays. */
static int journal_decode(const uint8_t *rec, const struct jrec_hdr *h, struct ptab_delta *d)
{
	const uint8_t *p = rec + sizeof(*h);
	size_t sb = (h->has_servers ? h->nservers : 0) * sizeof(struct es_server);

	memset(d, 0, sizeof(*d));
	d->epoch = h->epoch;
	d->has_defaults = h->has_defaults;
	d->has_servers = h->has_servers;
	d->unknown_action = h->unknown_action;
	d->default_rate_kbps = h->default_rate_kbps;
	d->default_burst_bytes = h->default_burst_bytes;
	d->nservers = h->has_servers ? h->nservers : 0;
	d->ndevices = h->ndevices;
	d->napps = h->napps;
	d->nremove = h->nremove;
	d->devices = malloc((size_t)h->ndevices * sizeof(*d->devices) + 1);
	d->apps = malloc((size_t)h->napps * sizeof(*d->apps) + 1);
	d->remove = malloc((size_t)h->nremove * sizeof(*d->remove) + 1);
	if (!d->devices || !d->apps || !d->remove) {
		ptab_delta_free(d);
		return -ENOMEM;
	}
	memcpy(d->servers, p, sb);
	p += sb;
	memcpy(d->devices, p, h->ndevices * sizeof(*d->devices));
	p += h->ndevices * sizeof(*d->devices);
	memcpy(d->apps, p, h->napps * sizeof(*d->apps));
	p += h->napps * sizeof(*d->apps);
	memcpy(d->remove, p, h->nremove * sizeof(*d->remove));
	return 0;
}

/* A snapshot's id and epoch, from its header alone. */
static int snapshot_base(const char *path, uint64_t *base_sum, uint64_t *epoch)
{
	struct store_hdr h;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (read(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) || h.magic != PTAB_STORE_MAGIC) {
		close(fd);
		return -EINVAL;
	}
	close(fd);
	*base_sum = snapshot_id(&h);
	if (epoch)
		*epoch = h.epoch;
	return 0;
}

static int current_base(const char *dir, uint64_t *base_sum, uint64_t *epoch)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/current", dir);
	return snapshot_base(path, base_sum, epoch);
}

static int journal_prepare(const char *dir, const struct ptab_delta *d,
			   struct ptab_store_txn *tx)
{
	size_t sb = (d->has_servers ? d->nservers : 0) * sizeof(d->servers[0]);
	size_t db = (size_t)d->ndevices * sizeof(*d->devices);
	size_t ab = (size_t)d->napps * sizeof(*d->apps);
	size_t rb = (size_t)d->nremove * sizeof(*d->remove);
	struct jrec_hdr h = {
		.magic = JREC_MAGIC,
		.version = PTAB_STORE_VERSION,
		.hdr_bytes = sizeof(h),
		.size_bytes = sizeof(h) + sb + db + ab + rb,
		.epoch = d->epoch,
		.has_defaults = d->has_defaults,
		.has_servers = d->has_servers,
		.unknown_action = d->unknown_action,
		.default_rate_kbps = d->default_rate_kbps,
		.default_burst_bytes = d->default_burst_bytes,
		.nservers = d->has_servers ? d->nservers : 0,
		.ndevices = d->ndevices,
		.napps = d->napps,
		.nremove = d->nremove,
	};
	struct jcommit last;
	struct stat st;
	uint8_t *rec;
	int fd, rc;

	rc = current_base(dir, &h.base_sum, NULL);
	if (rc)
		return rc;
	journal_path(dir, tx->final, sizeof(tx->final));
	fd = open(tx->final, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		rc = -errno;
		goto out;
	}
	/* the journal must end with a commit of this base, or be empty */
	last.seq = 0;
	if (st.st_size && (st.st_size < (off_t)sizeof(last) ||
			   pread(fd, &last, sizeof(last), st.st_size - (off_t)sizeof(last)) !=
			   (ssize_t)sizeof(last) || last.magic != JCOMMIT_MAGIC ||
			   last.base_sum != h.base_sum)) {
		rc = -EAGAIN;
		goto out;
	}
	if (last.seq >= PTAB_STORE_JOURNAL_MAX ||
	    st.st_size + (off_t)h.size_bytes > (off_t)PTAB_STORE_JOURNAL_MAX_BYTES) {
		rc = -EAGAIN;		/* full: time for a snapshot */
		goto out;
	}
	rec = malloc(h.size_bytes + sizeof(struct jcommit));
	if (!rec) {
		rc = -ENOMEM;
		goto out;
	}
	/* a delta may have no devices or removals: NULL arrays, nothing to copy */
	if (sb)
		memcpy(rec + sizeof(h), d->servers, sb);
	if (db)
		memcpy(rec + sizeof(h) + sb, d->devices, db);
	if (ab)
		memcpy(rec + sizeof(h) + sb + db, d->apps, ab);
	if (rb)
		memcpy(rec + sizeof(h) + sb + db + ab, d->remove, rb);
	h.sum = sum_bytes(SUM_SEED, rec + sizeof(h), h.size_bytes - sizeof(h));
	memcpy(rec, &h, sizeof(h));
	/*
	 * The record and room for its commit mark (zeros, not a mark): commit
	 * then overwrites bytes the file already has, so a disk that filled up
	 * meanwhile cannot fail it. No fdatasync here: commit's one covers
	 * the record and its mark. A crash before it leaves at most a record
	 * without a mark (or torn, which its sum shows), and neither is ever
	 * replayed.
	 */
	memset(rec + h.size_bytes, 0, sizeof(struct jcommit));
	rc = write_all(fd, rec, h.size_bytes + sizeof(struct jcommit));
	free(rec);
	if (rc) {
		/* an empty journal is one this push created: not left behind */
		if (!st.st_size)
			unlink(tx->final);
		else if (ftruncate(fd, st.st_size))
			rc = -EIO;
		goto out;
	}
	tx->pending = 2;
	tx->epoch = d->epoch;
	tx->journal_len = (uint64_t)st.st_size;
	tx->mark_off = (uint64_t)st.st_size + h.size_bytes;
	tx->base_id = h.base_sum;
	tx->seq = last.seq + 1;
out:
	close(fd);
	return rc;
}

int ptab_store_prepare(const char *dir, const struct es_policy *p,
		       const struct ptab_delta *d, struct ptab_store_txn *tx)
{
	memset(tx, 0, sizeof(*tx));
	if (d && !journal_prepare(dir, d, tx))
		return 0;
	memset(tx, 0, sizeof(*tx));
	return snapshot_prepare(dir, p, tx);
}

void ptab_store_abort(struct ptab_store_txn *tx)
{
	if (tx->pending == 1)
		unlink(tx->tmp);
	else if (tx->pending == 2 && truncate(tx->final, (off_t)tx->journal_len))
		tx->pending = 0;	/* an uncommitted record is ignored anyway */
	tx->pending = 0;
}

static int journal_commit(const char *dir, struct ptab_store_txn *tx)
{
	struct jcommit c = {
		.magic = JCOMMIT_MAGIC, .seq = tx->seq, .epoch = tx->epoch,
		.base_sum = tx->base_id,
	};
	int fd, rc = 0;

	fd = open(tx->final, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* into the room prepare wrote: needs no new space */
	ssize_t w = pwrite(fd, &c, sizeof(c), (off_t)tx->mark_off);

	if (w != (ssize_t)sizeof(c))
		rc = w < 0 ? -errno : -EIO;
	if (!rc && fdatasync(fd))
		rc = -errno;
	close(fd);
	tx->pending = 0;
	/* a journal created by this record: make its name durable too */
	if (!rc && !tx->journal_len)
		rc = fsync_dir(dir);
	return rc;
}

/* An old journal goes with its snapshot. */
static void prune_old_journals(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *dd = opendir(dir);

	if (!dd)
		return;
	while ((e = readdir(dd))) {
		unsigned long long ep, id;

		if (strlen(e->d_name) != 45 ||
		    sscanf(e->d_name, "journal-%20llu-%16llx", &ep, &id) != 2 ||
		    ptab_store_path(dir, ep, path, sizeof(path)) || !stat(path, &st))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			unlink(path);
	}
	closedir(dd);
}

static int snapshot_commit(const char *dir, struct ptab_store_txn *tx, unsigned int keep)
{
	char cur[PATH_MAX], link_tmp[PATH_MAX], path[PATH_MAX], jpath[PATH_MAX];
	const char *base = strrchr(tx->final, '/');
	uint64_t epochs[256], in_force, old_id, old_epoch;
	size_t n;
	int rc, have_old;

	if (!tx->pending)
		return -EINVAL;
	have_old = !current_base(dir, &old_id, &old_epoch);
	if (rename(tx->tmp, tx->final))
		return -errno;
	tx->pending = 0;
	/*
	 * The journal follows the old snapshot: it moves aside with that
	 * snapshot's name, so its epochs stay there for rollback. (Were this
	 * interrupted, the records name their snapshot: none is replayed on
	 * the wrong one.)
	 */
	journal_path(dir, jpath, sizeof(jpath));
	if (have_old) {
		old_journal_path(dir, old_epoch, old_id, path, sizeof(path));
		rename(jpath, path);
	} else {
		unlink(jpath);
	}
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
	if (list_snapshots(dir, epochs, 256, &n))
		return 0;
	for (size_t i = 0; i + keep < n; i++) {
		if (epochs[i] == in_force)
			continue;
		if (!ptab_store_path(dir, epochs[i], path, sizeof(path)))
			unlink(path);
	}
	prune_old_journals(dir);
	return 0;
}


int ptab_store_commit(const char *dir, struct ptab_store_txn *tx, unsigned int keep)
{
	if (tx->pending == 2)
		return journal_commit(dir, tx);
	return snapshot_commit(dir, tx, keep);
}

/*
 * current's snapshot with the committed journal replayed, up to the record
 * of @stop_epoch (0: all of it). *@found says whether @stop_epoch was met.
 * *@good is the journal length that holds committed records.
 */
static int replay(const char *snap, const char *journal, uint64_t stop_epoch,
		  const struct ptab_limits *lim, struct es_policy *p, int *found, size_t *good,
		  struct ptab_error *err)
{
	struct es_policy t;
	uint64_t base_sum;
	uint8_t *buf;
	size_t len, off = 0;
	int rc;

	*found = 0;
	*good = 0;
	rc = read_snapshot(snap, lim, &t, &base_sum, err);
	if (rc)
		return rc;
	if (stop_epoch && t.epoch == stop_epoch) {
		*found = 1;
		*p = t;
		return 0;
	}
	rc = journal_slurp(journal, &buf, &len);
	if (rc) {
		ptab_free(&t);
		snprintf(err->msg, sizeof(err->msg), "%.300s: %s", journal, strerror(-rc));
		return rc;
	}
	for (;;) {
		struct jrec_hdr h;
		struct ptab_delta d;
		struct es_policy next;
		size_t end = journal_next(buf, len, off, base_sum, &h);

		if (!end)
			break;
		rc = journal_decode(buf + off, &h, &d);
		if (!rc)
			rc = ptab_apply_delta("journal", &t, &d, lim, &next, NULL, err);
		ptab_delta_free(&d);
		if (rc)
			break;
		ptab_free(&t);
		t = next;
		off = end;
		if (stop_epoch && t.epoch == stop_epoch) {
			*found = 1;
			break;
		}
	}
	free(buf);
	if (rc) {
		ptab_free(&t);
		return rc;
	}
	*good = off;
	*p = t;
	return 0;
}

int ptab_store_read_current(const char *dir, const struct ptab_limits *lim,
			    struct es_policy *p, struct ptab_error *err)
{
	char path[PATH_MAX], cur[PATH_MAX];
	struct stat st;
	size_t good;
	int found, rc;

	snprintf(cur, sizeof(cur), "%s/current", dir);
	journal_path(dir, path, sizeof(path));
	rc = replay(cur, path, 0, lim, p, &found, &good, err);
	if (rc)
		return rc;
	/* cut what a crash left uncommitted, so the next record follows a commit */
	if (!stat(path, &st) && (size_t)st.st_size > good && truncate(path, (off_t)good)) {
		rc = -errno;
		ptab_free(p);
		snprintf(err->msg, sizeof(err->msg), "%.200s: cannot cut its torn tail: %s", path,
			 strerror(-rc));
		return rc;
	}
	return 0;
}

/*
 * Calls @fn for the current journal and each old one: (snapshot, journal).
 * Stops at the first nonzero return and returns it.
 */
static int each_journal(const char *dir, int (*fn)(void *, const char *, const char *),
			void *arg)
{
	char snap[PATH_MAX], jpath[PATH_MAX];
	struct dirent *e;
	DIR *dd;
	int rc;

	snprintf(snap, sizeof(snap), "%s/current", dir);
	journal_path(dir, jpath, sizeof(jpath));
	rc = fn(arg, snap, jpath);
	if (rc)
		return rc;
	dd = opendir(dir);
	if (!dd)
		return 0;
	while (!rc && (e = readdir(dd))) {
		unsigned long long ep, id;

		if (strlen(e->d_name) != 45 ||
		    sscanf(e->d_name, "journal-%20llu-%16llx", &ep, &id) != 2)
			continue;
		if (ptab_store_path(dir, ep, snap, sizeof(snap)) ||
		    snprintf(jpath, sizeof(jpath), "%s/%s", dir, e->d_name) >= (int)sizeof(jpath))
			continue;
		rc = fn(arg, snap, jpath);
	}
	closedir(dd);
	return rc;
}

struct find_epoch {
	uint64_t epoch;
	const struct ptab_limits *lim;
	struct es_policy *p;
	struct ptab_error *err;
};

static int find_in_journal(void *arg, const char *snap, const char *journal)
{
	struct find_epoch *f = arg;
	struct es_policy t;
	size_t good;
	int found;

	if (replay(snap, journal, f->epoch, f->lim, &t, &found, &good, f->err))
		return 0;
	if (!found) {
		ptab_free(&t);
		return 0;
	}
	*f->p = t;
	return 1;
}

int ptab_store_read_epoch(const char *dir, uint64_t epoch, const struct ptab_limits *lim,
			  struct es_policy *p, struct ptab_error *err)
{
	struct find_epoch f = { epoch, lim, p, err };
	char path[PATH_MAX];
	int rc;

	if (each_journal(dir, find_in_journal, &f) == 1)
		return 0;
	rc = ptab_store_path(dir, epoch, path, sizeof(path));
	if (rc)
		return rc;
	return read_snapshot(path, lim, p, NULL, err);
}

struct list_epochs {
	uint64_t *epochs;
	size_t max, *n;
};

static int list_journal(void *arg, const char *snap, const char *journal)
{
	struct list_epochs *l = arg;
	uint64_t base_sum;
	uint8_t *buf;
	size_t len, off = 0, end;
	struct jrec_hdr h;

	if (snapshot_base(snap, &base_sum, NULL) || journal_slurp(journal, &buf, &len))
		return 0;
	while ((end = journal_next(buf, len, off, base_sum, &h)) && *l->n < l->max) {
		l->epochs[(*l->n)++] = h.epoch;
		off = end;
	}
	free(buf);
	return 0;
}

int ptab_store_list(const char *dir, uint64_t *epochs, size_t max, size_t *n)
{
	struct list_epochs l = { epochs, max, n };
	size_t k = 0;
	int rc;

	rc = list_snapshots(dir, epochs, max, n);
	if (rc)
		return rc;
	each_journal(dir, list_journal, &l);
	qsort(epochs, *n, sizeof(*epochs), cmp_epoch);
	for (size_t i = 0; i < *n; i++)
		if (!k || epochs[k - 1] != epochs[i])
			epochs[k++] = epochs[i];
	*n = k;
	return 0;
}
