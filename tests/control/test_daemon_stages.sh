#!/usr/bin/env bash
# edgesteerd driving both data-plane stages, real processes: the XDP program
# on a veth in a namespace of its own (--xdp-if) and edgesteer-dp on vdevs
# (--dp-socket). push/diff/show/rollback/stats with both stages reporting the
# epoch in force; a table the fast path would refuse changes neither; kill -9
# and restart comes back with the last table and re-adopts the program that
# kept serving; edgesteer-dp restarted gets the table in force again; a clean
# stop leaves the program attached unless --detach-on-exit.
# usage: test_daemon_stages.sh EDGESTEERD EDGESTEERCTL EDGESTEER_DP EXAMPLE_JSON
set -euo pipefail
daemon=$1 ctl=$2 dpbin=$3 example=$4
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v ip >/dev/null && command -v nsenter >/dev/null || { echo "skip: no ip/nsenter"; exit 77; }
[ -d /sys/fs/bpf ] && mountpoint -q /sys/fs/bpf || { echo "skip: no bpffs"; exit 77; }
dir=$(mktemp -d /tmp/es-stages.XXXXXX)
ns=es-stg-$$ devns=es-stgd-$$ pins=/sys/fs/bpf/es-stg-$$
pid= dpid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	[ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null || true
	wait 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true	# the veth and its program go with it
	ip netns del "$devns" 2>/dev/null || true
	rm -rf "$pins" "$dir" "/var/run/dpdk/$ns"
}
trap cleanup EXIT
trap 'exit 130' INT TERM	# meson's timeout sends TERM: clean up then too
fail() {
	echo "FAIL: $*" >&2
	echo "--- edgesteerd log:" >&2; cat "$dir/log" >&2
	echo "--- edgesteer-dp log:" >&2; cat "$dir/dp.log" >&2
	exit 1
}

ip netns add "$ns"
ip netns add "$devns"
ip -n "$ns" link add ap0 type veth peer name dev0 netns "$devns"
ip -n "$ns" addr add 198.18.0.1/24 dev ap0
ip -n "$devns" addr add 198.18.0.2/24 dev dev0
ip -n "$ns" link set ap0 up
ip -n "$devns" link set dev0 up

