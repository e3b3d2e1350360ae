// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * The XDP classifier on the AP NIC (docs/xdp.md). Every frame gets the
 * verdict of PROTOCOL.md from the shared parser (esop_parse.h) and the
 * verdict helpers, in their order, against ONE table version:
 *
 *   NOT_ESOP                          -> XDP_PASS, untouched
 *   MALFORMED, OVER_RATE, UNEXPECTED,
 *   UNKNOWN_DEVICE (drop)             -> XDP_DROP, counted
 *   REQUEST, FORWARD, LOCAL, RETURN,
 *   UNKNOWN_DEVICE (control)          -> xsks_map[rx queue], XDP_PASS when
 *                                        no AF_XDP socket is bound there
 *   a known device's frame from another source than its binding
 *   (es_xdp_meter, docs/security.md)  -> XDP_DROP, counted bind_mismatch
 *
 * Versions: es_cfg.active (read once per frame) picks es_dev0 or es_dev1
 * with es_tables[v] (bit 0), and the server slot (bit 1). The loader fills
 * the inactive version, flips es_cfg.active, and waits an RCU grace period
 * before it touches the old one again, so a frame never sees two versions.
 * Deltas replace single device entries in place: a frame reads at most one.
 *
 * Meters: es_meters, an array indexed by the slot the device entry names
 * (the loader keeps a device's slot across versions, so a swap does not
 * refill buckets), shared by all CPUs: GCRA with a bounded compare-and-swap
 * on the theoretical arrival time.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "es_abi.h"

/*
 * Capacity defaults; xdpc sets the real ones before load. The net_af_xdp
 * build compiles its own (its maps are created as declared, see below).
 */
#ifndef ES_XDP_DEFAULT_DEVICES
#define ES_XDP_DEFAULT_DEVICES	1000000
#endif
/* CAS attempts before a frame is judged non-conforming (contention). */
#define ES_XDP_CAS_TRIES	8

/*
 * The net_af_xdp build (-DES_XDP_AFXDP: edgesteer_xdp_afxdp.bpf.o, docs/xdp.md).
 * DPDK's PMD loads that object itself (xdp_prog=) and attaches its own
 * instance: every map that xdpc drives is pinned by name, so that the
 * instance reuses the maps xdpc created under /sys/fs/bpf (or xdpc reuses
 * the ones the PMD created first). ES_XDP_PIN goes into every map
 * declaration but xsks_map, which stays the PMD's own (it fills it; a pin
 * named xsks_map would clash with any other AF_XDP program on the host).
 * The PMD loads .rodata as compiled, so that build's meter clock needs no
 * setting: the coarse monotonic clock in ns, same tick as jiffies.
 */
#ifdef ES_XDP_AFXDP
#define ES_XDP_PIN	__uint(pinning, LIBBPF_PIN_BY_NAME);
#define ES_XDP_NOW()	bpf_ktime_get_coarse_ns()
#else
#define ES_XDP_PIN
#define ES_XDP_NOW()	(bpf_jiffies64() * es_tick_ns)
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	ES_XDP_PIN
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct es_xdp_cfg);
} es_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	ES_XDP_PIN
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct es_xdp_table);
} es_tables SEC(".maps");

/*
 * Not preallocated: memory follows the devices actually pushed, and an
 * element replaced in place is freed only after readers are done with it.
 */
struct es_dev_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	ES_XDP_PIN
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, ES_XDP_DEFAULT_DEVICES);
	__type(key, __u32);
	__type(value, struct es_xdp_device);
};

struct es_dev_map es_dev0 SEC(".maps");
struct es_dev_map es_dev1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	ES_XDP_PIN
	__uint(max_entries, ES_XDP_SERVERS);
	__type(key, struct es_xdp_server_key);
	__type(value, __u32);
} es_servers SEC(".maps");

/* An array: its lookup is inlined, no hashing (the loader sizes it). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	ES_XDP_PIN
	__uint(max_entries, 2 * ES_XDP_DEFAULT_DEVICES);
	__type(key, __u32);
	__type(value, struct es_xdp_meter);
} es_meters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	ES_XDP_PIN
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct es_xdp_stats);
} es_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, ES_XDP_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* ns per jiffy (TICK_NSEC); xdpc sets it before load (not read by the
 * net_af_xdp build, but declared in both: one skeleton fits both objects) */
const volatile __u64 es_tick_ns = 4000000;
/* a binding idle this long moves to the next source heard */
const volatile __u64 es_bind_idle_ns = ES_XDP_BIND_IDLE_NS;

/* judge_uplink(): the frame's source is not its device's (no verdict) */
#define ES_XDP_SPOOFED		(-1)

#define READ_ONCE_U32(x) (*(volatile __u32 *)&(x))
#define READ_ONCE_U64(x) (*(volatile __u64 *)&(x))

static __always_inline struct es_xdp_device *device_lookup(__u32 ver, __u32 id)
{
	return ver ? bpf_map_lookup_elem(&es_dev1, &id)
		   : bpf_map_lookup_elem(&es_dev0, &id);
}

