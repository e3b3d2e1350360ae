/* SPDX-License-Identifier: MIT */
#include "fp_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "fp_delta.h"
#include "fp_table.h"

struct fp_client {
	int fd;			/* -1 once a deadline passed: the reply may still come */
	unsigned int timeout_ms;
	char err[128];
};

static const char *type_name(uint16_t type)
{
	switch (type) {
	case FP_MSG_PUSH_TABLE: return "PUSH_TABLE";
	case FP_MSG_PUSH_DELTA: return "PUSH_DELTA";
	case FP_MSG_GET_STATS: return "GET_STATS";
	case FP_MSG_GET_TELEMETRY: return "GET_TELEMETRY";
	default: return "a request";
	}
}

static int set_deadlines(int fd, unsigned int ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

int fp_client_set_timeout(struct fp_client *c, unsigned int ms)
{
	if (!ms)
		return -EINVAL;
	c->timeout_ms = ms;
	return c->fd < 0 ? 0 : set_deadlines(c->fd, ms);
}

const char *fp_client_error(const struct fp_client *c)
{
	return c->err;
}

/*
 * A deadline passed (EAGAIN from a socket with SO_SNDTIMEO/SO_RCVTIMEO):
 * says what timed out and closes the connection, whose next reply would
 * otherwise answer the wrong request.
 */
static int timed_out(struct fp_client *c, const char *what, uint16_t type)
{
	snprintf(c->err, sizeof(c->err), "edgesteer-dp did not %s %s within %u ms", what,
		 type_name(type), c->timeout_ms);
	close(c->fd);
	c->fd = -1;
	return -ETIMEDOUT;
}

int fp_client_connect(const char *path, struct fp_client **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fp_client *c;
	int err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->timeout_ms = FP_CLIENT_TIMEOUT_MS;
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		err = -errno;
		goto err_free;
	}
	/* connect too: a listener whose backlog is full would block it */
	err = set_deadlines(c->fd, c->timeout_ms);
	if (err)
		goto err_close;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		goto err_close;
	}
	*out = c;
	return 0;

err_close:
	close(c->fd);
err_free:
	free(c);
	return err;
}

