# Sourced by the online policy tests (test_ddlo_online.sh,
# test_prednnoff_online.sh): tools/testbed.sh's namespaces with edgesteer-dp
# (net_af_packet on ap0..ap2), edgesteerd running a policy with XDP on ap0,
# es-server at edge0 and cloud0. The caller sets testbed daemon ctl dpbin
# devsim server pcapgen, then calls bed_up; the trap removes everything.
# Names are unique per run ($$): namespaces, pins, DPDK prefix, work dir.
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v nsenter >/dev/null && mountpoint -q /sys/fs/bpf || { echo "skip: no nsenter/bpffs"; exit 77; }
P=o$(($$ % 10000))-
. "$(dirname "${BASH_SOURCE[0]}")/lib/bed_common.sh" online

# bed_up NDEVICES TABLE_FIXUP_PY EDGESTEERD_ARGS...: the operator's first
# table (es-pcapgen's: app 3 on edge0, app 4 on cloud0, ids 1000..) is
# passed through the Python expression TABLE_FIXUP_PY (on `t`) and pushed.
# Sets daemon_pid.
bed_up() {
	local ndev=$1 fixup=$2
	shift 2
	"$testbed" up "$P"
	"$pcapgen" --out "$work/unused.pcap" --frames 1 --devices "$ndev" --first-id 1000 \
		--over-rate 0 --policy "$work/t1.json" >/dev/null
	python3 -c "
import json, sys
t = json.load(open(sys.argv[1]))
$fixup
json.dump(t, open(sys.argv[1], 'w'), indent=1)" "$work/t1.json"
	$(NS ap) "$dpbin" -l 0-1 --no-pci --no-huge -m 512 --file-prefix "${P}dp" \
		--log-level '*:error' --vdev net_af_packet0,iface=ap0 \
		--vdev net_af_packet1,iface=ap1 --vdev net_af_packet2,iface=ap2 \
		-- --socket "$work/dp.sock" >"$work/dp.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do [ -S "$work/dp.sock" ] && break; sleep 0.1; done
	[ -S "$work/dp.sock" ] || fail "edgesteer-dp did not come up"
	$(NS ap) "$daemon" --socket "$work/ctl.sock" --state-dir "$work/state" --xdp-if ap0 \
		--xdp-pin-dir "$pins" --dp-socket "$work/dp.sock" --max-devices 4096 \
		--detach-on-exit "$@" 2>"$work/daemon.log" &
	daemon_pid=$!
	pids+=($!)
	for _ in $(seq 100); do C stats >/dev/null 2>&1 && break; sleep 0.05; done
	C push "$work/t1.json" >/dev/null || fail "push of the first table"
	for s in edge:edge0 cloud:cloud0; do
		$(NS "${s%%:*}") "$server" --iface "${s#*:}" --name "${s#*:}" --compute-us 100 \
			>"$work/${s#*:}.out" 2>"$work/${s#*:}.log" &
		pids+=($!)
	done
	sleep 0.3
}
