/* SPDX-License-Identifier: MIT */
/*
 * es-devsim: plays many mobile devices on one interface of the test bed.
 * Each device asks the AP where to run its next task (OFFLOAD_REQ), waits
 * for the DECISION, then sends the task's tensor in fragments towards
 * wherever the DECISION says (or runs it locally), and waits for the RESULT.
 * Frames are built with esop_gen and read with the shared parser.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/types.h>

#include "es_rawsock.h"
#include "esop_gen.h"
#include "esop_parse.h"

enum dev_state { DEV_IDLE, DEV_WAIT_DECISION, DEV_WAIT_RESULT };

struct device {
	uint32_t id;
	uint16_t app;
	int16_t snr_qdb;
	enum dev_state state;
	uint32_t task_id;
	uint64_t next_ns;	/* next task, or the wait's deadline */
	uint64_t req_ns;
	uint64_t period_ns;	/* between task starts: --task-rate, spread */
	uint32_t task_bytes;	/* its tasks' tensor size (total_len) */
	uint8_t early_exit;	/* sets EARLY_EXIT_OK */
	uint8_t active;		/* starts tasks; a --phase may pause it */
	int16_t req_snr_qdb;	/* what its open request said */
	uint8_t ip4[4];
	uint64_t decisions, results, tensor_bytes;	/* for --per-device */
	struct last_decision {	/* the newest DECISION, for --per-device */
		uint8_t target, server, exit, pad;
		uint16_t split;
		uint32_t rate_kbps, epoch;
	} last;
};

/*
 * --phase AT,KEY=VAL,...: from AT seconds on, the devices of `devices=LO-HI`
 * (indices, default all) take the values given.
 */
#define MAX_PHASES	16

struct phase {
	double at_s;
	unsigned int lo, hi;	/* device indices, inclusive */
	int set_bytes, set_rate, set_snr, set_early, set_active;
	uint32_t task_bytes;
	double task_hz, snr_db;
	int early_exit, active;
	int done;
};

struct totals {
	uint64_t reqs, decisions, timeouts, results, frags_sent, bytes_sent;
	uint64_t by_target[3];	/* tasks by the DECISION's target kind */
	uint64_t send_errors, stray;
	uint32_t last_epoch;
};

