/* SPDX-License-Identifier: MIT */
/*
 * esop-fixtures: writes the fixture corpus (fixtures.pcap), its expected
 * verdicts (fixtures.tsv) and the policy table of its world (fixtures.json)
 * into a directory.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "esop_fixtures.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: esop-fixtures [--out-dir DIR] [--corpus-dir DIR2]\n"
"\n"
"Writes the ESOP fixture corpus that every stage's tests replay:\n"
"  DIR/fixtures.pcap  one Ethernet frame per case, in replay order\n"
"  DIR/fixtures.tsv   per frame: name, parser result, drop reason, verdict\n"
"  DIR/fixtures.json  the policy table (POLICY.md) the verdicts assume\n"
"  DIR2/NNN           with --corpus-dir: one file per frame, the seed corpus\n"
"                     of the ESOP frame fuzz target\n"
"\n"
"Frames are judged in order from full token buckets (see\n"
"tools/esop_fixtures.h). DIR defaults to the current directory.\n"
"\n"
"Exit status: 0 on success, 1 on an I/O error, 2 on a usage error.\n");
}

static FILE *open_out(const char *dir, const char *name, char *path, size_t n)
{
	FILE *f;

	snprintf(path, n, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "error: esop-fixtures: %s: %s\n", path, strerror(errno));
	return f;
}

/* One file per frame, so a fuzzer can start from the whole corpus. */
static int write_corpus(const char *dir, const struct esop_fixture *fx, size_t n)
{
	char name[32], path[4096];

	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "error: esop-fixtures: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "frame-%03zu", i);
		FILE *f = open_out(dir, name, path, sizeof(path));

		if (!f || fwrite(fx[i].frame, 1, fx[i].len, f) != fx[i].len || fclose(f))
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out-dir", required_argument, NULL, 'o' },
		{ "corpus-dir", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = ".", *corpus = NULL;
	struct esop_fixture *fx;
	char path[4096];
	size_t n;
	int c, err;

	while ((c = getopt_long(argc, argv, "o:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			dir = optarg;
			break;
		case 'c':
			corpus = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	err = esop_fixtures_build(&fx, &n);
	if (err) {
		fprintf(stderr, "error: esop-fixtures: building the corpus: %s\n", strerror(-err));
		return 1;
	}

	snprintf(path, sizeof(path), "%s/fixtures.pcap", dir);
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *dump = pd ? pcap_dump_open(pd, path) : NULL;
	if (!dump) {
		fprintf(stderr, "error: esop-fixtures: %s: %s\n", path,
			pd ? pcap_geterr(pd) : "pcap_open_dead failed");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct pcap_pkthdr h = {
			.ts = { .tv_sec = 1700000000, .tv_usec = (suseconds_t)i },
			.caplen = fx[i].len,
			.len = fx[i].len,
		};
		pcap_dump((u_char *)dump, &h, fx[i].frame);
	}
	pcap_dump_close(dump);
	pcap_close(pd);

	FILE *tsv = open_out(dir, "fixtures.tsv", path, sizeof(path));
	if (!tsv || esop_fixtures_write_tsv(tsv, fx, n) || fclose(tsv))
		return 1;
	FILE *js = open_out(dir, "fixtures.json", path, sizeof(path));
	if (!js || esop_fix_world_write_json(js) || fclose(js))
		return 1;
	if (corpus && write_corpus(corpus, fx, n))
		return 1;
	free(fx);
	return 0;
}
