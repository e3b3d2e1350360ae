#!/usr/bin/env bash
# The DDLRO loop on tools/testbed.sh's namespaces: edgesteerd runs policy
# ddlro over XDP + edgesteer-dp (as in test_testbed_e2e.sh), es-server in the
# edge and cloud namespaces, es-devsim's devices send tasks. Halfway, the
# edge server is slowed down by 20 ms a task: `tc qdisc add dev edge0 root
# netem delay 20ms` in its namespace, or, on a kernel without netem
# (CONFIG_NET_SCH_NETEM), es-server's own --slow-us 20000 switched on by
# SIGUSR1 (the RESULT leaves 20 ms later either way). The fast path's task monitor sees it, the
# daemon's drift detector fires, ddlro re-solves, and the devices' tasks
# leave edge0 for cloud0. Checks, from the daemon's per-epoch monitor log
# (--mon-log), printed per epoch:
#   - before: edge0 has tasks (ddlro spreads them over both servers);
#   - the drift fires and edge0 gets no task (for 3 s at least) within
#     MAX_EPOCHS epochs of the slow-down (docs/ddlro.md states the bound;
#     epochs in which no task finished anywhere, a stall of the whole host,
#     are not counted);
#   - the task latency after the move is back near the level before (<= 1.5x
#     it + 1 ms; medians of the epochs' means), and edge0's own tasks after
#     the slow-down measured well above it.
# Everything is removed by the trap.
#
# usage: test_ddlro_drift.sh TESTBED.SH EDGESTEERD EDGESTEERCTL EDGESTEER_DP
#        ES_DEVSIM ES_SERVER ES_PCAPGEN [--long OUTDIR]
#   --long OUTDIR: a 40 s run that also writes OUTDIR/ddlro_drift.png (and
#   its data), as in docs/ddlro.md.
set -euo pipefail
testbed=$1 daemon=$2 ctl=$3 dpbin=$4 devsim=$5 server=$6 pcapgen=$7
long_out=
[ "${8:-}" = --long ] && long_out=${9:?--long needs OUTDIR}
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v nsenter >/dev/null && command -v tc >/dev/null && mountpoint -q /sys/fs/bpf ||
	{ echo "skip: no nsenter/tc/bpffs"; exit 77; }
# drift: off the prediction by > 50 % and > FLOOR_US for HOLD_MS; the
# floor is a quarter of the slow-down: this 2-core bed's own noise reaches
# a few ms for an epoch or two under load
EPOCH_MS=200 HOLD_MS=400 FLOOR_US=5000 MAX_EPOCHS=6 DELAY_MS=20
# a server left alone is forgotten after 5 s and tried again: the first
# half is long enough for that (a noisy first measurement may leave edge0
# alone at the start)
duration=20
[ -n "$long_out" ] && duration=40
P=r$(($$ % 10000))-
. "$(dirname "$0")/lib/bed_common.sh" ddlro

"$testbed" up "$P"
# netem or not, found out now: a failed attempt mid-run (the kernel looking
# for the module) stalls the bed for a moment
netem=0
if $(NS edge) tc qdisc add dev lo root netem delay 1ms 2>/dev/null; then
	$(NS edge) tc qdisc del dev lo root
	netem=1
fi
# 20 devices, ids 1000..1019, apps 3 and 4 (the table's targets: edge0,
# cloud0; ddlro places them itself from its first epoch on)
"$pcapgen" --out "$work/unused.pcap" --frames 1 --devices 20 --first-id 1000 \
	--over-rate 0 --policy "$work/t1.json" >/dev/null

$(NS ap) "$dpbin" -l 0-1 --no-pci --no-huge -m 512 --file-prefix "${P}dp" --log-level '*:error' \
	--vdev net_af_packet0,iface=ap0 --vdev net_af_packet1,iface=ap1 \
	--vdev net_af_packet2,iface=ap2 -- --socket "$work/dp.sock" >"$work/dp.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$work/dp.sock" ] && break; sleep 0.1; done
