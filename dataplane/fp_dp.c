/* SPDX-License-Identifier: MIT */
#include "fp_dp.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "esop_parse.h"
#include "fp_bind.h"
#include "fp_meter.h"
#include "fp_mon.h"
#include "fp_view.h"

#define RETIRED_MAX	16

/* A base table or an overlay, shared by the versions that use it. */
struct fp_part {
	const void *blob;
	size_t len;
	fp_release_fn release;
	void *ctx;
	unsigned int refs;		/* versions (and a merge) holding it; wlock */
};

/* One published version: the view the workers read, and its parts. */
struct fp_tver {
	struct fp_view v;
	struct fp_part *base, *ovl;
};

struct fp_retired {
	struct fp_tver *tv;
	uint64_t token;
};

struct fp_wstats {
	uint64_t c[FP_C__COUNT];
	uint64_t v[ESOP_V__COUNT];
	uint64_t d[ESOP_DROP__COUNT];
	uint64_t srv_frames[FP_MSG_NSERVERS], srv_bytes[FP_MSG_NSERVERS];
} __rte_cache_aligned;

struct fp_txq {
	uint16_t n;
	struct rte_mbuf *m[FP_BURST_MAX];
};

struct fp_worker {
	struct fp_dp *dp;
	unsigned int id;
	uint16_t rx_port, rx_queue, tx_queue;
	int ready;
	uint64_t now;			/* the burst's clock reading */
	struct fp_wstats st;
	struct fp_txq tx[FP_MAX_PORTS];
} __rte_cache_aligned;

/*
 * Where a device was last heard from, for RETURNs. Direct-mapped: a
 * colliding device evicts the entry (counted). Writers take the entry's
 * sequence with a CAS and skip learning when another lcore holds it;
 * readers retry on a changed sequence: no lock, no wait on the data path.
 */
struct fp_addr {
	uint32_t seq;
	uint32_t device_id;
	uint8_t mac[6];
	uint16_t vlan_tci;
	uint8_t has_vlan;
	uint8_t pad[15];
};

struct fp_dp {
	struct fp_dp_cfg cfg;
	struct esop_parse_cfg pcfg;
	struct fp_tver *cur;			/* RCU-published */
	struct rte_rcu_qsbr *qsbr;
	struct fp_meter *meter;
	struct fp_mon *mon;			/* tasks, TENSOR to RESULT */
	struct fp_bind *bind;			/* source bindings (guard_uplink) */
	struct fp_meter *reply;			/* DECISION bytes per device */
	struct fp_addr *addrs;
	struct rte_ring *ctl;
	struct rte_ether_addr port_mac[FP_MAX_PORTS];
	volatile int stop;
	pthread_mutex_t wlock;			/* writers (apply, reclaim) only */
	struct fp_retired retired[RETIRED_MAX];
	unsigned int nretired;
	uint64_t swaps, refused, deltas, merges;
	struct fp_worker *w;			/* cfg.nworkers */
};

