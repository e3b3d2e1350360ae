/* SPDX-License-Identifier: MIT */
/*
 * The one ABI header: every struct that crosses the BPF/userspace boundary
 * (map keys and values) is declared here, once, with its size and layout
 * pinned by _Static_assert so that clang -target bpf and gcc agree.
 *
 * Like esop.h it includes nothing: the includer provides the __uN types.
 */
#ifndef EDGESTEER_ES_ABI_H
#define EDGESTEER_ES_ABI_H

#include "esop_parse.h"

/*
 * What ebpf/esop_probe.bpf.c saw for the last frame: the parser's return
 * value and everything it filled in. The bpf suite compares it field for
 * field with the userspace parse of the same frame.
 */
struct es_probe_out {
	__s32 verdict;
	__u32 pad;
	struct esop_pkt pkt;
};

_Static_assert(sizeof(struct esop_pkt) == 96, "esop_pkt layout changed");
_Static_assert(__builtin_offsetof(struct esop_pkt, saddr) == 32,
	       "esop_pkt.saddr moved");
_Static_assert(__builtin_offsetof(struct esop_pkt, device_id) == 76,
	       "esop_pkt.device_id moved");
_Static_assert(sizeof(struct es_probe_out) == 104, "es_probe_out layout changed");

#endif /* EDGESTEER_ES_ABI_H */
