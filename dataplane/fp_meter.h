/* SPDX-License-Identifier: MIT */
/*
 * Per-device meter shared by every lcore: GCRA (the virtual-scheduling form
 * of a token bucket) on one 64-bit theoretical arrival time per device,
 * updated with compare-and-swap so a device's traffic split across lcores
 * is held to one rate. State lives here, keyed by device id, outside the
 * policy table: a table swap keeps every bucket. Rate and burst come from
 * the table in force for the packet. Times are TSC ticks read once per burst.
 *
 * A frame of L bytes conforms when the bucket holds L bytes; it then
 * consumes them, a non-conforming frame consumes nothing. A device seen for
 * the first time starts with a full bucket (burst bytes).
 */
#ifndef EDGESTEER_FP_METER_H
#define EDGESTEER_FP_METER_H

#include <stddef.h>
#include <stdint.h>

struct fp_meter_slot {
	uint32_t device_id;		/* 0 = free; claimed with CAS, taken over
					 * once its bucket is full (fp_meter_slot) */
	uint32_t pad;
	uint64_t tat;			/* theoretical arrival time, ticks */
	/*
	 * rate_kbps << 32 | (float) ticks per byte at that rate: one 64-bit
	 * word, so a reader never pairs a rate with another rate's cost; it
	 * saves the division on every frame but the first after a change.
	 */
	uint64_t rate_tpb;
	uint64_t pad2;
};

struct fp_meter {
	uint32_t bits;
	uint32_t max_probe;
	uint64_t hz;			/* ticks per second */
	double hz_d;
	struct fp_meter_slot *slots;
};

/* Room for @max_devices devices (the store is twice that). 0 or -errno. */
int fp_meter_create(uint32_t max_devices, uint64_t hz, struct fp_meter **out);
void fp_meter_free(struct fp_meter *m);

/*
 * The device's slot, claimed on first use. When its probe window holds
 * neither its slot nor a free one, it takes over a slot whose bucket is
 * full (tat <= @now): such a slot says nothing a fresh one would not, so
 * devices gone from the table give their slots back without any sweep
 * (its owner, if it comes back, claims another, again with a full bucket).
 * NULL when every slot of the window is in use: the store is full.
 */
static inline struct fp_meter_slot *fp_meter_slot(struct fp_meter *m, uint32_t id,
						  uint64_t now)
{
	uint32_t mask = (1u << m->bits) - 1;
	uint32_t i = (uint32_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> (64 - m->bits));
	struct fp_meter_slot *idle = NULL;
	uint32_t idle_id = 0;

	for (uint32_t n = 0; n < m->max_probe; n++, i = (i + 1) & mask) {
		struct fp_meter_slot *s = &m->slots[i];
		uint32_t cur = __atomic_load_n(&s->device_id, __ATOMIC_ACQUIRE);

		if (cur == id)
			return s;
		if (cur == 0) {
			uint32_t zero = 0;

			if (__atomic_compare_exchange_n(&s->device_id, &zero, id, 0,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
			    zero == id)
				return s;
		} else if (!idle && __atomic_load_n(&s->tat, __ATOMIC_RELAXED) <= now) {
			idle = s;
			idle_id = cur;
		}
	}
	if (idle && __atomic_compare_exchange_n(&idle->device_id, &idle_id, id, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return idle;
	return NULL;
}

/*
 * 1 when @len bytes conform at @now (and are charged), 0 when not, -1 when
 * the store is full (the caller lets the frame through and counts it).
 */
static inline int fp_meter_check(struct fp_meter *m, uint32_t id, uint32_t rate_kbps,
				 uint32_t burst_bytes, uint32_t len, uint64_t now)
{
	struct fp_meter_slot *s = fp_meter_slot(m, id, now);
	uint64_t rt, cost, tau, tat, next;
	uint32_t bits;
	float tpb;

	if (!s)
		return -1;
	/* ticks per byte = hz * 8 / (rate_kbps * 1000), cached per device */
	rt = __atomic_load_n(&s->rate_tpb, __ATOMIC_RELAXED);
	if ((uint32_t)(rt >> 32) == rate_kbps) {
		bits = (uint32_t)rt;
		__builtin_memcpy(&tpb, &bits, sizeof(tpb));
	} else {
		tpb = (float)(m->hz_d / ((double)rate_kbps * 125.0));
		__builtin_memcpy(&bits, &tpb, sizeof(bits));
		__atomic_store_n(&s->rate_tpb, (uint64_t)rate_kbps << 32 | bits,
				 __ATOMIC_RELAXED);
	}
	/* a float's 24 bits are plenty for a cost and a tolerance in ticks */
	cost = (uint64_t)((double)len * tpb);
	tau = (uint64_t)((double)burst_bytes * tpb);
	tat = __atomic_load_n(&s->tat, __ATOMIC_RELAXED);
	do {
		next = (tat > now ? tat : now) + cost;
		if (next - now > tau)
			return 0;
	} while (!__atomic_compare_exchange_n(&s->tat, &tat, next, 1,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return 1;
}

/* Bytes in the bucket of @id at @now (telemetry); -1 when never seen. */
int64_t fp_meter_level(struct fp_meter *m, uint32_t id, uint32_t rate_kbps,
		       uint32_t burst_bytes, uint64_t now);

#endif /* EDGESTEER_FP_METER_H */