int fp_dp_create(const struct fp_dp_cfg *cfg, struct fp_dp **out)
{
	struct fp_dp *dp;
	char name[RTE_RING_NAMESIZE];
	size_t qsz;
	int err;

	if (!cfg->nworkers || cfg->nworkers > FP_MAX_WORKERS || !cfg->nports ||
	    cfg->nports > FP_MAX_PORTS || cfg->ap_port >= cfg->nports ||
	    cfg->burst > FP_BURST_MAX ||
	    (cfg->addr_slots & (cfg->addr_slots - 1)))
		return -EINVAL;
	dp = rte_zmalloc("fp_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (!dp)
		return -ENOMEM;
	dp->cfg = *cfg;
	if (!dp->cfg.burst)
		dp->cfg.burst = FP_BURST_MAX;
	if (!dp->cfg.max_devices)
		dp->cfg.max_devices = ES_MAX_DEVICES;
	if (!dp->cfg.addr_slots)
		dp->cfg.addr_slots = 65536;
	if (!dp->cfg.ctl_ring)
		dp->cfg.ctl_ring = 4096;
	dp->pcfg.esop_port = cfg->esop_port;
	pthread_mutex_init(&dp->wlock, NULL);

	err = -ENOMEM;
	dp->w = rte_zmalloc("fp_workers", sizeof(*dp->w) * dp->cfg.nworkers,
			    RTE_CACHE_LINE_SIZE);
	if (!dp->w)
		goto err_free;
	qsz = rte_rcu_qsbr_get_memsize(dp->cfg.nworkers);
	dp->qsbr = rte_zmalloc("fp_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (!dp->qsbr)
		goto err_workers;
	err = rte_rcu_qsbr_init(dp->qsbr, dp->cfg.nworkers);
	if (err)
		goto err_qsbr;
	err = fp_meter_create(dp->cfg.max_devices, rte_get_tsc_hz(), &dp->meter);
	if (err)
		goto err_qsbr;
	struct fp_mon_cfg mc = { .nlcores = dp->cfg.nworkers, .hz = rte_get_tsc_hz() };

	err = fp_mon_create(&mc, &dp->mon);
	if (err)
		goto err_meter;
	err = fp_meter_create(dp->cfg.max_devices, rte_get_tsc_hz(), &dp->reply);
	if (err)
		goto err_mon;
	err = fp_bind_create(dp->cfg.max_devices, rte_get_tsc_hz() / 1000 *
			     (dp->cfg.bind_idle_ms ? dp->cfg.bind_idle_ms : 60000), &dp->bind);
	if (err)
		goto err_reply;
	err = -ENOMEM;
	dp->addrs = rte_zmalloc("fp_addrs", sizeof(*dp->addrs) * dp->cfg.addr_slots,
				RTE_CACHE_LINE_SIZE);
	if (!dp->addrs)
		goto err_bind;
	snprintf(name, sizeof(name), "fp_ctl_%lx", (unsigned long)(uintptr_t)dp & 0xffffff);
	dp->ctl = rte_ring_create_elem(name, sizeof(struct fp_msg_telem_rec),
				       rte_align32pow2(dp->cfg.ctl_ring), SOCKET_ID_ANY,
				       RING_F_SC_DEQ);
	if (!dp->ctl) {
		err = -rte_errno;
		goto err_addrs;
	}
	for (uint16_t p = 0; p < dp->cfg.nports; p++)
		rte_eth_macaddr_get(p, &dp->port_mac[p]);
	*out = dp;
	return 0;

err_addrs:
	rte_free(dp->addrs);
err_bind:
	fp_bind_free(dp->bind);
err_reply:
	fp_meter_free(dp->reply);
err_mon:
	fp_mon_free(dp->mon);
err_meter:
	fp_meter_free(dp->meter);
err_qsbr:
	rte_free(dp->qsbr);
err_workers:
	rte_free(dp->w);
err_free:
	rte_free(dp);
	return err;
}

static void part_put(struct fp_part *p)
{
	if (!p || --p->refs)
		return;
	if (p->release)
		p->release(p->ctx, p->blob, p->len);
	free(p);
}

static struct fp_part *part_new(const void *blob, size_t len, fp_release_fn release, void *ctx)
{
	struct fp_part *p = malloc(sizeof(*p));

	if (p)
		*p = (struct fp_part){ blob, len, release, ctx, 1 };
	return p;
}

static void release_tver(struct fp_tver *tv)
{
	if (!tv)
		return;
	part_put(tv->base);
	part_put(tv->ovl);
	free(tv);
}

void fp_dp_free(struct fp_dp *dp)
{
	if (!dp)
		return;
	for (unsigned int i = 0; i < dp->nretired; i++)
		release_tver(dp->retired[i].tv);
	release_tver(dp->cur);
	rte_ring_free(dp->ctl);
	rte_free(dp->addrs);
	fp_mon_free(dp->mon);
	fp_bind_free(dp->bind);
	fp_meter_free(dp->reply);
	fp_meter_free(dp->meter);
	rte_free(dp->qsbr);
	rte_free(dp->w);
	rte_free(dp);
}

int fp_dp_worker_init(struct fp_dp *dp, unsigned int w, uint16_t rx_port,
		      uint16_t rx_queue, uint16_t tx_queue)
{
	struct fp_worker *wk;
	int err;

	if (w >= dp->cfg.nworkers || rx_port >= dp->cfg.nports)
		return -EINVAL;
	wk = &dp->w[w];
	wk->dp = dp;
	wk->id = w;
	wk->rx_port = rx_port;
	wk->rx_queue = rx_queue;
	wk->tx_queue = tx_queue;
	err = rte_rcu_qsbr_thread_register(dp->qsbr, w);
	if (err)
		return err;
	rte_rcu_qsbr_thread_online(dp->qsbr, w);
	wk->ready = 1;
	return 0;
}

void fp_dp_worker_offline(struct fp_dp *dp, unsigned int w)
{
	if (w < dp->cfg.nworkers && dp->w[w].ready)
		rte_rcu_qsbr_thread_offline(dp->qsbr, w);
}

void *fp_dp_worker_arg(struct fp_dp *dp, unsigned int w)
{
	return w < dp->cfg.nworkers ? &dp->w[w] : NULL;
}

void fp_dp_stop(struct fp_dp *dp)
{
	dp->stop = 1;
}

void fp_dp_resume(struct fp_dp *dp)
{
	dp->stop = 0;
}

/* --- tables --- */

/* Releases every retired version whose grace period is over. Holds wlock. */
static void reclaim_locked(struct fp_dp *dp, int wait)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < dp->nretired; i++) {
		if (rte_rcu_qsbr_check(dp->qsbr, dp->retired[i].token, wait) == 1)
			release_tver(dp->retired[i].tv);
		else
			dp->retired[k++] = dp->retired[i];
	}
	dp->nretired = k;
}

void fp_dp_reclaim(struct fp_dp *dp)
{
	pthread_mutex_lock(&dp->wlock);
	reclaim_locked(dp, 0);
	pthread_mutex_unlock(&dp->wlock);
}

/* Publishes @tv and retires the version it replaces. Holds wlock. */
static void publish_locked(struct fp_dp *dp, struct fp_tver *tv)
{
	struct fp_tver *old;

	/* no room for one more retired version: wait for the oldest grace period */
	if (dp->nretired == RETIRED_MAX)
		reclaim_locked(dp, 1);
	old = __atomic_exchange_n(&dp->cur, tv, __ATOMIC_ACQ_REL);
	dp->swaps++;
	if (old) {
		dp->retired[dp->nretired].tv = old;
		dp->retired[dp->nretired].token = rte_rcu_qsbr_start(dp->qsbr);
		dp->nretired++;
	}
	reclaim_locked(dp, 0);
}

