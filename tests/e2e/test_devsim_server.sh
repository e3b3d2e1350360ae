#!/usr/bin/env bash
# The test bed's traffic programs over a real veth pair between two network
# namespaces: es-devsim (devices, in --direct mode) sends whole tensors to
# es-server, which answers every completed task with a RESULT. Checks the
# counters on both sides agree: every fragment arrived, every task got its
# RESULT. Usage: test_devsim_server.sh ES_DEVSIM ES_SERVER
set -euo pipefail
devsim=$1 server=$2
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root for network namespaces"; exit 77; }
command -v ip >/dev/null || { echo "skip: iproute2 missing"; exit 77; }

tag=$$
dev=es-dv$tag srv=es-sv$tag
work=$(mktemp -d)
cleanup() {
	[ -n "${spid:-}" ] && kill "$spid" 2>/dev/null || true
	ip netns del "$dev" 2>/dev/null || true
	ip netns del "$srv" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

ip netns add "$dev" || { echo "skip: cannot create network namespaces"; exit 77; }
ip netns add "$srv"
ip link add vd$tag netns "$dev" type veth peer name vs$tag netns "$srv"
ip -n "$dev" link set vd$tag address 02:00:00:00:10:01 up
ip -n "$srv" link set vs$tag address 02:00:00:00:01:02 up
ip -n "$dev" addr add 198.18.16.1/20 dev vd$tag
ip -n "$srv" addr add 198.18.1.2/24 dev vs$tag

ip netns exec "$srv" "$server" --iface vs$tag --name edge0 --compute-us 100 \
	--stats "$work/server.json" >"$work/server.out" &
spid=$!
sleep 0.3
ip netns exec "$dev" "$devsim" --iface vd$tag --direct 02:00:00:00:01:02,198.18.1.2 \
	--devices 20 --task-rate 5 --tensor-bytes 8000 --duration 2 --json >"$work/devsim.json"
sleep 0.3
kill "$spid"
wait "$spid" || true
spid=

cat "$work/devsim.json" "$work/server.out"
python3 - "$work/devsim.json" "$work/server.out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
tasks = d["edge"]
frags = d["fragments"]
errors = []
if tasks < 20 * 5 * 2 * 0.8:
    errors.append(f"only {tasks} tasks started")
if s["tensors"] != frags:
    errors.append(f"server saw {s['tensors']} fragments, devices sent {frags}")
if s["tasks"] != tasks:
    errors.append(f"server completed {s['tasks']} tasks, devices started {tasks}")
if d["results"] + d["timeouts"] < tasks - 20:
    errors.append("tasks unaccounted for")
if d["results"] < tasks - 20:   # the last round may still be in flight
    errors.append(f"only {d['results']} RESULTs for {tasks} tasks")
if s["malformed"] or d["send_errors"]:
    errors.append("malformed frames or send errors")
for e in errors:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
PY
