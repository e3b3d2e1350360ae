/* SPDX-License-Identifier: MIT */
/*
 * es-pcapgen: writes load-test traffic as a pcap (for tcpreplay, trafgen
 * and DPDK's net_pcap) and the policy table that goes with it. The mix of
 * OFFLOAD_REQs, TENSOR fragments, malformed and ordinary frames, the number
 * of devices and the frame sizes are options; malformed and ordinary frames
 * are taken from the fixture corpus, so each has a known verdict.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/types.h>
#include <pcap/pcap.h>

#include "esop.h"
#include "esop_fixtures.h"
#include "esop_gen.h"

struct opts {
	unsigned long frames;
	unsigned int devices;
	uint32_t first_id;
	unsigned int pct_req, pct_malformed, pct_ordinary;	/* rest: TENSOR */
	uint32_t tensor_payload;
	uint32_t over_rate_devices;	/* the first K devices get 8 kbit/s */
	uint64_t seed;
	const char *pcap, *policy, *trafgen;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: es-pcapgen --out FILE.pcap [--policy FILE.json] [--trafgen FILE.cfg] [OPTIONS]\n"
"\n"
"Writes --frames Ethernet frames of load-test traffic from --devices devices\n"
"to the AP of tools/testbed.sh, and (with --policy) the policy table that\n"
"knows those devices: app 3 on edge0, app 4 on cloud0, app 5 local.\n"
"\n"
"  --frames N            frames to write (default 100000)\n"
"  --devices N           devices, ids FIRST..FIRST+N-1 (default 10000)\n"
"  --first-id ID         first device id (default 1)\n"
"  --req-pct P           share of OFFLOAD_REQs (default 10)\n"
"  --malformed-pct P     share of malformed frames (default 2)\n"
"  --ordinary-pct P      share of ordinary (non-ESOP) frames (default 3)\n"
"                        the rest are TENSOR fragments\n"
"  --tensor-bytes N      payload bytes per TENSOR frame (default 1024)\n"
"  --over-rate N         the first N devices get 8 kbit/s (default 1)\n"
"  --seed S              traffic seed (default 1)\n"
"  --trafgen FILE        also write the frames as a trafgen(8) packet\n"
"                        configuration (one { bytes } block per frame, in order)\n"
"\n"
"Exit status: 0 success, 1 I/O error, 2 usage error.\n");
}

static uint64_t next_rand(uint64_t *s)
{
	/* splitmix64: small, seedable, good enough to pick devices */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "out", 1, NULL, 'o' }, { "policy", 1, NULL, 'p' },
		{ "frames", 1, NULL, 'n' }, { "devices", 1, NULL, 'd' },
		{ "first-id", 1, NULL, 'f' }, { "req-pct", 1, NULL, 'r' },
		{ "malformed-pct", 1, NULL, 'm' }, { "ordinary-pct", 1, NULL, 'O' },
		{ "tensor-bytes", 1, NULL, 't' }, { "over-rate", 1, NULL, 'v' },
		{ "seed", 1, NULL, 's' }, { "trafgen", 1, NULL, 'T' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c, li = 0;

	*o = (struct opts){ .frames = 100000, .devices = 10000, .first_id = 1,
			    .pct_req = 10, .pct_malformed = 2, .pct_ordinary = 3,
			    .tensor_payload = 1024, .over_rate_devices = 1, .seed = 1 };
	while ((c = getopt_long(argc, argv, "h", lo, &li)) != -1) {
		char *end = NULL;
		unsigned long long v = 0;

		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == '?') {
			usage(stderr);
			return -EINVAL;
		}
		if (c != 'o' && c != 'p' && c != 'T') {
			v = strtoull(optarg, &end, 10);
			if (*end || optarg[0] == '-') {
				fprintf(stderr, "error: es-pcapgen: --%s takes a number, not '%s'\n",
					lo[li].name, optarg);
				return -EINVAL;
			}
		}
		switch (c) {
		case 'o': o->pcap = optarg; break;
		case 'p': o->policy = optarg; break;
		case 'T': o->trafgen = optarg; break;
		case 'n': o->frames = (unsigned long)v; break;
		case 'd': o->devices = (unsigned int)v; break;
		case 'f': o->first_id = (uint32_t)v; break;
		case 'r': o->pct_req = (unsigned int)v; break;
		case 'm': o->pct_malformed = (unsigned int)v; break;
		case 'O': o->pct_ordinary = (unsigned int)v; break;
		case 't': o->tensor_payload = (uint32_t)v; break;
		case 'v': o->over_rate_devices = (uint32_t)v; break;
		case 's': o->seed = v; break;
		}
	}
	if (optind != argc || !o->pcap) {
		fprintf(stderr, "error: es-pcapgen: --out is required\n");
		return -EINVAL;
	}
	if (!o->devices || o->devices > 1000000 || !o->first_id ||
	    (uint64_t)o->first_id + o->devices - 1 > UINT32_MAX) {
		fprintf(stderr, "error: es-pcapgen: --devices must be 1..1000000 with ids below 2^32\n");
		return -EINVAL;
	}
	if (o->pct_req + o->pct_malformed + o->pct_ordinary > 100 || !o->tensor_payload ||
	    o->tensor_payload > 1400) {
		fprintf(stderr, "error: es-pcapgen: shares add up past 100%% or "
			"--tensor-bytes is not 1..1400\n");
		return -EINVAL;
	}
	return 0;
}

