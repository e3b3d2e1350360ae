/* SPDX-License-Identifier: MIT */
#include "ctl_mon.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fp_mon.h"

/* Common-mode verdicts in a row (no calm epoch) after which it is the new level. */
#define COMMON_RUN_REBASE	5

/* What is known of one server or one (app, layer). */
struct ctl_mon_est {
	struct fp_msg_mon_rec last;	/* the cumulative record last read */
	double est_us;			/* EWMA of epoch means, 0 = never measured */
	double pred_us;			/* est_us when the decisions were made */
	int calibrating;		/* ... none then: pred_us averages calm epochs */
	uint32_t idle_ms;		/* since its last finished task */
	uint64_t tasks;			/* measured since the daemon started */
	uint64_t lost;
	uint32_t open;			/* tasks open now (queue depth) */
	uint32_t epoch_tasks;
	double epoch_mean_us;
	int used;			/* an (app, layer) slot */
};

struct ctl_mon {
	struct ctl_mon_cfg cfg;
	struct ctl_mon_est srv[FP_MSG_NSERVERS];
	struct ctl_mon_est al[FP_MON_NAL];
	uint64_t epochs, drifts, rebases, common, forgotten;
	uint64_t epoch_tasks;
	double meas_us, pred_us;	/* this epoch, over the servers' tasks */
	uint32_t over_ms;		/* how long drift has held */
	uint32_t common_run;		/* common-mode verdicts since a calm epoch */
	char last_why[320];
};

int ctl_mon_create(const struct ctl_mon_cfg *cfg, struct ctl_mon **out)
{
	struct ctl_mon *m;

	if (cfg->alpha < 0 || cfg->alpha > 1)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	if (m->cfg.alpha == 0)
		m->cfg.alpha = 0.5;
	if (!m->cfg.margin_pct)
		m->cfg.margin_pct = 50;
	if (!m->cfg.hold_ms)
		m->cfg.hold_ms = 300;
	if (!m->cfg.floor_us)
		m->cfg.floor_us = 1000;
	if (!m->cfg.min_tasks)
		m->cfg.min_tasks = 5;
	if (!m->cfg.stale_ms)
		m->cfg.stale_ms = 5000;
	*out = m;
	return 0;
}

void ctl_mon_free(struct ctl_mon *m)
{
	free(m);
}

static uint64_t since(uint64_t now, uint64_t then)
{
	/* a restarted fast path counts from 0 again: never negative */
	return now >= then ? now - then : now;
}

/* Takes record @r (cumulative) into @e: this epoch's counts and the estimate. */
static void take(struct ctl_mon_est *e, const struct fp_msg_mon_rec *r, double alpha)
{
	uint64_t done = since(r->done, e->last.done);
	uint64_t sum = r->done >= e->last.done ? r->lat_sum_us - e->last.lat_sum_us
					       : r->lat_sum_us;

	e->epoch_tasks = (uint32_t)done;
	e->epoch_mean_us = done ? (double)sum / (double)done : 0;
	e->tasks += done;
	e->lost += since(r->lost, e->last.lost);
	e->open = (uint32_t)(r->opened - r->done - r->lost - r->evicted);
	if (done)
		e->est_us = e->est_us > 0 ? (1 - alpha) * e->est_us + alpha * e->epoch_mean_us
					  : e->epoch_mean_us;
	e->last = *r;
}

static struct ctl_mon_est *al_slot(struct ctl_mon *m, uint16_t app, uint16_t layer)
{
	for (int i = 0; i < FP_MON_NAL; i++)
		if (m->al[i].used && m->al[i].last.app == app && m->al[i].last.layer == layer)
			return &m->al[i];
	for (int i = 0; i < FP_MON_NAL; i++)
		if (!m->al[i].used) {
			m->al[i].used = 1;
			m->al[i].last.app = app;
			m->al[i].last.layer = layer;
			return &m->al[i];
		}
	return NULL;
}

