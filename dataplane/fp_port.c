/* SPDX-License-Identifier: MIT */
#include "fp_port.h"

#include <errno.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

int fp_port_setup(uint16_t port, uint16_t nrxq, uint16_t ntxq, struct rte_mempool *mp)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	int err;

	err = rte_eth_dev_info_get(port, &info);
	if (err)
		return err;
	if (nrxq > info.max_rx_queues || ntxq > info.max_tx_queues)
		return -EINVAL;
	if (nrxq > 1)
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP;
	conf.rx_adv_conf.rss_conf.rss_hf &= info.flow_type_rss_offloads;
	if (!conf.rx_adv_conf.rss_conf.rss_hf)
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	err = rte_eth_dev_configure(port, nrxq, ntxq, &conf);
	if (err)
		return err;
	for (uint16_t q = 0; q < nrxq; q++) {
		err = rte_eth_rx_queue_setup(port, q, 1024, rte_eth_dev_socket_id(port),
					     NULL, mp);
		if (err)
			return err;
	}
	for (uint16_t q = 0; q < ntxq; q++) {
		err = rte_eth_tx_queue_setup(port, q, 1024, rte_eth_dev_socket_id(port), NULL);
		if (err)
			return err;
	}
	return rte_eth_dev_start(port);
}
