/* SPDX-License-Identifier: MIT */
/*
 * The request protocol between edgesteerctl and edgesteerd over the UNIX
 * socket: one request per connection, one reply. Each message is a fixed
 * header and `len` payload bytes. The daemon refuses (with an error reply,
 * changing nothing) any header with a wrong magic or version, an unknown
 * type, or a payload longer than the type allows.
 *
 * Requests and their payloads:
 *   PUSH      u16 name_len, name (for messages), then the POLICY.md JSON;
 *             flags: CTL_F_FORCE. With CTL_F_FD the JSON is not in the
 *             payload: the header carries (SCM_RIGHTS) a descriptor of the
 *             regular file the daemon reads it from, once, with the
 *             client's access rather than its own.  Reply: text.
 *   SHOW      u32 device id (0: all).          Reply: POLICY.md JSON.
 *   ROLLBACK  u64 epoch (0: the newest kept one older than in force).
 *                                              Reply: text.
 *   STATS     empty.                           Reply: a JSON object.
 * A reply's status is 0 or -errno; on error its payload is the reason.
 */
#ifndef EDGESTEER_CTL_PROTO_H
#define EDGESTEER_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define CTL_PROTO_MAGIC		0x54435345u	/* "ESCT" */
#define CTL_PROTO_VERSION	1u
#define CTL_DEFAULT_SOCKET	"/run/edgesteer/edgesteerd.sock"
#define CTL_SMALL_MAX_BYTES	64u		/* every request but PUSH */
#define CTL_PUSH_MAX_BYTES	((1024ull << 20) + 65536)
#define CTL_REPLY_MAX_BYTES	(2048ull << 20)
#define CTL_NAME_MAX		4096u

enum ctl_req_type {
	CTL_REQ_PUSH = 1,
	CTL_REQ_SHOW = 2,
	CTL_REQ_ROLLBACK = 3,
	CTL_REQ_STATS = 4,
	CTL_REQ__MAX,
	CTL_REPLY = 0x100,
};

#define CTL_F_FORCE	0x1u
#define CTL_F_FD	0x2u

struct ctl_msg_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;			/* enum ctl_req_type */
	uint32_t flags;
	int32_t status;			/* replies: 0 or -errno */
	uint64_t len;			/* payload bytes that follow */
};

_Static_assert(sizeof(struct ctl_msg_hdr) == 24, "wire header is 24 bytes");

/* Fills a header. */
void ctl_proto_hdr(struct ctl_msg_hdr *h, uint16_t type, uint32_t flags,
		   int32_t status, uint64_t len);

/* Checks a request header: 0 or -EPROTO / -E2BIG / -EINVAL. */
int ctl_proto_check_req(const struct ctl_msg_hdr *h);

/* A request's payload, decoded by ctl_proto_decode_req(). */
struct ctl_req {
	uint16_t type;			/* enum ctl_req_type */
	uint32_t flags;
	char name[CTL_NAME_MAX + 1];	/* PUSH: for messages, "" when none sent */
	const char *json;		/* PUSH: into the payload, NUL-terminated */
	size_t json_len;
	uint32_t device;		/* SHOW */
	uint64_t epoch;			/* ROLLBACK */
};

/*
 * Decodes the @len payload bytes at @p of a request whose header passed
 * ctl_proto_check_req(); @p[@len] must be a NUL (the daemon's receive
 * buffer keeps one), which the PUSH JSON ends on. Returns 0 or -EINVAL with
 * the reason in @why ("push: name length 9 past the payload").
 */
int ctl_proto_decode_req(const struct ctl_msg_hdr *h, const char *p, size_t len,
			 struct ctl_req *req, char *why, size_t whylen);

/* Whole-buffer I/O on a socket (EINTR retried). 0, -errno or -EPIPE on EOF. */
int ctl_proto_write(int fd, const void *buf, size_t n);
int ctl_proto_read(int fd, void *buf, size_t n);

/*
 * Deadlines (the daemon's side; docs/security.md). The daemon serves one
 * connection at a time, so a peer that is slow to send its request or to
 * read its reply must not hold it: a request (header, payload) must have
 * arrived, and a reply must have been taken, within
 *   CTL_DEADLINE_BASE_MS + bytes / CTL_DEADLINE_BYTES_PER_MS
 * milliseconds (2 s for every small request; 18.4 s for a 1 GiB push),
 * whatever the pace of the bytes. Deadlines are CLOCK_MONOTONIC
 * milliseconds; 0 means none (plain blocking I/O, the client's side).
 */
#define CTL_DEADLINE_BASE_MS		2000u
#define CTL_DEADLINE_BYTES_PER_MS	65536u	/* 64 MB/s, a UNIX socket does GB/s */

uint64_t ctl_proto_now_ms(void);
/* The deadline of @bytes to move, counted from @start_ms. */
uint64_t ctl_proto_deadline_ms(uint64_t start_ms, uint64_t bytes);
/* As ctl_proto_read/_write, -ETIMEDOUT once @deadline_ms has passed. */
int ctl_proto_read_by(int fd, void *buf, size_t n, uint64_t deadline_ms);
int ctl_proto_write_by(int fd, const void *buf, size_t n, uint64_t deadline_ms);

/* Sends header (NULL: sent already) + two payload pieces (either may be empty). */
int ctl_proto_send(int fd, const struct ctl_msg_hdr *h, const void *a, size_t an,
		   const void *b, size_t bn);
int ctl_proto_send_by(int fd, const struct ctl_msg_hdr *h, const void *a, size_t an,
		      const void *b, size_t bn, uint64_t deadline_ms);

/*
 * The header alone, with @pass_fd (>= 0) riding along as SCM_RIGHTS; then
 * send the payload with ctl_proto_write(). Returns 0 or -errno.
 */
int ctl_proto_send_hdr_fd(int fd, const struct ctl_msg_hdr *h, int pass_fd);

/*
 * Reads a header and any descriptor sent with it into *@got_fd (-1: none),
 * by @deadline_ms (0: none). Returns 0 or -errno (-EPIPE at EOF,
 * -ETIMEDOUT past the deadline).
 */
int ctl_proto_recv_hdr_fd(int fd, struct ctl_msg_hdr *h, int *got_fd,
			  uint64_t deadline_ms);

/*
 * Reads one reply: checks it, mallocs its payload (NUL-terminated, *len
 * without the NUL) into *out. Returns 0 or -errno.
 */
int ctl_proto_recv_reply(int fd, struct ctl_msg_hdr *h, char **out, size_t *len);

#endif /* EDGESTEER_CTL_PROTO_H */
