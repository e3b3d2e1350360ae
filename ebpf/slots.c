/* SPDX-License-Identifier: MIT */
#include "slots.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int slots_init(struct slots *s, uint32_t n)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->refs = calloc(n ? n : 1, sizeof(*s->refs));
	s->free = malloc((n ? n : 1) * sizeof(*s->free));
	s->pending = malloc((n ? n : 1) * sizeof(*s->pending));
	if (!s->refs || !s->free || !s->pending) {
		slots_free(s);
		return -ENOMEM;
	}
	slots_settle(s);
	return 0;
}

void slots_free(struct slots *s)
{
	free(s->refs);
	free(s->free);
	free(s->pending);
	memset(s, 0, sizeof(*s));
}

int slots_take(struct slots *s, uint32_t *slot)
{
	if (!s->nfree)
		return s->npending ? -EAGAIN : -ENOSPC;
	*slot = s->free[--s->nfree];
	s->refs[*slot] = 1;
	return 0;
}

void slots_ref(struct slots *s, uint32_t slot)
{
	if (slot < s->n)
		s->refs[slot]++;
}

void slots_unref(struct slots *s, uint32_t slot, int in_flight)
{
	if (slot >= s->n || !s->refs[slot] || --s->refs[slot])
		return;
	if (in_flight)
		s->pending[s->npending++] = slot;
	else
		s->free[s->nfree++] = slot;
}

void slots_grace_done(struct slots *s)
{
	while (s->npending)
		s->free[s->nfree++] = s->pending[--s->npending];
}

void slots_reset(struct slots *s)
{
	memset(s->refs, 0, s->n * sizeof(*s->refs));
	s->nfree = 0;
	s->npending = 0;
}

void slots_settle(struct slots *s)
{
	s->nfree = 0;
	s->npending = 0;
	/* the lowest slot is taken first */
	for (uint32_t i = s->n; i > 0; i--)
		if (!s->refs[i - 1])
			s->free[s->nfree++] = i - 1;
}
