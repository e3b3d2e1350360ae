/* SPDX-License-Identifier: MIT */
/* Fuzz target: a policy table pushed or loaded with no table in force. */
#include "fuzz_ptab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ptab_one(data, size, NULL);
	return 0;
}
