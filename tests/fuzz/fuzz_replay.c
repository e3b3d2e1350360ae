/* SPDX-License-Identifier: MIT */
/*
 * Without libFuzzer (the gcc build), a fuzz target is linked with this
 * driver: it runs the target once on every file named, or in the folders
 * named, so the seed corpora and every crash found become regression tests.
 * With --mutations=N it also runs N seeded mutations of each (byte flips,
 * inserted syntax bytes, deleted or repeated runs, truncation): the same
 * inputs on every run, a cheap stand-in for libFuzzer in the gcc build.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long mutations, mutated;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next_rand(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

/* One of the ways a file goes wrong, applied to @b (room for 64 more bytes). */
static size_t mutate(uint8_t *b, size_t n)
{
	static const char alphabet[] = "{}[]\":,0123456789-.eE truefalsnl\\u#=\n\t\xff";
	size_t at = next_rand((uint32_t)n), len;

	switch (next_rand(6)) {
	case 0:				/* flip a byte */
		if (n)
			b[at] = (uint8_t)next_rand(256);
		return n;
	case 1:				/* insert a syntax byte */
		memmove(b + at + 1, b + at, n - at);
		b[at] = (uint8_t)alphabet[next_rand(sizeof(alphabet) - 1)];
		return n + 1;
	case 2:				/* delete a run */
		len = next_rand(16) + 1;
		if (at + len > n)
			len = n - at;
		memmove(b + at, b + at + len, n - at - len);
		return n - len;
	case 3:				/* truncate */
		return at;
	case 4:				/* repeat a run (keys, array items, records) */
		len = next_rand(64) + 1;
		if (at + len > n)
			len = n - at;
		memmove(b + at + len, b + at, n - at);
		return n + len;
	default:			/* a digit where a number may be */
		if (n)
			b[at] = (uint8_t)('0' + next_rand(10));
		return n;
	}
}

static void run_mutations(const uint8_t *seed, size_t n)
{
	/* up to 4 mutations, each growing the input by at most 64 bytes */
	uint8_t *b = malloc(n + 4 * 64 + 1);

	if (!b)
		abort();
	for (unsigned long i = 0; i < mutations; i++) {
		size_t len = n;

		memcpy(b, seed, n);
		for (uint32_t m = next_rand(4) + 1; m; m--)
			len = mutate(b, len);
		LLVMFuzzerTestOneInput(b, len);
		mutated++;
	}
	free(b);
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f) {
		perror(path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: read failed\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	run_mutations(buf, (size_t)n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	size_t runs = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (!strncmp(argv[i], "--mutations=", 12)) {
			mutations = strtoul(argv[i] + 12, NULL, 10);
			continue;
		}
		if (stat(argv[i], &st)) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]))
				return 1;
			runs++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		char path[4096];

		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			if (run_file(path))
				return 1;
			runs++;
		}
		if (d)
			closedir(d);
	}
	printf("%zu inputs replayed, %lu mutations of them\n", runs, mutated);
	return runs ? 0 : 1;
}
