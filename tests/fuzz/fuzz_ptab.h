/* SPDX-License-Identifier: MIT */
/*
 * What the policy-table targets check beyond ASan/UBSan: every input either
 * loads into a table that meets ptab_check() and survives a JSON round trip
 * unchanged, or is refused with a "NAME: PATH: REASON" message and nothing
 * written. (Grown out of tests/control/fuzz_ptab.c.)
 */
#ifndef EDGESTEER_FUZZ_PTAB_H
#define EDGESTEER_FUZZ_PTAB_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptab.h"

static void fuzz_ptab_roundtrip(const struct es_policy *next)
{
	struct ptab_error err = { "" };
	struct ptab_diff_stats st;
	struct es_policy back;
	char *out = NULL;
	size_t olen = 0;
	FILE *f;

	if (ptab_check(next, NULL, &err)) {
		fprintf(stderr, "accepted a table that breaks a rule: %s\n", err.msg);
		abort();
	}
	f = open_memstream(&out, &olen);
	if (!f || ptab_write_json(next, f, 0) || fclose(f))
		abort();
	if (ptab_load("round-trip", out, olen, NULL, NULL, 0, &back, NULL, NULL, &err)) {
		fprintf(stderr, "its own JSON refused: %s\n%s\n", err.msg, out);
		abort();
	}
	ptab_diff(next, &back, NULL, 0, &st);
	if (back.ndevices != next->ndevices || back.nservers != next->nservers ||
	    back.epoch != next->epoch || st.added || st.removed || st.changed) {
		fprintf(stderr, "round trip changed the table\n");
		abort();
	}
	ptab_free(&back);
	free(out);
}

/* Loads @data against @in_force (NULL: none) and checks the promises. */
static void fuzz_ptab_one(const uint8_t *data, size_t size, const struct es_policy *in_force)
{
	struct ptab_error err = { "" };
	struct ptab_load_info info = { 0 };
	struct ptab_delta delta;
	struct es_policy next;
	char *buf = malloc(size + 1);
	int rc;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	memset(&next, 0x5a, sizeof(next));
	rc = ptab_load("fuzz", buf, size, in_force, NULL, PTAB_F_FORCE, &next, &info,
		       &delta, &err);
	if (rc) {
		if (strncmp(err.msg, "fuzz: ", 6) || next.ndevices != 0x5a5a5a5a) {
			fprintf(stderr, "refusal without a path, or output written: %s\n",
				err.msg);
			abort();
		}
		free(buf);
		return;
	}
	fuzz_ptab_roundtrip(&next);
	/* a delta, applied again to the table in force, gives the same table */
	if (info.delta) {
		struct es_policy again;
		struct ptab_diff_stats st;

		if (ptab_apply_delta("again", in_force, &delta, NULL, &again, NULL, &err)) {
			fprintf(stderr, "its own delta refused: %s\n", err.msg);
			abort();
		}
		ptab_diff(&next, &again, NULL, 0, &st);
		if (st.added || st.removed || st.changed)
			abort();
		ptab_free(&again);
	}
	ptab_delta_free(&delta);
	ptab_free(&next);
	free(buf);
}

#endif /* EDGESTEER_FUZZ_PTAB_H */