void fp_client_close(struct fp_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static int send_msg(struct fp_client *c, const void *msg, size_t len, int fd)
{
	const struct fp_msg_hdr *h = msg;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (c->fd < 0)
		return -ENOTCONN;
	if (sendmsg(c->fd, &mh, MSG_NOSIGNAL) != (ssize_t)len) {
		if (errno == EAGAIN)
			return timed_out(c, "take", len >= sizeof(*h) ? h->type : 0);
		return -errno ? -errno : -EIO;
	}
	return 0;
}

/* Reads one reply into @buf (header + payload). Returns payload bytes or -errno. */
static int recv_reply(struct fp_client *c, uint16_t want, void *buf, size_t cap,
		      int32_t *status, uint16_t *type)
{
	struct fp_msg_hdr *h = buf;
	ssize_t n = c->fd < 0 ? -1 : recv(c->fd, buf, cap, 0);
	int err;

	if (c->fd < 0)
		return -ENOTCONN;
	if (n < 0 && errno == EAGAIN)
		return timed_out(c, "answer", want);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;	/* it closed the connection */
	err = fp_msg_check(h, (uint32_t)n);
	if (err)
		return err;
	if (type)
		*type = h->type;
	*status = h->status;
	if (want && h->type != (want | FP_MSG_REPLY))
		return h->type == FP_MSG_ERROR ? h->status : -EPROTO;
	return (int)h->len;
}

int fp_client_send_raw(struct fp_client *c, const void *msg, size_t len, int fd,
		       int32_t *status, uint16_t *reply_type)
{
	uint8_t buf[sizeof(struct fp_msg_hdr) + FP_MSG_MAX_PAYLOAD];
	int err = send_msg(c, msg, len, fd);

	if (err)
		return err;
	err = recv_reply(c, 0, buf, sizeof(buf), status, reply_type);
	return err < 0 ? err : 0;
}

static int push(struct fp_client *c, uint16_t type, int memfd, size_t len, int force,
		struct fp_msg_push_reply *reply)
{
	struct {
		struct fp_msg_hdr h;
		struct fp_msg_push p;
	} req = {
		{ FP_MSG_MAGIC, FP_MSG_VERSION, type, sizeof(req.p), 0 },
		{ len, force ? 1 : 0, 0 },
	};
	struct {
		struct fp_msg_hdr h;
		struct fp_msg_push_reply r;
	} rep;
	int32_t status = 0;
	int n = send_msg(c, &req, sizeof(req), memfd);

	if (n)
		return n;
	memset(&rep, 0, sizeof(rep));
	if (reply)
		memset(reply, 0, sizeof(*reply));
	n = recv_reply(c, type, &rep, sizeof(rep), &status, NULL);
	if (n < 0)
		return n;
	if (reply) {
		*reply = rep.r;
		reply->why[sizeof(reply->why) - 1] = 0;
	}
	return status;
}

int fp_client_push_fd(struct fp_client *c, int memfd, size_t len, int force,
		      struct fp_msg_push_reply *reply)
{
	return push(c, FP_MSG_PUSH_TABLE, memfd, len, force, reply);
}

int fp_client_push_delta_fd(struct fp_client *c, int memfd, size_t len, int force,
			    struct fp_msg_push_reply *reply)
{
	return push(c, FP_MSG_PUSH_DELTA, memfd, len, force, reply);
}

int fp_client_push_policy(struct fp_client *c, const struct es_policy *p,
			  int force, struct fp_msg_push_reply *reply)
{
	size_t len;
	int fd, err = fp_table_build_memfd(p, &fd, &len);

	if (err)
		return err;
	err = fp_client_push_fd(c, fd, len, force, reply);
	close(fd);
	return err;
}

static int simple_request(struct fp_client *c, uint16_t type, void *out, size_t cap)
{
	struct fp_msg_hdr req = { FP_MSG_MAGIC, FP_MSG_VERSION, type, 0, 0 };
	uint8_t buf[sizeof(struct fp_msg_hdr) + FP_MSG_MAX_PAYLOAD];
	int32_t status = 0;
	int n = send_msg(c, &req, sizeof(req), -1);

	if (n)
		return n;
	n = recv_reply(c, type, buf, sizeof(buf), &status, NULL);
	if (n < 0)
		return n;
	if (status)
		return status;
	if ((size_t)n > cap)
		return -EMSGSIZE;
	memcpy(out, buf + sizeof(struct fp_msg_hdr), (size_t)n);
	return n;
}

int fp_client_get_stats(struct fp_client *c, struct fp_msg_stats *out)
{
	int n = simple_request(c, FP_MSG_GET_STATS, out, sizeof(*out));

	if (n < 0)
		return n;
	return n == sizeof(*out) ? 0 : -EBADMSG;
}

int fp_client_get_telemetry(struct fp_client *c, struct fp_msg_telem_rec *recs,
			    size_t max, size_t *count)
{
	struct fp_msg_telem_rec buf[FP_MSG_TELEM_MAX];
	int n = simple_request(c, FP_MSG_GET_TELEMETRY, buf, sizeof(buf));
	size_t got;

	if (n < 0)
		return n;
	if (n % sizeof(buf[0]))
		return -EBADMSG;
	got = (size_t)n / sizeof(buf[0]);
	if (got > max)
		got = max;	/* the caller asked for fewer: the rest is lost */
	memcpy(recs, buf, got * sizeof(buf[0]));
	*count = got;
	return 0;
}

/* One page of the task monitor from record @start: payload bytes or -errno. */
static int monitor_page(struct fp_client *c, uint32_t start, uint8_t *buf, size_t cap)
{
	struct {
		struct fp_msg_hdr h;
		struct fp_msg_mon_req q;
	} req = {
		{ FP_MSG_MAGIC, FP_MSG_VERSION, FP_MSG_GET_MONITOR, sizeof(req.q), 0 },
		{ start, 0 },
	};
	int32_t status = 0;
	int n = send_msg(c, &req, sizeof(req), -1);

	if (n)
		return n;
	n = recv_reply(c, FP_MSG_GET_MONITOR, buf, cap, &status, NULL);
	if (n < 0)
		return n;
	return status ? status : n;
}

int fp_client_get_monitor(struct fp_client *c, struct fp_msg_mon_rec *recs, size_t max,
			  size_t *count, struct fp_msg_mon_reply *rep)
{
	uint8_t buf[sizeof(struct fp_msg_hdr) + FP_MSG_MAX_PAYLOAD];
	struct fp_msg_mon_reply h;
	size_t got = 0;

	memset(&h, 0, sizeof(h));
	do {
		int n = monitor_page(c, (uint32_t)got, buf, sizeof(buf));

		if (n < 0)
			return n;
		if ((size_t)n < sizeof(h))
			return -EBADMSG;
		memcpy(&h, buf + sizeof(struct fp_msg_hdr), sizeof(h));
		if (h.nrec > FP_MSG_MON_MAX ||
		    (size_t)n != sizeof(h) + h.nrec * sizeof(*recs))
			return -EBADMSG;
		if (h.nrec > max - got)
			h.nrec = (uint32_t)(max - got);	/* the caller asked for fewer */
		memcpy(recs + got, buf + sizeof(struct fp_msg_hdr) + sizeof(h),
		       h.nrec * sizeof(*recs));
		got += h.nrec;
	} while (h.nrec && got < h.total && got < max);
	*count = got;
	if (rep)
		*rep = h;
	return 0;
}