[ -S "$work/dp.sock" ] || fail "edgesteer-dp did not come up"

for s in edge:edge0 cloud:cloud0; do
	$(NS "${s%%:*}") "$server" --iface "${s#*:}" --name "${s#*:}" --compute-us 200 \
		--slow-us "$((DELAY_MS * 1000))" \
		--stats "$work/${s#*:}.json" >"$work/${s#*:}.out" 2>"$work/${s#*:}.log" &
	pids+=($!)
	[ "${s%%:*}" = edge ] && edge_pid=$!
done

$(NS ap) "$daemon" --socket "$work/ctl.sock" --state-dir "$work/state" --xdp-if ap0 \
	--xdp-pin-dir "$pins" --dp-socket "$work/dp.sock" --max-devices 4096 \
	--policy ddlro --epoch-ms "$EPOCH_MS" --drift-hold-ms "$HOLD_MS" --drift-floor-us "$FLOOR_US" \
	--mon-log "$work/mon.jsonl" --detach-on-exit 2>"$work/daemon.log" &
pids+=($!)
for _ in $(seq 100); do C stats >/dev/null 2>&1 && break; sleep 0.05; done
C push "$work/t1.json" >/dev/null || fail "push t1"

$(NS dev) "$devsim" --iface dev0 --ap-mac 02:00:00:00:00:fe --devices 20 --first-id 1000 \
	--apps 3,4 --task-rate 10 --tensor-bytes 4000 --duration "$duration" \
	--json >"$work/devsim.json" 2>"$work/devsim.log" &
dpid=$!
pids+=($dpid)
sleep "$((duration / 2))"
# the wall clock just before (the monitor log has it too): no program to start
t_slow=$(date +%s.%N)
if [ "$netem" = 1 ]; then
	$(NS edge) tc qdisc add dev edge0 root netem delay "${DELAY_MS}ms"
	how="netem delay ${DELAY_MS}ms on edge0"
else
	kill -USR1 "$edge_pid"
	how="es-server --slow-us $((DELAY_MS * 1000)) (no netem in this kernel)"
fi
echo "slow-down: $how"
wait "$dpid" || fail "es-devsim"
C stats --json >"$work/stats.json" || fail "stats"
# the fast path's own view, through DPDK telemetry (when the stock client is here)
echo '{}' >"$work/tel.json"
if command -v dpdk-telemetry.py >/dev/null; then
	echo /edgesteer/monitor | dpdk-telemetry.py -f "${P}dp" 2>/dev/null | grep '^{' |
		tail -1 >"$work/tel.json" || true
fi
grep -E "drift|policy ddlro" "$work/daemon.log" | head -5 || true

python3 - "$work" "$t_slow" "$EPOCH_MS" "$MAX_EPOCHS" "${long_out:-}" "$how" <<'PY' || fail "the figures above"
import json, sys
w, t_slow, epoch_ms, max_epochs, long_out, how = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
allep = [json.loads(l) for l in open(f"{w}/mon.jsonl") if l.strip()]
# epochs are counted where tasks finished: when this shared host stalls the
# whole bed (seconds at a load of 20 on 2 cores) nothing finishes and
# nothing can be measured or detected
ep = [e for e in allep if e["tasks"]]
st = json.load(open(f"{w}/stats.json"))
dev = json.load(open(f"{w}/devsim.json"))
def srv(e, name):
    return next(s for s in e["servers"] if s["name"] == name)
def mean(es):
    n = sum(e["tasks"] for e in es)
    return sum(e["mean_us"] * e["tasks"] for e in es) / n if n else 0.0
