#!/usr/bin/env bash
# demo.sh: the EdgeSteer demo on tools/testbed.sh's namespaces. Simulated
# devices (es-devsim) ask the AP for DECISIONs, send their tensors to the
# edge or the cloud server (es-server) as told; edgesteerd runs a policy and
# drives edgesteer-dp and the XDP program on ap0 (edgesteer-dp's net_af_xdp
# loads it, edgesteerd adopts it; or --ap0 af_packet: edgesteerd attaches it
# and the fast path reads ap0 through net_af_packet; docs/testbed.md);
# halfway an operator table is pushed with `edgesteerctl push`. Prints a
# status line a second, then a summary; writes summary.json and PNG plots.
# Everything it made is removed on exit, on failure and on Ctrl-C.
set -euo pipefail

usage() {
	cat <<'TXT'
Usage: tools/demo.sh BUILD_DIR [OPTIONS]

  --duration S    seconds of device traffic (default 60)
  --devices N     simulated devices, ids 1000.. (default 200)
  --task-rate HZ  tasks per device per second (default 1)
  --policy NAME   edgesteerd's policy (default static)
  --ap0 MODE      how the fast path reads ap0: af_xdp (default: net_af_xdp
                  with edgesteerd's XDP program, ESOP frames redirected to
                  AF_XDP; net_af_packet if that does not come up and af_xdp
                  was not asked for) or af_packet (the program passes them
                  to the AP's kernel, net_af_packet reads them there)
  --out DIR       results: summary.json, throughput.png, latency.png,
                  series.jsonl, latencies.txt (default BUILD_DIR/demo)

Needs root, nsenter and unshare. Exit status: 0 success, 1 failure, 2 usage.
TXT
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
case "$1" in -h|--help) usage; exit 0 ;; esac
B=$(cd "$1" && pwd) || { echo "error: demo: no build directory $1" >&2; exit 2; }
shift
duration=60 devices=200 rate=1 policy=static out=$B/demo ap0=af_xdp ap0_asked=
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || { echo "error: demo: $1 needs a value" >&2; exit 2; }
	case "$1" in
	--duration) duration=$2 ;;
	--devices) devices=$2 ;;
	--task-rate) rate=$2 ;;
	--policy) policy=$2 ;;
	--ap0) ap0=$2 ap0_asked=1 ;;
	--out) out=$2 ;;
	*) echo "error: demo: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift 2
done
[[ "$duration" =~ ^[0-9]+$ ]] && [ "$duration" -ge 4 ] ||
	{ echo "error: demo: --duration '$duration' is not a whole number >= 4" >&2; exit 2; }
[[ "$devices" =~ ^[0-9]+$ ]] && [ "$devices" -ge 20 ] && [ "$devices" -le 4000 ] ||
	{ echo "error: demo: --devices '$devices' is not 20..4000" >&2; exit 2; }
