/* SPDX-License-Identifier: MIT */
#include "ptab_arena.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <cjson/cJSON.h>

#define ARENA_ALIGN	16u
#define ARENA_STEP	(64u << 20)	/* overflow chunks and rounding */

/* Overflow chunks, malloc'd when the main mapping runs out; freed at end. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t cap, used;
	uint8_t data[];
};

static struct {
	uint8_t *base;		/* the kept, pre-faulted mapping */
	size_t cap, used;
	size_t high_water;	/* total used by the largest load so far */
	struct arena_chunk *extra;
	size_t extra_used;
} arena;

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

static void *chunk_alloc(size_t n)
{
	struct arena_chunk *c = arena.extra;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_STEP ? round_up(n, ARENA_STEP) : ARENA_STEP;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = arena.extra;
		c->cap = cap;
		c->used = 0;
		arena.extra = c;
	}
	void *p = c->data + c->used;

	c->used += n;
	arena.extra_used += n;
	return p;
}

static void *arena_malloc(size_t n)
{
	n = round_up(n ? n : 1, ARENA_ALIGN);
	if (arena.cap - arena.used >= n) {
		void *p = arena.base + arena.used;

		arena.used += n;
		return p;
	}
	return chunk_alloc(n);
}

/* Nodes die together at ptab_arena_end(). */
static void arena_free(void *p)
{
	(void)p;
}

int ptab_arena_begin(size_t hint)
{
	size_t want = round_up(hint > arena.high_water ? hint : arena.high_water,
			       ARENA_STEP);

	if (want > arena.cap) {
		if (arena.base)
			munmap(arena.base, arena.cap);
		arena.base = NULL;
		arena.cap = 0;
		/* MAP_POPULATE: fault it all in now, in one go, once. */
		void *m = mmap(NULL, want, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (m == MAP_FAILED)
			return -ENOMEM;
		arena.base = m;
		arena.cap = want;
	}
	arena.used = 0;
	cJSON_Hooks hooks = { .malloc_fn = arena_malloc, .free_fn = arena_free };

	cJSON_InitHooks(&hooks);
	return 0;
}

void ptab_arena_end(void)
{
	size_t total = arena.used + arena.extra_used;

	if (total > arena.high_water)
		arena.high_water = total;
	while (arena.extra) {
		struct arena_chunk *c = arena.extra;

		arena.extra = c->next;
		free(c);
	}
	arena.extra_used = 0;
	arena.used = 0;
	cJSON_InitHooks(NULL);
}
