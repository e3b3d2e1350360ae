/* SPDX-License-Identifier: MIT */
#include "nn_file.h"
#include "nn_quant.h"

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

/* Bytes of one network's int8 quantisation section. */
static size_t quant_bytes(struct nn *net)
{
	uint32_t sizes[NN_MAX_LAYERS + 1];
	uint32_t nl = nn_shape(net, sizes, NULL);
	size_t n = 0;

	for (uint32_t l = 0; l < nl; l++)
		n += 4 * (size_t)sizes[l + 1] + (size_t)sizes[l] * sizes[l + 1];
	return n;
}

/* The widest layer's weight count: the scratch of a quantisation. */
static size_t max_layer_weights(struct nn *const *nets, uint32_t nnets,
				uint32_t *max_out)
{
	size_t m = 0;

	*max_out = 0;
	for (uint32_t k = 0; k < nnets; k++) {
		uint32_t sizes[NN_MAX_LAYERS + 1];
		uint32_t nl = nn_shape(nets[k], sizes, NULL);

		for (uint32_t l = 0; l < nl; l++) {
			if ((size_t)sizes[l] * sizes[l + 1] > m)
				m = (size_t)sizes[l] * sizes[l + 1];
			if (sizes[l + 1] > *max_out)
				*max_out = sizes[l + 1];
		}
	}
	return m;
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

/*
 * Appends each net's int8 section: per layer the scales, then the
 * weights [out][in], as nn_quant_weights gives them.
 */
static int put_quant(uint8_t **p, struct nn *const *nets, uint32_t nnets)
{
	uint32_t max_out;
	size_t maxw = max_layer_weights(nets, nnets, &max_out);
	float *scale = malloc(max_out * sizeof(float));
	int8_t *w = malloc(maxw);

	if (!scale || !w) {
		free(scale);
		free(w);
		return -ENOMEM;
	}
	for (uint32_t k = 0; k < nnets; k++) {
		uint32_t sizes[NN_MAX_LAYERS + 1];
		uint32_t nl = nn_shape(nets[k], sizes, NULL);
		const float *W = nn_params(nets[k], NULL);

		for (uint32_t l = 0; l < nl; l++) {
			const uint32_t in = sizes[l], out = sizes[l + 1];

			nn_quant_weights(W, in, out, scale, w);
			for (uint32_t o = 0; o < out; o++) {
				uint32_t bits;

				memcpy(&bits, &scale[o], 4);
				put_u32(p, bits);
			}
			memcpy(*p, w, (size_t)in * out);
			*p += (size_t)in * out;
			W += (size_t)in * out + out;
		}
	}
	free(scale);
	free(w);
	return 0;
}

int nn_file_save(const char *path, struct nn *const *nets, uint32_t nnets)
{
	return nn_file_save_quant(path, nets, nnets, NN_FILE_QUANT_NONE);
}

int nn_file_save_quant(const char *path, struct nn *const *nets,
		       uint32_t nnets, uint32_t quant)
{
	size_t total = HDR_BYTES + 4 + 8, sb;
	uint8_t *buf, *p;
	int rc;

	if (!path || !nets || nnets == 0 || quant > NN_FILE_QUANT_INT8)
		return -EINVAL;
	for (uint32_t k = 0; k < nnets; k++)
		total += net_bytes(nets[k], &sb) +
			 (quant == NN_FILE_QUANT_INT8 ? quant_bytes(nets[k]) : 0);
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
	put_u32(&p, quant);
	if (quant == NN_FILE_QUANT_INT8 && (rc = put_quant(&p, nets, nnets))) {
		free(buf);
		return rc;
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

/*
 * The int8 section at @q (its length already checked) against the float
 * parameters at @p: every scale positive and finite, every weight in
 * −127..127, and the whole equal to quantising those parameters again.
 * Returns 0, -EILSEQ or -ENOMEM.
 */
static int check_quant(const uint8_t *q, const uint8_t *p,
		       struct nn *const *nets, uint32_t nnets)
{
	uint32_t max_out;
	size_t maxw = max_layer_weights(nets, nnets, &max_out);
	float *W = malloc(maxw * sizeof(float));
	float *scale = malloc(max_out * sizeof(float));
	int8_t *w = malloc(maxw);
	int rc = -ENOMEM;

	if (!W || !scale || !w)
		goto out;
	rc = -EILSEQ;
	for (uint32_t k = 0; k < nnets; k++) {
		uint32_t sizes[NN_MAX_LAYERS + 1];
		uint32_t nl = nn_shape(nets[k], sizes, NULL);

		for (uint32_t l = 0; l < nl; l++) {
			const uint32_t in = sizes[l], out = sizes[l + 1];
			const size_t n = (size_t)in * out;

			for (size_t i = 0; i < n; i++, p += 4) {
				uint32_t bits = get_u32(p);

				memcpy(&W[i], &bits, 4);
			}
			p += 4 * (size_t)out;		/* biases stay float */
			nn_quant_weights(W, in, out, scale, w);
			for (uint32_t o = 0; o < out; o++, q += 4) {
				uint32_t bits = get_u32(q);
				float v;

				memcpy(&v, &bits, 4);
				if (!isfinite(v) || !(v > 0) ||
				    memcmp(&v, &scale[o], 4))
					goto out;
			}
			for (size_t i = 0; i < n; i++)
				if ((int8_t)q[i] == -128 || (int8_t)q[i] != w[i])
					goto out;
			q += n;
		}
	}
	rc = 0;
out:
	free(W);
	free(scale);
	free(w);
	return rc;
}

int nn_file_load(const char *path, struct nn *const *nets, uint32_t nnets)
{
	return nn_file_load_quant(path, nets, nnets, NULL);
}

int nn_file_load_quant(const char *path, struct nn *const *nets,
		       uint32_t nnets, uint32_t *quant)
{
	uint8_t *buf = NULL;
	size_t len = 0, expect = HDR_BYTES + 8, qbytes = 0, sb;
	const uint8_t *p, *params, *end;
	uint32_t version, q = NN_FILE_QUANT_NONE;
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
	version = get_u32(buf + 8);
	if (version != 1 && version != NN_FILE_VERSION)
		goto out;
	rc = -EDOM;
	if (get_u32(buf + 12) != nnets)
		goto out;
	for (uint32_t k = 0; k < nnets; k++) {
		expect += net_bytes(nets[k], &sb);
		qbytes += quant_bytes(nets[k]);
	}
	if (version >= 2)
		expect += 4;
	/* the shapes first: a file of other shapes is -EDOM whatever its
	 * quant word would be */
	p = buf + HDR_BYTES;
	end = buf + len - 8;
	for (uint32_t k = 0; k < nnets; k++) {
		uint32_t sizes[NN_MAX_LAYERS + 1];
		enum nn_act acts[NN_MAX_LAYERS];
		uint32_t nl = nn_shape(nets[k], sizes, acts);

		if ((size_t)(end - p) < 4 * (2 * (size_t)nl + 2) ||
		    get_u32(p) != nl)
			goto out;
		p += 4;
		for (uint32_t l = 0; l <= nl; l++, p += 4)
			if (get_u32(p) != sizes[l])
				goto out;
		for (uint32_t l = 0; l < nl; l++, p += 4)
			if (get_u32(p) != (uint32_t)acts[l])
				goto out;
	}
	if (len < expect)
		goto out;
	params = p;
	if (version >= 2) {
		q = get_u32(buf + expect - 12);
		rc = -EILSEQ;
		if (q > NN_FILE_QUANT_INT8 ||
		    (q == NN_FILE_QUANT_INT8 && len != expect + qbytes))
			goto out;
		if (q == NN_FILE_QUANT_INT8)
			expect += qbytes;
		rc = -EDOM;
	}
	if (expect != len)
		goto out;
	/*
	 * A NaN or infinite weight (a diverged or forged file) would turn
	 * every output of the network into NaN, and a policy's decisions with
	 * it: refused like any corrupt file.
	 */
	rc = -EBADMSG;
	end = buf + expect - 8 - qbytes * (q == NN_FILE_QUANT_INT8) -
	      4 * (version >= 2);
	for (const uint8_t *f = params; f < end; f += 4) {
		float v;
		uint32_t bits = get_u32(f);

		memcpy(&v, &bits, 4);
		if (!isfinite(v))
			goto out;
	}
	if (q == NN_FILE_QUANT_INT8 &&
	    (rc = check_quant(end + 4, params, nets, nnets)))
		goto out;
	/* Everything checked: only now overwrite the networks. */
	p = params;
	for (uint32_t k = 0; k < nnets; k++) {
		size_t np;
		float *w = nn_params(nets[k], &np);

		for (size_t i = 0; i < np; i++, p += 4) {
			uint32_t bits = get_u32(p);

			memcpy(&w[i], &bits, 4);
		}
	}
	if (quant)
		*quant = q;
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
	case -EILSEQ:
		return "weights file quantisation section unknown, truncated or "
		       "not the quantisation of its float weights";
	default:
		return strerror(rc < 0 ? -rc : rc);
	}
}
