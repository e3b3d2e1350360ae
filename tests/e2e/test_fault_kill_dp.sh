#!/usr/bin/env bash
# Fault: kill -9 of edgesteer-dp while traffic flows. On the test bed, ping
# (IPv4) and a TCP echo through the AP run across the whole outage and must
# lose nothing: ordinary traffic is the AP host's kernel's, never the fast
# path's. ESOP traffic meanwhile: the XDP program still judges it and, with
# no fast path, passes it to the AP's stack (counted: REQUEST verdicts and
# no_xsk climb while the fast path's DECISIONs stop); es-devsim's tasks in
# that window time out (docs/faults.md). A push while the fast path is down
# is applied by the store and XDP; the restarted fast path gets the table in
# force (epoch 2) from edgesteerd at its next epoch, and DECISIONs resume.
# usage: test_fault_kill_dp.sh TESTBED.SH EDGESTEERD EDGESTEERCTL EDGESTEER_DP ES_PCAPGEN ES_DEVSIM ES_SERVER
set -euo pipefail
fb_name=kill-dp
# shellcheck source=lib/fault_bed.sh
source "$(dirname "$0")/lib/fault_bed.sh" "$@"
fb_running_t1

# ordinary traffic across the outage, until $work/stop: 10 pings a second,
# a TCP echo every 100 ms
nsenter --net="/var/run/netns/${P}dev" ping -i 0.1 -W 1 198.18.1.2 >"$work/ping.out" 2>&1 &
ping_pid=$! fb_pids+=($!)
nsenter --net="/var/run/netns/${P}cloud" "$fb_py" -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.2.2", 7000)); s.listen(1); s.settimeout(30)
c, _ = s.accept()
while True:
    b = c.recv(64)
    if not b:
        break
    c.sendall(b)' &
fb_pids+=($!)
nsenter --net="/var/run/netns/${P}dev" "$fb_py" -c '
import os, socket, sys, time
deadline = time.monotonic() + 10
while True:  # until the server listens
    try:
        c = socket.create_connection(("198.18.2.2", 7000), timeout=2)
    except ConnectionRefusedError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.1)
        continue
    break
ok = n = 0
while not os.path.exists(sys.argv[1]):
    m = b"echo %d" % n
    c.sendall(m)
    ok += c.recv(64) == m
    n += 1
    time.sleep(0.1)
print(ok, n)' "$work/stop" >"$work/tcp.out" 2>"$work/tcp.log" &
tcp_pid=$! fb_pids+=($!)

fb_devsim
fb_wait_flowing 50
C stats --json >"$work/before.json"
x0=$(fb_xdp_stats)
kill_at=$(fb_q mono)
fb_kill9 dp_pid
sleep 0.3
C stats --json >"$work/down.json"
# a push while the fast path is down: the store and XDP take it
C push "$work/t2.json" >"$work/push2.out" || fail "push t2 with the fast path down"
sleep 1.5
x1=$(fb_xdp_stats)
fb_start_dp
restart_at=$(fb_q mono)
x2=$(fb_xdp_stats)
fb_wait_epochs 2/2/2
grep -q "edgesteer-dp at .*: epoch 2 sent again" "$work/daemon.log" || fail "no re-push logged"
fb_wait_flowing 0	# the restarted one's count
sleep 2
fb_devsim_stop
touch "$work/stop"
kill -INT "$ping_pid"
wait "$ping_pid" || true
wait "$tcp_pid" || fail "TCP client: $(cat "$work/tcp.log")"
sleep 0.3
C stats --json >"$work/after.json"
x3=$(fb_xdp_stats)
fb_stop_servers
for i in 0 1 2 3; do v=x$i; echo "${!v}" >"$work/xdp$i.json"; done

