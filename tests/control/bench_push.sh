#!/usr/bin/env bash
# The push benchmark: wall time of `edgesteerctl push` until edgesteerd has
# the table in force (it replies after every stage committed), for a
# 1,000,000-device table and for 1,000-device deltas against it, with both
# data-plane stages in place: the XDP classifier on a veth in a namespace of
# its own (--xdp-if) and edgesteer-dp on vdevs (--dp-socket). Traffic flows
# through the fast path the whole time: net_pcap infinite_rx replays TENSORs
# of devices every pushed table knows, to net_null server ports.
#
# lost_during_push: the fast path's counters read before the first push and
# after the last one (edgesteerctl stats --json, its "dp" section); every
# frame received gets exactly one verdict (FORWARD, a drop under a named
# reason, an answer, ...), so lost = rx - sum(verdicts) over that window.
# A read lands while a worker holds up to one burst (32) it has counted as
# received but not judged yet, and rx is read before the verdicts, so one
# read's gap is off by at most a burst either way (lost_bound_frames; the raw
# gap is rx_minus_judged); of 15 reads, the smallest gap is kept. edgesteer-dp
# used to leak every table it swapped out on hugepages (a partial munmap of
# a hugetlb mapping fails): back-to-back pushes ran out of them here.
#
# The reference, measured in the same run, is plain cJSON (malloc) parsing
# the same 1M-device file; ctl_roundtrip_ms (a `stats` request) is the floor
# any edgesteerctl command pays here, and daemon_* are the daemon's own times
# for the last push (from `stats`). Prints one JSON line.
# usage: bench_push.sh EDGESTEERD EDGESTEERCTL BENCH_GEN EDGESTEER_DP ES_PCAPGEN
set -euo pipefail
daemon=$1 ctl=$2 gen=$3 dpbin=$4 pcapgen=$5
[ "$(id -u)" = 0 ] || { echo "skip: needs root (namespace, XDP)"; exit 77; }
command -v ip >/dev/null && command -v nsenter >/dev/null || { echo "skip: no ip/nsenter"; exit 77; }
[ -d /sys/fs/bpf ] && mountpoint -q /sys/fs/bpf || { echo "skip: no bpffs"; exit 77; }
dir=$(mktemp -d /tmp/edgesteer-bench.XXXXXX)
ns=es-bpush-$$ pins=/sys/fs/bpf/es-bpush-$$
pid= dpid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	[ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null || true
	wait 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true	# the veth and its program go with it
	rm -rf "$pins" "$dir" "/var/run/dpdk/$ns"
}
trap cleanup EXIT
trap 'exit 143' TERM INT	# meson's timeout: clean up too
fail() {
	echo "error: $*" >&2
	echo "--- edgesteerd log:" >&2; cat "$dir/log" >&2 || true
	echo "--- edgesteer-dp log:" >&2; cat "$dir/dp.log" >&2 || true
	exit 1
}
sock=$dir/ctl.sock dpsock=$dir/dp.sock
C() { "$ctl" --socket "$sock" "$@"; }
ms_of() { # CMD...: run it, print its wall time in ms
	local s e
	s=$(date +%s%N)
	"$@" >/dev/null
	e=$(date +%s%N)
	echo $(( (e - s) / 1000 )) | awk '{ printf "%.1f", $1 / 1000 }'
}
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
st() { C stats --json | sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p"; }
# the daemon's own split of its last push: load (parse, validate, delta
# applied to its table), balance (least-loaded servers), then each stage
# (prepare + commit): {"load_ms":..,"balance_ms":..,"store_ms":..,..}
breakdown() {
	C stats --json | python3 -c '
import json, sys
b = json.load(sys.stdin)["last_push_breakdown_ms"]
print(json.dumps({k + "_ms": round(v, 3) for k, v in b.items()}).replace(" ", ""))'
}
# "RX JUDGED V0,..,V9 EPOCH": the fast path's rx, sum of its verdicts, each
# verdict (enum esop_verdict) and its epoch; of 15 reads, the one with
# the smallest rx - sum(verdicts) of 5 (a worker's burst in flight adds to it)
dp_counters() {
	for _ in $(seq 15); do
		C stats --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["dp"]
v = d["verdicts"]
print(d["rx"], sum(v), ",".join(map(str, v)), d["epoch"])'
	done | awk '{ g = $1 - $2; if (NR == 1 || g < best) { best = g; line = $0 } } END { print line }'
}

"$gen" table 1000000 10 "$dir/t10.json"
"$gen" table 1000000 11 "$dir/t11.json"
last=31	# 12..16 timed one by one, 17..31 back to back
for e in $(seq 12 $last); do "$gen" delta 1000 "$e" "$dir/d$e.json"; done
bytes=$(stat -c %s "$dir/t10.json")
# TENSORs (app 3) of devices 1..4096: in every table and every delta above,
# whatever their target (net_pcap holds the whole file in mbufs: 4096 frames)
"$pcapgen" --out "$dir/load.pcap" --frames 4096 --devices 4096 --req-pct 0 \
	--malformed-pct 0 --ordinary-pct 0 --tensor-bytes 256 --over-rate 0 >/dev/null

ip netns add "$ns"
ip -n "$ns" link add ap0 type veth peer name dev0
ip -n "$ns" link set ap0 up
ip -n "$ns" link set dev0 up
# the fast path: port 0 the AP (the load), 1 and 2 the servers (net_null)
"$dpbin" -l 0-1 --no-pci --no-huge -m 1024 --file-prefix "$ns" --log-level '*:error' \
	--vdev "net_pcap0,rx_pcap=$dir/load.pcap,infinite_rx=1" \
	--vdev net_null1,no-rx=1 --vdev net_null2,no-rx=1 \
	-- --socket "$dpsock" --max-devices 1000000 >>"$dir/dp.log" 2>&1 &
dpid=$!
for _ in $(seq 200); do
	[ -S "$dpsock" ] && break
	kill -0 "$dpid" 2>/dev/null || { cat "$dir/dp.log"; echo "skip: edgesteer-dp could not start"; dpid=; exit 77; }
	sleep 0.1
done
[ -S "$dpsock" ] || fail "edgesteer-dp did not come up"
# nsenter --net, not `ip netns exec`: that remounts /sys and hides bpffs
nsenter --net="/var/run/netns/$ns" "$daemon" --socket "$sock" --state-dir "$dir/state" \
	--xdp-if ap0 --xdp-pin-dir "$pins" --dp-socket "$dpsock" 2>"$dir/log" &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && C stats >/dev/null 2>&1 && break; sleep 0.05; done
C stats >/dev/null 2>&1 || fail "edgesteerd did not come up"
stages=$(C stats --json | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["stages"]).replace(" ", ""))')