struct opts {
	const char *iface;
	uint8_t ap_mac[6];
	uint8_t ap_ip4[4];
	uint8_t dev_net[4];
	unsigned int ndevices;
	uint32_t first_id;
	uint16_t apps[16];
	unsigned int napps;
	uint32_t tensor_bytes;
	uint32_t frag_bytes;
	double task_hz, task_spread;
	double duration_s;
	unsigned int timeout_ms;
	double snr_db, snr_spread_db;
	int early_exit;
	int direct;		/* send TENSORs straight to direct_mac/ip */
	uint8_t direct_mac[6], direct_ip4[4];
	const char *timeline;
	const char *latencies;
	const char *per_device;
	const char *decision_log;
	struct phase phases[MAX_PHASES];
	unsigned int nphases;
	int json;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: es-devsim --iface IF (--ap-mac MAC | --direct MAC,IP) [OPTIONS]\n"
"\n"
"Plays --devices mobile devices on interface IF. Each device, --task-rate\n"
"times a second, sends an OFFLOAD_REQ to the AP, waits for the DECISION,\n"
"then sends its --tensor-bytes tensor in fragments as the DECISION says and\n"
"waits for the RESULT (a LOCAL decision ends the task at once).\n"
"\n"
"  --iface IF               interface to send and receive on (AF_PACKET)\n"
"  --ap-mac MAC             the AP's MAC on that link\n"
"  --ap-ip A.B.C.D          the AP's IPv4 address (default 198.18.0.1)\n"
"  --device-net A.B.C.D     device i gets this address + i + 1 (default 198.18.16.0)\n"
"  --devices N              number of devices, 1..4000 (default 100)\n"
"  --first-id ID            device ids are ID..ID+N-1 (default 1000)\n"
"  --apps A[,B...]          app ids, device i uses the (i mod n)-th (default 3)\n"
"  --tensor-bytes N         tensor size of a task (default 16384)\n"
"  --fragment-bytes N       payload bytes per TENSOR frame (default 1400)\n"
"  --task-rate HZ           tasks per device per second (default 2)\n"
"  --task-rate-spread F     device i runs at HZ * (1 + F * (i / (N - 1) - 0.5)),\n"
"                           0 <= F < 2 (default 0: all at HZ)\n"
"  --duration S             seconds to run (default 10; Ctrl-C stops early)\n"
"  --timeout-ms MS          wait for a DECISION or RESULT (default 500)\n"
"  --snr-db X               uplink SNR the devices report (default 20)\n"
"  --snr-spread-db X        spread the devices' SNR over X dB (default 0)\n"
"  --early-exit             set EARLY_EXIT_OK on requests\n"
"  --direct MAC,IP          no requests: send tensors straight to this server\n"
"  --timeline FILE          one JSON line per second (counts, latency p50/p99,\n"
"                           CLOCK_MONOTONIC in s as \"mono\")\n"
"  --latencies FILE         write every REQ->DECISION latency (us), one a line\n"
"  --per-device FILE        rewrite FILE once a second: each device's id, app,\n"
"                           DECISIONs, RESULTs and tensor bytes so far, and\n"
"                           its newest DECISION (target, split_layer,\n"
"                           exit_point, rate_kbps, epoch), SNR, task bytes\n"
"                           (JSON; \"fields\" names the columns)\n"
"  --decision-log FILE      one JSON line each time a device's DECISION differs\n"
"                           from its previous one (target, server, split_layer,\n"
"                           exit_point, rate_kbps), with the SNR, task size and\n"
"                           flag of the request it answers\n"
"  --phase AT,KEY=VAL,...   from AT s on, change devices (repeatable, up to 16):\n"
"                           devices=LO-HI (indices 0..N-1, default all),\n"
"                           tensor-bytes=N, task-rate=HZ, snr-db=X,\n"
"                           early-exit=0|1, active=0|1 (0: no new tasks);\n"
"                           AT 0 applies before the first task\n"
"  --json                   print the summary as one JSON object\n"
"\n"
"Exit status: 0 success, 1 runtime error, 2 usage error.\n");
}

static int parse_ip4(const char *s, uint8_t ip[4])
{
	return inet_pton(AF_INET, s, ip) == 1 ? 0 : -EINVAL;
}

