/* SPDX-License-Identifier: MIT */
#include "dil_set.h"
#include "nn_file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dil_solve.h"

/* magic, version, header_bytes, tasks, nparams, seed, first, count */
#define FIXED_HEADER_BYTES (8 + 4 * 4 + 3 * 8)

static size_t header_bytes(size_t nparams)
{
	return FIXED_HEADER_BYTES + 8 * nparams;
}

static size_t record_bytes(uint32_t T)
{
	return 4 + 4 + 8 + 8 + 8 * (size_t)T + 8 * ((size_t)T + 1) + 8 + T;
}

void dil_set_free(struct dil_set *s)
{
	if (!s)
		return;
	free(s->subcarriers);
	free(s->cores);
	free(s->snr);
	free(s->wired_delay_s);
	free(s->work_cycles);
	free(s->data_bytes);
	free(s->opt_cost);
	free(s->labels);
	free(s);
}

static struct dil_set *set_alloc(const struct dil_params *p, size_t count)
{
	struct dil_set *s = calloc(1, sizeof(*s));
	size_t T = p->tasks;

	if (!s)
		return NULL;
	s->params = *p;
	s->count = count;
	s->subcarriers = malloc(count * sizeof(uint32_t));
	s->cores = malloc(count * sizeof(uint32_t));
	s->snr = malloc(count * sizeof(double));
	s->wired_delay_s = malloc(count * sizeof(double));
	s->work_cycles = malloc(count * T * sizeof(double));
	s->data_bytes = malloc(count * (T + 1) * sizeof(double));
	s->opt_cost = malloc(count * sizeof(double));
	s->labels = malloc(count * T);
	if (!s->subcarriers || !s->cores || !s->snr || !s->wired_delay_s ||
	    !s->work_cycles || !s->data_bytes || !s->opt_cost || !s->labels) {
		dil_set_free(s);
		return NULL;
	}
	return s;
}

void dil_set_sample(const struct dil_set *s, size_t i, struct dil_sample *out)
{
	size_t T = s->params.tasks;

	out->tasks = (uint32_t)T;
	out->subcarriers = s->subcarriers[i];
	out->cores = s->cores[i];
	out->snr = s->snr[i];
	out->wired_delay_s = s->wired_delay_s[i];
	out->work_cycles = s->work_cycles + i * T;
	out->data_bytes = s->data_bytes + i * (T + 1);
}

int dil_set_generate(const struct dil_params *p, uint64_t seed,
		     uint64_t first, size_t count, struct dil_set **out)
{
	struct dil_costs *c;
	struct dil_set *s;
	size_t T = p->tasks;
	int err;

	if (dil_params_check(p, NULL, 0) || !count || count > DIL_SET_COUNT_MAX)
		return -EINVAL;
	c = malloc(sizeof(*c));
	s = set_alloc(p, count);
	if (!c || !s) {
		err = -ENOMEM;
		goto err_free;
	}
	s->seed = seed;
	s->first = first;
	for (size_t i = 0; i < count; i++) {
		struct dil_sample smp;

		dil_env_draw(p, seed, first + i, s->work_cycles + i * T,
			     s->data_bytes + i * (T + 1), &smp);
		s->subcarriers[i] = smp.subcarriers;
		s->cores[i] = smp.cores;
		s->snr[i] = smp.snr;
		s->wired_delay_s[i] = smp.wired_delay_s;
		dil_costs_build(p, &smp, c);
		s->opt_cost[i] = dil_solve_dp(c, s->labels + i * T);
	}
	free(c);
	*out = s;
	return 0;

err_free:
	dil_set_free(s);
	free(c);
	return err;
}

void dil_set_class_shares(const struct dil_set *s, double shares[DIL_NLOC])
{
	size_t n[DIL_NLOC] = { 0 }, total = s->count * s->params.tasks;

	for (size_t i = 0; i < total; i++)
		n[s->labels[i]]++;
	for (unsigned l = 0; l < DIL_NLOC; l++)
		shares[l] = total ? (double)n[l] / (double)total : 0;
}

uint32_t dil_crc32(uint32_t crc, const void *buf, size_t len)
{
	static uint32_t table[256];
	static int ready;
	const uint8_t *b = buf;

	/* Building the table twice from two threads writes the same values,
	 * so the race is benign. */
	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;

			for (int k = 0; k < 8; k++)
				v = (v >> 1) ^ (0xedb88320u & -(v & 1));
			table[i] = v;
		}
		ready = 1;
	}
	crc = ~crc;
	for (size_t i = 0; i < len; i++)
		crc = table[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* Little-endian encoders over a moving cursor. */
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

static void put_f64(uint8_t **p, double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	put_u64(p, v);
}

static uint32_t get_u32(const uint8_t **p)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)*(*p)++ << (8 * i);
	return v;
}

