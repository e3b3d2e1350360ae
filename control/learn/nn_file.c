/* SPDX-License-Identifier: MIT */
#include "nn_file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char magic[8] = "ESNNWTS";
#define HDR_BYTES	24u	/* magic, version, nnets, file_bytes */

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void put_u32(uint8_t **p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		*(*p)++ = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t **p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		*(*p)++ = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* Bytes of the shape record and parameters of one network. */
static size_t net_bytes(struct nn *net, size_t *shape_bytes)
{
	size_t np;
	uint32_t nl = nn_shape(net, NULL, NULL);

	nn_params(net, &np);
	*shape_bytes = 4 + 4 * (size_t)(nl + 1) + 4 * (size_t)nl;
	return *shape_bytes + 4 * np;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
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

int nn_file_write_atomic(const char *path, const void *buf, size_t len)
{
	char *tmp;
	int fd, rc;

	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = write_all(fd, buf, len);
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
out:
	free(tmp);
	return rc;
}

int nn_file_save(const char *path, struct nn *const *nets, uint32_t nnets)
{
	size_t total = HDR_BYTES + 8, sb;
	uint8_t *buf, *p;
	int rc;

	if (!path || !nets || nnets == 0)
		return -EINVAL;
	for (uint32_t k = 0; k < nnets; k++)
		total += net_bytes(nets[k], &sb);
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	p = buf;
	memcpy(p, magic, 8);
	p += 8;
	put_u32(&p, NN_FILE_VERSION);
	put_u32(&p, nnets);
	put_u64(&p, total);
	for (uint32_t k = 0; k < nnets; k++) {
		uint32_t sizes[NN_MAX_LAYERS + 1];
		enum nn_act acts[NN_MAX_LAYERS];
		uint32_t nl = nn_shape(nets[k], sizes, acts);

		put_u32(&p, nl);
		for (uint32_t l = 0; l <= nl; l++)
			put_u32(&p, sizes[l]);
		for (uint32_t l = 0; l < nl; l++)
			put_u32(&p, (uint32_t)acts[l]);
	}
	for (uint32_t k = 0; k < nnets; k++) {
		size_t np;
		const float *w = nn_params(nets[k], &np);

		for (size_t i = 0; i < np; i++) {
			uint32_t bits;

			memcpy(&bits, &w[i], 4);
			put_u32(&p, bits);
		}
	}
	put_u64(&p, fnv1a(buf, total - 8));

	rc = nn_file_write_atomic(path, buf, total);
	free(buf);
	return rc;
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		rc = -errno;
		goto err_fd;
	}
	if (st.st_size < HDR_BYTES + 8 || st.st_size > (1ll << 32)) {
		rc = -EBADMSG;
		goto err_fd;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		rc = -ENOMEM;
		goto err_fd;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EBADMSG;
			free(buf);
			goto err_fd;
		}
		got += (size_t)r;
	}
	*out = buf;
	*len = got;
err_fd:
	close(fd);
	return rc;
}

int nn_file_load(const char *path, struct nn *const *nets, uint32_t nnets)
{
	uint8_t *buf = NULL;
	size_t len = 0, expect = HDR_BYTES + 8, sb;
	const uint8_t *p;
	int rc;

	if (!path || !nets || nnets == 0)
		return -EINVAL;
	rc = read_file(path, &buf, &len);
	if (rc)
		return rc;
	rc = -EBADMSG;
	if (memcmp(buf, magic, 8) || get_u64(buf + 16) != len ||
	    get_u64(buf + len - 8) != fnv1a(buf, len - 8))
		goto out;
	rc = -EPROTONOSUPPORT;
	if (get_u32(buf + 8) != NN_FILE_VERSION)
		goto out;
	rc = -EDOM;
	if (get_u32(buf + 12) != nnets)
		goto out;
	for (uint32_t k = 0; k < nnets; k++)
		expect += net_bytes(nets[k], &sb);
	if (expect != len)
		goto out;
	p = buf + HDR_BYTES;
	for (uint32_t k = 0; k < nnets; k++) {
		uint32_t sizes[NN_MAX_LAYERS + 1];
		enum nn_act acts[NN_MAX_LAYERS];
		uint32_t nl = nn_shape(nets[k], sizes, acts);

		if (get_u32(p) != nl)
			goto out;
		p += 4;
		for (uint32_t l = 0; l <= nl; l++, p += 4)
			if (get_u32(p) != sizes[l])
				goto out;
		for (uint32_t l = 0; l < nl; l++, p += 4)
			if (get_u32(p) != (uint32_t)acts[l])
				goto out;
	}
	/*
	 * A NaN or infinite weight (a diverged or forged file) would turn
	 * every output of the network into NaN, and a policy's decisions with
	 * it: refused like any corrupt file.
	 */
	rc = -EBADMSG;
	for (const uint8_t *q = p; q < buf + len - 8; q += 4) {
		float v;
		uint32_t bits = get_u32(q);

		memcpy(&v, &bits, 4);
		if (!isfinite(v))
			goto out;
	}
	/* Everything checked: only now overwrite the networks. */
	for (uint32_t k = 0; k < nnets; k++) {
		size_t np;
		float *w = nn_params(nets[k], &np);

		for (size_t i = 0; i < np; i++, p += 4) {
			uint32_t bits = get_u32(p);

			memcpy(&w[i], &bits, 4);
		}
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

const char *nn_file_strerror(int rc)
{
	switch (rc) {
	case -EBADMSG:
		return "not a weights file, truncated, checksum mismatch or a weight "
		       "not finite";
	case -EPROTONOSUPPORT:
		return "weights file version not supported";
	case -EDOM:
		return "weights do not fit: other network count or shapes";
	default:
		return strerror(rc < 0 ? -rc : rc);
	}
}