/* One --phase: "AT,KEY=VAL,..."; 0 or -EINVAL. */
static int parse_phase(const char *arg, struct phase *ph)
{
	char buf[256], *save = NULL, *tok, *end;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	*ph = (struct phase){ .hi = UINT32_MAX };
	tok = strtok_r(buf, ",", &save);
	if (!tok)
		return -EINVAL;
	ph->at_s = strtod(tok, &end);
	if (*end || end == tok || !(ph->at_s >= 0))
		return -EINVAL;
	while ((tok = strtok_r(NULL, ",", &save))) {
		char *v = strchr(tok, '=');

		if (!v)
			return -EINVAL;
		*v++ = '\0';
		if (!strcmp(tok, "devices")) {
			unsigned long lo = strtoul(v, &end, 10), hi = lo;

			if (end == v || (*end && *end != '-'))
				return -EINVAL;
			if (*end == '-') {
				char *h = end + 1;

				hi = strtoul(h, &end, 10);
				if (end == h || *end || hi < lo)
					return -EINVAL;
			}
			ph->lo = (unsigned int)lo;
			ph->hi = (unsigned int)hi;
		} else if (!strcmp(tok, "tensor-bytes")) {
			unsigned long n = strtoul(v, &end, 10);

			if (*end || end == v || !n || n > UINT32_MAX)
				return -EINVAL;
			ph->task_bytes = (uint32_t)n;
			ph->set_bytes = 1;
		} else if (!strcmp(tok, "task-rate")) {
			ph->task_hz = strtod(v, &end);
			if (*end || end == v || !(ph->task_hz > 0))
				return -EINVAL;
			ph->set_rate = 1;
		} else if (!strcmp(tok, "snr-db")) {
			ph->snr_db = strtod(v, &end);
			if (*end || end == v || !(ph->snr_db >= -8000 && ph->snr_db <= 8000))
				return -EINVAL;
			ph->set_snr = 1;
		} else if (!strcmp(tok, "early-exit") || !strcmp(tok, "active")) {
			if (strcmp(v, "0") && strcmp(v, "1"))
				return -EINVAL;
			*(tok[0] == 'e' ? &ph->early_exit : &ph->active) = v[0] == '1';
			*(tok[0] == 'e' ? &ph->set_early : &ph->set_active) = 1;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "iface", 1, NULL, 'i' }, { "ap-mac", 1, NULL, 'm' },
		{ "ap-ip", 1, NULL, 'a' }, { "device-net", 1, NULL, 'n' },
		{ "devices", 1, NULL, 'd' }, { "first-id", 1, NULL, 'f' },
		{ "apps", 1, NULL, 'p' }, { "tensor-bytes", 1, NULL, 't' },
		{ "fragment-bytes", 1, NULL, 'g' }, { "task-rate", 1, NULL, 'r' },
		{ "duration", 1, NULL, 'D' }, { "timeout-ms", 1, NULL, 'T' },
		{ "task-rate-spread", 1, NULL, 'R' }, { "snr-db", 1, NULL, 's' }, { "snr-spread-db", 1, NULL, 'S' },
		{ "early-exit", 0, NULL, 'e' }, { "direct", 1, NULL, 'x' },
		{ "timeline", 1, NULL, 'l' }, { "json", 0, NULL, 'j' },
		{ "latencies", 1, NULL, 'L' }, { "per-device", 1, NULL, 'P' },
		{ "decision-log", 1, NULL, 'G' }, { "phase", 1, NULL, 'F' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c, li = 0, have_mac = 0;
	char *end;

	*o = (struct opts){
		.ap_ip4 = { 198, 18, 0, 1 }, .dev_net = { 198, 18, 16, 0 },
		.ndevices = 100, .first_id = 1000, .apps = { 3 }, .napps = 1,
		.tensor_bytes = 16384, .frag_bytes = 1400, .task_hz = 2,
		.duration_s = 10, .timeout_ms = 500, .snr_db = 20,
	};
	while ((c = getopt_long(argc, argv, "h", lo, &li)) != -1) {
		switch (c) {
		case 'i': o->iface = optarg; break;
		case 'm':
			if (es_parse_mac(optarg, o->ap_mac))
				goto bad;
			have_mac = 1;
			break;
		case 'a': if (parse_ip4(optarg, o->ap_ip4)) goto bad; break;
		case 'n': if (parse_ip4(optarg, o->dev_net)) goto bad; break;
		case 'd': o->ndevices = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || !o->ndevices || o->ndevices > 4000) goto bad;
			break;
		case 'f': o->first_id = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || !o->first_id) goto bad;
			break;
		case 'p': {
			char *tok, *save = NULL;
			o->napps = 0;
			for (tok = strtok_r(optarg, ",", &save); tok && o->napps < 16;
			     tok = strtok_r(NULL, ",", &save)) {
				unsigned long a = strtoul(tok, &end, 10);
				if (*end || a > 65535) goto bad;
				o->apps[o->napps++] = (uint16_t)a;
			}
			if (!o->napps) goto bad;
			break;
		}
		case 't': o->tensor_bytes = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || !o->tensor_bytes) goto bad;
			break;
		case 'g': o->frag_bytes = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || !o->frag_bytes || o->frag_bytes > 1400) goto bad;
			break;
		case 'r': o->task_hz = strtod(optarg, &end);
			if (*end || o->task_hz <= 0) goto bad;
			break;
		case 'D': o->duration_s = strtod(optarg, &end);
			if (*end || o->duration_s <= 0) goto bad;
			break;
		case 'T': o->timeout_ms = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || !o->timeout_ms) goto bad;
			break;
		case 's': o->snr_db = strtod(optarg, &end); if (*end) goto bad; break;
		case 'R': o->task_spread = strtod(optarg, &end);
			if (*end || o->task_spread < 0 || o->task_spread >= 2) goto bad;
			break;
		case 'S': o->snr_spread_db = strtod(optarg, &end); if (*end) goto bad; break;
		case 'e': o->early_exit = 1; break;
		case 'x': {
			char *comma = strchr(optarg, ',');
			if (!comma) goto bad;
			*comma = '\0';
			if (es_parse_mac(optarg, o->direct_mac) || parse_ip4(comma + 1, o->direct_ip4))
				goto bad;
			o->direct = 1;
			break;
		}
		case 'l': o->timeline = optarg; break;
		case 'L': o->latencies = optarg; break;
		case 'P': o->per_device = optarg; break;
		case 'G': o->decision_log = optarg; break;
		case 'F':
			if (o->nphases == MAX_PHASES || parse_phase(optarg, &o->phases[o->nphases]))
				goto bad;
			o->nphases++;
			break;
		case 'j': o->json = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	for (unsigned int p = 0; p < o->nphases; p++)
		if (o->phases[p].lo >= o->ndevices) {
			fprintf(stderr, "error: es-devsim: --phase at %g s: device %u of %u\n",
				o->phases[p].at_s, o->phases[p].lo, o->ndevices);
			return -EINVAL;
		}
	if (optind != argc || !o->iface || (!have_mac && !o->direct)) {
		fprintf(stderr, "error: es-devsim: --iface and --ap-mac (or --direct) are required\n");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
bad:
	fprintf(stderr, "error: es-devsim: bad value '%s' for --%s\n", optarg, lo[li].name);
	return -EINVAL;
}

