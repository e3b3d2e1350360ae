/* SPDX-License-Identifier: MIT */
/*
 * What the Pre-DNNOff targets check beyond ASan/UBSan: an accepted graph is
 * one the solvers can use (the invariants below), a refusal says where and
 * why ("f:LINE: ..."). (Grown out of tests/prednnoff/fuzz_pdo_text.c.)
 */
#ifndef EDGESTEER_FUZZ_PDO_TEXT_H
#define EDGESTEER_FUZZ_PDO_TEXT_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pdo_model.h"

/* The input as a C string (the loaders read text files). */
static inline char *fuzz_pdo_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

static inline void fuzz_pdo_refusal(int rc, const char *err)
{
	if (rc && (rc != -EINVAL || strncmp(err, "f:", 2)))
		abort();
}

#endif /* EDGESTEER_FUZZ_PDO_TEXT_H */