int fp_dp_apply(struct fp_dp *dp, const void *blob, size_t len, int force,
		fp_release_fn release, void *ctx, const char **why)
{
	struct fp_table_limits lim = {
		.max_devices = dp->cfg.max_devices,
		.nports = dp->cfg.nports,
	};
	const struct fp_tbl_hdr *t = blob;
	struct fp_tver *tv;
	int err = fp_table_validate(blob, len, &lim, why);

	pthread_mutex_lock(&dp->wlock);
	if (!err && dp->cur && t->epoch < dp->cur->v.front->epoch && !force) {
		err = -ESTALE;
		if (why)
			*why = "header.epoch: older than the table in force";
	}
	if (err)
		goto err_refuse;
	err = -ENOMEM;
	tv = calloc(1, sizeof(*tv));
	if (!tv)
		goto err_refuse;
	tv->base = part_new(blob, len, release, ctx);
	if (!tv->base) {
		free(tv);
		goto err_refuse;
	}
	fp_view_of_base(&tv->v, t);
	publish_locked(dp, tv);
	pthread_mutex_unlock(&dp->wlock);
	return 0;

err_refuse:
	dp->refused++;
	pthread_mutex_unlock(&dp->wlock);
	return err;
}

static void release_ovl(void *ctx, const void *blob, size_t len)
{
	(void)ctx;
	(void)len;
	fp_view_ovl_free(blob);
}

static void release_merged(void *ctx, const void *blob, size_t len)
{
	(void)ctx;
	fp_view_base_free(blob, len);
}

int fp_dp_apply_delta(struct fp_dp *dp, const void *blob, size_t len, int force,
		      const char **why)
{
	struct fp_table_limits lim = {
		.max_devices = dp->cfg.max_devices,
		.nports = dp->cfg.nports,
	};
	const struct fp_tbl_hdr *ovl = NULL;
	struct fp_tver *tv = NULL, *cur;
	int err;

	pthread_mutex_lock(&dp->wlock);
	cur = dp->cur;
	err = -EXDEV;
	if (why)
		*why = "delta.base_epoch: no table in force to apply it to";
	if (!cur)
		goto err_refuse;
	/* as strict as a table: checked whole before anything is built */
	err = fp_delta_validate(blob, len, &lim, fp_table_servers(cur->v.base),
				cur->v.base->nservers, why);
	if (err)
		goto err_refuse;
	err = -ENOMEM;
	tv = calloc(1, sizeof(*tv));
	if (!tv)
		goto err_refuse;
	err = fp_view_fold(&cur->v, blob, force, dp->cfg.max_devices, &ovl, &tv->v, why);
	if (err)
		goto err_refuse;
	tv->ovl = part_new(ovl, 0, release_ovl, NULL);
	if (!tv->ovl) {
		fp_view_ovl_free(ovl);
		err = -ENOMEM;
		goto err_refuse;
	}
	tv->base = cur->base;
	tv->base->refs++;
	publish_locked(dp, tv);
	dp->deltas++;
	pthread_mutex_unlock(&dp->wlock);
	return 0;

err_refuse:
	free(tv);
	dp->refused++;
	pthread_mutex_unlock(&dp->wlock);
	return err;
}

int fp_dp_merge(struct fp_dp *dp, int always)
{
	const struct fp_tbl_hdr *nb;
	struct fp_tver *cur, *tv;
	struct fp_view v;
	struct fp_part *base, *ovl;
	size_t len;
	int err;

	pthread_mutex_lock(&dp->wlock);
	cur = dp->cur;
	if (!cur || !cur->ovl || (!always && cur->v.ovl_entries < FP_OVL_MERGE_AT)) {
		pthread_mutex_unlock(&dp->wlock);
		return 0;
	}
	/* held while the lock is not: the merge reads them */
	v = cur->v;
	base = cur->base;
	ovl = cur->ovl;
	base->refs++;
	ovl->refs++;
	pthread_mutex_unlock(&dp->wlock);

	/* the long part, off the lock: workers keep judging by cur meanwhile */
	err = fp_view_merge(&v, &nb, &len);

	pthread_mutex_lock(&dp->wlock);
	tv = err ? NULL : calloc(1, sizeof(*tv));
	if (tv)
		tv->base = part_new(nb, len, release_merged, NULL);
	if (tv && tv->base && dp->cur == cur) {
		fp_view_of_base(&tv->v, nb);
		publish_locked(dp, tv);
		dp->merges++;
	} else {
		/* no memory, or a newer version came meanwhile: merge it later */
		if (tv && tv->base)
			part_put(tv->base);
		else if (!err)
			fp_view_base_free(nb, len);
		free(tv);
		err = err ? err : dp->cur == cur ? -ENOMEM : -EAGAIN;
	}
	part_put(base);
	part_put(ovl);
	pthread_mutex_unlock(&dp->wlock);
	return err ? err : 1;
}

void fp_dp_note_refused(struct fp_dp *dp)
{
	pthread_mutex_lock(&dp->wlock);
	dp->refused++;
	pthread_mutex_unlock(&dp->wlock);
}

uint64_t fp_dp_epoch(struct fp_dp *dp)
{
	struct fp_tver *tv = __atomic_load_n(&dp->cur, __ATOMIC_ACQUIRE);

	return tv ? tv->v.front->epoch : 0;
}

const struct fp_tbl_hdr *fp_dp_table(struct fp_dp *dp)
{
	struct fp_tver *tv = __atomic_load_n(&dp->cur, __ATOMIC_ACQUIRE);

	return tv ? tv->v.front : NULL;
}

const struct fp_view *fp_dp_view(struct fp_dp *dp)
{
	struct fp_tver *tv = __atomic_load_n(&dp->cur, __ATOMIC_ACQUIRE);

	return tv ? &tv->v : NULL;
}