static struct esop_gen_spec frame_spec(const struct opts *o, const struct es_rawsock *s,
				       const struct device *d, uint8_t type)
{
	struct esop_gen_spec sp = { .encap = ESOP_ENC_V4 };

	memcpy(sp.src.mac, s->mac, 6);
	memcpy(sp.src.ip4, d->ip4, 4);
	sp.src.port = ESOP_DEFAULT_PORT;
	memcpy(sp.dst.mac, o->direct && type == ESOP_T_TENSOR ? o->direct_mac : o->ap_mac, 6);
	memcpy(sp.dst.ip4, o->direct && type == ESOP_T_TENSOR ? o->direct_ip4 : o->ap_ip4, 4);
	sp.dst.port = ESOP_DEFAULT_PORT;
	sp.hdr = esop_gen_hdr_default(type, d->id);
	sp.hdr.app_id = d->app;
	sp.hdr.task_id = d->task_id;
	sp.hdr.snr_qdb = d->snr_qdb;
	sp.hdr.total_len = d->task_bytes;
	sp.hdr.deadline_us = o->timeout_ms * 1000;
	if (d->early_exit)
		sp.hdr.flags |= ESOP_F_EARLY_EXIT_OK;
	return sp;
}

static void send_frame(struct es_rawsock *s, const struct esop_gen_spec *sp, struct totals *t)
{
	uint8_t buf[2048];
	int len = esop_gen_build(buf, sizeof(buf), sp);

	if (len < 0 || es_rawsock_send(s, buf, (size_t)len)) {
		t->send_errors++;
		return;
	}
	t->bytes_sent += (uint64_t)len;
}