/*
 * This epoch's measured and predicted mean over the servers' tasks. A
 * server that had no estimate when the decisions were made predicts what
 * it measured first, then the least it measures and an average of its
 * calm epochs (calibration: a slow first epoch, while the bed warms up, must
 * not stand as the prediction; a rise is what drift detection is for).
 */
static void judge(struct ctl_mon *m, uint32_t nservers)
{
	double sum = 0, pred = 0;
	uint64_t n = 0;

	for (uint32_t s = 0; s < nservers; s++) {
		struct ctl_mon_est *e = &m->srv[s];

		if (!e->epoch_tasks)
			continue;
		if (e->pred_us <= 0) {
			e->pred_us = e->epoch_mean_us;
			e->calibrating = 1;
		}
		/* nothing was decided on it: an improvement is no drift */
		if (e->calibrating && e->epoch_mean_us < e->pred_us)
			e->pred_us = e->epoch_mean_us;
		n += e->epoch_tasks;
		sum += e->epoch_mean_us * e->epoch_tasks;
		pred += e->pred_us * e->epoch_tasks;
	}
	m->epoch_tasks = n;
	m->meas_us = n ? sum / (double)n : 0;
	m->pred_us = n ? pred / (double)n : 0;
}

/* The server whose tasks moved the mean most, for the log. */
static uint32_t worst_server(const struct ctl_mon *m, uint32_t nservers)
{
	double worst = -1;
	uint32_t w = 0;

	for (uint32_t s = 0; s < nservers; s++) {
		const struct ctl_mon_est *e = &m->srv[s];
		double off = fabs(e->epoch_mean_us - e->pred_us) * e->epoch_tasks;

		if (e->epoch_tasks && off > worst) {
			worst = off;
			w = s;
		}
	}
	return w;
}

/* Server @e's epoch is off its prediction by the margin and the floor: -1, 0, 1. */
static int departs(const struct ctl_mon *m, const struct ctl_mon_est *e)
{
	double off = e->epoch_mean_us - e->pred_us;

	if (fabs(off) <= e->pred_us * m->cfg.margin_pct / 100.0 || fabs(off) <= m->cfg.floor_us)
		return 0;
	return off > 0 ? 1 : -1;
}

/*
 * Every server that had tasks this epoch (two at least) departs, the same
 * way: the AP or the whole bed changed, not a server; moving load between
 * servers cannot help.
 */
static int common_mode(const struct ctl_mon *m, uint32_t nservers)
{
	int dir = 0, with_tasks = 0;

	for (uint32_t s = 0; s < nservers; s++) {
		int d;

		if (!m->srv[s].epoch_tasks)
			continue;
		d = departs(m, &m->srv[s]);
		if (!d || (dir && d != dir))
			return 0;
		dir = d;
		with_tasks++;
	}
	return with_tasks >= 2;
}

static void log_epoch(const struct ctl_mon *m, const struct es_policy *cur, int drift)
{
	struct timespec t, r;

	/* wall clock too: a test's shell can read it without starting a program */
	clock_gettime(CLOCK_MONOTONIC, &t);
	clock_gettime(CLOCK_REALTIME, &r);
	fprintf(m->cfg.log, "{\"mono\": %.3f, \"real\": %.3f, \"table_epoch\": %llu, "
		"\"tasks\": %llu, \"mean_us\": %.0f, \"pred_us\": %.0f, \"over_ms\": %u, "
		"\"drift\": %d, \"servers\": [", (double)t.tv_sec + t.tv_nsec / 1e9,
		(double)r.tv_sec + r.tv_nsec / 1e9,
		(unsigned long long)cur->epoch, (unsigned long long)m->epoch_tasks,
		m->meas_us, m->pred_us, m->over_ms, drift);
	for (uint32_t s = 0; s < cur->nservers; s++) {
		const struct ctl_mon_est *e = &m->srv[s];

		fprintf(m->cfg.log, "%s{\"name\": \"%s\", \"tasks\": %u, \"mean_us\": %.0f, "
			"\"est_us\": %.0f, \"open\": %u}", s ? ", " : "", cur->servers[s].name,
			e->epoch_tasks, e->epoch_mean_us, e->est_us, e->open);
	}
	fputs("]}\n", m->cfg.log);
	fflush(m->cfg.log);
}

