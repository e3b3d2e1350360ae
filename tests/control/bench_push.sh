#!/usr/bin/env bash
# The push benchmark: wall time of `edgesteerctl push` until edgesteerd has
# the table in force (it replies after every stage committed), for a
# 1,000,000-device table and for 1,000-device deltas against it. Prints one
# JSON line. The reference, measured in the same run, is plain cJSON
# (malloc) parsing the same 1M-device file; ctl_roundtrip_ms (a `stats`
# request) is the floor any edgesteerctl command pays here, and daemon_*
# are the daemon's own times for the last push (from `stats`).
# usage: bench_push.sh EDGESTEERD EDGESTEERCTL BENCH_GEN
set -euo pipefail
daemon=$1 ctl=$2 gen=$3
dir=$(mktemp -d /tmp/edgesteer-bench.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
sock=$dir/ctl.sock
C() { "$ctl" --socket "$sock" "$@"; }
ms_of() { # CMD...: run it, print its wall time in ms
	local s e
	s=$(date +%s%N)
	"$@" >/dev/null
	e=$(date +%s%N)
	echo $(( (e - s) / 1000 )) | awk '{ printf "%.1f", $1 / 1000 }'
}
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

"$gen" table 1000000 10 "$dir/t10.json"
"$gen" table 1000000 11 "$dir/t11.json"
for e in 12 13 14 15 16; do "$gen" delta 1000 "$e" "$dir/d$e.json"; done
bytes=$(stat -c %s "$dir/t10.json")

"$daemon" --socket "$sock" --state-dir "$dir/state" 2>"$dir/log" &
pid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.05; done

first=$(ms_of C push "$dir/t10.json")
warm="$(ms_of C push "$dir/t11.json") $(ms_of C push --force "$dir/t10.json") $(ms_of C push --force "$dir/t11.json")"
load_ms=$(C stats --json | sed -n 's/.*"last_load_ms": \([0-9.]*\).*/\1/p')
stage_ms=$(C stats --json | sed -n 's/.*"last_stages_ms": \([0-9.]*\).*/\1/p')
deltas=
for e in 12 13 14 15 16; do deltas="$deltas $(ms_of C push "$dir/d$e.json")"; done
dload_ms=$(C stats --json | sed -n 's/.*"last_load_ms": \([0-9.]*\).*/\1/p')
dpush_ms=$(C stats --json | sed -n 's/.*"last_ms": \([0-9.]*\).*/\1/p')
# the floor of any request: edgesteerctl starting, connecting, one reply
trips=
for _ in 1 2 3 4 5; do trips="$trips $(ms_of C stats)"; done
dstage_ms=$(C stats --json | sed -n 's/.*"last_stages_ms": \([0-9.]*\).*/\1/p')
[ "$(C stats --json | sed -n 's/.*"epoch": \([0-9]*\), "devices": \([0-9]*\).*/\1 \2/p')" = "16 1000000" ] ||
	{ echo "error: the table in force is not epoch 16 with 1000000 devices" >&2; exit 1; }
kill "$pid"; wait "$pid" || true; pid=
plain=$("$gen" parse "$dir/t10.json")
push=$(echo $warm | median)
delta=$(echo $deltas | median)
printf '{"bench":"push","push_ms_1m":%s,"push_ms_1m_first":%s,"push_ms_1m_runs":[%s],' \
	"$push" "$first" "$(echo $warm | tr ' ' ',')"
printf '"daemon_load_ms_1m":%s,"daemon_stages_ms_1m":%s,' "$load_ms" "$stage_ms"
printf '"delta_ms_1k":%s,"delta_ms_1k_runs":[%s],"daemon_push_ms_1k":%s,"daemon_load_ms_1k":%s,"daemon_stages_ms_1k":%s,' \
	"$delta" "$(echo $deltas | tr ' ' ',')" "$dpush_ms" "$dload_ms" "$dstage_ms"
printf '"ctl_roundtrip_ms":%s,"loadavg_1m":%s,' "$(echo $trips | median)" "$(cut -d' ' -f1 /proc/loadavg)"
printf '"lost_during_push":null,"stages":["store"],"json_bytes_1m":%s,' "$bytes"
printf '"reference_plain_cjson_parse_ms_1m":%s,"ratio_push_to_plain_parse":%s,' "$plain" \
	"$(awk -v a="$push" -v b="$plain" 'BEGIN { printf "%.3f", a / b }')"
printf '"target_push_ms_1m":1500,"target_delta_ms_1k":10}\n'
