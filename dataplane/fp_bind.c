/* SPDX-License-Identifier: MIT */
#include "fp_bind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/types.h>

#include "esop_parse.h"

#define BIND_V6		0x1u
#define BIND_TEID	0x2u
#define MAX_PROBE	64u

/* seen is refreshed at most once per this fraction of the idle time */
#define REFRESH_DIV	60u

/*
 * One binding. seq is odd while a writer holds the slot; device_id 0 is a
 * slot never used (slots are evicted, never emptied, so a probe for an id
 * may stop at the first empty one).
 */
struct fp_bind_slot {
	uint32_t seq;
	uint32_t device_id;
	uint64_t seen;		/* ticks of the last matching frame, coarse */
	uint32_t teid;
	uint8_t flags;
	uint8_t pad[3];
	uint8_t addr[16];
	uint8_t pad2[24];
};

_Static_assert(sizeof(struct fp_bind_slot) == 64, "one cache line per slot");

struct fp_bind {
	uint32_t bits;
	uint64_t idle;
	uint64_t refresh;
	struct fp_bind_slot *slots;
};

int fp_bind_create(uint32_t max_devices, uint64_t idle_ticks, struct fp_bind **out)
{
	struct fp_bind *b;
	uint32_t bits = 4;

	if (!max_devices || !idle_ticks)
		return -EINVAL;
	while ((1ull << bits) < 2ull * max_devices)
		bits++;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	/* anonymous pages: zeroed, and only touched slots cost memory */
	b->slots = mmap(NULL, sizeof(struct fp_bind_slot) << bits, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->slots == MAP_FAILED) {
		free(b);
		return -ENOMEM;
	}
	b->bits = bits;
	b->idle = idle_ticks;
	b->refresh = idle_ticks / REFRESH_DIV ? idle_ticks / REFRESH_DIV : 1;
	*out = b;
	return 0;
}

void fp_bind_free(struct fp_bind *b)
{
	if (!b)
		return;
	munmap(b->slots, sizeof(struct fp_bind_slot) << b->bits);
	free(b);
}

/* The source of @pkt as a binding (seq, id and seen not set). */
static void source_of(const struct esop_pkt *pkt, struct fp_bind_slot *s)
{
	memset(s, 0, sizeof(*s));
	s->flags = pkt->ipv6 ? BIND_V6 : 0;
	memcpy(s->addr, pkt->saddr, pkt->ipv6 ? 16 : 4);
	if (pkt->gtpu) {
		s->flags |= BIND_TEID;
		s->teid = pkt->gtpu_teid;
	}
}

/* Same source: family and address, and the TEID once one is bound. */
static int same_source(const struct fp_bind_slot *b, const struct fp_bind_slot *f)
{
	if ((b->flags & BIND_V6) != (f->flags & BIND_V6) || memcmp(b->addr, f->addr, 16))
		return 0;
	return !(b->flags & f->flags & BIND_TEID) || b->teid == f->teid;
}

/* A consistent copy of @s; 0 when a writer held it throughout. */
static int slot_read(const struct fp_bind_slot *s, struct fp_bind_slot *out)
{
	for (int tries = 0; tries < 4; tries++) {
		uint32_t s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);

		if (s1 & 1)
			continue;
		memcpy(out, s, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) == s1) {
			out->seq = s1;
			return 1;
		}
	}
	return 0;
}

/*
 * Writes @id's binding @f into @s if its sequence is still @seq (nobody
 * wrote it since it was read). 0 when another lcore got there first.
 */
static int slot_write(struct fp_bind_slot *s, uint32_t seq, uint32_t id,
		      const struct fp_bind_slot *f, uint64_t now)
{
	if (!__atomic_compare_exchange_n(&s->seq, &seq, seq + 1, 0, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return 0;
	s->device_id = id;
	s->teid = f->teid;
	s->flags = f->flags;
	memcpy(s->addr, f->addr, sizeof(s->addr));
	__atomic_store_n(&s->seen, now, __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
	return 1;
}

enum fp_bind_result fp_bind_check(struct fp_bind *b, const struct esop_pkt *pkt,
				  uint64_t now)
{
	uint32_t mask = (1u << b->bits) - 1, id = pkt->device_id;
	uint32_t i = (uint32_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> (64 - b->bits));
	struct fp_bind_slot f, cur, old = { 0 };
	struct fp_bind_slot *s, *oldest = NULL;

	source_of(pkt, &f);
	for (uint32_t n = 0; n < MAX_PROBE; n++, i = (i + 1) & mask) {
		s = &b->slots[i];
		if (!slot_read(s, &cur))
			return FP_BIND_BUSY;
		if (cur.device_id == 0)
			return slot_write(s, cur.seq, id, &f, now) ? FP_BIND_LEARNED
								   : FP_BIND_BUSY;
		if (cur.device_id != id) {
			if (!oldest || cur.seen < old.seen) {
				oldest = s;
				old = cur;
			}
			continue;
		}
		if (same_source(&cur, &f)) {
			if (f.flags & ~cur.flags & BIND_TEID)	/* its first GTP-U frame */
				return slot_write(s, cur.seq, id, &f, now) ? FP_BIND_LEARNED
									   : FP_BIND_BUSY;
			/* coarse refresh: the line is written rarely, not per frame */
			if (now > cur.seen && now - cur.seen > b->refresh)
				__atomic_store_n(&s->seen, now, __ATOMIC_RELAXED);
			return FP_BIND_OK;
		}
		if (now > cur.seen && now - cur.seen > b->idle)
			return slot_write(s, cur.seq, id, &f, now) ? FP_BIND_MOVED : FP_BIND_BUSY;
		return FP_BIND_MISMATCH;
	}
	/* no slot of its own and none free: the least recently seen makes room */
	return slot_write(oldest, old.seq, id, &f, now) ? FP_BIND_EVICTED : FP_BIND_BUSY;
}
