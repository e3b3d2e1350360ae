# Pre-DNNOff sweep plots (tests/prednnoff/bench_prednnoff.sh writes the TSV).
# gnuplot -e "tsv='sweep.tsv'; bounds='bound_'; outdir='docs'" docs/prednnoff_plot.gp
# (bounds: prefix of the per-bound sweeps bound_B.tsv, 20 MHz only)
# Columns: 1 bandwidth_mhz 2 snr_db 3 rate_mbps 4 exact 5 ga 6 ga_paper
# 7 edgent 8 edgent_min 9 device 10 edge 11 cloud 12 random 13 exact_2tier
set terminal pngcairo size 1100,700 font ",10"
set output outdir.'/prednnoff_sweep.png'
set title "Pre-DNNOff: expected latency vs wireless rate (20 MHz, SNR -40..30 dB; BranchyNet AlexNet, CIFAR-10)"
set xlabel "wireless rate W log2(1+SNR) (Mbit/s)"
set ylabel "expected latency, eq. (4.8) (ms)"
set logscale xy
set grid
set key outside right
# data block 2 = 20 MHz (blocks: 5, 10, 20, 40 MHz)
plot tsv index 2 using 3:9 with lines lw 2 title "all device", \
     tsv index 2 using 3:10 with lines lw 2 title "all edge", \
     tsv index 2 using 3:11 with lines lw 2 title "all cloud", \
     tsv index 2 using 3:12 with lines lw 1 title "random (mean)", \
     tsv index 2 using 3:7 with linespoints lw 2 pt 6 title "Edgent (its rule, bound 100 ms)", \
     tsv index 2 using 3:8 with lines lw 1 dt 2 title "Edgent, accuracy-aware reading", \
     tsv index 2 using 3:6 with linespoints lw 1 pt 2 title "paper's GA (best of 20)", \
     tsv index 2 using 3:5 with points pt 7 ps 0.6 title "GA variant (best of 20)", \
     tsv index 2 using 3:13 with lines lw 2 dt 3 title "exact, device+edge", \
     tsv index 2 using 3:4 with lines lw 3 title "exact (DP), 3 tiers"

set output outdir.'/prednnoff_gap.png'
set title "Pre-DNNOff (exact, device+edge) vs Edgent: relative reduction 1 - exact/Edgent"
set ylabel "reduction against Edgent"
unset logscale y
set yrange [*:*]
set format y "%.0f%%"
plot for [i=0:3] tsv index i using 3:(100*(1-$13/$7)) with linespoints title sprintf("%d MHz", i==0?5:i==1?10:i==2?20:40), \
     8.78 with lines dt 2 lw 2 title "paper: 1 - 188.93/207.11"

set output outdir.'/prednnoff_gap_bounds.png'
set title "Reduction against Edgent (device+edge, 20 MHz) for Edgent latency bounds B"
blist = "0 50 100 200 1000"
clist = "#7b3294 #1b9e77 #2c7bb6 #d95f02 #e7298a"
plot for [i=1:5] bounds.word(blist,i).'.tsv' using 3:(100*(1-$13/$7)) with linespoints \
       lw 2 lc rgb word(clist,i) title "B = ".word(blist,i)." ms", \
     8.78 with lines dt 2 lw 2 title "paper: 1 - 188.93/207.11"