"$fb_py" - "$work" "$kill_at" "$restart_at" <<'PY' || fail "the counters above"
import json, re, sys
w, kill_at, restart_at = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
ld = lambda n: json.load(open(f"{w}/{n}"))
d, b, dn, a = ld("devsim.json"), ld("before.json"), ld("down.json"), ld("after.json")
x = [ld(f"xdp{i}.json") for i in range(4)]
tl = [json.loads(l) for l in open(f"{w}/timeline.jsonl") if l.strip()]
ping = open(f"{w}/ping.out").read()
tcp_ok, tcp_n = map(int, open(f"{w}/tcp.out").read().split())
REQ = 4  # enum esop_verdict
PASS = 2  # XDP_PASS
err = []
m = re.search(r"(\d+) packets transmitted, (\d+) received", ping)
sent, got = (int(m.group(1)), int(m.group(2))) if m else (0, -1)
print(f"fast path down {restart_at - kill_at:.1f} s; ping {got}/{sent}, TCP echoes {tcp_ok}/{tcp_n}")
out_req = x[2]["verdict"][REQ] - x[0]["verdict"][REQ]
out_nox = x[2]["no_xsk"] - x[0]["no_xsk"]
print(f"XDP REQUEST {x[0]['verdict'][REQ]} -> {x[1]['verdict'][REQ]} -> "
      f"{x[2]['verdict'][REQ]} -> {x[3]['verdict'][REQ]}, no_xsk {x[0]['no_xsk']} -> "
      f"{x[2]['no_xsk']} -> {x[3]['no_xsk']}, passed {x[3]['action'][PASS]}: "
      f"{out_req} OFFLOAD_REQs and {out_nox} ESOP frames passed to the stack while down")
print(f"fast path DECISIONs: {b['dp']['decisions']} before the kill; while down "
      f"edgesteerd says up={dn['dp']['up']}; the restarted one {a['dp']['decisions']} "
      f"at epoch {a['dp']['epoch']} (swaps {a['dp']['swaps']})")
print(f"es-devsim: {d['reqs']} OFFLOAD_REQs, {d['decisions']} DECISIONs, {d['timeouts']} "
      f"timeouts, last DECISION epoch {d['last_epoch']}")
print("timeline (reqs, decisions, timeouts, epoch):",
      [(t["reqs"], t["decisions"], t["timeouts"], t["epoch"]) for t in tl])
# (the last ping may be in flight when ping is stopped)
if sent < 20 or got < sent - 1:
    err.append("ping through the AP lost packets while the fast path was down")
if tcp_n < 20 or tcp_ok != tcp_n:
    err.append("TCP echo through the AP lost messages")
if dn["dp"]["up"] or dn["table"]["epoch"] != 1:
    err.append("edgesteerd did not see the fast path go")
if not out_req > 0 or not out_nox >= out_req:
    err.append("XDP did not count the ESOP traffic it passed while the fast path was down")
if a["dp"]["epoch"] != 2 or a["dp"]["decisions"] == 0:
    err.append("the restarted fast path did not get epoch 2 or sent no DECISION")
# the OFFLOAD_REQs left unanswered are those of the outage (timeouts also
# count tasks whose RESULT was lost with the fast path)
lost = d["reqs"] - d["decisions"]
if lost <= 0 or d["timeouts"] < lost or lost > out_req:
    err.append(f"{lost} OFFLOAD_REQs unanswered for {out_req} sent in the outage")
# (a second's timeouts are those detected then: tasks of the outage whose
# RESULT never came, so they do not count against it)
if not any(t["mono"] - 1 > restart_at and t["decisions"] == t["reqs"] > 0 and
           t["epoch"] == 2 for t in tl):
    err.append("no second after the restart with every OFFLOAD_REQ answered at epoch 2")
if a["xdp"]["verdicts"][REQ] != d["reqs"]:
    err.append("XDP's REQUEST count is not es-devsim's")
for e in err:
    print("FAIL:", e)
sys.exit(1 if err else 0)
PY
echo "ok: kill -9 of edgesteer-dp: ordinary traffic untouched, ESOP counted, table re-pushed"