void fp_dp_stats(struct fp_dp *dp, struct fp_msg_stats *out)
{
	_Static_assert(FP_MSG_NVERDICTS == ESOP_V__COUNT, "verdict count");
	_Static_assert(FP_MSG_NREASONS == ESOP_DROP__COUNT, "reason count");
	_Static_assert(FP_MSG_NSERVERS == ES_MAX_SERVERS, "server count");
	memset(out, 0, sizeof(*out));
	out->epoch = fp_dp_epoch(dp);
	for (unsigned int w = 0; w < dp->cfg.nworkers; w++) {
		const struct fp_wstats *s = &dp->w[w].st;

		for (int i = 0; i < FP_C__COUNT; i++)
			out->counters[i] += s->c[i];
		for (int i = 0; i < ESOP_V__COUNT; i++)
			out->verdicts[i] += s->v[i];
		for (int i = 0; i < ESOP_DROP__COUNT; i++)
			out->drops[i] += s->d[i];
		for (int i = 0; i < FP_MSG_NSERVERS; i++) {
			out->server_frames[i] += s->srv_frames[i];
			out->server_bytes[i] += s->srv_bytes[i];
		}
	}
	out->counters[FP_C_SWAPS] = dp->swaps;
	out->counters[FP_C_REFUSED] = dp->refused;
	out->counters[FP_C_DELTAS] = dp->deltas;
	out->counters[FP_C_MERGES] = dp->merges;
	out->max_devices = dp->cfg.max_devices;
	out->nports = dp->cfg.nports;
}

/* --- device addresses --- */

static struct fp_addr *addr_slot(struct fp_dp *dp, uint32_t id)
{
	return &dp->addrs[fp_table_hash(id, 32) & (dp->cfg.addr_slots - 1)];
}

static void addr_learn(struct fp_dp *dp, struct fp_wstats *st, uint32_t id,
		       const uint8_t *mac, const struct esop_pkt *pkt)
{
	struct fp_addr *a = addr_slot(dp, id);
	uint16_t tci = pkt->has_vlan ? pkt->vlan_tci : 0;
	uint32_t seq = __atomic_load_n(&a->seq, __ATOMIC_ACQUIRE);

	/* unchanged: no write, so the line is not bounced between lcores */
	if (!(seq & 1) && a->device_id == id && !memcmp(a->mac, mac, 6) &&
	    a->has_vlan == pkt->has_vlan && a->vlan_tci == tci)
		return;
	if ((seq & 1) || !__atomic_compare_exchange_n(&a->seq, &seq, seq + 1, 0,
						      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;		/* another lcore is writing it: learn next time */
	if (a->device_id && a->device_id != id)
		st->c[FP_C_ADDR_EVICT]++;
	a->device_id = id;
	memcpy(a->mac, mac, 6);
	a->has_vlan = pkt->has_vlan;
	a->vlan_tci = tci;
	__atomic_store_n(&a->seq, seq + 2, __ATOMIC_RELEASE);
}

static int addr_find(struct fp_dp *dp, uint32_t id, struct fp_addr *out)
{
	struct fp_addr *a = addr_slot(dp, id);

	for (int tries = 0; tries < 4; tries++) {
		uint32_t s1 = __atomic_load_n(&a->seq, __ATOMIC_ACQUIRE);

		if (s1 & 1)
			continue;
		memcpy(out, a, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&a->seq, __ATOMIC_RELAXED) == s1)
			return out->device_id == id;
	}
	return 0;
}

int fp_dp_device(struct fp_dp *dp, uint32_t id, struct fp_dev_info *out)
{
	struct fp_tver *tv = __atomic_load_n(&dp->cur, __ATOMIC_ACQUIRE);
	const struct fp_tbl_hdr *from;
	const struct fp_tbl_slot *s = tv ? fp_view_device(&tv->v, id, &from) : NULL;
	struct fp_addr a;

	memset(out, 0, sizeof(*out));
	out->bucket_bytes = -1;
	if (s) {
		out->in_table = 1;
		out->rate_kbps = s->rate_kbps;
		out->burst_bytes = s->burst_bytes;
		out->napps = s->apps & 31;
		out->bucket_bytes = fp_meter_level(dp->meter, id, s->rate_kbps,
						   s->burst_bytes, rte_rdtsc());
	}
	if (addr_find(dp, id, &a)) {
		out->addr_known = 1;
		memcpy(out->mac, a.mac, 6);
		out->has_vlan = a.has_vlan;
		out->vlan_tci = a.vlan_tci;
	}
	return s || out->addr_known ? 0 : -ENOENT;
}

void fp_dp_monitor(struct fp_dp *dp, uint32_t start, struct fp_msg_mon_rec *recs,
		   uint32_t max, struct fp_msg_mon_reply *rep)
{
	fp_mon_read(dp->mon, rte_rdtsc(), start, recs, max, rep);
}

unsigned int fp_dp_ctl_drain(struct fp_dp *dp, struct fp_msg_telem_rec *recs,
			     unsigned int max)
{
	return rte_ring_sc_dequeue_burst_elem(dp->ctl, recs, sizeof(*recs), max, NULL);
}

/* --- frame building --- */

/* Big-endian stores at any alignment (frames are not aligned for us). */
static inline void put16(uint8_t *p, uint16_t v)
{
	rte_be16_t be = rte_cpu_to_be_16(v);

	memcpy(p, &be, sizeof(be));
}

static inline void put32(uint8_t *p, uint32_t v)
{
	rte_be32_t be = rte_cpu_to_be_32(v);

	memcpy(p, &be, sizeof(be));
}

/*
 * Writes an IP header at @ip for @l4_bytes of UDP after it, per PROTOCOL.md
 * "Building a DECISION": TTL/hop limit 64, IPv4 id 0 and DF, no options,
 * IPv6 traffic class and flow label 0. Returns the header length.
 */
static unsigned int put_ip(uint8_t *ip, int v6, const uint8_t *src,
			   const uint8_t *dst, unsigned int l4_bytes)
{
	if (v6) {
		memset(ip, 0, 8);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4_bytes);
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		return 40;
	}
	memset(ip, 0, 12);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4_bytes));
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	((struct rte_ipv4_hdr *)ip)->hdr_checksum = rte_ipv4_cksum((struct rte_ipv4_hdr *)ip);
	return 20;
}

