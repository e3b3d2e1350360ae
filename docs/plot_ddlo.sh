#!/usr/bin/env bash
# DDLO learning curves (docs/ddlo_learning_curve.png): the gain ratio
# q_min/Q per 100 frames of our runs for K = 1, 3, 5 beside the 2018
# reference trace (K = 3, frames from 512, averaged over the same 100-frame
# blocks). Reads the reports the benchmark leaves in the build folder:
#   meson test -C build --benchmark --suite ddlo && docs/plot_ddlo.sh
# Usage: docs/plot_ddlo.sh [REPORT_DIR] [OUT.png]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$here/build/tests/ddlo}
png=${2:-$here/docs/ddlo_learning_curve.png}
trace=$here/models/ddlo/data/ddlo_gain_ratio_trace_2018.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$dir" "$trace" "$tmp" <<'PY'
import csv, json, sys
d, trace, tmp = sys.argv[1:]
for k in (1, 3, 5):
    rep = json.load(open(f"{d}/ddlo_k{k}_equal.json"))
    every = rep["history_every"]
    with open(f"{tmp}/k{k}.dat", "w") as f:
        for i, g in enumerate(rep["history"]):
            f.write(f"{(i + 1) * every} {g}\n")
# the reference trace: step s is frame 512 + s; block means of 100 frames
blocks = {}
with open(trace) as f:
    for row in csv.DictReader(f):
        frame = 512 + int(row["step"])
        blocks.setdefault(frame // 100, []).append(float(row["gain_ratio"]))
with open(f"{tmp}/ref.dat", "w") as f:
    for b in sorted(blocks):
        v = blocks[b]
        f.write(f"{(b + 1) * 100} {sum(v) / len(v)}\n")
PY

gnuplot <<GP
set terminal pngcairo size 1000,800 font "Sans,11" noenhanced
set output "$png"
set multiplot layout 2,1 title "DDLO on mumt_3x3.csv, equal bandwidth: gain ratio q_min/Q, mean per 100 frames"
set xlabel "frame"
set ylabel "gain ratio"
set grid
set xrange [0:20000]
set arrow 1 from 16000, graph 0 to 16000, graph 1 nohead dt 2 lc rgb "gray40"
set label 1 "measured rows ->" at 16100, graph 0.93 textcolor rgb "gray40"
set key at 15800, graph 0.55 right box opaque
set yrange [0.55:1.005]
plot "$tmp/ref.dat" using 1:2 with lines lw 3 lc rgb "#e7298a" title "2018 reference run (K = 3, 10,000 frames)", \
     "$tmp/k1.dat" using 1:2 with lines lw 1.5 lc rgb "#d95f02" title "EdgeSteer K = 1", \
     "$tmp/k3.dat" using 1:2 with lines lw 1.5 lc rgb "#7570b3" title "EdgeSteer K = 3", \
     "$tmp/k5.dat" using 1:2 with lines lw 2 lc rgb "#1b9e77" title "EdgeSteer K = 5"
unset key
set yrange [0.9:1.0]
set ylabel "gain ratio (zoom)"
set label 1 at 16100, graph 0.05
plot "$tmp/ref.dat" using 1:2 with lines lw 3 lc rgb "#e7298a", \
     "$tmp/k3.dat" using 1:2 with lines lw 1.5 lc rgb "#7570b3", \
     "$tmp/k5.dat" using 1:2 with lines lw 2 lc rgb "#1b9e77", \
     0.99 with lines dt 3 lc rgb "black"
unset multiplot
GP
echo "wrote $png"
