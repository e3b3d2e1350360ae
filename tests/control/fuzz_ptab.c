/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the policy-table loader (outside input: operators' files
 * and the control socket). Every input either loads into a table that meets
 * ptab_check() and survives a JSON round trip unchanged, or is refused with
 * a "NAME: PATH: REASON" message and nothing written.
 *
 * With -DES_LIBFUZZER and clang -fsanitize=fuzzer this is a libFuzzer
 * target; otherwise main() replays deterministic mutations of seed tables
 * (the `unit` suite runs it).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptab.h"

static const char seed_table[] =
	"{ \"edgesteer_policy\": 1, \"epoch\": 7,\n"
	"  \"defaults\": { \"unknown_device\": \"drop\", \"rate_kbps\": 1000, \"burst_bytes\": 65536 },\n"
	"  \"servers\": [\n"
	"    { \"name\": \"edge0\", \"kind\": \"edge\", \"mac\": \"02:00:00:00:01:02\", \"ip\": \"198.18.1.2\", \"udp_port\": 7447, \"port\": 1 },\n"
	"    { \"name\": \"cloud0\", \"kind\": \"cloud\", \"mac\": \"02:00:00:00:02:02\", \"ip\": \"2001:2::2\", \"udp_port\": 7447, \"port\": 2 } ],\n"
	"  \"devices\": [\n"
	"    { \"id\": 1, \"rate_kbps\": 20000, \"burst_bytes\": 131072, \"apps\": [ { \"app\": 3, \"target\": \"edge0\", \"split_layer\": 4, \"exit\": 0 } ] },\n"
	"    { \"id\": 2, \"rate_kbps\": 5000, \"apps\": [ { \"app\": 3, \"target\": \"local\" }, { \"app\": 4, \"target\": \"cloud\" } ] },\n"
	"    { \"id\": 9 } ] }";

static const char seed_delta[] =
	"{ \"edgesteer_policy\": 1, \"epoch\": 8, \"delta\": true,\n"
	"  \"devices\": [ { \"id\": 5, \"apps\": [ { \"app\": 1, \"target\": \"edge\" } ] }, { \"id\": 1 } ],\n"
	"  \"remove_devices\": [ 2 ],\n"
	"  \"servers\": [ { \"name\": \"cloud0\", \"kind\": \"cloud\", \"mac\": \"02:00:00:00:02:02\", \"ip\": \"198.18.2.2\", \"udp_port\": 1, \"port\": 0 },\n"
	"                { \"name\": \"edge0\", \"kind\": \"edge\", \"mac\": \"02:00:00:00:01:02\", \"ip\": \"198.18.1.2\", \"udp_port\": 7447, \"port\": 1 } ] }";

static struct es_policy in_force;
static unsigned long accepted;

static void check_one(const uint8_t *data, size_t size)
{
	struct ptab_error err = { "" };
	struct es_policy next, back;
	char *buf = malloc(size + 1), *out = NULL;
	size_t olen = 0;
	FILE *f;
	int rc;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	memset(&next, 0x5a, sizeof(next));
	rc = ptab_load("fuzz", buf, size, in_force.epoch ? &in_force : NULL, NULL,
		       PTAB_F_FORCE, &next, NULL, NULL, &err);
	if (rc) {
		if (strncmp(err.msg, "fuzz: ", 6) || next.ndevices != 0x5a5a5a5a) {
			fprintf(stderr, "refusal without a path, or output written: %s\n", err.msg);
			abort();
		}
		free(buf);
		return;
	}
	if (ptab_check(&next, NULL, &err)) {
		fprintf(stderr, "accepted a table that breaks a rule: %s\n", err.msg);
		abort();
	}
	f = open_memstream(&out, &olen);
	if (!f || ptab_write_json(&next, f, 0) || fclose(f))
		abort();
	/* apps may sit anywhere in the array; the round trip compacts them */
	if (ptab_load("round-trip", out, olen, NULL, NULL, 0, &back, NULL, NULL, &err)) {
		fprintf(stderr, "its own JSON refused: %s\n%s\n", err.msg, out);
		abort();
	}
	if (back.ndevices != next.ndevices || back.nservers != next.nservers ||
	    back.epoch != next.epoch) {
		fprintf(stderr, "round trip changed the table\n");
		abort();
	}
	struct ptab_diff_stats st;

	ptab_diff(&next, &back, NULL, 0, &st);
	if (st.added || st.removed || st.changed) {
		fprintf(stderr, "round trip changed %u devices\n", st.changed);
		abort();
	}
	ptab_free(&back);
	ptab_free(&next);
	free(out);
	free(buf);
	accepted++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!in_force.epoch) {
		struct ptab_error err;

		if (ptab_load("seed", seed_table, strlen(seed_table), NULL, NULL, 0, &in_force,
			      NULL, NULL, &err))
			abort();
	}
	check_one(data, size);
	return 0;
}

#ifndef ES_LIBFUZZER
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next_rand(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* One of the ways a file goes wrong, applied to @b (room for 2x @n). */
static size_t mutate(char *b, size_t n)
{
	static const char alphabet[] = "{}[]\":,0123456789-.eE truefalsnl\\u";
	size_t at = n ? next_rand((uint32_t)n) : 0, len;

	switch (next_rand(6)) {
	case 0:				/* flip a byte */
		if (n)
			b[at] = (char)next_rand(256);
		return n;
	case 1:				/* insert a JSON-ish byte */
		memmove(b + at + 1, b + at, n - at);
		b[at] = alphabet[next_rand(sizeof(alphabet) - 1)];
		return n + 1;
	case 2:				/* delete a run */
		len = next_rand(16) + 1;
		if (at + len > n)
			len = n - at;
		memmove(b + at, b + at + len, n - at - len);
		return n - len;
	case 3:				/* truncate */
		return at;
	case 4:				/* duplicate a run (keys, array items) */
		len = next_rand(64) + 1;
		if (at + len > n)
			len = n - at;
		memmove(b + at + len, b + at, n - at);
		return n + len;
	default:			/* a digit into a number's neighbourhood */
		if (n)
			b[at] = (char)('0' + next_rand(10));
		return n;
	}
}

int main(int argc, char **argv)
{
	const char *seeds[] = { seed_table, seed_delta };
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	char *b = malloc(1 << 16);

	if (!b)
		return 1;
	for (unsigned long i = 0; i < iters; i++) {
		const char *s = seeds[i % 2];
		size_t n = strlen(s);

		memcpy(b, s, n);
		for (unsigned int m = next_rand(4) + 1; m && n < (1 << 14); m--)
			n = mutate(b, n);
		LLVMFuzzerTestOneInput((const uint8_t *)b, n);
	}
	/* and the seeds themselves, unmutated, must load */
	for (int s = 0; s < 2; s++) {
		struct ptab_error err;
		struct es_policy p;

		if (ptab_load("seed", seeds[s], strlen(seeds[s]), &in_force, NULL, PTAB_F_FORCE,
			      &p, NULL, NULL, &err)) {
			fprintf(stderr, "seed %d: %s\n", s, err.msg);
			return 1;
		}
		ptab_free(&p);
	}
	printf("%lu mutated tables: %lu loaded and round-tripped, the others refused with "
	       "a path\n", iters, accepted);
	ptab_free(&in_force);
	free(b);
	return 0;
}
#endif