# levels are compared as the median of the epochs' means: a stall of the
# whole 2-core bed (every server at once, an epoch or two) does not move it
def level(es):
    v = sorted(e["mean_us"] for e in es)
    return v[len(v) // 2] if v else 0.0
err = []
t0 = allep[0]["real"]
print("epoch  t(s)  table tasks mean_us pred_us drift edge0(tasks/mean/est/open) cloud0(tasks/mean/est)")
for i, e in enumerate(ep):
    if e["tasks"] or e["drift"]:
        a, b = srv(e, "edge0"), srv(e, "cloud0")
        mark = " <- slow-down" if i and ep[i - 1]["real"] < t_slow <= e["real"] else ""
        print(f"{i:5d} {e['real'] - t0:5.1f} {e['table_epoch']:5d} {e['tasks']:5d} {e['mean_us']:7.0f} "
              f"{e['pred_us']:7.0f} {e['drift']:5d} {a['tasks']:5d}/{a['mean_us']:.0f}/{a['est_us']:.0f}/{a['open']} "
              f"{b['tasks']:5d}/{b['mean_us']:.0f}/{b['est_us']:.0f}{mark}")
slow_i = next(i for i, e in enumerate(ep) if e["real"] >= t_slow)
# before: the 3 s before the slow-down, after ddlro's first solve settled
before = [e for e in ep[:slow_i] if e["real"] >= t_slow - 3.0 and e["tasks"]]
if not before:
    err.append("no task measured before the slow-down")
elif not sum(srv(e, "edge0")["tasks"] for e in before if e["real"] >= t_slow - 1.0):
    err.append("edge0 had no task in the second before the slow-down: nothing to show")
drift_i = next((i for i in range(slow_i, len(ep)) if ep[i]["drift"]), None)
avoid_i = None
if drift_i is None:
    err.append("no drift after the slow-down")
else:
    # edge0 gets no task for 3 s (a server left alone is forgotten after
    # --mon-stale-ms, 5 s, and may be tried again at a later re-solve)
    quiet = 3000 // epoch_ms
    avoid_i = next((i for i in range(drift_i, len(ep) - quiet + 1)
                    if all(srv(e, "edge0")["tasks"] == 0 for e in ep[i:i + quiet])), None)
if avoid_i is None:
    err.append("edge0 kept getting tasks after the slow-down")
l0 = level(before)
fig = {"before_median_us": round(l0), "before_mean_us": round(mean(before)),
       "epoch_ms": epoch_ms, "max_epochs": max_epochs}
if drift_i is not None and avoid_i is not None:
    during = [e for e in ep[slow_i:avoid_i] if e["tasks"]]
    after = [e for e in ep[avoid_i + 2:] if e["tasks"]]
    l1 = level(after)
    fig.update({"epochs_to_drift": drift_i - slow_i + 1, "epochs_to_avoid": avoid_i - slow_i + 1,
                "during_median_us": round(level(during)), "during_mean_us": round(mean(during)),
                "after_median_us": round(l1), "after_mean_us": round(mean(after)),
                "after_epochs": len(after), "table_epoch_after": ep[-1]["table_epoch"]})
    if avoid_i - slow_i + 1 > max_epochs:
        err.append(f"edge0 avoided {avoid_i - slow_i + 1} epochs after the slow-down, "
                   f"want <= {max_epochs}")
    if len(after) < 3:
        err.append(f"only {len(after)} epochs measured after the move")
    elif l1 > 1.5 * l0 + 1000:
        err.append(f"task latency after the move {l1:.0f} us, before {l0:.0f} us (medians "
                   "of the epochs' means): not back")
    # the tasks edge0 still finished after the slow-down show it (epochs mix
    # tasks from before and after it: a quarter of the delay is enough)
    edge_max = max((srv(e, "edge0")["mean_us"] for e in ep[slow_i:] if srv(e, "edge0")["tasks"]),
                   default=0)
    fig["edge0_max_after_us"] = round(edge_max)
    if edge_max < l0 + 5000:
        err.append(f"edge0 measured at most {edge_max:.0f} us after the slow-down: it did not show")
tel = json.load(open(f"{w}/tel.json")).get("/edgesteer/monitor")
if tel is not None:
    done = sum(v["done"] for k, v in tel.items() if k.startswith("server_"))
    fig["telemetry_done"] = done
    # every RESULT the devices got was a task the fast path closed; a RESULT
    # after the device gave up on it (stray) was closed too
    if not dev["results"] * 0.95 <= done <= dev["results"] + dev["stray"] + 5:
        err.append(f"/edgesteer/monitor: {done} tasks done, the devices got {dev['results']} "
                   f"RESULTs ({dev['stray']} stray)")
if st["monitor"]["drifts"] < 1:
    err.append("stats --json: monitor.drifts is 0")
fig.update({"results": dev["results"], "reqs": dev["reqs"], "drifts": st["monitor"]["drifts"]})
print(json.dumps(fig))
if long_out:
    with open(f"{long_out}/ddlro_drift.dat", "w") as f:
        f.write("# t_s mean_us edge0_tasks cloud0_tasks edge0_est_us cloud0_est_us drift table_epoch\n")
        for e in allep:
            f.write(f"{e['real'] - t0:.3f} {e['mean_us'] if e['tasks'] else 'NaN'} "
                    f"{srv(e, 'edge0')['tasks']} {srv(e, 'cloud0')['tasks']} "
                    f"{srv(e, 'edge0')['est_us']:.0f} {srv(e, 'cloud0')['est_us']:.0f} "
                    f"{e['drift']} {e['table_epoch']}\n")
    with open(f"{long_out}/ddlro_drift.json", "w") as f:
        json.dump(dict(fig, slow_t=round(t_slow - t0, 1), how=how), f)
for e in err:
    print("FAIL:", e)
sys.exit(1 if err else 0)
PY
if [ -n "$long_out" ]; then
	slow_t=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["slow_t"])' "$long_out/ddlro_drift.json")
	gnuplot <<GP
