#!/usr/bin/env bash
# testbed.sh: the EdgeSteer test bed on one machine, made of network
# namespaces joined by veth pairs. Addresses come from 198.18.0.0/15 and
# 2001:2::/48 only; nothing leaves the machine.
#
#   PREFIXdev   dev0  02:00:00:00:10:01  198.18.0.2/24   2001:2::2/64   (es-devsim)
#                 |
#   PREFIXap    ap0   02:00:00:00:00:fe  198.18.0.1/24   2001:2::1/64   XDP + edgesteer-dp port 0 (docs/testbed.md)
#               ap1   02:00:00:00:01:01  198.18.1.1/24   2001:2:0:1::1/64  (port 1)
#               ap2   02:00:00:00:02:01  198.18.2.1/24   2001:2:0:2::1/64  (port 2)
#                 |                         |
#   PREFIXedge  edge0 02:00:00:00:01:02  198.18.1.2/24   2001:2:0:1::2/64 (es-server)
#   PREFIXcloud cloud0 02:00:00:00:02:02 198.18.2.2/24   2001:2:0:2::2/64 (es-server)
#
# These match policies/example.json's servers. Simulated devices use
# addresses in 198.18.16.0/20 inside their frames only.
#
# The AP namespace comes with a mount namespace of its own whose
# /sys/fs/bpf is a bpffs of its own (/run/edgesteer-bed-PREFIX/mnt): DPDK's
# net_af_xdp pins the XDP program's maps by name at the bpffs root, so two
# beds on one host (tests run in parallel) must not share that root.
# `nsenter` prints the command line that enters a namespace of the bed, for
# the AP both namespaces; `vdevs` prints edgesteer-dp's ports (docs/testbed.md).
set -euo pipefail

usage() {
	cat <<'TXT'
Usage: tools/testbed.sh up|down|status [PREFIX]
       tools/testbed.sh nsenter dev|ap|edge|cloud [PREFIX]
       tools/testbed.sh vdevs af_xdp|af_packet BUILD_DIR

  up      create the namespaces PREFIX{dev,ap,edge,cloud} and their links,
          and the AP's mount namespace with its own bpffs (replacing a
          leftover bed of the same PREFIX)
  down    remove them (and everything in them); safe to repeat
  status  list what exists
  nsenter print the command that runs a program in that namespace (for ap
          also in its mount namespace: edgesteer-dp and edgesteerd go there)
  vdevs   print edgesteer-dp's --vdev arguments: ap0 through net_af_xdp with
          edgesteerd's program (BUILD_DIR/ebpf/edgesteer_xdp_afxdp.bpf.o;
          edgesteerd then runs with --xdp-afxdp), or through net_af_packet
          (edgesteerd attaches its own program); ap1 and ap2 net_af_packet

PREFIX defaults to "es-". Needs root. A caller should run `down` from a
trap so that the bed goes away after Ctrl-C or a failure too.
Exit status: 0 success, 1 failure, 2 usage error.
TXT
}

cmd=${1:-}
case "$cmd" in
nsenter) P=${3:-es-} ;;
vdevs)
	[ $# -eq 3 ] && [ -d "$3" ] || { usage >&2; exit 2; }
	P=es-
	;;
*) P=${2:-es-} ;;
esac
[[ "$P" =~ ^[a-z0-9-]{1,6}$ ]] || { echo "error: testbed: PREFIX must be 1-6 of [a-z0-9-]" >&2; exit 2; }

mnt=/run/edgesteer-bed-$P

down() {
	local ns
	for ns in dev ap edge cloud; do
		ip netns del "${P}$ns" 2>/dev/null || true
	done
	# the bpffs inside goes when its last process has exited
	if [ -d "$mnt" ]; then
		umount "$mnt/mnt" 2>/dev/null || true
		umount "$mnt" 2>/dev/null || true
		rm -f "$mnt/mnt"
		rmdir "$mnt" 2>/dev/null || true
	fi
}

# The AP's mount namespace, kept by a bind mount of its file on a private
# mount (a namespace file cannot be bound on a shared one).
mount_ns() {
	mkdir -p "$mnt"
	mount --bind "$mnt" "$mnt"
	mount --make-private "$mnt"
	touch "$mnt/mnt"
	unshare --mount="$mnt/mnt" --propagation private mount -t bpf bpf /sys/fs/bpf
}

