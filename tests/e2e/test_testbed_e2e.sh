#!/usr/bin/env bash
# The whole path on tools/testbed.sh's namespaces, in the AP's namespaces
# (its own bpffs): edgesteer-dp with ap0 through MODE and ap1, ap2 through
# net_af_packet; es-server in the edge and cloud namespaces, es-devsim in
# the device namespace (docs/testbed.md).
#   af_xdp (default): edgesteer-dp's net_af_xdp loads and attaches our XDP
#     program (xdp_prog=edgesteer_xdp_afxdp.bpf.o), edgesteerd --xdp-afxdp
#     adopts it and drives its maps: ESOP frames go XDP -> AF_XDP -> fast
#     path; checks that XDP redirected them (none fell back to the stack).
#   af_packet: edgesteerd attaches its own program, which passes ESOP to the
#     stack (no AF_XDP socket), where the fast path's socket takes it.
# Checks: OFFLOAD_REQs get DECISIONs, TENSORs reach both servers, RESULTs
# come back, ping and TCP through the AP still work (XDP passes them to the
# AP's kernel), and an `edgesteerctl push` mid-run changes the DECISIONs'
# epoch and targets. Everything is removed by the trap.
# usage: test_testbed_e2e.sh TESTBED.SH EDGESTEERD EDGESTEERCTL EDGESTEER_DP
#        ES_DEVSIM ES_SERVER ES_PCAPGEN BUILD_DIR [af_xdp|af_packet]
set -euo pipefail
# absolute: entering the AP's mount namespace starts at its root
mapfile -t a < <(realpath "${@:1:8}")
testbed=${a[0]} daemon=${a[1]} ctl=${a[2]} dpbin=${a[3]} devsim=${a[4]} server=${a[5]}
pcapgen=${a[6]} build=${a[7]}
mode=${9:-af_xdp}
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v nsenter >/dev/null && command -v unshare >/dev/null || { echo "skip: no nsenter/unshare"; exit 77; }
P=b$(($$ % 10000))-
work=$(mktemp -d /tmp/es-bed.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	"$testbed" down "$P" || true
	rm -rf "$work" "/var/run/dpdk/${P}dp"
}
trap cleanup EXIT INT TERM
fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done
	exit 1
}
in_ns() { local ns=$1; shift; $("$testbed" nsenter "$ns" "$P") "$@"; }
# for background processes: no function (a subshell) between $! and the process
NS() { "$testbed" nsenter "$1" "$P"; }
C() { "$ctl" --socket "$work/ctl.sock" "$@"; }

"$testbed" up "$P"

# 20 devices, ids 1000..1019: app 3 on edge0, app 4 on cloud0
"$pcapgen" --out "$work/unused.pcap" --frames 1 --devices 20 --first-id 1000 \
	--over-rate 0 --policy "$work/t1.json" >/dev/null
# the operator's table pushed mid-run: epoch 2, app 3 goes to the cloud too
sed 's/"epoch": 1/"epoch": 2/; s/"app": 3, "target": "edge0"/"app": 3, "target": "cloud0"/g' \
	"$work/t1.json" >"$work/t2.json"

# shellcheck disable=SC2046 # the words of `vdevs` are meant to split
$(NS ap) "$dpbin" -l 0-1 --no-pci --no-huge -m 512 --file-prefix "${P}dp" --log-level '*:error' \
	$("$testbed" vdevs "$mode" "$build") -- --socket "$work/dp.sock" >"$work/dp.log" 2>&1 &
dp=$!; pids+=("$dp")
# it says how many ports once its socket is up: a vdev that fails its probe
# is left out (and the other ports renumbered)
for _ in $(seq 300); do grep -q " ports, control socket" "$work/dp.log" 2>/dev/null && break; sleep 0.1; done
[ -S "$work/dp.sock" ] || fail "edgesteer-dp did not come up"
grep -q " 3 ports," "$work/dp.log" || fail "edgesteer-dp came up without all of ap0, ap1, ap2"