sleep 0.5	# the load is flowing (no table yet: judged NEEDS_TABLE, counted)
read -r rx1 v1 vv1 _ <<<"$(dp_counters)"
t1=$(date +%s%N)
first=$(ms_of C push "$dir/t10.json")
read -r _ _ vvf _ <<<"$(dp_counters)"	# the devices are known from here on
warm="$(ms_of C push "$dir/t11.json") $(ms_of C push --force "$dir/t10.json") $(ms_of C push --force "$dir/t11.json")"
load_ms=$(st last_load_ms)
stage_ms=$(st last_stages_ms)
breakdown_1m=$(breakdown)
deltas=
for e in 12 13 14 15 16; do deltas="$deltas $(ms_of C push "$dir/d$e.json")"; done
dload_ms=$(st last_load_ms)
dpush_ms=$(st last_ms)
dstage_ms=$(st last_stages_ms)
breakdown_1k=$(breakdown)
for e in $(seq 17 $last); do C push "$dir/d$e.json" >/dev/null; done	# back to back
t2=$(date +%s%N)
read -r rx2 v2 vv2 ep2 <<<"$(dp_counters)"
pushes=$((4 + last - 11))
# the floor of any request: edgesteerctl starting, connecting, one reply
trips=
for _ in 1 2 3 4 5; do trips="$trips $(ms_of C stats)"; done
[ "$ep2" = "$last" ] || fail "the fast path is at epoch $ep2, want $last"
[ "$(C stats --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(s["table"]["epoch"], s["table"]["devices"], s["xdp"].get("epoch"), s["dp"].get("epoch"))')" = \
	"$last 1000000 $last $last" ] ||
	fail "the table in force is not epoch $last with 1000000 devices in both stages"
kill "$pid"; wait "$pid" || true; pid=
kill -INT "$dpid"; wait "$dpid" || true; dpid=
plain=$("$gen" parse "$dir/t10.json")
push=$(echo $warm | median)
delta=$(echo $deltas | median)
rx=$((rx2 - rx1)) judged=$((v2 - v1))
gap=$((rx - judged)) lost=$((rx - judged)); [ "$lost" -lt 0 ] && lost=0
byverdict=$(python3 -c 'import sys; a, b = (list(map(int, x.split(","))) for x in sys.argv[1:])
print(",".join(str(y - x) for x, y in zip(a, b)))' "$vvf" "$vv2")
fwd=$(cut -d, -f6 <<<"$byverdict")	# ESOP_V_FORWARD
[ "$(cut -d, -f3 <<<"$byverdict")" = 0 ] ||	# ESOP_V_UNKNOWN_DEVICE
	fail "the load's devices were unknown to a table in force: $byverdict"
printf '{"bench":"push","push_ms_1m":%s,"push_ms_1m_first":%s,"push_ms_1m_runs":[%s],' \
	"$push" "$first" "$(echo $warm | tr ' ' ',')"
printf '"daemon_load_ms_1m":%s,"daemon_stages_ms_1m":%s,"breakdown_1m":%s,' "$load_ms" "$stage_ms" "$breakdown_1m"
printf '"delta_ms_1k":%s,"delta_ms_1k_runs":[%s],"daemon_push_ms_1k":%s,"daemon_load_ms_1k":%s,"daemon_stages_ms_1k":%s,"breakdown_1k":%s,' \
	"$delta" "$(echo $deltas | tr ' ' ',')" "$dpush_ms" "$dload_ms" "$dstage_ms" "$breakdown_1k"
printf '"ctl_roundtrip_ms":%s,"loadavg_1m":%s,' "$(echo $trips | median)" "$(cut -d' ' -f1 /proc/loadavg)"
printf '"lost_during_push":%s,"pushes_under_load":%s,"rx_during_push":%s,"judged_during_push":%s,' \
	"$lost" "$pushes" "$rx" "$judged"
printf '"forwarded_after_first_push":%s,"verdicts_after_first_push":[%s],"rx_minus_judged":%s,"lost_bound_frames":32,' \
	"$fwd" "$byverdict" "$gap"
printf '"load_s":%s,"stages":%s,"json_bytes_1m":%s,' \
	"$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')" "$stages" "$bytes"
printf '"reference_plain_cjson_parse_ms_1m":%s,"ratio_push_to_plain_parse":%s,' "$plain" \
	"$(awk -v a="$push" -v b="$plain" 'BEGIN { printf "%.3f", a / b }')"
printf '"target_push_ms_1m":1500,"target_delta_ms_1k":10,"target_lost_during_push":0}\n'
