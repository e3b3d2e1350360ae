/* SPDX-License-Identifier: MIT */
#include "ctl_proto.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

void ctl_proto_hdr(struct ctl_msg_hdr *h, uint16_t type, uint32_t flags,
		   int32_t status, uint64_t len)
{
	memset(h, 0, sizeof(*h));
	h->magic = CTL_PROTO_MAGIC;
	h->version = CTL_PROTO_VERSION;
	h->type = type;
	h->flags = flags;
	h->status = status;
	h->len = len;
}

int ctl_proto_check_req(const struct ctl_msg_hdr *h)
{
	if (h->magic != CTL_PROTO_MAGIC || h->version != CTL_PROTO_VERSION)
		return -EPROTO;
	if (h->type < CTL_REQ_PUSH || h->type >= CTL_REQ__MAX)
		return -EINVAL;
	if (h->flags & ~(uint32_t)(CTL_F_FORCE | CTL_F_FD) || h->status ||
	    (h->flags && h->type != CTL_REQ_PUSH))
		return -EINVAL;
	if (h->len > (h->type == CTL_REQ_PUSH ? CTL_PUSH_MAX_BYTES : CTL_SMALL_MAX_BYTES))
		return -E2BIG;
	return 0;
}

int ctl_proto_decode_req(const struct ctl_msg_hdr *h, const char *p, size_t len,
			 struct ctl_req *req, char *why, size_t whylen)
{
	uint16_t nlen;

	memset(req, 0, sizeof(*req));
	req->type = h->type;
	req->flags = h->flags;
	switch (h->type) {
	case CTL_REQ_PUSH:
		if (len < 2) {
			snprintf(why, whylen, "push: payload too short for its name");
			return -EINVAL;
		}
		memcpy(&nlen, p, 2);
		if (nlen > CTL_NAME_MAX || (size_t)nlen + 2 > len) {
			snprintf(why, whylen, "push: name length %u past the payload", nlen);
			return -EINVAL;
		}
		memcpy(req->name, p + 2, nlen);
		req->name[nlen] = '\0';
		req->json = p + 2 + nlen;
		req->json_len = len - 2 - nlen;
		return 0;
	case CTL_REQ_SHOW:
		if (len != sizeof(req->device)) {
			snprintf(why, whylen, "show: payload is %zu bytes, not 4", len);
			return -EINVAL;
		}
		memcpy(&req->device, p, sizeof(req->device));
		return 0;
	case CTL_REQ_ROLLBACK:
		if (len != sizeof(req->epoch)) {
			snprintf(why, whylen, "rollback: payload is %zu bytes, not 8", len);
			return -EINVAL;
		}
		memcpy(&req->epoch, p, sizeof(req->epoch));
		return 0;
	case CTL_REQ_STATS:
		if (len) {
			snprintf(why, whylen, "stats: takes no payload");
			return -EINVAL;
		}
		return 0;
	}
	snprintf(why, whylen, "request type %u unknown", h->type);
	return -EINVAL;
}

uint64_t ctl_proto_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

uint64_t ctl_proto_deadline_ms(uint64_t start_ms, uint64_t bytes)
{
	return start_ms + CTL_DEADLINE_BASE_MS + bytes / CTL_DEADLINE_BYTES_PER_MS;
}

/*
 * Waits until @fd is ready for @events or @deadline_ms has passed. With a
 * deadline the I/O that follows must not block (MSG_DONTWAIT, or a read
 * of what is there), so no single call can outlive it.
 */
