/* SPDX-License-Identifier: MIT */
/*
 * xdpc: the XDP classifier's loader (docs/xdp.md). Loads
 * edgesteer_xdp.bpf.c with a device capacity, attaches it to an interface,
 * pins its maps, pushes whole policy tables atomically and single devices in
 * place, and reads the counters summed over CPUs.
 *
 * Every function returns 0 or -errno and prints nothing (libbpf's own log
 * goes wherever the caller pointed libbpf_set_print()). A handle is used
 * by one thread at a time; the program itself never waits for it.
 */
#ifndef EDGESTEER_XDPC_H
#define EDGESTEER_XDPC_H

#include <stdint.h>
#include <linux/types.h>

#include "es_abi.h"
#include "es_policy.h"

#define XDPC_PIN_DIR	"/sys/fs/bpf/edgesteer"
#define XDPC_PROG_NAME	"edgesteer_xdp"	/* the program's pin beside the maps */
#define XDPC_AFXDP_ROOT	"/sys/fs/bpf"	/* libbpf's root for pins by name */

/* xdpc_attach() flags */
#define XDPC_F_SKB	0x1u	/* generic (skb) mode, for drivers without native XDP */

enum xdpc_mode {
	XDPC_MODE_NATIVE = 1,
	XDPC_MODE_SKB = 2,
};

struct xdpc;

/*
 * Opens and loads the program through the verifier, sized for
 * @max_devices devices (0 = ES_MAX_DEVICES). Starts with table version 0
 * empty: every device unknown and dropped.
 */
int xdpc_open(struct xdpc **out, uint32_t max_devices);

/*
 * Takes over what a previous process (killed or restarted) left pinned in
 * @dir (NULL = XDPC_PIN_DIR): the program and every map, with their tables,
 * counters, meters and xsks_map, without a gap in service. With @ifindex
 * > 0 the program must be attached there (*got: its mode) and the handle
 * detaches it later. -ENOENT: nothing pinned there; -ESRCH: pinned but not
 * attached at @ifindex (adopt with 0, then xdpc_attach()); -EPROTO: pinned
 * by a build whose maps differ (detach and unpin it by hand, start fresh).
 */
int xdpc_adopt(struct xdpc **out, const char *dir, int ifindex,
	       enum xdpc_mode *got);

/*
 * DPDK's net_af_xdp loads and attaches the program itself (its xdp_prog=
 * names edgesteer_xdp_afxdp.bpf.o, the build of the same source whose maps
 * are pinned by name and sized when compiled; docs/xdp.md). This creates
 * those maps as that object declares them, pinned as @root/<map name> (NULL
 * = XDPC_AFXDP_ROOT, where the PMD's libbpf looks), or takes over the ones
 * pinned there, with their tables, meters and counters (*@reused = 1): left
 * by a PMD that came first or by a daemon before. No program yet:
 * xdpc_adopt_attached() takes the one the PMD attaches; until then tables
 * can be pushed already. xsks_map stays the PMD's (xdpc_set_xsk() fails).
 * @max_devices: 0 = the compiled capacity, more: -E2BIG. -EPROTO: maps
 * pinned there differ from this object's (another build), or a map of
 * this object is not pinned by name (declared without ES_XDP_PIN).
 */
int xdpc_open_afxdp(struct xdpc **out, uint32_t max_devices, const char *root,
		    int *reused);

/* The devices the net_af_xdp object was compiled for. */
int xdpc_afxdp_capacity(uint32_t *devices);

/*
 * Waits up to @timeout_ms for a program at @ifindex that uses this
 * handle's maps (the PMD's instance) and takes it: the handle detaches it
 * on xdpc_detach(). -ETIMEDOUT: none came; -EPROTO: the program there uses
 * other maps (another program, or an instance loaded while other pins were
 * there).
 */
int xdpc_adopt_attached(struct xdpc *x, int ifindex, int timeout_ms,
			enum xdpc_mode *got);

/*
 * Frees the handle. When pinned, the program stays attached and the pins
 * stay, so the dataplane keeps serving the table in force (fail-static)
 * until a restarted process adopts it; an unpinned handle is detached,
 * since nothing could adopt it. A net_af_xdp handle counts as pinned.
 * NULL is fine.
 */
