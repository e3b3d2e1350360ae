/* SPDX-License-Identifier: MIT */
/* Port bring-up shared by edgesteer-dp, its tests and its benchmark. */
#ifndef EDGESTEER_FP_PORT_H
#define EDGESTEER_FP_PORT_H

#include <stdint.h>

struct rte_mempool;

/* Configures @nrxq RX and @ntxq TX queues (1024 descriptors) and starts. 0 or -errno. */
int fp_port_setup(uint16_t port, uint16_t nrxq, uint16_t ntxq, struct rte_mempool *mp);

#endif /* EDGESTEER_FP_PORT_H */