/* Fills the UDP checksum of the datagram whose IP header is at @ip. */
static void udp_cksum(uint8_t *ip, int v6, unsigned int ihl)
{
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + ihl);

	u->dgram_cksum = 0;
	u->dgram_cksum = v6 ? rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, u)
			    : rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)ip, u);
}

static void put_udp(uint8_t *u, uint16_t sport, uint16_t dport, unsigned int len)
{
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)len);
	put16(u + 6, 0);
}

/* What a DECISION says: the placement of (device, app) in one table. */
struct fp_answer {
	uint8_t kind, server, exit;
	uint16_t split;
	uint32_t rate_kbps;
	uint32_t epoch;
};

static void answer_of(const struct fp_tbl_hdr *t, const struct fp_tbl_slot *d,
		      const struct fp_tbl_app *a, struct fp_answer *ans)
{
	ans->kind = ESOP_TARGET_LOCAL;
	ans->server = 0;
	ans->split = 0;
	ans->exit = 0;
	if (a) {
		ans->kind = a->target_kind;
		if (a->target_kind != ESOP_TARGET_LOCAL)
			ans->server = fp_table_servers(t)[a->server].kind_index;
		ans->split = a->split_layer;
		ans->exit = a->exit;
	}
	ans->rate_kbps = d->rate_kbps;
	ans->epoch = (uint32_t)t->epoch;
}

/*
 * Turns the request in @m into its DECISION, in place (PROTOCOL.md
 * "Building a DECISION"). The largest reply is 170 bytes, well inside any
 * mbuf's data room. Returns 0 or -ENOSPC.
 */
static int build_decision(struct rte_mbuf *m, const struct esop_pkt *pkt,
			  const struct fp_answer *ans)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t mac[12], osrc[16], odst[16];
	unsigned int l2 = pkt->l3_off, ihl = pkt->ipv6 ? 40 : 20;
	unsigned int inner = ihl + 8 + ESOP_HDR_BYTES + ESOP_DECISION_BYTES;
	unsigned int oihl = pkt->outer_ipv6 ? 40 : 20;
	unsigned int total = l2 + inner + (pkt->gtpu ? oihl + 8 + 8 : 0);
	uint8_t *ip, *e;

	if (total > rte_pktmbuf_data_len(m) &&
	    !rte_pktmbuf_append(m, (uint16_t)(total - rte_pktmbuf_data_len(m))))
		return -ENOSPC;
	if (total < rte_pktmbuf_data_len(m))
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - total));
	/* save what the rewrite overwrites: MACs and the outer addresses */
	memcpy(mac, f, 12);
	if (pkt->gtpu) {
		const uint8_t *o = f + pkt->l3_off;

		memcpy(osrc, o + (pkt->outer_ipv6 ? 8 : 12), pkt->outer_ipv6 ? 16 : 4);
		memcpy(odst, o + (pkt->outer_ipv6 ? 24 : 16), pkt->outer_ipv6 ? 16 : 4);
	}
	memcpy(f, mac + 6, 6);
	memcpy(f + 6, mac, 6);
	/* a VLAN tag and the ethertype stay as they were */
	ip = f + l2;
	if (pkt->gtpu) {
		uint8_t *ou = ip + put_ip(ip, pkt->outer_ipv6, odst, osrc, 8 + 8 + inner);
		uint8_t *g = ou + 8;

		put_udp(ou, ESOP_GTPU_PORT, ESOP_GTPU_PORT, 8 + 8 + inner);
		g[0] = 0x30;
		g[1] = 0xff;
		put16(g + 2, (uint16_t)inner);
		put32(g + 4, pkt->gtpu_teid);
		ip = g + 8;
	}
	put_ip(ip, pkt->ipv6, pkt->daddr, pkt->saddr, 8 + ESOP_HDR_BYTES + ESOP_DECISION_BYTES);
	put_udp(ip + ihl, pkt->dst_port, pkt->src_port, 8 + ESOP_HDR_BYTES + ESOP_DECISION_BYTES);
	e = ip + ihl + 8;
	put16(e + ESOP_OFF_MAGIC, ESOP_MAGIC);
	e[ESOP_OFF_VERSION] = ESOP_VERSION;
	e[ESOP_OFF_TYPE] = ESOP_T_DECISION;
	e[ESOP_OFF_FLAGS] = 0;
	e[ESOP_OFF_HDR_LEN] = ESOP_HDR_MIN_WORDS;
	put16(e + ESOP_OFF_APP_ID, pkt->app_id);
	put32(e + ESOP_OFF_DEVICE_ID, pkt->device_id);
	put32(e + ESOP_OFF_TASK_ID, pkt->task_id);
	put16(e + ESOP_OFF_LAYER, ans->split);
	put16(e + ESOP_OFF_SNR_QDB, 0);
	put32(e + ESOP_OFF_TOTAL_LEN, ESOP_DECISION_BYTES);
	put32(e + ESOP_OFF_FRAG_OFF, 0);
	put32(e + ESOP_OFF_DEADLINE_US, pkt->deadline_us);
	e += ESOP_HDR_BYTES;
	memset(e, 0, ESOP_DECISION_BYTES);
	e[ESOP_DEC_OFF_TARGET_KIND] = ans->kind;
	e[ESOP_DEC_OFF_SERVER] = ans->server;
	put16(e + ESOP_DEC_OFF_SPLIT_LAYER, ans->split);
	e[ESOP_DEC_OFF_EXIT_POINT] = ans->exit;
	put32(e + ESOP_DEC_OFF_RATE_KBPS, ans->rate_kbps);
	put32(e + ESOP_DEC_OFF_POLICY_EPOCH, ans->epoch);
	/* inner checksum first: the outer one covers it */
	udp_cksum(ip, pkt->ipv6, ihl);
	if (pkt->gtpu)
		udp_cksum(f + l2, pkt->outer_ipv6, oihl);
	m->pkt_len = m->data_len;
	return 0;
}

