#!/usr/bin/env bash
# Pre-DNNOff benchmark: the default evaluation (timings with their reference,
# one evaluation of eq. 4.8, measured in the same run), then the sweep over
# SNR x bandwidth and its plots in docs/ (gnuplot, pngcairo).
# Usage: bench_prednnoff.sh EDGESTEERCTL DOCS_DIR
set -euo pipefail
ctl=$1
docs=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$ctl" policy eval --policy prednnoff --json --dp-reps 20000 > "$tmp/eval.json"
cat "$tmp/eval.json"
# Sensitivity: the same layout on the ImageNet-size AlexNet, device + edge.
models=$(dirname "$0")/../../models/prednnoff
"$ctl" policy eval --policy prednnoff --json --dp-reps 2000 --tiers 2 \
	--graph "$models/balexnet_imagenet.graph" | tail -1
"$ctl" policy eval --policy prednnoff --sweep --sweep-snr -40:30:2.5 \
	--sweep-bw 5,10,20,40 > "$tmp/sweep.tsv"
cp "$tmp/sweep.tsv" "$docs/prednnoff_sweep.tsv"
# Edgent's deadline decides its exits: the same sweep at 20 MHz for several
# bounds (GA runs cut to one: only exact and Edgent are plotted from these).
for bound in 0 50 100 200 1000; do
	"$ctl" policy eval --policy prednnoff --sweep --sweep-snr -40:30:2.5 --sweep-bw 20 \
		--edgent-bound-ms $bound --set ga_variant.runs=1 --set ga_paper.runs=1 \
		> "$tmp/bound_$bound.tsv"
done
# A summary of the sweep as JSON: where Pre-DNNOff beats Edgent and by how much.
awk 'BEGIN { n = 0; win = 0; lo = 1e9; hi = -1e9; gabad = 0 }
	/^#/ || NF == 0 { next }
	{ n++; gap = 1 - $13 / $7; if (gap > 0) win++;
	  if (gap < lo) lo = gap; if (gap > hi) hi = gap;
	  if ($5 > 1.01 * $4 || $5 < $4 * (1 - 1e-9)) gabad++ }
	END { printf "{\"sweep_points\": %d, \"exact2_beats_edgent\": %d, " \
	      "\"gap_min\": %.4f, \"gap_max\": %.4f, \"ga_variant_outside_1pct\": %d}\n",
	      n, win, lo, hi, gabad }' "$tmp/sweep.tsv"
if command -v gnuplot >/dev/null; then
	gnuplot -e "tsv='$tmp/sweep.tsv'; bounds='$tmp/bound_'; outdir='$docs'" \
		"$(dirname "$0")/../../docs/prednnoff_plot.gp"
	echo "plots: $docs/prednnoff_sweep.png $docs/prednnoff_gap.png $docs/prednnoff_gap_bounds.png"
else
	echo "gnuplot missing: no plots" >&2
fi