static void send_tensor(const struct opts *o, struct es_rawsock *s, struct device *d,
			uint16_t split_layer, struct totals *t)
{
	struct esop_gen_spec sp = frame_spec(o, s, d, ESOP_T_TENSOR);

	sp.hdr.layer = split_layer;
	for (uint32_t off = 0; off < d->task_bytes; off += o->frag_bytes) {
		uint32_t n = d->task_bytes - off < o->frag_bytes ? d->task_bytes - off
								 : o->frag_bytes;
		sp.hdr.frag_off = off;
		sp.payload_len = n;
		sp.payload_fill = (uint8_t)off;
		sp.hdr.flags = (uint8_t)((sp.hdr.flags & ~ESOP_F_LAST_FRAGMENT) |
			       (off + n == d->task_bytes ? ESOP_F_LAST_FRAGMENT : 0));
		send_frame(s, &sp, t);
		t->frags_sent++;
		d->tensor_bytes += n;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Latency samples (µs), with percentiles read from a sorted copy. */
struct lat {
	uint32_t *v;
	size_t n, cap;
};

static void lat_add(struct lat *l, uint32_t us)
{
	if (l->n < l->cap)
		l->v[l->n++] = us;
}

static uint32_t lat_pct(struct lat *l, double p)
{
	if (!l->n)
		return 0;
	qsort(l->v, l->n, sizeof(*l->v), cmp_u32);
	size_t i = (size_t)(p * (double)(l->n - 1) + 0.5);
	return l->v[i];
}

/*
 * Each device's counters so far, for per-device rates: written aside and
 * renamed so that a reader never sees half a file.
 */
static int write_per_device(const char *path, double sec, const struct device *devs,
			    unsigned int n)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "{\"t\": %.1f, \"fields\": [\"id\", \"app\", \"decisions\", \"results\", "
		"\"tensor_bytes\", \"target\", \"split_layer\", \"exit_point\", \"rate_kbps\", "
		"\"epoch\", \"snr_qdb\", \"task_bytes\", \"early_exit\", \"active\"], "
		"\"devices\": [", sec);
	for (unsigned int i = 0; i < n; i++) {
		const struct device *d = &devs[i];

		fprintf(f, "%s\n[%u, %u, %llu, %llu, %llu, %u, %u, %u, %u, %u, %d, %u, %u, %u]",
			i ? "," : "", d->id, d->app, (unsigned long long)d->decisions,
			(unsigned long long)d->results, (unsigned long long)d->tensor_bytes,
			d->last.target, d->last.split, d->last.exit, d->last.rate_kbps,
			d->last.epoch, d->snr_qdb, d->task_bytes, d->early_exit, d->active);
	}
	fputs("]}\n", f);
	if (fclose(f))
		return -errno;
	return rename(tmp, path) ? -errno : 0;
}

/* Every sample, for a distribution plot: sorted, as lat_pct left them. */
static int write_latencies(const char *path, const struct lat *l)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%u\n", l->v[i]);
	return fclose(f) ? -errno : 0;
}

/* Keeps @d's newest DECISION; a line in --decision-log when it differs. */
static void note_decision(FILE *log, struct device *d, const uint8_t *dec, uint64_t now,
			  uint64_t t0)
{
	struct last_decision n = {
		.target = dec[ESOP_DEC_OFF_TARGET_KIND], .server = dec[ESOP_DEC_OFF_SERVER],
		.exit = dec[ESOP_DEC_OFF_EXIT_POINT],
		.split = esop_rd16(dec + ESOP_DEC_OFF_SPLIT_LAYER),
		.rate_kbps = esop_rd32(dec + ESOP_DEC_OFF_RATE_KBPS),
		.epoch = esop_rd32(dec + ESOP_DEC_OFF_POLICY_EPOCH),
	};
	int changed = !d->decisions || n.target != d->last.target || n.server != d->last.server ||
		      n.exit != d->last.exit || n.split != d->last.split ||
		      n.rate_kbps != d->last.rate_kbps;

	d->last = n;
	if (!log || !changed)
		return;
	fprintf(log, "{\"t\": %.3f, \"mono\": %.3f, \"id\": %u, \"snr_qdb\": %d, "
		"\"task_bytes\": %u, \"early_exit\": %u, \"target\": %u, \"server\": %u, "
		"\"split_layer\": %u, \"exit_point\": %u, \"rate_kbps\": %u, \"epoch\": %u}\n",
		(double)(now - t0) / 1e9, (double)now / 1e9, d->id, d->req_snr_qdb, d->task_bytes,
		d->early_exit, n.target, n.server, n.split, n.exit, n.rate_kbps, n.epoch);
}

