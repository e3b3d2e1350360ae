/* SPDX-License-Identifier: MIT */
/*
 * The control plane's side of the fast path's control socket (fp_msg.h).
 * No DPDK: edgesteerd links it with fp_table (libfp_ctl).
 */
#ifndef EDGESTEER_FP_CLIENT_H
#define EDGESTEER_FP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "es_policy.h"
#include "fp_msg.h"

struct fp_client;

/*
 * Every send and every wait for a reply (and the connect) has a deadline:
 * a stalled edgesteer-dp must not hang the control plane. Past it a call
 * returns -ETIMEDOUT, fp_client_error() says what timed out ("edgesteer-dp
 * did not answer PUSH_TABLE within 5000 ms"), and the connection is closed
 * (a late reply would answer the wrong request): later calls return
 * -ENOTCONN until the caller connects again.
 */
#define FP_CLIENT_TIMEOUT_MS	5000u

/* Connects to edgesteer-dp's socket at @path. 0 or -errno. */
int fp_client_connect(const char *path, struct fp_client **out);
void fp_client_close(struct fp_client *c);

/* Changes the deadline (ms > 0) of each send and each reply. 0 or -errno. */
int fp_client_set_timeout(struct fp_client *c, unsigned int ms);

/* What went wrong last, when a deadline passed; "" otherwise. */
const char *fp_client_error(const struct fp_client *c);

/*
 * Sends a compiled table (a sealed memfd of @len bytes) and waits for the
 * verdict. Returns 0 when it is in force, else the fast path's -errno with
 * @reply->why naming the rule (reply may be NULL).
 */
int fp_client_push_fd(struct fp_client *c, int memfd, size_t len, int force,
		      struct fp_msg_push_reply *reply);

/*
 * Sends a compiled delta (fp_delta_build_memfd) against the version in
 * force; as fp_client_push_fd. -EXDEV: the fast path has another version
 * than the delta's base (push the whole table).
 */
int fp_client_push_delta_fd(struct fp_client *c, int memfd, size_t len, int force,
			    struct fp_msg_push_reply *reply);

/* fp_table_build_memfd + fp_client_push_fd. */
int fp_client_push_policy(struct fp_client *c, const struct es_policy *p,
			  int force, struct fp_msg_push_reply *reply);

int fp_client_get_stats(struct fp_client *c, struct fp_msg_stats *out);

/* Drains up to FP_MSG_TELEM_MAX records; *n gets how many. */
int fp_client_get_telemetry(struct fp_client *c, struct fp_msg_telem_rec *recs,
			    size_t max, size_t *n);

/*
 * Reads every task-monitor record (FP_MSG_GET_MONITOR, page by page) into
 * @recs, at most @max; *n gets how many, @rep the last page's header.
 */
int fp_client_get_monitor(struct fp_client *c, struct fp_msg_mon_rec *recs, size_t max,
			  size_t *n, struct fp_msg_mon_reply *rep);

/*
 * Sends raw bytes (with an optional fd) and reads the reply header: for
 * tests of the server's message validation. 0 or -errno; *status gets the
 * reply's status.
 */
int fp_client_send_raw(struct fp_client *c, const void *msg, size_t len, int fd,
		       int32_t *status, uint16_t *reply_type);

#endif /* EDGESTEER_FP_CLIENT_H */