set terminal pngcairo size 1000,620 font "DejaVu Sans,11"
set output "$long_out/ddlro_drift.png"
set multiplot layout 2,1 title "DDLRO loop: edge0 slowed by ${DELAY_MS} ms a task at t = ${slow_t} s; epochs of ${EPOCH_MS} ms"
set grid; set xrange [0:$duration + 2]
set arrow 1 from $slow_t, graph 0 to $slow_t, graph 1 nohead lw 2 dt 2 lc rgb "red"
set label 1 "edge0 +${DELAY_MS} ms" at $slow_t, graph 0.55 right offset -0.5,0 tc rgb "red"
set ylabel "task latency (ms)"; set logscale y; set yrange [0.1:100]; set key top right
plot "$long_out/ddlro_drift.dat" u 1:(\$2/1000) w lp lw 2 pt 7 ps 0.5 t "mean TENSOR->RESULT, per epoch (fast path)", \
     "" u 1:(\$5 > 0 ? \$5/1000 : NaN) w l lw 1.5 dt 2 lc rgb "dark-orange" t "edge0 estimate (EWMA)", \
     "" u 1:(\$6 > 0 ? \$6/1000 : NaN) w l lw 1.5 dt 2 lc rgb "royalblue" t "cloud0 estimate (EWMA)", \
     "" u 1:(\$7 > 0 ? 60 : NaN) w p pt 11 ps 1.8 lc rgb "dark-green" t "drift: edgesteerd re-solves"
unset logscale y; set yrange [0:*]; unset label 1
set ylabel "tasks per epoch"; set xlabel "time (s)"; set key top left
plot "$long_out/ddlro_drift.dat" u 1:3 w l lw 2 lc rgb "dark-orange" t "edge0", \
     "" u 1:4 w l lw 2 lc rgb "royalblue" t "cloud0"
unset multiplot
GP
	echo "figure: $long_out/ddlro_drift.png"
fi
echo "ok: the DDLRO loop avoids a slowed edge server"
