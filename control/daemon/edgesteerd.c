/* SPDX-License-Identifier: MIT */
/*
 * edgesteerd: the control-plane daemon. Owns the policy table in force,
 * serves edgesteerctl on a UNIX socket, pushes tables two-phase through its
 * stages (the table file on disk, the fast path edgesteer-dp, the XDP
 * maps), comes back with the last table after a restart or a kill -9
 * (re-adopting the XDP program that kept serving), and runs the configured
 * policy every epoch.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_balance.h"
#include "ctl_dp.h"
#include "ctl_mon.h"
#include "ctl_proto.h"
#include "ctl_stage.h"
#include "fp_mon.h"
#include "ctl_xdp.h"
#include "xdpc.h"
#include "policy.h"
#include "ptab.h"
#include "ptab_store.h"

#define MAX_STAGES	4
/* --xdp-afxdp: how long edgesteer-dp may take to attach its program */
#define XDP_AFXDP_WAIT_S	30

struct daemon_stats {
	uint64_t requests, bad_requests, refused_peers, timed_out;
	uint64_t pushes, pushes_refused, rollbacks;
	uint64_t epochs, policy_tables, policy_errors, rebalances;
	double last_push_ms, last_load_ms, last_stage_ms, last_balance_ms;
	double last_stage_each_ms[MAX_STAGES];	/* by stage: prepare + commit */
};

struct daemon {
	const char *socket_path;
	const char *state_dir;
	gid_t group;
	unsigned int epoch_ms, keep;
	struct ptab_limits lim;
	const struct ctl_policy_ops *policy;
	void *policy_state;
	struct es_policy cur;		/* the table in force */
	int have_table;
	uint8_t *picks;			/* server per app of cur (ctl_push.server) */
	struct ctl_server_obs srv_obs[ES_MAX_SERVERS];
	struct ctl_stage stages[MAX_STAGES];
	size_t nstages;
	struct ptab_store_txn store_tx;
	char *rx;			/* request buffer, kept between pushes */
	size_t rx_cap;
	struct daemon_stats st;
	struct timespec started;
	int verbose;
	struct ctl_xdp *xdp;		/* NULL without --xdp-if */
	struct ctl_xdp_cfg xdp_cfg;
	const char *xdp_mode;		/* what the kernel gave */
	int xdp_adopted;
	struct ctl_dp *dp;		/* NULL without --dp-socket */
	const char *dp_path;
	struct ctl_device_obs *dev_obs;	/* one per device in force */
	struct ctl_mon *mon;		/* with --dp-socket: measured task latency */
	struct ctl_mon_cfg mon_cfg;
};

/* Device meters are read each epoch up to this many devices. */
#define OBS_METER_MAX	65536u

