#!/usr/bin/env bash
# The DDLO benchmark (meson test --benchmark --suite ddlo): the reference
# protocol on mumt_3x3.csv for K = 1, 3, 5 under the equal share, K = 5
# under the optimal split, and synthetic N = 10 and N = 100 (M = 3).
# Prints one JSON object of the figures (each run's full report, history
# included, goes to OUTDIR/ddlo_*.json for docs/plot_ddlo.sh). The
# reference measured in the same run is the exact search: its time per
# decision (us_ratio_to_exact) and its Q (gain ratios are q_exact/Q).
# Usage: bench_ddlo.sh EDGESTEERCTL DATASET OUTDIR
set -euo pipefail
ctl=$1 data=$2 out=$3
mkdir -p "$out"
runs=(
	"k1_equal:--dataset $data --k 1 --bandwidth equal"
	"k3_equal:--dataset $data --k 3 --bandwidth equal"
	"k5_equal:--dataset $data --k 5 --bandwidth equal"
	"k5_optimal:--dataset $data --k 5 --bandwidth optimal"
	"n10_equal:--synthetic 10 --k 5 --bandwidth equal"
	"n100_equal:--synthetic 100 --k 5 --bandwidth equal"
)
for r in "${runs[@]}"; do
	name=${r%%:*} args=${r#*:}
	# shellcheck disable=SC2086  # args is a word list on purpose
	"$ctl" policy eval --policy ddlo $args --seed 1 --json >"$out/ddlo_$name.json"
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
names = ["k1_equal", "k3_equal", "k5_equal", "k5_optimal", "n10_equal", "n100_equal"]
res = {}
for n in names:
    d = json.load(open(f"{out}/ddlo_{n}.json"))
    d.pop("history")
    res[n] = d
print(json.dumps(res, separators=(",", ":")))
PY