void xdpc_close(struct xdpc *x);

/*
 * Clean shutdown: detaches and unpins (then xdpc_close()). A net_af_xdp
 * handle unpins its maps (the PMD's instance keeps them while attached).
 */
int xdpc_detach_and_unpin(struct xdpc *x);

/* Native mode unless XDPC_F_SKB; *got says which mode the kernel gave. */
int xdpc_attach(struct xdpc *x, int ifindex, unsigned int flags,
		enum xdpc_mode *got);
/*
 * Detaches our program only (old_prog_fd); on a net_af_xdp handle the
 * instance at the interface that uses its maps, which is a new one after
 * the PMD restarted.
 */
int xdpc_detach(struct xdpc *x);

/*
 * Pins the program as @dir/XDPC_PROG_NAME and every map as @dir/<map name>
 * (NULL = XDPC_PIN_DIR), mode 0600, the directory 0700: root only.
 * -EINVAL for a net_af_xdp handle (pinned by name already).
 */
int xdpc_pin(struct xdpc *x, const char *dir);
int xdpc_unpin(struct xdpc *x);

/* ESOP port and GTP-U switch; all-zero = port 7447, GTP-U on. */
int xdpc_set_parse_cfg(struct xdpc *x, const struct esop_parse_cfg *cfg);

/*
 * Whole-table push in two steps: prepare fills the inactive version from @p
 * (frames keep being judged by the active one; a device's rate or burst of
 * 0 takes the table's default); commit flips to it and
 * returns once no frame can still be using the old one; abort forgets the
 * prepared version. Invalid @p: -EINVAL (-E2BIG over capacity), nothing
 * the program sees changes. xdpc_push() is prepare + commit.
 */
int xdpc_prepare(struct xdpc *x, const struct es_policy *p);
int xdpc_commit(struct xdpc *x);
void xdpc_abort(struct xdpc *x);
int xdpc_push(struct xdpc *x, const struct es_policy *p);

/* xdpc_push_delta() flags */
#define XDPC_DELTA_SERVERS	0x1u	/* the delta's server list replaces the table's */

/*
 * Changes the table in force in place: adds or replaces the devices of
 * @delta (sorted by id; rate or burst 0 take @delta's defaults), removes
 * @remove_ids, and with XDPC_DELTA_SERVERS swaps in @delta's server list;
 * the header's epoch becomes @delta->epoch. The unknown-device action
 * changes only with a whole push. Every frame is judged by the table
 * before or the table after (docs/xdp.md). Refused, changing nothing:
 * -EINVAL (invalid device, an id removed twice or both added and removed),
 * -ENOENT (a removed id not in the table), -E2BIG (over capacity), -EBUSY
 * (a prepared version is waiting for its commit).
 */
int xdpc_push_delta(struct xdpc *x, const struct es_policy *delta,
		    const uint32_t *remove_ids, uint32_t nremove,
		    unsigned int flags);

/* Adds or replaces one device of the active version, in place. */
int xdpc_update_device(struct xdpc *x, const struct es_device *d,
		       const struct es_app *apps);

/*
 * Puts an AF_XDP socket in xsks_map for RX queue @queue (fd < 0 removes
 * it). DPDK's af_xdp PMD does this itself when given our program.
 */
int xdpc_set_xsk(struct xdpc *x, uint32_t queue, int xsk_fd);

/* Counters summed over CPUs; a device's meter and counters. */
int xdpc_read_stats(struct xdpc *x, struct es_xdp_stats *out);
int xdpc_read_meter(struct xdpc *x, uint32_t device_id,
		    struct es_xdp_meter *out);

/* For tests and tools: the program, the XSKMAP, any map by name. */
int xdpc_prog_fd(const struct xdpc *x);
int xdpc_map_fd(const struct xdpc *x, const char *name);
uint32_t xdpc_active_version(const struct xdpc *x);
uint32_t xdpc_max_devices(const struct xdpc *x);

#endif /* EDGESTEER_XDPC_H */