__attribute__((format(printf, 2, 3)))
static void say(const char *level, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: edgesteerd: ", level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/*
 * Test only (docs/faults.md): ES_FAULT_AT=STAGE.prepared or STAGE.committed
 * (STAGE: store, dp, xdp) kills the daemon with SIGKILL at that step of the
 * first push that reaches it once serving, so a test can show that a push
 * cut at any step leaves the old or the new table in each stage. Unset, it
 * does nothing.
 */
static const char *fault_at;

static void fault_hook(const char *point)
{
	if (strcmp(point, fault_at))
		return;
	say("warning", "ES_FAULT_AT=%s reached: SIGKILL (test only)", point);
	raise(SIGKILL);
}

/* --- the table file as a stage: prepare writes + fsyncs, commit renames --- */

static int store_prepare(void *ctx, const struct ctl_push *next, char *why, size_t n)
{
	struct daemon *d = ctx;
	int rc = ptab_store_prepare(d->state_dir, next->table, next->delta, &d->store_tx);

	if (rc)
		snprintf(why, n, "cannot write the table file in %s: %s", d->state_dir,
			 strerror(-rc));
	return rc;
}

static int store_commit(void *ctx)
{
	struct daemon *d = ctx;
	int rc = ptab_store_commit(d->state_dir, &d->store_tx, d->keep);

	if (rc)
		say("error", "table file not moved into place in %s: %s", d->state_dir,
		    strerror(-rc));
	return rc;
}

static void store_abort(void *ctx)
{
	ptab_store_abort(&((struct daemon *)ctx)->store_tx);
}

static const struct ctl_stage_ops store_stage = {
	.name = "store",
	.prepare = store_prepare,
	.commit = store_commit,
	.abort = store_abort,
};

/*
 * Puts @next (owned by us from here) in force through every stage, or
 * leaves everything as it was and says why. @persist: 0 only when the
 * table is what is already on disk (startup).
 */
static int apply_table(struct daemon *d, struct es_policy *next,
		       const struct ptab_delta *delta, int persist, char *why, size_t why_len)
{
	uint8_t *picks = malloc((size_t)next->napps + 1);
	struct ctl_push push = { next, picks, delta };
	size_t first = persist ? 0 : 1;
	double t0 = now_ms();
	int rc;

	if (!picks) {
		ptab_free(next);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	/* a delta: only its devices are placed again (what the fast path gets) */
	rc = delta && d->have_table ? ctl_balance_delta(&d->cur, d->picks, next, delta, d->srv_obs,
							picks) : -EINVAL;
	if (rc == -EINVAL)
		rc = ctl_balance(next, d->srv_obs, NULL, picks);
	d->st.last_balance_ms = now_ms() - t0;
	memset(d->st.last_stage_each_ms, 0, sizeof(d->st.last_stage_each_ms));
	if (!rc)
		rc = ctl_stages_push_timed(d->stages + first, d->nstages - first, &push, why,
					   why_len, d->st.last_stage_each_ms + first);
	else
		snprintf(why, why_len, "a kind has no server to balance onto");
	d->st.last_stage_ms = now_ms() - t0;
	if (rc) {
		free(picks);
		ptab_free(next);
		return rc;
	}
	ptab_free(&d->cur);
	free(d->picks);
	d->cur = *next;
	d->picks = picks;
	d->have_table = 1;
	memset(next, 0, sizeof(*next));
	return 0;
}

/* --- requests --- */

struct reply {
	int32_t status;
	char *buf;			/* malloc'd, or NULL with text */
	size_t len;
	char text[PTAB_ERR_MAX + 256];
};

__attribute__((format(printf, 3, 4)))
static void reply_text(struct reply *r, int32_t status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

static void handle_push(struct daemon *d, const struct ctl_req *q, struct reply *r)
{
	struct ptab_load_info info;
	struct ptab_error err = { "" };
	struct ptab_delta delta;
	const char *name = q->name[0] ? q->name : "push";
	char why[512];
	struct es_policy next;
	double t0 = now_ms();
	int rc;

	rc = ptab_load(name, q->json, q->json_len, d->have_table ? &d->cur : NULL, &d->lim,
		       q->flags & CTL_F_FORCE ? PTAB_F_FORCE : 0, &next, &info, &delta, &err);
	d->st.last_load_ms = now_ms() - t0;
	if (rc) {
		d->st.pushes_refused++;
		reply_text(r, rc, "%s (nothing applied; epoch %llu stays in force)", err.msg,
			   (unsigned long long)d->cur.epoch);
		return;
	}
	rc = apply_table(d, &next, info.delta ? &delta : NULL, 1, why, sizeof(why));
	ptab_delta_free(&delta);
	if (rc) {
		d->st.pushes_refused++;
		reply_text(r, rc, "%s: refused by a stage: %s (nothing applied; epoch %llu "
			   "stays in force)", name, why, (unsigned long long)d->cur.epoch);
		return;
	}
	d->st.pushes++;
	d->st.last_push_ms = now_ms() - t0;
	say("info", "epoch %llu in force from %s: %u devices (%u added, %u replaced, "
	    "%u removed) in %.1f ms", (unsigned long long)d->cur.epoch, name, d->cur.ndevices,
	    info.added, info.replaced, info.removed, d->st.last_push_ms);
	reply_text(r, 0, "epoch %llu in force: %u devices, %u apps, %u servers "
		   "(%s: %u added, %u replaced, %u removed) in %.1f ms",
		   (unsigned long long)d->cur.epoch, d->cur.ndevices, d->cur.napps,
		   d->cur.nservers, info.delta ? "delta" : "table", info.added,
		   info.replaced, info.removed, d->st.last_push_ms);
}

static void handle_show(struct daemon *d, uint32_t id, struct reply *r)
{
	FILE *f;

	if (!d->have_table) {
		reply_text(r, -ENOENT, "no table in force (push one)");
		return;
	}
	f = open_memstream(&r->buf, &r->len);
	if (!f) {
		reply_text(r, -ENOMEM, "out of memory");
		return;
	}
	int rc = ptab_write_json(&d->cur, f, id);

	fclose(f);
	if (rc) {
		free(r->buf);
		r->buf = NULL;
		reply_text(r, rc, "device %u is not in the table in force (epoch %llu)", id,
			   (unsigned long long)d->cur.epoch);
	}
	r->status = rc;
}

static void handle_rollback(struct daemon *d, uint64_t epoch, struct reply *r)
{
	char why[512];
	struct ptab_error err = { "" };
	struct es_policy t;
	uint64_t kept[256];
	size_t n;
	int rc;

	rc = ptab_store_list(d->state_dir, kept, 256, &n);
	if (rc) {
		reply_text(r, rc, "cannot list %s: %s", d->state_dir, strerror(-rc));
		return;
	}
	if (!epoch) {
		for (size_t i = 0; i < n; i++)
			if (kept[i] < d->cur.epoch)
				epoch = kept[i];
		if (!epoch) {
			reply_text(r, -ENOENT, "no kept table older than epoch %llu",
				   (unsigned long long)d->cur.epoch);
			return;
		}
	}
	rc = ptab_store_read_epoch(d->state_dir, epoch, &d->lim, &t, &err);
	if (rc) {
		reply_text(r, rc, "epoch %llu: %s", (unsigned long long)epoch,
			   rc == -ENOENT ? "not kept (see `edgesteerctl stats` for the kept ones)"
			   : err.msg);
		return;
	}
	rc = apply_table(d, &t, NULL, 1, why, sizeof(why));
	if (rc) {
		reply_text(r, rc, "rollback refused by a stage: %s (epoch %llu stays in force)",
			   why, (unsigned long long)d->cur.epoch);
		return;
	}
	d->st.rollbacks++;
	say("info", "rolled back: epoch %llu in force", (unsigned long long)epoch);
	reply_text(r, 0, "epoch %llu in force again: %u devices", (unsigned long long)epoch,
		   d->cur.ndevices);
}

static void print_u64s(FILE *f, const char *name, const uint64_t *v, size_t n)
{
	fprintf(f, "\"%s\": [", name);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)v[i]);
	fputc(']', f);
}

/* What each stage judges by now, read back from it, and its counters. */
static void stats_stages(struct daemon *d, FILE *f)
{
	struct es_xdp_stats xs;
	struct fp_msg_stats fs;
	uint64_t epoch;

	if (d->xdp) {
		fprintf(f, "  \"xdp\": { \"if\": \"%s\", \"mode\": \"%s\", \"adopted\": %s, ",
			d->xdp_cfg.ifname, d->xdp_mode, d->xdp_adopted ? "true" : "false");
		if (!ctl_xdp_epoch(d->xdp, &epoch))
			fprintf(f, "\"epoch\": %llu, ", (unsigned long long)epoch);
		if (!ctl_xdp_stats(d->xdp, &xs)) {
			/* by enum esop_verdict, by drop reason, by XDP action */
			print_u64s(f, "verdicts", (const uint64_t *)xs.verdict, ESOP_V__COUNT);
			fputs(", ", f);
			print_u64s(f, "drops", (const uint64_t *)xs.reason, ESOP_DROP__COUNT);
			fputs(", ", f);
			print_u64s(f, "actions", (const uint64_t *)xs.action, ES_XDP_NACTION);
			fprintf(f, ", \"no_xsk\": %llu, \"bind_mismatch\": %llu",
				(unsigned long long)xs.no_xsk,
				(unsigned long long)xs.bind_mismatch);
		}
		fputs(" },\n", f);
	}
	if (d->dp) {
		int up = !ctl_dp_tick(d->dp, NULL, NULL) && !ctl_dp_stats(d->dp, &fs);

		fprintf(f, "  \"dp\": { \"socket\": \"%s\", \"up\": %s", d->dp_path,
			up ? "true" : "false");
		if (up) {
			fprintf(f, ", \"epoch\": %llu, \"rx\": %llu, \"tx\": %llu, "
				"\"decisions\": %llu, \"swaps\": %llu, \"refused\": %llu, "
				"\"bind_mismatch\": %llu, \"reply_limited\": %llu, "
				"\"deltas\": %llu, \"merges\": %llu, ",
				(unsigned long long)fs.epoch,
				(unsigned long long)fs.counters[FP_C_RX],
				(unsigned long long)fs.counters[FP_C_TX],
				(unsigned long long)fs.counters[FP_C_DECISION],
				(unsigned long long)fs.counters[FP_C_SWAPS],
				(unsigned long long)fs.counters[FP_C_REFUSED],
				(unsigned long long)fs.counters[FP_C_BIND_MISMATCH],
				(unsigned long long)fs.counters[FP_C_REPLY_LIMITED],
				(unsigned long long)fs.counters[FP_C_DELTAS],
				(unsigned long long)fs.counters[FP_C_MERGES]);
			print_u64s(f, "verdicts", fs.verdicts, FP_MSG_NVERDICTS);
			fputs(", ", f);
			print_u64s(f, "drops", fs.drops, FP_MSG_NREASONS);
			fputs(", ", f);
			/* by the table's server index, totals since it started */
			print_u64s(f, "server_frames", fs.server_frames, d->cur.nservers);
		}
		fputs(" },\n", f);
	}
}

static void handle_stats(struct daemon *d, struct reply *r)
{
	struct timespec t;
	uint64_t kept[256];
	size_t n = 0;
	FILE *f;

	ptab_store_list(d->state_dir, kept, 256, &n);
	clock_gettime(CLOCK_MONOTONIC, &t);
	f = open_memstream(&r->buf, &r->len);
	if (!f) {
		reply_text(r, -ENOMEM, "out of memory");
		return;
	}
	fprintf(f, "{ \"table\": { \"in_force\": %s, \"epoch\": %llu, \"devices\": %u, "
		"\"apps\": %u, \"servers\": %u, \"kept_epochs\": [",
		d->have_table ? "true" : "false", (unsigned long long)d->cur.epoch,
		d->cur.ndevices, d->cur.napps, d->cur.nservers);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)kept[i]);
	fprintf(f, "] },\n  \"policy\": { \"name\": \"%s\", \"epoch_ms\": %u, \"epochs\": %llu, "
		"\"tables\": %llu, \"errors\": %llu },\n",
		d->policy->name, d->epoch_ms, (unsigned long long)d->st.epochs,
		(unsigned long long)d->st.policy_tables, (unsigned long long)d->st.policy_errors);
	fprintf(f, "  \"requests\": { \"total\": %llu, \"malformed\": %llu, "
		"\"refused_peers\": %llu, \"timed_out\": %llu },\n",
		(unsigned long long)d->st.requests, (unsigned long long)d->st.bad_requests,
		(unsigned long long)d->st.refused_peers, (unsigned long long)d->st.timed_out);
	fprintf(f, "  \"pushes\": { \"applied\": %llu, \"refused\": %llu, \"rollbacks\": %llu, "
		"\"last_ms\": %.3f, \"last_load_ms\": %.3f, \"last_stages_ms\": %.3f },\n",
		(unsigned long long)d->st.pushes, (unsigned long long)d->st.pushes_refused,
		(unsigned long long)d->st.rollbacks, d->st.last_push_ms, d->st.last_load_ms,
		d->st.last_stage_ms);
	/* where the last push's time went, for the push benchmark */
	fprintf(f, "  \"last_push_breakdown_ms\": { \"load\": %.3f, \"balance\": %.3f",
		d->st.last_load_ms, d->st.last_balance_ms);
	for (size_t i = 0; i < d->nstages; i++)
		fprintf(f, ", \"%s\": %.3f", d->stages[i].ops->name, d->st.last_stage_each_ms[i]);
	fprintf(f, " },\n");
	fprintf(f, "  \"stages\": [");
	for (size_t i = 0; i < d->nstages; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", d->stages[i].ops->name);
	fprintf(f, "],\n  \"servers\": [");
	uint64_t apps[256] = { 0 };

	for (uint32_t a = 0; a < d->cur.napps && d->picks; a++)
		apps[d->picks[a]]++;
	for (uint32_t s = 0; s < d->cur.nservers; s++)
		fprintf(f, "%s\n    { \"name\": \"%s\", \"apps\": %llu, \"bytes\": %llu, "
			"\"queue_depth\": %u }", s ? "," : "", d->cur.servers[s].name,
			(unsigned long long)apps[s], (unsigned long long)d->srv_obs[s].bytes,
			d->srv_obs[s].queue_depth);
	fprintf(f, "%s],\n", d->cur.nservers ? "\n  " : "");
	if (d->mon) {
		fputs("  ", f);
		ctl_mon_write_json(d->mon, &d->cur, f);
		fputs(",\n", f);
	}
	stats_stages(d, f);
	fprintf(f, "  \"uptime_s\": %lld\n}\n", (long long)(t.tv_sec - d->started.tv_sec));
	fclose(f);
	r->status = 0;
}

