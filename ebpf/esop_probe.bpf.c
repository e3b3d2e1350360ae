// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * A minimal XDP program around the shared ESOP parser: it parses each frame
 * with esop_parse.h, stores what it found in probe_out and passes the frame.
 * It exists so that the bpf suite can hold the parser, as the kernel verifier
 * accepts and runs it, to the same answers as the userspace build.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "es_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct es_probe_out);
} probe_out SEC(".maps");

SEC("xdp")
int esop_probe(struct xdp_md *ctx)
{
	struct esop_parse_cfg cfg = {};
	struct es_probe_out *out;
	__u32 key = 0;

	out = bpf_map_lookup_elem(&probe_out, &key);
	if (!out)
		return XDP_ABORTED;
	__builtin_memset(out, 0, sizeof(*out));
	out->verdict = esop_parse((void *)(long)ctx->data,
				  (void *)(long)ctx->data_end, &cfg, &out->pkt);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