static __always_inline int server_known(__u32 slot, const struct esop_pkt *pkt)
{
	struct es_xdp_server_key k = { .slot = slot, .ipv6 = pkt->ipv6 };

	if (pkt->ipv6)
		__builtin_memcpy(k.addr, pkt->saddr, 16);
	else
		__builtin_memcpy(k.addr, pkt->saddr, 4);
	return bpf_map_lookup_elem(&es_servers, &k) != NULL;
}

/*
 * GCRA: the frame conforms when, after adding its emission time to the
 * theoretical arrival time (never earlier than now), it is at most tau
 * ahead of now. A non-conforming frame moves nothing. 1 = conforms,
 * 0 = over rate, -1 = CAS retries ran out.
 */
static __always_inline int meter_conforms(struct es_xdp_meter *m,
					  const struct es_xdp_device *d,
					  __u64 now, __u64 len)
{
	__u64 inc = (len * d->ns_per_byte_q16) >> 16;
	__u64 tau = d->tau_ns;
	int i;

	for (i = 0; i < ES_XDP_CAS_TRIES; i++) {
		__u64 tat = READ_ONCE_U64(m->tat_ns);
		__u64 next = (tat > now ? tat : now) + inc;

		if (next - now > tau)
			return 0;
		if (__sync_val_compare_and_swap(&m->tat_ns, tat, next) == tat)
			return 1;
	}
	return -1;
}

/* The source a frame of @pkt comes from, as a binding records it. */
struct bind_src {
	__u64 a0, a1;		/* the address, as two words */
	__u32 teid;
	__u32 flags;		/* ES_XDP_BIND_V6, ES_XDP_BIND_TEID */
};

static __always_inline void bind_src_of(const struct esop_pkt *pkt, struct bind_src *f)
{
	__u8 a[16] = { 0 };

	if (pkt->ipv6)
		__builtin_memcpy(a, pkt->saddr, 16);
	else
		__builtin_memcpy(a, pkt->saddr, 4);
	__builtin_memcpy(&f->a0, a, 8);
	__builtin_memcpy(&f->a1, a + 8, 8);
	f->flags = (pkt->ipv6 ? ES_XDP_BIND_V6 : 0) | (pkt->gtpu ? ES_XDP_BIND_TEID : 0);
	f->teid = pkt->gtpu ? pkt->gtpu_teid : 0;
}

/* Same source: family and address, and the TEID once one is bound. */
static __always_inline int bind_matches(const struct es_xdp_meter *m,
					const struct bind_src *f)
{
	__u32 flags = m->bind_flags;
	__u64 a0, a1;

	__builtin_memcpy(&a0, m->bind_addr, 8);
	__builtin_memcpy(&a1, m->bind_addr + 8, 8);
	if (a0 != f->a0 || a1 != f->a1 ||
	    (flags & ES_XDP_BIND_V6) != (f->flags & ES_XDP_BIND_V6))
		return 0;
	return !(flags & f->flags & ES_XDP_BIND_TEID) || m->bind_teid == f->teid;
}

/* (Re)binds @m to @f, if its lock word still says @seen. */
static __always_inline int bind_write(struct es_xdp_meter *m, __u64 seen,
				      const struct bind_src *f, __u64 now)
{
	if (__sync_val_compare_and_swap(&m->bind_seen_ns, seen, ES_XDP_BIND_BUSY) != seen)
		return 0;
	__builtin_memcpy(m->bind_addr, &f->a0, 8);
	__builtin_memcpy(m->bind_addr + 8, &f->a1, 8);
	m->bind_teid = f->teid;
	m->bind_flags = f->flags;
	/* the CAS orders the stores before it: readers see the whole binding */
	__sync_val_compare_and_swap(&m->bind_seen_ns, ES_XDP_BIND_BUSY, now);
	return 1;
}

/*
 * Trust on first use (es_abi.h): 1 when the frame comes from where its
 * device is bound, or binds it now; 0 when it is spoofed. Runs before the
 * meter, so a spoofer cannot spend its victim's bucket. A frame racing
 * with the write of its device's binding is let through.
 */
static __always_inline int bind_check(struct es_xdp_meter *m, const struct esop_pkt *pkt,
				      __u64 now, struct es_xdp_stats *st)
{
	__u64 seen = READ_ONCE_U64(m->bind_seen_ns);
	struct bind_src f;
	int same;

	if (seen == ES_XDP_BIND_BUSY)
		return 1;
	bind_src_of(pkt, &f);
	if (!seen) {
		if (bind_write(m, 0, &f, now))
			st->bind_learned++;
		return 1;
	}
	same = bind_matches(m, &f);
	if (READ_ONCE_U64(m->bind_seen_ns) != seen)
		return 1;	/* rewritten meanwhile: judged next time */
	if (same) {
		if (f.flags & ~m->bind_flags & ES_XDP_BIND_TEID) {
			/* its first frame inside GTP-U: the TEID is bound from now on */
			if (bind_write(m, seen, &f, now))
				st->bind_learned++;
		} else if (now > seen && now - seen > ES_XDP_BIND_REFRESH_NS) {
			__sync_val_compare_and_swap(&m->bind_seen_ns, seen, now);
		}
		return 1;
	}
	if (now > seen && now - seen > es_bind_idle_ns) {
		if (bind_write(m, seen, &f, now))
			st->bind_moved++;
		return 1;
	}
	st->bind_mismatch++;
	return 0;
}