# af_xdp: adopt the program edgesteer-dp attached; af_packet: attach our own.
# The net_af_xdp object's maps are sized when compiled: more is refused.
if [ "$mode" = af_xdp ]; then
	if out=$($(NS ap) "$daemon" --socket "$work/no.sock" --state-dir "$work/no" --xdp-if ap0 \
		--xdp-afxdp --max-devices 100000 2>&1); then
		fail "--max-devices over the compiled capacity accepted"
	fi
	grep -q "sized when it is compiled, for 65536 devices" <<<"$out" || fail "refusal: $out"
fi
xdp=(--xdp-afxdp)
[ "$mode" = af_xdp ] || xdp=(--xdp-pin-dir /sys/fs/bpf/es-bed)
$(NS ap) "$daemon" --socket "$work/ctl.sock" --state-dir "$work/state" --xdp-if ap0 \
	"${xdp[@]}" --dp-socket "$work/dp.sock" --max-devices 4096 \
	--detach-on-exit 2>"$work/daemon.log" &
dm=$!; pids+=("$dm")
for _ in $(seq 100); do C stats >/dev/null 2>&1 && break; sleep 0.05; done
C push "$work/t1.json" >/dev/null || fail "push t1"

srv=()
for s in edge:edge0 cloud:cloud0; do
	$(NS "${s%%:*}") "$server" --iface "${s#*:}" --name "${s#*:}" --compute-us 100 \
		--stats "$work/${s#*:}.json" >"$work/${s#*:}.out" 2>"$work/${s#*:}.log" &
	pids+=($!) srv+=($!)
done

# ordinary traffic through the AP's stack, across the attached program
in_ns dev ping -c 2 -i 0.2 -W 1 198.18.1.2 >/dev/null || fail "ping dev -> edge"
in_ns dev ping -6 -c 2 -i 0.2 -W 1 2001:2:0:2::2 >/dev/null || fail "ping6 dev -> cloud"
$(NS cloud) python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.2.2", 7000)); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.sendall(c.recv(64))' &
tcp=$!
sleep 0.3
in_ns dev python3 -c '
import socket, time
end = time.monotonic() + 25  # until the server listens (python starts slowly under load)
while True:
    try:
        c = socket.create_connection(("198.18.2.2", 7000), timeout=5)
        break
    except ConnectionRefusedError:
        if time.monotonic() > end:
            raise
        time.sleep(0.1)
c.sendall(b"edgesteer"); assert c.recv(64) == b"edgesteer"' || fail "TCP dev -> cloud"
wait "$tcp" || fail "TCP server"

$(NS dev) "$devsim" --iface dev0 --ap-mac 02:00:00:00:00:fe --devices 20 --first-id 1000 \
	--apps 3,4 --task-rate 5 --tensor-bytes 4000 --duration 6 --timeout-ms 3000 \
	--timeline "$work/timeline.jsonl" --json >"$work/devsim.json" 2>"$work/devsim.log" &
dpid=$!
sleep 2
C push "$work/t2.json" >/dev/null || fail "push t2 mid-run"
wait "$dpid" || fail "es-devsim"
sleep 0.3
C stats --json >"$work/stats.json"
kill "${srv[@]}"; for p in "${srv[@]}"; do wait "$p" || true; done
cat "$work/devsim.json"

python3 - "$work" "$mode" <<'PY' || fail "the figures above"
import json, sys, os
w, mode = sys.argv[1], sys.argv[2]
d = json.load(open(f"{w}/devsim.json"))
srv = {n: json.load(open(f"{w}/{n}.out")) for n in ("edge0", "cloud0")}
tl = [json.loads(l) for l in open(f"{w}/timeline.jsonl") if l.strip()]
st = json.load(open(f"{w}/stats.json"))
err = []
if d["decisions"] < d["reqs"] * 0.9 or d["decisions"] == 0:
    err.append(f"{d['decisions']} DECISIONs for {d['reqs']} OFFLOAD_REQs")
for n, s in srv.items():
    if s["tensors"] == 0:
        err.append(f"{n} got no TENSOR")
if d["results"] == 0 or d["results"] < (d["edge"] + d["cloud"]) * 0.8:
    err.append(f"{d['results']} RESULTs for {d['edge'] + d['cloud']} offloaded tasks")
