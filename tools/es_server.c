/* SPDX-License-Identifier: MIT */
/*
 * es-server: an edge or cloud server of the test bed. It receives TENSOR
 * fragments on one interface, counts them per device, and when a task's
 * tensor is complete (its LAST_FRAGMENT arrives) it "computes" for a set
 * time and sends a RESULT back to the device, through whoever sent the
 * tensor (the AP). Frames are read with the shared parser and built with
 * esop_gen.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

#include "es_rawsock.h"
#include "esop_gen.h"
#include "esop_parse.h"

#define MAX_PENDING 65536

struct pending {
	uint64_t due_ns;
	struct esop_gen_spec spec;
};

/* Toggled by SIGUSR1 / SIGUSR2: tasks take --slow-us longer meanwhile. */
static volatile sig_atomic_t slowed;

static void on_slow(int sig)
{
	slowed = sig == SIGUSR1;
}

struct stats {
	uint64_t frames, not_esop, malformed, tensors, tensor_bytes;
	uint64_t tasks, results, send_errors, backlog_full, other;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: es-server --iface IF [OPTIONS]\n"
"\n"
"An edge or cloud server for the EdgeSteer test bed: counts the TENSOR\n"
"fragments that reach interface IF and answers each completed task with a\n"
"RESULT after its compute time.\n"
"\n"
"  --iface IF               interface to serve on (AF_PACKET)\n"
"  --name NAME              name in the statistics (default: the interface)\n"
"  --compute-us US          fixed compute time per task (default 200)\n"
"  --compute-us-per-kib US  plus this per KiB of tensor (default 0)\n"
"  --result-bytes N         RESULT payload bytes (default 64)\n"
"  --duration S             stop after S seconds (default: until SIGTERM)\n"
"  --stats FILE             rewrite FILE once a second with the counters (JSON)\n"
"  --slow-us US             SIGUSR1 slows the server down: every task then takes\n"
"                           US more; SIGUSR2 ends it (default 20000; the DDLRO\n"
"                           test's stand-in for netem, docs/ddlro.md)\n"
"\n"
"On exit the counters are printed as one JSON object on stdout.\n"
"Exit status: 0 success, 1 runtime error, 2 usage error.\n");
}

static void write_stats(FILE *f, const char *name, const struct stats *s, double secs)
{
	fprintf(f, "{\"server\": \"%s\", \"seconds\": %.2f, \"frames\": %llu, "
		"\"tensors\": %llu, \"tensor_bytes\": %llu, \"tasks\": %llu, "
		"\"results\": %llu, \"not_esop\": %llu, \"malformed\": %llu, "
		"\"other\": %llu, \"send_errors\": %llu, \"backlog_full\": %llu}\n",
		name, secs, (unsigned long long)s->frames, (unsigned long long)s->tensors,
		(unsigned long long)s->tensor_bytes, (unsigned long long)s->tasks,
		(unsigned long long)s->results, (unsigned long long)s->not_esop,
		(unsigned long long)s->malformed, (unsigned long long)s->other,
		(unsigned long long)s->send_errors, (unsigned long long)s->backlog_full);
}

/* Writes the counters to @path atomically (temporary file, rename). */
static void publish_stats(const char *path, const char *name, const struct stats *s,
			  double secs)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	write_stats(f, name, s, secs);
	if (fclose(f) == 0)
		rename(tmp, path);
}

