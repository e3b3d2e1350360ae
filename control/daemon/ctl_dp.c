/* SPDX-License-Identifier: MIT */
#include "ctl_dp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_seen.h"
#include "fp_client.h"
#include "fp_delta.h"
#include "fp_table.h"

/* what the fast path has from us: unknown after a reconnect or a failure */
#define EPOCH_UNKNOWN	UINT64_MAX

struct ctl_dp {
	char *path;
	struct fp_client *c;
	int have_stats;
	struct fp_msg_stats st;		/* the last read: epoch and limits too */
	int memfd;			/* prepared table or delta, -1 = none */
	int is_delta;
	size_t len;
	uint64_t epoch;			/* of the prepared one */
	uint64_t sent_epoch;		/* the last table or delta it took from us */
	uint64_t refused_epoch;		/* logged once per epoch refused */
	uint64_t seen_bytes[FP_MSG_NSERVERS];
	struct ctl_seen *seen;		/* what each device last reported */
};

int ctl_dp_open(const char *path, struct ctl_dp **out)
{
	struct ctl_dp *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->path = strdup(path);
	if (!d->path) {
		free(d);
		return -ENOMEM;
	}
	d->memfd = -1;
	if (ctl_seen_create(&d->seen)) {
		free(d->path);
		free(d);
		return -ENOMEM;
	}
	d->sent_epoch = EPOCH_UNKNOWN;
	*out = d;
	return 0;
}

static void drop_conn(struct ctl_dp *d)
{
	fp_client_close(d->c);
	d->c = NULL;
	d->have_stats = 0;
	d->refused_epoch = 0;	/* a new process may take it */
	d->sent_epoch = EPOCH_UNKNOWN;	/* and may have anything */
}

void ctl_dp_close(struct ctl_dp *d)
{
	if (!d)
		return;
	if (d->memfd >= 0)
		close(d->memfd);
	drop_conn(d);
	ctl_seen_free(d->seen);
	free(d->path);
	free(d);
}

/* Connected and stats read (epoch, limits), or -errno with no connection. */
static int refresh(struct ctl_dp *d)
{
	int rc = -ENOTCONN;

	/* twice: a connection to a fast path that restarted since is broken */
	for (int tries = 0; tries < 2 && rc; tries++) {
		if (!d->c) {
			rc = fp_client_connect(d->path, &d->c);
			if (rc) {
				d->c = NULL;
				return rc;
			}
		}
		rc = fp_client_get_stats(d->c, &d->st);
		if (rc)
			drop_conn(d);
	}
	d->have_stats = !rc;
	return rc;
}

/* The server of app @i of @t for the fast path: the daemon's pick for a kind. */
static uint8_t server_of(const struct es_app *a, const uint8_t *server, size_t i)
{
	return a->server == ES_SERVER_ANY && server && server[i] != ES_SERVER_ANY ?
	       server[i] : a->server;
}

/*
 * The table as the fast path gets it: the daemon's choice of server for
 * apps that name a kind (ctl_balance) instead of fp_table's id-mod-count.
 * 0 or -errno; the sealed memfd in *fd, its length in *len.
 */
static int build(const struct es_policy *t, const uint8_t *server, int *fd, size_t *len)
{
	struct es_policy p = *t;
	int rc;

	p.apps = malloc((size_t)t->napps * sizeof(*t->apps) + 1);
	if (!p.apps)
		return -ENOMEM;
	memcpy(p.apps, t->apps, (size_t)t->napps * sizeof(*t->apps));
	for (uint32_t i = 0; server && i < t->napps; i++)
		p.apps[i].server = server_of(&t->apps[i], server, i);
	rc = fp_table_build_memfd(&p, fd, len);
	free(p.apps);
	return rc;
}

/*
 * The delta as the fast path gets it: the devices @dl adds or replaces
 * (their apps' servers picked as in build(), found in the result @t) and
 * its removals, against the epoch the fast path has. 0 or -errno.
 */