epochs = [t["epoch"] for t in tl if t.get("epoch")]
if not epochs or epochs[0] != 1 or epochs[-1] != 2:
    err.append(f"DECISION epochs over time {epochs}: want 1 first, 2 after the push")
# targets: app 3 went to edge0 under epoch 1, to cloud0 under epoch 2 (the
# push lands about 2 s in; the last timeline second is 4-5 s, well after it)
if not any(t["epoch"] == 1 and t["edge"] > 0 for t in tl):
    err.append("no edge DECISION under epoch 1")
if not tl or tl[-1]["epoch"] != 2 or tl[-1]["edge"] != 0 or tl[-1]["cloud"] == 0:
    err.append(f"last second {tl[-1:]}: want epoch 2, cloud only")
if d["last_epoch"] != 2:
    err.append(f"last DECISION epoch {d['last_epoch']}")
# the fast path's per-server count (the balancer's load) saw every fragment
if sum(st["dp"]["server_frames"]) != srv["edge0"]["tensors"] + srv["cloud0"]["tensors"]:
    err.append(f"fast path forwarded {st['dp']['server_frames']}, servers got "
               f"{srv['edge0']['tensors']} + {srv['cloud0']['tensors']}")
if st["xdp"]["epoch"] != 2 or st["dp"]["epoch"] != 2:
    err.append(f"stages at {st['xdp']['epoch']}/{st['dp']['epoch']}, want 2/2")
# XDP's counters: by enum esop_verdict (0 NOT_ESOP, 4 REQUEST, 5 FORWARD,
# 6 LOCAL, 7 RETURN) and by XDP action (2 PASS, 4 REDIRECT)
x = st["xdp"]
to_fp = sum(x["verdicts"][4:8])
if x["verdicts"][4] < d["reqs"] or x["verdicts"][5] == 0:
    err.append(f"XDP judged {x['verdicts'][4]} REQUEST and {x['verdicts'][5]} FORWARD "
               f"for {d['reqs']} OFFLOAD_REQs")
if x["verdicts"][0] == 0 or x["actions"][2] < x["verdicts"][0]:
    err.append(f"XDP passed {x['actions'][2]} frames, {x['verdicts'][0]} not ESOP (ping, TCP)")
if mode == "af_xdp" and (x["actions"][4] != to_fp or x["no_xsk"] != 0):
    err.append(f"XDP redirected {x['actions'][4]} of {to_fp} frames for the fast path, "
               f"{x['no_xsk']} fell back to the stack (no AF_XDP socket)")
if mode == "af_packet" and x["no_xsk"] != to_fp:
    err.append(f"XDP passed {x['no_xsk']} of {to_fp} frames for the fast path to the stack")
print(json.dumps({"mode": mode, "xdp_verdicts": x["verdicts"], "xdp_actions": x["actions"],
                  "xdp_no_xsk": x["no_xsk"], "dp_rx": st["dp"]["rx"], "dp_tx": st["dp"]["tx"],
                  "dp_verdicts": st["dp"]["verdicts"],
                  "decision_p50_us": d["decision_p50_us"], "decision_p99_us": d["decision_p99_us"],
                  "reqs": d["reqs"], "decisions": d["decisions"], "results": d["results"],
                  "edge_tensors": srv["edge0"]["tensors"], "cloud_tensors": srv["cloud0"]["tensors"]}))
for e in err:
    print("FAIL:", e)
sys.exit(1 if err else 0)
PY
# Shutdown in the bed's order (docs/testbed.md): edgesteerd detaches the
# program and unpins, then edgesteer-dp's close finds nothing to detach.
kill -TERM "$dm"
wait "$dm" || fail "edgesteerd exited $? after SIGTERM"
! in_ns ap ip link show dev ap0 | grep -q prog/xdp || fail "XDP still on ap0 after edgesteerd"
left=$(in_ns ap ls /sys/fs/bpf | grep -v '\.debug$' || true)
[ -z "$left" ] || fail "pinned after edgesteerd: $left"
kill -TERM "$dp"
wait "$dp" || fail "edgesteer-dp exited $? after SIGTERM"
echo "ok: the test bed end to end ($mode)"