static void handle_frame(const struct opts *o, struct es_rawsock *s, struct device *devs,
			 const uint8_t *f, int len, uint64_t now, struct totals *t,
			 struct lat *all, struct lat *win, FILE *log, uint64_t t0)
{
	struct esop_parse_cfg cfg = { 0 };
	struct esop_pkt pkt;
	struct device *d;

	if (esop_parse(f, f + len, &cfg, &pkt) != ESOP_V_NEEDS_TABLE)
		return;
	if (pkt.device_id < o->first_id || pkt.device_id - o->first_id >= o->ndevices) {
		t->stray++;
		return;
	}
	d = &devs[pkt.device_id - o->first_id];
	if (pkt.task_id != d->task_id) {
		t->stray++;
		return;
	}
	if (pkt.type == ESOP_T_DECISION && d->state == DEV_WAIT_DECISION &&
	    pkt.payload_len >= ESOP_DECISION_BYTES) {
		const uint8_t *dec = f + pkt.payload_off;
		uint8_t kind = dec[ESOP_DEC_OFF_TARGET_KIND];
		uint32_t us = (uint32_t)((now - d->req_ns) / 1000);

		note_decision(log, d, dec, now, t0);
		t->decisions++;
		d->decisions++;
		t->last_epoch = esop_rd32(dec + ESOP_DEC_OFF_POLICY_EPOCH);
		lat_add(all, us);
		lat_add(win, us);
		t->by_target[kind <= ESOP_TARGET_CLOUD ? kind : 0]++;
		if (kind == ESOP_TARGET_EDGE || kind == ESOP_TARGET_CLOUD) {
			send_tensor(o, s, d, esop_rd16(dec + ESOP_DEC_OFF_SPLIT_LAYER), t);
			d->state = DEV_WAIT_RESULT;
			d->next_ns = now + (uint64_t)o->timeout_ms * 1000000;
		} else {
			d->state = DEV_IDLE;
			d->next_ns = d->req_ns + d->period_ns;
		}
	} else if (pkt.type == ESOP_T_RESULT && d->state == DEV_WAIT_RESULT) {
		t->results++;
		d->results++;
		d->state = DEV_IDLE;
		d->next_ns = d->req_ns + d->period_ns;
	}
}

/* Task period of device @i at @hz, with --task-rate-spread. */
static uint64_t period_of(const struct opts *o, unsigned int i, double hz)
{
	double pos = o->ndevices > 1 ? (double)i / (o->ndevices - 1) - 0.5 : 0;

	return (uint64_t)(1e9 / (hz * (1 + o->task_spread * pos)));
}

/* Applies the phases due at @now (from @t0); a paused device resumes at once. */
static void run_phases(struct opts *o, struct device *devs, uint64_t t0, uint64_t now)
{
	for (unsigned int p = 0; p < o->nphases; p++) {
		struct phase *ph = &o->phases[p];

		if (ph->done || now < t0 + (uint64_t)(ph->at_s * 1e9))
			continue;
		ph->done = 1;
		for (unsigned int i = ph->lo; i <= ph->hi && i < o->ndevices; i++) {
			struct device *d = &devs[i];

			if (ph->set_bytes)
				d->task_bytes = ph->task_bytes;
			if (ph->set_rate)
				d->period_ns = period_of(o, i, ph->task_hz);
			if (ph->set_snr)
				d->snr_qdb = (int16_t)(ph->snr_db * 4);
			if (ph->set_early)
				d->early_exit = (uint8_t)ph->early_exit;
			if (ph->set_active) {
				if (ph->active && !d->active && d->next_ns < now)
					d->next_ns = now;
				d->active = (uint8_t)ph->active;
			}
		}
	}
}

