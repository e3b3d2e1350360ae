/* SPDX-License-Identifier: MIT */
/* `edgesteerctl policy eval --policy prednnoff ...` (docs/prednnoff.md). */
#ifndef EDGESTEER_PDO_EVAL_H
#define EDGESTEER_PDO_EVAL_H

#include <stdio.h>

/* argv[0] is "prednnoff"; returns a process exit status (0, 1, 2). */
int pdo_eval_main(int argc, char **argv, FILE *out);

#endif /* EDGESTEER_PDO_EVAL_H */
