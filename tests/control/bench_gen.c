/* SPDX-License-Identifier: MIT */
/*
 * The push benchmark's inputs and its reference:
 *   bench_gen table N EPOCH FILE    a POLICY.md table of N devices (1 app each,
 *                                   ~130 bytes a device, like an operator's)
 *   bench_gen delta N EPOCH FILE    a delta replacing N of them, spread out
 *   bench_gen parse FILE            ms for plain cJSON (malloc) to parse FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

static const char servers[] =
	"  \"servers\": [\n"
	"    { \"name\": \"edge0\", \"kind\": \"edge\", \"mac\": \"02:00:00:00:01:02\", "
	"\"ip\": \"198.18.1.2\", \"udp_port\": 7447, \"port\": 1 },\n"
	"    { \"name\": \"edge1\", \"kind\": \"edge\", \"mac\": \"02:00:00:00:01:03\", "
	"\"ip\": \"198.18.1.3\", \"udp_port\": 7447, \"port\": 1 },\n"
	"    { \"name\": \"cloud0\", \"kind\": \"cloud\", \"mac\": \"02:00:00:00:02:02\", "
	"\"ip\": \"198.18.2.2\", \"udp_port\": 7447, \"port\": 2 }\n  ],\n";

static const char *const targets[] = { "edge0", "edge1", "cloud0", "local", "edge" };

static void device(FILE *f, unsigned long id, unsigned long salt, int last)
{
	fprintf(f, "    { \"id\": %lu, \"rate_kbps\": %lu, \"burst_bytes\": 131072, \"apps\": "
		"[ { \"app\": 3, \"target\": \"%s\", \"split_layer\": %lu, \"exit\": 0 } ] }%s\n",
		id, 1000 + (id * 7 + salt) % 20000, targets[(id + salt) % 5], (id + salt) % 12,
		last ? "" : ",");
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int parse_plain(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;
	char *buf;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		return 1;
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		return 1;
	fclose(f);
	buf[n] = '\0';
	double t0 = now_ms();
	cJSON *root = cJSON_ParseWithLengthOpts(buf, (size_t)n + 1, NULL, 1);
	double t1 = now_ms();

	if (!root)
		return 1;
	cJSON_Delete(root);
	printf("%.1f\n", t1 - t0);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "parse"))
		return parse_plain(argv[2]);
	if (argc != 5)
		return 2;
	unsigned long n = strtoul(argv[2], NULL, 10), epoch = strtoul(argv[3], NULL, 10);
	FILE *f = fopen(argv[4], "w");
	int delta = !strcmp(argv[1], "delta");

	if (!f)
		return 1;
	fprintf(f, "{\n  \"edgesteer_policy\": 1,\n  \"epoch\": %lu,\n%s", epoch,
		delta ? "  \"delta\": true,\n" : "");
	if (!delta)
		fprintf(f, "  \"defaults\": { \"unknown_device\": \"drop\", \"rate_kbps\": 1000, "
			"\"burst_bytes\": 65536 },\n%s", servers);
	fprintf(f, "  \"devices\": [\n");
	for (unsigned long i = 1; i <= n; i++)
		device(f, delta ? i * 997 : i, epoch, i == n);
	fprintf(f, "  ]\n}\n");
	return fclose(f) ? 1 : 0;
}