static void start_task(const struct opts *o, struct es_rawsock *s, struct device *d,
		       uint64_t now, struct totals *t)
{
	d->task_id++;
	d->req_ns = now;
	d->req_snr_qdb = d->snr_qdb;
	if (o->direct) {
		t->by_target[ESOP_TARGET_EDGE]++;
		send_tensor(o, s, d, 0, t);
		d->state = DEV_WAIT_RESULT;
	} else {
		struct esop_gen_spec sp = frame_spec(o, s, d, ESOP_T_OFFLOAD_REQ);

		send_frame(s, &sp, t);
		t->reqs++;
		d->state = DEV_WAIT_DECISION;
	}
	d->next_ns = now + (uint64_t)o->timeout_ms * 1000000;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct es_rawsock s;
	struct totals t = { 0 };
	struct lat all = { 0 }, win = { 0 };
	FILE *tl = NULL, *dlog = NULL;
	uint8_t buf[4096];
	int err;

	if (parse_opts(argc, argv, &o))
		return 2;
	err = es_rawsock_open(&s, o.iface);
	if (err) {
		fprintf(stderr, "error: es-devsim: %s: %s\n", o.iface, strerror(-err));
		return 1;
	}
	if (o.timeline && !(tl = fopen(o.timeline, "w"))) {
		fprintf(stderr, "error: es-devsim: %s: %s\n", o.timeline, strerror(errno));
		return 1;
	}
	if (o.decision_log && !(dlog = fopen(o.decision_log, "w"))) {
		fprintf(stderr, "error: es-devsim: %s: %s\n", o.decision_log, strerror(errno));
		return 1;
	}
	struct device *devs = calloc(o.ndevices, sizeof(*devs));
	all.cap = 1 << 20;
	all.v = malloc(all.cap * sizeof(uint32_t));
	win.cap = 1 << 16;
	win.v = malloc(win.cap * sizeof(uint32_t));
	if (!devs || !all.v || !win.v) {
		fprintf(stderr, "error: es-devsim: out of memory\n");
		return 1;
	}
	uint64_t t0 = es_now_ns(), period = (uint64_t)(1e9 / o.task_hz);
	uint32_t base;
	memcpy(&base, o.dev_net, 4);
	base = ntohl(base);
	for (unsigned int i = 0; i < o.ndevices; i++) {
		struct device *d = &devs[i];
		uint32_t ip = htonl(base + i + 1);
		double pos = o.ndevices > 1 ? (double)i / (o.ndevices - 1) - 0.5 : 0;
		double spread = o.snr_spread_db * pos;

		d->id = o.first_id + i;
		d->app = o.apps[i % o.napps];
		d->snr_qdb = (int16_t)((o.snr_db + spread) * 4);
		memcpy(d->ip4, &ip, 4);
		d->period_ns = period_of(&o, i, o.task_hz);
		d->next_ns = t0 + period * i / o.ndevices;	/* spread the starts */
		d->task_bytes = o.tensor_bytes;
		d->early_exit = (uint8_t)o.early_exit;
		d->active = 1;
	}
	run_phases(&o, devs, t0, t0);
	es_catch_stop_signals();

	uint64_t end = t0 + (uint64_t)(o.duration_s * 1e9), next_tick = t0 + 1000000000ull;
	struct totals at_tick = t;
	while (!es_stop_requested()) {
		uint64_t now = es_now_ns();

		if (now >= end)
			break;
		run_phases(&o, devs, t0, now);
		for (unsigned int i = 0; i < o.ndevices; i++) {
			struct device *d = &devs[i];

			if (now < d->next_ns || (!d->active && d->state == DEV_IDLE))
				continue;
			if (!d->active) {	/* paused: its open task times out, no new one */
				if (d->state != DEV_IDLE)
					t.timeouts++;
				d->state = DEV_IDLE;
				continue;
			}
			if (d->state != DEV_IDLE)
				t.timeouts++;
			start_task(&o, &s, d, now, &t);
		}
		int n;
		while ((n = es_rawsock_recv(&s, buf, sizeof(buf), 1)) > 0)
			handle_frame(&o, &s, devs, buf, n, es_now_ns(), &t, &all, &win, dlog, t0);
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "error: es-devsim: receive: %s\n", strerror(-n));
			return 1;
		}
		if (now >= next_tick) {
			double sec = (double)(now - t0) / 1e9;
			if (dlog)
				fflush(dlog);
			if (tl) {
				fprintf(tl, "{\"t\": %.1f, \"reqs\": %llu, \"decisions\": %llu, "
					"\"edge\": %llu, \"cloud\": %llu, \"local\": %llu, "
					"\"results\": %llu, \"timeouts\": %llu, \"frags\": %llu, "
					"\"p50_us\": %u, \"p99_us\": %u, \"epoch\": %u, \"mono\": %.3f}\n", sec,
					(unsigned long long)(t.reqs - at_tick.reqs),
					(unsigned long long)(t.decisions - at_tick.decisions),
					(unsigned long long)(t.by_target[1] - at_tick.by_target[1]),
					(unsigned long long)(t.by_target[2] - at_tick.by_target[2]),
					(unsigned long long)(t.by_target[0] - at_tick.by_target[0]),
					(unsigned long long)(t.results - at_tick.results),
					(unsigned long long)(t.timeouts - at_tick.timeouts),
					(unsigned long long)(t.frags_sent - at_tick.frags_sent),
					lat_pct(&win, 0.5), lat_pct(&win, 0.99), t.last_epoch,
					(double)now / 1e9);
				fflush(tl);
			}
			err = o.per_device ? write_per_device(o.per_device, sec, devs, o.ndevices) : 0;
			if (err) {
				fprintf(stderr, "error: es-devsim: %s: %s\n", o.per_device,
					strerror(-err));
				return 1;
			}
			if (isatty(STDERR_FILENO))
				fprintf(stderr, "\r%5.0f s  reqs %llu  decisions %llu  results %llu  "
					"timeouts %llu   ", sec, (unsigned long long)t.reqs,
					(unsigned long long)t.decisions,
					(unsigned long long)t.results,
					(unsigned long long)t.timeouts);
			win.n = 0;
			at_tick = t;
			next_tick += 1000000000ull;
		}
	}
	if (isatty(STDERR_FILENO))
		fputc('\n', stderr);
	double secs = (double)(es_now_ns() - t0) / 1e9;
	FILE *out = stdout;
	fprintf(out, o.json ? "{\"seconds\": %.2f, \"devices\": %u, \"reqs\": %llu, "
		"\"decisions\": %llu, \"results\": %llu, \"timeouts\": %llu, "
		"\"edge\": %llu, \"cloud\": %llu, \"local\": %llu, \"fragments\": %llu, "
		"\"bytes\": %llu, \"send_errors\": %llu, \"stray\": %llu, "
		"\"decision_p50_us\": %u, \"decision_p99_us\": %u, \"decision_p999_us\": %u, "
		"\"last_epoch\": %u}\n"
		: "seconds %.2f devices %u reqs %llu decisions %llu results %llu timeouts %llu "
		"edge %llu cloud %llu local %llu fragments %llu bytes %llu send_errors %llu "
		"stray %llu decision_p50_us %u p99_us %u p999_us %u last_epoch %u\n",
		secs, o.ndevices, (unsigned long long)t.reqs, (unsigned long long)t.decisions,
		(unsigned long long)t.results, (unsigned long long)t.timeouts,
		(unsigned long long)t.by_target[1], (unsigned long long)t.by_target[2],
		(unsigned long long)t.by_target[0], (unsigned long long)t.frags_sent,
		(unsigned long long)t.bytes_sent, (unsigned long long)t.send_errors,
		(unsigned long long)t.stray, lat_pct(&all, 0.5), lat_pct(&all, 0.99),
		lat_pct(&all, 0.999), t.last_epoch);
	if (tl)
		fclose(tl);
	if (dlog && fclose(dlog)) {
		fprintf(stderr, "error: es-devsim: %s: %s\n", o.decision_log, strerror(errno));
		err = 1;
	}
	if (o.latencies && write_latencies(o.latencies, &all)) {
		fprintf(stderr, "error: es-devsim: %s: %s\n", o.latencies, strerror(errno));
		err = 1;
	}
	es_rawsock_close(&s);
	free(devs);
	free(all.v);
	free(win.v);
	return err;
}
