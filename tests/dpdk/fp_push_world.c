/* SPDX-License-Identifier: MIT */
/*
 * fp_push_world SOCKET: pushes the fixture world's table to a running
 * edgesteer-dp through fp_client (what edgesteerd does), prints the reply.
 * Exit 0 when the table is in force, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "fp_client.h"
#include "fp_testlib.h"

int main(int argc, char **argv)
{
	struct fp_msg_push_reply rep;
	struct fp_client *c;
	struct es_policy p;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: fp_push_world SOCKET\n");
		return 2;
	}
	memset(&rep, 0, sizeof(rep));
	err = fp_client_connect(argv[1], &c);
	if (err) {
		fprintf(stderr, "error: fp_push_world: %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	err = fp_test_world_policy(&p);
	if (!err)
		err = fp_client_push_policy(c, &p, 0, &rep);
	fp_client_close(c);
	fp_test_policy_free(&p);
	if (err) {
		fprintf(stderr, "error: fp_push_world: %s (%s)\n", strerror(-err), rep.why);
		return 1;
	}
	printf("epoch %lu in force, applied in %.3f ms\n", (unsigned long)rep.epoch,
	       rep.apply_ns / 1e6);
	return 0;
}