static int wait_ready(int fd, short events, uint64_t deadline_ms)
{
	for (;;) {
		uint64_t now = ctl_proto_now_ms(), left;
		struct pollfd p = { fd, events, 0 };
		int r;

		if (now >= deadline_ms)
			return -ETIMEDOUT;
		left = deadline_ms - now;
		r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0)
			return 0;	/* ready, or an error/hangup the I/O reports */
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

int ctl_proto_write_by(int fd, const void *buf, size_t n, uint64_t deadline_ms)
{
	const char *p = buf;

	while (n) {
		ssize_t w;
		int rc = deadline_ms ? wait_ready(fd, POLLOUT, deadline_ms) : 0;

		if (rc)
			return rc;
		w = send(fd, p, n, MSG_NOSIGNAL | (deadline_ms ? MSG_DONTWAIT : 0));
		if (w < 0) {
			if (errno == EINTR || (deadline_ms && errno == EAGAIN))
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ctl_proto_read_by(int fd, void *buf, size_t n, uint64_t deadline_ms)
{
	char *p = buf;

	while (n) {
		ssize_t r;
		int rc = deadline_ms ? wait_ready(fd, POLLIN, deadline_ms) : 0;

		if (rc)
			return rc;
		r = deadline_ms ? recv(fd, p, n, MSG_DONTWAIT) : read(fd, p, n);
		if (r < 0) {
			if (errno == EINTR || (deadline_ms && errno == EAGAIN))
				continue;
			return -errno;
		}
		if (!r)
			return -EPIPE;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int ctl_proto_write(int fd, const void *buf, size_t n)
{
	return ctl_proto_write_by(fd, buf, n, 0);
}

int ctl_proto_read(int fd, void *buf, size_t n)
{
	return ctl_proto_read_by(fd, buf, n, 0);
}

int ctl_proto_send_by(int fd, const struct ctl_msg_hdr *h, const void *a, size_t an,
		      const void *b, size_t bn, uint64_t deadline_ms)
{
	int rc = h ? ctl_proto_write_by(fd, h, sizeof(*h), deadline_ms) : 0;

	if (!rc && an)
		rc = ctl_proto_write_by(fd, a, an, deadline_ms);
	if (!rc && bn)
		rc = ctl_proto_write_by(fd, b, bn, deadline_ms);
	return rc;
}

int ctl_proto_send(int fd, const struct ctl_msg_hdr *h, const void *a, size_t an,
		   const void *b, size_t bn)
{
	return ctl_proto_send_by(fd, h, a, an, b, bn, 0);
}

int ctl_proto_recv_reply(int fd, struct ctl_msg_hdr *h, char **out, size_t *len)
{
	char *buf;
	int rc;

	*out = NULL;
	*len = 0;
	rc = ctl_proto_read(fd, h, sizeof(*h));
	if (rc)
		return rc;
	if (h->magic != CTL_PROTO_MAGIC || h->version != CTL_PROTO_VERSION ||
	    h->type != CTL_REPLY)
		return -EPROTO;
	if (h->len > CTL_REPLY_MAX_BYTES)
		return -E2BIG;
	buf = malloc(h->len + 1);
	if (!buf)
		return -ENOMEM;
	rc = ctl_proto_read(fd, buf, h->len);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[h->len] = '\0';
	*out = buf;
	*len = h->len;
	return 0;
}

int ctl_proto_send_hdr_fd(int fd, const struct ctl_msg_hdr *h, int pass_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctrl;
	struct iovec iov = { (void *)h, sizeof(*h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t w;

	if (pass_fd >= 0) {
		struct cmsghdr *c;

		memset(&ctrl, 0, sizeof(ctrl));
		msg.msg_control = ctrl.buf;
		msg.msg_controllen = sizeof(ctrl.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	do
		w = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	/* the descriptor went with the first byte; the rest is plain data */
	if ((size_t)w < sizeof(*h))
		return ctl_proto_write(fd, (const char *)h + w, sizeof(*h) - (size_t)w);
	return 0;
}

int ctl_proto_recv_hdr_fd(int fd, struct ctl_msg_hdr *h, int *got_fd,
			  uint64_t deadline_ms)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctrl;
	struct iovec iov = { h, sizeof(*h) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctrl.buf, .msg_controllen = sizeof(ctrl.buf),
	};
	struct cmsghdr *c;
	ssize_t r;

	*got_fd = -1;
	do {
		int rc = deadline_ms ? wait_ready(fd, POLLIN, deadline_ms) : 0;

		if (rc)
			return rc;
		r = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | (deadline_ms ? MSG_DONTWAIT : 0));
	} while (r < 0 && (errno == EINTR || (deadline_ms && errno == EAGAIN)));
	if (r < 0)
		return -errno;
	if (!r)
		return -EPIPE;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		/* keep the first descriptor, close any others sent along */
		for (size_t k = 0; k < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
			int v;

			memcpy(&v, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
			if (*got_fd < 0)
				*got_fd = v;
			else
				close(v);
		}
	}
	if ((size_t)r < sizeof(*h)) {
		int rc = ctl_proto_read_by(fd, (char *)h + r, sizeof(*h) - (size_t)r,
					   deadline_ms);

		if (rc) {
			if (*got_fd >= 0)
				close(*got_fd);
			*got_fd = -1;
			return rc;
		}
	}
	return 0;
}