static int file_size(int fd, uint64_t *len)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > PTAB_MAX_INPUT_BYTES)
		return -EINVAL;
	*len = (uint64_t)st.st_size;
	return 0;
}

/* Exactly @len bytes from offset 0 (a file that shrank meanwhile fails). */
static int read_file(int fd, char *buf, uint64_t len)
{
	uint64_t got = 0;

	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		got += (uint64_t)r;
	}
	return 0;
}

static int peer_allowed(const struct daemon *d, int fd)
{
	struct ucred cr;
	socklen_t n = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &n))
		return 0;
	return cr.uid == 0 || cr.uid == geteuid() || cr.gid == d->group;
}

/*
 * One request and its reply, each by its deadline (ctl_proto.h): a peer
 * that sends slowly, or nothing, or does not read, holds the daemon (and
 * its epoch loop) for at most that long, then gets -ETIMEDOUT.
 */
static void serve_one(struct daemon *d, int fd)
{
	uint64_t start = ctl_proto_now_ms(), deadline = ctl_proto_deadline_ms(start, 0);
	struct reply r = { 0 };
	struct ctl_msg_hdr h;
	int rc, passed = -1;

	d->st.requests++;
	if (!peer_allowed(d, fd)) {
		d->st.refused_peers++;
		reply_text(&r, -EACCES, "not allowed: root, the daemon's user or its group only");
		goto send;
	}
	rc = ctl_proto_recv_hdr_fd(fd, &h, &passed, deadline);
	if (rc == -ETIMEDOUT)
		goto timed_out;
	if (!rc)
		rc = ctl_proto_check_req(&h);
	if (!rc && (h.flags & CTL_F_FD) != (passed >= 0 ? CTL_F_FD : 0))
		rc = -EBADF;	/* a descriptor without the flag, or the flag without one */
	if (rc) {
		d->st.bad_requests++;
		reply_text(&r, rc, "malformed request (%s): nothing changed", strerror(-rc));
		goto send;
	}
	uint64_t file_len = 0;

	if (passed >= 0) {
		rc = file_size(passed, &file_len);
		if (rc) {
			d->st.bad_requests++;
			reply_text(&r, rc, "push: the descriptor sent is not a readable regular "
				   "file under %llu bytes", PTAB_MAX_INPUT_BYTES);
			goto send;
		}
	}
	if (h.len + file_len + 1 > d->rx_cap) {
		char *nb = realloc(d->rx, h.len + file_len + 1);

		if (!nb) {
			reply_text(&r, -ENOMEM, "no memory for a %llu-byte request",
				   (unsigned long long)h.len);
			goto send;
		}
		d->rx = nb;
		d->rx_cap = h.len + file_len + 1;
	}
	rc = ctl_proto_read_by(fd, d->rx, h.len, ctl_proto_deadline_ms(start, h.len));
	if (rc == -ETIMEDOUT)
		goto timed_out;
	if (rc) {
		d->st.bad_requests++;
		say("warning", "request cut short (%s): ignored", strerror(-rc));
		goto out;
	}
	if (passed >= 0) {
		/* the file's JSON goes right after the name, as if sent inline */
		rc = read_file(passed, d->rx + h.len, file_len);
		if (rc) {
			reply_text(&r, rc, "push: cannot read the file sent: %s", strerror(-rc));
			goto send;
		}
		h.len += file_len;
	}
	d->rx[h.len] = '\0';
	struct ctl_req q;
	char why[128];

	rc = ctl_proto_decode_req(&h, d->rx, h.len, &q, why, sizeof(why));
	if (rc) {
		d->st.bad_requests++;
		reply_text(&r, rc, "%s", why);
		goto send;
	}
	switch (q.type) {
	case CTL_REQ_PUSH:
		handle_push(d, &q, &r);
		break;
	case CTL_REQ_SHOW:
		handle_show(d, q.device, &r);
		break;
	case CTL_REQ_ROLLBACK:
		handle_rollback(d, q.epoch, &r);
		break;
	case CTL_REQ_STATS:
		handle_stats(d, &r);
		break;
	}
send:;
	struct ctl_msg_hdr rh;
	const void *body = r.buf ? (const void *)r.buf : r.text;
	size_t blen = r.buf ? r.len : strlen(r.text);

	ctl_proto_hdr(&rh, CTL_REPLY, 0, r.status, blen);
	if (ctl_proto_send_by(fd, &rh, body, blen, NULL, 0,
			      ctl_proto_deadline_ms(ctl_proto_now_ms(), sizeof(rh) + blen)))
		say("warning", "reply not delivered");
	free(r.buf);
out:
	if (passed >= 0)
		close(passed);
	return;

timed_out:
	d->st.timed_out++;
	say("warning", "request incomplete at its deadline (%u ms + 1 ms per %u bytes): refused",
	    CTL_DEADLINE_BASE_MS, CTL_DEADLINE_BYTES_PER_MS);
	reply_text(&r, -ETIMEDOUT, "request not complete within its deadline: nothing changed");
	goto send;
}

