#!/usr/bin/env bash
# The quantised-inference benchmark (meson test --benchmark --suite quant):
# each learned policy's eval with --quantized, which decides every measured
# row with the int8 networks and with the float ones, interleaved in the
# same process. One JSON line per policy: the figure int8 against float,
# its loss in percentage points, us_per_decision int8 against float and
# their ratio, with /proc/loadavg (the machine may be shared). Full reports
# go to OUTDIR/quant_*.json.
#  - DDLO: K = 5, equal share, models/ddlo/data/mumt_3x3.csv (gain ratio);
#    its time is the whole decision: 5 forward passes and the scoring.
#  - DIL: DIOS (and DIOS+DP, SOS, DROS) on 100,000 held-out samples with
#    the committed weights (accuracy); time per decision is wall and
#    thread CPU (encoding, one pass, decoding).
# Usage: bench_quant.sh EDGESTEERCTL DDLO_CSV DIL_MODELS OUTDIR
set -euo pipefail
ctl=$1 csv=$2 dil=$3 out=$4
mkdir -p "$out"
la0=$(cat /proc/loadavg)
"$ctl" policy eval --policy ddlo --dataset "$csv" --k 5 --bandwidth equal \
	--seed 1 --quantized --json >"$out/quant_ddlo.json"
la1=$(cat /proc/loadavg)
"$ctl" policy eval --policy dil --models "$dil" --samples 100000 \
	--quantized --json >"$out/quant_dil.json"
la2=$(cat /proc/loadavg)
python3 - "$out" "$la0" "$la1" "$la2" <<'PY'
import json, sys
out, la0, la1, la2 = sys.argv[1:5]
d = json.load(open(f"{out}/quant_ddlo.json"))
print(json.dumps({
    "policy": "ddlo", "k": d["k"], "bandwidth": d["bandwidth"],
    "measured_rows": d["measured_rows"], "kernel": d["quant_kernel"],
    "gain_ratio": d["gain_ratio"], "gain_ratio_float": d["gain_ratio_float"],
    "loss_pp": round(100 * (d["gain_ratio_float"] - d["gain_ratio"]), 4),
    "decisions_differing": d["decisions_differing"],
    "us_per_decision": d["us_per_decision"],
    "us_per_decision_float": d["us_per_decision_float"],
    "us_ratio": round(d["us_per_decision"] / d["us_per_decision_float"], 3),
    "us_per_decision_p50": d["us_per_decision_p50"],
    "us_per_decision_p50_float": d["us_per_decision_p50_float"],
    "us_p50_ratio": round(d["us_per_decision_p50"] /
                          d["us_per_decision_p50_float"], 3),
    "loadavg_before": la0, "loadavg_after": la1}, separators=(",", ":")))
d = json.load(open(f"{out}/quant_dil.json"))
for name in ("DIOS", "DIOS+DP", "SOS", "DROS"):
    s = d["schemes"][name]
    print(json.dumps({
        "policy": "dil", "scheme": name, "samples": d["samples"],
        "kernel": d["quant_kernel"],
        "accuracy": s["accuracy"], "accuracy_float": s["accuracy_float"],
        "loss_pp": round(100 * (s["accuracy_float"] - s["accuracy"]), 4),
        "cost_ratio": s["cost_ratio"], "cost_ratio_float": s["cost_ratio_float"],
        "us_per_decision": s["us_per_decision"],
        "us_per_decision_float": s["us_per_decision_float"],
        "us_ratio": round(s["us_per_decision"] / s["us_per_decision_float"], 3),
        "us_per_decision_cpu": s["us_per_decision_cpu"],
        "us_per_decision_cpu_float": s["us_per_decision_cpu_float"],
        "us_cpu_ratio": round(s["us_per_decision_cpu"] /
                              s["us_per_decision_cpu_float"], 3),
        "loadavg_before": la1, "loadavg_after": la2}, separators=(",", ":")))
PY
