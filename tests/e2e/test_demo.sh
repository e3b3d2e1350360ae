#!/usr/bin/env bash
# The README's demo, short: tools/demo.sh for 8 s must exit 0, write a
# summary.json showing edge and cloud traffic and the mid-run push taking
# effect (epoch 1 then 2, app 3 leaving the edge), write both PNGs, and leave
# no namespace, pinned XDP dir or DPDK runtime dir behind. Then a run
# interrupted like Ctrl-C (SIGINT to its process group) must clean up too.
# usage: test_demo.sh DEMO.SH BUILD_DIR
set -euo pipefail
demo=$1 build=$2
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v nsenter >/dev/null && command -v gnuplot >/dev/null && mountpoint -q /sys/fs/bpf ||
	{ echo "skip: no nsenter/gnuplot/bpffs"; exit 77; }
out=$(mktemp -d /tmp/es-demo-test.XXXXXX)
trap 'rm -rf "$out"' EXIT
leftovers() {
	{ ip netns list | grep -E '^d[0-9]+-(dev|ap|edge|cloud)' || true
	  ls -d /sys/fs/bpf/es-demo-* /run/edgesteer-bed-d[0-9]* /var/run/dpdk/d[0-9]*-dp 2>/dev/null || true; } | sort
}
before=$(leftovers)

"$demo" "$build" --duration 8 --devices 100 --task-rate 2 --out "$out" >"$out/run.txt" 2>&1 ||
	{ cat "$out/run.txt"; echo "FAIL: demo exited $?"; exit 1; }
tail -12 "$out/run.txt"
python3 - "$out" <<'PY'
import json, os, sys
o = sys.argv[1]
s = json.load(open(f"{o}/summary.json"))
err = []
if s["decisions"] == 0 or s["decisions"] < 0.9 * s["reqs"]:
    err.append(f"{s['decisions']} DECISIONs for {s['reqs']} OFFLOAD_REQs")
if s["results"] < 0.8 * (s["edge"] + s["cloud"]):
    err.append(f"{s['results']} RESULTs for {s['edge'] + s['cloud']} offloaded tasks")
if not all(s["tensors"].values()):
    err.append(f"TENSORs at the servers: {s['tensors']}")
b, a = s["split_before_push"], s["split_after_push"]
if not (b["edge"] and b["cloud"]):
    err.append(f"before the push: {b}, want edge and cloud")
if a["edge"] or not a["cloud"]:
    err.append(f"after the push: {a}, want cloud only")
e = s["epochs"]
if (e["first_decision"], e["last_decision"], e["table"], e["xdp"], e["fp"]) != (1, 2, 2, 2, 2):
    err.append(f"epochs {e}")
if not s["drops"]["xdp"].get("OVER_RATE"):
    err.append(f"no OVER_RATE drops counted by XDP: {s['drops']}")
for p in ("throughput.png", "latency.png"):
    with open(f"{o}/{p}", "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            err.append(f"{p} is not a PNG")
if sum(1 for _ in open(f"{o}/latencies.txt")) != s["decisions"]:
    err.append("latencies.txt does not hold one sample per DECISION")
for x in err:
    print("FAIL:", x)
sys.exit(1 if err else 0)
PY
[ "$(leftovers)" = "$before" ] || { echo "FAIL: left behind:"; leftovers; exit 1; }

# Ctrl-C halfway: the whole process group gets SIGINT, as from a terminal
set -m
"$demo" "$build" --duration 20 --devices 50 --out "$out/int" >"$out/int.txt" 2>&1 &
pid=$!
set +m
for _ in $(seq 100); do grep -q '^ *2\.0 s' "$out/int.txt" 2>/dev/null && break; sleep 0.1; done
kill -INT -- -"$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" = 130 ] || { cat "$out/int.txt"; echo "FAIL: interrupted demo exited $rc, want 130"; exit 1; }
[ "$(leftovers)" = "$before" ] || { echo "FAIL: left behind after SIGINT:"; leftovers; exit 1; }
echo "ok: demo ran, pushed, plotted and cleaned up (also after SIGINT)"