static int build_delta(const struct es_policy *t, const uint8_t *server,
		       const struct ptab_delta *dl, uint64_t base_epoch, int *fd, size_t *len)
{
	struct es_policy p = *t;
	struct fp_delta_src src = { &p, dl->remove, dl->nremove, base_epoch };
	int rc;

	p.ndevices = dl->ndevices;
	p.devices = dl->devices;
	p.napps = dl->napps;
	p.apps = malloc((size_t)dl->napps * sizeof(*dl->apps) + 1);
	if (!p.apps)
		return -ENOMEM;
	if (dl->napps)
		memcpy(p.apps, dl->apps, (size_t)dl->napps * sizeof(*dl->apps));
	for (uint32_t k = 0; k < dl->ndevices; k++) {
		const struct es_device *in = &dl->devices[k];
		const struct es_device *res = ptab_find_device(t, in->id);

		for (uint32_t a = 0; res && a < in->napps && a < res->napps; a++)
			p.apps[in->apps_off + a].server =
				server_of(&t->apps[res->apps_off + a], server, res->apps_off + a);
	}
	rc = fp_delta_build_memfd(&src, fd, len);
	free(p.apps);
	return rc;
}

/*
 * What the fast path would refuse of a table compiled from a valid @t: its
 * device limit and its ports (docs/control.md "Atomicity"). The blob is
 * ours, just built: checked against the policy, not validated again (the
 * fast path still checksums and validates what it receives).
 */
static int precheck(const struct ctl_dp *d, const struct es_policy *t, const char **why)
{
	uint32_t max = d->st.max_devices ? d->st.max_devices : ES_MAX_DEVICES;

	if (t->ndevices > max) {
		*why = "header.ndevices: over the device limit";
		return -E2BIG;
	}
	for (uint32_t i = 0; i < t->nservers; i++)
		if (d->st.nports && t->servers[i].port >= d->st.nports) {
			*why = "servers[].port: no such dataplane port";
			return -EINVAL;
		}
	return 0;
}

/* A delta the fast path can take as one: same servers, not too big. */
static int delta_fits(const struct ctl_dp *d, const struct ptab_delta *dl)
{
	return dl && !dl->has_servers && (uint64_t)dl->ndevices + dl->nremove <= FP_DELTA_MAX &&
	       d->sent_epoch != EPOCH_UNKNOWN && d->st.epoch == d->sent_epoch;
}

static int dp_prepare(void *ctx, const struct ctl_push *next, char *why, size_t n)
{
	struct ctl_dp *d = ctx;
	const char *rule = NULL;
	int up = refresh(d) == 0, rc;

	/*
	 * Not up: nothing to refuse it; the table in force reaches it when it
	 * comes (ctl_dp_tick). Up: its refusals are checked here.
	 */
	if (!up)
		return 0;
	rc = precheck(d, next->table, &rule);
	if (rc) {
		snprintf(why, n, "edgesteer-dp would refuse it: %s", rule);
		return rc;
	}
	d->is_delta = delta_fits(d, next->delta);
	d->epoch = next->table->epoch;
	rc = d->is_delta ? build_delta(next->table, next->server, next->delta, d->st.epoch,
				       &d->memfd, &d->len)
			 : build(next->table, next->server, &d->memfd, &d->len);
	if (rc) {
		d->memfd = -1;
		snprintf(why, n, "cannot compile the fast-path %s: %s",
			 d->is_delta ? "delta" : "table", strerror(-rc));
	}
	return rc;
}

/* Sends @fd; a refusal keeps the connection, a broken one is dropped. */
static int send_table(struct ctl_dp *d, int fd, size_t len, uint64_t epoch, int delta)
{
	struct fp_msg_push_reply r = { 0 };
	int rc;

	if (!d->c && refresh(d))
		return -ENOTCONN;
	/* forced: the daemon already ordered epochs (a rollback goes back) */
	rc = delta ? fp_client_push_delta_fd(d->c, fd, len, 1, &r)
		   : fp_client_push_fd(d->c, fd, len, 1, &r);
	if (rc == -ETIMEDOUT)
		fprintf(stderr, "error: edgesteerd: %s\n", fp_client_error(d->c));
	if (rc && !r.why[0]) {
		drop_conn(d);
		return rc;
	}
	if (rc) {
		if (d->refused_epoch != epoch)
			fprintf(stderr, "error: edgesteerd: edgesteer-dp refused epoch %llu: %s\n",
				(unsigned long long)epoch, r.why);
		d->refused_epoch = epoch;
		d->sent_epoch = EPOCH_UNKNOWN;	/* the next push goes whole */
		return rc;
	}
	d->st.epoch = r.epoch;
	d->sent_epoch = r.epoch;
	return 0;
}

