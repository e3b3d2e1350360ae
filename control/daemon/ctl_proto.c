/* SPDX-License-Identifier: MIT */
#include "ctl_proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
	if (h->flags & ~(uint32_t)CTL_F_FORCE || h->status)
		return -EINVAL;
	if (h->len > (h->type == CTL_REQ_PUSH ? CTL_PUSH_MAX_BYTES : CTL_SMALL_MAX_BYTES))
		return -E2BIG;
	return 0;
}

int ctl_proto_write(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ctl_proto_read(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0) {
			if (errno == EINTR)
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

int ctl_proto_send(int fd, const struct ctl_msg_hdr *h, const void *a, size_t an,
		   const void *b, size_t bn)
{
	int rc = ctl_proto_write(fd, h, sizeof(*h));

	if (!rc && an)
		rc = ctl_proto_write(fd, a, an);
	if (!rc && bn)
		rc = ctl_proto_write(fd, b, bn);
	return rc;
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
