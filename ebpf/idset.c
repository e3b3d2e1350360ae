/* SPDX-License-Identifier: MIT */
#include "idset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t home(const struct idset *s, uint32_t id)
{
	/* Fibonacci hashing: the top bits of id x 2^32/phi */
	return (uint32_t)(id * 2654435761u) >> (32 - s->bits);
}

static uint32_t mask(const struct idset *s)
{
	return (1u << s->bits) - 1;
}

int idset_init(struct idset *s, uint32_t cap)
{
	uint32_t bits = 4;

	while (bits < 31 && (1u << bits) < 2ull * cap)
		bits++;
	s->slot = calloc((size_t)1 << bits, sizeof(*s->slot));
	s->val = calloc((size_t)1 << bits, sizeof(*s->val));
	s->bits = bits;
	s->n = 0;
	if (s->slot && s->val)
		return 0;
	idset_free(s);
	return -ENOMEM;
}

void idset_free(struct idset *s)
{
	free(s->slot);
	free(s->val);
	s->slot = NULL;
	s->val = NULL;
	s->n = 0;
}

void idset_clear(struct idset *s)
{
	memset(s->slot, 0, ((size_t)1 << s->bits) * sizeof(*s->slot));
	s->n = 0;
}

/* The slot holding @id, or the empty slot where it would go. */
static uint32_t find(const struct idset *s, uint32_t id)
{
	uint32_t i = home(s, id);

	while (s->slot[i] && s->slot[i] != id)
		i = (i + 1) & mask(s);
	return i;
}

int idset_has(const struct idset *s, uint32_t id)
{
	return id && s->slot[find(s, id)] == id;
}

int idset_put(struct idset *s, uint32_t id, uint32_t val)
{
	uint32_t i;

	if (!id)
		return -1;
	i = find(s, id);
	if (s->slot[i]) {
		s->val[i] = val;
		return 0;
	}
	if (s->n >= mask(s))	/* keep one slot empty: probes end */
		return -1;
	s->slot[i] = id;
	s->val[i] = val;
	s->n++;
	return 1;
}

int idset_add(struct idset *s, uint32_t id)
{
	return !idset_has(s, id) && idset_put(s, id, 0) == 1;
}

int idset_get(const struct idset *s, uint32_t id, uint32_t *val)
{
	uint32_t i;

	if (!id)
		return 0;
	i = find(s, id);
	if (!s->slot[i])
		return 0;
	*val = s->val[i];
	return 1;
}

void idset_each(const struct idset *s, void (*fn)(void *arg, uint32_t id, uint32_t val),
		void *arg)
{
	for (size_t i = 0; i < (size_t)1 << s->bits; i++)
		if (s->slot[i])
			fn(arg, s->slot[i], s->val[i]);
}

int idset_del(struct idset *s, uint32_t id)
{
	uint32_t i, j, k;

	if (!id)
		return 0;
	i = find(s, id);
	if (!s->slot[i])
		return 0;
	/* pull back every later entry of the run that may sit in the hole */
	for (j = (i + 1) & mask(s); s->slot[j]; j = (j + 1) & mask(s)) {
		k = home(s, s->slot[j]);
		/* the entry stays when its home lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		s->slot[i] = s->slot[j];
		s->val[i] = s->val[j];
		i = j;
	}
	s->slot[i] = 0;
	s->n--;
	return 1;
}
