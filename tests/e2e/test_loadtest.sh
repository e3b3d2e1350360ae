#!/usr/bin/env bash
# The load test, short: tools/loadtest.sh --quick must exit 0 and write a
# loadtest.json with every scenario and every figure, in which every frame
# that entered the AP is accounted for (unaccounted == 0 and every
# two-counter check 0 in each scenario), the three PNGs, and leave no
# namespace, pinned XDP dir or DPDK runtime dir behind. Timings are
# reported, never asserted (the machine is shared).
# usage: test_loadtest.sh LOADTEST.SH BUILD_DIR
set -euo pipefail
lt=$1 build=$2
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
for c in nsenter gnuplot trafgen tcpreplay bpftool; do
	command -v $c >/dev/null || { echo "skip: no $c"; exit 77; }
done
mountpoint -q /sys/fs/bpf || { echo "skip: no bpffs"; exit 77; }
out=$(mktemp -d /tmp/es-loadtest-test.XXXXXX)
trap 'rm -rf "$out"' EXIT
leftovers() {
	{ ip netns list | grep -E '^l[0-9]+-(dev|ap|edge|cloud)' || true
	  ls -d /sys/fs/bpf/es-load-* /var/run/dpdk/l[0-9]*-dp /var/run/dpdk/l[0-9]*-fp 2>/dev/null || true; } | sort
}
before=$(leftovers)

"$lt" "$build" --quick --out "$out" >"$out/run.txt" 2>&1 ||
	{ cat "$out/run.txt"; echo "FAIL: loadtest exited $?"; exit 1; }
sed -n '/=== EdgeSteer load test/,$p' "$out/run.txt"
python3 - "$out" <<'PY'
import json, os, sys
o = sys.argv[1]
r = json.load(open(f"{o}/loadtest.json"))
err = []
want = {"fastpath_alone": ["in", "mpps_in", "mpps_out", "fp_dropped", "fp_answered",
                           "fp_forwarded", "unaccounted", "checks", "generator_frames"],
        "max_offered": ["pushes"], "sustained": [], "push": ["pushes"], "latency": ["devsim"],
        "rate": ["devices"]}
bed = ["in", "generator_frames", "mpps_in", "mpps_out", "veth_dropped", "xdp_dropped",
       "xdp_passed", "ring_dropped", "fp_dropped", "fp_answered", "fp_forwarded",
       "unaccounted", "checks", "series"]
for name, keys in want.items():
    s = r["scenarios"].get(name)
    if s is None:
        err.append(f"no scenario {name}")
        continue
    for k in keys + (bed if name != "fastpath_alone" else []):
        if k not in s:
            err.append(f"{name}: no {k}")
    if s.get("unaccounted") != 0:
        err.append(f"{name}: {s.get('unaccounted')} frames unaccounted")
    bad = {k: v for k, v in s.get("checks", {}).items() if v}
    if bad:
        err.append(f"{name}: counters disagree {bad}")
    if s.get("in", 0) <= 0:
        err.append(f"{name}: no frame in")
# the generator's own count is what dev0 carried (plus the kernel's own frames)
for name in ("sustained", "rate"):
    s = r["scenarios"][name]
    if not 0 <= s["in"] - s["generator_frames"] <= 20:
        err.append(f"{name}: {s['generator_frames']} frames sent, {s['in']} in")
for name in ("max_offered", "push"):
    p = r["scenarios"][name].get("pushes", {})
    if not p.get("count") or p.get("ok") != p.get("count") or p.get("fp_swaps") != p.get("ok"):
        err.append(f"{name}: pushes {p}")
s = r["scenarios"]["max_offered"]
if not s["xdp_passed"] or not any(k.startswith("MALFORMED.") for k in s["xdp_dropped"]):
    err.append(f"max_offered: the mix's drops and passes are missing: {s['xdp_dropped']}")
for k in ("p50", "p99", "p999", "target_p99", "p99_met", "load_pps", "samples"):
    if k not in r.get("latency_us", {}):
        err.append(f"latency_us: no {k}")
if r.get("latency_us", {}).get("samples", 0) <= 0:
    err.append("no REQ->DECISION sample")
ra = r.get("rate_accuracy", [])
if len(ra) != 4 or any(d.get("accuracy") is None or d["accepted_bytes"] <= 0 for d in ra):
    err.append(f"rate_accuracy: {ra}")
# over-rate devices lose frames to the meter; the one under its rate is not cut to its table rate
for d in ra[:3]:
    if d["over_rate_frames"] <= 0 or d["accepted_kbps"] > 1.5 * d["rate_kbps"]:
        err.append(f"device {d['id']} over its rate: {d}")
for k in ("sustained_pps", "sustained_mpps_in", "sustained_mpps_out", "sweep", "host", "pushes"):
    if k not in r:
        err.append(f"no {k}")
for f in ("throughput.png", "latency.png", "rate.png"):
    if not os.path.getsize(f"{o}/{f}") > 1000:
        err.append(f"no {f}")
for e in err:
    print("FAIL:", e)
sys.exit(1 if err else 0)
PY
after=$(leftovers)
[ "$before" = "$after" ] || { echo "FAIL: left behind: $(comm -13 <(echo "$before") <(echo "$after"))"; exit 1; }
echo "ok: the load test accounts for every frame"