/* --- the epoch loop --- */

/* Per-device demand from the XDP meters, SNR and app from the fast path. */
static void observe(struct daemon *d, struct ctl_epoch_obs *obs)
{
	struct ctl_device_obs *o = realloc(d->dev_obs,
					   ((size_t)d->cur.ndevices + 1) * sizeof(*o));

	if (!o)
		return;
	d->dev_obs = o;
	memset(o, 0, (size_t)d->cur.ndevices * sizeof(*o));
	for (uint32_t i = 0; i < d->cur.ndevices; i++)
		o[i].id = d->cur.devices[i].id;
	if (d->xdp)
		ctl_xdp_observe(d->xdp, &d->cur, o, OBS_METER_MAX);
	if (d->dp)
		ctl_dp_observe(d->dp, &d->cur, o);
	obs->ndevices = d->cur.ndevices;
	obs->devices = o;
}

/* The fast path's task monitor: estimates into srv_obs; 1 on drift (logged). */
static int monitor_epoch(struct daemon *d)
{
	struct fp_msg_mon_rec recs[FP_MSG_NSERVERS + FP_MON_NAL];
	char why[400];
	size_t n = 0;
	int rc;

	if (ctl_dp_monitor(d->dp, recs, FP_MSG_NSERVERS + FP_MON_NAL, &n))
		n = 0;
	rc = ctl_mon_epoch(d->mon, recs, n, d->epoch_ms, &d->cur, d->srv_obs, why, sizeof(why));
	if (rc == 2)
		say("info", "drift: %s: not re-solving", why);
	if (rc != 1)
		return 0;
	say("info", "drift: %s: re-solving with policy %s", why, d->policy->name);
	return 1;
}

