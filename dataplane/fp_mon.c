/* SPDX-License-Identifier: MIT */
#include "fp_mon.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "esop_parse.h"

#define WAYS	4

/* One open task. Written only by the lcore holding an odd seq. */
struct fp_mon_task {
	uint32_t seq;
	uint32_t device;
	uint32_t task;
	uint16_t app, layer;
	uint8_t server, live;
	uint8_t pad[6];
	uint64_t t0;
};

_Static_assert(sizeof(struct fp_mon_task) == 32, "two tasks a cache line");

struct fp_mon_cnt {
	uint64_t opened, done, lost, evicted, lat_sum_us, bytes_up, bytes_down;
	uint64_t hist[FP_MON_NBUCKETS];
};

/* One lcore's counts: it is their only writer. */
struct fp_mon_lcore {
	struct fp_mon_cnt srv[FP_MSG_NSERVERS];
	uint32_t al_key[FP_MON_NAL];	/* (app << 16 | layer) + 1, 0 = free */
	struct fp_mon_cnt al[FP_MON_NAL];
	uint64_t unmatched, busy, al_full;
} __attribute__((aligned(64)));

struct fp_mon {
	struct fp_mon_cfg cfg;
	uint64_t timeout_ticks;
	struct fp_mon_task *tasks;	/* cfg.slots */
	struct fp_mon_lcore *lc;	/* cfg.nlcores + 1: the last is the sweep's */
	pthread_mutex_t rlock;		/* readers (sweep and aggregate) only */
	struct fp_msg_mon_rec agg[FP_MSG_NSERVERS + FP_MON_NAL];
};

int fp_mon_create(const struct fp_mon_cfg *cfg, struct fp_mon **out)
{
	struct fp_mon *m;
	uint32_t slots = cfg->slots ? cfg->slots : 16384;

	if (!cfg->nlcores || cfg->nlcores > 64 || !cfg->hz || slots < WAYS ||
	    (slots & (slots - 1)))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	m->cfg.slots = slots;
	if (!m->cfg.timeout_ms)
		m->cfg.timeout_ms = 1000;
	m->timeout_ticks = (uint64_t)((unsigned __int128)cfg->hz * m->cfg.timeout_ms / 1000);
	m->tasks = aligned_alloc(64, (size_t)slots * sizeof(*m->tasks));
	if (!m->tasks)
		goto err_free;
	memset(m->tasks, 0, (size_t)slots * sizeof(*m->tasks));
	m->lc = aligned_alloc(64, (cfg->nlcores + 1) * sizeof(*m->lc));
	if (!m->lc)
		goto err_tasks;
	memset(m->lc, 0, (cfg->nlcores + 1) * sizeof(*m->lc));
	pthread_mutex_init(&m->rlock, NULL);
	*out = m;
	return 0;

err_tasks:
	free(m->tasks);
err_free:
	free(m);
	return -ENOMEM;
}

void fp_mon_free(struct fp_mon *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->rlock);
	free(m->lc);
	free(m->tasks);
	free(m);
}

static struct fp_mon_task *task_set(struct fp_mon *m, uint32_t device, uint32_t task)
{
	uint64_t h = ((uint64_t)device << 32 | task) * 0x9e3779b97f4a7c15ull;

	return &m->tasks[(uint32_t)(h >> 32) & (m->cfg.slots - WAYS)];
}

