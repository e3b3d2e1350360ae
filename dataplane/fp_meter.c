/* SPDX-License-Identifier: MIT */
#include "fp_meter.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

int fp_meter_create(uint32_t max_devices, uint64_t hz, struct fp_meter **out)
{
	struct fp_meter *m;
	uint32_t bits = 4;
	size_t bytes;

	if (!hz || !max_devices)
		return -EINVAL;
	while ((1ull << bits) < 2ull * max_devices)
		bits++;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	bytes = sizeof(struct fp_meter_slot) << bits;
	/* anonymous pages: zeroed, and only touched slots cost memory */
	m->slots = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->slots == MAP_FAILED) {
		free(m);
		return -ENOMEM;
	}
	m->bits = bits;
	m->max_probe = 64;
	m->hz = hz;
	m->hz_d = (double)hz;
	*out = m;
	return 0;
}

void fp_meter_free(struct fp_meter *m)
{
	if (!m)
		return;
	munmap(m->slots, sizeof(struct fp_meter_slot) << m->bits);
	free(m);
}

int64_t fp_meter_level(struct fp_meter *m, uint32_t id, uint32_t rate_kbps,
		       uint32_t burst_bytes, uint64_t now)
{
	uint32_t mask = (1u << m->bits) - 1;
	uint32_t i = (uint32_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> (64 - m->bits));
	uint64_t per = (uint64_t)rate_kbps * 125, tat, used;

	for (uint32_t n = 0; n < m->max_probe; n++, i = (i + 1) & mask) {
		if (m->slots[i].device_id == 0)
			return -1;
		if (m->slots[i].device_id != id)
			continue;
		tat = __atomic_load_n(&m->slots[i].tat, __ATOMIC_RELAXED);
		used = tat > now ? (tat - now) * per / m->hz : 0;
		return used >= burst_bytes ? 0 : (int64_t)(burst_bytes - used);
	}
	return -1;
}