/* The RESULT for the task whose last fragment is @f: back the way it came. */
static void result_spec(struct esop_gen_spec *sp, const uint8_t *f,
			const struct esop_pkt *pkt, uint32_t result_bytes)
{
	memset(sp, 0, sizeof(*sp));
	sp->encap = pkt->ipv6 ? ESOP_ENC_V6 : ESOP_ENC_V4;
	memcpy(sp->dst.mac, f + 6, 6);
	memcpy(sp->src.mac, f, 6);
	memcpy(pkt->ipv6 ? sp->src.ip6 : sp->src.ip4, pkt->daddr, pkt->ipv6 ? 16 : 4);
	memcpy(pkt->ipv6 ? sp->dst.ip6 : sp->dst.ip4, pkt->saddr, pkt->ipv6 ? 16 : 4);
	sp->src.port = pkt->dst_port;
	sp->dst.port = pkt->src_port;
	sp->hdr = esop_gen_hdr_default(ESOP_T_RESULT, pkt->device_id);
	sp->hdr.app_id = pkt->app_id;
	sp->hdr.task_id = pkt->task_id;
	sp->hdr.layer = pkt->layer;
	sp->hdr.total_len = result_bytes;
	sp->payload_len = result_bytes;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "iface", 1, NULL, 'i' }, { "name", 1, NULL, 'n' },
		{ "compute-us", 1, NULL, 'c' }, { "compute-us-per-kib", 1, NULL, 'k' },
		{ "result-bytes", 1, NULL, 'r' }, { "duration", 1, NULL, 'd' },
		{ "stats", 1, NULL, 's' }, { "slow-us", 1, NULL, 'S' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *iface = NULL, *name = NULL, *stats_path = NULL;
	double compute_us = 200, per_kib_us = 0, duration_s = 0, slow_us = 20000;
	uint32_t result_bytes = 64;
	struct pending *q;
	size_t qhead = 0, qlen = 0;
	struct stats st = { 0 };
	struct es_rawsock s;
	uint8_t buf[4096];
	int c, li = 0, err;
	char *end;

	while ((c = getopt_long(argc, argv, "h", lo, &li)) != -1) {
		switch (c) {
		case 'i': iface = optarg; continue;
		case 'n': name = optarg; continue;
		case 'c': compute_us = strtod(optarg, &end); break;
		case 'k': per_kib_us = strtod(optarg, &end); break;
		case 'r': result_bytes = (uint32_t)strtoul(optarg, &end, 10);
			if (!*end && (result_bytes == 0 || result_bytes > 1400))
				end = optarg;
			break;
		case 'd': duration_s = strtod(optarg, &end); break;
		case 'S': slow_us = strtod(optarg, &end); break;
		case 's': stats_path = optarg; continue;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (*end || compute_us < 0 || per_kib_us < 0 || duration_s < 0 || slow_us < 0) {
			fprintf(stderr, "error: es-server: bad value '%s' for --%s\n", optarg,
				lo[li].name);
			return 2;
		}
	}
	if (optind != argc || !iface) {
		fprintf(stderr, "error: es-server: --iface is required\n");
		usage(stderr);
		return 2;
	}
	if (!name)
		name = iface;
	err = es_rawsock_open(&s, iface);
	if (err) {
		fprintf(stderr, "error: es-server: %s: %s\n", iface, strerror(-err));
		return 1;
	}
	q = calloc(MAX_PENDING, sizeof(*q));
	if (!q) {
		fprintf(stderr, "error: es-server: out of memory\n");
		return 1;
	}
	es_catch_stop_signals();
	signal(SIGUSR1, on_slow);
	signal(SIGUSR2, on_slow);

	uint64_t t0 = es_now_ns(), next_pub = t0;
	uint64_t end_ns = duration_s > 0 ? t0 + (uint64_t)(duration_s * 1e9) : UINT64_MAX;
	while (!es_stop_requested()) {
		uint64_t now = es_now_ns();
		int n;

		if (now >= end_ns)
			break;
		/* due RESULTs, oldest first (compute times differ little) */
		while (qlen && q[qhead].due_ns <= now) {
			int len = esop_gen_build(buf, sizeof(buf), &q[qhead].spec);

			if (len < 0 || es_rawsock_send(&s, buf, (size_t)len))
				st.send_errors++;
			else
				st.results++;
			qhead = (qhead + 1) % MAX_PENDING;
			qlen--;
		}
		/*
		 * Sleep in the poll until the next RESULT is due (1 ms steps): a
		 * slowed server holds tasks for tens of ms and must not spin on
		 * the bed's few cores meanwhile.
		 */
		int wait_ms = !qlen || q[qhead].due_ns > now + 1000000 ? 1 : 0;

		while ((n = es_rawsock_recv(&s, buf, sizeof(buf), wait_ms)) > 0) {
			wait_ms = 0;
			struct esop_parse_cfg cfg = { 0 };
			struct esop_pkt pkt;
			int v = esop_parse(buf, buf + n, &cfg, &pkt);

			st.frames++;
			if (v == ESOP_V_NOT_ESOP) {
				st.not_esop++;
				continue;
			}
			if (v == ESOP_V_MALFORMED) {
				st.malformed++;
				continue;
			}
			if (pkt.type != ESOP_T_TENSOR) {
				st.other++;
				continue;
			}
			st.tensors++;
			st.tensor_bytes += pkt.payload_len;
			if (!(pkt.flags & ESOP_F_LAST_FRAGMENT) &&
			    pkt.frag_off + pkt.payload_len != pkt.total_len)
				continue;
			st.tasks++;
			if (qlen == MAX_PENDING) {
				st.backlog_full++;
				continue;
			}
			struct pending *p = &q[(qhead + qlen++) % MAX_PENDING];
			double us = compute_us + per_kib_us * (double)pkt.total_len / 1024.0 +
				    (slowed ? slow_us : 0);
			p->due_ns = es_now_ns() + (uint64_t)(us * 1000.0);
			result_spec(&p->spec, buf, &pkt, result_bytes);
		}
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "error: es-server: receive: %s\n", strerror(-n));
			return 1;
		}
		if (stats_path && now >= next_pub) {
			publish_stats(stats_path, name, &st, (double)(now - t0) / 1e9);
			next_pub = now + 1000000000ull;
		}
	}
	double secs = (double)(es_now_ns() - t0) / 1e9;
	if (stats_path)
		publish_stats(stats_path, name, &st, secs);
	write_stats(stdout, name, &st, secs);
	es_rawsock_close(&s);
	free(q);
	return 0;
}
