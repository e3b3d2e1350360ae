#!/usr/bin/env bash
# Full training and evaluation of the eight DQN variants on the four models
# at 1, 5 and 10 tasks (--retrain: the saved weights are not used), one JSON
# line per model and task count: DDPQN's objective and gap_closed, greedy's
# and every variant's gap_closed, train_s, and us_per_decision with its ratio
# to greedy's time per decision measured in the same run (the reference).
# Usage: bench_ddpqn_train.sh EDGESTEERCTL [extra eval options]
set -euo pipefail
ctl=$1
shift
command -v python3 >/dev/null || { echo "python3 missing: skip"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s.%N)
"$ctl" policy eval --policy ddpqn --json --retrain "$@" >"$tmp/out.json"
end=$(date +%s.%N)
python3 - "$tmp/out.json" "$start" "$end" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ok = True
for r in d["results"]:
    s, a = r["schemes"], r["agents"]
    g = s["greedy"]["gap_closed"]
    met = r["gap_closed"] >= 0.95 and r["gap_closed"] >= g - 0.01
    ok &= met
    print(json.dumps({
        "model": r["model"], "tasks": r["tasks"],
        "ddpqn_objective": round(r["objective"], 6), "dp_ref": round(r["dp_ref"], 6),
        "greedy": round(s["greedy"]["objective"], 6),
        "gap_closed": round(r["gap_closed"], 4), "greedy_gap_closed": round(g, 4),
        "done_when": met,
        "variants_gap_closed": {k: round(v["gap_closed"], 4) for k, v in a.items()},
        "train_s": {k: round(v["train_s"], 2) for k, v in a.items()},
        "us_per_decision": round(r["us_per_decision"], 3),
        "greedy_us_per_decision": round(r["greedy_us_per_decision"], 3),
        "ratio_to_greedy": round(r["us_per_decision"] / r["greedy_us_per_decision"], 3),
    }))
print(json.dumps({"all_done_when": ok, "wall_s": round(float(sys.argv[3]) - float(sys.argv[2]), 1)}))
PY