static int dp_commit(void *ctx)
{
	struct ctl_dp *d = ctx;
	int rc;

	if (d->memfd < 0)
		return 0;
	rc = send_table(d, d->memfd, d->len, d->epoch, d->is_delta);
	close(d->memfd);
	d->memfd = -1;
	/* not up or not taken: ctl_dp_tick sends the table in force again */
	return rc == -ENOTCONN ? 0 : rc;
}

static void dp_abort(void *ctx)
{
	struct ctl_dp *d = ctx;

	if (d->memfd >= 0)
		close(d->memfd);
	d->memfd = -1;
}

const struct ctl_stage_ops ctl_dp_stage = {
	.name = "dp",
	.prepare = dp_prepare,
	.commit = dp_commit,
	.abort = dp_abort,
};

int ctl_dp_tick(struct ctl_dp *d, const struct es_policy *cur, const uint8_t *server)
{
	size_t len;
	int fd, rc = refresh(d);

	if (rc || !cur || d->st.epoch == cur->epoch)
		return rc;
	if (d->refused_epoch == cur->epoch)
		return -EINVAL;		/* refused already: it will not change its mind */
	rc = build(cur, server, &fd, &len);
	if (rc)
		return rc;
	rc = send_table(d, fd, len, cur->epoch, 0);
	close(fd);
	return rc ? rc : 1;
}

void ctl_dp_server_obs(struct ctl_dp *d, const struct es_policy *cur,
		       struct ctl_server_obs *obs)
{
	for (uint32_t s = 0; s < cur->nservers && s < FP_MSG_NSERVERS; s++) {
		uint64_t b = d->have_stats ? d->st.server_bytes[s] : 0;

		/* a restarted fast path counts from 0 again: never negative */
		obs[s].bytes = b >= d->seen_bytes[s] ? b - d->seen_bytes[s] : b;
		d->seen_bytes[s] = b;
	}
}

int ctl_dp_stats(const struct ctl_dp *d, struct fp_msg_stats *out)
{
	if (!d->have_stats)
		return -ENOTCONN;
	*out = d->st;
	return 0;
}

int ctl_dp_observe(struct ctl_dp *d, const struct es_policy *cur, struct ctl_device_obs *obs)
{
	struct fp_msg_telem_rec recs[FP_MSG_TELEM_MAX];
	struct timespec ts;
	uint64_t now;
	size_t n = 0, total = 0;
	int rc = d->c ? 0 : -ENOTCONN;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	/* a full reply may leave more in the ring: a few more reads, bounded */
	for (int reads = 0; !rc && reads < 16 && (!reads || n == FP_MSG_TELEM_MAX); reads++) {
		rc = fp_client_get_telemetry(d->c, recs, FP_MSG_TELEM_MAX, &n);
		if (rc) {
			drop_conn(d);
			break;
		}
		for (size_t i = 0; i < n && !rc; i++)
			if (ptab_find_device(cur, recs[i].device_id))
				rc = ctl_seen_record(d->seen, &recs[i], now);
		total += n;
	}
	ctl_seen_fill(d->seen, cur, obs, now);
	return rc ? rc : (int)total;
}

int ctl_dp_monitor(struct ctl_dp *d, struct fp_msg_mon_rec *recs, size_t max, size_t *n)
{
	int rc;

	*n = 0;
	if (!d->c)
		return -ENOTCONN;
	rc = fp_client_get_monitor(d->c, recs, max, n, NULL);
	if (rc)
		drop_conn(d);
	return rc;
}
