/* SPDX-License-Identifier: MIT */
/*
 * ESOP v1, the EdgeSteer Offload Protocol: wire constants, verdicts and
 * drop reasons (docs/PROTOCOL.md is the contract, byte for byte).
 *
 * Written in the C subset that both `clang -target bpf` and gcc accept, and
 * free of includes: the includer provides __u8/__u16/__u32/__u64/__s16
 * (<linux/types.h> in userspace, vmlinux.h in BPF).
 */
#ifndef EDGESTEER_ESOP_H
#define EDGESTEER_ESOP_H

#define ESOP_MAGIC		0xE50F
#define ESOP_VERSION		1
#define ESOP_DEFAULT_PORT	7447
#define ESOP_GTPU_PORT		2152
#define ESOP_HDR_BYTES		32	/* the fixed header, hdr_len >= 8 words */
#define ESOP_HDR_MIN_WORDS	8
#define ESOP_DECISION_BYTES	16	/* DECISION payload */
#define ESOP_UDP_HDR_BYTES	8

/* Field offsets inside the fixed header. */
#define ESOP_OFF_MAGIC		0
#define ESOP_OFF_VERSION	2
#define ESOP_OFF_TYPE		3
#define ESOP_OFF_FLAGS		4
#define ESOP_OFF_HDR_LEN	5
#define ESOP_OFF_APP_ID		6
#define ESOP_OFF_DEVICE_ID	8
#define ESOP_OFF_TASK_ID	12
#define ESOP_OFF_LAYER		16
#define ESOP_OFF_SNR_QDB	18
#define ESOP_OFF_TOTAL_LEN	20
#define ESOP_OFF_FRAG_OFF	24
#define ESOP_OFF_DEADLINE_US	28

enum esop_type {
	ESOP_T_OFFLOAD_REQ = 1,
	ESOP_T_TENSOR = 2,
	ESOP_T_DECISION = 3,
	ESOP_T_RESULT = 4,
	ESOP_T_TELEMETRY = 5,
};

#define ESOP_F_LAST_FRAGMENT	0x01
#define ESOP_F_EARLY_EXIT_OK	0x02
#define ESOP_F_RESERVED		0xfc

/* DECISION payload offsets and target kinds. */
#define ESOP_DEC_OFF_TARGET_KIND	0
#define ESOP_DEC_OFF_SERVER		1
#define ESOP_DEC_OFF_SPLIT_LAYER	2
#define ESOP_DEC_OFF_EXIT_POINT		4
#define ESOP_DEC_OFF_RATE_KBPS		8
#define ESOP_DEC_OFF_POLICY_EPOCH	12

enum esop_target_kind {
	ESOP_TARGET_LOCAL = 0,
	ESOP_TARGET_EDGE = 1,
	ESOP_TARGET_CLOUD = 2,
};

/*
 * The verdict classes of PROTOCOL.md. The XDP hook and the fast path give
 * the same one for the same frame and table; ESOP_V_NEEDS_TABLE is what the
 * parser alone returns for a well-formed frame whose class depends on the
 * policy table (see esop_parse.h for the order in which the table decides).
 */
enum esop_verdict {
	ESOP_V_NOT_ESOP = 0,
	ESOP_V_MALFORMED,
	ESOP_V_UNKNOWN_DEVICE,
	ESOP_V_OVER_RATE,
	ESOP_V_REQUEST,
	ESOP_V_FORWARD,
	ESOP_V_LOCAL,
	ESOP_V_RETURN,
	ESOP_V_UNEXPECTED,
	ESOP_V_NEEDS_TABLE,
	ESOP_V__COUNT,
};

/*
 * One named reason per MALFORMED rule of PROTOCOL.md. Values are small and
 * dense so that they index per-reason counter arrays directly; 0 means "not
 * dropped".
 */
enum esop_drop_reason {
	ESOP_DROP_NONE = 0,
	ESOP_DROP_SHORT,		/* datagram shorter than 8 + 32 bytes */
	ESOP_DROP_BAD_MAGIC,
	ESOP_DROP_BAD_VERSION,
	ESOP_DROP_BAD_TYPE,		/* type not 1..5 */
	ESOP_DROP_RESERVED_FLAGS,	/* a reserved flag bit is set */
	ESOP_DROP_HDR_LEN_SMALL,	/* hdr_len < 8 */
	ESOP_DROP_HDR_PAST_END,		/* header runs past the datagram */
	ESOP_DROP_ZERO_DEVICE,		/* device_id == 0 */
	ESOP_DROP_TENSOR_RANGE,		/* frag_off + payload_len > total_len */
	ESOP_DROP_TENSOR_EMPTY,		/* TENSOR with payload_len == 0 */
	ESOP_DROP_PAYLOAD_NOT_EMPTY,	/* OFFLOAD_REQ / TELEMETRY with payload */
	ESOP_DROP_IP_LEN,		/* IP length disagrees with the frame */
	ESOP_DROP_UDP_LEN,		/* UDP length disagrees with IP or frame */
	ESOP_DROP_GTP_LEN,		/* GTP-U length disagrees with its UDP */
	ESOP_DROP__COUNT,
};

/*
 * Names for logs, counters and tests (userspace only: BPF has no use for
 * strings). Index by the enum values above.
 */
#ifndef __bpf__
static const char *const esop_verdict_names[ESOP_V__COUNT] = {
	"NOT_ESOP", "MALFORMED", "UNKNOWN_DEVICE", "OVER_RATE", "REQUEST",
	"FORWARD", "LOCAL", "RETURN", "UNEXPECTED", "NEEDS_TABLE",
};

static const char *const esop_drop_names[ESOP_DROP__COUNT] = {
	"NONE", "SHORT", "BAD_MAGIC", "BAD_VERSION", "BAD_TYPE",
	"RESERVED_FLAGS", "HDR_LEN_SMALL", "HDR_PAST_END", "ZERO_DEVICE",
	"TENSOR_RANGE", "TENSOR_EMPTY", "PAYLOAD_NOT_EMPTY", "IP_LEN",
	"UDP_LEN", "GTP_LEN",
};
#endif

#endif /* EDGESTEER_ESOP_H */