static void run_epoch(struct daemon *d)
{
	struct ctl_epoch_obs obs = {
		.epoch = d->cur.epoch,
		.period_ms = d->epoch_ms,
		.in_force = d->have_table ? &d->cur : NULL,
		.servers = d->srv_obs,
	};
	struct es_policy next = { 0 };
	char why[512];
	int rc;

	d->st.epochs++;
	if (d->dp) {
		rc = ctl_dp_tick(d->dp, d->have_table ? &d->cur : NULL, d->picks);
		if (rc == 1)
			say("info", "edgesteer-dp at %s: epoch %llu sent again", d->dp_path,
			    (unsigned long long)d->cur.epoch);
	}
	if (!d->have_table)
		return;
	if (d->dp)	/* the balancer's load: what went to each server */
		ctl_dp_server_obs(d->dp, &d->cur, d->srv_obs);
	if (d->mon)
		obs.drift = (uint32_t)monitor_epoch(d);
	observe(d, &obs);
	if (d->policy->observe && d->policy->observe(d->policy_state, &obs) < 0)
		d->st.policy_errors++;
	if (!d->policy->decide)
		return;
	rc = d->policy->decide(d->policy_state, &obs, &next);
	/* what the estimates are now is what the decisions in force assume */
	if (d->mon && (obs.drift || !rc))
		ctl_mon_rebase(d->mon);
	if (rc) {
		if (rc < 0 && !d->st.policy_errors++)
			say("warning", "policy %s: %s", d->policy->name, strerror(-rc));
		ptab_free(&next);
		return;
	}
	struct ptab_error err = { "" };

	if (next.epoch <= d->cur.epoch)
		next.epoch = d->cur.epoch + 1;
	rc = ptab_check(&next, &d->lim, &err);
	if (!rc) {
		/* journalled and handed to the stages as what it changes */
		struct ptab_delta delta;
		int have_delta = !ptab_delta_between(&d->cur, &next, &delta);

		rc = apply_table(d, &next, have_delta ? &delta : NULL, 1, why, sizeof(why));
		if (have_delta)
			ptab_delta_free(&delta);
	} else {
		ptab_free(&next);
	}
	if (rc) {
		if (!d->st.policy_errors++)
			say("warning", "policy %s: table refused: %s", d->policy->name,
			    err.msg[0] ? err.msg : why);
		return;
	}
	d->st.policy_tables++;
	say("info", "policy %s: epoch %llu in force", d->policy->name,
	    (unsigned long long)d->cur.epoch);
}

/* --- setup --- */

