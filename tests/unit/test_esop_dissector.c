/* SPDX-License-Identifier: MIT */
/*
 * The project's Wireshark dissector (tools/wireshark/esop.lua) read by the
 * real tshark over the fixture corpus: for every well-formed ESOP frame,
 * every header field tshark shows must equal what esop_parse() finds. Two
 * independent readers of PROTOCOL.md agreeing on every field.
 *
 * Usage: test_esop_dissector LUA_SCRIPT FIXTURES_PCAP
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

#include "esop_fixtures.h"
#include "esop_parse.h"

#define NFIELDS 14
static const char *const fields[NFIELDS] = {
	"esop.magic", "esop.version", "esop.type", "esop.flags", "esop.hdr_len",
	"esop.app_id", "esop.device_id", "esop.task_id", "esop.layer",
	"esop.snr_qdb", "esop.total_len", "esop.frag_off", "esop.deadline_us",
	"esop.payload_len",
};

static void expected(const struct esop_pkt *p, long long v[NFIELDS])
{
	long long e[NFIELDS] = {
		ESOP_MAGIC, ESOP_VERSION, p->type, p->flags, p->hdr_len, p->app_id,
		p->device_id, p->task_id, p->layer, p->snr_qdb, p->total_len,
		p->frag_off, p->deadline_us, p->payload_len,
	};
	memcpy(v, e, sizeof(e));
}

int main(int argc, char **argv)
{
	struct esop_fixture *fx;
	char cmd[4096], line[4096];
	size_t n, checked = 0, row = 0;
	int failed = 0;
	FILE *p;

	if (argc != 3) {
		fprintf(stderr, "usage: %s LUA_SCRIPT FIXTURES_PCAP\n", argv[0]);
		return 2;
	}
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		fprintf(stderr, "skip: tshark is not installed\n");
		return 77;
	}
	if (esop_fixtures_build(&fx, &n))
		return 1;
	int len = snprintf(cmd, sizeof(cmd),
			   "tshark -n -X lua_script:%s -r %s -T fields -E separator=/t "
			   "-E occurrence=f", argv[1], argv[2]);
	for (int i = 0; i < NFIELDS; i++)
		len += snprintf(cmd + len, sizeof(cmd) - (size_t)len, " -e %s", fields[i]);
	snprintf(cmd + len, sizeof(cmd) - (size_t)len, " 2>/dev/null");
	p = popen(cmd, "r");
	if (!p) {
		perror("popen");
		return 1;
	}
	while (fgets(line, sizeof(line), p) && row < n) {
		const struct esop_fixture *f = &fx[row++];
		struct esop_parse_cfg cfg = { 0 };
		struct esop_pkt pkt;
		long long want[NFIELDS];
		char *s = line;

		memset(&pkt, 0, sizeof(pkt));
		if (esop_parse(f->frame, f->frame + f->len, &cfg, &pkt) != ESOP_V_NEEDS_TABLE)
			continue;
		expected(&pkt, want);
		for (int i = 0; i < NFIELDS; i++) {
			char *tab = strchr(s, '\t');
			char *end;

			if (tab)
				*tab = '\0';
			long long got = strtoll(s, &end, 0);
			if (end == s || got != want[i]) {
				fprintf(stderr, "FAIL %s: %s = '%s', expected %lld\n",
					f->name, fields[i], s, want[i]);
				failed++;
			}
			s = tab ? tab + 1 : s + strlen(s);
		}
		checked++;
	}
	int rc = pclose(p);
	if (row != n) {
		fprintf(stderr, "FAIL: tshark printed %zu rows for %zu frames (status %d)\n",
			row, n, rc);
		failed++;
	}
	printf("%zu well-formed ESOP frames, %d field mismatches\n", checked, failed);
	free(fx);
	return failed || checked == 0 ? 1 : 0;
}