int ctl_mon_epoch(struct ctl_mon *m, const struct fp_msg_mon_rec *recs, size_t n,
		  uint32_t period_ms, const struct es_policy *cur,
		  struct ctl_server_obs *obs, char *why, size_t why_len)
{
	uint32_t nservers = cur->nservers < FP_MSG_NSERVERS ? cur->nservers : FP_MSG_NSERVERS;
	double off, margin;
	int drift = 0, calm = 0;

	m->epochs++;
	for (uint32_t s = 0; s < FP_MSG_NSERVERS; s++)
		m->srv[s].epoch_tasks = 0;
	for (size_t i = 0; i < n; i++) {
		const struct fp_msg_mon_rec *r = &recs[i];
		struct ctl_mon_est *e = r->kind == FP_MON_SERVER ? &m->srv[r->server]
				      : r->kind == FP_MON_APP_LAYER ? al_slot(m, r->app, r->layer)
				      : NULL;

		if (e)
			take(e, r, m->cfg.alpha);
	}
	for (uint32_t s = 0; s < nservers; s++) {
		struct ctl_mon_est *e = &m->srv[s];

		/*
		 * A server left alone keeps what it measured when it was left:
		 * forgotten after a while, it is "unknown" again and a policy
		 * may try it (a stale bad figure would keep it unused forever).
		 */
		e->idle_ms = e->epoch_tasks ? 0 : e->idle_ms + period_ms;
		if (e->est_us > 0 && e->idle_ms >= m->cfg.stale_ms) {
			e->est_us = 0;
			e->pred_us = 0;
			e->calibrating = 1;
			m->forgotten++;
		}
		obs[s].latency_us = (uint32_t)lround(e->est_us);
		obs[s].queue_depth = e->open;
	}
	judge(m, nservers);
	if (n && m->epoch_tasks >= m->cfg.min_tasks) {
		int server_off = 0;

		off = fabs(m->meas_us - m->pred_us);
		margin = m->pred_us * m->cfg.margin_pct / 100.0;
		/*
		 * One server off its own prediction is drift too, though the
		 * mean may hide it: load left on a server that got slower
		 * balances one that got faster than the solver thought.
		 */
		/* a server may carry a small share: half the tasks a mean needs */
		for (uint32_t s = 0; s < nservers; s++)
			if (m->srv[s].epoch_tasks >= (m->cfg.min_tasks + 1) / 2 &&
			    departs(m, &m->srv[s]))
				server_off = 1;
		if ((off > margin && off > m->cfg.floor_us) || server_off)
			m->over_ms += period_ms;
		else
			m->over_ms = 0;
		/* within the margin, not merely under the floor: a step is not followed */
		calm = off <= margin && !server_off;
		if (calm)
			m->common_run = 0;
	}
	for (uint32_t s = 0; s < nservers && calm; s++) {
		struct ctl_mon_est *e = &m->srv[s];

		/* calm epochs only: spikes that did not hold stay out of it */
		if (e->calibrating && e->epoch_tasks)
			e->pred_us = (1 - m->cfg.alpha) * e->pred_us + m->cfg.alpha * e->epoch_mean_us;
	}
	if (m->over_ms && m->over_ms >= m->cfg.hold_ms) {
		uint32_t w = worst_server(m, nservers);
		int common = common_mode(m, nservers);

		drift = common ? 2 : 1;
		snprintf(m->last_why, sizeof(m->last_why),
			 "mean task latency %.0f us against %.0f us predicted (%+.0f%%, margin "
			 "%u%%) for %u ms; most off: %s, %.0f us against %.0f us over %u tasks%s",
			 m->meas_us, m->pred_us, 100.0 * (m->meas_us - m->pred_us) / m->pred_us,
			 m->cfg.margin_pct, m->over_ms, cur->servers[w].name,
			 m->srv[w].epoch_mean_us, m->srv[w].pred_us, m->srv[w].epoch_tasks,
			 common ? "; every server alike (the AP or the bed, not a server)" : "");
		snprintf(why, why_len, "%s", m->last_why);
		if (common) {
			/*
			 * A stall passes: the predictions stay (an estimate taken
			 * in it would hide a server's slow-down that came with
			 * it). One that lasts is the new level.
			 */
			m->common++;
			m->over_ms = 0;
			if (++m->common_run >= COMMON_RUN_REBASE)
				ctl_mon_rebase(m);
		} else {
			m->drifts++;
		}
	}
	if (m->cfg.log)
		log_epoch(m, cur, drift);
	return drift;
}

