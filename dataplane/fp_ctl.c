/* SPDX-License-Identifier: MIT */
#include "fp_ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CTL_MAX_CLIENTS	8

struct fp_ctl {
	struct fp_dp *dp;
	int lfd;
	int cfd[CTL_MAX_CLIENTS];
	int stop_pipe[2];
	pthread_t thr;
	char path[108];
};

void fp_ctl_unmap(void *ctx, const void *blob, size_t len)
{
	/* ctx: the mapped length; a hugetlb mapping is only unmapped whole */
	munmap((void *)blob, ctx ? (size_t)(uintptr_t)ctx : len);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void reply(int fd, uint16_t type, int32_t status, const void *p, uint32_t len)
{
	uint8_t buf[sizeof(struct fp_msg_hdr) + FP_MSG_MAX_PAYLOAD];
	struct fp_msg_hdr h = { FP_MSG_MAGIC, FP_MSG_VERSION, type, len, status };

	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), p, len);
	/* a client that went away is noticed on its next poll */
	(void)send(fd, buf, sizeof(h) + len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/*
 * Maps, validates and publishes the memfd of a push (@delta: of a delta,
 * folded into a new overlay and unmapped). 0 or -errno.
 */
static int push_table(struct fp_ctl *c, int mfd, int delta, const struct fp_msg_push *req,
		      struct fp_msg_push_reply *r)
{
	const char *why = NULL;
	uint64_t t0 = now_ns();
	struct stat st;
	void *map;
	int seals, err;

	seals = fcntl(mfd, F_GET_SEALS);
	/* unsealed, the sender could change the bytes after validation */
	if (seals < 0 || (seals & (F_SEAL_WRITE | F_SEAL_SHRINK)) !=
			 (F_SEAL_WRITE | F_SEAL_SHRINK)) {
		why = "fd: not a memfd sealed against write and shrink";
		err = -EPERM;
		goto out;
	}
	if (fstat(mfd, &st) < 0 || req->blob_bytes == 0 ||
	    req->blob_bytes > (uint64_t)st.st_size) {
		why = "blob_bytes: zero or larger than the memfd";
		err = -EBADMSG;
		goto out;
	}
	/* populated now, so the data path never takes a page fault on it */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED | MAP_POPULATE, mfd, 0);
	if (map == MAP_FAILED) {
		err = -errno;
		why = "mmap of the memfd failed";
		goto out;
	}
	if (delta)
		err = fp_dp_apply_delta(c->dp, map, req->blob_bytes, req->force, &why);
	else
		err = fp_dp_apply(c->dp, map, req->blob_bytes, req->force, fp_ctl_unmap,
				  (void *)(uintptr_t)st.st_size, &why);
	if (err || delta)
		munmap(map, (size_t)st.st_size);
	goto done;
out:
	fp_dp_note_refused(c->dp);
done:
	r->epoch = fp_dp_epoch(c->dp);
	r->apply_ns = now_ns() - t0;
	if (why)
		snprintf(r->why, sizeof(r->why), "%s", why);
	return err;
}

/* Closes every fd that arrived with a message we will not use. */
static int take_fd(struct msghdr *mh)
{
	int fd = -1;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		int n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));

		for (int i = 0; i < n; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (fd < 0)
				fd = f;
			else
				close(f);
		}
	}
	return fd;
}

