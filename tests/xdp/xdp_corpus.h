/* SPDX-License-Identifier: MIT */
/* The fixture corpus as the build wrote it (fixtures.pcap + fixtures.tsv). */
#ifndef EDGESTEER_TESTS_XDP_CORPUS_H
#define EDGESTEER_TESTS_XDP_CORPUS_H

#include <stddef.h>

struct esop_fixture;

/*
 * Reads the corpus as the build wrote it: frames from @pcap_path, and each
 * frame's name, parse result, drop reason, verdict, type, device and app
 * from the matching row of @tsv_path. Returns 0 or -errno (-EPROTO: the two
 * files disagree); free *out with free().
 */
int xdp_corpus_read(const char *pcap_path, const char *tsv_path,
		    struct esop_fixture **out, size_t *n);

#endif /* EDGESTEER_TESTS_XDP_CORPUS_H */
