/* SPDX-License-Identifier: MIT */
#include "ctl_stage.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int ctl_stages_push(const struct ctl_stage *st, size_t n, const struct ctl_push *next,
		    char *why, size_t why_len)
{
	return ctl_stages_push_timed(st, n, next, why, why_len, NULL);
}

/* One stage's prepare, on a thread of its own or the caller's. */
struct prep {
	const struct ctl_stage *st;
	const struct ctl_push *next;
	int rc;
	double ms;
	char reason[256];
	pthread_t thr;
	int threaded;
};

static void *prep_run(void *arg)
{
	struct prep *p = arg;
	double t0 = now_ms();

	p->reason[0] = '\0';
	p->rc = p->st->ops->prepare(p->st->ctx, p->next, p->reason, sizeof(p->reason));
	p->ms = now_ms() - t0;
	return NULL;
}

int ctl_stages_push_timed(const struct ctl_stage *st, size_t n, const struct ctl_push *next,
			  char *why, size_t why_len, double *ms)
{
	struct prep *p = calloc(n + 1, sizeof(*p));
	size_t i, bad = n;
	int rc = 0;

	if (!p) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	/*
	 * The prepares are independent (each builds its own next version from
	 * the same read-only table): for a whole table they run at once, so
	 * the fast path's compile, the XDP map updates and the table file's
	 * fsync overlap. A delta's are a few ms each: on a busy machine a
	 * thread's start and wake-up would cost more than they save, so they
	 * run in turn on this thread, as does a stage whose thread cannot start.
	 */
	for (i = 0; i < n; i++) {
		p[i] = (struct prep){ .st = &st[i], .next = next };
		p[i].threaded = i > 0 && !next->delta &&
				!pthread_create(&p[i].thr, NULL, prep_run, &p[i]);
	}
	for (i = 0; i < n; i++) {
		if (i == 0 || !p[i].threaded)
			prep_run(&p[i]);
	}
	for (i = 0; i < n; i++) {
		if (p[i].threaded)
			pthread_join(p[i].thr, NULL);
		if (ms)
			ms[i] = p[i].ms;
		if (p[i].rc && bad == n)
			bad = i;
	}
	if (bad < n) {
		rc = p[bad].rc;
		snprintf(why, why_len, "%s: %s", st[bad].ops->name,
			 p[bad].reason[0] ? p[bad].reason : strerror(-rc));
		for (i = n; i--;)
			if (!p[i].rc)
				st[i].ops->abort(st[i].ctx);
		free(p);
		return rc;
	}
	free(p);
	/* in order: the fast path's commit can still fail, XDP's flip cannot */
	for (i = 0; i < n; i++) {
		double t0 = now_ms();

		st[i].ops->commit(st[i].ctx);
		if (ms)
			ms[i] += now_ms() - t0;
	}
	return 0;
}