static int write_policy(const struct opts *o)
{
	FILE *f = fopen(o->policy, "w");

	if (!f) {
		fprintf(stderr, "error: es-pcapgen: %s: %s\n", o->policy, strerror(errno));
		return -1;
	}
	fprintf(f, "{\n  \"edgesteer_policy\": 1,\n  \"epoch\": 1,\n"
		"  \"defaults\": { \"unknown_device\": \"drop\", \"rate_kbps\": 1000, "
		"\"burst_bytes\": 65536 },\n  \"servers\": [\n"
		"    { \"name\": \"edge0\", \"kind\": \"edge\", \"mac\": \"02:00:00:00:01:02\", "
		"\"ip\": \"198.18.1.2\", \"udp_port\": 7447, \"port\": 1 },\n"
		"    { \"name\": \"cloud0\", \"kind\": \"cloud\", \"mac\": \"02:00:00:00:02:02\", "
		"\"ip\": \"198.18.2.2\", \"udp_port\": 7447, \"port\": 2 }\n  ],\n"
		"  \"devices\": [\n");
	for (unsigned int i = 0; i < o->devices; i++) {
		int slow = i < o->over_rate_devices;

		fprintf(f, "    { \"id\": %u, \"rate_kbps\": %u, \"burst_bytes\": %u, \"apps\": "
			"[ { \"app\": 3, \"target\": \"edge0\", \"split_layer\": 4 }, "
			"{ \"app\": 4, \"target\": \"cloud0\", \"split_layer\": 2 }, "
			"{ \"app\": 5, \"target\": \"local\" } ] }%s\n",
			o->first_id + i, slow ? 8 : 1000000, slow ? 1500 : 1048576,
			i + 1 < o->devices ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	if (fclose(f)) {
		fprintf(stderr, "error: es-pcapgen: %s: %s\n", o->policy, strerror(errno));
		return -1;
	}
	return 0;
}

/* One frame as a trafgen(8) packet block: { 0x.., ... } on lines of 16 bytes. */
static void write_trafgen_frame(FILE *f, const uint8_t *data, int len)
{
	fputs("{", f);
	for (int i = 0; i < len; i++)
		fprintf(f, "%s0x%02x", i % 16 ? ", " : (i ? ",\n " : " "), data[i]);
	fputs(" }\n", f);
}

int main(int argc, char **argv)
{
	struct esop_fixture *fx;
	size_t nfx, nbad = 0, nord = 0;
	struct opts o;
	uint8_t frame[2048];

	if (parse_opts(argc, argv, &o))
		return 2;
	if (esop_fixtures_build(&fx, &nfx))
		return 1;
	size_t *bad = calloc(nfx, sizeof(*bad)), *ord = calloc(nfx, sizeof(*ord));
	if (!bad || !ord)
		return 1;
	for (size_t i = 0; i < nfx; i++) {
		if (fx[i].parse == ESOP_V_MALFORMED && fx[i].encap == ESOP_ENC_V4)
			bad[nbad++] = i;
		else if (fx[i].encap < 0 && fx[i].len >= 14)
			ord[nord++] = i;
	}

	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *dump = pd ? pcap_dump_open(pd, o.pcap) : NULL;
	if (!dump) {
		fprintf(stderr, "error: es-pcapgen: %s: %s\n", o.pcap,
			pd ? pcap_geterr(pd) : "cannot open");
		return 1;
	}
	FILE *tg = NULL;
	if (o.trafgen) {
		tg = fopen(o.trafgen, "w");
		if (!tg) {
			fprintf(stderr, "error: es-pcapgen: %s: %s\n", o.trafgen, strerror(errno));
			return 1;
		}
		fprintf(tg, "/* es-pcapgen: %lu frames, %u devices from id %u, seed %llu */\n",
			o.frames, o.devices, o.first_id, (unsigned long long)o.seed);
	}
	struct esop_gen_spec s = { .encap = ESOP_ENC_V4 };
	const uint8_t ap_mac[6] = { 2, 0, 0, 0, 0, 0xfe }, dev_mac[6] = { 2, 0, 0, 0, 0x10, 1 };
	memcpy(s.dst.mac, ap_mac, 6);
	memcpy(s.src.mac, dev_mac, 6);
	s.dst.ip4[0] = 198, s.dst.ip4[1] = 18, s.dst.ip4[3] = 1;
	s.src.port = s.dst.port = ESOP_DEFAULT_PORT;

	uint64_t rng = o.seed;
	for (unsigned long i = 0; i < o.frames; i++) {
		unsigned int roll = (unsigned int)(next_rand(&rng) % 100);
		const uint8_t *data = frame;
		int len;

		if (roll < o.pct_malformed && nbad) {
			const struct esop_fixture *f = &fx[bad[next_rand(&rng) % nbad]];
			data = f->frame;
			len = f->len;
		} else if (roll < o.pct_malformed + o.pct_ordinary && nord) {
			const struct esop_fixture *f = &fx[ord[next_rand(&rng) % nord]];
			data = f->frame;
			len = f->len;
		} else {
			uint32_t dev = (uint32_t)(next_rand(&rng) % o.devices);
			uint32_t ip = htonl(0xc6121000u + (dev % 4094) + 1);	/* 198.18.16.0/20 */
			int req = roll < o.pct_malformed + o.pct_ordinary + o.pct_req;

			memcpy(s.src.ip4, &ip, 4);
			s.hdr = esop_gen_hdr_default(req ? ESOP_T_OFFLOAD_REQ : ESOP_T_TENSOR,
						     o.first_id + dev);
			s.hdr.app_id = (uint16_t)(3 + next_rand(&rng) % 3);
			s.hdr.task_id = (uint32_t)i;
			s.hdr.snr_qdb = 80;
			s.hdr.total_len = req ? 64 * 1024 : o.tensor_payload * 64;
			s.hdr.frag_off = req ? 0 : (uint32_t)(i % 64) * o.tensor_payload;
			s.payload_len = req ? 0 : o.tensor_payload;
			len = esop_gen_build(frame, sizeof(frame), &s);
			if (len < 0)
				return 1;
		}
		struct pcap_pkthdr h = {
			.ts = { .tv_sec = 1700000000 + (time_t)(i / 1000000),
				.tv_usec = (suseconds_t)(i % 1000000) },
			.caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len,
		};
		pcap_dump((u_char *)dump, &h, data);
		if (tg)
			write_trafgen_frame(tg, data, len);
	}
	if (tg && fclose(tg)) {
		fprintf(stderr, "error: es-pcapgen: %s: %s\n", o.trafgen, strerror(errno));
		return 1;
	}
	pcap_dump_close(dump);
	pcap_close(pd);
	if (o.policy && write_policy(&o))
		return 1;
	free(bad);
	free(ord);
	free(fx);
	return 0;
}
