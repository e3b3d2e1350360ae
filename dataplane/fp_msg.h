/* SPDX-License-Identifier: MIT */
/*
 * The local control socket between edgesteerd (fp_client) and edgesteer-dp:
 * a SOCK_SEQPACKET UNIX socket, one message per packet, each
 *   struct fp_msg_hdr | payload[len]
 * A table push carries the sealed memfd of a compiled table
 * (fp_table_build_memfd) as SCM_RIGHTS ancillary data, a delta push that of
 * a compiled delta (fp_delta_build_memfd). Every request gets one
 * reply of type (request | FP_MSG_REPLY) whose status is 0 or -errno; a
 * malformed request (bad magic, version, type, length, missing fd) gets an
 * FP_MSG_ERROR reply and changes nothing. Host order: both ends share a host.
 */
#ifndef EDGESTEER_FP_MSG_H
#define EDGESTEER_FP_MSG_H

#include <errno.h>
#include <stdint.h>

#define FP_MSG_MAGIC		0x4d435345u	/* "ESCM" in memory order */
#define FP_MSG_VERSION		2	/* 2: telemetry records carry flags, total_len */
#define FP_MSG_MAX_PAYLOAD	4096u
#define FP_MSG_REPLY		0x8000u

enum fp_msg_type {
	FP_MSG_PUSH_TABLE = 1,	/* payload fp_msg_push + fd; reply fp_msg_push_reply */
	FP_MSG_GET_STATS = 2,	/* no payload; reply fp_msg_stats */
	FP_MSG_GET_TELEMETRY = 3, /* no payload; reply fp_msg_telem_rec[] */
	FP_MSG_PUSH_DELTA = 4,	/* payload fp_msg_push + fd of a delta (fp_delta.h); reply fp_msg_push_reply */
	FP_MSG_GET_MONITOR = 16, /* payload fp_msg_mon_req; reply fp_msg_mon_reply + recs */
	FP_MSG_ERROR = 0x7fff,	/* reply to a request that could not be read */
};

struct fp_msg_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t len;		/* payload bytes after this header */
	int32_t status;		/* replies: 0 or -errno; requests: 0 */
};

struct fp_msg_push {
	uint64_t blob_bytes;	/* the table's (delta's) length inside the memfd */
	uint32_t force;		/* accept an epoch older than the one in force */
	uint32_t pad;
};

struct fp_msg_push_reply {
	uint64_t epoch;		/* in force after the request */
	uint64_t apply_ns;	/* map + validate (+ fold the delta) + publish */
	char why[96];		/* the rule a refused table (delta) broke */
};

/* Counters beside the per-verdict and per-reason arrays. */
enum fp_counter {
	FP_C_RX = 0,
	FP_C_TX,
	FP_C_TX_DROP,		/* the PMD would not take it */
	FP_C_DECISION,		/* DECISIONs sent */
	FP_C_TO_CONTROL,	/* TELEMETRY and unknown devices handed over */
	FP_C_CONTROL_FULL,	/* ... lost because the ring was full */
	FP_C_RETURN_NO_ADDR,	/* RESULT for a device whose address is unknown */
	FP_C_ADDR_EVICT,	/* device address table evictions */
	FP_C_FAMILY_MISMATCH,	/* server of the other IP family: no NAT64 */
	FP_C_TOO_BIG,		/* frame does not fit the rewrite */
	FP_C_METER_FULL,	/* meter store full: frame let through */
	FP_C_SWAPS,		/* tables published */
	FP_C_REFUSED,		/* tables refused */
	/* source binding and reply limit (fp_bind.h, docs/security.md) */
	FP_C_BIND_LEARNED,	/* a device bound on first sight (or its TEID) */
	FP_C_BIND_EVICT,	/* ... in the slot of the least recently seen */
	FP_C_BIND_MOVED,	/* an idle binding moved to a new source */
	FP_C_BIND_BUSY,		/* slot being written by another lcore: let through */
	FP_C_BIND_MISMATCH,	/* spoofed source: dropped before the meter, no verdict */
	FP_C_REPLY_LIMITED,	/* DECISION not sent: over the device's reply meter */
	FP_C_DELTAS,		/* of the swaps: deltas folded into an overlay */
	FP_C_MERGES,		/* of the swaps: overlays merged into a new base */
	FP_C__COUNT,
};

#define FP_MSG_NVERDICTS	10	/* ESOP_V__COUNT */
#define FP_MSG_NREASONS		15	/* ESOP_DROP__COUNT */
#define FP_MSG_NSERVERS		64	/* ES_MAX_SERVERS */

