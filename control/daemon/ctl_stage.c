/* SPDX-License-Identifier: MIT */
#include "ctl_stage.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void (*step_hook)(const char *point);

void ctl_stages_set_hook(void (*fn)(const char *point))
{
	step_hook = fn;
}

static void step(const struct ctl_stage *st, const char *what)
{
	char point[64];

	if (!step_hook)
		return;
	snprintf(point, sizeof(point), "%s.%s", st->ops->name, what);
	step_hook(point);
}

int ctl_stages_push(const struct ctl_stage *st, size_t n, const struct ctl_push *next,
		    char *why, size_t why_len)
{
	return ctl_stages_push_timed(st, n, next, why, why_len, NULL);
}

int ctl_stages_push_timed(const struct ctl_stage *st, size_t n, const struct ctl_push *next,
			  char *why, size_t why_len, double *ms)
{
	char reason[256];
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		double t0 = now_ms();

		reason[0] = '\0';
		rc = st[i].ops->prepare(st[i].ctx, next, reason, sizeof(reason));
		if (ms)
			ms[i] = now_ms() - t0;
		if (rc)
			break;
		step(&st[i], "prepared");
	}
	if (rc) {
		snprintf(why, why_len, "%s: %s", st[i].ops->name,
			 reason[0] ? reason : strerror(-rc));
		while (i--)
			st[i].ops->abort(st[i].ctx);
		return rc;
	}
	for (i = 0; i < n; i++) {
		double t0 = now_ms();

		st[i].ops->commit(st[i].ctx);
		if (ms)
			ms[i] += now_ms() - t0;
		step(&st[i], "committed");
	}
	return 0;
}