/* Serves one message. Returns -1 when the client is gone. */
static int serve(struct fp_ctl *c, int fd)
{
	uint8_t buf[sizeof(struct fp_msg_hdr) + FP_MSG_MAX_PAYLOAD + 1];
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	struct fp_msg_hdr *h = (struct fp_msg_hdr *)buf;
	ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	int mfd, err;

	if (n <= 0)
		return -1;
	mfd = take_fd(&mh);
	err = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ? -EMSGSIZE
							 : fp_msg_check(h, (uint32_t)n);
	if (err)
		goto err_reply;
	switch (h->type) {
	case FP_MSG_PUSH_TABLE:
	case FP_MSG_PUSH_DELTA: {
		struct fp_msg_push req;
		struct fp_msg_push_reply r;

		memset(&r, 0, sizeof(r));
		if (h->len != sizeof(req) || mfd < 0) {
			err = -EBADMSG;
			goto err_reply;
		}
		memcpy(&req, buf + sizeof(*h), sizeof(req));
		err = push_table(c, mfd, h->type == FP_MSG_PUSH_DELTA, &req, &r);
		close(mfd);
		reply(fd, h->type | FP_MSG_REPLY, err, &r, sizeof(r));
		/* after the reply: the sender does not wait for a merge */
		if (!err && h->type == FP_MSG_PUSH_DELTA)
			fp_dp_merge(c->dp, 0);
		return 0;
	}
	case FP_MSG_GET_STATS: {
		struct fp_msg_stats s;

		if (h->len || mfd >= 0) {
			err = -EBADMSG;
			goto err_reply;
		}
		fp_dp_stats(c->dp, &s);
		reply(fd, FP_MSG_GET_STATS | FP_MSG_REPLY, 0, &s, sizeof(s));
		return 0;
	}
	case FP_MSG_GET_TELEMETRY: {
		struct fp_msg_telem_rec recs[FP_MSG_TELEM_MAX];
		unsigned int k;

		if (h->len || mfd >= 0) {
			err = -EBADMSG;
			goto err_reply;
		}
		k = fp_dp_ctl_drain(c->dp, recs, FP_MSG_TELEM_MAX);
		reply(fd, FP_MSG_GET_TELEMETRY | FP_MSG_REPLY, 0, recs,
		      (uint32_t)(k * sizeof(recs[0])));
		return 0;
	}
	case FP_MSG_GET_MONITOR: {
		struct {
			struct fp_msg_mon_reply h;
			struct fp_msg_mon_rec recs[FP_MSG_MON_MAX];
		} r;
		struct fp_msg_mon_req q;

		if (h->len != sizeof(q) || mfd >= 0) {
			err = -EBADMSG;
			goto err_reply;
		}
		memcpy(&q, buf + sizeof(*h), sizeof(q));
		fp_dp_monitor(c->dp, q.start, r.recs, FP_MSG_MON_MAX, &r.h);
		reply(fd, FP_MSG_GET_MONITOR | FP_MSG_REPLY, 0, &r,
		      (uint32_t)(sizeof(r.h) + r.h.nrec * sizeof(r.recs[0])));
		return 0;
	}
	default:
		err = -EOPNOTSUPP;
	}
err_reply:
	if (mfd >= 0)
		close(mfd);
	reply(fd, FP_MSG_ERROR, err, NULL, 0);
	return 0;
}

static void *ctl_main(void *arg)
{
	struct fp_ctl *c = arg;

	for (;;) {
		struct pollfd p[CTL_MAX_CLIENTS + 2];
		int np = 0, k;

		p[np++] = (struct pollfd){ .fd = c->stop_pipe[0], .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = c->lfd, .events = POLLIN };
		for (k = 0; k < CTL_MAX_CLIENTS; k++)
			p[np++] = (struct pollfd){ .fd = c->cfd[k], .events = POLLIN };
		if (poll(p, (nfds_t)np, 50) < 0 && errno != EINTR)
			break;
		fp_dp_reclaim(c->dp);
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN) {
			int fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);

			for (k = 0; fd >= 0 && k < CTL_MAX_CLIENTS; k++)
				if (c->cfd[k] < 0) {
					c->cfd[k] = fd;
					fd = -1;
				}
			if (fd >= 0)
				close(fd);	/* full: the client sees EOF */
		}
		for (k = 0; k < CTL_MAX_CLIENTS; k++) {
			short ev = p[2 + k].revents;

			if (c->cfd[k] < 0 || !ev)
				continue;
			if ((ev & POLLIN) && serve(c, c->cfd[k]) == 0)
				continue;
			close(c->cfd[k]);
			c->cfd[k] = -1;
		}
	}
	return NULL;
}

int fp_ctl_start(struct fp_dp *dp, const char *path, struct fp_ctl **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fp_ctl *c;
	int err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->dp = dp;
	for (int k = 0; k < CTL_MAX_CLIENTS; k++)
		c->cfd[k] = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	strcpy(sa.sun_path, path);
	if (pipe2(c->stop_pipe, O_CLOEXEC) < 0) {
		err = -errno;
		goto err_free;
	}
	c->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->lfd < 0) {
		err = -errno;
		goto err_pipe;
	}
	unlink(path);
	if (bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0 || listen(c->lfd, 8) < 0) {
		err = -errno;
		goto err_sock;
	}
	err = -pthread_create(&c->thr, NULL, ctl_main, c);
	if (err)
		goto err_unlink;
	*out = c;
	return 0;

err_unlink:
	unlink(path);
err_sock:
	close(c->lfd);
err_pipe:
	close(c->stop_pipe[0]);
	close(c->stop_pipe[1]);
err_free:
	free(c);
	return err;
}

void fp_ctl_stop(struct fp_ctl *c)
{
	if (!c)
		return;
	(void)!write(c->stop_pipe[1], "x", 1);
	pthread_join(c->thr, NULL);
	for (int k = 0; k < CTL_MAX_CLIENTS; k++)
		if (c->cfd[k] >= 0)
			close(c->cfd[k]);
	close(c->lfd);
	unlink(c->path);
	close(c->stop_pipe[0]);
	close(c->stop_pipe[1]);
	free(c);
}