/* Placement of @app_id in @d: LOCAL when the app is not listed. */
static __always_inline int app_target(const struct es_xdp_device *d, __u16 app_id)
{
	__u32 n = d->napps;
	int i;

	for (i = 0; i < ES_XDP_APPS; i++) {
		if ((__u32)i >= n)
			break;
		if (d->apps[i].app_id == app_id)
			return d->apps[i].target_kind;
	}
	return ESOP_TARGET_LOCAL;
}

/*
 * OFFLOAD_REQ, TELEMETRY, TENSOR: device, then its binding (ES_XDP_SPOOFED),
 * then meter, then placement.
 */
static __always_inline int judge_uplink(__u32 ver, const struct esop_pkt *pkt,
					__u64 len, struct es_xdp_stats *st)
{
	struct es_xdp_device *d = device_lookup(ver, pkt->device_id);
	struct es_xdp_meter *m;
	int conforms = 1;
	__u64 now;

	if (!d)
		return esop_verdict_of_uplink(pkt, 0, 0, ESOP_TARGET_LOCAL);
	now = ES_XDP_NOW();
	m = bpf_map_lookup_elem(&es_meters, &d->meter);
	if (!m) {
		st->meter_full++;
	} else {
		if (!bind_check(m, pkt, now, st))
			return ES_XDP_SPOOFED;
		conforms = meter_conforms(m, d, now, len);
		if (conforms < 0) {
			st->meter_contended++;
			conforms = 0;
		}
		if (conforms) {
			__sync_fetch_and_add(&m->packets, 1);
			__sync_fetch_and_add(&m->bytes, len);
		} else {
			__sync_fetch_and_add(&m->over_rate, 1);
		}
	}
	return esop_verdict_of_uplink(pkt, 1, conforms,
				      pkt->type == ESOP_T_TENSOR ?
				      app_target(d, pkt->app_id) : ESOP_TARGET_LOCAL);
}

static __always_inline int to_control(struct xdp_md *ctx, struct es_xdp_stats *st)
{
	int act = (int)bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);

	if (act == XDP_PASS)
		st->no_xsk++;
	return act;
}

SEC("xdp")
int edgesteer_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct es_xdp_stats *st;
	struct es_xdp_cfg *cfgp;
	struct esop_parse_cfg pcfg;
	struct esop_pkt pkt;
	__u32 zero = 0, ver, active;
	int v, act;

	cfgp = bpf_map_lookup_elem(&es_cfg, &zero);
	st = bpf_map_lookup_elem(&es_stats, &zero);
	if (!cfgp || !st)
		return XDP_PASS;	/* arrays of one: cannot happen */
	pcfg = cfgp->parse;
	/* the one read of the version: everything below uses @ver */
	active = READ_ONCE_U32(cfgp->active);
	ver = active & ES_XDP_ACTIVE_DEV;

	v = esop_parse(data, data_end, &pcfg, &pkt);
	if (v == ESOP_V_NEEDS_TABLE) {
		v = esop_verdict_of_type(&pkt);
		if (v == ESOP_V_NEEDS_TABLE) {
			if (pkt.type == ESOP_T_RESULT)
				v = esop_verdict_of_result(server_known(
					(active & ES_XDP_ACTIVE_SRV) >> 1, &pkt));
			else
				v = judge_uplink(ver, &pkt,
						 (__u64)(data_end - data), st);
		}
	}

	if (v == ES_XDP_SPOOFED) {	/* counted in bind_check(), not a verdict */
		st->action[XDP_DROP]++;
		return XDP_DROP;
	}
	switch (v) {
	case ESOP_V_NOT_ESOP:
		act = XDP_PASS;
		break;
	case ESOP_V_REQUEST:
	case ESOP_V_FORWARD:
	case ESOP_V_LOCAL:
	case ESOP_V_RETURN:
		act = to_control(ctx, st);
		break;
	case ESOP_V_UNKNOWN_DEVICE: {
		struct es_xdp_table *t = bpf_map_lookup_elem(&es_tables, &ver);

		if (t && t->unknown_action == 1) {
			st->unknown_control++;
			act = to_control(ctx, st);
		} else {
			act = XDP_DROP;
		}
		break;
	}
	case ESOP_V_MALFORMED:
		st->reason[pkt.drop_reason & (ES_XDP_NREASON - 1)]++;
		act = XDP_DROP;
		break;
	default:	/* OVER_RATE, UNEXPECTED */
		act = XDP_DROP;
		break;
	}
	st->verdict[v & (ES_XDP_NVERDICT - 1)]++;
	st->action[act & (ES_XDP_NACTION - 1)]++;
	return act;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
