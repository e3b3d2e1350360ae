#!/usr/bin/env bash
# Fault: kill -9 of edgesteerd while traffic flows (fail-static). On the test
# bed, es-devsim's 20 devices run tasks through XDP and edgesteer-dp while
# the daemon is killed for ~2 s and restarted. While it is down the XDP
# program and the fast path keep serving epoch 1 (read from the pinned maps
# and from the fast path's socket, their counters still climbing); the
# restarted daemon adopts the program and comes back with the persisted
# table without pushing anything; and not one DECISION or forward is missing:
# es-devsim got a DECISION for every OFFLOAD_REQ and a RESULT for every task
# it offloaded, and the XDP and fast-path counters, never reset, count every
# frame es-devsim sent.
# usage: test_fault_kill_daemon.sh TESTBED.SH EDGESTEERD EDGESTEERCTL EDGESTEER_DP ES_PCAPGEN ES_DEVSIM ES_SERVER
set -euo pipefail
fb_name=kill-daemon
# shellcheck source=lib/fault_bed.sh
source "$(dirname "$0")/lib/fault_bed.sh" "$@"
fb_running_t1
sleep 0.3

fb_devsim
fb_wait_flowing 100
C stats --json >"$work/before.json"
kill_at=$(fb_q mono)
fb_kill9 daemon_pid
# no daemon: both stages judge by epoch 1, their counters climb
x1=$(fb_xdp_stats) dp1=$(fb_dp_epoch)
sleep 1.5
x2=$(fb_xdp_stats) dp2=$(fb_dp_epoch) xt=$(fb_xdp_table)
echo "$x1" >"$work/xdp_down1.json"; echo "$x2" >"$work/xdp_down2.json"
[ "$dp1/$dp2" = 1/1 ] || fail "edgesteer-dp at epoch $dp1 then $dp2 while no daemon ran"
[ "${xt%%/*}" = 1 ] || fail "XDP at $xt while no daemon ran"
fb_start_daemon || fail "restart"
restart_at=$(fb_q mono)
grep -q "XDP on ap0 in native mode: adopted" "$work/daemon.log" || fail "program not adopted"
grep -q "epoch 1 in force again from" "$work/daemon.log" || fail "persisted table not taken up"
fb_wait_epochs 1/1/1
sleep 2
fb_devsim_stop
sleep 0.3
C stats --json >"$work/after.json"
fb_stop_servers

"$fb_py" - "$work" "$kill_at" "$restart_at" <<'PY' || fail "the counters above"
import json, sys
w, kill_at, restart_at = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
ld = lambda n: json.load(open(f"{w}/{n}"))
d, b, a = ld("devsim.json"), ld("before.json"), ld("after.json")
x1, x2 = ld("xdp_down1.json"), ld("xdp_down2.json")
srv = {n: ld(f"{n}.out") for n in ("edge0", "cloud0")}
tl = [json.loads(l) for l in open(f"{w}/timeline.jsonl") if l.strip()]
REQ, FWD = 4, 5  # enum esop_verdict
err = []
down = [t for t in tl if t["mono"] > kill_at and t["mono"] - 1 < restart_at]
print(f"daemon down {restart_at - kill_at:.1f} s; es-devsim: {d['reqs']} OFFLOAD_REQs, "
      f"{d['decisions']} DECISIONs, {d['results']} RESULTs, {d['timeouts']} timeouts, "
      f"{d['fragments']} TENSOR fragments")
print("es-devsim seconds overlapping the outage:",
      [(t["reqs"], t["decisions"], t["results"]) for t in down])
print(f"XDP REQUEST/FORWARD: before kill {b['xdp']['verdicts'][REQ]}/{b['xdp']['verdicts'][FWD]}, "
      f"while down {x1['verdict'][REQ]}/{x1['verdict'][FWD]} -> "
      f"{x2['verdict'][REQ]}/{x2['verdict'][FWD]}, after restart "
      f"{a['xdp']['verdicts'][REQ]}/{a['xdp']['verdicts'][FWD]}")
print(f"fast path: DECISIONs before {b['dp']['decisions']}, after {a['dp']['decisions']}; "
      f"forwarded to servers {a['dp']['server_frames']}; swaps {a['dp']['swaps']}")
print(f"servers got {srv['edge0']['tensors']} + {srv['cloud0']['tensors']} TENSOR fragments; "
      f"restarted daemon: pushes {a['pushes']['applied']}, epoch {a['table']['epoch']}")
# a DECISION or RESULT missing shows as a timeout (500 ms); one may land in
# the next second, so the outage's seconds are summed
if not down or any(t["timeouts"] for t in down) or \
        abs(sum(t["decisions"] - t["reqs"] for t in down)) > 20:
    err.append("a DECISION missing in a second the daemon was down")
if not x2["verdict"][REQ] > x1["verdict"][REQ] > b["xdp"]["verdicts"][REQ]:
    err.append("XDP did not keep judging while the daemon was down")
# counters continue across the restart: nothing reset, every frame counted
if a["xdp"]["verdicts"][REQ] != d["reqs"] or a["xdp"]["verdicts"][FWD] != d["fragments"]:
    err.append("XDP's REQUEST/FORWARD counts are not es-devsim's")
# the fast path answered every OFFLOAD_REQ es-devsim sent (es-devsim's own
# timeouts, if any, are answers later than its 500 ms under this load, or
# cut off by its end)
if a["dp"]["decisions"] != d["reqs"]:
    err.append("fast path DECISIONs are not es-devsim's OFFLOAD_REQs")
if sum(a["dp"]["server_frames"]) != srv["edge0"]["tensors"] + srv["cloud0"]["tensors"] \
        or sum(a["dp"]["server_frames"]) != d["fragments"]:
    err.append("a forward is missing between the fast path and the servers")
# the restart re-applies the persisted epoch 1 to both stages (an atomic
# swap to the same table), nothing newer
if a["pushes"]["applied"] != 0 or a["table"]["epoch"] != 1 or a["dp"]["epoch"] != 1:
    err.append("the restarted daemon is not at the persisted epoch 1")
for e in err:
    print("FAIL:", e)
sys.exit(1 if err else 0)
PY
echo "ok: kill -9 of edgesteerd: fail-static, adopted, nothing missing"