/* RFC 1624 incremental update of a checksum over @n changed bytes (n even). */
static uint16_t csum_replace(uint16_t c, const uint8_t *old, const uint8_t *new,
			     unsigned int n)
{
	uint32_t s = (uint16_t)~c;

	for (unsigned int i = 0; i < n; i += 2) {
		s += (uint16_t)~((old[i] << 8) | old[i + 1]);
		s += (uint16_t)((new[i] << 8) | new[i + 1]);
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * FORWARD: the datagram carrying ESOP (the inner one for GTP-U, which is
 * thereby decapsulated; a VLAN tag and Ethernet padding are dropped) gets a
 * new Ethernet header towards the server, the server's address and UDP
 * port as destination; the device's address and port stay as source. IPv4
 * header checksum recomputed, UDP checksum updated incrementally (an IPv4
 * datagram sent without one stays without).
 */
static int rewrite_forward(struct rte_mbuf *m, const struct esop_pkt *pkt,
			   const struct fp_tbl_server *s,
			   const struct rte_ether_addr *src_mac)
{
	unsigned int ihl = pkt->udp_off - pkt->ip_off;
	unsigned int dlen = ihl + pkt->udp_len;
	uint8_t *f, *ip, *u, old[18], new[18];
	uint16_t c;
	unsigned int alen = pkt->ipv6 ? 16 : 4;

	if (pkt->ip_off > 14)
		rte_pktmbuf_adj(m, (uint16_t)(pkt->ip_off - 14));
	f = rte_pktmbuf_mtod(m, uint8_t *);
	if (rte_pktmbuf_data_len(m) > 14 + dlen)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - 14 - dlen));
	memcpy(f, s->mac, 6);
	memcpy(f + 6, src_mac->addr_bytes, 6);
	put16(f + 12, pkt->ipv6 ? 0x86dd : 0x0800);
	ip = f + 14;
	u = ip + ihl;
	/* old and new (address, port) for the pseudo-header checksum update */
	memcpy(old, ip + (pkt->ipv6 ? 24 : 16), alen);
	memcpy(old + alen, u + 2, 2);
	memcpy(new, s->ip, alen);
	put16(new + alen, s->udp_port);
	memcpy(ip + (pkt->ipv6 ? 24 : 16), s->ip, alen);
	memcpy(u + 2, new + alen, 2);
	c = (uint16_t)((u[6] << 8) | u[7]);
	if (c || pkt->ipv6) {
		c = csum_replace(c, old, new, alen + 2);
		put16(u + 6, c ? c : 0xffff);
	}
	if (!pkt->ipv6) {
		ip[10] = ip[11] = 0;
		((struct rte_ipv4_hdr *)ip)->hdr_checksum =
			rte_ipv4_cksum((struct rte_ipv4_hdr *)ip);
	}
	return 0;
}

/*
 * RETURN: the RESULT keeps everything from its IP header on; its Ethernet
 * header is rebuilt towards the device's learned MAC (with the device's
 * VLAN tag when it sent tagged), from the AP port's MAC.
 */
static int rewrite_return(struct rte_mbuf *m, const struct esop_pkt *pkt,
			  const struct fp_addr *a, const struct rte_ether_addr *src_mac)
{
	unsigned int l2 = a->has_vlan ? 18 : 14;
	uint8_t *f;

	if (l2 > pkt->l3_off) {
		if (!rte_pktmbuf_prepend(m, (uint16_t)(l2 - pkt->l3_off)))
			return -ENOSPC;
	} else if (l2 < pkt->l3_off) {
		rte_pktmbuf_adj(m, (uint16_t)(pkt->l3_off - l2));
	}
	f = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(f, a->mac, 6);
	memcpy(f + 6, src_mac->addr_bytes, 6);
	if (a->has_vlan) {
		put16(f + 12, 0x8100);
		put16(f + 14, a->vlan_tci);
	}
	put16(f + l2 - 2, pkt->outer_ipv6 ? 0x86dd : 0x0800);
	return 0;
}

/* --- the burst --- */

static void tx_enqueue(struct fp_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct fp_txq *q = &w->tx[port];

	q->m[q->n++] = m;	/* <= one RX burst per port: never overflows */
}

static void tx_flush(struct fp_worker *w)
{
	for (uint16_t p = 0; p < w->dp->cfg.nports; p++) {
		struct fp_txq *q = &w->tx[p];
		uint16_t sent;

		if (!q->n)
			continue;
		sent = rte_eth_tx_burst(p, w->tx_queue, q->m, q->n);
		w->st.c[FP_C_TX] += sent;
		if (sent < q->n) {
			w->st.c[FP_C_TX_DROP] += q->n - sent;
			rte_pktmbuf_free_bulk(q->m + sent, q->n - sent);
		}
		q->n = 0;
	}
}

