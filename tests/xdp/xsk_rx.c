/* SPDX-License-Identifier: MIT */
#include "xsk_rx.h"

#include <errno.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define XSK_FRAMES	256u
#define XSK_FRAME_SIZE	2048u

/* One mmapped ring: producer, consumer, descriptors. */
struct xsk_ring {
	uint32_t *producer;
	uint32_t *consumer;
	void *desc;
	void *map;
	size_t map_len;
};

struct xsk_rx {
	int fd;
	uint8_t *umem;
	struct xsk_ring fill, rx;
};

static int ring_map(int fd, const struct xdp_ring_offset *off, size_t desc_size,
		    off_t pgoff, struct xsk_ring *r)
{
	r->map_len = off->desc + XSK_FRAMES * desc_size;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_POPULATE, fd, pgoff);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return -errno;
	}
	r->producer = (uint32_t *)((uint8_t *)r->map + off->producer);
	r->consumer = (uint32_t *)((uint8_t *)r->map + off->consumer);
	r->desc = (uint8_t *)r->map + off->desc;
	return 0;
}

/* Hands frame @addr back to the kernel through the fill ring. */
static void fill_one(struct xsk_rx *s, uint64_t addr)
{
	uint32_t prod = __atomic_load_n(s->fill.producer, __ATOMIC_RELAXED);

	((uint64_t *)s->fill.desc)[prod & (XSK_FRAMES - 1)] = addr;
	__atomic_store_n(s->fill.producer, prod + 1, __ATOMIC_RELEASE);
}

int xsk_rx_open(struct xsk_rx **out, int ifindex, uint32_t queue)
{
	struct xdp_umem_reg mr = { .chunk_size = XSK_FRAME_SIZE };
	struct sockaddr_xdp sa = { .sxdp_family = AF_XDP, .sxdp_flags = XDP_COPY,
				   .sxdp_ifindex = (uint32_t)ifindex,
				   .sxdp_queue_id = queue };
	struct xdp_mmap_offsets off;
	socklen_t optlen = sizeof(off);
	int n = XSK_FRAMES, err;
	struct xsk_rx *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		err = -errno;
		goto err_free;
	}
	s->umem = mmap(NULL, (size_t)XSK_FRAMES * XSK_FRAME_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->umem == MAP_FAILED) {
		s->umem = NULL;
		err = -errno;
		goto err_close;
	}
	mr.addr = (uintptr_t)s->umem;
	mr.len = (uint64_t)XSK_FRAMES * XSK_FRAME_SIZE;
	/* the kernel wants a completion ring even for a socket that never sends */
	if (setsockopt(s->fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) ||
	    setsockopt(s->fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof(n)) ||
	    setsockopt(s->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof(n)) ||
	    setsockopt(s->fd, SOL_XDP, XDP_RX_RING, &n, sizeof(n)) ||
	    getsockopt(s->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &optlen)) {
		err = -errno;
		goto err_close;
	}
	err = ring_map(s->fd, &off.fr, sizeof(uint64_t), XDP_UMEM_PGOFF_FILL_RING, &s->fill);
	if (!err)
		err = ring_map(s->fd, &off.rx, sizeof(struct xdp_desc), XDP_PGOFF_RX_RING,
			       &s->rx);
	if (err)
		goto err_close;
	for (uint32_t i = 0; i < XSK_FRAMES; i++)
		fill_one(s, (uint64_t)i * XSK_FRAME_SIZE);
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		goto err_close;
	}
	*out = s;
	return 0;

err_close:
	xsk_rx_close(s);
	return err;
err_free:
	free(s);
	return err;
}

int xsk_rx_fd(const struct xsk_rx *s)
{
	return s->fd;
}

int xsk_rx_recv(struct xsk_rx *s, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	uint32_t cons = __atomic_load_n(s->rx.consumer, __ATOMIC_RELAXED);
	const struct xdp_desc *d;
	size_t len;

	if (__atomic_load_n(s->rx.producer, __ATOMIC_ACQUIRE) == cons) {
		if (poll(&p, 1, timeout_ms) <= 0 ||
		    __atomic_load_n(s->rx.producer, __ATOMIC_ACQUIRE) == cons)
			return -EAGAIN;
	}
	d = &((const struct xdp_desc *)s->rx.desc)[cons & (XSK_FRAMES - 1)];
	len = d->len < cap ? d->len : cap;
	memcpy(buf, s->umem + d->addr, len);
	fill_one(s, d->addr - d->addr % XSK_FRAME_SIZE);
	__atomic_store_n(s->rx.consumer, cons + 1, __ATOMIC_RELEASE);
	return (int)len;
}

void xsk_rx_close(struct xsk_rx *s)
{
	if (!s)
		return;
	if (s->rx.map)
		munmap(s->rx.map, s->rx.map_len);
	if (s->fill.map)
		munmap(s->fill.map, s->fill.map_len);
	if (s->fd >= 0)
		close(s->fd);
	if (s->umem)
		munmap(s->umem, (size_t)XSK_FRAMES * XSK_FRAME_SIZE);
	free(s);
}
