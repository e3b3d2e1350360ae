#!/usr/bin/env bash
# The DDPQN figures (like the seed's Figs. 4-6) from a training-curve CSV
# (`policy eval --policy ddpqn --curve FILE`) and an eval report (--json):
#   ddpqn_convergence.png  the eight variants' training curves (AlexNet, 5 tasks):
#                          the objective of a greedy rollout after each episode
#   ddpqn_models.png       DDPQN and DQN on each model (5 tasks), with greedy and dp_ref
#   ddpqn_tasks.png        delay, energy, cost and objective against the task count
# Usage: ddpqn_figs.sh CURVES.csv REPORT.json OUTDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
curves=$1 report=$2 out=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$curves" "$report" "$tmp" <<'PY'
import csv, json, sys, collections
curves, report, tmp = sys.argv[1:]
VAR = ["dqn", "double", "dueling", "pr", "doublepr", "duelingpr", "doubledueling", "ddpqn"]
rows = collections.defaultdict(list)
# the greedy rollout after each episode: what the network has learnt
# (the exploring episodes themselves are dominated by the 10 % random moves)
for m, t, v, e, tr, gr, loss in csv.reader(open(curves)):
    rows[(m, int(t), v)].append(float(gr) if gr != "null" else float("nan"))
def smooth(x, w=10):
    return [sum(x[max(0, i - w + 1):i + 1]) / len(x[max(0, i - w + 1):i + 1]) for i in range(len(x))]
def table(name, keys):
    cols = [smooth(rows[k]) for k in keys]
    n = max(map(len, cols))
    with open(f"{tmp}/{name}", "w") as f:
        for i in range(n):
            f.write(" ".join([str(i + 1)] + [f"{c[i]:.6g}" if i < len(c) else "NaN" for c in cols]) + "\n")
table("conv.dat", [("alexnet", 5, v) for v in VAR])
res = json.load(open(report))["results"]
with open(f"{tmp}/ref.dat", "w") as f:
    for r in res:
        f.write(f'{r["model"]} {r["tasks"]} {r["dp_ref"]} {r["greedy"]}\n')
for m in ("alexnet", "vgg19", "googlenet", "resnet101"):
    table(f"{m}.dat", [(m, 5, "ddpqn"), (m, 5, "dqn")])
with open(f"{tmp}/tasks.dat", "w") as f:
    for r in res:
        if r["model"] != "alexnet":
            continue
        s, a = r["schemes"], r["agents"]
        line = [r["tasks"]]
        for x in (a["ddpqn"], a["dqn"], s["greedy"], s["dp_ref"]):
            line += [x["delay_s"], x["energy_j"], x["cost_usd"], x["objective"]]
        f.write(" ".join(map(str, line)) + "\n")
PY
gnuplot -e "dir='$tmp'; out='$out'" "$here/ddpqn_figs.gp"