# link NS_A IF_A MAC_A NS_B IF_B MAC_B
link() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" link set "$2" address "$3"
	ip -n "$4" link set "$5" address "$6"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# addr NS IF V4/LEN V6/LEN
addr() {
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$1" addr add "$4" dev "$2" nodad
}

up() {
	down
	local ns
	for ns in dev ap edge cloud; do
		ip netns add "${P}$ns"
		ip -n "${P}$ns" link set lo up
		# no duplicate address detection: addresses are ours and usable at once
		ip netns exec "${P}$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
	done
	link "${P}dev" dev0 02:00:00:00:10:01 "${P}ap" ap0 02:00:00:00:00:fe
	link "${P}ap" ap1 02:00:00:00:01:01 "${P}edge" edge0 02:00:00:00:01:02
	link "${P}ap" ap2 02:00:00:00:02:01 "${P}cloud" cloud0 02:00:00:00:02:02
	addr "${P}dev" dev0 198.18.0.2/24 2001:2::2/64
	addr "${P}ap" ap0 198.18.0.1/24 2001:2::1/64
	addr "${P}ap" ap1 198.18.1.1/24 2001:2:0:1::1/64
	addr "${P}ap" ap2 198.18.2.1/24 2001:2:0:2::1/64
	addr "${P}edge" edge0 198.18.1.2/24 2001:2:0:1::2/64
	addr "${P}cloud" cloud0 198.18.2.2/24 2001:2:0:2::2/64
	# routes for ordinary traffic through the AP host's kernel stack
	ip -n "${P}dev" route add 198.18.0.0/15 via 198.18.0.1
	ip -n "${P}edge" route add 198.18.0.0/19 via 198.18.1.1
	ip -n "${P}cloud" route add 198.18.0.0/19 via 198.18.2.1
	ip -n "${P}dev" -6 route add 2001:2::/48 via 2001:2::1
	ip -n "${P}edge" -6 route add 2001:2::/64 via 2001:2:0:1::1
	ip -n "${P}cloud" -6 route add 2001:2::/64 via 2001:2:0:2::1
	mount_ns
	ip netns exec "${P}ap" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "${P}ap" sysctl -qw net.ipv6.conf.all.forwarding=1
	# Frames handed to XDP on a veth must carry real checksums: no offload.
	for ns in dev:dev0 ap:ap0 ap:ap1 ap:ap2 edge:edge0 cloud:cloud0; do
		ip netns exec "${P}${ns%%:*}" ethtool -K "${ns#*:}" tx off >/dev/null 2>&1 || true
	done
}

status() {
	ip netns list | grep -E "^${P}(dev|ap|edge|cloud)( |$)" || echo "no test bed with prefix $P"
	[ ! -e "$mnt/mnt" ] || echo "AP mount namespace $mnt/mnt"
}

enter() {
	case "$1" in
	ap) echo "nsenter --mount=$mnt/mnt --net=/var/run/netns/${P}ap" ;;
	dev|edge|cloud) echo "nsenter --net=/var/run/netns/${P}$1" ;;
	*) usage >&2; exit 2 ;;
	esac
}

vdevs() {
	local ap0
	case "$1" in
	af_xdp) ap0="net_af_xdp0,iface=ap0,xdp_prog=$2/ebpf/edgesteer_xdp_afxdp.bpf.o" ;;
	af_packet) ap0=net_af_packet0,iface=ap0 ;;
	*) usage >&2; exit 2 ;;
	esac
	echo "--vdev $ap0 --vdev net_af_packet1,iface=ap1 --vdev net_af_packet2,iface=ap2"
}

case "$cmd" in
""|-h|--help|help|nsenter|vdevs) ;;
*) [ "$(id -u)" -eq 0 ] || { echo "error: testbed: needs root" >&2; exit 1; } ;;
esac
case "$cmd" in
up) up ;;
nsenter) enter "${2:-}" ;;
vdevs) vdevs "$2" "$(cd "$3" && pwd)" ;;
down) down ;;
status) status ;;
-h|--help|help) usage ;;
*) usage >&2; exit 2 ;;
esac
