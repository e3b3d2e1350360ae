/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: one control-socket request as edgesteerd decodes it: the
 * 24-byte header (ctl_proto_check_req), then the payload that follows it
 * (ctl_proto_decode_req), and for a PUSH the JSON against the table in force
 * (policies/example.json), as handle_push() does. The header's len is taken
 * from the input when it fits what follows, else set to it, so both the
 * limit checks and the payload decoding get exercised.
 */
#include <errno.h>
#include <string.h>

#include "ctl_proto.h"
#include "fuzz_ptab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct es_policy in_force;
	struct ctl_msg_hdr h;
	struct ctl_req q;
	char why[128] = "", *p;
	size_t len;
	int rc;

	if (!in_force.epoch) {
		struct ptab_error err;

		if (ptab_load_file(FUZZ_IN_FORCE, NULL, NULL, 0, &in_force, NULL, &err))
			abort();
	}
	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	rc = ctl_proto_check_req(&h);
	if (rc && rc != -EPROTO && rc != -EINVAL && rc != -E2BIG)
		abort();
	if (rc)
		return 0;
	len = size - sizeof(h);
	if (h.len > len)
		h.len = len;
	/* the daemon's receive buffer: the payload and a NUL after it */
	p = malloc(h.len + 1);
	if (!p)
		abort();
	memcpy(p, data + sizeof(h), h.len);
	p[h.len] = '\0';
	rc = ctl_proto_decode_req(&h, p, h.len, &q, why, sizeof(why));
	if (rc && (rc != -EINVAL || !why[0]))
		abort();
	if (!rc && q.type == CTL_REQ_PUSH) {
		if (q.json + q.json_len != p + h.len || strlen(q.name) > CTL_NAME_MAX)
			abort();
		fuzz_ptab_one((const uint8_t *)q.json, q.json_len, &in_force);
	}
	free(p);
	return 0;
}