static uint64_t get_u64(const uint8_t **p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)*(*p)++ << (8 * i);
	return v;
}

static double get_f64(const uint8_t **p)
{
	uint64_t v = get_u64(p);
	double d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

uint64_t dil_set_file_bytes(const struct dil_set *s)
{
	size_t np;

	dil_param_table(&np);
	return header_bytes(np) + s->count * record_bytes(s->params.tasks) + 4;
}

static void encode(const struct dil_set *s, uint8_t *buf)
{
	size_t np, T = s->params.tasks;
	const struct dil_param_desc *pt = dil_param_table(&np);
	uint8_t *p = buf;

	memcpy(p, DIL_SET_MAGIC, 8);
	p += 8;
	put_u32(&p, DIL_SET_VERSION);
	put_u32(&p, (uint32_t)header_bytes(np));
	put_u32(&p, (uint32_t)T);
	put_u32(&p, (uint32_t)np);
	put_u64(&p, s->seed);
	put_u64(&p, s->first);
	put_u64(&p, s->count);
	for (size_t i = 0; i < np; i++)
		put_f64(&p, dil_param_get(&s->params, &pt[i]));
	for (size_t i = 0; i < s->count; i++) {
		put_u32(&p, s->subcarriers[i]);
		put_u32(&p, s->cores[i]);
		put_f64(&p, s->snr[i]);
		put_f64(&p, s->wired_delay_s[i]);
		for (size_t t = 0; t < T; t++)
			put_f64(&p, s->work_cycles[i * T + t]);
		for (size_t t = 0; t <= T; t++)
			put_f64(&p, s->data_bytes[i * (T + 1) + t]);
		put_f64(&p, s->opt_cost[i]);
		memcpy(p, s->labels + i * T, T);
		p += T;
	}
	put_u32(&p, dil_crc32(0, buf, (size_t)(p - buf)));
}

int dil_set_write(const struct dil_set *s, const char *path, char *err,
		  size_t errlen)
{
	size_t len = (size_t)dil_set_file_bytes(s);
	uint8_t *buf = malloc(len);
	int rc;

	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	encode(s, buf);
	rc = nn_file_write_atomic(path, buf, len);
	if (rc)
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	free(buf);
	return rc;
}

static int read_all(const char *path, uint8_t **out, size_t *len, char *err,
		    size_t errlen)
{
	struct stat st;
	size_t done = 0;
	uint8_t *buf;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		snprintf(err, errlen, "%s: stat: %s", path, strerror(errno));
		goto err_fd;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto err_fd;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: read: %s", path,
				 n < 0 ? strerror(errno) : "file shrank");
			free(buf);
			goto err_fd;
		}
		done += (size_t)n;
	}
	close(fd);
	*out = buf;
	*len = done;
	return 0;

err_fd:
	close(fd);
	return rc;
}

static int in_range(double v, double lo, double hi)
{
	return isfinite(v) && v >= lo && v <= hi;
}

/* Checks record @i of a decoded set; 0 or -EBADMSG with @err set. */
static int check_record(const struct dil_set *s, size_t i,
			struct dil_costs *c, const char *path, char *err,
			size_t errlen)
{
	const struct dil_params *p = &s->params;
	size_t T = p->tasks;
	const uint8_t *lab = dil_set_labels(s, i);
	uint8_t again[DIL_TASKS_MAX];
	struct dil_sample smp;
	const char *what = NULL;
	double cost;

	dil_set_sample(s, i, &smp);
	if (smp.subcarriers < p->alloc_subcarriers_min ||
	    smp.subcarriers > p->subcarriers)
		what = "subcarriers out of range";
	else if (smp.cores < p->alloc_cores_min || smp.cores > p->edge_cores)
		what = "cores out of range";
	else if (!in_range(smp.snr, 0, INFINITY))
		what = "snr not a finite non-negative number";
	else if (!in_range(smp.wired_delay_s, p->wired_delay_min_s,
			   p->wired_delay_max_s))
		what = "wired_delay_s out of range";
	for (size_t t = 0; !what && t < T; t++) {
		if (!in_range(smp.work_cycles[t], p->work_min_cycles,
			      p->work_max_cycles))
			what = "work_cycles out of range";
		else if (lab[t] >= DIL_NLOC)
			what = "label not local/edge/cloud";
	}
	for (size_t t = 0; !what && t <= T; t++)
		if (!in_range(smp.data_bytes[t], p->data_min_bytes,
			      p->data_max_bytes))
			what = "data_bytes out of range";
	if (!what) {
		dil_costs_build(p, &smp, c);
		cost = dil_solve_dp(c, again);
		if (memcmp(again, lab, T) ||
		    fabs(cost - s->opt_cost[i]) > 1e-9 * fabs(cost))
			what = "labels or cost are not the optimum of the sample";
	}
	if (!what)
		return 0;
	snprintf(err, errlen, "%s: record %zu: %s", path, i, what);
	return -EBADMSG;
}

