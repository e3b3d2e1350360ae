# DDPQN figures; ddpqn_figs.sh prepares the data in `dir` and names `out`.
set terminal pngcairo size 1000,640 font ",10"
set datafile missing "NaN"
set grid
set termoption noenhanced
set key outside right

set output out."/ddpqn_convergence.png"
set title "Convergence of the DQN variants (AlexNet, 5 tasks; greedy rollout after each episode, mean of 10)"
set xlabel "episode"
set ylabel "objective (lower is better)"
set logscale y
names = "DQN Double Dueling PR DoublePr DuelingPr DoubleDueling DDPQN"
plot for [i=1:8] dir."/conv.dat" using 1:(column(i+1)) with lines lw (i==8?3:1.5) title word(names, i)

set output out."/ddpqn_models.png"
set multiplot layout 2,2 title "DDPQN and DQN on each model (5 tasks; greedy rollout after each episode, mean of 10; dashed: greedy, dotted: dp_ref)"
set key inside top right
unset title
do for [m in "alexnet vgg19 googlenet resnet101"] {
	ref = system("awk '$1==\"".m."\" && $2==5 {print $3}' ".dir."/ref.dat")
	grd = system("awk '$1==\"".m."\" && $2==5 {print $4}' ".dir."/ref.dat")
	set title m
	plot dir."/".m.".dat" using 1:2 with lines lw 2 title "DDPQN", \
	     "" using 1:3 with lines lw 1 title "DQN", \
	     real(grd) with lines dt 2 lc rgb "black" title "greedy", \
	     real(ref) with lines dt 3 lc rgb "black" title "dp_ref"
}
unset multiplot

set output out."/ddpqn_tasks.png"
unset logscale y
set xlabel "parallel tasks"
set xtics (1, 5, 10)
set multiplot layout 2,2 title "The number of tasks (AlexNet): DDPQN, DQN, greedy, dp_ref"
array titles[4] = ["delay (s, summed over tasks)", "energy (J)", "cost ($)", "objective"]
do for [k=1:4] {
	set title titles[k]
	set ylabel ""
	plot dir."/tasks.dat" using 1:(column(1+k)) with linespoints lw 2 title "DDPQN", \
	     "" using 1:(column(5+k)) with linespoints title "DQN", \
	     "" using 1:(column(9+k)) with linespoints title "greedy", \
	     "" using 1:(column(13+k)) with linespoints dt 2 title "dp_ref"
}
unset multiplot