sock=$dir/ctl.sock dpsock=$dir/dp.sock
C() { "$ctl" --socket "$sock" "$@"; }
# nsenter --net, not `ip netns exec`: that remounts /sys and hides bpffs
start() {
	nsenter --net="/var/run/netns/$ns" "$daemon" --socket "$sock" --state-dir "$dir/state" \
		--xdp-if ap0 --xdp-pin-dir "$pins" --dp-socket "$dpsock" --epoch-ms 50 --max-devices 4096 \
		"$@" 2>>"$dir/log" &
	pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && C stats >/dev/null 2>&1 && return 0; sleep 0.05; done
	fail "edgesteerd did not come up"
}
start_dp() {
	"$dpbin" -l 0-1 --no-pci --no-huge -m 512 --file-prefix "$ns" --log-level '*:error' \
		--vdev net_null0 --vdev net_null1,no-rx=1 --vdev net_null2,no-rx=1 \
		-- --socket "$dpsock" >>"$dir/dp.log" 2>&1 &
	dpid=$!
	for _ in $(seq 100); do
		[ -S "$dpsock" ] && return 0
		kill -0 "$dpid" 2>/dev/null || { cat "$dir/dp.log"; echo "skip: edgesteer-dp could not start"; dpid=; exit 77; }
		sleep 0.1
	done
	fail "edgesteer-dp did not come up"
}
expect_rc() { # RC CMD... : run, check the exit status, keep stdout+stderr in $out
	local want=$1; shift
	set +e; out=$("$@" 2>&1); local rc=$?; set -e
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, want $want: $out"
}
# "table/xdp/dp" epochs as edgesteerd reports them, read back from each stage
epochs() {
	C stats --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("%s/%s/%s" % (s["table"]["epoch"], s["xdp"].get("epoch"), s["dp"].get("epoch")))'
}
wait_epochs() { # WANT: the stages catch up within an epoch or two
	for _ in $(seq 40); do [ "$(epochs)" = "$1" ] && return 0; sleep 0.05; done
	fail "epochs $(epochs), want $1"
}
prog_id() { ip -n "$ns" -d link show ap0 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'; }

expect_rc 2 "$daemon" --xdp-mode fast; grep -q "not native or skb" <<<"$out" || fail "$out"
expect_rc 2 "$daemon" --detach-on-exit; grep -q "needs --xdp-if" <<<"$out" || fail "$out"
expect_rc 1 "$daemon" --socket "$dir/x.sock" --state-dir "$dir/x" --xdp-if es-none0
grep -q "no such interface" <<<"$out" || fail "$out"

start_dp
start
grep -q "XDP on ap0 in native mode: loaded, attached and pinned" "$dir/log" || fail "attach not logged"
id0=$(prog_id); [ -n "$id0" ] || fail "no XDP program on ap0"
[ -e "$pins/edgesteer_xdp" ] || fail "program not pinned in $pins"

expect_rc 0 C push "$example"; wait_epochs 7/7/7
expect_rc 0 C show --device 1 --json; grep -q '"id": 1' <<<"$out" || fail "$out"
cp "$(dirname "$example")/example-delta.json" "$dir/delta.json"
expect_rc 0 C diff "$dir/delta.json"; grep -q "^+ device 5" <<<"$out" || fail "$out"
expect_rc 0 C push "$dir/delta.json"; wait_epochs 8/8/8	# XDP by xdpc_push_delta
# the fast path got it as a delta (an overlay), not as a whole table
[ "$(C stats --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["dp"]["deltas"])')" = 1 ] ||
	fail "the fast path did not get the delta as one"

# the fast path has 3 ports: a server on port 5 is what it refuses; refused
# in prepare, before either stage changed
sed 's/"epoch": 7/"epoch": 20/; s/"port": 2 }/"port": 5 }/' "$example" >"$dir/port5.json"
expect_rc 1 C push "$dir/port5.json"
grep -q "refused by a stage: dp: edgesteer-dp would refuse it" <<<"$out" || fail "$out"
[ "$(epochs)" = 8/8/8 ] || fail "a refused push changed a stage: $(epochs)"

expect_rc 0 C rollback; wait_epochs 7/7/7
expect_rc 0 C rollback 8; wait_epochs 8/8/8
expect_rc 0 C stats --json
python3 - "$out" <<'PY' || fail "stats: $out"
import json, sys
s = json.loads(sys.argv[1])
assert s["xdp"]["if"] == "ap0" and s["xdp"]["mode"] == "native", s["xdp"]
assert len(s["xdp"]["verdicts"]) == 10 and s["dp"]["up"], s
assert s["stages"] == ["store", "dp", "xdp"], s["stages"]
PY

# traffic crosses the attached program (ordinary traffic is passed)
ip netns exec "$devns" ping -c 2 -i 0.2 -W 1 198.18.0.1 >/dev/null ||
	fail "ping through the XDP program"

# kill -9: the program keeps serving, the restarted daemon adopts it
C show --json >"$dir/show8.json"
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
[ "$(prog_id)" = "$id0" ] || fail "the program went with the daemon"
ip netns exec "$devns" ping -c 1 -W 1 198.18.0.1 >/dev/null ||
	fail "no traffic through the program while no daemon runs"
start
grep -q "XDP on ap0 in native mode: adopted" "$dir/log" || fail "not adopted"
[ "$(prog_id)" = "$id0" ] || fail "adopting replaced the program"
C show --json >"$dir/show8b.json"
cmp -s "$dir/show8.json" "$dir/show8b.json" || fail "table after kill -9 differs"
wait_epochs 8/8/8

# edgesteer-dp restarted: the daemon sends it the table in force
kill -INT "$dpid"; wait "$dpid" 2>/dev/null || true; dpid=
start_dp
wait_epochs 8/8/8
grep -q "edgesteer-dp at .*: epoch 8 sent again" "$dir/log" || fail "no re-push logged"

# a policy's table each epoch goes to both stages as a delta
kill "$pid"; wait "$pid" || fail "edgesteerd did not stop cleanly"; pid=
start --policy all-cloud
wait_epochs 9/9/9
expect_rc 0 C show --device 1; grep -q "3->cloud" <<<"$out" || fail "$out"

# a clean stop leaves it attached; --detach-on-exit removes it
kill "$pid"; wait "$pid" || fail "edgesteerd did not stop cleanly"; pid=
[ "$(prog_id)" = "$id0" ] || fail "a clean stop detached the program"
start --detach-on-exit
kill "$pid"; wait "$pid" || fail "edgesteerd did not stop cleanly"; pid=
[ -z "$(prog_id)" ] || fail "--detach-on-exit left the program attached"
[ ! -e "$pins/edgesteer_xdp" ] || fail "--detach-on-exit left the pins"
echo "ok: edgesteerd with its XDP and fast-path stages"