/* Takes @t for writing, or fails at once when another lcore holds it. */
static int claim(struct fp_mon_task *t, uint32_t *seq)
{
	*seq = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
	return !(*seq & 1) && __atomic_compare_exchange_n(&t->seq, seq, *seq + 1, 0,
							  __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void release(struct fp_mon_task *t, uint32_t seq)
{
	__atomic_store_n(&t->seq, seq + 2, __ATOMIC_RELEASE);
}

/* The (app, layer) counts of lcore @l, claimed on first use; NULL when full. */
static struct fp_mon_cnt *al_cnt(struct fp_mon_lcore *l, uint16_t app, uint16_t layer)
{
	uint32_t key = ((uint32_t)app << 16 | layer) + 1;
	unsigned int h = (app * 31u + layer) & (FP_MON_NAL - 1);

	if (!key) {	/* (65535, 65535) cannot be told from a free key */
		l->al_full++;
		return NULL;
	}
	for (unsigned int i = 0; i < FP_MON_NAL; i++) {
		unsigned int k = (h + i) & (FP_MON_NAL - 1);
		uint32_t got = __atomic_load_n(&l->al_key[k], __ATOMIC_RELAXED);

		if (got == key)
			return &l->al[k];
		if (!got) {
			/* counts are zero already: the key published last */
			__atomic_store_n(&l->al_key[k], key, __ATOMIC_RELEASE);
			return &l->al[k];
		}
	}
	l->al_full++;
	return NULL;
}

static void count_gone(struct fp_mon_lcore *l, const struct fp_mon_task *t, int lost)
{
	struct fp_mon_cnt *s = &l->srv[t->server], *a = al_cnt(l, t->app, t->layer);

	if (lost) {
		s->lost++;
		if (a)
			a->lost++;
	} else {
		s->evicted++;
		if (a)
			a->evicted++;
	}
}

static int timed_out(const struct fp_mon *m, const struct fp_mon_task *t, uint64_t now)
{
	/* another lcore's clock may be a little ahead: signed */
	return (int64_t)(now - t->t0) > (int64_t)m->timeout_ticks;
}

void fp_mon_tensor(struct fp_mon *m, unsigned int lc, const struct esop_pkt *pkt,
		   uint8_t server, uint32_t bytes, uint64_t now)
{
	struct fp_mon_lcore *l = &m->lc[lc];
	struct fp_mon_cnt *a = al_cnt(l, pkt->app_id, pkt->layer);
	struct fp_mon_task *set = task_set(m, pkt->device_id, pkt->task_id), *v = NULL;
	uint32_t seq;

	l->srv[server].bytes_up += bytes;
	if (a)
		a->bytes_up += bytes;
	for (int i = 0; i < WAYS; i++) {
		const struct fp_mon_task *t = &set[i];

		/* a later fragment of an open task; a torn read only costs a count */
		if (t->live && t->device == pkt->device_id && t->task == pkt->task_id)
			return;
		if (!v || (v->live && (!t->live || t->t0 < v->t0)))
			v = &set[i];
	}
	if (!claim(v, &seq)) {
		l->busy++;
		return;
	}
	if (v->live)
		count_gone(l, v, timed_out(m, v, now));
	v->device = pkt->device_id;
	v->task = pkt->task_id;
	v->app = pkt->app_id;
	v->layer = pkt->layer;
	v->server = server;
	v->t0 = now;
	v->live = 1;
	release(v, seq);
	l->srv[server].opened++;
	if (a)
		a->opened++;
}

static void count_done(struct fp_mon_cnt *c, uint64_t us)
{
	c->done++;
	c->lat_sum_us += us;
	c->hist[fp_mon_bucket(us)]++;
}

void fp_mon_result(struct fp_mon *m, unsigned int lc, const struct esop_pkt *pkt,
		   int server, uint32_t bytes, uint64_t now)
{
	struct fp_mon_lcore *l = &m->lc[lc];
	struct fp_mon_task *set = task_set(m, pkt->device_id, pkt->task_id), *t = NULL;
	struct fp_mon_cnt *a = al_cnt(l, pkt->app_id, pkt->layer);
	uint64_t us = 0;
	uint32_t seq;

	if (server >= 0 && server < FP_MSG_NSERVERS)
		l->srv[server].bytes_down += bytes;
	if (a)
		a->bytes_down += bytes;
	if (pkt->frag_off)	/* the first fragment closed it */
		return;
	for (int i = 0; i < WAYS && !t; i++)
		if (set[i].live && set[i].device == pkt->device_id && set[i].task == pkt->task_id)
			t = &set[i];
	if (!t) {
		l->unmatched++;
		return;
	}
	if (!claim(t, &seq)) {
		l->busy++;
		return;
	}
	if (!t->live || t->device != pkt->device_id || t->task != pkt->task_id) {
		release(t, seq);	/* closed or replaced meanwhile */
		l->unmatched++;
		return;
	}
	if ((int64_t)(now - t->t0) > 0)
		us = (uint64_t)((unsigned __int128)(now - t->t0) * 1000000u / m->cfg.hz);
	count_done(&l->srv[t->server], us);
	a = al_cnt(l, t->app, t->layer);
	if (a)
		count_done(a, us);
	t->live = 0;
	release(t, seq);
}

/* Tasks open longer than the timeout are lost: counted on the sweep's lcore. */
static void sweep(struct fp_mon *m, uint64_t now)
{
	struct fp_mon_lcore *l = &m->lc[m->cfg.nlcores];

	for (uint32_t i = 0; i < m->cfg.slots; i++) {
		struct fp_mon_task *t = &m->tasks[i];
		uint32_t seq;

		if (!t->live || !timed_out(m, t, now) || !claim(t, &seq))
			continue;
		if (t->live && timed_out(m, t, now)) {
			count_gone(l, t, 1);
			t->live = 0;
		}
		release(t, seq);
	}
}

static void add_cnt(struct fp_msg_mon_rec *r, const struct fp_mon_cnt *c)
{
	r->opened += c->opened;
	r->done += c->done;
	r->lost += c->lost;
	r->evicted += c->evicted;
	r->lat_sum_us += c->lat_sum_us;
	r->bytes_up += c->bytes_up;
	r->bytes_down += c->bytes_down;
	for (int b = 0; b < FP_MON_NBUCKETS; b++)
		r->hist[b] += c->hist[b];
}

static int seen(const struct fp_msg_mon_rec *r)
{
	return r->opened || r->done || r->lost || r->evicted || r->bytes_up || r->bytes_down;
}

/* Sums every lcore into m->agg: servers that saw anything, then (app, layer). */
static uint32_t aggregate(struct fp_mon *m, struct fp_msg_mon_reply *rep)
{
	struct fp_msg_mon_rec *out = m->agg, s;
	uint32_t n = 0, first_al;

	for (unsigned int k = 0; k < FP_MSG_NSERVERS; k++) {
		memset(&s, 0, sizeof(s));
		s.kind = FP_MON_SERVER;
		s.server = (uint8_t)k;
		for (unsigned int i = 0; i <= m->cfg.nlcores; i++)
			add_cnt(&s, &m->lc[i].srv[k]);
		if (seen(&s))
			out[n++] = s;
	}
	first_al = n;
	for (unsigned int i = 0; i <= m->cfg.nlcores; i++) {
		const struct fp_mon_lcore *l = &m->lc[i];

		rep->unmatched += l->unmatched;
		rep->busy += l->busy;
		rep->al_full += l->al_full;
		for (unsigned int k = 0; k < FP_MON_NAL; k++) {
			uint32_t key = __atomic_load_n(&l->al_key[k], __ATOMIC_ACQUIRE);
			uint32_t j;

			if (!key--)
				continue;
			for (j = first_al; j < n; j++)
				if (out[j].app == key >> 16 && out[j].layer == (key & 0xffff))
					break;
			if (j == n) {
				if (n - first_al == FP_MON_NAL) {
					rep->al_full += l->al[k].opened;
					continue;
				}
				memset(&out[n], 0, sizeof(out[n]));
				out[n].kind = FP_MON_APP_LAYER;
				out[n].app = (uint16_t)(key >> 16);
				out[n].layer = (uint16_t)key;
				n++;
			}
			add_cnt(&out[j], &l->al[k]);
		}
	}
	return n;
}

void fp_mon_read(struct fp_mon *m, uint64_t now, uint32_t start,
		 struct fp_msg_mon_rec *recs, uint32_t max, struct fp_msg_mon_reply *rep)
{
	uint32_t total;

	memset(rep, 0, sizeof(*rep));
	pthread_mutex_lock(&m->rlock);
	sweep(m, now);
	total = aggregate(m, rep);
	rep->total = total;
	rep->timeout_ms = m->cfg.timeout_ms;
	rep->slots = m->cfg.slots;
	if (start < total) {
		rep->nrec = total - start < max ? total - start : max;
		memcpy(recs, &m->agg[start], rep->nrec * sizeof(*recs));
	}
	pthread_mutex_unlock(&m->rlock);
}
