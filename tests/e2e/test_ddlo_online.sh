#!/usr/bin/env bash
# DDLO online in the namespace test bed: edgesteerd --policy ddlo with the
# committed weights models/ddlo/ddlo_3x3_k5_opt_c5.nnw (trained offline for
# this setting, see models/ddlo/README.md; learn=0, so what the test sees is
# that file's doing). Each epoch the input is every device's pending task
# size (total_len of its OFFLOAD_REQs: 80 KiB tasks, 20 model "MB" at
# unit_bytes=4096, inside the 10..30 the weights know), the output a table: each
# device's app at the edge or local, and rate_kbps for offloaders from the
# optimal split of the uplink C (capacity_mbps=5 in model units).
#
# Offered load: 9 devices, 3 active for the first 5 s (light: one "WD" of
# three tasks has all of C), all 9 from 5 s on (heavy: three WDs share C).
# What the utility predicts (docs/ddlo.md, Online): with its share cut to a
# third a WD's upload costs three times as long, so fewer of its tasks are
# worth offloading and each offloader's rate drops. Checks, from
# `edgesteerctl show --json` at 4.5 s and 9.5 s and the DECISIONs received:
#  - the policy made tables, without errors, and the table changed;
#  - the share of active devices offloaded is lower under heavy load;
#  - the first three devices (the same slots throughout) offload fewer tasks
#    and get a lower rate_kbps under heavy load;
#  - the devices' DECISIONs from 5 s on carry their target and rate in the
#    heavy table (es-devsim --decision-log);
#  - on SIGTERM the policy saves its weights (save=): unchanged, as learn=0.
# usage: test_ddlo_online.sh TESTBED.SH EDGESTEERD EDGESTEERCTL EDGESTEER_DP
#        ES_DEVSIM ES_SERVER ES_PCAPGEN MODELS_DIR
set -euo pipefail
testbed=$1 daemon=$2 ctl=$3 dpbin=$4 devsim=$5 server=$6 pcapgen=$7 models=$8
. "$(dirname "$0")/online_bed.sh"

# Every app 3; a burst of 4 MiB so that the tiny model-unit rates the policy
# sets do not throttle the test's own requests within its 10 s.
bed_up 9 '
for d in t["devices"]:
    d["burst_bytes"] = 4 << 20
    d["apps"] = [{"app": 3, "target": "edge0"}]' \
	--policy ddlo --epoch-ms 100 --policy-args \
	"weights=$models/ddlo/ddlo_3x3_k5_opt_c5.nnw,save=$work/saved.nnw,k=5,learn=0,bandwidth=optimal,capacity_mbps=5,unit_bytes=4096"

$(NS dev) "$devsim" --iface dev0 --ap-mac 02:00:00:00:00:fe --devices 9 --first-id 1000 \
	--apps 3 --task-rate 2 --tensor-bytes 81920 --duration 10 \
	--phase 0,devices=3-8,active=0 --phase 5,devices=3-8,active=1 \
	--decision-log "$work/decisions.jsonl" --json >"$work/devsim.json" 2>"$work/devsim.log" &
dsim=$!
pids+=($dsim)
sleep 4.5
C show --json >"$work/light.json" || fail "show at 4.5 s"
sleep 5
C show --json >"$work/heavy.json" || fail "show at 9.5 s"
wait "$dsim" || fail "es-devsim"
C stats --json >"$work/stats.json"
cat "$work/devsim.json"
# save= on the way out: without learning, the weights it loaded, byte for byte
kill -TERM "$daemon_pid"
wait "$daemon_pid" || true
cmp "$models/ddlo/ddlo_3x3_k5_opt_c5.nnw" "$work/saved.nnw" || fail "weights saved on exit differ"
echo "weights saved on exit: $(stat -c %s "$work/saved.nnw") bytes, the same as loaded"

python3 - "$work" <<'PY' || fail "the figures above"
import json, sys
w = sys.argv[1]
TARGET = {0: "local", 1: "edge", 2: "cloud"}
st = json.load(open(f"{w}/stats.json"))
err = []

def placement(path, active):
    t = json.load(open(path))
    out = {}
    for d in t["devices"]:
        if d["id"] in active:
            tgt = d["apps"][0]["target"]
            out[d["id"]] = ("local" if tgt == "local" else "edge", d["rate_kbps"])
    return t["epoch"], out

light_ep, light = placement(f"{w}/light.json", range(1000, 1003))
heavy_ep, heavy = placement(f"{w}/heavy.json", range(1000, 1009))
for name, ep, p in (("light (3 devices)", light_ep, light), ("heavy (9 devices)", heavy_ep, heavy)):
    print(f"{name}: epoch {ep}: " + ", ".join(
        f"{i}: {tgt}" + (f" {r} kbit/s" if tgt == "edge" else "") for i, (tgt, r) in sorted(p.items())))

def offloaded(p, ids):
    return [i for i in ids if p[i][0] == "edge"]

lo, ho = offloaded(light, range(1000, 1003)), offloaded(heavy, range(1000, 1009))
lw, hw = offloaded(light, range(1000, 1003)), offloaded(heavy, range(1000, 1003))
lrate = [light[i][1] for i in lw]
hrate = [heavy[i][1] for i in hw]
print(json.dumps({"light_offloaded": f"{len(lo)}/3", "heavy_offloaded": f"{len(ho)}/9",
                  "first_three_offloaded": [len(lw), len(hw)],
                  "first_three_rate_kbps": [lrate, hrate], "policy": st["policy"]}))
if st["policy"]["errors"] or st["policy"]["tables"] < 2:
    err.append(f"policy: {st['policy']}")
if heavy_ep <= light_ep:
    err.append(f"no new table under heavy load: epochs {light_ep}, {heavy_ep}")
if not lo or len(lo) / 3 <= len(ho) / 9:
    err.append(f"offloaded share light {len(lo)}/3 not above heavy {len(ho)}/9")
if len(hw) >= len(lw):
    err.append(f"the first three devices offload {len(lw)} light, {len(hw)} heavy")
if hrate and lrate and max(hrate) >= min(lrate):
    err.append(f"offloaders' rate_kbps light {lrate}, heavy {hrate}: not lower")
# the devices were told the heavy table: among the DECISIONs a device had in
# hand from 5 s on (the one in force then and every change after it), its
# heavy entry. Not "the last one": a device starved of CPU for over a second
# (load averages near 20 here) drops out of the input for an epoch or two.
log = [json.loads(l) for l in open(f"{w}/decisions.jsonl") if l.strip()]
for i, (tgt, rate) in heavy.items():
    mine = [e for e in log if e["id"] == i]
    had = [e for e in mine if e["t"] < 5.0][-1:] + [e for e in mine if e["t"] >= 5.0]
    vals = {(TARGET[e["target"]], e["rate_kbps"] if TARGET[e["target"]] == "edge" else None)
            for e in had}
    if (tgt, rate if tgt == "edge" else None) not in vals:
        err.append(f"device {i}: DECISIONs from 5 s {sorted(vals, key=str)}, table {tgt} {rate}")
if err:
    print("DECISION changes (es-devsim --decision-log):")
    for l in open(f"{w}/decisions.jsonl"):
        print(" ", l.strip())
for e in err:
    print("FAIL:", e)
sys.exit(1 if err else 0)
PY
echo "ok: ddlo online: the table follows the offered load"