[[ "$rate" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "error: demo: --task-rate '$rate' is not a number" >&2; exit 2; }
[ "$ap0" = af_xdp ] || [ "$ap0" = af_packet ] ||
	{ echo "error: demo: --ap0 '$ap0' is not af_xdp or af_packet" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "error: demo: needs root (namespaces, XDP)" >&2; exit 1; }
command -v nsenter >/dev/null && command -v unshare >/dev/null ||
	{ echo "error: demo: needs nsenter and unshare (util-linux)" >&2; exit 1; }
for b in control/daemon/edgesteerd control/edgesteerctl dataplane/edgesteer-dp \
	tools/es-devsim tools/es-server tools/es-pcapgen; do
	[ -x "$B/$b" ] || { echo "error: demo: $B/$b is not built" >&2; exit 1; }
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
daemon=$B/control/daemon/edgesteerd ctl=$B/control/edgesteerctl dpbin=$B/dataplane/edgesteer-dp
devsim=$B/tools/es-devsim server=$B/tools/es-server pcapgen=$B/tools/es-pcapgen

P=d$(($$ % 10000))-
pins=/sys/fs/bpf/es-demo-$$
work=$(mktemp -d /tmp/es-demo.XXXXXX)
mkdir -p "$out"
pids=()
cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	# TERM first so that edgesteerd detaches its program; then no mercy
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for _ in $(seq 20); do
		local alive=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	"$here/testbed.sh" down "$P" || true
	rm -rf "$pins" "/var/run/dpdk/${P}dp"
	[ $rc = 0 ] || { for f in "$work"/*.log; do [ -s "$f" ] && { echo "--- $f"; tail -5 "$f"; }; done; } >&2
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted, cleaning up" >&2; exit 130' INT TERM
fail() { echo "error: demo: $*" >&2; exit 1; }
NS() { "$here/testbed.sh" nsenter "$1" "$P"; }
C() { "$ctl" --socket "$work/ctl.sock" "$@"; }

echo "demo: test bed ${P}{dev,ap,edge,cloud}, ap0 through $ap0, $devices devices at $rate task/s, $duration s, policy $policy"
"$here/testbed.sh" up "$P"

# Table 1: apps 3 on edge0, 4 on cloud0; the 5 busiest devices (the last
# ids: es-devsim's task rates rise with the id) at 8 kbit/s, so that their
# tensors go over their rate. Table 2, the operator's push: epoch 2 (or one
# past a learned policy's), app 3 to cloud0 as well, those 5 devices lifted
# and the 5 before them throttled.
"$pcapgen" --out "$work/unused.pcap" --frames 1 --devices "$devices" --first-id 1000 \
	--over-rate 0 --policy "$work/t1.json" >/dev/null
python3 - "$work/t1.json" "$work/t2.json" <<'PY'
import copy, json, sys
t1 = json.load(open(sys.argv[1]))
t2 = copy.deepcopy(t1)
t2["epoch"] = 2
n = len(t1["devices"])
def rate(d, slow):
    d["rate_kbps"], d["burst_bytes"] = (8, 1500) if slow else (1000000, 1048576)
for i, (d1, d2) in enumerate(zip(t1["devices"], t2["devices"])):
    rate(d1, i >= n - 5)
    rate(d2, n - 10 <= i < n - 5)
    for a in d2["apps"]:
        if a["app"] == 3:
            a["target"] = "cloud0"
json.dump(t1, open(sys.argv[1], "w"), indent=1)
json.dump(t2, open(sys.argv[2], "w"), indent=1)
PY

# edgesteer-dp; 0 once its control socket is there with all three ports
# (a vdev that fails its probe is left out, and the others renumbered), 1
# if not
start_dp() {
	rm -f "$work/dp.sock" "$work/dp.log"	# not a first try's
	# shellcheck disable=SC2046 # the words of `vdevs` are meant to split
	$(NS ap) "$dpbin" -l 0-1 --no-pci --no-huge -m 512 --file-prefix "${P}dp" \
		--log-level '*:error' $("$here/testbed.sh" vdevs "$ap0" "$B") -- \
		--socket "$work/dp.sock" >"$work/dp.log" 2>&1 &
	local dp=$!
	pids+=("$dp")
	for _ in $(seq 300); do	# 30 s: slow to start on a loaded machine
		# it says how many ports once its socket is up
		if grep -q " ports, control socket" "$work/dp.log" 2>/dev/null; then
			grep -q " 3 ports," "$work/dp.log" && return 0
			return 1
		fi
		kill -0 "$dp" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# net_af_xdp by default when it works (a kernel or DPDK without AF_XDP:
# net_af_packet, unless --ap0 af_xdp was asked for)
if ! start_dp; then
	[ "$ap0" = af_xdp ] && [ -z "$ap0_asked" ] || fail "edgesteer-dp did not come up"
	echo "demo: net_af_xdp on ap0 did not come up ($(grep -m1 -iE "error|fail" "$work/dp.log")), using net_af_packet" >&2
	kill -9 "${pids[-1]}" 2>/dev/null || true
	wait "${pids[-1]}" 2>/dev/null || true
	# a PMD that failed after attaching left its program there
	$(NS ap) ip link set dev ap0 xdp off 2>/dev/null || true
	rm -rf "/var/run/dpdk/${P}dp"
	ap0=af_packet
	start_dp || fail "edgesteer-dp did not come up"
fi

# af_xdp: adopt the program edgesteer-dp attached; af_packet: attach our own
xdp=(--xdp-afxdp)
[ "$ap0" = af_xdp ] || xdp=(--xdp-pin-dir "$pins")
$(NS ap) "$daemon" --socket "$work/ctl.sock" --state-dir "$work/state" --xdp-if ap0 \
	"${xdp[@]}" --dp-socket "$work/dp.sock" --max-devices 16384 \
	--policy "$policy" --detach-on-exit 2>"$work/daemon.log" &
pids+=($!)
for _ in $(seq 100); do C stats >/dev/null 2>&1 && break; sleep 0.05; done
C push "$work/t1.json" >/dev/null || fail "push of the first table"

for s in edge:edge0 cloud:cloud0; do
	$(NS "${s%%:*}") "$server" --iface "${s#*:}" --name "${s#*:}" --compute-us 100 \
		--stats "$work/${s#*:}.json" >"$work/${s#*:}.out" 2>"$work/${s#*:}.log" &
	pids+=($!)
done
sleep 0.3

$(NS dev) "$devsim" --iface dev0 --ap-mac 02:00:00:00:00:fe --devices "$devices" --first-id 1000 \
	--apps 3,4 --task-rate "$rate" --task-rate-spread 1.5 --tensor-bytes 4000 --duration "$duration" \
	--timeline "$work/timeline.jsonl" --latencies "$out/latencies.txt" \
	--per-device "$work/per_device.json" --json \
	>"$work/devsim.json" 2>"$work/devsim.log" &
dsim=$!
pids+=($dsim)

# The monitor: a status line a second; the push at half time.
python3 - "$work" "$ctl" "$duration" "$out/series.jsonl" <<'PY'
import json, signal, subprocess, sys, time
signal.signal(signal.SIGINT, lambda *_: sys.exit(130))	# Ctrl-C: no traceback, the trap cleans up
work, ctl, dur, series = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
VERD = ["NOT_ESOP", "MALFORMED", "UNKNOWN_DEVICE", "OVER_RATE", "REQUEST", "FORWARD",
        "LOCAL", "RETURN", "UNEXPECTED", "NEEDS_TABLE"]
DROP = ["NONE", "SHORT", "BAD_MAGIC", "BAD_VERSION", "BAD_TYPE", "RESERVED_FLAGS",
        "HDR_LEN_SMALL", "HDR_PAST_END", "ZERO_DEVICE", "TENSOR_RANGE", "TENSOR_EMPTY",
        "PAYLOAD_NOT_EMPTY", "IP_LEN", "UDP_LEN", "GTP_LEN"]

def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}

def drops(stage):
    """Dropped frames by reason: the dropping verdicts and each MALFORMED rule."""
    d = {}
    v = stage.get("verdicts", [])
    for i in (2, 3, 8):
        if i < len(v) and v[i]:
            d[VERD[i]] = v[i]
    for i, n in enumerate(stage.get("drops", [])):
        if i and n:
            d[DROP[i]] = n
    return d

def fmt(d):
    return " ".join(f"{k}={v}" for k, v in sorted(d.items())) or "-"

t0 = time.monotonic()
push_t, push_epoch, push_mono, prev, snaps, out = None, None, None, {}, [], open(series, "w")
for k in range(1, dur + 1):
    time.sleep(max(0.0, t0 + k - time.monotonic()))
    now = time.monotonic() - t0
    if push_t is None and now >= dur / 2:
        # a policy other than static makes its own epochs: the operator's
        # table must be newer than the one in force
        r = subprocess.run([ctl, "--socket", f"{work}/ctl.sock", "stats", "--json"],
                           capture_output=True, text=True)
        cur = json.loads(r.stdout)["table"]["epoch"] if r.returncode == 0 else 1
        t2 = json.load(open(f"{work}/t2.json"))
        t2["epoch"] = push_epoch = max(2, cur + 1)
        json.dump(t2, open(f"{work}/t2.json", "w"), indent=1)
        push_mono = [time.monotonic()]
        r = subprocess.run([ctl, "--socket", f"{work}/ctl.sock", "push", f"{work}/t2.json"],
                           capture_output=True, text=True)
        push_t = time.monotonic() - t0
        push_mono.append(time.monotonic())
        print(f"--- {push_t:5.1f} s  edgesteerctl push t2.json (epoch {push_epoch}: app 3 -> cloud0, "
              f"new rates for the 10 busiest devices): {'ok' if r.returncode == 0 else r.stderr.strip()}",
              flush=True)
        if r.returncode:
            sys.exit(1)
    r = subprocess.run([ctl, "--socket", f"{work}/ctl.sock", "stats", "--json"],
                       capture_output=True, text=True)
    st = json.loads(r.stdout) if r.returncode == 0 else {}
    try:
        tl = [json.loads(l) for l in open(f"{work}/timeline.jsonl") if l.strip()]
    except (OSError, ValueError):
        tl = []
    last = tl[-1] if tl else {}
    srv = {n: load(f"{work}/{n}.json").get("tensors", 0) for n in ("edge0", "cloud0")}
    # per device: [id, app, decisions, results, tensor_bytes] so far, in
    # es-devsim's snapshots (once a second on its clock); rates over >= 3 s
    snap = load(f"{work}/per_device.json")
    if snap and (not snaps or snap["t"] != snaps[-1]["t"]):
        snaps.append(snap)
    old = next((x for x in reversed(snaps) if snap and x["t"] <= snap["t"] - 3), None)
    pdev, dres = {}, {}
    if old:
        pdev = {r[0]: r for r in snap["devices"]}
        dt = snap["t"] - old["t"]
        # (DECISIONs - RESULTs, tensor kbit/s) in the window; one task in
        # flight at either end is normal, two or more missing RESULTs are not
        dres = {r[0]: ((pdev[r[0]][2] - r[2]) - (pdev[r[0]][3] - r[3]),
                       (pdev[r[0]][4] - r[4]) * 8 / 1000 / dt) for r in old["devices"]}
    top = [kv for kv in sorted(dres.items(), key=lambda kv: -kv[1][1])[:3] if kv[1][1]]
    starved = sorted(i for i, (lost, _) in dres.items() if lost >= 2)
    rates = {n: srv[n] - prev.get(n, 0) for n in srv}
    prev = srv
    xdp, dp = st.get("xdp", {}), st.get("dp", {})
    row = {"t": round(now, 2), "epoch": st.get("table", {}).get("epoch"),
           "xdp_epoch": xdp.get("epoch"), "dp_epoch": dp.get("epoch"),
           "edge0_fps": rates["edge0"], "cloud0_fps": rates["cloud0"],
           "devsim": last, "xdp_drops": drops(xdp), "dp_drops": drops(dp)}
    out.write(json.dumps(row) + "\n")
    out.flush()
    print(f"{now:5.1f} s epoch {row['epoch']} (xdp {row['xdp_epoch']}, fp {row['dp_epoch']}) | "
          f"REQ/s {last.get('reqs', 0):4} DEC/s edge {last.get('edge', 0):4} cloud "
          f"{last.get('cloud', 0):4} local {last.get('local', 0):3} | RES/s {last.get('results', 0):4} | "
          f"p50/p99 {last.get('p50_us', 0)}/{last.get('p99_us', 0)} us | TENSOR fr/s edge0 "
          f"{rates['edge0']:4} cloud0 {rates['cloud0']:4} | drops xdp {fmt(row['xdp_drops'])} "
          f"fp {fmt(row['dp_drops'])}", flush=True)
    if pdev:
        print("        top devices, tensor kbit/s: " +
              "  ".join(f"{i} (app {pdev[i][1]}) {b:.0f}" for i, (_, b) in top) + ("-" if not top else "") +
              f" | losing RESULTs: {' '.join(map(str, starved[:8])) or '-'}"
              f"{' ...' if len(starved) > 8 else ''}", flush=True)
out.write(json.dumps({"push_t": push_t, "push_epoch": push_epoch, "push_mono": push_mono}) + "\n")
PY

wait "$dsim" || fail "es-devsim failed"
sleep 0.3
C stats --json >"$work/stats.json" || fail "edgesteerctl stats"
cp "$work/timeline.jsonl" "$work/devsim.json" "$work/per_device.json" "$work/stats.json" "$work/t1.json" "$work/t2.json" "$out/"
for s in edge0 cloud0; do cp "$work/$s.json" "$out/$s.json"; done

# Summary (printed and summary.json), then the plots.
python3 - "$out" "$duration" "$devices" "$policy" <<'PY'
import json, sys
out, dur, ndev, policy = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
d = json.load(open(f"{out}/devsim.json"))
st = json.load(open(f"{out}/stats.json"))
srv = {n: json.load(open(f"{out}/{n}.json")) for n in ("edge0", "cloud0")}
tl = [json.loads(l) for l in open(f"{out}/timeline.jsonl") if l.strip()]
rows = [json.loads(l) for l in open(f"{out}/series.jsonl") if l.strip()]
push_t = rows[-1].get("push_t") if rows else None
push_epoch = rows[-1].get("push_epoch") if rows else None
series = [r for r in rows if "t" in r]
# A timeline row counts the DECISIONs since the row before it; "mono" is
# CLOCK_MONOTONIC, as the monitor's push_mono (the push's start and end).
pm = rows[-1].get("push_mono") if rows else None
starts = [0.0] + [t["mono"] for t in tl[:-1]]
before = [t for t in tl if pm and t["mono"] < pm[0]]
after = [t for t, s0 in zip(tl, starts) if pm and s0 > pm[1]]
def split(ts):
    return {k: sum(t[k] for t in ts) for k in ("edge", "cloud", "local")}
last = series[-1] if series else {}
s = {
    "duration_s": dur, "devices": ndev, "policy": policy,
    "reqs": d["reqs"], "decisions": d["decisions"], "results": d["results"],
    "timeouts": d["timeouts"], "edge": d["edge"], "cloud": d["cloud"], "local": d["local"],
    "decision_p50_us": d["decision_p50_us"], "decision_p99_us": d["decision_p99_us"],
    "decision_p999_us": d["decision_p999_us"],
    "tensors": {n: srv[n]["tensors"] for n in srv},
    "server_results": {n: srv[n]["results"] for n in srv},
    "push_t": push_t, "push_epoch": push_epoch,
    "epochs": {"first_decision": next((t["epoch"] for t in tl if t.get("epoch")), 0),
               "last_decision": d["last_epoch"], "table": st["table"]["epoch"],
               "xdp": st.get("xdp", {}).get("epoch"), "fp": st.get("dp", {}).get("epoch")},
    "split_before_push": split(before), "split_after_push": split(after),
    "drops": {"xdp": last.get("xdp_drops", {}), "fp": last.get("dp_drops", {})},
    "xdp_no_xsk": st.get("xdp", {}).get("no_xsk"),
    "fp": {k: st.get("dp", {}).get(k) for k in ("rx", "tx", "decisions", "swaps")},
}
json.dump(s, open(f"{out}/summary.json", "w"), indent=1)
p = lambda x: f"{x:,}"
print(f"""
=== EdgeSteer demo summary ({dur} s, {ndev} devices, policy {policy}) ===
OFFLOAD_REQs {p(s['reqs'])}  DECISIONs {p(s['decisions'])}  RESULTs {p(s['results'])}  timeouts {p(s['timeouts'])}
DECISIONs: edge {p(s['edge'])}  cloud {p(s['cloud'])}  local {p(s['local'])}
  before the push (t < {push_t:.1f} s): {s['split_before_push']}
  after the push:                  {s['split_after_push']}
REQ->DECISION: p50 {s['decision_p50_us']} us  p99 {s['decision_p99_us']} us  p99.9 {s['decision_p999_us']} us
TENSOR fragments: edge0 {p(s['tensors']['edge0'])}  cloud0 {p(s['tensors']['cloud0'])}
drops by reason: XDP {s['drops']['xdp'] or '-'}  fast path {s['drops']['fp'] or '-'}
epochs: first DECISION {s['epochs']['first_decision']}, last {s['epochs']['last_decision']}; in force: table {s['epochs']['table']}, XDP {s['epochs']['xdp']}, fast path {s['epochs']['fp']}""")
with open(f"{out}/throughput.dat", "w") as f:
    f.write("# t edge0_fps cloud0_fps decisions_per_s edge_dec cloud_dec\n")
    for r in series:
        t = r.get("devsim", {})
        f.write(f"{r['t']} {r['edge0_fps']} {r['cloud0_fps']} {t.get('decisions', 0)} "
                f"{t.get('edge', 0)} {t.get('cloud', 0)}\n")
PY

n=$(wc -l <"$out/latencies.txt")
read -r push_t push_epoch p50 p99 < <(python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))
print(s["push_t"], s["push_epoch"], s["decision_p50_us"], s["decision_p99_us"])' "$out/summary.json")
gnuplot <<GP
set terminal pngcairo size 1000,560 font "DejaVu Sans,11"
set output "$out/throughput.png"
set title "EdgeSteer demo: throughput ($devices devices, policy $policy)"
set xlabel "time (s)"; set ylabel "per second"; set grid; set key top left
set yrange [0:*]
set arrow from $push_t, graph 0 to $push_t, graph 1 nohead lw 2 dt 2 lc rgb "red"
set label "edgesteerctl push (epoch $push_epoch)" at $push_t, graph 0.95 offset 0.5,0 tc rgb "red"
plot "$out/throughput.dat" u 1:2 w lp lw 2 t "TENSOR frames at edge0", \
     "" u 1:3 w lp lw 2 t "TENSOR frames at cloud0", \
     "" u 1:5 w l lw 2 dt 2 t "DECISIONs -> edge (es-devsim)", \
     "" u 1:6 w l lw 2 dt 2 t "DECISIONs -> cloud (es-devsim)"
set output "$out/latency.png"
unset arrow; unset label
set title "REQ -> DECISION latency, $n samples (es-devsim's clock, through XDP and the fast path)"
set xlabel "latency (us)"; set ylabel "fraction of DECISIONs <= x"; set logscale x
set yrange [0:1]; set key bottom right
set arrow from $p50, graph 0 to $p50, graph 1 nohead dt 2 lc rgb "gray40"
set arrow from $p99, graph 0 to $p99, graph 1 nohead dt 2 lc rgb "gray40"
set label "p50 $p50 us" at $p50, graph 0.3 offset 0.5,0
set label "p99 $p99 us" at $p99, graph 0.6 offset 0.5,0
plot "$out/latencies.txt" u 1:((\$0 + 1) / $n.0) w l lw 2 t "CDF"
GP
echo "demo: results in $out (summary.json, throughput.png, latency.png)"
