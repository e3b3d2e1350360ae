/* SPDX-License-Identifier: MIT */
/*
 * nn_file: weights files for one or more networks of the nn module (DDLO
 * keeps its K DNNs in one file).
 *
 * Layout, little-endian:
 *	magic "ESNNWTS\0" | u32 version | u32 nnets | u64 file_bytes
 *	per net: u32 nlayers | u32 sizes[nlayers + 1] | u32 acts[nlayers]
 *	per net: f32 params[...] (nn_params order)
 *	version 2: u32 quant (NN_FILE_QUANT_*), and for NN_FILE_QUANT_INT8,
 *	  per net, per layer: f32 scale[out] | i8 w[out][in]
 *	  (nn_quant_weights of that layer's float W, nn_quant.h)
 *	u64 FNV-1a of every byte before it
 * A load checks all of it before touching any network, so a refused file
 * changes nothing. Saves write a temporary file, fsync and rename.
 * Version 1 files (no quant word) still load, as not quantised.
 *
 * The quantisation section records what the deployed network runs: it
 * must be exactly the quantisation of the file's float weights (scales
 * positive and finite, weights in −127..127, equal to a requantisation),
 * or the file is refused (-EILSEQ): a forged or stale section never
 * silently disagrees with the float weights beside it.
 */
#ifndef EDGESTEER_NN_FILE_H
#define EDGESTEER_NN_FILE_H

#include <stdint.h>

#include "nn.h"

#define NN_FILE_VERSION	2u

/* The quant word: how the networks are meant to run. */
#define NN_FILE_QUANT_NONE	0u	/* float */
#define NN_FILE_QUANT_INT8	1u	/* nn_quant.h: int8 per-channel */

/*
 * Writes @len bytes to @path atomically: a temporary file beside it, fsync,
 * rename. On failure @path is untouched and the temporary file removed.
 * Returns 0 or -errno. Shared by every file the learned policies write
 * (weights, demonstration sets).
 */
int nn_file_write_atomic(const char *path, const void *buf, size_t len);

/* Returns 0 or -errno (of open/write/fsync/rename; -EINVAL on bad args). */
int nn_file_save(const char *path, struct nn *const *nets, uint32_t nnets);
/* The same, recording @quant (NN_FILE_QUANT_*) and its section. */
int nn_file_save_quant(const char *path, struct nn *const *nets,
		       uint32_t nnets, uint32_t quant);

/*
 * Loads into networks already created with the shapes the file must hold.
 * Returns 0, -errno of open/read, -EBADMSG (not a weights file, truncated,
 * checksum mismatch, a NaN or infinite weight), -EPROTONOSUPPORT (other version) or -EDOM (the file's
 * network count or shapes differ from @nets).
 */
int nn_file_load(const char *path, struct nn *const *nets, uint32_t nnets);
/*
 * The same; *@quant (if not NULL) gets the file's NN_FILE_QUANT_* (NONE
 * for version 1). Also -EILSEQ: an unknown quant word or a quantisation
 * section that is not the quantisation of the file's weights.
 */
int nn_file_load_quant(const char *path, struct nn *const *nets,
		       uint32_t nnets, uint32_t *quant);

/* A message for a return code of the two above (strerror for the rest). */
const char *nn_file_strerror(int rc);

#endif /* EDGESTEER_NN_FILE_H */
