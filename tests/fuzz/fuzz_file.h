/* SPDX-License-Identifier: MIT */
/*
 * For loaders that take a path: the input as a file, without touching the
 * disk. One memfd per process, rewritten for every input; the loader opens
 * it again through /proc/self/fd, as it would open any file.
 */
#ifndef EDGESTEER_FUZZ_FILE_H
#define EDGESTEER_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return path;
}

#endif /* EDGESTEER_FUZZ_FILE_H */
