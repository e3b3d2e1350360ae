#!/usr/bin/env bash
# Fault: a push cut at every step. edgesteerd pushes through three stages,
# store (the table file), dp (edgesteer-dp) and xdp (the XDP maps), each
# prepared then committed (control/daemon/ctl_stage.h). ES_FAULT_AT=STEP
# (test only) makes the daemon SIGKILL itself at that step; for each of the
# six steps, with a whole table and with a delta (journalled), the test
# checks, while no daemon runs, that the XDP maps (bpftool) and the fast path
# (its own socket) each hold exactly the old or the new table, as the step
# says, and after a restart that all three agree on one epoch: the old one
# when cut before the store's commit, the new one after it.
# usage: test_fault_push_steps.sh TESTBED.SH EDGESTEERD EDGESTEERCTL EDGESTEER_DP ES_PCAPGEN ES_DEVSIM ES_SERVER
set -euo pipefail
fb_name=push-steps
# shellcheck source=lib/fault_bed.sh
source "$(dirname "$0")/lib/fault_bed.sh" "$@"
fb_up

# epoch N: the 20 devices of es-pcapgen's table and devices 2001..2000+N,
# as a whole table (full-N.json) or as the delta from N-1 (delta-N.json)
"$pcapgen" --out "$work/unused.pcap" --frames 1 --devices 20 --first-id 1000 \
	--over-rate 0 --policy "$work/base.json" >/dev/null
"$fb_py" - "$work" <<'PY'
import json, sys
w = sys.argv[1]
base = json.load(open(f"{w}/base.json"))
dev = lambda i: {"id": i, "apps": [{"app": 3, "target": "edge0"}]}
for n in range(1, 16):
    t = dict(base, epoch=n, devices=base["devices"] + [dev(2000 + i) for i in range(1, n + 1)])
    json.dump(t, open(f"{w}/full-{n}.json", "w"))
    json.dump({"edgesteer_policy": 1, "epoch": n, "delta": True, "devices": [dev(2000 + n)]},
              open(f"{w}/delta-{n}.json", "w"))
PY
ndev() { echo $((20 + $1)); }
# restarted: the store decides, and every stage follows it
agree() {
	local got
	got=$(fb_q epochs devices)
	[ "$got" = "$1/$1/$1 $(ndev "$1")" ] || fail "after $2: table/xdp/dp epochs and devices $got"
	[ "$(fb_xdp_table)" = "$1/$(ndev "$1")" ] || fail "after $2: XDP $(fb_xdp_table)"
	echo "$1/$1/$1 ($(ndev "$1") devices)"
}

fb_start_dp
fb_start_daemon
C push "$work/full-1.json" >/dev/null || fail "push epoch 1"
fb_wait_epochs 1/1/1
fb_kill9 daemon_pid
epoch=1 prev=start
printf '%-16s %-6s %5s  %-14s %-4s %s\n' step push epoch "xdp (ep/devs)" dp "after restart"
for kind in full delta; do
	for step in store.prepared dp.prepared xdp.prepared \
		    store.committed dp.committed xdp.committed; do
		next=$((epoch + 1))
		# the daemon comes back with what the store holds, armed for $step
		ES_FAULT_AT=$step fb_start_daemon || fail "edgesteerd with ES_FAULT_AT=$step"
		[ "$prev" = start ] || echo "$(agree "$epoch" "$prev")"
		if C push "$work/$kind-$next.json" >"$work/push.out" 2>&1; then
			fail "$step: the push of epoch $next returned: $(cat "$work/push.out")"
		fi
		set +e; wait "$daemon_pid" 2>/dev/null; rc=$?; set -e
		daemon_pid=
		[ "$rc" = 137 ] || fail "$step: edgesteerd exited $rc, not by SIGKILL"
		grep -q "ES_FAULT_AT=$step reached" "$work/daemon.log" || fail "$step: not reached"
		# while no daemon runs: each stage holds the old or the new table
		old="$epoch/$(ndev "$epoch")" new="$next/$(ndev "$next")"
		case $step in
		*.prepared|store.committed) want_xdp=$old want_dp=$epoch ;;
		dp.committed) want_xdp=$old want_dp=$next ;;
		xdp.committed) want_xdp=$new want_dp=$next ;;
		esac
		x=$(fb_xdp_table) dpe=$(fb_dp_epoch)
		[ "$x" = "$want_xdp" ] || fail "$step: XDP holds $x, want $want_xdp"
		[ "$dpe" = "$want_dp" ] || fail "$step: edgesteer-dp holds epoch $dpe, want $want_dp"
		printf '%-16s %-6s %5s  %-14s %-4s ' "$step" "$kind" "$next" "$x" "$dpe"
		case $step in *.committed) epoch=$next ;; esac
		prev=$step
	done
done
fb_start_daemon || fail "the last restart"
echo "$(agree "$epoch" "$prev")"
# the journal the cut deltas left behind takes the next record
C push "$work/delta-$((epoch + 1)).json" >/dev/null || fail "a delta after the cut ones"
fb_wait_epochs "$((epoch + 1))/$((epoch + 1))/$((epoch + 1))"
echo "ok: a push cut at any of 12 steps leaves the old or the new table in each stage"