static int listen_on(struct daemon *d)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, probe;

	if (strlen(d->socket_path) >= sizeof(a.sun_path)) {
		say("error", "socket path too long: %s", d->socket_path);
		return -1;
	}
	strcpy(a.sun_path, d->socket_path);
	/* the default lives in /run/edgesteer, which may not exist yet */
	char parent[sizeof(a.sun_path)], *slash;

	strcpy(parent, d->socket_path);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0750) && errno != EEXIST) {
			say("error", "cannot create %s: %s", parent, strerror(errno));
			return -1;
		}
	}
	/* a live daemon answers; only a stale socket file is removed */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && !connect(probe, (struct sockaddr *)&a, sizeof(a))) {
		close(probe);
		say("error", "another edgesteerd is serving %s", d->socket_path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	unlink(d->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    chmod(d->socket_path, 0660) || chown(d->socket_path, (uid_t)-1, d->group) ||
	    listen(fd, 16)) {
		say("error", "cannot listen on %s: %s", d->socket_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: edgesteerd [OPTIONS]\n"
"\n"
"The EdgeSteer control-plane daemon: owns the policy table in force, serves\n"
"edgesteerctl on a UNIX socket, persists every applied table and comes back\n"
"with the last one after a restart, and runs a policy every epoch.\n"
"\n"
"Options:\n"
"  -s, --socket PATH        control socket (default " CTL_DEFAULT_SOCKET "),\n"
"                           mode 0660, owned by --group\n"
"  -d, --state-dir DIR      where applied tables are kept (default\n"
"                           /var/lib/edgesteer)\n"
"  -g, --group NAME         group allowed on the socket (default root)\n"
"  -p, --policy NAME        policy run every epoch (default static; see\n"
"                           `edgesteerctl policy list`)\n"
"  -a, --policy-args ARGS   passed to the policy's create()\n"
"  -e, --epoch-ms MS        epoch period (default 100)\n"
"  -k, --keep N             tables kept for rollback (default 8)\n"
"      --max-devices N      device limit of a table (default %u)\n"
"      --arena-mb MB        pre-fault the parse arena for MB of JSON at start\n"
"                           (default: sized for the table come back with;\n"
"                           ~7 bytes of memory per byte of JSON, kept)\n"
"      --xdp-if IFACE       load, attach and pin the XDP classifier on IFACE, or\n"
"                           re-adopt the one a previous edgesteerd left there\n"
"                           (it keeps serving while no daemon runs)\n"
"      --xdp-mode native|skb  attach mode (default native; skb for drivers\n"
"                           without XDP support); the log says which one\n"
"      --xdp-pin-dir DIR    where the program and maps are pinned (default\n"
"                           " XDPC_PIN_DIR ")\n"
"      --xdp-afxdp          the XDP program on --xdp-if is the one edgesteer-dp\n"
"                           loads and attaches with --vdev net_af_xdp0,iface=\n"
"                           IFACE,xdp_prog=edgesteer_xdp_afxdp.bpf.o: create its\n"
"                           maps pinned by name in " XDPC_AFXDP_ROOT " (or take over\n"
"                           those pinned there, with their tables), wait up to\n"
"                           %d s for the program and drive it; --max-devices\n"
"                           defaults to, and may not exceed, the capacity that\n"
"                           object was compiled with; --xdp-mode and\n"
"                           --xdp-pin-dir do not apply (docs/xdp.md)\n"
"      --detach-on-exit     on SIGTERM/SIGINT detach and unpin the program\n"
"                           (default: leave it attached, serving the table\n"
"                           in force, for the next edgesteerd to adopt)\n"
"      --dp-socket PATH     push every table to edgesteer-dp's control socket\n"
"                           (its --socket); a fast path that (re)starts gets\n"
"                           the table in force at the next epoch\n"
"      --drift-margin PCT   with --dp-socket: drift when the measured mean task\n"
"                           latency is off the predicted one by more than PCT\n"
"                           percent (default 50) and more than --drift-floor-us\n"
"                           (default 1000) ...\n"
"      --drift-hold-ms MS   ... for at least MS (default 300); then the policy\n"
"                           re-solves (docs/ddlro.md)\n"
"      --drift-floor-us US  see --drift-margin\n"
"      --mon-alpha A        weight of an epoch's mean task latency in the\n"
"                           estimates, 0 < A <= 1 (default 0.5)\n"
"      --mon-stale-ms MS    a server with no task for MS is forgotten: its\n"
"                           latency unknown again (default 5000)\n"
"      --mon-log FILE       append one JSON line per epoch: measured and\n"
"                           predicted latency, per server\n"
"  -h, --help               this text\n"
"\n"
"Logs go to stderr as `level: edgesteerd: message`. SIGTERM/SIGINT stop it.\n"
"ES_FAULT_AT=STAGE.prepared|STAGE.committed in the environment is for tests\n"
"only: the first push reaching that step kills the daemon (docs/faults.md).\n"
"Exit status: 0 stopped by a signal, 1 failed to start, 2 usage error.\n",
		ES_MAX_DEVICES, XDP_AFXDP_WAIT_S);
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

/*
 * --drift-margin, --drift-hold-ms, --drift-floor-us, --mon-alpha, --mon-log,
 * --mon-stale-ms.
 * 0 or -1 (said why).
 */
static int parse_mon_opt(struct ctl_mon_cfg *m, int c, const char *arg)
{
	unsigned long v = 0;
	char *end;

	if (c == 1003) {
		m->alpha = strtod(arg, &end);
		if (*end || end == arg || !(m->alpha > 0 && m->alpha <= 1)) {
			say("error", "--mon-alpha: '%s' is not in (0, 1]", arg);
			return -1;
		}
		return 0;
	}
	if (c == 1004) {
		m->log = fopen(arg, "a");
		if (!m->log)
			say("error", "--mon-log: cannot open %s: %s", arg, strerror(errno));
		return m->log ? 0 : -1;
	}
	if (parse_uint(arg, 1, c == 1001 ? 10000 : 3600000, &v)) {
		say("error", "--%s: '%s' is not 1..%u", c == 1001 ? "drift-margin" :
		    c == 1002 ? "drift-hold-ms" : c == 1005 ? "drift-floor-us" : "mon-stale-ms",
		    arg, c == 1001 ? 10000 : 3600000);
		return -1;
	}
	if (c == 1001)
		m->margin_pct = (uint32_t)v;
	else if (c == 1002)
		m->hold_ms = (uint32_t)v;
	else if (c == 1005)
		m->floor_us = (uint32_t)v;
	else
		m->stale_ms = (uint32_t)v;
	return 0;
}

static int stop_pipe[2] = { -1, -1 };

static void on_stop(int sig)
{
	int saved = errno;

	(void)sig;
	if (write(stop_pipe[1], "x", 1) < 0) {
		/* the pipe is full: a stop is already pending */
	}
	errno = saved;
}

/* Returns the read end of a pipe that becomes readable on SIGTERM/SIGINT. */
static int stop_pipe_open(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK))
		return -1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		return -1;
	return stop_pipe[0];
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "group", required_argument, NULL, 'g' },
		{ "policy", required_argument, NULL, 'p' },
		{ "policy-args", required_argument, NULL, 'a' },
		{ "epoch-ms", required_argument, NULL, 'e' },
		{ "keep", required_argument, NULL, 'k' },
		{ "max-devices", required_argument, NULL, 'M' },
		{ "arena-mb", required_argument, NULL, 'A' },
		{ "xdp-if", required_argument, NULL, 'X' },
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ "dp-socket", required_argument, NULL, 'D' },
		{ "xdp-pin-dir", required_argument, NULL, 'P' },
		{ "detach-on-exit", no_argument, NULL, 'x' },
		{ "drift-margin", required_argument, NULL, 1001 },
		{ "drift-hold-ms", required_argument, NULL, 1002 },
		{ "mon-alpha", required_argument, NULL, 1003 },
		{ "mon-log", required_argument, NULL, 1004 },
		{ "drift-floor-us", required_argument, NULL, 1005 },
		{ "mon-stale-ms", required_argument, NULL, 1006 },
		{ "xdp-afxdp", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct daemon d = {
		.socket_path = CTL_DEFAULT_SOCKET,
		.state_dir = "/var/lib/edgesteer",
		.group = 0,
		.epoch_ms = 100,
		.keep = 8,
		.lim = PTAB_LIMITS_DEFAULT,
	};
	const char *policy = "static", *policy_args = NULL;
	long arena_mb = -1;		/* auto: sized for the table come back with */
	struct ptab_error err = { "" };
	unsigned long v;
	int c, lfd, tfd, sfd, rc, detach_on_exit = 0, max_set = 0;

	while ((c = getopt_long(argc, argv, "s:d:g:p:a:e:k:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': d.socket_path = optarg; break;
		case 'd': d.state_dir = optarg; break;
		case 'p': policy = optarg; break;
		case 'a': policy_args = optarg; break;
		case 'g': {
			struct group *g = getgrnam(optarg);

			if (!g) {
				say("error", "no group '%s'", optarg);
				return 2;
			}
			d.group = g->gr_gid;
			break;
		}
		case 'e':
			if (parse_uint(optarg, 1, 3600000, &v)) {
				say("error", "--epoch-ms: '%s' is not 1..3600000", optarg);
				return 2;
			}
			d.epoch_ms = (unsigned int)v;
			break;
		case 'k':
			if (parse_uint(optarg, 1, 200, &v)) {
				say("error", "--keep: '%s' is not 1..200", optarg);
				return 2;
			}
			d.keep = (unsigned int)v;
			break;
		case 'A':
			if (parse_uint(optarg, 0, 1 << 20, &v)) {
				say("error", "--arena-mb: '%s' is not 0..1048576", optarg);
				return 2;
			}
			arena_mb = (long)v;
			break;
		case 'M':
			if (parse_uint(optarg, 1, 16000000, &v)) {
				say("error", "--max-devices: '%s' is not 1..16000000", optarg);
				return 2;
			}
			d.lim.max_devices = (uint32_t)v;
			max_set = 1;
			break;
		case 'X': d.xdp_cfg.ifname = optarg; break;
		case 'P': d.xdp_cfg.pin_dir = optarg; break;
		case 'x': detach_on_exit = 1; break;
		case 'F':
			d.xdp_cfg.afxdp = 1;
			d.xdp_cfg.wait_ms = XDP_AFXDP_WAIT_S * 1000;
			break;
		case 'D': d.dp_path = optarg; break;
		case 'm':
			if (strcmp(optarg, "native") && strcmp(optarg, "skb")) {
				say("error", "--xdp-mode: '%s' is not native or skb", optarg);
				return 2;
			}
			d.xdp_cfg.skb = !strcmp(optarg, "skb");
			break;
		case 1001: case 1002: case 1003: case 1004: case 1005: case 1006:
			if (parse_mon_opt(&d.mon_cfg, c, optarg))
				return 2;
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
		say("error", "unexpected argument '%s'", argv[optind]);
		return 2;
	}
	d.policy = ctl_policy_find(policy);
	if (!d.policy || !d.policy->create) {
		say("error", "no online policy '%s' (see `edgesteerctl policy list`)", policy);
		return 2;
	}
	rc = d.policy->create(&d.policy_state, policy_args);
	if (rc) {
		say("error", "policy %s: create: %s", policy, strerror(-rc));
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &d.started);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Every push builds the next table beside the one in force and frees
	 * the old one: keep those tens of MB in the heap for the next push
	 * instead of mmap/munmap and first-touch faults each time (a 1k delta
	 * on 1M devices went from ~200 ms to ~10 ms).
	 */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	if (mkdir(d.state_dir, 0750) && errno != EEXIST) {
		say("error", "cannot create %s: %s", d.state_dir, strerror(errno));
		return 1;
	}
	d.stages[d.nstages++] = (struct ctl_stage){ &store_stage, &d };
	/*
	 * The fast path before XDP: its commit is a message that could still
	 * fail (it went away meanwhile), XDP's is a map flip that cannot; its
	 * refusals are pre-checked in its prepare (docs/control.md).
	 */
	if (d.dp_path) {
		if (ctl_dp_open(d.dp_path, &d.dp)) {
			say("error", "out of memory");
			return 1;
		}
		d.stages[d.nstages++] = (struct ctl_stage){ &ctl_dp_stage, d.dp };
		if (ctl_mon_create(&d.mon_cfg, &d.mon)) {
			say("error", "out of memory");
			return 1;
		}
	}
	if (d.xdp_cfg.ifname) {
		char why[512];

		/* net_af_xdp's maps are sized when compiled: theirs by default */
		d.xdp_cfg.max_devices = max_set || !d.xdp_cfg.afxdp ? d.lim.max_devices : 0;
		rc = ctl_xdp_open(&d.xdp_cfg, &d.xdp, &d.xdp_adopted, &d.xdp_mode, why,
				  sizeof(why));
		if (rc) {
			say("error", "%s", why);
			return 1;
		}
		d.lim.max_devices = ctl_xdp_max_devices(d.xdp);
		if (d.xdp_cfg.afxdp)
			say("info", "XDP on %s in %s mode: edgesteer-dp's net_af_xdp program "
			    "adopted, its maps pinned by name in " XDPC_AFXDP_ROOT " %s "
			    "(%u devices)", d.xdp_cfg.ifname, d.xdp_mode, d.xdp_adopted ?
			    "taken over with their tables" : "created", d.lim.max_devices);
		else
			say("info", "XDP on %s in %s mode: %s", d.xdp_cfg.ifname, d.xdp_mode,
			    d.xdp_adopted ? "adopted, it kept serving" :
			    "loaded, attached and pinned");
		if (!d.xdp_adopted && !d.xdp_cfg.afxdp &&
		    d.xdp_cfg.skb != !strcmp(d.xdp_mode, "skb"))
			say("warning", "asked for %s mode, the kernel gave %s",
			    d.xdp_cfg.skb ? "skb" : "native", d.xdp_mode);
		d.stages[d.nstages++] = (struct ctl_stage){ &ctl_xdp_stage, d.xdp };
	} else if (detach_on_exit) {
		say("error", "--detach-on-exit needs --xdp-if");
		return 2;
	}

	/* come back with the last applied table */
	rc = ptab_store_read_current(d.state_dir, &d.lim, &d.cur, &err);
	if (!rc) {
		struct es_policy t = d.cur;
		char why[512];

		memset(&d.cur, 0, sizeof(d.cur));
		rc = apply_table(&d, &t, NULL, 0, why, sizeof(why));
		if (rc) {
			say("error", "the persisted table cannot be applied: %s", why);
			return 1;
		}
		say("info", "epoch %llu in force again from %s: %u devices",
		    (unsigned long long)d.cur.epoch, d.state_dir, d.cur.ndevices);
		if (arena_mb < 0)	/* ~140 bytes of JSON a device */
			arena_mb = (long)(((uint64_t)d.cur.ndevices * 140 +
					   (uint64_t)d.cur.napps * 60) >> 20);
	} else if (rc != -ENOENT) {
		say("error", "%s (move it away to start with no table)", err.msg);
		return 1;
	} else {
		say("info", "no table persisted in %s: none in force until a push", d.state_dir);
	}

	/* the first push then parses on memory already faulted in */
	if (arena_mb > 0 && ptab_prefault((size_t)arena_mb << 20))
		say("warning", "cannot pre-fault %ld MB of JSON's parse arena", arena_mb);
	lfd = listen_on(&d);
	if (lfd < 0)
		return 1;
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = {
		.it_interval = { d.epoch_ms / 1000, (long)(d.epoch_ms % 1000) * 1000000L },
		.it_value = { d.epoch_ms / 1000, (long)(d.epoch_ms % 1000) * 1000000L },
	};
	/*
	 * A handler and a self-pipe rather than a signalfd: libraries that the
	 * policies link (OpenBLAS) start threads before main(), and a signal
	 * blocked only in this thread would kill the process through theirs.
	 */
	sfd = stop_pipe_open();
	if (tfd < 0 || sfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
		say("error", "timerfd/stop pipe: %s", strerror(errno));
		return 1;
	}
	fault_at = getenv("ES_FAULT_AT");
	if (fault_at && *fault_at) {
		say("warning", "ES_FAULT_AT=%s: a push reaching it kills this daemon (test only)",
		    fault_at);
		ctl_stages_set_hook(fault_hook);
	}
	say("info", "serving %s, policy %s every %u ms", d.socket_path, d.policy->name,
	    d.epoch_ms);
	for (;;) {
		struct pollfd p[3] = {
			{ lfd, POLLIN, 0 }, { tfd, POLLIN, 0 }, { sfd, POLLIN, 0 },
		};

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			say("error", "poll: %s", strerror(errno));
			break;
		}
		if (p[2].revents)
			break;
		if (p[1].revents) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) == sizeof(ticks))
				run_epoch(&d);
		}
		if (p[0].revents) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (cfd >= 0) {
				serve_one(&d, cfd);
				close(cfd);
			}
		}
	}
	say("info", "stopping; epoch %llu stays persisted in %s%s",
	    (unsigned long long)d.cur.epoch, d.state_dir,
	    !d.xdp ? "" : detach_on_exit ? "; XDP program detached and unpinned"
	    : "; the XDP program stays attached, serving it");
	ctl_xdp_close(d.xdp, detach_on_exit);
	ctl_dp_close(d.dp);
	ctl_mon_free(d.mon);
	if (d.mon_cfg.log)
		fclose(d.mon_cfg.log);
	free(d.dev_obs);
	close(lfd);
	unlink(d.socket_path);
	d.policy->destroy(d.policy_state);
	ptab_free(&d.cur);
	free(d.picks);
	free(d.rx);
	return 0;
}