static void to_control(struct fp_worker *w, const struct esop_pkt *pkt, int v)
{
	struct fp_msg_telem_rec r = {
		.device_id = pkt->device_id, .task_id = pkt->task_id,
		.app_id = pkt->app_id, .snr_qdb = pkt->snr_qdb,
		.type = pkt->type, .verdict = (uint8_t)v,
		.flags = pkt->flags, .total_len = pkt->total_len,
	};

	if (rte_ring_mp_enqueue_elem(w->dp->ctl, &r, sizeof(r)) == 0)
		w->st.c[FP_C_TO_CONTROL]++;
	else
		w->st.c[FP_C_CONTROL_FULL]++;
}

/*
 * A frame of a device of the table from the source its device is bound to
 * (fp_bind.h)? 0: spoofed, dropped before the meter so that it cannot
 * spend its victim's bucket, counted bind_mismatch, and no verdict.
 */
static int guard_uplink(struct fp_worker *w, const struct esop_pkt *pkt)
{
	static const int counter[] = {
		[FP_BIND_LEARNED] = FP_C_BIND_LEARNED, [FP_BIND_EVICTED] = FP_C_BIND_EVICT,
		[FP_BIND_MOVED] = FP_C_BIND_MOVED, [FP_BIND_BUSY] = FP_C_BIND_BUSY,
		[FP_BIND_MISMATCH] = FP_C_BIND_MISMATCH,
	};
	enum fp_bind_result r = fp_bind_check(w->dp->bind, pkt, w->now);

	if (r != FP_BIND_OK)
		w->st.c[counter[r]]++;
	if (r == FP_BIND_EVICTED)
		w->st.c[FP_C_BIND_LEARNED]++;
	return r != FP_BIND_MISMATCH;
}

/*
 * A DECISION (@m, built) may go when the device's reply meter, at its own
 * rate and burst, holds its bytes: whatever the requests, the DECISION
 * bytes sent to a device's address are at most burst + rate x time. (A
 * DECISION is up to 16 bytes larger than a request without options, so the
 * uplink meter alone would let 90/74 of the rate back out.)
 */
static int reply_allowed(struct fp_worker *w, const struct fp_tbl_slot *d,
			 const struct esop_pkt *pkt, const struct rte_mbuf *m)
{
	int r = fp_meter_check(w->dp->reply, pkt->device_id, d->rate_kbps, d->burst_bytes,
			       rte_pktmbuf_pkt_len(m), w->now);

	if (r < 0)
		w->st.c[FP_C_METER_FULL]++;
	if (!r)
		w->st.c[FP_C_REPLY_LIMITED]++;
	return r != 0;
}

/* Acts on one judged frame. Returns 1 when @m was queued for TX. */
static int act(struct fp_worker *w, const struct fp_tbl_hdr *t, struct rte_mbuf *m,
	       const struct esop_pkt *pkt, int v, const struct fp_tbl_slot *d,
	       const struct fp_tbl_app *a)
{
	struct fp_dp *dp = w->dp;
	uint64_t now = w->now;
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	struct fp_answer ans;
	struct fp_addr addr;

	switch (v) {
	case ESOP_V_REQUEST:
		addr_learn(dp, &w->st, pkt->device_id, f + 6, pkt);
		to_control(w, pkt, v);
		if (pkt->type != ESOP_T_OFFLOAD_REQ)
			return 0;
		/* an OFFLOAD_REQ is answered like a LOCAL tensor */
		__attribute__((fallthrough));
	case ESOP_V_LOCAL:
		if (v == ESOP_V_LOCAL)
			addr_learn(dp, &w->st, pkt->device_id, f + 6, pkt);
		answer_of(t, d, a, &ans);
		if (build_decision(m, pkt, &ans)) {
			w->st.c[FP_C_TOO_BIG]++;
			return 0;
		}
		if (!reply_allowed(w, d, pkt, m))
			return 0;
		w->st.c[FP_C_DECISION]++;
		tx_enqueue(w, w->rx_port, m);
		return 1;
	case ESOP_V_FORWARD: {
		const struct fp_tbl_server *s = &fp_table_servers(t)[a->server];

		addr_learn(dp, &w->st, pkt->device_id, f + 6, pkt);
		if (s->ipv6 != pkt->ipv6) {
			w->st.c[FP_C_FAMILY_MISMATCH]++;
			return 0;
		}
		rewrite_forward(m, pkt, s, &dp->port_mac[s->port]);
		w->st.srv_frames[a->server]++;
		w->st.srv_bytes[a->server] += rte_pktmbuf_pkt_len(m);
		fp_mon_tensor(dp->mon, w->id, pkt, a->server, rte_pktmbuf_pkt_len(m), now);
		tx_enqueue(w, s->port, m);
		return 1;
	}
	case ESOP_V_RETURN:
		if (!addr_find(dp, pkt->device_id, &addr)) {
			w->st.c[FP_C_RETURN_NO_ADDR]++;
			return 0;
		}
		if (rewrite_return(m, pkt, &addr, &dp->port_mac[dp->cfg.ap_port])) {
			w->st.c[FP_C_TOO_BIG]++;
			return 0;
		}
		fp_mon_result(dp->mon, w->id, pkt, fp_table_server_by_addr(t, pkt->saddr, pkt->ipv6),
			      rte_pktmbuf_pkt_len(m), now);
		tx_enqueue(w, dp->cfg.ap_port, m);
		return 1;
	case ESOP_V_UNKNOWN_DEVICE:
		if (t && t->unknown_action == ES_UNKNOWN_CONTROL)
			to_control(w, pkt, v);
		return 0;
	default:
		return 0;
	}
}

