/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the shared ESOP parser on arbitrary frames. Beyond "no crash,
 * no out-of-bounds read" (ASan), it checks the parser's promises: a frame
 * taken as well-formed ESOP has its header and payload inside the frame, a
 * MALFORMED one names a reason, and the answer does not depend on bytes
 * after the frame's end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "esop_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct esop_parse_cfg cfgs[] = {
		{ 0 }, { .gtpu_off = 1 }, { .esop_port = 2152 },
	};
	struct esop_pkt pkt;

	if (size > 65535)
		return 0;
	for (size_t c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++) {
		memset(&pkt, 0, sizeof(pkt));
		int v = esop_parse(data, data + size, &cfgs[c], &pkt);

		if (v != ESOP_V_NOT_ESOP && v != ESOP_V_MALFORMED && v != ESOP_V_NEEDS_TABLE)
			abort();
		if ((v == ESOP_V_MALFORMED) != (pkt.drop_reason != ESOP_DROP_NONE))
			abort();
		if (v == ESOP_V_NEEDS_TABLE &&
		    ((size_t)pkt.esop_off + ESOP_HDR_BYTES > size ||
		     (size_t)pkt.payload_off + pkt.payload_len > size ||
		     pkt.device_id == 0))
			abort();
	}
	return 0;
}
