/* SPDX-License-Identifier: MIT */
/*
 * Demonstration sets: samples of the environment with their optimal
 * placements (the DP's labels), in memory and on disk.
 *
 * The file (little-endian throughout, docs/dil.md):
 *   magic "ESDILDEM" | u32 version | u32 header_bytes | u32 tasks |
 *   u32 nparams | u64 seed | u64 first | u64 count | f64 params[nparams]
 *   (in dil_param_table() order) | count records | u32 CRC-32 of all
 *   the bytes before it.
 *   record: u32 subcarriers | u32 cores | f64 snr | f64 wired_delay_s |
 *   f64 work_cycles[T] | f64 data_bytes[T+1] | f64 optimal_cost |
 *   u8 labels[T]
 * Writes go to PATH.tmp, fsync, rename.
 */
#ifndef EDGESTEER_DIL_SET_H
#define EDGESTEER_DIL_SET_H

#include <stddef.h>
#include <stdint.h>

#include "dil_env.h"

#define DIL_SET_MAGIC "ESDILDEM"
#define DIL_SET_VERSION 1u
/* Stream indices from here on are held out: demonstrations for training
 * start at 0 and never reach them, evaluation sets start here. */
#define DIL_HELDOUT_FIRST (UINT64_C(1) << 40)
/* A file may hold at most this many samples (a corrupt count is refused
 * before anything is allocated). */
#define DIL_SET_COUNT_MAX (UINT64_C(1) << 26)

struct dil_set {
	struct dil_params params;
	uint64_t seed;
	uint64_t first;			/* stream index of sample 0 */
	size_t count;
	uint32_t *subcarriers;		/* [count] */
	uint32_t *cores;
	double *snr;
	double *wired_delay_s;
	double *work_cycles;		/* [count * T] */
	double *data_bytes;		/* [count * (T + 1)] */
	double *opt_cost;		/* [count] */
	uint8_t *labels;		/* [count * T], enum dil_loc */
};

/*
 * Draws samples first .. first+count-1 of @seed's stream and labels each
 * with the DP. Returns 0, -EINVAL (bad params, count 0) or -ENOMEM.
 */
int dil_set_generate(const struct dil_params *p, uint64_t seed,
		     uint64_t first, size_t count, struct dil_set **out);
void dil_set_free(struct dil_set *s);
/* The view of sample @i (arrays point into the set). */
void dil_set_sample(const struct dil_set *s, size_t i, struct dil_sample *out);
static inline const uint8_t *dil_set_labels(const struct dil_set *s, size_t i)
{
	return s->labels + i * s->params.tasks;
}
/* Share of each class among all optimal labels. */
void dil_set_class_shares(const struct dil_set *s, double shares[DIL_NLOC]);

/* Bytes the file of @s takes. */
uint64_t dil_set_file_bytes(const struct dil_set *s);
/* Returns 0 or -errno; @err names what failed. */
int dil_set_write(const struct dil_set *s, const char *path, char *err,
		  size_t errlen);
/*
 * Reads and checks a file: magic, version, sizes, checksum, parameters,
 * every value in its range and every label optimal again (the DP re-run on
 * the stored sample must give the stored cost). Returns 0, -ENOENT/-EIO
 * (cannot read), -EPROTONOSUPPORT (another version), -EBADMSG (corrupt),
 * -ENOMEM; @err names the file and what is wrong and where.
 */
int dil_set_read(const char *path, struct dil_set **out, char *err,
		 size_t errlen);

/* CRC-32 (IEEE 802.3, reflected 0xedb88320) of @len bytes, continuing
 * from @crc (0 to start). */
uint32_t dil_crc32(uint32_t crc, const void *buf, size_t len);

#endif /* EDGESTEER_DIL_SET_H */