unsigned int fp_dp_poll(struct fp_dp *dp, unsigned int wi)
{
	struct fp_worker *w = &dp->w[wi];
	struct rte_mbuf *m[FP_BURST_MAX];
	struct esop_pkt pkt[FP_BURST_MAX];
	int v[FP_BURST_MAX];
	const struct fp_tbl_slot *slot[FP_BURST_MAX];
	const struct fp_tbl_app *app[FP_BURST_MAX];
	const struct fp_tbl_slot *qslot[FP_BURST_MAX];
	const struct fp_tbl_app *qapp[FP_BURST_MAX];
	uint32_t ids[FP_BURST_MAX];
	uint16_t apps[FP_BURST_MAX];
	uint8_t q[FP_BURST_MAX];
	unsigned int nq = 0;
	const struct fp_tbl_hdr *t;
	struct fp_tver *tv;
	uint16_t n, i;
	uint64_t now;

	n = rte_eth_rx_burst(w->rx_port, w->rx_queue, m, dp->cfg.burst);
	if (!n) {
		rte_rcu_qsbr_quiescent(dp->qsbr, wi);
		return 0;
	}
	w->st.c[FP_C_RX] += n;
	/* one version and one clock reading for the whole burst */
	tv = __atomic_load_n(&dp->cur, __ATOMIC_ACQUIRE);
	t = tv ? tv->v.front : NULL;
	now = rte_rdtsc();
	w->now = now;

	for (i = 0; i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(m[i], void *));
	/* pass 1: parse; uplink frames queue their (device, app) lookup */
	for (i = 0; i < n; i++) {
		const uint8_t *d = rte_pktmbuf_mtod(m[i], const uint8_t *);

		if (m[i]->nb_segs != 1) {
			/* jumbo chains are not ESOP's business: dropped, counted */
			v[i] = -1;
			continue;
		}
		v[i] = esop_parse(d, d + rte_pktmbuf_data_len(m[i]), &dp->pcfg, &pkt[i]);
		if (v[i] == ESOP_V_NEEDS_TABLE)
			v[i] = esop_verdict_of_type(&pkt[i]);
		if (v[i] == ESOP_V_NEEDS_TABLE && t && pkt[i].type != ESOP_T_RESULT) {
			ids[nq] = pkt[i].device_id;
			apps[nq] = pkt[i].app_id;
			q[nq++] = (uint8_t)i;
		}
	}
	/* pass 2: the lookups of the whole burst, misses overlapped */
	if (nq)
		fp_view_lookup_burst(&tv->v, ids, apps, nq, qslot, qapp);
	for (i = 0; i < n; i++) {
		slot[i] = NULL;
		app[i] = NULL;
	}
	for (i = 0; i < nq; i++) {
		slot[q[i]] = qslot[i];
		app[q[i]] = qapp[i];
	}
	/* pass 3: meter, verdict, action, in arrival order */
	for (i = 0; i < n; i++) {
		struct esop_pkt *p = &pkt[i];
		int conforms = 0, target = ESOP_TARGET_LOCAL;

		if (v[i] == ESOP_V_NEEDS_TABLE && !t) {
			/* no table yet: no device is known and no address is a server */
			v[i] = p->type == ESOP_T_RESULT ? esop_verdict_of_result(0)
							: esop_verdict_of_uplink(p, 0, 0, 0);
		} else if (v[i] == ESOP_V_NEEDS_TABLE && p->type == ESOP_T_RESULT) {
			v[i] = esop_verdict_of_result(
				fp_table_server_by_addr(t, p->saddr, p->ipv6) >= 0);
		} else if (v[i] == ESOP_V_NEEDS_TABLE) {
			if (slot[i] && !guard_uplink(w, p)) {
				rte_pktmbuf_free(m[i]);	/* spoofed: counted, no verdict */
				continue;
			}
			if (slot[i]) {
				int r = fp_meter_check(dp->meter, p->device_id,
						       slot[i]->rate_kbps,
						       slot[i]->burst_bytes,
						       rte_pktmbuf_pkt_len(m[i]), now);

				if (r < 0)
					w->st.c[FP_C_METER_FULL]++;
				conforms = r != 0;
				if (app[i])
					target = app[i]->target_kind;
			}
			v[i] = esop_verdict_of_uplink(p, slot[i] != NULL, conforms, target);
		}
		if (v[i] < 0) {
			w->st.c[FP_C_TOO_BIG]++;
			rte_pktmbuf_free(m[i]);
			continue;
		}
		w->st.v[v[i]]++;
		if (v[i] == ESOP_V_MALFORMED)
			w->st.d[p->drop_reason]++;
		if (!act(w, t, m[i], p, v[i], slot[i], app[i]))
			rte_pktmbuf_free(m[i]);
	}
	tx_flush(w);
	rte_rcu_qsbr_quiescent(dp->qsbr, wi);
	return n;
}

int fp_dp_run(void *arg)
{
	struct fp_worker *w = arg;
	struct fp_dp *dp = w->dp;

	uint16_t own_port = w->rx_port, own_queue = w->rx_queue;
	int servers = dp->cfg.poll_servers && w->id == 0;

	rte_rcu_qsbr_thread_online(dp->qsbr, w->id);
	while (!dp->stop) {
		fp_dp_poll(dp, w->id);
		/* the servers' ports have one RX queue each, polled here only */
		for (uint16_t p = 0; servers && p < dp->cfg.nports; p++) {
			if (p == own_port)
				continue;
			w->rx_port = p;
			w->rx_queue = 0;
			fp_dp_poll(dp, w->id);
		}
		w->rx_port = own_port;
		w->rx_queue = own_queue;
	}
	rte_rcu_qsbr_thread_offline(dp->qsbr, w->id);
	return 0;
}
