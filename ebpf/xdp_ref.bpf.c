// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * The benchmark's reference: the least an XDP classifier keyed by device
 * can do. It reads the device id at the ESOP offset of an untagged IPv4
 * frame, looks it up once in a hash of the same size as the classifier's
 * device table and adds one atomically. forward_ns is reported against it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "es_abi.h"

/* Ethernet 14 + IPv4 20 + UDP 8, then the device id inside ESOP */
#define REF_DEVICE_OFF	(14 + 20 + 8 + ESOP_OFF_DEVICE_ID)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1000000);
	__type(key, __u32);
	__type(value, struct es_xdp_meter);
} ref_dev SEC(".maps");

SEC("xdp")
int xdp_ref(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	struct es_xdp_meter *m;
	__u32 id;

	if (data + REF_DEVICE_OFF + 4 > end)
		return XDP_PASS;
	id = esop_rd32(data + REF_DEVICE_OFF);
	m = bpf_map_lookup_elem(&ref_dev, &id);
	if (!m)
		return XDP_PASS;
	__sync_fetch_and_add(&m->packets, 1);
	return XDP_DROP;
}

/*
 * What the one clock read per metered frame costs on this machine
 * (bpf_ktime_get_ns; a paravirtual clock in a VM is far dearer than TSC).
 */
__u64 clock_sink;

SEC("xdp")
int xdp_ref_clock(struct xdp_md *ctx)
{
	clock_sink = bpf_ktime_get_ns();
	return XDP_DROP;
}

/* ... and what the classifier's meter reads instead (docs/xdp.md). */
SEC("xdp")
int xdp_ref_coarse(struct xdp_md *ctx)
{
	clock_sink = bpf_ktime_get_coarse_ns();
	return XDP_DROP;
}

/*
 * For contrast in the meter test: the same GCRA as the classifier, on one
 * shared state, but read-modify-write without compare-and-swap (as rate
 * limiters that treat a shared map value like a local variable do, eUPF's
 * among them). Parameters in racy_ns_per_byte_q16 / racy_tau_ns; the
 * conforming bytes are added atomically so only the bucket is racy.
 */
__u64 racy_ns_per_byte_q16;
__u64 racy_tau_ns;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct es_xdp_meter);
} ref_racy SEC(".maps");

SEC("xdp")
int xdp_ref_racy(struct xdp_md *ctx)
{
	__u64 len = (__u64)(ctx->data_end - ctx->data);
	__u64 now = bpf_ktime_get_ns(), tat, next;
	struct es_xdp_meter *m;
	__u32 zero = 0;

	m = bpf_map_lookup_elem(&ref_racy, &zero);
	if (!m)
		return XDP_PASS;
	tat = m->tat_ns;
	next = (tat > now ? tat : now) + ((len * racy_ns_per_byte_q16) >> 16);
	if (next - now > racy_tau_ns) {
		__sync_fetch_and_add(&m->over_rate, 1);
		return XDP_DROP;
	}
	m->tat_ns = next;
	__sync_fetch_and_add(&m->bytes, len);
	__sync_fetch_and_add(&m->packets, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