struct fp_msg_stats {
	uint64_t epoch;
	uint64_t counters[FP_C__COUNT];
	uint64_t verdicts[FP_MSG_NVERDICTS];
	uint64_t drops[FP_MSG_NREASONS];
	/* what a pushed table must fit (fp_table_limits), for a pre-check */
	uint32_t max_devices;	/* 0 = ES_MAX_DEVICES */
	uint32_t nports;
	/* TENSORs forwarded, by the table's server index (the control plane's load) */
	uint64_t server_frames[FP_MSG_NSERVERS];
	uint64_t server_bytes[FP_MSG_NSERVERS];
};

/* One TELEMETRY / OFFLOAD_REQ / unknown-device frame, as the control plane sees it. */
struct fp_msg_telem_rec {
	uint32_t device_id;
	uint32_t task_id;
	uint16_t app_id;
	int16_t snr_qdb;
	uint8_t type;		/* ESOP type */
	uint8_t verdict;	/* enum esop_verdict */
	uint8_t flags;		/* ESOP flags: EARLY_EXIT_OK */
	uint8_t pad;
	uint32_t total_len;	/* the task's tensor bytes (OFFLOAD_REQ) */
};

#define FP_MSG_TELEM_MAX	(FP_MSG_MAX_PAYLOAD / sizeof(struct fp_msg_telem_rec))

_Static_assert(sizeof(struct fp_msg_hdr) == 16, "fp_msg_hdr layout");
_Static_assert(sizeof(struct fp_msg_telem_rec) == 20, "fp_msg_telem_rec layout");
_Static_assert(sizeof(struct fp_msg_stats) <= FP_MSG_MAX_PAYLOAD, "stats too big");

/*
 * The task monitor (fp_mon.h): what happened to tasks, TENSOR to RESULT,
 * per server and per (app, layer). Every count is cumulative since the fast
 * path started; a reader takes differences. Records come in pages: a
 * request names the first record it wants, the reply says how many exist.
 */
#define FP_MON_NBUCKETS		16	/* latency histogram, see fp_mon_bucket() */

enum fp_mon_kind {
	FP_MON_SERVER = 1,	/* key: server (the table's index) */
	FP_MON_APP_LAYER = 2,	/* key: app, layer (the TENSOR's split layer) */
};

struct fp_msg_mon_req {
	uint32_t start;		/* first record wanted */
	uint32_t pad;
};

struct fp_msg_mon_rec {
	uint8_t kind;		/* enum fp_mon_kind */
	uint8_t server;
	uint16_t app;
	uint16_t layer;
	uint16_t pad;
	uint64_t opened;	/* tasks whose first TENSOR fragment was forwarded */
	uint64_t done;		/* ... whose RESULT came back */
	uint64_t lost;		/* ... with no RESULT within the timeout */
	uint64_t evicted;	/* ... pushed out of the open-task table first */
	uint64_t lat_sum_us;	/* over done: first TENSOR fragment to RESULT */
	uint64_t bytes_up;	/* TENSOR bytes forwarded */
	uint64_t bytes_down;	/* RESULT bytes returned */
	uint64_t hist[FP_MON_NBUCKETS];
};

struct fp_msg_mon_reply {
	uint32_t total;		/* records that exist now */
	uint32_t nrec;		/* records after this header */
	uint32_t timeout_ms;	/* a task open this long is lost */
	uint32_t slots;		/* open-task table size */
	uint64_t unmatched;	/* RESULTs of no open task (late, evicted, unknown) */
	uint64_t busy;		/* table updates skipped: another lcore held the slot */
	uint64_t al_full;	/* (app, layer) keys beyond the table: not counted */
	uint64_t pad;
};

#define FP_MSG_MON_MAX \
	((FP_MSG_MAX_PAYLOAD - sizeof(struct fp_msg_mon_reply)) / sizeof(struct fp_msg_mon_rec))

_Static_assert(sizeof(struct fp_msg_mon_rec) == 64 + 8 * FP_MON_NBUCKETS, "mon rec layout");
_Static_assert(sizeof(struct fp_msg_mon_reply) == 48, "mon reply layout");

/* Checks a header read from the socket; 0 or -errno. */
static inline int fp_msg_check(const struct fp_msg_hdr *h, uint32_t got)
{
	if (got < sizeof(*h))
		return -EBADMSG;
	if (h->magic != FP_MSG_MAGIC)
		return -EPROTO;
	if (h->version != FP_MSG_VERSION)
		return -EPROTONOSUPPORT;
	if (h->len > FP_MSG_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (h->len != got - sizeof(*h))
		return -EBADMSG;
	return 0;
}

#endif /* EDGESTEER_FP_MSG_H */
