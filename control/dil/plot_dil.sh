#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The DIL figures, like the seed's Figs. 3-5: offloading accuracy, cost and
# time of every scheme relative to the optimum (OOS), as PNG bar charts.
#
#   control/dil/plot_dil.sh [EVAL.json] [OUTDIR]
#
# EVAL.json is the output of `edgesteerctl policy eval --policy dil --json`;
# without it (or with "-") the script runs that command itself on 100,000
# held-out samples with the committed weights (build/ must be built).
# OUTDIR defaults to docs/. Needs gnuplot (pngcairo) and python3.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
json=${1:--}
outdir=${2:-$root/docs}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "$json" = "-" ]; then
	(cd "$root" && build/control/edgesteerctl policy eval --policy dil \
		--samples 100000 --json) > "$tmp/eval.json"
	json=$tmp/eval.json
fi

# One row per scheme: name, accuracy, cost / OOS cost, time / OOS time.
python3 - "$json" > "$tmp/schemes.dat" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["schemes"]
order = ["DIOS", "DIOS+DP", "SOS", "DROS", "GOS", "ROS", "LOS", "EOS", "COS"]
opt_time = s["OOS"]["mean_time_s"]
for k in order:
    if k in s:
        v = s[k]
        print('"%s" %.6f %.6f %.6f' % (k, v["accuracy"], v["cost_ratio"],
                                       v["mean_time_s"] / opt_time))
print("# majority_accuracy %.6f" % d["majority_accuracy"])
EOF
majority=$(sed -n 's/^# majority_accuracy //p' "$tmp/schemes.dat")
samples=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["samples"], d["tasks"])' "$json")
set -- $samples

mkdir -p "$outdir"
gnuplot <<EOF
set terminal pngcairo size 900,480 font "sans,11"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.8
set grid ytics
set key off
set xtics nomirror
datafile = "$tmp/schemes.dat"

set output "$outdir/dil_fig3_accuracy.png"
set title sprintf("Offloading accuracy (T = %d, %d held-out samples; dashed: always the majority class)", $2, $1)
set ylabel "multi-label accuracy"
set yrange [0:1.05]
set arrow 1 from graph 0, first $majority to graph 1, first $majority nohead dt 2 lw 2 lc rgb "#aa0000"
plot datafile using 2:xtic(1) lc rgb "#3b6ea5", \
     '' using 0:2:(sprintf("%.3f", \$2)) with labels offset 0,0.7 font ",9"
unset arrow 1

set output "$outdir/dil_fig4_cost.png"
set title "Offloading cost relative to the optimum (OOS = 1)"
set ylabel "mean cost / mean optimal cost (log scale)"
set logscale y 2
set yrange [0.9:8]
plot datafile using 3:xtic(1) lc rgb "#c07a2c", \
     '' using 0:3:(sprintf("%.3f", \$3)) with labels offset 0,0.7 font ",9"

set output "$outdir/dil_fig5_time.png"
set title "Task execution time relative to the optimum's (OOS = 1)"
set ylabel "mean time / OOS mean time (log scale)"
plot datafile using 4:xtic(1) lc rgb "#4c8c4a", \
     '' using 0:4:(sprintf("%.3f", \$4)) with labels offset 0,0.7 font ",9"
EOF
echo "wrote $outdir/dil_fig3_accuracy.png dil_fig4_cost.png dil_fig5_time.png"