int dil_set_read(const char *path, struct dil_set **out, char *err,
		 size_t errlen)
{
	size_t np, len = 0;
	const struct dil_param_desc *pt = dil_param_table(&np);
	struct dil_params params = { 0 };
	struct dil_costs *c = NULL;
	struct dil_set *s = NULL;
	uint32_t version, hbytes, tasks, nparams, stored, crc;
	uint64_t seed, first, count;
	const uint8_t *p;
	uint8_t *buf = NULL;
	char why[160];
	int rc;

	rc = read_all(path, &buf, &len, err, errlen);
	if (rc)
		return rc;
	p = buf;
	rc = -EBADMSG;
	if (len < FIXED_HEADER_BYTES + 4) {
		snprintf(err, errlen, "%s: %zu bytes, shorter than a header",
			 path, len);
		goto err_buf;
	}
	if (memcmp(p, DIL_SET_MAGIC, 8)) {
		snprintf(err, errlen, "%s: offset 0: bad magic (not a DIL "
			 "demonstration file)", path);
		goto err_buf;
	}
	p += 8;
	version = get_u32(&p);
	hbytes = get_u32(&p);
	tasks = get_u32(&p);
	nparams = get_u32(&p);
	seed = get_u64(&p);
	first = get_u64(&p);
	count = get_u64(&p);
	if (version != DIL_SET_VERSION) {
		rc = -EPROTONOSUPPORT;
		snprintf(err, errlen, "%s: offset 8: version %u, this build "
			 "reads version %u", path, version, DIL_SET_VERSION);
		goto err_buf;
	}
	if (nparams != np || hbytes != header_bytes(np)) {
		snprintf(err, errlen, "%s: offset 12: %u parameters in %u "
			 "header bytes, expected %zu in %zu", path, nparams,
			 hbytes, np, header_bytes(np));
		goto err_buf;
	}
	if (tasks < 1 || tasks > DIL_TASKS_MAX || count < 1 ||
	    count > DIL_SET_COUNT_MAX) {
		snprintf(err, errlen, "%s: offset 16: tasks %u or count %llu "
			 "out of range", path, tasks,
			 (unsigned long long)count);
		goto err_buf;
	}
	if (len != hbytes + count * record_bytes(tasks) + 4) {
		snprintf(err, errlen, "%s: %zu bytes, the header announces "
			 "%llu", path, len, (unsigned long long)(hbytes +
			 count * record_bytes(tasks) + 4));
		goto err_buf;
	}
	crc = dil_crc32(0, buf, len - 4);
	{
		const uint8_t *q = buf + len - 4;

		stored = get_u32(&q);
	}
	if (crc != stored) {
		snprintf(err, errlen, "%s: checksum mismatch (stored 0x%08x, "
			 "computed 0x%08x)", path, stored, crc);
		goto err_buf;
	}
	params.tasks = tasks;
	for (size_t i = 0; i < np; i++)
		*dil_param_ptr(&params, &pt[i]) = get_f64(&p);
	if (dil_params_check(&params, why, sizeof(why))) {
		snprintf(err, errlen, "%s: header parameter %s", path, why);
		goto err_buf;
	}
	c = malloc(sizeof(*c));
	s = set_alloc(&params, count);
	if (!c || !s) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto err_set;
	}
	s->seed = seed;
	s->first = first;
	for (size_t i = 0; i < count; i++) {
		s->subcarriers[i] = get_u32(&p);
		s->cores[i] = get_u32(&p);
		s->snr[i] = get_f64(&p);
		s->wired_delay_s[i] = get_f64(&p);
		for (size_t t = 0; t < tasks; t++)
			s->work_cycles[i * tasks + t] = get_f64(&p);
		for (size_t t = 0; t <= tasks; t++)
			s->data_bytes[i * (tasks + 1) + t] = get_f64(&p);
		s->opt_cost[i] = get_f64(&p);
		memcpy(s->labels + i * tasks, p, tasks);
		p += tasks;
		rc = check_record(s, i, c, path, err, errlen);
		if (rc)
			goto err_set;
	}
	free(c);
	free(buf);
	*out = s;
	return 0;

err_set:
	dil_set_free(s);
	free(c);
err_buf:
	free(buf);
	return rc;
}