void ctl_mon_rebase(struct ctl_mon *m)
{
	m->common_run = 0;
	for (int s = 0; s < FP_MSG_NSERVERS; s++) {
		m->srv[s].pred_us = m->srv[s].est_us;
		m->srv[s].calibrating = m->srv[s].est_us <= 0;
	}
	for (int i = 0; i < FP_MON_NAL; i++)
		m->al[i].pred_us = m->al[i].est_us;
	m->over_ms = 0;
	m->rebases++;
}

static void write_est(FILE *f, const struct ctl_mon_est *e)
{
	fprintf(f, "\"est_us\": %.0f, \"pred_us\": %.0f, \"tasks\": %llu, \"lost\": %llu, "
		"\"open\": %u, \"epoch_tasks\": %u, \"epoch_mean_us\": %.0f, "
		"\"bytes_up\": %llu, \"bytes_down\": %llu }", e->est_us, e->pred_us,
		(unsigned long long)e->tasks, (unsigned long long)e->lost, e->open,
		e->epoch_tasks, e->epoch_mean_us, (unsigned long long)e->last.bytes_up,
		(unsigned long long)e->last.bytes_down);
}

void ctl_mon_write_json(const struct ctl_mon *m, const struct es_policy *cur, FILE *f)
{
	int first = 1;

	fprintf(f, "\"monitor\": { \"epochs\": %llu, \"alpha\": %.3f, \"margin_pct\": %u, "
		"\"hold_ms\": %u, \"floor_us\": %u, \"epoch_tasks\": %llu, \"mean_us\": %.0f, "
		"\"pred_us\": %.0f, \"over_ms\": %u, \"drifts\": %llu, \"common_mode\": %llu, "
		"\"forgotten\": %llu, \"rebases\": %llu, "
		"\"last_drift\": \"%s\",\n    \"servers\": [",
		(unsigned long long)m->epochs, m->cfg.alpha, m->cfg.margin_pct, m->cfg.hold_ms,
		m->cfg.floor_us, (unsigned long long)m->epoch_tasks, m->meas_us, m->pred_us,
		m->over_ms, (unsigned long long)m->drifts, (unsigned long long)m->common,
		(unsigned long long)m->forgotten, (unsigned long long)m->rebases,
		m->last_why);
	for (uint32_t s = 0; s < cur->nservers && s < FP_MSG_NSERVERS; s++) {
		fprintf(f, "%s\n      { \"name\": \"%s\", ", s ? "," : "", cur->servers[s].name);
		write_est(f, &m->srv[s]);
	}
	fputs(" ],\n    \"app_layers\": [", f);
	for (int i = 0; i < FP_MON_NAL; i++) {
		if (!m->al[i].used)
			continue;
		fprintf(f, "%s\n      { \"app\": %u, \"layer\": %u, ", first ? "" : ",",
			m->al[i].last.app, m->al[i].last.layer);
		write_est(f, &m->al[i]);
		first = 0;
	}
	fputs(" ] }", f);
}
