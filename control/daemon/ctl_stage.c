/* SPDX-License-Identifier: MIT */
#include "ctl_stage.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int ctl_stages_push(const struct ctl_stage *st, size_t n, const struct ctl_push *next,
		    char *why, size_t why_len)
{
	char reason[256];
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		reason[0] = '\0';
		rc = st[i].ops->prepare(st[i].ctx, next, reason, sizeof(reason));
		if (rc)
			break;
	}
	if (rc) {
		snprintf(why, why_len, "%s: %s", st[i].ops->name,
			 reason[0] ? reason : strerror(-rc));
		while (i--)
			st[i].ops->abort(st[i].ctx);
		return rc;
	}
	for (i = 0; i < n; i++)
		st[i].ops->commit(st[i].ctx);
	return 0;
}
